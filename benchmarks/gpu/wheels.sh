#!/usr/bin/env bash
# Download, where pip reaches a package registry, the wheels that benchmarks/gpu/run.sh installs on a GPU
# machine without one: what dcecon and its tests import that a CUDA image with Python 3.12, NumPy, SciPy,
# pandas, pyarrow, rich, pytest, pytest-benchmark, hypothesis and cupy-cuda13x lacks.
#   bash benchmarks/gpu/wheels.sh        # -> .whl/ at the repository root (git-ignored by its own .gitignore)
# Binary wheels for CPython 3.12 on manylinux x86_64 (pure-Python wheels are taken as they are).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="${DCECON_WHEELS_DIR:-$ROOT/.whl}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$DEST"
printf '*\n' > "$DEST/.gitignore"  # never committed, whatever the repository's .gitignore says

download() {
    "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$DEST" "$@"
}

# pydantic pins its pydantic-core exactly: take pydantic first, then the core its metadata names
download pydantic
PYDANTIC_WHEEL="$(ls -t "$DEST"/pydantic-[0-9]*.whl | head -n 1)"
CORE_PIN="$("$PYTHON" - "$PYDANTIC_WHEEL" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = wheel.read(name).decode()
pins = re.findall(r"^Requires-Dist: pydantic[-_]core\s*\(?\s*==\s*([^\s;,)]+)", metadata, re.M)
print(f"pydantic-core=={pins[0]}" if pins else "pydantic-core")
PY
)"
download "$CORE_PIN" annotated-types typing-inspection typing-extensions \
    array-api-compat array-api-strict tomli-w platformdirs numpy-financial

echo "wheels in $DEST:"
ls -1 "$DEST"/*.whl
