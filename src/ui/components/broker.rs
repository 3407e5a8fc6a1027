//! One broker box of the physical view: its header (state, partitions led) and the replicas
//! it stores, three to a line, each with its Leader/Follower badge, LEO/HW and ISR styling.

use std::rc::Rc;

use yew::prelude::*;

use crate::services::WorldSnapshot;
use crate::sim::snapshot::{BrokerView, PartitionView, ReplicaRole, ReplicaView};
use crate::sim::Command;
use crate::ui::geometry::{partition_row, replica_cell, Rect, LABEL_H, ROW_H};
use crate::ui::i18n::Lang;
use crate::ui::state::{Action, Selection};

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

/// The partitions of a broker's replica lines, in line order, without their records (so an
/// unchanged broker compares equal and is not drawn again).
pub fn partitions_of(snap: &WorldSnapshot, lines: &[Line]) -> Rc<Vec<Rc<PartitionView>>> {
    Rc::new(
        lines
            .iter()
            .flat_map(|l| match l {
                Line::Replicas(cells) => cells.clone(),
                Line::Topic(_) => Vec::new(),
            })
            .filter_map(|(i, _)| {
                snap.sim.partitions.get(i).map(|p| {
                    Rc::new(PartitionView {
                        recent_records: Vec::new(),
                        retained_records: 0,
                        ..p.clone()
                    })
                })
            })
            .collect(),
    )
}

/// Formats a coordinate.
pub fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// Width of one digit of the offsets (9.5 px monospace), to know when they need squeezing.
const NUM_CHAR_W: f64 = 6.1;

/// Selects with the Enter key, for boxes reached with Tab.
pub fn on_enter(cb: &Callback<Action>, sel: Selection) -> Callback<KeyboardEvent> {
    let cb = cb.clone();
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            e.prevent_default();
            cb.emit(Action::Select(sel.clone()))
        }
    })
}

/// A red cross over a box that is down.
pub fn cross(r: &Rect, show: bool) -> Html {
    if !show {
        return Html::default();
    }
    html! {
        <path class="down-x" d={format!("M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}",
            r.x + 6.0, r.y + 6.0, r.right() - 6.0, r.bottom() - 6.0,
            r.right() - 6.0, r.y + 6.0, r.x + 6.0, r.bottom() - 6.0)} />
    }
}

/// The followed order's records, for the replica rows that hold them.
#[derive(Clone, Debug, PartialEq)]
pub struct FocusRecords {
    /// The order.
    pub order_id: u64,
    /// The key of its records.
    pub key: String,
    /// Partition and offset of each of its records.
    pub records: Vec<(crate::sim::TopicPartition, crate::sim::Offset)>,
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
    /// Simulated ms until the controller fences this broker, while its heartbeats are late.
    pub fence_in: Option<u64>,
    /// Small logs are drawn record by record (a world without services: a lesson's records
    /// have names).
    pub record_cells: bool,
    /// The partitions of its replica lines, in line order.
    pub partitions: Rc<Vec<Rc<PartitionView>>>,
    /// The followed order's records (none: nothing is followed).
    pub focus: Rc<Option<FocusRecords>>,
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
    let status = if b.left {
        p.lang.pick("removed", "retiré")
    } else if b.shutting_down {
        p.lang.pick("stopping", "s'arrête")
    } else if !b.online {
        t.down
    } else if b.isolated {
        t.isolated
    } else if b.registering {
        p.lang.pick("registering", "s'enregistre")
    } else if b.fenced {
        t.fenced
    } else {
        t.online
    };

