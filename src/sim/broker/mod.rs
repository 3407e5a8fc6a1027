//! The broker node: its replicas (logs on disk, roles in memory), the metadata it acts on, and
//! the dispatch of its inputs to the leader, follower, ISR and group-coordinator rules.
//!
//! The rules live beside this file: [`follower`] (fetching and truncation), [`leader`] (fetch
//! answers, long polls and the high watermark), [`produce`] (appends and pending acks), [`isr`]
//! (shrink and expand through the controller) and [`coordinator`] (consumer groups, a component
//! the broker owns).

mod assignor;
mod coordinator;
mod follower;
mod isr;
mod leader;
mod metadata;
mod produce;
mod roles;

use std::rc::Rc;

pub use assignor::{range_assign, round_robin_assign};
pub use coordinator::{GroupCoordinator, GroupMember, GroupPhase, GroupState};

use super::controller::metadata::MetadataRecord;
use super::controller::voter_ids;
use super::events::EventKind;
use super::idmap::IdMap;
use super::log::PartitionLog;
use super::network::{ErrorCode, PartitionState, Payload};
use super::node::{Context, Outbox, TimerId};
use super::quorum::observer::QuorumObserver;
use super::quorum::QuorumTimer;
use super::seqmap::SeqMap;
use super::tpmap::TpMap;
use super::types::{BrokerId, LeaderEpoch, NodeId, Offset, SimDuration, SimTime, TopicPartition};

/// How often a broker's group coordinator checks sessions and pending rebalances.
const GROUP_CHECK_INTERVAL_MS: SimDuration = 100;

/// `controller.quorum.request.timeout.ms` (Kafka default 2000): a metadata Fetch with no answer
/// this long is sent to another controller.
const METADATA_REQUEST_TIMEOUT_MS: SimDuration = 2000;

/// How soon a broker that knows no active controller looks again before heartbeating.
const CONTROLLER_LOOKUP_RETRY_MS: SimDuration = 200;

/// The pause between a fenced broker's heartbeat answer and its next heartbeat (Kafka: 10 ms).
const FENCED_HEARTBEAT_MS: SimDuration = 10;

/// Delay before the first group check after a start.
const FIRST_GROUP_CHECK_MS: SimDuration = 500;

/// A broker's own timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerTimer {
    /// Send the next heartbeat to the controller.
    Heartbeat,
    /// Look for followers that fell out of sync (every half of `replica.lag.time.max.ms`).
    IsrCheck,
    /// A partition's fetch backoff (after an error) is over: it rejoins its fetcher.
    PartitionBackoffOver {
        /// The partition the follower fetches.
        tp: TopicPartition,
    },
    /// The leader broker was unreachable and the fetch backoff is over: fetch from it again.
    FetcherBackoffOver {
        /// The leader broker the fetcher fetches from.
        leader: BrokerId,
    },
    /// A follower's fetch got no answer in time.
    FetchTimeout {
        /// The leader broker the fetch went to.
        leader: BrokerId,
        /// The fetch request that timed out.
        request: u64,
    },
    /// A parked (long-poll) fetch waited `fetch.max.wait.ms`: answer it with what there is.
    ParkedFetchExpiry {
        /// The parked fetch.
        fetch: u64,
    },
    /// An acks=all append was not committed within the request's timeout.
    PendingAckExpiry {
        /// The pending acknowledgement.
        ack: u64,
    },
    /// The group coordinator's periodic check.
    GroupCheck,
    /// A timer of its metadata-log observer.
    Metadata(QuorumTimer),
}

/// What the leader knows of one follower.
#[derive(Clone, Debug, Default)]
struct FollowerProgress {
    /// The follower's LEO, learned from its last fetch offset; unknown until its first fetch in
    /// this leader epoch (Kafka's `UnknownOffsetMetadata`).
    leo: Option<Offset>,
    /// Last time the follower was caught up (Kafka's `lastCaughtUpTimeMs`).
    last_caught_up: SimTime,
    /// Time of the follower's previous fetch.
    last_fetch_time: SimTime,
    /// The leader's LEO at the follower's previous fetch.
    last_fetch_leader_leo: Offset,
}

