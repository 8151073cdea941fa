//! [`Adjacency`]: one list of `u32` per node, all stored in one flat array
//! (compressed sparse rows), so the forward pass reads edges sequentially.
//!
//! Lists can be replaced or grown after building (a request's dependencies
//! change, a request is added): the new list is appended at the end and the
//! node pointed at it; the old slot becomes garbage, compacted away once it
//! outweighs the live items. That keeps every update O(list length).

use super::ProjectionError;

/// Flat adjacency lists with per-node `(start, len)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Adjacency {
    start: Vec<u32>,
    len: Vec<u32>,
    items: Vec<u32>,
    garbage: usize,
}

impl Adjacency {
    pub(crate) fn with_capacity(nodes: usize, items: usize) -> Self {
        Self {
            start: Vec::with_capacity(nodes),
            len: Vec::with_capacity(nodes),
            items: Vec::with_capacity(items),
            garbage: 0,
        }
    }

    pub(crate) fn reserve_items(&mut self, extra: usize) {
        self.items.reserve(extra);
    }

    /// Appends a new node with the given list.
    pub(crate) fn push_list(
        &mut self,
        list: impl IntoIterator<Item = u32>,
    ) -> Result<(), ProjectionError> {
        let start = self.items.len();
        self.items.extend(list);
        let len = self.items.len() - start;
        self.start
            .push(u32::try_from(start).map_err(|_| ProjectionError::TooLarge)?);
        self.len
            .push(u32::try_from(len).map_err(|_| ProjectionError::TooLarge)?);
        Ok(())
    }

    /// The list of `node` (empty for a node never pushed).
    #[inline]
    pub(crate) fn get(&self, node: usize) -> &[u32] {
        match (self.start.get(node), self.len.get(node)) {
            (Some(&s), Some(&l)) => {
                let s = s as usize;
                self.items.get(s..s + l as usize).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    /// Makes sure nodes `0..nodes` exist (new ones with empty lists).
    pub(crate) fn ensure_nodes(&mut self, nodes: usize) {
        if self.start.len() < nodes {
            self.start.resize(nodes, 0);
            self.len.resize(nodes, 0);
        }
    }

    /// Replaces the list of `node`.
    pub(crate) fn set(&mut self, node: usize, list: &[u32]) -> Result<(), ProjectionError> {
        self.ensure_nodes(node + 1);
        self.garbage += self.len[node] as usize;
        let start = u32::try_from(self.items.len()).map_err(|_| ProjectionError::TooLarge)?;
        self.items.extend_from_slice(list);
        self.start[node] = start;
        self.len[node] = u32::try_from(list.len()).map_err(|_| ProjectionError::TooLarge)?;
        self.maybe_compact()
    }

    /// Adds `item` to the list of `node` (relocating the list to the end).
    pub(crate) fn add(&mut self, node: usize, item: u32) -> Result<(), ProjectionError> {
        let mut list = self.get(node).to_vec();
        list.push(item);
        self.set(node, &list)
    }

    /// Removes one occurrence of `item` from the list of `node`, in place.
    pub(crate) fn remove(&mut self, node: usize, item: u32) {
        let (Some(&s), Some(&l)) = (self.start.get(node), self.len.get(node)) else {
            return;
        };
        let (s, l) = (s as usize, l as usize);
        if let Some(pos) = self.items[s..s + l].iter().position(|&x| x == item) {
            self.items.swap(s + pos, s + l - 1);
            self.len[node] -= 1;
            self.garbage += 1;
        }
    }

    /// The reverse lists: for every item `x` of node `v`'s list, `v` is in
    /// the result's list of `x`. `targets` is the number of target nodes.
    pub(crate) fn reversed(&self, targets: usize) -> Result<Self, ProjectionError> {
        let mut count = vec![0u32; targets + 1];
        for v in 0..self.start.len() {
            for &x in self.get(v) {
                if let Some(c) = count.get_mut(x as usize + 1) {
                    *c += 1;
                }
            }
        }
        for i in 1..count.len() {
            count[i] += count[i - 1];
        }
        let total = count[targets] as usize;
        let mut items = vec![0u32; total];
        let mut fill = count.clone();
        for v in 0..self.start.len() {
            let v32 = u32::try_from(v).map_err(|_| ProjectionError::TooLarge)?;
            for &x in self.get(v) {
                if let Some(f) = fill.get_mut(x as usize) {
                    items[*f as usize] = v32;
                    *f += 1;
                }
            }
        }
        let len = (0..targets).map(|x| count[x + 1] - count[x]).collect();
        count.truncate(targets);
        Ok(Self {
            start: count,
            len,
            items,
            garbage: 0,
        })
    }

    fn maybe_compact(&mut self) -> Result<(), ProjectionError> {
        if self.garbage < 1024 || self.garbage * 2 < self.items.len() {
            return Ok(());
        }
        let mut items = Vec::with_capacity(self.items.len() - self.garbage);
        for node in 0..self.start.len() {
            let s = self.start[node] as usize;
            let l = self.len[node] as usize;
            self.start[node] = u32::try_from(items.len()).map_err(|_| ProjectionError::TooLarge)?;
            items.extend_from_slice(&self.items[s..s + l]);
        }
        self.items = items;
        self.garbage = 0;
        Ok(())
    }
}
