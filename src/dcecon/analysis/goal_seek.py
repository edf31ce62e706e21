"""Goal seek on a grid: for every grid point, the input that gives a target metric (``dcecon goal-seek``).

``dcecon.goal_seek("h100-neocloud-2024", target="gross_margin=0.14",
solve="cohorts.0.price_usd_per_gpu_hour", axes={"cohorts.0.utilization": "0.5:1:6"})``
returns one row per grid point: the axes' values, the solved value and the
metric achieved there (docs/tables.md).

How a point is solved, all points at once on the grid engine's backend:

1. **Closed form** where the metric is linear in the solved field
   (:data:`LINEAR_METRICS` x :data:`LINEAR_FIELDS`): the line through two
   evaluations gives the root, which is kept where the metric evaluated at it
   hits the target to :data:`RELATIVE_TOLERANCE` (a tax on positive gross
   profit makes NPV only piecewise linear: such points go on to 2).
2. **Bracket**: the metric at :data:`SCAN_POINTS` values across the solved
   field's bounds (or ``within``); the first sign change of ``metric -
   target`` brackets the root. No sign change: the point is unreachable.
3. **Illinois** (regula falsi with the stale end's value halved, and a
   bisection every third step) on every bracket at once, to machine precision.

A point counts as solved when ``|metric - target| <= 1e-9 x scale``
(``scale``: the largest of ``|target|`` and ``|metric|`` at the ends of its
bracket or its two linear probes); otherwise it is unreachable.

The evaluations go through the grid engine: a :class:`~dcecon.grid_engine.points.PointsPlan` is a
:class:`~dcecon.grid_engine.plan.GridPlan` whose dimensions take given values
per scenario, so the array model (:func:`~dcecon.grid_engine.batch.evaluate_chunk`)
and the native and CUDA kernels (:func:`~dcecon.grid_engine.kernels.native_evaluate`)
evaluate any list of points.
"""

from __future__ import annotations

import dataclasses
import math
import numpy as np
import pandas as pd

from dcecon.backends import Backend, to_numpy
from dcecon.grid_engine.api import axis_strings, load_fleet_file, prepare
from dcecon.grid_engine.batch import evaluate_chunk
from dcecon.grid_engine.engine import layout_for
from dcecon.grid_engine.plan import GridPlan
from dcecon.grid_engine.points import PointsPlan, choose_backend, with_points
from dcecon.grid_engine.selection import Selection, parse_metrics
from dcecon.grid_engine.spec import Axis, Distribution, parse_values
from dcecon.model.metrics import KERNEL_METRICS, METRICS
from dcecon.scenario import paths
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.schema import Scenario

RELATIVE_TOLERANCE = 1e-9
"""A point is solved when ``|metric - target| <= RELATIVE_TOLERANCE x scale`` [-]."""

LINEAR_METRICS = ("revenue_usd", "gross_profit_usd", "ebitda_usd", "npv_usd")
"""Metrics that are linear (NPV: piecewise linear with a tax) in the fields of :data:`LINEAR_FIELDS`:
revenue is price x billed hours and every cost is linear in utilization (power: idle + (1 - idle) x
utilization) and free of price (tests/test_data_table.py checks the second differences)."""

LINEAR_FIELDS = ("price_usd_per_gpu_hour", "utilization", "price_usd_per_million_tokens")
"""Fields (last part of the path) in which the metrics of :data:`LINEAR_METRICS` are linear."""

SCAN_POINTS = 65
"""Values of the solved field at which the bracket scan evaluates the metric (64 intervals)."""

UNBOUNDED_SPAN = 8.0
"""An unbounded side is scanned linearly to ``UNBOUNDED_SPAN x reference`` from the other bound ..."""

UNBOUNDED_REACH = 1e4
"""... and then geometrically to ``UNBOUNDED_REACH x reference`` (reference: the field's value, at least 1)."""

MAX_ITERATIONS = 200
"""Illinois steps at most (a bisection every third step halves the bracket: 200 steps reach machine precision)."""

MAX_POINTS = 10**6
"""Most grid points a goal seek (or a data table) takes [points]."""

BLOCK_POINTS = 4096
"""Points solved together (the bracket scan evaluates ``BLOCK_POINTS x SCAN_POINTS`` scenarios at once)."""

CHUNK = 1 << 16
"""Scenarios per evaluation call [scenarios]."""

