//! A read-only picture of the engine at one instant: what the UI draws and reports print.

use serde::Serialize;
use std::rc::Rc;

use super::{Counters, Simulation};
use crate::sim::broker::{GroupPhase, RoleKind};
use crate::sim::client::MemberPhase;
use crate::sim::controller::metadata::MetadataRecord;
use crate::sim::controller::Controller;
use crate::sim::log::PartitionLog;
use crate::sim::network::{DropReason, LinkFault, MessageKind};
use crate::sim::quorum::log::EntryData;
use crate::sim::quorum::QuorumRole;
use crate::sim::types::{
    BrokerId, ClientId, ControllerId, LeaderEpoch, MessageId, NodeId, Offset, SimTime,
    TopicPartition,
};

/// Records per partition the snapshot carries.
pub const RECENT_RECORDS_MAX: usize = 12;
/// Most records a replica's log may hold for the snapshot to list them one by one.
pub const REPLICA_CELLS_MAX: usize = 8;

/// The whole picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// Simulated time.
    pub now: SimTime,
    /// The quorum's controllers, controller-1 first.
    pub controllers: Vec<ControllerView>,
    /// The active controller, if the quorum has one.
    pub active_controller: Option<ControllerId>,
    /// Brokers, by id.
    pub brokers: Vec<BrokerView>,
    /// Topics, internal ones included.
    pub topics: Vec<TopicView>,
    /// Every partition.
    pub partitions: Vec<PartitionView>,
    /// Messages in flight, earliest delivery first.
    pub messages: Vec<MessageView>,
    /// Messages dropped recently.
    pub dropped: Vec<DroppedView>,
    /// Consumer groups as their coordinators see them.
    pub groups: Vec<GroupView>,
    /// Faulty directions of single links (cut, slow or lossy), besides isolated nodes.
    pub links: Vec<LinkView>,
    /// Health figures.
    pub metrics: Metrics,
}

/// One faulty direction of a link.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LinkView {
    /// Sender's end.
    pub from: NodeId,
    /// Receiver's end.
    pub to: NodeId,
    /// What is wrong with it.
    pub fault: LinkFault,
}

/// Metadata records a controller view carries (the latest ones).
pub const METADATA_RECORDS_SHOWN: usize = 8;

/// One controller of the quorum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControllerView {
    /// Its id.
    pub id: ControllerId,
    /// Running.
    pub online: bool,
    /// Links cut.
    pub isolated: bool,
    /// Its quorum role while it runs.
    pub role: Option<QuorumRole>,
    /// Whether it is the active controller.
    pub active: bool,
    /// Its quorum epoch.
    pub epoch: u32,
    /// Whom it voted for in that epoch.
    pub voted_for: Option<ControllerId>,
    /// The quorum leader it knows.
    pub leader: Option<ControllerId>,
    /// End offset of its metadata log.
    pub metadata_end_offset: Offset,
    /// Its quorum high watermark (records below are committed).
    pub metadata_high_watermark: Offset,
    /// Its latest metadata log entries, newest last.
    pub recent_records: Vec<MetadataEntryView>,
}

/// One entry of a controller's metadata log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetadataEntryView {
    /// Its offset.
    pub offset: Offset,
    /// The quorum epoch that appended it.
    pub epoch: u32,
    /// Kafka's record type (`PartitionChangeRecord`...), or `LeaderChange` for a quorum entry.
    pub kind: &'static str,
    /// What it says, in short (`broker 2 fenced`, `orders-0 leader 3 epoch 2 ISR [3, 1]`).
    pub summary: String,
    /// Whether it is committed on that controller.
    pub committed: bool,
}

