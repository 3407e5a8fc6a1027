//! The clients alone: a producer retrying a batch with the same sequence numbers, and a
//! consumer joining its group, checked by the exact messages they send.

use std::rc::Rc;

use super::*;
use crate::sim::config::{Acks, ConsumerConfig, ProducerConfig, TimingPreset};
use crate::sim::events::EventKind;
use crate::sim::network::{ErrorCode, FetchResult, PartitionState, Payload, RecordData};
use crate::sim::node::{Context, Outbox};
use crate::sim::node::{Effect, Topic};
use crate::sim::rng::SimRng;
use crate::sim::test_support::{cluster, events, orders, sends, timers};
use crate::sim::types::{
    BrokerId, ClientId, MemberId, NodeId, SimDuration, SimTime, TopicId, TopicPartition,
};

fn leaders(topics: &[Topic], leader: u32) -> Vec<PartitionState> {
    topics
        .iter()
        .flat_map(|t| {
            (0..t.config.partitions).map(move |p| PartitionState {
                tp: TopicPartition {
                    topic: t.id,
                    partition: p,
                },
                leader: Some(BrokerId(leader)),
                leader_epoch: 0,
                partition_epoch: 0,
                replicas: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
                isr: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
                adding: Vec::new(),
                removing: Vec::new(),
            })
        })
        .collect()
}

/// The first produce request among `effects`: its receiver, request id and payload.
fn produce_of(effects: &[Effect<ProducerTimer>]) -> Option<(NodeId, u64, Payload)> {
    sends(effects).into_iter().find_map(|(to, p)| match &p {
        Payload::Produce { request_id, .. } => Some((to, *request_id, p.clone())),
        _ => None,
    })
}

#[test]
fn a_producer_retries_a_failed_batch_with_the_same_producer_id_and_sequence() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut env = ClientEnv::new(SimRng::new(1));
    let mut pc = ProducerConfig::preset(TimingPreset::Kafka);
    pc.enable_idempotence = true;
    pc.acks = Acks::All;
    let mut p = Producer::new(ClientId(1), pc.clone(), &mut env);
    let mut out = Outbox::new(0, 0);
    p.start(&ctx, &mut env, &mut out);
    assert_eq!(
        sends(&out.take()),
        vec![(NodeId::Broker(BrokerId(1)), Payload::MetadataRequest)]
    );
    let md = Payload::MetadataResponse {
        partitions: leaders(&topics, 1),
    };
    p.handle_message(1, NodeId::Broker(BrokerId(1)), md, &ctx, &mut env, &mut out);
    // Fresh metadata wakes the producer at once; nothing is buffered yet.
    assert_eq!(timers(&out.take()), vec![(0, ProducerTimer::Drain)]);
    p.handle_timer(1, ProducerTimer::Drain, &ctx, &mut env, &mut out);
    assert!(out.take().is_empty());

    let send = p.send(
        2,
        TopicId(1),
        3,
        0,
        Some(Rc::from("order-7")),
        Rc::from("v"),
        None,
        &mut env,
        &mut out,
    );
    let linger = pc.linger_ms;
    assert_eq!(timers(&out.take()), vec![(linger, ProducerTimer::Drain)]);
    let drain_at: SimTime = 2 + linger;
    p.handle_timer(drain_at, ProducerTimer::Drain, &ctx, &mut env, &mut out);
    let (first_to, first_request, first) = produce_of(&out.take()).expect("the batch goes out");
    assert_eq!(first_to, NodeId::Broker(BrokerId(1)));
    let Payload::Produce {
        idempotence, tp, ..
    } = &first
    else {
        unreachable!()
    };
    let pid = p.producer_id().expect("idempotent producers have an id");
    assert_eq!(*idempotence, Some((pid, 0)));

    // The leader moved: the batch fails with a retriable error and is sent again as it was.
    let refused = Payload::ProduceResponse {
        request_id: first_request,
        tp: *tp,
        result: Err(ErrorCode::NotLeaderOrFollower),
    };
    p.handle_message(
        drain_at + 5,
        NodeId::Broker(BrokerId(1)),
        refused,
        &ctx,
        &mut env,
        &mut out,
    );
    let failed = out.take();
    assert_eq!(
        events(&failed),
        vec![EventKind::ProduceError {
            producer: ClientId(1),
            tp: *tp,
            error: ErrorCode::NotLeaderOrFollower,
            retrying: true
        }]
    );
    let (backoff, _) = *timers(&failed)
        .iter()
        .find(|(_, t)| *t == ProducerTimer::Drain)
        .expect("a drain after the backoff");
    let md = Payload::MetadataResponse {
        partitions: leaders(&topics, 2),
    };
    p.handle_message(
        drain_at + 6,
        NodeId::Broker(BrokerId(2)),
        md,
        &ctx,
        &mut env,
        &mut out,
    );
    let _ = out.take();
    p.handle_timer(
        drain_at + 5 + backoff,
        ProducerTimer::Drain,
        &ctx,
        &mut env,
        &mut out,
    );
    let (second_to, second_request, second) = produce_of(&out.take()).expect("the retry goes out");
    assert_eq!(second_to, NodeId::Broker(BrokerId(2)), "to the new leader");
    assert_ne!(second_request, first_request, "a retry is a new request");
    let (
        Payload::Produce {
            idempotence: a,
            records: ra,
            ..
        },
        Payload::Produce {
            idempotence: b,
            records: rb,
            ..
        },
    ) = (&first, &second)
    else {
        unreachable!()
    };
    assert_eq!(
        a, b,
        "same producer id and base sequence: the leader can spot a duplicate"
    );
    assert_eq!(ra, rb);
    let ack = Payload::ProduceResponse {
        request_id: second_request,
        tp: *tp,
        result: Ok(4),
    };
    p.handle_message(
        drain_at + 100,
        NodeId::Broker(BrokerId(2)),
        ack,
        &ctx,
        &mut env,
        &mut out,
    );
    assert!(events(&out.take()).contains(&EventKind::ProduceAcked {
        producer: ClientId(1),
        send,
        tp: *tp,
        offset: 4
    }));
}

