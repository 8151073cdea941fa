//! Action items agreed at reviews. Closing one with a resolution note tells
//! the other department of the pair.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::{forbidden, get, may_write, visible_department};
use crate::entities::Named;
use crate::entities::action_item::ActionStatus;
use crate::entities::ids::{DepartmentId, OrganisationId, UserId};
use crate::entities::{action_item, review, user};
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::notifications::{self, Kind};
use crate::services::stale_if_untouched;
use crate::validate::Checker;

pub struct NewAction {
    pub title: String,
    pub owner_user_id: UserId,
    pub due_on: NaiveDate,
}

#[derive(Default)]
pub struct ActionChanges {
    pub title: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub status: Option<String>,
    pub resolution_note: Option<String>,
}

async fn check_owner(
    db: &impl ConnectionTrait,
    check: &mut Checker,
    organisation_id: OrganisationId,
    owner: UserId,
) -> Result<Option<user::Model>, ApiError> {
    let found = user::Entity::find_by_id(owner)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?;
    if found.is_none() {
        check.add("owner_user_id", "no such user in this organisation");
    }
    Ok(found)
}

pub async fn add_action(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    review_id: i64,
    input: NewAction,
) -> Result<action_item::Model, ApiError> {
    let review = get(db, actor, review_id).await?;
    if !may_write(actor, &review) {
        return Err(forbidden());
    }
    let mut check = Checker::new();
    let title = check.line("title", &input.title, 500);
    check.date("due_on", input.due_on);
    check_owner(db, &mut check, actor.organisation_id, input.owner_user_id).await?;
    check.finish()?;
    Ok(action_item::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        review_id: Set(review.id),
        title: Set(title),
        owner_user_id: Set(input.owner_user_id),
        due_on: Set(input.due_on),
        status: Set(ActionStatus::Open),
        resolution_note: Set(None),
        closed_at: Set(None),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Action items of one review the caller may read, oldest first.
pub async fn list_actions(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    review_id: i64,
) -> Result<Vec<action_item::Model>, ApiError> {
    get(db, actor, review_id).await?;
    Ok(action_item::Entity::find()
        .filter(action_item::Column::OrganisationId.eq(actor.organisation_id))
        .filter(action_item::Column::ReviewId.eq(review_id))
        .order_by_asc(action_item::Column::Id)
        .all(db)
        .await?)
}

/// What `GET /actions` may be narrowed to.
#[derive(Debug, Default, Clone)]
pub struct ActionFilter {
    pub review_id: Option<i64>,
    pub owner_user_id: Option<UserId>,
    pub status: Option<ActionStatus>,
}

/// One page of the action items of every review the caller may read, by id.
/// Visibility is a condition of the query (the reviews of the caller's
/// department), so a page costs one statement whatever the caller sees.
pub async fn find_actions(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    filter: &ActionFilter,
    page: PageRequest,
) -> Result<Vec<action_item::Model>, ApiError> {
    let mut query = action_item::Entity::find()
        .filter(action_item::Column::OrganisationId.eq(actor.organisation_id))
        .filter(action_item::Column::Id.gt(page.after_id));
    if let Some(review_id) = filter.review_id {
        get(db, actor, review_id).await?;
        query = query.filter(action_item::Column::ReviewId.eq(review_id));
    }
    if let Some(department) = visible_department(actor) {
        let reviews = Query::select()
            .column(review::Column::Id)
            .from(review::Entity)
            .cond_where(
                Condition::any()
                    .add(review::Column::DepartmentAId.eq(department))
                    .add(review::Column::DepartmentBId.eq(department)),
            )
            .to_owned();
        query = query.filter(action_item::Column::ReviewId.in_subquery(reviews));
    }
    if let Some(owner) = filter.owner_user_id {
        query = query.filter(action_item::Column::OwnerUserId.eq(owner));
    }
    if let Some(status) = filter.status {
        query = query.filter(action_item::Column::Status.eq(status));
    }
    Ok(query
        .order_by_asc(action_item::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// One action item of a review the caller may read; anything else is 404.
pub async fn get_action(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<action_item::Model, ApiError> {
    let row = action_item::Entity::find_by_id(id)
        .filter(action_item::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("action item"))?;
    get(db, actor, row.review_id)
        .await
        .map_err(|_| ApiError::not_found("action item"))?;
    Ok(row)
}

/// Edits an action item; closing it (`done` or `dropped`) needs a
/// resolution note and notifies the other department of the pair.
#[tracing::instrument(skip_all, fields(actor = %actor.id, action = %id))]
pub async fn update_action(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: i64,
    if_match: ExpectedVersion,
    changes: ActionChanges,
) -> Result<action_item::Model, ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let current = action_item::Entity::find_by_id(id)
        .filter(action_item::Column::OrganisationId.eq(actor.organisation_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("action item"))?;
    let review = get(&txn, actor, current.review_id)
        .await
        .map_err(|_| ApiError::not_found("action item"))?;
    if !(may_write(actor, &review) || actor.id == current.owner_user_id) {
        return Err(forbidden());
    }
    if_match.check(current.version)?;
    let mut check = Checker::new();
    let mut row: action_item::ActiveModel = current.clone().into();
    if let Some(title) = &changes.title {
        row.title = Set(check.line("title", title, 500));
    }
    if let Some(due_on) = changes.due_on {
        row.due_on = Set(check.date("due_on", due_on));
    }
    let mut closing = false;
    if let Some(wanted) = &changes.status {
        match ActionStatus::named(wanted) {
            None => check.add("status", "must be open, done or dropped"),
            Some(status) if status == current.status => {}
            Some(status @ (ActionStatus::Done | ActionStatus::Dropped))
                if current.status == ActionStatus::Open =>
            {
                closing = true;
                let note = changes.resolution_note.as_deref().unwrap_or("");
                let note = check.line("resolution_note", note, 4000);
                row.status = Set(status);
                row.resolution_note = Set(Some(note));
                row.closed_at = Set(Some(Utc::now()));
            }
            Some(status) => {
                return Err(ApiError::Conflict(format!(
                    "an action item that is {} cannot become {status}",
                    current.status
                )));
            }
        }
    } else if let Some(note) = &changes.resolution_note {
        row.resolution_note = Set(Some(check.text("resolution_note", note, 4000)));
    }
    check.finish()?;
    row.version = Set(current.version + 1);
    let result = action_item::Entity::update_many()
        .set(row)
        .filter(action_item::Column::Id.eq(id))
        .filter(action_item::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    let updated = action_item::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("action item"))?;
    if closing {
        let owner_department = user::Entity::find_by_id(updated.owner_user_id)
            .one(&txn)
            .await?
            .and_then(|owner| owner.department_id);
        let pair = [review.department_a_id, review.department_b_id];
        let others: Vec<DepartmentId> = match owner_department {
            Some(department) if pair.contains(&department) => {
                pair.into_iter().filter(|d| *d != department).collect()
            }
            _ => pair.to_vec(),
        };
        let message = format!(
            "Action \"{}\" from a review was {}: {}",
            updated.title,
            updated.status,
            updated.resolution_note.clone().unwrap_or_default()
        );
        for department in others {
            notifications::notify_department(
                &txn,
                actor.organisation_id,
                department,
                Kind::ActionClosed,
                updated.review_id,
                &message,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(updated)
}
