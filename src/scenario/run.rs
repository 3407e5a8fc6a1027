//! Running a scenario: building its world, applying its actions at their times while stepping
//! the engine one event at a time (checking invariants after each step), and the final report.
//!
//! ```text
//!  Scenario ──build_world──► World ──┬─ step() ─► observe events ─► raw acks, trace
//!                                    │            armed drops, InvariantChecker::check
//!  actions (at_ms order) ─apply_action┘
//!                                    └─ at the end ─► check_full ─► Report ─► expect
//! ```
//! The same [`Runner`] drives headless runs, the page and time travel ([`Recording`]), so a
//! replay of the same scenario reproduces the same `trace_hash`.

use crate::sim::sorted_map::SortedMap;
use crate::sim::sorted_map::SortedSet;

use serde_json::Value;

use super::cue::CueTracker;
use super::format::{parse_node, Action, Scenario, ScenarioError, TimedAction};
use super::links::{link_reports, on_links};
use super::report::*;
use super::validate::NodeNames;
use crate::services::{ServiceKind, World};
use crate::sim::{
    BrokerId, ClientId, Command, ControllerId, EventKind, InvariantChecker, MessageId, MessageKind,
    NodeId, SendId, SimTime, TopicId, TopicPartition,
};

/// Most engine steps one [`Runner::advance_to`] call processes before giving up (a bound on
/// every loop: a world that never settles is reported, not waited for).
pub const RUNNER_STEPS_MAX: u64 = 20_000_000;

/// Most distinct invariant violations kept.
const VIOLATIONS_KEPT_MAX: usize = 100;

/// Most action errors kept.
const ACTION_ERRORS_KEPT_MAX: usize = 100;

/// Builds the scenario's world (engine and services), with every engine event recorded so the
/// runner can observe it.
pub fn build_world(scenario: &Scenario) -> Result<World, ScenarioError> {
    let mut world = World::new(scenario.world_config(), scenario.seed())
        .map_err(|e| ScenarioError::new("cluster", e.to_string()))?;
    world.record_events = Some(Vec::new());
    // The services' own entries matter only to narration cues.
    if !scenario.narration.is_empty() {
        world.record_service_events = Some(Vec::new());
    }
    Ok(world)
}

/// A `drop_messages` action that has not dropped its `count` yet.
#[derive(Clone, Debug, PartialEq)]
struct ArmedDrop {
    from: Option<NodeId>,
    to: Option<NodeId>,
    kind: Option<MessageKind>,
    remaining: usize,
}

/// A `produce` waiting for its outcome.
#[derive(Clone, Debug)]
struct RawSend {
    topic: String,
    key: Option<String>,
    value: String,
}

/// What the runner keeps beside the world: the raw producer, its acknowledged records, armed
/// drops, the invariant checker and its findings, and the trace.
#[derive(Clone, Debug, Default)]
pub struct RunnerState {
    raw_producer: Option<ClientId>,
    raw_sends: SortedMap<SendId, RawSend>,
    /// Acknowledged records of `produce` actions, in ack order.
    pub acked: Vec<AckedReport>,
    armed_drops: Vec<ArmedDrop>,
    /// Messages dropped by `drop_messages` so far.
    pub dropped_by_actions: u64,
    checker: InvariantChecker,
    seen_violations: SortedSet<String>,
    /// Invariant violations, first occurrence of each, with the time.
    pub violations: Vec<String>,
    /// Actions the world refused.
    pub action_errors: Vec<String>,
    /// Every engine event, when tracing.
    pub trace: Option<Vec<TraceEvent>>,
    /// How an event is written into the trace; only [`Runner::traced`] sets it, so code that
    /// never traces (the page) does not carry the events' JSON form.
    describe: Option<fn(SimTime, &EventKind) -> TraceEvent>,
    /// Engine steps processed.
    pub steps: u64,
    /// When each narration step is shown.
    pub cues: CueTracker,
    /// Narration steps shown by the events read since the runner last looked.
    cues_reached: usize,
    /// Whether [`InvariantChecker::check`] runs after every engine step (on for runs, off for
    /// time-travel replays: the checks cost about 20 times the engine's own work and never
    /// change the state, so a replay reaches the same world either way). The page's build
    /// leaves the check out: it only replays, and shows no violations.
    pub check_each_step: bool,
}

