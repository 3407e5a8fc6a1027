//! What every node shares with the engine: the read-only [`Context`] it acts in, the [`Outbox`]
//! it fills with effects, and the [`TimerId`] that names a timer it may cancel.
//!
//! ```text
//!   engine ──handle_message(now, from, payload, &Context, &mut Outbox)──► node
//!          ──handle_timer(now, timer, &Context, &mut Outbox)───────────►
//!          ◄── Outbox: Send | SetTimer | CancelTimer | Emit, in emission order
//! ```
//! A node never sees the queue, the network or another node: the engine applies its effects in
//! the order they were emitted, so a node can be built and fed inputs alone in a test.

use std::collections::VecDeque;
use std::rc::Rc;

use super::config::{SimConfig, TopicConfig};
use super::events::EventKind;
use super::log::Cleanup;
use super::network::Payload;
use super::types::{NodeId, SimDuration, SimTime, TopicId, TopicPartition};

/// Name of the internal topic that stores committed consumer offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// Records appended to an offsets partition since the log cleaner's last pass that make a new
/// pass worth it (besides the dirty ratio of 0.5): the page shows the commits pile up, then
/// collapse to the latest per key.
pub const OFFSETS_MIN_DIRTY_RECORDS: usize = 100;

/// A topic in the cluster's table.
#[derive(Clone, Debug)]
pub struct Topic {
    /// Its id (index in the table).
    pub id: TopicId,
    /// Its settings.
    pub config: TopicConfig,
    /// Its name, shared.
    pub name: Rc<str>,
    /// Whether Kafka created it for itself (`__consumer_offsets`).
    pub internal: bool,
}

/// What a node may read while it handles an input: the settings and the topic table.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The world's settings.
    pub config: &'a SimConfig,
    /// Every topic, indexed by [`TopicId`].
    pub topics: &'a [Topic],
}

impl<'a> Context<'a> {
    /// The topic with id `id`.
    #[inline(always)]
    pub fn topic(&self, id: TopicId) -> &'a Topic {
        &self.topics[id.0 as usize]
    }

    /// The topic called `name`.
    pub fn topic_by_name(&self, name: &str) -> Option<TopicId> {
        self.topics.iter().find(|t| &*t.name == name).map(|t| t.id)
    }

    /// `min.insync.replicas` of the partition's topic.
    #[inline(always)]
    pub fn min_isr(&self, tp: TopicPartition) -> usize {
        self.topic(tp.topic).config.min_insync_replicas as usize
    }

    /// Whether the partition belongs to an internal topic (`__consumer_offsets`).
    #[inline(always)]
    pub fn is_internal(&self, tp: TopicPartition) -> bool {
        self.topic(tp.topic).internal
    }

    /// How the partition's logs free space: internal topics are compacted (Kafka's
    /// `cleanup.policy=compact` for `__consumer_offsets`), the others delete by retention.
    #[inline]
    pub fn cleanup(&self, tp: TopicPartition) -> Cleanup {
        if self.is_internal(tp) {
            Cleanup::Compact {
                min_dirty: OFFSETS_MIN_DIRTY_RECORDS,
            }
        } else {
            Cleanup::Delete {
                max_records: self.config.cluster.retention_records,
                max_bytes: self.config.cluster.retention_bytes,
            }
        }
    }

    /// The `__consumer_offsets` partition that stores `group` (its leader is the coordinator):
    /// Kafka's `abs(group.hashCode()) % partitions`.
    pub fn coordinator_partition(&self, group: &str) -> TopicPartition {
        let topic = self
            .topic_by_name(OFFSETS_TOPIC)
            .expect("offsets topic exists");
        let n = self.config.cluster.offsets_topic_partitions as i32;
        TopicPartition {
            topic,
            partition: (kafka_abs(java_string_hash(group)) % n) as u32,
        }
    }
}

/// Java's `String.hashCode`, which Kafka uses to place a group on a `__consumer_offsets` partition.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// Kafka's `Utils.abs`.
fn kafka_abs(n: i32) -> i32 {
    if n == i32::MIN {
        0
    } else {
        n.abs()
    }
}

