#![cfg(not(target_arch = "wasm32"))]
//! Live cluster operations on the bare engine, exact outcomes: adding and removing brokers,
//! reassignments (with and without a throttle), replication factor changes, new partitions,
//! racks and `min.insync.replicas` changed while the world runs.

use kafka_sandbox::sim::*;

mod engine_support;
use engine_support::*;

fn ids(v: &[u32]) -> Vec<BrokerId> {
    v.iter().map(|b| BrokerId(*b)).collect()
}

fn state(sim: &Simulation, tp: TopicPartition) -> kafka_sandbox::sim::network::PartitionState {
    sim.partition_state(tp).expect("partition").clone()
}

fn tp(t: TopicId, p: u32) -> TopicPartition {
    TopicPartition {
        topic: t,
        partition: p,
    }
}

/// A broker added at `at` and unfenced once it caught up with the metadata log.
fn add_broker(sim: &mut Simulation, check: &mut InvariantChecker, rack: Option<&str>) -> BrokerId {
    let before = sim.brokers().count() as u32;
    sim.handle(Command::AddBroker {
        rack: rack.map(str::to_string),
    })
    .expect("added");
    let b = BrokerId(before + 1);
    step_until(sim, check, 5000, |s| {
        s.metadata().broker(b).is_some_and(|r| !r.fenced)
    });
    b
}

#[test]
fn an_added_broker_registers_and_hosts_nothing_until_a_reassignment() {
    let (mut sim, t) = cluster(3, 3, 2, 1);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 1000);
    let b4 = add_broker(&mut sim, &mut check, None);
    assert_eq!(b4, BrokerId(4));
    assert_eq!(sim.config().cluster.brokers, 4);
    let broker = sim.broker(b4).expect("broker 4");
    assert!(broker.online());
    assert_eq!(broker.replicas().count(), 0, "a new broker hosts nothing");
    for p in 0..3 {
        assert!(!state(&sim, tp(t, p)).replicas.contains(&b4));
    }
    for _ in 5..=7 {
        add_broker(&mut sim, &mut check, None);
    }
    let err = sim.handle(Command::AddBroker { rack: None }).unwrap_err();
    assert!(err.contains("7 brokers"), "{err}");
    let err = sim
        .handle(Command::AddBroker {
            rack: Some("r1".into()),
        })
        .unwrap_err();
    assert!(err.contains("7 brokers") || err.contains("rack"), "{err}");
}

#[test]
fn a_reassignment_adds_the_new_replica_first_then_drops_the_old_one() {
    let (mut sim, t) = cluster(1, 3, 2, 2);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::All, true, u32::MAX);
    run_to(&mut sim, &mut check, 1000);
    for i in 0..20 {
        sim.send(p, t, None, &format!("m{i}")).unwrap();
    }
    run_to(&mut sim, &mut check, 3000);
    let b4 = add_broker(&mut sim, &mut check, None);
    let before = state(&sim, tp);
    assert_eq!(before.replicas, ids(&[1, 2, 3]));
    assert_eq!(before.leader, Some(BrokerId(1)));
    sim.handle(Command::Reassign {
        tp,
        replicas: ids(&[4, 2, 3]),
        throttle_bytes_per_sec: None,
    })
    .expect("reassigned");
    // Committed a few ms later: the union, the target first; 4 is added, 1 removed.
    step_until(&mut sim, &mut check, 1000, |s| state(s, tp).reassigning());
    let during = state(&sim, tp);
    assert_eq!(during.replicas, ids(&[4, 2, 3, 1]));
    assert_eq!(during.adding, ids(&[4]));
    assert_eq!(during.removing, ids(&[1]));
    assert_eq!(
        during.leader,
        Some(BrokerId(1)),
        "the old leader leads meanwhile"
    );
    assert!(
        !during.isr.contains(&b4),
        "4 joins the ISR only once caught up"
    );
    // Broker 4 catches up, joins the ISR; the reassignment then completes and 4 leads.
    step_until(&mut sim, &mut check, 5000, |s| !state(s, tp).reassigning());
    let after = state(&sim, tp);
    assert_eq!(after.replicas, ids(&[4, 2, 3]));
    assert_eq!(after.isr, ids(&[4, 2, 3]));
    assert_eq!(
        after.leader,
        Some(b4),
        "the leaving leader hands over to the first target replica"
    );
    assert!(after.leader_epoch > before.leader_epoch);
    // Broker 1 deletes its replica; broker 4 holds all 20 records.
    step_until(&mut sim, &mut check, 2000, |s| {
        s.broker(BrokerId(1))
            .is_some_and(|b| b.replica(tp).is_none())
    });
    assert_eq!(replica(&sim, tp, 4).log_end_offset, 20);
    let evs = events(&mut sim);
    assert!(evs.iter().any(|e| matches!(&e.kind,
        EventKind::ReplicaDeleted { broker, tp: x, records } if *broker == BrokerId(1) && *x == tp && *records == 20)));
    assert!(evs.iter().any(|e| matches!(&e.kind,
        EventKind::ReplicasChanged { replicas, adding, .. } if *replicas == ids(&[4, 2, 3]) && adding.is_empty())));
    // Writes go on to the new leader.
    let m = sim.send(p, t, None, "after").unwrap();
    let until = sim.now() + 2000;
    run_to(&mut sim, &mut check, until);
    assert!(acked(&events(&mut sim))
        .iter()
        .any(|(s, _, o)| *s == m && *o == 20));
    assert!(sim.lost_acked().is_empty());
}

