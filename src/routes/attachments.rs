//! Files on a request: `POST /requests/{id}/attachments` (multipart),
//! `GET /requests/{id}/attachments`, `GET /attachments/{id}` (the bytes).

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::attachment;
use crate::entities::ids::{RequestId, UserId};
use crate::error::{ApiError, ApiResult};
use crate::http::Reply;
use crate::http::files::{Download, Upload};
use crate::identity::AuthUser;
use crate::services::attachments;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![upload, list, download]
}

/// The upload form: one part, `file`, and no other (a body with other parts
/// is refused with 422, so the schema says so: `additionalProperties: false`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file, sent with its name (the last path component is kept) and,
    /// optionally, its content type (`application/octet-stream` when none);
    /// at most `BATON_ATTACHMENT_MAX_BYTES` bytes (25 MiB unless configured).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    pub request_id: RequestId,
    pub filename: String,
    /// In bytes.
    pub size: i64,
    pub content_type: String,
    /// Lower-case hex of the bytes' SHA-256.
    pub sha256: String,
    pub uploaded_by: UserId,
    pub created_at: DateTime<Utc>,
}

impl From<attachment::Model> for AttachmentOut {
    fn from(row: attachment::Model) -> Self {
        AttachmentOut {
            id: row.id,
            request_id: row.request_id,
            filename: row.filename,
            size: row.size,
            content_type: row.content_type,
            sha256: row.sha256,
            uploaded_by: row.uploaded_by_user_id,
            created_at: row.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<AttachmentOut>,
}

/// Attaches a file to a request (anyone who may read the request).
#[utoipa::path(post, path = "/requests/{id}/attachments", tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = AttachmentOut),
              (status = 400, description = "The body is not valid multipart/form-data"),
              (status = 404, description = "No such request that you may read"),
              (status = 413, description = "The file is larger than BATON_ATTACHMENT_MAX_BYTES (25 MiB unless configured)"),
              (status = 415, description = "The body is not sent as multipart/form-data"),
              (status = 422, description = "No part named file, another part, a file without a name, or a content type that is no media type")))]
#[post("/requests/<id>/attachments", data = "<upload>")]
async fn upload(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
    upload: Result<Upload, ApiError>,
) -> ApiResult<Reply<AttachmentOut>> {
    let file = upload?.into_file(&[])?;
    let created = attachments::add(state.db(), state.files.as_ref(), &actor, id, file).await?;
    Ok(Reply::created(AttachmentOut::from(created)))
}

/// A request's attachments, oldest first.
#[utoipa::path(get, path = "/requests/{id}/attachments", tag = "attachments",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AttachmentList), (status = 404, body = crate::error::Problem)))]
#[get("/requests/<id>/attachments")]
async fn list(
    state: &State<AppState>,
    actor: AuthUser,
    id: RequestId,
) -> ApiResult<Reply<AttachmentList>> {
    let rows = attachments::list(state.db(), &actor, id).await?;
    Ok(Reply::ok(AttachmentList {
        items: rows.into_iter().map(AttachmentOut::from).collect(),
    }))
}

/// The file's bytes, with the content type it was uploaded with, as a
/// download (`Content-Disposition: attachment`).
#[utoipa::path(get, path = "/attachments/{id}", tag = "attachments",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The bytes, in the content type the file was uploaded with",
               content_type = "application/octet-stream", body = String,
               headers(("Content-Disposition" = String, description = "attachment, with the file's name"),
                       ("X-Content-Type-Options" = String, description = "nosniff"))),
              (status = 404, body = crate::error::Problem)))]
#[get("/attachments/<id>")]
async fn download(state: &State<AppState>, actor: AuthUser, id: i64) -> ApiResult<Download> {
    let (row, object) = attachments::open(state.db(), state.files.as_ref(), &actor, id).await?;
    Ok(Download(row, object))
}
