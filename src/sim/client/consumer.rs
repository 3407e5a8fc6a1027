//! The consumer client node: group membership (join, sync, heartbeats, eager rebalances),
//! positions from committed offsets or `auto.offset.reset`, fetching and offset commits.

use std::rc::Rc;

use super::{ClientEnv, ClientMetadata};
use crate::sim::config::ConsumerConfig;
use crate::sim::events::EventKind;
use crate::sim::network::{ErrorCode, Payload};
use crate::sim::node::{Context, Outbox, TimerId};
use crate::sim::seqmap::SeqMap;
use crate::sim::tpmap::TpMap;
use crate::sim::types::{
    BrokerId, ClientId, MemberId, NodeId, Offset, SimDuration, SimTime, TopicPartition,
};

/// Records a consumer may have delivered but not yet acknowledged per partition
/// (stands in for `max.poll.records`).
const CONSUMER_BACKLOG_MAX: u64 = 500;

/// How often a consumer re-examines its state (join, positions, fetches).
const CONSUMER_TICK_MS: SimDuration = 100;

/// What a JoinGroup's timeout adds to the rebalance timeout (Kafka's `JOIN_GROUP_TIMEOUT_LAPSE`).
const JOIN_GROUP_TIMEOUT_LAPSE_MS: SimDuration = 5_000;

/// A consumer's own timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumerTimer {
    /// Heartbeat to the coordinator.
    Heartbeat,
    /// Re-examine membership, positions and fetches.
    Tick,
    /// A request got no answer in time.
    RequestTimeout {
        /// The request.
        request: u64,
    },
    /// Commit the delivered positions (`enable.auto.commit`).
    AutoCommit,
    /// A metadata request got no answer.
    MetadataTimeout {
        /// The request.
        request: u64,
    },
}

/// Where a consumer stands on one assigned partition.
#[derive(Clone, Debug, Default)]
struct Position {
    /// Next offset to fetch (none until known).
    offset: Option<Offset>,
    /// Waiting for the committed offset.
    fetching_committed: bool,
    /// Needs auto.offset.reset.
    needs_reset: bool,
    /// A reset request is in flight.
    resetting: bool,
    /// Fetch request in flight.
    fetch_in_flight: Option<u64>,
    /// What the application acknowledged (for backpressure).
    acknowledged: Offset,
}

/// Group membership phase of a consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberPhase {
    /// Not in the group.
    Unjoined,
    /// JoinGroup sent.
    Joining,
    /// SyncGroup sent.
    Syncing,
    /// Has its assignment.
    Stable,
}

/// A request a consumer waits on, for its timeout.
#[derive(Clone, Debug)]
enum ConsumerRequest {
    Join,
    Sync,
    /// A fetch to a broker (the positions it covers point at it).
    Fetch,
    OffsetFetch,
    Commit,
    ListOffsets(TopicPartition),
}

/// A consumer client (one member of a group).
#[derive(Clone, Debug)]
pub struct Consumer {
    id: ClientId,
    online: bool,
    closed: bool,
    incarnation: u32,
    group: Rc<str>,
    /// The `__consumer_offsets` partition of the group (its leader is the coordinator),
    /// computed once at start.
    coordinator_tp: Option<TopicPartition>,
    topics: Vec<Rc<str>>,
    config: ConsumerConfig,
    phase: MemberPhase,
    generation: u32,
    metadata: ClientMetadata,
    assignment: Vec<TopicPartition>,
    positions: TpMap<Position>,
    /// Timeouts of pending requests.
    request_timeouts: SeqMap<TimerId>,
    /// Pending requests and the broker each went to.
    requests: SeqMap<(ConsumerRequest, BrokerId)>,
    next_request: u64,
    heartbeat_in_flight: bool,
    last_heartbeat_ok: SimTime,
}

impl Consumer {
    /// A running consumer of `group` subscribed to `topics` (call [`Consumer::start`]).
    pub fn new(
        id: ClientId,
        group: &str,
        topics: &[&str],
        config: ConsumerConfig,
        now: SimTime,
    ) -> Self {
        Consumer {
            id,
            online: true,
            closed: false,
            incarnation: 1,
            group: Rc::from(group),
            coordinator_tp: None,
            topics: topics.iter().map(|t| Rc::from(*t)).collect(),
            config,
            phase: MemberPhase::Unjoined,
            generation: 0,
            metadata: ClientMetadata::default(),
            assignment: Vec::new(),
            positions: TpMap::new(),
            requests: SeqMap::new(),
            request_timeouts: SeqMap::new(),
            next_request: 1,
            heartbeat_in_flight: false,
            last_heartbeat_ok: now,
        }
    }

