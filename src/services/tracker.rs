//! The order tracker: per order, when it was created, paid or refused, shipped and emailed, its
//! end-to-end latency, and why it is stuck when it makes no progress.

use crate::sim::sorted_map::SortedMap;
use serde::Serialize;
use std::rc::Rc;

use super::model::{EmailStep, ServiceKind};
use crate::sim::{BrokerId, Offset, SimTime, TopicPartition};

/// Hops kept per order (a redelivery storm adds more; the first ones tell the story).
pub const HOPS_MAX: usize = 24;

/// What happened to one of an order's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopAction {
    /// The leader acknowledged the record a service published.
    Written,
    /// A service instance took the record to process it.
    Read,
    /// A service instance got the record again and recognised it (redelivery).
    DuplicateIgnored,
}

/// One step of an order through Kafka: a record of it written or read, where and by whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// When.
    pub at: SimTime,
    /// What.
    pub action: HopAction,
    /// The record's partition.
    pub tp: TopicPartition,
    /// Its offset.
    pub offset: Offset,
    /// The partition's leader then (the broker that acknowledged or served it).
    pub broker: Option<BrokerId>,
    /// The service that wrote or read it.
    pub service: ServiceKind,
    /// Its instance (0-based).
    pub instance: usize,
}

/// Finished orders kept in detail; older finished ones only count in the totals.
pub const ORDERS_KEPT_MAX: usize = 2000;

/// Unfinished orders followed at most (a chain broken for hours at a high rate stops here).
pub const OPEN_ORDERS_MAX: usize = 200_000;

/// How far an order has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStage {
    /// Created; `order.created` not yet acknowledged.
    Created,
    /// `order.created` acknowledged by Kafka.
    Published,
    /// Payment succeeded.
    Paid,
    /// Payment refused.
    Refused,
    /// Shipped.
    Shipped,
    /// Every email sent: nothing more will happen.
    Completed,
    /// `order.created` could not be published.
    PublishFailed,
}

/// Why an order makes no progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum StuckReason {
    /// The partition its next record lives on has no leader.
    PartitionOffline {
        /// `topic-N`.
        partition: String,
    },
    /// The partition the next service reads has fewer in-sync replicas than
    /// min.insync.replicas: its high watermark does not move, so the record cannot be read.
    HighWatermarkFrozen {
        /// `topic-N`.
        partition: String,
    },
    /// Every instance of the service that should act is down.
    ServiceDown {
        /// The service.
        service: String,
    },
    /// Producing keeps failing.
    ProduceFailing {
        /// The last error.
        error: String,
    },
    /// Nothing obvious: waiting on timeouts or a rebalance.
    Waiting,
}

/// One order's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderView {
    /// Order id.
    pub order_id: u64,
    /// Customer.
    pub user_id: u64,
    /// Total in cents.
    pub total: u64,
    /// Current stage.
    pub stage: OrderStage,
    /// Created at.
    pub created_at: SimTime,
    /// `order.created` acknowledged at.
    pub published_at: Option<SimTime>,
    /// Paid at.
    pub paid_at: Option<SimTime>,
    /// Refused at.
    pub refused_at: Option<SimTime>,
    /// Shipped at.
    pub shipped_at: Option<SimTime>,
    /// Emails sent, with times.
    pub emails: Vec<(EmailStep, SimTime)>,
    /// Its records written and read, in order (at most [`HOPS_MAX`]).
    pub hops: Vec<Hop>,
    /// Why publishing failed, if it did.
    pub publish_error: Option<String>,
    /// Created to last email, once completed.
    pub latency_ms: Option<SimTime>,
    /// Last time something happened to it.
    pub last_progress_at: SimTime,
    /// Set when it made no progress for the configured time.
    pub stuck: Option<StuckReason>,
}

impl OrderView {
    /// Emails an order must get: confirmation, then payment received and shipped, or refused.
    pub fn expected_emails(&self) -> usize {
        if self.refused_at.is_some() {
            2
        } else {
            3
        }
    }

