//! `RecentMap`: a bounded map that forgets its oldest entries first; the services' idempotence
//! stores ("have I handled order 42 already?") keep the last few thousand orders this way, in
//! generations a cloned world shares.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::rc::Rc;

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

/// Entries per generation of a [`RecentMap`].
const GENERATION_LEN: usize = 512;

type Generation<K, V> = HashMap<K, (u64, V), BuildHasherDefault<IntHasher>>;

/// A map holding at most `capacity` entries; inserting beyond it forgets the oldest insertion.
///
/// Entries are kept in generations of [`GENERATION_LEN`] insertions: the full ones are shared
/// between clones (a cloned world copies only the generation being filled), and a generation
/// goes once every entry in it is older than the last `capacity` insertions. Each entry carries
/// its insertion number, so an entry past that age is forgotten even while its generation stays.
#[derive(Clone, Debug)]
pub struct RecentMap<K, V> {
    /// Full generations, oldest first, with the insertion number of their first entry.
    sealed: VecDeque<(u64, Rc<Generation<K, V>>)>,
    /// The generation being filled.
    current: Generation<K, V>,
    /// Insertion number of `current`'s first entry.
    current_first: u64,
    /// Insertions so far (an update of a remembered key is not one).
    inserted: u64,
    capacity: usize,
}

impl<K: Copy + Eq + Hash, V: Clone> RecentMap<K, V> {
    /// An empty map that keeps `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        RecentMap {
            sealed: VecDeque::new(),
            current: Generation::default(),
            current_first: 0,
            inserted: 0,
            capacity,
        }
    }

    /// Insertion number of the oldest entry still remembered.
    fn oldest_kept(&self) -> u64 {
        self.inserted.saturating_sub(self.capacity as u64)
    }

    /// The latest entry of `key` (newest generation first) if it is still remembered, with
    /// its generation (`None`: the current one).
    fn find(&self, key: &K) -> Option<(Option<usize>, &V)> {
        let found = match self.current.get(key) {
            Some(entry) => Some((None, entry)),
            None => self
                .sealed
                .iter()
                .enumerate()
                .rev()
                .find_map(|(i, (_, g))| g.get(key).map(|e| (Some(i), e))),
        };
        let (generation, (number, value)) = found?;
        (*number >= self.oldest_kept()).then_some((generation, value))
    }

    /// The value of `key`, if it is still remembered.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).map(|(_, v)| v)
    }

    /// Whether `key` is remembered.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_some()
    }

    /// Remembers `key` with `value`; returns the previous value (the key keeps its age).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some((generation, _)) = self.find(&key) {
            let entry = match generation {
                None => self.current.get_mut(&key),
                Some(i) => Rc::make_mut(&mut self.sealed[i].1).get_mut(&key),
            };
            let (_, old) = entry.expect("just found");
            return Some(std::mem::replace(old, value));
        }
        self.current.insert(key, (self.inserted, value));
        self.inserted += 1;
        if self.current.len() >= GENERATION_LEN {
            // The next generation gets its room at once: a run does not grow it step by step.
            let next = Generation::with_capacity_and_hasher(GENERATION_LEN, Default::default());
            let full = std::mem::replace(&mut self.current, next);
            self.sealed.push_back((self.current_first, Rc::new(full)));
            self.current_first = self.inserted;
        }
        let oldest = self.oldest_kept();
        while self
            .sealed
            .front()
            .is_some_and(|(first, g)| first + g.len() as u64 <= oldest)
        {
            self.sealed.pop_front();
        }
        None
    }

    /// How many entries are remembered.
    pub fn len(&self) -> usize {
        (self.inserted - self.oldest_kept()) as usize
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with each shared generation's address and its entry count: what two maps
    /// share can be counted once.
    pub fn for_each_generation(&self, mut f: impl FnMut(usize, usize)) {
        for (_, g) in &self.sealed {
            f(Rc::as_ptr(g) as usize, g.capacity());
        }
    }

    /// Entries held in the generation being filled (not shared with clones).
    pub fn unshared_len(&self) -> usize {
        self.current.capacity()
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

    /// The same insertions into a `RecentMap` and a plain model of "the last N distinct
    /// insertions", across many generations and clones.
    #[test]
    fn remembers_exactly_the_last_capacity_insertions() {
        let capacity = 1500;
        let mut m = RecentMap::new(capacity);
        let mut order: VecDeque<u64> = VecDeque::new();
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut clones = Vec::new();
        let mut rng = crate::sim::rng::SimRng::new(99);
        for step in 0..30_000u64 {
            // Mostly new keys, some repeats of recent and of long-forgotten ones.
            let key = if rng.chance(0.2) {
                rng.below(4000)
            } else {
                10_000 + step
            };
            let expected = model.get(&key).copied();
            assert_eq!(m.get(&key).copied(), expected, "step {step}");
            assert_eq!(m.insert(key, step), expected, "step {step}");
            if expected.is_none() {
                order.push_back(key);
                if order.len() > capacity {
                    let oldest = order.pop_front().unwrap();
                    model.remove(&oldest);
                }
            }
            model.insert(key, step);
            assert_eq!(m.len(), model.len());
            if step % 7000 == 0 {
                clones.push((m.clone(), model.clone()));
            }
        }
        assert!(
            m.sealed.len() <= capacity / GENERATION_LEN + 2,
            "old generations go"
        );
        for (clone, model) in clones {
            for (k, v) in &model {
                assert_eq!(clone.get(k), Some(v), "a clone keeps what it had");
            }
            assert_eq!(clone.len(), model.len());
        }
    }
}
