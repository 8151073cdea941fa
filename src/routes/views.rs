//! `/views`: the caller's saved views of the request list.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::{Route, State, delete, get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::saved_view;
use crate::error::ApiResult;
use crate::http::{Body, Reply};
use crate::identity::AuthUser;
use crate::services::views;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![save, list, remove]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    /// 1 to 100 characters, once per person.
    pub name: String,
    /// The request list's filters as a query string: `status`, `provider`,
    /// `customer`, `agreement`, `overdue`, `due_before`, `due_after`,
    /// `assignee`, `assignee_user_id`, `q` (e.g. `status=open&q=contract`).
    pub query: String,
}

#[derive(Serialize, ToSchema)]
pub struct ViewOut {
    pub id: i64,
    pub name: String,
    pub query: String,
    pub created_at: DateTime<Utc>,
}

impl From<saved_view::Model> for ViewOut {
    fn from(row: saved_view::Model) -> Self {
        ViewOut {
            id: row.id,
            name: row.name,
            query: row.query,
            created_at: row.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ViewList {
    pub items: Vec<ViewOut>,
}

/// Saves a filter and search of the request list under a name.
#[utoipa::path(post, path = "/views", tag = "views", request_body = NewView,
    security(("bearer" = [])),
    responses((status = 201, body = ViewOut), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/views", data = "<body>")]
async fn save(
    state: &State<AppState>,
    actor: AuthUser,
    body: Body<NewView>,
) -> ApiResult<Reply<ViewOut>> {
    let body = body.0;
    let created = views::save(state.db(), &actor, &body.name, &body.query).await?;
    Ok(Reply::created(ViewOut::from(created)))
}

/// The caller's views, by name.
#[utoipa::path(get, path = "/views", tag = "views", security(("bearer" = [])),
    responses((status = 200, body = ViewList)))]
#[get("/views")]
async fn list(state: &State<AppState>, actor: AuthUser) -> ApiResult<Reply<ViewList>> {
    let items = views::list(state.db(), &actor).await?;
    Ok(Reply::ok(ViewList {
        items: items.into_iter().map(ViewOut::from).collect(),
    }))
}

/// Deletes one of the caller's views.
#[utoipa::path(delete, path = "/views/{id}", tag = "views", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
#[delete("/views/<id>")]
async fn remove(state: &State<AppState>, actor: AuthUser, id: i64) -> ApiResult<Status> {
    views::delete(state.db(), &actor, id).await?;
    Ok(Status::NoContent)
}
