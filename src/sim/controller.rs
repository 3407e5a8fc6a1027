//! The KRaft controller: broker registration, heartbeats and fencing, leader election, ISR
//! changes (AlterPartition), preferred-leader rebalancing and the metadata pushed to brokers.

use std::collections::BTreeMap;

use super::engine::{Simulation, Timer};
use super::events::EventKind;
use super::network::{ErrorCode, PartitionState, Payload};
use super::tpmap::TpMap;
use super::types::{BrokerId, NodeId, SimTime, TopicId, TopicPartition};

/// What the controller knows of one broker.
#[derive(Clone, Debug, Default)]
pub(crate) struct BrokerRegistration {
    /// The broker process incarnation last seen (Kafka's broker epoch).
    pub incarnation: Option<u32>,
    /// Whether the broker is fenced (not eligible to lead or join an ISR).
    pub fenced: bool,
    /// Last heartbeat received.
    pub last_heartbeat: SimTime,
}

/// The controller's state: its metadata log survives a controller crash.
#[derive(Clone, Debug)]
pub(crate) struct Controller {
    pub online: bool,
    pub incarnation: u32,
    pub partitions: TpMap<PartitionState>,
    pub brokers: BTreeMap<BrokerId, BrokerRegistration>,
    pub metadata_version: u64,
}

impl Controller {
    pub fn new() -> Self {
        Controller {
            online: true,
            incarnation: 0,
            partitions: TpMap::new(),
            brokers: BTreeMap::new(),
            metadata_version: 0,
        }
    }
}

/// Replicas of partition `p` with `rf` copies over `n` brokers, round-robin: with 3 brokers and
/// 3 partitions each broker leads one partition (the seed's figure).
pub fn assign_replicas(p: u32, rf: u32, n: u32) -> Vec<BrokerId> {
    (0..rf).map(|i| BrokerId((p + i) % n + 1)).collect()
}

impl Simulation {
    pub(crate) fn controller_incarnation(&self) -> Option<u32> {
        self.controller
            .online
            .then_some(self.controller.incarnation)
    }

    fn controller_session_check_interval(&self) -> SimTime {
        (self.config.cluster.broker_session_timeout_ms / 8).clamp(50, 1000)
    }

    pub(crate) fn controller_start(&mut self) {
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        for b in ids {
            self.controller.brokers.insert(
                b,
                BrokerRegistration {
                    incarnation: None,
                    fenced: false,
                    last_heartbeat: 0,
                },
            );
        }
        let topics: Vec<TopicId> = self.topics.iter().map(|t| t.id).collect();
        for t in topics {
            self.controller_create_partitions(t);
        }
        self.controller_arm_timers();
    }

    fn controller_arm_timers(&mut self) {
        let inc = self.controller.incarnation;
        let check = self.controller_session_check_interval();
        self.set_timer(check, Timer::ControllerSessionCheck(inc));
        let imbalance = self.config.cluster.leader_imbalance_check_interval_ms;
        self.set_timer(imbalance, Timer::ControllerImbalanceCheck(inc));
    }

    pub(crate) fn controller_restart(&mut self) {
        self.controller.online = true;
        self.controller.incarnation += 1;
        let now = self.now;
        for reg in self.controller.brokers.values_mut() {
            // A new active controller gives every broker a full session before fencing it.
            reg.last_heartbeat = now;
        }
        self.controller_arm_timers();
    }

    pub(crate) fn controller_create_partitions(&mut self, topic: TopicId) {
        let n = self.config.cluster.brokers;
        let cfg = self.topics[topic.0 as usize].config.clone();
        let mut created = Vec::new();
        for p in 0..cfg.partitions {
            let replicas = assign_replicas(p, cfg.replication_factor, n);
            let state = PartitionState {
                tp: TopicPartition {
                    topic,
                    partition: p,
                },
                leader: Some(replicas[0]),
                leader_epoch: 0,
                partition_epoch: 0,
                isr: replicas.clone(),
                replicas,
            };
            self.controller.partitions.insert(state.tp, state.clone());
            created.push(state);
        }
        self.controller_publish(created);
    }

