//! The inspector: details and actions for what was clicked (controller, broker, partition,
//! message, service, order or link).

use std::rc::Rc;

use yew::prelude::*;

use super::links::LinkInspector;
use super::sequence::{clock_ms, lifeline_name, stage_title, step_label};
use crate::services::{HopAction, OrderFocus, OrderView, ServiceKind, WorldSnapshot};
use crate::sim::snapshot::ReplicaRole;
use crate::sim::{BrokerId, Command, ControllerId, MessageId, TopicPartition};
use crate::ui::describe::{self, broker, euros, message_kind, role_name, Names};
use crate::ui::geometry::format_clock;
use crate::ui::i18n::Lang;
use crate::ui::state::{Action, Selection, View};

/// Properties of [`Inspector`].
#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// What to show.
    pub selection: Selection,
    /// This frame's picture.
    pub snap: Rc<WorldSnapshot>,
    /// Node labels.
    pub names: Rc<Names>,
    /// The order, when an order is selected (the snapshot only carries the latest ones).
    pub order: Option<OrderView>,
    /// The order followed, with its sequence.
    pub focus: Rc<Option<OrderFocus>>,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

fn button(
    id: String,
    label: &str,
    tip: &str,
    class: &'static str,
    cb: &Callback<Action>,
    a: Action,
) -> Html {
    let cb = cb.clone();
    html! {
        <button id={id} class={classes!("btn", class)} title={tip.to_string()} onclick={Callback::from(move |_: MouseEvent| cb.emit(a.clone()))}>{ label.to_string() }</button>
    }
}

/// The inspector panel.
#[function_component(Inspector)]
pub fn inspector(p: &InspectorProps) -> Html {
    let t = p.lang.t();
    let close = {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::None)))
    };
    let body = match &p.selection {
        Selection::None => html! { <p class="muted">{ t.inspector_empty }</p> },
        Selection::Controller(c) => controller(p, *c),
        Selection::Broker(b) => broker_panel(p, *b),
        Selection::Partition(tp) => partition(p, *tp),
        Selection::Record(tp, offset) => record(p, *tp, *offset),
        Selection::Message(id) => message(p, *id),
        Selection::Service(k) => service(p, *k),
        Selection::Order(_) => order(p),
        Selection::Step(o, i) => step(p, *o, *i),
        Selection::Link(..) | Selection::ServiceLink(..) => html! {
            <LinkInspector selection={p.selection.clone()} snap={p.snap.clone()} names={p.names.clone()} lang={p.lang} on_action={p.on_action.clone()} />
        },
    };
    html! {
        <section id="inspector" class="panel inspector">
            <header>
                <h2>{ t.inspector }</h2>
                if p.selection != Selection::None {
                    <button class="btn small ghost" title={t.close} onclick={close}>{ "✕" }</button>
                }
            </header>
            <div class="panel-body">{ body }</div>
        </section>
    }
}

/// "Preferred leader election": the active controller hands each partition back to its first
/// replica where it is in sync (what `auto.leader.rebalance.enable` does by itself every
/// `leader.imbalance.check.interval.ms` past an imbalance threshold).
fn elect_preferred_button(p: &InspectorProps) -> Html {
    button(
        "elect-preferred".into(),
        p.lang.pick("Preferred leader election", "Élection du leader préféré"),
        p.lang.pick(
            "Ask the controller to give each partition back to its preferred replica (the first of its assignment) where it is in the ISR, as kafka-leader-election --election-type PREFERRED does",
            "Demander au contrôleur de rendre chaque partition à son réplica préféré (le premier de son affectation) s'il est dans l'ISR, comme kafka-leader-election --election-type PREFERRED",
        ),
        "",
        &p.on_action,
        Action::Command(Command::ElectPreferredLeaders),
    )
}

fn kv(k: &str, v: impl Into<Html>) -> Html {
    html! { <tr><th>{ k.to_string() }</th><td>{ v.into() }</td></tr> }
}

