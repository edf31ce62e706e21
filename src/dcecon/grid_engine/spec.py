"""Grid axes and sampled dimensions: parsing and checking (``--axis``, ``[grid]``).

An axis is a dotted scenario path with values:

- ``start:stop:num`` - ``num`` evenly spaced values, both ends included;
- ``v1,v2,v3`` - a list (``[v1, v2]`` in a ``[grid]`` table);
- ``uniform(a,b)``, ``triangular(lo,mode,hi)``, ``normal(mu,sigma)``,
  ``lognormal(mu,sigma)``, ``pert(min,mode,max)``, ``truncnormal(mu,sigma,lo,hi)``,
  ``choice(v1:w1,v2:w2,...)``, ``empirical(FILE.csv:COLUMN)`` - a distribution,
  sampled with ``--sample N`` (or drawn by ``dcecon montecarlo``).

``cohorts.*.field`` moves that field of every cohort together (same value).
Every value (or a distribution's support) is checked against the field's
schema bounds before anything runs.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from pathlib import Path

import numpy as np

from dcecon.scenario import paths
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import validate

FORBIDDEN_AXES = {"start_year", "horizon_years", "periods_per_year"}
"""Fields that set the period grid itself and so cannot vary inside one grid run."""

MAX_AXIS_VALUES = 10**7
"""Values one axis may hold (its values are kept in memory: 80 MB of float64); a larger grid takes more axes."""

DISTRIBUTIONS = {"uniform": 2, "triangular": 3, "normal": 2, "lognormal": 2, "pert": 3, "truncnormal": 4,
                 "choice": None, "empirical": None}
"""Distribution names and their number of parameters (None: ``choice`` takes any number of ``value:weight`` pairs,
``empirical`` one ``FILE.csv:COLUMN``)."""

PERT_LAMBDA = 4.0
"""Shape weight of the beta-PERT distribution: alpha = 1 + 4 (mode - min) / (max - min)."""

_DISTRIBUTION_HELP = ("uniform(a,b), triangular(lo,mode,hi), normal(mu,sigma), lognormal(mu,sigma), "
                      "pert(min,mode,max), truncnormal(mu,sigma,lo,hi), choice(v1:w1,v2:w2,...), "
                      "empirical(FILE.csv:COLUMN)")

NORMAL_TAIL_SIGMAS = 8.0
"""Normal and lognormal draws are truncated to the field's bounds and to mu +- 8 sigma."""

_DIST_RE = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$")


