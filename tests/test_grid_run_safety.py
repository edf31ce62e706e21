"""``dcecon grid`` and ``dcecon.grid`` never silently misbehave (one regression test per row of the issue).

1. A grid above 1e11 scenarios (or estimated above an hour) is refused without ``--force``: one line, exit 2,
   naming the size, the estimate and ``--force``; the estimate of a long run reaches standard error even with
   ``--quiet`` (``--json`` keeps standard output pure JSON).
2. A hand-edited ``manifest.json`` in an ``--out`` folder is validated like any input before ``--resume``.
3. A lock (``fcntl.flock`` on ``DIR/.dcecon.lock``) keeps a second run out of a folder being written; a lock
   file left by a process that is gone is taken over.
4. A resumed run's speed counts only the chunks it computed.
5. ``--threads`` (and ``threads=``) outside 1 .. 4 per core is refused; the default is all cores.
6. ``--backend auto`` falling back to NumPy says why in one warning line.
7. Bad Python arguments raise :class:`dcecon.ScenarioError` with the CLI's message; ``dcecon.grid`` takes a
   bundled scenario name or a path.
8. Every failure to create or write the ``--out`` folder says ``--out: PATH: why``.
9. Dead code is gone (``GridPlan.power_sized``, ``engine.run(chunk_order=)``).

Runs are tiny NumPy grids of the bundled H100 scenario, called in-process through
``dcecon.cli.main.main`` except where a second real process matters (the lock).
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import inspect
import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import dcecon
from dcecon.backends import BackendFallbackWarning, namespace, native
from dcecon.cli.main import main
from dcecon.grid_engine import api, engine, output
from dcecon.grid_engine.engine import RunStats
from dcecon.grid_engine.plan import GridPlan
from dcecon.scenario.loader import load_raw

ROOT = Path(__file__).resolve().parents[1]
NEOCLOUD = ROOT / "scenarios" / "h100-neocloud-2024.toml"
AXIS = ["--axis", "cohorts.0.utilization=0.5,0.6,0.7,0.8"]
"""4 scenarios."""

FAST = ["--backend", "numpy", "--metrics", "gross_margin,npv_usd", "--tables", "none"]

HUGE_AXES = ["--axis", "cohorts.0.utilization=0.3:0.95:10000", "--axis", "cohorts.0.price_usd_per_gpu_hour=1:4:10000",
             "--axis", "site.pue=1.1:1.6:1001"]
"""10,000 x 10,000 x 1,001 = 100,100,000,000 scenarios: just above the 1e11 limit."""


def grid_cli(capsys, *args: str) -> tuple[int, str, list[str]]:
    """Run ``dcecon grid`` in-process: exit status, standard output, standard error's non-empty lines."""
    code = main(["grid", str(NEOCLOUD), *args])
    captured = capsys.readouterr()
    return code, captured.out, [line for line in captured.err.splitlines() if line.strip()]


def one_error(capsys, *args: str) -> str:
    """The single error line of a refused ``dcecon grid`` (exit 2), without ``dcecon: error: ``."""
    code, out, err = grid_cli(capsys, *args)
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("dcecon: error: "), err
    assert "Traceback" not in out
    return err[0].removeprefix("dcecon: error: ")


@pytest.fixture
def finished_run(tmp_path, capsys) -> Path:
    """A finished 4-scenario run in tmp_path/out."""
    out = tmp_path / "out"
    code, _, err = grid_cli(capsys, *AXIS, *FAST, "--quiet", "--out", str(out))
    assert code == 0, err
    return out


class Stop(Exception):
    """Raised from ``on_chunk`` to interrupt a run."""


def slow_first_chunk(extra_seconds: float):
    """``engine.first_chunk`` as if the first chunk had taken ``extra_seconds`` longer (no real waiting)."""
    real = engine.first_chunk

    def slow(*args, **kwargs):
        first = real(*args, **kwargs)
        return dataclasses.replace(first, seconds=first.seconds + extra_seconds)

    return slow


# --- 1. size and time limits ------------------------------------------------------------------------------------


