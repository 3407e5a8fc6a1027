//! Client nodes, the processes of the applications: [`Producer`] and [`Consumer`], and what they
//! share: the [`ClientMetadata`] each keeps about partition leaders and the [`ClientEnv`] the
//! engine lends them (their random stream and the ids a cluster would hand out).

mod consumer;
mod metadata;
mod producer;

pub use consumer::{Consumer, ConsumerTimer, MemberPhase};
pub use metadata::ClientMetadata;
pub use producer::{Producer, ProducerTimer};

use super::rng::SimRng;
use super::types::{ProducerId, SendId};

/// What every client call borrows from the engine: one random stream shared by all clients (the
/// sticky partitioner, retry jitter) and the counters that give out producer ids (Kafka's
/// InitProducerId, simplified), send ids and metadata request ids.
#[derive(Clone, Debug)]
pub struct ClientEnv {
    /// The clients' random stream.
    pub rng: SimRng,
    next_producer_id: u64,
    next_id: u64,
}

impl ClientEnv {
    /// A fresh environment drawing from `rng`.
    pub fn new(rng: SimRng) -> Self {
        ClientEnv {
            rng,
            next_producer_id: 1000,
            next_id: 1,
        }
    }

    /// A producer id nobody had.
    pub fn allocate_producer_id(&mut self) -> ProducerId {
        self.next_producer_id += 1;
        ProducerId(self.next_producer_id)
    }

    /// An id for one send.
    pub fn allocate_send_id(&mut self) -> SendId {
        SendId(self.allocate_id())
    }

    /// An id for one metadata request (drawn from the same counter as send ids).
    pub(super) fn allocate_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

#[cfg(test)]
mod tests;
