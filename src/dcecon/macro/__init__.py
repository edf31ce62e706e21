"""The macro layer and circular-deal arithmetic (docs/model.md §14).

From gigawatts of demand to GPUs, energy, power cost, capex and the revenue
needed to earn the WACC, beside Bain's and Sequoia's arithmetic::

    from dcecon.macro import load_macro_scenario, evaluate_macro

    scenario, provenance = load_macro_scenario("scenarios/bain-200gw-2030.toml")
    figures = evaluate_macro(scenario)
    figures["power_cost_usd_per_year"]  # 140.16e9 at 200 GW, $0.08/kWh, load 1

The model functions (:mod:`dcecon.macro.model`, :mod:`dcecon.macro.circular`)
broadcast over Python numbers and arrays.
"""

from dcecon.macro.circular import (contract_summary, deal_summary, investment_to_supplier_sales, loop_summary,
                                   revenue_coverage)
from dcecon.macro.model import (bain_required_revenue_usd, capex_usd, capital_recovery_factor_of,
                                energy_twh_per_year, fleet_figures, gpus_for_demand, it_power_gw,
                                power_cost_usd_per_year, required_revenue_usd_per_year,
                                sequoia_required_revenue_usd)
from dcecon.macro.scenario import evaluate, evaluate_circular, evaluate_macro, load_macro_scenario

__all__ = [
    "bain_required_revenue_usd", "capex_usd", "capital_recovery_factor_of", "contract_summary", "deal_summary",
    "energy_twh_per_year", "evaluate", "evaluate_circular", "evaluate_macro", "fleet_figures", "gpus_for_demand",
    "investment_to_supplier_sales", "it_power_gw", "load_macro_scenario", "loop_summary", "power_cost_usd_per_year",
    "required_revenue_usd_per_year", "revenue_coverage", "sequoia_required_revenue_usd",
]
