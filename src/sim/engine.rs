//! The simulation: one event queue ordered by (time, sequence), the nodes, user commands and
//! the observable events drained by callers.
//!
//! ```text
//!   Command ──handle()──►┌──────────────────────────────┐──drain_events()──► Event
//!                        │ queue: (deliver_at, seq) ──► │
//!   advance_to(t) ──────►│   Deliver(Message) | Timer   │──snapshot()─────► Snapshot
//!   step()               │ controller, brokers, clients │
//!                        └──────────────────────────────┘
//! ```
//! Each `step` pops the earliest entry, hands it to its node, and the node's handler may send
//! messages (scheduled at `now + latency`) and set timers. Nothing reads a clock.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use super::broker::Broker;
use super::client::{Consumer, Producer};
use super::config::{validate_topic, ConfigError, SimConfig, TopicConfig};
use super::controller::Controller;
use super::events::{Event, EventKind};
use super::idmap::IdMap;
use super::network::{DropReason, LinkState, Message, MessageKind, Payload};
use super::queue::{EventQueue, QueueKey};
use super::rng::SimRng;
use super::seqmap::SeqMap;
use super::tpmap::TpMap;
use super::types::{
    BrokerId, ClientId, MessageId, NodeId, ProducerId, SimTime, TopicId, TopicPartition,
};

/// Acknowledged records per partition and offset.
pub(crate) type AckedRecords = TpMap<SeqMap<AckedAt>>;

/// A record's (key, value).
pub(crate) type KeyValue = (Option<Rc<str>>, Rc<str>);

/// What was acknowledged at one offset: normally one record; more when an unsafe setting lost
/// the first and the offset was written again.
#[derive(Clone, Debug)]
pub(crate) struct AckedAt {
    pub first: KeyValue,
    pub more: Vec<KeyValue>,
}

impl AckedAt {
    /// Every (key, value) acknowledged at this offset.
    pub fn iter(&self) -> impl Iterator<Item = &KeyValue> {
        std::iter::once(&self.first).chain(self.more.iter())
    }
}

/// Name of the internal topic that stores committed consumer offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// Most events kept undrained; older ones are discarded if a caller never drains.
const EVENTS_KEPT_MAX: usize = 100_000;

/// Recently dropped messages kept for the UI to fade out.
const DROPPED_KEPT_MAX: usize = 64;

/// Most queue entries one `advance_to` call processes, so a call always returns.
pub const STEPS_PER_ADVANCE_MAX: usize = 2_000_000;

/// Where a timer sits in the queue, so it can be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey(QueueKey);

/// A timer owned by a node; `incarnation` makes timers of a crashed incarnation inert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    ControllerSessionCheck(u32),
    ControllerImbalanceCheck(u32),
    BrokerHeartbeat(BrokerId, u32),
    BrokerIsrCheck(BrokerId, u32),
    BrokerFetchRetry(BrokerId, u32, TopicPartition),
    BrokerFetchTimeout(BrokerId, u32, TopicPartition, u64),
    BrokerParkedFetchExpiry(BrokerId, u32, u64),
    BrokerPendingProduceExpiry(BrokerId, u32, u64),
    BrokerGroupCheck(BrokerId, u32),
    Client(ClientId, u32, ClientTimer),
    /// A timer an application (a service) set on its client.
    App(ClientId, u32, u64),
}

/// Timers of producer and consumer clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientTimer {
    ProducerDrain,
    ProducerRequestTimeout(u64),
    MetadataTimeout(u64),
    ConsumerHeartbeat,
    ConsumerTick,
    ConsumerRequestTimeout(u64),
    AutoCommit,
}

#[derive(Clone, Debug)]
pub(crate) enum Scheduled {
    Deliver(Message),
    Timer(Timer),
}

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

