//! A page's run as a scenario: the scenario it was loaded from (settings, seed and scripted
//! actions), the user's own actions stamped with their simulated time, and the share fragment
//! (`#s=<scenario>&t=<ms>`) that carries both.
//!
//! ```text
//!  loaded scenario (script) ─┐
//!                            ├─ merged ─► Recording ─ runner_at(t) ─► the world at t
//!  user actions (at_ms) ─────┘
//! ```
//! The engine is deterministic, so replaying the merged scenario rebuilds the same world.

use super::format::{Scenario, ScenarioError, TimedAction};
use super::share::{decode_share, encode_share};
use crate::services::WorldConfig;
use crate::sim::{SimTime, TimingPreset};

/// Key of the scenario in a share fragment.
pub const SHARE_SCENARIO_KEY: &str = "s";
/// Key of the shared instant in a share fragment.
pub const SHARE_TIME_KEY: &str = "t";
/// Latest instant a share link may ask to replay to (ms): longer replays would freeze the page.
pub const SHARE_TIME_MAX_MS: SimTime = 30 * 60 * 1000;

/// The scenario of the page's default world (sandbox timing) with this seed.
pub fn default_scenario(seed: u64) -> Scenario {
    Scenario::from_world_config(&WorldConfig::default_for(TimingPreset::Sandbox), seed)
}

/// The loaded scenario with the user's actions added (the scenario's own first at equal
/// times, as they ran), its end moved past every action so the result validates.
pub fn merged(base: &Scenario, user: &[TimedAction]) -> Scenario {
    let mut scenario = base.clone();
    scenario.actions.extend(user.iter().cloned());
    super::run::sort_by_time(&mut scenario.actions);
    if let (Some(until), Some(last)) = (scenario.run_until_ms, user.last()) {
        scenario.run_until_ms = Some(until.max(last.at_ms));
    }
    scenario
}

/// The share fragment (without `#`) of a scenario seen at `at_ms`.
pub fn share_fragment(scenario: &Scenario, at_ms: SimTime) -> String {
    format!(
        "{SHARE_SCENARIO_KEY}={}&{SHARE_TIME_KEY}={at_ms}",
        encode_share(scenario)
    )
}

/// What a page address fragment asks for: `None` when it holds no shared scenario, else the
/// scenario (or why it cannot be read) and the instant to replay to.
pub fn parse_share_fragment(fragment: &str) -> Option<Result<(Scenario, SimTime), ScenarioError>> {
    let fragment = fragment.trim().trim_start_matches('#');
    let mut encoded = None;
    let mut at_ms = 0;
    for pair in fragment.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            SHARE_SCENARIO_KEY => encoded = Some(value),
            SHARE_TIME_KEY => at_ms = value.parse::<SimTime>().unwrap_or(0),
            _ => {}
        }
    }
    let encoded = encoded?;
    Some(decode_share(encoded).map(|s| (s, at_ms.min(SHARE_TIME_MAX_MS))))
}

/// Speed a loaded scenario starts at: Kafka's real timeouts are seconds long, so scenarios
/// with that timing run twice as fast; the sandbox timing runs in real time.
pub fn default_speed(scenario: &Scenario) -> f64 {
    match scenario.timing() {
        TimingPreset::Kafka => 2.0,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Action;

    #[test]
    fn share_fragments_round_trip() {
        let mut base = default_scenario(7);
        base.actions.push(TimedAction {
            at_ms: 1500,
            action: Action::FailBroker { broker: 2 },
        });
        let text = share_fragment(&base, 4000);
        let (back, at) = parse_share_fragment(&format!("#{text}"))
            .expect("a share")
            .expect("valid");
        assert_eq!(back, base);
        assert_eq!(at, 4000);
        assert!(parse_share_fragment("").is_none());
        assert!(parse_share_fragment("#other=1").is_none());
        assert!(matches!(parse_share_fragment("#s=%%%"), Some(Err(_))));
    }

    #[test]
    fn merging_puts_user_actions_after_the_script_at_equal_times() {
        let mut base = default_scenario(1);
        base.run_until_ms = Some(10_000);
        base.actions.push(TimedAction {
            at_ms: 1000,
            action: Action::FailController { controller: None },
        });
        let user = [
            TimedAction {
                at_ms: 1000,
                action: Action::RestoreController { controller: None },
            },
            TimedAction {
                at_ms: 20_000,
                action: Action::HealNetwork,
            },
        ];
        let m = merged(&base, &user);
        assert_eq!(
            m.actions[0].action,
            Action::FailController { controller: None }
        );
        assert_eq!(
            m.actions[1].action,
            Action::RestoreController { controller: None }
        );
        assert_eq!(m.run_until_ms, Some(20_000));
    }
}
