"""Depreciation schedules against textbook and spreadsheet examples, and the owned building's depreciation.

The definitions are in docs/model.md §3 (Depreciation: the GPU schedules)
and docs/model.md §2 (Flows per GPU at age `a`: an owned building's share,
depreciated straight line over ``facility_life_years``). The schedule tests run on NumPy and on
array-api-strict (fixture ``xp_backend``); the building test evaluates a
bundled scenario (``scenarios/gb200-nvl72-2025.toml``) on NumPy.

Sources of the expected numbers:

- The classic example (cost 10,000, salvage 1,000, life 5 years) is the one
  used in Horngren et al., *Introduction to Financial Accounting*, ch. 8, and
  in the spreadsheet documentation of ``SLN``, ``SYD``, ``DDB`` and ``VDB``
  (OpenFormula / ECMA-376; LibreOffice Calc and Excel give the same numbers).
- Where a number is derived, the hand calculation is written next to it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dcecon
from dcecon.model.depreciation import (
    METHODS,
    depreciable_base_usd,
    double_declining_balance_schedule_usd,
    period_depreciation_usd,
    straight_line_period_usd,
    sum_of_years_digits_year_usd,
)
from dcecon.scenario.loader import load_scenario
from helpers.paths import GB200


def schedule(backend, method, cost, salvage_fraction, life, periods_per_year=1, n_years=None, extra_years=2):
    """Charges of every period from age 0 to ``life + extra_years`` as a 1-D NumPy array."""
    n_years = n_years if n_years is not None else max(1, math.ceil(life - 1e-9))
    n_periods = int(math.ceil((life + extra_years) * periods_per_year - 1e-9))
    xp = backend.xp
    ages = backend.asarray([[k / periods_per_year for k in range(n_periods)]])
    charges = period_depreciation_usd(
        xp, method, backend.asarray([[cost]]), backend.asarray([[salvage_fraction]]), backend.asarray([[life]]),
        ages, periods_per_year, n_years,
    )
    assert charges.shape == (1, n_periods)
    return _host(charges)[0]


def _host(array):
    from dcecon.backends import to_numpy

    return np.asarray(to_numpy(array), dtype=np.float64)


def vdb_reference(cost, salvage, life, factor=2.0):
    """Spreadsheet ``VDB(cost, salvage, life, k, k+1, factor)`` for k = 0 .. life-1, switching on.

    Written from the OpenFormula definition, independently of the model:
    each year the declining-balance charge ``min(factor / life * bv, bv -
    salvage)`` unless straight line over the remaining years ``(bv - salvage)
    / (life - k)`` is larger.
    """
    book_value = cost
    out = []
    for k in range(int(life)):
        declining = min(factor / life * book_value, book_value - salvage)
        straight = (book_value - salvage) / (life - k)
        charge = max(declining, straight, 0.0)
        out.append(charge)
        book_value -= charge
    return out


# --------------------------------------------------------------------------------------------
# Textbook example: cost 10,000, salvage 1,000, life 5 (salvage fraction 0.1)
# --------------------------------------------------------------------------------------------


def test_straight_line_textbook_10000_salvage_1000_life_5(xp_backend):
    # SLN(10000, 1000, 5) = (10000 - 1000) / 5 = 1,800 a year (textbook; spreadsheet SLN).
    charges = schedule(xp_backend, "straight_line", 10_000.0, 0.1, 5.0)
    np.testing.assert_allclose(charges, [1800, 1800, 1800, 1800, 1800, 0, 0], rtol=0, atol=1e-9)


def test_sum_of_years_digits_textbook_10000_salvage_1000_life_5(xp_backend):
    # SYD: digits 5+4+3+2+1 = 15, base 9,000 (textbook; spreadsheet SYD(10000, 1000, 5, k)):
    # 9000*5/15 = 3000, 9000*4/15 = 2400, 9000*3/15 = 1800, 9000*2/15 = 1200, 9000*1/15 = 600.
    charges = schedule(xp_backend, "sum_of_years_digits", 10_000.0, 0.1, 5.0)
    np.testing.assert_allclose(charges, [3000, 2400, 1800, 1200, 600, 0, 0], rtol=0, atol=1e-9)


def test_double_declining_balance_textbook_vdb_10000_salvage_1000_life_5(xp_backend):
    # VDB(10000, 1000, 5, k, k+1, 2), rate 2/5 = 0.4; hand calculation (bv = book value at year start):
    #   k=0: bv 10000, DDB min(4000, 9000) = 4000, SL 9000/5 = 1800  -> 4000, bv 6000
    #   k=1: bv  6000, DDB min(2400, 5000) = 2400, SL 5000/4 = 1250  -> 2400, bv 3600
    #   k=2: bv  3600, DDB min(1440, 2600) = 1440, SL 2600/3 = 866.7 -> 1440, bv 2160
    #   k=3: bv  2160, DDB min( 864, 1160) =  864, SL 1160/2 = 580   ->  864, bv 1296
    #   k=4: bv  1296, DDB min(518.4, 296) =  296, SL  296/1 = 296   ->  296, bv 1000 = salvage
    # Total 4000 + 2400 + 1440 + 864 + 296 = 9000 = depreciable base.
    charges = schedule(xp_backend, "double_declining_balance", 10_000.0, 0.1, 5.0)
    np.testing.assert_allclose(charges, [4000, 2400, 1440, 864, 296, 0, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(charges[:5], vdb_reference(10_000.0, 1_000.0, 5), rtol=0, atol=1e-9)


def test_double_declining_balance_switches_to_straight_line_vdb_10000_no_salvage_life_5(xp_backend):
    # VDB(10000, 0, 5, k, k+1, 2) with switching (LibreOffice/Excel default); hand calculation:
    #   k=0: bv 10000, DDB 4000, SL 10000/5 = 2000 -> 4000, bv 6000
    #   k=1: bv  6000, DDB 2400, SL  6000/4 = 1500 -> 2400, bv 3600
    #   k=2: bv  3600, DDB 1440, SL  3600/3 = 1200 -> 1440, bv 2160
    #   k=3: bv  2160, DDB  864, SL  2160/2 = 1080 -> 1080 (switch to straight line), bv 1080
    #   k=4: bv  1080, DDB  432, SL  1080/1 = 1080 -> 1080, bv 0
    # Plain DDB without the switch would give 864 and 518.4 in the last two years and never reach 0.
    charges = schedule(xp_backend, "double_declining_balance", 10_000.0, 0.0, 5.0)
    np.testing.assert_allclose(charges, [4000, 2400, 1440, 1080, 1080, 0, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(charges[:5], vdb_reference(10_000.0, 0.0, 5), rtol=0, atol=1e-9)


def test_schedule_helpers_match_textbook_directly(xp_backend):
    # The building blocks give the same textbook numbers (see the three tests above).
    xp, a = xp_backend.xp, xp_backend.asarray
    cost, salvage, life = a([10_000.0]), a([0.1]), a([5.0])
    assert _host(depreciable_base_usd(cost, salvage))[0] == pytest.approx(9000.0)  # 10000 * (1 - 0.1)
    syd = [_host(sum_of_years_digits_year_usd(xp, cost, salvage, life, a([float(k)])))[0] for k in range(6)]
    np.testing.assert_allclose(syd, [3000, 2400, 1800, 1200, 600, 0], atol=1e-9)
    ddb = [_host(x)[0] for x in double_declining_balance_schedule_usd(xp, cost, salvage, life, 7)]
    np.testing.assert_allclose(ddb, [4000, 2400, 1440, 864, 296, 0, 0], atol=1e-9)
    # SLN over one year of a 5-year life: 9000 / 5 = 1800; a quarter of it: 450.
    sl = straight_line_period_usd(xp, cost, salvage, life, a([0.0]), 0.25)
    assert _host(sl)[0] == pytest.approx(450.0)


def test_unknown_method_raises_value_error(xp_backend):
    with pytest.raises(ValueError, match="unknown depreciation method"):
        schedule(xp_backend, "units_of_production", 10_000.0, 0.1, 5.0)


# --------------------------------------------------------------------------------------------
# Fractional straight-line life: Meta's 5.5-year servers (2025 10-K useful-life change)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("periods_per_year", [1, 4, 12])
def test_straight_line_fractional_life_5_5_years_meta(xp_backend, periods_per_year):
    # Cost 11,000, no salvage, life 5.5 years: annual rate 11000 / 5.5 = 2,000 (hand calculation);
    # years 0-4 get 2,000 each, year 5 (age 5.0-5.5) the remaining half year 1,000; total 11,000.
    charges = schedule(xp_backend, "straight_line", 11_000.0, 0.0, 5.5, periods_per_year)
    n_years = len(charges) // periods_per_year
    annual = charges[: n_years * periods_per_year].reshape(n_years, periods_per_year).sum(axis=1)
    np.testing.assert_allclose(annual[:7], [2000, 2000, 2000, 2000, 2000, 1000, 0], rtol=0, atol=1e-8)
    assert charges.sum() == pytest.approx(11_000.0, rel=1e-12)
    # Every period inside the life charges 2000 / ppy (a month: 166.67, a quarter: 500).
    inside = int(5.5 * periods_per_year)  # periods wholly inside the life: 5, 22, 66
    np.testing.assert_allclose(charges[:inside], 2000.0 / periods_per_year, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Totals: every method depreciates exactly the base B = cost * (1 - salvage)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("life", [1, 2, 3, 4, 5, 6, 7, 10])
@pytest.mark.parametrize("periods_per_year", [1, 4, 12])
def test_total_equals_depreciable_base_every_method_and_life(xp_backend, method, life, periods_per_year):
    # docs/model.md §3 (Depreciation): each schedule totals B; cost 50,000, salvage 5% -> B = 47,500.
    charges = schedule(xp_backend, method, 50_000.0, 0.05, float(life), periods_per_year)
    assert charges.sum() == pytest.approx(47_500.0, rel=1e-12)
    assert np.all(charges >= -1e-9)
    # Nothing is charged once the book life is over.
    np.testing.assert_allclose(charges[life * periods_per_year:], 0.0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    method=st.sampled_from(METHODS),
    cost=st.floats(1.0, 1e6),
    salvage_fraction=st.floats(0.0, 0.5),
    life=st.integers(1, 12),
    periods_per_year=st.sampled_from([1, 4, 12]),
)
def test_total_equals_depreciable_base_property(xp_backend, method, cost, salvage_fraction, life, periods_per_year):
    # Sum of the schedule = cost * (1 - salvage_fraction) (docs/model.md §3).
    charges = schedule(xp_backend, method, cost, salvage_fraction, float(life), periods_per_year)
    assert charges.sum() == pytest.approx(cost * (1.0 - salvage_fraction), rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    cost=st.floats(1.0, 1e6),
    salvage_fraction=st.floats(0.0, 0.5),
    life=st.floats(0.5, 12.0),
    periods_per_year=st.sampled_from([1, 4, 12]),
)
def test_straight_line_fractional_life_total_property(xp_backend, cost, salvage_fraction, life, periods_per_year):
    # Straight line with any positive life: total B, charged at B / L a year (docs/model.md §3).
    charges = schedule(xp_backend, "straight_line", cost, salvage_fraction, life, periods_per_year)
    base = cost * (1.0 - salvage_fraction)
    assert charges.sum() == pytest.approx(base, rel=1e-10)
    assert charges.max() <= base / life / periods_per_year * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(cost=st.floats(1.0, 1e6), salvage_fraction=st.floats(0.0, 0.5), life=st.integers(1, 12))
def test_double_declining_balance_matches_vdb_reference_property(xp_backend, cost, salvage_fraction, life):
    # Against an independent implementation of spreadsheet VDB(cost, salvage, life, k, k+1, 2).
    charges = schedule(xp_backend, "double_declining_balance", cost, salvage_fraction, float(life))
    expected = vdb_reference(cost, cost * salvage_fraction, life)
    np.testing.assert_allclose(charges[:life], expected, rtol=1e-10, atol=1e-9 * cost)


@pytest.mark.parametrize("periods_per_year", [4, 12])
@pytest.mark.parametrize("method", ["double_declining_balance", "sum_of_years_digits"])
def test_accelerated_methods_spread_the_annual_amount_evenly_within_a_year(xp_backend, method, periods_per_year):
    # docs/model.md §3 (Depreciation): a period's charge is the annual amount of its year / ppy.
    annual = schedule(xp_backend, method, 10_000.0, 0.1, 5.0, 1)
    sub = schedule(xp_backend, method, 10_000.0, 0.1, 5.0, periods_per_year)
    expected = np.repeat(annual, periods_per_year) / periods_per_year
    np.testing.assert_allclose(sub, expected[: len(sub)], rtol=1e-12, atol=1e-9)


def test_vectorized_over_rows_with_different_lives(xp_backend):
    # One call, three rows with lives 3, 4, 5 and the same ages: each row equals its own VDB schedule.
    xp, a = xp_backend.xp, xp_backend.asarray
    lives = a([[3.0], [4.0], [5.0]])
    ages = a([[float(k) for k in range(6)]])
    charges = _host(period_depreciation_usd(xp, "double_declining_balance", a([[10_000.0]]), a([[0.1]]), lives,
                                            ages, 1, 5))
    for row, life in zip(charges, (3, 4, 5)):
        expected = vdb_reference(10_000.0, 1_000.0, life) + [0.0] * (6 - life)
        np.testing.assert_allclose(row, expected, atol=1e-9)


# --------------------------------------------------------------------------------------------
# Owned building: its share is depreciated over facility_life_years, never beyond
# --------------------------------------------------------------------------------------------


def test_building_is_never_depreciated_beyond_its_share():
    # Owned building, life 2.5 years, annual periods over a 6-year window: the charge stops at the share.
    # Share per GPU = 11.7e6 / 1000 x 1.6667 kW; 60,000 GPUs (100 MW / 1.6667 kW).
    result = dcecon.evaluate(load_scenario(GB200, ["periods_per_year=1", "horizon_years=6",
                                                   "site.facility_life_years=2.5", "cohorts.0.in_service_year=2025.5",
                                                   "start_year=2025.5"]), backend="numpy")
    share = 11.7e6 / 1000 * 1.6667 * (100 * 1000 / 1.6667)
    building = sum(p["facility_cost_usd"] for p in result.periods)
    assert building == pytest.approx(share, rel=1e-9)