    // ----- getters -----

    /// Whether the process runs.
    pub fn online(&self) -> bool {
        self.online
    }

    /// Its process incarnation, bumped by every restart (timers of older ones are inert).
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// Its group.
    pub fn group(&self) -> &Rc<str> {
        &self.group
    }

    /// The topics it subscribes to.
    pub fn topics(&self) -> &[Rc<str>] {
        &self.topics
    }

    /// Its membership phase.
    pub fn phase(&self) -> MemberPhase {
        self.phase
    }

    /// The partitions it owns now.
    pub fn assignment(&self) -> &[TopicPartition] {
        &self.assignment
    }

    fn member(&self) -> MemberId {
        MemberId {
            client: self.id,
            incarnation: self.incarnation,
        }
    }

    fn coordinator(&self, ctx: &Context) -> Option<BrokerId> {
        let tp = self
            .coordinator_tp
            .unwrap_or_else(|| ctx.coordinator_partition(&self.group));
        self.metadata.leader(tp)
    }

    // ----- life cycle -----

    /// Arms its periodic timers and asks for metadata.
    pub fn start(&mut self, ctx: &Context, env: &mut ClientEnv, out: &mut Outbox<ConsumerTimer>) {
        self.coordinator_tp = Some(ctx.coordinator_partition(&self.group));
        self.arm(out);
        self.request_metadata(ctx, env, out);
    }

    fn arm(&mut self, out: &mut Outbox<ConsumerTimer>) {
        out.set_timer(CONSUMER_TICK_MS, ConsumerTimer::Tick);
        out.set_timer(self.config.heartbeat_interval_ms, ConsumerTimer::Heartbeat);
        if self.config.enable_auto_commit {
            out.set_timer(
                self.config.auto_commit_interval_ms,
                ConsumerTimer::AutoCommit,
            );
        }
    }

    /// The process dies.
    pub fn crash(&mut self, out: &mut Outbox<ConsumerTimer>) {
        if !self.online {
            return;
        }
        self.online = false;
        out.emit(EventKind::NodeCrashed {
            node: NodeId::Client(self.id),
        });
    }

    /// A new process joins as a new member (dynamic membership).
    pub fn restart(
        &mut self,
        now: SimTime,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        if self.online || self.closed {
            return;
        }
        self.online = true;
        self.incarnation += 1;
        self.phase = MemberPhase::Unjoined;
        self.generation = 0;
        self.metadata = ClientMetadata::default();
        self.assignment.clear();
        self.positions.clear();
        self.requests.clear();
        self.request_timeouts.clear();
        self.heartbeat_in_flight = false;
        self.last_heartbeat_ok = now;
        self.arm(out);
        self.request_metadata(ctx, env, out);
        out.emit(EventKind::NodeRestarted {
            node: NodeId::Client(self.id),
        });
    }

    /// Closes for good: it leaves its group (the message still travels after the process is
    /// gone), which triggers a rebalance.
    pub fn close(&mut self, ctx: &Context, out: &mut Outbox<ConsumerTimer>) {
        let was_online = self.online;
        self.online = false;
        self.closed = true;
        if was_online {
            if let Some(coord) = self.coordinator(ctx) {
                let payload = Payload::LeaveGroup {
                    group: self.group.clone(),
                    member: self.member(),
                };
                out.send(NodeId::Broker(coord), payload);
            }
        }
    }

    // ----- inputs -----

    /// The application processed records up to (not including) `next_offset` on `tp`: the
    /// consumer may fetch further.
    pub fn acknowledge(&mut self, tp: TopicPartition, next_offset: Offset) {
        if let Some(p) = self.positions.get_mut(&tp) {
            p.acknowledged = p.acknowledged.max(next_offset);
        }
    }

