//! A broker: its replicas (logs on disk, roles in memory), leader-side produce and fetch
//! handling, the high watermark, ISR shrink and expand, and follower fetching and truncation.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::config::Acks;
use super::coordinator::GroupState;
use super::engine::{Simulation, Timer, TimerKey};
use super::events::EventKind;
use super::idmap::IdMap;
use super::log::{LogRecord, PartitionLog, SequenceCheck};
use super::network::{ErrorCode, FetchResult, PartitionState, Payload, RecordData};
use super::seqmap::SeqMap;
use super::tpmap::TpMap;
use super::types::{BrokerId, LeaderEpoch, NodeId, Offset, ProducerId, SimTime, TopicPartition};

/// What the leader knows of one follower.
#[derive(Clone, Debug, Default)]
pub(crate) struct FollowerProgress {
    /// The follower's LEO, learned from its last fetch offset.
    pub leo: Offset,
    /// Last time the follower was caught up (Kafka's `lastCaughtUpTimeMs`).
    pub last_caught_up: SimTime,
    /// Time of the follower's previous fetch.
    pub last_fetch_time: SimTime,
    /// The leader's LEO at the follower's previous fetch.
    pub last_fetch_leader_leo: Offset,
}

/// Leader-only memory of a replica.
#[derive(Clone, Debug, Default)]
pub(crate) struct LeaderState {
    /// The LEO when this leader epoch started.
    pub epoch_start_offset: Offset,
    /// Progress of every other replica.
    pub followers: IdMap<BrokerId, FollowerProgress>,
    /// An ISR change sent to the controller and not yet answered, with when it was sent.
    pub pending_isr: Option<(Vec<BrokerId>, SimTime)>,
}

/// The role a replica plays, as its broker believes.
#[derive(Clone, Debug, Default)]
pub(crate) enum Role {
    /// Not started (broker just restarted, or no metadata yet).
    #[default]
    Unknown,
    /// Leader of its partition.
    Leader(LeaderState),
    /// Follower fetching from `leader`.
    Follower {
        /// Whom it fetches from.
        leader: Option<BrokerId>,
        /// Request id of the fetch in flight.
        fetch_in_flight: Option<u64>,
    },
}

/// One partition replica on a broker.
#[derive(Clone, Debug, Default)]
pub(crate) struct Replica {
    /// The log (survives a crash).
    pub log: PartitionLog,
    /// Role (memory).
    pub role: Role,
    /// The partition state this broker acts on.
    pub state: Option<PartitionState>,
    /// The timeout of the follower's fetch in flight.
    pub fetch_timeout: Option<TimerKey>,
}

/// A fetch the leader holds until data arrives or the wait expires (long poll).
#[derive(Clone, Debug)]
pub(crate) struct ParkedFetch {
    pub expiry: TimerKey,
    pub tp: TopicPartition,
    pub from: NodeId,
    pub request_id: u64,
    pub offset: Offset,
    pub consumer: bool,
}

/// What to answer when a pending acks=all append is committed.
#[derive(Clone, Debug)]
pub(crate) enum PendingReply {
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
pub(crate) struct PendingAck {
    pub expiry: Option<TimerKey>,
    pub tp: TopicPartition,
    pub to: NodeId,
    pub last_offset: Offset,
    pub reply: PendingReply,
}

/// A broker process.
#[derive(Clone, Debug)]
pub(crate) struct Broker {
    pub id: BrokerId,
    pub online: bool,
    pub incarnation: u32,
    pub metadata_version: u64,
    pub fenced: bool,
    pub replicas: TpMap<Replica>,
    pub metadata: TpMap<PartitionState>,
    pub parked: SeqMap<ParkedFetch>,
    pub pending: SeqMap<PendingAck>,
    pub next_local_id: u64,
    pub groups: BTreeMap<Rc<str>, GroupState>,
    /// Committed offsets of the groups this broker coordinates: (group, partition) -> offset.
    pub committed: BTreeMap<(Rc<str>, TopicPartition), Offset>,
}

impl Broker {
    pub fn new(id: BrokerId) -> Self {
        Broker {
            id,
            online: false,
            incarnation: 0,
            metadata_version: 0,
            fenced: false,
            replicas: TpMap::new(),
            metadata: TpMap::new(),
            parked: SeqMap::new(),
            pending: SeqMap::new(),
            next_local_id: 1,
            groups: BTreeMap::new(),
            committed: BTreeMap::new(),
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_local_id += 1;
        self.next_local_id
    }

    pub fn is_leader(&self, tp: TopicPartition) -> bool {
        self.replicas
            .get(&tp)
            .is_some_and(|r| matches!(r.role, Role::Leader(_)))
    }
}

impl Simulation {
    #[inline(always)]
    fn broker(&mut self, b: BrokerId) -> &mut Broker {
        self.brokers.get_mut(&b).expect("broker exists")
    }

