#![cfg(not(target_arch = "wasm32"))]
//! Scenario files end to end: every preset meets its expectations, malformed files are refused
//! with a clear message (never a panic), share links and time travel replay exactly.

use std::io::Write;
use std::process::{Command, Stdio};

use kafka_sandbox::scenario::format::SCENARIO_BYTES_MAX;
use kafka_sandbox::scenario::*;

fn preset(id: &str) -> Scenario {
    let text = presets::preset(id).unwrap_or_else(|| panic!("no preset {id}"));
    parse_scenario(text).unwrap_or_else(|e| panic!("preset {id}: {e}"))
}

/// Runs the CLI with `args`, `stdin` piped in; returns (exit code, stdout, stderr).
fn cli(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-sandbox"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner starts");
    {
        let mut input = child.stdin.take().expect("stdin");
        // The runner may stop reading early (oversized input): a broken pipe is fine.
        let _ = input.write_all(stdin);
    }
    let out = child.wait_with_output().expect("the runner ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn parse_err(text: &str) -> String {
    match parse_scenario(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.to_string(),
    }
}

const MINIMAL: &str = r#"{"services": false, "topics": [{"name": "t"}], "actions": []}"#;

#[test]
fn the_twenty_presets_are_the_files_of_scenarios_in_teaching_order() {
    assert_eq!(PRESETS.len(), 20);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("readable"))
        })
        .collect();
    files.sort();
    let shipped: Vec<(String, String)> = PRESETS
        .iter()
        .enumerate()
        .map(|(i, (id, text))| (format!("{:02}-{id}", i + 1), text.to_string()))
        .collect();
    assert_eq!(
        files.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        shipped.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "every file of scenarios/ is a preset, numbered in teaching order"
    );
    assert!(
        files == shipped,
        "the presets embed the files' current text"
    );
}

#[test]
fn every_preset_meets_its_expectations() {
    for (id, text) in PRESETS {
        let scenario = parse_scenario(text).unwrap_or_else(|e| panic!("preset {id}: {e}"));
        let expect = scenario
            .expect
            .as_ref()
            .expect("every preset has expectations");
        assert!(!expect.is_empty(), "{id}: empty expect");
        let d = scenario.description.as_ref().expect("description");
        assert!(!d.en.is_empty() && !d.fr.is_empty(), "{id}: description");
        assert!(scenario.narration.len() >= 3, "{id}: narration");
        assert!(
            scenario
                .narration
                .iter()
                .all(|s| !s.en.is_empty() && !s.fr.is_empty()),
            "{id}: narration in both languages"
        );
        let report = run_scenario(&scenario, false).expect("runs");
        assert!(
            report.expect_failures.is_empty(),
            "{id}: {:#?}",
            report.expect_failures
        );
        assert!(
            report.invariant_violations.is_empty(),
            "{id}: {:#?}",
            report.invariant_violations
        );
        assert!(
            report.action_errors.is_empty(),
            "{id}: {:#?}",
            report.action_errors
        );
        assert_eq!(report.ended_at_ms, scenario.run_until(), "{id}");
        // Every step is shown: its event happened. A step that waits for no event tells of
        // the start or of a scripted action, at that action's instant.
        for (i, (step, shown)) in scenario.narration.iter().zip(&report.narration).enumerate() {
            assert!(
                shown.is_some(),
                "{id}: narration[{i}] waits for {:?}, which never happened",
                step.on
            );
            if step.on.is_none() {
                assert!(
                    step.at_ms == 0 || scenario.actions.iter().any(|a| a.at_ms == step.at_ms),
                    "{id}: narration[{i}] at {} ms names no event and no action",
                    step.at_ms
                );
            }
        }
        assert!(
            report.narration.windows(2).all(|w| w[0] <= w[1]),
            "{id}: steps shown in order"
        );
    }
}

#[test]
fn a_narration_step_whose_event_never_happens_is_reported() {
    let mut scenario = preset("leader-failover");
    // Broker 3 never leads payments-0 in this lesson.
    scenario.narration[3].on = Some(kafka_sandbox::scenario::cue::Cue {
        event: "leader_changed".into(),
        topic: Some("payments".into()),
        broker: Some(3),
        ..Default::default()
    });
    let report = run_scenario(&scenario, false).unwrap();
    assert_eq!(report.narration[3], None);
    assert_eq!(report.narration[4], None, "later steps wait for it");
    assert_eq!(report.narration[2], Some(3507));
}

