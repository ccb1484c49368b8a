#!/usr/bin/env bash
# Install what Hallmark's demo and tests need on a fresh Debian machine with
# rustup: nothing here is skipped silently; a failed install stops the run.
# Idempotent: what is already present is left alone.
set -euo pipefail

want_tests=${1:-}
root=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }

if [ "$want_tests" = "--tests" ]; then
  apt_missing=()
  command -v openssl >/dev/null || apt_missing+=(openssl)
  command -v python3 >/dev/null || apt_missing+=(python3 python3-pip)
  # The HTML report is opened in Debian's Chromium (Playwright's download fails offline).
  [ -x /usr/bin/chromium ] || apt_missing+=(chromium)
  # The WASM tests run in Node (node --test); wasm/build.sh fetches wasm-opt with npm.
  command -v node >/dev/null || apt_missing+=(nodejs)
  command -v npm >/dev/null || apt_missing+=(npm)
  # script(1) gives the progress-bar test a terminal.
  command -v script >/dev/null || apt_missing+=(bsdutils)
  if [ ${#apt_missing[@]} -gt 0 ]; then
    log "apt-get install ${apt_missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${apt_missing[@]}"
  fi
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  # The reference tools we check interoperability against (never used by Hallmark itself).
  if ! c2patool --version 2>/dev/null | grep -q '^c2patool 0\.27'; then
    log "cargo install c2patool 0.27 (reference validator; takes a few minutes once)"
    cargo install c2patool --version '^0.27' --locked
  fi
  if ! cargo deny --version 2>/dev/null | grep -q '^cargo-deny 0\.20'; then
    log "cargo install cargo-deny 0.20 (licences, bans and sources of every dependency; a few minutes once)"
    cargo install cargo-deny --version '^0.20' --locked
  fi
  if ! python3 -c 'import PIL' 2>/dev/null; then
    log "pip install pillow (reads the browser test's screenshot)"
    python3 -m pip install -q 'pillow>=10'
  fi
  # The gpu feature (hallmark feed --device cuda) builds against PyTorch 2.11.0's
  # libtorch; CI builds and tests it on the CPU. A venv keeps torch (about 3 GB
  # with its CUDA wheels) out of the system Python.
  if ! "$root/.venv-torch/bin/python3" -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.11.0")' 2>/dev/null; then
    log "pip install torch==2.11.0 into .venv-torch (libtorch for the gpu feature; about 3 GB, once)"
    python3 -m venv "$root/.venv-torch"
    "$root/.venv-torch/bin/pip" install -q 'torch==2.11.0' numpy
  fi
  if ! python3 -c 'import c2pa' 2>/dev/null; then
    log "pip install c2pa-python (reference SDK binding)"
    python3 -m pip install -q 'c2pa-python==0.38.1'
  fi
fi
