//! Messages that cross the simulated network: their payloads, kinds and errors, and link state.

use crate::sim::sorted_map::SortedMap;
use crate::sim::sorted_map::SortedSet;
use serde::Serialize;
use std::fmt;
use std::rc::Rc;

use super::config::Acks;
use super::controller::metadata::MetadataRecord;
use super::quorum::QuorumMessage;
use super::types::{
    BrokerId, ClientId, LeaderEpoch, MemberId, MessageId, NodeId, Offset, ProducerId, SimTime,
    TopicPartition,
};

/// Kafka error codes the engine produces, named as Kafka names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The broker is not the leader (or a follower) of this partition.
    NotLeaderOrFollower,
    /// The request carried an older leader epoch than the broker's.
    FencedLeaderEpoch,
    /// acks=all and the ISR is smaller than min.insync.replicas: nothing was appended.
    NotEnoughReplicas,
    /// Appended, but the ISR shrank below min.insync.replicas before the ack.
    NotEnoughReplicasAfterAppend,
    /// No answer within the request timeout.
    RequestTimedOut,
    /// The connection broke (the broker process is gone).
    NetworkException,
    /// An idempotent batch whose sequence does not follow the last one.
    OutOfOrderSequenceNumber,
    /// The fetch offset is outside the log.
    OffsetOutOfRange,
    /// The broker is not the group coordinator.
    NotCoordinator,
    /// The group is rebalancing: rejoin.
    RebalanceInProgress,
    /// The leader knows no fetch session with the request's id (it restarted, or evicted it):
    /// the follower opens a new one with a full fetch.
    FetchSessionIdNotFound,
    /// The request's session epoch is not the one the leader expects: full fetch again.
    InvalidFetchSessionEpoch,
    /// The member's generation is stale.
    IllegalGeneration,
    /// The coordinator does not know the member.
    UnknownMemberId,
    /// The controller refused the ISR change.
    InvalidUpdateVersion,
    /// The send was not acknowledged within delivery.timeout.ms.
    DeliveryTimeout,
}

impl ErrorCode {
    /// Whether a producer may retry after this error.
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            ErrorCode::NotLeaderOrFollower
                | ErrorCode::FencedLeaderEpoch
                | ErrorCode::NotEnoughReplicas
                | ErrorCode::NotEnoughReplicasAfterAppend
                | ErrorCode::RequestTimedOut
                | ErrorCode::NetworkException
                | ErrorCode::NotCoordinator
        )
    }

    /// Kafka's name for the error.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            ErrorCode::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            ErrorCode::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            ErrorCode::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ErrorCode::RequestTimedOut => "REQUEST_TIMED_OUT",
            ErrorCode::NetworkException => "NETWORK_EXCEPTION",
            ErrorCode::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            ErrorCode::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            ErrorCode::NotCoordinator => "NOT_COORDINATOR",
            ErrorCode::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
            ErrorCode::FetchSessionIdNotFound => "FETCH_SESSION_ID_NOT_FOUND",
            ErrorCode::InvalidFetchSessionEpoch => "INVALID_FETCH_SESSION_EPOCH",
            ErrorCode::IllegalGeneration => "ILLEGAL_GENERATION",
            ErrorCode::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            ErrorCode::InvalidUpdateVersion => "INVALID_UPDATE_VERSION",
            ErrorCode::DeliveryTimeout => "DELIVERY_TIMEOUT",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a producer hands to the cluster: one record before it has an offset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordData {
    /// The record key (null keys use the sticky partition).
    pub key: Option<Rc<str>>,
    /// The record value (the services put JSON here).
    pub value: Rc<str>,
    /// Creation time at the producer.
    pub timestamp: SimTime,
}

