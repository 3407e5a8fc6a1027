//! One-line summaries of messages for the inspector and the reports.

use super::Simulation;
use crate::sim::network::{FetchResult, Payload};
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
            Payload::MetadataUpdate {
                version,
                partitions,
                base_version,
            } => format!(
                "v{} {} partition(s){}",
                version,
                partitions.len(),
                if base_version.is_none() {
                    " (full image)"
                } else {
                    ""
                }
            ),
            Payload::BrokerHeartbeat {
                metadata_version, ..
            } => format!("metadata v{}", metadata_version),
            Payload::BrokerHeartbeatResponse { fenced } => {
                if *fenced {
                    "fenced".into()
                } else {
                    "ok".into()
                }
            }
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
