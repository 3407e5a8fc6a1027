//! The broker alone: told its partition states as the controller would, fed produce and fetch
//! requests, checked by the exact effects it returns.

use std::rc::Rc;

use super::*;
use crate::sim::config::{Acks, SimConfig};
use crate::sim::network::{FetchPosition, FetchResult, RecordData};
use crate::sim::node::{Effect, Topic};
use crate::sim::quorum::log::{Entry, EntryData};
use crate::sim::quorum::{FetchOutcome, QuorumMessage};
use crate::sim::test_support::{cluster, events, orders, sends};
use crate::sim::types::{ClientId, ControllerId, ProducerId};

struct Fixture {
    config: SimConfig,
    topics: Vec<Topic>,
}

impl Fixture {
    fn new() -> Self {
        let (config, topics) = cluster();
        Fixture { config, topics }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            config: &self.config,
            topics: &self.topics,
        }
    }

    /// Broker `id` started and told that `orders-0` has `leader` in `epoch`, replicas 1..3.
    fn broker(&self, id: u32, leader: u32, epoch: u32) -> Broker {
        let mut b = Broker::new(BrokerId(id), 1);
        let mut out = Outbox::new(0, 0);
        b.start(0, &self.ctx(), &mut out);
        self.tell(&mut b, 0, leader, epoch, &[1, 2, 3], 1);
        b
    }

    /// Delivers the metadata record at offset `version - 1`, committed, with one state of
    /// `orders-0` (as controller-1's Fetch answer).
    fn tell(
        &self,
        b: &mut Broker,
        now: SimTime,
        leader: u32,
        epoch: u32,
        isr: &[u32],
        version: u64,
    ) -> Vec<Effect<BrokerTimer>> {
        let state = PartitionState {
            tp: orders(0),
            leader: Some(BrokerId(leader)),
            leader_epoch: epoch,
            partition_epoch: epoch,
            replicas: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
            isr: isr.iter().map(|r| BrokerId(*r)).collect(),
            adding: Vec::new(),
            removing: Vec::new(),
        };
        self.tell_state(b, now, state, version)
    }

    /// Delivers the metadata record at offset `version - 1`, committed, with `state`.
    fn tell_state(
        &self,
        b: &mut Broker,
        now: SimTime,
        state: PartitionState,
        version: u64,
    ) -> Vec<Effect<BrokerTimer>> {
        let entry = Entry {
            offset: version - 1,
            epoch: 1,
            data: EntryData::Record(MetadataRecord::PartitionChange {
                state,
                reason: "test",
                unclean: false,
            }),
        };
        let update = Payload::Quorum(Box::new(QuorumMessage::FetchResponse {
            epoch: 1,
            leader: Some(1),
            high_watermark: version,
            outcome: FetchOutcome::Entries(vec![entry]),
        }));
        self.feed(b, now, NodeId::Controller(ControllerId(1)), update)
    }

    fn feed(
        &self,
        b: &mut Broker,
        now: SimTime,
        from: NodeId,
        payload: Payload,
    ) -> Vec<Effect<BrokerTimer>> {
        let mut out = Outbox::new(now, 1000);
        b.handle_message(now, from, payload, &self.ctx(), &mut out);
        out.take()
    }

    fn timer(&self, b: &mut Broker, now: SimTime, timer: BrokerTimer) -> Vec<Effect<BrokerTimer>> {
        let mut out = Outbox::new(now, 1000);
        b.handle_timer(now, timer, &self.ctx(), &mut out);
        out.take()
    }
}

fn record(value: &str) -> RecordData {
    RecordData {
        key: None,
        value: Rc::from(value),
        timestamp: 0,
    }
}

fn produce(request_id: u64, acks: Acks, sequence: u32, values: &[&str]) -> Payload {
    Payload::Produce {
        request_id,
        tp: orders(0),
        acks,
        idempotence: Some((ProducerId(7), sequence)),
        records: values.iter().map(|v| record(v)).collect(),
        timeout_ms: 30_000,
    }
}