@dataclasses.dataclass(frozen=True)
class Distribution:
    """A one-dimensional distribution sampled by inverse CDF.

    Attributes
    ----------
    kind : str
        ``uniform``, ``triangular``, ``normal``, ``lognormal`` (parameters of the underlying normal, as numpy's
        ``lognormal``), ``pert``, ``truncnormal``, ``choice`` or ``empirical``.
    params : tuple
        Its parameters, in the order written (``choice``: ``v1, w1, v2, w2, ...`` with the values ascending;
        ``empirical``: the file as written and the column).
    lower, upper : float
        Truncation bounds (field bounds, tails) [units of the field].
    data : numpy.ndarray or None
        ``empirical``: the column's values, ascending [units of the field].
    """

    kind: str
    params: tuple
    lower: float
    upper: float
    data: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take."""
        p = self.params
        if self.kind in ("uniform",):
            return p[0], p[1]
        if self.kind in ("triangular", "pert"):
            return p[0], p[2]
        if self.kind == "truncnormal":
            return p[2], p[3]
        if self.kind == "choice":
            return p[0], p[-2]
        if self.kind == "empirical":
            return float(self.data[0]), float(self.data[-1])
        return self.lower, self.upper

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at ``u`` in [0, 1) [units of the field] (host NumPy, :mod:`scipy.stats`).

        Normal and lognormal are truncated to the field's bounds ``[lower, upper]`` exactly
        (``scipy.stats.truncnorm``; a lognormal is ``exp`` of a normal truncated to ``[log lower, log upper]``).
        ``pert`` is ``scipy.stats.beta`` with ``alpha = 1 + 4 (mode - min) / (max - min)``, ``beta = 1 + 4 (max -
        mode) / (max - min)``; ``truncnormal`` is ``scipy.stats.truncnorm`` on ``[lo, hi]``; ``choice`` is
        ``scipy.stats.rv_discrete`` over its values (ascending) with the normalised weights; ``empirical`` is
        the inverse of the column's empirical CDF, the smallest value whose share of values at or below it
        reaches ``u`` (numpy's ``quantile(..., method="inverted_cdf")``).
        """
        from scipy import stats

        p = self.params
        u = np.asarray(u, dtype=np.float64)
        if self.kind == "uniform":
            return stats.uniform.ppf(u, loc=p[0], scale=p[1] - p[0])
        if self.kind in ("triangular", "pert"):
            lo, mode, hi = p
            if hi == lo:
                return np.full_like(u, lo)
            if self.kind == "triangular":
                return stats.triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
            a, b = pert_shapes(lo, mode, hi)
            return np.clip(stats.beta.ppf(u, a, b, loc=lo, scale=hi - lo), lo, hi)
        if self.kind == "truncnormal":
            mu, sigma, lo, hi = p
            return np.clip(stats.truncnorm.ppf(u, (lo - mu) / sigma, (hi - mu) / sigma, loc=mu, scale=sigma), lo, hi)
        if self.kind == "choice":
            values, weights = np.asarray(p[0::2]), np.asarray(p[1::2])
            if len(values) == 1:
                return np.full_like(u, values[0])
            index = stats.rv_discrete(values=(np.arange(len(values)), weights / weights.sum())).ppf(u)
            return values[np.clip(np.nan_to_num(index, nan=0.0), 0, len(values) - 1).astype(np.int64)]
        if self.kind == "empirical":
            n = len(self.data)
            index = np.clip(np.ceil(u * n).astype(np.int64) - 1, 0, n - 1)
            return self.data[index]
        mu, sigma = p
        if self.kind == "normal":
            a, b = (self.lower - mu) / sigma, (self.upper - mu) / sigma
            return np.clip(stats.truncnorm.ppf(u, a, b, loc=mu, scale=sigma), self.lower, self.upper)
        a = (math.log(self.lower) - mu) / sigma if self.lower > 0 else -np.inf
        b = (math.log(self.upper) - mu) / sigma if math.isfinite(self.upper) else np.inf
        return np.clip(np.exp(stats.truncnorm.ppf(u, a, b, loc=mu, scale=sigma)), self.lower, self.upper)

    def describe(self) -> str:
        """``uniform(0.3, 0.9)``, ``choice(3:0.2, 4:0.8)``, ``empirical(prices.csv:usd)``."""
        if self.kind == "choice":
            pairs = zip(self.params[0::2], self.params[1::2])
            return f"choice({', '.join(f'{v:g}:{w:g}' for v, w in pairs)})"
        if self.kind == "empirical":
            return f"empirical({self.params[0]}:{self.params[1]})"
        return f"{self.kind}({', '.join(f'{v:g}' for v in self.params)})"


def pert_shapes(lo: float, mode: float, hi: float) -> tuple[float, float]:
    """Beta shape parameters ``(alpha, beta)`` of ``pert(lo, mode, hi)`` with :data:`PERT_LAMBDA` (Vose, *Risk
    Analysis*, 2008, sec. 9.1.5)."""
    return 1.0 + PERT_LAMBDA * (mode - lo) / (hi - lo), 1.0 + PERT_LAMBDA * (hi - mode) / (hi - lo)


@dataclasses.dataclass(frozen=True)
class Axis:
    """One dimension of a grid run: listed values or a sampled distribution.

    Attributes
    ----------
    path : str
        As given (may hold ``*``).
    concrete_paths : tuple of str
        The scenario fields it sets.
    values : numpy.ndarray or None
        Listed values (cartesian axis), or None for a sampled dimension.
    distribution : Distribution or None
        For a sampled dimension.
    spec : str
        The text it was parsed from.
    """

    path: str
    concrete_paths: tuple
    values: np.ndarray | None
    distribution: Distribution | None
    spec: str

    @property
    def is_sampled(self) -> bool:
        """True for a distribution (``--sample``), False for listed values."""
        return self.distribution is not None

    @property
    def size(self) -> int:
        """Number of listed values (1 for a sampled dimension)."""
        return 1 if self.values is None else len(self.values)

    @property
    def extremes(self) -> tuple[float, float]:
        """Smallest and largest value the axis can take."""
        if self.values is not None:
            return float(np.min(self.values)), float(np.max(self.values))
        return self.distribution.support


