//! Probabilistic forecast of a commitment (SPEC §4, last bullet): Monte
//! Carlo over the undelivered requests of its upstream cone.
//!
//! Model, where the spec leaves room:
//! - The cone is everything the commitment waits for, stopping at delivered
//!   requests (their finish is a fact, so what lies above them cannot move
//!   the commitment) and leaving cancelled ones out.
//! - Each undelivered request's working time is its agreed working time
//!   times a ratio drawn uniformly from the caller's historical ratios
//!   (actual ÷ agreed; the agreement's last 100 deliveries or, with fewer
//!   than 10, the organisation's). No usable ratio (empty slice, or only
//!   negative or non-finite values) means ratio 1. Agreed working time:
//!   `business_hours` its minutes; `business_days` the working time from
//!   clock start to the due at that trial's ready time; calendar units their
//!   elapsed time. The drawn time is rounded to whole minutes for
//!   `business_hours` (added with the engine's `due` and a `business_hours`
//!   turnaround) and to whole seconds otherwise (`business_days`: the
//!   engine's `add_working` from the same clock start); then the pause shift is added and the finish is
//!   `max(drawn due, forecast, as_of)`, as in the deterministic pass. With
//!   every ratio 1 a trial reproduces the projection exactly.
//! - Percentiles are nearest-rank over the trials' projected instants;
//!   `probability_on_time` is the share of trials at or before the promise.
//! - One ChaCha8 stream seeded with `seed`, consumed in cone order, trial
//!   after trial, on one thread: the same seed gives the same answer on any
//!   machine.

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::ProjectionError;
use super::commitment::apply_lead;
use super::graph::{CommitmentIdx, NONE, RequestIdx, Status, instant};
use super::state::Projection;
use crate::time::{CompiledCalendar, TimeError, Turnaround, TurnaroundUnit};

/// The answer of `GET /commitments/{id}/forecast`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Median projected instant.
    pub p50: DateTime<Utc>,
    /// 80th percentile.
    pub p80: DateTime<Utc>,
    /// 90th percentile.
    pub p90: DateTime<Utc>,
    /// Share of trials meeting the promise, in `[0, 1]`.
    pub probability_on_time: f64,
    /// Number of trials run.
    pub trials: u32,
}

/// One request of the cone, flattened for the trial loop.
struct Node {
    /// Fixed finish for delivered requests, `NONE` for sampled ones.
    delivered: i64,
    requested: i64,
    forecast: i64,
    shift: i64,
    fixed: i64,
    turnaround: Turnaround,
    calendar: u32,
    deps: (u32, u32),
    ratios: (u32, u32),
    request: usize,
}

