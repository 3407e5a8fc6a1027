//! The controller alone: formatted, fed heartbeats, timers, AlterPartition requests and quorum
//! fetches, checked by the exact effects it returns.

use super::*;
use crate::sim::config::SimConfig;
use crate::sim::network::{ErrorCode, PartitionState};
use crate::sim::node::{Effect, Topic};
use crate::sim::quorum::{FetchOutcome, QuorumMessage};
use crate::sim::test_support::{events, orders_only, sends};
use crate::sim::types::{TopicId, TopicPartition};

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
        adding: Vec::new(),
        removing: Vec::new(),
    }
}

fn broker(b: u32) -> NodeId {
    NodeId::Broker(BrokerId(b))
}

fn beat() -> Payload {
    Payload::BrokerHeartbeat {
        incarnation: 1,
        metadata_offset: 1,
        want_shutdown: false,
    }
}

struct Fixture {
    config: SimConfig,
    topics: Vec<Topic>,
}

impl Fixture {
    fn new() -> Self {
        let (config, topics) = orders_only();
        Fixture { config, topics }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            config: &self.config,
            topics: &self.topics,
        }
    }

    /// Controller `id` of a quorum of `voters`, formatted with brokers 1 to 3 and started at 0.
    fn controller(&self, id: u32, voters: u32) -> (Controller, Vec<Effect<ControllerTimer>>) {
        let mut c = Controller::new(ControllerId(id), voters, QuorumTiming::kafka(), 7);
        let brokers = [BrokerId(1), BrokerId(2), BrokerId(3)];
        c.format(&brokers, &self.ctx());
        let mut out = Outbox::new(0, 0);
        c.start(0, &self.ctx(), &mut out);
        (c, out.take())
    }

    fn feed(
        &self,
        c: &mut Controller,
        now: SimTime,
        from: NodeId,
        payload: Payload,
    ) -> Vec<Effect<ControllerTimer>> {
        let mut out = Outbox::new(now, 100);
        c.handle_message(now, from, payload, &self.ctx(), &mut out);
        out.take()
    }

    fn timer(
        &self,
        c: &mut Controller,
        now: SimTime,
        timer: ControllerTimer,
    ) -> Vec<Effect<ControllerTimer>> {
        let mut out = Outbox::new(now, 100);
        c.handle_timer(now, timer, &self.ctx(), &mut out);
        out.take()
    }
}

#[test]
fn the_formatted_log_holds_the_brokers_and_round_robin_partitions_and_its_leader_is_active() {
    let f = Fixture::new();
    let (c, effects) = f.controller(1, 1);
    assert!(c.is_active());
    assert_eq!(c.role(), Some(QuorumRole::Leader));
    let expected = vec![
        state(0, 1, 0, 0, &[1, 2, 3], &[1, 2, 3]),
        state(1, 2, 0, 0, &[2, 3, 1], &[2, 3, 1]),
        state(2, 3, 0, 0, &[3, 1, 2], &[3, 1, 2]),
    ];
    let have: Vec<PartitionState> = c.metadata().partitions().map(|(_, s)| s.clone()).collect();
    assert_eq!(have, expected);
    // LeaderChange, three registrations, the topic and its three partitions.
    assert_eq!(c.metadata_end_offset(), 8);
    assert_eq!(c.metadata_high_watermark(), 8);
    assert!((1..=3).all(|b| !c.metadata().broker_fenced(BrokerId(b))));
    assert_eq!(
        events(&effects),
        vec![
            EventKind::QuorumRoleChanged {
                controller: ControllerId(1),
                role: QuorumRole::Leader,
                epoch: 1,
                leader: Some(ControllerId(1)),
            },
            EventKind::ControllerActivated {
                controller: ControllerId(1),
                epoch: 1
            },
        ]
    );
}

#[test]
fn session_timeout_fences_the_broker_and_elects_the_first_live_isr_replica() {
    let f = Fixture::new();
    let (mut c, _) = f.controller(1, 1);
    let timeout = f.config.cluster.broker_session_timeout_ms;
    for b in [2, 3] {
        let answer = f.feed(&mut c, timeout - 100, broker(b), beat());
        assert_eq!(
            sends(&answer),
            vec![(
                broker(b),
                Payload::BrokerHeartbeatResponse {
                    fenced: false,
                    should_shutdown: false
                }
            )]
        );
    }
    let now = timeout + 1;
    let effects = f.timer(&mut c, now, ControllerTimer::SessionCheck);
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
    assert!(c.metadata().broker_fenced(BrokerId(1)));
    let have: Vec<PartitionState> = c.metadata().partitions().map(|(_, s)| s.clone()).collect();
    assert_eq!(
        have,
        vec![
            state(0, 2, 1, 1, &[1, 2, 3], &[2, 3]),
            state(1, 2, 0, 1, &[2, 3, 1], &[2, 3]),
            state(2, 3, 0, 1, &[3, 1, 2], &[3, 2]),
        ]
    );
    // Brokers learn it from the log: nothing is pushed to them.
    assert!(sends(&effects).is_empty());
    let interval = (timeout / 8).clamp(50, 1000);
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::SetTimer {
                delay,
                timer: ControllerTimer::SessionCheck,
                ..
            } if *delay == interval
        )),
        "the next check is armed: {effects:?}"
    );
}