    let focus = p.focus.as_ref().as_ref();
    let focus_key: Rc<str> = focus.map_or("", |f| f.key.as_str()).into();
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
                        Some(pv) => {
                            let tp = pv.tp;
                            let selected = match p.selected {
                                Selection::Partition(x) | Selection::Record(x, _) => x == tp,
                                _ => false,
                            };
                            let followed: Vec<u64> = focus
                                .map(|f| {
                                    f.records
                                        .iter()
                                        .filter(|(x, _)| *x == tp)
                                        .map(|(_, o)| *o)
                                        .collect()
                                })
                                .unwrap_or_default();
                            html! {
                                <ReplicaRow rect={replica_cell(&r, at, col, p.cols)} partition={pv.clone()}
                                    replica={rep.clone()} selected={selected} followed={followed} focus_key={focus_key.clone()}
                                    record_cells={p.record_cells} lang={p.lang} on_action={p.on_action.clone()} />
                            }
                        }
                        None => Html::default(),
                    })
                    .collect()
            }
        })
        .collect();
    // Its own fail / restore control, so that failing a broker needs no trip to the inspector
    // (a click elsewhere in the box selects a partition).
    let command = if b.online {
        Command::FailBroker { broker: id }
    } else {
        Command::RestoreBroker { broker: id }
    };
    let power_tip = format!(
        "{} {}",
        if b.online {
            t.fail_broker
        } else {
            t.restore_broker
        },
        id.0
    );
    let power = {
        let cb = p.on_action.clone();
        let command = command.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            cb.emit(Action::Command(command.clone()))
        })
    };
    let power_key = {
        let cb = p.on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                e.stop_propagation();
                cb.emit(Action::Command(command.clone()))
            }
        })
    };
    // Left of the status word, whatever its length ("online", "isolated", "fenced").
    let status_w: f64 = status
        .chars()
        .map(|c| {
            if c.is_uppercase() {
                STATUS_UPPER_W
            } else {
                STATUS_CHAR_W
            }
        })
        .sum();
    let (px, py) = (r.right() - 22.0 - status_w, r.y + 12.0);
    let selected = p.selected == Selection::Broker(b.id);
    // Partitions drawn here that this broker leads (hidden internal ones are not counted).
    let led: Vec<&PartitionView> = p
        .partitions
        .iter()
        .filter(|pv| pv.leader == Some(b.id))
        .map(|pv| pv.as_ref())
        .collect();
    // Leading a single partition (a lesson's), the box names it with its epoch and ISR; while
    // its heartbeats are missing, the countdown to its fencing.
    let sub = match (p.fence_in, led.as_slice()) {
        _ if b.left => {
            let held = p
                .partitions
                .iter()
                .filter(|pv| pv.replicas.contains(&b.id))
                .count();
            let (en, fr) = if held == 1 {
                ("replica", "réplique")
            } else {
                ("replicas", "répliques")
            };
            p.lang.pick(
                format!("left the cluster · {held} {en} to reassign"),
                format!("a quitté le cluster · {held} {fr} à réaffecter"),
            )
        }
        (Some(ms), _) => format!(
            "{} {:.1} s",
            p.lang.pick("fenced in", "écarté dans"),
            ms as f64 / 1000.0
        ),
        (None, [pv]) => format!(
            "{} {}-{} · {} {} · ISR {{{}}}",
            p.lang.pick("leads", "leader de"),
            pv.topic,
            pv.tp.partition,
            p.lang.pick("epoch", "époque"),
            pv.leader_epoch,
            isr_list(pv)
        ),
        (None, _) => p.lang.pick(
            format!("leader of {} · metadata @{}", led.len(), b.metadata_offset),
            format!(
                "leader de {} · métadonnées @{}",
                led.len(),
                b.metadata_offset
            ),
        ),
    };
    // With racks, the sub line starts with the broker's rack.
    let sub = match &b.rack {
        Some(rack) => format!("rack {rack} · {sub}"),
        None => sub,
    };
    html! {
        <g id={format!("broker-{}", b.id.0)}
            class={classes!("broker", (!b.online).then_some("down"), b.left.then_some("left"), b.isolated.then_some("isolated"),
                b.fenced.then_some("fenced"), selected.then_some("selected"))}
            tabindex="0" role="button" aria-label={format!("Broker {}: {status}", b.id.0)}
            onkeydown={on_enter(&p.on_action, Selection::Broker(b.id))}
            onclick={onclick}>
            <title>{ t.broker_tip }</title>
            <rect class="box" x={f(r.x)} y={f(r.y)} width={f(r.w)} height={f(r.h)} rx="8" />
            <text class="title" x={f(r.x + 10.0)} y={f(r.y + 16.0)}>{ format!("Broker {}", b.id.0) }</text>
            <text id={format!("broker-{}-status", b.id.0)} class={classes!("status", (!b.online || b.isolated).then_some("bad"))} x={f(r.right() - 10.0)} y={f(r.y + 16.0)} text-anchor="end">{ status }</text>
            if !b.left {
                <g id={format!("broker-{}-power", id.0)} class={classes!("power", (!b.online).then_some("off"))}
                    tabindex="0" role="button" aria-label={power_tip.clone()} onclick={power} onkeydown={power_key}>
                    <title>{ power_tip }</title>
                    <circle class="power-hit" cx={f(px)} cy={f(py)} r="8" />
                    <path d={format!("M{:.1} {:.1}a4.6 4.6 0 1 0 5.2 0M{px:.1} {:.1}v5", px - 2.6, py - 2.2, py - 5.5)} />
                </g>
            }
            <text id={format!("broker-{}-sub", b.id.0)} class={classes!("sub", p.fence_in.is_some().then_some("countdown"))} x={f(r.x + 10.0)} y={f(r.y + 28.0)}>
                if p.fence_in.is_some() {
                    <title>{ p.lang.pick("No heartbeat reached the active controller lately: it fences this broker once broker.session.timeout.ms has passed since the last one, then elects new leaders for what it led",
                        "Aucun battement n'a atteint le contrôleur actif récemment : il écarte ce broker une fois broker.session.timeout.ms écoulé depuis le dernier, puis élit de nouveaux leaders pour ce qu'il menait") }</title>
                }
                { sub }
            </text>
            { rows }
        </g>
    }
}

