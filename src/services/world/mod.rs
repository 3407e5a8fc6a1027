//! The world: the engine plus the four services, their instances (group members with their own
//! producers), their idempotence stores, the order tracker, the email outbox and an event log.
//!
//! Services only talk through Kafka: a service reacts to records the engine delivers to its
//! consumer, processes each one (taking simulated time via an application timer), publishes its
//! outcome with its producer, and commits once the outcome is acknowledged (process, then commit:
//! at-least-once). Each service remembers what it already did per order, so a redelivered record
//! never charges, ships or emails twice.
//!
//! - `config`: what a world is built from ([`WorldConfig`], [`ServicesConfig`]).
//! - `instance`: one running copy of a service and a service's idempotence store.
//! - `handlers`: the reactions to engine events (process, publish, commit).
//! - `diagnosis`: why a stuck order is stuck.
//! - `views`: the event log, the snapshot the UI draws and the getters.

mod config;
mod diagnosis;
mod handlers;
mod instance;
mod views;

use crate::sim::sorted_map::SortedMap;
use std::collections::VecDeque;

pub use config::{ServicesConfig, WorldConfig, INSTANCES_MAX};
pub use instance::{COMMIT_INTERVAL_MS, COMMIT_INTERVAL_MS_MAX};
pub use views::{
    InstanceView, LogEntry, LogEvent, OrderFocus, ServiceView, WorldSnapshot, LOG_KEPT_MAX,
    OUTBOX_KEPT_MAX,
};

use super::model::*;
use super::sequence::{Lifeline, OrderSequences, SequenceContext};
use super::tracker::{OrderStage, OrderTracker};
use crate::sim::{ClientId, Command, ConfigError, Event, SendId, SimRng, SimTime, Simulation};
use instance::{Instance, ServiceStore};

impl SequenceContext for World {
    fn lifeline(&self, node: crate::sim::NodeId) -> Option<Lifeline> {
        World::lifeline(self, node)
    }

    fn stage_of(&self, tp: crate::sim::TopicPartition) -> u8 {
        match &*self.sim.topics()[tp.topic.0 as usize].name {
            PAYMENT_SUCCESSFUL | PAYMENT_FAILED => 2,
            DELIVERY_SHIPPED => 3,
            _ => 1,
        }
    }
}

/// App-timer tokens of the order service.
const TOKEN_AUTO_ORDER: u64 = u64::MAX;

/// The engine and the services running on it. Cloning a world copies it whole: the clone runs
/// on from the same instant exactly as the original would.
#[derive(Clone)]
pub struct World {
    /// The engine.
    pub sim: Simulation,
    /// What it was built from.
    config: WorldConfig,
    /// Random users and totals of generated orders.
    rng: SimRng,
    /// The seed of the engine and of every service decision.
    seed: u64,
    /// order_service's producer (none when the services are off).
    order_producer: Option<ClientId>,
    /// Id of the next order created.
    next_order: u64,
    /// Orders sent and not yet acknowledged, by send.
    pending_orders: SortedMap<SendId, u64>,
    /// The running copies of each consuming service.
    instances: SortedMap<ServiceKind, Vec<Instance>>,
    /// Each service's idempotence store.
    stores: SortedMap<ServiceKind, ServiceStore>,
    /// Next app-timer token of a record's processing.
    next_token: u64,
    /// Every order's progress.
    tracker: OrderTracker,
    /// The latest orders' sequences (what carried their records, what the services did).
    sequences: OrderSequences,
    /// Orders are followed (see [`World::follow_orders`]).
    following: bool,
    /// The buffer the engine's record tap is drained into (kept for its room).
    tapped: Vec<crate::sim::tap::Tapped>,
    /// Emails sent, oldest first (at most [`OUTBOX_KEPT_MAX`]).
    outbox: VecDeque<Email>,
    /// The event log, oldest first (at most [`LOG_KEPT_MAX`]).
    log: VecDeque<LogEntry>,
    /// Automatic orders per second (0: off).
    order_rate_per_s: f64,
    /// When stuck orders were last looked for.
    last_stuck_check: SimTime,
    /// Every engine event is also kept here when a recorder wants them (scenario traces).
    pub record_events: Option<Vec<Event>>,
    /// The services' own log entries (order stages, duplicates ignored) are also kept here
    /// when a recorder wants them (narration cues).
    pub record_service_events: Option<Vec<LogEntry>>,
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
            pending_orders: SortedMap::new(),
            instances: SortedMap::new(),
            stores: SortedMap::new(),
            next_token: 1,
            tracker: OrderTracker::default(),
            sequences: OrderSequences::default(),
            following: false,
            tapped: Vec::new(),
            outbox: VecDeque::new(),
            log: VecDeque::new(),
            order_rate_per_s: 0.0,
            last_stuck_check: 0,
            record_events: None,
            record_service_events: None,
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
        self.instances
            .entry(kind)
            .or_default()
            .push(Instance::new(consumer, producer));
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
        if self.following {
            self.sequences.placed(order_id, self.now());
        }
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

