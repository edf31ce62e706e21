"""Fleet figures: window P&L, investment view, financing, economic depreciation (docs/model.md §4-§8, §12, §13).

A fleet is a list of cohorts, each ``(params, method)`` as taken by
:func:`dcecon.model.cohort.cohort_flows`. Fleet figures are sums over cohorts
and periods; ratios are ratios of the sums, never averages of ratios.

Conventions (written down in docs/model.md §4-§7):

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

Every function that returns several figures takes ``outputs`` (default: all)
and does only the work the named figures need (``dcecon grid --metrics``).
"""

from __future__ import annotations

import dataclasses
import math

from dcecon.model import finance, financing
from dcecon.model.cohort import FLOW_NAMES, cohort_capex_usd, cohort_flows, cohort_terminal_value_usd
from dcecon.model.depreciation import BOOK_CLOCK_EPSILON, period_depreciation_usd
from dcecon.model.metrics import METRIC_TABLE

INVESTMENT_NAMES = (
    "npv_usd",
    "irr",
    "payback_years",
    "breakeven_price_usd_per_gpu_hour",
    "breakeven_utilization",
    "cost_usd_per_billed_gpu_hour",
)
"""Outputs of :func:`investment_view`."""

PNL_NAMES = FLOW_NAMES + ("gross_margin",)
"""Outputs of :func:`pnl_totals`: the window sum of every flow, and the window's gross margin."""

VIEW_NAMES = (INVESTMENT_NAMES + ("capex_usd",) + tuple(f"lifetime_{name}" for name in FLOW_NAMES)
              + ("lifetime_gross_margin",))
"""Everything :func:`investment_view` returns: :data:`INVESTMENT_NAMES`, total capex and lifetime sums."""

FINANCING_NAMES = tuple(m.name for m in METRIC_TABLE if m.group == "financing")
"""Outputs of :func:`financing_view`."""

ECONOMIC_NAMES = tuple(m.name for m in METRIC_TABLE if m.group == "economic")
"""Outputs of :func:`economic_depreciation`."""


def _selected(outputs, names, what):
    """The names of ``outputs`` (None: all of ``names``) in the order of ``names``; unknown names raise."""
    if outputs is None:
        return names
    asked = set(outputs)
    unknown = sorted(asked.difference(names))
    if unknown:
        raise ValueError(f"not outputs of the {what}: {', '.join(unknown)}")
    return tuple(name for name in names if name in asked)


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


def pnl_flow_names(outputs=None):
    """The flows whose window sums the P&L outputs ``outputs`` (default: all of :data:`PNL_NAMES`) need."""
    wanted = set(_selected(outputs, PNL_NAMES, "window P&L"))
    if "gross_margin" in wanted:
        wanted.update(("gross_profit_usd", "revenue_usd"))
    return tuple(name for name in FLOW_NAMES if name in wanted)


def cohort_flows_needed(pnl_outputs=None, view_outputs=None):
    """The cohort flows that the named window P&L and investment-view figures need (None: every flow)."""
    if pnl_outputs is None or view_outputs is None:
        return None
    needed = set(pnl_flow_names(pnl_outputs))
    view = set(view_outputs)
    if view & {"npv_usd", "irr", "payback_years"}:
        needed |= {"ebitda_usd", "gross_profit_usd"}
    if view & {"breakeven_price_usd_per_gpu_hour", "breakeven_utilization", "cost_usd_per_billed_gpu_hour"}:
        return None  # the break-evens use the lifetime sums of every flow
    if view - {"npv_usd", "irr", "payback_years", "capex_usd"}:
        return None
    return tuple(sorted(needed))


