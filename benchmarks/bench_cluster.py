"""A grid on a Dask LocalCluster against the single-process native run, and a task's overhead (issue 13).

- ``test_grid_scaling``: the bench grid (``single_cohort_plan``, 10^6 scenarios by default,
  ``DCECON_BENCH_SIZES``) with every default metric, reduce-only, on the native kernel: in one process (the
  baseline, all cores), then on a ``LocalCluster`` of 1 and of 2 single-threaded worker processes (each task's
  kernel gets its share of the cores, :func:`dcecon.grid_engine.tasks.kernel_threads`). The chunk size is the
  one-process run's (``DCECON_BENCH_CLUSTER_CHUNK``, default 65,536 scenarios: 16 chunks at 10^6), so the
  results are identical; ``extra_info`` records scenarios per second and ``speedup_vs_single_process``.
- ``test_task_round_trip``: what one task costs the client: an empty task (``tasks.empty_chunk``), and a
  near-empty grid chunk (16 scenarios through :func:`dcecon.grid_engine.cluster.run_one`, evaluator cached on
  the worker), submitted and waited for one at a time [s per task].
- ``test_pipelined_chunks``: many near-empty chunks through :func:`~dcecon.grid_engine.cluster.ordered_map`
  (the window, in-order release, merge on the client): the client's time per chunk when the chunks cost
  nothing [s per chunk], the overhead that a real chunk's compute time has to dwarf.

Run::

    python -m pytest benchmarks/bench_cluster.py --benchmark-only -o testpaths=benchmarks -s \\
        --benchmark-json runs/bench-cluster.json
"""

from __future__ import annotations

import logging
import os
import time

import pytest

from benchmarks.conftest import bench_sizes, single_cohort_plan
from dcecon.backends import native
from dcecon.grid_engine import cluster, tasks
from dcecon.grid_engine.engine import _chunk_evaluator, chunking, run
from dcecon.grid_engine.reduce import densify, merge_into

distributed = pytest.importorskip("distributed")

CHUNK = int(float(os.environ.get("DCECON_BENCH_CLUSTER_CHUNK", "65536")))
"""Scenarios per chunk of the scaling runs."""

ROUND_TRIPS = 200
"""Tasks timed one at a time for the round-trip figures."""

PIPELINED_CHUNKS = 2000
"""Near-empty chunks of the pipelined figure."""

RATES: dict = {}


def _cluster(workers: int):
    local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=":0", silence_logs=logging.ERROR)
    return local, distributed.Client(local, set_as_default=False)


@pytest.fixture(scope="module")
def two_workers():
    local, client = _cluster(2)
    yield client
    client.close()
    local.close()


def _needs_native():
    if not native.available():
        pytest.skip("no C++ compiler for the native backend")


@pytest.mark.parametrize("size", bench_sizes())
@pytest.mark.parametrize("workers", [0, 1, 2], ids=["single-process", "1-worker", "2-workers"])
def test_grid_scaling(benchmark, size, workers):
    _needs_native()
    plan = single_cohort_plan(size)
    local = client = None
    if workers:
        local, client = _cluster(workers)
    try:
        run(plan, backend="native", chunk_size=CHUNK, client=client)  # warm up: library, worker caches

        def once():
            return run(plan, backend="native", chunk_size=CHUNK, client=client)[2]

        stats = benchmark.pedantic(once, rounds=3, iterations=1)
    finally:
        if client is not None:
            client.close()
            local.close()
    rate = plan.n_scenarios / benchmark.stats.stats.min
    RATES[(size, workers)] = rate
    benchmark.extra_info.update({"workers": workers, "scenarios": plan.n_scenarios, "chunk_size": stats.chunk_size,
                                 "chunks": stats.n_chunks, "scenarios_per_second": rate})
    base = RATES.get((size, 0))
    if base and workers:
        benchmark.extra_info["speedup_vs_single_process"] = rate / base
    print(f"\n{workers or 'single-process'} worker(s): {plan.n_scenarios:,} scenarios, {stats.n_chunks} chunks: "
          f"{rate / 1e6:.2f} M scen/s" + (f" ({rate / base:.2f}x single process)" if base and workers else ""))


def _per_call(function, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls


def test_task_round_trip(benchmark, two_workers):
    _needs_native()
    plan = single_cohort_plan(4096)
    layout, _ = chunking(plan, 16)
    backend = cluster.worker_backend(two_workers, "native", "float64")
    job = cluster.submit_job(two_workers, _chunk_evaluator, (plan, plan.static_extents(), layout), backend)
    cluster.run_one(two_workers, job, 0, 16, False)  # builds the worker's evaluator

    def empty():
        two_workers.submit(tasks.empty_chunk, pure=False).result()

    def grid_chunk():
        cluster.run_one(two_workers, job, 0, 16, False)

    empty_s = _per_call(empty, ROUND_TRIPS)
    chunk_s = benchmark.pedantic(lambda: _per_call(grid_chunk, ROUND_TRIPS), rounds=1, iterations=1)
    benchmark.extra_info.update({"empty_task_seconds": empty_s, "near_empty_chunk_seconds": chunk_s})
    print(f"\nround trip: empty task {empty_s * 1e3:.2f} ms, 16-scenario grid chunk {chunk_s * 1e3:.2f} ms")


def test_pipelined_chunks(benchmark, two_workers):
    _needs_native()
    plan = single_cohort_plan(PIPELINED_CHUNKS * 16)
    layout, bounds = chunking(plan, 16)
    backend = cluster.worker_backend(two_workers, "native", "float64")
    job = cluster.submit_job(two_workers, _chunk_evaluator, (plan, plan.static_extents(), layout), backend)
    in_flight = cluster.window(two_workers)

    def once():
        merged = None
        items = (((start, stop, False), None) for start, stop in bounds)
        for _, (partial, _), _, _ in cluster.ordered_map(two_workers, job, items, in_flight):
            merged = densify(partial) if merged is None else merge_into(merged, partial)
        return merged

    once()
    benchmark.pedantic(once, rounds=3, iterations=1)
    per_chunk = benchmark.stats.stats.min / len(bounds)
    benchmark.extra_info.update({"chunks": len(bounds), "in_flight": in_flight, "seconds_per_chunk": per_chunk})
    print(f"\npipelined: {len(bounds):,} chunks of 16 scenarios, window {in_flight}: {per_chunk * 1e3:.2f} ms per chunk")
