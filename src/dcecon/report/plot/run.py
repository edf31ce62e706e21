"""Figures of one evaluated fleet scenario (``dcecon run --plot``).

- :func:`rented_dollar`: where each rented dollar goes, per cohort and for the fleet;
- :func:`pnl_by_cohort`: the fleet's gross profit per period, stacked by cohort;
- :func:`cumulative_cash`: cumulative free cash flow less capex over the fleet's life, payback marked;
- :func:`price_vs_cost`: a cohort's price per billed GPU-hour against its cost per billed GPU-hour over its life.

The window totals come from the :class:`~dcecon.result.Result`; the series a
Result does not hold (each cohort's flows per period, over the window and over
its life) are computed by the model's own functions (:func:`dcecon.model.cohort.cohort_flows`
on host NumPy float64), never re-derived here.
"""

from __future__ import annotations

import math

import numpy as np

from dcecon.report.plot import style

COST_PARTS = (("depreciation_usd", "depreciation"), ("power_cost_usd", "power"),
              ("facility_cost_usd", "facility"), ("opex_usd", "opex"))
"""The costs of a rented dollar, in stacking order: (window P&L field, legend label)."""


# --- series from the model ----------------------------------------------------------------------------------

def _host_fleet(scenario):
    """``(xp, host parameters, array parameters, schedule years)`` of a scenario's cohorts on NumPy float64."""
    from dcecon.backends import resolve_backend
    from dcecon.scenario.resolve import fleet_parameters, schedule_years

    backend = resolve_backend("numpy", "float64")
    host = fleet_parameters(scenario)
    n_years = schedule_years([p["book_life_years"] for p, _ in host])
    fleet = [({name: backend.asarray([[value]]) for name, value in params.items()}, method) for params, method in host]
    return backend.xp, host, fleet, n_years


def _row(array) -> np.ndarray:
    return np.asarray(array, dtype=np.float64).reshape(-1)


def cohort_window_flows(scenario) -> list[dict[str, np.ndarray]]:
    """Each cohort's flows per window period (:data:`dcecon.model.cohort.FLOW_NAMES`) [USD, kWh, GPU-hours per
    period], from :func:`dcecon.model.fleet.window_flows`; their sum over cohorts is ``Result.periods``."""
    from dcecon.model.cohort import FLOW_NAMES
    from dcecon.model.fleet import window_flows

    xp, _, fleet, n_years = _host_fleet(scenario)
    with np.errstate(all="ignore"):
        flows = window_flows(xp, fleet, scenario.start_year, scenario.n_periods, scenario.periods_per_year, n_years)
    return [{name: _row(f[name]) for name in FLOW_NAMES} for f in flows]


