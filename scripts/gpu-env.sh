# Source this to build or test the `gpu` feature: PyTorch 2.11.0 in .venv-torch
# (made by scripts/setup.sh --gpu), found by torch-sys through LIBTORCH_USE_PYTORCH.
#   . scripts/gpu-env.sh && cargo build --release -p hallmark-cli --features gpu --target-dir target/gpu
_hallmark_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$_hallmark_root/.venv-torch/bin:$PATH"
export LIBTORCH_USE_PYTORCH=1
_torch_lib=$("$_hallmark_root/.venv-torch/bin/python3" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null | tail -1)
export LD_LIBRARY_PATH="$_torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset _hallmark_root _torch_lib
