//! The leader side of fetching: the fetch session of each follower broker (KIP-227),
//! divergence checks by leader epoch, follower progress, long-polled (parked) fetches, and the
//! high watermark.

use super::{Broker, BrokerTimer, ParkedFetch, Replica, Role};
use crate::sim::log::{record_bytes, RECORD_OVERHEAD_BYTES};
use crate::sim::network::{ErrorCode, FetchPosition, FetchResult, Payload};
use crate::sim::node::{Context, Outbox};
use crate::sim::tpmap::TpMap;
use crate::sim::types::{BrokerId, NodeId, Offset, SimTime, TopicPartition};

/// Sends a consumer the answer to its fetch.
fn answer_consumer_fetch(
    to: NodeId,
    request_id: u64,
    partitions: Vec<(TopicPartition, FetchResult)>,
    out: &mut Outbox<BrokerTimer>,
) {
    let answer = Payload::ConsumerFetchResponse {
        request_id,
        partitions,
    };
    out.send(to, answer);
}

/// A fetched record's size, as the throttle counts it.
fn fetched_bytes(r: &crate::sim::network::FetchedRecord) -> usize {
    r.2.key.as_ref().map_or(0, |k| k.len()) + r.2.value.len() + RECORD_OVERHEAD_BYTES
}

/// A follower broker's fetch request, as the leader reads it.
#[derive(Clone, Debug)]
pub(super) struct ReplicaFetch {
    pub follower: BrokerId,
    pub request_id: u64,
    pub session_id: u64,
    pub session_epoch: u32,
    pub partitions: Vec<(TopicPartition, FetchPosition)>,
    pub forgotten: Vec<TopicPartition>,
}

/// The fetch session a leader keeps for one follower broker (KIP-227): which partitions the
/// follower fetches here, where each stands, and what it was last told.
#[derive(Clone, Debug)]
pub(super) struct FetchSession {
    /// The session's id (unique on this broker).
    id: u64,
    /// The epoch the follower's next request must carry.
    epoch: u32,
    /// The session's partitions.
    partitions: TpMap<SessionPartition>,
}

/// One partition of a fetch session.
#[derive(Clone, Copy, Debug)]
struct SessionPartition {
    /// Where the follower's replica stands, as its last listing said.
    position: FetchPosition,
    /// The high watermark and log start offset the follower was last told: an incremental
    /// answer lists the partition again when either moves.
    told: Option<(Offset, Offset)>,
}

impl FetchSession {
    /// Takes in the listed partitions' positions; what a partition already in the session
    /// was told stays (Kafka's cached partition keeps its last answer).
    fn list(&mut self, partitions: &[(TopicPartition, FetchPosition)]) {
        for (tp, position) in partitions {
            match self.partitions.get_mut(tp) {
                Some(entry) => entry.position = *position,
                None => {
                    let entry = SessionPartition {
                        position: *position,
                        told: None,
                    };
                    self.partitions.insert(*tp, entry);
                }
            }
        }
    }
}

impl Broker {
    /// A follower broker fetches: update its session, note its progress on every partition
    /// of the session (listed or not: which may let it join an ISR and move a HW), then
    /// answer what is new or park the fetch until some partition has records.
    pub(super) fn handle_replica_fetch(
        &mut self,
        now: SimTime,
        fetch: ReplicaFetch,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let f = fetch.follower;
        // A follower has one fetch in flight: one it sent before is abandoned.
        self.drop_parked_replica_fetches(f, out);
        if let Err(error) = self.update_session(&fetch) {
            let refusal = Payload::ReplicaFetchResponse {
                request_id: fetch.request_id,
                session_id: 0,
                error: Some(error),
                partitions: Vec::new(),
            };
            return out.send(NodeId::Broker(f), refusal);
        }
        let positions: Vec<(TopicPartition, FetchPosition)> = self.fetch_sessions[&f]
            .partitions
            .iter()
            .map(|(tp, p)| (*tp, p.position))
            .collect();
        for (tp, position) in positions {
            if self.check_replica_fetch(tp, f, &position).is_ok() {
                self.note_follower_fetch(now, f, tp, position.fetch_offset, ctx, out);
            }
        }
        if let Some(partitions) = self.session_answer(f, false, now, ctx) {
            self.answer_replica_fetch(f, fetch.request_id, partitions, out);
        } else {
            let id = self.next_id();
            let wait = ctx.config.cluster.replica_fetch_wait_max_ms;
            let expiry = out.set_timer(wait, BrokerTimer::ParkedFetchExpiry { fetch: id });
            let parked = ParkedFetch::Replica {
                expiry,
                follower: f,
                request_id: fetch.request_id,
            };
            self.parked.insert(id, parked);
        }
    }

