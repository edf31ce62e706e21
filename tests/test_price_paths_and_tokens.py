"""Price paths (step cut, generation steps), token pricing and book vs economic depreciation (issue: valuation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dcecon
from dcecon.model import price_paths
from dcecon.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
H100 = ROOT / "scenarios" / "h100-neocloud-2024.toml"
DEEPSEEK = ROOT / "scenarios" / "deepseek-price-shock.toml"


def test_step_factor_applies_from_the_step_date(xp_backend, to_np):
    # A 30% cut on 2025.5: periods starting 2025.0 and 2025.25 keep the price, 2025.5 and later pay 0.7.
    xp, a = xp_backend.xp, xp_backend.asarray
    got = to_np(price_paths.step_factor(xp, a([2025.0, 2025.25, 2025.5, 2026.0]), a(2025.5), a(0.3)))
    np.testing.assert_allclose(got, [1.0, 1.0, 0.7, 0.7])


def test_generation_factor_counts_arrivals(xp_backend, to_np):
    # A generation every 2 years from 2026, each cutting the price by 25%: before 2026 factor 1; from 2026
    # 0.75; from 2028 0.75^2 = 0.5625 (hand calculation).
    xp, a = xp_backend.xp, xp_backend.asarray
    got = to_np(price_paths.generation_factor(xp, a([2025.9, 2026.0, 2027.9, 2028.0, 2030.5]), a(2026.0), a(2.0),
                                              a(0.25)))
    np.testing.assert_allclose(got, [1.0, 0.75, 0.75, 0.5625, 0.421875])


def test_token_price_converts_to_gpu_hour_price():
    # tokens/s x 3600 x price / 1e6: 1,850 tokens/s at $60/M -> $399.60 per GPU-hour; at DeepSeek R1's
    # $2.19/M -> $14.585 (hand calculation); and back.
    assert price_paths.usd_per_gpu_hour_from_tokens(60.0, 1850.0) == pytest.approx(399.6)
    assert price_paths.usd_per_gpu_hour_from_tokens(2.19, 1850.0) == pytest.approx(14.5854)
    assert price_paths.usd_per_million_tokens_from_gpu_hour(399.6, 1850.0) == pytest.approx(60.0)


def test_deepseek_shock_cuts_revenue_to_r1_share_of_o1():
    # DeepSeek R1 output $2.19/M vs o1 $60/M (DeepSeek API pricing, Jan 2025,
    # https://api-docs.deepseek.com/quick_start/pricing; OpenAI API pricing, https://openai.com/api/pricing/):
    # after the step on 2025-02-01 each month's revenue is 2.19 / 60 = 3.65% of a month before it (the cut
    # is 1 - 2.19/60 = 0.9635 in the file).
    result = dcecon.evaluate(load_scenario(DEEPSEEK), backend="numpy")
    periods = {round(p["period_start_year"], 4): p["revenue_usd"] for p in result.periods}
    before, after = periods[2025.0], periods[2025.0833]
    assert after / before == pytest.approx(2.19 / 60, rel=1e-3)
    row = result.cohorts[0]
    assert row["price_usd_per_million_tokens"] == 60.0
    assert row["price_usd_per_gpu_hour"] == pytest.approx(399.6)
    # The break-even token price (an age-0 price, the shock included) makes lifetime gross profit zero.
    breakeven = row["breakeven_price_usd_per_million_tokens"]
    again = dcecon.evaluate(load_scenario(DEEPSEEK, [f"cohorts.0.price_usd_per_million_tokens={breakeven!r}"]),
                            backend="numpy")
    assert abs(again.figures["lifetime_gross_profit_usd"]) < 1e-6 * again.figures["lifetime_revenue_usd"]


def test_step_lowers_margin_and_matches_manual_split():
    # A 50% cut on 2026.0 in the H100 scenario: 2024 and 2025 revenue unchanged, 2026-2028 halved.
    base = dcecon.evaluate(load_scenario(H100), backend="numpy")
    cut = dcecon.evaluate(load_scenario(H100, ["cohorts.0.price_step_year=2026.0", "cohorts.0.price_step_cut=0.5"]),
                          backend="numpy")
    for p0, p1 in zip(base.periods, cut.periods):
        factor = 0.5 if p0["period_start_year"] >= 2026.0 else 1.0
        assert p1["revenue_usd"] == pytest.approx(factor * p0["revenue_usd"], rel=1e-12)
    assert cut.gross_margin < base.gross_margin


@pytest.mark.parametrize("backend", ["numpy", "native"])
def test_grid_over_price_paths_matches_evaluate(backend):
    # Axes on the step cut and the generation interval (brute force: dcecon.evaluate per point).
    scenario = load_scenario(H100, ["cohorts.0.price_step_year=2026.0", "cohorts.0.price_step_cut=0.2",
                                    "cohorts.0.generation_interval_years=2", "cohorts.0.generation_price_cut=0.3"])
    axes = {"cohorts.0.price_step_cut": "0:0.6:3", "cohorts.0.generation_interval_years": "1.5,2,3"}
    result = dcecon.grid(scenario, axes=axes, backend=backend)
    values = []
    for i in range(result.plan.n_scenarios):
        overrides = [f"{k}={v!r}" for k, v in result.plan.parameters_at(i).items()]
        values.append(dcecon.evaluate(load_scenario(H100, ["cohorts.0.price_step_year=2026.0",
                                                           "cohorts.0.generation_price_cut=0.3"] + overrides),
                                      backend="numpy").npv_usd)
    summary = result.metric_summary("npv_usd")
    assert summary["mean"] == pytest.approx(np.mean(values), rel=1e-10)
    assert summary["min"] == pytest.approx(min(values), rel=1e-10)


def test_economic_life_gap_over_a_window_inside_the_life():
    # $50k x 1,024 GPUs, book 5 years vs economic 3 years, window 2024-2026 (3 years), no salvage:
    # book 3/5 of the base = 30.72M, economic the whole base = 51.2M, gap 20.48M; tax 0 -> overstatement 20.48M.
    result = dcecon.evaluate(load_scenario(H100, ["horizon_years=3", "cohorts.0.economic_life_years=3"]),
                             backend="numpy")
    f = result.figures
    assert f["depreciation_usd"] == pytest.approx(0.6 * 51.2e6)
    assert f["economic_depreciation_usd"] == pytest.approx(51.2e6)
    assert f["depreciation_gap_usd"] == pytest.approx(20.48e6)
    assert f["earnings_overstatement_usd"] == pytest.approx(20.48e6)
    taxed = dcecon.evaluate(load_scenario(H100, ["horizon_years=3", "cohorts.0.economic_life_years=3",
                                                 "finance.tax_rate=0.21"]), backend="numpy")
    assert taxed.figures["earnings_overstatement_usd"] == pytest.approx(20.48e6 * 0.79)


@pytest.mark.parametrize("overrides,field", [
    (["cohorts.0.price_usd_per_million_tokens=2.19"], "cohorts.0"),  # both GPU-hour and token prices
    (["cohorts.0.economic_life_years=0"], "cohorts.0.economic_life_years"),
])
def test_bad_token_and_life_input_is_one_scenario_error(overrides, field):
    with pytest.raises(dcecon.ScenarioError) as info:
        load_scenario(H100, overrides)
    assert field in str(info.value)
