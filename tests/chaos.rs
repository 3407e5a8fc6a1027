#![cfg(not(target_arch = "wasm32"))]
//! Seeded chaos: crashes, restarts, isolations, heals, dropped messages and faults on single links
//! (cut both ways or one way, slowed, lossy, healed) against an acks=all,
//! RF 3, min.insync.replicas 2 idempotent producer and one consumer. The verdict comes from the
//! test's own ledger, kept from the events it drains and from what it sent, checked against the
//! final partition logs; the engine's own acknowledgement bookkeeping decides nothing.
//!
//! - Producer: every send ends exactly once; after healing every replica holds the same log, an
//!   acknowledged record is at its acknowledged offset in it (never lost), no two sends share an
//!   offset, records with one key share a partition, and no record is there twice or unsent.
//! - Consumer: every delivered record was below the high watermark when it was delivered, is
//!   still at that offset in the final log with the key and value the test sent, and arrives in
//!   offset order without gaps. A new assignment restarts a partition's stream at the group's
//!   committed offset (between the last acknowledged commit and the next undelivered record);
//!   an offset reset restarts it exactly where the reset says. A commit never passes what was
//!   delivered nor the high watermark. Once healed, the consumer reads every committed record.
//!
//! A second sweep adds live cluster operations to the faults: brokers added (up to 5) and
//! partitions reassigned to random sets of three brokers, sometimes throttled, while the
//! faults go on; the same verdict holds.
//!
//! The engine's invariant checker runs after every event as well, and its lost-record figure
//! (what the page shows) must agree with the ledger. `CHAOS_SEEDS=n` sets how many seeds run
//! (200 by default); a failing run names its seed.

use std::collections::BTreeMap;

use kafka_sandbox::sim::*;

const CHAOS_MS: SimTime = 30_000;
const SETTLE_MS: SimTime = 140_000;
/// How long after the heal the consumer may take to read every committed record: a JoinGroup
/// lost in the chaos is sent again only when it times out, max.poll.interval.ms plus 5 s
/// (305 s) after it left, as Kafka's consumer times a JoinGroup, and the rejoin then waits out
/// group.initial.rebalance.delay.ms (3 s) before it fetches. The slowest of 1000 seeds reads its
/// last record 309 s after the heal.
const CATCH_UP_MS: SimTime = 320_000;
const PARTITIONS: u32 = 3;

/// A record the test sent.
struct Sent {
    key: Option<String>,
    value: String,
}

/// How a send ended, as its events said.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Acked { tp: TopicPartition, offset: Offset },
    Failed,
}

/// The consumer's read stream on one partition, as the test saw it.
#[derive(Default)]
struct Stream {
    /// The partition is assigned to the consumer.
    assigned: bool,
    /// Where the next delivery must start; `None` after an assignment, until the first delivery
    /// (the consumer resumes from the group's committed offset, which it reads itself).
    next: Option<Offset>,
    /// Highest offset delivered so far.
    delivered_max: Option<Offset>,
    /// Highest offset whose commit the group acknowledged.
    committed: Offset,
}

impl Stream {
    /// The first offset not delivered yet.
    fn undelivered(&self) -> Offset {
        self.delivered_max.map_or(0, |o| o + 1)
    }
}

/// Figures of one run, summed over the sweep to show it exercised something.
#[derive(Default)]
struct Tally {
    sent: u64,
    acked: u64,
    delivered: u64,
    resumed: u64,
    /// Cluster operations the cluster accepted, and reassignments it completed.
    operations: u64,
    reassigned: u64,
}

/// The test's ledger: what it sent, how each send ended, what the consumer got.
struct Ledger {
    consumer: ClientId,
    sent: BTreeMap<SendId, Sent>,
    by_value: BTreeMap<String, SendId>,
    outcomes: BTreeMap<SendId, Outcome>,
    /// What the consumer read at each position.
    delivered: BTreeMap<(TopicPartition, Offset), SendId>,
    streams: BTreeMap<TopicPartition, Stream>,
    /// The highest high watermark seen on each partition so far.
    hw_seen: BTreeMap<TopicPartition, Offset>,
    tally: Tally,
}

/// The high watermark the cluster has reached on `tp` as far as any replica knows, now or
/// earlier (`seen`): every replica learns it from a leader, so what lies below it is committed
/// (unclean election is off), and stays so even once a reassignment deleted that replica.
fn known_high_watermark(
    sim: &Simulation,
    seen: &BTreeMap<TopicPartition, Offset>,
    tp: TopicPartition,
) -> Offset {
    let view = sim.partition_view(tp);
    view.replica_states
        .iter()
        .map(|r| r.high_watermark)
        .fold(view.high_watermark, Offset::max)
        .max(seen.get(&tp).copied().unwrap_or(0))
}

