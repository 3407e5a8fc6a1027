//! Pure layout maths of the cluster diagram: where the controller, brokers, partition rows,
//! services and their instances sit in the SVG viewBox, the paths messages travel, and where a
//! message is along its path at a given instant. No DOM, no engine types: numbers in, numbers out.

/// A point in viewBox units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position (down is positive).
    pub y: f64,
}

impl Point {
    /// A point.
    pub const fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }
}

/// An axis-aligned rectangle in viewBox units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// A rectangle.
    pub const fn new(x: f64, y: f64, w: f64, h: f64) -> Self {
        Rect { x, y, w, h }
    }
    /// Its centre.
    pub fn center(&self) -> Point {
        Point::new(self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
    /// Middle of its top edge.
    pub fn top_center(&self) -> Point {
        Point::new(self.x + self.w / 2.0, self.y)
    }
    /// Middle of its bottom edge.
    pub fn bottom_center(&self) -> Point {
        Point::new(self.x + self.w / 2.0, self.y + self.h)
    }
    /// Right edge.
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    /// Bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    /// Whether `p` is inside (edges included).
    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.x && p.x <= self.right() && p.y >= self.y && p.y <= self.bottom()
    }
    /// Whether the two rectangles overlap (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }
}

/// Smallest viewBox width.
pub const VIEW_MIN_WIDTH: f64 = 1040.0;
/// Outer margin.
pub const MARGIN: f64 = 16.0;
/// Gap between brokers.
pub const BROKER_GAP: f64 = 26.0;
/// Height of a broker's header (name and status).
pub const BROKER_HEADER: f64 = 34.0;
/// Height of a line of replica cells inside a broker.
pub const ROW_H: f64 = 17.0;
/// Height of a topic label inside a broker.
pub const LABEL_H: f64 = 13.0;
/// Gap between replica cells on a line.
pub const CELL_GAP: f64 = 4.0;
/// Widest controller box (a quorum of one); a bigger quorum shares [`QUORUM_ROW_W`].
pub const CONTROLLER_W: f64 = 240.0;
/// Controller box height: name and role, epoch and log offsets, vote.
pub const CONTROLLER_H: f64 = 50.0;
/// Width of the quorum's row of controllers.
pub const QUORUM_ROW_W: f64 = 620.0;
/// Gap between two controllers.
pub const CONTROLLER_GAP: f64 = 22.0;
/// Room above the controllers for the quorum's arcs (votes and fetches between controllers).
pub const QUORUM_ARC_BAND: f64 = 16.0;
/// Vertical room between the controller and the brokers (replication arcs live there).
pub const ARC_BAND: f64 = 58.0;
/// Vertical room between the brokers and the services (client traffic lives there).
pub const CLIENT_BAND: f64 = 66.0;
/// Height of a service's header.
pub const SERVICE_HEADER: f64 = 44.0;
/// Height of one instance line inside a service.
pub const INSTANCE_H: f64 = 20.0;
/// Height of a service's footer (processed, lag).
pub const SERVICE_FOOTER: f64 = 19.0;
/// Services drawn (order, payment, shipping, email).
pub const SERVICES: usize = 4;

/// Broker width for a broker count: wide when few, narrower when many.
pub fn broker_width(brokers: usize) -> f64 {
    match brokers {
        0..=3 => 260.0,
        4 => 220.0,
        5 => 190.0,
        _ => 170.0,
    }
}

/// Where everything sits.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// viewBox width.
    pub width: f64,
    /// viewBox height.
    pub height: f64,
    /// The quorum's row: the box around every controller.
    pub controller: Rect,
    /// The controllers, controller-1 first.
    pub controllers: Vec<Rect>,
    /// Brokers, in broker order.
    pub brokers: Vec<Rect>,
    /// Services, in chain order.
    pub services: Vec<Rect>,
    /// Instances per service, in index order.
    pub instances: Vec<Vec<Rect>>,
}

/// Height of a broker's content: its topic labels and its lines of replica cells.
pub fn content_height(labels: usize, lines: usize) -> f64 {
    labels as f64 * LABEL_H + lines as f64 * ROW_H
}

