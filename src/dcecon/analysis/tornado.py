"""Tornado and spider analysis: swing each input one at a time, the others at their base values.

``dcecon tornado SCENARIO --metric gross_margin --vary PATH=LOW:HIGH ...`` and
:func:`tornado` evaluate the scenario with each input at its low and at its
high value (every other input at the scenario's own value), sort the inputs
by swing ``|metric at high - metric at low|`` and report the metric of the
unchanged scenario with them. ``spider=N`` adds ``N`` evenly spaced values
from low to high per input (metric against the relative change of the
input). A bound is a value (``0.6``) or a change relative to the scenario's
value (``-20%``, ``+20%``).

Every point (the base, ``2 k`` swing ends and ``N k`` spider points) is
evaluated in one pass of the grid engine: the plan is a
:class:`~dcecon.grid_engine.plan.GridPlan` whose dimensions are the varied
scenario fields, each a "sampled" dimension whose values come from an
explicit table of points (:class:`PointsPlan`) instead of a sampler, so the
array model and the fused kernels (native, CUDA) take it as they take any
sampled run. See docs/tornado.md.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from dcecon.grid_engine.plan import GridPlan, bindings_for, make_plan
from dcecon.grid_engine.points import PointsPlan, evaluate_points
from dcecon.grid_engine.selection import Selection
from dcecon.grid_engine.spec import FORBIDDEN_AXES, Axis, Distribution, check_axis_against_scenario, parse_axis
from dcecon.model.metrics import BY_NAME, METRICS
from dcecon.scenario import paths
from dcecon.scenario.errors import ScenarioError

VARY_OPTION = "--vary"
"""The option named in errors about an input's range."""

SPIDER_MAX_POINTS = 1000
"""Most spider points per input (``--spider N``) [points]."""

FINANCE_DEFAULTS = {"interest_rate": 0.0, "debt_term_years": 1.0}
"""Values the model takes for debt fields a scenario without debt leaves out (as the grid engine's batch)."""



@dataclasses.dataclass(frozen=True)
class Bound:
    """One end of an input's range: a value, or a change relative to the scenario's value.

    Attributes
    ----------
    value : float
        The value [units of the field], or the relative change (``-0.2`` for ``-20%``) [-].
    relative : bool
        Whether ``value`` is a relative change.
    text : str
        As written (``-20%``, ``0.6``).
    """

    value: float
    relative: bool
    text: str

    def resolve(self, base: float | None, path: str) -> float:
        """The bound's value for a scenario whose value of the input is ``base`` [units of the field]."""
        if not self.relative:
            return self.value
        if base is None:
            raise ScenarioError(VARY_OPTION, path, f"{self.text} is relative to the scenario's value, but the "
                                                   "fields this path sets differ; give LOW:HIGH as values")
        if base == 0.0:
            raise ScenarioError(VARY_OPTION, path, f"{self.text} is relative to the scenario's value, which is 0; "
                                                   "give LOW:HIGH as values")
        return base * (1.0 + self.value)


@dataclasses.dataclass(frozen=True)
class InputSwing:
    """One input of a tornado.

    Attributes
    ----------
    path : str
        Dotted scenario path as given (may hold ``*``).
    base : float or None
        The scenario's value of the input [units of the field]; None when a ``*`` path's fields differ.
    low, high : float
        The input's low and high values [units of the field].
    metric_at_low, metric_at_high : float
        The metric with the input at its low and high value, every other input at base [units of the metric].
    low_text, high_text : str
        The bounds as given (``-20%``, ``0.6``).
    """

    path: str
    base: float | None
    low: float
    high: float
    metric_at_low: float
    metric_at_high: float
    low_text: str
    high_text: str

    @property
    def swing(self) -> float:
        """``|metric at high - metric at low|`` [units of the metric]."""
        return abs(self.metric_at_high - self.metric_at_low)


