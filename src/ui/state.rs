//! The page's state and its reducer: the `World` (behind `Rc<RefCell>`), the snapshot drawn
//! this frame, the clock (paused, speed, fractional simulated time), what is selected, view
//! toggles, the event-log filter and the metrics history ring. Every user action is an
//! [`Action`]; nothing else mutates the world.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

use yew::Reducible;

use super::describe::{Names, CATEGORIES};
use super::dom::wall_ms;
use super::geometry::{sim_delta, SPEED_MAX, SPEED_MIN};
use super::i18n::Lang;
use crate::services::{Email, LogEntry, OrderView, ServiceKind, World, WorldConfig, WorldSnapshot};
use crate::sim::{BrokerId, Command, MessageId, TimingPreset, TopicPartition};

/// Log rows shown.
pub const LOG_ROWS_MAX: usize = 120;
/// Orders rows shown.
pub const ORDER_ROWS_MAX: usize = 25;
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
    /// The controller.
    Controller,
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
    /// The simulated world.
    pub world: Rc<RefCell<World>>,
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
    /// Logical view instead of the physical one.
    pub logical: bool,
    /// Log categories shown.
    pub log_filter: Rc<BTreeSet<&'static str>>,
    /// A message for the user (an action that was refused...).
    pub notice: Option<Rc<str>>,
    /// Settings panel open.
    pub settings_open: bool,
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.world, &other.world)
            && Rc::ptr_eq(&self.snap, &other.snap)
            && self.paused == other.paused
            && self.speed == other.speed
            && self.lang == other.lang
            && self.selection == other.selection
            && self.show_internal == other.show_internal
            && self.logical == other.logical
            && self.log_filter == other.log_filter
            && self.notice == other.notice
            && self.settings_open == other.settings_open
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
    /// Physical or logical view.
    SetLogical(bool),
    /// Show or hide a log category.
    ToggleCategory(&'static str),
    /// Open or close the settings.
    OpenSettings(bool),
    /// Hide the notice.
    DismissNotice,
}

impl State {
    /// The default world with this seed, paused or running.
    pub fn new(seed: u64, paused: bool) -> State {
        let config = WorldConfig::default_for(TimingPreset::Sandbox);
        let world = World::new(config.clone(), seed)
            .unwrap_or_else(|e| panic!("the default world is valid: {e}"));
        let snap = world.snapshot();
        let mut s = State {
            names: Rc::new(Names::new(&snap)),
            snap: Rc::new(snap),
            world: Rc::new(RefCell::new(world)),
            config: Rc::new(config),
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
            fps: 0.0,
            sim_ms: 0.0,
            lang: Lang::initial(),
            selection: Selection::None,
            show_internal: false,
            logical: false,
            log_filter: Rc::new(CATEGORIES.into_iter().collect()),
            notice: None,
            settings_open: false,
        };
        s.refresh();
        s
    }

    /// Rebuilds the snapshot and the derived lists (each replaced only when it changed, so
    /// panels that did not change are not drawn again).
    pub fn refresh(&mut self) {
        let world = self.world.borrow();
        let snap = world.snapshot();
        let names = Names::new(&snap);
        if *self.names != names {
            self.names = Rc::new(names);
        }
        let log: Vec<LogEntry> = world.log().rev().take(LOG_ROWS_MAX).cloned().collect();
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
        let mut history = (*self.history).clone();
        if history.observe(&snap) {
            self.history = Rc::new(history);
        }
        self.sim_clock = self.sim_clock.max(snap.sim.now as f64);
        self.snap = Rc::new(snap);
    }

    fn rebuild(&mut self, config: WorldConfig, seed: u64) {
        match World::new(config.clone(), seed) {
            Ok(world) => {
                let rate = self.snap.order_rate_per_s;
                self.world = Rc::new(RefCell::new(world));
                self.world.borrow_mut().set_order_rate(rate);
                self.config = Rc::new(config);
                self.seed = seed;
                self.generation += 1;
                self.sim_clock = 0.0;
                self.history = Rc::default();
                self.selection = Selection::None;
                self.notice = None;
            }
            Err(e) => self.notice = Some(e.to_string().into()),
        }
    }

    fn report(&mut self, r: Result<(), String>) {
        if let Err(e) = r {
            self.notice = Some(e.into());
        }
    }
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
            if target > s.world.borrow().now() {
                let started = wall_ms();
                s.world.borrow_mut().advance_to(target);
                s.refresh();
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
            }
            Action::SetPaused(p) => {
                s.paused = p;
                s.last_wall = None;
            }
            Action::Step => {
                s.paused = true;
                s.last_wall = None;
                s.world.borrow_mut().step();
                let now = s.world.borrow().now() as f64;
                s.sim_clock = now;
                s.refresh();
            }
            Action::AdvanceBy(ms) => {
                let target = s.world.borrow().now().saturating_add(ms.min(3_600_000));
                s.world.borrow_mut().advance_to(target);
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
                let r = s.world.borrow_mut().create_order(user, total);
                match r {
                    Ok(id) => s.selection = Selection::Order(id),
                    Err(e) => s.notice = Some(e.into()),
                }
                s.refresh();
            }
            Action::SetRate(r) => {
                s.world.borrow_mut().set_order_rate(r);
                s.refresh();
            }
            Action::Command(c) => {
                let r = s.world.borrow_mut().handle(c);
                s.report(r);
                s.refresh();
            }
            Action::AddInstance(k) => {
                let r = s.world.borrow_mut().add_instance(k).map(|_| ());
                s.report(r);
                s.refresh();
            }
            Action::RemoveInstance(k) => {
                let r = s.world.borrow_mut().remove_instance(k);
                s.report(r);
                s.refresh();
            }
            Action::Crash(k, i) => {
                let r = s.world.borrow_mut().crash_instance(k, i);
                s.report(r);
                s.refresh();
            }
            Action::Restart(k, i) => {
                let r = s.world.borrow_mut().restart_instance(k, i);
                s.report(r);
                s.refresh();
            }
            Action::Reset(seed) => {
                let config = (*s.config).clone();
                s.rebuild(config, seed);
                s.refresh();
            }
            Action::Rebuild(config, seed) => {
                s.rebuild(*config, seed);
                s.settings_open = false;
                s.refresh();
            }
            Action::Select(sel) => s.selection = sel,
            Action::SetLang(l) => {
                l.remember();
                s.lang = l;
            }
            Action::ToggleInternal => s.show_internal = !s.show_internal,
            Action::SetLogical(l) => s.logical = l,
            Action::ToggleCategory(c) => {
                let mut f = (*s.log_filter).clone();
                if !f.remove(c) {
                    f.insert(c);
                }
                s.log_filter = Rc::new(f);
            }
            Action::OpenSettings(o) => s.settings_open = o,
            Action::DismissNotice => s.notice = None,
        }
        Rc::new(s)
    }
}
