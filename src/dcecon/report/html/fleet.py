"""The tables of ``dcecon run``: a fleet's window P&L, rented dollar, investment view and cohorts; a macro
scenario's chain from gigawatts to the revenue that earns the WACC.

The rows and their formatting are the console report's (:mod:`dcecon.report.fleet`,
:mod:`dcecon.report.macro`), so a figure reads the same in the terminal, in ``--html`` and in a notebook.
"""

from __future__ import annotations

from dcecon.report import fleet as console_fleet
from dcecon.report import format as fmt
from dcecon.report.html.markup import Cell, bullets, paragraph, section, table, value_cell

RENTED_DOLLAR_PARTS = (("depreciation", "depreciation_usd"), ("power", "power_cost_usd"),
                       ("facility", "facility_cost_usd"), ("opex", "opex_usd"), ("gross profit", "gross_profit_usd"))
"""Where a rented dollar goes (as the ``rented-dollar`` figure): cost lines and the gross profit, per USD of
window revenue."""

COHORT_COLUMNS = (
    ("revenue", "revenue_usd", fmt.money), ("gross margin", "gross_margin", fmt.percent),
    ("EBITDA", "ebitda_usd", fmt.money), ("NPV", "npv_usd", fmt.money), ("IRR", "irr", fmt.percent),
    ("payback", "payback_years", fmt.years), ("break-even price", "breakeven_price_usd_per_gpu_hour", fmt.price),
    ("break-even util.", "breakeven_utilization", fmt.percent),
)
"""The cohorts table's figures after name, GPUs and year in service (as the console report)."""


def share(value: float, revenue: float) -> Cell:
    """``value`` per USD of revenue as a percentage cell; empty when there is no revenue."""
    return value_cell(value / revenue, fmt.percent) if revenue else Cell("")


def pnl_table(result) -> str:
    """Window P&L: each line for the fleet and per rented dollar (USD lines divided by revenue)."""
    figures, revenue = result.figures, result.figures["revenue_usd"]
    rows = [[label, value_cell(figures[key], f), share(figures[key], revenue) if key.endswith("_usd") else ""]
            for label, key, f in console_fleet.PNL_ROWS]
    return table("Window P&L", ("", "fleet", "per rented $"), rows, "window-pnl",
                 row_keys=[key for _, key, _ in console_fleet.PNL_ROWS])


def rented_dollar_table(result) -> str:
    """Per rented dollar, by cohort and for the fleet: depreciation, power, facility, opex, gross profit."""
    rows, keys = [], []
    for name, row in [(c["name"], c) for c in result.cohorts] + [("fleet", result.figures)]:
        rows.append([name] + [share(row[key], row["revenue_usd"]) for _, key in RENTED_DOLLAR_PARTS])
        keys.append(name)
    return table("Per rented dollar (share of window revenue)", ["", *(label for label, _ in RENTED_DOLLAR_PARTS)],
                 rows, "rented-dollar", row_keys=keys)


def investment_table(result) -> str:
    """Investment view: every cohort's whole service life, discounted to the start year."""
    rows = [[label, value_cell(result.figures[key], f)] for label, key, f in console_fleet.INVESTMENT_ROWS]
    return table("Investment view (every cohort's whole service life, discounted to start_year)", ("", "fleet"),
                 rows, "investment", row_keys=[key for _, key, _ in console_fleet.INVESTMENT_ROWS])


def cohorts_table(result) -> str:
    """One row per cohort: its window P&L and its investment view on its own clock."""
    rows = [[row["name"], value_cell(row["gpus"], lambda v: f"{v:,.0f}"),
             value_cell(row["in_service_year"], lambda v: f"{v:.2f}")]
            + [value_cell(row[key], f) for _, key, f in COHORT_COLUMNS] for row in result.cohorts]
    header = ("cohort", "GPUs", "in service", *(label for label, _, _ in COHORT_COLUMNS))
    return table("Cohorts (window P&L; investment view on each cohort's own clock)", header, rows, "cohorts",
                 row_keys=[row["name"] for row in result.cohorts])


def window_text(result) -> str:
    """``window 2024.0000 to 2029.0000 (5 periods of 1/1 year), 1 cohort(s)``."""
    s = result.scenario
    return (f"window {s.start_year:.4f} to {s.start_year + s.horizon_years:.4f} ({s.n_periods} periods of "
            f"1/{s.periods_per_year} year), {len(s.cohorts)} cohort(s)")


def fleet_sections(result) -> list[str]:
    """The tables of a fleet result, with the extrapolation label where the scenario was fitted to a window."""
    note = result.extrapolated
    investment = [paragraph(f"Extrapolated: {note}", css="note")] if note else []
    return [
        section("Window P&L", paragraph(window_text(result)), pnl_table(result), rented_dollar_table(result),
                key="window"),
        section("Investment view", *investment, investment_table(result), key="investment"),
        section("Cohorts", cohorts_table(result), key="cohorts"),
    ]


def macro_sections(scenario, figures: dict) -> list[str]:
    """The tables of a macro scenario: the build-out and the revenue that earns the WACC, the views side by
    side, and what the figures are."""
    from dcecon.report import macro as console_macro

    parts = []
    if scenario.fleet is not None:
        rows = console_macro.fleet_rows(scenario, figures)
        parts.append(table("The build-out and the revenue that earns the WACC (pre-tax, steady state)",
                           ("", "value", "how"), rows, "macro-chain", numeric={1}))
    columns = ("view", "revenue needed / yr", "arithmetic", "WACC view / this")
    n = len(columns) if scenario.fleet is not None else len(columns) - 1
    rows = [row[:n] for row in console_macro.comparison_rows(scenario, figures)]
    parts.append(table("Revenue needed a year, side by side", columns[:n], rows, "macro-comparison",
                       numeric={1, 3}))
    notes = console_macro.caveats(scenario)
    sections = [section("The macro chain", *parts, key="macro")]
    if notes:
        sections.append(section("What these figures are", bullets(notes), key="caveats"))
    return sections
