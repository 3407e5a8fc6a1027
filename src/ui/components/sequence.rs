//! The sequence view: one order's life as a sequence diagram. Lifelines for the customer, the
//! four services and the brokers its records went through (followers folded into their leader
//! unless unfolded); one arrow per message that carried its records, one bar per processing,
//! numbered with the seed's steps, growing live. Clicking an arrow inspects it.

use std::rc::Rc;

use yew::prelude::*;

use super::broker::f;
use crate::services::sequence::{Lifeline, SeqStep, StepKind};
use crate::services::{OrderFocus, OrderView, ServiceKind};
use crate::sim::{BrokerId, DropReason};
use crate::ui::describe::{euros, Names};
use crate::ui::i18n::Lang;
use crate::ui::state::{Action, Selection};

/// Width of one lifeline's column.
const COLUMN_W: f64 = 106.0;
/// Room left of the first lifeline for the step numbers and times.
const GUTTER_W: f64 = 106.0;
/// Height of the lifeline headers.
const HEADER_H: f64 = 44.0;
/// Height of one step's row.
const ROW_H: f64 = 24.0;

/// Simulated time with milliseconds: `5.012 s`.
pub fn clock_ms(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// The seed's title of a step, in both languages.
pub fn stage_title(stage: u8, lang: Lang) -> &'static str {
    match stage {
        1 => lang.pick("Step 1: order created", "Étape 1 : création commande"),
        2 => lang.pick("Step 2: payment", "Étape 2 : paiement"),
        3 => lang.pick("Step 3: delivery", "Étape 3 : livraison"),
        _ => lang.pick("Step 4: notification", "Étape 4 : notification"),
    }
}

/// A lifeline's label.
pub fn lifeline_name(l: Lifeline, lang: Lang) -> String {
    match l {
        Lifeline::Customer => lang.pick("customer", "client").to_string(),
        Lifeline::Service {
            service,
            instance: 0,
        } => service.name().to_string(),
        Lifeline::Service { service, instance } => format!("{}#{}", service.name(), instance + 1),
        Lifeline::Broker { broker } => format!("broker {}", broker.0),
    }
}

/// A lifeline's id on the page: `customer`, `payment_service`, `broker-2`.
fn lifeline_id(l: Lifeline) -> String {
    match l {
        Lifeline::Customer => "customer".into(),
        Lifeline::Service { service, .. } => service.name().into(),
        Lifeline::Broker { broker } => format!("broker-{}", broker.0),
    }
}

fn drop_reason(r: DropReason, lang: Lang) -> &'static str {
    match r {
        DropReason::LinkCut => lang.pick("link cut", "lien coupé"),
        DropReason::LinkLossy => lang.pick("lost on a lossy link", "perdu sur un lien instable"),
        DropReason::NodeDown => lang.pick("receiver down", "destinataire arrêté"),
        DropReason::DroppedByUser => lang.pick("dropped by hand", "supprimé à la main"),
    }
}

/// One line saying what a step is: `Produce order.created-1 (retry 2)`.
pub fn step_label(s: &SeqStep, order_id: u64, names: &Names, lang: Lang) -> String {
    let at = match (s.tp, s.offset) {
        (Some(tp), Some(o)) => format!("{}@{o}", names.partition(tp)),
        (Some(tp), None) => names.partition(tp),
        _ => String::new(),
    };
    let mut text = match &s.kind {
        StepKind::Placed => lang
            .pick("places the order", "passe la commande")
            .to_string(),
        StepKind::Produce { attempt: 1 } => format!("Produce {at}"),
        StepKind::Produce { attempt } => lang.pick(
            format!("Produce {at} (retry {})", attempt - 1),
            format!("Produce {at} (nouvel essai {})", attempt - 1),
        ),
        StepKind::Replicate => lang.pick(
            format!("replicates {at} (fetch answer)"),
            format!("réplique {at} (réponse au fetch)"),
        ),
        StepKind::Acknowledge { error: None } => {
            lang.pick(format!("acknowledged {at}"), format!("acquitté {at}"))
        }
        StepKind::Acknowledge { error: Some(e) } => {
            lang.pick(format!("refused: {e}"), format!("refusé : {e}"))
        }
        StepKind::Deliver { delivery: 1 } => {
            lang.pick(format!("delivers {at}"), format!("livre {at}"))
        }
        StepKind::Deliver { delivery } => lang.pick(
            format!("delivers {at} again (redelivery {})", delivery - 1),
            format!("relivre {at} (redistribution {})", delivery - 1),
        ),
        StepKind::Process {
            interrupted: true, ..
        } => lang
            .pick(
                "processing, crashed before the end",
                "traitement, arrêté avant la fin",
            )
            .to_string(),
        StepKind::Process {
            duplicate: true, ..
        } => lang
            .pick(
                "already handled: duplicate ignored",
                "déjà traité : doublon ignoré",
            )
            .to_string(),
        StepKind::Process { .. } => lang.pick(format!("processes {at}"), format!("traite {at}")),
        StepKind::Commit => match (s.tp, s.offset) {
            (Some(tp), Some(o)) => lang.pick(
                format!("commits {} at {o}", names.partition(tp)),
                format!("valide {} à {o}", names.partition(tp)),
            ),
            _ => "OffsetCommit".to_string(),
        },
        StepKind::Uncommitted => lang.pick(
            format!("stopped before committing {at}: it will be delivered again"),
            format!("arrêté avant de valider {at} : il sera relivré"),
        ),
        StepKind::CommitAnswer { error: None } => {
            lang.pick("commit stored", "commit enregistré").to_string()
        }
        StepKind::CommitAnswer { error: Some(e) } => lang.pick(
            format!("commit refused: {e}"),
            format!("commit refusé : {e}"),
        ),
        StepKind::Email { step } => {
            let (en, fr) = step.subject(order_id);
            format!("✉ {}", lang.pick(en, fr))
        }
    };
    // Which instance, when a service runs more than one.
    for end in [s.from, s.to] {
        if let Lifeline::Service { instance, .. } = end {
            if instance > 0 {
                text.push_str(&format!(" · #{}", instance + 1));
                break;
            }
        }
    }
    if let Some(r) = s.lost {
        text.push_str(&format!(" ✕ {}", drop_reason(r, lang)));
    } else if s.in_flight() {
        text.push_str(lang.pick(" (in flight)", " (en vol)"));
    }
    text
}

