//! French and English strings of the page, the language switch, and remembering the choice
//! (localStorage, first visit from `navigator.language`).

/// A language of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

const STORAGE_KEY: &str = "kafka-sandbox.lang";

impl Lang {
    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Fr,
            Lang::Fr => Lang::En,
        }
    }

    /// ISO code (`en`, `fr`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// Language of a BCP 47 tag: French for `fr*`, English otherwise.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// The strings.
    pub fn t(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }

    /// Picks the English or French version.
    pub fn pick<T>(self, en: T, fr: T) -> T {
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }

    /// The remembered language, else the browser's.
    pub fn initial() -> Lang {
        let window = web_sys::window();
        let stored = window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        if let Some(code) = stored {
            return Lang::from_tag(&code);
        }
        window
            .and_then(|w| w.navigator().language())
            .map_or(Lang::En, |tag| Lang::from_tag(&tag))
    }

    /// Remembers the choice and sets `<html lang>`.
    pub fn remember(self) {
        if let Some(w) = web_sys::window() {
            if let Ok(Some(s)) = w.local_storage() {
                let _ = s.set_item(STORAGE_KEY, self.code());
            }
            if let Some(root) = w.document().and_then(|d| d.document_element()) {
                let _ = root.set_attribute("lang", self.code());
            }
        }
    }
}

