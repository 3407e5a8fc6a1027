//! One replica's partition log: records, log end offset, high watermark, leader-epoch cache,
//! idempotent-producer state, and its cleanup (retention, or compaction for the offsets topic).

use crate::sim::sorted_map::SortedMap;
use serde::Serialize;
use std::collections::VecDeque;

use super::chunked::ChunkedDeque;
use std::rc::Rc;

use super::network::RecordData;
use super::types::{LeaderEpoch, Offset, ProducerId};

/// Batches per producer id the broker remembers for duplicate detection (Kafka keeps 5).
pub const PRODUCER_BATCHES_KEPT: usize = 5;

/// Bytes a record costs beyond its key and value (batch and record headers, roughly).
pub const RECORD_OVERHEAD_BYTES: usize = 70;

/// How a log frees space, as Kafka's `cleanup.policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cleanup {
    /// `delete`: the oldest records below the HW go while the log holds more than
    /// `max_records` records or `max_bytes` bytes.
    Delete {
        /// Records kept.
        max_records: usize,
        /// Bytes kept.
        max_bytes: usize,
    },
    /// `compact` (`__consumer_offsets`): below the HW, only the latest record of each key
    /// survives; offsets keep their numbers, so the log has gaps. The log cleaner runs once the
    /// records appended since its last pass are at least as many as those it left
    /// (`min.cleanable.dirty.ratio` 0.5) and at least `min_dirty`.
    Compact {
        /// Fewest records since the last pass that make a pass worth it.
        min_dirty: usize,
    },
}

/// A record stored in a log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// Its offset.
    pub offset: Offset,
    /// The leader epoch in which the leader appended it.
    pub leader_epoch: LeaderEpoch,
    /// Key, value and timestamp.
    pub data: RecordData,
    /// Idempotent producer id and this record's sequence number.
    pub producer: Option<(ProducerId, u32)>,
}

/// Where an idempotent batch landed, for duplicate detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchMeta {
    /// Sequence of the first record.
    pub first_sequence: u32,
    /// Sequence of the last record.
    pub last_sequence: u32,
    /// Offset of the first record.
    pub first_offset: Offset,
    /// Offset of the last record.
    pub last_offset: Offset,
}

/// What an idempotent append attempt finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    /// The batch is new and in order: append it.
    Append,
    /// The batch was already appended: answer with its offsets.
    Duplicate(BatchMeta),
    /// The batch does not follow the last one.
    OutOfOrder,
}

/// A replica's log. The high watermark lives here too.
#[derive(Clone, Debug, Default)]
pub struct PartitionLog {
    /// Retained records, in offset order (in shared chunks: a cloned log costs little).
    records: ChunkedDeque<LogRecord>,
    /// Offset of the first retained record.
    log_start_offset: Offset,
    /// Offset the next record will get.
    log_end_offset: Offset,
    /// High watermark as this replica knows it.
    high_watermark: Offset,
    /// Bytes held by retained records.
    bytes: usize,
    /// Leader-epoch cache: (epoch, start offset), ascending.
    epoch_cache: Vec<(LeaderEpoch, Offset)>,
    /// Last batches of each idempotent producer.
    producers: SortedMap<ProducerId, VecDeque<BatchMeta>>,
    /// Where the log cleaner's last pass stopped (compacted logs): records below are clean.
    cleaned_upto: Offset,
}

