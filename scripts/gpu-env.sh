# Source this to build or test the `gpu` feature against PyTorch 2.11.0 in
# $HALLMARK_TORCH_VENV (made by scripts/setup.sh --part torch; see scripts/env.sh).
#   . scripts/gpu-env.sh && cargo build --release -p hallmark-cli --features gpu
# LIBTORCH names the wheel's torch/ folder (its include/ and lib/), which
# torch-sys and cli/build.rs both read and cargo tracks: a venv made anew
# elsewhere relinks against it, where LIBTORCH_USE_PYTORCH (libtorch found by
# asking python3) kept linking the old path. The wheel uses the C++11 ABI,
# torch-sys's default.
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"
LIBTORCH=$("$HALLMARK_TORCH_VENV/bin/python3" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null | tail -1)
export LIBTORCH
unset LIBTORCH_USE_PYTORCH
export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
