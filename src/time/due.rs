//! Due dates, pauses and lateness (SPEC §2), built on the engine's queries.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::compile::CompiledCalendar;
use super::engine::{ceil_seconds, instant};
use super::error::TimeError;
use super::turnaround::{Turnaround, TurnaroundUnit};

/// When the clock started and when the work is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// First working instant at or after the ready time. For calendar units,
    /// which ignore the calendar, this is the ready time itself (rounded up
    /// to a whole second; the shared time vectors leave it `null` there).
    pub clock_start: DateTime<Utc>,
    /// The due instant.
    pub due: DateTime<Utc>,
}

/// A stretch `[from, to)` during which the clock was stopped (the request
/// waited on its customer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the wait began.
    pub from: DateTime<Utc>,
    /// When it ended.
    pub to: DateTime<Utc>,
}

/// How a delivery compares with its due instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lateness {
    /// Signed working minutes from due to delivery, truncated toward zero
    /// (negative = early; 59 working seconds late counts 0 minutes).
    pub minutes: i64,
    /// Delivered at or before due.
    pub on_time: bool,
    /// `minutes < 0` (implies on time).
    pub early: bool,
}

impl Lateness {
    /// Delivered after due (possibly with 0 working minutes, when the
    /// delivery came outside working hours).
    pub fn late(&self) -> bool {
        !self.on_time
    }
}

impl CompiledCalendar {
    /// Clock start and due instant of work ready at `ready` with `turnaround`.
    ///
    /// - `business_hours`: the instant at which that much working time after
    ///   the clock start has elapsed (0 hours = the clock start).
    /// - `business_days`: the close of the n-th working day after the clock
    ///   start's working day (see [`CompiledCalendar::business_days_after`]).
    /// - `calendar_hours` / `calendar_days`: `ready` plus elapsed time; the
    ///   calendar plays no part (the instant is not range-checked).
    pub fn due(&self, ready: DateTime<Utc>, turnaround: Turnaround) -> Result<Due, TimeError> {
        match turnaround.unit() {
            TurnaroundUnit::BusinessHours => {
                let t = self.seconds_in_range(ready)?;
                let (start, worked) = self.clock_start_seconds(t)?;
                let due = self.add_seconds(start, worked, turnaround.quantity() * 60)?;
                Ok(Due {
                    clock_start: instant(start)?,
                    due: instant(due)?,
                })
            }
            TurnaroundUnit::BusinessDays => {
                let t = self.seconds_in_range(ready)?;
                let (start, _) = self.clock_start_seconds(t)?;
                // Bounded by MAX_DAYS, so it fits.
                let days = u32::try_from(turnaround.quantity())
                    .map_err(|_| TimeError::ResultOutOfRange)?;
                let due = self.close_after_days(start, days)?;
                Ok(Due {
                    clock_start: instant(start)?,
                    due: instant(due)?,
                })
            }
            TurnaroundUnit::CalendarHours | TurnaroundUnit::CalendarDays => {
                let seconds = turnaround
                    .fixed_seconds()
                    .ok_or(TimeError::ResultOutOfRange)?;
                let start = ceil_seconds(ready);
                let due = start
                    .checked_add(seconds)
                    .ok_or(TimeError::ResultOutOfRange)?;
                Ok(Due {
                    clock_start: instant(start)?,
                    due: instant(due)?,
                })
            }
        }
    }

    /// The due instant moved later by the time the `pauses` covered:
    /// working time in this calendar for business units (added to `due` by
    /// the same business-time addition as `business_hours`), elapsed time for
    /// calendar units.
    ///
    /// Overlapping pauses are merged first so no time counts twice. Every
    /// pause counts in full, wherever it lies relative to `due`: the clock
    /// was stopped for that long. A pause ending before it starts is an
    /// error; an empty one adds nothing.
    pub fn extend_for_pauses(
        &self,
        due: DateTime<Utc>,
        unit: TurnaroundUnit,
        pauses: &[Pause],
    ) -> Result<DateTime<Utc>, TimeError> {
        let mut stretches = Vec::with_capacity(pauses.len());
        for p in pauses {
            if p.to < p.from {
                return Err(TimeError::InvertedInterval {
                    from: p.from,
                    to: p.to,
                });
            }
            if p.to > p.from {
                stretches.push((p.from, p.to));
            }
        }
        stretches.sort_unstable();
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(stretches.len());
        for (from, to) in stretches {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }

        if unit.is_business() {
            let mut paused = 0i64;
            for (from, to) in merged {
                paused += self.working_seconds(from, to)?;
            }
            self.add_working(due, paused)
        } else {
            let mut paused = TimeDelta::zero();
            for (from, to) in merged {
                paused += to - from;
            }
            due.checked_add_signed(paused)
                .ok_or(TimeError::ResultOutOfRange)
        }
    }

    /// Lateness of a delivery at `delivered` against `due`, in this calendar's
    /// working minutes (truncated toward zero); see [`Lateness`].
    pub fn lateness(
        &self,
        due: DateTime<Utc>,
        delivered: DateTime<Utc>,
    ) -> Result<Lateness, TimeError> {
        let seconds = self.working_seconds(due, delivered)?;
        // Integer division truncates toward zero: a delivery 30 working
        // seconds early is on time with 0 minutes, not early by a minute.
        let minutes = seconds / 60;
        Ok(Lateness {
            minutes,
            on_time: delivered <= due,
            early: minutes < 0,
        })
    }
}
