"""Rental revenue of a cohort (docs/model.md §2)."""

from __future__ import annotations


def billed_hours(hours_per_period, utilization):
    """GPU-hours billed per GPU in a period [h]: ``hours * utilization``."""
    return hours_per_period * utilization


def price_decline_factor(price_decline_per_year, age_years):
    """``(1 - decline) ** a``, the price at age ``a`` per dollar of age-0 price [-].

    A constant yearly decline compounded continuously in the age (docs/model.md §2): a 2-year-old H100
    whose price falls 30% a year rents at 0.49 of its launch price.
    """
    return (1.0 - price_decline_per_year) ** age_years