CLOSED_FORM, BRACKETED, UNREACHABLE = "closed form", "bracketed", "unreachable"
"""How a point was solved (the ``method`` column)."""


# --- inputs ------------------------------------------------------------------------------------------------------

def load_fleet(scenario, overrides=(), command: str = "dcecon goal-seek") -> tuple[dict, dict, str]:
    """Raw dict, provenance and name of a loaded :class:`Scenario`, a scenario file or a bundled name, with
    ``--set`` overrides applied (:func:`dcecon.grid_engine.api.load_fleet_file`)."""
    return load_fleet_file(scenario, overrides, command)


def check_metric(metric, option: str = "--metric") -> str:
    """One metric name of :data:`dcecon.model.metrics.METRICS`."""
    if not isinstance(metric, str) or "," in metric or metric.strip() in ("default", "all"):
        raise ScenarioError(option, str(metric), f"give one metric name; choose from {', '.join(METRICS)}")
    return parse_metrics(metric.strip(), option)[0]


def parse_target(target, option: str = "--target") -> tuple[str, float]:
    """``'gross_margin=0.14'`` (or a ``(metric, value)`` pair) -> ``('gross_margin', 0.14)``."""
    if isinstance(target, (tuple, list)) and len(target) == 2:
        name, value = target
    elif isinstance(target, str) and "=" in target:
        name, _, value = target.partition("=")
    else:
        raise ScenarioError(option, str(target), "write the target as METRIC=VALUE, e.g. gross_margin=0.14")
    metric = check_metric(str(name).strip(), option)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(option, metric, f"{str(value).strip()!r} is not a number") from None
    if not math.isfinite(number):
        raise ScenarioError(option, metric, f"{str(value).strip()!r} is not a finite number")
    return metric, number


def listed_axis(text: str, option: str) -> tuple[str, str]:
    """``'PATH=SPEC'`` of listed values (``start:stop:num`` or ``v1,v2,...``) -> ``(path, spec)``."""
    if not isinstance(text, str) or "=" not in text:
        raise ScenarioError(option, str(text), "write it as PATH=SPEC, e.g. cohorts.0.utilization=0.5:1:6")
    path, _, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if isinstance(parse_values(spec, path, option), tuple):
        raise ScenarioError(option, path, f"{spec} is a distribution; give listed values (start:stop:num or "
                                          "v1,v2,...)")
    return path, spec


def renamed(exc: ScenarioError, option: str) -> ScenarioError:
    """The same error under another option name (``--axis`` of the grid engine -> ``--rows``)."""
    file = option if exc.file in ("--axis", None) else exc.file
    return ScenarioError(file, exc.field, exc.message)


def search_interval(raw: dict, path: str, within=None, option: str = "--solve") -> tuple[float, float, float]:
    """Where the solved field is searched: ``(lower, upper, reference)``.

    The field's schema bounds (an open bound moved inward by 1e-12 relative), or ``within`` (``'LO:HI'`` or a
    pair, inside the bounds); ``reference`` is the field's value in the scenario (at least 1 in magnitude),
    the scale of the scan of an unbounded side. ``-inf``/``inf`` mark unbounded sides.
    """
    try:
        field = paths.field_spec(path)
        concrete = paths.expand(raw, path)
    except ScenarioError as exc:
        raise ScenarioError(option, exc.field, exc.message) from None
    if not field.numeric:
        raise ScenarioError(option, path, "is not a numeric field, so it cannot be solved for")
    base = paths.get_value(raw, concrete[0]) if concrete else None
    reference = max(1.0, abs(float(base))) if isinstance(base, (int, float)) and not isinstance(base, bool) else 1.0
    if within is not None:
        if isinstance(within, str):
            parts = within.split(":")
        elif isinstance(within, (tuple, list)):
            parts = list(within)
        else:
            parts = []
        try:
            lo, hi = (float(p) for p in parts)
        except (TypeError, ValueError):
            raise ScenarioError("--within", str(within), "write the search range as LO:HI, e.g. 0.5:6") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ScenarioError("--within", str(within), "needs finite LO < HI")
        for value in (lo, hi):
            reason = field.check(value)
            if reason:
                raise ScenarioError("--within", path, f"value {value:g} is out of bounds: {reason}")
        return lo, hi, reference
    lo = -math.inf if field.lower is None else field.lower
    hi = math.inf if field.upper is None else field.upper
    if field.lower is not None and not field.lower_inclusive:
        lo = field.lower + 1e-12 * max(1.0, abs(field.lower))
    if field.upper is not None and not field.upper_inclusive:
        hi = field.upper - 1e-12 * max(1.0, abs(field.upper))
    return lo, hi, reference