    /// Whether nothing more will happen to it.
    pub fn is_done(&self) -> bool {
        matches!(
            self.stage,
            OrderStage::Completed | OrderStage::PublishFailed
        )
    }
}

/// Totals over every order ever created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OrderTotals {
    /// Orders created.
    pub created: u64,
    /// Orders paid.
    pub paid: u64,
    /// Orders refused.
    pub refused: u64,
    /// Orders shipped.
    pub shipped: u64,
    /// Emails sent.
    pub emails_sent: u64,
    /// Orders completed.
    pub completed: u64,
    /// Orders whose publish failed.
    pub publish_failed: u64,
    /// Sum of completed latencies (ms), for the mean.
    pub latency_sum_ms: u64,
}

/// Keeps the timelines.
#[derive(Clone, Debug, Default)]
pub struct OrderTracker {
    /// Shared with a cloned world until one of them changes the order.
    orders: SortedMap<u64, Rc<OrderView>>,
    totals: OrderTotals,
}

impl OrderTracker {
    /// Registers a new order.
    pub fn created(&mut self, order_id: u64, user_id: u64, total: u64, at: SimTime) {
        self.totals.created += 1;
        self.orders.insert(
            order_id,
            Rc::new(OrderView {
                order_id,
                user_id,
                total,
                stage: OrderStage::Created,
                created_at: at,
                published_at: None,
                paid_at: None,
                refused_at: None,
                shipped_at: None,
                emails: Vec::new(),
                hops: Vec::new(),
                publish_error: None,
                latency_ms: None,
                last_progress_at: at,
                stuck: None,
            }),
        );
        self.evict();
    }

    /// Forgets the oldest finished orders beyond [`ORDERS_KEPT_MAX`]; unfinished ones stay so
    /// their progress still counts (up to [`OPEN_ORDERS_MAX`]).
    fn evict(&mut self) {
        if self.orders.len() <= ORDERS_KEPT_MAX {
            return;
        }
        let excess = self.orders.len() - ORDERS_KEPT_MAX;
        let done: Vec<u64> = self
            .orders
            .values()
            .filter(|o| o.is_done())
            .take(excess)
            .map(|o| o.order_id)
            .collect();
        for id in done {
            self.orders.remove(&id);
        }
        while self.orders.len() > OPEN_ORDERS_MAX + ORDERS_KEPT_MAX {
            self.orders.pop_first();
        }
    }

    fn touch(&mut self, order_id: u64, at: SimTime, f: impl FnOnce(&mut OrderView)) {
        if let Some(o) = self.orders.get_mut(&order_id).map(Rc::make_mut) {
            f(o);
            o.last_progress_at = at;
            o.stuck = None;
        }
    }

    /// A record of the order was written or read (not progress by itself: a redelivery loop
    /// must still look stuck).
    pub fn hop(&mut self, order_id: u64, hop: Hop) {
        if let Some(o) = self.orders.get_mut(&order_id).map(Rc::make_mut) {
            if o.hops.len() < HOPS_MAX {
                o.hops.push(hop);
            }
        }
    }

    /// The record `service` read at `tp`@`offset` was a redelivery it recognised.
    pub fn mark_duplicate(
        &mut self,
        order_id: u64,
        service: ServiceKind,
        tp: TopicPartition,
        offset: Offset,
    ) {
        if let Some(h) = self.orders.get_mut(&order_id).and_then(|o| {
            Rc::make_mut(o).hops.iter_mut().rev().find(|h| {
                h.action == HopAction::Read
                    && h.service == service
                    && h.tp == tp
                    && h.offset == offset
            })
        }) {
            h.action = HopAction::DuplicateIgnored;
        }
    }

