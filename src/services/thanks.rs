//! Thanks: "thank your customers often", and let a provider hear it from
//! theirs. Someone of the customer side (its lead or staff, or an admin)
//! thanks the provider for one delivered request with a short note.
//!
//! - At most one thanks per person and request (a second is `409`); the
//!   note is 1–500 characters.
//! - Every active member of the providing department hears it (notice
//!   `thanked`, and its mail); the request's history gets a `thanked`
//!   event; the provider's department page shows it.
//! - A thanked delivery rated 10 on time is *amazed* (`requests::levels`):
//!   the request's level is computed again in the same transaction, with
//!   the version check every change of a request makes, so that a rating
//!   given at the same moment cannot leave the level of the other.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use crate::entities::ids::{DepartmentId, RequestId};
use crate::entities::{department, request, thanks};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::NewestFirst;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::requests::levels;
use crate::services::{notifications, requests};
use crate::validate::Checker;

/// The longest note, in characters.
pub const MAX_NOTE: usize = 500;

/// Whether `actor` speaks for the customer side of `row`.
fn customer_side(actor: &AuthUser, row: &request::Model) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Leader => false,
        Role::Lead | Role::Staff => actor.department_id == Some(row.customer_department_id),
    }
}

/// Whether `actor` may thank for `row` now (for pages offering the form).
pub fn may_thank(actor: &AuthUser, row: &request::Model) -> bool {
    customer_side(actor, row) && row.status.is_finished()
}

/// Thanks the provider of request `request_id` for its delivery.
#[tracing::instrument(skip_all, fields(actor = %actor.id, request = %request_id))]
pub async fn thank(
    db: &sea_orm::DatabaseConnection,
    actor: &AuthUser,
    request_id: RequestId,
    note: &str,
) -> Result<thanks::Model, ApiError> {
    thank_at(db, actor, request_id, note, Utc::now()).await
}

/// [`thank`] as of `at` (the demonstration's history is played at its own
/// times; the API thanks now).
pub async fn thank_at(
    db: &sea_orm::DatabaseConnection,
    actor: &AuthUser,
    request_id: RequestId,
    note: &str,
    at: chrono::DateTime<Utc>,
) -> Result<thanks::Model, ApiError> {
    let mut check = Checker::new();
    let note = check.text("note", note.trim(), MAX_NOTE);
    if note.is_empty() {
        check.add("note", "must say what you are thanking them for");
    }
    check.finish()?;
    let txn = crate::db::begin_write(db).await?;
    let row = requests::get(&txn, actor, request_id).await?;
    if !customer_side(actor, &row) {
        return Err(ApiError::Forbidden(
            "only the customer side thanks for a delivery".into(),
        ));
    }
    if !row.status.is_finished() {
        return Err(ApiError::Conflict(
            "thanks are for a delivery: this request is not delivered".into(),
        ));
    }
    let already = thanks::Entity::find()
        .filter(thanks::Column::RequestId.eq(request_id))
        .filter(thanks::Column::UserId.eq(actor.id))
        .one(&txn)
        .await?;
    if already.is_some() {
        return Err(ApiError::Conflict(
            "you have already thanked them for this delivery".into(),
        ));
    }
    let created = thanks::ActiveModel {
        organisation_id: Set(row.organisation_id),
        request_id: Set(request_id),
        provider_department_id: Set(row.provider_department_id),
        customer_department_id: Set(row.customer_department_id),
        user_id: Set(actor.id),
        note: Set(note.clone()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| match ApiError::from(error) {
        // Two tabs thanking at once: the unique index keeps one.
        ApiError::Conflict(_) => {
            ApiError::Conflict("you have already thanked them for this delivery".into())
        }
        other => other,
    })?;
    if !row.thanked {
        let updated = request::Entity::update_many()
            .col_expr(request::Column::Thanked, true.into())
            .col_expr(
                request::Column::ServiceLevel,
                levels::of_row(&row, row.rating_score, true).into(),
            )
            .col_expr(request::Column::Version, (row.version + 1).into())
            .filter(request::Column::Id.eq(row.id))
            .filter(request::Column::Version.eq(row.version))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(ApiError::Conflict(
                "the request changed at the same moment; read it again and retry".into(),
            ));
        }
    }
    events::append(
        &txn,
        NewEvent {
            organisation_id: row.organisation_id,
            subject: Subject::Request(request_id),
            kind: "thanked",
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({"thanks_id": created.id, "note": note}),
        },
    )
    .await?;
    let customer = department_name(&txn, row.customer_department_id).await?;
    let recipients =
        notifications::members_of(&txn, row.organisation_id, row.provider_department_id).await?;
    notifications::notify_users(
        &txn,
        row.organisation_id,
        &recipients,
        notifications::Kind::Thanked,
        Some(request_id),
        &format!("{customer} thanked you for \"{}\": {note}", row.title),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

async fn department_name(db: &impl ConnectionTrait, id: DepartmentId) -> Result<String, ApiError> {
    Ok(department::Entity::find_by_id(id)
        .one(db)
        .await?
        .map_or_else(|| "Your customer".to_owned(), |row| row.name))
}

/// The thanks for one request the caller may read, oldest first.
pub async fn for_request(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    request_id: RequestId,
) -> Result<Vec<thanks::Model>, ApiError> {
    let row = requests::get(db, actor, request_id).await?;
    of_request(db, &row).await
}

/// The thanks given for `row`, a request the caller has already read (and
/// so may read), oldest first.
pub async fn of_request(
    db: &impl ConnectionTrait,
    row: &request::Model,
) -> Result<Vec<thanks::Model>, ApiError> {
    Ok(thanks::Entity::find()
        .filter(thanks::Column::RequestId.eq(row.id))
        .order_by_asc(thanks::Column::Id)
        .all(db)
        .await?)
}

/// One page of the thanks a department received, newest first. Thanks are
/// praise meant to be seen: anyone of the organisation may read them.
pub async fn received_by(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    department_id: DepartmentId,
    page: NewestFirst,
) -> Result<Vec<thanks::Model>, ApiError> {
    Ok(thanks::Entity::find()
        .filter(thanks::Column::OrganisationId.eq(actor.organisation_id))
        .filter(thanks::Column::ProviderDepartmentId.eq(department_id))
        .filter(thanks::Column::Id.lt(page.before_id))
        .order_by_desc(thanks::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}
