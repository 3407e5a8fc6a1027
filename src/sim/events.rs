//! Observable events the engine emits: what the UI's event log, the services and tests read.

use serde::Serialize;
use std::rc::Rc;

use super::network::{DropReason, ErrorCode, LinkFault};
use super::quorum::QuorumRole;
use super::types::{
    BrokerId, ClientId, ControllerId, LeaderEpoch, MessageId, NodeId, Offset, SendId, SimTime,
    TopicId, TopicPartition,
};

/// One thing that happened, at a simulated time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// When it happened.
    pub at: SimTime,
    /// What happened.
    pub kind: EventKind,
}

/// A record handed to a consumer application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsumedRecord {
    /// Where it was read from.
    pub tp: TopicPartition,
    /// Its offset.
    pub offset: Offset,
    /// Its key.
    pub key: Option<Rc<str>>,
    /// Its value.
    pub value: Rc<str>,
    /// When its producer created it.
    pub timestamp: SimTime,
}

/// Everything the engine reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A message never arrived.
    MessageDropped {
        /// The message.
        id: MessageId,
        /// Its sender.
        from: NodeId,
        /// Its receiver.
        to: NodeId,
        /// Its API.
        api: &'static str,
        /// Why it was lost.
        reason: DropReason,
    },
    /// A node crashed (by command).
    NodeCrashed {
        /// Which.
        node: NodeId,
    },
    /// A node restarted.
    NodeRestarted {
        /// Which.
        node: NodeId,
    },
    /// A node's links were cut.
    NodeIsolated {
        /// Which.
        node: NodeId,
    },
    /// A node's links were restored.
    NodeHealed {
        /// Which.
        node: NodeId,
    },
    /// One direction of a link between two nodes changed (cut, slowed, lossy or healed).
    LinkChanged {
        /// The sender's end.
        from: NodeId,
        /// The receiver's end.
        to: NodeId,
        /// What is wrong with it now; none when healthy again.
        fault: Option<LinkFault>,
    },
    /// The controller registered a (re)starting broker.
    BrokerRegistered {
        /// Which.
        broker: BrokerId,
    },
    /// The controller fenced a broker that missed its session timeout.
    BrokerFenced {
        /// Which.
        broker: BrokerId,
    },
    /// The controller unfenced a broker that caught up with the metadata.
    BrokerUnfenced {
        /// Which.
        broker: BrokerId,
    },
    /// A broker asked for a controlled shutdown: its leaderships move away.
    BrokerControlledShutdown {
        /// Which.
        broker: BrokerId,
    },
    /// A broker left the cluster (unregistered).
    BrokerUnregistered {
        /// Which.
        broker: BrokerId,
    },
    /// A broker stopped after its controlled shutdown.
    BrokerStopped {
        /// Which.
        broker: BrokerId,
    },
    /// A broker joined the cluster while it ran.
    BrokerAdded {
        /// Which.
        broker: BrokerId,
        /// Its rack, if racks are set.
        rack: Option<String>,
    },
    /// A broker deleted its replica of a partition reassigned away from it.
    ReplicaDeleted {
        /// Which broker.
        broker: BrokerId,
        /// Which partition.
        tp: TopicPartition,
        /// How many records its log held.
        records: Offset,
    },
    /// A topic's `min.insync.replicas` changed (a committed ConfigRecord).
    TopicConfigChanged {
        /// Which topic.
        topic: TopicId,
        /// The new value.
        min_insync_replicas: u32,
    },
    /// A partition was created (a committed PartitionRecord).
    PartitionCreated {
        /// Which.
        tp: TopicPartition,
        /// Its replicas.
        replicas: Vec<BrokerId>,
    },
    /// A partition's replica set changed: a reassignment started, moved on or completed.
    ReplicasChanged {
        /// Which.
        tp: TopicPartition,
        /// The replicas now (the target first, then those it leaves).
        replicas: Vec<BrokerId>,
        /// Replicas being added.
        adding: Vec<BrokerId>,
        /// Replicas being removed.
        removing: Vec<BrokerId>,
        /// The replicas before.
        previous: Vec<BrokerId>,
    },
    /// A controller's role in the metadata quorum changed.
    QuorumRoleChanged {
        /// Which controller.
        controller: ControllerId,
        /// Its new role.
        role: QuorumRole,
        /// Its quorum epoch.
        epoch: u32,
        /// The leader it knows (itself when it leads).
        leader: Option<ControllerId>,
    },
    /// A controller voted in a quorum election.
    QuorumVoted {
        /// The voter.
        controller: ControllerId,
        /// Whom it voted for.
        candidate: ControllerId,
        /// In which epoch.
        epoch: u32,
    },
    /// The quorum leader's epoch is committed: it is now the active controller.
    ControllerActivated {
        /// Which controller.
        controller: ControllerId,
        /// Its epoch.
        epoch: u32,
    },
    /// The controller changed a partition's leader (or took it offline).
    LeaderChanged {
        /// Which partition.
        tp: TopicPartition,
        /// The new leader, none when offline.
        leader: Option<BrokerId>,
        /// The previous leader.
        previous: Option<BrokerId>,
        /// The new leader epoch.
        leader_epoch: LeaderEpoch,
        /// Whether the leader came from outside the ISR.
        unclean: bool,
        /// Why the controller acted.
        reason: &'static str,
    },
    /// The controller committed a new ISR.
    IsrChanged {
        /// Which partition.
        tp: TopicPartition,
        /// The new ISR.
        isr: Vec<BrokerId>,
        /// The previous ISR.
        previous: Vec<BrokerId>,
    },
    /// A replica cut the tail of its log to agree with the leader.
    Truncated {
        /// Which broker.
        broker: BrokerId,
        /// Which partition.
        tp: TopicPartition,
        /// Its LEO before.
        from: Offset,
        /// Its LEO after.
        to: Offset,
    },
    /// A produce request got an error response (it may still be retried).
    ProduceError {
        /// Which producer.
        producer: ClientId,
        /// Which partition.
        tp: TopicPartition,
        /// The error.
        error: ErrorCode,
        /// Whether the producer will retry.
        retrying: bool,
    },
    /// A send was acknowledged.
    ProduceAcked {
        /// Which producer.
        producer: ClientId,
        /// Which send.
        send: SendId,
        /// Where the record is.
        tp: TopicPartition,
        /// Its offset.
        offset: Offset,
    },
    /// A send with acks=0 left the producer; nobody will confirm it.
    ProduceSentUnacknowledged {
        /// Which producer.
        producer: ClientId,
        /// Which send.
        send: SendId,
        /// Where it went.
        tp: TopicPartition,
    },
    /// A send failed for good.
    ProduceFailed {
        /// Which producer.
        producer: ClientId,
        /// Which send.
        send: SendId,
        /// Which partition it was for.
        tp: TopicPartition,
        /// The last error.
        error: ErrorCode,
    },
    /// The producer process crashed with this send unanswered: nobody is left to learn its
    /// outcome (it may still have been written).
    ProduceAbandoned {
        /// Which producer.
        producer: ClientId,
        /// Which send.
        send: SendId,
        /// Which partition it was for.
        tp: TopicPartition,
    },
    /// A broker recognised a retried batch and returned its original offset.
    DuplicateSuppressed {
        /// Which broker.
        broker: BrokerId,
        /// Which partition.
        tp: TopicPartition,
        /// The original first offset.
        offset: Offset,
    },
    /// Records reached a consumer application.
    RecordsDelivered {
        /// Which consumer.
        consumer: ClientId,
        /// The records, in offset order.
        records: Vec<ConsumedRecord>,
    },
    /// A consumer's position was reset (no committed offset, or out of range).
    OffsetReset {
        /// Which consumer.
        consumer: ClientId,
        /// Which partition.
        tp: TopicPartition,
        /// The new position.
        offset: Offset,
    },
    /// Offsets were committed.
    OffsetsCommitted {
        /// Which consumer.
        consumer: ClientId,
        /// The positions.
        offsets: Vec<(TopicPartition, Offset)>,
    },
    /// A commit failed.
    CommitFailed {
        /// Which consumer.
        consumer: ClientId,
        /// Why.
        error: ErrorCode,
    },
    /// A group completed a rebalance.
    GroupRebalanced {
        /// Which group.
        group: Rc<str>,
        /// Its new generation.
        generation: u32,
        /// Members and their partitions.
        assignment: Vec<(ClientId, Vec<TopicPartition>)>,
    },
    /// A consumer got its partitions.
    PartitionsAssigned {
        /// Which consumer.
        consumer: ClientId,
        /// Its partitions.
        partitions: Vec<TopicPartition>,
    },
    /// A consumer gave up its partitions before rejoining.
    PartitionsRevoked {
        /// Which consumer.
        consumer: ClientId,
    },
    /// The coordinator removed a member that stopped heartbeating.
    MemberExpired {
        /// Which group.
        group: Rc<str>,
        /// Which member.
        member: ClientId,
    },
    /// An application timer fired.
    AppTimer {
        /// Whose.
        client: ClientId,
        /// The token it was set with.
        token: u64,
    },
}

