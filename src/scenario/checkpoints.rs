//! Time-travel checkpoints: clones of a run taken every few simulated seconds and kept within a
//! memory budget (thinned evenly as the run grows, new ones as far apart as those kept), so the page rebuilds any
//! instant by replaying from the nearest checkpoint before it instead of from the start.
//!
//! A checkpoint is a [`Runner`] cloned at an instant of one branch, with how many of the
//! branch's user actions it had applied. Rebuilding the instant `t` clones the latest
//! checkpoint at or before `t`, schedules the user actions it had not applied yet (those up to
//! `t`), and runs on to `t`: the engine is deterministic, so the world is the one a replay from
//! the start would build. Clones share their logs' chunks, their orders and their idempotence
//! generations, so a checkpoint costs about what changed since the previous one.

use std::collections::HashSet;

use super::format::{Scenario, ScenarioError, TimedAction};
use super::run::{Recording, Runner, FOLLOW_BEFORE_MS};
use super::session::merged;
use crate::sim::SimTime;

/// Memory the checkpoints of a run may hold in all (estimated by [`crate::services::World::footprint`]).
pub const CHECKPOINT_BUDGET_BYTES: usize = 64 << 20;
/// Simulated time between checkpoints at the start of a run; thinning widens it to the average
/// spacing of those kept.
pub const CHECKPOINT_SPACING_MS: SimTime = 10_000;
/// Most checkpoints kept, whatever their size.
pub const CHECKPOINTS_MAX: usize = 240;

/// One clone of the run.
#[derive(Clone)]
struct Checkpoint {
    at_ms: SimTime,
    /// The branch's user actions it had applied (a prefix of them).
    user_actions: usize,
    runner: Runner,
}

/// The checkpoints of one branch of a run, oldest first.
#[derive(Clone)]
pub struct Checkpoints {
    entries: Vec<Checkpoint>,
    spacing_ms: SimTime,
    budget_bytes: usize,
    /// Estimated bytes of all entries (shared parts counted once).
    bytes: usize,
    /// The shared parts of all entries (what a new one adds is what is not in here).
    seen: HashSet<usize>,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Checkpoints::with_budget(CHECKPOINT_BUDGET_BYTES)
    }
}

impl Checkpoints {
    /// No checkpoints yet, keeping at most `budget_bytes` of them.
    pub fn with_budget(budget_bytes: usize) -> Self {
        Checkpoints {
            entries: Vec::new(),
            spacing_ms: CHECKPOINT_SPACING_MS,
            budget_bytes,
            bytes: 0,
            seen: HashSet::new(),
        }
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Estimated bytes they hold in all.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Simulated time between two checkpoints now.
    pub fn spacing_ms(&self) -> SimTime {
        self.spacing_ms
    }

    /// The instants kept, oldest first.
    pub fn instants(&self) -> impl Iterator<Item = SimTime> + '_ {
        self.entries.iter().map(|c| c.at_ms)
    }

    /// Takes a checkpoint of `runner` if one is due (none yet in its spacing slot), given that
    /// it has applied the branch's first `user_actions` user actions. A runner stopped in the
    /// middle of an instant (at a narration step) is not taken.
    pub fn offer(&mut self, runner: &Runner, user_actions: usize) {
        let now = runner.now();
        let due = self
            .entries
            .last()
            .is_none_or(|last| now / self.spacing_ms > last.at_ms / self.spacing_ms);
        if !due || runner.world.next_event_time().is_some_and(|t| t <= now) {
            return;
        }
        self.bytes += runner.world.footprint(&mut self.seen);
        self.entries.push(Checkpoint {
            at_ms: now,
            user_actions,
            runner: runner.clone(),
        });
        let mut thinned = false;
        if self.entries.len() > CHECKPOINTS_MAX {
            // Many small worlds: down to three quarters at once, so the recount comes rarely.
            self.thin(CHECKPOINTS_MAX * 3 / 4);
            thinned = true;
        }
        while self.bytes > self.budget_bytes && !self.entries.is_empty() {
            self.thin(self.entries.len() - 1);
            thinned = true;
        }
        if thinned && !self.entries.is_empty() {
            // New ones come as far apart as those kept are, on average.
            let span = now - self.entries[0].at_ms;
            self.spacing_ms = self.spacing_ms.max(span / self.entries.len() as SimTime);
        }
    }