@dataclasses.dataclass(frozen=True)
class SpiderLine:
    """Spider points of one input: the metric at evenly spaced values from low to high.

    Attributes
    ----------
    path : str
    values : numpy.ndarray
        The input's values [units of the field].
    changes : numpy.ndarray
        ``value / base - 1`` [-] (NaN where the base is 0 or differs between the fields of a ``*`` path).
    metric : numpy.ndarray
        The metric at each value, every other input at base [units of the metric].
    """

    path: str
    values: np.ndarray
    changes: np.ndarray
    metric: np.ndarray


@dataclasses.dataclass
class TornadoResult:
    """A tornado (and spider) of one metric.

    Attributes
    ----------
    scenario : str
        Name of the scenario.
    metric : str
        The metric (``gross_margin``, ``npv_usd``, ...; :data:`dcecon.model.metrics.METRICS`).
    base_metric : float
        The metric of the unchanged scenario [units of the metric].
    inputs : list of InputSwing
        Sorted by swing, largest first (an undefined swing last).
    spider : list of SpiderLine
        In the order of ``inputs``; empty without ``spider``.
    backend, dtype : str
        What evaluated the points.
    n_points : int
        Scenarios evaluated (base, swing ends and spider points) [scenarios].
    """

    scenario: str
    metric: str
    base_metric: float
    inputs: list
    spider: list
    backend: str
    dtype: str
    n_points: int

    def to_frame(self):
        """One row per input, largest swing first: ``input``, ``low value``, ``high value``, ``metric at low``,
        ``metric at high``, ``swing``."""
        import pandas as pd

        rows = [{"input": s.path, "low value": s.low, "high value": s.high, "metric at low": s.metric_at_low,
                 "metric at high": s.metric_at_high, "swing": s.swing} for s in self.inputs]
        return pd.DataFrame(rows, columns=["input", "low value", "high value", "metric at low", "metric at high",
                                           "swing"])

    def spider_frame(self):
        """One row per spider point: ``input``, ``value``, ``change`` (``value / base - 1`` [-]), ``metric``."""
        import pandas as pd

        rows = [{"input": line.path, "value": float(v), "change": float(c), "metric": float(m)}
                for line in self.spider for v, c, m in zip(line.values, line.changes, line.metric)]
        return pd.DataFrame(rows, columns=["input", "value", "change", "metric"])

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict:
        """JSON form (``dcecon tornado --json``; :func:`dcecon.io.dumps_json` writes non-finite numbers as null)."""
        return {
            "scenario": self.scenario,
            "metric": self.metric,
            "base_metric": self.base_metric,
            "backend": self.backend,
            "dtype": self.dtype,
            "n_points": self.n_points,
            "inputs": [{"input": s.path, "base_value": s.base, "low": s.low_text, "high": s.high_text,
                        "low_value": s.low, "high_value": s.high, "metric_at_low": s.metric_at_low,
                        "metric_at_high": s.metric_at_high, "swing": s.swing} for s in self.inputs],
            "spider": [{"input": line.path, "values": line.values.tolist(), "changes": line.changes.tolist(),
                        "metric": line.metric.tolist()} for line in self.spider],
        }


# --- parsing ----------------------------------------------------------------------------------------------------

def parse_bound(text, path: str) -> Bound:
    """``'0.6'``, ``'-20%'``, ``'+20%'`` or a number -> :class:`Bound`."""
    if isinstance(text, bool):
        raise ScenarioError(VARY_OPTION, path, f"{text!r} is not a number or a percent change such as -20%")
    if isinstance(text, (int, float, np.integer, np.floating)):
        value, relative, written = float(text), False, f"{float(text):g}"
    elif isinstance(text, str):
        written = text.strip()
        relative = written.endswith("%")
        try:
            value = float(written[:-1] if relative else written)
        except ValueError:
            raise ScenarioError(VARY_OPTION, path, f"{written!r} is not a number or a percent change such as "
                                                   "-20%") from None
        value = value / 100.0 if relative else value
    else:
        raise ScenarioError(VARY_OPTION, path, f"{text!r} is not a number or a percent change such as -20%")
    if not math.isfinite(value):
        raise ScenarioError(VARY_OPTION, path, f"{written!r} is not a finite number")
    if relative and value <= -1.0:
        raise ScenarioError(VARY_OPTION, path, f"{written} would take the value to zero or below its opposite; "
                                               "a percent change must be above -100%")
    return Bound(value, relative, written)