/// The controller's view of one partition, pushed to brokers and served to clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartitionState {
    /// Which partition.
    pub tp: TopicPartition,
    /// Current leader, or none when the partition is offline.
    pub leader: Option<BrokerId>,
    /// Current leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// Bumped on every change of leader or ISR (KRaft's partition epoch).
    pub partition_epoch: u32,
    /// Assigned replicas in preference order (the first is the preferred leader).
    pub replicas: Vec<BrokerId>,
    /// In-sync replicas.
    pub isr: Vec<BrokerId>,
    /// Replicas a reassignment adds (KIP-455): they fetch as followers and count for nothing
    /// until they join the ISR.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adding: Vec<BrokerId>,
    /// Replicas a reassignment removes once every target replica is in sync.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removing: Vec<BrokerId>,
}

impl PartitionState {
    /// The replicas a running reassignment moves to (all of them when none runs).
    pub fn target_replicas(&self) -> impl Iterator<Item = BrokerId> + '_ {
        self.replicas
            .iter()
            .copied()
            .filter(|r| !self.removing.contains(r))
    }

    /// Whether a reassignment runs.
    pub fn reassigning(&self) -> bool {
        !self.adding.is_empty() || !self.removing.is_empty()
    }
}

/// A record in a fetch response: offset, leader epoch, content, idempotent producer and sequence.
pub type FetchedRecord = (Offset, LeaderEpoch, RecordData, Option<(ProducerId, u32)>);

/// Where a follower's replica of one partition stands, as a fetch tells its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FetchPosition {
    /// The follower's log end offset: where it reads next.
    pub fetch_offset: Offset,
    /// Epoch of the follower's last record, for divergence checks.
    pub last_fetched_epoch: Option<LeaderEpoch>,
    /// The leader epoch the follower knows.
    pub leader_epoch: LeaderEpoch,
}

/// What a fetch response carries back to a follower or a consumer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum FetchResult {
    /// Records from the fetch offset (maybe none) and the leader's high watermark.
    Records {
        /// The records, in offset order.
        records: Vec<FetchedRecord>,
        /// The leader's high watermark.
        high_watermark: Offset,
        /// The leader's log start offset.
        log_start_offset: Offset,
    },
    /// The follower's log diverges from the leader's: truncate to at most `end_offset`.
    Diverging {
        /// The largest epoch the leader has at or below the follower's last fetched epoch.
        epoch: LeaderEpoch,
        /// Where that epoch ends in the leader's log.
        end_offset: Offset,
    },
    /// The fetch failed.
    Error(ErrorCode),
}

/// A member's assignment as the coordinator hands it out.
pub type Assignment = Vec<TopicPartition>;