def scan_values(lo: float, hi: float, reference: float) -> np.ndarray:
    """The :data:`SCAN_POINTS` values of the bracket scan (an unbounded side: linear to ``UNBOUNDED_SPAN x
    reference``, then geometric to ``UNBOUNDED_REACH x reference``)."""
    if math.isfinite(lo) and math.isfinite(hi):
        return np.linspace(lo, hi, SCAN_POINTS)
    n_linear, n_tail = SCAN_POINTS - 16, 16
    near, far = UNBOUNDED_SPAN * reference, UNBOUNDED_REACH * reference
    if math.isfinite(lo):  # [lo, inf)
        tail = lo + np.geomspace(near, far, n_tail + 1)[1:]
        return np.concatenate([np.linspace(lo, lo + near, n_linear), tail])
    if math.isfinite(hi):  # (-inf, hi]
        tail = hi - np.geomspace(near, far, n_tail + 1)[1:][::-1]
        return np.concatenate([tail, np.linspace(hi - near, hi, n_linear)])
    return np.concatenate([-np.geomspace(far, near, 8), np.linspace(-near, near, SCAN_POINTS - 16),
                           np.geomspace(near, far, 8)])


# --- evaluating given points on the grid engine ------------------------------------------------------------------

def point_plan(raw: dict, provenance: dict, file, intervals, metric: str) -> PointsPlan:
    """A :class:`~dcecon.grid_engine.points.PointsPlan` for ``intervals`` (``(path, lo, hi, option)``, every value a point may take lies in
    ``[lo, hi]``), computing ``metric``.

    The grid engine checks the paths, the bounds and the scenario at each interval's ends (``prepare``); its
    errors name ``option``.
    """
    axes = []
    for path, lo, hi, option in intervals:
        try:
            plan = prepare(raw, provenance, file, [f"{path}={lo!r},{hi!r}"], use_grid_table=False, metrics=[metric],
                           tables="none", quantiles=False)
        except ScenarioError as exc:
            raise renamed(exc, option) from None
        axes.append(plan.axes[0])
    try:
        plan = prepare(raw, provenance, file, [f"{a.path}={a.spec}" for a in axes], use_grid_table=False,
                       metrics=[metric], tables="none", quantiles=False)
    except ScenarioError as exc:  # two paths that set the same field
        raise renamed(exc, intervals[-1][3]) from None
    sampled = [Axis(a.path, a.concrete_paths, None, Distribution("uniform", a.extremes, *a.extremes), a.spec)
               for a in plan.axes]
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(GridPlan)}
    fields.update(axes=[], sampled=sampled, n_samples=1)
    return PointsPlan(**fields, points=np.zeros((1, len(sampled))))


class MetricEvaluator:
    """One metric of every scenario of a plan, on a backend (the grid engine's per-scenario evaluation).

    Parameters
    ----------
    plan : GridPlan
        Its extents (period ranges) serve every plan evaluated later (the same plan with other points).
    backend : Backend
    metric : str
    """

    def __init__(self, plan: GridPlan, backend: Backend, metric: str):
        self.backend, self.metric = backend, metric
        self.extents = plan.static_extents()
        self.kernel = None
        self.evaluations = 0
        if backend.kernel == "native":  # the library `auto` loads (every kernel metric): no compile for a metric
            from dcecon.backends import native

            self.kernel = native.load_library()
        elif backend.kernel == "cuda":
            from dcecon.backends import cuda

            self.kernel = cuda.grid_module(backend.dtype_name, self.extents)

    def __call__(self, plan: GridPlan) -> np.ndarray:
        """``metric`` of scenarios ``0 .. plan.n_scenarios - 1`` (host float64) [the metric's unit]."""
        from dcecon.grid_engine import kernels

        n = plan.n_scenarios
        out = np.empty(n, dtype=np.float64)
        args = None
        if self.backend.kernel == "native":
            plan = dataclasses.replace(plan, selection=Selection(KERNEL_METRICS, "none", False))
        if self.kernel is not None:
            args = kernels.pack(plan, self.extents, layout_for(plan, CHUNK), self.backend.dtype_name)
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            if self.backend.kernel == "native":
                got = kernels.native_evaluate(self.kernel, plan, args, start, stop,
                                              self.backend.threads)[:, KERNEL_METRICS.index(self.metric)]
            elif self.backend.kernel == "cuda":
                got = kernels.cuda_evaluate(self.kernel, plan, args, start, stop)[:, 0]
            else:
                values, _ = plan.dimension_values(start, stop)
                with np.errstate(all="ignore"):
                    got = to_numpy(evaluate_chunk(self.backend, plan, self.extents, values, stop - start,
                                                  (self.metric,))[self.metric])
            out[start:stop] = np.asarray(got, dtype=np.float64).reshape(-1)
        self.evaluations += n
        return out


