//! The example scenarios shipped in `scenarios/`, embedded so the page can offer them.

/// Every preset: (id, JSON text).
pub const PRESETS: &[(&str, &str)] = &[];