/// Everything that can travel between two nodes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Payload {
    /// Broker to the active controller: "I am alive" (the first of an incarnation registers).
    BrokerHeartbeat {
        /// The broker process's incarnation: a new one means it restarted (Kafka's broker epoch).
        incarnation: u32,
        /// How far the broker has applied the metadata log.
        metadata_offset: Offset,
        /// It asks for a controlled shutdown (Kafka's `wantShutDown`).
        want_shutdown: bool,
    },
    /// Controller to broker: heartbeat answer with whether the broker is fenced.
    BrokerHeartbeatResponse {
        /// True while the controller considers the broker fenced.
        fenced: bool,
        /// It may stop now: it leads nothing and is in no ISR it could leave (Kafka's
        /// `shouldShutDown`).
        should_shutdown: bool,
    },
    /// The metadata quorum's Vote, BeginQuorumEpoch and Fetch (controllers, and brokers
    /// following the log), boxed: most messages are smaller.
    Quorum(Box<QuorumMessage<MetadataRecord>>),
    /// Partition leader to controller: ask to change the ISR (KIP-497).
    AlterPartition {
        /// Which partition.
        tp: TopicPartition,
        /// The leader epoch the leader acts in.
        leader_epoch: LeaderEpoch,
        /// The partition epoch the request is based on.
        partition_epoch: u32,
        /// The ISR the leader asks for.
        new_isr: Vec<BrokerId>,
    },
    /// Controller to leader: the committed state, or why not.
    AlterPartitionResponse {
        /// Which partition.
        tp: TopicPartition,
        /// The committed partition state or an error (boxed: the rare answer would otherwise
        /// size every message).
        result: Box<Result<PartitionState, ErrorCode>>,
    },
    /// Follower to leader: one fetch for every partition the follower broker follows on the
    /// leader broker, in a fetch session (KIP-227). A full fetch (`session_id` 0) lists them
    /// all and opens a session; an incremental one lists only the partitions whose position
    /// changed since the previous request, and the leader reads the others where it last saw
    /// them.
    ReplicaFetch {
        /// Follower-local request id.
        request_id: u64,
        /// The session this request belongs to, or 0 to open a new one (a full fetch).
        session_id: u64,
        /// The request's place in the session (0 for a full fetch, then 1, 2, ...).
        session_epoch: u32,
        /// The partitions whose position is new to the session, in partition order.
        partitions: Vec<(TopicPartition, FetchPosition)>,
        /// Partitions that leave the session (no longer followed here, or backing off).
        forgotten: Vec<TopicPartition>,
    },
    /// Leader to follower: what is new in the session's partitions.
    ReplicaFetchResponse {
        /// The request this answers.
        request_id: u64,
        /// The session the leader keeps for this follower (0 when there is none).
        session_id: u64,
        /// Why the leader refused the session (the follower then sends a full fetch).
        error: Option<ErrorCode>,
        /// The partitions with something to say: records, a new high watermark or log start,
        /// a divergence or an error. The others have nothing new.
        partitions: Vec<(TopicPartition, FetchResult)>,
    },
    /// Client to broker: which brokers lead which partitions?
    MetadataRequest,
    /// Broker to client: its view of every partition.
    MetadataResponse {
        /// All partitions the broker knows.
        partitions: Vec<PartitionState>,
    },
    /// Producer to leader: append a batch.
    Produce {
        /// Producer-local request id.
        request_id: u64,
        /// Which partition.
        tp: TopicPartition,
        /// Required acknowledgements.
        acks: Acks,
        /// Idempotent producer id and base sequence.
        idempotence: Option<(ProducerId, u32)>,
        /// The batch.
        records: Vec<RecordData>,
        /// How long the broker may hold an acks=all request, in ms (32 bits, as Kafka's
        /// `timeout_ms` field: it keeps this, the most common request, within 72 bytes).
        timeout_ms: u32,
    },
    /// Leader to producer: base offset or error.
    ProduceResponse {
        /// The request this answers.
        request_id: u64,
        /// Which partition.
        tp: TopicPartition,
        /// Base offset of the batch, or an error.
        result: Result<Offset, ErrorCode>,
    },
    /// Consumer to a broker: one fetch for every assigned partition it leads (Kafka's
    /// consumer sends one fetch per broker), each from the consumer's position.
    ConsumerFetch {
        /// Consumer-local request id.
        request_id: u64,
        /// Each partition and the position to read from, in partition order.
        partitions: Vec<(TopicPartition, Offset)>,
    },
    /// Broker to consumer: the partitions with something to say.
    ConsumerFetchResponse {
        /// The request this answers.
        request_id: u64,
        /// Records below the high watermark, or an error, for each partition that has either
        /// (the others have nothing new).
        partitions: Vec<(TopicPartition, FetchResult)>,
    },
    /// Consumer to leader: earliest or latest offset (auto.offset.reset).
    ListOffsets {
        /// Which partition.
        tp: TopicPartition,
        /// True for earliest, false for latest.
        earliest: bool,
    },
    /// Leader to consumer: the offset asked for.
    ListOffsetsResponse {
        /// Which partition.
        tp: TopicPartition,
        /// The offset or an error.
        result: Result<Offset, ErrorCode>,
    },
    /// Consumer to coordinator: join (or rejoin) the group.
    JoinGroup {
        /// Group id.
        group: Rc<str>,
        /// The member: its client and that process's incarnation (a restart is a new member).
        member: MemberId,
        /// Topics the member subscribes to.
        topics: Vec<Rc<str>>,
    },
    /// Coordinator to consumer: the new generation, or an error.
    JoinGroupResponse {
        /// Group id.
        group: Rc<str>,
        /// The generation joined, or an error.
        result: Result<u32, ErrorCode>,
    },
    /// Consumer to coordinator: ask for this generation's assignment.
    SyncGroup {
        /// Group id.
        group: Rc<str>,
        /// The member: its client and that process's incarnation (a restart is a new member).
        member: MemberId,
        /// The generation the member joined.
        generation: u32,
    },
    /// Coordinator to consumer: the member's partitions.
    SyncGroupResponse {
        /// Group id.
        group: Rc<str>,
        /// The assignment, or an error.
        result: Result<Assignment, ErrorCode>,
    },
    /// Consumer to coordinator: still alive in this generation.
    GroupHeartbeat {
        /// Group id.
        group: Rc<str>,
        /// The member: its client and that process's incarnation (a restart is a new member).
        member: MemberId,
        /// The member's generation.
        generation: u32,
    },
    /// Coordinator to consumer: fine, or rejoin.
    GroupHeartbeatResponse {
        /// Group id.
        group: Rc<str>,
        /// None when all is well.
        error: Option<ErrorCode>,
    },
    /// Consumer to coordinator: leaving the group.
    LeaveGroup {
        /// Group id.
        group: Rc<str>,
        /// The member: its client and that process's incarnation (a restart is a new member).
        member: MemberId,
    },
    /// Consumer to coordinator: committed offsets of the group.
    OffsetFetch {
        /// Group id.
        group: Rc<str>,
        /// Partitions asked about.
        partitions: Vec<TopicPartition>,
    },
    /// Coordinator to consumer.
    OffsetFetchResponse {
        /// Group id.
        group: Rc<str>,
        /// Committed offset per partition (none when never committed), or an error.
        result: Result<Vec<(TopicPartition, Option<Offset>)>, ErrorCode>,
    },
    /// Consumer to coordinator: commit these positions (written to `__consumer_offsets`).
    OffsetCommit {
        /// Consumer-local request id.
        request_id: u64,
        /// Group id.
        group: Rc<str>,
        /// The member: its client and that process's incarnation (a restart is a new member).
        member: MemberId,
        /// The member's generation.
        generation: u32,
        /// Positions to commit.
        offsets: Vec<(TopicPartition, Offset)>,
    },
    /// Coordinator to consumer.
    OffsetCommitResponse {
        /// The request this answers.
        request_id: u64,
        /// Group id.
        group: Rc<str>,
        /// The committed positions, or an error.
        result: Result<Vec<(TopicPartition, Offset)>, ErrorCode>,
    },
}

