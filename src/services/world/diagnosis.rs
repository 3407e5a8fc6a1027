//! Why an order is stuck: every second the world checks its orders, and one without progress
//! for `stuck_after_ms` is flagged with the reason found in the engine's state.

use std::collections::BTreeMap;

use super::instance::Instance;
use super::World;
use crate::services::model::*;
use crate::services::tracker::{OrderStage, OrderView, StuckReason};
use crate::sim::{ClientId, Simulation, TopicPartition};

impl World {
    /// Flags the orders without progress for `stuck_after_ms`, at most once per second.
    pub(super) fn check_stuck(&mut self) {
        let now = self.now();
        if now < self.last_stuck_check + 1000 {
            return;
        }
        self.last_stuck_check = now;
        let after = self.config.services.stuck_after_ms;
        let sim = &self.sim;
        let instances = &self.instances;
        let order_producer = self.order_producer;
        self.tracker
            .check_stuck(now, after, |o| diagnose(sim, instances, order_producer, o));
    }
}

/// Why an order is not moving: the next service's state and its topic's partitions.
fn diagnose(
    sim: &Simulation,
    instances: &BTreeMap<ServiceKind, Vec<Instance>>,
    order_producer: Option<ClientId>,
    order: &OrderView,
) -> StuckReason {
    let (topic, service) = match order.stage {
        OrderStage::Created => {
            if order_producer.is_some_and(|p| !sim.client_online(p)) {
                return StuckReason::ServiceDown {
                    service: ServiceKind::OrderService.name().into(),
                };
            }
            (ORDER_CREATED, ServiceKind::OrderService)
        }
        OrderStage::Published => (ORDER_CREATED, ServiceKind::PaymentService),
        OrderStage::Paid => (PAYMENT_SUCCESSFUL, ServiceKind::ShippingService),
        OrderStage::Refused | OrderStage::Shipped => (DELIVERY_SHIPPED, ServiceKind::EmailService),
        _ => return StuckReason::Waiting,
    };
    if let Some(t) = sim.topic_by_name(topic) {
        let partition = crate::sim::murmur2::partition_for_key(
            order.order_id.to_string().as_bytes(),
            sim.topics()[t.0 as usize].config.partitions,
        );
        let tp = TopicPartition {
            topic: t,
            partition,
        };
        if sim.partition_state(tp).is_some_and(|s| s.leader.is_none()) {
            return StuckReason::PartitionOffline {
                partition: sim.partition_name(tp),
            };
        }
        if sim.partition_view(tp).under_min_isr {
            return StuckReason::ProduceFailing {
                error: "NOT_ENOUGH_REPLICAS".into(),
            };
        }
    }
    if service != ServiceKind::OrderService {
        let all_down = instances
            .get(&service)
            .is_none_or(|list| list.iter().all(|i| !sim.client_online(i.consumer)));
        if all_down {
            return StuckReason::ServiceDown {
                service: service.name().into(),
            };
        }
    }
    if let Some(e) = &order.publish_error {
        return StuckReason::ProduceFailing { error: e.clone() };
    }
    StuckReason::Waiting
}
