//! Cluster, topic, producer and consumer settings, their Kafka defaults, timing presets and validation.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::types::SimTime;

/// The two timing presets: Kafka's real defaults, or a slowed-down world for watching.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TimingPreset {
    /// Kafka's own defaults (session timeout 9 s, lag time 30 s, sub-millisecond network...).
    #[default]
    Kafka,
    /// Timings scaled for a human watching the diagram (latency 150-400 ms, session timeout 3 s).
    Sandbox,
}

/// How a consumer group spreads partitions over its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStrategy {
    /// Kafka's default `RangeAssignor`.
    #[default]
    Range,
    /// `RoundRobinAssignor`.
    RoundRobin,
}

/// Producer `acks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Acks {
    /// `acks=0`: fire and forget.
    #[serde(rename = "0")]
    None,
    /// `acks=1`: the leader's local append.
    #[serde(rename = "1")]
    Leader,
    /// `acks=all` (-1): the whole ISR; Kafka's default since 3.0.
    #[default]
    #[serde(rename = "all", alias = "-1")]
    All,
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        })
    }
}

/// Broker-side and controller settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterConfig {
    /// Number of brokers (1 to 7).
    pub brokers: u32,
    /// `unclean.leader.election.enable` (Kafka default false).
    pub unclean_leader_election_enable: bool,
    /// `auto.leader.rebalance.enable` (Kafka default true).
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.check.interval.seconds` in ms (Kafka default 300 000).
    pub leader_imbalance_check_interval_ms: SimTime,
    /// `leader.imbalance.per.broker.percentage` (Kafka default 10).
    pub leader_imbalance_per_broker_percentage: u32,
    /// `replica.lag.time.max.ms` (Kafka default 30 000).
    pub replica_lag_time_max_ms: SimTime,
    /// `replica.fetch.wait.max.ms` (Kafka default 500).
    pub replica_fetch_wait_max_ms: SimTime,
    /// `replica.socket.timeout.ms` (Kafka default 30 000): a fetch with no answer is retried.
    pub replica_socket_timeout_ms: SimTime,
    /// `replica.fetch.backoff.ms` (Kafka default 1000): pause after a failed fetch.
    pub replica_fetch_backoff_ms: SimTime,
    /// `broker.heartbeat.interval.ms` (Kafka default 2000).
    pub broker_heartbeat_interval_ms: SimTime,
    /// `broker.session.timeout.ms` (Kafka default 9000).
    pub broker_session_timeout_ms: SimTime,
    /// One-way network latency range in ms, drawn per message.
    pub network_latency_ms: (SimTime, SimTime),
    /// Records kept per partition log before the oldest are deleted (retention by count).
    pub retention_records: usize,
    /// Bytes kept per partition log before the oldest are deleted (retention by size).
    pub retention_bytes: usize,
    /// `offsets.topic.num.partitions` (Kafka default 50; the sandbox uses fewer to stay readable).
    pub offsets_topic_partitions: u32,
    /// `group.initial.rebalance.delay.ms` (Kafka default 3000).
    pub group_initial_rebalance_delay_ms: SimTime,
    /// Most records a fetch response carries.
    pub max_fetch_records: usize,
    /// Controllers in the KRaft quorum: 1, 3 or 5 (`controller.quorum.voters`).
    #[serde(default = "default_controllers")]
    pub controllers: u32,
    /// `controller.quorum.fetch.timeout.ms` (Kafka default 2000): a follower that hears nothing
    /// from the quorum leader this long starts an election.
    #[serde(default = "default_quorum_fetch_timeout_ms")]
    pub controller_quorum_fetch_timeout_ms: SimTime,
    /// `controller.quorum.election.timeout.ms` (Kafka default 1000).
    #[serde(default = "default_quorum_election_timeout_ms")]
    pub controller_quorum_election_timeout_ms: SimTime,
    /// `controller.quorum.election.backoff.max.ms` (Kafka default 1000).
    #[serde(default = "default_quorum_election_backoff_max_ms")]
    pub controller_quorum_election_backoff_max_ms: SimTime,
    /// Each broker's `broker.rack`, by id (broker 1 first); empty: no racks. With racks,
    /// replicas are placed rack-aware, as Kafka does.
    #[serde(default)]
    pub racks: Vec<String>,
    /// The replication throttle of a running reassignment, in bytes per second per leader
    /// broker (Kafka's `leader.replication.throttled.rate`, applied to the replicas a
    /// reassignment adds); none: unthrottled.
    #[serde(default)]
    pub reassignment_throttle_bytes_per_sec: Option<u64>,
}

/// One topic to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicConfig {
    /// The topic's name.
    pub name: String,
    /// Number of partitions (at least 1).
    pub partitions: u32,
    /// Replicas per partition (1 to the broker count).
    pub replication_factor: u32,
    /// `min.insync.replicas` for this topic (Kafka's broker default is 1).
    pub min_insync_replicas: u32,
}

/// Producer client settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProducerConfig {
    /// `acks` (Kafka default all).
    pub acks: Acks,
    /// `enable.idempotence` (Kafka default true).
    pub enable_idempotence: bool,
    /// `retries` (Kafka default `i32::MAX`).
    pub retries: u32,
    /// `max.in.flight.requests.per.connection` (Kafka default 5).
    pub max_in_flight: u32,
    /// `request.timeout.ms` (Kafka default 30 000).
    pub request_timeout_ms: SimTime,
    /// `delivery.timeout.ms` (Kafka default 120 000).
    pub delivery_timeout_ms: SimTime,
    /// `retry.backoff.ms` (Kafka default 100).
    pub retry_backoff_ms: SimTime,
    /// `retry.backoff.max.ms` (Kafka default 1000): retries back off exponentially up to it.
    pub retry_backoff_max_ms: SimTime,
    /// `linger.ms` (Kafka default 5 since 4.0).
    pub linger_ms: SimTime,
    /// Most records in one batch (stands in for `batch.size`).
    pub max_batch_records: usize,
}

/// Consumer client settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsumerConfig {
    /// `session.timeout.ms` (Kafka default 45 000).
    pub session_timeout_ms: SimTime,
    /// `heartbeat.interval.ms` (Kafka default 3000).
    pub heartbeat_interval_ms: SimTime,
    /// `max.poll.interval.ms` (Kafka default 300 000): also the rebalance timeout.
    pub max_poll_interval_ms: SimTime,
    /// `fetch.max.wait.ms` (Kafka default 500).
    pub fetch_max_wait_ms: SimTime,
    /// `auto.offset.reset`: true for earliest, false for latest (Kafka default latest).
    pub auto_offset_reset_earliest: bool,
    /// `enable.auto.commit` (Kafka default true).
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms` (Kafka default 5000).
    pub auto_commit_interval_ms: SimTime,
    /// `partition.assignment.strategy`.
    pub assignment_strategy: AssignmentStrategy,
    /// `request.timeout.ms` (Kafka default 30 000).
    pub request_timeout_ms: SimTime,
}

