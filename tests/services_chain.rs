#![cfg(not(target_arch = "wasm32"))]
//! The order chain of the seed, end to end through the engine.

use kafka_sandbox::services::*;
use kafka_sandbox::sim::*;

fn world(timing: TimingPreset, seed: u64) -> World {
    World::new(WorldConfig::default_for(timing), seed).expect("default world is valid")
}

/// Every order got exactly one payment, one shipment and its emails, in chain order.
fn assert_chain_complete(w: &World, orders: u64) {
    let totals = w.order_totals();
    assert_eq!(totals.created, orders, "created");
    assert_eq!(totals.completed, orders, "completed: {totals:?}");
    for o in w.orders() {
        assert_eq!(
            o.stage,
            OrderStage::Completed,
            "order {} is {:?}",
            o.order_id,
            o.stage
        );
        if o.refused_at.is_some() {
            assert!(
                o.shipped_at.is_none(),
                "refused order {} shipped",
                o.order_id
            );
            assert_eq!(o.emails.len(), 2, "order {} emails", o.order_id);
        } else {
            let (paid, shipped) = (o.paid_at.unwrap(), o.shipped_at.unwrap());
            assert!(
                o.created_at <= paid && paid <= shipped,
                "order {} out of order",
                o.order_id
            );
            assert_eq!(
                o.emails.len(),
                3,
                "order {} emails {:?}",
                o.order_id,
                o.emails
            );
        }
    }
}

#[test]
fn two_hundred_orders_complete_exactly_once_without_faults() {
    let mut w = world(TimingPreset::Kafka, 1);
    w.advance_to(5_000);
    for _ in 0..200 {
        w.create_order(None, None).unwrap();
        let t = w.now() + 10;
        w.advance_to(t);
    }
    w.advance_to(w.now() + 30_000);
    assert_chain_complete(&w, 200);
    let t = w.order_totals();
    assert_eq!((t.paid, t.shipped, t.emails_sent), (200, 200, 600));
    assert_eq!(w.sim.lost_acked().len(), 0);
}

#[test]
fn leader_of_an_order_partition_crashes_mid_stream_and_every_order_completes_once() {
    let mut w = world(TimingPreset::Kafka, 2);
    w.advance_to(5_000);
    let order_created = w.sim.topic_by_name(ORDER_CREATED).unwrap();
    let tp = TopicPartition {
        topic: order_created,
        partition: 0,
    };
    let leader = w.sim.partition_view(tp).leader.unwrap();
    for i in 0..200u64 {
        w.create_order(None, None).unwrap();
        let t = w.now() + 20;
        w.advance_to(t);
        if i == 60 {
            w.handle(Command::FailBroker { broker: leader }).unwrap();
        }
        if i == 160 {
            w.handle(Command::RestoreBroker { broker: leader }).unwrap();
        }
    }
    w.advance_to(w.now() + 120_000);
    assert_ne!(w.sim.partition_view(tp).leader, None);
    assert_chain_complete(&w, 200);
    let t = w.order_totals();
    assert_eq!(
        (t.paid, t.shipped, t.emails_sent),
        (200, 200, 600),
        "exactly once: {t:?}"
    );
    assert_eq!(w.sim.lost_acked().len(), 0);
    assert!(w.sim.counters().leader_elections >= 1);
}

