"""The report of ``dcecon tornado``: the tornado table with its bars, and the spider table."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from dcecon.report import format as fmt

BAR_HALF_WIDTH = 20
"""Characters of a tornado bar on each side of the base metric [characters]."""

LOW_STYLE, HIGH_STYLE = "cyan", "magenta"
"""Colours of the part of a bar where the input is at its low and at its high value."""

def _value(value) -> str:
    """An input's value: thousands separated, except a calendar year (``2024``, ``2025.5``)."""
    if value is None:
        return "-"
    return f"{value:.6g}" if 1900 <= abs(value) < 2200 else f"{value:,.6g}"


def _bar(low_offset: float, high_offset: float, scale: float) -> Text:
    """A bar centred on the base: each end's offset from it, scaled so that ``scale`` fills one side."""
    left, right = [" "] * BAR_HALF_WIDTH, [" "] * BAR_HALF_WIDTH
    styles_left, styles_right = [None] * BAR_HALF_WIDTH, [None] * BAR_HALF_WIDTH
    for offset, style in ((low_offset, LOW_STYLE), (high_offset, HIGH_STYLE)):
        if not math.isfinite(offset) or scale <= 0:
            continue
        cells = min(BAR_HALF_WIDTH, round(abs(offset) / scale * BAR_HALF_WIDTH))
        for i in range(cells):
            if offset < 0:
                left[BAR_HALF_WIDTH - 1 - i], styles_left[BAR_HALF_WIDTH - 1 - i] = "█", style
            else:
                right[i], styles_right[i] = "█", style
    text = Text()
    for char, style in zip(left, styles_left):
        text.append(char, style=style)
    text.append("│")
    for char, style in zip(right, styles_right):
        text.append(char, style=style)
    return text


def tornado_table(result) -> Table:
    """The tornado: one row per input, largest swing first, with a bar centred on the base metric."""
    f = fmt.metric_format(result.metric)
    table = Table(title=f"Tornado: {result.metric} of {result.scenario} (base {f(result.base_metric)}; "
                        f"{result.n_points:,} scenarios on {result.backend} {result.dtype})",
                  caption=f"bar: {LOW_STYLE} = input at its low value, {HIGH_STYLE} = at its high value; "
                          "every other input at base",
                  header_style="bold")
    for column in ("input", "base", "low", "high", "metric at low", "metric at high", "swing", ""):
        table.add_column(column, justify="left" if column in ("input", "") else "right")
    finite = [abs(v - result.base_metric) for s in result.inputs for v in (s.metric_at_low, s.metric_at_high)
              if math.isfinite(v - result.base_metric)]
    scale = max(finite, default=0.0)
    for s in result.inputs:
        low = _value(s.low) + (f" ({s.low_text})" if s.low_text.endswith("%") else "")
        high = _value(s.high) + (f" ({s.high_text})" if s.high_text.endswith("%") else "")
        swing = f(s.swing) if f is not fmt.percent else (  # a difference of two shares is in points
            f"{100 * s.swing:.1f} pts" if math.isfinite(s.swing) else "n/a")
        table.add_row(s.path, _value(s.base), low, high, f(s.metric_at_low), f(s.metric_at_high), swing,
                      _bar(s.metric_at_low - result.base_metric, s.metric_at_high - result.base_metric, scale))
    return table


def spider_table(result) -> Table:
    """The spider points: one row per input, one column per point, ``change from base: metric``."""
    f = fmt.metric_format(result.metric)
    n = max((len(line.values) for line in result.spider), default=0)
    table = Table(title=f"Spider: {result.metric} against the change of each input from its base value",
                  header_style="bold")
    table.add_column("input")
    for k in range(n):
        table.add_column(f"{k + 1}", justify="right")
    for line in result.spider:
        cells = []
        for value, change, metric in zip(line.values, line.changes, line.metric):
            where = f"{100 * change:+.0f}%" if math.isfinite(change) else _value(float(value))
            cells.append(f"{where}: {f(float(metric))}")
        table.add_row(line.path, *cells)
    return table


def render_tornado(result, console) -> None:
    """Print a tornado (and its spider points, if any) to a rich console."""
    console.print(tornado_table(result))
    if result.spider:
        console.print(spider_table(result))
