"""Bad input to ``dcecon grid``: exit status 2, one line on stderr, no traceback, nothing written.

The CLI contract (``dcecon.cli.main``): bad input prints exactly one line
``dcecon: error: OPTION-OR-FILE: FIELD: what is wrong`` on standard error,
exits with status 2, shows no traceback and writes nothing. Every case runs
``sys.executable -m dcecon grid ... --out out`` as a real process in
``tmp_path`` (the default, chatty mode: no ``--quiet``); the whole of
``tmp_path`` is snapshotted (every file's path and bytes) before and after, so
"nothing written" covers the ``--out`` folder, temporary files beside it, and
a folder that held another run's results (which must be unchanged).

Where the message's field is checked, the expected text comes from the
scenario schema (``cohorts.0.utilization`` is a fraction, ``<= 1``) or the
axis grammar of ``dcecon.grid_engine.spec``.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEOCLOUD = ROOT / "scenarios" / "h100-neocloud-2024.toml"
ORACLE = ROOT / "scenarios" / "oracle-fy26q1.toml"

def _grid(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcecon", "grid", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _snapshot(root: Path) -> dict:
    """Every file and folder under ``root``: relative path -> bytes (None for a folder)."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory) -> Path:
    """A finished ``dcecon grid`` run of one axis (made once; each test gets a byte-for-byte copy)."""
    made = tmp_path_factory.mktemp("previous")
    done = _grid(str(NEOCLOUD), "--axis", "cohorts.0.utilization=0.5,0.6", "--backend", "numpy", "--quiet",
                 "--out", "out", cwd=made)
    assert done.returncode == 0, done.stderr
    assert (made / "out" / "manifest.json").exists()
    return made / "out"


def _previous_run(tmp_path: Path, request) -> None:
    """tmp_path/out holds another, finished run (the folder a different grid must not touch)."""
    shutil.copytree(request.getfixturevalue("previous_run"), tmp_path / "out")


def _folder_without_manifest(tmp_path: Path, request) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("someone else's file\n")


