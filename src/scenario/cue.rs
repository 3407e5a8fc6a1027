//! Narration cues: the event a lesson's step describes (`"on": {"event": "leader_changed",
//! "topic": "t", "broker": 2}`), and the tracker that finds, during a run, the instant each
//! step's event happens. A step is shown when its event happens, not at a fixed time: its
//! `at_ms` is only the earliest instant it may be shown, and a step waits for the one before.

use serde::{Deserialize, Serialize};

use super::format::NarrationStep;
use crate::services::{LogEntry, LogEvent, OrderStage, ServiceKind};
use crate::sim::{EventKind, NodeId, SimTime, TopicId, TopicPartition};

/// What a step waits for: an event's type and the facts it must carry. A field left out
/// matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cue {
    /// The event type: an engine event (`leader_changed`, `isr_changed`, `produce_acked`...)
    /// or a service one (`order`, `duplicate_ignored`).
    pub event: String,
    /// The partition's topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The partition's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<u32>,
    /// The broker (for `leader_changed`, the new leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker: Option<u32>,
    /// The controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<u32>,
    /// The client (`client-N`'s N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<u32>,
    /// The new ISR, in any order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isr: Option<Vec<u32>>,
    /// The error, as Kafka names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether the election was unclean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unclean: Option<bool>,
    /// Whether the partition went offline (no leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<bool>,
    /// The controller's quorum role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The leader epoch or the quorum epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    /// The record's offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The group's generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u32>,
    /// The order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<u64>,
    /// The order's new stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceKind>,
    /// The partition's replicas, in order (for a reassignment: the target once it completed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Vec<u32>>,
}

// One bit per fact a cue may ask for.
const TOPIC: u32 = 1;
const PARTITION: u32 = 1 << 1;
const BROKER: u32 = 1 << 2;
const CONTROLLER: u32 = 1 << 3;
const CLIENT: u32 = 1 << 4;
const ISR: u32 = 1 << 5;
const ERROR: u32 = 1 << 6;
const UNCLEAN: u32 = 1 << 7;
const OFFLINE: u32 = 1 << 8;
const ROLE: u32 = 1 << 9;
const EPOCH: u32 = 1 << 10;
const OFFSET: u32 = 1 << 11;
const GENERATION: u32 = 1 << 12;
const ORDER: u32 = 1 << 13;
const STAGE: u32 = 1 << 14;
const SERVICE: u32 = 1 << 15;
const REPLICAS: u32 = 1 << 16;
const TP: u32 = TOPIC | PARTITION;
const NODE: u32 = BROKER | CONTROLLER | CLIENT;

/// Every event a cue can wait for, with the facts it carries.
pub const CUE_EVENTS: [(&str, u32); 38] = [
    ("message_dropped", 0),
    ("node_crashed", NODE),
    ("node_restarted", NODE),
    ("node_isolated", NODE),
    ("node_healed", NODE),
    ("link_changed", 0),
    ("broker_registered", BROKER),
    ("broker_fenced", BROKER),
    ("broker_unfenced", BROKER),
    ("broker_controlled_shutdown", BROKER),
    ("broker_unregistered", BROKER),
    ("broker_stopped", BROKER),
    ("broker_added", BROKER),
    ("topic_config_changed", TOPIC),
    ("partition_created", TP | REPLICAS),
    ("replicas_changed", TP | REPLICAS),
    ("replica_deleted", TP | BROKER),
    ("quorum_role_changed", CONTROLLER | ROLE | EPOCH),
    ("quorum_voted", CONTROLLER | EPOCH),
    ("controller_activated", CONTROLLER | EPOCH),
    ("leader_changed", TP | BROKER | UNCLEAN | OFFLINE | EPOCH),
    ("isr_changed", TP | ISR),
    ("truncated", TP | BROKER),
    ("produce_error", TP | CLIENT | ERROR),
    ("produce_acked", TP | CLIENT | OFFSET),
    ("produce_sent_unacknowledged", TP | CLIENT),
    ("produce_failed", TP | CLIENT | ERROR),
    ("produce_abandoned", TP | CLIENT),
    ("duplicate_suppressed", TP | BROKER | OFFSET),
    ("records_delivered", TP | CLIENT | OFFSET),
    ("offset_reset", TP | CLIENT | OFFSET),
    ("offsets_committed", TP | CLIENT),
    ("commit_failed", CLIENT | ERROR),
    ("group_rebalanced", GENERATION),
    ("partitions_assigned", CLIENT),
    ("partitions_revoked", CLIENT),
    ("member_expired", CLIENT),
    ("order", ORDER | STAGE),
];