impl RunnerState {
    /// A fresh state.
    pub fn new() -> Self {
        RunnerState {
            check_each_step: true,
            ..RunnerState::default()
        }
    }

    /// A fresh state that keeps every engine event for the report.
    pub fn traced() -> Self {
        RunnerState {
            trace: Some(Vec::new()),
            describe: Some(trace_event),
            ..RunnerState::new()
        }
    }

    fn note_error(&mut self, message: String) {
        if self.action_errors.len() < ACTION_ERRORS_KEPT_MAX {
            self.action_errors.push(message);
        }
    }

    /// Reads the events the world recorded since the last call: acknowledgements of raw sends,
    /// narration cues and the trace.
    pub fn observe(&mut self, world: &mut World) {
        self.observe_engine(world);
        // The services' entries come from the engine events just read (or from an action).
        if let Some(entries) = world.record_service_events.as_mut() {
            for entry in std::mem::take(entries) {
                self.cues_reached += self.cues.service_event(&entry);
            }
        }
    }

    fn observe_engine(&mut self, world: &mut World) {
        let Some(events) = world.record_events.as_mut() else {
            world.record_events = Some(Vec::new());
            return;
        };
        if events.is_empty() {
            return;
        }
        let events = std::mem::take(events);
        for event in events {
            self.cues_reached += self.cues.engine_event(event.at, &event.kind);
            match &event.kind {
                EventKind::ProduceAcked {
                    send, tp, offset, ..
                } => {
                    if let Some(raw) = self.raw_sends.remove(send) {
                        self.acked.push(AckedReport {
                            topic: raw.topic,
                            partition: tp.partition,
                            offset: *offset,
                            key: raw.key,
                            value: raw.value,
                            acked_at_ms: event.at,
                        });
                    }
                }
                EventKind::ProduceFailed { send, .. }
                | EventKind::ProduceAbandoned { send, .. }
                | EventKind::ProduceSentUnacknowledged { send, .. } => {
                    self.raw_sends.remove(send);
                }
                _ => {}
            }
            if let (Some(trace), Some(describe)) = (self.trace.as_mut(), self.describe) {
                if trace.len() < TRACE_EVENTS_MAX {
                    trace.push(describe(event.at, &event.kind));
                }
            }
        }
    }

    /// Runs armed drops against the messages now in flight.
    fn run_armed_drops(&mut self, world: &mut World) {
        if self.armed_drops.is_empty() {
            return;
        }
        for d in self.armed_drops.iter_mut() {
            let n = world.sim.drop_matching(d.from, d.to, d.kind, d.remaining);
            d.remaining -= n;
            self.dropped_by_actions += n as u64;
        }
        self.armed_drops.retain(|d| d.remaining > 0);
    }

    fn check_invariants(&mut self, world: &World, full: bool) {
        let found = if full {
            self.checker.check_full(&world.sim)
        } else {
            self.checker.check(&world.sim)
        };
        for v in found {
            if self.seen_violations.len() < VIOLATIONS_KEPT_MAX
                && self.seen_violations.insert(v.clone())
            {
                self.violations.push(format!("at {} ms: {v}", world.now()));
            }
        }
    }

    /// Everything to do after one engine step.
    fn after_step(&mut self, world: &mut World) {
        self.steps += 1;
        self.observe(world);
        self.run_armed_drops(world);
        if cfg!(not(target_arch = "wasm32")) && self.check_each_step {
            self.check_invariants(world, false);
        }
    }
}

fn trace_event(at: SimTime, kind: &EventKind) -> TraceEvent {
    let mut detail = serde_json::to_value(kind).unwrap_or(Value::Null);
    let name = detail
        .as_object_mut()
        .and_then(|m| m.remove("type"))
        .and_then(|t| t.as_str().map(str::to_string))
        .unwrap_or_default();
    TraceEvent {
        at_ms: at,
        kind: name,
        detail,
    }
}

