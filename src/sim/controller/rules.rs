//! What the active controller decides, each decision a metadata record: registration and
//! fencing from heartbeats, leader election, ISR changes (AlterPartition, KIP-497 and KIP-841)
//! and preferred-leader rebalancing; and the events a committed record reports.

use crate::sim::sorted_map::SortedMap;

use super::metadata::{partition_records, MetadataImage, MetadataRecord};
use super::Controller;
use crate::sim::events::EventKind;
use crate::sim::network::{ErrorCode, PartitionState, Payload};
use crate::sim::node::Context;
use crate::sim::types::{BrokerId, LeaderEpoch, NodeId, Offset, SimTime, TopicId, TopicPartition};

/// The events a record reports once committed, read against the image before it.
pub(super) fn events_of(before: &MetadataImage, record: &MetadataRecord) -> Vec<EventKind> {
    match record {
        MetadataRecord::RegisterBroker { broker, .. } => {
            vec![EventKind::BrokerRegistered { broker: *broker }]
        }
        MetadataRecord::FenceBroker { broker } => vec![EventKind::BrokerFenced { broker: *broker }],
        MetadataRecord::UnfenceBroker { broker } => {
            vec![EventKind::BrokerUnfenced { broker: *broker }]
        }
        MetadataRecord::ControlledShutdown { broker } => {
            vec![EventKind::BrokerControlledShutdown { broker: *broker }]
        }
        MetadataRecord::UnregisterBroker { broker } => {
            vec![EventKind::BrokerUnregistered { broker: *broker }]
        }
        MetadataRecord::TopicConfig {
            topic,
            min_insync_replicas,
        } => vec![EventKind::TopicConfigChanged {
            topic: *topic,
            min_insync_replicas: *min_insync_replicas,
        }],
        MetadataRecord::Topic { .. } => Vec::new(),
        MetadataRecord::Partition(state) => vec![EventKind::PartitionCreated {
            tp: state.tp,
            replicas: state.replicas.clone(),
        }],
        MetadataRecord::PartitionChange {
            state,
            reason,
            unclean,
        } => {
            let Some(old) = before.partition(state.tp) else {
                return Vec::new();
            };
            let mut events = Vec::new();
            if (&state.replicas, &state.adding, &state.removing)
                != (&old.replicas, &old.adding, &old.removing)
            {
                events.push(EventKind::ReplicasChanged {
                    tp: state.tp,
                    replicas: state.replicas.clone(),
                    adding: state.adding.clone(),
                    removing: state.removing.clone(),
                    previous: old.replicas.clone(),
                });
            }
            if state.isr != old.isr {
                events.push(EventKind::IsrChanged {
                    tp: state.tp,
                    isr: state.isr.clone(),
                    previous: old.isr.clone(),
                });
            }
            if state.leader != old.leader {
                events.push(EventKind::LeaderChanged {
                    tp: state.tp,
                    leader: state.leader,
                    previous: old.leader,
                    leader_epoch: state.leader_epoch,
                    unclean: *unclean,
                    reason,
                });
            }
            events
        }
    }
}

impl Controller {
    fn image(&self) -> Option<&MetadataImage> {
        self.active.as_ref().map(|a| &a.image)
    }

    /// A broker's heartbeat: the first of a new incarnation registers it (fenced; a restart
    /// before its session expired also fences what it led); once it has applied the log past
    /// its registration it is unfenced. The answer says whether it is fenced, once committed.
    pub(super) fn heartbeat(
        &mut self,
        now: SimTime,
        b: BrokerId,
        incarnation: u32,
        metadata_offset: Offset,
        want_shutdown: bool,
        ctx: &Context,
    ) {
        let Some(active) = self.active.as_mut() else {
            return; // Kafka answers NOT_CONTROLLER; the broker finds the leader through the quorum
        };
        let registration = active.image.broker(b).copied();
        if want_shutdown && registration.is_none() {
            // It left already (a heartbeat sent before it heard so): it may stop; it is not
            // registered again.
            self.reply_when_committed(
                NodeId::Broker(b),
                Payload::BrokerHeartbeatResponse {
                    fenced: true,
                    should_shutdown: true,
                },
            );
            return;
        }
        active.heartbeats.insert(b, now);
        match registration {
            Some(r) if r.incarnation == incarnation => {
                if r.fenced && metadata_offset > r.registered_at {
                    self.unfence(b, ctx);
                }
            }
            _ => {
                if registration.is_some_and(|r| !r.fenced) {
                    // It restarted before its session expired: its leaderships are stale.
                    self.fence(b, "broker restarted", ctx);
                }
                self.propose(MetadataRecord::RegisterBroker {
                    broker: b,
                    incarnation,
                    fenced: true,
                });
            }
        }
        let should_shutdown = want_shutdown && self.controlled_shutdown(b, metadata_offset, ctx);
        let fenced = self.image().is_none_or(|i| i.broker_fenced(b));
        self.reply_when_committed(
            NodeId::Broker(b),
            Payload::BrokerHeartbeatResponse {
                fenced,
                should_shutdown,
            },
        );
    }