fn controller(p: &InspectorProps, id: ControllerId) -> Html {
    let t = p.lang.t();
    let lang = p.lang;
    let Some(c) = p.snap.sim.controllers.iter().find(|c| c.id == id) else {
        return html! { <p class="muted">{ "?" }</p> };
    };
    let named = Some(id);
    let name =
        |c: Option<ControllerId>| c.map_or("-".to_string(), |c| format!("controller-{}", c.0));
    let records: Html = c
        .recent_records
        .iter()
        .rev()
        .map(|r| {
            html! {
                <li class={classes!((!r.committed).then_some("uncommitted"))}>
                    <span class="offset">{ format!("@{} e{}", r.offset, r.epoch) }</span>
                    { " " }<span class="kind">{ r.kind }</span>
                    { " " }{ r.summary.clone() }
                    if !r.committed { { " " }<em>{ lang.pick("(not committed)", "(non validé)") }</em> }
                </li>
            }
        })
        .collect();
    html! {
        <>
            <h3>{ format!("controller-{}", id.0) }</h3>
            <table class="kv">
                { kv(t.state, if !c.online { t.down } else if c.isolated { t.isolated } else { t.online }) }
                { kv(lang.pick("quorum role", "rôle dans le quorum"), c.role.map_or(t.down, |r| role_name(r, lang))) }
                { kv(lang.pick("active controller", "contrôleur actif"), if c.active { lang.pick("yes", "oui") } else { lang.pick("no", "non") }) }
                { kv(lang.pick("epoch", "époque"), c.epoch.to_string()) }
                { kv(lang.pick("voted for", "vote"), name(c.voted_for)) }
                { kv(lang.pick("leader it knows", "leader connu"), name(c.leader)) }
                { kv(lang.pick("metadata log end (LEO)", "fin du journal (LEO)"), c.metadata_end_offset.to_string()) }
                { kv(lang.pick("committed (HW)", "validé (HW)"), c.metadata_high_watermark.to_string()) }
            </table>
            <p class="hint">{ lang.pick(
                "The controllers replicate the __cluster_metadata log with Raft (KRaft). The active controller, the quorum's leader, watches broker heartbeats, fences a broker that misses its session timeout and elects partition leaders from the ISR, each decision a record that counts once a majority has it.",
                "Les contrôleurs répliquent le journal __cluster_metadata avec Raft (KRaft). Le contrôleur actif, leader du quorum, surveille les heartbeats des brokers, écarte celui qui dépasse son délai de session et élit les leaders dans l'ISR ; chaque décision est un enregistrement qui ne compte qu'une fois détenu par une majorité.") }</p>
            <h4>{ lang.pick("Latest metadata records", "Derniers enregistrements de métadonnées") }</h4>
            <ul id="controller-records" class="records">{ records }</ul>
            <div class="actions">
                if c.online {
                    { button("controller-fail".into(), t.fail_controller, t.fail_controller_tip, "danger", &p.on_action, Action::Command(Command::FailController { controller: named })) }
                } else {
                    { button("controller-restore".into(), t.restore_controller, t.restore_controller_tip, "primary", &p.on_action, Action::Command(Command::RestoreController { controller: named })) }
                }
                if c.isolated {
                    { button("controller-heal".into(), lang.pick("Heal links", "Rétablir les liens"), lang.pick("Restore every link of this controller", "Rétablir tous les liens de ce contrôleur"), "primary", &p.on_action, Action::Command(Command::HealController { controller: named })) }
                } else {
                    { button("controller-isolate".into(), lang.pick("Isolate", "Isoler"), lang.pick("Cut every link of this controller (to the other controllers and to the brokers)", "Couper tous les liens de ce contrôleur (vers les autres contrôleurs et les brokers)"), "", &p.on_action, Action::Command(Command::IsolateController { controller: named })) }
                }
                { button("heal-network".into(), t.heal_network, t.heal_network_tip, "", &p.on_action, Action::Command(Command::HealNetwork)) }
                { elect_preferred_button(p) }
            </div>
        </>
    }
}