# --- the vectorised root finder ----------------------------------------------------------------------------------

@dataclasses.dataclass
class Roots:
    """Solutions of ``metric(fixed..., x) = target`` for a list of points.

    Attributes
    ----------
    x : numpy.ndarray
        The solved value (NaN where unreachable) [unit of the solved field].
    achieved : numpy.ndarray
        The metric at ``x`` (NaN where unreachable) [unit of the metric].
    method : numpy.ndarray of str
        :data:`CLOSED_FORM`, :data:`BRACKETED` or :data:`UNREACHABLE`.
    """

    x: np.ndarray
    achieved: np.ndarray
    method: np.ndarray


def find_roots(evaluate, fixed, target: float, scan: np.ndarray, linear_probes=None) -> Roots:
    """Solve ``evaluate(fixed..., x) = target`` for ``x`` in ``[scan[0], scan[-1]]`` at every point.

    Parameters
    ----------
    evaluate : callable(list of numpy.ndarray) -> numpy.ndarray
        The metric at points given as columns (the fixed columns, then ``x``).
    fixed : list of numpy.ndarray
        Values of the other dimensions, one array of ``n`` points each (may be empty: then ``n = 1``).
    target : float
        Value of the metric to reach.
    scan : numpy.ndarray
        Increasing values of ``x`` where the bracket scan evaluates the metric (:func:`scan_values`); its ends
        bound the search.
    linear_probes : (float, float), optional
        Two values of ``x`` through which to draw the closed-form line (where the metric is linear in ``x``).
    """
    n = len(fixed[0]) if fixed else 1
    x, achieved = np.full(n, np.nan), np.full(n, np.nan)
    method = np.full(n, UNREACHABLE, dtype=object)
    for start in range(0, n, BLOCK_POINTS):
        stop = min(n, start + BLOCK_POINTS)
        block = [np.asarray(c[start:stop], dtype=np.float64) for c in fixed]
        bx, ba, bm = _solve_block(evaluate, block, stop - start, target, scan, linear_probes)
        x[start:stop], achieved[start:stop], method[start:stop] = bx, ba, bm
    return Roots(x, achieved, method)


def _solve_block(evaluate, fixed, n, target, scan, linear_probes):
    x, achieved = np.full(n, np.nan), np.full(n, np.nan)
    method = np.full(n, UNREACHABLE, dtype=object)
    todo = np.arange(n)

    def at(index, values):
        return evaluate([c[index] for c in fixed] + [np.asarray(values, dtype=np.float64)])

    with np.errstate(all="ignore"):
        if linear_probes is not None and linear_probes[0] != linear_probes[1]:
            x0, x1 = (float(v) for v in linear_probes)
            both = at(np.concatenate([todo, todo]), np.repeat([x0, x1], n))
            m0, m1 = both[:n], both[n:]
            root = x0 - (m0 - target) * (x1 - x0) / (m1 - m0)
            inside = np.isfinite(root) & (root >= scan[0]) & (root <= scan[-1])
            if inside.any():
                idx = todo[inside]
                got = at(idx, root[inside])
                scale = np.maximum.reduce([np.full(len(idx), abs(target)), np.abs(m0[inside]), np.abs(m1[inside])])
                ok = np.abs(got - target) <= RELATIVE_TOLERANCE * scale
                x[idx[ok]], achieved[idx[ok]], method[idx[ok]] = root[inside][ok], got[ok], CLOSED_FORM
                todo = np.setdiff1d(todo, idx[ok])
        if len(todo):
            _bracketed(at, todo, target, scan, x, achieved, method)
    return x, achieved, method