/// Leader-only memory of a replica.
#[derive(Clone, Debug, Default)]
struct LeaderState {
    /// The LEO when this leader epoch started.
    epoch_start_offset: Offset,
    /// Progress of every other replica.
    followers: IdMap<BrokerId, FollowerProgress>,
    /// An ISR change sent to the controller and not yet answered, with when it was sent.
    pending_isr: Option<(Vec<BrokerId>, SimTime)>,
}

impl LeaderState {
    /// Keeps one progress entry per other replica of `replicas` (a reassignment adds or drops
    /// followers within the epoch); a new follower starts caught up now.
    fn sync_followers(&mut self, me: BrokerId, replicas: &[BrokerId], now: SimTime) {
        self.followers.retain(|f, _| replicas.contains(f));
        for r in replicas.iter().filter(|r| **r != me) {
            if self.followers.get(r).is_none() {
                let progress = FollowerProgress {
                    leo: None,
                    last_caught_up: now,
                    last_fetch_time: now,
                    last_fetch_leader_leo: 0,
                };
                self.followers.insert(*r, progress);
            }
        }
    }
}

/// The role a replica plays, as its broker believes.
#[derive(Clone, Debug, Default)]
enum Role {
    /// Not started (broker just restarted, or no metadata yet).
    #[default]
    Unknown,
    /// Leader of its partition.
    Leader(LeaderState),
    /// Follower fetching from `leader` (its broker's fetcher for that leader does it).
    Follower {
        /// Whom it fetches from.
        leader: Option<BrokerId>,
    },
}

/// What a replica's role is, seen from outside the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleKind {
    /// Not started or not told yet.
    Unknown,
    /// Leads its partition.
    Leader,
    /// Fetches from the leader.
    Follower,
}

/// One partition replica on a broker.
#[derive(Clone, Debug, Default)]
pub struct Replica {
    /// The log (survives a crash).
    log: PartitionLog,
    /// Role (memory).
    role: Role,
    /// The partition state this broker acts on.
    state: Option<PartitionState>,
    /// A follower's partition backs off after a fetch error until this time: its fetcher
    /// leaves it out of the session meanwhile (Kafka's delayed partitions).
    fetch_backoff_until: Option<SimTime>,
}

impl Replica {
    /// The replica's log.
    pub fn log(&self) -> &PartitionLog {
        &self.log
    }

    /// What the broker believes this replica is.
    pub fn role(&self) -> RoleKind {
        match self.role {
            Role::Unknown => RoleKind::Unknown,
            Role::Leader(_) => RoleKind::Leader,
            Role::Follower { .. } => RoleKind::Follower,
        }
    }

    /// The partition state the broker acts on.
    pub fn state(&self) -> Option<&PartitionState> {
        self.state.as_ref()
    }

    fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }
}

/// A fetch the leader holds until data arrives or the wait expires (long poll).
#[derive(Clone, Debug)]
enum ParkedFetch {
    /// A consumer's fetch, answered once the HW of one of its partitions passes the
    /// consumer's position there.
    Consumer {
        /// Its `fetch.max.wait.ms` timer.
        expiry: TimerId,
        /// The consumer.
        from: NodeId,
        /// Its request id.
        request_id: u64,
        /// Each partition and where the consumer reads it.
        partitions: Vec<(TopicPartition, Offset)>,
    },
    /// A follower broker's session fetch, answered once one of its partitions has records.
    Replica {
        /// Its `replica.fetch.wait.max.ms` timer.
        expiry: TimerId,
        /// The follower broker (its session says what it fetches).
        follower: BrokerId,
        /// Its request id.
        request_id: u64,
    },
}

impl ParkedFetch {
    fn expiry(&self) -> TimerId {
        match self {
            ParkedFetch::Consumer { expiry, .. } | ParkedFetch::Replica { expiry, .. } => *expiry,
        }
    }
}

/// What to answer when a pending acks=all append is committed.
#[derive(Clone, Debug)]
enum PendingReply {
    Produce {
        request_id: u64,
        base_offset: Offset,
    },
    Commit {
        request_id: u64,
        group: Rc<str>,
        offsets: Vec<(TopicPartition, Offset)>,
    },
}

/// An append waiting for the high watermark to pass `last_offset`.
#[derive(Clone, Debug)]
struct PendingAck {
    expiry: Option<TimerId>,
    tp: TopicPartition,
    to: NodeId,
    last_offset: Offset,
    reply: PendingReply,
}

