"""NPV, IRR, payback and the capital recovery factor (``dcecon.model.finance``).

The definitions are in docs/model.md §6 (Fleet investment view: discounting,
NPV) and docs/model.md §8 (IRR, payback, break-evens: the IRR's bracket and
root choice, payback); the capital recovery factor is defined in the docstring of
``dcecon.model.finance.capital_recovery_factor``.

References for the expected numbers: numpy-financial (``npv``, ``irr``,
``pmt``) as an independent implementation, and hand calculations written out
in the comments. The tests of the array functions run on NumPy and on
array-api-strict; the IRR regressions at the end of the IRR section run on
NumPy, one of them on a bundled scenario (NumPy model and native kernel,
this session's build: fixture ``native_lib``).
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest

import dcecon
from dcecon.model import finance
from dcecon.model.finance import capital_recovery_factor, irr, npv_usd, payback_years
from dcecon.scenario.loader import load_scenario
from helpers.parity_checks import npv_residual
from helpers.paths import GB200

ROWS = 200


def conventional_cash_flows(seed, rows=ROWS, n_flows=8):
    """Random conventional flows: one outflow at t = 0, then inflows at t = 1, 2, ...

    Capex 50..200, inflows 5..60 a year, so the IRR lies between about -60% and
    +100% a year and is unique (one sign change, Descartes' rule of signs).
    """
    rng = np.random.default_rng(seed)
    flows = rng.uniform(5.0, 60.0, size=(rows, n_flows))
    flows[:, 0] = -rng.uniform(50.0, 200.0, size=rows)
    return flows


def annual_times(n_flows):
    return np.arange(n_flows, dtype=np.float64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_npv_matches_numpy_financial_on_random_conventional_flows(xp_backend, to_np, seed):
    flows = conventional_cash_flows(seed)
    rng = np.random.default_rng(100 + seed)
    rates = rng.uniform(0.0, 0.3, size=ROWS)
    a = xp_backend.asarray
    # All rows in one call: rate shape (rows, 1), flows (rows, M), times (M,).
    got = to_np(npv_usd(xp_backend.xp, a(rates[:, None]), a(flows), a(annual_times(flows.shape[1]))))
    # numpy_financial.npv(rate, values) discounts values[t] by (1 + rate) ** t with t = 0, 1, ...
    expected = np.array([npf.npv(r, row) for r, row in zip(rates, flows)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_npv_hand_calculation(xp_backend, to_np):
    # -100 + 60 / 1.1 + 60 / 1.1**2 = -100 + 54.5454... + 49.5867... = 4.13223140... (hand calculation)
    a = xp_backend.asarray
    got = to_np(npv_usd(xp_backend.xp, a([[0.1]]), a([[-100.0, 60.0, 60.0]]), a([0.0, 1.0, 2.0])))
    assert got[0] == pytest.approx(-100 + 60 / 1.1 + 60 / 1.1**2, rel=1e-14)
    assert got[0] == pytest.approx(4.132231404958677, rel=1e-12)


def test_npv_with_fractional_and_negative_times(xp_backend, to_np):
    # Times need not be whole years: 100 at t = 0.5 is worth 100 / 1.21 ** 0.5 = 100 / 1.1 = 90.909...;
    # 100 at t = -1 (a cohort bought before the valuation date) is compounded forward to 121.
    a = xp_backend.asarray
    got = to_np(npv_usd(xp_backend.xp, a([[0.21], [0.21]]), a([[100.0], [100.0]]), a([[0.5], [-1.0]])))
    np.testing.assert_allclose(got, [100 / 1.1, 121.0], rtol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_irr_matches_numpy_financial_on_random_conventional_flows(xp_backend, to_np, seed):
    flows = conventional_cash_flows(seed)
    a = xp_backend.asarray
    times = annual_times(flows.shape[1])
    got = to_np(irr(xp_backend.xp, a(flows), a(times)))
    # numpy_financial.irr: the root of the NPV polynomial, one row at a time.
    expected = np.array([npf.irr(row) for row in flows])
    assert np.all(np.isfinite(expected))
    # Agreement to 1e-10 (the solver stops at a step of 1e-12 * (1 + |r|)).
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    # NPV at the IRR is ~0 relative to each row's capex.
    npv_at_irr = np.array([npf.npv(r, row) for r, row in zip(got, flows)])
    np.testing.assert_allclose(npv_at_irr / -flows[:, 0], 0.0, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_npv_at_irr_is_zero_to_solver_tolerance(xp_backend, to_np, seed):
    # The solver stops at a step of 1e-12 * (1 + |r|) (finance.IRR_TOLERANCE), so NPV(IRR) / capex
    # should be ~1e-12 and the IRR equal numpy_financial.irr to ~1e-12, not 1e-8.
    flows = conventional_cash_flows(seed)
    a = xp_backend.asarray
    got = to_np(irr(xp_backend.xp, a(flows), a(annual_times(flows.shape[1]))))
    npv_at_irr = np.array([npf.npv(r, row) for r, row in zip(got, flows)])
    np.testing.assert_allclose(npv_at_irr / -flows[:, 0], 0.0, atol=1e-10)
    np.testing.assert_allclose(got, [npf.irr(row) for row in flows], rtol=0, atol=1e-10)


def test_irr_when_the_first_guess_is_the_root(xp_backend, to_np):
    # Capex 100 / 1.1^2 = 82.6446..., +100 in year 2: IRR exactly 10% (hand calculation:
    # (1 + r)^2 = 100 / 82.6446 = 1.21). The NPV at the solver's first guess 0.1 is exactly 0.0 in
    # floating point; numpy_financial.irr gives 0.1.
    flows = np.array([[-100.0 * 1.1**-2.0, 0.0, 100.0]])
    got = to_np(irr(xp_backend.xp, xp_backend.asarray(flows), xp_backend.asarray([0.0, 1.0, 2.0])))
    assert npf.irr(flows[0]) == pytest.approx(0.1, rel=1e-12)
    assert got[0] == pytest.approx(0.1, rel=1e-12)


def test_irr_hand_calculation_two_period(xp_backend, to_np):
    # -100 now, +110 in a year: 110 / (1 + r) = 100 -> r = 10% (hand calculation).
    # -100 now, +121 in two years: (1 + r)^2 = 1.21 -> r = 10%.
    a = xp_backend.asarray
    got = to_np(irr(xp_backend.xp, a([[-100.0, 110.0, 0.0], [-100.0, 0.0, 121.0]]), a([0.0, 1.0, 2.0])))
    np.testing.assert_allclose(got, [0.1, 0.1], rtol=1e-10)


def test_irr_is_nan_not_an_exception_where_no_irr_exists(xp_backend, to_np):
    # Row 0: all positive flows -> NPV > 0 at every rate, no IRR (numpy_financial.irr also gives nan).
    # Row 1: all negative -> none either. Row 2: a conventional row in the same call keeps its IRR.
    rows = np.array([[10.0, 20.0, 30.0], [-10.0, -20.0, -30.0], [-100.0, 60.0, 60.0]])
    a = xp_backend.asarray
    got = to_np(irr(xp_backend.xp, a(rows), a([0.0, 1.0, 2.0])))
    assert math.isnan(got[0]) and math.isnan(got[1])
    assert math.isnan(npf.irr(rows[0]))
    # -100 + 60 x + 60 x^2 = 0, x = 1 / (1 + r): x = (-60 + sqrt(3600 + 24000)) / 120 = 0.88437...,
    # r = 1 / x - 1 = 0.130662... (hand calculation; numpy_financial.irr agrees).
    x = (-60 + math.sqrt(60**2 + 4 * 60 * 100)) / 120
    assert got[2] == pytest.approx(1 / x - 1, rel=1e-10)
    assert got[2] == pytest.approx(npf.irr(rows[2]), rel=1e-9)


def test_irr_with_explicit_times_matches_shifted_numpy_financial(xp_backend, to_np):
    # IRR does not depend on the valuation date: flows at t = -2, -1, 0, ... have the IRR of
    # the same flows at t = 0, 1, 2, ... (numpy_financial.irr of the unshifted flows).
    flows = conventional_cash_flows(7, rows=20)
    a = xp_backend.asarray
    times = annual_times(flows.shape[1]) - 2.0
    got = to_np(irr(xp_backend.xp, a(flows), a(times)))
    np.testing.assert_allclose(got, [npf.irr(row) for row in flows], rtol=1e-8, atol=1e-10)


def test_irr_returns_a_root():
    """``finance.irr`` of capex, losses and a late salvage: the one root in [-0.99, 1000] (-0.6887, from a dense
    scan of the NPV in y = ln(1 + r), 2e5 points), not the first guess (-0.4648, where the NPV is -9.4e8).

    Regression: a stalled false-position step was once taken for convergence and returned a rate that was not a
    root (found by the native parity tests, tests/test_native_parity.py).
    """
    flows = np.array([[-26.6e6, -249.3e6, -1.4e6, -16.7e6, -16.8e6, -16.9e6, -17.0e6, 13.7e6, -1.4e6, -1.4e6,
                       -1.4e6, 0.56e6]])
    times = np.array([[0.0, 0.37, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
    ys = np.linspace(math.log1p(finance.IRR_LOWER_BOUND), math.log1p(finance.IRR_UPPER_BOUND), 200001)
    npv = (flows[0][None, :] * np.exp(-np.outer(ys, times[0]))).sum(axis=1)
    roots = np.expm1(ys[:-1][np.sign(npv[:-1]) != np.sign(npv[1:])])
    assert roots.size == 1 and abs(roots[0] + 0.6887) < 1e-3
    rate = float(finance.irr(np, flows, times)[0])
    assert npv_residual(flows, times, np.asarray([rate]))[0] <= 1e-9, f"irr={rate}: not a root"
    assert abs(rate - roots[0]) < 1e-4


def test_irr_scan_prefers_the_root_where_npv_falls():
    # -100 now, +230 in a year, -132 in two: NPV(r) = -100 + 230/(1+r) - 132/(1+r)^2 has roots at 10% and 20%
    # (hand calculation: 100 x^2 - 230 x + 132 = 0 in x = 1 + r gives x = 1.1 and 1.2); at -99% and 100,000%
    # the NPV is negative at both ends. The NPV falls through zero as the rate rises at 20%.
    rate = finance.irr(np, np.array([[-100.0, 230.0, -132.0]]), np.array([[0.0, 1.0, 2.0]]))[0]
    assert rate == pytest.approx(0.2, abs=1e-9)


@pytest.mark.parametrize("backend", ["numpy", "native"])
def test_irr_of_a_profitable_project_with_a_late_loss_is_its_investment_root(backend, request):
    # A 20-year GB200 life: late years lose money, so the NPV is negative again near -99% and the end points of
    # the bracket share a sign. The IRR is the rate where the NPV falls through zero (about 15.5%): NPV at it ~ 0
    # (evaluate with discount_rate = IRR), positive at 10%, negative at 20%.
    scenario = load_scenario(GB200, ["cohorts.0.service_life_years=20"])
    if backend == "numpy":
        rate = dcecon.evaluate(scenario, backend="numpy").irr
    else:
        request.getfixturevalue("native_lib")  # this session's build (skips without a C++ compiler)
        rate = dcecon.grid(scenario, axes=["cohorts.0.service_life_years=20"], backend="native").metric_summary(
            "irr")["min"]
    assert 0.15 < rate < 0.16
    at_rate = dcecon.evaluate(load_scenario(GB200, ["cohorts.0.service_life_years=20",
                                                    f"finance.discount_rate={rate!r}"]), backend="numpy")
    assert abs(at_rate.npv_usd) < 1e-6 * at_rate.figures["capex_usd"]


# --------------------------------------------------------------------------------------------
# Payback
# --------------------------------------------------------------------------------------------


def _payback(backend, flows, capex, period_years=1.0, origin=0.0):
    a = backend.asarray
    flows = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    starts = np.arange(flows.shape[1]) * period_years
    return payback_years(backend.xp, a(flows), a(starts), period_years, a(np.broadcast_to(capex, flows.shape[:1])),
                         a(np.broadcast_to(origin, flows.shape[:1])))


def test_payback_interpolates_within_the_period(xp_backend, to_np):
    # Capex 100, 30 a year: cumulative 30, 60, 90, 120 -> reached in year 4 (start 3),
    # 3 + (100 - 90) / 30 = 3.3333 years (hand calculation).
    got = to_np(_payback(xp_backend, [30.0] * 6, 100.0))
    assert got[0] == pytest.approx(3 + 10 / 30, rel=1e-12)


def test_payback_exactly_at_a_period_end(xp_backend, to_np):
    # Capex 100, 25 a year: cumulative reaches 100 at the end of year 4 -> 4.0 years (hand calculation).
    got = to_np(_payback(xp_backend, [25.0] * 6, 100.0))
    assert got[0] == pytest.approx(4.0, rel=1e-12)


def test_payback_never_is_inf(xp_backend, to_np):
    # Capex 100, 10 a year for 6 years: cumulative 60 < 100 -> never paid back: +inf.
    got = to_np(_payback(xp_backend, [10.0] * 6, 100.0))
    assert got[0] == math.inf


def test_payback_quarterly_periods_and_an_origin(xp_backend, to_np):
    # Same 30 a year as 7.5 a quarter: cumulative after 13 quarters 97.5, the 14th quarter needs
    # (100 - 97.5) / 7.5 = 1/3 of it -> 13.333 quarters = 3.3333 years; a clock that starts at
    # origin -1 (capex a year before the first period) adds one year: 4.3333 (hand calculation).
    got = to_np(_payback(xp_backend, [7.5] * 24, 100.0, period_years=0.25))
    assert got[0] == pytest.approx(3 + 1 / 3, rel=1e-12)
    got = to_np(_payback(xp_backend, [7.5] * 24, 100.0, period_years=0.25, origin=-1.0))
    assert got[0] == pytest.approx(4 + 1 / 3, rel=1e-12)


def test_payback_with_an_early_loss_uses_the_first_crossing(xp_backend, to_np):
    # Flows -20, 50, 50, 50 against capex 60: cumulative -20, 30, 80 -> year 3 (start 2),
    # 2 + (60 - 30) / 50 = 2.6 years (hand calculation).
    got = to_np(_payback(xp_backend, [-20.0, 50.0, 50.0, 50.0], 60.0))
    assert got[0] == pytest.approx(2.6, rel=1e-12)


def test_payback_vectorized_rows(xp_backend, to_np):
    # The three single-row cases above in one call: 3.3333, 4.0, inf.
    got = to_np(_payback(xp_backend, [[30.0] * 6, [25.0] * 6, [10.0] * 6], 100.0))
    np.testing.assert_allclose(got, [3 + 1 / 3, 4.0, math.inf], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Capital recovery factor
# --------------------------------------------------------------------------------------------


def test_capital_recovery_factor_hand_calculation(xp_backend, to_np):
    # r = 10%, n = 5: 1.1^5 = 1.61051; 0.1 * 1.61051 / 0.61051 = 0.2637974808... (hand calculation;
    # Brealey-Myers-Allen ch. 6 annuity factor 3.7908 = 1 / 0.26380).
    got = to_np(capital_recovery_factor(xp_backend.xp, xp_backend.asarray([0.1]), xp_backend.asarray([5.0])))
    assert got[0] == pytest.approx(0.1 * 1.61051 / 0.61051, rel=1e-12)
    assert got[0] == pytest.approx(0.26379748079474, rel=1e-10)


def test_capital_recovery_factor_matches_numpy_financial_pmt(xp_backend, to_np):
    # The level payment that repays 1 over n years at r: -numpy_financial.pmt(r, n, 1).
    rng = np.random.default_rng(3)
    rates = rng.uniform(0.001, 0.5, size=100)
    lives = rng.integers(1, 31, size=100).astype(np.float64)
    a = xp_backend.asarray
    got = to_np(capital_recovery_factor(xp_backend.xp, a(rates), a(lives)))
    np.testing.assert_allclose(got, -npf.pmt(rates, lives, 1.0), rtol=1e-12)


def test_capital_recovery_factor_zero_rate_is_one_over_n(xp_backend, to_np):
    # r = 0: the limit of r (1+r)^n / ((1+r)^n - 1) is 1 / n (repay 1 in n equal parts), with no NaN.
    a = xp_backend.asarray
    got = to_np(capital_recovery_factor(xp_backend.xp, a([0.0, 0.0, 0.0]), a([1.0, 4.0, 5.5])))
    np.testing.assert_allclose(got, [1.0, 0.25, 1 / 5.5], rtol=1e-15)


@pytest.mark.gpu
def test_npv_irr_payback_on_cupy_match_numpy_financial(cupy_backend, to_np):
    # Same checks as above on the GPU (skipped without CuPy and a CUDA device).
    flows = conventional_cash_flows(0)
    a = cupy_backend.asarray
    times = a(annual_times(flows.shape[1]))
    got_npv = to_np(npv_usd(cupy_backend.xp, a(np.full((ROWS, 1), 0.1)), a(flows), times))
    np.testing.assert_allclose(got_npv, [npf.npv(0.1, row) for row in flows], rtol=1e-12, atol=1e-9)
    got_irr = to_np(irr(cupy_backend.xp, a(flows), times))
    np.testing.assert_allclose(got_irr, [npf.irr(row) for row in flows], rtol=1e-7, atol=1e-9)
    # capex 100, 30 a year -> 3.3333 years (hand calculation above)
    assert to_np(_payback(cupy_backend, [30.0] * 6, 100.0))[0] == pytest.approx(3 + 1 / 3, rel=1e-12)
