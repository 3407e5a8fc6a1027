#![cfg(not(target_arch = "wasm32"))]
//! Where the counts in the presets' `expect` come from. A preset states a count (15 refusals,
//! 1 + 3 unclean elections) and its description says why; these tests check that reason on the
//! preset's trace, so the count is a consequence of the lesson's timing, not a recorded figure.

use kafka_sandbox::scenario::report::TraceEvent;
use kafka_sandbox::scenario::*;
use kafka_sandbox::sim::SimTime;
use serde_json::{json, Value};

/// The most a request and its response spend on the network with Kafka timing: two hops of at
/// most 3 ms each.
const ROUND_TRIP_MS_MAX: SimTime = 6;

/// `linger.ms`, Kafka's default since 4.0: how long a new batch waits before it is sent.
const LINGER_MS: SimTime = 5;

/// The events of preset `id`'s run, after checking it meets its expectations.
fn trace(id: &str) -> Vec<TraceEvent> {
    let text = presets::preset(id).unwrap_or_else(|| panic!("no preset {id}"));
    let scenario = parse_scenario(text).expect("valid preset");
    let report = run_scenario(&scenario, true).expect("runs");
    assert!(
        report.expect_failures.is_empty(),
        "{id}: {:#?}",
        report.expect_failures
    );
    report.events.expect("traced")
}

/// The number the preset's `expect` gives at `path`.
fn expected(id: &str, path: &[&str]) -> u64 {
    let text = presets::preset(id).expect("preset");
    let file: Value = serde_json::from_str(text).expect("JSON");
    let mut v = &file["expect"];
    for key in path {
        v = &v[*key];
    }
    v.as_u64()
        .unwrap_or_else(|| panic!("{id}: expect.{} is a number", path.join(".")))
}

/// When the first event of `kind` whose detail contains `fields` happened.
fn first(events: &[TraceEvent], kind: &str, fields: Value) -> SimTime {
    let fields = fields.as_object().expect("an object");
    events
        .iter()
        .find(|e| e.kind == kind && fields.iter().all(|(k, v)| e.detail[k] == *v))
        .unwrap_or_else(|| panic!("no {kind} with {fields:?}"))
        .at_ms
}

#[test]
fn min_insync_preset_refuses_every_attempt_while_the_isr_is_broker_1_alone() {
    let id = "min-insync-refuses-writes";
    let events = trace(id);
    // Topic 0 is __consumer_offsets: ledger-0 is topic 1's partition 0.
    let ledger = json!({"topic": 1, "partition": 0});
    // Brokers 2 and 3 crash at 3 s; each is fenced 9 s after its last heartbeat, broker 3 last,
    // at 13 s, and the change counts once the quorum has committed it (a few ms). Broker 2
    // restarts at 30 s, finds the active controller through the metadata log, registers, is
    // unfenced once it has applied its registration (a fenced broker heartbeats again right
    // after each answer) and rejoins the ISR once it has fetched.
    let alone = first(&events, "isr_changed", json!({"tp": ledger, "isr": [1]}));
    let unfenced = first(&events, "broker_unfenced", json!({"broker": 2}));
    let back = first(&events, "isr_changed", json!({"tp": ledger, "isr": [1, 2]}));
    assert!(
        (13_000..13_000 + 2 * ROUND_TRIP_MS_MAX).contains(&alone),
        "{alone}"
    );
    assert!((30_000..30_250).contains(&unfenced), "{unfenced}");
    assert_eq!(back, 30_522);
    let refusals: Vec<SimTime> = events
        .iter()
        .filter(|e| e.kind == "produce_error")
        .map(|e| {
            assert_eq!(e.detail["error"], "NOT_ENOUGH_REPLICAS", "{e:?}");
            assert_eq!(e.detail["tp"], ledger, "{e:?}");
            e.at_ms
        })
        .collect();
    // The write of 20 s is refused at its first attempt, sent after linger.ms...
    assert!(
        (20_000..=20_000 + LINGER_MS + ROUND_TRIP_MS_MAX).contains(&refusals[0]),
        "{refusals:?}"
    );
    // ... then at every retry: retry.backoff.ms (100) doubled per attempt up to
    // retry.backoff.max.ms (1000), each within 20% jitter (KIP-580), plus a round trip.
    let backoff = |attempt: usize| (100u64 << attempt.min(4)).min(1000);
    let within =
        |gap: SimTime, b: SimTime| b * 8 / 10 <= gap && gap <= b * 12 / 10 + ROUND_TRIP_MS_MAX;
    for (attempt, pair) in refusals.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        assert!(
            within(gap, backoff(attempt)),
            "retry {} after {gap} ms: {refusals:?}",
            attempt + 1
        );
    }
    // ... until broker 2 is back: the next retry is accepted ("debit 40" at offset 1).
    let last = *refusals.last().expect("refusals");
    assert!(last < back, "{last} ms");
    let accepted = first(&events, "produce_acked", json!({"offset": 1}));
    assert!(
        accepted > back && within(accepted - last, 1000),
        "{accepted} ms"
    );
    // Attempts at 20.0, 20.1, 20.3, 20.8 and 21.6 s, then one about every second until 30.5 s.
    assert_eq!(
        refusals.len() as u64,
        expected(id, &["producer", "errors", "NOT_ENOUGH_REPLICAS"])
    );
    assert_eq!(refusals.len(), 13);
}

