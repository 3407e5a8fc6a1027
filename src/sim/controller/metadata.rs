//! The `__cluster_metadata` records (KIP-631) and the image a controller or a broker builds by
//! applying them in order: broker registrations and fencing, topics, partitions and their changes.

use crate::sim::sorted_map::SortedMap;

use serde::Serialize;

use crate::sim::network::PartitionState;
use crate::sim::node::Context;
use crate::sim::tpmap::TpMap;
use crate::sim::types::{BrokerId, Offset, TopicId, TopicPartition};

/// One record of the metadata log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum MetadataRecord {
    /// `RegisterBrokerRecord`: a broker process (its incarnation is Kafka's broker epoch) joins.
    RegisterBroker {
        /// Which broker.
        broker: BrokerId,
        /// Its process incarnation.
        incarnation: u32,
        /// Whether it starts fenced (it does, until it has caught up to this record).
        fenced: bool,
    },
    /// `BrokerRegistrationChangeRecord` with fenced = true: it may not lead nor join an ISR.
    FenceBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// `BrokerRegistrationChangeRecord` with fenced = false.
    UnfenceBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// `BrokerRegistrationChangeRecord` with inControlledShutdown: the broker asked to stop;
    /// it may not lead nor join an ISR any more.
    ControlledShutdown {
        /// Which broker.
        broker: BrokerId,
    },
    /// `UnregisterBrokerRecord`: the broker left the cluster (its replicas stay assigned to its
    /// id until they are reassigned).
    UnregisterBroker {
        /// Which broker.
        broker: BrokerId,
    },
    /// `ConfigRecord` of a topic: its `min.insync.replicas`.
    TopicConfig {
        /// Which topic.
        topic: TopicId,
        /// The new `min.insync.replicas`.
        min_insync_replicas: u32,
    },
    /// `TopicRecord`: a topic exists.
    Topic {
        /// Its id in the topic table.
        topic: TopicId,
    },
    /// `PartitionRecord`: a new partition with its replicas, leader and ISR.
    Partition(PartitionState),
    /// `PartitionChangeRecord`: the partition's state after a leader or ISR change. (Kafka's
    /// record carries only the changed fields; this one carries the result, plus why, for the
    /// page.)
    PartitionChange {
        /// The state after the change.
        state: PartitionState,
        /// Why the controller changed it.
        reason: &'static str,
        /// Whether the new leader came from outside the ISR.
        unclean: bool,
    },
}

impl MetadataRecord {
    /// The record type's name, as Kafka calls it.
    pub fn type_name(&self) -> &'static str {
        match self {
            MetadataRecord::RegisterBroker { .. } => "RegisterBrokerRecord",
            MetadataRecord::FenceBroker { .. }
            | MetadataRecord::UnfenceBroker { .. }
            | MetadataRecord::ControlledShutdown { .. } => "BrokerRegistrationChangeRecord",
            MetadataRecord::UnregisterBroker { .. } => "UnregisterBrokerRecord",
            MetadataRecord::TopicConfig { .. } => "ConfigRecord",
            MetadataRecord::Topic { .. } => "TopicRecord",
            MetadataRecord::Partition(_) => "PartitionRecord",
            MetadataRecord::PartitionChange { .. } => "PartitionChangeRecord",
        }
    }

    /// The partition state the record sets, if it is about a partition.
    pub fn partition_state(&self) -> Option<&PartitionState> {
        match self {
            MetadataRecord::Partition(s) | MetadataRecord::PartitionChange { state: s, .. } => {
                Some(s)
            }
            _ => None,
        }
    }
}

/// What the metadata says of one broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokerRegistration {
    /// The registered process incarnation (Kafka's broker epoch).
    pub incarnation: u32,
    /// Whether it is fenced.
    pub fenced: bool,
    /// Offset of its registration record: it is unfenced once it has applied the log that far.
    pub registered_at: Offset,
    /// It asked for a controlled shutdown: it is leaving.
    pub shutting_down: bool,
    /// Offset of its controlled-shutdown record: it may stop once it has applied the log past
    /// it (and leads nothing).
    pub shutdown_at: Offset,
}

/// The cluster as the metadata log describes it, up to some offset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetadataImage {
    partitions: TpMap<PartitionState>,
    brokers: SortedMap<BrokerId, BrokerRegistration>,
    topics: Vec<TopicId>,
    /// Topics whose `min.insync.replicas` a ConfigRecord set.
    min_isr: SortedMap<TopicId, u32>,
    /// The next offset to apply.
    end_offset: Offset,
}