/// A broker.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BrokerView {
    /// Its id.
    pub id: BrokerId,
    /// Running.
    pub online: bool,
    /// Links cut.
    pub isolated: bool,
    /// Fenced by the controller (or not registered yet).
    pub fenced: bool,
    /// Running and not registered with the controller yet (just started or just added): it
    /// has not sent its first heartbeat, or its registration is not committed.
    pub registering: bool,
    /// Partitions it leads (as the controller says).
    pub leader_of: usize,
    /// How far it has applied the committed metadata log.
    pub metadata_offset: Offset,
    /// Groups it coordinates.
    pub coordinates: Vec<Rc<str>>,
    /// When the active controller will find its session expired and fence it, while its
    /// heartbeats are missing (none when it is fenced, heartbeating, or no controller is
    /// active).
    pub fence_due: Option<SimTime>,
    /// Its rack, when the brokers have racks.
    pub rack: Option<Rc<str>>,
    /// It asked for a controlled shutdown and waits to stop.
    pub shutting_down: bool,
    /// It left the cluster (removed): drawn as an empty place.
    pub left: bool,
}

/// A topic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicView {
    /// Its name.
    pub name: Rc<str>,
    /// Partition count.
    pub partitions: u32,
    /// Replication factor.
    pub replication_factor: u32,
    /// min.insync.replicas.
    pub min_insync_replicas: u32,
    /// Whether Kafka created it for itself.
    pub internal: bool,
}

/// A replica's role as its broker believes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaRole {
    /// Leads the partition.
    Leader,
    /// Fetches from the leader.
    Follower,
    /// Broker down or not yet told.
    Unknown,
}

/// One replica of a partition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicaView {
    /// Its broker.
    pub broker: BrokerId,
    /// What the broker believes it is.
    pub role: ReplicaRole,
    /// In the controller's ISR.
    pub in_isr: bool,
    /// Broker running.
    pub online: bool,
    /// Log end offset.
    pub log_end_offset: Offset,
    /// High watermark as this replica knows it.
    pub high_watermark: Offset,
    /// First retained offset.
    pub log_start_offset: Offset,
    /// Latest epoch in its leader-epoch cache.
    pub latest_epoch: Option<LeaderEpoch>,
    /// Its own records, when its log is small (at most [`REPLICA_CELLS_MAX`], from offset 0,
    /// not an internal topic): the page draws them one by one. `committed` is below this
    /// replica's high watermark.
    pub cells: Vec<RecordView>,
}

/// A record as drawn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordView {
    /// Offset.
    pub offset: Offset,
    /// Leader epoch it was written in.
    pub leader_epoch: LeaderEpoch,
    /// Key.
    pub key: Option<Rc<str>>,
    /// Value.
    pub value: Rc<str>,
    /// Below the high watermark.
    pub committed: bool,
}

/// One partition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartitionView {
    /// Which.
    pub tp: TopicPartition,
    /// Its topic's name.
    pub topic: Rc<str>,
    /// Leader per the controller.
    pub leader: Option<BrokerId>,
    /// Leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// Assigned replicas, preferred first.
    pub replicas: Vec<BrokerId>,
    /// In-sync replicas.
    pub isr: Vec<BrokerId>,
    /// Replicas a running reassignment adds.
    pub adding: Vec<BrokerId>,
    /// Replicas a running reassignment removes.
    pub removing: Vec<BrokerId>,
    /// The leader's high watermark (or the best replica's when offline).
    pub high_watermark: Offset,
    /// The leader's log end offset.
    pub log_end_offset: Offset,
    /// Per replica.
    pub replica_states: Vec<ReplicaView>,
    /// The last records of the leader's log (or the most complete replica's).
    pub recent_records: Vec<RecordView>,
    /// Records the reference replica holds (fewer than its LEO once retention or the log
    /// cleaner removed some).
    pub retained_records: usize,
    /// No leader.
    pub offline: bool,
    /// |ISR| < replication factor.
    pub under_replicated: bool,
    /// |ISR| < min.insync.replicas: acks=all writes are refused.
    pub under_min_isr: bool,
    /// Whether it belongs to an internal topic.
    pub internal: bool,
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageView {
    /// Its id.
    pub id: MessageId,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Traffic kind.
    pub kind: MessageKind,
    /// Kafka API name.
    pub api: &'static str,
    /// A one-line summary of the content.
    pub summary: String,
    /// The partitions a fetch or its answer carries, one line each.
    pub partitions: Vec<String>,
    /// Sent at.
    pub sent_at: SimTime,
    /// Arrives at.
    pub deliver_at: SimTime,
    /// Records carried.
    pub records: usize,
}

