//! `TpMap`: a map keyed by topic partition, stored densely by topic id then partition number.
//!
//! Brokers, clients and the controller look partitions up on every message; topic ids and
//! partition numbers are small and dense, so two array indexes replace a tree search. Iteration
//! goes in `TopicPartition` order, as a `BTreeMap` would, so behaviour stays deterministic.

use std::ops::Index;

use super::types::TopicPartition;

/// A map from [`TopicPartition`] to `V`, iterated in partition order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpMap<V> {
    rows: Vec<Vec<Option<(TopicPartition, V)>>>,
    len: usize,
}

impl<V> Default for TpMap<V> {
    fn default() -> Self {
        TpMap {
            rows: Vec::new(),
            len: 0,
        }
    }
}

impl<V> TpMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline(always)]
    fn cell(&self, tp: &TopicPartition) -> Option<&Option<(TopicPartition, V)>> {
        self.rows
            .get(tp.topic.0 as usize)?
            .get(tp.partition as usize)
    }

    fn cell_mut(&mut self, tp: &TopicPartition) -> &mut Option<(TopicPartition, V)> {
        let (t, p) = (tp.topic.0 as usize, tp.partition as usize);
        if self.rows.len() <= t {
            self.rows.resize_with(t + 1, Vec::new);
        }
        let row = &mut self.rows[t];
        if row.len() <= p {
            row.resize_with(p + 1, || None);
        }
        &mut row[p]
    }

    /// The value of `tp`.
    #[inline(always)]
    pub fn get(&self, tp: &TopicPartition) -> Option<&V> {
        self.cell(tp)?.as_ref().map(|(_, v)| v)
    }

    /// The value of `tp`, mutably.
    #[inline(always)]
    pub fn get_mut(&mut self, tp: &TopicPartition) -> Option<&mut V> {
        self.rows
            .get_mut(tp.topic.0 as usize)?
            .get_mut(tp.partition as usize)?
            .as_mut()
            .map(|(_, v)| v)
    }

    /// Whether `tp` has a value.
    #[inline(always)]
    pub fn contains_key(&self, tp: &TopicPartition) -> bool {
        self.get(tp).is_some()
    }

    /// Sets the value of `tp`, returning the previous one.
    pub fn insert(&mut self, tp: TopicPartition, value: V) -> Option<V> {
        let old = self.cell_mut(&tp).replace((tp, value));
        if old.is_none() {
            self.len += 1;
        }
        old.map(|(_, v)| v)
    }

    /// Removes the value of `tp`.
    pub fn remove(&mut self, tp: &TopicPartition) -> Option<V> {
        let old = self
            .rows
            .get_mut(tp.topic.0 as usize)?
            .get_mut(tp.partition as usize)?
            .take();
        if old.is_some() {
            self.len -= 1;
        }
        old.map(|(_, v)| v)
    }

    /// The value of `tp`, inserted from `make` if missing.
    pub fn get_or_insert_with(&mut self, tp: TopicPartition, make: impl FnOnce() -> V) -> &mut V {
        if !self.contains_key(&tp) {
            self.len += 1;
            *self.cell_mut(&tp) = Some((tp, make()));
        }
        &mut self.cell_mut(&tp).as_mut().expect("just filled").1
    }

    /// How many partitions have a value.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no partition has a value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.len = 0;
    }

    /// Keeps the values for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&TopicPartition, &mut V) -> bool) {
        for cell in self.rows.iter_mut().flatten() {
            if let Some((tp, v)) = cell {
                if !keep(tp, v) {
                    *cell = None;
                    self.len -= 1;
                }
            }
        }
    }

    /// Entries in partition order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&TopicPartition, &V)> + Clone {
        self.rows
            .iter()
            .flatten()
            .filter_map(|c| c.as_ref().map(|(k, v)| (k, v)))
    }

    /// Entries in partition order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&TopicPartition, &mut V)> {
        self.rows
            .iter_mut()
            .flatten()
            .filter_map(|c| c.as_mut().map(|(k, v)| (&*k, v)))
    }

    /// Partitions in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &TopicPartition> + Clone {
        self.iter().map(|(k, _)| k)
    }

    /// Values in partition order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + Clone {
        self.iter().map(|(_, v)| v)
    }

    /// Values in partition order, mutable.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.iter_mut().map(|(_, v)| v)
    }
}

impl<V> Index<&TopicPartition> for TpMap<V> {
    type Output = V;

    #[inline(always)]
    fn index(&self, tp: &TopicPartition) -> &V {
        self.get(tp).expect("partition in map")
    }
}

impl<V> FromIterator<(TopicPartition, V)> for TpMap<V> {
    fn from_iter<I: IntoIterator<Item = (TopicPartition, V)>>(iter: I) -> Self {
        let mut map = TpMap::new();
        for (tp, v) in iter {
            map.insert(tp, v);
        }
        map
    }
}

impl<V> Extend<(TopicPartition, V)> for TpMap<V> {
    fn extend<I: IntoIterator<Item = (TopicPartition, V)>>(&mut self, iter: I) {
        for (tp, v) in iter {
            self.insert(tp, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types::TopicId;

    fn tp(topic: u32, partition: u32) -> TopicPartition {
        TopicPartition {
            topic: TopicId(topic),
            partition,
        }
    }

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut m = TpMap::new();
        let mut model = std::collections::BTreeMap::new();
        let mut rng = crate::sim::rng::SimRng::new(3);
        for _ in 0..5000 {
            let k = tp(
                rng.range_inclusive(0, 5) as u32,
                rng.range_inclusive(0, 7) as u32,
            );
            match rng.range_inclusive(0, 3) {
                0 | 1 => assert_eq!(m.insert(k, k.partition), model.insert(k, k.partition)),
                2 => assert_eq!(m.remove(&k), model.remove(&k)),
                _ => {
                    *m.get_or_insert_with(k, || 0) += 1;
                    *model.entry(k).or_insert(0) += 1;
                }
            }
            assert_eq!(m.len(), model.len());
            assert_eq!(m.get(&k), model.get(&k));
        }
        let ours: Vec<_> = m.iter().map(|(k, v)| (*k, *v)).collect();
        let theirs: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(ours, theirs);
        m.retain(|k, _| k.partition % 2 == 0);
        model.retain(|k, _| k.partition % 2 == 0);
        assert_eq!(m.len(), model.len());
        assert!(m.keys().eq(model.keys()));
    }
}
