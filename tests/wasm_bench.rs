#![cfg(all(target_arch = "wasm32", feature = "bench"))]
//! The browser half of `make bench` (headless Chrome): engine speed in wasm, fast-forward time,
//! wasm memory after 1 simulated minute and 1 simulated hour, frame work of the page at
//! 10 orders/s and DOM size over 10 simulated minutes. Prints `BENCH key=value` lines that
//! `scripts/bench-table.sh` turns into the table. `bench_smoke` is the short version CI runs.

use kafka_sandbox::services::{World, WorldConfig};
use kafka_sandbox::sim::TimingPreset;
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

    // Frame work of the page: the default (sandbox) world at 10 orders/s, 60 frames a second.
    let root = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .create_element("div")
        .unwrap();
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(&root)
        .unwrap();
    let props = AppProps {
        seed: 7,
        clock: false,
        rate: 10.0,
        ..AppProps::default()
    };
    let handle = yew::Renderer::<App>::with_root_and_props(root, props).render();
    while !testing::dispatch(Action::DismissNotice) {
        settle().await;
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
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
}

#[wasm_bindgen_test]
async fn bench_full() {
    run(false).await;
}

#[wasm_bindgen_test]
async fn bench_smoke() {
    run(true).await;
}
