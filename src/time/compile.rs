//! [`CompiledCalendar`]: a [`CalendarSpec`] unrolled over every supported
//! local date into flat arrays of UTC seconds, so that each query is a binary
//! search or two (see [`super::engine`]).
//!
//! Layout (all ascending, `n` = number of working intervals):
//! - `starts[i]`, `ends[i]`: working interval `i` as `[start, end)`. Intervals
//!   that touch (`24:00` followed by `00:00`, or `09:00–12:00` + `12:00–17:00`)
//!   are merged, and ranges emptied by a DST gap are dropped.
//! - `worked[i]`: working seconds in intervals `0..i` (`n + 1` entries), so the
//!   working time before any instant is one look-up.
//! - `closes[k]`: end of the last non-empty range of the `k`-th working day,
//!   for `business_days`.
//!
//! A Monday–Friday calendar with two ranges a day is about 84,000 intervals
//! over the 161 supported years: about 2.3 MB.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use super::calendar::CalendarSpec;
use super::error::CalendarErrors;
use super::zone::OffsetTable;
use super::{FIRST_DATE, LAST_DATE};

pub(crate) const DAY: i64 = 86_400;

/// A calendar ready for O(log n) queries. Immutable, `Send + Sync`; share it
/// behind an `Arc`.
#[derive(Debug, Clone)]
pub struct CompiledCalendar {
    pub(crate) tz: Tz,
    /// First supported instant: local midnight starting [`FIRST_DATE`].
    pub(crate) lo: i64,
    /// Last supported instant: local midnight ending [`LAST_DATE`].
    pub(crate) hi: i64,
    pub(crate) starts: Vec<i64>,
    pub(crate) ends: Vec<i64>,
    pub(crate) worked: Vec<i64>,
    pub(crate) closes: Vec<i64>,
}

/// Local seconds (wall clock read as if it were UTC) of midnight starting `date`.
fn midnight_wall(date: NaiveDate) -> i64 {
    date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

impl CompiledCalendar {
    /// Unrolls `spec` over [`FIRST_DATE`]..=[`LAST_DATE`]. Fails only when no
    /// range survives (every range lies inside daylight-saving gaps).
    pub fn compile(spec: &CalendarSpec) -> Result<Self, CalendarErrors> {
        let tz = spec.timezone();
        let first_wall = midnight_wall(FIRST_DATE);
        let end_wall = midnight_wall(LAST_DATE) + DAY;
        // Two days of margin cover any UTC offset (at most ±26 h).
        let table = OffsetTable::build(tz, first_wall - 2 * DAY, end_wall + 2 * DAY);
        let mut to_utc = table.wall_to_utc();

        let days = (end_wall - first_wall) / DAY;
        let weekly = spec.weekly();
        let ranges_per_week: i64 = weekly.iter().map(|d| d.len() as i64).sum();
        let capacity = usize::try_from(days * ranges_per_week / 7 + 8).unwrap_or(0);
        let mut starts = Vec::with_capacity(capacity);
        let mut ends: Vec<i64> = Vec::with_capacity(capacity);
        let mut worked = Vec::with_capacity(capacity + 1);
        worked.push(0i64);
        let mut closes = Vec::with_capacity(capacity);

        // Holidays as day numbers since FIRST_DATE, ascending (the spec keeps
        // them sorted); those outside the window never match.
        let mut holidays = spec
            .holidays()
            .iter()
            .map(|h| (*h - FIRST_DATE).num_days())
            .filter(|d| (0..days).contains(d))
            .peekable();

        let lo = to_utc.convert(first_wall);
        let mut weekday = FIRST_DATE.weekday().num_days_from_monday() as usize;
        for day in 0..days {
            let ranges = &weekly[weekday];
            weekday = (weekday + 1) % 7;
            if holidays.next_if_eq(&day).is_some() {
                continue;
            }
            let midnight = first_wall + day * DAY;
            let mut close = None;
            for range in ranges {
                let start = to_utc.convert(midnight + i64::from(range.start_minute()) * 60);
                let end = to_utc.convert(midnight + i64::from(range.end_minute()) * 60);
                if end <= start {
                    continue; // swallowed by a DST gap
                }
                close = Some(end);
                let total = worked.last().copied().unwrap_or(0);
                match ends.last_mut() {
                    // Touching the previous interval: extend it, so that the
                    // arrays stay small and searches never land on a seam.
                    Some(last_end) if *last_end == start => {
                        *last_end = end;
                        if let Some(w) = worked.last_mut() {
                            *w = total + (end - start);
                        }
                    }
                    _ => {
                        starts.push(start);
                        ends.push(end);
                        worked.push(total + (end - start));
                    }
                }
            }
            if let Some(close) = close {
                closes.push(close);
            }
        }
        let hi = to_utc.convert(end_wall);

        if starts.is_empty() {
            return Err(CalendarErrors::single(
                "weekly",
                "the calendar has no working time in any week",
            ));
        }
        starts.shrink_to_fit();
        ends.shrink_to_fit();
        worked.shrink_to_fit();
        closes.shrink_to_fit();
        Ok(Self {
            tz,
            lo,
            hi,
            starts,
            ends,
            worked,
            closes,
        })
    }

    /// The calendar's zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Number of (merged) working intervals.
    pub fn interval_count(&self) -> usize {
        self.starts.len()
    }

    /// Number of working days in the supported window.
    pub fn working_day_count(&self) -> usize {
        self.closes.len()
    }

    /// Heap bytes held by the compiled arrays.
    pub fn heap_bytes(&self) -> usize {
        (self.starts.capacity()
            + self.ends.capacity()
            + self.worked.capacity()
            + self.closes.capacity())
            * std::mem::size_of::<i64>()
    }
}
