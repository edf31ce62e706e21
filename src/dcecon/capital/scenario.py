"""Loading and evaluating ``kind = "debt"`` and ``kind = "capex-wave"`` scenario files (docs/capital.md).

Loading is the one of every scenario kind (:mod:`dcecon.scenario`): a path or
bundled name, ``extends``, ``[sources]``, ``{ value, source }`` numbers and
provenance by :func:`dcecon.scenario.loader.load_raw`; ``--set PATH=VALUE``
overrides checked against the schema's dotted paths
(:func:`dcecon.scenario.paths.apply_overrides`: ``issuers.oracle.rate=0.06``,
``shocks.severe.utilization_factor=0.5``, ``companies.*.server_share=0.5``,
``companies.meta.capex_usd_by_year.2029=2e11``); the first validation problem
becomes one :class:`ScenarioError` naming the file and the field
(:func:`dcecon.scenario.validation.validate_model`).

Evaluation returns nested dicts of plain floats, the ``--json`` figures.
"""

from __future__ import annotations

import math

from dcecon.capital import model
from dcecon.capital.schema import CAPEX_WAVE_KIND, DEBT_KIND, CapexWaveScenario, DebtScenario
from dcecon.scenario.loader import load_document


def load_debt(path, overrides=()) -> DebtScenario:
    """Load, override and validate a ``kind = "debt"`` scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML file, or the name of a bundled one (``"ai-debt-2025"``).
    overrides : iterable of str
        ``PATH=VALUE`` strings as given to ``--set`` (``issuers.oracle.rate=0.06``).

    Raises
    ------
    ScenarioError
        A missing or malformed file, a file of another kind, an unknown key or
        source id, a value out of bounds, ``--set`` on a path the schema lacks.
    """
    return load_document(path, overrides, DebtScenario, "load_debt", kind=DEBT_KIND)


def load_capex_wave(path, overrides=()) -> CapexWaveScenario:
    """Load, override and validate a ``kind = "capex-wave"`` scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML file, or the name of a bundled one (``"hyperscaler-capex-wave"``).
    overrides : iterable of str
        ``PATH=VALUE`` strings as given to ``--set`` (``companies.*.server_share=0.5``).

    Raises
    ------
    ScenarioError
        As :func:`load_debt`.
    """
    return load_document(path, overrides, CapexWaveScenario, "load_capex_wave", kind=CAPEX_WAVE_KIND)


# --- debt --------------------------------------------------------------------------------------------------------

def _issuer_figures(issuer, shocks) -> dict:
    interest = (model.interest_usd_per_year(issuer.debt_usd, issuer.rate)
                + model.interest_usd_per_year(issuer.off_balance_sheet_debt_usd, issuer.off_balance_sheet_rate))
    oi, ebitda = issuer.operating_income_usd_per_year, issuer.ebitda_usd_per_year
    figures: dict = {
        "name": issuer.name,
        "debt_usd": issuer.debt_usd + issuer.off_balance_sheet_debt_usd,
        "interest_usd_per_year": interest,
        "operating_income_usd_per_year": oi,
        "interest_share_of_operating_income": model.share_of(interest, oi),
        "coverage_operating": model.coverage(oi, interest),
    }
    if ebitda is not None:
        figures["coverage_ebitda"] = model.coverage(ebitda, interest)
    if issuer.new_debt_usd is not None:
        figures["new_debt_usd"] = issuer.new_debt_usd
        figures["capex_usd"] = issuer.capex_usd
        figures["debt_share_of_capex"] = model.share_of(issuer.new_debt_usd, issuer.capex_usd)
    if issuer.repayment_years is not None:
        service = model.level_debt_service_usd_per_year(issuer.debt_usd, issuer.rate, issuer.repayment_years)
        service += model.interest_usd_per_year(issuer.off_balance_sheet_debt_usd, issuer.off_balance_sheet_rate)
        figures["debt_service_usd_per_year"] = service
        figures["coverage_debt_service"] = model.coverage(ebitda if ebitda is not None else oi, service)
    if issuer.published_interest_usd_per_year is not None:
        figures["published_interest_usd_per_year"] = issuer.published_interest_usd_per_year
        figures["published_coverage_operating"] = model.coverage(oi, issuer.published_interest_usd_per_year)
        figures["interest_to_published"] = interest / issuer.published_interest_usd_per_year
    by_shock = {}
    for shock in shocks:
        args = (issuer.exposed_revenue_usd_per_year, issuer.variable_cost_share, shock.price_change,
                shock.utilization_factor)
        shocked_oi = model.shocked_income_usd(oi, *args)
        revenue = model.shocked_revenue_usd(issuer.exposed_revenue_usd_per_year, shock.price_change,
                                            shock.utilization_factor)
        row = {"revenue_change_usd_per_year": revenue - issuer.exposed_revenue_usd_per_year,
               "operating_income_usd_per_year": shocked_oi,
               "coverage_operating": model.coverage(shocked_oi, interest)}
        if ebitda is not None:
            row["coverage_ebitda"] = model.coverage(model.shocked_income_usd(ebitda, *args), interest)
        by_shock[shock.name] = row
    figures["shocks"] = by_shock
    return figures