/// The highest high watermark any broker's replica of `tp` holds now (assigned or not yet
/// deleted).
fn highest_replica_hw(sim: &Simulation, tp: TopicPartition) -> Offset {
    sim.brokers()
        .filter_map(|b| b.replica(tp))
        .map(|r| r.log().high_watermark())
        .max()
        .unwrap_or(0)
}

impl Ledger {
    fn new(consumer: ClientId) -> Self {
        Ledger {
            consumer,
            sent: BTreeMap::new(),
            by_value: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            delivered: BTreeMap::new(),
            streams: BTreeMap::new(),
            hw_seen: BTreeMap::new(),
            tally: Tally::default(),
        }
    }

    fn record_send(&mut self, send: SendId, key: Option<String>, value: String) {
        assert!(
            self.by_value.insert(value.clone(), send).is_none(),
            "values are unique"
        );
        self.sent.insert(send, Sent { key, value });
        self.tally.sent += 1;
    }

    /// Drains the events emitted since the last call; the simulation is read at the instant
    /// they happened (the caller drains after every step).
    fn observe(&mut self, sim: &mut Simulation) -> Result<(), String> {
        if let Some(t) = sim.topic_by_name("t") {
            for partition in 0..PARTITIONS {
                let tp = TopicPartition {
                    topic: t,
                    partition,
                };
                let hw = highest_replica_hw(sim, tp);
                let seen = self.hw_seen.entry(tp).or_default();
                *seen = (*seen).max(hw);
            }
        }
        let events: Vec<Event> = sim.drain_events().collect();
        for e in events {
            match e.kind {
                EventKind::ProduceAcked {
                    send, tp, offset, ..
                } => self.ended(send, Outcome::Acked { tp, offset })?,
                EventKind::ProduceFailed { send, .. }
                | EventKind::ProduceAbandoned { send, .. } => self.ended(send, Outcome::Failed)?,
                EventKind::PartitionsAssigned {
                    consumer,
                    partitions,
                } if consumer == self.consumer => {
                    for tp in partitions {
                        let stream = self.streams.entry(tp).or_default();
                        stream.assigned = true;
                        stream.next = None;
                    }
                }
                EventKind::PartitionsRevoked { consumer } if consumer == self.consumer => {
                    for stream in self.streams.values_mut() {
                        stream.assigned = false;
                        stream.next = None;
                    }
                }
                EventKind::OffsetReset {
                    consumer,
                    tp,
                    offset,
                } if consumer == self.consumer => {
                    let stream = self.streams.entry(tp).or_default();
                    if !stream.assigned {
                        return Err(format!("offset reset on unassigned t-{}", tp.partition));
                    }
                    stream.next = Some(offset);
                }
                EventKind::RecordsDelivered { consumer, records } if consumer == self.consumer => {
                    self.delivered_batch(sim, e.at, &records)?;
                }
                EventKind::OffsetsCommitted { consumer, offsets } if consumer == self.consumer => {
                    for (tp, offset) in offsets {
                        let hw = known_high_watermark(sim, &self.hw_seen, tp);
                        let stream = self.streams.entry(tp).or_default();
                        if offset > stream.undelivered() || offset > hw {
                            return Err(format!(
                                "at {} ms the group committed {offset} on t-{} with {} delivered \
                                 and HW {hw}",
                                e.at,
                                tp.partition,
                                stream.undelivered()
                            ));
                        }
                        stream.committed = stream.committed.max(offset);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn ended(&mut self, send: SendId, outcome: Outcome) -> Result<(), String> {
        if !self.sent.contains_key(&send) {
            return Err(format!("send {} ended but was never made", send.0));
        }
        if let Some(previous) = self.outcomes.insert(send, outcome) {
            return Err(format!(
                "send {} ended twice ({previous:?}, then {outcome:?})",
                send.0
            ));
        }
        if matches!(outcome, Outcome::Acked { .. }) {
            self.tally.acked += 1;
        }
        Ok(())
    }

    /// One `RecordsDelivered`: committed records only, each the one the test sent, in offset
    /// order from where the stream stands.
    fn delivered_batch(
        &mut self,
        sim: &mut Simulation,
        at: SimTime,
        records: &[ConsumedRecord],
    ) -> Result<(), String> {
        let Some(first) = records.first() else {
            return Err(format!("at {at} ms an empty delivery"));
        };
        let tp = first.tp;
        let name = format!("t-{}", tp.partition);
        let hw = known_high_watermark(sim, &self.hw_seen, tp);
        let stream = self.streams.entry(tp).or_default();
        if !stream.assigned {
            return Err(format!("at {at} ms {name} delivered while not assigned"));
        }
        match stream.next {
            Some(next) if first.offset != next => {
                return Err(format!(
                    "at {at} ms {name} delivered from {} where the stream stood at {next}",
                    first.offset
                ));
            }
            Some(_) => {}
            None => {
                // Resumed after an assignment: from the committed offset, so nothing acknowledged
                // as committed is read again and nothing undelivered is skipped.
                if first.offset < stream.committed || first.offset > stream.undelivered() {
                    return Err(format!(
                        "at {at} ms {name} resumed at {} (committed {}, first undelivered {})",
                        first.offset,
                        stream.committed,
                        stream.undelivered()
                    ));
                }
                self.tally.resumed += 1;
            }
        }
        let mut expected = first.offset;
        for r in records {
            if r.tp != tp || r.offset != expected {
                return Err(format!(
                    "at {at} ms a delivery of {name} from {} holds t-{} offset {} at position {expected}",
                    first.offset, r.tp.partition, r.offset
                ));
            }
            if r.offset >= hw {
                return Err(format!(
                    "at {at} ms {name} offset {} delivered at or above the high watermark {hw}",
                    r.offset
                ));
            }
            let Some(&send) = self.by_value.get(&*r.value) else {
                return Err(format!(
                    "at {at} ms {name} offset {} delivered {:?}, never sent",
                    r.offset, r.value
                ));
            };
            let key = r.key.as_deref();
            if self.sent[&send].key.as_deref() != key {
                return Err(format!(
                    "at {at} ms {name} offset {} delivered {} with key {key:?}, sent with {:?}",
                    r.offset, r.value, self.sent[&send].key
                ));
            }
            if let Some(before) = self.delivered.insert((tp, r.offset), send) {
                if before != send {
                    return Err(format!(
                        "at {at} ms {name} offset {} delivered {} after {} earlier",
                        r.offset, r.value, self.sent[&before].value
                    ));
                }
            }
            expected += 1;
        }
        stream.next = Some(expected);
        stream.delivered_max = Some(
            stream
                .delivered_max
                .map_or(expected - 1, |m| m.max(expected - 1)),
        );
        self.tally.delivered += records.len() as u64;
        // The application processed them: the consumer may fetch on.
        sim.acknowledge(self.consumer, tp, expected);
        Ok(())
    }

    /// Whether the consumer has read every record below each partition's high watermark.
    fn caught_up(&self, sim: &Simulation, topic: TopicId) -> bool {
        (0..PARTITIONS).all(|partition| {
            let tp = TopicPartition { topic, partition };
            self.first_unread(tp, sim.partition_view(tp)).is_none()
        })
    }

    /// The first record below the high watermark the consumer has not read, if any.
    fn first_unread(
        &self,
        tp: TopicPartition,
        view: kafka_sandbox::sim::snapshot::PartitionView,
    ) -> Option<Offset> {
        let start = view
            .replica_states
            .iter()
            .find(|r| Some(r.broker) == view.leader)
            .map_or(0, |r| r.log_start_offset);
        (start..view.high_watermark).find(|o| !self.delivered.contains_key(&(tp, *o)))
    }

    /// The verdict on the final logs, from the ledger alone.
    fn verdict(&self, sim: &Simulation, topic: TopicId) -> Result<(), String> {
        let unresolved: Vec<u64> = self
            .sent
            .keys()
            .filter(|s| !self.outcomes.contains_key(s))
            .map(|s| s.0)
            .collect();
        if !unresolved.is_empty() {
            return Err(format!(
                "{} sends never ended, e.g. {:?}",
                unresolved.len(),
                &unresolved[..unresolved.len().min(5)]
            ));
        }
        // Where each value the test sent is in the final logs.
        let mut found: BTreeMap<SendId, (TopicPartition, Offset)> = BTreeMap::new();
        let mut logs: BTreeMap<TopicPartition, (Offset, Vec<String>)> = BTreeMap::new();
        for partition in 0..PARTITIONS {
            let tp = TopicPartition { topic, partition };
            let view = sim.partition_view(tp);
            let Some(leader) = view.leader else {
                return Err(format!("t-{partition} has no leader after healing"));
            };
            let start = view
                .replica_states
                .iter()
                .find(|r| r.broker == leader)
                .map_or(0, |r| r.log_start_offset);
            let values = sim.replica_log_values(tp, leader);
            for b in &view.replicas {
                let copy = sim.replica_log_values(tp, *b);
                if copy != values {
                    return Err(format!(
                        "t-{partition}: broker {} holds {} records, leader {} holds {}",
                        b.0,
                        copy.len(),
                        leader.0,
                        values.len()
                    ));
                }
            }
            for (i, value) in values.iter().enumerate() {
                let offset = start + i as Offset;
                let Some(&send) = self.by_value.get(value) else {
                    return Err(format!(
                        "t-{partition} offset {offset} holds {value:?}, never sent"
                    ));
                };
                if let Some((other, at)) = found.insert(send, (tp, offset)) {
                    return Err(format!(
                        "duplicated: {value} is at t-{} offset {at} and t-{partition} offset {offset}",
                        other.partition
                    ));
                }
            }
            logs.insert(tp, (start, values));
        }
        let value_at = |tp: TopicPartition, offset: Offset| -> Option<&str> {
            let (start, values) = &logs[&tp];
            offset
                .checked_sub(*start)
                .and_then(|i| values.get(i as usize))
                .map(String::as_str)
        };
        // Acknowledged with acks=all and min.insync.replicas=2: at its offset, and only there.
        let mut acked_at: BTreeMap<(TopicPartition, Offset), SendId> = BTreeMap::new();
        let mut key_partition: BTreeMap<&str, u32> = BTreeMap::new();
        for (send, outcome) in &self.outcomes {
            let Outcome::Acked { tp, offset } = *outcome else {
                continue;
            };
            let sent = &self.sent[send];
            if let Some(other) = acked_at.insert((tp, offset), *send) {
                return Err(format!(
                    "sends {} and {} were both acknowledged at t-{} offset {offset}",
                    other.0, send.0, tp.partition
                ));
            }
            if value_at(tp, offset) != Some(sent.value.as_str()) {
                return Err(format!(
                    "lost: {} acknowledged at t-{} offset {offset}, which holds {:?}; the value is at {:?}",
                    sent.value,
                    tp.partition,
                    value_at(tp, offset),
                    found.get(send).map(|(tp, o)| (tp.partition, *o))
                ));
            }
            if let Some(key) = sent.key.as_deref() {
                let p = *key_partition.entry(key).or_insert(tp.partition);
                if p != tp.partition {
                    return Err(format!(
                        "key {key} landed on t-{p} and on t-{}",
                        tp.partition
                    ));
                }
            }
        }
        // What the consumer read was committed: it is still there.
        for ((tp, offset), send) in &self.delivered {
            let sent = &self.sent[send];
            if value_at(*tp, *offset) != Some(sent.value.as_str()) {
                return Err(format!(
                    "the consumer read {} at t-{} offset {offset}, which now holds {:?}",
                    sent.value,
                    tp.partition,
                    value_at(*tp, *offset)
                ));
            }
        }
        // After healing, the consumer has read every committed record at least once.
        for partition in 0..PARTITIONS {
            let tp = TopicPartition { topic, partition };
            let view = sim.partition_view(tp);
            let hw = view.high_watermark;
            if let Some(offset) = self.first_unread(tp, view) {
                return Err(format!(
                    "the consumer never read t-{partition} offset {offset} (HW {hw}); it is {:?}",
                    sim.consumer_phase(self.consumer)
                ));
            }
        }
        Ok(())
    }
}

fn chaos_run(seed: u64, operations: bool) -> Result<Tally, String> {
    let mut cfg = SimConfig::preset(TimingPreset::Kafka);
    cfg.topics.push(TopicConfig {
        name: "t".into(),
        partitions: PARTITIONS,
        replication_factor: 3,
        min_insync_replicas: 2,
    });
    let mut sim = Simulation::new(cfg, seed).map_err(|e| e.to_string())?;
    let t = sim.topic_by_name("t").expect("topic");
    let mut rng = SimRng::child(seed, 0xC4A05);
    let producer_cfg = ProducerConfig::preset(TimingPreset::Kafka);
    assert_eq!(producer_cfg.acks, Acks::All, "Kafka's default producer");
    assert!(producer_cfg.enable_idempotence);
    let producer = sim.create_producer(producer_cfg);
    let mut consumer_cfg = ConsumerConfig::preset(TimingPreset::Kafka);
    consumer_cfg.auto_offset_reset_earliest = true;
    let consumer = sim.create_consumer("readers", &["t"], consumer_cfg);
    let mut ledger = Ledger::new(consumer);
    let mut checker = InvariantChecker::new();
    let mut step = |sim: &mut Simulation, ledger: &mut Ledger, check: bool| -> Result<(), String> {
        sim.step();
        if check {
            let v = checker.check(sim);
            if !v.is_empty() {
                return Err(format!("invariants at {} ms: {v:?}", sim.now()));
            }
        }
        ledger.observe(sim)
    };
    let mut i = 0u64;
    let mut ops_done = 0;
    let mut now = 1000;
    while now < CHAOS_MS {
        let value = format!("v{seed}-{i}");
        let key = if rng.chance(0.5) {
            Some(format!("k{}", rng.below(10)))
        } else {
            None
        };
        let send = sim
            .send(producer, t, key.as_deref(), &value)
            .map_err(|e| e.to_string())?;
        ledger.record_send(send, key, value);
        i += 1;
        if rng.chance(0.04) {
            let broker = BrokerId(1 + rng.below(3) as u32);
            let nodes = [
                NodeId::Controller(ControllerId(1)),
                NodeId::Controller(ControllerId(2)),
                NodeId::Controller(ControllerId(3)),
                NodeId::Broker(BrokerId(1)),
                NodeId::Broker(BrokerId(2)),
                NodeId::Broker(BrokerId(3)),
                NodeId::Client(producer),
                NodeId::Client(consumer),
            ];
            let a = nodes[rng.below(8) as usize];
            let b = nodes
                [(nodes.iter().position(|n| *n == a).unwrap() + 1 + rng.below(7) as usize) % 8];
            let command = match rng.below(12) {
                0 | 1 => Command::FailBroker { broker },
                2 | 3 => Command::RestoreBroker { broker },
                4 => Command::IsolateBroker { broker },
                5 => Command::HealBroker { broker },
                6 => {
                    let controller = Some(ControllerId(1 + rng.below(3) as u32));
                    if rng.chance(0.5) {
                        Command::FailController { controller }
                    } else {
                        Command::RestoreController { controller }
                    }
                }
                7 => {
                    let n = 1 + rng.below(5) as usize;
                    sim.drop_matching(None, None, None, n);
                    Command::HealNetwork
                }
                8 => Command::CutLink {
                    a,
                    b,
                    one_way: rng.chance(0.5),
                },
                9 => Command::SlowLink {
                    a,
                    b,
                    extra_latency_ms: 100 * (1 + rng.below(30)),
                },
                10 => Command::LossyLink {
                    a,
                    b,
                    drop_rate: 0.05 * (1 + rng.below(10)) as f64,
                },
                _ => Command::HealLink { a, b },
            };
            sim.handle(command)?;
        }
        if operations && rng.chance(0.02) && operate(&mut sim, &mut rng, t) {
            ops_done += 1;
        }
        ledger.observe(&mut sim)?;
        now += 100;
        while sim.next_event_time().is_some_and(|n| n <= now) {
            step(&mut sim, &mut ledger, true)?;
        }
        sim.advance_to(now);
        ledger.observe(&mut sim)?;
    }
    sim.handle(Command::HealNetwork)?;
    for c in 1..=3 {
        sim.handle(Command::RestoreController {
            controller: Some(ControllerId(c)),
        })?;
    }
    for b in 1..=sim.brokers().count() as u32 {
        sim.handle(Command::RestoreBroker {
            broker: BrokerId(b),
        })?;
    }
    ledger.observe(&mut sim)?;
    let healed = now;
    let end = healed + SETTLE_MS;
    while sim.next_event_time().is_some_and(|n| n <= end) {
        step(&mut sim, &mut ledger, true)?;
    }
    // Then the consumer catches up, a second at a time.
    let caught_up_by = healed + CATCH_UP_MS;
    while !ledger.caught_up(&sim, t) {
        let until = sim.now() + 1000;
        if until > caught_up_by {
            break;
        }
        while sim.next_event_time().is_some_and(|n| n <= until) {
            step(&mut sim, &mut ledger, true)?;
        }
        sim.advance_to(until);
    }
    let v = checker.check_full(&sim);
    if !v.is_empty() {
        return Err(format!("invariants at the end: {v:?}"));
    }
    ledger.verdict(&sim, t)?;
    // The figure the page shows agrees with the ledger.
    let lost = sim.lost_acked();
    if !lost.is_empty() {
        return Err(format!(
            "the ledger finds nothing lost, the engine reports {lost:?}"
        ));
    }
    ledger.tally.operations = ops_done;
    // Every reassignment finished once the faults healed.
    for p in 0..PARTITIONS {
        let tp = TopicPartition {
            topic: t,
            partition: p,
        };
        let state = sim.partition_state(tp).ok_or("partition")?;
        if state.reassigning() {
            return Err(format!("{tp:?} is still reassigning: {state:?}"));
        }
        if state.replicas
            != [BrokerId(1), BrokerId(2), BrokerId(3)][p as usize..]
                .iter()
                .chain(&[BrokerId(1), BrokerId(2), BrokerId(3)][..p as usize])
                .copied()
                .collect::<Vec<_>>()
        {
            ledger.tally.reassigned += 1;
        }
    }
    Ok(ledger.tally)
}

/// One live cluster operation: add a broker (up to 5), or move a partition to three random
/// brokers, a quarter of the time under a replication throttle. An operation the cluster
/// refuses now (no active controller in the chaos) is simply not done.
fn operate(sim: &mut Simulation, rng: &mut SimRng, t: TopicId) -> bool {
    let brokers = sim.brokers().count() as u32;
    let command = if brokers < 5 && rng.chance(0.3) {
        Command::AddBroker { rack: None }
    } else {
        let mut replicas: Vec<BrokerId> = Vec::new();
        while replicas.len() < 3 {
            let b = BrokerId(1 + rng.below(u64::from(brokers)) as u32);
            if !replicas.contains(&b) {
                replicas.push(b);
            }
        }
        Command::Reassign {
            tp: TopicPartition {
                topic: t,
                partition: rng.below(u64::from(PARTITIONS)) as u32,
            },
            replicas,
            throttle_bytes_per_sec: rng.chance(0.25).then_some(20_000),
        }
    };
    sim.handle(command).is_ok()
}

/// Runs the seeds `s < CHAOS_SEEDS` (default 200) with `s % shards == shard`.
fn sweep(shard: u64, shards: u64) {
    sweep_with(shard, shards, false)
}

fn sweep_with(shard: u64, shards: u64, operations: bool) {
    let total: u64 = std::env::var("CHAOS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut failures = Vec::new();
    let mut sum = Tally::default();
    let seeds: Vec<u64> = (0..total).filter(|s| s % shards == shard).collect();
    for &seed in &seeds {
        match chaos_run(seed, operations) {
            Ok(t) => {
                sum.sent += t.sent;
                sum.acked += t.acked;
                sum.delivered += t.delivered;
                sum.resumed += t.resumed;
                sum.operations += t.operations;
                sum.reassigned += t.reassigned;
            }
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} chaos runs failed:\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n")
    );
    if seeds.is_empty() {
        return;
    }
    // The sweep must exercise something: most sends succeed despite the chaos, the consumer
    // reads, and it resumes after rebalances.
    assert!(
        sum.acked * 2 > sum.sent,
        "only {} of {} sends acknowledged",
        sum.acked,
        sum.sent
    );
    assert!(
        sum.delivered >= sum.acked && sum.resumed > seeds.len() as u64,
        "{} records delivered for {} acknowledged, {} resumptions in {} runs",
        sum.delivered,
        sum.acked,
        sum.resumed,
        seeds.len()
    );
    if operations {
        assert!(
            sum.operations > seeds.len() as u64 && sum.reassigned > seeds.len() as u64 / 2,
            "{} operations accepted and {} partitions moved in {} runs",
            sum.operations,
            sum.reassigned,
            seeds.len()
        );
        eprintln!(
            "{} runs: {} operations accepted, {} partitions moved for good",
            seeds.len(),
            sum.operations,
            sum.reassigned
        );
    }
}

#[test]
fn chaos_loses_no_acks_all_record_duplicates_none_and_consumers_read_committed_in_order_shard_0() {
    sweep(0, 2);
}

#[test]
fn chaos_loses_no_acks_all_record_duplicates_none_and_consumers_read_committed_in_order_shard_1() {
    sweep(1, 2);
}

#[test]
fn chaos_with_reassignments_and_added_brokers_loses_nothing_shard_0() {
    sweep_with(0, 2, true);
}

#[test]
fn chaos_with_reassignments_and_added_brokers_loses_nothing_shard_1() {
    sweep_with(1, 2, true);
}