#[test]
fn payment_crash_after_processing_before_commit_redelivers_and_stays_exactly_once() {
    let mut w = world(TimingPreset::Kafka, 3);
    w.advance_to(5_000);
    for _ in 0..5 {
        w.create_order(None, None).unwrap();
    }
    w.advance_to(10_000);
    assert_eq!(w.order_totals().completed, 5);
    w.crash_after_next_record(ServiceKind::PaymentService, 0)
        .unwrap();
    let crashed_order = w.create_order(None, None).unwrap();
    w.advance_to(12_000);
    let consumer = w.instance_consumer(ServiceKind::PaymentService, 0).unwrap();
    assert!(
        !w.sim.client_online(consumer),
        "the instance crashed after processing"
    );
    assert!(
        w.order(crashed_order).unwrap().paid_at.is_some(),
        "charged before the crash"
    );
    w.restart_instance(ServiceKind::PaymentService, 0).unwrap();
    // The restarted process is a new group member; the old one expires after the session timeout.
    w.advance_to(12_000 + 45_000 + 20_000);
    assert_eq!(
        w.duplicates_suppressed(ServiceKind::PaymentService),
        1,
        "the record came back once"
    );
    let hops = &w.order(crashed_order).unwrap().hops;
    let payment_reads: Vec<HopAction> = hops
        .iter()
        .filter(|h| h.service == ServiceKind::PaymentService)
        .map(|h| h.action)
        .filter(|a| *a != HopAction::Written)
        .collect();
    assert_eq!(
        payment_reads,
        vec![HopAction::Read, HopAction::DuplicateIgnored],
        "read, then redelivered and recognised: {hops:?}"
    );
    assert_chain_complete(&w, 6);
    let t = w.order_totals();
    assert_eq!((t.paid, t.shipped, t.emails_sent), (6, 6, 18));
}

#[test]
fn scaling_payment_service_to_three_rebalances_with_range_and_orders_keep_flowing() {
    let mut w = world(TimingPreset::Kafka, 4);
    w.set_order_rate(20.0);
    w.advance_to(10_000);
    let before = w.order_totals().completed;
    assert!(before > 0);
    w.scale(ServiceKind::PaymentService, 3).unwrap();
    w.advance_to(30_000);
    let snap = w.snapshot();
    let payment = snap
        .services
        .iter()
        .find(|s| s.kind == ServiceKind::PaymentService)
        .unwrap();
    assert_eq!(payment.instances.len(), 3);
    let mut owned: Vec<Vec<u32>> = payment
        .instances
        .iter()
        .map(|i| i.partitions.iter().map(|tp| tp.partition).collect())
        .collect();
    owned.sort();
    assert_eq!(
        owned,
        vec![vec![0], vec![1], vec![2]],
        "Range: one partition each"
    );
    let group = snap
        .sim
        .groups
        .iter()
        .find(|g| &*g.group == "payment_service")
        .unwrap();
    assert!(group.generation >= 2, "a rebalance happened");
    w.set_order_rate(0.0);
    w.advance_to(60_000);
    let t = w.order_totals();
    assert!(t.completed > before);
    assert_eq!(t.completed, t.created, "every order completes: {t:?}");
}

#[test]
fn refused_payments_get_a_refusal_email_and_are_never_shipped() {
    let mut cfg = WorldConfig::default_for(TimingPreset::Kafka);
    cfg.services.payment_failure_rate = 0.5;
    let mut w = World::new(cfg, 5).unwrap();
    w.advance_to(5_000);
    for _ in 0..100 {
        w.create_order(None, None).unwrap();
        let t = w.now() + 20;
        w.advance_to(t);
    }
    w.advance_to(w.now() + 30_000);
    assert_chain_complete(&w, 100);
    let t = w.order_totals();
    assert_eq!(t.paid + t.refused, 100);
    assert!(
        t.refused > 25 && t.refused < 75,
        "about half refused: {t:?}"
    );
    assert_eq!(t.shipped, t.paid, "refused orders never ship");
    assert_eq!(t.emails_sent, 3 * t.paid + 2 * t.refused);
    for o in w.orders().filter(|o| o.refused_at.is_some()) {
        assert!(o
            .emails
            .iter()
            .any(|(step, _)| *step == EmailStep::PaymentRefused));
    }
}

#[test]
fn orders_without_progress_are_flagged_with_the_likely_reason() {
    let mut w = world(TimingPreset::Kafka, 6);
    w.advance_to(5_000);
    w.crash_instance(ServiceKind::PaymentService, 0).unwrap();
    let id = w.create_order(None, None).unwrap();
    let after = w.config().services.stuck_after_ms;
    w.advance_to(5_000 + after + 2_000);
    let order = w.order(id).unwrap();
    assert_eq!(order.stage, OrderStage::Published);
    assert_eq!(
        order.stuck,
        Some(StuckReason::ServiceDown {
            service: "payment_service".into()
        })
    );
    assert_eq!(w.stuck_count(), 1);
    w.restart_instance(ServiceKind::PaymentService, 0).unwrap();
    w.advance_to(w.now() + 60_000);
    assert_eq!(w.order(id).unwrap().stage, OrderStage::Completed);
    assert_eq!(w.stuck_count(), 0, "progress clears the flag");
}

