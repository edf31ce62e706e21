"""The tables of the analyses: data table (``dcecon table``), tornado, Monte Carlo, Sobol', Morris and goal seek.

Each function takes the analysis's result object and returns page sections; nothing is recomputed. Metric
values print as the console reports print them (:func:`dcecon.report.format.metric_format`); inputs print
with the unit of their scenario field.
"""

from __future__ import annotations

import math

from dcecon.report import format as fmt
from dcecon.report.data_table import MAX_ROWS_SHOWN, axis_value, solved_value
from dcecon.report.html.markup import Cell, definitions, paragraph, section, table, value_cell
from dcecon.report.units import field_unit, unit_text

PERCENTILES_SHOWN = (5, 50, 95)
"""Monte Carlo percentiles in the statistics table [%]."""


def path_unit(path: str) -> str:
    """The unit of a scenario path's field as it prints (``USD/GPU-hour``, ``fraction``, ``ratio``); ``""`` for a
    path the schema does not know."""
    unit = field_unit(path, "")
    return unit_text(unit, path) if unit else ""


def with_unit(path: str) -> str:
    """``cohorts.0.utilization [fraction]``: a path with its unit in brackets, when it has one."""
    unit = path_unit(path)
    return f"{path} [{unit}]" if unit else path


def input_cell(value) -> Cell:
    """An input value (``0.75``, ``1.2e+06``) kept exact; ``-`` for None."""
    return Cell("-") if value is None else Cell(axis_value(float(value)), float(value))


def bound_cell(value: float, text: str) -> Cell:
    """One end of a tornado range: its value, with the bound as given when that was relative
    (``1.6 (-20%)``)."""
    shown = axis_value(value)
    return Cell(shown if text == shown else f"{shown} ({text})", value)


def signed(value: float) -> str:
    """``+0.731``: a correlation or regression coefficient, three decimals."""
    return f"{value:+.3f}" if math.isfinite(value) else fmt.percent(value)


# --- dcecon table ---------------------------------------------------------------------------------------------

def data_table_sections(result) -> list[str]:
    """The data table (rows x columns of the metric, with the break-even column of a two-way table) and its
    break-even line."""
    show = fmt.metric_format(result.metric)
    two_way = result.col_path is not None
    header = [with_unit(result.row_path)] + ([axis_value(v) for v in result.col_values] if two_way
                                             else [result.metric])
    breakeven = result.breakeven if two_way else None
    if breakeven is not None:
        header.append(f"break-even {result.col_path}")
    rows = []
    for i, row_value in enumerate(result.row_values):
        row = [input_cell(row_value)] + [value_cell(float(v), show) for v in result.values[i]]
        if breakeven is not None:
            value = float(breakeven.iloc[i][result.col_path])
            row.append(Cell(solved_value(value), value) if math.isfinite(value) else breakeven.iloc[i]["method"])
        rows.append(row)
    where = f"rows {result.row_path}, columns {result.col_path}" if two_way else f"over {result.row_path}"
    parts = [table(f"{result.metric} of {result.scenario} ({where})", header, rows, "data-table")]
    if result.breakeven is not None:
        solved = result.col_path or result.row_path
        lo, hi = result.search
        methods = ", ".join(sorted(set(result.breakeven["method"])))
        if not two_way:
            value = float(result.breakeven[solved].iloc[0])
            parts.append(paragraph(f"break-even {solved}: "
                                   f"{solved_value(value) if math.isfinite(value) else 'none in range'}"))
        parts.append(paragraph(f"break-even: where {result.metric} = 0 ({methods}; searched over {lo:g} to {hi:g})"))
    return [section("Data table", *parts, key="data-table")]


# --- dcecon tornado --------------------------------------------------------------------------------------------

def tornado_sections(result) -> list[str]:
    """The tornado: the base value, then each input's range and the metric at its ends, largest swing first."""
    show = fmt.metric_format(result.metric)
    rows = [[s.path, input_cell(s.base), bound_cell(s.low, s.low_text), bound_cell(s.high, s.high_text),
             value_cell(s.metric_at_low, show),
             value_cell(s.metric_at_high, show), value_cell(s.swing, show)] for s in result.inputs]
    header = ("input", "base value", "low", "high", f"{result.metric} at low", f"{result.metric} at high", "swing")
    about = definitions([(f"base {result.metric}", show(result.base_metric)),
                         ("evaluated", f"{result.n_points:,} scenarios on {result.backend} {result.dtype}")])
    return [section(f"Tornado of {result.metric}", about,
                    table(f"Inputs by swing of {result.metric}, one at a time, the others at base", header, rows,
                          "tornado", row_keys=[s.path for s in result.inputs]), key="tornado")]


