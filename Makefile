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
	cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings

test-native:
	cargo test --release

test-browser:
	cargo test --target wasm32-unknown-unknown

build-release:
	trunk build --release
	scripts/wasm-size.sh

fmt:
	cargo fmt