/// The lifelines in drawing order: customer, order_service, brokers, then the consuming
/// services. With followers folded, a broker that only received replication is left out.
pub fn lifelines(steps: &[SeqStep], unfold_followers: bool) -> Vec<Lifeline> {
    let mut brokers: Vec<BrokerId> = Vec::new();
    let mut services: Vec<ServiceKind> = Vec::new();
    for s in steps {
        for end in [s.from, s.to] {
            match end {
                Lifeline::Broker { broker } => {
                    let follower_end = s.kind == StepKind::Replicate && end == s.to;
                    if (unfold_followers || !follower_end) && !brokers.contains(&broker) {
                        brokers.push(broker);
                    }
                }
                Lifeline::Service { service, .. } if !services.contains(&service) => {
                    services.push(service)
                }
                _ => {}
            }
        }
    }
    let service = |k: ServiceKind| Lifeline::Service {
        service: k,
        instance: 0,
    };
    let mut out = vec![Lifeline::Customer, service(ServiceKind::OrderService)];
    // Brokers by id (ids are small), then the consuming services in chain order.
    let top = brokers.iter().map(|b| b.0).max().unwrap_or(0);
    out.extend(
        (1..=top)
            .map(BrokerId)
            .filter(|b| brokers.contains(b))
            .map(|broker| Lifeline::Broker { broker }),
    );
    out.extend(
        ServiceKind::ALL[1..]
            .iter()
            .filter(|k| services.contains(k))
            .map(|k| service(*k)),
    );
    out
}

/// The column of a lifeline (every instance of a service shares its service's column).
fn column(lines: &[Lifeline], l: Lifeline) -> Option<usize> {
    let key = match l {
        Lifeline::Service { service, .. } => Lifeline::Service {
            service,
            instance: 0,
        },
        other => other,
    };
    lines.iter().position(|x| *x == key)
}

