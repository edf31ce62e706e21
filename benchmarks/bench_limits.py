"""The grid engine against its limits: a hand-fused C loop and a straightforward NumPy loop, same run.

Bench grid (benchmarks/bench-h100-leased-6y.toml): one H100 cohort, 6-year
annual, straight line, leased hall; axes utilization (100) x price (100) x
book life (3, 4, 5, 6) x price decline (25) x PUE (100) = 10^8 scenarios
(``DCECON_LIMIT_SIZE`` scales the utilization axis: 1e7 gives 10 values).

- ``hand-fused``: ``benchmarks/reference/hand_fused.c``, gross margin and NPV
  with sum/min/max, built by the host compiler with the native backend's
  flags and timed here: the speed limit.
- ``native lean``: ``dcecon grid ... --metrics gross_margin,npv_usd --tables
  none`` on the native kernel; goal at least 0.5x the hand loop.
- ``native full``: every default metric and the default tables; goal at
  least 0.15x the hand loop.
- ``numpy lean`` against ``numpy model loop`` (a straightforward NumPy
  evaluation of the same two metrics: the model's own functions,
  ``dcecon.model.fleet.window_and_lifetime``, called chunk by chunk on the
  decoded axes, then sum/min/max) at 10^7 (``DCECON_LIMIT_NUMPY_SIZE``); goal
  at least 0.8x. ``numpy hand-written`` (the bench model written out in
  NumPy for this scenario only, as the C loop) is shown for scale.
- ``cupy lean`` / ``cupy full`` where a GPU is usable.

Ratios are stored in each benchmark's ``extra_info`` (``vs_hand_fused``,
``vs_numpy_reference``) and printed at the end; nothing here asserts a speed
(the machines are shared). Run::

    python -m pytest benchmarks/bench_limits.py --benchmark-only -o testpaths=benchmarks -s
"""

from __future__ import annotations

import ctypes
import math
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from dcecon.backends import native
from dcecon.backends.namespace import _cupy_usable
from dcecon.grid_engine.api import prepare
from dcecon.grid_engine.engine import run
from dcecon.scenario.loader import load_raw

ROOT = Path(__file__).resolve().parent
SCENARIO = ROOT / "bench-h100-leased-6y.toml"
LEAN = "gross_margin,npv_usd"
RATES: dict[str, float] = {}
CHECKS: dict[str, tuple] = {}


def _size(name: str, default: float) -> int:
    return int(float(os.environ.get(name, default)))


def bench_axes(n_scenarios: int) -> dict[str, str]:
    """The five axes; the utilization axis has ``n_scenarios / 10^6`` values (100 at 10^8)."""
    n_u = max(1, round(n_scenarios / 1_000_000))
    return {
        "cohorts.0.utilization": f"0.3:0.95:{n_u}",
        "cohorts.0.price_usd_per_gpu_hour": "1:4:100",
        "cohorts.0.book_life_years": "3,4,5,6",
        "cohorts.0.price_decline_per_year": "0:0.4:25",
        "site.pue": "1.1:1.6:100",
    }


def bench_plan(n_scenarios: int, metrics=None, tables=None):
    raw, provenance = load_raw(SCENARIO)
    axes = [f"{path}={spec}" for path, spec in bench_axes(n_scenarios).items()]
    return prepare(raw, provenance, SCENARIO.name, axes, metrics=metrics, tables=tables)


def axis_arrays(plan) -> list[np.ndarray]:
    return [np.ascontiguousarray(axis.values, dtype=np.float64) for axis in plan.axes]


class BenchModel(ctypes.Structure):
    _fields_ = [(name, ctypes.c_double) for name in (
        "gpus", "capex_usd_per_gpu", "power_kw_per_gpu", "idle_power_fraction", "electricity_usd_per_kwh",
        "colocation_usd_per_kw_month", "discount_rate", "tax_rate", "hours_per_year")] + [
        ("window_years", ctypes.c_int), ("life_years", ctypes.c_int)]


def bench_model(plan) -> BenchModel:
    s = plan.scenario
    c = s.cohorts[0]
    assert s.periods_per_year == 1 and c.in_service_year == s.start_year and c.depreciation_method == "straight_line"
    return BenchModel(c.gpus, c.capex_usd_per_gpu, c.power_kw_per_gpu, c.idle_power_fraction,
                      s.site.electricity_usd_per_kwh, s.site.colocation_usd_per_kw_month, s.finance.discount_rate,
                      s.finance.tax_rate, 8760.0, int(round(s.horizon_years)), int(round(c.service_life_years)))


