#![cfg(not(target_arch = "wasm32"))]
//! Seeded chaos: crashes, restarts, isolations, heals and dropped messages against an acks=all,
//! RF 3, min.insync.replicas 2 producer. Invariants hold after every event; after healing, no
//! acknowledged record is missing, none appears twice, and every send ended. `CHAOS_SEEDS=n`
//! runs more seeds; a failing run names its seed.

use std::collections::BTreeMap;

use kafka_sandbox::sim::*;

const CHAOS_MS: SimTime = 30_000;
const SETTLE_MS: SimTime = 140_000;

fn chaos_run(seed: u64) -> Result<(u64, u64), String> {
    let mut cfg = SimConfig::preset(TimingPreset::Kafka);
    cfg.topics.push(TopicConfig {
        name: "t".into(),
        partitions: 3,
        replication_factor: 3,
        min_insync_replicas: 2,
    });
    let mut sim = Simulation::new(cfg, seed).map_err(|e| e.to_string())?;
    let t = sim.topic_by_name("t").expect("topic");
    let mut rng = SimRng::child(seed, 0xC4A05);
    let producer = sim.create_producer(ProducerConfig::preset(TimingPreset::Kafka));
    let mut consumer_cfg = ConsumerConfig::preset(TimingPreset::Kafka);
    consumer_cfg.auto_offset_reset_earliest = true;
    sim.create_consumer("readers", &["t"], consumer_cfg);
    let mut checker = InvariantChecker::new();
    let mut sends: BTreeMap<SendId, String> = BTreeMap::new();
    let mut outcomes: BTreeMap<SendId, &'static str> = BTreeMap::new();
    let record = |sim: &mut Simulation,
                  outcomes: &mut BTreeMap<SendId, &'static str>|
     -> Result<(), String> {
        for e in sim.drain_events() {
            let (send, outcome) = match e.kind {
                EventKind::ProduceAcked { send, .. } => (send, "acked"),
                EventKind::ProduceFailed { send, .. } => (send, "failed"),
                _ => continue,
            };
            if let Some(previous) = outcomes.insert(send, outcome) {
                return Err(format!(
                    "send {} ended twice ({previous}, then {outcome})",
                    send.0
                ));
            }
        }
        Ok(())
    };
    let mut i = 0u64;
    let mut now = 1000;
    while now < CHAOS_MS {
        let value = format!("v{seed}-{i}");
        let key = if rng.chance(0.5) {
            Some(format!("k{}", rng.below(10)))
        } else {
            None
        };
        let send = sim
            .send(producer, t, key.as_deref(), &value)
            .map_err(|e| e.to_string())?;
        sends.insert(send, value);
        i += 1;
        if rng.chance(0.04) {
            let broker = BrokerId(1 + rng.below(3) as u32);
            let command = match rng.below(8) {
                0 | 1 => Command::FailBroker { broker },
                2 | 3 => Command::RestoreBroker { broker },
                4 => Command::IsolateBroker { broker },
                5 => Command::HealBroker { broker },
                6 => {
                    if rng.chance(0.5) {
                        Command::FailController
                    } else {
                        Command::RestoreController
                    }
                }
                _ => {
                    let n = 1 + rng.below(5) as usize;
                    sim.drop_matching(None, None, None, n);
                    Command::HealNetwork
                }
            };
            sim.handle(command)?;
        }
        now += 100;
        while sim.next_event_time().is_some_and(|n| n <= now) {
            sim.step();
            let v = checker.check(&sim);
            if !v.is_empty() {
                return Err(format!("invariants at {} ms: {v:?}", sim.now()));
            }
        }
        sim.advance_to(now);
        record(&mut sim, &mut outcomes)?;
    }
    sim.handle(Command::HealNetwork)?;
    sim.handle(Command::RestoreController)?;
    for b in 1..=3 {
        sim.handle(Command::RestoreBroker {
            broker: BrokerId(b),
        })?;
    }
    let end = now + SETTLE_MS;
    let mut steps = 0u64;
    while sim.next_event_time().is_some_and(|n| n <= end) {
        sim.step();
        steps += 1;
        if steps % 8 == 0 {
            let v = checker.check(&sim);
            if !v.is_empty() {
                return Err(format!("invariants at {} ms: {v:?}", sim.now()));
            }
        }
    }
    record(&mut sim, &mut outcomes)?;
    let v = checker.check_full(&sim);
    if !v.is_empty() {
        return Err(format!("invariants at the end: {v:?}"));
    }
    let lost = sim.lost_acked();
    if !lost.is_empty() {
        return Err(format!("acknowledged records lost: {lost:?}"));
    }
    for p in 0..3 {
        let tp = TopicPartition {
            topic: t,
            partition: p,
        };
        let values = sim.partition_log_values(tp);
        let mut seen = std::collections::BTreeSet::new();
        for v in &values {
            if !seen.insert(v) {
                return Err(format!("{v} appears twice in t-{p}"));
            }
        }
    }
    let unresolved: Vec<u64> = sends
        .keys()
        .filter(|s| !outcomes.contains_key(s))
        .map(|s| s.0)
        .collect();
    if !unresolved.is_empty() {
        return Err(format!(
            "{} sends never ended, e.g. {:?}",
            unresolved.len(),
            &unresolved[..unresolved.len().min(5)]
        ));
    }
    let acked = outcomes.values().filter(|o| **o == "acked").count() as u64;
    Ok((acked, sends.len() as u64))
}

/// Runs seeds `first..first + count` (the count scales with `CHAOS_SEEDS`, default 200 in all).
fn sweep(shard: u64, shards: u64) {
    let total: u64 = std::env::var("CHAOS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut failures = Vec::new();
    let (mut acked, mut sent) = (0, 0);
    let seeds: Vec<u64> = (0..total).filter(|s| s % shards == shard).collect();
    for &seed in &seeds {
        match chaos_run(seed) {
            Ok((a, s)) => {
                acked += a;
                sent += s;
            }
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} chaos runs failed:\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n")
    );
    // The sweep must exercise something: most sends succeed despite the chaos.
    assert!(
        acked * 2 > sent,
        "only {acked} of {sent} sends acknowledged"
    );
}

#[test]
fn acks_all_min_isr_2_never_loses_an_acknowledged_record_under_chaos_shard_0() {
    sweep(0, 2);
}

#[test]
fn acks_all_min_isr_2_never_loses_an_acknowledged_record_under_chaos_shard_1() {
    sweep(1, 2);
}
