"""The two demand scenarios (docs/model.md §16): ``ai-adoption-roi`` and ``openai-compute-commitments``.

Every expected value is a hand calculation from the figures typed into the scenario files (their sources are in
the files: hyperscaler results for the quarter to 30 Sep 2025, Wasabi's 2026 Cloud Storage Index, MIT NANDA's
"GenAI Divide" (July 2025), Sequoia's "AI's $600B Question" (June 2024), the OpenAI-Oracle, -Microsoft, -AWS and
-CoreWeave contracts of 2025, Sam Altman's $1.4T (Oct-Nov 2025), OpenAI's projections as reported in 2025). Both
scenarios reproduce their inputs by construction: these tests check the arithmetic, not the economics.
"""

from __future__ import annotations

import json

import pytest

from dcecon.cli.main import main
from dcecon.demand import model
from dcecon.demand.scenario import (
    evaluate_adoption_roi,
    evaluate_commitments,
    load_adoption_roi,
    load_commitments,
)
from dcecon.scenario.bundled import bundled_dir
from dcecon.scenario.errors import ScenarioError

ADOPTION = "ai-adoption-roi"
COMMITMENTS = "openai-compute-commitments"


def _crf(rate, years):
    """Capital recovery factor by hand: r (1 + r)^n / ((1 + r)^n - 1)."""
    growth = (1 + rate) ** years
    return rate * growth / (growth - 1)


# --- ai-adoption-roi: the chain, step by step -----------------------------------------------------------------

def test_adoption_chain_from_112b_a_quarter_to_the_revenue_end_customers_must_earn():
    f = evaluate_adoption_roi(load_adoption_roi(ADOPTION))
    # 1. $112B in the quarter / 0.25 years = $448B a year.
    assert f["capex_usd_per_year"] == pytest.approx(448e9, rel=1e-12)
    # 2. crf(10%, 5) = 0.1 x 1.61051 / 0.61051 = 0.263797; crf(10%, 20) = 0.1 x 6.727500 / 5.727500 = 0.117460.
    assert f["crf_it"] == pytest.approx(0.2637974808, rel=1e-9)
    assert f["crf_facility"] == pytest.approx(0.1174596248, rel=1e-9)
    # IT 448e9 x 35/55 = 285.09e9 x 0.263797 = 75.206e9; the rest 162.91e9 x 0.117460 = 19.135e9; sum $94.34B.
    vintage = 448e9 * 35 / 55 * _crf(0.10, 5) + 448e9 * 20 / 55 * _crf(0.10, 20)
    assert vintage == pytest.approx(94.3415e9, rel=1e-5)
    assert f["vintage_required_revenue_usd_per_year"] == pytest.approx(vintage, rel=1e-12)
    # 3. Five years of capex in service: 5 x $94.34B = $471.71B.
    assert f["infrastructure_revenue_required_usd_per_year"] == pytest.approx(5 * vintage, rel=1e-12)
    # 4. 66% of AI budgets on infrastructure: $471.71B / 0.66 = $714.71B; the other 34%: $243.0B.
    spend = 5 * vintage / 0.66
    assert spend == pytest.approx(714.71e9, rel=1e-5)
    assert f["end_customer_ai_spend_required_usd_per_year"] == pytest.approx(spend, rel=1e-12)
    assert f["software_and_services_spend_usd_per_year"] == pytest.approx(spend * 0.34, rel=1e-12)
    # 5-6. Break-even (hurdle 0): gross profit = spend; at a 50% gross margin, revenue = 2 x $714.71B = $1.43T,
    # 3.19 times the $448B of capex.
    assert f["gross_profit_required_usd_per_year"] == pytest.approx(spend, rel=1e-12)
    assert f["application_revenue_required_usd_per_year"] == pytest.approx(2 * spend, rel=1e-12)
    assert f["application_revenue_to_capex"] == pytest.approx(2 * spend / 448e9, rel=1e-12)
    assert f["application_revenue_to_capex"] == pytest.approx(3.1907, rel=1e-4)


