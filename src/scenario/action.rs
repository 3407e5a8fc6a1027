//! What a scenario does and when: the actions and their `do` names.
//!
//! An action's fields are declared once, on [`Action`], and serde reads and writes them; a
//! [`TimedAction`] is one JSON object, `{"at_ms": 0, "do": "fail_broker", "broker": 1}`, whose
//! serde impls (in `action_json`) put the variant's name in `do` beside its fields.

use serde::{Deserialize, Serialize};

use super::decode;
use crate::services::ServiceKind;
use crate::sim::{Acks, MessageKind, SimTime};

/// One thing a scenario does at a time.
///
/// Written as the variant's fields (externally tagged); [`TimedAction`] puts its name in `do`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// order_service publishes a new order (random user and total when not given).
    CreateOrder {
        /// Customer id.
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<u64>,
        /// Total in cents.
        #[serde(skip_serializing_if = "Option::is_none")]
        total: Option<u64>,
    },
    /// The raw scenario producer sends one record.
    Produce {
        /// Topic name.
        topic: String,
        /// Record key (none: sticky partition).
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// Record value.
        value: String,
        /// `acks` for this record only.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::acks"
        )]
        acks: Option<Acks>,
    },
    /// Crash a broker (it keeps its log).
    FailBroker {
        /// Broker number, from 1.
        broker: u32,
    },
    /// Restart a crashed broker.
    RestoreBroker {
        /// Broker number, from 1.
        broker: u32,
    },
    /// Cut every link of a broker.
    IsolateBroker {
        /// Broker number, from 1.
        broker: u32,
    },
    /// Restore a broker's links.
    HealBroker {
        /// Broker number, from 1.
        broker: u32,
    },
    /// Restore every link.
    HealNetwork,
    /// Crash a controller.
    FailController {
        /// Which controller, from 1 (none: the active one).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::opt_count"
        )]
        controller: Option<usize>,
    },
    /// Restart a crashed controller.
    RestoreController {
        /// Which controller, from 1 (none: the first one down).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::opt_count"
        )]
        controller: Option<usize>,
    },
    /// Cut a controller's links.
    IsolateController {
        /// Which controller, from 1 (none: the active one).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::opt_count"
        )]
        controller: Option<usize>,
    },
    /// Restore a controller's links.
    HealController {
        /// Which controller, from 1 (none: the first isolated one).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::opt_count"
        )]
        controller: Option<usize>,
    },
    /// Crash one instance of a service.
    CrashService {
        /// Which service.
        #[serde(deserialize_with = "decode::service")]
        service: ServiceKind,
        /// Which instance (default 0).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::opt_count"
        )]
        instance: Option<usize>,
    },
    /// Restart a crashed instance.
    RestartService {
        /// Which service.
        #[serde(deserialize_with = "decode::service")]
        service: ServiceKind,
        /// Which instance (default 0).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::opt_count"
        )]
        instance: Option<usize>,
    },
    /// Make an instance crash right after it next processes a record, before committing.
    CrashServiceAfterNextRecord {
        /// Which service.
        #[serde(deserialize_with = "decode::service")]
        service: ServiceKind,
        /// Which instance (default 0).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::opt_count"
        )]
        instance: Option<usize>,
    },
    /// Scale a consuming service to 1..=4 instances.
    ScaleService {
        /// Which service.
        #[serde(deserialize_with = "decode::service")]
        service: ServiceKind,
        /// How many instances.
        #[serde(deserialize_with = "decode::count")]
        instances: usize,
    },
    /// Drop the next `count` matching messages: those in flight now, then (the drop stays
    /// armed) the next ones sent, checked after every engine step, until `count` are dropped.
    DropMessages {
        /// Sender: "broker-N", "controller" or "client-N".
        #[serde(skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// Receiver, same names.
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Message kind (`produce`, `replica_fetch`, `response`...).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "decode::message_kind"
        )]
        kind: Option<MessageKind>,
        /// How many.
        count: u64,
    },
    /// Drop one message in flight, by its engine id (the page records the user's drops so).
    DropMessage {
        /// The message's id.
        id: u64,
    },
    /// Automatic orders per second (0 to 20).
    SetOrderRate {
        /// Orders per second.
        per_second: f64,
    },
    /// Cut the link between two nodes: both ways, or from `a` to `b` only.
    CutLink {
        /// One end: "controller", "broker-N", "client-N", "payment_service", "payment_service#2".
        a: String,
        /// The other end, same names.
        b: String,
        /// True cuts `a` to `b` only (default false: both ways).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        one_way: Option<bool>,
    },
    /// Restore the link between two nodes, both ways (no cut, no extra latency, no loss).
    HealLink {
        /// One end.
        a: String,
        /// The other end.
        b: String,
    },
    /// Add latency to the link between two nodes, both ways (0 removes it).
    SlowLink {
        /// One end.
        a: String,
        /// The other end.
        b: String,
        /// Added to every message's latency, in ms.
        extra_latency_ms: u64,
    },
    /// Make the link between two nodes lose messages, both ways (0 makes it reliable).
    LossyLink {
        /// One end.
        a: String,
        /// The other end.
        b: String,
        /// The chance that a message is lost, 0 to 1.
        drop_rate: f64,
    },
    /// Ask the active controller to move each partition's leadership back to its preferred
    /// replica (the first of its assignment) where that replica is in the ISR and not fenced,
    /// as `kafka-leader-election --election-type PREFERRED` does.
    ElectPreferredLeaders,
    /// Start a new broker with the next id (at most 7); it hosts nothing until partitions are
    /// reassigned to it.
    AddBroker {
        /// Its rack (required when the brokers have racks).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rack: Option<String>,
    },
    /// Remove a broker: a controlled shutdown (its leaderships move first), then it leaves.
    RemoveBroker {
        /// Broker number, from 1.
        broker: u32,
    },
    /// Move a partition to new replicas (KIP-455: the new ones catch up first).
    Reassign {
        /// Topic name.
        topic: String,
        /// Partition number.
        partition: u32,
        /// The target replicas, the preferred leader first.
        replicas: Vec<u32>,
        /// The replication throttle while it runs, in bytes per second.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        throttle_bytes_per_sec: Option<u64>,
    },
    /// Raise or lower a topic's replication factor (a reassignment of each partition).
    SetReplicationFactor {
        /// Topic name.
        topic: String,
        /// The new replication factor.
        replication_factor: u32,
    },
    /// Create partitions up to `count` in all, as `kafka-topics --alter --partitions` does.
    AddPartitions {
        /// Topic name.
        topic: String,
        /// The new total.
        count: u32,
    },
    /// Change a topic's configuration while it runs.
    SetTopicConfig {
        /// Topic name.
        topic: String,
        /// The new `min.insync.replicas`.
        min_insync_replicas: u32,
    },
}

