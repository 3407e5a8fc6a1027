#![cfg(target_arch = "wasm32")]
//! The scenario features of the page in a real browser: lessons with their narration and
//! timed actions, share links that replay the same run, importing files, and time travel by
//! replay. Each test mounts the app with its frame clock off and drives simulated time
//! through the test hook (`kafka_sandbox::ui::testing`).

use kafka_sandbox::ui::state::Action;
use kafka_sandbox::ui::{testing, App, AppProps};
use wasm_bindgen_test::*;
use yew::AppHandle;

mod browser_support;
use browser_support::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh app (English, seed 42, paused) with time driven by the test, optionally
/// from a share fragment.
async fn mount_with(share: Option<String>) -> AppHandle<App> {
    let handle = browser_support::mount(AppProps {
        start_paused: true,
        seed: 42,
        clock: false,
        share,
        ..AppProps::default()
    })
    .await;
    testing::dispatch(Action::SetPaused(true));
    settle().await;
    handle
}

fn broker_class(id: u32) -> String {
    by_id(&format!("broker-{id}"))
        .get_attribute("class")
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn leader_failover_lesson_tells_its_story_and_fails_broker_1_on_time() {
    let app = mount_with(None).await;
    load_lesson("leader-failover").await;
    dispatch(Action::SetPaused(true)).await;
    assert!(text("story").contains("Leader failover"));
    assert!(text("story-description").contains("session timeout"));
    assert!(text("story-current").contains("broker 1 is its leader"));
    assert_eq!(
        by_id("speed-value").text_content().unwrap_or_default(),
        "2x",
        "Kafka timing runs twice as fast"
    );
    advance(2_900).await;
    assert!(!broker_class(1).contains("down"), "broker 1 still up");
    advance(200).await;
    assert!(broker_class(1).contains("down"), "broker 1 failed at 3 s");
    assert!(text("story-current").contains("acks=all") || text("story-current").contains("crash"));
    // French narration follows the language.
    dispatch(Action::SetLang(kafka_sandbox::ui::i18n::Lang::Fr)).await;
    assert!(text("story").contains("Bascule du leader"));
    dispatch(Action::SetLang(kafka_sandbox::ui::i18n::Lang::En)).await;
    // Back to the free sandbox: no story.
    dispatch(Action::LoadLesson(None)).await;
    assert!(doc().get_element_by_id("story").is_none());
    unmount(app).await;
}

#[wasm_bindgen_test]
async fn a_lesson_pauses_at_its_end() {
    let app = mount_with(None).await;
    load_lesson("leader-failover").await;
    // Played straight through, frames at 2x for 40 wall seconds would pass the 60 s end: the
    // run stops there.
    click("lesson-autopause").await;
    assert!(!checked("lesson-autopause"));
    dispatch(Action::SetPaused(false)).await;
    for i in 0..=400 {
        testing::frame(f64::from(i) * 100.0);
    }
    settle().await;
    assert_eq!(testing::now_ms(), Some(60_000));
    assert!(text("pause").contains("Run"), "paused at the end");
    unmount(app).await;
}

/// Runs frames of 100 wall ms until the page pauses (at most `frames`); returns the frames run.
async fn frames_until_paused(wall: &mut f64, frames: u32) -> u32 {
    for i in 0..frames {
        testing::frame(*wall);
        *wall += 100.0;
        settle().await;
        if text("pause").contains("Run") {
            return i;
        }
    }
    frames
}

fn leader_of(tp: &str) -> Vec<String> {
    query_all(&format!("g.replica.leader[data-tp='{tp}']"))
        .iter()
        .filter_map(|e| e.get_attribute("data-broker"))
        .collect()
}

#[wasm_bindgen_test]
async fn the_lesson_player_waits_on_each_step_until_its_event_happens() {
    let app = mount_with(None).await;
    load_lesson("acks1-lost-write").await;
    // It waits on its first step, paused.
    assert!(
        text("lesson-step").starts_with("Step 1 / 6"),
        "{}",
        text("lesson-step")
    );
    assert!(text("lesson-caption-text").contains("broker 1 leads"));
    assert!(text("pause").contains("Run"), "paused on the first step");
    assert!(checked("lesson-autopause"));
    let mut wall = 0.0;
    // Next runs to the next step's event, and the run pauses there.
    click("lesson-next").await;
    assert!(text("lesson-next").contains("Running"));
    frames_until_paused(&mut wall, 200).await;
    assert_eq!(
        testing::now_ms(),
        Some(5_000),
        "brokers 2 and 3 cut off at 5 s"
    );
    assert!(
        text("lesson-step").starts_with("Step 2 / 6 · 00:05.0"),
        "{}",
        text("lesson-step")
    );
    assert!(text("lesson-caption-text").contains("cut off"));
    assert!(
        text("story-current").contains("cut off"),
        "the list follows"
    );
    // The N key works as the button does.
    press("n", None).await;
    frames_until_paused(&mut wall, 200).await;
    let acked = testing::now_ms().unwrap();
    assert!(
        (5_100..5_200).contains(&acked),
        "m1 acknowledged at {acked}"
    );
    assert!(text("lesson-caption-text").contains("m1 is appended"));
    click("lesson-next").await;
    frames_until_paused(&mut wall, 200).await;
    assert_eq!(testing::now_ms(), Some(6_000));
    assert!(text("lesson-caption-text").contains("crashes"));
    // The election step shows when the controller elects broker 2, not at a guessed time;
    // broker 2 leads as soon as it reads the metadata record, a few ms later.
    assert!(
        leader_of("t-0").is_empty(),
        "its leader is down, none elected yet"
    );
    click("lesson-next").await;
    frames_until_paused(&mut wall, 400).await;
    let elected = testing::now_ms().unwrap();
    assert!((15_000..17_000).contains(&elected), "elected at {elected}");
    assert!(text("lesson-caption-text").contains("elects broker 2"));
    advance(100).await;
    assert_eq!(leader_of("t-0"), vec!["2".to_string()]);
    // A step already shown travels back to its instant.
    click("story-step-1").await;
    assert_eq!(testing::now_ms(), Some(5_000));
    assert!(text("lesson-step").starts_with("Step 2 / 6"));
    unmount(app).await;
}

#[wasm_bindgen_test]
async fn a_lesson_picked_in_the_list_is_fetched_from_its_file() {
    let app = mount_with(None).await;
    advance(1_000).await;
    // The page fetches the lesson's file (the test server serves the crate's files).
    choose("lesson-select", &lesson_index("zombie-leader").to_string()).await;
    for _ in 0..300 {
        if exists("story") || exists("notice") {
            break;
        }
        settle().await;
    }
    assert!(!exists("notice"), "{}", text("notice"));
    assert!(
        text("story").contains("A zombie leader"),
        "{}",
        text("story")
    );
    assert_eq!(testing::now_ms(), Some(0), "the lesson starts");
    assert!(text("lesson-step").starts_with("Step 1 / 7"));
    // A file that cannot be fetched is explained, and the lesson shown is kept.
    let hash = testing::trace_hash();
    dispatch(Action::LessonText(0, Err("404 Not Found".into()))).await;
    assert!(
        text("notice").contains("cannot be loaded: 404 Not Found"),
        "{}",
        text("notice")
    );
    assert_eq!(testing::trace_hash(), hash);
    assert!(text("story").contains("A zombie leader"));
    unmount(app).await;
}

#[wasm_bindgen_test]
async fn a_share_link_replays_the_same_run() {
    let app = mount_with(None).await;
    advance(4_000).await;
    click("create-order").await;
    dispatch(Action::SetRate(5.0)).await;
    advance(3_000).await;
    dispatch(Action::Command(kafka_sandbox::sim::Command::FailBroker {
        broker: kafka_sandbox::sim::BrokerId(2),
    }))
    .await;
    advance(6_000).await;
    let fragment = testing::share_fragment()
        .expect("rendered")
        .expect("shareable");
    let (now, hash) = (testing::now_ms().unwrap(), testing::trace_hash().unwrap());
    unmount(app).await;

    let app = mount_with(Some(format!("#{fragment}"))).await;
    assert_eq!(testing::now_ms(), Some(now), "replayed to the shared time");
    assert_eq!(testing::trace_hash(), Some(hash), "same run");
    assert!(broker_class(2).contains("down"));
    // Both go on identically.
    unmount(app).await;

    // A broken link is explained, and the default world is shown.
    let app = mount_with(Some("#s=not*base64&t=5".into())).await;
    assert!(text("notice").contains("share link"), "{}", text("notice"));
    assert_eq!(testing::now_ms(), Some(0));
    unmount(app).await;
}

#[wasm_bindgen_test]
async fn importing_an_invalid_file_explains_and_keeps_the_world() {
    let app = mount_with(None).await;
    advance(2_000).await;
    let hash = testing::trace_hash();
    testing::import(r#"{"actions": [{"at_ms": 0, "do": "fail_broker", "broker": 9}]}"#);
    settle().await;
    let notice = text("notice");
    assert!(
        notice.contains("actions[0].broker: there is no broker 9"),
        "{notice}"
    );
    assert_eq!(testing::trace_hash(), hash, "world kept");
    assert_eq!(testing::now_ms(), Some(2_000));
    testing::import("not json");
    settle().await;
    assert!(text("notice").contains("cannot be loaded"));
    // A valid file loads, with its narration.
    testing::import(lesson_text("leader-failover"));
    settle().await;
    assert_eq!(testing::now_ms(), Some(0));
    assert!(by_id("story")
        .text_content()
        .unwrap()
        .contains("Leader failover"));
    unmount(app).await;
}

#[wasm_bindgen_test]
async fn scrubbing_back_then_forward_gives_the_same_state_and_acting_forks() {
    let app = mount_with(None).await;
    dispatch(Action::SetRate(4.0)).await;
    advance(5_000).await;
    dispatch(Action::Command(kafka_sandbox::sim::Command::FailBroker {
        broker: kafka_sandbox::sim::BrokerId(1),
    }))
    .await;
    advance(10_000).await;
    let (end, end_hash) = (testing::now_ms().unwrap(), testing::trace_hash().unwrap());
    testing::travel_to(3_000);
    settle().await;
    assert_eq!(testing::now_ms(), Some(3_000));
    assert_eq!(testing::head_ms(), Some(end), "the timeline keeps its end");
    assert!(!broker_class(1).contains("down"), "the past: broker 1 up");
    assert!(doc().get_element_by_id("in-past").is_some());
    testing::travel_to(end);
    settle().await;
    assert_eq!(
        testing::trace_hash(),
        Some(end_hash),
        "same state at the same time"
    );
    assert!(broker_class(1).contains("down"));
    // Acting in the past forks: the later failure is gone from this branch.
    testing::travel_to(3_000);
    settle().await;
    dispatch(Action::Command(kafka_sandbox::sim::Command::FailBroker {
        broker: kafka_sandbox::sim::BrokerId(3),
    }))
    .await;
    assert_eq!(testing::head_ms(), Some(3_000), "a new branch from 3 s");
    advance(end - 3_000).await;
    assert!(
        !broker_class(1).contains("down"),
        "broker 1 never failed here"
    );
    assert!(broker_class(3).contains("down"));
    unmount(app).await;
}

/// What the page shows of the world at one instant: the clock, the metrics that do not depend
/// on the sampled history (which a replay starts afresh), the orders, the outbox and every
/// replica drawn (partition, broker, ISR membership, LEO, and its figures and tooltip).
fn shown_state() -> Vec<String> {
    let mut shown = vec![text("sim-clock"), text("order-table"), text("outbox")];
    for id in [
        "metric-under-replicated",
        "metric-offline",
        "metric-latency",
        "metric-lag",
        "metric-lost",
        "metric-duplicates",
        "metric-completed",
        "metric-elections",
        "metric-stuck",
    ] {
        shown.push(format!("{id}: {}", text(id)));
    }
    for g in query_all("g.replica") {
        let attr = |name: &str| g.get_attribute(name).unwrap_or_default();
        shown.push(format!(
            "{} on broker {}: in ISR {}, LEO {}, {}",
            attr("data-tp"),
            attr("data-broker"),
            attr("data-in-isr"),
            attr("data-leo"),
            g.text_content().unwrap_or_default()
        ));
    }
    shown
}

#[wasm_bindgen_test]
async fn replaying_three_simulated_minutes_is_quick_and_scrubbing_back_shows_that_instant() {
    let app = mount_with(None).await;
    dispatch(Action::SetRate(5.0)).await;
    let middle = 90_000;
    let mut at_middle = None;
    for _ in 0..18 {
        advance(10_000).await;
        if testing::now_ms() == Some(middle) {
            let share = testing::share_fragment()
                .expect("rendered")
                .expect("shareable");
            at_middle = Some((testing::trace_hash().unwrap(), shown_state(), share));
        }
    }
    let (middle_hash, middle_shown, middle_share) = at_middle.expect("the run passed 90 s");
    let end = testing::now_ms().unwrap();
    assert_eq!(end, 180_000);
    let (end_hash, end_shown) = (testing::trace_hash().unwrap(), shown_state());
    assert_ne!(middle_shown, end_shown, "the world moved on after 90 s");
    let perf = web_sys::window().unwrap().performance().unwrap();
    let started = perf.now();
    testing::travel_to(middle);
    let back = perf.now() - started;
    settle().await;
    // Scrubbed back, the page shows the world as it was when the run passed that instant.
    assert_eq!(testing::now_ms(), Some(middle));
    assert_eq!(testing::trace_hash(), Some(middle_hash), "same run at 90 s");
    assert_eq!(
        shown_state(),
        middle_shown,
        "the page at 90 s, scrubbed back"
    );
    let started = perf.now();
    testing::travel_to(end);
    let forward = perf.now() - started;
    settle().await;
    assert_eq!(testing::trace_hash(), Some(end_hash));
    assert_eq!(
        shown_state(),
        end_shown,
        "the page at the end, scrubbed forward"
    );
    console_log!(
        "replay of {:.0} s of a 5 orders/s world: to the middle {back:.0} ms, to the end {forward:.0} ms",
        end as f64 / 1000.0
    );
    assert!(back < 20_000.0, "replay to the middle took {back} ms");
    assert!(forward < 20_000.0, "replay took {forward} ms");
    unmount(app).await;
    // A fresh page opened on the link shared at 90 s replays to the same state.
    let app = mount_with(Some(format!("#{middle_share}"))).await;
    assert_eq!(testing::now_ms(), Some(middle));
    assert_eq!(
        testing::trace_hash(),
        Some(middle_hash),
        "same run from the link"
    );
    assert_eq!(
        shown_state(),
        middle_shown,
        "the page at 90 s, from the link"
    );
    unmount(app).await;
}
