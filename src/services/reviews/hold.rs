//! Holding a review: minutes and decisions are recorded, and with a cadence
//! the next review is scheduled — exactly once, even when two requests or
//! two server instances hold the same review at the same moment.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::{attendees, forbidden, get, may_write, set_attendees};
use crate::entities::review;
use crate::entities::review::ReviewStatus;
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::validate::Checker;

pub struct HoldInput {
    pub minutes: String,
    pub decisions: Vec<String>,
    pub at: Option<DateTime<Utc>>,
}

/// The held review and the one scheduled after it, if any.
pub struct Held {
    pub review: review::Model,
    pub next: Option<review::Model>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.id, review = %id))]
pub async fn hold(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: i64,
    input: HoldInput,
) -> Result<Held, ApiError> {
    let current = get(db, actor, id).await?;
    if !may_write(actor, &current) {
        return Err(forbidden());
    }
    let mut check = Checker::new();
    let minutes = check.text("minutes", &input.minutes, 20_000);
    if input.decisions.len() > 100 {
        check.add("decisions", "at most 100 decisions");
    }
    let decisions: Vec<String> = input
        .decisions
        .iter()
        .enumerate()
        .map(|(i, decision)| check.line(&format!("decisions[{i}]"), decision, 2000))
        .collect();
    let now = Utc::now();
    let held_at = check.instant("at", input.at.unwrap_or(now));
    if held_at > now + TimeDelta::seconds(5) {
        check.add("at", "must not be in the future");
    }
    let next_at = next_scheduled_at(&current, &mut check);
    check.finish()?;
    let decisions_json = serde_json::to_string(&decisions)
        .map_err(|error| ApiError::Internal(format!("decisions: {error}")))?;

    let txn = crate::db::begin_write(db).await?;
    // The claim comes first, so that the transaction writes at once: only
    // the holder whose update flips `scheduled` to `held` goes on.
    let claimed = review::Entity::update_many()
        .col_expr(review::Column::Status, Expr::value("held"))
        .col_expr(review::Column::HeldAt, Expr::value(held_at))
        .col_expr(review::Column::Minutes, Expr::value(minutes))
        .col_expr(review::Column::Decisions, Expr::value(decisions_json))
        .col_expr(review::Column::Version, Expr::value(current.version + 1))
        .filter(review::Column::Id.eq(id))
        .filter(review::Column::Status.eq(ReviewStatus::Scheduled))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "this review is not scheduled: it was already held or cancelled".into(),
        ));
    }
    let next = if let Some(next_at) = next_at {
        let next = review::ActiveModel {
            organisation_id: Set(current.organisation_id),
            department_a_id: Set(current.department_a_id),
            department_b_id: Set(current.department_b_id),
            scheduled_at: Set(next_at),
            duration_minutes: Set(current.duration_minutes),
            every_weeks: Set(current.every_weeks),
            status: Set(ReviewStatus::Scheduled),
            held_at: Set(None),
            minutes: Set(None),
            decisions: Set("[]".into()),
            follows_review_id: Set(Some(current.id)),
            created_by_user_id: Set(actor.id),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let people = attendees(&txn, current.id).await?;
        set_attendees(&txn, next.id, &people).await?;
        super::invitation::tell_attendees(
            &txn,
            actor.id,
            &next,
            crate::services::notifications::Kind::ReviewScheduled,
            None,
        )
        .await?;
        Some(next)
    } else {
        None
    };
    let review = get(&txn, actor, id).await?;
    crate::services::events::record(
        &txn,
        actor,
        crate::services::events::Subject::Review(id),
        "review.held",
        serde_json::json!({"held_at": held_at, "next_review_id": next.as_ref().map(|n| n.id)}),
    )
    .await?;
    txn.commit().await?;
    Ok(Held { review, next })
}

/// When the review after `current` is due: `every_weeks` later, or none
/// without a cadence. The stored date may predate the range check on input
/// (or the cadence may carry it past the end), so the sum is checked rather
/// than trusted: an error names the field to change instead of a panic.
fn next_scheduled_at(current: &review::Model, check: &mut Checker) -> Option<DateTime<Utc>> {
    if current.every_weeks <= 0 {
        return None;
    }
    let next = current
        .scheduled_at
        .checked_add_signed(TimeDelta::weeks(current.every_weeks.into()))
        .filter(|at| crate::time::supported_instant(*at));
    if next.is_none() {
        check.add(
            "scheduled_at",
            format!(
                "the next review, {} weeks after this one, would fall outside the supported \
                 range; move this review or set every_weeks to 0 before holding it",
                current.every_weeks
            ),
        );
    }
    next
}
