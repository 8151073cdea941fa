//! The JSON API under `/api/v1`: one module per resource, each with
//! `routes()` and the request/response types of its handlers.

pub mod accounts;
pub mod agreements;
pub mod calendars;
pub mod commitments;
pub mod departments;
pub mod docs;
pub mod events;
pub mod notifications;
pub mod organisation;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod system;
pub mod users;

use rocket::Route;
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;
use crate::time::{Turnaround, TurnaroundUnit};

/// Every API route, to be mounted at `/api/v1`.
pub fn api_routes() -> Vec<Route> {
    [
        accounts::routes(),
        users::routes(),
        departments::routes(),
        calendars::routes(),
        organisation::routes(),
        agreements::routes(),
        requests::routes(),
        commitments::routes(),
        reports::routes(),
        reviews::routes(),
        reviews::feed_routes(),
        notifications::routes(),
        events::routes(),
        docs::api_routes(),
    ]
    .concat()
}

/// For `PATCH` fields that may be set to `null`: absent → `None`,
/// `null` → `Some(None)`, a value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A turnaround from `amount` and `unit` query parameters.
pub fn parse_turnaround(amount: Option<&str>, unit: Option<&str>) -> Result<Turnaround, ApiError> {
    let amount = amount.ok_or_else(|| ApiError::field("amount", "is required"))?;
    let unit = unit.ok_or_else(|| ApiError::field("unit", "is required"))?;
    let unit: TurnaroundUnit = serde_json::from_value(serde_json::Value::String(unit.into()))
        .map_err(|_| {
            ApiError::field(
                "unit",
                "must be business_hours, business_days, calendar_hours or calendar_days",
            )
        })?;
    let amount: f64 = amount
        .parse()
        .map_err(|_| ApiError::field("amount", "must be a number"))?;
    Turnaround::new(amount, unit).map_err(|error| ApiError::field("amount", error.to_string()))
}