def evaluate_debt(scenario: DebtScenario) -> dict:
    """The figures of a debt scenario.

    Returns
    -------
    dict
        ``issuers``: by id, :func:`_issuer_figures` (interest, debt-financed
        share of capex, covers, and by shock the shocked operating income and
        covers); ``totals``: debt, interest and new debt over the issuers;
        ``market`` (with ``[market]``): the prior year's issuance implied by
        the growth and the bonds as a share of the hyperscalers' capex.
    """
    issuers = {key: _issuer_figures(issuer, scenario.shocks) for key, issuer in scenario.issuers.items()}
    totals = {
        "debt_usd": sum(f["debt_usd"] for f in issuers.values()),
        "interest_usd_per_year": sum(f["interest_usd_per_year"] for f in issuers.values()),
        "new_debt_usd": sum(f.get("new_debt_usd", 0.0) for f in issuers.values()),
    }
    figures: dict = {"issuers": issuers, "totals": totals}
    if scenario.market is not None:
        m = scenario.market
        figures["market"] = {
            "year": m.year,
            "us_tech_bonds_usd": m.us_tech_bonds_usd,
            "prior_year_us_tech_bonds_usd": model.prior_year_usd(m.us_tech_bonds_usd, m.growth_vs_prior_year),
            "hyperscaler_capex_usd": m.hyperscaler_capex_usd,
            "bonds_share_of_hyperscaler_capex": model.share_of(m.us_tech_bonds_usd, m.hyperscaler_capex_usd),
        }
    return figures


# --- capex wave --------------------------------------------------------------------------------------------------

def _life_key(life: float) -> str:
    return f"{life:g}"


def capex_path(company, capex_last_year: int) -> dict[int, float]:
    """A company's capex by year (:func:`dcecon.capital.model.capex_path_usd` on its fields) [USD/year]."""
    plan = company.plan
    return model.capex_path_usd(company.capex_usd_by_year, capex_last_year,
                                plan.total_usd if plan else None, plan.first_year if plan else None,
                                plan.last_year if plan else None, company.run_rate_usd_per_quarter)


def _by_year(years, values) -> dict[str, float]:
    return {str(year): float(value) for year, value in zip(years, values)}


