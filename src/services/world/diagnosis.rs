//! Why an order is stuck: every second the world checks its orders, and one without progress
//! for `stuck_after_ms` is flagged with the reason found in the engine's state.

use crate::sim::sorted_map::SortedMap;

use super::instance::Instance;
use super::World;
use crate::services::model::*;
use crate::services::tracker::{OrderStage, OrderView, StuckReason};
use crate::sim::{Acks, ClientId, Simulation, TopicPartition};

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
        let acks = self.config.sim.producer.acks;
        self.tracker.check_stuck(now, after, |o| {
            diagnose(sim, instances, order_producer, acks, o)
        });
    }
}

/// Why an order is not moving: the partition its next service reads, that service, and the
/// partitions it writes to.
fn diagnose(
    sim: &Simulation,
    instances: &SortedMap<ServiceKind, Vec<Instance>>,
    order_producer: Option<ClientId>,
    acks: Acks,
    order: &OrderView,
) -> StuckReason {
    use OrderStage::*;
    // (topic the next service reads, the service, topics it writes)
    let (input, service, outputs): (Option<&str>, ServiceKind, &[&str]) = match order.stage {
        Created => {
            if order_producer.is_some_and(|p| !sim.client_online(p)) {
                return StuckReason::ServiceDown {
                    service: ServiceKind::OrderService.name().into(),
                };
            }
            (None, ServiceKind::OrderService, &[ORDER_CREATED])
        }
        Published => (
            Some(ORDER_CREATED),
            ServiceKind::PaymentService,
            &[PAYMENT_SUCCESSFUL, PAYMENT_FAILED],
        ),
        Paid => (
            Some(PAYMENT_SUCCESSFUL),
            ServiceKind::ShippingService,
            &[DELIVERY_SHIPPED],
        ),
        Refused => (Some(PAYMENT_FAILED), ServiceKind::EmailService, &[]),
        Shipped => (Some(DELIVERY_SHIPPED), ServiceKind::EmailService, &[]),
        _ => return StuckReason::Waiting,
    };
    let partition_of = |topic: &str| {
        let t = sim.topic_by_name(topic)?;
        let partition = crate::sim::murmur2::partition_for_key(
            order.order_id.to_string().as_bytes(),
            sim.topics()[t.0 as usize].config.partitions,
        );
        Some(TopicPartition {
            topic: t,
            partition,
        })
    };
    let offline = |tp: TopicPartition| sim.partition_state(tp).is_some_and(|s| s.leader.is_none());
    if let Some(tp) = input.and_then(partition_of) {
        if offline(tp) {
            return StuckReason::PartitionOffline {
                partition: sim.partition_name(tp),
            };
        }
        // Kafka 3.7+: below min.insync.replicas the HW stays, so nobody reads further.
        if sim.partition_view(tp).under_min_isr {
            return StuckReason::HighWatermarkFrozen {
                partition: sim.partition_name(tp),
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
    for tp in outputs.iter().filter_map(|t| partition_of(t)) {
        if offline(tp) {
            return StuckReason::PartitionOffline {
                partition: sim.partition_name(tp),
            };
        }
        // Only acks=all writes are refused below min.insync.replicas.
        if acks == Acks::All && sim.partition_view(tp).under_min_isr {
            return StuckReason::ProduceFailing {
                error: "NOT_ENOUGH_REPLICAS".into(),
            };
        }
    }
    if let Some(e) = &order.publish_error {
        return StuckReason::ProduceFailing { error: e.clone() };
    }
    StuckReason::Waiting
}
