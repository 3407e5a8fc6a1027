//! The page's state and its reducer: the scenario [`Runner`] that owns the `World` (behind
//! `Rc<RefCell>`), the scenario it was loaded from and the user's actions recorded with their
//! simulated time (so the run can be shared, exported and rebuilt at any instant), the snapshot
//! drawn this frame, the clock (paused, speed, fractional simulated time), what is selected, view
//! toggles, the event-log filter and the metrics history ring. Every user action is an
//! [`Action`]; nothing else mutates the world.

use crate::sim::sorted_map::SortedSet;
use std::cell::{Ref, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use yew::Reducible;

use super::describe::{Names, CATEGORIES};
use super::dom::wall_ms;
use super::geometry::{sim_delta, SPEED_MAX, SPEED_MIN};
use super::i18n::Lang;
use crate::scenario::checkpoints::Checkpoints;
use crate::scenario::session::{default_scenario, default_speed, merged, parse_share_fragment};
use crate::scenario::{
    self, parse_scenario, Recording, Runner, Scenario, ScenarioError, TimedAction,
};
use crate::services::{
    Email, LogEntry, OrderFocus, OrderView, ServiceKind, World, WorldConfig, WorldSnapshot,
};
use crate::sim::{BrokerId, Command, ControllerId, MessageId, NodeId, SimTime, TopicPartition};

/// Log rows shown.
pub const LOG_ROWS_MAX: usize = 120;
/// Orders rows shown.
pub const ORDER_ROWS_MAX: usize = 25;
/// Above [`PANELS_EVERY_FRAME_UP_TO`] times real time, the lower panels (event log, orders,
/// outbox) are rebuilt at most once per this many wall milliseconds while the run plays: at
/// 50x they would take thousands of new lines a second, faster than anyone reads, and
/// rebuilding them every frame cost a quarter of the frame rate. Paused, stepped or moved in
/// time, they show the exact instant at once.
pub const PANELS_REFRESH_MS: f64 = 200.0;
/// The fastest speed at which the lower panels follow every frame.
pub const PANELS_EVERY_FRAME_UP_TO: f64 = 2.0;
/// Outbox rows shown.
pub const OUTBOX_ROWS_MAX: usize = 25;
/// Metrics samples kept (one per simulated second).
pub const HISTORY_MAX: usize = 120;
/// Default seed.
pub const DEFAULT_SEED: u64 = 42;

/// What the inspector shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// Nothing.
    None,
    /// A controller of the quorum.
    Controller(ControllerId),
    /// A broker.
    Broker(BrokerId),
    /// A partition.
    Partition(TopicPartition),
    /// A record of a partition, by offset.
    Record(TopicPartition, u64),
    /// A message (in flight, or gone).
    Message(MessageId),
    /// A service.
    Service(ServiceKind),
    /// An order.
    Order(u64),
    /// The link between two nodes (controller or brokers).
    Link(NodeId, NodeId),
    /// The links of every instance of a service to a broker.
    ServiceLink(ServiceKind, BrokerId),
    /// One step of an order's sequence: the order and the step's index in it.
    Step(u64, usize),
}

/// Which view the stage shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Brokers, replicas and messages as they are placed.
    #[default]
    Physical,
    /// Topics, partitions and replicas.
    Logical,
    /// One order's messages along time.
    Sequence,
}

/// One metrics sample.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Simulated time.
    pub at: u64,
    /// Orders completed per second over the last interval.
    pub orders_per_s: f64,
    /// Records acknowledged per second over the last interval.
    pub acked_per_s: f64,
    /// Mean latency of orders completed in the last interval (ms), 0 when none.
    pub latency_ms: f64,
    /// Under-replicated partitions.
    pub under_replicated: f64,
    /// Offline partitions.
    pub offline: f64,
    /// Total consumer lag.
    pub lag: f64,
}

/// Bounded metrics history plus the raw totals of the last sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Samples, oldest first (at most [`HISTORY_MAX`]).
    pub samples: VecDeque<Sample>,
    last_at: u64,
    last_completed: u64,
    last_acked: u64,
    last_latency_sum: u64,
}

