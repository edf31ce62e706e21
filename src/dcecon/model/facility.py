"""Facility cost per GPU: leased (colocation) or owned (docs/model.md §2).

Leased space is billed per kW of IT load per month; an owned building is
capitalized per MW of IT load and depreciated straight line over its life.
Both are written as one formula: a leased site has
``facility_capex_usd_per_mw = 0`` and an owned one
``colocation_usd_per_kw_month = 0``.

References
----------
.. [1] CBRE, North America Data Center Trends H2 2024: about $184 / kW-month.
.. [2] Cushman & Wakefield, Data Center Development Cost Guide 2025: about
   $11.7M per MW of critical load (range $9.3-15.0M), excluding IT.
"""

from __future__ import annotations


def colocation_cost_usd(colocation_usd_per_kw_month, power_kw_per_gpu, periods_per_year):
    """Leased facility cost per GPU in a period [USD]: ``rate * 12 / ppy * kW``."""
    return colocation_usd_per_kw_month * 12.0 / periods_per_year * power_kw_per_gpu


def facility_capex_usd_per_gpu(facility_capex_usd_per_mw, power_kw_per_gpu):
    """A GPU's share of an owned building's capex [USD]: ``capex_per_MW / 1000 * kW``."""
    return facility_capex_usd_per_mw / 1000.0 * power_kw_per_gpu


def owned_facility_depreciation_usd(xp, facility_capex_usd_per_mw, power_kw_per_gpu, facility_life_years,
                                    periods_per_year, age_years):
    """Straight-line depreciation of a GPU's share of an owned building in a period [USD].

    ``share / life / ppy * ppy * clip(life - a, 0, 1 / ppy)``: the annual rate
    over the part of the period inside the building's life, so the building
    is never depreciated beyond its share, whatever its life.
    """
    share = facility_capex_usd_per_gpu(facility_capex_usd_per_mw, power_kw_per_gpu)
    rate = share / facility_life_years / periods_per_year
    return rate * periods_per_year * xp.clip(facility_life_years - age_years, 0.0, 1.0 / periods_per_year)


def owned_facility_residual_usd(xp, facility_capex_usd_per_mw, power_kw_per_gpu, facility_life_years,
                                service_life_years):
    """Book value of the building share left when the cohort retires [USD].

    ``share * max(0, 1 - service_life / facility_life)`` (docs/model.md §6).
    """
    share = facility_capex_usd_per_gpu(facility_capex_usd_per_mw, power_kw_per_gpu)
    return share * xp.clip(1.0 - service_life_years / facility_life_years, 0.0, 1.0)
