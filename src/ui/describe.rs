//! Human wording of engine things: node and client labels, partition names, message kinds,
//! order stages and one sentence per event-log entry, in English or French.

use crate::sim::sorted_map::SortedMap;

use super::i18n::Lang;
use crate::services::{LogEntry, LogEvent, OrderStage, ServiceKind, StuckReason, WorldSnapshot};
use crate::sim::quorum::QuorumRole;
use crate::sim::{BrokerId, ClientId, EventKind, MessageKind, NodeId, TopicPartition};

/// Labels for the nodes of one snapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    topics: Vec<String>,
    /// Client to (service position, instance position).
    pub clients: SortedMap<ClientId, (usize, usize)>,
    services: Vec<ServiceKind>,
}

impl Names {
    /// Reads the topic table and the services' clients.
    pub fn new(snap: &WorldSnapshot) -> Names {
        let mut clients = SortedMap::new();
        let mut services = Vec::new();
        for (s, svc) in snap.services.iter().enumerate() {
            services.push(svc.kind);
            for inst in &svc.instances {
                for c in [inst.consumer, inst.producer].into_iter().flatten() {
                    clients.insert(c, (s, inst.index));
                }
            }
        }
        Names {
            topics: snap.sim.topics.iter().map(|t| t.name.to_string()).collect(),
            clients,
            services,
        }
    }

    /// `topic-N`.
    pub fn partition(&self, tp: TopicPartition) -> String {
        format!("{}-{}", self.topic(tp), tp.partition)
    }

    /// The topic name of a partition.
    pub fn topic(&self, tp: TopicPartition) -> &str {
        self.topics
            .get(tp.topic.0 as usize)
            .map_or("?", |s| s.as_str())
    }

    /// `payment_service #2` for a client, else `client-7`.
    pub fn client(&self, c: ClientId) -> String {
        match self.clients.get(&c) {
            Some((s, i)) => match self.services.get(*s) {
                Some(kind) => format!("{} #{}", kind.name(), i + 1),
                None => c.to_string(),
            },
            None => c.to_string(),
        }
    }

    /// Any node.
    pub fn node(&self, n: NodeId, lang: Lang) -> String {
        match n {
            NodeId::Controller(c) => format!("{} {}", lang.pick("controller", "contrôleur"), c.0),
            NodeId::Broker(b) => broker(b),
            NodeId::Client(c) => self.client(c),
        }
    }
}

/// A quorum role's name on the page.
pub fn role_name(role: QuorumRole, lang: Lang) -> &'static str {
    match role {
        QuorumRole::Leader => lang.pick("leader", "leader"),
        QuorumRole::Follower => lang.pick("follower", "suiveur"),
        QuorumRole::Candidate => lang.pick("candidate", "candidat"),
        QuorumRole::Prospective => lang.pick("pre-vote", "pré-vote"),
        QuorumRole::Unattached => lang.pick("no leader known", "sans leader"),
        QuorumRole::Resigned => lang.pick("resigned", "démissionnaire"),
    }
}

/// `broker 1`.
pub fn broker(b: BrokerId) -> String {
    format!("broker {}", b.0)
}

fn brokers(list: &[BrokerId]) -> String {
    format!(
        "[{}]",
        list.iter()
            .map(|b| b.0.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Short label of a traffic kind.
pub fn message_kind(kind: MessageKind, lang: Lang) -> &'static str {
    match kind {
        MessageKind::Produce => lang.pick("produce", "écriture"),
        MessageKind::ReplicaFetch => lang.pick("replica fetch", "réplication"),
        MessageKind::ConsumerFetch => lang.pick("consumer fetch", "lecture consommateur"),
        MessageKind::Response => lang.pick("response", "réponse"),
        MessageKind::Controller => lang.pick("controller", "contrôleur"),
        MessageKind::Quorum => lang.pick(
            "quorum (votes, metadata log)",
            "quorum (votes, journal des métadonnées)",
        ),
        MessageKind::Metadata => lang.pick("metadata", "métadonnées"),
        MessageKind::Group => lang.pick("group", "groupe"),
        MessageKind::Commit => lang.pick("offset commit", "validation d'offset"),
    }
}

/// CSS class of a traffic kind.
pub fn message_class(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Produce => "msg-produce",
        MessageKind::ReplicaFetch => "msg-replica",
        MessageKind::ConsumerFetch => "msg-consumer",
        MessageKind::Response => "msg-response",
        MessageKind::Controller | MessageKind::Metadata => "msg-controller",
        MessageKind::Quorum => "msg-quorum",
        MessageKind::Group | MessageKind::Commit => "msg-group",
    }
}

/// Label of a consumer-group member phase ("stable", "joining"...).
pub fn phase(p: &str, lang: Lang) -> &'static str {
    match p {
        "stable" => lang.pick("stable", "stable"),
        "joining" => lang.pick("joining", "rejoint"),
        "syncing" => lang.pick("syncing", "synchro"),
        "unjoined" => lang.pick("unjoined", "hors groupe"),
        "producing" => lang.pick("producing", "produit"),
        "down" => lang.pick("down", "arrêté"),
        _ => lang.pick("?", "?"),
    }
}

