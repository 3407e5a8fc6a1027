//! One order's sequence: every message that carried one of its records (produce, replication,
//! acknowledgement, delivery to a consumer, offset commit) and every step a service took for it
//! (processing, email), in simulated time, as the sequence view draws it. Built from the
//! engine's record tap and the services' own steps: what is drawn is what happened.

use serde::Serialize;
use std::rc::Rc;

use super::model::{EmailStep, ServiceKind};
use crate::sim::tap::{TapContent, Tapped};
use crate::sim::{
    BrokerId, DropReason, ErrorCode, MessageId, NodeId, Offset, SimTime, TopicPartition,
};

/// Orders whose sequence is kept (the latest ones).
pub const SEQUENCES_KEPT_MAX: usize = 300;

/// Orders followed per simulated second at most: the page makes at most 20 a second; a faster
/// run (a benchmark, a scenario file) follows one order in a few and the others say so.
pub const FOLLOWED_PER_SECOND_MAX: usize = 25;

/// Steps kept per order (a redelivery storm adds more; the first ones tell the story).
pub const SEQUENCE_STEPS_MAX: usize = 96;

/// Produce requests and commits waiting for their answer, at most (lost answers leave entries).
const WAITING_MAX: usize = 4096;

/// A vertical line of the sequence view: who sends or receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Lifeline {
    /// The customer who places the order and gets the emails.
    Customer,
    /// One instance of a service (its consumer and its producer alike).
    Service {
        /// The service.
        service: ServiceKind,
        /// The instance, from 0.
        instance: usize,
    },
    /// A broker.
    Broker {
        /// Which.
        broker: BrokerId,
    },
}

impl Lifeline {
    /// An instance of a service.
    pub fn service(service: ServiceKind, instance: usize) -> Lifeline {
        Lifeline::Service { service, instance }
    }
}

/// What one step of a sequence is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StepKind {
    /// The customer places the order with order_service.
    Placed,
    /// A producer sends a batch holding the order's record to the partition's leader.
    Produce {
        /// 1 for the first send of this record, 2 and more for retries.
        attempt: u32,
    },
    /// The leader sends the record to a follower (the answer to the follower's fetch).
    Replicate,
    /// The leader answers the produce: the offset, or an error the producer may retry.
    Acknowledge {
        /// The error, when refused.
        error: Option<ErrorCode>,
    },
    /// The leader hands the record to a consumer instance (the answer to its fetch).
    Deliver {
        /// 1 the first time this service gets the record, 2 and more for redeliveries.
        delivery: u32,
    },
    /// The instance processes the record (from start to end).
    Process {
        /// The instance recognised it had already handled it (a redelivery).
        duplicate: bool,
        /// The instance crashed before it finished.
        interrupted: bool,
    },
    /// The instance commits its position past the record to the group coordinator.
    Commit,
    /// The coordinator answers the commit.
    CommitAnswer {
        /// The error, when refused.
        error: Option<ErrorCode>,
    },
    /// The instance stopped (crashed, or lost its partitions) after processing the record
    /// and before committing past it: the group will deliver it again.
    Uncommitted,
    /// email_service sends an email to the customer.
    Email {
        /// Which.
        step: EmailStep,
    },
}

impl StepKind {
    /// A short machine name (the page's `data-kind`).
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Placed => "placed",
            StepKind::Produce { .. } => "produce",
            StepKind::Replicate => "replicate",
            StepKind::Acknowledge { .. } => "acknowledge",
            StepKind::Deliver { .. } => "deliver",
            StepKind::Process { .. } => "process",
            StepKind::Commit => "commit",
            StepKind::CommitAnswer { .. } => "commit_answer",
            StepKind::Uncommitted => "uncommitted",
            StepKind::Email { .. } => "email",
        }
    }
}

