"""The Oracle calibration fixture: scenarios/oracle-fy26q1.toml and its full-depreciation variant.

Public figures (The Information, "Internal Oracle Data Show Financial Challenge of Renting Out Nvidia Chips", 7 Oct 2025, https://www.theinformation.com/, read through press summaries):

- quarter ended 31 Aug 2025 (Oracle fiscal Q1 2026): about $900M of revenue
  from renting servers with Nvidia chips, gross profit about $125M: 14 cents
  per rented dollar (14% gross margin);
- Oracle lost nearly $100M renting Blackwell chips in that quarter;
- further depreciation not in the 14% "would knock another 7 percentage
  points off": about 7%.

The fixture's prices and GPU counts are calibrated to the first three. Here the
solved values are first perturbed (prices scaled down by about a quarter, the
1.4 Blackwell/Hopper price ratio of the fixture kept; GPU counts changed) so
that the solver has work to do; then ``dcecon calibrate`` must find them again,
through the command line (a real process, ``--write OUT.toml``) and through the
Python function.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

import dcecon
from dcecon.calibration.solver import CALIBRATION_SOURCE_ID, calibrate, calibrated_document, parse_target
from dcecon.scenario.loader import apply_overrides, load_raw

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "scenarios" / "oracle-fy26q1.toml"
FULL_DEPRECIATION = ROOT / "scenarios" / "oracle-fy26q1-full-depreciation.toml"

# The Information, "Internal Oracle Data Show Financial Challenge of Renting Out Nvidia Chips", 7 Oct 2025.
REVENUE_USD = 900e6
GROSS_MARGIN = 0.14
BLACKWELL_GROSS_PROFIT_USD = -100e6
FULL_DEPRECIATION_GROSS_MARGIN = 0.07   # 14% minus "another 7 percentage points"

# The fixture holds hopper 3.2942 / blackwell 4.6119 $/GPU-h and 138,249 / 71,993 GPUs; start elsewhere.
PERTURBATION = (
    "cohorts.hopper.price_usd_per_gpu_hour=2.5",      # about 24% below the solved 3.2942
    "cohorts.blackwell.price_usd_per_gpu_hour=3.5",   # 2.5 * 1.4: the fixture's Blackwell/Hopper price ratio
    "cohorts.hopper.gpus=100000",
    "cohorts.blackwell.gpus=50000",
)
TARGETS = (
    f"gross_margin={GROSS_MARGIN}",
    "revenue_usd=900e6",
    "cohorts.blackwell.gross_profit_usd=-100e6",
)
FREE = ("cohorts.*.price_usd_per_gpu_hour", "cohorts.hopper.gpus", "cohorts.blackwell.gpus")
SOLVED_PATHS = ("cohorts.0.price_usd_per_gpu_hour", "cohorts.1.price_usd_per_gpu_hour", "cohorts.0.gpus",
                "cohorts.1.gpus")


def _dcecon(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcecon", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _flags(option: str, values) -> list[str]:
    return [arg for value in values for arg in (option, value)]


@pytest.fixture(scope="module", params=["cli", "python"])
def calibrated(request, tmp_path_factory):
    """The three-target calibration from the perturbed fixture: fleet figures, cohort rows, solved values, OUT.toml."""
    out_dir = tmp_path_factory.mktemp(f"oracle-{request.param}")
    out_toml = out_dir / "OUT.toml"
    if request.param == "cli":
        proc = _dcecon("calibrate", "scenarios/oracle-fy26q1.toml", *_flags("--set", PERTURBATION),
                       *_flags("--target", TARGETS), *_flags("--free", FREE), "--write", str(out_toml), "--json")
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        figures, cohorts, solved, success = out["result"], out["result"]["cohorts"], out["solved"], out["success"]
        residuals = out["residuals"]
    else:
        raw, provenance = load_raw(FIXTURE)
        apply_overrides(raw, PERTURBATION, provenance, str(FIXTURE))
        targets = dict(parse_target(t) for t in TARGETS)
        calibration = calibrate(raw, provenance, str(FIXTURE), targets, list(FREE), backend="numpy")
        figures, cohorts = calibration.result.figures, calibration.result.cohorts
        solved, success = calibration.solved_values(), calibration.success
        residuals = calibration.residuals
        document = calibrated_document(calibration, str(FIXTURE), "2026-11-01")
        out_toml.write_text(tomli_w.dumps(document), encoding="utf-8")
    return {"figures": figures, "cohorts": {c["name"]: c for c in cohorts}, "solved": solved, "success": success,
            "residuals": residuals, "out_toml": out_toml}


def test_calibration_converges(calibrated):
    assert calibrated["success"]
    assert set(calibrated["solved"]) == set(SOLVED_PATHS)


def test_calibration_residuals_are_rounding_noise(calibrated):
    # Every fixture shows its residuals (issue 10). Three equations in three unknowns are solved exactly: from
    # the perturbed start each scale-free residual (README "Calibrating Oracle's 14 cents": absolute for the
    # margin, relative to the target for the dollar figures) ends below 1e-12; README shows them at about 1e-16.
    residuals = calibrated["residuals"]
    assert set(residuals) == {"gross_margin", "revenue_usd", "cohorts.blackwell.gross_profit_usd"}
    for name, residual in residuals.items():
        assert abs(residual) <= 1e-12, (name, residual)


def test_calibrated_revenue_is_oracles_900m(calibrated):
    # $900M of GPU rental revenue in the quarter (The Information, 7 Oct 2025): within 1%.
    assert calibrated["figures"]["revenue_usd"] == pytest.approx(REVENUE_USD, rel=0.01)


def test_calibrated_gross_margin_is_oracles_14_percent(calibrated):
    # 14 cents per rented dollar (The Information, 7 Oct 2025): within 0.5 points.
    assert abs(calibrated["figures"]["gross_margin"] - GROSS_MARGIN) <= 0.005
    # Gross profit then about $125M (14% of $900M = $126M).
    assert calibrated["figures"]["gross_profit_usd"] == pytest.approx(125e6, rel=0.03)


def test_calibrated_blackwell_cohort_loses_about_100m(calibrated):
    # "nearly $100M" lost on Blackwell rentals in the quarter (The Information, 7 Oct 2025).
    blackwell = calibrated["cohorts"]["blackwell"]
    assert blackwell["gross_profit_usd"] == pytest.approx(BLACKWELL_GROSS_PROFIT_USD, rel=0.01)
    assert blackwell["gross_margin"] < 0
    # The Hopper cohort carries the profit: fleet gross profit = Hopper + Blackwell.
    assert calibrated["cohorts"]["hopper"]["gross_margin"] > GROSS_MARGIN


def test_calibrated_prices_are_plausible_rental_prices(calibrated):
    # Hopper: H100 contracts $1.70-$2.85 in 2024-25 (1-year H100 contract index about $1.70/h in Oct 2025; Latent
    # Space "$2 H100s", https://www.latent.space/p/gpu-bubble, $2.85/h), hyperscaler list prices higher: $1.5-$4. Blackwell: B200 on-demand $4.50-$6.00 at specialized clouds (gb200 scenario
    # source lyceum-2026-03), contracts lower: $2-$8.
    solved = calibrated["solved"]
    hopper, blackwell = solved["cohorts.0.price_usd_per_gpu_hour"], solved["cohorts.1.price_usd_per_gpu_hour"]
    assert 1.5 <= hopper <= 4.0
    assert 2.0 <= blackwell <= 8.0
    # One common factor moves both prices ('*' free path): the 1.4 ratio of the starting point is kept.
    assert blackwell / hopper == pytest.approx(3.5 / 2.5, rel=1e-9)


def test_calibrated_hopper_fleet_size_is_plausible(calibrated):
    # Hopper earns about $720M of the $900M (Blackwell about $180M at 25% ramp-up utilization). A quarter has
    # 8760 / 4 = 2,190 hours; at $1.5-$4 per GPU-hour and 60-100% utilization that revenue needs
    # 720e6 / (2190 * 4.0 * 1.0) = 82,000 to 720e6 / (2190 * 1.5 * 0.6) = 365,000 GPUs: 50,000-400,000.
    hopper_gpus = calibrated["solved"]["cohorts.0.gpus"]
    assert 50_000 <= hopper_gpus <= 400_000
    assert calibrated["cohorts"]["hopper"]["revenue_usd"] == pytest.approx(720e6, rel=0.05)


def test_calibration_finds_the_values_written_in_the_fixture(calibrated):
    # Three equations, three unknowns: from the perturbed start the solver lands on the fixture's own values
    # (scenarios/oracle-fy26q1.toml, source dcecon-calibration).
    fixture = dcecon.load_scenario(FIXTURE)
    solved = calibrated["solved"]
    assert solved["cohorts.0.price_usd_per_gpu_hour"] == pytest.approx(fixture.cohorts[0].price_usd_per_gpu_hour,
                                                                       rel=1e-3)
    assert solved["cohorts.1.price_usd_per_gpu_hour"] == pytest.approx(fixture.cohorts[1].price_usd_per_gpu_hour,
                                                                       rel=1e-3)
    assert solved["cohorts.0.gpus"] == pytest.approx(fixture.cohorts[0].gpus, rel=1e-3)
    assert solved["cohorts.1.gpus"] == pytest.approx(fixture.cohorts[1].gpus, rel=1e-3)


def test_written_calibrated_scenario_reproduces_14_percent_and_cites_the_calibration(calibrated):
    out_toml = calibrated["out_toml"]
    assert out_toml.exists()
    scenario = dcecon.load_scenario(out_toml)
    result = dcecon.evaluate(scenario, backend="numpy")
    assert abs(result.gross_margin - GROSS_MARGIN) <= 0.005
    assert result.revenue_usd == pytest.approx(REVENUE_USD, rel=0.01)
    # The solved fields cite dcecon-calibration, which the file defines with a title and a date.
    for path in SOLVED_PATHS:
        assert scenario.provenance[path] == CALIBRATION_SOURCE_ID, path
    source = scenario.sources[CALIBRATION_SOURCE_ID]
    assert source.title and source.as_of
    # The other figures keep their public sources (e.g. the colocation rent from CBRE H2 2024).
    assert scenario.provenance["site.colocation_usd_per_kw_month"] == "cbre-h2-2024"
    raw = tomllib.loads(out_toml.read_text(encoding="utf-8"))
    assert raw["cohorts"][0]["gpus"]["source"] == CALIBRATION_SOURCE_ID


def test_two_target_form_reproduces_revenue_and_14_percent(tmp_path):
    # The form of the issue: revenue and margin only; every cohort's price and GPU count each move by one
    # common factor. Two equations, two unknowns.
    proc = _dcecon("calibrate", "scenarios/oracle-fy26q1.toml", *_flags("--set", PERTURBATION),
                   "--target", f"gross_margin={GROSS_MARGIN}", "--target", "revenue_usd=900e6",
                   "--free", "cohorts.*.price_usd_per_gpu_hour", "--free", "cohorts.*.gpus", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["success"] is True
    assert out["result"]["revenue_usd"] == pytest.approx(REVENUE_USD, rel=0.01)
    assert abs(out["result"]["gross_margin"] - GROSS_MARGIN) <= 0.005
    assert set(out["solved"]) == set(SOLVED_PATHS)


# --- the bundled files themselves -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_result():
    return dcecon.evaluate(dcecon.load_scenario(FIXTURE), backend="numpy")


@pytest.fixture(scope="module")
def full_depreciation_result():
    return dcecon.evaluate(dcecon.load_scenario(FULL_DEPRECIATION), backend="numpy")


def test_fixture_file_reproduces_oracles_quarter(fixture_result):
    # The values written in oracle-fy26q1.toml are the calibrated ones (its header): $900M, 14%, -$100M.
    assert fixture_result.revenue_usd == pytest.approx(REVENUE_USD, rel=0.01)
    assert abs(fixture_result.gross_margin - GROSS_MARGIN) <= 0.005
    blackwell = next(c for c in fixture_result.cohorts if c["name"] == "blackwell")
    assert blackwell["gross_profit_usd"] == pytest.approx(BLACKWELL_GROSS_PROFIT_USD, rel=0.01)


def test_fixture_as_written_misses_its_targets_by_its_rounding(fixture_result):
    # The fixture writes the solved values rounded (prices to 4 decimals, whole GPUs), so as written it misses
    # the three targets by these residuals, measured on 2026-11 with `dcecon run oracle-fy26q1 --json` and quoted
    # in README ("Calibrating Oracle's 14 cents") and docs/oracle.md: -8.3e-6, -5.4e-6 and -1.6e-6.
    blackwell = next(c for c in fixture_result.cohorts if c["name"] == "blackwell")
    revenue_residual = (fixture_result.revenue_usd - REVENUE_USD) / REVENUE_USD
    margin_residual = fixture_result.gross_margin - GROSS_MARGIN
    blackwell_residual = (blackwell["gross_profit_usd"] - BLACKWELL_GROSS_PROFIT_USD) / abs(BLACKWELL_GROSS_PROFIT_USD)
    assert revenue_residual == pytest.approx(-8.27e-6, rel=1e-2)
    assert margin_residual == pytest.approx(-5.40e-6, rel=1e-2)
    assert blackwell_residual == pytest.approx(-1.55e-6, rel=1e-2)


def test_full_depreciation_gross_margin_is_about_7_percent(full_depreciation_result, fixture_result):
    # "would knock another 7 percentage points off" the 14% (The Information, 7 Oct 2025): about 7%, within
    # 1.5 points. The further depreciation is the cluster fabric, $5,430 per GPU over 5 years (the file's header).
    assert abs(full_depreciation_result.gross_margin - FULL_DEPRECIATION_GROSS_MARGIN) <= 0.015
    drop = fixture_result.gross_margin - full_depreciation_result.gross_margin
    assert abs(drop - 0.07) <= 0.015
    # As measured (not a target: the $5,430 of fabric is priced from the cluster sheet, not solved for): 7.02%,
    # a drop of 6.98 points (docs/oracle.md).
    assert full_depreciation_result.gross_margin == pytest.approx(0.0702, abs=5e-5)
    assert drop == pytest.approx(0.0698, abs=5e-5)


def test_full_depreciation_keeps_the_fixtures_revenue(full_depreciation_result, fixture_result):
    # It changes only capex: the same GPUs rented at the same prices, so the same revenue and power cost.
    assert full_depreciation_result.revenue_usd == pytest.approx(fixture_result.revenue_usd, rel=1e-12)
    assert full_depreciation_result.power_cost_usd == pytest.approx(fixture_result.power_cost_usd, rel=1e-12)
    # The extra cost is depreciation of $5,430 per GPU over 5 years, plus 2% a year maintenance on it:
    # 3 months = 1/4 year of (5,430 / 5 + 0.02 * 5,430) per GPU.
    gpus = sum(c["gpus"] for c in fixture_result.cohorts)
    extra = gpus * (5_430 / 5 + 0.02 * 5_430) / 4
    assert full_depreciation_result.cogs_usd - fixture_result.cogs_usd == pytest.approx(extra, rel=1e-3)
