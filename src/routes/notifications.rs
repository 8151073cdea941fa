//! `/notifications`: the caller's in-app notifications, unread first.

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entities::ids::{CommitmentId, RequestId};
use crate::entities::notification;
use crate::entities::notification::NotificationKind;
use crate::error::{ApiError, ApiResult};
use crate::http::Reply;
use crate::identity::AuthUser;
use crate::pagination::MAX_LIMIT;
use crate::services::notifications;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![list, mark_read, mark_all_read]
}

#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    /// `forecast_late | overdue | action_closed | assigned | mentioned |
    /// commitment_endangered | due_soon | escalated | review_scheduled |
    /// review_moved | thanked | pulse_opened | pulse_answered`
    #[schema(value_type = String)]
    pub kind: NotificationKind,
    pub request_id: Option<RequestId>,
    /// For a notice about a promise to an outside customer.
    pub commitment_id: Option<CommitmentId>,
    /// For a notice about a review.
    pub review_id: Option<i64>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<notification::Model> for NotificationOut {
    fn from(row: notification::Model) -> Self {
        NotificationOut {
            id: row.id,
            kind: row.kind,
            request_id: row.request_id,
            commitment_id: row.commitment_id,
            review_id: row.review_id,
            message: row.message,
            created_at: row.created_at,
            read_at: row.read_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationOut>,
    pub unread: usize,
}

#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}

/// The caller's latest notifications (up to `limit`, default 50), unread first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])),
    params(("unread" = Option<bool>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = NotificationList)))]
#[get("/notifications?<unread>&<limit>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    unread: Option<&str>,
    limit: Option<&str>,
) -> ApiResult<Reply<NotificationList>> {
    let unread_only = match unread {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::field("unread", "must be true or false")),
    };
    let limit = match limit.map(str::parse::<u64>) {
        None => 50,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return Err(ApiError::field("limit", "must be an integer from 1 to 200")),
    };
    let rows = notifications::list_for(state.db(), &actor, unread_only, limit).await?;
    let unread = rows.iter().filter(|row| row.read_at.is_none()).count();
    Ok(Reply::ok(NotificationList {
        items: rows.into_iter().map(NotificationOut::from).collect(),
        unread,
    }))
}

#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = NotificationOut), (status = 404, body = crate::error::Problem)))]
#[post("/notifications/<id>/read")]
async fn mark_read(
    state: &State<AppState>,
    actor: AuthUser,
    id: i64,
) -> ApiResult<Reply<NotificationOut>> {
    let row = notifications::mark_read(state.db(), &actor, id).await?;
    Ok(Reply::ok(NotificationOut::from(row)))
}

#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead)))]
#[post("/notifications/read-all")]
async fn mark_all_read(state: &State<AppState>, actor: AuthUser) -> ApiResult<Reply<MarkedRead>> {
    let marked = notifications::mark_all_read(state.db(), &actor).await?;
    Ok(Reply::ok(MarkedRead { marked }))
}