    pub(super) fn arm_auto_order(&mut self) {
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
        let busy_order = inst.busy.as_ref().and_then(|w| w.order);
        let consumer = inst.consumer;
        inst.forget_progress();
        inst.in_doubt.clear();
        inst.crash_after_next = false;
        let producer = inst.producer;
        let now = self.now();
        self.sequences.abandoned(
            busy_order,
            Lifeline::service(kind, index),
            crate::sim::NodeId::Client(consumer),
            now,
        );
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

    /// Starts or stops following orders for the sequence view: the engine's record tap lists
    /// what carries their records (off by default: it costs time, and only the page shows it).
    /// Orders placed while off are not followed.
    pub fn follow_orders(&mut self, on: bool) {
        self.sim.set_record_tap(on && self.config.services.enabled);
        self.following = on && self.config.services.enabled;
    }

    /// Who a node is on the sequence view.
    fn lifeline(&self, node: crate::sim::NodeId) -> Option<Lifeline> {
        match node {
            crate::sim::NodeId::Broker(broker) => Some(Lifeline::Broker { broker }),
            crate::sim::NodeId::Controller(_) => None,
            crate::sim::NodeId::Client(c) if Some(c) == self.order_producer => {
                Some(Lifeline::Service {
                    service: ServiceKind::OrderService,
                    instance: 0,
                })
            }
            crate::sim::NodeId::Client(c) => self.instances.iter().find_map(|(kind, list)| {
                list.iter()
                    .position(|i| i.consumer == c || i.producer == Some(c))
                    .map(|instance| Lifeline::Service {
                        service: *kind,
                        instance,
                    })
            }),
        }
    }

    /// Takes in what the engine's record tap listed: the followed orders' messages.
    pub(super) fn follow_tapped(&mut self) {
        let mut tapped = std::mem::take(&mut self.tapped);
        self.sim.drain_tapped_into(&mut tapped);
        if !tapped.is_empty() {
            let mut sequences = std::mem::take(&mut self.sequences);
            sequences.ingest(&mut tapped, &*self);
            self.sequences = sequences;
        }
        self.tapped = tapped;
    }

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
        if steps < crate::sim::STEPS_PER_ADVANCE_MAX {
            // Nothing is due before `t`: move the clock. (Stepping on without the services'
            // reactions would delay them, and with them the order rate.)
            self.sim.advance_to(t);
            self.process_events();
        }
        self.check_stuck();
    }
}
impl World {
    /// Bytes a clone of this world adds to a set of clones whose shared parts (log chunks,
    /// orders, sequences, idempotence generations) are in `seen`: an estimate, for the page's
    /// time-travel checkpoints to stay within their budget.
    pub fn footprint(&self, seen: &mut std::collections::HashSet<usize>) -> usize {
        let mut bytes = 32 * 1024 + self.sim.footprint(seen);
        bytes += self.tracker.footprint(seen) + self.sequences.footprint(seen);
        for store in self.stores.values() {
            bytes += store.footprint(seen);
        }
        for instances in self.instances.values() {
            bytes += instances.len() * 8 * 1024;
        }
        bytes += self.log.len() * std::mem::size_of::<LogEntry>()
            + self.outbox.len() * std::mem::size_of::<Email>()
            + self.pending_orders.len() * 48;
        bytes
    }
}
