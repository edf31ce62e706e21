"""The tables of ``dcecon grid`` (a :class:`~dcecon.grid_engine.result.GridResult`): the run, the distribution
of every metric it computed, the best and worst scenarios and the main effect of each axis."""

from __future__ import annotations

from dcecon.report import format as fmt
from dcecon.report.html.markup import definitions, section, table, value_cell

SUMMARY_COLUMNS = ("mean", "min", "p5", "p50", "p95", "max")
"""Statistics of each metric over the grid, in the summary table's order."""

EXTREME_METRICS = ("npv_usd", "gross_margin", "irr")
"""Metrics whose best and worst scenarios are shown (those the run computed), as ``summary.json``."""

EFFECT_METRICS = ("gross_margin", "npv_usd")
"""Metrics whose mean is shown in the main-effect tables (the run's first metric when it computed neither)."""


def run_definitions(result) -> str:
    """What the grid is: its size, each dimension, and where it ran."""
    plan, stats = result.plan, result.stats
    pairs = [("scenarios", f"{plan.n_scenarios:,}"),
             ("computed on", f"{stats.backend} {stats.dtype}, {stats.n_chunks} chunk(s) of up to "
                             f"{stats.chunk_size:,}")]
    for axis in plan.dimensions:
        what = axis.distribution.describe() if axis.is_sampled else f"{axis.size} values {axis.spec}"
        pairs.append((axis.path, what))
    return definitions(pairs)


def summary_table(result) -> str:
    """One row per metric: mean, min, p5, p50, p95, max, the share of scenarios below zero, and how many
    scenarios have no finite value (an IRR that does not exist is NaN, a payback never reached +inf): the mean
    is over the finite values only (docs/grid.md "Reductions")."""
    rows = []
    for metric in result.metrics:
        s, f = result.metric_summary(metric), fmt.metric_format(metric)
        not_finite = int(s["nan"] + s["posinf"] + s["neginf"])
        rows.append([metric] + [value_cell(s[column], f) for column in SUMMARY_COLUMNS]
                    + [value_cell(s["share_negative"], fmt.percent), f"{not_finite:,}" if not_finite else ""])
    return table("Distribution over the grid (mean over finite values)",
                 ("metric", *SUMMARY_COLUMNS, "share < 0", "not finite"), rows, "grid-summary",
                 row_keys=list(result.metrics))


def extremes_table(result) -> str:
    """The best and the worst scenario of NPV, gross margin and IRR, with their parameters."""
    rows, keys = [], []
    for label, pick in (("best", result.best), ("worst", result.worst)):
        for metric in (m for m in EXTREME_METRICS if m in result.metrics):
            entry = pick(metric)
            params = ", ".join(f"{k}={v:.6g}" for k, v in entry.get("parameters", {}).items())
            rows.append([label, metric, value_cell(entry["value"], fmt.metric_format(metric)), params])
            keys.append(f"{label}-{metric}")
    return table("Best and worst scenarios", ("", "metric", "value", "parameters"), rows, "grid-extremes",
                 numeric={2}, row_keys=keys)


def effect_table(result, d: int) -> str:
    """Main effect of dimension ``d``: per value (or decile), the mean of the margin and NPV and the share of
    scenarios with a positive NPV."""
    axis, marginal = result.plan.dimensions[d], result.merged.marginals[d]
    shown = [m for m in EFFECT_METRICS if m in result.metrics] or [result.metrics[0]]
    means = {m: result.marginal(axis.path, m)["mean"].to_numpy() for m in shown}
    header = ["value", *(f"mean {m}" for m in shown)]
    scenarios = marginal["scenarios"][:, 0]
    positive = "npv_usd" in result.metrics
    if positive:
        header.append("share NPV > 0")
        share = marginal["positive_npv"][:, 0] / scenarios.clip(min=1)
    rows = []
    for i, label in enumerate(result._dim_labels(d)):
        row = [label] + [value_cell(means[m][i], fmt.metric_format(m)) for m in shown]
        rows.append(row + ([value_cell(share[i], fmt.percent)] if positive else []))
    return table(f"Main effect of {axis.path}", header, rows, f"effect-{axis.path}")


def grid_sections(result) -> list[str]:
    """The grid's run, summary, extremes and main effects as page sections."""
    parts = [section("The grid", run_definitions(result), key="grid"),
             section("Summary", summary_table(result), extremes_table(result), key="summary")]
    effects = [effect_table(result, d) for d in range(len(result.plan.dimensions)) if d in result.merged.marginals]
    if effects:
        parts.append(section("Main effects", *effects, key="effects"))
    return parts

