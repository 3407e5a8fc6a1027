//! Helpers for the nodes' unit tests: a topic table laid out as the engine lays it out, and
//! readers of an outbox's effects.

use std::rc::Rc;

use super::config::{SimConfig, TimingPreset, TopicConfig};
use super::events::EventKind;
use super::network::Payload;
use super::node::{Effect, Topic, OFFSETS_TOPIC};
use super::types::{NodeId, TopicId, TopicPartition};

/// Kafka's timings with 3 brokers, a fixed 1 ms network and, as in the engine, the
/// `__consumer_offsets` topic first (id 0) and `orders` (3 partitions, RF 3, min ISR 2) second.
pub fn cluster() -> (SimConfig, Vec<Topic>) {
    let mut config = SimConfig::preset(TimingPreset::Kafka);
    config.cluster.network_latency_ms = (1, 1);
    let offsets = TopicConfig {
        name: OFFSETS_TOPIC.to_string(),
        partitions: config.cluster.offsets_topic_partitions,
        replication_factor: 3,
        min_insync_replicas: 1,
    };
    let orders = TopicConfig {
        name: "orders".to_string(),
        partitions: 3,
        replication_factor: 3,
        min_insync_replicas: 2,
    };
    config.topics.push(orders.clone());
    let topics = vec![topic(0, offsets, true), topic(1, orders, false)];
    (config, topics)
}

fn topic(id: u32, config: TopicConfig, internal: bool) -> Topic {
    Topic {
        id: TopicId(id),
        name: Rc::from(config.name.as_str()),
        config,
        internal,
    }
}

/// Partition `p` of `orders`.
pub fn orders(p: u32) -> TopicPartition {
    TopicPartition {
        topic: TopicId(1),
        partition: p,
    }
}

/// The events among `effects`, in order.
pub fn events<T>(effects: &[Effect<T>]) -> Vec<EventKind> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Emit(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// The messages among `effects`, in order.
pub fn sends<T>(effects: &[Effect<T>]) -> Vec<(NodeId, Payload)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to, payload } => Some((*to, payload.clone())),
            _ => None,
        })
        .collect()
}

/// The timers among `effects`, in order, with their delays.
pub fn timers<T: Clone>(effects: &[Effect<T>]) -> Vec<(u64, T)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SetTimer { delay, timer, .. } => Some((*delay, timer.clone())),
            _ => None,
        })
        .collect()
}

/// Like [`cluster`] with `orders` alone in the table (id 0), for nodes that act on every topic.
pub fn orders_only() -> (SimConfig, Vec<Topic>) {
    let (config, topics) = cluster();
    let mut orders = topics[1].clone();
    orders.id = TopicId(0);
    (config, vec![orders])
}