    /// A broker asks to stop (Kafka's controlled shutdown): it may no longer lead nor stay in
    /// an ISR, so its leaderships move to the next live ISR replica now, while it still runs.
    /// Once it leads nothing and has applied the log past its shutdown record (Kafka's
    /// `BrokerHeartbeatManager`), it may stop, and it leaves the cluster (it is unregistered;
    /// its replicas stay assigned to its id until they are reassigned). Returns whether it may
    /// stop.
    fn controlled_shutdown(&mut self, b: BrokerId, metadata_offset: Offset, ctx: &Context) -> bool {
        let Some(image) = self.image() else {
            return false;
        };
        match image.broker(b) {
            None => return true, // already gone
            Some(r) if !r.shutting_down => {
                self.propose(MetadataRecord::ControlledShutdown { broker: b });
                self.leave_partitions(b, "controlled shutdown", ctx);
            }
            Some(_) => {}
        }
        let Some(image) = self.image() else {
            return false;
        };
        let leads = image.partitions().any(|(_, p)| p.leader == Some(b));
        let caught_up = image
            .broker(b)
            .is_some_and(|r| metadata_offset > r.shutdown_at);
        let may_stop = !leads && caught_up;
        if may_stop {
            self.propose(MetadataRecord::UnregisterBroker { broker: b });
        }
        may_stop
    }

    /// Removes a broker that is down from the cluster (Kafka's `UnregisterBroker` after it was
    /// fenced): first it leaves every ISR and leadership as a fenced broker does.
    pub(super) fn unregister(&mut self, b: BrokerId, ctx: &Context) {
        let Some(image) = self.image() else { return };
        if image.broker(b).is_none() {
            return;
        }
        if !image.broker_fenced(b) {
            self.fence(b, "broker removed", ctx);
        }
        self.propose(MetadataRecord::UnregisterBroker { broker: b });
    }

    /// Takes `b` out of every ISR it is in (unless it is the last member) and gives its
    /// leaderships to the first live ISR replica.
    fn leave_partitions(&mut self, b: BrokerId, reason: &'static str, ctx: &Context) {
        let Some(image) = self.image() else { return };
        let affected: Vec<PartitionState> = image
            .partitions()
            .map(|(_, p)| p)
            .filter(|p| p.isr.contains(&b) || p.leader == Some(b))
            .cloned()
            .collect();
        for mut state in affected {
            if state.isr.len() > 1 {
                state.isr.retain(|r| *r != b);
            }
            self.elect(state, reason, ctx);
        }
    }

    /// Fences the first broker whose session expired (like Kafka, one per check).
    pub(super) fn fence_one_expired(&mut self, now: SimTime, ctx: &Context) {
        let Some(active) = self.active.as_ref() else {
            return;
        };
        let timeout = ctx.config.cluster.broker_session_timeout_ms;
        let stale = active
            .image
            .brokers()
            .find(|(b, r)| {
                !r.fenced
                    && now.saturating_sub(active.heartbeats.get(b).copied().unwrap_or(0)) > timeout
            })
            .map(|(b, _)| *b);
        if let Some(b) = stale {
            self.fence(b, "session timeout", ctx);
        }
    }

    /// Fences `b`: it leaves every ISR it was in (unless it is the last member) and loses its
    /// leaderships to the first live ISR replica.
    fn fence(&mut self, b: BrokerId, reason: &'static str, ctx: &Context) {
        self.propose(MetadataRecord::FenceBroker { broker: b });
        self.leave_partitions(b, reason, ctx);
    }

    fn unfence(&mut self, b: BrokerId, ctx: &Context) {
        self.propose(MetadataRecord::UnfenceBroker { broker: b });
        let Some(image) = self.image() else { return };
        let offline: Vec<PartitionState> = image
            .partitions()
            .map(|(_, p)| p)
            .filter(|p| p.leader.is_none() && p.replicas.contains(&b))
            .cloned()
            .collect();
        for state in offline {
            self.elect(state, "broker returned", ctx);
        }
    }

