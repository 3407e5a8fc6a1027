#![cfg(not(target_arch = "wasm32"))]
//! The Kafka rules of the reference, one test each, on the bare engine.

use kafka_sandbox::sim::*;

mod engine_support;
use engine_support::*;

#[test]
fn hw_waits_for_every_isr_follower_and_followers_learn_it_one_fetch_later() {
    // Reference scenario 1.
    let (mut sim, t) = cluster(1, 3, 1, 11);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::Leader, false, 0);
    run_to(&mut sim, &mut check, 1000);
    for i in 0..10 {
        sim.send(p, t, None, &format!("m{i}")).unwrap();
    }
    run_to(&mut sim, &mut check, 5000);
    for b in 1..=3 {
        assert_eq!(replica(&sim, tp, b).high_watermark, 10, "broker {b} HW");
    }
    sim.send(p, t, None, "m10").unwrap();
    step_until(&mut sim, &mut check, 1000, |s| {
        replica(s, tp, 1).log_end_offset == 11
    });
    assert_eq!(
        replica(&sim, tp, 1).high_watermark,
        10,
        "HW stays 10 before followers fetch"
    );
    assert_eq!(
        sim.partition_view(tp)
            .recent_records
            .iter()
            .filter(|r| r.committed)
            .count(),
        10
    );
    step_until(&mut sim, &mut check, 2000, |s| {
        replica(s, tp, 1).high_watermark == 11
    });
    assert_eq!(replica(&sim, tp, 2).log_end_offset, 11);
    assert_eq!(replica(&sim, tp, 3).log_end_offset, 11);
    assert_eq!(
        replica(&sim, tp, 2).high_watermark,
        10,
        "followers lag one fetch round trip"
    );
    step_until(&mut sim, &mut check, 2000, |s| {
        replica(s, tp, 2).high_watermark == 11 && replica(s, tp, 3).high_watermark == 11
    });
}

#[test]
fn leader_crash_after_append_is_retried_and_stored_exactly_once_with_idempotence() {
    // Reference scenario 2 and 3: acks=all, min ISR 2, the leader dies right after appending.
    let (mut sim, t) = cluster(1, 3, 2, 12);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::All, true, u32::MAX);
    run_to(&mut sim, &mut check, 1000);
    for i in 0..5 {
        sim.send(p, t, None, &format!("before-{i}")).unwrap();
    }
    run_to(&mut sim, &mut check, 3000);
    let hw_before = replica(&sim, tp, 1).high_watermark;
    assert_eq!(hw_before, 5);
    let m = sim.send(p, t, None, "m").unwrap();
    step_until(&mut sim, &mut check, 1000, |s| {
        replica(s, tp, 1).log_end_offset == 6
    });
    assert_eq!(
        replica(&sim, tp, 2).log_end_offset,
        5,
        "no follower fetched m yet"
    );
    let epoch = sim.partition_view(tp).leader_epoch;
    sim.handle(Command::FailBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    assert!(
        acked(&events(&mut sim)).iter().all(|(s, ..)| *s != m),
        "m is never acked by the dead leader"
    );
    run_to(&mut sim, &mut check, 30_000);
    let view = sim.partition_view(tp);
    assert_eq!(
        view.leader,
        Some(BrokerId(2)),
        "first live ISR replica in assignment order"
    );
    assert_eq!(view.leader_epoch, epoch + 1);
    let evs = events(&mut sim);
    let m_acks: Vec<_> = acked(&evs).into_iter().filter(|(s, ..)| *s == m).collect();
    assert_eq!(m_acks.len(), 1, "m acked once after the retry");
    // The old leader comes back, truncates nothing it must keep, converges and rejoins the ISR.
    sim.handle(Command::RestoreBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 80_000);
    let view = sim.partition_view(tp);
    assert_eq!(
        view.isr.len(),
        3,
        "old leader back in the ISR: {:?}",
        view.isr
    );
    let values = leader_values(&sim, tp);
    assert_eq!(
        values.iter().filter(|v| *v == "m").count(),
        1,
        "m exactly once: {values:?}"
    );
    assert_eq!(sim.lost_acked(), vec![]);
    for b in 1..=3 {
        assert_eq!(
            sim.replica_log_values(tp, BrokerId(b)),
            values,
            "broker {b} holds the same log"
        );
    }
    assert!(check.check_full(&sim).is_empty());
}

