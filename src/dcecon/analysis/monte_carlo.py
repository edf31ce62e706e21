"""Correlated Monte Carlo on the grid engine (``dcecon montecarlo``, :func:`monte_carlo`).

Each input is a scenario field given a distribution (``--vary PATH=DIST``,
or a distribution in the scenario's ``[grid]`` table); draws are independent
(the grid engine's counter-based ``random`` sampler: SplitMix64 of the seed,
the draw's index and the input), optionally given a rank correlation
(``--correlate A,B=0.6``, ``[grid.correlations]``) with the Iman-Conover
method in fixed blocks of 65,536 draws
(:func:`dcecon.grid_engine.sampling.correlated_uniforms`). Draw ``j`` is the
same however the run is chunked, and the draws of a run are the first draws
of any longer run with the same seed (so ``--until-se`` extends a run, it
does not redraw it).

The plan is a :class:`~dcecon.grid_engine.plan.GridPlan` with only sampled
dimensions; chunks are evaluated by the grid engine's array model
(:func:`~dcecon.grid_engine.batch.evaluate_chunk`) or fused kernels
(:func:`~dcecon.grid_engine.kernels.native_evaluate`,
:func:`~dcecon.grid_engine.kernels.cuda_evaluate`) and reduced here, chunk by
chunk in bounded memory:

- count, mean (over finite values; chunks merged with Chan et al.'s update),
  sample standard deviation and the standard error of the mean
  ``s / sqrt(n)``;
- the share of draws below 0 (``P(X < 0)``) with its binomial standard error
  ``sqrt(p (1 - p) / n)``;
- percentiles p1 .. p99 with distribution-free 95% confidence intervals from
  order statistics (the ranks of ``Binomial(n, q)``'s 2.5% and 97.5%
  quantiles), exact while every draw is kept (at most ``keep_draws``,
  10^6 by default), else read from the grid engine's quantile sketch (each
  value within 0.39% relative);
- the expected shortfall of NPV at 5%: the mean of the worst 5% of draws
  (the lowest ``ceil(0.05 n)``), exact or from the sketch;
- the regression tornado (standardized rank regression coefficients and
  contribution to variance, :mod:`dcecon.analysis.correlation`) and the
  achieved rank correlations, from the first ``keep_draws`` draws.

See docs/monte-carlo.md.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path

import numpy as np

from dcecon.analysis.correlation import parse_correlations, rank_regression, spearman_matrix
from dcecon.grid_engine import sketch
from dcecon.grid_engine.plan import make_plan
from dcecon.grid_engine.selection import GRID_TABLE_OPTIONS, Selection, parse_metrics
from dcecon.grid_engine.spec import check_axis_against_scenario, parse_axis, parse_values
from dcecon.model.metrics import BY_NAME, METRICS
from dcecon.scenario.errors import ScenarioError

VARY_OPTION = "--vary"
"""The option named in errors about an input."""

CORRELATIONS_KEY = "correlations"
"""Key of the rank-correlation table inside a scenario's ``[grid]`` table."""

DEFAULT_DRAWS = 10_000
"""Draws of a run without ``--draws`` (the first batch of ``--until-se``)."""

MAX_DRAWS = 10**12
"""Most draws a run accepts (``--draws``, ``--max-draws``)."""

DEFAULT_MAX_DRAWS = 10**9
"""Draws at which ``--until-se`` gives up without ``--max-draws`` (a warning says so)."""

KEEP_DRAWS = 10**6
"""Draws whose inputs and metrics are kept (the first ones) for the regression tornado, the achieved rank
correlations and exact percentiles [draws] (8 bytes x (inputs + metrics) each: 32 MB for 2 inputs, 2 metrics)."""

KEEP_DRAWS_MAX = 10**7
"""Largest ``keep_draws`` accepted [draws]."""

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
"""Percentiles reported [%]."""

CONFIDENCE = 0.95
"""Level of the percentiles' confidence intervals [-]."""

SHORTFALL_LEVEL = 0.05
"""Tail of the expected shortfall of NPV: the mean of the worst 5% of draws [-]."""