#[test]
fn without_unclean_election_a_partition_whose_isr_is_fenced_goes_offline() {
    let f = Fixture::new();
    let (mut c, _) = f.controller(1, 1);
    assert!(!f.config.cluster.unclean_leader_election_enable);
    let now = f.config.cluster.broker_session_timeout_ms + 1;
    // Each check fences one silent broker; three checks fence them all.
    for _ in 0..3 {
        let _ = f.timer(&mut c, now, ControllerTimer::SessionCheck);
    }
    for p in 0..3 {
        let s = c.metadata().partition(tp(p)).expect("partition");
        assert_eq!(s.leader, None, "partition {p} is offline");
        assert_eq!(s.isr.len(), 1, "the last ISR member stays in the ISR");
    }
}

#[test]
fn alter_partition_with_a_stale_partition_epoch_is_refused() {
    let f = Fixture::new();
    let (mut c, _) = f.controller(1, 1);
    let shrink = |pe| Payload::AlterPartition {
        tp: tp(0),
        leader_epoch: 0,
        partition_epoch: pe,
        new_isr: vec![BrokerId(1), BrokerId(2)],
    };
    let first = f.feed(&mut c, 10, broker(1), shrink(0));
    let committed = state(0, 1, 0, 1, &[1, 2, 3], &[1, 2]);
    assert_eq!(
        sends(&first),
        vec![(
            broker(1),
            Payload::AlterPartitionResponse {
                tp: tp(0),
                result: Box::new(Ok(committed))
            }
        )]
    );
    let second = f.feed(&mut c, 11, broker(1), shrink(0));
    assert_eq!(
        sends(&second),
        vec![(
            broker(1),
            Payload::AlterPartitionResponse {
                tp: tp(0),
                result: Box::new(Err(ErrorCode::InvalidUpdateVersion))
            }
        )]
    );
}

#[test]
fn in_a_quorum_of_three_a_change_is_reported_and_answered_only_once_a_majority_has_it() {
    let f = Fixture::new();
    let (mut c, _) = f.controller(1, 3);
    assert!(c.is_active(), "the formatted leader resumes its epoch");
    let shrink = Payload::AlterPartition {
        tp: tp(0),
        leader_epoch: 0,
        partition_epoch: 0,
        new_isr: vec![BrokerId(1), BrokerId(2)],
    };
    let asked = f.feed(&mut c, 10, broker(1), shrink);
    assert!(
        sends(&asked).is_empty(),
        "nothing is answered before commit"
    );
    assert!(events(&asked).is_empty(), "nothing counts before commit");
    assert_eq!(c.metadata_end_offset(), 9);
    assert_eq!(c.metadata_high_watermark(), 8);
    // Controller-2 fetches past the new record: two of three have it.
    let fetch = Payload::Quorum(Box::new(QuorumMessage::Fetch {
        epoch: 1,
        offset: 9,
        last_fetched_epoch: 1,
    }));
    let committed = f.feed(&mut c, 12, NodeId::Controller(ControllerId(2)), fetch);
    assert_eq!(c.metadata_high_watermark(), 9);
    assert_eq!(
        events(&committed),
        vec![EventKind::IsrChanged {
            tp: tp(0),
            isr: vec![BrokerId(1), BrokerId(2)],
            previous: vec![BrokerId(1), BrokerId(2), BrokerId(3)]
        }]
    );
    let to_broker: Vec<(NodeId, Payload)> = sends(&committed)
        .into_iter()
        .filter(|(to, _)| *to == broker(1))
        .collect();
    assert_eq!(
        to_broker,
        vec![(
            broker(1),
            Payload::AlterPartitionResponse {
                tp: tp(0),
                result: Box::new(Ok(state(0, 1, 0, 1, &[1, 2, 3], &[1, 2])))
            }
        )]
    );
}

