//! Browser plumbing with owned handles: the animation-frame loop and document event listeners
//! stop when their handle is dropped (nothing is leaked with `forget`); file downloads.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Offers `text` as a file named `name` of type `mime` (a link to a data URL, clicked).
pub fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(anchor) = doc.create_element("a") else {
        return;
    };
    let href = format!(
        "data:{mime};charset=utf-8,{}",
        js_sys::encode_uri_component(text)
    );
    let _ = anchor.set_attribute("href", &href);
    let _ = anchor.set_attribute("download", name);
    if let Some(a) = anchor.dyn_ref::<web_sys::HtmlElement>() {
        a.click();
    }
}

/// The text of every CSS rule of the page's style sheets.
fn page_css() -> String {
    use js_sys::Reflect;
    let get =
        |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return String::new();
    };
    let sheets = get(&doc.into(), "styleSheets");
    let mut css = String::new();
    let n = get(&sheets, "length").as_f64().unwrap_or(0.0) as u32;
    for i in 0..n {
        let sheet = Reflect::get_u32(&sheets, i).unwrap_or(JsValue::UNDEFINED);
        // A sheet from another origin cannot be read: it is skipped.
        let rules = get(&sheet, "cssRules");
        let m = get(&rules, "length").as_f64().unwrap_or(0.0) as u32;
        for j in 0..m {
            let rule = Reflect::get_u32(&rules, j).unwrap_or(JsValue::UNDEFINED);
            if let Some(text) = get(&rule, "cssText").as_string() {
                css.push_str(&text);
                css.push('\n');
            }
        }
    }
    css
}

/// The physical diagram as a standalone SVG file: its markup with the page's styles inside
/// (none when it is not drawn).
pub fn diagram_svg() -> Option<String> {
    let doc = web_sys::window()?.document()?;
    let svg = doc.get_element_by_id("diagram")?;
    Some(standalone_svg(&svg.outer_html(), &page_css()))
}

/// `markup` (an inline `<svg ...>`) made a file of its own: the SVG namespace declared, the
/// styles inside, a white background.
pub fn standalone_svg(markup: &str, css: &str) -> String {
    let Some(open_end) = markup.find('>') else {
        return markup.to_string();
    };
    let (open, rest) = markup.split_at(open_end);
    let xmlns = if open.contains("xmlns=") {
        ""
    } else {
        " xmlns=\"http://www.w3.org/2000/svg\""
    };
    let css = css.replace("]]>", "]]]]><![CDATA[>");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{open}{xmlns}>\n<style><![CDATA[\n{css}svg {{ background: #fff; }}\n]]></style>{}",
        &rest[1..]
    )
}

/// Fetches `url` (relative to the page) as text, then calls `done` with it or with what went
/// wrong.
pub fn fetch_text(url: String, done: impl FnOnce(Result<String, String>) + 'static) {
    yew::platform::spawn_local(async move { done(fetch(&url).await) });
}

async fn fetch(url: &str) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let js = |e: JsValue| e.as_string().unwrap_or_else(|| format!("{e:?}"));
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(js)?;
    let response: web_sys::Response = response.dyn_into().map_err(js)?;
    if !response.ok() {
        return Err(format!("{} {}", response.status(), response.status_text()));
    }
    let text = JsFuture::from(response.text().map_err(js)?)
        .await
        .map_err(js)?;
    text.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}

/// Wall-clock milliseconds (`performance.now()`), 0 when unavailable.
pub fn wall_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

type FrameClosure = Closure<dyn FnMut(f64)>;

/// Calls a function on every animation frame until dropped.
pub struct FrameLoop {
    closure: Rc<RefCell<Option<FrameClosure>>>,
    handle: Rc<Cell<Option<i32>>>,
}

impl FrameLoop {
    /// Starts calling `on_frame(timestamp_ms)` each frame.
    pub fn start(mut on_frame: impl FnMut(f64) + 'static) -> FrameLoop {
        let closure: Rc<RefCell<Option<FrameClosure>>> = Rc::new(RefCell::new(None));
        let handle = Rc::new(Cell::new(None));
        let weak = Rc::downgrade(&closure);
        let handle_in = handle.clone();
        *closure.borrow_mut() = Some(Closure::new(move |t: f64| {
            // After a panic the app's state may be half-updated: stop animating it.
            if super::panicked() {
                return;
            }
            on_frame(t);
            // Ask for the next frame only while the loop is alive.
            if let Some(cell) = weak.upgrade() {
                if let Some(cb) = cell.borrow().as_ref() {
                    handle_in.set(request(cb));
                }
            }
        }));
        if let Some(cb) = closure.borrow().as_ref() {
            handle.set(request(cb));
        }
        FrameLoop { closure, handle }
    }
}

fn request(cb: &FrameClosure) -> Option<i32> {
    web_sys::window()?
        .request_animation_frame(cb.as_ref().unchecked_ref())
        .ok()
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        if let (Some(h), Some(w)) = (self.handle.take(), web_sys::window()) {
            let _ = w.cancel_animation_frame(h);
        }
        // Dropping the closure here is safe: the pending frame was cancelled.
        self.closure.borrow_mut().take();
    }
}

/// A listener on the document, removed when dropped.
pub struct DocumentListener {
    kind: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl DocumentListener {
    /// Listens to `kind` events on the document.
    pub fn new(kind: &'static str, f: impl FnMut(web_sys::Event) + 'static) -> DocumentListener {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let _ = doc.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        }
        DocumentListener { kind, closure }
    }
}

impl Drop for DocumentListener {
    fn drop(&mut self) {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let _ = doc.remove_event_listener_with_callback(
                self.kind,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Typed text that is not an acceptable number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotANumber;

/// Parses a whole number typed by a user: blanks and spaces are ignored, anything else that
/// is not a number gives [`NotANumber`].
pub fn parse_u64(s: &str) -> Result<Option<u64>, NotANumber> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<u64>().map(Some).map_err(|_| NotANumber)
}

/// Parses an amount in euros (`12`, `12.5`, `12,50`) into cents, clamped to 1 cent..1 000 000 €.
pub fn parse_euros(s: &str) -> Result<Option<u64>, NotANumber> {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => {
            Ok(Some(((v * 100.0).round() as u64).clamp(1, 100_000_000)))
        }
        _ => Err(NotANumber),
    }
}