impl PartitionLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The offset the next record will get (LEO).
    #[inline(always)]
    pub fn log_end_offset(&self) -> Offset {
        self.log_end_offset
    }

    /// The first offset still retained.
    #[inline(always)]
    pub fn log_start_offset(&self) -> Offset {
        self.log_start_offset
    }

    /// This replica's high watermark.
    #[inline(always)]
    pub fn high_watermark(&self) -> Offset {
        self.high_watermark
    }

    /// Sets the high watermark (callers keep it monotonic where Kafka does).
    pub fn set_high_watermark(&mut self, hw: Offset) {
        self.high_watermark = hw.min(self.log_end_offset);
    }

    /// The retained records.
    pub fn records(&self) -> &ChunkedDeque<LogRecord> {
        &self.records
    }

    /// The record at `offset`, if retained (a compacted log may have removed it).
    pub fn record_at(&self, offset: Offset) -> Option<&LogRecord> {
        if offset < self.log_start_offset || offset >= self.log_end_offset {
            return None;
        }
        self.records
            .get(self.index_from(offset))
            .filter(|r| r.offset == offset)
    }

    /// Index of the first retained record at or above `offset`. Logs without gaps find it at
    /// once; a compacted log searches.
    #[inline]
    fn index_from(&self, offset: Offset) -> usize {
        let Some(first) = self.records.front().map(|r| r.offset) else {
            return 0;
        };
        let Some(guess) = offset.checked_sub(first).map(|d| d as usize) else {
            return 0;
        };
        match self.records.get(guess) {
            Some(r) if r.offset == offset => guess,
            None if self.records.len() as Offset == self.log_end_offset - first => {
                self.records.len()
            }
            _ => self.records.partition_point(|r| r.offset < offset),
        }
    }

    /// Bytes held by the retained records.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The leader-epoch cache: (epoch, start offset) pairs.
    pub fn epoch_cache(&self) -> &[(LeaderEpoch, Offset)] {
        &self.epoch_cache
    }

    /// The latest epoch in the cache (Kafka's `lastFetchedEpoch` for a follower).
    pub fn latest_epoch(&self) -> Option<LeaderEpoch> {
        self.epoch_cache.last().map(|(e, _)| *e)
    }

    /// Records that `epoch` starts at `start_offset` (a new leader does this at its LEO).
    pub fn assign_epoch_start(&mut self, epoch: LeaderEpoch, start_offset: Offset) {
        match self.epoch_cache.last() {
            Some((last, _)) if *last >= epoch => {}
            _ => self.epoch_cache.push((epoch, start_offset)),
        }
    }

    /// Kafka's `endOffsetFor`: the largest epoch at or below `requested` and the offset where it
    /// ends in this log; `None` when this log knows no epoch at or below it.
    pub fn end_offset_for_epoch(&self, requested: LeaderEpoch) -> Option<(LeaderEpoch, Offset)> {
        let idx = self
            .epoch_cache
            .iter()
            .rposition(|(e, _)| *e <= requested)?;
        let epoch = self.epoch_cache[idx].0;
        let end = match self.epoch_cache.get(idx + 1) {
            Some((_, next_start)) => *next_start,
            None => self.log_end_offset,
        };
        Some((epoch, end))
    }

    /// Checks an idempotent batch against this producer's last batches.
    pub fn check_sequence(
        &self,
        pid: ProducerId,
        first_sequence: u32,
        count: u32,
    ) -> SequenceCheck {
        let last_sequence = first_sequence + count.saturating_sub(1);
        match self.producers.get(&pid) {
            None => {
                if first_sequence == 0 {
                    SequenceCheck::Append
                } else {
                    SequenceCheck::OutOfOrder
                }
            }
            Some(batches) => {
                // Followers rebuild producer state record by record, so a cached entry may span
                // several of the producer's batches: a batch inside one is a duplicate.
                if let Some(b) = batches.iter().find(|b| {
                    b.first_sequence <= first_sequence && last_sequence <= b.last_sequence
                }) {
                    let first_offset =
                        b.first_offset + (first_sequence - b.first_sequence) as Offset;
                    return SequenceCheck::Duplicate(BatchMeta {
                        first_sequence,
                        last_sequence,
                        first_offset,
                        last_offset: first_offset + (last_sequence - first_sequence) as Offset,
                    });
                }
                let expected = batches.back().map_or(0, |b| b.last_sequence + 1);
                if first_sequence == expected {
                    SequenceCheck::Append
                } else {
                    SequenceCheck::OutOfOrder
                }
            }
        }
    }

    /// Appends records as a leader in `epoch`; returns (first offset, last offset).
    pub fn append_as_leader(
        &mut self,
        epoch: LeaderEpoch,
        records: &[RecordData],
        idempotence: Option<(ProducerId, u32)>,
    ) -> (Offset, Offset) {
        self.assign_epoch_start(epoch, self.log_end_offset);
        let first = self.log_end_offset;
        for (i, data) in records.iter().enumerate() {
            let producer = idempotence.map(|(pid, seq)| (pid, seq + i as u32));
            self.push(LogRecord {
                offset: self.log_end_offset,
                leader_epoch: epoch,
                data: data.clone(),
                producer,
            });
        }
        let last = self.log_end_offset.saturating_sub(1);
        if let Some((pid, seq)) = idempotence {
            self.remember_batch(
                pid,
                BatchMeta {
                    first_sequence: seq,
                    last_sequence: seq + records.len().saturating_sub(1) as u32,
                    first_offset: first,
                    last_offset: last,
                },
            );
        }
        (first, last)
    }

    /// Appends a record fetched from the leader: its offset is the LEO, or above it when the
    /// leader's log cleaner removed the records between.
    pub fn append_replicated(&mut self, record: LogRecord) {
        debug_assert!(record.offset >= self.log_end_offset);
        self.assign_epoch_start(record.leader_epoch, record.offset);
        if let Some((pid, seq)) = record.producer {
            // Followers keep producer state too, so that a new leader can deduplicate.
            let entry = self.producers.entry(pid).or_default();
            match entry.back_mut() {
                Some(b) if b.last_sequence + 1 == seq && b.last_offset + 1 == record.offset => {
                    b.last_sequence = seq;
                    b.last_offset = record.offset;
                }
                _ => self.remember_batch(
                    pid,
                    BatchMeta {
                        first_sequence: seq,
                        last_sequence: seq,
                        first_offset: record.offset,
                        last_offset: record.offset,
                    },
                ),
            }
        }
        self.push(record);
    }

    fn remember_batch(&mut self, pid: ProducerId, meta: BatchMeta) {
        let entry = self.producers.entry(pid).or_default();
        entry.push_back(meta);
        while entry.len() > PRODUCER_BATCHES_KEPT {
            entry.pop_front();
        }
    }

    fn push(&mut self, record: LogRecord) {
        self.bytes += record_bytes(&record);
        self.log_end_offset = record.offset + 1;
        self.records.push_back(record);
    }

    /// Removes every record at or above `offset` (never below the log start).
    pub fn truncate_to(&mut self, offset: Offset) {
        let offset = offset.max(self.log_start_offset);
        // Epochs that start at or after the cut go too, even when no record does (a leader
        // records its epoch's start before its first append).
        self.epoch_cache.retain(|(_, start)| *start < offset);
        if offset >= self.log_end_offset {
            return;
        }
        while self.records.back().is_some_and(|r| r.offset >= offset) {
            let r = self.records.pop_back().expect("checked non-empty");
            self.bytes -= record_bytes(&r);
        }
        self.log_end_offset = offset;
        self.high_watermark = self.high_watermark.min(offset);
        self.cleaned_upto = self.cleaned_upto.min(offset);
        for batches in self.producers.values_mut() {
            batches.retain(|b| b.first_offset < offset);
            if let Some(b) = batches.back_mut().filter(|b| b.last_offset >= offset) {
                // A merged entry cut in the middle keeps the records below the cut.
                let cut = (b.last_offset - (offset - 1)) as u32;
                b.last_offset = offset - 1;
                b.last_sequence -= cut;
            }
        }
        self.producers.retain(|_, b| !b.is_empty());
    }

    /// Empties the log and restarts it at `offset` (a follower whose leader no longer has the
    /// records it needs, like Kafka's `truncateFullyAndStartAt`).
    pub fn reset_to(&mut self, offset: Offset) {
        self.records.clear();
        self.bytes = 0;
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.high_watermark = offset;
        self.epoch_cache.clear();
        self.producers.clear();
        self.cleaned_upto = offset;
    }

    /// Frees space by the topic's cleanup policy. Returns how many records were removed.
    pub fn clean_up(&mut self, cleanup: Cleanup) -> usize {
        match cleanup {
            Cleanup::Delete {
                max_records,
                max_bytes,
            } => self.apply_retention(max_records, max_bytes),
            Cleanup::Compact { min_dirty } => self.compact(min_dirty),
        }
    }

    /// One pass of the log cleaner, if enough is dirty: below the HW, a record whose key has a
    /// later record below the HW goes. The last record below the HW is always the latest of its
    /// key, so the LEO stays backed by a record. Returns how many records were removed.
    pub fn compact(&mut self, min_dirty: usize) -> usize {
        let limit = self.high_watermark;
        let clean = self
            .records
            .partition_point(|r| r.offset < self.cleaned_upto);
        let cleanable = self.records.partition_point(|r| r.offset < limit);
        let dirty = cleanable.saturating_sub(clean);
        if dirty < min_dirty.max(clean).max(1) {
            return 0;
        }
        let mut latest: SortedMap<Rc<str>, Offset> = SortedMap::new();
        for r in self.records.range(0, cleanable) {
            if let Some(key) = &r.data.key {
                latest.insert(key.clone(), r.offset);
            }
        }
        let before = self.records.len();
        self.records.retain(|r| {
            r.offset >= limit
                || r.data
                    .key
                    .as_ref()
                    .is_none_or(|k| latest.get(k) == Some(&r.offset))
        });
        self.bytes = self.records.iter().map(record_bytes).sum();
        self.cleaned_upto = limit;
        before - self.records.len()
    }

    /// Deletes the oldest records below the high watermark while the log holds more than
    /// `max_records` records or `max_bytes` bytes. Returns how many were deleted.
    pub fn apply_retention(&mut self, max_records: usize, max_bytes: usize) -> usize {
        let mut deleted = 0;
        while (self.records.len() > max_records || self.bytes > max_bytes)
            && self
                .records
                .front()
                .is_some_and(|r| r.offset < self.high_watermark)
        {
            let r = self.records.pop_front().expect("checked non-empty");
            self.bytes -= record_bytes(&r);
            self.log_start_offset = r.offset + 1;
            deleted += 1;
        }
        deleted
    }

    /// Up to `max` records from `from`, stopping before `upto`.
    pub fn read(&self, from: Offset, upto: Offset, max: usize) -> impl Iterator<Item = &LogRecord> {
        let start = self.index_from(from.max(self.log_start_offset));
        self.records
            .range(start, usize::MAX)
            .take_while(move |r| r.offset < upto)
            .take(max)
    }
}

