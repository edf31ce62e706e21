"""Sobol' indices and Morris screening (``dcecon sobol``, ``dcecon morris``) and the point evaluator behind them.

Expected values come from:

- closed forms: revenue is ``k u p`` (docs/model.md §4: billed hours times the price path; the yearly price
  decline scales every period's price by the same factor whatever ``p`` is), so with utilization ``u`` and
  price ``p`` independent and uniform its Sobol' indices follow from the moments of two uniforms (below), and
  its Morris elementary effect in ``p`` is ``revenue / p`` times the price range;
- SALib itself, run on the same design with the metric computed one scenario at a time by the scalar
  reference ``dcecon.evaluate`` with ``--set``;
- ``dcecon.evaluate`` with ``--set`` at random points, for the grid-engine point evaluator.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import dcecon
from dcecon.analysis.morris import morris
from dcecon.analysis.sobol import sobol
from dcecon.cli.main import main
from dcecon.grid_engine.points import evaluate_points, points_plan
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import load_scenario

SCENARIO = "h100-neocloud-2024"
UTILIZATION = "cohorts.0.utilization"
PRICE = "cohorts.0.price_usd_per_gpu_hour"
PUE = "site.pue"

BACKENDS = ["numpy", "native"]
"""Backends the engine evaluates on here (CuPy needs a GPU); ``native`` skips where no C++ compiler exists."""


def on_backend(request, backend: str) -> str:
    """``backend``, with the native library built into this session's cache (skips without a compiler)."""
    if backend == "native":
        request.getfixturevalue("native_lib")
    return backend


def reference(point: dict, metric: str) -> float:
    """``metric`` of the scenario with ``--set PATH=VALUE`` for each coordinate (the scalar reference)."""
    sets = [f"{path}={float(value)!r}" for path, value in point.items()]
    return float(getattr(dcecon.evaluate(load_scenario(SCENARIO, sets), backend="numpy"), metric))


def product_of_uniforms_indices(u: tuple, p: tuple) -> dict:
    """Closed-form Sobol' indices of ``Y = k U P``, ``U ~ U(u)``, ``P ~ U(p)`` independent (``k`` cancels).

    With means ``m_u, m_p`` and variances ``v_u = (b - a)^2 / 12``, ``v_p``: ``E[Y | U] = k m_p U``, so
    ``V_U = k^2 m_p^2 v_u``; likewise ``V_P = k^2 m_u^2 v_p``; the interaction is ``V_UP = k^2 v_u v_p``; and
    ``Var Y = V_U + V_P + V_UP``. ``S1 = V_i / Var Y``, ``ST = (V_i + V_UP) / Var Y``, ``S2 = V_UP / Var Y``.
    """
    m_u, m_p = sum(u) / 2, sum(p) / 2
    v_u, v_p = (u[1] - u[0]) ** 2 / 12, (p[1] - p[0]) ** 2 / 12
    total = m_p**2 * v_u + m_u**2 * v_p + v_u * v_p
    return {"S1": np.array([m_p**2 * v_u, m_u**2 * v_p]) / total,
            "ST": np.array([m_p**2 * v_u + v_u * v_p, m_u**2 * v_p + v_u * v_p]) / total,
            "S2": v_u * v_p / total}


@pytest.mark.parametrize("backend", BACKENDS)
def test_sobol_indices_of_revenue_as_utilization_times_price_match_the_closed_form(backend, request):
    u, p = (0.3, 1.0), (1.0, 4.0)
    exact = product_of_uniforms_indices(u, p)  # S1 = (0.423, 0.526), ST = (0.474, 0.577), S2 = 0.051
    result = sobol(SCENARIO, {UTILIZATION: u, PRICE: p}, metric="revenue_usd", n=4096, seed=3, second_order=True,
                   backend=on_backend(request, backend))
    assert result.n_evaluations == 4096 * (2 * 2 + 2)  # Saltelli's scheme with second order: N (2D + 2)
    # SALib's intervals are 95% bootstrap intervals (1.96 standard errors); 3 half-widths are ~5.9 standard
    # errors, so a correct estimator fails this for less than 1 seed in 10^8, and a wrong one by more than
    # ~0.06 (3 x the 0.02 half-widths at this n, checked below) cannot pass.
    for name, conf in (("s1", "s1_conf"), ("st", "st_conf")):
        half = getattr(result, conf)
        assert np.all(half < 0.03)
        assert np.all(np.abs(getattr(result, name) - exact[name.upper()]) <= 3 * half)
    assert abs(result.s2[0, 1] - exact["S2"]) <= 3 * result.s2_conf[0, 1]
    assert result.most_influential == PRICE  # ST of price 0.577 > 0.474: its range is wider relative to its mean
    frame = result.to_frame()
    assert list(frame["input"]) == [PRICE, UTILIZATION]
    assert list(frame.columns) == ["input", "low", "high", "S1", "S1_conf", "ST", "ST_conf"]