fn broker_panel(p: &InspectorProps, id: BrokerId) -> Html {
    let t = p.lang.t();
    let Some(b) = p.snap.sim.brokers.iter().find(|b| b.id == id) else {
        return html! { <p class="muted">{ "?" }</p> };
    };
    let led: Vec<String> = p
        .snap
        .sim
        .partitions
        .iter()
        .filter(|pv| pv.leader == Some(id) && !pv.internal)
        .map(|pv| format!("{}-{}", pv.topic, pv.tp.partition))
        .collect();
    html! {
        <>
            <h3>{ format!("Broker {}", id.0) }</h3>
            <table class="kv">
                { kv(t.state, if !b.online { t.down } else if b.isolated { t.isolated } else if b.fenced { t.fenced } else { t.online }) }
                { kv(t.leader, if led.is_empty() { "-".to_string() } else { led.join(", ") }) }
                { kv(t.coordinates, if b.coordinates.is_empty() { "-".to_string() } else { b.coordinates.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", ") }) }
                { kv(p.lang.pick("metadata applied", "métadonnées appliquées"), p.lang.pick(format!("up to offset {}", b.metadata_offset), format!("jusqu'à l'offset {}", b.metadata_offset))) }
            </table>
            <div class="actions">
                if b.online {
                    { button(format!("broker-{}-fail", id.0), t.fail_broker, t.fail_broker_tip, "danger", &p.on_action, Action::Command(Command::FailBroker { broker: id })) }
                } else {
                    { button(format!("broker-{}-restore", id.0), t.restore_broker, t.restore_broker_tip, "primary", &p.on_action, Action::Command(Command::RestoreBroker { broker: id })) }
                }
                if b.isolated {
                    { button(format!("broker-{}-heal", id.0), t.heal_broker, t.heal_broker_tip, "primary", &p.on_action, Action::Command(Command::HealBroker { broker: id })) }
                } else {
                    { button(format!("broker-{}-isolate", id.0), t.isolate_broker, t.isolate_broker_tip, "warn", &p.on_action, Action::Command(Command::IsolateBroker { broker: id })) }
                }
            </div>
            <p class="hint">{ p.lang.pick(
                "A failed broker stops heartbeating: after the session timeout the controller fences it and moves leadership to another in-sync replica.",
                "Un broker arrêté n'envoie plus de heartbeat : après le délai de session, le contrôleur l'écarte et confie la direction à une autre réplique synchronisée.") }</p>
        </>
    }
}

