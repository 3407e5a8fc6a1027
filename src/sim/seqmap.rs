//! `SeqMap`: a map keyed by request ids a node hands out in increasing order (parked fetches,
//! pending acks, requests in flight), kept as a sorted vector.
//!
//! Such maps hold a few dozen entries, gain new keys at the end and lose old ones anywhere; a
//! sorted vector makes that a push and a short shift instead of tree rebalancing, and iterates
//! in key order as a `BTreeMap` would.

/// A map from `u64` ids to `V`, iterated in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqMap<V> {
    entries: Vec<(u64, V)>,
}

impl<V> Default for SeqMap<V> {
    fn default() -> Self {
        SeqMap {
            entries: Vec::new(),
        }
    }
}

impl<V> SeqMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline(always)]
    fn find(&self, id: u64) -> Result<usize, usize> {
        match self.entries.last() {
            Some((last, _)) if *last < id => Err(self.entries.len()),
            _ => self.entries.binary_search_by_key(&id, |(k, _)| *k),
        }
    }

    /// Sets the value of `id`, returning the previous one.
    pub fn insert(&mut self, id: u64, value: V) -> Option<V> {
        match self.find(id) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (id, value));
                None
            }
        }
    }

    /// Removes the value of `id`.
    pub fn remove(&mut self, id: &u64) -> Option<V> {
        let i = self.find(*id).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// The value of `id`.
    #[inline(always)]
    pub fn get(&self, id: &u64) -> Option<&V> {
        let i = self.find(*id).ok()?;
        Some(&self.entries[i].1)
    }

    /// The value of `id`, mutably.
    #[inline(always)]
    pub fn get_mut(&mut self, id: &u64) -> Option<&mut V> {
        let i = self.find(*id).ok()?;
        Some(&mut self.entries[i].1)
    }

    /// Whether `id` has a value.
    #[inline(always)]
    pub fn contains_key(&self, id: &u64) -> bool {
        self.find(*id).is_ok()
    }

    /// How many ids have a value.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many ids are below `id`.
    pub fn count_below(&self, id: u64) -> usize {
        self.entries.partition_point(|(k, _)| *k < id)
    }

    /// Removes the values of ids below `id`.
    pub fn remove_below(&mut self, id: u64) {
        let end = self.entries.partition_point(|(k, _)| *k < id);
        self.entries.drain(..end);
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Keeps the values for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&u64, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Entries in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&u64, &V)> + Clone {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Ids in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &u64> + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in id order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut m = SeqMap::new();
        let mut model = std::collections::BTreeMap::new();
        let mut rng = crate::sim::rng::SimRng::new(9);
        let mut next = 0u64;
        for _ in 0..5000 {
            if rng.chance(0.5) {
                // Mostly new ids at the end, sometimes an old one again.
                let id = if rng.chance(0.9) {
                    next += 1;
                    next
                } else {
                    rng.range_inclusive(0, next)
                };
                assert_eq!(m.insert(id, id * 3), model.insert(id, id * 3));
            } else {
                let id = rng.range_inclusive(0, next + 1);
                assert_eq!(m.remove(&id), model.remove(&id));
            }
            assert_eq!(m.len(), model.len());
        }
        assert!(m.iter().eq(model.iter()));
        m.retain(|k, _| k % 2 == 1);
        model.retain(|k, _| k % 2 == 1);
        assert!(m.keys().eq(model.keys()));
        assert_eq!(m.get(&3), model.get(&3));
    }
}

/// Hashes a sequence number or an id (unique keys of maps never iterated over, so their order
/// cannot reach the output) with one multiplication.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeqHasher(u64);

impl std::hash::Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}
