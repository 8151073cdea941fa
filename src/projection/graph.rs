//! The input model (plain data the service layer fills from the database) and
//! [`Graph`], its validated dense form: struct-of-arrays request data,
//! adjacency lists in flat `u32` arrays, a topological order, and cycle
//! detection that names the cycle.
//!
//! Indices ([`RequestIdx`], [`CommitmentIdx`], [`CalendarIdx`]) are positions
//! in the input vectors; the external `i64` ids are kept for output only.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::ProjectionError;
use super::adjacency::Adjacency;
use crate::time::{CompiledCalendar, Turnaround};

/// Position of a request in [`ProjectionInput::requests`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestIdx(pub u32);

/// Position of a commitment in [`ProjectionInput::commitments`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitmentIdx(pub u32);

/// Position of a calendar in [`ProjectionInput::calendars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarIdx(pub u32);

/// The organisation's default at-risk threshold (SPEC §4), working minutes.
pub const DEFAULT_AT_RISK_THRESHOLD_MINUTES: i64 = 480;

/// Where a request stands, as far as projection cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Open, in progress, waiting on its customer or reopened: not delivered.
    Undelivered {
        /// The provider's latest forecast, if any.
        expected_at: Option<DateTime<Utc>>,
    },
    /// Delivered or accepted at this instant.
    Delivered {
        /// Delivery instant.
        at: DateTime<Utc>,
    },
    /// Cancelled: leaves the graph, nothing waits for it any more.
    Cancelled,
}

/// A due instant the caller already knows: `cal.due(ready, turnaround).due ==
/// due` in the request's provider calendar, pauses *not* included. The engine
/// trusts it (it is how a stored `due_at` saves a calendar look-up); pass the
/// pair from [`super::Projection::due_memo`] or one computed when the request
/// was logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueHint {
    /// The ready time the due was computed from.
    pub ready: DateTime<Utc>,
    /// `due(ready, turnaround).due`.
    pub due: DateTime<Utc>,
}

/// One internal request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestInput {
    /// External id (also breaks ties on the critical path: lowest id wins).
    pub id: i64,
    /// Provider department (owner of `own_slip`).
    pub provider_department_id: i64,
    /// Customer department (owner of `customer_wait`).
    pub customer_department_id: i64,
    /// The provider's calendar.
    pub calendar: CalendarIdx,
    /// The agreed turnaround of the agreement version it was logged under.
    pub turnaround: Turnaround,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// Delivery state.
    pub state: RequestState,
    /// How far its pauses moved its due, precomputed by the caller: working
    /// seconds of the provider calendar for business units, elapsed seconds
    /// for calendar units. Never negative.
    pub pause_shift_seconds: i64,
    /// The requests whose deliverables it needs first.
    pub depends_on: Vec<RequestIdx>,
    /// Optional known due for one ready time (see [`DueHint`]).
    pub due_hint: Option<DueHint>,
}

/// Where an external commitment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentState {
    /// Still to be met.
    Open,
    /// Met at this instant.
    Fulfilled {
        /// Fulfilment instant.
        at: DateTime<Utc>,
    },
    /// Cancelled: not projected.
    Cancelled,
}

/// One external commitment.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentInput {
    /// External id.
    pub id: i64,
    /// Owner department.
    pub owner_department_id: i64,
    /// The owner's calendar (for the lead time and the slack).
    pub calendar: CalendarIdx,
    /// Business time the owner needs after the last handoff arrives.
    pub lead_time: Turnaround,
    /// What was promised to the outside customer.
    pub promised_at: DateTime<Utc>,
    /// The requests it waits for.
    pub depends_on: Vec<RequestIdx>,
    /// State.
    pub state: CommitmentState,
}

/// Everything projection needs, in plain data.
#[derive(Debug, Clone)]
pub struct ProjectionInput {
    /// Compiled calendars, referenced by [`CalendarIdx`].
    pub calendars: Vec<Arc<CompiledCalendar>>,
    /// Requests, referenced by [`RequestIdx`].
    pub requests: Vec<RequestInput>,
    /// Commitments, referenced by [`CommitmentIdx`].
    pub commitments: Vec<CommitmentInput>,
    /// Slack below this many working minutes is `at_risk`.
    pub at_risk_threshold_minutes: i64,
}

/// Sentinel for "no instant" in the `i64`-seconds arrays.
pub(crate) const NONE: i64 = i64::MIN;

/// Internal status byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Undelivered,
    Delivered,
    Cancelled,
}

/// Whole seconds of an instant, rounded up like the time engine does (work
/// cannot start before it is ready), so every internal instant is a second.
pub(crate) fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

