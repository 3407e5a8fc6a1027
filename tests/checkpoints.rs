#![cfg(not(target_arch = "wasm32"))]
//! Time-travel checkpoints: a world rebuilt from the nearest checkpoint is the one a replay
//! from the start builds, after live user actions and after a branch taken in the past; the
//! checkpoints stay within their memory budget, and their size estimate follows what a clone
//! really allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kafka_sandbox::scenario::checkpoints::{Checkpoints, CHECKPOINTS_MAX, CHECKPOINT_SPACING_MS};
use kafka_sandbox::scenario::session::{default_scenario, merged};
use kafka_sandbox::scenario::{Action, Recording, Runner, Scenario, TimedAction};
use kafka_sandbox::sim::SimTime;

/// Counts the bytes allocated and not yet freed, to check the size estimate against.
struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The tests of this file run one at a time: the byte count is the whole process's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// The page's default world (sandbox timing) with this seed.
fn base(seed: u64) -> Scenario {
    default_scenario(seed)
}

/// What a user does, and when.
fn user_script() -> Vec<TimedAction> {
    let at = |at_ms: SimTime, action: Action| TimedAction { at_ms, action };
    vec![
        at(0, Action::SetOrderRate { per_second: 8.0 }),
        at(
            12_345,
            Action::CreateOrder {
                user_id: Some(7),
                total: Some(4200),
            },
        ),
        at(31_000, Action::FailBroker { broker: 2 }),
        at(31_000, Action::SetOrderRate { per_second: 15.0 }),
        at(58_500, Action::RestoreBroker { broker: 2 }),
        at(77_777, Action::FailBroker { broker: 1 }),
    ]
}

/// A page run: frames of `frame_ms`, the user's actions applied live at their time, the
/// checkpoints offered as the page does. Returns the runner at `end` and the actions applied.
fn play(
    checkpoints: &mut Checkpoints,
    runner: &mut Runner,
    script: &[TimedAction],
    applied: &mut Vec<TimedAction>,
    end: SimTime,
    frame_ms: SimTime,
) {
    // Actions at the instant a previous call ended were applied by it (none at 0 yet).
    let start = match runner.now() {
        0 => 0,
        now => script.partition_point(|a| a.at_ms <= now),
    };
    let mut next = script[start..].iter().peekable();
    while runner.now() < end {
        let target = (runner.now() + frame_ms).min(end);
        while let Some(a) = next.next_if(|a| a.at_ms <= target) {
            checkpoints.advance(runner, a.at_ms, applied);
            runner
                .apply_now(a.action.clone())
                .expect("the action applies");
            applied.push(a.clone());
        }
        checkpoints.advance(runner, target, applied);
    }
}

/// The default world with this seed played as the page does, from 0 to `end`, the user doing
/// `script`: its scenario, checkpoints, runner and the actions applied.
fn played(
    seed: u64,
    script: &[TimedAction],
    end: SimTime,
    frame_ms: SimTime,
) -> (Scenario, Checkpoints, Runner, Vec<TimedAction>) {
    let base = base(seed);
    let mut checkpoints = Checkpoints::default();
    let mut runner = checkpoints.rebuild(&base, &[], 0).expect("runs");
    let mut applied = Vec::new();
    play(
        &mut checkpoints,
        &mut runner,
        script,
        &mut applied,
        end,
        frame_ms,
    );
    (base, checkpoints, runner, applied)
}

/// The world at `t` by replay from the start: what the page did before checkpoints.
fn replayed(base: &Scenario, user: &[TimedAction], t: SimTime) -> Runner {
    let upto: Vec<TimedAction> = user.iter().filter(|a| a.at_ms <= t).cloned().collect();
    Recording::new(merged(base, &upto))
        .runner_at(t)
        .expect("the scenario runs")
}

fn assert_same(a: &Runner, b: &Runner, what: &str) {
    assert_eq!(a.now(), b.now(), "{what}: time");
    assert_eq!(
        a.world.sim.trace_hash(),
        b.world.sim.trace_hash(),
        "{what}: trace"
    );
    assert_eq!(
        a.world.snapshot().sim,
        b.world.snapshot().sim,
        "{what}: engine snapshot"
    );
    assert_eq!(
        a.world.order_totals(),
        b.world.order_totals(),
        "{what}: orders"
    );
}

#[test]
fn an_instant_rebuilt_from_a_checkpoint_is_the_one_a_replay_from_the_start_builds() {
    let _serial = one_at_a_time();
    let script = user_script();
    let (base, mut checkpoints, runner, applied) = played(3, &script, 100_000, 16);
    assert_eq!(applied.len(), script.len());
    assert!(
        checkpoints.len() >= 100_000 / CHECKPOINT_SPACING_MS as usize - 1,
        "a checkpoint every {CHECKPOINT_SPACING_MS} ms: {} kept",
        checkpoints.len()
    );
    // Instants between checkpoints, on them, at a user action's instant, and at the end.
    for t in [
        0, 1, 9_999, 10_000, 12_345, 12_346, 31_000, 47_321, 58_500, 77_777, 99_000, 100_000,
    ] {
        let rebuilt = checkpoints.rebuild(&base, &applied, t).expect("rebuilds");
        assert_same(&rebuilt, &replayed(&base, &applied, t), &format!("t={t}"));
    }
    assert_same(&runner, &replayed(&base, &applied, 100_000), "the live run");
}

