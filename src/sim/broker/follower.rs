//! The follower side of replication: fetching from the leader, appending what it returns,
//! learning the high watermark, and truncating by leader epoch when the logs diverge.

use super::{Broker, BrokerTimer, Replica, Role};
use crate::sim::events::EventKind;
use crate::sim::log::{Cleanup, LogRecord};
use crate::sim::network::{FetchResult, Payload};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{NodeId, TopicPartition};

impl Broker {
    /// Sends the next fetch of `tp` to its leader (when this replica follows one).
    pub(super) fn send_fetch(
        &mut self,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let b = self.id;
        let request_id = self.next_id();
        let replica = self.replicas.get_mut(&tp).expect("replica exists");
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
        out.send(NodeId::Broker(leader), payload);
        let timeout = ctx.config.cluster.replica_fetch_wait_max_ms
            + ctx.config.cluster.replica_socket_timeout_ms;
        let id = out.set_timer(
            timeout,
            BrokerTimer::FetchTimeout {
                tp,
                request: request_id,
            },
        );
        if let Some(r) = self.replicas.get_mut(&tp) {
            r.fetch_timeout = Some(id);
        }
    }

    /// The fetch backoff is over: fetch again unless a fetch already went out.
    pub(super) fn fetch_retry(
        &mut self,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let idle = matches!(
            self.replicas.get(&tp).map(|r| &r.role),
            Some(Role::Follower {
                fetch_in_flight: None,
                ..
            })
        );
        if idle {
            self.send_fetch(tp, ctx, out);
        }
    }

    /// The fetch `request` got no answer: send a new one.
    pub(super) fn fetch_timeout(
        &mut self,
        tp: TopicPartition,
        request: u64,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        if let Some(Replica {
            role: Role::Follower {
                fetch_in_flight, ..
            },
            ..
        }) = self.replicas.get_mut(&tp)
        {
            if *fetch_in_flight == Some(request) {
                *fetch_in_flight = None;
                self.send_fetch(tp, ctx, out);
            }
        }
    }

    /// The leader answered a fetch: append, truncate or back off.
    pub(super) fn handle_fetch_response(
        &mut self,
        request_id: u64,
        tp: TopicPartition,
        result: FetchResult,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let cluster = &ctx.config.cluster;
        let cleanup = ctx.cleanup(tp);
        let backoff = cluster.replica_fetch_backoff_ms;
        let b = self.id;
        let Some(replica) = self.replicas.get_mut(&tp) else {
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
        if let Some(id) = replica.fetch_timeout.take() {
            out.cancel_timer(id);
        }
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
                    // Offsets follow the LEO, with gaps only where a compacting leader's
                    // cleaner removed records.
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
                self.send_fetch(tp, ctx, out);
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
                    out.emit(EventKind::Truncated {
                        broker: b,
                        tp,
                        from: before,
                        to: after,
                    });
                }
                if progressed {
                    self.send_fetch(tp, ctx, out);
                } else {
                    // Nothing to cut: do not spin; ask again after the fetch backoff.
                    out.set_timer(backoff, BrokerTimer::FetchRetry { tp });
                }
            }
            FetchResult::Error(_) => {
                out.set_timer(backoff, BrokerTimer::FetchRetry { tp });
            }
        }
    }
}