#[test]
fn a_stuck_order_under_acks_1_blames_the_frozen_high_watermark_not_not_enough_replicas() {
    let mut config = WorldConfig::default_for(TimingPreset::Kafka);
    config.sim.producer.acks = Acks::Leader;
    let mut w = World::new(config, 7).expect("valid");
    w.advance_to(5_000);
    // Two brokers down: every partition keeps one in-sync replica, below min.insync.replicas 2.
    w.handle(Command::FailBroker {
        broker: BrokerId(2),
    })
    .unwrap();
    w.handle(Command::FailBroker {
        broker: BrokerId(3),
    })
    .unwrap();
    let session = w.config().sim.cluster.broker_session_timeout_ms;
    w.advance_to(5_000 + session + 5_000);
    let id = w.create_order(None, None).unwrap();
    let after = w.config().services.stuck_after_ms;
    w.advance_to(w.now() + after + 2_000);
    let order = w.order(id).unwrap();
    assert_eq!(order.stage, OrderStage::Published, "acks=1: acknowledged");
    let Some(StuckReason::HighWatermarkFrozen { partition }) = &order.stuck else {
        panic!("stuck for {:?}", order.stuck);
    };
    assert!(partition.starts_with("order.created-"), "{partition}");
}

/// Every committed offset the online coordinators hold, by group and partition.
fn all_committed(w: &World) -> std::collections::BTreeMap<(String, TopicPartition), Offset> {
    w.sim
        .brokers()
        .filter(|b| b.online())
        .flat_map(|b| b.coordinator().all_committed())
        .map(|(g, tp, o)| ((g.to_string(), tp), o))
        .collect()
}

#[test]
fn after_an_hour_at_twenty_orders_a_second_a_coordinator_failover_finds_every_groups_offsets() {
    let mut w = world(TimingPreset::Kafka, 12);
    w.advance_to(5_000);
    // A group that committed once, long ago, on the offsets partition of payment_service.
    let busy = w
        .sim
        .coordinator_partition(ServiceKind::PaymentService.name());
    let quiet = (0..)
        .map(|i| format!("audit-{i}"))
        .find(|g| w.sim.coordinator_partition(g) == busy)
        .unwrap();
    let mut cc = ConsumerConfig::preset(TimingPreset::Kafka);
    cc.enable_auto_commit = false;
    let audit = w.sim.create_consumer(&quiet, &[ORDER_CREATED], cc);
    w.advance_to(10_000);
    let order_created = w.sim.topic_by_name(ORDER_CREATED).unwrap();
    let audited = TopicPartition {
        topic: order_created,
        partition: 0,
    };
    w.sim.commit(audit, vec![(audited, 0)]);
    w.advance_to(12_000);
    w.sim.close_consumer(audit);
    // An hour at 20 orders a second, then the chain drains and commits everything.
    w.set_order_rate(20.0);
    // `advance_to` bounds its work per call, as a frame does: call it until the hour is over.
    while w.now() < 12_000 + 3_600_000 {
        w.advance_to(12_000 + 3_600_000);
    }
    w.set_order_rate(0.0);
    w.advance_to(w.now() + 30_000);
    let totals = w.order_totals().clone();
    assert!(totals.created >= 70_000, "{totals:?}");
    assert_eq!(totals.completed, totals.created, "{totals:?}");
    let offsets_partition = w.sim.partition_view(busy);
    let leader = offsets_partition.leader.unwrap();
    let (leo, kept) = {
        let log = w.sim.replica_log(leader, busy).unwrap();
        (log.log_end_offset(), log.records().len())
    };
    let before = all_committed(&w);
    assert_eq!(before.get(&(quiet.clone(), audited)), Some(&0));
    let duplicates_before: Vec<u64> = ServiceKind::ALL
        .iter()
        .map(|k| w.duplicates_suppressed(*k))
        .collect();
    // The coordinator fails; the new leader of the offsets partition reads its log.
    w.handle(Command::FailBroker { broker: leader }).unwrap();
    w.advance_to(w.now() + 60_000);
    let after = all_committed(&w);
    assert_eq!(after, before, "every group's offsets, after the failover");
    assert_ne!(w.sim.partition_view(busy).leader, Some(leader));
    // Ten thousand commits, compacted down to the latest per key and the dirty tail.
    assert!(leo > 10_000, "LEO {leo}");
    assert!(kept < 300, "{kept} records kept");
    // The chain goes on from the committed offsets: no record comes back.
    for _ in 0..100 {
        w.create_order(None, None).unwrap();
        let t = w.now() + 50;
        w.advance_to(t);
    }
    w.advance_to(w.now() + 60_000);
    let totals = w.order_totals();
    assert_eq!(totals.completed, totals.created, "{totals:?}");
    let duplicates_after: Vec<u64> = ServiceKind::ALL
        .iter()
        .map(|k| w.duplicates_suppressed(*k))
        .collect();
    assert_eq!(duplicates_after, duplicates_before, "nothing redelivered");
    assert_eq!(w.sim.lost_acked().len(), 0);
}

