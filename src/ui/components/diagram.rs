//! The physical view: the controller on top, brokers with the partition replicas they store,
//! the services below, and every in-flight message as a dot moving along its path.

use std::rc::Rc;

use yew::prelude::*;

use crate::services::{ServiceKind, WorldSnapshot};
use crate::sim::snapshot::{BrokerView, PartitionView, ReplicaRole, ReplicaView};
use crate::sim::NodeId;
use crate::ui::describe::{message_class, phase, Names};
use crate::ui::geometry::{
    broker_width, cells_per_line, content_height, fade, layout, link_path, message_path,
    partition_row, point_at, progress, replica_cell, Endpoint, Layout, Rect, LABEL_H, ROW_H,
};
use crate::ui::i18n::Lang;
use crate::ui::state::{Action, Selection};

/// Messages drawn at most (the rest are still simulated).
pub const MESSAGES_DRAWN_MAX: usize = 400;
/// How long a dropped message takes to fade out (simulated ms).
pub const DROP_FADE_MS: u64 = 1500;

/// Properties of [`Diagram`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// This frame's picture.
    pub snap: Rc<WorldSnapshot>,
    /// Node labels.
    pub names: Rc<Names>,
    /// Show `__consumer_offsets`.
    pub show_internal: bool,
    /// Current selection.
    pub selection: Selection,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// One line inside a broker.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A topic label.
    Topic(Rc<str>),
    /// Replicas side by side: index into the snapshot's partitions, and the replica.
    Replicas(Vec<(usize, ReplicaView)>),
}

/// The lines each broker shows: topic labels and the replicas it stores, `cols` per line.
pub fn broker_lines(snap: &WorldSnapshot, show_internal: bool, cols: usize) -> Vec<Vec<Line>> {
    snap.sim
        .brokers
        .iter()
        .map(|b| {
            let mut lines = Vec::new();
            for t in snap
                .sim
                .topics
                .iter()
                .filter(|t| show_internal || !t.internal)
            {
                let mut cells = Vec::new();
                for (i, p) in snap.sim.partitions.iter().enumerate() {
                    if p.topic != t.name {
                        continue;
                    }
                    if let Some(r) = p.replica_states.iter().find(|r| r.broker == b.id) {
                        cells.push((i, r.clone()));
                    }
                }
                if !cells.is_empty() {
                    lines.push(Line::Topic(t.name.clone()));
                    lines.extend(
                        cells
                            .chunks(cols.max(1))
                            .map(|c| Line::Replicas(c.to_vec())),
                    );
                }
            }
            lines
        })
        .collect()
}

/// Where a node is drawn.
pub fn endpoint(snap: &WorldSnapshot, names: &Names, n: NodeId) -> Option<Endpoint> {
    match n {
        NodeId::Controller => Some(Endpoint::Controller),
        NodeId::Broker(b) => snap
            .sim
            .brokers
            .iter()
            .position(|x| x.id == b)
            .map(Endpoint::Broker),
        NodeId::Client(c) => names
            .clients
            .get(&c)
            .map(|(s, i)| Endpoint::Instance(*s, *i)),
    }
}

/// The diagram's layout for a snapshot.
pub fn diagram_layout(snap: &WorldSnapshot, lines: &[Vec<Line>]) -> Layout {
    let content = lines
        .iter()
        .map(|l| {
            let labels = l.iter().filter(|x| matches!(x, Line::Topic(_))).count();
            content_height(labels, l.len() - labels)
        })
        .fold(0.0, f64::max);
    let mut instances = [1usize; 4];
    for (s, svc) in snap.services.iter().enumerate().take(4) {
        instances[s] = svc.instances.len();
    }
    layout(snap.sim.brokers.len(), content, &instances)
}