def pnl_totals(xp, period_flows, outputs=None):
    """Window totals over the period axis plus ``gross_margin`` [USD, kWh, h, -].

    ``gross_margin = gross_profit / revenue`` of the sums (NaN without revenue).
    ``outputs`` (default: all of :data:`PNL_NAMES`) limits the work to the
    named figures; the result holds them and the sums they are made of.
    """
    totals = {name: xp.sum(period_flows[name], axis=-1) for name in pnl_flow_names(outputs)}
    if "gross_margin" in _selected(outputs, PNL_NAMES, "window P&L"):
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
    docs/model.md §6 and §8. Free cash flow at the end of each period:
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
                               periods_per_year, outputs=None):
    """:func:`investment_view` from cohort flows already computed on the grid that starts at period ``j_lo``.

    The grid must cover every cohort's whole life (flows outside it are zero,
    so lifetime sums are sums over the grid). ``outputs`` (default: all of
    :data:`VIEW_NAMES`) limits the work to the named figures: the IRR's
    iteration runs only for ``irr``, the discounting only for ``npv_usd`` and
    ``irr``, and so on; the result holds exactly the named figures.
    """
    wanted = _selected(outputs, VIEW_NAMES, "investment view")
    want = set(wanted)
    discounted = bool(want & {"npv_usd", "irr"})  # free cash flow, terminal values and capex
    cash = discounted or "payback_years" in want  # free cash flow and capex
    with_capex = cash or "capex_usd" in want
    lifetime_names = {name[len("lifetime_"):] for name in want if name.startswith("lifetime_")}
    if "lifetime_gross_margin" in want:
        lifetime_names.discard("gross_margin")
        lifetime_names.update(("gross_profit_usd", "revenue_usd"))
    if want & {"breakeven_price_usd_per_gpu_hour", "cost_usd_per_billed_gpu_hour"}:
        lifetime_names.add("cogs_usd")
    if "cost_usd_per_billed_gpu_hour" in want:
        lifetime_names.add("billed_gpu_hours")
    fleet_names = set(lifetime_names) | {"revenue_usd"}
    if cash:
        fleet_names.update(("ebitda_usd", "gross_profit_usd"))

    period_years = 1.0 / periods_per_year
    j_hi = j_lo + flows_list[0]["revenue_usd"].shape[-1]
    fleet = sum_flows(flows_list, tuple(name for name in FLOW_NAMES if name in fleet_names))
    probe = fleet["revenue_usd"]
    result = {}

    if with_capex:
        period_start = xp.astype(xp.arange(j_lo, j_hi), probe.dtype) * period_years
        period_end = period_start + period_years
        shapes = []
        if cash:
            free_cash_flow = free_cash_flow_usd(xp, fleet["ebitda_usd"], fleet["gross_profit_usd"], tax_rate)
            shapes.append(free_cash_flow.shape[0])
        # (the capex columns broadcast against the scenarios of any flow)
        terminal = 0.0 * probe
        capex_flows, capex_times = [], []
        for (params, _), flows in zip(cohorts, flows_list):
            if discounted:
                active = flows["active"]
                later = xp.concat([active[..., 1:], xp.zeros_like(active[..., :1])], axis=-1)
                last = active & ~later
                terminal = terminal + xp.where(last, cohort_terminal_value_usd(xp, params), 0.0)
            capex_flows.append(cohort_capex_usd(params) + 0.0 * probe[..., :1])
            capex_times.append(params["in_service_year"] - valuation_year + 0.0 * probe[..., :1])
        if discounted:
            shapes.append(terminal.shape[0])
        rows = max(shapes + [a.shape[0] for a in capex_flows + capex_times])
        capex = xp.concat([xp.broadcast_to(a, (rows, 1)) for a in capex_flows], axis=-1)
        capex_time = xp.concat([xp.broadcast_to(a, (rows, 1)) for a in capex_times], axis=-1)
        if cash:
            free_cash_flow = xp.broadcast_to(free_cash_flow, (rows, free_cash_flow.shape[-1]))
        if discounted:
            terminal = xp.broadcast_to(terminal, (rows, terminal.shape[-1]))

        if "npv_usd" in want:
            discount = discount_rate
            result["npv_usd"] = (
                finance.npv_usd(xp, discount, free_cash_flow + terminal, period_end)
                - finance.npv_usd(xp, discount, capex, capex_time)
            )
        if "irr" in want:
            cash_flows = xp.concat([free_cash_flow + terminal, -capex], axis=-1)
            times = xp.concat([xp.broadcast_to(period_end, free_cash_flow.shape), capex_time], axis=-1)
            result["irr"] = finance.irr(xp, cash_flows, times)
        if "payback_years" in want:
            origin = xp.min(capex_time, axis=-1)
            result["payback_years"] = finance.payback_years(xp, free_cash_flow, period_start, period_years,
                                                            xp.sum(capex, axis=-1), origin)

    lifetime = {name: xp.sum(fleet[name], axis=-1) for name in FLOW_NAMES if name in lifetime_names}
    if "breakeven_price_usd_per_gpu_hour" in want:
        weighted_hours = sum(xp.sum(f["price_weighted_billed_gpu_hours"], axis=-1) for f in flows_list)
        result["breakeven_price_usd_per_gpu_hour"] = safe_ratio(xp, lifetime["cogs_usd"], weighted_hours, math.inf)
    if "breakeven_utilization" in want:
        slope = 0.0
        fixed = 0.0
        for (params, _), flows in zip(cohorts, flows_list):
            idle = params["idle_power_fraction"]
            full_power = flows["power_cost_at_full_load_usd"]
            slope = slope + xp.sum(flows["revenue_at_full_utilization_usd"] - full_power * (1.0 - idle), axis=-1)
            fixed = fixed + xp.sum(
                flows["depreciation_usd"] + flows["facility_cost_usd"] + flows["opex_usd"] + full_power * idle,
                axis=-1,
            )
        result["breakeven_utilization"] = xp.where(slope > 0.0, fixed / xp.where(slope > 0.0, slope, 1.0), math.inf)
    if "cost_usd_per_billed_gpu_hour" in want:
        result["cost_usd_per_billed_gpu_hour"] = safe_ratio(xp, lifetime["cogs_usd"], lifetime["billed_gpu_hours"],
                                                            math.inf)
    if "capex_usd" in want:
        result["capex_usd"] = xp.sum(capex, axis=-1)
    for name, value in lifetime.items():
        if f"lifetime_{name}" in want:
            result[f"lifetime_{name}"] = value
    if "lifetime_gross_margin" in want:
        result["lifetime_gross_margin"] = safe_ratio(xp, lifetime["gross_profit_usd"], lifetime["revenue_usd"])
    return {name: result[name] for name in wanted}


