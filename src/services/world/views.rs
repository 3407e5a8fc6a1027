//! What the world shows: the event log's entries, the services and their instances as the UI
//! draws them, the world snapshot, and the getters the page and the scenario report read.

use serde::Serialize;

use super::World;
use crate::services::model::{Email, ServiceKind};
use crate::services::sequence::SeqStep;
use crate::services::tracker::{HopAction, OrderStage, OrderTotals, OrderView};
use crate::sim::{ClientId, EventKind, MessageId, Offset, SimTime, Snapshot, TopicPartition};

/// Log entries kept for the UI.
pub const LOG_KEPT_MAX: usize = 400;
/// Emails kept in the outbox view.
pub const OUTBOX_KEPT_MAX: usize = 200;

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

/// One order followed through the cluster (see [`World::order_focus`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderFocus {
    /// The order.
    pub order_id: u64,
    /// The key of its records.
    pub key: String,
    /// Its sequence, in time order.
    pub sequence: Vec<SeqStep>,
    /// Its records acknowledged so far: partition and offset.
    pub records: Vec<(TopicPartition, Offset)>,
    /// Messages carrying its records now in flight.
    pub in_flight: Vec<MessageId>,
    /// Service instances processing it or holding it in their queue.
    pub handling: Vec<(ServiceKind, usize)>,
}

impl World {
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

    /// The clients of a service instance (its consumer, then its producer), as network nodes.
    pub fn instance_clients(
        &self,
        kind: ServiceKind,
        index: usize,
    ) -> Result<Vec<ClientId>, String> {
        if kind == ServiceKind::OrderService {
            let p = self.order_producer.ok_or("the services are not running")?;
            return if index == 0 {
                Ok(vec![p])
            } else {
                Err("order_service has a single instance".to_string())
            };
        }
        let inst = self
            .instances
            .get(&kind)
            .and_then(|v| v.get(index))
            .ok_or_else(|| format!("{} has no instance #{}", kind.name(), index + 1))?;
        Ok(std::iter::once(inst.consumer)
            .chain(inst.producer)
            .collect())
    }

    /// The service instance a client belongs to, named as scenarios name it
    /// ("payment_service", "payment_service#2"); none for other clients.
    pub fn client_name(&self, client: ClientId) -> Option<String> {
        if self.order_producer == Some(client) {
            return Some(ServiceKind::OrderService.name().to_string());
        }
        self.instances.iter().find_map(|(kind, list)| {
            let index = list
                .iter()
                .position(|i| i.consumer == client || i.producer == Some(client))?;
            Some(if index == 0 {
                kind.name().to_string()
            } else {
                format!("{}#{}", kind.name(), index + 1)
            })
        })
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

    /// What the page needs to follow one order: its sequence, its records, its messages in
    /// flight and the instances holding it. None when the order is not followed (too old).
    pub fn order_focus(&self, order_id: u64) -> Option<OrderFocus> {
        let sequence = self.sequences.sequence(order_id)?;
        let mut records: Vec<(TopicPartition, Offset)> = Vec::new();
        for h in self.tracker.order(order_id).map_or(&[][..], |o| &o.hops) {
            if h.action == HopAction::Written && !records.contains(&(h.tp, h.offset)) {
                records.push((h.tp, h.offset));
            }
        }
        let in_flight = sequence
            .iter()
            .filter(|s| s.in_flight())
            .filter_map(|s| s.message)
            .collect();
        let key = order_id.to_string();
        let holds = |r: &crate::sim::ConsumedRecord| r.key.as_deref() == Some(key.as_str());
        let handling = self
            .instances
            .iter()
            .flat_map(|(kind, list)| {
                list.iter().enumerate().filter_map(move |(i, inst)| {
                    let busy = inst.busy.as_ref().is_some_and(|w| holds(&w.record));
                    (busy || inst.queue.iter().any(holds)).then_some((*kind, i))
                })
            })
            .collect();
        Some(OrderFocus {
            order_id,
            key,
            sequence,
            records,
            in_flight,
            handling,
        })
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
