"""The Python API takes what the command line takes, and refuses bad input with the command line's line.

What is checked, and against what:

- bundled names (dcecon.scenario.bundled): ``dcecon.load_scenario``,
  ``load_macro_scenario`` and ``load_useful_lives`` take a bundled name as
  ``dcecon run NAME`` does, and give the same model as the file's path;
- bad arguments (README "Bad input": one line naming where and the field):
  a non-path ``path``, a missing file, a folder, a file of another kind, a
  malformed ``overrides`` raise ``dcecon.ScenarioError``; where the command
  line can say the same thing its line is ``dcecon: error: `` + ``str(error)``;
- cohort names and company ids are identifiers (schema.IDENTIFIER): a name
  such as ``1`` or ``*`` would be read as an index or a wildcard by
  ``--set cohorts.1.utilization``; names are unique; the error names
  ``cohorts.N.name``;
- nesting: 500- and 5,000-deep arrays, inline tables, dotted keys and table
  headers are one line naming the file (validation.MAX_NESTING_DEPTH), not a
  ``RecursionError``;
- one dotted-path module (scenario/paths.py) serves the fleet, macro and
  useful-lives loaders, with the same messages and "did you mean" hints.
"""

from __future__ import annotations

import ast
import copy
import tomllib
from pathlib import Path

import pytest
import tomli_w

import dcecon
from dcecon.cli import main as cli_main
from dcecon.macro.scenario import load_macro_scenario
from dcecon.scenario import paths
from dcecon.scenario.bundled import bundled_dir, list_scenarios, scenario_kind
from dcecon.scenario.validation import MAX_NESTING_DEPTH
from dcecon.valuation.scenario import load_useful_lives

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "dcecon"
SCENARIOS = ROOT / "scenarios"
H100 = SCENARIOS / "h100-neocloud-2024.toml"
BAIN = SCENARIOS / "bain-200gw-2030.toml"
LIVES = SCENARIOS / "hyperscaler-useful-lives.toml"

LOADERS = {
    "load_scenario": (dcecon.load_scenario, "h100-neocloud-2024"),
    "load_macro_scenario": (load_macro_scenario, "bain-200gw-2030"),
    "load_useful_lives": (load_useful_lives, "hyperscaler-useful-lives"),
}


def _scenario(result):
    """The scenario of a loader's return value (load_macro_scenario also returns the provenance)."""
    return result[0] if isinstance(result, tuple) else result


def _cli_line(capsys, *args) -> str:
    status = cli_main.main(list(args))
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err.strip()


def _doc(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, doc: dict, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


# --- A. bundled names ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
@pytest.mark.parametrize("suffix", ["", ".toml"])
def test_every_loader_takes_a_bundled_name_like_dcecon_run(loader, suffix, tmp_path, monkeypatch):
    load, name = LOADERS[loader]
    monkeypatch.chdir(tmp_path)  # nothing of that name here: the bundled file is meant
    by_name = _scenario(load(name + suffix))
    by_path = _scenario(load(SCENARIOS / f"{name}.toml"))
    assert by_name.model_dump() == by_path.model_dump()
    assert by_name.provenance == by_path.provenance


def test_a_file_that_exists_wins_over_the_bundled_name(tmp_path, monkeypatch):
    doc = _doc(H100)
    doc["name"] = "local-copy"
    _write(tmp_path, doc, "h100-neocloud-2024.toml")
    monkeypatch.chdir(tmp_path)
    assert dcecon.load_scenario("h100-neocloud-2024.toml").name == "local-copy"


def test_the_bundled_folder_has_one_finder():
    # Before: cli/scenarios_command.py and macro/scenario.py each looked the folder up.
    finders = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
               if 'files("dcecon.scenarios")' in p.read_text(encoding="utf-8")]
    assert finders == ["scenario/bundled.py"]
    assert bundled_dir().resolve() == SCENARIOS.resolve()


def test_scenario_kind_and_list_take_names_and_paths():
    assert scenario_kind("bain-200gw-2030") == "macro"
    assert scenario_kind(H100) == "fleet"
    rows = {row["name"]: row["kind"] for row in list_scenarios()}
    assert rows["hyperscaler-useful-lives"] == "useful-lives" and rows["h100-neocloud-2024"] == "fleet"


def test_a_misspelt_bundled_name_proposes_the_closest(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dcecon.ScenarioError) as info:
        dcecon.load_scenario("h100-neocloud")
    assert str(info.value) == "h100-neocloud: no such file; did you mean the bundled scenario 'h100-neocloud-2024'?"
    assert _cli_line(capsys, "run", "h100-neocloud") == f"dcecon: error: {info.value}"


