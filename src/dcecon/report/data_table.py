"""Render data tables with their break-even line (``dcecon table``) and goal seeks (``dcecon goal-seek``)."""

from __future__ import annotations

import math

from rich.table import Table

from dcecon.analysis.goal_seek import RELATIVE_TOLERANCE
from dcecon.report import format as fmt
from dcecon.report.console import make_console

MAX_ROWS_SHOWN = 200
"""Rows of a goal seek printed at most (``--json`` has them all)."""

def axis_value(value: float) -> str:
    """An input value as a header or row label: ``0.5``, ``2.25``, ``1.2e+06``."""
    return f"{value:g}"


def solved_value(value: float) -> str:
    """A solved input (break-even, goal seek): nine significant digits, ``-`` where none."""
    return f"{value:.9g}" if math.isfinite(value) else "-"


def render_data_table(table, console=None) -> None:
    """Print a :class:`~dcecon.analysis.data_table.DataTable`: the grid of the metric, with a break-even
    column (two-way) or line (one-way)."""
    console = console or make_console()
    show = fmt.metric_format(table.metric)
    two_way = table.col_path is not None
    title = f"{table.metric} of {table.scenario}" + (f" (rows {table.row_path}, columns {table.col_path})"
                                                     if two_way else f" over {table.row_path}")
    out = Table(title=title, header_style="bold")
    out.add_column(table.row_path, justify="right")
    columns = [axis_value(v) for v in table.col_values] if two_way else [table.metric]
    for label in columns:
        out.add_column(label, justify="right")
    breakeven = table.breakeven if two_way else None
    if breakeven is not None:
        out.add_column("break-even", justify="right", style="bold")
    for i, row_value in enumerate(table.row_values):
        cells = [axis_value(row_value)] + [show(float(v)) for v in table.values[i]]
        if breakeven is not None:
            row = breakeven.iloc[i]
            value = float(row[table.col_path])
            cells.append(solved_value(value) if math.isfinite(value) else row["method"])
        out.add_row(*cells)
    console.print(out)
    if table.breakeven is None:
        return
    solved = table.col_path or table.row_path
    methods = sorted(set(table.breakeven["method"]))
    lo, hi = table.search
    if not two_way:
        value = float(table.breakeven[solved].iloc[0])
        found = solved_value(value) if math.isfinite(value) else "none in range"
        console.print(f"break-even {solved}: {found}")
    tolerance = f"1e{round(math.log10(RELATIVE_TOLERANCE))}"  # 1e-9, as the docs write it
    found_any = any(m != "none in range" for m in methods)
    checked = f", the metric there is 0 to {tolerance} relative" if found_any else ""
    console.print(f"break-even: where {table.metric} = 0 ({', '.join(methods)}; searched over {lo:g} to {hi:g}"
                  f"{checked})")


def render_goal_seek(result, console=None) -> None:
    """Print a :class:`~dcecon.analysis.goal_seek.GoalSeekResult`: one row per grid point (at most
    :data:`MAX_ROWS_SHOWN`)."""
    console = console or make_console()
    show = fmt.metric_format(result.metric)
    frame = result.to_frame()
    out = Table(title=f"{result.solve} giving {result.metric} = {show(result.target)} ({result.scenario})",
                header_style="bold")
    for path in result.axes:
        out.add_column(path, justify="right")
    out.add_column(result.solve, justify="right", style="bold")
    out.add_column(result.metric, justify="right")
    out.add_column("method")
    for _, row in frame.head(MAX_ROWS_SHOWN).iterrows():
        value = float(row[result.solve])
        out.add_row(*[axis_value(float(row[p])) for p in result.axes], solved_value(value),
                    show(float(row[result.metric])), row["method"])
    console.print(out)
    if len(frame) > MAX_ROWS_SHOWN:
        console.print(f"... {len(frame) - MAX_ROWS_SHOWN:,} more points (--json prints them all)")
    unreachable = int((frame["method"] == "unreachable").sum())
    lo, hi = result.search
    console.print(f"{len(frame) - unreachable:,} of {len(frame):,} points solved to 1e-9 relative "
                  f"(searched {result.solve} over {lo:g} to {hi:g}; {result.evaluations:,} scenarios evaluated on "
                  f"{result.backend})" + (f"; {unreachable:,} unreachable" if unreachable else ""))
