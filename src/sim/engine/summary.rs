//! One-line summaries of messages for the inspector and the reports.

use super::Simulation;
use crate::sim::controller::metadata::MetadataRecord;
use crate::sim::network::{FetchResult, Payload};
use crate::sim::quorum::{FetchOutcome, QuorumMessage};
use crate::sim::types::TopicPartition;

impl Simulation {
    /// The partitions a fetch or its answer carries, one line each (none for other
    /// messages).
    pub(super) fn message_parts(&self, p: &Payload) -> Vec<String> {
        let name = |tp: &TopicPartition| self.partition_name(*tp);
        match p {
            Payload::ReplicaFetch {
                partitions,
                forgotten,
                ..
            } => {
                let listed = partitions.iter().map(|(tp, p)| {
                    let last = p.last_fetched_epoch.map_or("-".into(), |e| e.to_string());
                    format!(
                        "{} from offset {} (last epoch {}, leader epoch {})",
                        name(tp),
                        p.fetch_offset,
                        last,
                        p.leader_epoch
                    )
                });
                let forgets = forgotten
                    .iter()
                    .map(|tp| format!("{} leaves the session", name(tp)));
                listed.chain(forgets).collect()
            }
            Payload::ConsumerFetch { partitions, .. } => partitions
                .iter()
                .map(|(tp, offset)| format!("{} from offset {}", name(tp), offset))
                .collect(),
            Payload::ReplicaFetchResponse { partitions, .. }
            | Payload::ConsumerFetchResponse { partitions, .. } => partitions
                .iter()
                .map(|(tp, result)| fetch_result_summary(&name(tp), result))
                .collect(),
            _ => Vec::new(),
        }
    }

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
                session_id,
                session_epoch,
                partitions,
                forgotten,
                ..
            } => {
                let session = if *session_id == 0 {
                    "full fetch, new session".to_string()
                } else {
                    format!("session {session_id} #{session_epoch}")
                };
                match (partitions.len(), forgotten.len()) {
                    (0, 0) => format!("{session}: nothing changed"),
                    (n, 0) => format!("{session}: {n} partition(s) listed"),
                    (n, k) => format!("{session}: {n} partition(s) listed, {k} leave"),
                }
            }
            Payload::ReplicaFetchResponse {
                session_id,
                error: Some(e),
                ..
            } => format!("session {session_id} refused: {e}"),
            Payload::ReplicaFetchResponse {
                session_id,
                partitions,
                ..
            } => {
                let records = p.record_count();
                match partitions.len() {
                    0 => format!("session {session_id}: nothing new"),
                    n => format!(
                        "session {session_id}: {records} record(s), {n} partition(s) with news"
                    ),
                }
            }
            Payload::ConsumerFetchResponse { partitions, .. } => {
                let records = p.record_count();
                match partitions.len() {
                    0 => "nothing new".to_string(),
                    n => format!("{records} record(s), {n} partition(s) with news"),
                }
            }
            Payload::ConsumerFetch { partitions, .. } => {
                format!("{} partition(s)", partitions.len())
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

/// One partition's fetch result, in a few words.
fn fetch_result_summary(partition: &str, result: &FetchResult) -> String {
    match result {
        FetchResult::Records {
            records,
            high_watermark,
            ..
        } => format!(
            "{partition} {} record(s), HW {high_watermark}",
            records.len()
        ),
        FetchResult::Diverging { epoch, end_offset } => {
            format!("{partition} diverging: epoch {epoch} ends at {end_offset}")
        }
        FetchResult::Error(e) => format!("{partition} error {e}"),
    }
}
