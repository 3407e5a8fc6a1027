//! The command line of the headless runner: `kafka-sandbox run FILE.json [--trace]` (FILE may
//! be `-` for stdin or `preset:ID`), and `kafka-sandbox presets` to list the presets.
//!
//! Exit codes: 0 when the run completed and every `expect` entry matched, 1 when one did not
//! (each named on stderr), 2 for an invalid scenario or command line.

use std::io::Read;

use super::format::{parse_scenario, SCENARIO_BYTES_MAX};
use super::presets::PRESETS;
use super::run::run_scenario;

const USAGE: &str =
    "usage: kafka-sandbox run FILE.json|-|preset:ID [--trace]\n       kafka-sandbox presets";

/// Runs the command line; returns the process exit code.
pub fn run_cli(args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        Some("run") => {}
        Some("presets") => {
            for (id, text) in PRESETS {
                let name = parse_scenario(text)
                    .map(|s| s.title().to_string())
                    .unwrap_or_else(|e| format!("(invalid: {e})"));
                println!("{id}\t{name}");
            }
            return 0;
        }
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            return 0;
        }
        _ => {
            eprintln!("{USAGE}");
            return 2;
        }
    }
    let mut trace = false;
    let mut file = None;
    for arg in &args[1..] {
        match arg.as_str() {
            "--trace" => trace = true,
            other if file.is_none() => file = Some(other),
            other => {
                eprintln!("unexpected argument {other:?}\n{USAGE}");
                return 2;
            }
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return 2;
    };
    let text = match read_input(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let scenario = match parse_scenario(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("invalid scenario {file}: {e}");
            return 2;
        }
    };
    let report = match run_scenario(&scenario, trace) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("invalid scenario {file}: {e}");
            return 2;
        }
    };
    match serde_json::to_string_pretty(&report) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("error: cannot print the report: {e}");
            return 2;
        }
    }
    if report.expect_failures.is_empty() {
        0
    } else {
        for f in &report.expect_failures {
            eprintln!("expectation failed: {f}");
        }
        1
    }
}

/// Reads a scenario file, stdin (`-`) or a preset (`preset:ID`), refusing oversized input.
fn read_input(file: &str) -> Result<String, String> {
    if let Some(id) = file.strip_prefix("preset:") {
        return PRESETS
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, t)| t.to_string())
            .ok_or_else(|| {
                let ids: Vec<&str> = PRESETS.iter().map(|(p, _)| *p).collect();
                format!("no preset {id:?}; presets: {}", ids.join(", "))
            });
    }
    let limit = SCENARIO_BYTES_MAX as u64 + 1;
    let mut bytes = Vec::new();
    let read = if file == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file)
            .map_err(|e| format!("cannot open {file}: {e}"))?
            .take(limit)
            .read_to_end(&mut bytes)
    };
    read.map_err(|e| format!("cannot read {file}: {e}"))?;
    if bytes.len() > SCENARIO_BYTES_MAX {
        return Err(format!(
            "{file} is larger than {SCENARIO_BYTES_MAX} bytes: scenarios are limited to 1 MB"
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{file} is not UTF-8 text"))
}
