"""How units print, the same in figures, workbooks and HTML reports.

The schema and the metric table write a dimensionless unit as ``-`` (docs/model.md); a reader sees
``fraction`` (a share: 0.157 is 15.7%) or ``ratio`` (PUE, interest coverage, DSCR: 1.56 is 1.56, never 156%).
"""

from __future__ import annotations

import re

UNIT_WORDS = {"-": "fraction", "-/year": "fraction/year"}
"""How dimensionless units print."""

RATIO_NAMES = ("pue", "interest_coverage", "dscr_window", "dscr_min", "dscr_avg")
"""Dimensionless figures that are ratios, not fractions (the last part of a field path or a metric name)."""


def _leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def unit_text(unit: str, name: str = "") -> str:
    """``unit`` as it prints in brackets: ``-`` -> ``fraction``, or ``ratio`` for the :data:`RATIO_NAMES`."""
    if unit == "-" and _leaf(name) in RATIO_NAMES:
        return "ratio"
    return UNIT_WORDS.get(unit, unit)


def description_unit(description: str | None, unknown: str = "value") -> str:
    """The unit a schema field's description names in its first brackets (``[USD/GPU-hour]``), or ``unknown``."""
    found = re.search(r"\[([^\]]+)\]", description or "")
    return found.group(1) if found else unknown


def field_unit(path: str, unknown: str = "value") -> str:
    """Unit of a scenario field by dotted path (``cohorts.0.utilization`` -> ``-``, ``site.pue`` -> ``ratio``),
    or ``unknown`` for a path the schema does not know or a field that names no unit."""
    from dcecon.scenario import paths

    try:
        unit = description_unit(paths.field_spec(path).description, unknown)
    except Exception:  # a '*' path over differing fields, a path the schema does not know: no unit to show
        return unknown
    return "ratio" if unit == "-" and _leaf(path) in RATIO_NAMES else unit