fn default_controllers() -> u32 {
    3
}

fn default_quorum_fetch_timeout_ms() -> SimTime {
    2000
}

fn default_quorum_election_timeout_ms() -> SimTime {
    1000
}

fn default_quorum_election_backoff_max_ms() -> SimTime {
    1000
}

impl ClusterConfig {
    /// Settings for a preset, with `brokers` brokers.
    pub fn preset(preset: TimingPreset, brokers: u32) -> Self {
        let kafka = ClusterConfig {
            brokers,
            unclean_leader_election_enable: false,
            auto_leader_rebalance_enable: true,
            leader_imbalance_check_interval_ms: 300_000,
            leader_imbalance_per_broker_percentage: 10,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_wait_max_ms: 500,
            replica_socket_timeout_ms: 30_000,
            replica_fetch_backoff_ms: 1000,
            broker_heartbeat_interval_ms: 2000,
            broker_session_timeout_ms: 9000,
            network_latency_ms: (1, 3),
            retention_records: 2000,
            retention_bytes: 1 << 20,
            offsets_topic_partitions: 3,
            group_initial_rebalance_delay_ms: 3000,
            max_fetch_records: 500,
            controllers: default_controllers(),
            controller_quorum_fetch_timeout_ms: default_quorum_fetch_timeout_ms(),
            controller_quorum_election_timeout_ms: default_quorum_election_timeout_ms(),
            controller_quorum_election_backoff_max_ms: default_quorum_election_backoff_max_ms(),
            racks: Vec::new(),
            reassignment_throttle_bytes_per_sec: None,
        };
        match preset {
            TimingPreset::Kafka => kafka,
            TimingPreset::Sandbox => ClusterConfig {
                leader_imbalance_check_interval_ms: 20_000,
                replica_lag_time_max_ms: 6000,
                replica_fetch_wait_max_ms: 1500,
                replica_socket_timeout_ms: 5000,
                replica_fetch_backoff_ms: 1000,
                broker_heartbeat_interval_ms: 1000,
                broker_session_timeout_ms: 3000,
                network_latency_ms: (150, 400),
                group_initial_rebalance_delay_ms: 500,
                controller_quorum_fetch_timeout_ms: 4000,
                controller_quorum_election_timeout_ms: 2000,
                ..kafka
            },
        }
    }
}

