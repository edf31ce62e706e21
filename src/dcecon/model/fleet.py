"""Fleet figures: window P&L and the investment view (model-spec sections 3, 4).

A fleet is a list of cohorts, each ``(params, method)`` as taken by
:func:`dcecon.model.cohort.cohort_flows`. Fleet figures are sums over cohorts
and periods; ratios are ratios of the sums, never averages of ratios.

Conventions (written down in ``docs/model.md``):

- The window P&L covers the periods from ``start_year`` to ``start_year +
  horizon_years``.
- The investment view covers every cohort's whole service life. For a cohort
  it is on the cohort's own clock (periods from its ``in_service_year``); for a
  fleet it is on the calendar grid of the window extended to cover every
  cohort's life, discounted to ``start_year`` (cohorts bought before it are
  compounded forward). Capex is paid at each ``in_service_year``.
- Free cash flow is taxed on the fleet's gross profit of each period
  (consolidated, no loss carry-forward).
- Fleet payback runs from the first cohort's ``in_service_year`` until the
  fleet's cumulative free cash flow reaches its total capex.
- Break-even price and utilization are common to all cohorts: the one age-0
  price (or utilization) that makes lifetime gross profit zero.
"""

from __future__ import annotations

import math

from dcecon.model import finance
from dcecon.model.cohort import FLOW_NAMES, cohort_capex_usd, cohort_flows, cohort_terminal_value_usd

INVESTMENT_NAMES = (
    "npv_usd",
    "irr",
    "payback_years",
    "breakeven_price_usd_per_gpu_hour",
    "breakeven_utilization",
    "cost_usd_per_billed_gpu_hour",
)
"""Outputs of :func:`investment_view`."""


def window_flows(xp, cohorts, start_year, n_periods, periods_per_year, n_schedule_years):
    """Each cohort's flows over the window (a list of dicts, see ``cohort_flows``)."""
    return [
        cohort_flows(xp, params, method, start_year, n_periods, periods_per_year, n_schedule_years)
        for params, method in cohorts
    ]


def sum_flows(flows_list, names=FLOW_NAMES):
    """Element-wise sum of the named flows over a list of cohort flow dicts."""
    total = {}
    for name in names:
        acc = flows_list[0][name]
        for flows in flows_list[1:]:
            acc = acc + flows[name]
        total[name] = acc
    return total


def safe_ratio(xp, numerator, denominator, empty=float("nan")):
    """``numerator / denominator`` with ``empty`` where the denominator is 0."""
    zero = denominator == 0.0
    return xp.where(zero, empty, numerator / xp.where(zero, 1.0, denominator))


def pnl_totals(xp, period_flows):
    """Window totals over the period axis plus ``gross_margin`` [USD, kWh, h, -].

    ``gross_margin = gross_profit / revenue`` of the sums (NaN without revenue).
    """
    totals = {name: xp.sum(period_flows[name], axis=-1) for name in FLOW_NAMES}
    totals["gross_margin"] = safe_ratio(xp, totals["gross_profit_usd"], totals["revenue_usd"])
    return totals


def investment_view(xp, cohorts, discount_rate, tax_rate, valuation_year, period_range, periods_per_year,
                    n_schedule_years):
    """NPV, IRR, payback and break-evens over the cohorts' whole lives.

    Parameters
    ----------
    cohorts : list of (mapping, str)
        Cohort parameters and depreciation method.
    discount_rate, tax_rate : array or float
        WACC [-/year] and tax rate on positive gross profit [-].
    valuation_year : array or float
        Date cash flows are discounted to [year]; period ``j`` of the grid
        starts at ``valuation_year + j / periods_per_year``.
    period_range : tuple of int
        ``(j_lo, j_hi)``: grid periods to evaluate (see :func:`lifetime_period_range`).
    periods_per_year : int
        1, 4 or 12.

    Returns
    -------
    dict of str to array
        :data:`INVESTMENT_NAMES` plus lifetime sums ``lifetime_*``.

    Notes
    -----
    Model-spec section 4. Free cash flow at the end of each period:
    ``ebitda - tax_rate * max(0, gross_profit)``; salvage and an owned
    building's residual book value come back at the end of each cohort's last
    period; capex is paid at each ``in_service_year``.

    Break-even utilization: revenue and power cost are linear in the
    utilization ``u``, so lifetime gross profit is ``u * S - F`` with
    ``S = sum(revenue at u = 1) - sum(power cost at full load * (1 - idle))``
    and ``F = sum(depreciation + facility + opex) + sum(power cost at full load
    * idle)``; ``u* = F / S`` (``+inf`` when ``S <= 0``).
    """
    j_lo, j_hi = period_range
    grid_start = valuation_year + j_lo / periods_per_year
    flows_list = [
        cohort_flows(xp, params, method, grid_start, j_hi - j_lo, periods_per_year, n_schedule_years)
        for params, method in cohorts
    ]
    return investment_view_from_flows(xp, cohorts, flows_list, discount_rate, tax_rate, valuation_year, j_lo,
                                      periods_per_year)


