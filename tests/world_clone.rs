#![cfg(not(target_arch = "wasm32"))]
//! A world cloned mid-run is a whole, independent copy: given the same inputs, the clone and the
//! original run on to the same trace, snapshot and report, and advancing one leaves the other
//! where it was.

use kafka_sandbox::scenario::{parse_scenario, presets, Runner};
use kafka_sandbox::services::{ServiceKind, World, WorldConfig};
use kafka_sandbox::sim::{BrokerId, Command, TimingPreset};

/// Inputs given to both copies after the clone: a restored broker, a crashed and restarted
/// payment instance, then time.
fn go_on(world: &mut World) {
    world
        .handle(Command::RestoreBroker {
            broker: BrokerId(1),
        })
        .expect("broker 1 is down");
    world.advance_to(20_000);
    world
        .crash_instance(ServiceKind::PaymentService, 0)
        .expect("instance 0");
    world.advance_to(25_000);
    world
        .restart_instance(ServiceKind::PaymentService, 0)
        .expect("instance 0");
    world.advance_to(40_000);
}

#[test]
fn a_cloned_world_runs_on_exactly_like_the_original() {
    for seed in [1, 7, 42] {
        let mut original =
            World::new(WorldConfig::default_for(TimingPreset::Kafka), seed).expect("default world");
        original.set_order_rate(20.0);
        original.advance_to(10_000);
        original
            .handle(Command::FailBroker {
                broker: BrokerId(1),
            })
            .expect("broker 1 is up");
        // Mid-run: orders in flight, records queued, a broker down.
        original.advance_to(12_345);
        let mut clone = original.clone();
        let hash = original.sim.trace_hash();
        let snapshot = original.snapshot();
        let log: Vec<_> = original.log().cloned().collect();
        assert_eq!(clone.sim.trace_hash(), hash, "seed {seed}");
        assert_eq!(clone.snapshot(), snapshot, "seed {seed}");

        go_on(&mut clone);
        assert_ne!(
            clone.sim.trace_hash(),
            hash,
            "seed {seed}: the clone ran on"
        );
        assert_eq!(original.now(), 12_345, "seed {seed}");
        assert_eq!(original.sim.trace_hash(), hash, "seed {seed}");
        assert_eq!(original.snapshot(), snapshot, "seed {seed}");
        assert_eq!(
            original.log().cloned().collect::<Vec<_>>(),
            log,
            "seed {seed}"
        );

        go_on(&mut original);
        assert_eq!(original.now(), 40_000, "seed {seed}");
        assert_eq!(
            original.sim.trace_hash(),
            clone.sim.trace_hash(),
            "seed {seed}"
        );
        assert_eq!(original.snapshot(), clone.snapshot(), "seed {seed}");
        assert!(
            original.log().eq(clone.log()),
            "seed {seed}: the event logs differ"
        );
        assert!(
            original.outbox().eq(clone.outbox()),
            "seed {seed}: the outboxes differ"
        );
    }
}

#[test]
fn a_cloned_runner_reports_the_same_as_the_original() {
    for id in ["leader-failover", "consumer-crash-redelivery"] {
        let text = presets::preset(id).unwrap_or_else(|| panic!("no preset {id}"));
        let scenario = parse_scenario(text).unwrap_or_else(|e| panic!("preset {id}: {e}"));
        let end = scenario.run_until();
        let mut original = Runner::new(&scenario).expect("the preset builds");
        original.advance_to(end / 2);
        let report = original.report();
        let mut clone = original.clone();

        clone.advance_to(end);
        assert_eq!(original.now(), end / 2, "{id}");
        assert_eq!(original.report(), report, "{id}: the original moved");

        original.advance_to(end);
        assert_eq!(
            original.world.sim.trace_hash(),
            clone.world.sim.trace_hash(),
            "{id}"
        );
        assert_eq!(original.world.snapshot(), clone.world.snapshot(), "{id}");
        assert_eq!(original.report(), clone.report(), "{id}");
    }
}