#[test]
fn max_in_flight_counts_the_requests_on_a_broker_connection_not_per_partition() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut env = ClientEnv::new(SimRng::new(1));
    let mut pc = ProducerConfig::preset(TimingPreset::Kafka);
    pc.max_in_flight = 2;
    let mut p = Producer::new(ClientId(1), pc.clone(), &mut env);
    let mut out = Outbox::new(0, 0);
    p.start(&ctx, &mut env, &mut out);
    let md = Payload::MetadataResponse {
        partitions: leaders(&topics, 1),
    };
    p.handle_message(1, NodeId::Broker(BrokerId(1)), md, &ctx, &mut env, &mut out);
    let _ = out.take();
    // One record for each of the three partitions, all led by broker 1.
    let mut partitions = std::collections::BTreeSet::new();
    for i in 0.. {
        let key: Rc<str> = Rc::from(format!("k{i}"));
        let partition = crate::sim::murmur2::partition_for_key(key.as_bytes(), 3);
        if partitions.insert(partition) {
            p.send(
                2,
                TopicId(1),
                3,
                0,
                Some(key),
                Rc::from("v"),
                None,
                &mut env,
                &mut out,
            );
        }
        if partitions.len() == 3 {
            break;
        }
    }
    let _ = out.take();
    let drain_at = 2 + pc.linger_ms;
    p.handle_timer(drain_at, ProducerTimer::Drain, &ctx, &mut env, &mut out);
    let produced: Vec<(NodeId, u64, TopicPartition)> = sends(&out.take())
        .into_iter()
        .filter_map(|(to, p)| match p {
            Payload::Produce { request_id, tp, .. } => Some((to, request_id, tp)),
            _ => None,
        })
        .collect();
    assert_eq!(
        produced.len(),
        2,
        "two requests on broker 1's connection: {produced:?}"
    );
    // One is answered: the third partition's batch goes out on the freed slot.
    let (_, request_id, tp) = produced[0];
    let ack = Payload::ProduceResponse {
        request_id,
        tp,
        result: Ok(0),
    };
    p.handle_message(
        drain_at + 3,
        NodeId::Broker(BrokerId(1)),
        ack,
        &ctx,
        &mut env,
        &mut out,
    );
    // The answer itself wakes the producer, or the next drain sends the batch.
    let mut effects = out.take();
    p.handle_timer(drain_at + 3, ProducerTimer::Drain, &ctx, &mut env, &mut out);
    effects.extend(out.take());
    let third: Vec<TopicPartition> = sends(&effects)
        .into_iter()
        .filter_map(|(_, p)| match p {
            Payload::Produce { tp, .. } => Some(tp),
            _ => None,
        })
        .collect();
    assert_eq!(third.len(), 1);
    assert!(produced.iter().all(|(_, _, tp)| *tp != third[0]));
}

