//! The simulation: one event queue ordered by (time, sequence), the network, the nodes, and the
//! dispatch that hands each due entry to its node and applies the effects the node returns.
//!
//! ```text
//!                         ┌─────────────────────────────────────────────┐
//!   Command ──handle()──► │ queue: (deliver_at, seq) ─► Deliver | Timer │──drain_events()──► Event
//!   advance_to(t) ──────► │        │                           ▲        │──snapshot()─────► Snapshot
//!   step()                │        ▼ handle_message/timer      │ Outbox │
//!                         │ controller, brokers, producers, consumers   │
//!                         └─────────────────────────────────────────────┘
//! ```
//! Each `step` pops the earliest entry and hands it to its node with a [`Context`] and an empty
//! [`Outbox`]; the node's effects (sends scheduled at `now + latency`, timers, cancellations,
//! events) are then applied in the order the node emitted them. Nothing reads a clock. The
//! engine knows which node an entry is for and whether that node is up, never what it does.

mod apps;
mod commands;
mod dispatch;
pub mod invariants;
mod operations;
pub use operations::{BROKERS_MAX, PARTITIONS_MAX};
pub mod snapshot;
mod summary;
pub mod tap;

use std::collections::VecDeque;

pub use commands::{Command, LINK_EXTRA_LATENCY_MS_MAX};

use super::broker::{Broker, BrokerTimer};
use super::client::{ClientEnv, Consumer, ConsumerTimer, Producer, ProducerTimer};
use super::config::{validate_topic, ConfigError, SimConfig, TopicConfig};
use super::controller::metadata::MetadataImage;
use super::controller::{quorum_timing, Controller, ControllerTimer};
use super::events::{Event, EventKind};
use super::idmap::IdMap;
use super::ledger::AckLedger;
use super::network::{DropReason, LinkFault, LinkState, Message, Payload};
use super::node::{Context, Effect, Outbox, Topic, OFFSETS_TOPIC};
use super::queue::{EventQueue, QueueKey};
use super::rng::SimRng;
use super::types::{
    BrokerId, ClientId, ControllerId, MessageId, NodeId, SimTime, TopicId, TopicPartition,
};

/// Most events kept undrained; older ones are discarded if a caller never drains.
const EVENTS_KEPT_MAX: usize = 100_000;

/// Recently dropped messages kept for the UI to fade out.
const DROPPED_KEPT_MAX: usize = 64;

/// Most queue entries one `advance_to` call processes, so a call always returns.
pub const STEPS_PER_ADVANCE_MAX: usize = 2_000_000;

/// A timer in the queue: the node it belongs to, the incarnation that set it (a timer of a
/// crashed incarnation is inert) and the node's own timer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum NodeTimer {
    Controller {
        controller: ControllerId,
        incarnation: u32,
        timer: ControllerTimer,
    },
    Broker {
        broker: BrokerId,
        incarnation: u32,
        timer: BrokerTimer,
    },
    Producer {
        client: ClientId,
        incarnation: u32,
        timer: ProducerTimer,
    },
    Consumer {
        client: ClientId,
        incarnation: u32,
        timer: ConsumerTimer,
    },
    /// A timer an application (a service) set on its client.
    App {
        client: ClientId,
        incarnation: u32,
        token: u64,
    },
}

#[derive(Clone, Debug)]
enum Scheduled {
    Deliver(Message),
    Timer(NodeTimer),
}

/// A message that never arrived, kept briefly so the UI can fade it out.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DroppedMessage {
    /// The message as it was in flight.
    pub message: Message,
    /// When it was dropped.
    pub dropped_at: SimTime,
    /// Why.
    pub reason: DropReason,
}