/// Label of an order stage.
pub fn stage(s: OrderStage, lang: Lang) -> &'static str {
    let t = lang.t();
    match s {
        OrderStage::Created => t.created,
        OrderStage::Published => t.published,
        OrderStage::Paid => t.paid,
        OrderStage::Refused => t.refused,
        OrderStage::Shipped => t.shipped,
        OrderStage::Completed => lang.pick("completed", "terminée"),
        OrderStage::PublishFailed => t.publish_failed,
    }
}

/// Why an order is stuck.
pub fn stuck(r: &StuckReason, lang: Lang) -> String {
    match r {
        StuckReason::PartitionOffline { partition } => lang.pick(
            format!("{partition} has no leader"),
            format!("{partition} n'a pas de leader"),
        ),
        StuckReason::HighWatermarkFrozen { partition } => lang.pick(
            format!("{partition} is below min.insync.replicas: its HW is frozen"),
            format!("{partition} est sous min.insync.replicas : son HW est figé"),
        ),
        StuckReason::ServiceDown { service } => lang.pick(
            format!("{service} is down"),
            format!("{service} est arrêté"),
        ),
        StuckReason::ProduceFailing { error } => lang.pick(
            format!("producing fails: {error}"),
            format!("l'écriture échoue : {error}"),
        ),
        StuckReason::Waiting => lang
            .pick(
                "waiting (timeouts, rebalance)",
                "en attente (délais, rééquilibrage)",
            )
            .into(),
    }
}

/// Amount in cents as `12.34 €`.
pub fn euros(cents: u64) -> String {
    format!("{}.{:02} €", cents / 100, cents % 100)
}

