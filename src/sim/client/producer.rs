//! The producer client node: the partitioner (murmur2 for keys, sticky for null keys),
//! batching with linger, acks, retries with KIP-580 backoff, timeouts and idempotence.

use crate::sim::sorted_map::SortedMap;
use std::collections::VecDeque;
use std::rc::Rc;

use super::{ClientEnv, ClientMetadata};
use crate::sim::config::{Acks, ProducerConfig};
use crate::sim::events::EventKind;
use crate::sim::murmur2::partition_for_key;
use crate::sim::network::{ErrorCode, Payload, RecordData};
use crate::sim::node::{Context, Outbox, TimerId};
use crate::sim::seqmap::SeqMap;
use crate::sim::tpmap::TpMap;
use crate::sim::types::{
    BrokerId, ClientId, NodeId, Offset, ProducerId, SendId, SimTime, TopicId, TopicPartition,
};

/// A producer's own timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProducerTimer {
    /// Send the batches whose linger is over.
    Drain,
    /// A produce request got no answer within `request.timeout.ms`.
    RequestTimeout {
        /// The request.
        request: u64,
    },
    /// A metadata request got no answer.
    MetadataTimeout {
        /// The request.
        request: u64,
    },
}

/// A producer batch: records for one partition sent in one request.
#[derive(Clone, Debug)]
struct Batch {
    tp: TopicPartition,
    sends: Vec<(SendId, RecordData)>,
    /// Base sequence, assigned when first sent (idempotent producers).
    sequence: Option<u32>,
    /// The producer id the sequence belongs to.
    producer_id: Option<ProducerId>,
    created_at: SimTime,
    ready_at: SimTime,
    attempts: u32,
    acks: Acks,
}

/// A batch sent and not yet answered.
#[derive(Clone, Debug)]
struct InFlight {
    batch: Batch,
    /// The request timeout timer.
    timeout: TimerId,
    /// The broker the request went to.
    broker: BrokerId,
}

/// A producer client.
#[derive(Clone, Debug)]
pub struct Producer {
    id: ClientId,
    online: bool,
    incarnation: u32,
    config: ProducerConfig,
    producer_id: Option<ProducerId>,
    metadata: ClientMetadata,
    next_sequence: TpMap<u32>,
    queues: TpMap<VecDeque<Batch>>,
    in_flight: SeqMap<InFlight>,
    sticky: SortedMap<TopicId, u32>,
    next_request: u64,
    drain_at: Option<SimTime>,
}

impl Producer {
    /// A running producer (call [`Producer::start`] to fetch metadata); idempotent producers
    /// take a producer id from `env`.
    pub fn new(id: ClientId, config: ProducerConfig, env: &mut ClientEnv) -> Self {
        let producer_id = config
            .enable_idempotence
            .then(|| env.allocate_producer_id());
        Producer {
            id,
            online: true,
            incarnation: 1,
            config,
            producer_id,
            metadata: ClientMetadata::default(),
            next_sequence: TpMap::new(),
            queues: TpMap::new(),
            in_flight: SeqMap::new(),
            sticky: SortedMap::new(),
            next_request: 1,
            drain_at: None,
        }
    }

    // ----- getters -----

    /// Whether the process runs.
    pub fn online(&self) -> bool {
        self.online
    }

    /// Its process incarnation, bumped by every restart (timers of older ones are inert).
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// Its current producer id (idempotent producers).
    pub fn producer_id(&self) -> Option<ProducerId> {
        self.producer_id
    }

    // ----- life cycle -----

    /// Asks for metadata: the first thing a new process does.
    pub fn start(&mut self, ctx: &Context, env: &mut ClientEnv, out: &mut Outbox<ProducerTimer>) {
        self.request_metadata(ctx, env, out);
    }

    /// The process dies: buffered and in-flight sends die with it.
    pub fn crash(&mut self, out: &mut Outbox<ProducerTimer>) {
        if !self.online {
            return;
        }
        self.online = false;
        let lost: Vec<(SendId, TopicPartition)> = self
            .queues
            .values()
            .flatten()
            .chain(self.in_flight.values().map(|f| &f.batch))
            .flat_map(|b| b.sends.iter().map(move |(s, _)| (*s, b.tp)))
            .collect();
        self.queues.clear();
        self.in_flight.clear();
        for (send, tp) in lost {
            out.emit(EventKind::ProduceAbandoned {
                producer: self.id,
                send,
                tp,
            });
        }
        out.emit(EventKind::NodeCrashed {
            node: NodeId::Client(self.id),
        });
    }

