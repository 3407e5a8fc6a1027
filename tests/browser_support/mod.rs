//! Shared helpers of the browser tests: mounting the app with time driven by the test, reading
//! the DOM by id, clicking, typing, and advancing simulated time. Each browser test file uses
//! the part it needs.
#![allow(dead_code)]

use gloo_timers::future::TimeoutFuture;
use kafka_sandbox::ui::state::Action;
use kafka_sandbox::ui::{testing, App, AppProps};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};
use yew::AppHandle;

pub fn doc() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Lets yew render what was dispatched.
pub async fn settle() {
    TimeoutFuture::new(10).await;
}

pub fn query_all(selector: &str) -> Vec<Element> {
    let list = doc().query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

/// Mounts a fresh app in English with `props` (tests turn the frame clock off) and waits until
/// its test hook answers.
pub async fn mount(props: AppProps) -> AppHandle<App> {
    if let Ok(Some(s)) = web_sys::window().unwrap().local_storage() {
        s.set_item("kafka-sandbox.lang", "en").unwrap();
    }
    // A test that failed leaves its app behind: take it off the page.
    for el in query_all("div.test-root") {
        el.remove();
    }
    let root = doc().create_element("div").unwrap();
    root.set_class_name("test-root");
    doc().body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<App>::with_root_and_props(root, props).render();
    // Effects (the test hook) run once the first render is on the page; the probe (closing the
    // closed settings panel) changes nothing.
    let mut waited = 0;
    while !testing::dispatch(Action::OpenSettings(false)) {
        waited += 1;
        assert!(waited < 200, "test hook installed");
        settle().await;
    }
    settle().await;
    assert_eq!(query_all("#app").len(), 1, "one app mounted");
    handle
}

/// Removes the app (and its listeners) and its root.
pub async fn unmount(handle: AppHandle<App>) {
    handle.destroy();
    settle().await;
    for el in query_all("div.test-root") {
        el.remove();
    }
}

pub fn by_id(id: &str) -> Element {
    doc()
        .get_element_by_id(id)
        .unwrap_or_else(|| panic!("no element #{id}"))
}

pub fn exists(id: &str) -> bool {
    doc().get_element_by_id(id).is_some()
}

pub fn text(id: &str) -> String {
    by_id(id).text_content().unwrap_or_default()
}

/// Clicks an HTML control by id.
pub async fn click(id: &str) {
    by_id(id).unchecked_into::<HtmlElement>().click();
    settle().await;
}

/// Clicks any element (SVG included) with a bubbling click event.
pub async fn click_element(el: &Element) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let e = web_sys::Event::new_with_event_init_dict("click", &init).unwrap();
    el.dispatch_event(&e).unwrap();
    settle().await;
}

/// Types into a text field.
pub async fn type_into(id: &str, value: &str) {
    let input = by_id(id).unchecked_into::<HtmlInputElement>();
    input.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let e = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&e).unwrap();
    settle().await;
}

/// Sends an action to the mounted app and lets the page redraw.
pub async fn dispatch(action: Action) {
    assert!(testing::dispatch(action), "no app mounted");
    settle().await;
}

/// Advances simulated time and lets the page redraw.
pub async fn advance(ms: u64) {
    assert!(testing::advance(ms), "no app mounted");
    settle().await;
}

/// A shipped lesson's file, as the page fetches it (the test page serves no files).
pub fn lesson_text(id: &str) -> &'static str {
    match id {
        "calm-order-chain" => include_str!("../../scenarios/01-calm-order-chain.json"),
        "leader-failover" => include_str!("../../scenarios/02-leader-failover.json"),
        "acks1-lost-write" => include_str!("../../scenarios/03-acks1-lost-write.json"),
        "min-insync-refuses-writes" => {
            include_str!("../../scenarios/04-min-insync-refuses-writes.json")
        }
        "unclean-election-loses-data" => {
            include_str!("../../scenarios/05-unclean-election-loses-data.json")
        }
        "consumer-crash-redelivery" => {
            include_str!("../../scenarios/06-consumer-crash-redelivery.json")
        }
        "scale-payment-service" => include_str!("../../scenarios/07-scale-payment-service.json"),
        "network-partition-leader" => {
            include_str!("../../scenarios/08-network-partition-leader.json")
        }
        "all-replicas-down-offline" => {
            include_str!("../../scenarios/09-all-replicas-down-offline.json")
        }
        "retry-duplicates-without-idempotence" => {
            include_str!("../../scenarios/10-retry-duplicates-without-idempotence.json")
        }
        "idempotent-retry-no-duplicate" => {
            include_str!("../../scenarios/11-idempotent-retry-no-duplicate.json")
        }
        "isr-shrinks-by-lag" => include_str!("../../scenarios/12-isr-shrinks-by-lag.json"),
        "zombie-leader" => include_str!("../../scenarios/13-zombie-leader.json"),
        "consumer-loses-coordinator" => {
            include_str!("../../scenarios/14-consumer-loses-coordinator.json")
        }
        "active-controller-fails" => {
            include_str!("../../scenarios/15-active-controller-fails.json")
        }
        "quorum-loses-majority" => include_str!("../../scenarios/16-quorum-loses-majority.json"),
        "scale-out-reassignment" => {
            include_str!("../../scenarios/17-scale-out-reassignment.json")
        }
        "add-partitions-moves-keys" => {
            include_str!("../../scenarios/18-add-partitions-moves-keys.json")
        }
        "lose-a-rack" => include_str!("../../scenarios/19-lose-a-rack.json"),
        "controlled-shutdown-or-crash" => {
            include_str!("../../scenarios/20-controlled-shutdown-or-crash.json")
        }
        _ => panic!("no lesson {id}"),
    }
}

/// A shipped lesson's index.
pub fn lesson_index(id: &str) -> usize {
    kafka_sandbox::scenario::LESSONS
        .iter()
        .position(|l| l.id == id)
        .expect("shipped lesson")
}

/// Loads a shipped lesson as the page does once its file has arrived.
#[allow(dead_code)]
pub async fn load_lesson(id: &str) {
    dispatch(Action::LessonText(
        lesson_index(id),
        Ok(lesson_text(id).to_string()),
    ))
    .await;
}

/// Picks `value` in the select `id`, as a user does.
#[allow(dead_code)]
pub async fn choose(id: &str, value: &str) {
    let select = by_id(id).dyn_into::<web_sys::HtmlSelectElement>().unwrap();
    select.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let e = web_sys::Event::new_with_event_init_dict("change", &init).unwrap();
    select.dispatch_event(&e).unwrap();
    settle().await;
}

/// Whether the checkbox `id` is ticked.
#[allow(dead_code)]
pub fn checked(id: &str) -> bool {
    by_id(id)
        .dyn_into::<HtmlInputElement>()
        .map(|i| i.checked())
        .unwrap_or(false)
}

/// The value of the input `id`.
#[allow(dead_code)]
pub fn input_value(id: &str) -> String {
    by_id(id)
        .dyn_into::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

/// Whether `id` is on the page and laid out (not hidden by its styles).
#[allow(dead_code)]
pub fn shown(id: &str) -> bool {
    doc()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        .is_some_and(|e| e.offset_parent().is_some())
}

/// Presses `key` on `target` (the page's body when none), as the keyboard does.
#[allow(dead_code)]
pub async fn press(key: &str, target: Option<&Element>) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    let e = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    match target {
        Some(el) => el.dispatch_event(&e).unwrap(),
        None => doc().body().unwrap().dispatch_event(&e).unwrap(),
    };
    settle().await;
}
