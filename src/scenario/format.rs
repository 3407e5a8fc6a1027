//! The scenario file format: its types, their JSON decoding with field paths in every error,
//! and the checks that make a file runnable (brokers that exist, times in range, valid config).
//!
//! Decoding is done by hand over a `serde_json::Value` so that every error names the exact
//! field (`actions[3].broker: there is no broker 9 (brokers are 1 to 3)`), and every object
//! refuses unknown fields. The types serialize back to the same format (used by share links).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

use crate::services::world::INSTANCES_MAX;
use crate::services::{ServiceKind, ServicesConfig, WorldConfig};
use crate::sim::{
    Acks, ClusterConfig, ConsumerConfig, MessageKind, NodeId, ProducerConfig, SimConfig, SimTime,
    TimingPreset, TopicConfig, OFFSETS_TOPIC,
};

/// Largest scenario text accepted, in bytes.
pub const SCENARIO_BYTES_MAX: usize = 1 << 20;
/// Most actions in one scenario.
pub const ACTIONS_MAX: usize = 5000;
/// Most narration steps in one scenario.
pub const NARRATION_MAX: usize = 200;
/// Latest `run_until_ms` accepted (two simulated hours).
pub const RUN_UNTIL_MS_MAX: SimTime = 7_200_000;
/// `run_until_ms` when a file gives none: this long after the last action (at least 60 s).
pub const RUN_AFTER_LAST_ACTION_MS: SimTime = 30_000;
/// Most messages one `drop_messages` action may drop.
pub const DROP_COUNT_MAX: u64 = 10_000;
/// Seed used when a file gives none.
pub const DEFAULT_SEED: u64 = 1;

/// A problem with a scenario: where (`actions[2].broker`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The field path, empty for the whole file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl ScenarioError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

type Result<T> = std::result::Result<T, ScenarioError>;

/// A text in English and French.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Localized {
    /// English.
    pub en: String,
    /// French.
    pub fr: String,
}

/// One narration step: what to say from `at_ms` on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NarrationStep {
    /// When the step starts (simulated ms).
    pub at_ms: SimTime,
    /// English text.
    pub en: String,
    /// French text.
    pub fr: String,
}

/// Cluster settings; each one left out keeps the timing preset's value.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClusterSpec {
    /// Number of brokers (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brokers: Option<u32>,
    /// `unclean.leader.election.enable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unclean_leader_election_enable: Option<bool>,
    /// `auto.leader.rebalance.enable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_leader_rebalance_enable: Option<bool>,
    /// `leader.imbalance.check.interval.seconds`, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_imbalance_check_interval_ms: Option<SimTime>,
    /// `leader.imbalance.per.broker.percentage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_imbalance_per_broker_percentage: Option<u32>,
    /// `replica.lag.time.max.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_lag_time_max_ms: Option<SimTime>,
    /// `replica.fetch.wait.max.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_fetch_wait_max_ms: Option<SimTime>,
    /// `replica.socket.timeout.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_socket_timeout_ms: Option<SimTime>,
    /// `replica.fetch.backoff.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_fetch_backoff_ms: Option<SimTime>,
    /// `broker.heartbeat.interval.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_heartbeat_interval_ms: Option<SimTime>,
    /// `broker.session.timeout.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_session_timeout_ms: Option<SimTime>,
    /// One-way latency range `[low, high]` in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_latency_ms: Option<(SimTime, SimTime)>,
    /// Records kept per partition log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_records: Option<usize>,
    /// Bytes kept per partition log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_bytes: Option<usize>,
    /// `offsets.topic.num.partitions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offsets_topic_partitions: Option<u32>,
    /// `group.initial.rebalance.delay.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_initial_rebalance_delay_ms: Option<SimTime>,
    /// Most records in one fetch response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fetch_records: Option<usize>,
}

/// One topic to create; partitions default to 1, the replication factor to min(3, brokers)
/// and `min.insync.replicas` to 1 (Kafka's broker default).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicSpec {
    /// The topic's name.
    pub name: String,
    /// Partition count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    /// Replication factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<u32>,
    /// `min.insync.replicas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_insync_replicas: Option<u32>,
}

/// Producer settings of every producer client (the raw scenario producer and the services').
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProducerSpec {
    /// `acks`: "0", "1", "all" or "-1".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acks: Option<Acks>,
    /// `enable.idempotence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_idempotence: Option<bool>,
    /// `retries`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// `max.in.flight.requests.per.connection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// `request.timeout.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<SimTime>,
    /// `delivery.timeout.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_timeout_ms: Option<SimTime>,
    /// `retry.backoff.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_backoff_ms: Option<SimTime>,
    /// `retry.backoff.max.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_backoff_max_ms: Option<SimTime>,
    /// `linger.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linger_ms: Option<SimTime>,
    /// Most records in one batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch_records: Option<usize>,
}

/// Consumer settings of every consumer client (the services' group members).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConsumerSpec {
    /// `session.timeout.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_timeout_ms: Option<SimTime>,
    /// `heartbeat.interval.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_ms: Option<SimTime>,
    /// `max.poll.interval.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_poll_interval_ms: Option<SimTime>,
    /// `fetch.max.wait.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch_max_wait_ms: Option<SimTime>,
    /// `request.timeout.ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<SimTime>,
}

