//! Incremental re-projection (SPEC §4, "a change re-projects only what lies
//! downstream of it"): changes to single requests and commitments, and
//! [`Projection::recompute_from`], which re-evaluates only the downstream
//! cone of the changed requests (everything reachable through reverse
//! edges) and the commitments that depend on it.
//!
//! The cone is ordered with Kahn's algorithm restricted to the cone, so the
//! global topological order is never needed here; a dependency change only
//! marks that order stale for the next full pass.

use chrono::{DateTime, Utc};

use super::ProjectionError;
use super::commitment::{ComMemo, evaluate_commitment};
use super::due_memo::Memo;
use super::graph::{
    CommitmentIdx, CommitmentInput, NONE, RequestIdx, RequestInput, Status, commitment_fulfilled,
    secs,
};
use super::pass::evaluate;
use super::state::Projection;

/// One change to a request, as the service layer records it.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestChange {
    /// The provider's forecast (`None` withdraws it). Undelivered only.
    Forecast(Option<DateTime<Utc>>),
    /// New total of how far its pauses moved its due (see
    /// [`RequestInput::pause_shift_seconds`]).
    PauseShift(i64),
    /// Delivered (or accepted) at this instant.
    Delivered(DateTime<Utc>),
    /// Reopened: undelivered again, no forecast, same due rules.
    Reopened,
    /// Cancelled: leaves the graph. Final.
    Cancelled,
    /// A new dependency set; rejected with [`ProjectionError::Cycle`] when it
    /// would close a cycle.
    DependsOn(Vec<RequestIdx>),
}