impl ProducerConfig {
    /// Producer settings for a preset.
    pub fn preset(preset: TimingPreset) -> Self {
        let kafka = ProducerConfig {
            acks: Acks::All,
            enable_idempotence: true,
            retries: i32::MAX as u32,
            max_in_flight: 5,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: 120_000,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1000,
            linger_ms: 5,
            max_batch_records: 16,
        };
        match preset {
            TimingPreset::Kafka => kafka,
            TimingPreset::Sandbox => ProducerConfig {
                request_timeout_ms: 8000,
                delivery_timeout_ms: 60_000,
                retry_backoff_ms: 500,
                retry_backoff_max_ms: 2000,
                linger_ms: 50,
                ..kafka
            },
        }
    }
}

impl ConsumerConfig {
    /// Consumer settings for a preset.
    pub fn preset(preset: TimingPreset) -> Self {
        let kafka = ConsumerConfig {
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3000,
            max_poll_interval_ms: 300_000,
            fetch_max_wait_ms: 500,
            auto_offset_reset_earliest: false,
            enable_auto_commit: true,
            auto_commit_interval_ms: 5000,
            assignment_strategy: AssignmentStrategy::Range,
            request_timeout_ms: 30_000,
        };
        match preset {
            TimingPreset::Kafka => kafka,
            TimingPreset::Sandbox => ConsumerConfig {
                session_timeout_ms: 6000,
                heartbeat_interval_ms: 1000,
                max_poll_interval_ms: 20_000,
                fetch_max_wait_ms: 1500,
                request_timeout_ms: 8000,
                ..kafka
            },
        }
    }
}

