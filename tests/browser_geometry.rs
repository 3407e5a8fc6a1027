#![cfg(target_arch = "wasm32")]
//! The diagram's pure layout and clock maths (`kafka_sandbox::ui::geometry`): boxes do not
//! overlap, messages move from their sender to their receiver, the frame clock is bounded.

use kafka_sandbox::ui::geometry::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_quorum_sits_in_one_row_above_the_brokers_and_its_arcs_stay_in_view() {
    for controllers in [1, 3, 5] {
        let l = layout(3, controllers, content_height(4, 4), &[1, 1, 1, 1]);
        assert_eq!(l.controllers.len(), controllers);
        for (i, a) in l.controllers.iter().enumerate() {
            assert!(
                a.y > 0.0 && a.bottom() < l.brokers[0].y,
                "controller {i} above the brokers"
            );
            assert!(
                a.x >= 0.0 && a.right() <= l.width,
                "controller {i} inside the view"
            );
            for b in &l.controllers[i + 1..] {
                assert!(
                    !a.overlaps(b),
                    "{controllers} controllers: {a:?} overlaps {b:?}"
                );
                assert!(b.x > a.x, "in controller order");
            }
        }
        if controllers > 1 {
            let last = controllers - 1;
            let path = message_path(&l, Endpoint::Controller(0), Endpoint::Controller(last));
            let (start, mid, end) = (
                point_at(&path, 0.0),
                point_at(&path, 0.5),
                point_at(&path, 1.0),
            );
            assert!(
                mid.y < start.y && mid.y > 0.0,
                "the arc goes over the row, inside the view"
            );
            assert!(start.x < end.x, "from the first to the last");
        }
    }
}

#[wasm_bindgen_test]
fn brokers_sit_side_by_side_below_the_controller_without_overlap() {
    for brokers in 1..=7 {
        let l = layout(brokers, 3, content_height(4, 4), &[1, 2, 1, 4]);
        assert_eq!(l.brokers.len(), brokers);
        for (i, a) in l.brokers.iter().enumerate() {
            assert!(
                a.y > l.controller.bottom(),
                "broker {i} below the controller"
            );
            assert!(
                a.x >= 0.0 && a.right() <= l.width,
                "broker {i} inside the view"
            );
            for b in &l.brokers[i + 1..] {
                assert!(!a.overlaps(b), "{brokers} brokers: {a:?} overlaps {b:?}");
                assert!(b.x > a.x, "in broker order");
            }
        }
        for s in &l.services {
            assert!(s.y > l.brokers[0].bottom(), "services below the brokers");
            assert!(s.bottom() <= l.height);
            assert!(s.x >= 0.0 && s.right() <= l.width);
        }
    }
}

#[wasm_bindgen_test]
fn broker_height_grows_with_its_lines_and_rows_stay_inside() {
    let small = layout(3, 3, content_height(4, 1), &[1, 1, 1, 1]);
    let big = layout(3, 3, content_height(4, 12), &[1, 1, 1, 1]);
    assert!(big.brokers[0].h > small.brokers[0].h);
    let b = big.brokers[1];
    for row in 0..12 {
        let y = 4.0 * LABEL_H + row as f64 * ROW_H;
        let r = partition_row(&b, y);
        assert!(b.contains(Point::new(r.x, r.y)) && b.contains(Point::new(r.right(), r.bottom())));
        for col in 0..3 {
            let c = replica_cell(&b, y, col, 3);
            assert!(c.x >= r.x - 1e-9 && c.right() <= r.right() + 1e-9);
            if col > 0 {
                assert!(!c.overlaps(&replica_cell(&b, y, col - 1, 3)));
            }
        }
    }
}

#[wasm_bindgen_test]
fn instances_sit_inside_their_service() {
    let l = layout(3, 3, content_height(4, 4), &[1, 4, 2, 3]);
    for (s, list) in l.instances.iter().enumerate() {
        for r in list {
            assert!(l.services[s].contains(Point::new(r.x, r.y)));
            assert!(l.services[s].contains(Point::new(r.right(), r.bottom())));
        }
    }
    assert_eq!(l.instances[1].len(), 4);
}

#[wasm_bindgen_test]
fn message_position_goes_from_sender_to_receiver() {
    let l = layout(3, 3, content_height(4, 4), &[1, 1, 1, 1]);
    let path = message_path(&l, Endpoint::Instance(0, 0), Endpoint::Broker(2));
    let start = point_at(&path, progress(1_000, 1_000, 1_300));
    let mid = point_at(&path, progress(1_150, 1_000, 1_300));
    let end = point_at(&path, progress(1_300, 1_000, 1_300));
    assert_eq!(start, path.start());
    assert_eq!(end, path.end());
    assert!((mid.x - (start.x + end.x) / 2.0).abs() < 1e-9);
    // The receiver's end is on the broker's bottom edge, the sender's near its instance.
    let b = l.brokers[2];
    assert!((end.y - b.bottom()).abs() < 5.0 && end.x > b.x && end.x < b.right());
    assert!(l.services[0].contains(start));
}

#[wasm_bindgen_test]
fn progress_is_clamped_and_instant_messages_are_at_their_end() {
    assert_eq!(progress(0, 100, 200), 0.0);
    assert_eq!(progress(150, 100, 200), 0.5);
    assert_eq!(progress(500, 100, 200), 1.0);
    assert_eq!(progress(100, 100, 100), 1.0);
    assert_eq!(
        point_at(
            &Path::Line(Point::new(0.0, 0.0), Point::new(10.0, 0.0)),
            f64::NAN
        )
        .x,
        0.0
    );
}

