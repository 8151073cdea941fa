//! The forward pass (SPEC §4): every request's projected and baseline
//! finish, in topological order, in one sweep over the flat adjacency
//! arrays (both finishes of a dependency sit side by side, so an edge costs
//! one memory read for both passes).

use super::ProjectionError;
use super::baseline::baseline_finish;
use super::due_memo::{Memo, PROJECTED, due_unpaused, extend_for_pauses};
use super::graph::{Graph, NONE, Status};
use crate::time::TimeError;

/// Projected and baseline ready times of `r`: the latest of its requested
/// time and its dependencies' finishes (cancelled ones finish at `NONE`, so
/// they drop out of the maximum by themselves).
#[inline]
pub(crate) fn ready_times(g: &Graph, fin: &[[i64; 2]], r: usize) -> (i64, i64) {
    let requested = g.req.requested[r];
    let (mut p, mut b) = (requested, requested);
    for &u in g.deps.get(r) {
        let f = fin[u as usize];
        p = p.max(f[0]);
        b = b.max(f[1]);
    }
    (p, b)
}

/// Projected finish of the non-cancelled request `r` whose ready time is
/// `ready`: the delivery, or `max(due + pauses, forecast, as_of)`.
#[inline]
pub(crate) fn projected_finish(
    g: &Graph,
    r: usize,
    ready: i64,
    as_of: i64,
    memo: &mut Memo,
) -> Result<i64, TimeError> {
    let at = g.req.at[r];
    if g.req.status[r] == Status::Delivered {
        return Ok(at);
    }
    let due = due_unpaused(g, r, ready, memo, PROJECTED)?;
    let due = extend_for_pauses(g, r, due)?;
    Ok(due.max(at).max(as_of))
}

/// Both finishes of request `r` from the current finishes of its
/// dependencies; `[NONE, NONE]` for a cancelled request.
#[inline]
pub(crate) fn evaluate(
    g: &Graph,
    fin: &[[i64; 2]],
    r: usize,
    as_of: i64,
    memo: &mut Memo,
) -> Result<[i64; 2], ProjectionError> {
    if g.req.status[r] == Status::Cancelled {
        return Ok([NONE, NONE]);
    }
    let (ready_p, ready_b) = ready_times(g, fin, r);
    let wrap = |source| ProjectionError::Time {
        request_id: g.req.id[r],
        source,
    };
    let p = projected_finish(g, r, ready_p, as_of, memo).map_err(wrap)?;
    let b = baseline_finish(g, r, ready_b, memo).map_err(wrap)?;
    Ok([p, b])
}

/// Runs the pass over the whole graph, writing `fin` (resized to the
/// number of requests).
pub(crate) fn full_pass(
    g: &Graph,
    as_of: i64,
    fin: &mut Vec<[i64; 2]>,
    memo: &mut [Memo],
) -> Result<(), ProjectionError> {
    fin.clear();
    fin.resize(g.request_count(), [NONE, NONE]);
    for &r in &g.order {
        let r = r as usize;
        let f = evaluate(g, fin, r, as_of, &mut memo[r])?;
        fin[r] = f;
    }
    Ok(())
}
