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

/// How far `at` lies from `now` as people say it: "in 3 h 20 min",
/// "1 d 4 h ago" (days of 24 hours), "now" within the minute.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (at - now).num_minutes();
    match minutes {
        0 => "now".to_owned(),
        ahead if ahead > 0 => format!("in {}", crate::views::span(ahead, 24 * 60)),
        behind => format!("{} ago", crate::views::span(-behind, 24 * 60)),
    }
}

#[cfg(test)]
mod tests {
    use super::relative;
    use chrono::{TimeDelta, Utc};

    #[test]
    fn a_moment_reads_as_how_far_ahead_or_behind_it_lies() {
        let now = Utc::now();
        assert_eq!(
            relative(now + TimeDelta::minutes(200), now),
            "in 3 h 20 min"
        );
        assert_eq!(
            relative(now - TimeDelta::minutes(28 * 60), now),
            "1 d 4 h ago"
        );
        assert_eq!(relative(now + TimeDelta::seconds(30), now), "now");
        assert_eq!(relative(now + TimeDelta::days(3), now), "in 3 d");
    }
}