/// Every fixed string of the page.
pub struct Texts {
    /// Subtitle under the title.
    pub subtitle: &'static str,
    /// Run button.
    pub run: &'static str,
    /// Pause button.
    pub pause: &'static str,
    /// Run/pause tooltip.
    pub pause_tip: &'static str,
    /// Step button.
    pub step: &'static str,
    /// Step tooltip.
    pub step_tip: &'static str,
    /// Speed label.
    pub speed: &'static str,
    /// Speed tooltip.
    pub speed_tip: &'static str,
    /// Clock tooltip.
    pub clock_tip: &'static str,
    /// Create order button.
    pub create_order: &'static str,
    /// Create order tooltip.
    pub create_order_tip: &'static str,
    /// User id field.
    pub user: &'static str,
    /// User id tooltip.
    pub user_tip: &'static str,
    /// Amount field.
    pub amount: &'static str,
    /// Amount tooltip.
    pub amount_tip: &'static str,
    /// Placeholder of optional fields.
    pub random: &'static str,
    /// Order rate label.
    pub rate: &'static str,
    /// Order rate tooltip.
    pub rate_tip: &'static str,
    /// Seed label.
    pub seed: &'static str,
    /// Seed tooltip.
    pub seed_tip: &'static str,
    /// Reset button.
    pub reset: &'static str,
    /// Reset tooltip.
    pub reset_tip: &'static str,
    /// Settings button.
    pub settings: &'static str,
    /// Settings tooltip.
    pub settings_tip: &'static str,
    /// Language switch tooltip.
    pub lang_tip: &'static str,
    /// Physical view.
    pub physical: &'static str,
    /// Physical view tooltip.
    pub physical_tip: &'static str,
    /// Logical view.
    pub logical: &'static str,
    /// Logical view tooltip.
    pub logical_tip: &'static str,
    /// Show internal topic toggle.
    pub show_internal: &'static str,
    /// Show internal topic tooltip.
    pub show_internal_tip: &'static str,
    /// Controller box title.
    pub controller: &'static str,
    /// Broker state: running.
    pub online: &'static str,
    /// Broker state: crashed.
    pub down: &'static str,
    /// Broker state: links cut.
    pub isolated: &'static str,
    /// Broker state: fenced.
    pub fenced: &'static str,
    /// Partition without leader.
    pub offline: &'static str,
    /// Partition with a short ISR.
    pub under_replicated: &'static str,
    /// Leader badge tooltip.
    pub leader_tip: &'static str,
    /// Follower badge tooltip.
    pub follower_tip: &'static str,
    /// Out-of-sync tooltip.
    pub out_of_sync_tip: &'static str,
    /// Broker box tooltip.
    pub broker_tip: &'static str,
    /// Processed records.
    pub processed: &'static str,
    /// Consumer lag.
    pub lag: &'static str,
    /// Consumes.
    pub consumes: &'static str,
    /// Publishes.
    pub publishes: &'static str,
    /// Inspector title.
    pub inspector: &'static str,
    /// Inspector empty text.
    pub inspector_empty: &'static str,
    /// Close.
    pub close: &'static str,
    /// Fail a broker.
    pub fail_broker: &'static str,
    /// Fail tooltip.
    pub fail_broker_tip: &'static str,
    /// Restore a broker.
    pub restore_broker: &'static str,
    /// Restore tooltip.
    pub restore_broker_tip: &'static str,
    /// Isolate a broker.
    pub isolate_broker: &'static str,
    /// Isolate tooltip.
    pub isolate_broker_tip: &'static str,
    /// Heal a broker.
    pub heal_broker: &'static str,
    /// Heal tooltip.
    pub heal_broker_tip: &'static str,
    /// Heal the whole network.
    pub heal_network: &'static str,
    /// Heal network tooltip.
    pub heal_network_tip: &'static str,
    /// Fail the controller.
    pub fail_controller: &'static str,
    /// Fail controller tooltip.
    pub fail_controller_tip: &'static str,
    /// Restore the controller.
    pub restore_controller: &'static str,
    /// Restore controller tooltip.
    pub restore_controller_tip: &'static str,
    /// Add an instance.
    pub add_instance: &'static str,
    /// Add tooltip.
    pub add_instance_tip: &'static str,
    /// Remove an instance.
    pub remove_instance: &'static str,
    /// Remove tooltip.
    pub remove_instance_tip: &'static str,
    /// Crash an instance.
    pub crash: &'static str,
    /// Crash tooltip.
    pub crash_tip: &'static str,
    /// Restart an instance.
    pub restart: &'static str,
    /// Restart tooltip.
    pub restart_tip: &'static str,
    /// Drop a message.
    pub drop_message: &'static str,
    /// Drop tooltip.
    pub drop_message_tip: &'static str,
    /// Message delivered or gone.
    pub message_gone: &'static str,
    /// Leader.
    pub leader: &'static str,
    /// Leader epoch.
    pub leader_epoch: &'static str,
    /// Replicas.
    pub replicas: &'static str,
    /// In-sync replicas.
    pub isr: &'static str,
    /// High watermark.
    pub hw: &'static str,
    /// Log end offset.
    pub leo: &'static str,
    /// Role.
    pub role: &'static str,
    /// Broker.
    pub broker: &'static str,
    /// Yes.
    pub yes: &'static str,
    /// No.
    pub no: &'static str,
    /// Last records.
    pub last_records: &'static str,
    /// Offset.
    pub offset: &'static str,
    /// Committed (below HW).
    pub committed: &'static str,
    /// Not yet committed.
    pub uncommitted: &'static str,
    /// Key.
    pub key: &'static str,
    /// Value.
    pub value: &'static str,
    /// From.
    pub from: &'static str,
    /// To.
    pub to: &'static str,
    /// Sent at.
    pub sent_at: &'static str,
    /// Arrives at.
    pub deliver_at: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Content.
    pub content: &'static str,
    /// Partitions.
    pub partitions: &'static str,
    /// Group coordinator of.
    pub coordinates: &'static str,
    /// State.
    pub state: &'static str,
    /// Instances.
    pub instances: &'static str,
    /// Duplicates ignored by a service.
    pub duplicates_ignored: &'static str,
    /// Event log title.
    pub event_log: &'static str,
    /// Log filter tooltip.
    pub log_filter_tip: &'static str,
    /// Metrics title.
    pub metrics: &'static str,
    /// Acked records lost.
    pub lost_acked: &'static str,
    /// Lost tooltip.
    pub lost_acked_tip: &'static str,
    /// Duplicates suppressed.
    pub duplicates: &'static str,
    /// Duplicates tooltip.
    pub duplicates_tip: &'static str,
    /// Throughput.
    pub throughput: &'static str,
    /// Order latency.
    pub latency: &'static str,
    /// Elections.
    pub elections: &'static str,
    /// Orders completed.
    pub completed: &'static str,
    /// Stuck orders.
    pub stuck: &'static str,
    /// Orders title.
    pub orders: &'static str,
    /// Order.
    pub order: &'static str,
    /// Total.
    pub total: &'static str,
    /// Stage.
    pub stage: &'static str,
    /// Outbox title.
    pub outbox: &'static str,
    /// Email subject.
    pub subject: &'static str,
    /// Time.
    pub time: &'static str,
    /// Nothing yet.
    pub none_yet: &'static str,
    /// Settings title.
    pub settings_title: &'static str,
    /// Settings intro.
    pub settings_intro: &'static str,
    /// Brokers.
    pub brokers: &'static str,
    /// Kafka default label.
    pub kafka_default: &'static str,
    /// Timing preset.
    pub timing: &'static str,
    /// Sandbox preset.
    pub timing_sandbox: &'static str,
    /// Kafka defaults preset.
    pub timing_kafka: &'static str,
    /// Payment failure rate.
    pub payment_failures: &'static str,
    /// Apply.
    pub apply: &'static str,
    /// Apply tooltip.
    pub apply_tip: &'static str,
    /// Cancel.
    pub cancel: &'static str,
    /// Confirm rebuild text.
    pub confirm_rebuild: &'static str,
    /// Confirm button.
    pub confirm: &'static str,
    /// Not a number.
    pub not_a_number: &'static str,
    /// Idempotence needs acks=all.
    pub idempotence_needs_all: &'static str,
    /// Error panel title.
    pub crashed_title: &'static str,
    /// Keyboard help.
    pub keys_help: &'static str,
    /// Dismiss.
    pub dismiss: &'static str,
    /// Topic.
    pub topic: &'static str,
    /// Partition.
    pub partition: &'static str,
    /// Legend title.
    pub legend: &'static str,
    /// Timeline.
    pub timeline: &'static str,
    /// Created.
    pub created: &'static str,
    /// Published.
    pub published: &'static str,
    /// Paid.
    pub paid: &'static str,
    /// Refused.
    pub refused: &'static str,
    /// Shipped.
    pub shipped: &'static str,
    /// Emails.
    pub emails: &'static str,
    /// Publish failed.
    pub publish_failed: &'static str,
    /// Logical view explanation.
    pub logical_intro: &'static str,
    /// Group.
    pub group: &'static str,
    /// Committed offset.
    pub committed_offset: &'static str,
    /// Hidden internal topic hint.
    pub internal_hint: &'static str,
    /// Lessons picker label.
    pub lessons: &'static str,
    /// Lessons picker tooltip.
    pub lessons_tip: &'static str,
    /// Picker entry of the free sandbox.
    pub free_play: &'static str,
    /// Timeline tooltip.
    pub timeline_tip: &'static str,
    /// Shown while a replay runs.
    pub replaying: &'static str,
    /// Badge when the view shows the past.
    pub in_the_past: &'static str,
    /// Back to the end of the timeline.
    pub back_to_present: &'static str,
    /// Tooltip of the present button.
    pub back_to_present_tip: &'static str,
    /// Share button.
    pub share: &'static str,
    /// Share tooltip.
    pub share_tip: &'static str,
    /// Shown under the link.
    pub share_copied: &'static str,
    /// Prefix of a share error.
    pub share_failed: &'static str,
    /// Export button.
    pub export: &'static str,
    /// Export tooltip.
    pub export_tip: &'static str,
    /// Import button.
    pub import: &'static str,
    /// Import tooltip.
    pub import_tip: &'static str,
    /// Prefix of an import error.
    pub import_failed: &'static str,
    /// Prefix of an invalid share link.
    pub share_invalid: &'static str,
    /// Narration panel title.
    pub story: &'static str,
    /// Narration panel tooltip.
    pub story_tip: &'static str,
    /// Tooltip of a narration step.
    pub step_at_tip: &'static str,
    /// Count of recorded user actions.
    pub recorded_actions: &'static str,
}

