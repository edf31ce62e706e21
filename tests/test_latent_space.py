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
- break-even price 57,056 / 33,836 = $1.686 per GPU-hour, 2.2% above the
  article's $1.65.

The gap is NOT "the power we charge": without power the break-even is
50,000 / 33,836 = $1.478, 10.4% below $1.65, so power overshoots it. The
tests below decompose the break-even and rule out the candidate definitions
one by one, each computed with dcecon (test_latent_space_gap_*); none of them
lands on $1.65, and the gap stays unexplained: a cost beyond the $50k of about
$0.133 per GPU-hour (e.g. our power at PUE 1.3 instead of 1.56) would close it,
but the article states no such cost, so that is a fit, not an explanation.
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

# A reading of $2.85 chosen because it fits: the GPU earns for 3 years, not 5 (its book life stays 5 years).
# A reader comment on the article suggests it; with the article's 5-year life $2.85 gives an IRR of 26%
# (test_five_year_reading_of_285_is_far_above_10_percent_irr), so "barely above 10%" cannot be the 5-year
# figure. Chosen to fit, this reading is not evidence that the model reproduces $2.85.
THREE_YEAR_EARNING_LIFE = "cohorts.0.service_life_years=3"
NO_POWER = "site.electricity_usd_per_kwh=0"

# Hand figures per GPU (module docstring): price-weighted billed hours over 5 years, and the lifetime costs.
D = 0.12945
WEIGHTED_HOURS = 8760 * (1 - 0.5) / D                 # 33,836 h
POWER_USD = 5 * 8760 * 1.275 * 1.56 * 0.081           # 7,056 over 5 years


def _evaluate(*overrides: str):
    return dcecon.evaluate(dcecon.load_scenario(H100, list(overrides)), backend="numpy")


def test_five_year_breakeven_price_is_2_2_percent_above_latent_space_165():
    # breakeven_price_usd_per_gpu_hour: the age-0 price where lifetime gross profit is zero (docs/model.md §8).
    # Measured: 1.6863 / 1.65 = 1.0220 (an out-of-sample figure: $1.65 is neither an input nor a target).
    result = _evaluate()
    assert result.breakeven_price_usd_per_gpu_hour / ARTICLE_BREAKEVEN_PRICE == pytest.approx(1.0220, abs=5e-4)
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
    # "barely above 10% IRR" at $2.85: between 10% and 13% (ours: 11.6%) - under the 3-year reading chosen to fit.
    # Hand check per GPU: revenue 8760 * 2.85 * (1, 0.87055, 0.75786) = 24,966, 21,734, 18,921 minus power
    # 1,411 a year; discounted at 10%: 21,414 + 16,796 + 13,156 = 51,366 > 50,000, so the IRR is just above 10%.
    result = _evaluate(THREE_YEAR_EARNING_LIFE, f"cohorts.0.price_usd_per_gpu_hour={ARTICLE_10PCT_IRR_PRICE}")
    assert 0.10 < result.irr < 0.13
    assert result.npv_usd > 0  # the scenario discounts at 10% (the stock-market return of the article)


def test_five_year_reading_of_285_is_far_above_10_percent_irr():
    # Why the 3-year reading: over the article's 5 years $2.85 earns 26.3% with power (30.4% without), not
    # "barely above 10%"; the 5-year 10%-IRR price is $2.10 ($1.90 without power), below.
    result = _evaluate(f"cohorts.0.price_usd_per_gpu_hour={ARTICLE_10PCT_IRR_PRICE}")
    assert result.irr == pytest.approx(0.2632, abs=5e-4)
    unpowered = _evaluate(NO_POWER, f"cohorts.0.price_usd_per_gpu_hour={ARTICLE_10PCT_IRR_PRICE}")
    assert unpowered.irr == pytest.approx(0.3035, abs=5e-4)


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


# --- The $1.686 vs $1.65 gap, decomposed (README "What the report shows") ----------------------------------------

def _npv_zero_price(*overrides: str) -> float:
    """The age-0 price where the NPV at the scenario's discount rate is zero, from two evaluations: pre-tax and
    without salvage the NPV is linear in the price (docs/model.md §6)."""
    low = _evaluate(*overrides, "cohorts.0.price_usd_per_gpu_hour=1.0").npv_usd
    high = _evaluate(*overrides, "cohorts.0.price_usd_per_gpu_hour=3.0").npv_usd
    return 1.0 - low * 2.0 / (high - low)


def test_latent_space_gap_breakeven_is_capex_1478_plus_power_0209():
    # Capex alone over the price-weighted hours: 50,000 / 33,836 = $1.4777, 10.4% BELOW the article's $1.65;
    # power adds 7,056 / 33,836 = $0.2085. So power does not explain the 2% gap: it overshoots it by 5 times.
    capex_only = _evaluate(NO_POWER).breakeven_price_usd_per_gpu_hour
    with_power = _evaluate().breakeven_price_usd_per_gpu_hour
    assert capex_only == pytest.approx(50_000 / WEIGHTED_HOURS, rel=1e-4)
    assert with_power - capex_only == pytest.approx(POWER_USD / WEIGHTED_HOURS, rel=1e-4)
    assert capex_only / ARTICLE_BREAKEVEN_PRICE == pytest.approx(0.8956, abs=5e-4)
    assert (with_power - ARTICLE_BREAKEVEN_PRICE) / (with_power - capex_only) == pytest.approx(0.174, abs=1e-3)


