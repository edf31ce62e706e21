"""Evaluate one chunk of a grid run with the array-API model.

The chunk's dimension values become ``(m, 1)`` arrays on the backend; every
other parameter stays a ``(1, 1)`` array, so work that does not depend on an
axis is done once per chunk, not once per scenario.
"""

from __future__ import annotations

from dcecon.evaluate import RESULT_FIELDS
from dcecon.grid_engine.plan import FINANCE, GridPlan
from dcecon.model.price_paths import usd_per_gpu_hour_from_tokens
from dcecon.model.fleet import window_and_lifetime

METRICS = RESULT_FIELDS
"""Per-scenario outputs of a grid run, reduced over the grid."""


def chunk_parameters(backend, plan: GridPlan, dim_values):
    """Cohort parameter dicts and finance arrays for a chunk.

    Parameters
    ----------
    backend : Backend
    plan : GridPlan
    dim_values : list of numpy.ndarray
        Host values of each dimension of the chunk, shape ``(m,)`` each, in
        ``plan.dimensions`` order.
    """
    xp = backend.xp
    cohorts = [{name: backend.asarray([[value]]) for name, value in params.items()} for params, _ in plan.host_fleet]
    finance = {
        "discount_rate": backend.asarray([[plan.scenario.finance.discount_rate]]),
        "tax_rate": backend.asarray([[plan.scenario.finance.tax_rate]]),
    }
    derived = {}  # inputs the model takes only through another parameter
    for k, c in enumerate(plan.scenario.cohorts):
        if c.it_power_mw is not None:
            derived[(k, "it_power_mw")] = backend.asarray([[c.it_power_mw]])
        if c.price_usd_per_million_tokens is not None:
            derived[(k, "price_usd_per_million_tokens")] = backend.asarray([[c.price_usd_per_million_tokens]])
            derived[(k, "tokens_per_second_per_gpu")] = backend.asarray([[c.tokens_per_second_per_gpu]])
    bound = {(target, name) for axis in plan.dimensions for target, name in plan.bindings[axis.path]}
    for axis, values in zip(plan.dimensions, dim_values):
        column = xp.reshape(backend.asarray(values), (-1, 1))
        for target, name in plan.bindings[axis.path]:
            if target == FINANCE:
                finance[name] = column
            elif (target, name) in derived:
                derived[(target, name)] = column
            else:
                cohorts[target][name] = column
    for k, c in enumerate(plan.scenario.cohorts):
        params = cohorts[k]
        if c.it_power_mw is not None:
            params["gpus"] = derived[(k, "it_power_mw")] * 1000.0 / params["power_kw_per_gpu"]
        if c.price_usd_per_million_tokens is not None:
            params["price_usd_per_gpu_hour"] = usd_per_gpu_hour_from_tokens(
                derived[(k, "price_usd_per_million_tokens")], derived[(k, "tokens_per_second_per_gpu")])
        if (c.generation_interval_years is not None and c.next_generation_year is None
                and (k, "next_generation_year") not in bound):
            params["next_generation_year"] = params["in_service_year"] + params["generation_interval_years"]
    fleet = [(params, method) for params, (_, method) in zip(cohorts, plan.host_fleet)]
    return fleet, finance


def evaluate_chunk(backend, plan: GridPlan, extents: dict, dim_values, m: int):
    """Per-scenario :data:`METRICS` of a chunk of ``m`` scenarios, each shape ``(m,)`` on the backend."""
    xp = backend.xp
    fleet, finance = chunk_parameters(backend, plan, dim_values)
    s = plan.scenario
    ppy = s.periods_per_year
    n_years = extents["n_schedule_years"]
    pnl, _, view = window_and_lifetime(xp, fleet, finance["discount_rate"], finance["tax_rate"], s.start_year,
                                       extents["window_periods"], extents["lifetime_range"], ppy, n_years)
    out = {}
    for name in METRICS:
        value = pnl[name] if name in pnl else view[name]
        out[name] = xp.broadcast_to(xp.reshape(value, (-1,)), (m,))
    return out