#[test]
fn a_throttle_slows_the_new_replica_catching_up() {
    let catch_up = |throttle: Option<u64>| {
        let (mut sim, t) = cluster(1, 3, 2, 3);
        let tp = tp0(t);
        let mut check = InvariantChecker::new();
        let p = producer(&mut sim, Acks::All, true, u32::MAX);
        run_to(&mut sim, &mut check, 1000);
        for i in 0..100 {
            sim.send(p, t, None, &format!("record-{i:03}")).unwrap();
        }
        run_to(&mut sim, &mut check, 4000);
        add_broker(&mut sim, &mut check, None);
        let start = sim.now();
        sim.handle(Command::Reassign {
            tp,
            replicas: ids(&[1, 2, 4]),
            throttle_bytes_per_sec: throttle,
        })
        .unwrap();
        step_until(&mut sim, &mut check, 60_000, |s| {
            let st = state(s, tp);
            !st.reassigning() && st.replicas == ids(&[1, 2, 4])
        });
        assert_eq!(replica(&sim, tp, 4).log_end_offset, 100);
        sim.now() - start
    };
    let free = catch_up(None);
    // 100 records of 10 + 70 bytes: 8 000 bytes at 2 000 B/s, the first second's burst
    // included, take about 3 s.
    let slow = catch_up(Some(2000));
    assert!(free < 500, "unthrottled: {free} ms");
    assert!((2500..=5000).contains(&slow), "throttled: {slow} ms");
    let err = {
        let (mut sim, t) = cluster(1, 3, 2, 3);
        sim.handle(Command::Reassign {
            tp: tp0(t),
            replicas: ids(&[1, 2]),
            throttle_bytes_per_sec: Some(0),
        })
        .unwrap_err()
    };
    assert!(err.contains("throttle"), "{err}");
}

#[test]
fn invalid_reassignments_are_refused_and_change_nothing() {
    let (mut sim, t) = cluster(2, 3, 2, 4);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 1000);
    let before = state(&sim, tp0(t));
    let refuse = |sim: &mut Simulation, replicas: &[u32], partition: u32| {
        sim.handle(Command::Reassign {
            tp: tp(t, partition),
            replicas: ids(replicas),
            throttle_bytes_per_sec: None,
        })
        .unwrap_err()
    };
    assert!(refuse(&mut sim, &[1, 2, 9], 0).contains("no broker 9"));
    assert!(refuse(&mut sim, &[1, 2, 2], 0).contains("listed twice"));
    assert!(refuse(&mut sim, &[], 0).contains("at least one"));
    assert!(refuse(&mut sim, &[1], 0).contains("min.insync.replicas"));
    assert!(refuse(&mut sim, &[1, 2, 3], 5).contains("partitions 0 to 1"));
    run_to(&mut sim, &mut check, 2000);
    assert_eq!(state(&sim, tp0(t)), before);
}