@pytest.fixture(scope="module")
def hand_fused_library():
    compiler = native.find_compiler()
    if compiler is None:
        pytest.skip("no C compiler")
    facts = native.compiler_facts(compiler)
    folder = Path(tempfile.mkdtemp(prefix="dcecon-hand-"))
    target = folder / "hand_fused.so"
    flags = ["-O3", "-march=native", "-ffp-contract=off", "-fPIC", "-shared"] + (
        ["-fopenmp"] if facts["openmp"] else [])
    subprocess.run([compiler, "-x", "c", *flags, "-o", str(target), str(ROOT / "reference" / "hand_fused.c")],
                   check=True, capture_output=True)
    lib = ctypes.CDLL(str(target))
    lib.hand_fused.restype = ctypes.c_int
    return lib


def _threads() -> int:
    return os.cpu_count() or 1


def _hand(lib, plan, out):
    arrays = axis_arrays(plan)
    args = []
    for a in arrays:
        args += [a.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), ctypes.c_int(len(a))]
    model = bench_model(plan)
    lib.hand_fused(ctypes.byref(model), *args, ctypes.c_int(_threads()),
                   out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))


def _record(benchmark, key, n, **extra):
    rate = n / benchmark.stats.stats.min
    RATES[key] = rate
    benchmark.extra_info.update({"scenarios": n, "scenarios_per_second": rate, **extra})
    return rate


def test_hand_fused_loop(benchmark, hand_fused_library):
    n = _size("DCECON_LIMIT_SIZE", 1e8)
    plan = bench_plan(n, metrics=LEAN, tables="none")
    out = np.zeros(6)
    benchmark.pedantic(lambda: _hand(hand_fused_library, plan, out), rounds=3, iterations=1, warmup_rounds=1)
    _record(benchmark, "hand", plan.n_scenarios)
    CHECKS["hand"] = (out[0] / plan.n_scenarios, out[3] / plan.n_scenarios, out[1], out[5])


def _engine(benchmark, key, plan, backend, reference=None):
    if backend == "native" and not native.available():
        pytest.skip("no C++ compiler for the native backend")
    if backend == "cupy" and not _cupy_usable()[0]:
        pytest.skip("no usable CUDA GPU")
    run(plan, backend=backend)  # warm up: builds the specialisation, first-touch memory

    holder = {}

    def once():
        holder["merged"], holder["layout"], holder["stats"] = run(plan, backend=backend)

    benchmark.pedantic(once, rounds=3, iterations=1)
    rate = _record(benchmark, key, plan.n_scenarios, backend=backend, metrics=list(plan.selection.metrics),
                   tables=plan.selection.tables if isinstance(plan.selection.tables, str) else "pairs")
    if reference and reference in RATES:
        benchmark.extra_info[f"vs_{reference}"] = rate / RATES[reference]
    merged, layout = holder["merged"], holder["layout"]
    gm, npv = layout.metrics.index("gross_margin"), layout.metrics.index("npv_usd")
    CHECKS[key] = (merged.mean[gm], merged.mean[npv], merged.minimum[gm], merged.maximum[npv])
    if key.endswith("lean") and "hand" in CHECKS and plan.n_scenarios == _size("DCECON_LIMIT_SIZE", 1e8):
        # the reference computes the same model: same mean margin and NPV, same extremes
        np.testing.assert_allclose(CHECKS[key], CHECKS["hand"], rtol=1e-9)


def test_native_lean(benchmark):
    _engine(benchmark, "native lean", bench_plan(_size("DCECON_LIMIT_SIZE", 1e8), LEAN, "none"), "native", "hand")
    benchmark.extra_info["vs_hand_fused"] = benchmark.extra_info.pop("vs_hand", math.nan)


def test_native_full(benchmark):
    _engine(benchmark, "native full", bench_plan(_size("DCECON_LIMIT_SIZE", 1e8)), "native", "hand")
    benchmark.extra_info["vs_hand_fused"] = benchmark.extra_info.pop("vs_hand", math.nan)


def _numpy_chunks(plan, chunk: int = 1 << 15):
    values = axis_arrays(plan)
    for start in range(0, plan.n_scenarios, chunk):
        index = np.arange(start, min(start + chunk, plan.n_scenarios))
        yield [v[c] for v, c in zip(values, np.unravel_index(index, plan.shape))]


def _fold(stats, gm, npv):
    for k, x in enumerate((gm, npv)):
        stats[0][k] += x.sum()
        stats[1][k] = min(stats[1][k], x.min())
        stats[2][k] = max(stats[2][k], x.max())


