//! The reference the whole-organisation projection is measured against
//! (SPEC appendix B): a bare integer forward pass over arrays laid out as
//! the engine lays out its own, built here from the same input.

use baton::projection::{ProjectionInput, RequestIdx, RequestState};

/// "No instant" in the bare pass's `i64` seconds, as in the engine.
const NONE: i64 = i64::MIN;

/// What the bare pass reads, laid out as the engine lays out its own graph
/// (flat `u32` adjacency lists, `i64` seconds) and built from the same
/// input. The engine's arrays are its own business: the reference keeps a
/// copy rather than reach into them.
pub(super) struct Bare {
    /// Non-cancelled requests in index order, which is topological here
    /// (every synthetic request depends on older ones only); the engine
    /// finds the same order.
    order: Vec<u32>,
    /// `requested_at` of each request, in seconds.
    requested: Vec<i64>,
    /// Each request's turnaround read as a fixed duration: its quantity
    /// times 60 s (the reference needs work of the same shape, not a due).
    durations: Vec<i64>,
    deps: Flat,
    com_deps: Flat,
}

/// Flat adjacency lists: the list of `node` is
/// `items[start[node]..start[node + 1]]`.
struct Flat {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Flat {
    fn new<'a>(lists: impl ExactSizeIterator<Item = &'a [RequestIdx]>) -> Result<Flat, String> {
        let mut flat = Flat {
            start: Vec::with_capacity(lists.len() + 1),
            items: Vec::new(),
        };
        flat.start.push(0);
        for list in lists {
            flat.items.extend(list.iter().map(|d| d.0));
            let end = u32::try_from(flat.items.len())
                .map_err(|_| "too many dependencies for the bare pass".to_owned())?;
            flat.start.push(end);
        }
        Ok(flat)
    }

    /// The list of `node` (empty for a node that has none).
    #[inline]
    fn get(&self, node: usize) -> &[u32] {
        match (self.start.get(node), self.start.get(node + 1)) {
            (Some(&start), Some(&end)) => {
                self.items.get(start as usize..end as usize).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    fn nodes(&self) -> usize {
        self.start.len().saturating_sub(1)
    }
}

impl Bare {
    pub(super) fn new(input: &ProjectionInput) -> Result<Bare, String> {
        let mut order = Vec::with_capacity(input.requests.len());
        for (r, request) in input.requests.iter().enumerate() {
            if request.depends_on.iter().any(|d| d.0 as usize >= r) {
                return Err(format!(
                    "request {r} depends on a later one: index order is not topological"
                ));
            }
            if request.state != RequestState::Cancelled {
                order.push(r as u32);
            }
        }
        Ok(Bare {
            order,
            requested: input
                .requests
                .iter()
                .map(|request| request.requested_at.timestamp())
                .collect(),
            durations: input
                .requests
                .iter()
                .map(|request| request.turnaround.quantity() * 60)
                .collect(),
            deps: Flat::new(
                input
                    .requests
                    .iter()
                    .map(|request| request.depends_on.as_slice()),
            )?,
            com_deps: Flat::new(
                input
                    .commitments
                    .iter()
                    .map(|commitment| commitment.depends_on.as_slice()),
            )?,
        })
    }

    /// Requests in the input.
    pub(super) fn requests(&self) -> usize {
        self.requested.len()
    }

    /// Commitments in the input.
    pub(super) fn commitments(&self) -> usize {
        self.com_deps.nodes()
    }
}

/// The reference of appendix B: a plain integer forward pass over the
/// order and adjacency arrays, `finish = max(dependency finishes,
/// requested) + fixed duration`, then every commitment's latest finish plus
/// a fixed lead.
pub(super) fn bare_pass(bare: &Bare, fin: &mut [i64], coms: &mut [i64]) {
    for &r in &bare.order {
        let r = r as usize;
        let mut ready = bare.requested[r];
        for &u in bare.deps.get(r) {
            ready = ready.max(fin[u as usize]);
        }
        fin[r] = ready + bare.durations[r];
    }
    for (c, out) in coms.iter_mut().enumerate() {
        let mut latest = NONE;
        for &u in bare.com_deps.get(c) {
            latest = latest.max(fin[u as usize]);
        }
        *out = latest.saturating_add(3600);
    }
}
