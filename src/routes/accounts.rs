//! `POST /auth/signup`, `POST /auth/login` and setting a forgotten password
//! (`POST /auth/password-reset`, then `…/confirm` with the mailed token).

use chrono::{DateTime, Utc};
use rocket::{Route, State, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::SignupMode;
use crate::error::{ApiError, ApiResult};
use crate::http::guards::ClientAddress;
use crate::http::{Body, Reply};
use crate::routes::organisation::OrganisationOut;
use crate::routes::users::UserOut;
use crate::services::accounts::{self, SignupInput};
use crate::services::password_reset;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![signup, login, ask_reset, confirm_reset]
}

/// A new organisation and its first admin.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupBody {
    pub org_name: String,
    /// IANA time zone of the organisation and its default calendar.
    pub timezone: String,
    pub name: String,
    pub email: String,
    /// At least 12 characters.
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    /// Bearer token (HS256 JWT).
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserOut,
}

#[derive(Serialize, ToSchema)]
pub struct SignupOut {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserOut,
    pub organisation: OrganisationOut,
}

/// Creates an organisation, its default calendar and its admin.
#[utoipa::path(post, path = "/auth/signup", tag = "auth", request_body = SignupBody,
    responses((status = 201, body = SignupOut), (status = 403, description = "signup is closed", body = crate::error::Problem),
              (status = 409, description = "the account cannot be created (the message does not say why)", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem),
              (status = 429, description = "too many signups from this address", body = crate::error::Problem)))]
#[post("/auth/signup", data = "<body>")]
async fn signup(
    state: &State<AppState>,
    client: ClientAddress,
    body: Body<SignupBody>,
) -> ApiResult<Reply<SignupOut>> {
    if state.config.signup == SignupMode::Closed {
        return Err(ApiError::Forbidden(
            "signup is closed on this installation; ask an admin for an account".into(),
        ));
    }
    state
        .signup_limiter
        .attempt(client.0)
        .map_err(|retry_after_seconds| ApiError::TooManyRequests {
            what: "signups from this address",
            retry_after_seconds,
        })?;
    let body = body.0;
    let (organisation, session) = accounts::signup(
        state.db(),
        &state.keys,
        SignupInput {
            org_name: body.org_name,
            timezone: body.timezone,
            name: body.name,
            email: body.email,
            password: body.password,
        },
    )
    .await?;
    Ok(Reply::created(SignupOut {
        token: session.token,
        expires_at: session.expires_at,
        user: UserOut::from(session.user),
        organisation: OrganisationOut::from(organisation),
    }))
}

/// Exchanges an email and password for a bearer token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = SessionOut), (status = 401, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[post("/auth/login", data = "<body>")]
async fn login(
    state: &State<AppState>,
    client: ClientAddress,
    body: Body<LoginBody>,
) -> ApiResult<Reply<SessionOut>> {
    let body = body.0;
    let session = accounts::login(
        state.db(),
        &state.keys,
        &state.login_limiter,
        &body.email,
        body.password,
        client.0,
    )
    .await?;
    Ok(Reply::ok(SessionOut {
        token: session.token,
        expires_at: session.expires_at,
        user: UserOut::from(session.user),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetAsk {
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The token of the mailed link (`/password/reset?token=…`).
    pub token: String,
    /// At least 12 characters.
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Said {
    pub message: String,
}

/// The one answer to asking for a reset, whether the address has an account or not.
pub const RESET_ASKED: &str = "If an account has this address, a link to set a new password is on its way; it works once, within the hour.";

/// Mails a single-use link to set a new password, valid for an hour. The
/// answer is the same whether the address has an account or not.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = ResetAsk,
    responses((status = 202, body = Said), (status = 422, body = crate::error::Problem)))]
#[post("/auth/password-reset", data = "<body>")]
async fn ask_reset(state: &State<AppState>, body: Body<ResetAsk>) -> ApiResult<Reply<Said>> {
    password_reset::ask(
        state.db(),
        state.mailer.clone(),
        &state.links,
        &body.0.email,
        Utc::now(),
    )
    .await?;
    Ok(Reply::accepted(Said {
        message: RESET_ASKED.into(),
    }))
}

/// Sets a new password with the mailed link's token; the link is used up.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirm,
    responses((status = 200, body = Said), (status = 422, description = "a short password, or a link unknown, expired or used", body = crate::error::Problem)))]
#[post("/auth/password-reset/confirm", data = "<body>")]
async fn confirm_reset(
    state: &State<AppState>,
    body: Body<ResetConfirm>,
) -> ApiResult<Reply<Said>> {
    let body = body.0;
    password_reset::confirm(state.db(), &body.token, &body.password, Utc::now()).await?;
    Ok(Reply::ok(Said {
        message: "Your password is set: sign in with it.".into(),
    }))
}
