"""Evaluate an explicit matrix of input points through the grid engine (every backend, chunked).

A sensitivity analysis (Sobol, Morris) draws its own design of points with
SALib and needs the model at exactly those points. :class:`PointsPlan` is a
:class:`~dcecon.grid_engine.plan.GridPlan` with no cartesian axes whose
sampled dimensions take their values from the columns of a given matrix
instead of the sampler: row ``j`` of the matrix is scenario ``j`` of the run.
Each column is checked against its field's bounds and the scenario's
cross-field rules like a ``uniform(min, max)`` axis over the column's range
(``docs/grid.md``, "Axes"), so a point the grid engine would refuse is refused
here in the same words.

Example::

    from dcecon.grid_engine.points import evaluate_points, points_plan
    plan = points_plan("h100-neocloud-2024", ["cohorts.0.utilization", "site.pue"],
                       [[0.6, 1.2], [0.9, 1.5]], metrics=["gross_margin"])
    evaluate_points(plan, backend="numpy").metrics["gross_margin"]   # shape (2,)
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np

from dcecon.backends import BackendFallbackWarning, resolve_backend, resolve_grid_backend, to_numpy
from dcecon.grid_engine.plan import GridPlan, bindings_for, make_plan
from dcecon.grid_engine.selection import Selection, parse_metrics
from dcecon.grid_engine.spec import check_axis_against_scenario, parse_axis
from dcecon.scenario.errors import ScenarioError

DEFAULT_MAX_MEMORY = "1GiB"
"""Memory budget that sets the chunk size when none is given [bytes]."""


@dataclasses.dataclass
class PointsPlan(GridPlan):
    """A grid plan whose sampled dimensions read the columns of :attr:`points` (row ``j``: scenario ``j``).

    Attributes
    ----------
    points : numpy.ndarray
        Input points, shape ``(n_points, n_dimensions)``, one column per sampled dimension in
        ``plan.sampled`` order [units of each field].
    """

    points: np.ndarray | None = None

    def sampled_values(self, start: int, stop: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Columns of rows ``start .. stop - 1`` of :attr:`points`, and a group index of 0 (no main effects)."""
        block = self.points[start:stop]
        values = [np.ascontiguousarray(block[:, k]) for k in range(block.shape[1])]
        return values, [np.zeros(stop - start, dtype=np.int64) for _ in values]


def with_points(plan: PointsPlan, columns) -> PointsPlan:
    """``plan`` over other points: ``columns`` holds one array of values per sampled dimension, in order (a root
    finder's next iterate); the plan's checks, bindings and extents are kept, so the new values must lie within the
    ranges the plan was made for."""
    matrix = np.column_stack([np.asarray(c, dtype=np.float64).reshape(-1) for c in columns])
    return dataclasses.replace(plan, points=matrix, n_samples=max(1, matrix.shape[0]))


@dataclasses.dataclass
class PointValues:
    """The metrics at every point of a :class:`PointsPlan`.

    Attributes
    ----------
    metrics : dict of str to numpy.ndarray
        Each selected metric at each point, shape ``(n_points,)``, float64 on the host [units of the metric].
    backend : str
        Backend that computed them (``numpy``, ``native``, ...).
    dtype : str
        Floating dtype of the computation.
    chunk_size : int
        Points per chunk [points].
    seconds : float
        Wall time of the evaluation [s].
    """

    metrics: dict
    backend: str
    dtype: str
    chunk_size: int
    seconds: float


def load_fleet_scenario(scenario, overrides=(), command: str = "dcecon sobol"):
    """``(raw, provenance, file, Scenario)`` of a Scenario, a scenario file or a bundled name."""
    from dcecon.grid_engine.api import load_fleet_file
    from dcecon.scenario.loader import validate

    raw, provenance, file = load_fleet_file(scenario, overrides, command)
    return raw, provenance, file, validate(raw, dict(provenance), file)


def check_points(points, n_columns: int, option: str = "points") -> np.ndarray:
    """``points`` as a C-contiguous float64 matrix ``(n, n_columns)`` of finite values; else ScenarioError."""
    try:
        matrix = np.array(points, dtype=np.float64, ndmin=2)
    except (TypeError, ValueError):
        raise ScenarioError(option, None, "must be a matrix of numbers, one column per path") from None
    if matrix.ndim != 2 or matrix.shape[1] != n_columns:
        raise ScenarioError(option, None, f"must have shape (n, {n_columns}): one column per path, "
                                          f"got shape {matrix.shape}")
    if matrix.shape[0] == 0:
        raise ScenarioError(option, None, "has no points")
    if not np.all(np.isfinite(matrix)):
        raise ScenarioError(option, None, "holds a value that is not a finite number")
    return np.ascontiguousarray(matrix)


