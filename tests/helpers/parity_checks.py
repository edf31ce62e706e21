"""The NumPy reference and the scale-aware comparisons of a kernel's results against it.

The NumPy model (``src/dcecon/model``, evaluated per chunk by
``dcecon.grid_engine.batch.evaluate_chunk``) is the reference every kernel
must reproduce (``kernels/dcecon_model.cuh`` says so).

"Relative" is scale-aware: ``|a - b| <= rtol * (|b| + scale)``, where
``scale`` is the magnitude of the terms a quantity is computed from (see
:func:`metric_scales`). Sums of same-signed terms (revenue, costs, energy,
break-even price, cost per billed hour) have ``scale = 0`` (plain relative
error); a difference of large terms (gross profit, EBITDA, NPV, the slope of
the break-even utilization) carries the rounding of its terms, not of its
(possibly tiny) result, so its scale is the size of those terms; rates (IRR)
and years (payback) get an absolute floor of 1 (a rate near 0 has no
meaningful relative error). NaN and infinity positions must be identical.

Grid reductions (:func:`assert_results_close`, :func:`assert_summaries_close`):
counts, NaN/inf counts, negatives, sketches and table counts exactly equal;
argmin/argmax equal, or on a scenario whose value ties the other's to
rounding (:meth:`GridReference.tied`); moments, extremes and table sums to
``rtol`` (scale-aware).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from dcecon.backends import resolve_backend
from dcecon.grid_engine import kernels
from dcecon.grid_engine.api import prepare
from dcecon.grid_engine.batch import METRICS, chunk_parameters, evaluate_chunk
from dcecon.grid_engine.reduce import make_layout
from dcecon.model.cohort import cohort_flows
from dcecon.model.fleet import window_and_lifetime
from dcecon.scenario.loader import load_raw
from helpers.tolerances import RTOL

COL = {name: j for j, name in enumerate(METRICS)}
"""Column of each metric in a ``(m, 16)`` metrics array (``dcecon.grid_engine.batch.METRICS`` order)."""

EXACT_TABLE_STATS = ("count", "positive_margin", "positive_npv")
"""Table statistics that are counts, so equal on every backend."""

NONRESULT_SUMMARY_KEYS = {"backend", "seconds", "scenarios_per_second", "chunks", "chunk_size"}
"""summary.json fields that describe the run, not its results: the backend's name, timing, and the chunk size
that each backend derives from its own memory model (engine.chunk_size_for)."""


def reference(plan, start: int = 0, stop: int | None = None, dtype: str = "float64"):
    """Metrics of scenarios ``start .. stop - 1`` from the NumPy model (``evaluate_chunk``), shape ``(m, 16)``."""
    stop = plan.n_scenarios if stop is None else stop
    values, _ = plan.dimension_values(start, stop)
    out = evaluate_chunk(resolve_backend("numpy", dtype), plan, plan.static_extents(), values, stop - start)
    return np.stack([np.asarray(out[name], dtype=np.float64) for name in METRICS], axis=1)


def metric_scales(plan, metrics: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """The magnitude of the terms each metric of each scenario is computed from, shape ``(m, 16)``.

    - sums (or ratios of sums) of same-signed terms - revenue, costs, energy,
      break-even price, cost per billed hour: 0, the error is relative to
      the value itself;
    - gross profit and EBITDA: window revenue + COGS (EBITDA's terms are
      revenue, power, opex and lease, all inside revenue + COGS);
    - gross margin = gross profit / revenue: (revenue + COGS) / revenue;
    - NPV: capex + lifetime revenue + lifetime COGS (every cash flow - free
      cash flow, tax on at most the gross profit, terminal value <= capex,
      capex - is bounded by these), times ``(1 + r)^(years before start)``
      for cohorts bought before the valuation date, whose flows are
      compounded forward;
    - break-even utilization ``u* = F / S`` with ``S = R - P``, ``R`` the
      lifetime revenue at full utilization and ``P`` the full-load power cost
      times ``1 - idle`` (fleet.investment_view): ``S`` carries the rounding
      of ``R + P``, so ``u*`` that of ``|u*| (R + P) / |S|``;
    - IRR [-/year] and payback [years]: 1, an absolute floor.

    The terms come from the same NumPy model (``window_and_lifetime``'s
    lifetime sums and capex, ``cohort_flows`` on the lifetime grid).
    """
    stop = plan.n_scenarios if stop is None else stop
    m = stop - start
    backend = resolve_backend("numpy")
    extents = plan.static_extents()
    values, _ = plan.dimension_values(start, stop)
    fleet, finance = chunk_parameters(backend, plan, values)
    s = plan.scenario
    view = window_and_lifetime(backend.xp, fleet, finance["discount_rate"], finance["tax_rate"], s.start_year,
                               extents["window_periods"], extents["lifetime_range"], s.periods_per_year,
                               extents["n_schedule_years"]).view

    def column(a):
        return np.broadcast_to(np.asarray(a, dtype=np.float64).reshape(-1), (m,))

    revenue, cogs = metrics[:, COL["revenue_usd"]], metrics[:, COL["cogs_usd"]]
    earliest = np.min(np.stack([column(params["in_service_year"]) for params, _ in fleet]), axis=0)
    compounding = (1.0 + column(finance["discount_rate"])) ** np.maximum(0.0, s.start_year - earliest)
    scale = np.zeros_like(metrics)
    scale[:, COL["gross_profit_usd"]] = revenue + cogs
    scale[:, COL["ebitda_usd"]] = revenue + cogs
    scale[:, COL["gross_margin"]] = (revenue + cogs) / np.where(revenue > 0, revenue, 1.0)
    scale[:, COL["npv_usd"]] = compounding * (column(view["capex_usd"]) + column(view["lifetime_revenue_usd"])
                                              + column(view["lifetime_cogs_usd"]))
    scale[:, COL["irr"]] = 1.0
    scale[:, COL["payback_years"]] = 1.0
    j_lo = min(extents["lifetime_range"][0], 0)
    j_hi = max(extents["lifetime_range"][1], extents["window_periods"])
    full_revenue = full_power = 0.0
    for params, method in fleet:
        flows = cohort_flows(backend.xp, params, method, s.start_year + j_lo / s.periods_per_year, j_hi - j_lo,
                             s.periods_per_year, extents["n_schedule_years"])
        full_revenue = full_revenue + column(np.sum(flows["revenue_at_full_utilization_usd"], axis=-1))
        full_power = full_power + column(np.sum(flows["power_cost_at_full_load_usd"], axis=-1)
                                         * (1.0 - np.asarray(params["idle_power_fraction"]).reshape(-1)))
    slope = full_revenue - full_power
    breakeven = np.abs(metrics[:, COL["breakeven_utilization"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        scale[:, COL["breakeven_utilization"]] = np.where(slope > 0, breakeven * (full_revenue + full_power)
                                                          / np.where(slope > 0, slope, 1.0), 0.0)
    return scale


def scaled_errors(actual: np.ndarray, expected: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``|a - b| / (|b| + scale)`` where both are finite, 0 elsewhere (same shape)."""
    a, b = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(a - b) / (np.abs(b) + scale)
    return np.where(both & (np.abs(b) + scale > 0), err, np.where(both & (a != b), np.inf, 0.0))


