//! Kafka Sandbox: a simulated Apache Kafka cluster that runs in the browser and draws itself.
//!
//! - [`sim`]: the deterministic engine (brokers, replication, controller, clients, groups).
//! - [`services`]: the order chain of the seed (order, payment, shipping, email services).
//! - [`scenario`]: scenario files, the headless runner and reports.
//! - `ui` (wasm only): the yew page.

pub mod scenario;
pub mod services;
pub mod sim;
#[cfg(target_arch = "wasm32")]
pub mod ui;

/// In the browser, Talc replaces the default dlmalloc: as fast for this engine, and 4 KB smaller
/// in the gzipped `.wasm`, whose budget is tight.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
