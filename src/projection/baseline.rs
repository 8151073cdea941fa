//! The baseline rule for one request (SPEC §4): forecasts and pauses
//! ignored, no `as_of` floor, every request finishing at its due and a
//! delivered one at `min(delivered_at, due)` — what would happen if every
//! department kept its word.

use super::due_memo::{BASELINE, Memo, due_unpaused};
use super::graph::{Graph, Status};
use crate::time::TimeError;

/// Baseline finish of the non-cancelled request `r` whose baseline ready
/// time is `ready`.
#[inline]
pub(crate) fn baseline_finish(
    g: &Graph,
    r: usize,
    ready: i64,
    memo: &mut Memo,
) -> Result<i64, TimeError> {
    if g.req.status[r] == Status::Delivered {
        let delivered = g.req.at[r];
        // due >= clock start >= ready, and due never decreases as ready
        // grows: when the delivery is no later than either bound,
        // min(delivered_at, due) is the delivery and no calendar look-up
        // is needed (the common case for deliveries that were late anyway).
        if delivered <= ready || delivered <= memo.lower_bound(ready) {
            return Ok(delivered);
        }
        return Ok(delivered.min(due_unpaused(g, r, ready, memo, BASELINE)?));
    }
    due_unpaused(g, r, ready, memo, BASELINE)
}