#[test]
fn the_replication_factor_goes_up_and_down_through_reassignments() {
    let (mut sim, t) = cluster(2, 2, 1, 5);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 1000);
    sim.handle(Command::SetReplicationFactor {
        topic: t,
        replication_factor: 3,
    })
    .unwrap();
    step_until(&mut sim, &mut check, 5000, |s| {
        (0..2).all(|p| {
            let st = state(s, tp(t, p));
            !st.reassigning() && st.replicas.len() == 3 && st.isr.len() == 3
        })
    });
    assert_eq!(state(&sim, tp(t, 0)).replicas, ids(&[1, 2, 3]));
    assert_eq!(state(&sim, tp(t, 1)).replicas, ids(&[2, 3, 1]));
    sim.handle(Command::SetReplicationFactor {
        topic: t,
        replication_factor: 1,
    })
    .unwrap();
    step_until(&mut sim, &mut check, 5000, |s| {
        (0..2).all(|p| state(s, tp(t, p)).replicas.len() == 1)
    });
    assert_eq!(state(&sim, tp(t, 0)).replicas, ids(&[1]));
    assert_eq!(state(&sim, tp(t, 1)).replicas, ids(&[2]));
    assert_eq!(sim.topics()[t.0 as usize].config.replication_factor, 1);
    let err = sim
        .handle(Command::SetReplicationFactor {
            topic: t,
            replication_factor: 4,
        })
        .unwrap_err();
    assert!(err.contains("between 1 and the 3 brokers"), "{err}");
}

#[test]
fn added_partitions_take_keyed_records_by_the_new_count_and_the_group_rebalances() {
    let (mut sim, t) = cluster(3, 3, 1, 6);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::All, true, u32::MAX);
    let mut cc = ConsumerConfig::preset(TimingPreset::Kafka);
    cc.auto_offset_reset_earliest = true;
    let c = sim.create_consumer("g", &["t"], cc);
    run_to(&mut sim, &mut check, 10_000);
    assert_eq!(assigned_partitions(&sim, c), vec![0, 1, 2]);
    let key = (1..100)
        .map(|i| format!("order-{i}"))
        .find(|k| {
            murmur2::partition_for_key(k.as_bytes(), 3)
                != murmur2::partition_for_key(k.as_bytes(), 6)
        })
        .expect("a key that moves");
    let key = key.as_str();
    let old = murmur2::partition_for_key(key.as_bytes(), 3);
    let new = murmur2::partition_for_key(key.as_bytes(), 6);
    assert_ne!(old, new, "the test needs a key that moves");
    sim.send(p, t, Some(key), "created").unwrap();
    run_to(&mut sim, &mut check, 11_000);
    sim.handle(Command::AddPartitions { topic: t, count: 6 })
        .unwrap();
    step_until(&mut sim, &mut check, 1000, |s| {
        s.topics()[t.0 as usize].config.partitions == 6
    });
    for (q, replicas) in [(3, [1, 2, 3]), (4, [2, 3, 1]), (5, [3, 1, 2])] {
        let st = state(&sim, tp(t, q));
        assert_eq!(st.replicas, ids(&replicas), "partition {q}");
        assert_eq!(st.leader, Some(BrokerId(replicas[0])));
    }
    run_to(&mut sim, &mut check, 13_000);
    sim.send(p, t, Some(key), "paid").unwrap();
    run_to(&mut sim, &mut check, 20_000);
    assert!(sim
        .partition_log_values(tp(t, old))
        .contains(&"created".to_string()));
    assert!(sim
        .partition_log_values(tp(t, new))
        .contains(&"paid".to_string()));
    assert_eq!(
        assigned_partitions(&sim, c),
        vec![0, 1, 2, 3, 4, 5],
        "the group rebalanced onto the new partitions"
    );
    let err = sim
        .handle(Command::AddPartitions { topic: t, count: 4 })
        .unwrap_err();
    assert!(err.contains("has 6 partitions"), "{err}");
    let err = sim
        .handle(Command::AddPartitions {
            topic: t,
            count: 13,
        })
        .unwrap_err();
    assert!(err.contains("at most 12"), "{err}");
}

