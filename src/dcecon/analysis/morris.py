"""Morris elementary-effects screening of one metric, with SALib's design and analysis on the grid engine.

``dcecon.morris(scenario, vary={...}, metric="gross_margin", trajectories=20, levels=4)`` draws ``R``
one-at-a-time trajectories on a ``levels``-level grid over the ranges
(:func:`SALib.sample.morris.sample`: ``R (D + 1)`` points for ``D`` inputs),
evaluates the metric at every point through the grid engine and reports, with
:func:`SALib.analyze.morris.analyze`, each input's ``mu*`` (mean absolute
elementary effect: how much the metric moves when the input crosses its whole
range, in the metric's units), its bootstrap confidence half-width and
``sigma`` (spread of the effects: non-linearity or interactions). Cheap
enough to screen many inputs before a Sobol' analysis. See ``docs/sobol.md``.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from dcecon.analysis.sobol import (CONF_LEVEL, RESAMPLES, check_metric, check_whole, parse_ranges,
                                   salib_problem)
from dcecon.grid_engine.points import load_fleet_scenario, evaluate_points, points_plan
from dcecon.scenario.errors import ScenarioError

DEFAULT_TRAJECTORIES = 20
"""Trajectories of ``dcecon morris`` when ``--trajectories`` is left out."""

DEFAULT_LEVELS = 4
"""Grid levels of ``dcecon morris`` when ``--levels`` is left out (Morris' and SALib's default)."""

MAX_TRAJECTORIES = 1 << 20
"""Most trajectories accepted."""


@dataclasses.dataclass
class MorrisResult:
    """Morris screening measures of one metric.

    Attributes
    ----------
    scenario, metric : str
    ranges : list of Range
        The inputs, in the order given.
    trajectories, levels, seed : int
    mu : numpy.ndarray
        Mean elementary effect per input (signed) [metric units per full range].
    mu_star, mu_star_conf : numpy.ndarray
        Mean absolute elementary effect and the half-width of its confidence interval [metric units per full
        range].
    sigma : numpy.ndarray
        Standard deviation of the elementary effects [metric units per full range].
    conf_level : float
    backend, dtype : str
    eval_seconds, seconds : float
        Time of the model evaluations and of the whole analysis [s].
    samples, values : numpy.ndarray
        The design ``(R (D + 1), D)`` [units of each field] and the metric at each point.
    """

    scenario: str
    metric: str
    ranges: list
    trajectories: int
    levels: int
    seed: int
    mu: np.ndarray
    mu_star: np.ndarray
    mu_star_conf: np.ndarray
    sigma: np.ndarray
    conf_level: float
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
        """Input positions by ``mu*``, largest first."""
        return sorted(range(len(self.ranges)), key=lambda k: (-self.mu_star[k], k))

    def to_frame(self):
        """One row per input, sorted by ``mu*``: ``input``, ``low``, ``high``, ``mu``, ``mu_star``,
        ``mu_star_conf``, ``sigma``."""
        import pandas as pd

        rows = [{"input": self.ranges[k].path, "low": self.ranges[k].low, "high": self.ranges[k].high,
                 "mu": float(self.mu[k]), "mu_star": float(self.mu_star[k]),
                 "mu_star_conf": float(self.mu_star_conf[k]), "sigma": float(self.sigma[k])} for k in self.order]
        return pd.DataFrame(rows, columns=["input", "low", "high", "mu", "mu_star", "mu_star_conf", "sigma"])

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict:
        """The ``--json`` object: settings and each input's measures (by ``mu*``)."""
        return {
            "analysis": "morris", "scenario": self.scenario, "metric": self.metric,
            "trajectories": self.trajectories, "levels": self.levels, "n_evaluations": self.n_evaluations,
            "seed": self.seed, "conf_level": self.conf_level, "backend": self.backend, "dtype": self.dtype,
            "eval_seconds": self.eval_seconds, "seconds": self.seconds,
            "inputs": self.to_frame().to_dict(orient="records"),
        }


