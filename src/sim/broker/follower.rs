//! The follower side of replication: one fetcher per leader broker, fetching every partition
//! it follows there in one incremental fetch session (KIP-227), appending what comes back,
//! learning the high watermark, and truncating by leader epoch when the logs diverge.

use super::{Broker, BrokerTimer, Replica, Role};
use crate::sim::events::EventKind;
use crate::sim::log::{Cleanup, LogRecord};
use crate::sim::network::{ErrorCode, FetchPosition, FetchResult, Payload};
use crate::sim::node::{Context, Outbox, TimerId};
use crate::sim::tpmap::TpMap;
use crate::sim::types::{BrokerId, NodeId, SimTime, TopicPartition};

/// A follower broker's fetcher for one leader broker (Kafka's replica fetcher thread, with
/// `num.replica.fetchers` = 1): at most one fetch in flight, in one session.
#[derive(Clone, Debug, Default)]
pub(super) struct Fetcher {
    /// The fetch in flight: its request id and its timeout.
    in_flight: Option<(u64, TimerId)>,
    /// The session the leader keeps for this fetcher; 0 until it opened one (the next fetch
    /// is then a full one).
    session_id: u64,
    /// The epoch of the next request in the session.
    session_epoch: u32,
    /// What the leader's session holds as of the last request: each partition at the
    /// position it was last listed with.
    sent: TpMap<FetchPosition>,
    /// The leader was unreachable: no fetch before this time.
    backoff_until: Option<SimTime>,
}

impl Fetcher {
    /// Forgets the session: the next fetch is a full one that opens a new session.
    fn reset_session(&mut self) {
        self.session_id = 0;
        self.session_epoch = 0;
        self.sent.clear();
    }
}

/// A leader's answer to a fetch, as the follower reads it.
#[derive(Clone, Debug)]
pub(super) struct FetchResponse {
    pub leader: BrokerId,
    pub request_id: u64,
    pub session_id: u64,
    pub error: Option<ErrorCode>,
    pub partitions: Vec<(TopicPartition, FetchResult)>,
}

/// Where `replica` stands: what its next fetch tells the leader.
fn position(replica: &Replica) -> FetchPosition {
    FetchPosition {
        fetch_offset: replica.log.log_end_offset(),
        last_fetched_epoch: replica.log.latest_epoch(),
        leader_epoch: replica.state.as_ref().map_or(0, |s| s.leader_epoch),
    }
}

/// Whether `replica` follows `leader` and is not backing off.
fn fetches_from(replica: &Replica, leader: BrokerId) -> bool {
    matches!(replica.role, Role::Follower { leader: Some(l) } if l == leader)
        && replica.fetch_backoff_until.is_none()
}

impl Broker {
    /// Sends the next fetch to `leader`, for every partition this broker follows there and
    /// that is not backing off, unless a fetch is in flight or the leader is being waited
    /// out. In an open session it lists only the partitions whose position changed and the
    /// ones that left; a fetcher with nothing to fetch lets its session go.
    pub(super) fn send_fetch(
        &mut self,
        now: SimTime,
        leader: BrokerId,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        if leader == self.id {
            return;
        }
        if !self.fetchers.contains_key(&leader) {
            self.fetchers.insert(leader, Fetcher::default());
        }
        let fetcher = &self.fetchers[&leader];
        let waiting = fetcher.backoff_until.is_some_and(|t| now < t);
        if fetcher.in_flight.is_some() || waiting {
            return;
        }
        let wanted: Vec<(TopicPartition, FetchPosition)> = self
            .replicas
            .iter()
            .filter(|(_, r)| fetches_from(r, leader))
            .map(|(tp, r)| (*tp, position(r)))
            .collect();
        let request_id = self.next_id();
        let fetcher = self.fetchers.get_mut(&leader).expect("fetcher exists");
        fetcher.backoff_until = None;
        if wanted.is_empty() {
            fetcher.reset_session();
            return;
        }
        let full = fetcher.session_id == 0;
        let (partitions, forgotten) = if full {
            (wanted.clone(), Vec::new())
        } else {
            let changed = wanted
                .iter()
                .filter(|(tp, p)| fetcher.sent.get(tp) != Some(p))
                .copied()
                .collect();
            // Both lists are in partition order: one walk finds the ones that left.
            let mut still = wanted.iter().map(|(tp, _)| *tp).peekable();
            let forgotten = fetcher
                .sent
                .keys()
                .filter(|tp| {
                    while still.next_if(|w| w < *tp).is_some() {}
                    still.peek() != Some(*tp)
                })
                .copied()
                .collect();
            (changed, forgotten)
        };
        fetcher.sent.clear();
        for (tp, p) in wanted {
            fetcher.sent.insert(tp, p);
        }
        let payload = Payload::ReplicaFetch {
            request_id,
            session_id: fetcher.session_id,
            session_epoch: fetcher.session_epoch,
            partitions,
            forgotten,
        };
        out.send(NodeId::Broker(leader), payload);
        let timeout = ctx.config.cluster.replica_fetch_wait_max_ms
            + ctx.config.cluster.replica_socket_timeout_ms;
        let timer = out.set_timer(
            timeout,
            BrokerTimer::FetchTimeout {
                leader,
                request: request_id,
            },
        );
        fetcher.in_flight = Some((request_id, timer));
    }

