//! Review meetings: two departments sit down regularly with the facts of
//! how they served each other (SPEC §5). Leads of either department,
//! leaders and admins schedule and hold them; the departments' staff read.

mod actions;
mod agenda;
mod feed;
mod hold;
mod invitation;
mod voice;

pub use actions::{
    ActionChanges, ActionFilter, NewAction, add_action, find_actions, get_action, list_actions,
    update_action,
};
pub use agenda::{Agenda, AgendaAgreement, AgendaCommitment, Miss, agenda};
pub use feed::{feed_for_token, issue_feed_token, revoke_feed_token};
pub use hold::{Held, HoldInput, hold};
pub use invitation::{Invitation, invitations};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::entities::ids::{DepartmentId, OrganisationId, UserId};
use crate::entities::review::ReviewStatus;
use crate::entities::{review, review_attendee, user};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::events::{self, Subject};
use crate::services::notifications::Kind;
use crate::services::stale_if_untouched;
use crate::services::users::find_department;
use crate::validate::Checker;

pub struct NewReview {
    pub department_ids: Vec<DepartmentId>,
    pub scheduled_at: DateTime<Utc>,
    pub duration_minutes: i64,
    pub every_weeks: i64,
    pub attendee_user_ids: Vec<UserId>,
}

#[derive(Default)]
pub struct ReviewChanges {
    pub scheduled_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i64>,
    pub every_weeks: Option<i64>,
    pub attendee_user_ids: Option<Vec<UserId>>,
}

#[derive(Default)]
pub struct ReviewFilter {
    pub department_id: Option<DepartmentId>,
    pub status: Option<ReviewStatus>,
}

/// Whether the actor's department is one of the pair (or the actor sees all).
pub fn involves(actor: &AuthUser, row: &review::Model) -> bool {
    match actor.role {
        Role::Admin | Role::Leader => true,
        Role::Lead | Role::Staff => actor.department_id.is_some_and(|department| {
            department == row.department_a_id || department == row.department_b_id
        }),
    }
}

/// The department whose reviews a lead or staff member reads; `None` for
/// admins and leaders, who read every review (see [`involves`]).
pub(super) fn visible_department(actor: &AuthUser) -> Option<DepartmentId> {
    match actor.role {
        Role::Admin | Role::Leader => None,
        // Without a department, -1 matches no review.
        Role::Lead | Role::Staff => Some(actor.department_id.unwrap_or(DepartmentId(-1))),
    }
}

/// Admins, leaders and the leads of either department write reviews.
pub fn may_write(actor: &AuthUser, row: &review::Model) -> bool {
    match actor.role {
        Role::Admin | Role::Leader => true,
        Role::Lead => involves(actor, row),
        Role::Staff => false,
    }
}

pub fn forbidden() -> ApiError {
    ApiError::Forbidden(
        "reviews are scheduled and held by the two departments' leads, leaders and admins".into(),
    )
}

/// A review the caller may read; anything else is 404.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<review::Model, ApiError> {
    review::Entity::find_by_id(id)
        .filter(review::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .filter(|row| involves(actor, row))
        .ok_or_else(|| ApiError::not_found("review"))
}

pub async fn attendees(db: &impl ConnectionTrait, review_id: i64) -> Result<Vec<UserId>, ApiError> {
    Ok(review_attendee::Entity::find()
        .select_only()
        .column(review_attendee::Column::UserId)
        .filter(review_attendee::Column::ReviewId.eq(review_id))
        .order_by_asc(review_attendee::Column::UserId)
        .into_tuple()
        .all(db)
        .await?)
}

fn check_numbers(check: &mut Checker, duration: i64, every_weeks: i64) {
    if !(5..=480).contains(&duration) {
        check.add("duration_minutes", "must be between 5 and 480");
    }
    if !(0..=52).contains(&every_weeks) {
        check.add("every_weeks", "must be between 0 (no recurrence) and 52");
    }
}

