"""The macro layer: from gigawatts of demand to the revenue the build-out needs (docs/model.md §14).

Pure functions of plain numbers or arrays (NumPy, CuPy, array-api-strict):
Python floats in, Python floats out; arrays in, arrays of the broadcast shape
out. Only :func:`capital_recovery_factor_of` and :func:`fleet_figures` need an
array namespace (for ``where``); they take it from their arguments.

Units are in the names. ``demand_gw`` is facility (grid) power, PUE
included; ``load`` is the average draw as a fraction of that demand over a
year (1: every GW drawn all 8,760 hours).

References
----------
.. [1] Bain & Company, *Technology Report 2025* (Sept 2025): 200 GW of
   additional compute power demand by 2030; about $500B of data-center capex
   a year needs about $2T of annual revenue (Bain publishes no capex-to-revenue
   ratio: 0.25 is derived from those two figures, so $500B / 0.25 gives back
   the $2T by construction);
   https://www.bain.com/insights/topics/technology-report/
.. [2] David Cahn, Sequoia Capital, "AI's $200B Question" (Sept 2023,
   https://www.sequoiacap.com/article/follow-the-gpus-perspective/) and "AI's
   $600B Question" (June 2024, https://www.sequoiacap.com/article/ais-600b-question/):
   Nvidia's data-center run-rate x 2 (GPUs are half of data-center TCO) x 2
   (50% end-user gross margin).
.. [3] Brealey, Myers, Allen, *Principles of Corporate Finance*, ch. 6:
   equivalent annual cost and the capital recovery factor.
.. [4] U.S. Energy Information Administration, *Electric Power Annual*:
   average industrial electricity price about $0.081/kWh in 2023;
   https://www.eia.gov/electricity/annual/
"""

from __future__ import annotations

import array_api_compat.numpy as numpy_xp

from dcecon.backends.namespace import namespace_of
from dcecon.model.finance import capital_recovery_factor
from dcecon.model.time import HOURS_PER_YEAR

KW_PER_GW = 1e6
"""Kilowatts in a gigawatt."""

SEQUOIA_GPU_SHARE_OF_TCO = 0.5
"""GPUs are about half of a data center's total cost of ownership (Cahn, Sequoia 2023 and 2024) [-]."""

SEQUOIA_END_USER_GROSS_MARGIN = 0.5
"""Gross margin of the AI companies selling to end users (Cahn, Sequoia 2023 and 2024) [-]."""


def _is_scalar(value) -> bool:
    return isinstance(value, (int, float))


def _namespace(*values):
    """The array namespace of the array arguments; ``array_api_compat.numpy`` when all are Python numbers."""
    arrays = [v for v in values if not _is_scalar(v)]
    return namespace_of(*arrays) if arrays else numpy_xp


def it_power_gw(demand_gw, pue):
    """IT power behind a facility demand [GW].

    Parameters
    ----------
    demand_gw : numeric
        Facility (grid) power, PUE included [GW].
    pue : numeric
        Power usage effectiveness, facility power / IT power [-], >= 1.

    Notes
    -----
    ``it_power_gw = demand_gw / pue`` (docs/model.md §14).
    """
    return demand_gw / pue


def gpus_for_demand(demand_gw, pue, power_kw_per_gpu):
    """GPUs that a facility demand powers at full load [GPU].

    Parameters
    ----------
    demand_gw : numeric
        Facility power, PUE included [GW].
    pue : numeric
        Power usage effectiveness [-].
    power_kw_per_gpu : numeric
        IT power per GPU at full load, server share included [kW/GPU]
        (GB200 NVL72: about 120 kW / 72 = 1.67 kW; DGX H100: 10.2 kW / 8 = 1.275 kW).

    Notes
    -----
    ``gpus = demand_gw * 1e6 / (pue * power_kw_per_gpu)`` (docs/model.md §14).
    """
    return demand_gw * KW_PER_GW / (pue * power_kw_per_gpu)


def energy_twh_per_year(demand_gw, load):
    """Facility electricity use in a year [TWh/year].

    Parameters
    ----------
    demand_gw : numeric
        Facility power, PUE included [GW].
    load : numeric
        Average draw as a fraction of ``demand_gw`` over the year [-].

    Notes
    -----
    ``energy_twh_per_year = demand_gw * 8760 * load / 1000`` (docs/model.md
    §14). 200 GW at load 1: 200 x 8,760 / 1,000 = 1,752 TWh.
    """
    return demand_gw * HOURS_PER_YEAR * load / 1000.0


