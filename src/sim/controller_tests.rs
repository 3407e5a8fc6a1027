//! The controller alone: fed heartbeats, timers and AlterPartition requests, checked by the
//! exact effects it returns.

use super::*;
use crate::sim::node::{Effect, TimerId};
use crate::sim::test_support::{events, orders_only, sends};
use crate::sim::types::TopicId;

fn tp(p: u32) -> TopicPartition {
    TopicPartition {
        topic: TopicId(0),
        partition: p,
    }
}

fn state(
    p: u32,
    leader: u32,
    epoch: u32,
    pe: u32,
    replicas: &[u32],
    isr: &[u32],
) -> PartitionState {
    PartitionState {
        tp: tp(p),
        leader: Some(BrokerId(leader)),
        leader_epoch: epoch,
        partition_epoch: pe,
        replicas: replicas.iter().map(|b| BrokerId(*b)).collect(),
        isr: isr.iter().map(|b| BrokerId(*b)).collect(),
    }
}

fn broker(b: u32) -> NodeId {
    NodeId::Broker(BrokerId(b))
}

/// A started controller that has heard a first heartbeat from brokers 1 to 3 at time 0.
fn started() -> (
    Controller,
    crate::sim::config::SimConfig,
    Vec<crate::sim::node::Topic>,
) {
    let (config, topics) = orders_only();
    let mut c = Controller::new();
    {
        let ctx = Context {
            config: &config,
            topics: &topics,
        };
        let mut out = Outbox::new(0, 0);
        let ids = [BrokerId(1), BrokerId(2), BrokerId(3)];
        c.start(&ids, &ctx, &mut out);
        for b in 1..=3 {
            let beat = Payload::BrokerHeartbeat {
                incarnation: 1,
                metadata_version: 1,
            };
            c.handle_message(0, broker(b), beat, &ctx, &mut out);
        }
    }
    (c, config, topics)
}

#[test]
fn start_creates_partitions_round_robin_and_publishes_them_once() {
    let (config, topics) = orders_only();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut c = Controller::new();
    let mut out = Outbox::new(0, 0);
    c.start(&[BrokerId(1), BrokerId(2), BrokerId(3)], &ctx, &mut out);
    let created = vec![
        state(0, 1, 0, 0, &[1, 2, 3], &[1, 2, 3]),
        state(1, 2, 0, 0, &[2, 3, 1], &[2, 3, 1]),
        state(2, 3, 0, 0, &[3, 1, 2], &[3, 1, 2]),
    ];
    let update = Payload::MetadataUpdate {
        base_version: Some(0),
        version: 1,
        partitions: created,
    };
    let check = (config.cluster.broker_session_timeout_ms / 8).clamp(50, 1000);
    let imbalance = config.cluster.leader_imbalance_check_interval_ms;
    assert_eq!(
        out.take(),
        vec![
            Effect::Send {
                to: broker(1),
                payload: update.clone()
            },
            Effect::Send {
                to: broker(2),
                payload: update.clone()
            },
            Effect::Send {
                to: broker(3),
                payload: update
            },
            Effect::SetTimer {
                id: TimerId { at: check, seq: 3 },
                delay: check,
                timer: ControllerTimer::SessionCheck
            },
            Effect::SetTimer {
                id: TimerId {
                    at: imbalance,
                    seq: 4
                },
                delay: imbalance,
                timer: ControllerTimer::ImbalanceCheck
            },
        ]
    );
}

