"""Loading and evaluating ``adoption-roi`` and ``commitments`` scenario files (docs/model.md §16).

Loading is the one of every scenario kind (:mod:`dcecon.scenario`): a path
or bundled name, ``extends``, ``[sources]``, ``{ value, source }`` numbers
and provenance by :func:`dcecon.scenario.loader.load_raw`; the file's
``kind`` is checked (:func:`dcecon.scenario.loader.check_kind`); ``--set
PATH=VALUE`` overrides are checked against the schema's dotted paths
(:func:`dcecon.scenario.paths.apply_overrides`); the first validation
problem becomes one :class:`ScenarioError` naming the file and the field
(:func:`dcecon.scenario.validation.validate_model`).

The evaluations return plain numbers, lists and dicts (JSON as they are);
:mod:`dcecon.report.demand` prints them.
"""

from __future__ import annotations

from dcecon.demand import model
from dcecon.demand.schema import (
    ADOPTION_KIND,
    COMMITMENTS_KIND,
    AdoptionRoiScenario,
    CommitmentsScenario,
)
from dcecon.macro.model import capital_recovery_factor_of
from dcecon.scenario.loader import load_document


def load_adoption_roi(path, overrides=()) -> AdoptionRoiScenario:
    """Load, override and validate a ``kind = "adoption-roi"`` scenario file (or bundled name).

    Raises
    ------
    ScenarioError
        ``path`` not a path or name, a missing or malformed file, a file of another kind, unknown key or source
        id, value out of bounds, ``--set`` on a path the schema lacks.
    """
    return load_document(path, overrides, AdoptionRoiScenario, "load_adoption_roi", kind=ADOPTION_KIND)


def load_commitments(path, overrides=()) -> CommitmentsScenario:
    """Load, override and validate a ``kind = "commitments"`` scenario file (or bundled name).

    Raises
    ------
    ScenarioError
        As :func:`load_adoption_roi`; also a revenue path whose first anchor is after ``report_first_year``.
    """
    return load_document(path, overrides, CommitmentsScenario, "load_commitments", kind=COMMITMENTS_KIND)


def evaluate_adoption_roi(scenario: AdoptionRoiScenario) -> dict:
    """Every figure of the capex -> end-customer revenue chain (docs/model.md §16).

    Returns
    -------
    dict
        ``capex_usd_per_year``, ``crf_it``, ``crf_facility``, ``vintage_required_revenue_usd_per_year``,
        ``infrastructure_revenue_required_usd_per_year`` (with ``vintages_in_service`` vintages),
        ``end_customer_ai_spend_required_usd_per_year``, ``software_and_services_spend_usd_per_year``,
        ``gross_profit_required_usd_per_year``, ``application_revenue_required_usd_per_year``,
        ``application_revenue_to_capex``; ``stages``: per published success rate, ``label``, ``rate``,
        ``return_multiple_required`` and ``revenue_per_usd_of_cost``; with an observed spending,
        ``observed_spend_usd_per_year`` and ``observed_to_required_spend``.
    """
    infra, adoption = scenario.infrastructure, scenario.adoption
    capex = model.annualised_usd_per_year(infra.capex_usd, infra.capex_period_years)
    vintage = model.vintage_required_revenue_usd_per_year(capex, infra.it_share_of_capex, infra.it_life_years,
                                                          infra.facility_life_years, infra.wacc,
                                                          infra.opex_fraction_of_capex_per_year,
                                                          infra.other_cost_share)
    infrastructure = model.run_rate_required_revenue_usd_per_year(vintage, infra.vintages_in_service)
    spend = model.end_customer_spend_usd_per_year(infrastructure, adoption.infrastructure_share_of_ai_budgets)
    margin, hurdle = adoption.end_customer_gross_margin, adoption.hurdle_return
    revenue = model.application_revenue_required_usd_per_year(spend, margin, hurdle)
    figures = {
        "capex_usd_per_year": capex,
        "crf_it": capital_recovery_factor_of(infra.wacc, infra.it_life_years),
        "crf_facility": capital_recovery_factor_of(infra.wacc, infra.facility_life_years),
        "vintage_required_revenue_usd_per_year": vintage,
        "infrastructure_revenue_required_usd_per_year": infrastructure,
        "end_customer_ai_spend_required_usd_per_year": spend,
        "software_and_services_spend_usd_per_year": spend - infrastructure,
        "gross_profit_required_usd_per_year": spend * (1.0 + hurdle),
        "application_revenue_required_usd_per_year": revenue,
        "application_revenue_to_capex": revenue / capex,
        "stages": {key: {"label": stage.label, "rate": stage.rate,
                         "return_multiple_required": model.return_multiple_required(stage.rate, hurdle),
                         "revenue_per_usd_of_cost": model.revenue_per_usd_of_cost(stage.rate, margin, hurdle)}
                   for key, stage in adoption.success_rates.items()},
    }
    if adoption.observed_spend_usd_per_year is not None:
        figures["observed_spend_usd_per_year"] = adoption.observed_spend_usd_per_year
        figures["observed_to_required_spend"] = adoption.observed_spend_usd_per_year / spend
    return figures


