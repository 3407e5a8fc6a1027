#![cfg(not(target_arch = "wasm32"))]
//! Faults on single links (cut both ways or one way, slow, lossy) and the Kafka rules only they
//! reveal: the ISR shrinking by lag, the idle follower, the zombie leader, the consumer that
//! loses its coordinator.

use std::collections::BTreeMap;

use kafka_sandbox::scenario::{parse_scenario, run_scenario};
use kafka_sandbox::sim::*;

mod engine_support;
use engine_support::*;

fn broker(b: u32) -> NodeId {
    NodeId::Broker(BrokerId(b))
}

/// The leader of `tp` and its last follower in assignment order.
fn leader_and_follower(sim: &Simulation, tp: TopicPartition) -> (BrokerId, BrokerId) {
    let view = sim.partition_view(tp);
    let leader = view.leader.expect("a leader");
    let follower = *view
        .replicas
        .iter()
        .rev()
        .find(|r| **r != leader)
        .expect("a follower");
    (leader, follower)
}

fn cut(sim: &mut Simulation, a: NodeId, b: NodeId, one_way: bool) {
    sim.handle(Command::CutLink { a, b, one_way })
        .expect("a valid link");
}

fn fenced(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BrokerFenced { .. }))
        .count()
}

#[test]
fn a_one_way_cut_drops_only_its_direction_and_heal_restores_it() {
    let (mut sim, _) = cluster(1, 3, 1, 5);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 3000);
    let _ = events(&mut sim);
    cut(
        &mut sim,
        broker(2),
        NodeId::Controller(ControllerId(1)),
        true,
    );
    run_to(&mut sim, &mut check, 6000);
    let evs = events(&mut sim);
    let drops: Vec<(NodeId, NodeId, DropReason)> = evs
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::MessageDropped {
                from, to, reason, ..
            } => Some((from, to, reason)),
            _ => None,
        })
        .collect();
    assert!(!drops.is_empty(), "broker 2's heartbeats are lost");
    assert!(
        drops.iter().all(|d| *d
            == (
                broker(2),
                NodeId::Controller(ControllerId(1)),
                DropReason::LinkCut
            )),
        "only broker 2 to the controller is cut: {drops:?}"
    );
    assert_eq!(
        sim.link_faults().collect::<Vec<_>>(),
        vec![(
            broker(2),
            NodeId::Controller(ControllerId(1)),
            LinkFault {
                cut: true,
                extra_latency_ms: 0,
                drop_rate: 0.0
            }
        )]
    );
    sim.handle(Command::HealLink {
        a: NodeId::Controller(ControllerId(1)),
        b: broker(2),
    })
    .unwrap();
    assert_eq!(sim.link_faults().count(), 0);
    let healed: Vec<EventKind> = events(&mut sim)
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| matches!(k, EventKind::LinkChanged { .. }))
        .collect();
    assert_eq!(
        healed,
        vec![EventKind::LinkChanged {
            from: broker(2),
            to: NodeId::Controller(ControllerId(1)),
            fault: None
        }]
    );
}

#[test]
fn link_commands_refuse_unknown_nodes_a_node_with_itself_and_bad_values() {
    let (mut sim, _) = cluster(1, 3, 1, 5);
    let refused = |sim: &mut Simulation, c: Command| sim.handle(c).expect_err("refused");
    assert_eq!(
        refused(
            &mut sim,
            Command::CutLink {
                a: broker(1),
                b: broker(9),
                one_way: false
            }
        ),
        "there is no broker 9 (brokers are 1 to 3)"
    );
    assert_eq!(
        refused(
            &mut sim,
            Command::HealLink {
                a: broker(2),
                b: broker(2)
            }
        ),
        "a link joins two different nodes, not broker-2 and itself"
    );
    assert_eq!(
        refused(
            &mut sim,
            Command::LossyLink {
                a: broker(1),
                b: broker(2),
                drop_rate: -0.1
            }
        ),
        "drop rate must be between 0 and 1, not -0.1"
    );
    assert_eq!(
        refused(
            &mut sim,
            Command::SlowLink {
                a: broker(1),
                b: broker(2),
                extra_latency_ms: LINK_EXTRA_LATENCY_MS_MAX + 1
            }
        ),
        "extra latency 600001 ms is above the limit of 600000 ms"
    );
    assert_eq!(sim.link_faults().count(), 0, "nothing changed");
}

