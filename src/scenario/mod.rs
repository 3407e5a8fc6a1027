//! Scenario files: their JSON format, running them headless, and the runner's report.
//!
//! - [`format`]: the scenario type, its limits and errors, parsing, and the engine
//!   configuration a scenario gives (and the scenario of a configuration).
//! - [`settings`]: the sections that set the world up (cluster, producer, consumer, topics,
//!   services), each setting declared once.
//! - [`action`]: the timed actions and their `do` names; `action_json`: how a timed action's
//!   JSON object is read and written.
//! - `decode`: serde decoding of the parsed JSON, with errors that name the field path.
//! - `validate`: the checks that make a decoded scenario runnable.
//! - `links`: link faults by the names scenarios give their ends, and the report's `links`.
//! - [`run`]: the [`Runner`] that applies actions at their times and steps the engine, and
//!   [`Recording`] for time travel by replay.
//! - [`checkpoints`]: clones of a run kept within a memory budget, so time travel replays from
//!   the nearest one.
//! - [`cue`]: the events narration steps wait for, and the tracker that finds them in a run.
//! - [`report`]: the final report and the `expect` comparison.
//! - [`share`]: share links (base64url JSON).
//! - [`presets`]: the example scenarios shipped in `scenarios/`.
//! - [`session`]: a page's run (loaded scenario plus the user's timed actions) and its share
//!   fragment.
//! - `cli`: `kafka-sandbox run FILE.json [--trace]`.

pub mod action;
mod action_json;
pub mod checkpoints;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod cue;
mod decode;
pub mod format;
mod links;
pub mod presets;
pub mod report;
pub mod run;
pub mod session;
pub mod settings;
pub mod share;
mod validate;

pub use format::{
    parse_scenario, Action, Localized, NarrationStep, Scenario, ScenarioError, TimedAction,
};
pub use presets::LESSONS;
#[cfg(any(test, not(target_arch = "wasm32")))]
pub use presets::PRESETS;
pub use report::Report;
pub use run::{apply_action, build_world, run_scenario, Recording, Runner, RunnerState};
pub use share::{decode_share, encode_share};