fn partition(p: &InspectorProps, tp: TopicPartition) -> Html {
    let t = p.lang.t();
    let Some(pv) = p.snap.sim.partitions.iter().find(|x| x.tp == tp) else {
        return html! { <p class="muted">{ "?" }</p> };
    };
    let replicas: Html = pv
        .replica_states
        .iter()
        .map(|r| {
            let role = match r.role {
                ReplicaRole::Leader => t.leader,
                ReplicaRole::Follower => "Follower",
                ReplicaRole::Unknown => "?",
            };
            html! {
                <tr class={classes!((!r.in_isr).then_some("out-of-sync"))}>
                    <td>{ r.broker.0 }</td><td>{ role }</td><td>{ r.log_end_offset }</td><td>{ r.high_watermark }</td>
                    <td>{ if r.in_isr { t.yes } else { t.no } }</td>
                </tr>
            }
        })
        .collect();
    let records: Html = pv
        .recent_records
        .iter()
        .rev()
        .map(|r| {
            let cb = p.on_action.clone();
            let offset = r.offset;
            html! {
                <tr class={classes!("clickable", if r.committed { "committed" } else { "uncommitted" })}
                    onclick={Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Record(tp, offset))))}>
                    <td>{ r.offset }</td>
                    <td>{ r.key.as_deref().unwrap_or("-").to_string() }</td>
                    <td class="value" title={r.value.to_string()}>{ r.value.to_string() }</td>
                    <td>{ if r.committed { t.committed } else { t.uncommitted } }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <>
            <h3>{ format!("{}-{}", pv.topic, tp.partition) }</h3>
            <table class="kv">
                { kv(t.leader, pv.leader.map_or(t.offline.to_string(), broker)) }
                { kv(t.leader_epoch, pv.leader_epoch.to_string()) }
                { kv(t.isr, format!("{:?}", pv.isr.iter().map(|b| b.0).collect::<Vec<_>>())) }
                { kv("HW / LEO", format!("{} / {}", pv.high_watermark, pv.log_end_offset)) }
            </table>
            if pv.offline { <p class="alert bad">{ p.lang.pick("No leader: writes and reads of this partition are impossible.", "Pas de leader : impossible d'écrire ou de lire cette partition.") }</p> }
            else if pv.under_min_isr { <p class="alert bad">{ p.lang.pick("ISR below min.insync.replicas: acks=all writes are refused (NOT_ENOUGH_REPLICAS).", "ISR sous min.insync.replicas : les écritures acks=all sont refusées (NOT_ENOUGH_REPLICAS).") }</p> }
            else if pv.under_replicated { <p class="alert warn">{ p.lang.pick("Under-replicated: a replica is out of the ISR.", "Sous-répliquée : une réplique est hors de l'ISR.") }</p> }
            if pv.internal {
                <p class="muted" id="compaction-note">{ p.lang.pick(
                    format!("Compacted topic: {} records kept of {} written. Below the HW the log cleaner keeps only the latest commit of each group and partition.", pv.retained_records, pv.log_end_offset),
                    format!("Topic compacté : {} records gardés sur {} écrits. Sous le HW, le nettoyeur ne garde que le dernier commit de chaque groupe et partition.", pv.retained_records, pv.log_end_offset),
                ) }</p>
            }
            if let Some(preferred) = pv.replicas.first().filter(|b| pv.leader != Some(**b)) {
                <p id="preferred-note" class="hint">
                    { p.lang.pick(
                        format!("Its preferred leader is broker {} (the first replica of its assignment). A preferred leader election hands it back once that replica is in the ISR.", preferred.0),
                        format!("Son leader préféré est le broker {} (le premier réplica de son affectation). Une élection du leader préféré le lui rend dès que ce réplica est dans l'ISR.", preferred.0)) }
                </p>
                <div class="actions">{ elect_preferred_button(p) }</div>
            }
            <h4>{ t.replicas }</h4>
            <table class="grid" id="partition-replicas">
                <thead><tr><th>{ t.broker }</th><th>{ t.role }</th><th>{ t.leo }</th><th>{ t.hw }</th><th>{ t.isr }</th></tr></thead>
                <tbody>{ replicas }</tbody>
            </table>
            <h4>{ t.last_records }</h4>
            <table class="grid records">
                <thead><tr><th>{ t.offset }</th><th>{ t.key }</th><th>{ t.value }</th><th></th></tr></thead>
                <tbody>{ records }</tbody>
            </table>
        </>
    }
}

