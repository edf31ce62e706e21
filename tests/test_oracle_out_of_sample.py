"""Oracle out of sample and as a question, and the labels of fitted-quarter extrapolations.

- ``scenarios/oracle-fy26q1-twelve-months.toml`` predicts the twelve months to 31 Aug 2025 from the calibrated
  quarter (``oracle-fy26q1``) and a Hopper ramp, without refitting. Published (The Information, "Internal Oracle
  Data Show Financial Challenge of Renting Out Nvidia Chips", 7 Oct 2025; as summarised by Parameter, 7 Oct
  2025): as sales nearly tripled, the margin "ranged between less than 10% and slightly over 20%, averaging
  around 16%". The prediction misses; the tests hold the error as measured (docs/oracle.md, section 2).
- ``scenarios/oracle-contract-lifetime.toml`` builds Oracle's example contract (Oracle Analyst Day, 16 Oct 2025,
  as reported by Bloomberg: $60B over six years at a 35% gross margin; 30-40% over a contract's life) from the
  calibrated quarter; docs/oracle.md, section 3, sweeps it.
- ``[labels] fitted_window`` makes the report and ``--json`` say that an investment view extrapolates a fitted
  window (README, "Calibrating Oracle's 14 cents").
"""

from __future__ import annotations

import json

import pytest

import dcecon
from dcecon.cli.main import main
from dcecon.scenario import ScenarioError

TWELVE_MONTHS = "oracle-fy26q1-twelve-months"
CONTRACT = "oracle-contract-lifetime"

PUBLISHED_AVERAGE_MARGIN = 0.16   # "averaging around 16%" (The Information, 7 Oct 2025)
PUBLISHED_HIGHEST_MARGIN = 0.20   # "slightly over 20%"
PUBLISHED_LOWEST_MARGIN = 0.10    # "less than 10%"
FIXTURE_REVENUE_USD = 900e6       # the quarter to 31 Aug 2025 (The Information, 7 Oct 2025)


@pytest.fixture(scope="module")
def twelve_months():
    return dcecon.evaluate(TWELVE_MONTHS, backend="numpy")


@pytest.fixture(scope="module")
def fixture_quarter():
    return dcecon.evaluate("oracle-fy26q1", backend="numpy")


def _quarters(result) -> list[tuple[float, float]]:
    """(revenue, gross margin) of each three-month block of a monthly window: ratios of sums (docs/model.md §4)."""
    out = []
    for k in range(0, len(result.periods), 3):
        block = result.periods[k:k + 3]
        revenue = sum(p["revenue_usd"] for p in block)
        out.append((revenue, sum(p["gross_profit_usd"] for p in block) / revenue))
    return out


# --- the out-of-sample prediction --------------------------------------------------------------------------------

def test_twelve_month_margin_prediction_misses_the_published_16_percent(twelve_months):
    # Measured on 2026-11 with `dcecon run oracle-fy26q1-twelve-months --json --backend numpy` (docs/oracle.md):
    # 28.2% over the twelve months, +12.2 points, 1.764 times the published average. Held as measured.
    assert twelve_months.gross_margin == pytest.approx(0.28226, abs=5e-5)
    assert twelve_months.gross_margin - PUBLISHED_AVERAGE_MARGIN == pytest.approx(0.1223, abs=5e-4)
    assert twelve_months.gross_margin / PUBLISHED_AVERAGE_MARGIN == pytest.approx(1.764, abs=5e-4)
    assert twelve_months.revenue_usd == pytest.approx(2477.94e6, rel=1e-4)


def test_quarter_margins_as_measured_and_the_published_range(twelve_months):
    # docs/oracle.md, section 2: 39.2%, 36.7%, 34.1%, then the fitted 14.0%; the plain mean of the quarters is
    # 31.0%. The three predicted quarters are all above the published maximum of "slightly over 20%".
    quarters = _quarters(twelve_months)
    assert [round(m, 3) for _, m in quarters] == [0.392, 0.367, 0.341, 0.140]
    assert [round(r / 1e6, 1) for r, _ in quarters] == [419.6, 529.1, 629.3, 900.0]
    assert sum(m for _, m in quarters) / 4 == pytest.approx(0.3101, abs=5e-4)
    assert all(m > PUBLISHED_HIGHEST_MARGIN + 0.1 for _, m in quarters[:3])
    # Months: from 40.1% (Sep 2024, periods.0) down to 12.8% (Aug 2025, periods.11), against "less than 10%
    # to slightly over 20%" (the fidelity claims point at these two periods).
    months = [p["gross_margin"] for p in twelve_months.periods]
    assert max(months) == pytest.approx(months[0]) and months[0] == pytest.approx(0.4005, abs=5e-4)
    assert min(months) == pytest.approx(months[11]) and months[11] == pytest.approx(0.1282, abs=5e-4)
    assert months[11] > PUBLISHED_LOWEST_MARGIN


