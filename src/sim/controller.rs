//! The KRaft controller node: broker registration, heartbeats and fencing, leader election, ISR
//! changes (AlterPartition), preferred-leader rebalancing and the metadata pushed to brokers.

use std::collections::BTreeMap;

use super::events::EventKind;
use super::network::{ErrorCode, PartitionState, Payload};
use super::node::{Context, Outbox};
use super::tpmap::TpMap;
use super::types::{BrokerId, LeaderEpoch, NodeId, SimDuration, SimTime, TopicId, TopicPartition};

/// The controller's own timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerTimer {
    /// Fence a broker whose session expired (one per check, as Kafka does).
    SessionCheck,
    /// Move leadership back to preferred replicas where the imbalance is too high.
    ImbalanceCheck,
}

/// What the controller knows of one broker.
#[derive(Clone, Debug, Default)]
struct BrokerRegistration {
    /// The broker process incarnation last seen (Kafka's broker epoch).
    incarnation: Option<u32>,
    /// Whether the broker is fenced (not eligible to lead or join an ISR).
    fenced: bool,
    /// Last heartbeat received.
    last_heartbeat: SimTime,
}

/// The controller: its metadata log survives a controller crash.
#[derive(Clone, Debug)]
pub struct Controller {
    online: bool,
    incarnation: u32,
    partitions: TpMap<PartitionState>,
    brokers: BTreeMap<BrokerId, BrokerRegistration>,
    metadata_version: u64,
}

impl Default for Controller {
    fn default() -> Self {
        Controller::new()
    }
}

/// Replicas of partition `p` with `rf` copies over `n` brokers, round-robin: with 3 brokers and
/// 3 partitions each broker leads one partition (the seed's figure).
pub fn assign_replicas(p: u32, rf: u32, n: u32) -> Vec<BrokerId> {
    (0..rf).map(|i| BrokerId((p + i) % n + 1)).collect()
}

impl Controller {
    /// A controller that knows nothing yet (call [`Controller::start`]).
    pub fn new() -> Self {
        Controller {
            online: true,
            incarnation: 0,
            partitions: TpMap::new(),
            brokers: BTreeMap::new(),
            metadata_version: 0,
        }
    }

    // ----- getters -----

    /// Whether the controller process runs.
    pub fn online(&self) -> bool {
        self.online
    }

    /// Its process incarnation, bumped by every start (timers of older ones are inert).
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// The committed state of a partition.
    pub fn partition(&self, tp: TopicPartition) -> Option<&PartitionState> {
        self.partitions.get(&tp)
    }

    /// Every partition's committed state, in partition order.
    pub fn partitions(&self) -> impl Iterator<Item = (&TopicPartition, &PartitionState)> {
        self.partitions.iter()
    }

    /// The version of the metadata log.
    pub fn metadata_version(&self) -> u64 {
        self.metadata_version
    }

    /// Whether broker `b` is fenced (or unknown).
    pub fn broker_fenced(&self, b: BrokerId) -> bool {
        self.brokers.get(&b).is_none_or(|r| r.fenced)
    }

    fn broker_eligible(&self, b: BrokerId) -> bool {
        self.brokers.get(&b).is_some_and(|r| !r.fenced)
    }

    fn session_check_interval(ctx: &Context) -> SimDuration {
        (ctx.config.cluster.broker_session_timeout_ms / 8).clamp(50, 1000)
    }

    // ----- life cycle -----

    /// Starts the first incarnation: registers `brokers` (unfenced, no heartbeat yet), creates
    /// every topic's partitions and arms the periodic checks.
    pub fn start(
        &mut self,
        brokers: &[BrokerId],
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        for b in brokers {
            self.brokers.insert(*b, BrokerRegistration::default());
        }
        for t in ctx.topics {
            self.create_partitions(t.id, ctx, out);
        }
        self.arm_timers(ctx, out);
    }

    fn arm_timers(&mut self, ctx: &Context, out: &mut Outbox<ControllerTimer>) {
        out.set_timer(
            Self::session_check_interval(ctx),
            ControllerTimer::SessionCheck,
        );
        let imbalance = ctx.config.cluster.leader_imbalance_check_interval_ms;
        out.set_timer(imbalance, ControllerTimer::ImbalanceCheck);
    }

    /// The process dies; its metadata log stays.
    pub fn crash(&mut self, out: &mut Outbox<ControllerTimer>) {
        if !self.online {
            return;
        }
        self.online = false;
        out.emit(EventKind::NodeCrashed {
            node: NodeId::Controller,
        });
    }

    /// A new incarnation takes over the metadata log.
    pub fn restart(&mut self, now: SimTime, ctx: &Context, out: &mut Outbox<ControllerTimer>) {
        if self.online {
            return;
        }
        self.online = true;
        self.incarnation += 1;
        for reg in self.brokers.values_mut() {
            // A new active controller gives every broker a full session before fencing it.
            reg.last_heartbeat = now;
        }
        self.arm_timers(ctx, out);
        out.emit(EventKind::NodeRestarted {
            node: NodeId::Controller,
        });
    }

