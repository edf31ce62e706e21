"""The one error type of bad scenario input (defined in :mod:`dcecon.errors`, the bottom layer)."""

from dcecon.errors import ScenarioError

__all__ = ["ScenarioError"]