def _bracketed(at, todo, target, scan, x, achieved, method) -> None:
    k = len(scan)
    values = at(np.repeat(todo, k), np.tile(scan, len(todo))).reshape(len(todo), k)
    f = values - target
    exact = f == 0
    change = (f[:, :-1] * f[:, 1:] < 0) | exact[:, :-1]
    change |= np.concatenate([np.zeros((len(todo), k - 2), dtype=bool), exact[:, -1:]], axis=1)
    has = change.any(axis=1)
    first = np.argmax(change, axis=1)
    rows = np.arange(len(todo))
    a, b = scan[first], scan[np.minimum(first + 1, k - 1)]
    fa, fb = f[rows, first], f[rows, np.minimum(first + 1, k - 1)]
    scale = np.maximum.reduce([np.full(len(todo), abs(target)), np.abs(values[rows, first]),
                               np.abs(values[rows, np.minimum(first + 1, k - 1)])])
    at_a = has & (fa == 0)
    at_b = has & ~at_a & (fb == 0)
    best = np.where(at_b, b, a)
    f_best = np.where(at_b, fb, fa)
    active = has & ~at_a & ~at_b
    fa_weighted = fa.copy()
    for step in range(MAX_ITERATIONS):
        live = np.flatnonzero(active)
        if not len(live):
            break
        la, lb, lfa, lfb = a[live], b[live], fa_weighted[live], fb[live]
        c = lb - lfb * (lb - la) / (lfb - lfa)
        bisect = ~((c > np.minimum(la, lb)) & (c < np.maximum(la, lb))) | (step % 3 == 2)
        c = np.where(bisect, 0.5 * (la + lb), c)
        fc = at(todo[live], c) - target
        crossed = fc * lfb < 0  # the root is between c and b: b becomes the other end
        a[live] = np.where(crossed, lb, la)
        fa_weighted[live] = np.where(crossed, lfb, np.where(bisect, lfa, 0.5 * lfa))
        b[live], fb[live] = c, fc
        closer = (np.abs(fc) <= np.abs(f_best[live])) | ~np.isfinite(f_best[live])
        best[live] = np.where(closer, c, best[live])
        f_best[live] = np.where(closer, fc, f_best[live])
        width = np.abs(b[live] - a[live])
        done = (fc == 0) | (np.abs(fc) <= 1e-15 * scale[live]) | (
            width <= 4 * np.finfo(np.float64).eps * np.maximum(np.abs(b[live]), np.finfo(np.float64).tiny)) | (
            ~np.isfinite(fc))
        active[live[done]] = False
    solved = has & (np.abs(f_best) <= RELATIVE_TOLERANCE * scale)
    idx = todo[solved]
    x[idx], achieved[idx], method[idx] = best[solved], f_best[solved] + target, BRACKETED


def probe_pair(lo: float, hi: float, reference: float) -> tuple[float, float] | None:
    """Two distinct values of ``[lo, hi]`` near the field's scale (``reference/2``, ``reference``, ``2 x
    reference``, then the ends) for the closed-form line, or None."""
    found = []
    for value in (0.5 * reference, reference, 2.0 * reference, lo, hi):
        value = float(min(max(value, lo), hi))
        if math.isfinite(value) and value not in found:
            found.append(value)
    return (found[0], found[1]) if len(found) >= 2 else None


def is_linear(metric: str, path: str) -> bool:
    """Whether the closed form is tried for ``metric`` in the field at ``path`` (:data:`LINEAR_METRICS` x
    :data:`LINEAR_FIELDS`)."""
    return metric in LINEAR_METRICS and path.rsplit(".", 1)[-1] in LINEAR_FIELDS


# --- dcecon.goal_seek --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class GoalSeekResult:
    """For every grid point, the value of ``solve`` that gives ``metric = target``.

    Attributes
    ----------
    scenario : str
        Name of the scenario.
    metric : str
        The target metric.
    target : float
        Its target value [unit of the metric].
    solve : str
        The solved path.
    search : (float, float)
        Where the solved field was searched [unit of the field].
    axes : dict of str to numpy.ndarray
        Each axis's value at every grid point (last axis fastest).
    x : numpy.ndarray
        Solved value per point (NaN where unreachable) [unit of the solved field].
    achieved : numpy.ndarray
        The metric there [unit of the metric].
    method : numpy.ndarray of str
        :data:`CLOSED_FORM`, :data:`BRACKETED` or :data:`UNREACHABLE`.
    backend : str
    evaluations : int
        Scenarios evaluated [scenarios].
    """

    scenario: str
    metric: str
    target: float
    solve: str
    search: tuple
    axes: dict
    x: np.ndarray
    achieved: np.ndarray
    method: np.ndarray
    backend: str
    evaluations: int

    def to_frame(self) -> pd.DataFrame:
        """One row per grid point: the axes, the solved value (column named by its path), the achieved metric
        (named by the metric) and ``method``."""
        data = {path: values for path, values in self.axes.items()}
        data[self.solve] = self.x
        data[self.metric] = self.achieved
        data["method"] = self.method.astype(str)
        return pd.DataFrame(data)

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict:
        """JSON form (:func:`dcecon.io.dumps_json`)."""
        return {"scenario": self.scenario, "metric": self.metric, "target": self.target, "solve": self.solve,
                "search": list(self.search), "backend": self.backend, "evaluations": self.evaluations,
                "points": self.to_frame().to_dict(orient="records")}