/// A full fetch (a new session) of `orders-0` from `offset`.
fn fetch(request_id: u64, offset: Offset, last_epoch: Option<u32>, epoch: u32) -> Payload {
    Payload::ReplicaFetch {
        request_id,
        session_id: 0,
        session_epoch: 0,
        partitions: vec![(orders(0), position(offset, last_epoch, epoch))],
        forgotten: Vec::new(),
    }
}

fn position(
    fetch_offset: Offset,
    last_fetched_epoch: Option<u32>,
    leader_epoch: u32,
) -> FetchPosition {
    FetchPosition {
        fetch_offset,
        last_fetched_epoch,
        leader_epoch,
    }
}

/// A leader's answer in session `session_id` with one result per partition.
fn answer(
    request_id: u64,
    session_id: u64,
    partitions: Vec<(TopicPartition, FetchResult)>,
) -> Payload {
    Payload::ReplicaFetchResponse {
        request_id,
        session_id,
        error: None,
        partitions,
    }
}

/// The one partition result of a leader's answer in `effects`, with the answer's session.
fn only_result(effects: &[Effect<BrokerTimer>]) -> Option<(u64, TopicPartition, FetchResult)> {
    sends(effects).into_iter().find_map(|(_, p)| match p {
        Payload::ReplicaFetchResponse {
            session_id,
            mut partitions,
            ..
        } if partitions.len() == 1 => {
            let (tp, result) = partitions.remove(0);
            Some((session_id, tp, result))
        }
        _ => None,
    })
}

const CLIENT: NodeId = NodeId::Client(ClientId(9));

#[test]
fn a_retried_idempotent_batch_is_answered_with_its_first_offset_and_not_appended_again() {
    let f = Fixture::new();
    let mut b = f.broker(1, 1, 0);
    let first = f.feed(&mut b, 10, CLIENT, produce(1, Acks::Leader, 0, &["a", "b"]));
    let ok = |request_id| Payload::ProduceResponse {
        request_id,
        tp: orders(0),
        result: Ok(0),
    };
    assert_eq!(
        first,
        vec![Effect::Send {
            to: CLIENT,
            payload: ok(1)
        }]
    );
    // The answer was lost; the producer sends the same batch (same id and sequence) again.
    let retry = f.feed(&mut b, 20, CLIENT, produce(2, Acks::Leader, 0, &["a", "b"]));
    assert_eq!(
        retry,
        vec![
            Effect::Emit(EventKind::DuplicateSuppressed {
                broker: BrokerId(1),
                tp: orders(0),
                offset: 0
            }),
            Effect::Send {
                to: CLIENT,
                payload: ok(2)
            },
        ]
    );
    assert_eq!(
        b.replica(orders(0)).map(|r| r.log().log_end_offset()),
        Some(2)
    );
    // A sequence that skips ahead is refused.
    let gap = f.feed(&mut b, 30, CLIENT, produce(3, Acks::Leader, 5, &["z"]));
    assert_eq!(
        sends(&gap),
        vec![(
            CLIENT,
            Payload::ProduceResponse {
                request_id: 3,
                tp: orders(0),
                result: Err(ErrorCode::OutOfOrderSequenceNumber)
            }
        )]
    );
}

#[test]
fn acks_all_waits_for_the_isr_and_answers_once_the_high_watermark_passes() {
    let f = Fixture::new();
    let mut b = f.broker(1, 1, 0);
    let appended = f.feed(&mut b, 10, CLIENT, produce(1, Acks::All, 0, &["a"]));
    assert!(
        sends(&appended).is_empty(),
        "nothing is answered before the followers have it"
    );
    let _ = f.feed(
        &mut b,
        11,
        NodeId::Broker(BrokerId(2)),
        fetch(1, 1, Some(0), 0),
    );
    assert_eq!(
        b.replica(orders(0)).map(|r| r.log().high_watermark()),
        Some(0)
    );
    let last = f.feed(
        &mut b,
        12,
        NodeId::Broker(BrokerId(3)),
        fetch(1, 1, Some(0), 0),
    );
    assert_eq!(
        b.replica(orders(0)).map(|r| r.log().high_watermark()),
        Some(1)
    );
    assert!(sends(&last).contains(&(
        CLIENT,
        Payload::ProduceResponse {
            request_id: 1,
            tp: orders(0),
            result: Ok(0)
        }
    )));
}

