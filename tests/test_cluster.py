"""Runs on a Dask cluster (``--cluster``, ``client=``) are the single-process runs (issue 13, docs/cluster.md).

1. A 2-worker ``LocalCluster`` gives the single-process result of a grid (native kernel and array model), a
   Monte Carlo (with ``until_se`` batches) and a Sobol analysis: counts, argmins and tables exactly, floats to
   1e-12 relative (in fact to the bit: the same chunks are merged in the same order).
2. At most the window of chunks is submitted and not yet merged, and chunks come back in order.
3. A worker killed (SIGKILL) during a run loses nothing: the run completes with the same result.
4. A client killed (SIGKILL, with its LocalCluster) during ``dcecon grid --cluster local:2 --out DIR`` resumes
   with ``--resume`` in one process, without a cluster, to the uninterrupted run's result.
5. Bad ``--cluster`` / ``--scheduler-file`` values, a missing ``distributed`` or ``dask_cuda``, a ``client=``
   that is not a Client: one line, exit 2 (or ScenarioError). The default run never imports Dask.

One ``LocalCluster`` (2 single-threaded worker processes) serves the module; the grids are small, with many
small chunks.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dcecon
from dcecon.backends import native
from dcecon.cli.main import main
from dcecon.grid_engine import api, cluster, points
from dcecon.scenario.errors import ScenarioError

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
NEOCLOUD = "h100-neocloud-2024"
AXES = {"cohorts.0.utilization": "0.3:0.95:14", "cohorts.0.price_usd_per_gpu_hour": "1:4:11",
        "site.pue": "triangular(1.1,1.2,1.5)"}
"""14 x 11 cells x 16 samples = 2,464 scenarios."""
CHUNK = 352
"""Scenarios per chunk: 7 chunks of 2 rows (11 cells x 16 samples)."""
BACKENDS = ["numpy"] + (["native"] if native.available() else [])
TIMING_KEYS = {"seconds", "scenarios_per_second", "eval_seconds"}
"""Fields that differ between two runs of the same computation."""


@pytest.fixture(scope="module")
def client():
    """A client of a 2-worker LocalCluster (processes, one thread each), shared by the module."""
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                     silence_logs=logging.ERROR)
    with distributed.Client(local, set_as_default=False) as c:
        yield c
    local.close()


def assert_same(a, b, path="") -> None:
    """``a`` and ``b`` (JSON-like) equal: every non-float exactly, floats to 1e-12 relative (NaN equals NaN)."""
    if isinstance(a, dict):
        assert set(a) - TIMING_KEYS == set(b) - TIMING_KEYS, path
        for key in set(a) - TIMING_KEYS:
            assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(b, str):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=0.0), (path, a, b)
    else:
        assert a == b, (path, a, b)


def assert_same_grid(local, remote) -> None:
    """Two GridResults agree: summary (counts, argmins, best/worst exactly), main effects and 2-D tables."""
    assert_same(local.to_dict(), remote.to_dict())
    pd.testing.assert_frame_equal(local.marginals, remote.marginals, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(local.tables_long(), remote.tables_long(), check_exact=False, rtol=1e-12)
    assert remote.stats.n_chunks == local.stats.n_chunks > 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_grid_on_two_workers_equals_one_process(client, backend):
    local = dcecon.grid(NEOCLOUD, axes=AXES, samples=16, backend=backend, chunk_size=CHUNK)
    remote = dcecon.grid(NEOCLOUD, axes=AXES, samples=16, backend=backend, chunk_size=CHUNK, client=client)
    assert_same_grid(local, remote)
    assert remote.stats.backend == backend


def test_monte_carlo_on_two_workers_equals_one_process(client):
    kwargs = dict(vary={"cohorts.0.utilization": "pert(0.6,0.8,0.95)", "site.pue": "uniform(1.1,1.4)"},
                  draws=1000, correlate=["cohorts.0.utilization,site.pue=-0.5"], until_se=1.0, max_draws=4000,
                  chunk_size=300, keep_draws=2500)
    local = dcecon.monte_carlo(NEOCLOUD, **kwargs)
    remote = dcecon.monte_carlo(NEOCLOUD, client=client, **kwargs)
    assert [b["draws"] for b in remote.batches] == [1000, 2000, 4000]  # three --until-se batches
    assert_same(local.to_dict(), remote.to_dict())
    np.testing.assert_array_equal(local.kept_metrics, remote.kept_metrics)
    np.testing.assert_array_equal(local.kept_inputs, remote.kept_inputs)


def test_sobol_on_two_workers_equals_one_process(client):
    vary = {"cohorts.0.utilization": (0.5, 1.0), "site.pue": (1.1, 1.5), "cohorts.0.price_usd_per_gpu_hour": "-20%:+20%"}
    local = dcecon.sobol(NEOCLOUD, vary, n=128, max_memory="16kB")
    remote = dcecon.sobol(NEOCLOUD, vary, n=128, max_memory="16kB", client=client)
    np.testing.assert_array_equal(local.values, remote.values)
    assert_same(local.to_dict(), remote.to_dict())


def test_chunks_come_back_in_order_within_the_window(client):
    """ordered_map draws a new chunk only while fewer than the window are submitted and not yet yielded."""
    values = np.linspace(0.4, 0.95, 30).reshape(-1, 1)
    plan = points.points_plan(NEOCLOUD, ["cohorts.0.utilization"], values, ["gross_margin"])
    backend = cluster.backend_named("numpy", "float64")
    job = cluster.submit_job(client, points._chunk_evaluator_on, (plan, plan.static_extents(), 1), backend)
    drawn, most_ahead, got = [0], [0], []

    def items():
        for j in range(30):
            drawn[0] += 1
            yield (j, j + 1), None

    for (start, stop), value, seconds, kind in cluster.ordered_map(client, job, items(), in_flight=3):
        most_ahead[0] = max(most_ahead[0], drawn[0] - len(got))
        got.append((start, float(value[0, 0])))
        assert kind == "computed" and seconds >= 0
    assert [start for start, _ in got] == list(range(30))
    expected = points.evaluate_points(plan, backend="numpy").metrics["gross_margin"]
    np.testing.assert_array_equal([v for _, v in got], expected)
    assert most_ahead[0] <= 3


def test_dashboard_line_and_cluster_options_in_the_cli(capsys):
    """``dcecon grid --cluster local:2`` prints ``dashboard: URL`` and the one-process result."""
    args = ["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0.3:0.95:14", "--max-memory", "16kB",
            "--metrics", "gross_margin,npv_usd"]
    assert main(args + ["--json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main(args + ["--cluster", "local:2"]) == 0
    err = capsys.readouterr().err
    assert any(line.startswith("dashboard: http") for line in err.splitlines()), err
    assert main(args + ["--cluster", "local:2", "--json"]) == 0
    captured = capsys.readouterr()
    assert "dashboard" not in captured.err
    assert_same(alone, json.loads(captured.out))


def test_a_worker_killed_during_a_run_loses_nothing(client):
    """SIGKILL one worker process after the first chunk is merged: its tasks are run again elsewhere."""
    raw, provenance, file = api.load_fleet_file(NEOCLOUD)
    plan = api.prepare(raw, provenance, file, [f"{k}={v}" for k, v in AXES.items()], 16)
    local = api.execute(plan, backend="numpy", chunk_size=176)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = []

    def kill_after_first_chunk(done, total):
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(done)

    remote = api.execute(plan, backend="numpy", chunk_size=176, client=client, on_chunk=kill_after_first_chunk)
    assert killed and killed[0] < plan.n_scenarios  # the worker died mid-run
    assert_same_grid(local, remote)
    assert victim not in client.run(os.getpid).values()


def test_a_cluster_that_loses_every_worker_stops_with_one_line(monkeypatch):
    """Every worker gone mid-run and none joining (the wait shortened to 2 s): ScenarioError naming the cluster,
    not a wait for ever (docs/cluster.md "Faults")."""
    monkeypatch.setattr(cluster, "WORKER_WAIT_SECONDS", 2)
    monkeypatch.setattr(cluster, "RESULT_WAIT_SECONDS", 0.5)
    raw, provenance, file = api.load_fleet_file(NEOCLOUD)
    plan = api.prepare(raw, provenance, file, [f"{k}={v}" for k, v in AXES.items()], 16)
    local = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                     silence_logs=logging.CRITICAL)
    try:
        with distributed.Client(local, set_as_default=False) as lonely:
            def stop_every_worker(done, total):
                if done < total:
                    local.scale(0)

            with pytest.raises(ScenarioError, match="the cluster lost every worker and none joined within 2 s"):
                api.execute(plan, backend="numpy", chunk_size=176, client=lonely, on_chunk=stop_every_worker)
    finally:
        local.close()


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_killed_client_resumes_in_one_process(tmp_path, capsys):
    """``dcecon grid --cluster local:2 --out DIR`` killed (with its cluster) after some chunks are saved; the
    same command with ``--resume`` and no cluster ends with the uninterrupted run's result."""
    out = tmp_path / "run"
    backend = BACKENDS[-1]
    args = ["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0.3:0.95:40", "--axis",
            "cohorts.0.price_usd_per_gpu_hour=1:4:50", "--axis", "site.pue=1.1:1.6:50", "--max-memory", "16kB",
            "--metrics", "gross_margin,npv_usd,irr", "--backend", backend, "--quiet"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    child = subprocess.Popen([sys.executable, "-m", "dcecon", *args, "--cluster", "local:2", "--out", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    partials = out / ".partials"
    try:
        while child.poll() is None and len(list(partials.glob("chunk-*.npz"))) < 3:
            time.sleep(0.01)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the client and the cluster it started (its own session)
        child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()
    saved = len(list(partials.glob("chunk-*.npz")))
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    assert main(args + ["--out", str(out), "--resume", "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["resumed_chunks"] >= saved >= 3
    assert main(args + ["--json"]) == 0
    assert_same(json.loads(capsys.readouterr().out), resumed)


@pytest.fixture
def fast_timeout(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 1)


def _one_error(capsys, argv) -> str:
    code = main(argv)
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(err) == 1 and err[0].startswith("dcecon: error: "), (code, err)
    return err[0].removeprefix("dcecon: error: ")


BAD = [
    (["--cluster", "local:0"], "--cluster: local:0: must be local:N with N a whole number of workers"),
    (["--cluster", "local:x"], "--cluster: local:x: must be local:N"),
    (["--cluster", "tcp://127.0.0.1"], "--cluster: tcp://127.0.0.1: is not local, local:N, local-cuda or a "
                                       "scheduler address"),
    (["--cluster", "local:2", "--scheduler-file", "s.json"], "--cluster: local:2: give --cluster or "
                                                             "--scheduler-file, not both"),
    (["--scheduler-file", "no/such/scheduler.json"], "--scheduler-file: no/such/scheduler.json: does not exist"),
]


@pytest.mark.parametrize("command", ["grid", "montecarlo", "sobol"])
@pytest.mark.parametrize("options, message", BAD, ids=[" ".join(o) for o, _ in BAD])
def test_bad_cluster_options_are_one_line(capsys, command, options, message):
    inputs = {"grid": ["--axis", "cohorts.0.utilization=0.5,0.6"],
              "montecarlo": ["--vary", "cohorts.0.utilization=uniform(0.5,0.9)"],
              "sobol": ["--vary", "cohorts.0.utilization=0.5:0.9"]}[command]
    assert _one_error(capsys, [command, NEOCLOUD, *inputs, *options]).startswith(message)


def test_an_unreachable_scheduler_is_one_line(capsys, fast_timeout):
    address = f"tcp://127.0.0.1:{_unused_port()}"
    line = _one_error(capsys, ["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0.5,0.6", "--cluster", address])
    assert line.startswith(f"--cluster: {address}: cannot reach the scheduler")


def test_a_port_that_accepts_but_is_no_scheduler_is_one_line(capsys, fast_timeout):
    """Another service on the port (here a socket that accepts and never answers): Dask's connect timeout does
    not bound the handshake, dcecon's deadline does (CONNECT_TIMEOUT_SECONDS + 1)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        line = _one_error(capsys, ["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0.5,0.6", "--cluster", address])
        assert line.startswith(f"--cluster: {address}: cannot reach the scheduler (no Dask scheduler answered")


def test_a_scheduler_file_of_a_dead_scheduler_is_one_line(capsys, fast_timeout, tmp_path):
    path = tmp_path / "scheduler.json"
    path.write_text(json.dumps({"type": "Scheduler", "address": f"tcp://127.0.0.1:{_unused_port()}"}))
    line = _one_error(capsys, ["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0.5,0.6", "--scheduler-file",
                               str(path)])
    assert line.startswith(f"--scheduler-file: {path}: cannot reach the scheduler")


def test_without_distributed_cluster_says_how_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    line = _one_error(capsys, ["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0.5,0.6", "--cluster", "local:2"])
    assert line == "--cluster: local:2: needs the distributed package: pip install 'dcecon[cluster]'"


def test_local_cuda_without_dask_cuda_or_a_gpu_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask_cuda", None)
    line = _one_error(capsys, ["grid", NEOCLOUD, "--axis", "cohorts.0.utilization=0.5,0.6", "--cluster",
                               "local-cuda"])
    assert line.startswith("--cluster: local-cuda: needs dask-cuda")


def test_client_must_be_a_distributed_client():
    with pytest.raises(ScenarioError, match="client: str: must be a distributed.Client"):
        dcecon.grid(NEOCLOUD, axes={"cohorts.0.utilization": "0.5,0.6"}, backend="numpy", client="tcp://x:1")
    with pytest.raises(ScenarioError, match="client: str: must be a distributed.Client"):
        dcecon.monte_carlo(NEOCLOUD, {"cohorts.0.utilization": "uniform(0.5,0.9)"}, draws=10, client="x")


def test_the_default_run_imports_no_dask():
    code = ("import sys, dcecon; dcecon.grid('h100-neocloud-2024', axes={'cohorts.0.utilization': '0.5,0.6'}, "
            "backend='numpy'); bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
