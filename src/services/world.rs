//! The world: the engine plus the four services, their instances (group members with their own
//! producers), their idempotence stores, the order tracker, the email outbox and an event log.
//!
//! Services only talk through Kafka: a service reacts to records the engine delivers to its
//! consumer, processes each one (taking simulated time via an application timer), publishes its
//! outcome with its producer, and commits once the outcome is acknowledged (process, then commit:
//! at-least-once). Each service remembers what it already did per order, so a redelivered record
//! never charges, ships or emails twice.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

use super::model::*;
use super::recent::RecentMap;
use super::tracker::{OrderStage, OrderTotals, OrderTracker, OrderView, StuckReason};
use crate::sim::{
    ClientId, Command, ConfigError, ConsumedRecord, Event, EventKind, Offset, SendId, SimConfig,
    SimRng, SimTime, Simulation, Snapshot, TimingPreset, TopicConfig, TopicPartition,
};

/// Log entries kept for the UI.
pub const LOG_KEPT_MAX: usize = 400;
/// Emails kept in the outbox view.
pub const OUTBOX_KEPT_MAX: usize = 200;
/// Order ids remembered by each service's idempotence store.
const DEDUPE_KEPT_MAX: usize = 10_000;
/// App-timer tokens of the order service.
const TOKEN_AUTO_ORDER: u64 = u64::MAX;
/// Most instances per service.
pub const INSTANCES_MAX: usize = 4;

/// Settings of the services.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ServicesConfig {
    /// Whether the services (and their topics) run at all.
    pub enabled: bool,
    /// Instances of payment, shipping and email services (1 to 4 each).
    pub instances: [u32; 3],
    /// Time to charge a card.
    pub payment_processing_ms: SimTime,
    /// Share of payments refused (0 to 1).
    pub payment_failure_rate: f64,
    /// Time to ship.
    pub shipping_processing_ms: SimTime,
    /// Time to send an email.
    pub email_processing_ms: SimTime,
    /// An order without progress for this long is flagged stuck.
    pub stuck_after_ms: SimTime,
    /// Partitions of each chain topic.
    pub partitions: u32,
    /// Replication factor of each chain topic.
    pub replication_factor: u32,
    /// min.insync.replicas of each chain topic.
    pub min_insync_replicas: u32,
}

impl ServicesConfig {
    /// Defaults for a timing preset.
    pub fn preset(timing: TimingPreset) -> Self {
        let sandbox = timing == TimingPreset::Sandbox;
        ServicesConfig {
            enabled: true,
            instances: [1, 1, 1],
            payment_processing_ms: if sandbox { 40 } else { 4 },
            payment_failure_rate: 0.0,
            shipping_processing_ms: if sandbox { 30 } else { 3 },
            email_processing_ms: if sandbox { 10 } else { 1 },
            stuck_after_ms: if sandbox { 15_000 } else { 60_000 },
            partitions: 3,
            replication_factor: 3,
            min_insync_replicas: 2,
        }
    }
}

/// Everything a world is built from.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct WorldConfig {
    /// The cluster and clients.
    pub sim: SimConfig,
    /// The services.
    pub services: ServicesConfig,
}

impl WorldConfig {
    /// The default world: 3 brokers, the four chain topics (3 partitions, RF 3, min ISR 2) and
    /// the four services with one instance each.
    pub fn default_for(timing: TimingPreset) -> Self {
        WorldConfig {
            sim: SimConfig::preset(timing),
            services: ServicesConfig::preset(timing),
        }
    }

    /// The engine configuration: the user's topics plus the chain topics when services run.
    pub fn engine_config(&self) -> SimConfig {
        let mut sim = self.sim.clone();
        if self.services.enabled {
            for name in CHAIN_TOPICS {
                if !sim.topics.iter().any(|t| t.name == name) {
                    sim.topics.push(TopicConfig {
                        name: name.to_string(),
                        partitions: self.services.partitions,
                        replication_factor: self.services.replication_factor,
                        min_insync_replicas: self.services.min_insync_replicas,
                    });
                }
            }
        }
        sim
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self
            .services
            .instances
            .iter()
            .any(|n| !(1..=INSTANCES_MAX as u32).contains(n))
        {
            return Err(ConfigError::ZeroTiming("service instances (1 to 4)"));
        }
        self.engine_config().validate()
    }
}

/// What an instance is doing with one record.
#[derive(Clone, Debug)]
struct Work {
    record: ConsumedRecord,
    token: u64,
}

/// An outcome published and not yet acknowledged.
#[derive(Clone, Debug)]
struct InDoubt {
    record: ConsumedRecord,
    order_id: u64,
    topic: String,
    value: String,
}

