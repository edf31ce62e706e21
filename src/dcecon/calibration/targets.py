"""What a calibration target may ask for, and how far from it a result is, without units.

Every result figure that ``dcecon calibrate --target`` accepts has a
:class:`TargetRule`: its kind (a dollar total, another quantity with units,
or a ratio) and the values it can take under the model's definitions
(``docs/model.md``). A target outside them (a gross margin of 2, a negative
revenue) is refused before any solving, with the reason.

Residuals are scale-free so that targets in dollars, kWh and ratios weigh
alike in the least squares and one tolerance, :data:`TOLERANCE`, decides
whether a target was reached:

- a ratio (margin, IRR, utilization, coverage, DSCR): ``achieved - target``,
  in the ratio's own units (0.0001 = 0.01 percentage point);
- a dollar total: ``(achieved - target) / |target|``; for a $0 target,
  divided by the revenue of the same row (fleet or cohort) of the scenario as
  given, or its capex where that revenue is 0;
- another quantity (kWh, GPU-hours, years, $/GPU-hour):
  ``(achieved - target) / |target|``; for a 0 target, divided by the
  figure's own value in the scenario as given.
"""

from __future__ import annotations

import math
import numbers
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from dcecon.scenario.errors import ScenarioError

TOLERANCE = 1e-4
"""Largest scale-free residual [-] of a reached target: 1e-4 of the target (or of the revenue, for a $0 target),
or 1e-4 absolute for a ratio."""

COHORT_FIGURES_EXTRA = ("billed_gpu_hours", "capex_usd", "lifetime_gross_margin")
"""Figures a cohort row has beyond :data:`dcecon.evaluate.RESULT_FIELDS`."""


