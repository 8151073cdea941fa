//! The web interface: server-rendered pages over the same services as the
//! API, for people who never call it. A browser session is the same signed
//! token as the API's, kept in an HttpOnly, SameSite=Strict, Secure cookie;
//! every form carries the session's CSRF token.

// Page handlers answer with Rocket's `Redirect`/`Flash` as their error:
// large values, but made once per request and handed straight to Rocket,
// so boxing them would buy nothing.
#![allow(clippy::result_large_err)]

mod agreements;
mod commitments;
mod graph;
mod home;
mod requests;
mod reviews;
mod session;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rocket::Route;
use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::{Flash, Redirect};
use sea_orm::EntityTrait;
use serde::Serialize;
use tera::Context;

use crate::auth::{AuthUser, SESSION_COOKIE, user_from_token};
use crate::entities::user;
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    [
        session::routes(),
        home::routes(),
        requests::routes(),
        agreements::routes(),
        commitments::routes(),
        reviews::routes(),
    ]
    .concat()
}

/// The signed-in person of a page request, if any.
pub struct Session(Option<PageUser>);

/// A signed-in person, with what the pages need to show and to post forms.
#[derive(Clone)]
pub struct PageUser {
    pub auth: AuthUser,
    pub name: String,
    pub csrf: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = request.rocket().state::<AppState>() else {
            return Outcome::Success(Session(None));
        };
        let Some(token) = request
            .cookies()
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
        else {
            return Outcome::Success(Session(None));
        };
        let Ok(auth) = user_from_token(state, &token).await else {
            return Outcome::Success(Session(None));
        };
        let name = user::Entity::find_by_id(auth.id)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|row| row.name)
            .unwrap_or_default();
        Outcome::Success(Session(Some(PageUser {
            csrf: state.keys.csrf_token(&token),
            auth,
            name,
        })))
    }
}

impl Session {
    /// The signed-in person, or a redirect to the login page.
    pub fn require(self) -> Result<PageUser, Redirect> {
        self.0.ok_or_else(|| Redirect::to("/login"))
    }
}

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

/// Back to `to` with the refusal explained: the message names the field.
pub fn refused(to: String, error: ApiError) -> PageError {
    let problem = error.problem();
    let mut message = problem.detail.clone();
    for (field, messages) in &problem.errors {
        message.push_str(&format!(" — {field}: {}", messages.join("; ")));
    }
    PageError::Flash(Flash::error(Redirect::to(to), message))
}

pub fn done(to: String, message: &str) -> PageError {
    PageError::Flash(Flash::success(Redirect::to(to), message))
}

/// The context every page starts from: who is signed in and any flash.
pub fn context(user: &PageUser, title: &str, flash: Option<FlashMessage<'_>>) -> Context {
    let mut context = Context::new();
    context.insert("title", title);
    context.insert("me", &Me::from(user));
    context.insert("csrf", &user.csrf);
    if let Some(flash) = flash {
        context.insert("flash_kind", flash.kind());
        context.insert("flash", flash.message());
    }
    context
}

#[derive(Serialize)]
struct Me {
    id: i64,
    name: String,
    role: &'static str,
    department_id: Option<i64>,
}

impl From<&PageUser> for Me {
    fn from(user: &PageUser) -> Self {
        Me {
            id: user.auth.id,
            name: user.name.clone(),
            role: user.auth.role.as_str(),
            department_id: user.auth.department_id,
        }
    }
}

/// Checks a form's CSRF token against the session's.
pub fn check_csrf(user: &PageUser, token: &str) -> Result<(), ApiError> {
    if token == user.csrf {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the form expired or came from elsewhere; reload the page and try again".into(),
        ))
    }
}

pub fn session_cookie(token: String, max_age: rocket::time::Duration) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(max_age)
        .build()
}

pub fn clear_session(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
}

/// A `datetime-local` field ("2026-03-06T15:00"), read in the organisation's
/// time zone; an RFC 3339 instant is accepted as well.
pub fn local_instant(
    text: &str,
    zone: chrono_tz::Tz,
    field: &str,
) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| zone.from_local_datetime(&local).earliest())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| ApiError::field(field, "must be a date and time such as 2026-03-06T15:00"))
}

/// Department names of the organisation, by id.
pub async fn department_names(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: i64,
) -> Result<std::collections::HashMap<i64, String>, ApiError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Ok(crate::entities::department::Entity::find()
        .filter(crate::entities::department::Column::OrganisationId.eq(organisation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect())
}

/// The organisation's time zone, for reading and showing local times.
pub async fn organisation_zone(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: i64,
) -> Result<chrono_tz::Tz, ApiError> {
    use sea_orm::EntityTrait;
    Ok(
        crate::entities::organisation::Entity::find_by_id(organisation_id)
            .one(db)
            .await?
            .and_then(|row| row.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC),
    )
}

/// An instant as people read it: local time in the organisation's zone.
pub fn local(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}
