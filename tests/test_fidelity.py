"""``dcecon fidelity``: the claim files, their loader, the errors against the published figures, the report.

What is checked, and where the expected values come from:

- the loader refuses every kind of bad claim file with one line naming the file and the field (the house rule
  of docs/fidelity.md "Adding a claim"), in-process and through ``dcecon.cli.main.main`` (exit status 2);
- the error arithmetic, by hand: a ratio's error is a difference (16 % against 14 % is +2 pp), every other
  unit's is relative ($5.29B against $3.9B is 5.29 / 3.9 - 1 = +35.6 %);
- the bundled claim files: every file validates, every claim with a scenario resolves to a finite number in
  the object ``dcecon run NAME --json --backend numpy`` prints (no error rows), at least one claim is
  out-of-sample (issue 10 "Done when": the out-of-sample rows have errors), and every seed claim is shown with
  a status and a public source (never a file path).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dcecon.cli import main as cli_main
from dcecon.errors import ScenarioError
from dcecon.fidelity import evaluate as fidelity_evaluate
from dcecon.fidelity.claims import CLAIMS_DIR, STATUSES, claim_files, load_claims, read_claim_file
from dcecon.fidelity.evaluate import (
    MissingValue,
    claim_error,
    error_kind,
    evaluate_claims,
    read_value,
    status_counts,
)
from dcecon.report.fidelity import count_line, error_text

SEED_FILE = CLAIMS_DIR / "seed_claims.toml"
FILE_PATH = re.compile(r"\.(txt|md|toml)\b|\w/\w+/")
"""What a file path in a claim's source looks like (a folder and a name, or a text file's suffix)."""

GOOD_CLAIM = {
    "id": "oracle-q1-gross-margin",
    "claim": "Oracle kept about 14 cents of gross profit per rented dollar (quarter to 31 Aug 2025)",
    "published": 0.14,
    "unit": "ratio",
    "source": "The Information, 'Internal Oracle Data Show Financial Challenge of Renting Out Nvidia Chips', "
              "2025-10-07",
    "scenario": "oracle-fy26q1",
    "value": "gross_margin",
    "status": "target",
}
"""A valid claim (the format's example in issue 10's brief); each bad case changes one thing of it."""


def _toml_value(value) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value).lower() if isinstance(value, bool) \
        else repr(value)


def claim_toml(claim: dict) -> str:
    """One ``[[claim]]`` table as TOML text (strings, numbers and booleans only)."""
    return "[[claim]]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in claim.items())


def write_claims(folder: Path, name: str, *claims: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(claim_toml(c) for c in claims), encoding="utf-8")
    return path


@pytest.fixture
def dcecon(capsys):
    """Run ``dcecon ARGS`` in-process; returns ``(status, stdout, stderr)``."""

    def run(*args):
        status = cli_main.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture(scope="module")
def bundled_rows():
    """Every bundled claim beside the model (each named scenario run once, NumPy backend)."""
    return evaluate_claims(load_claims())


# --- the loader: bad claim files, one line each ----------------------------------------------------------------

def _changed(**changes) -> dict:
    claim = dict(GOOD_CLAIM)
    for key, value in changes.items():
        if value is None:
            claim.pop(key)
        else:
            claim[key] = value
    return claim


BAD_CLAIMS = {
    # case: (claim, field named in the error, words of the message)
    "unknown field": (_changed(colour="red"), "claim.oracle-q1-gross-margin.colour", "unknown field"),
    "misspelt field": (_changed(source=None, sourse="x"), "claim.oracle-q1-gross-margin.sourse",
                       "did you mean 'source'"),
    "missing published": (_changed(published=None), "claim.oracle-q1-gross-margin.published", "required"),
    "published as text": (_changed(published="14%"), "claim.oracle-q1-gross-margin.published", "valid number"),
    "published as boolean": (_changed(published=True), "claim.oracle-q1-gross-margin.published", "valid number"),
    "unknown status": (_changed(status="calibrated"), "claim.oracle-q1-gross-margin.status", "'out-of-sample'"),
    "unknown unit": (_changed(unit="percent"), "claim.oracle-q1-gross-margin.unit", "'ratio'"),
    "id not kebab-case": (_changed(id="Oracle_Q1"), "claim.0.id", "kebab-case"),
    "scenario without value": (_changed(value=None), "claim.oracle-q1-gross-margin.value", "is required with"),
    "value without scenario": (_changed(scenario=None), "claim.oracle-q1-gross-margin.scenario",
                               "'not-covered'"),
    "not-covered with a scenario": (_changed(status="not-covered"), "claim.oracle-q1-gross-margin.scenario",
                                    "names no scenario"),
    "not-covered with a value": (_changed(status="not-covered", scenario=None),
                                 "claim.oracle-q1-gross-margin.value", "no value path"),
    "scenario not bundled": (_changed(scenario="oracle-fy26q"), "claim.oracle-q1-gross-margin.scenario",
                             "did you mean 'oracle-fy26q1'"),
    "value path with an empty part": (_changed(value="cohorts..gross_margin"),
                                      "claim.oracle-q1-gross-margin.value", "dotted path"),
    "url not a web address": (_changed(url="see the seed file"), "claim.oracle-q1-gross-margin.url",
                              "web address"),
    "empty claim text": (_changed(claim=""), "claim.oracle-q1-gross-margin.claim", "at least 1 character"),
    "blank source": (_changed(source="  \n "), "claim.oracle-q1-gross-margin.source", "is blank"),
}


@pytest.mark.parametrize("case", list(BAD_CLAIMS))
def test_a_bad_claim_is_one_line_naming_the_file_and_the_field(case, tmp_path):
    claim, field, words = BAD_CLAIMS[case]
    path = write_claims(tmp_path, "topic.toml", claim)
    with pytest.raises(ScenarioError) as raised:
        load_claims(tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field}: "), message
    assert words in message


def test_the_good_claim_of_the_bad_cases_loads(tmp_path):
    """The bad cases above differ from a valid claim by one change only."""
    write_claims(tmp_path, "topic.toml", GOOD_CLAIM)
    [(path, claim)] = load_claims(tmp_path)
    assert (path.name, claim.id, claim.published, claim.note) == ("topic.toml", GOOD_CLAIM["id"], 0.14, "")


BAD_FILES = {
    # case: (file text, field named in the error or None, words of the message)
    "not TOML": ("[[claim]\nid = 1\n", None, "not valid TOML"),
    "a top-level key besides claim": (claim_toml(GOOD_CLAIM) + "\n[sources.x]\ntitle = 'x'\n", "sources",
                                      "only [[claim]] tables"),
    "no claim": ("# nothing yet\n", "claim", "no claims"),
    "claim is not an array of tables": ("claim = 3\n", "claim", "no claims"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_claim_file_is_one_line(case, tmp_path):
    text, field, words = BAD_FILES[case]
    path = tmp_path / "topic.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        read_claim_file(path)
    message = str(raised.value)
    assert "\n" not in message and words in message
    assert message.startswith(f"{path}: {field}: " if field else f"{path}: ")


def test_an_id_used_in_two_files_is_refused_naming_both(tmp_path):
    first = write_claims(tmp_path, "a.toml", GOOD_CLAIM)
    second = write_claims(tmp_path, "b.toml", _changed(claim="the same id again"))
    with pytest.raises(ScenarioError) as raised:
        load_claims(tmp_path)
    assert str(raised.value) == f"{second}: claim.oracle-q1-gross-margin.id: duplicate claim id (also in {first})"


def test_an_id_used_twice_in_one_file_is_refused(tmp_path):
    path = write_claims(tmp_path, "a.toml", GOOD_CLAIM, GOOD_CLAIM)
    with pytest.raises(ScenarioError, match="duplicate claim id \\(earlier in this file\\)") as raised:
        load_claims(tmp_path)
    assert str(raised.value).startswith(f"{path}: claim.oracle-q1-gross-margin.id: ")


def test_a_bad_claim_file_on_the_command_line_is_one_line_and_exit_2(dcecon, tmp_path):
    path = write_claims(tmp_path, "topic.toml", _changed(status="calibrated"))
    status, out, err = dcecon("fidelity", "--claims", str(tmp_path))
    assert status == 2 and out == ""
    assert err.splitlines() == [f"dcecon: error: {path}: claim.oracle-q1-gross-margin.status: Input should be "
                                f"'out-of-sample', 'target', 'derived', 'input' or 'not-covered' (got 'calibrated')"]


@pytest.mark.parametrize("make, words", [(lambda p: p / "missing", "is not a folder"),
                                         (lambda p: p, "holds no claim file (*.toml)")])
def test_a_claims_folder_that_is_not_one_is_one_line_and_exit_2(dcecon, tmp_path, make, words):
    folder = make(tmp_path)
    status, out, err = dcecon("fidelity", "--claims", str(folder))
    assert (status, out) == (2, "")
    assert err.splitlines() == [f"dcecon: error: --claims: {folder}: {words}"]


def test_an_empty_claims_option_is_one_line_and_exit_2(dcecon):
    """``--claims ""`` is a mistake, not the current folder."""
    assert dcecon("fidelity", "--claims", "") == (2, "", "dcecon: error: --claims: is empty; give a folder of "
                                                        "claim files (*.toml)\n")


# --- the error arithmetic, by hand ---------------------------------------------------------------------------

def test_a_ratio_error_is_the_difference_in_percentage_points():
    """Oracle's twelve-month average margin of about 16 % against the quarter's 14 % (The Information,
    2025-10-07): 0.16 - 0.14 = +0.02, shown as +2.0 pp."""
    assert error_kind("ratio") == "difference"
    assert claim_error(0.16, 0.14, "ratio") == pytest.approx(0.02, abs=1e-15)
    assert error_text(0.02, "ratio") == "+2.0 pp"


def test_a_dollar_error_is_relative():
    """Alphabet's useful-life change as issue 10 measured it: modelled -$5.29B against a disclosed -$3.9B, so
    -5.29 / -3.9 - 1 = +0.35641 (1.36x the disclosure), shown as +35.6 %."""
    assert error_kind("usd") == "relative"
    assert claim_error(-5.29e9, -3.9e9, "usd") == pytest.approx(5.29 / 3.9 - 1, rel=1e-12)
    assert 5.29 / 3.9 - 1 == pytest.approx(0.35641, abs=1e-5)
    assert error_text(0.35641, "usd") == "+35.6%"


def test_every_unit_but_ratio_and_calendar_year_is_relative():
    """A multiple, a price or an energy is compared by scale: Burry's $176B against a model's 2.1x miss is
    +110 %; a date by the years between (OpenAI profitable in 2030 against 2029 is +1 y)."""
    assert claim_error(2.1, 1.0, "x") == pytest.approx(1.1)
    assert claim_error(1.686, 1.65, "usd_per_gpu_hour") == pytest.approx(1.686 / 1.65 - 1)
    assert claim_error(2030.0, 2029.0, "calendar_year") == 1.0
    assert error_text(1.0, "calendar_year") == "+1 y"


def test_a_relative_error_against_a_published_zero_is_none():
    assert claim_error(5.0, 0.0, "usd") is None
    assert error_text(None, "usd") == "-"


def test_a_match_to_the_last_digit_shown_is_not_minus_zero():
    assert error_text(-1e-12, "ratio") == "+0.0 pp"
    assert error_text(-1e-12, "usd") == "+0.0%"


# --- reading a value out of a run's --json object --------------------------------------------------------------

RUN_OBJECT = {"gross_margin": 0.14, "irr": "nan",
              "cohorts": [{"name": "h100-2023", "gross_profit_usd": -1.0}, {"name": "h200", "gross_profit_usd": 2.5}],
              "companies": {"googl": {"life_change": {"modelled_usd": -5.29e9}}},
              "sources": [{"id": "bain-2025", "as_of": "2025-09"}]}
"""A hand-made object shaped like ``dcecon run --json`` output (fleet and useful-lives kinds)."""


@pytest.mark.parametrize("path, expected", [("gross_margin", 0.14), ("cohorts.1.gross_profit_usd", 2.5),
                                            ("cohorts.-1.gross_profit_usd", 2.5),
                                            ("cohorts.h100-2023.gross_profit_usd", -1.0),
                                            ("companies.googl.life_change.modelled_usd", -5.29e9)])
def test_a_value_path_reads_keys_indices_and_item_names(path, expected):
    assert read_value(RUN_OBJECT, path) == expected


@pytest.mark.parametrize("path, words", [
    ("gross_margn", "the top level has no key 'gross_margn' (keys: cohorts, companies, gross_margin, irr, sources)"),
    ("cohorts.2.gross_profit_usd", "'cohorts' is a list of 2 items; no item 2"),
    ("cohorts.b200.gross_profit_usd", "'cohorts' is a list with no item named 'b200'"),
    ("gross_margin.x", "'gross_margin' is a float, not a table or a list"),
    ("irr", "'irr' is not a finite number (got 'nan')"),
    ("cohorts.0", "'cohorts.0' is not a finite number"),
    ("sources.bain-2025.as_of", "'sources.bain-2025.as_of' is not a finite number (got '2025-09')"),
])
def test_a_missing_or_non_numeric_value_says_where(path, words):
    with pytest.raises(MissingValue) as raised:
        read_value(RUN_OBJECT, path)
    assert words in str(raised.value)


def test_a_claim_value_is_what_dcecon_run_json_prints(tmp_path):
    """The model value of a claim is the number ``dcecon run NAME --json --backend numpy`` prints (a real
    process), and its error follows: Bain's 200 GW at full load for 8,760 h is 200 x 8760 = 1,752 TWh a year;
    against Bain's 550 TWh of AI data-center electricity in 2030 (a different quantity: only a check of the
    arithmetic here) that is 1752 / 550 - 1 = +218.5 %."""
    claim = {"id": "energy-check", "claim": "Energy of Bain's 200 GW at full load", "published": 550.0,
             "unit": "twh", "source": "Bain & Company, Technology Report 2025, 2025-09",
             "scenario": "bain-200gw-2030", "value": "energy_twh_per_year", "status": "derived"}
    write_claims(tmp_path, "check.toml", claim)
    [row] = evaluate_claims(load_claims(tmp_path))
    printed = subprocess.run([sys.executable, "-m", "dcecon", "run", "bain-200gw-2030", "--json", "--backend",
                              "numpy"], capture_output=True, text=True, timeout=120, check=True).stdout
    assert row.model == json.loads(printed)["energy_twh_per_year"]
    assert row.model == pytest.approx(200 * 8760 / 1000, rel=1e-12)
    assert row.error == pytest.approx(1752 / 550 - 1, rel=1e-12)


def test_a_missing_path_is_an_error_row_and_exit_1(dcecon, tmp_path):
    write_claims(tmp_path, "check.toml", _changed(value="gross_margn"))
    status, out, err = dcecon("fidelity", "--claims", str(tmp_path), "--json")
    report = json.loads(out)
    assert status == 1
    assert err.splitlines() == ["dcecon: fidelity: 1 claim could not be evaluated (see the error rows)"]
    assert report["counts"]["error"] == 1 and report["counts"]["target"] == 0
    [row] = report["claims"]
    assert row["model"] is None and row["error"] is None
    assert row["problem"].startswith("dcecon run oracle-fy26q1 --json: the top level has no key 'gross_margn'")


def test_a_scenario_that_fails_is_an_error_row_for_each_of_its_claims(monkeypatch, tmp_path):
    def fails(name):
        raise ScenarioError(name, "site.pue", "must be >= 1 (got 0.5)")

    monkeypatch.setattr(fidelity_evaluate, "scenario_output", fails)
    write_claims(tmp_path, "check.toml", GOOD_CLAIM, _changed(id="oracle-q1-revenue", value="revenue_usd",
                                                              unit="usd", published=900e6))
    rows = evaluate_claims(load_claims(tmp_path))
    assert [row.group for row in rows] == ["error", "error"]
    assert {row.problem for row in rows} == {"scenario 'oracle-fy26q1' failed: ScenarioError: oracle-fy26q1: "
                                             "site.pue: must be >= 1 (got 0.5)"}


# --- the bundled claim files --------------------------------------------------------------------------------

def test_every_bundled_claim_file_validates():
    claims = load_claims()
    files = claim_files()
    assert SEED_FILE in files
    assert {path for path, _ in claims} == set(files), "every claim file holds at least one claim"
    assert len({claim.id for _, claim in claims}) == len(claims)


def test_every_claim_with_a_scenario_resolves_to_a_number(bundled_rows):
    errors = [f"{row.file}: {row.claim.id}: {row.problem}" for row in bundled_rows if row.problem]
    assert not errors, "\n".join(errors)
    for row in bundled_rows:
        if row.claim.scenario is not None:
            assert math.isfinite(row.model), row.claim.id
            assert row.error is not None or row.claim.published == 0, row.claim.id


def test_out_of_sample_claims_exist_and_have_errors(bundled_rows):
    """Issue 10 "Done when": the out-of-sample rows have errors (the only rows that are evidence)."""
    out_of_sample = [row for row in bundled_rows if row.claim.status == "out-of-sample"]
    assert out_of_sample, "no claim file holds an out-of-sample claim"
    assert all(row.error is not None for row in out_of_sample)


def test_the_report_shows_every_claim_and_the_status_counts(dcecon, bundled_rows):
    status, out, err = dcecon("fidelity")
    counts = status_counts(bundled_rows)
    assert (status, err) == (0, "")
    assert count_line(counts) in out
    assert sum(counts.values()) == len(bundled_rows) and counts["error"] == 0
    for row in bundled_rows:
        assert row.claim.id in out


def test_the_status_filter_shows_only_that_status_and_counts_all(dcecon, bundled_rows):
    status, out, _ = dcecon("fidelity", "--status", "out-of-sample", "--json")
    report = json.loads(out)
    assert status == 0 and report["status_filter"] == "out-of-sample"
    assert {row["status"] for row in report["claims"]} == {"out-of-sample"}
    assert report["counts"] == status_counts(bundled_rows)
    assert len(report["claims"]) == report["counts"]["out-of-sample"]


def test_every_seed_claim_is_shown_with_a_status_and_a_public_source(dcecon):
    """Issue 10 "Done when": ``dcecon fidelity`` shows every seed claim with a status; a seed claim cites the
    article (publisher, title, date), never the file it was read from."""
    with SEED_FILE.open("rb") as handle:
        seed_ids = [claim["id"] for claim in tomllib.load(handle)["claim"]]
    status, out, _ = dcecon("fidelity", "--status", "not-covered", "--json")
    shown = {row["id"]: row for row in json.loads(out)["claims"]}
    assert status == 0
    for ident in seed_ids:
        row = shown[ident]
        assert row["status"] == "not-covered" and row["scenario"] is None and row["value"] is None
        assert not FILE_PATH.search(row["source"]), row["source"]


def test_the_statuses_are_the_five_of_the_claim_format():
    assert STATUSES == ("out-of-sample", "target", "derived", "input", "not-covered")