/// Lays out `brokers` brokers whose content is `content_h` high (see [`content_height`]) and
/// the services with the given instance counts (order, payment, shipping, email). Every
/// broker gets the height of the fullest one so the row reads as a shelf.
pub fn layout(brokers: usize, controllers: usize, content_h: f64, instances: &[usize]) -> Layout {
    let brokers = brokers.max(1);
    let bw = broker_width(brokers);
    let cluster_w = brokers as f64 * bw + (brokers as f64 - 1.0) * BROKER_GAP;
    let width = (cluster_w + 2.0 * MARGIN).max(VIEW_MIN_WIDTH);
    let n = controllers.clamp(1, 5);
    let cw = ((QUORUM_ROW_W - (n as f64 - 1.0) * CONTROLLER_GAP) / n as f64).min(CONTROLLER_W);
    let row_w = n as f64 * cw + (n as f64 - 1.0) * CONTROLLER_GAP;
    let row_x = (width - row_w) / 2.0;
    let row_y = MARGIN + QUORUM_ARC_BAND;
    let controller_rects: Vec<Rect> = (0..n)
        .map(|i| {
            Rect::new(
                row_x + i as f64 * (cw + CONTROLLER_GAP),
                row_y,
                cw,
                CONTROLLER_H,
            )
        })
        .collect();
    let controller = Rect::new(row_x, row_y, row_w, CONTROLLER_H);
    let broker_y = controller.bottom() + ARC_BAND;
    let content_h = if content_h.is_finite() {
        content_h.max(0.0)
    } else {
        0.0
    };
    let broker_h = (BROKER_HEADER + content_h + 6.0).max(80.0);
    let x0 = (width - cluster_w) / 2.0;
    let broker_rects = (0..brokers)
        .map(|i| Rect::new(x0 + i as f64 * (bw + BROKER_GAP), broker_y, bw, broker_h))
        .collect();
    let service_y = broker_y + broker_h + CLIENT_BAND;
    let most = instances.iter().copied().max().unwrap_or(1).max(1);
    let service_h = SERVICE_HEADER + most as f64 * INSTANCE_H + SERVICE_FOOTER;
    let gap = 30.0;
    let sw = ((width - 2.0 * MARGIN - (SERVICES as f64 - 1.0) * gap) / SERVICES as f64).min(260.0);
    let row_w = SERVICES as f64 * sw + (SERVICES as f64 - 1.0) * gap;
    let sx0 = (width - row_w) / 2.0;
    let services: Vec<Rect> = (0..SERVICES)
        .map(|i| Rect::new(sx0 + i as f64 * (sw + gap), service_y, sw, service_h))
        .collect();
    let instances = services
        .iter()
        .enumerate()
        .map(|(s, r)| {
            let n = instances.get(s).copied().unwrap_or(0);
            (0..n)
                .map(|i| {
                    Rect::new(
                        r.x + 8.0,
                        r.y + SERVICE_HEADER + i as f64 * INSTANCE_H,
                        r.w - 16.0,
                        INSTANCE_H - 3.0,
                    )
                })
                .collect()
        })
        .collect();
    Layout {
        width,
        height: service_y + service_h + MARGIN,
        controller,
        controllers: controller_rects,
        brokers: broker_rects,
        services,
        instances,
    }
}

/// The line of replica cells `y` below the top of broker `broker`'s content.
pub fn partition_row(broker: &Rect, y: f64) -> Rect {
    Rect::new(
        broker.x + 6.0,
        broker.y + BROKER_HEADER + y,
        broker.w - 12.0,
        ROW_H - 2.0,
    )
}

/// Replica cells per line for a broker width: three when wide enough (a leader's cell reads
/// `L P1 e0 12/12`), else two.
pub fn cells_per_line(broker_w: f64) -> usize {
    if broker_w >= 260.0 {
        3
    } else {
        2
    }
}

/// Cell `col` of `cols` on the line `y` below the top of a broker's content: one replica.
pub fn replica_cell(broker: &Rect, y: f64, col: usize, cols: usize) -> Rect {
    let line = partition_row(broker, y);
    let cols = cols.max(1);
    let w = (line.w - (cols as f64 - 1.0) * CELL_GAP) / cols as f64;
    Rect::new(
        line.x + col.min(cols - 1) as f64 * (w + CELL_GAP),
        line.y,
        w,
        line.h,
    )
}

/// A node a message travels from or to, as placed in the diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A controller, by position in the quorum's row.
    Controller(usize),
    /// A broker, by position in the layout.
    Broker(usize),
    /// A service instance: (service position, instance position).
    Instance(usize, usize),
}

/// A path: a straight line or a quadratic curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Path {
    /// From, to.
    Line(Point, Point),
    /// From, control, to.
    Quad(Point, Point, Point),
}

