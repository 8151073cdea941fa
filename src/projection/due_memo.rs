//! Due instants of requests, with a two-slot memo per request.
//!
//! A calendar look-up (two binary searches over decades of working
//! intervals) is the one costly step of the forward pass. Most requests keep
//! the same ready time from one projection to the next, so each request
//! remembers the last `(ready, due)` pair of the projected pass and of the
//! baseline pass; a pass whose ready time matches either reuses the due.
//! The memo is seeded from the caller's [`super::DueHint`] (e.g. the stored
//! `due_at` computed when the request was logged).

use super::graph::{Graph, NONE, instant};
use crate::time::TimeError;

/// Slot of the projected pass.
pub(crate) const PROJECTED: usize = 0;
/// Slot of the baseline pass.
pub(crate) const BASELINE: usize = 1;

/// `(ready, due)` pairs, `ready == NONE` when empty. Dues exclude pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Memo {
    pub slots: [(i64, i64); 2],
}

impl Memo {
    pub(crate) const EMPTY: Self = Self {
        slots: [(NONE, NONE); 2],
    };

    /// The due for `ready` if either slot knows it.
    #[inline]
    pub(crate) fn lookup(&self, ready: i64) -> Option<i64> {
        let [(r0, d0), (r1, d1)] = self.slots;
        if r0 == ready {
            Some(d0)
        } else if r1 == ready {
            Some(d1)
        } else {
            None
        }
    }

    /// A lower bound of `due(ready)`: due is non-decreasing in the ready
    /// time, so any remembered pair with an earlier ready bounds it.
    #[inline]
    pub(crate) fn lower_bound(&self, ready: i64) -> i64 {
        let [(r0, d0), (r1, d1)] = self.slots;
        let a = if r0 != NONE && r0 <= ready { d0 } else { NONE };
        let b = if r1 != NONE && r1 <= ready { d1 } else { NONE };
        a.max(b)
    }
}

/// `due(ready, turnaround).due` of request `r` (no pauses), from the memo
/// when possible; remembers the answer in `slot`.
#[inline]
pub(crate) fn due_unpaused(
    g: &Graph,
    r: usize,
    ready: i64,
    memo: &mut Memo,
    slot: usize,
) -> Result<i64, TimeError> {
    let fixed = g.req.fixed[r];
    if fixed >= 0 {
        // Calendar units: elapsed time from the ready time, no calendar.
        return ready.checked_add(fixed).ok_or(TimeError::ResultOutOfRange);
    }
    if let Some(due) = memo.lookup(ready) {
        return Ok(due);
    }
    let due = compute_due(g, r, ready)?;
    memo.slots[slot] = (ready, due);
    Ok(due)
}

/// The time engine's due, with no memo.
pub(crate) fn compute_due(g: &Graph, r: usize, ready: i64) -> Result<i64, TimeError> {
    let fixed = g.req.fixed[r];
    if fixed >= 0 {
        return ready.checked_add(fixed).ok_or(TimeError::ResultOutOfRange);
    }
    let cal = &g.calendars[g.req.calendar[r] as usize];
    Ok(cal
        .due(instant(ready)?, g.req.turnaround[r])?
        .due
        .timestamp())
}

/// `due` moved later by the request's pauses: working seconds of the
/// provider calendar for business units (the engine's business-time
/// addition, as in `extend_for_pauses`), elapsed seconds for calendar units.
#[inline]
pub(crate) fn extend_for_pauses(g: &Graph, r: usize, due: i64) -> Result<i64, TimeError> {
    let shift = g.req.shift[r];
    if shift == 0 {
        return Ok(due);
    }
    if g.req.fixed[r] >= 0 {
        return due.checked_add(shift).ok_or(TimeError::ResultOutOfRange);
    }
    let cal = &g.calendars[g.req.calendar[r] as usize];
    Ok(cal.add_working(instant(due)?, shift)?.timestamp())
}