ALWAYS_METRICS = ("gross_margin", "npv_usd")
"""Metrics every run computes (P(gross margin < 0), P(NPV < 0), expected shortfall of NPV)."""


# --- inputs ---------------------------------------------------------------------------------------------------


def _vary_strings(vary) -> list[tuple[str, object]]:
    """``vary`` (a dict of path to spec, a list of ``PATH=DIST`` strings, or one string) -> (path, spec) pairs."""
    from dcecon.scenario.loader import parse_assignment

    if vary is None:
        return []
    if isinstance(vary, str):
        vary = [vary]
    if isinstance(vary, dict):
        return [(str(path), spec) for path, spec in vary.items()]
    if not isinstance(vary, (list, tuple)) or not all(isinstance(v, str) for v in vary):
        raise ScenarioError(VARY_OPTION, repr(vary), "inputs must be a dict of path to distribution or a list of "
                                                     "'PATH=DIST' strings")
    out = []
    for text in vary:
        path, spec = parse_assignment(text, VARY_OPTION)
        out.append((path, spec))
    return out


def parse_inputs(raw: dict, provenance: dict, file, vary, grid_table: dict) -> list:
    """The sampled inputs of a Monte Carlo run: the ``[grid]`` table's distributions, then ``--vary``.

    A ``--vary`` replaces the table's entry on the same path (in the table's position). The table's listed values
    and ranges (axes of ``dcecon grid``) are left out; a ``--vary`` that is not a distribution is refused.
    ``empirical`` files are relative to the scenario file's folder in the table, to the current folder in
    ``--vary``.
    """
    ordered: dict[str, tuple[str, object]] = {}
    table_where = f"{file} [grid]"
    for path, spec in grid_table.items():
        if isinstance(spec, str) and isinstance(parse_values(spec, path, table_where), tuple):
            ordered[path] = (table_where, spec)
    seen = set()
    for path, spec in _vary_strings(vary):
        if path in seen:
            raise ScenarioError(VARY_OPTION, path, "given twice")
        seen.add(path)
        if not isinstance(parse_values(spec, path, VARY_OPTION), tuple):
            raise ScenarioError(VARY_OPTION, path, f"{spec!r} is not a distribution; a Monte Carlo input is drawn "
                                                   "from one, e.g. uniform(0.5,0.9) or pert(1.5,2,2.5)")
        ordered[path] = (VARY_OPTION, spec)
    table_dir = Path(str(file)).parent if file is not None and Path(str(file)).is_file() else None
    axes, covered = [], {}
    for path, (option, spec) in ordered.items():
        axis = parse_axis(raw, path, spec, option, None if option == VARY_OPTION else table_dir)
        for concrete in axis.concrete_paths:
            if concrete in covered:
                raise ScenarioError(option, path, f"sets {concrete}, which the input {covered[concrete]} sets too")
            covered[concrete] = path
        check_axis_against_scenario(raw, provenance, file, axis, option)
        axes.append(axis)
    if not axes:
        raise ScenarioError(VARY_OPTION, None, "a Monte Carlo needs at least one input: --vary PATH=DIST, e.g. "
                                               "--vary 'cohorts.0.utilization=pert(0.6,0.8,0.95)' (or a "
                                               "distribution in the scenario's [grid] table)")
    return axes