/// Counters the metrics panel and the reports read, counted from the events.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Queue entries processed.
    pub steps: u64,
    /// Messages delivered.
    pub messages_delivered: u64,
    /// Messages dropped.
    pub messages_dropped: u64,
    /// Produce sends started.
    pub sends: u64,
    /// Sends acknowledged.
    pub acked: u64,
    /// Sends that failed for good.
    pub failed: u64,
    /// Sends whose producer crashed before their outcome was known.
    pub abandoned: u64,
    /// Sends with acks=0 handed to the network.
    pub sent_unacknowledged: u64,
    /// Produce errors by Kafka error name (every error response, retried or not).
    pub produce_errors: crate::sim::sorted_map::SortedMap<String, u64>,
    /// Duplicate batches the brokers recognised and did not append again.
    pub duplicates_suppressed_by_brokers: u64,
    /// Records removed from logs by truncation.
    pub records_truncated: u64,
    /// Leader elections (leader changes) committed by the controller on user topics.
    pub leader_elections: u64,
    /// Unclean leader elections on user topics.
    pub unclean_elections: u64,
    /// Leader elections on internal topics (`__consumer_offsets`).
    pub internal_leader_elections: u64,
    /// Unclean leader elections on internal topics.
    pub internal_unclean_elections: u64,
    /// ISR changes committed by the controller.
    pub isr_changes: u64,
    /// Consumer group rebalances completed.
    pub rebalances: u64,
}

impl Counters {
    /// Counts what `kind` reports; `internal` tells whether its partition is an internal topic's.
    fn count(&mut self, kind: &EventKind, internal: bool) {
        match kind {
            EventKind::ProduceAcked { .. } => self.acked += 1,
            EventKind::ProduceFailed { .. } => self.failed += 1,
            EventKind::ProduceAbandoned { .. } => self.abandoned += 1,
            EventKind::ProduceSentUnacknowledged { .. } => self.sent_unacknowledged += 1,
            EventKind::ProduceError { error, .. } => {
                *self
                    .produce_errors
                    .entry(error.name().to_string())
                    .or_default() += 1
            }
            EventKind::DuplicateSuppressed { .. } => self.duplicates_suppressed_by_brokers += 1,
            EventKind::Truncated { from, to, .. } => self.records_truncated += from - to,
            EventKind::LeaderChanged { unclean, .. } if internal => {
                self.internal_leader_elections += 1;
                self.internal_unclean_elections += u64::from(*unclean);
            }
            EventKind::LeaderChanged { unclean, .. } => {
                self.leader_elections += 1;
                self.unclean_elections += u64::from(*unclean);
            }
            EventKind::IsrChanged { .. } => self.isr_changes += 1,
            EventKind::GroupRebalanced { .. } => self.rebalances += 1,
            _ => {}
        }
    }
}

/// The reusable outboxes of each node type (one call at a time uses one).
#[derive(Clone, Debug, Default)]
struct Outboxes {
    controller: Outbox<ControllerTimer>,
    broker: Outbox<BrokerTimer>,
    producer: Outbox<ProducerTimer>,
    consumer: Outbox<ConsumerTimer>,
}

/// The whole simulated world below the applications.
#[derive(Clone, Debug)]
pub struct Simulation {
    config: SimConfig,
    seed: u64,
    now: SimTime,
    net_rng: SimRng,
    next_seq: u64,
    queue: EventQueue<Scheduled>,
    links: LinkState,
    /// Latest delivery time per (from, to): links are FIFO, like the TCP connections Kafka uses.
    /// Indexed by [`link_index`] of the sender, then of the receiver.
    link_tail: Vec<Vec<SimTime>>,
    /// The quorum's controllers, controller-1 first.
    controllers: Vec<Controller>,
    brokers: IdMap<BrokerId, Broker>,
    topics: Vec<Topic>,
    producers: IdMap<ClientId, Producer>,
    consumers: IdMap<ClientId, Consumer>,
    client_env: ClientEnv,
    next_client: u32,
    events: VecDeque<Event>,
    dropped: VecDeque<DroppedMessage>,
    counters: Counters,
    trace_hash: u64,
    /// What producers were told is written, to detect acknowledged writes lost later.
    ledger: AckLedger,
    outboxes: Outboxes,
    /// Lists record-carrying messages for a view that follows records (off: none).
    tap: Option<Box<tap::RecordTap>>,
    /// Brokers that stopped during the current step (their clients' connections close after it).
    stopped: Vec<BrokerId>,
}

