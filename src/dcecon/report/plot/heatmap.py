"""Heatmaps of a metric over two inputs, with exact break-even lines and the base scenario marked.

``dcecon table --plot`` and ``dcecon grid --plot`` draw them. The break-even
lines are never contours of the cells: each is the ``breakeven`` frame of a
:func:`dcecon.analysis.data_table.data_table` (for every row, the exact column
value where the metric is zero, closed form or bracketed root), drawn through
the rows at those exact values.
"""

from __future__ import annotations

import math

import numpy as np

from dcecon.report.plot import style

LINE_METRICS = ("gross_margin", "npv_usd")
"""The break-even lines drawn by default: gross margin = 0 and NPV = 0."""

LINE_STYLES = {"gross_margin": {"linestyle": "-", "marker": "o"}, "npv_usd": {"linestyle": "--", "marker": "s"}}
"""How each break-even line is drawn (black on a white halo, so it reads on dark and light cells)."""

CMAP = "cividis"
"""Colour map of the cells: its lightness rises steadily, so the cells keep their order in grey print."""

ANNOTATE_MAX_CELLS = 120
"""Tables up to this many cells print each cell's value in it [cells]."""


def _csv(values) -> str:
    return ",".join(repr(float(v)) for v in values)


def breakeven_lines(scenario, rows: str, cols: str, metrics=LINE_METRICS, overrides=(), backend="auto") -> dict:
    """The exact break-even line of each metric over a two-way table: ``{metric: DataTable}``.

    Parameters
    ----------
    scenario : Scenario, str or path
    rows, cols : str
        ``'PATH=SPEC'`` of the rows and columns (as :func:`dcecon.data_table`).
    metrics : iterable of str
        The metrics whose zero is drawn.
    overrides : list of 'PATH=VALUE'
    backend : str

    Returns
    -------
    dict of str to DataTable
        Each with its ``breakeven`` frame (per row: the column value where the metric is zero).
    """
    from dcecon.analysis.data_table import data_table

    return {metric: data_table(scenario, rows, cols, metric, True, overrides, backend) for metric in metrics}


def base_value(scenario, path: str, overrides=()) -> float | None:
    """The scenario's value of ``path`` (every field a ``*`` path sets, when they agree), or None."""
    from dcecon.analysis.goal_seek import load_fleet
    from dcecon.scenario import paths

    raw, _, file = load_fleet(scenario, overrides)
    values = {paths.get_value(raw, concrete) for concrete in paths.expand(raw, path, file)}
    if len(values) != 1:
        return None
    value = values.pop()
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres: midpoints, and half a step beyond each end."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 1:
        half = 0.5 * max(abs(values[0]), 1.0) * 0.1
        return np.array([values[0] - half, values[0] + half])
    middle = (values[1:] + values[:-1]) / 2
    return np.concatenate([[2 * values[0] - middle[0]], middle, [2 * values[-1] - middle[-1]]])


