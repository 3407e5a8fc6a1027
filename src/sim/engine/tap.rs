//! The record tap: when a view turns it on, the engine lists each message that carries keyed
//! records or their offsets (a produce and its answer, replica and consumer fetch answers,
//! offset commits and their answers) when it is sent, and says when it arrives or is lost. A
//! view that follows one record through the cluster reads it; it never changes what the engine
//! does (it is off by default, and the trace hash does not see it).

use std::rc::Rc;

use crate::sim::network::{DropReason, ErrorCode, FetchResult, Payload};
use crate::sim::types::{MessageId, NodeId, Offset, SimTime, TopicPartition};

/// Tapped entries kept undrained at most (a caller that never drains loses the newest).
pub const TAP_PENDING_MAX: usize = 65_536;

/// What a tapped message carried, reduced to what a follower of records needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TapContent {
    /// A producer's batch: the keys of its records, in order (null keys are left out).
    Produce {
        /// The producer's request id (its answer carries it back).
        request_id: u64,
        /// The partition.
        tp: TopicPartition,
        /// The records' keys.
        keys: Vec<Rc<str>>,
    },
    /// The leader's answer to a produce.
    ProduceAnswer {
        /// The request it answers.
        request_id: u64,
        /// The partition.
        tp: TopicPartition,
        /// Base offset of the batch, or the error.
        result: Result<Offset, ErrorCode>,
    },
    /// Records a leader sent to a follower broker (of every partition in its session).
    Replicated {
        /// Partition, offset and key of each keyed record.
        records: Vec<(TopicPartition, Offset, Rc<str>)>,
    },
    /// Records a leader served to a consumer.
    Fetched {
        /// Partition, offset and key of each keyed record.
        records: Vec<(TopicPartition, Offset, Rc<str>)>,
    },
    /// A consumer's offset commit.
    Commit {
        /// The consumer's request id.
        request_id: u64,
        /// The positions committed (the next offset to read, per partition).
        offsets: Vec<(TopicPartition, Offset)>,
    },
    /// The coordinator's answer to a commit.
    CommitAnswer {
        /// The request it answers.
        request_id: u64,
        /// The error, when it failed.
        error: Option<ErrorCode>,
    },
}

impl TapContent {
    /// Whether the tap lists `payload` (what [`TapContent::of`] returns for), without copying.
    pub fn listed(payload: &Payload) -> bool {
        fn keyed(result: &FetchResult) -> bool {
            matches!(result, FetchResult::Records { records, .. } if records.iter().any(|r| r.2.key.is_some()))
        }
        match payload {
            Payload::Produce { records, .. } => records.iter().any(|r| r.key.is_some()),
            Payload::ReplicaFetchResponse { partitions, .. }
            | Payload::ConsumerFetchResponse { partitions, .. } => {
                partitions.iter().any(|(_, result)| keyed(result))
            }
            Payload::ProduceResponse { .. }
            | Payload::OffsetCommit { .. }
            | Payload::OffsetCommitResponse { .. } => true,
            _ => false,
        }
    }

    /// What `payload` carries, when it is a message the tap lists.
    pub fn of(payload: &Payload) -> Option<TapContent> {
        /// Partition, offset and key of every keyed record in a fetch answer.
        fn keyed_all(
            partitions: &[(TopicPartition, FetchResult)],
        ) -> Vec<(TopicPartition, Offset, Rc<str>)> {
            let mut keyed = Vec::new();
            for (tp, result) in partitions {
                if let FetchResult::Records { records, .. } = result {
                    let with_keys = records
                        .iter()
                        .filter_map(|(o, _, r, _)| r.key.clone().map(|k| (*tp, *o, k)));
                    keyed.extend(with_keys);
                }
            }
            keyed
        }
        match payload {
            Payload::Produce {
                request_id,
                tp,
                records,
                ..
            } => {
                let keys: Vec<Rc<str>> = records.iter().filter_map(|r| r.key.clone()).collect();
                (!keys.is_empty()).then_some(TapContent::Produce {
                    request_id: *request_id,
                    tp: *tp,
                    keys,
                })
            }
            Payload::ProduceResponse {
                request_id,
                tp,
                result,
            } => Some(TapContent::ProduceAnswer {
                request_id: *request_id,
                tp: *tp,
                result: *result,
            }),
            Payload::ReplicaFetchResponse { partitions, .. } => {
                let records = keyed_all(partitions);
                (!records.is_empty()).then_some(TapContent::Replicated { records })
            }
            Payload::ConsumerFetchResponse { partitions, .. } => {
                let records = keyed_all(partitions);
                (!records.is_empty()).then_some(TapContent::Fetched { records })
            }
            Payload::OffsetCommit {
                request_id,
                offsets,
                ..
            } => Some(TapContent::Commit {
                request_id: *request_id,
                offsets: offsets.clone(),
            }),
            Payload::OffsetCommitResponse {
                request_id, result, ..
            } => Some(TapContent::CommitAnswer {
                request_id: *request_id,
                error: result.as_ref().err().copied(),
            }),
            _ => None,
        }
    }
}

/// One entry of the tap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tapped {
    /// A listed message was sent (it may be lost at once, see [`Tapped::Lost`]).
    Sent {
        /// Its id.
        id: MessageId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Sent at.
        sent_at: SimTime,
        /// Due to arrive at.
        deliver_at: SimTime,
        /// What it carries.
        content: TapContent,
    },
    /// A listed message reached its receiver.
    Arrived {
        /// Its id.
        id: MessageId,
        /// When.
        at: SimTime,
    },
    /// A listed message never arrived.
    Lost {
        /// Its id.
        id: MessageId,
        /// When.
        at: SimTime,
        /// Why.
        reason: DropReason,
    },
}

