//! Placing demo work in time: a few searches over a compiled calendar that
//! the engine does not offer directly (it only moves forward), done by
//! bisection over its O(log n) queries.

use chrono::{DateTime, TimeDelta, Utc};

use baton::time::{CompiledCalendar, Turnaround};

use super::DemoError;

/// How far back the searches look; far more than any demo turnaround.
const REACH: TimeDelta = TimeDelta::days(120);

/// The latest instant with `seconds` of working time between it and `to`.
pub(crate) fn working_before(
    calendar: &CompiledCalendar,
    to: DateTime<Utc>,
    seconds: i64,
) -> Result<DateTime<Utc>, DemoError> {
    // Working time up to `to` only shrinks as the start moves later.
    latest(to - REACH, to, |t| {
        Ok(calendar.working_seconds(t, to)? >= seconds)
    })
}

/// The latest request time whose due under `turnaround` is not after `due`:
/// how to ask so that the work falls due at a chosen moment.
pub(crate) fn requested_for_due(
    calendar: &CompiledCalendar,
    turnaround: Turnaround,
    due: DateTime<Utc>,
) -> Result<DateTime<Utc>, DemoError> {
    // A due date never moves earlier when the request comes later.
    latest(due - REACH, due, |t| {
        Ok(calendar.due(t, turnaround)?.due <= due)
    })
}

/// The latest instant in `[low, high]` that satisfies `holds`, a predicate
/// that is true up to some instant and false after it; `low` when none is.
fn latest(
    mut low: DateTime<Utc>,
    mut high: DateTime<Utc>,
    holds: impl Fn(DateTime<Utc>) -> Result<bool, DemoError>,
) -> Result<DateTime<Utc>, DemoError> {
    if holds(high)? {
        return Ok(high);
    }
    while high - low > TimeDelta::seconds(1) {
        let middle = low + (high - low) / 2;
        if holds(middle)? {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(low)
}
