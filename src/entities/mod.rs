//! SeaORM entities, one file per table. Plain data: no Rocket, no rules.
//!
//! Closed sets (statuses, roles, units, notification kinds, stored risk) are
//! enums over readable text columns (`DeriveActiveEnum`), so a row is parsed
//! once, where it is read, and a misspelt value cannot be written. Each enum
//! lives with the table that owns it (declared with `closed_set!`); the unit
//! is shared (`unit.rs`). Ids are types of their own (`ids.rs`).

/// Declares a closed set stored as readable text: each member is named
/// once, and that name is its column value (`DeriveActiveEnum`), its JSON
/// (serde) and its [`Named::name`], so the three cannot drift apart.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $set:ident { $($member:ident = $name:tt),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum,
            serde::Serialize, serde::Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $set {
            $(
                #[sea_orm(string_value = $name)]
                #[serde(rename = $name)]
                $member,
            )+
        }

        impl $set {
            /// The name the API and the column use.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($set::$member => $name,)+
                }
            }
        }

        impl $crate::entities::Named for $set {
            fn members() -> Vec<Self> {
                vec![$($set::$member),+]
            }

            fn name(self) -> &'static str {
                self.as_str()
            }

            // By its name without a list of every member: rows are read
            // member by member (`request_row`).
            fn named(text: &str) -> Option<Self> {
                match text {
                    $($name => Some($set::$member),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $set {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod action_item;
pub mod agreement;
pub mod attachment;
pub mod calendar;
pub mod calendar_feed_token;
pub mod comment;
pub mod commitment;
pub mod commitment_dependency;
pub mod contact;
pub mod department;
pub mod endangerment;
pub mod event;
pub mod idempotency_key;
pub mod ids;
pub mod mail_digest;
pub mod mail_preference;
pub mod notification;
pub mod organisation;
pub mod password_reset;
pub mod pulse;
pub mod pulse_answer;
pub mod request;
pub mod request_dependency;
pub mod request_row;
pub mod review;
pub mod review_attendee;
pub mod saved_view;
pub mod thanks;
pub mod unit;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;

/// A closed set exchanged by name: the column, the API and the forms all
/// hold the same word for each member.
pub trait Named: Copy + Sized + 'static {
    /// Every member, in declaration order.
    fn members() -> Vec<Self>;
    /// The member's name.
    fn name(self) -> &'static str;
    /// The member called `text`, if any.
    fn named(text: &str) -> Option<Self> {
        Self::members()
            .into_iter()
            .find(|member| member.name() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_is_found_by_its_name_and_nothing_else_is() {
        for status in request::RequestStatus::members() {
            assert_eq!(request::RequestStatus::named(status.name()), Some(status));
        }
        assert_eq!(request::RequestStatus::members().len(), 7);
        assert_eq!(request::RequestStatus::named("In_progress"), None);
        assert_eq!(user::Role::named(""), None);
    }
}