#[test]
fn a_follower_controller_neither_answers_brokers_nor_acts_on_timers() {
    let f = Fixture::new();
    let (mut c, effects) = f.controller(2, 3);
    assert_eq!(c.role(), Some(QuorumRole::Follower));
    assert!(!c.is_active());
    let fetch = sends(&effects);
    assert!(
        matches!(
            fetch.as_slice(),
            [(NodeId::Controller(ControllerId(1)), Payload::Quorum(m))]
                if matches!(**m, QuorumMessage::Fetch { offset: 8, .. })
        ),
        "a follower fetches from the leader: {fetch:?}"
    );
    assert!(sends(&f.feed(&mut c, 10, broker(1), beat())).is_empty());
    let now = f.config.cluster.broker_session_timeout_ms + 1;
    let checked = f.timer(&mut c, now, ControllerTimer::SessionCheck);
    assert!(
        events(&checked).is_empty(),
        "only the active controller fences"
    );
    assert!(!c.metadata().broker_fenced(BrokerId(1)));
    // The leader's answer carries the high watermark: the follower applies what is committed.
    let answer = Payload::Quorum(Box::new(QuorumMessage::FetchResponse {
        epoch: 1,
        leader: Some(1),
        high_watermark: 8,
        outcome: FetchOutcome::Entries(Vec::new()),
    }));
    let _ = f.feed(&mut c, 11, NodeId::Controller(ControllerId(1)), answer);
    assert_eq!(c.metadata_high_watermark(), 8);
}

#[test]
fn a_preferred_leader_election_hands_a_partition_back_to_its_first_replica_once_in_sync() {
    let f = Fixture::new();
    let (mut c, _) = f.controller(1, 1);
    let timeout = f.config.cluster.broker_session_timeout_ms;
    for b in [2, 3] {
        let _ = f.feed(&mut c, timeout - 100, broker(b), beat());
    }
    // Broker 1 is fenced: partition 0 (preferred replica 1) moves to broker 2.
    let _ = f.timer(&mut c, timeout + 1, ControllerTimer::SessionCheck);
    assert_eq!(
        c.metadata().partitions().next().unwrap().1.leader,
        Some(BrokerId(2))
    );
    let elect = |c: &mut Controller, now| {
        let mut out = Outbox::new(now, 100);
        c.elect_preferred_leaders(now, &mut out);
        out.take()
    };
    // Fenced and out of the ISR, broker 1 cannot lead: the election moves nothing.
    assert!(events(&elect(&mut c, timeout + 10)).is_empty());
    // It comes back (a new incarnation registers, then is unfenced once caught up) and the
    // leader adds it to the ISR again.
    let now = timeout + 100;
    let back = |offset| Payload::BrokerHeartbeat {
        incarnation: 2,
        metadata_offset: offset,
        want_shutdown: false,
    };
    let _ = f.feed(&mut c, now, broker(1), back(1));
    let caught_up = c.metadata_high_watermark();
    let _ = f.feed(&mut c, now + 1, broker(1), back(caught_up));
    assert!(!c.metadata().broker_fenced(BrokerId(1)));
    let expand = Payload::AlterPartition {
        tp: tp(0),
        leader_epoch: 1,
        partition_epoch: 1,
        new_isr: vec![BrokerId(2), BrokerId(3), BrokerId(1)],
    };
    let _ = f.feed(&mut c, now + 2, broker(2), expand);
    // Now the election hands partition 0 back to broker 1, in a new leader epoch; partitions
    // 1 and 2 already have their preferred leaders.
    let effects = elect(&mut c, now + 3);
    assert_eq!(
        events(&effects),
        vec![EventKind::LeaderChanged {
            tp: tp(0),
            leader: Some(BrokerId(1)),
            previous: Some(BrokerId(2)),
            leader_epoch: 2,
            unclean: false,
            reason: "preferred leader election"
        }]
    );
    assert!(
        events(&elect(&mut c, now + 4)).is_empty(),
        "nothing left to move"
    );
}

fn admin(
    f: &Fixture,
    c: &mut Controller,
    now: SimTime,
    op: AdminOp,
) -> Vec<Effect<ControllerTimer>> {
    let mut out = Outbox::new(now, 100);
    c.operate(now, op, &f.ctx(), &mut out).expect("accepted");
    out.take()
}

fn shutdown_beat(offset: Offset) -> Payload {
    Payload::BrokerHeartbeat {
        incarnation: 1,
        metadata_offset: offset,
        want_shutdown: true,
    }
}

/// Registers broker 4 and unfences it (its second heartbeat has applied the log).
fn join_broker_4(f: &Fixture, c: &mut Controller) {
    let _ = f.feed(c, 10, broker(4), beat());
    let end = c.metadata_end_offset();
    let _ = f.feed(
        c,
        20,
        broker(4),
        Payload::BrokerHeartbeat {
            incarnation: 1,
            metadata_offset: end,
            want_shutdown: false,
        },
    );
    assert!(c.metadata().broker_eligible(BrokerId(4)));
}