/// One arrow (or, for processing, one bar) of the sequence view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeqStep {
    /// The seed's step it belongs to: 1 order created, 2 payment, 3 shipping, 4 emails.
    pub stage: u8,
    /// What it is.
    pub kind: StepKind,
    /// Sender (for processing: the instance).
    pub from: Lifeline,
    /// Receiver (for processing: the instance).
    pub to: Lifeline,
    /// When it was sent (processing: started).
    pub sent_at: SimTime,
    /// When it arrives or arrived (processing: ends), or when it was lost.
    pub at: SimTime,
    /// Whether it has arrived (or, for processing, ended).
    pub arrived: bool,
    /// Why it never arrived.
    pub lost: Option<DropReason>,
    /// The record's partition.
    pub tp: Option<TopicPartition>,
    /// The record's offset (for a commit: the position committed).
    pub offset: Option<Offset>,
    /// The engine message, when it is one.
    pub message: Option<MessageId>,
}

impl SeqStep {
    /// A step that is not a message (the order placed, a processing, a stop, an email): at
    /// `at`, about the record `record` if any.
    fn local(
        stage: u8,
        kind: StepKind,
        from: Lifeline,
        to: Lifeline,
        at: SimTime,
        record: Option<(TopicPartition, Offset)>,
    ) -> SeqStep {
        SeqStep {
            stage,
            kind,
            from,
            to,
            sent_at: at,
            at,
            arrived: true,
            lost: None,
            tp: record.map(|r| r.0),
            offset: record.map(|r| r.1),
            message: None,
        }
    }

    /// Still on its way at `now`.
    pub fn in_flight(&self) -> bool {
        self.message.is_some() && !self.arrived && self.lost.is_none()
    }
}

/// What the sequences need to know about the world: who a node is, which step of the chain a
/// partition's records belong to, and which step a consuming instance takes.
pub trait SequenceContext {
    /// The lifeline of a node (none for controllers and unknown clients).
    fn lifeline(&self, node: NodeId) -> Option<Lifeline>;
    /// The seed's step of the records of a partition (1 order.created, 2 payment, 3 shipping).
    fn stage_of(&self, tp: TopicPartition) -> u8;
}

/// The seed's step a service's own work belongs to.
pub fn service_stage(service: ServiceKind) -> u8 {
    match service {
        ServiceKind::OrderService => 1,
        ServiceKind::PaymentService => 2,
        ServiceKind::ShippingService => 3,
        ServiceKind::EmailService => 4,
    }
}

/// The seed's step of what a lifeline does itself (a service's step; 1 for the others).
fn line_stage(line: Lifeline) -> u8 {
    match line {
        Lifeline::Service { service, .. } => service_stage(service),
        _ => 1,
    }
}

/// Where each step of a followed message sits: order and index of its step.
type StepRef = (u64, usize);

/// A request waiting for its answer: (sender, request id), then the order it carries, its
/// record's partition and (for a commit) the position committed.
type Waiting = ((NodeId, u64), u64, TopicPartition, Offset);

/// Every followed order's sequence and what is needed to match answers to requests. Plain
/// vectors, searched linearly: they hold a few hundred entries at most.
#[derive(Clone, Debug, Default)]
pub struct OrderSequences {
    /// By order id, ascending (orders are numbered in creation order).
    orders: Vec<(u64, Rc<Vec<SeqStep>>)>,

    /// Steps of messages still in flight, by message id (sorted: ids grow with each send).
    by_message: Vec<(MessageId, StepRef)>,
    /// Produce requests waiting for their answer.
    produce_waiting: Vec<Waiting>,
    /// Commits waiting for their answer.
    commit_waiting: Vec<Waiting>,
    /// Records processed and not yet covered by a commit: consumer, partition, offset, order.
    to_commit: Vec<(NodeId, TopicPartition, Offset, u64)>,
}

fn order_of(key: &Rc<str>) -> Option<u64> {
    key.parse().ok()
}

/// Removes and returns the entries `f` picks, in order.
fn take_where<T>(list: &mut Vec<T>, f: impl Fn(&T) -> bool) -> Vec<T> {
    let mut taken = Vec::new();
    let mut i = 0;
    while i < list.len() {
        if f(&list[i]) {
            taken.push(list.remove(i));
        } else {
            i += 1;
        }
    }
    taken
}