#[test]
fn old_leader_truncates_its_uncommitted_tail_by_leader_epoch() {
    // acks=1 lets the leader hold records nobody else has; a new leader takes over; the old one
    // cuts its tail when it returns (KIP-101 / KIP-279), never by HW alone.
    let (mut sim, t) = cluster(1, 3, 1, 13);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::Leader, false, 0);
    run_to(&mut sim, &mut check, 1000);
    sim.send(p, t, None, "committed").unwrap();
    run_to(&mut sim, &mut check, 3000);
    sim.send(p, t, None, "tail-1").unwrap();
    sim.send(p, t, None, "tail-2").unwrap();
    // The followers' fetch responses are lost while the producer hears its acks.
    events(&mut sim);
    let mut acks = 0;
    while acks < 2 {
        sim.step();
        for f in [2, 3] {
            sim.drop_matching(
                Some(NodeId::Broker(BrokerId(1))),
                Some(NodeId::Broker(BrokerId(f))),
                Some(MessageKind::Response),
                10,
            );
        }
        acks += acked(&events(&mut sim)).len();
    }
    assert_eq!(replica(&sim, tp, 1).log_end_offset, 3);
    assert_eq!(replica(&sim, tp, 2).log_end_offset, 1);
    sim.handle(Command::IsolateBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 20_000);
    let view = sim.partition_view(tp);
    assert_eq!(view.leader, Some(BrokerId(2)));
    let fresh = producer(&mut sim, Acks::All, true, u32::MAX);
    sim.send(fresh, t, None, "new-era").unwrap();
    run_to(&mut sim, &mut check, 25_000);
    sim.handle(Command::HealBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 60_000);
    let evs = events(&mut sim);
    // Broker 1 held committed, tail-1 and tail-2 (LEO 3) in epoch 0; the new leader's epoch 0
    // ended at offset 1, so broker 1 cuts back to 1, once, and no other replica cuts anything.
    let truncated: Vec<&EventKind> = evs
        .iter()
        .map(|e| &e.kind)
        .filter(|k| matches!(k, EventKind::Truncated { .. }))
        .collect();
    assert_eq!(
        truncated,
        vec![&EventKind::Truncated {
            broker: BrokerId(1),
            tp,
            from: 3,
            to: 1,
        }]
    );
    let values = leader_values(&sim, tp);
    assert_eq!(values.first().map(String::as_str), Some("committed"));
    assert!(values.contains(&"new-era".to_string()));
    assert!(
        !values.iter().any(|v| v.starts_with("tail")),
        "the uncommitted tail is gone: {values:?}"
    );
    assert_eq!(sim.replica_log_values(tp, BrokerId(1)), values);
    assert!(sim.partition_view(tp).isr.contains(&BrokerId(1)));
    assert_eq!(
        sim.lost_acked().len(),
        2,
        "acks=1 lost the two acknowledged tail records"
    );
}

#[test]
fn leader_shrinks_isr_of_a_lagging_follower_after_lag_time() {
    // Broker 3 is alive for the controller (heartbeats flow) but its fetches to the leader are
    // lost: only the leader's lag rule can remove it, between 1.0x and 1.5x lag time.
    for seed in 0..6 {
        let (mut sim, t) = cluster(1, 3, 1, 200 + seed);
        let tp = tp0(t);
        let mut check = InvariantChecker::new();
        let lag = sim.config().cluster.replica_lag_time_max_ms;
        let wait = sim.config().cluster.replica_fetch_wait_max_ms;
        let p = producer(&mut sim, Acks::Leader, false, 0);
        run_to(&mut sim, &mut check, 2000);
        let stall_at = 4000 + seed * 2777;
        run_to(&mut sim, &mut check, stall_at);
        let mut shrink_at = None;
        let mut next_send = stall_at;
        while shrink_at.is_none() && sim.now() < stall_at + 2 * lag {
            sim.drop_matching(
                Some(NodeId::Broker(BrokerId(3))),
                Some(NodeId::Broker(BrokerId(1))),
                Some(MessageKind::ReplicaFetch),
                10,
            );
            if sim.now() >= next_send {
                sim.send(p, t, None, "x").unwrap();
                next_send += 250;
            }
            let next = sim.next_event_time().unwrap();
            run_to(&mut sim, &mut check, next);
            for e in events(&mut sim) {
                if let EventKind::IsrChanged { isr, tp: etp, .. } = &e.kind {
                    if *etp == tp && !isr.contains(&BrokerId(3)) {
                        shrink_at = Some(e.at);
                    }
                }
            }
        }
        let elapsed = shrink_at.expect("shrink happened") - stall_at;
        assert!(
            elapsed + wait + 10 >= lag && elapsed <= lag * 3 / 2 + 20,
            "seed {seed}: follower left the ISR {elapsed} ms after it stalled (lag {lag})"
        );
    }
}