/// Whether `m` crosses the link between broker 3 and controller-1, either way.
fn between_broker_3_and_controller_1(m: &kafka_sandbox::sim::network::Message) -> bool {
    matches!(
        (m.from, m.to),
        (
            NodeId::Broker(BrokerId(3)),
            NodeId::Controller(ControllerId(1))
        ) | (
            NodeId::Controller(ControllerId(1)),
            NodeId::Broker(BrokerId(3))
        )
    )
}

#[test]
fn a_slow_link_delays_every_message_and_a_lossy_one_loses_its_share() {
    let (mut sim, _) = cluster(1, 3, 1, 8);
    let mut check = InvariantChecker::new();
    run_to(&mut sim, &mut check, 3000);
    sim.handle(Command::SlowLink {
        a: broker(3),
        b: NodeId::Controller(ControllerId(1)),
        extra_latency_ms: 700,
    })
    .unwrap();
    let (lo, hi) = sim.config().cluster.network_latency_ms;
    let mut seen = 0;
    while sim.now() < 8000 {
        for m in sim.in_flight() {
            let slow = between_broker_3_and_controller_1(m);
            let took = m.deliver_at - m.sent_at;
            if slow && m.sent_at >= 3000 {
                seen += 1;
                assert!((700 + lo..=700 + hi + 5).contains(&took), "{m:?}");
            }
        }
        let next = sim.next_event_time().unwrap();
        run_to(&mut sim, &mut check, next);
    }
    assert!(seen > 4, "heartbeats crossed the slow link ({seen})");
    // Half the messages on a lossy link are lost, drawn from the seeded RNG.
    sim.handle(Command::SlowLink {
        a: broker(3),
        b: NodeId::Controller(ControllerId(1)),
        extra_latency_ms: 0,
    })
    .unwrap();
    sim.handle(Command::LossyLink {
        a: broker(3),
        b: NodeId::Controller(ControllerId(1)),
        drop_rate: 0.5,
    })
    .unwrap();
    let _ = events(&mut sim);
    let mut lost = 0;
    let mut sent = std::collections::BTreeSet::new();
    let until = sim.now() + 200_000;
    while sim.now() < until {
        sim.step();
        sent.extend(
            sim.in_flight()
                .filter(|m| between_broker_3_and_controller_1(m))
                .map(|m| m.id),
        );
        for e in events(&mut sim) {
            if let EventKind::MessageDropped { from, reason, .. } = e.kind {
                assert_eq!(reason, DropReason::LinkLossy);
                assert!(from == broker(3) || from == NodeId::Controller(ControllerId(1)));
                lost += 1;
            }
        }
    }
    // Heartbeats and metadata fetches both ways: about half of what was sent is lost.
    let total = sent.len() + lost;
    assert!(
        total > 200,
        "heartbeats and metadata fetches crossed the link ({total})"
    );
    assert!(
        lost * 10 > total * 4 && lost * 10 < total * 6,
        "lost {lost} of {total} messages"
    );
}