    fn broker_eligible(&self, b: BrokerId) -> bool {
        self.controller.brokers.get(&b).is_some_and(|r| !r.fenced)
    }

    /// Sends changed partition states to every broker (Kafka brokers replicate the metadata log).
    fn controller_publish(&mut self, changed: Vec<PartitionState>) {
        if changed.is_empty() {
            return;
        }
        let base = self.controller.metadata_version;
        self.controller.metadata_version += 1;
        let version = self.controller.metadata_version;
        let brokers: Vec<BrokerId> = self.controller.brokers.keys().copied().collect();
        for b in brokers {
            self.transmit(
                NodeId::Controller,
                NodeId::Broker(b),
                Payload::MetadataUpdate {
                    base_version: Some(base),
                    version,
                    partitions: changed.clone(),
                },
            );
        }
    }

    pub(crate) fn controller_handle(&mut self, from: NodeId, payload: Payload) {
        let NodeId::Broker(b) = from else { return };
        match payload {
            Payload::BrokerHeartbeat {
                incarnation,
                metadata_version,
            } => self.controller_heartbeat(b, incarnation, metadata_version),
            Payload::AlterPartition {
                tp,
                leader_epoch,
                partition_epoch,
                new_isr,
            } => {
                let result =
                    self.controller_alter_partition(b, tp, leader_epoch, partition_epoch, new_isr);
                self.transmit(
                    NodeId::Controller,
                    from,
                    Payload::AlterPartitionResponse { tp, result },
                );
            }
            _ => {}
        }
    }

    fn controller_heartbeat(&mut self, b: BrokerId, incarnation: u32, metadata_version: u64) {
        let now = self.now;
        let Some(reg) = self.controller.brokers.get(&b).cloned() else {
            return;
        };
        if reg.incarnation != Some(incarnation) {
            if reg.incarnation.is_some() && !reg.fenced {
                // The broker restarted before its session expired: its leaderships are stale.
                self.controller_fence(b, "broker restarted");
            }
            if let Some(r) = self.controller.brokers.get_mut(&b) {
                r.incarnation = Some(incarnation);
                if reg.incarnation.is_some() {
                    r.fenced = true;
                }
            }
            self.emit(EventKind::BrokerRegistered { broker: b });
        }
        if let Some(r) = self.controller.brokers.get_mut(&b) {
            r.last_heartbeat = now;
        }
        if metadata_version < self.controller.metadata_version {
            let partitions: Vec<PartitionState> =
                self.controller.partitions.values().cloned().collect();
            self.transmit(
                NodeId::Controller,
                NodeId::Broker(b),
                Payload::MetadataUpdate {
                    base_version: None,
                    version: self.controller.metadata_version,
                    partitions,
                },
            );
        }
        let fenced = self.controller.brokers[&b].fenced;
        if fenced && metadata_version >= self.controller.metadata_version {
            self.controller_unfence(b);
        }
        let fenced = self.controller.brokers[&b].fenced;
        self.transmit(
            NodeId::Controller,
            NodeId::Broker(b),
            Payload::BrokerHeartbeatResponse { fenced },
        );
    }

    pub(crate) fn controller_session_check(&mut self) {
        let timeout = self.config.cluster.broker_session_timeout_ms;
        let now = self.now;
        // Like Kafka, fence one stale broker per check.
        let stale = self
            .controller
            .brokers
            .iter()
            .find(|(_, r)| !r.fenced && now.saturating_sub(r.last_heartbeat) > timeout)
            .map(|(b, _)| *b);
        if let Some(b) = stale {
            self.controller_fence(b, "session timeout");
        }
        let inc = self.controller.incarnation;
        let check = self.controller_session_check_interval();
        self.set_timer(check, Timer::ControllerSessionCheck(inc));
    }