#[test]
fn idle_caught_up_follower_never_leaves_the_isr() {
    let (mut sim, t) = cluster(1, 3, 1, 14);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 300_000);
    assert_eq!(sim.partition_view(tp0(t)).isr.len(), 3);
    assert_eq!(sim.counters().isr_changes, 0);
}

#[test]
fn not_enough_replicas_appends_nothing() {
    let (mut sim, t) = cluster(1, 3, 2, 15);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::All, true, 0);
    run_to(&mut sim, &mut check, 1000);
    sim.handle(Command::FailBroker {
        broker: BrokerId(2),
    })
    .unwrap();
    sim.handle(Command::FailBroker {
        broker: BrokerId(3),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 30_000);
    assert_eq!(sim.partition_view(tp).isr, vec![BrokerId(1)]);
    let leo = replica(&sim, tp, 1).log_end_offset;
    events(&mut sim);
    sim.send(p, t, None, "refused").unwrap();
    run_to(&mut sim, &mut check, 31_000);
    let evs = events(&mut sim);
    assert!(
        evs.iter().any(|e| matches!(
            e.kind,
            EventKind::ProduceFailed {
                error: ErrorCode::NotEnoughReplicas,
                ..
            }
        )),
        "{evs:?}"
    );
    assert_eq!(replica(&sim, tp, 1).log_end_offset, leo, "nothing appended");
}

#[test]
fn not_enough_replicas_after_append_keeps_the_record() {
    let (mut sim, t) = cluster(1, 3, 2, 16);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::All, true, 0);
    run_to(&mut sim, &mut check, 1000);
    sim.handle(Command::IsolateBroker {
        broker: BrokerId(2),
    })
    .unwrap();
    sim.handle(Command::IsolateBroker {
        broker: BrokerId(3),
    })
    .unwrap();
    sim.send(p, t, None, "kept").unwrap();
    run_to(&mut sim, &mut check, 25_000);
    let evs = events(&mut sim);
    assert!(
        evs.iter().any(|e| matches!(
            e.kind,
            EventKind::ProduceFailed {
                error: ErrorCode::NotEnoughReplicasAfterAppend,
                ..
            }
        )),
        "{:?}",
        evs.iter()
            .filter(|e| e.kind.category() == "produce")
            .collect::<Vec<_>>()
    );
    assert_eq!(
        replica(&sim, tp, 1).log_end_offset,
        1,
        "the record stays in the log"
    );
    assert_eq!(sim.partition_log_values(tp), vec!["kept".to_string()]);
}

