//! The one error type of the application and the problem document it
//! becomes (RFC 9457). It knows nothing of HTTP beyond status codes: the
//! responder that sends it as `application/problem+json` lives in
//! `http::problem`. Internal causes are logged there, never shown.

use std::collections::BTreeMap;

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
    /// `what` (the request body, a file) is larger than `limit_bytes`.
    #[error("{what} is larger than {}", byte_size(*limit_bytes))]
    PayloadTooLarge {
        what: &'static str,
        limit_bytes: u64,
    },
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

    /// The HTTP status code this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict(_) => 409,
            ApiError::Stale => 412,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Validation { .. } => 422,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::Internal(_) => 500,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "Bad Request",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound(_) => "Not Found",
            ApiError::MethodNotAllowed { .. } => "Method Not Allowed",
            ApiError::Conflict(_) => "Conflict",
            ApiError::Stale => "Precondition Failed",
            ApiError::PayloadTooLarge { .. } => "Payload Too Large",
            ApiError::UnsupportedMediaType(_) => "Unsupported Media Type",
            ApiError::Validation { .. } => "Unprocessable Entity",
            ApiError::TooManyRequests { .. } => "Too Many Requests",
            ApiError::Internal(_) => "Internal Server Error",
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
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Validation { .. } => "validation",
            ApiError::TooManyRequests { .. } => "too-many-requests",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        Problem {
            r#type: format!("urn:baton:problem:{}", self.slug()),
            title: self.title().to_owned(),
            status: self.status_code(),
            detail: self.to_string(),
            errors: match self {
                ApiError::Validation { errors, .. } => errors.clone(),
                _ => FieldErrors::new(),
            },
        }
    }

    /// The error a bare status turns into when no handler said more
    /// (unknown route, guard without detail).
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => ApiError::BadRequest("the request is malformed".into()),
            401 => ApiError::Unauthorized("a valid bearer token is required".into()),
            403 => ApiError::Forbidden("you are not allowed to do this".into()),
            404 => ApiError::NotFound("no such resource".into()),
            409 => ApiError::Conflict("the request conflicts with the current state".into()),
            412 => ApiError::Stale,
            // Rocket's own limits on forms (`lib.rs`) are 1 MiB.
            413 => ApiError::PayloadTooLarge {
                what: "the request body",
                limit_bytes: 1024 * 1024,
            },
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

pub type ApiResult<T> = Result<T, ApiError>;

/// A size as people read it: whole MiB or KiB when it is one, else bytes.
pub fn byte_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    match bytes {
        0 => "0 bytes".to_owned(),
        b if b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b % KIB == 0 => format!("{} KiB", b / KIB),
        1 => "1 byte".to_owned(),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_said_in_the_largest_whole_unit() {
        let too_large = |limit_bytes| ApiError::PayloadTooLarge {
            what: "the request body",
            limit_bytes,
        };
        assert_eq!(
            too_large(1024 * 1024).to_string(),
            "the request body is larger than 1 MiB"
        );
        assert_eq!(byte_size(26_214_400), "25 MiB");
        assert_eq!(byte_size(2048), "2 KiB");
        assert_eq!(byte_size(1000), "1000 bytes");
    }
}