#[test]
fn a_consumer_joins_syncs_and_asks_for_its_committed_offsets() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut env = ClientEnv::new(SimRng::new(1));
    let cc = ConsumerConfig::preset(TimingPreset::Kafka);
    let mut k = Consumer::new(ClientId(4), "shipping", &["orders"], cc, 0);
    let mut out = Outbox::new(0, 0);
    k.start(&ctx, &mut env, &mut out);
    let md = Payload::MetadataResponse {
        partitions: leaders(&topics, 3),
    };
    k.handle_message(1, NodeId::Broker(BrokerId(1)), md, &ctx, &mut env, &mut out);
    let _ = out.take();
    let coordinator = NodeId::Broker(BrokerId(3));
    let member = MemberId {
        client: ClientId(4),
        incarnation: 1,
    };
    k.handle_timer(100, ConsumerTimer::Tick, &ctx, &mut env, &mut out);
    assert_eq!(
        sends(&out.take()),
        vec![(
            coordinator,
            Payload::JoinGroup {
                group: Rc::from("shipping"),
                member,
                topics: vec![Rc::from("orders")]
            }
        )]
    );
    assert_eq!(k.phase(), MemberPhase::Joining);
    let joined = Payload::JoinGroupResponse {
        group: Rc::from("shipping"),
        result: Ok(1),
    };
    k.handle_message(110, coordinator, joined, &ctx, &mut env, &mut out);
    assert_eq!(
        sends(&out.take()),
        vec![(
            coordinator,
            Payload::SyncGroup {
                group: Rc::from("shipping"),
                member,
                generation: 1
            }
        )]
    );
    let synced = Payload::SyncGroupResponse {
        group: Rc::from("shipping"),
        result: Ok(vec![orders(1)]),
    };
    k.handle_message(120, coordinator, synced, &ctx, &mut env, &mut out);
    let effects = out.take();
    assert_eq!(
        events(&effects),
        vec![EventKind::PartitionsAssigned {
            consumer: ClientId(4),
            partitions: vec![orders(1)]
        }]
    );
    assert_eq!(
        sends(&effects),
        vec![(
            coordinator,
            Payload::OffsetFetch {
                group: Rc::from("shipping"),
                partitions: vec![orders(1)]
            }
        )]
    );
    assert_eq!(k.assignment(), &[orders(1)]);
}

/// The delay of the request timeout a consumer sets with its JoinGroup, for a
/// max.poll.interval.ms of `max_poll_interval_ms`.
fn join_timeout(max_poll_interval_ms: SimTime) -> SimDuration {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut env = ClientEnv::new(SimRng::new(1));
    let mut cc = ConsumerConfig::preset(TimingPreset::Kafka);
    cc.max_poll_interval_ms = max_poll_interval_ms;
    let mut k = Consumer::new(ClientId(4), "shipping", &["orders"], cc, 0);
    let mut out = Outbox::new(0, 0);
    k.start(&ctx, &mut env, &mut out);
    let md = Payload::MetadataResponse {
        partitions: leaders(&topics, 3),
    };
    k.handle_message(1, NodeId::Broker(BrokerId(1)), md, &ctx, &mut env, &mut out);
    let _ = out.take();
    k.handle_timer(100, ConsumerTimer::Tick, &ctx, &mut env, &mut out);
    let timeouts: Vec<SimDuration> = out
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Effect::SetTimer {
                delay,
                timer: ConsumerTimer::RequestTimeout { .. },
                ..
            } => Some(delay),
            _ => None,
        })
        .collect();
    assert_eq!(timeouts.len(), 1, "one JoinGroup, one timeout");
    timeouts[0]
}

#[test]
fn a_join_group_waits_the_rebalance_timeout_plus_five_seconds_and_at_least_the_request_timeout() {
    // Kafka's consumer: max(request.timeout.ms, max.poll.interval.ms + 5 s).
    assert_eq!(join_timeout(300_000), 305_000);
    assert_eq!(
        join_timeout(10_000),
        30_000,
        "request.timeout.ms is the floor"
    );
}

