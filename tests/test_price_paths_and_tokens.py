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
    # tokens/s x 3600 x price / 1e6: 1,850 tokens/s (DeepSeek's 14.8k per 8-GPU decoding node) at o1's $60/M
    # -> $399.60 per GPU-hour; at DeepSeek R1's $2.19/M -> $14.585 (hand calculation); and back.
    assert price_paths.usd_per_gpu_hour_from_tokens(60.0, 1850.0) == pytest.approx(399.6)
    assert price_paths.usd_per_gpu_hour_from_tokens(2.19, 1850.0) == pytest.approx(14.5854)
    assert price_paths.usd_per_million_tokens_from_gpu_hour(399.6, 1850.0) == pytest.approx(60.0)


# DeepSeek, "Day 6: One More Thing, DeepSeek-V3/R1 Inference System Overview" (2025-03-01,
# https://github.com/deepseek-ai/open-infra-index): one day (noon 27 Feb to noon 28 Feb 2025, UTC+8) of
# 226.75 H800 nodes x 8 GPUs at an assumed $2 per GPU-hour = $87,072; 608B input tokens (342B cache hits),
# 168B output tokens; $562,027 of revenue at R1's list prices ($0.14 / $0.55 / $2.19 per million tokens,
# https://api-docs.deepseek.com/quick_start/pricing); cost-profit margin 545%.
DEEPSEEK_DAILY_COST_USD = 87_072.0
DEEPSEEK_DAILY_REVENUE_USD = 562_027.0
DEEPSEEK_COST_PROFIT_MARGIN = 5.45


def test_deepseek_day_costs_two_dollars_per_gpu_hour_and_earns_its_545_percent_margin():
    # The scenario is DeepSeek's own inputs (GPU-hour cost, throughputs, token volumes, list prices), so the
    # margin is derived, not evidence: the check is that dcecon's arithmetic agrees with DeepSeek's.
    result = dcecon.evaluate(load_scenario(DEEPSEEK), backend="numpy")
    f = result.figures
    assert f["cost_usd_per_billed_gpu_hour"] == pytest.approx(2.0, rel=1e-12)    # the assumed H800 lease
    # Revenue per day: 365 days in the one-year window. Hand: 168e9 x 2.19e-6 + 342e9 x 0.14e-6 + 266e9 x
    # 0.55e-6 = 367,920 + 47,880 + 146,300 = $562,100 (DeepSeek's $562,027 from unrounded volumes: +0.013%).
    assert f["revenue_usd"] / 365 == pytest.approx(562_100.0, rel=1e-6)
    assert f["revenue_usd"] / 365 == pytest.approx(DEEPSEEK_DAILY_REVENUE_USD, rel=2e-4)
    # Cost per day: 1,814.9 GPUs (DeepSeek: 226.75 x 8 = 1,814) x 24 h x $2 = $87,115.6 (+0.05%).
    assert f["cogs_usd"] / 365 == pytest.approx((1051.05 + 763.86) * 24 * 2.0, rel=1e-9)
    assert f["cogs_usd"] / 365 == pytest.approx(DEEPSEEK_DAILY_COST_USD, rel=1e-3)
    # Cost-profit margin = revenue / cost - 1 = g / (1 - g): 5.452 (hand: 562,100 / 87,115.6 - 1) vs 545%.
    margin = f["gross_margin"] / (1.0 - f["gross_margin"])
    assert margin == pytest.approx(562_100.0 / 87_115.6 - 1.0, rel=1e-5)
    assert margin == pytest.approx(DEEPSEEK_COST_PROFIT_MARGIN, abs=0.005)


def test_deepseek_flat_breakeven_per_million_tokens_is_cost_per_gpu_hour_over_tokens():
    # Flat break-even: $2 / (1,850 x 3,600 / 1e6) = $0.3003 per million output tokens (decode) and
    # $2 / (9,212.5 x 3,600 / 1e6) = $0.0603 per million input tokens (prefill), by hand. With no decline and
    # no step, the row's age-0 break-even is the same number.
    result = dcecon.evaluate(load_scenario(DEEPSEEK), backend="numpy")
    decode, prefill = result.cohorts
    assert decode["name"] == "decode" and prefill["name"] == "prefill"
    flat_decode = price_paths.flat_breakeven_usd_per_million_tokens(decode["cost_usd_per_billed_gpu_hour"],
                                                                     decode["tokens_per_second_per_gpu"])
    assert flat_decode == pytest.approx(2.0 / (1850 * 3600 / 1e6), rel=1e-12)
    assert flat_decode == pytest.approx(0.3003, abs=5e-5)
    assert decode["breakeven_price_usd_per_million_tokens"] == pytest.approx(flat_decode, rel=1e-12)
    assert prefill["breakeven_price_usd_per_million_tokens"] == pytest.approx(2.0 / (9212.5 * 3600 / 1e6),
                                                                              rel=1e-12)
    # R1's $2.19 output price is 7.3x the flat break-even: the decode GPUs keep 1 - 0.3003 / 2.19 = 86.3%.
    assert decode["gross_margin"] == pytest.approx(1 - flat_decode / 2.19, rel=1e-12)


