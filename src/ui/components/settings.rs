//! The settings panel: topic, producer, broker and timing settings with the real Kafka default
//! beside each. Applying validates first (the error is shown and the current world kept), then
//! asks for confirmation in the page before rebuilding the world.

use std::rc::Rc;

use yew::prelude::*;

use crate::services::WorldConfig;
use crate::sim::{Acks, ClusterConfig, TimingPreset};
use crate::ui::dom::parse_u64;
use crate::ui::i18n::Lang;
use crate::ui::state::Action;

/// Properties of [`Settings`].
#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    /// The current world's settings.
    pub config: Rc<WorldConfig>,
    /// The current seed.
    pub seed: u64,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// What the form holds (as typed).
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// Broker count.
    pub brokers: String,
    /// Partitions per topic.
    pub partitions: String,
    /// Replication factor.
    pub replication_factor: String,
    /// min.insync.replicas.
    pub min_isr: String,
    /// acks.
    pub acks: Acks,
    /// enable.idempotence.
    pub idempotence: bool,
    /// unclean.leader.election.enable.
    pub unclean: bool,
    /// Timing preset.
    pub timing: TimingPreset,
    /// Payment failures in percent.
    pub payment_failures: String,
    /// The timings behind the preset, editable: broker.session.timeout.ms,
    /// replica.lag.time.max.ms, the producer's request.timeout.ms, the consumers'
    /// session.timeout.ms and the services' commit interval.
    pub timings: [String; 5],
}

/// The timings the form shows: (field id, name EN, name FR, tip EN, tip FR).
const TIMINGS: [(&str, &str, &str, &str, &str); 5] = [
    ("set-broker-session", "broker.session.timeout.ms", "broker.session.timeout.ms", "A broker without heartbeat for this long is fenced by the controller, which then elects new leaders for its partitions", "Un broker sans battement de cœur pendant ce délai est écarté par le contrôleur, qui élit de nouveaux leaders pour ses partitions"),
    ("set-lag-time", "replica.lag.time.max.ms", "replica.lag.time.max.ms", "A follower not caught up with the leader for this long leaves the ISR", "Un follower qui n'a pas rattrapé le leader pendant ce délai quitte l'ISR"),
    ("set-request-timeout", "request.timeout.ms", "request.timeout.ms", "A produce request unanswered for this long fails and is retried", "Une requête d'écriture sans réponse pendant ce délai échoue et est renvoyée"),
    ("set-consumer-session", "session.timeout.ms", "session.timeout.ms", "A consumer without heartbeat for this long is removed from its group, which rebalances", "Un consommateur sans battement de cœur pendant ce délai est retiré de son groupe, qui se rééquilibre"),
    ("set-commit-interval", "commit interval (services)", "intervalle de validation (services)", "Each service instance commits its offsets after processing, at most this often (a consumer's auto.commit.interval.ms is 5000 by default; the services commit by hand): records processed since the last commit are delivered again after a crash", "Chaque instance de service valide ses offsets après traitement, au plus à ce rythme (auto.commit.interval.ms vaut 5000 par défaut ; les services valident eux-mêmes) : les enregistrements traités depuis la dernière validation sont relivrés après une panne"),
];

/// The timings of a configuration, in [`TIMINGS`] order.
fn timings_of(c: &WorldConfig) -> [u64; 5] {
    [
        c.sim.cluster.broker_session_timeout_ms,
        c.sim.cluster.replica_lag_time_max_ms,
        c.sim.producer.request_timeout_ms,
        c.sim.consumer.session_timeout_ms,
        c.services.commit_interval_ms,
    ]
}

impl Draft {
    /// The form filled from a configuration.
    pub fn from_config(c: &WorldConfig) -> Draft {
        Draft {
            brokers: c.sim.cluster.brokers.to_string(),
            partitions: c.services.partitions.to_string(),
            replication_factor: c.services.replication_factor.to_string(),
            min_isr: c.services.min_insync_replicas.to_string(),
            acks: c.sim.producer.acks,
            idempotence: c.sim.producer.enable_idempotence,
            unclean: c.sim.cluster.unclean_leader_election_enable,
            timing: c.sim.timing,
            payment_failures: format!("{:.0}", c.services.payment_failure_rate * 100.0),
            timings: timings_of(c).map(|v| v.to_string()),
        }
    }

