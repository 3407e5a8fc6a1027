//! The lesson panel beside the diagram (the scenario's title and description, its narration
//! with the step shown highlighted; a step already shown can be clicked to travel back to it),
//! and the lesson player's caption over the diagram: the step shown, large, with "Next step".

use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::ui::components::scenario_bar::lesson_title;
use crate::ui::geometry::format_clock;
use crate::ui::i18n::Lang;
use crate::ui::state::Action;

/// Room kept above the current step when it is scrolled into view (px).
const STEP_CONTEXT_PX: i32 = 48;

/// Properties of [`Story`].
#[derive(Properties, PartialEq)]
pub struct StoryProps {
    /// The scenario loaded.
    pub scenario: Rc<Scenario>,
    /// The lesson loaded (index in the presets), for its translated title.
    pub lesson: Option<usize>,
    /// When each step was shown (`None`: its event has not happened yet).
    pub shown: Rc<Vec<Option<SimTime>>>,
    /// The step the caption shows.
    pub current: Option<usize>,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// The lesson panel.
#[function_component(Story)]
pub fn story(p: &StoryProps) -> Html {
    let t = p.lang.t();
    let s = &p.scenario;
    let title = match p.lesson {
        Some(i) => lesson_title(i, p.lang),
        None => s.title().to_string(),
    };
    let description = s
        .description
        .as_ref()
        .map(|d| p.lang.pick(&d.en, &d.fr).clone());
    let current = p.current;
    let body = use_node_ref();
    // Keep the current step in view (its list scrolls, the page does not).
    {
        let body = body.clone();
        use_effect_with(current, move |_| {
            let container = body.cast::<web_sys::HtmlElement>();
            let step = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("story-current"))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let (Some(container), Some(step)) = (container, step) {
                container.set_scroll_top((step.offset_top() - STEP_CONTEXT_PX).max(0));
            }
        });
    }
    html! {
        <section id="story" class="panel story" title={t.story_tip}>
            <header><h2>{ format!("{} · {}", t.story, title) }</h2></header>
            <div class="story-body" ref={body}>
                if let Some(d) = description {
                    <p id="story-description" class="story-description">{ d }</p>
                }
                <ol class="story-steps">
                    { for s.narration.iter().enumerate().map(|(i, step)| {
                        let state = match current {
                            Some(c) if c == i => "current",
                            Some(c) if i < c => "done",
                            _ => "future",
                        };
                        let shown = p.shown.get(i).copied().flatten();
                        let reachable = shown.is_some();
                        let onclick = {
                            let cb = p.on_action.clone();
                            Callback::from(move |_: MouseEvent| if let Some(at) = shown { cb.emit(Action::TravelTo(at)) })
                        };
                        let waits = step.on.as_ref().map(|c| c.event.as_str()).unwrap_or("");
                        html! {
                            <li id={if state == "current" { "story-current".to_string() } else { format!("story-step-{i}") }}
                                class={classes!("story-step", state, reachable.then_some("reachable"))}
                                title={if reachable { t.step_at_tip.to_string() } else { format!("{} {waits}", p.lang.pick("Waits for", "Attend")) }} {onclick}>
                                <span class="story-time">{ shown.map_or_else(|| "…".to_string(), format_clock) }</span>
                                <span class="story-text">{ p.lang.pick(&step.en, &step.fr).clone() }</span>
                            </li>
                        }
                    }) }
                </ol>
            </div>
        </section>
    }
}

/// What the caption needs.
pub struct CaptionProps<'a> {
    /// The scenario loaded.
    pub scenario: &'a Scenario,
    /// The step shown, if any.
    pub current: Option<usize>,
    /// When it was shown.
    pub at: Option<SimTime>,
    /// Whether steps already happened wait to be shown (Next shows them without running).
    pub more_reached: bool,
    /// The player pauses at each step.
    pub player: bool,
    /// Time runs.
    pub running: bool,
    /// The run has ended.
    pub ended: bool,
    /// Large text (classroom mode).
    pub large: bool,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: &'a Callback<Action>,
}

/// The lesson player's caption over the diagram: "Step 3 / 7 · 00:16.0", the step's text,
/// "Next step" (the N key) and whether to pause at each step.
pub fn caption(p: &CaptionProps) -> Html {
    let lang = p.lang;
    let total = p.scenario.narration.len();
    let Some(i) = p.current else {
        return html! {};
    };
    let Some(step) = p.scenario.narration.get(i) else {
        return html! {};
    };
    let next = {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::NextStep))
    };
    let toggle = {
        let (cb, on) = (p.on_action.clone(), p.player);
        Callback::from(move |_: Event| cb.emit(Action::SetPlayer(!on)))
    };
    let last = i + 1 >= total;
    let (label, enabled) = if p.more_reached {
        (lang.pick("Next step ▶", "Étape suivante ▶"), true)
    } else if p.ended || (last && !p.running) {
        (lang.pick("End of the lesson", "Fin de la leçon"), false)
    } else if p.running {
        (
            lang.pick(
                "Running to the next step…",
                "En route vers l'étape suivante…",
            ),
            false,
        )
    } else if last {
        (
            lang.pick("Run to the end ▶", "Jouer jusqu'à la fin ▶"),
            true,
        )
    } else {
        (lang.pick("Next step ▶", "Étape suivante ▶"), true)
    };
    html! {
        <div id="lesson-caption" class={classes!("caption", p.large.then_some("large"))} role="status" aria-live="polite">
            <div class="caption-head">
                <span id="lesson-step" class="caption-step">
                    { format!("{} {} / {total}", lang.pick("Step", "Étape"), i + 1) }
                    if let Some(at) = p.at { { format!(" · {}", format_clock(at)) } }
                </span>
                <label class="toggle" title={lang.pick("Pause the run at each step of the narration", "Mettre en pause à chaque étape du récit")}>
                    <input id="lesson-autopause" type="checkbox" checked={p.player} onchange={toggle} />
                    { lang.pick("Pause at each step", "Pause à chaque étape") }
                </label>
            </div>
            <div class="caption-row">
                <p id="lesson-caption-text" class="caption-text">{ lang.pick(&step.en, &step.fr).clone() }</p>
                <div class="caption-actions">
                    <button id="lesson-next" class="btn primary" disabled={!enabled} onclick={next}
                        title={lang.pick("Show the next step (key N)", "Afficher l'étape suivante (touche N)")}>{ label }</button>
                    <span class="muted caption-key">{ lang.pick("key N", "touche N") }</span>
                </div>
            </div>
        </div>
    }
}