# --- B. bad arguments ----------------------------------------------------------------------------------------------

NOT_PATHS = [(42, "int (got 42)"), (None, "NoneType (got None)"), (3.5, "float (got 3.5)"),
             (b"h100.toml", "bytes (got b'h100.toml')"), (["h100.toml"], "list (got ['h100.toml'])")]


@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
@pytest.mark.parametrize("value, shown", NOT_PATHS, ids=[type(v).__name__ for v, _ in NOT_PATHS])
def test_a_path_that_is_not_a_path_names_the_function(loader, value, shown):
    load, _ = LOADERS[loader]
    with pytest.raises(dcecon.ScenarioError) as info:
        load(value)
    assert str(info.value) == f"{loader}: path: must be a scenario file path or a bundled scenario name, not {shown}"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
def test_an_empty_path_names_the_function(loader):
    with pytest.raises(dcecon.ScenarioError, match=f"^{loader}: path: is empty"):
        LOADERS[loader][0]("  ")


@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
def test_a_loaded_scenario_is_not_a_path(loader):
    # dcecon.load_scenario(scenario) by mistake: the type is named, not a "no such file" on its repr.
    scenario = dcecon.load_scenario(H100)
    with pytest.raises(dcecon.ScenarioError, match=f"^{loader}: path: .* not Scenario"):
        LOADERS[loader][0](scenario)


@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
def test_a_missing_file_is_the_command_line_message(loader, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dcecon.ScenarioError) as info:
        LOADERS[loader][0]("missing.toml")
    assert (info.value.file, info.value.field) == ("missing.toml", None)
    assert info.value.message.startswith("no such file")
    assert _cli_line(capsys, "run", "missing.toml") == f"dcecon: error: {info.value}"


@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
def test_a_folder_is_the_command_line_message(loader, tmp_path, monkeypatch, capsys):
    (tmp_path / "runs").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dcecon.ScenarioError) as info:
        LOADERS[loader][0](Path("runs"))
    assert str(info.value) == "runs: is a directory, not a scenario file"
    assert _cli_line(capsys, "run", "runs") == f"dcecon: error: {info.value}"


@pytest.mark.parametrize("loader, other", [("load_scenario", BAIN), ("load_useful_lives", H100)])
def test_a_file_of_another_kind_names_the_kind(loader, other):
    with pytest.raises(dcecon.ScenarioError) as info:
        LOADERS[loader][0](other)
    assert (info.value.file, info.value.field) == (str(other), "kind")
    assert f"{loader} reads kind = " in info.value.message


def test_a_fleet_file_given_to_the_macro_loader_names_the_missing_kind():
    with pytest.raises(dcecon.ScenarioError) as info:
        load_macro_scenario(H100)
    assert (info.value.field, info.value.message.split(";")[0]) == ("kind", "is missing")


@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
@pytest.mark.parametrize("overrides, message", [
    # One string would be read character by character.
    ("a.b=1", "must be a list of 'PATH=VALUE' strings, not one string (write ['a.b=1'])"),
    ({"a.b": 1}, "must be a list of 'PATH=VALUE' strings, not dict"),
    (5, "must be a list of 'PATH=VALUE' strings, not int"),
    (["a.b=1", 0.5], "each override is a 'PATH=VALUE' string (got 0.5)"),
], ids=["one-string", "dict", "int", "a-number-inside"])
def test_malformed_overrides_name_the_function(loader, overrides, message):
    load, name = LOADERS[loader]
    with pytest.raises(dcecon.ScenarioError) as info:
        load(name, overrides)
    assert str(info.value) == f"{loader}: overrides: {message}"


def test_an_override_on_a_missing_path_reads_like_the_command_line(capsys):
    with pytest.raises(dcecon.ScenarioError) as info:
        dcecon.load_scenario(H100, ["cohorts.0.utilisation=0.5"])
    assert str(info.value) == ("--set: cohorts.0.utilisation: no such field 'utilisation' in cohort; "
                               "did you mean 'utilization'?")
    assert _cli_line(capsys, "run", str(H100), "--set", "cohorts.0.utilisation=0.5") == f"dcecon: error: {info.value}"


# --- C. cohort names and company ids are identifiers ----------------------------------------------------------------