/// A setting that cannot describe a working cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Broker count outside 1..=7.
    BrokerCount(u32),
    /// Controller count other than 1, 3 or 5.
    ControllerCount(u32),
    /// A topic with zero partitions.
    ZeroPartitions(String),
    /// Too many partitions for the sandbox to draw (the limit is 12).
    TooManyPartitions(String, u32),
    /// Replication factor of 0 or above the broker count.
    ReplicationFactor {
        topic: String,
        replication_factor: u32,
        brokers: u32,
    },
    /// `min.insync.replicas` of 0 or above the replication factor.
    MinInsyncReplicas {
        topic: String,
        min_insync_replicas: u32,
        replication_factor: u32,
    },
    /// Two topics with one name.
    DuplicateTopic(String),
    /// A name Kafka would refuse (empty, too long or with characters outside `[a-zA-Z0-9._-]`).
    InvalidTopicName(String),
    /// A latency range whose low end is above its high end.
    LatencyRange(SimTime, SimTime),
    /// A timing value that must be positive is 0.
    ZeroTiming(&'static str),
    /// A topic created while the quorum has no active controller.
    NoActiveController(String),
    /// A rack list whose length is not the broker count, or with an empty name.
    Racks(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BrokerCount(n) => write!(f, "brokers must be between 1 and 7, not {n}"),
            ConfigError::NoActiveController(t) => write!(
                f,
                "topic {t}: the quorum has no active controller, so nothing can be created now"
            ),
            ConfigError::ControllerCount(n) => {
                write!(f, "controllers must be 1, 3 or 5 (a quorum of voters), not {n}")
            }
            ConfigError::ZeroPartitions(t) => write!(f, "topic {t}: partitions must be at least 1"),
            ConfigError::TooManyPartitions(t, n) => {
                write!(f, "topic {t}: {n} partitions is more than the sandbox shows (at most 12)")
            }
            ConfigError::ReplicationFactor { topic, replication_factor, brokers } => write!(
                f,
                "topic {topic}: replication factor {replication_factor} must be between 1 and the number of brokers ({brokers})"
            ),
            ConfigError::MinInsyncReplicas { topic, min_insync_replicas, replication_factor } => {
                write!(
                    f,
                    "topic {topic}: min.insync.replicas {min_insync_replicas} must be between 1 and the replication factor ({replication_factor})"
                )
            }
            ConfigError::DuplicateTopic(t) => write!(f, "topic {t} is declared twice"),
            ConfigError::InvalidTopicName(t) => write!(
                f,
                "topic name {t:?} is invalid: use 1 to 249 characters among letters, digits, '.', '_' and '-'"
            ),
            ConfigError::LatencyRange(lo, hi) => {
                write!(f, "network latency range [{lo}, {hi}] ms has its low end above its high end")
            }
            ConfigError::ZeroTiming(name) => write!(f, "{name} must be greater than 0"),
            ConfigError::Racks(why) => write!(f, "racks: {why}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Everything needed to build a simulated world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// The timing preset the other settings started from.
    pub timing: TimingPreset,
    /// Broker and controller settings.
    pub cluster: ClusterConfig,
    /// Topics created at start.
    pub topics: Vec<TopicConfig>,
    /// Settings of every producer client.
    pub producer: ProducerConfig,
    /// Settings of every consumer client.
    pub consumer: ConsumerConfig,
}

impl SimConfig {
    /// Defaults of a preset with 3 brokers and no topics.
    pub fn preset(timing: TimingPreset) -> Self {
        SimConfig {
            timing,
            cluster: ClusterConfig::preset(timing, 3),
            topics: Vec::new(),
            producer: ProducerConfig::preset(timing),
            consumer: ConsumerConfig::preset(timing),
        }
    }

    /// Checks every setting; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.cluster;
        if !(1..=7).contains(&c.brokers) {
            return Err(ConfigError::BrokerCount(c.brokers));
        }
        validate_racks(&c.racks, c.brokers)?;
        if ![1, 3, 5].contains(&c.controllers) {
            return Err(ConfigError::ControllerCount(c.controllers));
        }
        if c.network_latency_ms.0 > c.network_latency_ms.1 {
            return Err(ConfigError::LatencyRange(
                c.network_latency_ms.0,
                c.network_latency_ms.1,
            ));
        }
        let positive = [
            ("replica.lag.time.max.ms", c.replica_lag_time_max_ms),
            ("replica.fetch.wait.max.ms", c.replica_fetch_wait_max_ms),
            (
                "broker.heartbeat.interval.ms",
                c.broker_heartbeat_interval_ms,
            ),
            ("broker.session.timeout.ms", c.broker_session_timeout_ms),
            (
                "leader.imbalance.check.interval.ms",
                c.leader_imbalance_check_interval_ms,
            ),
            ("request.timeout.ms", self.producer.request_timeout_ms),
            ("delivery.timeout.ms", self.producer.delivery_timeout_ms),
            ("session.timeout.ms", self.consumer.session_timeout_ms),
            ("heartbeat.interval.ms", self.consumer.heartbeat_interval_ms),
            (
                "max.in.flight.requests.per.connection",
                self.producer.max_in_flight as u64,
            ),
            ("retention records", c.retention_records as u64),
            (
                "controller.quorum.fetch.timeout.ms",
                c.controller_quorum_fetch_timeout_ms,
            ),
            (
                "controller.quorum.election.timeout.ms",
                c.controller_quorum_election_timeout_ms,
            ),
            (
                "offsets.topic.num.partitions",
                c.offsets_topic_partitions as u64,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::ZeroTiming(name));
        }
        let mut seen = crate::sim::sorted_map::SortedSet::new();
        for t in &self.topics {
            validate_topic(t, c.brokers)?;
            if !seen.insert(t.name.as_str()) {
                return Err(ConfigError::DuplicateTopic(t.name.clone()));
            }
        }
        Ok(())
    }
}

/// Checks a rack list: none at all, or one non-empty name of at most 32 characters per broker.
pub fn validate_racks(racks: &[String], brokers: u32) -> Result<(), ConfigError> {
    if racks.is_empty() {
        return Ok(());
    }
    if racks.len() != brokers as usize {
        return Err(ConfigError::Racks(format!(
            "{} rack names for {brokers} brokers: give one per broker, or none",
            racks.len()
        )));
    }
    if let Some(i) = racks
        .iter()
        .position(|r| r.trim().is_empty() || r.chars().count() > 32)
    {
        return Err(ConfigError::Racks(format!(
            "broker {}'s rack must be a name of 1 to 32 characters",
            i + 1
        )));
    }
    Ok(())
}

/// Checks one topic against the broker count.
pub fn validate_topic(t: &TopicConfig, brokers: u32) -> Result<(), ConfigError> {
    let valid_name = !t.name.is_empty()
        && t.name.len() <= 249
        && t.name != "."
        && t.name != ".."
        && t.name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'));
    if !valid_name {
        return Err(ConfigError::InvalidTopicName(t.name.clone()));
    }
    if t.partitions == 0 {
        return Err(ConfigError::ZeroPartitions(t.name.clone()));
    }
    if t.partitions > 12 {
        return Err(ConfigError::TooManyPartitions(t.name.clone(), t.partitions));
    }
    if t.replication_factor == 0 || t.replication_factor > brokers {
        return Err(ConfigError::ReplicationFactor {
            topic: t.name.clone(),
            replication_factor: t.replication_factor,
            brokers,
        });
    }
    if t.min_insync_replicas == 0 || t.min_insync_replicas > t.replication_factor {
        return Err(ConfigError::MinInsyncReplicas {
            topic: t.name.clone(),
            min_insync_replicas: t.min_insync_replicas,
            replication_factor: t.replication_factor,
        });
    }
    Ok(())
}