/// The instant of whole second `s`.
pub(crate) fn instant(s: i64) -> Result<DateTime<Utc>, crate::time::TimeError> {
    DateTime::from_timestamp(s, 0).ok_or(crate::time::TimeError::ResultOutOfRange)
}

/// Request data, one array per field (the forward pass touches few fields).
#[derive(Debug, Clone, Default)]
pub(crate) struct Requests {
    pub id: Vec<i64>,
    pub provider: Vec<i64>,
    pub customer: Vec<i64>,
    pub calendar: Vec<u32>,
    pub turnaround: Vec<Turnaround>,
    /// Elapsed seconds of a calendar-unit turnaround, `-1` for business units
    /// (those need the calendar).
    pub fixed: Vec<i64>,
    pub requested: Vec<i64>,
    pub status: Vec<Status>,
    /// Delivery instant (delivered) or forecast (undelivered, [`NONE`] if none).
    pub at: Vec<i64>,
    pub shift: Vec<i64>,
}

/// Commitment data, one array per field.
#[derive(Debug, Clone, Default)]
pub(crate) struct Commitments {
    pub id: Vec<i64>,
    pub owner: Vec<i64>,
    pub calendar: Vec<u32>,
    pub lead: Vec<Turnaround>,
    pub promised: Vec<i64>,
    /// `None` = cancelled, `Some(NONE)` = open, `Some(t)` = fulfilled at t.
    pub fulfilled: Vec<Option<i64>>,
}

/// A validated, acyclic dependency graph in dense form.
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) calendars: Vec<Arc<CompiledCalendar>>,
    pub(crate) req: Requests,
    /// `deps[r]`: the requests `r` depends on (cancelled ones included; the
    /// pass ignores them through their `NONE` finish).
    pub(crate) deps: Adjacency,
    /// `dependents[u]`: the requests that depend on `u` (reverse edges).
    pub(crate) dependents: Adjacency,
    pub(crate) com: Commitments,
    pub(crate) com_deps: Adjacency,
    /// `req_coms[r]`: the commitments that depend on `r` directly.
    pub(crate) req_coms: Adjacency,
    /// Non-cancelled requests, every one after all its dependencies.
    pub(crate) order: Vec<u32>,
    pub(crate) order_dirty: bool,
    pub(crate) threshold_minutes: i64,
}

pub(crate) fn status_and_at(state: RequestState) -> (Status, i64) {
    match state {
        RequestState::Undelivered { expected_at } => {
            (Status::Undelivered, expected_at.map_or(NONE, secs))
        }
        RequestState::Delivered { at } => (Status::Delivered, secs(at)),
        RequestState::Cancelled => (Status::Cancelled, NONE),
    }
}

pub(crate) fn commitment_fulfilled(state: CommitmentState) -> Option<i64> {
    match state {
        CommitmentState::Open => Some(NONE),
        CommitmentState::Fulfilled { at } => Some(secs(at)),
        CommitmentState::Cancelled => None,
    }
}

impl Graph {
    /// Validates `input` (indices in range, no negative pause shift, no
    /// cycle) and builds the dense graph and its topological order.
    pub fn new(input: ProjectionInput) -> Result<Self, ProjectionError> {
        let ProjectionInput {
            calendars,
            requests,
            commitments,
            at_risk_threshold_minutes,
        } = input;
        let n = u32::try_from(requests.len()).map_err(|_| ProjectionError::TooLarge)?;
        let mut graph = Self {
            calendars,
            req: Requests::default(),
            deps: Adjacency::with_capacity(requests.len(), 0),
            dependents: Adjacency::default(),
            com: Commitments::default(),
            com_deps: Adjacency::with_capacity(commitments.len(), 0),
            req_coms: Adjacency::default(),
            order: Vec::new(),
            order_dirty: true,
            threshold_minutes: at_risk_threshold_minutes,
        };
        let edges: usize = requests.iter().map(|r| r.depends_on.len()).sum();
        graph.deps.reserve_items(edges);
        for r in &requests {
            graph.push_request_fields(r)?;
            check_indices(r.id, &r.depends_on, n)?;
            graph.deps.push_list(r.depends_on.iter().map(|d| d.0))?;
        }
        for c in &commitments {
            graph.push_commitment_fields(c)?;
            check_indices(c.id, &c.depends_on, n)?;
            graph.com_deps.push_list(c.depends_on.iter().map(|d| d.0))?;
        }
        graph.dependents = graph.deps.reversed(requests.len())?;
        graph.req_coms = graph.com_deps.reversed(requests.len())?;
        graph.refresh_order()?;
        Ok(graph)
    }

