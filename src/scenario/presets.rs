//! The lessons shipped in `scenarios/`: their ids, files and titles everywhere; their text
//! embedded in native builds (the runner, the tests). The page fetches a lesson's file when it
//! is chosen, so the `.wasm` does not carry them.

/// A shipped lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// Its id: the file name without its number and extension.
    pub id: &'static str,
    /// Its file in `scenarios/`.
    pub file: &'static str,
    /// Its title in English (the file's `name`).
    pub en: &'static str,
    /// Its title in French.
    pub fr: &'static str,
}

/// Every lesson, in teaching order.
pub const LESSONS: [Lesson; 20] = [
    Lesson {
        id: "calm-order-chain",
        file: "01-calm-order-chain.json",
        en: "The order chain in calm weather",
        fr: "La chaîne de commandes par temps calme",
    },
    Lesson {
        id: "leader-failover",
        file: "02-leader-failover.json",
        en: "Leader failover",
        fr: "Bascule du leader",
    },
    Lesson {
        id: "acks1-lost-write",
        file: "03-acks1-lost-write.json",
        en: "acks=1 can lose an acknowledged write",
        fr: "acks=1 peut perdre une écriture acquittée",
    },
    Lesson {
        id: "min-insync-refuses-writes",
        file: "04-min-insync-refuses-writes.json",
        en: "acks=all with min.insync.replicas=2 refuses writes",
        fr: "acks=all avec min.insync.replicas=2 refuse les écritures",
    },
    Lesson {
        id: "unclean-election-loses-data",
        file: "05-unclean-election-loses-data.json",
        en: "Unclean leader election loses data",
        fr: "L'élection non propre perd des données",
    },
    Lesson {
        id: "consumer-crash-redelivery",
        file: "06-consumer-crash-redelivery.json",
        en: "A consumer crashes before committing: redelivery, absorbed",
        fr: "Un consommateur tombe avant de valider : relivraison absorbée",
    },
    Lesson {
        id: "scale-payment-service",
        file: "07-scale-payment-service.json",
        en: "Scaling payment_service: the rebalance",
        fr: "Passer payment_service à l'échelle : le rééquilibrage",
    },
    Lesson {
        id: "network-partition-leader",
        file: "08-network-partition-leader.json",
        en: "A network partition isolates the leader",
        fr: "Une partition réseau isole le leader",
    },
    Lesson {
        id: "all-replicas-down-offline",
        file: "09-all-replicas-down-offline.json",
        en: "Every in-sync replica down: the partition goes offline",
        fr: "Tous les réplicas de l'ISR tombent : la partition est hors ligne",
    },
    Lesson {
        id: "retry-duplicates-without-idempotence",
        file: "10-retry-duplicates-without-idempotence.json",
        en: "A lost response and a retry duplicate a record (no idempotence)",
        fr: "Une réponse perdue et un nouvel essai dupliquent un enregistrement (sans idempotence)",
    },
    Lesson {
        id: "idempotent-retry-no-duplicate",
        file: "11-idempotent-retry-no-duplicate.json",
        en: "The idempotent producer turns the same retry into exactly one copy",
        fr: "Le producteur idempotent fait du même nouvel essai une seule copie",
    },
    Lesson {
        id: "isr-shrinks-by-lag",
        file: "12-isr-shrinks-by-lag.json",
        en: "The ISR shrinks by lag",
        fr: "L'ISR rétrécit par retard",
    },
    Lesson {
        id: "zombie-leader",
        file: "13-zombie-leader.json",
        en: "A zombie leader",
        fr: "Un leader zombie",
    },
    Lesson {
        id: "consumer-loses-coordinator",
        file: "14-consumer-loses-coordinator.json",
        en: "A consumer loses its coordinator",
        fr: "Un consommateur perd son coordinateur",
    },
    Lesson {
        id: "active-controller-fails",
        file: "15-active-controller-fails.json",
        en: "The active controller fails",
        fr: "Le contrôleur actif tombe",
    },
    Lesson {
        id: "quorum-loses-majority",
        file: "16-quorum-loses-majority.json",
        en: "The quorum loses its majority",
        fr: "Le quorum perd sa majorité",
    },
    Lesson {
        id: "scale-out-reassignment",
        file: "17-scale-out-reassignment.json",
        en: "Scale out: a new broker takes over a partition",
        fr: "Montée en charge : un nouveau broker reprend une partition",
    },
    Lesson {
        id: "add-partitions-moves-keys",
        file: "18-add-partitions-moves-keys.json",
        en: "More partitions move keys",
        fr: "Plus de partitions déplacent les clés",
    },
    Lesson {
        id: "lose-a-rack",
        file: "19-lose-a-rack.json",
        en: "Losing a whole rack",
        fr: "Perdre un rack entier",
    },
    Lesson {
        id: "controlled-shutdown-or-crash",
        file: "20-controlled-shutdown-or-crash.json",
        en: "Controlled shutdown or crash",
        fr: "Arrêt contrôlé ou plantage",
    },
];

/// Every preset: (id, JSON text), in teaching order (native builds and unit tests).
#[cfg(any(test, not(target_arch = "wasm32")))]
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
    (
        "scale-out-reassignment",
        include_str!("../../scenarios/17-scale-out-reassignment.json"),
    ),
    (
        "add-partitions-moves-keys",
        include_str!("../../scenarios/18-add-partitions-moves-keys.json"),
    ),
    (
        "lose-a-rack",
        include_str!("../../scenarios/19-lose-a-rack.json"),
    ),
    (
        "controlled-shutdown-or-crash",
        include_str!("../../scenarios/20-controlled-shutdown-or-crash.json"),
    ),
];

/// The preset called `id`, as JSON text.
#[cfg(any(test, not(target_arch = "wasm32")))]
pub fn preset(id: &str) -> Option<&'static str> {
    PRESETS
        .iter()
        .find(|(p, _)| *p == id)
        .map(|(_, text)| *text)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_lessons_table_names_each_preset_file_with_its_title() {
        assert_eq!(LESSONS.len(), PRESETS.len());
        for (lesson, (id, text)) in LESSONS.iter().zip(PRESETS) {
            assert_eq!(lesson.id, *id);
            assert!(
                lesson.file.ends_with(&format!("{id}.json")),
                "{}",
                lesson.file
            );
            let scenario = crate::scenario::parse_scenario(text).unwrap();
            assert_eq!(scenario.name.as_deref(), Some(lesson.en), "{id}");
            assert!(!lesson.fr.is_empty());
        }
    }
}