#[test]
fn a_controlled_shutdown_moves_leadership_at_once_a_crash_waits_for_the_session() {
    let leader_moved_after = |remove: bool| {
        let (mut sim, t) = cluster(1, 3, 2, 7);
        let tp = tp0(t);
        let mut check = InvariantChecker::new();
        let p = producer(&mut sim, Acks::All, true, u32::MAX);
        run_to(&mut sim, &mut check, 1000);
        for i in 0..5 {
            sim.send(p, t, None, &format!("m{i}")).unwrap();
        }
        run_to(&mut sim, &mut check, 3000);
        assert_eq!(state(&sim, tp).leader, Some(BrokerId(1)));
        let start = sim.now();
        let command = if remove {
            Command::RemoveBroker {
                broker: BrokerId(1),
            }
        } else {
            Command::FailBroker {
                broker: BrokerId(1),
            }
        };
        sim.handle(command).unwrap();
        step_until(&mut sim, &mut check, 20_000, |s| {
            state(s, tp).leader != Some(BrokerId(1))
        });
        let moved = sim.now() - start;
        let st = state(&sim, tp);
        assert_eq!(st.leader, Some(BrokerId(2)));
        assert_eq!(st.isr, ids(&[2, 3]));
        // Writes go on with acks=all and min.insync.replicas 2, nothing acknowledged is lost.
        sim.send(p, t, None, "after").unwrap();
        let until = sim.now() + 3000;
        run_to(&mut sim, &mut check, until);
        assert!(sim.lost_acked().is_empty());
        assert!(leader_values(&sim, tp).contains(&"after".to_string()));
        if remove {
            let b1 = sim.broker(BrokerId(1)).expect("broker 1");
            assert!(b1.left() && !b1.online(), "broker 1 stopped and left");
            assert!(sim.metadata().broker(BrokerId(1)).is_none(), "unregistered");
            let err = sim
                .handle(Command::RestoreBroker {
                    broker: BrokerId(1),
                })
                .unwrap_err();
            assert!(err.contains("left the cluster"), "{err}");
            let evs = events(&mut sim);
            assert!(evs.iter().any(|e| matches!(e.kind,
                EventKind::BrokerStopped { broker } if broker == BrokerId(1))));
        }
        moved
    };
    let controlled = leader_moved_after(true);
    let crashed = leader_moved_after(false);
    assert!(controlled < 50, "controlled shutdown: {controlled} ms");
    let session = SimConfig::preset(TimingPreset::Kafka)
        .cluster
        .broker_session_timeout_ms;
    assert!(crashed >= session, "crash: {crashed} ms");
}

#[test]
fn removing_the_last_holder_of_a_partition_is_refused() {
    let (mut sim, t) = cluster(3, 1, 1, 8);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 1000);
    let err = sim
        .handle(Command::RemoveBroker {
            broker: BrokerId(2),
        })
        .unwrap_err();
    assert!(err.contains("last replica of t-1"), "{err}");
    assert!(sim.broker(BrokerId(2)).unwrap().online());
    let err = sim
        .handle(Command::RemoveBroker {
            broker: BrokerId(9),
        })
        .unwrap_err();
    assert!(err.contains("no broker 9"), "{err}");
    // Moved away first, it can go; a broker that is down is unregistered at once.
    sim.handle(Command::Reassign {
        tp: tp(t, 1),
        replicas: ids(&[3]),
        throttle_bytes_per_sec: None,
    })
    .unwrap();
    step_until(&mut sim, &mut check, 3000, |s| {
        state(s, tp(t, 1)).replicas == ids(&[3])
    });
    sim.handle(Command::FailBroker {
        broker: BrokerId(2),
    })
    .unwrap();
    sim.handle(Command::RemoveBroker {
        broker: BrokerId(2),
    })
    .unwrap();
    let until = sim.now() + 1000;
    run_to(&mut sim, &mut check, until);
    assert!(sim.metadata().broker(BrokerId(2)).is_none());
    assert!(sim.broker(BrokerId(2)).unwrap().left());
}

