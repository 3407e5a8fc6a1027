//! The acknowledged-records oracle: what producers were told is written, learned from the sends
//! the applications made and the events the engine emitted, never from a node's own state.
//! [`crate::sim::Simulation::lost_acked`] compares it with the partition logs.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::rc::Rc;

use super::seqmap::{SeqHasher, SeqMap};
use super::tpmap::TpMap;
use super::types::{Offset, SendId, TopicPartition};

/// A record's (key, value).
pub type KeyValue = (Option<Rc<str>>, Rc<str>);

/// What was acknowledged at one offset: normally one record; more when an unsafe setting lost
/// the first and the offset was written again.
#[derive(Clone, Debug)]
pub struct AckedAt {
    first: KeyValue,
    more: Vec<KeyValue>,
}

impl AckedAt {
    /// Every (key, value) acknowledged at this offset.
    pub fn iter(&self) -> impl Iterator<Item = &KeyValue> {
        std::iter::once(&self.first).chain(self.more.iter())
    }
}

/// Sends not yet decided, and every acknowledged record by partition and offset.
#[derive(Clone, Debug, Default)]
pub struct AckLedger {
    /// Never iterated over: a hash map cannot make the output depend on its order.
    undecided: HashMap<SendId, KeyValue, BuildHasherDefault<SeqHasher>>,
    acked: TpMap<SeqMap<AckedAt>>,
}

impl AckLedger {
    /// An application handed `send` to its producer.
    pub fn sent(&mut self, send: SendId, key: Option<Rc<str>>, value: Rc<str>) {
        self.undecided.insert(send, (key, value));
    }

    /// The producer was told `send` is at `offset` of `tp`.
    pub fn acked(&mut self, send: SendId, tp: TopicPartition, offset: Offset) {
        let Some(entry) = self.undecided.remove(&send) else {
            debug_assert!(false, "an acknowledged send was sent");
            return;
        };
        let at = self.acked.get_or_insert_with(tp, SeqMap::new);
        match at.get_mut(&offset) {
            Some(at) => {
                if !at.iter().any(|kv| *kv == entry) {
                    at.more.push(entry);
                }
            }
            None => {
                at.insert(
                    offset,
                    AckedAt {
                        first: entry,
                        more: Vec::new(),
                    },
                );
            }
        }
    }

    /// Acknowledged offsets kept, over every partition.
    pub fn entries(&self) -> usize {
        self.acked.iter().map(|(_, m)| m.len()).sum::<usize>() + self.undecided.len()
    }

    /// `send` failed or was sent without acknowledgement: nothing to check.
    pub fn forget(&mut self, send: SendId) {
        self.undecided.remove(&send);
    }

    /// Every partition with acknowledged records, and those records by offset.
    pub fn iter(&self) -> impl Iterator<Item = (&TopicPartition, &SeqMap<AckedAt>)> {
        self.acked.iter()
    }

    /// The partitions with acknowledged records.
    pub fn partitions(&self) -> impl Iterator<Item = TopicPartition> + '_ {
        self.acked.keys().copied()
    }

    /// Forgets acknowledgements of `tp` below `start` (deleted by retention: bounded memory),
    /// once they are at least a quarter of the partition's: removing a prefix moves the rest,
    /// so this keeps the work per acknowledgement constant (three moves), and the memory within
    /// 4/3 of what the logs hold. (Those still kept count as present: the records were deleted,
    /// not lost.)
    pub fn prune_below(&mut self, tp: TopicPartition, start: Offset) {
        if let Some(m) = self.acked.get_mut(&tp) {
            let below = m.count_below(&start);
            if below > 0 && below * 4 >= m.len() {
                m.remove_below(&start);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types::TopicId;

    fn tp(p: u32) -> TopicPartition {
        TopicPartition {
            topic: TopicId(1),
            partition: p,
        }
    }

    #[test]
    fn acked_sends_are_kept_by_offset_and_undecided_ones_are_not() {
        let mut l = AckLedger::default();
        l.sent(SendId(1), Some(Rc::from("k")), Rc::from("a"));
        l.sent(SendId(2), None, Rc::from("b"));
        l.sent(SendId(3), None, Rc::from("c"));
        l.acked(SendId(1), tp(0), 5);
        l.forget(SendId(2));
        // A second record acknowledged at the same offset (the first was lost) is kept too.
        l.acked(SendId(3), tp(0), 5);
        let (_, at) = l.iter().next().expect("one partition");
        let values: Vec<&str> = at
            .get(&5)
            .expect("offset 5")
            .iter()
            .map(|(_, v)| &**v)
            .collect();
        assert_eq!(values, vec!["a", "c"]);
        assert!(l.undecided.is_empty());
        l.prune_below(tp(0), 6);
        assert!(l.iter().all(|(_, m)| m.is_empty()));
    }

    #[test]
    fn pruning_waits_until_a_quarter_of_a_partitions_acknowledgements_are_below_the_log_start() {
        let mut l = AckLedger::default();
        for offset in 0..10 {
            l.sent(SendId(offset), None, Rc::from("v"));
            l.acked(SendId(offset), tp(0), offset);
        }
        let kept = |l: &AckLedger| l.iter().map(|(_, m)| m.len()).sum::<usize>();
        l.prune_below(tp(0), 2);
        assert_eq!(kept(&l), 10, "2 of 10 below the start: kept for now");
        l.prune_below(tp(0), 3);
        assert_eq!(kept(&l), 7, "3 of 10: the three are forgotten");
        l.prune_below(tp(1), 100);
        assert_eq!(kept(&l), 7, "another partition");
    }
}
