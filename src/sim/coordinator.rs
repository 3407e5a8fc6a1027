//! The group coordinator, hosted by the leader of a `__consumer_offsets` partition: membership,
//! rebalances with Range or round-robin assignment, heartbeats, and offset commits stored as
//! records of `__consumer_offsets`.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::broker::PendingReply;
use super::config::{Acks, AssignmentStrategy};
use super::engine::{Simulation, Timer, OFFSETS_TOPIC};
use super::events::EventKind;
use super::network::{ErrorCode, Payload, RecordData};
use super::types::{
    BrokerId, ClientId, MemberId, NodeId, Offset, SimTime, TopicId, TopicPartition,
};

/// How often a coordinator checks sessions and pending rebalances.
const GROUP_CHECK_INTERVAL_MS: SimTime = 100;

/// One member as the coordinator sees it.
#[derive(Clone, Debug)]
pub(crate) struct GroupMember {
    pub topics: Vec<Rc<str>>,
    pub last_heartbeat: SimTime,
    /// Whether the member has (re)joined during the current rebalance.
    pub joined: bool,
    pub assignment: Vec<TopicPartition>,
}

/// Where a group is in its life cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GroupPhase {
    Empty,
    PreparingRebalance {
        deadline: SimTime,
        not_before: SimTime,
    },
    Stable,
}

/// A consumer group on its coordinator.
#[derive(Clone, Debug)]
pub(crate) struct GroupState {
    pub phase: GroupPhase,
    pub generation: u32,
    pub members: BTreeMap<MemberId, GroupMember>,
}

/// Java's `String.hashCode`, which Kafka uses to place a group on a `__consumer_offsets` partition.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// Kafka's `Utils.abs`.
fn kafka_abs(n: i32) -> i32 {
    if n == i32::MIN {
        0
    } else {
        n.abs()
    }
}

/// Range assignment (Kafka's default): per topic, partitions in order over the members sorted by
/// id; the first `partitions % members` members get one extra.
pub fn range_assign<M: Ord + Copy>(
    members: &BTreeMap<M, Vec<Rc<str>>>,
    topics: &[(TopicId, Rc<str>, u32)],
) -> BTreeMap<M, Vec<TopicPartition>> {
    let mut out: BTreeMap<M, Vec<TopicPartition>> =
        members.keys().map(|m| (*m, Vec::new())).collect();
    for (id, name, partitions) in topics {
        let subscribed: Vec<M> = members
            .iter()
            .filter(|(_, t)| t.contains(name))
            .map(|(m, _)| *m)
            .collect();
        if subscribed.is_empty() {
            continue;
        }
        let per = *partitions as usize / subscribed.len();
        let extra = *partitions as usize % subscribed.len();
        let mut next = 0u32;
        for (i, m) in subscribed.iter().enumerate() {
            let count = per + usize::from(i < extra);
            for _ in 0..count {
                out.get_mut(m).expect("member").push(TopicPartition {
                    topic: *id,
                    partition: next,
                });
                next += 1;
            }
        }
    }
    out
}

/// Round-robin assignment: every partition of every topic, sorted, dealt to subscribed members.
pub fn round_robin_assign<M: Ord + Copy>(
    members: &BTreeMap<M, Vec<Rc<str>>>,
    topics: &[(TopicId, Rc<str>, u32)],
) -> BTreeMap<M, Vec<TopicPartition>> {
    let mut out: BTreeMap<M, Vec<TopicPartition>> =
        members.keys().map(|m| (*m, Vec::new())).collect();
    let ids: Vec<M> = members.keys().copied().collect();
    if ids.is_empty() {
        return out;
    }
    let mut sorted: Vec<&(TopicId, Rc<str>, u32)> = topics.iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    let mut cursor = 0usize;
    for (id, name, partitions) in sorted {
        for p in 0..*partitions {
            for _ in 0..ids.len() {
                let m = ids[cursor % ids.len()];
                cursor += 1;
                if members[&m].contains(name) {
                    out.get_mut(&m).expect("member").push(TopicPartition {
                        topic: *id,
                        partition: p,
                    });
                    break;
                }
            }
        }
    }
    out
}

