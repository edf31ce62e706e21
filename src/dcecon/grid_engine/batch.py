"""Evaluate one chunk of a grid run with the array-API model.

The chunk's dimension values become ``(m, 1)`` arrays on the backend; every
other parameter stays a ``(1, 1)`` array, so work that does not depend on an
axis is done once per chunk, not once per scenario.

A chunk computes the metrics it is asked for (:mod:`dcecon.model.metrics`)
and what they are made of, nothing else: the window P&L for window metrics,
the lifetime flows only for investment or financing metrics, each investment
figure only when asked (the IRR's iteration only for ``irr``), the financing
view only for financing metrics and the economic depreciation only for
economic ones.
"""

from __future__ import annotations

from dcecon.grid_engine.plan import FINANCE, GridPlan
from dcecon.model.fleet import economic_depreciation, economic_lives_years, financing_view, window_and_lifetime
from dcecon.model.metrics import BY_NAME, DEFAULT_METRICS
from dcecon.model.price_paths import usd_per_gpu_hour_from_tokens
from dcecon.scenario.resolve import schedule_years

METRICS = DEFAULT_METRICS
"""Per-scenario outputs of a grid run by default (the window P&L and the investment view), reduced over the grid."""

FINANCE_DEFAULTS = {"interest_rate": 0.0, "debt_term_years": 1.0}
"""Values the model takes for debt fields a scenario without debt leaves out (as ``dcecon.evaluate``)."""


def chunk_parameters(backend, plan: GridPlan, dim_values):
    """Cohort parameter dicts and finance arrays for a chunk.

    Parameters
    ----------
    backend : Backend
    plan : GridPlan
    dim_values : list of numpy.ndarray
        Host values of each dimension of the chunk, shape ``(m,)`` each, in
        ``plan.dimensions`` order.

    Returns
    -------
    fleet : list of (dict, str)
        Each cohort's parameters (:data:`dcecon.model.cohort.COHORT_PARAMETERS`
        plus ``economic_life_years``, the book life where the scenario gives
        none) and depreciation method.
    finance : dict of str to array
        ``discount_rate``, ``tax_rate``, ``debt_fraction``, ``interest_rate``
        and ``debt_term_years`` (the last two 0 and 1 where the scenario has
        no debt and gives none).
    """
    xp = backend.xp
    cohorts = [{name: backend.asarray([[value]]) for name, value in params.items()} for params, _ in plan.host_fleet]
    f = plan.scenario.finance
    finance = {}
    for name in ("discount_rate", "tax_rate", "debt_fraction", "interest_rate", "debt_term_years"):
        value = getattr(f, name)
        finance[name] = backend.asarray([[FINANCE_DEFAULTS[name] if value is None else value]])
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
        if "economic_life_years" not in params:  # no axis on it
            params["economic_life_years"] = (params["book_life_years"] if c.economic_life_years is None
                                             else backend.asarray([[c.economic_life_years]]))
    fleet = [(params, method) for params, (_, method) in zip(cohorts, plan.host_fleet)]
    return fleet, finance


def economic_schedule_years(plan: GridPlan, extents: dict) -> int:
    """Whole years of accelerated schedule that cover every book and economic life the plan can take."""
    lives = []
    for k, c in enumerate(plan.scenario.cohorts):
        if c.economic_life_years is not None:
            lives.append(c.economic_life_years)
        for axis in plan.dimensions:
            if (k, "economic_life_years") in plan.bindings[axis.path]:
                lives.append(axis.extremes[1])
    return max([extents["n_schedule_years"]] + ([schedule_years(lives)] if lives else []))


def evaluate_chunk(backend, plan: GridPlan, extents: dict, dim_values, m: int, metrics=DEFAULT_METRICS):
    """Per-scenario metrics of a chunk of ``m`` scenarios.

    Parameters
    ----------
    backend : Backend
    plan : GridPlan
    extents : dict
        ``plan.static_extents()``.
    dim_values : list of numpy.ndarray
        Host values of each dimension of the chunk (``plan.dimension_values``).
    m : int
        Scenarios in the chunk.
    metrics : iterable of str
        Names of :data:`dcecon.model.metrics.METRICS` (default: the window P&L
        and the investment view).

    Returns
    -------
    dict of str to array
        Exactly the names of ``metrics``, in their order, each shape ``(m,)``
        on the backend. Only what they need is computed.

    Raises
    ------
    ValueError
        A name that is not a metric.
    """
    selected = tuple(dict.fromkeys(metrics))
    unknown = [name for name in selected if name not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    if not selected:
        return {}
    by_group = {}
    for name in selected:
        by_group.setdefault(BY_NAME[name].group, []).append(name)
    window_names = by_group.get("window", [])
    view_names = by_group.get("investment", [])
    financing_names = by_group.get("financing", [])
    economic_names = by_group.get("economic", [])

    xp = backend.xp
    fleet, finance = chunk_parameters(backend, plan, dim_values)
    s = plan.scenario
    ppy = s.periods_per_year
    n_window = extents["window_periods"]
    # lifetime flows (every cohort's life and, with debt, the loan's term) only for lifetime figures
    lifetime_range = extents["lifetime_range"] if view_names or financing_names else (0, n_window)
    flows = window_and_lifetime(
        xp, fleet, finance["discount_rate"], finance["tax_rate"], s.start_year, n_window, lifetime_range, ppy,
        extents["n_schedule_years"], outputs=window_names + view_names,
        all_flows=bool(financing_names or economic_names))
    values = dict(flows.pnl)
    values.update(flows.view)
    if financing_names:
        values.update(financing_view(
            xp, fleet, flows.cohort_flows, flows.first_period, flows.window_columns, finance["debt_fraction"], finance["interest_rate"],
            finance["debt_term_years"], finance["tax_rate"], ppy, s.start_year, outputs=financing_names))
    if economic_names:
        values.update(economic_depreciation(
            xp, fleet, flows.cohort_flows, economic_lives_years(fleet), flows.window_columns, ppy,
            economic_schedule_years(plan, extents), finance["tax_rate"], outputs=economic_names))
    return {name: xp.broadcast_to(xp.reshape(values[name], (-1,)), (m,)) for name in selected}