def special_mismatch(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Where NaN positions or infinities (with their sign) differ."""
    a, b = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    nan_differs = np.isnan(a) != np.isnan(b)
    inf_differs = (np.isinf(a) | np.isinf(b)) & ~(np.isnan(a) | np.isnan(b)) & (a != b)
    return nan_differs | inf_differs


def assert_metrics_close(actual, expected, scale, rtol=RTOL, plan=None, start=0, what="native"):
    """Every metric of every scenario: ``|a - b| <= rtol * (|b| + scale)``; NaN and inf positions identical."""
    problems = []
    err = scaled_errors(actual, expected, scale)
    special = special_mismatch(actual, expected)
    for name, j in COL.items():
        bad = np.flatnonzero(special[:, j] | (err[:, j] > rtol))
        if bad.size:
            i = bad[np.argmax(np.where(special[bad, j], np.inf, err[bad, j]))]
            where = plan.parameters_at(start + int(i)) if plan is not None else {}
            problems.append(f"{name}: {bad.size} scenario(s), e.g. #{start + i} {what}={actual[i, j]!r} "
                            f"numpy={expected[i, j]!r} scaled error {err[i, j]:.3g} (scale {scale[i, j]:.4g}) "
                            f"at {where}")
    assert not problems, "\n".join(problems)


def file_plan(path, axes, samples=None, sampler="sobol"):
    """The plan of ``dcecon grid PATH --axis ...`` (``load_raw`` + ``prepare``, as the CLI builds it)."""
    raw, provenance = load_raw(path)
    return prepare(raw, provenance, path, axes=list(axes), samples=samples, sampler=sampler)


def kernel_inputs(plan, dtype="float64", chunk=None):
    """``(layout, args)`` of a plan as the engine packs them (``kernels.pack``)."""
    chunk = chunk or plan.n_scenarios
    layout = make_layout(plan.shape, plan.n_samples, len(plan.sampled), METRICS, chunk)
    return layout, kernels.pack(plan, plan.static_extents(), layout, dtype)


def check_pointwise(plan, evaluate, dtype="float64", rtol=RTOL, what="native"):
    """Compare ``evaluate(plan, args, start, stop) -> (m, 16)`` with the NumPy reference.

    Runs the whole grid, and a range starting inside it (the kernels take the
    sampled values chunk-relative and decode coordinates from the global index).
    """
    n = plan.n_scenarios
    expected = reference(plan)
    scale = metric_scales(plan, expected)
    _, args = kernel_inputs(plan, dtype)
    for start, stop in ((0, n), (n // 3, n)):
        actual = np.asarray(evaluate(plan, args, start, stop), dtype=np.float64)
        assert actual.shape == (stop - start, len(METRICS))
        assert_metrics_close(actual, expected[start:stop], scale[start:stop], rtol, plan, start, what)
    return expected


@dataclasses.dataclass
class GridReference:
    """Every scenario of a plan from the NumPy model, with the scales of :func:`metric_scales`.

    ``size[j]`` is the largest ``|value| + scale`` of metric ``j`` over the
    grid (the size of what a reduction adds up). :meth:`tied` says whether
    two scenarios' values of a metric are equal to rounding: the extreme of
    mathematically tied values (e.g. opex over an axis it does not depend
    on) may fall on either scenario, since the backends add cohorts and
    periods in different orders (NumPy sums each cohort over periods, the
    kernel each period over cohorts).
    """

    values: np.ndarray
    scale: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, plan) -> "GridReference":
        values = reference(plan)
        scale = metric_scales(plan, values)
        size = np.where(np.isfinite(values), np.abs(values) + scale, 0.0).max(axis=0)
        return cls(values, scale, size)

    def tied(self, metric: str, i: int, k: int, rtol: float = RTOL) -> bool:
        j = COL[metric]
        if i < 0 or k < 0:
            return i == k
        a, b = self.values[i, j], self.values[k, j]
        return bool(a == b or abs(a - b) <= rtol * (abs(b) + self.scale[k, j]))


def _close(a, b, scale, rtol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if np.any(special_mismatch(a, b)):
        return False
    both = np.isfinite(a) & np.isfinite(b)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), a.shape)
    return bool(np.all(np.abs(a[both] - b[both]) <= rtol * (np.abs(b[both]) + scale[both])))


def assert_results_close(actual, expected, plan, rtol=RTOL, what="native"):
    """Two :class:`GridResult` of the same plan and metric selection: counts and indices equal, sums and
    moments to ``rtol``.

    Counts (finite, NaN, +-inf, negative), sketch buckets and table counts
    must be equal; argmin/argmax equal unless the two scenarios' values tie to
    rounding (:meth:`GridReference.tied`); means, std, min/max and table sums
    agree to ``rtol`` on the scale of the metric's values (a table sum adds
    ``count`` of them).
    """
    metrics = list(expected.metrics)
    assert list(actual.metrics) == metrics, f"{what} computed {actual.metrics}, numpy {expected.metrics}"
    ref = GridReference.of(plan)
    size = ref.size[[COL[m] for m in metrics]]
    a, b = actual.merged, expected.merged
    problems = []
    for field in ("count", "nan", "posinf", "neginf", "negative", "sketch"):
        if not np.array_equal(getattr(a, field), getattr(b, field)):
            diff = np.flatnonzero(np.any(np.reshape(getattr(a, field) != getattr(b, field), (len(metrics), -1)),
                                         axis=1))
            problems.append(f"{field} differs for {[metrics[i] for i in diff]}")
    for field in ("argmin", "argmax"):
        for j, metric in enumerate(metrics):
            i, k = int(getattr(a, field)[j]), int(getattr(b, field)[j])
            if i != k and not ref.tied(metric, i, k, rtol):
                problems.append(f"{field} of {metric}: {what} #{i} ({ref.values[i, COL[metric]]!r}) vs numpy #{k} "
                                f"({ref.values[k, COL[metric]]!r}), not a tie")
    for field in ("minimum", "maximum", "mean"):
        if not _close(getattr(a, field), getattr(b, field), size, rtol):
            problems.append(f"{field}: {what} {getattr(a, field)} vs numpy {getattr(b, field)}")
    count = np.maximum(b.count, 1)
    std_a, std_b = np.sqrt(np.maximum(a.m2, 0) / count), np.sqrt(np.maximum(b.m2, 0) / count)
    if not _close(std_a, std_b, size, rtol):
        problems.append(f"std: {what} {std_a} vs numpy {std_b}")
    for kind, ours, theirs in (("marginal", a.marginals, b.marginals), ("table", a.tables, b.tables)):
        assert ours.keys() == theirs.keys(), f"{kind} keys differ: {ours.keys()} vs {theirs.keys()}"
        for key in theirs:
            for stat in EXACT_TABLE_STATS:
                if not np.array_equal(ours[key][stat], theirs[key][stat]):
                    problems.append(f"{kind} {key} {stat} differs")
            if not _close(ours[key]["sum"], theirs[key]["sum"], theirs[key]["count"] * size, rtol):
                problems.append(f"{kind} {key} sum differs beyond {rtol}")
            for stat in ("min", "max"):
                if not _close(ours[key][stat], theirs[key][stat], size, rtol):
                    problems.append(f"{kind} {key} {stat} differs beyond {rtol}")
    assert not problems, "\n".join(problems)
    assert_summaries_close(actual.to_dict(), expected.to_dict(), ref, rtol)


def assert_summaries_close(actual: dict, expected: dict, ref: GridReference, rtol=RTOL,
                           ignore=NONRESULT_SUMMARY_KEYS):
    """Two summary.json objects (``GridResult.to_dict`` or ``dcecon grid --json``): equal but for rounding.

    Integers and strings (counts, ``"nan"``/``"inf"``) must be equal; a
    metric's floats agree to ``rtol * (|b| + ref.size[metric])``; other floats
    (shares, accuracy) to ``rtol``; argmin/argmax and the best/worst
    scenario's index (and so its parameters) are equal or tie to rounding.
    """
    size_of = dict(zip(METRICS, np.asarray(ref.size, dtype=np.float64)))
    problems = []

    def walk(a, b, path, scale):
        if isinstance(b, dict):
            if set(a) - ignore != set(b) - ignore:
                problems.append(f"{path}: keys {sorted(set(a) ^ set(b))}")
                return
            for key in b:
                if key in ignore and path == "":
                    continue
                walk(a[key], b[key], f"{path}.{key}", size_of.get(key, scale))
        elif isinstance(b, list):
            if len(a) != len(b):
                problems.append(f"{path}: lengths {len(a)} vs {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]", scale)
        elif isinstance(b, float) and isinstance(a, (int, float)):
            same = a == b or (math.isnan(a) and math.isnan(b))
            if not same and not abs(a - b) <= rtol * (abs(b) + scale):
                problems.append(f"{path}: {a!r} vs {b!r}")
        elif a != b:
            problems.append(f"{path}: {a!r} vs {b!r}")

    def without(d, keys):
        return {k: v for k, v in d.items() if k not in keys}

    for metric, b in expected["metrics"].items():
        a = actual["metrics"][metric]
        for key in ("argmin", "argmax"):
            if a[key] != b[key] and not ref.tied(metric, a[key], b[key], rtol):
                problems.append(f".metrics.{metric}.{key}: #{a[key]} vs #{b[key]}, not a tie")
        walk(without(a, ("argmin", "argmax")), without(b, ("argmin", "argmax")), f".metrics.{metric}",
             size_of[metric])
    for key in ("best", "worst"):
        for metric, b in expected[key].items():
            a = actual[key][metric]
            if a["index"] != b["index"] and ref.tied(metric, a["index"], b["index"], rtol):
                a, b = without(a, ("index", "parameters")), without(b, ("index", "parameters"))
            walk(a, b, f".{key}.{metric}", size_of[metric])
    walk(without(actual, ("metrics", "best", "worst")), without(expected, ("metrics", "best", "worst")), "", 0.0)
    assert not problems, "\n".join(problems[:30])



def npv_residual(flows, times, rate):
    """``|sum cf (1 + r)^-t| / sum |cf (1 + r)^-t|`` per row (0 at a root, 1 with no cancellation)."""
    with np.errstate(over="ignore", invalid="ignore"):
        terms = flows * np.exp(-times * np.log1p(rate)[:, None])
        return np.abs(terms.sum(axis=1)) / np.abs(terms).sum(axis=1)

