//! The web interface: server-rendered pages over the same services as the
//! API, for people who never call it. A browser session is the same signed
//! token as the API's, kept in an HttpOnly, SameSite=Strict, Secure cookie;
//! every form carries the session's CSRF token.
//!
//! Beside the pages of each resource: `signed_in` (the signed-in guard,
//! the CSRF-checked form guard, the context every page starts from), `reply` (what handlers
//! answer, and how a refusal is sorted for a form), `forms` (a form's state
//! in its page, and parsing what was typed), `local` (times in the
//! organisation's zone).

// Page handlers answer with Rocket's `Redirect`/`Flash` as their error:
// large values, but made once per request and handed straight to Rocket,
// so boxing them would buy nothing.
#![allow(clippy::result_large_err)]

mod admin;
mod agreements;
mod commitments;
mod departments;
mod files;
mod graph;
mod home;
mod lists;
mod notifications;
mod pulses;
mod reports;
mod request_list;
mod requests;
mod reviews;
mod session;
mod together;

mod forms;
mod lines;
mod local;
mod reply;
mod signed_in;

pub use forms::{
    Choice, PageForm, Parsed, Rejected, department_choices, insert_form, insert_forms,
    parse_choice, parse_ids, parse_number, parse_turnaround_fields, typed_values, unit_choices,
};
pub use lines::{RequestLine, request_lines};
pub use local::{local, local_input, local_instant, relative};
pub use reply::{FormReply, PageError, PageResult, Refusal, html};
pub(crate) use signed_in::carries_csrf;
pub use signed_in::{
    CarriesCsrf, PageUser, Posted, clear_session, context, session_cookie, sign_in_first,
};

use rocket::Route;

pub fn routes() -> Vec<Route> {
    [
        session::routes(),
        home::routes(),
        notifications::routes(),
        requests::routes(),
        together::routes(),
        request_list::routes(),
        files::routes(),
        agreements::routes(),
        commitments::routes(),
        reviews::routes(),
        departments::routes(),
        reports::routes(),
        lists::routes(),
        pulses::routes(),
        admin::routes(),
    ]
    .concat()
}

/// The names of the departments of `user`'s organisation, which nearly
/// every page shows: kept by this process while the organisation's
/// directory stays at the version read with `user`
/// (`services::departments::Directory`).
pub async fn department_names(
    state: &crate::state::AppState,
    user: &PageUser,
) -> Result<crate::services::departments::Names, crate::error::ApiError> {
    state
        .directory
        .names(
            state.db(),
            user.auth.organisation_id,
            user.directory_version,
        )
        .await
}

/// The people of `user`'s organisation, kept as [`department_names`] are.
pub async fn people(
    state: &crate::state::AppState,
    user: &PageUser,
) -> Result<std::sync::Arc<crate::services::departments::People>, crate::error::ApiError> {
    state
        .directory
        .people(
            state.db(),
            user.auth.organisation_id,
            user.directory_version,
        )
        .await
}
