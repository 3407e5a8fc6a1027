#![cfg(not(target_arch = "wasm32"))]
use kafka_sandbox::sim::*;

#[test]
fn smoke() {
    let mut cfg = SimConfig::preset(TimingPreset::Kafka);
    cfg.topics.push(TopicConfig {
        name: "t".into(),
        partitions: 3,
        replication_factor: 3,
        min_insync_replicas: 2,
    });
    let mut sim = Simulation::new(cfg.clone(), 1).unwrap();
    let t = sim.topic_by_name("t").unwrap();
    let p = sim.create_producer(cfg.producer.clone());
    let c = sim.create_consumer("g", &["t"], {
        let mut c = cfg.consumer.clone();
        c.auto_offset_reset_earliest = true;
        c
    });
    sim.advance_to(1000);
    for i in 0..10 {
        sim.send(p, t, Some(&format!("k{i}")), &format!("v{i}"))
            .unwrap();
    }
    sim.advance_to(10_000);
    let evs: Vec<Event> = sim.drain_events().collect();
    let delivered: usize = evs
        .iter()
        .map(|e| match &e.kind {
            EventKind::RecordsDelivered { records, .. } => records.len(),
            _ => 0,
        })
        .sum();
    for e in evs
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::ProduceAcked { .. }))
    {
        println!("{:?}", e);
    }
    println!("{:?}", sim.counters());
    let snap = sim.snapshot();
    for p in &snap.partitions {
        println!(
            "{} leader {:?} isr {:?} hw {} leo {}",
            p.topic, p.leader, p.isr, p.high_watermark, p.log_end_offset
        );
    }
    println!("{:?}", snap.groups);
    assert_eq!(sim.counters().acked, 10);
    assert_eq!(delivered, 10);
}
