"""Run a grid, a Monte Carlo or a sensitivity design on a Dask cluster (``--cluster``, ``client=``).

The chunks of a run become tasks (:func:`dcecon.grid_engine.tasks.run_chunk`). The run's plan is one task of the
cluster (:func:`submit_job`), fetched by each worker once; each worker builds its chunk evaluator on its first
task and keeps it (the native library, the CUDA module, the packed kernel arguments). At most
:data:`IN_FLIGHT_PER_THREAD` tasks per worker thread are submitted and not yet merged at any time, so a run of
10^6 chunks never holds 10^6 futures; results are collected with :class:`distributed.as_completed` in whatever
order they finish, handed to ``on_arrival`` at once (a grid's ``--out`` saves each chunk's partial then), and
released to the caller **in chunk order** as the contiguous prefix completes (:func:`ordered_map`), so the merge
is the single-process run's, to the last bit. A worker that dies takes its tasks with it; the scheduler runs them
again elsewhere.

``dcecon`` imports Dask only here, and only when a cluster is asked for: the default run is one process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import time
import uuid
import warnings
from pathlib import Path

from dcecon.grid_engine import tasks
from dcecon.scenario.errors import ScenarioError

CONNECT_TIMEOUT_SECONDS = 5
"""How long connecting to a scheduler may take before ``--cluster`` is refused [s]."""

WORKER_WAIT_SECONDS = 30
"""How long a run waits for a scheduler that has no worker yet [s]."""

RESULT_WAIT_SECONDS = 10
"""How long one wait for a finished chunk's result lasts before the cluster's workers are looked at again [s]
(long enough for a partial to cross a slow network: a wait cut short starts the transfer again)."""

IN_FLIGHT_PER_THREAD = 3
"""Tasks submitted and not yet merged per worker thread (2 to 4 keep workers busy while the client merges)."""

MAX_LOCAL_WORKERS = 1024
"""Most workers ``--cluster local:N`` starts [workers]."""

INSTALL_HINT = "needs the distributed package: pip install 'dcecon[cluster]'"
"""What ``--cluster`` says when Dask's distributed is not installed."""

ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://[^\s/:]+:\d{1,5}/?$")
"""A scheduler address ``tcp://HOST:PORT`` (or ``tls://``, ``ucx://``, ``ws://``, ``wss://``)."""

KERNEL_OF_BACKEND = {"native": "native", "cupy": "cuda"}
"""The fused kernel each backend name runs (the others run the array model)."""

BACKEND_PREFERENCE = ("cupy", "native", "numpy")
"""Backends ``--backend auto`` may settle on for a cluster whose workers differ, best first."""


@dataclasses.dataclass(frozen=True)
class ClusterSpec:
    """Where a run's tasks go.

    Attributes
    ----------
    kind : {'local', 'local-cuda', 'address', 'scheduler-file'}
    option : str
        The option that named it (``--cluster`` or ``--scheduler-file``), for error messages.
    value : str
        As given.
    workers : int or None
        Workers of a ``local:N`` cluster [workers]; None for the others.
    """

    kind: str
    option: str
    value: str
    workers: int | None = None