#[test]
fn the_cli_runs_a_file_and_reports_expectations_with_exit_codes() {
    let text = presets::preset("acks1-lost-write").unwrap();
    let (code, out, err) = cli(&["run", "-"], text.as_bytes());
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(report["lost_acked"], 1);
    assert_eq!(report["partitions"][0]["leader"], 2);
    assert!(report.get("events").is_none());

    let (code, out, _) = cli(&["run", "preset:acks1-lost-write", "--trace"], b"");
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let events = report["events"].as_array().expect("trace");
    // The old leader, broker 1, cuts m1 (its only record, never replicated) when it returns.
    let truncated: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["kind"] == "truncated")
        .map(|e| &e["detail"])
        .collect();
    assert_eq!(
        truncated,
        vec![&serde_json::json!({
            "broker": 1, "tp": {"topic": 1, "partition": 0}, "from": 1, "to": 0
        })]
    );

    let wrong = text.replace("\"lost_acked\": 1", "\"lost_acked\": 0");
    let (code, _, err) = cli(&["run", "-"], wrong.as_bytes());
    assert_eq!(code, 1);
    assert!(
        err.contains("lost_acked: expected 0, got 1"),
        "stderr: {err}"
    );

    let (code, _, err) = cli(
        &["run", "-"],
        br#"{"actions": [{"at_ms": 0, "do": "explode"}]}"#,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("actions[0].do: unknown action \"explode\""),
        "{err}"
    );

    let (code, _, err) = cli(&["run", "/nonexistent/scenario.json"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("cannot open"), "{err}");

    let garbage: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let (code, _, err) = cli(&["run", "-"], &garbage);
    assert_eq!(code, 2);
    assert!(err.contains("limited to 1 MB"), "{err}");

    let (code, _, _) = cli(&["frobnicate"], b"");
    assert_eq!(code, 2);
    let (code, out, _) = cli(&["presets"], b"");
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), PRESETS.len());
}