def _whole(value, option: str, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= int(value) <= high:
        raise ScenarioError(option, str(value), f"must be a whole number of {what} from {low:,} to {high:,}")
    return int(value)


def choose_metrics(metrics, metric: str) -> tuple:
    """Metrics of the run in the metric table's order: ``metrics`` (default none), the ``--metric`` and
    :data:`ALWAYS_METRICS`."""
    if not isinstance(metric, str) or metric not in BY_NAME:
        raise ScenarioError("--metric", str(metric), f"unknown metric; choose from {', '.join(METRICS)}")
    chosen = set(parse_metrics(metrics)) if metrics is not None else set()
    chosen |= set(ALWAYS_METRICS) | {metric}
    return tuple(name for name in METRICS if name in chosen)


# --- reductions -----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Accumulator:
    """Mergeable reductions of every metric over the draws so far (host NumPy).

    Attributes
    ----------
    n : numpy.ndarray
        Draws [draws], per metric (all metrics see every draw).
    finite, non_nan, negative : numpy.ndarray
        Finite values, non-NaN values and values below 0, per metric [draws].
    mean, m2 : numpy.ndarray
        Mean and sum of squared deviations of the finite values, per metric.
    minimum, maximum : numpy.ndarray
        Extremes of the non-NaN values, per metric.
    sketch : numpy.ndarray
        Quantile-sketch counts, shape ``(metrics, buckets)``.
    kept_x, kept_y : list of numpy.ndarray
        Inputs and metrics of the first ``keep`` draws.
    """

    n: np.ndarray
    finite: np.ndarray
    non_nan: np.ndarray
    negative: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    sketch: np.ndarray
    kept_x: list
    kept_y: list

    @classmethod
    def empty(cls, n_metrics: int) -> "Accumulator":
        """No draws yet."""
        z = np.zeros(n_metrics)
        return cls(z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), np.full(n_metrics, math.inf),
                   np.full(n_metrics, -math.inf), np.zeros((n_metrics, sketch.N_BUCKETS), dtype=np.int64), [], [])

    @property
    def kept(self) -> int:
        """Draws kept so far."""
        return sum(len(y) for y in self.kept_y)

    def add(self, y: np.ndarray) -> None:
        """Fold a chunk's metrics ``y`` (shape ``(m, metrics)``) into the reductions."""
        finite = np.isfinite(y)
        non_nan = ~np.isnan(y)
        nb = finite.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            yf = np.where(finite, y, 0.0)
            mean_b = np.where(nb > 0, yf.sum(axis=0) / np.maximum(nb, 1), 0.0)
            m2_b = (np.where(finite, y - mean_b, 0.0) ** 2).sum(axis=0)
        na = self.finite
        total = na + nb
        delta = mean_b - self.mean
        safe = np.maximum(total, 1)
        self.mean = np.where(total > 0, self.mean + delta * nb / safe, 0.0)
        self.m2 = self.m2 + m2_b + delta**2 * na * nb / safe
        self.finite = total
        self.n = self.n + len(y)
        self.non_nan = self.non_nan + non_nan.sum(axis=0)
        self.negative = self.negative + (y < 0).sum(axis=0)
        if non_nan.any():
            self.minimum = np.fmin(self.minimum, np.nanmin(np.where(non_nan, y, np.inf), axis=0))
            self.maximum = np.fmax(self.maximum, np.nanmax(np.where(non_nan, y, -np.inf), axis=0))
        for j in range(y.shape[1]):
            ids = sketch.bucket_ids(np, y[:, j])
            self.sketch[j] += np.bincount(ids[ids >= 0], minlength=sketch.N_BUCKETS)

    def standard_error(self, j: int) -> float:
        """Standard error of metric ``j``'s mean, ``s / sqrt(n)`` with the sample standard deviation."""
        n = self.finite[j]
        if n < 2:
            return math.nan
        return math.sqrt(self.m2[j] / (n - 1)) / math.sqrt(n)


def order_statistic_ranks(n: int, q: float, confidence: float = CONFIDENCE) -> tuple[int, int, int]:
    """0-based ranks of the ``q`` quantile's estimate and of its distribution-free confidence interval.

    The estimate is rank ``floor(q (n - 1))`` (as the grid engine's quantiles). The number of draws below
    the true quantile is ``Binomial(n, q)``; the interval runs from the order statistic of rank
    ``binom.ppf(alpha/2) - 1`` to that of rank ``binom.ppf(1 - alpha/2)`` (0-based), which covers the quantile
    with probability of about ``confidence`` or more (Hahn & Meeker, *Statistical Intervals*, 1991, sec. 5.2).
    """
    from scipy import stats

    alpha = 1.0 - confidence
    point = math.floor(q * (n - 1))
    low = int(stats.binom.ppf(alpha / 2, n, q)) - 1
    high = int(stats.binom.ppf(1 - alpha / 2, n, q))
    return point, min(max(low, 0), n - 1), min(max(high, 0), n - 1)


