//! Users of an organisation: admins create, edit and deactivate them;
//! everyone in the organisation may read them (SPEC §8). Every change is an
//! event of the audit log, written in the same transaction.
//!
//! A department's `lead_user_id` must name one of its leads, so an edit that
//! takes a lead out of the department or away from the lead role clears it.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::entities::ids::{DepartmentId, OrganisationId, UserId};
use crate::entities::{department, user};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::accounts::{email_taken, hash_off_thread};
use crate::services::events::{self, Subject};
use crate::services::stale_if_untouched;
use crate::validate::Checker;

/// Fields a `PATCH` may change; `department_id: Some(None)` takes the user
/// out of any department.
#[derive(Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    pub department_id: Option<Option<DepartmentId>>,
}

pub struct NewUser {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub async fn create(
    db: &DatabaseConnection,
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
    refuse_taken_email(db, &email).await?;
    // Hashed before the write turn: argon2 takes a while and holds nothing.
    let password_hash = hash_off_thread(input.password).await?;
    let txn = crate::db::begin_write(db).await?;
    let created = user::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        email: Set(email),
        name: Set(name),
        role: Set(input.role),
        department_id: Set(input.department_id),
        password_hash: Set(password_hash),
        active: Set(true),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    events::record(
        &txn,
        actor,
        Subject::User(created.id),
        "user.created",
        json!({
            "name": created.name,
            "email": created.email,
            "role": created.role,
            "department_id": created.department_id,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Edits name, email, role or department under the rules of creation.
#[tracing::instrument(skip_all, fields(actor = %actor.id, user = %id))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: UserId,
    if_match: ExpectedVersion,
    changes: UserChanges,
) -> Result<user::Model, ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if_match.check(current.version)?;
    let current_role = current.role;
    let mut check = Checker::new();
    let name = match &changes.name {
        Some(name) => check.line("name", name, 200),
        None => current.name.clone(),
    };
    let email = match &changes.email {
        Some(email) => check.email("email", email),
        None => current.email.clone(),
    };
    let role = changes.role.unwrap_or(current_role);
    let department_id = changes.department_id.unwrap_or(current.department_id);
    if role != current_role && id == actor.id {
        // The last admin could otherwise leave the organisation without one.
        check.add("role", "you cannot change your own role");
    }
    match department_id {
        None if role.needs_department() => {
            check.add("department_id", "is required for leads and staff");
        }
        Some(department)
            if changes.department_id.is_some()
                && find_department(&txn, actor.organisation_id, department)
                    .await?
                    .is_none() =>
        {
            check.add(
                "department_id",
                format!("no department {department} in this organisation"),
            );
        }
        _ => {}
    }
    check.finish()?;
    if email != current.email {
        refuse_taken_email(&txn, &email).await?;
    }
    let result = user::Entity::update_many()
        .col_expr(user::Column::Name, Expr::value(name.clone()))
        .col_expr(user::Column::Email, Expr::value(email.clone()))
        .col_expr(user::Column::Role, Expr::value(role.as_str()))
        .col_expr(user::Column::DepartmentId, Expr::value(department_id))
        .col_expr(user::Column::Version, Expr::value(current.version + 1))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    let left_the_chair = role != Role::Lead || department_id != current.department_id;
    if left_the_chair {
        release_chair(
            &txn,
            actor,
            id,
            department_id.filter(|_| role == Role::Lead),
        )
        .await?;
    }
    let data = events::changes(&[
        ("name", json!(current.name), json!(name)),
        ("email", json!(current.email), json!(email)),
        ("role", json!(current.role), json!(role.as_str())),
        (
            "department_id",
            json!(current.department_id),
            json!(department_id),
        ),
    ]);
    let kind = if role != current_role {
        "user.role_changed"
    } else {
        "user.updated"
    };
    events::record(&txn, actor, Subject::User(id), kind, data).await?;
    let updated = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Emails are unique across organisations; the answer must not tell an admin
/// of one whose address another holds, so it does not echo it.
async fn refuse_taken_email(db: &impl ConnectionTrait, email: &str) -> Result<(), ApiError> {
    if email_taken(db, email).await? {
        return Err(ApiError::Conflict(
            "this email cannot be used; choose another".into(),
        ));
    }
    Ok(())
}

/// Clears `lead_user_id` of every department that names this user and that
/// they no longer lead (`still_leads`: the department they lead now, if any).
async fn release_chair(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    user_id: UserId,
    still_leads: Option<DepartmentId>,
) -> Result<(), ApiError> {
    let chaired = department::Entity::find()
        .filter(department::Column::OrganisationId.eq(actor.organisation_id))
        .filter(department::Column::LeadUserId.eq(user_id))
        .all(db)
        .await?;
    for row in chaired
        .into_iter()
        .filter(|row| Some(row.id) != still_leads)
    {
        department::Entity::update_many()
            .col_expr(
                department::Column::LeadUserId,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(department::Column::Version, Expr::value(row.version + 1))
            .filter(department::Column::Id.eq(row.id))
            .exec(db)
            .await?;
        events::record(
            db,
            actor,
            Subject::Department(row.id),
            "department.updated",
            events::changes(&[("lead_user_id", json!(user_id), json!(null))]),
        )
        .await?;
    }
    Ok(())
}

/// A user of the caller's organisation; another organisation's is 404.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: UserId,
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
    department_id: Option<DepartmentId>,
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
#[tracing::instrument(skip_all, fields(actor = %actor.id, user = %id))]
pub async fn deactivate(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: UserId,
) -> Result<user::Model, ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let target = get(&txn, actor, id).await?;
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
        .exec(&txn)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    events::record(
        &txn,
        actor,
        Subject::User(id),
        "user.deactivated",
        json!({}),
    )
    .await?;
    let updated = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn find_department(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    id: DepartmentId,
) -> Result<Option<department::Model>, ApiError> {
    Ok(department::Entity::find_by_id(id)
        .filter(department::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?)
}

/// The names of the organisation's people among `ids`, by id.
pub async fn names(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    ids: impl Iterator<Item = UserId>,
) -> Result<std::collections::HashMap<UserId, String>, ApiError> {
    let ids: Vec<UserId> = ids
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut names = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(crate::services::ID_CHUNK) {
        // Only the two columns: a whole row carries timestamps to parse and
        // a password hash nobody here needs.
        let pairs: Vec<(UserId, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Name)
            .filter(user::Column::OrganisationId.eq(organisation_id))
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        names.extend(pairs);
    }
    Ok(names)
}