impl Projection {
    /// Runs `trials` Monte Carlo trials of commitment `c` with the given
    /// seed; `history(r)` gives request `r`'s historical ratios of actual to
    /// agreed working time. `None` for a cancelled or unknown commitment.
    pub fn monte_carlo<'h, H>(
        &self,
        c: CommitmentIdx,
        trials: u32,
        seed: u64,
        history: H,
    ) -> Result<Option<Forecast>, ProjectionError>
    where
        H: Fn(RequestIdx) -> &'h [f64],
    {
        let g = &self.graph;
        let ci = c.0 as usize;
        let Some(Some(fulfilled)) = g.com.fulfilled.get(ci).copied() else {
            return Ok(None);
        };
        if trials == 0 {
            return Err(ProjectionError::NoTrials);
        }
        let promised = g.com.promised[ci];
        if fulfilled != NONE {
            let at = instant(fulfilled).map_err(|source| self.com_error(ci, source))?;
            return Ok(Some(Forecast {
                p50: at,
                p80: at,
                p90: at,
                probability_on_time: if fulfilled <= promised { 1.0 } else { 0.0 },
                trials,
            }));
        }

        let (nodes, dep_items, ratio_items, roots) = self.cone_nodes(ci, &history);
        let cal = &g.calendars[g.com.calendar[ci] as usize];
        let lead = g.com.lead[ci];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut finish = vec![NONE; nodes.len()];
        let mut outcomes = Vec::with_capacity(trials as usize);
        for _ in 0..trials {
            for (i, node) in nodes.iter().enumerate() {
                finish[i] = if node.delivered != NONE {
                    node.delivered
                } else {
                    let mut ready = node.requested;
                    for &d in &dep_items[node.deps.0 as usize..node.deps.1 as usize] {
                        ready = ready.max(finish[d as usize]);
                    }
                    let ratios = &ratio_items[node.ratios.0 as usize..node.ratios.1 as usize];
                    let ratio = ratios[rng.random_range(0..ratios.len())];
                    self.sampled_finish(node, ready, ratio).map_err(|source| {
                        ProjectionError::Time {
                            request_id: g.req.id[node.request],
                            source,
                        }
                    })?
                };
            }
            let latest = roots
                .iter()
                .map(|&i| finish[i as usize])
                .max()
                .unwrap_or(self.as_of);
            let projected = apply_lead(cal, lead, latest).map_err(|s| self.com_error(ci, s))?;
            outcomes.push(projected);
        }

        let on_time = outcomes.iter().filter(|&&p| p <= promised).count();
        outcomes.sort_unstable();
        let rank = |q: f64| -> Result<DateTime<Utc>, ProjectionError> {
            // Nearest rank: the smallest value with at least q of the trials
            // at or below it.
            let k = ((q * f64::from(trials)).ceil() as usize).clamp(1, outcomes.len());
            instant(outcomes[k - 1]).map_err(|s| self.com_error(ci, s))
        };
        Ok(Some(Forecast {
            p50: rank(0.5)?,
            p80: rank(0.8)?,
            p90: rank(0.9)?,
            probability_on_time: on_time as f64 / f64::from(trials),
            trials,
        }))
    }

    fn com_error(&self, c: usize, source: TimeError) -> ProjectionError {
        ProjectionError::CommitmentTime {
            commitment_id: self.graph.com.id[c],
            source,
        }
    }

    /// One trial's finish of a sampled request whose ready time is `ready`.
    #[inline]
    fn sampled_finish(&self, node: &Node, ready: i64, ratio: f64) -> Result<i64, TimeError> {
        let due = if node.fixed >= 0 {
            let seconds = scale(node.fixed, ratio);
            let start = ready;
            let due = start
                .checked_add(seconds)
                .ok_or(TimeError::ResultOutOfRange)?;
            due.checked_add(node.shift)
                .ok_or(TimeError::ResultOutOfRange)?
        } else {
            let cal: &CompiledCalendar = &self.graph.calendars[node.calendar as usize];
            let at = instant(ready)?;
            let due = if node.turnaround.unit() == TurnaroundUnit::BusinessDays {
                // Agreed working time at this ready time, scaled to whole
                // seconds and added from the same clock start.
                let agreed = cal.due(at, node.turnaround)?;
                let seconds = cal.working_seconds(agreed.clock_start, agreed.due)?;
                cal.add_working(agreed.clock_start, scale(seconds, ratio))?
            } else {
                let minutes = scale(node.turnaround.quantity(), ratio)
                    .min(crate::time::turnaround::MAX_HOURS * 60);
                let drawn = Turnaround::from_quantity(TurnaroundUnit::BusinessHours, minutes)
                    .map_err(|_| TimeError::ResultOutOfRange)?;
                cal.due(at, drawn)?.due
            };
            if node.shift > 0 {
                cal.add_working(due, node.shift)?.timestamp()
            } else {
                due.timestamp()
            }
        };
        Ok(due.max(node.forecast).max(self.as_of))
    }

    /// Flattens the upstream cone of commitment `c` in topological order:
    /// nodes, their local dependency lists, their ratios, and the local
    /// indices of the commitment's own requests.
    fn cone_nodes<'h, H>(&self, c: usize, history: &H) -> (Vec<Node>, Vec<u32>, Vec<f64>, Vec<u32>)
    where
        H: Fn(RequestIdx) -> &'h [f64],
    {
        let g = &self.graph;
        let mut local: std::collections::HashMap<usize, u32> = std::collections::HashMap::new();
        let mut nodes: Vec<Node> = Vec::new();
        let mut dep_items: Vec<u32> = Vec::new();
        let mut ratio_items: Vec<f64> = Vec::new();
        let mut roots = Vec::new();
        // Iterative depth-first search, emitting a request after all of its
        // (non-cancelled) dependencies: a topological order.
        for &top in g.com_deps.get(c) {
            let top = top as usize;
            if g.is_cancelled(top) {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(top, 0)];
            while let Some(&mut (r, ref mut next)) = stack.last_mut() {
                if local.contains_key(&r) {
                    stack.pop();
                    continue;
                }
                let expand = g.req.status[r] == Status::Undelivered;
                let deps = if expand { g.deps.get(r) } else { &[][..] };
                if let Some(&u) = deps.get(*next) {
                    *next += 1;
                    let u = u as usize;
                    if !g.is_cancelled(u) && !local.contains_key(&u) {
                        stack.push((u, 0));
                    }
                    continue;
                }
                stack.pop();
                let dep_start = dep_items.len() as u32;
                for &u in deps {
                    if let Some(&l) = local.get(&(u as usize)) {
                        dep_items.push(l);
                    }
                }
                let ratio_start = ratio_items.len() as u32;
                if expand {
                    ratio_items.extend(
                        history(RequestIdx(r as u32))
                            .iter()
                            .copied()
                            .filter(|x| x.is_finite() && *x >= 0.0),
                    );
                    if ratio_items.len() as u32 == ratio_start {
                        ratio_items.push(1.0);
                    }
                }
                local.insert(r, nodes.len() as u32);
                nodes.push(Node {
                    delivered: if expand { NONE } else { g.req.at[r] },
                    requested: g.req.requested[r],
                    forecast: if expand { g.req.at[r] } else { NONE },
                    shift: g.req.shift[r],
                    fixed: g.req.fixed[r],
                    turnaround: g.req.turnaround[r],
                    calendar: g.req.calendar[r],
                    deps: (dep_start, dep_items.len() as u32),
                    ratios: (ratio_start, ratio_items.len() as u32),
                    request: r,
                });
            }
            if let Some(&l) = local.get(&top) {
                roots.push(l);
            }
        }
        (nodes, dep_items, ratio_items, roots)
    }
}

/// `amount × ratio`, rounded to the nearest whole unit, at least 0.
fn scale(amount: i64, ratio: f64) -> i64 {
    let x = (amount as f64 * ratio).round();
    if x.is_finite() && x > 0.0 {
        // Saturating conversion; amounts are bounded by the turnaround limits.
        x as i64
    } else {
        0
    }
}
