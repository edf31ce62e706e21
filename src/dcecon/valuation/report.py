"""Evaluate and print a useful-lives scenario: book vs economic depreciation of hyperscaler fleets.

``run_file(path, overrides, as_json)`` is the entry point for ``dcecon run``
on a ``kind = "useful-lives"`` file: it loads the file (raising
:class:`dcecon.scenario.errors.ScenarioError` on bad input), evaluates it with
:func:`evaluate` and prints a rich report, or one JSON object with ``--json``.
"""

from __future__ import annotations

import json

import numpy as np

from dcecon.valuation import useful_lives as ul
from dcecon.valuation.scenario import Company, UsefulLivesScenario, load_useful_lives


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


def _sources(scenario: UsefulLivesScenario) -> list[dict]:
    from dcecon.evaluate import sources_used

    return sources_used(scenario)


def render(scenario: UsefulLivesScenario, result: dict, console=None) -> None:
    """Print the report of an evaluated useful-lives scenario."""
    from rich.table import Table

    from dcecon.cli import format as fmt
    from dcecon.cli.report import make_console

    console = console or make_console()
    s = scenario
    years = result["years"]
    shown = [i for i, y in enumerate(years) if s.report_first_year <= y <= s.report_last_year]
    first, last = result["window"]
    console.print(f"[bold]{s.name}[/bold] — {s.description}")
    console.print(f"servers and network equipment only (buildings have the same book and economic life); "
                  f"capex placed in service {'evenly across' if s.convention == 'spread' else 'in the middle of'}"
                  f" its year; gap = economic − book depreciation; * capex is a projection")

    for key, c in result["companies"].items():
        company = s.companies[key]
        change = ""
        if company.change_year is not None:
            part = "" if company.change_fraction == 1.0 else f" for {fmt.percent(company.change_fraction)}"
            change = f", {company.previous_book_life_years:g} y before {company.change_year}{part}"
        table = Table(title=f"{c['name']} — share {fmt.percent(company.server_share)}, book "
                            f"{company.book_life_years:g} y{change}, economic {company.economic_life_years:g} y, "
                            f"tax {fmt.percent(company.tax_rate)}", header_style="bold")
        table.add_column("")
        for i in shown:
            table.add_column(str(years[i]), justify="right")
        table.add_column(f"{first}-{last}", justify="right")
        capex = dict(zip(c["vintages"], zip(c["capex_usd"], c["projected"])))
        fy = "FY " if company.fiscal_year_start_offset_years else ""
        table.add_row(f"{fy}capex", *[fmt.money(capex[years[i]][0]) + ("*" if capex[years[i]][1] else "")
                                      if years[i] in capex else "" for i in shown], "")
        for label, field, total in (("Book depreciation", "book_depreciation_usd", None),
                                    ("Economic depreciation", "economic_depreciation_usd", None),
                                    ("Gap", "gap_usd", "window_gap_usd"),
                                    ("Overstated earnings after tax", "after_tax_overstatement_usd",
                                     "window_after_tax_usd")):
            table.add_row(label, *[fmt.money(c[field][i]) for i in shown],
                          fmt.money(c[total]) if total else "")
        console.print(table)

    changes = Table(title="Life changes: effect on the change year's depreciation of the assets already in service",
                    header_style="bold")
    for column in ("company", "change", "modelled", "published", "model / published",
                   "server share reproducing it"):
        changes.add_column(column, justify="left" if column in ("company", "change") else "right")
    for c in result["companies"].values():
        lc = c.get("life_change")
        if not lc:
            continue
        published = lc["published_usd"]
        changes.add_row(c["name"], f"{lc['from_years']:g} → {lc['to_years']:g} y from {lc['year']}",
                        fmt.money(lc["modelled_usd"]), fmt.money(published) if published is not None else "-",
                        f"{lc['model_over_published']:.3f}" if lc["model_over_published"] is not None else "-",
                        fmt.percent(lc["server_share_reproducing"])
                        if lc["server_share_reproducing"] is not None else "-")
    console.print(changes)

    fleet = result["fleet"]
    burry = Table(title=f"Understated depreciation {first}-{last}, all companies", header_style="bold")
    burry.add_column("")
    burry.add_column("pre-tax", justify="right")
    for c in result["companies"].values():
        burry.add_row(c["name"], fmt.money(c["window_gap_usd"]))
    burry.add_row("[bold]Fleet (model)[/bold]", fmt.money(fleet["window_gap_usd"]))
    burry.add_row("Published estimate", fmt.money(fleet["published_window_gap_usd"]))
    burry.add_row("Model / published", f"{fleet['model_over_published']:.2f}")
    burry.add_row("Fleet, after tax", fmt.money(fleet["window_after_tax_usd"]))
    console.print(burry)
    rep = fleet["reproducing"]
    lines = [f"What gives the published {fmt.money(fleet['published_window_gap_usd'])} on this fleet:"]
    if rep["uniform_economic_life_years"] is not None:
        lines.append(f"  - one economic life of {rep['uniform_economic_life_years']:.2f} years for every company "
                     f"(capex path and shares as above)")
    if rep["server_share_scale"] is not None:
        lines.append(f"  - the economic lives above with every server share x {rep['server_share_scale']:.3f}")
    if rep["projected_capex_scale"] is not None:
        lines.append(f"  - the economic lives above with the projected capex (*) x {rep['projected_capex_scale']:.3f}")
    console.print("\n".join(lines))

    used = _sources(s)
    if used:
        from dcecon.cli.report import sources_table

        console.print(sources_table(used))


def run_file(path, overrides=(), as_json: bool = False) -> int:
    """Load, evaluate and print a useful-lives scenario; the exit status (0).

    Parameters
    ----------
    path : str or Path
        A ``kind = "useful-lives"`` TOML file.
    overrides : iterable of str
        ``PATH=VALUE`` strings from ``--set``.
    as_json : bool
        Print one JSON object (:func:`evaluate` plus the sources) instead of
        the tables.

    Raises
    ------
    ScenarioError
        Bad input; the CLI prints it as one line and exits with status 2.
    """
    scenario = load_useful_lives(path, overrides)
    result = evaluate(scenario)
    if as_json:
        result["sources"] = _sources(scenario)
        print(json.dumps(result, allow_nan=False))
    else:
        render(scenario, result)
    return 0