impl History {
    /// Adds a sample when a simulated second has passed since the last one.
    fn observe(&mut self, snap: &WorldSnapshot) -> bool {
        let now = snap.sim.now;
        if now < self.last_at + 1000 {
            return false;
        }
        let dt = (now - self.last_at) as f64 / 1000.0;
        let t = &snap.order_totals;
        let acked = snap.sim.metrics.counters.acked;
        let done = t.completed.saturating_sub(self.last_completed);
        let latency = if done > 0 {
            t.latency_sum_ms.saturating_sub(self.last_latency_sum) as f64 / done as f64
        } else {
            0.0
        };
        let sample = Sample {
            at: now,
            orders_per_s: done as f64 / dt,
            acked_per_s: acked.saturating_sub(self.last_acked) as f64 / dt,
            latency_ms: latency,
            under_replicated: snap.sim.metrics.under_replicated as f64,
            offline: snap.sim.metrics.offline as f64,
            lag: snap.services.iter().map(|s| s.lag).sum::<u64>() as f64,
        };
        self.last_at = now;
        self.last_completed = t.completed;
        self.last_acked = acked;
        self.last_latency_sum = t.latency_sum_ms;
        if self.samples.len() >= HISTORY_MAX {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        true
    }
}

/// Everything the page shows.
#[derive(Clone)]
pub struct State {
    /// The runner that owns the simulated world and applies the scenario's actions on time.
    pub runner: Rc<RefCell<Runner>>,
    /// Clones of this branch of the run, for time travel.
    pub checkpoints: Rc<RefCell<Checkpoints>>,
    /// The scenario the world was loaded from: settings, seed, scripted actions, narration.
    pub base: Rc<Scenario>,
    /// The user's actions, stamped with their simulated time, in time order.
    pub user_actions: Rc<Vec<TimedAction>>,
    /// Latest simulated time of this branch (the timeline's end); later than now while the
    /// view shows the past.
    pub head_ms: SimTime,
    /// The shipped lesson loaded (index in [`crate::scenario::LESSONS`]).
    pub lesson: Option<usize>,
    /// Whether the run already paused at the scenario's end.
    pub ended: bool,
    /// The configuration the world was built from.
    pub config: Rc<WorldConfig>,
    /// The seed the world was built from.
    pub seed: u64,
    /// Bumped on every rebuild.
    pub generation: u32,
    /// The picture of this frame.
    pub snap: Rc<WorldSnapshot>,
    /// Labels of this snapshot's nodes.
    pub names: Rc<Names>,
    /// Latest log entries, newest first.
    pub log: Rc<Vec<LogEntry>>,
    /// Latest orders, newest first.
    pub orders: Rc<Vec<OrderView>>,
    /// Latest emails, newest first.
    pub outbox: Rc<Vec<Email>>,
    /// Metrics history.
    pub history: Rc<History>,
    /// Time stopped.
    pub paused: bool,
    /// Simulated ms per wall ms.
    pub speed: f64,
    /// Simulated time target with its fraction (the world runs to its floor).
    pub sim_clock: f64,
    /// Wall time of the previous frame.
    pub last_wall: Option<f64>,
    /// Wall time the lower panels were last rebuilt by a frame (see [`PANELS_REFRESH_MS`]).
    pub panels_wall: f64,
    /// Frames per second (smoothed), 0 while paused.
    pub fps: f64,
    /// Milliseconds of simulation and snapshot work per frame (smoothed).
    pub sim_ms: f64,
    /// The page language.
    pub lang: Lang,
    /// What the inspector shows.
    pub selection: Selection,
    /// Show `__consumer_offsets`.
    pub show_internal: bool,
    /// The view shown.
    pub view: View,
    /// The order followed (selected, or the latest one in the sequence view).
    pub focus: Rc<Option<OrderFocus>>,
    /// The sequence view shows followers as their own lifelines.
    pub unfold_followers: bool,
    /// Log categories shown.
    pub log_filter: Rc<SortedSet<&'static str>>,
    /// A message for the user (an action that was refused...).
    pub notice: Option<Rc<str>>,
    /// Settings panel open.
    pub settings_open: bool,
    /// The lesson player pauses the run at each narration step.
    pub player: bool,
    /// Narration steps the learner has been shown (the caption shows the last of them).
    pub seen: usize,
    /// When each narration step was shown in this run (`None`: its event has not happened).
    pub narration_shown: Rc<Vec<Option<SimTime>>>,
    /// Classroom mode: the diagram full width, the caption large, the panels hidden.
    pub classroom: bool,
    /// In classroom mode, the panels shown anyway.
    pub classroom_panels: bool,
    /// The diagram's text size, an index into [`TEXT_ZOOMS`].
    pub text_zoom: usize,
}

/// The diagram's text sizes: 1 fits the diagram to the stage's width; above, it is drawn
/// larger and the stage scrolls.
pub const TEXT_ZOOMS: [f64; 6] = [1.0, 1.25, 1.5, 1.75, 2.0, 2.5];

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.runner, &other.runner)
            && Rc::ptr_eq(&self.snap, &other.snap)
            && Rc::ptr_eq(&self.user_actions, &other.user_actions)
            && self.head_ms == other.head_ms
            && self.lesson == other.lesson
            && self.paused == other.paused
            && self.speed == other.speed
            && self.lang == other.lang
            && self.selection == other.selection
            && self.show_internal == other.show_internal
            && self.view == other.view
            && Rc::ptr_eq(&self.focus, &other.focus)
            && self.unfold_followers == other.unfold_followers
            && self.log_filter == other.log_filter
            && self.notice == other.notice
            && self.settings_open == other.settings_open
            && self.player == other.player
            && self.seen == other.seen
            && Rc::ptr_eq(&self.narration_shown, &other.narration_shown)
            && self.classroom == other.classroom
            && self.classroom_panels == other.classroom_panels
            && self.text_zoom == other.text_zoom
    }
}

