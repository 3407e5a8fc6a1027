//! Engine benchmark: simulated events per second and the wall time of 10 simulated minutes of
//! the default world at 100 orders/s (median of 5 runs), and memory after 1 simulated minute and
//! 1 simulated hour. Run with `make bench` (or `cargo bench --bench engine`).

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use kafka_sandbox::services::{World, WorldConfig};
    use kafka_sandbox::sim::TimingPreset;

    /// Wall-clock timing belongs to the benchmark, never to the engine.
    #[allow(clippy::disallowed_methods)]
    fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
        let start = std::time::Instant::now();
        let out = f();
        (out, start.elapsed().as_secs_f64())
    }

    fn run(minutes: u64, seed: u64) -> (World, u64) {
        run_at(minutes, seed, 100.0)
    }

    fn run_at(minutes: u64, seed: u64, orders_per_s: f64) -> (World, u64) {
        run_following(minutes, seed, orders_per_s, false)
    }

    /// `follow`: the world follows orders for the sequence view, as the page does live.
    fn run_following(minutes: u64, seed: u64, orders_per_s: f64, follow: bool) -> (World, u64) {
        let mut w =
            World::new(WorldConfig::default_for(TimingPreset::Kafka), seed).expect("default world");
        w.follow_orders(follow);
        w.set_order_rate(orders_per_s);
        // One second at a time: a single call is bounded in the work it does.
        for second in 1..=minutes * 60 {
            w.advance_to(second * 1000);
        }
        let steps = w.sim.counters().steps;
        (w, steps)
    }

    fn median(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(|a, b| a.total_cmp(b));
        xs[xs.len() / 2]
    }

    fn rss_kib(field: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        status
            .lines()
            .find(|l| l.starts_with(field))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    pub fn main() {
        let quick = std::env::args().any(|a| a == "--quick");
        let runs = if quick { 1 } else { 5 };
        let minutes = if quick { 1 } else { 10 };
        let mut secs = Vec::new();
        let mut rates = Vec::new();
        let mut orders = 0;
        let mut events_per_sim_s = 0;
        for seed in 0..runs {
            let ((w, steps), s) = timed(|| run(minutes, seed));
            orders = w.order_totals().completed;
            if seed == 0 {
                // A count, the same on every machine: the engine is deterministic.
                events_per_sim_s = steps / (minutes * 60);
            }
            secs.push(s);
            rates.push(steps as f64 / s);
        }
        let fast_forward = median(secs);
        let events_per_s = median(rates);
        println!(
            "native: {minutes} simulated min of the default world at 100 orders/s ({orders} orders completed)"
        );
        println!("native fast-forward: {fast_forward:.3} s (median of {runs})");
        println!("native engine events per second: {events_per_s:.0} (median of {runs})");
        // Issue 3's figure: 100 records/s in all, i.e. a third as many orders (each order makes
        // order.created, payment.successful and delivery.shipped).
        let mut records_secs = Vec::new();
        for seed in 0..runs {
            let (_, s) = timed(|| run_at(minutes, seed, 100.0 / 3.0));
            records_secs.push(s);
        }
        let records_fast_forward = median(records_secs);
        println!(
            "native fast-forward at 100 records/s: {records_fast_forward:.3} s (median of {runs})"
        );
        // The page follows orders (the sequence view's record tap) while it runs live.
        let mut following_secs = Vec::new();
        for seed in 0..runs {
            let (_, s) = timed(|| run_following(minutes, seed, 20.0, true));
            following_secs.push(s);
        }
        let following = median(following_secs);
        let mut plain_secs = Vec::new();
        for seed in 0..runs {
            let (_, s) = timed(|| run_following(minutes, seed, 20.0, false));
            plain_secs.push(s);
        }
        let plain = median(plain_secs);
        println!(
            "native fast-forward at 20 orders/s: {plain:.3} s, following orders {following:.3} s ({:.2}x, median of {runs})",
            following / plain
        );
        let (w1, _) = run(1, 99);
        let rss_1min = rss_kib("VmRSS:").unwrap_or(0);
        drop(w1);
        let long = if quick { 5 } else { 60 };
        let (w_long, _) = run(long, 99);
        let rss_long = rss_kib("VmRSS:").unwrap_or(0);
        println!(
            "native memory: RSS {rss_1min} KiB after 1 simulated min, {rss_long} KiB after {long} simulated min; {} orders completed",
            w_long.order_totals().completed
        );
        for (key, value) in [
            ("native_runs", runs.to_string()),
            ("native_minutes", minutes.to_string()),
            ("native_events_per_s", format!("{events_per_s:.0}")),
            ("native_events_per_sim_s", events_per_sim_s.to_string()),
            ("native_fast_forward_s", format!("{fast_forward:.3}")),
            (
                "native_fast_forward_100_records_s",
                format!("{records_fast_forward:.3}"),
            ),
            ("native_fast_forward_20_orders_s", format!("{plain:.3}")),
            (
                "native_fast_forward_20_orders_following_s",
                format!("{following:.3}"),
            ),
            ("native_rss_1min_kib", rss_1min.to_string()),
            ("native_rss_long_kib", rss_long.to_string()),
            ("native_long_minutes", long.to_string()),
        ] {
            println!("BENCH {key}={value}");
        }
    }
}
