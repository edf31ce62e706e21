"""Bad input to ``dcecon macro`` and macro/circular scenario files: exit status 2, one line, no traceback.

The contract is the one of ``dcecon.cli.main`` (tests/test_bad_input.py): bad
input prints exactly one line ``dcecon: error: FILE: FIELD: what is wrong``
on standard error and exits with status 2. For an option of ``dcecon macro``
the option stands where the file would: ``--demand-gw: fleet.demand_gw: ...``.

Every numeric field of the macro and circular schemas (dcecon.macro.schema)
is checked with a value just outside its bounds, written into a copy of the
bundled file that holds it; those cases call ``dcecon.cli.main.main``
in-process (fast). A handful run as real processes: ``python -m dcecon
macro`` once ``macro`` is wired into the main parser, before that a
three-line driver that registers it on the same parser and calls the same
``main``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import typing
from pathlib import Path

import annotated_types
import pytest
import tomli_w

from dcecon.cli import main as cli_main
from dcecon.macro.schema import Bain, Build, Contract, Fleet, Investment, Sequoia

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BAIN = SCENARIOS / "bain-200gw-2030.toml"
NVIDIA_OPENAI = SCENARIOS / "nvidia-openai-10gw.toml"
OPENAI_ORACLE = SCENARIOS / "openai-oracle-2027.toml"

# Which bundled file holds each section (openai-oracle-2027 extends nvidia-openai-10gw: it has all three).
SECTIONS = {"fleet": (Fleet, BAIN), "bain": (Bain, BAIN), "sequoia": (Sequoia, BAIN),
            "investment": (Investment, OPENAI_ORACLE), "build": (Build, OPENAI_ORACLE),
            "contract": (Contract, OPENAI_ORACLE)}

def _dcecon_process(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcecon", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def dcecon(capsys):
    """Run ``dcecon ARGS`` in-process; returns ``(status, stdout, stderr)``."""

    def run(*args):
        status = cli_main.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def _assert_one_line(status: int, err: str, prefix: str, contains=()):
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dcecon: error: " + prefix), lines[0]
    for text in contains:
        assert text in lines[0], (text, lines[0])


def _numeric_fields(model):
    for name, info in model.model_fields.items():
        args = typing.get_args(info.annotation)
        if info.annotation is float or float in args:
            yield name, info


def _outside_bounds(info) -> float:
    """A value just outside a field's bounds: the lower bound for gt, below it for ge, above the upper bound."""
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Gt):
            return float(meta.gt)
        if isinstance(meta, annotated_types.Ge):
            return float(meta.ge) - 0.5
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Lt):
            return float(meta.lt)
        if isinstance(meta, annotated_types.Le):
            return float(meta.le) + 0.5
    raise AssertionError(f"{info} has no bounds")


FIELD_CASES = [(section, name, _outside_bounds(info))
               for section, (model, _) in SECTIONS.items() for name, info in _numeric_fields(model)]


def _write_edited(tmp_path: Path, source: Path, section: str, name: str, value) -> Path:
    """A copy of ``source`` (and the file it extends) with ``section.name`` set to ``value`` in ``bad.toml``."""
    raw = tomllib.loads(source.read_text(encoding="utf-8"))
    if section not in raw:  # the section lives in the base file: edit a copy of the base instead
        base = source.parent / raw["extends"]
        shutil.copy(source, tmp_path / "bad.toml")
        base_raw = tomllib.loads(base.read_text(encoding="utf-8"))
        base_raw[section][name]["value"] = value
        (tmp_path / raw["extends"]).write_text(tomli_w.dumps(base_raw), encoding="utf-8")
        return tmp_path / "bad.toml"
    if "extends" in raw:
        shutil.copy(source.parent / raw["extends"], tmp_path / raw["extends"])
    raw[section][name]["value"] = value
    (tmp_path / "bad.toml").write_text(tomli_w.dumps(raw), encoding="utf-8")
    return tmp_path / "bad.toml"


def test_every_numeric_field_of_the_new_schemas_is_in_a_bundled_file():
    # So that the per-field cases below edit a value that is really there.
    for section, name, _ in FIELD_CASES:
        _, path = SECTIONS[section]
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        base = tomllib.loads((path.parent / raw["extends"]).read_text(encoding="utf-8")) if "extends" in raw else {}
        assert name in raw.get(section, {}) or name in base.get(section, {}), f"{section}.{name}"
    assert len(FIELD_CASES) >= 25


