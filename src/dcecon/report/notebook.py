"""How dcecon's results show in a Jupyter notebook: ``_repr_html_`` of :class:`~dcecon.result.Result`,
:class:`~dcecon.grid_engine.result.GridResult` and the analyses' results delegates here (:func:`repr_html`).

Each result shows as the tables of its ``--html`` report (:mod:`dcecon.report.html`), and, where a chart says
more than a table (the rented dollar, a tornado, a Monte Carlo histogram, Sobol' indices), that chart as inline
SVG. The HTML is a fragment with no script, style sheet or image to load: it shows the same offline.
"""

from __future__ import annotations

from html import escape

from dcecon.report.html import analyses, fleet, grid
from dcecon.report.html.charts import chart_figure

CHART_PREFIX = "dcecon-nb"
"""Prefix of the ids of a notebook chart's SVG elements (each display numbers its own)."""


def _title(text: str) -> str:
    return f"<h3>{escape(text)}</h3>"


def _fragment(title: str, sections: list[str], chart: str = "") -> str:
    return f'<div class="dcecon-result">{_title(title)}{"".join(sections)}{chart}</div>'


def _chart(stem: str, figure) -> str:
    """One chart, inline, its ids under a prefix unique to this figure's content (several displays in one
    notebook do not share ids)."""
    import hashlib

    from dcecon.report.html.charts import svg_text

    digest = hashlib.sha1(svg_text(figure).encode("utf-8")).hexdigest()[:10]
    return chart_figure(figure, f"{CHART_PREFIX}-{digest}", stem)


def result_html(result) -> str:
    """A fleet result (:func:`dcecon.evaluate`): window P&L, rented dollar, investment view, cohorts, and the
    rented-dollar chart."""
    from dcecon.report.plot.run import rented_dollar

    s = result.scenario
    return _fragment(f"{s.name}: {s.description}", fleet.fleet_sections(result),
                     _chart("rented-dollar", rented_dollar(result)))


def grid_html(result) -> str:
    """A grid result (:func:`dcecon.grid`): the run, the summary, best and worst, main effects."""
    return _fragment(f"{result.plan.scenario.name}: grid of {result.plan.n_scenarios:,} scenarios",
                     grid.grid_sections(result))


def data_table_html(result) -> str:
    """A data table (:func:`dcecon.data_table`) with its break-even line."""
    return _fragment(f"{result.scenario}: data table of {result.metric}", analyses.data_table_sections(result))


def tornado_html(result) -> str:
    """A tornado (:func:`dcecon.tornado`): the inputs by swing, and the tornado chart."""
    from dcecon.report.plot.analyses import tornado_chart

    return _fragment(f"{result.scenario}: tornado of {result.metric}", analyses.tornado_sections(result),
                     _chart(f"tornado-{result.metric}", tornado_chart(result)))


def monte_carlo_html(result) -> str:
    """A Monte Carlo run (:func:`dcecon.monte_carlo`): risk figures, statistics, and the histogram of its
    metric."""
    from dcecon.report.plot.analyses import monte_carlo_histogram

    return _fragment(f"{result.scenario}: Monte Carlo, {result.draws:,} draws",
                     analyses.monte_carlo_sections(result),
                     _chart(f"histogram-{result.metric}", monte_carlo_histogram(result, result.metric)))


def sobol_html(result) -> str:
    """Sobol' indices (:func:`dcecon.sobol`) and their chart."""
    from dcecon.report.plot.analyses import sobol_chart

    return _fragment(f"{result.scenario}: Sobol' indices of {result.metric}", analyses.sobol_sections(result),
                     _chart(f"sobol-{result.metric}", sobol_chart(result)))


def morris_html(result) -> str:
    """Morris screening (:func:`dcecon.morris`)."""
    return _fragment(f"{result.scenario}: Morris screening of {result.metric}", analyses.morris_sections(result))


def goal_seek_html(result) -> str:
    """A goal seek (:func:`dcecon.analysis.goal_seek.solve_goal`)."""
    return _fragment(f"{result.scenario}: goal seek", analyses.goal_seek_sections(result))


RENDERERS = {
    "Result": result_html,
    "GridResult": grid_html,
    "DataTable": data_table_html,
    "TornadoResult": tornado_html,
    "MonteCarloResult": monte_carlo_html,
    "SobolResult": sobol_html,
    "MorrisResult": morris_html,
    "GoalSeekResult": goal_seek_html,
}
"""The renderer of each result class, by class name (the classes are not imported here: a lower layer calls
:func:`repr_html` from its ``_repr_html_``)."""


def repr_html(result) -> str:
    """The notebook display of a dcecon result (its ``_repr_html_``).

    Parameters
    ----------
    result : Result, GridResult, DataTable, TornadoResult, MonteCarloResult, SobolResult, MorrisResult or
        GoalSeekResult

    Returns
    -------
    str
        An HTML fragment: tables (exact values on hover) and, for some results, one inline SVG chart.

    Raises
    ------
    TypeError
        ``result`` is not one of these.
    """
    renderer = RENDERERS.get(type(result).__name__)
    if renderer is None:
        raise TypeError(f"no notebook display for {type(result).__name__}")
    return renderer(result)