/// Counters the metrics panel and the reports read.
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
    /// Sends with acks=0 handed to the network.
    pub sent_unacknowledged: u64,
    /// Produce errors by Kafka error name (every error response, retried or not).
    pub produce_errors: BTreeMap<String, u64>,
    /// Duplicate batches the brokers recognised and did not append again.
    pub duplicates_suppressed_by_brokers: u64,
    /// Records removed from logs by truncation.
    pub records_truncated: u64,
    /// Leader elections (leader changes) committed by the controller.
    pub leader_elections: u64,
    /// Unclean leader elections.
    pub unclean_elections: u64,
    /// ISR changes committed by the controller.
    pub isr_changes: u64,
    /// Consumer group rebalances completed.
    pub rebalances: u64,
}

/// User and scenario actions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Command {
    /// Crash a broker: it keeps its disk (logs), loses its memory.
    FailBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// Restart a crashed broker.
    RestoreBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// Cut every link of a broker.
    IsolateBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// Restore the links of a broker.
    HealBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// Restore every link.
    HealNetwork,
    /// Crash the controller: no fencing or election until it returns.
    FailController,
    /// Restart the controller.
    RestoreController,
    /// Cut the controller's links.
    IsolateController,
    /// Restore the controller's links.
    HealController,
    /// Crash a client process (it loses its memory).
    CrashClient {
        /// Which client.
        client: ClientId,
    },
    /// Restart a crashed client.
    RestartClient {
        /// Which client.
        client: ClientId,
    },
    /// Drop one in-flight message.
    DropMessage {
        /// Which message.
        id: MessageId,
    },
}

