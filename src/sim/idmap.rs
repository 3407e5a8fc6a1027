//! `IdMap`: a map keyed by a small dense id (broker, client), stored in a vector by id.
//!
//! Every message looks up its sender's and receiver's state; ids are small integers handed out
//! in order, so an array index replaces a tree search. Iteration goes in id order, as a
//! `BTreeMap` would, so behaviour stays deterministic.

use std::ops::Index;

use super::types::{BrokerId, ClientId};

/// A key that is a small integer.
pub trait DenseId: Copy + Ord {
    /// The position of this id in the vector.
    fn index(self) -> usize;
}

impl DenseId for BrokerId {
    #[inline(always)]
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl DenseId for ClientId {
    #[inline(always)]
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A map from a dense id to `V`, iterated in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdMap<K, V> {
    slots: Vec<Option<(K, V)>>,
    len: usize,
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<K: DenseId, V> IdMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `id`.
    #[inline(always)]
    pub fn get(&self, id: &K) -> Option<&V> {
        self.slots.get(id.index())?.as_ref().map(|(_, v)| v)
    }

    /// The value of `id`, mutably.
    #[inline(always)]
    pub fn get_mut(&mut self, id: &K) -> Option<&mut V> {
        self.slots.get_mut(id.index())?.as_mut().map(|(_, v)| v)
    }

    /// Whether `id` has a value.
    #[inline(always)]
    pub fn contains_key(&self, id: &K) -> bool {
        self.get(id).is_some()
    }

    /// Sets the value of `id`, returning the previous one.
    pub fn insert(&mut self, id: K, value: V) -> Option<V> {
        let i = id.index();
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        let old = self.slots[i].replace((id, value));
        if old.is_none() {
            self.len += 1;
        }
        old.map(|(_, v)| v)
    }

    /// Removes the value of `id`.
    pub fn remove(&mut self, id: &K) -> Option<V> {
        let old = self.slots.get_mut(id.index())?.take();
        if old.is_some() {
            self.len -= 1;
        }
        old.map(|(_, v)| v)
    }

    /// How many ids have a value.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no id has a value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.len = 0;
    }

    /// Keeps the values for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for slot in &mut self.slots {
            if let Some((k, v)) = slot {
                if !keep(k, v) {
                    *slot = None;
                    self.len -= 1;
                }
            }
        }
    }

    /// Entries in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + Clone {
        self.slots
            .iter()
            .filter_map(|s| s.as_ref().map(|(k, v)| (k, v)))
    }

    /// Entries in id order, values mutable.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> {
        self.slots
            .iter_mut()
            .filter_map(|s| s.as_mut().map(|(k, v)| (&*k, v)))
    }

    /// Ids in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + Clone {
        self.iter().map(|(k, _)| k)
    }

    /// Values in id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + Clone {
        self.iter().map(|(_, v)| v)
    }

    /// Values in id order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> {
        self.iter_mut().map(|(_, v)| v)
    }
}

impl<K: DenseId, V> Index<&K> for IdMap<K, V> {
    type Output = V;

    #[inline(always)]
    fn index(&self, id: &K) -> &V {
        self.get(id).expect("id in map")
    }
}

impl<K: DenseId, V> FromIterator<(K, V)> for IdMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = IdMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut m = IdMap::new();
        let mut model = std::collections::BTreeMap::new();
        let mut rng = crate::sim::rng::SimRng::new(5);
        for _ in 0..3000 {
            let k = ClientId(rng.range_inclusive(0, 40) as u32);
            if rng.chance(0.6) {
                assert_eq!(m.insert(k, k.0 * 2), model.insert(k, k.0 * 2));
            } else {
                assert_eq!(m.remove(&k), model.remove(&k));
            }
            assert_eq!(m.len(), model.len());
            assert_eq!(m.get(&k), model.get(&k));
        }
        assert!(m.iter().eq(model.iter()));
        m.retain(|k, _| k.0 % 3 == 0);
        model.retain(|k, _| k.0 % 3 == 0);
        assert!(m.keys().eq(model.keys()));
    }
}
