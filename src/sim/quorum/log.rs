//! A controller's copy of the `__cluster_metadata` log: entries with the epoch of the leader that
//! appended them, the epoch cache derived from them, truncation and reads.

use crate::sim::types::Offset;

use super::QuorumEpoch;

/// What an entry holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum EntryData<R> {
    /// The first entry of a leader's epoch (Kafka's LeaderChangeMessage control record): the
    /// leader commits it before anything of an older epoch is exposed.
    LeaderChange {
        /// The new leader.
        leader: u32,
    },
    /// A metadata record.
    Record(R),
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Entry<R> {
    /// Its offset.
    pub offset: Offset,
    /// The epoch of the leader that appended it.
    pub epoch: QuorumEpoch,
    /// What it holds.
    pub data: EntryData<R>,
}

/// The replicated log of one voter or observer.
#[derive(Clone, Debug)]
pub struct QuorumLog<R> {
    entries: Vec<Entry<R>>,
    /// (epoch, start offset), ascending.
    epochs: Vec<(QuorumEpoch, Offset)>,
}

impl<R> Default for QuorumLog<R> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            epochs: Vec::new(),
        }
    }
}

impl<R: Clone> QuorumLog<R> {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The offset the next entry gets.
    pub fn end_offset(&self) -> Offset {
        self.entries.len() as Offset
    }

    /// The epoch of the last entry (0 for an empty log).
    pub fn last_epoch(&self) -> QuorumEpoch {
        self.entries.last().map_or(0, |e| e.epoch)
    }

    /// Every entry, in offset order.
    pub fn entries(&self) -> &[Entry<R>] {
        &self.entries
    }

    /// The entry at `offset`.
    pub fn entry(&self, offset: Offset) -> Option<&Entry<R>> {
        self.entries.get(usize::try_from(offset).ok()?)
    }

    /// Whether a log ending with (`last_epoch`, `end_offset`) is at least as up to date as this
    /// one: a later last epoch, or the same one and at least as long (Raft's vote rule).
    pub fn is_no_newer_than(&self, last_epoch: QuorumEpoch, end_offset: Offset) -> bool {
        (last_epoch, end_offset) >= (self.last_epoch(), self.end_offset())
    }

    /// Kafka's `endOffsetForEpoch`: the largest epoch at or below `epoch` in this log and the
    /// offset where it ends; (0, 0) when none is.
    pub fn end_offset_for_epoch(&self, epoch: QuorumEpoch) -> (QuorumEpoch, Offset) {
        match self.epochs.iter().rposition(|(e, _)| *e <= epoch) {
            None => (0, 0),
            Some(i) => (
                self.epochs[i].0,
                self.epochs
                    .get(i + 1)
                    .map_or(self.end_offset(), |(_, start)| *start),
            ),
        }
    }

    /// Appends an entry in `epoch`; returns its offset.
    pub fn append(&mut self, epoch: QuorumEpoch, data: EntryData<R>) -> Offset {
        let offset = self.end_offset();
        if self.epochs.last().is_none_or(|(e, _)| *e < epoch) {
            self.epochs.push((epoch, offset));
        }
        debug_assert!(epoch >= self.last_epoch(), "epochs only grow along the log");
        self.entries.push(Entry {
            offset,
            epoch,
            data,
        });
        offset
    }

    /// Removes every entry at or above `offset`.
    pub fn truncate_to(&mut self, offset: Offset) {
        let keep = usize::try_from(offset).unwrap_or(usize::MAX);
        self.entries.truncate(keep);
        self.epochs.retain(|(_, start)| *start < offset);
    }

    /// Appends fetched entries that follow this log's end (a fetcher stops at the first gap).
    pub fn append_fetched(&mut self, entries: Vec<Entry<R>>) {
        for e in entries {
            if e.offset != self.end_offset() {
                break;
            }
            self.append(e.epoch, e.data);
        }
    }

    /// A Fetch answer said this log diverges: keeps what both logs hold, up to where the common
    /// `epoch` ends in both (`end_offset` in the leader's). Returns the new end offset.
    pub fn truncate_to_common(&mut self, epoch: QuorumEpoch, end_offset: Offset) -> Offset {
        let (_, mine) = self.end_offset_for_epoch(epoch);
        let to = end_offset.min(mine);
        self.truncate_to(to);
        to
    }

    /// Up to `max` entries from `from`.
    pub fn read(&self, from: Offset, max: usize) -> Vec<Entry<R>> {
        let start = usize::try_from(from).unwrap_or(usize::MAX);
        self.entries.iter().skip(start).take(max).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(epochs: &[QuorumEpoch]) -> QuorumLog<u32> {
        let mut log = QuorumLog::new();
        for (i, e) in epochs.iter().enumerate() {
            log.append(*e, EntryData::Record(i as u32));
        }
        log
    }

    #[test]
    fn end_offsets_per_epoch_and_truncation_follow_the_entries() {
        let mut log = log_with(&[1, 1, 3, 3, 3]);
        assert_eq!(log.end_offset_for_epoch(0), (0, 0));
        assert_eq!(log.end_offset_for_epoch(1), (1, 2));
        assert_eq!(log.end_offset_for_epoch(2), (1, 2));
        assert_eq!(log.end_offset_for_epoch(3), (3, 5));
        assert_eq!(log.end_offset_for_epoch(9), (3, 5));
        log.truncate_to(2);
        assert_eq!((log.last_epoch(), log.end_offset()), (1, 2));
        assert_eq!(log.end_offset_for_epoch(3), (1, 2));
    }

    #[test]
    fn a_log_is_up_to_date_by_last_epoch_first_then_length() {
        let log = log_with(&[1, 2, 2, 2, 2]);
        assert!(!log.is_no_newer_than(1, 10), "older last epoch, longer");
        assert!(!log.is_no_newer_than(2, 4), "same epoch, shorter");
        assert!(log.is_no_newer_than(2, 5));
        assert!(log.is_no_newer_than(3, 1), "newer last epoch, shorter");
    }
}