/// English.
pub static EN: Texts = Texts {
    subtitle: "a simulated Apache Kafka cluster, live",
    run: "Run",
    pause: "Pause",
    pause_tip: "Pause or resume simulated time (Space)",
    step: "Step",
    step_tip: "Process the next simulated event only (Right arrow)",
    speed: "Speed",
    speed_tip: "Simulated seconds per real second (log scale, 0.1x to 50x)",
    clock_tip: "Simulated time (minutes:seconds.tenths)",
    create_order: "Create order",
    create_order_tip: "order_service publishes order.created {order_id, user_id, total}",
    user: "User",
    user_tip: "Customer id (empty: random)",
    amount: "Amount €",
    amount_tip: "Order total in euros (empty: random)",
    random: "random",
    rate: "Auto orders/s",
    rate_tip: "Automatic orders per simulated second (0 to 20)",
    seed: "Seed",
    seed_tip: "Seed of the deterministic simulation: same seed, same run",
    reset: "Reset",
    reset_tip: "Rebuild the world from scratch with this seed and the current settings",
    settings: "Settings",
    settings_tip: "Topic, producer and timing settings",
    lang_tip: "Passer en français",
    physical: "Physical",
    physical_tip: "Physical view: partitions as stored on brokers, messages on the wire",
    logical: "Logical",
    logical_tip: "Logical view: topic → partitions → replicas on brokers",
    show_internal: "__consumer_offsets",
    show_internal_tip: "Show the internal topic where consumer groups commit their offsets",
    controller: "Controller (KRaft)",
    online: "online",
    down: "DOWN",
    isolated: "ISOLATED",
    fenced: "fenced",
    offline: "OFFLINE",
    under_replicated: "under-replicated",
    leader_tip: "Leader: takes produce and fetch requests for this partition",
    follower_tip: "Follower: copies the leader's log by fetching",
    out_of_sync_tip: "Out of sync: not in the ISR",
    broker_tip: "Click to inspect, fail or isolate this broker",
    processed: "processed",
    lag: "lag",
    consumes: "consumes",
    publishes: "publishes",
    inspector: "Inspector",
    inspector_empty: "Click a broker, a partition row, a moving message, a link, a service or an order to see it here.",
    close: "Close",
    fail_broker: "Fail",
    fail_broker_tip: "Crash this broker process (it keeps its disk)",
    restore_broker: "Restore",
    restore_broker_tip: "Restart this broker: it registers, catches up and rejoins the ISR",
    isolate_broker: "Isolate",
    isolate_broker_tip: "Cut every network link of this broker (it keeps running)",
    heal_broker: "Heal",
    heal_broker_tip: "Restore this broker's network links",
    heal_network: "Heal network",
    heal_network_tip: "Restore every network link",
    fail_controller: "Fail controller",
    fail_controller_tip: "Crash this controller: with a majority left the quorum elects another active controller within seconds; without one, no fencing or election until it is back",
    restore_controller: "Restore controller",
    restore_controller_tip: "Restart the controller",
    add_instance: "+ instance",
    add_instance_tip: "Start one more instance in this consumer group (at most 4)",
    remove_instance: "− instance",
    remove_instance_tip: "Stop the last instance: it leaves the group",
    crash: "Crash",
    crash_tip: "Crash this instance: it loses what it did not commit",
    restart: "Restart",
    restart_tip: "Restart this instance: it rejoins and resumes from committed offsets",
    drop_message: "Drop message",
    drop_message_tip: "Lose this message on the network",
    message_gone: "This message has arrived or was dropped.",
    leader: "Leader",
    leader_epoch: "Leader epoch",
    replicas: "Replicas",
    isr: "ISR",
    hw: "HW",
    leo: "LEO",
    role: "Role",
    broker: "Broker",
    yes: "yes",
    no: "no",
    last_records: "Last records",
    offset: "Offset",
    committed: "committed",
    uncommitted: "not committed",
    key: "Key",
    value: "Value",
    from: "From",
    to: "To",
    sent_at: "Sent at",
    deliver_at: "Arrives at",
    kind: "Kind",
    content: "Content",
    partitions: "Partitions",
    coordinates: "Group coordinator of",
    state: "State",
    instances: "Instances",
    duplicates_ignored: "duplicates ignored",
    event_log: "Event log",
    log_filter_tip: "Show or hide this category",
    metrics: "Metrics",
    lost_acked: "Acked records lost",
    lost_acked_tip: "Acknowledged records missing from their partition: stays 0 with acks=all, min ISR 2 and no unclean election",
    duplicates: "Duplicates caught",
    duplicates_tip: "Retried batches the brokers recognised (idempotence) plus redeliveries services ignored",
    throughput: "Orders done/s",
    latency: "Order latency",
    elections: "Leader elections",
    completed: "Completed",
    stuck: "Stuck",
    orders: "Orders",
    order: "Order",
    total: "Total",
    stage: "Stage",
    outbox: "Email outbox",
    subject: "Subject",
    time: "Time",
    none_yet: "Nothing yet.",
    settings_title: "Settings",
    settings_intro: "Changing these rebuilds the world. The real Kafka default is shown beside each setting.",
    brokers: "Brokers",
    kafka_default: "Kafka default",
    timing: "Timing",
    timing_sandbox: "sandbox (slow, watchable)",
    timing_kafka: "Kafka defaults",
    payment_failures: "Payment failures %",
    apply: "Apply",
    apply_tip: "Check the settings and rebuild the world with them",
    cancel: "Cancel",
    confirm_rebuild: "Rebuild the world with these settings? The current run is lost.",
    confirm: "Rebuild",
    not_a_number: "is not a whole number",
    idempotence_needs_all: "enable.idempotence=true requires acks=all: Kafka refuses this producer configuration",
    crashed_title: "The sandbox crashed",
    keys_help: "Space: run/pause · →: step",
    dismiss: "Dismiss",
    topic: "Topic",
    partition: "Partition",
    legend: "Messages",
    timeline: "Timeline",
    created: "created",
    published: "published",
    paid: "paid",
    refused: "refused",
    shipped: "shipped",
    emails: "emails",
    publish_failed: "publish failed",
    logical_intro: "A topic is an abstraction: its partitions are what brokers store. Each partition has one leader and followers on other brokers.",
    group: "Group",
    committed_offset: "committed",
    internal_hint: "__consumer_offsets hidden",
    lessons: "Lessons",
    lessons_tip: "Load a guided scenario: its world, its timed actions and its step-by-step story",
    free_play: "Free sandbox",
    timeline_tip: "Drag back to see the past (the world is rebuilt by replay); acting or running from the past starts a new branch",
    replaying: "replaying…",
    in_the_past: "past",
    back_to_present: "Present",
    back_to_present_tip: "Jump to the latest time of this branch",
    share: "Share link",
    share_tip: "Put the seed, the settings and your actions in the page address and copy the link: opening it replays the same run",
    share_copied: "Link copied: whoever opens it sees this run replayed.",
    share_failed: "Cannot share this run",
    export: "Export",
    export_tip: "Download this run as a scenario file (JSON): the settings, the scenario's actions and yours",
    import: "Import",
    import_tip: "Load a scenario file (JSON); an invalid file is explained and the current world kept",
    import_failed: "This scenario file cannot be loaded",
    share_invalid: "This share link cannot be replayed",
    story: "Lesson",
    story_tip: "What the scenario shows, step by step; the current step is highlighted",
    step_at_tip: "Go to this step (replay to its time)",
    recorded_actions: "Your actions",
};