# --- dcecon montecarlo -----------------------------------------------------------------------------------------

def _share_text(value: float, se: float) -> str:
    return f"{100 * value:.2f}% ± {100 * se:.2f}%" if math.isfinite(value) else fmt.percent(value)


def _se_text(f, value: float) -> str:
    return f"{100 * value:.2f}%" if f is fmt.percent and math.isfinite(value) else f(value)


def monte_carlo_headline(result) -> str:
    """P(NPV < 0) and P(gross margin < 0) with their standard errors, the expected shortfall, the mean of
    ``--metric``."""
    s, f = result.summary, fmt.metric_format(result.metric)
    rows = [["P(NPV < 0)", Cell(_share_text(s["p_npv_negative"], s["p_npv_negative_se"]), s["p_npv_negative"])],
            ["P(gross margin < 0)", Cell(_share_text(s["p_gross_margin_negative"], s["p_gross_margin_negative_se"]),
                                         s["p_gross_margin_negative"])],
            ["expected shortfall of NPV at 5% (mean of the worst 5%)",
             value_cell(s["expected_shortfall_npv_usd_5"], fmt.money)],
            [f"mean {result.metric}", Cell(f"{f(s['mean'])} ± {_se_text(f, s['se'])}", s["mean"])]]
    draws = f"{result.draws:,} draws, {result.backend} {result.dtype}"
    return table(f"Monte Carlo of {result.scenario}: {draws}", ("figure", "value (± standard error)"), rows,
                 "mc-headline", row_keys=["p_npv_negative", "p_gross_margin_negative",
                                          "expected_shortfall_npv_usd_5", "mean"])


def monte_carlo_statistics(result) -> str:
    """One row per metric: mean, SE, standard deviation, P(< 0), p5, p50, p95."""
    rows = []
    for name in result.metrics:
        st, f = result.statistics[name], fmt.metric_format(name)
        rows.append([name, value_cell(st["mean"], f), Cell(_se_text(f, st["se"]), st["se"]), value_cell(st["std"], f),
                     value_cell(st["share_negative"], fmt.percent)]
                    + [value_cell(st[f"p{p}"], f) for p in PERCENTILES_SHOWN])
    how = "exact" if result.quantile_relative_error == 0 else "quantile sketch, ±0.39%"
    header = ("metric", "mean", "SE", "std", "P(< 0)", *(f"p{p}" for p in PERCENTILES_SHOWN))
    return table(f"Distributions (percentiles {how})", header, rows, "mc-statistics", row_keys=list(result.metrics))


def monte_carlo_sections(result) -> list[str]:
    """Inputs and their distributions, headline risk figures, statistics, rank correlations and the
    regression tornado."""
    inputs = table("Inputs drawn", ("input", "distribution"), [[with_unit(p), d] for p, d in
                                                               zip(result.inputs, result.distributions)],
                   "mc-inputs", numeric=set())
    parts = [inputs, monte_carlo_headline(result), monte_carlo_statistics(result)]
    frame = result.correlation_frame()
    if not frame.empty:
        parts.append(table(f"Rank correlations of the inputs (Spearman, first {result.kept_draws:,} draws)",
                           ("input A", "input B", "requested", "achieved"),
                           [[r.input_a, r.input_b, Cell(signed(r.requested), r.requested),
                             Cell(signed(r.achieved), r.achieved)] for r in frame.itertuples()],
                           "mc-correlations", numeric={2, 3}))
    reg = result.regression[result.metric]
    parts.append(table(f"Regression tornado of {result.metric} (standardized rank regression, R² "
                       f"{reg.r_squared:.3f}, {reg.draws:,} draws)",
                       ("input", "SRRC", "contribution to variance", "rank correlation"),
                       [[r.input, Cell(signed(r.srrc), r.srrc), value_cell(r.contribution_to_variance, fmt.percent),
                         Cell(signed(r.spearman), r.spearman)] for r in reg.to_frame().itertuples()],
                       "mc-regression"))
    return [section("Monte Carlo", *parts, key="monte-carlo")]


