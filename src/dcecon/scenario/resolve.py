"""From a validated scenario to the plain numbers the model takes.

Site values are resolved into each cohort (a cohort's own value wins), the
facility becomes the one-formula form of :mod:`dcecon.model.facility`
(``colocation = 0`` for an owned building, ``facility_capex = 0`` for a
leased one), and ``it_power_mw`` becomes a GPU count.
"""

from __future__ import annotations

import math

from dcecon.model.cohort import COHORT_PARAMETERS
from dcecon.model.price_paths import usd_per_gpu_hour_from_tokens
from dcecon.scenario.schema import Cohort, Scenario

SITE_OVERRIDES = ("pue", "electricity_usd_per_kwh", "electricity_escalation_per_year")

LEASED_FACILITY_LIFE_YEARS = 1.0
"""Placeholder life for a leased site: it multiplies a zero building capex, so it changes nothing."""


def cohort_parameters(scenario: Scenario, cohort: Cohort) -> dict[str, float]:
    """The values of :data:`dcecon.model.cohort.COHORT_PARAMETERS` for one cohort."""
    site = scenario.site
    values = {name: getattr(cohort, name) for name in COHORT_PARAMETERS if hasattr(cohort, name)}
    for name in SITE_OVERRIDES:
        own = getattr(cohort, name)
        values[name] = getattr(site, name) if own is None else own
    if cohort.colocation_usd_per_kw_month is not None:
        colocation, building, life = cohort.colocation_usd_per_kw_month, 0.0, LEASED_FACILITY_LIFE_YEARS
    elif cohort.facility_capex_usd_per_mw is not None:
        colocation, building = 0.0, cohort.facility_capex_usd_per_mw
        life = cohort.facility_life_years or site.facility_life_years
    elif site.colocation_usd_per_kw_month is not None:
        colocation, building, life = site.colocation_usd_per_kw_month, 0.0, LEASED_FACILITY_LIFE_YEARS
    else:
        colocation, building = 0.0, site.facility_capex_usd_per_mw
        life = cohort.facility_life_years or site.facility_life_years
    values["colocation_usd_per_kw_month"] = colocation
    values["facility_capex_usd_per_mw"] = building
    values["facility_life_years"] = life
    if values.get("service_life_years") is None:
        values["service_life_years"] = cohort.book_life_years
    if cohort.gpus is None:
        values["gpus"] = cohort.it_power_mw * 1000.0 / cohort.power_kw_per_gpu
    if cohort.price_usd_per_gpu_hour is None:
        values["price_usd_per_gpu_hour"] = usd_per_gpu_hour_from_tokens(cohort.price_usd_per_million_tokens,
                                                                        cohort.tokens_per_second_per_gpu)
    values["price_step_year"] = math.inf if cohort.price_step_year is None else cohort.price_step_year
    if cohort.generation_interval_years is None:
        values["generation_interval_years"] = 1.0  # no generations: next arrival never comes
        values["next_generation_year"] = math.inf
    elif cohort.next_generation_year is None:
        values["next_generation_year"] = cohort.in_service_year + cohort.generation_interval_years
    missing = [name for name in COHORT_PARAMETERS if values.get(name) is None]
    assert not missing, missing
    return {name: float(values[name]) for name in COHORT_PARAMETERS}


def fleet_parameters(scenario: Scenario) -> list[tuple[dict[str, float], str]]:
    """``(parameters, depreciation_method)`` for every cohort."""
    return [(cohort_parameters(scenario, c), c.depreciation_method) for c in scenario.cohorts]


def schedule_years(book_lives) -> int:
    """Whole years of accelerated schedule needed for these book lives."""
    return max(1, math.ceil(max(float(x) for x in book_lives) - 1e-9))
