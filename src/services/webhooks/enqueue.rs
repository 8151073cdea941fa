//! Queuing deliveries: one per event and subscribed webhook, written in the
//! transaction of the notice it tells of, so that the change, its notice
//! and its webhook calls commit or vanish together. A test ping is queued
//! the same way, to its webhook alone.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::kinds::Wanted;
use super::render::{CommitmentFacts, Event, PING, RequestFacts, ReviewFacts};
use crate::entities::ids::{CommitmentId, OrganisationId, RequestId, WebhookId};
use crate::entities::notification::NotificationKind;
use crate::entities::webhook_delivery::{self, DeliveryState};
use crate::entities::{commitment, request, review, webhook};
use crate::error::ApiError;

/// How long after it was made (or sent again by hand) a delivery is retried.
pub const RETRY_FOR: TimeDelta = TimeDelta::hours(24);

/// A notice as it is written: once per event, whoever its recipients.
#[derive(Debug, Clone, Copy)]
pub struct Notice<'a> {
    pub organisation_id: OrganisationId,
    pub kind: NotificationKind,
    pub request_id: Option<RequestId>,
    pub commitment_id: Option<CommitmentId>,
    pub review_id: Option<i64>,
    pub message: &'a str,
    pub at: DateTime<Utc>,
}

/// Queues `notice` for every active webhook of its organisation that wants
/// its kind. Costs one indexed read when there is none.
pub async fn enqueue(db: &impl ConnectionTrait, notice: Notice<'_>) -> Result<(), ApiError> {
    let hooks: Vec<(WebhookId, String)> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .column(webhook::Column::Events)
        .filter(webhook::Column::OrganisationId.eq(notice.organisation_id))
        .filter(webhook::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let targets: Vec<WebhookId> = hooks
        .into_iter()
        .filter(|(_, events)| Wanted::read(events).covers(notice.kind))
        .map(|(id, _)| id)
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let event = Event {
        event: notice.kind.as_str().to_owned(),
        occurred_at: notice.at,
        organisation_id: notice.organisation_id,
        message: notice.message.to_owned(),
        request: request_facts(db, notice.organisation_id, notice.request_id).await?,
        commitment: commitment_facts(db, notice.organisation_id, notice.commitment_id).await?,
        review: review_facts(db, notice.organisation_id, notice.review_id).await?,
    };
    let payload = stored(&event)?;
    let rows = targets.into_iter().map(|webhook_id| {
        pending(
            webhook_id,
            notice.organisation_id,
            &event.event,
            payload.clone(),
            notice.at,
        )
    });
    webhook_delivery::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Queues a test call to `hook` alone.
pub async fn ping(
    db: &impl ConnectionTrait,
    hook: &webhook::Model,
    at: DateTime<Utc>,
) -> Result<webhook_delivery::Model, ApiError> {
    let event = Event {
        event: PING.to_owned(),
        occurred_at: at,
        organisation_id: hook.organisation_id,
        message: format!("Ping from Baton: webhook {} is set up.", hook.id),
        request: None,
        commitment: None,
        review: None,
    };
    let row = pending(hook.id, hook.organisation_id, PING, stored(&event)?, at);
    Ok(row.insert(db).await?)
}

fn stored(event: &Event) -> Result<String, ApiError> {
    serde_json::to_string(event)
        .map_err(|error| ApiError::Internal(format!("webhook event not written: {error}")))
}

fn pending(
    webhook_id: WebhookId,
    organisation_id: OrganisationId,
    event: &str,
    payload: String,
    at: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        webhook_id: Set(webhook_id),
        organisation_id: Set(organisation_id),
        event: Set(event.to_owned()),
        payload: Set(payload),
        state: Set(DeliveryState::Pending),
        attempts: Set(0),
        next_at: Set(Some(at)),
        retry_until: Set(at + RETRY_FOR),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        delivered_at: Set(None),
        ..Default::default()
    }
}

async fn request_facts(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    id: Option<RequestId>,
) -> Result<Option<RequestFacts>, ApiError> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(request::Entity::find_by_id(id)
        .filter(request::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .map(|row| RequestFacts {
            id: row.id,
            title: row.title,
            status: row.status.as_str().to_owned(),
            due_at: row.due_at,
            expected_at: row.expected_at,
        }))
}

async fn commitment_facts(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    id: Option<CommitmentId>,
) -> Result<Option<CommitmentFacts>, ApiError> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(commitment::Entity::find_by_id(id)
        .filter(commitment::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .map(|row| CommitmentFacts {
            id: row.id,
            title: row.title,
            customer_name: row.customer_name,
            promised_at: row.promised_at,
        }))
}

async fn review_facts(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    id: Option<i64>,
) -> Result<Option<ReviewFacts>, ApiError> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(review::Entity::find_by_id(id)
        .filter(review::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .map(|row| ReviewFacts {
            id: row.id,
            scheduled_at: row.scheduled_at,
            duration_minutes: row.duration_minutes,
            status: row.status.as_str().to_owned(),
        }))
}
