//! The logical view: the same state grouped topic → partition → replicas on brokers, under
//! the order chain (which service publishes to and consumes from which topic).

use std::rc::Rc;

use yew::prelude::*;

use crate::services::{ServiceKind, WorldSnapshot};
use crate::sim::snapshot::ReplicaRole;
use crate::ui::i18n::Lang;
use crate::ui::state::{Action, Selection};

/// Properties of [`Logical`].
#[derive(Properties, PartialEq)]
pub struct LogicalProps {
    /// This frame's picture.
    pub snap: Rc<WorldSnapshot>,
    /// Show `__consumer_offsets`.
    pub show_internal: bool,
    /// Current selection.
    pub selection: Selection,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// The logical view.
#[function_component(Logical)]
pub fn logical(p: &LogicalProps) -> Html {
    let t = p.lang.t();
    let snap = &p.snap;
    // Each running service with what it reads and writes: the chain is not a line (email_service
    // reads all four topics, shipping_service only payment.successful).
    let pills = |topics: &[&str]| -> Html {
        topics
            .iter()
            .map(|tn| html! { <span class="topic-pill">{ tn.to_string() }</span> })
            .collect()
    };
    let chain: Html = snap
        .services
        .iter()
        .map(|svc| {
            let k = svc.kind;
            html! {
                <tr id={format!("chain-{}", k.name())}>
                    <td class="reads">{ if k.consumes().is_empty() { html! { <span class="muted">{ "-" }</span> } } else { pills(k.consumes()) } }</td>
                    <td class="arrow">{ "→" }</td>
                    <td><span class="svc">{ k.name() }</span></td>
                    <td class="arrow">{ "→" }</td>
                    <td class="writes">{ if k.publishes().is_empty() { html! { <span class="muted">{ p.lang.pick("emails", "e-mails") }</span> } } else { pills(k.publishes()) } }</td>
                </tr>
            }
        })
        .collect();
    let topics: Html = snap
        .sim
        .topics
        .iter()
        .filter(|tv| p.show_internal || !tv.internal)
        .map(|tv| {
            let consumers: Vec<&str> = ServiceKind::ALL
                .iter()
                .filter(|k| k.consumes().contains(&&*tv.name))
                .map(|k| k.name())
                .collect();
            let rows: Html = snap
                .sim
                .partitions
                .iter()
                .filter(|pv| pv.topic == tv.name)
                .map(|pv| {
                    let tp = pv.tp;
                    let cb = p.on_action.clone();
                    let cells: Html = snap
                        .sim
                        .brokers
                        .iter()
                        .map(|b| match pv.replica_states.iter().find(|r| r.broker == b.id) {
                            Some(r) => {
                                let (badge, class) = match r.role {
                                    ReplicaRole::Leader => ("L", "badge-leader"),
                                    ReplicaRole::Follower => ("F", "badge-follower"),
                                    ReplicaRole::Unknown => ("?", "badge-unknown"),
                                };
                                html! {
                                    <td class={classes!("rep", (!r.in_isr).then_some("out-of-sync"))}
                                        title={format!("broker {} · LEO {} · HW {}{}", b.id.0, r.log_end_offset, r.high_watermark, if r.in_isr { "" } else { " · out of ISR" })}>
                                        <span class={classes!("badge-html", class)}>{ badge }</span>
                                        <span class="nums">{ format!("{}/{}", r.log_end_offset, r.high_watermark) }</span>
                                    </td>
                                }
                            }
                            None => html! { <td class="rep none">{ "·" }</td> },
                        })
                        .collect();
                    html! {
                        <tr class={classes!("clickable", pv.offline.then_some("offline"), pv.under_replicated.then_some("under-replicated"),
                                (p.selection == Selection::Partition(tp)).then_some("selected"))}
                            onclick={Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Partition(tp))))}>
                            <th>{ format!("P{}", tp.partition) }</th>
                            { cells }
                            <td class="num">{ pv.high_watermark }</td>
                            <td class="num">{ format!("{:?}", pv.isr.iter().map(|b| b.0).collect::<Vec<_>>()) }</td>
                            <td class="num">{ pv.leader_epoch }</td>
                        </tr>
                    }
                })
                .collect();
            html! {
                <div class="topic-card">
                    <h3>
                        { tv.name.to_string() }
                        <span class="meta">{ format!(" · {} {} · RF {} · min ISR {}", tv.partitions, t.partitions.to_lowercase(), tv.replication_factor, tv.min_insync_replicas) }</span>
                        if !consumers.is_empty() { <span class="meta">{ format!(" · {} {}", p.lang.pick("read by", "lu par"), consumers.join(", ")) }</span> }
                    </h3>
                    <table class="grid logical-table">
                        <thead><tr>
                            <th>{ t.partition }</th>
                            { for snap.sim.brokers.iter().map(|b| html! { <th class={classes!((!b.online).then_some("down"))}>{ format!("Broker {}", b.id.0) }</th> }) }
                            <th>{ t.hw }</th><th>{ t.isr }</th><th>{ p.lang.pick("epoch", "époque") }</th>
                        </tr></thead>
                        <tbody>{ rows }</tbody>
                    </table>
                </div>
            }
        })
        .collect();
    html! {
        <div id="logical" class="logical">
            <p class="hint">{ t.logical_intro }</p>
            if !snap.services.is_empty() {
                <table class="chain" id="logical-chain">
                    <thead><tr><th>{ p.lang.pick("reads", "lit") }</th><th></th><th>{ p.lang.pick("service", "service") }</th><th></th><th>{ p.lang.pick("writes", "écrit") }</th></tr></thead>
                    <tbody>{ chain }</tbody>
                </table>
            }
            <div class="topic-cards">{ topics }</div>
        </div>
    }
}