    pub(crate) fn push_request_fields(&mut self, r: &RequestInput) -> Result<(), ProjectionError> {
        if r.calendar.0 as usize >= self.calendars.len() {
            return Err(ProjectionError::UnknownCalendar {
                id: r.id,
                calendar: r.calendar.0,
            });
        }
        if r.pause_shift_seconds < 0 {
            return Err(ProjectionError::NegativePauseShift { request_id: r.id });
        }
        let (status, at) = status_and_at(r.state);
        let q = &mut self.req;
        q.id.push(r.id);
        q.provider.push(r.provider_department_id);
        q.customer.push(r.customer_department_id);
        q.calendar.push(r.calendar.0);
        q.turnaround.push(r.turnaround);
        q.fixed.push(fixed_seconds(r.turnaround));
        q.requested.push(secs(r.requested_at));
        q.status.push(status);
        q.at.push(at);
        q.shift.push(r.pause_shift_seconds);
        Ok(())
    }

    pub(crate) fn push_commitment_fields(
        &mut self,
        c: &CommitmentInput,
    ) -> Result<(), ProjectionError> {
        if c.calendar.0 as usize >= self.calendars.len() {
            return Err(ProjectionError::UnknownCalendar {
                id: c.id,
                calendar: c.calendar.0,
            });
        }
        let m = &mut self.com;
        m.id.push(c.id);
        m.owner.push(c.owner_department_id);
        m.calendar.push(c.calendar.0);
        m.lead.push(c.lead_time);
        m.promised.push(secs(c.promised_at));
        m.fulfilled.push(commitment_fulfilled(c.state));
        Ok(())
    }

    /// Number of requests (cancelled ones included).
    pub fn request_count(&self) -> usize {
        self.req.id.len()
    }

    /// Number of commitments (cancelled ones included).
    pub fn commitment_count(&self) -> usize {
        self.com.id.len()
    }

    /// Number of dependency edges between requests.
    pub fn dependency_count(&self) -> usize {
        (0..self.request_count())
            .map(|r| self.deps.get(r).len())
            .sum()
    }

    /// External id of a request.
    pub fn request_id(&self, r: RequestIdx) -> Option<i64> {
        self.req.id.get(r.0 as usize).copied()
    }

    /// External ids of the requests `r` depends on, in the order given.
    pub fn input_ids(&self, r: RequestIdx) -> Vec<i64> {
        self.deps
            .get(r.0 as usize)
            .iter()
            .filter_map(|&input| self.req.id.get(input as usize).copied())
            .collect()
    }

    /// Whether commitment `c` is open (neither fulfilled nor cancelled).
    pub fn is_open_commitment(&self, c: CommitmentIdx) -> bool {
        self.com.fulfilled.get(c.0 as usize) == Some(&Some(NONE))
    }

    /// External id of a commitment.
    pub fn commitment_id(&self, c: CommitmentIdx) -> Option<i64> {
        self.com.id.get(c.0 as usize).copied()
    }

    pub(crate) fn is_cancelled(&self, r: usize) -> bool {
        self.req.status[r] == Status::Cancelled
    }

    /// Recomputes the topological order (Kahn's algorithm over the
    /// non-cancelled requests) if a dependency change made it stale.
    pub(crate) fn refresh_order(&mut self) -> Result<(), ProjectionError> {
        if !self.order_dirty {
            return Ok(());
        }
        let n = self.request_count();
        // Fast path: ids usually grow with time and requests depend on older
        // ones, so index order is often already topological and keeps the
        // pass's memory accesses sequential.
        let identity_ok = (0..n).all(|r| self.deps.get(r).iter().all(|&u| (u as usize) < r));
        let order = if identity_ok {
            (0..n as u32)
                .filter(|&r| !self.is_cancelled(r as usize))
                .collect()
        } else {
            self.kahn_order()?
        };
        self.order = order;
        self.order_dirty = false;
        Ok(())
    }