/// What kind of traffic a message is, for colours and filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Produce request.
    Produce,
    /// Follower fetch request.
    ReplicaFetch,
    /// Consumer fetch request.
    ConsumerFetch,
    /// Any response to a client or follower request.
    Response,
    /// Broker heartbeats and ISR changes with the active controller.
    Controller,
    /// The metadata quorum: votes, leader announcements and metadata-log fetches.
    Quorum,
    /// Client metadata look-ups and offset listing.
    Metadata,
    /// Consumer group join, sync, heartbeat, leave.
    Group,
    /// Offset commits and fetches.
    Commit,
}

impl MessageKind {
    /// Every kind, in display order.
    pub const ALL: [MessageKind; 9] = [
        MessageKind::Produce,
        MessageKind::ReplicaFetch,
        MessageKind::ConsumerFetch,
        MessageKind::Response,
        MessageKind::Controller,
        MessageKind::Quorum,
        MessageKind::Metadata,
        MessageKind::Group,
        MessageKind::Commit,
    ];

    /// A short name used in scenario files and the UI.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Produce => "produce",
            MessageKind::ReplicaFetch => "replica_fetch",
            MessageKind::ConsumerFetch => "consumer_fetch",
            MessageKind::Response => "response",
            MessageKind::Controller => "controller",
            MessageKind::Quorum => "quorum",
            MessageKind::Metadata => "metadata",
            MessageKind::Group => "group",
            MessageKind::Commit => "commit",
        }
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl Payload {
    /// The traffic kind of this payload.
    pub fn kind(&self) -> MessageKind {
        use Payload::*;
        match self {
            BrokerHeartbeat { .. }
            | BrokerHeartbeatResponse { .. }
            | AlterPartition { .. }
            | AlterPartitionResponse { .. } => MessageKind::Controller,
            Quorum(_) => MessageKind::Quorum,
            ReplicaFetch { .. } => MessageKind::ReplicaFetch,
            Produce { .. } => MessageKind::Produce,
            ConsumerFetch { .. } => MessageKind::ConsumerFetch,
            MetadataRequest | ListOffsets { .. } => MessageKind::Metadata,
            JoinGroup { .. } | SyncGroup { .. } | GroupHeartbeat { .. } | LeaveGroup { .. } => {
                MessageKind::Group
            }
            OffsetFetch { .. } | OffsetCommit { .. } => MessageKind::Commit,
            ReplicaFetchResponse { .. }
            | MetadataResponse { .. }
            | ProduceResponse { .. }
            | ConsumerFetchResponse { .. }
            | ListOffsetsResponse { .. }
            | JoinGroupResponse { .. }
            | SyncGroupResponse { .. }
            | GroupHeartbeatResponse { .. }
            | OffsetFetchResponse { .. }
            | OffsetCommitResponse { .. } => MessageKind::Response,
        }
    }

    /// Kafka's name of the API this payload belongs to.
    pub fn api_name(&self) -> &'static str {
        use Payload::*;
        match self {
            BrokerHeartbeat { .. } => "BrokerHeartbeat",
            BrokerHeartbeatResponse { .. } => "BrokerHeartbeat response",
            Quorum(m) => m.api_name(),
            AlterPartition { .. } => "AlterPartition",
            AlterPartitionResponse { .. } => "AlterPartition response",
            ReplicaFetch { .. } => "Fetch (replica)",
            ReplicaFetchResponse { .. } => "Fetch response (replica)",
            MetadataRequest => "Metadata",
            MetadataResponse { .. } => "Metadata response",
            Produce { .. } => "Produce",
            ProduceResponse { .. } => "Produce response",
            ConsumerFetch { .. } => "Fetch (consumer)",
            ConsumerFetchResponse { .. } => "Fetch response (consumer)",
            ListOffsets { .. } => "ListOffsets",
            ListOffsetsResponse { .. } => "ListOffsets response",
            JoinGroup { .. } => "JoinGroup",
            JoinGroupResponse { .. } => "JoinGroup response",
            SyncGroup { .. } => "SyncGroup",
            SyncGroupResponse { .. } => "SyncGroup response",
            GroupHeartbeat { .. } => "Heartbeat",
            GroupHeartbeatResponse { .. } => "Heartbeat response",
            LeaveGroup { .. } => "LeaveGroup",
            OffsetFetch { .. } => "OffsetFetch",
            OffsetFetchResponse { .. } => "OffsetFetch response",
            OffsetCommit { .. } => "OffsetCommit",
            OffsetCommitResponse { .. } => "OffsetCommit response",
        }
    }

    /// How many records the payload carries (for sizing the dot in the UI).
    pub fn record_count(&self) -> usize {
        use Payload::*;
        match self {
            Produce { records, .. } => records.len(),
            ReplicaFetchResponse { partitions, .. } | ConsumerFetchResponse { partitions, .. } => {
                partitions
                    .iter()
                    .map(|(_, result)| match result {
                        FetchResult::Records { records, .. } => records.len(),
                        _ => 0,
                    })
                    .sum()
            }
            _ => 0,
        }
    }
}