def test_latent_space_gap_is_not_irr_versus_npv_at_10_percent():
    # "Loses money" read as NPV < 0 at the 10% stock-market rate instead of IRR < 0: the break-even rises to
    # $1.899 without power ($2.103 with), away from $1.65. Hand (year-end cash flows, capex at t = 0):
    # 50,000 / (8760 x sum_{a=0..4} (1 - d)^a / 1.1^(a+1)) = 50,000 / (8760 x 3.00523) = 1.8993.
    annuity = sum((1 - D) ** a / 1.1 ** (a + 1) for a in range(5))
    assert _npv_zero_price(NO_POWER) == pytest.approx(50_000 / (8760 * annuity), rel=1e-6)
    assert _npv_zero_price(NO_POWER) == pytest.approx(1.8993, abs=5e-4)
    assert _npv_zero_price() == pytest.approx(2.1025, abs=5e-4)


def test_latent_space_gap_is_not_depreciation_versus_capex_timing():
    # Lifetime gross profit (straight-line depreciation) and undiscounted cash (capex paid up front) agree
    # with no salvage and no tax, so the timing of the $50k cannot move the break-even: at the capex-only
    # break-even the IRR is 0, and double-declining depreciation gives the same price.
    capex_only = _evaluate(NO_POWER).breakeven_price_usd_per_gpu_hour
    assert _evaluate(NO_POWER, f"cohorts.0.price_usd_per_gpu_hour={capex_only!r}").irr == pytest.approx(0.0, abs=1e-6)
    ddb = _evaluate(NO_POWER, "cohorts.0.depreciation_method=double_declining_balance")
    assert ddb.breakeven_price_usd_per_gpu_hour == pytest.approx(capex_only, rel=1e-12)


@pytest.mark.parametrize("reading, overrides, capex_only, with_power", [
    # Annual steps (the scenario): the price holds for a year, then falls 12.945%.
    ("annual steps", (), 1.4777, 1.6863),
    # Monthly periods: the decline runs within the year, fewer price-weighted hours (by hand:
    # 730 h x sum_{m=0..59} 0.5^(m/60) = 730 x 0.5 / (1 - 0.5^(1/60)) = 31,778 h; 50,000 / 31,778 = 1.5734).
    ("monthly decline", ("periods_per_year=12",), 1.5734, 1.7955),
    # Half reached in the fifth year (d = 1 - 0.5^(1/4) = 0.1591) instead of after it.
    ("half by year 5", (f"cohorts.0.price_decline_per_year={1 - 0.5 ** 0.25!r}",), 1.5669, 1.7881),
    # $1.65 read as the average price over the 5 years (a flat price): cost per billed hour.
    ("flat average", ("cohorts.0.price_decline_per_year=0",), 1.1416, 1.3027),
], ids=["annual", "monthly", "half-by-year-5", "flat-average"])
def test_latent_space_gap_no_price_path_reading_lands_on_165(reading, overrides, capex_only, with_power):
    # Each reading of "a gradual drop to 50% across 5 years", with and without power: none within 2% of $1.65
    # except the scenario's own with-power figure (+2.2%), whose closeness the decomposition above shows to be
    # a coincidence of our power inputs.
    got_capex_only = _evaluate(NO_POWER, *overrides).breakeven_price_usd_per_gpu_hour
    got_with_power = _evaluate(*overrides).breakeven_price_usd_per_gpu_hour
    assert got_capex_only == pytest.approx(capex_only, abs=5e-4), reading
    assert got_with_power == pytest.approx(with_power, abs=5e-4), reading
    assert abs(got_capex_only / ARTICLE_BREAKEVEN_PRICE - 1) > 0.04


def test_latent_space_gap_closes_with_a_0133_per_hour_cost_the_article_does_not_state():
    # What would close it: $1.65 x 33,836 h - $50,000 = $5,830 over 5 years, $1,166 a year, $0.133 per hour
    # (82.6% of our power charge); our power at PUE 1.3 instead of Uptime's 1.56 gives $1.6515. A fit, not a
    # finding: the article states no tariff or PUE.
    extra_per_year = (ARTICLE_BREAKEVEN_PRICE * WEIGHTED_HOURS - 50_000) / 5
    assert extra_per_year == pytest.approx(1_165.9, abs=0.5)
    assert extra_per_year / 8760 == pytest.approx(0.1331, abs=1e-4)
    assert _evaluate("site.pue=1.3").breakeven_price_usd_per_gpu_hour == pytest.approx(1.6515, abs=5e-4)