#[test]
fn unclean_preset_elects_each_partition_on_the_three_brokers_uncleanly_once() {
    let id = "unclean-election-loses-data";
    let events = trace(id);
    // Every partition of the cluster, events-0 (topic 1) and the three of __consumer_offsets
    // (topic 0), has a replica on each broker. Brokers 2 and 3 crash at 3 s, so each ISR is {1};
    // broker 1 crashes at 25 s and each partition goes offline. When broker 2 returns at 40 s
    // (registered, then unfenced once it has applied its registration, about 0.2 s later) it is
    // the first live replica of each, outside the ISR: one unclean election per
    // partition. Broker 1's return at 60 s elects nobody (every partition has a live leader, and
    // the preferred-leader check runs every 300 s, after the 90 s end).
    let unfenced = first(&events, "broker_unfenced", json!({"broker": 2}));
    assert_eq!(unfenced, 40_222);
    let unclean: Vec<(SimTime, Value, Value, Value)> = events
        .iter()
        .filter(|e| e.kind == "leader_changed" && e.detail["unclean"] == true)
        .map(|e| {
            (
                e.at_ms,
                e.detail["tp"].clone(),
                e.detail["leader"].clone(),
                e.detail["previous"].clone(),
            )
        })
        .collect();
    // The elections follow the unfencing at once, committed a round trip later at most.
    let elected = unclean.first().map_or(0, |u| u.0);
    assert!(
        (unfenced..=unfenced + ROUND_TRIP_MS_MAX).contains(&elected),
        "{elected}"
    );
    let offline_to_2 = |topic: u32, partition: u32| {
        (
            elected,
            json!({"topic": topic, "partition": partition}),
            json!(2),
            Value::Null,
        )
    };
    assert_eq!(
        unclean,
        vec![
            offline_to_2(0, 0),
            offline_to_2(0, 1),
            offline_to_2(0, 2),
            offline_to_2(1, 0),
        ]
    );
    // The report counts the user topic's apart from the internal topic's.
    assert_eq!(1, expected(id, &["elections", "unclean"]));
    assert_eq!(3, expected(id, &["elections", "internal_unclean"]));
}

#[test]
fn isr_lag_lesson_shrinks_between_one_and_one_and_a_half_lag_times_without_fencing() {
    let events = trace("isr-shrinks-by-lag");
    let cut = first(&events, "link_changed", json!({"from": {"Broker": 1}}));
    let shrink = first(
        &events,
        "isr_changed",
        json!({"tp": {"topic": 1, "partition": 0}, "isr": [1, 2]}),
    );
    // Broker 3 was last caught up when m1 was acknowledged (3 s): the leader's checks at 15 s
    // and 30 s find it within replica.lag.time.max.ms (30 s), the one at 45 s does not; the
    // shrink counts once the quorum has committed it, a few ms later.
    assert_eq!((cut, shrink), (5_000, 45_006));
    let lag = 30_000;
    assert!(shrink - 3_013 > lag && shrink - 3_013 <= lag * 3 / 2);
    assert!(!events.iter().any(|e| e.kind == "broker_fenced"));
}