#[test]
fn racks_spread_each_partition_over_every_rack() {
    let racks = ["a", "a", "b", "b", "c", "c"];
    let brokers: Vec<BrokerId> = (1..=6).map(BrokerId).collect();
    let rack = |b: BrokerId| Some(racks[b.0 as usize - 1].to_string());
    // Kafka's rack-alternated list is 1 3 5 2 4 6.
    let placed: Vec<Vec<BrokerId>> = (0..6)
        .map(|p| controller::metadata::place_replicas(p, 3, &brokers, rack))
        .collect();
    assert_eq!(placed[0], ids(&[1, 3, 5]));
    assert_eq!(placed[1], ids(&[3, 5, 2]));
    for (p, r) in placed.iter().enumerate() {
        let mut on: Vec<_> = r.iter().map(|b| racks[b.0 as usize - 1]).collect();
        on.sort_unstable();
        on.dedup();
        assert_eq!(on.len(), 3, "partition {p}: {r:?}");
    }
    let leaders: Vec<BrokerId> = placed.iter().map(|r| r[0]).collect();
    assert_eq!(leaders, ids(&[1, 3, 5, 2, 4, 6]), "leadership spreads too");
    // In a world: the topic is placed rack-aware, and an added broker needs a rack.
    let (mut sim, t) = cluster_with(6, 3, 2, 9, |cfg| {
        cfg.cluster.brokers = 6;
        cfg.cluster.racks = racks.iter().map(|r| r.to_string()).collect();
    });
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 1000);
    for (p, r) in placed.iter().enumerate() {
        assert_eq!(&state(&sim, tp(t, p as u32)).replicas, r);
    }
    let err = sim.handle(Command::AddBroker { rack: None }).unwrap_err();
    assert!(err.contains("rack"), "{err}");
    add_broker(&mut sim, &mut check, Some("d"));
    assert_eq!(sim.config().cluster.racks.len(), 7);
    // A bad rack list is refused when the world is built.
    let mut cfg = one_topic_config(1, 1, 1);
    cfg.cluster.racks = vec!["a".into()];
    let Err(err) = Simulation::new(cfg, 1) else {
        panic!("a bad rack list is refused")
    };
    let err = err.to_string();
    assert!(err.contains("racks"), "{err}");
}

#[test]
fn min_insync_replicas_changed_live_applies_to_the_next_writes() {
    let (mut sim, t) = cluster(1, 3, 1, 10);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::All, false, 0);
    run_to(&mut sim, &mut check, 1000);
    for b in [2, 3] {
        sim.handle(Command::FailBroker {
            broker: BrokerId(b),
        })
        .unwrap();
    }
    run_to(&mut sim, &mut check, 15_000);
    assert_eq!(state(&sim, tp).isr, ids(&[1]));
    let ok = sim.send(p, t, None, "alone").unwrap();
    run_to(&mut sim, &mut check, 16_000);
    assert!(acked(&events(&mut sim)).iter().any(|(s, _, _)| *s == ok));
    sim.handle(Command::SetMinInsyncReplicas {
        topic: t,
        min_insync_replicas: 2,
    })
    .unwrap();
    run_to(&mut sim, &mut check, 16_100);
    assert_eq!(sim.topics()[t.0 as usize].config.min_insync_replicas, 2);
    sim.send(p, t, None, "refused").unwrap();
    run_to(&mut sim, &mut check, 17_000);
    let evs = events(&mut sim);
    assert!(evs.iter().any(|e| matches!(&e.kind,
        EventKind::ProduceFailed { error, .. } if *error == ErrorCode::NotEnoughReplicas)));
    let err = sim
        .handle(Command::SetMinInsyncReplicas {
            topic: t,
            min_insync_replicas: 4,
        })
        .unwrap_err();
    assert!(
        err.contains("between 1 and the replication factor (3)"),
        "{err}"
    );
}