@pytest.mark.parametrize("section, name, value", FIELD_CASES, ids=[f"{s}.{n}" for s, n, _ in FIELD_CASES])
def test_a_value_out_of_bounds_names_the_file_and_the_field(tmp_path, monkeypatch, dcecon, section, name, value):
    # The bounds are the schema's (dcecon.macro.schema); the value is just outside them.
    _, source = SECTIONS[section]
    bad = _write_edited(tmp_path, source, section, name, value)
    monkeypatch.chdir(tmp_path)
    status, out, err = dcecon("macro", "--scenario", bad.name)
    _assert_one_line(status, err, f"bad.toml: {section}.{name}: ", contains=(f"got {value!r}",))
    assert out == ""


def test_a_string_for_a_number_names_the_field(tmp_path, monkeypatch, dcecon):
    bad = _write_edited(tmp_path, BAIN, "fleet", "demand_gw", "lots")
    monkeypatch.chdir(tmp_path)
    status, _, err = dcecon("macro", "--scenario", bad.name)
    _assert_one_line(status, err, "bad.toml: fleet.demand_gw: ", contains=("valid number", "'lots'"))


BAIN_TEXT = BAIN.read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, prefix, contains", [
    # extra="forbid": a misspelt key beside the right one.
    ("\ndemand_gw = {", "\ndemand_gww = { value = 1, source = \"bain-2025\" }\ndemand_gw = {",
     "bad.toml: fleet.demand_gww: ", ("unknown field", "'demand_gw'")),
    # A key the macro schema does not have at the top level.
    ('kind = "macro"\n', 'kind = "macro"\nhorizon_years = 5\n', "bad.toml: horizon_years: ", ("unknown field",)),
    # A source id that no [sources] table defines (checked by dcecon.scenario.loader.load_raw).
    ('source = "bain-2025", note = "additional', 'source = "bain-2026", note = "additional',
     "bad.toml: fleet.demand_gw: ", ("unknown source id 'bain-2026'",)),
    # No kind: a fleet scenario's loader would take it; dcecon macro names the missing key.
    ('kind = "macro"\n', "", "bad.toml: kind: ", ("is missing",)),
    ('kind = "macro"\n', 'kind = "macros"\n', "bad.toml: kind: ", ("'macros'",)),
    # A required field left out.
    ("\nwacc = {", "\n# wacc = {", "bad.toml: fleet.wacc: ", ("required",)),
], ids=["unknown-key", "fleet-key-in-macro", "unknown-source-id", "no-kind", "unknown-kind", "missing-field"])
def test_bad_macro_files(tmp_path, monkeypatch, dcecon, old, new, prefix, contains):
    assert BAIN_TEXT.count(old) == 1, old
    (tmp_path / "bad.toml").write_text(BAIN_TEXT.replace(old, new), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status, _, err = dcecon("macro", "--scenario", "bad.toml")
    _assert_one_line(status, err, prefix, contains)


def test_a_circular_file_with_systems_above_capex(tmp_path, monkeypatch, dcecon):
    # Huang's $35B of Nvidia systems is part of the $50-60B a GW costs; more than all of it is an error.
    bad = _write_edited(tmp_path, NVIDIA_OPENAI, "build", "supplier_systems_usd_per_gw", 70e9)
    monkeypatch.chdir(tmp_path)
    status, _, err = dcecon("macro", "--scenario", bad.name)
    _assert_one_line(status, err, "bad.toml: build: ", ("cannot exceed",))


@pytest.mark.parametrize("args, prefix, contains", [
    (("--demand-gw", "-5"), "--demand-gw: fleet.demand_gw: ", ("greater than 0", "-5.0")),
    (("--pue", "0.9"), "--pue: fleet.pue: ", ("greater than or equal to 1", "0.9")),
    (("--capex-to-revenue", "0"), "--capex-to-revenue: bain.capex_to_revenue: ", ("greater than 0",)),
    (("--load", "1.5"), "--load: fleet.load: ", ("1.5",)),
    (("--other-cost-share", "1"), "--other-cost-share: fleet.other_cost_share: ", ("less than 1",)),
    (("--wacc", "nan"), "--wacc: fleet.wacc: ", ("finite",)),
    (("--life-years", "0"), "--life-years: fleet.it_life_years: ", ("greater than 0",)),
    # argparse's own message, without a doubled "dcecon" (cli/main.py _Parser.error).
    (("--demand-gw", "lots"), "macro: argument --demand-gw: ", ("invalid float value",)),
    (("--set", "fleet.demand_gwh=1"), "--set: fleet.demand_gwh: ", ("no such field", "'demand_gw'")),
    (("--set", "fleet=1"), "--set: fleet: ", ("section",)),
    (("--set", "fleet.pue"), "--set: fleet.pue: ", ("PATH=VALUE",)),
    (("--scenario", "missing.toml"), "missing.toml: ", ("no such file",)),
], ids=["negative-gw", "pue-below-1", "capex-to-revenue-0", "load-above-1", "other-cost-share-1", "nan-wacc",
        "zero-life", "not-a-number", "unknown-set-path", "set-a-section", "set-without-value", "missing-file"])
def test_bad_options(tmp_path, monkeypatch, dcecon, args, prefix, contains):
    monkeypatch.chdir(tmp_path)
    status, out, err = dcecon("macro", *args)
    _assert_one_line(status, err, prefix, contains)
    assert out == ""


def test_an_option_that_a_circular_scenario_lacks(dcecon):
    status, _, err = dcecon("macro", "--scenario", str(OPENAI_ORACLE), "--wacc", "0.1")
    _assert_one_line(status, err, "--wacc: fleet.wacc: ", ("no such field 'fleet'",))


@pytest.mark.parametrize("args, prefix", [
    (("macro", "--demand-gw", "-5"), "--demand-gw: fleet.demand_gw: "),
    (("macro", "--pue", "0.5"), "--pue: fleet.pue: "),
    (("macro", "--scenario", "bad.toml"), "bad.toml: bain.capex_to_revenue: "),
], ids=["negative-gw", "pue-below-1", "capex-to-revenue-0-in-file"])
def test_as_a_real_process(tmp_path, args, prefix):
    (tmp_path / "bad.toml").write_text(BAIN_TEXT.replace("value = 0.25,", "value = 0,"), encoding="utf-8")
    proc = _dcecon_process(*args, cwd=tmp_path)
    _assert_one_line(proc.returncode, proc.stderr, prefix)
    assert proc.stdout == ""


def test_good_options_as_a_real_process(tmp_path):
    # The bundled defaults with one option moved: 100 GW at load 1 and $0.08 is half the fixture, $70.08B.
    import json

    proc = _dcecon_process("macro", "--demand-gw", "100", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["power_cost_usd_per_year"] == pytest.approx(70.08e9, rel=1e-15)
    assert d["bain_required_revenue_usd_per_year"] == pytest.approx(2e12, rel=1e-15)   # Bain: $500B / 0.25


@pytest.mark.parametrize("deep", [
    "x = " + "[" * 500 + "]" * 500,            # tomllib runs out of stack (RecursionError) at about 500 arrays
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "{ a = " * 5000 + "1" + " }" * 5000,
    "x." + ".".join(["a"] * 5000) + " = 1",   # parses, then deeper than any walker should go
], ids=["array-500", "array-5000", "inline-table-5000", "dotted-key-5000"])
def test_a_deeply_nested_macro_file_is_one_line(tmp_path, monkeypatch, dcecon, deep):
    # The limit is scenario/validation.py MAX_NESTING_DEPTH (32 levels); the bundled files need at most 5.
    (tmp_path / "deep.toml").write_text(deep + "\n" + BAIN_TEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status, out, err = dcecon("macro", "--scenario", "deep.toml")
    _assert_one_line(status, err, "deep.toml: ", ("nesting deeper than 32 levels",))
    assert out == ""


def test_a_deeply_nested_set_value_is_one_line(dcecon):
    status, out, err = dcecon("macro", "--set", "fleet.pue=" + "[" * 5000 + "]" * 5000)
    _assert_one_line(status, err, "--set: fleet.pue: ", ("nesting deeper than 32 levels",))


def test_a_bundled_name_and_a_misspelt_one(tmp_path, monkeypatch, dcecon):
    # `--scenario sequoia-2024` is the bundled file (scenario/bundled.py); a near miss proposes it.
    monkeypatch.chdir(tmp_path)
    status, out, err = dcecon("macro", "--scenario", "sequoia-2024", "--json")
    assert status == 0, err
    status, out, err = dcecon("macro", "--scenario", "sequoia-2042")
    _assert_one_line(status, err, "sequoia-2042: no such file; ", ("did you mean the bundled scenario",))
