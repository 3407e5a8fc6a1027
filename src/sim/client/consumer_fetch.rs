//! How a consumer plans its requests each tick: committed offsets to look up, positions to
//! reset, and the next fetch to each broker, for the assigned partitions it leads (each
//! within its backlog limit).

use super::{Consumer, ConsumerRequest, ConsumerTimer, CONSUMER_BACKLOG_MAX};
use crate::sim::client::ClientEnv;
use crate::sim::network::Payload;
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{BrokerId, Offset, TopicPartition};

impl Consumer {
    /// Asks for what each assigned partition needs: its committed offset, a reset, or the next
    /// records (unless the application is too far behind).
    pub(super) fn fetch_all(
        &mut self,
        coord: BrokerId,
        ctx: &Context,
        env: &mut ClientEnv,
        out: &mut Outbox<ConsumerTimer>,
    ) {
        let timeout = self.config.request_timeout_ms;
        let fetch_wait = self.config.fetch_max_wait_ms;
        let group = self.group.clone();
        let need_committed: Vec<TopicPartition> = self
            .positions
            .iter()
            .filter(|(_, p)| p.offset.is_none() && !p.needs_reset && !p.fetching_committed)
            .map(|(tp, _)| *tp)
            .collect();
        if !need_committed.is_empty()
            && !self.pending(|r| matches!(r, ConsumerRequest::OffsetFetch))
        {
            for tp in &need_committed {
                self.positions
                    .get_mut(tp)
                    .expect("position")
                    .fetching_committed = true;
            }
            let partitions = need_committed;
            self.send_request(
                coord,
                ConsumerRequest::OffsetFetch,
                |_| Payload::OffsetFetch { group, partitions },
                timeout,
                out,
            );
        }
        let earliest = self.config.auto_offset_reset_earliest;
        let mut missing_leader = false;
        let mut resets = Vec::new();
        // One fetch per broker (Kafka's consumer has at most one fetch in flight to a node):
        // every partition it leads whose position is known, with no fetch in flight and within
        // its backlog limit. Most have a fetch parked at their leader already.
        let busy: Vec<BrokerId> = self
            .requests
            .values()
            .filter(|(r, _)| matches!(r, ConsumerRequest::Fetch))
            .map(|(_, b)| *b)
            .collect();
        let mut fetches: Vec<(BrokerId, Vec<(TopicPartition, Offset)>)> = Vec::new();
        for (tp, pos) in self.positions.iter() {
            let Some(leader) = self.metadata.leader(*tp) else {
                missing_leader = true;
                continue;
            };
            if pos.needs_reset && !pos.resetting {
                resets.push((*tp, leader));
                continue;
            }
            let Some(offset) = pos.offset else { continue };
            let ready = pos.fetch_in_flight.is_none()
                && offset.saturating_sub(pos.acknowledged) < CONSUMER_BACKLOG_MAX
                && !busy.contains(&leader);
            if !ready {
                continue;
            }
            match fetches.iter_mut().find(|(b, _)| *b == leader) {
                Some((_, partitions)) => partitions.push((*tp, offset)),
                None => fetches.push((leader, vec![(*tp, offset)])),
            }
        }
        for (tp, leader) in resets {
            self.positions.get_mut(&tp).expect("position").resetting = true;
            self.send_request(
                leader,
                ConsumerRequest::ListOffsets(tp),
                |_| Payload::ListOffsets { tp, earliest },
                timeout,
                out,
            );
        }
        for (leader, partitions) in fetches {
            let tps: Vec<TopicPartition> = partitions.iter().map(|(tp, _)| *tp).collect();
            let id = self.send_request(
                leader,
                ConsumerRequest::Fetch,
                |id| Payload::ConsumerFetch {
                    request_id: id,
                    partitions,
                },
                fetch_wait + timeout,
                out,
            );
            for tp in tps {
                self.positions
                    .get_mut(&tp)
                    .expect("position")
                    .fetch_in_flight = Some(id);
            }
        }
        if missing_leader {
            self.request_metadata(ctx, env, out);
        }
    }
}