/// A broker process.
#[derive(Clone, Debug)]
pub struct Broker {
    id: BrokerId,
    online: bool,
    incarnation: u32,
    /// Its follower of the metadata log (kept on disk across a crash).
    metadata_log: QuorumObserver<MetadataRecord>,
    /// How far it has applied the committed metadata log.
    metadata_offset: Offset,
    /// The next heartbeat.
    heartbeat_timer: Option<TimerId>,
    fenced: bool,
    /// It asked the controller for a controlled shutdown and stops once allowed.
    shutting_down: bool,
    /// It stopped after a controlled shutdown and left the cluster.
    left: bool,
    replicas: TpMap<Replica>,
    metadata: TpMap<PartitionState>,
    /// As a follower: one fetcher per leader broker it follows partitions on.
    fetchers: IdMap<BrokerId, follower::Fetcher>,
    /// As a leader: the fetch session of each follower broker.
    fetch_sessions: IdMap<BrokerId, leader::FetchSession>,
    parked: SeqMap<ParkedFetch>,
    pending: SeqMap<PendingAck>,
    next_local_id: u64,
    coordinator: GroupCoordinator,
    /// The replication throttle's bucket: when it was last refilled, and the bytes it holds.
    throttle: Option<(SimTime, u64)>,
}

impl Broker {
    /// A broker of a cluster with `controllers` controllers, not started yet (call
    /// [`Broker::start`]).
    pub fn new(id: BrokerId, controllers: u32) -> Self {
        Broker {
            id,
            online: false,
            incarnation: 0,
            metadata_log: QuorumObserver::new(
                id.0,
                &voter_ids(controllers),
                METADATA_REQUEST_TIMEOUT_MS,
            ),
            metadata_offset: 0,
            heartbeat_timer: None,
            fenced: false,
            shutting_down: false,
            left: false,
            replicas: TpMap::new(),
            metadata: TpMap::new(),
            fetchers: IdMap::new(),
            fetch_sessions: IdMap::new(),
            parked: SeqMap::new(),
            pending: SeqMap::new(),
            next_local_id: 1,
            coordinator: GroupCoordinator::default(),
            throttle: None,
        }
    }

    // ----- getters -----

