//! The page's components, each with `XxxProps` (PartialEq, so unchanged parts are not drawn
//! again) and an `on_action` callback to dispatch [`crate::ui::state::Action`]s.

pub mod broker;
pub mod diagram;
pub mod inspector;
pub mod legend;
pub mod links;
pub mod logical;
pub mod metrics;
pub mod operations;
pub mod panels;
pub mod scenario_bar;
pub mod sequence;
pub mod settings;
pub mod story;
pub mod toolbar;