#[test]
fn clean_election_keeps_partition_offline_and_unclean_election_loses_records() {
    for unclean in [false, true] {
        let (mut sim, t) = cluster_with(1, 3, 1, 17, |c| {
            c.cluster.unclean_leader_election_enable = unclean
        });
        let tp = tp0(t);
        let mut check = InvariantChecker::new();
        let p = producer(&mut sim, Acks::Leader, false, 0);
        run_to(&mut sim, &mut check, 1000);
        sim.send(p, t, None, "everyone").unwrap();
        run_to(&mut sim, &mut check, 3000);
        sim.handle(Command::FailBroker {
            broker: BrokerId(2),
        })
        .unwrap();
        sim.handle(Command::FailBroker {
            broker: BrokerId(3),
        })
        .unwrap();
        run_to(&mut sim, &mut check, 20_000);
        assert_eq!(sim.partition_view(tp).isr, vec![BrokerId(1)]);
        sim.send(p, t, None, "only-on-1").unwrap();
        run_to(&mut sim, &mut check, 21_000);
        sim.handle(Command::FailBroker {
            broker: BrokerId(1),
        })
        .unwrap();
        run_to(&mut sim, &mut check, 40_000);
        let view = sim.partition_view(tp);
        assert_eq!(
            view.leader, None,
            "offline once the last ISR member is gone"
        );
        assert_eq!(view.isr, vec![BrokerId(1)], "the ISR is never emptied");
        sim.handle(Command::RestoreBroker {
            broker: BrokerId(2),
        })
        .unwrap();
        run_to(&mut sim, &mut check, 60_000);
        let view = sim.partition_view(tp);
        if unclean {
            assert_eq!(
                view.leader,
                Some(BrokerId(2)),
                "unclean: first live replica leads"
            );
            assert_eq!(view.isr, vec![BrokerId(2)]);
            sim.handle(Command::RestoreBroker {
                broker: BrokerId(1),
            })
            .unwrap();
            run_to(&mut sim, &mut check, 90_000);
            assert_eq!(
                sim.lost_acked().len(),
                1,
                "the record only broker 1 had is lost"
            );
            assert_eq!(
                sim.replica_log_values(tp, BrokerId(1)),
                vec!["everyone".to_string()]
            );
        } else {
            assert_eq!(
                view.leader, None,
                "clean: stays offline without its ISR member"
            );
            sim.handle(Command::RestoreBroker {
                broker: BrokerId(1),
            })
            .unwrap();
            run_to(&mut sim, &mut check, 90_000);
            assert_eq!(sim.partition_view(tp).leader, Some(BrokerId(1)));
            assert_eq!(sim.lost_acked().len(), 0);
        }
    }
}

#[test]
fn idempotent_retry_after_a_lost_response_does_not_duplicate() {
    for idempotent in [true, false] {
        let (mut sim, t) = cluster(1, 3, 2, 18);
        let tp = tp0(t);
        let mut check = InvariantChecker::new();
        let p = producer(&mut sim, Acks::All, idempotent, u32::MAX);
        run_to(&mut sim, &mut check, 1000);
        sim.send(p, t, None, "once").unwrap();
        // Drop the produce response: the producer times out and retries.
        let mut dropped = 0;
        while dropped == 0 {
            sim.step();
            dropped = sim.drop_matching(
                Some(NodeId::Broker(BrokerId(1))),
                Some(NodeId::Client(p)),
                Some(MessageKind::Response),
                1,
            );
        }
        run_to(&mut sim, &mut check, 60_000);
        let evs = events(&mut sim);
        assert_eq!(acked(&evs).len(), 1);
        let copies = sim
            .partition_log_values(tp)
            .iter()
            .filter(|v| *v == "once")
            .count();
        if idempotent {
            assert_eq!(copies, 1, "the broker returned the original offset");
            assert!(evs
                .iter()
                .any(|e| matches!(e.kind, EventKind::DuplicateSuppressed { .. })));
        } else {
            assert_eq!(copies, 2, "without idempotence a retry duplicates");
        }
    }
}

#[test]
fn keyed_records_land_on_kafkas_murmur2_partition() {
    let (mut sim, t) = cluster(5, 3, 1, 19);
    let mut check = InvariantChecker::new();
    let p = producer(&mut sim, Acks::All, true, u32::MAX);
    run_to(&mut sim, &mut check, 1000);
    for key in ["foobar", "21", "abc", "order-42"] {
        sim.send(p, t, Some(key), key).unwrap();
    }
    run_to(&mut sim, &mut check, 5000);
    for e in events(&mut sim) {
        if let EventKind::ProduceAcked { tp, .. } = e.kind {
            let _ = tp;
        }
    }
    for key in ["foobar", "21", "abc", "order-42"] {
        let want = murmur2::partition_for_key(key.as_bytes(), 5);
        let tp = TopicPartition {
            topic: t,
            partition: want,
        };
        assert!(
            sim.partition_log_values(tp).contains(&key.to_string()),
            "{key} on partition {want}"
        );
    }
    // Values from Kafka's own tests: toPositive(murmur2("foobar")) % 5.
    assert_eq!(
        murmur2::partition_for_key(b"foobar", 5),
        ((-790_332_482i32 & 0x7fff_ffff) as u32) % 5
    );
}