/// One message in flight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Message {
    /// Unique id, also the tie-breaker in the event queue.
    pub id: MessageId,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// When it was sent.
    pub sent_at: SimTime,
    /// When it arrives (unless dropped first).
    pub deliver_at: SimTime,
    /// The content.
    pub payload: Payload,
}

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The link it crossed is cut (or the sender or the receiver is isolated).
    LinkCut,
    /// Lost on a lossy link (drawn from the seeded RNG).
    LinkLossy,
    /// The receiver is down.
    NodeDown,
    /// Dropped by a user or a scenario.
    DroppedByUser,
}

/// What is wrong with one direction of a link (from one node to another).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LinkFault {
    /// Nothing crosses it.
    pub cut: bool,
    /// Added to every message's latency, in ms.
    pub extra_latency_ms: SimTime,
    /// The chance that a message is lost, 0 to 1.
    pub drop_rate: f64,
}

impl LinkFault {
    /// Whether the link is healthy.
    pub fn is_healthy(&self) -> bool {
        !self.cut && self.extra_latency_ms == 0 && self.drop_rate <= 0.0
    }
}

/// The state of the network: isolated nodes, and faults on single links per direction
/// (turmoil's per-pair links: cut one way or both, slowed, lossy).
#[derive(Clone, Debug, Default)]
pub struct LinkState {
    /// Nodes whose links are all cut.
    isolated: SortedSet<NodeId>,
    /// Faulty links by (sender, receiver); a healthy link is absent.
    faults: SortedMap<(NodeId, NodeId), LinkFault>,
}

