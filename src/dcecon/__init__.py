"""dcecon: GPU-accelerated economics of AI data centers.

Library quickstart::

    import dcecon
    scenario = dcecon.load_scenario("scenarios/h100-neocloud-2024.toml")
    result = dcecon.evaluate(scenario, backend="numpy")
    result.gross_margin, result.npv_usd
    periods, cohorts = result.to_pandas()
    sweep = dcecon.grid(scenario, axes={"cohorts.0.utilization": "0.3:0.95:14"})
    sweep.summary, sweep.table(...), sweep.best("npv_usd")
"""

try:  # single-sourced from the package metadata (pyproject.toml)
    from importlib.metadata import PackageNotFoundError, version as _version

    __version__ = _version("dcecon")
except PackageNotFoundError:  # a source tree on the path without an install (benchmarks/gpu/run.sh)
    __version__ = "0+unknown"

from dcecon.evaluate import evaluate
from dcecon.result import RESULT_FIELDS, Result
from dcecon.grid_engine.api import grid
from dcecon.grid_engine.result import GridResult
from dcecon.scenario import Scenario, ScenarioError, load_scenario


_ANALYSES = {
    "tornado": "dcecon.analysis.tornado",
    "data_table": "dcecon.analysis.data_table",
    "goal_seek": "dcecon.analysis.goal_seek",
    "monte_carlo": "dcecon.analysis.monte_carlo",
    "sobol": "dcecon.analysis.sobol",
    "morris": "dcecon.analysis.morris",
}
"""The analyses (docs/tornado.md, tables.md, monte-carlo.md, sobol.md), imported on first use: ``import dcecon``
stays light (SALib and the analysis modules load only when asked for)."""


_MODULES = {"plot": "dcecon.report.plot"}
"""Namespaces imported on first use: ``dcecon.plot`` holds the figure functions (docs/plots.md; matplotlib loads
when a figure is drawn)."""


def __getattr__(name):
    if name in _ANALYSES:
        import importlib

        return getattr(importlib.import_module(_ANALYSES[name]), name)
    if name in _MODULES:
        import importlib

        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'dcecon' has no attribute {name!r}")


__all__ = ["RESULT_FIELDS", "GridResult", "Result", "Scenario", "ScenarioError", "evaluate", "grid", "load_scenario",
           "__version__", *_ANALYSES, *_MODULES]
