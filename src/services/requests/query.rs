//! The request list's query (`?status=open&provider=3&q=contract`) read into
//! a [`RequestFilter`]: one reading for the API, the list page, its CSV and
//! the views people save, so that a saved view means what the list means.

use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::validate::{optional_query_instant, query_id, query_named};

use super::{RequestFilter, Search};

/// Every parameter the list reads besides paging.
pub const FILTER_KEYS: &[&str] = &[
    "status",
    "provider",
    "customer",
    "agreement",
    "overdue",
    "due_before",
    "due_after",
    "assignee",
    "assignee_user_id",
    "q",
];

/// The filter a query asks for, read as `actor` (`assignee=me` is them);
/// the first bad parameter is a 422 naming it.
pub fn filter_of<'a>(
    actor: &AuthUser,
    get: impl Fn(&str) -> Option<&'a str>,
) -> Result<RequestFilter, ApiError> {
    let assignee_user_id = match (
        get("assignee"),
        query_id("assignee_user_id", get("assignee_user_id"))?,
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::field(
                "assignee",
                "give assignee or assignee_user_id, not both",
            ));
        }
        (Some("me"), None) => Some(Some(actor.id)),
        (Some("none"), None) => Some(None),
        (Some(_), None) => return Err(ApiError::field("assignee", "must be me or none")),
        (None, person) => person.map(Some),
    };
    Ok(RequestFilter {
        status: query_named("status", get("status"))?,
        provider_department_id: query_id("provider", get("provider"))?,
        customer_department_id: query_id("customer", get("customer"))?,
        agreement_id: query_id("agreement", get("agreement"))?,
        overdue: match get("overdue") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(ApiError::field("overdue", "must be true or false")),
        },
        due_before: optional_query_instant("due_before", get("due_before"))?,
        due_after: optional_query_instant("due_after", get("due_after"))?,
        assignee_user_id,
        search: Search::parse(get("q"))?,
    })
}

/// A query string's filter parameters, decoded; anything else is a 422
/// naming it. For a query stored to be read later (a saved view).
pub fn filter_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if !FILTER_KEYS.contains(&key.as_ref()) {
            return Err(ApiError::field(
                "query",
                format!("has {key}, which is not a filter of the request list"),
            ));
        }
        if value.is_empty() {
            continue;
        }
        if pairs.iter().any(|(seen, _)| *seen == key) {
            return Err(ApiError::field("query", format!("names {key} twice")));
        }
        pairs.push((key.into_owned(), value.into_owned()));
    }
    Ok(pairs)
}

/// The pairs written back as a query string, in the order given.
pub fn query_string(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