    /// The configuration the form describes, or the message explaining why it cannot be.
    pub fn to_config(&self, current: &WorldConfig, lang: Lang) -> Result<WorldConfig, String> {
        let t = lang.t();
        let num = |label: &str, s: &str| -> Result<u32, String> {
            match parse_u64(s) {
                Ok(Some(v)) if v <= u32::MAX as u64 => Ok(v as u32),
                _ => Err(format!("{label}: \"{}\" {}", s.trim(), t.not_a_number)),
            }
        };
        let brokers = num(t.brokers, &self.brokers)?;
        let partitions = num("partitions", &self.partitions)?;
        let rf = num("replication factor", &self.replication_factor)?;
        let min_isr = num("min.insync.replicas", &self.min_isr)?;
        let failures = num(t.payment_failures, &self.payment_failures)?.min(100);
        if self.idempotence && self.acks != Acks::All {
            return Err(t.idempotence_needs_all.to_string());
        }
        let mut c = WorldConfig::default_for(self.timing);
        c.sim.cluster = ClusterConfig::preset(self.timing, brokers);
        c.sim.cluster.unclean_leader_election_enable = self.unclean;
        c.sim.producer.acks = self.acks;
        c.sim.producer.enable_idempotence = self.idempotence;
        c.sim.topics = current.sim.topics.clone();
        c.services.partitions = partitions;
        c.services.replication_factor = rf;
        c.services.min_insync_replicas = min_isr;
        c.services.payment_failure_rate = failures as f64 / 100.0;
        c.services.instances = current.services.instances;
        let mut timing = [0u64; 5];
        for (i, (_, en, fr, _, _)) in TIMINGS.iter().enumerate() {
            let name = lang.pick(*en, *fr);
            timing[i] = match parse_u64(&self.timings[i]) {
                Ok(Some(v)) if (1..=3_600_000).contains(&v) => v,
                _ => {
                    return Err(format!(
                        "{name}: \"{}\" {}",
                        self.timings[i].trim(),
                        lang.pick(
                            "is not a number of ms from 1 to 3600000",
                            "n'est pas un nombre de ms de 1 à 3600000"
                        )
                    ))
                }
            };
        }
        [
            c.sim.cluster.broker_session_timeout_ms,
            c.sim.cluster.replica_lag_time_max_ms,
            c.sim.producer.request_timeout_ms,
            c.sim.consumer.session_timeout_ms,
            c.services.commit_interval_ms,
        ] = timing;
        let max = crate::services::world::COMMIT_INTERVAL_MS_MAX;
        if c.services.commit_interval_ms > max {
            return Err(format!(
                "{}: {} {max}",
                lang.pick(TIMINGS[4].1, TIMINGS[4].2),
                lang.pick("at most", "au plus")
            ));
        }
        // A session must outlast the heartbeats that keep it.
        let sessions = [
            (
                "broker.session.timeout.ms",
                c.sim.cluster.broker_session_timeout_ms,
                "broker.heartbeat.interval.ms",
                c.sim.cluster.broker_heartbeat_interval_ms,
            ),
            (
                "session.timeout.ms",
                c.sim.consumer.session_timeout_ms,
                "heartbeat.interval.ms",
                c.sim.consumer.heartbeat_interval_ms,
            ),
        ];
        for (name, session, beat, every) in sessions {
            if session <= every {
                return Err(format!(
                    "{name}: {session} {} {beat} ({every})",
                    lang.pick("must be above", "doit dépasser")
                ));
            }
        }
        c.validate().map_err(|e| e.to_string())?;
        Ok(c)
    }
}

