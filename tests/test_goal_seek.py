"""Goal seek on a grid (issue 11, item 5; docs/tables.md).

Every solved point is checked against the scalar reference: ``dcecon.evaluate``
of the scenario with the point's axes and the solved value set with ``--set``
hits the target to 1e-9 relative.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import dcecon
from dcecon.analysis.goal_seek import find_roots, goal_seek, scan_values, solve_goal
from dcecon.cli.main import main

SCENARIO = "h100-neocloud-2024"
UTIL = "cohorts.0.utilization"
PRICE = "cohorts.0.price_usd_per_gpu_hour"
LIFE = "cohorts.0.book_life_years"


def evaluate_at(metric, *overrides):
    """The scalar reference: ``dcecon.evaluate`` with these ``--set`` overrides."""
    result = dcecon.evaluate(dcecon.load_scenario(SCENARIO, overrides=list(overrides)), backend="numpy")
    return result.figures[metric]


def check_hits_target(frame, metric, target, solve):
    axes = [c for c in frame.columns if c not in (solve, metric, "method")]
    for _, row in frame.iterrows():
        sets = [f"{path}={float(row[path])!r}" for path in axes] + [f"{solve}={float(row[solve])!r}"]
        assert abs(evaluate_at(metric, *sets) - target) <= 1e-9 * abs(target), row.to_dict()


@pytest.fixture(scope="module")
def margin_frame():
    """The price giving a 14% gross margin for each (book life, utilization) pair, on NumPy."""
    return goal_seek(SCENARIO, "gross_margin=0.14", PRICE, axes={LIFE: "3,4,6", UTIL: "0.5:1:3"}, backend="numpy")


def test_goal_seek_hits_target_at_every_grid_point(margin_frame):
    assert list(margin_frame.columns) == [LIFE, UTIL, PRICE, "gross_margin", "method"]
    assert len(margin_frame) == 9 and (margin_frame["method"] == "bracketed").all()
    assert np.allclose(margin_frame["gross_margin"], 0.14, rtol=1e-9, atol=0)
    check_hits_target(margin_frame, "gross_margin", 0.14, PRICE)


def test_goal_seek_price_falls_with_life_and_utilization(margin_frame):
    """A longer book life spreads the same capex thinner and more billed hours spread it further: the price
    needed for the same margin falls along both axes."""
    table = margin_frame.pivot(index=LIFE, columns=UTIL, values=PRICE)
    assert (np.diff(table.values, axis=0) < 0).all() and (np.diff(table.values, axis=1) < 0).all()


@pytest.mark.usefixtures("native_cache")
def test_goal_seek_native_equals_numpy(margin_frame):
    native = solve_goal(SCENARIO, "gross_margin=0.14", PRICE, axes={LIFE: "3,4,6", UTIL: "0.5:1:3"},
                        backend="native")
    assert native.backend == "native"
    np.testing.assert_allclose(native.x, margin_frame[PRICE], rtol=1e-9)


def test_goal_seek_npv_closed_form_hits_zero():
    """NPV is linear in utilization (tests/test_data_table.py): the break-even utilization per price comes from
    the closed form and evaluates to 0 to 1e-9 of the NPV's scale (capex, $51.2M)."""
    frame = goal_seek(SCENARIO, "npv_usd=0", UTIL, axes=[f"{PRICE}=2.2,3"], backend="numpy")
    assert list(frame["method"]) == ["closed form"] * 2
    for _, row in frame.iterrows():
        npv = evaluate_at("npv_usd", f"{PRICE}={float(row[PRICE])!r}", f"{UTIL}={float(row[UTIL])!r}")
        assert abs(npv) <= 1e-9 * 51.2e6


def test_goal_seek_without_axes_solves_the_scenario_itself():
    frame = goal_seek(SCENARIO, ("irr", 0.10), PRICE, backend="numpy")
    assert len(frame) == 1
    assert abs(evaluate_at("irr", f"{PRICE}={float(frame[PRICE].iloc[0])!r}") - 0.10) <= 1e-9 * 0.10


def test_unreachable_target_within_a_range():
    """At $3/GPU-hour the gross margin is 25.9% at most at 100% utilization; 90% cannot be reached there, and
    within $1 to $3 it cannot be reached at all."""
    frame = goal_seek(SCENARIO, "gross_margin=0.9", PRICE, axes={UTIL: "0.5,1"}, within="1:3", backend="numpy")
    assert list(frame["method"]) == ["unreachable"] * 2
    assert frame[PRICE].isna().all()


def test_find_roots_on_a_known_function():
    """The root finder alone on f(a, x) = x^3 - a (roots a^(1/3)) and on a function without a root."""
    a = np.array([0.5, 2.0, 8.0, 27.0])
    roots = find_roots(lambda cols: cols[1] ** 3 - cols[0], [a], 0.0, scan_values(0.0, 10.0, 1.0))
    np.testing.assert_allclose(roots.x, np.cbrt(a), rtol=1e-12)
    none = find_roots(lambda cols: cols[0] ** 2 + 1.0, [], 0.0, scan_values(-5.0, 5.0, 1.0))
    assert np.isnan(none.x).all() and list(none.method) == ["unreachable"]


def test_goal_seek_command_json(capsys):
    code = main(["goal-seek", SCENARIO, "--target", "gross_margin=0.14", "--solve", PRICE, "--axis", f"{UTIL}=1",
                 "--backend", "numpy", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    (point,) = out["points"]
    assert point["method"] == "bracketed" and point["gross_margin"] == pytest.approx(0.14, rel=1e-9)


def test_goal_seek_command_prints_a_row_per_point(capsys):
    code = main(["goal-seek", SCENARIO, "--target", "gross_margin=0.14", "--solve", PRICE, "--axis",
                 f"{UTIL}=0.5,1", "--backend", "numpy"])
    assert code == 0
    out = capsys.readouterr().out
    assert "2 of 2 points solved" in out and "14.0%" in out


@pytest.mark.parametrize("argv, where", [
    (["--target", "nope=1", "--solve", PRICE], "dcecon: error: --target: nope: unknown metric"),
    (["--target", "gross_margin", "--solve", PRICE], "dcecon: error: --target: gross_margin: write the target"),
    (["--target", "gross_margin=x", "--solve", PRICE], "dcecon: error: --target: gross_margin: 'x' is not a number"),
    (["--target", "gross_margin=0.1", "--solve", "cohorts.0.nope"], "dcecon: error: --solve: cohorts.0.nope:"),
    (["--target", "gross_margin=0.1", "--solve", "cohorts.0.name"], "dcecon: error: --solve: cohorts.0.name: is not"),
    (["--target", "gross_margin=0.1", "--solve", PRICE, "--axis", f"{UTIL}=0.5:1.5:3"],
     f"dcecon: error: --axis: {UTIL}: value 1.5 is out of bounds"),
    (["--target", "gross_margin=0.1", "--solve", PRICE, "--within=-1:3"],
     f"dcecon: error: --within: {PRICE}: value -1 is out of bounds"),
    (["--target", "gross_margin=0.1", "--solve", PRICE, "--within", "3"], "dcecon: error: --within: 3: write"),
    (["--target", "gross_margin=0.1", "--solve", PRICE, "--axis", f"{PRICE}=1,2"],
     f"dcecon: error: --solve: {PRICE}: given twice"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, where):
    code = main(["goal-seek", SCENARIO, *argv, "--backend", "numpy"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith(where), captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""