/// The id of the topic called `name`.
fn topic_named(world: &World, name: &str) -> Result<TopicId, String> {
    world
        .sim
        .topic_by_name(name)
        .ok_or_else(|| format!("there is no topic {name:?}"))
}

/// Applies one action to the world now. Errors (a service instance that does not exist, the
/// order service down...) are returned and the world is left as it was.
pub fn apply_action(
    world: &mut World,
    action: &Action,
    state: &mut RunnerState,
) -> Result<(), String> {
    let broker = |b: u32| BrokerId(b);
    let result = match action {
        Action::CreateOrder { user_id, total } => world.create_order(*user_id, *total).map(|_| ()),
        Action::Produce {
            topic,
            key,
            value,
            acks,
        } => {
            let topic_id = world
                .sim
                .topic_by_name(topic)
                .ok_or_else(|| format!("there is no topic {topic:?}"))?;
            let producer = match state.raw_producer {
                Some(p) => p,
                None => {
                    let config = world.config().sim.producer.clone();
                    let p = world.sim.create_producer(config);
                    state.raw_producer = Some(p);
                    p
                }
            };
            let send =
                world
                    .sim
                    .send_with_acks(producer, topic_id, key.as_deref(), value, *acks)?;
            state.raw_sends.insert(
                send,
                RawSend {
                    topic: topic.clone(),
                    key: key.clone(),
                    value: value.clone(),
                },
            );
            Ok(())
        }
        Action::FailBroker { broker: b } => {
            world.handle(Command::FailBroker { broker: broker(*b) })
        }
        Action::RestoreBroker { broker: b } => {
            world.handle(Command::RestoreBroker { broker: broker(*b) })
        }
        Action::IsolateBroker { broker: b } => {
            world.handle(Command::IsolateBroker { broker: broker(*b) })
        }
        Action::HealBroker { broker: b } => {
            world.handle(Command::HealBroker { broker: broker(*b) })
        }
        Action::HealNetwork => world.handle(Command::HealNetwork),
        Action::ElectPreferredLeaders => world.handle(Command::ElectPreferredLeaders),
        Action::AddBroker { rack } => world.handle(Command::AddBroker { rack: rack.clone() }),
        Action::RemoveBroker { broker: b } => {
            world.handle(Command::RemoveBroker { broker: broker(*b) })
        }
        Action::Reassign {
            topic,
            partition,
            replicas,
            throttle_bytes_per_sec,
        } => {
            let topic = topic_named(world, topic)?;
            world.handle(Command::Reassign {
                tp: TopicPartition {
                    topic,
                    partition: *partition,
                },
                replicas: replicas.iter().map(|b| broker(*b)).collect(),
                throttle_bytes_per_sec: *throttle_bytes_per_sec,
            })
        }
        Action::SetReplicationFactor {
            topic,
            replication_factor,
        } => {
            let topic = topic_named(world, topic)?;
            world.handle(Command::SetReplicationFactor {
                topic,
                replication_factor: *replication_factor,
            })
        }
        Action::AddPartitions { topic, count } => {
            let topic = topic_named(world, topic)?;
            world.handle(Command::AddPartitions {
                topic,
                count: *count,
            })
        }
        Action::SetTopicConfig {
            topic,
            min_insync_replicas,
        } => {
            let topic = topic_named(world, topic)?;
            world.handle(Command::SetMinInsyncReplicas {
                topic,
                min_insync_replicas: *min_insync_replicas,
            })
        }
        Action::FailController { controller } => world.handle(Command::FailController {
            controller: controller.map(|c| ControllerId(c as u32)),
        }),
        Action::RestoreController { controller } => world.handle(Command::RestoreController {
            controller: controller.map(|c| ControllerId(c as u32)),
        }),
        Action::IsolateController { controller } => world.handle(Command::IsolateController {
            controller: controller.map(|c| ControllerId(c as u32)),
        }),
        Action::HealController { controller } => world.handle(Command::HealController {
            controller: controller.map(|c| ControllerId(c as u32)),
        }),
        Action::CrashService { service, instance } => {
            world.crash_instance(*service, instance.unwrap_or(0))
        }
        Action::RestartService { service, instance } => {
            world.restart_instance(*service, instance.unwrap_or(0))
        }
        Action::CrashServiceAfterNextRecord { service, instance } => {
            world.crash_after_next_record(*service, instance.unwrap_or(0))
        }
        Action::ScaleService { service, instances } => world.scale(*service, *instances),
        Action::DropMessages {
            from,
            to,
            kind,
            count,
        } => {
            let names = NodeNames::of(world);
            let node = |n: &Option<String>| n.as_deref().map(|n| parse_node(n, &names)).transpose();
            let (from, to) = (node(from)?, node(to)?);
            let mut armed = ArmedDrop {
                from,
                to,
                kind: *kind,
                remaining: usize::try_from(*count).unwrap_or(usize::MAX),
            };
            let n = world
                .sim
                .drop_matching(armed.from, armed.to, armed.kind, armed.remaining);
            armed.remaining -= n;
            state.dropped_by_actions += n as u64;
            if armed.remaining > 0 {
                state.armed_drops.push(armed);
            }
            Ok(())
        }
        Action::DropMessage { id } => {
            let dropped = world.handle(Command::DropMessage { id: MessageId(*id) });
            if dropped.is_ok() {
                state.dropped_by_actions += 1;
            }
            dropped
        }
        Action::SetOrderRate { per_second } => {
            world.set_order_rate(*per_second);
            Ok(())
        }
        Action::CutLink { a, b, one_way } => on_links(world, a, b, &|a, b| Command::CutLink {
            a,
            b,
            one_way: one_way.unwrap_or(false),
        }),
        Action::HealLink { a, b } => on_links(world, a, b, &|a, b| Command::HealLink { a, b }),
        Action::SlowLink {
            a,
            b,
            extra_latency_ms,
        } => on_links(world, a, b, &|a, b| Command::SlowLink {
            a,
            b,
            extra_latency_ms: *extra_latency_ms,
        }),
        Action::LossyLink { a, b, drop_rate } => {
            on_links(world, a, b, &|a, b| Command::LossyLink {
                a,
                b,
                drop_rate: *drop_rate,
            })
        }
    };
    state.observe(world);
    // Messages the action itself sent are in flight now: armed drops see them too.
    state.run_armed_drops(world);
    result
}