    /// Creates the partitions of `topic` (replicas round-robin, preferred leader first).
    pub fn create_partitions(
        &mut self,
        topic: TopicId,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        let n = ctx.config.cluster.brokers;
        let cfg = &ctx.topic(topic).config;
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
            self.partitions.insert(state.tp, state.clone());
            created.push(state);
        }
        self.publish(created, out);
    }

    // ----- inputs -----

    /// A message from a broker.
    pub fn handle_message(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        let NodeId::Broker(b) = from else { return };
        match payload {
            Payload::BrokerHeartbeat {
                incarnation,
                metadata_version,
            } => self.heartbeat(now, b, incarnation, metadata_version, ctx, out),
            Payload::AlterPartition {
                tp,
                leader_epoch,
                partition_epoch,
                new_isr,
            } => {
                let result =
                    self.alter_partition(b, tp, leader_epoch, partition_epoch, new_isr, out);
                let result = Box::new(result);
                out.send(from, Payload::AlterPartitionResponse { tp, result });
            }
            _ => {}
        }
    }

    /// One of the controller's timers fired.
    pub fn handle_timer(
        &mut self,
        now: SimTime,
        timer: ControllerTimer,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        match timer {
            ControllerTimer::SessionCheck => {
                let timeout = ctx.config.cluster.broker_session_timeout_ms;
                // Like Kafka, fence one stale broker per check.
                let stale = self
                    .brokers
                    .iter()
                    .find(|(_, r)| !r.fenced && now.saturating_sub(r.last_heartbeat) > timeout)
                    .map(|(b, _)| *b);
                if let Some(b) = stale {
                    self.fence(b, "session timeout", ctx, out);
                }
                out.set_timer(
                    Self::session_check_interval(ctx),
                    ControllerTimer::SessionCheck,
                );
            }
            ControllerTimer::ImbalanceCheck => {
                if ctx.config.cluster.auto_leader_rebalance_enable {
                    self.rebalance_preferred_leaders(ctx, out);
                }
                let interval = ctx.config.cluster.leader_imbalance_check_interval_ms;
                out.set_timer(interval, ControllerTimer::ImbalanceCheck);
            }
        }
    }

    // ----- rules -----

    /// Sends changed partition states to every broker (Kafka brokers replicate the metadata log).
    fn publish(&mut self, changed: Vec<PartitionState>, out: &mut Outbox<ControllerTimer>) {
        if changed.is_empty() {
            return;
        }
        let base = self.metadata_version;
        self.metadata_version += 1;
        let version = self.metadata_version;
        for b in self.brokers.keys() {
            out.send(
                NodeId::Broker(*b),
                Payload::MetadataUpdate {
                    base_version: Some(base),
                    version,
                    partitions: changed.clone(),
                },
            );
        }
    }

    fn heartbeat(
        &mut self,
        now: SimTime,
        b: BrokerId,
        incarnation: u32,
        metadata_version: u64,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        let Some(reg) = self.brokers.get(&b).cloned() else {
            return;
        };
        if reg.incarnation != Some(incarnation) {
            if reg.incarnation.is_some() && !reg.fenced {
                // The broker restarted before its session expired: its leaderships are stale.
                self.fence(b, "broker restarted", ctx, out);
            }
            if let Some(r) = self.brokers.get_mut(&b) {
                r.incarnation = Some(incarnation);
                if reg.incarnation.is_some() {
                    r.fenced = true;
                }
            }
            out.emit(EventKind::BrokerRegistered { broker: b });
        }
        if let Some(r) = self.brokers.get_mut(&b) {
            r.last_heartbeat = now;
        }
        if metadata_version < self.metadata_version {
            let partitions: Vec<PartitionState> = self.partitions.values().cloned().collect();
            out.send(
                NodeId::Broker(b),
                Payload::MetadataUpdate {
                    base_version: None,
                    version: self.metadata_version,
                    partitions,
                },
            );
        }
        if self.brokers[&b].fenced && metadata_version >= self.metadata_version {
            self.unfence(b, ctx, out);
        }
        let fenced = self.brokers[&b].fenced;
        out.send(
            NodeId::Broker(b),
            Payload::BrokerHeartbeatResponse { fenced },
        );
    }

    /// Fences `b`: it leaves every ISR it was in (unless it is the last member) and loses its
    /// leaderships to the first live ISR replica.
    fn fence(
        &mut self,
        b: BrokerId,
        reason: &'static str,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) {
        if let Some(r) = self.brokers.get_mut(&b) {
            r.fenced = true;
        }
        out.emit(EventKind::BrokerFenced { broker: b });
        let tps: Vec<TopicPartition> = self
            .partitions
            .values()
            .filter(|p| p.isr.contains(&b) || p.leader == Some(b))
            .map(|p| p.tp)
            .collect();
        let mut changed = Vec::new();
        for tp in tps {
            let mut state = self.partitions[&tp].clone();
            if state.isr.len() > 1 {
                state.isr.retain(|r| *r != b);
            }
            if let Some(s) = self.elect(state, reason, ctx, out) {
                changed.push(s);
            }
        }
        self.publish(changed, out);
    }

    fn unfence(&mut self, b: BrokerId, ctx: &Context, out: &mut Outbox<ControllerTimer>) {
        if let Some(r) = self.brokers.get_mut(&b) {
            r.fenced = false;
        }
        out.emit(EventKind::BrokerUnfenced { broker: b });
        let tps: Vec<TopicPartition> = self
            .partitions
            .values()
            .filter(|p| p.leader.is_none() && p.replicas.contains(&b))
            .map(|p| p.tp)
            .collect();
        let mut changed = Vec::new();
        for tp in tps {
            let state = self.partitions[&tp].clone();
            if let Some(s) = self.elect(state, "broker returned", ctx, out) {
                changed.push(s);
            }
        }
        self.publish(changed, out);
    }

    /// Keeps the leader if it is still valid, otherwise picks the first live ISR replica in
    /// assignment order, or (unclean election) the first live replica. Commits the state if it
    /// changed and returns it.
    fn elect(
        &mut self,
        mut state: PartitionState,
        reason: &'static str,
        ctx: &Context,
        out: &mut Outbox<ControllerTimer>,
    ) -> Option<PartitionState> {
        let old = self.partitions[&state.tp].clone();
        let valid = |c: &Controller, b: BrokerId, isr: &[BrokerId]| {
            c.broker_eligible(b) && isr.contains(&b)
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
                None if ctx.config.cluster.unclean_leader_election_enable => {
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
        self.commit(old, state, unclean, reason, out)
    }

    /// Commits a new partition state: bumps the leader epoch on a leader change and the
    /// partition epoch on any change, and reports both.
    fn commit(
        &mut self,
        old: PartitionState,
        mut state: PartitionState,
        unclean: bool,
        reason: &'static str,
        out: &mut Outbox<ControllerTimer>,
    ) -> Option<PartitionState> {
        let leader_changed = state.leader != old.leader;
        let isr_changed = state.isr != old.isr;
        if !leader_changed && !isr_changed {
            return None;
        }
        if leader_changed {
            state.leader_epoch = old.leader_epoch + 1;
        }
        state.partition_epoch = old.partition_epoch + 1;
        if isr_changed {
            out.emit(EventKind::IsrChanged {
                tp: state.tp,
                isr: state.isr.clone(),
                previous: old.isr.clone(),
            });
        }
        if leader_changed {
            out.emit(EventKind::LeaderChanged {
                tp: state.tp,
                leader: state.leader,
                previous: old.leader,
                leader_epoch: state.leader_epoch,
                unclean,
                reason,
            });
        }
        debug_assert!(state.leader_epoch >= old.leader_epoch, "epochs only grow");
        self.partitions.insert(state.tp, state.clone());
        Some(state)
    }

    fn alter_partition(
        &mut self,
        from: BrokerId,
        tp: TopicPartition,
        leader_epoch: LeaderEpoch,
        partition_epoch: u32,
        mut new_isr: Vec<BrokerId>,
        out: &mut Outbox<ControllerTimer>,
    ) -> Result<PartitionState, ErrorCode> {
        let Some(old) = self.partitions.get(&tp).cloned() else {
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
        match self.commit(old, state, false, "AlterPartition", out) {
            Some(s) => {
                self.publish(vec![s.clone()], out);
                Ok(s)
            }
            None => Ok(self.partitions[&tp].clone()),
        }
    }

    /// Moves leadership back to preferred replicas on brokers whose imbalance is above
    /// `leader.imbalance.per.broker.percentage`.
    fn rebalance_preferred_leaders(&mut self, ctx: &Context, out: &mut Outbox<ControllerTimer>) {
        let threshold = ctx.config.cluster.leader_imbalance_per_broker_percentage as u64;
        let mut preferred: BTreeMap<BrokerId, (u64, u64)> = BTreeMap::new();
        for p in self.partitions.values() {
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
                .partitions
                .values()
                .filter(|p| p.replicas[0] == b && p.leader != Some(b) && p.isr.contains(&b))
                .map(|p| p.tp)
                .collect();
            for tp in tps {
                let old = self.partitions[&tp].clone();
                let mut state = old.clone();
                state.leader = Some(b);
                if let Some(s) = self.commit(old, state, false, "preferred leader", out) {
                    changed.push(s);
                }
            }
        }
        self.publish(changed, out);
    }
}

#[cfg(test)]
#[path = "controller_tests.rs"]
mod tests;
