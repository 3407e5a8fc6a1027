//! The links between nodes: drawn in the physical view (a cut link broken, a slow or lossy one
//! dashed) and shown in the inspector with their faults, the actions that change them and the
//! messages crossing them.

use yew::prelude::*;

use crate::scenario::Action as ScenarioAction;
use crate::services::{ServiceKind, WorldSnapshot};
use crate::sim::{BrokerId, LinkFault, NodeId, LINK_EXTRA_LATENCY_MS_MAX};
use crate::ui::describe::{message_kind, Names};
use crate::ui::geometry::{link_path, message_path, Endpoint, Layout, Path};
use crate::ui::i18n::Lang;
use crate::ui::state::{Action, Selection};

/// Extra latency a "slow" click adds when the field is left as it is, in ms.
pub const SLOW_DEFAULT_MS: u64 = 200;
/// Share of messages a "lossy" click loses when the field is left as it is, in percent.
pub const LOSSY_DEFAULT_PERCENT: u64 = 30;

/// One end of a link as the user acts on it: a node, or a service instance (its consumer and its
/// producer together), named as scenario files name it.
#[derive(Clone, Debug, PartialEq)]
struct End {
    /// Its name in scenario actions ("broker-1", "payment_service#2").
    name: String,
    /// The label the page shows.
    label: String,
    /// Its nodes (a service instance has two clients).
    nodes: Vec<NodeId>,
}

/// A row of the link inspector: two ends.
struct Row {
    a: End,
    b: End,
}

/// How one direction of a link is faulty in this snapshot.
fn fault(snap: &WorldSnapshot, from: &[NodeId], to: &[NodeId]) -> LinkFault {
    snap.sim
        .links
        .iter()
        .find(|l| from.contains(&l.from) && to.contains(&l.to))
        .map(|l| l.fault)
        .unwrap_or_default()
}

/// The drawn look of a link from its two directions: broken when cut (either way), dashed when
/// slow or lossy.
fn look(ab: LinkFault, ba: LinkFault) -> Option<&'static str> {
    if ab.cut || ba.cut {
        Some("cut")
    } else if ab.extra_latency_ms > 0
        || ba.extra_latency_ms > 0
        || ab.drop_rate > 0.0
        || ba.drop_rate > 0.0
    {
        Some("degraded")
    } else {
        None
    }
}

fn node_end(names: &Names, n: NodeId, lang: Lang) -> End {
    End {
        name: n.to_string(),
        label: names.node(n, lang),
        nodes: vec![n],
    }
}

fn instance_end(snap: &WorldSnapshot, kind: ServiceKind, index: usize) -> Option<End> {
    let svc = snap.services.iter().find(|s| s.kind == kind)?;
    let inst = svc.instances.get(index)?;
    let name = if index == 0 {
        kind.name().to_string()
    } else {
        format!("{}#{}", kind.name(), index + 1)
    };
    Some(End {
        label: if svc.instances.len() > 1 {
            format!("{}#{}", kind.name(), index + 1)
        } else {
            kind.name().to_string()
        },
        name,
        nodes: [inst.consumer, inst.producer]
            .into_iter()
            .flatten()
            .map(NodeId::Client)
            .collect(),
    })
}

