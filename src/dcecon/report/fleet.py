"""The report of a fleet scenario: window P&L, investment view, cohorts, token prices and sources."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dcecon.result import Result
from dcecon.report import format as fmt
from dcecon.report.console import make_console, sources_table
from dcecon.scenario.sources import sources_used

PNL_ROWS = (
    ("Revenue", "revenue_usd", fmt.money),
    ("Depreciation", "depreciation_usd", fmt.money),
    ("Power", "power_cost_usd", fmt.money),
    ("Facility", "facility_cost_usd", fmt.money),
    ("Opex", "opex_usd", fmt.money),
    ("COGS", "cogs_usd", fmt.money),
    ("Gross profit", "gross_profit_usd", fmt.money),
    ("Gross margin", "gross_margin", fmt.percent),
    ("EBITDA", "ebitda_usd", fmt.money),
    ("Energy", "energy_kwh", fmt.energy),
)

INVESTMENT_ROWS = (
    ("Capex", "capex_usd", fmt.money),
    ("NPV", "npv_usd", fmt.money),
    ("IRR", "irr", fmt.percent),
    ("Payback", "payback_years", fmt.years),
    ("Break-even price (age 0)", "breakeven_price_usd_per_gpu_hour", fmt.price),
    ("Break-even utilization", "breakeven_utilization", fmt.percent),
    ("Cost per billed GPU-hour", "cost_usd_per_billed_gpu_hour", fmt.price),
    ("Lifetime gross margin", "lifetime_gross_margin", fmt.percent),
)


def render(result: Result, console: Console | None = None) -> None:
    """Print the report of one evaluated scenario."""
    console = console or make_console()
    s = result.scenario
    end = s.start_year + s.horizon_years
    console.print(f"[bold]{s.name}[/bold] — {s.description}")
    console.print(
        f"window {s.start_year:.4f} to {end:.4f} ({s.n_periods} periods of 1/{s.periods_per_year} year), "
        f"{len(s.cohorts)} cohort(s), backend {result.backend} ({result.dtype}), "
        f"model time {1000 * result.model_seconds:.1f} ms"
    )

    pnl = Table(title="Window P&L", show_header=True, header_style="bold")
    pnl.add_column("")
    pnl.add_column("fleet", justify="right")
    pnl.add_column("per rented $", justify="right")
    revenue = result.figures["revenue_usd"]
    for label, key, f in PNL_ROWS:
        value = result.figures[key]
        share = fmt.percent(value / revenue) if key.endswith("_usd") and revenue else ""
        pnl.add_row(label, f(value), share)
    console.print(pnl)

    if result.extrapolated:
        console.print(f"[bold]Extrapolated:[/bold] {escape(result.extrapolated)}")
    inv = Table(title="Investment view (every cohort's whole service life, discounted to start_year)",
                header_style="bold")
    inv.add_column("")
    inv.add_column("fleet", justify="right")
    for label, key, f in INVESTMENT_ROWS:
        inv.add_row(label, f(result.figures[key]))
    console.print(inv)

    if any(c.economic_life_years is not None for c in s.cohorts):
        lives = ", ".join(f"{c.name} {c.book_life_years:g} -> {c.economic_life_years or c.book_life_years:g} years"
                          for c in s.cohorts)
        econ = Table(title=f"Book vs economic depreciation (window; book -> economic life: {lives})",
                     header_style="bold")
        econ.add_column("")
        econ.add_column("fleet", justify="right")
        econ.add_row("Book depreciation", fmt.money(result.figures["depreciation_usd"]))
        econ.add_row("Economic depreciation", fmt.money(result.figures["economic_depreciation_usd"]))
        econ.add_row("Gap (understated cost)", fmt.money(result.figures["depreciation_gap_usd"]))
        econ.add_row("Earnings overstatement after tax", fmt.money(result.figures["earnings_overstatement_usd"]))
        console.print(econ)

    if s.finance.debt_fraction > 0:
        debt = Table(title=f"Financing: {fmt.percent(s.finance.debt_fraction)} debt at "
                           f"{fmt.percent(s.finance.interest_rate)} over {s.finance.debt_term_years:g} years, "
                           "level payments", header_style="bold")
        debt.add_column("")
        debt.add_column("fleet", justify="right")
        for label, key, f in (("Interest (window)", "interest_usd", fmt.money),
                              ("Principal (window)", "principal_usd", fmt.money),
                              ("Interest coverage, EBIT / interest (window)", "interest_coverage", fmt.ratio),
                              ("DSCR, CFADS / debt service (window)", "dscr_window", fmt.ratio),
                              ("Minimum DSCR (debt life)", "dscr_min", fmt.ratio),
                              ("Average DSCR (debt life)", "dscr_avg", fmt.ratio),
                              ("Equity invested", "equity_usd", fmt.money),
                              ("Equity IRR", "equity_irr", fmt.percent)):
            debt.add_row(label, f(result.figures[key]))
        console.print(debt)

    cohorts = Table(title="Cohorts (window P&L; investment view on each cohort's own clock)", header_style="bold")
    for column in ("cohort", "GPUs", "in service", "revenue", "gross margin", "EBITDA", "NPV", "IRR", "payback",
                   "break-even price", "break-even util."):
        cohorts.add_column(column, justify="left" if column == "cohort" else "right")
    for row in result.cohorts:
        cohorts.add_row(
            row["name"], f"{row['gpus']:,.0f}", f"{row['in_service_year']:.2f}", fmt.money(row["revenue_usd"]),
            fmt.percent(row["gross_margin"]), fmt.money(row["ebitda_usd"]), fmt.money(row["npv_usd"]),
            fmt.percent(row["irr"]), fmt.years(row["payback_years"]),
            fmt.price(row["breakeven_price_usd_per_gpu_hour"]), fmt.percent(row["breakeven_utilization"]),
        )
    console.print(cohorts)

    priced_by_token = [row for row in result.cohorts if "price_usd_per_million_tokens" in row]
    if priced_by_token:
        tokens = Table(title="Token pricing (revenue per billed hour = tokens/s x 3600 x price / 1e6)",
                       header_style="bold")
        for column in ("cohort", "price / M tokens", "tokens/s/GPU", "= price / GPU-hour",
                       "age-0 break-even / M", "flat break-even / M"):
            tokens.add_column(column, justify="left" if column == "cohort" else "right")
        for row in priced_by_token:
            tokens.add_row(row["name"], fmt.money(row["price_usd_per_million_tokens"]),
                           f"{row['tokens_per_second_per_gpu']:,.0f}", fmt.price(row["price_usd_per_gpu_hour"]),
                           fmt.money(row["breakeven_price_usd_per_million_tokens"]),
                           fmt.money(row["flat_breakeven_price_usd_per_million_tokens"]))
        console.print(tokens)
        console.print("  age-0: the list price needed before the path's declines and cuts (docs/model.md §11); "
                      "flat: the constant price that breaks even")

    used = sources_used(s)
    if used:
        console.print(sources_table(used))
