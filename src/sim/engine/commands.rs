//! User and scenario commands: crash, restart, isolate and heal nodes, cut, slow or make lossy
//! single links, drop messages; the cluster operations are in [`super::operations`].

use super::{Scheduled, Simulation};
use crate::sim::controller::Controller;
use crate::sim::events::EventKind;
use crate::sim::network::{DropReason, LinkFault, MessageKind};
use crate::sim::types::{
    BrokerId, ClientId, ControllerId, MessageId, NodeId, SimTime, TopicId, TopicPartition,
};

/// User and scenario actions.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Crash a controller (none named: the active one); with a majority left the quorum elects
    /// another, without one nothing in the metadata changes until it returns.
    FailController {
        /// Which (none: the active one, or the first running one when none is active).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        controller: Option<ControllerId>,
    },
    /// Restart a crashed controller.
    RestoreController {
        /// Which (none: the first one that is down).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        controller: Option<ControllerId>,
    },
    /// Cut every link of a controller.
    IsolateController {
        /// Which (none: the active one, or the first one not isolated).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        controller: Option<ControllerId>,
    },
    /// Restore the links of a controller.
    HealController {
        /// Which (none: the first isolated one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        controller: Option<ControllerId>,
    },
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
    /// Cut the link between two nodes: both ways, or from `a` to `b` only.
    CutLink {
        /// One end (the sender whose messages are lost when one way).
        a: NodeId,
        /// The other end.
        b: NodeId,
        /// Cut `a` to `b` only; `b` still reaches `a`.
        one_way: bool,
    },
    /// Restore the link between two nodes, both ways: no cut, no extra latency, no loss.
    HealLink {
        /// One end.
        a: NodeId,
        /// The other end.
        b: NodeId,
    },
    /// Add latency to the link between two nodes, both ways (0 removes it).
    SlowLink {
        /// One end.
        a: NodeId,
        /// The other end.
        b: NodeId,
        /// Added to every message's latency, in ms.
        extra_latency_ms: SimTime,
    },
    /// Make the link between two nodes lose messages, both ways (0 makes it reliable again).
    LossyLink {
        /// One end.
        a: NodeId,
        /// The other end.
        b: NodeId,
        /// The chance that a message is lost, 0 to 1.
        drop_rate: f64,
    },
    /// The admin request `kafka-leader-election --election-type PREFERRED --all-topic-partitions`,
    /// handed to the active controller (its trip over the network is not drawn).
    ElectPreferredLeaders,
    /// Start a new broker with the next id (at most 7); it hosts nothing until partitions are
    /// reassigned to it.
    AddBroker {
        /// Its rack (required when the cluster's brokers have racks, refused otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rack: Option<String>,
    },
    /// Remove a broker: a controlled shutdown (it gives up its leaderships first), then it
    /// leaves the cluster. One that is down is unregistered at once.
    RemoveBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// Move a partition to new replicas (`kafka-reassign-partitions`, KIP-455).
    Reassign {
        /// Which partition.
        tp: TopicPartition,
        /// The target replicas, the preferred leader first.
        replicas: Vec<BrokerId>,
        /// The replication throttle while it runs, in bytes per second (none: unthrottled).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        throttle_bytes_per_sec: Option<u64>,
    },
    /// Raise or lower a topic's replication factor by reassigning each of its partitions.
    SetReplicationFactor {
        /// Which topic.
        topic: TopicId,
        /// The new replication factor.
        replication_factor: u32,
    },
    /// Create partitions up to `count` in all (`kafka-topics --alter --partitions`).
    AddPartitions {
        /// Which topic.
        topic: TopicId,
        /// The new total.
        count: u32,
    },
    /// Change a topic's `min.insync.replicas` (`kafka-configs --alter`).
    SetMinInsyncReplicas {
        /// Which topic.
        topic: TopicId,
        /// The new value.
        min_insync_replicas: u32,
    },
}

/// Most extra latency a link can get, in ms (ten minutes).
pub const LINK_EXTRA_LATENCY_MS_MAX: SimTime = 600_000;