def investment_view_from_flows(xp, cohorts, flows_list, discount_rate, tax_rate, valuation_year, j_lo,
                               periods_per_year):
    """:func:`investment_view` from cohort flows already computed on the grid that starts at period ``j_lo``.

    The grid must cover every cohort's whole life (flows outside it are zero,
    so lifetime sums are sums over the grid).
    """
    period_years = 1.0 / periods_per_year
    j_hi = j_lo + flows_list[0]["revenue_usd"].shape[-1]
    fleet = sum_flows(flows_list)
    probe = fleet["revenue_usd"]
    period_start = xp.astype(xp.arange(j_lo, j_hi), probe.dtype) * period_years
    period_end = period_start + period_years

    free_cash_flow = fleet["ebitda_usd"] - tax_rate * xp.clip(fleet["gross_profit_usd"], 0.0, None)
    # (the capex columns broadcast against the scenarios of any flow)
    terminal = 0.0 * probe
    capex_flows, capex_times = [], []
    for (params, _), flows in zip(cohorts, flows_list):
        active = flows["active"]
        later = xp.concat([active[..., 1:], xp.zeros_like(active[..., :1])], axis=-1)
        last = active & ~later
        terminal = terminal + xp.where(last, cohort_terminal_value_usd(xp, params), 0.0)
        capex_flows.append(cohort_capex_usd(params) + 0.0 * probe[..., :1])
        capex_times.append(params["in_service_year"] - valuation_year + 0.0 * probe[..., :1])
    rows = max([free_cash_flow.shape[0], terminal.shape[0]] + [a.shape[0] for a in capex_flows + capex_times])
    free_cash_flow = xp.broadcast_to(free_cash_flow, (rows, free_cash_flow.shape[-1]))
    terminal = xp.broadcast_to(terminal, (rows, terminal.shape[-1]))
    capex = xp.concat([xp.broadcast_to(a, (rows, 1)) for a in capex_flows], axis=-1)
    capex_time = xp.concat([xp.broadcast_to(a, (rows, 1)) for a in capex_times], axis=-1)

    discount = discount_rate
    npv = (
        finance.npv_usd(xp, discount, free_cash_flow + terminal, period_end)
        - finance.npv_usd(xp, discount, capex, capex_time)
    )
    cash_flows = xp.concat([free_cash_flow + terminal, -capex], axis=-1)
    times = xp.concat([xp.broadcast_to(period_end, free_cash_flow.shape), capex_time], axis=-1)
    rate = finance.irr(xp, cash_flows, times)
    origin = xp.min(capex_time, axis=-1)
    payback = finance.payback_years(xp, free_cash_flow, period_start, period_years, xp.sum(capex, axis=-1), origin)

    lifetime = {name: xp.sum(fleet[name], axis=-1) for name in FLOW_NAMES}
    weighted_hours = sum(xp.sum(f["price_weighted_billed_gpu_hours"], axis=-1) for f in flows_list)
    slope = 0.0
    fixed = 0.0
    for (params, _), flows in zip(cohorts, flows_list):
        idle = params["idle_power_fraction"]
        full_power = flows["power_cost_at_full_load_usd"]
        slope = slope + xp.sum(flows["revenue_at_full_utilization_usd"] - full_power * (1.0 - idle), axis=-1)
        fixed = fixed + xp.sum(
            flows["depreciation_usd"] + flows["facility_cost_usd"] + flows["opex_usd"] + full_power * idle, axis=-1
        )
    result = {
        "npv_usd": npv,
        "irr": rate,
        "payback_years": payback,
        "breakeven_price_usd_per_gpu_hour": safe_ratio(xp, lifetime["cogs_usd"], weighted_hours, math.inf),
        "breakeven_utilization": xp.where(slope > 0.0, fixed / xp.where(slope > 0.0, slope, 1.0), math.inf),
        "cost_usd_per_billed_gpu_hour": safe_ratio(xp, lifetime["cogs_usd"], lifetime["billed_gpu_hours"], math.inf),
        "capex_usd": xp.sum(capex, axis=-1),
    }
    for name, value in lifetime.items():
        result[f"lifetime_{name}"] = value
    result["lifetime_gross_margin"] = safe_ratio(xp, lifetime["gross_profit_usd"], lifetime["revenue_usd"])
    return result