def test_a_grid_above_1e11_scenarios_is_refused_without_force_in_one_line(capsys, tmp_path):
    """100,100,000,000 scenarios (10,000 x 10,000 x 1,001, over the documented 1e11): exit 2, one line naming
    the size, the estimate and --force; nothing written. With --quiet too (it used to run with no estimate)."""
    out = tmp_path / "out"
    for quiet in ([], ["--quiet"], ["--json"]):
        message = one_error(capsys, *HUGE_AXES, *FAST, *quiet, "--out", str(out))
        assert message.startswith("--axis: the grid has 100,100,000,000 scenarios, estimated time ")
        assert "add --force" in message and "more than 100,000,000,000 scenarios or 1 hour need" in message
        assert not out.exists()


def test_python_api_refuses_the_same_grid_with_the_cli_message():
    """``dcecon.grid(..., force=False)`` raises ScenarioError with the CLI's words (up to the timed estimate)."""
    axes = dict(a.split("=", 1) for a in HUGE_AXES[1::2])
    with pytest.raises(dcecon.ScenarioError, match=r"^--axis: the grid has 100,100,000,000 scenarios, estimated "
                                                    r"time [0-9,]+ s .*add --force"):
        dcecon.grid(dcecon.load_scenario(NEOCLOUD), axes=axes, backend="numpy", metrics=["gross_margin"],
                    tables="none")


def test_a_run_estimated_over_an_hour_is_refused_and_runs_with_force(capsys, monkeypatch):
    """A 4-scenario run whose first chunk (all 4) "took" 7,200 s more: estimate > 3,600 s, refused; --force
    runs it, and the estimate goes to standard error even with --quiet and --json (stdout stays JSON)."""
    monkeypatch.setattr(api, "first_chunk", slow_first_chunk(7200.0))
    message = one_error(capsys, *AXIS, *FAST)
    assert message.startswith("--axis: the grid has 4 scenarios, estimated time 7,200 s (2 hours) on numpy")
    code, out, err = grid_cli(capsys, *AXIS, *FAST, "--force", "--quiet", "--json")
    assert code == 0
    assert json.loads(out)["n_scenarios"] == 4
    assert len(err) == 1 and err[0].startswith("estimated time: 7,200.")


def test_force_also_lifts_the_max_output_limit_of_save_scenarios(capsys, tmp_path):
    """One --force covers both limits: --save-scenarios above --max-output 1 byte is refused, then written."""
    out = tmp_path / "out"
    message = one_error(capsys, *AXIS, *FAST, "--save-scenarios", "--max-output", "1", "--out", str(out))
    assert message.startswith("--save-scenarios: would write about")
    code, _, err = grid_cli(capsys, *AXIS, *FAST, "--save-scenarios", "--max-output", "1", "--force", "--quiet",
                            "--out", str(out))
    assert code == 0, err
    assert len(list((out / "scenarios").glob("*.parquet"))) == 1


# --- 2. the manifest is validated --------------------------------------------------------------------------------


def _edit(manifest: dict, field: str, value):
    manifest[field] = value
    return manifest


def _drop(manifest: dict, field: str):
    del manifest[field]
    return manifest


@pytest.mark.parametrize("edit, field, words", [
    (lambda m: [1, 2, 3], None, "is not a JSON object but a list"),
    (lambda m: _edit(m, "chunk_size", -7), "chunk_size", "greater than 0 (got -7)"),
    (lambda m: _edit(m, "chunk_size", "24"), "chunk_size", "valid integer (got '24')"),
    (lambda m: _edit(m, "save_scenarios", "yes"), "save_scenarios", "valid boolean (got 'yes')"),
    (lambda m: _edit(m, "dimensions", [{"path": 3, "spec": "0.5"}]), "dimensions.0.path", "valid string"),
    (lambda m: _drop(m, "fingerprint"), "fingerprint", "is required but missing"),
    (lambda m: _edit(m, "chunk_sise", 24), "chunk_sise", "unknown field"),
], ids=["list", "negative-chunk-size", "string-chunk-size", "string-bool", "dimension-path", "missing-key",
        "unknown-key"])
