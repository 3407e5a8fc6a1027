#!/usr/bin/env bash
# Turns the `BENCH key=value` lines of the native and browser benchmarks (files given as
# arguments) into the benchmark table, with the targets beside each figure.
set -euo pipefail
grep -ho 'BENCH [a-z0-9_]*=[0-9.]*' "$@" | sed 's/^BENCH //' | awk -F= '
  { v[$1] = $2 }
  function row(name, value, target) { printf "| %-52s | %-34s | %-22s |\n", name, value, target }
  END {
    row("row", "measured", "target")
    row("---", "---", "---")
    n_min = v["native_minutes"]; w_min = v["wasm_minutes"]
    row("engine events per simulated second at 100 orders/s (seed 0, exact)", sprintf("%d", v["native_events_per_sim_s"]), "<= 2500")
    row("engine events/s, native (" n_min " sim min, 100 orders/s)", sprintf("%.0f (median of %s)", v["native_events_per_s"], v["native_runs"]), "")
    row("engine events/s, wasm (headless Chrome)", sprintf("%.0f", v["wasm_events_per_s"]), "")
    if (v["native_events_per_s"] > 0)
      row("wasm / native ratio", sprintf("%.2fx", v["wasm_events_per_s"] / v["native_events_per_s"]), ">= 0.65x")
    row("fast-forward " n_min " sim min, native", sprintf("%.3f s", v["native_fast_forward_s"]), "< 0.5 s (10 min)")
    row("fast-forward " n_min " sim min at 100 records/s, native", sprintf("%.3f s", v["native_fast_forward_100_records_s"]), "< 1 s (10 min)")
    row("fast-forward " w_min " sim min, wasm", sprintf("%.3f s", v["wasm_fast_forward_s"]), "< 1.0 s (10 min)")
    row("frame work at 10 orders/s (median / p99)", sprintf("%.2f / %.2f ms", v["frame_work_median_ms"], v["frame_work_p99_ms"]), "< 4 / < 12 ms")
    row("scrub to 10 random instants of a " v["scrub_minutes"] " min run, 20 orders/s (p95 / median)", sprintf("%.0f / %.0f ms", v["scrub_p95_ms"], v["scrub_median_ms"]), "< 100 ms (p95, 60 min)")
    row("the same by replay from the start (median)", sprintf("%.0f ms", v["scrub_replay_median_ms"]), "")
    row("checkpoints kept (count, estimated size, spacing)", sprintf("%d, %.1f MiB, %d s", v["scrub_checkpoints"], v["scrub_checkpoint_bytes"] / 1048576, v["scrub_spacing_ms"] / 1000), "<= 64 MiB")
    row("frames per second at 50x, 20 orders/s, default world (rAF over " v["fps_50x_20_orders_seconds"] " s, 1440x900)", sprintf("%.1f (%d sim s)", v["fps_50x_20_orders"], v["fps_50x_20_orders_sim_s"]), ">= 55")
    row("frames per second at 10x, 20 orders/s, 7 brokers x 96 partitions (the same)", sprintf("%.1f (%d sim s)", v["fps_10x_big_world"], v["fps_10x_big_world_sim_s"]), ">= 50")
    row("DOM nodes after 1 / 10 sim min", sprintf("%.0f / %.0f", v["dom_nodes_1min"], v["dom_nodes_10min"]), "bounded")
    row("release .wasm (raw / gzipped)", sprintf("%.1f / %.1f KB", v["wasm_raw_bytes"] / 1024, v["wasm_gzip_bytes"] / 1024), "<= 480 KB gzipped (after KRaft and transactions)")
    row("native RSS after 1 / " v["native_long_minutes"] " sim min", sprintf("%.1f / %.1f MiB (%.2fx)", v["native_rss_1min_kib"] / 1024, v["native_rss_long_kib"] / 1024, v["native_rss_long_kib"] / v["native_rss_1min_kib"]), "<= 1.5x")
    row("wasm memory after 1 / " v["wasm_memory_long_minutes"] " sim min", sprintf("%.1f / %.1f MiB (%.2fx)", v["wasm_memory_1min_bytes"] / 1048576, v["wasm_memory_long_bytes"] / 1048576, v["wasm_memory_long_bytes"] / v["wasm_memory_1min_bytes"]), "<= 1.5x")
  }'
