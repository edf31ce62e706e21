"""Flows of one cohort (a vintage of GPUs) on a period grid (docs/model.md §2, §3).

Every parameter is an array broadcastable to ``(n, 1)`` (``n`` scenarios) or a
Python float; ages run along the last axis. The result holds cohort totals
(per-GPU flows times ``gpus``) with periods outside the service life set to
zero.
"""

from __future__ import annotations

from dcecon.model import depreciation, facility, opex, power, price_paths, revenue
from dcecon.model.time import age_in_periods, hours_per_period, in_service_mask

COHORT_PARAMETERS = (
    "gpus",
    "in_service_year",
    "service_life_years",
    "capex_usd_per_gpu",
    "book_life_years",
    "salvage_fraction",
    "power_kw_per_gpu",
    "idle_power_fraction",
    "utilization",
    "price_usd_per_gpu_hour",
    "price_decline_per_year",
    "maintenance_fraction_of_capex_per_year",
    "other_opex_usd_per_gpu_year",
    "pue",
    "electricity_usd_per_kwh",
    "electricity_escalation_per_year",
    "colocation_usd_per_kw_month",
    "facility_capex_usd_per_mw",
    "facility_life_years",
    "price_step_year",
    "price_step_cut",
    "generation_interval_years",
    "generation_price_cut",
    "next_generation_year",
)
"""Numeric inputs of :func:`cohort_flows`, site values already resolved into each cohort."""

FLOW_NAMES = (
    "revenue_usd",
    "depreciation_usd",
    "power_cost_usd",
    "facility_cost_usd",
    "opex_usd",
    "cogs_usd",
    "gross_profit_usd",
    "ebitda_usd",
    "energy_kwh",
    "billed_gpu_hours",
)
"""Per-period flows of a cohort that add up across cohorts and periods."""



