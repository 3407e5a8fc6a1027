//! What a client knows of the cluster: partition states from metadata answers (newest epoch
//! wins), and its one metadata request in flight, sent round-robin over the brokers.

use super::ClientEnv;
use crate::sim::network::{PartitionState, Payload};
use crate::sim::node::{Context, Outbox};
use crate::sim::tpmap::TpMap;
use crate::sim::types::{BrokerId, NodeId, SimDuration, TopicPartition};

/// What a client knows of the cluster: the partition states brokers told it, and its own
/// metadata request in flight.
#[derive(Clone, Debug, Default)]
pub struct ClientMetadata {
    partitions: TpMap<PartitionState>,
    request_in_flight: Option<u64>,
    next_broker: u32,
}

impl ClientMetadata {
    /// The leader of `tp`, as last heard.
    pub fn leader(&self, tp: TopicPartition) -> Option<BrokerId> {
        self.partitions.get(&tp).and_then(|s| s.leader)
    }

    /// Asks the next broker (round-robin) for metadata unless a request is out; `timer` makes
    /// the timeout timer of request `id`.
    pub(super) fn request<T>(
        &mut self,
        request_timeout_ms: SimDuration,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<T>,
        timer: impl FnOnce(u64) -> T,
    ) {
        let brokers = ctx.config.cluster.brokers;
        let hi = ctx.config.cluster.network_latency_ms.1;
        let timeout = request_timeout_ms.min(1000 + 4 * hi);
        let request = env.allocate_id();
        if self.request_in_flight.is_some() {
            return;
        }
        self.request_in_flight = Some(request);
        let broker = BrokerId(self.next_broker % brokers + 1);
        self.next_broker = self.next_broker.wrapping_add(1);
        out.send(NodeId::Broker(broker), Payload::MetadataRequest);
        out.set_timer(timeout, timer(request));
    }

    /// A broker answered: keep every state newer than ours. Returns false when the answer was
    /// empty (the broker knew nothing yet).
    pub(super) fn handle_response(&mut self, partitions: Vec<PartitionState>) -> bool {
        let empty = partitions.is_empty();
        self.request_in_flight = None;
        for p in partitions {
            let newer = self.partitions.get(&p.tp).is_none_or(|old| {
                (p.leader_epoch, p.partition_epoch) >= (old.leader_epoch, old.partition_epoch)
            });
            if newer {
                self.partitions.insert(p.tp, p);
            }
        }
        !empty
    }

    /// Whether `request` is the one in flight; if so it is forgotten.
    pub(super) fn timed_out(&mut self, request: u64) -> bool {
        let timed_out = self.request_in_flight == Some(request);
        if timed_out {
            self.request_in_flight = None;
        }
        timed_out
    }

    /// The request in flight failed at once.
    pub(super) fn failed(&mut self) {
        self.request_in_flight = None;
    }
}