/// The four services: `true`/`false` in files, or an object with these settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ServicesSpec {
    /// Whether the services and their topics run (default true).
    pub enabled: bool,
    /// Instances of payment_service (1 to 4).
    pub payment_instances: Option<u32>,
    /// Instances of shipping_service (1 to 4).
    pub shipping_instances: Option<u32>,
    /// Instances of email_service (1 to 4).
    pub email_instances: Option<u32>,
    /// Partitions of each chain topic.
    pub partitions: Option<u32>,
    /// Replication factor of each chain topic (default min(3, brokers)).
    pub replication_factor: Option<u32>,
    /// `min.insync.replicas` of each chain topic (default min(2, replication factor)).
    pub min_insync_replicas: Option<u32>,
    /// Share of payments refused, 0 to 1.
    pub payment_failure_rate: Option<f64>,
}

impl Default for ServicesSpec {
    fn default() -> Self {
        ServicesSpec {
            enabled: true,
            payment_instances: None,
            shipping_instances: None,
            email_instances: None,
            partitions: None,
            replication_factor: None,
            min_insync_replicas: None,
            payment_failure_rate: None,
        }
    }
}

impl ServicesSpec {
    fn is_plain(&self) -> bool {
        *self
            == ServicesSpec {
                enabled: self.enabled,
                ..ServicesSpec::default()
            }
    }
}

impl Serialize for ServicesSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.is_plain() {
            return s.serialize_bool(self.enabled);
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("enabled", &self.enabled)?;
        let fields: [(&str, Option<u32>); 6] = [
            ("payment_instances", self.payment_instances),
            ("shipping_instances", self.shipping_instances),
            ("email_instances", self.email_instances),
            ("partitions", self.partitions),
            ("replication_factor", self.replication_factor),
            ("min_insync_replicas", self.min_insync_replicas),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                m.serialize_entry(k, &v)?;
            }
        }
        if let Some(r) = self.payment_failure_rate {
            m.serialize_entry("payment_failure_rate", &r)?;
        }
        m.end()
    }
}

/// One thing a scenario does at a time.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "do", rename_all = "snake_case")]
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
        #[serde(skip_serializing_if = "Option::is_none")]
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
    /// Crash the controller.
    FailController,
    /// Restart the controller.
    RestoreController,
    /// Cut the controller's links.
    IsolateController,
    /// Restore the controller's links.
    HealController,
    /// Crash one instance of a service.
    CrashService {
        /// Which service.
        service: ServiceKind,
        /// Which instance (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        instance: Option<usize>,
    },
    /// Restart a crashed instance.
    RestartService {
        /// Which service.
        service: ServiceKind,
        /// Which instance (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        instance: Option<usize>,
    },
    /// Make an instance crash right after it next processes a record, before committing.
    CrashServiceAfterNextRecord {
        /// Which service.
        service: ServiceKind,
        /// Which instance (default 0).
        #[serde(skip_serializing_if = "Option::is_none")]
        instance: Option<usize>,
    },
    /// Scale a consuming service to 1..=4 instances.
    ScaleService {
        /// Which service.
        service: ServiceKind,
        /// How many instances.
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
        #[serde(skip_serializing_if = "Option::is_none")]
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
            Action::FailController => "fail_controller",
            Action::RestoreController => "restore_controller",
            Action::IsolateController => "isolate_controller",
            Action::HealController => "heal_controller",
            Action::CrashService { .. } => "crash_service",
            Action::RestartService { .. } => "restart_service",
            Action::CrashServiceAfterNextRecord { .. } => "crash_service_after_next_record",
            Action::ScaleService { .. } => "scale_service",
            Action::DropMessages { .. } => "drop_messages",
            Action::DropMessage { .. } => "drop_message",
            Action::SetOrderRate { .. } => "set_order_rate",
        }
    }
}

/// Every `do` name.
pub const ACTION_NAMES: [&str; 18] = [
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
];

/// An action and when it happens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimedAction {
    /// Simulated time of the action, in ms.
    pub at_ms: SimTime,
    /// The action.
    #[serde(flatten)]
    pub action: Action,
}

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    /// Seed of every random choice (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Timing preset (default "kafka").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<TimingPreset>,
    /// Cluster settings.
    #[serde(skip_serializing_if = "is_default")]
    pub cluster: ClusterSpec,
    /// Topics besides the services' ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<TopicSpec>,
    /// Producer settings.
    #[serde(skip_serializing_if = "is_default")]
    pub producer: ProducerSpec,
    /// Consumer settings.
    #[serde(skip_serializing_if = "is_default")]
    pub consumer: ConsumerSpec,
    /// The services.
    pub services: ServicesSpec,
    /// What happens, in time order (same times run in file order).
    pub actions: Vec<TimedAction>,
    /// When the run ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_until_ms: Option<SimTime>,
    /// Report values the run must produce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Map<String, Value>>,
    /// Story told along the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub narration: Vec<NarrationStep>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        decode_scenario(&value).map_err(serde::de::Error::custom)
    }
}

