//! How a broker follows the metadata log: its quorum observer fetches `__cluster_metadata` from
//! the quorum leader, and the broker applies each committed partition record in order (the
//! latest state of each partition per batch, as Kafka applies a metadata delta). Its
//! heartbeats and ISR changes go to the active controller the observer found.

use super::{Broker, BrokerTimer};
use crate::sim::controller::forward_quorum_effect;
use crate::sim::controller::metadata::MetadataRecord;
use crate::sim::network::PartitionState;
use crate::sim::node::{Context, Outbox};
use crate::sim::quorum::log::EntryData;
use crate::sim::quorum::{Peer, QuorumMessage, QuorumTimer};
use crate::sim::tpmap::TpMap;
use crate::sim::types::{ControllerId, NodeId, Offset, SimTime};

impl Broker {
    /// The active controller, as far as the metadata log tells.
    pub(super) fn active_controller(&self) -> Option<NodeId> {
        self.metadata_log
            .leader()
            .map(|v| NodeId::Controller(ControllerId(v)))
    }

    /// How far it has applied the metadata log.
    pub fn metadata_offset(&self) -> Offset {
        self.metadata_offset
    }

    /// The quorum epoch it knows.
    pub fn metadata_epoch(&self) -> u32 {
        self.metadata_log.epoch()
    }

    /// Holds the formatted metadata log a new cluster starts from.
    pub fn format(&mut self, records: Vec<MetadataRecord>) {
        self.metadata_log.format(1, records);
    }

    /// A quorum message from a controller (a Fetch answer).
    pub(super) fn handle_quorum(
        &mut self,
        now: SimTime,
        from: NodeId,
        message: QuorumMessage<MetadataRecord>,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        if let NodeId::Controller(c) = from {
            self.metadata_log
                .handle_message(now, Peer::Voter(c.0), message);
        }
        self.sync_metadata(now, ctx, out);
    }

    /// Its observer's timer fired.
    pub(super) fn handle_metadata_timer(
        &mut self,
        now: SimTime,
        timer: QuorumTimer,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        self.metadata_log.handle_timer(now, timer);
        self.sync_metadata(now, ctx, out);
    }

    /// Applies the newly committed records, then sends what the observer asks.
    pub(super) fn sync_metadata(
        &mut self,
        now: SimTime,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        self.apply_committed_metadata(now, ctx, out);
        for effect in self.metadata_log.take_effects() {
            // The observer's events (high watermark moved, truncated) are what the broker
            // applies, not reports.
            let _ = forward_quorum_effect(effect, out, BrokerTimer::Metadata);
        }
    }

    /// Applies the records committed since the last call: the latest state of each partition.
    fn apply_committed_metadata(
        &mut self,
        now: SimTime,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let hw = self.metadata_log.high_watermark();
        if hw <= self.metadata_offset {
            return;
        }
        let mut latest: TpMap<PartitionState> = TpMap::new();
        let entries = self.metadata_log.log().entries();
        let (from, to) = (self.metadata_offset as usize, hw as usize);
        for entry in &entries[from.min(entries.len())..to.min(entries.len())] {
            if let EntryData::Record(r) = &entry.data {
                if let Some(state) = r.partition_state() {
                    latest.insert(state.tp, state.clone());
                }
            }
        }
        self.metadata_offset = hw;
        let changed: Vec<PartitionState> = latest.values().cloned().collect();
        for state in changed {
            self.apply_partition_state(now, state, ctx, out);
        }
    }
}