#[test]
fn malformed_scenarios_name_the_field_and_the_problem() {
    assert!(parse_scenario(MINIMAL).is_ok());
    let cases: &[(&str, &str)] = &[
        (
            r#"{"actions": "soon"}"#,
            "actions: expected an array, found a string",
        ),
        (r#"{}"#, "actions: missing field"),
        (
            r#"{"actions": [], "narration": [{"at_ms": 0, "en": "a", "fr": "b", "on": {"event": "leader_elected"}}]}"#,
            "narration[0].on.event: unknown event \"leader_elected\" (known: message_dropped",
        ),
        (
            r#"{"actions": [], "narration": [{"at_ms": 0, "en": "a", "fr": "b", "on": {"event": "isr_changed", "broker": 1}}]}"#,
            "narration[0].on.broker: an event isr_changed has no broker",
        ),
        (
            r#"{"actions": [], "narration": [{"at_ms": 0, "en": "a", "fr": "b", "on": {"event": "truncated", "leader": 1}}]}"#,
            "narration[0].on.leader: unknown field",
        ),
        (r#"[1, 2]"#, "expected an object, found an array"),
        (
            r#"{"actions": [], "sed": 3}"#,
            "sed: unknown field; expected one of",
        ),
        (
            r#"{"actions": [], "seed": "seven"}"#,
            "seed: expected a non-negative whole number, found a string",
        ),
        (
            r#"{"actions": [], "seed": 1.5}"#,
            "seed: expected a whole number, found 1.5",
        ),
        (
            r#"{"actions": [], "timing": "fast"}"#,
            "timing: timing must be \"kafka\" or \"sandbox\"",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "explode"}]}"#,
            "actions[0].do: unknown action \"explode\"; expected one of: create_order",
        ),
        (
            r#"{"actions": [{"at_ms": 0}]}"#,
            "actions[0].do: missing field",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "fail_broker"}]}"#,
            "actions[0].broker: missing field",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "fail_broker", "broker": "two"}]}"#,
            "actions[0].broker: expected a non-negative whole number, found a string",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "fail_broker", "broker": 9}]}"#,
            "actions[0].broker: there is no broker 9 (brokers are 1 to 3)",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "fail_broker", "broker": 0}]}"#,
            "actions[0].broker: there is no broker 0 (brokers are 1 to 3)",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "fail_broker", "broker": 1, "force": true}]}"#,
            "actions[0].force: unknown field; expected one of: at_ms, do, broker",
        ),
        (
            r#"{"actions": [{"at_ms": -5, "do": "heal_network"}]}"#,
            "actions[0].at_ms: must not be negative (found -5)",
        ),
        (
            r#"{"run_until_ms": -1, "actions": []}"#,
            "run_until_ms: must not be negative",
        ),
        (
            r#"{"run_until_ms": 1000, "actions": [{"at_ms": 5000, "do": "heal_network"}]}"#,
            "actions[0].at_ms: 5000 is after run_until_ms (1000)",
        ),
        (
            r#"{"run_until_ms": 99999999999, "actions": []}"#,
            "run_until_ms: 99999999999 is beyond the limit",
        ),
        (
            r#"{"cluster": {"brokers": 9}, "actions": []}"#,
            "cluster: brokers must be between 1 and 7, not 9",
        ),
        (
            r#"{"cluster": {"brokers": 3, "network_latency_ms": [9, 1]}, "actions": []}"#,
            "cluster: network latency range [9, 1] ms",
        ),
        (
            r#"{"cluster": {"network_latency_ms": 5}, "actions": []}"#,
            "cluster.network_latency_ms: expected [low, high] in ms, found 5",
        ),
        (
            r#"{"cluster": {"brokers": 2}, "topics": [{"name": "t", "replication_factor": 3}], "actions": []}"#,
            "topics: topic t: replication factor 3 must be between 1 and the number of brokers (2)",
        ),
        (
            r#"{"topics": [{"name": "bad name!"}], "actions": []}"#,
            "topics: topic name \"bad name!\" is invalid",
        ),
        (
            r#"{"topics": [{"partitions": 1}], "actions": []}"#,
            "topics[0].name: missing field",
        ),
        (
            r#"{"producer": {"acks": "2"}, "actions": []}"#,
            "producer.acks: acks must be \"0\", \"1\", \"all\" or \"-1\", not \"2\"",
        ),
        (
            r#"{"services": "yes", "actions": []}"#,
            "services: expected true, false or an object, found a string",
        ),
        (
            r#"{"services": false, "actions": [{"at_ms": 0, "do": "create_order"}]}"#,
            "actions[0].do: create_order needs the services",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "produce", "topic": "nope", "value": "v"}]}"#,
            "actions[0].topic: there is no topic \"nope\"",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "crash_service", "service": "billing"}]}"#,
            "actions[0].service: unknown service \"billing\"",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "scale_service", "service": "payment_service", "instances": 9}]}"#,
            "actions[0].instances: must be between 1 and 4, not 9",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "drop_messages", "from": "broker-7", "count": 1}]}"#,
            "actions[0].from: there is no broker 7",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "drop_messages", "to": "router", "count": 1}]}"#,
            "actions[0].to: \"router\" is not a node",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "drop_messages", "kind": "gossip", "count": 1}]}"#,
            "actions[0].kind: unknown message kind \"gossip\"",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "drop_messages", "count": 0}]}"#,
            "actions[0].count: must be between 1 and",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "cut_link", "a": "broker-1", "b": "router"}]}"#,
            "actions[0].b: \"router\" is not a node: use \"controller\", \"controller-N\", \"broker-N\", \"client-N\" or a service instance",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "cut_link", "a": "controller-4", "b": "broker-1"}]}"#,
            "actions[0].a: there is no controller 4 (controllers are 1 to 3)",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "fail_controller", "controller": 6}]}"#,
            "actions[0].controller: there is no controller 6 (controllers are 1 to 3)",
        ),
        (
            r#"{"cluster": {"controllers": 2}, "actions": []}"#,
            "controllers must be 1, 3 or 5",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "cut_link", "a": "broker-4", "b": "broker-1"}]}"#,
            "actions[0].a: there is no broker 4 (brokers are 1 to 3)",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "heal_link", "a": "broker-2", "b": "broker-2"}]}"#,
            "actions[0].b: is the same node as a (\"broker-2\")",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "cut_link", "a": "broker-2"}]}"#,
            "actions[0].b: missing field",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "cut_link", "a": "broker-2", "b": "controller", "one_way": "yes"}]}"#,
            "actions[0].one_way: expected true or false, found a string",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "slow_link", "a": "broker-2", "b": "controller", "extra_latency_ms": -5}]}"#,
            "actions[0].extra_latency_ms: must not be negative (found -5)",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "slow_link", "a": "broker-2", "b": "controller", "extra_latency_ms": 700000}]}"#,
            "actions[0].extra_latency_ms: 700000 is above the limit of 600000 ms",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "lossy_link", "a": "broker-2", "b": "controller", "drop_rate": 1.5}]}"#,
            "actions[0].drop_rate: must be between 0 and 1, not 1.5",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "lossy_link", "a": "payment_service#7", "b": "broker-1", "drop_rate": 0.5}]}"#,
            "actions[0].a: \"payment_service#7\": the instance after # is a number from 1 to 4",
        ),
        (
            r#"{"services": false, "actions": [{"at_ms": 0, "do": "cut_link", "a": "payment_service", "b": "broker-1"}]}"#,
            "actions[0].a: \"payment_service\" is a service, but this scenario sets \"services\": false",
        ),
        (
            r#"{"actions": [], "expect": {"lost": 0}}"#,
            "expect.lost: not a report field",
        ),
        (
            r#"{"actions": [], "narration": [{"at_ms": 0, "en": "hi"}]}"#,
            "narration[0].fr: missing field",
        ),
        (
            r#"{"actions": [], "description": {"en": "a", "de": "b"}}"#,
            "description.de: unknown field",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": null}]}"#,
            "actions[0].do: expected an action name, found null",
        ),
        (
            r#"{"actions": [{"at_ms": 0, "do": "heal_network"}, {"at_ms": 5, "do": "fail_broker", "broker": -1}]}"#,
            "actions[1].broker: must not be negative (found -1)",
        ),
        (
            r#"{"topics": [{"name": "a"}, {"name": "b", "partitions": "3"}], "actions": []}"#,
            "topics[1].partitions: expected a non-negative whole number, found a string",
        ),
        (r#"{"actions": [}"#, "not valid JSON"),
        ("", "not valid JSON"),
    ];
    for (text, want) in cases {
        let got = parse_err(text);
        assert!(
            got.contains(want),
            "for {text}\n  want: {want}\n  got:  {got}"
        );
    }
    // Deep nesting, huge input and many actions are refused, not crashed on.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_err(&deep).contains("not valid JSON"));
    let big = "x".repeat(SCENARIO_BYTES_MAX + 1);
    assert!(parse_err(&big).contains("limited to"));
    let many = format!(
        r#"{{"actions": [{}]}}"#,
        vec![r#"{"at_ms": 0, "do": "heal_network"}"#; 6000].join(",")
    );
    assert!(parse_err(&many).contains("actions: 6000 entries is more than the limit"));
}