/// The service-level event besides `order` (kept apart so the table stays engine-shaped).
const DUPLICATE_IGNORED: (&str, u32) = ("duplicate_ignored", ORDER | SERVICE);

/// The facts an event carries (what a cue compares), as a cue with every known field set.
fn engine_facts(kind: &EventKind) -> Option<Cue> {
    use EventKind as K;
    let mut f = Cue::default();
    let tp = |f: &mut Cue, tp: &TopicPartition| {
        f.topic = Some(topic_key(tp.topic));
        f.partition = Some(tp.partition);
    };
    let node = |f: &mut Cue, n: &NodeId| match n {
        NodeId::Broker(b) => f.broker = Some(b.0),
        NodeId::Controller(c) => f.controller = Some(c.0),
        NodeId::Client(c) => f.client = Some(c.0),
    };
    let name = match kind {
        K::MessageDropped { .. } => "message_dropped",
        K::NodeCrashed { node: n } => {
            node(&mut f, n);
            "node_crashed"
        }
        K::NodeRestarted { node: n } => {
            node(&mut f, n);
            "node_restarted"
        }
        K::NodeIsolated { node: n } => {
            node(&mut f, n);
            "node_isolated"
        }
        K::NodeHealed { node: n } => {
            node(&mut f, n);
            "node_healed"
        }
        K::LinkChanged { .. } => "link_changed",
        K::BrokerRegistered { broker } => {
            f.broker = Some(broker.0);
            "broker_registered"
        }
        K::BrokerFenced { broker } => {
            f.broker = Some(broker.0);
            "broker_fenced"
        }
        K::BrokerUnfenced { broker } => {
            f.broker = Some(broker.0);
            "broker_unfenced"
        }
        K::BrokerControlledShutdown { broker } => {
            f.broker = Some(broker.0);
            "broker_controlled_shutdown"
        }
        K::BrokerUnregistered { broker } => {
            f.broker = Some(broker.0);
            "broker_unregistered"
        }
        K::BrokerStopped { broker } => {
            f.broker = Some(broker.0);
            "broker_stopped"
        }
        K::BrokerAdded { broker, .. } => {
            f.broker = Some(broker.0);
            "broker_added"
        }
        K::TopicConfigChanged { topic, .. } => {
            f.topic = Some(topic_key(*topic));
            "topic_config_changed"
        }
        K::PartitionCreated { tp: p, replicas } => {
            tp(&mut f, p);
            f.replicas = Some(replicas.iter().map(|b| b.0).collect());
            "partition_created"
        }
        K::ReplicasChanged {
            tp: p, replicas, ..
        } => {
            tp(&mut f, p);
            f.replicas = Some(replicas.iter().map(|b| b.0).collect());
            "replicas_changed"
        }
        K::ReplicaDeleted { broker, tp: p, .. } => {
            tp(&mut f, p);
            f.broker = Some(broker.0);
            "replica_deleted"
        }
        K::QuorumRoleChanged {
            controller,
            role,
            epoch,
            ..
        } => {
            f.controller = Some(controller.0);
            f.role = Some(role.name().to_string());
            f.epoch = Some(*epoch);
            "quorum_role_changed"
        }
        K::QuorumVoted {
            controller, epoch, ..
        } => {
            f.controller = Some(controller.0);
            f.epoch = Some(*epoch);
            "quorum_voted"
        }
        K::ControllerActivated { controller, epoch } => {
            f.controller = Some(controller.0);
            f.epoch = Some(*epoch);
            "controller_activated"
        }
        K::LeaderChanged {
            tp: p,
            leader,
            leader_epoch,
            unclean,
            ..
        } => {
            tp(&mut f, p);
            f.broker = leader.map(|b| b.0);
            f.offline = Some(leader.is_none());
            f.epoch = Some(*leader_epoch);
            f.unclean = Some(*unclean);
            "leader_changed"
        }
        K::IsrChanged { tp: p, isr, .. } => {
            tp(&mut f, p);
            f.isr = Some(isr.iter().map(|b| b.0).collect());
            "isr_changed"
        }
        K::Truncated { broker, tp: p, .. } => {
            tp(&mut f, p);
            f.broker = Some(broker.0);
            "truncated"
        }
        K::ProduceError {
            producer,
            tp: p,
            error,
            ..
        } => {
            tp(&mut f, p);
            f.client = Some(producer.0);
            f.error = Some(error.name().to_string());
            "produce_error"
        }
        K::ProduceAcked {
            producer,
            tp: p,
            offset,
            ..
        } => {
            tp(&mut f, p);
            f.client = Some(producer.0);
            f.offset = Some(*offset);
            "produce_acked"
        }
        K::ProduceSentUnacknowledged {
            producer, tp: p, ..
        } => {
            tp(&mut f, p);
            f.client = Some(producer.0);
            "produce_sent_unacknowledged"
        }
        K::ProduceFailed {
            producer,
            tp: p,
            error,
            ..
        } => {
            tp(&mut f, p);
            f.client = Some(producer.0);
            f.error = Some(error.name().to_string());
            "produce_failed"
        }
        K::ProduceAbandoned {
            producer, tp: p, ..
        } => {
            tp(&mut f, p);
            f.client = Some(producer.0);
            "produce_abandoned"
        }
        K::DuplicateSuppressed {
            broker,
            tp: p,
            offset,
        } => {
            tp(&mut f, p);
            f.broker = Some(broker.0);
            f.offset = Some(*offset);
            "duplicate_suppressed"
        }
        K::RecordsDelivered { consumer, records } => {
            if let Some(r) = records.first() {
                tp(&mut f, &r.tp);
                f.offset = Some(r.offset);
            }
            f.client = Some(consumer.0);
            "records_delivered"
        }
        K::OffsetReset {
            consumer,
            tp: p,
            offset,
        } => {
            tp(&mut f, p);
            f.client = Some(consumer.0);
            f.offset = Some(*offset);
            "offset_reset"
        }
        K::OffsetsCommitted { consumer, offsets } => {
            if let Some((p, _)) = offsets.first() {
                tp(&mut f, p);
            }
            f.client = Some(consumer.0);
            "offsets_committed"
        }
        K::CommitFailed { consumer, error } => {
            f.client = Some(consumer.0);
            f.error = Some(error.name().to_string());
            "commit_failed"
        }
        K::GroupRebalanced { generation, .. } => {
            f.generation = Some(*generation);
            "group_rebalanced"
        }
        K::PartitionsAssigned { consumer, .. } => {
            f.client = Some(consumer.0);
            "partitions_assigned"
        }
        K::PartitionsRevoked { consumer } => {
            f.client = Some(consumer.0);
            "partitions_revoked"
        }
        K::MemberExpired { member, .. } => {
            f.client = Some(member.0);
            "member_expired"
        }
        K::AppTimer { .. } => return None,
    };
    f.event = name.to_string();
    Some(f)
}

