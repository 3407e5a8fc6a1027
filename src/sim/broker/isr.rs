//! The in-sync replica set as its leader manages it: shrink when a follower has not caught up
//! within `replica.lag.time.max.ms`, expand when it has, both proposed to the controller with
//! AlterPartition (KIP-497).

use super::{Broker, BrokerTimer, Role};
use crate::sim::network::{ErrorCode, PartitionState, Payload};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{BrokerId, SimTime, TopicPartition};

impl Broker {
    /// Asks the controller for `new_isr`; the pending change already counts for the HW.
    pub(super) fn propose_isr(
        &mut self,
        now: SimTime,
        tp: TopicPartition,
        new_isr: Vec<BrokerId>,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(replica) = self.replicas.get_mut(&tp) else {
            return;
        };
        let Some(state) = replica.state.clone() else {
            return;
        };
        let Role::Leader(ls) = &mut replica.role else {
            return;
        };
        ls.pending_isr = Some((new_isr.clone(), now));
        let payload = Payload::AlterPartition {
            tp,
            leader_epoch: state.leader_epoch,
            partition_epoch: state.partition_epoch,
            new_isr,
        };
        if let Some(controller) = self.active_controller() {
            out.send(controller, payload);
        }
    }

    /// The controller answered an AlterPartition: adopt the committed state if it is newer.
    pub(super) fn alter_partition_response(
        &mut self,
        tp: TopicPartition,
        result: Result<PartitionState, ErrorCode>,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        let Some(replica) = self.replicas.get_mut(&tp) else {
            return;
        };
        let Role::Leader(ls) = &mut replica.role else {
            return;
        };
        ls.pending_isr = None;
        if let Ok(state) = result {
            let current = replica
                .state
                .as_ref()
                .map_or((0, 0), |s| (s.leader_epoch, s.partition_epoch));
            if state.leader_epoch == current.0 && state.partition_epoch >= current.1 {
                // The answer may carry a completed reassignment: the followers change too.
                ls.sync_followers(self.id, &state.replicas, out.now());
                replica.state = Some(state);
            }
        }
        self.after_isr_change(tp, ctx, out);
    }

    /// A new ISR may move the HW and decide pending acknowledgements.
    pub(super) fn after_isr_change(
        &mut self,
        tp: TopicPartition,
        ctx: &Context,
        out: &mut Outbox<BrokerTimer>,
    ) {
        self.maybe_advance_hw(tp, ctx, out);
        self.check_pending(tp, ctx, out);
    }

    /// Every half of replica.lag.time.max.ms: drop followers that are not caught up. A follower
    /// is caught up when its LEO equals ours, however long ago it fetched, or when it was last
    /// caught up within the lag time (Kafka's `Replica.isCaughtUp`): on an idle partition
    /// nobody leaves by lag.
    pub(super) fn isr_check(&mut self, now: SimTime, ctx: &Context, out: &mut Outbox<BrokerTimer>) {
        let b = self.id;
        let lag = ctx.config.cluster.replica_lag_time_max_ms;
        let mut proposals = Vec::new();
        for (tp, replica) in self.replicas.iter_mut() {
            let leader_leo = replica.log.log_end_offset();
            let Role::Leader(ls) = &mut replica.role else {
                continue;
            };
            let Some(state) = &replica.state else {
                continue;
            };
            if let Some((_, sent)) = ls.pending_isr {
                if now.saturating_sub(sent) < lag / 2 {
                    continue;
                }
                ls.pending_isr = None; // no answer: the controller may be down; try again
            }
            let out_of_sync: Vec<BrokerId> = state
                .isr
                .iter()
                .copied()
                .filter(|r| *r != b)
                .filter(|r| {
                    ls.followers.get(r).is_none_or(|p| {
                        p.leo != Some(leader_leo) && now.saturating_sub(p.last_caught_up) > lag
                    })
                })
                .collect();
            if !out_of_sync.is_empty() {
                let new_isr: Vec<BrokerId> = state
                    .isr
                    .iter()
                    .copied()
                    .filter(|r| !out_of_sync.contains(r))
                    .collect();
                proposals.push((*tp, new_isr));
            }
        }
        for (tp, new_isr) in proposals {
            self.propose_isr(now, tp, new_isr, out);
        }
        out.set_timer(lag / 2, BrokerTimer::IsrCheck);
    }
}