/// A message that was dropped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DroppedView {
    /// The message.
    pub message: MessageView,
    /// When.
    pub dropped_at: SimTime,
    /// Why.
    pub reason: DropReason,
}

/// A consumer group member.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberView {
    /// The member (client) id.
    pub id: ClientId,
    /// Its partitions.
    pub partitions: Vec<TopicPartition>,
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupView {
    /// Group id.
    pub group: Rc<str>,
    /// Coordinator broker.
    pub coordinator: Option<BrokerId>,
    /// Generation.
    pub generation: u32,
    /// "stable", "rebalancing" or "empty".
    pub state: &'static str,
    /// Members.
    pub members: Vec<MemberView>,
    /// Committed offsets.
    pub committed: Vec<(TopicPartition, Offset)>,
    /// HW minus committed offset, per partition of the subscribed topics.
    pub lag: Vec<(TopicPartition, u64)>,
}

/// Health figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Partitions with |ISR| below the replication factor.
    pub under_replicated: usize,
    /// Partitions with no leader.
    pub offline: usize,
    /// Acknowledged records no longer in their partition's log.
    pub lost_acked: usize,
    /// Counters.
    pub counters: Counters,
}

impl Simulation {
    /// When `b`'s session runs out, if its heartbeats are late (more than one and a half
    /// heartbeat intervals since the last one the active controller heard).
    fn fence_due(&self, b: BrokerId) -> Option<SimTime> {
        let cluster = &self.config.cluster;
        let last = self
            .controllers
            .iter()
            .find(|c| c.is_active())?
            .last_heartbeat(b)?;
        let late = self.now.saturating_sub(last) * 2 > cluster.broker_heartbeat_interval_ms * 3;
        late.then_some(last + cluster.broker_session_timeout_ms)
    }

    /// The picture of the world now.
    pub fn snapshot(&self) -> Snapshot {
        let brokers = self
            .brokers
            .values()
            .map(|b| BrokerView {
                id: b.id(),
                online: b.online(),
                isolated: self.links.is_isolated(NodeId::Broker(b.id())),
                fenced: self.broker_fenced(b.id()),
                registering: b.online() && !b.left() && self.metadata().broker(b.id()).is_none(),
                leader_of: self
                    .metadata()
                    .partitions()
                    .filter(|(_, p)| p.leader == Some(b.id()))
                    .count(),
                metadata_offset: b.metadata_offset(),
                fence_due: self.fence_due(b.id()),
                coordinates: if b.online() {
                    b.coordinator().group_names().cloned().collect()
                } else {
                    Vec::new()
                },
                rack: self
                    .config
                    .cluster
                    .racks
                    .get(b.id().0 as usize - 1)
                    .map(|r| Rc::from(r.as_str())),
                shutting_down: b.shutting_down(),
                left: b.left(),
            })
            .collect();
        let topics = self
            .topics
            .iter()
            .map(|t| TopicView {
                name: t.name.clone(),
                partitions: t.config.partitions,
                replication_factor: t.config.replication_factor,
                min_insync_replicas: t.config.min_insync_replicas,
                internal: t.internal,
            })
            .collect();
        let partitions: Vec<PartitionView> = self
            .partitions()
            .filter(|tp| self.partition_state(*tp).is_some())
            .map(|tp| self.partition_view(tp))
            .collect();
        let messages = self.in_flight().map(|m| self.message_view(m)).collect();
        let dropped = self
            .dropped
            .iter()
            .map(|d| DroppedView {
                message: self.message_view(&d.message),
                dropped_at: d.dropped_at,
                reason: d.reason,
            })
            .collect();
        let metrics = Metrics {
            under_replicated: partitions.iter().filter(|p| p.under_replicated).count(),
            offline: partitions.iter().filter(|p| p.offline).count(),
            lost_acked: self.lost_acked().len(),
            counters: self.counters.clone(),
        };
        Snapshot {
            now: self.now,
            controllers: self
                .controllers
                .iter()
                .map(|c| self.controller_view(c))
                .collect(),
            active_controller: self.active_controller(),
            brokers,
            topics,
            groups: self.group_views(&partitions),
            partitions,
            messages,
            dropped,
            links: self
                .link_faults()
                .map(|(from, to, fault)| LinkView { from, to, fault })
                .collect(),
            metrics,
        }
    }

