//! The scenario file format: its types, each setting declared once with serde, and how a
//! scenario becomes the engine's configuration and back.
//!
//! A file is parsed to JSON, decoded by serde through `decode` (every error names the exact
//! field, `actions[3].broker: there is no broker 9 (brokers are 1 to 3)`, and every object
//! refuses unknown fields), then checked by [`Scenario::validate`]. The sections that set the
//! world up live in [`super::settings`]: the cluster, producer and consumer ones override engine
//! settings of the same names, each declared once. The types serialize back to the same format
//! (share links).

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

use super::decode;
use crate::services::{ServicesConfig, WorldConfig};
use crate::sim::{
    ClusterConfig, ConsumerConfig, ProducerConfig, SimConfig, SimTime, TimingPreset, TopicConfig,
};

pub use super::action::{Action, TimedAction, ACTION_NAMES};
use super::settings::{services_of, services_to};
pub use super::settings::{ClusterSpec, ConsumerSpec, ProducerSpec, ServicesSpec, TopicSpec};
pub use super::validate::parse_node;

/// Largest scenario text accepted, in bytes.
pub const SCENARIO_BYTES_MAX: usize = 1 << 20;
/// Most actions in one scenario.
pub const ACTIONS_MAX: usize = 5000;
/// Most narration steps in one scenario.
pub const NARRATION_MAX: usize = 200;
/// Most topics one scenario declares.
pub const TOPICS_MAX: usize = 64;
/// Longest `name` accepted, in bytes.
pub const NAME_LEN_MAX: usize = 200;
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

/// A result whose error is a [`ScenarioError`].
pub type Result<T> = std::result::Result<T, ScenarioError>;

/// A text in English and French.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// English.
    pub en: String,
    /// French.
    pub fr: String,
}

/// One narration step: what to say once its event has happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrationStep {
    /// When the step starts (simulated ms).
    pub at_ms: SimTime,
    /// English text.
    pub en: String,
    /// French text.
    pub fr: String,
    /// The event the step describes: it is shown when that event happens (at `at_ms` or
    /// later), and right at `at_ms` when it names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<super::cue::Cue>,
}

/// Reads `expect`: an object of report fields.
fn report_values<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Map<String, Value>>, D::Error> {
    decode::keys_among(d, "a report field", &super::report::REPORT_FIELDS)
}

/// A whole scenario file.
///
/// Its serde impls read any deserializer's value as JSON and decode it as a file is (without
/// [`Scenario::validate`]'s checks): the derived code is the inherent `Scenario::deserialize`,
/// which `decode` runs with the path-recording deserializer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Scenario {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    /// Seed of every random choice (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Timing preset (default "kafka").
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "decode::timing"
    )]
    pub timing: Option<TimingPreset>,
    /// Cluster settings.
    #[serde(default, skip_serializing_if = "is_default")]
    pub cluster: ClusterSpec,
    /// Topics besides the services' ones.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "decode::at_most::<_, _, TOPICS_MAX>"
    )]
    pub topics: Vec<TopicSpec>,
    /// Producer settings.
    #[serde(default, skip_serializing_if = "is_default")]
    pub producer: ProducerSpec,
    /// Consumer settings.
    #[serde(default, skip_serializing_if = "is_default")]
    pub consumer: ConsumerSpec,
    /// The services.
    #[serde(
        default,
        serialize_with = "services_to",
        deserialize_with = "services_of"
    )]
    pub services: ServicesSpec,
    /// What happens, in time order (same times run in file order).
    #[serde(deserialize_with = "decode::at_most::<_, _, ACTIONS_MAX>")]
    pub actions: Vec<TimedAction>,
    /// When the run ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_until_ms: Option<SimTime>,
    /// Report values the run must produce.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "report_values"
    )]
    pub expect: Option<Map<String, Value>>,
    /// Story told along the run.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "decode::at_most::<_, _, NARRATION_MAX>"
    )]
    pub narration: Vec<NarrationStep>,
    /// `$schema`, for editors that look a file's schema up: accepted, ignored, not written.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub schema: IgnoredAny,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl Serialize for Scenario {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        Scenario::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        decode::decode(&value, Scenario::deserialize).map_err(serde::de::Error::custom)
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
        let mut cluster = ClusterConfig::preset(timing, brokers);
        self.cluster.apply(&mut cluster);
        let mut producer = ProducerConfig::preset(timing);
        self.producer.apply(&mut producer);
        let mut consumer = ConsumerConfig::preset(timing);
        self.consumer.apply(&mut consumer);
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
        if let Some(ms) = s.commit_interval_ms {
            services.commit_interval_ms = ms;
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
            schema: IgnoredAny,
        };
        let preset = scenario.world_config();
        scenario.cluster = ClusterSpec {
            brokers: Some(sim.cluster.brokers),
            ..ClusterSpec::differences(&sim.cluster, &preset.sim.cluster)
        };
        scenario.producer = ProducerSpec::differences(&sim.producer, &preset.sim.producer);
        scenario.consumer = ConsumerSpec::differences(&sim.consumer, &preset.sim.consumer);
        let (have, defaults) = (&config.services, &preset.services);
        let services = &mut scenario.services;
        services.partitions = (have.partitions != defaults.partitions).then_some(have.partitions);
        services.replication_factor = (have.replication_factor != defaults.replication_factor)
            .then_some(have.replication_factor);
        services.min_insync_replicas = (have.min_insync_replicas != defaults.min_insync_replicas)
            .then_some(have.min_insync_replicas);
        services.payment_failure_rate = (have.payment_failure_rate
            != defaults.payment_failure_rate)
            .then_some(have.payment_failure_rate);
        services.commit_interval_ms = (have.commit_interval_ms != defaults.commit_interval_ms)
            .then_some(have.commit_interval_ms);
        let slots = [
            &mut services.payment_instances,
            &mut services.shipping_instances,
            &mut services.email_instances,
        ];
        for (i, slot) in slots.into_iter().enumerate() {
            if have.instances[i] != defaults.instances[i] {
                *slot = Some(have.instances[i]);
            }
        }
        scenario
    }
}

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
    let scenario = decode::decode(&value, Scenario::deserialize)?;
    scenario.validate()?;
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Acks;

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

    #[test]
    fn any_deserializer_reads_a_file_as_parse_scenario_does() {
        for (id, text) in super::super::PRESETS {
            let direct: Scenario =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(Ok(direct), parse_scenario(text), "{id}");
        }
        let text = r#"{"actions": [{"at_ms": 0, "do": "fail_broker", "broker": "two"}]}"#;
        let err = serde_json::from_str::<Scenario>(text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "actions[0].broker: expected a non-negative whole number, found a string"
            ),
            "{err}"
        );
    }
}