fn record(p: &InspectorProps, tp: TopicPartition, offset: u64) -> Html {
    let t = p.lang.t();
    let Some(pv) = p.snap.sim.partitions.iter().find(|x| x.tp == tp) else {
        return html! { <p class="muted">{ "?" }</p> };
    };
    let back = {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Partition(tp))))
    };
    let name = format!("{}-{}", pv.topic, tp.partition);
    let Some(r) = pv.recent_records.iter().find(|r| r.offset == offset) else {
        return html! {
            <>
                <p class="muted">{ p.lang.pick("This record is no longer among the partition's latest.", "Cet enregistrement n'est plus parmi les derniers de la partition.") }</p>
                <button class="btn small" title={name.clone()} onclick={back}>{ format!("← {name}") }</button>
            </>
        };
    };
    let value = serde_json::from_str::<serde_json::Value>(&r.value)
        .and_then(|v| serde_json::to_string(&v))
        .map_or_else(
            |_| r.value.to_string(),
            |compact| crate::scenario::share::indent_json(&compact),
        );
    let holders: Vec<String> = pv
        .replica_states
        .iter()
        .filter(|rep| rep.log_end_offset > offset)
        .map(|rep| rep.broker.0.to_string())
        .collect();
    let consumed: Vec<String> = p
        .snap
        .sim
        .groups
        .iter()
        .filter(|g| g.committed.iter().any(|(x, o)| *x == tp && *o > offset))
        .map(|g| g.group.to_string())
        .collect();
    html! {
        <>
            <h3>{ format!("{name} @ {offset}") }</h3>
            <table class="kv">
                { kv(t.offset, offset.to_string()) }
                { kv(t.leader_epoch, r.leader_epoch.to_string()) }
                { kv(t.key, r.key.as_deref().unwrap_or("-").to_string()) }
                { kv(t.state, if r.committed { t.committed } else { t.uncommitted }) }
                { kv(p.lang.pick("On brokers", "Sur les brokers"), holders.join(", ")) }
                { kv(p.lang.pick("Committed by groups", "Validé par les groupes"), if consumed.is_empty() { "-".to_string() } else { consumed.join(", ") }) }
            </table>
            <p class="hint">{ p.lang.pick(
                "Committed means below the high watermark: every in-sync replica has it, so consumers may read it and it survives a leader change.",
                "Validé signifie sous le high watermark : toutes les répliques synchronisées l'ont, les consommateurs peuvent le lire et il survit à un changement de leader.") }</p>
            <h4>{ t.value }</h4>
            <pre class="json">{ value }</pre>
            <button class="btn small" title={name.clone()} onclick={back}>{ format!("← {name}") }</button>
        </>
    }
}

fn message(p: &InspectorProps, id: MessageId) -> Html {
    let t = p.lang.t();
    let live = p.snap.sim.messages.iter().find(|m| m.id == id);
    let dropped = p.snap.sim.dropped.iter().find(|d| d.message.id == id);
    let Some(m) = live.or(dropped.map(|d| &d.message)) else {
        return html! { <p class="muted">{ t.message_gone }</p> };
    };
    html! {
        <>
            <h3>{ format!("{} #{}", m.api, m.id.0) }</h3>
            <table class="kv">
                { kv(t.kind, message_kind(m.kind, p.lang)) }
                { kv(t.from, p.names.node(m.from, p.lang)) }
                { kv(t.to, p.names.node(m.to, p.lang)) }
                { kv(t.sent_at, format_clock(m.sent_at)) }
                { kv(t.deliver_at, format_clock(m.deliver_at)) }
                { kv(t.content, html! { <code class="summary">{ m.summary.clone() }</code> }) }
            </table>
            if !m.partitions.is_empty() {
                <h4>{ p.lang.pick("Partitions in this fetch", "Partitions de ce fetch") }</h4>
                <ul class="fetch-partitions">
                    { for m.partitions.iter().map(|line| html! { <li><code>{ line.clone() }</code></li> }) }
                </ul>
            }
            if live.is_some() {
                <div class="actions">
                    { button("drop-message".into(), t.drop_message, t.drop_message_tip, "danger", &p.on_action, Action::Command(Command::DropMessage { id })) }
                </div>
            } else if let Some(d) = dropped {
                <p class="alert bad">{ p.lang.pick(format!("Dropped at {} ({:?})", format_clock(d.dropped_at), d.reason), format!("Perdu à {} ({:?})", format_clock(d.dropped_at), d.reason)) }</p>
            }
        </>
    }
}

