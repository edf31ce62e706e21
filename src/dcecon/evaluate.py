"""Evaluate one fleet scenario on a backend: the library's main entry point.

``dcecon.evaluate(scenario, backend="auto")`` returns a :class:`~dcecon.result.Result` with
the window P&L, the investment view, a row per cohort and a row per period.
Window P&L figures sum the periods from ``start_year`` to ``start_year +
horizon_years``; investment figures cover every cohort's whole service life
(docs/model.md §4-§8).
"""

from __future__ import annotations

import os
import math
import time
from typing import Any

import numpy as np

from dcecon.backends import Backend, resolve_backend, to_numpy
from dcecon.model.cohort import FLOW_NAMES
from dcecon.model.price_paths import flat_breakeven_usd_per_million_tokens, usd_per_million_tokens_from_gpu_hour
from dcecon.model.fleet import (
    economic_depreciation,
    economic_lives_years,
    investment_view,
    financing_view,
    lifetime_period_range,
    pnl_totals,
    window_and_lifetime,
    window_flows,
)
from dcecon.scenario.resolve import fleet_parameters, schedule_years
from dcecon.scenario.schema import Scenario
from dcecon.result import INVESTMENT_FIELDS, PNL_FIELDS, Result

def _device_params(backend: Backend, params: dict[str, float]) -> dict[str, Any]:
    return {name: backend.asarray([[value]]) for name, value in params.items()}


def _to_host(arrays: dict[str, Any]) -> dict[str, np.ndarray]:
    return {name: to_numpy(value) for name, value in arrays.items()}


def _scalar(array: np.ndarray) -> float:
    return float(np.asarray(array, dtype=np.float64).reshape(-1)[0])


def evaluate(scenario: Scenario | str | os.PathLike, backend: str | Backend = "auto",
             dtype: str = "float64") -> Result:
    """Evaluate a fleet scenario.

    Parameters
    ----------
    scenario : Scenario, str or path
        From :func:`dcecon.load_scenario`, or a scenario file or bundled name that it loads.
    backend : {'auto', 'numpy', 'cupy', 'array-api-strict'} or Backend
        Array library to run on; ``auto`` takes CuPy when a GPU is usable.
    dtype : {'float64', 'float32'}
        Floating dtype of the computation.

    Returns
    -------
    Result
    """
    if not isinstance(scenario, Scenario):
        from dcecon.scenario.loader import load_scenario

        scenario = load_scenario(scenario)  # a path or a bundled name; anything else is a one-line ScenarioError
    chosen = backend if isinstance(backend, Backend) else resolve_backend(backend, dtype)
    with np.errstate(all="ignore"):  # extreme inputs give inf/NaN figures, reported as such, not warnings
        return _evaluate(scenario, chosen)


