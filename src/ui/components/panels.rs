//! The lower panels: the event log (filterable by category), the orders table and the email
//! outbox. Each shows a bounded number of rows.

use crate::sim::sorted_map::SortedSet;
use std::rc::Rc;

use yew::prelude::*;

use crate::services::{Email, LogEntry, OrderStage, OrderView};
use crate::ui::describe::{self, category, euros, log_entry, Names, CATEGORIES};
use crate::ui::geometry::format_clock;
use crate::ui::i18n::Lang;
use crate::ui::state::{Action, Selection};

/// Properties of [`EventLog`].
#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    /// Latest entries, newest first.
    pub entries: Rc<Vec<LogEntry>>,
    /// Categories shown.
    pub filter: Rc<SortedSet<&'static str>>,
    /// Node labels.
    pub names: Rc<Names>,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// The event log.
#[function_component(EventLog)]
pub fn event_log(p: &EventLogProps) -> Html {
    let t = p.lang.t();
    let chips: Html = CATEGORIES
        .iter()
        .map(|c| {
            let on = p.filter.contains(c);
            let cb = p.on_action.clone();
            let c2: &'static str = c;
            html! {
                <label class={classes!("chip", format!("cat-{c}"), on.then_some("on"))} title={t.log_filter_tip}>
                    <input id={format!("log-filter-{c}")} type="checkbox" checked={on}
                        onchange={Callback::from(move |_: Event| cb.emit(Action::ToggleCategory(c2)))} />
                    { category(c, p.lang) }
                </label>
            }
        })
        .collect();
    // Search: the entries whose sentence holds the query (any case).
    let query = use_state(String::new);
    let needle = query.trim().to_lowercase();
    let shown: Vec<(&LogEntry, String)> = p
        .entries
        .iter()
        .filter(|e| p.filter.contains(e.category()))
        .map(|e| (e, log_entry(e, &p.names, p.lang)))
        .filter(|(_, text)| needle.is_empty() || text.to_lowercase().contains(&needle))
        .collect();
    let rows: Html = shown
        .iter()
        .take(80)
        .map(|(e, text)| {
            let cat = e.category();
            let cb = p.on_action.clone();
            let at = e.at;
            html! {
                <li class={classes!("log-row", "clickable", format!("cat-{cat}"))} title={p.lang.pick("Go to this moment", "Aller à cet instant")}
                    onclick={Callback::from(move |_: MouseEvent| cb.emit(Action::TravelTo(at)))}>
                    <span class="at">{ format_clock(e.at) }</span>
                    <span class="cat">{ category(cat, p.lang) }</span>
                    <span class="text">{ text.clone() }</span>
                </li>
            }
        })
        .collect();
    let on_search = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            query.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    // The CSV is built when asked for, not on every redraw of the log.
    let on_export = {
        let (entries, filter, names, lang) =
            (p.entries.clone(), p.filter.clone(), p.names.clone(), p.lang);
        let needle = needle.clone();
        Callback::from(move |_: MouseEvent| {
            let lines: Vec<(u64, &str, String)> = entries
                .iter()
                .rev()
                .filter(|e| filter.contains(e.category()))
                .map(|e| (e.at, e.category(), log_entry(e, &names, lang)))
                .filter(|(_, _, text)| needle.is_empty() || text.to_lowercase().contains(&needle))
                .collect();
            let csv = log_csv(lines.iter().map(|(at, c, t)| (*at, *c, t.as_str())));
            crate::ui::dom::download("kafka-sandbox-events.csv", "text/csv", &csv)
        })
    };
    html! {
        <section class="panel log-panel">
            <header>
                <h2>{ t.event_log }</h2>
                <div class="chips">{ chips }</div>
                <input id="log-search" class="log-search" type="search" value={(*query).clone()} oninput={on_search}
                    placeholder={p.lang.pick("Search", "Chercher")} aria-label={p.lang.pick("Search the event log", "Chercher dans le journal")} />
                <button id="log-export" class="btn small" title={p.lang.pick("Download the events shown as CSV", "Télécharger les événements affichés en CSV")}
                    onclick={on_export}>{ "CSV" }</button>
            </header>
            <ul id="event-log" class="panel-body log" data-shown={shown.len().to_string()}>
                if p.entries.is_empty() { <li class="muted">{ t.none_yet }</li> }
                if !p.entries.is_empty() && shown.is_empty() { <li class="muted">{ p.lang.pick("No event matches.", "Aucun événement ne correspond.") }</li> }
                { rows }
            </ul>
        </section>
    }
}

