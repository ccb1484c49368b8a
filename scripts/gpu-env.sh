# Source this to build or test the `gpu` feature: PyTorch 2.11.0 in
# $HALLMARK_TORCH_VENV (made by scripts/setup.sh --part torch; see scripts/env.sh),
# found by torch-sys through LIBTORCH_USE_PYTORCH.
#   . scripts/gpu-env.sh && cargo build --release -p hallmark-cli --features gpu
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"
export PATH="$HALLMARK_TORCH_VENV/bin:$PATH"
export LIBTORCH_USE_PYTORCH=1
_torch_lib=$("$HALLMARK_TORCH_VENV/bin/python3" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null | tail -1)
export LD_LIBRARY_PATH="$_torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset _torch_lib
