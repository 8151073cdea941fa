//! The one error type of the API and its `application/problem+json` response
//! (SPEC §7). Internal causes are logged, never shown.

use std::collections::BTreeMap;
use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use sea_orm::DbErr;
use serde::Serialize;

/// Field path → messages, as in the `errors` member of a problem.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The path exists, but not for this method; `allow` lists the methods
    /// it has, for the `Allow` header (RFC 9110 §15.5.6).
    #[error("this resource does not answer this method; it answers {allow}")]
    MethodNotAllowed { allow: String },
    #[error("{0}")]
    Conflict(String),
    #[error("the resource has changed since you read it; fetch it again")]
    Stale,
    #[error("the request body is larger than 1 MiB")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    Validation { detail: String, errors: FieldErrors },
    #[error("too many {what}; try again in {retry_after_seconds} seconds")]
    TooManyRequests {
        /// What there was too much of, e.g. "failed login attempts".
        what: &'static str,
        retry_after_seconds: u64,
    },
    /// Anything the client cannot fix; the cause is logged only.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 422 with one message on one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.into(), vec![message.into()]);
        ApiError::invalid(errors)
    }

    /// A 422 carrying every field error found.
    pub fn invalid(errors: FieldErrors) -> Self {
        ApiError::Validation {
            detail: "the request is well-formed but some values are invalid".into(),
            errors,
        }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn status(&self) -> Status {
        match self {
            ApiError::BadRequest(_) => Status::BadRequest,
            ApiError::Unauthorized(_) => Status::Unauthorized,
            ApiError::Forbidden(_) => Status::Forbidden,
            ApiError::NotFound(_) => Status::NotFound,
            ApiError::MethodNotAllowed { .. } => Status::MethodNotAllowed,
            ApiError::Conflict(_) => Status::Conflict,
            ApiError::Stale => Status::PreconditionFailed,
            ApiError::PayloadTooLarge => Status::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => Status::UnsupportedMediaType,
            ApiError::Validation { .. } => Status::UnprocessableEntity,
            ApiError::TooManyRequests { .. } => Status::TooManyRequests,
            ApiError::Internal(_) => Status::InternalServerError,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "malformed-request",
            ApiError::Unauthorized(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::Stale => "stale-version",
            ApiError::PayloadTooLarge => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Validation { .. } => "validation",
            ApiError::TooManyRequests { .. } => "too-many-requests",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            r#type: format!("urn:baton:problem:{}", self.slug()),
            title: status.reason().unwrap_or("Error").to_owned(),
            status: status.code,
            detail: self.to_string(),
            errors: match self {
                ApiError::Validation { errors, .. } => errors.clone(),
                _ => FieldErrors::new(),
            },
        }
    }

    /// The error a bare status turns into when no handler said more
    /// (unknown route, guard without detail).
    pub fn from_status(status: Status) -> Self {
        match status.code {
            400 => ApiError::BadRequest("the request is malformed".into()),
            401 => ApiError::Unauthorized("a valid bearer token is required".into()),
            403 => ApiError::Forbidden("you are not allowed to do this".into()),
            404 => ApiError::NotFound("no such resource".into()),
            409 => ApiError::Conflict("the request conflicts with the current state".into()),
            412 => ApiError::Stale,
            413 => ApiError::PayloadTooLarge,
            415 => ApiError::UnsupportedMediaType("the body must be application/json".into()),
            422 => ApiError::invalid(FieldErrors::new()),
            429 => ApiError::TooManyRequests {
                what: "requests",
                retry_after_seconds: 60,
            },
            _ => ApiError::Internal(format!("unhandled status {status}")),
        }
    }
}

/// RFC 9457 problem details, exactly the members SPEC §7 lists.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub errors: FieldErrors,
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::Conflict("a resource with the same unique value already exists".into())
            }
            _ => match error {
                DbErr::RecordNotFound(_) => ApiError::NotFound("no such resource".into()),
                other => ApiError::Internal(format!("database: {other}")),
            },
        }
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = Response::build();
        response
            .status(self.status())
            .header(ContentType::new("application", "problem+json"))
            .sized_body(body.len(), Cursor::new(body));
        if let ApiError::TooManyRequests {
            retry_after_seconds,
            ..
        } = &self
        {
            response.header(Header::new("Retry-After", retry_after_seconds.to_string()));
        }
        if let ApiError::MethodNotAllowed { allow } = &self {
            response.header(Header::new("Allow", allow.clone()));
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            response.header(Header::new("WWW-Authenticate", "Bearer"));
        }
        response.ok()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Request guards that fail stash their error here so that the catcher can
/// answer with the full problem instead of a bare status.
pub fn stash(request: &Request<'_>, error: ApiError) -> Status {
    let status = error.status();
    if let Ok(mut slot) = request
        .local_cache(|| StashedError(std::sync::Mutex::new(None)))
        .0
        .lock()
    {
        *slot = Some(error);
    }
    status
}

/// The error a guard stashed for this request, if any.
pub fn take_stashed(request: &Request<'_>) -> Option<ApiError> {
    request
        .local_cache(|| StashedError(std::sync::Mutex::new(None)))
        .0
        .lock()
        .ok()
        .and_then(|mut slot| slot.take())
}

struct StashedError(std::sync::Mutex<Option<ApiError>>);