def free_cash_flow_usd(xp, ebitda_usd, gross_profit_usd, tax_rate):
    """Unlevered free cash flow of a period before capex [USD]: ``ebitda - tax_rate * max(0, gross_profit)``.

    docs/model.md §6, §8: taxes on a positive gross profit (no loss carry-forward); capex, salvage and terminal
    values are counted where they fall, not here.
    """
    return ebitda_usd - tax_rate * xp.clip(gross_profit_usd, 0.0, None)


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


@dataclasses.dataclass(frozen=True)
class FleetFlows:
    """A fleet evaluated once on the union of the window and the lifetime grid (:func:`window_and_lifetime`)."""

    pnl: dict
    """Window P&L totals (:data:`PNL_NAMES`, or the requested ones)."""
    window: dict
    """Fleet flows per window period [USD, kWh, GPU-hours per period]."""
    view: dict
    """Investment view over every cohort's life (:data:`VIEW_NAMES`, or the requested ones)."""
    cohort_flows: list
    """Each cohort's flows on the union grid (input of :func:`financing_view` and :func:`economic_depreciation`)."""
    first_period: int
    """Period of the union grid's first column, counted from ``start_year`` (0 or negative)."""
    window_columns: tuple
    """``(lo, hi)``: the window's columns on the union grid."""