#[test]
fn zombie_lesson_fences_after_the_session_timeout_and_truncates_on_heal() {
    let events = trace("zombie-leader");
    // The session check at 14 s fences broker 1; the fence counts once committed.
    let fenced = first(&events, "broker_fenced", json!({"broker": 1}));
    assert!(
        (14_000..=14_000 + ROUND_TRIP_MS_MAX).contains(&fenced),
        "{fenced}"
    );
    let elected = first(
        &events,
        "leader_changed",
        json!({"tp": {"topic": 1, "partition": 0}, "leader": 2}),
    );
    assert!(
        (14_004..=14_004 + ROUND_TRIP_MS_MAX).contains(&elected),
        "{elected}"
    );
    let truncated = first(
        &events,
        "truncated",
        json!({"broker": 1, "tp": {"topic": 1, "partition": 0}}),
    );
    assert!(truncated > 60_000, "after the heal");
}

#[test]
fn coordinator_lesson_refuses_late_commits_between_expiry_and_rejoin() {
    let events = trace("consumer-loses-coordinator");
    let expired = first(
        &events,
        "member_expired",
        json!({"group": "payment_service", "member": 4}),
    );
    let refused = first(
        &events,
        "commit_failed",
        json!({"consumer": 4, "error": "UNKNOWN_MEMBER_ID"}),
    );
    let rejoined = first(
        &events,
        "group_rebalanced",
        json!({"group": "payment_service", "generation": 2}),
    );
    // 45 s without a heartbeat after the cut at 10 s; the heal at 55 s lets its commits reach
    // the coordinator, which no longer knows it.
    assert_eq!(expired, 54_100);
    assert!(
        expired < refused && refused < rejoined,
        "{expired} {refused} {rejoined}"
    );
}

/// When the first event of `kind` happened at or after `from`.
fn first_after(events: &[TraceEvent], kind: &str, from: SimTime) -> SimTime {
    events
        .iter()
        .find(|e| e.kind == kind && e.at_ms >= from)
        .unwrap_or_else(|| panic!("no {kind} after {from}"))
        .at_ms
}

#[test]
fn active_controller_lesson_pauses_for_the_election_then_gives_brokers_a_full_session() {
    let events = trace("active-controller-fails");
    // controller-1 crashes at 3 s. Its followers last heard from it at most a held fetch's
    // wait (500 ms) before; they suspect it after the fetch timeout (2 s), then run a pre-vote
    // and a vote (a few round trips).
    let activated = first_after(&events, "controller_activated", 1);
    assert!((4_500..6_000).contains(&activated), "{activated}");
    // Nothing about broker 1 (crashed at 3 s) changes while no controller is active.
    assert!(!events.iter().any(|e| (3_000..activated).contains(&e.at_ms)
        && matches!(
            e.kind.as_str(),
            "broker_fenced" | "leader_changed" | "isr_changed"
        )));
    // The new active controller counts broker 1's session from when it took over: 9 s, plus
    // at most one session check (every 1 s).
    let fenced = first(&events, "broker_fenced", json!({"broker": 1}));
    assert!(
        (activated + 9_000..=activated + 10_000 + ROUND_TRIP_MS_MAX).contains(&fenced),
        "{activated} -> {fenced}"
    );
    // A live controller would have fenced it at 12 s: the failover cost about 2 s.
    assert!(fenced >= 12_000 + 1_500, "{fenced}");
}

#[test]
fn without_a_majority_nothing_in_the_metadata_changes_until_the_quorum_is_back() {
    let events = trace("quorum-loses-majority");
    // Controllers 2 and 3 crash at 3 s; controller-1 resigns 1.5 fetch timeouts later.
    let resigned = events
        .iter()
        .find(|e| e.kind == "quorum_role_changed" && e.detail["role"] == "Resigned")
        .expect("the leader resigns")
        .at_ms;
    assert_eq!(resigned, 6_000);
    // From the crash to controller-2's return at 30 s: no fencing, no election, no ISR change,
    // although broker 1 (the leader of payments-0) crashed at 8 s.
    assert!(!events.iter().any(|e| (3_000..30_000).contains(&e.at_ms)
        && matches!(
            e.kind.as_str(),
            "broker_fenced" | "broker_unfenced" | "leader_changed" | "isr_changed"
        )));
    let activated = first_after(&events, "controller_activated", 30_000);
    let fenced = first(&events, "broker_fenced", json!({"broker": 1}));
    assert!(
        (activated + 9_000..=activated + 10_000 + ROUND_TRIP_MS_MAX).contains(&fenced),
        "{activated} -> {fenced}"
    );
}
