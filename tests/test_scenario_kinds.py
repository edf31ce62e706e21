"""The registry of scenario kinds (``dcecon.kinds``): every bundled file's kind is there, and ``dcecon run``
goes through it (issue: trust and structure).

Expected values: each bundled file's own ``name`` and ``kind`` (read back from the TOML with :mod:`tomllib`,
following ``extends`` where the file has no ``kind``), and the error text the registry promises.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from dcecon.cli.main import main
from dcecon.kinds import KINDS, kind_named
from dcecon.scenario.errors import ScenarioError

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.toml"))


def _declared_kind(path: Path) -> str:
    raw = tomllib.loads(path.read_text())
    if "kind" in raw:
        return raw["kind"]
    if "extends" in raw:
        return _declared_kind(path.parent / raw["extends"])
    return "fleet"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_scenario_runs_through_its_registered_kind(path, capsys):
    kind = _declared_kind(path)
    assert kind in KINDS
    assert main(["run", str(path), "--json", "--backend", "numpy"]) == 0
    document = json.loads(capsys.readouterr().out)
    expected_name = tomllib.loads(path.read_text()).get("name", path.stem)
    assert document.get("scenario", document.get("name")) == expected_name


def test_only_fleet_scenarios_are_swept_and_calibrated():
    """docs/grid.md: ``dcecon grid`` sweeps fleet scenarios; the other kinds are closed-form host arithmetic."""
    assert [name for name, kind in KINDS.items() if kind.sweepable] == ["fleet"]


def test_an_unknown_kind_is_one_line_naming_the_file_and_the_field(tmp_path, capsys):
    path = tmp_path / "odd.toml"
    path.write_text('kind = "spreadsheet"\nname = "odd"\n')
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"dcecon: error: {path}: kind: unknown scenario kind 'spreadsheet'; one of fleet, macro, "
                          "circular, useful-lives")
    with pytest.raises(ScenarioError, match="unknown scenario kind"):
        kind_named("spreadsheet", path)