def test_a_hand_edited_manifest_is_one_line_naming_the_file_and_field(edit, field, words, finished_run, capsys):
    path = finished_run / output.MANIFEST
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    before = path.read_bytes()
    message = one_error(capsys, *AXIS, *FAST, "--quiet", "--out", str(finished_run), "--resume")
    where = f"{path}: {field}: " if field else f"{path}: "
    assert message.startswith(where) and words in message, message
    assert path.read_bytes() == before


def test_a_manifest_that_is_not_json_is_one_line(finished_run, capsys):
    path = finished_run / output.MANIFEST
    path.write_text("{chunk_size: 7")
    message = one_error(capsys, *AXIS, *FAST, "--quiet", "--out", str(finished_run), "--resume")
    assert message.startswith(f"{path}: is not valid JSON")


# --- 3. the folder lock -----------------------------------------------------------------------------------------


HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, str(os.getpid()).encode())
print("locked", flush=True)
sys.stdin.read()
"""
"""A second process that holds the folder's lock as a running dcecon does, until its stdin closes."""


def test_a_second_run_on_a_locked_folder_is_refused_and_a_stale_lock_is_taken_over(finished_run, capsys):
    """While another process holds DIR/.dcecon.lock, --resume is one line naming its pid (both runs used to
    compute everything); once that process is gone its lock file is taken over and the run completes."""
    lock = finished_run / output.LOCK
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        message = one_error(capsys, *AXIS, *FAST, "--quiet", "--out", str(finished_run), "--resume")
        assert message == (f"--out: {finished_run}: another dcecon (pid {holder.pid}) is writing there; wait for "
                           "it to finish or choose another folder")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert lock.read_text() == str(holder.pid)  # the stale lock file stays, naming a process that is gone
    code, _, err = grid_cli(capsys, *AXIS, *FAST, "--quiet", "--out", str(finished_run), "--resume")
    assert code == 0, err
    assert lock.read_text().strip() == str(os.getpid())  # taken over by this run