def _number(text: str, option: str, path: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(option, path, f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ScenarioError(option, path, f"{text.strip()!r} is not a finite number")
    return value


def parse_values(spec, path: str, option: str = "--axis"):
    """Parse an axis spec into listed values (ndarray) or ``(kind, params)``."""
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise ScenarioError(option, path, "empty list of values")
        values = [_number(str(v), option, path) if not isinstance(v, bool) else None for v in spec]
        if any(v is None for v in values):
            raise ScenarioError(option, path, "values must be numbers")
        return np.asarray(values, dtype=np.float64)
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return np.asarray([_number(str(spec), option, path)], dtype=np.float64)
    if not isinstance(spec, str):
        raise ScenarioError(option, path, "expected start:stop:num, a list v1,v2,... or a distribution")
    text = spec.strip()
    if not text:
        raise ScenarioError(option, path, "empty list of values")
    match = _DIST_RE.match(text)
    if match:
        kind, inner = match.group(1), match.group(2)
        if kind not in DISTRIBUTIONS:
            raise ScenarioError(option, path, f"malformed distribution {text!r}: unknown {kind!r}; "
                                              f"use {_DISTRIBUTION_HELP}")
        if kind == "choice":
            return kind, _choice_params(text, inner, option, path)
        if kind == "empirical":
            file, sep, column = inner.strip().rpartition(":")
            if not sep or not file.strip() or not column.strip():
                raise ScenarioError(option, path, f"malformed distribution {text!r}: empirical takes FILE.csv:COLUMN")
            return kind, (file.strip(), column.strip())
        parts = [p for p in inner.split(",")]
        if len(parts) != DISTRIBUTIONS[kind] or any(not p.strip() for p in parts):
            raise ScenarioError(option, path, f"malformed distribution {text!r}: {kind} takes "
                                              f"{DISTRIBUTIONS[kind]} numbers")
        return kind, tuple(_number(p, option, path) for p in parts)
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ScenarioError(option, path, f"malformed range {text!r}: expected start:stop:num")
        start, stop = _number(parts[0], option, path), _number(parts[1], option, path)
        try:
            num = int(parts[2])
        except ValueError:
            raise ScenarioError(option, path, f"malformed range {text!r}: num must be a whole number") from None
        if num <= 0:
            raise ScenarioError(option, path, f"the range {text!r} has {num} points; a grid needs at least 1")
        if num > MAX_AXIS_VALUES:
            raise ScenarioError(option, path, f"the range {text!r} has {num:,} points, more than the "
                                              f"{MAX_AXIS_VALUES:,} one axis may hold; split it over several axes "
                                              "or sample it (a distribution and --sample)")
        return np.linspace(start, stop, num)
    items = [p for p in text.split(",")]
    if any(not p.strip() for p in items):
        raise ScenarioError(option, path, f"malformed list {text!r} (an empty item)")
    return np.asarray([_number(p, option, path) for p in items], dtype=np.float64)


def _choice_params(text: str, inner: str, option: str, path: str) -> tuple:
    """``v1:w1,v2:w2`` -> ``(v1, w1, v2, w2, ...)`` with the values ascending (equal values merged)."""
    pairs: dict[float, float] = {}
    for item in inner.split(","):
        value, sep, weight = item.partition(":")
        if not sep or not value.strip() or not weight.strip():
            raise ScenarioError(option, path, f"malformed distribution {text!r}: choice takes value:weight pairs, "
                                              "e.g. choice(4:0.3,5:0.5,6:0.2)")
        v, w = _number(value, option, path), _number(weight, option, path)
        if w < 0:
            raise ScenarioError(option, path, f"malformed distribution {text!r}: weight {w:g} is negative")
        pairs[v] = pairs.get(v, 0.0) + w
    total = sum(pairs.values())
    if not math.isfinite(total):
        raise ScenarioError(option, path, f"malformed distribution {text!r}: the weights add up to more than a "
                                          "float holds; scale them down (only their ratios matter)")
    if total <= 0:
        raise ScenarioError(option, path, f"malformed distribution {text!r}: the weights add up to 0")
    return tuple(x for v in sorted(pairs) if pairs[v] > 0 for x in (v, pairs[v]))


def read_empirical(file: str, column: str, base_dir, option: str, path: str) -> np.ndarray:
    """The numeric values of ``column`` in the CSV ``file``, ascending [units of the field].

    ``file`` is taken relative to ``base_dir`` (the scenario file's folder for a ``[grid]`` table, the current
    folder for a command-line option) unless it is absolute.
    """
    import pandas as pd

    where = Path(file) if base_dir is None or Path(file).is_absolute() else Path(base_dir) / file
    try:
        frame = pd.read_csv(where)
    except (OSError, ValueError) as exc:  # missing, unreadable, empty or not CSV
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise ScenarioError(option, path, f"empirical: {where}: cannot be read ({reason})") from None
    if column not in frame.columns:
        raise ScenarioError(option, path, f"empirical: {where}: no column {column!r}; it has "
                                          f"{', '.join(map(str, frame.columns))}")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ScenarioError(option, path, f"empirical: {where}: column {column!r} row {row + 2} "
                                          f"({frame[column].iloc[row]!r}) is not a finite number")
    if len(values) == 0:
        raise ScenarioError(option, path, f"empirical: {where}: column {column!r} has no values")
    return np.sort(values)


def _distribution(kind: str, params: tuple, field: paths.FieldSpec, option: str, path: str,
                  base_dir=None) -> Distribution:
    lower = field.lower if field.lower is not None else -math.inf
    upper = field.upper if field.upper is not None else math.inf
    if kind == "empirical":
        data = read_empirical(params[0], params[1], base_dir, option, path)
        return Distribution(kind, tuple(params), lower, upper, data)
    if kind == "choice":
        return Distribution(kind, tuple(params), lower, upper)
    if kind == "pert":
        lo, mode, hi = params
        if not lo <= mode <= hi:
            raise ScenarioError(option, path, f"malformed distribution pert({lo:g}, {mode:g}, {hi:g}): "
                                              "needs min <= mode <= max")
        return Distribution(kind, tuple(params), lower, upper)
    if kind == "truncnormal":
        mu, sigma, lo, hi = params
        if sigma <= 0:
            raise ScenarioError(option, path, f"malformed distribution truncnormal({mu:g}, {sigma:g}, {lo:g}, "
                                              f"{hi:g}): needs sigma > 0")
        if not lo < hi:
            raise ScenarioError(option, path, f"malformed distribution truncnormal({mu:g}, {sigma:g}, {lo:g}, "
                                              f"{hi:g}): needs lo < hi")
        # lo < hi always leaves mass: scipy's truncnorm works in log space, far in a tail too (truncnormal(0.5,
        # 0.01,0.9,0.95), 40 sigmas out, draws 0.9000-0.9006), where a difference of normal CDFs underflows to 0
        return Distribution(kind, tuple(params), lower, upper)
    if kind == "uniform":
        a, b = params
        if not a <= b:
            raise ScenarioError(option, path, f"malformed distribution uniform({a:g}, {b:g}): needs a <= b")
    elif kind == "triangular":
        lo, mode, hi = params
        if not lo <= mode <= hi:
            raise ScenarioError(option, path, f"malformed distribution triangular({lo:g}, {mode:g}, {hi:g}): "
                                              "needs lo <= mode <= hi")
    else:
        mu, sigma = params
        if sigma <= 0:
            raise ScenarioError(option, path, f"malformed distribution {kind}({mu:g}, {sigma:g}): needs sigma > 0")
        if kind == "normal":
            lower = max(lower, mu - NORMAL_TAIL_SIGMAS * sigma)
            upper = min(upper, mu + NORMAL_TAIL_SIGMAS * sigma)
        else:
            lower = max(lower, 0.0, math.exp(mu - NORMAL_TAIL_SIGMAS * sigma))
            upper = min(upper, math.exp(mu + NORMAL_TAIL_SIGMAS * sigma))
        if field.lower is not None and not field.lower_inclusive:
            lower = max(lower, field.lower + 1e-12 * max(1.0, abs(field.lower)))
        if field.upper is not None and not field.upper_inclusive:
            upper = min(upper, field.upper - 1e-12 * max(1.0, abs(field.upper)))
        if not lower < upper:
            raise ScenarioError(option, path, f"{kind}({mu:g}, {sigma:g}) has no mass inside the field's bounds")
    return Distribution(kind, tuple(params), lower, upper)


def parse_axis(raw: dict, path: str, spec, option: str = "--axis", base_dir=None) -> Axis:
    """Parse and check one axis against the scenario's schema (no values checked yet).

    ``base_dir`` is the folder an ``empirical(FILE.csv:COLUMN)`` file is relative to (None: the current folder).
    """
    try:
        field = paths.field_spec(path)
        concrete = tuple(paths.expand(raw, path))
    except ScenarioError as exc:
        raise ScenarioError(option, exc.field, exc.message) from None
    if field.name in FORBIDDEN_AXES and field.model.__name__ == "Scenario":
        raise ScenarioError(option, path, "sets the period grid itself and cannot be a grid axis")
    if not field.numeric or field.name == "periods_per_year":
        raise ScenarioError(option, path, "is not a numeric field, so it cannot be an axis")
    parsed = parse_values(spec, path, option)
    text = spec if isinstance(spec, str) else ",".join(f"{v:g}" for v in np.atleast_1d(parsed))
    if isinstance(parsed, tuple):
        distribution = _distribution(parsed[0], parsed[1], field, option, path, base_dir)
        axis = Axis(path, concrete, None, distribution, text)
        for value in distribution.support:
            reason = field.check(value) if math.isfinite(value) else None
            if reason:
                raise ScenarioError(option, path, f"{distribution.describe()} reaches outside the field's bounds: "
                                                  f"{reason}")
        return axis
    for value in parsed:
        reason = field.check(float(value))
        if reason:
            raise ScenarioError(option, path, f"value {value:g} is out of bounds: {reason}")
    return Axis(path, concrete, parsed, None, text)


def check_axis_against_scenario(raw: dict, provenance: dict, file, axis: Axis, option: str = "--axis") -> None:
    """Validate the scenario with each extreme value of the axis set (cross-field rules)."""
    if axis.is_sampled and paths.split(axis.path)[-1] in ("book_life_years", "economic_life_years"):
        for concrete in axis.concrete_paths:
            method = paths.get_value(raw, concrete.rsplit(".", 1)[0] + ".depreciation_method")
            if method not in (None, "straight_line"):
                raise ScenarioError(option, axis.path, f"{method} needs whole-year lives; give the lives as a list "
                                                       "(e.g. 3,4,5,6), not a distribution")
    lo, hi = axis.extremes
    probes = [lo, hi]
    if axis.values is not None:
        probes = sorted(set(float(v) for v in axis.values))
        if len(probes) > 64:
            probes = probes[:32] + probes[-32:]
    for value in probes:
        if not math.isfinite(value):
            continue
        trial = copy.deepcopy(raw)
        for concrete in axis.concrete_paths:
            paths.set_value(trial, concrete, value)
        try:
            validate(trial, dict(provenance), file)
        except ScenarioError as exc:
            raise ScenarioError(option, axis.path, f"value {value:g} makes the scenario invalid: "
                                                   f"{exc.field + ': ' if exc.field else ''}{exc.message}") from None


def parse_axes(raw: dict, provenance: dict, file, specs, grid_table=None) -> list[Axis]:
    """Axes from ``--axis PATH=SPEC`` strings and a scenario's ``[grid]`` table.

    Command-line axes replace a ``[grid]`` axis on the same path. Command-line axes' ``empirical`` files are
    relative to the current folder, a ``[grid]`` table's to the scenario file's folder.
    """
    from dcecon.scenario.loader import parse_assignment

    ordered: dict[str, object] = {}
    for path, spec in (grid_table or {}).items():
        ordered[path] = ("[grid]", spec)
    seen = set()
    for text in specs:
        path, spec = parse_assignment(text, "--axis")
        if path in seen:
            raise ScenarioError("--axis", path, "given twice")
        seen.add(path)
        ordered[path] = ("--axis", spec)
    axes = []
    covered: dict[str, str] = {}
    table_dir = Path(file).parent if file is not None and Path(str(file)).is_file() else None
    for path, (option, spec) in ordered.items():
        axis = parse_axis(raw, path, spec, option if option == "--axis" else f"{file} [grid]",
                          None if option == "--axis" else table_dir)
        for concrete in axis.concrete_paths:
            if concrete in covered:
                raise ScenarioError(option, path, f"sets {concrete}, which the axis {covered[concrete]} sets too")
            covered[concrete] = path
        check_axis_against_scenario(raw, provenance, file, axis, option)
        axes.append(axis)
    return axes