    /// Keeps the leader if it is still valid, otherwise picks the first live ISR replica in
    /// assignment order, or (unclean election) the first live replica; appends the change.
    fn elect(&mut self, mut state: PartitionState, reason: &'static str, ctx: &Context) {
        let Some(image) = self.image() else { return };
        let valid = |b: BrokerId, isr: &[BrokerId]| image.broker_eligible(b) && isr.contains(&b);
        let mut unclean = false;
        let keep = state.leader.is_some_and(|l| valid(l, &state.isr));
        if !keep {
            let clean = state
                .replicas
                .iter()
                .copied()
                .find(|r| valid(*r, &state.isr));
            state.leader = match clean {
                Some(l) => Some(l),
                None if ctx.config.cluster.unclean_leader_election_enable => {
                    // A replica a reassignment is adding holds nothing worth electing.
                    let pick = state
                        .replicas
                        .iter()
                        .copied()
                        .filter(|r| !state.adding.contains(r))
                        .find(|r| image.broker_eligible(*r));
                    if let Some(l) = pick {
                        unclean = true;
                        state.isr = vec![l];
                    }
                    pick
                }
                None => None,
            };
        }
        self.change_partition(state, unclean, reason);
    }

    /// Appends a partition's new state if it differs: the leader epoch grows on a leader
    /// change, the partition epoch on any change. Returns the state it has now.
    fn change_partition(
        &mut self,
        mut state: PartitionState,
        unclean: bool,
        reason: &'static str,
    ) -> Option<PartitionState> {
        let old = self.image()?.partition(state.tp)?.clone();
        let leader_changed = state.leader != old.leader;
        let replicas_same = (&state.replicas, &state.adding, &state.removing)
            == (&old.replicas, &old.adding, &old.removing);
        if !leader_changed && state.isr == old.isr && replicas_same {
            return Some(old);
        }
        if leader_changed {
            state.leader_epoch = old.leader_epoch + 1;
        }
        state.partition_epoch = old.partition_epoch + 1;
        debug_assert!(state.leader_epoch >= old.leader_epoch, "epochs only grow");
        self.propose(MetadataRecord::PartitionChange {
            state: state.clone(),
            reason,
            unclean,
        });
        Some(state)
    }

