//! Producer and consumer clients: metadata, the partitioner, batching, acks, retries, timeouts
//! and idempotence on the producer side; group membership, fetching and commits on the consumer.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use super::config::{Acks, ConsumerConfig, ProducerConfig};
use super::engine::{AckedAt, ClientTimer, Simulation, Timer, TimerKey};
use super::events::{ConsumedRecord, EventKind};
use super::murmur2::partition_for_key;
use super::network::{ErrorCode, FetchResult, PartitionState, Payload, RecordData};
use super::seqmap::SeqMap;
use super::tpmap::TpMap;
use super::types::{
    BrokerId, ClientId, MemberId, NodeId, Offset, ProducerId, SendId, SimTime, TopicId,
    TopicPartition,
};

/// Records a consumer may have delivered but not yet acknowledged per partition
/// (stands in for `max.poll.records`).
const CONSUMER_BACKLOG_MAX: u64 = 500;

/// How often a consumer re-examines its state (join, positions, fetches).
const CONSUMER_TICK_MS: SimTime = 100;

/// A producer batch: records for one partition sent in one request.
#[derive(Clone, Debug)]
pub(crate) struct Batch {
    pub tp: TopicPartition,
    pub sends: Vec<(SendId, RecordData)>,
    /// Base sequence, assigned when first sent (idempotent producers).
    pub sequence: Option<u32>,
    /// The producer id the sequence belongs to.
    pub producer_id: Option<ProducerId>,
    pub created_at: SimTime,
    pub ready_at: SimTime,
    pub attempts: u32,
    pub acks: Acks,
}

#[derive(Clone, Debug)]
pub(crate) struct InFlight {
    pub batch: Batch,
    /// The request timeout timer.
    pub timeout: TimerKey,
    /// The broker the request went to.
    pub broker: BrokerId,
}

/// Client-side metadata shared by producers and consumers.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientMetadata {
    pub partitions: TpMap<PartitionState>,
    pub request_in_flight: Option<u64>,
    pub next_broker: u32,
}

/// A producer client.
#[derive(Clone, Debug)]
pub(crate) struct Producer {
    pub online: bool,
    pub incarnation: u32,
    pub config: ProducerConfig,
    pub producer_id: Option<ProducerId>,
    pub metadata: ClientMetadata,
    pub next_sequence: TpMap<u32>,
    pub queues: TpMap<VecDeque<Batch>>,
    pub in_flight: SeqMap<InFlight>,
    pub sticky: BTreeMap<TopicId, u32>,
    pub next_request: u64,
    pub drain_at: Option<SimTime>,
}

/// Where a consumer stands on one assigned partition.
#[derive(Clone, Debug, Default)]
pub(crate) struct Position {
    /// Next offset to fetch (none until known).
    pub offset: Option<Offset>,
    /// Waiting for the committed offset.
    pub fetching_committed: bool,
    /// Needs auto.offset.reset.
    pub needs_reset: bool,
    /// A reset request is in flight.
    pub resetting: bool,
    /// Fetch request in flight.
    pub fetch_in_flight: Option<u64>,
    /// What the application acknowledged (for backpressure).
    pub acknowledged: Offset,
}

/// Group membership phase of a consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemberPhase {
    Unjoined,
    Joining,
    Syncing,
    Stable,
}

/// A request a consumer waits on, for its timeout.
#[derive(Clone, Debug)]
pub(crate) enum ConsumerRequest {
    Join,
    Sync,
    Fetch(TopicPartition),
    OffsetFetch,
    Commit,
    ListOffsets(TopicPartition),
}

/// A consumer client (one member of a group).
#[derive(Clone, Debug)]
pub(crate) struct Consumer {
    pub online: bool,
    pub closed: bool,
    pub incarnation: u32,
    pub group: Rc<str>,
    pub topics: Vec<Rc<str>>,
    pub config: ConsumerConfig,
    pub phase: MemberPhase,
    pub generation: u32,
    pub metadata: ClientMetadata,
    pub assignment: Vec<TopicPartition>,
    pub positions: TpMap<Position>,
    /// Timeouts of pending requests.
    pub request_timeouts: SeqMap<TimerKey>,
    /// Pending requests and the broker each went to.
    pub requests: SeqMap<(ConsumerRequest, BrokerId)>,
    pub next_request: u64,
    pub heartbeat_in_flight: bool,
    pub last_heartbeat_ok: SimTime,
}

impl Simulation {
    // ----- creation and lifecycle -----

    /// Starts a producer client with `config`.
    pub fn create_producer(&mut self, config: ProducerConfig) -> ClientId {
        let id = self.allocate_client();
        let producer_id = config
            .enable_idempotence
            .then(|| self.allocate_producer_id());
        self.producers.insert(
            id,
            Producer {
                online: true,
                incarnation: 1,
                config,
                producer_id,
                metadata: ClientMetadata::default(),
                next_sequence: TpMap::new(),
                queues: TpMap::new(),
                in_flight: SeqMap::new(),
                sticky: BTreeMap::new(),
                next_request: 1,
                drain_at: None,
            },
        );
        self.client_request_metadata(id);
        id
    }

    /// Starts a consumer in `group` subscribed to `topics`.
    pub fn create_consumer(
        &mut self,
        group: &str,
        topics: &[&str],
        config: ConsumerConfig,
    ) -> ClientId {
        let id = self.allocate_client();
        self.consumers.insert(
            id,
            Consumer {
                online: true,
                closed: false,
                incarnation: 1,
                group: Rc::from(group),
                topics: topics.iter().map(|t| Rc::from(*t)).collect(),
                config,
                phase: MemberPhase::Unjoined,
                generation: 0,
                metadata: ClientMetadata::default(),
                assignment: Vec::new(),
                positions: TpMap::new(),
                requests: SeqMap::new(),
                request_timeouts: SeqMap::new(),
                next_request: 1,
                heartbeat_in_flight: false,
                last_heartbeat_ok: self.now,
            },
        );
        self.consumer_arm(id);
        self.client_request_metadata(id);
        id
    }