#[test]
fn a_follower_that_stops_fetching_is_proposed_out_of_the_isr_and_back_in_once_caught_up() {
    let f = Fixture::new();
    let mut b = f.broker(1, 1, 0);
    let lag = f.config.cluster.replica_lag_time_max_ms;
    // Broker 3 keeps fetching; broker 2 never does.
    let _ = f.feed(
        &mut b,
        lag,
        NodeId::Broker(BrokerId(3)),
        fetch(1, 0, None, 0),
    );
    let check = f.timer(&mut b, lag + 1, BrokerTimer::IsrCheck);
    let shrink = Payload::AlterPartition {
        tp: orders(0),
        leader_epoch: 0,
        partition_epoch: 0,
        new_isr: vec![BrokerId(1), BrokerId(3)],
    };
    assert_eq!(
        check,
        vec![
            Effect::Send {
                to: NodeId::Controller(ControllerId(1)),
                payload: shrink
            },
            Effect::SetTimer {
                id: crate::sim::node::TimerId {
                    at: lag + 1 + lag / 2,
                    seq: 1001
                },
                delay: lag / 2,
                timer: BrokerTimer::IsrCheck
            },
        ]
    );
    // The controller commits the shrink; broker 2 then fetches from the log end.
    let committed = PartitionState {
        tp: orders(0),
        leader: Some(BrokerId(1)),
        leader_epoch: 0,
        partition_epoch: 1,
        replicas: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
        isr: vec![BrokerId(1), BrokerId(3)],
        adding: Vec::new(),
        removing: Vec::new(),
    };
    let answer = Payload::AlterPartitionResponse {
        tp: orders(0),
        result: Box::new(Ok(committed)),
    };
    let _ = f.feed(&mut b, lag + 2, NodeId::Controller(ControllerId(1)), answer);
    let back = f.feed(
        &mut b,
        lag + 3,
        NodeId::Broker(BrokerId(2)),
        fetch(2, 0, None, 0),
    );
    let expand = Payload::AlterPartition {
        tp: orders(0),
        leader_epoch: 0,
        partition_epoch: 1,
        new_isr: vec![BrokerId(1), BrokerId(3), BrokerId(2)],
    };
    assert_eq!(
        sends(&back).first(),
        Some(&(NodeId::Controller(ControllerId(1)), expand))
    );
}

#[test]
fn an_idle_follower_at_the_leaders_log_end_is_caught_up_however_long_ago_it_fetched() {
    let f = Fixture::new();
    let mut b = f.broker(1, 1, 0);
    let lag = f.config.cluster.replica_lag_time_max_ms;
    // Both followers fetch once at the log end (0), then stop; nothing is written.
    for follower in [2, 3] {
        let _ = f.feed(
            &mut b,
            10,
            NodeId::Broker(BrokerId(follower)),
            fetch(1, 0, None, 0),
        );
    }
    let check = f.timer(&mut b, 10 * lag, BrokerTimer::IsrCheck);
    assert!(
        sends(&check).is_empty(),
        "no ISR change on an idle partition: {check:?}"
    );
    // Once the leader's LEO moves, broker 2 (caught up long ago) is out at the next check.
    let _ = f.feed(
        &mut b,
        10 * lag + 1,
        CLIENT,
        produce(1, Acks::Leader, 0, &["x"]),
    );
    let _ = f.feed(
        &mut b,
        10 * lag + 2,
        NodeId::Broker(BrokerId(3)),
        fetch(2, 1, Some(0), 0),
    );
    let check = f.timer(&mut b, 10 * lag + 3, BrokerTimer::IsrCheck);
    let shrink = Payload::AlterPartition {
        tp: orders(0),
        leader_epoch: 0,
        partition_epoch: 0,
        new_isr: vec![BrokerId(1), BrokerId(3)],
    };
    assert_eq!(
        sends(&check),
        vec![(NodeId::Controller(ControllerId(1)), shrink)]
    );
}