    fn controller_fence(&mut self, b: BrokerId, reason: &'static str) {
        if let Some(r) = self.controller.brokers.get_mut(&b) {
            r.fenced = true;
        }
        self.emit(EventKind::BrokerFenced { broker: b });
        let tps: Vec<TopicPartition> = self
            .controller
            .partitions
            .values()
            .filter(|p| p.isr.contains(&b) || p.leader == Some(b))
            .map(|p| p.tp)
            .collect();
        let mut changed = Vec::new();
        for tp in tps {
            let mut state = self.controller.partitions[&tp].clone();
            if state.isr.len() > 1 {
                state.isr.retain(|r| *r != b);
            }
            if let Some(s) = self.controller_elect(state, reason) {
                changed.push(s);
            }
        }
        self.controller_publish(changed);
    }

    fn controller_unfence(&mut self, b: BrokerId) {
        if let Some(r) = self.controller.brokers.get_mut(&b) {
            r.fenced = false;
        }
        self.emit(EventKind::BrokerUnfenced { broker: b });
        let tps: Vec<TopicPartition> = self
            .controller
            .partitions
            .values()
            .filter(|p| p.leader.is_none() && p.replicas.contains(&b))
            .map(|p| p.tp)
            .collect();
        let mut changed = Vec::new();
        for tp in tps {
            let state = self.controller.partitions[&tp].clone();
            if let Some(s) = self.controller_elect(state, "broker returned") {
                changed.push(s);
            }
        }
        self.controller_publish(changed);
    }

    /// Keeps the leader if it is still valid, otherwise picks the first live ISR replica in
    /// assignment order, or (unclean election) the first live replica. Commits the state if it
    /// changed and returns it.
    fn controller_elect(
        &mut self,
        mut state: PartitionState,
        reason: &'static str,
    ) -> Option<PartitionState> {
        let old = self.controller.partitions[&state.tp].clone();
        let valid = |sim: &Simulation, b: BrokerId, isr: &[BrokerId]| {
            sim.broker_eligible(b) && isr.contains(&b)
        };
        let mut unclean = false;
        let keep = state.leader.is_some_and(|l| valid(self, l, &state.isr));
        if !keep {
            let clean = state
                .replicas
                .iter()
                .copied()
                .find(|r| valid(self, *r, &state.isr));
            state.leader = match clean {
                Some(l) => Some(l),
                None if self.config.cluster.unclean_leader_election_enable => {
                    let pick = state
                        .replicas
                        .iter()
                        .copied()
                        .find(|r| self.broker_eligible(*r));
                    if let Some(l) = pick {
                        unclean = true;
                        state.isr = vec![l];
                    }
                    pick
                }
                None => None,
            };
        }
        self.controller_commit(old, state, unclean, reason)
    }

    fn controller_commit(
        &mut self,
        old: PartitionState,
        mut state: PartitionState,
        unclean: bool,
        reason: &'static str,
    ) -> Option<PartitionState> {
        let leader_changed = state.leader != old.leader;
        let isr_changed = state.isr != old.isr;
        if !leader_changed && !isr_changed {
            return None;
        }
        if leader_changed {
            state.leader_epoch = old.leader_epoch + 1;
            self.counters.leader_elections += 1;
            if unclean {
                self.counters.unclean_elections += 1;
            }
        }
        state.partition_epoch = old.partition_epoch + 1;
        if isr_changed {
            self.counters.isr_changes += 1;
            self.emit(EventKind::IsrChanged {
                tp: state.tp,
                isr: state.isr.clone(),
                previous: old.isr.clone(),
            });
        }
        if leader_changed {
            self.emit(EventKind::LeaderChanged {
                tp: state.tp,
                leader: state.leader,
                previous: old.leader,
                leader_epoch: state.leader_epoch,
                unclean,
                reason,
            });
        }
        self.controller.partitions.insert(state.tp, state.clone());
        Some(state)
    }

