"""Book vs economic depreciation of hyperscaler fleets (dcecon.valuation).

Where the expected values come from:

- hand arithmetic for straight-line vintages (shown in the comments);
- the published effects of two life changes: Meta 5 -> 5.5 years from
  1 Jan 2025, "approximately $2.9 billion" less 2025 depreciation (Form 10-K
  2024 / Q4-2024 results, 29 Jan 2025), and Amazon 6 -> 5 years for a subset
  from 1 Jan 2025, "approximately $0.7 billion" less 2025 operating income
  (Form 10-K 2024, 7 Feb 2025). Both are rounded to $0.1B, so the data pin
  them only to +-1.7% (Meta) and +-7% (Amazon);
- Michael Burry's estimate (X, 10-11 Nov 2025): hyperscalers understate
  depreciation by about $176B over 2026-2028.

The capex paths in the tests are those of scenarios/hyperscaler-useful-lives.toml
(sources there), copied here so that each test shows its inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dcecon.scenario.errors import ScenarioError
from dcecon.valuation import useful_lives as ul
from dcecon.kinds import run_file
from dcecon.valuation.evaluate import evaluate
from dcecon.valuation.scenario import load_useful_lives

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hyperscaler-useful-lives.toml"
SCENARIO_TEXT = SCENARIO.read_text(encoding="utf-8")

# Meta capex 2019-2024 incl. finance-lease principal [USD]: 2019 about $15B (CFO Wehner, Nov 2021),
# 2020 $15.7B (Q4-2020 release), 2021 about $19.2B, 2022 $31.19B (quarterly cash purchases), 2023 $28.10B,
# 2024 $39.23B (Q4-2024 release).
META_VINTAGES = np.array([2019.0, 2020, 2021, 2022, 2023, 2024])
META_CAPEX = np.array([15.0, 15.7, 19.2, 31.19, 28.10, 39.23]) * 1e9
META_SERVER_SHARE = 0.59      # servers and network $68.4B / (that + buildings $47.1B), 10-K 2024 balance sheet

# Amazon capex 2020-2024 incl. finance and build-to-suit leases [USD]: 53.8 (2021's 73.7 / 1.37), 73.7, 67.5
# (Platformonomics retrospectives), 52.7, 83.0 (purchases of property and equipment).
AMAZON_VINTAGES = np.array([2020.0, 2021, 2022, 2023, 2024])
AMAZON_CAPEX = np.array([53.8, 73.7, 67.5, 52.7, 83.0]) * 1e9
AMAZON_SERVER_SHARE = 0.45    # dcecon assumption (AWS 61-68% of capex, about two thirds of it servers)

BURRY_USD = 176e9


# --- straight-line vintages by hand -------------------------------------------------------------------

def test_three_year_life_spread_over_the_year_charges_a_sixth_a_third_a_third_a_sixth():
    # Placed evenly across year 0, a unit is on average half a year old at the end of year 0:
    # year 0 charges 1/3 * 1/2 = 1/6, years 1 and 2 a full 1/3, year 3 the remaining 1/6.
    fractions = ul.year_fraction(np.arange(5), 3.0)
    np.testing.assert_allclose(fractions, [1 / 6, 1 / 3, 1 / 3, 1 / 6, 0.0], rtol=0, atol=1e-15)


def test_two_vintages_by_hand():
    # $300 in 2024 and $600 in 2025, 3-year life, spread across each year:
    # 2024: 300/6 = 50
    # 2025: 300/3 + 600/6 = 100 + 100 = 200
    # 2026: 300/3 + 600/3 = 100 + 200 = 300
    # 2027: 300/6 + 600/3 = 50 + 200 = 250
    # 2028: 600/6 = 100                       total 900 = the base
    years = np.arange(2024, 2029)
    depreciation = ul.depreciation_by_year([300.0, 600.0], 3.0, years, "spread", vintage_years=[2024, 2025])
    np.testing.assert_allclose(depreciation, [50, 200, 300, 250, 100], rtol=1e-14)


def test_gap_between_a_six_year_book_life_and_a_three_year_economic_life_by_hand():
    # Same vintages as above. Economic (3 y): 50, 200, 300, 250, 100 (above).
    # Book (6 y, first and last year half): 2024: 300/12 = 25; 2025: 300/6 + 600/12 = 100;
    # 2026-2028: 300/6 + 600/6 = 150. Gap = economic - book: 25, 100, 150, 100, -50; 2026-2028: 200.
    years = np.arange(2024, 2029)
    gap = ul.depreciation_gap_by_year([300.0, 600.0], 6.0, 3.0, years, vintage_years=[2024, 2025])
    np.testing.assert_allclose(gap, [25, 100, 150, 100, -50], rtol=1e-14)
    assert float(ul.window_total(gap, years, 2026, 2028)) == pytest.approx(200.0, rel=1e-14)
    # over the whole life of both schedules the gap sums to zero
    long_years = np.arange(2024, 2032)
    assert ul.depreciation_gap_by_year([300.0, 600.0], 6.0, 3.0, long_years, vintage_years=[2024, 2025]).sum() \
        == pytest.approx(0.0, abs=1e-12)


def test_fractional_life_spread_and_mid_year_by_hand():
    # Meta's 5.5 years on a base of 5.5 (so that a full year is 1):
    # mid_year: placed on 1 July, 0.5 in year 0, 1 in years 1-5 (ages 0.5..5.5), nothing after.
    # spread: a unit placed at u in [0, 1) ends at u + 5.5; year 5 charges min(1, 0.5 + u), on average
    #   0.5 * (0.5 + 0.75) + 0.5 * 1 = 0.875; year 6 charges max(u - 0.5, 0), on average 0.125.
    elapsed = np.arange(8)
    np.testing.assert_allclose(5.5 * ul.year_fraction(elapsed, 5.5, "mid_year"), [0.5, 1, 1, 1, 1, 1, 0, 0],
                               atol=1e-14)
    np.testing.assert_allclose(5.5 * ul.year_fraction(elapsed, 5.5, "spread"),
                               [0.5, 1, 1, 1, 1, 0.875, 0.125, 0], atol=1e-14)


@pytest.mark.parametrize("convention", ul.CONVENTIONS)
def test_half_year_convention_first_year_is_half_a_year_and_totals_equal_the_base(convention):
    rng = np.random.default_rng(7)
    capex = rng.uniform(0.0, 100.0, size=(4, 6))          # 4 fleets x 6 vintages
    lives = np.array([1.0, 2.5, 5.5, 6.0])                 # one life per fleet, fractional ones included
    vintages = np.arange(2020.0, 2026.0)
    years = np.arange(2020, 2040)
    depreciation = ul.depreciation_by_year(capex, lives, years, convention, vintages)
    np.testing.assert_allclose(depreciation.sum(axis=-1), capex.sum(axis=-1), rtol=1e-12)
    # first year of a vintage: B / (2 L) under both conventions (lives >= 1)
    np.testing.assert_allclose(ul.year_fraction(0.0, lives, convention), 1.0 / (2.0 * lives), rtol=1e-14)


def test_unknown_convention_is_refused():
    with pytest.raises(ValueError, match="unknown convention"):
        ul.year_fraction(0.0, 3.0, "start_of_year")


# --- prospective life changes ---------------------------------------------------------------------------

@pytest.mark.parametrize("convention", ul.CONVENTIONS)
def test_no_change_is_plain_straight_line(convention):
    years = np.arange(2015, 2035)
    capex = np.array([10.0, 20.0, 30.0, 40.0])
    vintages = np.array([2018.0, 2019, 2020, 2021])
    changed = ul.life_change_depreciation_by_year(capex, 5.0, 5.0, 2022, years, convention, vintages)
    np.testing.assert_allclose(changed, ul.depreciation_by_year(capex, 5.0, years, convention, vintages),
                               atol=1e-12)


@pytest.mark.parametrize("convention", ul.CONVENTIONS)
@pytest.mark.parametrize("old_life, new_life", [(5.0, 5.5), (6.0, 5.0), (6.0, 2.0), (4.0, 6.0), (3.0, 1.5)])
def test_a_prospective_change_still_writes_off_exactly_the_base(convention, old_life, new_life):
    years = np.arange(2010, 2040)
    capex = np.array([15.0, 15.7, 19.2, 31.19, 28.10, 39.23, 72.22])
    vintages = np.arange(2019.0, 2026.0)
    book = ul.life_change_depreciation_by_year(capex, old_life, new_life, 2025, years, convention, vintages)
    assert book.sum() == pytest.approx(capex.sum(), rel=1e-12)
    assert np.all(book >= -1e-12)


def test_first_year_effect_of_one_vintage_by_hand():
    # A vintage placed on 1 July 2024 (mid_year) is 0.5 years old on 1 January 2025.
    # Meta 5 -> 5.5: old charge 1/5 = 0.2; book value 1 - 0.5/5 = 0.9 over 5.5 - 0.5 = 5 years = 0.18;
    #   effect -0.02 = -1 / (10 (5.5 - 0.5)).
    # Amazon 6 -> 5: old 1/6; book value 1 - 0.5/6 = 11/12 over 4.5 years = 0.2037; effect +1/27.
    assert ul.first_year_effect([1.0], [2024.0], 5.0, 5.5, 2025, "mid_year") == pytest.approx(-0.02, abs=1e-15)
    assert ul.first_year_effect([1.0], [2024.0], 6.0, 5.0, 2025, "mid_year") == pytest.approx(1 / 27, abs=1e-15)


def test_older_than_the_new_life_is_written_off_in_the_change_year():
    # Placed 1 July 2021, 3.5 years old on 1 January 2025; 6 -> 2 years: the book value 1 - 3.5/6 = 5/12
    # is charged in 2025 and nothing after.
    book = ul.life_change_depreciation_by_year([1.0], 6.0, 2.0, 2025, [2024, 2025, 2026], "mid_year", [2021.0])
    np.testing.assert_allclose(book, [1 / 6, 5 / 12, 0.0], atol=1e-15)


@pytest.mark.parametrize("old_life, new_life", [(5.0, 5.5), (6.0, 5.0), (4.85, 5.5), (6.0, 1.5), (2.0, 6.0)])
def test_spread_closed_form_matches_many_small_mid_year_vintages(old_life, new_life):
    # Reference: the year split into 2000 equal parts, each placed at its own middle (mid_year on a
    # shifted start). Midpoint-rule error on a piecewise-smooth integrand with a few kinks: < 1e-6.
    n = 2000
    starts = 2021.0 + (np.arange(n) + 0.5) / n - 0.5
    years = np.arange(2024, 2032)
    reference = ul.life_change_depreciation_by_year(np.full(n, 1.0 / n), old_life, new_life, 2025, years,
                                                    "mid_year", starts)
    exact = ul.life_change_depreciation_by_year([1.0], old_life, new_life, 2025, years, "spread", [2021.0])
    np.testing.assert_allclose(exact, reference, atol=1e-6)


def test_a_fiscal_year_straddling_the_change_is_refused():
    with pytest.raises(ValueError, match="straddle"):
        ul.life_change_depreciation_by_year([1.0], 5.0, 6.0, 2025, [2025], "spread", [2024.4166])


# --- the published life changes ------------------------------------------------------------------------

def test_meta_five_to_five_and_a_half_years_as_published_gives_0_77_of_the_2_9_billion():
    """Meta 10-K 2024: 'approximately $2.9 billion' less 2025 depreciation (5 -> 5.5 years as published).

    With the lives as published (5 -> 5.5), Meta's capex 2019-2024 (above) and the balance-sheet server
    share 0.59, the model gives $2.22B, 0.77x the disclosure (measured, regression +-0.5%); a share of about
    0.77 of capex reproduces it. That 0.77 / 0.59 = 1.30 is the common share scale the scenario fits on Meta
    (tests/test_useful_lives_out_of_sample.py): a target, not evidence. A blended previous life of 4.85
    years would also reproduce it with 0.59 (fitted, not published).
    """
    effect = ul.first_year_effect(META_CAPEX * META_SERVER_SHARE, META_VINTAGES, 5.0, 5.5, 2025)
    assert effect == pytest.approx(-2.223e9, rel=0.005)
    flat_five = ul.first_year_effect(META_CAPEX, META_VINTAGES, 5.0, 5.5, 2025)
    share_needed = float(ul.affine_solve(0.0, flat_five, -2.9e9))
    assert share_needed == pytest.approx(0.77, abs=0.01)
    assert share_needed > META_SERVER_SHARE      # a flat 5 years does not fit the balance-sheet share
    fitted_previous = ul.first_year_effect(META_CAPEX * META_SERVER_SHARE, META_VINTAGES, 4.85, 5.5, 2025)
    assert fitted_previous == pytest.approx(-2.9e9, rel=0.02)


def test_amazon_six_to_five_years_is_about_0_7_billion_less_2025_operating_income():
    """Amazon 10-K 2024: 'approximately $0.7 billion' less 2025 operating income for 'a subset'.

    Inputs that reproduce it (tolerance 1%, a calibration check; the rounding of the published figure
    allows +-7%): Amazon's capex 2020-2024 (above), server share 0.45, and the subset = 6.71% of the
    server base, i.e. about 3.0% of 2020-2024 capex.
    """
    effect = ul.first_year_effect(AMAZON_CAPEX * AMAZON_SERVER_SHARE * 0.0671, AMAZON_VINTAGES, 6.0, 5.0, 2025)
    assert effect == pytest.approx(0.7e9, rel=0.01)
    subset_of_capex = 0.7e9 / ul.first_year_effect(AMAZON_CAPEX, AMAZON_VINTAGES, 6.0, 5.0, 2025)
    assert subset_of_capex == pytest.approx(0.030, abs=0.001)


def test_the_scenario_file_reproduces_both_fit_targets_by_construction():
    # Meta and Amazon are the fit set: their effects are reproduced exactly (targets, not evidence).
    result = evaluate(load_useful_lives(SCENARIO))
    meta = result["companies"]["meta"]["life_change"]
    amazon = result["companies"]["amzn"]["life_change"]
    assert (meta["from_years"], meta["to_years"], meta["role"]) == (5.0, 5.5, "fit")   # as published
    assert meta["modelled_usd"] == pytest.approx(-2.9e9, rel=1e-12)     # Meta 10-K 2024, see above
    assert amazon["modelled_usd"] == pytest.approx(0.7e9, rel=1e-12)    # Amazon 10-K 2024, see above
    assert amazon["fraction"] == pytest.approx(0.0671, abs=0.0001)      # 'a subset' of its server base


# --- Burry's $176B -------------------------------------------------------------------------------------

def test_burry_176_billion_over_2026_to_2028():
    """What this asserts about Burry's about $176B (X, Nov 2025) and the scenario's capex path.

    - With a 3-year economic life for every company (his 'two to three-year product cycle', upper end) the
      scenario's path (reported to 2025, guidance 2026, Morgan Stanley 2027, 2028 flat) understates
      depreciation by about $370B over 2026-2028: 2.1x his figure (regression value, +-1%).
    - His $176B is reproduced (to 1e-9, solver check) by any of: a 4.17-year economic life for everyone on
      this path; a 3-year life with the projected 2026-2028 capex scaled by 0.49; a 3-year life with
      every server share scaled by 0.476 (Amazon's fitted subset held).
    - Measured again after Meta's previous life became the published 5 years (was a fitted 4.85) and
      Alphabet's 2019 vintage was added: the fleet gap moved from $369.7B to $369.2B, inside the +-1%.
    """
    scenario = load_useful_lives(SCENARIO)
    fleet = evaluate(scenario)["fleet"]
    assert fleet["window_gap_usd"] == pytest.approx(369.7e9, rel=0.01)
    rep = fleet["reproducing"]
    assert rep["uniform_economic_life_years"] == pytest.approx(4.17, abs=0.01)
    assert rep["projected_capex_scale"] == pytest.approx(0.49, abs=0.005)
    assert rep["server_share_scale"] == pytest.approx(0.476, abs=0.002)

    life = rep["uniform_economic_life_years"]
    check = evaluate(load_useful_lives(SCENARIO, [f"companies.*.economic_life_years={life!r}"]))
    assert check["fleet"]["window_gap_usd"] == pytest.approx(BURRY_USD, rel=1e-9)
    # Amazon's subset is fitted to its disclosure, so it moves with its share unless held; the solve holds it.
    amazon_subset = evaluate(scenario)["companies"]["amzn"]["life_change"]["fraction"]
    overrides = [f"companies.{key}.server_share={company.server_share * rep['server_share_scale']!r}"
                 for key, company in scenario.companies.items()] + [f"companies.amzn.change_fraction={amazon_subset!r}"]
    check = evaluate(load_useful_lives(SCENARIO, overrides))
    assert check["fleet"]["window_gap_usd"] == pytest.approx(BURRY_USD, rel=1e-9)


def test_after_tax_overstatement_and_window_total_by_hand():
    # $100 of understated depreciation at the 21% US federal rate overstates net income by $79.
    assert float(ul.after_tax_overstatement(100.0, 0.21)) == pytest.approx(79.0, abs=1e-12)
    # 2026-2028 of [2025..2029] = 2 + 3 + 4
    assert float(ul.window_total([1.0, 2.0, 3.0, 4.0, 5.0], np.arange(2025, 2030), 2026, 2028)) == 9.0
    assert float(ul.depreciation_gap(book_usd=2.0, economic_usd=5.0)) == 3.0


def test_bisect_returns_nan_when_nothing_is_bracketed():
    roots = ul.bisect(lambda x: x * x, np.array([4.0, -1.0]), 0.0, 10.0)
    assert roots[0] == pytest.approx(2.0, abs=1e-12)
    assert np.isnan(roots[1])
    assert np.isnan(ul.affine_solve(1.0, 1.0, 3.0))


# --- the scenario file and the command -----------------------------------------------------------------

def test_every_number_in_the_scenario_is_sourced():
    scenario = load_useful_lives(SCENARIO)
    for key, company in scenario.companies.items():
        for year in company.capex_usd_by_year:
            assert f"companies.{key}.capex_usd_by_year.{year}" in scenario.provenance
        for field in ("server_share", "book_life_years", "economic_life_years", "tax_rate"):
            assert scenario.provenance[f"companies.{key}.{field}"] in scenario.sources
    assert scenario.provenance["published_window_gap_usd"] == "burry-2025-11"


def test_run_file_json_is_one_object(capsys):
    assert run_file(SCENARIO, ["window_first_year=2027"], as_json=True) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["window"] == [2027, 2028]
    assert set(result["companies"]) == {"msft", "googl", "amzn", "meta", "orcl"}
    assert {"window_first_year"} <= {f for s in result["sources"] if s["id"] == "--set" for f in s["fields"]}


def test_run_file_prints_the_report(capsys):
    assert run_file(SCENARIO) == 0
    out = capsys.readouterr().out
    for text in ("Meta Platforms", "Life changes", "5 → 5.5 y", "Out of sample: fitted on", "Published estimate",
                 "$176.00B", "Sources behind the inputs"):
        assert text in out


def _bad(tmp_path, old: str, new: str) -> Path:
    assert SCENARIO_TEXT.count(old) == 1, old
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO_TEXT.replace(old, new), encoding="utf-8")
    return path


META_2024 = '2024 = { value = 39.23e9, source = "meta-q4-2024"'
META_LIFE = 'change_year = { value = 2025, source = "meta-10k-2024-life" }\neconomic_life_years = { value = 3,'


@pytest.mark.parametrize("old, new, field, message", [
    ('name = "Meta Platforms"', 'name = "Meta Platforms"\nservr_share = 0.5', "companies.meta.servr_share",
     "unknown field"),
    (META_2024, META_2024.replace("39.23e9", "-39.23e9"), "companies.meta.capex_usd_by_year.2024",
     "greater than or equal to 0"),
    (META_LIFE, META_LIFE.replace("value = 3,", "value = 0,"), "companies.meta.economic_life_years",
     "greater than 0"),
    (META_2024, META_2024.replace("meta-q4-2024", "meta-q4-2042"), "companies.meta.capex_usd_by_year.2024",
     "unknown source id"),
])
def test_bad_input_names_file_and_field(tmp_path, old, new, field, message):
    path = _bad(tmp_path, old, new)
    with pytest.raises(ScenarioError) as info:
        load_useful_lives(path)
    assert info.value.file == str(path)
    assert info.value.field == field
    assert message in info.value.message


@pytest.mark.parametrize("override, field", [
    ("companies.meta.servr_share=0.5", "companies.meta.servr_share"),
    ("companies.nvidia.server_share=0.5", "companies.nvidia.server_share"),
    ("window_start=2026", "window_start"),
    ("companies.meta.capex_usd_by_year.next=1", "companies.meta.capex_usd_by_year.next"),
])
def test_set_on_an_unknown_path_names_set_and_the_path(override, field):
    with pytest.raises(ScenarioError) as info:
        load_useful_lives(SCENARIO, [override])
    assert (info.value.file, info.value.field) == ("--set", field)


def test_set_value_out_of_bounds_names_the_file_and_field():
    with pytest.raises(ScenarioError) as info:
        load_useful_lives(SCENARIO, ["companies.orcl.server_share=1.5"])
    assert (info.value.file, info.value.field) == (str(SCENARIO), "companies.orcl.server_share")


def test_a_scenario_of_another_kind_is_refused():
    with pytest.raises(ScenarioError) as info:
        load_useful_lives(ROOT / "scenarios" / "h100-neocloud-2024.toml")
    assert info.value.field == "kind"
