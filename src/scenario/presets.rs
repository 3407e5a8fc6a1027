//! The example scenarios shipped in `scenarios/`, embedded so the page can offer them.

/// Every preset: (id, JSON text), in teaching order. The id is the file name without
/// its number and extension.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "calm-order-chain",
        include_str!("../../scenarios/01-calm-order-chain.json"),
    ),
    (
        "leader-failover",
        include_str!("../../scenarios/02-leader-failover.json"),
    ),
    (
        "acks1-lost-write",
        include_str!("../../scenarios/03-acks1-lost-write.json"),
    ),
    (
        "min-insync-refuses-writes",
        include_str!("../../scenarios/04-min-insync-refuses-writes.json"),
    ),
    (
        "unclean-election-loses-data",
        include_str!("../../scenarios/05-unclean-election-loses-data.json"),
    ),
    (
        "consumer-crash-redelivery",
        include_str!("../../scenarios/06-consumer-crash-redelivery.json"),
    ),
    (
        "scale-payment-service",
        include_str!("../../scenarios/07-scale-payment-service.json"),
    ),
    (
        "network-partition-leader",
        include_str!("../../scenarios/08-network-partition-leader.json"),
    ),
    (
        "all-replicas-down-offline",
        include_str!("../../scenarios/09-all-replicas-down-offline.json"),
    ),
    (
        "retry-duplicates-without-idempotence",
        include_str!("../../scenarios/10-retry-duplicates-without-idempotence.json"),
    ),
    (
        "idempotent-retry-no-duplicate",
        include_str!("../../scenarios/11-idempotent-retry-no-duplicate.json"),
    ),
    (
        "isr-shrinks-by-lag",
        include_str!("../../scenarios/12-isr-shrinks-by-lag.json"),
    ),
    (
        "zombie-leader",
        include_str!("../../scenarios/13-zombie-leader.json"),
    ),
    (
        "consumer-loses-coordinator",
        include_str!("../../scenarios/14-consumer-loses-coordinator.json"),
    ),
    (
        "active-controller-fails",
        include_str!("../../scenarios/15-active-controller-fails.json"),
    ),
    (
        "quorum-loses-majority",
        include_str!("../../scenarios/16-quorum-loses-majority.json"),
    ),
];

/// The preset called `id`, as JSON text.
pub fn preset(id: &str) -> Option<&'static str> {
    PRESETS
        .iter()
        .find(|(p, _)| *p == id)
        .map(|(_, text)| *text)
}