#[test]
fn session_timeout_fences_the_broker_and_elects_the_first_live_isr_replica() {
    let (mut c, config, topics) = started();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let timeout = config.cluster.broker_session_timeout_ms;
    let mut out = Outbox::new(timeout - 100, 0);
    for b in [2, 3] {
        let beat = Payload::BrokerHeartbeat {
            incarnation: 1,
            metadata_version: 1,
        };
        c.handle_message(timeout - 100, broker(b), beat, &ctx, &mut out);
    }
    let _ = out.take();
    let now = timeout + 1;
    let mut out = Outbox::new(now, 100);
    c.handle_timer(now, ControllerTimer::SessionCheck, &ctx, &mut out);
    let effects = out.take();
    let b = BrokerId;
    assert_eq!(
        events(&effects),
        vec![
            EventKind::BrokerFenced { broker: b(1) },
            EventKind::IsrChanged {
                tp: tp(0),
                isr: vec![b(2), b(3)],
                previous: vec![b(1), b(2), b(3)]
            },
            EventKind::LeaderChanged {
                tp: tp(0),
                leader: Some(b(2)),
                previous: Some(b(1)),
                leader_epoch: 1,
                unclean: false,
                reason: "session timeout"
            },
            EventKind::IsrChanged {
                tp: tp(1),
                isr: vec![b(2), b(3)],
                previous: vec![b(2), b(3), b(1)]
            },
            EventKind::IsrChanged {
                tp: tp(2),
                isr: vec![b(3), b(2)],
                previous: vec![b(3), b(1), b(2)]
            },
        ]
    );
    let changed = vec![
        state(0, 2, 1, 1, &[1, 2, 3], &[2, 3]),
        state(1, 2, 0, 1, &[2, 3, 1], &[2, 3]),
        state(2, 3, 0, 1, &[3, 1, 2], &[3, 2]),
    ];
    let update = Payload::MetadataUpdate {
        base_version: Some(1),
        version: 2,
        partitions: changed,
    };
    assert_eq!(
        sends(&effects),
        vec![
            (broker(1), update.clone()),
            (broker(2), update.clone()),
            (broker(3), update)
        ]
    );
    assert!(c.broker_fenced(BrokerId(1)));
    assert_eq!(c.partition(tp(0)).and_then(|s| s.leader), Some(BrokerId(2)));
    // The next check is armed last.
    let interval = (timeout / 8).clamp(50, 1000);
    assert_eq!(
        effects.last(),
        Some(&Effect::SetTimer {
            id: TimerId {
                at: now + interval,
                seq: 103
            },
            delay: interval,
            timer: ControllerTimer::SessionCheck
        })
    );
}

#[test]
fn without_unclean_election_a_partition_whose_isr_is_fenced_goes_offline() {
    let (mut c, config, topics) = started();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    assert!(!config.cluster.unclean_leader_election_enable);
    let now = config.cluster.broker_session_timeout_ms + 1;
    // Each check fences one silent broker; three checks fence them all.
    for _ in 0..3 {
        let mut out = Outbox::new(now, 0);
        c.handle_timer(now, ControllerTimer::SessionCheck, &ctx, &mut out);
    }
    for p in 0..3 {
        let s = c.partition(tp(p)).expect("partition");
        assert_eq!(s.leader, None, "partition {p} is offline");
        assert_eq!(s.isr.len(), 1, "the last ISR member stays in the ISR");
    }
}

#[test]
fn alter_partition_with_a_stale_partition_epoch_is_refused() {
    let (mut c, config, topics) = started();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut out = Outbox::new(10, 0);
    let shrink = |pe| Payload::AlterPartition {
        tp: tp(0),
        leader_epoch: 0,
        partition_epoch: pe,
        new_isr: vec![BrokerId(1), BrokerId(2)],
    };
    c.handle_message(10, broker(1), shrink(0), &ctx, &mut out);
    let first = out.take();
    let committed = state(0, 1, 0, 1, &[1, 2, 3], &[1, 2]);
    assert_eq!(
        sends(&first).last(),
        Some(&(
            broker(1),
            Payload::AlterPartitionResponse {
                tp: tp(0),
                result: Box::new(Ok(committed))
            }
        ))
    );
    c.handle_message(11, broker(1), shrink(0), &ctx, &mut out);
    assert_eq!(
        out.take(),
        vec![Effect::Send {
            to: broker(1),
            payload: Payload::AlterPartitionResponse {
                tp: tp(0),
                result: Box::new(Err(ErrorCode::InvalidUpdateVersion))
            }
        }]
    );
}
