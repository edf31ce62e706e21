"""Scenario files of every kind: schema, bundled names, loading, dotted paths, validation.

- :mod:`~dcecon.scenario.bundled`: the bundled scenarios and a scenario named by file or by bundled name;
- :mod:`~dcecon.scenario.loader`: TOML, ``extends``, ``[sources]``, ``--set`` (fleet files; the raw reading is
  shared by the macro and useful-lives loaders);
- :mod:`~dcecon.scenario.paths`: the one dotted-path module (``--set``, ``--axis``, ``--free``);
- :mod:`~dcecon.scenario.validation`: raw document -> pydantic model, or one line naming the field.
"""

from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import load_scenario
from dcecon.scenario.schema import Cohort, Finance, Scenario, Site, Source

__all__ = ["Cohort", "Finance", "Scenario", "ScenarioError", "Site", "Source", "load_scenario"]