#[test]
fn a_branch_taken_in_the_past_forgets_the_later_checkpoints() {
    let _serial = one_at_a_time();
    let (base, mut checkpoints, _, mut applied) = played(11, &user_script(), 90_000, 50);
    // Back to 40 s, and a different action there: the later user actions are dropped.
    let fork_at = 40_000;
    let mut runner = checkpoints
        .rebuild(&base, &applied, fork_at)
        .expect("rebuilds");
    applied.retain(|a| a.at_ms <= fork_at);
    checkpoints.forget_after(fork_at);
    assert!(checkpoints.instants().all(|t| t <= fork_at));
    let branch = TimedAction {
        at_ms: fork_at,
        action: Action::FailBroker { broker: 3 },
    };
    runner
        .apply_now(branch.action.clone())
        .expect("broker 3 fails");
    applied.push(branch);
    play(&mut checkpoints, &mut runner, &[], &mut applied, 95_000, 50);
    assert_same(
        &runner,
        &replayed(&base, &applied, 95_000),
        "the new branch",
    );
    for t in [20_000, 40_000, 40_001, 63_210, 95_000] {
        let rebuilt = checkpoints.rebuild(&base, &applied, t).expect("rebuilds");
        assert_same(
            &rebuilt,
            &replayed(&base, &applied, t),
            &format!("branch t={t}"),
        );
    }
}

#[test]
fn checkpoints_stay_within_their_budget_by_thinning() {
    let _serial = one_at_a_time();
    let base = base(5);
    let script = vec![TimedAction {
        at_ms: 0,
        action: Action::SetOrderRate { per_second: 20.0 },
    }];
    // A budget for a handful of checkpoints: the spacing doubles as the run grows.
    let budget = 32 << 20;
    let mut checkpoints = Checkpoints::with_budget(budget);
    let mut runner = checkpoints.rebuild(&base, &[], 0).expect("runs");
    let mut applied = Vec::new();
    let mut spacings = Vec::new();
    for minute in 1..=10 {
        play(
            &mut checkpoints,
            &mut runner,
            &script,
            &mut applied,
            minute * 60_000,
            500,
        );
        assert!(
            checkpoints.bytes() <= budget,
            "{} bytes over a budget of {budget}",
            checkpoints.bytes()
        );
        spacings.push(checkpoints.spacing_ms());
    }
    assert!(
        checkpoints.len() >= 2,
        "{} kept, {} bytes",
        checkpoints.len(),
        checkpoints.bytes()
    );
    assert!(
        spacings.last() > spacings.first(),
        "the spacing grew: {spacings:?}"
    );
    // Kept ones are still spread over the whole run.
    let instants: Vec<SimTime> = checkpoints.instants().collect();
    assert!(instants[0] < 120_000, "{instants:?}");
    let t = 444_444;
    let rebuilt = checkpoints.rebuild(&base, &applied, t).expect("rebuilds");
    assert_same(&rebuilt, &replayed(&base, &applied, t), "after thinning");
}

#[test]
fn the_size_estimate_follows_what_checkpoints_allocate() {
    let _serial = one_at_a_time();
    let script = vec![TimedAction {
        at_ms: 0,
        action: Action::SetOrderRate { per_second: 20.0 },
    }];
    let (_, checkpoints, _runner, _) = played(8, &script, 120_000, 100);
    // What the checkpoints hold is what goes when they are dropped (the live world stays).
    let with = LIVE_BYTES.load(Ordering::Relaxed);
    let estimate = checkpoints.bytes();
    let kept = checkpoints.len();
    drop(checkpoints);
    let without = LIVE_BYTES.load(Ordering::Relaxed);
    let held = with.saturating_sub(without);
    assert!(kept >= 10, "{kept} checkpoints");
    assert!(
        estimate >= held && estimate <= 3 * held,
        "estimated {estimate} bytes for {kept} checkpoints holding {held}"
    );
}

#[test]
fn many_small_checkpoints_are_thinned_at_once_and_stay_spread_over_the_run() {
    let _serial = one_at_a_time();
    // No orders: small worlds, so the count limit is reached before the memory budget.
    let end = (CHECKPOINTS_MAX as SimTime + 20) * CHECKPOINT_SPACING_MS;
    let (_, checkpoints, _, _) = played(2, &[], end, 1000);
    let kept = checkpoints.len();
    assert!(
        (CHECKPOINTS_MAX * 3 / 4..=CHECKPOINTS_MAX).contains(&kept),
        "{kept} kept"
    );
    let instants: Vec<SimTime> = checkpoints.instants().collect();
    assert_eq!(instants[0], 0, "the start is kept");
    let widest = instants.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    assert!(
        widest <= 3 * checkpoints.spacing_ms(),
        "no stretch of the run lost its checkpoints: widest gap {widest} ms, spacing {} ms",
        checkpoints.spacing_ms()
    );
}
