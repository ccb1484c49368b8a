#!/usr/bin/env bash
# Interop tests: hallmark against c2pa-python and c2patool.
# Usage: tests/interop/run.sh PATH_TO_HALLMARK [unittest arguments…]
# Needs python3 with c2pa-python (pip install c2pa-python) and c2patool on PATH.
set -euo pipefail
if [[ $# -lt 1 ]]; then
    echo "usage: $0 PATH_TO_HALLMARK [unittest arguments…]" >&2
    exit 2
fi
hallmark=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python3 "$here/test_interop.py" --hallmark "$hallmark" "$@"
