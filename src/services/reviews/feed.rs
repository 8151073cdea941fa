//! The calendar feed: each user's upcoming reviews as an RFC 5545
//! calendar, reached with a per-user token that can be revoked. Only the
//! token's SHA-256 is stored. Events carry a stable UID per review and the
//! review's version as `SEQUENCE`, so a moved review updates in place.

use chrono::{TimeDelta, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::config::random_hex;
use crate::entities::ids::DepartmentId;
use crate::entities::review::ReviewStatus;
use crate::entities::{calendar_feed_token, department, review, review_attendee, user};
use crate::error::ApiError;
use crate::identity::{AuthUser, token_hash};

/// A new feed token for the caller, replacing (and so revoking) any other.
pub async fn issue_feed_token(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
) -> Result<String, ApiError> {
    revoke_feed_token(db, actor).await?;
    let token = random_hex(32);
    calendar_feed_token::ActiveModel {
        user_id: Set(actor.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub async fn revoke_feed_token(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
) -> Result<(), ApiError> {
    calendar_feed_token::Entity::delete_many()
        .filter(calendar_feed_token::Column::UserId.eq(actor.id))
        .exec(db)
        .await?;
    Ok(())
}

/// The feed of the user holding `token`: reviews still to come that they
/// attend or that involve their department.
pub async fn feed_for_token(db: &impl ConnectionTrait, token: &str) -> Result<String, ApiError> {
    let unknown = || ApiError::Unauthorized("the calendar token is unknown or was revoked".into());
    let stored = calendar_feed_token::Entity::find()
        .filter(calendar_feed_token::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    let owner = user::Entity::find_by_id(stored.user_id)
        .one(db)
        .await?
        .filter(|owner| owner.active)
        .ok_or_else(unknown)?;
    let attending: Vec<i64> = review_attendee::Entity::find()
        .select_only()
        .column(review_attendee::Column::ReviewId)
        .filter(review_attendee::Column::UserId.eq(owner.id))
        .into_tuple()
        .all(db)
        .await?;
    let mut mine = Condition::any().add(review::Column::Id.is_in(attending));
    if let Some(department) = owner.department_id {
        mine = mine
            .add(review::Column::DepartmentAId.eq(department))
            .add(review::Column::DepartmentBId.eq(department));
    }
    // A review that started within the last day still shows.
    let since = Utc::now() - TimeDelta::days(1);
    let reviews = review::Entity::find()
        .filter(review::Column::OrganisationId.eq(owner.organisation_id))
        .filter(review::Column::Status.eq(ReviewStatus::Scheduled))
        .filter(review::Column::ScheduledAt.gte(since))
        .filter(mine)
        .order_by_asc(review::Column::ScheduledAt)
        .all(db)
        .await?;
    let names: std::collections::HashMap<DepartmentId, String> = department::Entity::find()
        .filter(department::Column::OrganisationId.eq(owner.organisation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect();
    let name = |id: DepartmentId| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("department {id}"))
    };
    let mut calendar = Calendar::new();
    calendar.name("Baton reviews");
    let now = Utc::now();
    for row in reviews {
        // Stored dates may predate the range check; one that cannot end is
        // left out rather than failing every subscriber's whole feed.
        let Some(ends) = row
            .scheduled_at
            .checked_add_signed(TimeDelta::minutes(row.duration_minutes.into()))
        else {
            tracing::warn!(
                review = row.id,
                "review ends past representable time; not in the feed"
            );
            continue;
        };
        let title = format!(
            "Review: {} ⇄ {}",
            name(row.department_a_id),
            name(row.department_b_id)
        );
        calendar.push(
            Event::new()
                .uid(&format!("review-{}@baton", row.id))
                .sequence(row.version.max(0) as u32)
                .timestamp(now)
                .summary(&title)
                .description("How the two departments served each other since the last review; the agenda is in Baton.")
                .starts(row.scheduled_at)
                .ends(ends)
                .status(EventStatus::Confirmed)
                .done(),
        );
    }
    Ok(calendar.done().to_string())
}