def _coverage_figures(years, revenue, payments) -> dict:
    coverage = [model.coverage_ratio(r, p) for r, p in zip(revenue, payments)]
    gaps = [model.funding_gap_usd(r, p) for r, p in zip(revenue, payments)]
    return {"coverage": coverage, "funding_gap_usd": gaps, "cumulative_funding_gap_usd": sum(gaps),
            "coverage_stays_at_one_from": model.year_coverage_stays_at_one(years, coverage)}


def evaluate_commitments(scenario: CommitmentsScenario) -> dict:
    """Payments by year, revenue paths and the coverage ratio per year (docs/model.md §16).

    Returns
    -------
    dict
        ``company``, ``years``; ``commitments`` (per contract: its inputs, ``last_year``,
        ``payment_usd_per_year`` and ``payments_usd`` by year); ``payments_usd`` (all contracts by year),
        ``named_total_usd``, ``named_gw``, ``peak_payments_usd`` and ``peak_year``; ``gw_deals`` and
        ``gw_deals_total_gw``; with a headline, ``headline`` (its inputs, ``payments_usd`` by year,
        ``usd_per_gw``, ``named_share_of_headline``); ``paths``: per revenue path its ``label``, ``revenue_usd``
        by year and, against the named contracts, ``coverage`` by year (None: nothing owed),
        ``funding_gap_usd`` by year, ``cumulative_funding_gap_usd`` and ``coverage_stays_at_one_from`` (None:
        not within the report years), and the same against the headline under ``vs_headline``.
    """
    s = scenario
    years = list(range(s.report_first_year, s.report_last_year + 1))
    commitments = {}
    for key, c in s.commitments.items():
        payments = model.level_payments_usd(c.total_usd, c.first_year, c.years, years)
        commitments[key] = {**c.model_dump(), "last_year": c.first_year + c.years - 1,
                            "payment_usd_per_year": c.total_usd / c.years, "payments_usd": payments}
    payments = [sum(c["payments_usd"][i] for c in commitments.values()) for i in range(len(years))]
    peak = max(range(len(years)), key=lambda i: payments[i])
    figures = {
        "company": s.company,
        "years": years,
        "commitments": commitments,
        "payments_usd": payments,
        "named_total_usd": sum(c.total_usd for c in s.commitments.values()),
        "named_gw": sum(c.gw for c in s.commitments.values() if c.gw is not None),
        "peak_payments_usd": payments[peak],
        "peak_year": years[peak],
        "gw_deals": {key: deal.model_dump() for key, deal in s.gw_deals.items()},
        "gw_deals_total_gw": sum(deal.gw for deal in s.gw_deals.values()),
    }
    headline_payments = None
    if s.headline is not None:
        h = s.headline
        headline_payments = model.level_payments_usd(h.total_usd, h.first_year, h.years, years)
        figures["headline"] = {**h.model_dump(), "last_year": h.first_year + h.years - 1,
                               "payment_usd_per_year": h.total_usd / h.years, "payments_usd": headline_payments,
                               "usd_per_gw": h.total_usd / h.gw if h.gw else None,
                               "named_share_of_headline": figures["named_total_usd"] / h.total_usd}
    figures["paths"] = {}
    for key, path in s.revenue_paths.items():
        revenue = model.revenue_path_usd(path.revenue_usd_by_year, path.growth_after_last_year, years)
        entry = {"label": path.label, "revenue_usd": revenue, **_coverage_figures(years, revenue, payments)}
        if headline_payments is not None:
            entry["vs_headline"] = _coverage_figures(years, revenue, headline_payments)
        figures["paths"][key] = entry
    return figures