def window_and_lifetime(xp, cohorts, discount_rate, tax_rate, start_year, n_window_periods, lifetime_range,
                        periods_per_year, n_schedule_years, outputs=None, all_flows=False) -> FleetFlows:
    """Window P&L and fleet investment view from one evaluation of the cohort flows.

    The flows are computed once on the union of the window (periods ``0 ..
    n_window_periods - 1`` from ``start_year``) and the lifetime grid
    (``lifetime_range``), then sliced: the grid engine's hot path.

    Parameters
    ----------
    outputs : iterable of str, optional
        Names of :data:`PNL_NAMES` and :data:`VIEW_NAMES` to compute (default:
        all). The investment view is computed only for the named figures, and
        not at all when none is named; a caller that needs no lifetime figure
        can pass ``lifetime_range = (0, n_window_periods)`` so that the flows
        cover the window only.
    all_flows : bool
        Compute every cohort flow even when ``outputs`` needs fewer (for the
        financing and economic views, which read ``FleetFlows.cohort_flows``).

    Returns
    -------
    FleetFlows
        The window P&L, the window's fleet flows, the investment view, and the
        cohort flows on the union grid with its first period and the window's
        columns on it. With ``outputs``, ``pnl`` and ``window`` hold the named
        P&L figures and the flows they are made of, ``view`` exactly the named
        view figures.
    """
    if outputs is None:
        pnl_outputs, view_outputs = None, None
    else:
        asked = set(outputs)
        unknown = sorted(asked.difference(PNL_NAMES + VIEW_NAMES))
        if unknown:
            raise ValueError(f"not outputs of the window P&L or the investment view: {', '.join(unknown)}")
        pnl_outputs = [name for name in PNL_NAMES if name in asked]
        view_outputs = [name for name in VIEW_NAMES if name in asked]
    j_lo = min(lifetime_range[0], 0)
    j_hi = max(lifetime_range[1], n_window_periods)
    grid_start = start_year + j_lo / periods_per_year
    needed = None if all_flows else cohort_flows_needed(pnl_outputs, view_outputs)
    flows_list = [
        cohort_flows(xp, params, method, grid_start, j_hi - j_lo, periods_per_year, n_schedule_years, needed)
        for params, method in cohorts
    ]
    lo, hi = -j_lo, -j_lo + n_window_periods
    names = pnl_flow_names(pnl_outputs)
    window = sum_flows([{name: f[name][..., lo:hi] for name in names} for f in flows_list], names)
    if view_outputs is None or view_outputs:
        view = investment_view_from_flows(xp, cohorts, flows_list, discount_rate, tax_rate, start_year, j_lo,
                                          periods_per_year, outputs=view_outputs)
    else:
        view = {}
    return FleetFlows(pnl_totals(xp, window, pnl_outputs), window, view, flows_list, j_lo, (lo, hi))


