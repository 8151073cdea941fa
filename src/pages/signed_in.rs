//! Who is signed in to a page: the session guard (the API's token, kept in
//! an HttpOnly cookie), the CSRF check of every form post, and the context
//! every page starts from.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::Redirect;
use sea_orm::EntityTrait;
use serde::Serialize;
use tera::Context;

use crate::entities::user;
use crate::error::ApiError;
use crate::http::SESSION_COOKIE;
use crate::identity::{AuthUser, actor_for_token};
use crate::state::AppState;

/// The signed-in person of a page request, if any.
pub struct Session(Option<PageUser>);

/// A signed-in person, with what the pages need to show and to post forms.
#[derive(Clone)]
pub struct PageUser {
    pub auth: AuthUser,
    pub name: String,
    pub csrf: String,
    /// Unread notifications, counted beside the link to them on every page.
    pub unread: u64,
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
        let Ok(auth) = actor_for_token(&state.db, &state.keys, &token).await else {
            return Outcome::Success(Session(None));
        };
        let name = user::Entity::find_by_id(auth.id)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|row| row.name)
            .unwrap_or_default();
        let unread = crate::services::notifications::unread_count(&state.db, &auth)
            .await
            .unwrap_or_default();
        Outcome::Success(Session(Some(PageUser {
            csrf: state.keys.csrf_token(&token),
            auth,
            name,
            unread,
        })))
    }
}

impl Session {
    /// The signed-in person, or a redirect to the login page.
    pub fn require(self) -> Result<PageUser, Redirect> {
        self.0.ok_or_else(|| Redirect::to("/login"))
    }
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
    unread: u64,
}

impl From<&PageUser> for Me {
    fn from(user: &PageUser) -> Self {
        Me {
            id: user.auth.id,
            name: user.name.clone(),
            role: user.auth.role.as_str(),
            department_id: user.auth.department_id,
            unread: user.unread,
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
