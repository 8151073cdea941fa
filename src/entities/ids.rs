//! Typed ids: a department's id cannot be passed where a request's is
//! wanted, and a function's signature says which id it takes. Each is the
//! `BIGINT` its column holds (`DeriveValueType`), a plain number in JSON,
//! and a path segment through the HTTP layer's `FromParam`.

use sea_orm::entity::prelude::*;

use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            DeriveValueType, Serialize, Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> $name {
                $name(id)
            }
        }
    )*};
}

ids!(
    /// An organisation: the boundary of every read.
    OrganisationId,
    /// A department: a provider or a customer of handoffs.
    DepartmentId,
    /// A person of an organisation.
    UserId,
    /// A handoff agreement between two departments.
    AgreementId,
    /// A promise to an outside customer.
    CommitmentId,
);
