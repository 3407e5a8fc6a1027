//! The group coordinator alone: joins, the initial rebalance delay, Range assignment, a member
//! that restarts and rejoins as a new member, and the old one expiring.

use super::*;
use crate::sim::node::Effect;
use crate::sim::test_support::{cluster, events, orders, sends};
use crate::sim::types::ClientId;

const GROUP: &str = "payment";

fn member(client: u32, incarnation: u32) -> MemberId {
    MemberId {
        client: ClientId(client),
        incarnation,
    }
}

fn join(m: MemberId) -> Payload {
    Payload::JoinGroup {
        group: Rc::from(GROUP),
        member: m,
        topics: vec![Rc::from("orders")],
    }
}

fn client(c: u32) -> NodeId {
    NodeId::Client(ClientId(c))
}

#[test]
fn range_assignment_after_the_initial_delay_then_a_restarted_member_rejoins() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let leads = |_: TopicPartition| true;
    let mut g = GroupCoordinator::default();
    let mut out: Outbox<()> = Outbox::new(0, 0);
    let delay = config.cluster.group_initial_rebalance_delay_ms;
    g.handle(0, client(1), join(member(1, 1)), &leads, &ctx, &mut out);
    g.handle(10, client(2), join(member(2, 1)), &leads, &ctx, &mut out);
    assert!(
        out.take().is_empty(),
        "a new group waits group.initial.rebalance.delay.ms"
    );
    g.check(delay - 1, &ctx, &mut out);
    assert!(out.take().is_empty());

    g.check(delay, &ctx, &mut out);
    let response = |generation| Payload::JoinGroupResponse {
        group: Rc::from(GROUP),
        result: Ok(generation),
    };
    assert_eq!(
        out.take(),
        vec![
            Effect::Emit(EventKind::GroupRebalanced {
                group: Rc::from(GROUP),
                generation: 1,
                assignment: vec![
                    (ClientId(1), vec![orders(0), orders(1)]),
                    (ClientId(2), vec![orders(2)]),
                ],
            }),
            Effect::Send {
                to: client(1),
                payload: response(1)
            },
            Effect::Send {
                to: client(2),
                payload: response(1)
            },
        ]
    );
    let sync = |m: MemberId, generation| Payload::SyncGroup {
        group: Rc::from(GROUP),
        member: m,
        generation,
    };
    g.handle(
        delay + 1,
        client(2),
        sync(member(2, 1), 1),
        &leads,
        &ctx,
        &mut out,
    );
    assert_eq!(
        sends(&out.take()),
        vec![(
            client(2),
            Payload::SyncGroupResponse {
                group: Rc::from(GROUP),
                result: Ok(vec![orders(2)])
            }
        )]
    );

    // Client 1 restarts: its new process is a new member; the group rebalances, and the old
    // member, which never rejoins, expires after session.timeout.ms.
    let t = delay + 100;
    g.handle(t, client(1), join(member(1, 2)), &leads, &ctx, &mut out);
    g.handle(t + 5, client(2), join(member(2, 1)), &leads, &ctx, &mut out);
    assert!(
        out.take().is_empty(),
        "the old member of client 1 has not rejoined yet"
    );
    let session = config.consumer.session_timeout_ms;
    g.check(delay + session + 1, &ctx, &mut out);
    let effects = out.take();
    assert_eq!(
        events(&effects),
        vec![
            EventKind::MemberExpired {
                group: Rc::from(GROUP),
                member: ClientId(1)
            },
            EventKind::GroupRebalanced {
                group: Rc::from(GROUP),
                generation: 2,
                assignment: vec![
                    (ClientId(1), vec![orders(0), orders(1)]),
                    (ClientId(2), vec![orders(2)]),
                ],
            },
        ]
    );
    let group = g.group(GROUP).expect("group");
    assert_eq!(group.generation(), 2);
    let members: Vec<MemberId> = group.members().map(|(m, _)| *m).collect();
    assert_eq!(members, vec![member(1, 2), member(2, 1)]);
}

