"""The report of a debt or capex-wave scenario (docs/capital.md): rich tables or one JSON object."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dcecon.capital.schema import DebtScenario
from dcecon.io import dumps_json
from dcecon.report import format as fmt
from dcecon.report.console import make_console
from dcecon.scenario.sources import sources_used


def _table(title: str, columns, rows, left=1) -> Table:
    """A table whose first ``left`` columns are text and the rest numbers."""
    table = Table(title=title, header_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _sources_table(scenario) -> Table | None:
    used = sources_used(scenario)
    if not used:
        return None
    rows = [(entry["id"], "\n".join(filter(None, (entry.get("title", ""), entry.get("url", "")))),
             entry.get("as_of", ""), ", ".join(entry["fields"])) for entry in used]
    return _table("Sources behind the inputs", ("id", "source", "as of", "fields"), rows, left=4)


# --- debt --------------------------------------------------------------------------------------------------------

def _debt_tables(s: DebtScenario, f: dict) -> list[Table]:
    tables = []
    rows = []
    for key, issuer in s.issuers.items():
        g = f["issuers"][key]
        share = (f"{fmt.percent(g['debt_share_of_capex'])} ({fmt.money(g['new_debt_usd'])} / "
                 f"{fmt.money(g['capex_usd'])} {issuer.capex_period})" if "debt_share_of_capex" in g else "-")
        rows.append((issuer.name, fmt.money(g["debt_usd"]), fmt.percent(issuer.rate),
                     fmt.money(g["interest_usd_per_year"]),
                     f"{fmt.money(issuer.operating_income_usd_per_year)} ({issuer.operating_income_period})",
                     fmt.percent(g["interest_share_of_operating_income"]), fmt.ratio(g["coverage_operating"]),
                     fmt.ratio(g["coverage_ebitda"]) if "coverage_ebitda" in g else "-", share))
    tables.append(_table("Interest and cover (interest = debt x rate; cover = income / interest)",
                         ("issuer", "debt (incl. off balance sheet)", "rate", "interest / yr", "operating income / yr",
                          "interest / OI", "OI cover", "EBITDA cover", "new debt / capex"), rows))
    names = [shock.name for shock in s.shocks]
    shock_rows = []
    for key, issuer in s.issuers.items():
        g = f["issuers"][key]
        shock_rows.append((f"{issuer.name} (OI)", *(fmt.ratio(g["shocks"][n]["coverage_operating"]) for n in names)))
        if "coverage_ebitda" in g:
            shock_rows.append((f"{issuer.name} (EBITDA)",
                               *(fmt.ratio(g["shocks"][n]["coverage_ebitda"]) for n in names)))
    header = [f"{shock.name}\nprice {shock.price_change:+.0%}, util x{shock.utilization_factor:g}"
              for shock in s.shocks]
    tables.append(_table("Cover after shocks to the rented AI compute (only exposed revenue moves)",
                         ("issuer", *header), shock_rows))
    checks = []
    for key, issuer in s.issuers.items():
        g = f["issuers"][key]
        if "published_interest_usd_per_year" in g:
            checks.append((issuer.name, "interest / yr", fmt.money(g["interest_usd_per_year"]),
                           fmt.money(g["published_interest_usd_per_year"]), fmt.ratio(g["interest_to_published"])))
            checks.append((issuer.name, "OI cover", fmt.ratio(g["coverage_operating"]),
                           fmt.ratio(g["published_coverage_operating"]),
                           fmt.ratio(g["coverage_operating"] / g["published_coverage_operating"])))
        if "debt_service_usd_per_year" in g:
            checks.append((issuer.name, f"level debt service over {issuer.repayment_years:g} y",
                           fmt.money(g["debt_service_usd_per_year"]), "-",
                           f"cover {fmt.ratio(g['coverage_debt_service'])}"))
    if checks:
        tables.append(_table("Model (debt x rate) against the published interest",
                             ("issuer", "figure", "model", "published", "model / published"), checks, left=2))
    if "market" in f:
        m = f["market"]
        tables.append(_table(f"US tech bonds, {m['year']}", ("", "value", "how"), [
            ("Bonds issued", fmt.money(m["us_tech_bonds_usd"]), "published"),
            ("Prior year implied", fmt.money(m["prior_year_us_tech_bonds_usd"]),
             f"bonds / (1 + {s.market.growth_vs_prior_year:g})"),
            ("Hyperscaler capex", fmt.money(m["hyperscaler_capex_usd"]), "published"),
            ("Bonds / capex", fmt.percent(m["bonds_share_of_hyperscaler_capex"]),
             "upper bound of the debt-financed share: not every tech bond funds this capex"),
        ]))
    return tables


# --- capex wave --------------------------------------------------------------------------------------------------

def _capex_tables(s, f: dict) -> list[Table]:
    tables = []
    all_years = sorted({int(y) for c in f["companies"].values() for y in c["capex_usd_by_year"]})
    rows = []
    for key, company in s.companies.items():
        path = f["companies"][key]["capex_usd_by_year"]
        projected = company.projected_from_year

        def cell(year, path=path, projected=projected):
            if str(year) not in path:
                return "-"
            mark = "*" if projected is not None and year >= projected else ""
            return fmt.money(path[str(year)]) + mark
        rows.append((company.name, *(cell(y) for y in all_years)))
    rows.append(("Total", *(fmt.money(f["totals"]["capex_usd_by_year"].get(str(y), 0.0)) for y in all_years)))
    tables.append(_table("Capex by year (* projection: plan or run-rate)", ("company", *map(str, all_years)), rows))
    years = f["years"]
    for life in s.lives_years:
        key_life = f"{life:g}"
        rows = []
        for key, company in s.companies.items():
            g = f["companies"][key]
            rows.append((company.name, *(fmt.money(g["depreciation_usd_by_life"][key_life][str(y)]) for y in years)))
            if "share_of_operating_income_by_life" in g:
                shares = g["share_of_operating_income_by_life"][key_life]
                rows.append((f"  / operating income {g['operating_income_year']}",
                             *(fmt.percent(shares[str(y)]) for y in years)))
        t = f["totals"]
        rows.append(("All with operating income",
                     *(fmt.money(t["depreciation_with_operating_income_usd_by_life"][key_life][str(y)])
                       for y in years)))
        rows.append((f"  / their operating income {fmt.money(t['operating_income_usd'])}",
                     *(fmt.percent(t["share_of_operating_income_by_life"][key_life][str(y)]) for y in years)))
        rows.append(("All", *(fmt.money(t["depreciation_usd_by_life"][key_life][str(y)]) for y in years)))
        tables.append(_table(f"Depreciation of the {s.wave_first_year}+ vintages, servers over {life:g} years, "
                             f"buildings over {s.building_life_years:g}", ("company", *map(str, years)), rows))
    checks = []
    c = f["checks"]
    if "quarter_capex" in c:
        q = c["quarter_capex"]
        checks.append(("Capex in the reference quarter", fmt.money(q["modelled_usd"]),
                       fmt.money(q.get("published_usd")),
                       fmt.ratio(q.get("modelled_to_published")), "sum of the quarters typed in (inputs)"))
    if "trailing_capex" in c:
        q = c["trailing_capex"]
        checks.append((f"Capex {q['year']} (companies in the totals)", fmt.money(q["modelled_usd"]),
                       fmt.money(q.get("published_usd")), fmt.ratio(q.get("modelled_to_published")),
                       "sum of the year's inputs; the published twelve months are not known exactly"))
        q = c["trailing_depreciation"]
        checks.append((f"Depreciation {q['year']} at book lives", fmt.money(q["modelled_usd"]),
                       fmt.money(q.get("published_usd")), fmt.ratio(q.get("modelled_to_published")),
                       f"model: vintages {q['first_vintage']}-{q['year']} only (earlier ones left out)"))
    if checks:
        tables.append(_table("Published totals beside the model", ("figure", "model", "published", "model / published",
                                                                   "what it shows"), checks))
    return tables


def render(scenario, figures: dict, console: Console | None = None) -> None:
    """Print the readable report of an evaluated debt or capex-wave scenario."""
    console = console or make_console()
    console.print(f"[bold]{scenario.name}[/bold] ({scenario.kind}) — {scenario.description}")
    tables = _debt_tables(scenario, figures) if isinstance(scenario, DebtScenario) else \
        _capex_tables(scenario, figures)
    sources = _sources_table(scenario)
    for table in tables + ([sources] if sources is not None else []):
        console.print(table)


def to_json(scenario, figures: dict) -> str:
    """One JSON object: name, kind, description, the figures, the inputs and the sources."""
    inputs = scenario.model_dump(exclude={"name", "kind", "description", "notes", "sources"}, exclude_none=True)
    document = {"name": scenario.name, "kind": scenario.kind, "description": scenario.description, **figures,
                "inputs": inputs, "sources": sources_used(scenario)}
    return dumps_json(document)