/// An instance commits at most this often (a poll loop's commit cadence).
const COMMIT_INTERVAL_MS: SimTime = 1000;
/// App-timer token bit of an instance's commit flush.
const TOKEN_COMMIT_FLUSH: u64 = 1 << 62;

/// One running copy of a service: a group member and its producer. It processes one record at
/// a time, publishes its outcome without waiting (as a Kafka client does), and commits a
/// partition's offset only up to the first record whose outcome is not yet acknowledged.
#[derive(Clone, Debug)]
struct Instance {
    consumer: ClientId,
    producer: Option<ClientId>,
    queue: VecDeque<ConsumedRecord>,
    busy: Option<Work>,
    /// Outcomes sent and not yet acknowledged, by send.
    in_doubt: BTreeMap<SendId, InDoubt>,
    /// Next offset after the last processed record, per partition.
    processed_upto: BTreeMap<TopicPartition, Offset>,
    /// Offsets committed (or being committed), per partition.
    committed: BTreeMap<TopicPartition, Offset>,
    last_commit_at: SimTime,
    flush_armed: bool,
    processed: u64,
    crash_after_next: bool,
}

impl Instance {
    fn forget_progress(&mut self) {
        self.queue.clear();
        self.busy = None;
        self.processed_upto.clear();
        self.committed.clear();
        self.flush_armed = false;
    }

    /// Per partition, the offset below which every record is processed and acknowledged.
    fn committable(&self) -> Vec<(TopicPartition, Offset)> {
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
struct ServiceStore {
    /// Orders already handled (payment: charged or refused; shipping: shipped).
    done: RecentMap<u64, bool>,
    /// Orders whose outcome was acknowledged by Kafka.
    published: RecentMap<u64, ()>,
    /// email_service: (order, step) already sent.
    emails: RecentMap<(u64, EmailStep), ()>,
    duplicates_suppressed: u64,
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

/// One line of the event log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEntry {
    /// When.
    pub at: SimTime,
    /// What.
    pub event: LogEvent,
}

/// Things the event log shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    /// Something the engine reported.
    Engine {
        /// The engine event.
        kind: EventKind,
    },
    /// An order reached a stage.
    Order {
        /// Which order.
        order_id: u64,
        /// Its new stage.
        stage: OrderStage,
    },
    /// A service recognised a redelivered record and did not act twice.
    DuplicateIgnored {
        /// Which service.
        service: ServiceKind,
        /// Which order.
        order_id: u64,
    },
}

impl LogEntry {
    /// The filter category: election, isr, produce, consumer, network, nodes, orders.
    pub fn category(&self) -> &'static str {
        match &self.event {
            LogEvent::Engine { kind } => kind.category(),
            LogEvent::Order { .. } | LogEvent::DuplicateIgnored { .. } => "orders",
        }
    }
}

/// One instance as the UI shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceView {
    /// Position in the service's list.
    pub index: usize,
    /// Its consumer client (none for order_service).
    pub consumer: Option<ClientId>,
    /// Its producer client.
    pub producer: Option<ClientId>,
    /// Running.
    pub online: bool,
    /// Group membership phase.
    pub phase: &'static str,
    /// Partitions it owns.
    pub partitions: Vec<TopicPartition>,
    /// Records processed.
    pub processed: u64,
    /// Records waiting.
    pub queued: usize,
}

/// One service as the UI shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceView {
    /// Which.
    pub kind: ServiceKind,
    /// Its instances.
    pub instances: Vec<InstanceView>,
    /// Records processed by all instances.
    pub processed: u64,
    /// Redelivered records recognised and not acted on twice.
    pub duplicates_suppressed: u64,
    /// Total lag of its group (HW minus committed offsets).
    pub lag: u64,
}

/// What the UI draws: the engine snapshot plus the services.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorldSnapshot {
    /// The engine.
    pub sim: Snapshot,
    /// The services, in chain order.
    pub services: Vec<ServiceView>,
    /// The latest orders, newest first (at most 50).
    pub orders: Vec<OrderView>,
    /// Totals over all orders.
    pub order_totals: OrderTotals,
    /// Orders flagged stuck.
    pub stuck: usize,
    /// The latest emails, newest first (at most 50).
    pub outbox: Vec<Email>,
    /// Automatic orders per second.
    pub order_rate_per_s: f64,
}

/// The engine and the services running on it.
pub struct World {
    /// The engine.
    pub sim: Simulation,
    config: WorldConfig,
    rng: SimRng,
    seed: u64,
    order_producer: Option<ClientId>,
    next_order: u64,
    pending_orders: BTreeMap<SendId, u64>,
    instances: BTreeMap<ServiceKind, Vec<Instance>>,
    stores: BTreeMap<ServiceKind, ServiceStore>,
    next_token: u64,
    tracker: OrderTracker,
    outbox: VecDeque<Email>,
    log: VecDeque<LogEntry>,
    order_rate_per_s: f64,
    last_stuck_check: SimTime,
    /// Every engine event is also kept here when a recorder wants them (scenario traces).
    pub record_events: Option<Vec<Event>>,
}