def test_step_cut_makes_age0_breakeven_the_pre_cut_price_not_the_flat_one():
    # The mechanics of a DeepSeek-style cut (R1's $2.19 against o1's $60, cut = 1 - 2.19/60 = 0.9635), put on
    # the decode cohort for illustration: from the sixth month (period start 2025.1667 + 5/12 = 2025.58337; step date 2025.5833) each month earns 3.65% of a
    # month before it. The age-0 break-even is then the pre-cut price that pays for the year; the flat
    # break-even (cost per billed hour / tokens per hour) does not move. Hand: 5 months at 1, 7 at 0.0365:
    # age-0 = flat x 12 / (5 + 7 x 0.0365).
    overrides = ["cohorts.decode.price_usd_per_million_tokens=60", "cohorts.decode.price_step_year=2025.5833",
                 "cohorts.decode.price_step_cut=0.9635"]
    result = dcecon.evaluate(load_scenario(DEEPSEEK, overrides), backend="numpy")
    revenue = [p["revenue_usd"] for p in result.periods]
    # Prefill revenue is flat; decode's drops to 3.65% from the sixth month.
    prefill_month = result.cohorts[1]["revenue_usd"] / 12
    assert (revenue[5] - prefill_month) / (revenue[4] - prefill_month) == pytest.approx(2.19 / 60, rel=1e-3)
    row = result.cohorts[0]
    assert row["price_usd_per_gpu_hour"] == pytest.approx(399.6)       # o1's $60 x 1,850 tokens/s: not a market price
    flat = price_paths.flat_breakeven_usd_per_million_tokens(row["cost_usd_per_billed_gpu_hour"],
                                                             row["tokens_per_second_per_gpu"])
    assert flat == pytest.approx(2.0 / (1850 * 3600 / 1e6), rel=1e-12)
    assert row["breakeven_price_usd_per_million_tokens"] == pytest.approx(flat * 12 / (5 + 7 * 0.0365), rel=1e-9)
    # The age-0 (pre-cut) break-even makes lifetime gross profit zero with the cut applied.
    pre_cut = row["breakeven_price_usd_per_million_tokens"]
    again = dcecon.evaluate(load_scenario(DEEPSEEK, overrides[1:] + [
        f"cohorts.decode.price_usd_per_million_tokens={pre_cut!r}"]), backend="numpy")
    assert abs(again.cohorts[0]["lifetime_gross_margin"]) < 1e-9


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


def test_cohort_rows_carry_the_flat_and_the_age0_token_breakevens():
    """docs/model.md §11: with a price step the age-0 break-even is the list price needed before the cut, the flat
    one the constant price that breaks even. DeepSeek's decode GPUs rent at $2/GPU-hour (DeepSeek, open-infra-index
    Day 6, 2025-03-01) and serve 1,850 output tokens/s: flat = $2 x 1e6 / (1,850 x 3,600) = $0.3003/M, whatever the
    price path; a 50% cut after the first half year roughly doubles what the age-0 price must be."""
    flat_by_hand = 2.0 * 1e6 / (1850 * 3600)
    base = dcecon.evaluate("deepseek-price-shock", backend="numpy").cohorts[0]
    assert base["name"] == "decode"
    assert base["flat_breakeven_price_usd_per_million_tokens"] == pytest.approx(flat_by_hand, rel=1e-9)
    assert base["breakeven_price_usd_per_million_tokens"] == pytest.approx(flat_by_hand, rel=1e-9)  # no path
    cut = dcecon.evaluate(dcecon.load_scenario("deepseek-price-shock", [
        "cohorts.decode.price_step_year=2025.6667", "cohorts.decode.price_step_cut=0.5"]), backend="numpy").cohorts[0]
    assert cut["flat_breakeven_price_usd_per_million_tokens"] == pytest.approx(flat_by_hand, rel=1e-9)
    assert cut["breakeven_price_usd_per_million_tokens"] > 1.3 * flat_by_hand