@pytest.mark.parametrize("stage, rate, multiple, revenue", [
    ("production", 0.31, 1 / 0.31, 2 / 0.31),          # 3.23x gross profit, 6.45x revenue per $ of cost
    ("positive-roi", 0.32, 1 / 0.32, 2 / 0.32),        # 3.125x, 6.25x
    ("roi-growth", 0.25, 4.0, 8.0),                    # one in four: 4x, 8x
    ("roi-efficiency", 0.07, 1 / 0.07, 2 / 0.07),      # 14.29x, 28.57x
    ("pilots-pnl", 0.05, 20.0, 40.0),                  # MIT: 95% without P&L impact -> 5%: 20x, 40x
])
def test_adoption_successes_carry_the_failures_cost(stage, rate, multiple, revenue):
    # Only the successes earn: each returns (1 + hurdle 0) / rate in gross profit per $ it cost, and that / 50%
    # margin in revenue.
    f = evaluate_adoption_roi(load_adoption_roi(ADOPTION))
    row = f["stages"][stage]
    assert row["rate"] == rate
    assert row["return_multiple_required"] == pytest.approx(multiple, rel=1e-12)
    assert row["revenue_per_usd_of_cost"] == pytest.approx(revenue, rel=1e-12)


def test_adoption_observed_spend_is_under_five_percent_of_the_required():
    # MIT's $30-40B (mid-point $35B) of enterprise GenAI investment / $714.71B required = 4.90%.
    f = evaluate_adoption_roi(load_adoption_roi(ADOPTION))
    assert f["observed_to_required_spend"] == pytest.approx(35e9 / f["end_customer_ai_spend_required_usd_per_year"],
                                                            rel=1e-12)
    assert f["observed_to_required_spend"] == pytest.approx(0.04897, abs=5e-6)


def test_adoption_bains_capex_with_opex_and_a_hurdle():
    # Bain's $500B a year by 2030, with opex 5% of capex and a 10% hurdle (overrides, provenance --set):
    # vintage = 500e9 x (35/55 crf(10%,5) + 20/55 crf(10%,20)) + 0.05 x 500e9; x 5; / 0.66; x 1.1 / 0.5.
    s = load_adoption_roi(ADOPTION, ["infrastructure.capex_usd=500e9", "infrastructure.capex_period_years=1",
                                     "infrastructure.opex_fraction_of_capex_per_year=0.05",
                                     "adoption.hurdle_return=0.1"])
    assert s.provenance["infrastructure.capex_usd"] == "--set"
    f = evaluate_adoption_roi(s)
    vintage = 500e9 * (35 / 55 * _crf(0.10, 5) + 20 / 55 * _crf(0.10, 20)) + 0.05 * 500e9
    assert f["application_revenue_required_usd_per_year"] == pytest.approx(5 * vintage / 0.66 * 1.1 / 0.5,
                                                                           rel=1e-12)
    assert f["stages"]["roi-growth"]["return_multiple_required"] == pytest.approx(1.1 / 0.25, rel=1e-12)


def test_capital_recovery_at_zero_wacc_is_straight_line():
    # crf(0, n) = 1/n: one year of $448B capex at a 0% WACC needs 448e9 x (35/55 / 5 + 20/55 / 20) a year.
    assert model.vintage_required_revenue_usd_per_year(448e9, 35 / 55, 5, 20, 0.0) == pytest.approx(
        448e9 * (35 / 55 / 5 + 20 / 55 / 20), rel=1e-12)


# --- openai-compute-commitments -------------------------------------------------------------------------------

YEARS = list(range(2025, 2034))
# Level payments: Oracle 300/5 = 60 (2027-31), Microsoft 250/8 = 31.25 (2026-33), AWS 38/7 = 5.428571 (2025-31),
# CoreWeave 22.4/5 = 4.48 (2025-29) [USD bn].
AWS, CW, MS, ORCL = 38 / 7, 22.4 / 5, 250 / 8, 60.0
NAMED_BN = [AWS + CW, AWS + CW + MS, AWS + CW + MS + ORCL, AWS + CW + MS + ORCL, AWS + CW + MS + ORCL,
            AWS + MS + ORCL, AWS + MS + ORCL, MS, MS]
# Reported projections: 13 (2025), 29.4 (2026), 125 (2029), 200 (2030), flat after; 2027 and 2028 at the constant
# growth between 2026 and 2029: 29.4 x (125 / 29.4)^(1/3) = 47.63, 29.4 x (125 / 29.4)^(2/3) = 77.16.
REPORTED_BN = [13, 29.4, 29.4 * (125 / 29.4) ** (1 / 3), 29.4 * (125 / 29.4) ** (2 / 3), 125, 200, 200, 200, 200]