def parse_cluster(cluster=None, scheduler_file=None) -> ClusterSpec | None:
    """Read ``--cluster`` and ``--scheduler-file`` (None when neither is given: a single-process run).

    Raises
    ------
    ScenarioError
        Both given; ``--cluster`` not ``local``, ``local:N`` (N from 1 to :data:`MAX_LOCAL_WORKERS`),
        ``local-cuda`` or a scheduler address ``tcp://HOST:PORT``; a scheduler file that does not exist.
    """
    if cluster is not None and scheduler_file is not None:
        raise ScenarioError("--cluster", str(cluster), "give --cluster or --scheduler-file, not both")
    if scheduler_file is not None:
        path = Path(str(scheduler_file))
        if not path.is_file():
            raise ScenarioError("--scheduler-file", str(scheduler_file),
                                "does not exist (the scheduler writes it: dask scheduler --scheduler-file FILE)")
        return ClusterSpec("scheduler-file", "--scheduler-file", str(scheduler_file))
    if cluster is None:
        return None
    text = str(cluster).strip()
    if text == "local":
        return ClusterSpec("local", "--cluster", text, tasks.usable_cores())
    if text == "local-cuda":
        return ClusterSpec("local-cuda", "--cluster", text)
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not count.isdigit() or not 1 <= int(count) <= MAX_LOCAL_WORKERS:
            raise ScenarioError("--cluster", text, f"must be local:N with N a whole number of workers from 1 to "
                                                   f"{MAX_LOCAL_WORKERS:,}")
        return ClusterSpec("local", "--cluster", text, int(count))
    if ADDRESS.match(text) and 0 < int(text.rstrip("/").rsplit(":", 1)[1]) < 65536:
        return ClusterSpec("address", "--cluster", text)
    raise ScenarioError("--cluster", text, "is not local, local:N, local-cuda or a scheduler address such as "
                                           "tcp://10.0.0.5:8786")


def import_distributed(option: str = "--cluster", value=None):
    """The ``distributed`` module, or ScenarioError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ScenarioError(option, None if value is None else str(value), INSTALL_HINT) from None
    return distributed


def _local_cuda(spec: ClusterSpec):
    """A ``dask_cuda.LocalCUDACluster`` (one worker per GPU), or ScenarioError: no dask-cuda, no GPU."""
    from dcecon.backends.namespace import _cupy_usable

    try:
        import dask_cuda
    except ImportError:
        raise ScenarioError(spec.option, spec.value, "needs dask-cuda: pip install dask-cuda (and a CUDA GPU)") from None
    usable, why = _cupy_usable()
    if not usable:
        raise ScenarioError(spec.option, spec.value, f"needs a CUDA GPU: {why}")
    return dask_cuda.LocalCUDACluster(dashboard_address=":0", silence_logs=logging.ERROR)


def _connect(distributed, spec: ClusterSpec, local):
    """A client of ``local`` (a cluster this run started) or of the scheduler the spec names."""
    if local is not None:
        return distributed.Client(local, set_as_default=False)
    if spec.kind == "scheduler-file":
        return _within_deadline(lambda: distributed.Client(scheduler_file=spec.value, timeout=CONNECT_TIMEOUT_SECONDS,
                                                           set_as_default=False), spec)
    return _within_deadline(lambda: distributed.Client(spec.value, timeout=CONNECT_TIMEOUT_SECONDS,
                                                       set_as_default=False), spec)


def _within_deadline(connect, spec: ClusterSpec):
    """``connect()`` on a helper thread, given :data:`CONNECT_TIMEOUT_SECONDS` plus a second in all.

    Dask's own ``timeout`` bounds the TCP connection, not the handshake after it: a port that accepts and never
    answers as a scheduler (another service) would hold the command forever. The thread is a daemon, so one
    still waiting does not keep the process alive after the one-line error.
    """
    import threading

    outcome: dict = {}

    def attempt():
        try:
            outcome["client"] = connect()
        except BaseException as exc:  # reported on the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, name="dcecon-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT_SECONDS + 1)
    if thread.is_alive():
        raise ScenarioError(spec.option, spec.value, f"cannot reach the scheduler (no Dask scheduler answered "
                                                     f"within {CONNECT_TIMEOUT_SECONDS + 1} s)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["client"]


@contextlib.contextmanager
def open_cluster(cluster=None, scheduler_file=None):
    """A ``distributed.Client`` for ``--cluster``/``--scheduler-file`` (None for neither), closed on exit.

    ``local:N`` starts a :class:`distributed.LocalCluster` of N single-threaded worker processes (``local``: one
    per core) and ``local-cuda`` a ``dask_cuda.LocalCUDACluster``; both end with the run. An address or a
    scheduler file connects to a running cluster (left running).

    Raises
    ------
    ScenarioError
        A malformed value (:func:`parse_cluster`), distributed (or dask-cuda, or a GPU) missing, or a scheduler
        that cannot be reached within :data:`CONNECT_TIMEOUT_SECONDS`.
    """
    spec = parse_cluster(cluster, scheduler_file)
    if spec is None:
        yield None
        return
    distributed = import_distributed(spec.option, spec.value)
    local = client = None
    try:
        if spec.kind == "local":
            with _workers_ignore_ctrl_c():
                local = distributed.LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True,
                                                 dashboard_address=":0", silence_logs=logging.ERROR)
        elif spec.kind == "local-cuda":
            with _workers_ignore_ctrl_c():
                local = _local_cuda(spec)
        with _quiet_logs():
            client = _connect(distributed, spec, local)
    except ScenarioError:
        if local is not None:
            local.close()
        raise
    except Exception as exc:  # refused, timed out, or an answer that is not a scheduler's (another service)
        if local is not None:
            local.close()
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise ScenarioError(spec.option, spec.value, f"cannot reach the scheduler ({why[:200]})") from None
    try:
        yield client
    finally:
        with _quiet_logs():
            client.close()
            if local is not None:
                local.close()


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Start worker processes with SIGINT ignored (inherited through their start), so that Ctrl-C in the
    terminal, which reaches the whole process group, stops the run in this process alone: it closes the
    cluster and says how to resume, without a traceback from every worker."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@contextlib.contextmanager
def _quiet_logs():
    """Silence distributed's log lines (connection retries, closing comms) for the block."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_client(client):
    """``client`` if it is a ``distributed.Client``; else ScenarioError (``client=`` of the Python API)."""
    distributed = import_distributed("client", type(client).__name__)
    if not isinstance(client, distributed.Client):
        raise ScenarioError("client", type(client).__name__, "must be a distributed.Client (or None for one "
                                                             "process)")
    return client


