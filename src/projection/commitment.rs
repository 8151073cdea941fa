//! The commitment rules (SPEC §4): lead time in the owner's calendar after
//! the latest finish of its requests, slack in the owner's working minutes,
//! risk, and slip against the baseline.
//!
//! Choices where the spec is silent:
//! - The lead time is applied with the time engine's `due(latest, lead)`,
//!   exactly like a request's turnaround: business units start at the first
//!   working instant of the owner's calendar at or after the latest finish,
//!   calendar units add elapsed time. A lead time of zero hours (business or
//!   calendar) or zero calendar days adds nothing: projected = the latest
//!   finish itself, even outside the owner's working hours (the default "no
//!   lead time" must not move a Friday-evening handoff to Monday). Zero
//!   `business_days` keeps its engine meaning: the close of that working day.
//! - A commitment with no live request (none, or all cancelled) waits for
//!   nothing: its latest finish is `as_of`, in both passes.
//! - Fulfilled: projected = the fulfilment time; baseline =
//!   `min(fulfilled_at, computed baseline)`, like a delivered request.
//! - Slack is truncated toward zero to whole working minutes (as lateness
//!   is), so 59 working seconds of slack count 0 minutes.

use serde::{Deserialize, Serialize};

use super::ProjectionError;
use super::graph::{Graph, NONE, instant};
use crate::time::{CompiledCalendar, TimeError, Turnaround, TurnaroundUnit};

/// How a commitment stands against its promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Slack at or above the organisation's threshold.
    OnTrack,
    /// Not late, but slack below the threshold.
    AtRisk,
    /// Projected after the promise.
    Late,
}

/// The stored figures of one commitment (whole seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ComFig {
    pub projected: i64,
    pub baseline: i64,
    pub slack_minutes: i64,
    pub risk: Risk,
}

impl ComFig {
    /// `projected − baseline` in whole elapsed minutes, never negative.
    pub(crate) fn slip_minutes(&self) -> i64 {
        (self.projected.saturating_sub(self.baseline)).max(0) / 60
    }
}

/// Remembered calendar answers of one commitment, so that an unchanged
/// input costs no look-up: the lead time applied to two latest finishes
/// (projected and baseline pass) and the slack of one projected instant.
/// Cleared whenever the commitment's data changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ComMemo {
    pub lead: [(i64, i64); 2],
    pub slack: (i64, i64),
}

impl ComMemo {
    pub(crate) const EMPTY: Self = Self {
        lead: [(NONE, NONE); 2],
        slack: (NONE, 0),
    };

    fn lead(
        &mut self,
        cal: &CompiledCalendar,
        lead: Turnaround,
        latest: i64,
        slot: usize,
    ) -> Result<i64, TimeError> {
        for &(from, to) in &self.lead {
            if from == latest {
                return Ok(to);
            }
        }
        let to = apply_lead(cal, lead, latest)?;
        self.lead[slot] = (latest, to);
        Ok(to)
    }

    fn slack_seconds(
        &mut self,
        cal: &CompiledCalendar,
        projected: i64,
        promised: i64,
    ) -> Result<i64, TimeError> {
        if self.slack.0 == projected {
            return Ok(self.slack.1);
        }
        let seconds = cal.working_seconds(instant(projected)?, instant(promised)?)?;
        self.slack = (projected, seconds);
        Ok(seconds)
    }
}

/// The lead time added to `latest` in the owner's calendar.
pub(crate) fn apply_lead(
    cal: &CompiledCalendar,
    lead: Turnaround,
    latest: i64,
) -> Result<i64, TimeError> {
    if lead.quantity() == 0 && lead.unit() != TurnaroundUnit::BusinessDays {
        return Ok(latest);
    }
    Ok(cal.due(instant(latest)?, lead)?.due.timestamp())
}

/// Risk from projected, promised and slack.
pub(crate) fn risk(projected: i64, promised: i64, slack_minutes: i64, threshold: i64) -> Risk {
    if projected > promised {
        Risk::Late
    } else if slack_minutes < threshold {
        Risk::AtRisk
    } else {
        Risk::OnTrack
    }
}

/// The figures of commitment `c` from the current request finishes; `None`
/// for a cancelled commitment.
pub(crate) fn evaluate_commitment(
    g: &Graph,
    fin: &[[i64; 2]],
    c: usize,
    as_of: i64,
    memo: &mut ComMemo,
) -> Result<Option<ComFig>, ProjectionError> {
    let Some(fulfilled) = g.com.fulfilled[c] else {
        return Ok(None);
    };
    let wrap = |source| ProjectionError::CommitmentTime {
        commitment_id: g.com.id[c],
        source,
    };
    let (mut latest_p, mut latest_b) = (NONE, NONE);
    for &u in g.com_deps.get(c) {
        let f = fin[u as usize];
        latest_p = latest_p.max(f[0]);
        latest_b = latest_b.max(f[1]);
    }
    if latest_p == NONE {
        latest_p = as_of;
        latest_b = as_of;
    }
    let cal = &g.calendars[g.com.calendar[c] as usize];
    let lead = g.com.lead[c];
    let computed_b = memo.lead(cal, lead, latest_b, 1).map_err(wrap)?;
    let (projected, baseline) = if fulfilled == NONE {
        (memo.lead(cal, lead, latest_p, 0).map_err(wrap)?, computed_b)
    } else {
        (fulfilled, fulfilled.min(computed_b))
    };
    let promised = g.com.promised[c];
    let slack_seconds = memo.slack_seconds(cal, projected, promised).map_err(wrap)?;
    let slack_minutes = slack_seconds / 60;
    Ok(Some(ComFig {
        projected,
        baseline,
        slack_minutes,
        risk: risk(projected, promised, slack_minutes, g.threshold_minutes),
    }))
}