@pytest.fixture(scope="module")
def commitments():
    return evaluate_commitments(load_commitments(COMMITMENTS))


def test_commitments_named_contracts_paid_level_by_year(commitments):
    f = commitments
    assert f["years"] == YEARS
    assert f["named_total_usd"] == pytest.approx(610.4e9, rel=1e-12)  # 300 + 250 + 38 + 22.4
    assert f["payments_usd"] == pytest.approx([p * 1e9 for p in NAMED_BN], rel=1e-12)
    assert sum(f["payments_usd"]) == pytest.approx(610.4e9, rel=1e-12)  # every contract ends by 2033
    assert (f["peak_year"], f["peak_payments_usd"]) == (2027, pytest.approx(101.158571e9, rel=1e-6))
    assert f["commitments"]["oracle"]["payments_usd"][2:7] == [60e9] * 5
    assert f["named_gw"] == 4.5 and f["gw_deals_total_gw"] == 26  # Nvidia 10 + AMD 6 + Broadcom 10, not priced


def test_commitments_headline_is_175b_a_year_and_the_named_contracts_are_44_percent(commitments):
    h = commitments["headline"]
    assert h["payments_usd"] == [0.0] + [175e9] * 8  # $1.4T / 8 years, 2026-2033
    assert h["usd_per_gw"] == pytest.approx(1.4e12 / 30, rel=1e-12)  # $46.7B per GW
    assert h["named_share_of_headline"] == pytest.approx(610.4 / 1400, rel=1e-12)  # 43.6%


def test_commitments_reported_projections_cover_the_named_contracts_from_2029(commitments):
    p = commitments["paths"]["reported"]
    assert p["revenue_usd"] == pytest.approx([r * 1e9 for r in REPORTED_BN], rel=1e-12)
    assert p["coverage"] == pytest.approx([r / n for r, n in zip(REPORTED_BN, NAMED_BN)], rel=1e-12)
    # 2025: 13 / 9.909 = 1.31, then 0.71, 0.47, 0.76 and 125 / 101.16 = 1.24 in 2029, above 1 after.
    assert p["coverage"][0] == pytest.approx(1.3120, rel=1e-4)
    assert p["coverage_stays_at_one_from"] == 2029
    gap = sum(max(n - r, 0) for r, n in zip(REPORTED_BN, NAMED_BN))  # 11.76 + 53.53 + 24.00 = $89.29B
    assert p["cumulative_funding_gap_usd"] == pytest.approx(gap * 1e9, rel=1e-12)
    assert p["cumulative_funding_gap_usd"] == pytest.approx(89.29e9, rel=1e-3)
    # Against $175B a year: 125 / 175 = 0.71 in 2029, 200 / 175 = 1.14 from 2030; nothing owed in 2025.
    vs = p["vs_headline"]
    assert vs["coverage"][0] is None
    assert vs["coverage"][4:6] == pytest.approx([125 / 175, 200 / 175], rel=1e-12)
    assert vs["coverage_stays_at_one_from"] == 2030


def test_commitments_flat_revenue_never_covers_them(commitments):
    p = commitments["paths"]["flat"]
    assert p["revenue_usd"] == [13e9] * 9
    assert p["coverage"][2] == pytest.approx(13 / (AWS + CW + MS + ORCL), rel=1e-12)  # 0.13
    assert p["coverage_stays_at_one_from"] is None and p["vs_headline"]["coverage_stays_at_one_from"] is None
    # Uncovered: 610.4 - (13 in 2025 covers the 9.91 owed) - 8 x 13 = 610.4 - 9.909 - 104 = $496.49B.
    assert p["cumulative_funding_gap_usd"] == pytest.approx((610.4 - (AWS + CW) - 8 * 13) * 1e9, rel=1e-12)


def test_commitments_at_25_percent_growth_only_the_contracts_ending_bring_coverage_to_one(commitments):
    p = commitments["paths"]["slow"]
    # 13 x 1.25^6 = 49.59 against 96.68 owed in 2031 (0.51); 13 x 1.25^7 = 61.99 against 31.25 in 2032 (1.98).
    assert p["coverage"][6] == pytest.approx(13 * 1.25 ** 6 / (AWS + MS + ORCL), rel=1e-12)
    assert p["coverage"][7] == pytest.approx(13 * 1.25 ** 7 / MS, rel=1e-12)
    assert p["coverage_stays_at_one_from"] == 2032
    assert p["vs_headline"]["coverage_stays_at_one_from"] is None  # 13 x 1.25^8 = 77.5 < 175 in 2033


