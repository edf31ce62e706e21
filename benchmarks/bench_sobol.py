"""Sobol' analysis with 10 inputs: ``dcecon.sobol`` on the native kernel against SALib + plain NumPy (issue 11).

Both sides run the same analysis of the gross margin of ``h100-neocloud-2024``
over the same 10 ranges: SALib's Saltelli design with second-order indices
(``n (2D + 2) = 22 n`` points) and SALib's analysis. They differ only in how
the model is evaluated at the points:

- ``dcecon``: :func:`dcecon.analysis.sobol.sobol` on the native backend (the grid engine's point evaluator,
  :mod:`dcecon.grid_engine.points`);
- ``salib-numpy``: the plain NumPy model, :func:`dcecon.grid_engine.batch.evaluate_chunk` on the ``numpy``
  backend in chunks of 32,768 points (the engine's CPU chunk).

Each records, in ``extra_info``, points per second of the whole analysis and
of the model evaluations alone; ``dcecon`` also records
``speedup_vs_salib_numpy`` and ``evaluation_speedup_vs_numpy``, the ratios of
the two measured in the same run. With second-order indices SALib's analysis
(a 100-resample bootstrap of every index and pair) takes most of the time on
both sides, so the whole-analysis ratio is near 1 while the evaluations
differ by the kernel's speed-up.
``n`` is ``DCECON_BENCH_SOBOL_N`` (default 8192: 180,224 evaluations, well
under a minute on 2 cores; the issue's 1.4M evaluations are
``DCECON_BENCH_SOBOL_N=65536``). Run::

    python -m pytest benchmarks/bench_sobol.py --benchmark-only -o testpaths=benchmarks \\
        --benchmark-json runs/bench-sobol.json
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from dcecon.analysis.sobol import parse_ranges, sobol, sobol_design, sobol_indices
from dcecon.backends import native, resolve_backend
from dcecon.grid_engine.batch import evaluate_chunk
from dcecon.grid_engine.engine import HOST_CHUNK_CAP
from dcecon.grid_engine.points import load_fleet_scenario, points_plan

SCENARIO = "h100-neocloud-2024"
METRIC = "gross_margin"
VARY = [
    "cohorts.0.utilization=0.5:1.0",
    "cohorts.0.price_usd_per_gpu_hour=1.5:3.0",
    "cohorts.0.price_decline_per_year=0:0.25",
    "cohorts.0.book_life_years=3:7",
    "cohorts.0.capex_usd_per_gpu=35000:60000",
    "cohorts.0.power_kw_per_gpu=1.0:1.5",
    "cohorts.0.idle_power_fraction=0.2:0.5",
    "cohorts.0.maintenance_fraction_of_capex_per_year=0:0.05",
    "site.electricity_usd_per_kwh=0.04:0.15",
    "site.pue=1.1:1.6",
]
"""The 10 inputs and their ranges."""

RATES: dict[str, float] = {}


def bench_n() -> int:
    """Base sample size (env ``DCECON_BENCH_SOBOL_N``, a power of two; default 8192)."""
    return int(os.environ.get("DCECON_BENCH_SOBOL_N", "8192"))


def salib_with_numpy(n: int, seed: int = 0) -> tuple[dict, float]:
    """SALib's design, the plain NumPy model at every point (chunks of 32,768), SALib's analysis.

    Returns SALib's indices and the time of the model evaluations alone [s].
    """
    loaded = load_fleet_scenario(SCENARIO, ())
    ranges = parse_ranges(loaded[0], VARY)
    samples = sobol_design(ranges, n, True, seed)
    plan = points_plan(None, [r.path for r in ranges], samples, [METRIC], plan_loaded=loaded)
    backend, extents = resolve_backend("numpy"), plan.static_extents()
    values = np.empty(len(samples))
    started = time.perf_counter()
    with np.errstate(all="ignore"):
        for start in range(0, len(samples), HOST_CHUNK_CAP):
            stop = min(start + HOST_CHUNK_CAP, len(samples))
            columns = [np.ascontiguousarray(samples[start:stop, k]) for k in range(samples.shape[1])]
            values[start:stop] = evaluate_chunk(backend, plan, extents, columns, stop - start, [METRIC])[METRIC]
    eval_seconds = time.perf_counter() - started
    return sobol_indices(ranges, values, True, seed), eval_seconds


def _record(benchmark, name: str, n: int, eval_seconds: float) -> None:
    """Points per second of the whole analysis and of the model evaluations alone (best round)."""
    evaluations = n * (2 * len(VARY) + 2)
    rate, eval_rate = evaluations / benchmark.stats.stats.min, evaluations / eval_seconds
    RATES[name], RATES[f"{name}-eval"] = rate, eval_rate
    benchmark.extra_info.update({"analysis": name, "n": n, "inputs": len(VARY), "evaluations": evaluations,
                                 "points_per_second": rate, "evaluation_seconds": eval_seconds,
                                 "evaluations_per_second": eval_rate})


def test_sobol_salib_numpy(benchmark):
    n = bench_n()
    seconds = []
    benchmark.pedantic(lambda: seconds.append(salib_with_numpy(n)[1]), rounds=2, iterations=1)
    _record(benchmark, "salib-numpy", n, min(seconds))


def test_sobol_dcecon_native(benchmark):
    if not native.available():
        pytest.skip("no C++ compiler for the native backend")
    n = bench_n()
    sobol(SCENARIO, VARY, METRIC, n=64, second_order=True, backend="native")  # warm up: build the kernel

    results = []

    def once():
        results.append(sobol(SCENARIO, VARY, METRIC, n=n, second_order=True, backend="native"))
        return results[-1]

    result = benchmark.pedantic(once, rounds=2, iterations=1)
    _record(benchmark, "dcecon-native", n, min(r.eval_seconds for r in results))
    reference, _ = salib_with_numpy(min(n, 1024))
    small = sobol(SCENARIO, VARY, METRIC, n=min(n, 1024), second_order=True, backend="native")
    np.testing.assert_allclose(small.st, reference["ST"], atol=1e-9)  # the same analysis, not just as fast
    benchmark.extra_info["most_influential"] = result.most_influential
    if "salib-numpy" in RATES:
        benchmark.extra_info["speedup_vs_salib_numpy"] = RATES["dcecon-native"] / RATES["salib-numpy"]
        benchmark.extra_info["evaluation_speedup_vs_numpy"] = RATES["dcecon-native-eval"] / RATES["salib-numpy-eval"]