/// The physical view.
#[function_component(Diagram)]
pub fn diagram(p: &DiagramProps) -> Html {
    let snap = &p.snap;
    let cols = cells_per_line(broker_width(snap.sim.brokers.len()));
    let lines = broker_lines(snap, p.show_internal, cols);
    let l = diagram_layout(snap, &lines);
    let t = p.lang.t();
    let select = |sel: Selection| {
        let cb = p.on_action.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            cb.emit(Action::Select(sel.clone()))
        })
    };

    // Wiring: controller to brokers, brokers to services.
    let mut links = Vec::new();
    for (i, b) in snap.sim.brokers.iter().enumerate() {
        let cut = b.isolated || snap.sim.controller.isolated;
        let d = link_path(&l, Endpoint::Controller, Endpoint::Broker(i)).svg_d();
        links.push(html! { <path class={classes!("link", cut.then_some("cut"))} d={d} /> });
        for s in 0..l.services.len() {
            let d = link_path(&l, Endpoint::Instance(s, 0), Endpoint::Broker(i)).svg_d();
            links.push(html! { <path class={classes!("link", "client-link", b.isolated.then_some("cut"))} d={d} /> });
        }
    }

    let c = l.controller;
    let ctrl = &snap.sim.controller;
    let controller = html! {
        <g id="controller" class={classes!("controller", (!ctrl.online).then_some("down"), ctrl.isolated.then_some("isolated"),
                (p.selection == Selection::Controller).then_some("selected"))}
            onclick={select(Selection::Controller)}>
            <title>{ t.fail_controller_tip }</title>
            <rect x={f(c.x)} y={f(c.y)} width={f(c.w)} height={f(c.h)} rx="8" />
            <text class="title" x={f(c.x + c.w / 2.0)} y={f(c.y + 15.0)} text-anchor="middle">{ t.controller }</text>
            <text class="sub" x={f(c.x + c.w / 2.0)} y={f(c.y + 29.0)} text-anchor="middle">
                { if ctrl.online { format!("{} · metadata v{}", if ctrl.isolated { t.isolated } else { t.online }, ctrl.metadata_version) } else { t.down.to_string() } }
            </text>
            { cross(&c, !ctrl.online) }
        </g>
    };

    let brokers: Html = snap
        .sim
        .brokers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            html! {
                <BrokerBox key={b.id.0} rect={l.brokers[i]} broker={b.clone()} lines={Rc::new(lines[i].clone())} cols={cols}
                    partitions={partitions_of(snap, &lines[i])}
                    selected={p.selection.clone()} lang={p.lang} on_action={p.on_action.clone()} />
            }
        })
        .collect();

    let services: Html = snap
        .services
        .iter()
        .enumerate()
        .take(l.services.len())
        .map(|(s, svc)| service_box(p, &l, s, svc.kind, select(Selection::Service(svc.kind))))
        .collect();

    let now = snap.sim.now;
    let selected_msg = match p.selection {
        Selection::Message(id) => Some(id),
        _ => None,
    };
    let mut seen_live = std::collections::BTreeSet::new();
    let messages: Html = snap
        .sim
        .messages
        .iter()
        .take(MESSAGES_DRAWN_MAX)
        .filter(|m| seen_live.insert(m.id))
        .filter_map(|m| {
            let from = endpoint(snap, &p.names, m.from)?;
            let to = endpoint(snap, &p.names, m.to)?;
            let path = message_path(&l, from, to);
            let pt = point_at(&path, progress(now, m.sent_at, m.deliver_at));
            let sel = selected_msg == Some(m.id);
            let r = if m.records > 0 { 5.5 } else { 4.0 };
            Some(html! {
                <g key={m.id.0} class={classes!("msg", message_class(m.kind), sel.then_some("selected"))}
                    onclick={select(Selection::Message(m.id))}>
                    <title>{ format!("{} · {} → {} · {}", m.api, p.names.node(m.from, p.lang), p.names.node(m.to, p.lang), m.summary) }</title>
                    if sel { <path class="msg-path" d={path.svg_d()} /> }
                    <circle cx={f(pt.x)} cy={f(pt.y)} r={f(r)} />
                </g>
            })
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let dropped: Html = snap
        .sim
        .dropped
        .iter()
        .filter(|d| now.saturating_sub(d.dropped_at) < DROP_FADE_MS)
        // One dot per message (keys must be unique), even if it is listed twice.
        .filter(|d| seen.insert(d.message.id))
        .filter_map(|d| {
            let m = &d.message;
            let from = endpoint(snap, &p.names, m.from)?;
            let to = endpoint(snap, &p.names, m.to)?;
            let path = message_path(&l, from, to);
            let pt = point_at(&path, progress(d.dropped_at, m.sent_at, m.deliver_at));
            let o = fade(now, d.dropped_at, DROP_FADE_MS);
            Some(html! {
                <g key={format!("d{}", m.id.0)} class={classes!("msg", "dropped", message_class(m.kind))} opacity={format!("{o:.2}")}
                    onclick={select(Selection::Message(m.id))}>
                    <circle cx={f(pt.x)} cy={f(pt.y)} r="5" />
                    <path class="drop-x" d={format!("M{0:.1} {1:.1}l8 8M{0:.1} {2:.1}l8 -8", pt.x - 4.0, pt.y - 4.0, pt.y + 4.0)} />
                </g>
            })
        })
        .collect();

    html! {
        <svg id="diagram" class="diagram" viewBox={format!("0 0 {:.0} {:.0}", l.width, l.height)}
            preserveAspectRatio="xMidYMid meet" role="img" aria-label="Kafka cluster">
            <g class="links">{ for links }</g>
            { controller }
            { brokers }
            { services }
            <g class="messages">{ dropped }{ messages }</g>
        </svg>
    }
}

fn partitions_of(snap: &WorldSnapshot, lines: &[Line]) -> Rc<Vec<PartitionView>> {
    // Only what the rows need, so an unchanged broker is not drawn again.
    Rc::new(
        lines
            .iter()
            .flat_map(|l| match l {
                Line::Replicas(cells) => cells.clone(),
                Line::Topic(_) => Vec::new(),
            })
            .filter_map(|(i, _)| {
                snap.sim.partitions.get(i).map(|p| PartitionView {
                    recent_records: Vec::new(),
                    ..p.clone()
                })
            })
            .collect(),
    )
}

/// Formats a coordinate.
fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// A red cross over a box that is down.
fn cross(r: &Rect, show: bool) -> Html {
    if !show {
        return Html::default();
    }
    html! {
        <path class="down-x" d={format!("M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}",
            r.x + 6.0, r.y + 6.0, r.right() - 6.0, r.bottom() - 6.0,
            r.right() - 6.0, r.y + 6.0, r.x + 6.0, r.bottom() - 6.0)} />
    }
}

/// Properties of [`BrokerBox`].
#[derive(Properties, PartialEq)]
pub struct BrokerBoxProps {
    /// Where.
    pub rect: Rect,
    /// The broker.
    pub broker: BrokerView,
    /// Its lines.
    pub lines: Rc<Vec<Line>>,
    /// Replica cells per line.
    pub cols: usize,
    /// The partitions of its replica lines, in line order.
    pub partitions: Rc<Vec<PartitionView>>,
    /// Current selection.
    pub selected: Selection,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// One broker and the replicas it stores.
#[function_component(BrokerBox)]
pub fn broker_box(p: &BrokerBoxProps) -> Html {
    let t = p.lang.t();
    let b = &p.broker;
    let r = p.rect;
    let on_action = p.on_action.clone();
    let id = b.id;
    let onclick = Callback::from(move |e: MouseEvent| {
        e.stop_propagation();
        on_action.emit(Action::Select(Selection::Broker(id)))
    });
    let status = if !b.online {
        t.down
    } else if b.isolated {
        t.isolated
    } else if b.fenced {
        t.fenced
    } else {
        t.online
    };
    let mut part_iter = p.partitions.iter();
    let mut y = 0.0;
    let rows: Html = p
        .lines
        .iter()
        .map(|line| match line {
            Line::Topic(name) => {
                let rr = partition_row(&r, y);
                y += LABEL_H;
                html! {
                    <text class="topic-label" x={f(rr.x + 2.0)} y={f(rr.y + 10.0)}>{ name.to_string() }</text>
                }
            }
            Line::Replicas(cells) => {
                let at = y;
                y += ROW_H;
                cells
                    .iter()
                    .enumerate()
                    .map(|(col, (_, rep))| match part_iter.next() {
                        Some(pv) => replica_row(p, replica_cell(&r, at, col, p.cols), pv, rep),
                        None => Html::default(),
                    })
                    .collect()
            }
        })
        .collect();
    let selected = p.selected == Selection::Broker(b.id);
    // Partitions drawn here that this broker leads (hidden internal ones are not counted).
    let led = p
        .partitions
        .iter()
        .filter(|pv| pv.leader == Some(b.id))
        .count();
    html! {
        <g id={format!("broker-{}", b.id.0)}
            class={classes!("broker", (!b.online).then_some("down"), b.isolated.then_some("isolated"),
                b.fenced.then_some("fenced"), selected.then_some("selected"))}
            onclick={onclick}>
            <title>{ t.broker_tip }</title>
            <rect class="box" x={f(r.x)} y={f(r.y)} width={f(r.w)} height={f(r.h)} rx="8" />
            <text class="title" x={f(r.x + 10.0)} y={f(r.y + 16.0)}>{ format!("Broker {}", b.id.0) }</text>
            <text class={classes!("status", (!b.online || b.isolated).then_some("bad"))} x={f(r.right() - 10.0)} y={f(r.y + 16.0)} text-anchor="end">{ status }</text>
            <text class="sub" x={f(r.x + 10.0)} y={f(r.y + 28.0)}>
                { p.lang.pick(format!("leader of {led} · LEO/HW per replica"), format!("leader de {led} · LEO/HW par réplique")) }
            </text>
            { rows }
            { cross(&r, !b.online) }
        </g>
    }
}

fn replica_row(p: &BrokerBoxProps, rr: Rect, pv: &PartitionView, rep: &ReplicaView) -> Html {
    let t = p.lang.t();
    let tp = pv.tp;
    let on_action = p.on_action.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        e.stop_propagation();
        on_action.emit(Action::Select(Selection::Partition(tp)))
    });
    let leader = rep.role == ReplicaRole::Leader && pv.leader == Some(rep.broker);
    let (badge, tip) = match rep.role {
        ReplicaRole::Leader => ("L", t.leader_tip),
        ReplicaRole::Follower => ("F", t.follower_tip),
        ReplicaRole::Unknown => ("?", t.down),
    };
    let max_leo = pv
        .replica_states
        .iter()
        .map(|r| r.log_end_offset)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let bar_x = rr.x + 2.0;
    let bar_w = rr.w - 4.0;
    let leo_w = bar_w * rep.log_end_offset as f64 / max_leo;
    let hw_x = bar_x + bar_w * (rep.high_watermark.min(rep.log_end_offset)) as f64 / max_leo;
    let selected = match p.selected {
        Selection::Partition(x) | Selection::Record(x, _) => x == tp,
        _ => false,
    };
    let mut tip_text = format!(
        "{}-{} · {} · LEO {} · HW {}",
        pv.topic, tp.partition, tip, rep.log_end_offset, rep.high_watermark
    );
    if !rep.in_isr {
        tip_text.push_str(" · ");
        tip_text.push_str(t.out_of_sync_tip);
    }
    if pv.offline {
        tip_text.push_str(" · ");
        tip_text.push_str(t.offline);
    } else if pv.under_replicated {
        tip_text.push_str(" · ");
        tip_text.push_str(t.under_replicated);
    }
    html! {
        <g class={classes!("replica", leader.then_some("leader"), (!rep.in_isr).then_some("out-of-sync"),
                pv.under_replicated.then_some("under-replicated"), pv.offline.then_some("offline"),
                selected.then_some("selected"))}
            data-tp={format!("{}-{}", pv.topic, tp.partition)} data-broker={rep.broker.0.to_string()}
            data-in-isr={rep.in_isr.to_string()} data-leo={rep.log_end_offset.to_string()}
            onclick={onclick}>
            <title>{ tip_text }</title>
            <rect class="row-bg" x={f(rr.x)} y={f(rr.y)} width={f(rr.w)} height={f(rr.h)} rx="3" />
            <rect class={classes!("badge", badge_class(rep.role))} x={f(rr.x + 2.0)} y={f(rr.y + 1.5)} width="12" height="10" rx="2" />
            <text class="badge-text" x={f(rr.x + 8.0)} y={f(rr.y + 9.8)} text-anchor="middle">{ badge }</text>
            <text class="pname" x={f(rr.x + 17.0)} y={f(rr.y + 10.0)}>{ format!("P{}", tp.partition) }</text>
            <text class="nums" x={f(rr.right() - 3.0)} y={f(rr.y + 10.0)} text-anchor="end">
                { format!("{}/{}", rep.log_end_offset, rep.high_watermark) }
            </text>
            <rect class="bar-track" x={f(bar_x)} y={f(rr.y + 12.2)} width={f(bar_w)} height="2.6" />
            <rect class="bar-leo" x={f(bar_x)} y={f(rr.y + 12.2)} width={f(leo_w)} height="2.6" />
            <rect class="bar-hw" x={f(hw_x - 0.75)} y={f(rr.y + 11.2)} width="1.5" height="4.6" />
        </g>
    }
}

