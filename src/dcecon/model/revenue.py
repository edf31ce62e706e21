"""Rental revenue of a cohort (model-spec section 3)."""

from __future__ import annotations


def billed_hours(hours_per_period, utilization):
    """GPU-hours billed per GPU in a period [h]: ``hours * utilization``."""
    return hours_per_period * utilization


def price_at_age_usd_per_gpu_hour(price_usd_per_gpu_hour, price_decline_per_year, age_years):
    """Rental price at age ``a`` [USD / GPU-hour].

    ``price * (1 - decline) ** a``: a constant yearly decline compounded
    continuously in the age (model-spec section 3). A 2-year-old H100 whose
    price falls 30% a year rents at 0.49 of its launch price.
    """
    return price_usd_per_gpu_hour * (1.0 - price_decline_per_year) ** age_years


def price_decline_factor(price_decline_per_year, age_years):
    """``(1 - decline) ** a``, the price at age ``a`` per dollar of age-0 price [-]."""
    return (1.0 - price_decline_per_year) ** age_years


def revenue_usd(billed_hours_h, price_usd_per_gpu_hour):
    """Revenue per GPU in a period [USD]: billed hours times price."""
    return billed_hours_h * price_usd_per_gpu_hour