class TargetRule(BaseModel):
    """The kind of a result figure and the values a target for it may take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["usd", "quantity", "ratio"] = Field(
        description="usd: a dollar total (residual relative to the target, or to revenue for $0); quantity: "
                    "another figure with units (relative to the target); ratio: absolute residual.")
    lower: Optional[float] = Field(default=None, description="Smallest possible value, in the figure's units; "
                                                             "None: unbounded.")
    upper: Optional[float] = Field(default=None, description="Largest possible value, in the figure's units; "
                                                             "None: unbounded.")
    why: str = Field(default="", description="Why the bounds hold, from the model's definitions (docs/model.md).")


_NON_NEGATIVE_USD = TargetRule(kind="usd", lower=0.0, why="a sum of non-negative flows (prices, capex, costs >= 0)")
_ANY_USD = TargetRule(kind="usd")
_NON_NEGATIVE = TargetRule(kind="quantity", lower=0.0, why="hours, energy and costs are >= 0")
_MARGIN = TargetRule(kind="ratio", upper=1.0, why="a gross margin is 1 - COGS / revenue with COGS >= 0, so at most 1")
_IRR = TargetRule(kind="ratio", lower=-0.99, upper=1000.0,
                  why="an IRR is searched in [-99%, 100,000%] a year (docs/model.md section 8)")
_ANY_RATIO = TargetRule(kind="ratio")

TARGET_RULES: dict[str, TargetRule] = {
    "revenue_usd": _NON_NEGATIVE_USD,
    "depreciation_usd": _NON_NEGATIVE_USD,
    "power_cost_usd": _NON_NEGATIVE_USD,
    "facility_cost_usd": _NON_NEGATIVE_USD,
    "opex_usd": _NON_NEGATIVE_USD,
    "cogs_usd": _NON_NEGATIVE_USD,
    "gross_profit_usd": _ANY_USD,
    "gross_margin": _MARGIN,
    "ebitda_usd": _ANY_USD,
    "energy_kwh": _NON_NEGATIVE,
    "npv_usd": _ANY_USD,
    "irr": _IRR,
    "payback_years": TargetRule(kind="quantity", lower=0.0, why="a payback time is counted from the first "
                                                                "in-service date, so it is >= 0"),
    "breakeven_price_usd_per_gpu_hour": _NON_NEGATIVE,
    "breakeven_utilization": TargetRule(kind="ratio", lower=0.0, why="it is fixed costs / margin per unit of "
                                                                     "utilization, both >= 0 (above 1 means no "
                                                                     "utilization breaks even)"),
    "cost_usd_per_billed_gpu_hour": _NON_NEGATIVE,
    "billed_gpu_hours": _NON_NEGATIVE,
    "capex_usd": _NON_NEGATIVE_USD,
    "lifetime_revenue_usd": _NON_NEGATIVE_USD,
    "lifetime_gross_profit_usd": _ANY_USD,
    "lifetime_gross_margin": _MARGIN,
    "interest_usd": TargetRule(kind="usd", lower=0.0, why="debt and interest rates are >= 0"),
    "principal_usd": TargetRule(kind="usd", lower=0.0,
                                why="level payments at interest rates >= 0 repay principal >= 0"),
    "interest_coverage": _ANY_RATIO,
    "dscr_window": _ANY_RATIO,
    "dscr_min": _ANY_RATIO,
    "dscr_avg": _ANY_RATIO,
    "equity_usd": TargetRule(kind="usd", lower=0.0, why="equity is (1 - debt_fraction) * capex >= 0"),
    "equity_irr": _IRR,
    "economic_depreciation_usd": _NON_NEGATIVE_USD,
    "depreciation_gap_usd": _ANY_USD,
    "earnings_overstatement_usd": _ANY_USD,
}
"""Every figure a target may name, fleet-wide or (those of :func:`cohort_figures`) in a cohort row."""


def cohort_figures() -> tuple[str, ...]:
    """Figures of a cohort row that a ``cohorts.<index|name>.<figure>`` target may name."""
    from dcecon.result import RESULT_FIELDS

    return tuple(figure for figure in RESULT_FIELDS + COHORT_FIGURES_EXTRA if figure in TARGET_RULES)


def figure_of(name: str) -> str:
    """The figure a target names: ``gross_margin`` for ``gross_margin`` and ``cohorts.blackwell.gross_margin``."""
    return name.split(".")[-1] if name.startswith("cohorts.") else name


def _check_name(name) -> str:
    from dcecon.result import EXTRA_FIELDS, RESULT_FIELDS

    if not isinstance(name, str) or not name:
        raise ScenarioError("--target", None, f"a target names a result figure, got {name!r}")
    known = tuple(figure for figure in RESULT_FIELDS + EXTRA_FIELDS if figure in TARGET_RULES)
    if name.startswith("cohorts."):
        if name.count(".") != 2:
            raise ScenarioError("--target", name, "a cohort target is cohorts.<index|name>.<figure>")
        figure = figure_of(name)
        if figure not in cohort_figures():
            raise ScenarioError("--target", name, f"cohort rows have no {figure!r}; a cohort target is one of "
                                                  f"{', '.join(cohort_figures())}")
        return figure
    if name not in known:
        raise ScenarioError("--target", name, f"unknown result figure; choose from {', '.join(known)}")
    return name


def _bounds_text(rule: TargetRule) -> str:
    if rule.lower is not None and rule.upper is not None:
        return f"must be in [{rule.lower:g}, {rule.upper:g}]"
    return f"must be >= {rule.lower:g}" if rule.lower is not None else f"must be <= {rule.upper:g}"


def check_target(name, value) -> float:
    """Check one target and return its value as a float.

    Parameters
    ----------
    name : str
        A result figure (``gross_margin``) or a cohort row's
        (``cohorts.<index|name>.gross_profit_usd``).
    value : float
        The wanted value, in the figure's units ([USD], [kWh], [-] ...).

    Returns
    -------
    float
        ``value``.

    Raises
    ------
    ScenarioError
        ``--target: NAME: ...``: an unknown figure, a value that is not a
        finite number, or one the figure cannot take (:data:`TARGET_RULES`).
    """
    figure = _check_name(name)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScenarioError("--target", name, f"{value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ScenarioError("--target", name, "must be a finite number")
    rule = TARGET_RULES[figure]
    too_low = rule.lower is not None and number < rule.lower
    too_high = rule.upper is not None and number > rule.upper
    if too_low or too_high:
        raise ScenarioError("--target", name, f"{number:g} cannot be reached: {figure} {_bounds_text(rule)} "
                                              f"({rule.why})")
    return number


def residual_scale(name: str, target: float, base_row: dict) -> tuple[float, str]:
    """The denominator [figure's units] that makes a target's residual scale-free, and what it is in words.

    Parameters
    ----------
    name : str
        The target (a checked one, see :func:`check_target`).
    target : float
        The wanted value [figure's units].
    base_row : dict
        Figures of the row the target is in (fleet figures, or the cohort's
        row) for the scenario as given, before solving.

    Returns
    -------
    scale : float
        1 for a ratio; ``|target|`` for a non-zero target with units; for a
        zero target, the row's ``revenue_usd`` (else its ``capex_usd``) for a
        dollar figure, the figure's own value for another quantity; 1 where
        those are zero or not finite.
    label : str
        What the residual is relative to: ``absolute`` (a ratio), ``target``,
        ``base revenue $69,295,242``, ``base capex $51,200,000``,
        ``base value 8.921e+07`` or ``1``.
    """
    rule = TARGET_RULES[figure_of(name)]
    if rule.kind == "ratio":
        return 1.0, "absolute"
    if target != 0.0:
        return abs(target), "target"
    if rule.kind == "usd":
        candidates = (("revenue_usd", "base revenue ${:,.0f}"), ("capex_usd", "base capex ${:,.0f}"))
    else:
        candidates = ((figure_of(name), "base value {:.4g}"),)
    for key, words in candidates:
        value = base_row.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value) and value != 0.0:
            return abs(float(value)), words.format(abs(float(value)))
    return 1.0, "1"


def residual(achieved: float, target: float, scale: float) -> float:
    """Scale-free residual ``(achieved - target) / scale`` [-]; NaN when ``achieved`` is not finite."""
    if not math.isfinite(achieved):
        return math.nan
    return (achieved - target) / scale


def reached(residual_value: float, tolerance: float = TOLERANCE) -> bool:
    """True when a scale-free residual is within ``tolerance`` (NaN, an undefined figure, is not)."""
    return abs(residual_value) <= tolerance
