"""``--html FILE``: one self-contained page of a command's result (:func:`report_html`).

The page holds what was computed (command line, dcecon version, backend), the command's tables, its charts as
inline SVG, the scenario's inputs with their units and its sources as links. It loads nothing: no script, no
style sheet, font or image from anywhere (styles are inline, glyphs are SVG paths), so it opens offline and
makes no request. Hovering a number shows its exact value. The page carries no date or timing, so the same
run gives the same file.
"""

from __future__ import annotations

import re
from html import escape

from dcecon.report.html import analyses, fleet, grid
from dcecon.report.html.charts import chart_gallery
from dcecon.report.html.markup import definitions, section
from dcecon.report.html.scenario import scenario_sections

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:2em auto;
max-width:72em;padding:0 1em;color:#1a1a1a;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;font-weight:600;
padding:.3em 0}
th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #888}tbody th{font-weight:normal}.num{text-align:right;
font-variant-numeric:tabular-nums}.num[data-value]{white-space:nowrap}
td[title]:hover,th[title]:hover{background:#eef}dt{font-weight:600}dd{margin:0 0 .4em 1.5em}
.note{background:#fff6dc;border-left:4px solid #d9a400;padding:.5em .8em}
figure{margin:1.5em 0}svg.chart{max-width:100%;height:auto;display:block}figcaption{font-size:.85em;color:#555}
nav ul{columns:2;font-size:.9em}code{font-size:.95em}
"""
"""The page's whole style sheet, inline."""

SECTIONS = {
    "grid": grid.grid_sections,
    "table": analyses.data_table_sections,
    "tornado": analyses.tornado_sections,
    "montecarlo": analyses.monte_carlo_sections,
    "sobol": analyses.sobol_sections,
    "morris": analyses.morris_sections,
}
"""The tables of each command but ``run``, from its result."""


def result_sections(output) -> list[str]:
    """The command's tables (``run``: a fleet's or a macro scenario's)."""
    if output.command == "run":
        if output.kind == "macro":
            return fleet.macro_sections(output.scenario, output.result)
        return fleet.fleet_sections(output.result)
    return SECTIONS[output.command](output.result)


def scenario_of(output):
    """The validated scenario behind the result: ``run``'s own, the grid plan's, or the analysis's scenario
    file (or bundled name) loaded again with the command's ``--set`` overrides."""
    if output.command == "run":
        return output.scenario
    if output.command == "grid":
        return output.result.plan.scenario
    from dcecon.scenario.loader import load_scenario
    from dcecon.scenario.schema import Scenario

    if isinstance(output.scenario, Scenario):
        return output.scenario
    return load_scenario(output.scenario, output.overrides)


def backend_text(output) -> str:
    """Where the result was computed (``numpy float64``), and what was asked when that differs."""
    result = output.result
    if output.command == "run" and output.kind == "macro":
        return "host floats (a macro scenario is arithmetic on a few numbers)"
    if output.command == "grid":
        used = f"{result.stats.backend} {result.stats.dtype}"
    else:
        used = " ".join(str(part) for part in (result.backend, getattr(result, "dtype", None)) if part)
    asked = output.backend
    return used if asked in (None, "auto") or used.split(" ")[0] == asked else f"{used} (asked: {asked})"


def header(output, scenario) -> str:
    """Title, description and what was computed: command line, dcecon version, backend."""
    from dcecon import __version__

    description = getattr(scenario, "description", "") or ""
    facts = definitions([("command", output.command_line or f"dcecon {output.command} (called from Python)"),
                         ("dcecon version", __version__), ("backend", backend_text(output)),
                         ("scenario", f"{scenario.name} ({getattr(scenario, 'kind', 'fleet')})")])
    return (f"<header><h1>{escape(scenario.name)}: dcecon {escape(output.command)}</h1>"
            f"<p>{escape(description)}</p>{facts}</header>")


def contents(sections: list[str]) -> str:
    """A list of links to the page's sections (their ids and titles)."""
    found = re.findall(r'<section id="([^"]+)"><h2>(.*?)</h2>', "".join(sections))
    items = "".join(f'<li><a href="#{anchor}">{title}</a></li>' for anchor, title in found)
    return f"<nav><h2>Contents</h2><ul>{items}</ul></nav>"


def page(title: str, body: str) -> str:
    """A complete HTML5 document with the inline style sheet."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def report_html(output, figures: dict) -> str:
    """The ``--html`` page of one command's result.

    Parameters
    ----------
    output : dcecon.report.outputs.Output
        The command, its result and scenario (``run``, ``grid``, ``table``, ``tornado``, ``montecarlo``,
        ``sobol``).
    figures : dict of str to matplotlib.figure.Figure
        The command's figures by file stem, already drawn (those ``--plot`` writes).

    Returns
    -------
    str
        The page: header, the command's tables, the charts, the inputs and the sources.
    """
    scenario = scenario_of(output)
    sections = result_sections(output)
    if figures:
        sections.append(section("Charts", chart_gallery(figures), key="charts"))
    sections += scenario_sections(scenario)
    body = header(output, scenario) + contents(sections) + "<main>" + "".join(sections) + "</main>"
    return page(f"{scenario.name}: dcecon {output.command}", body)
