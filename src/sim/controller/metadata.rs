//! The `__cluster_metadata` records (KIP-631) and the image a controller or a broker builds by
//! applying them in order: broker registrations and fencing, topics, partitions and their changes.

use std::collections::BTreeMap;

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
            MetadataRecord::FenceBroker { .. } | MetadataRecord::UnfenceBroker { .. } => {
                "BrokerRegistrationChangeRecord"
            }
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
}

/// The cluster as the metadata log describes it, up to some offset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetadataImage {
    partitions: TpMap<PartitionState>,
    brokers: BTreeMap<BrokerId, BrokerRegistration>,
    topics: Vec<TopicId>,
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
        !self.broker_fenced(b)
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
                    },
                );
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

/// Replicas of partition `p` with `rf` copies over `n` brokers, round-robin: with 3 brokers and
/// 3 partitions each broker leads one partition (the seed's figure).
pub fn assign_replicas(p: u32, rf: u32, n: u32) -> Vec<BrokerId> {
    (0..rf).map(|i| BrokerId((p + i) % n + 1)).collect()
}

/// The records of a topic's creation: the topic, then each partition led by its preferred
/// replica with every replica in sync.
pub fn topic_records(topic: TopicId, ctx: &Context) -> Vec<MetadataRecord> {
    let n = ctx.config.cluster.brokers;
    let cfg = &ctx.topic(topic).config;
    let mut records = vec![MetadataRecord::Topic { topic }];
    for p in 0..cfg.partitions {
        let replicas = assign_replicas(p, cfg.replication_factor, n);
        records.push(MetadataRecord::Partition(PartitionState {
            tp: TopicPartition {
                topic,
                partition: p,
            },
            leader: Some(replicas[0]),
            leader_epoch: 0,
            partition_epoch: 0,
            isr: replicas.clone(),
            replicas,
        }));
    }
    records
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
