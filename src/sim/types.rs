//! Identifiers and time: the small value types every part of the engine shares.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Simulated time in milliseconds since the start of the run. The engine never reads a clock.
pub type SimTime = u64;

/// A length of simulated time in milliseconds (a delay, a timeout), as opposed to an instant.
pub type SimDuration = u64;

/// Position of a record in a partition log; the first record has offset 0.
pub type Offset = u64;

/// A leader epoch: bumped by the controller on every leader change of a partition.
pub type LeaderEpoch = u32;

/// A broker, numbered from 1 as in the seed's figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BrokerId(pub u32);

/// A controller of the KRaft quorum, numbered from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ControllerId(pub u32);

/// A client process (a producer or a consumer instance), numbered from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientId(pub u32);

/// A consumer group member: a client process incarnation (a restarted consumer joins as a new
/// member, as with Kafka's dynamic membership).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MemberId {
    /// The consumer client.
    pub client: ClientId,
    /// Its process incarnation.
    pub incarnation: u32,
}

/// Index of a topic in the cluster's topic table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicId(pub u32);

/// One partition of one topic: the unit that brokers store and replicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    /// The topic this partition belongs to.
    pub topic: TopicId,
    /// The partition number within the topic, from 0.
    pub partition: u32,
}

/// Producer id handed out for idempotent producers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProducerId(pub u64);

/// Identifies one message on the simulated network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MessageId(pub u64);

/// Identifies one `send` of a producer, so its outcome can be matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SendId(pub u64);

/// A node of the simulated network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NodeId {
    /// A KRaft controller (a voter of the metadata quorum).
    Controller(ControllerId),
    /// A broker.
    Broker(BrokerId),
    /// A client: a producer or a consumer instance.
    Client(ClientId),
}

impl fmt::Display for ControllerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "controller-{}", self.0)
    }
}

impl fmt::Display for BrokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "broker-{}", self.0)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client-{}", self.0)
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "consumer-{}-{}", self.client.0, self.incarnation)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Controller(c) => c.fmt(f),
            NodeId::Broker(b) => b.fmt(f),
            NodeId::Client(c) => c.fmt(f),
        }
    }
}