    /// Commits `offsets` for the group (the next offset to read per partition). The outcome
    /// arrives as `OffsetsCommitted` or `CommitFailed`.
    pub fn commit(
        &mut self,
        offsets: Vec<(TopicPartition, Offset)>,
        ctx: &Context,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        if !self.online {
            return;
        }
        let Some(coord) = self.coordinator(ctx) else {
            out.emit(EventKind::CommitFailed {
                consumer: self.id,
                error: ErrorCode::NotCoordinator,
            });
            return;
        };
        let group = self.group.clone();
        let member = self.member();
        let generation = self.generation;
        let timeout = self.config.request_timeout_ms;
        self.send_request(
            coord,
            ConsumerRequest::Commit,
            |request_id| Payload::OffsetCommit {
                request_id,
                group,
                member,
                generation,
                offsets,
            },
            timeout,
            out,
        );
    }

    /// One of its timers fired.
    pub fn handle_timer(
        &mut self,
        now: SimTime,
        timer: ConsumerTimer,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        match timer {
            ConsumerTimer::Tick => self.tick(ctx, env, out),
            ConsumerTimer::Heartbeat => self.heartbeat(now, ctx, env, out),
            ConsumerTimer::RequestTimeout { request } => self.request_timed_out(request, out),
            ConsumerTimer::AutoCommit => {
                out.set_timer(
                    self.config.auto_commit_interval_ms,
                    ConsumerTimer::AutoCommit,
                );
                self.auto_commit_now(ctx, out);
            }
            ConsumerTimer::MetadataTimeout { request } => {
                if self.metadata.timed_out(request) {
                    self.request_metadata(ctx, env, out);
                }
            }
        }
    }

    /// A message it sent found its receiver down (connection refused): forget the requests
    /// (the tick or the heartbeat sends again what is needed) and look for new leaders.
    pub fn handle_unreachable(
        &mut self,
        payload: Payload,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        if let Payload::MetadataRequest = payload {
            self.metadata.failed();
            self.request_metadata(ctx, env, out);
            return;
        }
        let ids: Vec<u64> = self.requests.keys().copied().collect();
        for id in ids {
            self.request_timed_out(id, out);
        }
        self.heartbeat_in_flight = false;
        self.request_metadata(ctx, env, out);
    }