    fn controller_alter_partition(
        &mut self,
        from: BrokerId,
        tp: TopicPartition,
        leader_epoch: u32,
        partition_epoch: u32,
        mut new_isr: Vec<BrokerId>,
    ) -> Result<PartitionState, ErrorCode> {
        let Some(old) = self.controller.partitions.get(&tp).cloned() else {
            return Err(ErrorCode::NotLeaderOrFollower);
        };
        if old.leader != Some(from) || old.leader_epoch != leader_epoch {
            return Err(ErrorCode::FencedLeaderEpoch);
        }
        if old.partition_epoch != partition_epoch {
            return Err(ErrorCode::InvalidUpdateVersion);
        }
        // KIP-841: a fenced broker may not join the ISR.
        let joining_fenced = new_isr
            .iter()
            .any(|r| !old.isr.contains(r) && !self.broker_eligible(*r));
        if joining_fenced || new_isr.is_empty() || !new_isr.contains(&from) {
            return Err(ErrorCode::InvalidUpdateVersion);
        }
        new_isr.sort_by_key(|r| old.replicas.iter().position(|x| x == r));
        let mut state = old.clone();
        state.isr = new_isr;
        let committed = self.controller_commit(old, state, false, "AlterPartition");
        match committed {
            Some(s) => {
                self.controller_publish(vec![s.clone()]);
                Ok(s)
            }
            None => Ok(self.controller.partitions[&tp].clone()),
        }
    }

    pub(crate) fn controller_imbalance_check(&mut self) {
        if self.config.cluster.auto_leader_rebalance_enable {
            self.controller_rebalance_preferred_leaders();
        }
        let inc = self.controller.incarnation;
        let interval = self.config.cluster.leader_imbalance_check_interval_ms;
        self.set_timer(interval, Timer::ControllerImbalanceCheck(inc));
    }

    /// Moves leadership back to preferred replicas on brokers whose imbalance is above
    /// `leader.imbalance.per.broker.percentage`.
    fn controller_rebalance_preferred_leaders(&mut self) {
        let threshold = self.config.cluster.leader_imbalance_per_broker_percentage as u64;
        let mut preferred: BTreeMap<BrokerId, (u64, u64)> = BTreeMap::new();
        for p in self.controller.partitions.values() {
            let e = preferred.entry(p.replicas[0]).or_default();
            e.0 += 1;
            if p.leader != Some(p.replicas[0]) {
                e.1 += 1;
            }
        }
        let brokers: Vec<BrokerId> = preferred
            .iter()
            .filter(|(_, (total, off))| *total > 0 && off * 100 > threshold * total)
            .map(|(b, _)| *b)
            .collect();
        let mut changed = Vec::new();
        for b in brokers {
            if !self.broker_eligible(b) {
                continue;
            }
            let tps: Vec<TopicPartition> = self
                .controller
                .partitions
                .values()
                .filter(|p| p.replicas[0] == b && p.leader != Some(b) && p.isr.contains(&b))
                .map(|p| p.tp)
                .collect();
            for tp in tps {
                let old = self.controller.partitions[&tp].clone();
                let mut state = old.clone();
                state.leader = Some(b);
                if let Some(s) = self.controller_commit(old, state, false, "preferred leader") {
                    changed.push(s);
                }
            }
        }
        self.controller_publish(changed);
    }

    /// The controller's current state of a partition.
    pub fn partition_state(&self, tp: TopicPartition) -> Option<&PartitionState> {
        self.controller.partitions.get(&tp)
    }

    /// Whether the controller considers broker `b` fenced.
    pub fn broker_fenced(&self, b: BrokerId) -> bool {
        self.controller.brokers.get(&b).is_none_or(|r| r.fenced)
    }

    /// Whether the controller is running.
    pub fn controller_online(&self) -> bool {
        self.controller.online
    }
}
