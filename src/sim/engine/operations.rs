//! Live cluster operations: add and remove brokers, reassign partitions (and so change a
//! topic's replication factor), add partitions, change `min.insync.replicas`. Each is checked
//! here, then handed to the node that runs it: the active controller appends the metadata
//! records, a broker starts or shuts down.

use super::Simulation;
use crate::sim::broker::Broker;
use crate::sim::controller::metadata::rack_of;
use crate::sim::controller::AdminOp;
use crate::sim::events::EventKind;
use crate::sim::types::{BrokerId, ControllerId, TopicId, TopicPartition};

/// The most brokers a world may have (the page draws at most seven).
pub const BROKERS_MAX: u32 = 7;

/// The most partitions a topic may have in the sandbox.
pub const PARTITIONS_MAX: u32 = 12;

impl Simulation {
    fn require_active(&self, what: &str) -> Result<ControllerId, String> {
        self.active_controller().ok_or_else(|| {
            format!("there is no active controller to {what}: the quorum has no majority")
        })
    }

    fn check_topic(&self, topic: TopicId) -> Result<(), String> {
        match self.topics.get(topic.0 as usize) {
            Some(t) if !t.internal => Ok(()),
            Some(t) => Err(format!(
                "{} is internal: the sandbox does not alter it",
                t.name
            )),
            None => Err(format!("there is no topic {}", topic.0)),
        }
    }

    fn run_admin(&mut self, c: ControllerId, op: AdminOp) -> Result<(), String> {
        let now = self.now;
        let mut result = Ok(());
        self.with_controller(c, |n, ctx, out| result = n.operate(now, op, ctx, out));
        result
    }

    /// Starts broker `brokers + 1` (with `rack` when the cluster has racks).
    pub(super) fn add_broker(&mut self, rack: Option<String>) -> Result<BrokerId, String> {
        let id = self.brokers.len() as u32 + 1;
        if id > BROKERS_MAX {
            return Err(format!(
                "the cluster has {} brokers already, the most the sandbox runs",
                BROKERS_MAX
            ));
        }
        let racked = !self.config.cluster.racks.is_empty();
        let rack = rack.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        match (&rack, racked) {
            (None, true) => {
                return Err("the brokers have racks: name the new broker's rack".into());
            }
            (Some(_), false) => {
                return Err(
                    "the brokers have no racks (cluster.racks): a new broker cannot have one"
                        .into(),
                );
            }
            (Some(r), _) if r.chars().count() > 32 => {
                return Err("a rack name has at most 32 characters".into());
            }
            _ => {}
        }
        self.require_active("register a new broker")?;
        self.config.cluster.brokers = id;
        if let Some(r) = &rack {
            self.config.cluster.racks.push(r.clone());
        }
        let b = BrokerId(id);
        self.brokers
            .insert(b, Broker::new(b, self.config.cluster.controllers));
        let now = self.now;
        self.emit(EventKind::BrokerAdded { broker: b, rack });
        self.with_broker(b, |broker, ctx, out| broker.start(now, ctx, out));
        Ok(b)
    }

    /// Removes broker `b`: a running one shuts down under the controller's guidance, a dead one
    /// is unregistered. Refused when it holds the last replica of a partition.
    pub(super) fn remove_broker(&mut self, b: BrokerId) -> Result<(), String> {
        self.check_broker(b)?;
        let c = self.require_active("remove a broker")?;
        let image = self.controllers[c.0 as usize - 1].metadata();
        let others_left = self.brokers.values().any(|x| x.id() != b && !x.left());
        if !others_left {
            return Err(format!("broker {} is the last broker", b.0));
        }
        for (tp, p) in image.partitions() {
            let elsewhere = p
                .target_replicas()
                .any(|r| r != b && image.broker(r).is_some());
            if p.replicas.contains(&b) && !elsewhere {
                return Err(format!(
                    "broker {} holds the last replica of {}: reassign it to another broker first",
                    b.0,
                    self.partition_name(*tp)
                ));
            }
        }
        if self.brokers[&b].online() {
            self.with_broker(b, |broker, ctx, out| {
                broker.begin_controlled_shutdown(ctx, out)
            });
            Ok(())
        } else {
            self.run_admin(c, AdminOp::Unregister { broker: b })?;
            if let Some(broker) = self.brokers.get_mut(&b) {
                broker.leave();
            }
            Ok(())
        }
    }

