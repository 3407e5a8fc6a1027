//! The yew page: a view of the world's snapshot, driven by the browser's frame clock.
//!
//! - [`state`]: the state and its reducer (owns the `World`).
//! - [`app`]: the root component, the frame clock and the keyboard.
//! - [`components`]: toolbar, scenario bar (lessons, timeline, share, export, import), lesson
//!   narration, diagram, logical view, inspector, metrics, panels, settings.
//! - [`geometry`]: pure layout and clock maths.
//! - [`i18n`] and [`describe`]: French and English wording.
//! - [`dom`]: owned browser handles (frame loop, listeners) and input parsing.

pub mod app;
pub mod components;
pub mod describe;
pub mod dom;
pub mod geometry;
pub mod i18n;
pub mod state;

pub use app::{App, AppProps};

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a panic happened: the frame loop stops and the first message stays on screen.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Whether the app panicked.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::Relaxed)
}

use wasm_bindgen::JsCast;

/// Mounts the app on the page body, with a panic hook that shows the panic in the page.
pub fn start() {
    install_panic_hook();
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let root = doc.get_element_by_id("root").or_else(|| {
        let div = doc.create_element("div").ok()?;
        div.set_id("root");
        doc.body()?.append_child(&div).ok()?;
        Some(div)
    });
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let fragment = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    if let Some(root) = root {
        root.set_inner_html("");
        let mut props = AppProps::from_query(&query);
        props.share = Some(fragment).filter(|f| !f.trim_start_matches('#').is_empty());
        yew::Renderer::<App>::with_root_and_props(root, props).render();
    }
}

/// Installs a panic hook that logs to the console and shows a visible error panel with the
/// panic message (instead of a frozen page). It goes through yew, which would otherwise replace
/// any hook with its own when the app is rendered.
pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // The first panic explains; later ones are its echoes (borrows left open...).
        if !PANICKED.swap(true, Ordering::Relaxed) {
            show_panic(&info.to_string());
        }
    }));
}

fn show_panic(message: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let panel = match doc.get_element_by_id("panic-panel") {
        Some(p) => p,
        None => {
            let Ok(p) = doc.create_element("div") else {
                return;
            };
            p.set_id("panic-panel");
            p.set_attribute("role", "alert").ok();
            if let Some(body) = doc.body() {
                let _ = body.append_child(&p);
            }
            p
        }
    };
    let fr = doc
        .document_element()
        .and_then(|e| e.get_attribute("lang"))
        .is_some_and(|l| l.starts_with("fr"));
    let lang = if fr { i18n::Lang::Fr } else { i18n::Lang::En };
    panel.set_inner_html("");
    let add = |tag: &str, text: &str, class: &str| {
        if let Ok(el) = doc.create_element(tag) {
            el.set_text_content(Some(text));
            el.set_class_name(class);
            let _ = panel.append_child(&el);
            Some(el)
        } else {
            None
        }
    };
    add("h2", lang.t().crashed_title, "");
    add("pre", message, "panic-message");
    if let Some(btn) = add(
        "button",
        lang.pick("Reload the page", "Recharger la page"),
        "btn primary",
    ) {
        let _ = btn.set_attribute("onclick", "location.reload()");
        let _ = btn.set_attribute("title", lang.pick("Reload the page", "Recharger la page"));
        if let Some(b) = btn.dyn_ref::<web_sys::HtmlElement>() {
            b.set_id("panic-reload");
        }
    }
}

/// Hooks for browser tests: drive the mounted app's simulated time deterministically.
pub mod testing {
    use super::state::Action;

    /// Sends an action to the mounted app; false when none is mounted.
    pub fn dispatch(action: Action) -> bool {
        super::app::dispatch(action)
    }

    /// Advances the mounted app's world by `ms` simulated milliseconds at once.
    pub fn advance(ms: u64) -> bool {
        dispatch(Action::AdvanceBy(ms))
    }

    /// Feeds one animation frame at wall time `wall_ms` (tests of the frame clock).
    pub fn frame(wall_ms: f64) -> bool {
        dispatch(Action::Tick(wall_ms))
    }

    /// Simulated time of the latest rendered state.
    pub fn now_ms() -> Option<u64> {
        super::app::with_latest(|s| s.now())
    }

    /// The engine's trace hash in the latest rendered state (equal hashes: same run).
    pub fn trace_hash() -> Option<u64> {
        super::app::with_latest(|s| s.world().sim.trace_hash())
    }

    /// The share fragment (without `#`) of the latest rendered run.
    pub fn share_fragment() -> Option<Result<String, String>> {
        super::app::with_latest(super::app::share_fragment_of)
    }

    /// The end of the latest rendered timeline.
    pub fn head_ms() -> Option<u64> {
        super::app::with_latest(|s| s.head_ms)
    }

    /// Imports a scenario file's text, as the file picker does.
    pub fn import(text: &str) -> bool {
        dispatch(Action::Import(text.to_string()))
    }

    /// Rebuilds the world at `t` by replay, as the timeline does.
    pub fn travel_to(t: u64) -> bool {
        dispatch(Action::TravelTo(t))
    }
}