def _sketch_rank_value(counts: np.ndarray, cumulative: np.ndarray, rank: int, low: float, high: float) -> float:
    bucket = int(np.searchsorted(cumulative, rank, side="right"))
    value = sketch.bucket_value(bucket)
    return float(np.clip(value, low, high)) if math.isfinite(value) else value


def _sketch_shortfall(counts: np.ndarray, k: int, low: float, high: float) -> float:
    """Mean of the ``k`` lowest values from the sketch (bucket midpoints, the lowest bucket's share pro rata)."""
    taken, total = 0, 0.0
    for bucket in np.flatnonzero(counts):
        take = min(int(counts[bucket]), k - taken)
        total += take * float(np.clip(sketch.bucket_value(int(bucket)), low, high))
        taken += take
        if taken >= k:
            break
    return total / k


def metric_statistics(acc: Accumulator, j: int, exact: np.ndarray | None) -> dict:
    """Mean, SE, shares and percentiles (with confidence intervals) of metric ``j``.

    ``exact`` is every non-NaN value of the metric, sorted, when every draw was kept; else the sketch is read.
    """
    n_valid = int(acc.non_nan[j])
    n_finite = int(acc.finite[j])
    std = math.sqrt(acc.m2[j] / (n_finite - 1)) if n_finite > 1 else math.nan
    share = acc.negative[j] / n_valid if n_valid else math.nan
    out = {
        "draws": int(acc.n[j]), "finite": n_finite, "nan": int(acc.n[j] - n_valid),
        "mean": float(acc.mean[j]) if n_finite else math.nan, "se": acc.standard_error(j), "std": std,
        "min": float(acc.minimum[j]) if n_valid else math.nan, "max": float(acc.maximum[j]) if n_valid else math.nan,
        "share_negative": float(share),
        "share_negative_se": math.sqrt(share * (1 - share) / n_valid) if n_valid else math.nan,
        "quantiles_exact": exact is not None,
    }
    counts = acc.sketch[j]
    cumulative = np.cumsum(counts)
    for p in PERCENTILES:
        if n_valid == 0:
            out[f"p{p}"] = out[f"p{p}_low"] = out[f"p{p}_high"] = math.nan
            continue
        ranks = order_statistic_ranks(n_valid, p / 100.0)
        if exact is not None:
            values = [float(exact[r]) for r in ranks]
        else:
            values = [_sketch_rank_value(counts, cumulative, r, out["min"], out["max"]) for r in ranks]
        out[f"p{p}"], out[f"p{p}_low"], out[f"p{p}_high"] = values
    if n_valid:
        k = max(1, math.ceil(SHORTFALL_LEVEL * n_valid))
        out["expected_shortfall_5"] = (float(exact[:k].mean()) if exact is not None
                                       else _sketch_shortfall(counts, k, out["min"], out["max"]))
    else:
        out["expected_shortfall_5"] = math.nan
    return out