    /// Checks a replica list: known brokers still in the cluster, each once.
    fn check_replicas(&self, replicas: &[BrokerId]) -> Result<(), String> {
        if replicas.is_empty() {
            return Err("replicas: give at least one broker".into());
        }
        for (i, r) in replicas.iter().enumerate() {
            self.check_broker(*r)
                .map_err(|e| format!("replicas: {e}"))?;
            if replicas[..i].contains(r) {
                return Err(format!("replicas: broker {} is listed twice", r.0));
            }
        }
        Ok(())
    }

    fn check_partition(&self, tp: TopicPartition) -> Result<(), String> {
        self.check_topic(tp.topic)?;
        if self.partition_state(tp).is_none() {
            return Err(format!(
                "partition: {} has partitions 0 to {}",
                self.topic_name(tp.topic),
                self.topics[tp.topic.0 as usize].config.partitions - 1
            ));
        }
        Ok(())
    }

    /// Starts the reassignment of `tp` to `replicas`, with an optional replication throttle.
    pub(super) fn reassign(
        &mut self,
        tp: TopicPartition,
        replicas: Vec<BrokerId>,
        throttle_bytes_per_sec: Option<u64>,
    ) -> Result<(), String> {
        self.check_partition(tp)?;
        self.check_replicas(&replicas)?;
        let min_isr = self.topics[tp.topic.0 as usize].config.min_insync_replicas;
        if (replicas.len() as u32) < min_isr {
            return Err(format!(
                "replicas: {} replicas are fewer than the topic's min.insync.replicas ({min_isr})",
                replicas.len()
            ));
        }
        if throttle_bytes_per_sec == Some(0) {
            return Err(
                "throttle_bytes_per_sec must be above 0 (leave it out: no throttle)".into(),
            );
        }
        let c = self.require_active("reassign partitions")?;
        let image = self.controllers[c.0 as usize - 1].metadata();
        if let Some(r) = replicas.iter().find(|r| image.broker(**r).is_none()) {
            return Err(format!(
                "replicas: broker {} has not registered with the controller yet",
                r.0
            ));
        }
        self.run_admin(c, AdminOp::Reassign { tp, replicas })?;
        self.config.cluster.reassignment_throttle_bytes_per_sec = throttle_bytes_per_sec;
        Ok(())
    }