    /// Opens a session (a full fetch) or applies an incremental fetch to the follower's
    /// session; the error when the session is unknown or the epoch is not the next one.
    fn update_session(&mut self, fetch: &ReplicaFetch) -> Result<(), ErrorCode> {
        let f = fetch.follower;
        if fetch.session_id == 0 {
            let mut session = FetchSession {
                id: self.next_id(),
                epoch: 1,
                partitions: TpMap::new(),
            };
            session.list(&fetch.partitions);
            self.fetch_sessions.insert(f, session);
            return Ok(());
        }
        let session = match self.fetch_sessions.get_mut(&f) {
            Some(s) if s.id == fetch.session_id => s,
            _ => return Err(ErrorCode::FetchSessionIdNotFound),
        };
        if session.epoch != fetch.session_epoch {
            return Err(ErrorCode::InvalidFetchSessionEpoch);
        }
        session.epoch += 1;
        for tp in &fetch.forgotten {
            session.partitions.remove(tp);
        }
        session.list(&fetch.partitions);
        Ok(())
    }

    /// Drops the parked fetches of follower `f` (it sent a new one).
    fn drop_parked_replica_fetches(&mut self, f: BrokerId, out: &mut Outbox<BrokerTimer>) {
        let mut after = 0;
        let is_from_f =
            |p: &ParkedFetch| matches!(p, ParkedFetch::Replica { follower, .. } if *follower == f);
        while let Some(id) = self.first_parked_after(after, is_from_f) {
            after = id;
            let p = self.parked.remove(&id).expect("parked");
            out.cancel_timer(p.expiry());
        }
    }