/// What [`sequence_view`] draws.
pub struct SequenceProps {
    /// The order followed.
    pub focus: Rc<Option<OrderFocus>>,
    /// The order's timeline (stage, user, total).
    pub order: Option<OrderView>,
    /// Node labels.
    pub names: Rc<Names>,
    /// Followers drawn as their own lifelines.
    pub unfold_followers: bool,
    /// Current selection.
    pub selection: Selection,
    /// Simulated now.
    pub now: u64,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// The sequence view (a plain function, not a component: it is drawn only while shown, and a
/// component of its own would cost the page several KB).
pub fn sequence_view(p: &SequenceProps) -> Html {
    let lang = p.lang;
    let Some(focus) = p.focus.as_ref() else {
        let text = match &p.order {
            Some(o) => lang.pick(
                format!("Order #{} was not followed: the page follows the orders placed while it runs (after a jump in time, from ten minutes before), at most 25 a second.", o.order_id),
                format!("La commande n°{} n'a pas été suivie : la page suit les commandes passées pendant qu'elle tourne (après un saut dans le temps, depuis dix minutes avant), au plus 25 par seconde.", o.order_id),
            ),
            None => lang.pick(
                "No order to follow yet: create one (or pick one in the Orders panel) and its messages appear here as they happen.",
                "Aucune commande à suivre : créez-en une (ou choisissez-la dans le panneau Commandes), ses messages s'affichent ici au fil de l'eau.").to_string(),
        };
        return html! {
            <div id="sequence" class="sequence empty">
                <p class="muted">{ text }</p>
            </div>
        };
    };
    let steps = &focus.sequence;
    let lines = lifelines(steps, p.unfold_followers);
    let mut folded: Vec<u32> = Vec::new();
    for s in steps.iter().filter(|s| s.kind == StepKind::Replicate) {
        if let Lifeline::Broker { broker } = s.to {
            if column(&lines, s.to).is_none() && !folded.contains(&broker.0) {
                folded.push(broker.0);
            }
        }
    }
    // Room for the labels even while few lifelines are drawn.
    let width = (GUTTER_W + COLUMN_W * lines.len() as f64 + 12.0).max(760.0);
    let height = HEADER_H + ROW_H * (steps.len() as f64 + 1.0) + 8.0;
    let x_of = |c: usize| GUTTER_W + COLUMN_W * (c as f64 + 0.5);
    let selected_step = match p.selection {
        Selection::Step(o, i) if o == focus.order_id => Some(i),
        _ => None,
    };
    let headers: Html = lines
        .iter()
        .enumerate()
        .map(|(c, l)| {
            let x = x_of(c);
            let name = lifeline_name(*l, lang);
            let kind = match l {
                Lifeline::Customer => "customer",
                Lifeline::Service { .. } => "service",
                Lifeline::Broker { .. } => "broker",
            };
            html! {
                <g class={classes!("lifeline", kind)} id={format!("lifeline-{}", lifeline_id(*l))}>
                    <rect x={f(x - COLUMN_W / 2.0 + 3.0)} y="6" width={f(COLUMN_W - 6.0)} height="24" rx="5" />
                    <text x={f(x)} y="22" text-anchor="middle">{ name }</text>
                    <line x1={f(x)} y1="30" x2={f(x)} y2={f(height - 4.0)} />
                </g>
            }
        })
        .collect();
    let rows: Html = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let (a, b) = (column(&lines, s.from), column(&lines, s.to));
            // A folded follower: the arrow ends in a stub beside its leader.
            let (a, b, stub) = match (a, b) {
                (Some(a), Some(b)) => (a, b, false),
                (Some(a), None) if s.kind == StepKind::Replicate => (a, a, true),
                _ => return None,
            };
            let y = HEADER_H + ROW_H * (i as f64 + 0.7);
            let label = step_label(s, focus.order_id, &p.names, lang);
            let sel = selected_step == Some(i);
            let cb = p.on_action.clone();
            let order = focus.order_id;
            let onclick = Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                cb.emit(Action::Select(Selection::Step(order, i)))
            });
            let cb = p.on_action.clone();
            let onkeydown = Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" {
                    e.prevent_default();
                    cb.emit(Action::Select(Selection::Step(order, i)))
                }
            });
            let (x1, x2) = (x_of(a), x_of(b));
            // One path per step, drawn in the row's own coordinates (the row is moved to y):
            // a bar for processing, a short stub beside the leader for a folded follower, a
            // loop for a message to oneself, else an arrow (stopping where a message in flight
            // is now).
            let (d, marker) = if s.kind.name() == "process" {
                (format!("M{:.1} -14h10v18h-10z", x1 - 5.0), None)
            } else if stub {
                (format!("M{x1:.1} 0h{:.1}", COLUMN_W * 0.32), Some("url(#seq-head)"))
            } else if a == b {
                (format!("M{x1:.1} -6h22v8h-20"), Some("url(#seq-head)"))
            } else {
                let share = if s.in_flight() && s.at > s.sent_at {
                    (p.now.saturating_sub(s.sent_at) as f64 / (s.at - s.sent_at) as f64).clamp(0.05, 1.0)
                } else {
                    1.0
                };
                let end = x1 + (x2 - x1) * share;
                let head = if s.lost.is_some() { "url(#seq-lost)" } else { "url(#seq-head)" };
                (format!("M{x1:.1} 0L{end:.1} 0"), Some(head))
            };
            let label = match (stub, s.to) {
                (true, Lifeline::Broker { broker }) => format!("B{} · {label}", broker.0),
                _ => label,
            };
            // Beside a bar or loop: to its right, or to its left on the last lifeline.
            let side = a == b || stub;
            // (On the last three lifelines the text goes left, where there is room.)
            let last = side && a + 3 >= lines.len();
            let text_x = if stub {
                x1 + COLUMN_W * 0.34
            } else if last {
                x1 - 10.0
            } else if side {
                x1 + 14.0
            } else {
                (x1 + x2) / 2.0
            };
            let anchor = if last { "end" } else if side { "start" } else { "middle" };
            let fault = s.lost.is_some()
                || s.kind == StepKind::Uncommitted
                || matches!(s.kind, StepKind::Acknowledge { error: Some(_) } | StepKind::CommitAnswer { error: Some(_) })
                || matches!(s.kind, StepKind::Produce { attempt } if attempt > 1)
                || matches!(s.kind, StepKind::Deliver { delivery } if delivery > 1)
                || matches!(s.kind, StepKind::Process { duplicate: true, .. } | StepKind::Process { interrupted: true, .. });
            let time = if s.kind.name() == "process" || s.sent_at == s.at {
                clock_ms(s.sent_at)
            } else {
                format!("{} +{} ms", clock_ms(s.sent_at), s.at - s.sent_at)
            };
            Some(html! {
                <g id={format!("seq-step-{i}")} key={i}
                    class={classes!("seq-step", format!("kind-{}", s.kind.name()), format!("stage-{}", s.stage),
                        fault.then_some("fault"), s.lost.is_some().then_some("lost"), s.in_flight().then_some("in-flight"),
                        sel.then_some("selected"))}
                    data-kind={s.kind.name()} data-stage={s.stage.to_string()}
                    data-from={lifeline_id(s.from)} data-to={lifeline_id(s.to)}
                    data-tp={s.tp.map(|tp| p.names.partition(tp))} data-offset={s.offset.map(|o| o.to_string())}
                    transform={format!("translate(0 {y:.1})")}
                    tabindex="0" role="button" aria-label={label.clone()} onclick={onclick} onkeydown={onkeydown}>
                    <title>{ format!("{} · {} → {} · {}", label, lifeline_name(s.from, lang), lifeline_name(s.to, lang), time) }</title>
                    <rect class="row-hit" x="0" y="-18" width={f(width)} height="24" />
                    <circle class="stage-badge" cx="11" cy="-4" r="8" />
                    <text class="stage-num" x="11" y="-0.5" text-anchor="middle">{ s.stage }</text>
                    <text class="time" x="24" y="0">{ time }</text>
                    <path class={if marker.is_some() { "arrow" } else { "bar" }} d={d} marker-end={marker} />
                    <text class="label" x={f(text_x)} y="-5" text-anchor={anchor}>{ label }</text>
                </g>
            })
        })
        .collect();
    let stages: Html = (1..=4u8)
        .map(|n| html! { <li class={format!("stage-{n}")}><span class="stage-dot">{ n }</span>{ stage_title(n, lang) }</li> })
        .collect();
    let title = match &p.order {
        Some(o) => format!(
            "{} #{} · {} {} · {}",
            lang.pick("Order", "Commande"),
            o.order_id,
            lang.pick("customer", "client"),
            o.user_id,
            euros(o.total)
        ),
        None => format!("{} #{}", lang.pick("Order", "Commande"), focus.order_id),
    };
    let toggle = {
        let cb = p.on_action.clone();
        Callback::from(move |_: Event| cb.emit(Action::ToggleFollowers))
    };
    let folded_note = if folded.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = folded.iter().map(|b| format!("broker {b}")).collect();
        lang.pick(
            format!("followers folded into their leader: {}", list.join(", ")),
            format!("followers repliés sur leur leader : {}", list.join(", ")),
        )
    };
    html! {
        <div id="sequence" class="sequence" data-order={focus.order_id.to_string()}>
            <div class="sequence-bar">
                <strong id="sequence-title">{ title }</strong>
                <span class="muted">{ format!(" · {} {}", steps.len(), lang.pick("steps", "étapes")) }</span>
                <label class="toggle">
                    <input id="sequence-followers" type="checkbox" checked={p.unfold_followers} onchange={toggle} />
                    { lang.pick("followers as lifelines", "followers en lignes de vie") }
                </label>
                <span class="muted small">{ folded_note }</span>
            </div>
            <ol class="stage-legend">{ stages }</ol>
            <svg id="sequence-diagram" width={f(width)} height={f(height)} viewBox={format!("0 0 {width:.0} {height:.0}")}
                style={format!("max-width:{width:.0}px")}
                role="img" aria-label={lang.pick("Sequence of the order's messages", "Séquence des messages de la commande")}>
                <defs>
                    <marker id="seq-head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0 0L8 4L0 8z" class="head" />
                    </marker>
                    <marker id="seq-lost" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="10" markerHeight="10" orient="auto">
                        <path d="M1 1L9 9M9 1L1 9" class="lost-x" />
                    </marker>
                </defs>
                { headers }
                { rows }
            </svg>
        </div>
    }
}