def _empty_folder(tmp_path: Path, request) -> None:
    (tmp_path / "out").mkdir()


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad invocation: arguments (``--out out`` and ``--backend numpy`` are added), what the line says."""

    name: str
    args: tuple
    prefix: str                  # the line starts with "dcecon: error: " + prefix
    contains: tuple = ()
    setup: object = None         # callable(tmp_path, request) run before the snapshot


U = "cohorts.0.utilization"

CASES = [
    # A path the schema does not have (a misspelt cohort field, an unknown site field).
    Case("unknown_cohort_field", (str(NEOCLOUD), "--axis", "cohorts.0.utilisation=0.3:0.9:3"),
         "--axis: cohorts.0.utilisation: ", ("no such field 'utilisation'",)),
    Case("unknown_site_field", (str(NEOCLOUD), "--axis", "site.pues=1.1,1.2"), "--axis: site.pues: ",
         ("no such field",)),
    # linspace(0.3, 1.2, 10) = 0.3, 0.4, ..., 1.2: 1.1 is the first value above the schema bound utilization <= 1.
    Case("range_outside_bounds", (str(NEOCLOUD), "--axis", f"{U}=0.3:1.2:10"), f"--axis: {U}: ",
         ("1.1", "<= 1")),
    Case("empty_list", (str(NEOCLOUD), "--axis", f"{U}="), f"--axis: {U}: ", ("empty",)),
    Case("not_a_number", (str(NEOCLOUD), "--axis", f"{U}=0.5,high"), f"--axis: {U}: ", ("'high'",)),
    Case("uniform_one_parameter", (str(NEOCLOUD), "--axis", f"{U}=uniform(1)", "--sample", "8"), f"--axis: {U}: ",
         ("uniform(1)", "2 numbers")),
    Case("uniform_reversed", (str(NEOCLOUD), "--axis", "cohorts.0.price_usd_per_gpu_hour=uniform(2,1)", "--sample",
                              "8"), "--axis: cohorts.0.price_usd_per_gpu_hour: ", ("a <= b",)),
    Case("unknown_distribution", (str(NEOCLOUD), "--axis", f"{U}=beta(1,2)", "--sample", "8"), f"--axis: {U}: ",
         ("beta",)),
    Case("normal_negative_sigma", (str(NEOCLOUD), "--axis", f"{U}=normal(0,-1)", "--sample", "8"), f"--axis: {U}: ",
         ("sigma > 0",)),
    Case("triangular_mode_outside", (str(NEOCLOUD), "--axis", f"{U}=triangular(0.5,0.4,0.9)", "--sample", "8"),
         f"--axis: {U}: ", ("lo <= mode <= hi",)),
    Case("uniform_reaches_outside_bounds", (str(NEOCLOUD), "--axis", f"{U}=uniform(0.5,1.5)", "--sample", "8"),
         f"--axis: {U}: ", ("<= 1",)),
    Case("zero_points", (str(NEOCLOUD), "--axis", f"{U}=0.3:0.9:0"), f"--axis: {U}: ", ("0 points",)),
    Case("distribution_without_sample", (str(NEOCLOUD), "--axis", f"{U}=uniform(0.3,0.9)"), f"--sample: {U}: ",
         ("--sample N",)),
    Case("sample_without_distribution", (str(NEOCLOUD), "--axis", f"{U}=0.3:0.9:3", "--sample", "8"),
         "--sample: ", ("distribution",)),
    Case("axis_on_start_year", (str(NEOCLOUD), "--axis", "start_year=2024,2025"), "--axis: start_year: ",
         ("period grid",)),
    Case("axis_given_twice", (str(NEOCLOUD), "--axis", f"{U}=0.5,0.6", "--axis", f"{U}=0.7"), f"--axis: {U}: ",
         ("twice",)),
    Case("wildcard_overlaps_an_axis", (str(ORACLE), "--axis", "cohorts.*.utilization=0.5,0.6", "--axis",
                                       "cohorts.hopper.utilization=0.7"), "--axis: cohorts.hopper.utilization: ",
         ("cohorts.0.utilization",)),
    # Double declining balance needs whole years (docs/model.md §3: VDB over L years); 4.5 is refused.
    Case("ddb_fractional_book_life", (str(NEOCLOUD), "--set", "cohorts.0.depreciation_method=double_declining_balance",
                                      "--axis", "cohorts.0.book_life_years=4,4.5,5"),
         "--axis: cohorts.0.book_life_years: ", ("4.5", "whole number")),
    # Output folders.
    Case("folder_holds_another_run", (str(NEOCLOUD), "--axis", f"{U}=0.5,0.7"), "--out: out: ",
         ("another run",), setup=_previous_run),
    Case("same_run_without_resume", (str(NEOCLOUD), "--axis", f"{U}=0.5,0.6"), "--out: out: ",
         ("--resume",), setup=_previous_run),
    Case("folder_not_empty_without_manifest", (str(NEOCLOUD), "--axis", f"{U}=0.5,0.7"), "--out: out: ",
         ("not empty",), setup=_folder_without_manifest),
    Case("resume_with_nothing_to_resume", (str(NEOCLOUD), "--axis", f"{U}=0.5,0.7", "--resume"), "--resume: out: ",
         ("no run to resume",)),
    Case("resume_an_empty_folder", (str(NEOCLOUD), "--axis", f"{U}=0.5,0.7", "--resume"), "--resume: out: ",
         ("no run to resume",), setup=_empty_folder),
    # Hand: 100 scenarios x 8 bytes x (index + 1 input + 16 metrics) = 14,400 bytes = 14.1KiB, above
    # 1KB = 1,000 bytes (kB is a power of 1000, docs/grid.md).
    Case("save_scenarios_above_max_output", (str(NEOCLOUD), "--axis", f"{U}=0.5:0.9:100", "--save-scenarios",
                                             "--max-output", "1KB"), "--save-scenarios: ",
         ("14.1KiB", "--max-output 1000B")),
]


def _run_case(case: Case, tmp_path: Path, request) -> tuple[subprocess.CompletedProcess, dict]:
    if case.setup is not None:
        case.setup(tmp_path, request)
    before = _snapshot(tmp_path)
    return _grid(*case.args, "--backend", "numpy", "--out", "out", cwd=tmp_path), before


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_grid_input_exits_2_with_one_error_line_and_writes_nothing(case, tmp_path, request):
    """Status 2; exactly one line on stderr naming the option and the field; no traceback; tmp_path unchanged.

    Run in the default, chatty mode: the banner ``grid: N scenarios`` must not
    come before an error found in the output folder or in --save-scenarios.
    """
    done, before = _run_case(case, tmp_path, request)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith("dcecon: error: " + case.prefix), line
    for text in case.contains:
        assert text in line, (text, line)
    assert _snapshot(tmp_path) == before
    if case.setup is None:
        assert not (tmp_path / "out").exists()


def test_a_correlation_table_is_refused_by_grid_and_read_by_montecarlo(tmp_path, capsys):
    """docs/monte-carlo.md: ``[grid.correlations]`` is a Monte Carlo option; ``dcecon grid`` draws independently, so it
    says so in one line rather than treat the table as an axis or ignore it."""
    from dcecon.cli.main import main

    text = NEOCLOUD.read_text() + ('\n[grid]\n"cohorts.0.utilization" = "uniform(0.6, 0.9)"\n'
                                   '"cohorts.0.price_usd_per_gpu_hour" = "uniform(1.5, 2.5)"\n'
                                   '[grid.correlations]\n"cohorts.0.utilization,cohorts.0.price_usd_per_gpu_hour" = 0.5\n')
    path = tmp_path / "correlated.toml"
    path.write_text(text)
    assert main(["grid", str(path), "--sample", "64", "--backend", "numpy", "--quiet"]) == 2
    assert capsys.readouterr().err == (f"dcecon: error: {path} [grid]: correlations: dcecon grid draws its sampled "
                                       "inputs independently; run the correlated draws with dcecon montecarlo "
                                       "(docs/monte-carlo.md)\n")
