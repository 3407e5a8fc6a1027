//! How the world reacts to the engine: each event the engine emits moves records into an
//! instance's queue, ends a record's processing (publish the outcome, then commit), settles an
//! outcome in doubt, or is logged.

use serde::Serialize;

use super::instance::{InDoubt, Work, TOKEN_COMMIT_FLUSH};
use super::views::{LOG_KEPT_MAX, OUTBOX_KEPT_MAX};
use super::{LogEntry, LogEvent, World, TOKEN_AUTO_ORDER};
use crate::services::model::*;
use crate::services::sequence::Lifeline;
use crate::services::tracker::{Hop, HopAction, OrderStage};
use crate::sim::{
    ClientId, ConsumedRecord, Event, EventKind, NodeId, Offset, SendId, SimRng, SimTime,
    TopicPartition,
};

impl World {
    /// Reacts to every engine event, oldest first, including those the reactions cause.
    pub(super) fn process_events(&mut self) {
        // Messages sent before these events come first in the sequences.
        self.follow_tapped();
        while let Some(event) = self.sim.next_event() {
            if let Some(rec) = self.record_events.as_mut() {
                rec.push(event.clone());
            }
            self.on_event(event);
        }
        self.follow_tapped();
    }

    fn on_event(&mut self, event: Event) {
        let at = event.at;
        if let EventKind::RecordsDelivered { consumer, records } = event.kind {
            // The records move into the instance's queue (this event is not logged).
            if let Some((kind, i)) = self.instance_of(consumer) {
                let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
                inst.queue.extend(records);
                self.kick(kind, i);
            }
            return;
        }
        match &event.kind {
            EventKind::AppTimer { client, token } => {
                if Some(*client) == self.order_producer && *token == TOKEN_AUTO_ORDER {
                    let _ = self.create_order(None, None);
                    self.arm_auto_order();
                } else if let Some((kind, i)) = self.instance_of(*client) {
                    if *token == TOKEN_COMMIT_FLUSH {
                        self.instances.get_mut(&kind).expect("kind")[i].flush_armed = false;
                        self.maybe_commit(kind, i);
                    } else {
                        self.finish_processing(kind, i, *token);
                    }
                }
            }
            EventKind::ProduceAcked {
                send, tp, offset, ..
            } => {
                if let Some(order_id) = self.pending_orders.remove(send) {
                    self.note_hop(
                        order_id,
                        HopAction::Written,
                        *tp,
                        *offset,
                        ServiceKind::OrderService,
                        0,
                    );
                    self.tracker.published(order_id, at);
                    self.sequences.written(order_id, *tp, *offset);
                    self.log_order(order_id, OrderStage::Published);
                } else {
                    self.outcome_acked(*send, *tp, *offset);
                }
            }
            EventKind::ProduceFailed { send, error, .. } => {
                if let Some(order_id) = self.pending_orders.remove(send) {
                    self.tracker.publish_failed(order_id, error.name(), at);
                    self.log_order(order_id, OrderStage::PublishFailed);
                } else {
                    self.outcome_failed(*send);
                }
            }
            EventKind::ProduceAbandoned { send, .. } => {
                // order_service crashed before it learned whether the order was written.
                if let Some(order_id) = self.pending_orders.remove(send) {
                    self.tracker.publish_failed(
                        order_id,
                        "order_service crashed before the answer",
                        at,
                    );
                    self.log_order(order_id, OrderStage::PublishFailed);
                } else {
                    self.outcome_failed(*send);
                }
            }
            EventKind::OffsetsCommitted { consumer, offsets } => {
                if let Some((kind, i)) = self.instance_of(*consumer) {
                    let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
                    for (tp, o) in offsets {
                        let c = inst.confirmed.entry(*tp).or_insert(*o);
                        *c = (*c).max(*o);
                    }
                }
            }
            EventKind::CommitFailed { consumer, .. } => {
                // The commit is sent again (at the next commit interval) unless the partitions
                // were revoked meanwhile: a failed commit must not leave offsets uncommitted.
                if let Some((kind, i)) = self.instance_of(*consumer) {
                    let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
                    inst.committed = inst.confirmed.clone();
                    self.maybe_commit(kind, i);
                }
            }
            EventKind::PartitionsRevoked { consumer } => {
                if let Some((kind, i)) = self.instance_of(*consumer) {
                    let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
                    let busy_order = inst.busy.as_ref().and_then(|w| w.order);
                    inst.forget_progress();
                    let who = Lifeline::service(kind, i);
                    self.sequences
                        .abandoned(busy_order, who, NodeId::Client(*consumer), at);
                }
            }
            _ => {}
        }
        if is_logged(&event.kind) {
            self.push_log(LogEntry {
                at,
                event: LogEvent::Engine { kind: event.kind },
            });
        }
    }