#[test]
fn mutated_presets_never_panic() {
    // Cheap deterministic fuzzing: cut, splice and flip bytes of every preset.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (_, text) in PRESETS {
        let bytes = text.as_bytes();
        for _ in 0..60 {
            let mut b = bytes.to_vec();
            let at = (next() as usize) % b.len();
            match next() % 3 {
                0 => b.truncate(at),
                1 => b[at] = b"{}[]\",:-0123456789aeltrunfs"[(next() % 27) as usize],
                _ => {
                    b.remove(at);
                }
            }
            if let Ok(text) = String::from_utf8(b) {
                if let Ok(s) = parse_scenario(&text) {
                    // Still valid: it must also build (runs are covered elsewhere).
                    build_world(&s).expect("a valid scenario builds");
                }
            }
        }
    }
}

#[test]
fn a_share_link_round_trip_reproduces_the_same_run() {
    for id in ["network-partition-leader", "consumer-crash-redelivery"] {
        let scenario = preset(id);
        let link = encode_share(&scenario);
        assert!(link
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let back = decode_share(&format!("#{link}")).expect("decodes");
        assert_eq!(back, scenario, "{id}");
        let end = scenario.run_until();
        let a = Recording::new(scenario).world_at(end).unwrap();
        let b = Recording::new(back).world_at(end).unwrap();
        assert_eq!(a.sim.trace_hash(), b.sim.trace_hash(), "{id}");
        assert_eq!(a.snapshot(), b.snapshot(), "{id}");
    }
    assert!(decode_share("not base64 !").is_err());
    assert!(decode_share("e30")
        .unwrap_err()
        .to_string()
        .contains("actions"));
}

#[test]
fn scrubbing_back_and_forward_gives_the_same_state() {
    let recording = Recording::new(preset("leader-failover"));
    let forward = recording.runner_at(25_000).unwrap();
    let back = recording.runner_at(4_000).unwrap();
    let again = recording.runner_at(25_000).unwrap();
    assert_eq!(forward.world.sim.trace_hash(), again.world.sim.trace_hash());
    assert_eq!(forward.world.snapshot(), again.world.snapshot());
    assert_eq!(forward.report(), again.report());
    assert_ne!(back.world.sim.trace_hash(), forward.world.sim.trace_hash());
    assert_eq!(back.now(), 4_000);

    // Going on from an earlier instant replays the same as having run straight there.
    let mut stepped = recording.runner_at(4_000).unwrap();
    stepped.advance_to(12_000);
    stepped.advance_to(25_000);
    assert_eq!(
        stepped.world.sim.trace_hash(),
        forward.world.sim.trace_hash()
    );

    // A fork drops later actions: broker 1 is never restored.
    let fork = recording.fork_at(25_000);
    assert!(fork.base.actions.iter().all(|a| a.at_ms <= 25_000));
    let end = fork.runner_at(60_000).unwrap().report();
    assert_eq!(end.brokers[0].state, "failed");
}

#[test]
fn live_actions_are_recorded_and_replay_identically() {
    let mut live = Runner::new(&preset("calm-order-chain")).unwrap();
    live.advance_to(9_000);
    live.apply_now(Action::FailBroker { broker: 2 }).unwrap();
    live.advance_to(12_345);
    live.apply_now(Action::CreateOrder {
        user_id: Some(3),
        total: None,
    })
    .unwrap();
    live.advance_to(30_000);
    let replay = live.recording().runner_at(30_000).unwrap();
    assert_eq!(live.world.sim.trace_hash(), replay.world.sim.trace_hash());
    assert_eq!(live.report(), replay.report());
    assert_eq!(replay.report().orders.created, 6);
}

#[test]
fn an_armed_drop_waits_for_matching_messages() {
    // Nothing is in flight from the controller at 0 ms: the drop stays armed and takes the
    // next three controller messages to broker 2 as they are sent.
    let text = r#"{
        "services": false, "run_until_ms": 20000,
        "actions": [{"at_ms": 0, "do": "drop_messages", "from": "controller", "to": "broker-2", "count": 3}]
    }"#;
    let report = run_scenario(&parse_scenario(text).unwrap(), true).unwrap();
    assert_eq!(report.dropped_by_actions, 3);
    let dropped: Vec<_> = report
        .events
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "message_dropped" && e.detail["reason"] == "dropped_by_user")
        .collect();
    assert_eq!(dropped.len(), 3);
    assert!(dropped
        .iter()
        .all(|e| e.detail["from"]["Controller"] == 1 && e.detail["to"]["Broker"] == 2));
}

