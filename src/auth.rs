//! Identity: password hashing (argon2), bearer tokens (HS256 JWT) and the
//! request guard that turns a token into the acting user.

use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rocket::request::{FromRequest, Outcome, Request};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

use crate::entities::user;
use crate::error::{ApiError, stash};
use crate::state::AppState;

/// The four roles of SPEC §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Leader,
    Lead,
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::Lead => "lead",
            Role::Staff => "staff",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "leader" => Some(Role::Leader),
            "lead" => Some(Role::Lead),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }

    /// Leads and staff belong to a department; admins and leaders may not.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::Lead | Role::Staff)
    }
}

/// Signing and checking tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
    /// Also keys the CSRF tokens of browser sessions.
    secret: Vec<u8>,
}

/// The cookie that carries a browser session's token.
pub const SESSION_COOKIE: &str = "baton_session";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: i64,
    org: i64,
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

/// The authenticated caller: loaded fresh from the database on every request,
/// so that deactivation and role changes take effect at once.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub organisation_id: i64,
    pub role: Role,
    pub department_id: Option<i64>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Organisation-wide writes (users, departments, calendars, settings).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("only an admin may do this".into()))
        }
    }
}

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
        return user_from_token(state, token.trim()).await;
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
    user_from_token(state, &cookie).await
}

/// The active user a token belongs to.
pub async fn user_from_token(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let claims = state.keys.verify(token)?;
    let user = user::Entity::find_by_id(claims.sub)
        .one(&state.db)
        .await?
        .filter(|user| user.organisation_id == claims.org && user.active)
        .ok_or_else(|| ApiError::Unauthorized("the account is not active".into()))?;
    let role = Role::parse(&user.role)
        .ok_or_else(|| ApiError::Internal(format!("user {} has an unknown role", user.id)))?;
    Ok(AuthUser {
        id: user.id,
        organisation_id: user.organisation_id,
        role,
        department_id: user.department_id,
    })
}
