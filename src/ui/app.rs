//! The root component: owns the state reducer, runs the frame clock and the keyboard
//! shortcuts, and lays the page out (toolbar, diagram, inspector and metrics, lower panels).

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::components::diagram::Diagram;
use super::components::inspector::Inspector;
use super::components::legend::Legend;
use super::components::logical::Logical;
use super::components::metrics::Metrics;
use super::components::panels::{EventLog, Orders, Outbox};
use super::components::settings::Settings;
use super::components::toolbar::Toolbar;
use super::dom::{DocumentListener, FrameLoop};
use super::state::{Action, Selection, State, DEFAULT_SEED};

thread_local! {
    /// Dispatchers of the mounted apps, latest last, for [`super::testing`].
    static DISPATCH: RefCell<Vec<(u64, Callback<Action>)>> = const { RefCell::new(Vec::new()) };
    /// Next mount number.
    static NEXT_MOUNT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Sends an action to the most recently mounted app; false when none is mounted.
pub fn dispatch(action: Action) -> bool {
    let cb = DISPATCH.with(|d| d.borrow().last().map(|(_, cb)| cb.clone()));
    match cb {
        Some(cb) => {
            cb.emit(action);
            true
        }
        None => false,
    }
}

/// Properties of [`App`].
#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// Start with time stopped.
    #[prop_or(false)]
    pub start_paused: bool,
    /// Seed of the first world.
    #[prop_or(DEFAULT_SEED)]
    pub seed: u64,
    /// Run the animation-frame clock (tests may drive time themselves).
    #[prop_or(true)]
    pub clock: bool,
    /// Automatic orders per second at start.
    #[prop_or(0.0)]
    pub rate: f64,
    /// Simulated time to run before the first frame (ms).
    #[prop_or(0)]
    pub advance_ms: u64,
}

impl AppProps {
    /// Options read from a page query such as `?seed=7&rate=5&advance=20000&paused=1`
    /// (unknown or malformed parameters are ignored).
    pub fn from_query(query: &str) -> AppProps {
        let mut p = AppProps::default();
        for pair in query.trim_start_matches('?').split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "seed" => p.seed = v.parse().unwrap_or(p.seed),
                "rate" => {
                    p.rate = v
                        .parse::<f64>()
                        .ok()
                        .filter(|r| r.is_finite())
                        .unwrap_or(0.0)
                        .clamp(0.0, 20.0)
                }
                "advance" => p.advance_ms = v.parse::<u64>().unwrap_or(0).min(600_000),
                "paused" => p.start_paused = v != "0",
                _ => {}
            }
        }
        p
    }
}

impl Default for AppProps {
    fn default() -> Self {
        AppProps {
            start_paused: false,
            seed: DEFAULT_SEED,
            clock: true,
            rate: 0.0,
            advance_ms: 0,
        }
    }
}

