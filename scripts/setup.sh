#!/usr/bin/env bash
# Installs what `make serve` (setup.sh serve) or `make test` (setup.sh test) needs, skipping what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_OPT_VERSION=132
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs), then run this again."
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "installing the Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION (takes several minutes once)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

ensure_wasm_bindgen() {
  local want; want=$(wasm_bindgen_version)
  [ -n "$want" ] || die "Cargo.lock names no wasm-bindgen version"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ] \
     || ! command -v wasm-bindgen-test-runner >/dev/null; then
    say "installing wasm-bindgen-cli $want (must equal the version in Cargo.lock)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_wasm_opt() {
  command -v npm >/dev/null || die "npm is missing: install Node.js and npm (https://nodejs.org), then run this again."
  if ! node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version $WASM_OPT_VERSION"; then
    say "installing wasm-opt (npm package binaryen@$WASM_OPT_VERSION) into node_modules"
    npm install --no-audit --no-fund --loglevel=error
  fi
}

ensure_chrome() {
  if command -v chromedriver >/dev/null && { command -v chromium >/dev/null || command -v google-chrome >/dev/null; }; then
    return
  fi
  if command -v apt-get >/dev/null; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    say "installing Chromium and ChromeDriver with apt-get (for the headless browser tests)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    die "Chromium (or Chrome) and a matching ChromeDriver are missing and there is no apt-get here: install them (on macOS: brew install --cask chromium chromedriver), put chromedriver on PATH, then run this again."
  fi
}

case "${1:-}" in
  serve) ensure_rust; ensure_wasm_bindgen; ensure_wasm_opt; ensure_trunk ;;
  test) ensure_rust; ensure_wasm_bindgen; ensure_wasm_opt; ensure_trunk; ensure_chrome ;;
  *) die "usage: scripts/setup.sh serve|test" ;;
esac
