"""Financing and economic-depreciation metrics of a grid equal ``dcecon.evaluate`` scenario by scenario.

The reference is the per-scenario model, ``dcecon.evaluate``: every expected
value below is ``dcecon.evaluate(load_scenario(path, overrides=[...]))`` of
the scenario that the grid point stands for, built independently of the
engine's parameter binding (the ``--set`` overrides of the test, then each
axis's path set to the scenario's value, as ``--set`` would). The grid side is
``dcecon.grid_engine.batch.evaluate_chunk`` on NumPy over the whole plan
(``plan.dimension_values(0, n)``, ``plan.static_extents()``), so each
scenario's value can be compared, to ``rtol 1e-10`` (NaN equals NaN, an
infinity equals the same infinity).

What it shows:

- debt fields (``finance.debt_fraction``, ``finance.interest_rate``,
  ``finance.debt_term_years``, listed or sampled) are grid axes, and the 8
  financing metrics of each grid scenario are those of ``dcecon.evaluate``,
  including loans that outlive every cohort (the lifetime range covers the
  longest term of the plan) and scenarios without debt;
- ``cohorts.N.economic_life_years`` is a grid axis, and the 3 economic
  metrics are those of ``dcecon.evaluate`` (straight line and double
  declining balance, economic lives shorter and longer than the book life,
  with book-life and tax-rate axes);
- a chunk returns exactly the metrics asked for, with the values of the full
  evaluation, and a chunk that asks for no IRR never runs the IRR.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import dcecon
from dcecon.backends import resolve_backend
from dcecon.result import ECONOMIC_FIELDS, FINANCING_FIELDS
from dcecon.grid_engine.api import execute, prepare
from dcecon.grid_engine.batch import evaluate_chunk
from dcecon.model import finance
from dcecon.model.metrics import DEFAULT_METRICS, METRICS
from dcecon.scenario.loader import apply_overrides, load_raw, load_scenario

ROOT = Path(__file__).resolve().parents[1]
COREWEAVE = ROOT / "scenarios" / "coreweave-q3-2025.toml"
"""Three cohorts, 88% debt-financed at 11% over 5 years, monthly periods."""
NEOCLOUD = ROOT / "scenarios" / "h100-neocloud-2024.toml"
"""One H100 cohort, annual periods, no debt."""

RTOL = 1e-10

LEVERED_AXES = [
    "finance.debt_fraction=0,0.5,0.9",
    "finance.interest_rate=0,0.05,0.12",
    "finance.debt_term_years=3,8",  # 8 years outlives every cohort's 6-year life
    "cohorts.*.utilization=0.6,0.9",
]


def chunk_of_plan(path, axes, sets=(), samples=None, metrics=METRICS):
    """The plan of a grid on ``path`` (after ``sets``) and ``evaluate_chunk`` over all of it (host arrays)."""
    raw, provenance = load_raw(path)
    apply_overrides(raw, list(sets), provenance, path)
    plan = prepare(raw, provenance, str(path), list(axes), samples)
    values, _ = plan.dimension_values(0, plan.n_scenarios)
    with np.errstate(all="ignore"):
        out = evaluate_chunk(resolve_backend("numpy"), plan, plan.static_extents(), values, plan.n_scenarios,
                             metrics)
    return plan, values, {name: np.asarray(value, dtype=np.float64) for name, value in out.items()}


def reference(path, plan, values, names, sets=()):
    """``dcecon.evaluate`` of every scenario of the plan, built with ``load_scenario(path, overrides=...)``."""
    expected = {name: np.empty(plan.n_scenarios) for name in names}
    for i in range(plan.n_scenarios):
        overrides = list(sets) + [f"{axis.path}={float(column[i])!r}" for axis, column in zip(plan.dimensions, values)]
        figures = dcecon.evaluate(load_scenario(path, overrides=overrides), backend="numpy").figures
        for name in names:
            expected[name][i] = figures[name]
    return expected


def assert_metrics_equal(got, expected, names):
    for name in names:
        np.testing.assert_allclose(got[name], expected[name], rtol=RTOL, atol=0.0, equal_nan=True, err_msg=name)


def test_financing_metrics_of_a_levered_grid_equal_dcecon_evaluate_per_scenario():
    plan, values, got = chunk_of_plan(COREWEAVE, LEVERED_AXES)
    expected = reference(COREWEAVE, plan, values, FINANCING_FIELDS)  # dcecon.evaluate, the per-scenario model
    assert_metrics_equal(got, expected, FINANCING_FIELDS)
    # the grid holds unlevered scenarios (no interest: infinite coverage, no DSCR) and levered ones
    debt = values[0]
    assert np.all(np.isinf(got["interest_coverage"][debt == 0])) and np.all(np.isnan(got["dscr_min"][debt == 0]))
    assert np.all(got["interest_usd"][(debt > 0) & (values[1] > 0)] > 0)
    assert np.all(np.isfinite(got["dscr_avg"][debt > 0]))


def test_every_metric_of_a_levered_grid_with_economic_lives_equals_dcecon_evaluate():
    sets = ["cohorts.0.economic_life_years=10"]
    axes = ["finance.debt_fraction=0,0.8", "finance.debt_term_years=4,9", "cohorts.1.economic_life_years=2,4,7",
            "finance.tax_rate=0,0.3", "cohorts.2.book_life_years=4,6"]
    plan, values, got = chunk_of_plan(COREWEAVE, axes, sets)
    assert list(got) == list(METRICS)
    expected = reference(COREWEAVE, plan, values, METRICS, sets)  # dcecon.evaluate, the per-scenario model
    assert_metrics_equal(got, expected, METRICS)
    assert np.any(got["depreciation_gap_usd"] > 0) and np.any(got["depreciation_gap_usd"] < 0)


def test_sampled_debt_terms_and_rates_equal_dcecon_evaluate_per_scenario():
    axes = ["finance.debt_term_years=uniform(2,12)", "finance.interest_rate=triangular(0.04,0.1,0.2)",
            "finance.debt_fraction=0.3,0.9"]
    plan, values, got = chunk_of_plan(COREWEAVE, axes, samples=8)
    expected = reference(COREWEAVE, plan, values, FINANCING_FIELDS)  # dcecon.evaluate, the per-scenario model
    assert_metrics_equal(got, expected, FINANCING_FIELDS)


def test_double_declining_economic_lives_shorter_and_longer_than_the_book_life_equal_dcecon_evaluate():
    sets = ["cohorts.0.depreciation_method=double_declining_balance", "cohorts.0.book_life_years=4",
            "finance.debt_fraction=0.6", "finance.interest_rate=0.09", "finance.debt_term_years=5"]
    axes = ["cohorts.0.economic_life_years=2,3,4,8", "cohorts.0.book_life_years=3,5", "finance.tax_rate=0.1,0.25"]
    plan, values, got = chunk_of_plan(NEOCLOUD, axes, sets)
    names = ECONOMIC_FIELDS + FINANCING_FIELDS
    expected = reference(NEOCLOUD, plan, values, names, sets)  # dcecon.evaluate, the per-scenario model
    assert_metrics_equal(got, expected, names)


def test_lifetime_range_covers_the_longest_debt_term_of_the_plan():
    # coreweave's cohorts enter service from 2023.75 (offset -1.75 years from the 2025.5 window start), monthly
    raw, provenance = load_raw(COREWEAVE)
    plan = prepare(raw, provenance, str(COREWEAVE), ["finance.debt_term_years=3,20"])
    j_lo, j_hi = plan.static_extents()["lifetime_range"]
    latest = (2025.25 - 2025.5) * 12  # the last cohort enters service in 2025.25
    assert j_lo <= -1.75 * 12 and j_hi >= latest + 20 * 12
    raw, provenance = load_raw(COREWEAVE)
    apply_overrides(raw, ["finance.debt_fraction=0"], provenance, COREWEAVE)
    unlevered = prepare(raw, provenance, str(COREWEAVE), ["finance.debt_term_years=3,20"])
    # no scenario has debt: the range covers the cohorts' 6-year lives only
    assert unlevered.static_extents()["lifetime_range"][1] < latest + 7 * 12


def test_asking_for_gross_margin_and_npv_returns_exactly_those_with_the_full_values():
    _, _, full = chunk_of_plan(COREWEAVE, LEVERED_AXES)
    plan, values, some = chunk_of_plan(COREWEAVE, LEVERED_AXES, metrics=("npv_usd", "gross_margin"))
    assert list(some) == ["npv_usd", "gross_margin"]
    for name in some:
        np.testing.assert_array_equal(some[name], full[name])
    expected = reference(COREWEAVE, plan, values, ("npv_usd", "gross_margin"))  # dcecon.evaluate
    assert_metrics_equal(some, expected, ("npv_usd", "gross_margin"))


def test_window_metrics_alone_equal_the_full_evaluation():
    _, _, full = chunk_of_plan(COREWEAVE, LEVERED_AXES)
    _, _, some = chunk_of_plan(COREWEAVE, LEVERED_AXES, metrics=("revenue_usd", "gross_margin",
                                                                 "economic_depreciation_usd"))
    assert list(some) == ["revenue_usd", "gross_margin", "economic_depreciation_usd"]
    for name in some:
        np.testing.assert_allclose(some[name], full[name], rtol=1e-13, atol=0.0, equal_nan=True, err_msg=name)


def test_a_chunk_asking_for_no_irr_never_runs_the_irr(monkeypatch):
    no_irr = [name for name in METRICS if name not in ("irr", "equity_irr")]
    _, _, before = chunk_of_plan(COREWEAVE, LEVERED_AXES, metrics=no_irr)

    def refuse(*args, **kwargs):
        raise AssertionError("the IRR ran for a chunk that asked for no IRR")

    monkeypatch.setattr(finance, "irr", refuse)
    _, _, after = chunk_of_plan(COREWEAVE, LEVERED_AXES, metrics=no_irr)
    assert list(after) == no_irr
    for name in no_irr:
        np.testing.assert_array_equal(after[name], before[name])
    for asked in (["irr"], ["equity_irr"]):  # and the patched IRR is the one the model calls
        with pytest.raises(AssertionError, match="asked for no IRR"):
            chunk_of_plan(COREWEAVE, LEVERED_AXES, metrics=asked)


def test_an_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="not_a_metric"):
        chunk_of_plan(COREWEAVE, LEVERED_AXES[:1], metrics=("npv_usd", "not_a_metric"))


def test_a_grid_run_with_debt_axes_reduces_the_values_of_dcecon_evaluate():
    # the public engine (prepare + execute on NumPy) takes debt axes; its extremes are those of dcecon.evaluate
    raw, provenance = load_raw(COREWEAVE)
    plan = prepare(raw, provenance, str(COREWEAVE), LEVERED_AXES)
    result = execute(plan, backend="numpy")
    values, _ = plan.dimension_values(0, plan.n_scenarios)
    expected = reference(COREWEAVE, plan, values, DEFAULT_METRICS)  # dcecon.evaluate, the per-scenario model
    for name in ("npv_usd", "irr", "gross_margin", "payback_years"):
        summary = result.metric_summary(name)
        finite = expected[name][np.isfinite(expected[name])]
        assert summary["count"] == plan.n_scenarios
        if finite.size:
            assert math.isclose(summary["min"], finite.min(), rel_tol=1e-9)
            assert math.isclose(summary["max"], finite.max(), rel_tol=1e-9)
