//! The core queries on a [`CompiledCalendar`], each one or two binary searches
//! over its flat arrays: no loop depends on the amount of time involved.
//!
//! Everything rests on `W(t)`, the working seconds before instant `t` (from
//! the start of the supported window). It is continuous and non-decreasing,
//! flat outside working intervals:
//! - working time between `a` and `b` is `W(b) - W(a)`;
//! - adding `s > 0` seconds to `t` gives the *smallest* instant `u` with
//!   `W(u) = W(t) + s`, which is why time running out exactly at a range's end
//!   gives that end and not the next range's start.

use chrono::{DateTime, Utc};

use super::compile::CompiledCalendar;
use super::error::TimeError;

/// Whole seconds of `t`, rounded up (work cannot start before it is ready).
pub(crate) fn ceil_seconds(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

/// The instant of whole second `s`.
pub(crate) fn instant(s: i64) -> Result<DateTime<Utc>, TimeError> {
    DateTime::from_timestamp(s, 0).ok_or(TimeError::ResultOutOfRange)
}

impl CompiledCalendar {
    /// Whole seconds of an input instant, checked against the supported window.
    pub(crate) fn seconds_in_range(&self, t: DateTime<Utc>) -> Result<i64, TimeError> {
        let s = ceil_seconds(t);
        if (self.lo..=self.hi).contains(&s) {
            Ok(s)
        } else {
            Err(TimeError::OutOfRange { instant: t })
        }
    }

    /// `W(t)`: working seconds before `t`.
    pub(crate) fn worked_before(&self, t: i64) -> i64 {
        // Intervals 0..i end at or before t; interval i may contain t.
        let i = self.end_buckets.search(&self.ends, t, true);
        let partial = match self.starts.get(i) {
            Some(&start) if start < t => t - start,
            _ => 0,
        };
        self.worked.get(i).copied().unwrap_or(0) + partial
    }

    /// First working instant `>= t`, with `W` at that instant.
    pub(crate) fn clock_start_seconds(&self, t: i64) -> Result<(i64, i64), TimeError> {
        let i = self.end_buckets.search(&self.ends, t, true);
        match self.starts.get(i) {
            Some(&start) => {
                let at = start.max(t);
                Ok((at, self.worked.get(i).copied().unwrap_or(0) + (at - start)))
            }
            None => Err(TimeError::ResultOutOfRange),
        }
    }

    /// Smallest instant `u >= t` with `W(u) = worked_at_t + seconds`, where
    /// `worked_at_t` is `W(t)`.
    pub(crate) fn add_seconds(
        &self,
        t: i64,
        worked_at_t: i64,
        seconds: i64,
    ) -> Result<i64, TimeError> {
        if seconds < 0 {
            return Err(TimeError::NegativeAmount { seconds });
        }
        if seconds == 0 {
            return Ok(t);
        }
        let target = worked_at_t
            .checked_add(seconds)
            .ok_or(TimeError::ResultOutOfRange)?;
        // First interval k whose cumulative end reaches the target.
        let k = self
            .work_buckets
            .search(self.worked.get(1..).unwrap_or(&[]), target, false);
        match self.starts.get(k) {
            Some(&start) => Ok(start + (target - self.worked.get(k).copied().unwrap_or(0))),
            None => Err(TimeError::ResultOutOfRange),
        }
    }

    /// Close of the `days`-th working day after the working day holding the
    /// working instant `clock_start`.
    pub(crate) fn close_after_days(&self, clock_start: i64, days: u32) -> Result<i64, TimeError> {
        // Working days are disjoint and ordered, so the day holding the clock
        // start is the first whose close lies after it.
        let day = self.close_buckets.search(&self.closes, clock_start, true);
        day.checked_add(days as usize)
            .and_then(|k| self.closes.get(k))
            .copied()
            .ok_or(TimeError::ResultOutOfRange)
    }

    /// The first working instant at or after `ready` (an instant exactly at
    /// a range's end is not working: it moves to the next range's start).
    pub fn clock_start(&self, ready: DateTime<Utc>) -> Result<DateTime<Utc>, TimeError> {
        let t = self.seconds_in_range(ready)?;
        instant(self.clock_start_seconds(t)?.0)
    }

    /// The instant at which `seconds` of working time after `start` have
    /// elapsed: the earliest such instant, so time running out exactly at a
    /// range's end gives that end. `seconds == 0` returns `start` itself
    /// (rounded up to a whole second), working or not.
    pub fn add_working(
        &self,
        start: DateTime<Utc>,
        seconds: i64,
    ) -> Result<DateTime<Utc>, TimeError> {
        let t = self.seconds_in_range(start)?;
        instant(self.add_seconds(t, self.worked_before(t), seconds)?)
    }

    /// Signed working seconds from `from` to `to`: negative when `to` is
    /// before `from`, so that `ws(a, b) + ws(b, c) == ws(a, c)` always holds.
    pub fn working_seconds(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, TimeError> {
        let a = self.seconds_in_range(from)?;
        let b = self.seconds_in_range(to)?;
        Ok(self.worked_before(b) - self.worked_before(a))
    }

    /// End of the last range of the `days`-th working day after the working
    /// day of the clock start of `ready` (0 = that same day's close).
    ///
    /// The working day of the clock start is the date whose range contains
    /// it. That is the clock start's local date, except in zones that turn
    /// their clocks back across midnight, where an instant of the next date's
    /// `00:00` range can still read as the previous date; using the range's
    /// own date keeps the due after the clock start there too.
    pub fn business_days_after(
        &self,
        ready: DateTime<Utc>,
        days: u32,
    ) -> Result<DateTime<Utc>, TimeError> {
        let t = self.seconds_in_range(ready)?;
        let (start, _) = self.clock_start_seconds(t)?;
        instant(self.close_after_days(start, days)?)
    }

    /// The supported window of instants: local midnight starting
    /// [`super::FIRST_DATE`] to local midnight ending [`super::LAST_DATE`].
    pub fn supported_range(&self) -> Result<(DateTime<Utc>, DateTime<Utc>), TimeError> {
        Ok((instant(self.lo)?, instant(self.hi)?))
    }
}
