//! The cluster operations panel: add or remove a broker, reassign a partition (with an
//! optional throttle), change a topic's replication factor, partition count or
//! `min.insync.replicas`, on the running world. Each control sends a scenario action, so the
//! operation is recorded (share links, time travel) and a refused one is explained.

use std::rc::Rc;

use yew::prelude::*;

use crate::scenario::Action as ScenarioAction;
use crate::services::WorldSnapshot;
use crate::ui::i18n::Lang;
use crate::ui::state::Action;

/// Properties of [`Operations`].
#[derive(Properties, PartialEq)]
pub struct OperationsProps {
    /// This frame's picture.
    pub snap: Rc<WorldSnapshot>,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// What the form holds, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
struct Form {
    rack: String,
    remove: String,
    topic: String,
    partition: String,
    replicas: String,
    throttle: String,
    count: String,
    min_isr: String,
    rf: String,
}

/// Builds a button's action from the form and the chosen topic, or says what is wrong.
type Build = Rc<dyn Fn(&Form, &str) -> Result<ScenarioAction, String>>;

/// A whole number typed in a field, or what is wrong with it.
fn number(field: &str, text: &str, lang: Lang) -> Result<u32, String> {
    text.trim().parse::<u32>().map_err(|_| {
        lang.pick(
            format!("{field}: type a whole number, not {:?}", text.trim()),
            format!("{field} : tapez un nombre entier, pas {:?}", text.trim()),
        )
    })
}

/// A replica list typed as `4,2,3` (spaces allowed).
fn broker_list(text: &str, lang: Lang) -> Result<Vec<u32>, String> {
    text.split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| number(lang.pick("replicas", "répliques"), s, lang))
        .collect()
}

