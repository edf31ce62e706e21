"""Figures of dcecon's results (``dcecon.plot``; ``--plot DIR`` on ``run``, ``grid``, ``table``, ``tornado``,
``montecarlo`` and ``sobol``).

Every function returns a :class:`matplotlib.figure.Figure` on its own Agg
canvas (pyplot is not used, so a notebook's backend is left alone): grey-scale
readable fills and line styles, a unit on every axis and a source line under
each chart (:mod:`dcecon.report.plot.style`). The ``*_figures`` functions
return ``{file stem: Figure}``, and :func:`write_figures` writes them as PNG
and SVG (docs/plots.md).

Example::

    import dcecon
    result = dcecon.evaluate("h100-neocloud-2024")
    figure = dcecon.plot.rented_dollar(result)
    figure.savefig("rented-dollar.png")
"""

from __future__ import annotations

import importlib

_FUNCTIONS = {
    "dcecon.report.plot.run": ("rented_dollar", "pnl_by_cohort", "cumulative_cash", "price_vs_cost", "run_figures"),
    "dcecon.report.plot.heatmap": ("table_heatmap", "table_line", "grid_heatmap", "breakeven_lines", "base_value",
                                   "table_figures", "grid_figures", "grid_main_effects"),
    "dcecon.report.plot.analyses": ("tornado_chart", "spider_chart", "monte_carlo_histogram", "monte_carlo_cdf",
                                    "sobol_chart", "morris_chart", "tornado_figures", "monte_carlo_figures", "sobol_figures",
                                    "morris_figures"),
    "dcecon.report.plot.macro": ("macro_chain", "macro_figures"),
    "dcecon.report.plot.output": ("check_plot_dir", "write_figures"),
}
"""Where each public function lives: imported on first use, so that the command line's ``--plot`` option
(:mod:`dcecon.report.plot.output`) does not load matplotlib until figures are drawn."""

_WHERE = {name: module for module, names in _FUNCTIONS.items() for name in names}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'dcecon.plot' has no attribute {name!r}")


__all__ = [*_WHERE]
