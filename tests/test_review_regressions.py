"""Regressions of the issues a review found (each test names the behaviour it pins down)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dcecon
from dcecon.model import finance
from dcecon.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
GB200 = ROOT / "scenarios" / "gb200-nvl72-2025.toml"
ORACLE = ROOT / "scenarios" / "oracle-fy26q1.toml"
H100 = ROOT / "scenarios" / "h100-neocloud-2024.toml"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "dcecon", *args], capture_output=True, text=True)


@pytest.mark.parametrize("backend", ["numpy", "native"])
def test_irr_of_a_profitable_project_with_a_late_loss_is_its_investment_root(backend):
    # A 20-year GB200 life: late years lose money, so the NPV is negative again near -99% and the end points of
    # the bracket share a sign. The IRR is the rate where the NPV falls through zero (about 15.5%): NPV at it ~ 0
    # (evaluate with discount_rate = IRR), positive at 10%, negative at 20%.
    scenario = load_scenario(GB200, ["cohorts.0.service_life_years=20"])
    if backend == "numpy":
        rate = dcecon.evaluate(scenario, backend="numpy").irr
    else:
        rate = dcecon.grid(scenario, axes=["cohorts.0.service_life_years=20"], backend="native").metric_summary(
            "irr")["min"]
    assert 0.15 < rate < 0.16
    at_rate = dcecon.evaluate(load_scenario(GB200, ["cohorts.0.service_life_years=20",
                                                    f"finance.discount_rate={rate!r}"]), backend="numpy")
    assert abs(at_rate.npv_usd) < 1e-6 * at_rate.figures["capex_usd"]


def test_irr_scan_prefers_the_root_where_npv_falls():
    # -100 now, +230 in a year, -132 in two: NPV(r) = -100 + 230/(1+r) - 132/(1+r)^2 has roots at 10% and 20%
    # (hand calculation: 100 x^2 - 230 x + 132 = 0 in x = 1 + r gives x = 1.1 and 1.2); at -99% and 100,000%
    # the NPV is negative at both ends. The NPV falls through zero as the rate rises at 20%.
    rate = finance.irr(np, np.array([[-100.0, 230.0, -132.0]]), np.array([[0.0, 1.0, 2.0]]))[0]
    assert rate == pytest.approx(0.2, abs=1e-9)


def test_float32_irr_of_a_long_life_is_not_nan():
    # 17 years: (1 + r)^-t at r = -99% is 1e34, beyond float32; the IRR is solved in float64 (docs/backends.md).
    f64 = dcecon.evaluate(load_scenario(H100, ["cohorts.0.service_life_years=17"]), backend="numpy")
    f32 = dcecon.evaluate(load_scenario(H100, ["cohorts.0.service_life_years=17"]), backend="numpy",
                          dtype="float32")
    assert np.isfinite(f64.irr) and f32.irr == pytest.approx(f64.irr, abs=1e-4)


def test_building_is_never_depreciated_beyond_its_share():
    # Owned building, life 2.5 years, annual periods over a 6-year window: the charge stops at the share.
    # Share per GPU = 11.7e6 / 1000 x 1.6667 kW; 60,000 GPUs (100 MW / 1.6667 kW).
    result = dcecon.evaluate(load_scenario(GB200, ["periods_per_year=1", "horizon_years=6",
                                                   "site.facility_life_years=2.5", "cohorts.0.in_service_year=2025.5",
                                                   "start_year=2025.5"]), backend="numpy")
    share = 11.7e6 / 1000 * 1.6667 * (100 * 1000 / 1.6667)
    building = sum(p["facility_cost_usd"] for p in result.periods)
    assert building == pytest.approx(share, rel=1e-9)


def test_four_decimal_in_service_dates_land_on_the_period_grid():
    # 2025.4167 is 1 June 2025 written with four decimals (model-spec section 1): the Blackwell cohort still
    # earns its first month, so the quarter's revenue is unchanged (to rounding of the age).
    base = dcecon.evaluate(load_scenario(ORACLE), backend="numpy")
    rounded = dcecon.evaluate(load_scenario(ORACLE, ["cohorts.1.in_service_year=2025.4167"]), backend="numpy")
    assert rounded.revenue_usd == pytest.approx(base.revenue_usd, rel=1e-4)


def test_loan_figures_do_not_depend_on_the_window():
    # A 7-year loan on a 5-year life: the payments after retirement stay on the grid whatever horizon_years is.
    common = ["finance.debt_fraction=0.5", "finance.interest_rate=0.08", "finance.debt_term_years=7",
              "cohorts.0.price_usd_per_gpu_hour=3"]
    short = dcecon.evaluate(load_scenario(H100, common + ["horizon_years=5"]), backend="numpy")
    long = dcecon.evaluate(load_scenario(H100, common + ["horizon_years=7"]), backend="numpy")
    assert short.figures["dscr_avg"] == pytest.approx(long.figures["dscr_avg"], rel=1e-12)
    assert short.figures["equity_irr"] == pytest.approx(long.figures["equity_irr"], rel=1e-12)


@pytest.mark.parametrize("args,where", [
    (["grid", str(ROOT / "scenarios" / "coreweave-q3-2025.toml"), "--axis", "finance.debt_fraction=0.5,2"],
     "finance.debt_fraction"),
    (["grid", str(H100), "--set", "cohorts.0.depreciation_method=double_declining_balance", "--sample", "8",
      "--axis", "cohorts.0.book_life_years=uniform(3,6)"], "book_life_years"),
    (["grid", str(H100), "--axis", "cohorts.0.utilization=0.5,0.9", "--sample", "4", "--seed", "-1",
      "--axis", "cohorts.0.price_usd_per_gpu_hour=uniform(1,3)"], "--seed"),
    (["grid", str(H100), "--axis", "cohorts.0.utilization=0.5,0.9", "--max-memory", "nan"], "--max-memory"),
    (["grid", str(H100), "--axis", "cohorts.0.utilization=0.5,0.9", "--threads", "-1"], "--threads"),
    (["grid", str(H100), "--axis", "cohorts.0.utilization=0.5,0.9", "--resume"], "--resume"),
    (["grid", str(H100), "--axis", "cohorts.0.utilization=0:1:100000", "--axis",
      "cohorts.0.price_usd_per_gpu_hour=0:9:100000", "--axis", "cohorts.0.price_decline_per_year=0:0.5:100000",
      "--axis", "site.pue=1:2:100000"], "scenarios"),
    (["grid", "sequoia-2023", "--axis", "cohorts.0.utilization=0.5,0.9"], "kind"),
    (["run", str(H100), "--set", "cohorts.0.gpus=true"], "cohorts.0.gpus"),
    (["calibrate", str(H100), "--target", "cohorts.0.interest_usd=1", "--free", "cohorts.0.utilization"],
     "cohorts.0.interest_usd"),
    (["calibrate", str(H100), "--target", "gross_margin=0.1", "--free", "start_year"], "start_year"),
])
def test_more_bad_input_is_one_line_and_exit_2(args, where, tmp_path):
    done = subprocess.run([sys.executable, "-m", "dcecon", *args], capture_output=True, text=True, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert where in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_output_paths_that_cannot_be_written_are_one_line(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (["grid", str(H100), "--axis", "cohorts.0.utilization=0.5,0.9", "--out", str(afile / "sub")],
                 ["calibrate", str(H100), "--target", "gross_margin=0.1", "--free", "cohorts.0.utilization",
                  "--write", str(tmp_path)]):
        done = _cli(*args)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_calibrate_warns_when_a_target_stays_undefined():
    # A zero price has no IRR (NaN): the solver cannot reach an IRR target from there, and says so.
    done = _cli("calibrate", str(H100), "--set", "cohorts.0.utilization=0", "--target", "irr=0.05",
                "--free", "cohorts.0.price_usd_per_gpu_hour")
    assert done.returncode == 0
    assert "not all reached" in done.stdout
