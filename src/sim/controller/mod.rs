//! A KRaft controller node: one voter of the metadata quorum and, while it is the active
//! controller, the cluster's rules (see [`rules`]).
//!
//! ```text
//!   Vote / BeginQuorumEpoch / Fetch ──► QuorumNode ──► sends, timers, role events
//!                                          │ committed entries (the quorum HW)
//!                                          ▼
//!                                    committed image ──► the events of each committed change
//!   BrokerHeartbeat / AlterPartition ──► rules (active only) ──► propose records
//!                                          ──► answers, sent once the records are committed
//! ```
//! The quorum leader becomes active once its epoch's first entry is committed (then it knows
//! every committed record). It acts only by appending records: its working image is the
//! committed one plus its own uncommitted records, and what it answers a broker waits for the
//! records the answer depends on to be committed. A follower only applies committed records.

pub mod metadata;
mod rules;

use crate::sim::sorted_map::SortedMap;
use std::collections::VecDeque;

use self::metadata::{bootstrap_records, topic_records, MetadataImage, MetadataRecord};
use super::events::EventKind;
use super::network::Payload;
use super::node::{Context, Outbox};
use super::quorum::log::{Entry, EntryData};
use super::quorum::{
    Peer, QuorumEffect, QuorumEpoch, QuorumEvent, QuorumMessage, QuorumNode, QuorumRole,
    QuorumTimer, QuorumTiming, VoterId,
};
use super::types::{
    BrokerId, ControllerId, NodeId, Offset, SimDuration, SimTime, TopicId, TopicPartition,
};

/// The controller's own timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerTimer {
    /// Fence a broker whose session expired (one per check, as Kafka does).
    SessionCheck,
    /// Move leadership back to preferred replicas where the imbalance is too high.
    ImbalanceCheck,
    /// A timer of its quorum voter.
    Quorum(QuorumTimer),
}

/// An admin request the active controller runs (Kafka's AlterPartitionReassignments,
/// CreatePartitions, IncrementalAlterConfigs and UnregisterBroker); its trip over the network is
/// not drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminOp {
    /// Move a partition to these replicas (KIP-455).
    Reassign {
        /// Which partition.
        tp: TopicPartition,
        /// The target replicas, the preferred leader first.
        replicas: Vec<BrokerId>,
    },
    /// Create partitions of a topic up to `count` in all.
    AddPartitions {
        /// Which topic.
        topic: TopicId,
        /// The new total.
        count: u32,
        /// Replicas per new partition.
        rf: u32,
    },
    /// Set a topic's `min.insync.replicas`.
    SetMinIsr {
        /// Which topic.
        topic: TopicId,
        /// The new value.
        min_insync_replicas: u32,
    },
    /// Remove a broker that is down from the cluster.
    Unregister {
        /// Which broker.
        broker: BrokerId,
    },
}

/// The network node of a quorum peer.
pub fn peer_node(peer: Peer) -> NodeId {
    match peer {
        Peer::Voter(v) => NodeId::Controller(ControllerId(v)),
        Peer::Observer(b) => NodeId::Broker(BrokerId(b)),
    }
}

/// The quorum peer of a network node (clients are not peers).
pub fn node_peer(node: NodeId) -> Option<Peer> {
    match node {
        NodeId::Controller(c) => Some(Peer::Voter(c.0)),
        NodeId::Broker(b) => Some(Peer::Observer(b.0)),
        NodeId::Client(_) => None,
    }
}

/// Hands a quorum node's send or timer to the node's outbox (timers wrapped by `wrap`);
/// returns an event for the caller to report as it sees fit.
pub fn forward_quorum_effect<R, T>(
    effect: QuorumEffect<R>,
    out: &mut Outbox<T>,
    wrap: impl Fn(QuorumTimer) -> T,
) -> Option<QuorumEvent>
where
    QuorumMessage<R>: Into<Payload>,
{
    match effect {
        QuorumEffect::Send { to, message } => {
            out.send(peer_node(to), message.into());
            None
        }
        QuorumEffect::Timer { timer, after } => {
            out.set_timer(after, wrap(timer));
            None
        }
        QuorumEffect::Event(e) => Some(e),
    }
}

