//! The files of a request in the browser: the list on the request page,
//! the upload form's post and downloads, through the same service (and the
//! same multipart reading and download answer) as the API.

use chrono_tz::Tz;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::signed_in::constant_time_eq;
use super::{PageResult, PageUser, Refusal, local};
use crate::entities::ids::RequestId;
use crate::entities::{attachment, request};
use crate::error::ApiError;
use crate::http::files::{Download, Upload};
use crate::services::attachments;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![upload, download]
}

/// A file posted from the request page: back to the page with a message
/// either way (a request the person may not read stays a 404).
#[post("/requests/<id>/files", data = "<upload>")]
async fn upload(
    state: &State<AppState>,
    user: PageUser,
    id: RequestId,
    upload: Result<Upload, ApiError>,
) -> PageResult<Flash<Redirect>> {
    let back = Redirect::to(format!("/requests/{id}"));
    match attach(state, &user, id, upload).await {
        Ok(_) => Ok(Flash::success(back, "File attached.")),
        Err(error @ ApiError::NotFound(_)) => Err(error.into()),
        Err(error) => Ok(Flash::error(back, Refusal::of(error, &[])?.summary)),
    }
}

async fn attach(
    state: &AppState,
    user: &PageUser,
    id: RequestId,
    upload: Result<Upload, ApiError>,
) -> Result<attachment::Model, ApiError> {
    let upload = upload?;
    if !constant_time_eq(upload.text("_csrf").unwrap_or_default(), &user.csrf) {
        return Err(ApiError::Forbidden(
            "the form expired or came from elsewhere; reload the page and try again".into(),
        ));
    }
    let file = upload.into_file(&["_csrf"])?;
    attachments::add(state.db(), state.files.as_ref(), &user.auth, id, file).await
}

#[get("/files/<id>")]
async fn download(state: &State<AppState>, user: PageUser, id: i64) -> PageResult<Download> {
    let (row, object) = attachments::open(state.db(), state.files.as_ref(), &user.auth, id).await?;
    Ok(Download(row, object))
}

/// The request page's list of files: name, size, who added it and when.
pub(super) async fn file_list(
    state: &AppState,
    user: &PageUser,
    request: &request::Model,
    zone: Tz,
) -> Result<Vec<Value>, ApiError> {
    let rows = attachments::list_of(state.db(), request).await?;
    let people = super::people(state, user).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            json!({
                "id": row.id, "filename": row.filename, "size": shown_size(row.size),
                "who": people.name_or_number(row.uploaded_by_user_id),
                "at": local(row.created_at, zone),
            })
        })
        .collect())
}

/// A size for people: bytes, KiB or MiB with one decimal.
pub(super) fn shown_size(bytes: i64) -> String {
    const KIB: f64 = 1024.0;
    let value = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if value < KIB * KIB {
        format!("{:.1} KiB", value / KIB)
    } else {
        format!("{:.1} MiB", value / (KIB * KIB))
    }
}
