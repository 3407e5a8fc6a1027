//! Safety properties checked after events: one leader per epoch, monotonic high watermarks, sane
//! ISRs, commits below the high watermark and identical committed prefixes.

use crate::sim::sorted_map::SortedMap;

use super::Simulation;
use crate::sim::broker::RoleKind;
use crate::sim::quorum::QuorumRole;
use crate::sim::types::{BrokerId, ControllerId, LeaderEpoch, Offset, TopicPartition};

/// How many records below the HW are compared on each check (the full logs are compared by
/// [`InvariantChecker::check_full`]).
const PREFIX_WINDOW: u64 = 16;

/// Remembers what it has seen, so properties over time can be checked.
#[derive(Clone, Debug, Default)]
pub struct InvariantChecker {
    leaders: SortedMap<(TopicPartition, LeaderEpoch), BrokerId>,
    leader_hw: SortedMap<(TopicPartition, LeaderEpoch), Offset>,
    max_hw: SortedMap<TopicPartition, Offset>,
    quorum_leaders: SortedMap<u32, ControllerId>,
    quorum_hw: SortedMap<ControllerId, Offset>,
}

impl InvariantChecker {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks every property on a window of each log; returns the violations found.
    pub fn check(&mut self, sim: &Simulation) -> Vec<String> {
        self.check_with_window(sim, PREFIX_WINDOW)
    }

    /// Like [`InvariantChecker::check`], comparing whole logs below the HW.
    pub fn check_full(&mut self, sim: &Simulation) -> Vec<String> {
        self.check_with_window(sim, u64::MAX)
    }

    fn check_with_window(&mut self, sim: &Simulation, window: u64) -> Vec<String> {
        let mut out = Vec::new();
        self.check_quorum(sim, &mut out);
        for (tp, state) in sim.metadata().partitions() {
            let name = sim.partition_name(*tp);
            if state.isr.is_empty() {
                out.push(format!("{name}: ISR is empty"));
            }
            if state.isr.iter().any(|r| !state.replicas.contains(r)) {
                out.push(format!(
                    "{name}: ISR {:?} is not a subset of replicas {:?}",
                    state.isr, state.replicas
                ));
            }
        }
        for broker in sim.brokers.values().filter(|b| b.online()) {
            for (tp, replica) in broker.replicas() {
                let (RoleKind::Leader, Some(state)) = (replica.role(), replica.state()) else {
                    continue;
                };
                let epoch = state.leader_epoch;
                let name = sim.partition_name(*tp);
                match self.leaders.get(&(*tp, epoch)) {
                    Some(other) if *other != broker.id() => out.push(format!(
                        "{name}: two leaders in epoch {epoch}: broker {} and broker {}",
                        other.0,
                        broker.id().0
                    )),
                    _ => {
                        self.leaders.insert((*tp, epoch), broker.id());
                    }
                }
                let hw = replica.log().high_watermark();
                let seen = self.leader_hw.entry((*tp, epoch)).or_insert(hw);
                if hw < *seen {
                    out.push(format!(
                        "{name}: HW went back from {seen} to {hw} in epoch {epoch}"
                    ));
                }
                *seen = hw;
                let max = self.max_hw.entry(*tp).or_insert(0);
                *max = (*max).max(hw);
                // Below the HW every live ISR replica holds the leader's records.
                for follower in &state.isr {
                    let Some(fb) = sim
                        .brokers
                        .get(follower)
                        .filter(|b| b.online() && b.id() != broker.id())
                    else {
                        continue;
                    };
                    let Some(fr) = fb.replica(*tp) else {
                        continue;
                    };
                    let upto = hw.min(fr.log().log_end_offset());
                    let compacted = sim.topics()[tp.topic.0 as usize].internal;
                    let from = upto
                        .saturating_sub(window)
                        .max(fr.log().log_start_offset())
                        .max(replica.log().log_start_offset());
                    for offset in from..upto {
                        let (a, b) = (replica.log().record_at(offset), fr.log().record_at(offset));
                        let same = match (a, b) {
                            (Some(a), Some(b)) => {
                                a.leader_epoch == b.leader_epoch && a.data == b.data
                            }
                            // Each replica's cleaner compacts its own log, on its own schedule.
                            (None, _) | (_, None) => compacted,
                        };
                        if !same {
                            out.push(format!(
                                "{name}: broker {} differs from leader {} at offset {offset} below HW {hw}",
                                fb.id().0, broker.id().0
                            ));
                            break;
                        }
                    }
                }
            }
        }
        if sim.counters.unclean_elections + sim.counters.internal_unclean_elections == 0 {
            for broker in sim.brokers.values().filter(|b| b.online()) {
                for (group, tp, offset) in broker.coordinator().all_committed() {
                    let max = self.max_hw.get(&tp).copied().unwrap_or(0);
                    if offset > max {
                        out.push(format!(
                            "group {group}: committed offset {offset} of {} passes the HW {max}",
                            sim.partition_name(tp)
                        ));
                    }
                }
            }
        }
        out
    }

    /// The metadata quorum: one leader per epoch, committed prefixes that only grow and that
    /// every controller agrees on (same epoch at the last offset both have committed, which by
    /// the log matching rule means the same prefix).
    fn check_quorum(&mut self, sim: &Simulation, out: &mut Vec<String>) {
        for c in sim.controllers().iter().filter(|c| c.online()) {
            if c.role() == Some(QuorumRole::Leader) {
                match self.quorum_leaders.get(&c.epoch()) {
                    Some(other) if *other != c.id() => out.push(format!(
                        "quorum: two leaders in epoch {}: {other} and {}",
                        c.epoch(),
                        c.id()
                    )),
                    _ => {
                        self.quorum_leaders.insert(c.epoch(), c.id());
                    }
                }
            }
        }
        for c in sim.controllers() {
            let hw = c.metadata_high_watermark();
            let seen = self.quorum_hw.entry(c.id()).or_insert(hw);
            if hw < *seen {
                out.push(format!(
                    "quorum: {}'s committed offset went back from {seen} to {hw}",
                    c.id()
                ));
            }
            *seen = hw;
        }
        let all = sim.controllers();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                let upto = a.metadata_high_watermark().min(b.metadata_high_watermark());
                if upto == 0 {
                    continue;
                }
                let epoch_at = |c: &crate::sim::controller::Controller| {
                    c.log_entries().get(upto as usize - 1).map(|e| e.epoch)
                };
                if epoch_at(a) != epoch_at(b) {
                    out.push(format!(
                        "quorum: {} and {} differ at committed offset {}",
                        a.id(),
                        b.id(),
                        upto - 1
                    ));
                }
            }
        }
    }
}
