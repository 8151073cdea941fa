//! A webhook's delivery log, newest first, and sending a delivery again.
//!
//! Each line says where a delivery stands (`pending`, `sent`, `failed`),
//! how many tries it took, how the last one went (the receiver's status,
//! or why it could not be reached or was refused) and when. Sending again
//! puts a delivery back to pending at once, with the same id (so that a
//! receiver that already has it can tell) and another 24 hours of retries.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::admin;
use super::enqueue::RETRY_FOR;
use crate::entities::ids::{WebhookDeliveryId, WebhookId};
use crate::entities::webhook_delivery::{self, DeliveryState};
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::pagination::NewestFirst;

/// The deliveries of webhook `id`, newest first, of one state or all.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: WebhookId,
    state: Option<DeliveryState>,
    page: NewestFirst,
) -> Result<Vec<webhook_delivery::Model>, ApiError> {
    let hook = admin::get(db, actor, id).await?;
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(hook.id))
        .filter(webhook_delivery::Column::Id.lt(page.before_id));
    if let Some(state) = state {
        query = query.filter(webhook_delivery::Column::State.eq(state));
    }
    Ok(query
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Puts delivery `id` back to pending, due at `now`.
#[tracing::instrument(skip_all, fields(actor = %actor.id, delivery = %id))]
pub async fn redeliver(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: WebhookDeliveryId,
    now: DateTime<Utc>,
) -> Result<webhook_delivery::Model, ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let found = webhook_delivery::Entity::find_by_id(id)
        .filter(webhook_delivery::Column::OrganisationId.eq(actor.organisation_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook delivery"))?;
    let hook = admin::get(&txn, actor, found.webhook_id).await?;
    if !hook.active {
        return Err(ApiError::Conflict(
            "the webhook is inactive: set active to true before sending again".into(),
        ));
    }
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::State,
            Expr::value(DeliveryState::Pending.as_str()),
        )
        .col_expr(webhook_delivery::Column::NextAt, Expr::value(now))
        .col_expr(
            webhook_delivery::Column::RetryUntil,
            Expr::value(now + RETRY_FOR),
        )
        .filter(webhook_delivery::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let queued = webhook_delivery::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook delivery"))?;
    txn.commit().await?;
    Ok(queued)
}
