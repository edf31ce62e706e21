"""Peak memory of a NumPy grid run at growing sizes (issue: peak under 1.5 GiB at every size).

Each size runs in a fresh process, which reports its own peak resident set
(``ru_maxrss``); the benchmark records it next to the run time. Sizes from
``DCECON_BENCH_SIZES`` (default 1e6).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.conftest import ROOT, bench_sizes

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
{make_plan}
from dcecon.grid_engine.engine import run
t = time.perf_counter()
merged, layout, stats = run(plan, backend={backend!r}, max_memory_bytes=1 << 30)
seconds = time.perf_counter() - t
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"scenarios": plan.n_scenarios, "seconds": seconds, "peak_bytes": peak_kib * 1024,
                   "chunk_size": stats.chunk_size}}))
"""


def _measure(benchmark, make_plan: str, backend: str) -> dict:
    """Run a grid in a fresh process; record its time and peak resident set; check the 1.5 GiB budget."""
    def once():
        code = CHILD.format(root=str(ROOT), make_plan=make_plan, backend=backend)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    result = benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    benchmark.extra_info["peak_gib"] = result["peak_bytes"] / 2**30
    assert result["peak_bytes"] < 1.5 * 2**30, f"peak memory {result['peak_bytes'] / 2**30:.2f} GiB"
    return result


@pytest.mark.parametrize("size", bench_sizes())
@pytest.mark.parametrize("backend", ["numpy", "native"])
def test_peak_memory_single_cohort(benchmark, backend, size):
    make_plan = f"from benchmarks.conftest import single_cohort_plan\nplan = single_cohort_plan({size})"
    _measure(benchmark, make_plan, backend)


@pytest.mark.parametrize("size", bench_sizes())
@pytest.mark.parametrize("selection", ["lean", "full"])
@pytest.mark.parametrize("backend", ["numpy", "native"])
def test_peak_memory_bench_grid(benchmark, backend, selection, size):
    """The bench grid of bench_limits.py (five axes): lean (--metrics gross_margin,npv_usd --tables none) or
    full (every default metric, default tables)."""
    metrics, tables = ("gross_margin,npv_usd", "none") if selection == "lean" else (None, None)
    make_plan = (f"from benchmarks.bench_limits import bench_plan\n"
                 f"plan = bench_plan({size}, {metrics!r}, {tables!r})")
    result = _measure(benchmark, make_plan, backend)
    print(f"\n{backend} {selection} {result['scenarios']:.3g}: {result['seconds']:.1f} s, "
          f"{result['scenarios'] / result['seconds'] / 1e6:.2f} M/s, peak {result['peak_bytes'] / 2**30:.2f} GiB")
