"""Operating costs other than power and facility (docs/model.md §2)."""

from __future__ import annotations


def opex_usd(maintenance_fraction_of_capex_per_year, capex_usd_per_gpu, other_opex_usd_per_gpu_year,
             periods_per_year):
    """Maintenance and other opex per GPU in a period [USD].

    ``(maintenance_fraction * capex + other_opex) / ppy``.
    """
    return (maintenance_fraction_of_capex_per_year * capex_usd_per_gpu + other_opex_usd_per_gpu_year) / periods_per_year