    /// Drops checkpoints until `keep` are left, each time the one whose neighbours are closest
    /// together, so those left stay evenly spread: never the first or the last (the run's
    /// latest instant) while there are more. One world too large for the whole budget is not
    /// kept at all.
    fn thin(&mut self, keep: usize) {
        while self.entries.len() > keep {
            let n = self.entries.len();
            if n <= 2 {
                self.entries.remove(0);
                continue;
            }
            let gap = |i: usize| self.entries[i + 1].at_ms - self.entries[i - 1].at_ms;
            let drop = (1..n - 1).min_by_key(|&i| gap(i)).unwrap_or(1);
            self.entries.remove(drop);
        }
        self.recount();
    }

    fn recount(&mut self) {
        self.seen.clear();
        self.bytes = 0;
        for c in &self.entries {
            self.bytes += c.runner.world.footprint(&mut self.seen);
        }
    }

    /// Forgets the checkpoints after `t` (the branch changes there).
    pub fn forget_after(&mut self, t: SimTime) {
        let before = self.entries.len();
        self.entries.retain(|c| c.at_ms <= t);
        if self.entries.len() != before {
            self.recount();
        }
    }

    /// The run at `t` rebuilt from the latest checkpoint at or before it, `user` being the
    /// branch's user actions; `None` when there is none.
    pub fn restore(&self, t: SimTime, user: &[TimedAction]) -> Option<Runner> {
        let i = self
            .entries
            .partition_point(|c| c.at_ms <= t)
            .checked_sub(1)?;
        let c = &self.entries[i];
        let mut runner = c.runner.clone();
        let later = user.get(c.user_actions..).unwrap_or_default();
        let upto = later.partition_point(|a| a.at_ms <= t);
        runner.schedule(&later[..upto]);
        let stop = std::mem::replace(&mut runner.stop_at_narration, false);
        runner.world.follow_orders(true);
        runner.advance_to(t);
        runner.stop_at_narration = stop;
        Some(runner)
    }

    /// Runs `runner` on to `t` (see [`Runner::advance_to`]), taking the checkpoints due on the
    /// way; `user` is the branch's user actions, those up to each checkpoint counted as
    /// applied. Returns true where the runner stopped at a narration step.
    pub fn advance(&mut self, runner: &mut Runner, t: SimTime, user: &[TimedAction]) -> bool {
        loop {
            let next_slot = (runner.now() / self.spacing_ms + 1) * self.spacing_ms;
            let stride_end = next_slot.min(t);
            if runner.advance_to(stride_end) {
                return true;
            }
            let applied = user.partition_point(|a| a.at_ms <= runner.now());
            self.offer(runner, applied);
            if stride_end >= t {
                return false;
            }
        }
    }

    /// The run of `base` with the user actions `user` at `t`: from the nearest checkpoint
    /// when there is one, else replayed from the start, taking checkpoints on the way.
    pub fn rebuild(
        &mut self,
        base: &Scenario,
        user: &[TimedAction],
        t: SimTime,
    ) -> Result<Runner, ScenarioError> {
        if let Some(runner) = self.restore(t, user) {
            return Ok(runner);
        }
        let upto = user.partition_point(|a| a.at_ms <= t);
        let user = &user[..upto];
        let mut runner = Recording::new(merged(base, user)).runner_at(0)?;
        // Orders are followed over the last stretch only, as in [`Recording::runner_at`].
        runner.world.follow_orders(false);
        self.advance(&mut runner, t.saturating_sub(FOLLOW_BEFORE_MS), user);
        runner.world.follow_orders(true);
        self.advance(&mut runner, t, user);
        Ok(runner)
    }
}
