//! Signing up (a new organisation and its admin) and logging in.
//!
//! Neither says whether an email has an account. Login answers one 401 for
//! a wrong password and an unknown email, after the same argon2 work. Signup
//! cannot hide it entirely: it signs the new admin in at once (there is no
//! confirmation mail to send the answer to instead), so a taken email is a
//! refusal either way. The refusal is as plain as possible — a 409 that
//! names neither the email nor the field, given after hashing the password
//! just as a success would be — and signups are limited per client address
//! (`signup_max_per_address` per `signup_window_seconds`, 10 an hour by
//! default, counting every attempt), so that learning which emails have
//! accounts costs as much as creating organisations.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use crate::entities::{organisation, user};
use crate::error::ApiError;
use crate::identity::{self, Role, TokenKeys};
use crate::login_limit::LoginLimiter;
use crate::services::calendars;
use crate::validate::Checker;

pub struct SignupInput {
    pub org_name: String,
    pub timezone: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// Creates an organisation with its default calendar and its first admin.
#[tracing::instrument(skip_all)]
pub async fn signup(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    input: SignupInput,
) -> Result<(organisation::Model, Session), ApiError> {
    let mut check = Checker::new();
    let org_name = check.line("org_name", &input.org_name, 200);
    check.timezone("timezone", &input.timezone);
    let name = check.line("name", &input.name, 200);
    let email = check.email("email", &input.email);
    check.password("password", &input.password);
    check.finish()?;

    let password_hash = hash_off_thread(input.password).await?;
    let txn = crate::db::begin_write(db).await?;
    if email_taken(&txn, &email).await? {
        return Err(ApiError::Conflict(SIGNUP_REFUSED.into()));
    }
    let organisation = organisation::ActiveModel {
        name: Set(org_name),
        timezone: Set(input.timezone.clone()),
        at_risk_threshold_minutes: Set(480),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    calendars::create_default(&txn, organisation.id, &input.timezone).await?;
    let admin = user::ActiveModel {
        organisation_id: Set(organisation.id),
        email: Set(email),
        name: Set(name),
        role: Set(Role::Admin),
        department_id: Set(None),
        password_hash: Set(password_hash),
        active: Set(true),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let (token, expires_at) = keys.issue(&admin)?;
    Ok((
        organisation,
        Session {
            token,
            expires_at,
            user: admin,
        },
    ))
}

/// Checks a password and issues a token. Failures count against the
/// (account, address) pair and the address (see `login_limit.rs`); too many
/// answer 429 before any check.
#[tracing::instrument(skip_all)]
pub async fn login(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    limiter: &LoginLimiter,
    email: &str,
    password: String,
    client_address: Option<std::net::IpAddr>,
) -> Result<Session, ApiError> {
    let email = email.trim().to_lowercase();
    if let Some(retry_after_seconds) = limiter.blocked_for(&email, client_address) {
        return Err(ApiError::TooManyRequests {
            what: "failed login attempts",
            retry_after_seconds,
        });
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    // Verify against a fixed hash when the account is unknown, so that the
    // answer takes as long either way and does not reveal which emails exist.
    let stored_hash = found
        .as_ref()
        .map(|user| user.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_owned());
    let matches = verify_off_thread(password, stored_hash).await?;
    match found {
        Some(user) if matches && user.active => {
            limiter.succeeded(&email, client_address);
            let (token, expires_at) = keys.issue(&user)?;
            Ok(Session {
                token,
                expires_at,
                user,
            })
        }
        _ => {
            limiter.record_failure(&email, client_address);
            Err(ApiError::Unauthorized(
                "the email or password is wrong, or the account is deactivated".into(),
            ))
        }
    }
}

/// The one answer to a signup that cannot be done for a reason the client
/// did not make visible in the body (today: the email has an account).
pub const SIGNUP_REFUSED: &str =
    "this account could not be created; if you already have one, log in instead";

/// Whether an account with this (lower-cased) email exists anywhere.
pub async fn email_taken(db: &impl ConnectionTrait, email: &str) -> Result<bool, ApiError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
        .is_some())
}

/// argon2 is deliberately slow: keep it off the async workers.
pub async fn hash_off_thread(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || identity::hash_password(&password))
        .await
        .map_err(|error| ApiError::Internal(format!("hashing task: {error}")))?
}

async fn verify_off_thread(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || identity::verify_password(&password, &hash))
        .await
        .map_err(|error| ApiError::Internal(format!("verifying task: {error}")))
}

/// argon2id hash of a random password nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2mTWM4zB1vxXGQrfRzQ2dZ1xGj0eGqmfbl2vR8H2a1w";
