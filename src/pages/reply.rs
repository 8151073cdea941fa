//! What a page handler answers: a page, a redirect, or a form shown again
//! with its refusal sorted beside its fields.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};

use crate::error::{ApiError, FieldErrors};

/// What a page handler answers: a page, or a redirect (to log in, or after a form).
pub type PageResult<T> = Result<T, PageError>;

#[derive(Debug, rocket::Responder)]
pub enum PageError {
    Redirect(Redirect),
    Flash(Flash<Redirect>),
    Problem(ApiError),
}

impl From<Redirect> for PageError {
    fn from(redirect: Redirect) -> Self {
        PageError::Redirect(redirect)
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Problem(error)
    }
}

/// What a form post answers: on success, a redirect with a message; when
/// refused, the same form again (with the refusal's status), keeping what
/// was typed and showing each message next to its field. Rendering in
/// place rather than redirecting means nothing typed is lost and no
/// errors need carrying through a cookie.
// Large like `PageError` above, for the same reason: made once per request.
#[allow(clippy::large_enum_variant)]
#[derive(rocket::Responder)]
pub enum FormReply {
    Done(Flash<Redirect>),
    Again((Status, RawHtml<String>)),
}

impl FormReply {
    pub fn done(to: String, message: &str) -> Self {
        FormReply::Done(Flash::success(Redirect::to(to), message))
    }
}

/// A refused form post, sorted for showing: the messages of fields the
/// form has go next to those fields; everything else goes in the summary
/// at the top (a 403 or 409 is all summary).
#[derive(Debug)]
pub struct Refusal {
    pub status: Status,
    pub summary: String,
    pub errors: FieldErrors,
}

impl Refusal {
    /// Sorts `error` for a form whose inputs are `fields`. An internal error
    /// is no refusal: it stays an error (logged, never shown).
    pub fn of(error: ApiError, fields: &[&str]) -> Result<Refusal, ApiError> {
        if matches!(error, ApiError::Internal(_)) {
            return Err(error);
        }
        let problem = error.problem();
        let mut errors = FieldErrors::new();
        let mut elsewhere = FieldErrors::new();
        for (field, messages) in problem.errors {
            if fields.contains(&field.as_str()) {
                errors.insert(field, messages);
            } else {
                elsewhere.insert(field, messages);
            }
        }
        let summary = match (error, elsewhere.is_empty()) {
            (ApiError::Validation { .. }, true) => {
                "Some values need correcting; each is explained next to its field.".to_owned()
            }
            (ApiError::Validation { .. }, false) => {
                format!("Some values need correcting: {}", field_messages(&elsewhere))
            }
            (ApiError::Stale, _) => "Someone changed this since you opened the page: reload it to see their change, then make yours again.".to_owned(),
            (other, _) => other.to_string(),
        };
        Ok(Refusal {
            status: problem_status(problem.status),
            summary,
            errors,
        })
    }
}

/// Field errors as one line: "field: message; message — field: …".
pub(super) fn field_messages(errors: &FieldErrors) -> String {
    errors
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join("; ")))
        .collect::<Vec<_>>()
        .join(" — ")
}

fn problem_status(code: u16) -> Status {
    Status::from_code(code).unwrap_or(Status::UnprocessableEntity)
}

/// A page answered with a status other than 200 (a form shown again, or a
/// form the signed-in person may not use, with the reason).
pub fn html(status: Status, body: String) -> (Status, RawHtml<String>) {
    (status, RawHtml(body))
}
