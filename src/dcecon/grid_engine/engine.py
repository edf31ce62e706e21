"""Walk a grid run chunk by chunk in bounded memory (``dcecon grid``, ``dcecon.grid``).

Chunk size follows a memory budget (``max_memory``): the engine estimates the
bytes one scenario needs on the backend (the model's ``(m, periods)``
intermediates and the reduction buffers) and takes as many scenarios per
chunk as fit, so peak memory stays flat however large the grid. Chunks are
processed in index order and merged as they finish; with an output folder
each chunk's reductions are also saved, so a killed run resumes where it
stopped and ends identical to an uninterrupted one.

:func:`first_chunk` evaluates and times the first chunk a run has to
compute before the run writes anything, so that a caller can refuse a run
that would take too long (:mod:`dcecon.grid_engine.api`); :func:`run` then
uses that chunk instead of computing it again. With a ``distributed.Client``
(``--cluster``) the chunks are computed by the cluster's workers
(:mod:`dcecon.grid_engine.cluster`) and merged here in the same order, so the
result is the single-process run's.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from dcecon.backends import Backend, resolve_grid_backend, to_numpy
from dcecon.grid_engine.batch import evaluate_chunk
from dcecon.grid_engine.plan import GridPlan
from dcecon.grid_engine.reduce import ChunkBounds, Layout, chunk_bounds, densify, make_layout, merge_into, reduce_chunk

DEFAULT_MAX_MEMORY_BYTES = 1 << 30
"""Default memory budget of a run: 1 GiB."""

MIN_CHUNK = 256
"""Smallest chunk the memory budget gives [scenarios]."""

MAX_CHUNK = 1 << 22
"""Largest chunk of the array model [scenarios]."""

HOST_CHUNK_CAP = 1 << 15
"""Largest chunk on a CPU backend: 32,768 scenarios keep the model's intermediates in cache
(measured: 0.45 M scenarios/s at 32k vs 0.35 M/s at 123k on the CI machine)."""

BYTES_PER_VALUE = {"float64": 8, "float32": 4}
"""Bytes of one value of each dtype [bytes]."""

LIVE_ARRAYS_PER_PERIOD = 48
"""Arrays of shape (m, periods) alive at once in the model, per cohort (measured with tracemalloc)."""

LIVE_ARRAYS_PER_METRIC = 14
"""Arrays of shape (m, metrics) alive at once in the reductions."""


def bytes_per_scenario(plan: GridPlan, extents: dict, dtype: str = "float64") -> int:
    """Estimated peak bytes one scenario of a chunk needs [bytes]."""
    n_cohorts = len(plan.host_fleet)
    j_lo, j_hi = extents["lifetime_range"]
    periods = extents["window_periods"] + (j_hi - j_lo)
    per_value = BYTES_PER_VALUE[dtype]
    model = n_cohorts * periods * LIVE_ARRAYS_PER_PERIOD * per_value
    reductions = len(plan.selection.metrics) * LIVE_ARRAYS_PER_METRIC * 8
    return model + reductions + 64 * (len(plan.dimensions) + 1)


KERNEL_BYTES_PER_SCENARIO = 64
"""Host bytes per scenario of a fused-kernel chunk (sampled values and deciles; outputs are reduced in place)."""

CUDA_CHUNK = 1 << 28
"""Scenarios per chunk of the CUDA kernel without sampled dimensions (a chunk's host work, a few ms, is then
spread over 2.7e8 scenarios)."""

NATIVE_CHUNK = 1 << 20
"""Scenarios per chunk of the native kernel (reductions are per chunk, so chunks only bound progress updates)."""


def chunk_size_for(plan: GridPlan, extents: dict, max_memory_bytes: int, dtype: str = "float64",
                   on_host: bool = True, kernel: str | None = None) -> int:
    """Scenarios per chunk that fit the memory budget (and, on a CPU, the cache)."""
    if kernel == "cuda" and not plan.sampled:
        return CUDA_CHUNK  # the device decodes every scenario from its index: no memory per scenario
    if kernel is not None:
        fixed = 200 * 1024 * 1024
        size = max(max_memory_bytes - fixed, max_memory_bytes // 4) // (
            KERNEL_BYTES_PER_SCENARIO * (1 + len(plan.sampled)))
        cap = NATIVE_CHUNK if kernel == "native" else 1 << 26
        return int(min(cap, max(MIN_CHUNK, size)))
    fixed = 200 * 1024 * 1024  # interpreter, libraries, tables and sketches of the run
    usable = max(max_memory_bytes - fixed, max_memory_bytes // 4)
    size = usable // bytes_per_scenario(plan, extents, dtype)
    if on_host:
        size = min(size, HOST_CHUNK_CAP)
    return int(min(MAX_CHUNK, max(MIN_CHUNK, size)))


@dataclasses.dataclass
class RunStats:
    """How a run went.

    Attributes
    ----------
    n_scenarios : int
        Scenarios of the run [scenarios].
    n_chunks : int
        Chunks of the run, computed or reloaded [chunks].
    chunk_size : int
        Scenarios per chunk [scenarios].
    seconds : float
        Wall time of the run, its first chunk included [s].
    backend, dtype : str
        What computed it.
    resumed_chunks : int
        Chunks reloaded from an interrupted run's folder (``--resume``) [chunks].
    computed_scenarios : int
        Scenarios this run computed (not reloaded) [scenarios].
    load_seconds : float
        Time spent reloading saved chunks [s].
    """

    n_scenarios: int
    n_chunks: int
    chunk_size: int
    seconds: float
    backend: str
    dtype: str
    resumed_chunks: int = 0
    computed_scenarios: int = 0
    load_seconds: float = 0.0

    @property
    def scenarios_per_second(self) -> float:
        """Speed of the chunks this run computed [scenarios/s]: reloaded chunks and the time spent reloading
        them are left out (NaN when every chunk was reloaded)."""
        if self.computed_scenarios == 0:
            return math.nan
        busy = self.seconds - self.load_seconds
        return self.computed_scenarios / busy if busy > 0 else math.inf


@dataclasses.dataclass
class FirstChunk:
    """The first chunk a run computes, evaluated and timed before the run starts.

    Attributes
    ----------
    start, stop : int
        Its flat scenario indices, ``start .. stop - 1``.
    partial : Partial
        Its reductions.
    host : dict or None
        Its scenarios' rows (with ``--save-scenarios``).
    seconds : float
        Time to evaluate and reduce it [s].
    remaining : int
        Scenarios the run has to compute, this chunk included (all but the saved chunks) [scenarios].
    parallel : int
        Chunks computed at once (1 in one process; a cluster's worker threads) [chunks].
    job : tuple, optional
        On a cluster, the run's job already sent to every worker (:func:`dcecon.grid_engine.cluster.submit_job`),
        reused by :func:`run` so that no worker builds its evaluator twice.
    """

    start: int
    stop: int
    partial: object
    host: dict | None
    seconds: float
    remaining: int
    parallel: int = 1
    job: tuple | None = None

    @property
    def estimated_seconds(self) -> float:
        """Time the run will take, from this chunk's speed and the chunks computed at once (``parallel``, the
        worker threads of a cluster) [s]."""
        return self.seconds * self.remaining / max(self.stop - self.start, 1) / max(self.parallel, 1)


def chunking(plan: GridPlan, chunk_size: int) -> tuple[Layout, ChunkBounds]:
    """The run's :class:`Layout` and the ``(start, stop)`` of its chunks for a chunk size [scenarios]."""
    layout = layout_for(plan, chunk_size)
    return layout, chunk_bounds(layout, plan.n_scenarios, chunk_size)


