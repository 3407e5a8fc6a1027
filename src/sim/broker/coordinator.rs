//! The group coordinator, a component of the broker that leads a `__consumer_offsets`
//! partition: membership, rebalances with Range or round-robin assignment, heartbeats, and the
//! committed offsets it stores as records of that partition.
//!
//! It never touches a log itself: an offset commit that passes its checks comes back as a
//! [`CommitAppend`] for the broker to append, and the broker reports the committed offsets
//! with [`GroupCoordinator::record_committed`] once the append is acknowledged.

use crate::sim::sorted_map::SortedMap;
use std::rc::Rc;

use super::assignor::{range_assign, round_robin_assign};
use crate::sim::config::AssignmentStrategy;
use crate::sim::events::EventKind;
use crate::sim::log::PartitionLog;
use crate::sim::network::{ErrorCode, Payload, RecordData};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{MemberId, NodeId, Offset, SimTime, TopicId, TopicPartition};

/// One member as the coordinator sees it.
#[derive(Clone, Debug)]
pub struct GroupMember {
    topics: Vec<Rc<str>>,
    last_heartbeat: SimTime,
    /// Whether the member has (re)joined during the current rebalance.
    joined: bool,
    assignment: Vec<TopicPartition>,
}

impl GroupMember {
    /// The partitions it was assigned in the current generation.
    pub fn assignment(&self) -> &[TopicPartition] {
        &self.assignment
    }
}

/// Where a group is in its life cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupPhase {
    /// No members.
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance {
        /// The rebalance completes by then even if some members did not rejoin.
        deadline: SimTime,
        /// Not before then (`group.initial.rebalance.delay.ms` for a new group).
        not_before: SimTime,
    },
    /// Every member has its assignment.
    Stable,
}

/// A consumer group on its coordinator.
#[derive(Clone, Debug)]
pub struct GroupState {
    phase: GroupPhase,
    generation: u32,
    members: SortedMap<MemberId, GroupMember>,
    /// Each topic's partition count when the group was last assigned: a topic that grew
    /// since makes the group rebalance (as a consumer's metadata refresh would).
    assigned_counts: Vec<u32>,
}

impl GroupState {
    /// Its phase.
    pub fn phase(&self) -> &GroupPhase {
        &self.phase
    }

    /// Its generation (bumped by every completed rebalance).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Its members, by id.
    pub fn members(&self) -> impl Iterator<Item = (&MemberId, &GroupMember)> {
        self.members.iter()
    }
}

/// An offset commit that passed the coordinator's checks: the broker appends `records` to `tp`
/// with acks=all and answers `from` when they are committed.
#[derive(Clone, Debug)]
pub struct CommitAppend {
    /// The member's client.
    pub from: NodeId,
    /// The member's request id.
    pub request_id: u64,
    /// The group.
    pub group: Rc<str>,
    /// The offsets to commit.
    pub offsets: Vec<(TopicPartition, Offset)>,
    /// The `__consumer_offsets` partition of the group.
    pub tp: TopicPartition,
    /// One record per committed offset.
    pub records: Vec<RecordData>,
}

/// The groups a broker coordinates and their committed offsets.
#[derive(Clone, Debug, Default)]
pub struct GroupCoordinator {
    groups: SortedMap<Rc<str>, GroupState>,
    /// Committed offsets: (group, partition) -> offset.
    committed: SortedMap<(Rc<str>, TopicPartition), Offset>,
}

impl GroupCoordinator {
    // ----- getters -----

    /// The group called `name`, if this coordinator has it.
    pub fn group(&self, name: &str) -> Option<&GroupState> {
        self.groups.get(name)
    }

    /// The names of the groups it has.
    pub fn group_names(&self) -> impl Iterator<Item = &Rc<str>> {
        self.groups.keys()
    }