/// Properties of [`ReplicaRow`]: all it draws, so that a replica whose partition did not
/// change is not drawn again when another one of its broker did.
#[derive(Properties, PartialEq)]
pub struct ReplicaRowProps {
    /// Where.
    pub rect: Rect,
    /// Its partition (without records).
    pub partition: Rc<PartitionView>,
    /// The replica.
    pub replica: ReplicaView,
    /// Its partition (or one of its records) is selected.
    pub selected: bool,
    /// Offsets of the followed order's records in this partition.
    pub followed: Vec<u64>,
    /// The key of the followed order's records.
    pub focus_key: Rc<str>,
    /// The log is drawn record by record.
    pub record_cells: bool,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// One replica inside its broker: badge, name, LEO/HW and its bar (or its records).
#[function_component(ReplicaRow)]
fn replica_row(p: &ReplicaRowProps) -> Html {
    let (rr, pv, rep) = (p.rect, p.partition.as_ref(), &p.replica);
    let t = p.lang.t();
    let tp = pv.tp;
    let on_action = p.on_action.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        e.stop_propagation();
        on_action.emit(Action::Select(Selection::Partition(tp)))
    });
    // Drawn as the leader only while its broker is up (a down broker's replica keeps its badge).
    let leader = rep.role == ReplicaRole::Leader && pv.leader == Some(rep.broker) && rep.online;
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
    // Long offsets are squeezed into the room left of the partition name, never over it.
    let nums = format!("{}/{}", rep.log_end_offset, rep.high_watermark);
    let selected = p.selected;
    let mut tip_text = format!(
        "{}-{} · {} · LEO {} · HW {} · {} {} · ISR {{{}}}",
        pv.topic,
        tp.partition,
        tip,
        rep.log_end_offset,
        rep.high_watermark,
        p.lang.pick("leader epoch", "époque du leader"),
        pv.leader_epoch,
        isr_list(pv)
    );
    // The leader's row carries the partition's leader epoch (`P0 e1`).
    // A reassignment's moving replicas are marked: + joining, − leaving.
    let moving = if pv.adding.contains(&rep.broker) {
        "+"
    } else if pv.removing.contains(&rep.broker) {
        "−"
    } else {
        ""
    };
    let pname = if leader {
        format!("{moving}P{} e{}", tp.partition, pv.leader_epoch)
    } else {
        format!("{moving}P{}", tp.partition)
    };
    // The name starts 17 px in, about 6 px a letter; 4 px apart, 3 px from the right edge.
    let room = rr.w - 24.0 - 6.0 * pname.chars().count() as f64;
    let squeeze = (nums.len() as f64 * NUM_CHAR_W > room).then_some(room);
    if !moving.is_empty() {
        tip_text.push_str(" · ");
        tip_text.push_str(if moving == "+" {
            p.lang.pick(
                "a reassignment adds this replica: it counts once in the ISR",
                "une réaffectation ajoute cette réplique : elle compte une fois dans l'ISR",
            )
        } else {
            p.lang.pick(
                "a reassignment removes this replica once every new one is in sync",
                "une réaffectation retire cette réplique quand toutes les nouvelles sont synchronisées",
            )
        });
    }
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
    // The followed order's records in this partition: a mark at each offset, filled when this
    // replica holds the record, hollow while it does not yet.
    let followed = &p.followed;
    let marks: Html = followed
        .iter()
        .map(|o| {
            let held = *o < rep.log_end_offset;
            let x = bar_x + bar_w * ((*o as f64 + 0.5) / max_leo).min(1.0);
            let key = &p.focus_key;
            html! {
                <g class={classes!("record-mark", held.then_some("held"))}>
                    <title>{ format!("{}-{}@{o} · key {key}", pv.topic, tp.partition) }</title>
                    <circle cx={f(x)} cy={f(rr.y + 13.5)} r="3.2" />
                </g>
            }
        })
        .collect();
    let pname_len = pname.len();
    let cells = (p.record_cells && rep.cells.len() as u64 == rep.log_end_offset).then(|| {
        let x0 = rr.x + 21.0 + 6.0 * pname.len() as f64;
        record_cells(
            rr,
            x0,
            pv,
            rep,
            squeeze.unwrap_or(nums.len() as f64 * NUM_CHAR_W),
        )
    });
    let focus_label = followed
        .iter()
        .map(|o| format!("@{o}"))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        <g class={classes!("replica", leader.then_some("leader"), (!rep.in_isr).then_some("out-of-sync"),
                pv.under_replicated.then_some("under-replicated"), pv.offline.then_some("offline"),
                selected.then_some("selected"), (!followed.is_empty()).then_some("focus"))}
            data-tp={format!("{}-{}", pv.topic, tp.partition)} data-broker={rep.broker.0.to_string()}
            data-in-isr={rep.in_isr.to_string()} data-leo={rep.log_end_offset.to_string()}
            data-focus-offsets={(!followed.is_empty()).then(|| followed.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(","))}
            data-focus-held={(!followed.is_empty()).then(|| followed.iter().map(|o| (*o < rep.log_end_offset).to_string()).collect::<Vec<_>>().join(","))}
            onclick={onclick}>
            <title>{ tip_text }</title>
            <rect class="row-bg" x={f(rr.x)} y={f(rr.y)} width={f(rr.w)} height={f(rr.h)} rx="3" />
            <rect class={classes!("badge", badge_class(rep.role))} x={f(rr.x + 2.0)} y={f(rr.y + 1.5)} width="12" height="10" rx="2" />
            <text class="badge-text" x={f(rr.x + 8.0)} y={f(rr.y + 9.8)} text-anchor="middle">{ badge }</text>
            <text class="pname" x={f(rr.x + 17.0)} y={f(rr.y + 10.0)}>{ pname }</text>
            <text class="nums" x={f(rr.right() - 3.0)} y={f(rr.y + 10.0)} text-anchor="end"
                textLength={squeeze.map(f)} lengthAdjust={squeeze.map(|_| "spacingAndGlyphs")}>
                { nums }
            </text>
            if let Some(cells) = cells {
                { cells }
            } else {
            <rect class="bar-track" x={f(bar_x)} y={f(rr.y + 12.2)} width={f(bar_w)} height="2.6" />
            <rect class="bar-leo" x={f(bar_x)} y={f(rr.y + 12.2)} width={f(leo_w)} height="2.6" />
            <rect class="bar-hw" x={f(hw_x - 0.75)} y={f(rr.y + 11.2)} width="1.5" height="4.6" />
            }
            if !followed.is_empty() {
                <text class="focus-label" x={f(rr.x + 19.0 + 6.0 * pname_len as f64)} y={f(rr.y + 10.0)}>{ focus_label }</text>
            }
            { marks }
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