    /// Whether this broker serves `tp` to follower `f` at `position`: the error or the
    /// divergence to answer instead.
    fn check_replica_fetch(
        &self,
        tp: TopicPartition,
        f: BrokerId,
        position: &FetchPosition,
    ) -> Result<(), FetchResult> {
        let Some(epoch) = self.leader_epoch_of(tp) else {
            return Err(FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        };
        if position.leader_epoch < epoch {
            return Err(FetchResult::Error(ErrorCode::FencedLeaderEpoch));
        }
        if position.leader_epoch > epoch {
            return Err(FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        }
        let replica = &self.replicas[&tp];
        let follows = matches!(&replica.role, Role::Leader(ls) if ls.followers.get(&f).is_some());
        if !follows {
            return Err(FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        }
        let log = &replica.log;
        let fetch_offset = position.fetch_offset;
        // KIP-320/KIP-279: check the follower's last epoch against our epoch cache.
        if let Some(last) = position.last_fetched_epoch {
            let diverging = match log.end_offset_for_epoch(last) {
                Some((e, end)) if e == last && end >= fetch_offset => None,
                Some((e, end)) => Some((e, end)),
                None => Some((0, log.log_start_offset())),
            };
            if let Some((epoch, end_offset)) = diverging {
                return Err(FetchResult::Diverging { epoch, end_offset });
            }
        }
        if fetch_offset > log.log_end_offset() {
            let (epoch, end_offset) = (log.latest_epoch().unwrap_or(0), log.log_end_offset());
            return Err(FetchResult::Diverging { epoch, end_offset });
        }
        Ok(())
    }

    /// Follower `f` fetched `tp` from `fetch_offset`: note its progress (Kafka's
    /// `updateFollowerFetchState`), which may let it join the ISR and move the HW.
    fn note_follower_fetch(
        &mut self,
        now: SimTime,
        f: BrokerId,
        tp: TopicPartition,
        fetch_offset: Offset,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(Replica {
            role: Role::Leader(ls),
            state,
            log,
            ..
        }) = self.replicas.get_mut(&tp)
        else {
            return;
        };
        let (leo, hw) = (log.log_end_offset(), log.high_watermark());
        let in_isr = state.as_ref().is_some_and(|s| s.isr.contains(&f));
        let assigned = state.as_ref().is_some_and(|s| s.replicas.contains(&f));
        let Some(p) = ls.followers.get_mut(&f) else {
            return;
        };
        if fetch_offset >= leo {
            p.last_caught_up = now;
        } else if fetch_offset >= p.last_fetch_leader_leo {
            p.last_caught_up = p.last_caught_up.max(p.last_fetch_time);
        }
        p.last_fetch_leader_leo = leo;
        p.last_fetch_time = now;
        p.leo = Some(fetch_offset);
        let joins = !in_isr
            && assigned
            && ls.pending_isr.is_none()
            && fetch_offset >= hw
            && fetch_offset >= ls.epoch_start_offset;
        if joins {
            let mut new_isr = state.as_ref().map(|s| s.isr.clone()).unwrap_or_default();
            new_isr.push(f);
            self.propose_isr(now, tp, new_isr, out);
        }
        self.maybe_advance_hw(tp, ctx, out);
    }

    /// What is new in follower `f`'s session: records where its replicas are behind (as the
    /// replication throttle allows), errors and divergences, and a new HW or log start. None
    /// when no partition has records, an error or a divergence and the fetch may wait
    /// (`must_answer` false).
    fn session_answer(
        &mut self,
        f: BrokerId,
        must_answer: bool,
        now: SimTime,
        ctx: &Context,
    ) -> Option<Vec<(TopicPartition, FetchResult)>> {
        let Some(session) = self.fetch_sessions.get(&f) else {
            return must_answer.then(Vec::new);
        };
        let entries: Vec<(TopicPartition, SessionPartition)> =
            session.partitions.iter().map(|(tp, p)| (*tp, *p)).collect();
        let mut news = false;
        let mut answer = Vec::new();
        for (tp, entry) in entries {
            let result = match self.check_replica_fetch(tp, f, &entry.position) {
                Err(refusal) => {
                    news = true;
                    refusal
                }
                Ok(()) => {
                    let log = &self.replicas[&tp].log;
                    let (leo, told) = (log.log_end_offset(), entry.told);
                    let moved = told != Some((log.high_watermark(), log.log_start_offset()));
                    let offset = entry.position.fetch_offset;
                    if offset < leo {
                        let result = self.replica_read(tp, f, offset, leo, now, ctx);
                        let records = matches!(&result, FetchResult::Records { records, .. } if !records.is_empty());
                        news |= records;
                        if !records && !moved {
                            continue;
                        }
                        result
                    } else if moved {
                        self.read_for_fetch(tp, offset, leo, None, ctx)
                    } else {
                        continue;
                    }
                }
            };
            answer.push((tp, result));
        }
        if !news && !must_answer {
            return None;
        }
        let session = self.fetch_sessions.get_mut(&f).expect("session exists");
        for (tp, result) in &answer {
            if let (
                Some(entry),
                FetchResult::Records {
                    high_watermark,
                    log_start_offset,
                    ..
                },
            ) = (session.partitions.get_mut(tp), result)
            {
                entry.told = Some((*high_watermark, *log_start_offset));
            }
        }
        Some(answer)
    }

    /// Sends follower `f` the answer to its fetch `request_id`.
    fn answer_replica_fetch(
        &self,
        f: BrokerId,
        request_id: u64,
        partitions: Vec<(TopicPartition, FetchResult)>,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let session_id = self.fetch_sessions.get(&f).map_or(0, |s| s.id);
        let error = (session_id == 0).then_some(ErrorCode::FetchSessionIdNotFound);
        let answer = Payload::ReplicaFetchResponse {
            request_id,
            session_id,
            error,
            partitions,
        };
        out.send(NodeId::Broker(f), answer);
    }

    /// A consumer fetches: committed records only (below the HW), parked while none of its
    /// partitions has any.
    pub(super) fn handle_consumer_fetch(
        &mut self,
        from: NodeId,
        request_id: u64,
        partitions: Vec<(TopicPartition, Offset)>,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        if let Some(answer) = self.consumer_answer(&partitions, false, ctx) {
            return answer_consumer_fetch(from, request_id, answer, out);
        }
        let id = self.next_id();
        let wait = ctx.config.consumer.fetch_max_wait_ms;
        let expiry = out.set_timer(wait, BrokerTimer::ParkedFetchExpiry { fetch: id });
        let parked = ParkedFetch::Consumer {
            expiry,
            from,
            request_id,
            partitions,
        };
        self.parked.insert(id, parked);
    }

    /// What a consumer fetching `partitions` gets: records below the HW and errors, for the
    /// partitions that have either. None when none has and the fetch may wait (`must_answer`
    /// false).
    fn consumer_answer(
        &self,
        partitions: &[(TopicPartition, Offset)],
        must_answer: bool,
        ctx: &Context,
    ) -> Option<Vec<(TopicPartition, FetchResult)>> {
        let mut answer = Vec::new();
        for (tp, offset) in partitions {
            let (tp, offset) = (*tp, *offset);
            let result = if self.leader_epoch_of(tp).is_none() {
                FetchResult::Error(ErrorCode::NotLeaderOrFollower)
            } else {
                let log = &self.replicas[&tp].log;
                let hw = log.high_watermark();
                if offset < log.log_start_offset() || offset > log.log_end_offset() {
                    FetchResult::Error(ErrorCode::OffsetOutOfRange)
                } else if offset < hw {
                    self.read_for_fetch(tp, offset, hw, None, ctx)
                } else {
                    continue;
                }
            };
            answer.push((tp, result));
        }
        (!answer.is_empty() || must_answer).then_some(answer)
    }

    /// Records of `tp` from `from` up to `upto` (at most `max_fetch_records`), with the HW.
    fn read_for_fetch(
        &self,
        tp: TopicPartition,
        from: Offset,
        upto: Offset,
        max_bytes: Option<usize>,
        ctx: &Context,
    ) -> FetchResult {
        let log = &self.replicas[&tp].log;
        let mut budget = max_bytes;
        let records = log
            .read(from, upto, ctx.config.cluster.max_fetch_records)
            .take_while(|r| match budget.as_mut() {
                None => true,
                Some(left) => {
                    let size = record_bytes(r);
                    let fits = size <= *left;
                    *left = left.saturating_sub(size);
                    fits
                }
            })
            .map(|r| (r.offset, r.leader_epoch, r.data.clone(), r.producer))
            .collect();
        FetchResult::Records {
            records,
            high_watermark: log.high_watermark(),
            log_start_offset: log.log_start_offset(),
        }
    }

    /// A parked fetch waited long enough: answer with what there is (maybe nothing).
    pub(super) fn expire_parked_fetch(
        &mut self,
        id: u64,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(p) = self.parked.remove(&id) else {
            return;
        };
        match p {
            ParkedFetch::Consumer {
                from,
                request_id,
                partitions,
                ..
            } => {
                let answer = self.consumer_answer(&partitions, true, ctx);
                let answer = answer.expect("a fetch that must be answered is");
                answer_consumer_fetch(from, request_id, answer, out);
            }
            ParkedFetch::Replica {
                follower,
                request_id,
                ..
            } => {
                let answer = self.session_answer(follower, true, out.now(), ctx);
                let partitions = answer.expect("a fetch that must be answered is");
                self.answer_replica_fetch(follower, request_id, partitions, out);
            }
        }
    }

    /// Answers the parked fetch `id` now, whatever its partitions hold (a leadership it
    /// reads from is gone).
    pub(super) fn answer_parked_now(
        &mut self,
        id: u64,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        if let Some(p) = self.parked.get(&id) {
            out.cancel_timer(p.expiry());
            self.expire_parked_fetch(id, ctx, out);
        }
    }

    /// Answers now every parked fetch that reads `tp` (this broker stopped leading it).
    pub(super) fn answer_parked_reading(
        &mut self,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let sessions = &self.fetch_sessions;
        let reads = |p: &ParkedFetch| match p {
            ParkedFetch::Consumer { partitions, .. } => partitions.iter().any(|(t, _)| *t == tp),
            ParkedFetch::Replica { follower, .. } => sessions
                .get(follower)
                .is_some_and(|s| s.partitions.contains_key(&tp)),
        };
        let parked: Vec<u64> = self
            .parked
            .iter()
            .filter(|(_, p)| reads(p))
            .map(|(id, _)| *id)
            .collect();
        for id in parked {
            self.answer_parked_now(id, ctx, out);
        }
    }

    /// What the leader reads for follower `follower` of `tp` from `offset`: the records up to
    /// `upto`, or, for a replica a throttled reassignment adds, what the throttle allows now
    /// (Kafka's `leader.replication.throttled.rate`: a bucket refilled at the rate, at most
    /// one second of it; maybe nothing).
    fn replica_read(
        &mut self,
        tp: TopicPartition,
        follower: BrokerId,
        offset: Offset,
        upto: Offset,
        now: SimTime,
        ctx: &Context,
    ) -> FetchResult {
        let adding = self.replicas[&tp]
            .state
            .as_ref()
            .is_some_and(|s| s.adding.contains(&follower));
        let rate = ctx.config.cluster.reassignment_throttle_bytes_per_sec;
        let Some(rate) = rate.filter(|_| adding) else {
            return self.read_for_fetch(tp, offset, upto, None, ctx);
        };
        let (last, tokens) = self.throttle.unwrap_or((now, rate));
        let refill = rate.saturating_mul(now.saturating_sub(last)) / 1000;
        let tokens = tokens.saturating_add(refill).min(rate);
        let result = self.read_for_fetch(tp, offset, upto, Some(tokens as usize), ctx);
        let sent = match &result {
            FetchResult::Records { records, .. } => {
                records.iter().map(|r| fetched_bytes(r) as u64).sum::<u64>()
            }
            _ => 0,
        };
        self.throttle = Some((now, tokens - sent.min(tokens)));
        result
    }

    /// Completes parked fetches that `tp` can now feed: consumers reading it below its HW,
    /// followers whose session has it behind its LEO.
    pub(super) fn complete_parked_fetches(
        &mut self,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(r) = self.replicas.get(&tp) else {
            return;
        };
        let (leo, hw) = (r.log.log_end_offset(), r.log.high_watermark());
        let sessions = &self.fetch_sessions;
        let is_ready = |p: &ParkedFetch| match p {
            ParkedFetch::Consumer { partitions, .. } => partitions
                .iter()
                .any(|(parked, offset)| *parked == tp && *offset < hw),
            ParkedFetch::Replica { follower, .. } => sessions
                .get(follower)
                .and_then(|s| s.partitions.get(&tp))
                .is_some_and(|e| e.position.fetch_offset < leo),
        };
        let ready: Vec<u64> = self
            .parked
            .iter()
            .filter(|(_, p)| is_ready(p))
            .map(|(id, _)| *id)
            .collect();
        // In id order. A throttled follower's fetch that the throttle allows nothing now
        // stays parked.
        let now = out.now();
        for id in ready {
            match self.parked.get(&id).expect("parked").clone() {
                ParkedFetch::Consumer {
                    expiry,
                    from,
                    request_id,
                    partitions,
                } => {
                    let answer = self.consumer_answer(&partitions, true, ctx);
                    let answer = answer.expect("a fetch that must be answered is");
                    self.parked.remove(&id);
                    out.cancel_timer(expiry);
                    answer_consumer_fetch(from, request_id, answer, out);
                }
                ParkedFetch::Replica {
                    expiry,
                    follower,
                    request_id,
                } => {
                    if let Some(partitions) = self.session_answer(follower, false, now, ctx) {
                        self.parked.remove(&id);
                        out.cancel_timer(expiry);
                        self.answer_replica_fetch(follower, request_id, partitions, out);
                    }
                }
            }
        }
    }

    /// The id of the first parked fetch after `after` matching `pred`.
    fn first_parked_after(&self, after: u64, pred: impl Fn(&ParkedFetch) -> bool) -> Option<u64> {
        let found = self.parked.iter().find(|(id, p)| **id > after && pred(p));
        found.map(|(id, _)| *id)
    }

    /// HW = min LEO over the (maximal) ISR, frozen while |ISR| < min.insync.replicas (3.7+).
    pub(super) fn maybe_advance_hw(
        &mut self,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let b = self.id;
        let min_isr = ctx.min_isr(tp);
        let cleanup = ctx.cleanup(tp);
        let Some(replica) = self.replicas.get_mut(&tp) else {
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
                new_hw = new_hw.min(ls.followers.get(r).and_then(|p| p.leo).unwrap_or(0));
            }
        }
        if new_hw > replica.log.high_watermark() {
            replica.log.set_high_watermark(new_hw);
            replica.log.clean_up(cleanup);
            debug_assert!(
                replica.log.high_watermark() <= replica.log.log_end_offset(),
                "HW <= LEO"
            );
            self.complete_parked_fetches(tp, ctx, out);
            self.check_pending(tp, ctx, out);
        }
    }
}