def parse_vary(vary) -> list[tuple[str, Bound, Bound]]:
    """``--vary`` options or a dict -> ``(path, low bound, high bound)`` in the order given.

    Parameters
    ----------
    vary : list of 'PATH=LOW:HIGH' strings, or dict of path to 'LOW:HIGH' or (low, high)
        Bounds are values or percent changes (``-20%``).
    """
    if isinstance(vary, str):
        vary = [vary]
    if isinstance(vary, dict):
        items = list(vary.items())
    elif isinstance(vary, (list, tuple)) and all(isinstance(v, str) for v in vary):
        items = [paths.parse_assignment(v, VARY_OPTION) for v in vary]
    else:
        raise ScenarioError(VARY_OPTION, None, "expected 'PATH=LOW:HIGH' strings or a dict of path to (low, high)")
    if not items:
        raise ScenarioError(VARY_OPTION, None, "a tornado needs at least one input: --vary PATH=LOW:HIGH")
    out, seen = [], set()
    for path, spec in items:
        if not isinstance(path, str) or not path.strip():
            raise ScenarioError(VARY_OPTION, repr(path), "expected PATH=LOW:HIGH, e.g. cohorts.0.utilization=0.6:0.9")
        path = path.strip()
        if path in seen:
            raise ScenarioError(VARY_OPTION, path, "given twice")
        seen.add(path)
        if isinstance(spec, str):
            parts = spec.split(":")
            if len(parts) != 2 or not all(p.strip() for p in parts):
                raise ScenarioError(VARY_OPTION, path, f"expected LOW:HIGH (values or percent changes such as "
                                                       f"-20%:+20%), got {spec!r}")
        elif isinstance(spec, (list, tuple)) and len(spec) == 2:
            parts = list(spec)
        else:
            raise ScenarioError(VARY_OPTION, path, f"expected LOW:HIGH or a (low, high) pair, got {spec!r}")
        out.append((path, parse_bound(parts[0], path), parse_bound(parts[1], path)))
    return out


def check_metric(metric) -> str:
    """A metric name of :data:`dcecon.model.metrics.METRICS`, or a :class:`ScenarioError` listing them."""
    if not isinstance(metric, str) or metric.strip() not in BY_NAME:
        names = ", ".join(METRICS)
        raise ScenarioError("--metric", str(metric), f"is not a metric; choose one of {names}")
    return metric.strip()


def check_spider(spider) -> int:
    """``--spider N``: None or 0 (no spider) or a whole number from 2 to :data:`SPIDER_MAX_POINTS`."""
    if spider is None:
        return 0
    if isinstance(spider, bool) or not isinstance(spider, (int, np.integer)) or not (
            spider == 0 or 2 <= spider <= SPIDER_MAX_POINTS):
        raise ScenarioError("--spider", str(spider), f"must be a whole number of points per input from 2 to "
                                                     f"{SPIDER_MAX_POINTS}")
    return int(spider)


# --- the plan ---------------------------------------------------------------------------------------------------

def base_value(scenario, concrete: str) -> float:
    """The value the model takes for a concrete scenario field in the unchanged scenario [units of the field].

    A cohort field left out takes the site's value (``pue``, electricity), its book life
    (``economic_life_years``) or ``in_service_year + generation_interval_years`` (``next_generation_year``);
    a debt field left out takes the model's default (:data:`FINANCE_DEFAULTS`).
    """
    parts = paths.split(concrete)
    if parts[0] == "cohorts":
        cohort = scenario.cohorts[int(parts[1])]
        value = getattr(cohort, parts[2])
        if value is None:
            if parts[2] == "economic_life_years":
                value = cohort.book_life_years
            elif parts[2] == "next_generation_year":
                value = cohort.in_service_year + cohort.generation_interval_years
            elif parts[2] == "service_life_years":
                value = cohort.book_life_years
            else:
                value = getattr(scenario.site, parts[2], None)
    else:
        value = getattr(getattr(scenario, parts[0]), parts[1])
        if value is None and parts[0] == "finance":
            value = FINANCE_DEFAULTS.get(parts[1])
    if value is None:
        raise ScenarioError(VARY_OPTION, concrete, "has no value in this scenario to swing around; give it one "
                                                   "with --set first")
    return float(value)