# --- dcecon sobol, morris ------------------------------------------------------------------------------------

def _index(value: float, half_width: float) -> Cell:
    return Cell(f"{value:.3f} ± {half_width:.3f}", value)


def sobol_sections(result) -> list[str]:
    """Settings and the metric's spread, then S1 and ST of each input with their confidence intervals."""
    f = fmt.metric_format(result.metric)
    about = definitions([("design", f"n = {result.n:,}, {result.n_evaluations:,} evaluations, seed {result.seed}, "
                                    f"{result.backend} {result.dtype}"),
                         (f"{result.metric} over the design", f"mean {f(result.mean)}, std {f(result.std)}"),
                         ("confidence", f"{100 * result.conf_level:g}% (bootstrap)")])
    rows = [[with_unit(r.input), input_cell(r.low), input_cell(r.high), _index(r.S1, r.S1_conf),
             _index(r.ST, r.ST_conf)] for r in result.to_frame().itertuples()]
    parts = [about, table(f"Sobol' indices of {result.metric}, largest total first",
                          ("input", "low", "high", "S1", "ST"), rows, "sobol",
                          row_keys=list(result.to_frame()["input"]))]
    if result.s2 is not None:
        parts.append(table("Second-order indices", ("input A", "input B", "S2"),
                           [[r.input_a, r.input_b, _index(r.S2, r.S2_conf)]
                            for r in result.second_order_frame().itertuples()], "sobol-s2", numeric={2}))
    return [section(f"Sobol' indices of {result.metric}", *parts, key="sobol")]


def morris_sections(result) -> list[str]:
    """Settings, then mu, mu* (with its confidence interval) and sigma of each input, largest mu* first."""
    f = fmt.metric_format(result.metric)
    about = definitions([("design", f"{result.trajectories:,} trajectories, {result.levels} levels, "
                                    f"{result.n_evaluations:,} evaluations, seed {result.seed}, "
                                    f"{result.backend} {result.dtype}")])
    frame = result.to_frame()
    rows = [[with_unit(r.input), input_cell(r.low), input_cell(r.high), value_cell(r.mu, f),
             Cell(f"{f(r.mu_star)} ± {f(r.mu_star_conf)}", r.mu_star), value_cell(r.sigma, f)]
            for r in frame.itertuples()]
    return [section(f"Morris screening of {result.metric}", about,
                    table(f"Elementary effects of {result.metric} per full range, largest mu* first",
                          ("input", "low", "high", "mu", "mu*", "sigma"), rows, "morris",
                          row_keys=list(frame["input"])), key="morris")]


# --- dcecon goal-seek ----------------------------------------------------------------------------------------

def goal_seek_sections(result) -> list[str]:
    """One row per grid point (at most :data:`~dcecon.report.data_table.MAX_ROWS_SHOWN`): the axes, the solved
    value, the metric there and how it was found."""
    show = fmt.metric_format(result.metric)
    frame = result.to_frame()
    rows = [[*(input_cell(row[p]) for p in result.axes),
             Cell(solved_value(float(row[result.solve])), float(row[result.solve])),
             value_cell(float(row[result.metric]), show), row["method"]]
            for _, row in frame.head(MAX_ROWS_SHOWN).iterrows()]
    header = [*result.axes, with_unit(result.solve), result.metric, "method"]
    if not result.axes:  # one point: the first column heads the row
        rows = [[f"{result.scenario}", *row] for row in rows]
        header = ["scenario", *header]
    lo, hi = result.search
    parts = [table(f"{result.solve} giving {result.metric} = {show(result.target)} ({result.scenario})", header,
                   rows, "goal-seek"),
             paragraph(f"searched {result.solve} over {lo:g} to {hi:g}; {result.evaluations:,} scenarios evaluated "
                       f"on {result.backend}")]
    if len(frame) > MAX_ROWS_SHOWN:
        parts.append(paragraph(f"... {len(frame) - MAX_ROWS_SHOWN:,} more points (to_frame() holds them all)"))
    return [section("Goal seek", *parts, key="goal-seek")]