#[test]
fn range_assignment_and_rebalance_on_member_failure() {
    let (mut sim, t) = cluster(3, 3, 1, 20);
    let _ = t;
    let mut check = InvariantChecker::new();
    let mut cc = ConsumerConfig::preset(TimingPreset::Kafka);
    cc.auto_offset_reset_earliest = true;
    let c1 = sim.create_consumer("g", &["t"], cc.clone());
    let c2 = sim.create_consumer("g", &["t"], cc);
    run_to(&mut sim, &mut check, 10_000);
    let parts = assigned_partitions;
    assert_eq!(parts(&sim, c1), vec![0, 1]);
    assert_eq!(parts(&sim, c2), vec![2]);
    sim.handle(Command::CrashClient { client: c1 }).unwrap();
    let session = sim.config().consumer.session_timeout_ms;
    run_to(&mut sim, &mut check, 10_000 + session + 10_000);
    assert_eq!(
        parts(&sim, c2),
        vec![0, 1, 2],
        "the survivor takes every partition"
    );
    assert!(events(&mut sim)
        .iter()
        .any(|e| matches!(e.kind, EventKind::MemberExpired { member, .. } if member == c1)));
}

#[test]
fn preferred_leader_returns_after_the_imbalance_check() {
    let (mut sim, t) = cluster(1, 3, 1, 21);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    sim.handle(Command::FailBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 20_000);
    assert_eq!(sim.partition_view(tp).leader, Some(BrokerId(2)));
    sim.handle(Command::RestoreBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 60_000);
    assert_eq!(
        sim.partition_view(tp).leader,
        Some(BrokerId(2)),
        "no move before the 300 s check"
    );
    assert!(sim.partition_view(tp).isr.contains(&BrokerId(1)));
    run_to(&mut sim, &mut check, 301_000);
    assert_eq!(
        sim.partition_view(tp).leader,
        Some(BrokerId(1)),
        "back to the preferred replica"
    );
}

#[test]
fn no_election_while_the_quorum_has_no_majority() {
    let (mut sim, t) = cluster(1, 3, 1, 22);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 1000);
    for c in [1, 2] {
        sim.handle(Command::FailController {
            controller: Some(ControllerId(c)),
        })
        .unwrap();
    }
    sim.handle(Command::FailBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 60_000);
    assert_eq!(
        sim.active_controller(),
        None,
        "one voter of three elects nobody"
    );
    assert_eq!(
        sim.partition_view(tp).leader,
        Some(BrokerId(1)),
        "stale leader: nobody elects"
    );
    assert!(!sim.broker_fenced(BrokerId(1)), "nobody fences either");
    sim.handle(Command::RestoreController {
        controller: Some(ControllerId(2)),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 80_000);
    assert!(sim.active_controller().is_some(), "a majority elects again");
    assert_eq!(sim.partition_view(tp).leader, Some(BrokerId(2)));
}

#[test]
fn a_new_active_controller_resumes_fencing_and_elections() {
    let (mut sim, t) = cluster(1, 3, 1, 23);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 1000);
    assert_eq!(sim.active_controller(), Some(ControllerId(1)));
    sim.handle(Command::FailController { controller: None })
        .unwrap();
    sim.handle(Command::FailBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, 8_000);
    let active = sim
        .active_controller()
        .expect("the other two elect a leader");
    assert_ne!(active, ControllerId(1));
    assert_eq!(
        sim.partition_view(tp).leader,
        Some(BrokerId(1)),
        "the new active controller gives broker 1 a full session first"
    );
    run_to(&mut sim, &mut check, 20_000);
    assert!(sim.broker_fenced(BrokerId(1)));
    assert_eq!(sim.partition_view(tp).leader, Some(BrokerId(2)));
}

#[test]
fn invalid_topics_are_clear_errors() {
    let bad = |partitions, rf, min_isr| {
        let cfg = one_topic_config(partitions, rf, min_isr);
        Simulation::new(cfg, 1).err().map(|e| e.to_string())
    };
    assert!(bad(3, 4, 1).unwrap().contains("replication factor 4"));
    assert!(bad(0, 3, 1)
        .unwrap()
        .contains("partitions must be at least 1"));
    let mut cfg = SimConfig::preset(TimingPreset::Kafka);
    for _ in 0..2 {
        cfg.topics.push(TopicConfig {
            name: "dup".into(),
            partitions: 1,
            replication_factor: 1,
            min_insync_replicas: 1,
        });
    }
    assert!(Simulation::new(cfg, 1)
        .err()
        .unwrap()
        .to_string()
        .contains("declared twice"));
}

