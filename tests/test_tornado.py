"""``dcecon tornado`` and ``dcecon.analysis.tornado.tornado``: one-at-a-time swings and spider points.

Every expected metric comes from ``dcecon.evaluate`` on the scenario with the
input set by a ``--set`` override (``load_scenario(path, overrides=[...])``):
a tornado's point is that scenario, evaluated by the grid engine in one pass.
Percent bounds are the scenario's own value times ``1 + change`` (a hand
calculation on the file's values: price $2.00 per GPU-hour in
scenarios/h100-neocloud-2024.toml, so -20% is $1.60).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import dcecon
from dcecon.analysis.tornado import tornado
from dcecon.cli.main import main

H100 = "h100-neocloud-2024"
COREWEAVE = "coreweave-q3-2025"  # three cohorts, utilizations 0.9, 0.9 and 0.8
RTOL = 1e-12


def _evaluate(name: str, overrides=(), metric: str = "gross_margin") -> float:
    """The reference: the metric of ``dcecon run NAME --set ...`` on NumPy."""
    scenario = dcecon.load_scenario(name, overrides=list(overrides))
    result = dcecon.evaluate(scenario, backend="numpy")
    return float(getattr(result, metric))


def _close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=RTOL, abs_tol=1e-15)  # abs_tol only for a metric of 0


def test_swings_equal_pairs_of_evaluate_with_set():
    vary = {"cohorts.0.utilization": "0.7:1.0", "cohorts.0.book_life_years": "3:6", "site.pue": "1.1:1.6",
            "finance.discount_rate": "0.06:0.14"}
    for metric in ("gross_margin", "npv_usd"):
        result = tornado(H100, vary, metric=metric, backend="numpy")
        assert _close(result.base_metric, _evaluate(H100, metric=metric))
        for swing in result.inputs:
            low, high = vary[swing.path].split(":")
            at_low = _evaluate(H100, [f"{swing.path}={low}"], metric)
            at_high = _evaluate(H100, [f"{swing.path}={high}"], metric)
            assert _close(swing.metric_at_low, at_low), (metric, swing.path)
            assert _close(swing.metric_at_high, at_high), (metric, swing.path)
            assert _close(swing.swing, abs(at_high - at_low))


def test_star_path_moves_every_cohort_and_others_stay_at_their_own_base():
    # cohorts.*.utilization sets all three cohorts to one value (as --set cohorts.*.utilization=V); with
    # site.pue at its low end every cohort keeps its own utilization (0.9, 0.9, 0.8), as in the file
    result = tornado(COREWEAVE, ["cohorts.*.utilization=0.6:0.95", "site.electricity_usd_per_kwh=0.06:0.12"],
                     metric="gross_profit_usd", backend="numpy")
    by_path = {s.path: s for s in result.inputs}
    star = by_path["cohorts.*.utilization"]
    assert star.base is None  # the three cohorts' values differ
    assert _close(star.metric_at_low, _evaluate(COREWEAVE, ["cohorts.*.utilization=0.6"], "gross_profit_usd"))
    assert _close(star.metric_at_high, _evaluate(COREWEAVE, ["cohorts.*.utilization=0.95"], "gross_profit_usd"))
    power = by_path["site.electricity_usd_per_kwh"]
    assert _close(power.metric_at_low,
                  _evaluate(COREWEAVE, ["site.electricity_usd_per_kwh=0.06"], "gross_profit_usd"))


def test_inputs_sorted_by_swing_largest_first():
    # given smallest-impact first; the frame must come back in the order of |metric at high - metric at low|
    result = tornado(H100, ["site.pue=1.5:1.6", "cohorts.0.price_usd_per_gpu_hour=1.5:2.5",
                            "site.electricity_usd_per_kwh=0.07:0.09"], backend="numpy")
    frame = result.to_frame()
    assert list(frame.columns) == ["input", "low value", "high value", "metric at low", "metric at high", "swing"]
    assert list(frame["swing"]) == sorted(frame["swing"], reverse=True)
    assert frame["input"].iloc[0] == "cohorts.0.price_usd_per_gpu_hour"
    assert np.allclose(frame["swing"], (frame["metric at high"] - frame["metric at low"]).abs(), rtol=0, atol=0)


def test_percent_ranges_are_relative_to_the_scenario_value():
    # price $2.00 in the file: -20% is $1.60, +20% is $2.40; PUE 1.56: -10% is 1.404, +5% is 1.638
    result = tornado(H100, {"cohorts.0.price_usd_per_gpu_hour": "-20%:+20%", "site.pue": ("-10%", "+5%")},
                     backend="numpy")
    by_path = {s.path: s for s in result.inputs}
    price = by_path["cohorts.0.price_usd_per_gpu_hour"]
    assert (price.base, price.low, price.high) == (2.0, 2.0 * 0.8, 2.0 * 1.2)
    assert _close(price.metric_at_low, _evaluate(H100, [f"cohorts.0.price_usd_per_gpu_hour={2.0 * 0.8!r}"]))
    assert _close(price.metric_at_high, _evaluate(H100, [f"cohorts.0.price_usd_per_gpu_hour={2.0 * 1.2!r}"]))
    pue = by_path["site.pue"]
    assert (pue.low, pue.high) == (1.56 * 0.9, 1.56 * 1.05)
    assert _close(pue.metric_at_low, _evaluate(H100, [f"site.pue={1.56 * 0.9!r}"]))


def test_spider_points_equal_evaluate():
    result = tornado(H100, ["cohorts.0.utilization=0.6:1.0", "cohorts.0.price_decline_per_year=-50%:+50%"],
                     metric="npv_usd", spider=5, backend="numpy")
    frame = result.spider_frame()
    assert len(frame) == 10 and result.n_points == 1 + 2 * 2 + 2 * 5
    for line in result.spider:
        base = {"cohorts.0.utilization": 1.0, "cohorts.0.price_decline_per_year": 0.12945}[line.path]
        assert np.allclose(line.changes, line.values / base - 1.0, rtol=0, atol=1e-15)
        for value, metric in zip(line.values, line.metric):
            assert _close(float(metric), _evaluate(H100, [f"{line.path}={float(value)!r}"], "npv_usd"))
    utilization = next(line for line in result.spider if line.path == "cohorts.0.utilization")
    assert list(utilization.values) == list(np.linspace(0.6, 1.0, 5))  # evenly spaced, both ends included


def test_native_backend_agrees_with_numpy():
    from dcecon.backends import native

    if not native.available():
        pytest.skip("no native kernel here (no C++ compiler)")
    vary = ["cohorts.0.price_usd_per_gpu_hour=-20%:+20%", "cohorts.0.utilization=0.7:1.0",
            "cohorts.0.book_life_years=3:6", "site.pue=1.1:1.6"]
    for metric in ("gross_margin", "npv_usd", "irr"):
        on_numpy = tornado(H100, vary, metric=metric, spider=3, backend="numpy")
        on_native = tornado(H100, vary, metric=metric, spider=3, backend="native")
        assert on_native.backend == "native"
        a, b = on_numpy.to_frame(), on_native.to_frame()
        assert list(a["input"]) == list(b["input"])
        cols = ["metric at low", "metric at high"]
        assert np.allclose(a[cols], b[cols], rtol=1e-10, atol=0)
        assert np.allclose(on_numpy.spider_frame()["metric"], on_native.spider_frame()["metric"], rtol=1e-10, atol=0)


def test_cli_prints_table_and_json(capsys):
    vary = ["--vary", "cohorts.0.utilization=0.7:1.0", "--vary", "cohorts.0.price_usd_per_gpu_hour=-20%:+20%"]
    assert main(["tornado", H100, *vary, "--backend", "numpy", "--spider", "3"]) == 0
    out = capsys.readouterr().out
    assert "Tornado: gross_margin of h100-neocloud-2024 (base 15.7%" in out  # README: 15.7% gross margin
    assert "Spider" in out and "1.6 (-20%)" in out
    assert main(["tornado", H100, *vary, "--backend", "numpy", "--json", "--metric", "npv_usd"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metric"] == "npv_usd" and data["spider"] == []
    assert _close(data["base_metric"], _evaluate(H100, metric="npv_usd"))
    swings = [row["swing"] for row in data["inputs"]]
    assert swings == sorted(swings, reverse=True)
    assert data["inputs"][0]["low"] in ("0.7", "-20%")


BAD_INPUT = [
    (["--vary", "cohorts.0.utilization=0.7:1.2"],
     "--vary: cohorts.0.utilization: value 1.2 is out of bounds: must be <= 1 (got 1.2)"),
    (["--vary", "cohorts.0.utilisation=0.7:1.0"],
     "--vary: cohorts.0.utilisation: no such field 'utilisation' in cohort; did you mean 'utilization'?"),
    (["--vary", "cohorts.0.utilization=0.7:1.0", "--metric", "margin"], "--metric: margin: is not a metric;"),
    (["--vary", "cohorts.0.utilization=0.9:0.7"],
     "--vary: cohorts.0.utilization: LOW must be below HIGH (got 0.9:0.7)"),
    (["--vary", "site.colocation_usd_per_kw_month=-10%:+10%"],
     "--vary: site.colocation_usd_per_kw_month: -10% is relative to the scenario's value, which is 0;"),
    (["--vary", "start_year=2020:2025"], "--vary: start_year: sets the period grid itself"),
    (["--vary", "cohorts.0.name=1:2"], "--vary: cohorts.0.name: is not a numeric field"),
    (["--vary", "cohorts.0.utilization=0.5"], "--vary: cohorts.0.utilization: expected LOW:HIGH"),
    (["--vary", "cohorts.0.utilization=low:1"], "--vary: cohorts.0.utilization: 'low' is not a number"),
    (["--vary", "cohorts.0.utilization=0.5:1", "--vary", "cohorts.*.utilization=0.6:0.9"],
     "--vary: cohorts.*.utilization: sets cohorts.0.utilization, which the input cohorts.0.utilization sets too"),
    (["--vary", "cohorts.0.utilization=0.5:1", "--spider", "1"], "--spider: 1: must be a whole number"),
    ([], "--vary: a tornado needs at least one input"),
]


@pytest.mark.parametrize("options, message", BAD_INPUT, ids=[m.split(":")[0] + ":" + m.split(":")[1]
                                                              for _, m in BAD_INPUT])
def test_bad_input_is_one_line_exit_2(capsys, options, message):
    assert main(["tornado", H100, "--backend", "numpy", *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dcecon: error: {message}"), captured.err


def test_percent_of_a_star_path_whose_cohorts_differ_is_refused():
    with pytest.raises(dcecon.ScenarioError, match=r"--vary: cohorts\.\*\.utilization: -10% is relative .* "
                                                   r"fields this path sets differ"):
        tornado(COREWEAVE, ["cohorts.*.utilization=-10%:+10%"], backend="numpy")
