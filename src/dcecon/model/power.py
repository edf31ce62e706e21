"""Electricity use and cost of a cohort (docs/model.md §2).

References
----------
.. [1] NVIDIA DGX H100 datasheet: 10.2 kW for 8 GPUs (1.275 kW per GPU, server
   share included).
.. [2] Uptime Institute Global Data Center Survey 2024: average PUE about 1.56.
"""

from __future__ import annotations


def load_fraction(idle_power_fraction, utilization):
    """Average draw as a fraction of full load [-].

    ``idle + (1 - idle) * utilization``: billed hours at full load, the rest at
    the idle fraction.
    """
    return idle_power_fraction + (1.0 - idle_power_fraction) * utilization


def energy_kwh(hours_per_period, power_kw_per_gpu, load, pue):
    """Facility energy per GPU in a period [kWh]: ``hours * kW * load * PUE``."""
    return hours_per_period * power_kw_per_gpu * load * pue


def electricity_price_at_age_usd_per_kwh(electricity_usd_per_kwh, electricity_escalation_per_year, age_years):
    """Electricity price at age ``a`` [USD / kWh]: ``price * (1 + escalation) ** a``."""
    return electricity_usd_per_kwh * (1.0 + electricity_escalation_per_year) ** age_years


def power_cost_usd(energy_kwh_, electricity_usd_per_kwh):
    """Electricity bill [USD]: energy times price."""
    return energy_kwh_ * electricity_usd_per_kwh