    fn consumer_arm(&mut self, c: ClientId) {
        let consumer = &self.consumers[&c];
        let inc = consumer.incarnation;
        let auto = consumer
            .config
            .enable_auto_commit
            .then_some(consumer.config.auto_commit_interval_ms);
        let heartbeat = consumer.config.heartbeat_interval_ms;
        self.set_timer(
            CONSUMER_TICK_MS,
            Timer::Client(c, inc, ClientTimer::ConsumerTick),
        );
        self.set_timer(
            heartbeat,
            Timer::Client(c, inc, ClientTimer::ConsumerHeartbeat),
        );
        if let Some(interval) = auto {
            self.set_timer(interval, Timer::Client(c, inc, ClientTimer::AutoCommit));
        }
    }

    pub(crate) fn client_crash(&mut self, c: ClientId) {
        if let Some(p) = self.producers.get_mut(&c) {
            if !p.online {
                return;
            }
            p.online = false;
            // Buffered and in-flight sends die with the process.
            let lost: Vec<(SendId, TopicPartition)> = p
                .queues
                .values()
                .flatten()
                .chain(p.in_flight.values().map(|f| &f.batch))
                .flat_map(|b| b.sends.iter().map(move |(s, _)| (*s, b.tp)))
                .collect();
            p.queues.clear();
            p.in_flight.clear();
            for (send, tp) in lost {
                self.counters.failed += 1;
                self.emit(EventKind::ProduceFailed {
                    producer: c,
                    send,
                    tp,
                    error: ErrorCode::RequestTimedOut,
                });
            }
        } else if let Some(k) = self.consumers.get_mut(&c) {
            if !k.online {
                return;
            }
            k.online = false;
        } else {
            return;
        }
        self.emit(EventKind::NodeCrashed {
            node: NodeId::Client(c),
        });
    }

    pub(crate) fn client_restart(&mut self, c: ClientId) {
        if let Some(p) = self.producers.get_mut(&c) {
            if p.online {
                return;
            }
            p.online = true;
            p.incarnation += 1;
            p.metadata = ClientMetadata::default();
            p.next_sequence.clear();
            p.drain_at = None;
            if p.config.enable_idempotence {
                p.producer_id = None;
                let pid = self.allocate_producer_id();
                self.producers.get_mut(&c).expect("producer").producer_id = Some(pid);
            }
            self.client_request_metadata(c);
        } else if let Some(k) = self.consumers.get_mut(&c) {
            if k.online || k.closed {
                return;
            }
            k.online = true;
            k.incarnation += 1;
            k.phase = MemberPhase::Unjoined;
            k.generation = 0;
            k.metadata = ClientMetadata::default();
            k.assignment.clear();
            k.positions.clear();
            k.requests.clear();
            k.request_timeouts.clear();
            k.heartbeat_in_flight = false;
            k.last_heartbeat_ok = self.now;
            self.consumer_arm(c);
            self.client_request_metadata(c);
        } else {
            return;
        }
        self.emit(EventKind::NodeRestarted {
            node: NodeId::Client(c),
        });
    }

    /// Closes a consumer for good: it leaves its group (triggering a rebalance).
    pub fn close_consumer(&mut self, c: ClientId) {
        let Some(k) = self.consumers.get_mut(&c) else {
            return;
        };
        let was_online = k.online;
        k.online = false;
        k.closed = true;
        if was_online {
            if let Some(coord) = self.consumer_coordinator(c) {
                let group = self.consumers[&c].group.clone();
                let member = MemberId {
                    client: c,
                    incarnation: self.consumers[&c].incarnation,
                };
                // Sent on the way out: the process is gone, the message still travels.
                self.transmit(
                    NodeId::Client(c),
                    NodeId::Broker(coord),
                    Payload::LeaveGroup { group, member },
                );
            }
        }
        self.consumers.remove(&c);
    }

    // ----- metadata -----

    fn client_metadata(&mut self, c: ClientId) -> Option<&mut ClientMetadata> {
        if let Some(p) = self.producers.get_mut(&c) {
            return Some(&mut p.metadata);
        }
        self.consumers.get_mut(&c).map(|k| &mut k.metadata)
    }

    fn client_request_timeout(&self, c: ClientId) -> SimTime {
        self.producers
            .get(&c)
            .map(|p| p.config.request_timeout_ms)
            .or_else(|| self.consumers.get(&c).map(|k| k.config.request_timeout_ms))
            .unwrap_or(30_000)
    }

    pub(crate) fn client_request_metadata(&mut self, c: ClientId) {
        let brokers = self.config.cluster.brokers;
        let hi = self.config.cluster.network_latency_ms.1;
        let timeout = self.client_request_timeout(c).min(1000 + 4 * hi);
        let Some(inc) = self.client_incarnation(c) else {
            return;
        };
        let request = self.next_seq_for_client();
        let Some(md) = self.client_metadata(c) else {
            return;
        };
        if md.request_in_flight.is_some() {
            return;
        }
        md.request_in_flight = Some(request);
        let broker = BrokerId(md.next_broker % brokers + 1);
        md.next_broker = md.next_broker.wrapping_add(1);
        self.transmit(
            NodeId::Client(c),
            NodeId::Broker(broker),
            Payload::MetadataRequest,
        );
        self.set_timer(
            timeout,
            Timer::Client(c, inc, ClientTimer::MetadataTimeout(request)),
        );
    }

    fn next_seq_for_client(&mut self) -> u64 {
        self.next_send += 1;
        self.next_send
    }

