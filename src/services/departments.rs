//! Departments: a unique code per organisation, a calendar, and the lead who
//! chairs it (one of the department's users with role `lead`).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::auth::{AuthUser, Role};
use crate::entities::{calendar, department, user};
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::pagination::PageRequest;
use crate::services::users::find_department;
use crate::validate::Checker;

pub struct NewDepartment {
    pub name: String,
    pub code: String,
    pub calendar_id: i64,
    pub lead_user_id: Option<i64>,
}

/// Fields a `PATCH` may change; `lead_user_id: Some(None)` clears the lead.
#[derive(Default)]
pub struct DepartmentChanges {
    pub name: Option<String>,
    pub code: Option<String>,
    pub calendar_id: Option<i64>,
    pub lead_user_id: Option<Option<i64>>,
}

#[tracing::instrument(skip_all, fields(actor = actor.id))]
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    input: NewDepartment,
) -> Result<department::Model, ApiError> {
    actor.require_admin()?;
    let mut check = Checker::new();
    let name = check.line("name", &input.name, 200);
    let code = check.department_code("code", &input.code);
    check_calendar(db, &mut check, actor.organisation_id, input.calendar_id).await?;
    if input.lead_user_id.is_some() {
        // A new department has no users yet, so none can be its lead.
        check.add(
            "lead_user_id",
            "a new department has no leads yet: create the lead user in it, then set lead_user_id",
        );
    }
    check.finish()?;
    ensure_code_free(db, actor.organisation_id, &code, None).await?;
    Ok(department::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        name: Set(name),
        code: Set(code),
        calendar_id: Set(input.calendar_id),
        lead_user_id: Set(None),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<department::Model, ApiError> {
    find_department(db, actor.organisation_id, id)
        .await?
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

#[tracing::instrument(skip_all, fields(actor = actor.id, department = id))]
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
    if_match: IfMatch,
    changes: DepartmentChanges,
) -> Result<department::Model, ApiError> {
    actor.require_admin()?;
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
    get(db, actor, id).await
}

async fn check_calendar(
    db: &impl ConnectionTrait,
    check: &mut Checker,
    organisation_id: i64,
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
    organisation_id: i64,
    department_id: i64,
    lead_id: i64,
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
        Some(user)
            if user.role != Role::Lead.as_str() || user.department_id != Some(department_id) =>
        {
            check.add(
                "lead_user_id",
                "must be a user with role lead in this department",
            )
        }
        Some(_) => {}
    }
    Ok(())
}

async fn ensure_code_free(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    code: &str,
    except_id: Option<i64>,
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