/// Every user or clock action.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// An animation frame at this wall time (ms).
    Tick(f64),
    /// Pause or resume.
    TogglePause,
    /// Pause (true) or run (false).
    SetPaused(bool),
    /// Process the next engine event.
    Step,
    /// Advance simulated time by this many ms at once (tests, keyboard).
    AdvanceBy(u64),
    /// Set the speed.
    SetSpeed(f64),
    /// Create an order.
    CreateOrder {
        /// Customer, random when none.
        user: Option<u64>,
        /// Total in cents, random when none.
        total: Option<u64>,
    },
    /// Automatic orders per second.
    SetRate(f64),
    /// An engine command.
    Command(Command),
    /// A scenario action that names its nodes (a link to a service instance).
    Scenario(scenario::Action),
    /// Add an instance to a service.
    AddInstance(ServiceKind),
    /// Remove the last instance of a service.
    RemoveInstance(ServiceKind),
    /// Crash an instance.
    Crash(ServiceKind, usize),
    /// Restart an instance.
    Restart(ServiceKind, usize),
    /// Rebuild with the current settings and this seed.
    Reset(u64),
    /// Rebuild with new settings (already validated) and this seed.
    Rebuild(Box<WorldConfig>, u64),
    /// Show something in the inspector.
    Select(Selection),
    /// Change language.
    SetLang(Lang),
    /// Show or hide `__consumer_offsets`.
    ToggleInternal,
    /// Physical, logical or sequence view.
    SetView(View),
    /// Fold or unfold the followers in the sequence view.
    ToggleFollowers,
    /// Show or hide a log category.
    ToggleCategory(&'static str),
    /// Open or close the settings.
    OpenSettings(bool),
    /// The Escape key: close the settings if open, else clear the selection.
    Escape,
    /// Hide the notice.
    DismissNotice,
    /// Load a shipped lesson (index in [`crate::scenario::LESSONS`]): the page fetches its file and sends
    /// [`Action::LessonText`]; `None` goes back to the free sandbox.
    LoadLesson(Option<usize>),
    /// A shipped lesson's file, fetched (or why it could not be).
    LessonText(usize, Result<String, String>),
    /// Load a scenario file's text (an invalid one is explained, the world kept).
    Import(String),
    /// Replay a share fragment (`s=...&t=...`).
    OpenShare(String),
    /// Show the world at this simulated time, rebuilt by replay (time travel).
    TravelTo(SimTime),
    /// Show a message.
    Notify(String),
    /// The lesson player's "Next step": show the next step already reached, else run on to
    /// the next one.
    NextStep,
    /// Pause at each narration step (true) or play straight through.
    SetPlayer(bool),
    /// Classroom mode on or off.
    SetClassroom(bool),
    /// In classroom mode, show the panels (true) or hide them.
    SetClassroomPanels(bool),
    /// The diagram's text one size larger (+1) or smaller (-1).
    TextSize(i32),
}

impl State {
    /// The default world with this seed, paused or running.
    pub fn new(seed: u64, paused: bool) -> State {
        let base = default_scenario(seed);
        let runner = Recording::new(base.clone())
            .runner_at(0)
            .unwrap_or_else(|e| panic!("the default world is valid: {e}"));
        let snap = runner.world.snapshot();
        let mut s = State {
            names: Rc::new(Names::new(&snap)),
            snap: Rc::new(snap),
            runner: Rc::new(RefCell::new(runner)),
            checkpoints: Rc::default(),
            config: Rc::new(base.world_config()),
            base: Rc::new(base),
            user_actions: Rc::default(),
            head_ms: 0,
            lesson: None,
            ended: false,
            seed,
            generation: 0,
            log: Rc::default(),
            orders: Rc::default(),
            outbox: Rc::default(),
            history: Rc::default(),
            paused,
            speed: 1.0,
            sim_clock: 0.0,
            last_wall: None,
            panels_wall: f64::NEG_INFINITY,
            fps: 0.0,
            sim_ms: 0.0,
            lang: Lang::initial(),
            selection: Selection::None,
            show_internal: false,
            view: View::Physical,
            focus: Rc::new(None),
            unfold_followers: false,
            log_filter: Rc::new(CATEGORIES.into_iter().collect()),
            notice: None,
            settings_open: false,
            player: true,
            seen: 0,
            narration_shown: Rc::default(),
            classroom: false,
            classroom_panels: false,
            text_zoom: 0,
        };
        s.sync_player();
        s.refresh();
        s
    }