/// The tap's pending entries, oldest first.
#[derive(Clone, Debug, Default)]
pub(super) struct RecordTap {
    pending: Vec<Tapped>,
}

impl RecordTap {
    fn push(&mut self, entry: Tapped) {
        if self.pending.len() < TAP_PENDING_MAX {
            self.pending.push(entry);
        }
    }

    /// A message was sent: listed if it carries records or offsets.
    pub(super) fn sent(
        &mut self,
        id: MessageId,
        from: NodeId,
        to: NodeId,
        sent_at: SimTime,
        deliver_at: SimTime,
        payload: &Payload,
    ) {
        if let Some(content) = TapContent::of(payload) {
            self.push(Tapped::Sent {
                id,
                from,
                to,
                sent_at,
                deliver_at,
                content,
            });
        }
    }

    /// A message arrived.
    pub(super) fn arrived(&mut self, id: MessageId, at: SimTime, payload: &Payload) {
        if TapContent::listed(payload) {
            self.push(Tapped::Arrived { id, at });
        }
    }

    /// A message was lost.
    pub(super) fn lost(
        &mut self,
        id: MessageId,
        at: SimTime,
        reason: DropReason,
        payload: &Payload,
    ) {
        if TapContent::listed(payload) {
            self.push(Tapped::Lost { id, at, reason });
        }
    }

    /// Hands the pending entries over in `into` (which must be empty), keeping both buffers'
    /// room so that draining often allocates nothing.
    pub(super) fn drain_into(&mut self, into: &mut Vec<Tapped>) {
        debug_assert!(into.is_empty());
        std::mem::swap(&mut self.pending, into);
    }

    /// Takes the pending entries.
    #[cfg(test)]
    fn drain(&mut self) -> Vec<Tapped> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::network::RecordData;
    use crate::sim::{Acks, TopicId};

    const TP: TopicPartition = TopicPartition {
        topic: TopicId(0),
        partition: 0,
    };

    fn record(key: Option<&str>) -> RecordData {
        RecordData {
            key: key.map(Rc::from),
            value: Rc::from("{}"),
            timestamp: 0,
        }
    }

    fn fetched(keys: &[Option<&str>]) -> FetchResult {
        FetchResult::Records {
            records: keys
                .iter()
                .enumerate()
                .map(|(i, k)| (i as Offset + 5, 0, record(*k), None))
                .collect(),
            high_watermark: 9,
            log_start_offset: 0,
        }
    }

    #[test]
    fn the_tap_lists_keyed_records_and_offsets_and_nothing_else() {
        let produce = |keys: &[Option<&str>]| Payload::Produce {
            request_id: 3,
            tp: TP,
            acks: Acks::All,
            idempotence: None,
            records: keys.iter().map(|k| record(*k)).collect(),
            timeout_ms: 1000,
        };
        let cases = [
            (produce(&[None, Some("7")]), true),
            (produce(&[None]), false),
            (
                Payload::ReplicaFetchResponse {
                    request_id: 1,
                    session_id: 3,
                    error: None,
                    partitions: vec![(TP, fetched(&[Some("7")]))],
                },
                true,
            ),
            (
                Payload::ReplicaFetchResponse {
                    request_id: 1,
                    session_id: 3,
                    error: None,
                    partitions: vec![(TP, fetched(&[]))],
                },
                false,
            ),
            (
                Payload::ConsumerFetchResponse {
                    request_id: 1,
                    partitions: vec![(TP, fetched(&[None]))],
                },
                false,
            ),
            (
                Payload::ConsumerFetchResponse {
                    request_id: 1,
                    partitions: vec![(TP, fetched(&[None, Some("8")]))],
                },
                true,
            ),
            (
                Payload::ProduceResponse {
                    request_id: 3,
                    tp: TP,
                    result: Ok(5),
                },
                true,
            ),
            (Payload::MetadataRequest, false),
            (
                Payload::ConsumerFetch {
                    request_id: 1,
                    partitions: vec![(TP, 0)],
                },
                false,
            ),
        ];
        for (payload, listed) in &cases {
            assert_eq!(TapContent::listed(payload), *listed, "{payload:?}");
            assert_eq!(TapContent::of(payload).is_some(), *listed, "{payload:?}");
        }
        assert_eq!(
            TapContent::of(&cases[5].0),
            Some(TapContent::Fetched {
                records: vec![(TP, 6, Rc::from("8"))]
            }),
            "offsets kept, null keys left out"
        );
    }

    #[test]
    fn arrivals_and_losses_are_listed_only_for_listed_messages() {
        let mut tap = RecordTap::default();
        let answer = Payload::ProduceResponse {
            request_id: 3,
            tp: TP,
            result: Ok(5),
        };
        let (a, b) = (
            NodeId::Broker(crate::sim::BrokerId(1)),
            NodeId::Client(crate::sim::ClientId(1)),
        );
        tap.sent(MessageId(1), a, b, 10, 12, &answer);
        tap.sent(MessageId(2), b, a, 10, 12, &Payload::MetadataRequest);
        tap.arrived(MessageId(1), 12, &answer);
        tap.lost(
            MessageId(2),
            11,
            DropReason::LinkCut,
            &Payload::MetadataRequest,
        );
        let drained = tap.drain();
        assert_eq!(drained.len(), 2, "{drained:?}");
        assert_eq!(
            drained[1],
            Tapped::Arrived {
                id: MessageId(1),
                at: 12
            }
        );
        assert!(tap.drain().is_empty(), "drained once");
    }
}
