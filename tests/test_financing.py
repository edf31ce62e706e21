"""Debt financing: level-payment amortization, interest coverage and DSCR.

The definitions are in docs/model.md §12 (Financing).
Expected values: hand calculations of the annuity formula and
numpy-financial (``pmt``, ``ipmt``, ``ppmt``) for the schedule; CoreWeave's
Q3 2025 results (press release, 10 Nov 2025, quoted in the header of
``scenarios/coreweave-q3-2025.toml``) for the calibrated scenario.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import numpy_financial as npf
import pytest

import dcecon
from dcecon.model import financing
from dcecon.scenario.loader import load_scenario
from helpers.paths import COREWEAVE, NEOCLOUD


def test_amortization_table_hand_checked(xp_backend, to_np):
    # $1,000 at 12% a year, 12 monthly payments: i = 1% a month.
    # Payment = 1000 * 0.01 / (1 - 1.01**-12) = 88.8488 (hand calculation; the textbook annuity formula).
    # Month 1: interest 1000 * 1% = 10.00, principal 78.85; month 2: balance 921.15, interest 9.21.
    xp, a = xp_backend.xp, xp_backend.asarray
    k = a(np.arange(12.0))
    interest, principal = financing.amortization(xp, a(1000.0), a(0.01), a(12.0), k)
    interest, principal = to_np(interest), to_np(principal)
    assert interest[0] == pytest.approx(10.0, rel=1e-12)
    assert principal[0] == pytest.approx(78.8487886, rel=1e-7)
    assert interest[1] == pytest.approx(0.01 * (1000 - 78.8487886), rel=1e-7)
    assert principal.sum() == pytest.approx(1000.0, rel=1e-12)  # the loan is repaid exactly
    # numpy-financial's ipmt/ppmt (per = 1-based period) give the same schedule.
    per = np.arange(1, 13)
    np.testing.assert_allclose(interest, -npf.ipmt(0.01, per, 12, 1000.0), rtol=1e-12)
    np.testing.assert_allclose(principal, -npf.ppmt(0.01, per, 12, 1000.0), rtol=1e-12)


def test_zero_rate_loan_repays_in_equal_parts(xp_backend, to_np):
    # At 0% the payment is P / n (numpy-financial pmt(0, n, -P) = P / n): 1200 / 12 = 100, no interest.
    xp, a = xp_backend.xp, xp_backend.asarray
    interest, principal = financing.amortization(xp, a(1200.0), a(0.0), a(12.0), a(np.arange(14.0)))
    np.testing.assert_allclose(to_np(principal), [100.0] * 12 + [0.0, 0.0])
    np.testing.assert_allclose(to_np(interest), 0.0)


def test_coreweave_q3_2025_interest_coverage():
    # CoreWeave Q3 2025 (press release, 10 Nov 2025; the scenario's header): operating income $51.9M,
    # net interest $310.6M -> coverage 51.9 / 310.6 = 0.167. The scenario is calibrated to these figures.
    result = dcecon.evaluate(dcecon.load_scenario(COREWEAVE), backend="numpy")
    assert result.revenue_usd == pytest.approx(1364.7e6, rel=0.01)
    assert result.gross_profit_usd == pytest.approx(51.9e6, rel=0.01)
    assert result.figures["interest_usd"] == pytest.approx(310.6e6, rel=0.01)
    assert result.figures["interest_coverage"] == pytest.approx(51.9 / 310.6, abs=0.005)


def test_coreweave_contract_prices_do_not_follow_spot_while_the_contract_runs():
    # CoreWeave sells take-or-pay capacity (IPO prospectus, 28 Mar 2025: 96% of 2024 revenue from committed
    # contracts), about four years on average (Lockwood's summary of the S-1): no price decline during the
    # contract, then a step to spot, which the H100 index (about 15% a year) puts 1 - 0.85^4 = 47.8% lower.
    scenario = dcecon.load_scenario(COREWEAVE)
    for cohort in scenario.cohorts:
        assert cohort.price_decline_per_year == 0.0, cohort.name
        assert cohort.price_step_year == pytest.approx(cohort.in_service_year + 4, abs=1e-9), cohort.name
        assert cohort.price_step_cut == pytest.approx(1 - 0.85 ** 4, abs=5e-4), cohort.name
    # So the quarter's three monthly revenues are equal (same GPUs, same hours, same contract prices).
    result = dcecon.evaluate(scenario, backend="numpy")
    monthly = [p["revenue_usd"] for p in result.periods]
    assert monthly == pytest.approx([monthly[0]] * 3, rel=1e-12)


def test_coreweave_ebitda_reconciles_with_reported_adjusted_ebitda():
    # CoreWeave Q3 2025 press release (10 Nov 2025): operating income $51.850M, adjusted operating income
    # $217.154M, adjusted EBITDA $838.124M. Adjusted EBITDA = operating income + non-GAAP add-backs
    # (217.154 - 51.850 = 165.304: stock-based compensation and others) + D&A (838.124 - 217.154 = 620.970).
    # The model's EBITDA is its gross profit plus its depreciation (the halls are leased, docs/model.md §2).
    f = dcecon.evaluate(dcecon.load_scenario(COREWEAVE), backend="numpy").figures
    assert f["ebitda_usd"] == pytest.approx(f["gross_profit_usd"] + f["depreciation_usd"], rel=1e-12)
    add_backs, reported_da = 217.154e6 - 51.850e6, 838.124e6 - 217.154e6
    gap = f["ebitda_usd"] - 838.124e6
    lines = (f["gross_profit_usd"] - 51.850e6) - add_backs + (f["depreciation_usd"] - reported_da)
    assert gap == pytest.approx(lines, rel=1e-9)
    # As measured (scenario header, README): model EBITDA $705.04M, gap -$133.09M, model depreciation $653.12M,
    # 1.052x the reported D&A: a derived figure, not a target, left as it comes out.
    assert f["ebitda_usd"] == pytest.approx(705.04e6, rel=1e-4)
    assert gap == pytest.approx(-133.09e6, rel=1e-3)
    assert f["depreciation_usd"] / reported_da == pytest.approx(1.052, abs=5e-4)


def test_coreweave_dscr_is_cash_available_over_debt_service():
    # DSCR of the window = (EBITDA - taxes on EBIT less interest) / (interest + principal), hand-assembled
    # from the result's own window figures; taxes are zero because EBIT < interest this quarter.
    result = dcecon.evaluate(dcecon.load_scenario(COREWEAVE), backend="numpy")
    f = result.figures
    assert f["gross_profit_usd"] < f["interest_usd"]  # so no tax is due
    expected = f["ebitda_usd"] / (f["interest_usd"] + f["principal_usd"])
    assert f["dscr_window"] == pytest.approx(expected, rel=1e-9)
    assert f["dscr_window"] < 1.0  # the quarter's cash does not cover its debt service
    assert f["dscr_min"] <= f["dscr_avg"]


def test_coreweave_calibration_reproduces_interest_from_debt_share():
    # The command that produced the scenario's solved values (see its header).
    done = subprocess.run(
        [sys.executable, "-m", "dcecon", "calibrate", str(COREWEAVE), "--target", "revenue_usd=1364.7e6",
         "--target", "gross_profit_usd=51.9e6", "--target", "interest_usd=310.6e6",
         "--free", "cohorts.*.price_usd_per_gpu_hour", "--free", "cohorts.*.gpus", "--free", "finance.debt_fraction",
         "--set", "finance.debt_fraction=0.6", "--json"],
        capture_output=True, text=True, check=True)
    out = json.loads(done.stdout)
    assert out["achieved"]["interest_usd"] == pytest.approx(310.6e6, rel=1e-4)
    assert out["result"]["interest_coverage"] == pytest.approx(0.167, abs=0.002)
    assert 0.5 < out["solved"]["finance.debt_fraction"] < 1.0


def test_unlevered_scenario_has_no_debt_service():
    # With debt_fraction = 0 there is no interest: coverage is infinite and DSCR undefined, equity = capex.
    result = dcecon.evaluate(dcecon.load_scenario(NEOCLOUD), backend="numpy")
    f = result.figures
    assert f["interest_usd"] == 0.0 and f["interest_coverage"] == float("inf")
    assert np.isnan(f["dscr_min"])
    assert f["equity_usd"] == pytest.approx(f["capex_usd"])
    assert f["equity_irr"] == pytest.approx(f["irr"], abs=1e-12)


def test_loan_figures_do_not_depend_on_the_window():
    # A 7-year loan on a 5-year life: the payments after retirement stay on the grid whatever horizon_years is.
    common = ["finance.debt_fraction=0.5", "finance.interest_rate=0.08", "finance.debt_term_years=7",
              "cohorts.0.price_usd_per_gpu_hour=3"]
    short = dcecon.evaluate(load_scenario(NEOCLOUD, common + ["horizon_years=5"]), backend="numpy")
    long = dcecon.evaluate(load_scenario(NEOCLOUD, common + ["horizon_years=7"]), backend="numpy")
    assert short.figures["dscr_avg"] == pytest.approx(long.figures["dscr_avg"], rel=1e-12)
    assert short.figures["equity_irr"] == pytest.approx(long.figures["equity_irr"], rel=1e-12)


@pytest.mark.parametrize("override,field", [
    ("finance.debt_fraction=1.5", "finance.debt_fraction"),
    ("finance.interest_rate=-0.1", "finance.interest_rate"),
    ("finance.debt_term_years=0", "finance.debt_term_years"),
    ("cohorts.0.price_step_year=2020", "price_step_year"),
    ("cohorts.0.price_step_cut=1.5", "cohorts.0.price_step_cut"),
    ("cohorts.0.generation_price_cut=0.3", "generation_interval_years"),
    ("cohorts.0.tokens_per_second_per_gpu=-5", "cohorts.0.tokens_per_second_per_gpu"),
])
def test_bad_financing_and_price_path_input_exits_2_with_one_line(override, field):
    # A debt share above 1, a negative rate, a zero term, a price step dated before the window (2020 < 2024),
    # a cut above 100%, a generation cut without an interval, negative token throughput.
    done = subprocess.run([sys.executable, "-m", "dcecon", "run", str(NEOCLOUD),
                           "--set", override], capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert field in lines[0]
