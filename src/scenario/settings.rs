//! The sections of a scenario file that set up the world: the cluster, producer and consumer
//! settings (each overrides the engine setting of the same name, declared once by
//! `overrides!`), the topics, and the services.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

use super::decode;
use crate::sim::{Acks, ClusterConfig, ConsumerConfig, ProducerConfig, SimTime};

/// Declares a section of engine settings that a scenario may override: each field is the
/// engine setting of the same name, optional (left out, the timing preset's value stays). The
/// one list gives the struct (serde-decoded, unknown fields refused), [`apply`] (write the
/// given settings over a configuration) and [`differences`] (the settings in which a
/// configuration differs from a preset, to write a world back as a scenario).
///
/// [`apply`]: ClusterSpec::apply
/// [`differences`]: ClusterSpec::differences
macro_rules! overrides {
    (
        $(#[$meta:meta])*
        pub struct $spec:ident overrides $config:ty {
            $($(#[$field_meta:meta])* $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $spec {
            $(
                $(#[$field_meta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl $spec {
            /// Writes every setting given here over `config`.
            pub fn apply(&self, config: &mut $config) {
                $(if let Some(v) = &self.$field {
                    config.$field = v.clone();
                })*
            }

            /// The settings in which `config` differs from `preset`.
            pub fn differences(config: &$config, preset: &$config) -> Self {
                $spec {
                    $($field: (config.$field != preset.$field).then(|| config.$field.clone()),)*
                }
            }
        }
    };
}

overrides! {
    /// Cluster settings; each one left out keeps the timing preset's value.
    pub struct ClusterSpec overrides ClusterConfig {
        /// Number of brokers (default 3).
        brokers: u32,
        /// `unclean.leader.election.enable`.
        unclean_leader_election_enable: bool,
        /// `auto.leader.rebalance.enable`.
        auto_leader_rebalance_enable: bool,
        /// `leader.imbalance.check.interval.seconds`, in ms.
        leader_imbalance_check_interval_ms: SimTime,
        /// `leader.imbalance.per.broker.percentage`.
        leader_imbalance_per_broker_percentage: u32,
        /// `replica.lag.time.max.ms`.
        replica_lag_time_max_ms: SimTime,
        /// `replica.fetch.wait.max.ms`.
        replica_fetch_wait_max_ms: SimTime,
        /// `replica.socket.timeout.ms`.
        replica_socket_timeout_ms: SimTime,
        /// `replica.fetch.backoff.ms`.
        replica_fetch_backoff_ms: SimTime,
        /// `broker.heartbeat.interval.ms`.
        broker_heartbeat_interval_ms: SimTime,
        /// `broker.session.timeout.ms`.
        broker_session_timeout_ms: SimTime,
        /// One-way latency range `[low, high]` in ms.
        #[serde(deserialize_with = "decode::latency_range")]
        network_latency_ms: (SimTime, SimTime),
        /// Records kept per partition log.
        #[serde(deserialize_with = "decode::opt_count")]
        retention_records: usize,
        /// Bytes kept per partition log.
        #[serde(deserialize_with = "decode::opt_count")]
        retention_bytes: usize,
        /// `offsets.topic.num.partitions`.
        offsets_topic_partitions: u32,
        /// `group.initial.rebalance.delay.ms`.
        group_initial_rebalance_delay_ms: SimTime,
        /// Most records in one fetch response.
        #[serde(deserialize_with = "decode::opt_count")]
        max_fetch_records: usize,
        /// Controllers in the KRaft quorum: 1, 3 (default) or 5.
        controllers: u32,
        /// `controller.quorum.fetch.timeout.ms`.
        controller_quorum_fetch_timeout_ms: SimTime,
        /// `controller.quorum.election.timeout.ms`.
        controller_quorum_election_timeout_ms: SimTime,
        /// `controller.quorum.election.backoff.max.ms`.
        controller_quorum_election_backoff_max_ms: SimTime,
        /// Each broker's `broker.rack`, broker 1 first (one per broker): replicas are then
        /// placed rack-aware.
        racks: Vec<String>,
    }
}

overrides! {
    /// Producer settings of every producer client (the raw scenario producer and the services').
    pub struct ProducerSpec overrides ProducerConfig {
        /// `acks`: "0", "1", "all" or "-1".
        #[serde(deserialize_with = "decode::acks")]
        acks: Acks,
        /// `enable.idempotence`.
        enable_idempotence: bool,
        /// `retries`.
        retries: u32,
        /// `max.in.flight.requests.per.connection`.
        max_in_flight: u32,
        /// `request.timeout.ms`.
        request_timeout_ms: SimTime,
        /// `delivery.timeout.ms`.
        delivery_timeout_ms: SimTime,
        /// `retry.backoff.ms`.
        retry_backoff_ms: SimTime,
        /// `retry.backoff.max.ms`.
        retry_backoff_max_ms: SimTime,
        /// `linger.ms`.
        linger_ms: SimTime,
        /// Most records in one batch.
        #[serde(deserialize_with = "decode::opt_count")]
        max_batch_records: usize,
    }
}

overrides! {
    /// Consumer settings of every consumer client (the services' group members).
    pub struct ConsumerSpec overrides ConsumerConfig {
        /// `session.timeout.ms`.
        session_timeout_ms: SimTime,
        /// `heartbeat.interval.ms`.
        heartbeat_interval_ms: SimTime,
        /// `max.poll.interval.ms`.
        max_poll_interval_ms: SimTime,
        /// `fetch.max.wait.ms`.
        fetch_max_wait_ms: SimTime,
        /// `request.timeout.ms`.
        request_timeout_ms: SimTime,
    }
}

/// One topic to create; partitions default to 1, the replication factor to min(3, brokers)
/// and `min.insync.replicas` to 1 (Kafka's broker default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// The topic's name.
    pub name: String,
    /// Partition count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    /// Replication factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<u32>,
    /// `min.insync.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_insync_replicas: Option<u32>,
}

/// The four services: `true`/`false` in files, or an object with these settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesSpec {
    /// Whether the services and their topics run (default true).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Instances of payment_service (1 to 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_instances: Option<u32>,
    /// Instances of shipping_service (1 to 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_instances: Option<u32>,
    /// Instances of email_service (1 to 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_instances: Option<u32>,
    /// Partitions of each chain topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    /// Replication factor of each chain topic (default min(3, brokers)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<u32>,
    /// `min.insync.replicas` of each chain topic (default min(2, replication factor)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_insync_replicas: Option<u32>,
    /// Share of payments refused, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_failure_rate: Option<f64>,
    /// Each instance commits its offsets at most this often, in ms (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_interval_ms: Option<SimTime>,
}

fn enabled_by_default() -> bool {
    true
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
            commit_interval_ms: None,
        }
    }
}

impl ServicesSpec {
    /// Whether only `enabled` is set: the file then says just `true` or `false`.
    fn is_plain(&self) -> bool {
        *self
            == ServicesSpec {
                enabled: self.enabled,
                ..ServicesSpec::default()
            }
    }
}

/// Writes the services as `true`/`false` when nothing else is set, else as an object.
pub(super) fn services_to<S: Serializer>(spec: &ServicesSpec, s: S) -> Result<S::Ok, S::Error> {
    if spec.is_plain() {
        s.serialize_bool(spec.enabled)
    } else {
        spec.serialize(s)
    }
}

/// Reads the services: `true`, `false` or an object of settings.
pub(super) fn services_of<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<ServicesSpec, D::Error> {
    struct BoolOrObject;

    impl<'de> serde::de::Visitor<'de> for BoolOrObject {
        type Value = ServicesSpec;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true, false or an object")
        }

        fn visit_bool<E: serde::de::Error>(self, enabled: bool) -> Result<Self::Value, E> {
            Ok(ServicesSpec {
                enabled,
                ..ServicesSpec::default()
            })
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            ServicesSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }

    d.deserialize_struct("ServicesSpec", &[], BoolOrObject)
}
