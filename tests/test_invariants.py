"""Economic invariants of ``dcecon.evaluate`` as hypothesis properties (docs/model.md §4, §6, §8).

Scenarios are built in code from random but plausible parameters: one cohort,
or two cohorts of different vintages. Every property runs on NumPy and on
array-api-strict. Expected values come from the definitions themselves:

- gross margin ``1 - cogs / revenue``: revenue is proportional to the price
  and cogs does not depend on it, so the margin rises with the price; power
  cost rises with the electricity price and with the PUE, so it falls;
- the break-even price and utilization are defined as the values at which
  lifetime gross profit is zero (section 4);
- the IRR is the discount rate at which the NPV is zero (section 4).
"""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dcecon
from dcecon.scenario.schema import Scenario

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cohorts(draw, name="c0", in_service_year=2025.0, profitable=False):
    method = draw(st.sampled_from(["straight_line", "double_declining_balance", "sum_of_years_digits"]))
    life = draw(st.integers(2, 6)) if method != "straight_line" else draw(st.sampled_from([2, 3, 4, 5, 5.5, 6]))
    price_low = 2.5 if profitable else 0.5
    return {
        "name": name,
        "gpus": draw(st.floats(1.0, 10_000.0)),
        "in_service_year": in_service_year,
        "capex_usd_per_gpu": draw(st.floats(10_000.0, 50_000.0)),
        "book_life_years": life,
        "depreciation_method": method,
        "salvage_fraction": draw(st.floats(0.0, 0.2)),
        "power_kw_per_gpu": draw(st.floats(0.5, 2.0)),
        "idle_power_fraction": draw(st.floats(0.0, 0.5)),
        "utilization": draw(st.floats(0.3 if profitable else 0.1, 1.0)),
        "price_usd_per_gpu_hour": draw(st.floats(price_low, 6.0)),
        "price_decline_per_year": draw(st.floats(0.0, 0.2 if profitable else 0.4)),
        "maintenance_fraction_of_capex_per_year": draw(st.floats(0.0, 0.05)),
        "other_opex_usd_per_gpu_year": draw(st.floats(0.0, 3_000.0)),
    }


@st.composite
def sites(draw):
    site = {
        "pue": draw(st.floats(1.0, 2.0)),
        "electricity_usd_per_kwh": draw(st.floats(0.02, 0.3)),
        "electricity_escalation_per_year": draw(st.floats(-0.05, 0.1)),
    }
    if draw(st.booleans()):
        site["colocation_usd_per_kw_month"] = draw(st.floats(0.0, 250.0))
    else:
        site["facility_capex_usd_per_mw"] = draw(st.floats(5e6, 15e6))
        site["facility_life_years"] = draw(st.floats(10.0, 25.0))
    return site


@st.composite
def scenarios(draw, n_cohorts=1, profitable=False):
    """Scenario dicts: a 6-year window from 2025, one cohort in 2025 or two in 2025 and 2026."""
    fleet = [draw(cohorts("c0", 2025.0, profitable))]
    if n_cohorts == 2:
        fleet.append(draw(cohorts("c1", 2026.0, profitable)))
    return {
        "name": "prop",
        "description": "hypothesis scenario",
        "start_year": 2025.0,
        "horizon_years": 6,
        "periods_per_year": draw(st.sampled_from([1, 4, 12])),
        "site": draw(sites()),
        "finance": {"discount_rate": draw(st.floats(0.0, 0.2)), "tax_rate": draw(st.sampled_from([0.0, 0.21]))},
        "cohorts": fleet,
    }


def evaluate(data, backend):
    return dcecon.evaluate(Scenario.model_validate(data), backend=backend).figures


def changed(data, where, key, factor=None, value=None):
    """A copy of the scenario dict with ``key`` of the site or of every cohort scaled or set."""
    out = copy.deepcopy(data)
    targets = [out["site"]] if where == "site" else out["cohorts"]
    for target in targets:
        target[key] = value if value is not None else target[key] * factor
    return out


def lifetime_cogs(figures):
    return figures["lifetime_revenue_usd"] - figures["lifetime_gross_profit_usd"]


MARGINS = ("gross_margin", "lifetime_gross_margin")


