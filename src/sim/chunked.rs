//! `ChunkedDeque`: a double-ended queue kept in shared, fixed-size chunks. Cloning one copies a
//! few pointers; a clone and its original share every chunk neither has changed since, so the
//! page can keep many copies of a world's logs (time-travel checkpoints) for little memory.

use std::collections::VecDeque;
use std::rc::Rc;

/// Elements per chunk.
pub const CHUNK_LEN: usize = 64;

/// A deque of `T` in chunks of [`CHUNK_LEN`]. Every chunk but the last is full; the first may
/// start with elements already popped (`head` of them).
#[derive(Debug)]
pub struct ChunkedDeque<T> {
    chunks: VecDeque<Rc<Vec<T>>>,
    /// Elements of the first chunk already popped from the front.
    head: usize,
    len: usize,
}

impl<T> Clone for ChunkedDeque<T> {
    fn clone(&self) -> Self {
        ChunkedDeque {
            chunks: self.chunks.clone(),
            head: self.head,
            len: self.len,
        }
    }
}

impl<T> Default for ChunkedDeque<T> {
    fn default() -> Self {
        ChunkedDeque {
            chunks: VecDeque::new(),
            head: 0,
            len: 0,
        }
    }
}

impl<T: Clone> ChunkedDeque<T> {
    /// An empty deque.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds nothing.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The element at `index`, if any.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        let at = self.head + index;
        self.chunks[at / CHUNK_LEN].get(at % CHUNK_LEN)
    }

    /// The first element.
    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }

    /// The last element.
    pub fn back(&self) -> Option<&T> {
        self.chunks.back().and_then(|c| c.last())
    }

    /// Appends at the back; a chunk shared with a clone is copied first.
    pub fn push_back(&mut self, value: T) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK_LEN => Rc::make_mut(last).push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK_LEN);
                chunk.push(value);
                self.chunks.push_back(Rc::new(chunk));
            }
        }
        self.len += 1;
    }

    /// Removes the last element.
    pub fn pop_back(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let last = self
            .chunks
            .back_mut()
            .expect("a non-empty deque has a chunk");
        let value = Rc::make_mut(last).pop();
        if self.len == 0 {
            self.clear();
        } else if last.is_empty() {
            self.chunks.pop_back();
        }
        value
    }

    /// Removes the first element (a clone of it: the chunk may be shared).
    pub fn pop_front(&mut self) -> Option<T> {
        let value = self.front()?.clone();
        self.head += 1;
        self.len -= 1;
        if self.len == 0 {
            self.clear();
        } else if self.head == CHUNK_LEN {
            self.chunks.pop_front();
            self.head = 0;
        }
        Some(value)
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.head = 0;
        self.len = 0;
    }

    /// The elements in order.
    pub fn iter(&self) -> Iter<'_, T> {
        self.range(0, self.len)
    }

    /// The elements from index `start` up to (not including) `end`.
    pub fn range(&self, start: usize, end: usize) -> Iter<'_, T> {
        let end = end.min(self.len);
        Iter {
            deque: self,
            front: start.min(end),
            back: end,
        }
    }

    /// The index of the first element for which `pred` is false (the elements are
    /// partitioned: `pred` holds for a prefix).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.get(mid).expect("mid is below len")) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Keeps only the elements for which `keep` holds (rebuilds the chunks).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut kept = ChunkedDeque::new();
        for v in self.iter() {
            if keep(v) {
                kept.push_back(v.clone());
            }
        }
        *self = kept;
    }

    /// Calls `f` with each chunk's address and the elements it has room for: what two deques
    /// share can be counted once.
    pub fn for_each_chunk(&self, mut f: impl FnMut(usize, usize)) {
        for c in &self.chunks {
            f(Rc::as_ptr(c) as usize, c.capacity());
        }
    }
}

/// An iterator over a [`ChunkedDeque`]'s elements, from both ends.
pub struct Iter<'a, T> {
    deque: &'a ChunkedDeque<T>,
    front: usize,
    back: usize,
}

impl<'a, T> Iter<'a, T> {
    #[inline]
    fn at(&self, i: usize) -> &'a T {
        let at = self.deque.head + i;
        &self.deque.chunks[at / CHUNK_LEN][at % CHUNK_LEN]
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        if self.front == self.back {
            return None;
        }
        let v = self.at(self.front);
        self.front += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }

    fn nth(&mut self, n: usize) -> Option<&'a T> {
        self.front = (self.front + n).min(self.back);
        self.next()
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        Some(self.at(self.back))
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<'a, T: Clone> IntoIterator for &'a ChunkedDeque<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the same operations on a `ChunkedDeque` and a `VecDeque` and compares them.
    #[test]
    fn behaves_like_a_vecdeque_across_chunk_boundaries_and_clones() {
        let mut ours = ChunkedDeque::new();
        let mut model = VecDeque::new();
        let mut saved = Vec::new();
        let mut rng = crate::sim::rng::SimRng::new(12345);
        for step in 0..20_000u32 {
            match rng.below(10) {
                0..=5 => {
                    ours.push_back(step);
                    model.push_back(step);
                }
                6 | 7 => assert_eq!(ours.pop_front(), model.pop_front()),
                8 => assert_eq!(ours.pop_back(), model.pop_back()),
                _ => {
                    // A clone must not change when the original does.
                    saved.push((ours.clone(), model.clone()));
                }
            }
            assert_eq!(ours.len(), model.len());
            assert_eq!(ours.front(), model.front());
            assert_eq!(ours.back(), model.back());
        }
        assert!(ours.iter().eq(model.iter()));
        assert!(ours.iter().rev().eq(model.iter().rev()));
        let n = model.len();
        assert!(ours.range(n / 3, n / 2).eq(model.range(n / 3..n / 2)));
        for (clone, model) in saved {
            assert!(clone.iter().eq(model.iter()), "a clone kept its elements");
            for i in [0, model.len() / 2, model.len().saturating_sub(1)] {
                assert_eq!(clone.get(i), model.get(i));
            }
        }
        let cut = model.len() / 2;
        let pivot = model[cut];
        assert_eq!(ours.partition_point(|v| *v < pivot), cut);
        ours.retain(|v| v % 3 == 0);
        model.retain(|v| v % 3 == 0);
        assert!(ours.iter().eq(model.iter()));
    }

    #[test]
    fn a_clone_shares_its_full_chunks() {
        let mut a = ChunkedDeque::new();
        for i in 0..(3 * CHUNK_LEN + 10) {
            a.push_back(i);
        }
        let mut b = a.clone();
        b.push_back(0);
        let mut shared = 0;
        let mut seen = Vec::new();
        a.for_each_chunk(|p, _| seen.push(p));
        b.for_each_chunk(|p, _| shared += usize::from(seen.contains(&p)));
        assert_eq!(
            shared, 3,
            "the three full chunks are shared, the last was copied"
        );
    }
}
