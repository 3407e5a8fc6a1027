//! Scenario files: their JSON format, running them headless, and the runner's report.

pub mod cli;