def points_plan(scenario, paths, points, metrics=("gross_margin",), overrides=(), option: str = "--vary",
                plan_loaded=None) -> PointsPlan:
    """The :class:`PointsPlan` that evaluates ``scenario`` at each row of ``points``.

    Parameters
    ----------
    scenario : Scenario, str or path
        A loaded scenario, a scenario file or a bundled name.
    paths : list of str
        Dotted scenario paths, one per column (``cohorts.0.utilization``, ``site.pue``, ``cohorts.*.pue``).
    points : array_like
        Shape ``(n_points, len(paths))`` [units of each field].
    metrics : str or list of str
        Metric names (:data:`dcecon.model.metrics.METRICS`), ``default`` or ``all``.
    overrides : list of str
        ``PATH=VALUE`` set before anything else (``--set``).
    option : str
        Option named in error messages about a path.
    plan_loaded : tuple, optional
        ``(raw, provenance, file, Scenario)`` already loaded (saves loading it again).

    Raises
    ------
    ScenarioError
        An unknown path or one that cannot vary, a path given twice, a point outside its field's bounds,
        an unknown metric, a matrix of the wrong shape.
    """
    paths = list(paths)
    if not paths:
        raise ScenarioError(option, None, "give at least one path to vary")
    raw, provenance, file, loaded = plan_loaded or load_fleet_scenario(scenario, overrides)
    matrix = check_points(points, len(paths), "points" if option == "--vary" else option)
    chosen = parse_metrics(metrics, "--metric")
    axes, covered = [], {}
    for k, path in enumerate(paths):
        column = matrix[:, k]
        axis = parse_axis(raw, path, f"uniform({float(column.min())!r},{float(column.max())!r})", option)
        for concrete in axis.concrete_paths:
            if concrete in covered:
                raise ScenarioError(option, path, f"sets {concrete}, which {covered[concrete]} sets too")
            covered[concrete] = path
            bindings_for(loaded, concrete, option)  # a field the engine cannot move is refused in --vary's name
        check_axis_against_scenario(raw, provenance, file, axis, option)
        axes.append(axis)
    plan = make_plan(loaded, axes, n_samples=len(matrix), selection=Selection(chosen, "none", False))
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(GridPlan)}
    return PointsPlan(**fields, points=matrix)


def choose_backend(plan: GridPlan, backend="auto", dtype: str = "float64", threads=None, client=None):
    """The backend that runs a plan, as ``dcecon grid`` chooses it (``auto``: a GPU kernel, else the native
    kernel, else NumPy; a fused kernel that cannot run the plan falls back to the array model, with a
    :class:`~dcecon.backends.BackendFallbackWarning`); with a ``client``, the one every worker of its cluster runs.
    A :class:`~dcecon.backends.Backend` is used as it is.

    Raises
    ------
    ScenarioError
        An unknown backend or dtype; ``threads`` out of range; a cluster's worker that cannot run the backend.
    """
    from dcecon.backends import BACKEND_CHOICES, Backend
    from dcecon.grid_engine.api import check_threads, kernel_limit_reason

    if isinstance(backend, Backend):
        return backend
    if backend not in BACKEND_CHOICES:
        raise ScenarioError("--backend", str(backend), f"choose one of {', '.join(BACKEND_CHOICES)}")
    if dtype not in ("float64", "float32"):
        raise ScenarioError("--dtype", str(dtype), "choose one of float64, float32")
    if client is not None:
        from dcecon.grid_engine import cluster

        cluster.check_client(client)
        chosen = cluster.worker_backend(client, backend, dtype, check_threads(threads))
    else:
        chosen = resolve_grid_backend(backend, dtype, check_threads(threads))
    if chosen.kernel is not None:
        reason = kernel_limit_reason(plan, chosen.kernel)
        if reason:
            array_backend = "cupy-array" if chosen.kernel == "cuda" else "numpy"
            warnings.warn(f"{reason}; using the array model on {array_backend}", BackendFallbackWarning,
                          stacklevel=3)
            chosen = (resolve_backend(array_backend, dtype) if client is None
                      else cluster.backend_named(array_backend, dtype))
    return chosen


def _chunk_evaluator_on(chosen, plan: PointsPlan, extents: dict, chunk_size: int):
    """:func:`_chunk_evaluator` with the backend first: the factory a cluster's workers call
    (:class:`dcecon.grid_engine.tasks.Job`)."""
    return _chunk_evaluator(plan, chosen, extents, chunk_size)


