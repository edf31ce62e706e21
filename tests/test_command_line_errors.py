"""Bad command-line options and fields of ``dcecon run``, ``grid`` and ``calibrate``: one line, exit 2.

The contract is the house rule for bad input (README.md and
``dcecon.cli.main``): exactly one line ``dcecon: error: WHERE: FIELD: what
is wrong`` on standard error, exit status 2, no traceback, nothing written.
Each case names the option or field that the line must name. The cases call
``dcecon.cli.main.main`` in-process from an empty working folder, which must
stay empty; tests/test_bad_input.py runs the scenario-file cases as real
processes.
"""

from __future__ import annotations

import pytest

from dcecon.cli.main import main
from helpers.paths import COREWEAVE, NEOCLOUD

UTILIZATION_AXIS = ["--axis", "cohorts.0.utilization=0.5,0.9"]
"""A valid two-point axis, so that only the option under test is wrong."""


@pytest.fixture
def dcecon(capsys, monkeypatch, tmp_path):
    """Run ``dcecon ARGS`` in-process from the empty folder ``tmp_path``; returns ``(status, stdout, stderr)``."""
    monkeypatch.chdir(tmp_path)

    def run(*args):
        status = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def _assert_one_line(status, err, where):
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("dcecon: error: "), lines[0]
    assert where in lines[0], lines[0]


# Regressions: bad input that a code review found reported other than as one line (or not at all).
@pytest.mark.parametrize("args,where", [
    pytest.param(["grid", COREWEAVE, "--axis", "finance.debt_fraction=0.5,2"], "finance.debt_fraction",
                 id="grid-axis-value-above-its-bound"),
    pytest.param(["grid", NEOCLOUD, "--set", "cohorts.0.depreciation_method=double_declining_balance", "--sample",
                  "8", "--axis", "cohorts.0.book_life_years=uniform(3,6)"], "book_life_years",
                 id="grid-fractional-lives-sampled-for-declining-balance"),
    pytest.param(["grid", NEOCLOUD, *UTILIZATION_AXIS, "--sample", "4", "--seed", "-1",
                  "--axis", "cohorts.0.price_usd_per_gpu_hour=uniform(1,3)"], "--seed", id="grid-negative-seed"),
    pytest.param(["grid", NEOCLOUD, *UTILIZATION_AXIS, "--max-memory", "nan"], "--max-memory",
                 id="grid-max-memory-nan"),
    pytest.param(["grid", NEOCLOUD, *UTILIZATION_AXIS, "--threads", "-1"], "--threads", id="grid-negative-threads"),
    pytest.param(["grid", NEOCLOUD, *UTILIZATION_AXIS, "--resume"], "--resume", id="grid-resume-without-out"),
    pytest.param(["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0:1:100000", "--axis",
                  "cohorts.0.price_usd_per_gpu_hour=0:9:100000", "--axis", "cohorts.0.price_decline_per_year=0:0.5:100000",
                  "--axis", "site.pue=1:2:100000"], "scenarios", id="grid-1e20-scenarios"),
    pytest.param(["grid", "sequoia-2023", *UTILIZATION_AXIS], "kind", id="grid-of-a-macro-scenario"),
    pytest.param(["run", NEOCLOUD, "--set", "cohorts.0.gpus=true"], "cohorts.0.gpus", id="run-boolean-gpu-count"),
    pytest.param(["calibrate", NEOCLOUD, "--target", "cohorts.0.interest_usd=1", "--free", "cohorts.0.utilization"],
                 "cohorts.0.interest_usd", id="calibrate-target-no-cohort-row-has"),
    pytest.param(["calibrate", NEOCLOUD, "--target", "gross_margin=0.1", "--free", "start_year"], "start_year",
                 id="calibrate-free-field-that-is-not-solvable"),
])
def test_bad_option_or_field_is_one_line_and_exit_2(args, where, dcecon, tmp_path):
    status, _, err = dcecon(*args)
    _assert_one_line(status, err, where)
    assert list(tmp_path.iterdir()) == []


# Regressions found in the same review: output paths that cannot be written.
@pytest.mark.parametrize("args,where", [
    pytest.param(["grid", NEOCLOUD, *UTILIZATION_AXIS, "--out", "afile/sub"], "--out: afile/sub",
                 id="grid-out-under-a-file"),
    pytest.param(["calibrate", NEOCLOUD, "--target", "gross_margin=0.1", "--free", "cohorts.0.utilization",
                  "--write", "."], "--write: .", id="calibrate-write-to-a-folder"),
])
def test_output_paths_that_cannot_be_written_are_one_line(args, where, dcecon, tmp_path):
    (tmp_path / "afile").write_text("x")
    status, _, err = dcecon(*args)
    _assert_one_line(status, err, where)
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]
    assert (tmp_path / "afile").read_text() == "x"
