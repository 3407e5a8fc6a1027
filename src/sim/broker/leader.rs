//! The leader side of fetching: divergence checks by leader epoch, follower progress, long-polled
//! (parked) fetches, and the high watermark.

use super::{respond_fetch, Broker, BrokerTimer, ParkedFetch, Replica, Role};
use crate::sim::log::{record_bytes, RECORD_OVERHEAD_BYTES};
use crate::sim::network::{ErrorCode, FetchResult, Payload};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{BrokerId, LeaderEpoch, NodeId, Offset, SimTime, TopicPartition};

/// The follower a parked replica fetch came from.
fn parked_follower(p: &ParkedFetch) -> BrokerId {
    match p.from {
        NodeId::Broker(b) => b,
        _ => BrokerId(0),
    }
}

/// A fetched record's size, as the throttle counts it.
fn fetched_bytes(r: &crate::sim::network::FetchedRecord) -> usize {
    r.2.key.as_ref().map_or(0, |k| k.len()) + r.2.value.len() + RECORD_OVERHEAD_BYTES
}

/// A follower's fetch request, as the leader reads it.
#[derive(Clone, Copy, Debug)]
pub(super) struct ReplicaFetch {
    pub follower: BrokerId,
    pub request_id: u64,
    pub tp: TopicPartition,
    pub fetch_offset: Offset,
    pub last_fetched_epoch: Option<LeaderEpoch>,
    pub leader_epoch: LeaderEpoch,
}

