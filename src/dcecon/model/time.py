"""The period grid (docs/model.md §1).

A scenario runs on periods of ``1 / periods_per_year`` years. A cohort's age at
a period is the period start minus its ``in_service_year``; it is counted in
the period when ``0 <= age < service_life_years``.
"""

from __future__ import annotations

HOURS_PER_YEAR = 8760.0
"""Hours in a model year [h]; docs/model.md §1 (365 x 24, no leap days)."""

AGE_SNAP_TOLERANCE_PERIODS = 1e-3
"""Ages within this many periods of a whole period are snapped to it [periods].

Dates written with four decimals (2025.4167 for 1 June 2025) are up to 5e-5
years off the period grid - 6e-4 of a month - and binary floats add their
own error; snapping keeps a cohort from dropping out of a period through
that rounding. Every backend applies the same rule.
"""


def hours_per_period(periods_per_year):
    """Hours in one period [h].

    Parameters
    ----------
    periods_per_year : int
        1, 4 or 12.

    Returns
    -------
    float
        ``8760 / periods_per_year`` (docs/model.md §1).
    """
    return HOURS_PER_YEAR / periods_per_year


def age_in_periods(xp, grid_start_year, period_index, in_service_year, periods_per_year):
    """Age of a cohort at the start of each grid period [periods].

    Parameters
    ----------
    xp : module
        Array namespace.
    grid_start_year : float
        Decimal year of the first period start of the grid [year].
    period_index : array
        0, 1, 2, ... as floats, shape ``(P,)``.
    in_service_year : array or float
        Decimal year the cohort starts earning [year], broadcastable to ``(n, 1)``.
    periods_per_year : int
        1, 4 or 12.

    Returns
    -------
    array
        ``(grid_start_year - in_service_year) * ppy + period_index``, snapped
        to the nearest whole number within :data:`AGE_SNAP_TOLERANCE_PERIODS`.
    """
    raw = (grid_start_year - in_service_year) * periods_per_year + period_index
    nearest = xp.round(raw)
    return xp.where(xp.abs(raw - nearest) < AGE_SNAP_TOLERANCE_PERIODS, nearest, raw)


def in_service_mask(age_periods, service_life_years, periods_per_year):
    """Whether the cohort is counted in each period (bool array).

    ``0 <= age < service_life_years`` with the age at the period start
    (docs/model.md §1). The upper bound uses the same snapping tolerance
    as the ages, so a 6-year life on a monthly grid has exactly 72 periods.
    """
    life_periods = service_life_years * periods_per_year
    return (age_periods >= 0.0) & (age_periods < life_periods - AGE_SNAP_TOLERANCE_PERIODS)