def financing_view(xp, cohorts, flows_list, j_lo, window, debt_fraction, interest_rate_per_year,
                   debt_term_years, tax_rate, periods_per_year, valuation_year, outputs=None):
    """Levered view of a fleet on the union grid (see :mod:`dcecon.model.financing`).

    Parameters
    ----------
    flows_list, j_lo
        Cohort flows on the grid starting at period ``j_lo`` from ``start_year``
        (``FleetFlows.cohort_flows`` and ``first_period``). The grid
        must cover every cohort's life and the debt's term.
    window : tuple of int
        ``(lo, hi)``: the window's periods on that grid.
    debt_fraction, interest_rate_per_year, debt_term_years, tax_rate : float or array
    outputs : iterable of str, optional
        Names of :data:`FINANCING_NAMES` to compute (default: all); the equity
        IRR's iteration runs only for ``equity_irr``.

    Returns
    -------
    dict of str to array
        Window ``interest_usd``, ``principal_usd``, ``interest_coverage``
        (EBIT / interest), ``dscr_window`` (window CFADS / debt service),
        ``dscr_min`` and ``dscr_avg`` over every period
        with debt service, ``equity_usd`` and ``equity_irr`` (exactly the
        named ones with ``outputs``).
    """
    wanted = _selected(outputs, FINANCING_NAMES, "financing view")
    want = set(wanted)
    with_cfads = bool(want & {"dscr_window", "dscr_min", "dscr_avg", "equity_irr"})
    with_equity = bool(want & {"equity_usd", "equity_irr"})
    with_irr = "equity_irr" in want

    ppy = periods_per_year
    rate = interest_rate_per_year / ppy
    n_payments = debt_term_years * ppy
    fleet = sum_flows(flows_list, ("revenue_usd", "gross_profit_usd", "ebitda_usd"))
    interest = 0.0 * fleet["revenue_usd"]
    principal = 0.0 * fleet["revenue_usd"]
    equity_flows, equity_times = [], []
    probe = fleet["revenue_usd"][..., :1]
    terminal = 0.0 * fleet["revenue_usd"]
    for (params, _), flows in zip(cohorts, flows_list):
        capex = cohort_capex_usd(params)
        debt = debt_fraction * capex
        # payment k falls at the end of the cohort's k-th period on the book clock (aligned as depreciation)
        k = xp.floor(flows["age_periods"] + BOOK_CLOCK_EPSILON)
        i_k, p_k = financing.amortization(xp, debt, rate, n_payments, k)
        interest = interest + i_k
        principal = principal + p_k
        if with_irr:
            active = flows["active"]
            later = xp.concat([active[..., 1:], xp.zeros_like(active[..., :1])], axis=-1)
            terminal = terminal + xp.where(active & ~later, cohort_terminal_value_usd(xp, params), 0.0)
        if with_equity:
            equity_flows.append((1.0 - debt_fraction) * capex + 0.0 * probe)
            equity_times.append(params["in_service_year"] - valuation_year + 0.0 * probe)
    lo, hi = window
    result = {}
    ebit = fleet["gross_profit_usd"]
    window_interest = xp.sum(interest[..., lo:hi], axis=-1)
    if "interest_usd" in want:
        result["interest_usd"] = window_interest
    if "principal_usd" in want:
        result["principal_usd"] = xp.sum(principal[..., lo:hi], axis=-1)
    if "interest_coverage" in want:
        window_ebit = xp.sum(ebit[..., lo:hi], axis=-1)
        result["interest_coverage"] = xp.where(
            window_interest > 0.0, window_ebit / xp.where(window_interest > 0.0, window_interest, 1.0), float("inf"))
    if with_cfads:
        taxes = tax_rate * xp.clip(ebit - interest, 0.0, None)
        cfads = fleet["ebitda_usd"] - taxes
        service = interest + principal
    if "dscr_window" in want:
        window_service = xp.sum(service[..., lo:hi], axis=-1)
        window_cfads = xp.sum(cfads[..., lo:hi], axis=-1)
        result["dscr_window"] = xp.where(window_service > 0.0,
                                         window_cfads / xp.where(window_service > 0.0, window_service, 1.0),
                                         float("nan"))
    if want & {"dscr_min", "dscr_avg"}:
        has_service = service > 0.0
        dscr = cfads / xp.where(has_service, service, 1.0)
        n_service = xp.sum(xp.astype(has_service, dscr.dtype), axis=-1)
        if "dscr_min" in want:
            result["dscr_min"] = xp.where(n_service > 0, xp.min(xp.where(has_service, dscr, float("inf")), axis=-1),
                                          float("nan"))
        if "dscr_avg" in want:
            result["dscr_avg"] = xp.where(n_service > 0, xp.sum(xp.where(has_service, dscr, 0.0), axis=-1)
                                          / xp.where(n_service > 0, n_service, 1.0), float("nan"))
    if with_equity:
        rows = max([probe.shape[0]] + [e.shape[0] for e in equity_flows + equity_times])
        if with_irr:
            fcfe = cfads - service
            rows = max(rows, fcfe.shape[0])
        equity = xp.concat([xp.broadcast_to(e, (rows, 1)) for e in equity_flows], axis=-1)
        equity_time = xp.concat([xp.broadcast_to(t, (rows, 1)) for t in equity_times], axis=-1)
        if "equity_usd" in want:
            result["equity_usd"] = xp.sum(equity, axis=-1)
        if with_irr:
            period_years = 1.0 / ppy
            n = fleet["revenue_usd"].shape[-1]
            period_end = xp.astype(xp.arange(j_lo, j_lo + n), fcfe.dtype) * period_years + period_years
            cash = xp.concat([xp.broadcast_to(fcfe + terminal, (rows, n)), -equity], axis=-1)
            times = xp.concat([xp.broadcast_to(period_end, (rows, n)), equity_time], axis=-1)
            result["equity_irr"] = finance.irr(xp, cash, times)
    return {name: result[name] for name in wanted}


