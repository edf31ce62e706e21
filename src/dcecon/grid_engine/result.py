"""The result of a grid run: summary, main effects, 2-D tables, best and worst scenarios."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from dcecon.grid_engine import sketch
from dcecon.grid_engine.engine import RunStats
from dcecon.grid_engine.plan import GridPlan
from dcecon.grid_engine.reduce import DECILES, Layout, Partial
from dcecon.grid_engine.selection import parse_metrics
from dcecon.model.metrics import BY_NAME, HIGHER_IS_BETTER
from dcecon.scenario.errors import ScenarioError

QUANTILES = (0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99)
QUANTILE_NAMES = ("p1", "p5", "p25", "p50", "p75", "p95", "p99")


TABLE_STATS = ("mean", "min", "max", "count", "share_npv_positive", "share_gross_margin_positive")


def _mean(total, count):
    return np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)


@dataclasses.dataclass
class GridResult:
    """Reductions of a grid run (all host data).

    Attributes
    ----------
    plan : GridPlan
    merged : Partial
        The merged reductions of every chunk.
    layout : Layout
    stats : RunStats
    """

    plan: GridPlan
    merged: Partial
    layout: Layout
    stats: RunStats

    @property
    def metrics(self) -> tuple:
        """The metrics this run computed and reduced."""
        return self.layout.metrics

    def _column(self, metric: str) -> int:
        """Index of ``metric`` in the reductions; an unknown or uncomputed metric is a :class:`ScenarioError`."""
        if not isinstance(metric, str) or metric not in BY_NAME:
            parse_metrics([str(metric)], "metric")  # raises the message of --metrics for an unknown name
        if metric not in self.layout.metrics:
            raise ScenarioError("metric", metric, f"was not computed by this run; it computed "
                                                  f"{', '.join(self.layout.metrics)} (ask with --metrics)")
        return self.layout.metrics.index(metric)

    # --- per-metric summary ---------------------------------------------------------------------------------

    def metric_summary(self, metric: str) -> dict:
        """Count, mean, std, min/max with their scenarios, quantiles and the share of negatives of one metric."""
        i = self._column(metric)
        p = self.merged
        n_valid = int(p.count[i] + p.posinf[i] + p.neginf[i])
        out = {
            "count": int(self.plan.n_scenarios),
            "finite": int(p.count[i]),
            "nan": int(p.nan[i]),
            "posinf": int(p.posinf[i]),
            "neginf": int(p.neginf[i]),
            "mean": float(p.mean[i]) if p.count[i] else math.nan,
            "std": float(math.sqrt(p.m2[i] / p.count[i])) if p.count[i] else math.nan,
            "min": float(p.minimum[i]) if p.argmin[i] >= 0 else math.nan,
            "max": float(p.maximum[i]) if p.argmax[i] >= 0 else math.nan,
            "argmin": int(p.argmin[i]),
            "argmax": int(p.argmax[i]),
            "share_negative": float(p.negative[i] / n_valid) if n_valid else math.nan,
        }
        kept = p.sketch.shape[1] > 0  # quantile sketches switched off: no quantiles
        for name, value in zip(QUANTILE_NAMES, sketch.quantiles(p.sketch[i], QUANTILES) if kept
                               else [math.nan] * len(QUANTILES)):
            # a bucket's midpoint can lie just beyond the exact extremes; the extremes bound every quantile
            if out["argmin"] >= 0 and math.isfinite(value):
                value = min(max(value, out["min"]), out["max"])
            out[name] = value
        return out

    @property
    def summary(self):
        """One row per metric: count, nan, mean, std, min, quantiles, max, share negative (pandas)."""
        import pandas as pd

        rows = {metric: self.metric_summary(metric) for metric in self.metrics}
        columns = ["count", "finite", "nan", "posinf", "neginf", "mean", "std", "min", *QUANTILE_NAMES, "max",
                   "share_negative", "argmin", "argmax"]
        return pd.DataFrame.from_dict(rows, orient="index")[columns]

    @property
    def share_gross_margin_negative(self) -> float:
        """Share of scenarios (with a defined margin) whose window gross margin is below zero (NaN if not computed)."""
        return self.metric_summary("gross_margin")["share_negative"] if "gross_margin" in self.metrics else math.nan

    @property
    def share_npv_negative(self) -> float:
        """Share of scenarios whose NPV is below zero (NaN if not computed)."""
        return self.metric_summary("npv_usd")["share_negative"] if "npv_usd" in self.metrics else math.nan

    # --- scenarios --------------------------------------------------------------------------------------------

    def scenario(self, index: int) -> dict:
        """The dimension values of scenario ``index`` and its flat index."""
        n = self.plan.n_scenarios
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= int(index) < n:
            raise ScenarioError("index", str(index), f"is not a scenario of this run (0 to {n - 1:,})")
        return {"index": int(index), "parameters": self.plan.parameters_at(int(index))}

    def best(self, metric: str = "npv_usd") -> dict:
        """The scenario with the best value of ``metric`` (max, or min for costs), with its parameters."""
        s = self.metric_summary(metric)
        key = "max" if metric in HIGHER_IS_BETTER else "min"
        index = s["arg" + key]
        return {"metric": metric, "value": s[key], **(self.scenario(index) if index >= 0 else {"index": -1})}

    def worst(self, metric: str = "npv_usd") -> dict:
        """The scenario with the worst value of ``metric``, with its parameters."""
        s = self.metric_summary(metric)
        key = "min" if metric in HIGHER_IS_BETTER else "max"
        index = s["arg" + key]
        return {"metric": metric, "value": s[key], **(self.scenario(index) if index >= 0 else {"index": -1})}

    # --- main effects and tables ----------------------------------------------------------------------------

    def _dim_values(self, d: int) -> np.ndarray:
        """Numeric value of each group of dimension ``d``: the axis values, or each decile's median draw."""
        axis = self.plan.dimensions[d]
        if axis.values is not None:
            return np.asarray(axis.values, dtype=np.float64)
        return axis.distribution.ppf((np.arange(DECILES) + 0.5) / DECILES)

    def _dim_labels(self, d: int):
        dims = self.plan.dimensions
        axis = dims[d]
        if axis.values is not None:
            return [f"{v:g}" for v in axis.values]
        edges = np.linspace(0.0, 1.0, DECILES + 1)
        return [f"decile {k + 1} ({axis.distribution.ppf(np.asarray([edges[k]]))[0]:.6g} to "
                f"{axis.distribution.ppf(np.asarray([min(edges[k + 1], 1 - 1e-12)]))[0]:.6g})"
                for k in range(DECILES)]

    @property
    def marginals(self):
        """Main effects: per dimension value (or decile), the mean, min, max and count of each metric (pandas, long)."""
        import pandas as pd

        frames = []
        for d, table in self.merged.marginals.items():
            axis = self.plan.dimensions[d]
            labels = self._dim_labels(d)
            mean = _mean(table["sum"], table["count"])
            for j, metric in enumerate(self.metrics):
                frames.append(pd.DataFrame({
                    "path": axis.path,
                    "value": self._dim_values(d),
                    "label": labels,
                    "metric": metric,
                    "mean": mean[:, j],
                    "min": np.where(table["min"][:, j] <= table["max"][:, j], table["min"][:, j], np.nan),
                    "max": np.where(table["min"][:, j] <= table["max"][:, j], table["max"][:, j], np.nan),
                    "count": table["count"][:, j].astype(np.int64),
                }))
        if not frames:
            return pd.DataFrame(columns=["path", "value", "label", "metric", "mean", "min", "max", "count"])
        return pd.concat(frames, ignore_index=True)

    def marginal(self, path: str, metric: str = "gross_margin"):
        """Main effect of one dimension on one metric (pandas, indexed by value)."""
        frame = self.marginals
        picked = frame[(frame["path"] == path) & (frame["metric"] == metric)]
        if picked.empty:
            raise ScenarioError("path", path, "has no main-effects table in this run (not an axis of it, or run "
                                              "with tables off); axes: " + ", ".join(a.path for a in self.plan.dimensions))
        return picked.set_index("value")[["mean", "min", "max", "count"]]

    def _pair(self, x_path: str, y_path: str):
        index = {axis.path: d for d, axis in enumerate(self.plan.dimensions)}
        for path in (x_path, y_path):
            if path not in index:
                raise ScenarioError("path", path, "is not an axis of this run; axes: "
                                    + ", ".join(a.path for a in self.plan.dimensions))
        a, b = index[x_path], index[y_path]
        if (a, b) in self.merged.tables:
            return self.merged.tables[(a, b)], False
        if (b, a) in self.merged.tables:
            return self.merged.tables[(b, a)], True
        raise ScenarioError("table", f"{x_path}:{y_path}", f"no 2-D table in this run (kept for pairs of cartesian "
                                                         f"axes up to {65_536:,} cells, or those --tables named)")

    def table(self, x_path: str, y_path: str, stat: str = "mean", metric: str = "gross_margin"):
        """2-D table of ``stat`` of ``metric`` over two axes: rows ``y_path``, columns ``x_path`` (pandas).

        ``stat`` is one of ``mean``, ``min``, ``max``, ``count``,
        ``share_npv_positive``, ``share_gross_margin_positive`` (the data behind a heatmap).
        """
        import pandas as pd

        if stat not in TABLE_STATS:
            raise ScenarioError("stat", stat, f"must be one of {', '.join(TABLE_STATS)}")
        table, transposed = self._pair(x_path, y_path)
        j = self._column(metric)
        cells = table["count"][..., j]
        scenarios = table["scenarios"][..., 0]
        needed = {"share_npv_positive": "npv_usd", "share_gross_margin_positive": "gross_margin"}.get(stat)
        if needed:
            self._column(needed)
        if stat == "mean":
            value = _mean(table["sum"][..., j], cells)
        elif stat in ("min", "max"):
            # a cell with any non-NaN value has min <= max (all-infinite cells included)
            value = np.where(table["min"][..., j] <= table["max"][..., j], table[stat][..., j], np.nan)
        elif stat == "count":
            value = cells
        elif stat == "share_npv_positive":
            value = _mean(table["positive_npv"][..., 0], scenarios)
        else:
            value = _mean(table["positive_margin"][..., 0], scenarios)
        # stored as (first axis, second axis); rows = y, columns = x
        if not transposed:
            value = value.T
        dims = {axis.path: d for d, axis in enumerate(self.plan.dimensions)}
        frame = pd.DataFrame(value, index=self._dim_values(dims[y_path]), columns=self._dim_values(dims[x_path]))
        frame.index.name, frame.columns.name = y_path, x_path
        return frame

    def tables_long(self):
        """Every 2-D table in long form: x, y, metric, mean, min, max, count, shares (pandas)."""
        import pandas as pd

        frames = []
        dims = self.plan.dimensions
        for (a, b), table in self.merged.tables.items():
            xa, yb = self._dim_values(a), self._dim_values(b)
            grid_a, grid_b = np.meshgrid(np.arange(len(xa)), np.arange(len(yb)), indexing="ij")
            scenarios = table["scenarios"][..., 0]
            shares = {name: (_mean(table[key][..., 0], scenarios).ravel() if metric in self.metrics
                             else np.full(scenarios.size, np.nan))
                      for name, key, metric in (("share_npv_positive", "positive_npv", "npv_usd"),
                                                ("share_gross_margin_positive", "positive_margin", "gross_margin"))}
            for j, metric in enumerate(self.metrics):
                frames.append(pd.DataFrame({
                    "x_path": dims[a].path, "y_path": dims[b].path,
                    "x_value": np.asarray(xa)[grid_a].ravel(), "y_value": np.asarray(yb)[grid_b].ravel(),
                    "metric": metric,
                    "mean": _mean(table["sum"][..., j], table["count"][..., j]).ravel(),
                    "min": table["min"][..., j].ravel(), "max": table["max"][..., j].ravel(),
                    "count": table["count"][..., j].astype(np.int64).ravel(),
                    **shares,
                }))
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    # --- JSON -------------------------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict:
        """The ``summary.json`` object."""
        plan = self.plan
        return {
            "scenario": plan.scenario.name,
            "n_scenarios": plan.n_scenarios,
            "grid_shape": list(plan.shape),
            "samples": plan.n_samples if plan.sampled else 0,
            "sampler": plan.sampler if plan.sampled else None,
            "seed": plan.seed if plan.sampled else None,
            "dimensions": [
                {"path": a.path, "spec": a.spec, "size": a.size if a.values is not None else None,
                 "distribution": a.distribution.describe() if a.distribution else None}
                for a in plan.dimensions
            ],
            "backend": self.stats.backend,
            "dtype": self.stats.dtype,
            "seconds": self.stats.seconds,
            "scenarios_per_second": self.stats.scenarios_per_second,
            "chunks": self.stats.n_chunks,
            "chunk_size": self.stats.chunk_size,
            "quantile_relative_error": sketch.RELATIVE_ACCURACY,
            "share_gross_margin_negative": self.share_gross_margin_negative,
            "share_npv_negative": self.share_npv_negative,
            "selection": plan.selection.to_dict(),
            "metrics": {metric: self.metric_summary(metric) for metric in self.metrics},
            "best": {metric: self.best(metric) for metric in ("npv_usd", "gross_margin", "irr") if metric in self.metrics},
            "worst": {metric: self.worst(metric) for metric in ("npv_usd", "gross_margin", "irr")
                      if metric in self.metrics},
        }