impl Action {
    /// The `do` name of the action.
    pub fn name(&self) -> &'static str {
        match self {
            Action::CreateOrder { .. } => "create_order",
            Action::Produce { .. } => "produce",
            Action::FailBroker { .. } => "fail_broker",
            Action::RestoreBroker { .. } => "restore_broker",
            Action::IsolateBroker { .. } => "isolate_broker",
            Action::HealBroker { .. } => "heal_broker",
            Action::HealNetwork => "heal_network",
            Action::FailController { .. } => "fail_controller",
            Action::RestoreController { .. } => "restore_controller",
            Action::IsolateController { .. } => "isolate_controller",
            Action::HealController { .. } => "heal_controller",
            Action::CrashService { .. } => "crash_service",
            Action::RestartService { .. } => "restart_service",
            Action::CrashServiceAfterNextRecord { .. } => "crash_service_after_next_record",
            Action::ScaleService { .. } => "scale_service",
            Action::DropMessages { .. } => "drop_messages",
            Action::DropMessage { .. } => "drop_message",
            Action::SetOrderRate { .. } => "set_order_rate",
            Action::CutLink { .. } => "cut_link",
            Action::HealLink { .. } => "heal_link",
            Action::SlowLink { .. } => "slow_link",
            Action::LossyLink { .. } => "lossy_link",
            Action::ElectPreferredLeaders => "elect_preferred_leaders",
            Action::AddBroker { .. } => "add_broker",
            Action::RemoveBroker { .. } => "remove_broker",
            Action::Reassign { .. } => "reassign",
            Action::SetReplicationFactor { .. } => "set_replication_factor",
            Action::AddPartitions { .. } => "add_partitions",
            Action::SetTopicConfig { .. } => "set_topic_config",
        }
    }
}