impl Scenario {
    /// The seed (default 1).
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(DEFAULT_SEED)
    }

    /// The timing preset (default Kafka's).
    pub fn timing(&self) -> TimingPreset {
        self.timing.unwrap_or_default()
    }

    /// The name, or a placeholder.
    pub fn title(&self) -> &str {
        self.name.as_deref().unwrap_or("untitled scenario")
    }

    /// The narration step showing at time `t`: the last one starting at or before `t`.
    pub fn narration_at(&self, t: SimTime) -> Option<&NarrationStep> {
        self.narration.iter().rev().find(|s| s.at_ms <= t)
    }

    /// Number of brokers.
    pub fn brokers(&self) -> u32 {
        self.cluster.brokers.unwrap_or(3)
    }

    /// When the run ends: `run_until_ms`, or 30 s after the last action (at least 60 s).
    pub fn run_until(&self) -> SimTime {
        self.run_until_ms.unwrap_or_else(|| {
            let last = self.actions.iter().map(|a| a.at_ms).max().unwrap_or(0);
            (last + RUN_AFTER_LAST_ACTION_MS).max(60_000)
        })
    }

    /// The engine and services configuration the scenario describes.
    pub fn world_config(&self) -> WorldConfig {
        let timing = self.timing();
        let brokers = self.brokers();
        let c = &self.cluster;
        let mut cluster = ClusterConfig::preset(timing, brokers);
        macro_rules! set {
            ($target:expr, $($f:ident),*) => {
                $(if let Some(v) = c.$f { $target.$f = v; })*
            };
        }
        set!(
            cluster,
            unclean_leader_election_enable,
            auto_leader_rebalance_enable,
            leader_imbalance_check_interval_ms,
            leader_imbalance_per_broker_percentage,
            replica_lag_time_max_ms,
            replica_fetch_wait_max_ms,
            replica_socket_timeout_ms,
            replica_fetch_backoff_ms,
            broker_heartbeat_interval_ms,
            broker_session_timeout_ms,
            network_latency_ms,
            retention_records,
            retention_bytes,
            offsets_topic_partitions,
            group_initial_rebalance_delay_ms,
            max_fetch_records
        );
        let mut producer = ProducerConfig::preset(timing);
        let p = &self.producer;
        macro_rules! setp {
            ($($f:ident),*) => { $(if let Some(v) = p.$f { producer.$f = v; })* };
        }
        setp!(
            acks,
            enable_idempotence,
            retries,
            max_in_flight,
            request_timeout_ms,
            delivery_timeout_ms,
            retry_backoff_ms,
            retry_backoff_max_ms,
            linger_ms,
            max_batch_records
        );
        let mut consumer = ConsumerConfig::preset(timing);
        let k = &self.consumer;
        macro_rules! setc {
            ($($f:ident),*) => { $(if let Some(v) = k.$f { consumer.$f = v; })* };
        }
        setc!(
            session_timeout_ms,
            heartbeat_interval_ms,
            max_poll_interval_ms,
            fetch_max_wait_ms,
            request_timeout_ms
        );
        let default_rf = brokers.clamp(1, 3);
        let topics = self
            .topics
            .iter()
            .map(|t| TopicConfig {
                name: t.name.clone(),
                partitions: t.partitions.unwrap_or(1),
                replication_factor: t.replication_factor.unwrap_or(default_rf),
                min_insync_replicas: t.min_insync_replicas.unwrap_or(1),
            })
            .collect();
        let s = &self.services;
        let mut services = ServicesConfig::preset(timing);
        services.enabled = s.enabled;
        services.replication_factor = s.replication_factor.unwrap_or(default_rf);
        services.min_insync_replicas = s.min_insync_replicas.unwrap_or(
            services
                .min_insync_replicas
                .min(services.replication_factor),
        );
        if let Some(n) = s.partitions {
            services.partitions = n;
        }
        if let Some(r) = s.payment_failure_rate {
            services.payment_failure_rate = r;
        }
        for (i, n) in [s.payment_instances, s.shipping_instances, s.email_instances]
            .into_iter()
            .enumerate()
        {
            if let Some(n) = n {
                services.instances[i] = n;
            }
        }
        WorldConfig {
            sim: SimConfig {
                timing,
                cluster,
                topics,
                producer,
                consumer,
            },
            services,
        }
    }

    /// The scenario of a world built from `config` and `seed`, with no actions: the fields that
    /// differ from the timing preset's are written out, so that `world_config()` gives `config`
    /// back for every setting a scenario file can express.
    pub fn from_world_config(config: &WorldConfig, seed: u64) -> Scenario {
        let sim = &config.sim;
        let mut scenario = Scenario {
            name: None,
            description: None,
            seed: Some(seed),
            timing: Some(sim.timing),
            cluster: ClusterSpec {
                brokers: Some(sim.cluster.brokers),
                ..ClusterSpec::default()
            },
            topics: sim
                .topics
                .iter()
                .map(|t| TopicSpec {
                    name: t.name.clone(),
                    partitions: Some(t.partitions),
                    replication_factor: Some(t.replication_factor),
                    min_insync_replicas: Some(t.min_insync_replicas),
                })
                .collect(),
            producer: ProducerSpec::default(),
            consumer: ConsumerSpec::default(),
            services: ServicesSpec {
                enabled: config.services.enabled,
                ..ServicesSpec::default()
            },
            actions: Vec::new(),
            run_until_ms: None,
            expect: None,
            narration: Vec::new(),
        };
        let preset = scenario.world_config();
        macro_rules! differ {
            ($spec:expr, $have:expr, $preset:expr, $($f:ident),*) => {
                $(if $have.$f != $preset.$f { $spec.$f = Some($have.$f.clone()); })*
            };
        }
        differ!(
            scenario.cluster,
            sim.cluster,
            preset.sim.cluster,
            unclean_leader_election_enable,
            auto_leader_rebalance_enable,
            leader_imbalance_check_interval_ms,
            leader_imbalance_per_broker_percentage,
            replica_lag_time_max_ms,
            replica_fetch_wait_max_ms,
            replica_socket_timeout_ms,
            replica_fetch_backoff_ms,
            broker_heartbeat_interval_ms,
            broker_session_timeout_ms,
            network_latency_ms,
            retention_records,
            retention_bytes,
            offsets_topic_partitions,
            group_initial_rebalance_delay_ms,
            max_fetch_records
        );
        differ!(
            scenario.producer,
            sim.producer,
            preset.sim.producer,
            acks,
            enable_idempotence,
            retries,
            max_in_flight,
            request_timeout_ms,
            delivery_timeout_ms,
            retry_backoff_ms,
            retry_backoff_max_ms,
            linger_ms,
            max_batch_records
        );
        differ!(
            scenario.consumer,
            sim.consumer,
            preset.sim.consumer,
            session_timeout_ms,
            heartbeat_interval_ms,
            max_poll_interval_ms,
            fetch_max_wait_ms,
            request_timeout_ms
        );
        differ!(
            scenario.services,
            config.services,
            preset.services,
            partitions,
            replication_factor,
            min_insync_replicas,
            payment_failure_rate
        );
        let names = [
            &mut scenario.services.payment_instances,
            &mut scenario.services.shipping_instances,
            &mut scenario.services.email_instances,
        ];
        for (i, slot) in names.into_iter().enumerate() {
            if config.services.instances[i] != preset.services.instances[i] {
                *slot = Some(config.services.instances[i]);
            }
        }
        scenario
    }

    /// Checks what decoding alone cannot: references to brokers, topics and services, times,
    /// and the engine's own configuration rules.
    pub fn validate(&self) -> Result<()> {
        let config = self.world_config();
        if let Err(e) = config.validate() {
            let path = if e.to_string().starts_with("topic ") {
                "topics"
            } else if e.to_string().contains("instances") {
                "services"
            } else {
                "cluster"
            };
            return Err(ScenarioError::new(path, e.to_string()));
        }
        let run_until = self.run_until();
        if run_until > RUN_UNTIL_MS_MAX {
            return Err(ScenarioError::new(
                "run_until_ms",
                format!("{run_until} is beyond the limit of {RUN_UNTIL_MS_MAX} ms"),
            ));
        }
        let engine = config.engine_config();
        let brokers = config.sim.cluster.brokers;
        for (i, t) in self.topics.iter().enumerate() {
            if t.name == OFFSETS_TOPIC {
                return Err(ScenarioError::new(
                    format!("topics[{i}].name"),
                    format!("{OFFSETS_TOPIC} is internal: Kafka creates it itself"),
                ));
            }
        }
        for (i, ta) in self.actions.iter().enumerate() {
            let path = format!("actions[{i}]");
            if ta.at_ms > run_until {
                return Err(ScenarioError::new(
                    format!("{path}.at_ms"),
                    format!("{} is after run_until_ms ({run_until})", ta.at_ms),
                ));
            }
            let needs_services = matches!(
                ta.action,
                Action::CreateOrder { .. }
                    | Action::CrashService { .. }
                    | Action::RestartService { .. }
                    | Action::CrashServiceAfterNextRecord { .. }
                    | Action::ScaleService { .. }
                    | Action::SetOrderRate { .. }
            );
            if needs_services && !self.services.enabled {
                return Err(ScenarioError::new(
                    format!("{path}.do"),
                    format!(
                        "{} needs the services, but this scenario sets \"services\": false",
                        ta.action.name()
                    ),
                ));
            }
            match &ta.action {
                Action::FailBroker { broker }
                | Action::RestoreBroker { broker }
                | Action::IsolateBroker { broker }
                | Action::HealBroker { broker } => check_broker(*broker, brokers, &path)?,
                Action::Produce { topic, .. }
                    if !engine.topics.iter().any(|t| &t.name == topic) =>
                {
                    let known: Vec<&str> = engine.topics.iter().map(|t| t.name.as_str()).collect();
                    return Err(ScenarioError::new(
                        format!("{path}.topic"),
                        format!(
                            "there is no topic {topic:?} (topics: {})",
                            if known.is_empty() {
                                "none; declare it in \"topics\"".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                Action::CrashService {
                    service, instance, ..
                }
                | Action::RestartService { service, instance }
                | Action::CrashServiceAfterNextRecord { service, instance } => {
                    let i = instance.unwrap_or(0);
                    if i >= INSTANCES_MAX {
                        return Err(ScenarioError::new(
                            format!("{path}.instance"),
                            format!("{i} is out of range: a service has at most {INSTANCES_MAX} instances (0 to {})", INSTANCES_MAX - 1),
                        ));
                    }
                    if *service == ServiceKind::OrderService
                        && matches!(ta.action, Action::CrashServiceAfterNextRecord { .. })
                    {
                        return Err(ScenarioError::new(
                            format!("{path}.service"),
                            "order_service consumes nothing: it cannot crash after a record",
                        ));
                    }
                    if *service == ServiceKind::OrderService && i != 0 {
                        return Err(ScenarioError::new(
                            format!("{path}.instance"),
                            "order_service has a single instance (0)",
                        ));
                    }
                }
                Action::ScaleService { service, instances } => {
                    if *service == ServiceKind::OrderService {
                        return Err(ScenarioError::new(
                            format!("{path}.service"),
                            "order_service is a producer only: it has no group to scale",
                        ));
                    }
                    if !(1..=INSTANCES_MAX).contains(instances) {
                        return Err(ScenarioError::new(
                            format!("{path}.instances"),
                            format!("must be between 1 and {INSTANCES_MAX}, not {instances}"),
                        ));
                    }
                }
                Action::DropMessages {
                    from, to, count, ..
                } => {
                    for (field, node) in [("from", from), ("to", to)] {
                        if let Some(n) = node {
                            parse_node(n, brokers)
                                .map_err(|m| ScenarioError::new(format!("{path}.{field}"), m))?;
                        }
                    }
                    if *count == 0 || *count > DROP_COUNT_MAX {
                        return Err(ScenarioError::new(
                            format!("{path}.count"),
                            format!("must be between 1 and {DROP_COUNT_MAX}, not {count}"),
                        ));
                    }
                }
                Action::SetOrderRate { per_second } if !(0.0..=20.0).contains(per_second) => {
                    return Err(ScenarioError::new(
                        format!("{path}.per_second"),
                        format!("must be between 0 and 20, not {per_second}"),
                    ));
                }
                _ => {}
            }
        }
        for (i, step) in self.narration.iter().enumerate() {
            if step.at_ms > run_until {
                return Err(ScenarioError::new(
                    format!("narration[{i}].at_ms"),
                    format!("{} is after run_until_ms ({run_until})", step.at_ms),
                ));
            }
        }
        if let Some(r) = self.services.payment_failure_rate {
            if !(0.0..=1.0).contains(&r) {
                return Err(ScenarioError::new(
                    "services.payment_failure_rate",
                    format!("must be between 0 and 1, not {r}"),
                ));
            }
        }
        Ok(())
    }
}

fn check_broker(broker: u32, brokers: u32, path: &str) -> Result<()> {
    if broker == 0 || broker > brokers {
        return Err(ScenarioError::new(
            format!("{path}.broker"),
            format!("there is no broker {broker} (brokers are 1 to {brokers})"),
        ));
    }
    Ok(())
}

/// Reads a node name: "controller", "broker-N" or "client-N".
pub fn parse_node(name: &str, brokers: u32) -> std::result::Result<NodeId, String> {
    if name == "controller" {
        return Ok(NodeId::Controller);
    }
    let number = |rest: &str| rest.parse::<u32>().ok().filter(|n| *n >= 1);
    if let Some(rest) = name.strip_prefix("broker-") {
        let n = number(rest).ok_or_else(|| format!("{name:?} is not a broker name"))?;
        if n > brokers {
            return Err(format!(
                "there is no broker {n} (brokers are 1 to {brokers})"
            ));
        }
        return Ok(NodeId::Broker(crate::sim::BrokerId(n)));
    }
    if let Some(rest) = name.strip_prefix("client-") {
        let n = number(rest).ok_or_else(|| format!("{name:?} is not a client name"))?;
        return Ok(NodeId::Client(crate::sim::ClientId(n)));
    }
    Err(format!(
        "{name:?} is not a node: use \"controller\", \"broker-N\" or \"client-N\""
    ))
}

// ----- decoding -----

/// Parses and checks a scenario file.
pub fn parse_scenario(text: &str) -> Result<Scenario> {
    if text.len() > SCENARIO_BYTES_MAX {
        return Err(ScenarioError::new(
            "",
            format!(
                "the file is {} bytes; scenarios are limited to {SCENARIO_BYTES_MAX} bytes",
                text.len()
            ),
        ));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ScenarioError::new("", format!("not valid JSON: {e}")))?;
    let scenario = decode_scenario(&value)?;
    scenario.validate()?;
    Ok(scenario)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// An object being decoded: refuses unknown fields, reads typed fields with their path.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, path: &str, allowed: &[&str]) -> Result<Obj<'a>> {
        let Value::Object(map) = v else {
            return Err(ScenarioError::new(
                path,
                format!("expected an object, found {}", type_name(v)),
            ));
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(ScenarioError::new(
                    join(path, key),
                    format!("unknown field; expected one of: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(Obj {
            map,
            path: path.to_string(),
        })
    }

    fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The field's value, `None` when absent or null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt<T>(&self, key: &str, f: impl Fn(&Value, &str) -> Result<T>) -> Result<Option<T>> {
        self.get(key).map(|v| f(v, &self.path(key))).transpose()
    }

    fn req<T>(&self, key: &str, f: impl Fn(&Value, &str) -> Result<T>) -> Result<T> {
        match self.get(key) {
            Some(v) => f(v, &self.path(key)),
            None => Err(ScenarioError::new(self.path(key), "missing field")),
        }
    }
}

fn u64_of(v: &Value, path: &str) -> Result<u64> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if n.as_i64().is_some() {
                Err(ScenarioError::new(
                    path,
                    format!("must not be negative (found {n})"),
                ))
            } else {
                Err(ScenarioError::new(
                    path,
                    format!("expected a whole number, found {n}"),
                ))
            }
        }
        other => Err(ScenarioError::new(
            path,
            format!(
                "expected a non-negative whole number, found {}",
                type_name(other)
            ),
        )),
    }
}

fn u32_of(v: &Value, path: &str) -> Result<u32> {
    let n = u64_of(v, path)?;
    u32::try_from(n).map_err(|_| ScenarioError::new(path, format!("{n} is too large")))
}

fn usize_of(v: &Value, path: &str) -> Result<usize> {
    let n = u64_of(v, path)?;
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= u32::MAX as usize)
        .ok_or_else(|| ScenarioError::new(path, format!("{n} is too large")))
}