    fn client_metadata_response(&mut self, c: ClientId, partitions: Vec<PartitionState>) {
        let empty = partitions.is_empty();
        let Some(md) = self.client_metadata(c) else {
            return;
        };
        md.request_in_flight = None;
        for p in partitions {
            let newer = md.partitions.get(&p.tp).is_none_or(|old| {
                (p.leader_epoch, p.partition_epoch) >= (old.leader_epoch, old.partition_epoch)
            });
            if newer {
                md.partitions.insert(p.tp, p);
            }
        }
        if empty {
            self.client_request_metadata(c);
        } else if self.producers.contains_key(&c) {
            self.producer_schedule_drain(c, self.now);
        }
    }

    /// A request to a crashed broker fails at once (connection refused); one into a cut link
    /// waits for its timeout.
    pub(crate) fn client_disconnected(&mut self, c: ClientId, payload: Payload) {
        match payload {
            Payload::MetadataRequest => {
                if let Some(md) = self.client_metadata(c) {
                    md.request_in_flight = None;
                }
                self.client_request_metadata(c);
            }
            Payload::Produce { request_id, .. } => {
                self.producer_request_failed(c, request_id, ErrorCode::NetworkException);
            }
            _ => {
                if let Some(k) = self.consumers.get_mut(&c) {
                    // Forget the request; the tick or heartbeat re-sends what is needed.
                    let ids: Vec<u64> = k.requests.keys().copied().collect();
                    for id in ids {
                        self.consumer_request_timed_out(c, id);
                    }
                    if let Some(k) = self.consumers.get_mut(&c) {
                        k.heartbeat_in_flight = false;
                    }
                    self.client_request_metadata(c);
                }
            }
        }
    }

    /// A broker process died: clients with requests on its connections see them fail at once
    /// (the TCP connection closes), as Kafka's network client does.
    pub(crate) fn clients_lose_connection(&mut self, b: BrokerId) {
        let producers: Vec<(ClientId, Vec<u64>)> = self
            .producers
            .iter()
            .filter(|(_, p)| p.online)
            .map(|(c, p)| {
                (
                    *c,
                    p.in_flight
                        .iter()
                        .filter(|(_, f)| f.broker == b)
                        .map(|(id, _)| *id)
                        .collect(),
                )
            })
            .collect();
        for (c, ids) in producers {
            for id in ids {
                self.producer_request_failed(c, id, ErrorCode::NetworkException);
            }
        }
        let consumers: Vec<(ClientId, Vec<u64>)> = self
            .consumers
            .iter()
            .filter(|(_, k)| k.online)
            .map(|(c, k)| {
                (
                    *c,
                    k.requests
                        .iter()
                        .filter(|(_, (_, to))| *to == b)
                        .map(|(id, _)| *id)
                        .collect(),
                )
            })
            .collect();
        for (c, ids) in consumers {
            for id in ids {
                self.consumer_request_timed_out(c, id);
            }
        }
    }

    // ----- dispatch -----

    pub(crate) fn client_handle(&mut self, c: ClientId, _from: NodeId, payload: Payload) {
        match payload {
            Payload::MetadataResponse { partitions } => {
                self.client_metadata_response(c, partitions)
            }
            Payload::ProduceResponse {
                request_id,
                tp: _,
                result,
            } => self.producer_response(c, request_id, result),
            other => self.consumer_handle(c, other),
        }
    }

    pub(crate) fn client_timer(&mut self, c: ClientId, timer: ClientTimer) {
        match timer {
            ClientTimer::ProducerDrain => {
                if let Some(p) = self.producers.get_mut(&c) {
                    p.drain_at = None;
                }
                self.producer_drain(c);
            }
            ClientTimer::ProducerRequestTimeout(request) => {
                self.producer_request_failed(c, request, ErrorCode::RequestTimedOut);
            }
            ClientTimer::MetadataTimeout(request) => {
                let timed_out = self
                    .client_metadata(c)
                    .is_some_and(|md| md.request_in_flight == Some(request));
                if timed_out {
                    if let Some(md) = self.client_metadata(c) {
                        md.request_in_flight = None;
                    }
                    self.client_request_metadata(c);
                }
            }
            ClientTimer::ConsumerTick => self.consumer_tick(c),
            ClientTimer::ConsumerHeartbeat => self.consumer_heartbeat(c),
            ClientTimer::ConsumerRequestTimeout(request) => {
                self.consumer_request_timed_out(c, request)
            }
            ClientTimer::AutoCommit => self.consumer_auto_commit(c),
        }
    }

    // ----- producer -----

    /// Hands one record to a producer; returns its id. The outcome arrives as an event:
    /// `ProduceAcked`, `ProduceSentUnacknowledged` or `ProduceFailed`.
    pub fn send(
        &mut self,
        producer: ClientId,
        topic: TopicId,
        key: Option<&str>,
        value: &str,
    ) -> Result<SendId, String> {
        self.send_with_acks(producer, topic, key, value, None)
    }