/// Drives a world through a scenario: the headless runner, the page and time travel all use it.
/// A clone is an independent copy that runs on exactly as the original would.
#[derive(Clone)]
pub struct Runner {
    /// The world.
    pub world: World,
    /// What the runner keeps beside it.
    pub state: RunnerState,
    scenario: Scenario,
    next_action: usize,
    stalled: bool,
    /// [`Runner::advance_to`] stops at the instant a narration step is shown (the lesson
    /// player pauses there).
    pub stop_at_narration: bool,
}

impl Runner {
    /// Builds the world of `scenario`; nothing has run yet (time 0).
    pub fn new(scenario: &Scenario) -> Result<Runner, ScenarioError> {
        Runner::with_state(scenario, RunnerState::new())
    }

    /// As [`Runner::new`], keeping every engine event for the report.
    pub fn traced(scenario: &Scenario) -> Result<Runner, ScenarioError> {
        Runner::with_state(scenario, RunnerState::traced())
    }

    fn with_state(scenario: &Scenario, state: RunnerState) -> Result<Runner, ScenarioError> {
        let mut scenario = scenario.clone();
        // Same-time actions keep file order: a stable sort.
        sort_by_time(&mut scenario.actions);
        let world = build_world(&scenario)?;
        let mut state = state;
        state.cues = CueTracker::new(&scenario.narration, |name| world.sim.topic_by_name(name));
        Ok(Runner {
            world,
            state,
            scenario,
            next_action: 0,
            stalled: false,
            stop_at_narration: false,
        })
    }

    /// The scenario, with the actions applied live so far.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Simulated time.
    pub fn now(&self) -> SimTime {
        self.world.now()
    }

    /// Actions not applied yet.
    pub fn pending_actions(&self) -> &[TimedAction] {
        &self.scenario.actions[self.next_action..]
    }

    /// Whether to stop now: a narration step was just shown and the runner stops at them.
    fn narration_stop(&self) -> bool {
        self.stop_at_narration && self.state.cues_reached > 0
    }