def numpy_model_loop(plan):
    """Gross margin and NPV from the model's own functions (dcecon.model.fleet), chunk by chunk: mean, extremes."""
    from dcecon.model.fleet import window_and_lifetime

    s = plan.scenario
    extents = plan.static_extents()
    base, method = plan.host_fleet[0]
    stats = [np.zeros(2), np.full(2, np.inf), np.full(2, -np.inf)]
    paths = ["utilization", "price_usd_per_gpu_hour", "book_life_years", "price_decline_per_year", "pue"]
    for columns in _numpy_chunks(plan):
        params = {name: np.asarray([[value]]) for name, value in base.items()}
        params.update({name: column[:, None] for name, column in zip(paths, columns)})
        flows = window_and_lifetime(np, [(params, method)], s.finance.discount_rate, s.finance.tax_rate,
                                    s.start_year, extents["window_periods"], extents["lifetime_range"],
                                    s.periods_per_year, extents["n_schedule_years"], outputs=("gross_margin", "npv_usd"))
        _fold(stats, flows.pnl["gross_margin"].reshape(-1), flows.view["npv_usd"].reshape(-1))
    return stats[0][0] / plan.n_scenarios, stats[0][1] / plan.n_scenarios, stats[1][0], stats[2][1]


def numpy_hand_written(plan):
    """The bench model written out in NumPy for this scenario only (as the C loop): mean, extremes."""
    m = bench_model(plan)
    lease = m.colocation_usd_per_kw_month * 12.0 * m.power_kw_per_gpu * m.gpus
    capex = m.capex_usd_per_gpu * m.gpus
    stats = [np.zeros(2), np.full(2, np.inf), np.full(2, -np.inf)]
    for u, price, life, decline, pue in _numpy_chunks(plan):
        load = m.idle_power_fraction + (1.0 - m.idle_power_fraction) * u
        power = m.gpus * m.power_kw_per_gpu * pue * m.hours_per_year * load * m.electricity_usd_per_kwh
        revenue_0 = price * m.hours_per_year * u * m.gpus
        revenue_sum = np.zeros(len(u))
        gp_sum = np.zeros(len(u))
        npv = np.full(len(u), -capex)
        for j in range(m.life_years):
            revenue = revenue_0 * (1.0 - decline) ** j
            gp = revenue - capex / life * np.clip(life - j, 0.0, 1.0) - power - lease
            if j < m.window_years:
                revenue_sum += revenue
                gp_sum += gp
            npv += (revenue - power - lease - m.tax_rate * np.maximum(gp, 0.0)) / (1.0 + m.discount_rate) ** (j + 1)
        _fold(stats, gp_sum / revenue_sum, npv)
    return stats[0][0] / plan.n_scenarios, stats[0][1] / plan.n_scenarios, stats[1][0], stats[2][1]


@pytest.mark.parametrize("name, reference", [("numpy model loop", numpy_model_loop),
                                             ("numpy hand-written", numpy_hand_written)])
def test_numpy_reference(benchmark, name, reference):
    plan = bench_plan(_size("DCECON_LIMIT_NUMPY_SIZE", 1e7), LEAN, "none")
    holder = {}
    benchmark.pedantic(lambda: holder.update(r=reference(plan)), rounds=3, iterations=1)
    _record(benchmark, name, plan.n_scenarios)
    CHECKS[name] = holder["r"]


def test_numpy_lean(benchmark):
    plan = bench_plan(_size("DCECON_LIMIT_NUMPY_SIZE", 1e7), LEAN, "none")
    _engine(benchmark, "numpy lean", plan, "numpy", "numpy model loop")
    benchmark.extra_info["vs_numpy_model_loop"] = benchmark.extra_info.pop("vs_numpy model loop", math.nan)
    for name in ("numpy model loop", "numpy hand-written"):
        np.testing.assert_allclose(CHECKS["numpy lean"], CHECKS[name], rtol=1e-9)


def test_cupy_lean(benchmark):
    _engine(benchmark, "cupy lean", bench_plan(_size("DCECON_LIMIT_GPU_SIZE", 1e9), LEAN, "none"), "cupy")


def test_cupy_full(benchmark):
    _engine(benchmark, "cupy full", bench_plan(_size("DCECON_LIMIT_GPU_SIZE", 1e9)), "cupy")


def teardown_module(module):
    if not RATES:
        return
    print("\nscenarios per second (same run):")
    for key, rate in RATES.items():
        line = f"  {key:16s} {rate / 1e6:10.2f} M/s"
        if key.startswith("native") and "hand" in RATES:
            line += f"   {rate / RATES['hand']:.3f}x the hand-fused loop"
        if key == "numpy lean" and "numpy model loop" in RATES:
            line += f"   {rate / RATES['numpy model loop']:.3f}x the NumPy model loop"
        print(line)