def price_for_gross_margin_usd_per_gpu_hour(breakeven_price_usd_per_gpu_hour, gross_margin):
    """Age-0 price that earns lifetime gross margin ``g`` [USD / GPU-hour].

    ``breakeven / (1 - g)`` (model-spec section 4): with price ``p`` lifetime
    revenue is ``p * W`` and cost ``C = breakeven * W``, so the margin is
    ``1 - breakeven / p``.
    """
    return breakeven_price_usd_per_gpu_hour / (1.0 - gross_margin)


def lifetime_period_range(in_service_offsets_years, service_lives_years, periods_per_year):
    """Grid periods ``(j_lo, j_hi)`` that cover every cohort's whole life.

    Parameters
    ----------
    in_service_offsets_years : iterable of float
        ``in_service_year - valuation_year`` of each cohort (all values a grid
        may take) [years].
    service_lives_years : iterable of float
        Matching service lives [years].
    periods_per_year : int
        1, 4 or 12.

    Returns
    -------
    tuple of int
        ``j_lo`` is the first period whose start is on or after the earliest
        in-service date; ``j_hi`` is one past the last period that can be in
        service.
    """
    tol = 1e-6
    offsets = [float(x) * periods_per_year for x in in_service_offsets_years]
    ends = [
        (float(x) + float(life)) * periods_per_year
        for x, life in zip(in_service_offsets_years, service_lives_years)
    ]
    j_lo = math.ceil(min(offsets) - tol)
    j_hi = math.ceil(max(ends) - tol) + 1
    return j_lo, max(j_hi, j_lo + 1)


def window_and_lifetime(xp, cohorts, discount_rate, tax_rate, start_year, n_window_periods, lifetime_range,
                        periods_per_year, n_schedule_years, return_flows=False):
    """Window P&L and fleet investment view from one evaluation of the cohort flows.

    The flows are computed once on the union of the window (periods ``0 ..
    n_window_periods - 1`` from ``start_year``) and the lifetime grid
    (``lifetime_range``), then sliced: the grid engine's hot path.

    Returns
    -------
    tuple of dict
        ``(pnl_totals, window_fleet_flows, investment_view)``.
    """
    j_lo = min(lifetime_range[0], 0)
    j_hi = max(lifetime_range[1], n_window_periods)
    grid_start = start_year + j_lo / periods_per_year
    flows_list = [
        cohort_flows(xp, params, method, grid_start, j_hi - j_lo, periods_per_year, n_schedule_years)
        for params, method in cohorts
    ]
    lo, hi = -j_lo, -j_lo + n_window_periods
    window = sum_flows([{name: f[name][..., lo:hi] for name in FLOW_NAMES} for f in flows_list])
    view = investment_view_from_flows(xp, cohorts, flows_list, discount_rate, tax_rate, start_year, j_lo,
                                      periods_per_year)
    if return_flows:
        return pnl_totals(xp, window), window, view, (flows_list, j_lo, lo, hi)
    return pnl_totals(xp, window), window, view