def test_twelve_months_end_on_the_fitted_quarter_unchanged(twelve_months, fixture_quarter):
    # The ramp leaves Jun-Aug 2025 as the fixture calibrated it: 138,249 Hopper GPUs at the fixture's price path,
    # 71,993 Blackwell. Prices in the file are rounded to 6 decimals, hence rel=1e-5.
    last = twelve_months.periods[9:]
    assert sum(p["revenue_usd"] for p in last) == pytest.approx(fixture_quarter.revenue_usd, rel=1e-5)
    assert sum(p["gross_profit_usd"] for p in last) == pytest.approx(fixture_quarter.gross_profit_usd, rel=1e-5)
    hopper = sum(c["gpus"] for c in twelve_months.cohorts if c["name"].startswith("hopper"))
    assert hopper == 138_249


def test_ramp_is_sized_by_sales_nearly_tripling():
    # The one published figure the ramp uses (an input): Jun-Aug 2025 revenue = 3 x Jun-Aug 2024, so the
    # year-earlier quarter earned $900M / 3 = $300M on 48,919 GPUs (0.85 x $300M / $720.64M x 138,249).
    year_earlier = dcecon.evaluate(dcecon.load_scenario(TWELVE_MONTHS, ["start_year=2024.4166666666667",
                                                                        "horizon_years=0.25"]), backend="numpy")
    assert year_earlier.revenue_usd == pytest.approx(FIXTURE_REVENUE_USD / 3, rel=1e-4)


def test_hopper_quarter_margins_do_not_depend_on_the_ramp(twelve_months):
    # Every Hopper GPU has the same price and per-GPU costs on a given date, so the all-Hopper quarters have
    # the same margin whatever the GPU counts: halving the year-earlier fleet and doubling the additions moves
    # the twelve-month weighting, not the quarters (docs/oracle.md: the ramp cannot explain the miss).
    moved = dcecon.evaluate(dcecon.load_scenario(TWELVE_MONTHS, [
        "cohorts.hopper.gpus=24460", "cohorts.hopper-2024-09.gpus=44664", "cohorts.hopper-2024-12.gpus=44666",
        "cohorts.hopper-2025-03.gpus=44664"]), backend="numpy")
    # Equal to 1e-6: the vintages' prices are written to 6 decimals, so their margins differ in the 8th digit.
    for (_, expected), (_, got) in zip(_quarters(twelve_months)[:3], _quarters(moved)[:3]):
        assert got == pytest.approx(expected, rel=1e-6)


def test_earlier_quarters_need_about_64_percent_utilization_for_16_percent():
    # docs/oracle.md's diagnosis grid: Sep 2024 - May 2025 at the fixture's prices earns 16% only at about 64%
    # billed hours: 11.0% at 60%, 17.6% at 65% (measured), against 36.3% at the fixture's 85%.
    def margin(utilization):
        scenario = dcecon.load_scenario(TWELVE_MONTHS, ["start_year=2024.6666666666667", "horizon_years=0.75",
                                                        f"cohorts.*.utilization={utilization}"])
        return dcecon.evaluate(scenario, backend="numpy").gross_margin

    assert margin(0.60) == pytest.approx(0.110, abs=5e-4)
    assert margin(0.65) == pytest.approx(0.176, abs=5e-4)
    assert margin(0.85) == pytest.approx(0.363, abs=5e-4)


# --- Oracle's 30-40% lifetime margin, as a question --------------------------------------------------------------

def test_contract_carries_60_billion_over_six_years():
    # Input: 247,523 GPUs x 8,760 h x 6 years x $4.6119, every hour billed, flat price = $60.0B (Oracle's example).
    result = dcecon.evaluate(CONTRACT, backend="numpy")
    assert result.revenue_usd == pytest.approx(247_523 * 8760 * 6 * 4.6119, rel=1e-12)
    assert result.revenue_usd == pytest.approx(60e9, rel=1e-5)


