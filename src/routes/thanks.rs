//! Thanks for a delivery: `/requests/{id}/thanks` (give, and read those of
//! one request) and `/departments/{id}/thanks` (those a provider received,
//! newest first).

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::ids::{DepartmentId, RequestId, UserId};
use crate::entities::thanks;
use crate::error::ApiResult;
use crate::http::{Body, Reply};
use crate::identity::AuthUser;
use crate::pagination::{NewestFirst, Page};
use crate::services::thanks as service;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![thank, of_request, of_department]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThanksBody {
    /// 1 to 500 characters: what you are thanking them for.
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct ThanksOut {
    pub id: i64,
    pub request_id: RequestId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub user_id: UserId,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<thanks::Model> for ThanksOut {
    fn from(row: thanks::Model) -> Self {
        ThanksOut {
            id: row.id,
            request_id: row.request_id,
            provider_department_id: row.provider_department_id,
            customer_department_id: row.customer_department_id,
            user_id: row.user_id,
            note: row.note,
            created_at: row.created_at,
        }
    }
}

/// Thanks the provider for a delivered request (the customer side: its
/// lead or staff, or an admin; once per person). Every member of the
/// providing department is told.
#[utoipa::path(post, path = "/requests/{id}/thanks", tag = "thanks", request_body = ThanksBody,
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = ThanksOut),
              (status = 403, description = "not the customer side", body = crate::error::Problem),
              (status = 404, body = crate::error::Problem),
              (status = 409, description = "not delivered, or already thanked by you", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/requests/<id>/thanks", data = "<body>")]
async fn thank(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
    body: Body<ThanksBody>,
) -> ApiResult<Reply<ThanksOut>> {
    let created = service::thank(state.db(), &actor, id, &body.0.note).await?;
    Ok(Reply::created(ThanksOut::from(created)))
}

/// The thanks for one request (anyone who may read it), oldest first.
#[utoipa::path(get, path = "/requests/{id}/thanks", tag = "thanks", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ThanksOut>), (status = 404, body = crate::error::Problem)))]
#[get("/requests/<id>/thanks")]
async fn of_request(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
) -> ApiResult<Reply<Vec<ThanksOut>>> {
    let rows = service::for_request(state.db(), &actor, id).await?;
    Ok(Reply::ok(rows.into_iter().map(ThanksOut::from).collect()))
}

/// The thanks a department received as a provider, newest first (anyone of
/// the organisation: thanks are meant to be seen).
#[utoipa::path(get, path = "/departments/{id}/thanks", tag = "thanks", security(("bearer" = [])),
    params(("id" = i64, Path), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<ThanksOut>), (status = 422, body = crate::error::Problem)))]
#[get("/departments/<id>/thanks?<limit>&<cursor>")]
async fn of_department(
    state: &State<AppState>,
    actor: AuthUser,
    id: DepartmentId,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Reply<Page<ThanksOut>>> {
    let page = NewestFirst::parse(limit, cursor)?;
    let rows = service::received_by(state.db(), &actor, id, page).await?;
    Ok(Reply::ok(Page::newest_first(
        rows,
        page,
        |row| row.id,
        ThanksOut::from,
    )))
}
