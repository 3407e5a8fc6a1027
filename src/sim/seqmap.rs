//! `SeqMap`: a map keyed by request ids a node hands out in increasing order (parked fetches,
//! pending acks, requests in flight), kept as a sorted vector.
//!
//! Such maps hold a few dozen entries, gain new keys at the end and lose old ones anywhere; a
//! sorted vector makes that a push and a short shift instead of tree rebalancing, and iterates
//! in key order as a `BTreeMap` would.

/// A map from `u64` ids to `V`, iterated in id order.
pub type SeqMap<V> = super::sorted_map::SortedMap<u64, V>;

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