BAD_NAMES = ["1", "-1", "*", "", " x", "a.b", "h100 2024", "-x", "é"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n) for n in BAD_NAMES])
def test_a_cohort_name_that_is_not_an_identifier_is_refused(name, tmp_path, monkeypatch, capsys):
    doc = _doc(H100)
    doc["cohorts"][0]["name"] = name
    _write(tmp_path, doc)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dcecon.ScenarioError) as info:
        dcecon.load_scenario("bad.toml")
    assert (info.value.file, info.value.field) == ("bad.toml", "cohorts.0.name")
    assert info.value.message.startswith("must start with a letter or '_'")
    assert info.value.message.endswith(f"(got {name!r})")
    assert _cli_line(capsys, "run", "bad.toml") == f"dcecon: error: {info.value}"


@pytest.mark.parametrize("name", ["h100-2024", "_x", "H100_b-2", "blackwell"])
def test_identifier_cohort_names_are_kept(name, tmp_path):
    # "h100-2024" is the bundled h100-neocloud-2024.toml's own cohort name.
    doc = _doc(H100)
    doc["cohorts"][0]["name"] = name
    scenario = dcecon.load_scenario(_write(tmp_path, doc))
    assert scenario.cohorts[0].name == name
    assert dcecon.load_scenario(_write(tmp_path, doc), [f"cohorts.{name}.utilization=0.5"]).cohorts[0].utilization \
        == 0.5


def _two_cohorts(second_name: str) -> dict:
    doc = _doc(H100)
    second = copy.deepcopy(doc["cohorts"][0])
    second["name"] = second_name
    doc["cohorts"].append(second)
    return doc


def test_a_repeated_cohort_name_names_the_repeat(tmp_path):
    doc = _two_cohorts("h100-2024")
    with pytest.raises(dcecon.ScenarioError) as info:
        dcecon.load_scenario(_write(tmp_path, doc))
    assert info.value.field == "cohorts.1.name"
    assert info.value.message == "repeats the name of cohort 0; names must be unique (got 'h100-2024')"


def test_a_set_that_repeats_a_cohort_name_names_the_repeat(tmp_path):
    path = _write(tmp_path, _two_cohorts("b"))
    with pytest.raises(dcecon.ScenarioError) as info:
        dcecon.load_scenario(path, ["cohorts.b.name=h100-2024"])
    assert (info.value.file, info.value.field) == (str(path), "cohorts.1.name")


def test_index_and_name_address_different_cohorts_without_ambiguity(tmp_path):
    # Cohort 0 is "h100-2024", cohort 1 "b": cohorts.1 is the index, cohorts.b the name; both are the second.
    path = _write(tmp_path, _two_cohorts("b"))
    by_index = dcecon.load_scenario(path, ["cohorts.1.utilization=0.25"])
    by_name = dcecon.load_scenario(path, ["cohorts.b.utilization=0.25"])
    by_last = dcecon.load_scenario(path, ["cohorts.-1.utilization=0.25"])
    assert [c.utilization for c in by_index.cohorts] == [1.0, 0.25]   # 1.0: the bundled file's utilization
    assert by_name.cohorts == by_index.cohorts == by_last.cohorts
    with pytest.raises(dcecon.ScenarioError) as info:
        dcecon.load_scenario(path, ["cohorts.bb.utilization=0.25"])
    assert str(info.value) == "--set: cohorts.bb.utilization: there is no cohort named 'bb'; did you mean 'b'?"


@pytest.mark.parametrize("company_id", ["a.b", "*", "1", ""])
def test_a_company_id_that_is_not_an_identifier_is_refused(company_id, tmp_path):
    doc = _doc(LIVES)
    doc["companies"][company_id] = doc["companies"].pop("meta")
    with pytest.raises(dcecon.ScenarioError) as info:
        load_useful_lives(_write(tmp_path, doc))
    assert info.value.field == "companies"
    assert info.value.message.startswith(f"company id {company_id!r} must start with a letter or '_'")


# --- D. nesting ----------------------------------------------------------------------------------------------------

def _deep(shape: str, depth: int) -> str:
    if shape == "array":
        return "x = " + "[" * depth + "]" * depth
    if shape == "inline-table":
        return "x = " + "{ a = " * depth + "1" + " }" * depth
    if shape == "dotted-key":
        return "x." + ".".join(["a"] * depth) + " = 1"
    return "[x." + ".".join(["a"] * depth) + "]"


