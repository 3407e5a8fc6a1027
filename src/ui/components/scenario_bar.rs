//! The scenario bar under the toolbar: the lessons picker, the timeline (time travel by
//! replay), and share, export and import of the run as a scenario.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::scenario::LESSONS;
use crate::sim::SimTime;
use crate::ui::geometry::format_clock;
use crate::ui::i18n::Lang;
use crate::ui::state::Action;

/// Wall delay before a timeline replay starts, so "replaying…" is drawn first (ms).
const REPLAY_DELAY_MS: u32 = 30;

/// Properties of [`ScenarioBar`].
#[derive(Properties, PartialEq)]
pub struct ScenarioBarProps {
    /// The lesson loaded (index in [`LESSONS`]).
    pub lesson: Option<usize>,
    /// Simulated time shown.
    pub now: SimTime,
    /// The timeline's end.
    pub head_ms: SimTime,
    /// Actions the user recorded on this branch.
    pub recorded: usize,
    /// The last share link made, if any.
    pub share_link: Option<Rc<str>>,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
    /// Makes a share link.
    pub on_share: Callback<()>,
    /// Downloads the run as a scenario file.
    pub on_export: Callback<()>,
    /// Hides the share link.
    pub on_close_share: Callback<()>,
}

/// The title of lesson `index` in `lang`.
pub fn lesson_title(index: usize, lang: Lang) -> String {
    LESSONS
        .get(index)
        .map_or_else(String::new, |l| lang.pick(l.en, l.fr).to_string())
}

/// Reads the first file of a file input and sends its text as [`Action::Import`].
fn import_file(input: &web_sys::HtmlInputElement, on_action: Callback<Action>) {
    let file = js_sys::Reflect::get(input, &JsValue::from_str("files"))
        .ok()
        .and_then(|files| js_sys::Reflect::get(&files, &JsValue::from_f64(0.0)).ok())
        .filter(|f| f.is_object());
    // The same file may be picked again later.
    input.set_value("");
    let Some(file) = file else {
        return;
    };
    let text_of = js_sys::Reflect::get(&file, &JsValue::from_str("text"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(promise) = text_of.and_then(|f| f.call0(&file).ok()) else {
        return;
    };
    let on_text = wasm_bindgen::closure::Closure::once_into_js(move |text: JsValue| {
        on_action.emit(Action::Import(text.as_string().unwrap_or_default()));
    });
    let then = js_sys::Reflect::get(&promise, &JsValue::from_str("then"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(then) = then {
        let _ = then.call1(&promise, &on_text);
    }
}

/// The scenario bar.
#[function_component(ScenarioBar)]
pub fn scenario_bar(p: &ScenarioBarProps) -> Html {
    let t = p.lang.t();
    // Where the timeline is being dragged to, and whether its replay is under way.
    let dragging = use_state(|| None::<SimTime>);
    let replaying = use_state(|| false);
    let on_lesson = {
        let cb = p.on_action.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            cb.emit(Action::LoadLesson(v.parse::<usize>().ok()))
        })
    };
    let value_of = |e: &Event| {
        e.target_unchecked_into::<web_sys::HtmlInputElement>()
            .value()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as SimTime)
    };
    let on_drag = {
        let dragging = dragging.clone();
        Callback::from(move |e: InputEvent| dragging.set(value_of(&e)))
    };
    // The replay runs once the slider is let go, after "replaying…" is on screen.
    let on_release = {
        let (dragging, replaying, cb) = (dragging.clone(), replaying.clone(), p.on_action.clone());
        Callback::from(move |e: Event| {
            let Some(target) = value_of(&e) else {
                return;
            };
            replaying.set(true);
            let (dragging, replaying, cb) = (dragging.clone(), replaying.clone(), cb.clone());
            yew::platform::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(REPLAY_DELAY_MS).await;
                cb.emit(Action::TravelTo(target));
                dragging.set(None);
                replaying.set(false);
            });
        })
    };
    let on_import = {
        let cb = p.on_action.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
            import_file(&input, cb.clone());
        })
    };
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let to_present = {
        let (cb, head) = (p.on_action.clone(), p.head_ms);
        Callback::from(move |_: MouseEvent| cb.emit(Action::TravelTo(head)))
    };
    let in_past = p.now < p.head_ms;
    let shown = dragging.unwrap_or(p.now);
    html! {
        <div class="scenario-bar" role="group">
            <label class="field" title={t.lessons_tip}>
                <span>{ t.lessons }</span>
                <select id="lesson-select" onchange={on_lesson}>
                    <option value="" selected={p.lesson.is_none()}>{ t.free_play }</option>
                    { for (0..LESSONS.len()).map(|i| html! {
                        <option value={i.to_string()} selected={p.lesson == Some(i)}>
                            { format!("{}. {}", i + 1, lesson_title(i, p.lang)) }
                        </option>
                    }) }
                </select>
            </label>
            <label class="field timeline" title={t.timeline_tip}>
                <span>{ t.timeline }</span>
                <input id="timeline" type="range" min="0" max={p.head_ms.max(1).to_string()} step="1"
                    value={p.now.to_string()} oninput={on_drag} onchange={on_release} />
                <span id="timeline-time" class={classes!("clock", "small", in_past.then_some("past"))}>
                    { format!("{} / {}", format_clock(shown), format_clock(p.head_ms)) }
                </span>
            </label>
            if *replaying {
                <span id="replaying" class="badge replaying" role="status">{ t.replaying }</span>
            } else if in_past {
                <span id="in-past" class="badge past">{ t.in_the_past }</span>
                <button id="to-present" class="btn small" title={t.back_to_present_tip} onclick={to_present}>{ format!("» {}", t.back_to_present) }</button>
            }
            <span id="recorded-count" class="muted small" title={t.timeline_tip}>{ format!("{}{} {}", t.recorded_actions, p.lang.pick(":", " :"), p.recorded) }</span>
            <div class="group end" role="group">
                <button id="share" class="btn" title={t.share_tip} onclick={click(&p.on_share)}>{ format!("↗ {}", t.share) }</button>
                <button id="export" class="btn" title={t.export_tip} onclick={click(&p.on_export)}>{ format!("⤓ {}", t.export) }</button>
                <label id="import" class="btn file" title={t.import_tip}>
                    { format!("⤒ {}", t.import) }
                    <input id="import-file" type="file" accept=".json,application/json" onchange={on_import} />
                </label>
            </div>
            if let Some(link) = &p.share_link {
                <div class="share-row" role="status">
                    <input id="share-link" type="text" readonly=true value={link.to_string()} title={t.share_copied} />
                    <span class="muted small">{ t.share_copied }</span>
                    <button class="btn small ghost" title={t.close} onclick={click(&p.on_close_share)}>{ "✕" }</button>
                </div>
            }
        </div>
    }
}