    /// Its id.
    pub fn id(&self) -> BrokerId {
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

    /// Whether the controller's last heartbeat answer said this broker is fenced.
    pub fn fenced(&self) -> bool {
        self.fenced
    }

    /// Whether it asked for a controlled shutdown and waits for the controller's go.
    pub fn shutting_down(&self) -> bool {
        self.online && self.shutting_down
    }

    /// Whether it stopped after a controlled shutdown: it left the cluster for good.
    pub fn left(&self) -> bool {
        self.left
    }

    /// The replica of `tp` this broker hosts, if any.
    pub fn replica(&self, tp: TopicPartition) -> Option<&Replica> {
        self.replicas.get(&tp)
    }

    /// Every replica it hosts, in partition order.
    pub fn replicas(&self) -> impl Iterator<Item = (&TopicPartition, &Replica)> {
        self.replicas.iter()
    }

    /// Whether it believes it leads `tp`.
    pub fn is_leader(&self, tp: TopicPartition) -> bool {
        self.replicas.get(&tp).is_some_and(Replica::is_leader)
    }

    /// The consumer groups it coordinates.
    pub fn coordinator(&self) -> &GroupCoordinator {
        &self.coordinator
    }

    fn next_id(&mut self) -> u64 {
        self.next_local_id += 1;
        self.next_local_id
    }

    fn leader_epoch_of(&self, tp: TopicPartition) -> Option<LeaderEpoch> {
        let r = self.replicas.get(&tp)?;
        match r.role {
            Role::Leader(_) => r.state.as_ref().map(|s| s.leader_epoch),
            _ => None,
        }
    }

    // ----- life cycle -----

    /// Starts a new incarnation: follow the metadata log, heartbeat to the active controller,
    /// arm the periodic checks.
    pub fn start(&mut self, now: SimTime, ctx: &Context, out: &mut Outbox<BrokerTimer>) {
        if self.left {
            return;
        }
        self.online = true;
        self.incarnation += 1;
        self.metadata_offset = 0;
        self.metadata_log.start(now);
        self.sync_metadata(now, ctx, out);
        self.heartbeat(ctx, out);
        let lag = ctx.config.cluster.replica_lag_time_max_ms;
        out.set_timer(lag / 2, BrokerTimer::IsrCheck);
        out.set_timer(FIRST_GROUP_CHECK_MS, BrokerTimer::GroupCheck);
    }

    /// The process dies: it keeps its logs and loses everything in memory.
    pub fn crash(&mut self, out: &mut Outbox<BrokerTimer>) {
        if !self.online {
            return;
        }
        self.crash_quietly();
        out.emit(EventKind::NodeCrashed {
            node: NodeId::Broker(self.id),
        });
    }

    /// Stops the process: logs stay, memory goes.
    fn crash_quietly(&mut self) {
        self.online = false;
        self.shutting_down = false;
        self.heartbeat_timer = None;
        self.metadata_log.crash();
        self.metadata_offset = 0;
        self.metadata.clear();
        self.fetchers.clear();
        self.fetch_sessions.clear();
        self.parked.clear();
        self.pending.clear();
        self.coordinator = GroupCoordinator::default();
        self.fenced = false;
        for r in self.replicas.values_mut() {
            r.role = Role::Unknown;
            r.state = None;
        }
    }

    /// Asks the active controller for a controlled shutdown (Kafka's `wantShutDown` in the
    /// next heartbeat, sent now): once it leads nothing the controller lets it stop, and it
    /// leaves the cluster.
    pub fn begin_controlled_shutdown(&mut self, ctx: &Context, out: &mut Outbox<BrokerTimer>) {
        if !self.online || self.shutting_down {
            return;
        }
        self.shutting_down = true;
        self.heartbeat(ctx, out);
    }

    /// A broker that is down leaves the cluster (it was unregistered): it never starts again
    /// and its logs are gone.
    pub fn leave(&mut self) {
        self.online = false;
        self.left = true;
        self.replicas = TpMap::new();
    }

    fn heartbeat(&mut self, ctx: &Context, out: &mut Outbox<BrokerTimer>) {
        let interval = match self.active_controller() {
            Some(controller) => {
                let payload = Payload::BrokerHeartbeat {
                    incarnation: self.incarnation,
                    metadata_offset: self.metadata_offset,
                    want_shutdown: self.shutting_down,
                };
                out.send(controller, payload);
                ctx.config.cluster.broker_heartbeat_interval_ms
            }
            // The metadata log has not named the active controller yet: look again soon.
            None => CONTROLLER_LOOKUP_RETRY_MS,
        };
        self.schedule_heartbeat(interval, out);
    }

    /// Arms the next heartbeat (replacing the one armed).
    fn schedule_heartbeat(&mut self, after: SimDuration, out: &mut Outbox<BrokerTimer>) {
        if let Some(t) = self.heartbeat_timer.take() {
            out.cancel_timer(t);
        }
        self.heartbeat_timer = Some(out.set_timer(after, BrokerTimer::Heartbeat));
    }

    // ----- inputs -----

    /// A message from another node.
    pub fn handle_message(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        match payload {
            Payload::BrokerHeartbeatResponse {
                should_shutdown: true,
                ..
            } if self.shutting_down => {
                // Its leaderships have moved: it stops and leaves the cluster (its logs go
                // with it).
                self.crash_quietly();
                self.left = true;
                self.replicas = TpMap::new();
                out.emit(EventKind::BrokerStopped { broker: self.id });
            }
            Payload::BrokerHeartbeatResponse { fenced, .. } => {
                self.fenced = fenced;
                if self.shutting_down {
                    // Waiting for its go: it asks again right away, as Kafka's broker does
                    // while its controlled shutdown is pending.
                    self.schedule_heartbeat(FENCED_HEARTBEAT_MS, out);
                } else if fenced {
                    // Kafka's BrokerLifecycleManager: while it starts up fenced, the broker
                    // heartbeats again right after each answer until it is unfenced.
                    self.schedule_heartbeat(FENCED_HEARTBEAT_MS, out);
                }
            }
            Payload::Quorum(message) => self.handle_quorum(now, from, *message, ctx, out),
            Payload::AlterPartitionResponse { tp, result } => {
                self.alter_partition_response(tp, *result, ctx, out)
            }
            Payload::ReplicaFetch {
                request_id,
                session_id,
                session_epoch,
                partitions,
                forgotten,
            } => {
                let NodeId::Broker(f) = from else { return };
                let fetch = leader::ReplicaFetch {
                    follower: f,
                    request_id,
                    session_id,
                    session_epoch,
                    partitions,
                    forgotten,
                };
                self.handle_replica_fetch(now, fetch, ctx, out)
            }
            Payload::ReplicaFetchResponse {
                request_id,
                session_id,
                error,
                partitions,
            } => {
                let NodeId::Broker(leader) = from else { return };
                let response = follower::FetchResponse {
                    leader,
                    request_id,
                    session_id,
                    error,
                    partitions,
                };
                self.handle_fetch_response(now, response, ctx, out)
            }
            Payload::MetadataRequest => {
                let partitions = self.metadata.values().cloned().collect();
                out.send(from, Payload::MetadataResponse { partitions });
            }
            Payload::Produce {
                request_id,
                tp,
                acks,
                idempotence,
                records,
                timeout_ms,
            } => {
                let produce = produce::ProduceRequest {
                    from,
                    request_id,
                    tp,
                    acks,
                    idempotence,
                    timeout_ms: SimDuration::from(timeout_ms),
                };
                self.handle_produce(produce, &records, ctx, out)
            }
            Payload::ConsumerFetch {
                request_id,
                partitions,
            } => self.handle_consumer_fetch(from, request_id, partitions, ctx, out),
            Payload::ListOffsets { tp, earliest } => {
                let result = match self.replicas.get(&tp) {
                    Some(r) if r.is_leader() => Ok(if earliest {
                        r.log.log_start_offset()
                    } else {
                        r.log.high_watermark()
                    }),
                    _ => Err(ErrorCode::NotLeaderOrFollower),
                };
                out.send(from, Payload::ListOffsetsResponse { tp, result });
            }
            other => self.handle_group_request(now, from, other, ctx, out),
        }
    }

    /// One of the broker's timers fired.
    pub fn handle_timer(
        &mut self,
        now: SimTime,
        timer: BrokerTimer,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        match timer {
            BrokerTimer::Heartbeat => {
                self.heartbeat_timer = None;
                self.heartbeat(ctx, out)
            }
            BrokerTimer::IsrCheck => self.isr_check(now, ctx, out),
            BrokerTimer::PartitionBackoffOver { tp } => {
                self.partition_backoff_over(now, tp, ctx, out)
            }
            BrokerTimer::FetcherBackoffOver { leader } => self.send_fetch(now, leader, ctx, out),
            BrokerTimer::FetchTimeout { leader, request } => {
                self.fetch_timeout(now, leader, request, ctx, out)
            }
            BrokerTimer::ParkedFetchExpiry { fetch } => self.expire_parked_fetch(fetch, ctx, out),
            BrokerTimer::PendingAckExpiry { ack } => {
                self.complete_pending(ack, Err(ErrorCode::RequestTimedOut), out)
            }
            BrokerTimer::Metadata(t) => self.handle_metadata_timer(now, t, ctx, out),
            BrokerTimer::GroupCheck => {
                self.coordinator.check(now, ctx, out);
                out.set_timer(GROUP_CHECK_INTERVAL_MS, BrokerTimer::GroupCheck);
            }
        }
    }

    /// A message this broker sent could not be delivered because its receiver is down (the
    /// connection was refused): a fetch to a crashed leader is retried after the backoff, a
    /// metadata fetch to a crashed controller goes to another one.
    pub fn handle_unreachable(
        &mut self,
        now: SimTime,
        to: NodeId,
        payload: Payload,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        if let (NodeId::Controller(c), Payload::Quorum(_)) = (to, &payload) {
            self.metadata_log.handle_unreachable(c.0);
            self.sync_metadata(now, ctx, out);
            return;
        }
        if let (NodeId::Broker(leader), Payload::ReplicaFetch { request_id, .. }) = (to, payload) {
            self.leader_unreachable(now, leader, request_id, ctx, out);
        }
    }
}

#[cfg(test)]
mod tests;
