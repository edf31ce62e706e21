"""Scenario files: schema, loading, dotted paths."""

from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import load_scenario
from dcecon.scenario.schema import Cohort, Finance, Scenario, Site, Source

__all__ = ["Cohort", "Finance", "Scenario", "ScenarioError", "Site", "Source", "load_scenario"]
