//! The dispatch: hands a delivered message or a fired timer to its node (if that node is up and,
//! for a timer, still the incarnation that set it) and applies the effects the node returns.

use super::{NodeTimer, Simulation};
use crate::sim::broker::{Broker, BrokerTimer};
use crate::sim::client::{ClientEnv, Consumer, ConsumerTimer, Producer, ProducerTimer};
use crate::sim::controller::{Controller, ControllerTimer};
use crate::sim::events::EventKind;
use crate::sim::network::{DropReason, Message};
use crate::sim::node::{Context, Outbox};
use crate::sim::types::{BrokerId, ClientId, ControllerId, NodeId};

/// Runs one call into a node with a fresh outbox, then applies its effects in order.
/// `$node` is a mutable place expression for the node, `$kind` its outbox field, `$wrap` turns
/// the node's timer into a queued [`NodeTimer`] (it gets the node's incarnation after the call).
macro_rules! dispatch {
    ($sim:ident, $kind:ident, $from:expr, $node:expr, |$n:ident, $ctx:ident, $out:ident| $call:expr, $wrap:expr) => {{
        let mut $out = std::mem::take(&mut $sim.outboxes.$kind);
        $out.reset($sim.now, $sim.next_seq);
        let incarnation = {
            let $ctx = Context {
                config: &$sim.config,
                topics: &$sim.topics,
            };
            let $n = $node;
            $call;
            $n.incarnation()
        };
        let wrap = $wrap;
        $sim.apply($from, &mut $out, |t| wrap(incarnation, t));
        $sim.outboxes.$kind = $out;
    }};
}

impl Simulation {
    pub(super) fn with_controller(
        &mut self,
        c: ControllerId,
        f: impl FnOnce(&mut Controller, &Context, &mut Outbox<ControllerTimer>),
    ) {
        dispatch!(
            self,
            controller,
            NodeId::Controller(c),
            &mut self.controllers[c.0 as usize - 1],
            |n, ctx, out| f(n, &ctx, &mut out),
            |incarnation, timer| NodeTimer::Controller {
                controller: c,
                incarnation,
                timer
            }
        );
    }

    pub(super) fn with_broker(
        &mut self,
        b: BrokerId,
        f: impl FnOnce(&mut Broker, &Context, &mut Outbox<BrokerTimer>),
    ) {
        dispatch!(
            self,
            broker,
            NodeId::Broker(b),
            self.brokers.get_mut(&b).expect("broker exists"),
            |n, ctx, out| f(n, &ctx, &mut out),
            |incarnation, timer| NodeTimer::Broker {
                broker: b,
                incarnation,
                timer
            }
        );
    }

    pub(super) fn with_producer(
        &mut self,
        c: ClientId,
        f: impl FnOnce(&mut Producer, &Context, &mut ClientEnv, &mut Outbox<ProducerTimer>),
    ) {
        let env = &mut self.client_env;
        dispatch!(
            self,
            producer,
            NodeId::Client(c),
            self.producers.get_mut(&c).expect("producer exists"),
            |n, ctx, out| f(n, &ctx, env, &mut out),
            |incarnation, timer| NodeTimer::Producer {
                client: c,
                incarnation,
                timer
            }
        );
    }

    pub(super) fn with_consumer(
        &mut self,
        c: ClientId,
        f: impl FnOnce(&mut Consumer, &Context, &mut ClientEnv, &mut Outbox<ConsumerTimer>),
    ) {
        let env = &mut self.client_env;
        dispatch!(
            self,
            consumer,
            NodeId::Client(c),
            self.consumers.get_mut(&c).expect("consumer exists"),
            |n, ctx, out| f(n, &ctx, env, &mut out),
            |incarnation, timer| NodeTimer::Consumer {
                client: c,
                incarnation,
                timer
            }
        );
    }

    #[inline(always)]
    pub(super) fn node_up(&self, node: NodeId) -> bool {
        match node {
            NodeId::Controller(c) => self.controller(c).is_some_and(Controller::online),
            NodeId::Broker(b) => self.brokers.get(&b).is_some_and(|b| b.online()),
            NodeId::Client(c) => self
                .producers
                .get(&c)
                .map(|p| p.online())
                .or_else(|| self.consumers.get(&c).map(|c| c.online()))
                .unwrap_or(false),
        }
    }