#[test]
fn expectations_compare_objects_by_the_fields_given() {
    let text = r#"{
        "services": false, "topics": [{"name": "t", "partitions": 2}], "run_until_ms": 5000,
        "actions": [],
        "expect": {"partitions": [{"topic": "t", "partition": 0}, {"partition": 1, "leader": 1}],
                   "controllers": [{"id": 1, "state": "online", "role": "leader"}, {"id": 2}, {"id": 3}],
                   "active_controller": 1, "orders": {"created": 1}, "acked": []}
    }"#;
    let report = run_scenario(&parse_scenario(text).unwrap(), false).unwrap();
    // Placement as Kafka assigns it round-robin over 3 brokers (RF 3 by default): replica i of
    // partition p is on broker (p + i) mod 3 + 1, the first one is the preferred leader. So t-1
    // is on [2, 3, 1] and led by broker 2, and "leader": 1 is the one field that fails.
    let placement: Vec<(u32, Vec<u32>, Option<u32>)> = report
        .partitions
        .iter()
        .map(|p| (p.partition, p.replicas.clone(), p.leader))
        .collect();
    assert_eq!(
        placement,
        vec![(0, vec![1, 2, 3], Some(1)), (1, vec![2, 3, 1], Some(2))]
    );
    let mut failures = report.expect_failures.clone();
    failures.sort();
    assert_eq!(
        failures,
        vec![
            "orders.created: expected 1, got 0".to_string(),
            "partitions[1].leader: expected 1, got 2".to_string(),
        ]
    );
}

