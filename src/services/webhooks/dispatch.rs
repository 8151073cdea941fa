//! The dispatcher: every instance runs it, and each delivery is sent by one.
//!
//! [`dispatch_due`] claims the pending deliveries that are due by a
//! conditional update that moves their `next_at` a lease ahead and counts
//! the try; only the instance whose update changed a row sends it (on
//! PostgreSQL a second instance's update waits for the first transaction,
//! then finds the row no longer due; on SQLite writers take turns). The
//! claimed calls go out side by side, each within its time limit, and each
//! outcome is written when its call ends. Should an instance die between
//! the call and that write, the lease runs out and the delivery goes again:
//! at least once, never lost, which is what `Baton-Delivery` is for.
//!
//! A failed call is tried again after one minute, then two, four, … at
//! most an hour apart, until 24 hours after the delivery was made (or sent
//! again by hand): a try that fails with no time for another is the last,
//! and the delivery is `failed` with its reason. A refused target is
//! `failed` at once.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::task::JoinSet;

use super::render::{self, Addressed, Event};
use super::send::{self, Call, Outcome};
use super::{Settings, sign};
use crate::entities::ids::{WebhookDeliveryId, WebhookId};
use crate::entities::webhook;
use crate::entities::webhook_delivery::{self, DeliveryState};
use crate::error::ApiError;

/// Deliveries claimed per dispatch; the next dispatch takes the rest.
const BATCH: u64 = 50;
/// How long a claim holds, should the claiming instance die mid-call: well
/// beyond a call's time limit, since a batch's calls go out together.
const LEASE: TimeDelta = TimeDelta::minutes(5);

/// What one dispatch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    /// Answered 2xx.
    pub sent: usize,
    /// Failed, to be tried again.
    pub retrying: usize,
    /// Failed for good: refused, or out of time.
    pub failed: usize,
}

/// The wait after the `failed`-th failed try: one minute, doubling, at most
/// an hour.
pub fn backoff(failed: i32) -> TimeDelta {
    let doublings = Ord::clamp(failed, 1, 7) - 1;
    TimeDelta::minutes(std::cmp::min(1i64 << doublings, 60))
}

/// Sends the deliveries due at `now`; returns what was done.
pub async fn dispatch_due(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Dispatched, ApiError> {
    let mut done = Dispatched::default();
    let claimed = claim(db, now).await?;
    if claimed.is_empty() {
        return Ok(done);
    }
    let hooks = hooks_of(db, &claimed).await?;
    let mut calls = JoinSet::new();
    for delivery in claimed {
        // Gone: deleted since the claim, and its deliveries with it.
        let Some(hook) = hooks.get(&delivery.webhook_id) else {
            continue;
        };
        let outcome = if hook.active {
            match call_for(hook, &delivery, settings, now) {
                Ok(call) => {
                    let limits = settings.limits();
                    calls.spawn(async move { (delivery, send::send(call, limits).await) });
                    continue;
                }
                Err(reason) => Outcome::Refused { reason },
            }
        } else {
            Outcome::Refused {
                reason: "not sent: the webhook is inactive".into(),
            }
        };
        tally(&mut done, record(db, &delivery, &outcome, now).await?);
    }
    while let Some(ended) = calls.join_next().await {
        match ended {
            Ok((delivery, outcome)) => {
                tally(&mut done, record(db, &delivery, &outcome, now).await?);
            }
            // The delivery stays claimed and goes again when its lease ends.
            Err(error) => tracing::warn!(%error, "a webhook call stopped before its end"),
        }
    }
    Ok(done)
}

fn tally(done: &mut Dispatched, state: DeliveryState) {
    match state {
        DeliveryState::Sent => done.sent += 1,
        DeliveryState::Pending => done.retrying += 1,
        DeliveryState::Failed => done.failed += 1,
    }
}

/// The signed call for `delivery`, its body made now.
fn call_for(
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Call, String> {
    let event: Event = serde_json::from_str(&delivery.payload)
        .map_err(|error| format!("not sent: the stored event does not read: {error}"))?;
    let to = Addressed {
        delivery_id: delivery.id,
        webhook_id: hook.id,
    };
    let body = render::body(hook.format, to, &event, &settings.public_url);
    Ok(Call {
        url: hook.url.clone(),
        event: delivery.event.clone(),
        delivery_id: delivery.id,
        signature: sign::header(&hook.secret.0, now.timestamp(), body.as_bytes()),
        body,
    })
}

fn due_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(webhook_delivery::Column::State.eq(DeliveryState::Pending))
        .add(webhook_delivery::Column::NextAt.lte(now))
}

/// The due deliveries this instance won, each with this try counted.
async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<webhook_delivery::Model>, ApiError> {
    // Asked first, so that an idle poll does not take the writer's turn.
    let due: Vec<WebhookDeliveryId> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(due_at(now))
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let txn = crate::db::begin_write(db).await?;
    let mut won = Vec::with_capacity(due.len());
    for id in due {
        let claim = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::NextAt, Expr::value(now + LEASE))
            .col_expr(
                webhook_delivery::Column::Attempts,
                Expr::col(webhook_delivery::Column::Attempts).add(1),
            )
            .filter(webhook_delivery::Column::Id.eq(id))
            .filter(due_at(now))
            .exec(&txn)
            .await?;
        if claim.rows_affected == 1 {
            won.push(id);
        }
    }
    let rows = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Id.is_in(won))
        .order_by_asc(webhook_delivery::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows)
}