    /// A new process: fresh metadata and sequences, and a new producer id when idempotent.
    pub fn restart(&mut self, ctx: &Context, env: &mut ClientEnv, out: &mut Outbox<ProducerTimer>) {
        if self.online {
            return;
        }
        self.online = true;
        self.incarnation += 1;
        self.metadata = ClientMetadata::default();
        self.next_sequence.clear();
        self.drain_at = None;
        if self.config.enable_idempotence {
            self.producer_id = Some(env.allocate_producer_id());
        }
        self.request_metadata(ctx, env, out);
        out.emit(EventKind::NodeRestarted {
            node: NodeId::Client(self.id),
        });
    }

    // ----- inputs -----

    /// The application hands over one record for `topic`, whose partition count is
    /// `partitions`; `random` is the sticky partition to start with if the topic has none yet.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        now: SimTime,
        topic: TopicId,
        partitions: u32,
        random: u32,
        key: Option<Rc<str>>,
        value: Rc<str>,
        acks: Option<Acks>,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) -> SendId {
        let partition = match &key {
            Some(k) => partition_for_key(k.as_bytes(), partitions),
            None => *self.sticky.entry(topic).or_insert(random),
        };
        let tp = TopicPartition { topic, partition };
        let acks = acks.unwrap_or(self.config.acks);
        let send = env.allocate_send_id();
        let data = RecordData {
            key,
            value,
            timestamp: now,
        };
        let queue = self.queues.get_or_insert_with(tp, VecDeque::new);
        let max = self.config.max_batch_records;
        let linger = self.config.linger_ms;
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
        self.schedule_drain(now, now + linger, out);
        send
    }

    /// A message from a broker.
    pub fn handle_message(
        &mut self,
        now: SimTime,
        _from: NodeId,
        payload: Payload,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        match payload {
            Payload::MetadataResponse { partitions } => {
                if self.metadata.handle_response(partitions) {
                    self.schedule_drain(now, now, out);
                } else {
                    self.request_metadata(ctx, env, out);
                }
            }
            Payload::ProduceResponse {
                request_id, result, ..
            } => self.handle_response(now, request_id, result, ctx, env, out),
            _ => {}
        }
    }

    /// One of its timers fired.
    pub fn handle_timer(
        &mut self,
        now: SimTime,
        timer: ProducerTimer,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        match timer {
            ProducerTimer::Drain => {
                self.drain_at = None;
                self.drain(now, ctx, env, out);
            }
            ProducerTimer::RequestTimeout { request } => {
                self.request_failed(now, request, ErrorCode::RequestTimedOut, ctx, env, out);
            }
            ProducerTimer::MetadataTimeout { request } => {
                if self.metadata.timed_out(request) {
                    self.request_metadata(ctx, env, out);
                }
            }
        }
    }

    /// A message it sent found its receiver down (connection refused).
    pub fn handle_unreachable(
        &mut self,
        now: SimTime,
        payload: Payload,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        match payload {
            Payload::MetadataRequest => {
                self.metadata.failed();
                self.request_metadata(ctx, env, out);
            }
            Payload::Produce { request_id, .. } => {
                self.request_failed(now, request_id, ErrorCode::NetworkException, ctx, env, out);
            }
            _ => {}
        }
    }

    /// `broker` died: every request on its connection fails at once.
    pub fn connection_lost(
        &mut self,
        now: SimTime,
        broker: BrokerId,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        let ids: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, f)| f.broker == broker)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.request_failed(now, id, ErrorCode::NetworkException, ctx, env, out);
        }
    }

    // ----- rules -----

    fn request_metadata(
        &mut self,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        if !self.online {
            return;
        }
        let timeout = self.config.request_timeout_ms;
        self.metadata.request(timeout, ctx, env, out, |request| {
            ProducerTimer::MetadataTimeout { request }
        });
    }

    fn schedule_drain(&mut self, now: SimTime, at: SimTime, out: &mut Outbox<ProducerTimer>) {
        if !self.online || self.drain_at.is_some_and(|t| t <= at) {
            return;
        }
        self.drain_at = Some(at);
        out.set_timer(at.saturating_sub(now), ProducerTimer::Drain);
    }

    /// Sends every ready batch its leader's connection can take (within
    /// `max.in.flight.requests.per.connection`), fails batches past
    /// `delivery.timeout.ms`, and wakes up again for the next batch's linger.
    fn drain(
        &mut self,
        now: SimTime,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        if !self.online {
            return;
        }
        let mut next_wake: Option<SimTime> = None;
        let mut need_metadata = false;
        // Each partition with batches once, in order (draining one never fills another).
        let mut last: Option<TopicPartition> = None;
        while let Some(tp) = {
            let next = self
                .queues
                .iter()
                .find(|(tp, q)| !q.is_empty() && last.is_none_or(|l| **tp > l));
            next.map(|(tp, _)| *tp)
        } {
            last = Some(tp);
            loop {
                let delivery_timeout = self.config.delivery_timeout_ms;
                let Some(front) = self.queues.get(&tp).and_then(|q| q.front()) else {
                    break;
                };
                if now >= front.created_at + delivery_timeout {
                    let batch = self
                        .queues
                        .get_mut(&tp)
                        .and_then(|q| q.pop_front())
                        .expect("front");
                    self.fail_batch(batch, ErrorCode::DeliveryTimeout, env, out);
                    continue;
                }
                if front.ready_at > now {
                    next_wake = Some(next_wake.map_or(front.ready_at, |w| w.min(front.ready_at)));
                    break;
                }
                let Some(leader) = self.metadata.leader(tp) else {
                    need_metadata = true;
                    break;
                };
                // max.in.flight.requests.per.connection: requests to this broker, whatever
                // their partitions.
                let in_flight = self
                    .in_flight
                    .values()
                    .filter(|f| f.broker == leader)
                    .count();
                if in_flight as u32 >= self.config.max_in_flight {
                    break;
                }
                let mut batch = self
                    .queues
                    .get_mut(&tp)
                    .and_then(|q| q.pop_front())
                    .expect("front");
                if let (Some(pid), None) = (self.producer_id, batch.sequence) {
                    let seq = self.next_sequence.get_or_insert_with(tp, || 0);
                    batch.sequence = Some(*seq);
                    batch.producer_id = Some(pid);
                    *seq += batch.sends.len() as u32;
                }
                if batch.attempts == 0 {
                    // The sticky partition moves on once its batch is sealed.
                    let parts = ctx.topic(tp.topic).config.partitions;
                    if self.sticky.get(&tp.topic) == Some(&tp.partition) && parts > 1 {
                        let r = env.rng.below(parts as u64 - 1) as u32;
                        self.sticky.insert(tp.topic, (tp.partition + 1 + r) % parts);
                    }
                }
                self.send_batch(leader, batch, out);
            }
        }
        if need_metadata {
            self.request_metadata(ctx, env, out);
            let backoff = self.config.retry_backoff_ms;
            next_wake = Some(next_wake.map_or(now + backoff, |w| w.min(now + backoff)));
        }
        if let Some(at) = next_wake {
            self.schedule_drain(now, at, out);
        }
    }

    fn send_batch(&mut self, leader: BrokerId, batch: Batch, out: &mut Outbox<ProducerTimer>) {
        let request_id = self.next_request;
        self.next_request += 1;
        let timeout = self.config.request_timeout_ms;
        let idempotence = batch.producer_id.zip(batch.sequence);
        let payload = Payload::Produce {
            request_id,
            tp: batch.tp,
            acks: batch.acks,
            idempotence,
            records: batch.sends.iter().map(|(_, d)| d.clone()).collect(),
            timeout_ms: u32::try_from(timeout).unwrap_or(u32::MAX),
        };
        out.send(NodeId::Broker(leader), payload);
        if batch.acks == Acks::None {
            for (send, _) in &batch.sends {
                out.emit(EventKind::ProduceSentUnacknowledged {
                    producer: self.id,
                    send: *send,
                    tp: batch.tp,
                });
            }
            return;
        }
        let timeout = out.set_timer(
            timeout,
            ProducerTimer::RequestTimeout {
                request: request_id,
            },
        );
        self.in_flight.insert(
            request_id,
            InFlight {
                batch,
                timeout,
                broker: leader,
            },
        );
    }

    fn handle_response(
        &mut self,
        now: SimTime,
        request_id: u64,
        result: Result<Offset, ErrorCode>,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        let Some(f) = self.in_flight.remove(&request_id) else {
            return; // late: already timed out
        };
        out.cancel_timer(f.timeout);
        match result {
            Ok(base) => {
                let tp = f.batch.tp;
                for (i, (send, _)) in f.batch.sends.into_iter().enumerate() {
                    out.emit(EventKind::ProduceAcked {
                        producer: self.id,
                        send,
                        tp,
                        offset: base + i as u64,
                    });
                }
                self.drain(now, ctx, env, out);
            }
            Err(e) => self.batch_failed(now, f.batch, e, ctx, env, out),
        }
    }

    /// A produce request failed without an answer (timeout, broken connection).
    fn request_failed(
        &mut self,
        now: SimTime,
        request: u64,
        error: ErrorCode,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        if let Some(f) = self.in_flight.remove(&request) {
            out.cancel_timer(f.timeout);
            self.batch_failed(now, f.batch, error, ctx, env, out);
        }
    }

    /// Decides between retrying a failed batch and failing its sends.
    fn batch_failed(
        &mut self,
        now: SimTime,
        mut batch: Batch,
        error: ErrorCode,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        // An out-of-order error behind an unresolved earlier batch is the earlier batch's fault.
        let earlier_pending = batch.sequence.is_some_and(|seq| {
            self.in_flight
                .values()
                .map(|f| &f.batch)
                .chain(self.queues.get(&batch.tp).into_iter().flatten())
                .any(|b| b.tp == batch.tp && b.sequence.is_some_and(|s| s < seq))
        });
        let config = &self.config;
        let retriable = error.is_retriable()
            || (error == ErrorCode::OutOfOrderSequenceNumber && earlier_pending);
        let in_time = now < batch.created_at + config.delivery_timeout_ms;
        let retry = retriable && batch.attempts < config.retries && in_time;
        // KIP-580: exponential backoff with 20% jitter, capped at retry.backoff.max.ms.
        let base = config
            .retry_backoff_ms
            .saturating_mul(1 << batch.attempts.min(16));
        let capped = base.min(config.retry_backoff_max_ms.max(config.retry_backoff_ms)) as f64;
        let jitter = 0.8 + 0.4 * (env.rng.below(1001) as f64 / 1000.0);
        let backoff = (capped * jitter).round() as SimTime;
        out.emit(EventKind::ProduceError {
            producer: self.id,
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
            self.fail_batch(batch, final_error, env, out);
            self.schedule_drain(now, now, out);
            return;
        }
        batch.attempts += 1;
        batch.ready_at = now + backoff;
        let tp = batch.tp;
        let queue = self.queues.get_or_insert_with(tp, VecDeque::new);
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
            self.request_metadata(ctx, env, out);
        }
        self.schedule_drain(now, now + backoff, out);
    }

    /// Fails every send of `batch` for good.
    fn fail_batch(
        &mut self,
        batch: Batch,
        error: ErrorCode,
        env: &mut ClientEnv,
        out: &mut Outbox<ProducerTimer>,
    ) {
        if batch.producer_id.is_some() && batch.producer_id == self.producer_id {
            // A sequenced batch gave up: its sequence may be a gap the broker would refuse.
            // Like KIP-360's epoch bump, the producer starts a fresh sequence space.
            self.producer_id = Some(env.allocate_producer_id());
            self.next_sequence.clear();
            // Batches already sent keep their id and sequence: sending one again under the new
            // id could write it twice. Only batches never sent take the new id.
        }
        for (send, _) in batch.sends {
            out.emit(EventKind::ProduceFailed {
                producer: self.id,
                send,
                tp: batch.tp,
                error,
            });
        }
    }
}
