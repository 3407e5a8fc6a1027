//! The physical view: the controller on top, brokers with the partition replicas they store,
//! the services below, and every in-flight message as a dot moving along its path.

use std::rc::Rc;

use yew::prelude::*;

use super::broker::{
    broker_lines, cross, f, on_enter, partitions_of, BrokerBox, FocusRecords, Line,
};
use super::links::draw_links;
use crate::services::{OrderFocus, ServiceKind, WorldSnapshot};
use crate::sim::NodeId;
use crate::ui::describe::{message_class, phase, role_name, Names};
use crate::ui::geometry::{
    broker_width, cells_per_line, content_height, fade, layout, message_path, point_at, progress,
    Endpoint, Layout, SERVICE_HEADER,
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
    /// The order followed: its records, messages and instances stand out, the rest fades.
    pub focus: Rc<Option<OrderFocus>>,
    /// Current selection.
    pub selection: Selection,
    /// The scenario's own producer (a world without services): what its box says.
    pub producer: Option<Rc<str>>,
    /// Text size: 1 fits the stage's width (the stage scrolls down if it must); above, the
    /// diagram is drawn that much wider and the stage scrolls both ways.
    pub zoom: f64,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// A world without services draws its small logs record by record (at most this many
/// partitions shown).
const RECORD_CELLS_PARTITIONS_MAX: usize = 6;

/// Width of the scenario's producer box (a world without services).
const PRODUCER_BOX_W: f64 = 380.0;

/// A group's lag drawn as a warning above this (records in flight keep a healthy group a few
/// records behind).
const LAG_WARN: u64 = 50;

/// Where a node is drawn.
pub fn endpoint(snap: &WorldSnapshot, names: &Names, n: NodeId) -> Option<Endpoint> {
    match n {
        NodeId::Controller(c) => snap
            .sim
            .controllers
            .iter()
            .position(|x| x.id == c)
            .map(Endpoint::Controller),
        NodeId::Broker(b) => snap
            .sim
            .brokers
            .iter()
            .position(|x| x.id == b)
            .map(Endpoint::Broker),
        NodeId::Client(c) => match names.clients.get(&c) {
            Some((s, i)) => Some(Endpoint::Instance(*s, *i)),
            // Without services the only clients are the scenario's own: its producer's box.
            None => snap.services.is_empty().then_some(Endpoint::Instance(0, 0)),
        },
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
    let mut l = layout(
        snap.sim.brokers.len(),
        snap.sim.controllers.len(),
        content,
        &instances,
    );
    if snap.services.is_empty() {
        // The scenario's producer alone, in the middle of the clients' row.
        if let (Some(r), Some(inst)) = (l.services.first_mut(), l.instances.first_mut()) {
            // Wide enough for its settings line.
            r.w = r.w.max(PRODUCER_BOX_W);
            r.x = (l.width - r.w) / 2.0;
            r.h = SERVICE_HEADER - 6.0;
            if let Some(i) = inst.first_mut() {
                *i = *r;
            }
        }
    }
    l
}

/// The physical view.
#[function_component(Diagram)]
pub fn diagram(p: &DiagramProps) -> Html {
    let snap = &p.snap;
    let shown = snap
        .sim
        .partitions
        .iter()
        .filter(|pv| p.show_internal || !pv.internal)
        .count();
    let record_cells = snap.services.is_empty() && shown <= RECORD_CELLS_PARTITIONS_MAX;
    // Record cells want the whole width of a line.
    let cols = if record_cells {
        1
    } else {
        cells_per_line(broker_width(snap.sim.brokers.len()))
    };
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

    // Wiring: controller to brokers, broker to broker where they replicate, services to brokers.
    let links = draw_links(snap, &p.names, &l, &p.selection, p.lang, &p.on_action);

    let controllers: Html = snap
        .sim
        .controllers
        .iter()
        .zip(&l.controllers)
        .map(|(ctrl, c)| {
            let sel = Selection::Controller(ctrl.id);
            let role = ctrl.role.map_or(t.down, |r| role_name(r, p.lang));
            let title = format!("controller-{} · {role}", ctrl.id.0);
            let offsets = format!("epoch {} · LEO {} · HW {}", ctrl.epoch, ctrl.metadata_end_offset, ctrl.metadata_high_watermark);
            let vote = match (ctrl.active, ctrl.voted_for) {
                (true, _) => p.lang.pick("active controller", "contrôleur actif").to_string(),
                (false, Some(v)) => format!("{} controller-{}", p.lang.pick("voted for", "a voté pour"), v.0),
                (false, None) => p.lang.pick("no vote in this epoch", "aucun vote à cette époque").to_string(),
            };
            html! {
                <g id={format!("controller-{}", ctrl.id.0)} key={ctrl.id.0}
                    class={classes!("controller", ctrl.role.map(|r| r.name()), ctrl.active.then_some("active"),
                        (!ctrl.online).then_some("down"), ctrl.isolated.then_some("isolated"),
                        (p.selection == sel).then_some("selected"))}
                    tabindex="0" role="button" aria-label={title.clone()}
                    onkeydown={on_enter(&p.on_action, sel.clone())}
                    onclick={select(sel)}>
                    <title>{ t.fail_controller_tip }</title>
                    <rect x={f(c.x)} y={f(c.y)} width={f(c.w)} height={f(c.h)} rx="8" />
                    <text class="title" x={f(c.x + c.w / 2.0)} y={f(c.y + 14.0)} text-anchor="middle">{ title }</text>
                    <text class="sub" x={f(c.x + c.w / 2.0)} y={f(c.y + 28.0)} text-anchor="middle">{ offsets }</text>
                    <text class="sub" x={f(c.x + c.w / 2.0)} y={f(c.y + 42.0)} text-anchor="middle">{ vote }</text>
                    { cross(c, !ctrl.online) }
                </g>
            }
        })
        .collect();

    let focus = p.focus.as_ref().as_ref();
    // The followed order's records, with its key, for the replica rows.
    let focus_records: Rc<Option<FocusRecords>> = Rc::new(focus.map(|f| FocusRecords {
        order_id: f.order_id,
        key: f.key.clone(),
        records: f.records.clone(),
    }));
    let brokers: Html = snap
        .sim
        .brokers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            html! {
                <BrokerBox key={b.id.0} rect={l.brokers[i]} broker={b.clone()} lines={Rc::new(lines[i].clone())} cols={cols} record_cells={record_cells}
                    fence_in={b.fence_due.map(|at| at.saturating_sub(snap.sim.now))}
                    partitions={partitions_of(snap, &lines[i])} focus={focus_records.clone()}
                    selected={p.selection.clone()} lang={p.lang} on_action={p.on_action.clone()} />
            }
        })
        .collect();

    let services: Html = if snap.services.is_empty() {
        producer_box(p, &l)
    } else {
        snap.services
            .iter()
            .enumerate()
            .take(l.services.len())
            .map(|(s, svc)| service_box(p, &l, s, svc.kind, select(Selection::Service(svc.kind))))
            .collect()
    };

    let now = snap.sim.now;
    let selected_msg = match p.selection {
        Selection::Message(id) => Some(id),
        _ => None,
    };
    let mut seen_live = crate::sim::sorted_map::SortedSet::new();
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
            let followed = focus.is_some_and(|f| f.in_flight.contains(&m.id));
            let r = if followed { 7.5 } else if m.records > 0 { 5.5 } else { 4.0 };
            Some(html! {
                <g key={m.id.0} class={classes!("msg", message_class(m.kind), sel.then_some("selected"), followed.then_some("focus"))}
                    onclick={select(Selection::Message(m.id))}>
                    <title>{ format!("{} · {} → {} · {}", m.api, p.names.node(m.from, p.lang), p.names.node(m.to, p.lang), m.summary) }</title>
                    if sel || followed { <path class="msg-path" d={path.svg_d()} /> }
                    <circle cx={f(pt.x)} cy={f(pt.y)} r={f(r)} />
                </g>
            })
        })
        .collect();
    let mut seen = crate::sim::sorted_map::SortedSet::new();
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
        <svg id="diagram" class={classes!("diagram", focus.is_some().then_some("following"))} data-following={focus.map(|f| f.order_id.to_string())} viewBox={format!("0 0 {:.0} {:.0}", l.width, l.height)}
            preserveAspectRatio="xMidYMid meet" role="img" aria-label="Kafka cluster"
            style={(p.zoom > 1.0).then(|| format!("width:{:.0}%", p.zoom * 100.0))}>
            <g class="links">{ links }</g>
            { controllers }
            { brokers }
            { services }
            <g class="messages">{ dropped }{ messages }</g>
        </svg>
    }
}

