//! How a consumer plans its requests each tick: committed offsets to look up, positions to
//! reset, and the next fetch of each assigned partition (within its backlog limit).

use super::{Consumer, ConsumerRequest, ConsumerTimer, CONSUMER_BACKLOG_MAX};
use crate::sim::client::ClientEnv;
use crate::sim::network::Payload;
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{BrokerId, TopicPartition};

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
        // One pass in partition order: each partition that needs a request gets it (acting on
        // one changes only its own state); most have a fetch parked at their leader already.
        let mut missing_leader = false;
        let mut after: Option<TopicPartition> = None;
        while let Some((tp, leader, offset)) = {
            let mut found = None;
            for (tp, pos) in self.positions.iter() {
                if after.is_some_and(|a| *tp <= a) {
                    continue;
                }
                let Some(leader) = self.metadata.leader(*tp) else {
                    missing_leader = true;
                    continue;
                };
                if pos.needs_reset && !pos.resetting {
                    found = Some((*tp, leader, None));
                    break;
                }
                if let Some(offset) = pos.offset {
                    if pos.fetch_in_flight.is_none()
                        && offset.saturating_sub(pos.acknowledged) < CONSUMER_BACKLOG_MAX
                    {
                        found = Some((*tp, leader, Some(offset)));
                        break;
                    }
                }
            }
            found
        } {
            after = Some(tp);
            let Some(offset) = offset else {
                self.positions.get_mut(&tp).expect("position").resetting = true;
                self.send_request(
                    leader,
                    ConsumerRequest::ListOffsets(tp),
                    |_| Payload::ListOffsets { tp, earliest },
                    timeout,
                    out,
                );
                continue;
            };
            let id = self.send_request(
                leader,
                ConsumerRequest::Fetch(tp),
                |id| Payload::ConsumerFetch {
                    request_id: id,
                    tp,
                    offset,
                },
                fetch_wait + timeout,
                out,
            );
            self.positions
                .get_mut(&tp)
                .expect("position")
                .fetch_in_flight = Some(id);
        }
        if missing_leader {
            self.request_metadata(ctx, env, out);
        }
    }
}
