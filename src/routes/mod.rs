//! The JSON API under `/api/v1`: one module per resource, each with
//! `routes()` and the request/response types of its handlers.

pub mod accounts;
pub mod agreements;
pub mod attachments;
pub mod calendars;
pub mod comments;
pub mod commitments;
pub mod contacts;
pub mod departments;
pub mod docs;
pub mod events;
pub mod mail;
pub mod notifications;
pub mod organisation;
pub mod pulses;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod system;
pub mod thanks;
pub mod users;
pub mod views;
pub mod webhooks;

use rocket::Route;
use serde::{Deserialize, Deserializer};

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
        comments::routes(),
        thanks::routes(),
        pulses::routes(),
        contacts::routes(),
        attachments::routes(),
        views::routes(),
        commitments::routes(),
        reports::routes(),
        reviews::routes(),
        reviews::feed_routes(),
        notifications::routes(),
        events::routes(),
        mail::routes(),
        webhooks::routes(),
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