    /// `order.created` was acknowledged.
    pub fn published(&mut self, order_id: u64, at: SimTime) {
        self.touch(order_id, at, |o| {
            o.published_at.get_or_insert(at);
            if o.stage == OrderStage::Created {
                o.stage = OrderStage::Published;
            }
        });
    }

    /// `order.created` could not be published.
    pub fn publish_failed(&mut self, order_id: u64, error: &str, at: SimTime) {
        self.totals.publish_failed += 1;
        self.touch(order_id, at, |o| {
            o.publish_error = Some(error.to_string());
            o.stage = OrderStage::PublishFailed;
        });
    }

    /// payment_service charged the order (called once per order).
    pub fn paid(&mut self, order_id: u64, at: SimTime) {
        self.totals.paid += 1;
        self.touch(order_id, at, |o| {
            o.paid_at = Some(at);
            o.stage = o.stage.max(OrderStage::Paid);
        });
    }

    /// payment_service refused the order (called once per order).
    pub fn refused(&mut self, order_id: u64, at: SimTime) {
        self.totals.refused += 1;
        self.touch(order_id, at, |o| {
            o.refused_at = Some(at);
            o.stage = OrderStage::Refused;
        });
    }

    /// shipping_service shipped the order (called once per order).
    pub fn shipped(&mut self, order_id: u64, at: SimTime) {
        self.totals.shipped += 1;
        self.touch(order_id, at, |o| {
            o.shipped_at = Some(at);
            o.stage = o.stage.max(OrderStage::Shipped);
        });
    }

    /// email_service sent an email (called once per order and step).
    pub fn emailed(&mut self, order_id: u64, step: EmailStep, at: SimTime) {
        self.totals.emails_sent += 1;
        let mut completed = None;
        self.touch(order_id, at, |o| {
            o.emails.push((step, at));
            let chain_done = o.refused_at.is_some() || o.shipped_at.is_some();
            if chain_done
                && o.emails.len() >= o.expected_emails()
                && o.stage != OrderStage::Completed
            {
                o.stage = OrderStage::Completed;
                o.latency_ms = Some(at - o.created_at);
                completed = o.latency_ms;
            }
        });
        if let Some(latency) = completed {
            self.totals.completed += 1;
            self.totals.latency_sum_ms += latency;
            self.evict();
        }
    }

    /// Flags orders without progress for `after_ms`, asking `diagnose` why.
    pub fn check_stuck(
        &mut self,
        now: SimTime,
        after_ms: SimTime,
        mut diagnose: impl FnMut(&OrderView) -> StuckReason,
    ) {
        for o in self.orders.values_mut() {
            if !o.is_done()
                && o.stuck.is_none()
                && now.saturating_sub(o.last_progress_at) >= after_ms
            {
                Rc::make_mut(o).stuck = Some(diagnose(o));
            }
        }
    }

    /// Orders kept in detail, oldest first.
    pub fn orders(&self) -> impl DoubleEndedIterator<Item = &OrderView> {
        self.orders.values().map(|o| &**o)
    }

    /// One order.
    pub fn order(&self, id: u64) -> Option<&OrderView> {
        self.orders.get(&id).map(|o| &**o)
    }

    /// Totals.
    pub fn totals(&self) -> &OrderTotals {
        &self.totals
    }

    /// Bytes this tracker adds to a set of clones whose shared orders are in `seen`.
    pub fn footprint(&self, seen: &mut std::collections::HashSet<usize>) -> usize {
        let mut bytes = 0;
        for o in self.orders.values() {
            bytes += 48;
            if seen.insert(Rc::as_ptr(o) as usize) {
                bytes += std::mem::size_of::<OrderView>()
                    + o.hops.capacity() * std::mem::size_of::<Hop>()
                    + o.emails.capacity() * 16;
            }
        }
        bytes
    }

    /// Orders kept in detail that are flagged stuck.
    pub fn stuck_count(&self) -> usize {
        self.orders.values().filter(|o| o.stuck.is_some()).count()
    }
}