/// One sentence for a log entry.
pub fn log_entry(e: &LogEntry, names: &Names, lang: Lang) -> String {
    let node = |n: NodeId| names.node(n, lang);
    let p = |tp: TopicPartition| names.partition(tp);
    match &e.event {
        LogEvent::Order { order_id, stage: s } => lang.pick(
            format!("Order #{order_id}: {}", stage(*s, lang)),
            format!("Commande n°{order_id} : {}", stage(*s, lang)),
        ),
        LogEvent::DuplicateIgnored { service, order_id } => lang.pick(
            format!(
                "{} ignored a redelivered record of order #{order_id}",
                service.name()
            ),
            format!(
                "{} a ignoré un enregistrement relivré de la commande n°{order_id}",
                service.name()
            ),
        ),
        LogEvent::Engine { kind } => match kind {
            EventKind::MessageDropped { from, to, api, .. } => lang.pick(
                format!("{api} {} → {} dropped", node(*from), node(*to)),
                format!("{api} {} → {} perdu", node(*from), node(*to)),
            ),
            EventKind::NodeCrashed { node: n } => lang.pick(
                format!("{} crashed", node(*n)),
                format!("{} est tombé", node(*n)),
            ),
            EventKind::NodeRestarted { node: n } => lang.pick(
                format!("{} restarted", node(*n)),
                format!("{} a redémarré", node(*n)),
            ),
            EventKind::NodeIsolated { node: n } => lang.pick(
                format!("{}: network links cut", node(*n)),
                format!("{} : liens réseau coupés", node(*n)),
            ),
            EventKind::NodeHealed { node: n } => lang.pick(
                format!("{}: network links restored", node(*n)),
                format!("{} : liens réseau rétablis", node(*n)),
            ),
            EventKind::LinkChanged { from, to, fault } => {
                let (from, to) = (node(*from), node(*to));
                match fault {
                    None => lang.pick(
                        format!("link {from} → {to} healed"),
                        format!("lien {from} → {to} rétabli"),
                    ),
                    Some(f) if f.cut => lang.pick(
                        format!("link {from} → {to} cut"),
                        format!("lien {from} → {to} coupé"),
                    ),
                    Some(f) => lang.pick(
                        format!(
                            "link {from} → {to}: +{} ms, {:.0}% lost",
                            f.extra_latency_ms,
                            f.drop_rate * 100.0
                        ),
                        format!(
                            "lien {from} → {to} : +{} ms, {:.0} % perdus",
                            f.extra_latency_ms,
                            f.drop_rate * 100.0
                        ),
                    ),
                }
            }
            EventKind::QuorumRoleChanged {
                controller,
                role,
                epoch,
                leader,
            } => {
                let leader =
                    leader.map_or(String::new(), |l| format!(" (leader controller-{})", l.0));
                lang.pick(
                    format!(
                        "{controller} is {} in quorum epoch {epoch}{leader}",
                        role.name()
                    ),
                    format!(
                        "{controller} : {} à l'époque {epoch} du quorum{leader}",
                        role_name(*role, Lang::Fr)
                    ),
                )
            }
            EventKind::QuorumVoted {
                controller,
                candidate,
                epoch,
            } => lang.pick(
                format!("{controller} votes for {candidate} in epoch {epoch}"),
                format!("{controller} vote pour {candidate} à l'époque {epoch}"),
            ),
            EventKind::ControllerActivated { controller, epoch } => lang.pick(
                format!("{controller} is the active controller (epoch {epoch} committed)"),
                format!("{controller} est le contrôleur actif (époque {epoch} validée)"),
            ),
            EventKind::BrokerRegistered { broker: b } => lang.pick(
                format!("controller registered {}", broker(*b)),
                format!("le contrôleur a enregistré le {}", broker(*b)),
            ),
            EventKind::BrokerFenced { broker: b } => lang.pick(
                format!(
                    "controller fenced {} (no heartbeat within the session timeout)",
                    broker(*b)
                ),
                format!(
                    "le contrôleur a écarté le {} (pas de heartbeat dans le délai de session)",
                    broker(*b)
                ),
            ),
            EventKind::BrokerUnfenced { broker: b } => lang.pick(
                format!("controller unfenced {}", broker(*b)),
                format!("le contrôleur a réintégré le {}", broker(*b)),
            ),
            EventKind::BrokerControlledShutdown { broker: b } => lang.pick(
                format!(
                    "{} asked for a controlled shutdown: its leaderships move away",
                    broker(*b)
                ),
                format!(
                    "le {} demande un arrêt contrôlé : ses leaderships partent ailleurs",
                    broker(*b)
                ),
            ),
            EventKind::BrokerUnregistered { broker: b } => lang.pick(
                format!("controller unregistered {}: it left the cluster", broker(*b)),
                format!("le contrôleur a désinscrit le {} : il a quitté le cluster", broker(*b)),
            ),
            EventKind::BrokerStopped { broker: b } => lang.pick(
                format!("{} stopped after its controlled shutdown", broker(*b)),
                format!("le {} s'est arrêté après son arrêt contrôlé", broker(*b)),
            ),
            EventKind::BrokerAdded { broker: b, rack } => {
                let rack = rack.as_ref().map_or(String::new(), |r| format!(" (rack {r})"));
                lang.pick(
                    format!("{} added{rack}: it hosts nothing until partitions are reassigned to it", broker(*b)),
                    format!("{} ajouté{rack} : il n'héberge rien tant qu'on ne lui réaffecte pas de partitions", broker(*b)),
                )
            }
            EventKind::TopicConfigChanged {
                topic,
                min_insync_replicas,
            } => {
                let name = names.topics.get(topic.0 as usize).map_or("?", |s| s.as_str());
                lang.pick(
                    format!("{name}: min.insync.replicas is now {min_insync_replicas}"),
                    format!("{name} : min.insync.replicas vaut maintenant {min_insync_replicas}"),
                )
            }
            EventKind::PartitionCreated { tp, replicas } => lang.pick(
                format!("{} created on brokers {}", p(*tp), broker_list(replicas)),
                format!("{} créée sur les brokers {}", p(*tp), broker_list(replicas)),
            ),
            EventKind::ReplicasChanged {
                tp,
                replicas,
                adding,
                removing,
                previous,
            } => {
                if adding.is_empty() && removing.is_empty() {
                    lang.pick(
                        format!(
                            "{}: reassignment done, replicas {} (were {})",
                            p(*tp),
                            broker_list(replicas),
                            broker_list(previous)
                        ),
                        format!(
                            "{} : réaffectation terminée, répliques {} (avant {})",
                            p(*tp),
                            broker_list(replicas),
                            broker_list(previous)
                        ),
                    )
                } else {
                    lang.pick(
                        format!(
                            "{}: reassignment started, adding {} then removing {}",
                            p(*tp),
                            broker_list(adding),
                            broker_list(removing)
                        ),
                        format!(
                            "{} : réaffectation lancée, ajout de {} puis retrait de {}",
                            p(*tp),
                            broker_list(adding),
                            broker_list(removing)
                        ),
                    )
                }
            }
            EventKind::ReplicaDeleted {
                broker: b,
                tp,
                records,
            } => lang.pick(
                format!(
                    "{} deleted its replica of {} ({records} records): reassigned away",
                    broker(*b),
                    p(*tp)
                ),
                format!(
                    "le {} a supprimé sa réplique de {} ({records} enregistrements) : réaffectée ailleurs",
                    broker(*b),
                    p(*tp)
                ),
            ),
            EventKind::LeaderChanged {
                tp,
                leader,
                previous,
                leader_epoch,
                unclean,
                reason,
            } => {
                let prev = previous.map_or("-".to_string(), broker);
                match leader {
                    Some(l) => lang.pick(
                        format!(
                            "{}: leader {prev} → {} (epoch {leader_epoch}{}; {reason})",
                            p(*tp),
                            broker(*l),
                            if *unclean { ", UNCLEAN" } else { "" }
                        ),
                        format!(
                            "{} : leader {prev} → {} (époque {leader_epoch}{} ; {reason})",
                            p(*tp),
                            broker(*l),
                            if *unclean { ", IMPURE" } else { "" }
                        ),
                    ),
                    None => lang.pick(
                        format!("{}: no leader left, partition OFFLINE ({reason})", p(*tp)),
                        format!(
                            "{} : plus de leader, partition HORS LIGNE ({reason})",
                            p(*tp)
                        ),
                    ),
                }
            }
            EventKind::IsrChanged { tp, isr, previous } => {
                format!("{}: ISR {} → {}", p(*tp), brokers(previous), brokers(isr))
            }
            EventKind::Truncated {
                broker: b,
                tp,
                from,
                to,
            } => lang.pick(
                format!(
                    "{} truncated {} from offset {from} to {to}",
                    broker(*b),
                    p(*tp)
                ),
                format!(
                    "{} a tronqué {} de l'offset {from} à {to}",
                    broker(*b),
                    p(*tp)
                ),
            ),
            EventKind::ProduceError {
                producer,
                tp,
                error,
                retrying,
            } => lang.pick(
                format!(
                    "{} → {}: {}{}",
                    names.client(*producer),
                    p(*tp),
                    error.name(),
                    if *retrying { ", retrying" } else { "" }
                ),
                format!(
                    "{} → {} : {}{}",
                    names.client(*producer),
                    p(*tp),
                    error.name(),
                    if *retrying { ", nouvel essai" } else { "" }
                ),
            ),
            EventKind::ProduceAcked {
                producer,
                tp,
                offset,
                ..
            } => lang.pick(
                format!("{} acked at {}@{offset}", names.client(*producer), p(*tp)),
                format!(
                    "{} confirmé en {}@{offset}",
                    names.client(*producer),
                    p(*tp)
                ),
            ),
            EventKind::ProduceSentUnacknowledged { producer, tp, .. } => lang.pick(
                format!(
                    "{} sent to {} without ack (acks=0)",
                    names.client(*producer),
                    p(*tp)
                ),
                format!(
                    "{} envoyé vers {} sans confirmation (acks=0)",
                    names.client(*producer),
                    p(*tp)
                ),
            ),
            EventKind::ProduceAbandoned { producer, tp, .. } => lang.pick(
                format!(
                    "{} crashed before learning whether its record for {} was written",
                    names.client(*producer),
                    p(*tp)
                ),
                format!(
                    "{} est tombé sans savoir si son record pour {} a été écrit",
                    names.client(*producer),
                    p(*tp)
                ),
            ),
            EventKind::ProduceFailed {
                producer,
                tp,
                error,
                ..
            } => lang.pick(
                format!(
                    "{} gave up on {}: {}",
                    names.client(*producer),
                    p(*tp),
                    error.name()
                ),
                format!(
                    "{} abandonne {} : {}",
                    names.client(*producer),
                    p(*tp),
                    error.name()
                ),
            ),
            EventKind::DuplicateSuppressed {
                broker: b,
                tp,
                offset,
            } => lang.pick(
                format!(
                    "{} recognised a retried batch on {} (already at offset {offset})",
                    broker(*b),
                    p(*tp)
                ),
                format!(
                    "{} a reconnu un lot renvoyé sur {} (déjà à l'offset {offset})",
                    broker(*b),
                    p(*tp)
                ),
            ),
            EventKind::RecordsDelivered { consumer, records } => lang.pick(
                format!(
                    "{} got {} record(s)",
                    names.client(*consumer),
                    records.len()
                ),
                format!(
                    "{} a reçu {} enregistrement(s)",
                    names.client(*consumer),
                    records.len()
                ),
            ),
            EventKind::OffsetReset {
                consumer,
                tp,
                offset,
            } => lang.pick(
                format!(
                    "{} reset {} to offset {offset}",
                    names.client(*consumer),
                    p(*tp)
                ),
                format!(
                    "{} repart de l'offset {offset} sur {}",
                    names.client(*consumer),
                    p(*tp)
                ),
            ),
            EventKind::OffsetsCommitted { consumer, offsets } => lang.pick(
                format!(
                    "{} committed {} offset(s)",
                    names.client(*consumer),
                    offsets.len()
                ),
                format!(
                    "{} a validé {} offset(s)",
                    names.client(*consumer),
                    offsets.len()
                ),
            ),
            EventKind::CommitFailed { consumer, error } => lang.pick(
                format!(
                    "{} commit failed: {}",
                    names.client(*consumer),
                    error.name()
                ),
                format!(
                    "{} : validation échouée : {}",
                    names.client(*consumer),
                    error.name()
                ),
            ),
            EventKind::GroupRebalanced {
                group,
                generation,
                assignment,
            } => lang.pick(
                format!(
                    "group {group} rebalanced: generation {generation}, {} member(s)",
                    assignment.len()
                ),
                format!(
                    "groupe {group} rééquilibré : génération {generation}, {} membre(s)",
                    assignment.len()
                ),
            ),
            EventKind::PartitionsAssigned {
                consumer,
                partitions,
            } => {
                let list = partitions
                    .iter()
                    .map(|tp| p(*tp))
                    .collect::<Vec<_>>()
                    .join(", ");
                lang.pick(
                    format!(
                        "{} assigned {}",
                        names.client(*consumer),
                        if list.is_empty() {
                            "nothing".into()
                        } else {
                            list.clone()
                        }
                    ),
                    format!(
                        "{} reçoit {}",
                        names.client(*consumer),
                        if list.is_empty() { "rien".into() } else { list }
                    ),
                )
            }
            EventKind::PartitionsRevoked { consumer } => lang.pick(
                format!(
                    "{} gave up its partitions to rejoin",
                    names.client(*consumer)
                ),
                format!(
                    "{} rend ses partitions pour rejoindre le groupe",
                    names.client(*consumer)
                ),
            ),
            EventKind::MemberExpired { group, member } => lang.pick(
                format!(
                    "group {group}: {} expired (no heartbeat)",
                    names.client(*member)
                ),
                format!(
                    "groupe {group} : {} expiré (pas de heartbeat)",
                    names.client(*member)
                ),
            ),
            EventKind::AppTimer { client, .. } => format!("{} timer", names.client(*client)),
        },
    }
}

/// `{1, 2, 3}`, or `{}`.
fn broker_list(v: &[BrokerId]) -> String {
    let ids: Vec<String> = v.iter().map(|b| b.0.to_string()).collect();
    format!("{{{}}}", ids.join(","))
}

/// Label of a log category.
pub fn category(cat: &str, lang: Lang) -> &'static str {
    match cat {
        "election" => lang.pick("elections", "élections"),
        "quorum" => lang.pick("quorum", "quorum"),
        "isr" => "ISR",
        "produce" => lang.pick("produce", "écritures"),
        "consumer" => lang.pick("consumers", "consommateurs"),
        "network" => lang.pick("network", "réseau"),
        "nodes" => lang.pick("nodes", "nœuds"),
        "operations" => lang.pick("operations", "opérations"),
        "orders" => lang.pick("orders", "commandes"),
        _ => lang.pick("other", "autres"),
    }
}

/// Every log category, in filter order.
pub const CATEGORIES: [&str; 9] = [
    "election",
    "quorum",
    "isr",
    "produce",
    "consumer",
    "network",
    "nodes",
    "operations",
    "orders",
];
