//! The legend of message colours shown above the diagram.

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