impl Broker {
    /// A follower fetches: check its epoch and divergence, note its progress (which may let it
    /// join the ISR and move the HW), then answer or park the fetch until data arrives.
    pub(super) fn handle_replica_fetch(
        &mut self,
        now: SimTime,
        fetch: ReplicaFetch,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let ReplicaFetch {
            follower: f,
            request_id,
            tp,
            fetch_offset,
            last_fetched_epoch,
            leader_epoch: follower_epoch,
        } = fetch;
        let reply = |out: &mut Outbox<BrokerTimer>, result: FetchResult| {
            out.send(
                NodeId::Broker(f),
                Payload::ReplicaFetchResponse {
                    request_id,
                    tp,
                    result,
                },
            );
        };
        let Some(epoch) = self.leader_epoch_of(tp) else {
            return reply(out, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        };
        if follower_epoch < epoch {
            return reply(out, FetchResult::Error(ErrorCode::FencedLeaderEpoch));
        }
        if follower_epoch > epoch {
            return reply(out, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        }
        let replica = &self.replicas[&tp];
        let log = &replica.log;
        // KIP-320/KIP-279: check the follower's last epoch against our epoch cache.
        if let Some(last) = last_fetched_epoch {
            let diverging = match log.end_offset_for_epoch(last) {
                Some((e, end)) if e == last && end >= fetch_offset => None,
                Some((e, end)) => Some((e, end)),
                None => Some((0, log.log_start_offset())),
            };
            if let Some((epoch, end_offset)) = diverging {
                return reply(out, FetchResult::Diverging { epoch, end_offset });
            }
        }
        if fetch_offset > log.log_end_offset() {
            let (epoch, end_offset) = (log.latest_epoch().unwrap_or(0), log.log_end_offset());
            return reply(out, FetchResult::Diverging { epoch, end_offset });
        }
        let leo = log.log_end_offset();
        let hw = log.high_watermark();
        let in_isr = replica.state.as_ref().is_some_and(|s| s.isr.contains(&f));
        let assigned = replica
            .state
            .as_ref()
            .is_some_and(|s| s.replicas.contains(&f));
        let mut expand = None;
        if let Some(Replica {
            role: Role::Leader(ls),
            state,
            ..
        }) = self.replicas.get_mut(&tp)
        {
            let Some(p) = ls.followers.get_mut(&f) else {
                return reply(out, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
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
                expand = Some(new_isr);
            }
        }
        if let Some(new_isr) = expand {
            self.propose_isr(now, tp, new_isr, out);
        }
        self.maybe_advance_hw(tp, ctx, out);
        let answer = if fetch_offset < leo {
            self.replica_read(tp, f, fetch_offset, leo, false, now, ctx)
        } else {
            None
        };
        if let Some(result) = answer {
            reply(out, result);
        } else {
            let id = self.next_id();
            let wait = ctx.config.cluster.replica_fetch_wait_max_ms;
            let expiry = out.set_timer(wait, BrokerTimer::ParkedFetchExpiry { fetch: id });
            let parked = ParkedFetch {
                expiry,
                tp,
                from: NodeId::Broker(f),
                request_id,
                offset: fetch_offset,
                consumer: false,
            };
            self.parked.insert(id, parked);
        }
    }

    /// A consumer fetches: committed records only (below the HW), parked while there are none.
    pub(super) fn handle_consumer_fetch(
        &mut self,
        from: NodeId,
        request_id: u64,
        tp: TopicPartition,
        offset: Offset,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let reply = |out: &mut Outbox<BrokerTimer>, result: FetchResult| {
            out.send(
                from,
                Payload::ConsumerFetchResponse {
                    request_id,
                    tp,
                    result,
                },
            );
        };
        if self.leader_epoch_of(tp).is_none() {
            return reply(out, FetchResult::Error(ErrorCode::NotLeaderOrFollower));
        }
        let log = &self.replicas[&tp].log;
        if offset < log.log_start_offset() || offset > log.log_end_offset() {
            return reply(out, FetchResult::Error(ErrorCode::OffsetOutOfRange));
        }
        let hw = log.high_watermark();
        if offset < hw {
            let result = self.read_for_fetch(tp, offset, hw, None, ctx);
            return reply(out, result);
        }
        let id = self.next_id();
        let wait = ctx.config.consumer.fetch_max_wait_ms;
        let expiry = out.set_timer(wait, BrokerTimer::ParkedFetchExpiry { fetch: id });
        self.parked.insert(
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
        let result = match self.replicas.get(&p.tp) {
            Some(r) if r.is_leader() => {
                if p.consumer {
                    self.read_for_fetch(p.tp, p.offset, r.log.high_watermark(), None, ctx)
                } else {
                    let (leo, now) = (r.log.log_end_offset(), out.now());
                    let follower = parked_follower(&p);
                    self.replica_read(p.tp, follower, p.offset, leo, true, now, ctx)
                        .expect("a fetch that must be answered is")
                }
            }
            _ => FetchResult::Error(ErrorCode::NotLeaderOrFollower),
        };
        respond_fetch(&p, result, out);
    }

    /// What the leader answers a follower's fetch from `offset`: the records up to `upto`, or,
    /// for a replica a throttled reassignment adds, what the throttle allows now (Kafka's
    /// `leader.replication.throttled.rate`: a bucket refilled at the rate, at most one second
    /// of it). None when the throttle allows nothing and the fetch may wait (`must_answer`
    /// false): it stays parked.
    #[allow(clippy::too_many_arguments)]
    fn replica_read(
        &mut self,
        tp: TopicPartition,
        follower: BrokerId,
        offset: Offset,
        upto: Offset,
        must_answer: bool,
        now: SimTime,
        ctx: &Context,
    ) -> Option<FetchResult> {
        let adding = self.replicas[&tp]
            .state
            .as_ref()
            .is_some_and(|s| s.adding.contains(&follower));
        let rate = ctx.config.cluster.reassignment_throttle_bytes_per_sec;
        let Some(rate) = rate.filter(|_| adding) else {
            return Some(self.read_for_fetch(tp, offset, upto, None, ctx));
        };
        let (last, tokens) = self.throttle.unwrap_or((now, rate));
        let refill = rate.saturating_mul(now.saturating_sub(last)) / 1000;
        let tokens = tokens.saturating_add(refill).min(rate);
        let result = self.read_for_fetch(tp, offset, upto, Some(tokens as usize), ctx);
        let (sent, empty) = match &result {
            FetchResult::Records { records, .. } => (
                records.iter().map(|r| fetched_bytes(r) as u64).sum::<u64>(),
                records.is_empty(),
            ),
            _ => (0, false),
        };
        self.throttle = Some((now, tokens - sent.min(tokens)));
        (!empty || must_answer).then_some(result)
    }

    /// Completes parked fetches on `tp` that can now return data (followers read to the LEO,
    /// consumers to the HW).
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
        let is_ready = |p: &ParkedFetch| p.tp == tp && p.offset < if p.consumer { hw } else { leo };
        // In id order; each answered fetch leaves the map, so the search goes on after it. A
        // throttled follower's fetch that the throttle allows nothing now stays parked.
        let now = out.now();
        let mut after = 0;
        while let Some(id) = self.first_parked_after(after, is_ready) {
            after = id;
            let p = self.parked.get(&id).expect("parked");
            let (offset, consumer, follower) = (p.offset, p.consumer, parked_follower(p));
            let result = if consumer {
                Some(self.read_for_fetch(tp, offset, hw, None, ctx))
            } else {
                self.replica_read(tp, follower, offset, leo, false, now, ctx)
            };
            if let Some(result) = result {
                let p = self.parked.remove(&id).expect("parked");
                respond_fetch(&p, result, out);
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