def _common_base(bases: list[float]) -> float | None:
    return bases[0] if all(b == bases[0] for b in bases) else None


def make_points_plan(raw: dict, provenance: dict, file, scenario, vary, metric: str, spider: int = 0):
    """Check the inputs and build the plan of every point of the tornado.

    Returns
    -------
    plan : PointsPlan
        Row 0 is the unchanged scenario; input ``i``'s rows follow as low, high, then its spider values.
    inputs : list of (path, base, low, high, low bound, high bound, spider values)
        In the order given.

    Raises
    ------
    ScenarioError
        An unknown or non-numeric path, one that cannot vary in a grid, a range outside the field's bounds or
        one that makes the scenario invalid, LOW not below HIGH, two inputs that set the same field.
    """
    parsed = parse_vary(vary)
    columns: list[str] = []  # concrete scenario fields, one dimension each
    bases: dict[str, float] = {}
    covered: dict[str, str] = {}
    inputs = []
    for path, low_bound, high_bound in parsed:
        try:
            field = paths.field_spec(path)
            concrete = paths.expand(raw, path)
        except ScenarioError as exc:
            raise ScenarioError(VARY_OPTION, exc.field, exc.message) from None
        if field.name in FORBIDDEN_AXES and field.model.__name__ == "Scenario":
            raise ScenarioError(VARY_OPTION, path, "sets the period grid itself, which every point of a tornado "
                                                   "shares, so it cannot be swung")
        if not field.numeric:
            raise ScenarioError(VARY_OPTION, path, "is not a numeric field of a cohort, the site or finance, so "
                                                   "it cannot be swung")
        own = {}
        for c in concrete:
            if c in covered:
                raise ScenarioError(VARY_OPTION, path, f"sets {c}, which the input {covered[c]} sets too")
            covered[c] = path
        targets = []
        for c in concrete:
            targets += bindings_for(scenario, c, VARY_OPTION)
            own[c] = base_value(scenario, c)
        if not targets:
            raise ScenarioError(VARY_OPTION, path, "sets nothing: every cohort overrides this site value")
        base = _common_base(list(own.values()))
        low, high = low_bound.resolve(base, path), high_bound.resolve(base, path)
        if not low < high:
            raise ScenarioError(VARY_OPTION, path, f"LOW must be below HIGH (got {low:g}:{high:g})")
        spider_values = np.linspace(low, high, spider) if spider else np.zeros(0)
        values = [low, high] + [float(v) for v in spider_values]
        axis = parse_axis(raw, path, values, VARY_OPTION)  # field bounds of every value; numeric, may vary
        check_axis_against_scenario(raw, provenance, file, axis, VARY_OPTION)  # cross-field rules
        columns += concrete
        bases.update(own)
        inputs.append((path, base, low, high, low_bound, high_bound, spider_values, concrete))
    n_points = 1 + sum(2 + len(spider_values) for *_, spider_values, _ in inputs)
    points = np.tile(np.asarray([bases[c] for c in columns], dtype=np.float64), (n_points, 1))
    row = 1
    for path, base, low, high, _, _, spider_values, concrete in inputs:
        where = [columns.index(c) for c in concrete]
        for value in [low, high] + list(spider_values):
            points[row, where] = value
            row += 1
    axes = []
    for k, c in enumerate(columns):
        lo, hi = float(points[:, k].min()), float(points[:, k].max())
        axes.append(Axis(c, (c,), None, Distribution("uniform", (lo, hi), lo, hi), "tornado points"))
    base_plan = make_plan(scenario, axes, n_points, "random", 0, Selection((metric,), "none", False))
    fields = {f.name: getattr(base_plan, f.name) for f in dataclasses.fields(GridPlan)}
    return PointsPlan(**fields, points=points), [i[:7] for i in inputs]