fn rows(snap: &WorldSnapshot, names: &Names, sel: &Selection, lang: Lang) -> Vec<Row> {
    match sel {
        Selection::Link(a, b) => vec![Row {
            a: node_end(names, *a, lang),
            b: node_end(names, *b, lang),
        }],
        Selection::ServiceLink(kind, broker) => {
            let count = snap
                .services
                .iter()
                .find(|s| s.kind == *kind)
                .map_or(0, |s| s.instances.len());
            (0..count)
                .filter_map(|i| instance_end(snap, *kind, i))
                .map(|a| Row {
                    a,
                    b: node_end(names, NodeId::Broker(*broker), lang),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The id of a drawn link, which browser tests click too.
pub fn link_id(sel: &Selection) -> String {
    match sel {
        Selection::Link(a, b) => format!("link-{a}-{b}"),
        Selection::ServiceLink(kind, b) => format!("link-{}-broker-{}", kind.name(), b.0),
        _ => String::new(),
    }
}

/// Where a drawn link is, the look its faults give it, and what selects it.
struct Drawn {
    path: Path,
    look: Option<&'static str>,
    sel: Selection,
    label: String,
}

/// Every link the physical view draws: controller to each broker, a follower's broker to its
/// leader's (one arc per pair of brokers that replicate between them, or that has a fault), and
/// each service to each broker.
fn drawn(snap: &WorldSnapshot, names: &Names, l: &Layout, lang: Lang) -> Vec<Drawn> {
    let brokers = &snap.sim.brokers;
    let mut out = Vec::new();
    let controllers = &snap.sim.controllers;
    // The quorum: every pair of controllers votes and replicates the metadata log.
    for (i, x) in controllers.iter().enumerate() {
        for (j, y) in controllers.iter().enumerate().skip(i + 1) {
            let (a, b) = (NodeId::Controller(x.id), NodeId::Controller(y.id));
            out.push(Drawn {
                path: link_path(l, Endpoint::Controller(i), Endpoint::Controller(j)),
                look: if x.isolated || y.isolated {
                    Some("cut")
                } else {
                    look(fault(snap, &[a], &[b]), fault(snap, &[b], &[a]))
                },
                sel: Selection::Link(a, b),
                label: format!("{} – {}", names.node(a, lang), names.node(b, lang)),
            });
        }
    }
    // Brokers talk to the active controller (heartbeats, ISR changes, metadata fetches); a
    // link to another controller is drawn while it has a fault.
    for (ci, ctrl) in controllers.iter().enumerate() {
        for (i, b) in brokers.iter().enumerate() {
            let (c, n) = (NodeId::Controller(ctrl.id), NodeId::Broker(b.id));
            let faults = look(fault(snap, &[c], &[n]), fault(snap, &[n], &[c]));
            if !ctrl.active && faults.is_none() {
                continue;
            }
            out.push(Drawn {
                path: link_path(l, Endpoint::Controller(ci), Endpoint::Broker(i)),
                look: if b.isolated || ctrl.isolated {
                    Some("cut")
                } else {
                    faults
                },
                sel: Selection::Link(c, n),
                label: format!("{} – {}", names.node(c, lang), names.node(n, lang)),
            });
        }
    }
    let position = |id: BrokerId| brokers.iter().position(|b| b.id == id);
    let mut pairs = crate::sim::sorted_map::SortedSet::new();
    for p in &snap.sim.partitions {
        let Some(leader) = p.leader else { continue };
        for r in p.replicas.iter().filter(|r| **r != leader) {
            pairs.insert((leader.min(*r), leader.max(*r)));
        }
    }
    for link in &snap.sim.links {
        if let (NodeId::Broker(x), NodeId::Broker(y)) = (link.from, link.to) {
            pairs.insert((x.min(y), x.max(y)));
        }
    }
    for (x, y) in pairs {
        let (Some(i), Some(j)) = (position(x), position(y)) else {
            continue;
        };
        let (a, b) = (NodeId::Broker(x), NodeId::Broker(y));
        let isolated = brokers[i].isolated || brokers[j].isolated;
        out.push(Drawn {
            path: message_path(l, Endpoint::Broker(i), Endpoint::Broker(j)),
            look: if isolated {
                Some("cut")
            } else {
                look(fault(snap, &[a], &[b]), fault(snap, &[b], &[a]))
            },
            sel: Selection::Link(a, b),
            label: format!("{} – {}", names.node(a, lang), names.node(b, lang)),
        });
    }
    for (s, svc) in snap.services.iter().enumerate().take(l.services.len()) {
        let clients: Vec<NodeId> = svc
            .instances
            .iter()
            .flat_map(|i| [i.consumer, i.producer])
            .flatten()
            .map(NodeId::Client)
            .collect();
        for (i, b) in brokers.iter().enumerate() {
            let n = [NodeId::Broker(b.id)];
            out.push(Drawn {
                path: link_path(l, Endpoint::Instance(s, 0), Endpoint::Broker(i)),
                look: if b.isolated {
                    Some("cut")
                } else {
                    look(fault(snap, &clients, &n), fault(snap, &n, &clients))
                },
                sel: Selection::ServiceLink(svc.kind, b.id),
                label: format!("{} – {}", svc.kind.name(), names.node(n[0], lang)),
            });
        }
    }
    out
}

/// The drawn links, each a focusable button that opens its inspector.
pub fn draw_links(
    snap: &WorldSnapshot,
    names: &Names,
    l: &Layout,
    selection: &Selection,
    lang: Lang,
    on_action: &Callback<Action>,
) -> Html {
    drawn(snap, names, l, lang)
        .into_iter()
        .map(|d| {
            let d_attr = d.path.svg_d();
            let client = matches!(d.sel, Selection::ServiceLink(..));
            let selected = *selection == d.sel;
            let id = link_id(&d.sel);
            let click = {
                let (cb, sel) = (on_action.clone(), d.sel.clone());
                Callback::from(move |e: MouseEvent| {
                    e.stop_propagation();
                    cb.emit(Action::Select(sel.clone()))
                })
            };
            let key = {
                let (cb, sel) = (on_action.clone(), d.sel.clone());
                Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Enter" || e.key() == " " {
                        e.prevent_default();
                        cb.emit(Action::Select(sel.clone()))
                    }
                })
            };
            let aria = lang.pick(format!("Link {}", d.label), format!("Lien {}", d.label));
            html! {
                <g id={id} class={classes!("link-target", selected.then_some("selected"))} tabindex="0" role="button"
                    aria-label={aria.clone()} onclick={click} onkeydown={key}>
                    <title>{ aria }</title>
                    <path class="link-hit" d={d_attr.clone()} />
                    <path class={classes!("link", client.then_some("client-link"), d.look)} d={d_attr} pathLength="100" />
                </g>
            }
        })
        .collect()
}

/// Properties of [`LinkInspector`].
#[derive(Properties, PartialEq)]
pub struct LinkProps {
    /// The selected link.
    pub selection: Selection,
    /// This frame's picture.
    pub snap: std::rc::Rc<WorldSnapshot>,
    /// Node labels.
    pub names: std::rc::Rc<Names>,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

fn describe_fault(fl: LinkFault, lang: Lang) -> String {
    let mut parts = Vec::new();
    if fl.cut {
        parts.push(
            lang.pick(
                "cut: what is sent is lost",
                "coupé : ce qui est envoyé est perdu",
            )
            .to_string(),
        );
    }
    if fl.extra_latency_ms > 0 {
        parts.push(lang.pick(
            format!("slow: +{} ms", fl.extra_latency_ms),
            format!("lent : +{} ms", fl.extra_latency_ms),
        ));
    }
    if fl.drop_rate > 0.0 {
        let pct = (fl.drop_rate * 100.0).round();
        parts.push(lang.pick(
            format!("lossy: loses {pct}% of messages"),
            format!("avec pertes : perd {pct} % des messages"),
        ));
    }
    if parts.is_empty() {
        lang.pick("healthy", "sain").to_string()
    } else {
        parts.join(" · ")
    }
}

/// What travels on a link, for the inspector's first line.
fn purpose(sel: &Selection, lang: Lang) -> &'static str {
    match sel {
        Selection::Link(NodeId::Controller(_), NodeId::Controller(_)) => lang.pick(
            "The quorum: votes, BeginQuorumEpoch and the followers' fetches of the metadata log. Cut a controller from the others and, if it led, a majority elects a new leader once the fetch timeout passes.",
            "Le quorum : votes, BeginQuorumEpoch et lectures du journal des métadonnées par les suiveurs. Coupé des autres, un contrôleur qui menait est remplacé par une majorité une fois le délai de fetch passé.",
        ),
        Selection::Link(NodeId::Controller(_), _) | Selection::Link(_, NodeId::Controller(_)) => lang.pick(
            "Broker heartbeats, ISR changes and the broker's fetches of the metadata log. Cut it and the active controller fences the broker after its session timeout; cut one way to see who notices what.",
            "Heartbeats du broker, changements d'ISR et lectures du journal des métadonnées. Coupé, le contrôleur actif isole le broker après son délai de session ; coupé dans un seul sens, on voit qui remarque quoi.",
        ),
        Selection::Link(..) => lang.pick(
            "Replication: followers fetch from their leaders here. Cut it and a follower leaves the ISR by lag (replica.lag.time.max.ms), without being fenced.",
            "Réplication : les followers lisent ici chez leurs leaders. Coupé, un follower sort de l'ISR par retard (replica.lag.time.max.ms), sans être isolé par le contrôleur.",
        ),
        _ => lang.pick(
            "The service's produce, fetch, commit and group requests to this broker. Cut it from the coordinator and the consumer is expired after its session timeout.",
            "Les requêtes produce, fetch, commit et de groupe du service vers ce broker. Coupé du coordinateur, le consommateur expire après son délai de session.",
        ),
    }
}

/// The inspector of a link: each direction's state, the actions, what crosses it.
#[function_component(LinkInspector)]
pub fn link_inspector(p: &LinkProps) -> Html {
    let slow_ms = use_state(|| SLOW_DEFAULT_MS);
    let lossy_pct = use_state(|| LOSSY_DEFAULT_PERCENT);
    let lang = p.lang;
    let snap = &p.snap;
    let rows = rows(snap, &p.names, &p.selection, lang);
    let Some(first) = rows.first() else {
        return html! { <p class="muted">{ "?" }</p> };
    };
    let title = match &p.selection {
        Selection::ServiceLink(kind, _) => format!("{} ↔ {}", kind.name(), first.b.label),
        _ => format!("{} ↔ {}", first.a.label, first.b.label),
    };
    let act = |a: ScenarioAction| {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Scenario(a.clone())))
    };
    // A value out of range is not taken: the buttons say which value they apply.
    let numeric = |state: UseStateHandle<u64>, max: u64| {
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().trim().parse::<u64>() {
                if v <= max {
                    state.set(v);
                }
            }
        })
    };
    let multi = rows.len() > 1;
    let body: Html = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let (a, b) = (&row.a, &row.b);
            let ab = fault(snap, &a.nodes, &b.nodes);
            let ba = fault(snap, &b.nodes, &a.nodes);
            let id = |what: &str| format!("link-{what}-{i}");
            let (an, bn) = (a.name.clone(), b.name.clone());
            let cut = act(ScenarioAction::CutLink { a: an.clone(), b: bn.clone(), one_way: None });
            let cut_ab = act(ScenarioAction::CutLink { a: an.clone(), b: bn.clone(), one_way: Some(true) });
            let cut_ba = act(ScenarioAction::CutLink { a: bn.clone(), b: an.clone(), one_way: Some(true) });
            let slow = act(ScenarioAction::SlowLink { a: an.clone(), b: bn.clone(), extra_latency_ms: *slow_ms });
            let lossy = act(ScenarioAction::LossyLink { a: an.clone(), b: bn.clone(), drop_rate: *lossy_pct as f64 / 100.0 });
            let heal = act(ScenarioAction::HealLink { a: an, b: bn });
            let healthy = look(ab, ba).is_none();
            html! {
                <div class="link-row">
                    if multi { <h4>{ format!("{} ↔ {}", a.label, b.label) }</h4> }
                    <table class="kv">
                        <tr><th>{ format!("{} → {}", a.label, b.label) }</th><td id={id("ab")}>{ describe_fault(ab, lang) }</td></tr>
                        <tr><th>{ format!("{} → {}", b.label, a.label) }</th><td id={id("ba")}>{ describe_fault(ba, lang) }</td></tr>
                    </table>
                    <div class="actions">
                        <button id={id("cut")} class="btn small danger" onclick={cut}>{ lang.pick("Cut", "Couper") }</button>
                        <button id={id("cut-ab")} class="btn small" onclick={cut_ab}>{ format!("{} {} → {}", lang.pick("Cut", "Couper"), a.label, b.label) }</button>
                        <button id={id("cut-ba")} class="btn small" onclick={cut_ba}>{ format!("{} {} → {}", lang.pick("Cut", "Couper"), b.label, a.label) }</button>
                        <button id={id("slow")} class="btn small" onclick={slow}>{ lang.pick(format!("Slow (+{} ms)", *slow_ms), format!("Ralentir (+{} ms)", *slow_ms)) }</button>
                        <button id={id("lossy")} class="btn small" onclick={lossy}>{ lang.pick(format!("Lossy ({} %)", *lossy_pct), format!("Pertes ({} %)", *lossy_pct)) }</button>
                        <button id={id("heal")} class="btn small primary" disabled={healthy} onclick={heal}>{ lang.pick("Heal", "Réparer") }</button>
                    </div>
                </div>
            }
        })
        .collect();
    let ends: Vec<(Vec<NodeId>, Vec<NodeId>)> = rows
        .iter()
        .map(|r| (r.a.nodes.clone(), r.b.nodes.clone()))
        .collect();
    let on_link = |from: NodeId, to: NodeId| {
        ends.iter().any(|(a, b)| {
            (a.contains(&from) && b.contains(&to)) || (b.contains(&from) && a.contains(&to))
        })
    };
    let in_flight: Vec<Html> = snap
        .sim
        .messages
        .iter()
        .filter(|m| on_link(m.from, m.to))
        .map(|m| {
            let cb = p.on_action.clone();
            let id = m.id;
            html! {
                <tr class="clickable" onclick={Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Message(id))))}>
                    <td>{ m.api }</td>
                    <td>{ format!("{} → {}", p.names.node(m.from, lang), p.names.node(m.to, lang)) }</td>
                    <td class="value" title={m.summary.clone()}>{ format!("{} · {}", message_kind(m.kind, lang), m.summary) }</td>
                </tr>
            }
        })
        .collect();
    let lost = snap
        .sim
        .dropped
        .iter()
        .filter(|d| on_link(d.message.from, d.message.to))
        .count();
    html! {
        <div id="link-inspector">
            <h3>{ title }</h3>
            <p class="muted">{ purpose(&p.selection, lang) }</p>
            <div class="link-settings">
                <label>{ lang.pick("Extra latency (ms)", "Latence ajoutée (ms)") }
                    <input id="link-slow-ms" type="number" min="0" max={LINK_EXTRA_LATENCY_MS_MAX.to_string()} value={slow_ms.to_string()} oninput={numeric(slow_ms.clone(), LINK_EXTRA_LATENCY_MS_MAX)} />
                </label>
                <label>{ lang.pick("Messages lost (%)", "Messages perdus (%)") }
                    <input id="link-lossy-pct" type="number" min="0" max="100" value={lossy_pct.to_string()} oninput={numeric(lossy_pct.clone(), 100)} />
                </label>
            </div>
            { body }
            <h4>{ lang.pick(format!("In flight on this link ({})", in_flight.len()), format!("En vol sur ce lien ({})", in_flight.len())) }</h4>
            if in_flight.is_empty() {
                <p class="muted" id="link-in-flight-empty">{ lang.pick("Nothing in flight.", "Rien en vol.") }</p>
            } else {
                <table class="grid" id="link-in-flight"><tbody>{ for in_flight }</tbody></table>
            }
            if lost > 0 {
                <p class="muted" id="link-lost">{ lang.pick(format!("{lost} lost here recently."), format!("{lost} perdus ici récemment.")) }</p>
            }
        </div>
    }
}