# --- result ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class MonteCarloResult:
    """What a Monte Carlo run found.

    Attributes
    ----------
    scenario : str
        Scenario name.
    inputs : list of str
        Input paths, in the plan's order.
    distributions : list of str
        Each input's distribution (``pert(0.6, 0.8, 0.95)``).
    metrics : tuple of str
        Metrics computed.
    draws : int
        Draws evaluated [draws].
    seed : int
    backend, dtype : str
        What evaluated them.
    seconds : float
        Wall time [s].
    statistics : dict of str to dict
        Per metric: ``draws``, ``finite``, ``nan``, ``mean``, ``se`` (standard error of the mean), ``std``,
        ``min``, ``max``, ``share_negative`` (P(X < 0)) and ``share_negative_se``, ``p1`` .. ``p99`` with
        ``pN_low``/``pN_high`` (95% confidence interval), ``expected_shortfall_5`` (mean of the lowest 5%) and
        ``quantiles_exact``.
    requested_correlation : numpy.ndarray or None
        Target rank correlation of the inputs [-].
    achieved_correlation : numpy.ndarray
        Spearman correlation of the kept draws' inputs [-].
    regression : dict of str to RankRegression
        Regression tornado of each metric, over the kept draws.
    kept_draws : int
        Draws kept for the regression, the achieved correlations and exact percentiles [draws].
    metric : str
        The ``--metric`` (the tornado's and ``--until-se``'s).
    until_se : float or None
        Target standard error of ``metric``'s mean [units of the metric].
    converged : bool
        Whether the standard error reached ``until_se`` (True without it).
    batches : list of dict
        ``draws`` and ``se`` (of ``metric``'s mean) after each batch.
    quantile_relative_error : float
        Relative accuracy of the percentiles: 0 when exact, 2^-8 (0.39%) from the sketch [-].
    kept_inputs, kept_metrics : numpy.ndarray
        Inputs ``(kept_draws, inputs)`` and metrics ``(kept_draws, metrics)`` of the first draws
        (:meth:`draws_frame`).
    """

    scenario: str
    inputs: list
    distributions: list
    metrics: tuple
    draws: int
    seed: int
    backend: str
    dtype: str
    seconds: float
    statistics: dict
    requested_correlation: np.ndarray | None
    achieved_correlation: np.ndarray
    regression: dict
    kept_draws: int
    metric: str
    until_se: float | None
    converged: bool
    batches: list
    quantile_relative_error: float
    kept_inputs: np.ndarray = dataclasses.field(default=None, repr=False)
    kept_metrics: np.ndarray = dataclasses.field(default=None, repr=False)

    def draws_frame(self):
        """The kept draws (the first ``kept_draws``): ``draw`` (index), one column per input path, one per metric."""
        import pandas as pd

        frame = pd.DataFrame(self.kept_inputs, columns=self.inputs)
        for j, name in enumerate(self.metrics):
            frame[name] = self.kept_metrics[:, j]
        frame.insert(0, "draw", np.arange(len(frame), dtype=np.int64))
        return frame

    @property
    def p_npv_negative(self) -> float:
        """P(NPV < 0): share of draws with a negative NPV [-]."""
        return self.statistics["npv_usd"]["share_negative"]

    @property
    def p_npv_negative_se(self) -> float:
        """Standard error of :attr:`p_npv_negative` [-]."""
        return self.statistics["npv_usd"]["share_negative_se"]

    @property
    def p_gross_margin_negative(self) -> float:
        """P(gross margin < 0) [-]."""
        return self.statistics["gross_margin"]["share_negative"]

    @property
    def expected_shortfall_npv(self) -> float:
        """Expected shortfall of NPV at 5%: the mean NPV of the worst 5% of draws [USD]."""
        return self.statistics["npv_usd"]["expected_shortfall_5"]

    @property
    def summary(self) -> dict:
        """The headline figures: draws, P(NPV < 0) and P(gross margin < 0) with their SEs, ES of NPV at 5%,
        and the ``--metric``'s mean and SE."""
        s = self.statistics
        return {
            "draws": self.draws, "metric": self.metric, "mean": s[self.metric]["mean"], "se": s[self.metric]["se"],
            "p_npv_negative": self.p_npv_negative, "p_npv_negative_se": self.p_npv_negative_se,
            "p_gross_margin_negative": self.p_gross_margin_negative,
            "p_gross_margin_negative_se": s["gross_margin"]["share_negative_se"],
            "expected_shortfall_npv_usd_5": self.expected_shortfall_npv, "converged": self.converged,
        }

    def to_frame(self):
        """One row per metric: the columns of :attr:`statistics` (a pandas DataFrame indexed by metric)."""
        import pandas as pd

        return pd.DataFrame.from_dict(self.statistics, orient="index").rename_axis("metric")

    def percentiles_frame(self, metric: str | None = None):
        """Long table of percentiles: metric, percentile, value, low, high (95% confidence interval)."""
        import pandas as pd

        rows = []
        for name in [metric] if metric else self.metrics:
            st = self._stats(name)
            for p in PERCENTILES:
                rows.append({"metric": name, "percentile": p, "value": st[f"p{p}"], "low": st[f"p{p}_low"],
                             "high": st[f"p{p}_high"]})
        return pd.DataFrame(rows)

    def regression_frame(self, metric: str | None = None):
        """The regression tornado of ``metric`` (default: the run's ``--metric``): input, srrc,
        contribution_to_variance, spearman, sorted by ``|srrc|``."""
        name = metric or self.metric
        self._stats(name)
        return self.regression[name].to_frame()

    def correlation_frame(self):
        """Every pair of inputs: requested and achieved rank correlation."""
        import pandas as pd

        rows = []
        d = len(self.inputs)
        for a in range(d):
            for b in range(a + 1, d):
                requested = 0.0 if self.requested_correlation is None else float(self.requested_correlation[a, b])
                rows.append({"input_a": self.inputs[a], "input_b": self.inputs[b], "requested": requested,
                             "achieved": float(self.achieved_correlation[a, b])})
        return pd.DataFrame(rows, columns=["input_a", "input_b", "requested", "achieved"])

    def _stats(self, name: str) -> dict:
        if name not in self.statistics:
            raise ScenarioError("metric", str(name), f"this run computed {', '.join(self.metrics)}")
        return self.statistics[name]

    def to_dict(self) -> dict:
        """JSON form (``dcecon montecarlo --json``)."""
        return {
            "scenario": self.scenario, "inputs": [{"path": p, "distribution": d}
                                                  for p, d in zip(self.inputs, self.distributions)],
            "draws": self.draws, "seed": self.seed, "backend": self.backend, "dtype": self.dtype,
            "seconds": self.seconds, "metric": self.metric, "until_se": self.until_se, "converged": self.converged,
            "batches": self.batches, "kept_draws": self.kept_draws,
            "quantile_relative_error": self.quantile_relative_error, "summary": self.summary,
            "metrics": self.statistics, "correlations": self.correlation_frame().to_dict(orient="records"),
            "regression": {name: r.to_dict() for name, r in self.regression.items()},
        }