/// A partition's ISR as `1,2,3`.
fn isr_list(pv: &PartitionView) -> String {
    pv.isr
        .iter()
        .map(|b| b.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Width of a status letter (11 px bold), to place the power button beside the word.
const STATUS_CHAR_W: f64 = 6.8;
/// Width of a capital status letter.
const STATUS_UPPER_W: f64 = 8.6;

/// Widest record cell (px).
const RECORD_CELL_W: f64 = 30.0;

/// A record's short name in its cell: its value when short (`m1`), else its key (`p1`), else
/// its offset.
pub fn record_label(key: Option<&str>, value: &str, offset: u64) -> String {
    if value.chars().count() <= 3 {
        value.to_string()
    } else {
        match key {
            Some(k) if k.chars().count() <= 4 => k.to_string(),
            _ => format!("@{offset}"),
        }
    }
}

/// A small log drawn record by record between the partition name and the LEO/HW figures:
/// committed records filled, the ones above this replica's high watermark hollow.
fn record_cells(rr: Rect, x0: f64, pv: &PartitionView, rep: &ReplicaView, nums_w: f64) -> Html {
    let room = (rr.right() - nums_w - 8.0 - x0).max(0.0);
    let w = (room / crate::sim::snapshot::REPLICA_CELLS_MAX as f64).min(RECORD_CELL_W);
    rep.cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let x = x0 + i as f64 * w;
            let label = record_label(c.key.as_deref(), &c.value, c.offset);
            html! {
                <g class={classes!("cell", c.committed.then_some("committed"))} data-offset={c.offset.to_string()} data-label={label.clone()}>
                    <title>{ format!("{}-{}@{} · key {} · {} · epoch {}", pv.topic, pv.tp.partition, c.offset,
                        c.key.as_deref().unwrap_or("-"), c.value, c.leader_epoch) }</title>
                    <rect x={f(x + 0.5)} y={f(rr.y + 1.5)} width={f(w - 1.5)} height={f(rr.h - 3.0)} rx="2" />
                    <text x={f(x + w / 2.0)} y={f(rr.y + rr.h - 4.5)} text-anchor="middle">{ label }</text>
                </g>
            }
        })
        .collect()
}