/// `tag + 64 * value`, wrapping: a number per event for the trace hash.
fn tagged(tag: u64, value: u64) -> u64 {
    tag.wrapping_add(value.wrapping_mul(64))
}

impl EventKind {
    /// A small number per variant, mixed into the trace hash.
    pub fn code(&self) -> u64 {
        match self {
            EventKind::MessageDropped { .. } => 1,
            EventKind::NodeCrashed { .. } => 2,
            EventKind::NodeRestarted { .. } => 3,
            EventKind::NodeIsolated { .. } => 4,
            EventKind::NodeHealed { .. } => 5,
            EventKind::BrokerRegistered { .. } => 6,
            EventKind::BrokerFenced { .. } => 7,
            EventKind::BrokerUnfenced { .. } => 8,
            EventKind::LeaderChanged { leader_epoch, .. } => tagged(9, *leader_epoch as u64),
            EventKind::IsrChanged { isr, .. } => tagged(10, isr.len() as u64),
            EventKind::Truncated { to, .. } => tagged(11, *to),
            EventKind::ProduceError { .. } => 12,
            EventKind::ProduceAcked { offset, .. } => tagged(13, *offset),
            EventKind::ProduceSentUnacknowledged { .. } => 14,
            EventKind::ProduceFailed { .. } => 15,
            EventKind::ProduceAbandoned { .. } => 27,
            EventKind::DuplicateSuppressed { .. } => 16,
            EventKind::RecordsDelivered { records, .. } => tagged(17, records.len() as u64),
            EventKind::OffsetReset { offset, .. } => tagged(18, *offset),
            EventKind::OffsetsCommitted { .. } => 19,
            EventKind::CommitFailed { .. } => 20,
            EventKind::GroupRebalanced { generation, .. } => tagged(21, *generation as u64),
            EventKind::PartitionsAssigned { .. } => 22,
            EventKind::PartitionsRevoked { .. } => 23,
            EventKind::MemberExpired { .. } => 24,
            EventKind::AppTimer { token, .. } => tagged(25, *token),
            EventKind::LinkChanged { fault, .. } => tagged(26, u64::from(fault.is_some())),
            EventKind::QuorumRoleChanged { epoch, .. } => tagged(28, u64::from(*epoch)),
            EventKind::QuorumVoted { epoch, .. } => tagged(29, u64::from(*epoch)),
            EventKind::ControllerActivated { epoch, .. } => tagged(30, u64::from(*epoch)),
            EventKind::BrokerControlledShutdown { broker } => tagged(31, u64::from(broker.0)),
            EventKind::BrokerUnregistered { broker } => tagged(32, u64::from(broker.0)),
            EventKind::BrokerStopped { broker } => tagged(33, u64::from(broker.0)),
            EventKind::BrokerAdded { broker, .. } => tagged(34, u64::from(broker.0)),
            EventKind::TopicConfigChanged {
                min_insync_replicas,
                ..
            } => tagged(35, u64::from(*min_insync_replicas)),
            EventKind::PartitionCreated { tp, .. } => tagged(36, u64::from(tp.partition)),
            EventKind::ReplicaDeleted { broker, .. } => tagged(38, u64::from(broker.0)),
            EventKind::ReplicasChanged { replicas, .. } => tagged(37, replicas.len() as u64),
        }
    }