fn service(p: &InspectorProps, kind: ServiceKind) -> Html {
    let t = p.lang.t();
    let Some(svc) = p.snap.services.iter().find(|s| s.kind == kind) else {
        return Html::default();
    };
    let rows: Html = svc
        .instances
        .iter()
        .map(|inst| {
            let i = inst.index;
            let parts = inst
                .partitions
                .iter()
                .map(|tp| p.names.partition(*tp))
                .collect::<Vec<_>>()
                .join(", ");
            html! {
                <tr class={classes!((!inst.online).then_some("out-of-sync"))}>
                    <td>{ format!("#{}", i + 1) }</td>
                    <td>{ describe::phase(inst.phase, p.lang) }</td>
                    <td class="value" title={parts.clone()}>{ if parts.is_empty() { "-".to_string() } else { parts } }</td>
                    <td>{ inst.processed }</td>
                    <td>
                        if inst.online {
                            { button(format!("{}-{}-crash", kind.name(), i), t.crash, t.crash_tip, "danger small", &p.on_action, Action::Crash(kind, i)) }
                        } else {
                            { button(format!("{}-{}-restart", kind.name(), i), t.restart, t.restart_tip, "primary small", &p.on_action, Action::Restart(kind, i)) }
                        }
                    </td>
                </tr>
            }
        })
        .collect();
    let group = p.snap.sim.groups.iter().find(|g| &*g.group == kind.name());
    html! {
        <>
            <h3>{ kind.name() }</h3>
            <table class="kv">
                { kv(t.consumes, if kind.consumes().is_empty() { "-".to_string() } else { kind.consumes().join(", ") }) }
                { kv(t.publishes, if kind.publishes().is_empty() { "-".to_string() } else { kind.publishes().join(", ") }) }
                { kv(t.processed, svc.processed.to_string()) }
                { kv(t.lag, svc.lag.to_string()) }
                { kv(t.duplicates_ignored, svc.duplicates_suppressed.to_string()) }
                if let Some(g) = group {
                    { kv(t.group, format!("{} · gen {} · {}", g.state, g.generation, g.coordinator.map_or("-".to_string(), broker))) }
                }
            </table>
            <h4>{ t.instances }</h4>
            <table class="grid">
                <thead><tr><th>{ "#" }</th><th>{ t.state }</th><th>{ t.partitions }</th><th>{ t.processed }</th><th></th></tr></thead>
                <tbody>{ rows }</tbody>
            </table>
            if kind != ServiceKind::OrderService {
                <div class="actions">
                    { button(format!("{}-add", kind.name()), t.add_instance, t.add_instance_tip, "", &p.on_action, Action::AddInstance(kind)) }
                    { button(format!("{}-remove", kind.name()), t.remove_instance, t.remove_instance_tip, "", &p.on_action, Action::RemoveInstance(kind)) }
                </div>
            }
            if let Some(g) = group {
                <h4>{ t.committed_offset }</h4>
                <table class="grid">
                    <thead><tr><th>{ t.partition }</th><th>{ t.committed_offset }</th><th>{ t.lag }</th></tr></thead>
                    <tbody>
                        { for g.lag.iter().map(|(tp, lag)| {
                            let c = g.committed.iter().find(|(x, _)| x == tp).map_or("-".to_string(), |(_, o)| o.to_string());
                            html! { <tr><td>{ p.names.partition(*tp) }</td><td>{ c }</td><td>{ lag }</td></tr> }
                        }) }
                    </tbody>
                </table>
            }
        </>
    }
}

