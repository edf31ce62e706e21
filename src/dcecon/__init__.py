"""dcecon: GPU-accelerated economics of AI data centers.

Library quickstart::

    import dcecon
    scenario = dcecon.load_scenario("scenarios/h100-neocloud-2024.toml")
    result = dcecon.evaluate(scenario, backend="numpy")
    result.gross_margin, result.npv_usd
    periods, cohorts = result.to_pandas()
"""

from dcecon.evaluate import RESULT_FIELDS, Result, evaluate
from dcecon.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = ["RESULT_FIELDS", "Result", "Scenario", "ScenarioError", "evaluate", "load_scenario", "__version__"]