async fn hooks_of(
    db: &DatabaseConnection,
    deliveries: &[webhook_delivery::Model],
) -> Result<HashMap<WebhookId, webhook::Model>, ApiError> {
    let mut ids: Vec<WebhookId> = deliveries.iter().map(|row| row.webhook_id).collect();
    ids.sort();
    ids.dedup();
    Ok(webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// Writes how `delivery`'s try went; returns where it now stands.
async fn record(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<DeliveryState, ApiError> {
    let (state, next_at, status, error) = match outcome {
        Outcome::Delivered { status } => (DeliveryState::Sent, None, Some(*status), None),
        Outcome::Refused { reason } => (DeliveryState::Failed, None, None, Some(reason.clone())),
        Outcome::Failed { status, reason } => {
            // `attempts` counts this try since the claim.
            let next = now + backoff(delivery.attempts);
            if next > delivery.retry_until {
                (DeliveryState::Failed, None, *status, Some(reason.clone()))
            } else {
                (
                    DeliveryState::Pending,
                    Some(next),
                    *status,
                    Some(reason.clone()),
                )
            }
        }
    };
    if let Some(reason) = &error {
        tracing::warn!(
            delivery = %delivery.id,
            webhook = %delivery.webhook_id,
            state = %state,
            %reason,
            "webhook not delivered"
        );
    }
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::State, Expr::value(state.as_str()))
        .col_expr(webhook_delivery::Column::NextAt, Expr::value(next_at))
        .col_expr(
            webhook_delivery::Column::LastStatus,
            Expr::value(status.map(i32::from)),
        )
        .col_expr(webhook_delivery::Column::LastError, Expr::value(error));
    if state == DeliveryState::Sent {
        update = update.col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now));
    }
    let txn = crate::db::begin_write(db).await?;
    update
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_a_minute_up_to_an_hour() {
        let minutes: Vec<i64> = (0..=10).map(|n| backoff(n).num_minutes()).collect();
        assert_eq!(minutes, [1, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }

    #[test]
    fn a_day_of_retries_is_about_thirty_tries() {
        let mut at = TimeDelta::zero();
        let mut tries = 0;
        while at <= TimeDelta::hours(24) {
            tries += 1;
            at += backoff(tries);
        }
        assert!((25..=35).contains(&tries), "{tries}");
    }
}
