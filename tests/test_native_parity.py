"""The native kernel (host C++, ``kernels/dcecon_native.cpp``) equals the NumPy array-API model.

Expected values come from the NumPy model (``src/dcecon/model``, evaluated
per chunk by ``dcecon.grid_engine.batch.evaluate_chunk``): the fused kernel
must reproduce it operation for operation (``kernels/dcecon_model.cuh`` says
so), so in float64 every output agrees to ``RTOL = 1e-10``
(``helpers.tolerances``), four to five orders of magnitude above the
rounding actually seen (about 1e-14). Errors are scale-aware, relative to
the size of the terms a metric is computed from; NaN and infinity positions
must be identical (``helpers.parity_checks`` says how).

What is checked:

- scenario by scenario, ``kernels.native_evaluate`` against ``evaluate_chunk``
  on the cases of ``helpers.parity_cases`` (explicit cases that cover every
  option of the model, and randomized ones), and that they do cover every
  option;
- grid reductions of ``dcecon.grid(..., backend="native")`` against
  ``backend="numpy"``: counts, NaN/inf counts, negatives, sketches and table
  counts exactly equal; argmin/argmax equal, or on a scenario whose value
  ties the other's to rounding (mathematically equal values, e.g. opex along
  an axis it does not depend on, are summed in another order by the kernel);
  moments, extremes and table sums to ``RTOL`` (scale-aware); sampled runs
  (Sobol', LHS, random) and a chunk size that splits a cell's samples;
- thread counts: ``threads=1`` vs ``2`` (and OpenMP granting fewer threads);
- the CLI: ``dcecon grid ... --json`` on ``native`` and ``numpy``;
- every finite IRR is a root of its NPV (both backends);
- a regression of a fixed bug: a ``next_generation_year`` axis ignored by the
  array model (checked against ``dcecon.evaluate`` of each scenario).

The native build is this session's (fixtures ``native_cache``,
``native_lib`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import dcecon
from dcecon.grid_engine import kernels
from dcecon.model import finance
from dcecon.scenario.loader import validate
from helpers.native_cache import run_cli, subprocess_env
from helpers.parity_cases import (
    ALL_CASES,
    CASE_IDS,
    DDB,
    EXPLICIT_CASES,
    REDUCTION_CASES,
    SAMPLED_CASES,
    SL,
    SYD,
    Case,
    CohortOptions,
    make_raw,
)
from helpers.parity_checks import (
    COL,
    GridReference,
    assert_results_close,
    assert_summaries_close,
    check_pointwise,
    file_plan,
    kernel_inputs,
    npv_residual,
    reference,
)
from helpers.paths import NEOCLOUD

pytestmark = pytest.mark.usefixtures("native_cache")


# --- tests: scenario by scenario --------------------------------------------------------------------------------


def native_evaluator(lib, threads=0):
    def evaluate(plan, args, start, stop):
        return kernels.native_evaluate(lib, plan, args, start, stop, threads)

    return evaluate


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_native_matches_numpy_per_scenario(case, native_lib):
    """Every metric of every scenario: native == NumPy to 1e-10 (scale-aware); NaN/inf positions identical."""
    check_pointwise(case.plan(), native_evaluator(native_lib))


def test_cases_cover_every_option():
    """The explicit and randomized cases together exercise every option ``helpers.parity_cases`` lists."""
    scenarios = [c.scenario() for c in ALL_CASES]
    cohorts = [(s, c) for s in scenarios for c in s.cohorts]
    assert {c.depreciation_method for _, c in cohorts} == {SL, DDB, SYD}
    assert any(c.depreciation_method == SL and not float(c.book_life_years).is_integer() for _, c in cohorts)
    assert any(c.service_life_years is not None and c.service_life_years < c.book_life_years for _, c in cohorts)
    assert any(c.service_life_years is not None and c.service_life_years > c.book_life_years for _, c in cohorts)
    assert any(s.site.facility_capex_usd_per_mw is not None for s in scenarios)
    assert any(s.site.colocation_usd_per_kw_month is not None for s in scenarios)
    for field in ("pue", "electricity_usd_per_kwh", "electricity_escalation_per_year", "facility_capex_usd_per_mw",
                  "colocation_usd_per_kw_month"):
        assert any(getattr(c, field) is not None for _, c in cohorts), field
    assert {len(s.cohorts) for s in scenarios} >= {1, 2, 3, 4}
    assert any(c.in_service_year < s.start_year for s, c in cohorts)
    assert any(((c.in_service_year - s.start_year) * s.periods_per_year) % 1 for s, c in cohorts)
    assert any(c.it_power_mw is not None for _, c in cohorts)
    assert {s.periods_per_year for s in scenarios} == {1, 4, 12}
    assert any(c.price_decline_per_year < 0 for _, c in cohorts)
    axes = [a for case in ALL_CASES for a in case.axes]
    assert any("price_decline_per_year" in a and ",0," in a for a in axes)
    assert any(s.site.electricity_escalation_per_year != 0 for s in scenarios)
    assert any(s.finance.tax_rate > 0 for s in scenarios)
    assert any(c.salvage_fraction > 0 for _, c in cohorts)
    assert {c.sampler for c in SAMPLED_CASES} == {"sobol", "lhs", "random"}
    # price paths (token pricing, step cut, generation steps with a default and an explicit first arrival)
    assert any(c.price_usd_per_million_tokens is not None for _, c in cohorts)
    assert any(c.price_step_year is not None and c.price_step_cut > 0 for _, c in cohorts)
    assert any(c.generation_interval_years is not None and c.next_generation_year is None for _, c in cohorts)
    assert any(c.next_generation_year is not None for _, c in cohorts)


# --- tests: grid reductions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REDUCTION_CASES, ids=[c.id for c in REDUCTION_CASES])
def test_native_grid_reductions_match_numpy(case, native_lib):
    """``dcecon.grid(backend="native")`` vs ``"numpy"``: counts, sketches, argmin/argmax, table counts equal;
    means, std, extremes and table sums to 1e-10 (scale-aware)."""
    ours = case.grid(backend="native")
    theirs = case.grid(backend="numpy")
    assert ours.stats.backend == "native" and theirs.stats.backend == "numpy"
    assert_results_close(ours, theirs, case.plan())


def test_native_chunks_splitting_a_cells_samples(native_lib):
    """A chunk size below the samples of one cell (16 samples, chunks of 5) on native equals one-chunk NumPy."""
    case = SAMPLED_CASES[0]
    ours = case.grid(backend="native", chunk_size=5)
    assert ours.stats.n_chunks > case.plan().n_cells  # each cell's 16 samples span several chunks
    theirs = case.grid(backend="numpy")
    assert_results_close(ours, theirs, case.plan())
    split_numpy = case.grid(backend="numpy", chunk_size=5)
    assert_results_close(ours, split_numpy, case.plan())


def test_native_threads_one_vs_two(native_lib):
    """``threads=1`` vs ``threads=2``: counts, extremes, argmin/argmax, sketches and table counts identical.

    Means, second moments and table sums are merged per thread block (Chan
    et al.; ``dcecon_native.cpp``: "the same for any schedule" - for a given
    thread count), so across thread counts they move by rounding only, as for
    different chunk sizes (tests/test_grid_merge.py): 1e-12 relative here.
    A second run with the same thread count is identical bit for bit.
    """
    case = EXPLICIT_CASES[5]
    one = case.grid(backend="native", threads=1)
    two = case.grid(backend="native", threads=2)
    again = case.grid(backend="native", threads=2)
    plan = case.plan()
    assert_results_close(two, one, plan, rtol=1e-12)
    for field in ("count", "mean", "m2", "nan", "posinf", "neginf", "negative", "minimum", "argmin", "maximum",
                  "argmax", "sketch"):
        assert np.array_equal(getattr(two.merged, field), getattr(again.merged, field), equal_nan=True), field
        exact = field not in ("mean", "m2")
        if exact:
            assert np.array_equal(getattr(two.merged, field), getattr(one.merged, field), equal_nan=True), field
    for key, table in one.merged.tables.items():
        for stat in ("count", "positive_margin", "positive_npv", "min", "max"):
            assert np.array_equal(table[stat], two.merged.tables[key][stat]), (key, stat)


@pytest.mark.parametrize("omp_env", [{"OMP_THREAD_LIMIT": 1}, {"OMP_DYNAMIC": "true"}],
                         ids=["OMP_THREAD_LIMIT=1", "OMP_DYNAMIC=true"])
def test_native_threads_when_openmp_grants_fewer(omp_env, native_cache, native_lib):
    """``--threads 2`` (and the default, all cores: the option left out) where OpenMP may grant fewer threads than
    asked give the ``--threads 1`` result (regression: reduce_impl used to size its blocks by the request and
    crashed, -11)."""
    args = ["grid", str(NEOCLOUD), "--axis", "cohorts.0.utilization=0.1:1:10", "--backend", "native", "--json"]
    one = run_cli(args + ["--threads", "1"], subprocess_env(native_cache))
    for threads in (["--threads", "2"], []):
        limited = run_cli(args + threads, subprocess_env(native_cache, **omp_env), check=False)
        assert limited.returncode == 0, f"{threads or 'default threads'}: exit {limited.returncode}: " \
                                        f"{limited.stderr[-500:]}"
        ours, theirs = json.loads(limited.stdout), json.loads(one.stdout)
        reference_ = GridReference.of(file_plan(NEOCLOUD, ["cohorts.0.utilization=0.1:1:10"]))
        assert_summaries_close(ours, theirs, reference_, rtol=1e-12)


# --- tests: the CLI ----------------------------------------------------------------------------------------------


def test_cli_native_and_numpy_print_the_same_summary(native_cache, native_lib):
    """``dcecon grid scenarios/h100-neocloud-2024.toml --axis ... --json`` on native and numpy: same summary
    (run fields - backend, timing, chunk size - aside), numbers to 1e-10 (scale-aware)."""
    axes = ["cohorts.0.utilization=0:1:6", "cohorts.0.price_usd_per_gpu_hour=1:4:7", "finance.tax_rate=0,0.21"]
    argv = ["grid", str(NEOCLOUD)] + [f"--axis={a}" for a in axes]
    env = subprocess_env(native_cache)
    ours = json.loads(run_cli(argv + ["--backend", "native", "--json"], env).stdout)
    theirs = json.loads(run_cli(argv + ["--backend", "numpy", "--json"], env).stdout)
    assert ours["backend"] == "native" and theirs["backend"] == "numpy"
    assert ours["dtype"] == theirs["dtype"] == "float64"
    assert_summaries_close(ours, theirs, GridReference.of(file_plan(NEOCLOUD, axes)))


# --- IRR roots and generation axes ---------------------------------------------------------------------------


def irr_inputs(plan, monkeypatch):
    """The cash flows and times each scenario's IRR is solved from (captured from ``finance.irr``)."""
    captured = []
    real = finance.irr

    def spy(xp, flows, times):
        captured.append((np.asarray(flows, dtype=np.float64), np.asarray(times, dtype=np.float64)))
        return real(xp, flows, times)

    monkeypatch.setattr(finance, "irr", spy)
    reference(plan)
    monkeypatch.undo()
    flows, times = captured[-1]
    m = plan.n_scenarios
    flows = np.broadcast_to(flows.reshape(-1, flows.shape[-1]), (m, flows.shape[-1]))
    return flows, np.broadcast_to(times.reshape(-1, times.shape[-1]), flows.shape)


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_every_finite_irr_is_a_root(case, native_lib, monkeypatch):
    """Every finite IRR (NumPy and native) makes the NPV of its cash flows vanish: residual <= 1e-9 of the
    discounted terms' size (the solver stops at a step of 1e-13 in ln(1 + r))."""
    plan = case.plan()
    flows, times = irr_inputs(plan, monkeypatch)
    _, args = kernel_inputs(plan)
    for what, rates in (("numpy", reference(plan)[:, COL["irr"]]),
                        ("native", kernels.native_evaluate(native_lib, plan, args, 0, plan.n_scenarios)[:, COL["irr"]])):
        finite = np.isfinite(rates)
        residual = npv_residual(flows[finite], times[finite], rates[finite])
        bad = np.flatnonzero(finite)[residual > 1e-9]
        assert not bad.size, (f"{what}: IRR of {bad.size} scenario(s) is not a root, e.g. #{bad[0]} "
                              f"irr={rates[bad[0]]!r} at {plan.parameters_at(int(bad[0]))}")