/// Appends; beyond [`WAITING_MAX`] (answers that never came) the oldest half is forgotten at
/// once, so a full list costs no more per entry than a short one.
fn push_bounded<T>(list: &mut Vec<T>, entry: T) {
    if list.len() >= WAITING_MAX {
        list.drain(..WAITING_MAX / 2);
    }
    list.push(entry);
}

impl OrderSequences {
    /// Starts following an order the customer just placed with order_service.
    pub fn placed(&mut self, order_id: u64, at: SimTime) {
        let service = Lifeline::Service {
            service: ServiceKind::OrderService,
            instance: 0,
        };
        if self
            .orders
            .last()
            .is_some_and(|(last, _)| *last >= order_id)
        {
            return;
        }
        if self.orders.len() >= SEQUENCES_KEPT_MAX {
            self.orders.remove(0);
        }
        self.orders.push((
            order_id,
            Rc::new(vec![SeqStep::local(
                1,
                StepKind::Placed,
                Lifeline::Customer,
                service,
                at,
                None,
            )]),
        ));
    }

    /// Bytes these sequences add to a set of clones whose shared steps are in `seen`.
    pub fn footprint(&self, seen: &mut std::collections::HashSet<usize>) -> usize {
        let mut bytes = 1024
            + (self.by_message.len() + self.produce_waiting.len() + self.commit_waiting.len()) * 32
            + self.to_commit.len() * 40;
        for (_, steps) in &self.orders {
            bytes += 24;
            if seen.insert(Rc::as_ptr(steps) as usize) {
                bytes += steps.capacity() * std::mem::size_of::<SeqStep>();
            }
        }
        bytes
    }

    /// Where the order sits: orders are numbered one after another, so its place is usually
    /// its distance from the first one followed.
    fn index(&self, order_id: u64) -> Option<usize> {
        let first = self.orders.first()?.0;
        let guess = usize::try_from(order_id.checked_sub(first)?).ok()?;
        match self.orders.get(guess) {
            Some((o, _)) if *o == order_id => Some(guess),
            _ => self.orders.binary_search_by(|(o, _)| o.cmp(&order_id)).ok(),
        }
    }

    fn steps(&self, order_id: u64) -> Option<&Vec<SeqStep>> {
        self.index(order_id).map(|i| &*self.orders[i].1)
    }

    fn steps_mut(&mut self, order_id: u64) -> Option<&mut Vec<SeqStep>> {
        self.index(order_id)
            .map(|i| Rc::make_mut(&mut self.orders[i].1))
    }

    /// The order's steps in time order (each is added when it is sent or starts), if it is
    /// followed.
    pub fn sequence(&self, order_id: u64) -> Option<Vec<SeqStep>> {
        self.steps(order_id).cloned()
    }

    /// Whether the order is followed.
    pub fn follows(&self, order_id: u64) -> bool {
        self.steps(order_id).is_some()
    }

    /// Adds a step; returns its index.
    fn add(&mut self, order_id: u64, step: SeqStep) -> Option<usize> {
        let steps = self.steps_mut(order_id)?;
        if steps.len() >= SEQUENCE_STEPS_MAX {
            return None;
        }
        steps.push(step);
        Some(steps.len() - 1)
    }

    fn count(&self, order_id: u64, f: impl Fn(&SeqStep) -> bool) -> u32 {
        self.steps(order_id)
            .map_or(0, |s| s.iter().filter(|x| f(x)).count() as u32)
    }

    /// Takes in what the engine's record tap listed (leaving `entries` empty).
    pub fn ingest(&mut self, entries: &mut Vec<Tapped>, ctx: &impl SequenceContext) {
        for entry in entries.drain(..) {
            match entry {
                Tapped::Sent {
                    id,
                    from,
                    to,
                    sent_at,
                    deliver_at,
                    content,
                } => self.sent(id, from, to, sent_at, deliver_at, content, ctx),
                Tapped::Arrived { id, at } => self.settle(id, at, None),
                Tapped::Lost { id, at, reason } => self.settle(id, at, Some(reason)),
            }
        }
    }