impl Path {
    /// Start point.
    pub fn start(&self) -> Point {
        match self {
            Path::Line(a, _) | Path::Quad(a, _, _) => *a,
        }
    }
    /// End point.
    pub fn end(&self) -> Point {
        match self {
            Path::Line(_, b) | Path::Quad(_, _, b) => *b,
        }
    }
    /// The SVG `d` attribute.
    pub fn svg_d(&self) -> String {
        match self {
            Path::Line(a, b) => format!("M{:.1} {:.1}L{:.1} {:.1}", a.x, a.y, b.x, b.y),
            Path::Quad(a, c, b) => format!(
                "M{:.1} {:.1}Q{:.1} {:.1} {:.1} {:.1}",
                a.x, a.y, c.x, c.y, b.x, b.y
            ),
        }
    }
}

/// The point at fraction `t` (clamped to 0..1) along `path`.
pub fn point_at(path: &Path, t: f64) -> Point {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    match path {
        Path::Line(a, b) => Point::new(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t),
        Path::Quad(a, c, b) => {
            let u = 1.0 - t;
            Point::new(
                u * u * a.x + 2.0 * u * t * c.x + t * t * b.x,
                u * u * a.y + 2.0 * u * t * c.y + t * t * b.y,
            )
        }
    }
}

/// How far a message is along its path: (now - sent) / (deliver - sent), within 0..1.
/// A message delivered instantly (deliver <= sent) is at its end.
pub fn progress(now: u64, sent_at: u64, deliver_at: u64) -> f64 {
    if deliver_at <= sent_at {
        return 1.0;
    }
    let done = now.saturating_sub(sent_at) as f64;
    (done / (deliver_at - sent_at) as f64).clamp(0.0, 1.0)
}

/// Opacity of a dropped message `fade_ms` after it was dropped: 1 at once, 0 when gone.
pub fn fade(now: u64, dropped_at: u64, fade_ms: u64) -> f64 {
    if fade_ms == 0 {
        return 0.0;
    }
    1.0 - (now.saturating_sub(dropped_at) as f64 / fade_ms as f64).clamp(0.0, 1.0)
}

/// Lane offset so a request and its response do not overlap: both ends shift to the right
/// of the direction of travel.
pub const LANE: f64 = 3.5;

fn shift(a: Point, b: Point, by: f64) -> (Point, Point) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1e-9 {
        return (a, b);
    }
    let (nx, ny) = (-dy / len * by, dx / len * by);
    (
        Point::new(a.x + nx, a.y + ny),
        Point::new(b.x + nx, b.y + ny),
    )
}

/// Where on a broker a link lands: controller links on the top left, replication arcs on the
/// top right, client traffic on the bottom, spread per service.
fn broker_anchor(l: &Layout, b: usize, toward: Endpoint) -> Point {
    let r = l.brokers[b.min(l.brokers.len() - 1)];
    match toward {
        Endpoint::Controller(_) => Point::new(r.x + r.w * 0.3, r.y),
        Endpoint::Broker(o) => {
            let right = o > b;
            Point::new(r.x + r.w * if right { 0.72 } else { 0.58 }, r.y)
        }
        Endpoint::Instance(s, _) => Point::new(
            r.x + r.w * (s as f64 + 1.0) / (SERVICES as f64 + 1.0),
            r.bottom(),
        ),
    }
}

fn controller_anchor(l: &Layout, i: usize, toward: Endpoint) -> Point {
    let c = l.controllers.get(i).copied().unwrap_or(l.controller);
    match toward {
        Endpoint::Broker(b) => {
            let n = l.brokers.len() as f64;
            Point::new(c.x + c.w * (b as f64 + 1.0) / (n + 1.0), c.bottom())
        }
        // Quorum traffic leaves from the top, toward the other controller's side.
        Endpoint::Controller(j) => {
            let toward_right = j > i;
            Point::new(c.x + c.w * if toward_right { 0.62 } else { 0.38 }, c.y)
        }
        _ => c.bottom_center(),
    }
}

fn instance_anchor(l: &Layout, s: usize, i: usize) -> Point {
    match l.instances.get(s).and_then(|v| v.get(i)) {
        Some(r) => Point::new(r.x + r.w * 0.5, r.y + r.h / 2.0),
        None => l
            .services
            .get(s)
            .map_or(Point::new(l.width / 2.0, l.height), |r| r.top_center()),
    }
}

fn anchor(l: &Layout, at: Endpoint, toward: Endpoint) -> Point {
    match at {
        Endpoint::Controller(i) => controller_anchor(l, i, toward),
        Endpoint::Broker(b) => broker_anchor(l, b, toward),
        Endpoint::Instance(s, i) => instance_anchor(l, s, i),
    }
}