NEXT_GENERATION_AXIS = Case(
    "next-generation-axis-on-default",
    make_raw(15, periods_per_year=4, horizon_years=4, owned_site=False,
             cohorts=[CohortOptions(SL, 5.0, generations=(2.0, 0.3, None))]),
    ("cohorts.0.next_generation_year=2025.5,2027",))
"""A ``next_generation_year`` axis on a cohort whose first arrival defaults to in_service_year + interval."""


def test_next_generation_year_axis_on_a_defaulted_arrival(native_lib):
    """Each scenario of a ``next_generation_year`` axis equals ``dcecon.evaluate`` of the scenario with that
    field set (the brute force of tests/test_grid_brute_force.py), on native and on NumPy."""
    case = NEXT_GENERATION_AXIS
    plan = case.plan()
    expected = []
    for value in (2025.5, 2027.0):
        raw = copy.deepcopy(case.raw)
        raw["cohorts"][0]["next_generation_year"] = value
        expected.append([dcecon.evaluate(validate(raw, {}, "brute-force"), backend="numpy").figures[m]
                         for m in ("revenue_usd", "npv_usd")])
    expected = np.asarray(expected)
    assert abs(expected[0, 0] - expected[1, 0]) > 1e-3 * expected[1, 0], "the axis values give different revenue"
    columns = [COL["revenue_usd"], COL["npv_usd"]]
    _, args = kernel_inputs(plan)
    native_values = kernels.native_evaluate(native_lib, plan, args, 0, plan.n_scenarios)[:, columns]
    np.testing.assert_allclose(native_values, expected, rtol=1e-10)
    np.testing.assert_allclose(reference(plan)[:, columns], expected, rtol=1e-10)