/// The quorum timings of the world's settings.
pub fn quorum_timing(ctx: &Context) -> QuorumTiming {
    let c = &ctx.config.cluster;
    QuorumTiming {
        fetch_timeout_ms: c.controller_quorum_fetch_timeout_ms,
        election_timeout_ms: c.controller_quorum_election_timeout_ms,
        election_backoff_max_ms: c.controller_quorum_election_backoff_max_ms,
        ..QuorumTiming::kafka()
    }
}

/// The voter ids of a world with `controllers` controllers.
pub fn voter_ids(controllers: u32) -> Vec<VoterId> {
    (1..=controllers).collect()
}

/// What only the active controller holds.
#[derive(Clone, Debug)]
struct Active {
    /// The quorum epoch it is active in.
    epoch: QuorumEpoch,
    /// The committed image plus its own uncommitted records: what its rules decide on.
    image: MetadataImage,
    /// The last heartbeat of each broker (soft state: a new active controller gives every
    /// broker a full session).
    heartbeats: SortedMap<BrokerId, SimTime>,
    /// Answers held until the log is committed up to their offset.
    replies: VecDeque<(Offset, NodeId, Payload)>,
}

/// One controller process.
#[derive(Clone, Debug)]
pub struct Controller {
    id: ControllerId,
    online: bool,
    incarnation: u32,
    quorum: QuorumNode<MetadataRecord>,
    /// The image of the committed log it knows.
    committed: MetadataImage,
    active: Option<Active>,
}

impl Controller {
    /// Controller `id` of a quorum of `controllers`, not started yet.
    pub fn new(id: ControllerId, controllers: u32, timing: QuorumTiming, seed: u64) -> Self {
        Controller {
            id,
            online: false,
            incarnation: 0,
            quorum: QuorumNode::new(id.0, &voter_ids(controllers), timing, seed),
            committed: MetadataImage::new(),
            active: None,
        }
    }

    /// Writes the formatted metadata log (brokers registered, topics created, controller-1
    /// leading epoch 1); the first start resumes it. Returns the records, for the brokers.
    pub fn format(&mut self, brokers: &[BrokerId], ctx: &Context) -> Vec<MetadataRecord> {
        let records = bootstrap_records(brokers, ctx);
        self.quorum.format(1, records.clone());
        for entry in self.quorum.log().entries() {
            match &entry.data {
                EntryData::Record(r) => self.committed.apply(entry.offset, r),
                EntryData::LeaderChange { .. } => self.committed.skip(entry.offset),
            }
        }
        records
    }

    // ----- getters -----

    /// Its id.
    pub fn id(&self) -> ControllerId {
        self.id
    }

    /// Whether the process runs.
    pub fn online(&self) -> bool {
        self.online
    }

    /// Its process incarnation, bumped by every start (timers of older ones are inert).
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// Whether it is the active controller.
    pub fn is_active(&self) -> bool {
        self.online && self.active.is_some()
    }

    /// Its role in the quorum (none while down).
    pub fn role(&self) -> Option<QuorumRole> {
        self.online.then(|| self.quorum.role())
    }

    /// Its quorum epoch.
    pub fn epoch(&self) -> QuorumEpoch {
        self.quorum.epoch()
    }

    /// Whom it voted for in its epoch.
    pub fn voted_for(&self) -> Option<ControllerId> {
        self.quorum.voted_for().map(ControllerId)
    }

    /// The quorum leader it knows.
    pub fn leader(&self) -> Option<ControllerId> {
        self.online
            .then(|| self.quorum.leader().map(ControllerId))
            .flatten()
    }

    /// When this controller, if active, last heard a heartbeat from `b` (none: not active, or
    /// `b` is fenced in its image).
    pub fn last_heartbeat(&self, b: BrokerId) -> Option<SimTime> {
        let active = self.active.as_ref()?;
        if active.image.broker_fenced(b) {
            return None;
        }
        active.heartbeats.get(&b).copied()
    }

    /// The end offset of its copy of the metadata log.
    pub fn metadata_end_offset(&self) -> Offset {
        self.quorum.log().end_offset()
    }

    /// Its quorum high watermark: records below are committed.
    pub fn metadata_high_watermark(&self) -> Offset {
        self.committed.end_offset()
    }

    /// The image of the committed records it knows.
    pub fn metadata(&self) -> &MetadataImage {
        &self.committed
    }