/// The path a message from `from` to `to` travels. Broker-to-broker traffic arcs above the
/// brokers (below the controller); everything else is a straight line in its lane.
pub fn message_path(l: &Layout, from: Endpoint, to: Endpoint) -> Path {
    let a = anchor(l, from, to);
    let b = anchor(l, to, from);
    match (from, to) {
        (Endpoint::Controller(x), Endpoint::Controller(y)) if x != y => {
            // Arcs over the quorum's row, higher for controllers further apart.
            let lift = 8.0 + 0.02 * (b.x - a.x).abs();
            let cy = (a.y.min(b.y) - lift).max(2.0);
            let dir = if b.x > a.x { 1.0 } else { -1.0 };
            Path::Quad(a, Point::new((a.x + b.x) / 2.0, cy - dir * 4.0), b)
        }
        (Endpoint::Broker(x), Endpoint::Broker(y)) if x != y => {
            let lift = 26.0 + 0.1 * (b.x - a.x).abs();
            let lowest = l.controller.bottom() + 10.0;
            let cy = (a.y.min(b.y) - lift).max(lowest);
            // The curve's top is halfway between its ends and the control point.
            let dir = if b.x > a.x { 1.0 } else { -1.0 };
            let c = Point::new((a.x + b.x) / 2.0, cy - dir * 6.0);
            Path::Quad(a, c, b)
        }
        _ => {
            let (a, b) = shift(a, b, LANE);
            Path::Line(a, b)
        }
    }
}

/// The straight link drawn between two nodes (no lane offset), for the network's wiring.
pub fn link_path(l: &Layout, a: Endpoint, b: Endpoint) -> Path {
    match (a, b) {
        (Endpoint::Controller(x), Endpoint::Controller(y)) if x != y => {
            let (p, q) = (anchor(l, a, b), anchor(l, b, a));
            let lift = 8.0 + 0.02 * (q.x - p.x).abs();
            let cy = (p.y.min(q.y) - lift).max(2.0);
            Path::Quad(p, Point::new((p.x + q.x) / 2.0, cy), q)
        }
        _ => Path::Line(anchor(l, a, b), anchor(l, b, a)),
    }
}

/// The speeds the slider offers, slowest first: readable values only.
pub const SPEEDS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0];

/// Position of the speed slider (an index into [`SPEEDS`]) for `speed`: the nearest offered
/// speed on a log scale (a speed set elsewhere, by a lesson or a share link, is one of them).
pub fn speed_to_slider(speed: f64) -> f64 {
    let s = if speed.is_finite() {
        speed.clamp(SPEED_MIN, SPEED_MAX)
    } else {
        1.0
    };
    let mut best = 0;
    for (i, v) in SPEEDS.iter().enumerate() {
        if (s / v).ln().abs() < (s / SPEEDS[best]).ln().abs() {
            best = i;
        }
    }
    best as f64
}

/// Speed for a slider position (an index into [`SPEEDS`], rounded and bounded).
pub fn slider_to_speed(pos: f64) -> f64 {
    let p = if pos.is_finite() {
        pos.round().clamp(0.0, (SPEEDS.len() - 1) as f64)
    } else {
        0.0
    };
    SPEEDS[p as usize]
}

/// Slowest speed.
pub const SPEED_MIN: f64 = 0.1;
/// Fastest speed.
pub const SPEED_MAX: f64 = 50.0;
/// Most wall-clock time one frame may account for, so a slow frame never snowballs.
pub const FRAME_WALL_MAX_MS: f64 = 250.0;

/// Simulated milliseconds a frame adds: the wall-clock delta (bounded by
/// [`FRAME_WALL_MAX_MS`], never negative) times the speed.
pub fn sim_delta(wall_delta_ms: f64, speed: f64) -> f64 {
    let d = if wall_delta_ms.is_finite() {
        wall_delta_ms.clamp(0.0, FRAME_WALL_MAX_MS)
    } else {
        0.0
    };
    let s = if speed.is_finite() {
        speed.clamp(SPEED_MIN, SPEED_MAX)
    } else {
        1.0
    };
    d * s
}

/// Simulated time as `mm:ss.t` (minutes keep counting past 59).
pub fn format_clock(ms: u64) -> String {
    let tenths = ms / 100;
    format!(
        "{:02}:{:02}.{}",
        tenths / 600,
        (tenths / 10) % 60,
        tenths % 10
    )
}
