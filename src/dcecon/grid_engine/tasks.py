"""What a Dask worker runs for a cluster run (``--cluster``, ``client=``): one chunk per task.

A run makes its :class:`Job` one task of the cluster (:func:`hold`: computed again if every worker holding it is
lost), which each worker fetches once; each chunk task names the job and a chunk. The first task of a job on a worker builds the chunk evaluator (the backend, its native library
or CUDA module, the packed kernel arguments) and keeps it in this module's :data:`EVALUATORS`, keyed by the job's
:attr:`Job.key`, so the later chunks of the run on that worker reuse it. This module imports nothing from Dask:
it runs in the worker's process like any other function.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import time
import warnings

EVALUATORS: collections.OrderedDict = collections.OrderedDict()
"""Chunk evaluators built on this worker, by :attr:`Job.key` (the most recent :data:`MAX_CACHED_JOBS`)."""

MAX_CACHED_JOBS = 4
"""Evaluators a worker keeps: a long-lived cluster serving many runs does not hold every run's plan."""


@dataclasses.dataclass(frozen=True)
class Job:
    """A run's plan and how to evaluate it, sent to every worker once.

    Attributes
    ----------
    key : str
        Unique to the run (the cache key of its evaluator on each worker).
    factory : callable
        A module-level function ``factory(backend, *args) -> evaluate``, where ``backend`` is the worker's
        :class:`~dcecon.backends.Backend` and ``evaluate(*chunk)`` computes one chunk.
    args : tuple
        The factory's other arguments (the plan, extents, chunk size...).
    backend : str
        Backend name every worker runs (resolved once for the cluster, :func:`worker_backend_name`).
    dtype : str
        ``float64`` or ``float32``.
    threads : int
        Threads of the native kernel per task (0: the worker's share of its host's cores, :func:`kernel_threads`).
    threads_by_host : dict of str to int
        Worker threads of the cluster on each host [threads].
    """

    key: str
    factory: object
    args: tuple
    backend: str
    dtype: str
    threads: int = 0
    threads_by_host: dict = dataclasses.field(default_factory=dict)


def usable_cores() -> int:
    """CPU cores this process may run on [cores]."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def kernel_threads(threads: int, threads_by_host: dict, host: str | None) -> int:
    """Threads one task's native kernel uses on ``host`` [threads].

    ``threads`` when given (``--threads``), else the host's cores shared among the worker threads the cluster
    runs there (two workers of one thread on 8 cores: 4 each), so that tasks running at once do not
    oversubscribe the cores; at least 1.
    """
    if threads:
        return int(threads)
    on_host = threads_by_host.get(host or "", 0)
    return max(1, usable_cores() // on_host) if on_host else 0


def _worker_host() -> str | None:
    """The host name of the Dask worker running this task (None outside a worker)."""
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        return None
    from urllib.parse import urlparse

    return urlparse(address).hostname


def evaluator(job: Job):
    """The chunk evaluator of ``job`` on this worker, built on first use and cached (:data:`EVALUATORS`)."""
    cached = EVALUATORS.get(job.key)
    if cached is not None:
        EVALUATORS.move_to_end(job.key)
        return cached
    from dcecon.backends import resolve_backend

    threads = kernel_threads(job.threads, job.threads_by_host, _worker_host())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the client resolved the backend and warned there
        backend = resolve_backend(job.backend, job.dtype, kernels=True, threads=threads)
    built = job.factory(backend, *job.args)
    EVALUATORS[job.key] = built
    while len(EVALUATORS) > MAX_CACHED_JOBS:
        EVALUATORS.popitem(last=False)
    return built


def hold(job: Job) -> Job:
    """The job itself, as a task's result: the scheduler keeps the task (the job in its arguments) and computes
    it again on another worker when every worker holding it is lost, so no run depends on a worker surviving."""
    return job


def run_chunk(job: Job, *chunk):
    """Evaluate one chunk of ``job``; ``(result, seconds)`` with the worker's time to compute it [s]."""
    evaluate = evaluator(job)
    started = time.perf_counter()
    result = evaluate(*chunk)
    return result, time.perf_counter() - started


def probe_backend(backend: str, dtype: str) -> tuple[str, str]:
    """What this worker runs for ``--backend backend``: ``("ok", name)``, or ``("error", why)``."""
    from dcecon.backends import resolve_grid_backend

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", resolve_grid_backend(backend, dtype).name
    except Exception as exc:  # BackendUnavailableError, a broken install: told on the client
        return "error", str(exc)


def empty_chunk() -> None:
    """A task that does nothing (the benchmark of a task's round trip)."""
    return None