#[test]
fn a_follower_truncates_to_the_leaders_end_of_its_last_epoch() {
    let f = Fixture::new();
    // Broker 2 led orders-0 in epoch 0 and took three records nobody else has.
    let mut b = f.broker(2, 2, 0);
    let _ = f.feed(
        &mut b,
        10,
        CLIENT,
        produce(1, Acks::Leader, 0, &["x", "y", "z"]),
    );
    // Broker 1 leads in epoch 1: broker 2 follows and fetches from its log end.
    let follow = f.tell(&mut b, 20, 1, 1, &[1], 2);
    let Some((
        to,
        Payload::ReplicaFetch {
            request_id,
            session_id: 0,
            partitions,
            ..
        },
    )) = sends(&follow).into_iter().next()
    else {
        panic!("the new follower opens a session: {follow:?}");
    };
    assert_eq!(to, NodeId::Broker(BrokerId(1)));
    assert_eq!(partitions, vec![(orders(0), position(3, Some(0), 1))]);
    // The leader's epoch 0 ended at offset 1.
    let diverging = FetchResult::Diverging {
        epoch: 0,
        end_offset: 1,
    };
    let diverging = answer(request_id, 77, vec![(orders(0), diverging)]);
    let cut = f.feed(&mut b, 30, NodeId::Broker(BrokerId(1)), diverging);
    assert_eq!(
        events(&cut),
        vec![EventKind::Truncated {
            broker: BrokerId(2),
            tp: orders(0),
            from: 3,
            to: 1
        }]
    );
    assert_eq!(
        b.replica(orders(0)).map(|r| r.log().log_end_offset()),
        Some(1)
    );
    // The next fetch goes on in the session and lists the partition's new position.
    let refetch = sends(&cut);
    let expected = Payload::ReplicaFetch {
        request_id: request_id + 1,
        session_id: 77,
        session_epoch: 1,
        partitions: vec![(orders(0), position(1, Some(0), 1))],
        forgotten: Vec::new(),
    };
    assert_eq!(refetch, vec![(NodeId::Broker(BrokerId(1)), expected)]);
}

#[test]
fn a_fetch_from_an_older_leader_epoch_is_fenced() {
    let f = Fixture::new();
    let mut b = f.broker(1, 1, 3);
    let stale = f.feed(&mut b, 5, NodeId::Broker(BrokerId(2)), fetch(4, 0, None, 2));
    let Some((session_id, tp, result)) = only_result(&stale) else {
        panic!("answered at once: {stale:?}");
    };
    assert_eq!(
        stale,
        vec![Effect::Send {
            to: NodeId::Broker(BrokerId(2)),
            payload: answer(4, session_id, vec![(tp, result.clone())])
        }]
    );
    assert_eq!(
        (tp, result),
        (orders(0), FetchResult::Error(ErrorCode::FencedLeaderEpoch))
    );
}