#[test]
fn a_follower_cut_from_its_leader_only_leaves_the_isr_by_lag_without_being_fenced() {
    for seed in 0..5 {
        let (mut sim, t) = cluster(1, 3, 1, 300 + seed);
        let tp = tp0(t);
        let mut check = InvariantChecker::new();
        let lag = sim.config().cluster.replica_lag_time_max_ms;
        let p = producer(&mut sim, Acks::Leader, false, 0);
        run_to(&mut sim, &mut check, 3000);
        let (leader, follower) = leader_and_follower(&sim, tp);
        let stall_at = 4000 + seed * 1777;
        run_to(&mut sim, &mut check, stall_at);
        cut(
            &mut sim,
            NodeId::Broker(leader),
            NodeId::Broker(follower),
            false,
        );
        let mut shrink_at = None;
        let mut next_send = stall_at;
        let mut evs = Vec::new();
        while shrink_at.is_none() && sim.now() < stall_at + 2 * lag {
            if sim.now() >= next_send {
                sim.send(p, t, None, "x").unwrap();
                next_send += 250;
            }
            let next = sim.next_event_time().unwrap().min(next_send);
            run_to(&mut sim, &mut check, next);
            for e in events(&mut sim) {
                if let EventKind::IsrChanged { isr, tp: etp, .. } = &e.kind {
                    if *etp == tp && !isr.contains(&follower) {
                        shrink_at = Some(e.at);
                    }
                }
                evs.push(e);
            }
        }
        let elapsed = shrink_at.expect("the follower left the ISR") - stall_at;
        assert!(
            elapsed + 260 >= lag && elapsed <= lag * 3 / 2 + 20,
            "seed {seed}: the follower left the ISR {elapsed} ms after the cut (lag {lag})"
        );
        assert_eq!(fenced(&evs), 0, "seed {seed}: it kept heartbeating");
        assert_eq!(sim.partition_view(tp).leader, Some(leader), "seed {seed}");
    }
}

#[test]
fn an_idle_caught_up_follower_cut_from_its_leader_stays_in_the_isr_until_a_write() {
    let (mut sim, t) = cluster(1, 3, 1, 31);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let lag = sim.config().cluster.replica_lag_time_max_ms;
    let p = producer(&mut sim, Acks::All, true, u32::MAX);
    run_to(&mut sim, &mut check, 3000);
    for i in 0..5 {
        sim.send(p, t, None, &format!("m{i}")).unwrap();
    }
    run_to(&mut sim, &mut check, 8000);
    let (leader, follower) = leader_and_follower(&sim, tp);
    assert_eq!(replica(&sim, tp, follower.0).log_end_offset, 5);
    let cut_at = sim.now();
    cut(
        &mut sim,
        NodeId::Broker(leader),
        NodeId::Broker(follower),
        false,
    );
    run_to(&mut sim, &mut check, cut_at + 10 * lag);
    let quiet = events(&mut sim);
    assert_eq!(sim.partition_view(tp).isr.len(), 3, "LEO equal: caught up");
    assert!(!quiet
        .iter()
        .any(|e| matches!(e.kind, EventKind::IsrChanged { .. })));
    assert_eq!(fenced(&quiet), 0);
    // A write moves the leader's LEO: the follower last caught up long ago, so it leaves at the
    // next check, within half the lag time.
    let write_at = sim.now();
    sim.send(p, t, None, "m5").unwrap();
    step_until(&mut sim, &mut check, lag, |s| {
        !s.partition_view(tp).isr.contains(&follower)
    });
    assert!(
        sim.now() - write_at <= lag / 2 + 20,
        "{} ms",
        sim.now() - write_at
    );
}