def power_cost_usd_per_year(demand_gw, load, electricity_usd_per_kwh):
    """Facility electricity bill in a year [USD/year].

    Parameters
    ----------
    demand_gw : numeric
        Facility power, PUE included [GW].
    load : numeric
        Average draw as a fraction of ``demand_gw`` [-].
    electricity_usd_per_kwh : numeric
        Electricity price [USD/kWh].

    Notes
    -----
    ``power_cost = demand_gw * 1e6 * 8760 * load * electricity_usd_per_kwh``
    (docs/model.md §14): 200 GW at $0.08/kWh (EIA 2023, rounded) and load 1 cost
    200e6 kW x 8,760 h x $0.08 = $140.16B a year.
    """
    return demand_gw * KW_PER_GW * HOURS_PER_YEAR * load * electricity_usd_per_kwh


def capex_usd(demand_gw, capex_usd_per_gw):
    """Capital cost of building ``demand_gw`` [USD].

    Parameters
    ----------
    demand_gw : numeric
        Facility power, PUE included [GW].
    capex_usd_per_gw : numeric
        All-in capex per GW of facility power: building, power and cooling
        plant, IT [USD/GW]. Jensen Huang (Nvidia, Aug 2025): $50-60B per GW,
        about $35B of it Nvidia systems.
    """
    return demand_gw * capex_usd_per_gw


def capital_recovery_factor_of(rate_per_year, life_years):
    """:func:`dcecon.model.finance.capital_recovery_factor` for numbers or arrays of any namespace [-/year].

    ``crf(r, n) = r (1 + r)^n / ((1 + r)^n - 1)``; ``1 / n`` at ``r = 0``. A
    Python float when both arguments are Python numbers.
    """
    xp = _namespace(rate_per_year, life_years)
    if _is_scalar(rate_per_year) and _is_scalar(life_years):
        return float(capital_recovery_factor(xp, rate_per_year, life_years))
    if _is_scalar(rate_per_year):  # ``where`` needs an array condition; match the life's float dtype
        floating = xp.isdtype(life_years.dtype, "real floating")
        rate_per_year = xp.asarray(rate_per_year, dtype=life_years.dtype if floating else None)
    return capital_recovery_factor(xp, rate_per_year, life_years)


def required_revenue_usd_per_year(capex, crf, power, facility, opex, other_cost_share):
    """Yearly revenue that earns the WACC on a fleet [USD/year].

    Parameters
    ----------
    capex : numeric
        Capital to recover [USD] (in :func:`fleet_figures`: the IT share of capex).
    crf : numeric
        Capital recovery factor at the WACC over the capital's life [-/year]
        (:func:`capital_recovery_factor_of`).
    power : numeric
        Electricity bill [USD/year].
    facility : numeric
        Facility cost [USD/year]: rent, or (in :func:`fleet_figures`) the
        building's own capital charge, facility capex x crf at its longer life.
    opex : numeric
        Operations and maintenance [USD/year].
    other_cost_share : numeric
        Share of revenue taken by costs not above (sales, general and
        administrative, software) [-], in [0, 1).

    Notes
    -----
    ``required = (capex * crf + power + facility + opex) / (1 - other_cost_share)``
    (docs/model.md §14). ``capex * crf`` is the level annual payment that
    returns the capital with the WACC over its life (Brealey-Myers-Allen,
    ch. 6), so revenue at this level gives an NPV of zero at the WACC,
    pre-tax.
    """
    return (capex * crf + power + facility + opex) / (1.0 - other_cost_share)


def sequoia_required_revenue_usd(run_rate, gpu_share_of_tco=SEQUOIA_GPU_SHARE_OF_TCO,
                                 end_user_gross_margin=SEQUOIA_END_USER_GROSS_MARGIN):
    """Sequoia's question: end-user AI revenue that Nvidia's data-center sales imply [USD/year].

    Parameters
    ----------
    run_rate : numeric
        Nvidia's annualized data-center revenue run-rate [USD/year].
    gpu_share_of_tco : numeric, default 0.5
        GPUs' share of a data center's total cost of ownership (Cahn: "for
        every $1 spent on a GPU, roughly $1 needs to be spent on energy costs")
        [-].
    end_user_gross_margin : numeric, default 0.5
        Gross margin of the companies selling AI to end users [-].

    Notes
    -----
    ``required = run_rate / gpu_share_of_tco / (1 - end_user_gross_margin)``
    (docs/model.md §14): $50B -> $200B (Sept 2023), $150B -> $600B (June 2024,
    where the $150B is Cahn's forecast of Nvidia's data-center run-rate at
    the end of 2024, "Nvidia's run-rate revenue forecast", not a reported or
    guided quarter). Both results are products of Cahn's own inputs: the
    model checks his arithmetic, nothing more.

    References
    ----------
    David Cahn, Sequoia Capital, "AI's $200B Question" (2023-09,
    https://www.sequoiacap.com/article/follow-the-gpus-perspective/) and "AI's
    $600B Question" (2024-06, https://www.sequoiacap.com/article/ais-600b-question/).
    """
    return run_rate / gpu_share_of_tco / (1.0 - end_user_gross_margin)