#[test]
fn an_orders_hops_name_each_record_written_and_read_where_it_is() {
    let mut w = world(TimingPreset::Kafka, 21);
    w.advance_to(5_000);
    let id = w.create_order(Some(7), Some(1234)).unwrap();
    w.advance_to(20_000);
    let o = w.order(id).unwrap().clone();
    assert_eq!(o.stage, OrderStage::Completed);
    let steps: Vec<(HopAction, &str, String)> = o
        .hops
        .iter()
        .map(|h| {
            (
                h.action,
                h.service.name(),
                w.sim.topic_name(h.tp.topic).to_string(),
            )
        })
        .collect();
    fn expect(a: HopAction, s: &'static str, t: &str) -> (HopAction, &'static str, String) {
        (a, s, t.to_string())
    }
    use HopAction::{Read, Written};
    // The seed's cycle: each write acknowledged, each read by the service that reacts.
    for step in [
        expect(Written, "order_service", ORDER_CREATED),
        expect(Read, "payment_service", ORDER_CREATED),
        expect(Written, "payment_service", PAYMENT_SUCCESSFUL),
        expect(Read, "shipping_service", PAYMENT_SUCCESSFUL),
        expect(Written, "shipping_service", DELIVERY_SHIPPED),
        expect(Read, "email_service", ORDER_CREATED),
        expect(Read, "email_service", PAYMENT_SUCCESSFUL),
        expect(Read, "email_service", DELIVERY_SHIPPED),
    ] {
        assert_eq!(
            steps.iter().filter(|s| **s == step).count(),
            1,
            "{step:?} once in {steps:?}"
        );
    }
    assert_eq!(steps.len(), 8, "{steps:?}");
    let written = |t: &str| {
        o.hops
            .iter()
            .find(|h| h.action == Written && w.sim.topic_name(h.tp.topic) == t)
            .unwrap()
    };
    assert!(written(ORDER_CREATED).at < written(PAYMENT_SUCCESSFUL).at);
    assert!(written(PAYMENT_SUCCESSFUL).at < written(DELIVERY_SHIPPED).at);
    for h in &o.hops {
        // The offset holds a record of this order, and the broker led the partition.
        let values = w.sim.partition_log_values(h.tp);
        assert!(
            values[h.offset as usize].contains(&format!("\"order_id\":{id}")),
            "{h:?}: {}",
            values[h.offset as usize]
        );
        assert_eq!(h.broker, w.sim.partition_view(h.tp).leader, "{h:?}");
    }
}

/// The steps of an order's sequence as (stage, kind, from, to, topic).
fn sequence_of(w: &World, id: u64) -> Vec<sequence::SeqStep> {
    w.order_focus(id).expect("the order is followed").sequence
}