#[test]
fn a_leader_cut_from_the_controller_is_a_zombie_that_loses_acks_1_writes_and_times_out_acks_all() {
    let (mut sim, t) = cluster(1, 3, 2, 41);
    let tp = tp0(t);
    let mut check = InvariantChecker::new();
    let session = sim.config().cluster.broker_session_timeout_ms;
    let one = producer(&mut sim, Acks::Leader, false, 0);
    let all = producer(&mut sim, Acks::All, true, u32::MAX);
    run_to(&mut sim, &mut check, 3000);
    let zombie = sim.partition_view(tp).leader.expect("leader");
    let epoch = sim.partition_view(tp).leader_epoch;
    cut(
        &mut sim,
        NodeId::Broker(zombie),
        NodeId::Controller(ControllerId(1)),
        false,
    );
    let cut_at = sim.now();
    let mut values: BTreeMap<SendId, String> = BTreeMap::new();
    let mut acked_at: BTreeMap<String, SimTime> = BTreeMap::new();
    let mut timed_out_all = 0;
    let mut elected_at = None;
    let mut next_send = cut_at;
    let mut i = 0;
    while sim.now() < cut_at + 60_000 {
        if sim.now() >= next_send {
            for (p, name) in [(one, "one"), (all, "all")] {
                let value = format!("{name}-{i}");
                values.insert(sim.send(p, t, None, &value).unwrap(), value);
            }
            i += 1;
            next_send += 500;
        }
        let next = sim.next_event_time().unwrap().min(next_send);
        run_to(&mut sim, &mut check, next);
        for e in events(&mut sim) {
            match &e.kind {
                EventKind::ProduceAcked { send, .. } => {
                    acked_at.insert(values[send].clone(), e.at);
                }
                EventKind::ProduceError {
                    producer,
                    error: ErrorCode::RequestTimedOut,
                    ..
                } if *producer == all => timed_out_all += 1,
                EventKind::LeaderChanged {
                    tp: etp, leader, ..
                } if *etp == tp && *leader != Some(zombie) => {
                    elected_at.get_or_insert(e.at);
                }
                _ => {}
            }
        }
    }
    let elected_at = elected_at.expect("the controller elected another leader");
    assert!(
        elected_at - cut_at >= session && elected_at - cut_at <= session + 3000,
        "fenced and replaced {} ms after the cut",
        elected_at - cut_at
    );
    assert_eq!(sim.partition_view(tp).leader_epoch, epoch + 1);
    // The zombie still takes acks=1 writes; acks=all ones cannot commit there and time out.
    let zombie_acks_1 = acked_at
        .iter()
        .filter(|(v, at)| v.starts_with("one-") && **at > elected_at + 1000)
        .count();
    assert!(
        zombie_acks_1 > 10,
        "acks=1 acknowledged by the zombie: {zombie_acks_1}"
    );
    assert!(timed_out_all > 0, "acks=all writes to the zombie timed out");
    // Healed, the zombie learns the new epoch and truncates what only it had.
    sim.handle(Command::HealLink {
        a: NodeId::Broker(zombie),
        b: NodeId::Controller(ControllerId(1)),
    })
    .unwrap();
    let later = sim.now() + 30_000;
    run_to(&mut sim, &mut check, later);
    let evs = events(&mut sim);
    assert!(evs.iter().any(|e| matches!(
        e.kind,
        EventKind::Truncated { broker: b, tp: etp, from, to } if b == zombie && etp == tp && from > to
    )));
    let log = sim.partition_log_values(tp);
    let lost: Vec<&String> = acked_at.keys().filter(|v| !log.contains(v)).collect();
    assert!(lost.len() >= zombie_acks_1, "lost: {lost:?}");
    assert!(
        lost.iter().all(|v| v.starts_with("one-")),
        "only acks=1 writes are lost: {lost:?}"
    );
    assert_eq!(replica(&sim, tp, zombie.0).log_end_offset, log.len() as u64);
}

