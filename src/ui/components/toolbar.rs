//! The top bar: title, clock controls (run/pause, step, speed, simulated clock), order
//! creation and rate, seed and reset, settings and the language switch.

use yew::prelude::*;

use crate::ui::dom::{parse_euros, parse_u64};
use crate::ui::geometry::{format_clock, slider_to_speed, speed_to_slider, SPEEDS};
use crate::ui::i18n::Lang;
use crate::ui::state::Action;

/// Properties of [`Toolbar`].
#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    /// Time stopped.
    pub paused: bool,
    /// Speed.
    pub speed: f64,
    /// Simulated time (ms).
    pub now: u64,
    /// Automatic orders per second.
    pub rate: f64,
    /// Current seed.
    pub seed: u64,
    /// Language.
    pub lang: Lang,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
}

/// The top bar.
#[function_component(Toolbar)]
pub fn toolbar(p: &ToolbarProps) -> Html {
    let t = p.lang.t();
    let user = use_state(String::new);
    let amount = use_state(String::new);
    let seed = use_state(|| p.seed.to_string());
    let input_error = use_state(|| None::<String>);
    let emit = |a: Action| {
        let cb = p.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(a.clone()))
    };
    let on_speed = {
        let cb = p.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            let pos = v.parse::<f64>().unwrap_or(3.0);
            cb.emit(Action::SetSpeed(slider_to_speed(pos)))
        })
    };
    let on_rate = {
        let cb = p.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            cb.emit(Action::SetRate(
                v.parse::<f64>().unwrap_or(0.0).clamp(0.0, 20.0),
            ))
        })
    };
    let on_create = {
        let cb = p.on_action.clone();
        let (user, amount, input_error) = (user.clone(), amount.clone(), input_error.clone());
        let lang = p.lang;
        Callback::from(move |_: MouseEvent| {
            let u = parse_u64(&user);
            let a = parse_euros(&amount);
            match (u, a) {
                (Ok(u), Ok(a)) => {
                    input_error.set(None);
                    cb.emit(Action::CreateOrder {
                        user: u.map(|u| u.clamp(1, 1_000_000_000)),
                        total: a,
                    })
                }
                (Err(_), _) => {
                    input_error.set(Some(format!("{} {}", lang.t().user, lang.t().not_a_number)))
                }
                (_, Err(_)) => input_error.set(Some(format!(
                    "{} : {}",
                    lang.t().amount,
                    lang.pick("not a positive amount", "montant invalide")
                ))),
            }
        })
    };
    let on_reset = {
        let cb = p.on_action.clone();
        let seed = seed.clone();
        let input_error = input_error.clone();
        let lang = p.lang;
        Callback::from(move |_: MouseEvent| match parse_u64(&seed) {
            Ok(v) => {
                input_error.set(None);
                cb.emit(Action::Reset(v.unwrap_or(crate::ui::state::DEFAULT_SEED)))
            }
            Err(_) => input_error.set(Some(format!("{} {}", lang.t().seed, lang.t().not_a_number))),
        })
    };
    let text_input = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: InputEvent| {
            h.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    html! {
        <header class="toolbar">
            <div class="brand">
                <h1>{ "Kafka Sandbox" }</h1>
                <span class="subtitle">{ t.subtitle }</span>
            </div>
            <div class="group clock-group" role="group">
                <button id="pause" class={classes!("btn", if p.paused { "primary" } else { "" })} title={t.pause_tip}
                    onclick={emit(Action::TogglePause)}>
                    { if p.paused { format!("▶ {}", t.run) } else { format!("❚❚ {}", t.pause) } }
                </button>
                <button id="step" class="btn" title={t.step_tip} onclick={emit(Action::Step)}>{ format!("{} ›", t.step) }</button>
                <label class="field" title={t.speed_tip}>
                    <span>{ t.speed }</span>
                    <input id="speed" type="range" min="0" max={(SPEEDS.len() - 1).to_string()} step="1"
                        value={format!("{:.0}", speed_to_slider(p.speed))} oninput={on_speed} />
                    <span class="speed-value" id="speed-value">{ format!("{}x", p.speed) }</span>
                </label>
                <span id="sim-clock" class="clock" title={t.clock_tip}>{ format_clock(p.now) }</span>
            </div>
            <div class="group order-group" role="group">
                <label class="field" title={t.user_tip}>
                    <span>{ t.user }</span>
                    <input id="order-user" class="small" type="text" inputmode="numeric" placeholder={t.random}
                        value={(*user).clone()} oninput={text_input(&user)} />
                </label>
                <label class="field" title={t.amount_tip}>
                    <span>{ t.amount }</span>
                    <input id="order-amount" class="small" type="text" inputmode="decimal" placeholder={t.random}
                        value={(*amount).clone()} oninput={text_input(&amount)} />
                </label>
                <button id="create-order" class="btn primary" title={t.create_order_tip} onclick={on_create}>{ t.create_order }</button>
                <label class="field" title={t.rate_tip}>
                    <span id="order-rate-label">{ t.rate }</span>
                    <input id="order-rate" type="range" min="0" max="20" step="1" value={format!("{:.0}", p.rate)} oninput={on_rate} />
                    <span class="rate-value">{ format!("{:.0}", p.rate) }</span>
                </label>
            </div>
            <div class="group" role="group">
                <label class="field" title={t.seed_tip}>
                    <span>{ t.seed }</span>
                    <input id="seed" class="small" type="text" inputmode="numeric" value={(*seed).clone()} oninput={text_input(&seed)} />
                </label>
                <button id="reset" class="btn" title={t.reset_tip} onclick={on_reset}>{ format!("↺ {}", t.reset) }</button>
                <button id="settings-open" class="btn" title={t.settings_tip} onclick={emit(Action::OpenSettings(true))}>{ format!("⚙ {}", t.settings) }</button>
                <button id="lang-toggle" class="btn lang" title={t.lang_tip} onclick={emit(Action::SetLang(p.lang.other()))}>
                    { p.lang.other().code().to_uppercase() }
                </button>
            </div>
            if let Some(e) = (*input_error).clone() {
                <div id="input-error" class="input-error" role="alert">{ e }</div>
            }
        </header>
    }
}
