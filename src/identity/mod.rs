//! Identity: who is acting. The four roles, the authenticated actor every
//! service takes, and how a token becomes one. Nothing here knows HTTP: the
//! request guards that build an actor from a header or a cookie live in
//! `http::guards`.

mod credentials;

pub use credentials::{TokenKeys, actor_for_token, hash_password, verify_password};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

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
