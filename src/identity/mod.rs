//! Identity: who is acting. The four roles, the authenticated actor every
//! service takes, and how a token becomes one. Nothing here knows HTTP: the
//! request guards that build an actor from a header or a cookie live in
//! `http::guards`.

mod credentials;

pub use credentials::{
    TokenKeys, account_for_token, actor_for_token, hash_password, token_hash, verify_password,
};

use crate::error::ApiError;

pub use crate::entities::ids::{DepartmentId, OrganisationId, UserId};
pub use crate::entities::user::Role;

/// The authenticated caller: loaded fresh from the database on every request,
/// so that deactivation and role changes take effect at once.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
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