impl Simulation {
    /// Builds a world from `config`: brokers, the controller and the topics (plus
    /// `__consumer_offsets`), all started at time 0.
    pub fn new(config: SimConfig, seed: u64) -> Result<Simulation, ConfigError> {
        config.validate()?;
        let mut sim = Simulation {
            seed,
            now: 0,
            net_rng: SimRng::child(seed, 1),
            next_seq: 0,
            queue: EventQueue::default(),
            links: LinkState::default(),
            link_tail: Vec::new(),
            controllers: Vec::new(),
            brokers: IdMap::new(),
            topics: Vec::new(),
            producers: IdMap::new(),
            consumers: IdMap::new(),
            client_env: ClientEnv::new(SimRng::child(seed, 2)),
            next_client: 1,
            events: VecDeque::new(),
            dropped: VecDeque::new(),
            counters: Counters::default(),
            trace_hash: 0xcbf2_9ce4_8422_2325,
            ledger: AckLedger::default(),
            outboxes: Outboxes::default(),
            tap: None,
            stopped: Vec::new(),
            config,
        };
        let controllers = sim.config.cluster.controllers;
        for b in 1..=sim.config.cluster.brokers {
            sim.brokers
                .insert(BrokerId(b), Broker::new(BrokerId(b), controllers));
        }
        let brokers = sim.config.cluster.brokers;
        let offsets = TopicConfig {
            name: OFFSETS_TOPIC.to_string(),
            partitions: sim.config.cluster.offsets_topic_partitions,
            replication_factor: brokers.min(3),
            min_insync_replicas: 1,
        };
        sim.add_topic(offsets, true);
        for t in sim.config.topics.clone() {
            sim.add_topic(t, false);
        }
        let ids: Vec<BrokerId> = sim.brokers.keys().copied().collect();
        let timing = quorum_timing(&sim.context());
        let mut records = Vec::new();
        for c in 1..=controllers {
            let mut node = Controller::new(ControllerId(c), controllers, timing, seed);
            records = node.format(&ids, &sim.context());
            sim.controllers.push(node);
        }
        for b in &ids {
            if let Some(broker) = sim.brokers.get_mut(b) {
                broker.format(records.clone());
            }
        }
        for c in 1..=controllers {
            sim.with_controller(ControllerId(c), |n, ctx, out| n.start(0, ctx, out));
        }
        for b in ids {
            sim.with_broker(b, |broker, ctx, out| broker.start(0, ctx, out));
        }
        Ok(sim)
    }

    /// Creates a topic while the world runs (checked like the start-up topics).
    pub fn create_topic(&mut self, topic: TopicConfig) -> Result<TopicId, ConfigError> {
        validate_topic(&topic, self.config.cluster.brokers)?;
        if self.topic_by_name(&topic.name).is_some() {
            return Err(ConfigError::DuplicateTopic(topic.name));
        }
        let Some(active) = self.active_controller() else {
            return Err(ConfigError::NoActiveController(topic.name));
        };
        self.config.topics.push(topic.clone());
        let id = self.add_topic(topic, false);
        let now = self.now;
        self.with_controller(active, |c, ctx, out| {
            c.create_topic(now, id, ctx, out);
        });
        Ok(id)
    }

    fn add_topic(&mut self, config: TopicConfig, internal: bool) -> TopicId {
        let id = TopicId(self.topics.len() as u32);
        self.topics.push(Topic {
            id,
            name: std::rc::Rc::from(config.name.as_str()),
            config,
            internal,
        });
        id
    }

    // ----- getters -----

    /// The configuration the world was built from.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The seed the world was built from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The topic table.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// The topic called `name`.
    pub fn topic_by_name(&self, name: &str) -> Option<TopicId> {
        self.context().topic_by_name(name)
    }

    /// A topic's name.
    pub fn topic_name(&self, id: TopicId) -> &str {
        &self.topics[id.0 as usize].name
    }

    /// `topic-N` for a partition, as Kafka prints it.
    pub fn partition_name(&self, tp: TopicPartition) -> String {
        format!("{}-{}", self.topic_name(tp.topic), tp.partition)
    }

