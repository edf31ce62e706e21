"""The report of a useful-lives scenario: book vs economic depreciation by company, the fleet gap, sources."""

from __future__ import annotations

from rich.table import Table

from dcecon.io import dumps_json
from dcecon.report import format as fmt
from dcecon.report.console import make_console, sources_table
from dcecon.scenario.sources import sources_used
from dcecon.valuation.scenario import UsefulLivesScenario


def to_json(scenario: UsefulLivesScenario, result: dict) -> str:
    """One JSON object: the figures of :func:`dcecon.valuation.evaluate.evaluate` and the sources."""
    return dumps_json({**result, "sources": sources_used(scenario)})


def render(scenario: UsefulLivesScenario, result: dict, console=None) -> None:
    """Print the report of an evaluated useful-lives scenario."""
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
        lc = c.get("life_change")
        if lc:
            part = "" if lc["fraction"] == 1.0 else \
                f" for {fmt.percent(lc['fraction'])}{' (fitted)' if lc['fraction_fitted'] else ''}"
            change = f", {lc['from_years']:g} y before {lc['year']}{part}"
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

    fit = result["life_change_fit"]
    changes = Table(title="Life changes (lives as published): effect on the change year's depreciation",
                    header_style="bold")
    for column in ("company", "change", "basis", "role", "model", "published", "model / published",
                   "model, shares as sourced", "server share reproducing it"):
        changes.add_column(column, justify="left" if column in ("company", "change", "basis", "role") else "right")
    for c in result["companies"].values():
        lc = c.get("life_change")
        if not lc:
            continue
        published = lc["published_usd"]
        part = "" if lc["fraction"] == 1.0 else \
            f" for {fmt.percent(lc['fraction'])}{' (fitted)' if lc['fraction_fitted'] else ''}"
        fiscal = "" if lc["effect_from"] == lc["year"] else f" (effect: fiscal, from {lc['effect_from']:g})"
        changes.add_row(c["name"], f"{lc['from_years']:g} → {lc['to_years']:g} y from {lc['year']}{part}{fiscal}",
                        "in service + additions" if lc["basis"] == "with_additions" else "in service",
                        lc["role"], fmt.money(lc["modelled_usd"]),
                        fmt.money(published) if published is not None else "-",
                        f"{lc['model_over_published']:.3f}" if lc["model_over_published"] is not None else "-",
                        fmt.money(lc["modelled_unfitted_usd"]),
                        fmt.percent(lc["server_share_reproducing"])
                        if lc["server_share_reproducing"] is not None else "-")
    console.print(changes)
    names = [result["companies"][k]["name"] for k in fit["companies"]]
    if names:
        fractions = "; ".join(f"{result['companies'][k]['name']}'s changed subset "
                              f"{fmt.percent(f)} of its sourced base (fitted)"
                              for k, f in fit["change_fraction_of_sourced_base"].items())
        console.print(f"Fitted once on {' and '.join(names)} (targets, reproduced by construction): every "
                      f"server share x {fit['share_scale']:.3f} in the life-change effects"
                      + (f"; {fractions}" if fractions else "")
                      + ". The depreciation tables and the gap use the shares as sourced.")
    if fit["out_of_sample"]:
        oos = Table(title=f"Out of sample: fitted on {' and '.join(names) if names else 'nothing'}, not refitted",
                    header_style="bold")
        for column in ("company", "prediction", "disclosed", "prediction / disclosed", "shares as sourced",
                       "sourced / disclosed"):
            oos.add_column(column, justify="left" if column == "company" else "right")
        for row in fit["out_of_sample"]:
            oos.add_row(row["name"], fmt.money(row["prediction_usd"]), fmt.money(row["published_usd"]),
                        f"{row['prediction_over_published']:.3f}", fmt.money(row["unfitted_usd"]),
                        f"{row['unfitted_over_published']:.3f}")
        console.print(oos)

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
        held = "" if not result["life_change_fit"]["change_fraction"] else " (fitted subsets held)"
        lines.append(f"  - the economic lives above with every server share x {rep['server_share_scale']:.3f}{held}")
    if rep["projected_capex_scale"] is not None:
        lines.append(f"  - the economic lives above with the projected capex (*) x {rep['projected_capex_scale']:.3f}")
    console.print("\n".join(lines))

    used = sources_used(s)
    if used:
        console.print(sources_table(used))
