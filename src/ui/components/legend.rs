//! The legend above the diagram: message colours and link faults, and under "What is drawn"
//! what a replica row, its LEO/HW bar and colours, a broker box and a service line mean.

use yew::prelude::*;

use crate::ui::describe::message_class;
use crate::ui::i18n::Lang;

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
        K::Quorum,
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
            <span class="legend-item" title={p.lang.pick("Click a link to cut it, slow it or make it lossy.", "Cliquez sur un lien pour le couper, le ralentir ou lui faire perdre des messages.")}>
                <svg width="22" height="10"><path class="link cut" d="M1 5H21" pathLength="100" /></svg>{ p.lang.pick("cut", "coupé") }</span>
            <span class="legend-item"><svg width="22" height="10"><path class="link degraded" d="M1 5H21" pathLength="100" /></svg>{ p.lang.pick("slow/lossy", "lent/pertes") }</span>
            <details id="legend-more" class="legend-more">
                <summary>{ p.lang.pick("What is drawn?", "Que montre le schéma ?") }</summary>
                <ul>
                    { for explanations(p.lang).iter().map(|(sample, text)| html! {
                        <li><span class="legend-sample">{ *sample }</span>{ *text }</li>
                    }) }
                </ul>
            </details>
        </div>
    }
}

/// Each drawn thing with what it means.
fn explanations(lang: Lang) -> [(&'static str, &'static str); 9] {
    [
        ("L / F", lang.pick("a replica row: Leader or Follower of the partition, as its broker believes", "une ligne de réplica : Leader ou Follower de la partition, selon son broker")),
        ("P0 e1", lang.pick("partition 0, led in leader epoch 1 (each election adds one)", "partition 0, menée à l'époque de leader 1 (chaque élection ajoute un)")),
        ("━━╋━", lang.pick("the bar: its length is the LEO (records held); the tick is the high watermark: records below it are on every ISR replica, committed, readable", "la barre : sa longueur est le LEO (enregistrements détenus) ; le trait est le high watermark : en dessous, les enregistrements sont sur tout l'ISR, validés, lisibles")),
        ("3/1", lang.pick("LEO / high watermark of this replica", "LEO / high watermark de ce réplica")),
        ("[m1]", lang.pick("a small log record by record (lessons): filled below the high watermark, dashed above it", "un petit journal, enregistrement par enregistrement (leçons) : plein sous le high watermark, pointillé au-dessus")),
        (lang.pick("red text", "texte rouge"), lang.pick("a follower out of the ISR; an amber row: the partition is under-replicated; a red row: offline, no leader", "un follower hors de l'ISR ; ligne ambre : partition sous-répliquée ; ligne rouge : hors ligne, sans leader")),
        ("ISR {1,2}", lang.pick("the in-sync replicas, as the controller committed them", "les réplicas synchronisés, tels que le contrôleur les a validés")),
        (lang.pick("dashed red box", "cadre rouge pointillé"), lang.pick("a broker that is down; \"fenced\": the controller stopped counting on it (no heartbeat for broker.session.timeout.ms)", "un broker arrêté ; « écarté » : le contrôleur ne compte plus sur lui (pas de battement pendant broker.session.timeout.ms)")),
        ("#1 stable · P0-2 · 56 ✓ · q0", lang.pick("a service instance: its number, its group phase, the partitions it owns, records processed, records waiting; lag: records not yet committed by the group", "une instance de service : son numéro, sa phase dans le groupe, ses partitions, enregistrements traités, en attente ; retard : enregistrements pas encore validés par le groupe")),
    ]
}

fn legend_label(k: crate::sim::MessageKind, lang: Lang) -> &'static str {
    use crate::sim::MessageKind as K;
    match k {
        K::Produce => lang.pick("produce", "écriture"),
        K::ReplicaFetch => lang.pick("replication", "réplication"),
        K::ConsumerFetch => lang.pick("consumer fetch", "lecture"),
        K::Response => lang.pick("response", "réponse"),
        K::Controller | K::Metadata => lang.pick("controller", "contrôleur"),
        K::Quorum => lang.pick("quorum", "quorum"),
        K::Group | K::Commit => lang.pick("group/commit", "groupe"),
    }
}

/// Properties of [`Legend`].
#[derive(Properties, PartialEq)]
pub struct LegendProps {
    /// Language.
    pub lang: Lang,
}
