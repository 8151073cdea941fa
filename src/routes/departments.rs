//! `/departments`: admins write; everyone in the organisation reads.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::{Route, State, delete, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::department;
use crate::entities::ids::{DepartmentId, UserId};
use crate::error::ApiResult;
use crate::http::Admin;
use crate::http::{Body, Reply};
use crate::identity::AuthUser;
use crate::pagination::{Page, PageRequest};
use crate::routes::nullable;
use crate::services::ExpectedVersion;
use crate::services::departments::{self, DepartmentChanges, NewDepartment};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![create, list, show, update, remove]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartmentBody {
    pub name: String,
    /// Unique per organisation: `[A-Z0-9_-]{1,16}`.
    pub code: String,
    /// Default: the organisation's default calendar.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// Must be null at creation: a new department has no leads yet.
    #[serde(default)]
    pub lead_user_id: Option<UserId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    pub code: Option<String>,
    pub calendar_id: Option<i64>,
    /// A user with role `lead` in this department, or null.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub lead_user_id: Option<Option<UserId>>,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentOut {
    pub id: DepartmentId,
    pub name: String,
    pub code: String,
    pub calendar_id: i64,
    pub lead_user_id: Option<UserId>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl From<department::Model> for DepartmentOut {
    fn from(row: department::Model) -> Self {
        DepartmentOut {
            id: row.id,
            name: row.name,
            code: row.code,
            calendar_id: row.calendar_id,
            lead_user_id: row.lead_user_id,
            version: row.version,
            created_at: row.created_at,
        }
    }
}

fn reply(row: department::Model, created: bool) -> Reply<DepartmentOut> {
    let version = row.version;
    let out = DepartmentOut::from(row);
    if created {
        Reply::created(out)
    } else {
        Reply::ok(out)
    }
    .versioned(version)
}

#[utoipa::path(post, path = "/departments", tag = "departments", request_body = NewDepartmentBody,
    security(("bearer" = [])),
    responses((status = 201, body = DepartmentOut), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[post("/departments", data = "<body>")]
async fn create(
    state: &State<AppState>,
    actor: Admin,
    body: Body<NewDepartmentBody>,
) -> ApiResult<Reply<DepartmentOut>> {
    let body = body.0;
    let row = departments::create(
        state.db(),
        &actor,
        NewDepartment {
            name: body.name,
            code: body.code,
            calendar_id: body.calendar_id,
            lead_user_id: body.lead_user_id,
        },
    )
    .await?;
    Ok(reply(row, true))
}

#[utoipa::path(get, path = "/departments", tag = "departments", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "one page, by ascending id", body = Page<DepartmentOut>)))]
#[get("/departments?<limit>&<cursor>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Reply<Page<DepartmentOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let rows = departments::list(state.db(), &actor, page).await?;
    Ok(Reply::ok(Page::from_rows(
        rows,
        page,
        |d| d.id,
        DepartmentOut::from,
    )))
}

#[utoipa::path(get, path = "/departments/{id}", tag = "departments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = DepartmentOut), (status = 404, body = crate::error::Problem)))]
#[get("/departments/<id>")]
async fn show(
    state: &State<AppState>,
    actor: AuthUser,
    id: DepartmentId,
) -> ApiResult<Reply<DepartmentOut>> {
    Ok(reply(
        departments::get(state.db(), &actor, id).await?,
        false,
    ))
}

#[utoipa::path(patch, path = "/departments/{id}", tag = "departments", request_body = DepartmentPatch,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = DepartmentOut), (status = 412, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[patch("/departments/<id>", data = "<body>")]
async fn update(
    state: &State<AppState>,
    actor: Admin,
    id: DepartmentId,
    if_match: ExpectedVersion,
    body: Body<DepartmentPatch>,
) -> ApiResult<Reply<DepartmentOut>> {
    let body = body.0;
    let row = departments::update(
        state.db(),
        &actor,
        id,
        if_match,
        DepartmentChanges {
            name: body.name,
            code: body.code,
            calendar_id: body.calendar_id,
            lead_user_id: body.lead_user_id,
        },
    )
    .await?;
    Ok(reply(row, false))
}

/// Deletes a department that nothing refers to (admin); 409 names what still
/// does: users, agreements, commitments, reviews.
#[utoipa::path(delete, path = "/departments/{id}", tag = "departments", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "deleted"), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem)))]
#[delete("/departments/<id>")]
async fn remove(
    state: &State<AppState>,
    actor: Admin,
    id: DepartmentId,
    if_match: ExpectedVersion,
) -> ApiResult<Status> {
    departments::delete(state.db(), &actor, id, if_match).await?;
    Ok(Status::NoContent)
}
