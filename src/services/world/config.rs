//! What a world is built from: the services' settings and the world configuration (the
//! engine's settings plus the chain topics the services need).

use serde::{Deserialize, Serialize};

use crate::services::model::CHAIN_TOPICS;
use crate::sim::{ConfigError, SimConfig, SimTime, TimingPreset, TopicConfig};

/// Most instances per service.
pub const INSTANCES_MAX: usize = 4;
/// Settings of the services.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServicesConfig {
    /// Whether the services (and their topics) run at all.
    pub enabled: bool,
    /// Instances of payment, shipping and email services (1 to 4 each).
    pub instances: [u32; 3],
    /// Time to charge a card.
    pub payment_processing_ms: SimTime,
    /// Share of payments refused (0 to 1).
    pub payment_failure_rate: f64,
    /// Time to ship.
    pub shipping_processing_ms: SimTime,
    /// Time to send an email.
    pub email_processing_ms: SimTime,
    /// An order without progress for this long is flagged stuck.
    pub stuck_after_ms: SimTime,
    /// Partitions of each chain topic.
    pub partitions: u32,
    /// Replication factor of each chain topic.
    pub replication_factor: u32,
    /// min.insync.replicas of each chain topic.
    pub min_insync_replicas: u32,
    /// Each instance commits its offsets at most this often, after processing (ms).
    pub commit_interval_ms: SimTime,
}

impl ServicesConfig {
    /// Defaults for a timing preset.
    pub fn preset(timing: TimingPreset) -> Self {
        let sandbox = timing == TimingPreset::Sandbox;
        ServicesConfig {
            enabled: true,
            instances: [1, 1, 1],
            payment_processing_ms: if sandbox { 40 } else { 4 },
            payment_failure_rate: 0.0,
            shipping_processing_ms: if sandbox { 30 } else { 3 },
            email_processing_ms: if sandbox { 10 } else { 1 },
            stuck_after_ms: if sandbox { 15_000 } else { 60_000 },
            partitions: 3,
            replication_factor: 3,
            min_insync_replicas: 2,
            commit_interval_ms: super::instance::COMMIT_INTERVAL_MS,
        }
    }
}

/// Everything a world is built from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorldConfig {
    /// The cluster and clients.
    pub sim: SimConfig,
    /// The services.
    pub services: ServicesConfig,
}

impl WorldConfig {
    /// The default world: 3 brokers, the four chain topics (3 partitions, RF 3, min ISR 2) and
    /// the four services with one instance each.
    pub fn default_for(timing: TimingPreset) -> Self {
        WorldConfig {
            sim: SimConfig::preset(timing),
            services: ServicesConfig::preset(timing),
        }
    }

    /// The engine configuration: the user's topics plus the chain topics when services run.
    pub fn engine_config(&self) -> SimConfig {
        let mut sim = self.sim.clone();
        if self.services.enabled {
            for name in CHAIN_TOPICS {
                if !sim.topics.iter().any(|t| t.name == name) {
                    sim.topics.push(TopicConfig {
                        name: name.to_string(),
                        partitions: self.services.partitions,
                        replication_factor: self.services.replication_factor,
                        min_insync_replicas: self.services.min_insync_replicas,
                    });
                }
            }
        }
        sim
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self
            .services
            .instances
            .iter()
            .any(|n| !(1..=INSTANCES_MAX as u32).contains(n))
        {
            return Err(ConfigError::ZeroTiming("service instances (1 to 4)"));
        }
        if self.services.commit_interval_ms == 0 {
            return Err(ConfigError::ZeroTiming("services.commit_interval_ms"));
        }
        self.engine_config().validate()
    }
}
