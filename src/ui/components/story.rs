//! The lesson panel beside the diagram: the scenario's title and description, and its
//! step-by-step narration in the page language with the current step highlighted. A past
//! step can be clicked to travel back to it.

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
    /// Simulated time shown.
    pub now: SimTime,
    /// The timeline's end (later steps cannot be travelled to).
    pub head_ms: SimTime,
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
    let current = s.narration.iter().rposition(|n| n.at_ms <= p.now);
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
                        let reachable = step.at_ms <= p.head_ms;
                        let onclick = {
                            let (cb, at) = (p.on_action.clone(), step.at_ms);
                            Callback::from(move |_: MouseEvent| if reachable { cb.emit(Action::TravelTo(at)) })
                        };
                        html! {
                            <li id={if state == "current" { "story-current".to_string() } else { format!("story-step-{i}") }}
                                class={classes!("story-step", state, reachable.then_some("reachable"))}
                                title={if reachable { t.step_at_tip } else { "" }} {onclick}>
                                <span class="story-time">{ format_clock(step.at_ms) }</span>
                                <span class="story-text">{ p.lang.pick(&step.en, &step.fr).clone() }</span>
                            </li>
                        }
                    }) }
                </ol>
            </div>
        </section>
    }
}