def goal_seek(scenario, target, solve: str, axes=None, within=None, overrides=(), backend="auto") -> pd.DataFrame:
    """For every point of a grid, the value of one input that gives a target metric.

    Parameters
    ----------
    scenario : Scenario, str or path
        A loaded scenario, a scenario file or a bundled name.
    target : str or (str, float)
        ``'gross_margin=0.14'`` [the metric's unit].
    solve : str
        Dotted path of the input to solve for, e.g. ``cohorts.0.price_usd_per_gpu_hour``.
    axes : dict of str to spec, or list of 'PATH=SPEC' strings, optional
        The grid (listed values: ``start:stop:num``, ``v1,v2``); none: one point, the scenario itself.
    within : str or (float, float), optional
        ``'LO:HI'``: search there instead of across the field's bounds [unit of the field].
    overrides : list of 'PATH=VALUE'
        ``--set`` overrides applied first.
    backend : {'auto', 'numpy', 'native', 'cupy', 'cupy-array', 'array-api-strict'}

    Returns
    -------
    pandas.DataFrame
        The axes, the solved value, the achieved metric and ``method`` (:meth:`GoalSeekResult.to_frame`;
        :func:`solve_goal` returns the full result).
    """
    return solve_goal(scenario, target, solve, axes, within, overrides, backend).to_frame()


def solve_goal(scenario, target, solve: str, axes=None, within=None, overrides=(), backend="auto") -> GoalSeekResult:
    """:func:`goal_seek` with its full result (search range, backend, number of evaluations)."""
    metric, value = parse_target(target)
    raw, provenance, file = load_fleet(scenario, overrides)
    if not isinstance(solve, str):
        raise ScenarioError("--solve", str(solve), "is not a dotted path such as cohorts.0.price_usd_per_gpu_hour")
    axis_texts = [listed_axis(text, "--axis") for text in axis_strings(axes)]
    lo, hi, reference = search_interval(raw, solve, within)
    grid_values = {}
    if axis_texts:
        grid = prepare(raw, provenance, file, [f"{p}={s}" for p, s in axis_texts], use_grid_table=False,
                       metrics=[metric], tables="none", quantiles=False)
        if grid.n_cells > MAX_POINTS:
            raise ScenarioError("--axis", None, f"the grid has {grid.n_cells:,} points, more than the "
                                                f"{MAX_POINTS:,} a goal seek takes; use fewer values")
        values, _ = grid.dimension_values(0, grid.n_cells)
        grid_values = {axis.path: np.asarray(v, dtype=np.float64) for axis, v in zip(grid.axes, values)}
    intervals = [(path, float(v.min()), float(v.max()), "--axis") for path, v in grid_values.items()]
    scan = scan_values(lo, hi, reference)
    intervals.append((solve, float(scan[0]), float(scan[-1]), "--solve"))
    plan = point_plan(raw, provenance, file, intervals, metric)
    chosen = choose_backend(plan, backend)
    evaluator = MetricEvaluator(plan, chosen, metric)
    probes = probe_pair(float(scan[0]), float(scan[-1]), reference) if is_linear(metric, solve) else None
    roots = find_roots(lambda columns: evaluator(with_points(plan, columns)), list(grid_values.values()), value,
                       scan, probes)
    name = scenario.name if isinstance(scenario, Scenario) else plan.scenario.name
    return GoalSeekResult(name, metric, value, solve, (float(scan[0]), float(scan[-1])), grid_values, roots.x,
                          roots.achieved, roots.method, chosen.name, evaluator.evaluations)