def cohort_life_flows(scenario, index: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One cohort's flows over its whole service life: ``(period start years [year], flows)``, on the grid of
    :func:`dcecon.model.fleet.investment_view` (the cohort's own clock)."""
    from dcecon.model.cohort import FLOW_NAMES, cohort_flows
    from dcecon.model.fleet import lifetime_period_range

    xp, host, fleet, n_years = _host_fleet(scenario)
    params, method = host[index]
    ppy = scenario.periods_per_year
    j_lo, j_hi = lifetime_period_range([0.0], [params["service_life_years"]], ppy)
    grid_start = params["in_service_year"] + j_lo / ppy
    with np.errstate(all="ignore"):
        flows = cohort_flows(xp, fleet[index][0], method, grid_start, j_hi - j_lo, ppy, n_years)
    starts = grid_start + np.arange(j_hi - j_lo) / ppy
    active = _row(flows["active"]) > 0
    return starts[active], {name: _row(flows[name])[active] for name in FLOW_NAMES}


def fleet_cash(scenario) -> dict:
    """Cumulative cash of the fleet over every cohort's life, on the clock of the model's payback.

    Returns
    -------
    dict
        ``period_end_year`` [year], ``free_cash_flow_usd`` per period [USD], ``cumulative_cash_usd`` (cumulative
        free cash flow less the whole capex) [USD], ``capex_usd`` [USD], ``origin_year`` (the first capex)
        [year], ``grid_start_year`` [year].

    Notes
    -----
    docs/model.md §8: payback is when cumulative free cash flow, ``ebitda - tax_rate * max(0, gross_profit)``
    per period, first reaches the whole capex, counted from the first capex. The free cash flow line is the
    model's (:func:`dcecon.model.fleet.free_cash_flow_usd`), on the same period grid as :func:`dcecon.evaluate`.
    """
    from dcecon.model.cohort import cohort_capex_usd, cohort_flows
    from dcecon.model.fleet import free_cash_flow_usd, lifetime_period_range, sum_flows

    xp, host, fleet, n_years = _host_fleet(scenario)
    ppy, start = scenario.periods_per_year, scenario.start_year
    finance = scenario.finance
    debt_years = finance.debt_term_years if finance.debt_fraction > 0 else 0.0
    j_lo, j_hi = lifetime_period_range([p["in_service_year"] - start for p, _ in host],
                                       [max(p["service_life_years"], debt_years) for p, _ in host], ppy)
    grid_start = start + j_lo / ppy
    with np.errstate(all="ignore"):
        flows = [cohort_flows(xp, params, method, grid_start, j_hi - j_lo, ppy, n_years) for params, method in fleet]
        total = sum_flows(flows, ("ebitda_usd", "gross_profit_usd"))
    ebitda, gross_profit = _row(total["ebitda_usd"]), _row(total["gross_profit_usd"])
    free_cash_flow = free_cash_flow_usd(np, ebitda, gross_profit, finance.tax_rate)
    capex = float(sum(cohort_capex_usd(params) for params, _ in host))
    return {"period_end_year": grid_start + (np.arange(j_hi - j_lo) + 1) / ppy,
            "free_cash_flow_usd": free_cash_flow,
            "cumulative_cash_usd": np.cumsum(free_cash_flow) - capex,
            "capex_usd": capex,
            "origin_year": min(p["in_service_year"] for p, _ in host),
            "grid_start_year": grid_start}


# --- figures ------------------------------------------------------------------------------------------------

def _source(result, what: str, investment: bool = False) -> str:
    """The source line: the scenario and its sources, what is drawn, and the extrapolation note of an
    investment-view figure of a scenario fitted to a window."""
    note = result.extrapolated if investment else None
    return (f"{style.scenario_source(result.scenario)}; {what}; {style.computed_on(result.backend, result.dtype)}"
            + (f". Note: {note}" if note else ""))


def rented_dollar(result):
    """Where each rented dollar goes: depreciation, power, facility, opex and gross profit per USD of window
    revenue, one bar per cohort and one for the fleet.

    A negative gross profit is drawn honestly: the costs stack past 1 and the gross loss is a hatched bar left
    of 0 (the bar's parts still add up to 1).

    Parameters
    ----------
    result : Result
        From :func:`dcecon.evaluate`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = [(c["name"], c) for c in result.cohorts] if len(result.cohorts) > 1 else []
    rows.append(("fleet", result.figures))
    figure, ax = style.new_figure(size=(8.0, 2.2 + 0.55 * len(rows)))
    names = [name for name, _ in rows][::-1]
    data = [values for _, values in rows][::-1]
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    revenue = np.array([v["revenue_usd"] for v in data], dtype=np.float64)
    with np.errstate(all="ignore"):
        for i, (field, text) in enumerate(COST_PARTS):
            share = np.array([v[field] for v in data]) / revenue
            ax.barh(y, share, left=left, label=text, **style.fill(i))
            left = left + share
        profit = np.array([v["gross_profit_usd"] for v in data]) / revenue
    positive = np.where(profit >= 0, profit, 0.0)
    negative = np.where(profit < 0, profit, 0.0)
    ax.barh(y, positive, left=left, label="gross profit", facecolor="white", edgecolor="black", linewidth=0.6)
    if (negative < 0).any():
        ax.barh(y, negative, left=0.0, label="gross loss", facecolor="0.30", edgecolor="black", hatch="xx",
                linewidth=0.6)
    for yi, share, end in zip(y, profit, left):
        if math.isfinite(share):
            ax.text(max(end, 1.0) + 0.01, yi, f"gross margin {share:.1%}", va="center", fontsize=8)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, names)
    ax.set_xlabel(style.label("share of window revenue", "USD per rented USD"))
    ax.set_ylabel(style.label("cohort", "name"))
    finite = np.concatenate([left[np.isfinite(left)], negative[np.isfinite(negative)], [1.0]])
    ax.set_xlim(min(0.0, finite.min()) - 0.05, max(1.0, finite.max()) + 0.3)
    ax.set_title(f"{result.scenario.name}: where each rented dollar goes "
                 f"({result.scenario.start_year:g} + {result.scenario.horizon_years:g} years)")
    figure.legend(loc="outside right upper", fontsize=7)
    style.add_source(figure, _source(result, "window P&L (docs/model.md §4)"))
    return figure


MAX_LABELLED_PERIODS = 24
"""Up to this many periods, each bar of the P&L figure is labelled with its period."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def period_label(start_year: float, periods_per_year: int) -> str:
    """A period's start as a reader names it: ``2024`` (annual), ``Q3 2025`` (quarterly, on a quarter's first
    month), ``Jun 2025`` (any other start) [decimal year in]."""
    year = math.floor(start_year + 1e-9)
    month = int(round((start_year - year) * 12)) % 12
    if periods_per_year == 1 and month == 0:
        return f"{year}"
    if periods_per_year == 4 and month % 3 == 0:
        return f"Q{month // 3 + 1} {year}"
    return f"{MONTHS[month]} {year}"


def pnl_by_cohort(result):
    """The fleet's gross profit in each window period, stacked by cohort (gains up, losses down), with the
    fleet total (``Result.periods``) as a line.

    Parameters
    ----------
    result : Result

    Returns
    -------
    matplotlib.figure.Figure
    """
    flows = cohort_window_flows(result.scenario)
    starts = np.array([p["period_start_year"] for p in result.periods])
    total = np.array([p["gross_profit_usd"] for p in result.periods])
    factor, unit = style.money_scale(np.concatenate([total, *[f["gross_profit_usd"] for f in flows],
                                                     *[f["revenue_usd"] for f in flows]]))
    figure, ax = style.new_figure()
    width = 0.8 / result.scenario.periods_per_year
    up = np.zeros(len(starts))
    down = np.zeros(len(starts))
    for i, (cohort, f) in enumerate(zip(result.scenario.cohorts, flows)):
        value = f["gross_profit_usd"] / factor
        bottom = np.where(value >= 0, up, down)
        ax.bar(starts, value, width=width, bottom=bottom, align="edge", label=cohort.name, **style.fill(i))
        up = up + np.where(value >= 0, value, 0.0)
        down = down + np.where(value < 0, value, 0.0)
    ax.plot(starts + width / 2, total / factor, color="black", marker="o", markersize=4, linewidth=1.2,
            label="fleet gross profit")
    ax.axhline(0.0, color="black", linewidth=0.8)
    if len(starts) <= MAX_LABELLED_PERIODS:  # each bar under its own period ("Jun 2025"), not an offset axis
        ax.set_xticks(starts + width / 2, [period_label(x, result.scenario.periods_per_year) for x in starts],
                      fontsize=8)
    else:
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    ax.set_xlabel(style.label("period start", "year"))
    per = {1: "year", 4: "quarter", 12: "month"}.get(result.scenario.periods_per_year, "period")
    ax.set_ylabel(style.label("gross profit", f"{unit} per {per}"))
    ax.set_title(f"{result.scenario.name}: gross profit by period and cohort")
    ax.legend(fontsize=7, ncols=2)
    style.add_source(figure, _source(result, "window P&L per period (docs/model.md §4)"))
    return figure


def cumulative_cash(result):
    """Cumulative free cash flow less the whole capex over every cohort's life, with the payback marked
    (``Result.payback_years`` from the first capex).

    Parameters
    ----------
    result : Result

    Returns
    -------
    matplotlib.figure.Figure
    """
    cash = fleet_cash(result.scenario)
    factor, unit = style.money_scale(np.append(cash["cumulative_cash_usd"], cash["capex_usd"]))
    x = np.concatenate([[cash["grid_start_year"]], cash["period_end_year"]])
    y = np.concatenate([[-cash["capex_usd"]], cash["cumulative_cash_usd"]]) / factor
    figure, ax = style.new_figure()
    ax.plot(x, y, color="black", linewidth=1.6, label="cumulative free cash flow less capex")
    ax.fill_between(x, y, 0.0, where=y < 0, color="0.8", hatch="//", edgecolor="0.5", linewidth=0.0,
                    interpolate=True, label="not yet paid back")
    ax.axhline(0.0, color="black", linewidth=0.8)
    payback = result.payback_years
    if math.isfinite(payback):
        when = cash["origin_year"] + payback
        ax.axvline(when, color="black", linestyle="--", linewidth=1.0)
        ax.plot([when], [0.0], marker="D", color="black", markersize=6, linestyle="none",
                label=f"payback: {payback:.2f} years after the first capex")
        ax.set_gid("payback")
    else:
        ax.text(0.02, 0.95, "no payback within the cohorts' lives", transform=ax.transAxes, va="top")
    ax.set_xlabel(style.label("date", "year"))
    ax.set_ylabel(style.label("cumulative cash", unit))
    ax.set_title(f"{result.scenario.name}: cumulative cash and payback")
    ax.legend(fontsize=7, loc="lower right")
    style.add_source(figure, _source(result, "free cash flow = EBITDA - tax on positive gross profit, capex counted "
                                             "at the first capex as the model's payback does (docs/model.md §8).", investment=True))
    return figure


def price_vs_cost(result, cohort: int = 0):
    """One cohort's price per billed GPU-hour (its price path: decline, steps, new generations) against its cost
    per billed GPU-hour, period by period over its whole life, with the lifetime cost per billed GPU-hour.

    Parameters
    ----------
    result : Result
    cohort : int
        Index of the cohort.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from dcecon.scenario.errors import ScenarioError

    if not isinstance(cohort, int) or not -len(result.cohorts) <= cohort < len(result.cohorts):
        raise ScenarioError("cohort", str(cohort), f"no such cohort; the scenario has {len(result.cohorts)}")
    starts, flows = cohort_life_flows(result.scenario, cohort)
    hours = flows["billed_gpu_hours"]
    with np.errstate(all="ignore"):
        price = np.where(hours > 0, flows["revenue_usd"] / hours, np.nan)
        cost = np.where(hours > 0, flows["cogs_usd"] / hours, np.nan)
    row = result.cohorts[cohort]
    figure, ax = style.new_figure()
    ax.plot(starts, price, label="price per billed GPU-hour", **style.line(0))
    ax.plot(starts, cost, label="cost (COGS) per billed GPU-hour", **style.line(1))
    ax.axhline(row["cost_usd_per_billed_gpu_hour"], color="0.4", linestyle=":", linewidth=1.0,
               label=f"lifetime cost per billed GPU-hour: {row['cost_usd_per_billed_gpu_hour']:.2f} USD")
    ax.fill_between(starts, price, cost, where=price < cost, color="0.85", hatch="..", edgecolor="0.5",
                    linewidth=0.0, step=None, interpolate=True, label="price below cost")
    ax.set_xlabel(style.label("period start", "year"))
    ax.set_ylabel(style.label("price and cost", "USD/GPU-hour"))
    ax.set_title(f"{result.scenario.name}: cohort {row['name']}, price path vs cost over its life")
    ax.set_ylim(bottom=0.0)
    ax.legend(fontsize=7)
    style.add_source(figure, _source(result, "per-period revenue and COGS over billed GPU-hours (docs/model.md §2, "
                                             "§11)", investment=True))
    return figure


def run_figures(result) -> dict:
    """Every figure of a fleet result, by file stem (``rented-dollar``, ``pnl-by-cohort``, ``cumulative-cash``,
    ``price-vs-cost``, one per cohort when there are several)."""
    figures = {"rented-dollar": rented_dollar(result), "pnl-by-cohort": pnl_by_cohort(result),
               "cumulative-cash": cumulative_cash(result)}
    if len(result.cohorts) == 1:
        figures["price-vs-cost"] = price_vs_cost(result, 0)
    else:
        for i in range(len(result.cohorts)):
            figures[f"price-vs-cost-{i}"] = price_vs_cost(result, i)
    return figures