#[wasm_bindgen_test]
fn request_and_response_travel_in_separate_lanes() {
    let l = layout(3, 3, content_height(4, 4), &[1, 1, 1, 1]);
    let there = message_path(&l, Endpoint::Instance(1, 0), Endpoint::Broker(0));
    let back = message_path(&l, Endpoint::Broker(0), Endpoint::Instance(1, 0));
    let a = point_at(&there, 0.5);
    let b = point_at(&back, 0.5);
    let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    assert!((d - 2.0 * LANE).abs() < 1e-6, "lanes {d} apart");
}

#[wasm_bindgen_test]
fn replication_between_brokers_arcs_above_them_and_below_the_controller() {
    let l = layout(3, 3, content_height(4, 4), &[1, 1, 1, 1]);
    let path = message_path(&l, Endpoint::Broker(0), Endpoint::Broker(2));
    assert!(matches!(path, Path::Quad(..)));
    for i in 0..=20 {
        let p = point_at(&path, i as f64 / 20.0);
        assert!(p.y <= l.brokers[0].y + 1e-9, "above the brokers");
        assert!(p.y >= l.controller.bottom(), "below the controller");
    }
}

#[wasm_bindgen_test]
fn frame_clock_bounds_a_slow_frame_and_scales_by_speed() {
    assert_eq!(sim_delta(16.0, 1.0), 16.0);
    assert_eq!(sim_delta(16.0, 10.0), 160.0);
    assert_eq!(sim_delta(5_000.0, 1.0), FRAME_WALL_MAX_MS);
    assert_eq!(sim_delta(-30.0, 1.0), 0.0);
    assert_eq!(sim_delta(f64::NAN, 1.0), 0.0);
    assert_eq!(sim_delta(100.0, 1_000.0), 100.0 * SPEED_MAX);
    assert_eq!(sim_delta(100.0, 0.0), 100.0 * SPEED_MIN);
}

#[wasm_bindgen_test]
fn speed_slider_offers_readable_speeds_and_round_trips() {
    assert_eq!(slider_to_speed(0.0), SPEED_MIN);
    assert_eq!(slider_to_speed(8.0), SPEED_MAX);
    assert_eq!(slider_to_speed(1_000.0), SPEED_MAX);
    assert_eq!(slider_to_speed(-5.0), SPEED_MIN);
    assert_eq!(slider_to_speed(f64::NAN), SPEED_MIN);
    let offered: Vec<f64> = (0..9).map(|i| slider_to_speed(i as f64)).collect();
    assert_eq!(
        offered,
        vec![0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
    );
    for s in offered {
        assert_eq!(slider_to_speed(speed_to_slider(s)), s, "{s}x");
    }
    // A speed set elsewhere shows at the nearest offered one; 1x sits in the middle third.
    assert_eq!(slider_to_speed(speed_to_slider(12.0)), 10.0);
    assert_eq!(slider_to_speed(speed_to_slider(16.0)), 20.0);
    assert_eq!(speed_to_slider(1.0), 3.0);
}

#[wasm_bindgen_test]
fn clock_reads_minutes_seconds_and_tenths() {
    assert_eq!(format_clock(0), "00:00.0");
    assert_eq!(format_clock(1_299), "00:01.2");
    assert_eq!(format_clock(61_000), "01:01.0");
    assert_eq!(format_clock(3_600_000), "60:00.0");
}

#[wasm_bindgen_test]
fn dropped_messages_fade_out() {
    assert_eq!(fade(1_000, 1_000, 1_500), 1.0);
    assert_eq!(fade(1_750, 1_000, 1_500), 0.5);
    assert_eq!(fade(9_000, 1_000, 1_500), 0.0);
    assert_eq!(fade(1_000, 1_000, 0), 0.0);
}

#[wasm_bindgen_test]
fn partition_lists_read_as_ranges() {
    use kafka_sandbox::ui::components::diagram::ranges;
    assert_eq!(ranges([0, 1, 2].into_iter()), "0-2");
    assert_eq!(ranges([11, 0, 1, 10, 2, 5].into_iter()), "0-2,5,10-11");
    assert_eq!(ranges([3, 3].into_iter()), "3");
    assert_eq!(ranges(std::iter::empty()), "");
}

#[wasm_bindgen_test]
fn the_event_log_exports_as_csv_with_quotes_doubled() {
    use kafka_sandbox::ui::components::panels::log_csv;
    let csv = log_csv(
        [
            (1_200, "nodes", "broker 1 crashed"),
            (61_000, "orders", "Order #1: \"paid\", then shipped"),
        ]
        .into_iter(),
    );
    assert_eq!(
        csv,
        "time_ms,time,category,event\n1200,00:01.2,nodes,\"broker 1 crashed\"\n61000,01:01.0,orders,\"Order #1: \"\"paid\"\", then shipped\"\n"
    );
}

#[wasm_bindgen_test]
fn a_leaders_cell_keeps_room_for_its_epoch_and_offsets_with_more_brokers() {
    assert_eq!(cells_per_line(broker_width(3)), 3);
    for brokers in 4..=7 {
        let w = broker_width(brokers);
        let cols = cells_per_line(w);
        // `L P1 e0` (about 44 px) and `0/0` side by side; longer offsets are squeezed.
        assert!(
            (w - 20.0) / cols as f64 >= 70.0,
            "{brokers} brokers: {cols} cells of {:.0} px",
            (w - 20.0) / cols as f64
        );
    }
}