def test_year_coverage_stays_at_one_resets_after_a_dip():
    # Covered in 2025, not in 2026, covered from 2027; a year with nothing owed (None) counts as covered.
    assert model.year_coverage_stays_at_one([2025, 2026, 2027, 2028], [1.3, 0.7, 1.0, None]) == 2027
    assert model.year_coverage_stays_at_one([2025, 2026], [1.3, 0.7]) is None


# --- bad input: one line naming the file or option and the field --------------------------------------------

@pytest.mark.parametrize("name, override, field", [
    (ADOPTION, "adoption.infrastructure_share_of_ai_budgets=0", "adoption.infrastructure_share_of_ai_budgets: "),
    (ADOPTION, "infrastructure.vintages_in_service=6", "infrastructure: vintages_in_service (6) cannot exceed"),
    (ADOPTION, "adoption.success_rates.production.rat=0.3", "--set: adoption.success_rates.production.rat: "),
    (COMMITMENTS, "commitments.oracle.years=5.5", "commitments.oracle.years: "),
    (COMMITMENTS, "revenue_paths.flat.revenue_usd_by_year.2025=-1", "revenue_paths.flat.revenue_usd_by_year.2025: "),
    (COMMITMENTS, "report_first_year=2024", "revenue_paths.reported: the first anchor year (2025) is after"),
    (COMMITMENTS, "commitments.oracle.total=1", "--set: commitments.oracle.total: no such field 'total'"),
])
def test_bad_input_is_one_line_naming_the_field(name, override, field, capsys):
    assert main(["run", name, "--set", override]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("dcecon: error: ")
    assert field in captured.err
    assert "Traceback" not in captured.err


def test_loaders_refuse_a_file_of_the_other_kind():
    with pytest.raises(ScenarioError, match="kind: is 'adoption-roi'; load_commitments reads kind = 'commitments'"):
        load_commitments(ADOPTION)
    with pytest.raises(ScenarioError, match="kind: is 'commitments'; load_adoption_roi reads"):
        load_adoption_roi(COMMITMENTS)


def test_a_table_id_that_is_not_an_identifier_is_refused(tmp_path):
    # The bundled file with a success rate keyed "1x": a dotted path could not tell it from an index.
    source = (bundled_dir() / f"{ADOPTION}.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(source.replace("[adoption.success_rates.production]", '[adoption.success_rates."1x"]'),
                   encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        load_adoption_roi(bad)
    assert excinfo.value.field == "adoption.success_rates"
    assert "id '1x' must start with a letter" in excinfo.value.message


# --- the command line ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kind", [(ADOPTION, "adoption-roi"), (COMMITMENTS, "commitments")])
def test_run_by_name_json_and_report(name, kind, capsys):
    assert main(["run", name, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["name"], document["kind"]) == (name, kind)
    assert document["sources"] and all(entry.get("as_of") for entry in document["sources"])
    assert main(["run", name]) == 0
    out = capsys.readouterr().out
    assert "Sources behind the inputs" in out


def test_json_figures_match_the_python_api(capsys):
    assert main(["run", COMMITMENTS, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["paths"]["reported"]["coverage_stays_at_one_from"] == 2029
    assert document["paths"]["reported"]["vs_headline"]["coverage"][0] is None  # nothing owed: null
    assert main(["run", ADOPTION, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["application_revenue_required_usd_per_year"] == pytest.approx(
        evaluate_adoption_roi(load_adoption_roi(ADOPTION))["application_revenue_required_usd_per_year"], rel=1e-12)
    assert document["stages"]["roi-growth"]["return_multiple_required"] == 4.0


def test_scenarios_lists_both(capsys):
    assert main(["scenarios", "--json"]) == 0
    rows = {row["name"]: row["kind"] for row in json.loads(capsys.readouterr().out)}
    assert rows[ADOPTION] == "adoption-roi" and rows[COMMITMENTS] == "commitments"
