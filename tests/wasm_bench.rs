#![cfg(all(target_arch = "wasm32", feature = "bench"))]
//! The browser half of `make bench` (headless Chrome): engine speed in wasm, fast-forward time,
//! wasm memory after 1 simulated minute and 1 simulated hour, frame work of the page at
//! 10 orders/s, DOM size over 10 simulated minutes, and time-travel scrubs of a long run (from
//! the checkpoints, and by replay from the start as before them), and the frames per second the
//! browser draws with the page on its own clock at 50x. Prints `BENCH key=value` lines that
//! `scripts/bench-table.sh` turns into the table. `bench_smoke` is the short version CI runs.

use kafka_sandbox::scenario::checkpoints::Checkpoints;
use kafka_sandbox::scenario::session::{default_scenario, merged};
use kafka_sandbox::scenario::{Action as ScenarioAction, Recording, TimedAction};
use kafka_sandbox::services::{World, WorldConfig};
use kafka_sandbox::sim::{TimingPreset, TopicConfig};
use kafka_sandbox::ui::state::Action;
use kafka_sandbox::ui::{testing, App, AppProps};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn report(key: &str, value: String) {
    console_log!("BENCH {key}={value}");
}

fn wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map_or(0.0, |b| b.byte_length() as f64)
        })
        .unwrap_or(0.0)
}

