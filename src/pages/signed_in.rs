//! Who is signed in to a page: the [`PageUser`] guard (the API's token, kept
//! in an HttpOnly cookie), the [`Posted`] guard of every form post (signed in,
//! CSRF token checked), and the context every page starts from.

use rocket::Either;
use rocket::data::{self, Data, FromData};
use rocket::form::{Errors, Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::Redirect;
use serde::Serialize;
use tera::Context;

use crate::entities::ids::{DepartmentId, UserId};
use crate::error::ApiError;
use crate::http::{SESSION_COOKIE, take_stashed};
use crate::identity::{AuthUser, account_for_token};
use crate::services::{departments, notifications, organisations, views};
use crate::state::AppState;

/// A signed-in person, with what the pages need to show and to post forms.
///
/// As a request guard it is the sign-in check of every page: a request
/// without a valid session cookie fails with 401, which [`sign_in_first`]
/// answers with a redirect to the login page.
#[derive(Clone)]
pub struct PageUser {
    pub auth: AuthUser,
    pub name: String,
    pub csrf: String,
    /// Unread notifications, counted beside the link to them on every page.
    pub unread: u64,
    /// Their saved views of the request list, in the navigation.
    pub views: Vec<SavedView>,
    /// The organisation's time zone, in which the pages show and read times.
    pub zone: chrono_tz::Tz,
    /// The version of the organisation's directory (`department_names`,
    /// `people`).
    pub directory_version: i64,
}

/// A saved view as the navigation links it.
#[derive(Clone, Serialize)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub query: String,
}

/// Marks a request refused by the page guard, so that its 401 becomes a
/// redirect and not the API's problem document.
struct SignInFirst;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        // Cached: a form guard asks for the same person again.
        let user = request
            .local_cache_async(async { signed_in(request).await })
            .await;
        match user {
            Some(user) => Outcome::Success(user.clone()),
            None => {
                request.local_cache(|| Some(SignInFirst));
                Outcome::Error((Status::Unauthorized, ()))
            }
        }
    }
}

async fn signed_in(request: &Request<'_>) -> Option<PageUser> {
    let state = request.rocket().state::<AppState>()?;
    let token = request.cookies().get(SESSION_COOKIE)?.value().to_owned();
    // What every page shows beside the person (their unread count, their
    // saved views, times in the organisation's zone) comes in the same
    // statement as their account: one round trip, not four.
    let extras = vec![
        ("unread", notifications::unread_count_of_account()),
        ("saved_views", views::count_of_account()),
        ("zone", organisations::zone_of_account()),
        ("directory", departments::version_of_account()),
    ];
    let (auth, account, found) = account_for_token(state.db(), &state.keys, &token, extras)
        .await
        .ok()?;
    let count = |name: &str| {
        found
            .try_get::<i64>("", name)
            .map_or(0, |n| n.max(0) as u64)
    };
    let unread = count("unread");
    let directory_version = count("directory") as i64;
    let views = if count("saved_views") > 0 {
        views::list(state.db(), &auth)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|view| SavedView {
                id: view.id,
                name: view.name,
                query: view.query,
            })
            .collect()
    } else {
        Vec::new()
    };
    Some(PageUser {
        csrf: state.keys.csrf_token(&token),
        zone: organisations::parse_zone(found.try_get("", "zone").ok().flatten()),
        directory_version,
        auth,
        name: account.name,
        unread,
        views,
    })
}

/// A page asked for without a session goes to the login page; any other
/// 401 (the API's) stays a problem document.
#[rocket::catch(401)]
pub fn sign_in_first(request: &Request<'_>) -> Either<Redirect, ApiError> {
    match request.local_cache(|| None::<SignInFirst>) {
        Some(SignInFirst) => Either::Left(Redirect::to("/login")),
        None => Either::Right(take_stashed(request).unwrap_or_else(|| ApiError::from_status(401))),
    }
}

/// A posted form of a signed-in person, with its CSRF token checked.
///
/// The check's verdict is kept rather than refusing the post outright: a
/// form that expired (signed in again in another tab, say) is shown again
/// with the reason and everything that was typed, like any other refusal,
/// so the handler receives the form either way and asks [`Posted::genuine`]
/// before acting on it.
pub struct Posted<T> {
    pub user: PageUser,
    pub form: T,
    genuine: bool,
}

/// A form whose hidden `_csrf` input the [`Posted`] guard checks.
pub trait CarriesCsrf {
    fn csrf(&self) -> &str;
}

/// Implements [`CarriesCsrf`] for forms with a `_csrf: String` field.
macro_rules! carries_csrf {
    ($($form:ty),* $(,)?) => {$(
        impl $crate::pages::CarriesCsrf for $form {
            fn csrf(&self) -> &str {
                &self._csrf
            }
        }
    )*};
}
pub(crate) use carries_csrf;

impl<T> Posted<T> {
    /// The refusal of a form that did not come from this session's page.
    pub fn genuine(&self) -> Result<(), ApiError> {
        if self.genuine {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "the form expired or came from elsewhere; reload the page and try again".into(),
            ))
        }
    }
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + CarriesCsrf + Send> FromData<'r> for Posted<T> {
    type Error = Option<Errors<'r>>;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let user = match request.guard::<PageUser>().await {
            Outcome::Success(user) => user,
            _ => return data::Outcome::Error((Status::Unauthorized, None)),
        };
        match Form::<T>::from_data(request, data).await {
            data::Outcome::Success(form) => {
                let form = form.into_inner();
                let genuine = constant_time_eq(form.csrf(), &user.csrf);
                data::Outcome::Success(Posted {
                    user,
                    form,
                    genuine,
                })
            }
            data::Outcome::Error((status, errors)) => data::Outcome::Error((status, Some(errors))),
            data::Outcome::Forward(forward) => data::Outcome::Forward(forward),
        }
    }
}

/// Compares tokens without stopping at the first difference, so that the
/// time taken tells nothing about how much of a guess was right.
pub(super) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
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
    id: UserId,
    name: String,
    role: &'static str,
    department_id: Option<DepartmentId>,
    unread: u64,
    views: Vec<SavedView>,
}

impl From<&PageUser> for Me {
    fn from(user: &PageUser) -> Self {
        Me {
            id: user.auth.id,
            name: user.name.clone(),
            role: user.auth.role.as_str(),
            department_id: user.auth.department_id,
            unread: user.unread,
            views: user.views.clone(),
        }
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
