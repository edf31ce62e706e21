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


def book_depreciation(company: Company, base, years, convention, change_fraction=None):
    """Book depreciation of a company's servers and network base by year [USD], life change included.

    ``change_fraction`` [-] replaces ``company.change_fraction`` (needed where that is ``"fit"``: the
    fitted share of the base whose life changed, see :func:`fit_life_changes`).
    """
    _, _, starts, _ = _vintages(company)
    if company.change_year is None:
        return ul.depreciation_by_year(base, company.book_life_years, years, convention, starts)
    fraction = company.change_fraction if change_fraction is None else change_fraction
    old = company.previous_book_life_years
    changed = ul.life_change_depreciation_by_year(base, old, company.book_life_years, company.change_year, years,
                                                  convention, starts)
    if fraction == 1.0:
        return changed
    unchanged = ul.depreciation_by_year(base, old, years, convention, starts)
    return fraction * changed + (1.0 - fraction) * unchanged


def _economic(company: Company, base, life, years, convention):
    _, _, starts, _ = _vintages(company)
    life = np.asarray(life, dtype=np.float64)
    base = np.broadcast_to(base, life.shape + np.shape(base)[-1:])
    return ul.depreciation_by_year(base, life, years, convention, starts)


def _fleet_window_gap(scenario: UsefulLivesScenario, years, fractions, life=None, share_scale=1.0,
                      projection_scale=1.0):
    """Window gap of all companies; ``life`` (array) replaces every economic life when given."""
    total = 0.0
    for key, company in scenario.companies.items():
        _, capex, _, projected = _vintages(company)
        base = capex * np.where(projected, projection_scale, 1.0) * company.server_share * share_scale
        econ_life = company.economic_life_years if life is None else life
        gap = _economic(company, base, econ_life, years, scenario.convention) - \
            book_depreciation(company, base, years, scenario.convention, fractions.get(key))
        total = total + ul.window_total(gap, years, scenario.window_first_year, scenario.window_last_year)
    return total


def _effect_vintages(company: Company):
    """Capex by vintage [USD], vintage starts [decimal year] and change date [decimal year] of the published effect."""
    table = company.effect_vintages
    if table is None:
        _, capex, starts, _ = _vintages(company)
        return capex, starts, float(company.change_year)
    labels = sorted(table.capex_usd_by_year)
    capex = np.array([table.capex_usd_by_year[y] for y in labels], dtype=np.float64)
    offset = table.fiscal_year_start_offset_years
    return capex, np.array(labels, dtype=np.float64) + offset, company.change_year + offset


def life_change_effect(company: Company, convention, share_scale=1.0, change_fraction=1.0):
    """Modelled change of the change year's depreciation, on the basis the company publishes it [USD].

    Parameters
    ----------
    company : Company
        With a life change (``change_year``).
    convention : {"spread", "mid_year"}
        Placement within the year.
    share_scale : float
        Multiplier of the sourced ``server_share`` [-] (the fitted common parameter; 1: as sourced).
    change_fraction : float
        Share of the (scaled) base whose life changed [-].

    Returns
    -------
    float
        New minus old depreciation in the change year [USD]: :func:`useful_lives.first_year_effect` on the
        vintages in service before the change, plus, for ``published_effect_basis = "with_additions"``,
        the change year's own vintage charged its first year at the new rather than the old life.
    """
    capex, starts, change = _effect_vintages(company)
    base = capex * company.server_share * share_scale * change_fraction
    old, new = company.previous_book_life_years, company.book_life_years
    effect = float(ul.first_year_effect(base, starts, old, new, change, convention))
    if company.published_effect_basis == "with_additions":
        added = starts == change
        first_year = ul.year_fraction(0.0, new, convention) - ul.year_fraction(0.0, old, convention)
        effect += float(np.sum(base[added]) * first_year)
    return effect


def fit_life_changes(scenario: UsefulLivesScenario) -> dict:
    """Fit the common share scale (and the 'fit' change fractions) on ``scenario.fit_companies`` only.

    The life-change effect is linear in the scaled base, ``E_c(k, f) = k f E_c(1, 1)``. The common scale
    ``k`` minimises the squared log errors of the fit companies whose change fraction is known,
    ``ln k = mean(ln(P_c / E_c(1, f_c)))`` (exact for one such company); a company with ``change_fraction
    = "fit"`` then gets ``f_c = P_c / (k E_c(1, 1))``, which fixes only its own fraction.

    Returns
    -------
    dict
        ``companies`` (the fit set, in order), ``share_scale`` [-] (1 with an empty fit set; NaN where a
        unit effect and its published figure differ in sign), ``change_fraction`` (per fitted company: the
        share of the scaled base [-]) and ``change_fraction_of_sourced_base`` (``k f``: the share of the
        sourced base, used by the depreciation tables [-]).
    """
    logs = []
    for key in scenario.fit_companies:
        company = scenario.companies[key]
        if company.change_fraction != "fit":
            unit = life_change_effect(company, scenario.convention, 1.0, company.change_fraction)
            ratio = company.published_first_year_effect_usd / unit if unit else float("nan")
            logs.append(np.log(ratio) if ratio > 0 else float("nan"))
    share_scale = float(np.exp(np.mean(logs))) if logs else 1.0
    fractions = {}
    for key in scenario.fit_companies:
        company = scenario.companies[key]
        if company.change_fraction == "fit":
            unit = life_change_effect(company, scenario.convention, share_scale, 1.0)
            fractions[key] = company.published_first_year_effect_usd / unit if unit else float("nan")
    return {
        "companies": list(scenario.fit_companies),
        "share_scale": share_scale,
        "change_fraction": fractions,
        "change_fraction_of_sourced_base": {key: share_scale * f for key, f in fractions.items()},
    }


