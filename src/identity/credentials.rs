//! Credentials: password hashing (argon2id) and bearer tokens (HS256 JWT).

use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, QueryResult, QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};

use super::{AuthUser, OrganisationId};
use crate::entities::ids::UserId;
use crate::entities::user;
use crate::error::ApiError;

/// Signing and checking tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
    /// Also keys the CSRF tokens of browser sessions.
    secret: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: UserId,
    org: OrganisationId,
    iat: i64,
    exp: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], token_hours: u32) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime: Duration::hours(i64::from(token_hours)),
            secret: secret.to_vec(),
        }
    }

    /// The CSRF token of a browser session: a MAC of its session token, so
    /// a page can embed it and only someone who can read the page (not a
    /// cross-site form) can send it back.
    pub fn csrf_token(&self, session_token: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut mac = Sha256::new();
        mac.update(b"baton-csrf:");
        mac.update(&self.secret);
        mac.update(b":");
        mac.update(session_token.as_bytes());
        mac.finalize()
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A token for `user`, and when it expires.
    pub fn issue(&self, user: &user::Model) -> Result<(String, DateTime<Utc>), ApiError> {
        let now = Utc::now();
        let expires_at = now + self.lifetime;
        let claims = Claims {
            sub: user.id,
            org: user.organisation_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| ApiError::Internal(format!("token signing: {error}")))?;
        Ok((token, expires_at))
    }

    fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::Unauthorized("the token has expired; log in again".into())
                }
                _ => ApiError::Unauthorized("the token is not valid".into()),
            })
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::Internal(format!("password hashing: {error}")))
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The active user a token belongs to: loaded fresh on every request, so
/// that deactivation and role changes take effect at once.
pub async fn actor_for_token(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    token: &str,
) -> Result<AuthUser, ApiError> {
    account_for_token(db, keys, token, Vec::new())
        .await
        .map(|(actor, _, _)| actor)
}

/// The actor a token stands for and their account's row (a page shows
/// their name), in one read, with `extras` — named scalar expressions over
/// the `users` row, a page's unread count say — read in the same statement
/// and handed back as the row they came in, for the caller to take by name.
pub async fn account_for_token(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    token: &str,
    extras: Vec<(&'static str, Expr)>,
) -> Result<(AuthUser, user::Model, QueryResult), ApiError> {
    let claims = keys.verify(token)?;
    let mut query = user::Entity::find_by_id(claims.sub);
    for (name, expr) in extras {
        query = query.column_as(expr, name);
    }
    let found = db.query_one(&query.into_query()).await?;
    let (user, found) = match found {
        Some(found) => (user::Model::from_query_result(&found, "")?, found),
        None => return Err(ApiError::Unauthorized("the account is not active".into())),
    };
    if user.organisation_id != claims.org || !user.active {
        return Err(ApiError::Unauthorized("the account is not active".into()));
    }
    let actor = AuthUser {
        id: user.id,
        organisation_id: user.organisation_id,
        role: user.role,
        department_id: user.department_id,
    };
    Ok((actor, user, found))
}

/// The SHA-256 of a bearer secret (a calendar-feed token, a password-reset
/// link), in hex: what is stored, so that the database never holds one
/// that works.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