impl PartitionLog {
    /// Bytes this log adds to a set of copies whose shared chunks are in `seen` (each chunk is
    /// counted once, with a share of the key and value texts its records hold).
    pub fn footprint(&self, seen: &mut std::collections::HashSet<usize>) -> usize {
        let mut bytes = std::mem::size_of::<Self>()
            + self.epoch_cache.len() * 16
            + self.producers.len() * (64 + PRODUCER_BATCHES_KEPT * 32);
        self.records.for_each_chunk(|chunk, slots| {
            if seen.insert(chunk) {
                bytes += slots * (std::mem::size_of::<LogRecord>() + TEXT_BYTES_PER_RECORD);
            }
        });
        bytes
    }
}

/// Key and value bytes a log's record is counted for: the texts are shared by the replicas and
/// by clones, so each holds a share.
const TEXT_BYTES_PER_RECORD: usize = 48;

/// A record's size as retention and the replication throttle count it.
pub fn record_bytes(r: &LogRecord) -> usize {
    r.data.key.as_ref().map_or(0, |k| k.len()) + r.data.value.len() + RECORD_OVERHEAD_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(v: &str) -> RecordData {
        RecordData {
            key: None,
            value: Rc::from(v),
            timestamp: 0,
        }
    }

    #[test]
    fn end_offset_for_epoch_follows_kafka() {
        let mut log = PartitionLog::new();
        log.append_as_leader(0, &[data("a"), data("b")], None);
        log.append_as_leader(2, &[data("c")], None);
        assert_eq!(log.end_offset_for_epoch(0), Some((0, 2)));
        assert_eq!(log.end_offset_for_epoch(1), Some((0, 2)));
        assert_eq!(log.end_offset_for_epoch(2), Some((2, 3)));
        assert_eq!(log.end_offset_for_epoch(7), Some((2, 3)));
        log.truncate_to(2);
        assert_eq!(log.log_end_offset(), 2);
        assert_eq!(log.latest_epoch(), Some(0));
    }

    #[test]
    fn duplicate_batches_are_recognised_and_gaps_refused() {
        let mut log = PartitionLog::new();
        let pid = ProducerId(1);
        assert_eq!(log.check_sequence(pid, 0, 2), SequenceCheck::Append);
        log.append_as_leader(0, &[data("a"), data("b")], Some((pid, 0)));
        assert!(
            matches!(log.check_sequence(pid, 0, 2), SequenceCheck::Duplicate(b) if b.first_offset == 0 && b.last_offset == 1)
        );
        assert_eq!(log.check_sequence(pid, 2, 1), SequenceCheck::Append);
        assert_eq!(log.check_sequence(pid, 5, 1), SequenceCheck::OutOfOrder);
    }

    #[test]
    fn retention_keeps_records_above_the_high_watermark() {
        let mut log = PartitionLog::new();
        for i in 0..10 {
            log.append_as_leader(0, &[data(&i.to_string())], None);
        }
        log.set_high_watermark(4);
        assert_eq!(log.apply_retention(3, usize::MAX), 4);
        assert_eq!(log.log_start_offset(), 4);
        assert_eq!(log.read(0, 10, 100).next().map(|r| r.offset), Some(4));
    }

    fn keyed(k: &str, v: &str) -> RecordData {
        RecordData {
            key: Some(Rc::from(k)),
            value: Rc::from(v),
            timestamp: 0,
        }
    }

    /// Commits of keys a, b, a, c, a, b at offsets 0..6.
    fn commits() -> PartitionLog {
        let mut log = PartitionLog::new();
        for (i, k) in ["a", "b", "a", "c", "a", "b"].iter().enumerate() {
            log.append_as_leader(0, &[keyed(k, &i.to_string())], None);
        }
        log
    }

    fn offsets(log: &PartitionLog) -> Vec<Offset> {
        log.records().iter().map(|r| r.offset).collect()
    }

    #[test]
    fn compaction_keeps_the_latest_record_of_each_key_below_the_high_watermark() {
        let mut log = commits();
        log.set_high_watermark(4);
        // Below the HW (0..4): a@2 supersedes a@0; b@1 has a later b only above the HW.
        assert_eq!(log.compact(1), 1);
        assert_eq!(offsets(&log), vec![1, 2, 3, 4, 5]);
        assert_eq!(log.log_start_offset(), 0);
        assert_eq!(log.log_end_offset(), 6);
        assert_eq!(log.record_at(0), None);
        assert_eq!(log.record_at(2).map(|r| &*r.data.value), Some("2"));
        let mut log = commits();
        log.set_high_watermark(6);
        assert_eq!(log.compact(1), 3);
        assert_eq!(offsets(&log), vec![3, 4, 5]);
        // The LEO stays backed by its record; reads skip the gaps.
        assert_eq!(log.record_at(5).map(|r| &*r.data.value), Some("5"));
        let read: Vec<Offset> = log.read(0, 6, 10).map(|r| r.offset).collect();
        assert_eq!(read, vec![3, 4, 5]);
        let read: Vec<Offset> = log.read(4, 6, 1).map(|r| r.offset).collect();
        assert_eq!(read, vec![4]);
        assert_eq!(log.read(6, 6, 10).count(), 0);
        assert_eq!(
            log.bytes(),
            log.records().iter().map(record_bytes).sum::<usize>()
        );
    }

    #[test]
    fn the_cleaner_waits_for_half_the_log_to_be_dirty_and_its_minimum() {
        let mut log = commits();
        log.set_high_watermark(6);
        assert_eq!(
            log.compact(7),
            0,
            "6 dirty records are fewer than the minimum"
        );
        assert_eq!(log.compact(6), 3);
        // 3 clean records left: the next pass needs 3 dirty ones.
        for i in 6..8 {
            log.append_as_leader(0, &[keyed("a", &i.to_string())], None);
        }
        log.set_high_watermark(8);
        assert_eq!(log.compact(1), 0, "2 dirty records against 3 clean");
        log.append_as_leader(0, &[keyed("c", "8")], None);
        log.set_high_watermark(9);
        assert_eq!(log.compact(1), 3);
        assert_eq!(offsets(&log), vec![5, 7, 8]);
    }

    #[test]
    fn a_follower_appends_across_the_gaps_of_a_compacted_leader_and_truncates_through_them() {
        let mut leader = commits();
        leader.set_high_watermark(6);
        leader.compact(1);
        let mut follower = PartitionLog::new();
        for r in leader.read(0, 6, 10) {
            follower.append_replicated(r.clone());
        }
        assert_eq!(follower.log_end_offset(), 6);
        assert_eq!(offsets(&follower), vec![3, 4, 5]);
        follower.truncate_to(4);
        assert_eq!(follower.log_end_offset(), 4);
        assert_eq!(offsets(&follower), vec![3]);
        assert_eq!(follower.record_at(3).map(|r| &*r.data.value), Some("3"));
    }
}
