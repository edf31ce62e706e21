"""Sobol' global sensitivity indices of one metric, with SALib's design and analysis on the grid engine.

``dcecon.sobol(scenario, vary={"cohorts.0.utilization": (0.5, 1.0), ...}, metric="gross_margin", n=4096)``
draws Saltelli's extension of the Sobol' sequence over the ranges
(:func:`SALib.sample.sobol.sample`: ``n (D + 2)`` points for ``D`` inputs,
``n (2D + 2)`` with second-order indices), evaluates the metric at every point
through the grid engine (:mod:`dcecon.grid_engine.points`: the native kernel
when there is one) and estimates, with :func:`SALib.analyze.sobol.analyze`,
each input's first-order index ``S1`` (the share of the metric's variance
explained by that input alone) and total index ``ST`` (its share including
every interaction), with bootstrap confidence intervals. Inputs are
independent and uniform on their ranges. See ``docs/sobol.md``.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings

import numpy as np

from dcecon.grid_engine.points import load_fleet_scenario, evaluate_points, points_plan
from dcecon.scenario import paths as scenario_paths
from dcecon.scenario.errors import ScenarioError

DEFAULT_N = 4096
"""Base sample size of ``dcecon sobol`` when ``--n`` is left out (``4096 (D + 2)`` evaluations)."""

MIN_N = 64
"""Smallest base sample size accepted [points]: below it the bootstrap intervals mean little (at n = 2 the total
index of a two-input product comes out at 2.25)."""

MAX_N = 1 << 20
"""Largest base sample size accepted [points]: 2^20 x (2D + 2) points are about a GB of design for 10 inputs, and
SALib's analysis (its bootstrap) then takes minutes (at n = 65,536, 1.4 M runs: about 60 s here, docs/sobol.md)."""

CONF_LEVEL = 0.95
"""Confidence level of the bootstrap intervals."""

RESAMPLES = 100
"""Bootstrap resamples of the confidence intervals (SALib's default)."""


@dataclasses.dataclass(frozen=True)
class Range:
    """One input of a sensitivity analysis: a scenario path varied uniformly on ``[low, high]``.

    Attributes
    ----------
    path : str
        Dotted scenario path as given (``cohorts.0.utilization``, ``site.pue``, ``cohorts.*.pue``).
    low, high : float
        Ends of the range [units of the field].
    base : float or None
        The field's value in the scenario (after ``--set``), None where the scenario leaves it out
        [units of the field].
    """

    path: str
    low: float
    high: float
    base: float | None