    /// Like [`Simulation::send`], with an `acks` override for this record.
    pub fn send_with_acks(
        &mut self,
        producer: ClientId,
        topic: TopicId,
        key: Option<&str>,
        value: &str,
        acks: Option<Acks>,
    ) -> Result<SendId, String> {
        let partitions = self
            .topics
            .get(topic.0 as usize)
            .map(|t| t.config.partitions)
            .ok_or_else(|| format!("there is no topic {}", topic.0))?;
        let now = self.now;
        let random = self.client_rng.below(partitions as u64) as u32;
        let p = self
            .producers
            .get_mut(&producer)
            .ok_or_else(|| format!("there is no producer {}", producer.0))?;
        if !p.online {
            return Err(format!("producer {} is down", producer.0));
        }
        let partition = match key {
            Some(k) => partition_for_key(k.as_bytes(), partitions),
            None => *p.sticky.entry(topic).or_insert(random),
        };
        let tp = TopicPartition { topic, partition };
        let acks = acks.unwrap_or(p.config.acks);
        self.next_send += 1;
        let send = SendId(self.next_send);
        let data = RecordData {
            key: key.map(Rc::from),
            value: Rc::from(value),
            timestamp: now,
        };
        let p = self.producers.get_mut(&producer).expect("checked above");
        let queue = p.queues.get_or_insert_with(tp, VecDeque::new);
        let max = p.config.max_batch_records;
        let linger = p.config.linger_ms;
        match queue.back_mut() {
            Some(b)
                if b.sequence.is_none()
                    && b.attempts == 0
                    && b.sends.len() < max
                    && b.acks == acks =>
            {
                b.sends.push((send, data));
            }
            _ => queue.push_back(Batch {
                tp,
                sends: vec![(send, data)],
                sequence: None,
                producer_id: None,
                created_at: now,
                ready_at: now + linger,
                attempts: 0,
                acks,
            }),
        }
        self.counters.sends += 1;
        self.producer_schedule_drain(producer, now + linger);
        Ok(send)
    }

    fn producer_schedule_drain(&mut self, c: ClientId, at: SimTime) {
        let Some(p) = self.producers.get_mut(&c) else {
            return;
        };
        if !p.online || p.drain_at.is_some_and(|t| t <= at) {
            return;
        }
        p.drain_at = Some(at);
        let inc = p.incarnation;
        let delay = at.saturating_sub(self.now);
        self.set_timer(delay, Timer::Client(c, inc, ClientTimer::ProducerDrain));
    }

    fn producer_drain(&mut self, c: ClientId) {
        let now = self.now;
        let Some(p) = self.producers.get(&c) else {
            return;
        };
        if !p.online {
            return;
        }
        let mut next_wake: Option<SimTime> = None;
        let mut need_metadata = false;
        // Each partition with batches once, in order (draining one never fills another).
        let mut last: Option<TopicPartition> = None;
        while let Some(tp) = {
            let queues = &self.producers[&c].queues;
            let next = queues
                .iter()
                .find(|(tp, q)| !q.is_empty() && last.is_none_or(|l| **tp > l));
            next.map(|(tp, _)| *tp)
        } {
            last = Some(tp);
            loop {
                let p = self.producers.get_mut(&c).expect("producer");
                let delivery_timeout = p.config.delivery_timeout_ms;
                let Some(front) = p.queues.get(&tp).and_then(|q| q.front()) else {
                    break;
                };
                if now >= front.created_at + delivery_timeout {
                    let batch = p
                        .queues
                        .get_mut(&tp)
                        .and_then(|q| q.pop_front())
                        .expect("front");
                    self.producer_fail_batch(c, batch, ErrorCode::DeliveryTimeout);
                    continue;
                }
                if front.ready_at > now {
                    next_wake = Some(next_wake.map_or(front.ready_at, |w| w.min(front.ready_at)));
                    break;
                }
                let leader = p.metadata.partitions.get(&tp).and_then(|s| s.leader);
                let Some(leader) = leader else {
                    need_metadata = true;
                    break;
                };
                let in_flight = p.in_flight.values().filter(|f| f.batch.tp == tp).count() as u32;
                if in_flight >= p.config.max_in_flight {
                    break;
                }
                let mut batch = p
                    .queues
                    .get_mut(&tp)
                    .and_then(|q| q.pop_front())
                    .expect("front");
                if let (Some(pid), None) = (p.producer_id, batch.sequence) {
                    let seq = p.next_sequence.get_or_insert_with(tp, || 0);
                    batch.sequence = Some(*seq);
                    batch.producer_id = Some(pid);
                    *seq += batch.sends.len() as u32;
                    let _ = pid;
                }
                if batch.attempts == 0 {
                    // The sticky partition moves on once its batch is sealed.
                    let parts = self.topics[tp.topic.0 as usize].config.partitions;
                    let p = self.producers.get_mut(&c).expect("producer");
                    if p.sticky.get(&tp.topic) == Some(&tp.partition) && parts > 1 {
                        let r = self.client_rng.below(parts as u64 - 1) as u32;
                        let p = self.producers.get_mut(&c).expect("producer");
                        p.sticky.insert(tp.topic, (tp.partition + 1 + r) % parts);
                    }
                }
                self.producer_send_batch(c, leader, batch);
            }
        }
        if need_metadata {
            self.client_request_metadata(c);
            let backoff = self.producers[&c].config.retry_backoff_ms;
            next_wake = Some(next_wake.map_or(now + backoff, |w| w.min(now + backoff)));
        }
        if let Some(at) = next_wake {
            self.producer_schedule_drain(c, at);
        }
    }

    fn producer_send_batch(&mut self, c: ClientId, leader: BrokerId, batch: Batch) {
        let p = self.producers.get_mut(&c).expect("producer");
        let request_id = p.next_request;
        p.next_request += 1;
        let inc = p.incarnation;
        let timeout = p.config.request_timeout_ms;
        let idempotence = batch.producer_id.zip(batch.sequence);
        let payload = Payload::Produce {
            request_id,
            tp: batch.tp,
            acks: batch.acks,
            idempotence,
            records: batch.sends.iter().map(|(_, d)| d.clone()).collect(),
            timeout_ms: timeout,
        };
        self.transmit(NodeId::Client(c), NodeId::Broker(leader), payload);
        if batch.acks == Acks::None {
            for (send, _) in &batch.sends {
                self.counters.sent_unacknowledged += 1;
                self.emit(EventKind::ProduceSentUnacknowledged {
                    producer: c,
                    send: *send,
                    tp: batch.tp,
                });
            }
            return;
        }
        let timeout = self.set_timer(
            timeout,
            Timer::Client(c, inc, ClientTimer::ProducerRequestTimeout(request_id)),
        );
        let p = self.producers.get_mut(&c).expect("producer");
        p.in_flight.insert(
            request_id,
            InFlight {
                batch,
                timeout,
                broker: leader,
            },
        );
    }

