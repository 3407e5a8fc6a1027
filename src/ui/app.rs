//! The root component: owns the state reducer, runs the frame clock and the keyboard
//! shortcuts, and lays the page out (toolbar, diagram, inspector and metrics, lower panels).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew::Reducible;

use super::components::diagram::Diagram;
use super::components::inspector::Inspector;
use super::components::legend::Legend;
use super::components::logical::Logical;
use super::components::metrics::Metrics;
use super::components::operations::Operations;
use super::components::panels::{EventLog, Orders, Outbox};
use super::components::scenario_bar::ScenarioBar;
use super::components::sequence::{sequence_view, SequenceProps};
use super::components::settings::Settings;
use super::components::story::{caption, CaptionProps, Story};
use super::components::toolbar::Toolbar;
use super::dom::{download, fetch_text, DocumentListener, FrameLoop};
use super::i18n::Lang;
use super::state::{Action, Selection, State, View, DEFAULT_SEED, TEXT_ZOOMS};
use crate::scenario::LESSONS;

thread_local! {
    /// Dispatchers of the mounted apps, latest last, for [`super::testing`].
    static DISPATCH: RefCell<Vec<(u64, Callback<Action>)>> = const { RefCell::new(Vec::new()) };
    /// The state of the latest render, for [`super::testing`].
    static LATEST: RefCell<Option<State>> = const { RefCell::new(None) };
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

/// Reads the state of the latest render; `None` when nothing was rendered.
pub fn with_latest<R>(f: impl FnOnce(&State) -> R) -> Option<R> {
    LATEST.with(|l| l.borrow().as_ref().map(f))
}

/// The share fragment of the run in `s` (without `#`), or why it cannot be shared.
pub fn share_fragment_of(s: &State) -> Result<String, String> {
    let scenario = s.recording();
    scenario.validate().map_err(|e| e.to_string())?;
    Ok(crate::scenario::session::share_fragment(&scenario, s.now()))
}

/// Puts the share fragment in the address bar and tries to copy the whole link.
fn publish_share(fragment: &str) -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let base = format!(
        "{}{}{}",
        location.origin().ok()?,
        location.pathname().ok()?,
        location.search().ok()?
    );
    let link = format!("{base}#{fragment}");
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&link));
    }
    let clipboard = js_sys::Reflect::get(&window.navigator(), &"clipboard".into()).ok();
    if let Some(clipboard) = clipboard.filter(|c| c.is_object()) {
        let write = js_sys::Reflect::get(&clipboard, &"writeText".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(write) = write {
            // Refused outside a user gesture or a secure page: the link is shown anyway.
            let _ = write.call1(&clipboard, &link.as_str().into());
        }
    }
    Some(link)
}

/// Offers the run as a scenario file download.
fn download_scenario(s: &State) {
    let json = crate::scenario::share::scenario_file_text(&s.recording());
    download("kafka-sandbox-scenario.json", "application/json", &json);
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
    /// A share fragment (`s=...&t=...`) to replay instead of the default world.
    #[prop_or_default]
    pub share: Option<String>,
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
            share: None,
        }
    }
}

/// What the scenario's own producer box says, in a world without services: its settings.
fn producer_label(config: &crate::services::WorldConfig, lang: Lang) -> Option<Rc<str>> {
    if config.services.enabled {
        return None;
    }
    let p = &config.sim.producer;
    let acks = match p.acks {
        crate::sim::Acks::None => "0",
        crate::sim::Acks::Leader => "1",
        crate::sim::Acks::All => "all",
    };
    let idem = if p.enable_idempotence {
        lang.pick("idempotent", "idempotent")
    } else {
        lang.pick("not idempotent", "non idempotent")
    };
    Some(
        format!(
            "acks={acks} · {idem} · request.timeout.ms {}",
            p.request_timeout_ms
        )
        .into(),
    )
}

/// `00m05.3s` for a file name.
fn clock_file_name(ms: u64) -> String {
    format!(
        "{:02}m{:02}.{}s",
        ms / 60_000,
        ms / 1000 % 60,
        ms / 100 % 10
    )
}