# --- evaluation -------------------------------------------------------------------------------------------------

# --- the analysis -----------------------------------------------------------------------------------------------

def _load(scenario, overrides):
    """Raw dict, provenance, file label and validated scenario of a Scenario, file or bundled name."""
    from dcecon.scenario.bundled import resolve_scenario_path
    from dcecon.scenario.loader import apply_overrides, check_kind, load_raw, scenario_to_raw, validate
    from dcecon.scenario.schema import Scenario

    if isinstance(scenario, Scenario):
        raw, provenance, file = scenario_to_raw(scenario), dict(scenario.provenance), scenario.name
    else:
        file = str(resolve_scenario_path(scenario))
        raw, provenance = load_raw(file, "tornado")
        check_kind(raw, file, "fleet", "dcecon tornado")
    apply_overrides(raw, list(overrides), provenance, file)
    return raw, provenance, file, validate(raw, dict(provenance), file)


def tornado(scenario, vary, metric: str = "gross_margin", spider=None, overrides=(), backend: str = "auto",
            dtype: str = "float64", threads=None) -> TornadoResult:
    """Swing each input one at a time between its low and high value, the others at base, sorted by swing.

    Parameters
    ----------
    scenario : Scenario, str or path
        From :func:`dcecon.load_scenario`, or a fleet scenario file or bundled name.
    vary : list of 'PATH=LOW:HIGH' strings, or dict of path to 'LOW:HIGH' or (low, high)
        The inputs: dotted paths as in ``dcecon grid --axis`` (``cohorts.*.utilization`` moves every cohort
        together); each bound a value [units of the field] or a change relative to the scenario's value
        (``'-20%'``, ``'+20%'``).
    metric : str
        A metric of ``dcecon grid --metrics`` (``gross_margin``, ``npv_usd``, ``irr``, ...).
    spider : int, optional
        Spider points per input, evenly spaced from low to high (2 to :data:`SPIDER_MAX_POINTS`).
    overrides : list of 'PATH=VALUE'
        ``--set`` overrides applied to the scenario first (the base).
    backend : {'auto', 'numpy', 'native', 'cupy', 'cupy-array', 'array-api-strict'}
    dtype : {'float64', 'float32'}
    threads : int, optional
        Threads of the native kernel.

    Returns
    -------
    TornadoResult
        ``to_frame()``: input, low value, high value, metric at low, metric at high, swing.

    Raises
    ------
    ScenarioError
        An unknown path or metric, a range outside the field's bounds, LOW not below HIGH, a bad option.
    """
    metric = check_metric(metric)
    n_spider = check_spider(spider)
    raw, provenance, file, base = _load(scenario, overrides)
    plan, inputs = make_points_plan(raw, provenance, file, base, vary, metric, n_spider)
    evaluated = evaluate_points(plan, backend, dtype, threads)
    column = evaluated.metrics[metric]
    swings, lines, row = [], [], 1
    for path, base_value_, low, high, low_bound, high_bound, spider_values in inputs:
        swings.append(InputSwing(path, base_value_, low, high, float(column[row]), float(column[row + 1]),
                                 low_bound.text, high_bound.text))
        row += 2
        if n_spider:
            with np.errstate(all="ignore"):
                changes = (spider_values / base_value_ - 1.0 if base_value_ not in (None, 0.0)
                           else np.full(n_spider, np.nan))
            lines.append(SpiderLine(path, spider_values, changes, column[row:row + n_spider].copy()))
            row += n_spider
    order = sorted(range(len(swings)), key=lambda i: (math.isnan(swings[i].swing), -swings[i].swing
                                                      if not math.isnan(swings[i].swing) else 0.0, i))
    return TornadoResult(base.name, metric, float(column[0]), [swings[i] for i in order],
                         [lines[i] for i in order] if lines else [], evaluated.backend, evaluated.dtype,
                         plan.n_scenarios)