    fn producer_response(
        &mut self,
        c: ClientId,
        request_id: u64,
        result: Result<Offset, ErrorCode>,
    ) {
        let Some(p) = self.producers.get_mut(&c) else {
            return;
        };
        let Some(f) = p.in_flight.remove(&request_id) else {
            return; // late: already timed out
        };
        self.cancel_timer(f.timeout);
        match result {
            Ok(base) => {
                let tp = f.batch.tp;
                if self.counters.acked % 1024 == 0 {
                    self.prune_acked();
                }
                for (i, (send, data)) in f.batch.sends.into_iter().enumerate() {
                    let offset = base + i as u64;
                    self.counters.acked += 1;
                    let acked = self.acked_records.get_or_insert_with(tp, SeqMap::new);
                    let entry = (data.key, data.value);
                    match acked.get_mut(&offset) {
                        Some(at) => {
                            if !at.iter().any(|kv| *kv == entry) {
                                at.more.push(entry);
                            }
                        }
                        None => {
                            acked.insert(
                                offset,
                                AckedAt {
                                    first: entry,
                                    more: Vec::new(),
                                },
                            );
                        }
                    }
                    self.emit(EventKind::ProduceAcked {
                        producer: c,
                        send,
                        tp,
                        offset,
                    });
                }
                self.producer_drain(c);
            }
            Err(e) => self.producer_batch_failed(c, f.batch, e),
        }
    }

    /// A produce request failed without an answer (timeout, broken connection).
    fn producer_request_failed(&mut self, c: ClientId, request: u64, error: ErrorCode) {
        let in_flight = self
            .producers
            .get_mut(&c)
            .and_then(|p| p.in_flight.remove(&request));
        if let Some(f) = in_flight {
            self.cancel_timer(f.timeout);
            self.producer_batch_failed(c, f.batch, error);
        }
    }

    /// Decides between retrying a failed batch and failing its sends.
    fn producer_batch_failed(&mut self, c: ClientId, mut batch: Batch, error: ErrorCode) {
        let now = self.now;
        *self
            .counters
            .produce_errors
            .entry(error.name().to_string())
            .or_default() += 1;
        let p = self.producers.get_mut(&c).expect("producer");
        // An out-of-order error behind an unresolved earlier batch is the earlier batch's fault.
        let earlier_pending = batch.sequence.is_some_and(|seq| {
            p.in_flight
                .values()
                .map(|f| &f.batch)
                .chain(p.queues.get(&batch.tp).into_iter().flatten())
                .any(|b| b.tp == batch.tp && b.sequence.is_some_and(|s| s < seq))
        });
        let retriable = error.is_retriable()
            || (error == ErrorCode::OutOfOrderSequenceNumber && earlier_pending);
        let in_time = now < batch.created_at + p.config.delivery_timeout_ms;
        let retry = retriable && batch.attempts < p.config.retries && in_time;
        // KIP-580: exponential backoff with 20% jitter, capped at retry.backoff.max.ms.
        let base = p
            .config
            .retry_backoff_ms
            .saturating_mul(1 << batch.attempts.min(16));
        let capped = base.min(p.config.retry_backoff_max_ms.max(p.config.retry_backoff_ms)) as f64;
        let jitter = 0.8 + 0.4 * (self.client_rng.below(1001) as f64 / 1000.0);
        let backoff = (capped * jitter).round() as SimTime;
        self.emit(EventKind::ProduceError {
            producer: c,
            tp: batch.tp,
            error,
            retrying: retry,
        });
        if !retry {
            let final_error = if retriable && !in_time {
                ErrorCode::DeliveryTimeout
            } else {
                error
            };
            self.producer_fail_batch(c, batch, final_error);
            self.producer_schedule_drain(c, now);
            return;
        }
        batch.attempts += 1;
        batch.ready_at = now + backoff;
        let p = self.producers.get_mut(&c).expect("producer");
        let tp = batch.tp;
        let queue = p.queues.get_or_insert_with(tp, VecDeque::new);
        // Retries go back in sequence order, ahead of batches never sent.
        let pos = queue
            .iter()
            .position(|b| b.sequence.is_none() || b.sequence > batch.sequence)
            .unwrap_or(queue.len());
        queue.insert(pos, batch);
        if matches!(
            error,
            ErrorCode::NotLeaderOrFollower
                | ErrorCode::FencedLeaderEpoch
                | ErrorCode::RequestTimedOut
                | ErrorCode::NetworkException
        ) {
            self.client_request_metadata(c);
        }
        self.producer_schedule_drain(c, now + backoff);
    }

    fn producer_fail_batch(&mut self, c: ClientId, batch: Batch, error: ErrorCode) {
        let current = self.producers.get(&c).and_then(|p| p.producer_id);
        if batch.producer_id.is_some() && batch.producer_id == current {
            // A sequenced batch gave up: its sequence may be a gap the broker would refuse.
            // Like KIP-360's epoch bump, the producer starts a fresh sequence space.
            let pid = self.allocate_producer_id();
            let p = self.producers.get_mut(&c).expect("producer");
            p.producer_id = Some(pid);
            p.next_sequence.clear();
            // Batches already sent keep their id and sequence: sending one again under the new
            // id could write it twice. Only batches never sent take the new id.
        }
        for (send, _) in batch.sends {
            self.counters.failed += 1;
            self.emit(EventKind::ProduceFailed {
                producer: c,
                send,
                tp: batch.tp,
                error,
            });
        }
    }