/// The classroom mode switch, its panels switch, the diagram's SVG download and the text size
/// buttons.
fn classroom_controls(s: &State, on_action: &Callback<Action>) -> Html {
    let lang = s.lang;
    let emit = |a: Action| {
        let cb = on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(a.clone()))
    };
    let zoom = TEXT_ZOOMS[s.text_zoom];
    let now = s.snap.sim.now;
    html! {
        <span class="classroom-controls">
            <button id="presentation-mode" class={classes!("btn", "small", s.classroom.then_some("primary"))}
                aria-pressed={s.classroom.to_string()} onclick={emit(Action::SetClassroom(!s.classroom))}
                title={lang.pick("Classroom mode: the diagram on the whole page, the caption large, the panels hidden (Escape leaves it)",
                    "Mode classe : le schéma sur toute la page, la légende en grand, les panneaux masqués (Échap pour en sortir)")}>
                { lang.pick("▣ Classroom", "▣ Mode classe") }</button>
            if s.classroom {
                <label class="toggle" title={lang.pick("Show the lesson, inspector, metrics and log panels", "Afficher les panneaux leçon, inspecteur, métriques et journal")}>
                    <input id="classroom-panels" type="checkbox" checked={s.classroom_panels}
                        onchange={{ let cb = on_action.clone(); let on = s.classroom_panels; Callback::from(move |_: Event| cb.emit(Action::SetClassroomPanels(!on))) }} />
                    { lang.pick("panels", "panneaux") }
                </label>
            }
            if s.view == View::Physical {
                <button id="diagram-export" class="btn small" onclick={Callback::from(move |_: MouseEvent| {
                    if let Some(svg) = super::dom::diagram_svg() {
                        download(&format!("kafka-sandbox-{}.svg", clock_file_name(now)), "image/svg+xml", &svg);
                    }
                })} title={lang.pick("Download the diagram as an SVG picture, as it is now", "Télécharger le schéma en image SVG, tel qu'il est")}>
                    { lang.pick("⤓ SVG", "⤓ SVG") }</button>
            }
            <span class="text-size" title={lang.pick("Text size of the diagram (above 100% it scrolls)", "Taille du texte du schéma (au-delà de 100 % il défile)")}>
                <button id="text-size-down" class="btn small" disabled={s.text_zoom == 0} onclick={emit(Action::TextSize(-1))}
                    aria-label={lang.pick("Smaller text", "Texte plus petit")}>{ "A−" }</button>
                <span id="text-size" class="muted">{ format!("{:.0}%", zoom * 100.0) }</span>
                <button id="text-size-up" class="btn small" disabled={s.text_zoom + 1 >= TEXT_ZOOMS.len()} onclick={emit(Action::TextSize(1))}
                    aria-label={lang.pick("Larger text", "Texte plus grand")}>{ "A+" }</button>
            </span>
        </span>
    }
}