def layout_for(plan: GridPlan, chunk_size: int) -> Layout:
    """The run's :class:`Layout`: its selected metrics, tables and quantile sketches."""
    tables = plan.selection.tables
    if not isinstance(tables, str):
        paths = [axis.path for axis in plan.axes]
        tables = [(paths.index(a), paths.index(b)) for a, b in tables]
    return make_layout(plan.shape, plan.n_samples, len(plan.sampled), plan.selection.metrics, chunk_size, tables,
                       plan.selection.quantiles)


def row_coordinates(plan: GridPlan, layout: Layout, start: int, stop: int) -> list[np.ndarray]:
    """Coordinate of each row of a chunk on every cartesian axis (host)."""
    row = layout.block_cells * layout.n_samples
    m = stop - start
    if m % row == 0 and m >= row:
        rows = m // row
        first_cells = start // plan.n_samples + np.arange(rows, dtype=np.int64) * layout.block_cells
    else:
        first_cells = np.asarray([start // plan.n_samples], dtype=np.int64)
    return [(first_cells // stride) % size for stride, size in zip(plan.strides, plan.shape)]


def evaluate_and_reduce(backend: Backend, plan: GridPlan, extents: dict, layout: Layout, start: int, stop: int,
                        keep_metrics: bool = False):
    """Evaluate scenarios ``start .. stop - 1`` and reduce them; optionally return host metrics too."""
    values, groups = plan.dimension_values(start, stop)
    with np.errstate(all="ignore"):  # inf/NaN metrics are counted by the reductions, not warned about
        metrics = evaluate_chunk(backend, plan, extents, values, stop - start, plan.selection.metrics)
    sampled_groups = groups[len(plan.axes):]
    partial = reduce_chunk(backend.xp, layout, start, stop, metrics, sampled_groups,
                           row_coordinates(plan, layout, start, stop))
    host = None
    if keep_metrics:
        host = {"scenario_index": np.arange(start, stop, dtype=np.int64)}
        for axis, v in zip(plan.dimensions, values):
            host[axis.path] = np.asarray(v, dtype=np.float64)
        for name in plan.selection.metrics:
            host[name] = to_numpy(metrics[name]).astype(np.float64)
    return partial, host


def _chunk_evaluator(backend: Backend, plan: GridPlan, extents: dict, layout: Layout):
    """A function ``(start, stop, keep_metrics) -> (Partial, host metrics or None)`` for the backend."""
    if backend.kernel is None:
        def array_path(start, stop, keep):
            return evaluate_and_reduce(backend, plan, extents, layout, start, stop, keep_metrics=keep)

        return array_path
    from dcecon.grid_engine import kernels

    args = kernels.pack(plan, extents, layout, backend.dtype_name)
    if backend.kernel == "native":
        from dcecon.backends import native

        from dcecon.model.metrics import kernel_mask

        lib = native.load_library(outputs=kernel_mask(plan.selection.metrics),
                                  tables=bool(layout.marginal_dims or layout.pairs), sketch=layout.quantiles)

        def native_path(start, stop, keep):
            partial = kernels.native_reduce(lib, plan, args, layout, start, stop, backend.threads)
            host = None
            if keep:
                host = _scenario_rows(plan, start, stop, kernels.native_evaluate(lib, plan, args, start, stop,
                                                                                 backend.threads))
            return partial, host

        return native_path
    from dcecon.backends import cuda

    module = cuda.grid_module(backend.dtype_name, extents)

    def cuda_path(start, stop, keep):
        partial = kernels.cuda_reduce(module, plan, args, layout, start, stop)
        host = _scenario_rows(plan, start, stop, kernels.cuda_evaluate(module, plan, args, start, stop)) if keep else None
        return partial, host

    return cuda_path


def _scenario_rows(plan: GridPlan, start: int, stop: int, metrics: np.ndarray) -> dict:
    values, _ = plan.dimension_values(start, stop)
    rows = {"scenario_index": np.arange(start, stop, dtype=np.int64)}
    for axis, v in zip(plan.dimensions, values):
        rows[axis.path] = np.asarray(v, dtype=np.float64)
    for j, name in enumerate(plan.selection.metrics):
        rows[name] = np.asarray(metrics[:, j], dtype=np.float64)
    return rows


def first_chunk(plan: GridPlan, backend: Backend, chunk_size: int, store=None, client=None) -> FirstChunk | None:
    """Evaluate and time the first chunk not saved in ``store`` (the first chunk without one).

    Returns None when every chunk is saved. Nothing is written. With a ``distributed.Client`` the chunk is
    computed by a worker (timed there) and the estimate shares the run among the cluster's threads.
    """
    layout, bounds = chunking(plan, chunk_size)
    done = 0
    for start, stop in bounds:
        if store is None or not store.saved(start, stop):
            break
        done += stop - start
    else:
        return None
    keep = store is not None and store.keep_scenarios
    if client is not None:
        from dcecon.grid_engine import cluster

        job = cluster.submit_job(client, _chunk_evaluator, (plan, plan.static_extents(), layout), backend)
        (partial, host), seconds = cluster.run_one(client, job, start, stop, keep)
        return FirstChunk(start, stop, partial, host, seconds, plan.n_scenarios - done,
                          cluster.parallel_tasks(client), job)
    evaluate = _chunk_evaluator(backend, plan, plan.static_extents(), layout)
    t0 = time.perf_counter()
    partial, host = evaluate(start, stop, keep)
    return FirstChunk(start, stop, partial, host, time.perf_counter() - t0, plan.n_scenarios - done)


def _local_chunks(bounds, evaluate, store, first: FirstChunk | None):
    """``(start, stop, partial, seconds, kind)`` of every chunk in index order, computed in this process.

    ``kind`` is ``loaded`` (from ``store``), ``first`` (``first``'s, computed before the run) or ``computed``;
    a computed chunk is saved to ``store`` before it is yielded.
    """
    for start, stop in bounds:
        t0 = time.perf_counter()
        partial = store.load(start, stop) if store is not None else None
        if partial is not None:
            yield start, stop, partial, time.perf_counter() - t0, "loaded"
            continue
        if first is not None and (first.start, first.stop) == (start, stop):
            partial, host, elapsed, kind = first.partial, first.host, first.seconds, "first"
        else:
            t0 = time.perf_counter()
            partial, host = evaluate(start, stop, store is not None and store.keep_scenarios)
            elapsed, kind = time.perf_counter() - t0, "computed"
        if store is not None:
            store.save(partial, host)
        yield start, stop, partial, elapsed, kind


def _cluster_chunks(client, plan: GridPlan, backend: Backend, extents: dict, layout: Layout, bounds, store,
                    first: FirstChunk | None):
    """As :func:`_local_chunks`, the chunks computed by the workers of ``client``; each is saved to ``store``
    as it arrives (in any order) and yielded in index order."""
    from dcecon.grid_engine import cluster

    keep = store is not None and store.keep_scenarios

    def items():
        for start, stop in bounds:
            if first is not None and (first.start, first.stop) == (start, stop):
                if store is not None:
                    store.save(first.partial, first.host)
                yield (start, stop, keep), (first.partial, first.seconds, "first")
                continue
            t0 = time.perf_counter()
            partial = store.load(start, stop) if store is not None else None
            ready = None if partial is None else (partial, time.perf_counter() - t0, "loaded")
            yield (start, stop, keep), ready

    def save(chunk, value):
        if store is not None:
            store.save(*value)

    reuse = first is not None and first.job is not None
    job = first.job if reuse else cluster.submit_job(client, _chunk_evaluator, (plan, extents, layout), backend)
    for (start, stop, _), value, seconds, kind in cluster.ordered_map(client, job, items(), cluster.window(client),
                                                                      on_arrival=save):
        partial = value[0] if kind == "computed" else value
        yield start, stop, partial, seconds, kind


def run(plan: GridPlan, backend="auto", dtype="float64", max_memory_bytes=DEFAULT_MAX_MEMORY_BYTES,
        chunk_size=None, store=None, on_chunk=None, on_estimate=None, first: FirstChunk | None = None,
        client=None):
    """Run a grid plan; return ``(merged Partial, layout, RunStats)``.

    Parameters
    ----------
    plan : GridPlan
    backend : str or Backend
    dtype : {'float64', 'float32'}
    max_memory_bytes : int
        Memory budget that sets the chunk size (ignored if ``chunk_size`` is given) [bytes].
    chunk_size : int, optional
        Scenarios per chunk (rounded to whole rows of the layout).
    store : grid.output.PartialStore, optional
        Saves each chunk's reductions and supplies those of an earlier,
        interrupted run.
    on_chunk : callable(done_scenarios, total), optional
        Progress callback.
    on_estimate : callable(seconds_estimate, chunk_size), optional
        Called once after the first evaluated chunk (not when ``first`` is given: its caller estimated).
    first : FirstChunk, optional
        A chunk evaluated before the run (:func:`first_chunk`, same chunk size); used, not computed again.
    client : distributed.Client, optional
        Compute the chunks on this Dask cluster (``backend`` then names what the workers run,
        :func:`dcecon.grid_engine.cluster.worker_backend`); the merge is the same, in chunk order.
    """
    started = time.perf_counter()
    if isinstance(backend, Backend):
        chosen = backend
    elif client is not None:
        from dcecon.grid_engine import cluster

        chosen = cluster.worker_backend(client, backend, dtype)
    else:
        chosen = resolve_grid_backend(backend, dtype)
    extents = plan.static_extents()
    size = chunk_size or chunk_size_for(plan, extents, max_memory_bytes, chosen.dtype_name,
                                        on_host=not chosen.name.startswith("cupy"), kernel=chosen.kernel)
    layout, bounds = chunking(plan, size)
    if client is None:
        chunks = _local_chunks(bounds, _chunk_evaluator(chosen, plan, extents, layout), store, first)
    else:
        chunks = _cluster_chunks(client, plan, chosen, extents, layout, bounds, store, first)
    merged = None
    done = resumed = computed = 0
    load_seconds = first_seconds = 0.0
    estimated = first is not None
    for start, stop, partial, elapsed, kind in chunks:
        if kind == "loaded":
            resumed += 1
            load_seconds += elapsed
        else:
            if kind == "first":
                first_seconds = elapsed  # spent before this function started
            if not estimated and on_estimate is not None:
                on_estimate(elapsed * (plan.n_scenarios - done) / max(stop - start, 1), stop - start)
            estimated = True
            computed += stop - start
        done += stop - start
        merged = densify(partial) if merged is None else merge_into(merged, partial)  # chunks in index order
        if on_chunk is not None:
            on_chunk(done, plan.n_scenarios)
    if chosen.name.startswith("cupy") and client is None:
        from dcecon.backends import cuda

        cuda.release_memory()
    stats = RunStats(plan.n_scenarios, len(bounds), size, time.perf_counter() - started + first_seconds,
                     chosen.name, chosen.dtype_name, resumed, computed, load_seconds)
    return merged, layout, stats
