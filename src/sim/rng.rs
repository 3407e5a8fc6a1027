//! The engine's only source of randomness: a small seeded PRNG (SplitMix64) with child streams.

/// A deterministic pseudo-random generator. Same seed, same sequence, on every target.
#[derive(Clone, Debug)]
pub struct SimRng {
    /// The SplitMix64 state.
    state: u64,
}

impl SimRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// An independent child generator, derived from this one's seed and a tag.
    pub fn child(seed: u64, tag: u64) -> Self {
        let mut parent = SimRng::new(seed ^ tag.wrapping_mul(0xD1B5_4A32_D192_ED03));
        SimRng::new(parent.next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi` (returns `lo` when `hi <= lo`).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// A value in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `p` (clamped to 0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_sequence_and_children_differ() {
        let mut a = SimRng::new(42);
        let mut b = SimRng::new(42);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c1 = SimRng::child(42, 1);
        let mut c2 = SimRng::child(42, 2);
        assert_ne!(c1.next_u64(), c2.next_u64());
        for _ in 0..1000 {
            let v = a.range_inclusive(150, 400);
            assert!((150..=400).contains(&v));
        }
    }
}
