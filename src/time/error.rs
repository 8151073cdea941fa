//! Errors of the time engine: per-field calendar validation errors (for a 422
//! `{field: [messages]}` body) and the run-time [`TimeError`].

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

/// One validation problem, tied to the field path the client sent, e.g.
/// `timezone`, `weekly.mon[1]`, `weekly.tue[0].start`, `weekly`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the offending field.
    pub field: String,
    /// Human-readable message.
    pub message: String,
}

/// Every validation problem of a calendar, in input order. Never empty when
/// returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarErrors {
    errors: Vec<FieldError>,
}

impl CalendarErrors {
    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub(crate) fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.push(field, message);
        errors
    }

    /// True when no problem was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The problems in input order.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// Messages grouped by field, the shape of a 422 response body.
    pub fn by_field(&self) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in &self.errors {
            map.entry(e.field.clone())
                .or_default()
                .push(e.message.clone());
        }
        map
    }

    /// The messages recorded for one field (empty if none).
    pub fn messages_for(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect()
    }
}

impl fmt::Display for CalendarErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid calendar")?;
        for (i, e) in self.errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CalendarErrors {}

/// A query on a compiled calendar that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// An input instant lies outside the calendar's supported local dates.
    #[error("{instant} is outside the supported range (local dates 1990-01-01 to 2150-12-31)")]
    OutOfRange {
        /// The offending input.
        instant: DateTime<Utc>,
    },
    /// The answer would lie after the calendar's last supported local date.
    #[error("the result lies beyond the supported range (local dates up to 2150-12-31)")]
    ResultOutOfRange,
    /// A negative amount of working time was asked for.
    #[error("working time must not be negative (got {seconds} s)")]
    NegativeAmount {
        /// The offending amount.
        seconds: i64,
    },
    /// An interval whose end precedes its start.
    #[error("interval ends ({to}) before it starts ({from})")]
    InvertedInterval {
        /// Start of the interval.
        from: DateTime<Utc>,
        /// End of the interval.
        to: DateTime<Utc>,
    },
}