#[test]
fn a_broker_that_does_not_lead_the_groups_partition_is_not_its_coordinator() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut g = GroupCoordinator::default();
    let mut out: Outbox<()> = Outbox::new(0, 0);
    g.handle(0, client(1), join(member(1, 1)), &|_| false, &ctx, &mut out);
    assert_eq!(
        out.take(),
        vec![Effect::Send {
            to: client(1),
            payload: Payload::JoinGroupResponse {
                group: Rc::from(GROUP),
                result: Err(ErrorCode::NotCoordinator)
            }
        }]
    );
    assert!(g.group(GROUP).is_none());
}

#[test]
fn unloading_a_group_answers_the_joins_it_holds_with_not_coordinator() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let leads = |_: TopicPartition| true;
    let mut g = GroupCoordinator::default();
    let mut out: Outbox<()> = Outbox::new(0, 0);
    // Two members join a new group: both joins wait out the initial rebalance delay.
    g.handle(0, client(1), join(member(1, 1)), &leads, &ctx, &mut out);
    g.handle(10, client(2), join(member(2, 1)), &leads, &ctx, &mut out);
    assert!(out.take().is_empty());

    // The broker stops leading the group's offsets partition (say a preferred-leader
    // election moved it): each waiting join is answered, and the group is gone.
    let partition = ctx.coordinator_partition(GROUP);
    let other = TopicPartition {
        partition: partition.partition + 1,
        ..partition
    };
    g.unload(other, &ctx, &mut out);
    assert!(out.take().is_empty(), "another partition's groups stay");
    g.unload(partition, &ctx, &mut out);
    let not_coordinator = Payload::JoinGroupResponse {
        group: Rc::from(GROUP),
        result: Err(ErrorCode::NotCoordinator),
    };
    assert_eq!(
        out.take(),
        vec![
            Effect::Send {
                to: client(1),
                payload: not_coordinator.clone()
            },
            Effect::Send {
                to: client(2),
                payload: not_coordinator
            },
        ]
    );
    assert!(g.group(GROUP).is_none());
    g.check(
        config.cluster.group_initial_rebalance_delay_ms,
        &ctx,
        &mut out,
    );
    assert!(
        out.take().is_empty(),
        "no rebalance completes on a group it gave up"
    );
}

#[test]
fn a_current_member_commits_while_the_group_prepares_a_rebalance_and_stale_ones_are_refused() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let leads = |_: TopicPartition| true;
    let mut g = GroupCoordinator::default();
    let mut out: Outbox<()> = Outbox::new(0, 0);
    let delay = config.cluster.group_initial_rebalance_delay_ms;
    g.handle(0, client(1), join(member(1, 1)), &leads, &ctx, &mut out);
    g.handle(10, client(2), join(member(2, 1)), &leads, &ctx, &mut out);
    g.check(delay, &ctx, &mut out);
    let _ = out.take();
    // Client 3 joins: the group prepares a rebalance, generation 1 still current.
    g.handle(
        delay + 5,
        client(3),
        join(member(3, 1)),
        &leads,
        &ctx,
        &mut out,
    );
    assert!(out.take().is_empty());
    let commit = |m: MemberId, generation| Payload::OffsetCommit {
        request_id: 7,
        group: Rc::from(GROUP),
        member: m,
        generation,
        offsets: vec![(orders(2), 4)],
    };
    let accepted = g.handle(
        delay + 6,
        client(2),
        commit(member(2, 1), 1),
        &leads,
        &ctx,
        &mut out,
    );
    assert!(out.take().is_empty(), "no refusal");
    let append = accepted.expect("accepted while PreparingRebalance");
    assert_eq!(append.offsets, vec![(orders(2), 4)]);
    assert_eq!(append.tp, ctx.coordinator_partition(GROUP));
    let refusal = |error| {
        vec![Effect::Send {
            to: client(2),
            payload: Payload::OffsetCommitResponse {
                request_id: 7,
                group: Rc::from(GROUP),
                result: Err(error),
            },
        }]
    };
    let stale = g.handle(
        delay + 7,
        client(2),
        commit(member(2, 1), 0),
        &leads,
        &ctx,
        &mut out,
    );
    assert!(stale.is_none());
    assert_eq!(out.take(), refusal(ErrorCode::IllegalGeneration));
    let unknown = g.handle(
        delay + 8,
        client(2),
        commit(member(2, 9), 1),
        &leads,
        &ctx,
        &mut out,
    );
    assert!(unknown.is_none());
    assert_eq!(out.take(), refusal(ErrorCode::UnknownMemberId));
}