impl LinkState {
    /// Cuts every link of `node`.
    pub fn isolate(&mut self, node: NodeId) {
        self.isolated.insert(node);
    }

    /// Restores the links of `node` (faults set on single links stay).
    pub fn heal(&mut self, node: NodeId) {
        self.isolated.remove(&node);
    }

    /// Restores every link, including single-link faults.
    pub fn heal_all(&mut self) {
        self.isolated.clear();
        self.faults.clear();
    }

    /// Whether `node` is isolated.
    pub fn is_isolated(&self, node: NodeId) -> bool {
        self.isolated.contains(&node)
    }

    /// Whether a message from `a` to `b` can cross the network now.
    #[inline(always)]
    pub fn connected(&self, a: NodeId, b: NodeId) -> bool {
        (self.isolated.is_empty() || (!self.isolated.contains(&a) && !self.isolated.contains(&b)))
            && (self.faults.is_empty() || self.faults.get(&(a, b)).is_none_or(|f| !f.cut))
    }

    /// The fault on the link from `a` to `b`, if it has one.
    #[inline(always)]
    pub fn fault(&self, a: NodeId, b: NodeId) -> Option<&LinkFault> {
        if self.faults.is_empty() {
            return None;
        }
        self.faults.get(&(a, b))
    }

    /// Changes the link from `a` to `b` with `change`; returns its fault afterwards (none when
    /// healthy) if it changed.
    pub fn update(
        &mut self,
        a: NodeId,
        b: NodeId,
        change: &dyn Fn(&mut LinkFault),
    ) -> Option<Option<LinkFault>> {
        let before = self.faults.get(&(a, b)).copied().unwrap_or_default();
        let mut after = before;
        change(&mut after);
        if after == before {
            return None;
        }
        if after.is_healthy() {
            self.faults.remove(&(a, b));
            Some(None)
        } else {
            self.faults.insert((a, b), after);
            Some(Some(after))
        }
    }

    /// The isolated nodes.
    pub fn isolated(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.isolated.iter().copied()
    }

    /// The faulty links, by (sender, receiver).
    pub fn faults(&self) -> impl Iterator<Item = (NodeId, NodeId, LinkFault)> + '_ {
        self.faults.iter().map(|(&(a, b), f)| (a, b, *f))
    }
}

/// A client's id as a node.
pub fn client_node(c: ClientId) -> NodeId {
    NodeId::Client(c)
}

impl From<QuorumMessage<MetadataRecord>> for Payload {
    fn from(m: QuorumMessage<MetadataRecord>) -> Self {
        Payload::Quorum(Box::new(m))
    }
}
