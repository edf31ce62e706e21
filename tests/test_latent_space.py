"""Latent Space's H100 break-evens, reproduced from the article's stated inputs.

Source: Eugene Cheah, "$2 H100s: How the GPU Rental Bubble Burst", Latent
Space, 11 Oct 2024 (spreadsheets dated Aug 2024),
https://www.latent.space/p/gpu-bubble; its IRR table is an image, read
through summaries: "below about $1.65/hr loses money; above about $2.85/hr
beats a stock-market IRR". The inputs are those of
scenarios/h100-neocloud-2024.toml (see its header): $50k all-in per H100,
5-year life, 100% utilization, the price halving over 5 years
((1 - d)^5 = 0.5, d = 0.12945), no salvage, no tax, plus power at the EIA
2023 industrial average ($0.081/kWh) and the Uptime 2024 average PUE (1.56)
for a 1.275 kW DGX H100 share, because the article's $50k excludes it.

Hand calculation per GPU (docs/model.md §2, §3, §6, §8, annual periods):

- price-weighted billed hours over 5 years:
  8760 * sum_{a=0..4} (1 - d)^a = 8760 * (1 - 0.5) / 0.12945 = 33,836 h;
- lifetime cogs: depreciation 50,000 + power 5 * 8760 * 1.275 * 1.56 * 0.081
  = 5 * 1,411.2 = 7,056 -> 57,056;
- break-even price 57,056 / 33,836 = $1.686 per GPU-hour: 2.2% above the
  article's $1.65 (its $50k leaves power out, we charge it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dcecon
from dcecon.calibration.solver import calibrate
from dcecon.scenario.loader import apply_overrides, load_raw

ROOT = Path(__file__).resolve().parents[1]
H100 = ROOT / "scenarios" / "h100-neocloud-2024.toml"

ARTICLE_BREAKEVEN_PRICE = 1.65   # "below about $1.65/hr" the GPU loses money over 5 years
ARTICLE_10PCT_IRR_PRICE = 2.85   # "about $2.85/hr" earns "barely above 10% IRR"

# The reading of $2.85 that this file reproduces: the GPU earns for 3 years, not 5 (its book life stays
# 5 years). A reader comment on the article suggests this reading; with a 5-year earning life $2.85 gives an
# IRR far above 10% (test_five_year_reading_of_285_is_far_above_10_percent_irr), so "barely above 10%" cannot be
# the 5-year figure.
THREE_YEAR_EARNING_LIFE = "cohorts.0.service_life_years=3"


def _evaluate(*overrides: str):
    return dcecon.evaluate(dcecon.load_scenario(H100, list(overrides)), backend="numpy")


def test_five_year_breakeven_price_is_latent_space_165():
    # breakeven_price_usd_per_gpu_hour: the age-0 price where lifetime gross profit is zero (docs/model.md §8).
    result = _evaluate()
    assert result.breakeven_price_usd_per_gpu_hour == pytest.approx(ARTICLE_BREAKEVEN_PRICE, rel=0.03)
    # Our hand calculation (module docstring): 57,056 / 33,836 = 1.6863.
    hours = 8760 * (1 - 0.5) / 0.12945
    cogs = 50_000 + 5 * 8760 * 1.275 * 1.56 * 0.081
    assert result.breakeven_price_usd_per_gpu_hour == pytest.approx(cogs / hours, rel=1e-4)


def test_breakeven_price_is_the_zero_irr_price():
    # With zero salvage and zero tax, lifetime gross profit zero <=> undiscounted cash flows sum to zero
    # <=> IRR = 0 (docs/model.md §6, §8: free cash flow = ebitda, capex at in_service_year).
    breakeven = _evaluate().breakeven_price_usd_per_gpu_hour
    at_breakeven = _evaluate(f"cohorts.0.price_usd_per_gpu_hour={breakeven!r}")
    assert at_breakeven.lifetime_gross_profit_usd == pytest.approx(0.0, abs=1e-6 * at_breakeven.capex_usd)
    assert at_breakeven.irr == pytest.approx(0.0, abs=1e-6)


def test_five_year_irr_at_165_is_about_zero():
    # At the article's $1.65 the 5-year IRR is about 0 (within +-2 points); ours is slightly negative
    # (about -0.9%) because $1.65 is 2% below our break-even of $1.686.
    result = _evaluate("cohorts.0.price_usd_per_gpu_hour=1.65")
    assert abs(result.irr) <= 0.02
    assert result.irr < 0  # below our break-even price, so below a 0% return


def test_three_year_earning_life_irr_at_285_is_barely_above_10_percent():
    # "barely above 10% IRR" at $2.85: between 10% and 13% (ours: 11.6%).
    # Hand check per GPU: revenue 8760 * 2.85 * (1, 0.87055, 0.75786) = 24,966, 21,734, 18,921 minus power
    # 1,411 a year; discounted at 10%: 21,414 + 16,796 + 13,156 = 51,366 > 50,000, so the IRR is just above 10%.
    result = _evaluate(THREE_YEAR_EARNING_LIFE, f"cohorts.0.price_usd_per_gpu_hour={ARTICLE_10PCT_IRR_PRICE}")
    assert 0.10 < result.irr < 0.13
    assert result.npv_usd > 0  # the scenario discounts at 10% (the stock-market return of the article)


def test_five_year_reading_of_285_is_far_above_10_percent_irr():
    # Why the 3-year reading: over the full 5 years $2.85 earns well over 20%, not "barely above 10%".
    result = _evaluate(f"cohorts.0.price_usd_per_gpu_hour={ARTICLE_10PCT_IRR_PRICE}")
    assert result.irr > 0.20


def test_calibrated_10_percent_irr_price_is_latent_space_285():
    # dcecon.calibration.solver.calibrate solves the price for IRR = 10% with a 3-year earning life:
    # within 5% of the article's $2.85 (ours: $2.78).
    raw, provenance = load_raw(H100)
    apply_overrides(raw, [THREE_YEAR_EARNING_LIFE], provenance, str(H100))
    calibration = calibrate(raw, provenance, str(H100), {"irr": 0.10}, ["cohorts.0.price_usd_per_gpu_hour"],
                            backend="numpy")
    assert calibration.success
    price = calibration.solved_values()["cohorts.0.price_usd_per_gpu_hour"]
    assert price == pytest.approx(ARTICLE_10PCT_IRR_PRICE, rel=0.05)
    assert calibration.result.irr == pytest.approx(0.10, abs=1e-6)
    # Consistent with the IRR at $2.85 being above 10%: the 10% price is below $2.85.
    assert price < ARTICLE_10PCT_IRR_PRICE


def test_calibrate_cli_finds_the_10_percent_irr_price():
    # The same through the command line (a real process).
    proc = subprocess.run(
        [sys.executable, "-m", "dcecon", "calibrate", "scenarios/h100-neocloud-2024.toml", "--target", "irr=0.10",
         "--free", "cohorts.0.price_usd_per_gpu_hour", "--set", THREE_YEAR_EARNING_LIFE, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["success"] is True
    assert out["achieved"]["irr"] == pytest.approx(0.10, abs=1e-6)
    assert out["solved"]["cohorts.0.price_usd_per_gpu_hour"] == pytest.approx(ARTICLE_10PCT_IRR_PRICE, rel=0.05)