def _cell_text(value: float, factor: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    shown = value / factor
    return f"{shown:.3g}"


CELL_TEXT_DROP = 0.55
"""How far below its row's centre a cell's number is written, as a share of the way to the cell's lower edge."""


def draw_heatmap(ax, x_values, y_values, values, metric: str, x_path: str, y_path: str, lines=None, base=None):
    """Draw ``values`` (rows ``y_values``, columns ``x_values``) on ``ax`` with break-even lines and the base.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x_values, y_values : array
        Column and row values [units of the fields].
    values : array, shape (rows, columns)
        The metric [units of the metric].
    metric, x_path, y_path : str
        The metric and the fields, for labels and units.
    lines : dict of str to DataTable, optional
        Break-even lines: for each metric, a two-way data table over the same rows whose ``breakeven`` frame
        gives, per row, the column value where that metric is zero. Drawn as ``Line2D`` artists with ``gid``
        ``breakeven-METRIC``, x = the exact break-even values, y = the row values.
    base : (float, float), optional
        The base scenario's ``(x, y)``, marked with a star.

    Returns
    -------
    matplotlib.collections.QuadMesh
    """
    x_values = np.asarray(x_values, dtype=np.float64)
    y_values = np.asarray(y_values, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    factor, unit = style.metric_scale(metric, values.ravel())
    x_order, y_order = np.argsort(x_values), np.argsort(y_values)
    xs, ys = x_values[x_order], y_values[y_order]
    z = values[np.ix_(y_order, x_order)] / factor
    mesh = ax.pcolormesh(_edges(xs), _edges(ys), np.ma.masked_invalid(z), cmap=CMAP, shading="flat")
    colorbar = ax.figure.colorbar(mesh, ax=ax)
    colorbar.set_label(style.label(metric, unit))
    if z.size <= ANNOTATE_MAX_CELLS:
        finite = z[np.isfinite(z)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        y_edges = _edges(ys)
        for i, yv in enumerate(ys):
            low = yv - CELL_TEXT_DROP * (yv - y_edges[i])  # below the row's centre line, where the break-even
            for j, xv in enumerate(xs):                    # markers and the base star sit
                ax.text(xv, low, _cell_text(z[i, j], 1.0), ha="center", va="center", fontsize=6.5,
                        color="black" if math.isfinite(z[i, j]) and z[i, j] > middle else "white")
    import matplotlib.patheffects as effects

    halo = [effects.Stroke(linewidth=4.0, foreground="white"), effects.Normal()]
    for metric_name, table in (lines or {}).items():
        frame = table.breakeven
        if frame is None or table.col_path is None:
            continue
        found = frame[table.col_path].to_numpy(dtype=np.float64)
        drawn = LINE_STYLES.get(metric_name, {"linestyle": "-.", "marker": "^"})
        artist, = ax.plot(found, np.asarray(table.row_values, dtype=np.float64), color="black", linewidth=1.8,
                          markersize=3.5, path_effects=halo, label=f"{metric_name} = 0 (exact break-even)", **drawn)
        artist.set_gid(f"breakeven-{metric_name}")
    if base is not None and all(v is not None and math.isfinite(v) for v in base):
        marker, = ax.plot([base[0]], [base[1]], marker="*", markersize=14, color="white", markeredgecolor="black",
                          linestyle="none", label=f"base scenario ({x_path.rsplit('.', 1)[-1]} {base[0]:g}, "
                                                 f"{y_path.rsplit('.', 1)[-1]} {base[1]:g})")
        marker.set_gid("base-scenario")
    edges_x, edges_y = _edges(xs), _edges(ys)
    ax.set_xlim(edges_x[0], edges_x[-1])
    ax.set_ylim(edges_y[0], edges_y[-1])
    ax.set_xlabel(style.field_label(x_path))
    ax.set_ylabel(style.field_label(y_path))
    ax.grid(False)
    handles, labels = ax.get_legend_handles_labels()
    if handles:  # outside the cells, which fill the axes
        ax.figure.legend(handles, labels, fontsize=7, loc="outside upper center", ncols=3)
    return mesh


def _line_note(lines) -> str:
    methods = sorted({m for table in (lines or {}).values() if table.breakeven is not None
                      for m in table.breakeven["method"]})
    if not lines:
        return "no break-even lines"
    return ("break-even lines: for each row, the exact column value where the metric is zero (" + ", ".join(methods)
            + "; docs/tables.md)")


def table_heatmap(table, lines=None, base=None, source: str | None = None):
    """Heatmap of a two-way data table (``dcecon table --cols ... --plot``).

    Parameters
    ----------
    table : DataTable
        From :func:`dcecon.data_table` with ``cols``.
    lines : dict of str to DataTable, optional
        Break-even lines (:func:`breakeven_lines`); by default the table's own, when it has one.
    base : (float, float), optional
        The base scenario's column and row values.
    source : str, optional
        The source line (by default the scenario's name).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from dcecon.scenario.errors import ScenarioError

    if table.col_path is None:
        raise ScenarioError("table", table.row_path, "is a one-way table; a heatmap needs cols (use table_line)")
    if lines is None and table.breakeven is not None:
        lines = {table.metric: table}
    figure, ax = style.new_figure(size=(8.0, 5.6))
    draw_heatmap(ax, table.col_values, table.row_values, table.values, table.metric, table.col_path,
                 table.row_path, lines, base)
    ax.set_title(f"{table.scenario}: {table.metric}")
    style.add_source(figure, f"{source or 'scenario ' + table.scenario}; data table on {table.backend}; "
                             f"{_line_note(lines)}")
    return figure


def table_line(table, source: str | None = None):
    """A one-way data table as a line, with its exact break-even marked (``dcecon table --plot`` without
    ``--cols``).

    Parameters
    ----------
    table : DataTable
        One-way (no ``cols``).
    source : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    values = table.values[:, 0]
    factor, unit = style.metric_scale(table.metric, values)
    figure, ax = style.new_figure()
    ax.plot(table.row_values, values / factor, label=table.metric, **style.line(0))
    ax.axhline(0.0, color="black", linewidth=0.8)
    if table.breakeven is not None:
        found = float(table.breakeven[table.row_path].iloc[0])
        if math.isfinite(found):
            artist = ax.axvline(found, color="black", linestyle="--", linewidth=1.2,
                                label=f"break-even {found:.6g} ({table.breakeven['method'].iloc[0]})")
            artist.set_gid(f"breakeven-{table.metric}")
    ax.set_xlabel(style.field_label(table.row_path))
    ax.set_ylabel(style.label(table.metric, unit))
    ax.set_title(f"{table.scenario}: {table.metric}")
    ax.legend(fontsize=7)
    style.add_source(figure, f"{source or 'scenario ' + table.scenario}; data table on {table.backend}")
    return figure


def grid_heatmap(result, metric: str = "gross_margin", x_path: str | None = None, y_path: str | None = None,
                 lines=None, base=None, source: str | None = None):
    """Heatmap of a grid run's 2-D table: the mean of ``metric`` in each cell of two axes.

    Parameters
    ----------
    result : GridResult
    metric : str
        A metric the run computed.
    x_path, y_path : str, optional
        The two axes (default: the first pair the run kept a table for).
    lines : dict of str to DataTable, optional
        Exact break-even lines over the same two axes (:func:`breakeven_lines`, rows ``y_path``).
    base : (float, float), optional
        The base scenario's ``x`` and ``y`` values.
    source : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if x_path is None or y_path is None:
        x_path, y_path = first_pair(result)
    frame = result.table(x_path, y_path, "mean", metric)
    figure, ax = style.new_figure(size=(8.0, 5.6))
    draw_heatmap(ax, frame.columns.to_numpy(), frame.index.to_numpy(), frame.to_numpy(), metric, x_path, y_path,
                 lines, base)
    others = [a.path for a in result.plan.dimensions if a.path not in (x_path, y_path)]
    over = f"mean over {', '.join(others)}" if others else "one scenario per cell"
    ax.set_title(f"{result.plan.scenario.name}: {metric} ({over})")
    style.add_source(figure, f"{source or style.scenario_source(result.plan.scenario)}; grid of "
                             f"{result.plan.n_scenarios:,} scenarios "
                             f"{style.computed_on(result.stats.backend, result.stats.dtype)}; {_line_note(lines)}")
    return figure


def first_pair(result) -> tuple[str, str]:
    """``(x_path, y_path)`` of the first 2-D table a grid run kept (rows the first axis, columns the second, as
    a data table's); :class:`ScenarioError` when it kept none."""
    from dcecon.scenario.errors import ScenarioError

    if not result.merged.tables:
        raise ScenarioError("--plot", None, "the grid kept no 2-D table to draw (it needs two axes and --tables "
                                            "auto or a pair)")
    a, b = sorted(result.merged.tables)[0]
    dims = result.plan.dimensions
    return dims[b].path, dims[a].path


def grid_lines(result, backend="auto", metrics=LINE_METRICS) -> dict:
    """Exact break-even lines of a grid over exactly two listed axes and no sampled input (else ``{}``: in a
    mean over other inputs a break-even is not one line)."""
    plan = result.plan
    if len(plan.dimensions) != 2 or plan.sampled or any(a.values is None for a in plan.dimensions):
        return {}
    x_path, y_path = first_pair(result)
    dims = {a.path: a for a in plan.dimensions}
    wanted = [m for m in metrics if m in result.metrics]
    return breakeven_lines(plan.scenario, f"{y_path}={_csv(dims[y_path].values)}",
                           f"{x_path}={_csv(dims[x_path].values)}", wanted, backend=backend)


def grid_main_effects(result, metric: str = "gross_margin"):
    """Main effects of a grid run: the mean of ``metric`` at each value of each axis, with the min to max range
    of the scenarios that share that value (one panel per axis).

    Parameters
    ----------
    result : GridResult
    metric : str
        A metric the run computed.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ScenarioError
        The run kept no main-effects table (``--tables none``).
    """
    from dcecon.scenario.errors import ScenarioError

    frame = result.marginals
    paths = list(dict.fromkeys(frame["path"])) if len(frame) else []
    if not paths:
        raise ScenarioError("--plot", None, "the grid kept no tables to draw (run it with --tables auto)")
    figure, axes = style.new_figure(n_axes=len(paths), size=(4.0 * len(paths) + 1.0, 4.8), sharey=True)
    axes = list(np.atleast_1d(axes))
    effects = [result.marginal(path, metric) for path in paths]
    factor, unit = style.metric_scale(metric, np.concatenate([e[["min", "max"]].to_numpy().ravel() for e in effects]))
    for ax, path, effect in zip(axes, paths, effects):
        x = effect.index.to_numpy(dtype=np.float64)
        ax.fill_between(x, effect["min"] / factor, effect["max"] / factor, color="0.85", hatch="//",
                        edgecolor="0.6", label="min to max")
        ax.plot(x, effect["mean"] / factor, label="mean", **style.line(0))
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(style.field_label(path))
    axes[0].set_ylabel(style.label(metric, unit))
    axes[0].legend(fontsize=7)
    figure.suptitle(f"{result.plan.scenario.name}: main effects on {metric}")
    style.add_source(figure, f"{style.scenario_source(result.plan.scenario)}; grid of "
                             f"{result.plan.n_scenarios:,} scenarios; mean, min and max over the scenarios that "
                             f"share each value (a sampled input: each decile of its draws)")
    return figure


def grid_figures(result, backend="auto") -> dict:
    """Heatmaps of a grid run (gross margin and NPV, where computed) over its first pair of axes, with exact
    break-even lines for a two-axis grid, by file stem; main effects (``main-effects-METRIC``) for a run that
    kept no 2-D table (one axis)."""
    shown = [m for m in LINE_METRICS if m in result.metrics] or [result.metrics[0]]
    if not result.merged.tables:
        return {f"main-effects-{metric}": grid_main_effects(result, metric) for metric in shown}
    x_path, y_path = first_pair(result)
    lines = grid_lines(result, backend)
    base = (base_value(result.plan.scenario, x_path), base_value(result.plan.scenario, y_path))
    return {f"heatmap-{metric}": grid_heatmap(result, metric, x_path, y_path, lines, base) for metric in shown}


def table_figures(table, overrides=(), backend="auto", scenario=None) -> dict:
    """Figures of ``dcecon table --plot``: a two-way table's heatmap with the gross margin = 0 and NPV = 0
    lines (and the table metric's own), or a one-way table's line, by file stem."""
    if table.col_path is None:
        return {f"table-{table.metric}": table_line(table)}
    scenario = table.scenario if scenario is None else scenario
    rows = f"{table.row_path}={_csv(table.row_values)}"
    cols = f"{table.col_path}={_csv(table.col_values)}"
    metrics = list(LINE_METRICS)
    if table.breakeven is not None and table.metric not in metrics:
        metrics.append(table.metric)
    lines = {m: (table if m == table.metric and table.breakeven is not None else None) for m in metrics}
    computed = breakeven_lines(scenario, rows, cols, [m for m, t in lines.items() if t is None], overrides, backend)
    lines.update(computed)
    base = (base_value(scenario, table.col_path, overrides), base_value(scenario, table.row_path, overrides))
    return {f"heatmap-{table.metric}": table_heatmap(table, lines, base)}
