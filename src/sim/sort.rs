//! A small sort for short lists: the standard library's stable sort is several kilobytes of
//! `.wasm` for each element type and key it is used with. The lists sorted here are short or
//! nearly sorted already, where an insertion sort is as fast.

/// Sorts `v` by `key`, keeping the order of equal keys (an insertion sort: linear on a list that
/// is sorted already, quadratic at worst: for short lists).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && key(&v[j - 1]) > key(&v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_like_the_standard_sort() {
        let mut rng = crate::sim::rng::SimRng::new(7);
        for len in [0usize, 1, 2, 5, 40, 300] {
            let v: Vec<(u64, usize)> = (0..len).map(|i| (rng.below(10), i)).collect();
            let mut ours = v.clone();
            sort_by_key(&mut ours, |e| e.0);
            let mut std_sorted = v;
            std_sorted.sort_by_key(|e| e.0);
            assert_eq!(ours, std_sorted, "length {len}");
        }
    }
}
