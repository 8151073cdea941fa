//! Departments: a unique code per organisation, a calendar, and the lead who
//! chairs it (one of the department's users with role `lead`). Every change
//! is an event of the audit log, written in the same transaction; a
//! department is deleted only when nothing refers to it any more.
//! `overview` is what its page shows.

mod directory;
mod overview;

pub use directory::{Directory, Names, People, Person, version_of_account};
pub use overview::{DepartmentOverview, overview};

use chrono::Utc;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationDef, Set,
};
use serde_json::json;

use crate::entities::ids::{DepartmentId, OrganisationId, UserId};
use crate::entities::{agreement, calendar, commitment, department, review, user};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::events::{self, Subject};
use crate::services::users::find_department;
use crate::validate::Checker;

pub struct NewDepartment {
    pub name: String,
    pub code: String,
    /// `None`: the organisation's default calendar.
    pub calendar_id: Option<i64>,
    pub lead_user_id: Option<UserId>,
}

/// Fields a `PATCH` may change; `lead_user_id: Some(None)` clears the lead.
#[derive(Default)]
pub struct DepartmentChanges {
    pub name: Option<String>,
    pub code: Option<String>,
    pub calendar_id: Option<i64>,
    pub lead_user_id: Option<Option<UserId>>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &AuthUser,
    input: NewDepartment,
) -> Result<department::Model, ApiError> {
    actor.require_admin()?;
    let mut check = Checker::new();
    let name = check.line("name", &input.name, 200);
    let code = check.department_code("code", &input.code);
    let calendar_id = match input.calendar_id {
        Some(id) => id,
        None => crate::services::calendars::default_id(db, actor.organisation_id)
            .await?
            .ok_or_else(|| {
                ApiError::field(
                    "calendar_id",
                    "the organisation has no default calendar: name one",
                )
            })?,
    };
    check_calendar(db, &mut check, actor.organisation_id, calendar_id).await?;
    if input.lead_user_id.is_some() {
        // A new department has no users yet, so none can be its lead.
        check.add(
            "lead_user_id",
            "a new department has no leads yet: create the lead user in it, then set lead_user_id",
        );
    }
    check.finish()?;
    let txn = crate::db::begin_write(db).await?;
    ensure_code_free(&txn, actor.organisation_id, &code, None).await?;
    let row = department::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        name: Set(name),
        code: Set(code),
        calendar_id: Set(calendar_id),
        lead_user_id: Set(None),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    events::record(
        &txn,
        actor,
        Subject::Department(row.id),
        "department.created",
        json!({"name": row.name, "code": row.code, "calendar_id": row.calendar_id}),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Deletes a department nothing refers to; otherwise 409 naming what does
/// (its users, the agreements it is a party to, the commitments it owns, the
/// reviews it takes part in). Its requests all stand under its agreements.
#[tracing::instrument(skip_all, fields(actor = %actor.id, department = %id))]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: DepartmentId,
    if_match: ExpectedVersion,
) -> Result<(), ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if_match.check(current.version)?;
    let org = actor.organisation_id;
    let users = user::Entity::find()
        .filter(user::Column::OrganisationId.eq(org))
        .filter(user::Column::DepartmentId.eq(id))
        .count(&txn)
        .await?;
    let agreements = agreement::Entity::find()
        .filter(agreement::Column::OrganisationId.eq(org))
        .filter(
            Condition::any()
                .add(agreement::Column::ProviderDepartmentId.eq(id))
                .add(agreement::Column::CustomerDepartmentId.eq(id)),
        )
        .count(&txn)
        .await?;
    let commitments = commitment::Entity::find()
        .filter(commitment::Column::OrganisationId.eq(org))
        .filter(commitment::Column::OwnerDepartmentId.eq(id))
        .count(&txn)
        .await?;
    let reviews = review::Entity::find()
        .filter(review::Column::OrganisationId.eq(org))
        .filter(
            Condition::any()
                .add(review::Column::DepartmentAId.eq(id))
                .add(review::Column::DepartmentBId.eq(id)),
        )
        .count(&txn)
        .await?;
    let still: Vec<String> = [
        (users, "user"),
        (agreements, "agreement"),
        (commitments, "commitment"),
        (reviews, "review"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{count} {what}{}", if count == 1 { "" } else { "s" }))
    .collect();
    if !still.is_empty() {
        return Err(ApiError::Conflict(format!(
            "department {} is still referred to by {}",
            current.code,
            still.join(", ")
        )));
    }
    department::Entity::delete_by_id(id).exec(&txn).await?;
    events::record(
        &txn,
        actor,
        Subject::Department(id),
        "department.deleted",
        json!({"name": current.name, "code": current.code}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: DepartmentId,
) -> Result<department::Model, ApiError> {
    find_department(db, actor.organisation_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("department"))
}

/// Department `id` and its working calendar, in one statement (its page
/// shows both).
pub async fn with_calendar(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: DepartmentId,
) -> Result<(department::Model, calendar::Model), ApiError> {
    let its_calendar: RelationDef = department::Entity::belongs_to(calendar::Entity)
        .from(department::Column::CalendarId)
        .to(calendar::Column::Id)
        .into();
    department::Entity::find_by_id(id)
        .filter(department::Column::OrganisationId.eq(actor.organisation_id))
        .join(JoinType::InnerJoin, its_calendar)
        .select_also(calendar::Entity)
        .one(db)
        .await?
        .and_then(|(row, calendar)| Some((row, calendar?)))
        .ok_or_else(|| ApiError::not_found("department"))
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
) -> Result<Vec<department::Model>, ApiError> {
    Ok(department::Entity::find()
        .filter(department::Column::OrganisationId.eq(actor.organisation_id))
        .filter(department::Column::Id.gt(page.after_id))
        .order_by_asc(department::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

#[tracing::instrument(skip_all, fields(actor = %actor.id, department = %id))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: DepartmentId,
    if_match: ExpectedVersion,
    changes: DepartmentChanges,
) -> Result<department::Model, ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let current = get(db, actor, id).await?;
    if_match.check(current.version)?;
    let mut check = Checker::new();
    let mut row: department::ActiveModel = current.clone().into();
    if let Some(name) = &changes.name {
        row.name = Set(check.line("name", name, 200));
    }
    if let Some(code) = &changes.code {
        row.code = Set(check.department_code("code", code));
    }
    if let Some(calendar_id) = changes.calendar_id {
        check_calendar(db, &mut check, actor.organisation_id, calendar_id).await?;
        row.calendar_id = Set(calendar_id);
    }
    if let Some(lead) = changes.lead_user_id {
        if let Some(lead_id) = lead {
            check_lead(db, &mut check, actor.organisation_id, id, lead_id).await?;
        }
        row.lead_user_id = Set(lead);
    }
    check.finish()?;
    if let Some(code) = &changes.code {
        ensure_code_free(db, actor.organisation_id, code, Some(id)).await?;
    }
    row.version = Set(current.version + 1);
    // Guarded on the version read above, so a concurrent edit is not lost.
    let result = department::Entity::update_many()
        .set(row)
        .filter(department::Column::Id.eq(id))
        .filter(department::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    crate::services::stale_if_untouched(result.rows_affected)?;
    let updated = get(db, actor, id).await?;
    let data = events::changes(&[
        ("name", json!(current.name), json!(updated.name)),
        ("code", json!(current.code), json!(updated.code)),
        (
            "calendar_id",
            json!(current.calendar_id),
            json!(updated.calendar_id),
        ),
        (
            "lead_user_id",
            json!(current.lead_user_id),
            json!(updated.lead_user_id),
        ),
    ]);
    events::record(
        db,
        actor,
        Subject::Department(id),
        "department.updated",
        data,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

async fn check_calendar(
    db: &impl ConnectionTrait,
    check: &mut Checker,
    organisation_id: OrganisationId,
    calendar_id: i64,
) -> Result<(), ApiError> {
    let exists = calendar::Entity::find_by_id(calendar_id)
        .filter(calendar::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .is_some();
    if !exists {
        check.add(
            "calendar_id",
            format!("no calendar {calendar_id} in this organisation"),
        );
    }
    Ok(())
}

async fn check_lead(
    db: &impl ConnectionTrait,
    check: &mut Checker,
    organisation_id: OrganisationId,
    department_id: DepartmentId,
    lead_id: UserId,
) -> Result<(), ApiError> {
    let lead = user::Entity::find_by_id(lead_id)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?;
    match lead {
        None => check.add(
            "lead_user_id",
            format!("no user {lead_id} in this organisation"),
        ),
        Some(user) if user.role != Role::Lead || user.department_id != Some(department_id) => check
            .add(
                "lead_user_id",
                "must be a user with role lead in this department",
            ),
        Some(_) => {}
    }
    Ok(())
}

async fn ensure_code_free(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    code: &str,
    except_id: Option<DepartmentId>,
) -> Result<(), ApiError> {
    let clash = department::Entity::find()
        .filter(department::Column::OrganisationId.eq(organisation_id))
        .filter(department::Column::Code.eq(code))
        .one(db)
        .await?
        .filter(|existing| Some(existing.id) != except_id);
    match clash {
        Some(_) => Err(ApiError::Conflict(format!(
            "a department with code {code} already exists"
        ))),
        None => Ok(()),
    }
}

/// The names of the organisation's departments, by id: what pages show for
/// the ids a row carries.
pub async fn names(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
) -> Result<std::collections::HashMap<DepartmentId, String>, ApiError> {
    // Only the two columns: every page asks, and whole rows cost their
    // timestamps' parsing.
    let pairs: Vec<(DepartmentId, String)> = department::Entity::find()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::Name)
        .filter(department::Column::OrganisationId.eq(organisation_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(pairs.into_iter().collect())
}