    /// Reassigns every partition of `topic` to `rf` replicas: a raised factor adds the brokers
    /// holding the fewest replicas (on racks the partition is not on yet, when racks are set);
    /// a lowered one drops the last replicas of each list.
    pub(super) fn set_replication_factor(&mut self, topic: TopicId, rf: u32) -> Result<(), String> {
        self.check_topic(topic)?;
        let c = self.require_active("change a replication factor")?;
        let image = self.controllers[c.0 as usize - 1].metadata();
        let usable = image.usable_brokers();
        if rf == 0 || rf as usize > usable.len() {
            return Err(format!(
                "replication_factor must be between 1 and the {} brokers that can hold a replica",
                usable.len()
            ));
        }
        let min_isr = self.topics[topic.0 as usize].config.min_insync_replicas;
        if rf < min_isr {
            return Err(format!(
                "replication_factor {rf} is below the topic's min.insync.replicas ({min_isr}): lower that first"
            ));
        }
        let ctx = self.context();
        let mut load: Vec<(BrokerId, usize)> = usable
            .iter()
            .map(|b| {
                let held = image
                    .partitions()
                    .filter(|(_, p)| p.replicas.contains(b))
                    .count();
                (*b, held)
            })
            .collect();
        let mut plans = Vec::new();
        for (tp, p) in image.partitions().filter(|(tp, _)| tp.topic == topic) {
            let mut target: Vec<BrokerId> = p.target_replicas().collect();
            target.truncate(rf as usize);
            while target.len() < rf as usize {
                let racks: Vec<Option<String>> = target.iter().map(|b| rack_of(&ctx, *b)).collect();
                let pick = load
                    .iter()
                    .filter(|(b, _)| !target.contains(b))
                    .min_by_key(|(b, n)| (racks.contains(&rack_of(&ctx, *b)), *n, *b))
                    .map(|(b, _)| *b);
                let Some(b) = pick else { break };
                target.push(b);
                if let Some(e) = load.iter_mut().find(|(x, _)| *x == b) {
                    e.1 += 1;
                }
            }
            plans.push((*tp, target));
        }
        for (tp, target) in plans {
            self.run_admin(
                c,
                AdminOp::Reassign {
                    tp,
                    replicas: target,
                },
            )?;
        }
        let t = &mut self.topics[topic.0 as usize];
        t.config.replication_factor = rf;
        let name = t.name.clone();
        if let Some(cfg) = self.config.topics.iter_mut().find(|x| *x.name == *name) {
            cfg.replication_factor = rf;
        }
        Ok(())
    }

    /// Creates partitions of `topic` up to `count` in all.
    pub(super) fn add_partitions(&mut self, topic: TopicId, count: u32) -> Result<(), String> {
        self.check_topic(topic)?;
        let t = &self.topics[topic.0 as usize];
        let have = t.config.partitions;
        if count <= have {
            return Err(format!(
                "count: {} has {have} partitions; the new total must be more (partitions are never removed)",
                t.name
            ));
        }
        if count > PARTITIONS_MAX {
            return Err(format!(
                "count: {count} partitions is more than the sandbox shows (at most {PARTITIONS_MAX})"
            ));
        }
        let rf = t.config.replication_factor;
        let c = self.require_active("create partitions")?;
        self.run_admin(c, AdminOp::AddPartitions { topic, count, rf })
    }

    /// Sets `min.insync.replicas` of `topic`.
    pub(super) fn set_min_insync_replicas(
        &mut self,
        topic: TopicId,
        value: u32,
    ) -> Result<(), String> {
        self.check_topic(topic)?;
        let rf = self.topics[topic.0 as usize].config.replication_factor;
        if value == 0 || value > rf {
            return Err(format!(
                "min_insync_replicas must be between 1 and the replication factor ({rf})"
            ));
        }
        let c = self.require_active("change a topic's configuration")?;
        self.run_admin(
            c,
            AdminOp::SetMinIsr {
                topic,
                min_insync_replicas: value,
            },
        )
    }

    /// Keeps the topic table in step with the committed metadata: a new partition raises the
    /// topic's count, a ConfigRecord sets its `min.insync.replicas`.
    pub(super) fn follow_topic_change(&mut self, kind: &EventKind) {
        let (topic, apply): (TopicId, &dyn Fn(&mut crate::sim::config::TopicConfig)) = match kind {
            EventKind::PartitionCreated { tp, .. } => {
                let n = tp.partition + 1;
                (tp.topic, &move |c| c.partitions = c.partitions.max(n))
            }
            EventKind::TopicConfigChanged {
                topic,
                min_insync_replicas,
            } => {
                let v = *min_insync_replicas;
                (*topic, &move |c| c.min_insync_replicas = v)
            }
            _ => return,
        };
        let Some(t) = self.topics.get_mut(topic.0 as usize) else {
            return;
        };
        apply(&mut t.config);
        let name = t.name.clone();
        if let Some(cfg) = self.config.topics.iter_mut().find(|x| *x.name == *name) {
            apply(cfg);
        }
    }
}
