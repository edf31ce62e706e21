"""Evaluate a useful-lives scenario: book vs economic depreciation of hyperscaler fleets (docs/model.md §15).

:func:`evaluate` returns every figure of the report as plain numbers and lists;
:mod:`dcecon.report.useful_lives` prints them.
"""

from __future__ import annotations

import numpy as np

from dcecon.valuation import useful_lives as ul
from dcecon.valuation.scenario import Company, UsefulLivesScenario


def _vintages(company: Company):
    labels = sorted(company.capex_usd_by_year)
    capex = np.array([company.capex_usd_by_year[y] for y in labels], dtype=np.float64)
    starts = np.array(labels, dtype=np.float64) + company.fiscal_year_start_offset_years
    projected = np.array([company.projected_from_year is not None and y >= company.projected_from_year
                          for y in labels])
    return labels, capex, starts, projected


def book_depreciation(company: Company, base, years, convention):
    """Book depreciation of a company's servers and network base by year [USD], life change included."""
    _, _, starts, _ = _vintages(company)
    if company.change_year is None:
        return ul.depreciation_by_year(base, company.book_life_years, years, convention, starts)
    old = company.previous_book_life_years
    changed = ul.life_change_depreciation_by_year(base, old, company.book_life_years, company.change_year, years,
                                                  convention, starts)
    if company.change_fraction == 1.0:
        return changed
    unchanged = ul.depreciation_by_year(base, old, years, convention, starts)
    return company.change_fraction * changed + (1.0 - company.change_fraction) * unchanged


def _economic(company: Company, base, life, years, convention):
    _, _, starts, _ = _vintages(company)
    life = np.asarray(life, dtype=np.float64)
    base = np.broadcast_to(base, life.shape + np.shape(base)[-1:])
    return ul.depreciation_by_year(base, life, years, convention, starts)


def _fleet_window_gap(scenario: UsefulLivesScenario, years, life=None, share_scale=1.0, projection_scale=1.0):
    """Window gap of all companies; ``life`` (array) replaces every economic life when given."""
    total = 0.0
    for company in scenario.companies.values():
        _, capex, _, projected = _vintages(company)
        base = capex * np.where(projected, projection_scale, 1.0) * company.server_share * share_scale
        econ_life = company.economic_life_years if life is None else life
        gap = _economic(company, base, econ_life, years, scenario.convention) - \
            book_depreciation(company, base, years, scenario.convention)
        total = total + ul.window_total(gap, years, scenario.window_first_year, scenario.window_last_year)
    return total


def _first_year(company: Company, base, convention):
    _, _, starts, _ = _vintages(company)
    effect = ul.first_year_effect(base, starts, company.previous_book_life_years, company.book_life_years,
                                  company.change_year, convention)
    return company.change_fraction * float(effect)


def evaluate(scenario: UsefulLivesScenario) -> dict:
    """All figures of the report as plain Python numbers and lists (USD unless named otherwise).

    Returns
    -------
    dict
        ``years``; ``companies`` (per id: capex and base by vintage, book and
        economic depreciation, gap and after-tax overstatement by year, window
        totals, the modelled and published first-year effect of the life
        change); ``fleet`` (gap by year, window totals, the published figure
        and what reproduces it: a uniform economic life, a multiplier of every
        server share, a multiplier of the projected capex).
    """
    s = scenario
    years = np.arange(min(s.report_first_year, s.window_first_year),
                      max(s.report_last_year, s.window_last_year) + 1, dtype=np.float64)
    companies = {}
    fleet_gap = np.zeros_like(years)
    for key, company in s.companies.items():
        labels, capex, _, projected = _vintages(company)
        base = capex * company.server_share
        book = book_depreciation(company, base, years, s.convention)
        econ = _economic(company, base, company.economic_life_years, years, s.convention)
        gap = ul.depreciation_gap(book, econ)
        after_tax = ul.after_tax_overstatement(gap, company.tax_rate)
        fleet_gap = fleet_gap + gap
        entry = {
            "name": company.name,
            "vintages": labels,
            "projected": projected.tolist(),
            "capex_usd": capex.tolist(),
            "server_base_usd": base.tolist(),
            "book_depreciation_usd": book.tolist(),
            "economic_depreciation_usd": econ.tolist(),
            "gap_usd": gap.tolist(),
            "after_tax_overstatement_usd": after_tax.tolist(),
            "window_gap_usd": float(ul.window_total(gap, years, s.window_first_year, s.window_last_year)),
            "window_after_tax_usd": float(ul.window_total(after_tax, years, s.window_first_year,
                                                          s.window_last_year)),
        }
        if company.change_year is not None:
            modelled = _first_year(company, base, s.convention)
            published = company.published_first_year_effect_usd
            entry["life_change"] = {
                "from_years": company.previous_book_life_years,
                "to_years": company.book_life_years,
                "year": company.change_year,
                "fraction": company.change_fraction,
                "modelled_usd": modelled,
                "published_usd": published,
                "model_over_published": None if not published else modelled / published,
                "server_share_reproducing": None if not published or not modelled
                else company.server_share * published / modelled,
            }
        companies[key] = entry

    window_gap = float(ul.window_total(fleet_gap, years, s.window_first_year, s.window_last_year))
    target = s.published_window_gap_usd
    longest = max(c.book_life_years for c in s.companies.values())
    life = ul.bisect(lambda life: _fleet_window_gap(s, years, life=life), target, 1.0, longest)
    share_scale = ul.affine_solve(0.0, window_gap, target)
    projection_scale = ul.affine_solve(_fleet_window_gap(s, years, projection_scale=0.0), window_gap, target)
    return {
        "name": s.name,
        "description": s.description,
        "convention": s.convention,
        "years": [int(y) for y in years],
        "window": [s.window_first_year, s.window_last_year],
        "companies": companies,
        "fleet": {
            "gap_usd": fleet_gap.tolist(),
            "window_gap_usd": window_gap,
            "window_after_tax_usd": sum(c["window_after_tax_usd"] for c in companies.values()),
            "published_window_gap_usd": target,
            "model_over_published": window_gap / target,
            "reproducing": {
                "uniform_economic_life_years": _number(life),
                "server_share_scale": _number(share_scale),
                "projected_capex_scale": _number(projection_scale),
            },
        },
    }


def _number(value):
    value = float(np.asarray(value).reshape(-1)[0])
    return None if not np.isfinite(value) else value
