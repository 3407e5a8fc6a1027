//! The checks that make a decoded scenario runnable: brokers, topics and services that exist,
//! times within the run, counts in range, and the engine's own configuration rules.

use super::action::Action;
use super::format::{
    Result, Scenario, ScenarioError, DROP_COUNT_MAX, NAME_LEN_MAX, RUN_UNTIL_MS_MAX,
};
use crate::services::world::INSTANCES_MAX;
use crate::services::ServiceKind;
use crate::sim::controller::metadata::place_replicas;
use crate::sim::{
    ControllerId, NodeId, BROKERS_MAX, LINK_EXTRA_LATENCY_MS_MAX, OFFSETS_TOPIC, PARTITIONS_MAX,
};

impl Scenario {
    /// Checks what decoding alone cannot: references to brokers, topics and services, times,
    /// and the engine's own configuration rules.
    pub fn validate(&self) -> Result<()> {
        if self.name.as_ref().is_some_and(|n| n.len() > NAME_LEN_MAX) {
            return Err(ScenarioError::new(
                "name",
                format!("is longer than {NAME_LEN_MAX} characters"),
            ));
        }
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
        let mut ops = OpsModel::new(&engine);
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
            ops.check(&ta.action, &path)?;
            let brokers = ops.brokers.max(brokers);
            match &ta.action {
                Action::FailBroker { broker }
                | Action::RestoreBroker { broker }
                | Action::IsolateBroker { broker }
                | Action::HealBroker { broker } => check_broker(*broker, brokers, &path)?,
                Action::FailController {
                    controller: Some(c),
                }
                | Action::RestoreController {
                    controller: Some(c),
                }
                | Action::IsolateController {
                    controller: Some(c),
                }
                | Action::HealController {
                    controller: Some(c),
                } => {
                    let n = config.sim.cluster.controllers as usize;
                    if *c == 0 || *c > n {
                        return Err(ScenarioError::new(
                            format!("{path}.controller"),
                            format!("there is no controller {c} (controllers are 1 to {n})"),
                        ));
                    }
                }
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
                            parse_node(n, &NodeNames::at_start(&config))
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
                Action::CutLink { a, b, .. }
                | Action::HealLink { a, b }
                | Action::SlowLink { a, b, .. }
                | Action::LossyLink { a, b, .. } => {
                    let end = |field: &str, name: &str| {
                        let end = parse_link_end(name, &NodeNames::at_start(&config))
                            .map_err(|m| ScenarioError::new(format!("{path}.{field}"), m))?;
                        if matches!(end, LinkEnd::Service(..)) && !self.services.enabled {
                            return Err(ScenarioError::new(
                                format!("{path}.{field}"),
                                format!("{name:?} is a service, but this scenario sets \"services\": false"),
                            ));
                        }
                        Ok(end)
                    };
                    if end("a", a)? == end("b", b)? {
                        return Err(ScenarioError::new(
                            format!("{path}.b"),
                            format!("is the same node as a ({a:?}): a link joins two nodes"),
                        ));
                    }
                    if let Action::SlowLink {
                        extra_latency_ms, ..
                    } = &ta.action
                    {
                        if *extra_latency_ms > LINK_EXTRA_LATENCY_MS_MAX {
                            return Err(ScenarioError::new(
                                format!("{path}.extra_latency_ms"),
                                format!("{extra_latency_ms} is above the limit of {LINK_EXTRA_LATENCY_MS_MAX} ms"),
                            ));
                        }
                    }
                    if let Action::LossyLink { drop_rate, .. } = &ta.action {
                        if !(0.0..=1.0).contains(drop_rate) {
                            return Err(ScenarioError::new(
                                format!("{path}.drop_rate"),
                                format!("must be between 0 and 1, not {drop_rate}"),
                            ));
                        }
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
            if let Some(Err((field, message))) = step.on.as_ref().map(|c| c.check()) {
                return Err(ScenarioError::new(
                    format!("narration[{i}].on.{field}"),
                    message,
                ));
            }
        }
        if let Some(ms) = self.services.commit_interval_ms {
            let max = crate::services::world::COMMIT_INTERVAL_MS_MAX;
            if !(1..=max).contains(&ms) {
                return Err(ScenarioError::new(
                    "services.commit_interval_ms",
                    format!("must be between 1 and {max} ms, not {ms}"),
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

/// What the cluster operations of a scenario do to its shape, action by action, so that an
/// operation that cannot apply is refused before the run: brokers added and removed, each
/// partition's replicas, each topic's replication factor and `min.insync.replicas`.
struct OpsModel {
    brokers: u32,
    removed: Vec<u32>,
    racked: bool,
    /// Name, replicas of each partition, replication factor, `min.insync.replicas`.
    topics: Vec<(String, Vec<Vec<u32>>, u32, u32)>,
}

impl OpsModel {
    fn new(engine: &crate::sim::SimConfig) -> Self {
        let c = &engine.cluster;
        let all: Vec<crate::sim::BrokerId> = (1..=c.brokers).map(crate::sim::BrokerId).collect();
        let rack = |b: crate::sim::BrokerId| c.racks.get(b.0 as usize - 1).cloned();
        let topics = engine
            .topics
            .iter()
            .map(|t| {
                let parts = (0..t.partitions)
                    .map(|p| {
                        place_replicas(p, t.replication_factor, &all, rack)
                            .iter()
                            .map(|b| b.0)
                            .collect()
                    })
                    .collect();
                (
                    t.name.clone(),
                    parts,
                    t.replication_factor,
                    t.min_insync_replicas,
                )
            })
            .collect();
        OpsModel {
            brokers: c.brokers,
            removed: Vec::new(),
            racked: !c.racks.is_empty(),
            topics,
        }
    }

    fn live(&self) -> Vec<u32> {
        (1..=self.brokers)
            .filter(|b| !self.removed.contains(b))
            .collect()
    }

    fn topic(&mut self, name: &str, path: &str) -> Result<usize> {
        self.topics.iter().position(|t| t.0 == name).ok_or_else(|| {
            let known: Vec<&str> = self.topics.iter().map(|t| t.0.as_str()).collect();
            ScenarioError::new(
                format!("{path}.topic"),
                format!("there is no topic {name:?} (topics: {})", known.join(", ")),
            )
        })
    }

    fn broker(&self, b: u32, path: &str, field: &str) -> Result<()> {
        if b == 0 || b > self.brokers {
            return Err(ScenarioError::new(
                format!("{path}.{field}"),
                format!("there is no broker {b} (brokers are 1 to {})", self.brokers),
            ));
        }
        if self.removed.contains(&b) {
            return Err(ScenarioError::new(
                format!("{path}.{field}"),
                format!("broker {b} was removed by an earlier action"),
            ));
        }
        Ok(())
    }

    /// Checks one action and applies what it changes.
    fn check(&mut self, action: &Action, path: &str) -> Result<()> {
        let err = |field: &str, m: String| Err(ScenarioError::new(format!("{path}.{field}"), m));
        match action {
            Action::AddBroker { rack } => {
                if self.brokers >= BROKERS_MAX {
                    return err("do", format!("the cluster already has {BROKERS_MAX} brokers, the most the sandbox runs"));
                }
                match (rack, self.racked) {
                    (None, true) => {
                        return err(
                            "rack",
                            "the brokers have racks: name the new broker's rack".into(),
                        )
                    }
                    (Some(_), false) => return err(
                        "rack",
                        "the brokers have no racks (cluster.racks): a new broker cannot have one"
                            .into(),
                    ),
                    (Some(r), _) if r.trim().is_empty() || r.chars().count() > 32 => {
                        return err("rack", "must be a name of 1 to 32 characters".into())
                    }
                    _ => {}
                }
                self.brokers += 1;
            }
            Action::RemoveBroker { broker } => {
                self.broker(*broker, path, "broker")?;
                if self.live().len() <= 1 {
                    return err("broker", format!("broker {broker} is the last broker"));
                }
                for (name, parts, _, _) in &self.topics {
                    for (p, replicas) in parts.iter().enumerate() {
                        let elsewhere = replicas
                            .iter()
                            .any(|r| r != broker && !self.removed.contains(r));
                        if replicas.contains(broker) && !elsewhere {
                            return err("broker", format!("broker {broker} holds the last replica of {name}-{p}: reassign it to another broker first"));
                        }
                    }
                }
                self.removed.push(*broker);
            }
            Action::Reassign {
                topic,
                partition,
                replicas,
                throttle_bytes_per_sec,
            } => {
                let t = self.topic(topic, path)?;
                let count = self.topics[t].1.len() as u32;
                if *partition >= count {
                    return err(
                        "partition",
                        format!("{topic} has partitions 0 to {}", count - 1),
                    );
                }
                if replicas.is_empty() {
                    return err("replicas", "give at least one broker".into());
                }
                for (i, r) in replicas.iter().enumerate() {
                    self.broker(*r, path, "replicas")?;
                    if replicas[..i].contains(r) {
                        return err("replicas", format!("broker {r} is listed twice"));
                    }
                }
                let min_isr = self.topics[t].3;
                if (replicas.len() as u32) < min_isr {
                    return err("replicas", format!("{} replicas are fewer than the topic's min.insync.replicas ({min_isr})", replicas.len()));
                }
                if *throttle_bytes_per_sec == Some(0) {
                    return err(
                        "throttle_bytes_per_sec",
                        "must be above 0 (leave it out: no throttle)".into(),
                    );
                }
                self.topics[t].1[*partition as usize] = replicas.clone();
            }
            Action::SetReplicationFactor {
                topic,
                replication_factor: rf,
            } => {
                let t = self.topic(topic, path)?;
                let live = self.live();
                if *rf == 0 || *rf as usize > live.len() {
                    return err(
                        "replication_factor",
                        format!(
                            "must be between 1 and the {} brokers that can hold a replica",
                            live.len()
                        ),
                    );
                }
                if *rf < self.topics[t].3 {
                    return err(
                        "replication_factor",
                        format!(
                            "{rf} is below the topic's min.insync.replicas ({})",
                            self.topics[t].3
                        ),
                    );
                }
                for replicas in &mut self.topics[t].1 {
                    replicas.truncate(*rf as usize);
                    for b in &live {
                        if replicas.len() < *rf as usize && !replicas.contains(b) {
                            replicas.push(*b);
                        }
                    }
                }
                self.topics[t].2 = *rf;
            }
            Action::AddPartitions { topic, count } => {
                let t = self.topic(topic, path)?;
                let have = self.topics[t].1.len() as u32;
                if *count <= have {
                    return err("count", format!("{topic} has {have} partitions; the new total must be more (partitions are never removed)"));
                }
                if *count > PARTITIONS_MAX {
                    return err("count", format!("{count} partitions is more than the sandbox shows (at most {PARTITIONS_MAX})"));
                }
                let live = self.live();
                let rf = self.topics[t].2 as usize;
                if live.len() < rf {
                    return err("count", format!("only {} brokers can take new replicas, fewer than the replication factor {rf}", live.len()));
                }
                for p in have..*count {
                    let replicas = (0..rf)
                        .map(|i| live[(p as usize + i) % live.len()])
                        .collect();
                    self.topics[t].1.push(replicas);
                }
            }
            Action::SetTopicConfig {
                topic,
                min_insync_replicas,
            } => {
                let t = self.topic(topic, path)?;
                let rf = self.topics[t].2;
                if *min_insync_replicas == 0 || *min_insync_replicas > rf {
                    return err(
                        "min_insync_replicas",
                        format!("must be between 1 and the replication factor ({rf})"),
                    );
                }
                self.topics[t].3 = *min_insync_replicas;
            }
            _ => {}
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

/// What node names resolve against: the node counts and which controller is active now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeNames {
    /// Brokers in the cluster.
    pub brokers: u32,
    /// Controllers in the quorum.
    pub controllers: u32,
    /// The controller "controller" names (the active one); none when the quorum has none.
    pub active_controller: Option<ControllerId>,
}

impl NodeNames {
    /// The names of a world about to start (controller-1 leads the formatted quorum).
    pub fn at_start(config: &crate::services::WorldConfig) -> Self {
        NodeNames {
            brokers: config.sim.cluster.brokers,
            controllers: config.sim.cluster.controllers,
            active_controller: Some(ControllerId(1)),
        }
    }

    /// The names of a running world.
    pub fn of(world: &crate::services::World) -> Self {
        NodeNames {
            brokers: world.config().sim.cluster.brokers,
            controllers: world.config().sim.cluster.controllers,
            active_controller: world.sim.active_controller(),
        }
    }
}

/// Reads a node name: "controller" (the active one), "controller-N", "broker-N" or "client-N".
pub fn parse_node(name: &str, names: &NodeNames) -> std::result::Result<NodeId, String> {
    let brokers = names.brokers;
    if name == "controller" {
        return names
            .active_controller
            .map(NodeId::Controller)
            .ok_or_else(|| "\"controller\" names the active controller, and the quorum has none now: name one (\"controller-1\")".to_string());
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
    if let Some(rest) = name.strip_prefix("controller-") {
        let n = number(rest).ok_or_else(|| format!("{name:?} is not a controller name"))?;
        if n > names.controllers {
            return Err(format!(
                "there is no controller {n} (controllers are 1 to {})",
                names.controllers
            ));
        }
        return Ok(NodeId::Controller(ControllerId(n)));
    }
    if let Some(rest) = name.strip_prefix("client-") {
        let n = number(rest).ok_or_else(|| format!("{name:?} is not a client name"))?;
        return Ok(NodeId::Client(crate::sim::ClientId(n)));
    }
    Err(format!(
        "{name:?} is not a node: use \"controller\", \"controller-N\", \"broker-N\" or \"client-N\""
    ))
}

/// One end of a link as a scenario names it: a node, or a service instance (whose consumer and
/// producer clients the link then joins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkEnd {
    /// The controller, a broker or a client.
    Node(NodeId),
    /// A service instance, by its index from 0 ("payment_service#2" is index 1).
    Service(ServiceKind, usize),
}

/// Reads a link end: a node name, or "payment_service" (its first instance) or
/// "payment_service#2".
pub fn parse_link_end(name: &str, names: &NodeNames) -> std::result::Result<LinkEnd, String> {
    let (base, number) = match name.split_once('#') {
        Some((base, n)) => (base, Some(n)),
        None => (name, None),
    };
    let Some(kind) = ServiceKind::from_name(base) else {
        return parse_node(name, names).map(LinkEnd::Node).map_err(|m| {
            if m.contains("is not a node") {
                format!(
                    "{name:?} is not a node: use \"controller\", \"controller-N\", \"broker-N\", \"client-N\" or a service instance (\"payment_service\", \"payment_service#2\")"
                )
            } else {
                m
            }
        });
    };
    let index = match number {
        None => 0,
        Some(n) => match n.parse::<usize>() {
            Ok(n) if (1..=INSTANCES_MAX).contains(&n) => n - 1,
            _ => {
                return Err(format!(
                    "{name:?}: the instance after # is a number from 1 to {INSTANCES_MAX}"
                ))
            }
        },
    };
    if kind == ServiceKind::OrderService && index != 0 {
        return Err("order_service has a single instance".to_string());
    }
    Ok(LinkEnd::Service(kind, index))
}