def test_contract_lifetime_margin_by_hand():
    # Per GPU over the 6-year contract (docs/model.md §2, §3): revenue 8,760 x 6 x 4.6119; costs: the whole
    # $41,667 depreciated within the contract (5-year book life), power 1.6667 kW x 1.2 PUE x load 1 x 8,760 h x 6
    # x $0.081, rent $184 x 12 x 6 x 1.6667 kW, opex 6 x (0.02 x 41,667 + 2,000).
    revenue = 8760 * 6 * 4.6119
    costs = (41_667 + 1.6667 * 1.2 * 8760 * 6 * 0.081 + 184 * 12 * 6 * 1.6667 + 6 * (0.02 * 41_667 + 2000))
    result = dcecon.evaluate(CONTRACT, backend="numpy")
    assert result.gross_margin == pytest.approx(1 - costs / revenue, rel=1e-9)
    # The window is the contract, so window and lifetime margins agree: 63.2% (measured), against Oracle's 35%.
    assert result.figures["lifetime_gross_margin"] == pytest.approx(result.gross_margin, rel=1e-12)
    assert result.gross_margin == pytest.approx(0.632, abs=5e-4)


@pytest.mark.parametrize("override,expected", [
    ("cohorts.contract.price_usd_per_gpu_hour=2.4", 0.292),
    ("cohorts.contract.price_usd_per_gpu_hour=2.6", 0.347),
    ("cohorts.contract.price_usd_per_gpu_hour=2.8", 0.393),
    ("cohorts.contract.utilization=0.5", 0.288),
    ("cohorts.contract.utilization=0.55", 0.351),
    ("cohorts.contract.utilization=0.6", 0.403),
    ("cohorts.contract.utilization=0.25", -0.399),
])
def test_what_gives_30_to_40_percent_over_the_contract(override, expected):
    # docs/oracle.md, section 3 (measured with the grids shown there): 30-40% needs about $2.40-$2.80 fully
    # billed, or about 51-60% of the hours billed at the quarter's $4.6119; at the quarter's 25% it loses 40%.
    result = dcecon.evaluate(dcecon.load_scenario(CONTRACT, [override]), backend="numpy")
    assert result.gross_margin == pytest.approx(expected, abs=5e-4)


def test_book_life_moves_the_quarter_not_a_lifetime_margin():
    # Straight line charges the whole capex within the 6-year contract for any book life up to 6 years
    # (docs/model.md §3), so the lifetime margin is the same; a longer life leaves capex uncharged.
    margins = [dcecon.evaluate(dcecon.load_scenario(CONTRACT, [f"cohorts.contract.book_life_years={life}"]),
                               backend="numpy").gross_margin for life in (4, 5, 6, 8)]
    assert margins[0] == pytest.approx(margins[1], rel=1e-12) == pytest.approx(margins[2], rel=1e-12)
    assert margins[3] == pytest.approx(0.675, abs=5e-4)
    # The quarter's 14% at 4 and 6 years (measured; docs/oracle.md): 2.4% and 21.7%.
    quarter = [dcecon.evaluate(dcecon.load_scenario("oracle-fy26q1", [f"cohorts.*.book_life_years={life}"]),
                               backend="numpy").gross_margin for life in (4, 6)]
    assert quarter == pytest.approx([0.024, 0.217], abs=5e-4)


# --- labels: fitted-quarter extrapolations say so -----------------------------------------------------------------

@pytest.mark.parametrize("name,window", [
    ("oracle-fy26q1", "fitted to the quarter to 31 Aug 2025"),
    ("oracle-fy26q1-full-depreciation", "fitted to the quarter to 31 Aug 2025"),
    ("coreweave-q3-2025", "fitted to the quarter to 30 Sep 2025"),
    (TWELVE_MONTHS, "fitted to the quarter to 31 Aug 2025"),
    (CONTRACT, "fitted to the quarter to 31 Aug 2025"),
])
def test_fitted_quarter_scenarios_label_their_investment_view(name, window, capsys):
    assert main(["run", name, "--backend", "numpy", "--json"]) == 0
    extrapolated = json.loads(capsys.readouterr().out)["extrapolated"]
    assert extrapolated.startswith(window)
    assert "whole service life" in extrapolated
    assert main(["run", name, "--backend", "numpy"]) == 0
    report = capsys.readouterr().out
    label, investment = report.find("Extrapolated: " + window), report.find("Investment view")
    assert 0 < label < investment  # printed above the investment view


def test_an_unlabelled_scenario_has_no_extrapolation_line(capsys):
    assert main(["run", "h100-neocloud-2024", "--backend", "numpy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["extrapolated"] is None
    assert main(["run", "h100-neocloud-2024", "--backend", "numpy"]) == 0
    assert "Extrapolated" not in capsys.readouterr().out


def test_a_lifetime_note_without_a_fitted_window_is_one_line_of_error(tmp_path, capsys):
    base = dcecon.scenario.bundled.bundled_dir() / "h100-neocloud-2024.toml"
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{base.as_posix()}"\n\n[labels]\nlifetime_note = "held for life"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        dcecon.load_scenario(bad)
    assert "labels" in str(excinfo.value) and "fitted_window" in str(excinfo.value)
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dcecon: error: ") and "fitted_window" in err[0]