#[test]
fn an_orders_sequence_shows_every_message_that_carried_its_records_in_the_seeds_steps() {
    use sequence::{Lifeline, StepKind};
    let mut w = world(TimingPreset::Kafka, 21);
    w.follow_orders(true);
    w.advance_to(5_000);
    let id = w.create_order(Some(7), Some(1234)).unwrap();
    w.advance_to(20_000);
    let steps = sequence_of(&w, id);
    let topic = |s: &sequence::SeqStep| s.tp.map(|tp| w.sim.topic_name(tp.topic).to_string());
    let count = |kind: &str, t: Option<&str>| {
        steps
            .iter()
            .filter(|s| s.kind.name() == kind && topic(s).as_deref() == t)
            .count()
    };
    assert_eq!(steps[0].kind, StepKind::Placed);
    assert_eq!(steps[0].from, Lifeline::Customer);
    for t in [ORDER_CREATED, PAYMENT_SUCCESSFUL, DELIVERY_SHIPPED] {
        // One produce to the leader, two followers fetch it (RF 3), one acknowledgement.
        assert_eq!(count("produce", Some(t)), 1, "{t}: {steps:#?}");
        assert_eq!(count("replicate", Some(t)), 2, "{t}");
        assert_eq!(count("acknowledge", Some(t)), 1, "{t}");
    }
    // order.created goes to payment_service and email_service, payment.successful to shipping
    // and email, delivery.shipped to email: five deliveries, each processed and committed.
    let deliveries = count("deliver", Some(ORDER_CREATED))
        + count("deliver", Some(PAYMENT_SUCCESSFUL))
        + count("deliver", Some(DELIVERY_SHIPPED));
    assert_eq!(deliveries, 5, "{steps:#?}");
    assert_eq!(
        steps.iter().filter(|s| s.kind.name() == "process").count(),
        5
    );
    assert_eq!(
        steps.iter().filter(|s| s.kind.name() == "commit").count(),
        5,
        "{steps:#?}"
    );
    assert_eq!(
        steps
            .iter()
            .filter(|s| s.kind.name() == "commit_answer")
            .count(),
        5
    );
    assert_eq!(steps.iter().filter(|s| s.kind.name() == "email").count(), 3);
    let o = w.order(id).unwrap();
    for s in &steps {
        assert!(s.sent_at <= s.at, "{s:?}");
        assert!(s.arrived && s.lost.is_none(), "everything arrived: {s:?}");
        // Messages go to or from the partition's leader (followers fetch from it).
        if let (Some(tp), "produce" | "acknowledge" | "replicate" | "deliver") =
            (s.tp, s.kind.name())
        {
            let leader = w.sim.partition_view(tp).leader.unwrap();
            let broker_end = if s.kind.name() == "produce" {
                s.to
            } else {
                s.from
            };
            assert_eq!(broker_end, Lifeline::Broker { broker: leader }, "{s:?}");
        }
        // The acknowledgement and the deliveries name the offset the hops name.
        if matches!(s.kind.name(), "acknowledge" | "deliver" | "replicate") {
            let tp = s.tp.unwrap();
            assert!(
                o.hops
                    .iter()
                    .any(|h| h.tp == tp && Some(h.offset) == s.offset),
                "{s:?} in {:?}",
                o.hops
            );
        }
        let service_side = match (s.from, s.to) {
            (Lifeline::Service { service, .. }, _) | (_, Lifeline::Service { service, .. }) => {
                Some(service)
            }
            _ => None,
        };
        let stage = match (s.kind.name(), topic(s).as_deref()) {
            ("email", _) => 4,
            ("deliver" | "process" | "commit" | "commit_answer", _) => {
                sequence::service_stage(service_side.unwrap())
            }
            (_, Some(PAYMENT_SUCCESSFUL)) => 2,
            (_, Some(DELIVERY_SHIPPED)) => 3,
            _ => 1,
        };
        assert_eq!(s.stage, stage, "{s:?}");
    }
    // In time: each step starts no earlier than the one before it.
    assert!(steps.windows(2).all(|p| p[0].sent_at <= p[1].sent_at));
    let focus = w.order_focus(id).unwrap();
    assert_eq!(
        focus.records.len(),
        3,
        "one record per topic: {:?}",
        focus.records
    );
    assert!(focus.in_flight.is_empty() && focus.handling.is_empty());
}

