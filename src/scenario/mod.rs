//! Scenario files: their JSON format, running them headless, and the runner's report.
//!
//! - [`format`]: the types, their decoding (errors name the field path) and validation.
//! - [`run`]: the [`Runner`] that applies actions at their times and steps the engine, and
//!   [`Recording`] for time travel by replay.
//! - [`report`]: the final report and the `expect` comparison.
//! - [`share`]: share links (base64url JSON).
//! - [`presets`]: the example scenarios shipped in `scenarios/`.
//! - [`session`]: a page's run (loaded scenario plus the user's timed actions) and its share
//!   fragment.
//! - `cli`: `kafka-sandbox run FILE.json [--trace]`.

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod format;
pub mod presets;
pub mod report;
pub mod run;
pub mod session;
pub mod share;

pub use format::{
    parse_scenario, Action, Localized, NarrationStep, Scenario, ScenarioError, TimedAction,
};
pub use presets::PRESETS;
pub use report::Report;
pub use run::{apply_action, build_world, run_scenario, Recording, Runner, RunnerState};
pub use share::{decode_share, encode_share};
