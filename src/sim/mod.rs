//! The deterministic, sans-IO Kafka engine: brokers, replication, the KRaft controller, clients
//! and consumer groups. It never reads a clock, never uses OS randomness and imports no web crate.
//!
//! Each node ([`controller::Controller`], [`broker::Broker`], [`client::Producer`],
//! [`client::Consumer`]) owns its state and rules and talks to the world only through the
//! [`node::Outbox`] it fills; the [`Simulation`] in `engine` owns the queue, the network and the
//! dispatch. Arrows point one way: engine -> nodes -> shared types.

pub mod broker;
pub mod chunked;
pub mod client;
pub mod config;
pub mod controller;
mod engine;
pub mod events;
pub mod idmap;
pub mod ledger;
pub mod log;
pub mod murmur2;
pub mod network;
pub mod node;
mod queue;
pub mod quorum;
pub mod rng;
pub mod seqmap;
pub mod sort;
pub mod sorted_map;
#[cfg(test)]
mod test_support;
pub mod tpmap;
pub mod types;

pub use config::{
    Acks, AssignmentStrategy, ClusterConfig, ConfigError, ConsumerConfig, ProducerConfig,
    SimConfig, TimingPreset, TopicConfig,
};
pub use engine::invariants;
pub use engine::snapshot;
pub use engine::tap;
pub use engine::{
    Command, Counters, DroppedMessage, Simulation, BROKERS_MAX, LINK_EXTRA_LATENCY_MS_MAX,
    PARTITIONS_MAX, STEPS_PER_ADVANCE_MAX,
};
pub use events::{ConsumedRecord, Event, EventKind};
pub use invariants::InvariantChecker;
pub use network::{DropReason, ErrorCode, LinkFault, MessageKind};
pub use node::{Topic, OFFSETS_TOPIC};
pub use rng::SimRng;
pub use snapshot::Snapshot;
pub use types::*;