impl Simulation {
    /// Applies a user or scenario command. Commands about unknown nodes are refused with a
    /// message; commands that change nothing are accepted silently.
    pub fn handle(&mut self, command: Command) -> Result<(), String> {
        self.mix(0xC0 + command_code(&command));
        match command {
            Command::FailBroker { broker } => {
                self.check_broker(broker)?;
                self.crash_broker(broker);
            }
            Command::RestoreBroker { broker } => {
                self.check_broker(broker)?;
                if !self.brokers[&broker].online() {
                    let now = self.now;
                    self.with_broker(broker, |b, ctx, out| b.start(now, ctx, out));
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
            Command::ElectPreferredLeaders => {
                let Some(active) = self.active_controller() else {
                    return Err(
                        "there is no active controller to run a preferred leader election".into(),
                    );
                };
                let now = self.now;
                self.with_controller(active, |c, _, out| c.elect_preferred_leaders(now, out));
            }
            Command::HealNetwork => {
                let nodes: Vec<NodeId> = self.links.isolated().collect();
                let faulty: Vec<(NodeId, NodeId)> =
                    self.links.faults().map(|(a, b, _)| (a, b)).collect();
                self.links.heal_all();
                for node in nodes {
                    self.emit(EventKind::NodeHealed { node });
                }
                for (from, to) in faulty {
                    self.emit(EventKind::LinkChanged {
                        from,
                        to,
                        fault: None,
                    });
                }
            }
            Command::CutLink { a, b, one_way } => {
                self.check_link(a, b)?;
                self.change_link(a, b, &|f| f.cut = true);
                if !one_way {
                    self.change_link(b, a, &|f| f.cut = true);
                }
            }
            Command::HealLink { a, b } => {
                self.check_link(a, b)?;
                self.change_link(a, b, &|f| *f = LinkFault::default());
                self.change_link(b, a, &|f| *f = LinkFault::default());
            }
            Command::SlowLink {
                a,
                b,
                extra_latency_ms,
            } => {
                self.check_link(a, b)?;
                if extra_latency_ms > LINK_EXTRA_LATENCY_MS_MAX {
                    return Err(format!(
                        "extra latency {extra_latency_ms} ms is above the limit of {LINK_EXTRA_LATENCY_MS_MAX} ms"
                    ));
                }
                self.change_link(a, b, &|f| f.extra_latency_ms = extra_latency_ms);
                self.change_link(b, a, &|f| f.extra_latency_ms = extra_latency_ms);
            }
            Command::LossyLink { a, b, drop_rate } => {
                self.check_link(a, b)?;
                if !(0.0..=1.0).contains(&drop_rate) {
                    return Err(format!(
                        "drop rate must be between 0 and 1, not {drop_rate}"
                    ));
                }
                self.change_link(a, b, &|f| f.drop_rate = drop_rate);
                self.change_link(b, a, &|f| f.drop_rate = drop_rate);
            }
            Command::FailController { controller } => {
                let c = self.pick_controller(controller, |c| c.online())?;
                self.with_controller(c, |n, _, out| n.crash(out));
            }
            Command::RestoreController { controller } => {
                let c = self.pick_controller(controller, |c| !c.online())?;
                let now = self.now;
                self.with_controller(c, |n, ctx, out| n.start(now, ctx, out));
            }
            Command::IsolateController { controller } => {
                let isolated = self.isolated_controllers();
                let c = self.pick_controller(controller, |c| !isolated.contains(&c.id()))?;
                self.links.isolate(NodeId::Controller(c));
                self.emit(EventKind::NodeIsolated {
                    node: NodeId::Controller(c),
                });
            }
            Command::HealController { controller } => {
                let isolated = self.isolated_controllers();
                let c = self.pick_controller(controller, |c| isolated.contains(&c.id()))?;
                self.links.heal(NodeId::Controller(c));
                self.emit(EventKind::NodeHealed {
                    node: NodeId::Controller(c),
                });
            }
            Command::CrashClient { client } => {
                self.check_client(client)?;
                self.crash_client(client);
            }
            Command::RestartClient { client } => {
                self.check_client(client)?;
                self.restart_client(client);
            }
            Command::AddBroker { rack } => {
                self.add_broker(rack)?;
            }
            Command::RemoveBroker { broker } => self.remove_broker(broker)?,
            Command::Reassign {
                tp,
                replicas,
                throttle_bytes_per_sec,
            } => self.reassign(tp, replicas, throttle_bytes_per_sec)?,
            Command::SetReplicationFactor {
                topic,
                replication_factor,
            } => self.set_replication_factor(topic, replication_factor)?,
            Command::AddPartitions { topic, count } => self.add_partitions(topic, count)?,
            Command::SetMinInsyncReplicas {
                topic,
                min_insync_replicas,
            } => self.set_min_insync_replicas(topic, min_insync_replicas)?,
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

    /// The controller a command names, or with none named: the active one when `fits` it,
    /// else the first controller that `fits`.
    fn pick_controller(
        &self,
        named: Option<ControllerId>,
        fits: impl Fn(&Controller) -> bool,
    ) -> Result<ControllerId, String> {
        if let Some(c) = named {
            self.check_controller(c)?;
            return Ok(c);
        }
        let active = self.controllers.iter().find(|c| c.is_active());
        active
            .filter(|c| fits(c))
            .or_else(|| self.controllers.iter().find(|c| fits(c)))
            .map(Controller::id)
            .ok_or_else(|| "no controller is in a state this action applies to".to_string())
    }

    fn isolated_controllers(&self) -> Vec<ControllerId> {
        self.controllers
            .iter()
            .map(Controller::id)
            .filter(|c| self.links.is_isolated(NodeId::Controller(*c)))
            .collect()
    }

    fn check_controller(&self, c: ControllerId) -> Result<(), String> {
        if self.controller(c).is_some() {
            Ok(())
        } else {
            Err(format!(
                "there is no controller {} (controllers are 1 to {})",
                c.0,
                self.controllers.len()
            ))
        }
    }

    pub(super) fn check_broker(&self, b: BrokerId) -> Result<(), String> {
        if self.brokers.get(&b).is_some_and(|x| x.left()) {
            return Err(format!(
                "broker {} left the cluster; add a broker to get one back",
                b.0
            ));
        }
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

    /// Applies `change` to the link from `from` to `to` and reports it if it changed.
    fn change_link(&mut self, from: NodeId, to: NodeId, change: &dyn Fn(&mut LinkFault)) {
        if let Some(fault) = self.links.update(from, to, change) {
            self.emit(EventKind::LinkChanged { from, to, fault });
        }
    }

    fn check_link(&self, a: NodeId, b: NodeId) -> Result<(), String> {
        if a == b {
            return Err(format!(
                "a link joins two different nodes, not {a} and itself"
            ));
        }
        for node in [a, b] {
            match node {
                NodeId::Controller(c) => self.check_controller(c)?,
                NodeId::Broker(broker) => self.check_broker(broker)?,
                NodeId::Client(client) => self.check_client(client)?,
            }
        }
        Ok(())
    }

    fn check_client(&self, c: ClientId) -> Result<(), String> {
        if self.producers.contains_key(&c) || self.consumers.contains_key(&c) {
            Ok(())
        } else {
            Err(format!("there is no client {}", c.0))
        }
    }

    /// Crashes broker `b`; clients with requests on its connections see them fail at once (the
    /// TCP connection closes), as Kafka's network client does.
    fn crash_broker(&mut self, b: BrokerId) {
        if !self.brokers[&b].online() {
            return;
        }
        self.with_broker(b, |broker, _, out| broker.crash(out));
        self.disconnect_clients(b);
    }

    /// Broker `b` is down: every client's connection to it closes.
    pub(super) fn disconnect_clients(&mut self, b: BrokerId) {
        let now = self.now;
        let producers: Vec<ClientId> = self
            .producers
            .iter()
            .filter(|(_, p)| p.online())
            .map(|(c, _)| *c)
            .collect();
        for c in producers {
            self.with_producer(c, |p, ctx, env, out| {
                p.connection_lost(now, b, ctx, env, out)
            });
        }
        let consumers: Vec<ClientId> = self
            .consumers
            .iter()
            .filter(|(_, k)| k.online())
            .map(|(c, _)| *c)
            .collect();
        for c in consumers {
            self.with_consumer(c, |k, _, _, out| k.connection_lost(b, out));
        }
    }
}

fn command_code(c: &Command) -> u64 {
    match c {
        Command::FailBroker { broker } => 1 + 16 * broker.0 as u64,
        Command::RestoreBroker { broker } => 2 + 16 * broker.0 as u64,
        Command::IsolateBroker { broker } => 3 + 16 * broker.0 as u64,
        Command::HealBroker { broker } => 4 + 16 * broker.0 as u64,
        Command::HealNetwork => 5,
        Command::FailController { controller } => 6 + 16 * controller_code(*controller),
        Command::RestoreController { controller } => 7 + 16 * controller_code(*controller),
        Command::IsolateController { controller } => 8 + 16 * controller_code(*controller),
        Command::HealController { controller } => 9 + 16 * controller_code(*controller),
        Command::CrashClient { client } => 10 + 16 * client.0 as u64,
        Command::RestartClient { client } => 11 + 16 * client.0 as u64,
        Command::DropMessage { id } => 12 + 16 * id.0,
        // Wrapping: a drop rate's bits fill the whole word.
        Command::CutLink { a, b, one_way } => 16u64
            .wrapping_mul(link_code(*a, *b) * 2 + u64::from(*one_way))
            .wrapping_add(13),
        Command::HealLink { a, b } => 16u64.wrapping_mul(link_code(*a, *b)).wrapping_add(14),
        Command::SlowLink {
            a,
            b,
            extra_latency_ms,
        } => 16u64
            .wrapping_mul(link_code(*a, *b) ^ extra_latency_ms.wrapping_mul(0x9E37_79B9))
            .wrapping_add(15),
        Command::LossyLink { a, b, drop_rate } => 16u64
            .wrapping_mul(link_code(*a, *b) ^ drop_rate.to_bits())
            .wrapping_add(0x10_000),
        Command::ElectPreferredLeaders => 0x10_001,
        Command::AddBroker { rack } => 0x10_002 + 16 * rack.as_ref().map_or(0, |r| r.len() as u64),
        Command::RemoveBroker { broker } => 0x10_003 + 16 * u64::from(broker.0),
        Command::Reassign { tp, replicas, .. } => replicas
            .iter()
            .fold(0x10_004 + 16 * u64::from(tp.partition), |h, b| {
                h.wrapping_mul(31).wrapping_add(u64::from(b.0))
            }),
        Command::SetReplicationFactor {
            topic,
            replication_factor,
        } => 0x10_005 + 16 * (u64::from(topic.0) << 8 | u64::from(*replication_factor)),
        Command::AddPartitions { topic, count } => {
            0x10_006 + 16 * (u64::from(topic.0) << 8 | u64::from(*count))
        }
        Command::SetMinInsyncReplicas {
            topic,
            min_insync_replicas,
        } => 0x10_007 + 16 * (u64::from(topic.0) << 8 | u64::from(*min_insync_replicas)),
    }
}

/// 0 for "the active one", else the controller's id.
fn controller_code(c: Option<ControllerId>) -> u64 {
    c.map_or(0, |c| u64::from(c.0))
}

/// A number per (a, b) pair of nodes, for the trace hash.
fn link_code(a: NodeId, b: NodeId) -> u64 {
    let node = |n: NodeId| match n {
        NodeId::Controller(c) => u64::from(c.0) << 16,
        NodeId::Broker(b) => 1 + 2 * u64::from(b.0),
        NodeId::Client(c) => 2 + 2 * u64::from(c.0),
    };
    node(a) << 20 | node(b)
}
