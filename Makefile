# Two set-up commands: `make serve` and `make test`. Both install what is missing first.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export WASM_BINDGEN_TEST_TIMEOUT ?= 600
CHROMEDRIVER ?= $(shell command -v chromedriver 2>/dev/null || echo /usr/bin/chromedriver)
export CHROMEDRIVER

.PHONY: serve test bench bench-smoke fmt lint test-native test-browser build-release scenarios

serve:
	scripts/setup.sh serve
	trunk serve --port 8080

test:
	scripts/setup.sh test
	cargo fmt --check
	$(MAKE) --no-print-directory lint test-native test-browser build-release

lint:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --all-features --target wasm32-unknown-unknown -- -D warnings

test-native:
	cargo test --release

test-browser:
	cargo test --target wasm32-unknown-unknown

build-release:
	trunk build --release
	scripts/wasm-size.sh

fmt:
	cargo fmt

# Speed, size and memory, natively and in headless Chrome (slow: not part of `make test`).
bench: BENCH_ARGS :=
bench: BENCH_FILTER := bench_full
bench-smoke: BENCH_ARGS := --quick
bench-smoke: BENCH_FILTER := bench_smoke
bench bench-smoke:
	scripts/setup.sh test
	mkdir -p target/bench
	cargo bench --bench engine -- $(BENCH_ARGS) | tee target/bench/native.txt
	cargo test --profile wasm-release --target wasm32-unknown-unknown --features bench --test wasm_bench -- --nocapture $(BENCH_FILTER) 2>&1 | tee target/bench/wasm.txt
	trunk build --release
	scripts/wasm-size.sh | tee target/bench/size.txt || true
	@echo
	@scripts/bench-table.sh target/bench/native.txt target/bench/wasm.txt target/bench/size.txt