def _life_change_entry(key, company: Company, scenario: UsefulLivesScenario, fit: dict) -> dict:
    fitted = company.change_fraction == "fit"
    fraction = fit["change_fraction"][key] if fitted else company.change_fraction
    modelled = life_change_effect(company, scenario.convention, fit["share_scale"], fraction)
    unscaled = life_change_effect(company, scenario.convention, 1.0,
                                  fit["change_fraction_of_sourced_base"][key] if fitted else fraction)
    published = company.published_first_year_effect_usd
    if published is None:
        role = "no published effect"
    elif key in scenario.fit_companies:
        role = "fit"
    else:
        role = "out of sample"
    return {
        "from_years": company.previous_book_life_years,
        "to_years": company.book_life_years,
        "year": company.change_year,
        "effect_from": _effect_vintages(company)[2],
        "fraction": fit["change_fraction_of_sourced_base"][key] if fitted else company.change_fraction,
        "fraction_fitted": fitted,
        "basis": company.published_effect_basis,
        "role": role,
        "modelled_usd": modelled,
        "modelled_unfitted_usd": unscaled,
        "published_usd": published,
        "model_over_published": None if not published else modelled / published,
        "unfitted_over_published": None if not published else unscaled / published,
        "server_share_reproducing": None if not published or not unscaled or fitted
        else company.server_share * published / unscaled,
    }


def evaluate(scenario: UsefulLivesScenario) -> dict:
    """All figures of the report as plain Python numbers and lists (USD unless named otherwise).

    Returns
    -------
    dict
        ``years``; ``companies`` (per id: capex and base by vintage, book and
        economic depreciation, gap and after-tax overstatement by year, window
        totals, the modelled and published first-year effect of the life
        change, its role: fit, out of sample or no published effect);
        ``life_change_fit`` (:func:`fit_life_changes` and, per company not in
        the fit set, the prediction, the published effect and their ratio);
        ``fleet`` (gap by year, window totals, the published figure
        and what reproduces it: a uniform economic life, a multiplier of every
        server share, a multiplier of the projected capex).
    """
    s = scenario
    years = np.arange(min(s.report_first_year, s.window_first_year),
                      max(s.report_last_year, s.window_last_year) + 1, dtype=np.float64)
    fit = fit_life_changes(s)
    fractions = fit["change_fraction_of_sourced_base"]
    companies = {}
    fleet_gap = np.zeros_like(years)
    for key, company in s.companies.items():
        labels, capex, _, projected = _vintages(company)
        base = capex * company.server_share
        book = book_depreciation(company, base, years, s.convention, fractions.get(key))
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
            entry["life_change"] = _life_change_entry(key, company, s, fit)
        companies[key] = entry

    window_gap = float(ul.window_total(fleet_gap, years, s.window_first_year, s.window_last_year))
    target = s.published_window_gap_usd
    longest = max(c.book_life_years for c in s.companies.values())
    life = ul.bisect(lambda life: _fleet_window_gap(s, years, fractions, life=life), target, 1.0, longest)
    share_scale = ul.affine_solve(0.0, window_gap, target)
    projection_scale = ul.affine_solve(_fleet_window_gap(s, years, fractions, projection_scale=0.0), window_gap,
                                       target)
    out_of_sample = [
        {"company": key, "name": c["name"], "prediction_usd": c["life_change"]["modelled_usd"],
         "published_usd": c["life_change"]["published_usd"],
         "prediction_over_published": c["life_change"]["model_over_published"],
         "unfitted_usd": c["life_change"]["modelled_unfitted_usd"],
         "unfitted_over_published": c["life_change"]["unfitted_over_published"]}
        for key, c in companies.items() if c.get("life_change", {}).get("role") == "out of sample"]
    return {
        "name": s.name,
        "description": s.description,
        "convention": s.convention,
        "years": [int(y) for y in years],
        "window": [s.window_first_year, s.window_last_year],
        "companies": companies,
        "life_change_fit": {**fit, "out_of_sample": out_of_sample},
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