/// Runs the default world at 100 orders/s for `minutes`; returns it with the milliseconds spent
/// computing. It yields to the browser every few simulated seconds so the page stays responsive
/// (the yields are not counted).
async fn run_world(minutes: u64, seed: u64) -> (World, f64) {
    let mut w =
        World::new(WorldConfig::default_for(TimingPreset::Kafka), seed).expect("default world");
    w.set_order_rate(100.0);
    let mut busy_ms = 0.0;
    // One second at a time: a single call is bounded in the work it does.
    for second in 1..=minutes * 60 {
        let start = now_ms();
        w.advance_to(second * 1000);
        busy_ms += now_ms() - start;
        if second % 5 == 0 {
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
    }
    (w, busy_ms)
}

/// Time travel in a run of the page's default world at 20 orders/s, `minutes` long, with the
/// checkpoints the page takes as it runs: the milliseconds each scrub to 10 random instants
/// takes from them, and (for `replays` of those instants) by replay from the start.
async fn scrubs(minutes: u64, replays: usize) {
    let base = default_scenario(3);
    let user = vec![TimedAction {
        at_ms: 0,
        action: ScenarioAction::SetOrderRate { per_second: 20.0 },
    }];
    let mut checkpoints = Checkpoints::default();
    let mut runner = checkpoints.rebuild(&base, &user, 0).expect("default world");
    let end = minutes * 60_000;
    let mut t = 0;
    while t < end {
        t += 1000;
        checkpoints.advance(&mut runner, t, &user);
        if t % 10_000 == 0 {
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
    }
    drop(runner);
    let mut rng = kafka_sandbox::sim::rng::SimRng::new(15);
    let instants: Vec<u64> = (0..10).map(|_| rng.below(end)).collect();
    let mut from_checkpoints = Vec::new();
    for &at in &instants {
        let start = now_ms();
        let r = checkpoints.rebuild(&base, &user, at).expect("rebuilds");
        let _ = r.world.snapshot();
        from_checkpoints.push(now_ms() - start);
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    let mut from_start = Vec::new();
    for &at in instants.iter().take(replays) {
        let start = now_ms();
        let r = Recording::new(merged(&base, &user))
            .runner_at(at)
            .expect("replays");
        let _ = r.world.snapshot();
        from_start.push(now_ms() - start);
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    report("scrub_minutes", format!("{minutes}"));
    report(
        "scrub_p95_ms",
        format!("{:.1}", percentile(from_checkpoints.clone(), 0.95)),
    );
    report(
        "scrub_median_ms",
        format!("{:.1}", median(from_checkpoints)),
    );
    report(
        "scrub_replay_median_ms",
        format!("{:.1}", median(from_start)),
    );
    report("scrub_checkpoints", format!("{}", checkpoints.len()));
    report("scrub_checkpoint_bytes", format!("{}", checkpoints.bytes()));
    report("scrub_spacing_ms", format!("{}", checkpoints.spacing_ms()));
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[i.min(xs.len() - 1)]
}

fn dom_nodes() -> f64 {
    web_sys::window()
        .and_then(|w| w.document())
        .map_or(0.0, |d| d.get_elements_by_tag_name("*").length() as f64)
}

async fn settle() {
    yew::scheduler::flush().await;
}

async fn run(smoke: bool) {
    // Memory first, while the heap is still small: wasm memory only grows.
    let hour_minutes = if smoke { 5 } else { 60 };
    let (w, _) = run_world(1, 99).await;
    let mem_minute = wasm_memory_bytes();
    drop(w);
    let (w, _) = run_world(hour_minutes, 99).await;
    let mem_hour = wasm_memory_bytes();
    report("wasm_memory_1min_bytes", format!("{mem_minute:.0}"));
    report("wasm_memory_long_bytes", format!("{mem_hour:.0}"));
    report("wasm_memory_long_minutes", format!("{hour_minutes}"));
    report(
        "wasm_orders_completed_long",
        format!("{}", w.order_totals().completed),
    );
    drop(w);

    // Engine speed: the same run as the native bench.
    let (runs, minutes) = if smoke { (1, 1) } else { (5, 10) };
    let mut secs = Vec::new();
    let mut rates = Vec::new();
    for seed in 0..runs {
        let (w, busy_ms) = run_world(minutes, seed).await;
        let s = busy_ms / 1000.0;
        secs.push(s);
        rates.push(w.sim.counters().steps as f64 / s);
    }
    report("wasm_minutes", format!("{minutes}"));
    report("wasm_fast_forward_s", format!("{:.3}", median(secs)));
    report("wasm_events_per_s", format!("{:.0}", median(rates)));

    // Time travel: scrubs of a 60-minute run (5 in the smoke run).
    if smoke {
        scrubs(5, 3).await;
    } else {
        scrubs(60, 10).await;
    }

    // Frame work of the page: the default (sandbox) world at 10 orders/s, 60 frames a second.
    let handle = mount(AppProps {
        seed: 7,
        clock: false,
        rate: 10.0,
        ..AppProps::default()
    })
    .await;
    settle().await;
    let frames = if smoke { 300 } else { 3600 };
    let mut work = Vec::with_capacity(frames);
    let mut wall = 0.0;
    let mut nodes_after_minute = 0.0;
    for i in 0..frames {
        wall += 1000.0 / 60.0;
        let start = now_ms();
        testing::frame(wall);
        settle().await;
        work.push(now_ms() - start);
        if i % 60 == 59 {
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
        if i == 3599 {
            nodes_after_minute = dom_nodes();
        }
    }
    report(
        "frame_work_median_ms",
        format!("{:.3}", median(work.clone())),
    );
    report(
        "frame_work_p99_ms",
        format!("{:.3}", percentile(work, 0.99)),
    );
    // DOM size after 1 and 10 simulated minutes.
    if nodes_after_minute == 0.0 {
        testing::advance(60_000 - (wall as u64).min(60_000));
        settle().await;
        nodes_after_minute = dom_nodes();
    }
    testing::advance(9 * 60_000);
    settle().await;
    testing::frame(wall + 16.7);
    settle().await;
    let nodes_after_ten = dom_nodes();
    report("dom_nodes_1min", format!("{nodes_after_minute:.0}"));
    report("dom_nodes_10min", format!("{nodes_after_ten:.0}"));
    handle.destroy();
    settle().await;

    let seconds = if smoke { 3 } else { 10 };
    fps_at_speed(seconds, 50.0, None, "fps_50x_20_orders").await;
    fps_at_speed(seconds, 10.0, Some(bigger_world()), "fps_10x_big_world").await;
}

/// The bigger world of the frames-per-second row: 7 brokers, the four chain topics and four
/// more, each of 12 partitions with RF 3 and `min.insync.replicas` 2 (96 partitions).
fn bigger_world() -> WorldConfig {
    let mut config = WorldConfig::default_for(TimingPreset::Sandbox);
    config.sim.cluster.brokers = 7;
    config.services.partitions = 12;
    config.services.replication_factor = 3;
    for name in ["clicks", "inventory", "audit", "metrics"] {
        config.sim.topics.push(TopicConfig {
            name: name.into(),
            partitions: 12,
            replication_factor: 3,
            min_insync_replicas: 2,
        });
    }
    config
}

/// The page mounted in a new element of the body, once it answers actions.
async fn mount(props: AppProps) -> yew::AppHandle<App> {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<App>::with_root_and_props(root, props).render();
    while !testing::dispatch(Action::DismissNotice) {
        settle().await;
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    handle
}

/// Frames the browser draws per second with the page running on its own clock at `speed` and
/// 20 orders/s (the default world, or `world`): `requestAnimationFrame` callbacks counted over
/// `seconds`, reported as `key`.
async fn fps_at_speed(seconds: u32, speed: f64, world: Option<WorldConfig>, key: &str) {
    let handle = mount(AppProps {
        seed: 7,
        clock: true,
        rate: 20.0,
        ..AppProps::default()
    })
    .await;
    if let Some(config) = world {
        config.validate().expect("the bigger world is valid");
        testing::dispatch(Action::Rebuild(Box::new(config), 7));
    }
    testing::dispatch(Action::SetSpeed(speed));
    // Let the run reach its pace, then count the frames.
    gloo_timers::future::TimeoutFuture::new(1000).await;
    let count = |js: &str| {
        js_sys::eval(js)
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    count(
        "window.__benchFrames = 0; window.__benchCounting = true; \
         (function tick() { if (window.__benchCounting) { window.__benchFrames++; requestAnimationFrame(tick); } })(); 0",
    );
    let start = now_ms();
    let sim_start = testing::now_ms().unwrap_or(0);
    gloo_timers::future::TimeoutFuture::new(seconds * 1000).await;
    let frames = count("window.__benchCounting = false; window.__benchFrames");
    let elapsed_s = (now_ms() - start) / 1000.0;
    let sim_s = (testing::now_ms().unwrap_or(0) - sim_start) as f64 / 1000.0;
    report(key, format!("{:.1}", frames / elapsed_s));
    report(&format!("{key}_seconds"), format!("{seconds}"));
    report(&format!("{key}_sim_s"), format!("{sim_s:.0}"));
    handle.destroy();
    settle().await;
}

#[wasm_bindgen_test]
async fn bench_full() {
    run(false).await;
}

#[wasm_bindgen_test]
async fn bench_smoke() {
    run(true).await;
}

/// The frames-per-second rows alone (10 s each), for work on the page's drawing.
#[wasm_bindgen_test]
async fn bench_fps_only() {
    fps_at_speed(10, 50.0, None, "fps_50x_20_orders").await;
    fps_at_speed(10, 10.0, Some(bigger_world()), "fps_10x_big_world").await;
}