impl MetadataImage {
    /// The image of an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// How far it has applied the log.
    pub fn end_offset(&self) -> Offset {
        self.end_offset
    }

    /// A partition's state.
    pub fn partition(&self, tp: TopicPartition) -> Option<&PartitionState> {
        self.partitions.get(&tp)
    }

    /// Every partition's state, in partition order.
    pub fn partitions(&self) -> impl Iterator<Item = (&TopicPartition, &PartitionState)> {
        self.partitions.iter()
    }

    /// A broker's registration.
    pub fn broker(&self, b: BrokerId) -> Option<&BrokerRegistration> {
        self.brokers.get(&b)
    }

    /// Every registered broker, in id order.
    pub fn brokers(&self) -> impl Iterator<Item = (&BrokerId, &BrokerRegistration)> {
        self.brokers.iter()
    }

    /// Whether broker `b` is fenced (or unknown).
    pub fn broker_fenced(&self, b: BrokerId) -> bool {
        self.brokers.get(&b).is_none_or(|r| r.fenced)
    }

    /// Whether broker `b` may lead or join an ISR.
    pub fn broker_eligible(&self, b: BrokerId) -> bool {
        self.brokers
            .get(&b)
            .is_some_and(|r| !r.fenced && !r.shutting_down)
    }

    /// The brokers new replicas may go to: registered, unfenced and not leaving, in id order.
    pub fn usable_brokers(&self) -> Vec<BrokerId> {
        self.brokers()
            .filter(|(b, _)| self.broker_eligible(**b))
            .map(|(b, _)| *b)
            .collect()
    }

    /// The `min.insync.replicas` a ConfigRecord set for `topic`, if any.
    pub fn min_isr(&self, topic: TopicId) -> Option<u32> {
        self.min_isr.get(&topic).copied()
    }

    /// How many partitions of `topic` exist.
    pub fn partition_count(&self, topic: TopicId) -> u32 {
        self.partitions
            .keys()
            .filter(|tp| tp.topic == topic)
            .count() as u32
    }

    /// Whether the topic's record was applied.
    pub fn has_topic(&self, topic: TopicId) -> bool {
        self.topics.contains(&topic)
    }

    /// Applies the record at `offset` (the next one).
    pub fn apply(&mut self, offset: Offset, record: &MetadataRecord) {
        debug_assert_eq!(offset, self.end_offset, "records are applied in order");
        match record {
            MetadataRecord::RegisterBroker {
                broker,
                incarnation,
                fenced,
            } => {
                self.brokers.insert(
                    *broker,
                    BrokerRegistration {
                        incarnation: *incarnation,
                        fenced: *fenced,
                        registered_at: offset,
                        shutting_down: false,
                        shutdown_at: 0,
                    },
                );
            }
            MetadataRecord::ControlledShutdown { broker } => {
                if let Some(r) = self.brokers.get_mut(broker) {
                    r.shutting_down = true;
                    r.shutdown_at = offset;
                }
            }
            MetadataRecord::UnregisterBroker { broker } => {
                self.brokers.remove(broker);
            }
            MetadataRecord::TopicConfig {
                topic,
                min_insync_replicas,
            } => {
                self.min_isr.insert(*topic, *min_insync_replicas);
            }
            MetadataRecord::FenceBroker { broker } => {
                if let Some(r) = self.brokers.get_mut(broker) {
                    r.fenced = true;
                }
            }
            MetadataRecord::UnfenceBroker { broker } => {
                if let Some(r) = self.brokers.get_mut(broker) {
                    r.fenced = false;
                }
            }
            MetadataRecord::Topic { topic } => {
                if !self.topics.contains(topic) {
                    self.topics.push(*topic);
                }
            }
            MetadataRecord::Partition(state) | MetadataRecord::PartitionChange { state, .. } => {
                if let Some(old) = self.partitions.get(&state.tp) {
                    debug_assert!(state.leader_epoch >= old.leader_epoch, "epochs only grow");
                }
                self.partitions.insert(state.tp, state.clone());
            }
        }
        self.end_offset = offset + 1;
    }

    /// Skips an entry that is not a record (a quorum leader change).
    pub fn skip(&mut self, offset: Offset) {
        debug_assert_eq!(offset, self.end_offset, "entries are applied in order");
        self.end_offset = offset + 1;
    }
}