    // ----- consumer -----

    fn consumer_coordinator(&self, c: ClientId) -> Option<BrokerId> {
        let k = self.consumers.get(&c)?;
        let tp = self.coordinator_partition(&k.group);
        k.metadata.partitions.get(&tp).and_then(|s| s.leader)
    }

    fn consumer_request(
        &mut self,
        c: ClientId,
        to: BrokerId,
        kind: ConsumerRequest,
        make: impl FnOnce(u64) -> Payload,
        timeout: SimTime,
    ) -> u64 {
        let k = self.consumers.get_mut(&c).expect("consumer");
        let id = k.next_request;
        k.next_request += 1;
        k.requests.insert(id, (kind, to));
        let inc = k.incarnation;
        let payload = make(id);
        self.transmit(NodeId::Client(c), NodeId::Broker(to), payload);
        let key = self.set_timer(
            timeout,
            Timer::Client(c, inc, ClientTimer::ConsumerRequestTimeout(id)),
        );
        self.consumers
            .get_mut(&c)
            .expect("consumer")
            .request_timeouts
            .insert(id, key);
        id
    }

    /// A consumer request was answered: its timeout is not needed any more.
    fn consumer_request_answered(&mut self, c: ClientId, request: u64) {
        let key = self
            .consumers
            .get_mut(&c)
            .and_then(|k| k.request_timeouts.remove(&request));
        if let Some(key) = key {
            self.cancel_timer(key);
        }
    }

    fn consumer_pending(&self, c: ClientId, pred: impl Fn(&ConsumerRequest) -> bool) -> bool {
        self.consumers[&c].requests.values().any(|(r, _)| pred(r))
    }

    fn consumer_tick(&mut self, c: ClientId) {
        let Some(k) = self.consumers.get(&c) else {
            return;
        };
        let inc = k.incarnation;
        let timeout = k.config.request_timeout_ms;
        let rebalance_timeout = k.config.max_poll_interval_ms;
        self.set_timer(
            CONSUMER_TICK_MS,
            Timer::Client(c, inc, ClientTimer::ConsumerTick),
        );
        let Some(coord) = self.consumer_coordinator(c) else {
            self.client_request_metadata(c);
            return;
        };
        let k = &self.consumers[&c];
        match k.phase {
            MemberPhase::Unjoined => {
                let group = k.group.clone();
                let member = MemberId {
                    client: c,
                    incarnation: k.incarnation,
                };
                let topics = k.topics.clone();
                self.consumers.get_mut(&c).expect("consumer").phase = MemberPhase::Joining;
                self.consumer_request(
                    c,
                    coord,
                    ConsumerRequest::Join,
                    |_| Payload::JoinGroup {
                        group,
                        member,
                        topics,
                    },
                    rebalance_timeout + timeout,
                );
            }
            MemberPhase::Joining | MemberPhase::Syncing => {}
            MemberPhase::Stable => self.consumer_fetch_all(c, coord),
        }
    }

    fn consumer_fetch_all(&mut self, c: ClientId, coord: BrokerId) {
        let k = &self.consumers[&c];
        let timeout = k.config.request_timeout_ms;
        let fetch_wait = k.config.fetch_max_wait_ms;
        let group = k.group.clone();
        let need_committed: Vec<TopicPartition> = k
            .positions
            .iter()
            .filter(|(_, p)| p.offset.is_none() && !p.needs_reset && !p.fetching_committed)
            .map(|(tp, _)| *tp)
            .collect();
        if !need_committed.is_empty()
            && !self.consumer_pending(c, |r| matches!(r, ConsumerRequest::OffsetFetch))
        {
            for tp in &need_committed {
                self.consumers
                    .get_mut(&c)
                    .expect("consumer")
                    .positions
                    .get_mut(tp)
                    .expect("position")
                    .fetching_committed = true;
            }
            let partitions = need_committed.clone();
            self.consumer_request(
                c,
                coord,
                ConsumerRequest::OffsetFetch,
                |_| Payload::OffsetFetch { group, partitions },
                timeout,
            );
        }
        let earliest = self.consumers[&c].config.auto_offset_reset_earliest;
        // One pass in partition order: each partition that needs a request gets it (acting on
        // one changes only its own state); most have a fetch parked at their leader already.
        let mut missing_leader = false;
        let mut after: Option<TopicPartition> = None;
        while let Some((tp, leader, offset)) = {
            let k = &self.consumers[&c];
            let mut found = None;
            for (tp, pos) in k.positions.iter() {
                if after.is_some_and(|a| *tp <= a) {
                    continue;
                }
                let Some(leader) = k.metadata.partitions.get(tp).and_then(|s| s.leader) else {
                    missing_leader = true;
                    continue;
                };
                if pos.needs_reset && !pos.resetting {
                    found = Some((*tp, leader, None));
                    break;
                }
                if let Some(offset) = pos.offset {
                    if pos.fetch_in_flight.is_none()
                        && offset.saturating_sub(pos.acknowledged) < CONSUMER_BACKLOG_MAX
                    {
                        found = Some((*tp, leader, Some(offset)));
                        break;
                    }
                }
            }
            found
        } {
            after = Some(tp);
            let Some(offset) = offset else {
                self.consumers
                    .get_mut(&c)
                    .expect("consumer")
                    .positions
                    .get_mut(&tp)
                    .expect("position")
                    .resetting = true;
                self.consumer_request(
                    c,
                    leader,
                    ConsumerRequest::ListOffsets(tp),
                    |_| Payload::ListOffsets { tp, earliest },
                    timeout,
                );
                continue;
            };
            let id = self.consumer_request(
                c,
                leader,
                ConsumerRequest::Fetch(tp),
                |id| Payload::ConsumerFetch {
                    request_id: id,
                    tp,
                    offset,
                },
                fetch_wait + timeout,
            );
            self.consumers
                .get_mut(&c)
                .expect("consumer")
                .positions
                .get_mut(&tp)
                .expect("position")
                .fetch_in_flight = Some(id);
        }
        if missing_leader {
            self.client_request_metadata(c);
        }
    }