    /// A partition's fetch backoff is over: it rejoins its fetcher's next fetch.
    pub(super) fn partition_backoff_over(
        &mut self,
        now: SimTime,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(replica) = self.replicas.get_mut(&tp) else {
            return;
        };
        if replica.fetch_backoff_until.is_none_or(|t| now < t) {
            return;
        }
        replica.fetch_backoff_until = None;
        if let Role::Follower {
            leader: Some(leader),
        } = replica.role
        {
            self.send_fetch(now, leader, ctx, out);
        }
    }

    /// The fetch `request` to `leader` got no answer: open a new session with a full fetch.
    pub(super) fn fetch_timeout(
        &mut self,
        now: SimTime,
        leader: BrokerId,
        request: u64,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(fetcher) = self.fetchers.get_mut(&leader) else {
            return;
        };
        if fetcher.in_flight.is_some_and(|(id, _)| id == request) {
            fetcher.in_flight = None;
            fetcher.reset_session();
            self.send_fetch(now, leader, ctx, out);
        }
    }

    /// The fetch `request` to `leader` could not be delivered (its process is down): wait
    /// the fetch backoff, then open a new session.
    pub(super) fn leader_unreachable(
        &mut self,
        now: SimTime,
        leader: BrokerId,
        request: u64,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(fetcher) = self.fetchers.get_mut(&leader) else {
            return;
        };
        let Some((id, timeout)) = fetcher.in_flight else {
            return;
        };
        if id != request {
            return;
        }
        out.cancel_timer(timeout);
        fetcher.in_flight = None;
        fetcher.reset_session();
        let backoff = ctx.config.cluster.replica_fetch_backoff_ms;
        fetcher.backoff_until = Some(now + backoff);
        out.set_timer(backoff, BrokerTimer::FetcherBackoffOver { leader });
    }

    /// The leader answered a fetch: take each partition's news (append, truncate, or back
    /// off after an error), then fetch again.
    pub(super) fn handle_fetch_response(
        &mut self,
        now: SimTime,
        response: FetchResponse,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let leader = response.leader;
        let Some(fetcher) = self.fetchers.get_mut(&leader) else {
            return;
        };
        match fetcher.in_flight {
            Some((id, timeout)) if id == response.request_id => {
                out.cancel_timer(timeout);
                fetcher.in_flight = None;
            }
            _ => return,
        }
        if response.error.is_some() || response.session_id == 0 {
            fetcher.reset_session();
        } else {
            fetcher.session_id = response.session_id;
            fetcher.session_epoch += 1;
        }
        let backoff = ctx.config.cluster.replica_fetch_backoff_ms;
        for (tp, result) in response.partitions {
            let asked = self.fetchers[&leader].sent.get(&tp).copied();
            let Some(replica) = self.replicas.get_mut(&tp) else {
                continue;
            };
            // Only news for the position this broker asked from: a partition whose role or
            // log changed since is asked again from where it is now.
            if !fetches_from(replica, leader) || asked != Some(position(replica)) {
                continue;
            }
            if !take_fetched(self.id, tp, replica, result, ctx, out) {
                replica.fetch_backoff_until = Some(now + backoff);
                out.set_timer(backoff, BrokerTimer::PartitionBackoffOver { tp });
            }
        }
        self.send_fetch(now, leader, ctx, out);
    }
}

/// Applies one partition's fetch result to `replica` (broker `b`'s): records are appended and
/// the HW learned, a divergence truncates. False when the partition must back off (an error,
/// or a divergence with nothing left to cut).
fn take_fetched(
    b: BrokerId,
    tp: TopicPartition,
    replica: &mut Replica,
    result: FetchResult,
    ctx: &Context,
    out: &mut Outbox<BrokerTimer>,
) -> bool {
    let cleanup = ctx.cleanup(tp);
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
                // Offsets follow the LEO, with gaps only where a compacting leader's cleaner
                // removed records.
                let follows = offset == log.log_end_offset()
                    || (offset > log.log_end_offset()
                        && matches!(cleanup, Cleanup::Compact { .. }));
                if !follows {
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
            log.clean_up(cleanup);
            debug_assert!(log.high_watermark() <= log.log_end_offset(), "HW <= LEO");
            true
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
            if after < before {
                out.emit(EventKind::Truncated {
                    broker: b,
                    tp,
                    from: before,
                    to: after,
                });
            }
            // Nothing to cut: do not spin; ask again after the fetch backoff.
            after < before || log.latest_epoch() != epoch_before
        }
        FetchResult::Error(_) => false,
    }
}