def _evaluate(scenario: Scenario, chosen: Backend) -> Result:
    xp = chosen.xp
    started = time.perf_counter()
    host_fleet = fleet_parameters(scenario)
    ppy = scenario.periods_per_year
    n_years = schedule_years([p["book_life_years"] for p, _ in host_fleet])
    fleet = [(_device_params(chosen, p), method) for p, method in host_fleet]
    discount = chosen.asarray([scenario.finance.discount_rate])
    tax = chosen.asarray([[scenario.finance.tax_rate]])

    debt_years = scenario.finance.debt_term_years if scenario.finance.debt_fraction > 0 else 0.0
    period_range = lifetime_period_range(  # every cohort's life, and its loan when that runs longer
        [p["in_service_year"] - scenario.start_year for p, _ in host_fleet],
        [max(p["service_life_years"], debt_years) for p, _ in host_fleet],
        ppy,
    )
    flows = window_and_lifetime(xp, fleet, discount[..., None], tax, scenario.start_year, scenario.n_periods,
                                period_range, ppy, n_years)
    f = scenario.finance
    levered = financing_view(xp, fleet, flows.cohort_flows, flows.first_period, flows.window_columns, chosen.asarray([[f.debt_fraction]]),
                             chosen.asarray([[f.interest_rate or 0.0]]), chosen.asarray([[f.debt_term_years or 1.0]]),
                             tax, ppy, scenario.start_year)
    window = window_flows(xp, fleet, scenario.start_year, scenario.n_periods, ppy, n_years)

    cohort_arrays = []
    for (host_params, _), (params, method), own_flows in zip(host_fleet, fleet, window):
        own_range = lifetime_period_range([0.0], [host_params["service_life_years"]], ppy)
        view = investment_view(xp, [(params, method)], discount[..., None], tax, params["in_service_year"],
                               own_range, ppy, n_years)
        cohort_arrays.append((pnl_totals(xp, own_flows), view))

    economic_years = schedule_years([c.economic_life_years or c.book_life_years for c in scenario.cohorts]
                                    + [p["book_life_years"] for p, _ in host_fleet])
    lives = economic_lives_years(fleet, [c.economic_life_years for c in scenario.cohorts])
    economic = economic_depreciation(xp, fleet, flows.cohort_flows, lives, flows.window_columns, ppy, economic_years,
                                     tax)
    host_levered = _to_host(levered)
    host_economic = _to_host(economic)
    host_pnl = _to_host(flows.pnl)
    host_view = _to_host(flows.view)
    host_periods = _to_host(flows.window)
    host_cohorts = [(_to_host(p), _to_host(v)) for p, v in cohort_arrays]
    elapsed = time.perf_counter() - started

    figures = {name: _scalar(host_pnl[name]) for name in PNL_FIELDS}
    figures.update({name: _scalar(host_view[name]) for name in INVESTMENT_FIELDS})
    figures["billed_gpu_hours"] = _scalar(host_pnl["billed_gpu_hours"])
    figures["capex_usd"] = _scalar(host_view["capex_usd"])
    figures["lifetime_revenue_usd"] = _scalar(host_view["lifetime_revenue_usd"])
    figures["lifetime_gross_profit_usd"] = _scalar(host_view["lifetime_gross_profit_usd"])
    figures["lifetime_gross_margin"] = _scalar(host_view["lifetime_gross_margin"])
    figures.update({name: _scalar(value) for name, value in host_levered.items()})
    figures.update({name: _scalar(value) for name, value in host_economic.items()})

    cohorts = []
    for cohort, (host_params, method), (cp, cv) in zip(scenario.cohorts, host_fleet, host_cohorts):
        row: dict[str, Any] = {
            "name": cohort.name,
            "gpus": host_params["gpus"],
            "in_service_year": host_params["in_service_year"],
            "depreciation_method": method,
        }
        row.update({name: _scalar(cp[name]) for name in PNL_FIELDS})
        row.update({name: _scalar(cv[name]) for name in INVESTMENT_FIELDS})
        row["billed_gpu_hours"] = _scalar(cp["billed_gpu_hours"])
        row["capex_usd"] = _scalar(cv["capex_usd"])
        row["lifetime_gross_margin"] = _scalar(cv["lifetime_gross_margin"])
        row["price_usd_per_gpu_hour"] = host_params["price_usd_per_gpu_hour"]
        if cohort.price_usd_per_million_tokens is not None:
            row["price_usd_per_million_tokens"] = cohort.price_usd_per_million_tokens
            row["tokens_per_second_per_gpu"] = cohort.tokens_per_second_per_gpu
            row["breakeven_price_usd_per_million_tokens"] = usd_per_million_tokens_from_gpu_hour(
                row["breakeven_price_usd_per_gpu_hour"], cohort.tokens_per_second_per_gpu)
            row["flat_breakeven_price_usd_per_million_tokens"] = flat_breakeven_usd_per_million_tokens(
                row["cost_usd_per_billed_gpu_hour"], cohort.tokens_per_second_per_gpu)
        cohorts.append(row)

    periods = []
    for j in range(scenario.n_periods):
        row = {"period_start_year": scenario.start_year + j / ppy}
        for name in FLOW_NAMES:
            row[name] = float(np.asarray(host_periods[name], dtype=np.float64).reshape(-1, scenario.n_periods)[0, j])
        revenue = row["revenue_usd"]
        row["gross_margin"] = row["gross_profit_usd"] / revenue if revenue else math.nan
        periods.append(row)

    return Result(scenario, chosen.name, chosen.dtype_name, figures, cohorts, periods, elapsed)