    /// Steps the engine through every event due at or before `t`, one at a time; returns
    /// early (true) where [`Runner::narration_stop`] says.
    fn step_to(&mut self, t: SimTime) -> bool {
        let mut steps = 0u64;
        while let Some(next) = self.world.next_event_time() {
            if next > t {
                break;
            }
            if steps >= RUNNER_STEPS_MAX {
                if !self.stalled {
                    self.stalled = true;
                    let at = self.world.now();
                    self.state.note_error(format!(
                        "at {at} ms: the world did not settle after {RUNNER_STEPS_MAX} steps"
                    ));
                }
                return false;
            }
            self.world.step();
            self.state.after_step(&mut self.world);
            steps += 1;
            if self.narration_stop() {
                return true;
            }
        }
        self.world.advance_to(t);
        self.state.observe(&mut self.world);
        self.state.cues_reached += self.state.cues.reach_time(t);
        self.narration_stop()
    }

    /// Runs to time `t`, applying every scheduled action with `at_ms <= t` at its time. With
    /// [`Runner::stop_at_narration`] it stops earlier, right where the next narration step is
    /// shown, and returns true.
    pub fn advance_to(&mut self, t: SimTime) -> bool {
        self.state.cues_reached = 0;
        let t = match (self.stop_at_narration, self.state.cues.next_timed()) {
            (true, Some(at)) => t.min(at.max(self.world.now())),
            _ => t,
        };
        while let Some(next) = self.scenario.actions.get(self.next_action) {
            if next.at_ms > t {
                break;
            }
            let TimedAction { at_ms, action } = next.clone();
            if self.step_to(at_ms.max(self.world.now())) {
                return true;
            }
            self.next_action += 1;
            if let Err(e) = apply_action(&mut self.world, &action, &mut self.state) {
                self.state
                    .note_error(format!("at {at_ms} ms, {}: {e}", action.name()));
            }
            // What the action did (a crash, an isolation) is an event of its instant.
            self.state.observe(&mut self.world);
            if self.narration_stop() {
                return true;
            }
        }
        self.step_to(t)
    }

    /// Applies `action` now and records it (at the current time) so replays do the same.
    pub fn apply_now(&mut self, action: Action) -> Result<(), String> {
        let now = self.world.now();
        let stop = std::mem::replace(&mut self.stop_at_narration, false);
        self.advance_to(now);
        self.stop_at_narration = stop;
        self.scenario.actions.insert(
            self.next_action,
            TimedAction {
                at_ms: now,
                action: action.clone(),
            },
        );
        self.next_action += 1;
        if let Some(until) = self.scenario.run_until_ms {
            self.scenario.run_until_ms = Some(until.max(now));
        }
        apply_action(&mut self.world, &action, &mut self.state)
    }

    /// Schedules `actions` (in time order, none before now) as if they had been in the
    /// scenario: each runs after the scenario's own actions of its instant, as in a replay of
    /// the merged scenario. Time travel adds a branch's later user actions this way.
    pub fn schedule(&mut self, actions: &[TimedAction]) {
        for a in actions {
            let at = a.at_ms.max(self.world.now());
            let pending = &self.scenario.actions[self.next_action..];
            let i = self.next_action + pending.partition_point(|p| p.at_ms <= at);
            self.scenario.actions.insert(
                i,
                TimedAction {
                    at_ms: at,
                    action: a.action.clone(),
                },
            );
            if let Some(until) = self.scenario.run_until_ms {
                self.scenario.run_until_ms = Some(until.max(at));
            }
        }
    }

    /// Runs to the scenario's end and returns the report, expectations checked.
    pub fn run_to_end(mut self) -> Report {
        let end = self.scenario.run_until();
        self.advance_to(end);
        self.state.check_invariants(&self.world, true);
        let mut report = self.report();
        if let Some(expect) = &self.scenario.expect {
            report.check_expectations(expect);
        }
        report
    }

    /// The recording of this run so far (base scenario and every action, live ones included).
    pub fn recording(&self) -> Recording {
        Recording {
            base: self.scenario.clone(),
        }
    }

