"""Out-of-sample checks of the useful-life model: fitted on Meta and Amazon, predicting Alphabet and Microsoft.

The bundled scenario (scenarios/hyperscaler-useful-lives.toml) fits one common parameter, the multiplier k
of the sourced server shares in the life-change effects, on Meta and Amazon only (``fit_companies``);
Amazon's "subset" is fitted too, but it fixes only itself. Alphabet's and Microsoft's disclosed effects
are then predicted without refitting. The errors below are held as measured by
``dcecon run hyperscaler-useful-lives --json`` on 2026-12-01; nobody tuned them.

Disclosures (sources in the scenario file):
- Meta 5 -> 5.5 years from 1 Jan 2025: about $2.9B less 2025 depreciation (Form 10-K 2024) - fit target;
- Amazon 6 -> 5 years for a subset from 1 Jan 2025: about $0.7B less 2025 operating income (Form 10-K
  2024) - fit target;
- Alphabet 4 -> 6 years (servers) from 2023: $3.9B less 2023 depreciation, assets at 31 Dec 2022 and
  those acquired in 2023 (Q4-2023 results / Form 10-K 2023, 30 Jan 2024) - out of sample;
- Microsoft 4 -> 6 years from fiscal 2023 (1 Jul 2022): about $3.7B more fiscal 2023 operating income on
  the assets at 30 Jun 2022 (Form 10-K FY2022, 28 Jul 2022) - out of sample.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dcecon.cli.main import main
from dcecon.scenario.errors import ScenarioError
from dcecon.valuation import useful_lives as ul
from dcecon.valuation.evaluate import evaluate, fit_life_changes, life_change_effect
from dcecon.valuation.scenario import load_useful_lives

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hyperscaler-useful-lives.toml"


@pytest.fixture(scope="module")
def result():
    return evaluate(load_useful_lives(SCENARIO))


def _out_of_sample(result, key):
    return next(row for row in result["life_change_fit"]["out_of_sample"] if row["company"] == key)


def test_fit_set_is_meta_and_amazon_and_reproduces_both_by_construction(result):
    fit = result["life_change_fit"]
    assert fit["companies"] == ["meta", "amzn"]
    # measured by `dcecon run hyperscaler-useful-lives --json` on 2026-12-01; not tuned:
    # Meta's balance-sheet share 0.59 gives $2.22B on 5 -> 5.5 years, so k = 2.9 / 2.223 = 1.305.
    assert fit["share_scale"] == pytest.approx(1.305, abs=0.0005)
    assert fit["change_fraction_of_sourced_base"]["amzn"] == pytest.approx(0.0671, abs=0.00005)
    for key, published in (("meta", -2.9e9), ("amzn", 0.7e9)):
        change = result["companies"][key]["life_change"]
        assert change["role"] == "fit"
        assert change["modelled_usd"] == pytest.approx(published, rel=1e-12)   # a target, not evidence


def test_alphabet_2023_prediction_is_2_41x_its_disclosed_3_9_billion(result):
    row = _out_of_sample(result, "googl")
    assert row["published_usd"] == -3.9e9
    # measured by `dcecon run hyperscaler-useful-lives --json` on 2026-12-01; not tuned
    assert row["prediction_usd"] / row["published_usd"] == pytest.approx(2.408, abs=0.0005)
    assert row["prediction_over_published"] == pytest.approx(2.408, abs=0.0005)
    # with the sourced shares (k = 1) the miss is smaller, 1.85x: the fit on Meta makes it worse
    assert row["unfitted_over_published"] == pytest.approx(1.846, abs=0.0005)


def test_microsoft_fy2023_prediction_is_1_51x_its_disclosed_3_7_billion(result):
    row = _out_of_sample(result, "msft")
    assert row["published_usd"] == -3.7e9
    # measured by `dcecon run hyperscaler-useful-lives --json` on 2026-12-01; not tuned
    assert row["prediction_usd"] / row["published_usd"] == pytest.approx(1.509, abs=0.0005)
    assert row["unfitted_over_published"] == pytest.approx(1.157, abs=0.0005)
    assert result["companies"]["msft"]["life_change"]["effect_from"] == 2022.5   # fiscal 2023 from 1 Jul 2022


def test_changing_alphabet_and_microsoft_disclosures_does_not_change_the_fit(result):
    changed = evaluate(load_useful_lives(SCENARIO, ["companies.googl.published_first_year_effect_usd=-1e9",
                                                    "companies.msft.published_first_year_effect_usd=-9e9"]))
    before, after = result["life_change_fit"], changed["life_change_fit"]
    assert after["share_scale"] == before["share_scale"]
    assert after["change_fraction"] == before["change_fraction"]
    for key in ("googl", "msft"):
        assert _out_of_sample(changed, key)["prediction_usd"] == _out_of_sample(result, key)["prediction_usd"]
    # ... while Meta's disclosure does move it (k is proportional to it)
    moved = evaluate(load_useful_lives(SCENARIO, ["companies.meta.published_first_year_effect_usd=-5.8e9"]))
    assert moved["life_change_fit"]["share_scale"] == pytest.approx(2 * before["share_scale"], rel=1e-12)


def test_fit_function_reads_only_the_fit_companies():
    scenario = load_useful_lives(SCENARIO)
    fit = fit_life_changes(scenario)
    other = load_useful_lives(SCENARIO, ["companies.googl.server_share=0.1", "companies.msft.book_life_years=9"])
    assert fit_life_changes(other) == fit


def test_alphabet_effect_includes_its_2023_additions_by_hand():
    # Basis 'with_additions': the 2023 vintage (spread across 2023) is charged half a year at 6 instead of
    # 4 years: 1/12 - 1/8 = -1/24 of its base. Base = $32.26B x 0.60 = $19.356B -> -$0.8065B.
    scenario = load_useful_lives(SCENARIO)
    company = scenario.companies["googl"]
    with_additions = life_change_effect(company, "spread")
    in_service = life_change_effect(company.model_copy(update={"published_effect_basis": "in_service"}), "spread")
    assert with_additions - in_service == pytest.approx(-32.26e9 * 0.60 / 24, rel=1e-12)
    # the 2019 vintage (ages 3-4 on 1 Jan 2023) is part of the in-service effect
    only_2019 = ul.first_year_effect([23.548e9 * 0.60], [2019.0], 4.0, 6.0, 2023)
    assert only_2019 < 0.0


def test_run_json_and_table_show_the_out_of_sample_rows(capsys):
    assert main(["run", "hyperscaler-useful-lives", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {row["company"] for row in data["life_change_fit"]["out_of_sample"]} == {"googl", "msft"}
    assert main(["run", "hyperscaler-useful-lives"]) == 0
    out = capsys.readouterr().out
    assert "Out of sample: fitted on Meta Platforms and Amazon" in out
    assert "5 → 5.5 y" in out and "4.85" not in out        # Meta's lives as published


@pytest.mark.parametrize("override, field, message", [
    ('fit_companies=["meta", "nvda"]', "fit_companies", "no company 'nvda'"),
    ('fit_companies=["meta"]', "fit_companies", "companies.amzn.change_fraction = 'fit'"),
    ('fit_companies=["amzn"]', "fit_companies", "nothing fixes the common share scale"),
    ("companies.amzn.change_fraction=fitt", "companies.amzn.change_fraction", "or 'fit'"),
])
def test_bad_fit_settings_name_the_field(override, field, message):
    with pytest.raises(ScenarioError) as info:
        load_useful_lives(SCENARIO, [override])
    assert info.value.field == field
    assert message in info.value.message
