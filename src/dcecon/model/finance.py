"""Discounting, IRR, payback and capital recovery (model-spec sections 4, 5).

Cash flows carry explicit times in years, so the same functions serve a
cohort (times from its in-service date) and a fleet (times from the
scenario's ``start_year``, negative for cohorts bought before it). The last
axis is the cash-flow axis; leading axes are scenarios.

References
----------
.. [1] Brealey, Myers, Allen, *Principles of Corporate Finance*, 13th ed.,
   ch. 2, 5 (NPV, IRR, payback) and ch. 6 (equivalent annual cost, the
   capital recovery factor).
.. [2] numpy-financial ``npv``, ``irr`` and ``rate``: the vectorized Newton
   iteration with a per-element convergence mask follows ``rate``.
"""

from __future__ import annotations

IRR_LOWER_BOUND = -0.99
"""Lowest IRR searched [-/year]; the NPV must change sign inside the bracket."""

IRR_UPPER_BOUND = 1000.0
"""Highest IRR searched [-/year] (100,000% a year)."""

IRR_MAX_ITERATIONS = 200
IRR_TOLERANCE = 1e-12


def discount_factor(rate_per_year, time_years):
    """``(1 + r) ** -t`` [-] (model-spec section 4)."""
    return (1.0 + rate_per_year) ** (-time_years)


def npv_usd(xp, rate_per_year, cash_flows_usd, time_years):
    """Net present value of cash flows at ``time_years`` [USD].

    Parameters
    ----------
    rate_per_year : array
        Discount rate, broadcastable to the leading axes with a trailing 1.
    cash_flows_usd : array
        Cash flows, shape ``(..., M)``.
    time_years : array
        Times of the cash flows from the valuation date [years], broadcastable
        to ``cash_flows_usd``.
    """
    return xp.sum(cash_flows_usd * discount_factor(rate_per_year, time_years), axis=-1)


def _npv_and_slope(xp, rate, cash_flows_usd, time_years):
    growth = 1.0 + rate
    factors = growth ** (-time_years)
    value = xp.sum(cash_flows_usd * factors, axis=-1)
    slope = xp.sum(-time_years * cash_flows_usd * factors / growth, axis=-1)
    return value, slope


def irr(xp, cash_flows_usd, time_years):
    """Internal rate of return of each row of cash flows [-/year].

    The rate ``r`` where ``sum(cf * (1 + r) ** -t) = 0``, searched in
    ``[IRR_LOWER_BOUND, IRR_UPPER_BOUND]``.

    Returns
    -------
    array
        Shape of the leading axes. NaN where the NPV does not change sign
        inside the bracket (no IRR, or an even number of them) or the
        iteration did not converge; never an exception.

    Notes
    -----
    Safeguarded Newton: every element keeps a bracket ``[lo, hi]`` with the
    NPV of opposite signs at its ends; a Newton step that leaves the bracket
    is replaced by bisection. Converges for any row with a sign change; each
    element stops when its step falls below ``1e-12 * (1 + |r|)``
    (numpy-financial ``rate`` uses the same per-element mask).
    """
    leading = cash_flows_usd.shape[:-1]
    dtype = cash_flows_usd.dtype
    lo = xp.full(leading, IRR_LOWER_BOUND, dtype=dtype)
    hi = xp.full(leading, IRR_UPPER_BOUND, dtype=dtype)
    f_lo, _ = _npv_and_slope(xp, lo[..., None], cash_flows_usd, time_years)
    f_hi, _ = _npv_and_slope(xp, hi[..., None], cash_flows_usd, time_years)
    exact_lo = f_lo == 0.0
    exact_hi = f_hi == 0.0
    bracketed = (f_lo * f_hi < 0.0) | exact_lo | exact_hi
    x = xp.full(leading, 0.1, dtype=dtype)
    active = bracketed & ~exact_lo & ~exact_hi
    tolerance = 1e-6 if dtype == xp.float32 else IRR_TOLERANCE
    for _ in range(IRR_MAX_ITERATIONS):
        value, slope = _npv_and_slope(xp, x[..., None], cash_flows_usd, time_years)
        same_side_as_lo = (value > 0.0) == (f_lo > 0.0)
        lo = xp.where(active & same_side_as_lo, x, lo)
        f_lo = xp.where(active & same_side_as_lo, value, f_lo)
        hi = xp.where(active & ~same_side_as_lo, x, hi)
        newton = x - value / xp.where(slope == 0.0, 1.0, slope)
        use_newton = (slope != 0.0) & (newton > lo) & (newton < hi)
        candidate = xp.where(use_newton, newton, 0.5 * (lo + hi))
        step = xp.abs(candidate - x)
        done = (value == 0.0) | (step <= tolerance * (1.0 + xp.abs(x)))
        x = xp.where(active & (value != 0.0), candidate, x)
        active = active & ~done
        if not bool(xp.any(active)):
            break
    x = xp.where(exact_lo, IRR_LOWER_BOUND, xp.where(exact_hi, IRR_UPPER_BOUND, x))
    return xp.where(bracketed & ~active, x, xp.nan)


def payback_years(xp, free_cash_flow_usd, period_start_years, period_years, capex_usd, origin_years):
    """Years until cumulative free cash flow first reaches capex (model-spec section 4).

    Parameters
    ----------
    free_cash_flow_usd : array
        Free cash flow of each period, salvage and residual values excluded,
        shape ``(..., P)``; earned evenly within the period.
    period_start_years : array
        Start of each period on the same clock as ``origin_years`` [years].
    period_years : float
        Length of a period [years].
    capex_usd : array
        Capital to pay back, shape of the leading axes.
    origin_years : array
        When the clock starts (the first capex) [years].

    Returns
    -------
    array
        Years from ``origin_years``, interpolated linearly within the period
        where the cumulative sum crosses ``capex_usd``; ``+inf`` if it never does.
    """
    cumulative = xp.cumulative_sum(free_cash_flow_usd, axis=-1)
    previous = cumulative - free_cash_flow_usd
    target = capex_usd[..., None]
    reached = cumulative >= target
    reached_count = xp.cumulative_sum(xp.astype(reached, xp.int32), axis=-1)
    first = reached & (reached_count == 1)
    safe_flow = xp.where(free_cash_flow_usd > 0.0, free_cash_flow_usd, 1.0)
    within = xp.where(previous >= target, 0.0, xp.clip((target - previous) / safe_flow, 0.0, 1.0))
    crossing = period_start_years + within * period_years
    hit_time = xp.sum(xp.where(first, crossing, 0.0), axis=-1)
    ever = xp.any(first, axis=-1)
    return xp.where(ever, hit_time - origin_years, xp.inf)


def capital_recovery_factor(xp, rate_per_year, life_years):
    """Capital recovery factor ``r (1 + r)^n / ((1 + r)^n - 1)`` [-/year].

    The level annual payment that repays 1 USD over ``n`` years at rate ``r``;
    ``1 / n`` at ``r = 0`` (Brealey-Myers-Allen, ch. 6).
    """
    growth = (1.0 + rate_per_year) ** life_years
    safe_rate = xp.where(rate_per_year == 0.0, 1.0, rate_per_year)
    safe_denominator = xp.where(rate_per_year == 0.0, 1.0, growth - 1.0)
    return xp.where(rate_per_year == 0.0, 1.0 / life_years, safe_rate * growth / safe_denominator)