#[test]
fn a_consumer_cut_from_its_coordinator_is_expired_and_its_late_commit_refused() {
    let (mut sim, t) = cluster(3, 3, 1, 52);
    let mut check = InvariantChecker::new();
    let mut cc = ConsumerConfig::preset(TimingPreset::Kafka);
    cc.auto_offset_reset_earliest = true;
    cc.enable_auto_commit = false;
    let session = cc.session_timeout_ms;
    let c1 = sim.create_consumer("g", &["t"], cc.clone());
    let c2 = sim.create_consumer("g", &["t"], cc);
    run_to(&mut sim, &mut check, 10_000);
    let parts = assigned_partitions;
    assert_eq!(parts(&sim, c1), vec![0, 1]);
    let coordinator = sim
        .snapshot()
        .groups
        .iter()
        .find(|g| &*g.group == "g")
        .and_then(|g| g.coordinator)
        .expect("a coordinator");
    let cut_at = sim.now();
    cut(
        &mut sim,
        NodeId::Client(c1),
        NodeId::Broker(coordinator),
        false,
    );
    let _ = events(&mut sim);
    let mut expired_at = None;
    while expired_at.is_none() && sim.now() < cut_at + 2 * session {
        let next = sim.next_event_time().unwrap();
        run_to(&mut sim, &mut check, next);
        for e in events(&mut sim) {
            if matches!(e.kind, EventKind::MemberExpired { member, .. } if member == c1) {
                expired_at = Some(e.at);
            }
        }
    }
    let waited = expired_at.expect("the coordinator expired c1") - cut_at;
    let interval = ConsumerConfig::preset(TimingPreset::Kafka).heartbeat_interval_ms;
    assert!(
        waited + interval >= session && waited <= session + interval,
        "expired {waited} ms after the cut (session {session})"
    );
    let later = sim.now() + 10_000;
    run_to(&mut sim, &mut check, later);
    assert_eq!(parts(&sim, c2), vec![0, 1, 2], "its partitions moved");
    // Healed, its commit from the old generation is refused: the coordinator forgot it.
    sim.handle(Command::HealLink {
        a: NodeId::Client(c1),
        b: NodeId::Broker(coordinator),
    })
    .unwrap();
    let tp = TopicPartition {
        topic: t,
        partition: 0,
    };
    sim.commit(c1, vec![(tp, 0)]);
    let mut refused = None;
    let until = sim.now() + 10_000;
    while refused.is_none() && sim.now() < until {
        let next = sim.next_event_time().unwrap();
        run_to(&mut sim, &mut check, next);
        for e in events(&mut sim) {
            match e.kind {
                EventKind::CommitFailed { consumer, error } if consumer == c1 => {
                    refused = Some(error)
                }
                EventKind::OffsetsCommitted { consumer, .. } if consumer == c1 => {
                    panic!("a commit from an expired member was accepted")
                }
                _ => {}
            }
        }
    }
    assert_eq!(refused, Some(ErrorCode::UnknownMemberId));
    // It rejoins once its JoinGroup, lost on the cut link, times out (max.poll.interval.ms plus
    // 5 s), and the group splits the partitions again.
    let later = sim.now() + 330_000;
    run_to(&mut sim, &mut check, later);
    let mut both = vec![parts(&sim, c1), parts(&sim, c2)];
    both.sort();
    assert_eq!(both, vec![vec![0, 1], vec![2]]);
}

#[test]
fn scenario_link_actions_name_service_instances_and_the_report_lists_faulty_links() {
    let text = r#"{
        "seed": 3,
        "services": {"payment_instances": 2},
        "run_until_ms": 20000,
        "actions": [
            {"at_ms": 1000, "do": "cut_link", "a": "payment_service#2", "b": "broker-1"},
            {"at_ms": 1000, "do": "cut_link", "a": "broker-3", "b": "broker-2", "one_way": true},
            {"at_ms": 2000, "do": "slow_link", "a": "controller", "b": "broker-2", "extra_latency_ms": 300},
            {"at_ms": 3000, "do": "lossy_link", "a": "order_service", "b": "broker-3", "drop_rate": 0.25},
            {"at_ms": 4000, "do": "lossy_link", "a": "client-1", "b": "broker-3", "drop_rate": 0},
            {"at_ms": 5000, "do": "heal_link", "a": "broker-1", "b": "payment_service#2"},
            {"at_ms": 6000, "do": "cut_link", "a": "payment_service", "b": "controller"},
            {"at_ms": 7000, "do": "cut_link", "a": "client-99", "b": "broker-1"}
        ]
    }"#;
    let scenario = parse_scenario(text).expect("valid");
    let report = run_scenario(&scenario, false).expect("runs");
    let json = serde_json::to_value(&report).unwrap();
    let links: Vec<String> = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{} {} {} cut={} +{} loss={}",
                l["a"].as_str().unwrap(),
                if l["one_way"].as_bool().unwrap() {
                    "->"
                } else {
                    "<->"
                },
                l["b"].as_str().unwrap(),
                l["cut"],
                l["extra_latency_ms"],
                l["drop_rate"]
            )
        })
        .collect();
    assert_eq!(
        links,
        vec![
            "controller-1 <-> broker-2 cut=false +300 loss=0.0",
            "controller-1 <-> payment_service cut=true +0 loss=0.0",
            "broker-3 -> broker-2 cut=true +0 loss=0.0",
        ]
    );
    assert_eq!(
        report.action_errors.len(),
        1,
        "client-99 does not exist: {:?}",
        report.action_errors
    );
    assert!(report.action_errors[0].contains("there is no client 99"));
}