def test_the_lock_is_held_during_the_run_and_released_after_it(tmp_path):
    """Inside a run (on_chunk) another flock on the lock file fails; after the run, and after a run that
    raised, it succeeds."""
    raw, provenance = load_raw(NEOCLOUD)
    plan = api.prepare(raw, provenance, str(NEOCLOUD), ["cohorts.0.utilization=0.5,0.6,0.7,0.8"])
    out = tmp_path / "out"
    seen = []

    def try_lock(done, total):
        seen.append(output.locked_by(out))
        if done == total:
            raise Stop

    with pytest.raises(Stop):
        api.execute(plan, backend="numpy", chunk_size=1, out=out, on_chunk=try_lock)
    assert seen == [str(os.getpid())] * 4
    assert output.locked_by(out) is None
    fd = os.open(out / output.LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the run had kept it
    finally:
        os.close(fd)


def test_a_finished_folder_holds_the_documented_files_and_the_hidden_lock(finished_run):
    """What a finished run leaves (docs/grid.md, "Output folder"): the results, .partials/ and .dcecon.lock."""
    assert sorted(p.name for p in finished_run.iterdir()) == sorted(
        [".dcecon.lock", ".partials", "manifest.json", "marginals.parquet", "summary.json", "tables.parquet"])


# --- 4. speed of a resumed run ----------------------------------------------------------------------------------


def test_speed_counts_only_computed_chunks():
    """Hand: 1,000 scenarios, 900 reloaded in 1 s of a 2 s run: 100 computed in 1 s = 100 scenarios/s (the old
    speed, 1,000 / 2 s = 500, counted the reloaded chunks); everything reloaded: no speed (NaN)."""
    stats = RunStats(1000, 10, 100, 2.0, "numpy", "float64", resumed_chunks=9, computed_scenarios=100,
                     load_seconds=1.0)
    assert stats.scenarios_per_second == pytest.approx(100.0)
    nothing = RunStats(1000, 10, 100, 0.5, "numpy", "float64", resumed_chunks=10, computed_scenarios=0,
                       load_seconds=0.5)
    assert nothing.scenarios_per_second != nothing.scenarios_per_second


def test_a_resumed_run_reports_the_scenarios_it_computed(tmp_path, capsys):
    """12 scenarios in chunks of 3, interrupted after 2 chunks: the resume reloads 2 chunks and computes 6
    scenarios; resuming the finished run computes none and says so."""
    raw, provenance = load_raw(NEOCLOUD)
    plan = api.prepare(raw, provenance, str(NEOCLOUD), ["cohorts.0.utilization=0.1:0.9:12"])
    out = tmp_path / "out"
    calls = []

    def stop_after_two(done, total):
        calls.append(done)
        if len(calls) == 2:
            raise Stop

    with pytest.raises(Stop):
        api.execute(plan, backend="numpy", chunk_size=3, out=out, on_chunk=stop_after_two)
    resumed = api.execute(plan, backend="numpy", out=out, resume=True)
    assert (resumed.stats.resumed_chunks, resumed.stats.computed_scenarios) == (2, 6)
    again = api.execute(plan, backend="numpy", out=out, resume=True)
    assert (again.stats.resumed_chunks, again.stats.computed_scenarios) == (4, 0)
    assert math.isnan(again.to_dict()["scenarios_per_second"])
    from dcecon.cli.grid_command import render_summary

    render_summary(again)
    assert "nothing computed" in capsys.readouterr().out


# --- 5. threads ---------------------------------------------------------------------------------------------------


def test_threads_outside_one_to_four_per_core_are_refused(capsys):
    """--threads 0, -1, 1000 (above 4 x the usable cores of any machine this runs on) and 'many': one line."""
    top = 4 * len(os.sched_getaffinity(0))
    for bad in ("0", "-1", str(max(1000, top + 1)), "many"):
        message = one_error(capsys, *AXIS, *FAST, "--threads", bad)
        assert message == (f"--threads: {bad}: must be a whole number of threads from 1 to {top} (4 per core of "
                           f"the {top // 4} here); leave it out to use all cores")
        with pytest.raises(dcecon.ScenarioError) as raised:
            dcecon.grid(NEOCLOUD, axes=AXIS[1:], backend="numpy", threads=int(bad) if bad != "many" else bad)
        assert str(raised.value) == message


def test_threads_default_is_all_cores_and_one_is_accepted(capsys):
    """No --threads: the kernel's 0 (OpenMP's all cores); --threads 1 runs."""
    assert api.check_threads(None) == 0
    assert api.check_threads(1) == 1
    code, _, err = grid_cli(capsys, *AXIS, *FAST, "--threads", "1", "--quiet")
    assert code == 0, err


# --- 6. auto falls back with a warning --------------------------------------------------------------------------


@pytest.fixture
def no_gpu_no_compiler(monkeypatch):
    """A machine without CuPy and without a C++ compiler (as ``native`` reports it)."""
    monkeypatch.setattr(namespace, "_cupy_usable",
                        lambda: (False, "cupy is not installed (ModuleNotFoundError); install dcecon[gpu]"))

    def no_library(*args, **kwargs):
        raise native.NativeUnavailable("no C++ compiler found (set CXX, or install g++)")

    monkeypatch.setattr(native, "load_library", no_library)


def test_auto_falling_back_to_numpy_prints_one_warning_line(no_gpu_no_compiler, capsys):
    """--backend auto --json: stdout is the JSON summary (backend numpy), stderr one warning saying why."""
    code, out, err = grid_cli(capsys, *AXIS, "--backend", "auto", "--metrics", "gross_margin", "--json")
    assert code == 0
    assert json.loads(out)["backend"] == "numpy"
    assert err == ["dcecon: warning: --backend auto: no GPU (cupy is not installed (ModuleNotFoundError); install "
                   "dcecon[gpu]) and no native kernel (no C++ compiler found (set CXX, or install g++)); running on "
                   "numpy, the slowest backend"]


def test_auto_falling_back_warns_in_python(no_gpu_no_compiler):
    with pytest.warns(BackendFallbackWarning, match=r"no C\+\+ compiler"):
        result = dcecon.grid(NEOCLOUD, axes=AXIS[1:], metrics=["gross_margin"])
    assert result.stats.backend == "numpy"


def test_an_explicit_numpy_backend_gives_no_fallback_warning(no_gpu_no_compiler):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        dcecon.grid(NEOCLOUD, axes=AXIS[1:], backend="numpy", metrics=["gross_margin"])


# --- 7. Python arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cli_args, kwargs", [
    (["--sample", "ten"], {"samples": "ten"}),
    (["--seed", "x"], {"seed": "x"}),
    (["--out", "/proc/zz"], {"out": "/proc/zz"}),
    (["--max-memory", "lots"], {"max_memory": "lots"}),
], ids=["samples", "seed", "out", "max-memory"])
def test_python_arguments_raise_scenario_error_with_the_cli_message(cli_args, kwargs, capsys):
    """The same mistake through ``dcecon.grid`` and ``dcecon grid``: the same one-line message."""
    if "out" in kwargs and not Path("/proc").is_dir():
        pytest.skip("needs Linux's /proc (a folder nothing can be created in)")
    message = one_error(capsys, *AXIS, *FAST, *cli_args)
    with pytest.raises(dcecon.ScenarioError) as raised:
        dcecon.grid(NEOCLOUD, axes=AXIS[1:], backend="numpy", **kwargs)
    assert str(raised.value) == message