    fn min_isr(&self, tp: TopicPartition) -> usize {
        self.topics[tp.topic.0 as usize].config.min_insync_replicas as usize
    }

    pub(crate) fn broker_start(&mut self, b: BrokerId) {
        let broker = self.broker(b);
        broker.online = true;
        broker.incarnation += 1;
        broker.metadata_version = 0;
        let inc = broker.incarnation;
        self.broker_heartbeat(b);
        let lag = self.config.cluster.replica_lag_time_max_ms;
        self.set_timer(lag / 2, Timer::BrokerIsrCheck(b, inc));
        self.set_timer(500, Timer::BrokerGroupCheck(b, inc));
    }

    pub(crate) fn broker_crash(&mut self, b: BrokerId) {
        if !self.brokers[&b].online {
            return;
        }
        let broker = self.broker(b);
        broker.online = false;
        broker.metadata.clear();
        broker.parked.clear();
        broker.pending.clear();
        broker.groups.clear();
        broker.committed.clear();
        broker.fenced = false;
        for r in broker.replicas.values_mut() {
            r.role = Role::Unknown;
            r.state = None;
        }
        self.emit(EventKind::NodeCrashed {
            node: NodeId::Broker(b),
        });
        self.clients_lose_connection(b);
    }

    pub(crate) fn broker_heartbeat(&mut self, b: BrokerId) {
        let broker = &self.brokers[&b];
        let payload = Payload::BrokerHeartbeat {
            incarnation: broker.incarnation,
            metadata_version: broker.metadata_version,
        };
        let inc = broker.incarnation;
        self.transmit(NodeId::Broker(b), NodeId::Controller, payload);
        let interval = self.config.cluster.broker_heartbeat_interval_ms;
        self.set_timer(interval, Timer::BrokerHeartbeat(b, inc));
    }

    pub(crate) fn broker_handle(&mut self, b: BrokerId, from: NodeId, payload: Payload) {
        match payload {
            Payload::BrokerHeartbeatResponse { fenced } => self.broker(b).fenced = fenced,
            Payload::MetadataUpdate {
                base_version,
                version,
                partitions,
            } => {
                let current = self.brokers[&b].metadata_version;
                if base_version.is_some_and(|v| v != current) || version <= current {
                    return; // a gap: the next heartbeat brings a full image
                }
                self.broker(b).metadata_version = version;
                for state in partitions {
                    self.broker_apply_partition_state(b, state);
                }
            }
            Payload::AlterPartitionResponse { tp, result } => {
                self.leader_alter_partition_response(b, tp, result)
            }
            Payload::ReplicaFetch {
                request_id,
                tp,
                fetch_offset,
                last_fetched_epoch,
                leader_epoch,
            } => {
                let NodeId::Broker(f) = from else { return };
                self.leader_handle_replica_fetch(
                    b,
                    f,
                    request_id,
                    tp,
                    fetch_offset,
                    last_fetched_epoch,
                    leader_epoch,
                )
            }
            Payload::ReplicaFetchResponse {
                request_id,
                tp,
                result,
            } => self.follower_handle_fetch_response(b, request_id, tp, result),
            Payload::MetadataRequest => {
                let partitions = self.brokers[&b].metadata.values().cloned().collect();
                self.transmit(
                    NodeId::Broker(b),
                    from,
                    Payload::MetadataResponse { partitions },
                );
            }
            Payload::Produce {
                request_id,
                tp,
                acks,
                idempotence,
                records,
                timeout_ms,
            } => self.leader_handle_produce(
                b,
                from,
                request_id,
                tp,
                acks,
                idempotence,
                records,
                timeout_ms,
            ),
            Payload::ConsumerFetch {
                request_id,
                tp,
                offset,
            } => self.leader_handle_consumer_fetch(b, from, request_id, tp, offset),
            Payload::ListOffsets { tp, earliest } => {
                let result = match self.brokers[&b].replicas.get(&tp) {
                    Some(r) if matches!(r.role, Role::Leader(_)) => Ok(if earliest {
                        r.log.log_start_offset()
                    } else {
                        r.log.high_watermark()
                    }),
                    _ => Err(ErrorCode::NotLeaderOrFollower),
                };
                self.transmit(
                    NodeId::Broker(b),
                    from,
                    Payload::ListOffsetsResponse { tp, result },
                );
            }
            other => self.coordinator_handle(b, from, other),
        }
    }

