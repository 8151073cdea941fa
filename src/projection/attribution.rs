//! Why a commitment is where it is (SPEC §4): its critical path, the root
//! causes along it, and which commitments a request endangers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ProjectionError;
use super::commitment::Risk;
use super::due_memo::{compute_due, extend_for_pauses};
use super::graph::{CommitmentIdx, NONE, RequestIdx};
use super::pass::ready_times;
use super::state::Projection;

/// Who a root cause is attributed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCauseKind {
    /// The provider finished (or will finish) after its due.
    OwnSlip,
    /// The customer kept the request waiting (pauses moved its due).
    CustomerWait,
}

/// One root cause on a commitment's critical path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootCause {
    /// The request on the critical path.
    pub request_id: i64,
    /// Provider department for `own_slip`, customer department for
    /// `customer_wait`.
    pub department_id: i64,
    /// What kind of delay.
    pub kind: RootCauseKind,
    /// Elapsed minutes (whole, truncated; never zero).
    pub minutes: i64,
}

/// The projection of one commitment, the shape of
/// `GET /commitments/{id}/projection` (SPEC appendix A).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentProjection {
    /// Projected instant.
    pub projected_at: DateTime<Utc>,
    /// Baseline instant.
    pub baseline_at: DateTime<Utc>,
    /// Elapsed minutes of slip, never negative.
    pub slip_minutes: i64,
    /// Working minutes of slack (negative when late).
    pub slack_minutes: i64,
    /// Risk.
    pub risk: Risk,
    /// Request ids, upstream first.
    pub critical_path: Vec<i64>,
    /// Own slips and customer waits along the critical path, upstream first.
    pub root_causes: Vec<RootCause>,
}

impl Projection {
    /// Of `candidates`, the one with the latest projected finish, ties to
    /// the lowest request id; cancelled requests (finish `NONE`) never win.
    fn latest_of(&self, candidates: &[u32]) -> Option<usize> {
        let ids = &self.graph.req.id;
        candidates
            .iter()
            .map(|&u| u as usize)
            .filter(|&u| self.fin[u][0] != NONE)
            .max_by(|&a, &b| {
                self.fin[a][0]
                    .cmp(&self.fin[b][0])
                    .then_with(|| ids[b].cmp(&ids[a]))
            })
    }

    /// The critical path of commitment `c` as request indices, upstream
    /// first: from `c` to its request with the latest finish, then from each
    /// request to its dependency with the latest finish as long as that
    /// finish is at or after the request's `requested_at`.
    pub fn critical_path(&self, c: CommitmentIdx) -> Vec<RequestIdx> {
        let g = &self.graph;
        let Some(first) = self.latest_of(g.com_deps.get(c.0 as usize)) else {
            return Vec::new();
        };
        let mut path = vec![first];
        let mut r = first;
        // The graph is acyclic, so the walk ends; the bound only guards
        // against a corrupted graph looping forever.
        while path.len() <= g.request_count() {
            match self.latest_of(g.deps.get(r)) {
                Some(u) if self.fin[u][0] >= g.req.requested[r] => {
                    path.push(u);
                    r = u;
                }
                _ => break,
            }
        }
        path.reverse();
        path.into_iter().map(|r| RequestIdx(r as u32)).collect()
    }

    /// The due of request `r` in the projected pass, before and after its
    /// pauses (whole seconds).
    fn dues(&self, r: usize) -> Result<(i64, i64), ProjectionError> {
        let g = &self.graph;
        let (ready, _) = ready_times(g, &self.fin, r);
        let wrap = |source| ProjectionError::Time {
            request_id: g.req.id[r],
            source,
        };
        let plain = match self.memo[r].lookup(ready) {
            Some(due) if g.req.fixed[r] < 0 => due,
            _ => compute_due(g, r, ready).map_err(wrap)?,
        };
        let paused = extend_for_pauses(g, r, plain).map_err(wrap)?;
        Ok((plain, paused))
    }

    /// Root causes along a path (upstream first): `own_slip` = finish − due
    /// (due after pauses) when positive, to the provider; `customer_wait` =
    /// how far pauses moved the due, to the customer; elapsed minutes,
    /// zero entries left out.
    pub fn root_causes(&self, path: &[RequestIdx]) -> Result<Vec<RootCause>, ProjectionError> {
        let g = &self.graph;
        let mut causes = Vec::new();
        for &RequestIdx(r) in path {
            let r = r as usize;
            let finish = self.fin[r][0];
            if finish == NONE {
                continue;
            }
            let (plain, paused) = self.dues(r)?;
            let own = (finish - paused).max(0) / 60;
            if own > 0 {
                causes.push(RootCause {
                    request_id: g.req.id[r],
                    department_id: g.req.provider[r],
                    kind: RootCauseKind::OwnSlip,
                    minutes: own,
                });
            }
            let wait = (paused - plain).max(0) / 60;
            if wait > 0 {
                causes.push(RootCause {
                    request_id: g.req.id[r],
                    department_id: g.req.customer[r],
                    kind: RootCauseKind::CustomerWait,
                    minutes: wait,
                });
            }
        }
        Ok(causes)
    }

    /// Everything `GET /commitments/{id}/projection` shows; `None` for a
    /// cancelled or unknown commitment.
    pub fn commitment_projection(
        &self,
        c: CommitmentIdx,
    ) -> Result<Option<CommitmentProjection>, ProjectionError> {
        let Some(fig) = self.commitment(c) else {
            return Ok(None);
        };
        let path = self.critical_path(c);
        let root_causes = self.root_causes(&path)?;
        let g = &self.graph;
        Ok(Some(CommitmentProjection {
            projected_at: fig.projected_at,
            baseline_at: fig.baseline_at,
            slip_minutes: fig.slip_minutes,
            slack_minutes: fig.slack_minutes,
            risk: fig.risk,
            critical_path: path.iter().map(|r| g.req.id[r.0 as usize]).collect(),
            root_causes,
        }))
    }

    /// The commitments request `r` endangers: open commitments downstream
    /// of it that are late or at risk *and* whose critical path runs through
    /// it (a request off the critical path does not set the date, and one on
    /// the path of an on-track commitment endangers nothing). Ascending.
    pub fn endangered_commitments(&mut self, r: RequestIdx) -> Vec<CommitmentIdx> {
        let cone = self.downstream_commitments(&[r]);
        cone.into_iter()
            .filter(|&c| {
                let open = self.graph.com.fulfilled[c.0 as usize] == Some(NONE);
                let risky = matches!(
                    self.com.get(c.0 as usize).copied().flatten(),
                    Some(f) if f.risk != Risk::OnTrack
                );
                open && risky && self.critical_path(c).contains(&r)
            })
            .collect()
    }
}
