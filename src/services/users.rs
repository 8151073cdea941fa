//! Users of an organisation: admins create and deactivate them; everyone in
//! the organisation may read them (SPEC §8).

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::auth::{AuthUser, Role};
use crate::entities::{department, user};
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::services::accounts::{email_taken, hash_off_thread};
use crate::services::stale_if_untouched;
use crate::validate::Checker;

pub struct NewUser {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub department_id: Option<i64>,
}

#[tracing::instrument(skip_all, fields(actor = actor.id))]
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    input: NewUser,
) -> Result<user::Model, ApiError> {
    actor.require_admin()?;
    let mut check = Checker::new();
    let name = check.line("name", &input.name, 200);
    let email = check.email("email", &input.email);
    check.password("password", &input.password);
    match input.department_id {
        None if input.role.needs_department() => {
            check.add("department_id", "is required for leads and staff");
        }
        Some(id)
            if find_department(db, actor.organisation_id, id)
                .await?
                .is_none() =>
        {
            check.add(
                "department_id",
                format!("no department {id} in this organisation"),
            );
        }
        _ => {}
    }
    check.finish()?;
    // Emails are unique across organisations; the answer must not tell an
    // admin of one whose address another holds, so it does not echo it.
    if email_taken(db, &email).await? {
        return Err(ApiError::Conflict(
            "a user cannot be created with this email; choose another".into(),
        ));
    }
    let password_hash = hash_off_thread(input.password).await?;
    Ok(user::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        email: Set(email),
        name: Set(name),
        role: Set(input.role.as_str().into()),
        department_id: Set(input.department_id),
        password_hash: Set(password_hash),
        active: Set(true),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A user of the caller's organisation; another organisation's is 404.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(id)
        .filter(user::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
    department_id: Option<i64>,
) -> Result<Vec<user::Model>, ApiError> {
    let mut query = user::Entity::find()
        .filter(user::Column::OrganisationId.eq(actor.organisation_id))
        .filter(user::Column::Id.gt(page.after_id));
    if let Some(department_id) = department_id {
        query = query.filter(user::Column::DepartmentId.eq(department_id));
    }
    Ok(query
        .order_by_asc(user::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Deactivated users can no longer log in and their tokens stop working.
#[tracing::instrument(skip_all, fields(actor = actor.id, user = id))]
pub async fn deactivate(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<user::Model, ApiError> {
    actor.require_admin()?;
    let target = get(db, actor, id).await?;
    if target.id == actor.id {
        return Err(ApiError::Conflict(
            "you cannot deactivate your own account".into(),
        ));
    }
    if !target.active {
        return Ok(target);
    }
    let result = user::Entity::update_many()
        .col_expr(user::Column::Active, Expr::value(false))
        .col_expr(user::Column::Version, Expr::value(target.version + 1))
        .filter(user::Column::Id.eq(target.id))
        .filter(user::Column::Version.eq(target.version))
        .exec(db)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    get(db, actor, id).await
}

pub async fn find_department(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    id: i64,
) -> Result<Option<department::Model>, ApiError> {
    Ok(department::Entity::find_by_id(id)
        .filter(department::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?)
}
