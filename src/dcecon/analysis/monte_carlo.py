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

With ``out`` (``--out DIR``) the run's state is written after each chunk (reductions in ``state-<draws>.npz``,
kept draws in ``kept-<start>-<stop>.npz``, then ``manifest.json``, a :class:`MonteCarloManifest`, each written
atomically) under the grid's folder lock, and ``resume`` continues it from its last chunk with figures identical
to an uninterrupted run's (same draws, same chunks, same merge order).

See docs/monte-carlo.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dcecon import __version__
from dcecon.analysis.correlation import parse_correlations, rank_regression, spearman_matrix
from dcecon.grid_engine import output, sketch
from dcecon.grid_engine.plan import make_plan
from dcecon.grid_engine.points import choose_backend
from dcecon.grid_engine.selection import GRID_TABLE_OPTIONS, Selection, parse_metrics
from dcecon.grid_engine.spec import check_axis_against_scenario, parse_axis, parse_values
from dcecon.io import atomic_write
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

    def reductions(self) -> dict:
        """The reductions as named arrays (what ``--out`` saves after each chunk; the kept draws are saved apart)."""
        return {name: getattr(self, name) for name in REDUCTION_ARRAYS}

    @classmethod
    def from_reductions(cls, arrays: dict, kept_x: list, kept_y: list) -> "Accumulator":
        """The accumulator :meth:`reductions` saved, with its kept draws."""
        return cls(*(np.array(arrays[name]) for name in REDUCTION_ARRAYS), list(kept_x), list(kept_y))

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


REDUCTION_ARRAYS = ("n", "finite", "non_nan", "negative", "mean", "m2", "minimum", "maximum", "sketch")
"""The :class:`Accumulator`'s arrays, in its field order (the state ``--out`` saves)."""


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
    resumed_draws : int
        Draws reloaded from the ``--out`` folder of an interrupted run (``--resume``), 0 for a fresh run [draws].
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
    resumed_draws: int = 0

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

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict:
        """JSON form (``dcecon montecarlo --json``)."""
        return {
            "scenario": self.scenario, "inputs": [{"path": p, "distribution": d}
                                                  for p, d in zip(self.inputs, self.distributions)],
            "draws": self.draws, "seed": self.seed, "backend": self.backend, "dtype": self.dtype,
            "seconds": self.seconds, "metric": self.metric, "until_se": self.until_se, "converged": self.converged,
            "batches": self.batches, "kept_draws": self.kept_draws, "resumed_draws": self.resumed_draws,
            "quantile_relative_error": self.quantile_relative_error, "summary": self.summary,
            "metrics": self.statistics, "correlations": self.correlation_frame().to_dict(orient="records"),
            "regression": {name: r.to_dict() for name, r in self.regression.items()},
        }


# --- the --out folder: resumable state ------------------------------------------------------------------------

MANIFEST = "manifest.json"
"""``DIR/manifest.json``: what the run is and how far it got (:class:`MonteCarloManifest`)."""

SUMMARY = "summary.json"
"""``DIR/summary.json``: the result (as ``--json``), once the run is complete."""

ANALYSIS = "montecarlo"
"""The ``analysis`` field of a Monte Carlo manifest (a grid run's folder has none)."""