/// Names a timer a node set, so it can cancel it. Ids are unique over a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId {
    /// When the timer is due.
    pub at: SimTime,
    /// Its place in the engine's order of scheduled entries.
    pub seq: u64,
}

/// One thing a node wants done, in the order it asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect<T> {
    /// Send `payload` to `to` over the simulated network.
    Send {
        /// The receiver.
        to: NodeId,
        /// What travels.
        payload: Payload,
    },
    /// Call the node back with `timer` after `delay`.
    SetTimer {
        /// The id the timer will have.
        id: TimerId,
        /// How long from now.
        delay: SimDuration,
        /// What the node will be handed.
        timer: T,
    },
    /// Forget a timer set earlier (its work completed).
    CancelTimer {
        /// Which.
        id: TimerId,
    },
    /// Report an observable event.
    Emit(EventKind),
}

/// The effects of one call into a node, in emission order.
///
/// Every send and every timer takes the next number of the engine's sequence (the engine hands
/// the first one in), which is how a timer's [`TimerId`] is known before the engine queues it.
#[derive(Clone, Debug)]
pub struct Outbox<T> {
    now: SimTime,
    next_seq: u64,
    effects: VecDeque<Effect<T>>,
}

impl<T> Default for Outbox<T> {
    fn default() -> Self {
        Outbox::new(0, 0)
    }
}

impl<T> Outbox<T> {
    /// An empty outbox for a call at `now` whose first send or timer takes number `first_seq`.
    pub fn new(now: SimTime, first_seq: u64) -> Self {
        Outbox {
            now,
            next_seq: first_seq,
            effects: VecDeque::new(),
        }
    }

    /// The instant of the call it collects effects for.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Empties the outbox for a new call (keeps its allocation).
    pub(crate) fn reset(&mut self, now: SimTime, first_seq: u64) {
        debug_assert!(self.effects.is_empty(), "effects were applied");
        self.now = now;
        self.next_seq = first_seq;
    }

    /// Sends `payload` to `to`.
    #[inline]
    pub fn send(&mut self, to: NodeId, payload: Payload) {
        self.next_seq += 1;
        self.effects.push_back(Effect::Send { to, payload });
    }

    /// Sets `timer` to fire after `delay`; the id cancels it.
    #[inline]
    pub fn set_timer(&mut self, delay: SimDuration, timer: T) -> TimerId {
        let id = TimerId {
            at: self.now + delay,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.effects
            .push_back(Effect::SetTimer { id, delay, timer });
        id
    }

    /// Cancels a timer set earlier (nothing happens if it already fired).
    #[inline]
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.effects.push_back(Effect::CancelTimer { id });
    }

    /// Reports an event.
    #[inline]
    pub fn emit(&mut self, kind: EventKind) {
        self.effects.push_back(Effect::Emit(kind));
    }

    /// Takes the oldest effect not yet taken (the engine applies them in this order).
    #[inline]
    #[must_use]
    pub fn next_effect(&mut self) -> Option<Effect<T>> {
        self.effects.pop_front()
    }

    /// Takes every effect, oldest first, as a vector (for tests).
    #[must_use]
    pub fn take(&mut self) -> Vec<Effect<T>> {
        self.effects.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_java() {
        // "hello".hashCode() == 99162322 in Java.
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash(""), 0);
    }

    #[test]
    fn timer_ids_follow_the_sequence_sends_and_timers_share() {
        let mut out: Outbox<u8> = Outbox::new(100, 7);
        out.send(
            NodeId::Controller(crate::sim::types::ControllerId(1)),
            Payload::MetadataRequest,
        );
        let id = out.set_timer(50, 1);
        out.emit(EventKind::AppTimer {
            client: crate::sim::types::ClientId(1),
            token: 3,
        });
        let next = out.set_timer(0, 2);
        assert_eq!(id, TimerId { at: 150, seq: 8 });
        assert_eq!(next, TimerId { at: 100, seq: 9 });
        assert_eq!(out.take().len(), 4);
    }
}
