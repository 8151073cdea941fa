//! Local wall-clock time → UTC instants for one zone, fast.
//!
//! Asking chrono-tz for every range boundary of 160 years would dominate
//! compile time, so `OffsetTable` first recovers the zone's offset changes
//! over the supported window (one chrono-tz look-up per day plus a bisection
//! at each change), and `WallToUtc` then converts wall times in increasing
//! order with a cursor over that table.
//!
//! Sampling once a day is exact as long as a zone never changes its offset
//! twice within 24 hours. In the bundled tz database the closest offset
//! changes since 1990 are about 7 days apart (Brazil 2000, Gaza/Hebron), and
//! the property tests compare against chrono-tz directly.
//!
//! Wall times are "local seconds": seconds since 1970-01-01T00:00 of the
//! local wall clock, i.e. `NaiveDateTime::and_utc().timestamp()`.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

const DAY: i64 = 86_400;

/// The zone's UTC offsets over a window of UTC instants, as a step function.
#[derive(Debug, Clone)]
pub(crate) struct OffsetTable {
    /// UTC instants at which the offset changes, ascending.
    changes: Vec<i64>,
    /// `offsets[i]` (seconds east of UTC) holds on `[changes[i-1], changes[i])`,
    /// with the first and last spans unbounded; `offsets.len() == changes.len() + 1`.
    offsets: Vec<i32>,
}

impl OffsetTable {
    /// Recovers every offset change of `tz` between the UTC instants `from`
    /// and `to` (outside, the first/last offset is assumed to hold).
    pub(crate) fn build(tz: Tz, from: i64, to: i64) -> Self {
        let offset_at = |t: i64| -> i32 {
            match DateTime::from_timestamp(t, 0) {
                Some(dt) => tz
                    .offset_from_utc_datetime(&dt.naive_utc())
                    .fix()
                    .local_minus_utc(),
                // Unreachable for the window the engine uses; UTC keeps
                // this total rather than panicking.
                None => 0,
            }
        };
        let mut changes = Vec::new();
        let mut current = offset_at(from);
        let mut offsets = vec![current];
        let mut t = from;
        while t < to {
            let next = (t + DAY).min(to);
            if offset_at(next) == current {
                t = next;
                continue;
            }
            // Invariant: offset_at(lo) == current != offset_at(hi).
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            current = offset_at(hi);
            changes.push(hi);
            offsets.push(current);
            t = hi;
        }
        changes.shrink_to_fit();
        offsets.shrink_to_fit();
        Self { changes, offsets }
    }

    /// A converter for wall times given in non-decreasing order.
    pub(crate) fn wall_to_utc(&self) -> WallToUtc<'_> {
        WallToUtc {
            table: self,
            span: 0,
        }
    }
}

/// Converts wall times, given in non-decreasing order, to instants.
///
/// The instant of wall time `w` is the first instant whose local time is at
/// or after `w`. That one rule gives SPEC §2's resolution: a wall time in a
/// repeated hour takes its first occurrence, and a skipped one moves to the
/// first instant after the gap (the transition itself).
pub(crate) struct WallToUtc<'a> {
    table: &'a OffsetTable,
    /// Index of the offset span the last answer came from; only moves forward.
    span: usize,
}

impl WallToUtc<'_> {
    /// The instant (UTC seconds) of wall time `wall` (local seconds).
    pub(crate) fn convert(&mut self, wall: i64) -> i64 {
        let changes = &self.table.changes;
        let offsets = &self.table.offsets;
        // The first span whose local end lies after `wall` holds the answer:
        // every earlier span shows only wall times before `wall`. As `wall`
        // grows that span can only move forward, hence the cursor.
        while self.span < changes.len()
            && changes[self.span] + i64::from(offsets[self.span]) <= wall
        {
            self.span += 1;
        }
        let candidate = wall - i64::from(offsets[self.span]);
        match self.span.checked_sub(1) {
            // Before the span starts means `wall` was skipped: the span's
            // first instant is the first one after the gap.
            Some(prev) => candidate.max(changes[prev]),
            None => candidate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{LocalResult, NaiveDate};

    /// chrono-tz's own answer, with the gap rule done by stepping minutes.
    fn slow(tz: Tz, wall: i64) -> i64 {
        let mut w = wall;
        loop {
            let naive = DateTime::from_timestamp(w, 0).unwrap().naive_utc();
            match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => return t.timestamp(),
                LocalResult::Ambiguous(a, b) => return a.timestamp().min(b.timestamp()),
                LocalResult::None => w = (w / 60 + 1) * 60,
            }
        }
    }

    #[test]
    fn matches_chrono_tz_every_quarter_hour_for_three_years() {
        for name in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Lord_Howe",
            "Asia/Kathmandu",
            "America/Santiago",
            "Asia/Gaza",
            "UTC",
        ] {
            let tz: Tz = name.parse().unwrap();
            let start = NaiveDate::from_ymd_opt(2023, 12, 25).unwrap();
            let from = start.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
            let to = from + 3 * 366 * DAY;
            let table = OffsetTable::build(tz, from - 2 * DAY, to + 2 * DAY);
            let mut conv = table.wall_to_utc();
            let mut w = from;
            while w < to {
                assert_eq!(conv.convert(w), slow(tz, w), "{name} wall {w}");
                w += 900;
            }
        }
    }
}
