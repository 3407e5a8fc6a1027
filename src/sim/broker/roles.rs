//! How a broker takes up the role the controller's metadata gives it for each partition (leader,
//! follower, or none), gives a leadership up, and routes group requests to its coordinator.

use super::{
    produce, Broker, BrokerTimer, FollowerProgress, LeaderState, PendingReply, Replica, Role,
};
use crate::sim::config::Acks;
use crate::sim::events::EventKind;
use crate::sim::network::{ErrorCode, PartitionState, Payload};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{NodeId, SimTime, TopicPartition};

impl Broker {
    /// Acts on a partition state from the controller: become leader, follow, or stay.
    pub(super) fn apply_partition_state(
        &mut self,
        now: SimTime,
        state: PartitionState,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let b = self.id;
        self.metadata.insert(state.tp, state.clone());
        let tp = state.tp;
        if !state.replicas.contains(&b) {
            if self.replicas.contains_key(&tp) {
                self.delete_replica(tp, ctx, out);
            }
            return;
        }
        let replica = self.replicas.get_or_insert_with(tp, Replica::default);
        let same_epoch = replica
            .state
            .as_ref()
            .is_some_and(|s| s.leader_epoch == state.leader_epoch);
        if state.leader == Some(b) {
            if same_epoch && replica.is_leader() {
                if let Role::Leader(ls) = &mut replica.role {
                    ls.pending_isr = None;
                    ls.sync_followers(b, &state.replicas, now);
                }
                replica.state = Some(state);
                self.after_isr_change(tp, ctx, out);
                return;
            }
            // Become leader: the epoch starts at our LEO; every follower starts caught up now.
            let leo = replica.log.log_end_offset();
            replica.log.assign_epoch_start(state.leader_epoch, leo);
            let followers = state
                .replicas
                .iter()
                .filter(|r| **r != b)
                .map(|r| {
                    (
                        *r,
                        FollowerProgress {
                            leo: None,
                            last_caught_up: now,
                            last_fetch_time: now,
                            last_fetch_leader_leo: 0,
                        },
                    )
                })
                .collect();
            replica.role = Role::Leader(LeaderState {
                epoch_start_offset: leo,
                followers,
                pending_isr: None,
            });
            replica.state = Some(state);
            if ctx.is_internal(tp) {
                self.coordinator.load_offsets(&replica.log, ctx);
            }
            self.maybe_advance_hw(tp, ctx, out);
        } else {
            let was_leader = replica.is_leader();
            replica.role = Role::Follower {
                leader: state.leader,
            };
            let leader = state.leader;
            replica.state = Some(state);
            if was_leader {
                self.resign(tp, ctx, out);
            }
            // Its fetcher for the leader takes it in now, or with its next fetch when one is
            // in flight.
            if let Some(leader) = leader {
                self.send_fetch(now, leader, ctx, out);
            }
        }
    }

    /// A group request: the coordinator component answers it, or hands back an offset commit
    /// to append to its `__consumer_offsets` partition.
    pub(super) fn handle_group_request(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let replicas = &self.replicas;
        let leads = |tp: TopicPartition| replicas.get(&tp).is_some_and(Replica::is_leader);
        let Some(commit) = self
            .coordinator
            .handle(now, from, payload, &leads, ctx, out)
        else {
            return;
        };
        let ack = produce::AppendAck {
            acks: Acks::All,
            to: commit.from,
            timeout_ms: ctx.config.consumer.request_timeout_ms,
            reply: PendingReply::Commit {
                request_id: commit.request_id,
                group: commit.group.clone(),
                offsets: commit.offsets,
            },
        };
        if let Err(e) = self.leader_append(commit.tp, &commit.records, None, ack, ctx, out) {
            let e = if e == ErrorCode::NotLeaderOrFollower {
                ErrorCode::NotCoordinator
            } else {
                e
            };
            let answer = Payload::OffsetCommitResponse {
                request_id: commit.request_id,
                group: commit.group,
                result: Err(e),
            };
            out.send(commit.from, answer);
        }
    }

    /// The replica was reassigned away (Kafka's StopReplica with deletion): it gives up any
    /// leadership, stops fetching and its log is deleted.
    fn delete_replica(&mut self, tp: TopicPartition, ctx: &Context, out: &mut Outbox<BrokerTimer>) {
        let Some(r) = self.replicas.remove(&tp) else {
            return;
        };
        if r.is_leader() {
            self.resign(tp, ctx, out);
        }
        out.emit(EventKind::ReplicaDeleted {
            broker: self.id,
            tp,
            records: r.log.log_end_offset() - r.log.log_start_offset(),
        });
    }

    /// Answers everything a former leader held for `tp` with NOT_LEADER_OR_FOLLOWER.
    fn resign(&mut self, tp: TopicPartition, ctx: &Context, out: &mut Outbox<BrokerTimer>) {
        let pending: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.tp == tp)
            .map(|(id, _)| *id)
            .collect();
        for id in pending {
            self.complete_pending(id, Err(ErrorCode::NotLeaderOrFollower), out);
        }
        self.answer_parked_reading(tp, ctx, out);
        if ctx.is_internal(tp) {
            self.coordinator.unload(tp, ctx, out);
        }
    }
}
