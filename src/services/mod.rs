//! Use cases: plain async functions over `&impl ConnectionTrait`, each scoped
//! to the caller's organisation. Handlers stay thin; rules live here.

pub mod accounts;
pub mod agreements;
pub mod calendars;
pub mod commitments;
pub mod departments;
pub mod events;
pub mod forecasting;
pub mod notifications;
pub mod organisations;
pub mod projection;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod stats;
pub mod users;

/// A write that would only touch a row when its version still matches;
/// zero rows means someone else got there first.
pub fn stale_if_untouched(rows_affected: u64) -> Result<(), crate::error::ApiError> {
    if rows_affected == 0 {
        Err(crate::error::ApiError::Stale)
    } else {
        Ok(())
    }
}