    /// `broker` died: every request on its connection fails at once.
    pub fn connection_lost(&mut self, broker: BrokerId, out: &mut Outbox<ConsumerTimer>) {
        let ids: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, (_, to))| *to == broker)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.request_timed_out(id, out);
        }
    }

    // ----- rules -----

    fn request_metadata(
        &mut self,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        if !self.online {
            return;
        }
        let timeout = self.config.request_timeout_ms;
        self.metadata.request(timeout, ctx, env, out, |request| {
            ConsumerTimer::MetadataTimeout { request }
        });
    }

    /// Sends a request made by `make` from its id, remembering it and arming its timeout.
    fn send_request(
        &mut self,
        to: BrokerId,
        kind: ConsumerRequest,
        make: impl FnOnce(u64) -> Payload,
        timeout: SimDuration,
        out: &mut Outbox<ConsumerTimer>,
    ) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        self.requests.insert(id, (kind, to));
        out.send(NodeId::Broker(to), make(id));
        let timer = out.set_timer(timeout, ConsumerTimer::RequestTimeout { request: id });
        self.request_timeouts.insert(id, timer);
        id
    }

    /// The fetch `request` is over: the partitions it covered may be fetched again.
    fn fetch_finished(&mut self, request: u64) {
        for p in self.positions.values_mut() {
            if p.fetch_in_flight == Some(request) {
                p.fetch_in_flight = None;
            }
        }
    }

    /// A request was answered: its timeout is not needed any more.
    fn request_answered(&mut self, request: u64, out: &mut Outbox<ConsumerTimer>) {
        if let Some(timer) = self.request_timeouts.remove(&request) {
            out.cancel_timer(timer);
        }
    }

    fn pending(&self, pred: impl Fn(&ConsumerRequest) -> bool) -> bool {
        self.requests.values().any(|(r, _)| pred(r))
    }

    fn tick(&mut self, ctx: &Context, env: &mut ClientEnv, out: &mut Outbox<ConsumerTimer>) {
        // A JoinGroup may wait at the coordinator for the whole rebalance (max.poll.interval.ms),
        // so Kafka's consumer gives it that plus 5 s, and never less than request.timeout.ms.
        let join_timeout = self
            .config
            .request_timeout_ms
            .max(self.config.max_poll_interval_ms + JOIN_GROUP_TIMEOUT_LAPSE_MS);
        out.set_timer(CONSUMER_TICK_MS, ConsumerTimer::Tick);
        let Some(coord) = self.coordinator(ctx) else {
            self.request_metadata(ctx, env, out);
            return;
        };
        match self.phase {
            MemberPhase::Unjoined => {
                let group = self.group.clone();
                let member = self.member();
                let topics = self.topics.clone();
                self.phase = MemberPhase::Joining;
                self.send_request(
                    coord,
                    ConsumerRequest::Join,
                    |_| Payload::JoinGroup {
                        group,
                        member,
                        topics,
                    },
                    join_timeout,
                    out,
                );
            }
            MemberPhase::Joining | MemberPhase::Syncing => {}
            MemberPhase::Stable => self.fetch_all(coord, ctx, env, out),
        }
    }

    fn heartbeat(
        &mut self,
        now: SimTime,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        out.set_timer(self.config.heartbeat_interval_ms, ConsumerTimer::Heartbeat);
        if self.phase != MemberPhase::Stable {
            return;
        }
        if now.saturating_sub(self.last_heartbeat_ok) > self.config.session_timeout_ms {
            // The coordinator is unreachable: rediscover it and rejoin.
            self.revoke(ctx, out);
            self.request_metadata(ctx, env, out);
            return;
        }
        let Some(coord) = self.coordinator(ctx) else {
            return;
        };
        self.heartbeat_in_flight = true;
        let payload = Payload::GroupHeartbeat {
            group: self.group.clone(),
            member: self.member(),
            generation: self.generation,
        };
        out.send(NodeId::Broker(coord), payload);
    }

    /// Eager rebalance: give up every partition (committing delivered positions when
    /// auto-commit is on), then rejoin.
    fn revoke(&mut self, ctx: &Context, out: &mut Outbox<ConsumerTimer>) {
        if self.config.enable_auto_commit {
            self.auto_commit_now(ctx, out);
        }
        let had = !self.assignment.is_empty();
        self.assignment.clear();
        self.positions.clear();
        self.phase = MemberPhase::Unjoined;
        self.requests
            .retain(|_, (r, _)| matches!(r, ConsumerRequest::Commit));
        if had {
            out.emit(EventKind::PartitionsRevoked { consumer: self.id });
        }
    }

    /// A request got no answer (or its connection broke): forget it so it can be sent again.
    fn request_timed_out(&mut self, request: u64, out: &mut Outbox<ConsumerTimer>) {
        self.request_timeouts.remove(&request);
        let Some((kind, _)) = self.requests.remove(&request) else {
            return;
        };
        match kind {
            ConsumerRequest::Join | ConsumerRequest::Sync => self.phase = MemberPhase::Unjoined,
            ConsumerRequest::Fetch => self.fetch_finished(request),
            ConsumerRequest::ListOffsets(tp) => {
                if let Some(p) = self.positions.get_mut(&tp) {
                    p.resetting = false;
                }
            }
            ConsumerRequest::OffsetFetch => {
                for p in self.positions.values_mut() {
                    p.fetching_committed = false;
                }
            }
            ConsumerRequest::Commit => {
                out.emit(EventKind::CommitFailed {
                    consumer: self.id,
                    error: ErrorCode::RequestTimedOut,
                });
            }
        }
    }

    fn tick_now(&mut self, ctx: &Context, env: &mut ClientEnv, out: &mut Outbox<ConsumerTimer>) {
        if let Some(coord) = self.coordinator(ctx) {
            if self.phase == MemberPhase::Stable {
                self.fetch_all(coord, ctx, env, out);
            }
        }
    }

    fn auto_commit_now(&mut self, ctx: &Context, out: &mut Outbox<ConsumerTimer>) {
        if self.phase != MemberPhase::Stable {
            return;
        }
        let offsets: Vec<(TopicPartition, Offset)> = self
            .positions
            .iter()
            .filter_map(|(tp, p)| p.offset.map(|o| (*tp, o)))
            .collect();
        if !offsets.is_empty() {
            self.commit(offsets, ctx, out);
        }
    }
}

#[path = "consumer_fetch.rs"]
mod fetch;
#[path = "consumer_responses.rs"]
mod responses;