#[test]
fn invalid_cluster_operations_are_refused_at_load_naming_the_field() {
    let with = |cluster: &str, actions: &str| {
        format!(
            r#"{{"services": false, "cluster": {cluster}, "topics": [{{"name": "t", "partitions": 2, "replication_factor": 1}}], "actions": [{actions}]}}"#
        )
    };
    let three = r#"{"brokers": 3}"#;
    let cases = [
        (
            with(
                three,
                r#"{"at_ms": 1, "do": "reassign", "topic": "t", "partition": 0, "replicas": [1, 1]}"#,
            ),
            "actions[0].replicas: broker 1 is listed twice",
        ),
        (
            with(
                three,
                r#"{"at_ms": 1, "do": "reassign", "topic": "t", "partition": 0, "replicas": [4]}"#,
            ),
            "actions[0].replicas: there is no broker 4 (brokers are 1 to 3)",
        ),
        (
            with(
                three,
                r#"{"at_ms": 1, "do": "reassign", "topic": "t", "partition": 2, "replicas": [1]}"#,
            ),
            "actions[0].partition: t has partitions 0 to 1",
        ),
        (
            with(
                three,
                r#"{"at_ms": 1, "do": "add_partitions", "topic": "t", "count": 2}"#,
            ),
            "actions[0].count: t has 2 partitions",
        ),
        (
            with(
                three,
                r#"{"at_ms": 1, "do": "add_partitions", "topic": "u", "count": 3}"#,
            ),
            "actions[0].topic: there is no topic \"u\"",
        ),
        (
            // t-0 is on broker 1 only (RF 1).
            with(three, r#"{"at_ms": 1, "do": "remove_broker", "broker": 1}"#),
            "actions[0].broker: broker 1 holds the last replica of t-0",
        ),
        (
            with(
                three,
                r#"{"at_ms": 1, "do": "set_topic_config", "topic": "t", "min_insync_replicas": 2}"#,
            ),
            "actions[0].min_insync_replicas: must be between 1 and the replication factor (1)",
        ),
        (
            with(
                r#"{"brokers": 2, "racks": ["a", "b"]}"#,
                r#"{"at_ms": 1, "do": "add_broker"}"#,
            ),
            "actions[0].rack: the brokers have racks",
        ),
        (
            with(r#"{"brokers": 2, "racks": ["a"]}"#, ""),
            "cluster: racks: 1 rack names for 2 brokers",
        ),
    ];
    for (text, want) in cases {
        let err = parse_err(&text);
        assert!(err.contains(want), "{err}\nwanted: {want}");
        let (code, _, stderr) = cli(&["run", "-"], text.as_bytes());
        assert_eq!(code, 2, "{stderr}");
    }
    // Added brokers count for the actions after them; moved away, a broker may go.
    let ok = with(
        three,
        r#"{"at_ms": 1, "do": "add_broker"}, {"at_ms": 2, "do": "reassign", "topic": "t", "partition": 0, "replicas": [4]}, {"at_ms": 1000, "do": "reassign", "topic": "t", "partition": 0, "replicas": [4]}, {"at_ms": 3000, "do": "remove_broker", "broker": 1}"#,
    );
    let scenario = parse_scenario(&ok).expect("valid");
    let report = run_scenario(&scenario, false).expect("runs");
    // At 2 ms broker 4 has not registered yet: the controller refuses, as Kafka's does.
    assert_eq!(report.action_errors.len(), 1, "{:?}", report.action_errors);
    assert!(
        report.action_errors[0].contains("not registered"),
        "{:?}",
        report.action_errors
    );
    let states: Vec<&str> = report.brokers.iter().map(|b| b.state).collect();
    assert_eq!(states, ["removed", "online", "online", "online"]);
}