#[test]
fn three_brokers_three_partitions_each_broker_leads_one() {
    let (sim, t) = cluster(3, 3, 1, 23);
    let leaders: Vec<_> = (0..3)
        .map(|p| {
            sim.partition_view(TopicPartition {
                topic: t,
                partition: p,
            })
            .leader
        })
        .collect();
    assert_eq!(
        leaders,
        vec![Some(BrokerId(1)), Some(BrokerId(2)), Some(BrokerId(3))]
    );
}

#[test]
fn restored_leader_with_an_empty_log_rejoins_the_isr() {
    for timing in [TimingPreset::Sandbox, TimingPreset::Kafka] {
        let mut cfg = SimConfig::preset(timing);
        cfg.topics.push(TopicConfig {
            name: "t".into(),
            partitions: 3,
            replication_factor: 3,
            min_insync_replicas: 2,
        });
        let mut sim = Simulation::new(cfg, 42).expect("valid");
        let tp = tp0(sim.topic_by_name("t").unwrap());
        let mut check = InvariantChecker::new();
        run_to(&mut sim, &mut check, 2000);
        sim.handle(Command::FailBroker {
            broker: BrokerId(1),
        })
        .unwrap();
        run_to(&mut sim, &mut check, 20_000);
        assert_eq!(sim.partition_view(tp).leader, Some(BrokerId(2)));
        sim.handle(Command::RestoreBroker {
            broker: BrokerId(1),
        })
        .unwrap();
        run_to(&mut sim, &mut check, 50_000);
        let view = sim.partition_view(tp);
        assert_eq!(
            view.isr.len(),
            3,
            "{timing:?}: broker 1 is back in the ISR: {:?}",
            view.isr
        );
    }
}

#[test]
fn a_silent_broker_shows_when_its_session_runs_out_and_the_preferred_election_brings_it_back() {
    let (mut sim, t) = cluster(1, 3, 2, 21);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 5000);
    let due = |sim: &Simulation, b: u32| {
        sim.snapshot()
            .brokers
            .iter()
            .find(|v| v.id == BrokerId(b))
            .unwrap()
            .fence_due
    };
    assert_eq!(due(&sim, 1), None, "heartbeating: no countdown");
    sim.handle(Command::FailBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    let cluster = sim.config().cluster.clone();
    // Its heartbeats stop; once one and a half intervals pass, the countdown shows.
    run_to(
        &mut sim,
        &mut check,
        5000 + cluster.broker_heartbeat_interval_ms * 2,
    );
    let at = due(&sim, 1).expect("late heartbeats show the fencing instant");
    assert!(
        at > sim.now() && at <= 5000 + cluster.broker_session_timeout_ms,
        "{at}"
    );
    assert_eq!(due(&sim, 2), None);
    // The controller fences it at the first session check past that instant.
    run_to(&mut sim, &mut check, at + 1100);
    assert!(sim.broker_fenced(BrokerId(1)));
    assert_eq!(due(&sim, 1), None, "fenced: no countdown");
    assert_eq!(sim.partition_view(tp).leader, Some(BrokerId(2)));
    // Back and in sync, broker 1 does not lead again by itself before the imbalance check...
    sim.handle(Command::RestoreBroker {
        broker: BrokerId(1),
    })
    .unwrap();
    run_to(&mut sim, &mut check, at + 20_000);
    let view = sim.partition_view(tp);
    assert!(view.isr.contains(&BrokerId(1)), "{:?}", view.isr);
    assert_eq!(view.leader, Some(BrokerId(2)));
    // ...but a preferred leader election hands the partition back, in a new epoch.
    let epoch = view.leader_epoch;
    sim.handle(Command::ElectPreferredLeaders).unwrap();
    run_to(&mut sim, &mut check, at + 21_000);
    let view = sim.partition_view(tp);
    assert_eq!(view.leader, Some(BrokerId(1)));
    assert_eq!(view.leader_epoch, epoch + 1);
}
