//! Helpers shared by the engine's cluster tests: a one-topic world, stepping with the invariant
//! checker, and readers of replicas and events.
#![allow(dead_code)]

use kafka_sandbox::sim::*;

/// A world with one topic `t` and Kafka's timings.
pub fn cluster(partitions: u32, rf: u32, min_isr: u32, seed: u64) -> (Simulation, TopicId) {
    cluster_with(partitions, rf, min_isr, seed, |_| {})
}

pub fn cluster_with(
    partitions: u32,
    rf: u32,
    min_isr: u32,
    seed: u64,
    tweak: impl FnOnce(&mut SimConfig),
) -> (Simulation, TopicId) {
    let mut cfg = one_topic_config(partitions, rf, min_isr);
    tweak(&mut cfg);
    let sim = Simulation::new(cfg, seed).expect("valid config");
    let t = sim.topic_by_name("t").expect("topic t");
    (sim, t)
}

/// Kafka's timings and one topic `t` (not checked: tests of invalid topics use it too).
pub fn one_topic_config(partitions: u32, rf: u32, min_isr: u32) -> SimConfig {
    let mut cfg = SimConfig::preset(TimingPreset::Kafka);
    cfg.topics.push(TopicConfig {
        name: "t".into(),
        partitions,
        replication_factor: rf,
        min_insync_replicas: min_isr,
    });
    cfg
}

/// The partition numbers assigned to consumer `c`.
pub fn assigned_partitions(sim: &Simulation, c: ClientId) -> Vec<u32> {
    sim.consumer_assignment(c)
        .iter()
        .map(|tp| tp.partition)
        .collect()
}

pub fn tp0(t: TopicId) -> TopicPartition {
    TopicPartition {
        topic: t,
        partition: 0,
    }
}

/// Steps until `cond` holds (checking invariants after every event); panics after `limit` ms.
pub fn step_until(
    sim: &mut Simulation,
    checker: &mut InvariantChecker,
    limit: SimTime,
    mut cond: impl FnMut(&Simulation) -> bool,
) {
    let deadline = sim.now() + limit;
    while !cond(sim) {
        assert!(sim.step(), "queue ran dry");
        let violations = checker.check(sim);
        assert!(violations.is_empty(), "invariants: {violations:?}");
        assert!(
            sim.now() <= deadline,
            "condition not reached within {limit} ms (now {})",
            sim.now()
        );
    }
}

/// Advances to `t` checking invariants after every event.
pub fn run_to(sim: &mut Simulation, checker: &mut InvariantChecker, t: SimTime) {
    while sim.next_event_time().is_some_and(|n| n <= t) {
        sim.step();
        let violations = checker.check(sim);
        assert!(
            violations.is_empty(),
            "invariants at {}: {violations:?}",
            sim.now()
        );
    }
    sim.advance_to(t);
}

pub fn replica(
    sim: &Simulation,
    tp: TopicPartition,
    b: u32,
) -> kafka_sandbox::sim::snapshot::ReplicaView {
    sim.partition_view(tp)
        .replica_states
        .into_iter()
        .find(|r| r.broker == BrokerId(b))
        .expect("replica")
}

pub fn producer(sim: &mut Simulation, acks: Acks, idempotent: bool, retries: u32) -> ClientId {
    let mut cfg = ProducerConfig::preset(TimingPreset::Kafka);
    cfg.acks = acks;
    cfg.enable_idempotence = idempotent;
    cfg.retries = retries;
    sim.create_producer(cfg)
}

pub fn events(sim: &mut Simulation) -> Vec<Event> {
    sim.drain_events().collect()
}

pub fn acked(events: &[Event]) -> Vec<(SendId, TopicPartition, Offset)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ProduceAcked {
                send, tp, offset, ..
            } => Some((send, tp, offset)),
            _ => None,
        })
        .collect()
}

pub fn leader_values(sim: &Simulation, tp: TopicPartition) -> Vec<String> {
    sim.partition_log_values(tp)
}
