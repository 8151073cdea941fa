//! Checking input fields. A [`Checker`] collects every field error of a body
//! so the client learns all of them in one 422, and hands back clean values.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::entities::Named;
use crate::error::{ApiError, FieldErrors};
use crate::time::{END_INSTANT, FIRST_DATE, FIRST_INSTANT, LAST_DATE, Turnaround, TurnaroundUnit};

#[derive(Default)]
pub struct Checker {
    errors: FieldErrors,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// 422 with every error found, or `Ok` when there were none.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }

    /// A one-line name or title: trimmed, 1..=`max` characters, no control
    /// characters.
    pub fn line(&mut self, field: &str, value: &str, max: usize) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if value.chars().any(char::is_control) {
            self.add(field, "must not contain control characters");
        }
        value.to_owned()
    }

    /// Free text that may span lines (tabs and newlines allowed), possibly empty.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            self.add(field, "must not contain control characters");
        }
        value.to_owned()
    }

    /// An email address, lower-cased (emails are unique case-insensitively).
    pub fn email(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_lowercase();
        let well_formed = value.len() <= 254
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            });
        if !well_formed {
            self.add(field, "must be an email address such as ada@example.org");
        }
        value
    }

    /// A password of 12 to 1,024 characters.
    pub fn password(&mut self, field: &str, value: &str) {
        let length = value.chars().count();
        if length < 12 {
            self.add(field, "must be at least 12 characters");
        } else if length > 1024 {
            self.add(field, "must be at most 1024 characters");
        }
    }

    /// An instant a client sent: inside the range the business calendars
    /// support ([`crate::time::supported_instant`]), so that nothing computed
    /// from it later (a due, a recurrence, a pause shift) can leave that range
    /// or overflow.
    pub fn instant(&mut self, field: &str, at: DateTime<Utc>) -> DateTime<Utc> {
        if !crate::time::supported_instant(at) {
            self.add(field, instant_range_message());
        }
        at
    }

    /// [`Checker::instant`] for an optional value.
    pub fn optional_instant(
        &mut self,
        field: &str,
        at: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        at.map(|at| self.instant(field, at))
    }

    /// A calendar date a client sent, inside the supported local dates.
    pub fn date(&mut self, field: &str, date: NaiveDate) -> NaiveDate {
        if !crate::time::supported_date(date) {
            self.add(
                field,
                format!("must lie between {FIRST_DATE} and {LAST_DATE}"),
            );
        }
        date
    }

    /// An IANA time zone name.
    pub fn timezone(&mut self, field: &str, value: &str) -> Option<Tz> {
        match value.parse::<Tz>() {
            Ok(zone) => Some(zone),
            Err(_) => {
                self.add(
                    field,
                    format!("'{value}' is not an IANA time zone such as Europe/Berlin"),
                );
                None
            }
        }
    }

    /// Ids a body names that the organisation does not have: one message
    /// listing them all, e.g. "no such requests in this organisation: 4, 9".
    /// Returns whether every id was known.
    pub fn known_ids<Id: PartialEq + std::fmt::Display>(
        &mut self,
        field: &str,
        what: &str,
        wanted: &[Id],
        known: &[Id],
    ) -> bool {
        let unknown: Vec<String> = wanted
            .iter()
            .filter(|id| !known.contains(id))
            .map(Id::to_string)
            .collect();
        if !unknown.is_empty() {
            self.add(
                field,
                format!(
                    "no such {what} in this organisation: {}",
                    unknown.join(", ")
                ),
            );
        }
        unknown.is_empty()
    }

    /// A department code: `[A-Z0-9_-]{1,16}`.
    pub fn department_code(&mut self, field: &str, value: &str) -> String {
        let valid = (1..=16).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid {
            self.add(field, "must be 1 to 16 characters of A-Z, 0-9, '_' or '-'");
        }
        value.to_owned()
    }
}

/// Why an instant is refused: the one supported range, spelt out.
fn instant_range_message() -> String {
    format!(
        "must lie from {} up to (not including) {}",
        FIRST_INSTANT.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        END_INSTANT.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

/// One instant [`Checker::instant`] would accept, or a 422 naming `field`.
pub fn instant(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    let mut check = Checker::new();
    let at = check.instant(field, at);
    check.finish().map(|()| at)
}

/// An optional instant from a query string: absent is `None`, anything
/// else as [`query_instant`] reads it.
pub fn optional_query_instant(
    field: &str,
    text: Option<&str>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|text| query_instant(field, text)).transpose()
}

/// An instant from a query string: RFC 3339, in the supported range; a 422
/// naming the parameter otherwise.
pub fn query_instant(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            ApiError::field(
                field,
                "must be an RFC 3339 instant such as 2026-03-06T15:00:00+01:00",
            )
        })?
        .with_timezone(&Utc);
    instant(field, at)
}

/// A turnaround typed as text, as a query or a form gives it: `amount`
/// ("16", "1.5") and `unit` (`business_hours`, …), each required.
pub fn turnaround_text(amount: Option<&str>, unit: Option<&str>) -> Result<Turnaround, ApiError> {
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

/// The member of a closed set a query names, if it names one: "must be a,
/// b or c" on `field` otherwise.
pub fn query_named<E: Named>(field: &str, text: Option<&str>) -> Result<Option<E>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    E::named(text)
        .map(Some)
        .ok_or_else(|| ApiError::field(field, format!("must be {}", one_of::<E>())))
}

/// "a, b or c": the names of every member of `E`.
pub fn one_of<E: Named>() -> String {
    let names: Vec<&str> = E::members().into_iter().map(E::name).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A numeric id from the query string: absent is `None`, anything but an
/// integer is a 422 naming the parameter (Rocket would silently drop it).
pub fn query_id<Id: From<i64>>(name: &str, value: Option<&str>) -> Result<Option<Id>, ApiError> {
    value
        .map(|text| {
            text.parse::<i64>()
                .map(Id::from)
                .map_err(|_| ApiError::field(name, "must be an integer id"))
        })
        .transpose()
}