class RunInput(BaseModel):
    """One sampled input as the manifest records it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    path: str = Field(description="Dotted scenario path of the input, as given.")
    distribution: str = Field(description="Its distribution with every parameter exact (repr), its truncation "
                                          "bounds and, for empirical, a hash of the column's values.")


class RunFingerprint(BaseModel):
    """Everything that sets a Monte Carlo run's figures: two runs agreeing on all of it give identical results."""

    model_config = ConfigDict(extra="forbid", strict=True)

    scenario: str = Field(description="Name of the scenario.")
    scenario_sha256: str = Field(pattern=r"^[0-9a-f]{16}$",
                                 description="Hash of the scenario's content after --set (provenance left out).")
    inputs: list[RunInput] = Field(description="The sampled inputs, in the plan's order.")
    correlation: list[list[float]] | None = Field(description="Requested rank-correlation matrix [-], or None.")
    seed: int = Field(ge=0, description="Seed of the draws.")
    draws: int = Field(gt=0, description="--draws (with --until-se, the first batch) [draws].")
    until_se: float | None = Field(gt=0, description="--until-se [units of the metric], or None.")
    max_draws: int | None = Field(gt=0, description="--max-draws with --until-se (None without) [draws].")
    metrics: list[str] = Field(description="Metrics computed, in the metric table's order.")
    metric: str = Field(description="--metric (of --until-se and the summary).")
    keep_draws: int = Field(ge=0, description="Draws kept for exact percentiles and the regression [draws].")
    backend: str = Field(description="Backend that evaluates the draws (backends agree to rounding, not "
                                     "bitwise, so a run resumes only on its own).")
    dtype: Literal["float64", "float32"] = Field(description="Floating dtype of the evaluation.")

    def digest(self) -> str:
        """Hash of every field (the manifest's ``fingerprint``) [16 hex digits]."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class MonteCarloManifest(BaseModel):
    """``DIR/manifest.json`` of ``dcecon montecarlo --out DIR``: the run and how far it got.

    Rewritten atomically after each chunk, after that chunk's state file: the state it names is always whole.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    analysis: Literal["montecarlo"] = Field(description="Kind of run ('montecarlo').")
    dcecon_version: str = Field(description="Version of dcecon that wrote the folder.")
    status: Literal["running", "complete"] = Field(description="'running' until summary.json is written.")
    fingerprint: str = Field(pattern=r"^[0-9a-f]{16}$", description="RunFingerprint.digest() of ``run``.")
    run: RunFingerprint = Field(description="What the run computes.")
    command: str | None = Field(description="The command line that started the run, if any.")
    chunk_size: int = Field(gt=0, description="Draws per chunk (a resumed run keeps it: the reductions merge "
                                              "chunk by chunk, so the chunking is part of the last bit) [draws].")
    chunks_done: int = Field(ge=0, description="Chunks evaluated and saved [chunks].")
    draws_done: int = Field(ge=0, description="Draws evaluated and saved (state-<draws_done>.npz) [draws].")
    target_draws: int = Field(gt=0, description="Draws of the batch in progress (the last batch's, once "
                                                "complete) [draws].")


def _float_repr(value) -> str:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else repr(value)


def input_fingerprint(axis) -> RunInput:
    """An input's exact description: kind, every parameter, bounds and (empirical) a hash of its column."""
    d = axis.distribution
    text = f"{d.kind}({', '.join(_float_repr(p) for p in d.params)}) in [{d.lower!r}, {d.upper!r}]"
    if d.data is not None:
        text += f" data sha256 {hashlib.sha256(np.ascontiguousarray(d.data, np.float64).tobytes()).hexdigest()[:16]}"
    return RunInput(path=axis.path, distribution=text)


def _state_name(draws_done: int) -> str:
    return f"state-{draws_done:016d}.npz"


def _kept_name(start: int, stop: int) -> str:
    return f"kept-{start:016d}-{stop:016d}.npz"