@pytest.mark.parametrize("loader", LOADERS, ids=list(LOADERS))
@pytest.mark.parametrize("shape", ["array", "inline-table", "dotted-key", "table-header"])
@pytest.mark.parametrize("depth", [500, 5000])
def test_deep_nesting_is_one_line_naming_the_file(loader, shape, depth, tmp_path, monkeypatch):
    # The deep key goes first, at the top level of the file (a table header ends the file).
    load, name = LOADERS[loader]
    text = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    text = text + "\n" + _deep(shape, depth) + "\n" if shape == "table-header" else _deep(shape, depth) + "\n" + text
    (tmp_path / "deep.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dcecon.ScenarioError) as info:
        load("deep.toml")
    assert info.value.file == "deep.toml"
    assert info.value.field in (None, "x")   # None where tomllib itself ran out of stack
    assert info.value.message.startswith(f"nesting deeper than {MAX_NESTING_DEPTH} levels")


@pytest.mark.parametrize("depth", [500, 5000])
def test_a_deep_set_value_is_one_line_naming_the_option(depth):
    with pytest.raises(dcecon.ScenarioError) as info:
        dcecon.load_scenario(H100, ["site.pue=" + "[" * depth + "]" * depth])
    assert (info.value.file, info.value.field) == ("--set", "site.pue")
    assert info.value.message.startswith("nesting deeper than")


def test_the_deepest_bundled_file_is_well_inside_the_limit():
    # companies.meta.capex_usd_by_year.2024.value: 5 levels; the limit leaves room for any real file.
    from dcecon.scenario.validation import nesting_problem

    for path in SCENARIOS.glob("*.toml"):
        assert nesting_problem(_doc(path), limit=6) is None, path
    assert nesting_problem(_doc(LIVES), limit=4) is not None


# --- E. one dotted-path module --------------------------------------------------------------------------------------

def _defined_functions(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef)}


def _imported_modules(path: Path) -> set[str]:
    return {node.module for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module}


def test_the_macro_and_useful_lives_loaders_have_no_path_code_of_their_own():
    for module in ("macro/scenario.py", "valuation/scenario.py"):
        own = _defined_functions(SRC / module)
        assert not own & {"apply_overrides", "check_path", "expand_path", "validate", "_no_such"}, module
    # Useful lives no longer borrows macro's validator.
    assert "dcecon.macro.scenario" not in _imported_modules(SRC / "valuation" / "scenario.py")


def test_the_names_the_grid_engine_and_calibration_use_are_kept():
    from dcecon.scenario import loader

    for name in ("FieldSpec", "field_spec", "expand", "split", "get_value", "set_value", "cohort_index", "WILDCARD"):
        assert hasattr(paths, name), name
    for name in ("apply_overrides", "load_raw", "validate", "validate_model", "scenario_to_raw", "parse_assignment",
                 "parse_value", "SET_PROVENANCE"):
        assert hasattr(loader, name), name


@pytest.mark.parametrize("load, override, field, message", [
    (dcecon.load_scenario, "site.pues=1.2", "site.pues", "no such field 'pues' in site; did you mean 'pue'?"),
    (dcecon.load_scenario, "cohorts.0=1", "cohorts.0", "name a cohort and a field: cohorts.<index|name|*>.<field>"),
    (dcecon.load_scenario, "site=1", "site", "names a section, not a field"),
    (dcecon.load_scenario, "site.pue.x=1", "site.pue.x", "'pue' has no sub-fields"),
    (dcecon.load_scenario, "sources.x=1", "sources.x", "no such field 'sources' in scenario"),
    (dcecon.load_scenario, "cohorts.5.utilization=1", "cohorts.5.utilization", "there is no cohort 5 (the scenario "
                                                                                 "has 1)"),
    (load_macro_scenario, "fleet.wac=0.1", "fleet.wac", "no such field 'wac' in fleet; did you mean 'wacc'?"),
    (load_macro_scenario, "kind=circular", "kind", "no such field 'kind' in scenario"),
    (load_useful_lives, "companies.meta.servr_share=0.5", "companies.meta.servr_share",
     "no such field 'servr_share' in company; did you mean 'server_share'?"),
    (load_useful_lives, "companies.nvidia.server_share=0.5", "companies.nvidia.server_share",
     "there is no company 'nvidia' (the scenario has msft, googl, amzn, meta, orcl)"),
    (load_useful_lives, "companies.met.server_share=0.5", "companies.met.server_share",
     "there is no company 'met'; did you mean 'meta'?"),
    (load_useful_lives, "companies.meta.capex_usd_by_year.next=1", "companies.meta.capex_usd_by_year.next",
     "'next' is not a key of capex_usd_by_year: Input should be a valid integer, unable to parse string as an "
     "integer"),
    (load_useful_lives, "companies.meta=1", "companies.meta", "name a company and a field: companies.<id|*>.<field>"),
], ids=["fleet-typo", "fleet-cohort-only", "fleet-section", "fleet-leaf-subfield", "fleet-sources", "fleet-index",
        "macro-typo", "macro-kind", "lives-typo", "lives-unknown-company", "lives-misspelt-company",
        "lives-year-not-a-number",
        "lives-company-only"])