/// The facts of a service event.
fn service_facts(event: &LogEvent) -> Option<Cue> {
    match event {
        LogEvent::Engine { .. } => None,
        LogEvent::Order { order_id, stage } => Some(Cue {
            event: "order".into(),
            order: Some(*order_id),
            stage: Some(stage_name(*stage).into()),
            ..Cue::default()
        }),
        LogEvent::DuplicateIgnored { service, order_id } => Some(Cue {
            event: DUPLICATE_IGNORED.0.into(),
            order: Some(*order_id),
            service: Some(*service),
            ..Cue::default()
        }),
    }
}

/// How a tracker names a topic in facts: by its id (cues name it, the tracker resolves it).
fn topic_key(id: TopicId) -> String {
    format!("#{}", id.0)
}

/// An order stage as cues name it.
pub fn stage_name(stage: OrderStage) -> &'static str {
    match stage {
        OrderStage::Created => "created",
        OrderStage::Published => "published",
        OrderStage::Paid => "paid",
        OrderStage::Refused => "refused",
        OrderStage::Shipped => "shipped",
        OrderStage::Completed => "completed",
        OrderStage::PublishFailed => "publish_failed",
    }
}

/// Whether `want`'s field (when given) equals the fact.
fn same<T: PartialEq>(want: &Option<T>, fact: &Option<T>) -> bool {
    want.is_none() || want == fact
}

