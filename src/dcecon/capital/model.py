"""The capital layer: debt on the AI build-out and the depreciation its capex creates (docs/capital.md).

Pure functions of plain numbers (and, for depreciation, NumPy arrays): no
scenario files, no printing. Two questions:

- *Debt* (``kind = "debt"``): what a borrower pays in interest a year, what
  share of its capex the named borrowing covers, and how many times its
  operating income (or EBITDA) covers the interest before and after a shock
  to the price and utilization of the AI compute it rents out.
- *Capex wave* (``kind = "capex-wave"``): a published capex path (reported
  years, multi-year plans, quarterly run-rates) written off straight line
  over a short life for servers and network gear and a long life for
  buildings, year by year, and that depreciation as a share of the operating
  income the company last reported.

Depreciation reuses :func:`dcecon.valuation.useful_lives.depreciation_by_year`
(each year's capex placed in service evenly across the year) and the debt
service reuses :func:`dcecon.model.financing.level_payment`.

References
----------
.. [1] Brealey, Myers, Allen, *Principles of Corporate Finance*, ch. 24
   (interest cover, debt service cover).
.. [2] Moody's, *Rating Methodology: Software* (2022): EBITDA / interest
   expense as a coverage metric.
"""

from __future__ import annotations

import math

import numpy as np

from dcecon.model.financing import level_payment
from dcecon.valuation.useful_lives import depreciation_by_year

QUARTERS_PER_YEAR = 4
"""Quarters in a year."""


# --- debt --------------------------------------------------------------------------------------------------------

def interest_usd_per_year(debt_usd, rate_per_year):
    """Interest a year on a debt that is not being repaid (a bullet bond) [USD/year].

    Parameters
    ----------
    debt_usd : numeric
        Principal outstanding [USD].
    rate_per_year : numeric
        Coupon or average interest rate [-/year].

    Notes
    -----
    ``interest = debt * rate``: the first-year interest of
    :func:`dcecon.model.financing.amortization` at ``k = 0`` too.
    """
    return debt_usd * rate_per_year


def level_debt_service_usd_per_year(debt_usd, rate_per_year, years):
    """Interest plus principal a year that repays ``debt_usd`` in level payments over ``years`` [USD/year].

    :func:`dcecon.model.financing.level_payment` with one payment a year:
    ``D r / (1 - (1 + r)^-n)``. The bonds of the scenarios are bullets; this is
    the payment a lender tests when it asks whether the cash flow could retire
    the debt within the assets' life.
    """
    return float(level_payment(np, np.float64(debt_usd), np.float64(rate_per_year), np.float64(years)))


def coverage(income_usd_per_year, interest_usd_per_year_):
    """Times ``income`` covers ``interest`` [x]; ``inf`` when there is no interest.

    ``coverage = income / interest``: operating income (EBIT) / interest is
    interest cover, EBITDA / interest the rating agencies' cover, EBITDA /
    debt service the debt-service cover ratio. Below 1: the income does not
    pay the interest.
    """
    if interest_usd_per_year_ == 0.0:
        return math.inf
    return income_usd_per_year / interest_usd_per_year_


def share_of(part_usd, whole_usd):
    """``part / whole`` [-]; NaN when the whole is zero."""
    return part_usd / whole_usd if whole_usd != 0.0 else math.nan


def shocked_revenue_usd(revenue_usd, price_change, utilization_factor):
    """Rental revenue after a price and utilization shock [USD/year].

    Parameters
    ----------
    revenue_usd : numeric
        Revenue from renting AI compute before the shock [USD/year].
    price_change : numeric
        Relative change of the price per GPU-hour [-]; -0.2: 20% lower.
    utilization_factor : numeric
        Billed GPU-hours after the shock / before [-]; 0.8: a fifth fewer.

    Notes
    -----
    ``R' = R (1 + price_change) utilization_factor``: revenue is price x billed hours.
    """
    return revenue_usd * (1.0 + price_change) * utilization_factor


def shocked_income_usd(income_usd, revenue_usd, variable_cost_share, price_change, utilization_factor):
    """Operating income (or EBITDA) after a price and utilization shock to the rental revenue [USD/year].

    Parameters
    ----------
    income_usd : numeric
        Operating income or EBITDA before the shock [USD/year].
    revenue_usd : numeric
        The part of revenue the shock moves (AI compute rented out) [USD/year].
    variable_cost_share : numeric
        Costs that move with billed hours (power), as a share of that revenue [-].
    price_change, utilization_factor : numeric
        As in :func:`shocked_revenue_usd`.

    Notes
    -----
    ``I' = I + (R' - R) - v R (u - 1)``: the revenue lost, less the variable
    cost saved on the hours no longer billed. Depreciation, rent and staff
    are fixed over a year, so the rest of the lost revenue comes straight out
    of income.
    """
    revenue_change = shocked_revenue_usd(revenue_usd, price_change, utilization_factor) - revenue_usd
    variable_cost_change = variable_cost_share * revenue_usd * (utilization_factor - 1.0)
    return income_usd + revenue_change - variable_cost_change


