//! How an [`ApiError`] is answered: `application/problem+json` with its
//! status, `Retry-After` on 429 and `WWW-Authenticate` on 401; and the
//! stash through which a failing guard hands its error to the catcher.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};

use crate::error::ApiError;

/// The status of an error, as Rocket names it.
pub fn status_of(error: &ApiError) -> Status {
    Status::from_code(error.status_code()).unwrap_or(Status::InternalServerError)
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = Response::build();
        response
            .status(status_of(&self))
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

/// Request guards that fail stash their error here so that the catcher can
/// answer with the full problem instead of a bare status.
pub fn stash(request: &Request<'_>, error: ApiError) -> Status {
    let status = status_of(&error);
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
