//! Request guards that build the acting user: from a bearer token, or from
//! a browser session's cookie (whose changes need its CSRF token), and the
//! role guards that refuse a caller before the body is read.

use std::net::IpAddr;

use rocket::request::{FromRequest, Outcome, Request};

use super::problem::stash;
use crate::error::ApiError;
use crate::identity::{AuthUser, Role, actor_for_token};
use crate::state::AppState;

/// The cookie that carries a browser session's token.
pub const SESSION_COOKIE: &str = "baton_session";

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthUser {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match authenticate(request).await {
            Ok(user) => Outcome::Success(user),
            Err(error) => Outcome::Error((stash(request, error), ())),
        }
    }
}

/// Guards for writes that the caller's role alone rules out (SPEC §8). They
/// run before the body is read, so a caller who may not write a resource gets
/// 403 whatever the body holds, never a 422 that describes the schema. Finer
/// rules (which department, which state) stay in the services.
macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident: $($role:ident)|+ => $refusal:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub AuthUser);

        impl std::ops::Deref for $name {
            type Target = AuthUser;
            fn deref(&self) -> &AuthUser {
                &self.0
            }
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = ();

            async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
                let user = match authenticate(request).await {
                    Ok(user) => user,
                    Err(error) => return Outcome::Error((stash(request, error), ())),
                };
                if matches!(user.role, $(Role::$role)|+) {
                    Outcome::Success($name(user))
                } else {
                    let error = ApiError::Forbidden($refusal.into());
                    Outcome::Error((stash(request, error), ()))
                }
            }
        }
    };
}

role_guard!(
    /// Organisation-wide writes: users, departments, calendars, settings.
    Admin: Admin => "only an admin may do this"
);
role_guard!(
    /// Agreement writes: admins, and leads of the provider or customer.
    AgreementWriter: Admin | Lead => "agreements are written by admins and department leads"
);
role_guard!(
    /// Review writes: admins, leaders, and leads of either department.
    ReviewWriter: Admin | Leader | Lead =>
        "reviews are scheduled and held by the two departments' leads, leaders and admins"
);
role_guard!(
    /// Moves of a request (working it as provider, accepting or rating it as
    /// customer): everyone but leaders, who read and log only.
    RequestActor: Admin | Lead | Staff => "leaders read requests but do not work them"
);

async fn authenticate(request: &Request<'_>) -> Result<AuthUser, ApiError> {
    let state = request
        .rocket()
        .state::<AppState>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    if let Some(header) = request.headers().get_one("Authorization") {
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::Unauthorized("use the Bearer scheme".into()))?;
        return actor_for_token(state.db(), &state.keys, token.trim()).await;
    }
    // A browser session may call the API too (the report pages do), but a
    // change through a cookie needs the session's CSRF token in a header.
    let cookie = request
        .cookies()
        .get(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))?;
    let safe = matches!(
        request.method(),
        rocket::http::Method::Get | rocket::http::Method::Head
    );
    if !safe
        && request.headers().get_one("X-CSRF-Token")
            != Some(state.keys.csrf_token(&cookie).as_str())
    {
        return Err(ApiError::Forbidden(
            "a change made with a session cookie needs its X-CSRF-Token".into(),
        ));
    }
    actor_for_token(state.db(), &state.keys, &cookie).await
}

/// The client's address as [`TrustedProxies::client`] finds it; `None`
/// when the connection has no peer address (the in-process test client).
pub struct ClientAddress(pub Option<IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        // `client_ip` is the TCP peer: Rocket reads no header for it except
        // the front's own, which the front sets and clients cannot.
        let Some(peer) = request.client_ip() else {
            return Outcome::Success(ClientAddress(None));
        };
        let forwarded: Vec<&str> = request.headers().get("X-Forwarded-For").collect();
        let client = match request.rocket().state::<AppState>() {
            Some(state) => state.trusted_proxies.client(peer, &forwarded),
            None => crate::client::canonical(peer),
        };
        Outcome::Success(ClientAddress(Some(client)))
    }
}