    fn settle(&mut self, id: MessageId, at: SimTime, lost: Option<DropReason>) {
        // Ids grow with each send, and entries are added as messages are sent: the list is
        // sorted, and one message's entries are side by side.
        let start = self.by_message.partition_point(|(m, _)| *m < id);
        let end = start + self.by_message[start..].partition_point(|(m, _)| *m == id);
        for j in start..end {
            let (order, i) = self.by_message[j].1;
            if let Some(step) = self.steps_mut(order).and_then(|s| s.get_mut(i)) {
                step.at = at;
                step.arrived = lost.is_none();
                step.lost = lost;
            }
        }
        self.by_message.drain(start..end);
    }

    /// Whether a tapped message may concern a followed order (cheap: checked before anything
    /// else, as most messages at high rates do not).
    fn concerns_followed(&self, from: NodeId, to: NodeId, content: &TapContent) -> bool {
        let followed = |key: &Rc<str>| order_of(key).is_some_and(|o| self.follows(o));
        match content {
            TapContent::Produce { keys, .. } => keys.iter().any(followed),
            TapContent::Replicated { records } | TapContent::Fetched { records } => {
                records.iter().any(|(_, _, k)| followed(k))
            }
            TapContent::ProduceAnswer { request_id, .. } => self
                .produce_waiting
                .iter()
                .any(|w| w.0 == (to, *request_id)),
            TapContent::Commit { .. } => self.to_commit.iter().any(|c| c.0 == from),
            TapContent::CommitAnswer { request_id, .. } => {
                self.commit_waiting.iter().any(|w| w.0 == (to, *request_id))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn sent(
        &mut self,
        id: MessageId,
        from: NodeId,
        to: NodeId,
        sent_at: SimTime,
        deliver_at: SimTime,
        content: TapContent,
        ctx: &impl SequenceContext,
    ) {
        if !self.concerns_followed(from, to, &content) {
            return;
        }
        let (Some(from_line), Some(to_line)) = (ctx.lifeline(from), ctx.lifeline(to)) else {
            return;
        };
        let step =
            |stage: u8, kind: StepKind, tp: TopicPartition, offset: Option<Offset>| SeqStep {
                stage,
                kind,
                from: from_line,
                to: to_line,
                sent_at,
                at: deliver_at,
                arrived: false,
                lost: None,
                tp: Some(tp),
                offset,
                message: Some(id),
            };
        let mut refs: Vec<StepRef> = Vec::new();
        match content {
            TapContent::Produce {
                request_id,
                tp,
                keys,
            } => {
                let mut inside: Vec<u64> = Vec::new();
                for order in keys.iter().filter_map(order_of) {
                    if !self.follows(order) || inside.contains(&order) {
                        continue;
                    }
                    let attempt = 1 + self.count(order, |s| {
                        matches!(s.kind, StepKind::Produce { .. })
                            && s.tp.is_some_and(|x| x.topic == tp.topic)
                    });
                    let stage = ctx.stage_of(tp);
                    if let Some(i) =
                        self.add(order, step(stage, StepKind::Produce { attempt }, tp, None))
                    {
                        refs.push((order, i));
                    }
                    inside.push(order);
                    push_bounded(
                        &mut self.produce_waiting,
                        ((from, request_id), order, tp, 0),
                    );
                }
            }
            TapContent::ProduceAnswer {
                request_id,
                tp,
                result,
            } => {
                let key = (to, request_id);
                for (_, order, _, _) in take_where(&mut self.produce_waiting, |w| w.0 == key) {
                    let (offset, error) = match result {
                        Ok(base) => (Some(base), None),
                        Err(e) => (None, Some(e)),
                    };
                    let kind = StepKind::Acknowledge { error };
                    if let Some(i) = self.add(order, step(ctx.stage_of(tp), kind, tp, offset)) {
                        refs.push((order, i));
                    }
                }
                // The exact offset of each order's record is filled in by `written`.
            }
            TapContent::Replicated { records } | TapContent::Fetched { records } => {
                let replicated = matches!(to_line, Lifeline::Broker { .. });
                for (tp, offset, key) in &records {
                    let tp = *tp;
                    let Some(order) = order_of(key).filter(|o| self.follows(*o)) else {
                        continue;
                    };
                    let (stage, kind) = if replicated {
                        (ctx.stage_of(tp), StepKind::Replicate)
                    } else {
                        let service = match to_line {
                            Lifeline::Service { service, .. } => service,
                            _ => continue,
                        };
                        let delivery = 1 + self.count(order, |s| {
                            matches!(s.kind, StepKind::Deliver { .. })
                                && s.tp == Some(tp)
                                && s.offset == Some(*offset)
                                && matches!(s.to, Lifeline::Service { service: k, .. } if k == service)
                        });
                        (service_stage(service), StepKind::Deliver { delivery })
                    };
                    if let Some(i) = self.add(order, step(stage, kind, tp, Some(*offset))) {
                        refs.push((order, i));
                    }
                }
            }
            TapContent::Commit {
                request_id,
                offsets,
            } => {
                let covered = take_where(&mut self.to_commit, |(c, tp, o, _)| {
                    *c == from
                        && offsets
                            .iter()
                            .any(|(ctp, position)| ctp == tp && position > o)
                });
                let stage = line_stage(from_line);
                for (_, tp, _, order) in covered {
                    let position = offsets.iter().find(|(x, _)| *x == tp).map(|(_, p)| *p);
                    if let Some(i) = self.add(order, step(stage, StepKind::Commit, tp, position)) {
                        refs.push((order, i));
                        let waiting = ((from, request_id), order, tp, position.unwrap_or(0));
                        push_bounded(&mut self.commit_waiting, waiting);
                    }
                }
            }
            TapContent::CommitAnswer { request_id, error } => {
                let stage = line_stage(to_line);
                let key = (to, request_id);
                for (_, order, tp, position) in take_where(&mut self.commit_waiting, |w| w.0 == key)
                {
                    let kind = StepKind::CommitAnswer { error };
                    if let Some(i) = self.add(order, step(stage, kind, tp, Some(position))) {
                        refs.push((order, i));
                    }
                }
            }
        }
        for r in refs {
            push_bounded(&mut self.by_message, (id, r));
        }
    }

    /// The producer was told the order's record is at `offset` of `tp`: the acknowledgement
    /// arrow shows that offset rather than the batch's base.
    pub fn written(&mut self, order_id: u64, tp: TopicPartition, offset: Offset) {
        if let Some(step) = self.steps_mut(order_id).and_then(|s| {
            s.iter_mut().rev().find(|x| {
                matches!(x.kind, StepKind::Acknowledge { error: None }) && x.tp == Some(tp)
            })
        }) {
            step.offset = Some(offset);
        }
    }

    /// An instance started processing the order's record; it ends at `until`.
    pub fn processing(
        &mut self,
        order_id: u64,
        who: Lifeline,
        record: (TopicPartition, Offset),
        at: SimTime,
        until: SimTime,
    ) {
        let kind = StepKind::Process {
            duplicate: false,
            interrupted: false,
        };
        let mut step = SeqStep::local(line_stage(who), kind, who, who, at, Some(record));
        step.at = until;
        step.arrived = false;
        self.add(order_id, step);
    }

    fn last_processing(&mut self, order_id: u64, who: Lifeline) -> Option<&mut SeqStep> {
        self.steps_mut(order_id)?
            .iter_mut()
            .rev()
            .find(|s| s.from == who && matches!(s.kind, StepKind::Process { .. }) && !s.arrived)
    }

    /// The instance recognised the record it is processing as one it had handled already.
    pub fn duplicate(&mut self, order_id: u64, who: Lifeline) {
        if let Some(step) = self.last_processing(order_id, who) {
            step.kind = StepKind::Process {
                duplicate: true,
                interrupted: false,
            };
        }
    }

    /// The instance finished processing the order's record; its commit will cover it.
    pub fn processed(
        &mut self,
        order_id: u64,
        who: Lifeline,
        consumer: NodeId,
        record: (TopicPartition, Offset),
        at: SimTime,
    ) {
        if let Some(step) = self.last_processing(order_id, who) {
            step.arrived = true;
            step.at = at;
        }
        if self.follows(order_id) {
            push_bounded(
                &mut self.to_commit,
                (consumer, record.0, record.1, order_id),
            );
        }
    }

    /// The instance crashed (or lost its partitions) while processing the order's record: it
    /// never finished, and what it processed before is not committed by it any more.
    pub fn abandoned(
        &mut self,
        order_id: Option<u64>,
        who: Lifeline,
        consumer: NodeId,
        at: SimTime,
    ) {
        if let Some(step) = order_id.and_then(|o| self.last_processing(o, who)) {
            step.at = at;
            step.kind = StepKind::Process {
                duplicate: false,
                interrupted: true,
            };
        }
        for (_, tp, offset, order) in take_where(&mut self.to_commit, |(c, ..)| *c == consumer) {
            let kind = StepKind::Uncommitted;
            let step = SeqStep::local(line_stage(who), kind, who, who, at, Some((tp, offset)));
            self.add(order, step);
        }
    }

    /// email_service sent an email about the order.
    pub fn emailed(&mut self, order_id: u64, instance: usize, step: EmailStep, at: SimTime) {
        let from = Lifeline::Service {
            service: ServiceKind::EmailService,
            instance,
        };
        let step = SeqStep::local(
            4,
            StepKind::Email { step },
            from,
            Lifeline::Customer,
            at,
            None,
        );
        self.add(order_id, step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{ClientId, TopicId};

    /// Client 1 is order_service, client 2 payment_service's consumer; topic 0 is order.created.
    struct Lines;

    impl SequenceContext for Lines {
        fn lifeline(&self, node: NodeId) -> Option<Lifeline> {
            match node {
                NodeId::Broker(broker) => Some(Lifeline::Broker { broker }),
                NodeId::Client(ClientId(1)) => Some(ORDER),
                NodeId::Client(ClientId(2)) => Some(PAYMENT),
                _ => None,
            }
        }
        fn stage_of(&self, _: TopicPartition) -> u8 {
            1
        }
    }

    const ORDER: Lifeline = Lifeline::Service {
        service: ServiceKind::OrderService,
        instance: 0,
    };
    const PAYMENT: Lifeline = Lifeline::Service {
        service: ServiceKind::PaymentService,
        instance: 0,
    };
    const TP: TopicPartition = TopicPartition {
        topic: TopicId(0),
        partition: 1,
    };
    const PRODUCER: NodeId = NodeId::Client(ClientId(1));
    const CONSUMER: NodeId = NodeId::Client(ClientId(2));
    const LEADER: NodeId = NodeId::Broker(BrokerId(2));

    fn sent(id: u64, from: NodeId, to: NodeId, at: SimTime, content: TapContent) -> Tapped {
        Tapped::Sent {
            id: MessageId(id),
            from,
            to,
            sent_at: at,
            deliver_at: at + 2,
            content,
        }
    }

    fn produce(id: u64, request_id: u64, at: SimTime) -> Tapped {
        let keys = vec![Rc::from("7"), Rc::from("8")];
        sent(
            id,
            PRODUCER,
            LEADER,
            at,
            TapContent::Produce {
                request_id,
                tp: TP,
                keys,
            },
        )
    }

    fn kinds(seq: &OrderSequences, order: u64) -> Vec<StepKind> {
        seq.sequence(order)
            .unwrap()
            .into_iter()
            .map(|s| s.kind)
            .collect()
    }

    #[test]
    fn a_lost_produce_and_its_retry_are_told_apart_and_the_answer_finds_its_request() {
        let mut seq = OrderSequences::default();
        seq.placed(7, 0);
        seq.ingest(
            &mut vec![
                produce(10, 1, 5),
                Tapped::Lost {
                    id: MessageId(10),
                    at: 6,
                    reason: DropReason::NodeDown,
                },
                produce(11, 2, 50),
                Tapped::Arrived {
                    id: MessageId(11),
                    at: 52,
                },
                // An answer to another request of the same producer is not this order's.
                sent(
                    12,
                    LEADER,
                    PRODUCER,
                    53,
                    TapContent::ProduceAnswer {
                        request_id: 9,
                        tp: TP,
                        result: Ok(0),
                    },
                ),
                sent(
                    13,
                    LEADER,
                    PRODUCER,
                    54,
                    TapContent::ProduceAnswer {
                        request_id: 2,
                        tp: TP,
                        result: Ok(40),
                    },
                ),
            ],
            &Lines,
        );
        seq.written(7, TP, 40);
        assert_eq!(
            kinds(&seq, 7),
            vec![
                StepKind::Placed,
                StepKind::Produce { attempt: 1 },
                StepKind::Produce { attempt: 2 },
                StepKind::Acknowledge { error: None },
            ]
        );
        let steps = seq.sequence(7).unwrap();
        assert_eq!(
            (steps[1].lost, steps[1].at, steps[1].arrived),
            (Some(DropReason::NodeDown), 6, false)
        );
        assert_eq!((steps[2].arrived, steps[2].at), (true, 52));
        assert_eq!(
            steps[3].offset,
            Some(40),
            "the order's own offset, not the batch's base"
        );
        assert!(steps[3].in_flight(), "the answer has not arrived yet");
        // Order 8 was never placed here: not followed, nothing kept.
        assert!(seq.sequence(8).is_none());
    }

    #[test]
    fn a_commit_covers_only_what_its_consumer_processed_below_the_position() {
        let mut seq = OrderSequences::default();
        seq.placed(7, 0);
        seq.placed(8, 0);
        let fetched = TapContent::Fetched {
            records: vec![(TP, 40, Rc::from("7")), (TP, 41, Rc::from("8"))],
        };
        seq.ingest(&mut vec![sent(20, LEADER, CONSUMER, 10, fetched)], &Lines);
        for (order, offset) in [(7, 40), (8, 41)] {
            seq.processing(order, PAYMENT, (TP, offset), 12, 20);
            seq.processed(order, PAYMENT, CONSUMER, (TP, offset), 20);
        }
        let commit = |id, position| {
            sent(
                id,
                CONSUMER,
                LEADER,
                30,
                TapContent::Commit {
                    request_id: id,
                    offsets: vec![(TP, position)],
                },
            )
        };
        // Position 41 covers offset 40 only; 42 then covers 41.
        seq.ingest(&mut vec![commit(30, 41), commit(31, 42)], &Lines);
        seq.ingest(
            &mut vec![sent(
                32,
                LEADER,
                CONSUMER,
                33,
                TapContent::CommitAnswer {
                    request_id: 30,
                    error: None,
                },
            )],
            &Lines,
        );
        let commits = |order| -> Vec<(StepKind, Option<Offset>)> {
            seq.sequence(order)
                .unwrap()
                .into_iter()
                .filter(|s| matches!(s.kind, StepKind::Commit | StepKind::CommitAnswer { .. }))
                .map(|s| (s.kind, s.offset))
                .collect()
        };
        assert_eq!(
            commits(7),
            vec![
                (StepKind::Commit, Some(41)),
                (StepKind::CommitAnswer { error: None }, Some(41))
            ]
        );
        assert_eq!(commits(8), vec![(StepKind::Commit, Some(42))]);
        let seven = kinds(&seq, 7);
        assert_eq!(seven[1], StepKind::Deliver { delivery: 1 });
        assert_eq!(
            seven[2],
            StepKind::Process {
                duplicate: false,
                interrupted: false
            }
        );
    }

    #[test]
    fn only_the_latest_orders_are_followed() {
        let mut seq = OrderSequences::default();
        for order in 1..=(SEQUENCES_KEPT_MAX as u64 + 5) {
            seq.placed(order, order);
        }
        assert!(!seq.follows(5) && seq.follows(6));
        assert!(seq.follows(SEQUENCES_KEPT_MAX as u64 + 5));
    }
}
