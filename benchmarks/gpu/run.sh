#!/usr/bin/env bash
# One command on a machine with an NVIDIA GPU (CUDA 12/13, CuPy, no package registry):
#   bash benchmarks/gpu/run.sh
# 1. installs the wheels that benchmarks/gpu/wheels.sh downloaded into .whl/ (no network) into /tmp/site;
# 2. runs the throughput benchmark (benchmarks/gpu/gpu_check.py: lean and full on the 10^9-scenario bench grid);
# 3. runs the GPU parity tests (tests/test_gpu_parity.py) in the time left;
# and writes the figures to $OUT/gpu-figures.json (else runs/gpu/), with the tests' outcome and log beside it.
# The whole run stays under DCECON_GPU_BUDGET_S seconds (default 345, under 6 minutes).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT_DIR="${OUT:-$ROOT/runs/gpu}"
mkdir -p "$OUT_DIR"
BUDGET="${DCECON_GPU_BUDGET_S:-345}"
SITE="${DCECON_GPU_SITE:-/tmp/site}"
PYTHON="${PYTHON:-python3}"
STARTED=$(date +%s)
elapsed() { echo $(( $(date +%s) - STARTED )); }

# --- 1. the wheels the CUDA image lacks (downloaded beforehand by benchmarks/gpu/wheels.sh) --------------------
WHEELS="${DCECON_WHEELS_DIR:-$ROOT/.whl}"
if compgen -G "$WHEELS/*.whl" >/dev/null; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$WHEELS"/*.whl \
        || { echo "run.sh: installing $WHEELS/*.whl failed" >&2; exit 2; }
else
    echo "run.sh: no wheels in $WHEELS (run benchmarks/gpu/wheels.sh where pip reaches a registry)" >&2
fi

# dcecon from this work tree, without installing it: the package's folders as setuptools maps them
# (src/dcecon, kernels/ as dcecon.kernels, scenarios/ as dcecon.scenarios), linked into one folder
# (a fixed folder: the kernel source's #line names it, and CuPy's disk cache is keyed by the source text)
OVERLAY="${DCECON_GPU_OVERLAY:-/tmp/dcecon-overlay}"
rm -rf "$OVERLAY"
mkdir -p "$OVERLAY/dcecon"
for entry in src/dcecon/*; do ln -s "$ROOT/$entry" "$OVERLAY/dcecon/$(basename "$entry")"; done
ln -s "$ROOT/kernels" "$OVERLAY/dcecon/kernels"
ln -s "$ROOT/scenarios" "$OVERLAY/dcecon/scenarios"
export PYTHONPATH="$SITE:$OVERLAY${PYTHONPATH:+:$PYTHONPATH}"
export DCECON_CACHE_DIR="${DCECON_CACHE_DIR:-/tmp/dcecon-cache}"  # the generated contract header, native builds
export CUPY_CACHE_DIR="${CUPY_CACHE_DIR:-/tmp/dcecon-cupy-cache}"  # compiled modules, reused by a second run

"$PYTHON" - <<'PY' || { echo "run.sh: dcecon or CuPy does not import, or no GPU is usable" >&2; exit 2; }
import cupy, dcecon
assert cupy.cuda.is_available(), "no usable CUDA device"
print(f"dcecon from {dcecon.__file__}; CuPy {cupy.__version__}, device {cupy.cuda.Device().id}")
PY

FIGURES="$OUT_DIR/gpu-figures.json"
BENCH_LOG="$OUT_DIR/gpu-bench.log"
TEST_LOG="$OUT_DIR/gpu-tests.log"

# --- 2. throughput ---------------------------------------------------------------------------------------------
BENCH_LIMIT=$(( BUDGET * 45 / 100 ))
echo "run.sh: benchmark (at most ${BENCH_LIMIT}s)"
timeout --signal=INT --kill-after=10 "$BENCH_LIMIT" "$PYTHON" benchmarks/gpu/gpu_check.py "$FIGURES" 2>&1 \
    | tee "$BENCH_LOG"
BENCH_RC=${PIPESTATUS[0]}

# --- 3. parity tests in the time left -------------------------------------------------------------------------
LEFT=$(( BUDGET - $(elapsed) - 15 ))
TEST_RC=124
if (( LEFT > 30 )); then
    echo "run.sh: GPU parity tests (at most ${LEFT}s)"
    timeout --signal=INT --kill-after=10 "$LEFT" "$PYTHON" -m pytest -q -p no:cacheprovider \
        tests/test_gpu_parity.py --junitxml="$OUT_DIR/gpu-tests.xml" 2>&1 | tee "$TEST_LOG"
    TEST_RC=${PIPESTATUS[0]}
else
    echo "run.sh: no time left for the parity tests" | tee "$TEST_LOG"
fi

# --- the figures with the outcome of both steps ---------------------------------------------------------------
"$PYTHON" - "$FIGURES" "$BENCH_RC" "$TEST_RC" "$TEST_LOG" "$(elapsed)" <<'PY'
import json, re, sys
from pathlib import Path
path, bench_rc, test_rc, log, seconds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
report = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
text = log.read_text() if log.exists() else ""
counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", text)}
report["benchmark_exit_code"] = bench_rc
report["tests"] = {"exit_code": test_rc, "timed_out": test_rc in (124, 130, 137), **counts}
report["total_seconds"] = seconds
path.write_text(json.dumps(report, indent=2) + "\n")
print(f"run.sh: figures in {path}: benchmark exit {bench_rc}, tests exit {test_rc} {counts}, {seconds}s")
PY
rm -rf "$OVERLAY"
[[ $BENCH_RC -eq 0 && $TEST_RC -eq 0 ]]