    fn controller_view(&self, c: &Controller) -> ControllerView {
        let entries = c.log_entries();
        let hw = c.metadata_high_watermark();
        let from = entries.len().saturating_sub(METADATA_RECORDS_SHOWN);
        let recent_records = entries[from..]
            .iter()
            .map(|e| {
                let (kind, summary) = match &e.data {
                    EntryData::LeaderChange { leader } => {
                        ("LeaderChange", format!("controller-{leader} leads"))
                    }
                    EntryData::Record(r) => (r.type_name(), self.describe_record(r)),
                };
                MetadataEntryView {
                    offset: e.offset,
                    epoch: e.epoch,
                    kind,
                    summary,
                    committed: e.offset < hw,
                }
            })
            .collect();
        ControllerView {
            id: c.id(),
            online: c.online(),
            isolated: self.links.is_isolated(NodeId::Controller(c.id())),
            role: c.role(),
            active: c.is_active(),
            epoch: c.epoch(),
            voted_for: c.voted_for(),
            leader: c.leader(),
            metadata_end_offset: c.metadata_end_offset(),
            metadata_high_watermark: hw,
            recent_records,
        }
    }

    fn describe_record(&self, r: &MetadataRecord) -> String {
        let ids = |v: &[BrokerId]| {
            let names: Vec<String> = v.iter().map(|b| b.0.to_string()).collect();
            format!("[{}]", names.join(", "))
        };
        match r {
            MetadataRecord::RegisterBroker {
                broker,
                incarnation,
                fenced,
            } => format!(
                "{broker} registered (epoch {incarnation}{})",
                if *fenced { ", fenced" } else { "" }
            ),
            MetadataRecord::FenceBroker { broker } => format!("{broker} fenced"),
            MetadataRecord::UnfenceBroker { broker } => format!("{broker} unfenced"),
            MetadataRecord::ControlledShutdown { broker } => {
                format!("{broker} in controlled shutdown")
            }
            MetadataRecord::UnregisterBroker { broker } => format!("{broker} unregistered"),
            MetadataRecord::TopicConfig {
                topic,
                min_insync_replicas,
            } => format!(
                "topic {} min.insync.replicas={min_insync_replicas}",
                self.topic_name(*topic)
            ),
            MetadataRecord::Topic { topic } => format!("topic {}", self.topic_name(*topic)),
            MetadataRecord::Partition(s) | MetadataRecord::PartitionChange { state: s, .. } => {
                let moving = if s.reassigning() {
                    format!(
                        " replicas {} adding {} removing {}",
                        ids(&s.replicas),
                        ids(&s.adding),
                        ids(&s.removing)
                    )
                } else {
                    String::new()
                };
                format!(
                    "{} leader {} epoch {} ISR {}{moving}",
                    self.partition_name(s.tp),
                    s.leader.map_or("none".to_string(), |l| l.0.to_string()),
                    s.leader_epoch,
                    ids(&s.isr)
                )
            }
        }
    }

    /// The replica whose log stands for the partition: the leader's, or the longest live one.
    pub(crate) fn reference_replica(&self, tp: TopicPartition) -> Option<BrokerId> {
        let state = self.partition_state(tp)?;
        if let Some(l) = state.leader {
            if self.brokers[&l].replica(tp).is_some() {
                return Some(l);
            }
        }
        state
            .replicas
            .iter()
            .copied()
            .filter(|b| self.brokers[b].replica(tp).is_some())
            .max_by_key(|b| {
                (
                    self.replica_log(*b, tp).map_or(0, |l| l.log_end_offset()),
                    std::cmp::Reverse(*b),
                )
            })
    }

