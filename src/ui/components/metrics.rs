//! The metrics panel: health figures of this instant and small sparklines over the last two
//! simulated minutes (from the bounded history ring in the state).

use std::rc::Rc;

use yew::prelude::*;

use crate::services::WorldSnapshot;
use crate::ui::i18n::Lang;
use crate::ui::state::{History, Sample};

/// Properties of [`Metrics`].
#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    /// This frame's picture.
    pub snap: Rc<WorldSnapshot>,
    /// The history ring.
    pub history: Rc<History>,
    /// Language.
    pub lang: Lang,
}

/// Properties of [`Sparkline`].
#[derive(Properties, PartialEq)]
pub struct SparklineProps {
    /// Values, oldest first.
    pub values: Vec<f64>,
    /// Extra CSS class.
    #[prop_or_default]
    pub class: Classes,
}

/// A tiny line chart.
#[function_component(Sparkline)]
pub fn sparkline(p: &SparklineProps) -> Html {
    let (w, h) = (120.0, 24.0);
    let max = p.values.iter().copied().fold(0.0_f64, f64::max).max(1e-9);
    let n = p.values.len().max(2) as f64 - 1.0;
    let pts = p
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 / n * w,
                h - 2.0 - v / max * (h - 4.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        <svg class={classes!("spark", p.class.clone())} viewBox={format!("0 0 {w} {h}")} preserveAspectRatio="none" aria-hidden="true">
            <polyline points={pts} />
        </svg>
    }
}

fn series(h: &History, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
    h.samples.iter().map(f).collect()
}

/// The metrics panel.
#[function_component(Metrics)]
pub fn metrics(p: &MetricsProps) -> Html {
    let t = p.lang.t();
    let m = &p.snap.sim.metrics;
    let totals = &p.snap.order_totals;
    let dup_services: u64 = p
        .snap
        .services
        .iter()
        .map(|s| s.duplicates_suppressed)
        .sum();
    let dups = m.counters.duplicates_suppressed_by_brokers + dup_services;
    let last = p.history.samples.back().copied().unwrap_or_default();
    let mean_latency = if totals.completed > 0 {
        totals.latency_sum_ms as f64 / totals.completed as f64 / 1000.0
    } else {
        0.0
    };
    let lag: u64 = p.snap.services.iter().map(|s| s.lag).sum();
    let row = |id: &str,
               label: &str,
               tip: &str,
               value: String,
               class: Option<&'static str>,
               spark: Option<Vec<f64>>| {
        html! {
            <div class={classes!("metric", class)} title={tip.to_string()}>
                <span class="label">{ label.to_string() }</span>
                <span class="value" id={id.to_string()}>{ value }</span>
                if let Some(v) = spark { <Sparkline values={v} /> }
            </div>
        }
    };
    let h = &p.history;
    html! {
        <section id="metrics" class="panel metrics">
            <header><h2>{ t.metrics }</h2></header>
            <div class="panel-body">
                <div class="metric-grid">
                    { row("metric-under-replicated", t.under_replicated, p.lang.pick("Partitions whose ISR is smaller than the replication factor", "Partitions dont l'ISR est plus petit que le facteur de réplication"),
                        m.under_replicated.to_string(), (m.under_replicated > 0).then_some("warn"), Some(series(h, |s| s.under_replicated))) }
                    { row("metric-offline", t.offline, p.lang.pick("Partitions without a leader", "Partitions sans leader"),
                        m.offline.to_string(), (m.offline > 0).then_some("bad"), Some(series(h, |s| s.offline))) }
                    { row("metric-throughput", t.throughput, p.lang.pick("Orders completed per simulated second", "Commandes terminées par seconde simulée"),
                        format!("{:.1}", last.orders_per_s), None, Some(series(h, |s| s.orders_per_s))) }
                    { row("metric-acked", p.lang.pick("Records acked/s", "Écritures confirmées/s"), p.lang.pick("Produce requests acknowledged per simulated second", "Écritures confirmées par seconde simulée"),
                        format!("{:.1}", last.acked_per_s), None, Some(series(h, |s| s.acked_per_s))) }
                    { row("metric-latency", t.latency, p.lang.pick("From order created to its last email: mean over all orders (sparkline: per second)", "De la création de la commande à son dernier e-mail : moyenne (courbe : par seconde)"),
                        format!("{mean_latency:.1} s"), None, Some(series(h, |s| s.latency_ms))) }
                    { row("metric-lag", t.lag, p.lang.pick("Records written but not yet committed by the consumer groups", "Enregistrements écrits mais pas encore validés par les groupes"),
                        lag.to_string(), None, Some(series(h, |s| s.lag))) }
                </div>
                <div class="metric-pairs">
                    { row("metric-lost", t.lost_acked, t.lost_acked_tip, m.lost_acked.to_string(), (m.lost_acked > 0).then_some("bad"), None) }
                    { row("metric-duplicates", t.duplicates, t.duplicates_tip, dups.to_string(), None, None) }
                    { row("metric-completed", t.completed, p.lang.pick("Orders that got every email, of all orders created", "Commandes ayant reçu tous leurs e-mails, sur toutes les commandes"),
                        format!("{}/{}", totals.completed, totals.created), None, None) }
                    { row("metric-elections", t.elections, &p.lang.pick(format!("Leader changes committed by the controller on your topics ({} more on __consumer_offsets)", m.counters.internal_leader_elections), format!("Changements de leader validés par le contrôleur sur vos topics ({} de plus sur __consumer_offsets)", m.counters.internal_leader_elections)),
                        m.counters.leader_elections.to_string(), None, None) }
                    { row("metric-stuck", t.stuck, p.lang.pick("Orders without progress for a while (see the orders table for why)", "Commandes sans progrès depuis un moment (voir le tableau des commandes)"),
                        p.snap.stuck.to_string(), (p.snap.stuck > 0).then_some("warn"), None) }
                </div>
            </div>
        </section>
    }
}