    /// Gives the world up.
    pub fn into_world(self) -> World {
        self.world
    }

    /// The report of the world now (expectations not checked).
    pub fn report(&self) -> Report {
        build_report(&self.scenario, &self.world, &self.state)
    }
}

/// Runs a scenario from start to end; `trace` adds every engine event to the report.
pub fn run_scenario(scenario: &Scenario, trace: bool) -> Result<Report, ScenarioError> {
    let runner = if trace {
        Runner::traced(scenario)?
    } else {
        Runner::new(scenario)?
    };
    Ok(runner.run_to_end())
}

/// A run kept as its base scenario and action log: any instant can be rebuilt by deterministic
/// replay from the start (a log stays small where a cloned world holds every log and queue, and
/// a replay is fast).
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// The scenario; its `actions` are the log, in time order.
    pub base: Scenario,
}

impl Recording {
    /// A recording of `base` and its actions.
    pub fn new(base: Scenario) -> Self {
        let mut base = base;
        sort_by_time(&mut base.actions);
        Recording { base }
    }

    /// Adds an action at `at_ms` (after any already there at that time).
    pub fn push(&mut self, at_ms: SimTime, action: Action) {
        let i = self.base.actions.partition_point(|a| a.at_ms <= at_ms);
        self.base.actions.insert(i, TimedAction { at_ms, action });
    }

    /// The runner as it is at time `t`, by replay from the start. The replay skips the
    /// per-step invariant checks (see [`RunnerState::check_each_step`]); the state is the same.
    pub fn runner_at(&self, t: SimTime) -> Result<Runner, ScenarioError> {
        let mut runner = Runner::new(&self.base)?;
        runner.state.check_each_step = false;
        // Orders are followed (for the sequence view) over the last stretch of the replay
        // only: before it, following would only slow the replay down.
        runner.advance_to(t.saturating_sub(FOLLOW_BEFORE_MS));
        runner.world.follow_orders(true);
        runner.advance_to(t);
        Ok(runner)
    }

    /// The world at time `t`, by replay from the start.
    pub fn world_at(&self, t: SimTime) -> Result<World, ScenarioError> {
        Ok(self.runner_at(t)?.into_world())
    }

    /// A new recording that keeps only the actions at or before `t`: going on from there
    /// takes another branch.
    pub fn fork_at(&self, t: SimTime) -> Recording {
        let mut base = self.base.clone();
        base.actions.retain(|a| a.at_ms <= t);
        Recording { base }
    }
}

/// Sorts actions by time; same-time actions keep their order (file order, or the scenario's
/// own before the user's).
pub fn sort_by_time(actions: &mut [TimedAction]) {
    crate::sim::sort::sort_by_key(actions, |a| a.at_ms);
}

/// How long before the replayed instant a replay starts following orders: ten minutes, longer
/// than any lesson, so a jump in time keeps the sequences a learner looks for.
pub const FOLLOW_BEFORE_MS: SimTime = 600_000;

/// A node's state in the report: "failed", "isolated" or "online".
fn node_state(online: bool, isolated: bool) -> &'static str {
    if !online {
        "failed"
    } else if isolated {
        "isolated"
    } else {
        "online"
    }
}