def dashboard_link(client) -> str | None:
    """The URL of the cluster's dashboard, or None when it has none (bokeh not installed)."""
    info = client.scheduler_info()
    if "dashboard" not in info.get("services", {}):
        return None
    return client.dashboard_link


def wait_for_workers(client) -> dict:
    """The scheduler's workers (address -> info), waiting up to :data:`WORKER_WAIT_SECONDS` for a first one.

    Raises
    ------
    ScenarioError
        No worker joined in time.
    """
    workers = live_workers(client)
    if workers:
        return workers
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        option, value = named_by(client)
        raise ScenarioError(option, value, f"the scheduler has no workers (waited {WORKER_WAIT_SECONDS} s for "
                                           f"one to join)") from None
    return live_workers(client)


def live_workers(client) -> dict:
    """The scheduler's workers now (address -> info)."""
    return client.scheduler_info(n_workers=-1).get("workers", {})


def named_by(client) -> tuple[str, str]:
    """``(option, value)`` that named the cluster, for errors: ``--scheduler-file FILE`` or ``--cluster ADDRESS``."""
    scheduler_file = getattr(client, "scheduler_file", None)
    if scheduler_file:
        return "--scheduler-file", str(scheduler_file)
    return "--cluster", str(client.scheduler.address)


def threads_by_host(client) -> dict:
    """Worker threads of the cluster on each host [threads]."""
    from urllib.parse import urlparse

    counts: dict = {}
    for address, info in wait_for_workers(client).items():
        host = urlparse(address).hostname or ""
        counts[host] = counts.get(host, 0) + int(info.get("nthreads", 1))
    return counts


def window(client) -> int:
    """Tasks in flight (submitted, not yet merged) for this cluster: :data:`IN_FLIGHT_PER_THREAD` per thread."""
    return max(2, IN_FLIGHT_PER_THREAD * sum(threads_by_host(client).values()))