/// Event log lines as CSV, oldest first: time in ms, time, category, sentence (quoted, its
/// quotes doubled).
pub fn log_csv<'a>(rows: impl Iterator<Item = (u64, &'a str, &'a str)>) -> String {
    let mut out = String::from("time_ms,time,category,event\n");
    for (at, category, text) in rows {
        out.push_str(&format!(
            "{at},{},{category},\"{}\"\n",
            format_clock(at),
            text.replace('"', "\"\"")
        ));
    }
    out
}

/// Properties of [`Orders`].
#[derive(Properties, PartialEq)]
pub struct OrdersProps {
    /// Latest orders, newest first.
    pub orders: Rc<Vec<OrderView>>,
    /// Selected order.
    pub selected: Option<u64>,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// The orders table.
#[function_component(Orders)]
pub fn orders(p: &OrdersProps) -> Html {
    let t = p.lang.t();
    let rows: Html = p
        .orders
        .iter()
        .map(|o| {
            let cb = p.on_action.clone();
            let id = o.order_id;
            let stage_class = match o.stage {
                OrderStage::Completed => "done",
                OrderStage::PublishFailed | OrderStage::Refused => "bad",
                _ if o.stuck.is_some() => "stuck",
                _ => "progress",
            };
            let stuck = o.stuck.as_ref().map(|s| describe::stuck(s, p.lang));
            html! {
                <tr key={id} id={format!("order-{id}")} data-stage={format!("{:?}", o.stage).to_lowercase()} class={classes!("clickable", (p.selected == Some(id)).then_some("selected"))}
                    onclick={Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Order(id))))}>
                    <td>{ format!("#{id}") }</td>
                    <td>{ o.user_id }</td>
                    <td class="num">{ euros(o.total) }</td>
                    <td><span class={classes!("ostage", stage_class)} title={stuck.clone().unwrap_or_default()}>
                        { describe::stage(o.stage, p.lang) }
                        if stuck.is_some() { { " ⚠" } }
                    </span></td>
                    <td class="num">{ format!("{}/{}", o.emails.len(), o.expected_emails()) }</td>
                    <td class="num">{ o.latency_ms.map_or("-".to_string(), |l| format!("{:.1} s", l as f64 / 1000.0)) }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <section class="panel orders-panel">
            <header><h2>{ t.orders }</h2></header>
            <div class="panel-body">
                <table id="order-table" class="grid">
                    <thead><tr><th>{ "#" }</th><th>{ t.user }</th><th>{ t.total }</th><th>{ t.stage }</th><th title={t.emails}>{ "✉" }</th><th title={t.latency}>{ p.lang.pick("Latency", "Latence") }</th></tr></thead>
                    <tbody>{ rows }</tbody>
                </table>
                if p.orders.is_empty() { <p class="muted">{ t.none_yet }</p> }
            </div>
        </section>
    }
}

/// Properties of [`Outbox`].
#[derive(Properties, PartialEq)]
pub struct OutboxProps {
    /// Latest emails, newest first.
    pub emails: Rc<Vec<Email>>,
    /// Language.
    pub lang: Lang,
}

/// The email outbox.
#[function_component(Outbox)]
pub fn outbox(p: &OutboxProps) -> Html {
    let t = p.lang.t();
    html! {
        <section class="panel outbox-panel">
            <header><h2>{ t.outbox }</h2></header>
            <ul id="outbox" class="panel-body mail">
                { for p.emails.iter().map(|e| html! {
                    <li class="mail-row" data-order={e.order_id.to_string()}>
                        <span class="at">{ format_clock(e.sent_at) }</span>
                        <span class="to">{ p.lang.pick(format!("user {}", e.user_id), format!("client {}", e.user_id)) }</span>
                        <span class="text">{ p.lang.pick(e.subject_en(), e.subject_fr()) }</span>
                    </li>
                }) }
                if p.emails.is_empty() { <li class="muted">{ t.none_yet }</li> }
            </ul>
        </section>
    }
}