def evaluate_capex_wave(scenario: CapexWaveScenario) -> dict:
    """The figures of a capex-wave scenario.

    Returns
    -------
    dict
        ``years`` and ``lives_years``; ``companies``: by id, the capex path,
        and by life (key ``"3"``, ``"5"``...) the depreciation that the wave's
        vintages charge each year and its share of the operating income of
        the last year before the wave; ``totals``: the same summed over the
        companies with operating income (``..._with_operating_income``) and
        over all; ``checks``: the reference quarter, the trailing capex and the
        trailing depreciation at the companies' book lives (all vintages in
        the file) beside the published figures.
    """
    s = scenario
    years = list(range(s.first_year, s.last_year + 1))
    companies: dict = {}
    zero = [0.0] * len(years)
    totals_all = {_life_key(life): list(zero) for life in s.lives_years}
    totals_oi = {_life_key(life): list(zero) for life in s.lives_years}
    capex_total: dict[int, float] = {}
    operating_income = 0.0
    for key, company in s.companies.items():
        path = capex_path(company, s.capex_last_year)
        wave = model.vintages_from(path, s.wave_first_year)
        for year, value in path.items():
            capex_total[year] = capex_total.get(year, 0.0) + value
        figures: dict = {"name": company.name, "capex_usd_by_year": {str(y): v for y, v in path.items()},
                         "wave_capex_usd": sum(wave.values()), "depreciation_usd_by_life": {}}
        if company.operating_income_usd is not None:
            figures["operating_income_usd"] = company.operating_income_usd
            figures["operating_income_year"] = company.operating_income_year
            figures["share_of_operating_income_by_life"] = {}
            operating_income += company.operating_income_usd
        for life in s.lives_years:
            charge = model.depreciation_usd_by_year(wave, years, company.server_share, life, s.building_life_years,
                                                    s.convention, company.fiscal_year_start_offset_years)
            life_key = _life_key(life)
            figures["depreciation_usd_by_life"][life_key] = _by_year(years, charge)
            totals_all[life_key] = [a + float(b) for a, b in zip(totals_all[life_key], charge)]
            if company.operating_income_usd is not None:
                figures["share_of_operating_income_by_life"][life_key] = _by_year(
                    years, charge / company.operating_income_usd)
                totals_oi[life_key] = [a + float(b) for a, b in zip(totals_oi[life_key], charge)]
        companies[key] = figures
    totals = {
        "capex_usd_by_year": {str(y): capex_total[y] for y in sorted(capex_total)},
        "depreciation_usd_by_life": {k: _by_year(years, v) for k, v in totals_all.items()},
        "depreciation_with_operating_income_usd_by_life": {k: _by_year(years, v) for k, v in totals_oi.items()},
        "operating_income_usd": operating_income,
        "share_of_operating_income_by_life": {
            k: _by_year(years, [model.share_of(x, operating_income) for x in v]) for k, v in totals_oi.items()},
    }
    return {"years": years, "lives_years": list(s.lives_years), "companies": companies, "totals": totals,
            "checks": _checks(s)}


def _check(modelled: float, published: float | None) -> dict:
    out = {"modelled_usd": modelled}
    if published is not None:
        out["published_usd"] = published
        out["modelled_to_published"] = modelled / published
    return out


def _checks(s: CapexWaveScenario) -> dict:
    counted = {k: c for k, c in s.companies.items() if c.in_published_totals}
    checks: dict = {}
    quarters = [c.quarter_capex_usd for c in counted.values() if c.quarter_capex_usd is not None]
    if quarters:
        checks["quarter_capex"] = _check(math.fsum(quarters), s.published_quarter_total_usd)
    if s.trailing_year is not None:
        year = s.trailing_year
        capex = math.fsum(c.capex_usd_by_year.get(year, 0.0) for c in counted.values())
        depreciation = math.fsum(
            float(model.depreciation_usd_by_year(c.capex_usd_by_year, [year], c.server_share, c.book_life_years,
                                                 s.building_life_years, s.convention,
                                                 c.fiscal_year_start_offset_years)[0])
            for c in counted.values())
        checks["trailing_capex"] = {"year": year, **_check(capex, s.published_trailing_capex_usd)}
        checks["trailing_depreciation"] = {
            "year": year,
            "first_vintage": min((y for c in counted.values() for y in c.capex_usd_by_year), default=year),
            **_check(depreciation, s.published_trailing_depreciation_usd)}
    return checks
