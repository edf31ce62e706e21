"""Data tables with exact break-even lines (issue 11, item 2; docs/tables.md).

Expected values come from ``dcecon.evaluate`` on the scenario loaded with the
same ``--set`` overrides (the scalar reference), from the model's own
closed-form break-even price (``breakeven_price_usd_per_gpu_hour``), and from
second differences for the linearity the closed form relies on.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import dcecon
from dcecon.analysis.data_table import NONE_IN_RANGE, data_table
from dcecon.analysis.goal_seek import LINEAR_FIELDS, LINEAR_METRICS
from dcecon.cli.main import main

SCENARIO = "h100-neocloud-2024"
UTIL = "cohorts.0.utilization"
PRICE = "cohorts.0.price_usd_per_gpu_hour"


def evaluate_at(metric, *overrides):
    """The scalar reference: ``dcecon.evaluate`` of the scenario with these ``--set`` overrides."""
    result = dcecon.evaluate(dcecon.load_scenario(SCENARIO, overrides=list(overrides)), backend="numpy")
    return result.figures[metric]


@pytest.fixture(scope="module")
def npv_table():
    """The docs' two-way table (docs/tables.md), on NumPy."""
    return data_table(SCENARIO, f"{UTIL}=0.5:1:6", f"{PRICE}=1:3:9", "npv_usd", breakeven=True, backend="numpy")


def test_cells_equal_evaluate_with_set(npv_table):
    frame = npv_table.to_frame()
    assert frame.shape == (6, 9)
    for u in frame.index[::2]:
        for p in frame.columns[::3]:
            expected = evaluate_at("npv_usd", f"{UTIL}={float(u)!r}", f"{PRICE}={float(p)!r}")
            assert frame.loc[u, p] == pytest.approx(expected, rel=1e-12, abs=1e-12 * abs(frame.values).max())


@pytest.mark.usefixtures("native_cache")
def test_native_table_and_breakeven_equal_numpy(npv_table):
    native = data_table(SCENARIO, f"{UTIL}=0.5:1:6", f"{PRICE}=1:3:9", "npv_usd", breakeven=True, backend="native")
    assert native.backend == "native"
    np.testing.assert_allclose(native.values, npv_table.values, rtol=1e-12)
    np.testing.assert_allclose(native.breakeven[PRICE], npv_table.breakeven[PRICE], rtol=1e-9)


def test_breakeven_npv_is_zero_at_each_row(npv_table):
    """At each reported break-even price, dcecon.evaluate gives an NPV of 0 to 1e-9 of the row's NPV scale."""
    breakeven = npv_table.breakeven
    assert list(breakeven["method"]) == ["closed form"] * 6  # NPV is linear in price without a tax
    for u, row in zip(npv_table.row_values, npv_table.values):
        price = breakeven.loc[u, PRICE]
        assert 1.0 < price < 4.1  # the table's sign changes: between $1 and $3 from utilization 0.7, above at 0.5
        npv = evaluate_at("npv_usd", f"{UTIL}={float(u)!r}", f"{PRICE}={float(price)!r}")
        assert abs(npv) <= 1e-9 * np.abs(row).max()


def test_breakeven_lies_where_the_cells_change_sign(npv_table):
    frame = npv_table.to_frame()
    for u in frame.index:
        row = frame.loc[u]
        price = npv_table.breakeven.loc[u, PRICE]
        positive = row.index[row.values > 0]
        if len(positive):  # the first positive cell is at or above the break-even, the last negative one below
            assert row.index[row.values < 0].max() < price <= positive.min()


def test_gross_profit_breakeven_equals_the_models_breakeven_price():
    """The window of h100-neocloud-2024 is the cohort's whole 5-year life, so the price that zeroes window gross
    profit is the model's lifetime break-even price (its own closed form, docs/model.md §6); at 100% utilization
    the scenario file quotes $1.686 (tests/test_latent_space.py)."""
    table = data_table(SCENARIO, f"{UTIL}=0.6,1", f"{PRICE}=1,3", "gross_profit_usd", breakeven=True,
                       backend="numpy")
    for u in table.row_values:
        expected = evaluate_at("breakeven_price_usd_per_gpu_hour", f"{UTIL}={float(u)!r}")
        assert table.breakeven.loc[u, PRICE] == pytest.approx(expected, rel=1e-9)
    assert table.breakeven.loc[1.0, PRICE] == pytest.approx(1.686, abs=5e-4)


@pytest.mark.parametrize("metric", LINEAR_METRICS)
@pytest.mark.parametrize("field", [f for f in LINEAR_FIELDS if f != "price_usd_per_million_tokens"])
def test_linear_metrics_have_zero_second_differences(metric, field):
    """The (metric, field) pairs solved in closed form are linear: m(a) - 2 m(b) + m(c) = 0 for b midway."""
    path = f"cohorts.0.{field}"
    points = (0.4, 0.7, 1.0) if field == "utilization" else (1.0, 2.5, 4.0)
    values = [evaluate_at(metric, f"{path}={float(x)!r}") for x in points]
    assert abs(values[0] - 2 * values[1] + values[2]) <= 1e-12 * max(abs(v) for v in values)