# --- running --------------------------------------------------------------------------------------------------


def _evaluator(chosen, plan, extents: dict, chunk: int):
    """``f(start, stop) -> (metrics (m, n_metrics), inputs (m, n_inputs))`` on the chosen backend (host float64).

    The inputs are drawn once per chunk and handed to the model (array model or native kernel), so the kept
    draws cost no second draw; on CUDA the kernel draws them itself and they are drawn again on the host.
    """
    metrics = plan.selection.metrics
    if chosen.kernel is None:
        from dcecon.backends import to_numpy
        from dcecon.grid_engine.batch import evaluate_chunk

        def array_path(start, stop):
            values, _ = plan.sampled_values(start, stop)
            with np.errstate(all="ignore"):
                out = evaluate_chunk(chosen, plan, extents, values, stop - start, metrics)
            y = np.stack([to_numpy(out[name]).astype(np.float64) for name in metrics], axis=1)
            return y, np.stack(values, axis=1)

        return array_path
    from dcecon.grid_engine import kernels
    from dcecon.grid_engine.engine import layout_for

    args = kernels.pack(plan, extents, layout_for(plan, chunk), chosen.dtype_name)
    if chosen.kernel == "native":
        from dcecon.backends import native
        from dcecon.model.metrics import kernel_mask

        lib = native.load_library(outputs=kernel_mask(metrics), tables=False, sketch=False)

        def native_path(start, stop):
            values, _ = plan.sampled_values(start, stop)  # drawn once: the kernel's inputs and the regression's
            x = np.stack(values, axis=1)
            out = kernels.native_evaluate_sampled(lib, args, x, start, stop - start, len(metrics), chosen.threads)
            return out.astype(np.float64), x

        return native_path
    from dcecon.backends import cuda

    module = cuda.grid_module(chosen.dtype_name, extents)

    def cuda_path(start, stop):
        y = np.asarray(kernels.cuda_evaluate(module, plan, args, start, stop), dtype=np.float64)
        return y, np.stack(plan.sampled_values(start, stop)[0], axis=1)

    return cuda_path