def economic_lives_years(cohorts, economic_life_years=None):
    """Each cohort's economic life: its ``economic_life_years``, or its book life when not given [years].

    Parameters
    ----------
    cohorts : list of (mapping, str)
        Cohort parameters and depreciation method.
    economic_life_years : list of (float, array or None), optional
        Each cohort's ``economic_life_years`` (None: the book life); default:
        ``params["economic_life_years"]`` where the parameters hold it.
    """
    lives = []
    for k, (params, _) in enumerate(cohorts):
        life = params.get("economic_life_years") if economic_life_years is None else economic_life_years[k]
        lives.append(params["book_life_years"] if life is None else life)
    return lives


def economic_depreciation(xp, cohorts, flows_list, economic_lives, window, periods_per_year, n_schedule_years,
                          tax_rate, outputs=None):
    """Book vs economic depreciation over the window (docs/model.md §13).

    Each cohort's depreciation is recomputed with its economic life in place
    of ``book_life_years`` (same method, salvage and book clock, while in
    service).

    Parameters
    ----------
    cohorts : list of (mapping, str)
        Cohort parameters and depreciation method.
    flows_list : list of dict
        The cohorts' flows on a grid that holds the window (``cohort_flows``).
    economic_lives : list of float or array
        Each cohort's economic life [years] (see :func:`economic_lives_years`).
    window : tuple of int
        ``(lo, hi)``: the window's periods on that grid.
    n_schedule_years : int
        Whole years of accelerated schedule (at least the largest book and economic life).
    tax_rate : array
        Tax rate [-], shape ``(n, 1)`` or ``(1, 1)``.
    outputs : iterable of str, optional
        Names of :data:`ECONOMIC_NAMES` to return (default: all).

    Returns
    -------
    dict of str to array
        Window ``economic_depreciation_usd``, ``depreciation_gap_usd``
        (economic minus book: how much the books understate the cost) and
        ``earnings_overstatement_usd`` (the gap after tax, ``gap * (1 -
        tax_rate)``).
    """
    wanted = _selected(outputs, ECONOMIC_NAMES, "economic depreciation")
    lo, hi = window
    total_book, total_economic = 0.0, 0.0
    for (params, method), flows, life in zip(cohorts, flows_list, economic_lives):
        active = flows["active"][..., lo:hi]
        age = xp.where(active, xp.floor(flows["age_periods"][..., lo:hi] + BOOK_CLOCK_EPSILON) / periods_per_year,
                       0.0)
        per_gpu = period_depreciation_usd(xp, method, params["capex_usd_per_gpu"], params["salvage_fraction"],
                                          life + 0.0 * params["book_life_years"], age, periods_per_year,
                                          n_schedule_years)
        economic_flow = xp.where(active, per_gpu * params["gpus"], 0.0)
        total_economic = total_economic + xp.sum(economic_flow, axis=-1)
        total_book = total_book + xp.sum(flows["depreciation_usd"][..., lo:hi], axis=-1)
    gap = total_economic - total_book
    result = {
        "economic_depreciation_usd": total_economic,
        "depreciation_gap_usd": gap,
    }
    if "earnings_overstatement_usd" in wanted:
        result["earnings_overstatement_usd"] = gap * (1.0 - xp.reshape(tax_rate, (-1,)))
    return {name: result[name] for name in wanted}
