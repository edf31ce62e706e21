"""The command line's basics: version, output folders, closed pipes, scenario indices (issue: trust and structure).

Each case runs ``python -m dcecon`` as a real process in ``tmp_path``. The
expected version is the installed package's metadata (``pyproject.toml``),
the one place it is written.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import dcecon

ROOT = Path(__file__).resolve().parents[1]
NEOCLOUD = ROOT / "scenarios" / "h100-neocloud-2024.toml"


def _dcecon(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dcecon", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_version_comes_from_the_package_metadata(tmp_path):
    done = _dcecon("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"dcecon {version('dcecon')}"
    assert dcecon.__version__ == version("dcecon")


def test_out_creates_its_parent_folders(tmp_path):
    """README's grid examples write to runs/...: on a fresh clone runs/ does not exist yet."""
    done = _dcecon("grid", str(NEOCLOUD), "--axis", "cohorts.0.utilization=0.5,0.6", "--out", "runs/a/b", "--quiet",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "runs" / "a" / "b" / "summary.json").exists()


def test_out_that_cannot_be_created_is_one_line_naming_the_option(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = _dcecon("grid", str(NEOCLOUD), "--axis", "cohorts.0.utilization=0.5,0.6", "--out", "file/x", "--quiet",
                   cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dcecon: error: --out: file/x: "), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_closed_pipe_is_not_an_error(tmp_path):
    """``dcecon run NAME --json | head -c 1``: the reader leaves early; dcecon exits 0 and says nothing."""
    proc = subprocess.Popen([sys.executable, "-m", "dcecon", "run", "h100-neocloud-2024", "--json"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(1)
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert err.decode().strip() == ""


@pytest.mark.parametrize("index", [2, 10**9, -1, True, 1.5])
def test_a_scenario_index_outside_the_run_is_refused(index):
    result = dcecon.grid(dcecon.load_scenario(NEOCLOUD), axes={"cohorts.0.utilization": [0.5, 0.6]},
                         backend="numpy")
    with pytest.raises(dcecon.ScenarioError, match="is not a scenario of this run"):
        result.scenario(index)
    assert result.scenario(1)["parameters"] == {"cohorts.0.utilization": 0.6}


def test_resume_on_another_backend_names_the_backend(tmp_path):
    """A folder holding this run's results from another backend: the message says which, and how to continue."""
    args = ("grid", str(NEOCLOUD), "--axis", "cohorts.0.utilization=0.5,0.6", "--out", "out", "--quiet")
    assert _dcecon(*args, "--backend", "numpy", cwd=tmp_path).returncode == 0
    done = _dcecon(*args, "--backend", "array-api-strict", "--resume", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0] == ("dcecon: error: --out: out: holds this run's results from backend numpy float64 (this run "
                        "would use another); add --backend numpy --dtype float64 to continue it, or choose another "
                        "folder")


def test_ctrl_c_in_a_grid_with_out_says_how_to_resume(tmp_path):
    """SIGINT during a run with --out: exit 130 and a line pointing at --resume."""
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "dcecon", "grid", str(NEOCLOUD), "--axis",
                             "cohorts.0.utilization=0.01:1:2000", "--axis", "cohorts.0.price_usd_per_gpu_hour=1:4:500",
                             "--backend", "numpy", "--out", "out", "--quiet"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "out" / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == ("dcecon: interrupted; the finished chunks are saved in out: run the same "
                                            "command with --resume to continue")


@pytest.mark.parametrize("args, expected", [
    (["run", "--bogus", "x"], "dcecon: error: unrecognized arguments: --bogus\n"),
    (["grid"], "dcecon: error: grid: the following arguments are required: scenario\n"),
    ([], "dcecon: error: the following arguments are required: command\n"),
])
def test_usage_errors_say_dcecon_once(args, expected, capsys):
    """argparse's own messages: the program's name is printed once, then the sub-command that complains."""
    from dcecon.cli.main import main

    assert main(args) == 2
    assert capsys.readouterr().err == expected