/// Replicas of partition `p` with `rf` copies over `brokers` (in id order), whose racks are
/// `rack_of`. Without racks: round-robin over the list (with brokers 1 to 3 and 3 partitions,
/// each broker leads one partition: the seed's figure). With racks: Kafka's rack-aware
/// placement (`assignReplicasToBrokersRackAware`, start index 0): the brokers alternate rack
/// by rack, the leader moves one step per partition, and each further replica goes to the next
/// broker on a rack that has none of the partition's replicas yet (any rack once every rack
/// has one).
pub fn place_replicas(
    p: u32,
    rf: u32,
    brokers: &[BrokerId],
    rack_of: impl Fn(BrokerId) -> Option<String>,
) -> Vec<BrokerId> {
    let n = brokers.len();
    if n == 0 {
        return Vec::new();
    }
    let racked: Vec<(BrokerId, String)> = brokers
        .iter()
        .filter_map(|b| rack_of(*b).map(|r| (*b, r)))
        .collect();
    if racked.len() < n {
        return (0..rf as usize)
            .map(|i| brokers[(p as usize + i) % n])
            .collect();
    }
    // The rack-alternated list: the first broker of each rack (racks by name), then the
    // second of each, ...
    let mut racks: SortedMap<&str, Vec<BrokerId>> = SortedMap::new();
    for (b, r) in &racked {
        racks.entry(r.as_str()).or_default().push(*b);
    }
    let rack_count = racks.len();
    let deepest = racks.values().map(Vec::len).max().unwrap_or(0);
    let arranged: Vec<BrokerId> = (0..deepest)
        .flat_map(|i| racks.values().filter_map(move |bs| bs.get(i).copied()))
        .collect();
    let rack_name = |b: BrokerId| {
        racked
            .iter()
            .find(|(x, _)| *x == b)
            .map(|(_, r)| r.as_str())
    };
    let p = p as usize;
    let shift = p / n;
    let first = p % n;
    let mut chosen = vec![arranged[first]];
    let mut used_racks = vec![rack_name(arranged[first])];
    let mut k = 0;
    while chosen.len() < (rf as usize).min(n) {
        let step = 1 + (shift * rack_count + k) % (n - 1).max(1);
        let b = arranged[(first + step) % n];
        let r = rack_name(b);
        let rack_ok = !used_racks.contains(&r) || used_racks.len() >= rack_count;
        if rack_ok && !chosen.contains(&b) {
            chosen.push(b);
            if !used_racks.contains(&r) {
                used_racks.push(r);
            }
        }
        k += 1;
        if k > 4 * n * n {
            break; // cannot happen with distinct brokers; a guard, not a rule
        }
    }
    chosen
}

/// The rack of broker `b` in the world's settings.
pub fn rack_of(ctx: &Context, b: BrokerId) -> Option<String> {
    ctx.config
        .cluster
        .racks
        .get((b.0 as usize).wrapping_sub(1))
        .cloned()
}

/// The records of a topic's creation: the topic, then each partition led by its preferred
/// replica with every replica in sync.
pub fn topic_records(topic: TopicId, ctx: &Context) -> Vec<MetadataRecord> {
    let brokers: Vec<BrokerId> = (1..=ctx.config.cluster.brokers).map(BrokerId).collect();
    let cfg = &ctx.topic(topic).config;
    let mut records = vec![MetadataRecord::Topic { topic }];
    records.extend(partition_records(
        topic,
        0..cfg.partitions,
        cfg.replication_factor,
        &brokers,
        ctx,
    ));
    records
}

/// The records of new partitions `range` of `topic`, placed over `brokers`, each led by its
/// preferred replica with every replica in sync.
pub fn partition_records(
    topic: TopicId,
    range: std::ops::Range<u32>,
    rf: u32,
    brokers: &[BrokerId],
    ctx: &Context,
) -> Vec<MetadataRecord> {
    range
        .map(|p| {
            let replicas = place_replicas(p, rf, brokers, |b| rack_of(ctx, b));
            MetadataRecord::Partition(PartitionState {
                tp: TopicPartition {
                    topic,
                    partition: p,
                },
                leader: replicas.first().copied(),
                leader_epoch: 0,
                partition_epoch: 0,
                isr: replicas.clone(),
                replicas,
                adding: Vec::new(),
                removing: Vec::new(),
            })
        })
        .collect()
}

/// The log a formatted cluster starts from (what `kafka-storage format` and a first start leave
/// behind): every broker registered with incarnation 1 and unfenced, every topic created.
pub fn bootstrap_records(brokers: &[BrokerId], ctx: &Context) -> Vec<MetadataRecord> {
    let mut records: Vec<MetadataRecord> = brokers
        .iter()
        .map(|b| MetadataRecord::RegisterBroker {
            broker: *b,
            incarnation: 1,
            fenced: false,
        })
        .collect();
    for t in ctx.topics {
        records.extend(topic_records(t.id, ctx));
    }
    records
}