/// One step of an order's sequence: what, between whom, when, where, and how it ended.
fn step(p: &InspectorProps, order_id: u64, index: usize) -> Html {
    let lang = p.lang;
    let Some(s) = p
        .focus
        .as_ref()
        .as_ref()
        .filter(|f| f.order_id == order_id)
        .and_then(|f| f.sequence.get(index))
    else {
        return html! { <p class="muted">{ lang.pick("This step is no longer kept.", "Cette étape n'est plus conservée.") }</p> };
    };
    let outcome = if let Some(r) = s.lost {
        lang.pick(
            format!("lost at {} ({r:?})", clock_ms(s.at)),
            format!("perdu à {} ({r:?})", clock_ms(s.at)),
        )
    } else if s.in_flight() {
        lang.pick(
            format!("in flight, due at {}", clock_ms(s.at)),
            format!("en vol, attendu à {}", clock_ms(s.at)),
        )
    } else if s.kind.name() == "process" && !s.arrived {
        lang.pick(
            format!("processing until {}", clock_ms(s.at)),
            format!("en cours jusqu'à {}", clock_ms(s.at)),
        )
    } else {
        lang.pick(
            format!("arrived at {}", clock_ms(s.at)),
            format!("arrivé à {}", clock_ms(s.at)),
        )
    };
    let explain = match s.kind.name() {
        "placed" => lang.pick("The customer's order reaches order_service, which publishes order.created.", "La commande du client arrive à order_service, qui publie order.created."),
        "produce" => lang.pick("The producer sends the batch holding this record to the partition's leader: only the leader accepts writes.", "Le producteur envoie le lot contenant cet enregistrement au leader de la partition : seul le leader accepte les écritures."),
        "replicate" => lang.pick("A follower fetched from the leader and got this record: the high watermark moves once every in-sync replica has it.", "Un follower a fait un fetch auprès du leader et reçu cet enregistrement : le high watermark avance quand toutes les répliques in-sync l'ont."),
        "acknowledge" => lang.pick("The leader answers the produce. With acks=all it waits until the in-sync replicas have the record.", "Le leader répond au produce. Avec acks=all il attend que les répliques in-sync aient l'enregistrement."),
        "deliver" => lang.pick("The leader hands the record to a consumer of the service's group, once it is below the high watermark.", "Le leader remet l'enregistrement à un consommateur du groupe du service, une fois sous le high watermark."),
        "process" => lang.pick("The service reacts to the record: Kafka only stores and serves it.", "Le service réagit à l'enregistrement : Kafka ne fait que le stocker et le servir."),
        "uncommitted" => lang.pick("The instance stopped after processing the record but before committing past it. Its group will hand the record to whoever takes the partition, from the last committed offset: at-least-once delivery, made harmless by the service's dedupe.", "L'instance s'est arrêtée après avoir traité l'enregistrement mais avant de valider sa position. Son groupe redonnera l'enregistrement à qui reprend la partition, depuis le dernier offset validé : livraison au moins une fois, rendue sans effet par la déduplication du service."),
        "commit" | "commit_answer" => lang.pick("The instance commits its position past the record to the group coordinator (__consumer_offsets): after a crash, the group resumes from there.", "L'instance valide sa position après l'enregistrement auprès du coordinateur du groupe (__consumer_offsets) : après un arrêt, le groupe reprend de là."),
        _ => lang.pick("email_service sends the email of this step; its dedupe makes sure a redelivered record sends nothing twice.", "email_service envoie l'e-mail de cette étape ; sa déduplication évite tout double envoi sur une relivraison."),
    };
    let back = {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Order(order_id))))
    };
    let show_message = s.message.filter(|_| s.in_flight()).map(|id| {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            cb.emit(Action::SetView(View::Physical));
            cb.emit(Action::Select(Selection::Message(id)));
        })
    });
    html! {
        <>
            <h3 id="inspected-step">{ step_label(s, order_id, &p.names, lang) }</h3>
            <table class="kv">
                { kv(lang.pick("order", "commande"), format!("#{order_id}")) }
                { kv(lang.pick("seed step", "étape du cycle"), stage_title(s.stage, lang)) }
                { kv(lang.pick("from", "de"), lifeline_name(s.from, lang)) }
                { kv(lang.pick("to", "à"), lifeline_name(s.to, lang)) }
                { kv(lang.pick("sent", "envoyé"), clock_ms(s.sent_at)) }
                { kv(lang.pick("outcome", "issue"), outcome) }
                if s.at > s.sent_at { { kv(lang.pick("took", "durée"), format!("{} ms", s.at - s.sent_at)) } }
                if let Some(tp) = s.tp { { kv(lang.pick("partition", "partition"), p.names.partition(tp)) } }
                if let Some(o) = s.offset { { kv(if s.kind.name().starts_with("commit") { lang.pick("position", "position") } else { "offset" }, o.to_string()) } }
                if let Some(id) = s.message { { kv(lang.pick("message", "message"), format!("#{}", id.0)) } }
            </table>
            <p class="hint">{ explain }</p>
            <div class="actions">
                <button id="step-back" class="btn" onclick={back}>{ lang.pick("Back to the order", "Retour à la commande") }</button>
                if let Some(cb) = show_message {
                    <button id="step-show-message" class="btn" onclick={cb}>{ lang.pick("Show it in flight", "Le voir en vol") }</button>
                }
            </div>
        </>
    }
}

