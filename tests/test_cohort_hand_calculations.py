"""One cohort computed by hand, line by line, fleet sums, and periods of other lengths.

The definitions are those of docs/model.md §2 (Flows per GPU at age `a`),
§3 (Depreciation), §4 (Window P&L), §6 (Fleet investment view) and §1
(Periods and ages).

The hand-calculated cohort ("hand"):

- 100 GPUs in service 2025.0 for 3 years, capex 30,000 per GPU, straight line
  over 3 years, salvage 10%;
- 1.0 kW per GPU, idle power 20%, utilization 75%, PUE 1.25, electricity
  0.10 USD/kWh escalating 5% a year;
- price 3.00 USD/GPU-hour at age 0, falling 20% a year;
- maintenance 2% of capex a year, other opex 1,000 per GPU-year;
- leased at 100 USD/kW-month (or owned at 10M USD/MW over 10 years);
- discount rate 8%, tax 21% on positive gross profit.

Every expected number is worked out in the comments; numpy-financial gives an
independent NPV and IRR of the hand-written cash flows. The tests of the
hand cohort run on NumPy and on array-api-strict; the in-service date test
compares the bundled Oracle fixture (``scenarios/oracle-fy26q1.toml``, its
Blackwell cohort in service at 2025 + 5/12) with the same date written with
four decimals.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import numpy_financial as npf
import pytest

import dcecon
from dcecon.model.cohort import FLOW_NAMES
from dcecon.scenario.loader import load_scenario
from dcecon.scenario.schema import Scenario
from helpers.paths import ORACLE

# The flows that add up across cohorts and periods (dcecon.model.cohort.FLOW_NAMES).
ADDITIVE_FIELDS = FLOW_NAMES

HAND_COHORT = {
    "name": "hand",
    "gpus": 100,
    "in_service_year": 2025.0,
    "capex_usd_per_gpu": 30_000.0,
    "book_life_years": 3,
    "depreciation_method": "straight_line",
    "salvage_fraction": 0.1,
    "power_kw_per_gpu": 1.0,
    "idle_power_fraction": 0.2,
    "utilization": 0.75,
    "price_usd_per_gpu_hour": 3.0,
    "price_decline_per_year": 0.2,
    "maintenance_fraction_of_capex_per_year": 0.02,
    "other_opex_usd_per_gpu_year": 1_000.0,
}

HAND_SCENARIO = {
    "name": "hand",
    "description": "single cohort computed by hand",
    "start_year": 2025.0,
    "horizon_years": 3,
    "periods_per_year": 1,
    "site": {
        "pue": 1.25,
        "electricity_usd_per_kwh": 0.10,
        "electricity_escalation_per_year": 0.05,
        "colocation_usd_per_kw_month": 100.0,
    },
    "finance": {"discount_rate": 0.08, "tax_rate": 0.21},
    "cohorts": [HAND_COHORT],
}


def scenario(base=HAND_SCENARIO, site=None, finance=None, cohorts=None, **top):
    data = copy.deepcopy(base)
    data.update(top)
    if site is not None:
        data["site"] = site
    if finance is not None:
        data["finance"].update(finance)
    if cohorts is not None:
        data["cohorts"] = cohorts
    return Scenario.model_validate(data)


def cohort(**changes):
    out = copy.deepcopy(HAND_COHORT)
    out.update(changes)
    return out


def run(xp_backend, sc):
    return dcecon.evaluate(sc, backend=xp_backend)


# Hand calculation, per year a = 0, 1, 2 (cohort totals, 100 GPUs):
#   hours 8,760; billed 8,760 * 0.75 = 6,570 h per GPU -> 657,000 GPU-hours a year
#   price 3.00 * 0.8^a = 3.00, 2.40, 1.92
#   revenue 657,000 * price = 1,971,000; 1,576,800; 1,261,440            (total 4,809,240)
#   load 0.2 + 0.8 * 0.75 = 0.8; energy 100 * 8,760 * 1.0 kW * 0.8 * 1.25 = 876,000 kWh a year
#   power 876,000 * 0.10 * 1.05^a = 87,600; 91,980; 96,579               (total 276,159)
#   colocation 100 * 100 USD/kW-month * 12 * 1.0 kW = 120,000 a year
#   opex 100 * (0.02 * 30,000 + 1,000) = 160,000 a year
#   depreciation 100 * 30,000 * (1 - 0.1) / 3 = 900,000 a year
#   cogs 900,000 + power + 120,000 + 160,000 = 1,267,600; 1,271,980; 1,276,579 (total 3,816,159)
#   gross profit 703,400; 304,820; -15,139                               (total 993,081)
#   EBITDA revenue - power - opex - colocation = 1,603,400; 1,204,820; 884,861 (total 3,693,081)
#   tax 0.21 * max(0, gross profit) = 147,714; 64,012.2; 0 (a loss is not taxed)
#   free cash flow 1,455,686; 1,140,807.8; 884,861, at the end of each year
#   salvage 0.1 * 30,000 * 100 = 300,000 at t = 3; capex 30,000 * 100 = 3,000,000 at t = 0
REVENUE = [1_971_000.0, 1_576_800.0, 1_261_440.0]
POWER = [87_600.0, 91_980.0, 96_579.0]
COLOCATION = 120_000.0
OPEX = 160_000.0
DEPRECIATION = 900_000.0
COGS = [1_267_600.0, 1_271_980.0, 1_276_579.0]
GROSS_PROFIT = [703_400.0, 304_820.0, -15_139.0]
EBITDA = [1_603_400.0, 1_204_820.0, 884_861.0]
FREE_CASH_FLOW = [1_455_686.0, 1_140_807.8, 884_861.0]
CAPEX = 3_000_000.0
SALVAGE = 300_000.0


def test_hand_calculation_check_of_the_expected_numbers():
    # The literals above follow from the formulas in the comment (guards against typos in them).
    for a in range(3):
        assert REVENUE[a] == pytest.approx(100 * 8760 * 0.75 * 3.0 * 0.8**a)
        assert POWER[a] == pytest.approx(100 * 8760 * 1.0 * (0.2 + 0.8 * 0.75) * 1.25 * 0.10 * 1.05**a)
        assert COGS[a] == pytest.approx(DEPRECIATION + POWER[a] + COLOCATION + OPEX)
        assert GROSS_PROFIT[a] == pytest.approx(REVENUE[a] - COGS[a])
        assert EBITDA[a] == pytest.approx(REVENUE[a] - POWER[a] - OPEX - COLOCATION)
        assert FREE_CASH_FLOW[a] == pytest.approx(EBITDA[a] - 0.21 * max(0.0, GROSS_PROFIT[a]))


def test_hand_calculated_cohort_window_pnl(xp_backend):
    result = run(xp_backend, scenario())
    f = result.figures
    assert f["revenue_usd"] == pytest.approx(4_809_240.0, rel=1e-12)  # sum of REVENUE
    assert f["power_cost_usd"] == pytest.approx(276_159.0, rel=1e-12)  # sum of POWER
    assert f["facility_cost_usd"] == pytest.approx(3 * COLOCATION, rel=1e-12)  # 360,000
    assert f["opex_usd"] == pytest.approx(3 * OPEX, rel=1e-12)  # 480,000
    assert f["depreciation_usd"] == pytest.approx(3 * DEPRECIATION, rel=1e-12)  # 2,700,000 = base
    assert f["cogs_usd"] == pytest.approx(3_816_159.0, rel=1e-12)
    assert f["gross_profit_usd"] == pytest.approx(993_081.0, rel=1e-12)
    assert f["ebitda_usd"] == pytest.approx(3_693_081.0, rel=1e-12)
    assert f["energy_kwh"] == pytest.approx(3 * 876_000.0, rel=1e-12)
    assert f["billed_gpu_hours"] == pytest.approx(3 * 657_000.0, rel=1e-12)
    # gross margin = 993,081 / 4,809,240 = 0.206494... (ratio of the sums)
    assert f["gross_margin"] == pytest.approx(993_081.0 / 4_809_240.0, rel=1e-12)
    # one row per year, as in the hand calculation
    assert [p["period_start_year"] for p in result.periods] == pytest.approx([2025.0, 2026.0, 2027.0])
    for a, row in enumerate(result.periods):
        assert row["revenue_usd"] == pytest.approx(REVENUE[a], rel=1e-12)
        assert row["power_cost_usd"] == pytest.approx(POWER[a], rel=1e-12)
        assert row["facility_cost_usd"] == pytest.approx(COLOCATION, rel=1e-12)
        assert row["opex_usd"] == pytest.approx(OPEX, rel=1e-12)
        assert row["depreciation_usd"] == pytest.approx(DEPRECIATION, rel=1e-12)
        assert row["cogs_usd"] == pytest.approx(COGS[a], rel=1e-12)
        assert row["gross_profit_usd"] == pytest.approx(GROSS_PROFIT[a], rel=1e-9)
        assert row["ebitda_usd"] == pytest.approx(EBITDA[a], rel=1e-12)
    # a single cohort's row is the fleet
    for name in ADDITIVE_FIELDS + ("gross_margin", "npv_usd", "breakeven_price_usd_per_gpu_hour"):
        assert result.cohorts[0][name] == pytest.approx(f[name], rel=1e-12)


def test_hand_calculated_cohort_investment_view(xp_backend):
    f = run(xp_backend, scenario()).figures
    assert f["capex_usd"] == pytest.approx(CAPEX, rel=1e-12)
    # NPV at 8%: -3,000,000 + 1,455,686 / 1.08 + 1,140,807.8 / 1.08^2 + (884,861 + 300,000) / 1.08^3
    #          = -3,000,000 + 1,347,857.41 + 978,058.13 + 940,581.54 = 266,497.08
    hand_npv = (-CAPEX + FREE_CASH_FLOW[0] / 1.08 + FREE_CASH_FLOW[1] / 1.08**2
                + (FREE_CASH_FLOW[2] + SALVAGE) / 1.08**3)
    cash_flows = [-CAPEX, FREE_CASH_FLOW[0], FREE_CASH_FLOW[1], FREE_CASH_FLOW[2] + SALVAGE]
    assert hand_npv == pytest.approx(npf.npv(0.08, cash_flows), rel=1e-12)  # numpy-financial: 266,497.08
    assert f["npv_usd"] == pytest.approx(hand_npv, rel=1e-9)
    # IRR of the same flows, numpy_financial.irr: 13.057%
    assert f["irr"] == pytest.approx(npf.irr(cash_flows), rel=1e-7)
    # payback: cumulative FCF 1,455,686; 2,596,493.8; 3,481,354.8 (salvage not counted) crosses
    # 3,000,000 in year 3: 2 + (3,000,000 - 2,596,493.8) / 884,861 = 2.456011 years
    assert f["payback_years"] == pytest.approx(2 + (CAPEX - 2_596_493.8) / 884_861.0, rel=1e-12)
    # break-even price: sum(cogs) / sum(billed hours * 0.8^a) = 3,816,159 / (657,000 * (1 + 0.8 + 0.64))
    #                 = 3,816,159 / 1,603,080 = 2.380517 USD/GPU-hour
    assert f["breakeven_price_usd_per_gpu_hour"] == pytest.approx(3_816_159.0 / 1_603_080.0, rel=1e-12)
    # break-even utilization: gross profit = u * S - F with
    #   revenue at u = 1: 100 * 8,760 * 3.00 * (1 + 0.8 + 0.64) = 6,412,320
    #   power at full load: 100 * 8,760 * 1.25 * 0.10 * (1 + 1.05 + 1.1025) = 345,198.75
    #   S = 6,412,320 - (1 - 0.2) * 345,198.75 = 6,136,161
    #   F = 3 * (900,000 + 120,000 + 160,000) + 0.2 * 345,198.75 = 3,609,039.75
    #   u* = 3,609,039.75 / 6,136,161 = 0.588159
    assert f["breakeven_utilization"] == pytest.approx(3_609_039.75 / 6_136_161.0, rel=1e-12)
    # cost per billed GPU-hour: 3,816,159 / (657,000 * 3) = 1.936154
    assert f["cost_usd_per_billed_gpu_hour"] == pytest.approx(3_816_159.0 / 1_971_000.0, rel=1e-12)
    assert f["lifetime_gross_profit_usd"] == pytest.approx(993_081.0, rel=1e-9)


def test_hand_calculated_cohort_untaxed_npv_and_zero_discount_rate(xp_backend):
    # Tax 0: FCF = EBITDA; at a 0% discount rate the NPV is the plain sum:
    # -3,000,000 + 1,603,400 + 1,204,820 + 884,861 + 300,000 = 993,081 (= lifetime gross profit,
    # since depreciation 2,700,000 + salvage 300,000 = capex).
    f = run(xp_backend, scenario(finance={"tax_rate": 0.0, "discount_rate": 0.0})).figures
    assert f["npv_usd"] == pytest.approx(993_081.0, rel=1e-9)


def test_hand_calculated_owned_facility(xp_backend):
    # Owned building 10,000,000 USD per MW of IT load, 10-year life, instead of the lease:
    #   share per GPU 10,000,000 / 1,000 * 1.0 kW = 10,000; depreciation 10,000 / 10 = 1,000 a year
    #   -> facility cost 100 * 1,000 = 100,000 a year (a cost in cogs, not in EBITDA)
    #   capex (30,000 + 10,000) * 100 = 4,000,000
    #   residual after 3 of 10 years: 10,000 * (1 - 3/10) * 100 = 700,000, back at t = 3 with salvage 300,000
    #   cogs = 900,000 + power + 100,000 + 160,000 = 1,247,600; 1,251,980; 1,256,579
    #   gross profit 723,400; 324,820; 4,861
    #   EBITDA = revenue - power - opex = 1,723,400; 1,324,820; 1,004,861
    #   tax 0.21 * GP = 151,914; 68,212.2; 1,020.81 -> FCF 1,571,486; 1,256,607.8; 1,003,840.19
    site = {"pue": 1.25, "electricity_usd_per_kwh": 0.10, "electricity_escalation_per_year": 0.05,
            "facility_capex_usd_per_mw": 10_000_000.0, "facility_life_years": 10.0}
    result = run(xp_backend, scenario(site=site))
    f = result.figures
    assert f["facility_cost_usd"] == pytest.approx(300_000.0, rel=1e-12)
    assert f["cogs_usd"] == pytest.approx(1_247_600.0 + 1_251_980.0 + 1_256_579.0, rel=1e-12)
    assert f["ebitda_usd"] == pytest.approx(1_723_400.0 + 1_324_820.0 + 1_004_861.0, rel=1e-12)
    assert f["capex_usd"] == pytest.approx(4_000_000.0, rel=1e-12)
    fcf = [1_723_400.0 - 0.21 * 723_400.0, 1_324_820.0 - 0.21 * 324_820.0, 1_004_861.0 - 0.21 * 4_861.0]
    np.testing.assert_allclose(fcf, [1_571_486.0, 1_256_607.8, 1_003_840.19], rtol=1e-12)
    cash_flows = [-4_000_000.0, fcf[0], fcf[1], fcf[2] + 300_000.0 + 700_000.0]
    hand_npv = -4_000_000.0 + fcf[0] / 1.08 + fcf[1] / 1.08**2 + (fcf[2] + 1_000_000.0) / 1.08**3
    assert hand_npv == pytest.approx(npf.npv(0.08, cash_flows), rel=1e-12)
    assert f["npv_usd"] == pytest.approx(hand_npv, rel=1e-9)
    assert f["irr"] == pytest.approx(npf.irr(cash_flows), rel=1e-7)
    # payback counts neither salvage nor residual: cumulative 1,571,486; 2,828,093.8; 3,831,933.99
    # reaches 4,000,000 never -> +inf
    assert f["payback_years"] == math.inf


def test_hand_calculated_cohort_with_it_power_instead_of_gpus(xp_backend):
    # it_power_mw 0.1 at 1.0 kW per GPU -> 0.1 * 1000 / 1.0 = 100 GPUs: the same numbers as "hand".
    it_cohort = cohort(gpus=None, it_power_mw=0.1)
    del it_cohort["gpus"]
    a = run(xp_backend, scenario(cohorts=[it_cohort])).figures
    b = run(xp_backend, scenario()).figures
    for name in ADDITIVE_FIELDS + ("npv_usd",):
        assert a[name] == pytest.approx(b[name], rel=1e-12)


# --------------------------------------------------------------------------------------------
# Quarterly and monthly periods against annual ones
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["straight_line", "double_declining_balance", "sum_of_years_digits"])
@pytest.mark.parametrize("periods_per_year", [4, 12])
def test_quarterly_and_monthly_annual_totals_equal_annual_periods(xp_backend, method, periods_per_year):
    # With no price decline and no escalation every per-period flow is the annual flow / ppy
    # (docs/model.md §1 Periods and ages, §3 Depreciation), so each year's periods add up to the annual row.
    flat = cohort(price_decline_per_year=0.0, depreciation_method=method, book_life_years=3)
    site = dict(HAND_SCENARIO["site"], electricity_escalation_per_year=0.0)
    annual = run(xp_backend, scenario(site=site, cohorts=[flat]))
    sub = run(xp_backend, scenario(site=site, cohorts=[flat], periods_per_year=periods_per_year))
    assert len(sub.periods) == 3 * periods_per_year
    for year, row in enumerate(annual.periods):
        chunk = sub.periods[year * periods_per_year:(year + 1) * periods_per_year]
        assert chunk[0]["period_start_year"] == pytest.approx(row["period_start_year"])
        for name in ADDITIVE_FIELDS:
            assert sum(p[name] for p in chunk) == pytest.approx(row[name], rel=1e-12, abs=1e-6)
    for name in ADDITIVE_FIELDS + ("gross_margin", "breakeven_price_usd_per_gpu_hour", "breakeven_utilization",
                                   "cost_usd_per_billed_gpu_hour", "capex_usd", "lifetime_gross_profit_usd"):
        assert sub.figures[name] == pytest.approx(annual.figures[name], rel=1e-12)
    # Flat price: revenue 657,000 GPU-hours * 3.00 = 1,971,000 a year, 492,750 a quarter.
    assert sub.periods[0]["revenue_usd"] == pytest.approx(1_971_000.0 / periods_per_year, rel=1e-12)
    # Cash arrives earlier with shorter periods, so the NPV is (a little) higher, never lower.
    assert sub.figures["npv_usd"] > annual.figures["npv_usd"]


def test_four_decimal_in_service_dates_land_on_the_period_grid():
    # 2025.4167 is 1 June 2025 written with four decimals (docs/model.md §1, Periods and ages: snapping): the
    # Blackwell cohort still earns its first month, so the quarter's revenue is unchanged (to rounding of the age).
    base = dcecon.evaluate(load_scenario(ORACLE), backend="numpy")
    rounded = dcecon.evaluate(load_scenario(ORACLE, ["cohorts.1.in_service_year=2025.4167"]), backend="numpy")
    assert rounded.revenue_usd == pytest.approx(base.revenue_usd, rel=1e-4)


# --------------------------------------------------------------------------------------------
# A fleet of cohorts: sums of cohort rows, ratios of sums
# --------------------------------------------------------------------------------------------

FLEET_COHORTS = [
    # bought a year before the window: ages 1 and 2 fall in the 3-year window 2025-2027
    cohort(name="old", in_service_year=2024.0, depreciation_method="double_declining_balance"),
    # bought in 2026: ages 0 and 1 in the window; own power and lease; 4-year life
    cohort(name="new", gpus=50, in_service_year=2026.0, capex_usd_per_gpu=40_000.0, book_life_years=4,
           depreciation_method="sum_of_years_digits", utilization=0.6, price_usd_per_gpu_hour=4.0,
           price_decline_per_year=0.3, pue=1.1, electricity_usd_per_kwh=0.05, colocation_usd_per_kw_month=150.0,
           salvage_fraction=0.0),
]


@pytest.mark.parametrize("periods_per_year", [1, 4])
def test_fleet_window_figures_are_sums_of_cohort_rows(xp_backend, periods_per_year):
    result = run(xp_backend, scenario(cohorts=FLEET_COHORTS, periods_per_year=periods_per_year,
                                      finance={"tax_rate": 0.0}))
    f = result.figures
    for name in ADDITIVE_FIELDS:
        assert f[name] == pytest.approx(sum(c[name] for c in result.cohorts), rel=1e-12)
        assert f[name] == pytest.approx(sum(p[name] for p in result.periods), rel=1e-12)
    # Ratios of the sums, never averages of ratios (docs/model.md §4, Window P&L).
    assert f["gross_margin"] == pytest.approx(f["gross_profit_usd"] / f["revenue_usd"], rel=1e-12)
    mean_of_margins = np.mean([c["gross_margin"] for c in result.cohorts])
    assert abs(f["gross_margin"] - mean_of_margins) > 1e-3
    assert f["capex_usd"] == pytest.approx(sum(c["capex_usd"] for c in result.cohorts), rel=1e-12)
    # Hand check of the window: "old" earns at ages 1 and 2 only:
    #   100 * 6,570 h * 3.00 * (0.8 + 0.64) = 2,838,240 (decline is by age, not calendar year);
    # "new" at ages 0 and 1: 50 * 8,760 * 0.6 = 262,800 h a year * 4.00 * (1 + 0.7) = 1,787,040.
    # (With quarterly periods the ages are 1, 1.25, ... and the sums differ; annual only.)
    old, new = result.cohorts
    if periods_per_year == 1:
        assert old["revenue_usd"] == pytest.approx(2_838_240.0, rel=1e-12)
        assert new["revenue_usd"] == pytest.approx(1_787_040.0, rel=1e-12)
        # "old" DDB per GPU, VDB(30000, 3000, 3, k, k+1, 2) = 20,000; 6,666.67; 333.33 (hand calculation:
        # k=0: min(2/3 * 30,000, 27,000) = 20,000, bv 10,000; k=1: min(2/3 * 10,000, 7,000) = 6,666.67 vs
        # SL 7,000 / 2 = 3,500 -> 6,666.67, bv 3,333.33; k=2: min(2,222.22, 333.33) = 333.33 = SL).
        # The window holds k = 1, 2: 100 * (6,666.67 + 333.33) = 700,000.
        assert old["depreciation_usd"] == pytest.approx(700_000.0, rel=1e-12)
        # "new" SYD, base 40,000, digits 10: 16,000 and 12,000 per GPU -> 50 * 28,000 = 1,400,000.
        assert new["depreciation_usd"] == pytest.approx(1_400_000.0, rel=1e-12)


@pytest.mark.parametrize("periods_per_year", [1, 4])
def test_fleet_investment_figures_combine_cohorts(xp_backend, periods_per_year):
    result = run(xp_backend, scenario(cohorts=FLEET_COHORTS, periods_per_year=periods_per_year,
                                      finance={"tax_rate": 0.0}))
    f = result.figures
    old, new = result.cohorts
    # Untaxed, the fleet NPV at start_year 2025 is each cohort's NPV (on its own clock) moved to 2025:
    # old (2024) compounded one year, new (2026) discounted one year.
    assert f["npv_usd"] == pytest.approx(old["npv_usd"] * 1.08 + new["npv_usd"] / 1.08, rel=1e-9)
    # Lifetime billed GPU-hours (hand): old 100 * 8,760 * 0.75 * 3 = 1,971,000; new 50 * 8,760 * 0.6 * 4
    # = 1,051,200. Fleet cost per billed hour = (sum of each cohort's cost * its hours) / sum of hours.
    hours = np.array([1_971_000.0, 1_051_200.0])
    cost = np.array([old["cost_usd_per_billed_gpu_hour"], new["cost_usd_per_billed_gpu_hour"]])
    assert f["cost_usd_per_billed_gpu_hour"] == pytest.approx((cost * hours).sum() / hours.sum(), rel=1e-12)
    # Break-even price: common age-0 price = sum(cogs) / sum(billed hours * (1 - d)^a); each cohort's
    # weight W = billed hours a year * sum over ages of (1 - d)^a, at ages k / ppy.
    ages_old = np.arange(3 * periods_per_year) / periods_per_year
    ages_new = np.arange(4 * periods_per_year) / periods_per_year
    w = np.array([657_000.0 / periods_per_year * (0.8**ages_old).sum(),
                  262_800.0 / periods_per_year * (0.7**ages_new).sum()])
    be = np.array([old["breakeven_price_usd_per_gpu_hour"], new["breakeven_price_usd_per_gpu_hour"]])
    assert f["breakeven_price_usd_per_gpu_hour"] == pytest.approx((be * w).sum() / w.sum(), rel=1e-12)
    # Fleet capex at the two dates: 100 * 30,000 + 50 * 40,000 = 5,000,000.
    assert f["capex_usd"] == pytest.approx(5_000_000.0, rel=1e-12)


@pytest.mark.gpu
@pytest.mark.parametrize("periods_per_year", [1, 12])
def test_hand_calculated_fleet_on_cupy_matches_numpy(cupy_backend, periods_per_year):
    # The CuPy path runs the same array-API code; its figures equal NumPy's (skipped without a GPU).
    sc = scenario(cohorts=FLEET_COHORTS, periods_per_year=periods_per_year)
    on_gpu = dcecon.evaluate(sc, backend=cupy_backend)
    on_cpu = dcecon.evaluate(sc, backend="numpy")
    assert on_gpu.backend == "cupy"
    for name, value in on_cpu.figures.items():
        assert on_gpu.figures[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