fn badge_class(role: ReplicaRole) -> &'static str {
    match role {
        ReplicaRole::Leader => "badge-leader",
        ReplicaRole::Follower => "badge-follower",
        ReplicaRole::Unknown => "badge-unknown",
    }
}

fn service_box(
    p: &DiagramProps,
    l: &Layout,
    s: usize,
    kind: ServiceKind,
    onclick: Callback<MouseEvent>,
) -> Html {
    let t = p.lang.t();
    let r = l.services[s];
    let Some(svc) = p.snap.services.get(s) else {
        return Html::default();
    };
    let consumes = kind.consumes();
    let publishes = kind.publishes();
    let consumes_line = match consumes.len() {
        0 => String::new(),
        1 => format!("{} {}", t.consumes, consumes[0]),
        _ => format!(
            "{} {}",
            t.consumes,
            p.lang.pick("all 4 topics", "les 4 topics")
        ),
    };
    let publishes_line = if publishes.is_empty() {
        format!(
            "{} {}",
            p.lang.pick("sends", "envoie"),
            p.lang.pick("emails", "des e-mails")
        )
    } else {
        format!("{} {}", t.publishes, short_list(publishes))
    };
    let instances: Html = svc
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let ir = l
                .instances
                .get(s)
                .and_then(|v| v.get(i))
                .copied()
                .unwrap_or(r);
            let parts = if inst.partitions.is_empty() {
                String::new()
            } else {
                format!(
                    " · P{}",
                    inst.partitions
                        .iter()
                        .map(|tp| tp.partition.to_string())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(",")
                )
            };
            let label = if kind == ServiceKind::OrderService {
                format!(
                    "#{} {} · {}",
                    i + 1,
                    phase(inst.phase, p.lang),
                    inst.processed
                )
            } else {
                format!(
                    "#{} {}{} · {} ✓ · q{}",
                    i + 1,
                    inst.phase,
                    parts,
                    inst.processed,
                    inst.queued
                )
            };
            html! {
                <g class={classes!("instance", (!inst.online).then_some("down"))}>
                    <rect x={f(ir.x)} y={f(ir.y)} width={f(ir.w)} height={f(ir.h)} rx="4" />
                    <circle class="dot" cx={f(ir.x + 8.0)} cy={f(ir.y + ir.h / 2.0)} r="3.5" />
                    <text x={f(ir.x + 16.0)} y={f(ir.y + 12.5)}>{ label }</text>
                </g>
            }
        })
        .collect();
    let selected = p.selection == Selection::Service(kind);
    let footer = if kind == ServiceKind::OrderService {
        format!(
            "{} {}/s · {}",
            p.lang.pick("auto", "auto"),
            p.snap.order_rate_per_s,
            p.lang.pick("orders", "commandes")
        )
    } else {
        format!("{} {} · {} {}", t.processed, svc.processed, t.lag, svc.lag)
    };
    html! {
        <g id={format!("service-{}", kind.name())} class={classes!("service", selected.then_some("selected"))} onclick={onclick}>
            <title>{ format!("{} · {} {}", kind.name(), t.consumes, consumes.join(", ")) }</title>
            <rect class="box" x={f(r.x)} y={f(r.y)} width={f(r.w)} height={f(r.h)} rx="8" />
            <text class="title" x={f(r.x + 10.0)} y={f(r.y + 15.0)}>{ kind.name() }</text>
            if !consumes_line.is_empty() { <text class="sub flow" x={f(r.x + 10.0)} y={f(r.y + 27.0)}>{ format!("← {consumes_line}") }</text> }
            <text class="sub flow" x={f(r.x + 10.0)} y={f(r.y + if consumes_line.is_empty() { 27.0 } else { 38.0 })}>{ format!("→ {publishes_line}") }</text>
            { instances }
            <text class={classes!("sub", "footer", (svc.lag > 0).then_some("lagging"))} x={f(r.x + 10.0)} y={f(r.bottom() - 6.0)}>{ footer }</text>
        </g>
    }
}