    /// Its copy of the metadata log, oldest entry first.
    pub fn log_entries(&self) -> &[Entry<MetadataRecord>] {
        self.quorum.log().entries()
    }

    fn session_check_interval(ctx: &Context) -> SimDuration {
        (ctx.config.cluster.broker_session_timeout_ms / 8).clamp(50, 1000)
    }

    // ----- life cycle -----

    /// Starts a new incarnation: its quorum voter resumes with the epoch, vote and log it kept.
    pub fn start(&mut self, now: SimTime, ctx: &Context, out: &mut Outbox<ControllerTimer>) {
        if self.online {
            return;
        }
        let restart = self.incarnation > 0;
        self.online = true;
        self.incarnation += 1;
        self.quorum.start(now);
        out.set_timer(
            Self::session_check_interval(ctx),
            ControllerTimer::SessionCheck,
        );
        let imbalance = ctx.config.cluster.leader_imbalance_check_interval_ms;
        out.set_timer(imbalance, ControllerTimer::ImbalanceCheck);
        if restart {
            out.emit(EventKind::NodeRestarted {
                node: NodeId::Controller(self.id),
            });
        }
        self.sync(now, out);
    }

    /// The process dies: its log, epoch and vote stay (and with them the committed prefix it
    /// knew, which no leader ever truncates); its leadership and held answers are lost.
    pub fn crash(&mut self, out: &mut Outbox<ControllerTimer>) {
        if !self.online {
            return;
        }
        self.online = false;
        self.quorum.crash();
        self.active = None;
        out.emit(EventKind::NodeCrashed {
            node: NodeId::Controller(self.id),
        });
    }

    /// Creates the partitions of `topic` (replicas round-robin, preferred leader first); false
    /// when this controller is not active.
    pub fn create_topic(
        &mut self,
        now: SimTime,
        topic: TopicId,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) -> bool {
        if !self.is_active() {
            return false;
        }
        for r in topic_records(topic, ctx) {
            self.propose(r);
        }
        self.sync(now, out);
        true
    }

    // ----- inputs -----

    /// A message from a broker or another controller.
    pub fn handle_message(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        if !self.online {
            return;
        }
        match (from, payload) {
            (_, Payload::Quorum(message)) => {
                if let Some(peer) = node_peer(from) {
                    self.quorum.handle_message(now, peer, *message);
                }
            }
            (
                NodeId::Broker(b),
                Payload::BrokerHeartbeat {
                    incarnation,
                    metadata_offset,
                    want_shutdown,
                },
            ) => self.heartbeat(now, b, incarnation, metadata_offset, want_shutdown, ctx),
            (
                NodeId::Broker(b),
                Payload::AlterPartition {
                    tp,
                    leader_epoch,
                    partition_epoch,
                    new_isr,
                },
            ) if self.is_active() => {
                let result = self.alter_partition(b, tp, leader_epoch, partition_epoch, new_isr);
                let result = Box::new(result);
                self.reply_when_committed(from, Payload::AlterPartitionResponse { tp, result });
            }
            _ => {}
        }
        self.sync(now, out);
    }

    /// One of its timers fired.
    pub fn handle_timer(
        &mut self,
        now: SimTime,
        timer: ControllerTimer,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        if !self.online {
            return;
        }
        match timer {
            ControllerTimer::Quorum(t) => self.quorum.handle_timer(now, t),
            ControllerTimer::SessionCheck => {
                self.fence_one_expired(now, ctx);
                out.set_timer(
                    Self::session_check_interval(ctx),
                    ControllerTimer::SessionCheck,
                );
            }
            ControllerTimer::ImbalanceCheck => {
                if ctx.config.cluster.auto_leader_rebalance_enable {
                    self.rebalance_preferred_leaders(ctx);
                }
                let interval = ctx.config.cluster.leader_imbalance_check_interval_ms;
                out.set_timer(interval, ControllerTimer::ImbalanceCheck);
            }
        }
        self.sync(now, out);
    }

    /// An admin preferred leader election: every partition whose preferred replica (the first
    /// of its assignment) is in the ISR and eligible, but does not lead, is handed to it.
    pub fn elect_preferred_leaders(&mut self, now: SimTime, out: &mut Outbox<ControllerTimer>) {
        if !self.online {
            return;
        }
        self.elect_preferred();
        self.sync(now, out);
    }

