//! SeaORM entities, one file per table. Plain data: no Rocket, no rules.
//!
//! Closed sets (statuses, roles, units, notification kinds, stored risk) are
//! enums over readable text columns (`DeriveActiveEnum`), so a row is parsed
//! once, where it is read, and a misspelt value cannot be written. Each enum
//! lives with the table that owns it; the unit is shared (`unit.rs`).

pub mod action_item;
pub mod agreement;
pub mod calendar;
pub mod calendar_feed_token;
pub mod commitment;
pub mod commitment_dependency;
pub mod department;
pub mod event;
pub mod idempotency_key;
pub mod notification;
pub mod organisation;
pub mod request;
pub mod request_dependency;
pub mod review;
pub mod review_attendee;
pub mod unit;
pub mod user;

/// `Display` as the stored name, for the enums above: pages and messages
/// print the same word the column and the API hold.
macro_rules! displayed_as_stored {
    ($($enum:ty),* $(,)?) => {$(
        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

displayed_as_stored!(
    action_item::ActionStatus,
    agreement::AgreementStatus,
    commitment::CommitmentStatus,
    commitment::StoredRisk,
    notification::NotificationKind,
    request::RequestStatus,
    review::ReviewStatus,
    unit::Unit,
    user::Role,
);