    /// The event-log category: elections, isr, produce, consumer, network, nodes.
    pub fn category(&self) -> &'static str {
        match self {
            EventKind::LeaderChanged { .. } => "election",
            EventKind::QuorumRoleChanged { .. }
            | EventKind::QuorumVoted { .. }
            | EventKind::ControllerActivated { .. } => "quorum",
            EventKind::IsrChanged { .. } | EventKind::Truncated { .. } => "isr",
            EventKind::ProduceError { .. }
            | EventKind::ProduceAcked { .. }
            | EventKind::ProduceSentUnacknowledged { .. }
            | EventKind::ProduceFailed { .. }
            | EventKind::ProduceAbandoned { .. }
            | EventKind::DuplicateSuppressed { .. } => "produce",
            EventKind::RecordsDelivered { .. }
            | EventKind::OffsetReset { .. }
            | EventKind::OffsetsCommitted { .. }
            | EventKind::CommitFailed { .. }
            | EventKind::GroupRebalanced { .. }
            | EventKind::PartitionsAssigned { .. }
            | EventKind::PartitionsRevoked { .. }
            | EventKind::MemberExpired { .. } => "consumer",
            EventKind::MessageDropped { .. } | EventKind::LinkChanged { .. } => "network",
            EventKind::NodeCrashed { .. }
            | EventKind::NodeRestarted { .. }
            | EventKind::NodeIsolated { .. }
            | EventKind::NodeHealed { .. }
            | EventKind::BrokerRegistered { .. }
            | EventKind::BrokerFenced { .. }
            | EventKind::BrokerUnfenced { .. }
            | EventKind::BrokerControlledShutdown { .. }
            | EventKind::BrokerUnregistered { .. }
            | EventKind::BrokerStopped { .. }
            | EventKind::BrokerAdded { .. } => "nodes",
            EventKind::TopicConfigChanged { .. }
            | EventKind::PartitionCreated { .. }
            | EventKind::ReplicaDeleted { .. }
            | EventKind::ReplicasChanged { .. } => "operations",
            EventKind::AppTimer { .. } => "app",
        }
    }
}