def bain_required_revenue_usd(annual_capex, capex_to_revenue):
    """Bain's arithmetic: annual revenue that sustains an annual capex [USD/year].

    Parameters
    ----------
    annual_capex : numeric
        Data-center capex per year [USD/year].
    capex_to_revenue : numeric
        Sustainable capex as a fraction of revenue [-], > 0.

    Notes
    -----
    ``required = annual_capex / capex_to_revenue`` (docs/model.md §14):
    $500B / 0.25 = $2T by 2030. Bain does not publish the ratio; 0.25 is
    derived from its two figures ($500B / $2T), so the $2T comes back by
    construction: a check of the arithmetic, not a reproduction.

    References
    ----------
    Bain & Company, *Technology Report 2025* (2025-09),
    https://www.bain.com/insights/topics/technology-report/
    """
    return annual_capex / capex_to_revenue


def fleet_figures(demand_gw, pue, power_kw_per_gpu, load, electricity_usd_per_kwh, capex_usd_per_gw,
                  it_share_of_capex, it_life_years, facility_life_years, opex_fraction_of_capex_per_year, wacc,
                  other_cost_share):
    """Every figure of the WACC view of a build-out, broadcasting over its inputs.

    Parameters
    ----------
    demand_gw, pue, power_kw_per_gpu, load, electricity_usd_per_kwh, capex_usd_per_gw : numeric
        As in the functions above [GW, -, kW/GPU, -, USD/kWh, USD/GW].
    it_share_of_capex : numeric
        Share of the all-in capex that is IT equipment, recovered over
        ``it_life_years``; the rest (building, power and cooling plant) is
        recovered over ``facility_life_years`` [-].
    it_life_years, facility_life_years : numeric
        Economic lives [years].
    opex_fraction_of_capex_per_year : numeric
        Operations and maintenance per year as a fraction of all-in capex [-/year].
    wacc : numeric
        Weighted average cost of capital [-/year].
    other_cost_share : numeric
        Share of revenue taken by other costs [-] (see :func:`required_revenue_usd_per_year`).

    Returns
    -------
    dict
        ``it_power_gw``, ``gpus``, ``energy_twh_per_year``,
        ``power_cost_usd_per_year``, ``capex_usd``, ``it_capex_usd``,
        ``facility_capex_usd``, ``crf_it``, ``crf_facility``,
        ``it_capital_charge_usd_per_year``,
        ``facility_capital_charge_usd_per_year``, ``opex_usd_per_year``,
        ``cost_usd_per_year`` (before other costs) and
        ``required_revenue_usd_per_year``.

    Notes
    -----
    The facility term of :func:`required_revenue_usd_per_year` is the
    building's capital charge, ``facility_capex * crf(wacc, facility_life)``;
    opex is ``opex_fraction_of_capex_per_year * capex``. Pre-tax, no growth:
    the fleet is priced as if built at once and run at a steady state.
    """
    total_capex = capex_usd(demand_gw, capex_usd_per_gw)
    it_capex = total_capex * it_share_of_capex
    facility_capex = total_capex - it_capex
    crf_it = capital_recovery_factor_of(wacc, it_life_years)
    crf_facility = capital_recovery_factor_of(wacc, facility_life_years)
    power = power_cost_usd_per_year(demand_gw, load, electricity_usd_per_kwh)
    facility_charge = facility_capex * crf_facility
    opex = opex_fraction_of_capex_per_year * total_capex
    return {
        "it_power_gw": it_power_gw(demand_gw, pue),
        "gpus": gpus_for_demand(demand_gw, pue, power_kw_per_gpu),
        "energy_twh_per_year": energy_twh_per_year(demand_gw, load),
        "power_cost_usd_per_year": power,
        "capex_usd": total_capex,
        "it_capex_usd": it_capex,
        "facility_capex_usd": facility_capex,
        "crf_it": crf_it,
        "crf_facility": crf_facility,
        "it_capital_charge_usd_per_year": it_capex * crf_it,
        "facility_capital_charge_usd_per_year": facility_charge,
        "opex_usd_per_year": opex,
        "cost_usd_per_year": it_capex * crf_it + power + facility_charge + opex,
        "required_revenue_usd_per_year": required_revenue_usd_per_year(it_capex, crf_it, power, facility_charge,
                                                                       opex, other_cost_share),
    }
