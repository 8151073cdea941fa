//! Business-time engine (SPEC §2): pure arithmetic, no database, no HTTP.
//!
//! What lives where:
//! - [`calendar`]: [`CalendarSpec`], the validated description of a calendar
//!   (IANA zone, weekly `HH:MM` ranges, holidays) and its per-field errors.
//! - [`zone`]: local wall-clock time → UTC instants for one zone, resolving
//!   skipped and repeated wall times the way SPEC §2 says.
//! - [`compile`]: turns a spec into a [`CompiledCalendar`]: flat sorted arrays
//!   of working intervals (UTC seconds) with cumulative working seconds, and
//!   the close of every working day.
//! - [`engine`]: the O(log n) queries on a compiled calendar: clock start,
//!   adding working time, measuring working time, business days.
//! - [`turnaround`]: [`Turnaround`], a parsed and bounded turnaround amount.
//! - [`due`]: due dates, pauses and lateness built on the queries.
//! - [`error`]: [`TimeError`] and [`CalendarErrors`].
//!
//! Conventions shared by every query:
//! - The engine counts whole seconds. An input instant with a sub-second part
//!   is rounded *up* to the next whole second (work cannot start before it is
//!   ready), so every result is a whole second.
//! - Supported local dates are [`FIRST_DATE`]..=[`LAST_DATE`] in the
//!   calendar's zone. Instants outside give [`TimeError::OutOfRange`]; results
//!   that would fall past the end give [`TimeError::ResultOutOfRange`].
//!   Zone rules are those of the bundled tz database (chrono-tz); where it has
//!   no more transitions (around 2100 for most zones) the last offset holds.
//!
//! Choices where SPEC §2 is silent:
//! - A *working day* is a non-holiday local date with at least one range
//!   that is non-empty once converted to instants (a range wholly inside a
//!   DST gap does not count); its close is the end of its last such range.
//! - `working_seconds(from, to)` is signed (negative when `to < from`).
//! - Lateness minutes are working seconds divided by 60, truncated toward
//!   zero (the time vectors only hold whole minutes).
//! - For calendar units, `Due::clock_start` is the ready time.
//! - Pauses are merged when they overlap, and each counts in full wherever
//!   it lies relative to the due ([`CompiledCalendar::extend_for_pauses`]).
//! - `add_working(t, 0)` is `t` itself; `due` applies the clock start first.

pub mod calendar;
pub mod compile;
pub mod due;
pub mod engine;
pub mod error;
pub mod turnaround;
pub mod zone;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

pub use calendar::{CalendarSpec, WorkingRange};
pub use compile::CompiledCalendar;
pub use due::{Due, Lateness, Pause};
pub use error::{CalendarErrors, FieldError, TimeError};
pub use turnaround::{Turnaround, TurnaroundError, TurnaroundUnit};

/// First supported local date (inclusive) of every compiled calendar.
pub const FIRST_DATE: NaiveDate = ymd(1990, 1, 1);
/// Last supported local date (inclusive) of every compiled calendar.
pub const LAST_DATE: NaiveDate = ymd(2150, 12, 31);

/// First instant the API accepts (inclusive): the start of the day after
/// [`FIRST_DATE`] in UTC. No zone is more than a day off UTC, so every local
/// date such an instant falls on, in any calendar, is supported; one bound for
/// every date input means a value accepted today cannot fail later in the
/// engine, nor in arithmetic on it (a review recurs, a due moves).
pub const FIRST_INSTANT: DateTime<Utc> = midnight_utc(ymd(1990, 1, 2));
/// Last instant the API accepts (exclusive): the start of the day before
/// [`LAST_DATE`] in UTC, for the same reason.
pub const END_INSTANT: DateTime<Utc> = midnight_utc(ymd(2150, 12, 31));

/// Whether an instant a client sends lies in the range every calendar supports.
pub fn supported_instant(at: DateTime<Utc>) -> bool {
    (FIRST_INSTANT..END_INSTANT).contains(&at)
}

/// Whether a date a client sends lies in the supported local dates.
pub fn supported_date(date: NaiveDate) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&date)
}

const fn midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(date.and_time(NaiveTime::MIN), Utc)
}

/// Builds a constant date; only ever evaluated at compile time, so a bad
/// literal is a build error, never a run-time panic.
const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => date,
        None => panic!("invalid constant date"),
    }
}
