"""Scenarios per second of the grid engine, reduce-only (issue: grid search, fused kernels).

Every benchmark times whole ``engine.run`` calls (decode, evaluate, reduce,
merge) and records scenarios per second in ``extra_info``; speed-ups are
ratios against the NumPy baseline measured in the same session, because
these machines are shared and noisy. Run::

    python -m pytest benchmarks/bench_grid.py --benchmark-only \\
        --benchmark-json runs/bench.json
"""

from __future__ import annotations

import pytest

from benchmarks.conftest import bench_sizes, four_cohort_plan, single_cohort_plan
from dcecon.backends import native
from dcecon.backends.namespace import _cupy_usable
from dcecon.grid_engine.engine import run

RATES: dict[tuple[str, str, int], float] = {}

BACKENDS = ["numpy", "native", "cupy"]


def _skip_unavailable(backend: str) -> None:
    if backend == "native" and not native.available():
        pytest.skip("no C++ compiler for the native backend")
    if backend == "cupy" and not _cupy_usable()[0]:
        pytest.skip("no usable CUDA GPU")


def _bench(benchmark, plan, backend, model, size):
    _skip_unavailable(backend)
    run(plan, backend=backend)  # warm up: builds, caches, first-touch memory

    def once():
        merged, _, stats = run(plan, backend=backend)
        return stats

    stats = benchmark.pedantic(once, rounds=3, iterations=1)
    rate = plan.n_scenarios / benchmark.stats.stats.min
    RATES[(model, backend, size)] = rate
    benchmark.extra_info.update({"model": model, "backend": backend, "scenarios": plan.n_scenarios,
                                 "scenarios_per_second": rate, "chunk_size": stats.chunk_size})
    base = RATES.get((model, "numpy", size))
    if base and backend != "numpy":
        benchmark.extra_info["speedup_vs_numpy"] = rate / base


@pytest.mark.parametrize("size", bench_sizes())
@pytest.mark.parametrize("backend", BACKENDS)
def test_single_cohort_6y_annual(benchmark, backend, size):
    _bench(benchmark, single_cohort_plan(size), backend, "single-cohort-6y-annual", size)


@pytest.mark.parametrize("size", bench_sizes())
@pytest.mark.parametrize("backend", BACKENDS)
def test_four_cohort_quarterly(benchmark, backend, size):
    _bench(benchmark, four_cohort_plan(size), backend, "four-cohort-quarterly", size)