    fn broker_apply_partition_state(&mut self, b: BrokerId, state: PartitionState) {
        let now = self.now;
        self.broker(b).metadata.insert(state.tp, state.clone());
        if !state.replicas.contains(&b) {
            return;
        }
        let tp = state.tp;
        let replica = self
            .broker(b)
            .replicas
            .get_or_insert_with(tp, Replica::default);
        let same_epoch = replica
            .state
            .as_ref()
            .is_some_and(|s| s.leader_epoch == state.leader_epoch);
        if state.leader == Some(b) {
            if same_epoch && matches!(replica.role, Role::Leader(_)) {
                if let Role::Leader(ls) = &mut replica.role {
                    if ls.pending_isr.is_some() {
                        ls.pending_isr = None;
                    }
                }
                replica.state = Some(state);
                self.leader_after_isr_change(b, tp);
                return;
            }
            // Become leader: the epoch starts at our LEO; every follower starts caught up now.
            let leo = replica.log.log_end_offset();
            replica.log.assign_epoch_start(state.leader_epoch, leo);
            let followers = state
                .replicas
                .iter()
                .filter(|r| **r != b)
                .map(|r| {
                    (
                        *r,
                        FollowerProgress {
                            leo: 0,
                            last_caught_up: now,
                            last_fetch_time: now,
                            last_fetch_leader_leo: 0,
                        },
                    )
                })
                .collect();
            replica.role = Role::Leader(LeaderState {
                epoch_start_offset: leo,
                followers,
                pending_isr: None,
            });
            replica.state = Some(state);
            if self.topics[tp.topic.0 as usize].internal {
                self.coordinator_load_offsets(b, tp);
            }
            self.leader_maybe_advance_hw(b, tp);
        } else {
            let was_leader = matches!(replica.role, Role::Leader(_));
            let same_leader =
                matches!(replica.role, Role::Follower { leader, .. } if leader == state.leader);
            let in_flight = match replica.role {
                Role::Follower {
                    fetch_in_flight, ..
                } if same_leader && same_epoch => fetch_in_flight,
                _ => None,
            };
            replica.role = Role::Follower {
                leader: state.leader,
                fetch_in_flight: in_flight,
            };
            replica.state = Some(state);
            if was_leader {
                self.leader_resign(b, tp);
            }
            if in_flight.is_none() {
                self.follower_send_fetch(b, tp);
            }
        }
    }