/// The whole simulated world below the applications.
#[derive(Clone)]
pub struct Simulation {
    pub(crate) config: SimConfig,
    pub(crate) seed: u64,
    pub(crate) now: SimTime,
    pub(crate) net_rng: SimRng,
    pub(crate) client_rng: SimRng,
    next_seq: u64,
    pub(crate) queue: EventQueue<Scheduled>,
    pub(crate) links: LinkState,
    /// Latest delivery time per (from, to): links are FIFO, like the TCP connections Kafka uses.
    /// Indexed by [`link_index`] of the sender, then of the receiver.
    link_tail: Vec<Vec<SimTime>>,
    pub(crate) controller: Controller,
    pub(crate) brokers: IdMap<BrokerId, Broker>,
    pub(crate) topics: Vec<Topic>,
    pub(crate) producers: IdMap<ClientId, Producer>,
    pub(crate) consumers: IdMap<ClientId, Consumer>,
    next_client: u32,
    pub(crate) next_producer_id: u64,
    pub(crate) next_send: u64,
    events: VecDeque<Event>,
    pub(crate) dropped: VecDeque<DroppedMessage>,
    pub(crate) counters: Counters,
    trace_hash: u64,
    /// Records acknowledged to producers, per partition, to detect acknowledged writes lost later.
    /// Several records can be acknowledged at one offset when an unsafe setting lost the first.
    pub(crate) acked_records: AckedRecords,
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
            client_rng: SimRng::child(seed, 2),
            next_seq: 0,
            queue: EventQueue::default(),
            links: LinkState::default(),
            link_tail: Vec::new(),
            controller: Controller::new(),
            brokers: IdMap::new(),
            topics: Vec::new(),
            producers: IdMap::new(),
            consumers: IdMap::new(),
            next_client: 1,
            next_producer_id: 1000,
            next_send: 1,
            events: VecDeque::new(),
            dropped: VecDeque::new(),
            counters: Counters::default(),
            trace_hash: 0xcbf2_9ce4_8422_2325,
            acked_records: TpMap::new(),
            config,
        };
        for b in 1..=sim.config.cluster.brokers {
            sim.brokers.insert(BrokerId(b), Broker::new(BrokerId(b)));
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
        sim.controller_start();
        let ids: Vec<BrokerId> = sim.brokers.keys().copied().collect();
        for b in ids {
            sim.broker_start(b);
        }
        Ok(sim)
    }

    /// Creates a topic while the world runs (checked like the start-up topics).
    pub fn create_topic(&mut self, topic: TopicConfig) -> Result<TopicId, ConfigError> {
        validate_topic(&topic, self.config.cluster.brokers)?;
        if self.topic_by_name(&topic.name).is_some() {
            return Err(ConfigError::DuplicateTopic(topic.name));
        }
        self.config.topics.push(topic.clone());
        let id = self.add_topic(topic, false);
        self.controller_create_partitions(id);
        Ok(id)
    }

    fn add_topic(&mut self, config: TopicConfig, internal: bool) -> TopicId {
        let id = TopicId(self.topics.len() as u32);
        self.topics.push(Topic {
            id,
            name: Rc::from(config.name.as_str()),
            config,
            internal,
        });
        id
    }

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
        self.topics.iter().find(|t| &*t.name == name).map(|t| t.id)
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

    #[inline(always)]
    fn mix(&mut self, value: u64) {
        // FNV-1a style, a word at a time, with a final rotation to spread high bits.
        self.trace_hash = (self.trace_hash ^ value)
            .wrapping_mul(0x0100_0000_01b3)
            .rotate_left(29);
    }

    // ----- clients -----

    pub(crate) fn allocate_client(&mut self) -> ClientId {
        let id = ClientId(self.next_client);
        self.next_client += 1;
        id
    }

    pub(crate) fn allocate_producer_id(&mut self) -> ProducerId {
        self.next_producer_id += 1;
        ProducerId(self.next_producer_id)
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

    // ----- scheduling -----

    pub(crate) fn schedule(&mut self, at: SimTime, item: Scheduled) -> QueueKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(at.max(self.now), seq, item)
    }

    pub(crate) fn set_timer(&mut self, delay: SimTime, timer: Timer) -> TimerKey {
        TimerKey(self.schedule(self.now + delay, Scheduled::Timer(timer)))
    }

    /// Removes a timer that is no longer needed (its work completed early).
    pub(crate) fn cancel_timer(&mut self, key: TimerKey) {
        self.queue.cancel(key.0);
    }

    /// Sends `payload` from `from` to `to`. Messages from or to an isolated node are dropped.
    pub(crate) fn transmit(&mut self, from: NodeId, to: NodeId, payload: Payload) {
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
        let tail = &mut row[b];
        let deliver_at = (self.now + latency).max(*tail);
        *tail = deliver_at;
        let id = MessageId(self.next_seq);
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
        self.schedule(msg.deliver_at, Scheduled::Deliver(msg));
    }

    fn record_drop(&mut self, message: Message, reason: DropReason) {
        self.counters.messages_dropped += 1;
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

    #[inline(always)]
    pub(crate) fn node_up(&self, node: NodeId) -> bool {
        match node {
            NodeId::Controller => self.controller.online,
            NodeId::Broker(b) => self.brokers.get(&b).is_some_and(|b| b.online),
            NodeId::Client(c) => self
                .producers
                .get(&c)
                .map(|p| p.online)
                .or_else(|| self.consumers.get(&c).map(|c| c.online))
                .unwrap_or(false),
        }
    }

    fn deliver(&mut self, msg: Message) {
        if !self.links.connected(msg.from, msg.to) {
            self.record_drop(msg, DropReason::LinkCut);
            return;
        }
        if !self.node_up(msg.to) {
            let (from, payload) = (msg.from, msg.payload.clone());
            self.record_drop(msg, DropReason::NodeDown);
            // The sender's connection is refused at once: it need not wait for a timeout.
            match from {
                NodeId::Client(c) if self.node_up(from) => self.client_disconnected(c, payload),
                NodeId::Broker(b) if self.node_up(from) => self.broker_disconnected(b, payload),
                _ => {}
            }
            return;
        }
        self.counters.messages_delivered += 1;
        self.mix(msg.payload.kind() as u64);
        match msg.to {
            NodeId::Controller => self.controller_handle(msg.from, msg.payload),
            NodeId::Broker(b) => self.broker_handle(b, msg.from, msg.payload),
            NodeId::Client(c) => self.client_handle(c, msg.from, msg.payload),
        }
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::ControllerSessionCheck(inc) if self.controller_incarnation() == Some(inc) => {
                self.controller_session_check()
            }
            Timer::ControllerImbalanceCheck(inc) if self.controller_incarnation() == Some(inc) => {
                self.controller_imbalance_check()
            }
            Timer::BrokerHeartbeat(b, inc) if self.broker_incarnation(b) == Some(inc) => {
                self.broker_heartbeat(b)
            }
            Timer::BrokerIsrCheck(b, inc) if self.broker_incarnation(b) == Some(inc) => {
                self.broker_isr_check(b)
            }
            Timer::BrokerFetchRetry(b, inc, tp) if self.broker_incarnation(b) == Some(inc) => {
                self.follower_fetch_retry(b, tp)
            }
            Timer::BrokerFetchTimeout(b, inc, tp, req)
                if self.broker_incarnation(b) == Some(inc) =>
            {
                self.follower_fetch_timeout(b, tp, req)
            }
            Timer::BrokerParkedFetchExpiry(b, inc, id)
                if self.broker_incarnation(b) == Some(inc) =>
            {
                self.broker_expire_parked_fetch(b, id)
            }
            Timer::BrokerPendingProduceExpiry(b, inc, id)
                if self.broker_incarnation(b) == Some(inc) =>
            {
                self.broker_expire_pending(b, id)
            }
            Timer::BrokerGroupCheck(b, inc) if self.broker_incarnation(b) == Some(inc) => {
                self.coordinator_check(b)
            }
            Timer::Client(c, inc, t) if self.client_incarnation(c) == Some(inc) => {
                self.client_timer(c, t)
            }
            Timer::App(c, inc, token) if self.client_incarnation(c) == Some(inc) => {
                self.emit(EventKind::AppTimer { client: c, token })
            }
            _ => {}
        }
    }

    pub(crate) fn broker_incarnation(&self, b: BrokerId) -> Option<u32> {
        self.brokers
            .get(&b)
            .filter(|b| b.online)
            .map(|b| b.incarnation)
    }

    pub(crate) fn client_incarnation(&self, c: ClientId) -> Option<u32> {
        if let Some(p) = self.producers.get(&c) {
            return p.online.then_some(p.incarnation);
        }
        self.consumers
            .get(&c)
            .filter(|c| c.online)
            .map(|c| c.incarnation)
    }

    /// Sets an application timer on `client`: an [`EventKind::AppTimer`] with `token` is emitted
    /// after `delay` unless the client crashes first.
    pub fn set_app_timer(&mut self, client: ClientId, delay: SimTime, token: u64) {
        if let Some(inc) = self.client_incarnation(client) {
            self.set_timer(delay, Timer::App(client, inc, token));
        }
    }

    // ----- events -----

    pub(crate) fn emit(&mut self, kind: EventKind) {
        self.mix(kind.code());
        if self.events.len() >= EVENTS_KEPT_MAX {
            self.events.pop_front();
        }
        self.events.push_back(Event { at: self.now, kind });
    }

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

    // ----- commands -----

    /// Applies a user or scenario command. Commands about unknown nodes are refused with a
    /// message; commands that change nothing are accepted silently.
    pub fn handle(&mut self, command: Command) -> Result<(), String> {
        self.mix(0xC0 + command_code(&command));
        match command {
            Command::FailBroker { broker } => {
                self.check_broker(broker)?;
                self.broker_crash(broker);
            }
            Command::RestoreBroker { broker } => {
                self.check_broker(broker)?;
                if !self.brokers[&broker].online {
                    self.broker_start(broker);
                    self.emit(EventKind::NodeRestarted {
                        node: NodeId::Broker(broker),
                    });
                }
            }
            Command::IsolateBroker { broker } => {
                self.check_broker(broker)?;
                self.links.isolate(NodeId::Broker(broker));
                self.emit(EventKind::NodeIsolated {
                    node: NodeId::Broker(broker),
                });
            }
            Command::HealBroker { broker } => {
                self.check_broker(broker)?;
                self.links.heal(NodeId::Broker(broker));
                self.emit(EventKind::NodeHealed {
                    node: NodeId::Broker(broker),
                });
            }
            Command::HealNetwork => {
                let nodes: Vec<NodeId> = self.links.isolated().collect();
                self.links.heal_all();
                for node in nodes {
                    self.emit(EventKind::NodeHealed { node });
                }
            }
            Command::FailController => {
                if self.controller.online {
                    self.controller.online = false;
                    self.emit(EventKind::NodeCrashed {
                        node: NodeId::Controller,
                    });
                }
            }
            Command::RestoreController => {
                if !self.controller.online {
                    self.controller_restart();
                    self.emit(EventKind::NodeRestarted {
                        node: NodeId::Controller,
                    });
                }
            }
            Command::IsolateController => {
                self.links.isolate(NodeId::Controller);
                self.emit(EventKind::NodeIsolated {
                    node: NodeId::Controller,
                });
            }
            Command::HealController => {
                self.links.heal(NodeId::Controller);
                self.emit(EventKind::NodeHealed {
                    node: NodeId::Controller,
                });
            }
            Command::CrashClient { client } => {
                self.check_client(client)?;
                self.client_crash(client);
            }
            Command::RestartClient { client } => {
                self.check_client(client)?;
                self.client_restart(client);
            }
            Command::DropMessage { id } => {
                let removed = self
                    .queue
                    .remove_where(|item| matches!(item, Scheduled::Deliver(m) if m.id == id));
                match removed {
                    Some(Scheduled::Deliver(msg)) => {
                        self.record_drop(msg, DropReason::DroppedByUser)
                    }
                    _ => return Err(format!("message {} is not in flight", id.0)),
                }
            }
        }
        Ok(())
    }

    /// Drops up to `count` in-flight messages matching the filters, earliest first; returns how
    /// many were dropped. Scenario files use this for `drop_messages`.
    pub fn drop_matching(
        &mut self,
        from: Option<NodeId>,
        to: Option<NodeId>,
        kind: Option<MessageKind>,
        count: usize,
    ) -> usize {
        let ids: Vec<MessageId> = self
            .in_flight()
            .filter(|m| from.is_none_or(|f| m.from == f))
            .filter(|m| to.is_none_or(|t| m.to == t))
            .filter(|m| kind.is_none_or(|k| m.payload.kind() == k))
            .take(count)
            .map(|m| m.id)
            .collect();
        for id in &ids {
            let _ = self.handle(Command::DropMessage { id: *id });
        }
        ids.len()
    }

    fn check_broker(&self, b: BrokerId) -> Result<(), String> {
        if self.brokers.contains_key(&b) {
            Ok(())
        } else {
            Err(format!(
                "there is no broker {} (brokers are 1 to {})",
                b.0,
                self.brokers.len()
            ))
        }
    }

    fn check_client(&self, c: ClientId) -> Result<(), String> {
        if self.producers.contains_key(&c) || self.consumers.contains_key(&c) {
            Ok(())
        } else {
            Err(format!("there is no client {}", c.0))
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
        messages.sort_by_key(|m| (m.deliver_at, m.id));
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
}

/// A small dense number per node, to index per-link tables.
fn link_index(node: NodeId) -> usize {
    match node {
        NodeId::Controller => 0,
        NodeId::Broker(b) => 1 + 2 * b.0 as usize,
        NodeId::Client(c) => 2 + 2 * c.0 as usize,
    }
}

fn command_code(c: &Command) -> u64 {
    match c {
        Command::FailBroker { broker } => 1 + 16 * broker.0 as u64,
        Command::RestoreBroker { broker } => 2 + 16 * broker.0 as u64,
        Command::IsolateBroker { broker } => 3 + 16 * broker.0 as u64,
        Command::HealBroker { broker } => 4 + 16 * broker.0 as u64,
        Command::HealNetwork => 5,
        Command::FailController => 6,
        Command::RestoreController => 7,
        Command::IsolateController => 8,
        Command::HealController => 9,
        Command::CrashClient { client } => 10 + 16 * client.0 as u64,
        Command::RestartClient { client } => 11 + 16 * client.0 as u64,
        Command::DropMessage { id } => 12 + 16 * id.0,
    }
}