async fn check_attendees(
    db: &impl ConnectionTrait,
    check: &mut Checker,
    organisation_id: OrganisationId,
    ids: &mut Vec<UserId>,
) -> Result<(), ApiError> {
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 100 {
        check.add("attendee_user_ids", "at most 100 attendees");
        return Ok(());
    }
    let known: Vec<UserId> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    check.known_ids("attendee_user_ids", "users", ids, &known);
    Ok(())
}

pub async fn set_attendees(
    db: &impl ConnectionTrait,
    review_id: i64,
    user_ids: &[UserId],
) -> Result<(), ApiError> {
    review_attendee::Entity::delete_many()
        .filter(review_attendee::Column::ReviewId.eq(review_id))
        .exec(db)
        .await?;
    if !user_ids.is_empty() {
        review_attendee::Entity::insert_many(user_ids.iter().map(|&user_id| {
            review_attendee::ActiveModel {
                review_id: Set(review_id),
                user_id: Set(user_id),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &AuthUser,
    input: NewReview,
) -> Result<review::Model, ApiError> {
    let mut check = Checker::new();
    let mut pair = input.department_ids.clone();
    pair.sort_unstable();
    pair.dedup();
    if pair.len() != 2 {
        check.add("department_ids", "must name two different departments");
    }
    for &department in &pair {
        if find_department(db, actor.organisation_id, department)
            .await?
            .is_none()
        {
            check.add(
                "department_ids",
                format!("no department {department} in this organisation"),
            );
        }
    }
    check.instant("scheduled_at", input.scheduled_at);
    check_numbers(&mut check, input.duration_minutes, input.every_weeks);
    let mut attendees = input.attendee_user_ids.clone();
    check_attendees(db, &mut check, actor.organisation_id, &mut attendees).await?;
    check.finish()?;
    let (a, b) = (pair[0], pair[1]);
    let draft = review::Model {
        id: 0,
        organisation_id: actor.organisation_id,
        department_a_id: a,
        department_b_id: b,
        scheduled_at: input.scheduled_at,
        duration_minutes: input.duration_minutes as i32,
        every_weeks: input.every_weeks as i32,
        status: ReviewStatus::Scheduled,
        held_at: None,
        minutes: None,
        decisions: "[]".into(),
        follows_review_id: None,
        created_by_user_id: actor.id,
        version: 1,
        created_at: Utc::now(),
    };
    if !may_write(actor, &draft) {
        return Err(forbidden());
    }
    let txn = crate::db::begin_write(db).await?;
    let mut row: review::ActiveModel = draft.into();
    row.id = sea_orm::ActiveValue::NotSet;
    let created = row.insert(&txn).await?;
    set_attendees(&txn, created.id, &attendees).await?;
    invitation::tell_attendees(&txn, actor.id, &created, Kind::ReviewScheduled, None).await?;
    events::record(
        &txn,
        actor,
        Subject::Review(created.id),
        "review.scheduled",
        json!({"department_ids": [a, b], "scheduled_at": created.scheduled_at,
               "every_weeks": created.every_weeks, "attendee_user_ids": attendees}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
    filter: ReviewFilter,
) -> Result<Vec<review::Model>, ApiError> {
    let mut query = review::Entity::find()
        .filter(review::Column::OrganisationId.eq(actor.organisation_id))
        .filter(review::Column::Id.gt(page.after_id));
    let department = visible_department(actor).or(filter.department_id);
    if let Some(department) = department {
        query = query.filter(
            Condition::any()
                .add(review::Column::DepartmentAId.eq(department))
                .add(review::Column::DepartmentBId.eq(department)),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(review::Column::Status.eq(status));
    }
    Ok(query
        .order_by_asc(review::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Moves or changes a scheduled review (calendar feeds pick up the change:
/// their `SEQUENCE` is the review's version).
pub async fn update(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: i64,
    if_match: ExpectedVersion,
    changes: ReviewChanges,
) -> Result<review::Model, ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if !may_write(actor, &current) {
        return Err(forbidden());
    }
    if_match.check(current.version)?;
    if current.status != ReviewStatus::Scheduled {
        return Err(ApiError::Conflict(format!(
            "a {} review cannot be changed",
            current.status
        )));
    }
    let mut check = Checker::new();
    let duration = changes
        .duration_minutes
        .unwrap_or(current.duration_minutes.into());
    let every_weeks = changes.every_weeks.unwrap_or(current.every_weeks.into());
    check.optional_instant("scheduled_at", changes.scheduled_at);
    check_numbers(&mut check, duration, every_weeks);
    let mut attendees = changes.attendee_user_ids.clone();
    if let Some(ids) = attendees.as_mut() {
        check_attendees(&txn, &mut check, actor.organisation_id, ids).await?;
    }
    check.finish()?;
    let mut row: review::ActiveModel = current.clone().into();
    if let Some(at) = changes.scheduled_at {
        row.scheduled_at = Set(at);
    }
    row.duration_minutes = Set(duration as i32);
    row.every_weeks = Set(every_weeks as i32);
    row.version = Set(current.version + 1);
    let result = review::Entity::update_many()
        .set(row)
        .filter(review::Column::Id.eq(id))
        .filter(review::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    let before = self::attendees(&txn, id).await?;
    if let Some(ids) = &attendees {
        set_attendees(&txn, id, ids).await?;
    }
    let updated = get(&txn, actor, id).await?;
    // Those invited before hear of a move; those newly invited, of the review.
    let moved = updated.scheduled_at != current.scheduled_at
        || updated.duration_minutes != current.duration_minutes;
    let now_invited = self::attendees(&txn, id).await?;
    let added: Vec<UserId> = now_invited
        .iter()
        .copied()
        .filter(|person| !before.contains(person))
        .collect();
    if moved {
        let kept: Vec<UserId> = now_invited
            .iter()
            .copied()
            .filter(|person| before.contains(person))
            .collect();
        invitation::tell_attendees(&txn, actor.id, &updated, Kind::ReviewMoved, Some(&kept))
            .await?;
    }
    invitation::tell_attendees(
        &txn,
        actor.id,
        &updated,
        Kind::ReviewScheduled,
        Some(&added),
    )
    .await?;
    let mut data = events::changes(&[
        (
            "scheduled_at",
            json!(current.scheduled_at),
            json!(updated.scheduled_at),
        ),
        (
            "duration_minutes",
            json!(current.duration_minutes),
            json!(updated.duration_minutes),
        ),
        (
            "every_weeks",
            json!(current.every_weeks),
            json!(updated.every_weeks),
        ),
    ]);
    if let (Some(ids), Some(object)) = (&attendees, data.as_object_mut()) {
        object.insert("attendee_user_ids".into(), json!(ids));
    }
    events::record(&txn, actor, Subject::Review(id), "review.updated", data).await?;
    txn.commit().await?;
    Ok(updated)
}

/// When each department pair last held a review, keyed by (lower id, higher id).
pub async fn last_held_by_pair(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
) -> Result<std::collections::HashMap<(DepartmentId, DepartmentId), DateTime<Utc>>, ApiError> {
    let rows: Vec<(DepartmentId, DepartmentId, Option<DateTime<Utc>>)> = review::Entity::find()
        .select_only()
        .column(review::Column::DepartmentAId)
        .column(review::Column::DepartmentBId)
        .column_as(review::Column::HeldAt.max(), "last_held")
        .filter(review::Column::OrganisationId.eq(organisation_id))
        .filter(review::Column::Status.eq(ReviewStatus::Held))
        .group_by(review::Column::DepartmentAId)
        .group_by(review::Column::DepartmentBId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, b, at)| at.map(|at| ((a, b), at)))
        .collect())
}