/// The cluster operations, in a folding panel.
#[function_component(Operations)]
pub fn operations(p: &OperationsProps) -> Html {
    let form = use_state(Form::default);
    let open = use_state(|| false);
    let lang = p.lang;
    let on_summary = {
        let open = open.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            open.set(!*open);
        })
    };
    let title = lang.pick("Cluster operations", "Opérations sur le cluster");
    if !*open {
        // Folded, it draws nothing else (the page redraws with the clock).
        return html! {
            <details id="operations" class="panel ops">
                <summary id="operations-summary" onclick={on_summary}>{ title }</summary>
            </details>
        };
    }
    let sim = &p.snap.sim;
    let topics: Vec<&str> = sim
        .topics
        .iter()
        .filter(|t| !t.internal)
        .map(|t| &*t.name)
        .collect();
    let topic = if topics.contains(&form.topic.as_str()) {
        form.topic.clone()
    } else {
        topics.first().map_or(String::new(), |t| t.to_string())
    };
    let topic_view = sim.topics.iter().find(|t| *t.name == *topic);
    let live: Vec<u32> = sim
        .brokers
        .iter()
        .filter(|b| !b.left)
        .map(|b| b.id.0)
        .collect();
    let racked = sim.brokers.iter().any(|b| b.rack.is_some());
    let field = |id: &'static str,
                 label: String,
                 tip: String,
                 numeric: bool,
                 get: fn(&Form) -> &String,
                 set: fn(&mut Form, String)| {
        let form = form.clone();
        let value = get(&form).clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            let mut f = (*form).clone();
            set(&mut f, v);
            form.set(f);
        });
        html! {
            <label title={tip}>{ label }
                <input id={id} type="text" inputmode={numeric.then_some("numeric")} value={value} oninput={oninput} />
            </label>
        }
    };
    // Sends the action a button builds from the form, or the reason it cannot.
    let button = |id: &'static str, label: String, tip: String, build: Build| {
        let cb = p.on_action.clone();
        let form = form.clone();
        let topic = topic.clone();
        let onclick = Callback::from(move |_: MouseEvent| match build(&form, &topic) {
            Ok(a) => cb.emit(Action::Scenario(a)),
            Err(e) => cb.emit(Action::Notify(e)),
        });
        html! { <button id={id} type="button" title={tip} onclick={onclick}>{ label }</button> }
    };
    // A select writes its choice into the form.
    let on_select = |set: fn(&mut Form, String)| {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let mut f = (*form).clone();
            set(&mut f, v);
            form.set(f);
        })
    };
    let on_topic = on_select(|f, v| f.topic = v);
    let on_remove = on_select(|f, v| f.remove = v);
    let remove_pick = if live.iter().any(|b| b.to_string() == form.remove) {
        form.remove.clone()
    } else {
        live.last().map_or(String::new(), |b| b.to_string())
    };
    let summary = topic_view.map_or(String::new(), |t| {
        lang.pick(
            format!(
                "{}: {} partitions · RF {} · min ISR {}",
                t.name, t.partitions, t.replication_factor, t.min_insync_replicas
            ),
            format!(
                "{} : {} partitions · RF {} · min ISR {}",
                t.name, t.partitions, t.replication_factor, t.min_insync_replicas
            ),
        )
    });
    html! {
        <details id="operations" class="panel ops" open=true>
            <summary id="operations-summary" onclick={on_summary}>{ title }</summary>
            <p class="op-hint">{ lang.pick(
                "Change the cluster while it runs: each operation goes through the active controller's metadata log.",
                "Modifiez le cluster en marche : chaque opération passe par le journal de métadonnées du contrôleur actif.") }</p>
            <div class="op">
                if racked {
                    { field("op-rack", lang.pick("rack", "rack").into(), lang.pick("broker.rack of the new broker", "broker.rack du nouveau broker").into(), false, |f| &f.rack, |f, v| f.rack = v) }
                }
                { button("op-add-broker", lang.pick("+ Add broker", "+ Ajouter un broker").into(),
                    lang.pick("Start a broker with the next id (at most 7): it hosts nothing until partitions are reassigned to it",
                        "Démarre un broker avec l'id suivant (7 au plus) : il n'héberge rien tant qu'on ne lui réaffecte pas de partitions").into(),
                    Rc::new(|f: &Form, _: &str| Ok(ScenarioAction::AddBroker {
                        rack: Some(f.rack.trim().to_string()).filter(|r| !r.is_empty()),
                    }))) }
            </div>
            <div class="op">
                <label>{ lang.pick("broker", "broker") }
                    <select id="op-remove-broker" onchange={on_remove}>
                        { for live.iter().map(|b| html! {
                            <option value={b.to_string()} selected={b.to_string() == remove_pick}>{ b.to_string() }</option>
                        }) }
                    </select>
                </label>
                { button("op-remove", lang.pick("Remove (controlled shutdown)", "Retirer (arrêt contrôlé)").into(),
                    lang.pick("It hands its leaderships over first, then stops and leaves the cluster; its replicas stay assigned to it until reassigned",
                        "Il cède d'abord ses leaderships, puis s'arrête et quitte le cluster ; ses répliques lui restent affectées jusqu'à réaffectation").into(),
                    Rc::new(move |_: &Form, _: &str| Ok(ScenarioAction::RemoveBroker {
                        broker: number("broker", &remove_pick, lang)?,
                    }))) }
            </div>
            <div class="op">
                <label>{ "topic" }
                    <select id="op-topic" onchange={on_topic}>
                        { for topics.iter().map(|t| html! {
                            <option value={t.to_string()} selected={*t == topic}>{ t.to_string() }</option>
                        }) }
                    </select>
                </label>
                <span class="op-hint">{ summary }</span>
            </div>
            <div class="op">
                { field("op-partition", "partition".into(), lang.pick("Partition number", "Numéro de partition").into(), true, |f| &f.partition, |f, v| f.partition = v) }
                { field("op-replicas", lang.pick("replicas", "répliques").into(), lang.pick("Target brokers, the preferred leader first: 4,2,3", "Brokers cibles, le leader préféré d'abord : 4,2,3").into(), false, |f| &f.replicas, |f, v| f.replicas = v) }
                { field("op-throttle", lang.pick("throttle B/s", "limite o/s").into(), lang.pick("Optional replication throttle while the new replicas catch up, in bytes per second", "Limite de réplication facultative pendant le rattrapage, en octets par seconde").into(), true, |f| &f.throttle, |f, v| f.throttle = v) }
                { button("op-reassign", lang.pick("Reassign", "Réaffecter").into(),
                    lang.pick("KIP-455: the new replicas catch up as followers and join the ISR, then the old ones are dropped",
                        "KIP-455 : les nouvelles répliques rattrapent en suiveuses et rejoignent l'ISR, puis les anciennes sont retirées").into(),
                    Rc::new(move |f: &Form, topic: &str| {
                        let throttle = match f.throttle.trim() {
                            "" => None,
                            t => Some(u64::from(number(lang.pick("throttle", "limite"), t, lang)?)),
                        };
                        Ok(ScenarioAction::Reassign {
                            topic: topic.to_string(),
                            partition: number("partition", &f.partition, lang)?,
                            replicas: broker_list(&f.replicas, lang)?,
                            throttle_bytes_per_sec: throttle,
                        })
                    })) }
            </div>
            <div class="op">
                { field("op-partitions", lang.pick("partitions", "partitions").into(), lang.pick("The new total (more than today; partitions are never removed)", "Le nouveau total (plus qu'aujourd'hui ; on ne retire jamais de partition)").into(), true, |f| &f.count, |f, v| f.count = v) }
                { button("op-add-partitions", lang.pick("Set", "Appliquer").into(),
                    lang.pick("kafka-topics --alter --partitions: keyed records map with the new count from now on",
                        "kafka-topics --alter --partitions : les clés se répartissent désormais selon le nouveau nombre").into(),
                    Rc::new(move |f: &Form, topic: &str| Ok(ScenarioAction::AddPartitions {
                        topic: topic.to_string(),
                        count: number("partitions", &f.count, lang)?,
                    }))) }
                { field("op-rf", "RF".into(), lang.pick("Replication factor: each partition is reassigned", "Facteur de réplication : chaque partition est réaffectée").into(), true, |f| &f.rf, |f, v| f.rf = v) }
                { button("op-set-rf", lang.pick("Set", "Appliquer").into(), lang.pick("Raise or lower the topic's replication factor", "Augmente ou réduit le facteur de réplication du topic").into(),
                    Rc::new(move |f: &Form, topic: &str| Ok(ScenarioAction::SetReplicationFactor {
                        topic: topic.to_string(),
                        replication_factor: number("RF", &f.rf, lang)?,
                    }))) }
                { field("op-min-isr", "min ISR".into(), "min.insync.replicas".into(), true, |f| &f.min_isr, |f, v| f.min_isr = v) }
                { button("op-set-min-isr", lang.pick("Set", "Appliquer").into(),
                    lang.pick("kafka-configs --alter: the next acks=all writes need this many in-sync replicas",
                        "kafka-configs --alter : les prochaines écritures acks=all exigent ce nombre de répliques synchronisées").into(),
                    Rc::new(move |f: &Form, topic: &str| Ok(ScenarioAction::SetTopicConfig {
                        topic: topic.to_string(),
                        min_insync_replicas: number("min ISR", &f.min_isr, lang)?,
                    }))) }
            </div>
        </details>
    }
}
