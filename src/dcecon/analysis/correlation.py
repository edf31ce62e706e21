"""Rank correlations of a Monte Carlo run: the requested matrix, the achieved one, and the regression tornado.

- :func:`parse_correlations` reads ``--correlate A,B=0.6`` options and a
  scenario's ``[grid.correlations]`` table (``"A,B" = 0.6``) into a target
  rank-correlation (Spearman) matrix over the sampled inputs, refusing an
  unknown path, a value outside [-1, 1], a pair given twice and a matrix
  that is not positive semi-definite.
- :func:`spearman_matrix` is the achieved rank correlation of draws.
- :func:`rank_regression` is the "regression tornado" of the spreadsheet
  risk add-ins: standardized rank regression coefficients (SRRC) of a metric
  on the inputs, and each input's contribution to the explained variance.

References
----------
.. [1] Saltelli, Chan, Scott (eds.), *Sensitivity Analysis*, Wiley 2000,
   ch. 6 (SRRC).
.. [2] Iman, Conover, "A distribution-free approach to inducing rank
   correlation among input variables", 1982.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from dcecon.grid_engine.sampling import correlation_factor
from dcecon.scenario.errors import ScenarioError

CORRELATE_OPTION = "--correlate"
"""The option named in errors about a command-line correlation."""


def _number(text, where: str, key: str) -> float:
    if isinstance(text, bool):
        raise ScenarioError(where, key, f"{text!r} is not a number")
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ScenarioError(where, key, f"{str(text).strip()!r} is not a number") from None
    if not math.isfinite(value) or not -1.0 <= value <= 1.0:
        raise ScenarioError(where, key, f"correlation {value:g} is outside [-1, 1]")
    return value


def _pair(key: str, where: str, inputs: list[str]) -> tuple[int, int]:
    parts = [p.strip() for p in str(key).split(",")]
    if len(parts) != 2 or not all(parts):
        raise ScenarioError(where, str(key), "write a correlation as PATH_A,PATH_B=RHO (two input paths)")
    for part in parts:
        if part not in inputs:
            raise ScenarioError(where, part, f"is not a sampled input of this run; inputs: "
                                             f"{', '.join(inputs) or 'none'}")
    a, b = inputs.index(parts[0]), inputs.index(parts[1])
    if a == b:
        raise ScenarioError(where, str(key), "correlates an input with itself")
    return a, b


def parse_correlations(inputs: list[str], specs=(), table=None, table_where: str = "[grid.correlations]"):
    """The target rank-correlation matrix over ``inputs``, or None when no pair is correlated.

    Parameters
    ----------
    inputs : list of str
        Paths of the sampled inputs, in the plan's order.
    specs : iterable
        ``"A,B=0.6"`` strings (``--correlate``), or a dict ``{"A,B": 0.6}`` / ``{("A", "B"): 0.6}``.
    table : dict, optional
        A scenario's ``[grid.correlations]`` table, ``{"A,B": 0.6}``; ``specs`` replace its pairs.
    table_where : str
        How errors name the table (``FILE [grid.correlations]``).

    Returns
    -------
    numpy.ndarray or None
        Symmetric ``(d, d)`` matrix with 1 on the diagonal [-].

    Raises
    ------
    ScenarioError
        An unknown path, a value outside [-1, 1], a pair given twice, or a matrix that is not positive
        semi-definite.
    """
    entries: dict[tuple[int, int], float] = {}
    if table is not None:
        if not isinstance(table, dict):
            raise ScenarioError(table_where, None, "must be a table of \"PATH_A,PATH_B\" = correlation")
        for key, value in table.items():
            a, b = _pair(key, table_where, inputs)
            entries[(min(a, b), max(a, b))] = _number(value, table_where, str(key))
    if isinstance(specs, dict):
        specs = [f"{','.join(k) if isinstance(k, tuple) else k}={v}" for k, v in specs.items()]
    elif isinstance(specs, str):
        specs = [specs]
    elif specs is None:
        specs = []
    elif not isinstance(specs, (list, tuple)):
        raise ScenarioError(CORRELATE_OPTION, repr(specs), "give correlations as 'PATH_A,PATH_B=RHO' strings or a "
                                                           "dict of pair to correlation")
    seen = set()
    for text in specs:
        if not isinstance(text, str) or "=" not in text:
            raise ScenarioError(CORRELATE_OPTION, str(text), "write a correlation as PATH_A,PATH_B=RHO")
        key, _, value = text.rpartition("=")
        a, b = _pair(key, CORRELATE_OPTION, inputs)
        pair = (min(a, b), max(a, b))
        if pair in seen:
            raise ScenarioError(CORRELATE_OPTION, key.strip(), "given twice")
        seen.add(pair)
        entries[pair] = _number(value, CORRELATE_OPTION, key.strip())
    if not any(entries.values()):
        return None
    matrix = np.eye(len(inputs))
    for (a, b), rho in entries.items():
        matrix[a, b] = matrix[b, a] = rho
    try:
        correlation_factor(matrix)
    except ValueError as exc:
        where = CORRELATE_OPTION if seen else table_where
        raise ScenarioError(where, None, f"{exc}; lower the correlations that contradict each other") from None
    return matrix


def spearman_matrix(draws: np.ndarray) -> np.ndarray:
    """Spearman rank correlation between the columns of ``draws`` (shape ``(n, d)``), ``(d, d)`` [-].

    A constant column has NaN correlations (1 on the diagonal).
    """
    from scipy import stats

    n, d = draws.shape
    if d == 0:
        return np.empty((0, 0))
    ranks = stats.rankdata(draws, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.corrcoef(ranks, rowvar=False).reshape(d, d) if n > 1 else np.full((d, d), math.nan)
    np.fill_diagonal(out, 1.0)
    return out


@dataclasses.dataclass
class RankRegression:
    """Standardized rank regression of one metric on the inputs (the regression tornado).

    Attributes
    ----------
    metric : str
    inputs : list of str
        Input paths.
    srrc : numpy.ndarray
        Standardized rank regression coefficient of each input [-] (NaN for a constant input).
    contribution : numpy.ndarray
        Share of the explained variance of each input, ``srrc_i^2 / sum_j srrc_j^2`` [-] (sums to 1).
    spearman : numpy.ndarray
        Rank correlation of each input with the metric [-].
    r_squared : float
        Coefficient of determination of the rank regression [-].
    draws : int
        Draws it was fitted on (those with a non-NaN metric).
    """

    metric: str
    inputs: list
    srrc: np.ndarray
    contribution: np.ndarray
    spearman: np.ndarray
    r_squared: float
    draws: int

    def to_frame(self):
        """One row per input, sorted by ``|srrc|`` descending: input, srrc, contribution, spearman."""
        import pandas as pd

        frame = pd.DataFrame({"input": self.inputs, "srrc": self.srrc, "contribution_to_variance": self.contribution,
                              "spearman": self.spearman})
        order = np.argsort(-np.nan_to_num(np.abs(self.srrc), nan=-1.0), kind="stable")
        return frame.iloc[order].reset_index(drop=True)

    def to_dict(self) -> dict:
        """JSON form."""
        return {"metric": self.metric, "r_squared": self.r_squared, "draws": self.draws,
                "inputs": self.to_frame().to_dict(orient="records")}


def rank_regression(inputs: list[str], x: np.ndarray, y: np.ndarray, metric: str) -> RankRegression:
    """SRRC and contribution to variance of ``y`` on the columns of ``x``.

    Every column and ``y`` are replaced by their ranks (ties averaged) and
    standardized; the least-squares coefficients of ``y`` on the columns are
    the SRRC. With independent inputs ``sum srrc_i^2`` is the ``R^2`` of the
    rank regression and ``srrc_i^2 / sum srrc_j^2`` each input's share of
    it; with correlated inputs the shares are an attribution, not an exact
    decomposition. Draws whose metric is NaN are left out; infinities rank
    last (first).

    Parameters
    ----------
    inputs : list of str
    x : numpy.ndarray
        Input draws, shape ``(n, d)`` [units of each field].
    y : numpy.ndarray
        Metric of each draw, shape ``(n,)`` [units of the metric].
    metric : str
    """
    from scipy import stats

    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    n, d = x.shape
    srrc = np.full(d, math.nan)
    spearman = np.full(d, math.nan)
    r_squared = math.nan
    if n > d + 1:
        rx = stats.rankdata(x, axis=0)
        ry = stats.rankdata(y)
        sx, sy = rx.std(axis=0), ry.std()
        live = sx > 0
        if sy > 0 and live.any():
            zx = (rx[:, live] - rx[:, live].mean(axis=0)) / sx[live]
            zy = (ry - ry.mean()) / sy
            beta, *_ = np.linalg.lstsq(zx, zy, rcond=None)
            srrc[live] = beta
            spearman[live] = zx.T @ zy / n
            residual = zy - zx @ beta
            r_squared = float(1.0 - residual @ residual / (zy @ zy))
    squares = np.nan_to_num(srrc, nan=0.0) ** 2
    total = squares.sum()
    contribution = np.where(np.isnan(srrc), math.nan, squares / total if total > 0 else math.nan)
    return RankRegression(metric, list(inputs), srrc, contribution, spearman, r_squared, int(n))