    /// An admin operation on the metadata, run by the active controller: its records are
    /// appended to the log, and the error (nothing appended) said when it cannot run.
    pub fn operate(
        &mut self,
        now: SimTime,
        op: AdminOp,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) -> Result<(), String> {
        if !self.is_active() {
            return Err("this controller is not the active one".into());
        }
        let result = match op {
            AdminOp::Reassign { tp, replicas } => self.reassign(tp, replicas),
            AdminOp::AddPartitions { topic, count, rf } => {
                self.add_partitions(topic, count, rf, ctx)
            }
            AdminOp::SetMinIsr {
                topic,
                min_insync_replicas,
            } => {
                self.set_min_isr(topic, min_insync_replicas);
                Ok(())
            }
            AdminOp::Unregister { broker } => {
                self.unregister(broker, ctx);
                Ok(())
            }
        };
        self.sync(now, out);
        result
    }

    // ----- the quorum below -----

    /// Appends a record (the active controller only) and applies it to the working image.
    fn propose(&mut self, record: MetadataRecord) {
        let Some(active) = self.active.as_mut() else {
            return;
        };
        if let Some(offset) = self.quorum.propose(record.clone()) {
            active.image.apply(offset, &record);
        }
    }

    /// Sends `payload` to `to` once every record appended so far is committed.
    fn reply_when_committed(&mut self, to: NodeId, payload: Payload) {
        let end = self.quorum.log().end_offset();
        if let Some(active) = self.active.as_mut() {
            active.replies.push_back((end, to, payload));
        }
    }

    /// After every input: turns the quorum's effects into the node's, applies what was
    /// committed, takes up or gives up the active role, and sends the answers now committed.
    fn sync(&mut self, now: SimTime, out: &mut Outbox<ControllerTimer>) {
        for effect in self.quorum.take_effects() {
            match forward_quorum_effect(effect, out, ControllerTimer::Quorum) {
                None => {}
                Some(QuorumEvent::RoleChanged {
                    role,
                    epoch,
                    leader,
                }) => out.emit(EventKind::QuorumRoleChanged {
                    controller: self.id,
                    role,
                    epoch,
                    leader: leader.map(ControllerId),
                }),
                Some(QuorumEvent::Voted { candidate, epoch }) => out.emit(EventKind::QuorumVoted {
                    controller: self.id,
                    candidate: ControllerId(candidate),
                    epoch,
                }),
                Some(_) => {}
            }
        }
        let leading = self.quorum.role() == QuorumRole::Leader;
        if self
            .active
            .as_ref()
            .is_some_and(|a| !leading || a.epoch != self.quorum.epoch())
        {
            // It lost its leadership: uncommitted records and held answers are void.
            self.active = None;
        }
        self.apply_committed(leading, out);
        if self.active.is_none() && self.quorum.leader_ready() {
            let heartbeats = self.committed.brokers().map(|(b, _)| (*b, now)).collect();
            self.active = Some(Active {
                epoch: self.quorum.epoch(),
                image: self.committed.clone(),
                heartbeats,
                replies: VecDeque::new(),
            });
            out.emit(EventKind::ControllerActivated {
                controller: self.id,
                epoch: self.quorum.epoch(),
            });
        }
        let hw = self.committed.end_offset();
        if let Some(active) = self.active.as_mut() {
            while active.replies.front().is_some_and(|(at, _, _)| *at <= hw) {
                let (_, to, payload) = active.replies.pop_front().expect("checked");
                out.send(to, payload);
            }
        }
    }

    /// Applies the entries below the quorum HW to the committed image. The leader reports each
    /// change as it commits (the events the page, the counters and the tests read).
    fn apply_committed(&mut self, leading: bool, out: &mut Outbox<ControllerTimer>) {
        let hw = self.quorum.high_watermark();
        while self.committed.end_offset() < hw {
            let offset = self.committed.end_offset();
            let entry = self
                .quorum
                .log()
                .entry(offset)
                .expect("committed entries exist");
            match &entry.data {
                EntryData::Record(r) => {
                    if leading {
                        for e in rules::events_of(&self.committed, r) {
                            out.emit(e);
                        }
                    }
                    self.committed.apply(offset, r);
                }
                EntryData::LeaderChange { .. } => self.committed.skip(offset),
            }
        }
    }
}

#[cfg(test)]
mod tests;
