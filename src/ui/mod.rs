//! The yew page: a view of the world's snapshot, driven by the browser's frame clock.

/// Mounts the app on the page body.
pub fn start() {}
