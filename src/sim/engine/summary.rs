//! One-line summaries of messages for the inspector and the reports.

use super::Simulation;
use crate::sim::controller::metadata::MetadataRecord;
use crate::sim::network::{FetchResult, Payload};
use crate::sim::quorum::{FetchOutcome, QuorumMessage};
use crate::sim::types::TopicPartition;

impl Simulation {
    /// What a message carries, in one line.
    pub(super) fn summarize(&self, p: &Payload) -> String {
        let name = |tp: &TopicPartition| self.partition_name(*tp);
        match p {
            Payload::Produce {
                tp,
                acks,
                records,
                idempotence,
                ..
            } => {
                let first = records
                    .first()
                    .map(|r| r.value.to_string())
                    .unwrap_or_default();
                let seq = idempotence
                    .map(|(pid, s)| format!(" pid {} seq {}", pid.0, s))
                    .unwrap_or_default();
                format!(
                    "{} acks={} {} record(s){}: {}",
                    name(tp),
                    acks,
                    records.len(),
                    seq,
                    first
                )
            }
            Payload::ProduceResponse { tp, result, .. } => match result {
                Ok(o) => format!("{} ok, base offset {}", name(tp), o),
                Err(e) => format!("{} error {}", name(tp), e),
            },
            Payload::ReplicaFetch {
                tp,
                fetch_offset,
                last_fetched_epoch,
                leader_epoch,
                ..
            } => format!(
                "{} from offset {} (last epoch {}, leader epoch {})",
                name(tp),
                fetch_offset,
                last_fetched_epoch.map_or("-".to_string(), |e| e.to_string()),
                leader_epoch
            ),
            Payload::ReplicaFetchResponse { tp, result, .. }
            | Payload::ConsumerFetchResponse { tp, result, .. } => match result {
                FetchResult::Records {
                    records,
                    high_watermark,
                    ..
                } => {
                    format!(
                        "{} {} record(s), HW {}",
                        name(tp),
                        records.len(),
                        high_watermark
                    )
                }
                FetchResult::Diverging { epoch, end_offset } => {
                    format!(
                        "{} diverging: epoch {} ends at {}",
                        name(tp),
                        epoch,
                        end_offset
                    )
                }
                FetchResult::Error(e) => format!("{} error {}", name(tp), e),
            },
            Payload::ConsumerFetch { tp, offset, .. } => {
                format!("{} from offset {}", name(tp), offset)
            }
            Payload::AlterPartition { tp, new_isr, .. } => {
                format!(
                    "{} ISR -> {:?}",
                    name(tp),
                    new_isr.iter().map(|b| b.0).collect::<Vec<_>>()
                )
            }
            Payload::AlterPartitionResponse { tp, result } => match result.as_ref() {
                Ok(s) => format!(
                    "{} ISR {:?}",
                    name(tp),
                    s.isr.iter().map(|b| b.0).collect::<Vec<_>>()
                ),
                Err(e) => format!("{} error {}", name(tp), e),
            },
            Payload::Quorum(m) => quorum_summary(m),
            Payload::BrokerHeartbeat {
                metadata_offset,
                want_shutdown,
                ..
            } => {
                let shutdown = if *want_shutdown {
                    ", shutting down"
                } else {
                    ""
                };
                format!("metadata offset {metadata_offset}{shutdown}")
            }
            Payload::BrokerHeartbeatResponse {
                fenced,
                should_shutdown,
            } => match (*should_shutdown, *fenced) {
                (true, _) => "may shut down".into(),
                (false, true) => "fenced".into(),
                (false, false) => "ok".into(),
            },
            Payload::OffsetCommit { group, offsets, .. } => format!(
                "{}: {}",
                group,
                offsets
                    .iter()
                    .map(|(tp, o)| format!("{}={}", name(tp), o))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Payload::JoinGroup { group, .. }
            | Payload::SyncGroup { group, .. }
            | Payload::GroupHeartbeat { group, .. }
            | Payload::LeaveGroup { group, .. }
            | Payload::OffsetFetch { group, .. } => group.to_string(),
            other => other.api_name().to_string(),
        }
    }
}

/// A quorum message in a few words: its epoch, offsets and what it carries.
fn quorum_summary(m: &QuorumMessage<MetadataRecord>) -> String {
    match m {
        QuorumMessage::Vote {
            epoch,
            last_epoch,
            end_offset,
            ..
        } => format!("epoch {epoch}, log end {end_offset} (epoch {last_epoch})"),
        QuorumMessage::VoteResponse { epoch, granted, .. } => format!(
            "epoch {epoch}: {}",
            if *granted { "granted" } else { "refused" }
        ),
        QuorumMessage::BeginQuorumEpoch { epoch } => format!("epoch {epoch}"),
        QuorumMessage::Fetch {
            epoch,
            offset,
            last_fetched_epoch,
        } => format!("epoch {epoch}, from offset {offset} (last epoch {last_fetched_epoch})"),
        QuorumMessage::FetchResponse {
            epoch,
            high_watermark,
            outcome,
            ..
        } => match outcome {
            FetchOutcome::Entries(e) => {
                format!("epoch {epoch}, {} record(s), HW {high_watermark}", e.len())
            }
            FetchOutcome::Diverging {
                epoch: d,
                end_offset,
            } => {
                format!("diverging: epoch {d} ends at {end_offset}")
            }
            FetchOutcome::NotLeader => format!("not the leader of epoch {epoch}"),
        },
    }
}