    pub(super) fn deliver(&mut self, msg: Message) {
        if !self.links.connected(msg.from, msg.to) {
            self.record_drop(msg, DropReason::LinkCut);
            return;
        }
        let now = self.now;
        if !self.node_up(msg.to) {
            let (from, msg_to, payload) = (msg.from, msg.to, msg.payload.clone());
            self.record_drop(msg, DropReason::NodeDown);
            // The sender's connection is refused at once: it need not wait for a timeout.
            match from {
                NodeId::Client(c) if self.node_up(from) => {
                    if self.producers.contains_key(&c) {
                        self.with_producer(c, |p, ctx, env, out| {
                            p.handle_unreachable(now, payload, ctx, env, out)
                        });
                    } else {
                        self.with_consumer(c, |k, ctx, env, out| {
                            k.handle_unreachable(payload, ctx, env, out)
                        });
                    }
                }
                NodeId::Broker(b) if self.node_up(from) => {
                    let to = msg_to;
                    self.with_broker(b, |broker, ctx, out| {
                        broker.handle_unreachable(now, to, payload, ctx, out)
                    });
                }
                _ => {}
            }
            return;
        }
        self.counters.messages_delivered += 1;
        if let Some(tap) = self.tap.as_mut() {
            tap.arrived(msg.id, now, &msg.payload);
        }
        self.mix(msg.payload.kind() as u64);
        let (from, payload) = (msg.from, msg.payload);
        match msg.to {
            NodeId::Controller(c) => self.with_controller(c, |n, ctx, out| {
                n.handle_message(now, from, payload, ctx, out)
            }),
            NodeId::Broker(b) => self.with_broker(b, |broker, ctx, out| {
                broker.handle_message(now, from, payload, ctx, out)
            }),
            NodeId::Client(c) if self.producers.contains_key(&c) => self
                .with_producer(c, |p, ctx, env, out| {
                    p.handle_message(now, from, payload, ctx, env, out)
                }),
            NodeId::Client(c) => self.with_consumer(c, |k, ctx, env, out| {
                k.handle_message(now, from, payload, ctx, env, out)
            }),
        }
    }

    pub(super) fn fire(&mut self, timer: NodeTimer) {
        let now = self.now;
        match timer {
            NodeTimer::Controller {
                controller,
                incarnation,
                timer,
            } => {
                let live = self
                    .controller(controller)
                    .is_some_and(|c| c.online() && c.incarnation() == incarnation);
                if live {
                    self.with_controller(controller, |c, ctx, out| {
                        c.handle_timer(now, timer, ctx, out)
                    });
                }
            }
            NodeTimer::Broker {
                broker,
                incarnation,
                timer,
            } => {
                let live = self
                    .brokers
                    .get(&broker)
                    .is_some_and(|b| b.online() && b.incarnation() == incarnation);
                if live {
                    self.with_broker(broker, |b, ctx, out| b.handle_timer(now, timer, ctx, out));
                }
            }
            NodeTimer::Producer {
                client,
                incarnation,
                timer,
            } => {
                if self.client_incarnation(client) == Some(incarnation) {
                    self.with_producer(client, |p, ctx, env, out| {
                        p.handle_timer(now, timer, ctx, env, out)
                    });
                }
            }
            NodeTimer::Consumer {
                client,
                incarnation,
                timer,
            } => {
                if self.client_incarnation(client) == Some(incarnation) {
                    self.with_consumer(client, |k, ctx, env, out| {
                        k.handle_timer(now, timer, ctx, env, out)
                    });
                }
            }
            NodeTimer::App {
                client,
                incarnation,
                token,
            } => {
                if self.client_incarnation(client) == Some(incarnation) {
                    self.emit(EventKind::AppTimer { client, token });
                }
            }
        }
    }

    /// The running incarnation of client `c`, if it runs.
    pub(super) fn client_incarnation(&self, c: ClientId) -> Option<u32> {
        if let Some(p) = self.producers.get(&c) {
            return p.online().then_some(p.incarnation());
        }
        self.consumers
            .get(&c)
            .filter(|k| k.online())
            .map(|k| k.incarnation())
    }
}