/// The settings panel.
#[function_component(Settings)]
pub fn settings(p: &SettingsProps) -> Html {
    let t = p.lang.t();
    let draft = use_state(|| Draft::from_config(&p.config));
    let error = use_state(|| None::<String>);
    let pending = use_state(|| None::<Rc<WorldConfig>>);

    let text = |id: &'static str,
                label: &str,
                tip: &str,
                default: &str,
                get: fn(&Draft) -> &String,
                set: fn(&mut Draft, String)| {
        let draft2 = draft.clone();
        let pending = pending.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            let mut d = (*draft2).clone();
            set(&mut d, v);
            draft2.set(d);
            pending.set(None);
        });
        html! {
            <div class="setting" title={tip.to_string()}>
                <label for={id}>{ label.to_string() }</label>
                <input id={id} type="text" inputmode="numeric" value={get(&draft).clone()} oninput={oninput} />
                <span class="default">{ format!("{}: {default}", t.kafka_default) }</span>
            </div>
        }
    };
    let check = |id: &'static str,
                 label: &str,
                 tip: &str,
                 default: &str,
                 get: fn(&Draft) -> bool,
                 set: fn(&mut Draft, bool)| {
        let draft2 = draft.clone();
        let pending = pending.clone();
        let onchange = Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked();
            let mut d = (*draft2).clone();
            set(&mut d, v);
            draft2.set(d);
            pending.set(None);
        });
        html! {
            <div class="setting" title={tip.to_string()}>
                <label for={id}>{ label.to_string() }</label>
                <input id={id} type="checkbox" checked={get(&draft)} onchange={onchange} />
                <span class="default">{ format!("{}: {default}", t.kafka_default) }</span>
            </div>
        }
    };
    let on_acks = {
        let draft = draft.clone();
        let pending = pending.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let mut d = (*draft).clone();
            d.acks = match v.as_str() {
                "0" => Acks::None,
                "1" => Acks::Leader,
                _ => Acks::All,
            };
            draft.set(d);
            pending.set(None);
        })
    };
    let on_timing = {
        let draft = draft.clone();
        let pending = pending.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let mut d = (*draft).clone();
            d.timing = if v == "kafka" {
                TimingPreset::Kafka
            } else {
                TimingPreset::Sandbox
            };
            // The values behind the preset fill the timing fields.
            d.timings = timings_of(&WorldConfig::default_for(d.timing)).map(|v| v.to_string());
            draft.set(d);
            pending.set(None);
        })
    };
    let on_apply = {
        let (draft, error, pending) = (draft.clone(), error.clone(), pending.clone());
        let current = p.config.clone();
        let lang = p.lang;
        Callback::from(move |_: MouseEvent| match draft.to_config(&current, lang) {
            Ok(c) => {
                error.set(None);
                pending.set(Some(Rc::new(c)));
            }
            Err(e) => {
                pending.set(None);
                error.set(Some(e));
            }
        })
    };
    let on_confirm = {
        let pending = pending.clone();
        let cb = p.on_action.clone();
        let seed = p.seed;
        Callback::from(move |_: MouseEvent| {
            if let Some(c) = (*pending).clone() {
                cb.emit(Action::Rebuild(Box::new((*c).clone()), seed));
            }
        })
    };
    let on_cancel_confirm = {
        let pending = pending.clone();
        Callback::from(move |_: MouseEvent| pending.set(None))
    };
    let on_close = {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::OpenSettings(false)))
    };
    let d = &*draft;
    html! {
        <div class="modal-backdrop">
            <section id="settings" class="panel modal" role="dialog" aria-labelledby="settings-title">
                <header>
                    <h2 id="settings-title">{ t.settings_title }</h2>
                    <button id="settings-close" class="btn small ghost" title={t.close} onclick={on_close.clone()}>{ "✕" }</button>
                </header>
                <div class="panel-body">
                    <p class="hint">{ t.settings_intro }</p>
                    <div class="settings-grid">
                        { text("set-brokers", t.brokers, p.lang.pick("Number of brokers in the cluster (1 to 7)", "Nombre de brokers du cluster (1 à 7)"), p.lang.pick("— (sandbox: 3)", "— (bac à sable : 3)"), |d| &d.brokers, |d, v| d.brokers = v) }
                        { text("set-partitions", "num.partitions", p.lang.pick("Partitions of each order-chain topic (1 to 12)", "Partitions de chaque topic de la chaîne (1 à 12)"), "1", |d| &d.partitions, |d, v| d.partitions = v) }
                        { text("set-rf", "default.replication.factor", p.lang.pick("Copies of each partition, on distinct brokers", "Copies de chaque partition, sur des brokers distincts"), "1", |d| &d.replication_factor, |d, v| d.replication_factor = v) }
                        { text("set-min-isr", "min.insync.replicas", p.lang.pick("With acks=all, a write needs this many in-sync replicas", "Avec acks=all, une écriture exige ce nombre de répliques synchronisées"), "1", |d| &d.min_isr, |d, v| d.min_isr = v) }
                        <div class="setting" title={p.lang.pick("Which replicas must have a record before the producer gets its ack", "Quelles répliques doivent avoir l'enregistrement avant la confirmation au producteur")}>
                            <label for="set-acks">{ "acks" }</label>
                            <select id="set-acks" onchange={on_acks}>
                                <option value="all" selected={d.acks == Acks::All}>{ "all" }</option>
                                <option value="1" selected={d.acks == Acks::Leader}>{ "1" }</option>
                                <option value="0" selected={d.acks == Acks::None}>{ "0" }</option>
                            </select>
                            <span class="default">{ format!("{}: all", t.kafka_default) }</span>
                        </div>
                        { check("set-idempotence", "enable.idempotence", p.lang.pick("Producer ids and sequence numbers let brokers drop retried duplicates", "Identifiants de producteur et numéros de séquence : les brokers écartent les doublons renvoyés"), "true", |d| d.idempotence, |d, v| d.idempotence = v) }
                        { check("set-unclean", "unclean.leader.election.enable", p.lang.pick("Allow an out-of-sync replica to become leader (may lose acknowledged records)", "Autoriser une réplique désynchronisée à devenir leader (peut perdre des écritures confirmées)"), "false", |d| d.unclean, |d, v| d.unclean = v) }
                        <div class="setting" title={p.lang.pick("Sandbox: latency 150-400 ms, session timeout 3 s, lag time 6 s. Kafka: 9 s session, 30 s lag, ~1-3 ms latency", "Bac à sable : latence 150-400 ms, session 3 s, retard max 6 s. Kafka : session 9 s, retard 30 s, latence ~1-3 ms")}>
                            <label for="set-timing">{ t.timing }</label>
                            <select id="set-timing" onchange={on_timing}>
                                <option value="sandbox" selected={d.timing == TimingPreset::Sandbox}>{ t.timing_sandbox }</option>
                                <option value="kafka" selected={d.timing == TimingPreset::Kafka}>{ t.timing_kafka }</option>
                            </select>
                            <span class="default">{ format!("{}: {}", t.kafka_default, t.timing_kafka) }</span>
                        </div>
                        { for TIMINGS.iter().enumerate().map(|(i, (id, name_en, name_fr, en, fr))| {
                            let draft2 = draft.clone();
                            let pending = pending.clone();
                            let oninput = Callback::from(move |e: InputEvent| {
                                let v = e.target_unchecked_into::<web_sys::HtmlInputElement>().value();
                                let mut d = (*draft2).clone();
                                d.timings[i] = v;
                                draft2.set(d);
                                pending.set(None);
                            });
                            let kafka = timings_of(&WorldConfig::default_for(TimingPreset::Kafka))[i];
                            let sandbox = timings_of(&WorldConfig::default_for(TimingPreset::Sandbox))[i];
                            html! {
                                <div class="setting timing" title={p.lang.pick(*en, *fr).to_string()}>
                                    <label for={*id}>{ p.lang.pick(*name_en, *name_fr) }</label>
                                    <input id={*id} type="text" inputmode="numeric" value={d.timings[i].clone()} oninput={oninput} />
                                    <span class="default">{ format!("Kafka {kafka} · {} {sandbox}", p.lang.pick("sandbox", "bac à sable")) }</span>
                                </div>
                            }
                        }) }
                        { text("set-payment-failures", t.payment_failures, p.lang.pick("Share of payments refused by payment_service (0 to 100)", "Part des paiements refusés par payment_service (0 à 100)"), "—", |d| &d.payment_failures, |d, v| d.payment_failures = v) }
                    </div>
                    <p id="settings-commit-note" class="hint">{ p.lang.pick(
                        "The services commit their offsets by hand after processing, a batch per commit interval; the consumers' own auto-commit is off.",
                        "Les services valident leurs offsets eux-mêmes après traitement, un lot par intervalle ; l'auto-commit des consommateurs est désactivé.") }</p>
                    if let Some(e) = (*error).clone() {
                        <p id="settings-error" class="alert bad" role="alert">{ e }</p>
                    }
                    if pending.is_some() {
                        <div id="settings-confirm-box" class="alert warn">
                            <p>{ t.confirm_rebuild }</p>
                            <button id="settings-confirm" class="btn danger" title={t.confirm_rebuild} onclick={on_confirm}>{ t.confirm }</button>
                            <button id="settings-cancel-confirm" class="btn" title={t.cancel} onclick={on_cancel_confirm}>{ t.cancel }</button>
                        </div>
                    } else {
                        <div class="actions">
                            <button id="settings-apply" class="btn primary" title={t.apply_tip} onclick={on_apply}>{ t.apply }</button>
                            <button id="settings-cancel" class="btn" title={t.cancel} onclick={on_close}>{ t.cancel }</button>
                        </div>
                    }
                </div>
            </section>
        </div>
    }
}
