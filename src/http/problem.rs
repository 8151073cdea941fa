//! How an [`ApiError`] is answered: `application/problem+json` with its
//! status, `Retry-After` on 429 and `WWW-Authenticate` on 401; a browser
//! asking for a page (outside `/api/`, HTML first in `Accept`) gets the same
//! status as an HTML page in people's words instead. And the stash through
//! which a failing guard hands its error to the catcher.

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
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let (kind, body) = match page_of(&self, request) {
            Some(html) => (ContentType::HTML, html.into_bytes()),
            None => (
                ContentType::new("application", "problem+json"),
                serde_json::to_vec(&self.problem()).unwrap_or_default(),
            ),
        };
        let mut response = Response::build();
        response
            .status(status_of(&self))
            .header(kind)
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

/// The error as a page, for a browser asking for one outside the API.
fn page_of(error: &ApiError, request: &Request<'_>) -> Option<String> {
    let wants_html = request
        .accept()
        .is_some_and(|accept| accept.preferred().media_type().is_html());
    if !wants_html || request.uri().path().starts_with("/api/") {
        return None;
    }
    let views = &request.rocket().state::<crate::state::AppState>()?.views;
    let problem = error.problem();
    let (headline, explanation) = match problem.status {
        401 => (
            "Please sign in",
            "This page is for people signed in to Baton.",
        ),
        403 => (
            "Not yours to open",
            "Your role or department does not give you this page. Whoever leads the department it belongs to can show it to you.",
        ),
        404 => (
            "Nothing here",
            "There is no such page, or it belongs to a department you do not see.",
        ),
        405 => ("Not like this", "This page cannot be asked for this way."),
        409 | 412 => (
            "Someone changed this meanwhile",
            "Open the page again to see it as it is now.",
        ),
        413 => ("Too large", "What was sent is larger than Baton accepts."),
        429 => ("Too many tries", "Wait a moment and try again."),
        status if status >= 500 => (
            "Something went wrong on our side",
            "Nothing you did caused it, and it has been logged. Try again in a moment.",
        ),
        _ => (
            "This cannot be done",
            "What was asked for cannot be read or done.",
        ),
    };
    let mut context = tera::Context::new();
    context.insert("status", &problem.status);
    context.insert("headline", headline);
    context.insert("explanation", explanation);
    // Where the headline is not the whole story, the detail says what was
    // wrong; a missing page's or a server error's would only say it again.
    if !matches!(problem.status, 404 | 405) && problem.status < 500 {
        context.insert("detail", &problem.detail);
    }
    views.render("error.html", &context).ok()
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