def test_every_loader_reads_paths_with_the_same_module_and_messages(load, override, field, message):
    file = {dcecon.load_scenario: H100, load_macro_scenario: BAIN, load_useful_lives: LIVES}[load]
    with pytest.raises(dcecon.ScenarioError) as info:
        load(file, [override])
    assert (info.value.file, info.value.field, info.value.message) == ("--set", field, message)


def test_a_wildcard_and_a_new_year_in_useful_lives():
    # companies.*.server_share sets all five companies; a year not in the table adds a vintage.
    scenario = load_useful_lives(LIVES, ["companies.*.server_share=0.5", "companies.meta.capex_usd_by_year.2031=1e9"])
    assert {c.server_share for c in scenario.companies.values()} == {0.5}
    assert scenario.companies["meta"].capex_usd_by_year[2031] == 1e9
    assert scenario.provenance["companies.orcl.server_share"] == "--set"
    assert scenario.provenance["companies.meta.capex_usd_by_year.2031"] == "--set"


def test_field_spec_reads_bounds_of_every_schema():
    from dcecon.macro.schema import MacroScenario
    from dcecon.valuation.scenario import UsefulLivesScenario

    pue = paths.field_spec("fleet.pue", schema=MacroScenario)              # Fleet.pue: ge=1, le=5
    assert (pue.lower, pue.lower_inclusive, pue.upper, pue.upper_inclusive, pue.numeric) == (1.0, True, 5.0, True, True)
    capex = paths.field_spec("companies.*.capex_usd_by_year.2024", schema=UsefulLivesScenario)  # CapexUsd: ge=0
    assert (capex.lower, capex.upper, capex.numeric) == (0.0, None, True)
    utilization = paths.field_spec("cohorts.*.utilization")                 # Cohort.utilization: ge=0, le=1
    assert (utilization.lower, utilization.upper, utilization.model.__name__) == (0.0, 1.0, "Cohort")
    assert paths.expand(_doc(LIVES), "companies.*.tax_rate", schema=UsefulLivesScenario) == [
        f"companies.{c}.tax_rate" for c in ("msft", "googl", "amzn", "meta", "orcl")]


# --- dcecon.evaluate takes what dcecon run takes -----------------------------------------------------------------


def test_evaluate_takes_a_bundled_name_or_a_path_like_dcecon_run():
    """``dcecon.evaluate("h100-neocloud-2024")`` is the loaded scenario's result (README: 15.7% gross margin)."""
    by_name = dcecon.evaluate("h100-neocloud-2024", backend="numpy")
    by_path = dcecon.evaluate(H100, backend="numpy")
    loaded = dcecon.evaluate(dcecon.load_scenario(H100), backend="numpy")
    assert by_name.to_json() == by_path.to_json() == loaded.to_json()  # NaN figures (no debt) compare as text
    assert round(by_name.gross_margin, 3) == 0.157


@pytest.mark.parametrize("value", [42, None, b"x.toml"], ids=["int", "None", "bytes"])
def test_evaluate_of_something_that_is_not_a_scenario_is_a_scenario_error(value):
    with pytest.raises(dcecon.ScenarioError, match="must be a scenario file path or a bundled scenario name"):
        dcecon.evaluate(value)


def test_evaluate_of_a_missing_file_is_the_command_line_message(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dcecon.ScenarioError) as caught:
        dcecon.evaluate("file.toml")
    assert cli_main.main(["run", "file.toml"]) == 2
    assert capsys.readouterr().err == f"dcecon: error: {caught.value}\n"


@pytest.mark.parametrize("options, message", [
    ({"backend": "gpu9"}, "unknown backend 'gpu9'; choose one of auto, numpy, native, cupy, cupy-array, "
                          "array-api-strict"),
    ({"dtype": "float16"}, "dtype must be one of float64, float32, not 'float16'"),
])
def test_evaluate_with_an_unknown_backend_or_dtype_is_a_scenario_error(options, message):
    with pytest.raises(dcecon.ScenarioError) as caught:
        dcecon.evaluate("h100-neocloud-2024", **options)
    assert str(caught.value) == message
