"""The result of evaluating one fleet scenario: its figures, its cohorts' and periods' rows, JSON and pandas.

:func:`dcecon.evaluate` makes it; :mod:`dcecon.report.fleet` prints it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dcecon.io import dumps_json
from dcecon.model.cohort import FLOW_NAMES
from dcecon.model.fleet import ECONOMIC_NAMES, FINANCING_NAMES, INVESTMENT_NAMES
from dcecon.scenario.schema import Scenario
from dcecon.scenario.sources import sources_used

PNL_FIELDS = FLOW_NAMES[:7] + ("gross_margin",) + FLOW_NAMES[7:9]
"""Window P&L fields of a result, in report order."""

INVESTMENT_FIELDS = INVESTMENT_NAMES
"""Investment-view fields of a result (lifetime of the cohorts), in report order."""

RESULT_FIELDS = PNL_FIELDS + INVESTMENT_FIELDS
"""Top-level figures of ``dcecon run --json`` and of :class:`Result`."""

FINANCING_FIELDS = FINANCING_NAMES
"""Levered figures (model/financing.py): window interest and principal, EBIT / interest, DSCR over the
debt's life, equity invested and its IRR."""

ECONOMIC_FIELDS = ECONOMIC_NAMES
"""Book vs economic depreciation over the window (cohorts' ``economic_life_years``)."""

EXTRA_FIELDS = ("billed_gpu_hours", "capex_usd", "lifetime_revenue_usd", "lifetime_gross_profit_usd",
                "lifetime_gross_margin") + FINANCING_FIELDS + ECONOMIC_FIELDS


def extrapolation_note(scenario: Scenario) -> str | None:
    """The sentence that labels an investment view extrapolated from a fitted window, or None.

    Parameters
    ----------
    scenario : Scenario
        A fleet scenario; its optional ``[labels]`` table names the window its inputs were fitted to.

    Returns
    -------
    str or None
        ``"fitted to WINDOW; the investment view (NPV, IRR, payback, break-evens, lifetime margin) carries
        those inputs over every cohort's whole service life: read it as 'if that window went on', not as a
        forecast. NOTE"``, or None when the scenario sets no ``fitted_window``.
    """
    labels = scenario.labels
    if labels is None or labels.fitted_window is None:
        return None
    sentence = (f"fitted to {labels.fitted_window}; the investment view (NPV, IRR, payback, break-evens, lifetime "
                "margin) carries those inputs over every cohort's whole service life: read it as 'if that window "
                "went on', not as a forecast.")
    return f"{sentence} {labels.lifetime_note}" if labels.lifetime_note else sentence


@dataclasses.dataclass
class Result:
    """Figures of one evaluated scenario (host floats).

    The fields of :data:`RESULT_FIELDS` are attributes (``result.gross_margin``);
    ``cohorts`` holds one dict per cohort with the same fields, each cohort's
    investment view on its own clock; ``periods`` one dict per window period.
    """

    scenario: Scenario
    backend: str
    dtype: str
    figures: dict[str, float]
    cohorts: list[dict[str, Any]]
    periods: list[dict[str, Any]]
    model_seconds: float

    def __getattr__(self, name: str) -> float:
        figures = self.__dict__.get("figures", {})
        if name in figures:
            return figures[name]
        raise AttributeError(name)

    @property
    def extrapolated(self) -> str | None:
        """What the investment view extrapolates (:func:`extrapolation_note`), or None."""
        return extrapolation_note(self.scenario)

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object: figures at the top level, ``extrapolated`` (a sentence or None), then cohorts,
        periods, sources."""
        out: dict[str, Any] = {"scenario": self.scenario.name, "backend": self.backend, "dtype": self.dtype}
        out.update(self.figures)
        out["extrapolated"] = self.extrapolated
        out["cohorts"] = self.cohorts
        out["periods"] = self.periods
        out["sources"] = sources_used(self.scenario)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text; infinities and NaN are written as the strings ``"inf"``, ``"-inf"``, ``"nan"``."""
        return dumps_json(self.to_dict(), indent=indent)

    def to_pandas(self):
        """``(periods, cohorts)`` as pandas DataFrames."""
        import pandas as pd

        periods = pd.DataFrame(self.periods).set_index("period_start_year")
        cohorts = pd.DataFrame(self.cohorts).set_index("name")
        return periods, cohorts