def morris_design(ranges, trajectories: int, levels: int, seed: int) -> np.ndarray:
    """``trajectories`` Morris trajectories over the ranges (:func:`SALib.sample.morris.sample`) [field units]."""
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(salib_problem(ranges), trajectories, num_levels=levels, seed=seed)


def morris_measures(ranges, samples: np.ndarray, values: np.ndarray, levels: int, seed: int,
                    conf_level: float = CONF_LEVEL, resamples: int = RESAMPLES) -> dict:
    """SALib's measures (:func:`SALib.analyze.morris.analyze`) from the metric at :func:`morris_design`'s points."""
    from SALib.analyze import morris as morris_analyze

    return morris_analyze.analyze(salib_problem(ranges), samples, np.asarray(values, dtype=np.float64),
                                  num_resamples=resamples, conf_level=conf_level, num_levels=levels, seed=seed)


def morris(scenario, vary, metric: str = "gross_margin", trajectories: int = DEFAULT_TRAJECTORIES,
           levels: int = DEFAULT_LEVELS, seed: int = 0, overrides=(), backend: str = "auto",
           dtype: str = "float64", threads=None, max_memory="1GiB", conf_level: float = CONF_LEVEL,
           resamples: int = RESAMPLES, client=None) -> MorrisResult:
    """Morris screening (``mu*``, its confidence half-width, ``sigma``) of ``metric`` over uniform inputs.

    Parameters
    ----------
    scenario : Scenario, str or path
    vary : dict or list of str
        As :func:`dcecon.analysis.sobol.sobol`.
    metric : str
    trajectories : int
        Trajectories ``R`` (at least 2): ``R (D + 1)`` evaluations.
    levels : int
        Levels of the grid each input moves on (even, at least 2; 4 is Morris' choice).
    seed : int
        Seed of the trajectories and of the bootstrap.
    overrides, backend, dtype, threads, max_memory, conf_level, resamples, client
        As :func:`dcecon.analysis.sobol.sobol`.

    Returns
    -------
    MorrisResult

    Raises
    ------
    ScenarioError
        Bad inputs as :func:`~dcecon.analysis.sobol.sobol`; fewer than 2 trajectories; an odd number of levels.
    """
    from dcecon.analysis.sobol import check_finite_spread

    started = time.perf_counter()
    trajectories = check_whole(trajectories, "--trajectories", 2, MAX_TRAJECTORIES)
    levels = check_whole(levels, "--levels", 2, 1000)
    if levels % 2:
        raise ScenarioError("--levels", str(levels), "must be even (Morris' design steps half the levels at a "
                                                     "time), e.g. 4")
    seed = check_whole(seed, "--seed", 0, 2**32 - 1)
    resamples = check_whole(resamples, "resamples", 2, 10**5)
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) or not 0 < conf_level < 1:
        raise ScenarioError("conf_level", str(conf_level), "must be between 0 and 1")
    metric = check_metric(metric)
    loaded = load_fleet_scenario(scenario, overrides, "dcecon morris")
    ranges = parse_ranges(loaded[0], vary)
    samples = morris_design(ranges, trajectories, levels, seed)
    plan = points_plan(None, [r.path for r in ranges], samples, [metric], plan_loaded=loaded)
    evaluated = evaluate_points(plan, backend, dtype, threads, max_memory=max_memory, client=client)
    values = evaluated.metrics[metric]
    check_finite_spread(values, metric)
    m = morris_measures(ranges, samples, values, levels, seed, conf_level, resamples)

    def column(name):
        return np.asarray(m[name], dtype=np.float64)

    return MorrisResult(loaded[3].name, metric, ranges, trajectories, levels, seed, column("mu"),
                        column("mu_star"), column("mu_star_conf"), column("sigma"), float(conf_level),
                        evaluated.backend, evaluated.dtype, evaluated.seconds, time.perf_counter() - started,
                        samples, values)