fn f64_of(v: &Value, path: &str) -> Result<f64> {
    v.as_f64().ok_or_else(|| {
        ScenarioError::new(path, format!("expected a number, found {}", type_name(v)))
    })
}

fn bool_of(v: &Value, path: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| {
        ScenarioError::new(
            path,
            format!("expected true or false, found {}", type_name(v)),
        )
    })
}

fn string_of(v: &Value, path: &str) -> Result<String> {
    v.as_str().map(str::to_string).ok_or_else(|| {
        ScenarioError::new(path, format!("expected a string, found {}", type_name(v)))
    })
}

fn acks_of(v: &Value, path: &str) -> Result<Acks> {
    match v {
        Value::String(s) if s == "0" => Ok(Acks::None),
        Value::String(s) if s == "1" => Ok(Acks::Leader),
        Value::String(s) if s == "all" || s == "-1" => Ok(Acks::All),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(Acks::None),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(Acks::Leader),
        Value::Number(n) if n.as_i64() == Some(-1) => Ok(Acks::All),
        other => Err(ScenarioError::new(
            path,
            format!(
                "acks must be \"0\", \"1\", \"all\" or \"-1\", not {}",
                serde_json::to_string(other).unwrap_or_default()
            ),
        )),
    }
}

fn timing_of(v: &Value, path: &str) -> Result<TimingPreset> {
    match v.as_str() {
        Some("kafka") => Ok(TimingPreset::Kafka),
        Some("sandbox") => Ok(TimingPreset::Sandbox),
        _ => Err(ScenarioError::new(
            path,
            format!(
                "timing must be \"kafka\" or \"sandbox\", not {}",
                serde_json::to_string(v).unwrap_or_default()
            ),
        )),
    }
}