def test_npv_with_tax_is_bracketed_and_zero_at_breakeven():
    """A tax on positive gross profit makes NPV piecewise linear in price: the closed form's check fails and the
    bracketed root takes over, still exact."""
    table = data_table(SCENARIO, f"{UTIL}=0.6,1", f"{PRICE}=1:3:5", "npv_usd", breakeven=True,
                       overrides=["finance.tax_rate=0.25"], backend="numpy")
    assert set(table.breakeven["method"]) == {"bracketed"}
    for u, row in zip(table.row_values, table.values):
        price = table.breakeven.loc[u, PRICE]
        npv = evaluate_at("npv_usd", "finance.tax_rate=0.25", f"{UTIL}={float(u)!r}", f"{PRICE}={float(price)!r}")
        assert abs(npv) <= 1e-9 * np.abs(row).max()


def test_no_sign_change_is_none_in_range():
    """At $1/GPU-hour the NPV is negative at every utilization in [0, 1] (-$29.7M at 100%, the table above)."""
    table = data_table(SCENARIO, f"{PRICE}=0.5,1", f"{UTIL}=0:1:3", "npv_usd", breakeven=True, backend="numpy")
    assert list(table.breakeven["method"]) == [NONE_IN_RANGE] * 2
    assert table.breakeven[UTIL].isna().all()


def test_one_way_irr_breakeven_is_where_irr_is_zero():
    table = data_table(SCENARIO, f"{PRICE}=1:3:5", metric="irr", breakeven=True, backend="numpy")
    assert table.to_frame().shape == (5, 1)
    price = table.breakeven[PRICE].iloc[0]
    assert table.breakeven["method"].iloc[0] == "bracketed"
    assert abs(evaluate_at("irr", f"{PRICE}={float(price)!r}")) <= 1e-9


def test_table_command_json(capsys):
    code = main(["table", SCENARIO, "--rows", f"{UTIL}=0.5,1", "--cols", f"{PRICE}=1,3", "--metric", "npv_usd",
                 "--breakeven", "--backend", "numpy", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cols"]["values"] == [1.0, 3.0]
    assert [r["method"] for r in out["breakeven"]["rows"]] == ["closed form", "closed form"]
    # A regression value, measured by this command on 2026-12-01 and shown in docs/tables.md; that NPV is 0 there
    # is checked independently by test_breakeven_npv_is_zero_at_each_row.
    assert out["breakeven"]["rows"][1][PRICE] == pytest.approx(2.1025283, rel=1e-7)


def test_table_command_prints_the_breakeven_column(capsys):
    code = main(["table", SCENARIO, "--rows", f"{UTIL}=0.5,1", "--cols", f"{PRICE}=1,3", "--breakeven",
                 "--backend", "numpy"])
    assert code == 0
    out = capsys.readouterr().out
    # regression values of this command (measured 2026-12-01, shown in docs/tables.md)
    assert "break-even" in out and "2.1025283" in out and "-$29.72M" in out


@pytest.mark.parametrize("argv, where", [
    (["--rows", "cohorts.0.nope=1,2"], "dcecon: error: --rows: cohorts.0.nope:"),
    (["--rows", f"{UTIL}=0.5:1.5:3"], f"dcecon: error: --rows: {UTIL}: value 1.5 is out of bounds"),
    (["--rows", f"{UTIL}=0.5,1", "--cols", f"{PRICE}=-1,2"], f"dcecon: error: --cols: {PRICE}: value -1 is out"),
    (["--rows", f"{UTIL}=0.5,1", "--metric", "nope"], "dcecon: error: --metric: nope: unknown metric"),
    (["--rows", f"{UTIL}=0.5,1", "--metric", "npv_usd,irr"], "dcecon: error: --metric: npv_usd,irr: give one"),
    (["--rows", f"{UTIL}=uniform(0.5,1)"], f"dcecon: error: --rows: {UTIL}: uniform(0.5,1) is a distribution"),
    (["--rows", f"{UTIL}=0:1:2000", "--cols", f"{PRICE}=1:3:1000"], "dcecon: error: --cols: the table has 2,000,000"),
    (["--rows", f"{UTIL}=0.5,1", "--cols", f"{UTIL}=0.6,0.7"], f"dcecon: error: --cols: {UTIL}: given twice"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, where):
    code = main(["table", SCENARIO, *argv, "--backend", "numpy"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith(where), captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""


def test_python_api_raises_scenario_error():
    with pytest.raises(dcecon.ScenarioError, match="--rows: cohorts.0.utilization: value 2 is out of bounds"):
        data_table(SCENARIO, f"{UTIL}=0.5,2", backend="numpy")