def cohort_flows(xp, params, method, grid_start_year, n_periods, periods_per_year, n_schedule_years, names=None):
    """Period flows of a cohort on a grid of ``n_periods`` periods [USD, kWh, h].

    Parameters
    ----------
    xp : module
        Array namespace.
    params : mapping of str to array
        The values of :data:`COHORT_PARAMETERS`, each broadcastable to ``(n, 1)``.
    method : str
        Depreciation method (:data:`dcecon.model.depreciation.METHODS`).
    grid_start_year : float or array
        Decimal year of the first period start [year].
    n_periods : int
        Periods on the grid.
    periods_per_year : int
        1, 4 or 12.
    n_schedule_years : int
        Whole years of accelerated depreciation schedule to build (at least
        the largest book life).
    names : iterable of str, optional
        The flows a caller needs (default: all); the others are not computed
        (``cogs_usd``, ``gross_profit_usd`` and ``ebitda_usd`` bring their
        components).

    Returns
    -------
    dict of str to array
        :data:`FLOW_NAMES` (cohort totals, shape ``(n, n_periods)``) plus the
        terms the investment view needs: ``active`` (bool), ``age_years``,
        ``facility_lease_usd`` (the cash part of the facility cost),
        ``revenue_at_full_utilization_usd``, ``price_weighted_billed_gpu_hours``
        (billed hours times the price decline factor, for the break-even
        price), ``power_cost_at_full_load_usd`` (for the break-even
        utilization).

    Notes
    -----
    docs/model.md §2 (price path: §11), per GPU at age ``a``::

        billed_hours  = hours * utilization
        revenue       = billed_hours * price * (1 - decline) ** a * step * generations
        energy_kwh    = hours * kW * (idle + (1 - idle) * utilization) * PUE
        power_cost    = energy_kwh * electricity * (1 + escalation) ** a
        facility_cost = colocation * 12 / ppy * kW + facility_capex / 1000 * kW / facility_life / ppy
        opex          = (maintenance * capex + other_opex) / ppy
        cogs          = depreciation + power_cost + facility_cost + opex
        ebitda        = revenue - power_cost - opex - colocation part of facility_cost
    """
    p = params
    dtype_probe = p["utilization"] + 0.0 * p["gpus"]
    period_index = xp.astype(xp.arange(n_periods), dtype_probe.dtype)
    age_periods = age_in_periods(xp, grid_start_year, period_index, p["in_service_year"], periods_per_year)
    active = in_service_mask(age_periods, p["service_life_years"], periods_per_year)
    age_years = xp.where(active, age_periods / periods_per_year, 0.0)
    hours = hours_per_period(periods_per_year)

    billed = revenue.billed_hours(hours, p["utilization"])
    period_start_year = grid_start_year + period_index / periods_per_year
    decline = (
        revenue.price_decline_factor(p["price_decline_per_year"], age_years)
        * price_paths.step_factor(xp, period_start_year, p["price_step_year"], p["price_step_cut"])
        * price_paths.generation_factor(xp, period_start_year, p["next_generation_year"],
                                        p["generation_interval_years"], p["generation_price_cut"])
    )
    revenue_at_full = hours * p["price_usd_per_gpu_hour"] * decline
    gpu_revenue = revenue_at_full * p["utilization"]

    load = power.load_fraction(p["idle_power_fraction"], p["utilization"])
    electricity = power.electricity_price_at_age_usd_per_kwh(
        p["electricity_usd_per_kwh"], p["electricity_escalation_per_year"], age_years
    )
    full_load_kwh = power.energy_kwh(hours, p["power_kw_per_gpu"], 1.0, p["pue"])
    gpu_energy = full_load_kwh * load
    gpu_power_cost = power.power_cost_usd(gpu_energy, electricity)

    lease = facility.colocation_cost_usd(p["colocation_usd_per_kw_month"], p["power_kw_per_gpu"], periods_per_year)
    building = facility.owned_facility_depreciation_usd(
        xp, p["facility_capex_usd_per_mw"], p["power_kw_per_gpu"], p["facility_life_years"], periods_per_year,
        age_years,
    )
    gpu_opex = opex.opex_usd(
        p["maintenance_fraction_of_capex_per_year"], p["capex_usd_per_gpu"], p["other_opex_usd_per_gpu_year"],
        periods_per_year,
    )
    # the book clock starts at the cohort's first period on the grid, so a cohort whose in-service date
    # falls between period starts still depreciates its whole base (docs/model.md §1)
    book_age_years = xp.where(active, xp.floor(age_periods + depreciation.BOOK_CLOCK_EPSILON) / periods_per_year, 0.0)
    gpu_depreciation = depreciation.period_depreciation_usd(
        xp, method, p["capex_usd_per_gpu"], p["salvage_fraction"], p["book_life_years"], book_age_years,
        periods_per_year, n_schedule_years,
    )

    gpus = p["gpus"]
    wanted = None if names is None else set(names)
    if wanted is not None:
        if wanted & {"cogs_usd", "gross_profit_usd"}:
            wanted |= {"depreciation_usd", "power_cost_usd", "facility_cost_usd", "opex_usd"}
        if "gross_profit_usd" in wanted:
            wanted.add("revenue_usd")
        if "ebitda_usd" in wanted:
            wanted |= {"revenue_usd", "power_cost_usd", "opex_usd", "facility_lease_usd"}

    def total(per_gpu):
        return xp.where(active, per_gpu * gpus, 0.0)

    per_gpu = {
        "revenue_usd": lambda: gpu_revenue,
        "depreciation_usd": lambda: gpu_depreciation,
        "power_cost_usd": lambda: gpu_power_cost,
        "facility_cost_usd": lambda: lease + building,
        "opex_usd": lambda: gpu_opex,
        "energy_kwh": lambda: gpu_energy,
        "billed_gpu_hours": lambda: billed,
        "facility_lease_usd": lambda: lease,
        "revenue_at_full_utilization_usd": lambda: revenue_at_full,
        "price_weighted_billed_gpu_hours": lambda: billed * decline,
        "power_cost_at_full_load_usd": lambda: full_load_kwh * electricity,
    }
    flows = {name: total(value()) for name, value in per_gpu.items() if wanted is None or name in wanted}
    flows.update(active=active, age_years=age_years, age_periods=age_periods)
    if wanted is None or wanted & {"cogs_usd", "gross_profit_usd"}:
        flows["cogs_usd"] = (
            flows["depreciation_usd"] + flows["power_cost_usd"] + flows["facility_cost_usd"] + flows["opex_usd"]
        )
    if wanted is None or "gross_profit_usd" in wanted:
        flows["gross_profit_usd"] = flows["revenue_usd"] - flows["cogs_usd"]
    if wanted is None or "ebitda_usd" in wanted:
        flows["ebitda_usd"] = (
            flows["revenue_usd"] - flows["power_cost_usd"] - flows["opex_usd"] - flows["facility_lease_usd"]
        )
    return flows


def cohort_capex_usd(params):
    """Capex paid when the cohort enters service [USD].

    GPUs' all-in IT capex plus, for an owned facility, the cohort's share of
    the building (docs/model.md §6).
    """
    building = facility.facility_capex_usd_per_gpu(params["facility_capex_usd_per_mw"], params["power_kw_per_gpu"])
    return (params["capex_usd_per_gpu"] + building) * params["gpus"]


def cohort_terminal_value_usd(xp, params):
    """Cash back at the end of service life [USD]: GPU salvage plus building residual."""
    salvage = params["salvage_fraction"] * params["capex_usd_per_gpu"]
    residual = facility.owned_facility_residual_usd(
        xp, params["facility_capex_usd_per_mw"], params["power_kw_per_gpu"], params["facility_life_years"],
        params["service_life_years"],
    )
    return (salvage + residual) * params["gpus"]
