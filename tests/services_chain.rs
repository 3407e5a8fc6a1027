#![cfg(not(target_arch = "wasm32"))]
//! The order chain of the seed, end to end through the engine.

use kafka_sandbox::services::*;
use kafka_sandbox::sim::*;

fn world(timing: TimingPreset, seed: u64) -> World {
    World::new(WorldConfig::default_for(timing), seed).expect("default world is valid")
}

/// Every order got exactly one payment, one shipment and its emails, in chain order.
fn assert_chain_complete(w: &World, orders: u64) {
    let totals = w.order_totals();
    assert_eq!(totals.created, orders, "created");
    assert_eq!(totals.completed, orders, "completed: {totals:?}");
    for o in w.orders() {
        assert_eq!(
            o.stage,
            OrderStage::Completed,
            "order {} is {:?}",
            o.order_id,
            o.stage
        );
        if o.refused_at.is_some() {
            assert!(
                o.shipped_at.is_none(),
                "refused order {} shipped",
                o.order_id
            );
            assert_eq!(o.emails.len(), 2, "order {} emails", o.order_id);
        } else {
            let (paid, shipped) = (o.paid_at.unwrap(), o.shipped_at.unwrap());
            assert!(
                o.created_at <= paid && paid <= shipped,
                "order {} out of order",
                o.order_id
            );
            assert_eq!(
                o.emails.len(),
                3,
                "order {} emails {:?}",
                o.order_id,
                o.emails
            );
        }
    }
}

#[test]
fn two_hundred_orders_complete_exactly_once_without_faults() {
    let mut w = world(TimingPreset::Kafka, 1);
    w.advance_to(5_000);
    for _ in 0..200 {
        w.create_order(None, None).unwrap();
        let t = w.now() + 10;
        w.advance_to(t);
    }
    w.advance_to(w.now() + 30_000);
    assert_chain_complete(&w, 200);
    let t = w.order_totals();
    assert_eq!((t.paid, t.shipped, t.emails_sent), (200, 200, 600));
    assert_eq!(w.sim.lost_acked().len(), 0);
}