#[test]
fn a_redelivery_after_a_crash_shows_a_second_delivery_recognised_and_one_commit() {
    use sequence::StepKind;
    let mut w = world(TimingPreset::Kafka, 3);
    w.follow_orders(true);
    w.advance_to(5_000);
    w.crash_after_next_record(ServiceKind::PaymentService, 0)
        .unwrap();
    let id = w.create_order(None, None).unwrap();
    w.advance_to(12_000);
    w.restart_instance(ServiceKind::PaymentService, 0).unwrap();
    w.advance_to(12_000 + 45_000 + 20_000);
    let steps = sequence_of(&w, id);
    let payment: Vec<&StepKind> = steps
        .iter()
        .filter(|s| {
            s.stage == 2 && matches!(s.kind, StepKind::Deliver { .. } | StepKind::Process { .. })
        })
        .map(|s| &s.kind)
        .collect();
    assert_eq!(
        payment,
        vec![
            &StepKind::Deliver { delivery: 1 },
            &StepKind::Process {
                duplicate: false,
                interrupted: false
            },
            &StepKind::Deliver { delivery: 2 },
            &StepKind::Process {
                duplicate: true,
                interrupted: false
            },
        ],
        "{steps:#?}"
    );
    // The crash came after processing and before the commit: the step says so, and only the
    // second delivery is committed by payment_service.
    assert_eq!(
        steps
            .iter()
            .filter(|s| s.kind == StepKind::Uncommitted)
            .count(),
        1,
        "{steps:#?}"
    );
    let commits = steps
        .iter()
        .filter(|s| s.stage == 2 && s.kind == StepKind::Commit)
        .count();
    assert_eq!(commits, 1, "{steps:#?}");
}

#[test]
fn orders_are_followed_only_while_the_world_follows_them() {
    let mut w = world(TimingPreset::Kafka, 5);
    w.advance_to(5_000);
    let before = w.create_order(None, None).unwrap();
    w.follow_orders(true);
    let during = w.create_order(None, None).unwrap();
    w.advance_to(20_000);
    assert!(
        w.order_focus(before).is_none(),
        "placed before following began"
    );
    let focus = w.order_focus(during).expect("followed");
    assert_eq!(
        focus
            .sequence
            .iter()
            .filter(|s| s.kind.name() == "email")
            .count(),
        3
    );
}

#[test]
fn the_services_commit_interval_sets_how_often_an_instance_commits() {
    let commits = |interval: SimTime| {
        let mut config = WorldConfig::default_for(TimingPreset::Kafka);
        config.services.commit_interval_ms = interval;
        let mut w = World::new(config, 3).expect("valid");
        w.record_events = Some(Vec::new());
        w.set_order_rate(20.0);
        w.advance_to(5_000);
        w.record_events = Some(Vec::new());
        w.advance_to(35_000);
        let payment = w
            .snapshot()
            .services
            .iter()
            .find(|s| s.kind == ServiceKind::PaymentService)
            .and_then(|s| s.instances[0].consumer)
            .unwrap();
        let n = w
            .record_events
            .take()
            .unwrap()
            .iter()
            .filter(|e| {
                matches!(&e.kind, EventKind::OffsetsCommitted { consumer, .. } if *consumer == payment)
            })
            .count();
        w.set_order_rate(0.0);
        w.advance_to(80_000);
        assert_chain_complete(&w, w.order_totals().created);
        n
    };
    // 30 s of steady orders: about one commit a second by default, one every 5 s at 5000.
    let (default, slow) = (
        commits(kafka_sandbox::services::world::COMMIT_INTERVAL_MS),
        commits(5_000),
    );
    assert!((25..=31).contains(&default), "{default}");
    assert!((5..=7).contains(&slow), "{slow}");
    // A world refuses a zero interval, a scenario one out of range, naming the field.
    let mut config = WorldConfig::default_for(TimingPreset::Kafka);
    config.services.commit_interval_ms = 0;
    assert!(World::new(config, 1).is_err());
    let err = kafka_sandbox::scenario::parse_scenario(
        r#"{"services": {"commit_interval_ms": 90000}, "actions": []}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("services.commit_interval_ms"),
        "{err}"
    );
}