def _number(text: str, path: str, option: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ScenarioError(option, path, f"{str(text).strip()!r} is not a number; write PATH=LOW:HIGH or "
                                          "PATH=-20%:+20%") from None
    if not math.isfinite(value):
        raise ScenarioError(option, path, f"{str(text).strip()!r} is not a finite number")
    return value


def base_value(raw: dict, path: str, option: str = "--vary") -> float | None:
    """The scenario's value of ``path`` (every cohort's, for a ``*`` path), or None where it is left out."""
    values = set()
    for concrete in scenario_paths.expand(raw, path):
        value = scenario_paths.get_value(raw, concrete)
        if isinstance(value, dict):  # {value = ..., source = ...}
            value = value.get("value")
        values.add(None if value is None or isinstance(value, (bool, str)) else float(value))
    if len(values) > 1:
        raise ScenarioError(option, path, "the cohorts differ in this field, so a % range has no single base "
                                          "value; give LOW:HIGH")
    return values.pop() if values else None


def parse_range(raw: dict, path: str, spec, option: str = "--vary") -> Range:
    """One input from ``LOW:HIGH``, ``-20%:+20%`` (of the scenario's value) or a ``(low, high)`` pair.

    Raises
    ------
    ScenarioError
        An unknown path, a malformed range, ``LOW >= HIGH``, an end outside the field's bounds, a % range on a
        field the scenario leaves out or whose value is 0.
    """
    needs_base = isinstance(spec, str) and "%" in spec  # only a % range needs the scenario's value
    try:
        field = scenario_paths.field_spec(path)
        base = base_value(raw, path, option) if needs_base else None
    except ScenarioError as exc:
        raise ScenarioError(option, exc.field or path, exc.message) from None
    if isinstance(spec, str):
        parts = spec.split(":")
        if len(parts) != 2:
            raise ScenarioError(option, path, f"malformed range {spec!r}: write LOW:HIGH or -20%:+20%")
        percent = [p.strip().endswith("%") for p in parts]
        if any(percent) and not all(percent):
            raise ScenarioError(option, path, f"malformed range {spec!r}: give both ends in % or neither")
        if all(percent):
            if base is None or base == 0:
                why = "is 0" if base == 0 else "is not given in the scenario"
                raise ScenarioError(option, path, f"a % range needs the field's value, which {why}; give LOW:HIGH")
            shifts = [_number(p.strip()[:-1], path, option) / 100.0 for p in parts]
            low, high = sorted(base * (1.0 + s) for s in shifts)
        else:
            low, high = (_number(p, path, option) for p in parts)
    elif isinstance(spec, (list, tuple)) and len(spec) == 2 and not any(isinstance(v, (bool, str)) for v in spec):
        low, high = (_number(v, path, option) for v in spec)
    else:
        raise ScenarioError(option, path, f"{spec!r} is not a range; write LOW:HIGH, -20%:+20% or (low, high)")
    if not low < high:
        raise ScenarioError(option, path, f"the range {low:g}:{high:g} is empty; needs LOW < HIGH")
    if not field.numeric:
        raise ScenarioError(option, path, "is not a numeric field, so it cannot vary")
    for value in (low, high):
        reason = field.check(value)
        if reason:
            raise ScenarioError(option, path, f"the range {low:g}:{high:g} reaches outside the field's bounds: "
                                              f"{reason}")
    return Range(path, low, high, base)


def parse_ranges(raw: dict, vary, option: str = "--vary") -> list[Range]:
    """Inputs from ``['PATH=LOW:HIGH', ...]`` or ``{path: 'LOW:HIGH' or (low, high)}``."""
    from dcecon.scenario.loader import parse_assignment

    if isinstance(vary, str):
        vary = [vary]
    if isinstance(vary, dict):
        items = list(vary.items())
    elif isinstance(vary, (list, tuple)) and all(isinstance(v, str) for v in vary):
        items = [parse_assignment(text, option) for text in vary]
    else:
        raise ScenarioError(option, None, "give the inputs as 'PATH=LOW:HIGH' strings or a dict of path to range")
    if not items:
        raise ScenarioError(option, None, "give at least one input to vary, e.g. --vary "
                                          "cohorts.0.utilization=0.5:1.0")
    seen, ranges = set(), []
    for path, spec in items:
        if path in seen:
            raise ScenarioError(option, path, "given twice")
        seen.add(path)
        ranges.append(parse_range(raw, path, spec, option))
    return ranges


def check_metric(metric) -> str:
    """One metric name of :data:`dcecon.model.metrics.METRICS`; else ScenarioError."""
    from dcecon.model.metrics import BY_NAME, METRICS

    if not isinstance(metric, str) or metric not in BY_NAME:
        raise ScenarioError("--metric", str(metric), f"unknown metric; choose one of {', '.join(METRICS)}")
    return metric


def check_whole(value, option: str, lowest: int, highest: int) -> int:
    """A whole number in ``[lowest, highest]``; else ScenarioError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or (
            isinstance(value, float) and not value.is_integer()):
        raise ScenarioError(option, str(value), "must be a whole number")
    if not lowest <= int(value) <= highest:
        raise ScenarioError(option, str(value), f"must be from {lowest:,} to {highest:,}")
    return int(value)


def check_finite_spread(values: np.ndarray, metric: str) -> None:
    """Refuse a metric that is not finite at some point or does not vary (no variance to apportion)."""
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise ScenarioError("--metric", metric, f"is not finite at {bad:,} of {len(values):,} points (an IRR or "
                                                "payback that does not exist); choose another metric or narrower "
                                                "ranges")
    if float(np.std(values)) <= 1e-12 * max(1.0, float(np.max(np.abs(values)))):
        raise ScenarioError("--metric", metric, "does not vary over these ranges (no variance to apportion)")


def salib_problem(ranges: list[Range]) -> dict:
    """SALib's problem dict: names are the paths, bounds the ranges."""
    return {"num_vars": len(ranges), "names": [r.path for r in ranges], "bounds": [[r.low, r.high] for r in ranges]}


@dataclasses.dataclass
class SobolResult:
    """First-order, total (and optionally second-order) Sobol' indices of one metric.

    Attributes
    ----------
    scenario : str
        Scenario name.
    metric : str
        The metric analysed.
    ranges : list of Range
        The inputs, in the order given.
    n : int
        Base sample size [points].
    seed : int
        Seed of the scrambled Sobol' sequence and of the bootstrap.
    second_order : bool
        Whether second-order indices were estimated.
    s1, s1_conf, st, st_conf : numpy.ndarray
        First-order and total indices and the half-widths of their confidence intervals, one per input [-].
    s2, s2_conf : numpy.ndarray or None
        Second-order indices and half-widths, ``(D, D)``, upper triangle (NaN elsewhere) [-].
    conf_level : float
        Confidence level of the intervals (bootstrap, normal approximation, as SALib) [-].
    mean, std : float
        Mean and standard deviation of the metric over the design [units of the metric].
    backend, dtype : str
        What evaluated the model.
    eval_seconds, seconds : float
        Time of the model evaluations, and of the whole analysis [s].
    samples : numpy.ndarray
        The design, ``(n_evaluations, D)`` [units of each field].
    values : numpy.ndarray
        The metric at each point of the design [units of the metric].
    """

    scenario: str
    metric: str
    ranges: list
    n: int
    seed: int
    second_order: bool
    s1: np.ndarray
    s1_conf: np.ndarray
    st: np.ndarray
    st_conf: np.ndarray
    s2: np.ndarray | None
    s2_conf: np.ndarray | None
    conf_level: float
    mean: float
    std: float
    backend: str
    dtype: str
    eval_seconds: float
    seconds: float
    samples: np.ndarray = dataclasses.field(repr=False)
    values: np.ndarray = dataclasses.field(repr=False)

    @property
    def n_evaluations(self) -> int:
        """Model evaluations of the design [scenarios]."""
        return len(self.values)

    @property
    def order(self) -> list[int]:
        """Input positions by total index, largest first."""
        return sorted(range(len(self.ranges)), key=lambda k: (-self.st[k], k))

    @property
    def most_influential(self) -> str:
        """Path of the input with the largest total index."""
        return self.ranges[self.order[0]].path

    def to_frame(self):
        """One row per input, sorted by total index (largest first).

        Columns: ``input``, ``low``, ``high``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (``*_conf``: half-width
        of the confidence interval).
        """
        import pandas as pd

        rows = [{"input": self.ranges[k].path, "low": self.ranges[k].low, "high": self.ranges[k].high,
                 "S1": float(self.s1[k]), "S1_conf": float(self.s1_conf[k]), "ST": float(self.st[k]),
                 "ST_conf": float(self.st_conf[k])} for k in self.order]
        return pd.DataFrame(rows, columns=["input", "low", "high", "S1", "S1_conf", "ST", "ST_conf"])

    def second_order_frame(self):
        """One row per pair of inputs (``input_a``, ``input_b``, ``S2``, ``S2_conf``), largest ``S2`` first.

        Raises
        ------
        ScenarioError
            The analysis was run without second-order indices.
        """
        import pandas as pd

        if self.s2 is None:
            raise ScenarioError("--second-order", None, "this analysis has no second-order indices; run it with "
                                                        "second_order=True (--second-order)")
        d = len(self.ranges)
        rows = [{"input_a": self.ranges[i].path, "input_b": self.ranges[j].path, "S2": float(self.s2[i, j]),
                 "S2_conf": float(self.s2_conf[i, j])} for i in range(d) for j in range(i + 1, d)]
        frame = pd.DataFrame(rows, columns=["input_a", "input_b", "S2", "S2_conf"])
        return frame.sort_values("S2", ascending=False, kind="stable").reset_index(drop=True)

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict:
        """The ``--json`` object: settings, the metric's mean and spread, and each input's indices (by ST)."""
        out = {
            "analysis": "sobol", "scenario": self.scenario, "metric": self.metric, "n": self.n,
            "n_evaluations": self.n_evaluations, "seed": self.seed, "second_order": self.second_order,
            "conf_level": self.conf_level, "mean": self.mean, "std": self.std, "backend": self.backend,
            "dtype": self.dtype, "eval_seconds": self.eval_seconds, "seconds": self.seconds,
            "most_influential": self.most_influential,
            "inputs": self.to_frame().to_dict(orient="records"),
        }
        if self.s2 is not None:
            out["second_order_indices"] = self.second_order_frame().to_dict(orient="records")
        return out


def sobol_design(ranges: list[Range], n: int, second_order: bool, seed: int) -> np.ndarray:
    """Saltelli's design over the ranges (:func:`SALib.sample.sobol.sample`, scrambled, seeded) [field units]."""
    from SALib.sample import sobol as sobol_sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n is a power of two: scipy's balance warning cannot apply
        return sobol_sample.sample(salib_problem(ranges), n, calc_second_order=second_order, seed=seed)


def sobol_indices(ranges: list[Range], values: np.ndarray, second_order: bool, seed: int,
                  conf_level: float = CONF_LEVEL, resamples: int = RESAMPLES) -> dict:
    """SALib's estimates (:func:`SALib.analyze.sobol.analyze`) from the metric at :func:`sobol_design`'s points.

    The bootstrap draws from ``numpy.random.default_rng(seed)``, which is what SALib does with a nonzero
    integer seed; SALib 1.6 takes a seed of 0 for "no seed" (``if seed:``) and would draw unseeded intervals,
    so the generator itself is passed.
    """
    from SALib.analyze import sobol as sobol_analyze

    with np.errstate(all="ignore"):
        return sobol_analyze.analyze(salib_problem(ranges), np.asarray(values, dtype=np.float64),
                                     calc_second_order=second_order, num_resamples=resamples,
                                     conf_level=conf_level, seed=np.random.default_rng(seed))


def sobol(scenario, vary, metric: str = "gross_margin", n: int = DEFAULT_N, seed: int = 0,
          second_order: bool = False, overrides=(), backend: str = "auto", dtype: str = "float64",
          threads=None, max_memory="1GiB", conf_level: float = CONF_LEVEL,
          resamples: int = RESAMPLES, client=None) -> SobolResult:
    """First-order and total Sobol' indices of ``metric`` over independent uniform inputs.

    Parameters
    ----------
    scenario : Scenario, str or path
        A loaded fleet scenario, a scenario file or a bundled name.
    vary : dict or list of str
        ``{"cohorts.0.utilization": (0.5, 1.0)}``, ``{"site.pue": "-10%:+10%"}`` or
        ``["cohorts.0.utilization=0.5:1.0", ...]``: each input's range [units of the field]; a % range is
        relative to the scenario's value.
    metric : str
        One metric of :data:`dcecon.model.metrics.METRICS`.
    n : int
        Base sample size, a power of two: ``n (D + 2)`` evaluations, ``n (2D + 2)`` with ``second_order``.
    seed : int
        Seed of the scrambled Sobol' sequence and of the bootstrap.
    second_order : bool
        Also estimate second-order (pairwise interaction) indices.
    overrides : list of str
        ``PATH=VALUE`` applied to the scenario first (``--set``).
    backend : {'auto', 'numpy', 'native', 'cupy', 'cupy-array', 'array-api-strict'}
        Where the model is evaluated (:func:`dcecon.grid_engine.points.evaluate_points`).
    dtype : {'float64', 'float32'}
    threads : int, optional
        Threads of the native kernel.
    max_memory : int or str
        Memory budget that sets the chunk size [bytes].
    conf_level : float
        Confidence level of the bootstrap intervals [-].
    resamples : int
        Bootstrap resamples.
    client : distributed.Client, optional
        Evaluate the design on this Dask cluster (docs/cluster.md): the same values, so the same indices.

    Returns
    -------
    SobolResult

    Raises
    ------
    ScenarioError
        An unknown path or metric, a range outside its field's bounds, ``n`` not a power of two, a metric
        that is not finite everywhere or does not vary.
    """
    started = time.perf_counter()
    n = check_whole(n, "--n", MIN_N, MAX_N)
    if n & (n - 1):
        raise ScenarioError("--n", str(n), "must be a power of two (the Sobol' sequence's balance properties "
                                           "need it), e.g. 1024, 4096 or 65536")
    seed = check_whole(seed, "--seed", 0, 2**32 - 1)
    resamples = check_whole(resamples, "resamples", 2, 10**5)
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) or not 0 < conf_level < 1:
        raise ScenarioError("conf_level", str(conf_level), "must be between 0 and 1")
    metric = check_metric(metric)
    loaded = load_fleet_scenario(scenario, overrides)
    ranges = parse_ranges(loaded[0], vary)
    samples = sobol_design(ranges, n, bool(second_order), seed)
    plan = points_plan(None, [r.path for r in ranges], samples, [metric], plan_loaded=loaded)
    evaluated = evaluate_points(plan, backend, dtype, threads, max_memory=max_memory, client=client)
    values = evaluated.metrics[metric]
    check_finite_spread(values, metric)
    si = sobol_indices(ranges, values, bool(second_order), seed, conf_level, resamples)
    s2 = s2_conf = None
    if second_order:
        s2, s2_conf = np.asarray(si["S2"], dtype=np.float64), np.asarray(si["S2_conf"], dtype=np.float64)
    return SobolResult(
        loaded[3].name, metric, ranges, n, seed, bool(second_order),
        np.asarray(si["S1"], dtype=np.float64), np.asarray(si["S1_conf"], dtype=np.float64),
        np.asarray(si["ST"], dtype=np.float64), np.asarray(si["ST_conf"], dtype=np.float64), s2, s2_conf,
        float(conf_level), float(np.mean(values)), float(np.std(values)), evaluated.backend, evaluated.dtype,
        evaluated.seconds, time.perf_counter() - started, samples, values)