fn service_of(v: &Value, path: &str) -> Result<ServiceKind> {
    let s = string_of(v, path)?;
    ServiceKind::from_name(&s).ok_or_else(|| {
        ScenarioError::new(
            path,
            format!("unknown service {s:?}; expected one of: order_service, payment_service, shipping_service, email_service"),
        )
    })
}

fn kind_of(v: &Value, path: &str) -> Result<MessageKind> {
    let s = string_of(v, path)?;
    MessageKind::from_name(&s).ok_or_else(|| {
        let names: Vec<&str> = MessageKind::ALL.iter().map(|k| k.name()).collect();
        ScenarioError::new(
            path,
            format!(
                "unknown message kind {s:?}; expected one of: {}",
                names.join(", ")
            ),
        )
    })
}

fn range_of(v: &Value, path: &str) -> Result<(SimTime, SimTime)> {
    match v {
        Value::Array(a) if a.len() == 2 => Ok((
            u64_of(&a[0], &format!("{path}[0]"))?,
            u64_of(&a[1], &format!("{path}[1]"))?,
        )),
        other => Err(ScenarioError::new(
            path,
            format!(
                "expected [low, high] in ms, found {}",
                serde_json::to_string(other).unwrap_or_default()
            ),
        )),
    }
}

fn array_of<'a>(v: &'a Value, path: &str, max: usize) -> Result<&'a Vec<Value>> {
    match v {
        Value::Array(a) if a.len() <= max => Ok(a),
        Value::Array(a) => Err(ScenarioError::new(
            path,
            format!("{} entries is more than the limit of {max}", a.len()),
        )),
        other => Err(ScenarioError::new(
            path,
            format!("expected an array, found {}", type_name(other)),
        )),
    }
}