    /// Answers everything a former leader held for `tp` with NOT_LEADER_OR_FOLLOWER.
    fn leader_resign(&mut self, b: BrokerId, tp: TopicPartition) {
        let broker = self.broker(b);
        let pending: Vec<u64> = broker
            .pending
            .iter()
            .filter(|(_, p)| p.tp == tp)
            .map(|(id, _)| *id)
            .collect();
        for id in pending {
            self.complete_pending(b, id, Err(ErrorCode::NotLeaderOrFollower));
        }
        let parked: Vec<u64> = self.brokers[&b]
            .parked
            .iter()
            .filter(|(_, p)| p.tp == tp)
            .map(|(id, _)| *id)
            .collect();
        for id in parked {
            if let Some(p) = self.broker(b).parked.remove(&id) {
                self.respond_fetch(b, &p, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
            }
        }
        if self.topics[tp.topic.0 as usize].internal {
            self.coordinator_unload(b, tp);
        }
    }

    // ----- follower side -----

    pub(crate) fn follower_send_fetch(&mut self, b: BrokerId, tp: TopicPartition) {
        let inc = self.brokers[&b].incarnation;
        let request_id = self.broker(b).next_id();
        let replica = self
            .broker(b)
            .replicas
            .get_mut(&tp)
            .expect("replica exists");
        let Role::Follower {
            leader: Some(leader),
            fetch_in_flight,
        } = &mut replica.role
        else {
            return;
        };
        if *leader == b {
            return;
        }
        let leader = *leader;
        *fetch_in_flight = Some(request_id);
        let payload = Payload::ReplicaFetch {
            request_id,
            tp,
            fetch_offset: replica.log.log_end_offset(),
            last_fetched_epoch: replica.log.latest_epoch(),
            leader_epoch: replica.state.as_ref().map_or(0, |s| s.leader_epoch),
        };
        self.transmit(NodeId::Broker(b), NodeId::Broker(leader), payload);
        let timeout = self.config.cluster.replica_fetch_wait_max_ms
            + self.config.cluster.replica_socket_timeout_ms;
        let key = self.set_timer(timeout, Timer::BrokerFetchTimeout(b, inc, tp, request_id));
        if let Some(r) = self.broker(b).replicas.get_mut(&tp) {
            r.fetch_timeout = Some(key);
        }
    }

    /// A fetch to a crashed leader fails at once; retry after the fetch backoff.
    pub(crate) fn broker_disconnected(&mut self, b: BrokerId, payload: Payload) {
        if let Payload::ReplicaFetch { request_id, tp, .. } = payload {
            let backoff = self.config.cluster.replica_fetch_backoff_ms;
            let inc = self.brokers[&b].incarnation;
            if let Some(Replica {
                role: Role::Follower {
                    fetch_in_flight, ..
                },
                ..
            }) = self.broker(b).replicas.get_mut(&tp)
            {
                if *fetch_in_flight == Some(request_id) {
                    *fetch_in_flight = None;
                    self.set_timer(backoff, Timer::BrokerFetchRetry(b, inc, tp));
                }
            }
        }
    }

    pub(crate) fn follower_fetch_retry(&mut self, b: BrokerId, tp: TopicPartition) {
        let idle = matches!(
            self.brokers[&b].replicas.get(&tp).map(|r| &r.role),
            Some(Role::Follower {
                fetch_in_flight: None,
                ..
            })
        );
        if idle {
            self.follower_send_fetch(b, tp);
        }
    }

    pub(crate) fn follower_fetch_timeout(&mut self, b: BrokerId, tp: TopicPartition, request: u64) {
        if let Some(Replica {
            role: Role::Follower {
                fetch_in_flight, ..
            },
            ..
        }) = self.broker(b).replicas.get_mut(&tp)
        {
            if *fetch_in_flight == Some(request) {
                *fetch_in_flight = None;
                self.follower_send_fetch(b, tp);
            }
        }
    }

    fn follower_handle_fetch_response(
        &mut self,
        b: BrokerId,
        request_id: u64,
        tp: TopicPartition,
        result: FetchResult,
    ) {
        let retention = (
            self.config.cluster.retention_records,
            self.config.cluster.retention_bytes,
        );
        let backoff = self.config.cluster.replica_fetch_backoff_ms;
        let inc = self.brokers[&b].incarnation;
        let Some(replica) = self.broker(b).replicas.get_mut(&tp) else {
            return;
        };
        match &mut replica.role {
            Role::Follower {
                fetch_in_flight, ..
            } if *fetch_in_flight == Some(request_id) => {
                *fetch_in_flight = None;
            }
            _ => return,
        }
        if let Some(key) = replica.fetch_timeout.take() {
            self.cancel_timer(key);
        }
        let Some(replica) = self.broker(b).replicas.get_mut(&tp) else {
            return;
        };
        match result {
            FetchResult::Records {
                records,
                high_watermark,
                log_start_offset,
            } => {
                let log = &mut replica.log;
                if log_start_offset > log.log_end_offset() {
                    log.reset_to(log_start_offset);
                }
                for (offset, epoch, data, producer) in records {
                    if offset != log.log_end_offset() {
                        break;
                    }
                    log.append_replicated(LogRecord {
                        offset,
                        leader_epoch: epoch,
                        data,
                        producer,
                    });
                }
                let hw = high_watermark.min(log.log_end_offset());
                if hw > log.high_watermark() {
                    log.set_high_watermark(hw);
                }
                log.apply_retention(retention.0, retention.1);
                self.follower_send_fetch(b, tp);
            }
            FetchResult::Diverging { epoch, end_offset } => {
                let log = &mut replica.log;
                let before = log.log_end_offset();
                let epoch_before = log.latest_epoch();
                let ours = log
                    .end_offset_for_epoch(epoch)
                    .map_or(end_offset, |(_, end)| end);
                let target = end_offset.min(ours).min(before);
                log.truncate_to(target);
                let after = log.log_end_offset();
                let progressed = after < before || log.latest_epoch() != epoch_before;
                if after < before {
                    self.counters.records_truncated += before - after;
                    self.emit(EventKind::Truncated {
                        broker: b,
                        tp,
                        from: before,
                        to: after,
                    });
                }
                if progressed {
                    self.follower_send_fetch(b, tp);
                } else {
                    // Nothing to cut: do not spin; ask again after the fetch backoff.
                    self.set_timer(backoff, Timer::BrokerFetchRetry(b, inc, tp));
                }
            }
            FetchResult::Error(_) => {
                self.set_timer(backoff, Timer::BrokerFetchRetry(b, inc, tp));
            }
        }
    }

    // ----- leader side -----

    fn leader_epoch_of(&self, b: BrokerId, tp: TopicPartition) -> Option<LeaderEpoch> {
        let r = self.brokers[&b].replicas.get(&tp)?;
        match r.role {
            Role::Leader(_) => r.state.as_ref().map(|s| s.leader_epoch),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn leader_handle_replica_fetch(
        &mut self,
        b: BrokerId,
        f: BrokerId,
        request_id: u64,
        tp: TopicPartition,
        fetch_offset: Offset,
        last_fetched_epoch: Option<LeaderEpoch>,
        follower_epoch: LeaderEpoch,
    ) {
        let now = self.now;
        let reply = |sim: &mut Simulation, result: FetchResult| {
            sim.transmit(
                NodeId::Broker(b),
                NodeId::Broker(f),
                Payload::ReplicaFetchResponse {
                    request_id,
                    tp,
                    result,
                },
            );
        };
        let Some(epoch) = self.leader_epoch_of(b, tp) else {
            return reply(self, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        };
        if follower_epoch < epoch {
            return reply(self, FetchResult::Error(ErrorCode::FencedLeaderEpoch));
        }
        if follower_epoch > epoch {
            return reply(self, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        }
        let replica = &self.brokers[&b].replicas[&tp];
        let log = &replica.log;
        // KIP-320/KIP-279: check the follower's last epoch against our epoch cache.
        if let Some(last) = last_fetched_epoch {
            let diverging = match log.end_offset_for_epoch(last) {
                Some((e, end)) if e == last && end >= fetch_offset => None,
                Some((e, end)) => Some((e, end)),
                None => Some((0, log.log_start_offset())),
            };
            if let Some((epoch, end_offset)) = diverging {
                return reply(self, FetchResult::Diverging { epoch, end_offset });
            }
        }
        if fetch_offset > log.log_end_offset() {
            let (epoch, end_offset) = (log.latest_epoch().unwrap_or(0), log.log_end_offset());
            return reply(self, FetchResult::Diverging { epoch, end_offset });
        }
        let leo = log.log_end_offset();
        let hw = log.high_watermark();
        let in_isr = replica.state.as_ref().is_some_and(|s| s.isr.contains(&f));
        let mut expand = None;
        if let Some(Replica {
            role: Role::Leader(ls),
            state,
            ..
        }) = self.broker(b).replicas.get_mut(&tp)
        {
            let Some(p) = ls.followers.get_mut(&f) else {
                return reply(self, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
            };
            if fetch_offset >= leo {
                p.last_caught_up = now;
            } else if fetch_offset >= p.last_fetch_leader_leo {
                p.last_caught_up = p.last_caught_up.max(p.last_fetch_time);
            }
            p.last_fetch_leader_leo = leo;
            p.last_fetch_time = now;
            p.leo = fetch_offset;
            let joins = !in_isr
                && ls.pending_isr.is_none()
                && fetch_offset >= hw
                && fetch_offset >= ls.epoch_start_offset;
            if joins {
                let mut new_isr = state.as_ref().map(|s| s.isr.clone()).unwrap_or_default();
                new_isr.push(f);
                expand = Some(new_isr);
            }
        }
        if let Some(new_isr) = expand {
            self.leader_propose_isr(b, tp, new_isr);
        }
        self.leader_maybe_advance_hw(b, tp);
        if fetch_offset < leo {
            let result = self.read_for_fetch(b, tp, fetch_offset, leo);
            reply(self, result);
        } else {
            let id = self.broker(b).next_id();
            let inc = self.brokers[&b].incarnation;
            let wait = self.config.cluster.replica_fetch_wait_max_ms;
            let expiry = self.set_timer(wait, Timer::BrokerParkedFetchExpiry(b, inc, id));
            let parked = ParkedFetch {
                expiry,
                tp,
                from: NodeId::Broker(f),
                request_id,
                offset: fetch_offset,
                consumer: false,
            };
            self.broker(b).parked.insert(id, parked);
        }
    }

    fn read_for_fetch(
        &self,
        b: BrokerId,
        tp: TopicPartition,
        from: Offset,
        upto: Offset,
    ) -> FetchResult {
        let log = &self.brokers[&b].replicas[&tp].log;
        let records = log
            .read(from, upto, self.config.cluster.max_fetch_records)
            .map(|r| (r.offset, r.leader_epoch, r.data.clone(), r.producer))
            .collect();
        FetchResult::Records {
            records,
            high_watermark: log.high_watermark(),
            log_start_offset: log.log_start_offset(),
        }
    }

    fn respond_fetch(&mut self, b: BrokerId, p: &ParkedFetch, result: FetchResult) {
        self.cancel_timer(p.expiry);
        let payload = if p.consumer {
            Payload::ConsumerFetchResponse {
                request_id: p.request_id,
                tp: p.tp,
                result,
            }
        } else {
            Payload::ReplicaFetchResponse {
                request_id: p.request_id,
                tp: p.tp,
                result,
            }
        };
        self.transmit(NodeId::Broker(b), p.from, payload);
    }

    pub(crate) fn broker_expire_parked_fetch(&mut self, b: BrokerId, id: u64) {
        let Some(p) = self.broker(b).parked.remove(&id) else {
            return;
        };
        let result = match self.brokers[&b].replicas.get(&p.tp) {
            Some(r) if matches!(r.role, Role::Leader(_)) => {
                let upto = if p.consumer {
                    r.log.high_watermark()
                } else {
                    r.log.log_end_offset()
                };
                self.read_for_fetch(b, p.tp, p.offset, upto)
            }
            _ => FetchResult::Error(ErrorCode::NotLeaderOrFollower),
        };
        self.respond_fetch(b, &p, result);
    }

    /// Completes parked fetches on `tp` that can now return data (followers read to the LEO,
    /// consumers to the HW).
    fn complete_parked_fetches(&mut self, b: BrokerId, tp: TopicPartition) {
        let Some(r) = self.brokers[&b].replicas.get(&tp) else {
            return;
        };
        let (leo, hw) = (r.log.log_end_offset(), r.log.high_watermark());
        let is_ready = |p: &ParkedFetch| p.tp == tp && p.offset < if p.consumer { hw } else { leo };
        // In id order; each answered fetch leaves the map, so the search starts over.
        while let Some(id) = self.first_parked(b, is_ready) {
            if let Some(p) = self.broker(b).parked.remove(&id) {
                let upto = if p.consumer { hw } else { leo };
                let result = self.read_for_fetch(b, tp, p.offset, upto);
                self.respond_fetch(b, &p, result);
            }
        }
    }

    /// The id of the first parked fetch matching `pred`.
    fn first_parked(&self, b: BrokerId, pred: impl Fn(&ParkedFetch) -> bool) -> Option<u64> {
        let parked = &self.brokers[&b].parked;
        let found = parked.iter().find(|(_, p)| pred(p));
        found.map(|(id, _)| *id)
    }

    /// HW = min LEO over the (maximal) ISR, frozen while |ISR| < min.insync.replicas (3.7+).
    pub(crate) fn leader_maybe_advance_hw(&mut self, b: BrokerId, tp: TopicPartition) {
        let min_isr = self.min_isr(tp);
        let retention = (
            self.config.cluster.retention_records,
            self.config.cluster.retention_bytes,
        );
        let Some(replica) = self.broker(b).replicas.get_mut(&tp) else {
            return;
        };
        let Role::Leader(ls) = &replica.role else {
            return;
        };
        let Some(state) = &replica.state else { return };
        if state.isr.len() < min_isr {
            return;
        }
        let mut new_hw = replica.log.log_end_offset();
        let pending = ls
            .pending_isr
            .as_ref()
            .map(|(isr, _)| isr.as_slice())
            .unwrap_or(&[]);
        for r in state.isr.iter().chain(pending.iter()) {
            if *r != b {
                new_hw = new_hw.min(ls.followers.get(r).map_or(0, |p| p.leo));
            }
        }
        if new_hw > replica.log.high_watermark() {
            replica.log.set_high_watermark(new_hw);
            replica.log.apply_retention(retention.0, retention.1);
            self.complete_parked_fetches(b, tp);
            self.leader_check_pending(b, tp);
        }
    }

    /// Answers pending acks=all appends on `tp`: success once the HW passes them, or
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is below min.insync.replicas.
    fn leader_check_pending(&mut self, b: BrokerId, tp: TopicPartition) {
        let min_isr = self.min_isr(tp);
        let Some(replica) = self.brokers[&b].replicas.get(&tp) else {
            return;
        };
        let hw = replica.log.high_watermark();
        let isr_len = replica.state.as_ref().map_or(0, |s| s.isr.len());
        let below_min_isr = isr_len < min_isr;
        // In id order; each answered append leaves the map, so the search starts over.
        while let Some(id) = {
            let pending = &self.brokers[&b].pending;
            let due = pending
                .iter()
                .find(|(_, p)| p.tp == tp && (below_min_isr || p.last_offset < hw));
            due.map(|(id, _)| *id)
        } {
            let result = if below_min_isr {
                Err(ErrorCode::NotEnoughReplicasAfterAppend)
            } else {
                Ok(())
            };
            self.complete_pending(b, id, result);
        }
    }

    fn complete_pending(&mut self, b: BrokerId, id: u64, result: Result<(), ErrorCode>) {
        let Some(p) = self.broker(b).pending.remove(&id) else {
            return;
        };
        if let Some(expiry) = p.expiry {
            self.cancel_timer(expiry);
        }
        let payload = match p.reply {
            PendingReply::Produce {
                request_id,
                base_offset,
            } => Payload::ProduceResponse {
                request_id,
                tp: p.tp,
                result: result.map(|_| base_offset),
            },
            PendingReply::Commit {
                request_id,
                group,
                offsets,
            } => {
                if result.is_ok() {
                    for (tp, offset) in &offsets {
                        self.broker(b)
                            .committed
                            .insert((group.clone(), *tp), *offset);
                    }
                }
                Payload::OffsetCommitResponse {
                    request_id,
                    group,
                    result: result
                        .map(|_| offsets)
                        .map_err(|_| ErrorCode::NotCoordinator),
                }
            }
        };
        self.transmit(NodeId::Broker(b), p.to, payload);
    }

    pub(crate) fn broker_expire_pending(&mut self, b: BrokerId, id: u64) {
        self.complete_pending(b, id, Err(ErrorCode::RequestTimedOut));
    }

    /// Appends as leader and registers the acknowledgement to send; shared by produce and
    /// offset commits.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn leader_append(
        &mut self,
        b: BrokerId,
        tp: TopicPartition,
        records: &[RecordData],
        idempotence: Option<(ProducerId, u32)>,
        acks: Acks,
        to: NodeId,
        timeout_ms: SimTime,
        reply: PendingReply,
    ) -> Result<(), ErrorCode> {
        let Some(epoch) = self.leader_epoch_of(b, tp) else {
            return Err(ErrorCode::NotLeaderOrFollower);
        };
        let isr_len = self.brokers[&b].replicas[&tp]
            .state
            .as_ref()
            .map_or(0, |s| s.isr.len());
        if acks == Acks::All && isr_len < self.min_isr(tp) {
            return Err(ErrorCode::NotEnoughReplicas);
        }
        let log = &mut self
            .broker(b)
            .replicas
            .get_mut(&tp)
            .expect("leader replica")
            .log;
        let (first, last) = match idempotence {
            Some((pid, seq)) => match log.check_sequence(pid, seq, records.len() as u32) {
                SequenceCheck::Duplicate(meta) => {
                    self.counters.duplicates_suppressed_by_brokers += 1;
                    self.emit(EventKind::DuplicateSuppressed {
                        broker: b,
                        tp,
                        offset: meta.first_offset,
                    });
                    (meta.first_offset, meta.last_offset)
                }
                SequenceCheck::OutOfOrder => return Err(ErrorCode::OutOfOrderSequenceNumber),
                SequenceCheck::Append => log.append_as_leader(epoch, records, idempotence),
            },
            None => log.append_as_leader(epoch, records, None),
        };
        self.complete_parked_fetches(b, tp);
        let reply = match reply {
            PendingReply::Produce { request_id, .. } => PendingReply::Produce {
                request_id,
                base_offset: first,
            },
            other => other,
        };
        match acks {
            Acks::None => {}
            Acks::Leader => {
                let id = self.broker(b).next_id();
                self.broker(b).pending.insert(
                    id,
                    PendingAck {
                        expiry: None,
                        tp,
                        to,
                        last_offset: last,
                        reply,
                    },
                );
                self.complete_pending(b, id, Ok(()));
            }
            Acks::All => {
                let id = self.broker(b).next_id();
                let inc = self.brokers[&b].incarnation;
                let expiry =
                    self.set_timer(timeout_ms, Timer::BrokerPendingProduceExpiry(b, inc, id));
                self.broker(b).pending.insert(
                    id,
                    PendingAck {
                        expiry: Some(expiry),
                        tp,
                        to,
                        last_offset: last,
                        reply,
                    },
                );
            }
        }
        self.leader_maybe_advance_hw(b, tp);
        // A duplicate may already be below the HW: answer it now.
        self.leader_check_pending(b, tp);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn leader_handle_produce(
        &mut self,
        b: BrokerId,
        from: NodeId,
        request_id: u64,
        tp: TopicPartition,
        acks: Acks,
        idempotence: Option<(ProducerId, u32)>,
        records: Vec<RecordData>,
        timeout_ms: SimTime,
    ) {
        let reply = PendingReply::Produce {
            request_id,
            base_offset: 0,
        };
        if let Err(e) =
            self.leader_append(b, tp, &records, idempotence, acks, from, timeout_ms, reply)
        {
            if acks != Acks::None {
                self.transmit(
                    NodeId::Broker(b),
                    from,
                    Payload::ProduceResponse {
                        request_id,
                        tp,
                        result: Err(e),
                    },
                );
            }
        }
    }

    fn leader_handle_consumer_fetch(
        &mut self,
        b: BrokerId,
        from: NodeId,
        request_id: u64,
        tp: TopicPartition,
        offset: Offset,
    ) {
        let reply = |sim: &mut Simulation, result: FetchResult| {
            sim.transmit(
                NodeId::Broker(b),
                from,
                Payload::ConsumerFetchResponse {
                    request_id,
                    tp,
                    result,
                },
            );
        };
        if self.leader_epoch_of(b, tp).is_none() {
            return reply(self, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        }
        let log = &self.brokers[&b].replicas[&tp].log;
        if offset < log.log_start_offset() || offset > log.log_end_offset() {
            return reply(self, FetchResult::Error(ErrorCode::OffsetOutOfRange));
        }
        let hw = log.high_watermark();
        if offset < hw {
            let result = self.read_for_fetch(b, tp, offset, hw);
            return reply(self, result);
        }
        let id = self.broker(b).next_id();
        let inc = self.brokers[&b].incarnation;
        let wait = self.config.consumer.fetch_max_wait_ms;
        let expiry = self.set_timer(wait, Timer::BrokerParkedFetchExpiry(b, inc, id));
        self.broker(b).parked.insert(
            id,
            ParkedFetch {
                expiry,
                tp,
                from,
                request_id,
                offset,
                consumer: true,
            },
        );
    }

    // ----- ISR -----

    fn leader_propose_isr(&mut self, b: BrokerId, tp: TopicPartition, new_isr: Vec<BrokerId>) {
        let now = self.now;
        let Some(replica) = self.broker(b).replicas.get_mut(&tp) else {
            return;
        };
        let Some(state) = replica.state.clone() else {
            return;
        };
        let Role::Leader(ls) = &mut replica.role else {
            return;
        };
        ls.pending_isr = Some((new_isr.clone(), now));
        let payload = Payload::AlterPartition {
            tp,
            leader_epoch: state.leader_epoch,
            partition_epoch: state.partition_epoch,
            new_isr,
        };
        self.transmit(NodeId::Broker(b), NodeId::Controller, payload);
    }

    fn leader_alter_partition_response(
        &mut self,
        b: BrokerId,
        tp: TopicPartition,
        result: Result<PartitionState, ErrorCode>,
    ) {
        let Some(replica) = self.broker(b).replicas.get_mut(&tp) else {
            return;
        };
        let Role::Leader(ls) = &mut replica.role else {
            return;
        };
        ls.pending_isr = None;
        if let Ok(state) = result {
            let current = replica
                .state
                .as_ref()
                .map_or((0, 0), |s| (s.leader_epoch, s.partition_epoch));
            if state.leader_epoch == current.0 && state.partition_epoch >= current.1 {
                replica.state = Some(state);
            }
        }
        self.leader_after_isr_change(b, tp);
    }

    fn leader_after_isr_change(&mut self, b: BrokerId, tp: TopicPartition) {
        self.leader_maybe_advance_hw(b, tp);
        self.leader_check_pending(b, tp);
    }

    /// Every half of replica.lag.time.max.ms: drop followers not caught up within the lag time.
    pub(crate) fn broker_isr_check(&mut self, b: BrokerId) {
        let now = self.now;
        let lag = self.config.cluster.replica_lag_time_max_ms;
        let mut proposals = Vec::new();
        for (tp, replica) in self.broker(b).replicas.iter_mut() {
            let Role::Leader(ls) = &mut replica.role else {
                continue;
            };
            let Some(state) = &replica.state else {
                continue;
            };
            if let Some((_, sent)) = ls.pending_isr {
                if now.saturating_sub(sent) < lag / 2 {
                    continue;
                }
                ls.pending_isr = None; // no answer: the controller may be down; try again
            }
            let out: Vec<BrokerId> = state
                .isr
                .iter()
                .copied()
                .filter(|r| *r != b)
                .filter(|r| {
                    ls.followers
                        .get(r)
                        .is_none_or(|p| now.saturating_sub(p.last_caught_up) > lag)
                })
                .collect();
            if !out.is_empty() {
                let new_isr: Vec<BrokerId> = state
                    .isr
                    .iter()
                    .copied()
                    .filter(|r| !out.contains(r))
                    .collect();
                proposals.push((*tp, new_isr));
            }
        }
        for (tp, new_isr) in proposals {
            self.leader_propose_isr(b, tp, new_isr);
        }
        let inc = self.brokers[&b].incarnation;
        self.set_timer(lag / 2, Timer::BrokerIsrCheck(b, inc));
    }
}