impl World {
    /// Builds the world and starts its services.
    pub fn new(config: WorldConfig, seed: u64) -> Result<World, ConfigError> {
        config.validate()?;
        let sim = Simulation::new(config.engine_config(), seed)?;
        let mut world = World {
            sim,
            rng: SimRng::child(seed, 3),
            seed,
            order_producer: None,
            next_order: 1,
            pending_orders: BTreeMap::new(),
            instances: BTreeMap::new(),
            stores: BTreeMap::new(),
            next_token: 1,
            tracker: OrderTracker::default(),
            outbox: VecDeque::new(),
            log: VecDeque::new(),
            order_rate_per_s: 0.0,
            last_stuck_check: 0,
            record_events: None,
            config,
        };
        if world.config.services.enabled {
            world.order_producer =
                Some(world.sim.create_producer(world.config.sim.producer.clone()));
            for (i, kind) in ServiceKind::ALL[1..].iter().enumerate() {
                for _ in 0..world.config.services.instances[i] {
                    world.spawn_instance(*kind);
                }
            }
        }
        Ok(world)
    }

    /// The configuration.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Simulated time.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    fn spawn_instance(&mut self, kind: ServiceKind) -> ClientId {
        let mut consumer_config = self.config.sim.consumer.clone();
        consumer_config.auto_offset_reset_earliest = true;
        consumer_config.enable_auto_commit = false;
        let consumer = self
            .sim
            .create_consumer(kind.name(), kind.consumes(), consumer_config);
        let producer = (!kind.publishes().is_empty())
            .then(|| self.sim.create_producer(self.config.sim.producer.clone()));
        self.instances.entry(kind).or_default().push(Instance {
            consumer,
            producer,
            queue: VecDeque::new(),
            busy: None,
            in_doubt: BTreeMap::new(),
            processed_upto: BTreeMap::new(),
            committed: BTreeMap::new(),
            last_commit_at: 0,
            flush_armed: false,
            processed: 0,
            crash_after_next: false,
        });
        consumer
    }

    // ----- user actions -----

    /// Creates an order (random plausible user and total when not given); returns its id, or
    /// an error when the services are off or order_service is down.
    pub fn create_order(
        &mut self,
        user_id: Option<u64>,
        total: Option<u64>,
    ) -> Result<u64, String> {
        let producer = self
            .order_producer
            .ok_or("the services are not running in this world")?;
        let user_id = user_id.unwrap_or_else(|| 1 + self.rng.below(500));
        let total = total.unwrap_or_else(|| 500 + self.rng.below(29_500));
        let order_id = self.next_order;
        let topic = self
            .sim
            .topic_by_name(ORDER_CREATED)
            .ok_or("no order.created topic")?;
        let value = serde_json::to_string(&OrderCreated {
            order_id,
            user_id,
            total,
        })
        .map_err(|e| e.to_string())?;
        let send = self
            .sim
            .send(producer, topic, Some(&order_id.to_string()), &value)?;
        self.next_order += 1;
        self.pending_orders.insert(send, order_id);
        self.tracker.created(order_id, user_id, total, self.now());
        self.log_order(order_id, OrderStage::Created);
        Ok(order_id)
    }

    /// Sets the automatic order rate (0 to 1000 per second; the page offers 0 to 20).
    pub fn set_order_rate(&mut self, per_second: f64) {
        let rate = if per_second.is_finite() {
            per_second.clamp(0.0, 1000.0)
        } else {
            0.0
        };
        let was_off = self.order_rate_per_s <= 0.0;
        self.order_rate_per_s = rate;
        if was_off && rate > 0.0 {
            self.arm_auto_order();
        }
    }

    fn arm_auto_order(&mut self) {
        if let Some(p) = self.order_producer {
            if self.order_rate_per_s > 0.0 {
                let interval = (1000.0 / self.order_rate_per_s).round().max(1.0) as SimTime;
                self.sim.set_app_timer(p, interval, TOKEN_AUTO_ORDER);
            }
        }
    }

    /// Applies an engine command (fail a broker, drop a message...).
    pub fn handle(&mut self, command: Command) -> Result<(), String> {
        let result = self.sim.handle(command);
        self.process_events();
        result
    }

    fn instance_list(&self, kind: ServiceKind) -> Result<&Vec<Instance>, String> {
        self.instances
            .get(&kind)
            .ok_or_else(|| format!("{} has no instances", kind.name()))
    }

    /// Adds an instance to a consuming service (at most 4).
    pub fn add_instance(&mut self, kind: ServiceKind) -> Result<usize, String> {
        if kind == ServiceKind::OrderService {
            return Err("order_service is a producer only: it has no group to scale".into());
        }
        if !self.config.services.enabled {
            return Err("the services are not running in this world".into());
        }
        let n = self.instances.get(&kind).map_or(0, |v| v.len());
        if n >= INSTANCES_MAX {
            return Err(format!(
                "{} already has {INSTANCES_MAX} instances",
                kind.name()
            ));
        }
        self.spawn_instance(kind);
        Ok(n)
    }

    /// Removes the last instance of a service (it leaves its group); at least one stays.
    pub fn remove_instance(&mut self, kind: ServiceKind) -> Result<(), String> {
        let n = self.instance_list(kind)?.len();
        if n <= 1 {
            return Err(format!("{} keeps at least one instance", kind.name()));
        }
        let inst = self
            .instances
            .get_mut(&kind)
            .and_then(|v| v.pop())
            .expect("checked");
        self.sim.close_consumer(inst.consumer);
        if let Some(p) = inst.producer {
            let _ = self.sim.handle(Command::CrashClient { client: p });
        }
        self.process_events();
        Ok(())
    }

    /// Scales a service to `n` instances (1 to 4).
    pub fn scale(&mut self, kind: ServiceKind, n: usize) -> Result<(), String> {
        if !(1..=INSTANCES_MAX).contains(&n) {
            return Err(format!(
                "instances must be between 1 and {INSTANCES_MAX}, not {n}"
            ));
        }
        while self.instance_list(kind)?.len() < n {
            self.add_instance(kind)?;
        }
        while self.instance_list(kind)?.len() > n {
            self.remove_instance(kind)?;
        }
        Ok(())
    }

    /// Crashes one instance: it loses what it had not committed.
    pub fn crash_instance(&mut self, kind: ServiceKind, index: usize) -> Result<(), String> {
        if kind == ServiceKind::OrderService {
            let p = self.order_producer.ok_or("the services are not running")?;
            return self.handle(Command::CrashClient { client: p });
        }
        let inst = self
            .instances
            .get_mut(&kind)
            .and_then(|v| v.get_mut(index))
            .ok_or_else(|| format!("{} has no instance {index}", kind.name()))?;
        inst.forget_progress();
        inst.in_doubt.clear();
        inst.crash_after_next = false;
        let (consumer, producer) = (inst.consumer, inst.producer);
        self.sim.handle(Command::CrashClient { client: consumer })?;
        if let Some(p) = producer {
            self.sim.handle(Command::CrashClient { client: p })?;
        }
        self.process_events();
        Ok(())
    }

    /// Restarts a crashed instance.
    pub fn restart_instance(&mut self, kind: ServiceKind, index: usize) -> Result<(), String> {
        if kind == ServiceKind::OrderService {
            let p = self.order_producer.ok_or("the services are not running")?;
            self.handle(Command::RestartClient { client: p })?;
            self.arm_auto_order();
            return Ok(());
        }
        let inst = self
            .instances
            .get(&kind)
            .and_then(|v| v.get(index))
            .ok_or_else(|| format!("{} has no instance {index}", kind.name()))?;
        let (consumer, producer) = (inst.consumer, inst.producer);
        self.sim
            .handle(Command::RestartClient { client: consumer })?;
        if let Some(p) = producer {
            self.sim.handle(Command::RestartClient { client: p })?;
        }
        self.process_events();
        Ok(())
    }

    /// Makes an instance crash right after it next finishes processing a record, before it
    /// commits: the record will be delivered again.
    pub fn crash_after_next_record(
        &mut self,
        kind: ServiceKind,
        index: usize,
    ) -> Result<(), String> {
        let inst = self
            .instances
            .get_mut(&kind)
            .and_then(|v| v.get_mut(index))
            .ok_or_else(|| format!("{} has no instance {index}", kind.name()))?;
        inst.crash_after_next = true;
        Ok(())
    }

    // ----- time -----

    /// Time of the next engine event.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.sim.next_event_time()
    }

    /// Processes the next engine event and the services' reactions.
    pub fn step(&mut self) -> bool {
        let stepped = self.sim.step();
        self.process_events();
        self.check_stuck();
        stepped
    }

    /// Runs the world up to time `t` (bounded work per call).
    pub fn advance_to(&mut self, t: SimTime) {
        let mut steps = 0;
        while steps < crate::sim::STEPS_PER_ADVANCE_MAX {
            match self.sim.next_event_time() {
                Some(next) if next <= t => {
                    self.sim.step();
                    self.process_events();
                    steps += 1;
                }
                _ => break,
            }
        }
        self.sim.advance_to(t);
        self.process_events();
        self.check_stuck();
    }

    fn check_stuck(&mut self) {
        let now = self.now();
        if now < self.last_stuck_check + 1000 {
            return;
        }
        self.last_stuck_check = now;
        let after = self.config.services.stuck_after_ms;
        let sim = &self.sim;
        let instances = &self.instances;
        let order_producer = self.order_producer;
        self.tracker
            .check_stuck(now, after, |o| diagnose(sim, instances, order_producer, o));
    }

    // ----- reacting to the engine -----

    /// Reacts to every engine event, oldest first, including those the reactions cause.
    fn process_events(&mut self) {
        while let Some(event) = self.sim.next_event() {
            if let Some(rec) = self.record_events.as_mut() {
                rec.push(event.clone());
            }
            self.on_event(event);
        }
    }

    fn on_event(&mut self, event: Event) {
        let at = event.at;
        if let EventKind::RecordsDelivered { consumer, records } = event.kind {
            // The records move into the instance's queue (this event is not logged).
            if let Some((kind, i)) = self.instance_of(consumer) {
                let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
                inst.queue.extend(records);
                self.kick(kind, i);
            }
            return;
        }
        match &event.kind {
            EventKind::AppTimer { client, token } => {
                if Some(*client) == self.order_producer && *token == TOKEN_AUTO_ORDER {
                    let _ = self.create_order(None, None);
                    self.arm_auto_order();
                } else if let Some((kind, i)) = self.instance_of(*client) {
                    if *token == TOKEN_COMMIT_FLUSH {
                        self.instances.get_mut(&kind).expect("kind")[i].flush_armed = false;
                        self.maybe_commit(kind, i);
                    } else {
                        self.finish_processing(kind, i, *token);
                    }
                }
            }
            EventKind::ProduceAcked { send, .. } => {
                if let Some(order_id) = self.pending_orders.remove(send) {
                    self.tracker.published(order_id, at);
                    self.log_order(order_id, OrderStage::Published);
                } else {
                    self.outcome_acked(*send);
                }
            }
            EventKind::ProduceFailed { send, error, .. } => {
                if let Some(order_id) = self.pending_orders.remove(send) {
                    self.tracker.publish_failed(order_id, error.name(), at);
                    self.log_order(order_id, OrderStage::PublishFailed);
                } else {
                    self.outcome_failed(*send);
                }
            }
            EventKind::PartitionsRevoked { consumer } => {
                if let Some((kind, i)) = self.instance_of(*consumer) {
                    let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
                    inst.forget_progress();
                }
            }
            _ => {}
        }
        if is_logged(&event.kind) {
            self.push_log(LogEntry {
                at,
                event: LogEvent::Engine { kind: event.kind },
            });
        }
    }

    fn push_log(&mut self, entry: LogEntry) {
        if self.log.len() >= LOG_KEPT_MAX {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }

    fn log_order(&mut self, order_id: u64, stage: OrderStage) {
        let at = self.now();
        self.push_log(LogEntry {
            at,
            event: LogEvent::Order { order_id, stage },
        });
    }

    fn instance_of(&self, client: ClientId) -> Option<(ServiceKind, usize)> {
        self.instances.iter().find_map(|(kind, list)| {
            list.iter()
                .position(|i| i.consumer == client)
                .map(|i| (*kind, i))
        })
    }

    fn processing_ms(&self, kind: ServiceKind) -> SimTime {
        let s = &self.config.services;
        match kind {
            ServiceKind::PaymentService => s.payment_processing_ms,
            ServiceKind::ShippingService => s.shipping_processing_ms,
            _ => s.email_processing_ms,
        }
    }

    /// Starts the next queued record if the instance is idle.
    fn kick(&mut self, kind: ServiceKind, i: usize) {
        let delay = self.processing_ms(kind);
        let token = self.next_token;
        let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
        if inst.busy.is_some() || !self.sim.client_online(inst.consumer) {
            return;
        }
        if let Some(record) = inst.queue.pop_front() {
            self.next_token += 1;
            inst.busy = Some(Work { record, token });
            let consumer = inst.consumer;
            self.sim.set_app_timer(consumer, delay, token);
        }
    }

    /// Commits what is safe to commit, at most once per [`COMMIT_INTERVAL_MS`]; a flush timer
    /// commits the rest.
    fn maybe_commit(&mut self, kind: ServiceKind, i: usize) {
        let now = self.now();
        let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
        if inst.flush_armed && now < inst.last_commit_at + COMMIT_INTERVAL_MS {
            // The flush timer will commit whatever is committable then.
            return;
        }
        let offsets = inst.committable();
        if offsets.is_empty() {
            return;
        }
        let due = inst.last_commit_at + COMMIT_INTERVAL_MS;
        if now < due {
            if !inst.flush_armed {
                inst.flush_armed = true;
                let consumer = inst.consumer;
                self.sim
                    .set_app_timer(consumer, due - now, TOKEN_COMMIT_FLUSH);
            }
            return;
        }
        inst.last_commit_at = now;
        for (tp, o) in &offsets {
            inst.committed.insert(*tp, *o);
        }
        let consumer = inst.consumer;
        self.sim.commit(consumer, offsets);
    }

    fn finish_processing(&mut self, kind: ServiceKind, i: usize, token: u64) {
        let now = self.now();
        let Some(work) = self.instances[&kind][i].busy.clone() else {
            return;
        };
        if work.token != token {
            return;
        }
        let record = work.record;
        let topic = self.sim.topics()[record.tp.topic.0 as usize].name.clone();
        let order_id = order_id_of(&record.value);
        let Some(order_id) = order_id else {
            // Not an order event: nothing to do but move on.
            return self.record_done(kind, i);
        };
        let store = self.stores.entry(kind).or_default();
        let outcome: Option<(String, String)> = match kind {
            ServiceKind::PaymentService => {
                let first = !store.done.contains_key(&order_id);
                let ok = if first {
                    let refused = self.config.services.payment_failure_rate > 0.0
                        && SimRng::child(self.seed ^ 0x5eed, order_id)
                            .chance(self.config.services.payment_failure_rate);
                    store.done.insert(order_id, !refused);
                    if refused {
                        self.tracker.refused(order_id, now);
                        self.log_order(order_id, OrderStage::Refused);
                    } else {
                        self.tracker.paid(order_id, now);
                        self.log_order(order_id, OrderStage::Paid);
                    }
                    !refused
                } else {
                    self.note_duplicate(kind, order_id);
                    self.stores[&kind]
                        .done
                        .get(&order_id)
                        .copied()
                        .unwrap_or(true)
                };
                let total = serde_json::from_str::<OrderCreated>(&record.value)
                    .map(|o| o.total)
                    .unwrap_or(0);
                Some(if ok {
                    (
                        PAYMENT_SUCCESSFUL.into(),
                        json(&PaymentSuccessful {
                            order_id,
                            amount: total,
                        }),
                    )
                } else {
                    (
                        PAYMENT_FAILED.into(),
                        json(&PaymentFailed {
                            order_id,
                            reason: "card declined".into(),
                        }),
                    )
                })
            }
            ServiceKind::ShippingService => {
                if store.done.insert(order_id, true).is_none() {
                    self.tracker.shipped(order_id, now);
                    self.log_order(order_id, OrderStage::Shipped);
                } else {
                    self.note_duplicate(kind, order_id);
                }
                let carrier = ["Colissimo", "Chronopost", "DHL"][(order_id % 3) as usize];
                Some((
                    DELIVERY_SHIPPED.into(),
                    json(&DeliveryShipped {
                        order_id,
                        carrier: carrier.into(),
                        tracking_number: format!("TRK{:08}", order_id * 7919 % 100_000_000),
                    }),
                ))
            }
            ServiceKind::EmailService => {
                let step = match &*topic {
                    ORDER_CREATED => EmailStep::OrderConfirmed,
                    PAYMENT_SUCCESSFUL => EmailStep::PaymentReceived,
                    PAYMENT_FAILED => EmailStep::PaymentRefused,
                    _ => EmailStep::Shipped,
                };
                if store.emails.insert((order_id, step), ()).is_none() {
                    let user_id = self.tracker.order(order_id).map_or(0, |o| o.user_id);
                    if self.outbox.len() >= OUTBOX_KEPT_MAX {
                        self.outbox.pop_front();
                    }
                    self.outbox.push_back(Email {
                        order_id,
                        user_id,
                        step,
                        sent_at: now,
                    });
                    self.tracker.emailed(order_id, step, now);
                    let completed = self
                        .tracker
                        .order(order_id)
                        .is_some_and(|o| o.stage == OrderStage::Completed);
                    if completed {
                        self.log_order(order_id, OrderStage::Completed);
                    }
                } else {
                    self.note_duplicate(kind, order_id);
                }
                None
            }
            ServiceKind::OrderService => None,
        };
        if let Some((topic, value)) = outcome {
            if !self.stores[&kind].published.contains_key(&order_id) {
                let doubt = InDoubt {
                    record: record.clone(),
                    order_id,
                    topic,
                    value,
                };
                self.publish(kind, i, doubt);
            }
        }
        self.record_done(kind, i);
    }

    fn note_duplicate(&mut self, kind: ServiceKind, order_id: u64) {
        self.stores.entry(kind).or_default().duplicates_suppressed += 1;
        let at = self.now();
        self.push_log(LogEntry {
            at,
            event: LogEvent::DuplicateIgnored {
                service: kind,
                order_id,
            },
        });
    }

    /// Publishes an outcome; it stays in doubt (and its record uncommitted) until acknowledged.
    fn publish(&mut self, kind: ServiceKind, i: usize, doubt: InDoubt) {
        let inst = &self.instances[&kind][i];
        let (Some(producer), Some(topic_id)) =
            (inst.producer, self.sim.topic_by_name(&doubt.topic))
        else {
            return;
        };
        let key = doubt.order_id.to_string();
        // A send refused at once (producer down) leaves the record uncommitted: it is delivered
        // again after the restart or to the member that takes the partition.
        if let Ok(send) = self.sim.send(producer, topic_id, Some(&key), &doubt.value) {
            self.instances.get_mut(&kind).expect("kind")[i]
                .in_doubt
                .insert(send, doubt);
        }
    }

    fn find_in_doubt(&self, send: SendId) -> Option<(ServiceKind, usize)> {
        self.instances.iter().find_map(|(kind, list)| {
            list.iter()
                .position(|inst| inst.in_doubt.contains_key(&send))
                .map(|i| (*kind, i))
        })
    }

    fn outcome_acked(&mut self, send: SendId) {
        let Some((kind, i)) = self.find_in_doubt(send) else {
            return;
        };
        let doubt = self.instances.get_mut(&kind).expect("kind")[i]
            .in_doubt
            .remove(&send);
        if let Some(d) = doubt {
            self.stores
                .entry(kind)
                .or_default()
                .published
                .insert(d.order_id, ());
        }
        self.maybe_commit(kind, i);
    }

    fn outcome_failed(&mut self, send: SendId) {
        let Some((kind, i)) = self.find_in_doubt(send) else {
            return;
        };
        // The send failed for good: publish again (the record is still uncommitted).
        let doubt = self.instances.get_mut(&kind).expect("kind")[i]
            .in_doubt
            .remove(&send);
        if let Some(d) = doubt {
            self.publish(kind, i, d);
        }
    }

    /// The record is processed (its outcome maybe still in doubt): count it, maybe crash
    /// (fault injection: after processing, before committing), then take the next one.
    fn record_done(&mut self, kind: ServiceKind, i: usize) {
        let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
        let Some(work) = inst.busy.take() else { return };
        let next = work.record.offset + 1;
        inst.processed += 1;
        let upto = inst.processed_upto.entry(work.record.tp).or_insert(next);
        *upto = (*upto).max(next);
        let consumer = inst.consumer;
        self.sim.acknowledge(consumer, work.record.tp, next);
        if inst.crash_after_next {
            let _ = self.crash_instance(kind, i);
            return;
        }
        self.kick(kind, i);
        self.maybe_commit(kind, i);
    }

    // ----- views -----

    /// Orders kept in detail, oldest first.
    pub fn orders(&self) -> impl DoubleEndedIterator<Item = &OrderView> {
        self.tracker.orders()
    }

    /// One order.
    pub fn order(&self, id: u64) -> Option<&OrderView> {
        self.tracker.order(id)
    }

    /// Totals over all orders.
    pub fn order_totals(&self) -> &OrderTotals {
        self.tracker.totals()
    }

    /// Emails kept, oldest first.
    pub fn outbox(&self) -> impl DoubleEndedIterator<Item = &Email> {
        self.outbox.iter()
    }

    /// The event log, oldest first.
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &LogEntry> {
        self.log.iter()
    }

    /// Duplicates a service recognised.
    pub fn duplicates_suppressed(&self, kind: ServiceKind) -> u64 {
        self.stores
            .get(&kind)
            .map_or(0, |s| s.duplicates_suppressed)
    }

    /// Orders flagged stuck.
    pub fn stuck_count(&self) -> usize {
        self.tracker.stuck_count()
    }

    /// The order service's producer client.
    pub fn order_producer(&self) -> Option<ClientId> {
        self.order_producer
    }

    /// The consumer client of an instance.
    pub fn instance_consumer(&self, kind: ServiceKind, index: usize) -> Option<ClientId> {
        self.instances.get(&kind)?.get(index).map(|i| i.consumer)
    }

    /// Automatic order rate.
    pub fn order_rate(&self) -> f64 {
        self.order_rate_per_s
    }

    /// The services as the UI shows them.
    pub fn service_views(&self, sim: &Snapshot) -> Vec<ServiceView> {
        if !self.config.services.enabled {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(p) = self.order_producer {
            out.push(ServiceView {
                kind: ServiceKind::OrderService,
                instances: vec![InstanceView {
                    index: 0,
                    consumer: None,
                    producer: Some(p),
                    online: self.sim.client_online(p),
                    phase: if self.sim.client_online(p) {
                        "producing"
                    } else {
                        "down"
                    },
                    partitions: Vec::new(),
                    processed: self.tracker.totals().created,
                    queued: 0,
                }],
                processed: self.tracker.totals().created,
                duplicates_suppressed: 0,
                lag: 0,
            });
        }
        for kind in &ServiceKind::ALL[1..] {
            let list = self
                .instances
                .get(kind)
                .map(|v| v.as_slice())
                .unwrap_or(&[]);
            let instances: Vec<InstanceView> = list
                .iter()
                .enumerate()
                .map(|(index, inst)| InstanceView {
                    index,
                    consumer: Some(inst.consumer),
                    producer: inst.producer,
                    online: self.sim.client_online(inst.consumer),
                    phase: self.sim.consumer_phase(inst.consumer).unwrap_or("down"),
                    partitions: self.sim.consumer_assignment(inst.consumer).to_vec(),
                    processed: inst.processed,
                    queued: inst.queue.len() + usize::from(inst.busy.is_some()),
                })
                .collect();
            let lag = sim
                .groups
                .iter()
                .find(|g| &*g.group == kind.name())
                .map_or(0, |g| g.lag.iter().map(|(_, l)| *l).sum());
            out.push(ServiceView {
                kind: *kind,
                processed: instances.iter().map(|i| i.processed).sum(),
                instances,
                duplicates_suppressed: self.duplicates_suppressed(*kind),
                lag,
            });
        }
        out
    }

    /// The picture the UI draws.
    pub fn snapshot(&self) -> WorldSnapshot {
        let sim = self.sim.snapshot();
        WorldSnapshot {
            services: self.service_views(&sim),
            orders: self.tracker.orders().rev().take(50).cloned().collect(),
            order_totals: self.tracker.totals().clone(),
            stuck: self.tracker.stuck_count(),
            outbox: self.outbox.iter().rev().take(50).cloned().collect(),
            order_rate_per_s: self.order_rate_per_s,
            sim,
        }
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The `order_id` field of a JSON record value.
fn order_id_of(value: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct HasOrder {
        order_id: u64,
    }
    serde_json::from_str::<HasOrder>(value)
        .ok()
        .map(|h| h.order_id)
}

fn is_logged(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::RecordsDelivered { .. }
            | EventKind::ProduceAcked { .. }
            | EventKind::ProduceSentUnacknowledged { .. }
            | EventKind::AppTimer { .. }
            | EventKind::OffsetsCommitted { .. }
            | EventKind::MessageDropped { .. }
            | EventKind::OffsetReset { .. }
    )
}

/// Why an order is not moving: the next service's state and its topic's partitions.
fn diagnose(
    sim: &Simulation,
    instances: &BTreeMap<ServiceKind, Vec<Instance>>,
    order_producer: Option<ClientId>,
    order: &OrderView,
) -> StuckReason {
    let (topic, service) = match order.stage {
        OrderStage::Created => {
            if order_producer.is_some_and(|p| !sim.client_online(p)) {
                return StuckReason::ServiceDown {
                    service: ServiceKind::OrderService.name().into(),
                };
            }
            (ORDER_CREATED, ServiceKind::OrderService)
        }
        OrderStage::Published => (ORDER_CREATED, ServiceKind::PaymentService),
        OrderStage::Paid => (PAYMENT_SUCCESSFUL, ServiceKind::ShippingService),
        OrderStage::Refused | OrderStage::Shipped => (DELIVERY_SHIPPED, ServiceKind::EmailService),
        _ => return StuckReason::Waiting,
    };
    if let Some(t) = sim.topic_by_name(topic) {
        let partition = crate::sim::murmur2::partition_for_key(
            order.order_id.to_string().as_bytes(),
            sim.topics()[t.0 as usize].config.partitions,
        );
        let tp = TopicPartition {
            topic: t,
            partition,
        };
        if sim.partition_state(tp).is_some_and(|s| s.leader.is_none()) {
            return StuckReason::PartitionOffline {
                partition: sim.partition_name(tp),
            };
        }
        if sim.partition_view(tp).under_min_isr {
            return StuckReason::ProduceFailing {
                error: "NOT_ENOUGH_REPLICAS".into(),
            };
        }
    }
    if service != ServiceKind::OrderService {
        let all_down = instances
            .get(&service)
            .is_none_or(|list| list.iter().all(|i| !sim.client_online(i.consumer)));
        if all_down {
            return StuckReason::ServiceDown {
                service: service.name().into(),
            };
        }
    }
    if let Some(e) = &order.publish_error {
        return StuckReason::ProduceFailing { error: e.clone() };
    }
    StuckReason::Waiting
}
