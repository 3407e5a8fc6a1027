//! `RecentMap`: a bounded map that forgets its oldest entries first; the services' idempotence
//! stores ("have I handled order 42 already?") keep the last few thousand orders this way.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A small, fixed (hence deterministic) multiplicative hash for integer keys.
#[derive(Default)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(n as u64);
    }
}

/// A map holding at most `capacity` entries; inserting beyond it forgets the oldest insertion.
#[derive(Clone, Debug)]
pub struct RecentMap<K, V> {
    map: HashMap<K, V, BuildHasherDefault<IntHasher>>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Copy + Eq + Hash, V> RecentMap<K, V> {
    /// An empty map that keeps `capacity` entries. Its memory is reserved up front, so a long
    /// run does not grow it step by step.
    pub fn new(capacity: usize) -> Self {
        RecentMap {
            map: HashMap::with_capacity_and_hasher(capacity + 1, Default::default()),
            order: VecDeque::with_capacity(capacity + 1),
            capacity,
        }
    }

    /// The value of `key`, if it is still remembered.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// Whether `key` is remembered.
    pub fn contains_key(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// Remembers `key` with `value`; returns the previous value (the key keeps its age).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let old = self.map.insert(key, value);
        if old.is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(oldest) = self.order.pop_front() {
                    self.map.remove(&oldest);
                }
            }
        }
        old
    }

    /// How many entries are remembered.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_beyond_capacity() {
        let mut m = RecentMap::new(3);
        for k in [5u64, 1, 9] {
            assert_eq!(m.insert(k, k * 10), None);
        }
        assert_eq!(m.insert(1, 11), Some(10), "an update keeps the entry");
        m.insert(7, 70);
        assert_eq!(m.len(), 3);
        assert!(!m.contains_key(&5), "the oldest insertion goes first");
        assert_eq!(m.get(&1), Some(&11));
        assert!(m.contains_key(&9) && m.contains_key(&7));
    }
}
