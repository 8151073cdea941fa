//! `POST /auth/signup` and `POST /auth/login`.

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
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![signup, login]
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
        &state.db,
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
        &state.db,
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