impl Simulation {
    /// The `__consumer_offsets` partition that stores `group` (its leader is the coordinator).
    pub fn coordinator_partition(&self, group: &str) -> TopicPartition {
        let topic = self
            .topic_by_name(OFFSETS_TOPIC)
            .expect("offsets topic exists");
        let n = self.config.cluster.offsets_topic_partitions as i32;
        TopicPartition {
            topic,
            partition: (kafka_abs(java_string_hash(group)) % n) as u32,
        }
    }

    fn is_coordinator(&self, b: BrokerId, group: &str) -> bool {
        self.brokers[&b].is_leader(self.coordinator_partition(group))
    }

    pub(crate) fn coordinator_handle(&mut self, b: BrokerId, from: NodeId, payload: Payload) {
        if !matches!(from, NodeId::Client(_)) {
            return;
        }
        let member = match &payload {
            Payload::JoinGroup { member, .. }
            | Payload::SyncGroup { member, .. }
            | Payload::GroupHeartbeat { member, .. }
            | Payload::LeaveGroup { member, .. }
            | Payload::OffsetCommit { member, .. } => *member,
            _ => MemberId {
                client: ClientId(0),
                incarnation: 0,
            },
        };
        let reply = |sim: &mut Simulation, p: Payload| sim.transmit(NodeId::Broker(b), from, p);
        match payload {
            Payload::JoinGroup { group, topics, .. } => {
                if !self.is_coordinator(b, &group) {
                    return reply(
                        self,
                        Payload::JoinGroupResponse {
                            group,
                            result: Err(ErrorCode::NotCoordinator),
                        },
                    );
                }
                self.coordinator_join(b, group, member, topics);
            }
            Payload::SyncGroup {
                group, generation, ..
            } => {
                let result = match self.brokers[&b].groups.get(&group) {
                    _ if !self.is_coordinator(b, &group) => Err(ErrorCode::NotCoordinator),
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
                reply(self, Payload::SyncGroupResponse { group, result });
            }
            Payload::GroupHeartbeat {
                group, generation, ..
            } => {
                let now = self.now;
                let coordinator = self.is_coordinator(b, &group);
                let error = match self
                    .brokers
                    .get_mut(&b)
                    .expect("broker")
                    .groups
                    .get_mut(&group)
                {
                    _ if !coordinator => Some(ErrorCode::NotCoordinator),
                    None => Some(ErrorCode::UnknownMemberId),
                    Some(g) => {
                        let phase = g.phase.clone();
                        let current = g.generation;
                        match g.members.get_mut(&member) {
                            None => Some(ErrorCode::UnknownMemberId),
                            Some(m) => {
                                m.last_heartbeat = now;
                                if matches!(phase, GroupPhase::PreparingRebalance { .. }) {
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
                reply(self, Payload::GroupHeartbeatResponse { group, error });
            }
            Payload::LeaveGroup { group, .. } => {
                let removed = self
                    .brokers
                    .get_mut(&b)
                    .expect("broker")
                    .groups
                    .get_mut(&group)
                    .and_then(|g| g.members.remove(&member))
                    .is_some();
                if removed {
                    self.coordinator_prepare_rebalance(b, &group);
                }
            }
            Payload::OffsetFetch { group, partitions } => {
                let result = if self.is_coordinator(b, &group) {
                    let committed = &self.brokers[&b].committed;
                    Ok(partitions
                        .iter()
                        .map(|tp| (*tp, committed.get(&(group.clone(), *tp)).copied()))
                        .collect())
                } else {
                    Err(ErrorCode::NotCoordinator)
                };
                reply(self, Payload::OffsetFetchResponse { group, result });
            }
            Payload::OffsetCommit {
                request_id,
                group,
                generation,
                offsets,
                ..
            } => {
                let check = match self.brokers[&b].groups.get(&group) {
                    _ if !self.is_coordinator(b, &group) => Err(ErrorCode::NotCoordinator),
                    None => Err(ErrorCode::UnknownMemberId),
                    Some(g) if !g.members.contains_key(&member) => Err(ErrorCode::UnknownMemberId),
                    Some(g) if g.phase != GroupPhase::Stable => Err(ErrorCode::RebalanceInProgress),
                    Some(g) if g.generation != generation => Err(ErrorCode::IllegalGeneration),
                    Some(_) => Ok(()),
                };
                if let Err(e) = check {
                    return reply(
                        self,
                        Payload::OffsetCommitResponse {
                            request_id,
                            group,
                            result: Err(e),
                        },
                    );
                }
                let now = self.now;
                let records: Vec<RecordData> = offsets
                    .iter()
                    .map(|(tp, offset)| RecordData {
                        key: Some(Rc::from(format!(
                            "{}/{}/{}",
                            group,
                            self.topic_name(tp.topic),
                            tp.partition
                        ))),
                        value: Rc::from(format!("{{\"offset\":{offset}}}")),
                        timestamp: now,
                    })
                    .collect();
                let tp = self.coordinator_partition(&group);
                let timeout = self.config.consumer.request_timeout_ms;
                let pending = PendingReply::Commit {
                    request_id,
                    group: group.clone(),
                    offsets,
                };
                if let Err(e) =
                    self.leader_append(b, tp, &records, None, Acks::All, from, timeout, pending)
                {
                    let e = if e == ErrorCode::NotLeaderOrFollower {
                        ErrorCode::NotCoordinator
                    } else {
                        e
                    };
                    reply(
                        self,
                        Payload::OffsetCommitResponse {
                            request_id,
                            group,
                            result: Err(e),
                        },
                    );
                }
            }
            _ => {}
        }
    }

    fn coordinator_join(
        &mut self,
        b: BrokerId,
        group: Rc<str>,
        member: MemberId,
        topics: Vec<Rc<str>>,
    ) {
        let now = self.now;
        let broker = self.brokers.get_mut(&b).expect("broker");
        let g = broker.groups.entry(group.clone()).or_insert(GroupState {
            phase: GroupPhase::Empty,
            generation: 0,
            members: BTreeMap::new(),
        });
        g.members.entry(member).or_insert(GroupMember {
            topics: Vec::new(),
            last_heartbeat: now,
            joined: false,
            assignment: Vec::new(),
        });
        if !matches!(g.phase, GroupPhase::PreparingRebalance { .. }) {
            self.coordinator_prepare_rebalance(b, &group);
        }
        let g = self
            .brokers
            .get_mut(&b)
            .expect("broker")
            .groups
            .get_mut(&group)
            .expect("group");
        if let Some(m) = g.members.get_mut(&member) {
            m.topics = topics;
            m.last_heartbeat = now;
            m.joined = true;
        }
        self.coordinator_try_complete(b, &group);
    }

    fn coordinator_prepare_rebalance(&mut self, b: BrokerId, group: &Rc<str>) {
        let now = self.now;
        let initial_delay = self.config.cluster.group_initial_rebalance_delay_ms;
        let rebalance_timeout = self.config.consumer.max_poll_interval_ms;
        let Some(g) = self
            .brokers
            .get_mut(&b)
            .expect("broker")
            .groups
            .get_mut(group)
        else {
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

    fn coordinator_try_complete(&mut self, b: BrokerId, group: &Rc<str>) {
        let now = self.now;
        let Some(g) = self.brokers[&b].groups.get(group) else {
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
        let strategy = self.config.consumer.assignment_strategy;
        let topic_table: Vec<(TopicId, Rc<str>, u32)> = self
            .topics
            .iter()
            .map(|t| (t.id, t.name.clone(), t.config.partitions))
            .collect();
        let g = self
            .brokers
            .get_mut(&b)
            .expect("broker")
            .groups
            .get_mut(group)
            .expect("group");
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
        let subscriptions: BTreeMap<MemberId, Vec<Rc<str>>> = g
            .members
            .iter()
            .map(|(id, m)| (*id, m.topics.clone()))
            .collect();
        let assignment = match strategy {
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
        let generation = g.generation;
        for member in expired {
            self.emit(EventKind::MemberExpired {
                group: group.clone(),
                member: member.client,
            });
        }
        self.counters.rebalances += 1;
        self.emit(EventKind::GroupRebalanced {
            group: group.clone(),
            generation,
            assignment: assignment
                .iter()
                .map(|(m, parts)| (m.client, parts.clone()))
                .collect(),
        });
        for member in assignment.keys() {
            self.transmit(
                NodeId::Broker(b),
                NodeId::Client(member.client),
                Payload::JoinGroupResponse {
                    group: group.clone(),
                    result: Ok(generation),
                },
            );
        }
    }

    /// Periodic: expire silent members and complete rebalances whose wait is over.
    pub(crate) fn coordinator_check(&mut self, b: BrokerId) {
        let now = self.now;
        let session = self.config.consumer.session_timeout_ms;
        let groups: Vec<Rc<str>> = self.brokers[&b].groups.keys().cloned().collect();
        for group in groups {
            let expired: Vec<MemberId> = self.brokers[&b].groups[&group]
                .members
                .iter()
                .filter(|(_, m)| !m.joined && now.saturating_sub(m.last_heartbeat) > session)
                .map(|(id, _)| *id)
                .collect();
            if !expired.is_empty() {
                if let Some(g) = self
                    .brokers
                    .get_mut(&b)
                    .expect("broker")
                    .groups
                    .get_mut(&group)
                {
                    for id in &expired {
                        g.members.remove(id);
                    }
                }
                for member in expired {
                    self.emit(EventKind::MemberExpired {
                        group: group.clone(),
                        member: member.client,
                    });
                }
                self.coordinator_prepare_rebalance(b, &group);
            }
            self.coordinator_try_complete(b, &group);
        }
        let inc = self.brokers[&b].incarnation;
        self.set_timer(GROUP_CHECK_INTERVAL_MS, Timer::BrokerGroupCheck(b, inc));
    }

    /// A new leader of an offsets partition reads the committed offsets from its log.
    pub(crate) fn coordinator_load_offsets(&mut self, b: BrokerId, tp: TopicPartition) {
        let mut loaded = Vec::new();
        for r in self.brokers[&b].replicas[&tp].log.records() {
            let Some(key) = &r.data.key else { continue };
            let mut parts = key.rsplitn(3, '/');
            let (Some(p), Some(topic), Some(group)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Some(topic) = self.topic_by_name(topic) else {
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
                loaded.push((
                    (Rc::from(group), TopicPartition { topic, partition }),
                    offset,
                ));
            }
        }
        let broker = self.brokers.get_mut(&b).expect("broker");
        for (k, v) in loaded {
            broker.committed.insert(k, v);
        }
    }

    /// A former leader of an offsets partition forgets the groups it coordinated there.
    pub(crate) fn coordinator_unload(&mut self, b: BrokerId, tp: TopicPartition) {
        let groups: Vec<Rc<str>> = self.brokers[&b]
            .groups
            .keys()
            .filter(|g| self.coordinator_partition(g) == tp)
            .cloned()
            .collect();
        let stale: Vec<(Rc<str>, TopicPartition)> = self.brokers[&b]
            .committed
            .keys()
            .filter(|(g, _)| self.coordinator_partition(g) == tp)
            .cloned()
            .collect();
        let broker = self.brokers.get_mut(&b).expect("broker");
        for g in &groups {
            broker.groups.remove(g);
        }
        let broker = self.brokers.get_mut(&b).expect("broker");
        for k in stale {
            broker.committed.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_java() {
        // "hello".hashCode() == 99162322 in Java.
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash(""), 0);
    }

    #[test]
    fn range_gives_first_members_the_extra_partition() {
        let t: Rc<str> = Rc::from("orders");
        let members: BTreeMap<ClientId, Vec<Rc<str>>> = [
            (ClientId(1), vec![t.clone()]),
            (ClientId(2), vec![t.clone()]),
        ]
        .into_iter()
        .collect();
        let a = range_assign(&members, &[(TopicId(0), t.clone(), 3)]);
        let parts = |c: u32| {
            a[&ClientId(c)]
                .iter()
                .map(|tp| tp.partition)
                .collect::<Vec<_>>()
        };
        assert_eq!(parts(1), vec![0, 1]);
        assert_eq!(parts(2), vec![2]);
        let rr = round_robin_assign(&members, &[(TopicId(0), t, 3)]);
        assert_eq!(
            rr[&ClientId(1)]
                .iter()
                .map(|tp| tp.partition)
                .collect::<Vec<_>>(),
            vec![0, 2]
        );
    }
}