def test_samples_given_as_text_raise_scenario_error_not_type_error():
    """``samples="10"`` used to be a TypeError from comparing a str with 0."""
    with pytest.raises(dcecon.ScenarioError, match=r"^--sample: 10: must be a positive whole number of samples$"):
        dcecon.grid(NEOCLOUD, axes=["cohorts.0.utilization=uniform(0.5,0.9)"], samples="10", backend="numpy")


def test_best_of_an_unknown_metric_raises_scenario_error():
    result = dcecon.grid(NEOCLOUD, axes=AXIS[1:], backend="numpy", metrics=["gross_margin"], tables="none")
    with pytest.raises(dcecon.ScenarioError, match=r"^metric: nope: unknown metric; choose from revenue_usd"):
        result.best("nope")
    with pytest.raises(dcecon.ScenarioError, match=r"^metric: npv_usd: was not computed by this run"):
        result.worst("npv_usd")


def test_grid_takes_a_bundled_name_or_a_path_like_the_cli():
    """``dcecon.grid("h100-neocloud-2024")``, a str path and a Path give the result of a loaded Scenario."""
    axes = {"cohorts.0.utilization": "0.5,0.9"}
    loaded = dcecon.grid(dcecon.load_scenario(NEOCLOUD), axes=axes, backend="numpy")
    for scenario in ("h100-neocloud-2024", str(NEOCLOUD), NEOCLOUD):
        result = dcecon.grid(scenario, axes=axes, backend="numpy")
        assert result.to_dict()["metrics"] == loaded.to_dict()["metrics"]
    with pytest.raises(dcecon.ScenarioError, match=r"^scenario: path: must be a scenario file path or a bundled "
                                                    r"scenario name, not int \(got 42\)$"):
        dcecon.grid(42, axes=axes)
    with pytest.raises(dcecon.ScenarioError, match=r"^no-such-scenario: no such file"):
        dcecon.grid("no-such-scenario", axes=axes)
    with pytest.raises(dcecon.ScenarioError, match=r"sequoia-2023.toml: kind: dcecon grid sweeps fleet scenarios"):
        dcecon.grid("sequoia-2023", axes=axes)


# --- 8. --out errors ----------------------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")
def test_an_out_folder_that_cannot_be_created_is_named_with_out(capsys):
    assert one_error(capsys, *AXIS, *FAST, "--out", "/proc/x") == \
        "--out: /proc/x: cannot be created (No such file or directory)"


def test_an_out_folder_that_cannot_be_written_is_named_with_out(tmp_path, capsys, monkeypatch):
    """A disk that fills up (ENOSPC) while the manifest is written: ``--out: DIR: cannot write manifest.json``."""
    def full_disk(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(output, "atomic_write_bytes", full_disk)
    out = tmp_path / "out"
    assert one_error(capsys, *AXIS, *FAST, "--out", str(out)) == \
        f"--out: {out}: cannot write manifest.json ({os.strerror(errno.ENOSPC)})"


# --- 9. dead code -------------------------------------------------------------------------------------------------


def test_unused_plan_fields_and_run_parameters_are_gone():
    assert "power_sized" not in {f.name for f in dataclasses.fields(GridPlan)}
    assert "chunk_order" not in inspect.signature(engine.run).parameters