def chunk_bounds(batch_ends, target: int, done: int, chunk: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of every chunk of the first ``done`` draws [draws].

    Each batch (draws ``0 .. batch_ends[0] - 1``, then up to ``batch_ends[1]`` ...; the batch in progress ends at
    ``target``) is cut into chunks of ``chunk`` draws from its own start, as :func:`monte_carlo` evaluates them.
    """
    bounds, begin = [], 0
    for end in [*batch_ends, target]:
        for start in range(begin, min(end, done), chunk):
            bounds.append((start, min(start + chunk, end)))
        begin = end
        if begin >= done:
            break
    return bounds


def _damaged(out: Path, what: str) -> ScenarioError:
    return ScenarioError("--out", str(out), f"{what}; the folder is damaged: choose another folder (or delete it "
                                            "and start again)")


def read_mc_manifest(path: Path) -> MonteCarloManifest:
    """Read and validate a Monte Carlo manifest; any problem is one line naming the file and the field.

    Raises
    ------
    ScenarioError
        Unreadable, not JSON, another kind of run's manifest, a field missing, unknown, of the wrong type or out
        of range, or a ``fingerprint`` that is not its ``run``'s (the file was edited).
    """
    from dcecon.grid_engine.output import read_json_model

    def not_a_grid_run(raw):
        if "analysis" not in raw and "fingerprint" in raw:
            raise ScenarioError("--out", str(Path(path).parent), "holds a dcecon grid run, not a Monte Carlo; "
                                                                 "choose another folder")

    manifest = read_json_model(path, MonteCarloManifest, "dcecon montecarlo", not_a_grid_run)
    if manifest.run.digest() != manifest.fingerprint:
        raise ScenarioError(str(path), "fingerprint", f"{manifest.fingerprint} is not the hash of its 'run' "
                                                      f"({manifest.run.digest()}): the file was edited; restore "
                                                      "it or choose another --out folder")
    if manifest.draws_done > manifest.target_draws:
        raise ScenarioError(str(path), "draws_done", f"{manifest.draws_done:,} is above target_draws "
                                                     f"{manifest.target_draws:,}: the file was edited; restore it "
                                                     "or choose another --out folder")
    return manifest


RUN_OPTIONS = {"scenario": "the scenario", "scenario_sha256": "the scenario's content (another file, or --set)",
               "inputs": "--vary", "correlation": "--correlate", "seed": "--seed", "draws": "--draws",
               "until_se": "--until-se", "max_draws": "--max-draws", "metrics": "--metrics", "metric": "--metric",
               "keep_draws": "keep_draws"}
"""How a differing fingerprint field is named to the user."""


def _shown(name: str, value) -> str:
    if name == "inputs":
        return " ".join(f"{i['path']}={i['distribution']}" for i in value)
    return "none" if value is None else str(value)


def run_difference(there: RunFingerprint, now: RunFingerprint) -> str:
    """What differs between the folder's run and this one, in words (for the ``--out`` error)."""
    a, b = there.model_dump(mode="json"), now.model_dump(mode="json")
    if a["backend"] != b["backend"] or a["dtype"] != b["dtype"]:
        same = {k: v for k, v in a.items() if k not in ("backend", "dtype")} == \
               {k: v for k, v in b.items() if k not in ("backend", "dtype")}
        if same:
            return (f"holds this run's results from backend {there.backend} {there.dtype} (this run would use "
                    f"{now.backend} {now.dtype}; backends agree to rounding, not bitwise); add --backend "
                    f"{there.backend} --dtype {there.dtype} to continue it, or choose another folder")
    differ = [name for name in RUN_OPTIONS if a[name] != b[name]]  # not empty: backend and dtype alone are above
    name = differ[0]
    values = "" if name == "scenario_sha256" else f" ({_shown(name, a[name])} there, {_shown(name, b[name])} now)"
    more = f" (and {', '.join(RUN_OPTIONS[n] for n in differ[1:])})" if len(differ) > 1 else ""
    return (f"holds another Monte Carlo run: {RUN_OPTIONS[name]} differs{values}{more}; choose another folder, or "
            "give the same options to continue it")


def check_mc_folder(out: Path, run: RunFingerprint, resume: bool, holding_lock: bool = False):
    """Refuse a folder that holds anything but this run or that another process writes; the manifest to resume.

    Raises
    ------
    ScenarioError
        ``--out`` is a file, is locked by another run, holds another run (naming what differs), holds this run
        without ``--resume``, holds files but no run; ``--resume`` finds no run; the manifest is invalid.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError("--out", str(out), "exists and is not a folder")
    holder = None if holding_lock else output.locked_by(out)
    if holder is not None:
        raise ScenarioError("--out", str(out), output.busy_message(holder))
    if (out / MANIFEST).exists():
        manifest = read_mc_manifest(out / MANIFEST)
        if manifest.fingerprint != run.digest():
            raise ScenarioError("--out", str(out), run_difference(manifest.run, run))
        if not resume:
            raise ScenarioError("--out", str(out), "already holds this run's results; add --resume to continue or "
                                                   "finish it, or choose another folder")
        return manifest
    if resume:
        raise ScenarioError("--resume", str(out), "has no run to resume (no manifest.json)")
    with output.writing(out):
        if out.exists() and any(entry.name != output.LOCK for entry in out.iterdir()):
            raise ScenarioError("--out", str(out), "is not empty and holds no dcecon run; choose another folder")
    return None


def _check_parent(out: Path) -> None:
    if not out.exists():
        parent = next((p for p in out.resolve().parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ScenarioError("--out", str(out), "its folder cannot be created here (no writable parent)")


def _load_npz(out: Path, name: str) -> dict:
    try:
        with np.load(out / name) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise _damaged(out, f"{name} is missing") from None
    except Exception as exc:  # a truncated or foreign file: zipfile, pickle and value errors alike
        raise _damaged(out, f"{name} cannot be read ({type(exc).__name__})") from None


def load_state(out: Path, manifest: MonteCarloManifest, n_inputs: int, n_metrics: int):
    """The accumulator, batches and kept draws a resumed run continues from, checked against the manifest.

    Returns
    -------
    acc : Accumulator
    batches : list of dict
        ``draws`` and ``se`` of each finished batch.
    """
    manifest_path = Path(out) / MANIFEST
    if not (Path(out) / _state_name(manifest.draws_done)).is_file():
        raise ScenarioError(str(manifest_path), "draws_done", f"{manifest.draws_done:,}: there is no "
                                                              f"{_state_name(manifest.draws_done)} (the file was "
                                                              "edited, or the folder damaged); restore it or "
                                                              "choose another --out folder")
    state = _load_npz(out, _state_name(manifest.draws_done))
    try:
        acc = Accumulator.from_reductions(state, [], [])
        batch_draws = [int(v) for v in state["batch_draws"]]
        batch_se = [float(v) for v in state["batch_se"]]
    except KeyError as exc:
        raise _damaged(out, f"{_state_name(manifest.draws_done)} has no array {exc}") from None
    shapes_ok = (all(getattr(acc, name).shape == (n_metrics,) for name in REDUCTION_ARRAYS[:-1])
                 and acc.sketch.shape == (n_metrics, sketch.N_BUCKETS) and len(batch_draws) == len(batch_se))
    if not shapes_ok or not np.all(acc.n == manifest.draws_done):
        raise ScenarioError(str(manifest_path), "draws_done", f"{manifest.draws_done:,} does not match "
                                                              f"{_state_name(manifest.draws_done)}: the file was "
                                                              "edited; restore it or choose another --out folder")
    bounds = chunk_bounds(batch_draws, manifest.target_draws, manifest.draws_done, manifest.chunk_size)
    if len(bounds) != manifest.chunks_done:
        raise ScenarioError(str(manifest_path), "chunks_done", f"{manifest.chunks_done:,} chunks do not make "
                                                               f"draws_done {manifest.draws_done:,} in chunks of "
                                                               f"{manifest.chunk_size:,}: the file was edited; "
                                                               "restore it or choose another --out folder")
    keep = manifest.run.keep_draws
    for start, stop in bounds:
        if start >= keep:
            break
        name = _kept_name(start, stop)
        kept = _load_npz(out, name)
        rows = min(stop, keep) - start
        if kept.get("x", np.empty(0)).shape != (rows, n_inputs) or kept.get("y", np.empty(0)).shape != (rows,
                                                                                                         n_metrics):
            raise _damaged(out, f"{name} does not hold {rows:,} kept draws")
        acc.kept_x.append(kept["x"])
        acc.kept_y.append(kept["y"])
    return acc, [{"draws": d, "se": se} for d, se in zip(batch_draws, batch_se)]


class StateWriter:
    """Writes a run's state to ``--out DIR`` after each chunk: kept draws, reductions, then the manifest."""

    def __init__(self, out: Path, manifest: MonteCarloManifest):
        self.out = Path(out)
        self.manifest = manifest

    def save(self, acc: Accumulator, batches: list, chunk_start: int, done: int, target: int,
             kept: tuple | None, chunks_done: int) -> None:
        """Save the state after the chunk ``chunk_start .. done - 1`` (``kept``: its kept ``(x, y)``, if any)."""
        previous = self.manifest.draws_done
        arrays = dict(acc.reductions(), batch_draws=np.array([b["draws"] for b in batches], dtype=np.int64),
                      batch_se=np.array([b["se"] for b in batches], dtype=np.float64))
        with output.writing(self.out):
            if kept is not None:
                atomic_write(self.out / _kept_name(chunk_start, done),
                             lambda tmp: np.savez(tmp, x=kept[0], y=kept[1]), suffix=".npz")
            atomic_write(self.out / _state_name(done), lambda tmp: np.savez_compressed(tmp, **arrays),
                         suffix=".npz")
            self.write(chunks_done=chunks_done, draws_done=done, target_draws=target)
            if previous != done:
                (self.out / _state_name(previous)).unlink(missing_ok=True)

    def write(self, **update) -> None:
        """Rewrite the manifest with ``update``."""
        self.manifest = self.manifest.model_copy(update=update)
        with output.writing(self.out):
            output.write_json(self.out / MANIFEST, self.manifest.model_dump(mode="json"))


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


def _chunk_source(chosen, plan, extents: dict, chunk: int, client=None):
    """A function ``(done, target) ->`` iterator of ``(start, stop, (metrics, inputs))`` over the chunks of draws
    ``done .. target - 1`` in order, each ``chunk`` draws from ``done`` [draws].

    In this process (:func:`_evaluator`), or with ``client`` on its Dask cluster: the plan is sent to the workers
    once, a window of chunks runs at a time and the results come back in chunk order, so the reductions fold
    them as one process does.
    """
    if client is None:
        evaluate = _evaluator(chosen, plan, extents, chunk)

        def local(done, target):
            for start in range(done, target, chunk):
                stop = min(start + chunk, target)
                yield start, stop, evaluate(start, stop)

        return local
    from dcecon.grid_engine import cluster

    job, in_flight = cluster.submit_job(client, _evaluator, (plan, extents, chunk), chosen), cluster.window(client)

    def remote(done, target):
        items = (((start, min(start + chunk, target)), None) for start in range(done, target, chunk))
        for (start, stop), value, _, _ in cluster.ordered_map(client, job, items, in_flight):
            yield start, stop, value

    return remote


def monte_carlo(scenario, vary=None, draws: int = DEFAULT_DRAWS, *, correlate=(), metrics=None,
                metric: str = "npv_usd", until_se: float | None = None, max_draws: int | None = None, seed: int = 0,
                backend: str = "auto", dtype: str = "float64", threads: int | None = None, max_memory="1GiB",
                keep_draws: int = KEEP_DRAWS, overrides=(), on_batch=None, out=None, resume: bool = False,
                chunk_size: int | None = None, command: str | None = None, on_chunk=None,
                client=None) -> MonteCarloResult:
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
    out : str or path, optional
        Folder that holds the run's state after each chunk (``manifest.json``, ``state-*.npz``, ``kept-*.npz``)
        and, once complete, ``summary.json``; locked while the run writes it.
    resume : bool
        Continue the run in ``out`` from its last saved chunk (the result is identical to an uninterrupted
        run's); needs ``out``.
    chunk_size : int, optional
        Draws per chunk (default: what ``max_memory`` allows); a resumed run keeps its folder's.
    command : str, optional
        The command line, recorded in the manifest.
    on_chunk : callable(draws_done), optional
        Called after each chunk is evaluated (and saved, with ``out``) [draws].
    client : distributed.Client, optional
        Evaluate the chunks on this Dask cluster (docs/cluster.md): the same chunks, folded in the same order,
        so the figures are the one-process run's. Default: this process, without Dask.

    Raises
    ------
    ScenarioError
        Any bad argument, with the message ``dcecon montecarlo`` prints for the same mistake; with ``out``, a
        folder that holds another run (naming what differs), a hand-edited or damaged one, or one that another
        run is writing.
    """
    from dcecon.grid_engine.api import load_fleet_file, parse_size
    from dcecon.grid_engine.engine import chunk_size_for
    from dcecon.scenario.loader import validate

    started = time.perf_counter()
    raw, provenance, file = load_fleet_file(scenario, overrides, "dcecon montecarlo")
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
    if resume and out is None:
        raise ScenarioError("--resume", None, "needs --out DIR (the folder of the run to continue)")
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise ScenarioError("--out", repr(out), "must be a folder path")
    if chunk_size is not None:
        chunk_size = _whole(chunk_size, "chunk_size", 1, MAX_DRAWS, "draws")
    total_samples = max_draws if until_se is not None else draws
    plan = make_plan(scenario_obj, axes, total_samples, "random", int(seed), Selection(chosen_metrics, "none", False))
    plan.correlation = correlation
    chosen = choose_backend(plan, backend, dtype, threads, client)
    extents = plan.static_extents()
    chunk = chunk_size or chunk_size_for(plan, extents, max_memory, chosen.dtype_name,
                                         on_host=not chosen.name.startswith("cupy"), kernel=chosen.kernel)
    run = RunFingerprint(
        scenario=scenario_obj.name,
        scenario_sha256=hashlib.sha256(json.dumps(scenario_obj.model_dump(mode="json", exclude={"provenance"}),
                                                  sort_keys=True).encode()).hexdigest()[:16],
        inputs=[input_fingerprint(a) for a in axes],
        correlation=None if correlation is None else np.asarray(correlation, dtype=np.float64).tolist(),
        seed=int(seed), draws=draws, until_se=None if until_se is None else float(until_se),
        max_draws=max_draws if until_se is not None else None, metrics=list(chosen_metrics), metric=metric,
        keep_draws=keep_draws, backend=chosen.name, dtype=chosen.dtype_name)

    lock = writer = None
    if out is not None:
        out = Path(out)
        _check_parent(out)
        check_mc_folder(out, run, resume)  # before the folder is made: bad input leaves nothing behind
        with output.writing(out, "cannot be created"):
            out.mkdir(parents=True, exist_ok=True)
        lock = output.FolderLock(out)
        lock.acquire()
    try:
        acc = Accumulator.empty(len(chosen_metrics))
        batches, done, target, chunks_done = [], 0, draws, 0
        if out is not None:  # under the lock: the folder may have changed since it was checked
            previous = check_mc_folder(out, run, resume, holding_lock=True)
            if previous is not None:
                chunk = previous.chunk_size  # the same chunks, so the result is identical to the bit
                acc, batches = load_state(out, previous, len(axes), len(chosen_metrics))
                done, target, chunks_done = previous.draws_done, previous.target_draws, previous.chunks_done
            manifest = MonteCarloManifest(
                analysis=ANALYSIS, dcecon_version=__version__, status="running", fingerprint=run.digest(), run=run,
                command=command, chunk_size=int(chunk), chunks_done=chunks_done, draws_done=done,
                target_draws=target)
            writer = StateWriter(out, manifest)
            if previous is None:
                writer.save(acc, batches, 0, 0, target, None, 0)  # the empty state: a run stopped now resumes at 0
        resumed = done
        source, batch = _chunk_source(chosen, plan, extents, chunk, client), None
        j_metric = chosen_metrics.index(metric)
        while done < target:
            if batch is None:  # the chunks of draws done .. target - 1, in order
                batch = source(done, target)
            start, stop, (y, x) = next(batch)
            acc.add(y)
            kept = None
            if start < keep_draws:
                top = min(stop, keep_draws)
                kept = (x[:top - start].copy(), y[:top - start].copy())
                acc.kept_x.append(kept[0])
                acc.kept_y.append(kept[1])
            done, se = stop, None
            if done == target:  # a batch is complete: stop, or double the draws (--until-se)
                batch.close()
                batch = None
                se = acc.standard_error(j_metric)
                batches.append({"draws": done, "se": se})
                if not (until_se is None or se < until_se or done >= max_draws):
                    target = min(2 * done, max_draws)
            if writer is not None:
                chunks_done += 1
                writer.save(acc, batches, start, done, target, kept, chunks_done)
            if se is not None and on_batch is not None:
                on_batch(done, se)
            if on_chunk is not None:
                on_chunk(done)
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
        result = MonteCarloResult(
            scenario=scenario_obj.name, inputs=inputs, distributions=[a.distribution.describe() for a in axes],
            metrics=chosen_metrics, draws=done, seed=int(seed), backend=chosen.name, dtype=chosen.dtype_name,
            seconds=time.perf_counter() - started, statistics=statistics, requested_correlation=correlation,
            achieved_correlation=spearman_matrix(kept_x), regression=regression, kept_draws=len(kept_y),
            metric=metric, until_se=None if until_se is None else float(until_se), converged=converged,
            batches=batches, quantile_relative_error=0.0 if all_kept else sketch.RELATIVE_ACCURACY,
            kept_inputs=kept_x, kept_metrics=kept_y, resumed_draws=resumed,
        )
        if writer is not None:
            with output.writing(out):
                output.write_json(out / SUMMARY, result.to_dict())
            writer.write(status="complete")
    finally:
        if lock is not None:
            lock.release()
    return result