#[test]
fn a_leader_serves_a_replica_being_added_and_a_replica_reassigned_away_is_deleted() {
    let f = Fixture::new();
    let mut b = f.broker(1, 1, 0);
    let _ = f.feed(&mut b, 10, CLIENT, produce(1, Acks::Leader, 0, &["a", "b"]));
    let from4 = NodeId::Broker(BrokerId(4));
    let before = f.feed(&mut b, 20, from4, fetch(5, 0, None, 0));
    assert!(
        matches!(
            only_result(&before),
            Some((_, _, FetchResult::Error(ErrorCode::NotLeaderOrFollower)))
        ),
        "{before:?}"
    );
    // The reassignment to {4,2,3} starts: same leader epoch, broker 4 is a follower now.
    let ids = |v: &[u32]| v.iter().map(|r| BrokerId(*r)).collect::<Vec<_>>();
    let moving = PartitionState {
        tp: orders(0),
        leader: Some(BrokerId(1)),
        leader_epoch: 0,
        partition_epoch: 1,
        replicas: ids(&[4, 2, 3, 1]),
        isr: ids(&[1, 2, 3]),
        adding: ids(&[4]),
        removing: ids(&[1]),
    };
    let _ = f.tell_state(&mut b, 30, moving, 2);
    let served = f.feed(&mut b, 40, from4, fetch(6, 0, None, 0));
    let served = sends(&served);
    let records = served.iter().find_map(|(to, p)| match p {
        Payload::ReplicaFetchResponse { partitions, .. } if *to == from4 => match &partitions[..] {
            [(_, FetchResult::Records { records, .. })] => Some(records.len()),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(records, Some(2), "{served:?}");
    // Its log end is at the high watermark (0: no follower fetched yet), so it counts as in
    // sync at once, as Kafka's rule says: the leader proposes it for the ISR.
    assert!(served.iter().any(|(_, p)| matches!(p,
        Payload::AlterPartition { new_isr, .. } if new_isr.contains(&BrokerId(4)))));
    // Completed: broker 1 is no longer a replica; it deletes its log.
    let done = PartitionState {
        tp: orders(0),
        leader: Some(BrokerId(4)),
        leader_epoch: 1,
        partition_epoch: 3,
        replicas: ids(&[4, 2, 3]),
        isr: ids(&[4, 2, 3]),
        adding: Vec::new(),
        removing: Vec::new(),
    };
    let effects = f.tell_state(&mut b, 50, done, 3);
    assert!(
        events(&effects).contains(&EventKind::ReplicaDeleted {
            broker: BrokerId(1),
            tp: orders(0),
            records: 2
        }),
        "{effects:?}"
    );
    assert!(b.replica(orders(0)).is_none());
}

/// The state of `orders-p` led by `leader` in `epoch`, replicas 1..3 all in sync.
fn led(p: u32, leader: u32, epoch: u32) -> PartitionState {
    PartitionState {
        tp: orders(p),
        leader: Some(BrokerId(leader)),
        leader_epoch: epoch,
        partition_epoch: epoch,
        replicas: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
        isr: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
        adding: Vec::new(),
        removing: Vec::new(),
    }
}

/// The replica fetches among `effects`: (to, request id, session id, session epoch, listed,
/// forgotten).
#[allow(clippy::type_complexity)]
fn replica_fetches(
    effects: &[Effect<BrokerTimer>],
) -> Vec<(
    NodeId,
    u64,
    u64,
    u32,
    Vec<(TopicPartition, FetchPosition)>,
    Vec<TopicPartition>,
)> {
    sends(effects)
        .into_iter()
        .filter_map(|(to, p)| match p {
            Payload::ReplicaFetch {
                request_id,
                session_id,
                session_epoch,
                partitions,
                forgotten,
            } => Some((
                to,
                request_id,
                session_id,
                session_epoch,
                partitions,
                forgotten,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_follower_fetches_all_it_follows_on_a_leader_in_one_session_listing_only_what_changed() {
    let f = Fixture::new();
    let from1 = NodeId::Broker(BrokerId(1));
    // Broker 2 follows broker 1 on orders-0: it opens a session with a full fetch.
    let mut b = Broker::new(BrokerId(2), 1);
    b.start(0, &f.ctx(), &mut Outbox::new(0, 0));
    let first = f.tell(&mut b, 10, 1, 0, &[1, 2, 3], 1);
    let first = replica_fetches(&first);
    assert_eq!(first.len(), 1, "{first:?}");
    let (to, r1, session, epoch, listed, forgotten) = first[0].clone();
    assert_eq!((to, session, epoch), (from1, 0, 0));
    assert_eq!(listed, vec![(orders(0), position(0, None, 0))]);
    assert!(forgotten.is_empty());
    // It follows broker 1 on orders-1 too: that waits for the fetch in flight to return.
    let joined = f.tell_state(&mut b, 20, led(1, 1, 0), 2);
    assert!(replica_fetches(&joined).is_empty(), "{joined:?}");
    // The answer opens session 40; the next fetch lists orders-1 alone (orders-0 is where the
    // session has it).
    let nothing = FetchResult::Records {
        records: Vec::new(),
        high_watermark: 0,
        log_start_offset: 0,
    };
    let answered = f.feed(
        &mut b,
        30,
        from1,
        answer(r1, 40, vec![(orders(0), nothing.clone())]),
    );
    let second = replica_fetches(&answered);
    assert_eq!(
        second
            .iter()
            .map(|s| (s.2, s.3, s.4.clone(), s.5.clone()))
            .collect::<Vec<_>>(),
        vec![(40, 1, vec![(orders(1), position(0, None, 0))], vec![])]
    );
    // Records for orders-1: only orders-1 moved.
    let one = FetchResult::Records {
        records: vec![(0, 0, record("a"), None)],
        high_watermark: 0,
        log_start_offset: 0,
    };
    let r2 = second[0].1;
    let answered = f.feed(&mut b, 40, from1, answer(r2, 40, vec![(orders(1), one)]));
    let third = replica_fetches(&answered);
    assert_eq!(
        third
            .iter()
            .map(|s| (s.2, s.3, s.4.clone(), s.5.clone()))
            .collect::<Vec<_>>(),
        vec![(40, 2, vec![(orders(1), position(1, Some(0), 0))], vec![])]
    );
    // orders-0 moves to broker 3: a new fetcher opens a session there at once; broker 1's
    // session forgets orders-0 with the next fetch.
    let moved = f.tell_state(&mut b, 50, led(0, 3, 1), 3);
    let to3 = replica_fetches(&moved);
    assert_eq!(
        to3.iter()
            .map(|s| (s.0, s.2, s.4.clone()))
            .collect::<Vec<_>>(),
        vec![(
            NodeId::Broker(BrokerId(3)),
            0,
            vec![(orders(0), position(0, None, 1))]
        )]
    );
    let r3 = third[0].1;
    let answered = f.feed(&mut b, 60, from1, answer(r3, 40, Vec::new()));
    let fourth = replica_fetches(&answered);
    assert_eq!(
        fourth
            .iter()
            .map(|s| (s.0, s.2, s.3, s.4.clone(), s.5.clone()))
            .collect::<Vec<_>>(),
        vec![(from1, 40, 3, vec![], vec![orders(0)])]
    );
    // The leader lost the session (it restarted): the follower opens a new one with a full
    // fetch of what it follows there.
    let refused = Payload::ReplicaFetchResponse {
        request_id: fourth[0].1,
        session_id: 0,
        error: Some(ErrorCode::FetchSessionIdNotFound),
        partitions: Vec::new(),
    };
    let again = f.feed(&mut b, 70, from1, refused);
    assert_eq!(
        replica_fetches(&again)
            .iter()
            .map(|s| (s.2, s.3, s.4.clone()))
            .collect::<Vec<_>>(),
        vec![(0, 0, vec![(orders(1), position(1, Some(0), 0))])]
    );
}

#[test]
fn a_leader_parks_a_session_fetch_until_a_partition_has_records_and_then_says_only_what_is_new() {
    let f = Fixture::new();
    let from2 = NodeId::Broker(BrokerId(2));
    let mut b = f.broker(1, 1, 0);
    let _ = f.tell_state(&mut b, 5, led(1, 1, 0), 2);
    // Broker 2 opens a session on both partitions, both at the log end: the fetch is parked.
    let open = Payload::ReplicaFetch {
        request_id: 1,
        session_id: 0,
        session_epoch: 0,
        partitions: vec![
            (orders(0), position(0, None, 0)),
            (orders(1), position(0, None, 0)),
        ],
        forgotten: Vec::new(),
    };
    let parked = f.feed(&mut b, 10, from2, open);
    assert!(sends(&parked).is_empty(), "{parked:?}");
    // A record lands on orders-1: the parked fetch is answered with it, and with orders-0's
    // HW and log start, which the follower has not been told in this session yet.
    let produce1 = Payload::Produce {
        request_id: 7,
        tp: orders(1),
        acks: Acks::Leader,
        idempotence: None,
        records: vec![record("a")],
        timeout_ms: 30_000,
    };
    let woke = f.feed(&mut b, 20, CLIENT, produce1);
    let session = match sends(&woke).into_iter().find(|(to, _)| *to == from2) {
        Some((
            _,
            Payload::ReplicaFetchResponse {
                request_id: 1,
                session_id,
                error: None,
                partitions,
            },
        )) => {
            let tps: Vec<_> = partitions.iter().map(|(tp, _)| *tp).collect();
            assert_eq!(tps, vec![orders(0), orders(1)]);
            assert!(matches!(&partitions[1].1,
                FetchResult::Records { records, .. } if records.len() == 1));
            session_id
        }
        other => panic!("the parked fetch is answered: {other:?}"),
    };
    assert_ne!(session, 0);
    // The next fetch lists orders-1 alone; nothing is new (the HW waits for broker 3), so it
    // is parked, and at the wait's end answered with no partition at all.
    let next = Payload::ReplicaFetch {
        request_id: 2,
        session_id: session,
        session_epoch: 1,
        partitions: vec![(orders(1), position(1, Some(0), 0))],
        forgotten: Vec::new(),
    };
    let parked = f.feed(&mut b, 30, from2, next);
    let expiry = parked.iter().find_map(|e| match e {
        Effect::SetTimer {
            timer: t @ BrokerTimer::ParkedFetchExpiry { .. },
            ..
        } => Some(*t),
        _ => None,
    });
    let expired = f.timer(&mut b, 530, expiry.expect("parked"));
    assert_eq!(
        sends(&expired),
        vec![(
            from2,
            Payload::ReplicaFetchResponse {
                request_id: 2,
                session_id: session,
                error: None,
                partitions: Vec::new()
            }
        )]
    );
    // A request out of the session's order, or in a session the leader does not know, is
    // refused: the follower then opens a new one.
    for (session_id, session_epoch, error) in [
        (session, 9, ErrorCode::InvalidFetchSessionEpoch),
        (session + 100, 1, ErrorCode::FetchSessionIdNotFound),
    ] {
        let stray = Payload::ReplicaFetch {
            request_id: 3,
            session_id,
            session_epoch,
            partitions: Vec::new(),
            forgotten: Vec::new(),
        };
        let refused = f.feed(&mut b, 600, from2, stray);
        assert_eq!(
            sends(&refused),
            vec![(
                from2,
                Payload::ReplicaFetchResponse {
                    request_id: 3,
                    session_id: 0,
                    error: Some(error),
                    partitions: Vec::new()
                }
            )]
        );
    }
}

#[test]
fn a_consumer_fetch_of_several_partitions_waits_for_one_to_commit_and_gets_only_that_one() {
    let f = Fixture::new();
    let mut b = f.broker(1, 1, 0);
    let _ = f.tell_state(&mut b, 5, led(1, 1, 0), 2);
    let fetch = Payload::ConsumerFetch {
        request_id: 9,
        partitions: vec![(orders(0), 0), (orders(1), 0)],
    };
    let parked = f.feed(&mut b, 10, CLIENT, fetch);
    assert!(
        sends(&parked).is_empty(),
        "nothing committed yet: {parked:?}"
    );
    let write = Payload::Produce {
        request_id: 1,
        tp: orders(1),
        acks: Acks::Leader,
        idempotence: None,
        records: vec![record("a")],
        timeout_ms: 30_000,
    };
    let _ = f.feed(&mut b, 20, CLIENT, write);
    // Both followers have it: the HW passes offset 0 and the parked fetch is answered with
    // orders-1 alone.
    let follow = |request_id| Payload::ReplicaFetch {
        request_id,
        session_id: 0,
        session_epoch: 0,
        partitions: vec![(orders(1), position(1, Some(0), 0))],
        forgotten: Vec::new(),
    };
    let _ = f.feed(&mut b, 30, NodeId::Broker(BrokerId(2)), follow(1));
    let committed = f.feed(&mut b, 31, NodeId::Broker(BrokerId(3)), follow(1));
    let answers: Vec<_> = sends(&committed)
        .into_iter()
        .filter(|(to, _)| *to == CLIENT)
        .collect();
    let [(
        _,
        Payload::ConsumerFetchResponse {
            request_id: 9,
            partitions,
        },
    )] = &answers[..]
    else {
        panic!("the consumer's fetch is answered once: {answers:?}");
    };
    assert_eq!(partitions.len(), 1, "{partitions:?}");
    assert!(
        matches!(&partitions[0], (tp, FetchResult::Records { records, high_watermark: 1, .. })
        if *tp == orders(1) && records.len() == 1)
    );
}
