"""Reports of adoption-roi and commitments scenarios: rich tables or one JSON object (docs/model.md §16)."""

from __future__ import annotations

from rich.table import Table

from dcecon.demand.schema import AdoptionRoiScenario, CommitmentsScenario
from dcecon.io import dumps_json
from dcecon.report import format as fmt
from dcecon.report.console import make_console, sources_table
from dcecon.scenario.sources import sources_used


def _table(title: str, columns, rows, left=1) -> Table:
    table = Table(title=title, header_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left or column in ("how", "what", "schedule") else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _multiple(value: float) -> str:
    return f"{value:,.2f}x"


# --- adoption-roi -------------------------------------------------------------------------------------------------

def _chain_rows(s: AdoptionRoiScenario, f: dict) -> list[tuple[str, str, str]]:
    i, a = s.infrastructure, s.adoption
    return [
        ("1. Capex a year", fmt.money(f["capex_usd_per_year"]),
         f"{fmt.money(i.capex_usd)} over {i.capex_period_years:g} years, annualised"),
        ("2. Owners' revenue needed by one year of capex", fmt.money(f["vintage_required_revenue_usd_per_year"]),
         f"IT {fmt.percent(i.it_share_of_capex)} x crf {f['crf_it']:.4f} ({fmt.percent(i.wacc)}, "
         f"{i.it_life_years:g} y) + rest x crf {f['crf_facility']:.4f} ({i.facility_life_years:g} y)"
         + (f" + opex {fmt.percent(i.opex_fraction_of_capex_per_year)}" if i.opex_fraction_of_capex_per_year else "")
         + (f", / (1 - {i.other_cost_share:g})" if i.other_cost_share else "")),
        ("3. Owners' revenue needed a year", fmt.money(f["infrastructure_revenue_required_usd_per_year"]),
         f"x {i.vintages_in_service:g} years of capex in service"),
        ("4. End customers' AI spending needed", fmt.money(f["end_customer_ai_spend_required_usd_per_year"]),
         f"/ {fmt.percent(a.infrastructure_share_of_ai_budgets)} of AI budgets on infrastructure"),
        ("   of it software and services", fmt.money(f["software_and_services_spend_usd_per_year"]),
         "the rest of the budgets"),
        ("5. Gross profit AI applications must earn", fmt.money(f["gross_profit_required_usd_per_year"]),
         f"spending x (1 + hurdle {fmt.percent(a.hurdle_return)})"),
        ("6. Revenue AI applications must earn", fmt.money(f["application_revenue_required_usd_per_year"]),
         f"/ {fmt.percent(a.end_customer_gross_margin)} end-customer gross margin"),
        ("   per $ of capex a year", _multiple(f["application_revenue_to_capex"]), "revenue / capex"),
    ]


def _render_adoption(s: AdoptionRoiScenario, f: dict, console) -> None:
    console.print("pre-tax, every year of capex priced to earn the WACC over its life; opex and other costs as "
                  "given (0: capital only, a lower bound)")
    console.print(_table("From capex to the revenue end customers must earn (a year)", ("step", "value", "how"),
                         _chain_rows(s, f)))
    rows = [(stage["label"], fmt.percent(stage["rate"]), _multiple(stage["return_multiple_required"]),
             _multiple(stage["revenue_per_usd_of_cost"])) for stage in f["stages"].values()]
    console.print(_table("If only the successes earn: what each must return per $ it cost",
                         ("published rate", "share", "gross profit / cost", "revenue / cost"), rows))
    if "observed_spend_usd_per_year" in f:
        console.print(_table("Observed against required spending", ("", "value", "how"), [
            ("Observed end-customer AI spending", fmt.money(f["observed_spend_usd_per_year"]), "as published"),
            ("Required (step 4)", fmt.money(f["end_customer_ai_spend_required_usd_per_year"]), ""),
            ("Observed / required", fmt.percent(f["observed_to_required_spend"]),
             "different scopes: read as an order of magnitude"),
        ]))


# --- commitments --------------------------------------------------------------------------------------------------

def _years_table(title: str, years, rows, total=None) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("")
    for year in years:
        table.add_column(str(year), justify="right")
    if total is not None:
        table.add_column("total", justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def _coverage(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _render_commitments(s: CommitmentsScenario, f: dict, console) -> None:
    years = f["years"]
    rows = [(c["counterparty"], fmt.money(c["total_usd"]), f"{c['gw']:g}" if c["gw"] else "-",
             f"{c['first_year']}-{c['last_year']}", fmt.money(c["payment_usd_per_year"]), c["schedule"])
            for c in f["commitments"].values()]
    rows.append(("[bold]Named contracts[/bold]", fmt.money(f["named_total_usd"]), f"{f['named_gw']:g}", "", "", ""))
    if "headline" in f:
        h = f["headline"]
        rows.append((f"{f['company']}'s own total", fmt.money(h["total_usd"]), f"{h['gw']:g}" if h["gw"] else "-",
                     f"{h['first_year']}-{h['last_year']}", fmt.money(h["payment_usd_per_year"]), "assumed"))
    console.print(_table(f"{f['company']}'s compute commitments (level payments)",
                         ("counterparty", "total", "GW", "years", "a year", "schedule"), rows))
    if "headline" in f:
        console.print(f"named contracts: {fmt.percent(f['headline']['named_share_of_headline'])} of the own total; "
                      f"whether all of them are inside it is not published")
    if f["gw_deals"]:
        console.print(_table("Deals published in GW only (no dollar value: not counted)",
                             ("counterparty", "GW", "from", "what"),
                             [(d["counterparty"], f"{d['gw']:g}", str(d["first_year"]), d["what"])
                              for d in f["gw_deals"].values()]))
    payment_rows = [(c["counterparty"], *[fmt.money(p) if p else "" for p in c["payments_usd"]])
                    for c in f["commitments"].values()]
    payment_rows.append(("[bold]Named contracts[/bold]", *[fmt.money(p) for p in f["payments_usd"]]))
    if "headline" in f:
        payment_rows.append((f"{f['company']}'s own total", *[fmt.money(p) if p else ""
                                                             for p in f["headline"]["payments_usd"]]))
    console.print(_years_table("Payments a year", years, payment_rows))
    revenue_rows, coverage_rows = [], []
    for p in f["paths"].values():
        revenue_rows.append((p["label"], *[fmt.money(r) for r in p["revenue_usd"]]))
        coverage_rows.append((f"{p['label']}: named", *[_coverage(c) for c in p["coverage"]]))
        if "vs_headline" in p:
            coverage_rows.append((f"{p['label']}: own total", *[_coverage(c) for c in p["vs_headline"]["coverage"]]))
    console.print(_years_table("Revenue paths", years, revenue_rows))
    console.print(_years_table("Coverage: revenue / payments (all revenue counted: an upper bound)", years,
                               coverage_rows))
    summary = []
    for p in f["paths"].values():
        for label, c in (("named", p), ("own total", p.get("vs_headline"))):
            if c is None:
                continue
            reached = c["coverage_stays_at_one_from"]
            summary.append((p["label"], label, str(reached) if reached is not None else f"not by {years[-1]}",
                            fmt.money(c["cumulative_funding_gap_usd"])))
    console.print(_table("When revenue covers the payments for good",
                         ("revenue path", "payments", "coverage >= 1 from", "uncovered payments, all years"),
                         summary, left=2))


# --- both ---------------------------------------------------------------------------------------------------------

def render(scenario, figures: dict, console=None) -> None:
    """Print the report of an evaluated adoption-roi or commitments scenario."""
    console = console or make_console()
    console.print(f"[bold]{scenario.name}[/bold] ({scenario.kind}) — {scenario.description}")
    if isinstance(scenario, AdoptionRoiScenario):
        _render_adoption(scenario, figures, console)
    else:
        _render_commitments(scenario, figures, console)
    used = sources_used(scenario)
    if used:
        console.print(sources_table(used))


def to_json(scenario, figures: dict) -> str:
    """One JSON object: name, kind, description, the figures, the inputs and the sources."""
    inputs = scenario.model_dump(exclude={"name", "kind", "description", "notes", "sources"}, exclude_none=True)
    document = {"name": scenario.name, "kind": scenario.kind, "description": scenario.description, **figures,
                "inputs": inputs, "sources": sources_used(scenario)}
    return dumps_json(document)