def parallel_tasks(client) -> int:
    """Tasks the cluster runs at once: its worker threads [tasks]."""
    return max(1, sum(threads_by_host(client).values()))


def backend_named(name: str, dtype: str, threads: int = 0):
    """A :class:`~dcecon.backends.Backend` standing for what the workers run (its name, dtype and kernel).

    The client does not compute with it (a client without a GPU describes a GPU cluster's ``cupy``).
    """
    import array_api_compat
    import numpy as np

    from dcecon.backends.namespace import Backend

    return Backend(name, array_api_compat.array_namespace(np.empty(0)), dtype, kernel=KERNEL_OF_BACKEND.get(name),
                   threads=threads)


def _probe(client, backend: str, dtype: str) -> dict:
    wait_for_workers(client)
    answers = client.run(tasks.probe_backend, backend, dtype)
    errors = sorted((address, why) for address, (status, why) in answers.items() if status == "error")
    if errors:
        address, why = errors[0]
        raise ScenarioError("--backend", backend, f"worker {address}: {why}")
    return {address: name for address, (_, name) in answers.items()}


def worker_backend(client, backend: str, dtype: str, threads: int = 0):
    """The backend every worker runs for ``--backend backend`` (the same on all, so that results are those of
    one process): ``auto`` is each worker's best; when they differ, the best that all of them have.

    Raises
    ------
    ScenarioError
        A worker cannot run the backend asked for (no GPU for ``cupy``...).

    Warns
    -----
    BackendFallbackWarning
        ``auto`` settled on NumPy (no worker has a GPU or a native kernel).
    """
    from dcecon.backends import BackendFallbackWarning

    names = set(_probe(client, backend, dtype).values())
    if len(names) > 1:
        for candidate in BACKEND_PREFERENCE:
            try:
                if set(_probe(client, candidate, dtype).values()) == {candidate}:
                    names = {candidate}
                    break
            except ScenarioError:
                continue
    name = sorted(names)[0]
    if backend == "auto" and name == "numpy":
        warnings.warn("--backend auto: the cluster's workers have no GPU and no native kernel; running on numpy, "
                      "the slowest backend", BackendFallbackWarning, stacklevel=3)
    return backend_named(name, dtype, threads)


def submit_job(client, factory, args: tuple, backend) -> tuple:
    """Make a run's :class:`~dcecon.grid_engine.tasks.Job` a task of the cluster; ``(future, key)``.

    The job is a task (:func:`dcecon.grid_engine.tasks.hold`), not scattered data: data scattered to workers
    that all die is gone, and every chunk waiting on it is cancelled, while a task is computed again. Workers
    fetch it from one another as their first chunk needs it.
    """
    job = tasks.Job(f"{uuid.uuid4().hex[:16]}", factory, tuple(args), backend.name, backend.dtype_name,
                    backend.threads, threads_by_host(client))
    future = client.submit(tasks.hold, job, pure=False, key=f"dcecon-job-{job.key}")
    return future, job.key


def run_one(client, job: tuple, *chunk):
    """Compute one chunk on the cluster and wait for it; ``(result, seconds on the worker)``."""
    future, key = job
    task = client.submit(tasks.run_chunk, future, *chunk, pure=False, key=f"dcecon-{key}-first")
    try:
        return _result(client, task)
    finally:
        task.release()


class WorkerWatch:
    """Raise ScenarioError once the cluster has had no worker for :data:`WORKER_WAIT_SECONDS`: a task (or the
    result of a finished task lost with its worker) would wait for one forever."""

    def __init__(self, client):
        self.client = client
        self.checked = time.monotonic()
        self.without_workers_since = None

    def check(self) -> None:
        """Look at the scheduler's workers (at most once a second)."""
        now = time.monotonic()
        if now - self.checked < 1.0:
            return
        self.checked = now
        if live_workers(self.client):
            self.without_workers_since = None
        elif self.without_workers_since is None:
            self.without_workers_since = now
        elif now - self.without_workers_since > WORKER_WAIT_SECONDS:
            option, value = named_by(self.client)
            raise ScenarioError(option, value, f"the cluster lost every worker and none joined within "
                                               f"{WORKER_WAIT_SECONDS} s; the chunks saved with --out resume with "
                                               f"--resume")