def prior_year_usd(value_usd, growth):
    """The prior year's figure behind a figure and its growth [USD]: ``value / (1 + growth)``."""
    return value_usd / (1.0 + growth)


# --- capex wave --------------------------------------------------------------------------------------------------

def capex_path_usd(reported_usd_by_year: dict[int, float], last_year: int, plan_total_usd: float | None = None,
                   plan_first_year: int | None = None, plan_last_year: int | None = None,
                   run_rate_usd_per_quarter: float | None = None) -> dict[int, float]:
    """A company's capex by year from reported years, a multi-year plan and a quarterly run-rate [USD/year].

    Parameters
    ----------
    reported_usd_by_year : dict of int to float
        Capex of the years reported or guided one by one [USD/year]; kept as given.
    last_year : int
        Last year of the path [year]; nothing is spent after it.
    plan_total_usd : float, optional
        A published total over ``plan_first_year .. plan_last_year`` [USD]
        (Meta: about $600B through 2028). What the reported years of the plan
        leave is spread evenly over its other years.
    plan_first_year, plan_last_year : int, optional
        The plan's years [year], with ``plan_total_usd``.
    run_rate_usd_per_quarter : float, optional
        A published quarterly rate [USD/quarter] (Amazon: $30B+ a quarter),
        held for every year after the reported and plan years up to ``last_year``.

    Returns
    -------
    dict of int to float
        Capex by year, sorted [USD/year].

    Notes
    -----
    Plan years not reported get ``(total - sum of reported plan years) / n``;
    later years get ``4 x run_rate``. A year no figure reaches has no capex.
    """
    path = {int(year): float(value) for year, value in reported_usd_by_year.items() if int(year) <= last_year}
    if plan_total_usd is not None:
        plan_years = range(plan_first_year, plan_last_year + 1)
        missing = [year for year in plan_years if year not in path]
        if missing:
            left = plan_total_usd - sum(path.get(year, 0.0) for year in plan_years)
            for year in missing:
                if year <= last_year:
                    path[year] = left / len(missing)
    if run_rate_usd_per_quarter is not None:
        start = max(path) + 1 if path else last_year
        for year in range(start, last_year + 1):
            path[year] = QUARTERS_PER_YEAR * run_rate_usd_per_quarter
    return dict(sorted(path.items()))


def depreciation_usd_by_year(capex_usd_by_year: dict[int, float], years, server_share, server_life_years,
                             building_life_years, convention="spread", vintage_offset_years=0.0):
    """Straight-line depreciation that a capex path charges in each year, servers and buildings apart [USD/year].

    Parameters
    ----------
    capex_usd_by_year : dict of int to float
        Capex by year label, one vintage each [USD/year].
    years : sequence of int
        Calendar years to report [year].
    server_share : float
        Share of capex that is servers and network gear, written off over ``server_life_years`` [-].
    server_life_years : float
        Straight-line life of servers and network gear [years].
    building_life_years : float
        Straight-line life of the rest (buildings, power and cooling plant) [years].
    convention : {"spread", "mid_year"}
        Placement of a year's capex (:mod:`dcecon.valuation.useful_lives`).
    vintage_offset_years : float
        The year labelled Y starts at Y + offset [years] (Oracle's fiscal year: -7/12).

    Returns
    -------
    ndarray, shape (len(years),)
        ``D[y] = sum_v C[v] (s F_Ls(y - v) + (1 - s) F_Lb(y - v))``, with ``F`` the
        year's fraction of :func:`dcecon.valuation.useful_lives.year_fraction`.
    """
    vintages = np.array(sorted(capex_usd_by_year), dtype=np.float64)
    capex = np.array([capex_usd_by_year[int(v)] for v in vintages], dtype=np.float64)
    years = np.asarray(years, dtype=np.float64)
    if capex.size == 0:
        return np.zeros_like(years)
    starts = vintages + vintage_offset_years
    servers = depreciation_by_year(capex * server_share, server_life_years, years, convention, starts)
    buildings = depreciation_by_year(capex * (1.0 - server_share), building_life_years, years, convention, starts)
    return servers + buildings


def vintages_from(capex_usd_by_year: dict[int, float], first_year: int) -> dict[int, float]:
    """The vintages of ``first_year`` and later (the wave) [USD/year]."""
    return {year: value for year, value in capex_usd_by_year.items() if year >= first_year}