    /// One partition's view.
    pub fn partition_view(&self, tp: TopicPartition) -> PartitionView {
        let topic = &self.topics[tp.topic.0 as usize];
        let state = self.partition_state(tp).expect("partition exists");
        let replica_states: Vec<ReplicaView> = state
            .replicas
            .iter()
            .map(|b| {
                let broker = &self.brokers[b];
                let r = broker.replica(tp);
                ReplicaView {
                    broker: *b,
                    role: match r.map(|r| r.role()) {
                        Some(RoleKind::Leader) if broker.online() => ReplicaRole::Leader,
                        Some(RoleKind::Follower) if broker.online() => ReplicaRole::Follower,
                        // A down broker's replica keeps the role the metadata gives it (the
                        // page draws it faded).
                        _ if !broker.online() && state.leader == Some(*b) => ReplicaRole::Leader,
                        _ if !broker.online() => ReplicaRole::Follower,
                        _ => ReplicaRole::Unknown,
                    },
                    in_isr: state.isr.contains(b),
                    online: broker.online(),
                    log_end_offset: r.map_or(0, |r| r.log().log_end_offset()),
                    high_watermark: r.map_or(0, |r| r.log().high_watermark()),
                    log_start_offset: r.map_or(0, |r| r.log().log_start_offset()),
                    latest_epoch: r.and_then(|r| r.log().latest_epoch()),
                    cells: match r {
                        Some(r) if !topic.internal => small_log(r.log()),
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
        let reference = self
            .reference_replica(tp)
            .and_then(|b| self.brokers[&b].replica(tp));
        let (hw, leo, recent_records, retained_records) = match reference {
            Some(r) => {
                let hw = r.log().high_watermark();
                let records = r.log().records();
                let skip = records.len().saturating_sub(RECENT_RECORDS_MAX);
                let recent = records
                    .iter()
                    .skip(skip)
                    .map(|rec| record_view(rec, hw))
                    .collect();
                (hw, r.log().log_end_offset(), recent, records.len())
            }
            None => (0, 0, Vec::new(), 0),
        };
        PartitionView {
            tp,
            topic: topic.name.clone(),
            leader: state.leader,
            leader_epoch: state.leader_epoch,
            replicas: state.replicas.clone(),
            isr: state.isr.clone(),
            adding: state.adding.clone(),
            removing: state.removing.clone(),
            high_watermark: hw,
            log_end_offset: leo,
            replica_states,
            recent_records,
            retained_records,
            offline: state.leader.is_none(),
            // Kafka keeps the origin's size until a reassignment completes: the replicas being
            // added do not count.
            under_replicated: state.isr.len() < state.replicas.len() - state.adding.len(),
            under_min_isr: state.isr.len() < topic.config.min_insync_replicas as usize,
            internal: topic.internal,
        }
    }

    /// A message's view with a one-line summary.
    pub fn message_view(&self, m: &crate::sim::network::Message) -> MessageView {
        MessageView {
            id: m.id,
            from: m.from,
            to: m.to,
            kind: m.payload.kind(),
            api: m.payload.api_name(),
            summary: self.summarize(&m.payload),
            partitions: self.message_parts(&m.payload),
            sent_at: m.sent_at,
            deliver_at: m.deliver_at,
            records: m.payload.record_count(),
        }
    }

    fn group_views(&self, partitions: &[PartitionView]) -> Vec<GroupView> {
        let mut groups: crate::sim::sorted_map::SortedMap<Rc<str>, GroupView> = Default::default();
        for k in self.consumers.values() {
            groups
                .entry(k.group().clone())
                .or_insert_with(|| GroupView {
                    group: k.group().clone(),
                    coordinator: None,
                    generation: 0,
                    state: "empty",
                    members: Vec::new(),
                    committed: Vec::new(),
                    lag: Vec::new(),
                });
        }
        for (name, view) in groups.iter_mut() {
            let tp = self.coordinator_partition(name);
            let coordinator = self.partition_state(tp).and_then(|s| s.leader);
            view.coordinator = coordinator;
            let Some(b) = coordinator.map(|c| &self.brokers[&c]) else {
                continue;
            };
            let coordinator = b.coordinator();
            if let Some(g) = coordinator.group(name).filter(|_| b.online()) {
                view.generation = g.generation();
                view.state = match g.phase() {
                    GroupPhase::Empty => "empty",
                    GroupPhase::PreparingRebalance { .. } => "rebalancing",
                    GroupPhase::Stable => "stable",
                };
                view.members = g
                    .members()
                    .map(|(id, m)| MemberView {
                        id: id.client,
                        partitions: m.assignment().to_vec(),
                    })
                    .collect();
            }
            view.committed = coordinator.committed(name).collect();
            let subscribed: Vec<Rc<str>> = self
                .consumers
                .values()
                .filter(|k| k.group() == name)
                .flat_map(|k| k.topics().iter().cloned())
                .collect();
            view.lag = partitions
                .iter()
                .filter(|p| subscribed.contains(&p.topic))
                .map(|p| {
                    let committed = view
                        .committed
                        .iter()
                        .find(|(tp, _)| *tp == p.tp)
                        .map_or(0, |(_, o)| *o);
                    (p.tp, p.high_watermark.saturating_sub(committed))
                })
                .collect();
        }
        groups.into_values().collect()
    }

    /// The log that stands for a partition: the leader's, or the most complete replica's.
    pub fn reference_log(&self, tp: TopicPartition) -> Option<&PartitionLog> {
        let b = self.reference_replica(tp)?;
        self.replica_log(b, tp)
    }

    /// Acknowledged records missing from (or replaced in) their partition's reference log, as
    /// the acknowledged-records oracle saw them. Records older than the log start (deleted by
    /// retention) are not counted.
    pub fn lost_acked(&self) -> Vec<(TopicPartition, Offset)> {
        let mut lost = Vec::new();
        for (tp, acked) in self.ledger.iter() {
            let log = self.reference_log(*tp);
            for (offset, (key, value)) in acked
                .iter()
                .flat_map(|(o, at)| at.iter().map(move |kv| (o, kv)))
            {
                let present = match log {
                    Some(log) if *offset < log.log_start_offset() => true,
                    Some(log) => log.record_at(*offset).is_some_and(|r| {
                        (Rc::ptr_eq(&r.data.value, value) || r.data.value == *value)
                            && r.data.key == *key
                    }),
                    None => false,
                };
                if !present {
                    lost.push((*tp, *offset));
                }
            }
        }
        lost
    }

    /// Values in the partition's reference log (the leader's, or the most complete replica's).
    pub fn partition_log_values(&self, tp: TopicPartition) -> Vec<String> {
        match self.reference_replica(tp) {
            Some(b) => self.replica_log_values(tp, b),
            None => Vec::new(),
        }
    }

    /// Values in one replica's log, in offset order.
    pub fn replica_log_values(&self, tp: TopicPartition, broker: BrokerId) -> Vec<String> {
        self.replica_log(broker, tp)
            .map(|log| {
                log.records()
                    .iter()
                    .map(|rec| rec.data.value.to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Drops acknowledgements older than the reference log's start (bounded memory).
    pub(super) fn prune_acked(&mut self) {
        let starts: Vec<(TopicPartition, Offset)> = self
            .ledger
            .partitions()
            .filter_map(|tp| Some((tp, self.reference_log(tp)?.log_start_offset())))
            .collect();
        for (tp, start) in starts {
            self.ledger.prune_below(tp, start);
        }
    }

    /// The phase of a consumer ("stable", "joining", ...), for the UI.
    pub fn consumer_phase(&self, c: ClientId) -> Option<&'static str> {
        let k = self.consumers.get(&c)?;
        Some(if !k.online() {
            "down"
        } else {
            match k.phase() {
                MemberPhase::Unjoined => "unjoined",
                MemberPhase::Joining => "joining",
                MemberPhase::Syncing => "syncing",
                MemberPhase::Stable => "stable",
            }
        })
    }
}

/// A log's records when it is small enough to draw one by one, else none.
fn small_log(log: &crate::sim::log::PartitionLog) -> Vec<RecordView> {
    let records = log.records();
    if records.len() > REPLICA_CELLS_MAX || log.log_start_offset() > 0 {
        return Vec::new();
    }
    let hw = log.high_watermark();
    records.iter().map(|rec| record_view(rec, hw)).collect()
}

/// A record as drawn, committed when below `hw`.
fn record_view(rec: &crate::sim::log::LogRecord, hw: Offset) -> RecordView {
    RecordView {
        offset: rec.offset,
        leader_epoch: rec.leader_epoch,
        key: rec.data.key.clone(),
        value: rec.data.value.clone(),
        committed: rec.offset < hw,
    }
}