    fn consumer_heartbeat(&mut self, c: ClientId) {
        let Some(k) = self.consumers.get(&c) else {
            return;
        };
        let inc = k.incarnation;
        let interval = k.config.heartbeat_interval_ms;
        let session = k.config.session_timeout_ms;
        let (phase, last_ok) = (k.phase, k.last_heartbeat_ok);
        self.set_timer(
            interval,
            Timer::Client(c, inc, ClientTimer::ConsumerHeartbeat),
        );
        if phase != MemberPhase::Stable {
            return;
        }
        if self.now.saturating_sub(last_ok) > session {
            // The coordinator is unreachable: rediscover it and rejoin.
            self.consumer_revoke(c);
            self.client_request_metadata(c);
            return;
        }
        let Some(coord) = self.consumer_coordinator(c) else {
            return;
        };
        let k = self.consumers.get_mut(&c).expect("consumer");
        k.heartbeat_in_flight = true;
        let payload = Payload::GroupHeartbeat {
            group: k.group.clone(),
            member: MemberId {
                client: c,
                incarnation: k.incarnation,
            },
            generation: k.generation,
        };
        self.transmit(NodeId::Client(c), NodeId::Broker(coord), payload);
    }

    /// Eager rebalance: give up every partition (committing delivered positions when
    /// auto-commit is on), then rejoin.
    fn consumer_revoke(&mut self, c: ClientId) {
        if self.consumers[&c].config.enable_auto_commit {
            self.consumer_auto_commit_now(c);
        }
        let k = self.consumers.get_mut(&c).expect("consumer");
        let had = !k.assignment.is_empty();
        k.assignment.clear();
        k.positions.clear();
        k.phase = MemberPhase::Unjoined;
        k.requests
            .retain(|_, (r, _)| matches!(r, ConsumerRequest::Commit));
        if had {
            self.emit(EventKind::PartitionsRevoked { consumer: c });
        }
    }

    fn consumer_request_timed_out(&mut self, c: ClientId, request: u64) {
        let Some(k) = self.consumers.get_mut(&c) else {
            return;
        };
        k.request_timeouts.remove(&request);
        let Some((kind, _)) = k.requests.remove(&request) else {
            return;
        };
        match kind {
            ConsumerRequest::Join | ConsumerRequest::Sync => k.phase = MemberPhase::Unjoined,
            ConsumerRequest::Fetch(tp) => {
                if let Some(p) = k.positions.get_mut(&tp) {
                    p.fetch_in_flight = None;
                }
            }
            ConsumerRequest::ListOffsets(tp) => {
                if let Some(p) = k.positions.get_mut(&tp) {
                    p.resetting = false;
                }
            }
            ConsumerRequest::OffsetFetch => {
                for p in k.positions.values_mut() {
                    p.fetching_committed = false;
                }
            }
            ConsumerRequest::Commit => {
                self.emit(EventKind::CommitFailed {
                    consumer: c,
                    error: ErrorCode::RequestTimedOut,
                });
            }
        }
    }