/// Every `do` name.
pub const ACTION_NAMES: [&str; 29] = [
    "create_order",
    "produce",
    "fail_broker",
    "restore_broker",
    "isolate_broker",
    "heal_broker",
    "heal_network",
    "fail_controller",
    "restore_controller",
    "isolate_controller",
    "heal_controller",
    "crash_service",
    "restart_service",
    "crash_service_after_next_record",
    "scale_service",
    "drop_messages",
    "drop_message",
    "set_order_rate",
    "cut_link",
    "heal_link",
    "slow_link",
    "lossy_link",
    "elect_preferred_leaders",
    "add_broker",
    "remove_broker",
    "reassign",
    "set_replication_factor",
    "add_partitions",
    "set_topic_config",
];

/// An action and when it happens.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedAction {
    /// Simulated time of the action, in ms.
    pub at_ms: SimTime,
    /// The action.
    pub action: Action,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One action of each kind, in [`ACTION_NAMES`] order.
    fn one_of_each() -> Vec<Action> {
        let service = ServiceKind::PaymentService;
        vec![
            Action::CreateOrder {
                user_id: Some(3),
                total: None,
            },
            Action::Produce {
                topic: "t".into(),
                key: Some("k".into()),
                value: "v".into(),
                acks: Some(Acks::Leader),
            },
            Action::FailBroker { broker: 1 },
            Action::RestoreBroker { broker: 1 },
            Action::IsolateBroker { broker: 2 },
            Action::HealBroker { broker: 2 },
            Action::HealNetwork,
            Action::FailController { controller: None },
            Action::RestoreController {
                controller: Some(2),
            },
            Action::IsolateController { controller: None },
            Action::HealController {
                controller: Some(1),
            },
            Action::CrashService {
                service,
                instance: Some(1),
            },
            Action::RestartService {
                service,
                instance: None,
            },
            Action::CrashServiceAfterNextRecord {
                service,
                instance: None,
            },
            Action::ScaleService {
                service,
                instances: 2,
            },
            Action::DropMessages {
                from: Some("broker-1".into()),
                to: None,
                kind: Some(MessageKind::ReplicaFetch),
                count: 3,
            },
            Action::DropMessage { id: 12 },
            Action::SetOrderRate { per_second: 2.5 },
            Action::CutLink {
                a: "broker-2".into(),
                b: "broker-1".into(),
                one_way: Some(true),
            },
            Action::HealLink {
                a: "broker-2".into(),
                b: "broker-1".into(),
            },
            Action::SlowLink {
                a: "payment_service#2".into(),
                b: "broker-3".into(),
                extra_latency_ms: 400,
            },
            Action::LossyLink {
                a: "controller".into(),
                b: "broker-3".into(),
                drop_rate: 0.25,
            },
            Action::ElectPreferredLeaders,
            Action::AddBroker {
                rack: Some("eu-1b".into()),
            },
            Action::RemoveBroker { broker: 2 },
            Action::Reassign {
                topic: "t".into(),
                partition: 1,
                replicas: vec![4, 2, 3],
                throttle_bytes_per_sec: Some(5000),
            },
            Action::SetReplicationFactor {
                topic: "t".into(),
                replication_factor: 2,
            },
            Action::AddPartitions {
                topic: "t".into(),
                count: 6,
            },
            Action::SetTopicConfig {
                topic: "t".into(),
                min_insync_replicas: 2,
            },
        ]
    }

    #[test]
    fn every_action_is_written_with_its_name_in_do_and_read_back() {
        let actions = one_of_each();
        let names: Vec<&str> = actions.iter().map(Action::name).collect();
        assert_eq!(names, ACTION_NAMES);
        for action in actions {
            let timed = TimedAction { at_ms: 7, action };
            let json = serde_json::to_value(&timed).expect("serializes");
            assert_eq!(json["do"], timed.action.name(), "{json}");
            assert_eq!(json["at_ms"], 7, "{json}");
            let back = decode::decode(&json, TimedAction::deserialize);
            assert_eq!(back, Ok(timed), "{json}");
        }
    }
}
