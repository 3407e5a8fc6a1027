//! The event queue: entries ordered by (time, sequence number), with cancellable timers.
//!
//! Almost everything the engine schedules is due within a few seconds (network latency, linger,
//! long polls), so the queue is a timing wheel: one FIFO bucket per millisecond over the next
//! [`WHEEL_MS`] milliseconds, and a binary heap for the few entries due later (request and
//! session timeouts), moved into the wheel as time comes close. Entries live in a slab of slots;
//! buckets and heap hold small `(seq, slot)` keys. A cancelled entry leaves its key behind and is
//! skipped when reached (the slot's sequence number no longer matches).
//!
//! An entry can be cancelled by its time and sequence number alone ([`EventQueue::cancel_at`]),
//! which is all a node knows of a timer it set: in the wheel the bucket of that millisecond is
//! searched (it is sorted by sequence), and the heap's entries are found through a small map.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasherDefault;

use super::seqmap::SeqHasher;

use super::types::SimTime;

/// Milliseconds the wheel covers (a power of two).
const WHEEL_MS: SimTime = 1024;
const WHEEL_MASK: SimTime = WHEEL_MS - 1;

/// Where an entry sits, to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueueKey {
    at: SimTime,
    seq: u64,
    slot: u32,
}

impl QueueKey {
    /// The entry's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// The sequence number of a free slot (no live entry has it).
const FREE: u64 = u64::MAX;

/// A priority queue of `T` ordered by (time, sequence), earliest first.
#[derive(Clone, Debug)]
pub(crate) struct EventQueue<T> {
    /// Entries by slot, and beside them (dense, so liveness checks stay in cache) the sequence
    /// number of the live entry in each slot, or [`FREE`].
    items: Vec<Option<T>>,
    seqs: Vec<u64>,
    free: Vec<u32>,
    /// Bucket `t & WHEEL_MASK` holds the entries due at `t`, for `t` in `[base, base + WHEEL_MS)`,
    /// in sequence order (plus cancelled keys not yet skipped).
    wheel: Vec<VecDeque<(u64, u32)>>,
    /// Entries due at or after `base + WHEEL_MS`.
    far: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    /// The slot of each live entry in `far`, by sequence number.
    far_slots: HashMap<u64, u32, BuildHasherDefault<SeqHasher>>,
    /// No entry is due before `base`; it moves forward as entries are popped.
    base: SimTime,
    /// Time of the earliest live entry.
    next: Option<SimTime>,
    wheel_live: usize,
    wheel_keys: usize,
    far_live: usize,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            items: Vec::new(),
            seqs: Vec::new(),
            free: Vec::new(),
            wheel: (0..WHEEL_MS).map(|_| VecDeque::new()).collect(),
            far: BinaryHeap::new(),
            far_slots: HashMap::default(),
            base: 0,
            next: None,
            wheel_live: 0,
            wheel_keys: 0,
            far_live: 0,
        }
    }
}

