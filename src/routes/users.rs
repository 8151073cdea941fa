//! `/users`: admins create and deactivate; everyone in the organisation reads.

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::ids::{DepartmentId, OrganisationId, UserId};
use crate::entities::user;
use crate::error::ApiResult;
use crate::http::Admin;
use crate::http::{Body, Reply, query_id};
use crate::identity::{AuthUser, Role};
use crate::pagination::{Page, PageRequest};
use crate::routes::nullable;
use crate::services::ExpectedVersion;
use crate::services::users::{self, NewUser, UserChanges};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![create, list, show, update, deactivate]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: Role,
    /// Required for `lead` and `staff`.
    #[serde(default)]
    pub department_id: Option<DepartmentId>,
}

/// The fields an admin may change; the same rules as at creation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    /// Unique across the installation.
    pub email: Option<String>,
    /// Taking a lead out of the lead role clears their department's `lead_user_id`.
    pub role: Option<Role>,
    /// Required for `lead` and `staff`; null takes an admin or leader out of any department.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub department_id: Option<Option<DepartmentId>>,
}

/// A user as the API shows it (never the password hash).
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserOut {
    fn from(user: user::Model) -> Self {
        UserOut {
            id: user.id,
            organisation_id: user.organisation_id,
            email: user.email,
            name: user.name,
            role: user.role,
            department_id: user.department_id,
            active: user.active,
            version: user.version,
            created_at: user.created_at,
        }
    }
}

/// Creates a user (admin only).
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody, security(("bearer" = [])),
    responses((status = 201, body = UserOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[post("/users", data = "<body>")]
async fn create(
    state: &State<AppState>,
    actor: Admin,
    body: Body<NewUserBody>,
) -> ApiResult<Reply<UserOut>> {
    let body = body.0;
    let user = users::create(
        state.db(),
        &actor,
        NewUser {
            name: body.name,
            email: body.email,
            password: body.password,
            role: body.role,
            department_id: body.department_id,
        },
    )
    .await?;
    let version = user.version;
    Ok(Reply::created(UserOut::from(user)).versioned(version))
}

/// Users of the caller's organisation, by id.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query), ("department_id" = Option<i64>, Query)),
    responses((status = 200, description = "one page, by ascending id", body = Page<UserOut>)))]
#[get("/users?<limit>&<cursor>&<department_id>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
    department_id: Option<&str>,
) -> ApiResult<Reply<Page<UserOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let department_id = query_id("department_id", department_id)?;
    let rows = users::list(state.db(), &actor, page, department_id).await?;
    Ok(Reply::ok(Page::from_rows(
        rows,
        page,
        |u| u.id,
        UserOut::from,
    )))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = crate::error::Problem)))]
#[get("/users/<id>")]
async fn show(state: &State<AppState>, actor: AuthUser, id: UserId) -> ApiResult<Reply<UserOut>> {
    let user = users::get(state.db(), &actor, id).await?;
    let version = user.version;
    Ok(Reply::ok(UserOut::from(user)).versioned(version))
}

/// Edits a user's name, email, role or department (admin). Moving a lead
/// out of their department, or out of the lead role, clears that
/// department's `lead_user_id`.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserPatch, security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = UserOut), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[patch("/users/<id>", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: Admin,
    id: UserId,
    if_match: ExpectedVersion,
    body: Body<UserPatch>,
) -> ApiResult<Reply<UserOut>> {
    let body = body.0;
    let user = users::update(
        state.db(),
        &actor,
        id,
        if_match,
        UserChanges {
            name: body.name,
            email: body.email,
            role: body.role,
            department_id: body.department_id,
        },
    )
    .await?;
    let version = user.version;
    Ok(Reply::ok(UserOut::from(user)).versioned(version))
}

/// Deactivates a user: no more logins, existing tokens stop working.
#[utoipa::path(post, path = "/users/{id}/deactivate", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem),
              (status = 409, description = "your own account", body = crate::error::Problem)))]
#[post("/users/<id>/deactivate")]
async fn deactivate(
    state: &State<AppState>,
    actor: Admin,
    id: UserId,
) -> ApiResult<Reply<UserOut>> {
    let user = users::deactivate(state.db(), &actor, id).await?;
    let version = user.version;
    Ok(Reply::ok(UserOut::from(user)).versioned(version))
}
