#![cfg(target_arch = "wasm32")]
//! The automatic order rate in a real browser, in its own test binary: it drives the engine's
//! application timers, so a failure there cannot disturb the other page tests.

use gloo_timers::future::TimeoutFuture;
use kafka_sandbox::ui::{testing, App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlInputElement;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn order_rate_slider_creates_orders_automatically() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let props = AppProps {
        start_paused: true,
        clock: false,
        ..AppProps::default()
    };
    let app = yew::Renderer::<App>::with_root_and_props(root, props).render();
    let mut waited = 0;
    while !testing::advance(0) {
        waited += 1;
        assert!(waited < 200, "app mounted");
        TimeoutFuture::new(10).await;
    }
    let slider = doc
        .get_element_by_id("order-rate")
        .unwrap()
        .unchecked_into::<HtmlInputElement>();
    slider.set_value("10");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let e = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    slider.dispatch_event(&e).unwrap();
    TimeoutFuture::new(10).await;
    testing::advance(3_000);
    TimeoutFuture::new(10).await;
    assert!(doc.get_element_by_id("panic-panel").is_none());
    let rows = doc
        .query_selector_all("#order-table tbody tr")
        .unwrap()
        .length();
    assert!(
        rows >= 25,
        "10 orders per second for 3 s, 25 rows shown: {rows}"
    );
    app.destroy();
}