    /// The simulated world.
    pub fn world(&self) -> Ref<'_, World> {
        Ref::map(self.runner.borrow(), |r| &r.world)
    }

    /// Simulated time of the world shown.
    pub fn now(&self) -> SimTime {
        self.runner.borrow().now()
    }

    /// Whether the view shows the past of this branch (time travel).
    pub fn in_past(&self) -> bool {
        self.now() < self.head_ms
    }

    /// The run so far as one scenario: the loaded one plus the user's actions.
    pub fn recording(&self) -> Scenario {
        merged(&self.base, &self.user_actions)
    }

    /// Rebuilds the snapshot and the derived lists (each replaced only when it changed, so
    /// panels that did not change are not drawn again).
    pub fn refresh(&mut self) {
        self.refresh_with_panels(true);
    }

    /// Rebuilds the snapshot and the diagram's lists, and the lower panels' lists when
    /// `panels` is true (a playing frame at high speed leaves them for a later frame).
    fn refresh_with_panels(&mut self, panels: bool) {
        let world = self.world();
        let snap = world.snapshot();
        let names = Names::new(&snap);
        let log: Option<Vec<LogEntry>> =
            panels.then(|| world.log().rev().take(LOG_ROWS_MAX).cloned().collect());
        drop(world);
        if *self.names != names {
            self.names = Rc::new(names);
        }
        if panels {
            self.refresh_panels(log.unwrap_or_default(), &snap);
        }
        let mut history = (*self.history).clone();
        if history.observe(&snap) {
            self.history = Rc::new(history);
        }
        self.sim_clock = self.sim_clock.max(snap.sim.now as f64);
        self.head_ms = self.head_ms.max(snap.sim.now);
        self.snap = Rc::new(snap);
        self.refresh_focus();
        let runner = self.runner.borrow();
        let cues = &runner.state.cues;
        if *self.narration_shown != cues.shown_at {
            self.narration_shown = Rc::new(cues.shown_at.clone());
        }
        let reached = cues.reached;
        drop(runner);
        if !self.player_on() || self.seen > reached {
            self.seen = reached;
        }
    }

    /// The lower panels at the instant shown (a pause stops on the frame's instant, which a
    /// fast frame may have left out of the panels).
    fn catch_up_panels(&mut self) {
        let log: Vec<LogEntry> = self
            .world()
            .log()
            .rev()
            .take(LOG_ROWS_MAX)
            .cloned()
            .collect();
        let snap = self.snap.clone();
        self.refresh_panels(log, &snap);
    }

    /// Replaces the lower panels' lists that changed.
    fn refresh_panels(&mut self, log: Vec<LogEntry>, snap: &WorldSnapshot) {
        if *self.log != log {
            self.log = Rc::new(log);
        }
        let orders: Vec<OrderView> = snap.orders.iter().take(ORDER_ROWS_MAX).cloned().collect();
        if *self.orders != orders {
            self.orders = Rc::new(orders);
        }
        let outbox: Vec<Email> = snap.outbox.iter().take(OUTBOX_ROWS_MAX).cloned().collect();
        if *self.outbox != outbox {
            self.outbox = Rc::new(outbox);
        }
    }

    /// Whether the lesson player pauses at the steps: it is on and there is a narration.
    pub fn player_on(&self) -> bool {
        self.player && !self.base.narration.is_empty()
    }

    /// Tells the runner whether to stop at narration steps; after a new runner, every step
    /// it already reached counts as seen.
    fn sync_player(&mut self) {
        let on = self.player_on();
        let mut runner = self.runner.borrow_mut();
        runner.stop_at_narration = on;
        self.seen = runner.state.cues.reached;
    }

    /// The narration step the caption shows.
    pub fn caption(&self) -> Option<usize> {
        self.seen.checked_sub(1)
    }

    /// The order followed: the selected one (or the one of the selected step), else in the
    /// sequence view the latest one.
    pub fn focused_order(&self) -> Option<u64> {
        match self.selection {
            Selection::Order(id) | Selection::Step(id, _) => Some(id),
            _ if self.view == View::Sequence => self.snap.orders.first().map(|o| o.order_id),
            _ => None,
        }
    }

    /// Recomputes what is followed of the focused order (replaced only when it changed).
    fn refresh_focus(&mut self) {
        let focus = self
            .focused_order()
            .and_then(|id| self.world().order_focus(id));
        if *self.focus != focus {
            self.focus = Rc::new(focus);
        }
    }

    /// Replaces the world: `base` with `user` actions, replayed to `at_ms`. On error the
    /// current world stays.
    fn load(
        &mut self,
        base: Scenario,
        user: Vec<TimedAction>,
        at_ms: SimTime,
    ) -> Result<(), ScenarioError> {
        let mut checkpoints = Checkpoints::default();
        let runner = checkpoints.rebuild(&base, &user, at_ms)?;
        self.runner = Rc::new(RefCell::new(runner));
        self.checkpoints = Rc::new(RefCell::new(checkpoints));
        self.config = Rc::new(base.world_config());
        self.seed = base.seed();
        self.base = Rc::new(base);
        self.user_actions = Rc::new(user);
        self.head_ms = at_ms;
        self.ended = false;
        self.generation += 1;
        self.sim_clock = at_ms as f64;
        self.last_wall = None;
        self.history = Rc::default();
        self.selection = Selection::None;
        self.notice = None;
        self.sync_player();
        Ok(())
    }

    /// Loads a scenario from its start, running at its default speed; with the lesson
    /// player it waits on its first step.
    fn start_scenario(&mut self, base: Scenario) -> Result<(), ScenarioError> {
        let speed = default_speed(&base);
        self.load(base, Vec::new(), 0)?;
        self.speed = speed;
        self.paused = self.player_on();
        Ok(())
    }

    /// A fresh world with these settings and seed (no lesson), keeping the order rate.
    fn rebuild(&mut self, config: &WorldConfig, seed: u64) {
        let rate = self.snap.order_rate_per_s;
        let base = Scenario::from_world_config(config, seed);
        let user = if rate > 0.0 {
            vec![TimedAction {
                at_ms: 0,
                action: scenario::Action::SetOrderRate { per_second: rate },
            }]
        } else {
            Vec::new()
        };
        match self.load(base, user, 0) {
            Ok(()) => self.lesson = None,
            Err(e) => self.notice = Some(e.to_string().into()),
        }
    }

    /// Acting in the past starts a new branch: the user's later actions are dropped.
    fn fork_if_in_past(&mut self) {
        let now = self.now();
        if now < self.head_ms {
            let kept: Vec<TimedAction> = self
                .user_actions
                .iter()
                .filter(|a| a.at_ms <= now)
                .cloned()
                .collect();
            self.user_actions = Rc::new(kept);
            self.checkpoints.borrow_mut().forget_after(now);
            self.head_ms = now;
            self.ended = false;
        }
    }

    /// Applies a user action now and records it with the current simulated time.
    fn act(&mut self, action: scenario::Action) -> Result<(), String> {
        self.fork_if_in_past();
        let now = self.now();
        let result = self.runner.borrow_mut().apply_now(action.clone());
        // Refused actions are kept too: replaying them does exactly what they did.
        Rc::make_mut(&mut self.user_actions).push(TimedAction { at_ms: now, action });
        result
    }

    /// Runs the world to `target`, pausing once at the end of a scenario that has one.
    fn run_to(&mut self, target: SimTime) {
        let now = self.now();
        let mut target = target;
        let mut ends = false;
        if let Some(end) = self.scenario_end() {
            if !self.ended && now < end && target >= end {
                ends = true;
                target = end;
            }
        }
        let stopped = self.checkpoints.borrow_mut().advance(
            &mut self.runner.borrow_mut(),
            target,
            &self.user_actions,
        );
        if stopped {
            // A narration step was shown: the player waits on it.
            self.paused = true;
            self.last_wall = None;
            self.sim_clock = self.now() as f64;
            self.seen += 1;
        } else if ends {
            self.ended = true;
            self.paused = true;
            self.last_wall = None;
            self.sim_clock = target as f64;
        }
    }

    /// Where a lesson or an imported scenario ends (the free sandbox has no end).
    pub fn scenario_end(&self) -> Option<SimTime> {
        (!self.base.narration.is_empty() || self.base.run_until_ms.is_some())
            .then(|| self.base.run_until())
    }

    /// Rebuilds the world at `t` (at most the timeline's end) by replay from the nearest
    /// checkpoint before it.
    fn travel_to(&mut self, t: SimTime) {
        let head = self.head_ms.max(self.now());
        let t = t.min(head);
        if t == self.now() {
            return;
        }
        let rebuilt = self
            .checkpoints
            .borrow_mut()
            .rebuild(&self.base, &self.user_actions, t);
        match rebuilt {
            Ok(runner) => {
                self.runner = Rc::new(RefCell::new(runner));
                self.sync_player();
                self.head_ms = head;
                self.paused = true;
                self.last_wall = None;
                self.sim_clock = t as f64;
                self.history = Rc::default();
                self.ended = self.scenario_end().is_some_and(|end| t >= end);
            }
            Err(e) => self.notice = Some(e.to_string().into()),
        }
    }

    /// Loads a share fragment; an invalid one is explained and the current world kept.
    pub fn open_share(&mut self, fragment: &str) {
        let Some(shared) = parse_share_fragment(fragment) else {
            return;
        };
        let t = self.lang.t();
        let result = shared.and_then(|(scenario, at_ms)| {
            let speed = default_speed(&scenario);
            self.load(scenario, Vec::new(), at_ms)?;
            self.speed = speed;
            self.paused = true;
            Ok(())
        });
        match result {
            Ok(()) => self.lesson = None,
            Err(e) => self.notice = Some(format!("{}: {e}", t.share_invalid).into()),
        }
    }

    /// Loads a scenario file's text; an invalid one is explained and the current world kept.
    pub fn import(&mut self, text: &str) {
        let t = self.lang.t();
        match parse_scenario(text).and_then(|scenario| self.start_scenario(scenario)) {
            Ok(()) => self.lesson = None,
            Err(e) => self.notice = Some(format!("{}: {e}", t.import_failed).into()),
        }
    }

    /// Instances a service runs now.
    fn instance_count(&self, kind: ServiceKind) -> usize {
        self.snap
            .services
            .iter()
            .find(|v| v.kind == kind)
            .map_or(0, |v| v.instances.len())
    }

    fn report(&mut self, r: Result<(), String>) {
        if let Err(e) = r {
            self.notice = Some(e.into());
        }
    }
}