/// The page.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let (seed, paused, rate, advance) =
        (props.seed, props.start_paused, props.rate, props.advance_ms);
    let state = use_reducer(move || {
        let mut s = State::new(seed, paused);
        if rate > 0.0 || advance > 0 {
            s.world.borrow_mut().set_order_rate(rate);
            let target = s.world.borrow().now() + advance;
            s.world.borrow_mut().advance_to(target);
            s.refresh();
        }
        s
    });
    let on_action = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            Callback::from(move |a: Action| dispatcher.dispatch(a))
        })
    };
    let on_action: Callback<Action> = (*on_action).clone();

    {
        let on_action = on_action.clone();
        use_effect_with(props.clock, move |clock| {
            let mount = NEXT_MOUNT.with(|n| {
                n.set(n.get() + 1);
                n.get()
            });
            DISPATCH.with(|d| d.borrow_mut().push((mount, on_action.clone())));
            let frames = clock.then(|| {
                let cb = on_action.clone();
                FrameLoop::start(move |t| cb.emit(Action::Tick(t)))
            });
            let cb = on_action.clone();
            let keys = DocumentListener::new("keydown", move |e: web_sys::Event| {
                let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if k.ctrl_key() || k.meta_key() || k.alt_key() {
                    return;
                }
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .map(|el| {
                        matches!(
                            el.tag_name().as_str(),
                            "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                        )
                    })
                    .unwrap_or(false);
                if typing {
                    return;
                }
                match k.key().as_str() {
                    " " | "Spacebar" => {
                        e.prevent_default();
                        cb.emit(Action::TogglePause);
                    }
                    "ArrowRight" => {
                        e.prevent_default();
                        cb.emit(Action::Step);
                    }
                    "Escape" => cb.emit(Action::Select(Selection::None)),
                    _ => {}
                }
            });
            move || {
                drop(frames);
                drop(keys);
                DISPATCH.with(|d| d.borrow_mut().retain(|(m, _)| *m != mount));
            }
        });
    }

    let s = &*state;
    let t = s.lang.t();
    let selected_order = match s.selection {
        Selection::Order(id) => s.world.borrow().order(id).cloned(),
        _ => None,
    };
    let set_view = |logical: bool| {
        let cb = on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::SetLogical(logical)))
    };
    let toggle_internal = {
        let cb = on_action.clone();
        Callback::from(move |_: Event| cb.emit(Action::ToggleInternal))
    };
    let dismiss = {
        let cb = on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::DismissNotice))
    };
    html! {
        <div id="app" class="app" lang={s.lang.code()}>
            <Toolbar paused={s.paused} speed={s.speed} now={s.snap.sim.now} rate={s.snap.order_rate_per_s}
                seed={s.seed} lang={s.lang} on_action={on_action.clone()} />
            if let Some(n) = &s.notice {
                <div id="notice" class="notice" role="status">
                    <span>{ n.to_string() }</span>
                    <button class="btn small ghost" title={t.dismiss} onclick={dismiss}>{ "✕" }</button>
                </div>
            }
            <main class="main">
                <section class="stage">
                    <div class="stage-bar">
                        <div class="tabs" role="tablist">
                            <button id="view-physical" class={classes!("tab", (!s.logical).then_some("on"))} title={t.physical_tip} onclick={set_view(false)}>{ t.physical }</button>
                            <button id="view-logical" class={classes!("tab", s.logical.then_some("on"))} title={t.logical_tip} onclick={set_view(true)}>{ t.logical }</button>
                        </div>
                        <label class="toggle" title={t.show_internal_tip}>
                            <input id="show-internal" type="checkbox" checked={s.show_internal} onchange={toggle_internal} />
                            { t.show_internal }
                        </label>
                        <Legend lang={s.lang} />
                    </div>
                    <div class="stage-body">
                        <span id="frame-stats" class="frame-stats muted" title={s.lang.pick("Frames per second and milliseconds of simulation work per frame", "Images par seconde et millisecondes de calcul de la simulation par image")}>
                            { if s.fps > 0.0 { format!("{:.0} fps · {:.1} ms", s.fps, s.sim_ms) } else { String::new() } }
                        </span>
                        if s.logical {
                            <Logical snap={s.snap.clone()} show_internal={s.show_internal} selection={s.selection.clone()}
                                lang={s.lang} on_action={on_action.clone()} />
                        } else {
                            <Diagram snap={s.snap.clone()} names={s.names.clone()} show_internal={s.show_internal}
                                selection={s.selection.clone()} lang={s.lang} on_action={on_action.clone()} />
                        }
                    </div>
                </section>
                <aside class="side">
                    <Inspector selection={s.selection.clone()} snap={s.snap.clone()} names={s.names.clone()}
                        order={selected_order} lang={s.lang} on_action={on_action.clone()} />
                    <Metrics snap={s.snap.clone()} history={s.history.clone()} lang={s.lang} />
                </aside>
            </main>
            <div class="panels">
                <EventLog entries={s.log.clone()} filter={s.log_filter.clone()} names={s.names.clone()}
                    lang={s.lang} on_action={on_action.clone()} />
                <Orders orders={s.orders.clone()} selected={match s.selection { Selection::Order(id) => Some(id), _ => None }}
                    lang={s.lang} on_action={on_action.clone()} />
                <Outbox emails={s.outbox.clone()} lang={s.lang} />
            </div>
            if s.settings_open {
                <Settings config={s.config.clone()} seed={s.seed} lang={s.lang} on_action={on_action.clone()} />
            }
        </div>
    }
}
