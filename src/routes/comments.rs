//! `/requests/{id}/comments`: the conversation on a request, oldest first.

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::comment;
use crate::entities::ids::{RequestId, UserId};
use crate::error::ApiResult;
use crate::http::{Body, Reply};
use crate::identity::AuthUser;
use crate::pagination::{Page, PageRequest};
use crate::services::comments;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![add, list, edit]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// 1 to 20,000 characters; line breaks and tabs, no other control characters.
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct CommentOut {
    pub id: i64,
    pub request_id: RequestId,
    pub author_user_id: UserId,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// When its author last corrected it; the earlier text is in the request's events.
    pub edited_at: Option<DateTime<Utc>>,
}

impl From<comment::Model> for CommentOut {
    fn from(row: comment::Model) -> Self {
        CommentOut {
            id: row.id,
            request_id: row.request_id,
            author_user_id: row.author_user_id,
            body: row.body,
            created_at: row.created_at,
            edited_at: row.edited_at,
        }
    }
}

/// Adds to the conversation (anyone who may read the request); `@name` or
/// `@email` notifies the person mentioned.
#[utoipa::path(post, path = "/requests/{id}/comments", tag = "comments", request_body = CommentBody,
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = CommentOut), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/requests/<id>/comments", data = "<body>")]
async fn add(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
    body: Body<CommentBody>,
) -> ApiResult<Reply<CommentOut>> {
    let created = comments::add(state.db(), &actor, id, &body.0.body).await?;
    Ok(Reply::created(CommentOut::from(created)))
}

/// The conversation, oldest first.
#[utoipa::path(get, path = "/requests/{id}/comments", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<CommentOut>), (status = 404, body = crate::error::Problem)))]
#[get("/requests/<id>/comments?<limit>&<cursor>")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Reply<Page<CommentOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let rows = comments::list(state.db(), &actor, id, page).await?;
    Ok(Reply::ok(Page::from_rows(
        rows,
        page,
        |row| row.id,
        CommentOut::from,
    )))
}

/// Corrects a comment (its author, within 15 minutes of writing it; 409
/// after). The earlier text stays in the request's events.
#[utoipa::path(patch, path = "/requests/{id}/comments/{comment_id}", tag = "comments",
    request_body = CommentBody, security(("bearer" = [])),
    params(("id" = i64, Path), ("comment_id" = i64, Path)),
    responses((status = 200, body = CommentOut), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[patch("/requests/<id>/comments/<comment_id>", data = "<body>")]
async fn edit(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
    comment_id: i64,
    body: Body<CommentBody>,
) -> ApiResult<Reply<CommentOut>> {
    let updated = comments::edit(state.db(), &actor, id, comment_id, &body.0.body).await?;
    Ok(Reply::ok(CommentOut::from(updated)))
}