def _chunk_values(plan: PointsPlan, chosen, extents: dict, size: int, client=None):
    """``(start, stop, values (m, n_metrics))`` of every chunk of ``size`` points, in order: computed here, or
    on ``client``'s cluster (the plan, its points included, sent to each worker once)."""
    n = plan.n_scenarios
    bounds = ((start, min(start + size, n)) for start in range(0, n, size))
    if client is None:
        evaluate = _chunk_evaluator(plan, chosen, extents, size)
        for start, stop in bounds:
            yield start, stop, evaluate(start, stop)
        return
    from dcecon.grid_engine import cluster

    job = cluster.submit_job(client, _chunk_evaluator_on, (plan, extents, size), chosen)
    items = (((start, stop), None) for start, stop in bounds)
    for (start, stop), values, _, _ in cluster.ordered_map(client, job, items, cluster.window(client)):
        yield start, stop, values


def _chunk_evaluator(plan: PointsPlan, chosen, extents: dict, chunk_size: int):
    """A function ``(start, stop) -> host float64 array (m, n_metrics)`` for the backend."""
    from dcecon.grid_engine import kernels
    from dcecon.grid_engine.batch import evaluate_chunk
    from dcecon.grid_engine.engine import layout_for

    names = plan.selection.metrics
    if chosen.kernel is None:
        def array_path(start, stop):
            values, _ = plan.dimension_values(start, stop)
            with np.errstate(all="ignore"):  # inf/NaN metrics are reported as such
                out = evaluate_chunk(chosen, plan, extents, values, stop - start, names)
            return np.stack([to_numpy(out[name]).astype(np.float64) for name in names], axis=1)

        return array_path
    args = kernels.pack(plan, extents, layout_for(plan, chunk_size), chosen.dtype_name)
    if chosen.kernel == "native":
        from dcecon.backends import native
        from dcecon.model.metrics import KERNEL_METRICS

        # The library `auto` loads computes every kernel metric; one specialised to fewer would be compiled first
        # (tens of seconds, for a tornado's handful of points): evaluate them all and keep the selected columns.
        full = dataclasses.replace(plan, selection=Selection(KERNEL_METRICS, "none", False))
        full_args = kernels.pack(full, extents, layout_for(full, chunk_size), chosen.dtype_name)
        columns = [KERNEL_METRICS.index(name) for name in names]
        lib = native.load_library()
        return lambda start, stop: np.asarray(kernels.native_evaluate(lib, full, full_args, start, stop,
                                                                      chosen.threads)[:, columns], dtype=np.float64)
    from dcecon.backends import cuda

    module = cuda.grid_module(chosen.dtype_name, extents)
    return lambda start, stop: np.asarray(to_numpy(kernels.cuda_evaluate(module, plan, args, start, stop)),
                                          dtype=np.float64)


def evaluate_points(plan: PointsPlan, backend: str = "auto", dtype: str = "float64", threads=None,
                    chunk_size=None, max_memory=DEFAULT_MAX_MEMORY, client=None) -> PointValues:
    """Every selected metric at every point of ``plan``, in chunks that fit the memory budget.

    Parameters
    ----------
    plan : PointsPlan
    backend : {'auto', 'numpy', 'native', 'cupy', 'cupy-array', 'array-api-strict'}
        ``auto``: the CUDA kernel with a usable GPU, else the native kernel, else NumPy (with a
        :class:`~dcecon.backends.BackendFallbackWarning`). A metric the fused kernels do not compute runs
        on the array model, with the same warning.
    dtype : {'float64', 'float32'}
    threads : int, optional
        Threads of the native kernel (default: all cores).
    chunk_size : int, optional
        Points per chunk (default: from ``max_memory``, as ``dcecon grid``) [points].
    max_memory : int or str
        Memory budget that sets the chunk size, e.g. ``'1GiB'`` [bytes].
    client : distributed.Client, optional
        Evaluate the chunks on this Dask cluster (docs/cluster.md); every value is the one-process run's.

    Returns
    -------
    PointValues
    """
    from dcecon.grid_engine.api import is_whole, parse_size
    from dcecon.grid_engine.engine import chunk_size_for

    started = time.perf_counter()
    chosen = choose_backend(plan, backend, dtype, threads, client)
    extents = plan.static_extents()
    if chunk_size is not None and (not is_whole(chunk_size) or chunk_size <= 0):
        raise ScenarioError("chunk_size", str(chunk_size), "must be a positive whole number of points")
    size = int(chunk_size) if chunk_size is not None else chunk_size_for(
        plan, extents, parse_size(max_memory, "--max-memory"), chosen.dtype_name,
        on_host=not chosen.name.startswith("cupy"), kernel=chosen.kernel)
    out = np.empty((plan.n_scenarios, len(plan.selection.metrics)), dtype=np.float64)
    for start, stop, values in _chunk_values(plan, chosen, extents, size, client):
        out[start:stop] = values
    metrics = {name: out[:, j].copy() for j, name in enumerate(plan.selection.metrics)}
    return PointValues(metrics, chosen.name, chosen.dtype_name, size, time.perf_counter() - started)