/// The scenario's own producer, in a world without services.
fn producer_box(p: &DiagramProps, l: &Layout) -> Html {
    let (Some(label), Some(r)) = (p.producer.as_ref(), l.services.first()) else {
        return Html::default();
    };
    html! {
        <g id="producer" class="service producer">
            <title>{ p.lang.pick("The scenario's producer client: its produce requests go to the partition leaders",
                "Le client producteur du scénario : ses requêtes d'écriture vont aux leaders des partitions") }</title>
            <rect class="box" x={f(r.x)} y={f(r.y)} width={f(r.w)} height={f(r.h)} rx="8" />
            <text class="title" x={f(r.x + 10.0)} y={f(r.y + 15.0)}>{ p.lang.pick("producer", "producteur") }</text>
            <text class="sub flow" x={f(r.x + 10.0)} y={f(r.y + 29.0)}>{ label.to_string() }</text>
        </g>
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
                    ranges(inst.partitions.iter().map(|tp| tp.partition))
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
            let handling = p
                .focus
                .as_ref()
                .as_ref()
                .filter(|f| f.handling.contains(&(kind, i)));
            html! {
                <g class={classes!("instance", (!inst.online).then_some("down"), handling.is_some().then_some("handling"))}
                    data-handling={handling.map(|f| f.order_id.to_string())}>
                    <rect x={f(ir.x)} y={f(ir.y)} width={f(ir.w)} height={f(ir.h)} rx="4" />
                    <circle class="dot" cx={f(ir.x + 8.0)} cy={f(ir.y + ir.h / 2.0)} r="3.5" />
                    <text x={f(ir.x + 16.0)} y={f(ir.y + 12.5)}>{ label }</text>
                    if let Some(f_) = handling {
                        <text class="handling-tag" x={f(ir.right() - 4.0)} y={f(ir.y + 12.5)} text-anchor="end">{ format!("▶ #{}", f_.order_id) }</text>
                    }
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
        <g id={format!("service-{}", kind.name())} class={classes!("service", selected.then_some("selected"))}
            tabindex="0" role="button" aria-label={kind.name()}
            onkeydown={on_enter(&p.on_action, Selection::Service(kind))} onclick={onclick}>
            <title>{ format!("{} · {} {}", kind.name(), t.consumes, consumes.join(", ")) }</title>
            <rect class="box" x={f(r.x)} y={f(r.y)} width={f(r.w)} height={f(r.h)} rx="8" />
            <text class="title" x={f(r.x + 10.0)} y={f(r.y + 15.0)}>{ kind.name() }</text>
            if !consumes_line.is_empty() { <text class="sub flow" x={f(r.x + 10.0)} y={f(r.y + 27.0)}>{ format!("← {consumes_line}") }</text> }
            <text class="sub flow" x={f(r.x + 10.0)} y={f(r.y + if consumes_line.is_empty() { 27.0 } else { 38.0 })}>{ format!("→ {publishes_line}") }</text>
            { instances }
            <text class={classes!("sub", "footer", (svc.lag > LAG_WARN).then_some("lagging"))} x={f(r.x + 10.0)} y={f(r.bottom() - 6.0)}>{ footer }</text>
        </g>
    }
}

/// Partition numbers as sorted ranges: `0-2,5`.
pub fn ranges(numbers: impl Iterator<Item = u32>) -> String {
    let set: crate::sim::sorted_map::SortedSet<u32> = numbers.collect();
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for n in set {
        run = match run {
            Some((a, b)) if n == b + 1 => Some((a, n)),
            Some((a, b)) => {
                out.push(if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                });
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some((a, b)) = run {
        out.push(if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        });
    }
    out.join(",")
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