@SETTINGS
@given(data=scenarios(n_cohorts=2) | scenarios(n_cohorts=1), factor=st.floats(1.01, 3.0))
def test_gross_margin_rises_with_price(xp_backend, data, factor):
    # margin = 1 - cogs / revenue; revenue scales with the price, cogs does not depend on it.
    low = evaluate(data, xp_backend)
    high = evaluate(changed(data, "cohorts", "price_usd_per_gpu_hour", factor), xp_backend)
    for name in MARGINS:
        assert high[name] >= low[name] - 1e-12
    assert high["cogs_usd"] == pytest.approx(low["cogs_usd"], rel=1e-12)
    assert high["revenue_usd"] == pytest.approx(low["revenue_usd"] * factor, rel=1e-12)


@SETTINGS
@given(data=scenarios(n_cohorts=2) | scenarios(n_cohorts=1), factor=st.floats(1.01, 3.0))
def test_gross_margin_falls_with_electricity_price(xp_backend, data, factor):
    # Power cost = energy * electricity price, so cogs rises and the margin falls (weakly).
    low = evaluate(data, xp_backend)
    high = evaluate(changed(data, "site", "electricity_usd_per_kwh", factor), xp_backend)
    for name in MARGINS:
        assert high[name] <= low[name] + 1e-12
    assert high["power_cost_usd"] == pytest.approx(low["power_cost_usd"] * factor, rel=1e-12)
    assert high["npv_usd"] <= low["npv_usd"] + 1e-6 * abs(low["npv_usd"]) + 1e-6


@SETTINGS
@given(data=scenarios(n_cohorts=2) | scenarios(n_cohorts=1), pue=st.floats(1.0, 3.0))
def test_gross_margin_falls_with_pue(xp_backend, data, pue):
    # Energy = hours * kW * load * PUE: a higher PUE raises power cost and lowers the margin (weakly).
    base = evaluate(data, xp_backend)
    other = evaluate(changed(data, "site", "pue", value=pue), xp_backend)
    lower, higher = (base, other) if pue >= data["site"]["pue"] else (other, base)
    for name in MARGINS:
        assert higher[name] <= lower[name] + 1e-12


@SETTINGS
@given(data=scenarios(n_cohorts=1))
def test_breakeven_price_makes_lifetime_gross_profit_zero(xp_backend, data):
    # docs/model.md §8: the break-even price is the age-0 price at which lifetime gross profit is 0.
    first = evaluate(data, xp_backend)
    price = first["breakeven_price_usd_per_gpu_hour"]
    assert math.isfinite(price) and price > 0.0
    at_breakeven = evaluate(changed(data, "cohorts", "price_usd_per_gpu_hour", value=price), xp_backend)
    assert at_breakeven["lifetime_gross_profit_usd"] == pytest.approx(0.0, abs=1e-9 * lifetime_cogs(first))
    # Costs are unchanged by the price, so the break-even price is a fixed point.
    assert at_breakeven["breakeven_price_usd_per_gpu_hour"] == pytest.approx(price, rel=1e-12)


@SETTINGS
@given(data=scenarios(n_cohorts=1))
def test_breakeven_utilization_makes_lifetime_gross_profit_zero(xp_backend, data):
    # docs/model.md §8: gross profit is linear in the utilization, zero at the break-even one.
    first = evaluate(data, xp_backend)
    u = first["breakeven_utilization"]
    assert u >= 0.0
    if u <= 1.0:
        at_breakeven = evaluate(changed(data, "cohorts", "utilization", value=u), xp_backend)
        assert at_breakeven["lifetime_gross_profit_usd"] == pytest.approx(0.0, abs=1e-9 * lifetime_cogs(first))
    else:
        # Above 1 no utilization breaks even: even fully rented the cohort loses money.
        full = evaluate(changed(data, "cohorts", "utilization", value=1.0), xp_backend)
        assert full["lifetime_gross_profit_usd"] < 0.0


@SETTINGS
@given(data=scenarios(n_cohorts=1, profitable=True))
def test_npv_at_discount_rate_equal_to_irr_is_zero(xp_backend, data):
    # docs/model.md §8: the IRR is the rate where NPV = 0. The schema takes discount rates in [0, 1].
    first = evaluate(data, xp_backend)
    rate = first["irr"]
    if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
        return
    data = copy.deepcopy(data)
    data["finance"]["discount_rate"] = rate
    at_irr = evaluate(data, xp_backend)
    assert at_irr["npv_usd"] == pytest.approx(0.0, abs=1e-6 * first["capex_usd"])
    assert at_irr["irr"] == pytest.approx(rate, rel=1e-6, abs=1e-9)