const TOP_FIELDS: [&str; 14] = [
    "name",
    "description",
    "seed",
    "timing",
    "cluster",
    "topics",
    "producer",
    "consumer",
    "services",
    "actions",
    "run_until_ms",
    "expect",
    "narration",
    "$schema",
];

fn decode_scenario(v: &Value) -> Result<Scenario> {
    let o = Obj::new(v, "", &TOP_FIELDS)?;
    let description = o.opt("description", |v, p| {
        let d = Obj::new(v, p, &["en", "fr"])?;
        Ok(Localized {
            en: d.req("en", string_of)?,
            fr: d.req("fr", string_of)?,
        })
    })?;
    let topics = o
        .opt("topics", |v, p| {
            array_of(v, p, 64)?
                .iter()
                .enumerate()
                .map(|(i, t)| decode_topic(t, &format!("{p}[{i}]")))
                .collect::<Result<Vec<_>>>()
        })?
        .unwrap_or_default();
    let actions = o.req("actions", |v, p| {
        array_of(v, p, ACTIONS_MAX)?
            .iter()
            .enumerate()
            .map(|(i, a)| decode_action(a, &format!("{p}[{i}]")))
            .collect::<Result<Vec<_>>>()
    })?;
    let narration = o
        .opt("narration", |v, p| {
            array_of(v, p, NARRATION_MAX)?
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let path = format!("{p}[{i}]");
                    let s = Obj::new(s, &path, &["at_ms", "en", "fr"])?;
                    Ok(NarrationStep {
                        at_ms: s.req("at_ms", u64_of)?,
                        en: s.req("en", string_of)?,
                        fr: s.req("fr", string_of)?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?
        .unwrap_or_default();
    let expect = o.opt("expect", |v, p| match v {
        Value::Object(m) => {
            for key in m.keys() {
                if !super::report::REPORT_FIELDS.contains(&key.as_str()) {
                    return Err(ScenarioError::new(
                        join(p, key),
                        format!(
                            "not a report field; expected one of: {}",
                            super::report::REPORT_FIELDS.join(", ")
                        ),
                    ));
                }
            }
            Ok(m.clone())
        }
        other => Err(ScenarioError::new(
            p,
            format!("expected an object, found {}", type_name(other)),
        )),
    })?;
    let name = o.opt("name", string_of)?;
    if name.as_ref().is_some_and(|n| n.len() > 200) {
        return Err(ScenarioError::new("name", "is longer than 200 characters"));
    }
    Ok(Scenario {
        name,
        description,
        seed: o.opt("seed", u64_of)?,
        timing: o.opt("timing", timing_of)?,
        cluster: o.opt("cluster", decode_cluster)?.unwrap_or_default(),
        topics,
        producer: o.opt("producer", decode_producer)?.unwrap_or_default(),
        consumer: o.opt("consumer", decode_consumer)?.unwrap_or_default(),
        services: o.opt("services", decode_services)?.unwrap_or_default(),
        actions,
        run_until_ms: o.opt("run_until_ms", u64_of)?,
        expect,
        narration,
    })
}

fn decode_cluster(v: &Value, path: &str) -> Result<ClusterSpec> {
    let o = Obj::new(
        v,
        path,
        &[
            "brokers",
            "unclean_leader_election_enable",
            "auto_leader_rebalance_enable",
            "leader_imbalance_check_interval_ms",
            "leader_imbalance_per_broker_percentage",
            "replica_lag_time_max_ms",
            "replica_fetch_wait_max_ms",
            "replica_socket_timeout_ms",
            "replica_fetch_backoff_ms",
            "broker_heartbeat_interval_ms",
            "broker_session_timeout_ms",
            "network_latency_ms",
            "retention_records",
            "retention_bytes",
            "offsets_topic_partitions",
            "group_initial_rebalance_delay_ms",
            "max_fetch_records",
        ],
    )?;
    Ok(ClusterSpec {
        brokers: o.opt("brokers", u32_of)?,
        unclean_leader_election_enable: o.opt("unclean_leader_election_enable", bool_of)?,
        auto_leader_rebalance_enable: o.opt("auto_leader_rebalance_enable", bool_of)?,
        leader_imbalance_check_interval_ms: o.opt("leader_imbalance_check_interval_ms", u64_of)?,
        leader_imbalance_per_broker_percentage: o
            .opt("leader_imbalance_per_broker_percentage", u32_of)?,
        replica_lag_time_max_ms: o.opt("replica_lag_time_max_ms", u64_of)?,
        replica_fetch_wait_max_ms: o.opt("replica_fetch_wait_max_ms", u64_of)?,
        replica_socket_timeout_ms: o.opt("replica_socket_timeout_ms", u64_of)?,
        replica_fetch_backoff_ms: o.opt("replica_fetch_backoff_ms", u64_of)?,
        broker_heartbeat_interval_ms: o.opt("broker_heartbeat_interval_ms", u64_of)?,
        broker_session_timeout_ms: o.opt("broker_session_timeout_ms", u64_of)?,
        network_latency_ms: o.opt("network_latency_ms", range_of)?,
        retention_records: o.opt("retention_records", usize_of)?,
        retention_bytes: o.opt("retention_bytes", usize_of)?,
        offsets_topic_partitions: o.opt("offsets_topic_partitions", u32_of)?,
        group_initial_rebalance_delay_ms: o.opt("group_initial_rebalance_delay_ms", u64_of)?,
        max_fetch_records: o.opt("max_fetch_records", usize_of)?,
    })
}

fn decode_topic(v: &Value, path: &str) -> Result<TopicSpec> {
    let o = Obj::new(
        v,
        path,
        &[
            "name",
            "partitions",
            "replication_factor",
            "min_insync_replicas",
        ],
    )?;
    Ok(TopicSpec {
        name: o.req("name", string_of)?,
        partitions: o.opt("partitions", u32_of)?,
        replication_factor: o.opt("replication_factor", u32_of)?,
        min_insync_replicas: o.opt("min_insync_replicas", u32_of)?,
    })
}

fn decode_producer(v: &Value, path: &str) -> Result<ProducerSpec> {
    let o = Obj::new(
        v,
        path,
        &[
            "acks",
            "enable_idempotence",
            "retries",
            "max_in_flight",
            "request_timeout_ms",
            "delivery_timeout_ms",
            "retry_backoff_ms",
            "retry_backoff_max_ms",
            "linger_ms",
            "max_batch_records",
        ],
    )?;
    Ok(ProducerSpec {
        acks: o.opt("acks", acks_of)?,
        enable_idempotence: o.opt("enable_idempotence", bool_of)?,
        retries: o.opt("retries", u32_of)?,
        max_in_flight: o.opt("max_in_flight", u32_of)?,
        request_timeout_ms: o.opt("request_timeout_ms", u64_of)?,
        delivery_timeout_ms: o.opt("delivery_timeout_ms", u64_of)?,
        retry_backoff_ms: o.opt("retry_backoff_ms", u64_of)?,
        retry_backoff_max_ms: o.opt("retry_backoff_max_ms", u64_of)?,
        linger_ms: o.opt("linger_ms", u64_of)?,
        max_batch_records: o.opt("max_batch_records", usize_of)?,
    })
}

fn decode_consumer(v: &Value, path: &str) -> Result<ConsumerSpec> {
    let o = Obj::new(
        v,
        path,
        &[
            "session_timeout_ms",
            "heartbeat_interval_ms",
            "max_poll_interval_ms",
            "fetch_max_wait_ms",
            "request_timeout_ms",
        ],
    )?;
    Ok(ConsumerSpec {
        session_timeout_ms: o.opt("session_timeout_ms", u64_of)?,
        heartbeat_interval_ms: o.opt("heartbeat_interval_ms", u64_of)?,
        max_poll_interval_ms: o.opt("max_poll_interval_ms", u64_of)?,
        fetch_max_wait_ms: o.opt("fetch_max_wait_ms", u64_of)?,
        request_timeout_ms: o.opt("request_timeout_ms", u64_of)?,
    })
}

fn decode_services(v: &Value, path: &str) -> Result<ServicesSpec> {
    if let Value::Bool(enabled) = v {
        return Ok(ServicesSpec {
            enabled: *enabled,
            ..ServicesSpec::default()
        });
    }
    if !v.is_object() {
        return Err(ScenarioError::new(
            path,
            format!("expected true, false or an object, found {}", type_name(v)),
        ));
    }
    let o = Obj::new(
        v,
        path,
        &[
            "enabled",
            "payment_instances",
            "shipping_instances",
            "email_instances",
            "partitions",
            "replication_factor",
            "min_insync_replicas",
            "payment_failure_rate",
        ],
    )?;
    Ok(ServicesSpec {
        enabled: o.opt("enabled", bool_of)?.unwrap_or(true),
        payment_instances: o.opt("payment_instances", u32_of)?,
        shipping_instances: o.opt("shipping_instances", u32_of)?,
        email_instances: o.opt("email_instances", u32_of)?,
        partitions: o.opt("partitions", u32_of)?,
        replication_factor: o.opt("replication_factor", u32_of)?,
        min_insync_replicas: o.opt("min_insync_replicas", u32_of)?,
        payment_failure_rate: o.opt("payment_failure_rate", f64_of)?,
    })
}

fn decode_action(v: &Value, path: &str) -> Result<TimedAction> {
    let Value::Object(map) = v else {
        return Err(ScenarioError::new(
            path,
            format!("expected an object, found {}", type_name(v)),
        ));
    };
    let name = match map.get("do") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(ScenarioError::new(
                format!("{path}.do"),
                format!("expected an action name, found {}", type_name(other)),
            ))
        }
        None => return Err(ScenarioError::new(format!("{path}.do"), "missing field")),
    };
    let fields: &[&str] = match name {
        "create_order" => &["user_id", "total"],
        "produce" => &["topic", "key", "value", "acks"],
        "fail_broker" | "restore_broker" | "isolate_broker" | "heal_broker" => &["broker"],
        "heal_network" | "fail_controller" | "restore_controller" | "isolate_controller"
        | "heal_controller" => &[],
        "crash_service" | "restart_service" | "crash_service_after_next_record" => {
            &["service", "instance"]
        }
        "scale_service" => &["service", "instances"],
        "drop_messages" => &["from", "to", "kind", "count"],
        "drop_message" => &["id"],
        "set_order_rate" => &["per_second"],
        other => {
            return Err(ScenarioError::new(
                format!("{path}.do"),
                format!(
                    "unknown action {other:?}; expected one of: {}",
                    ACTION_NAMES.join(", ")
                ),
            ))
        }
    };
    let mut allowed = vec!["at_ms", "do"];
    allowed.extend_from_slice(fields);
    let o = Obj::new(v, path, &allowed)?;
    let broker = || o.req("broker", u32_of);
    let action = match name {
        "create_order" => Action::CreateOrder {
            user_id: o.opt("user_id", u64_of)?,
            total: o.opt("total", u64_of)?,
        },
        "produce" => Action::Produce {
            topic: o.req("topic", string_of)?,
            key: o.opt("key", string_of)?,
            value: o.req("value", string_of)?,
            acks: o.opt("acks", acks_of)?,
        },
        "fail_broker" => Action::FailBroker { broker: broker()? },
        "restore_broker" => Action::RestoreBroker { broker: broker()? },
        "isolate_broker" => Action::IsolateBroker { broker: broker()? },
        "heal_broker" => Action::HealBroker { broker: broker()? },
        "heal_network" => Action::HealNetwork,
        "fail_controller" => Action::FailController,
        "restore_controller" => Action::RestoreController,
        "isolate_controller" => Action::IsolateController,
        "heal_controller" => Action::HealController,
        "crash_service" => Action::CrashService {
            service: o.req("service", service_of)?,
            instance: o.opt("instance", usize_of)?,
        },
        "restart_service" => Action::RestartService {
            service: o.req("service", service_of)?,
            instance: o.opt("instance", usize_of)?,
        },
        "crash_service_after_next_record" => Action::CrashServiceAfterNextRecord {
            service: o.req("service", service_of)?,
            instance: o.opt("instance", usize_of)?,
        },
        "scale_service" => Action::ScaleService {
            service: o.req("service", service_of)?,
            instances: o.req("instances", usize_of)?,
        },
        "drop_messages" => Action::DropMessages {
            from: o.opt("from", string_of)?,
            to: o.opt("to", string_of)?,
            kind: o.opt("kind", kind_of)?,
            count: o.req("count", u64_of)?,
        },
        "drop_message" => Action::DropMessage {
            id: o.req("id", u64_of)?,
        },
        _ => Action::SetOrderRate {
            per_second: o.req("per_second", f64_of)?,
        },
    };
    Ok(TimedAction {
        at_ms: o.req("at_ms", u64_of)?,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(config: &WorldConfig) {
        let scenario = Scenario::from_world_config(config, 9);
        assert_eq!(scenario.world_config(), *config);
        let text = serde_json::to_string(&scenario).expect("serializes");
        let back = parse_scenario(&text).expect("parses back");
        assert_eq!(back.world_config(), *config);
        assert_eq!(back.seed(), 9);
    }

    #[test]
    fn world_configs_round_trip_through_scenarios() {
        for timing in [TimingPreset::Sandbox, TimingPreset::Kafka] {
            round_trip(&WorldConfig::default_for(timing));
        }
        let mut edited = WorldConfig::default_for(TimingPreset::Sandbox);
        edited.sim.cluster = ClusterConfig::preset(TimingPreset::Sandbox, 5);
        edited.sim.cluster.unclean_leader_election_enable = true;
        edited.sim.producer.acks = Acks::Leader;
        edited.sim.producer.enable_idempotence = false;
        edited.services.partitions = 6;
        edited.services.replication_factor = 2;
        edited.services.min_insync_replicas = 1;
        edited.services.payment_failure_rate = 0.25;
        edited.services.instances = [2, 1, 3];
        round_trip(&edited);
    }

    #[test]
    fn drop_message_round_trips() {
        let text = r#"{"actions": [{"at_ms": 5, "do": "drop_message", "id": 12}]}"#;
        let scenario = parse_scenario(text).expect("parses");
        assert_eq!(scenario.actions[0].action, Action::DropMessage { id: 12 });
        let again = parse_scenario(&serde_json::to_string(&scenario).unwrap()).unwrap();
        assert_eq!(again, scenario);
    }
}