fn order(p: &InspectorProps) -> Html {
    let t = p.lang.t();
    let Some(o) = &p.order else {
        return html! { <p class="muted">{ "?" }</p> };
    };
    let lang = p.lang;
    // (time, order of emission, text, is a hop): hops say where each record was.
    let mut steps: Vec<(u64, usize, String, Option<&'static str>)> =
        vec![(o.created_at, 0, t.created.to_string(), None)];
    if o.hops.is_empty() {
        if let Some(x) = o.published_at {
            let what = lang.pick("order.created acknowledged", "order.created acquitté");
            steps.push((x, 1, what.to_string(), None));
        }
    }
    for (n, h) in o.hops.iter().enumerate() {
        let at = format!("{}@{}", p.names.partition(h.tp), h.offset);
        let who = if h.instance == 0 {
            h.service.name().to_string()
        } else {
            format!("{}#{}", h.service.name(), h.instance + 1)
        };
        let leader = h
            .broker
            .map_or_else(|| lang.pick("no leader", "sans leader").to_string(), broker);
        let (text, class) = match h.action {
            HopAction::Written => (
                lang.pick(
                    format!("{at} acknowledged by {leader} (written by {who})"),
                    format!("{at} acquitté par {leader} (écrit par {who})"),
                ),
                "hop-written",
            ),
            HopAction::Read => (
                lang.pick(
                    format!("{who} reads {at} (leader {leader})"),
                    format!("{who} lit {at} (leader {leader})"),
                ),
                "hop-read",
            ),
            HopAction::DuplicateIgnored => (
                lang.pick(
                    format!("{who} gets {at} again: duplicate ignored"),
                    format!("{who} reçoit {at} à nouveau : doublon ignoré"),
                ),
                "hop-duplicate",
            ),
        };
        steps.push((h.at, 1 + n, text, Some(class)));
    }
    if let Some(x) = o.paid_at {
        steps.push((x, 100, format!("{} (payment_service)", t.paid), None));
    }
    if let Some(x) = o.refused_at {
        steps.push((x, 100, format!("{} (payment_service)", t.refused), None));
    }
    if let Some(x) = o.shipped_at {
        steps.push((x, 100, format!("{} (shipping_service)", t.shipped), None));
    }
    for (step, at) in &o.emails {
        let (en, fr) = step.subject(o.order_id);
        steps.push((*at, 100, format!("✉ {}", p.lang.pick(en, fr)), None));
    }
    crate::sim::sort::sort_by_key(&mut steps, |s| (s.0, s.1));
    html! {
        <>
            <h3>{ format!("{} #{}", t.order, o.order_id) }</h3>
            <table class="kv">
                { kv(t.user, o.user_id.to_string()) }
                { kv(t.total, euros(o.total)) }
                { kv(t.stage, html! { <span id="inspected-order-stage" class={classes!("ostage", format!("stage-{:?}", o.stage).to_lowercase())}>{ describe::stage(o.stage, p.lang) }</span> }) }
                if let Some(l) = o.latency_ms { { kv(t.latency, format!("{:.1} s", l as f64 / 1000.0)) } }
                if let Some(s) = &o.stuck { { kv(t.stuck, describe::stuck(s, p.lang)) } }
                if let Some(e) = &o.publish_error { { kv(t.publish_failed, e.clone()) } }
            </table>
            <div class="actions">
                <button id="order-follow" class="btn primary" title={lang.pick("Every message of this order along time", "Chaque message de cette commande au fil du temps")}
                    onclick={{ let cb = p.on_action.clone(); Callback::from(move |_: MouseEvent| cb.emit(Action::SetView(View::Sequence))) }}>
                    { lang.pick("Follow it in the sequence view", "La suivre dans la vue séquence") }
                </button>
            </div>
            <h4>{ t.timeline }</h4>
            <ol class="timeline" id="order-timeline">
                { for steps.iter().map(|(at, _, what, class)| html! { <li class={classes!(*class)}><span class="at">{ format_clock(*at) }</span>{ what.clone() }</li> }) }
            </ol>
        </>
    }
}