impl Cue {
    /// Whether an event with these facts is the one this cue waits for.
    fn matches(&self, f: &Cue) -> bool {
        let isr = match (&self.isr, &f.isr) {
            (None, _) => true,
            (Some(want), Some(got)) => {
                let (mut a, mut b) = (want.clone(), got.clone());
                crate::sim::sort::sort_by_key(&mut a, |x| *x);
                crate::sim::sort::sort_by_key(&mut b, |x| *x);
                a == b
            }
            (Some(_), None) => false,
        };
        self.event == f.event
            && isr
            && same(&self.topic, &f.topic)
            && same(&self.partition, &f.partition)
            && same(&self.broker, &f.broker)
            && same(&self.controller, &f.controller)
            && same(&self.client, &f.client)
            && same(&self.error, &f.error)
            && same(&self.unclean, &f.unclean)
            && same(&self.offline, &f.offline)
            && same(&self.role, &f.role)
            && same(&self.epoch, &f.epoch)
            && same(&self.offset, &f.offset)
            && same(&self.generation, &f.generation)
            && same(&self.order, &f.order)
            && same(&self.stage, &f.stage)
            && same(&self.service, &f.service)
            && same(&self.replicas, &f.replicas)
    }

    /// The facts this cue asks for, as bits, with their names.
    fn asked(&self) -> [(bool, u32, &'static str); 17] {
        [
            (self.topic.is_some(), TOPIC, "topic"),
            (self.partition.is_some(), PARTITION, "partition"),
            (self.broker.is_some(), BROKER, "broker"),
            (self.controller.is_some(), CONTROLLER, "controller"),
            (self.client.is_some(), CLIENT, "client"),
            (self.isr.is_some(), ISR, "isr"),
            (self.error.is_some(), ERROR, "error"),
            (self.unclean.is_some(), UNCLEAN, "unclean"),
            (self.offline.is_some(), OFFLINE, "offline"),
            (self.role.is_some(), ROLE, "role"),
            (self.epoch.is_some(), EPOCH, "epoch"),
            (self.offset.is_some(), OFFSET, "offset"),
            (self.generation.is_some(), GENERATION, "generation"),
            (self.order.is_some(), ORDER, "order"),
            (self.stage.is_some(), STAGE, "stage"),
            (self.service.is_some(), SERVICE, "service"),
            (self.replicas.is_some(), REPLICAS, "replicas"),
        ]
    }

    /// Checks the cue names a known event and only facts that event carries: the error is
    /// (field below `on`, message).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let Some((_, carries)) = CUE_EVENTS
            .iter()
            .chain(std::iter::once(&DUPLICATE_IGNORED))
            .find(|(name, _)| *name == self.event)
        else {
            let names: Vec<&str> = CUE_EVENTS.iter().map(|(n, _)| *n).collect();
            return Err((
                "event",
                format!(
                    "unknown event \"{}\" (known: {}, {})",
                    self.event,
                    names.join(", "),
                    DUPLICATE_IGNORED.0
                ),
            ));
        };
        for (given, bit, field) in self.asked() {
            if given && carries & bit == 0 {
                return Err((field, format!("an event {} has no {field}", self.event)));
            }
        }
        Ok(())
    }
}

/// Finds, as a run goes, when each narration step is shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CueTracker {
    /// Each step's earliest instant and cue.
    steps: Vec<(SimTime, Option<Cue>)>,
    /// When each step was shown; `None` while it waits.
    pub shown_at: Vec<Option<SimTime>>,
    /// Steps shown so far (they are shown in order).
    pub reached: usize,
}

impl CueTracker {
    /// A tracker for these steps; `topic` finds a topic's id by name (a cue naming a topic
    /// that does not exist never matches).
    pub fn new(narration: &[NarrationStep], topic: impl Fn(&str) -> Option<TopicId>) -> Self {
        let resolve = |cue: &Cue| {
            let mut cue = cue.clone();
            if let Some(name) = cue.topic.take() {
                cue.topic = Some(topic(&name).map_or_else(|| format!("?{name}"), topic_key));
            }
            cue
        };
        CueTracker {
            steps: narration
                .iter()
                .map(|s| (s.at_ms, s.on.as_ref().map(resolve)))
                .collect(),
            shown_at: vec![None; narration.len()],
            reached: 0,
        }
    }

    /// The earliest instant the next step may be shown, when it waits for no event (the
    /// runner stops there to show it on time).
    pub fn next_timed(&self) -> Option<SimTime> {
        match self.steps.get(self.reached) {
            Some((at, None)) => Some(*at),
            _ => None,
        }
    }

    /// Shows the steps that wait for no event and are due at `now`; returns how many.
    pub fn reach_time(&mut self, now: SimTime) -> usize {
        let before = self.reached;
        while let Some((at, None)) = self.steps.get(self.reached) {
            if *at > now {
                break;
            }
            // Shown at its instant (time may pass it with nothing happening), after the last.
            let after = self.reached.checked_sub(1).and_then(|i| self.shown_at[i]);
            self.shown_at[self.reached] = Some(after.map_or(*at, |a| a.max(*at)));
            self.reached += 1;
        }
        self.reached - before
    }

