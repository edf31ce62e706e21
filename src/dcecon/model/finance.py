"""Discounting, IRR, payback and capital recovery (docs/model.md §6, §8, §14).

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

import math

IRR_LOWER_BOUND = -0.99
"""Lowest IRR searched [-/year]; the NPV must change sign inside the bracket."""

IRR_UPPER_BOUND = 1000.0
"""Highest IRR searched [-/year] (100,000% a year)."""

IRR_MAX_ITERATIONS = 200
IRR_TOLERANCE = 1e-12

IRR_STEP_TOLERANCE = {"float64": IRR_TOLERANCE * 0.1, "float32": 1e-6}
"""Newton/bracket step in ``y = ln(1 + r)`` below which the iteration stops, by dtype of the cash flows."""

IRR_START_MARGIN = 1e-3
"""The first guess is kept this far inside the bracket [ln(1 + r)]."""

IRR_DEFAULT_GUESS = 0.1
"""First guess when the cash flows give none (no inflow or no outflow) [-/year]."""

IRR_SCAN_RANK_PENALTY = 1e6
"""Added to the rank of a scanned interval where the NPV rises through zero, so that one where it falls ranks
first (an investment's IRR)."""


def discount_factor(rate_per_year, time_years):
    """``(1 + r) ** -t`` [-] (docs/model.md §6)."""
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


def _npv_and_slope_in_log_rate(xp, log_growth, cash_flows_usd, time_years):
    """NPV and its derivative as functions of ``y = ln(1 + r)``: ``sum(cf * exp(-t y))``."""
    factors = xp.exp(-time_years * log_growth)
    weighted = cash_flows_usd * factors
    return xp.sum(weighted, axis=-1), -xp.sum(time_years * weighted, axis=-1)


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
    Safeguarded Newton on ``y = ln(1 + r)``, where the NPV of a conventional
    project (outflows, then inflows) is convex and decreasing, so Newton
    converges in a few steps. Every element keeps a bracket ``[lo, hi]`` with
    the NPV of opposite signs at its ends; a Newton step that leaves it is
    replaced by a false-position step (Illinois variant, which halves the
    stale end's value so that the bracket shrinks from both sides). The first guess is exact for one outflow and one
    inflow: ``y0 = ln(P / N) / (T_P - T_N)`` with ``P``, ``N`` the sums of
    inflows and outflows and ``T_P``, ``T_N`` their mean times. Each element
    stops when its step in ``y`` falls below ``1e-13`` (numpy-financial
    ``rate`` uses the same per-element mask).
    """
    leading = cash_flows_usd.shape[:-1]
    n_flows = cash_flows_usd.shape[-1]
    out_dtype = cash_flows_usd.dtype
    time_years = xp.broadcast_to(time_years, cash_flows_usd.shape)
    # solved in float64 whatever the model's dtype: (1 + r)^-t at r = -99% overflows float32 beyond ~15 years
    flows = xp.astype(xp.reshape(cash_flows_usd, (-1, n_flows)), xp.float64)
    times = xp.astype(xp.reshape(time_years, (-1, n_flows)), xp.float64)
    dtype = flows.dtype
    rows = flows.shape[0]
    y_min = math.log1p(IRR_LOWER_BOUND)
    y_max = math.log1p(IRR_UPPER_BOUND)
    lo = xp.full((rows,), y_min, dtype=dtype)
    hi = xp.full((rows,), y_max, dtype=dtype)
    f_lo, _ = _npv_and_slope_in_log_rate(xp, lo[:, None], flows, times)
    f_hi, _ = _npv_and_slope_in_log_rate(xp, hi[:, None], flows, times)
    exact_lo = f_lo == 0.0
    exact_hi = f_hi == 0.0
    bracketed = ((f_lo > 0.0) != (f_hi > 0.0)) | exact_lo | exact_hi
    bracketed = bracketed & xp.isfinite(f_lo) & xp.isfinite(f_hi)
    lo, hi, f_lo, f_hi, scanned = _scan_for_bracket(xp, flows, times, bracketed, lo, hi, f_lo, f_hi)
    bracketed = bracketed | scanned

    inflow = xp.clip(flows, 0.0, None)
    outflow = xp.clip(-flows, 0.0, None)
    total_in = xp.sum(inflow, axis=-1)
    total_out = xp.sum(outflow, axis=-1)
    usable = (total_in > 0.0) & (total_out > 0.0)
    t_in = xp.sum(inflow * times, axis=-1) / xp.where(usable, total_in, 1.0)
    t_out = xp.sum(outflow * times, axis=-1) / xp.where(usable, total_out, 1.0)
    spread = t_in - t_out
    guess = xp.log(xp.where(usable, total_in, 1.1)) - xp.log(xp.where(usable, total_out, 1.0))
    guess = guess / xp.where(usable & (spread > 0.0), spread, 1.0)
    y = xp.where(usable & (spread > 0.0), guess, math.log1p(IRR_DEFAULT_GUESS))
    y = xp.clip(y, y_min + IRR_START_MARGIN, y_max - IRR_START_MARGIN)
    y = xp.where(scanned & ((y <= lo) | (y >= hi)), 0.5 * (lo + hi), y)

    active = bracketed & ~exact_lo & ~exact_hi
    state = [y, lo, hi, f_lo, f_hi, xp.zeros((rows,), dtype=xp.bool), active]
    y, active = _irr_iterate(xp, flows, times, state, IRR_MAX_ITERATIONS)
    y = xp.where(exact_lo, y_min, xp.where(exact_hi, y_max, y))
    result = xp.where(bracketed & ~active, xp.expm1(y), xp.nan)
    return xp.astype(xp.reshape(result, leading), out_dtype)


IRR_SCAN_RATES = (-0.99, -0.9, -0.75, -0.5, -0.3, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75,
                  1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0, 1000.0)
"""Rates tried when the NPV has the same sign at both ends of the bracket [-/year]."""


def _scan_for_bracket(xp, flows, times, bracketed, lo, hi, f_lo, f_hi):
    """A bracket for rows whose NPV has the same sign at -99% and 100,000% (two roots, or none).

    The NPV is evaluated at :data:`IRR_SCAN_RATES`; of the intervals where it
    changes sign, one where it falls from positive to negative as the rate
    rises (an investment's IRR: the rate above which it stops paying) is
    preferred, and among those the one nearest a 0% rate (numpy-financial's
    ``irr`` likewise prefers the root of smallest magnitude). A profitable
    project with a small negative last cash flow (decommissioning, a late
    loss) has a second root near -100% that hides the sensible one from the
    end-point test. Rows with no sign change anywhere stay unbracketed (NaN).
    """
    candidates = ~bracketed
    none = xp.zeros(bracketed.shape, dtype=xp.bool)
    n_candidates = int(xp.sum(xp.astype(candidates, xp.int32)))
    if n_candidates == 0:
        return lo, hi, f_lo, f_hi, none
    # only the candidate rows are scanned (boolean indexing), then put back with take
    sub_flows, sub_times = flows[candidates], times[candidates]
    grid = [math.log1p(r) for r in IRR_SCAN_RATES]
    values = [_npv_and_slope_in_log_rate(xp, xp.full((n_candidates, 1), g, dtype=flows.dtype), sub_flows,
                                         sub_times)[0] for g in grid]
    best = xp.full((n_candidates,), math.inf, dtype=flows.dtype)
    zeros = xp.zeros((n_candidates,), dtype=flows.dtype)
    new_lo, new_hi, new_flo, new_fhi = zeros, zeros, zeros, zeros
    for k in range(len(grid) - 1):
        a, b = values[k], values[k + 1]
        change = ((a > 0.0) != (b > 0.0)) & xp.isfinite(a) & xp.isfinite(b)
        distance = min(abs(grid[k]), abs(grid[k + 1])) if grid[k] * grid[k + 1] > 0 else 0.0
        # an investment's root, where the NPV falls through zero as the rate rises, ranks before any other
        rank = distance + IRR_SCAN_RANK_PENALTY * xp.astype(~(a > 0.0), flows.dtype)
        take = change & (rank < best)
        best = xp.where(take, rank, best)
        new_lo = xp.where(take, grid[k], new_lo)
        new_hi = xp.where(take, grid[k + 1], new_hi)
        new_flo = xp.where(take, a, new_flo)
        new_fhi = xp.where(take, b, new_fhi)
    position = xp.clip(xp.cumulative_sum(xp.astype(candidates, xp.int64)) - 1, 0, n_candidates - 1)

    def put_back(sub, full):
        return xp.where(candidates, xp.take(sub, position), full)

    found = candidates & xp.take(best < math.inf, position)
    return (put_back(new_lo, lo), put_back(new_hi, hi), put_back(new_flo, f_lo), put_back(new_fhi, f_hi), found)


IRR_COMPACT_AFTER = 4
"""Iterations after which the rows still iterating are gathered into smaller arrays."""


def _irr_iterate(xp, flows, times, state, iterations):
    """Iterate the safeguarded Newton of :func:`irr`; returns ``(y, still_active)``.

    When fewer than a quarter of the rows are still active after
    :data:`IRR_COMPACT_AFTER` iterations, those rows are gathered (boolean
    indexing) and iterated on their own, then put back with ``take``, so the
    slow tail of a grid does not cost a pass over every row.
    """
    y, lo, hi, f_lo, f_hi, lo_moved_last, active = state
    tolerance = IRR_STEP_TOLERANCE["float32" if flows.dtype == xp.float32 else "float64"]
    rows = flows.shape[0]
    for iteration in range(iterations):
        value, slope = _npv_and_slope_in_log_rate(xp, y[:, None], flows, times)
        same_side_as_lo = (value > 0.0) == (f_lo > 0.0)
        move_lo = active & same_side_as_lo
        move_hi = active & ~same_side_as_lo
        # Illinois: when the same end moves twice running, halve the other end's value
        f_hi = xp.where(move_lo & lo_moved_last, 0.5 * f_hi, f_hi)
        f_lo = xp.where(move_hi & ~lo_moved_last, 0.5 * f_lo, f_lo)
        lo = xp.where(move_lo, y, lo)
        f_lo = xp.where(move_lo, value, f_lo)
        hi = xp.where(move_hi, y, hi)
        f_hi = xp.where(move_hi, value, f_hi)
        lo_moved_last = xp.where(active, move_lo, lo_moved_last)
        newton = y - value / xp.where(slope == 0.0, 1.0, slope)
        use_newton = (slope != 0.0) & (newton > lo) & (newton < hi)
        denominator = f_hi - f_lo
        secant = (lo * f_hi - hi * f_lo) / xp.where(denominator == 0.0, 1.0, denominator)
        secant = xp.where((denominator != 0.0) & (secant > lo) & (secant < hi), secant, 0.5 * (lo + hi))
        candidate = xp.where(use_newton, newton, secant)
        # a false-position step that barely moves from a lopsided bracket is not convergence: bisect instead
        stalled = ~use_newton & (xp.abs(candidate - y) <= tolerance) & (hi - lo > tolerance)
        candidate = xp.where(stalled, 0.5 * (lo + hi), candidate)
        done = (value == 0.0) | (use_newton & (xp.abs(newton - y) <= tolerance)) | (hi - lo <= tolerance)
        y = xp.where(active & (value != 0.0), candidate, y)
        active = active & ~done
        n_active = int(xp.sum(xp.astype(active, xp.int32)))
        if n_active == 0:
            break
        if iteration + 1 >= IRR_COMPACT_AFTER and 4 * n_active < rows and rows > 64:
            picked = [a[active] for a in (y, lo, hi, f_lo, f_hi, lo_moved_last)]
            sub_y, sub_active = _irr_iterate(xp, flows[active], times[active],
                                             picked + [xp.ones((n_active,), dtype=xp.bool)],
                                             iterations - iteration - 1)
            position = xp.clip(xp.cumulative_sum(xp.astype(active, xp.int64)) - 1, 0, n_active - 1)
            y = xp.where(active, xp.take(sub_y, position), y)
            active = active & xp.take(sub_active, position)
            break
    return y, active


def payback_years(xp, free_cash_flow_usd, period_start_years, period_years, capex_usd, origin_years):
    """Years until cumulative free cash flow first reaches capex (docs/model.md §8).

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