/// The consumer fetches among `effects`: (to, request id, partitions and positions).
#[allow(clippy::type_complexity)]
fn consumer_fetches(
    effects: &[Effect<ConsumerTimer>],
) -> Vec<(NodeId, u64, Vec<(TopicPartition, u64)>)> {
    sends(effects)
        .into_iter()
        .filter_map(|(to, p)| match p {
            Payload::ConsumerFetch {
                request_id,
                partitions,
            } => Some((to, request_id, partitions)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_consumer_fetches_once_per_broker_for_every_assigned_partition_that_broker_leads() {
    let (config, topics) = cluster();
    let ctx = Context {
        config: &config,
        topics: &topics,
    };
    let mut env = ClientEnv::new(SimRng::new(1));
    let cc = ConsumerConfig::preset(TimingPreset::Kafka);
    let mut k = Consumer::new(ClientId(4), "shipping", &["orders"], cc, 0);
    let mut out = Outbox::new(0, 0);
    k.start(&ctx, &mut env, &mut out);
    // Broker 1 leads orders-0 and orders-2, broker 2 leads orders-1; broker 3 coordinates.
    let mut states = leaders(&topics, 3);
    for s in states.iter_mut().filter(|s| s.tp.topic == orders(0).topic) {
        s.leader = Some(BrokerId(if s.tp.partition == 1 { 2 } else { 1 }));
    }
    let md = Payload::MetadataResponse { partitions: states };
    k.handle_message(1, NodeId::Broker(BrokerId(1)), md, &ctx, &mut env, &mut out);
    k.handle_timer(100, ConsumerTimer::Tick, &ctx, &mut env, &mut out);
    let coordinator = NodeId::Broker(BrokerId(3));
    let group = || Rc::from("shipping");
    let joined = Payload::JoinGroupResponse {
        group: group(),
        result: Ok(1),
    };
    k.handle_message(110, coordinator, joined, &ctx, &mut env, &mut out);
    let all = vec![orders(0), orders(1), orders(2)];
    let synced = Payload::SyncGroupResponse {
        group: group(),
        result: Ok(all.clone()),
    };
    k.handle_message(120, coordinator, synced, &ctx, &mut env, &mut out);
    let committed = Payload::OffsetFetchResponse {
        group: group(),
        result: Ok(vec![
            (orders(0), Some(5)),
            (orders(1), Some(6)),
            (orders(2), Some(7)),
        ]),
    };
    k.handle_message(130, coordinator, committed, &ctx, &mut env, &mut out);
    let _ = out.take();
    k.handle_timer(200, ConsumerTimer::Tick, &ctx, &mut env, &mut out);
    let (b1, b2) = (NodeId::Broker(BrokerId(1)), NodeId::Broker(BrokerId(2)));
    let first = consumer_fetches(&out.take());
    let shape: Vec<_> = first.iter().map(|(to, _, p)| (*to, p.clone())).collect();
    assert_eq!(
        shape,
        vec![
            (b1, vec![(orders(0), 5), (orders(2), 7)]),
            (b2, vec![(orders(1), 6)]),
        ]
    );
    // While both are in flight, a tick sends nothing more.
    k.handle_timer(300, ConsumerTimer::Tick, &ctx, &mut env, &mut out);
    assert!(consumer_fetches(&out.take()).is_empty());
    // Broker 1 answers with records for orders-2 alone: they are delivered, and the next fetch
    // to broker 1 goes at once for both its partitions (orders-0 had nothing new); broker 2's
    // fetch is still in flight.
    let records = FetchResult::Records {
        records: vec![(
            7,
            0,
            RecordData {
                key: Some(Rc::from("k")),
                value: Rc::from("v"),
                timestamp: 0,
            },
            None,
        )],
        high_watermark: 8,
        log_start_offset: 0,
    };
    let answer = Payload::ConsumerFetchResponse {
        request_id: first[0].1,
        partitions: vec![(orders(2), records)],
    };
    k.handle_message(310, b1, answer, &ctx, &mut env, &mut out);
    let effects = out.take();
    let delivered: Vec<_> = events(&effects)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::RecordsDelivered { records, .. } => {
                Some(records.iter().map(|r| (r.tp, r.offset)).collect::<Vec<_>>())
            }
            _ => None,
        })
        .collect();
    assert_eq!(delivered, vec![vec![(orders(2), 7)]]);
    let next: Vec<_> = consumer_fetches(&effects)
        .into_iter()
        .map(|(to, _, p)| (to, p))
        .collect();
    assert_eq!(next, vec![(b1, vec![(orders(0), 5), (orders(2), 8)])]);
}