    /// Reads one event: shows the timed steps due before it, then the next step if this is
    /// its event. Returns how many steps were shown.
    fn reach(&mut self, at: SimTime, facts: Option<Cue>) -> usize {
        let mut shown = self.reach_time(at);
        if let (Some(facts), Some((earliest, Some(cue)))) = (facts, self.steps.get(self.reached)) {
            if at >= *earliest && cue.matches(&facts) {
                self.shown_at[self.reached] = Some(at);
                self.reached += 1;
                shown += 1 + self.reach_time(at);
            }
        }
        shown
    }

    /// Reads an engine event.
    pub fn engine_event(&mut self, at: SimTime, kind: &EventKind) -> usize {
        if self.reached >= self.steps.len() {
            return 0;
        }
        self.reach(at, engine_facts(kind))
    }

    /// Reads a service log entry.
    pub fn service_event(&mut self, entry: &LogEntry) -> usize {
        if self.reached >= self.steps.len() {
            return 0;
        }
        self.reach(entry.at, service_facts(&entry.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{BrokerId, LeaderEpoch};

    fn step(at_ms: SimTime, on: Option<Cue>) -> NarrationStep {
        NarrationStep {
            at_ms,
            en: String::new(),
            fr: String::new(),
            on,
        }
    }

    fn leader(tp: &TopicPartition, broker: u32, epoch: LeaderEpoch) -> EventKind {
        EventKind::LeaderChanged {
            tp: *tp,
            leader: Some(BrokerId(broker)),
            previous: None,
            leader_epoch: epoch,
            unclean: false,
            reason: "test",
        }
    }

    #[test]
    fn a_step_waits_for_its_event_after_its_earliest_instant() {
        let tp = TopicPartition {
            topic: TopicId(4),
            partition: 0,
        };
        let cue = Cue {
            event: "leader_changed".into(),
            topic: Some("t".into()),
            broker: Some(2),
            ..Cue::default()
        };
        let steps = [step(0, None), step(5000, Some(cue)), step(9000, None)];
        let mut tracker = CueTracker::new(&steps, |name| (name == "t").then_some(TopicId(4)));
        assert_eq!(tracker.reach_time(0), 1);
        // The right event too early, then the wrong broker: not yet.
        assert_eq!(tracker.engine_event(4000, &leader(&tp, 2, 1)), 0);
        assert_eq!(tracker.engine_event(6000, &leader(&tp, 3, 2)), 0);
        assert_eq!(tracker.next_timed(), None);
        assert_eq!(tracker.engine_event(7000, &leader(&tp, 2, 3)), 1);
        assert_eq!(tracker.shown_at, vec![Some(0), Some(7000), None]);
        assert_eq!(tracker.next_timed(), Some(9000));
        assert_eq!(tracker.reach_time(8999), 0);
        assert_eq!(tracker.reach_time(9500), 1);
        assert_eq!(tracker.shown_at[2], Some(9000));
    }

    #[test]
    fn isr_matches_in_any_order_and_facts_must_exist() {
        let tp = TopicPartition {
            topic: TopicId(0),
            partition: 0,
        };
        let cue = Cue {
            event: "isr_changed".into(),
            isr: Some(vec![2, 1]),
            ..Cue::default()
        };
        let event = EventKind::IsrChanged {
            tp,
            isr: vec![BrokerId(1), BrokerId(2)],
            previous: vec![],
        };
        assert!(cue.matches(&engine_facts(&event).unwrap()));
        let bad = Cue {
            event: "isr_changed".into(),
            broker: Some(1),
            ..Cue::default()
        };
        assert_eq!(bad.check().unwrap_err().0, "broker");
        let unknown = Cue {
            event: "leader_elected".into(),
            ..Cue::default()
        };
        let (field, message) = unknown.check().unwrap_err();
        assert_eq!(field, "event");
        assert!(message.contains("leader_changed"), "{message}");
        assert!(cue.check().is_ok());
    }

    #[test]
    fn every_engine_event_has_its_row_in_the_table() {
        let tp = TopicPartition {
            topic: TopicId(0),
            partition: 0,
        };
        let facts = engine_facts(&leader(&tp, 1, 0)).unwrap();
        let row = CUE_EVENTS.iter().find(|(n, _)| *n == facts.event).unwrap();
        for (given, bit, field) in facts.asked() {
            assert!(!given || row.1 & bit != 0, "{field}");
        }
    }
}
