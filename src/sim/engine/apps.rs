//! What applications (the services, scenarios, tests) call: create, crash and restart client
//! processes, send records, acknowledge and commit, and set their own timers.

use std::rc::Rc;

use super::{NodeTimer, Scheduled, Simulation};
use crate::sim::client::{Consumer, Producer};
use crate::sim::config::{Acks, ConsumerConfig, ProducerConfig};
use crate::sim::types::{ClientId, Offset, SendId, SimDuration, TopicId, TopicPartition};

impl Simulation {
    fn allocate_client(&mut self) -> ClientId {
        let id = ClientId(self.next_client);
        self.next_client += 1;
        id
    }

    /// Starts a producer client with `config`.
    pub fn create_producer(&mut self, config: ProducerConfig) -> ClientId {
        let id = self.allocate_client();
        let producer = Producer::new(id, config, &mut self.client_env);
        self.producers.insert(id, producer);
        self.with_producer(id, |p, ctx, env, out| p.start(ctx, env, out));
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
        let consumer = Consumer::new(id, group, topics, config, self.now);
        self.consumers.insert(id, consumer);
        self.with_consumer(id, |k, ctx, env, out| k.start(ctx, env, out));
        id
    }

    /// Crashes a client process (it loses its memory).
    pub(super) fn crash_client(&mut self, c: ClientId) {
        if self.producers.contains_key(&c) {
            self.with_producer(c, |p, _, _, out| p.crash(out));
        } else if self.consumers.contains_key(&c) {
            self.with_consumer(c, |k, _, _, out| k.crash(out));
        }
    }

    /// Restarts a crashed client process.
    pub(super) fn restart_client(&mut self, c: ClientId) {
        let now = self.now;
        if self.producers.contains_key(&c) {
            self.with_producer(c, |p, ctx, env, out| p.restart(ctx, env, out));
        } else if self.consumers.contains_key(&c) {
            self.with_consumer(c, |k, ctx, env, out| k.restart(now, ctx, env, out));
        }
    }

    /// Closes a consumer for good: it leaves its group (triggering a rebalance).
    pub fn close_consumer(&mut self, c: ClientId) {
        if !self.consumers.contains_key(&c) {
            return;
        }
        self.with_consumer(c, |k, ctx, _, out| k.close(ctx, out));
        self.consumers.remove(&c);
    }

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
        let random = self.client_env.rng.below(partitions as u64) as u32;
        let p = self
            .producers
            .get(&producer)
            .ok_or_else(|| format!("there is no producer {}", producer.0))?;
        if !p.online() {
            return Err(format!("producer {} is down", producer.0));
        }
        let key: Option<Rc<str>> = key.map(Rc::from);
        let value: Rc<str> = Rc::from(value);
        let (k, v) = (key.clone(), value.clone());
        let mut send = None;
        self.with_producer(producer, |p, _, env, out| {
            send = Some(p.send(now, topic, partitions, random, k, v, acks, env, out));
        });
        let send = send.expect("the producer took the record");
        self.counters.sends += 1;
        self.ledger.sent(send, key, value);
        Ok(send)
    }

    /// The application processed records up to (not including) `next_offset` on `tp`: the
    /// consumer may fetch further.
    pub fn acknowledge(&mut self, c: ClientId, tp: TopicPartition, next_offset: Offset) {
        if let Some(k) = self.consumers.get_mut(&c) {
            k.acknowledge(tp, next_offset);
        }
    }

    /// Commits `offsets` for the consumer's group (the next offset to read per partition).
    /// The outcome arrives as `OffsetsCommitted` or `CommitFailed`.
    pub fn commit(&mut self, c: ClientId, offsets: Vec<(TopicPartition, Offset)>) {
        if !self.consumers.contains_key(&c) {
            return;
        }
        self.with_consumer(c, |k, ctx, _, out| k.commit(offsets, ctx, out));
    }

    /// The partitions a consumer owns now.
    pub fn consumer_assignment(&self, c: ClientId) -> &[TopicPartition] {
        self.consumers.get(&c).map_or(&[], |k| k.assignment())
    }

    /// Sets an application timer on `client`: an [`EventKind::AppTimer`] with `token` is emitted
    /// after `delay` unless the client crashes first.
    pub fn set_app_timer(&mut self, client: ClientId, delay: SimDuration, token: u64) {
        if let Some(incarnation) = self.client_incarnation(client) {
            let timer = NodeTimer::App {
                client,
                incarnation,
                token,
            };
            self.schedule(self.now + delay, Scheduled::Timer(timer));
        }
    }

    /// Whether a client is running.
    pub fn client_online(&self, c: ClientId) -> bool {
        self.node_up(crate::sim::types::NodeId::Client(c))
    }
}
