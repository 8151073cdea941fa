//! [`Projection`]: a [`Graph`] together with its computed finishes and
//! commitment figures, kept between changes so that a change re-projects
//! only what lies downstream of it (see [`super::incremental`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ProjectionError;
use super::commitment::{ComFig, ComMemo, Risk, evaluate_commitment};
use super::due_memo::{Memo, PROJECTED};
use super::graph::{
    CommitmentIdx, DueHint, Graph, NONE, ProjectionInput, RequestIdx, RequestState, instant, secs,
};
use super::pass::full_pass;

/// The figures of one commitment that the full pass keeps up to date (the
/// critical path and root causes are worked out on demand, see
/// [`Projection::commitment_projection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentFigures {
    /// Projected instant.
    pub projected_at: DateTime<Utc>,
    /// Baseline instant (every department keeping its word).
    pub baseline_at: DateTime<Utc>,
    /// `projected − baseline` in elapsed minutes, never negative.
    pub slip_minutes: i64,
    /// Working minutes of the owner's calendar from projected to promised.
    pub slack_minutes: i64,
    /// Late, at risk or on track.
    pub risk: Risk,
}

/// Reusable marks for cone searches (an epoch instead of clearing).
#[derive(Debug, Clone, Default)]
pub(crate) struct Marks {
    pub stamp: Vec<u32>,
    pub epoch: u32,
}

impl Marks {
    /// Starts a new search over `n` nodes; every node reads unmarked.
    pub(crate) fn reset(&mut self, n: usize) {
        if self.stamp.len() < n {
            self.stamp.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
    }

    /// Marks `i`; true if it was not marked yet.
    #[inline]
    pub(crate) fn mark(&mut self, i: usize) -> bool {
        let fresh = self.stamp[i] != self.epoch;
        self.stamp[i] = self.epoch;
        fresh
    }

    #[inline]
    pub(crate) fn is_marked(&self, i: usize) -> bool {
        self.stamp[i] == self.epoch
    }
}

/// A projected organisation: the graph, every request's projected and
/// baseline finish, and every commitment's figures, for one `as_of`.
#[derive(Debug, Clone)]
pub struct Projection {
    pub(crate) graph: Graph,
    pub(crate) as_of: i64,
    /// `[projected, baseline]` finish per request; `NONE` when cancelled.
    pub(crate) fin: Vec<[i64; 2]>,
    pub(crate) memo: Vec<Memo>,
    /// `None` for cancelled commitments.
    pub(crate) com: Vec<Option<ComFig>>,
    pub(crate) com_memo: Vec<ComMemo>,
    pub(crate) req_marks: Marks,
    pub(crate) com_marks: Marks,
}

impl Projection {
    /// Validates and builds the graph from `input`, then projects it for
    /// `as_of`.
    pub fn from_input(
        input: ProjectionInput,
        as_of: DateTime<Utc>,
    ) -> Result<Self, ProjectionError> {
        let hints: Vec<Option<DueHint>> = input.requests.iter().map(|r| r.due_hint).collect();
        let graph = Graph::new(input)?;
        let mut projection = Self::unprojected(graph, as_of);
        for (memo, hint) in projection.memo.iter_mut().zip(hints) {
            if let Some(h) = hint {
                memo.slots[PROJECTED] = (secs(h.ready), secs(h.due));
            }
        }
        projection.recompute_all()?;
        Ok(projection)
    }

    /// Projects an already built graph for `as_of` (no due hints).
    pub fn new(graph: Graph, as_of: DateTime<Utc>) -> Result<Self, ProjectionError> {
        let mut projection = Self::unprojected(graph, as_of);
        projection.recompute_all()?;
        Ok(projection)
    }

    fn unprojected(graph: Graph, as_of: DateTime<Utc>) -> Self {
        let n = graph.request_count();
        Self {
            as_of: secs(as_of),
            fin: Vec::new(),
            memo: vec![Memo::EMPTY; n],
            com: Vec::new(),
            com_memo: vec![ComMemo::EMPTY; graph.commitment_count()],
            req_marks: Marks::default(),
            com_marks: Marks::default(),
            graph,
        }
    }

    /// Full pass: every request, then every commitment.
    pub fn recompute_all(&mut self) -> Result<(), ProjectionError> {
        self.graph.refresh_order()?;
        full_pass(&self.graph, self.as_of, &mut self.fin, &mut self.memo)?;
        let count = self.graph.commitment_count();
        self.com_memo.resize(count, ComMemo::EMPTY);
        let mut com = Vec::with_capacity(count);
        for (c, memo) in self.com_memo.iter_mut().enumerate() {
            com.push(evaluate_commitment(
                &self.graph,
                &self.fin,
                c,
                self.as_of,
                memo,
            )?);
        }
        self.com = com;
        Ok(())
    }

    /// Moves `as_of` (the instant before which nothing undelivered can
    /// finish) and re-projects everything: it touches every open request.
    pub fn set_as_of(&mut self, as_of: DateTime<Utc>) -> Result<(), ProjectionError> {
        self.as_of = secs(as_of);
        self.recompute_all()
    }

    /// The moment the projection is for.
    pub fn as_of(&self) -> DateTime<Utc> {
        instant(self.as_of).unwrap_or_default()
    }

    /// The validated graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The projected finish of a request in `state` when nothing upstream
    /// can move it: a delivery's instant (in whole seconds, as the pass
    /// counts it), none for a cancelled request. `None` for an undelivered
    /// request: its finish takes a projection.
    pub fn settled_finish(state: RequestState) -> Option<Option<DateTime<Utc>>> {
        match state {
            RequestState::Delivered { at } => Some(instant(secs(at)).ok()),
            RequestState::Cancelled => Some(None),
            RequestState::Undelivered { .. } => None,
        }
    }

    /// Projected finish of a request (`None` when cancelled or unknown).
    pub fn finish(&self, r: RequestIdx) -> Option<DateTime<Utc>> {
        self.finish_of(r, 0)
    }

    /// Baseline finish of a request (`None` when cancelled or unknown).
    pub fn baseline_finish(&self, r: RequestIdx) -> Option<DateTime<Utc>> {
        self.finish_of(r, 1)
    }

    fn finish_of(&self, r: RequestIdx, pass: usize) -> Option<DateTime<Utc>> {
        let f = self.fin.get(r.0 as usize)?[pass];
        if f == NONE { None } else { instant(f).ok() }
    }

    /// The figures of a commitment (`None` when cancelled or unknown).
    pub fn commitment(&self, c: CommitmentIdx) -> Option<CommitmentFigures> {
        let fig = (*self.com.get(c.0 as usize)?)?;
        Some(CommitmentFigures {
            projected_at: instant(fig.projected).ok()?,
            baseline_at: instant(fig.baseline).ok()?,
            slip_minutes: fig.slip_minutes(),
            slack_minutes: fig.slack_minutes,
            risk: fig.risk,
        })
    }

    /// The last `(ready, due)` pair the projected pass used for a request,
    /// for the caller to store and pass back as [`DueHint`] next time
    /// (`None` for calendar units, which need no hint, or before any).
    pub fn due_memo(&self, r: RequestIdx) -> Option<DueHint> {
        let (ready, due) = self.memo.get(r.0 as usize)?.slots[PROJECTED];
        if ready == NONE {
            return None;
        }
        Some(DueHint {
            ready: instant(ready).ok()?,
            due: instant(due).ok()?,
        })
    }
}