def _backend_for(plan, backend: str, dtype: str, threads):
    from dcecon.backends import BACKEND_CHOICES, resolve_backend, resolve_grid_backend
    from dcecon.grid_engine.api import check_threads, kernel_limit_reason

    if backend not in BACKEND_CHOICES:
        raise ScenarioError("--backend", str(backend), f"choose one of {', '.join(BACKEND_CHOICES)}")
    if dtype not in ("float64", "float32"):
        raise ScenarioError("--dtype", str(dtype), "choose one of float64, float32")
    chosen = resolve_grid_backend(backend, dtype, check_threads(threads))
    if chosen.kernel is not None:
        reason = kernel_limit_reason(plan, chosen.kernel)
        if reason:
            array_backend = "cupy-array" if chosen.kernel == "cuda" else "numpy"
            print(f"dcecon: warning: {reason}; using the array model on {array_backend}", file=sys.stderr)
            chosen = resolve_backend(array_backend, dtype)
    return chosen


def monte_carlo(scenario, vary=None, draws: int = DEFAULT_DRAWS, *, correlate=(), metrics=None,
                metric: str = "npv_usd", until_se: float | None = None, max_draws: int | None = None, seed: int = 0,
                backend: str = "auto", dtype: str = "float64", threads: int | None = None, max_memory="1GiB",
                keep_draws: int = KEEP_DRAWS, overrides=(), on_batch=None) -> MonteCarloResult:
    """Correlated Monte Carlo of a fleet scenario on the grid engine.

    Parameters
    ----------
    scenario : Scenario or str or path
        A loaded scenario, a scenario file or a bundled scenario's name.
    vary : dict or list of str
        Inputs: ``{"cohorts.0.utilization": "pert(0.6,0.8,0.95)"}`` or ``["PATH=DIST", ...]``; the scenario's
        ``[grid]`` table's distributions are inputs too.
    draws : int
        Draws [draws] (with ``until_se``: the first batch).
    correlate : list of str or dict
        Rank correlations ``["A,B=0.6"]`` or ``{"A,B": 0.6}``; they replace the ``[grid.correlations]`` table's.
    metrics : str or list of str, optional
        More metrics to report (names, ``default`` or ``all``); gross_margin, npv_usd and ``metric`` always are.
    metric : str
        The metric of ``until_se`` and of :meth:`MonteCarloResult.regression_frame` (default ``npv_usd``).
    until_se : float, optional
        Keep drawing, doubling the draws each batch, until the standard error of ``metric``'s mean is below
        this [units of the metric].
    max_draws : int, optional
        Draws at which ``until_se`` stops anyway (default 10^9; ``converged`` is then False).
    seed : int
    backend, dtype, threads, max_memory
        As in :func:`dcecon.grid`.
    keep_draws : int
        Draws kept for the regression tornado, achieved correlations and exact percentiles (default 10^6).
    overrides : list of str
        ``PATH=VALUE`` changes to the scenario first (``--set``).
    on_batch : callable(draws, se), optional
        Called after each batch.

    Raises
    ------
    ScenarioError
        Any bad argument, with the message ``dcecon montecarlo`` prints for the same mistake.
    """
    from dcecon.grid_engine.api import load_fleet_file, parse_size
    from dcecon.grid_engine.engine import chunk_size_for
    from dcecon.scenario.loader import apply_overrides, scenario_to_raw, validate
    from dcecon.scenario.schema import Scenario

    started = time.perf_counter()
    if isinstance(scenario, Scenario):
        raw, provenance, file = scenario_to_raw(scenario), dict(scenario.provenance), scenario.name
        apply_overrides(raw, list(overrides), provenance, file)
    else:
        raw, provenance, file = load_fleet_file(scenario, overrides)
    draws = _whole(draws, "--draws", 1, MAX_DRAWS, "draws")
    if until_se is not None and (isinstance(until_se, bool) or not isinstance(until_se, (int, float))
                                 or not math.isfinite(until_se) or until_se <= 0):
        raise ScenarioError("--until-se", str(until_se), "must be a positive number (in the metric's units)")
    max_draws = DEFAULT_MAX_DRAWS if max_draws is None else _whole(max_draws, "--max-draws", 1, MAX_DRAWS, "draws")
    if until_se is not None and max_draws < draws:
        raise ScenarioError("--max-draws", str(max_draws), f"is below --draws {draws:,}")
    keep_draws = _whole(keep_draws, "keep_draws", 0, KEEP_DRAWS_MAX, "draws")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise ScenarioError("--seed", str(seed), "must be a whole number from 0 to 2**63 - 1")
    chosen_metrics = choose_metrics(metrics, metric)
    max_memory = parse_size(max_memory, "--max-memory")

    scenario_obj = validate(raw, dict(provenance), file)
    grid_table = dict(scenario_obj.grid)
    table_correlations = grid_table.pop(CORRELATIONS_KEY, None)
    for key in GRID_TABLE_OPTIONS:
        grid_table.pop(key, None)
    axes = parse_inputs(raw, provenance, file, vary, grid_table)
    correlation = parse_correlations([a.path for a in axes], correlate, table_correlations,
                                     f"{file} [grid.{CORRELATIONS_KEY}]")
    total_samples = max_draws if until_se is not None else draws
    plan = make_plan(scenario_obj, axes, total_samples, "random", int(seed), Selection(chosen_metrics, "none", False))
    plan.correlation = correlation
    chosen = _backend_for(plan, backend, dtype, threads)
    extents = plan.static_extents()
    chunk = chunk_size_for(plan, extents, max_memory, chosen.dtype_name, on_host=not chosen.name.startswith("cupy"),
                           kernel=chosen.kernel)
    evaluate = _evaluator(chosen, plan, extents, chunk)

    j_metric = chosen_metrics.index(metric)
    acc = Accumulator.empty(len(chosen_metrics))
    batches, done, target = [], 0, draws
    while True:
        for start in range(done, target, chunk):
            stop = min(start + chunk, target)
            y, x = evaluate(start, stop)
            acc.add(y)
            if start < keep_draws:
                top = min(stop, keep_draws)
                acc.kept_x.append(x[:top - start].copy())
                acc.kept_y.append(y[:top - start].copy())
        done = target
        se = acc.standard_error(j_metric)
        batches.append({"draws": done, "se": se})
        if on_batch is not None:
            on_batch(done, se)
        if until_se is None or se < until_se or done >= max_draws:
            break
        target = min(2 * done, max_draws)
    converged = until_se is None or acc.standard_error(j_metric) < until_se

    kept_x = np.concatenate(acc.kept_x) if acc.kept_x else np.empty((0, len(axes)))
    kept_y = np.concatenate(acc.kept_y) if acc.kept_y else np.empty((0, len(chosen_metrics)))
    all_kept = len(kept_y) == done
    statistics, regression = {}, {}
    inputs = [a.path for a in axes]
    for j, name in enumerate(chosen_metrics):
        column = kept_y[:, j]
        exact = np.sort(column[~np.isnan(column)]) if all_kept else None
        statistics[name] = metric_statistics(acc, j, exact)
        regression[name] = rank_regression(inputs, kept_x, column, name)
    return MonteCarloResult(
        scenario=scenario_obj.name, inputs=inputs, distributions=[a.distribution.describe() for a in axes],
        metrics=chosen_metrics, draws=done, seed=int(seed), backend=chosen.name, dtype=chosen.dtype_name,
        seconds=time.perf_counter() - started, statistics=statistics, requested_correlation=correlation,
        achieved_correlation=spearman_matrix(kept_x), regression=regression, kept_draws=len(kept_y),
        metric=metric, until_se=None if until_se is None else float(until_se), converged=converged,
        batches=batches, quantile_relative_error=0.0 if all_kept else sketch.RELATIVE_ACCURACY,
        kept_inputs=kept_x, kept_metrics=kept_y,
    )
