"""Draws per second of a correlated Monte Carlo (issue 11): the native kernel against NumPy on the same draws.

Both runs draw the same inputs (the same seed: four inputs, PERT, truncated
normal, log-normal, two Iman-Conover rank correlations) on
``h100-neocloud-2024`` and reduce them the same way; only the model's
evaluation differs (``backend="native"``: the fused C++ kernel;
``backend="numpy"``: the NumPy array model). The speed-up is the ratio of
the two measured in the same session, as the machines are shared and noisy.
Draws: ``DCECON_BENCH_MC_DRAWS`` (default ``2e5``, under a minute on 2
cores). Run::

    python -m pytest benchmarks/bench_monte_carlo.py --benchmark-only --benchmark-json runs/bench-mc.json
"""

from __future__ import annotations

import os

import pytest

from dcecon.analysis.monte_carlo import monte_carlo
from dcecon.backends import native

RATES: dict[str, float] = {}

INPUTS = {
    "cohorts.0.utilization": "pert(0.6,0.85,1)",
    "cohorts.0.price_usd_per_gpu_hour": "truncnormal(2,0.4,1.2,3.5)",
    "cohorts.0.price_decline_per_year": "pert(0.05,0.13,0.3)",
    "site.electricity_usd_per_kwh": "lognormal(-2.5,0.25)",
}
CORRELATIONS = ["cohorts.0.utilization,cohorts.0.price_usd_per_gpu_hour=-0.5",
                "cohorts.0.price_usd_per_gpu_hour,cohorts.0.price_decline_per_year=0.4"]


def _draws() -> int:
    return int(float(os.environ.get("DCECON_BENCH_MC_DRAWS", "2e5")))


def _run(backend: str, draws: int):
    return monte_carlo("h100-neocloud-2024", INPUTS, draws, correlate=CORRELATIONS, backend=backend,
                       keep_draws=0)


@pytest.mark.parametrize("backend", ["numpy", "native"])
def test_correlated_monte_carlo(benchmark, backend):
    if backend == "native" and not native.available():
        pytest.skip("no C++ compiler for the native backend")
    draws = _draws()
    _run(backend, 1000)  # warm up: builds the kernel, imports scipy
    result = benchmark.pedantic(lambda: _run(backend, draws), rounds=2, iterations=1)
    rate = draws / benchmark.stats.stats.min
    RATES[backend] = rate
    benchmark.extra_info.update({"backend": backend, "draws": draws, "draws_per_second": rate,
                                 "p_npv_negative": result.p_npv_negative})
    if backend != "numpy" and "numpy" in RATES:
        benchmark.extra_info["speedup_vs_numpy"] = rate / RATES["numpy"]