    fn push_log(&mut self, entry: LogEntry) {
        if let Some(rec) = self.record_service_events.as_mut() {
            if !matches!(entry.event, LogEvent::Engine { .. }) {
                rec.push(entry.clone());
            }
        }
        if self.log.len() >= LOG_KEPT_MAX {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }

    pub(super) fn log_order(&mut self, order_id: u64, stage: OrderStage) {
        let at = self.now();
        self.push_log(LogEntry {
            at,
            event: LogEvent::Order { order_id, stage },
        });
    }

    fn instance_of(&self, client: ClientId) -> Option<(ServiceKind, usize)> {
        self.instances.iter().find_map(|(kind, list)| {
            list.iter()
                .position(|i| i.consumer == client)
                .map(|i| (*kind, i))
        })
    }

    fn processing_ms(&self, kind: ServiceKind) -> SimTime {
        let s = &self.config.services;
        match kind {
            ServiceKind::PaymentService => s.payment_processing_ms,
            ServiceKind::ShippingService => s.shipping_processing_ms,
            _ => s.email_processing_ms,
        }
    }

    /// Starts the next queued record if the instance is idle.
    fn kick(&mut self, kind: ServiceKind, i: usize) {
        let delay = self.processing_ms(kind);
        let token = self.next_token;
        let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
        if inst.busy.is_some() || !self.sim.client_online(inst.consumer) {
            return;
        }
        if let Some(record) = inst.queue.pop_front() {
            self.next_token += 1;
            let (tp, offset, order) = (record.tp, record.offset, order_id_of(&record.value));
            inst.busy = Some(Work {
                record,
                token,
                order,
            });
            let consumer = inst.consumer;
            self.sim.set_app_timer(consumer, delay, token);
            if let Some(order_id) = order {
                self.note_hop(order_id, HopAction::Read, tp, offset, kind, i);
                let now = self.now();
                let who = Lifeline::service(kind, i);
                self.sequences
                    .processing(order_id, who, (tp, offset), now, now + delay);
            }
        }
    }

    /// Commits what is safe to commit, at most once per commit interval; a flush timer commits
    /// the rest.
    fn maybe_commit(&mut self, kind: ServiceKind, i: usize) {
        let now = self.now();
        let interval = self.config.services.commit_interval_ms;
        let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
        if inst.flush_armed && now < inst.last_commit_at + interval {
            // The flush timer will commit whatever is committable then.
            return;
        }
        let offsets = inst.committable();
        if offsets.is_empty() {
            return;
        }
        let due = inst.last_commit_at + interval;
        if now < due {
            if !inst.flush_armed {
                inst.flush_armed = true;
                let consumer = inst.consumer;
                self.sim
                    .set_app_timer(consumer, due - now, TOKEN_COMMIT_FLUSH);
            }
            return;
        }
        inst.last_commit_at = now;
        for (tp, o) in &offsets {
            inst.committed.insert(*tp, *o);
        }
        let consumer = inst.consumer;
        self.sim.commit(consumer, offsets);
    }

    fn finish_processing(&mut self, kind: ServiceKind, i: usize, token: u64) {
        let now = self.now();
        let Some(work) = self.instances[&kind][i].busy.clone() else {
            return;
        };
        if work.token != token {
            return;
        }
        let record = work.record;
        let topic = self.sim.topics()[record.tp.topic.0 as usize].name.clone();
        let Some(order_id) = work.order else {
            // Not an order event: nothing to do but move on.
            return self.record_done(kind, i);
        };
        let store = self.stores.entry(kind).or_default();
        let outcome: Option<(String, String)> = match kind {
            ServiceKind::PaymentService => {
                let first = !store.done.contains_key(&order_id);
                let ok = if first {
                    let refused = self.config.services.payment_failure_rate > 0.0
                        && SimRng::child(self.seed ^ 0x5eed, order_id)
                            .chance(self.config.services.payment_failure_rate);
                    store.done.insert(order_id, !refused);
                    if refused {
                        self.tracker.refused(order_id, now);
                        self.log_order(order_id, OrderStage::Refused);
                    } else {
                        self.tracker.paid(order_id, now);
                        self.log_order(order_id, OrderStage::Paid);
                    }
                    !refused
                } else {
                    self.note_duplicate(kind, i, order_id, &record);
                    self.stores[&kind]
                        .done
                        .get(&order_id)
                        .copied()
                        .unwrap_or(true)
                };
                let total = serde_json::from_str::<OrderCreated>(&record.value)
                    .map(|o| o.total)
                    .unwrap_or(0);
                Some(if ok {
                    (
                        PAYMENT_SUCCESSFUL.into(),
                        json(&PaymentSuccessful {
                            order_id,
                            amount: total,
                        }),
                    )
                } else {
                    (
                        PAYMENT_FAILED.into(),
                        json(&PaymentFailed {
                            order_id,
                            reason: "card declined".into(),
                        }),
                    )
                })
            }
            ServiceKind::ShippingService => {
                if store.done.insert(order_id, true).is_none() {
                    self.tracker.shipped(order_id, now);
                    self.log_order(order_id, OrderStage::Shipped);
                } else {
                    self.note_duplicate(kind, i, order_id, &record);
                }
                let carrier = ["Colissimo", "Chronopost", "DHL"][(order_id % 3) as usize];
                Some((
                    DELIVERY_SHIPPED.into(),
                    json(&DeliveryShipped {
                        order_id,
                        carrier: carrier.into(),
                        tracking_number: format!("TRK{:08}", order_id * 7919 % 100_000_000),
                    }),
                ))
            }
            ServiceKind::EmailService => {
                let step = match &*topic {
                    ORDER_CREATED => EmailStep::OrderConfirmed,
                    PAYMENT_SUCCESSFUL => EmailStep::PaymentReceived,
                    PAYMENT_FAILED => EmailStep::PaymentRefused,
                    _ => EmailStep::Shipped,
                };
                if store.emails.insert((order_id, step), ()).is_none() {
                    let user_id = self.tracker.order(order_id).map_or(0, |o| o.user_id);
                    if self.outbox.len() >= OUTBOX_KEPT_MAX {
                        self.outbox.pop_front();
                    }
                    self.outbox.push_back(Email {
                        order_id,
                        user_id,
                        step,
                        sent_at: now,
                    });
                    self.tracker.emailed(order_id, step, now);
                    self.sequences.emailed(order_id, i, step, now);
                    let completed = self
                        .tracker
                        .order(order_id)
                        .is_some_and(|o| o.stage == OrderStage::Completed);
                    if completed {
                        self.log_order(order_id, OrderStage::Completed);
                    }
                } else {
                    self.note_duplicate(kind, i, order_id, &record);
                }
                None
            }
            ServiceKind::OrderService => None,
        };
        if let Some((topic, value)) = outcome {
            if !self.stores[&kind].published.contains_key(&order_id) {
                let doubt = InDoubt {
                    record: record.clone(),
                    order_id,
                    topic,
                    value,
                };
                self.publish(kind, i, doubt);
            }
        }
        self.record_done(kind, i);
    }

    /// Adds a hop to the order's path, with the partition's leader now.
    fn note_hop(
        &mut self,
        order_id: u64,
        action: HopAction,
        tp: TopicPartition,
        offset: Offset,
        service: ServiceKind,
        instance: usize,
    ) {
        let hop = Hop {
            at: self.now(),
            action,
            tp,
            offset,
            broker: self.sim.partition_state(tp).and_then(|s| s.leader),
            service,
            instance,
        };
        self.tracker.hop(order_id, hop);
    }

    fn note_duplicate(
        &mut self,
        kind: ServiceKind,
        i: usize,
        order_id: u64,
        record: &ConsumedRecord,
    ) {
        self.tracker
            .mark_duplicate(order_id, kind, record.tp, record.offset);
        let who = Lifeline::service(kind, i);
        self.sequences.duplicate(order_id, who);
        self.stores.entry(kind).or_default().duplicates_suppressed += 1;
        let at = self.now();
        self.push_log(LogEntry {
            at,
            event: LogEvent::DuplicateIgnored {
                service: kind,
                order_id,
            },
        });
    }

    /// Publishes an outcome; it stays in doubt (and its record uncommitted) until acknowledged.
    fn publish(&mut self, kind: ServiceKind, i: usize, doubt: InDoubt) {
        let inst = &self.instances[&kind][i];
        let (Some(producer), Some(topic_id)) =
            (inst.producer, self.sim.topic_by_name(&doubt.topic))
        else {
            return;
        };
        let key = doubt.order_id.to_string();
        // A send refused at once (producer down) leaves the record uncommitted: it is delivered
        // again after the restart or to the member that takes the partition.
        if let Ok(send) = self.sim.send(producer, topic_id, Some(&key), &doubt.value) {
            self.instances.get_mut(&kind).expect("kind")[i]
                .in_doubt
                .insert(send, doubt);
        }
    }

    fn find_in_doubt(&self, send: SendId) -> Option<(ServiceKind, usize)> {
        self.instances.iter().find_map(|(kind, list)| {
            list.iter()
                .position(|inst| inst.in_doubt.contains_key(&send))
                .map(|i| (*kind, i))
        })
    }

    fn outcome_acked(&mut self, send: SendId, tp: TopicPartition, offset: Offset) {
        let Some((kind, i)) = self.find_in_doubt(send) else {
            return;
        };
        let doubt = self.instances.get_mut(&kind).expect("kind")[i]
            .in_doubt
            .remove(&send);
        if let Some(d) = doubt {
            self.note_hop(d.order_id, HopAction::Written, tp, offset, kind, i);
            self.sequences.written(d.order_id, tp, offset);
            self.stores
                .entry(kind)
                .or_default()
                .published
                .insert(d.order_id, ());
        }
        self.maybe_commit(kind, i);
    }

    fn outcome_failed(&mut self, send: SendId) {
        let Some((kind, i)) = self.find_in_doubt(send) else {
            return;
        };
        // The send failed for good: publish again (the record is still uncommitted).
        let doubt = self.instances.get_mut(&kind).expect("kind")[i]
            .in_doubt
            .remove(&send);
        if let Some(d) = doubt {
            self.publish(kind, i, d);
        }
    }

    /// The record is processed (its outcome maybe still in doubt): count it, maybe crash
    /// (fault injection: after processing, before committing), then take the next one.
    fn record_done(&mut self, kind: ServiceKind, i: usize) {
        let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
        let Some(work) = inst.busy.take() else { return };
        let next = work.record.offset + 1;
        let consumer = inst.consumer;
        if let Some(order_id) = work.order {
            let who = Lifeline::service(kind, i);
            let (record, now) = ((work.record.tp, work.record.offset), self.sim.now());
            self.sequences
                .processed(order_id, who, NodeId::Client(consumer), record, now);
        }
        let inst = &mut self.instances.get_mut(&kind).expect("kind")[i];
        inst.processed += 1;
        let upto = inst.processed_upto.entry(work.record.tp).or_insert(next);
        *upto = (*upto).max(next);
        self.sim.acknowledge(consumer, work.record.tp, next);
        if inst.crash_after_next {
            let _ = self.crash_instance(kind, i);
            return;
        }
        self.kick(kind, i);
        self.maybe_commit(kind, i);
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The `order_id` field of a JSON record value.
pub(super) fn order_id_of(value: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct HasOrder {
        order_id: u64,
    }
    serde_json::from_str::<HasOrder>(value)
        .ok()
        .map(|h| h.order_id)
}

fn is_logged(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::RecordsDelivered { .. }
            | EventKind::ProduceAcked { .. }
            | EventKind::ProduceSentUnacknowledged { .. }
            | EventKind::AppTimer { .. }
            | EventKind::OffsetsCommitted { .. }
            | EventKind::MessageDropped { .. }
            | EventKind::OffsetReset { .. }
    )
}