impl<T> EventQueue<T> {
    /// Adds `item` at time `at` (not before the last popped entry) with tie-breaker `seq`
    /// (unique; normally increasing).
    pub fn push(&mut self, at: SimTime, seq: u64, item: T) -> QueueKey {
        let at = at.max(self.base);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.items[slot as usize] = Some(item);
                self.seqs[slot as usize] = seq;
                slot
            }
            None => {
                self.items.push(Some(item));
                self.seqs.push(seq);
                (self.items.len() - 1) as u32
            }
        };
        if at < self.base + WHEEL_MS {
            self.wheel_insert(at, seq, slot);
        } else {
            self.far.push(Reverse((at, seq, slot)));
            self.far_slots.insert(seq, slot);
            self.far_live += 1;
        }
        if self.next.is_none_or(|n| at < n) {
            self.next = Some(at);
        }
        QueueKey { at, seq, slot }
    }

    fn wheel_insert(&mut self, at: SimTime, seq: u64, slot: u32) {
        let bucket = &mut self.wheel[(at & WHEEL_MASK) as usize];
        match bucket.back() {
            Some(&(last, _)) if last > seq => {
                let i = bucket.partition_point(|&(s, _)| s < seq);
                bucket.insert(i, (seq, slot));
            }
            _ => bucket.push_back((seq, slot)),
        }
        self.wheel_live += 1;
        self.wheel_keys += 1;
    }

    #[inline(always)]
    fn is_live(&self, seq: u64, slot: u32) -> bool {
        self.seqs[slot as usize] == seq
    }

    fn take(&mut self, seq: u64, slot: u32) -> Option<T> {
        if seq == FREE || self.seqs[slot as usize] != seq {
            return None;
        }
        self.seqs[slot as usize] = FREE;
        self.free.push(slot);
        self.items[slot as usize].take()
    }

    /// Moves `base` to `to` and the heap's entries now within the wheel's reach into it.
    fn advance_base(&mut self, to: SimTime) {
        if to <= self.base {
            return;
        }
        self.base = to;
        while let Some(&Reverse((at, seq, slot))) = self.far.peek() {
            if at >= self.base + WHEEL_MS {
                break;
            }
            self.far.pop();
            if self.is_live(seq, slot) {
                self.far_slots.remove(&seq);
                self.far_live -= 1;
                self.wheel_insert(at, seq, slot);
            }
        }
    }

    /// Finds the earliest live entry at or after `from`, dropping cancelled keys on the way.
    fn settle(&mut self, from: SimTime) {
        self.next = None;
        if self.wheel_live > 0 {
            for t in from.max(self.base)..self.base + WHEEL_MS {
                let bucket = (t & WHEEL_MASK) as usize;
                while let Some(&(seq, slot)) = self.wheel[bucket].front() {
                    if self.is_live(seq, slot) {
                        break;
                    }
                    self.wheel[bucket].pop_front();
                    self.wheel_keys -= 1;
                }
                if !self.wheel[bucket].is_empty() {
                    self.next = Some(t);
                    break;
                }
            }
        }
        while let Some(&Reverse((at, seq, slot))) = self.far.peek() {
            if self.is_live(seq, slot) {
                if self.next.is_none_or(|n| at < n) {
                    self.next = Some(at);
                }
                break;
            }
            self.far.pop();
        }
        self.maybe_compact();
    }

    /// Drops cancelled keys once they outnumber the live entries (the check is inlined where
    /// it runs, after every pop and cancel; the work is not).
    #[inline(always)]
    fn maybe_compact(&mut self) {
        if self.far.len() > 1024 + 2 * self.far_live || self.wheel_keys > 4096 + 2 * self.wheel_live
        {
            self.compact();
        }
    }

    #[cold]
    #[inline(never)]
    fn compact(&mut self) {
        if self.far.len() > 1024 + 2 * self.far_live {
            let seqs = &self.seqs;
            self.far
                .retain(|Reverse((_, seq, slot))| seqs[*slot as usize] == *seq);
        }
        if self.wheel_keys > 4096 + 2 * self.wheel_live {
            let seqs = &self.seqs;
            for bucket in &mut self.wheel {
                bucket.retain(|(seq, slot)| seqs[*slot as usize] == *seq);
            }
            self.wheel_keys = self.wheel_live;
        }
    }

    /// Time of the earliest entry.
    #[inline(always)]
    pub fn next_time(&self) -> Option<SimTime> {
        self.next
    }

    /// Removes and returns the earliest entry.
    pub fn pop(&mut self) -> Option<(SimTime, u64, T)> {
        let at = self.next?;
        self.advance_base(at);
        let bucket = (at & WHEEL_MASK) as usize;
        while let Some((seq, slot)) = self.wheel[bucket].pop_front() {
            self.wheel_keys -= 1;
            if let Some(item) = self.take(seq, slot) {
                self.wheel_live -= 1;
                self.settle(at);
                return Some((at, seq, item));
            }
        }
        unreachable!("the earliest live entry is in its bucket");
    }

    /// Removes the entry `key` if it is still queued.
    #[cfg(test)]
    pub fn cancel(&mut self, key: QueueKey) -> Option<T> {
        self.cancel_at(key.at, key.seq)
    }

    /// Removes the entry pushed at `at` with sequence number `seq`, if it is still queued.
    pub fn cancel_at(&mut self, at: SimTime, seq: u64) -> Option<T> {
        let at = at.max(self.base);
        let slot = if at < self.base + WHEEL_MS {
            let bucket = &self.wheel[(at & WHEEL_MASK) as usize];
            let i = bucket.partition_point(|&(s, _)| s < seq);
            match bucket.get(i) {
                Some(&(s, slot)) if s == seq => slot,
                _ => return None,
            }
        } else {
            self.far_slots.remove(&seq)?
        };
        let item = self.take(seq, slot)?;
        self.forget(at);
        Some(item)
    }

    /// Bookkeeping after the entry due at `at` was taken out of its slot.
    fn forget(&mut self, at: SimTime) {
        if at < self.base + WHEEL_MS {
            self.wheel_live -= 1;
        } else {
            self.far_live -= 1;
        }
        if self.next == Some(at) {
            self.settle(at);
        } else {
            self.maybe_compact();
        }
    }

    /// Removes the first entry (in slot order) matching `pred`.
    pub fn remove_where(&mut self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let (seq, slot) = self
            .items
            .iter()
            .enumerate()
            .find(|(_, item)| item.as_ref().is_some_and(&pred))
            .map(|(i, _)| (self.seqs[i], i as u32))?;
        let at = self.time_of(seq, slot);
        let item = self.take(seq, slot);
        if at >= self.base + WHEEL_MS {
            self.far_slots.remove(&seq);
        }
        self.forget(at);
        item
    }

    /// When the live entry in `slot` is due (a search: only for rare removals).
    fn time_of(&self, seq: u64, slot: u32) -> SimTime {
        if let Some(Reverse((at, _, _))) = self
            .far
            .iter()
            .find(|Reverse((_, s, sl))| *s == seq && *sl == slot)
        {
            return *at;
        }
        (self.base..self.base + WHEEL_MS)
            .find(|t| self.wheel[(t & WHEEL_MASK) as usize].contains(&(seq, slot)))
            .expect("a live entry is in the wheel or the heap")
    }

    /// Every queued entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter().filter_map(|item| item.as_ref())
    }

    /// How many entries are queued.
    pub fn len(&self) -> usize {
        self.wheel_live + self.far_live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_sequence_order_and_skips_cancelled() {
        let mut q = EventQueue::default();
        q.push(5, 1, "b");
        let k = q.push(3, 2, "cancelled");
        q.push(5, 0, "a");
        q.push(7, 3, "c");
        assert_eq!(q.cancel(k), Some("cancelled"));
        assert_eq!(q.cancel(k), None, "a key cancels once");
        assert_eq!(q.next_time(), Some(5));
        assert_eq!(q.len(), 3);
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, _, v)| v)).collect();
        assert_eq!(order, vec!["a", "b", "c"]);
        assert_eq!(q.len(), 0);
        assert_eq!(q.next_time(), None);
    }

    #[test]
    fn reused_slots_do_not_confuse_old_keys() {
        let mut q = EventQueue::default();
        let old = q.push(1, 1, 10);
        assert_eq!(q.pop().map(|e| e.2), Some(10));
        q.push(2, 2, 20);
        assert_eq!(q.cancel(old), None);
        assert_eq!(q.pop().map(|e| e.2), Some(20));
    }

    /// Far entries (beyond the wheel) and near ones interleave in (time, seq) order, across
    /// many wheel turns, with cancellations and removals; checked against a sorted model.
    #[test]
    fn matches_a_sorted_model_across_wheel_turns() {
        let mut rng = crate::sim::rng::SimRng::new(7);
        let mut q = EventQueue::default();
        let mut model: std::collections::BTreeMap<(SimTime, u64), u64> = Default::default();
        let mut keys = Vec::new();
        let mut now = 0;
        let mut seq = 0;
        for round in 0..20_000u64 {
            let roll = rng.range_inclusive(0, 9);
            if roll < 5 {
                let delay = match rng.range_inclusive(0, 3) {
                    0 => rng.range_inclusive(0, 3),
                    1 => rng.range_inclusive(0, 500),
                    2 => rng.range_inclusive(3000, 9000),
                    _ => rng.range_inclusive(20_000, 40_000),
                };
                seq += 1;
                keys.push((q.push(now + delay, seq, round), now + delay, seq));
                model.insert((now + delay, seq), round);
            } else if roll < 7 && !keys.is_empty() {
                let i = rng.range_inclusive(0, keys.len() as u64 - 1) as usize;
                let (key, at, s) = keys.swap_remove(i);
                assert_eq!(q.cancel(key), model.remove(&(at, s)));
            } else if roll == 7 && round % 50 == 0 {
                let target = round.saturating_sub(100);
                let removed = q.remove_where(|v| *v >= target);
                if let Some(v) = removed {
                    let k = *model.iter().find(|(_, m)| **m == v).expect("in model").0;
                    model.remove(&k);
                }
            } else {
                assert_eq!(q.next_time(), model.keys().next().map(|k| k.0));
                let popped = q.pop();
                let expected = model.pop_first();
                assert_eq!(popped.map(|(at, s, v)| ((at, s), v)), expected);
                if let Some(((at, _), _)) = expected {
                    now = at;
                }
            }
            assert_eq!(q.len(), model.len());
        }
    }
}