    fn consumer_handle(&mut self, c: ClientId, payload: Payload) {
        if let Payload::ConsumerFetchResponse { request_id, .. } = &payload {
            self.consumer_request_answered(c, *request_id);
        }
        let Some(k) = self.consumers.get_mut(&c) else {
            return;
        };
        match payload {
            Payload::JoinGroupResponse { group: _, result } => {
                k.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::Join));
                match result {
                    Ok(generation) => {
                        k.generation = generation;
                        k.phase = MemberPhase::Syncing;
                        let group = k.group.clone();
                        let member = MemberId {
                            client: c,
                            incarnation: k.incarnation,
                        };
                        let timeout = k.config.request_timeout_ms;
                        if let Some(coord) = self.consumer_coordinator(c) {
                            self.consumer_request(
                                c,
                                coord,
                                ConsumerRequest::Sync,
                                |_| Payload::SyncGroup {
                                    group,
                                    member,
                                    generation,
                                },
                                timeout,
                            );
                        }
                    }
                    Err(_) => {
                        k.phase = MemberPhase::Unjoined;
                        self.client_request_metadata(c);
                    }
                }
            }
            Payload::SyncGroupResponse { group: _, result } => {
                k.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::Sync));
                match result {
                    Ok(assignment) => {
                        k.phase = MemberPhase::Stable;
                        k.last_heartbeat_ok = self.now;
                        k.positions = assignment
                            .iter()
                            .map(|tp| (*tp, Position::default()))
                            .collect();
                        k.assignment = assignment.clone();
                        self.emit(EventKind::PartitionsAssigned {
                            consumer: c,
                            partitions: assignment,
                        });
                        self.consumer_tick_now(c);
                    }
                    Err(_) => k.phase = MemberPhase::Unjoined,
                }
            }
            Payload::GroupHeartbeatResponse { group: _, error } => {
                k.heartbeat_in_flight = false;
                match error {
                    None => k.last_heartbeat_ok = self.now,
                    Some(ErrorCode::NotCoordinator) => {
                        self.consumer_revoke(c);
                        self.client_request_metadata(c);
                    }
                    Some(_) => {
                        k.last_heartbeat_ok = self.now;
                        self.consumer_revoke(c);
                    }
                }
            }
            Payload::OffsetFetchResponse { group: _, result } => {
                k.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::OffsetFetch));
                match result {
                    Ok(list) => {
                        for (tp, committed) in list {
                            if let Some(p) = k.positions.get_mut(&tp) {
                                p.fetching_committed = false;
                                match committed {
                                    Some(o) => {
                                        p.offset = Some(o);
                                        p.acknowledged = o;
                                    }
                                    None => p.needs_reset = true,
                                }
                            }
                        }
                    }
                    Err(_) => {
                        for p in k.positions.values_mut() {
                            p.fetching_committed = false;
                        }
                        self.client_request_metadata(c);
                    }
                }
            }
            Payload::ListOffsetsResponse { tp, result } => {
                k.requests
                    .retain(|_, (r, _)| !matches!(r, ConsumerRequest::ListOffsets(t) if *t == tp));
                let Some(p) = k.positions.get_mut(&tp) else {
                    return;
                };
                p.resetting = false;
                match result {
                    Ok(offset) => {
                        p.needs_reset = false;
                        p.offset = Some(offset);
                        p.acknowledged = offset;
                        self.emit(EventKind::OffsetReset {
                            consumer: c,
                            tp,
                            offset,
                        });
                    }
                    Err(_) => self.client_request_metadata(c),
                }
            }
            Payload::ConsumerFetchResponse {
                request_id,
                tp,
                result,
            } => {
                k.requests.remove(&request_id);
                let Some(p) = k.positions.get_mut(&tp) else {
                    return;
                };
                if p.fetch_in_flight != Some(request_id) {
                    return;
                }
                p.fetch_in_flight = None;
                match result {
                    FetchResult::Records { records, .. } => {
                        let Some(position) = p.offset else { return };
                        let delivered: Vec<ConsumedRecord> = records
                            .into_iter()
                            .filter(|(offset, ..)| *offset >= position)
                            .map(|(offset, _, data, _)| ConsumedRecord {
                                tp,
                                offset,
                                key: data.key,
                                value: data.value,
                                timestamp: data.timestamp,
                            })
                            .collect();
                        if let Some(last) = delivered.last() {
                            p.offset = Some(last.offset + 1);
                            self.emit(EventKind::RecordsDelivered {
                                consumer: c,
                                records: delivered,
                            });
                            self.consumer_tick_now(c);
                        }
                    }
                    FetchResult::Error(ErrorCode::OffsetOutOfRange) => {
                        p.offset = None;
                        p.needs_reset = true;
                    }
                    FetchResult::Error(_) | FetchResult::Diverging { .. } => {
                        self.client_request_metadata(c);
                    }
                }
            }
            Payload::OffsetCommitResponse {
                request_id,
                group: _,
                result,
            } => {
                k.requests.remove(&request_id);
                self.consumer_request_answered(c, request_id);
                match result {
                    Ok(offsets) => self.emit(EventKind::OffsetsCommitted {
                        consumer: c,
                        offsets,
                    }),
                    Err(error) => {
                        self.emit(EventKind::CommitFailed { consumer: c, error });
                        if matches!(error, ErrorCode::NotCoordinator) {
                            self.client_request_metadata(c);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn consumer_tick_now(&mut self, c: ClientId) {
        if let Some(coord) = self.consumer_coordinator(c) {
            if self.consumers[&c].phase == MemberPhase::Stable {
                self.consumer_fetch_all(c, coord);
            }
        }
    }

    fn consumer_auto_commit(&mut self, c: ClientId) {
        let Some(k) = self.consumers.get(&c) else {
            return;
        };
        let inc = k.incarnation;
        let interval = k.config.auto_commit_interval_ms;
        self.set_timer(interval, Timer::Client(c, inc, ClientTimer::AutoCommit));
        self.consumer_auto_commit_now(c);
    }

    fn consumer_auto_commit_now(&mut self, c: ClientId) {
        let k = &self.consumers[&c];
        if k.phase != MemberPhase::Stable {
            return;
        }
        let offsets: Vec<(TopicPartition, Offset)> = k
            .positions
            .iter()
            .filter_map(|(tp, p)| p.offset.map(|o| (*tp, o)))
            .collect();
        if !offsets.is_empty() {
            self.commit(c, offsets);
        }
    }

    /// The application processed records up to (not including) `next_offset` on `tp`: the
    /// consumer may fetch further.
    pub fn acknowledge(&mut self, c: ClientId, tp: TopicPartition, next_offset: Offset) {
        if let Some(p) = self
            .consumers
            .get_mut(&c)
            .and_then(|k| k.positions.get_mut(&tp))
        {
            p.acknowledged = p.acknowledged.max(next_offset);
        }
    }

    /// Commits `offsets` for the consumer's group (the next offset to read per partition).
    /// The outcome arrives as `OffsetsCommitted` or `CommitFailed`.
    pub fn commit(&mut self, c: ClientId, offsets: Vec<(TopicPartition, Offset)>) {
        let Some(k) = self.consumers.get(&c) else {
            return;
        };
        if !k.online {
            return;
        }
        let Some(coord) = self.consumer_coordinator(c) else {
            self.emit(EventKind::CommitFailed {
                consumer: c,
                error: ErrorCode::NotCoordinator,
            });
            return;
        };
        let group = k.group.clone();
        let member = MemberId {
            client: c,
            incarnation: k.incarnation,
        };
        let generation = k.generation;
        let timeout = k.config.request_timeout_ms;
        self.consumer_request(
            c,
            coord,
            ConsumerRequest::Commit,
            |request_id| Payload::OffsetCommit {
                request_id,
                group,
                member,
                generation,
                offsets,
            },
            timeout,
        );
    }

    /// The partitions a consumer owns now.
    pub fn consumer_assignment(&self, c: ClientId) -> &[TopicPartition] {
        self.consumers
            .get(&c)
            .map_or(&[], |k| k.assignment.as_slice())
    }
}
