"""The fidelity report: each claim's published figure, the model's value, the error and the status.

One table per status, in the order of :data:`dcecon.fidelity.claims.STATUSES` (error rows first, when there are
any), then the count line (``3 out-of-sample, 12 targets, ...``). ``--json`` prints the same rows as one object.
"""

from __future__ import annotations

import math

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from dcecon.fidelity.evaluate import ERROR_STATUS, ClaimRow, error_kind
from dcecon.io import dumps_json
from dcecon.report import format as fmt
from dcecon.report.console import make_console

TITLE = "Fidelity: published figures against the bundled scenarios (dcecon run NAME --json --backend numpy)"
"""First line of the report."""

HEADINGS = {
    ERROR_STATUS: "error: claims that could not be evaluated (the scenario failed or the value path is missing)",
    "out-of-sample": "out-of-sample: predicted without being fitted to: the only rows that are evidence",
    "target": "target: calibration targets: a free parameter was solved to hit them, so a match is by construction",
    "derived": "derived: arithmetic of the inputs: checks the arithmetic, not the economics",
    "input": "input: typed into a scenario file: the model shows them back",
    "not-covered": "not-covered: published figures no bundled scenario addresses yet",
}
"""The line above each status's table."""

COUNT_NAMES = {"out-of-sample": ("out-of-sample", "out-of-sample"), "target": ("target", "targets"),
               "derived": ("derived", "derived"), "input": ("input", "inputs"),
               "not-covered": ("not covered", "not covered"), ERROR_STATUS: ("error", "errors")}
"""How the count line names one and several claims of a status."""

UNIT_FORMATS = {
    "ratio": fmt.percent,
    "usd": fmt.money,
    "usd_per_gpu_hour": lambda v: f"${v:,.3f}/GPU-h",
    "usd_per_million_tokens": lambda v: f"${v:,.2f}/M tokens",
    "gw": lambda v: f"{v:,.4g} GW",
    "twh": lambda v: f"{v:,.1f} TWh",
    "years": lambda v: f"{v:,.3g} y",
    "x": lambda v: f"{v:,.3g}x",
    "count": lambda v: f"{v:,.0f}",
    "days": lambda v: f"{v:,.4g} days",
    "seconds": lambda v: f"{v:,.3g} s",
    "points": lambda v: f"{v:,.1f} points",
    "square_feet": lambda v: f"{v:,.0f} sq ft",
    "calendar_year": lambda v: f"{v:.0f}",
}
"""How a value of each unit is shown (:data:`dcecon.fidelity.claims.UNITS`)."""


def value_text(value: float | None, unit: str) -> str:
    """A published or model value in its unit (``14.0%``, ``$3.90B``, ``5.5 y``); ``-`` for none."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return UNIT_FORMATS[unit](value)


def error_text(error: float | None, unit: str) -> str:
    """An error as the report shows it: ``+2.0 pp`` (a ratio's difference), ``+1 y`` (a calendar year's) or
    ``+35.6%`` (relative); ``-`` for none."""
    if error is None:
        return "-"
    if unit == "calendar_year":
        return f"{error + 0.0:+.0f} y" if round(error) else "0 y"
    shown = 100 * error
    if round(shown, 1) == 0:  # no "-0.0" for a match to the last digit shown
        shown = 0.0
    return f"{shown:+.1f} pp" if error_kind(unit) == "difference" else f"{shown:+.1f}%"


def count_line(counts: dict[str, int]) -> str:
    """``Claims: 3 out-of-sample, 12 targets, 4 derived, 20 inputs, 60 not covered, 0 errors``."""
    parts = [f"{n} {COUNT_NAMES[group][0 if n == 1 else 1]}" for group, n in counts.items()]
    return f"Claims: {sum(counts.values())} in all: " + ", ".join(parts)


def row_dict(row: ClaimRow) -> dict:
    """One row of the ``--json`` object."""
    c = row.claim
    return {"id": c.id, "claim": c.claim, "published": c.published, "unit": c.unit, "model": row.model,
            "error": row.error, "error_kind": error_kind(c.unit), "status": c.status, "scenario": c.scenario,
            "value": c.value, "source": c.source, "url": c.url, "note": c.note, "file": row.file,
            "problem": row.problem}


def to_json(rows: list[ClaimRow], counts: dict[str, int], uncovered: list[str], status: str | None = None) -> str:
    """The ``--json`` object: the counts of every claim, the rows shown, the scenarios no claim names.

    Parameters
    ----------
    rows : list of ClaimRow
        The rows to show (filtered by ``status`` already).
    counts : dict of str to int
        Claims per status over every claim (:func:`dcecon.fidelity.evaluate.status_counts`).
    uncovered : list of str
        Bundled scenarios no claim names.
    status : str, optional
        The ``--status`` filter, echoed.
    """
    return dumps_json({"backend": "numpy", "status_filter": status, "counts": counts,
                       "error_definition": {"difference": "model - published (units ratio and calendar_year)",
                                            "relative": "model / published - 1 (every other unit)"},
                       "scenarios_without_claims": uncovered, "claims": [row_dict(row) for row in rows]})


def _table(rows: list[ClaimRow]) -> Table:
    table = Table(header_style="bold", show_lines=False)
    for column, justify in (("id", "left"), ("claim", "left"), ("published", "right"), ("model", "right"),
                            ("error", "right"), ("status", "left"), ("scenario", "left")):
        # the claim's text, an error row's reason and a long value path wrap; ids and figures stay whole
        ratio = {"claim": 3, "model": 1, "scenario": 2}.get(column)
        table.add_column(column, justify=justify, overflow="fold", no_wrap=ratio is None, ratio=ratio)
    for row in rows:
        c = row.claim
        scenario = f"{c.scenario}\n{c.value}" if c.scenario else "-"
        model = value_text(row.model, c.unit) if row.problem is None else Text(row.problem, style="red",
                                                                                  justify="left")
        table.add_row(c.id, escape(c.claim), value_text(c.published, c.unit), model, error_text(row.error, c.unit),
                      c.status, escape(scenario))
    return table


def render(rows: list[ClaimRow], counts: dict[str, int], uncovered: list[str], status: str | None = None,
           console=None) -> None:
    """Print the fidelity report: one table per status present in ``rows``, then the count line.

    Parameters
    ----------
    rows, counts, uncovered, status
        As for :func:`to_json`.
    console : rich.console.Console, optional
        Where to print (a wide console by default).
    """
    console = console or make_console()
    console.print(f"[bold]{TITLE}[/bold]")
    console.print("error = model - published for ratios (pp: percentage points) and calendar years, "
                  "model / published - 1 for every other unit" + (f"; showing status {status} only" if status else ""))
    groups = list(dict.fromkeys(row.group for row in rows))
    for group in groups:
        console.print()
        console.print(f"[bold]{HEADINGS[group]}[/bold]")
        console.print(_table([row for row in rows if row.group == group]))
    if not rows:
        console.print(f"no claim has status {status}" if status else "no claims")
    console.print()
    console.print(count_line(counts))
    if uncovered:
        console.print("Bundled scenarios no claim names: " + ", ".join(uncovered))