/// The page.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let (seed, paused, rate, advance) =
        (props.seed, props.start_paused, props.rate, props.advance_ms);
    let share = props.share.clone();
    let state = use_reducer(move || {
        let mut s = Rc::new(State::new(seed, paused));
        if rate > 0.0 {
            s = s.reduce(Action::SetRate(rate));
        }
        if advance > 0 {
            s = s.reduce(Action::AdvanceBy(advance));
        }
        if let Some(fragment) = share {
            s = s.reduce(Action::OpenShare(fragment));
        }
        Rc::unwrap_or_clone(s)
    });
    let on_action = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            Callback::from(move |a: Action| match a {
                // A lesson's file is fetched first; its text (or the error) then loads it.
                Action::LoadLesson(Some(i)) if i < LESSONS.len() => {
                    let dispatcher = dispatcher.clone();
                    fetch_text(format!("scenarios/{}", LESSONS[i].file), move |text| {
                        dispatcher.dispatch(Action::LessonText(i, text))
                    });
                }
                a => dispatcher.dispatch(a),
            })
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
                // Escape closes what is open, even from inside a field.
                if k.key() == "Escape" {
                    cb.emit(Action::Escape);
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
                    "n" | "N" => cb.emit(Action::NextStep),
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
    LATEST.with(|l| *l.borrow_mut() = Some(s.clone()));
    let t = s.lang.t();
    let share_link = use_state(|| None::<Rc<str>>);
    let on_share = {
        let (state, share_link) = (state.clone(), share_link.clone());
        let cb = on_action.clone();
        Callback::from(move |()| match share_fragment_of(&state) {
            Ok(fragment) => share_link.set(publish_share(&fragment).map(Rc::from)),
            Err(e) => {
                let t = state.lang.t();
                cb.emit(Action::Notify(format!("{}: {e}", t.share_failed)));
            }
        })
    };
    let on_export = {
        let state = state.clone();
        Callback::from(move |()| download_scenario(&state))
    };
    let on_close_share = {
        let share_link = share_link.clone();
        Callback::from(move |()| share_link.set(None))
    };
    let now = s.snap.sim.now;
    let show_story = !s.base.narration.is_empty() || s.base.description.is_some();
    let selected_order = match s.selection {
        Selection::Order(id) => s.world().order(id).cloned(),
        _ => None,
    };
    let set_view = |view: View| {
        let cb = on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::SetView(view)))
    };
    let focus_order = s
        .focused_order()
        .and_then(|id| s.world().order(id).cloned());
    let toggle_internal = {
        let cb = on_action.clone();
        Callback::from(move |_: Event| cb.emit(Action::ToggleInternal))
    };
    let dismiss = {
        let cb = on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::DismissNotice))
    };
    html! {
        <div id="app" class={classes!("app", s.classroom.then_some("classroom"), (s.classroom && s.classroom_panels).then_some("panels-shown"))}
            lang={s.lang.code()} style={format!("--text-zoom:{}", TEXT_ZOOMS[s.text_zoom])}>
            <Toolbar paused={s.paused} speed={s.speed} now={s.snap.sim.now} rate={s.snap.order_rate_per_s}
                seed={s.seed} lang={s.lang} on_action={on_action.clone()} />
            <ScenarioBar lesson={s.lesson} now={now} head_ms={s.head_ms} recorded={s.user_actions.len()}
                share_link={(*share_link).clone()} lang={s.lang} on_action={on_action.clone()}
                on_share={on_share} on_export={on_export} on_close_share={on_close_share} />
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
                            <button id="view-physical" class={classes!("tab", (s.view == View::Physical).then_some("on"))} title={t.physical_tip} onclick={set_view(View::Physical)}>{ t.physical }</button>
                            <button id="view-logical" class={classes!("tab", (s.view == View::Logical).then_some("on"))} title={t.logical_tip} onclick={set_view(View::Logical)}>{ t.logical }</button>
                            <button id="view-sequence" class={classes!("tab", (s.view == View::Sequence).then_some("on"))}
                                title={s.lang.pick("Sequence view: one order's messages along time, step by step", "Vue séquence : les messages d'une commande au fil du temps, étape par étape")}
                                onclick={set_view(View::Sequence)}>{ s.lang.pick("Sequence", "Séquence") }</button>
                        </div>
                        <label class="toggle" title={t.show_internal_tip}>
                            <input id="show-internal" type="checkbox" checked={s.show_internal} onchange={toggle_internal} />
                            { t.show_internal }
                        </label>
                        { classroom_controls(s, &on_action) }
                        <Legend lang={s.lang} />
                    </div>
                    <div class="stage-body">
                        <span id="frame-stats" class="frame-stats muted" title={s.lang.pick("Frames per second and milliseconds of simulation work per frame", "Images par seconde et millisecondes de calcul de la simulation par image")}>
                            { if s.fps > 0.0 { format!("{:.0} fps · {:.1} ms", s.fps, s.sim_ms) } else { String::new() } }
                        </span>
                        if s.view == View::Logical {
                            <div class="zoomed">
                            <Logical snap={s.snap.clone()} show_internal={s.show_internal} selection={s.selection.clone()}
                                lang={s.lang} on_action={on_action.clone()} />
                            </div>
                        } else if s.view == View::Sequence {
                            <div class="zoomed">
                            { sequence_view(&SequenceProps { focus: s.focus.clone(), order: focus_order, names: s.names.clone(),
                                unfold_followers: s.unfold_followers, selection: s.selection.clone(), now,
                                lang: s.lang, on_action: on_action.clone() }) }
                            </div>
                        } else {
                            <Diagram snap={s.snap.clone()} names={s.names.clone()} show_internal={s.show_internal}
                                focus={if matches!(s.selection, Selection::Order(_) | Selection::Step(..)) { s.focus.clone() } else { Rc::new(None) }}
                                selection={s.selection.clone()} producer={producer_label(&s.config, s.lang)} zoom={TEXT_ZOOMS[s.text_zoom]}
                                lang={s.lang} on_action={on_action.clone()} />
                        }
                    </div>
                    { caption(&CaptionProps { scenario: &s.base, current: s.caption(),
                        at: s.caption().and_then(|i| s.narration_shown.get(i).copied().flatten()),
                        more_reached: s.player_on() && s.seen < s.narration_shown.iter().filter(|t| t.is_some()).count(),
                        player: s.player, running: !s.paused, ended: s.ended, large: s.classroom,
                        lang: s.lang, on_action: &on_action }) }
                </section>
                <aside class="side">
                    if show_story {
                        <Story scenario={s.base.clone()} lesson={s.lesson} shown={s.narration_shown.clone()}
                            current={s.caption()} lang={s.lang} on_action={on_action.clone()} />
                    }
                    <Inspector selection={s.selection.clone()} snap={s.snap.clone()} names={s.names.clone()}
                        order={selected_order} focus={s.focus.clone()} lang={s.lang} on_action={on_action.clone()} />
                    <Operations snap={s.snap.clone()} lang={s.lang} on_action={on_action.clone()} />
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
