//! One running copy of a service (a group member with its producer, the records it holds and
//! what it has committed) and a service's idempotence store.

use crate::sim::sorted_map::SortedMap;
use std::collections::VecDeque;

use crate::services::model::EmailStep;
use crate::services::recent::RecentMap;
use crate::sim::{ClientId, ConsumedRecord, Offset, SendId, SimTime, TopicPartition};

/// Order ids remembered by each service's idempotence store.
const DEDUPE_KEPT_MAX: usize = 10_000;

/// What an instance is doing with one record.
#[derive(Clone, Debug)]
pub(super) struct Work {
    /// The record being processed.
    pub(super) record: ConsumedRecord,
    /// The app-timer token that ends its processing.
    pub(super) token: u64,
    /// The order it belongs to, if it is an order event.
    pub(super) order: Option<u64>,
}

/// An outcome published and not yet acknowledged.
#[derive(Clone, Debug)]
pub(super) struct InDoubt {
    /// The record the outcome answers.
    pub(super) record: ConsumedRecord,
    /// Its order.
    pub(super) order_id: u64,
    /// The topic the outcome goes to.
    pub(super) topic: String,
    /// The outcome's JSON value.
    pub(super) value: String,
}

/// An instance commits at most this often by default (a poll loop's commit cadence).
pub const COMMIT_INTERVAL_MS: SimTime = 1000;
/// Longest commit interval a world accepts.
pub const COMMIT_INTERVAL_MS_MAX: SimTime = 60_000;
/// App-timer token bit of an instance's commit flush.
pub(super) const TOKEN_COMMIT_FLUSH: u64 = 1 << 62;

/// One running copy of a service: a group member and its producer. It processes one record at
/// a time, publishes its outcome without waiting (as a Kafka client does), and commits a
/// partition's offset only up to the first record whose outcome is not yet acknowledged.
#[derive(Clone, Debug)]
pub(super) struct Instance {
    /// Its group member.
    pub(super) consumer: ClientId,
    /// Its producer (none for a service that publishes nothing).
    pub(super) producer: Option<ClientId>,
    /// Records delivered and not yet started.
    pub(super) queue: VecDeque<ConsumedRecord>,
    /// The record being processed.
    pub(super) busy: Option<Work>,
    /// Outcomes sent and not yet acknowledged, by send.
    pub(super) in_doubt: SortedMap<SendId, InDoubt>,
    /// Next offset after the last processed record, per partition.
    pub(super) processed_upto: SortedMap<TopicPartition, Offset>,
    /// Offsets committed (or being committed), per partition.
    pub(super) committed: SortedMap<TopicPartition, Offset>,
    /// Offsets the coordinator confirmed, per partition (a failed commit falls back to them).
    pub(super) confirmed: SortedMap<TopicPartition, Offset>,
    /// When it last committed.
    pub(super) last_commit_at: SimTime,
    /// Whether a commit flush timer is set.
    pub(super) flush_armed: bool,
    /// Records processed.
    pub(super) processed: u64,
    /// Fault injection: crash right after the next record is processed.
    pub(super) crash_after_next: bool,
}

impl Instance {
    /// A fresh instance of these clients, holding nothing.
    pub(super) fn new(consumer: ClientId, producer: Option<ClientId>) -> Self {
        Instance {
            consumer,
            producer,
            queue: VecDeque::new(),
            busy: None,
            in_doubt: SortedMap::new(),
            processed_upto: SortedMap::new(),
            committed: SortedMap::new(),
            confirmed: SortedMap::new(),
            last_commit_at: 0,
            flush_armed: false,
            processed: 0,
            crash_after_next: false,
        }
    }

    /// Drops what was delivered, processed or committed (after a crash or a revocation).
    pub(super) fn forget_progress(&mut self) {
        self.queue.clear();
        self.busy = None;
        self.processed_upto.clear();
        self.committed.clear();
        self.confirmed.clear();
        self.flush_armed = false;
    }

    /// Per partition, the offset below which every record is processed and acknowledged.
    pub(super) fn committable(&self) -> Vec<(TopicPartition, Offset)> {
        self.processed_upto
            .iter()
            .map(|(tp, upto)| {
                let first_open = self
                    .in_doubt
                    .values()
                    .filter(|d| d.record.tp == *tp)
                    .map(|d| d.record.offset)
                    .min()
                    .unwrap_or(*upto);
                (*tp, first_open.min(*upto))
            })
            .filter(|(tp, o)| self.committed.get(tp).is_none_or(|c| o > c))
            .collect()
    }
}

/// What a service remembers across instances and crashes (its database), for the last
/// [`DEDUPE_KEPT_MAX`] orders.
#[derive(Clone, Debug)]
pub(super) struct ServiceStore {
    /// Orders already handled (payment: charged or refused; shipping: shipped).
    pub(super) done: RecentMap<u64, bool>,
    /// Orders whose outcome was acknowledged by Kafka.
    pub(super) published: RecentMap<u64, ()>,
    /// email_service: (order, step) already sent.
    pub(super) emails: RecentMap<(u64, EmailStep), ()>,
    /// Redelivered records recognised and not acted on twice.
    pub(super) duplicates_suppressed: u64,
}

impl ServiceStore {
    /// Bytes this store adds to a set of clones whose shared generations are in `seen`.
    pub(super) fn footprint(&self, seen: &mut std::collections::HashSet<usize>) -> usize {
        const ENTRY_BYTES: usize = 40;
        let mut bytes = 0;
        let mut count = |g: usize, entries: usize| {
            if seen.insert(g) {
                bytes += entries * ENTRY_BYTES;
            }
        };
        self.done.for_each_generation(&mut count);
        self.published.for_each_generation(&mut count);
        self.emails.for_each_generation(&mut count);
        bytes
            + (self.done.unshared_len()
                + self.published.unshared_len()
                + self.emails.unshared_len())
                * ENTRY_BYTES
    }
}

impl Default for ServiceStore {
    fn default() -> Self {
        ServiceStore {
            done: RecentMap::new(DEDUPE_KEPT_MAX),
            published: RecentMap::new(DEDUPE_KEPT_MAX),
            emails: RecentMap::new(3 * DEDUPE_KEPT_MAX),
            duplicates_suppressed: 0,
        }
    }
}
