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
    /// An internal request logged under an agreement.
    RequestId,
    /// An organisation's webhook: a URL told of notices.
    WebhookId,
    /// One event on its way to one webhook.
    WebhookDeliveryId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_plain_number_in_json_both_ways() {
        assert_eq!(
            serde_json::to_string(&RequestId(42)).ok().as_deref(),
            Some("42")
        );
        let read: Option<DepartmentId> = serde_json::from_str("7").ok();
        assert_eq!(read, Some(DepartmentId(7)));
        assert!(serde_json::from_str::<UserId>("\"7\"").is_err());
    }

    #[test]
    fn an_id_is_stored_as_the_number_it_is() {
        assert_eq!(
            sea_orm::Value::from(CommitmentId(9)),
            sea_orm::Value::from(9_i64)
        );
    }
}
