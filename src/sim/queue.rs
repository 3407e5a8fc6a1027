//! The event queue: entries ordered by (time, sequence number), with cancellable timers.
//!
//! A binary heap holds small `(time, seq, slot)` keys; the entries themselves live in a slab of
//! slots, so the heap never moves large values. A cancelled entry leaves its key in the heap and
//! is skipped when it reaches the top (the slot's sequence number no longer matches).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::types::SimTime;

/// Where an entry sits, to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueueKey {
    at: SimTime,
    seq: u64,
    slot: u32,
}

#[derive(Clone, Debug)]
struct Slot<T> {
    seq: u64,
    item: Option<T>,
}

/// A priority queue of `T` ordered by (time, sequence), earliest first.
#[derive(Clone, Debug)]
pub(crate) struct EventQueue<T> {
    heap: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
    /// Heap keys whose entry was cancelled; the heap is compacted when they dominate.
    dead: usize,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            dead: 0,
        }
    }
}

impl<T> EventQueue<T> {
    /// Adds `item` at time `at` with tie-breaker `seq` (unique and increasing).
    pub fn push(&mut self, at: SimTime, seq: u64, item: T) -> QueueKey {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Slot {
                    seq,
                    item: Some(item),
                };
                slot
            }
            None => {
                self.slots.push(Slot {
                    seq,
                    item: Some(item),
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((at, seq, slot)));
        self.live += 1;
        QueueKey { at, seq, slot }
    }

    fn is_live(&self, seq: u64, slot: u32) -> bool {
        let s = &self.slots[slot as usize];
        s.seq == seq && s.item.is_some()
    }

    fn drop_dead_top(&mut self) {
        while let Some(Reverse((_, seq, slot))) = self.heap.peek().copied() {
            if self.is_live(seq, slot) {
                break;
            }
            self.heap.pop();
            self.dead -= 1;
        }
    }

    /// Drops cancelled keys from the heap once they outnumber the live ones.
    fn maybe_compact(&mut self) {
        if self.dead > 1024 && self.dead > 2 * self.live {
            let slots = &self.slots;
            self.heap.retain(|Reverse((_, seq, slot))| {
                let s = &slots[*slot as usize];
                s.seq == *seq && s.item.is_some()
            });
            self.dead = 0;
        }
    }

    fn take(&mut self, seq: u64, slot: u32) -> Option<T> {
        let s = &mut self.slots[slot as usize];
        if s.seq != seq {
            return None;
        }
        let item = s.item.take()?;
        self.free.push(slot);
        self.live -= 1;
        Some(item)
    }

    /// Time of the earliest entry.
    pub fn next_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Removes and returns the earliest entry.
    pub fn pop(&mut self) -> Option<(SimTime, u64, T)> {
        while let Some(Reverse((at, seq, slot))) = self.heap.pop() {
            if let Some(item) = self.take(seq, slot) {
                self.drop_dead_top();
                return Some((at, seq, item));
            }
            self.dead -= 1;
        }
        None
    }

    /// Removes the entry `key` if it is still queued.
    pub fn cancel(&mut self, key: QueueKey) -> Option<T> {
        let _ = key.at;
        let item = self.take(key.seq, key.slot);
        if item.is_some() {
            self.dead += 1;
            self.drop_dead_top();
            self.maybe_compact();
        }
        item
    }

    /// Removes the first entry (in slot order) matching `pred`.
    pub fn remove_where(&mut self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let found = self
            .slots
            .iter()
            .enumerate()
            .find(|(_, s)| s.item.as_ref().is_some_and(&pred))
            .map(|(i, s)| (s.seq, i as u32))?;
        let item = self.take(found.0, found.1);
        self.dead += 1;
        self.drop_dead_top();
        item
    }

    /// Every queued entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| s.item.as_ref())
    }

    /// How many entries are queued.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.live
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
}