/// The scenario action a page command stands for (`None`: not one a user can do).
fn command_action(c: Command) -> Option<scenario::Action> {
    use scenario::Action as A;
    Some(match c {
        Command::FailBroker { broker } => A::FailBroker { broker: broker.0 },
        Command::RestoreBroker { broker } => A::RestoreBroker { broker: broker.0 },
        Command::IsolateBroker { broker } => A::IsolateBroker { broker: broker.0 },
        Command::HealBroker { broker } => A::HealBroker { broker: broker.0 },
        Command::HealNetwork => A::HealNetwork,
        Command::ElectPreferredLeaders => A::ElectPreferredLeaders,
        Command::FailController { controller } => A::FailController {
            controller: controller.map(|c| c.0 as usize),
        },
        Command::RestoreController { controller } => A::RestoreController {
            controller: controller.map(|c| c.0 as usize),
        },
        Command::IsolateController { controller } => A::IsolateController {
            controller: controller.map(|c| c.0 as usize),
        },
        Command::HealController { controller } => A::HealController {
            controller: controller.map(|c| c.0 as usize),
        },
        Command::DropMessage { id } => A::DropMessage { id: id.0 },
        Command::CutLink { a, b, one_way } => A::CutLink {
            a: a.to_string(),
            b: b.to_string(),
            one_way: one_way.then_some(true),
        },
        Command::HealLink { a, b } => A::HealLink {
            a: a.to_string(),
            b: b.to_string(),
        },
        Command::SlowLink {
            a,
            b,
            extra_latency_ms,
        } => A::SlowLink {
            a: a.to_string(),
            b: b.to_string(),
            extra_latency_ms,
        },
        Command::LossyLink { a, b, drop_rate } => A::LossyLink {
            a: a.to_string(),
            b: b.to_string(),
            drop_rate,
        },
        Command::AddBroker { rack } => A::AddBroker { rack },
        Command::RemoveBroker { broker } => A::RemoveBroker { broker: broker.0 },
        Command::CrashClient { .. }
        | Command::RestartClient { .. }
        | Command::Reassign { .. }
        | Command::SetReplicationFactor { .. }
        | Command::AddPartitions { .. }
        | Command::SetMinInsyncReplicas { .. } => return None,
    })
}