/// `payment.successful / .failed`: later names lose the prefix they share with the first.
fn short_list(names: &[&str]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut out = first.to_string();
    for n in &names[1..] {
        let cut = n
            .rfind('.')
            .filter(|i| first.starts_with(&n[..*i]))
            .unwrap_or(0);
        out.push_str(" / ");
        out.push_str(&n[cut..]);
    }
    out
}

/// The message-kind legend.
#[function_component(Legend)]
pub fn legend(p: &LegendProps) -> Html {
    use crate::sim::MessageKind as K;
    let kinds = [
        K::Produce,
        K::ReplicaFetch,
        K::ConsumerFetch,
        K::Response,
        K::Controller,
        K::Group,
    ];
    html! {
        <div class="legend" title={p.lang.pick(
            "Messages on the wire, coloured by kind; big dots carry records. Click one to inspect or drop it.",
            "Messages sur le réseau, colorés par type ; les gros points portent des enregistrements. Cliquez pour l'inspecter ou le perdre.")}>
            { for kinds.iter().map(|k| html! {
                <span class="legend-item"><svg width="10" height="10" class={classes!("msg", message_class(*k))}><circle cx="5" cy="5" r="4" /></svg>
                { legend_label(*k, p.lang) }</span>
            }) }
        </div>
    }
}

fn legend_label(k: crate::sim::MessageKind, lang: Lang) -> &'static str {
    use crate::sim::MessageKind as K;
    match k {
        K::Produce => lang.pick("produce", "écriture"),
        K::ReplicaFetch => lang.pick("replication", "réplication"),
        K::ConsumerFetch => lang.pick("consumer fetch", "lecture"),
        K::Response => lang.pick("response", "réponse"),
        K::Controller | K::Metadata => lang.pick("controller", "contrôleur"),
        K::Group | K::Commit => lang.pick("group/commit", "groupe"),
    }
}

/// Properties of [`Legend`].
#[derive(Properties, PartialEq)]
pub struct LegendProps {
    /// Language.
    pub lang: Lang,
}