/// The report of `world` now.
pub fn build_report(scenario: &Scenario, world: &World, state: &RunnerState) -> Report {
    let sim = &world.sim;
    let snapshot = sim.snapshot();
    let brokers = snapshot
        .brokers
        .iter()
        .map(|b| BrokerReport {
            id: b.id.0,
            state: if b.left {
                "removed"
            } else {
                node_state(b.online, b.isolated)
            },
            rack: b.rack.as_deref().map(str::to_string),
        })
        .collect();
    let mut partitions = Vec::new();
    let mut duplicates = 0;
    for view in snapshot.partitions.iter().filter(|p| !p.internal) {
        let log = reference_log(sim, view.tp);
        let records: Vec<RecordReport> = log
            .map(|l| {
                l.records()
                    .iter()
                    .map(|r| RecordReport {
                        offset: r.offset,
                        key: r.data.key.as_deref().map(str::to_string),
                        value: r.data.value.to_string(),
                        leader_epoch: r.leader_epoch,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut seen = SortedSet::new();
        for r in &records {
            if !seen.insert((r.key.as_deref(), r.value.as_str())) {
                duplicates += 1;
            }
        }
        let omitted = records.len().saturating_sub(REPORT_RECORDS_MAX);
        partitions.push(PartitionReport {
            topic: view.topic.to_string(),
            partition: view.tp.partition,
            leader: view.leader.map(|b| b.0),
            leader_epoch: view.leader_epoch,
            replicas: view.replicas.iter().map(|b| b.0).collect(),
            isr: view.isr.iter().map(|b| b.0).collect(),
            adding: view.adding.iter().map(|b| b.0).collect(),
            removing: view.removing.iter().map(|b| b.0).collect(),
            high_watermark: view.high_watermark,
            replica_states: view
                .replica_states
                .iter()
                .map(|r| ReplicaReport {
                    broker: r.broker.0,
                    log_end_offset: r.log_end_offset,
                    high_watermark: r.high_watermark,
                })
                .collect(),
            records: records.into_iter().skip(omitted).collect(),
            records_omitted: omitted,
        });
    }
    let c = sim.counters();
    let totals = world.order_totals();
    let groups = snapshot
        .groups
        .iter()
        .map(|g| GroupReport {
            group: g.group.to_string(),
            state: g.state.to_string(),
            generation: g.generation,
            members: g
                .members
                .iter()
                .map(|m| MemberReport {
                    id: m.id.to_string(),
                    partitions: m
                        .partitions
                        .iter()
                        .map(|tp| sim.partition_name(*tp))
                        .collect(),
                })
                .collect(),
            committed: g
                .committed
                .iter()
                .map(|(tp, o)| (sim.partition_name(*tp), *o))
                .collect(),
            lag: g.lag.iter().map(|(_, l)| *l).sum(),
        })
        .collect();
    Report {
        name: scenario.title().to_string(),
        seed: scenario.seed(),
        ended_at_ms: world.now(),
        controllers: snapshot
            .controllers
            .iter()
            .map(|c| ControllerReport {
                id: c.id.0,
                state: node_state(c.online, c.isolated),
                role: c.role.map(|r| r.name()),
                epoch: c.epoch,
                metadata_end_offset: c.metadata_end_offset,
                metadata_high_watermark: c.metadata_high_watermark,
            })
            .collect(),
        active_controller: snapshot.active_controller.map(|c| c.0),
        brokers,
        partitions,
        producer: ProducerReport {
            sent: c.sends,
            acked: c.acked,
            failed: c.failed,
            abandoned: c.abandoned,
            unacknowledged: c.sent_unacknowledged,
            errors: c.produce_errors.clone(),
        },
        acked: state.acked.clone(),
        lost_acked: sim.lost_acked().len(),
        duplicates,
        orders: OrdersReport {
            created: totals.created,
            paid: totals.paid,
            refused: totals.refused,
            shipped: totals.shipped,
            emails_sent: totals.emails_sent,
            completed: totals.completed,
            publish_failed: totals.publish_failed,
            stuck: world.stuck_count() as u64,
            duplicates_ignored: ServiceKind::ALL
                .iter()
                .map(|k| world.duplicates_suppressed(*k))
                .sum(),
        },
        groups,
        elections: ElectionsReport {
            total: c.leader_elections,
            unclean: c.unclean_elections,
            internal: c.internal_leader_elections,
            internal_unclean: c.internal_unclean_elections,
        },
        records_truncated: c.records_truncated,
        links: link_reports(world),
        dropped_by_actions: state.dropped_by_actions,
        invariant_violations: state.violations.clone(),
        action_errors: state.action_errors.clone(),
        narration: state.cues.shown_at.clone(),
        expect_failures: Vec::new(),
        events: state.trace.clone(),
    }
}

/// The log that stands for a partition: the leader's, or the most complete replica's.
fn reference_log(
    sim: &crate::sim::Simulation,
    tp: TopicPartition,
) -> Option<&crate::sim::log::PartitionLog> {
    sim.reference_log(tp)
}