/// French.
pub static FR: Texts = Texts {
    subtitle: "un cluster Apache Kafka simulé, en direct",
    run: "Lancer",
    pause: "Pause",
    pause_tip: "Mettre en pause ou reprendre le temps simulé (Espace)",
    step: "Pas",
    step_tip: "Traiter uniquement le prochain événement simulé (flèche droite)",
    speed: "Vitesse",
    speed_tip: "Secondes simulées par seconde réelle (échelle log, 0,1x à 50x)",
    clock_tip: "Temps simulé (minutes:secondes.dixièmes)",
    create_order: "Créer une commande",
    create_order_tip: "order_service publie order.created {order_id, user_id, total}",
    user: "Client",
    user_tip: "Identifiant du client (vide : aléatoire)",
    amount: "Montant €",
    amount_tip: "Total de la commande en euros (vide : aléatoire)",
    random: "aléatoire",
    rate: "Commandes auto/s",
    rate_tip: "Commandes automatiques par seconde simulée (0 à 20)",
    seed: "Graine",
    seed_tip: "Graine de la simulation déterministe : même graine, même exécution",
    reset: "Réinitialiser",
    reset_tip: "Reconstruire le monde avec cette graine et les réglages actuels",
    settings: "Réglages",
    settings_tip: "Réglages des topics, du producteur et du temps",
    lang_tip: "Switch to English",
    physical: "Physique",
    physical_tip: "Vue physique : les partitions stockées sur les brokers, les messages sur le réseau",
    logical: "Logique",
    logical_tip: "Vue logique : topic → partitions → répliques sur les brokers",
    show_internal: "__consumer_offsets",
    show_internal_tip: "Afficher le topic interne où les groupes de consommateurs enregistrent leurs offsets",
    controller: "Contrôleur (KRaft)",
    online: "en ligne",
    down: "EN PANNE",
    isolated: "ISOLÉ",
    fenced: "écarté (fenced)",
    offline: "HORS LIGNE",
    under_replicated: "sous-répliquée",
    leader_tip: "Leader : reçoit les écritures et les lectures de cette partition",
    follower_tip: "Follower : copie le journal du leader en le lisant",
    out_of_sync_tip: "Désynchronisée : hors de l'ISR",
    broker_tip: "Cliquer pour inspecter, arrêter ou isoler ce broker",
    processed: "traités",
    lag: "retard",
    consumes: "consomme",
    publishes: "publie",
    inspector: "Inspecteur",
    inspector_empty: "Cliquez sur un broker, une ligne de partition, un message en mouvement, un lien, un service ou une commande pour l'afficher ici.",
    close: "Fermer",
    fail_broker: "Arrêter",
    fail_broker_tip: "Faire tomber ce broker (il garde son disque)",
    restore_broker: "Redémarrer",
    restore_broker_tip: "Redémarrer ce broker : il s'enregistre, rattrape son retard et revient dans l'ISR",
    isolate_broker: "Isoler",
    isolate_broker_tip: "Couper tous les liens réseau de ce broker (il continue de tourner)",
    heal_broker: "Reconnecter",
    heal_broker_tip: "Rétablir les liens réseau de ce broker",
    heal_network: "Réparer le réseau",
    heal_network_tip: "Rétablir tous les liens réseau",
    fail_controller: "Arrêter le contrôleur",
    fail_controller_tip: "Faire tomber ce contrôleur : s'il reste une majorité, le quorum élit un autre contrôleur actif en quelques secondes ; sinon, plus d'exclusion ni d'élection jusqu'à son retour",
    restore_controller: "Redémarrer le contrôleur",
    restore_controller_tip: "Redémarrer le contrôleur",
    add_instance: "+ instance",
    add_instance_tip: "Démarrer une instance de plus dans ce groupe de consommateurs (4 au plus)",
    remove_instance: "− instance",
    remove_instance_tip: "Arrêter la dernière instance : elle quitte le groupe",
    crash: "Planter",
    crash_tip: "Faire planter cette instance : elle perd ce qu'elle n'a pas validé",
    restart: "Relancer",
    restart_tip: "Relancer cette instance : elle rejoint le groupe et reprend aux offsets validés",
    drop_message: "Perdre le message",
    drop_message_tip: "Perdre ce message sur le réseau",
    message_gone: "Ce message est arrivé ou a été perdu.",
    leader: "Leader",
    leader_epoch: "Époque du leader",
    replicas: "Répliques",
    isr: "ISR",
    hw: "HW",
    leo: "LEO",
    role: "Rôle",
    broker: "Broker",
    yes: "oui",
    no: "non",
    last_records: "Derniers enregistrements",
    offset: "Offset",
    committed: "validé",
    uncommitted: "non validé",
    key: "Clé",
    value: "Valeur",
    from: "De",
    to: "À",
    sent_at: "Envoyé à",
    deliver_at: "Arrive à",
    kind: "Type",
    content: "Contenu",
    partitions: "Partitions",
    coordinates: "Coordinateur du groupe",
    state: "État",
    instances: "Instances",
    duplicates_ignored: "doublons ignorés",
    event_log: "Journal des événements",
    log_filter_tip: "Afficher ou masquer cette catégorie",
    metrics: "Métriques",
    lost_acked: "Confirmées perdues",
    lost_acked_tip: "Enregistrements confirmés absents de leur partition : reste à 0 avec acks=all, min ISR 2 et sans élection impure",
    duplicates: "Doublons supprimés",
    duplicates_tip: "Lots renvoyés reconnus par les brokers (idempotence) et relivraisons ignorées par les services",
    throughput: "Cmd. finies/s",
    latency: "Latence des commandes",
    elections: "Élections de leader",
    completed: "Terminées",
    stuck: "Bloquées",
    orders: "Commandes",
    order: "Commande",
    total: "Total",
    stage: "Étape",
    outbox: "Boîte d'envoi",
    subject: "Objet",
    time: "Heure",
    none_yet: "Rien pour l'instant.",
    settings_title: "Réglages",
    settings_intro: "Les modifier reconstruit le monde. La valeur par défaut de Kafka est indiquée à côté de chaque réglage.",
    brokers: "Brokers",
    kafka_default: "Défaut Kafka",
    timing: "Temps",
    timing_sandbox: "bac à sable (lent, observable)",
    timing_kafka: "valeurs de Kafka",
    payment_failures: "Paiements refusés %",
    apply: "Appliquer",
    apply_tip: "Vérifier les réglages et reconstruire le monde avec eux",
    cancel: "Annuler",
    confirm_rebuild: "Reconstruire le monde avec ces réglages ? L'exécution en cours sera perdue.",
    confirm: "Reconstruire",
    not_a_number: "n'est pas un nombre entier",
    idempotence_needs_all: "enable.idempotence=true exige acks=all : Kafka refuse cette configuration du producteur",
    crashed_title: "Le bac à sable a planté",
    keys_help: "Espace : lancer/pause · → : pas",
    dismiss: "Fermer",
    topic: "Topic",
    partition: "Partition",
    legend: "Messages",
    timeline: "Chronologie",
    created: "créée",
    published: "publiée",
    paid: "payée",
    refused: "refusée",
    shipped: "expédiée",
    emails: "e-mails",
    publish_failed: "publication échouée",
    logical_intro: "Un topic est une abstraction : ce sont ses partitions que les brokers stockent. Chaque partition a un leader et des followers sur d'autres brokers.",
    group: "Groupe",
    committed_offset: "validé",
    internal_hint: "__consumer_offsets masqué",
    lessons: "Leçons",
    lessons_tip: "Charger un scénario guidé : son monde, ses actions datées et son récit pas à pas",
    free_play: "Bac à sable libre",
    timeline_tip: "Glisser en arrière pour revoir le passé (le monde est reconstruit par rejeu) ; agir ou reprendre depuis le passé crée une nouvelle branche",
    replaying: "rejeu…",
    in_the_past: "passé",
    back_to_present: "Présent",
    back_to_present_tip: "Revenir au dernier instant de cette branche",
    share: "Lien de partage",
    share_tip: "Mettre la graine, les réglages et vos actions dans l'adresse de la page et copier le lien : l'ouvrir rejoue la même partie",
    share_copied: "Lien copié : qui l'ouvre voit cette partie rejouée.",
    share_failed: "Impossible de partager cette partie",
    export: "Exporter",
    export_tip: "Télécharger cette partie comme fichier de scénario (JSON) : les réglages, les actions du scénario et les vôtres",
    import: "Importer",
    import_tip: "Charger un fichier de scénario (JSON) ; un fichier invalide est expliqué et le monde actuel conservé",
    import_failed: "Ce fichier de scénario ne peut pas être chargé",
    share_invalid: "Ce lien de partage ne peut pas être rejoué",
    story: "Leçon",
    story_tip: "Ce que montre le scénario, pas à pas ; l'étape en cours est mise en évidence",
    step_at_tip: "Aller à cette étape (rejeu jusqu'à son instant)",
    recorded_actions: "Vos actions",
};
