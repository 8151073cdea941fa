//! Times as people read and type them, in the organisation's zone.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::error::ApiError;

/// A `datetime-local` field ("2026-03-06T15:00"), read in the organisation's
/// time zone; an RFC 3339 instant is accepted as well.
pub fn local_instant(
    text: &str,
    zone: chrono_tz::Tz,
    field: &str,
) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| zone.from_local_datetime(&local).earliest())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| ApiError::field(field, "must be a date and time such as 2026-03-06T15:00"))
}

/// An instant as a `datetime-local` field shows it, in `zone`.
pub fn local_input(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()
}

/// An instant as people read it: local time in the organisation's zone.
pub fn local(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}