impl Projection {
    /// Records `change` on request `r` without re-projecting (call
    /// [`Projection::recompute_from`] afterwards, or use
    /// [`Projection::change`]). Nothing is modified when it fails.
    pub fn apply(&mut self, r: RequestIdx, change: RequestChange) -> Result<(), ProjectionError> {
        let i = r.0 as usize;
        let n = self.graph.request_count();
        if i >= n {
            return Err(ProjectionError::UnknownIndex { index: r.0 });
        }
        let id = self.graph.req.id[i];
        let status = self.graph.req.status[i];
        let invalid = |reason: &'static str| ProjectionError::InvalidChange {
            request_id: id,
            reason,
        };
        if status == Status::Cancelled {
            return Err(invalid("a cancelled request is final"));
        }
        let req = &mut self.graph.req;
        match change {
            RequestChange::Forecast(expected) => {
                if status != Status::Undelivered {
                    return Err(invalid("a forecast needs an undelivered request"));
                }
                req.at[i] = expected.map_or(NONE, secs);
            }
            RequestChange::PauseShift(shift) => {
                if shift < 0 {
                    return Err(ProjectionError::NegativePauseShift { request_id: id });
                }
                req.shift[i] = shift;
            }
            RequestChange::Delivered(at) => {
                req.status[i] = Status::Delivered;
                req.at[i] = secs(at);
            }
            RequestChange::Reopened => {
                req.status[i] = Status::Undelivered;
                req.at[i] = NONE;
            }
            RequestChange::Cancelled => {
                req.status[i] = Status::Cancelled;
                req.at[i] = NONE;
            }
            RequestChange::DependsOn(deps) => self.set_dependencies(i, &deps)?,
        }
        Ok(())
    }

    fn set_dependencies(&mut self, i: usize, deps: &[RequestIdx]) -> Result<(), ProjectionError> {
        let g = &mut self.graph;
        let n = g.request_count() as u32;
        if let Some(d) = deps.iter().find(|d| d.0 >= n) {
            return Err(ProjectionError::UnknownRequest {
                owner: g.req.id[i],
                index: d.0,
            });
        }
        if let Some(cycle) = g.would_close_cycle(RequestIdx(i as u32), deps) {
            return Err(ProjectionError::Cycle { cycle });
        }
        let old = g.deps.get(i).to_vec();
        for u in old {
            g.dependents.remove(u as usize, i as u32);
        }
        let list: Vec<u32> = deps.iter().map(|d| d.0).collect();
        g.deps.set(i, &list)?;
        for &u in &list {
            g.dependents.add(u as usize, i as u32)?;
        }
        g.order_dirty = true;
        Ok(())
    }

    /// [`Projection::apply`] then [`Projection::recompute_from`]: the
    /// commitments whose figures were re-evaluated, ascending.
    pub fn change(
        &mut self,
        r: RequestIdx,
        change: RequestChange,
    ) -> Result<Vec<CommitmentIdx>, ProjectionError> {
        self.apply(r, change)?;
        self.recompute_from(&[r])
    }

    /// The downstream cone of `seeds` (the seeds, then everything that
    /// depends on them transitively, cancelled requests other than the
    /// seeds left out), marked in `req_marks`, in no particular order.
    fn collect_cone(&mut self, seeds: &[RequestIdx]) -> Vec<u32> {
        let g = &self.graph;
        self.req_marks.reset(g.request_count());
        let mut cone = Vec::new();
        for s in seeds {
            if (s.0 as usize) < g.request_count() && self.req_marks.mark(s.0 as usize) {
                cone.push(s.0);
            }
        }
        let mut head = 0;
        while head < cone.len() {
            let u = cone[head] as usize;
            head += 1;
            for &w in g.dependents.get(u) {
                if !g.is_cancelled(w as usize) && self.req_marks.mark(w as usize) {
                    cone.push(w);
                }
            }
        }
        cone
    }

    /// Number of requests in the downstream cone of `r` (itself included).
    pub fn cone_size(&mut self, r: RequestIdx) -> usize {
        self.collect_cone(&[r]).len()
    }

    /// The commitments depending on any request of the downstream cone of
    /// `seeds`, ascending.
    pub fn downstream_commitments(&mut self, seeds: &[RequestIdx]) -> Vec<CommitmentIdx> {
        let cone = self.collect_cone(seeds);
        self.commitments_of(&cone)
    }

    fn commitments_of(&mut self, cone: &[u32]) -> Vec<CommitmentIdx> {
        let g = &self.graph;
        self.com_marks.reset(g.commitment_count());
        let mut out = Vec::new();
        for &r in cone {
            for &c in g.req_coms.get(r as usize) {
                if self.com_marks.mark(c as usize) {
                    out.push(CommitmentIdx(c));
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Re-projects the downstream cone of `changed` (both passes) and the
    /// commitments depending on it; returns those commitments, ascending.
    pub fn recompute_from(
        &mut self,
        changed: &[RequestIdx],
    ) -> Result<Vec<CommitmentIdx>, ProjectionError> {
        let n = self.graph.request_count();
        if let Some(r) = changed.iter().find(|r| r.0 as usize >= n) {
            return Err(ProjectionError::UnknownIndex { index: r.0 });
        }
        let cone = self.collect_cone(changed);
        let order = self.cone_order(&cone);
        for &r in &order {
            let r = r as usize;
            let f = evaluate(&self.graph, &self.fin, r, self.as_of, &mut self.memo[r])?;
            self.fin[r] = f;
        }
        let coms = self.commitments_of(&cone);
        for &c in &coms {
            let c = c.0 as usize;
            self.com[c] =
                evaluate_commitment(&self.graph, &self.fin, c, self.as_of, &mut self.com_memo[c])?;
        }
        Ok(coms)
    }

    /// The marked cone in topological order (Kahn's algorithm counting only
    /// edges inside the cone).
    fn cone_order(&self, cone: &[u32]) -> Vec<u32> {
        let g = &self.graph;
        let marks = &self.req_marks;
        // Position of each cone member, so in-degrees live in a small array.
        let mut pending: Vec<u32> = cone
            .iter()
            .map(|&v| {
                g.deps
                    .get(v as usize)
                    .iter()
                    .filter(|&&u| marks.is_marked(u as usize))
                    .count() as u32
            })
            .collect();
        let position: std::collections::HashMap<u32, usize> =
            cone.iter().enumerate().map(|(i, &v)| (v, i)).collect();
        let mut order: Vec<u32> = cone
            .iter()
            .zip(&pending)
            .filter(|(_, d)| **d == 0)
            .map(|(&v, _)| v)
            .collect();
        let mut head = 0;
        while head < order.len() {
            let u = order[head] as usize;
            head += 1;
            for &w in g.dependents.get(u) {
                if let Some(&p) = position.get(&w) {
                    pending[p] -= 1;
                    if pending[p] == 0 {
                        order.push(w);
                    }
                }
            }
        }
        order
    }

    /// Adds a new request (nothing depends on it yet, so no cycle is
    /// possible) and projects it; returns its index.
    pub fn add_request(&mut self, input: RequestInput) -> Result<RequestIdx, ProjectionError> {
        let g = &mut self.graph;
        let n = u32::try_from(g.request_count()).map_err(|_| ProjectionError::TooLarge)?;
        if let Some(d) = input.depends_on.iter().find(|d| d.0 >= n) {
            return Err(ProjectionError::UnknownRequest {
                owner: input.id,
                index: d.0,
            });
        }
        g.push_request_fields(&input)?;
        let list: Vec<u32> = input.depends_on.iter().map(|d| d.0).collect();
        g.deps.set(n as usize, &list)?;
        g.dependents.ensure_nodes(n as usize + 1);
        g.req_coms.ensure_nodes(n as usize + 1);
        for &u in &list {
            g.dependents.add(u as usize, n)?;
        }
        // Depending only on existing requests, it can go last in the order.
        if !g.is_cancelled(n as usize) {
            g.order.push(n);
        }
        let mut memo = Memo::EMPTY;
        if let Some(h) = input.due_hint {
            memo.slots[0] = (secs(h.ready), secs(h.due));
        }
        self.memo.push(memo);
        self.fin.push([NONE, NONE]);
        let i = n as usize;
        let f = evaluate(&self.graph, &self.fin, i, self.as_of, &mut self.memo[i])?;
        self.fin[i] = f;
        Ok(RequestIdx(n))
    }

    /// Adds a commitment and projects it.
    pub fn add_commitment(
        &mut self,
        input: CommitmentInput,
    ) -> Result<CommitmentIdx, ProjectionError> {
        let g = &mut self.graph;
        let c = u32::try_from(g.commitment_count()).map_err(|_| ProjectionError::TooLarge)?;
        self.check_request_indices(input.id, &input.depends_on)?;
        let g = &mut self.graph;
        g.push_commitment_fields(&input)?;
        let list: Vec<u32> = input.depends_on.iter().map(|d| d.0).collect();
        g.com_deps.set(c as usize, &list)?;
        for &u in &list {
            g.req_coms.add(u as usize, c)?;
        }
        self.com.push(None);
        self.com_memo.push(ComMemo::EMPTY);
        let i = c as usize;
        self.com[i] =
            evaluate_commitment(&self.graph, &self.fin, i, self.as_of, &mut self.com_memo[i])?;
        Ok(CommitmentIdx(c))
    }

    /// Replaces a commitment's data (promise, lead time, owner, state,
    /// requests) and re-projects it.
    pub fn update_commitment(
        &mut self,
        c: CommitmentIdx,
        input: CommitmentInput,
    ) -> Result<(), ProjectionError> {
        let i = c.0 as usize;
        if i >= self.graph.commitment_count() {
            return Err(ProjectionError::UnknownIndex { index: c.0 });
        }
        self.check_request_indices(input.id, &input.depends_on)?;
        if input.calendar.0 as usize >= self.graph.calendars.len() {
            return Err(ProjectionError::UnknownCalendar {
                id: input.id,
                calendar: input.calendar.0,
            });
        }
        let g = &mut self.graph;
        for u in g.com_deps.get(i).to_vec() {
            g.req_coms.remove(u as usize, c.0);
        }
        let list: Vec<u32> = input.depends_on.iter().map(|d| d.0).collect();
        g.com_deps.set(i, &list)?;
        for &u in &list {
            g.req_coms.add(u as usize, c.0)?;
        }
        let m = &mut g.com;
        m.id[i] = input.id;
        m.owner[i] = input.owner_department_id;
        m.calendar[i] = input.calendar.0;
        m.lead[i] = input.lead_time;
        m.promised[i] = secs(input.promised_at);
        m.fulfilled[i] = commitment_fulfilled(input.state);
        // New calendar, lead time or promise: the remembered answers no
        // longer hold.
        self.com_memo[i] = ComMemo::EMPTY;
        self.com[i] =
            evaluate_commitment(&self.graph, &self.fin, i, self.as_of, &mut self.com_memo[i])?;
        Ok(())
    }

    fn check_request_indices(
        &self,
        owner: i64,
        deps: &[RequestIdx],
    ) -> Result<(), ProjectionError> {
        let n = self.graph.request_count() as u32;
        match deps.iter().find(|d| d.0 >= n) {
            Some(d) => Err(ProjectionError::UnknownRequest { owner, index: d.0 }),
            None => Ok(()),
        }
    }
}