    pub(super) fn alter_partition(
        &mut self,
        from: BrokerId,
        tp: TopicPartition,
        leader_epoch: LeaderEpoch,
        partition_epoch: u32,
        mut new_isr: Vec<BrokerId>,
    ) -> Result<PartitionState, ErrorCode> {
        let image = self.image().ok_or(ErrorCode::NotLeaderOrFollower)?;
        let Some(old) = image.partition(tp).cloned() else {
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
            .any(|r| !old.isr.contains(r) && !image.broker_eligible(*r));
        let outside = new_isr.iter().any(|r| !old.replicas.contains(r));
        if joining_fenced || outside || new_isr.is_empty() || !new_isr.contains(&from) {
            return Err(ErrorCode::InvalidUpdateVersion);
        }
        crate::sim::sort::sort_by_key(&mut new_isr, |r| old.replicas.iter().position(|x| x == r));
        let mut state = old;
        state.isr = new_isr;
        let state = self
            .change_partition(state, false, "AlterPartition")
            .ok_or(ErrorCode::NotLeaderOrFollower)?;
        Ok(match self.complete_reassignment(state.clone()) {
            Some(done) => done,
            None => state,
        })
    }

    /// Starts moving a partition to the replicas `target` (KIP-455), replacing a reassignment
    /// that runs: the partition's replicas become the target followed by the replicas it
    /// leaves; the new ones (`adding`) fetch as followers and join the ISR when caught up;
    /// then [`Controller::complete_reassignment`] drops the ones it leaves (`removing`).
    pub(super) fn reassign(
        &mut self,
        tp: TopicPartition,
        target: Vec<BrokerId>,
    ) -> Result<(), String> {
        let image = self.image().ok_or("there is no active controller")?;
        let old = image
            .partition(tp)
            .cloned()
            .ok_or("the partition does not exist")?;
        // As Kafka's controller does, a new reassignment starts from the replicas the
        // partition has now (a running one's included): those the target drops are removed
        // once the target is in sync, never before, so a leader or an in-sync replica is
        // never dropped early.
        let mut state = old.clone();
        state.replicas = target.clone();
        state
            .replicas
            .extend(old.replicas.iter().filter(|r| !target.contains(r)));
        state.adding = target
            .iter()
            .copied()
            .filter(|r| !old.replicas.contains(r) || old.adding.contains(r))
            .collect();
        state.removing = old
            .replicas
            .iter()
            .copied()
            .filter(|r| !target.contains(r))
            .collect();
        if !state.reassigning() {
            // Only the order changed (a new preferred leader): nothing to copy.
            self.change_partition(state, false, "reassignment completed");
        } else if self.complete_reassignment(state.clone()).is_none() {
            self.change_partition(state, false, "reassignment started");
        }
        Ok(())
    }

    /// Finishes a reassignment whose target replicas are all in the ISR: the partition keeps
    /// only them, leaves the ISR to them, and if its leader is leaving, the first target replica
    /// (in sync and eligible) leads. None when `state` has no reassignment to finish.
    fn complete_reassignment(&mut self, mut state: PartitionState) -> Option<PartitionState> {
        if !state.reassigning() {
            return None;
        }
        let target: Vec<BrokerId> = state.target_replicas().collect();
        if !target.iter().all(|r| state.isr.contains(r)) {
            return None;
        }
        let image = self.image()?;
        state.isr.retain(|r| target.contains(r));
        crate::sim::sort::sort_by_key(&mut state.isr, |r| target.iter().position(|x| x == r));
        if state.leader.is_none_or(|l| !target.contains(&l)) {
            state.leader = target
                .iter()
                .copied()
                .find(|r| image.broker_eligible(*r) && state.isr.contains(r));
        }
        state.replicas = target;
        state.adding.clear();
        state.removing.clear();
        self.change_partition(state, false, "reassignment completed")
    }

    /// Creates partitions of `topic` up to `count` in all, placed over the usable brokers
    /// (rack-aware when racks are set) with `rf` replicas each.
    pub(super) fn add_partitions(
        &mut self,
        topic: TopicId,
        count: u32,
        rf: u32,
        ctx: &Context,
    ) -> Result<(), String> {
        let image = self.image().ok_or("there is no active controller")?;
        let have = image.partition_count(topic);
        let brokers = image.usable_brokers();
        if (brokers.len() as u32) < rf {
            return Err(format!(
                "only {} brokers can take new replicas, fewer than the replication factor {rf}",
                brokers.len()
            ));
        }
        for r in partition_records(topic, have..count, rf, &brokers, ctx) {
            self.propose(r);
        }
        Ok(())
    }

    /// Sets a topic's `min.insync.replicas` (a ConfigRecord).
    pub(super) fn set_min_isr(&mut self, topic: TopicId, min_insync_replicas: u32) {
        self.propose(MetadataRecord::TopicConfig {
            topic,
            min_insync_replicas,
        });
    }

    /// Moves leadership back to preferred replicas on brokers whose imbalance is above
    /// `leader.imbalance.per.broker.percentage`.
    pub(super) fn rebalance_preferred_leaders(&mut self, ctx: &Context) {
        let Some(image) = self.image() else { return };
        let threshold = ctx.config.cluster.leader_imbalance_per_broker_percentage as u64;
        let mut preferred: SortedMap<BrokerId, (u64, u64)> = SortedMap::new();
        for (_, p) in image.partitions() {
            let e = preferred.entry(p.replicas[0]).or_default();
            e.0 += 1;
            if p.leader != Some(p.replicas[0]) {
                e.1 += 1;
            }
        }
        let moves: Vec<PartitionState> = preferred
            .iter()
            .filter(|(b, (total, off))| {
                *total > 0 && off * 100 > threshold * total && image.broker_eligible(**b)
            })
            .flat_map(|(b, _)| {
                image
                    .partitions()
                    .map(|(_, p)| p)
                    .filter(move |p| p.replicas[0] == *b && p.leader != Some(*b))
                    .filter(move |p| p.isr.contains(b))
            })
            .cloned()
            .collect();
        self.hand_to_preferred(moves, "preferred leader");
    }

    /// Gives each partition of `moves` to its preferred replica.
    fn hand_to_preferred(&mut self, moves: Vec<PartitionState>, reason: &'static str) {
        for mut state in moves {
            state.leader = Some(state.replicas[0]);
            self.change_partition(state, false, reason);
        }
    }

    /// Hands every partition to its preferred replica where it is in the ISR and eligible
    /// (an admin election: no imbalance threshold).
    pub(super) fn elect_preferred(&mut self) {
        let Some(image) = self.image() else { return };
        let moves: Vec<PartitionState> = image
            .partitions()
            .map(|(_, p)| p)
            .filter(|p| {
                let preferred = p.replicas[0];
                p.leader != Some(preferred)
                    && p.isr.contains(&preferred)
                    && image.broker_eligible(preferred)
            })
            .cloned()
            .collect();
        self.hand_to_preferred(moves, "preferred leader election");
    }
}
