//! Files uploaded to a request: anyone who may read the request may add one
//! and download those there.
//!
//! - The bytes go to the object store (`file_store.rs`) under
//!   `{organisation}/{random hex}`, never a name taken from the file; the
//!   row records the name as sent (its last path component, without
//!   control characters), size, content type and SHA-256.
//! - The object is written first, then the row and the request's event
//!   (`attached`) in one transaction; when that fails the object is removed
//!   again, so that no row points at nothing and, as far as the store
//!   allows, no object is left without a row.
//! - An attachment is part of the record: never changed or deleted.

use chrono::Utc;
use object_store::path::Path;
use object_store::{GetResult, ObjectStore, ObjectStoreExt, PutPayload};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::entities::ids::RequestId;
use crate::entities::{attachment, request};
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::requests;

/// The longest file name kept, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;
/// The content type of a file sent without one.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// A file as it arrived, read and hashed by the front end.
pub struct NewFile {
    /// The name the client gave, if any; checked by [`add`].
    pub filename: Option<String>,
    /// The `Content-Type` the client gave the file, if any.
    pub content_type: Option<String>,
    pub payload: PutPayload,
    /// Lower-case hex of the bytes' SHA-256.
    pub sha256: String,
}

/// Stores a file and records it on a request the caller may read.
#[tracing::instrument(skip_all, fields(actor = %actor.id, request = %request_id))]
pub async fn add(
    db: &sea_orm::DatabaseConnection,
    files: &dyn ObjectStore,
    actor: &AuthUser,
    request_id: RequestId,
    file: NewFile,
) -> Result<attachment::Model, ApiError> {
    requests::get(db, actor, request_id).await?;
    let filename = file
        .filename
        .as_deref()
        .ok_or_else(|| ApiError::field("file", "must be a file, sent with its name"))
        .and_then(|name| {
            checked_filename(name).map_err(|message| ApiError::field("file", message))
        })?;
    let content_type = checked_content_type(file.content_type.as_deref())
        .map_err(|message| ApiError::field("file", message))?;
    let size = i64::try_from(file.payload.content_length())
        .map_err(|_| ApiError::Internal("a file size past i64".into()))?;
    let storage_key = format!(
        "{}/{}",
        actor.organisation_id,
        crate::config::random_hex(16)
    );
    let location = Path::from(storage_key.as_str());
    files
        .put(&location, file.payload)
        .await
        .map_err(store_error)?;
    let recorded = record(
        db,
        actor,
        attachment::ActiveModel {
            organisation_id: Set(actor.organisation_id),
            request_id: Set(request_id),
            filename: Set(filename),
            size: Set(size),
            content_type: Set(content_type),
            sha256: Set(file.sha256),
            storage_key: Set(storage_key),
            uploaded_by_user_id: Set(actor.id),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await;
    if recorded.is_err()
        && let Err(error) = files.delete(&location).await
    {
        tracing::warn!(%error, %location, "an attachment's object outlived its failed insert");
    }
    recorded
}

async fn record(
    db: &sea_orm::DatabaseConnection,
    actor: &AuthUser,
    row: attachment::ActiveModel,
) -> Result<attachment::Model, ApiError> {
    let txn = crate::db::begin_write(db).await?;
    // Read again inside the transaction: still there, still readable.
    let request_id = *row.request_id.as_ref();
    requests::get(&txn, actor, request_id).await?;
    let created = row.insert(&txn).await?;
    events::append(
        &txn,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Request(created.request_id),
            kind: "attached",
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({"attachment_id": created.id, "filename": created.filename}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A request's attachments, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    request_id: RequestId,
) -> Result<Vec<attachment::Model>, ApiError> {
    let row = requests::get(db, actor, request_id).await?;
    list_of(db, &row).await
}

/// The attachments of `row`, a request the caller has already read (and so
/// may read), oldest first.
pub async fn list_of(
    db: &impl ConnectionTrait,
    row: &request::Model,
) -> Result<Vec<attachment::Model>, ApiError> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::OrganisationId.eq(row.organisation_id))
        .filter(attachment::Column::RequestId.eq(row.id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

/// An attachment on a request the caller may read; anything else is 404.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<attachment::Model, ApiError> {
    let row = attachment::Entity::find_by_id(id)
        .filter(attachment::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    match requests::get(db, actor, row.request_id).await {
        Ok(_) => Ok(row),
        Err(ApiError::NotFound(_)) => Err(ApiError::not_found("attachment")),
        Err(other) => Err(other),
    }
}

/// An attachment and its bytes, as a stream from the store.
pub async fn open(
    db: &impl ConnectionTrait,
    files: &dyn ObjectStore,
    actor: &AuthUser,
    id: i64,
) -> Result<(attachment::Model, GetResult), ApiError> {
    let row = get(db, actor, id).await?;
    let object = files
        .get(&Path::from(row.storage_key.as_str()))
        .await
        .map_err(store_error)?;
    Ok((row, object))
}

fn store_error(error: object_store::Error) -> ApiError {
    ApiError::Internal(format!("attachment store: {error}"))
}

/// The name kept for a file: its last path component (either separator),
/// without control characters or surrounding blanks, 1 to
/// [`MAX_FILENAME_CHARS`] characters.
pub fn checked_filename(raw: &str) -> Result<String, &'static str> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        return Err("must have a file name");
    }
    if name.chars().count() > MAX_FILENAME_CHARS {
        return Err("its name must be at most 255 characters");
    }
    Ok(name.to_owned())
}

/// The `type/subtype` of a content type (parameters dropped, lower case);
/// none given is [`DEFAULT_CONTENT_TYPE`].
pub fn checked_content_type(raw: Option<&str>) -> Result<String, &'static str> {
    let Some(raw) = raw.map(str::trim).filter(|raw| !raw.is_empty()) else {
        return Ok(DEFAULT_CONTENT_TYPE.to_owned());
    };
    let essence = raw.split(';').next().unwrap_or_default().trim();
    let is_token = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if is_token(kind) && is_token(sub) => Ok(essence.to_ascii_lowercase()),
        _ => Err("its content type must be a media type such as text/plain"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_keeps_its_last_component_without_control_characters() {
        assert_eq!(checked_filename("report.pdf").unwrap(), "report.pdf");
        assert_eq!(checked_filename("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(
            checked_filename("C:\\Users\\ada\\cv.doc").unwrap(),
            "cv.doc"
        );
        assert_eq!(checked_filename("a\r\nb\u{7f}.txt").unwrap(), "ab.txt");
        assert_eq!(
            checked_filename("résumé \"final\".pdf").unwrap(),
            "résumé \"final\".pdf"
        );
        for bad in ["", "dir/", "..", " \t", "\u{1}"] {
            assert!(checked_filename(bad).is_err(), "{bad:?}");
        }
        assert!(checked_filename(&"é".repeat(255)).is_ok());
        assert!(checked_filename(&"é".repeat(256)).is_err());
    }

    #[test]
    fn a_content_type_is_a_type_and_a_subtype() {
        assert_eq!(checked_content_type(None).unwrap(), DEFAULT_CONTENT_TYPE);
        assert_eq!(
            checked_content_type(Some(" ")).unwrap(),
            DEFAULT_CONTENT_TYPE
        );
        assert_eq!(
            checked_content_type(Some("Text/Plain; charset=utf-8")).unwrap(),
            "text/plain"
        );
        assert_eq!(
            checked_content_type(Some("application/vnd.ms-excel")).unwrap(),
            "application/vnd.ms-excel"
        );
        for bad in [
            "text",
            "text/",
            "/plain",
            "text/pl ain",
            "te\"xt/plain",
            "a/b/c",
        ] {
            assert!(checked_content_type(Some(bad)).is_err(), "{bad}");
        }
    }
}