def _result(client, task, watch: WorkerWatch | None = None):
    """A finished task's result (gathered again when the worker holding it died, as long as a worker is left);
    a task the scheduler cancelled (it lost the task's inputs with its workers, or the connection) is
    ScenarioError, one line, not a traceback. An error raised by dcecon on a worker is raised as it is."""
    from distributed.client import FutureCancelledError

    watch = watch or WorkerWatch(client)
    while True:
        try:
            return task.result(timeout=RESULT_WAIT_SECONDS)
        except FutureCancelledError as exc:
            option, value = named_by(client)
            why = " ".join(str(exc).split())[:200]
            raise ScenarioError(option, value, f"the scheduler cancelled a chunk ({why}); the chunks saved with "
                                               f"--out resume with --resume") from None
        except TimeoutError:
            watch.check()


def _next_finished(running, watch: WorkerWatch):
    """The next finished task of ``running`` (a ``distributed.as_completed``), watching for a cluster left
    without workers."""
    while not running.has_ready():
        with running.thread_condition:  # notified as each task finishes (as as_completed itself waits)
            running.thread_condition.wait(timeout=0.1)
        if not running.has_ready():
            watch.check()
    return next(running)


def ordered_map(client, job: tuple, items, in_flight: int, on_arrival=None):
    """Compute chunks on the cluster; yield them in the order of ``items``.

    Parameters
    ----------
    client : distributed.Client
    job : tuple
        ``(future, key)`` of :func:`submit_job`.
    items : iterable of (chunk, ready)
        ``chunk`` is the task's arguments after the job (``(start, stop, ...)``); ``ready`` is None to compute
        it, or an already known ``(value, seconds, kind)`` (a chunk reloaded from ``--out``), passed through.
        Items are drawn only as the window allows (a generator may load files lazily).
    in_flight : int
        Most chunks submitted or held and not yet yielded [chunks].
    on_arrival : callable(chunk, value), optional
        Called as each computed chunk arrives, in any order (before it is yielded).

    Yields
    ------
    tuple
        ``(chunk, value, seconds, kind)`` in item order; ``kind`` is ``"computed"`` for a chunk computed here,
        ``seconds`` the worker's time on it [s].
    """
    from distributed import as_completed

    future, key = job
    key = f"{key}-{uuid.uuid4().hex[:8]}"  # task keys unique to this call (a Monte Carlo maps each batch)
    pending = iter(items)
    buffered: dict = {}
    index_of: dict = {}
    running = as_completed(loop=client.loop)  # the client need not be the default one
    watch = WorkerWatch(client)
    submitted = released = 0
    exhausted = False
    try:
        while True:
            while not exhausted and submitted - released < in_flight:
                item = next(pending, None)
                if item is None:
                    exhausted = True
                    break
                chunk, ready = item
                if ready is not None:
                    buffered[submitted] = (chunk, *ready)
                else:
                    task = client.submit(tasks.run_chunk, future, *chunk, pure=False, key=f"dcecon-{key}-{submitted}")
                    index_of[task.key] = (submitted, chunk)
                    running.add(task)
                submitted += 1
            if released in buffered:
                yield buffered.pop(released)
                released += 1
                continue
            if exhausted and released == submitted:
                return
            done = _next_finished(running, watch)
            index, chunk = index_of.pop(done.key)
            value, seconds = _result(client, done, watch)
            done.release()
            if on_arrival is not None:
                on_arrival(chunk, value)
            buffered[index] = (chunk, value, seconds, "computed")
    finally:
        left = list(running.futures)
        if left:
            client.cancel(left)

