//! The command line of the headless runner (`kafka-sandbox run FILE.json [--trace]`).

/// Runs the command line; returns the process exit code.
pub fn run_cli(args: &[String]) -> i32 {
    eprintln!("usage: kafka-sandbox run FILE.json [--trace] (got {args:?})");
    2
}
