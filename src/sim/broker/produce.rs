//! Appends on the leader: produce requests (acks, min.insync.replicas, idempotent dedupe) and
//! the acknowledgements that wait for the high watermark.

use super::{Broker, BrokerTimer, PendingAck, PendingReply};
use crate::sim::config::Acks;
use crate::sim::events::EventKind;
use crate::sim::log::SequenceCheck;
use crate::sim::network::{ErrorCode, Payload, RecordData};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{NodeId, ProducerId, SimDuration, TopicPartition};

/// A produce request, as the leader reads it (the records travel beside it).
#[derive(Clone, Copy, Debug)]
pub(super) struct ProduceRequest {
    pub from: NodeId,
    pub request_id: u64,
    pub tp: TopicPartition,
    pub acks: Acks,
    pub idempotence: Option<(ProducerId, u32)>,
    pub timeout_ms: SimDuration,
}

/// Where and how an append is acknowledged.
#[derive(Clone, Debug)]
pub(super) struct AppendAck {
    pub acks: Acks,
    pub to: NodeId,
    pub timeout_ms: SimDuration,
    pub reply: PendingReply,
}

impl Broker {
    /// A producer's batch: append it and answer now (acks 1), later (acks all) or never (acks 0).
    pub(super) fn handle_produce(
        &mut self,
        req: ProduceRequest,
        records: &[RecordData],
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let ack = AppendAck {
            acks: req.acks,
            to: req.from,
            timeout_ms: req.timeout_ms,
            reply: PendingReply::Produce {
                request_id: req.request_id,
                base_offset: 0,
            },
        };
        if let Err(e) = self.leader_append(req.tp, records, req.idempotence, ack, ctx, out) {
            if req.acks != Acks::None {
                out.send(
                    req.from,
                    Payload::ProduceResponse {
                        request_id: req.request_id,
                        tp: req.tp,
                        result: Err(e),
                    },
                );
            }
        }
    }

    /// Appends as leader and registers the acknowledgement to send; shared by produce and
    /// offset commits.
    pub(super) fn leader_append(
        &mut self,
        tp: TopicPartition,
        records: &[RecordData],
        idempotence: Option<(ProducerId, u32)>,
        ack: AppendAck,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) -> Result<(), ErrorCode> {
        let b = self.id;
        let Some(epoch) = self.leader_epoch_of(tp) else {
            return Err(ErrorCode::NotLeaderOrFollower);
        };
        let isr_len = self.replicas[&tp].state.as_ref().map_or(0, |s| s.isr.len());
        if ack.acks == Acks::All && isr_len < ctx.min_isr(tp) {
            return Err(ErrorCode::NotEnoughReplicas);
        }
        let log = &mut self.replicas.get_mut(&tp).expect("leader replica").log;
        let (first, last) = match idempotence {
            Some((pid, seq)) => match log.check_sequence(pid, seq, records.len() as u32) {
                SequenceCheck::Duplicate(meta) => {
                    out.emit(EventKind::DuplicateSuppressed {
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
        self.complete_parked_fetches(tp, ctx, out);
        let reply = match ack.reply {
            PendingReply::Produce { request_id, .. } => PendingReply::Produce {
                request_id,
                base_offset: first,
            },
            other => other,
        };
        match ack.acks {
            Acks::None => {}
            Acks::Leader => {
                let id = self.next_id();
                self.pending.insert(
                    id,
                    PendingAck {
                        expiry: None,
                        tp,
                        to: ack.to,
                        last_offset: last,
                        reply,
                    },
                );
                self.complete_pending(id, Ok(()), out);
            }
            Acks::All => {
                let id = self.next_id();
                let expiry =
                    out.set_timer(ack.timeout_ms, BrokerTimer::PendingAckExpiry { ack: id });
                self.pending.insert(
                    id,
                    PendingAck {
                        expiry: Some(expiry),
                        tp,
                        to: ack.to,
                        last_offset: last,
                        reply,
                    },
                );
            }
        }
        self.maybe_advance_hw(tp, ctx, out);
        // A duplicate may already be below the HW: answer it now.
        self.check_pending(tp, ctx, out);
        Ok(())
    }

    /// Answers pending acks=all appends on `tp`: success once the HW passes them, or
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is below min.insync.replicas.
    pub(super) fn check_pending(
        &mut self,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let min_isr = ctx.min_isr(tp);
        let Some(replica) = self.replicas.get(&tp) else {
            return;
        };
        let hw = replica.log.high_watermark();
        let isr_len = replica.state.as_ref().map_or(0, |s| s.isr.len());
        let below_min_isr = isr_len < min_isr;
        // In id order; each answered append leaves the map, so the search starts over.
        while let Some(id) = {
            let due = self
                .pending
                .iter()
                .find(|(_, p)| p.tp == tp && (below_min_isr || p.last_offset < hw));
            due.map(|(id, _)| *id)
        } {
            let result = if below_min_isr {
                Err(ErrorCode::NotEnoughReplicasAfterAppend)
            } else {
                Ok(())
            };
            self.complete_pending(id, result, out);
        }
    }

    /// Sends the answer of pending append `id` (and records a commit's offsets on success).
    pub(super) fn complete_pending(
        &mut self,
        id: u64,
        result: Result<(), ErrorCode>,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        if let Some(expiry) = p.expiry {
            out.cancel_timer(expiry);
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
                    self.coordinator.record_committed(&group, &offsets);
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
        out.send(p.to, payload);
    }
}
