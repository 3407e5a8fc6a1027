//! The seed's order chain as four services that only talk through Kafka: order_service,
//! payment_service, shipping_service and email_service, plus the order tracker and the `World`
//! that runs them on top of the engine.

pub mod model;
pub mod recent;
pub mod sequence;
pub mod tracker;
pub mod world;

pub use model::*;
pub use tracker::OrderTotals;
pub use tracker::{Hop, HopAction, OrderStage, OrderView, StuckReason};
pub use world::{
    InstanceView, LogEntry, LogEvent, OrderFocus, ServiceView, ServicesConfig, World, WorldConfig,
    WorldSnapshot,
};