@pytest.fixture(scope="module")
def scalar_reference_indices():
    """SALib's Sobol' analysis of gross margin on SALib's own design (N = 64, 3 inputs, seed 7), each point
    evaluated by ``dcecon.evaluate`` with ``--set``."""
    from SALib.analyze import sobol as salib_analyze
    from SALib.sample import sobol as salib_sample

    problem = {"num_vars": 3, "names": [UTILIZATION, PRICE, PUE], "bounds": [[0.5, 1.0], [1.5, 3.0], [1.1, 1.6]]}
    design = salib_sample.sample(problem, 64, calc_second_order=False, seed=7)
    values = np.array([reference(dict(zip(problem["names"], x)), "gross_margin") for x in design])
    indices = salib_analyze.analyze(problem, values, calc_second_order=False, seed=7)
    return design, values, indices


@pytest.mark.parametrize("backend", BACKENDS)
def test_sobol_indices_equal_salib_on_the_same_design_evaluated_by_dcecon_evaluate(backend, request,
                                                                                  scalar_reference_indices):
    design, values, indices = scalar_reference_indices
    result = sobol(SCENARIO, [f"{UTILIZATION}=0.5:1.0", f"{PRICE}=1.5:3.0", f"{PUE}=1.1:1.6"], metric="gross_margin",
                   n=64, seed=7, backend=on_backend(request, backend))
    assert result.backend == backend
    np.testing.assert_array_equal(result.samples, design)  # the same SALib design, same seed
    np.testing.assert_allclose(result.values, values, rtol=1e-11, atol=1e-13)
    for ours, theirs in (("s1", "S1"), ("s1_conf", "S1_conf"), ("st", "ST"), ("st_conf", "ST_conf")):
        np.testing.assert_allclose(getattr(result, ours), indices[theirs], rtol=0, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_point_evaluations_equal_dcecon_evaluate_with_set_at_random_points(backend, request):
    paths = [UTILIZATION, PRICE, "site.electricity_usd_per_kwh", "cohorts.0.book_life_years", "cohorts.*.pue"]
    rng = np.random.default_rng(11)
    points = np.column_stack([rng.uniform(0.3, 1.0, 6), rng.uniform(1.0, 4.0, 6), rng.uniform(0.03, 0.2, 6),
                              rng.uniform(3.0, 7.0, 6), rng.uniform(1.05, 1.8, 6)])
    metrics = ["gross_margin", "npv_usd", "irr", "breakeven_price_usd_per_gpu_hour"]
    plan = points_plan(SCENARIO, paths, points, metrics)
    got = evaluate_points(plan, backend=on_backend(request, backend), chunk_size=4)  # 2 chunks, the 2nd partial
    assert got.backend == backend
    for j, point in enumerate(points):
        for metric in metrics:
            expected = reference(dict(zip(paths, point)), metric)
            assert got.metrics[metric][j] == pytest.approx(expected, rel=1e-10, abs=1e-12), (metric, j)


def test_morris_mu_star_of_revenue_is_its_slope_in_price_times_the_range():
    # revenue = k u p: linear in price, so every elementary effect in price is (revenue / price) x (4 - 1), with
    # no spread; PUE does not enter revenue, so its effects are 0
    per_dollar = reference({}, "revenue_usd") / 2.0  # the scenario's price is $2.00/GPU-h
    result = morris(SCENARIO, [f"{PRICE}=1:4", f"{PUE}=1.1:1.6"], metric="revenue_usd", trajectories=8, seed=1,
                    backend="numpy")
    assert result.n_evaluations == 8 * (2 + 1)  # R (D + 1)
    frame = result.to_frame()
    assert list(frame["input"]) == [PRICE, PUE]
    assert frame["mu_star"][0] == pytest.approx(per_dollar * 3.0, rel=1e-12)
    assert frame["mu"][0] == pytest.approx(per_dollar * 3.0, rel=1e-12)
    assert frame["sigma"][0] == pytest.approx(0.0, abs=1e-9 * per_dollar)
    assert frame["mu_star"][1] == 0.0


def test_sobol_command_prints_json_sorted_by_total_index_with_percent_ranges(capsys):
    code = main(["sobol", SCENARIO, "--vary", f"{UTILIZATION}=0.5:1.0", "--vary", f"{PRICE}=-20%:+20%",
                 "--vary", f"{PUE}=1.1:1.6", "--metric", "gross_margin", "--n", "256", "--backend", "numpy",
                 "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    totals = [row["ST"] for row in out["inputs"]]
    assert totals == sorted(totals, reverse=True)
    assert out["n_evaluations"] == 256 * (3 + 2)  # N (D + 2) without second order
    price = next(row for row in out["inputs"] if row["input"] == PRICE)
    assert (price["low"], price["high"]) == pytest.approx((1.6, 2.4))  # the scenario's $2.00 -20% .. +20%
    assert out["most_influential"] == out["inputs"][0]["input"]


def test_sobol_and_morris_commands_print_tables(capsys):
    assert main(["sobol", SCENARIO, "--vary", f"{UTILIZATION}=0.5:1.0", "--vary", f"{PUE}=1.1:1.6", "--n", "64",
                 "--backend", "numpy", "--second-order"]) == 0
    out = capsys.readouterr().out
    assert "Most influential: cohorts.0.utilization" in out and "Second-order indices" in out
    assert main(["morris", SCENARIO, "--vary", f"{UTILIZATION}=0.5:1.0", "--vary", f"{PUE}=1.1:1.6",
                 "--trajectories", "4", "--backend", "numpy"]) == 0
    assert "Morris screening of gross_margin" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["sobol", SCENARIO, "--vary", "cohorts.0.utilisation=0.5:1"],
     "dcecon: error: --vary: cohorts.0.utilisation: no such field"),
    (["sobol", SCENARIO, "--vary", "cohorts.0.utilization=0.5:1.2"],
     "dcecon: error: --vary: cohorts.0.utilization: the range 0.5:1.2 reaches outside the field's bounds: must be "
     "<= 1 (got 1.2)"),
    (["sobol", SCENARIO, "--vary", "cohorts.0.utilization=0.5:1", "--metric", "margin"],
     "dcecon: error: --metric: margin: unknown metric; choose one of revenue_usd"),
    (["sobol", SCENARIO, "--vary", "cohorts.0.utilization=0.5:1", "--n", "1000"],
     "dcecon: error: --n: 1000: must be a power of two"),
    (["sobol", SCENARIO, "--vary", "cohorts.0.utilization=0.9:0.5"],
     "dcecon: error: --vary: cohorts.0.utilization: the range 0.9:0.5 is empty; needs LOW < HIGH"),
    (["sobol", SCENARIO, "--vary", "cohorts.0.pue=-10%:+10%"],
     "dcecon: error: --vary: cohorts.0.pue: a % range needs the field's value, which is not given in the scenario"),
    (["sobol", SCENARIO], "dcecon: error: --vary: give at least one input to vary"),
    (["sobol", SCENARIO, "--vary", "cohorts.0.utilization=0.5:1", "--metric", "payback_years", "--vary",
      "cohorts.0.price_usd_per_gpu_hour=0.5:1", "--n", "64", "--backend", "numpy"],
     "dcecon: error: --metric: payback_years: is not finite at 256 of 256 points"),
    # n (D + 2) points at the smallest n, 64: below it the intervals mean little (analysis.sobol.MIN_N)
    (["sobol", SCENARIO, "--vary", "cohorts.0.utilization=0.5:1", "--n", "32", "--backend", "numpy"],
     "dcecon: error: --n: 32: must be from 64 to 1,048,576"),
    (["morris", SCENARIO, "--vary", "site.pue=1.1:1.5", "--levels", "3"], "dcecon: error: --levels: 3: must be even"),
    (["morris", SCENARIO, "--vary", "site.pue=1.1:1.5", "--trajectories", "1"],
     "dcecon: error: --trajectories: 1: must be from 2"),
    (["morris", "no-such-scenario", "--vary", "site.pue=1.1:1.5"], "dcecon: error: no-such-scenario"),
])
def test_bad_sensitivity_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), captured.err
    assert captured.out == ""


def test_python_api_refuses_a_range_outside_the_bounds_with_scenario_error():
    with pytest.raises(ScenarioError, match=r"--vary: site.pue: .*must be >= 1"):
        sobol(SCENARIO, {PUE: (0.9, 1.4)}, n=64, backend="numpy")
    with pytest.raises(ScenarioError, match=r"points: must have shape \(n, 2\)"):
        points_plan(SCENARIO, [PUE, UTILIZATION], np.ones((3, 3)))


def test_sobol_confidence_intervals_repeat_exactly_with_seed_0():
    # SALib 1.6 reads a seed of 0 as "no seed" (`if seed:`) and would draw the bootstrap unseeded; the analysis
    # passes numpy.random.default_rng(seed), so two runs with --seed 0 print the same intervals
    runs = [sobol(SCENARIO, {UTILIZATION: (0.5, 1.0), PUE: (1.1, 1.6)}, n=64, seed=0, backend="numpy")
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].s1_conf, runs[1].s1_conf)
    np.testing.assert_array_equal(runs[0].st_conf, runs[1].st_conf)
