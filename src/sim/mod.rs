//! The deterministic, sans-IO Kafka engine: brokers, replication, the KRaft controller, clients
//! and consumer groups. It never reads a clock, never uses OS randomness and imports no web crate.

mod broker;
mod client;
pub mod config;
mod controller;
pub mod coordinator;
mod engine;
pub mod events;
pub mod idmap;
pub mod invariants;
pub mod log;
pub mod murmur2;
pub mod network;
mod queue;
pub mod rng;
pub mod seqmap;
pub mod snapshot;
pub mod tpmap;
pub mod types;

pub use config::{
    Acks, AssignmentStrategy, ClusterConfig, ConfigError, ConsumerConfig, ProducerConfig,
    SimConfig, TimingPreset, TopicConfig,
};
pub use controller::assign_replicas;
pub use engine::{
    Command, Counters, DroppedMessage, Simulation, Topic, OFFSETS_TOPIC, STEPS_PER_ADVANCE_MAX,
};
pub use events::{ConsumedRecord, Event, EventKind};
pub use invariants::InvariantChecker;
pub use network::{DropReason, ErrorCode, MessageKind};
pub use rng::SimRng;
pub use snapshot::Snapshot;
pub use types::*;