    /// Every partition of every topic, in topic order.
    pub fn partitions(&self) -> impl Iterator<Item = TopicPartition> + '_ {
        self.topics.iter().flat_map(|t| {
            (0..t.config.partitions).map(move |p| TopicPartition {
                topic: t.id,
                partition: p,
            })
        })
    }

    /// Counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// A fingerprint of everything processed so far: equal runs give equal hashes.
    pub fn trace_hash(&self) -> u64 {
        self.trace_hash
    }

    /// The `__consumer_offsets` partition that stores `group` (its leader is the coordinator).
    pub fn coordinator_partition(&self, group: &str) -> TopicPartition {
        self.context().coordinator_partition(group)
    }

    /// The committed state of a partition (as the best-informed controller knows it).
    pub fn partition_state(&self, tp: TopicPartition) -> Option<&super::network::PartitionState> {
        self.metadata().partition(tp)
    }

    /// Whether the committed metadata says broker `b` is fenced.
    pub fn broker_fenced(&self, b: BrokerId) -> bool {
        self.metadata().broker_fenced(b)
    }

    /// The committed metadata: the active controller's, or, with none active, that of the
    /// controller that knows the most of the log.
    pub fn metadata(&self) -> &MetadataImage {
        self.reference_controller().metadata()
    }

    fn reference_controller(&self) -> &Controller {
        self.controllers
            .iter()
            .find(|c| c.is_active())
            .or_else(|| {
                self.controllers
                    .iter()
                    .rev()
                    .max_by_key(|c| c.metadata_high_watermark())
            })
            .expect("a quorum has controllers")
    }

    /// The active controller, if the quorum has one.
    pub fn active_controller(&self) -> Option<ControllerId> {
        self.controllers
            .iter()
            .find(|c| c.is_active())
            .map(Controller::id)
    }

    /// Every controller, controller-1 first.
    pub fn controllers(&self) -> &[Controller] {
        &self.controllers
    }

    /// Controller `c`, if it exists.
    pub fn controller(&self, c: ControllerId) -> Option<&Controller> {
        self.controllers.get((c.0 as usize).checked_sub(1)?)
    }

    /// Broker `b`, if it exists.
    pub fn broker(&self, b: BrokerId) -> Option<&Broker> {
        self.brokers.get(&b)
    }

    /// Every broker, by id.
    pub fn brokers(&self) -> impl Iterator<Item = &Broker> {
        self.brokers.values()
    }

    /// The log of broker `b`'s replica of `tp`.
    pub fn replica_log(
        &self,
        b: BrokerId,
        tp: TopicPartition,
    ) -> Option<&super::log::PartitionLog> {
        self.brokers.get(&b)?.replica(tp).map(|r| r.log())
    }

    fn context(&self) -> Context<'_> {
        Context {
            config: &self.config,
            topics: &self.topics,
        }
    }

    #[inline(always)]
    fn mix(&mut self, value: u64) {
        // FNV-1a style, a word at a time, with a final rotation to spread high bits.
        self.trace_hash = (self.trace_hash ^ value)
            .wrapping_mul(0x0100_0000_01b3)
            .rotate_left(29);
    }

    // ----- time -----

    /// Time of the next queued entry, if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.next_time()
    }

    /// Processes the earliest queued entry; returns false when the queue is empty.
    pub fn step(&mut self) -> bool {
        let Some((at, seq, item)) = self.queue.pop() else {
            return false;
        };
        debug_assert!(at >= self.now, "time never goes back");
        self.now = at;
        self.counters.steps += 1;
        self.mix(at);
        self.mix(seq);
        match item {
            Scheduled::Deliver(msg) => self.deliver(msg),
            Scheduled::Timer(timer) => self.fire(timer),
        }
        while let Some(b) = self.stopped.pop() {
            // A broker stopped after its controlled shutdown: its connections close.
            self.disconnect_clients(b);
        }
        true
    }

    /// Processes every entry due at or before `t`, then sets the clock to `t`.
    /// Returns how many entries were processed (at most [`STEPS_PER_ADVANCE_MAX`]).
    pub fn advance_to(&mut self, t: SimTime) -> usize {
        let mut steps = 0;
        while steps < STEPS_PER_ADVANCE_MAX {
            match self.next_event_time() {
                Some(next) if next <= t => {
                    self.step();
                    steps += 1;
                }
                _ => break,
            }
        }
        if steps < STEPS_PER_ADVANCE_MAX {
            self.now = self.now.max(t);
        }
        steps
    }

    // ----- effects -----

    fn schedule(&mut self, at: SimTime, item: Scheduled) -> QueueKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(at.max(self.now), seq, item)
    }

    /// Applies a node's effects in emission order; `wrap` queues its timers.
    fn apply<T>(&mut self, from: NodeId, out: &mut Outbox<T>, wrap: impl Fn(T) -> NodeTimer) {
        while let Some(effect) = out.next_effect() {
            match effect {
                Effect::Send { to, payload } => self.transmit(from, to, payload),
                Effect::SetTimer { id, delay, timer } => {
                    let _key = self.schedule(self.now + delay, Scheduled::Timer(wrap(timer)));
                    debug_assert_eq!(_key.seq(), id.seq, "the outbox foresaw the timer's number");
                }
                Effect::CancelTimer { id } => {
                    self.queue.cancel_at(id.at, id.seq);
                }
                Effect::Emit(kind) => self.emit(kind),
            }
        }
    }

    /// Sends `payload` from `from` to `to` with the network's latency plus the link's extra
    /// latency. Messages over a cut link (or from or to an isolated node) are dropped, and on a
    /// lossy link each is lost with its drop rate.
    fn transmit(&mut self, from: NodeId, to: NodeId, payload: Payload) {
        let (lo, hi) = self.config.cluster.network_latency_ms;
        let latency = self.net_rng.range_inclusive(lo, hi);
        let (a, b) = (link_index(from), link_index(to));
        if self.link_tail.len() <= a {
            self.link_tail.resize_with(a + 1, Vec::new);
        }
        let row = &mut self.link_tail[a];
        if row.len() <= b {
            row.resize(b + 1, 0);
        }
        let fault = self.links.fault(from, to).copied();
        let extra = fault.map_or(0, |f| f.extra_latency_ms);
        let tail = &mut row[b];
        let deliver_at = (self.now + latency + extra).max(*tail);
        *tail = deliver_at;
        let id = MessageId(self.next_seq);
        if let Some(tap) = self.tap.as_mut() {
            tap.sent(id, from, to, self.now, deliver_at, &payload);
        }
        let msg = Message {
            id,
            from,
            to,
            sent_at: self.now,
            deliver_at,
            payload,
        };
        if !self.links.connected(from, to) {
            // The id is used up even though nothing is queued: ids stay unique.
            self.next_seq += 1;
            self.record_drop(msg, DropReason::LinkCut);
            return;
        }
        if let Some(f) = fault.filter(|f| f.drop_rate > 0.0) {
            if self.net_rng.chance(f.drop_rate) {
                self.next_seq += 1;
                self.record_drop(msg, DropReason::LinkLossy);
                return;
            }
        }
        self.schedule(msg.deliver_at, Scheduled::Deliver(msg));
    }

    fn record_drop(&mut self, message: Message, reason: DropReason) {
        self.counters.messages_dropped += 1;
        if let Some(tap) = self.tap.as_mut() {
            tap.lost(message.id, self.now, reason, &message.payload);
        }
        self.emit(EventKind::MessageDropped {
            id: message.id,
            from: message.from,
            to: message.to,
            api: message.payload.api_name(),
            reason,
        });
        if self.dropped.len() >= DROPPED_KEPT_MAX {
            self.dropped.pop_front();
        }
        self.dropped.push_back(DroppedMessage {
            message,
            dropped_at: self.now,
            reason,
        });
    }

    fn emit(&mut self, kind: EventKind) {
        let internal = match &kind {
            EventKind::LeaderChanged { tp, .. } => self.topics[tp.topic.0 as usize].internal,
            _ => false,
        };
        self.counters.count(&kind, internal);
        match &kind {
            EventKind::ProduceAcked {
                send, tp, offset, ..
            } => {
                // Every 1024 acknowledgements (counted above), forget those below the logs'
                // start so the ledger stays bounded.
                if self.counters.acked % 1024 == 1 {
                    self.prune_acked();
                }
                self.ledger.acked(*send, *tp, *offset);
            }
            EventKind::ProduceFailed { send, .. }
            | EventKind::ProduceAbandoned { send, .. }
            | EventKind::ProduceSentUnacknowledged { send, .. } => self.ledger.forget(*send),
            EventKind::PartitionCreated { .. } | EventKind::TopicConfigChanged { .. } => {
                self.follow_topic_change(&kind)
            }
            EventKind::BrokerStopped { broker } => self.stopped.push(*broker),
            _ => {}
        }
        self.mix(kind.code());
        if self.events.len() >= EVENTS_KEPT_MAX {
            self.events.pop_front();
        }
        self.events.push_back(Event { at: self.now, kind });
    }

    // ----- events -----

    /// Whether events wait to be drained.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Takes the oldest event not yet taken.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Takes every event emitted since the last call, oldest first.
    pub fn drain_events(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.events.drain(..)
    }

    /// Turns the record tap on or off (see [`tap`]); turning it off forgets what is pending.
    pub fn set_record_tap(&mut self, on: bool) {
        self.tap = on.then(Box::default);
    }

    /// Moves what the record tap listed since the last call, oldest first, into `into` (an
    /// empty buffer the caller keeps: its room is reused). Nothing when the tap is off.
    pub fn drain_tapped_into(&mut self, into: &mut Vec<tap::Tapped>) {
        if let Some(tap) = self.tap.as_mut() {
            tap.drain_into(into);
        }
    }

    /// Messages in flight, earliest delivery first.
    pub fn in_flight(&self) -> impl Iterator<Item = &Message> {
        let mut messages: Vec<&Message> = self
            .queue
            .iter()
            .filter_map(|item| match item {
                Scheduled::Deliver(m) => Some(m),
                Scheduled::Timer(_) => None,
            })
            .collect();
        // Ids are unique, so any sort gives this order; the messages in flight at once are a
        // few dozen to a few hundred.
        super::sort::sort_by_key(&mut messages, |m| (m.deliver_at, m.id));
        messages.into_iter()
    }

    /// Messages dropped recently (bounded), oldest first.
    pub fn recently_dropped(&self) -> impl Iterator<Item = &DroppedMessage> {
        self.dropped.iter()
    }

    /// Whether `node` has its links cut.
    pub fn is_isolated(&self, node: NodeId) -> bool {
        self.links.is_isolated(node)
    }

    /// The faulty single links, by (sender, receiver), in node order.
    pub fn link_faults(&self) -> impl Iterator<Item = (NodeId, NodeId, LinkFault)> + '_ {
        self.links.faults()
    }
}

/// A small dense number per node, to index per-link tables.
fn link_index(node: NodeId) -> usize {
    match node {
        NodeId::Controller(c) => c.0 as usize - 1,
        NodeId::Broker(b) => 4 + b.0 as usize,
        NodeId::Client(c) => 11 + c.0 as usize,
    }
}
impl Simulation {
    /// Bytes a clone of this engine adds to a set of clones whose shared parts are in `seen`
    /// (an estimate: the logs' chunks exactly, the rest by its element counts).
    pub fn footprint(&self, seen: &mut std::collections::HashSet<usize>) -> usize {
        let mut bytes = 64 * 1024 + self.queue.len() * 3 * std::mem::size_of::<Option<Scheduled>>();
        for (_, broker) in self.brokers.iter() {
            for (_, replica) in broker.replicas() {
                bytes += 1024 + replica.log().footprint(seen);
            }
        }
        bytes += self.ledger.entries() * 72;
        bytes += self.events.len() * std::mem::size_of::<Event>();
        bytes
    }
}
