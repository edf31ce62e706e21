"""Book depreciation schedules (docs/model.md §3).

Depreciable base ``B = capex * (1 - salvage_fraction)``, book life ``L``.

- Straight line: ``B / L`` a year while the age is below ``L``. A fractional
  life (Meta's 5.5 years) charges the same annual rate until the life ends, so
  the last, partial year gets the remainder and the total is exactly ``B`` at
  any number of periods per year.
- Double declining balance: as a spreadsheet's ``VDB(cost, salvage, L, k,
  k+1, 2)`` with switching to straight line (Excel/LibreOffice default), i.e.
  each year ``max(min(2/L * bv, bv - salvage), (bv - salvage) / (L - k))``.
- Sum of years digits: year ``k`` (0-based) gets ``B * (L - k) / (L (L + 1) / 2)``
  as a spreadsheet's ``SYD``.

Double declining balance and sum of years digits need a whole number of years
(the scenario schema enforces it). Within a year the annual amount is spread
evenly over its periods.

References
----------
.. [1] Horngren, Sundem, Elliott, Philbrick, *Introduction to Financial
   Accounting*, ch. 8 (straight line, DDB, SYD).
.. [2] OpenFormula / ECMA-376 definitions of ``SLN``, ``DDB``, ``VDB``, ``SYD``.
"""

from __future__ import annotations

METHODS = ("straight_line", "double_declining_balance", "sum_of_years_digits")
"""Depreciation methods accepted by the model."""

BOOK_CLOCK_EPSILON = 1e-9
"""Added before taking the whole part of an age (years or periods) on the book clock, so that an age that is
whole up to rounding counts as that whole number."""


def depreciable_base_usd(capex_usd, salvage_fraction):
    """``capex * (1 - salvage_fraction)`` [USD]."""
    return capex_usd * (1.0 - salvage_fraction)


def straight_line_period_usd(xp, capex_usd, salvage_fraction, book_life_years, age_years, period_years):
    """Straight-line depreciation charged in a period [USD].

    Parameters
    ----------
    capex_usd : array
        Cost of the asset [USD].
    salvage_fraction : array
        Residual value as a fraction of cost [-].
    book_life_years : array
        Accounting life, may be fractional [years].
    age_years : array
        Age at the period start [years].
    period_years : float
        Length of a period [years].

    Notes
    -----
    ``B / L * clip(L - a, 0, period_years)``: the annual rate ``B / L`` times
    the part of the period that lies inside the book life.
    """
    base = depreciable_base_usd(capex_usd, salvage_fraction)
    inside_years = xp.clip(book_life_years - age_years, 0.0, period_years)
    return base / book_life_years * inside_years


def sum_of_years_digits_year_usd(xp, capex_usd, salvage_fraction, book_life_years, year_index):
    """Sum-of-years-digits depreciation of year ``k`` (0-based) [USD].

    ``B * (L - k) / (L (L + 1) / 2)`` for ``0 <= k < L``, else 0.
    """
    base = depreciable_base_usd(capex_usd, salvage_fraction)
    digits = book_life_years * (book_life_years + 1.0) / 2.0
    amount = base * (book_life_years - year_index) / digits
    return xp.where((year_index >= 0.0) & (year_index < book_life_years), amount, 0.0)


def double_declining_balance_schedule_usd(xp, capex_usd, salvage_fraction, book_life_years, n_years):
    """Double-declining-balance charges for years ``0 .. n_years - 1`` [USD].

    Parameters
    ----------
    n_years : int
        How many years to return (at least the largest book life).

    Returns
    -------
    list of array
        One array per year, broadcast shape of the inputs.

    Notes
    -----
    Year ``k`` with book value ``bv`` (cost less depreciation so far) and
    salvage ``S = capex * salvage_fraction``: DDB ``min(2 / L * bv, bv - S)``,
    straight line over the years left ``(bv - S) / (L - k)``; the larger is
    charged (VDB with ``factor=2``, switching on). Once straight line wins it
    keeps winning, so no switch state is carried.
    """
    salvage_usd = capex_usd * salvage_fraction
    rate = 2.0 / book_life_years
    book_value = capex_usd + 0.0 * book_life_years
    schedule = []
    for k in range(n_years):
        years_left = book_life_years - float(k)
        remaining = book_value - salvage_usd
        declining = xp.minimum(rate * book_value, remaining)
        straight = remaining / xp.where(years_left > 0.0, years_left, 1.0)
        charge = xp.where(years_left > 0.0, xp.maximum(xp.maximum(declining, straight), 0.0), 0.0)
        schedule.append(charge)
        book_value = book_value - charge
    return schedule


def period_depreciation_usd(xp, method, capex_usd, salvage_fraction, book_life_years, age_years,
                            periods_per_year, n_years):
    """Depreciation charged in a period by ``method`` [USD].

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    age_years : array
        Age at the period start [years], shape ``(n, P)``.
    periods_per_year : int
        1, 4 or 12.
    n_years : int
        Whole years of schedule to build for the accelerated methods (at
        least the largest book life).

    Notes
    -----
    Accelerated methods charge the annual amount of the year the age falls in
    divided by ``periods_per_year`` (docs/model.md §3).
    """
    period_years = 1.0 / periods_per_year
    if method == "straight_line":
        return straight_line_period_usd(xp, capex_usd, salvage_fraction, book_life_years, age_years, period_years)
    year_index = xp.floor(age_years + BOOK_CLOCK_EPSILON)
    if method == "sum_of_years_digits":
        annual = sum_of_years_digits_year_usd(xp, capex_usd, salvage_fraction, book_life_years, year_index)
        return annual * period_years
    if method == "double_declining_balance":
        schedule = double_declining_balance_schedule_usd(xp, capex_usd, salvage_fraction, book_life_years, n_years)
        charge = 0.0 * age_years
        for k, annual in enumerate(schedule):
            charge = charge + xp.where(year_index == float(k), annual, 0.0)
        return charge * period_years
    raise ValueError(f"unknown depreciation method {method!r}; choose one of {', '.join(METHODS)}")