    fn kahn_order(&self) -> Result<Vec<u32>, ProjectionError> {
        let n = self.request_count();
        let mut indegree = vec![0u32; n];
        let mut live = 0usize;
        for (r, degree) in indegree.iter_mut().enumerate() {
            if self.is_cancelled(r) {
                continue;
            }
            live += 1;
            *degree = self
                .deps
                .get(r)
                .iter()
                .filter(|&&u| !self.is_cancelled(u as usize))
                .count() as u32;
        }
        let mut order: Vec<u32> = (0..n as u32)
            .filter(|&r| !self.is_cancelled(r as usize) && indegree[r as usize] == 0)
            .collect();
        order.reserve(live.saturating_sub(order.len()));
        let mut head = 0;
        while head < order.len() {
            let u = order[head] as usize;
            head += 1;
            for &r in self.dependents.get(u) {
                let r = r as usize;
                if self.is_cancelled(r) {
                    continue;
                }
                indegree[r] -= 1;
                if indegree[r] == 0 {
                    order.push(r as u32);
                }
            }
        }
        if order.len() < live {
            let stuck = (0..n).find(|&r| !self.is_cancelled(r) && indegree[r] > 0);
            let cycle = stuck.map(|r| self.cycle_through_stuck(r, &indegree));
            return Err(ProjectionError::Cycle {
                cycle: cycle.unwrap_or_default(),
            });
        }
        Ok(order)
    }

    /// Every request left with a positive in-degree after Kahn's algorithm
    /// has a stuck dependency, so walking stuck dependencies from `start`
    /// must revisit a request: that loop is a cycle.
    fn cycle_through_stuck(&self, start: usize, indegree: &[u32]) -> Vec<i64> {
        let mut seen_at = std::collections::HashMap::new();
        let mut path = Vec::new();
        let mut r = start;
        loop {
            if let Some(&pos) = seen_at.get(&r) {
                let mut cycle: Vec<usize> = path[pos..].to_vec();
                // The walk follows "depends on" edges; name the cycle in
                // the same direction, starting from its lowest id.
                rotate_to_lowest(&mut cycle, &self.req.id);
                return cycle.iter().map(|&x| self.req.id[x]).collect();
            }
            seen_at.insert(r, path.len());
            path.push(r);
            let next = self
                .deps
                .get(r)
                .iter()
                .map(|&u| u as usize)
                .find(|&u| !self.is_cancelled(u) && indegree[u] > 0);
            match next {
                Some(u) => r = u,
                None => return path.iter().map(|&x| self.req.id[x]).collect(),
            }
        }
    }

    /// Would giving request `r` the dependency set `new_deps` close a cycle?
    /// Returns the cycle as request ids, `r` first, each depending on the
    /// next and the last depending on `r` (`[r]` for a self-dependency), or
    /// `None` when the change is safe. Cancelled requests are out of the
    /// graph and never part of a cycle.
    pub fn would_close_cycle(&self, r: RequestIdx, new_deps: &[RequestIdx]) -> Option<Vec<i64>> {
        let target = r.0 as usize;
        let n = self.request_count();
        if target >= n {
            return None;
        }
        // A new edge r -> d closes a cycle exactly when d already depends,
        // transitively, on r: search from every d along "depends on" edges.
        let mut parent: Vec<u32> = vec![u32::MAX; n];
        let mut stack: Vec<usize> = Vec::new();
        for d in new_deps {
            let d = d.0 as usize;
            if d >= n || self.is_cancelled(d) {
                continue;
            }
            if d == target {
                return Some(vec![self.req.id[target]]);
            }
            if parent[d] == u32::MAX {
                parent[d] = target as u32;
                stack.push(d);
            }
        }
        while let Some(u) = stack.pop() {
            for &w in self.deps.get(u) {
                let w = w as usize;
                if self.is_cancelled(w) {
                    continue;
                }
                if w == target {
                    // Path target -> d -> ... -> u -> target.
                    let mut back = vec![u];
                    let mut x = u;
                    while parent[x] as usize != target {
                        x = parent[x] as usize;
                        back.push(x);
                    }
                    back.push(target);
                    back.reverse();
                    return Some(back.iter().map(|&i| self.req.id[i]).collect());
                }
                if parent[w] == u32::MAX {
                    parent[w] = u as u32;
                    stack.push(w);
                }
            }
        }
        None
    }
}

fn rotate_to_lowest(cycle: &mut [usize], ids: &[i64]) {
    if let Some((pos, _)) = cycle.iter().enumerate().min_by_key(|&(_, &x)| ids[x]) {
        cycle.rotate_left(pos);
    }
}

fn check_indices(owner: i64, deps: &[RequestIdx], n: u32) -> Result<(), ProjectionError> {
    match deps.iter().find(|d| d.0 >= n) {
        Some(d) => Err(ProjectionError::UnknownRequest { owner, index: d.0 }),
        None => Ok(()),
    }
}

/// Elapsed seconds of a calendar-unit turnaround, `-1` for business units.
pub(crate) fn fixed_seconds(t: Turnaround) -> i64 {
    if t.unit().is_business() {
        -1
    } else {
        t.fixed_seconds().unwrap_or(-1)
    }
}