#[test]
fn a_reassignment_adds_first_and_completes_once_the_target_is_in_sync() {
    let f = Fixture::new();
    let (mut c, _) = f.controller(1, 1);
    join_broker_4(&f, &mut c);
    let b = |v: &[u32]| v.iter().map(|x| BrokerId(*x)).collect::<Vec<_>>();
    let effects = admin(
        &f,
        &mut c,
        30,
        AdminOp::Reassign {
            tp: tp(0),
            replicas: b(&[4, 2, 3]),
        },
    );
    let started = c.metadata().partition(tp(0)).expect("partition").clone();
    assert_eq!(started.replicas, b(&[4, 2, 3, 1]));
    assert_eq!(
        (started.adding.clone(), started.removing.clone()),
        (b(&[4]), b(&[1]))
    );
    assert_eq!(
        (
            started.leader,
            started.leader_epoch,
            started.partition_epoch
        ),
        (Some(BrokerId(1)), 0, 1)
    );
    assert!(events(&effects)
        .iter()
        .any(|e| matches!(e, EventKind::ReplicasChanged { .. })));
    // Broker 4 caught up: the leader adds it to the ISR; that completes the reassignment.
    let answer = f.feed(
        &mut c,
        40,
        broker(1),
        Payload::AlterPartition {
            tp: tp(0),
            leader_epoch: 0,
            partition_epoch: 1,
            new_isr: b(&[1, 2, 3, 4]),
        },
    );
    let mut done = state(0, 4, 1, 3, &[4, 2, 3], &[4, 2, 3]);
    done.adding = Vec::new();
    assert_eq!(
        sends(&answer),
        vec![(
            broker(1),
            Payload::AlterPartitionResponse {
                tp: tp(0),
                result: Box::new(Ok(done.clone()))
            }
        )]
    );
    assert_eq!(c.metadata().partition(tp(0)), Some(&done));
    assert!(events(&answer).iter().any(|e| matches!(
        e,
        EventKind::LeaderChanged {
            leader: Some(BrokerId(4)),
            reason: "reassignment completed",
            ..
        }
    )));
    // An ISR that names a broker outside the replicas is refused.
    let refused = f.feed(
        &mut c,
        50,
        broker(4),
        Payload::AlterPartition {
            tp: tp(0),
            leader_epoch: 1,
            partition_epoch: 3,
            new_isr: b(&[4, 2, 3, 1]),
        },
    );
    assert_eq!(
        sends(&refused),
        vec![(
            broker(4),
            Payload::AlterPartitionResponse {
                tp: tp(0),
                result: Box::new(Err(ErrorCode::InvalidUpdateVersion))
            }
        )]
    );
}

#[test]
fn a_controlled_shutdown_moves_leadership_first_and_lets_the_broker_stop_once_caught_up() {
    let f = Fixture::new();
    let (mut c, _) = f.controller(1, 1);
    let end = c.metadata_end_offset();
    let first = f.feed(&mut c, 10, broker(1), shutdown_beat(end));
    let evs = events(&first);
    assert_eq!(
        evs[0],
        EventKind::BrokerControlledShutdown {
            broker: BrokerId(1)
        }
    );
    assert!(evs.iter().any(|e| matches!(e,
        EventKind::LeaderChanged { tp: x, leader: Some(BrokerId(2)), reason: "controlled shutdown", .. } if *x == tp(0))));
    // Not yet: the broker has not applied its shutdown record.
    assert_eq!(
        sends(&first),
        vec![(
            broker(1),
            Payload::BrokerHeartbeatResponse {
                fenced: false,
                should_shutdown: false
            }
        )]
    );
    assert!(!c.metadata().broker_eligible(BrokerId(1)));
    let end = c.metadata_end_offset();
    let second = f.feed(&mut c, 20, broker(1), shutdown_beat(end));
    assert_eq!(
        sends(&second),
        vec![(
            broker(1),
            Payload::BrokerHeartbeatResponse {
                fenced: true,
                should_shutdown: true
            }
        )]
    );
    assert_eq!(
        events(&second),
        vec![EventKind::BrokerUnregistered {
            broker: BrokerId(1)
        }]
    );
    assert!(c.metadata().broker(BrokerId(1)).is_none());
    // A heartbeat still on its way is answered without registering the broker again.
    let late = f.feed(&mut c, 30, broker(1), shutdown_beat(end));
    assert!(events(&late).is_empty(), "{late:?}");
    assert!(c.metadata().broker(BrokerId(1)).is_none());
}