/// Exponential smoothing for the frame figures (the first value is taken as is).
fn smooth(previous: f64, value: f64) -> f64 {
    if previous <= 0.0 {
        value
    } else {
        previous * 0.9 + value * 0.1
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // Paused frames change nothing: keep the same state so nothing is drawn again.
        if let Action::Tick(wall) = action {
            if self.paused && self.last_wall.is_none() {
                return self;
            }
            let mut s = (*self).clone();
            let delta = s.last_wall.map_or(0.0, |last| wall - last);
            if s.paused {
                s.last_wall = None;
                s.fps = 0.0;
                return Rc::new(s);
            }
            s.fork_if_in_past();
            s.last_wall = Some(wall);
            if delta > 0.0 && delta.is_finite() {
                s.fps = smooth(s.fps, 1000.0 / delta);
            }
            let add = sim_delta(delta, s.speed);
            if add <= 0.0 {
                return Rc::new(s);
            }
            s.sim_clock += add;
            let target = s.sim_clock.floor().max(0.0) as u64;
            if target > s.now() {
                let started = wall_ms();
                s.run_to(target);
                // A frame that stops the run (a narration step, the end) shows its instant.
                let panels = s.speed <= PANELS_EVERY_FRAME_UP_TO
                    || s.paused
                    || wall - s.panels_wall >= PANELS_REFRESH_MS;
                if panels {
                    s.panels_wall = wall;
                }
                s.refresh_with_panels(panels);
                s.sim_ms = smooth(s.sim_ms, wall_ms() - started);
            }
            return Rc::new(s);
        }
        let mut s = (*self).clone();
        match action {
            Action::Tick(_) => {}
            Action::TogglePause => {
                s.paused = !s.paused;
                s.last_wall = None;
                if !s.paused {
                    s.fork_if_in_past();
                } else {
                    s.catch_up_panels();
                }
            }
            Action::SetPaused(p) => {
                s.paused = p;
                s.last_wall = None;
                if !p {
                    s.fork_if_in_past();
                } else {
                    s.catch_up_panels();
                }
            }
            Action::Step => {
                s.fork_if_in_past();
                s.paused = true;
                s.last_wall = None;
                // Every event of the next instant: replays reach the same state.
                let next = s.world().next_event_time();
                if let Some(next) = next {
                    s.run_to(next);
                }
                s.sim_clock = s.now() as f64;
                s.refresh();
            }
            Action::AdvanceBy(ms) => {
                s.fork_if_in_past();
                let target = s.now().saturating_add(ms.min(3_600_000));
                // At once: the player does not stop on the way.
                let mut runner = s.runner.borrow_mut();
                let stop = std::mem::replace(&mut runner.stop_at_narration, false);
                s.checkpoints
                    .borrow_mut()
                    .advance(&mut runner, target, &s.user_actions);
                runner.stop_at_narration = stop;
                // Jumping shows every step passed on the way.
                s.seen = runner.state.cues.reached;
                drop(runner);
                s.sim_clock = target as f64;
                s.refresh();
            }
            Action::SetSpeed(v) => {
                s.speed = if v.is_finite() {
                    v.clamp(SPEED_MIN, SPEED_MAX)
                } else {
                    1.0
                };
            }
            Action::CreateOrder { user, total } => {
                let r = s.act(scenario::Action::CreateOrder {
                    user_id: user,
                    total,
                });
                s.refresh();
                match r {
                    Ok(()) => {
                        if let Some(o) = s.snap.orders.first() {
                            s.selection = Selection::Order(o.order_id);
                        }
                    }
                    Err(e) => s.notice = Some(e.into()),
                }
            }
            Action::SetRate(r) => {
                let r = if r.is_finite() {
                    r.clamp(0.0, 20.0)
                } else {
                    0.0
                };
                if r != s.snap.order_rate_per_s {
                    let result = s.act(scenario::Action::SetOrderRate { per_second: r });
                    s.report(result);
                    s.refresh();
                }
            }
            Action::Command(c) => {
                let r = match command_action(c.clone()) {
                    Some(a) => s.act(a),
                    None => Err("this command cannot be recorded".to_string()),
                };
                s.report(r);
                s.refresh();
            }
            Action::Scenario(a) => {
                let r = s.act(a.clone());
                s.report(r);
                s.refresh();
            }
            Action::AddInstance(k) | Action::RemoveInstance(k) => {
                let add = matches!(action, Action::AddInstance(_));
                let n = s.instance_count(k);
                let target = if add { n + 1 } else { n.saturating_sub(1) };
                let r = if k != ServiceKind::OrderService
                    && (1..=crate::services::world::INSTANCES_MAX).contains(&target)
                {
                    s.act(scenario::Action::ScaleService {
                        service: k,
                        instances: target,
                    })
                } else {
                    // Refused by the world (it explains why), nothing to record.
                    let mut runner = s.runner.borrow_mut();
                    if add {
                        runner.world.add_instance(k).map(|_| ())
                    } else {
                        runner.world.remove_instance(k)
                    }
                };
                s.report(r);
                s.refresh();
            }
            Action::Crash(k, i) => {
                let r = s.act(scenario::Action::CrashService {
                    service: k,
                    instance: Some(i),
                });
                s.report(r);
                s.refresh();
            }
            Action::Restart(k, i) => {
                let r = s.act(scenario::Action::RestartService {
                    service: k,
                    instance: Some(i),
                });
                s.report(r);
                s.refresh();
            }
            Action::Reset(seed) => {
                if s.base.actions.is_empty() && s.base.narration.is_empty() {
                    let config = (*s.config).clone();
                    s.rebuild(&config, seed);
                } else {
                    let mut base = (*s.base).clone();
                    base.seed = Some(seed);
                    let lesson = s.lesson;
                    if let Err(e) = s.start_scenario(base) {
                        s.notice = Some(e.to_string().into());
                    }
                    s.lesson = lesson;
                }
                s.refresh();
            }
            Action::Rebuild(config, seed) => {
                s.rebuild(&config, seed);
                s.settings_open = false;
                s.refresh();
            }
            Action::Select(sel) => {
                s.selection = sel;
                s.refresh_focus();
            }
            Action::SetLang(l) => {
                l.remember();
                s.lang = l;
            }
            Action::ToggleInternal => s.show_internal = !s.show_internal,
            Action::SetView(v) => {
                s.view = v;
                s.refresh_focus();
            }
            Action::ToggleFollowers => s.unfold_followers = !s.unfold_followers,
            Action::ToggleCategory(c) => {
                let mut f = (*s.log_filter).clone();
                if !f.remove(c) {
                    f.insert(c);
                }
                s.log_filter = Rc::new(f);
            }
            Action::OpenSettings(o) => s.settings_open = o,
            Action::Escape if s.settings_open => s.settings_open = false,
            Action::Escape if s.classroom && s.selection == Selection::None => s.classroom = false,
            Action::Escape => {
                s.selection = Selection::None;
                s.refresh_focus();
            }
            Action::DismissNotice => s.notice = None,
            // The page fetches a lesson's file first (see `App`), then sends its text.
            Action::LoadLesson(Some(_)) => {}
            Action::LoadLesson(None) => {
                let base = default_scenario(s.seed);
                match s.load(base, Vec::new(), 0) {
                    Ok(()) => {
                        s.lesson = None;
                        s.speed = 1.0;
                    }
                    Err(e) => s.notice = Some(e.to_string().into()),
                }
                s.refresh();
            }
            Action::LessonText(i, text) => {
                match text.and_then(|text| {
                    parse_scenario(&text)
                        .and_then(|sc| s.start_scenario(sc))
                        .map_err(|e| e.to_string())
                }) {
                    Ok(()) => s.lesson = Some(i),
                    Err(e) => {
                        let t = s.lang.t();
                        s.notice = Some(format!("{}: {e}", t.import_failed).into());
                    }
                }
                s.refresh();
            }
            Action::Import(text) => {
                s.import(&text);
                s.refresh();
            }
            Action::OpenShare(fragment) => {
                s.open_share(&fragment);
                s.refresh();
            }
            Action::TravelTo(t) => {
                s.travel_to(t);
                s.refresh();
            }
            Action::Notify(m) => s.notice = Some(m.into()),
            Action::NextStep => {
                let reached = s.runner.borrow().state.cues.reached;
                if s.seen < reached {
                    s.seen += 1;
                } else if !s.ended {
                    s.fork_if_in_past();
                    s.paused = false;
                    s.last_wall = None;
                }
            }
            Action::SetClassroom(on) => {
                // The diagram then fits the page's width: its text is large already.
                s.classroom = on;
                s.classroom_panels = false;
            }
            Action::SetClassroomPanels(on) => s.classroom_panels = on,
            Action::TextSize(d) => {
                let i = s.text_zoom as i64 + i64::from(d.signum());
                s.text_zoom = i.clamp(0, TEXT_ZOOMS.len() as i64 - 1) as usize;
            }
            Action::SetPlayer(on) => {
                s.player = on;
                s.runner.borrow_mut().stop_at_narration = s.player_on();
                if !s.player_on() {
                    s.refresh();
                }
            }
        }
        Rc::new(s)
    }
}