    /// Committed offsets of `group`, in partition order.
    pub fn committed<'a>(
        &'a self,
        group: &'a str,
    ) -> impl Iterator<Item = (TopicPartition, Offset)> + 'a {
        self.committed
            .iter()
            .filter(move |((g, _), _)| &**g == group)
            .map(|((_, tp), o)| (*tp, *o))
    }

    /// Every committed offset: (group, partition, offset), in group then partition order.
    pub fn all_committed(&self) -> impl Iterator<Item = (&Rc<str>, TopicPartition, Offset)> {
        self.committed.iter().map(|((g, tp), o)| (g, *tp, *o))
    }

    // ----- inputs -----

    /// A group request from a client; `leads` says whether this broker leads a partition (the
    /// coordinator of a group is the leader of its `__consumer_offsets` partition).
    pub fn handle<T>(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        leads: &dyn Fn(TopicPartition) -> bool,
        ctx: &Context,
        out: &mut Outbox<T>,
    ) -> Option<CommitAppend> {
        if !matches!(from, NodeId::Client(_)) {
            return None;
        }
        let is_coordinator = |group: &str| leads(ctx.coordinator_partition(group));
        match payload {
            Payload::JoinGroup {
                group,
                member,
                topics,
            } => {
                if !is_coordinator(&group) {
                    let result = Err(ErrorCode::NotCoordinator);
                    out.send(from, Payload::JoinGroupResponse { group, result });
                } else {
                    self.join(now, group, member, topics, ctx, out);
                }
            }
            Payload::SyncGroup {
                group,
                member,
                generation,
            } => {
                let result = match self.groups.get(&group) {
                    _ if !is_coordinator(&group) => Err(ErrorCode::NotCoordinator),
                    None => Err(ErrorCode::UnknownMemberId),
                    Some(g) => match g.members.get(&member) {
                        None => Err(ErrorCode::UnknownMemberId),
                        Some(_) if g.phase != GroupPhase::Stable => {
                            Err(ErrorCode::RebalanceInProgress)
                        }
                        Some(_) if g.generation != generation => Err(ErrorCode::IllegalGeneration),
                        Some(m) => Ok(m.assignment.clone()),
                    },
                };
                out.send(from, Payload::SyncGroupResponse { group, result });
            }
            Payload::GroupHeartbeat {
                group,
                member,
                generation,
            } => {
                let coordinator = is_coordinator(&group);
                let error = match self.groups.get_mut(&group) {
                    _ if !coordinator => Some(ErrorCode::NotCoordinator),
                    None => Some(ErrorCode::UnknownMemberId),
                    Some(g) => {
                        let rebalancing = matches!(g.phase, GroupPhase::PreparingRebalance { .. });
                        let current = g.generation;
                        match g.members.get_mut(&member) {
                            None => Some(ErrorCode::UnknownMemberId),
                            Some(m) => {
                                m.last_heartbeat = now;
                                if rebalancing {
                                    Some(ErrorCode::RebalanceInProgress)
                                } else if current != generation {
                                    Some(ErrorCode::IllegalGeneration)
                                } else {
                                    None
                                }
                            }
                        }
                    }
                };
                out.send(from, Payload::GroupHeartbeatResponse { group, error });
            }
            Payload::LeaveGroup { group, member } => {
                let removed = self
                    .groups
                    .get_mut(&group)
                    .and_then(|g| g.members.remove(&member))
                    .is_some();
                if removed {
                    self.prepare_rebalance(now, &group, ctx);
                }
            }
            Payload::OffsetFetch { group, partitions } => {
                let result = if is_coordinator(&group) {
                    Ok(partitions
                        .iter()
                        .map(|tp| (*tp, self.committed.get(&(group.clone(), *tp)).copied()))
                        .collect())
                } else {
                    Err(ErrorCode::NotCoordinator)
                };
                out.send(from, Payload::OffsetFetchResponse { group, result });
            }
            Payload::OffsetCommit {
                request_id,
                group,
                member,
                generation,
                offsets,
            } => {
                // The classic protocol: a member of the current generation may commit while the
                // group prepares a rebalance (it still owns its partitions until it rejoins).
                // The sandbox's coordinator assigns as the join completes, so the group has no
                // CompletingRebalance phase, where Kafka answers REBALANCE_IN_PROGRESS.
                let check = match self.groups.get(&group) {
                    _ if !is_coordinator(&group) => Err(ErrorCode::NotCoordinator),
                    None => Err(ErrorCode::UnknownMemberId),
                    Some(g) if !g.members.contains_key(&member) => Err(ErrorCode::UnknownMemberId),
                    Some(g) if g.generation != generation => Err(ErrorCode::IllegalGeneration),
                    Some(_) => Ok(()),
                };
                if let Err(e) = check {
                    let result = Err(e);
                    let answer = Payload::OffsetCommitResponse {
                        request_id,
                        group,
                        result,
                    };
                    out.send(from, answer);
                    return None;
                }
                let records = offsets
                    .iter()
                    .map(|(tp, offset)| RecordData {
                        key: Some(Rc::from(format!(
                            "{}/{}/{}",
                            group,
                            ctx.topic(tp.topic).name,
                            tp.partition
                        ))),
                        value: Rc::from(format!("{{\"offset\":{offset}}}")),
                        timestamp: now,
                    })
                    .collect();
                return Some(CommitAppend {
                    from,
                    request_id,
                    tp: ctx.coordinator_partition(&group),
                    group,
                    offsets,
                    records,
                });
            }
            _ => {}
        }
        None
    }

    /// The periodic check: expire silent members and complete rebalances whose wait is over.
    pub fn check<T>(&mut self, now: SimTime, ctx: &Context, out: &mut Outbox<T>) {
        let session = ctx.config.consumer.session_timeout_ms;
        let groups: Vec<Rc<str>> = self.groups.keys().cloned().collect();
        for group in groups {
            let g = self.groups.get_mut(&group).expect("group");
            let expired: Vec<MemberId> = g
                .members
                .iter()
                .filter(|(_, m)| !m.joined && now.saturating_sub(m.last_heartbeat) > session)
                .map(|(id, _)| *id)
                .collect();
            if !expired.is_empty() {
                for id in &expired {
                    g.members.remove(id);
                }
                for member in expired {
                    out.emit(EventKind::MemberExpired {
                        group: group.clone(),
                        member: member.client,
                    });
                }
                self.prepare_rebalance(now, &group, ctx);
            }
            let g = self.groups.get(&group).expect("group");
            let grew = matches!(g.phase, GroupPhase::Stable)
                && g.assigned_counts.len() == ctx.topics.len()
                && ctx
                    .topics
                    .iter()
                    .zip(&g.assigned_counts)
                    .any(|(t, n)| t.config.partitions != *n);
            if grew {
                self.prepare_rebalance(now, &group, ctx);
            }
            self.try_complete(now, &group, ctx, out);
        }
    }

    /// A committed offset commit: remember its offsets.
    pub fn record_committed(&mut self, group: &Rc<str>, offsets: &[(TopicPartition, Offset)]) {
        for (tp, offset) in offsets {
            self.committed.insert((group.clone(), *tp), *offset);
        }
    }

    /// This broker became leader of an offsets partition: read the committed offsets from its
    /// log (later records win).
    pub fn load_offsets(&mut self, log: &PartitionLog, ctx: &Context) {
        for r in log.records() {
            let Some(key) = &r.data.key else { continue };
            let mut parts = key.rsplitn(3, '/');
            let (Some(p), Some(topic), Some(group)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Some(topic) = ctx.topic_by_name(topic) else {
                continue;
            };
            let Ok(partition) = p.parse::<u32>() else {
                continue;
            };
            let offset = r
                .data
                .value
                .trim_start_matches("{\"offset\":")
                .trim_end_matches('}')
                .parse::<Offset>();
            if let Ok(offset) = offset {
                self.committed.insert(
                    (Rc::from(group), TopicPartition { topic, partition }),
                    offset,
                );
            }
        }
    }

    /// This broker no longer leads offsets partition `tp`: forget the groups stored there. A
    /// member whose JoinGroup waits for the rebalance is told NOT_COORDINATOR, as Kafka's
    /// coordinator answers the joins it holds when it unloads a group; the member then looks the
    /// coordinator up again instead of waiting out its request timeout.
    pub fn unload<T>(&mut self, tp: TopicPartition, ctx: &Context, out: &mut Outbox<T>) {
        for (group, g) in &self.groups {
            if ctx.coordinator_partition(group) != tp
                || !matches!(g.phase, GroupPhase::PreparingRebalance { .. })
            {
                continue;
            }
            for id in g.members.iter().filter(|(_, m)| m.joined).map(|(id, _)| id) {
                out.send(
                    NodeId::Client(id.client),
                    Payload::JoinGroupResponse {
                        group: group.clone(),
                        result: Err(ErrorCode::NotCoordinator),
                    },
                );
            }
        }
        self.groups
            .retain(|g, _| ctx.coordinator_partition(g) != tp);
        self.committed
            .retain(|(g, _), _| ctx.coordinator_partition(g) != tp);
    }

    // ----- rules -----

    fn join<T>(
        &mut self,
        now: SimTime,
        group: Rc<str>,
        member: MemberId,
        topics: Vec<Rc<str>>,
        ctx: &Context,
        out: &mut Outbox<T>,
    ) {
        let g = self.groups.entry(group.clone()).or_insert(GroupState {
            phase: GroupPhase::Empty,
            generation: 0,
            members: SortedMap::new(),
            assigned_counts: Vec::new(),
        });
        g.members.entry(member).or_insert(GroupMember {
            topics: Vec::new(),
            last_heartbeat: now,
            joined: false,
            assignment: Vec::new(),
        });
        if !matches!(g.phase, GroupPhase::PreparingRebalance { .. }) {
            self.prepare_rebalance(now, &group, ctx);
        }
        let g = self.groups.get_mut(&group).expect("group");
        if let Some(m) = g.members.get_mut(&member) {
            m.topics = topics;
            m.last_heartbeat = now;
            m.joined = true;
        }
        self.try_complete(now, &group, ctx, out);
    }

    fn prepare_rebalance(&mut self, now: SimTime, group: &Rc<str>, ctx: &Context) {
        let initial_delay = ctx.config.cluster.group_initial_rebalance_delay_ms;
        let rebalance_timeout = ctx.config.consumer.max_poll_interval_ms;
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if g.members.is_empty() {
            g.phase = GroupPhase::Empty;
            return;
        }
        let was_empty = matches!(g.phase, GroupPhase::Empty);
        let not_before = if was_empty { now + initial_delay } else { now };
        if !matches!(g.phase, GroupPhase::PreparingRebalance { .. }) {
            for m in g.members.values_mut() {
                m.joined = false;
            }
        }
        g.phase = GroupPhase::PreparingRebalance {
            deadline: now + rebalance_timeout,
            not_before,
        };
    }

    /// Completes a rebalance once every member rejoined (or the deadline passed): members that
    /// did not rejoin leave, the generation is bumped and every member learns it.
    fn try_complete<T>(
        &mut self,
        now: SimTime,
        group: &Rc<str>,
        ctx: &Context,
        out: &mut Outbox<T>,
    ) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        let GroupPhase::PreparingRebalance {
            deadline,
            not_before,
        } = g.phase
        else {
            return;
        };
        let all_joined = g.members.values().all(|m| m.joined);
        if now < not_before || !(all_joined || now >= deadline) {
            return;
        }
        let topic_table: Vec<(TopicId, Rc<str>, u32)> = ctx
            .topics
            .iter()
            .map(|t| (t.id, t.name.clone(), t.config.partitions))
            .collect();
        let expired: Vec<MemberId> = g
            .members
            .iter()
            .filter(|(_, m)| !m.joined)
            .map(|(id, _)| *id)
            .collect();
        g.members.retain(|_, m| m.joined);
        if g.members.is_empty() {
            g.phase = GroupPhase::Empty;
            return;
        }
        g.generation += 1;
        let subscriptions: SortedMap<MemberId, Vec<Rc<str>>> = g
            .members
            .iter()
            .map(|(id, m)| (*id, m.topics.clone()))
            .collect();
        let assignment = match ctx.config.consumer.assignment_strategy {
            AssignmentStrategy::Range => range_assign(&subscriptions, &topic_table),
            AssignmentStrategy::RoundRobin => round_robin_assign(&subscriptions, &topic_table),
        };
        for (id, parts) in &assignment {
            if let Some(m) = g.members.get_mut(id) {
                m.assignment = parts.clone();
                m.joined = false;
                m.last_heartbeat = now;
            }
        }
        g.phase = GroupPhase::Stable;
        g.assigned_counts = ctx.topics.iter().map(|t| t.config.partitions).collect();
        let generation = g.generation;
        for member in expired {
            out.emit(EventKind::MemberExpired {
                group: group.clone(),
                member: member.client,
            });
        }
        out.emit(EventKind::GroupRebalanced {
            group: group.clone(),
            generation,
            assignment: assignment
                .iter()
                .map(|(m, parts)| (m.client, parts.clone()))
                .collect(),
        });
        for member in assignment.keys() {
            out.send(
                NodeId::Client(member.client),
                Payload::JoinGroupResponse {
                    group: group.clone(),
                    result: Ok(generation),
                },
            );
        }
    }
}

#[cfg(test)]
#[path = "coordinator_tests.rs"]
mod tests;