def financing_view(xp, cohorts, flows_list, j_lo, window, debt_fraction, interest_rate_per_year,
                   debt_term_years, tax_rate, periods_per_year, valuation_year):
    """Levered view of a fleet on the union grid (see :mod:`dcecon.model.financing`).

    Parameters
    ----------
    flows_list, j_lo
        Cohort flows on the grid starting at period ``j_lo`` from ``start_year``
        (from :func:`window_and_lifetime` with ``return_flows=True``).
    window : tuple of int
        ``(lo, hi)``: the window's periods on that grid.
    debt_fraction, interest_rate_per_year, debt_term_years, tax_rate : float or array

    Returns
    -------
    dict of str to array
        Window ``interest_usd``, ``principal_usd``, ``interest_coverage``
        (EBIT / interest), ``dscr_window`` (window CFADS / debt service),
        ``dscr_min`` and ``dscr_avg`` over every period
        with debt service, ``equity_usd`` and ``equity_irr``.
    """
    from dcecon.model import finance, financing

    ppy = periods_per_year
    rate = interest_rate_per_year / ppy
    n_payments = debt_term_years * ppy
    fleet = sum_flows(flows_list)
    interest = 0.0 * fleet["revenue_usd"]
    principal = 0.0 * fleet["revenue_usd"]
    equity_flows, equity_times = [], []
    probe = fleet["revenue_usd"][..., :1]
    terminal = 0.0 * fleet["revenue_usd"]
    for (params, _), flows in zip(cohorts, flows_list):
        capex = cohort_capex_usd(params)
        debt = debt_fraction * capex
        # payment k falls at the end of the cohort's k-th period on the book clock (aligned as depreciation)
        k = xp.floor(flows["age_periods"] + 1e-9)
        i_k, p_k = financing.amortization(xp, debt, rate, n_payments, k)
        interest = interest + i_k
        principal = principal + p_k
        active = flows["active"]
        later = xp.concat([active[..., 1:], xp.zeros_like(active[..., :1])], axis=-1)
        terminal = terminal + xp.where(active & ~later, cohort_terminal_value_usd(xp, params), 0.0)
        equity_flows.append((1.0 - debt_fraction) * capex + 0.0 * probe)
        equity_times.append(params["in_service_year"] - valuation_year + 0.0 * probe)
    ebit = fleet["gross_profit_usd"]
    taxes = tax_rate * xp.clip(ebit - interest, 0.0, None)
    cfads = fleet["ebitda_usd"] - taxes
    service = interest + principal
    has_service = service > 0.0
    dscr = cfads / xp.where(has_service, service, 1.0)
    n_service = xp.sum(xp.astype(has_service, dscr.dtype), axis=-1)
    lo, hi = window
    window_interest = xp.sum(interest[..., lo:hi], axis=-1)
    window_ebit = xp.sum(ebit[..., lo:hi], axis=-1)
    coverage = xp.where(window_interest > 0.0, window_ebit / xp.where(window_interest > 0.0, window_interest, 1.0),
                        float("inf"))
    fcfe = cfads - service
    period_years = 1.0 / ppy
    n = fleet["revenue_usd"].shape[-1]
    period_end = xp.astype(xp.arange(j_lo, j_lo + n), fcfe.dtype) * period_years + period_years
    rows = max([fcfe.shape[0]] + [e.shape[0] for e in equity_flows + equity_times])
    equity = xp.concat([xp.broadcast_to(e, (rows, 1)) for e in equity_flows], axis=-1)
    equity_time = xp.concat([xp.broadcast_to(t, (rows, 1)) for t in equity_times], axis=-1)
    rows = max(fcfe.shape[0], equity.shape[0], equity_time.shape[0])
    cash = xp.concat([xp.broadcast_to(fcfe + terminal, (rows, n)), -equity], axis=-1)
    times = xp.concat([xp.broadcast_to(period_end, (rows, n)), equity_time], axis=-1)
    window_service = xp.sum(service[..., lo:hi], axis=-1)
    window_cfads = xp.sum(cfads[..., lo:hi], axis=-1)
    return {
        "dscr_window": xp.where(window_service > 0.0, window_cfads / xp.where(window_service > 0.0, window_service,
                                                                              1.0), float("nan")),
        "interest_usd": window_interest,
        "principal_usd": xp.sum(principal[..., lo:hi], axis=-1),
        "interest_coverage": coverage,
        "dscr_min": xp.where(n_service > 0, xp.min(xp.where(has_service, dscr, float("inf")), axis=-1),
                             float("nan")),
        "dscr_avg": xp.where(n_service > 0, xp.sum(xp.where(has_service, dscr, 0.0), axis=-1)
                             / xp.where(n_service > 0, n_service, 1.0), float("nan")),
        "equity_usd": xp.sum(equity, axis=-1),
        "equity_irr": finance.irr(xp, cash, times),
    }
