"""What a command writes besides its report: figures (``--plot DIR``), a workbook (``--xlsx FILE``) and a
self-contained HTML report (``--html FILE``), rendered in memory from one :class:`Output`.

Every file is rendered before the first one is written (:func:`render_files`), so a figure, sheet or page
that fails to render writes nothing; then the command checks the targets and writes each file atomically
(:mod:`dcecon.cli.output_options`). The formats share one description of the result, :class:`Output`, so the
workbook and the HTML report hold the numbers the figures show and ``--json`` prints (docs/outputs.md).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dcecon.scenario.errors import ScenarioError

COMMANDS = ("run", "grid", "table", "tornado", "montecarlo", "sobol", "morris")
"""The commands that take ``--plot``, ``--xlsx`` and ``--html``."""

PLOTTED_KINDS = ("fleet", "macro")
"""Scenario kinds ``dcecon run --plot`` draws."""

WORKBOOK_KINDS = ("fleet",)
"""Scenario kinds ``dcecon run --xlsx`` writes a workbook for."""

HTML_KINDS = ("fleet", "macro")
"""Scenario kinds ``dcecon run --html`` writes a report for."""


@dataclasses.dataclass(frozen=True)
class Output:
    """One command's result, as the figures, the workbook and the HTML report read it.

    Attributes
    ----------
    command : str
        The command (:data:`COMMANDS`).
    result : object
        What the command computed: a :class:`~dcecon.result.Result` or a macro figures dict (``run``), a
        :class:`~dcecon.grid_engine.result.GridResult` (``grid``), a data table, tornado, Monte Carlo or Sobol
        result.
    scenario : object, optional
        The loaded scenario (``run``), or the scenario file or bundled name (``table``: its break-even lines
        are searched on it).
    kind : str, optional
        The scenario's kind (``run``).
    overrides : tuple of str
        The ``--set`` overrides the result was computed with (``table``: its break-even lines use them).
    backend : str
        The backend the command was asked for (break-even lines are searched on it).
    command_line : str, optional
        The command as typed, shown in the workbook and the report.
    """

    command: str
    result: Any
    scenario: Any = None
    kind: str | None = None
    overrides: tuple = ()
    backend: str = "auto"
    command_line: str | None = None


def _refuse_kind(option: str, kind: str, kinds: tuple, what: str, file=None) -> ScenarioError:
    return ScenarioError(option, None if file is None else str(file),
                         f"no {what} for a scenario of kind {kind!r} yet; {option} writes kinds {', '.join(kinds)}")


def check_kind(kind: str, plot: bool, xlsx: bool, html: bool, file=None) -> None:
    """Refuse, before any work, an output ``dcecon run`` cannot write for a scenario of this kind.

    Raises
    ------
    ScenarioError
        ``--plot``, ``--xlsx`` or ``--html`` asked of a kind outside :data:`PLOTTED_KINDS`,
        :data:`WORKBOOK_KINDS` or :data:`HTML_KINDS`.
    """
    if plot and kind not in PLOTTED_KINDS:
        raise _refuse_kind("--plot", kind, PLOTTED_KINDS, "figures", file)
    if xlsx and kind not in WORKBOOK_KINDS:
        raise _refuse_kind("--xlsx", kind, WORKBOOK_KINDS, "workbook", file)
    if html and kind not in HTML_KINDS:
        raise _refuse_kind("--html", kind, HTML_KINDS, "report", file)


def figures(output: Output) -> dict:
    """The command's figures by file stem (docs/plots.md); the source line of each names the ``--set``
    overrides the result was computed with, so a figure of changed inputs never passes for the scenario's."""
    drawn = _draw(output)
    if output.overrides:
        from dcecon.report.plot.style import extend_source

        for figure in drawn.values():
            extend_source(figure, "with --set " + ", ".join(output.overrides))
    return drawn


def _draw(output: Output) -> dict:
    from dcecon.report.plot import analyses, heatmap, macro, run

    command, result = output.command, output.result
    if command == "run":
        if output.kind == "macro":
            return macro.macro_figures(output.scenario, result)
        return run.run_figures(result)
    if command == "grid":
        return heatmap.grid_figures(result, output.backend)
    if command == "table":
        return heatmap.table_figures(result, output.overrides, output.backend, scenario=output.scenario)
    if command == "tornado":
        return analyses.tornado_figures(result)
    if command == "montecarlo":
        return analyses.monte_carlo_figures(result)
    if command == "sobol":
        return analyses.sobol_figures(result)
    if command == "morris":
        return analyses.morris_figures(result)
    raise ValueError(f"no figures for command {command!r}")  # pragma: no cover (COMMANDS are all drawn)


def render_files(output: Output, plot=None, xlsx=None, html=None) -> list[tuple[Path, bytes]]:
    """Every file the command writes, rendered in memory: ``[(path, bytes), ...]``.

    Parameters
    ----------
    output : Output
    plot : str or Path, optional
        The ``--plot`` folder: each figure as ``STEM.png`` and ``STEM.svg``.
    xlsx : str or Path, optional
        The ``--xlsx`` file (:func:`dcecon.report.workbook.workbook_bytes`).
    html : str or Path, optional
        The ``--html`` file (:func:`dcecon.report.html.report_html`); its charts are the same figures.

    Returns
    -------
    list of (Path, bytes)
    """
    files: list[tuple[Path, bytes]] = []
    drawn = figures(output) if (plot is not None or html is not None) else {}
    if plot is not None:
        from dcecon.report.plot.output import FORMATS, figure_bytes

        files += [(Path(plot) / f"{stem}.{fmt}", figure_bytes(figure, fmt)) for stem, figure in drawn.items()
                  for fmt in FORMATS]
    if xlsx is not None:
        from dcecon.report.workbook import workbook_bytes

        files.append((Path(xlsx), workbook_bytes(output)))
    if html is not None:
        from dcecon.report.html import report_html

        files.append((Path(html), report_html(output, drawn).encode("utf-8")))
    return files
