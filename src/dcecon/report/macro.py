"""The report of a macro or circular-deal scenario: rich tables or one JSON object."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dcecon.io import dumps_json
from dcecon.macro.schema import MacroScenario
from dcecon.report import format as fmt
from dcecon.report.console import make_console
from dcecon.scenario.sources import sources_used


def _gw(value: float) -> str:
    return f"{value:,.2f} GW"


def _count(value: float) -> str:
    return f"{value / 1e6:,.1f}M" if value >= 1e6 else f"{value:,.0f}"


def _twh(value_twh: float) -> str:
    return fmt.energy(value_twh * 1e9)


def _ratio(value: float) -> str:
    return f"{value:,.2f}x"


def _table(title: str, rows, columns=("", "value", "how"), numeric=(1,)) -> Table:
    table = Table(title=title, header_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i in numeric else "left")
    for row in rows:
        table.add_row(*row)
    return table


def fleet_rows(s: MacroScenario, f: dict) -> list[tuple[str, str, str]]:
    fl = s.fleet
    return [
        ("Facility demand", _gw(fl.demand_gw), f"PUE {fl.pue:g}, load {fl.load:g}"),
        ("IT power", _gw(f["it_power_gw"]), "demand / PUE"),
        ("GPUs", _count(f["gpus"]), f"IT power / {fl.power_kw_per_gpu:g} kW per GPU"),
        ("Energy a year", _twh(f["energy_twh_per_year"]), "demand x 8,760 h x load"),
        ("Power cost a year", fmt.money(f["power_cost_usd_per_year"]),
         f"energy x ${fl.electricity_usd_per_kwh:g}/kWh"),
        ("Capex", fmt.money(f["capex_usd"]), f"demand x {fmt.money(fl.capex_usd_per_gw)} per GW"),
        ("  IT capital charge a year", fmt.money(f["it_capital_charge_usd_per_year"]),
         f"{fmt.money(f['it_capex_usd'])} x crf {f['crf_it']:.4f} ({fmt.percent(fl.wacc)}, {fl.it_life_years:g} y)"),
        ("  Facility capital charge a year", fmt.money(f["facility_capital_charge_usd_per_year"]),
         f"{fmt.money(f['facility_capex_usd'])} x crf {f['crf_facility']:.4f} "
         f"({fmt.percent(fl.wacc)}, {fl.facility_life_years:g} y)"),
        ("Opex a year", fmt.money(f["opex_usd_per_year"]), f"{fmt.percent(fl.opex_fraction_of_capex_per_year)} "
                                                           f"of capex"),
        ("Revenue needed to earn the WACC", fmt.money(f["required_revenue_usd_per_year"]),
         f"(capital charges + power + opex) / (1 - {fl.other_cost_share:g} other costs)"),
    ]


def comparison_rows(s: MacroScenario, f: dict) -> list[tuple[str, str, str, str]]:
    wacc_view = f.get("required_revenue_usd_per_year")

    def versus(value):
        return _ratio(wacc_view / value) if wacc_view is not None else ""

    rows = []
    if s.fleet is not None:
        rows.append(("dcecon: earn the WACC on the fleet", fmt.money(wacc_view),
                     f"{s.fleet.demand_gw:g} GW at {fmt.money(s.fleet.capex_usd_per_gw)}/GW, "
                     f"WACC {fmt.percent(s.fleet.wacc)}", "1.00x"))
    if s.bain is not None:
        b, required = s.bain, f["bain_required_revenue_usd_per_year"]
        how = (f"capex {fmt.money(b.annual_capex_usd)}/yr / capex-to-revenue {b.capex_to_revenue:g} "
               f"({_ratio_origin(s)})")
        if "bain_shortfall_usd_per_year" in f:
            how += f"; {fmt.money(f['bain_shortfall_usd_per_year'])} short of {fmt.money(b.revenue_expected_usd)}"
        rows.append(("Bain: capex / capex-to-revenue", fmt.money(required), how, versus(required)))
    if s.sequoia is not None:
        q, required = s.sequoia, f["sequoia_required_revenue_usd_per_year"]
        how = (f"Nvidia DC run-rate {fmt.money(q.nvidia_datacenter_run_rate_usd)} / GPU share of TCO "
               f"{q.gpu_share_of_tco:g} / (1 - end-user margin {q.end_user_gross_margin:g})")
        if "sequoia_gap_usd_per_year" in f:
            how += f"; gap {fmt.money(f['sequoia_gap_usd_per_year'])} over {fmt.money(q.revenue_identified_usd)}"
        rows.append(("Sequoia: the run-rate question", fmt.money(required), how, versus(required)))
    return rows


def _circular_tables(s, f: dict) -> list[Table]:
    tables = []
    inv, contract = s.investment, s.contract
    if inv is not None:
        who = f"{inv.supplier} -> {inv.customer}"
        tables.append(_table(f"Investment: {who}", [
            ("Investment", fmt.money(inv.investment_usd), f"for {inv.deployed_gw:g} GW"),
            ("Investment per GW", fmt.money(f["investment_usd_per_gw"]), "investment / GW"),
            (f"{inv.supplier} systems bought", fmt.money(f["supplier_sales_usd"]),
             f"GW x {fmt.money(s.build.supplier_systems_usd_per_gw)}/GW"),
            (f"Investment / {inv.supplier} systems bought", fmt.percent(f["investment_to_supplier_sales"]),
             f"investment / systems: the most it could fund (if all spent on {inv.supplier})"),
            ("Build capex", fmt.money(f["build_capex_usd"]), f"GW x {fmt.money(s.build.capex_usd_per_gw)}/GW"),
            ("Investment share of capex", fmt.percent(f["investment_share_of_build_capex"]), "investment / capex"),
        ]))
    if contract is not None:
        tables.append(_table(f"Contract: {inv.customer if inv else 'customer'} -> {contract.intermediary}", [
            ("Payments a year", fmt.money(contract.payments_usd_per_year),
             f"{contract.first_year:g} to {f['last_contract_year']:g}, {contract.contracted_gw:g} GW"),
            ("Contract total", fmt.money(f["contract_total_usd"]), f"x {contract.contract_years:g} years"),
            ("Payments per GW-year", fmt.money(f["payments_usd_per_gw_year"]), "payments / GW"),
            ("Customer revenue a year", fmt.money(contract.customer_revenue_usd_per_year),
             f"{contract.customer_revenue_year:g}"),
            ("Revenue coverage", fmt.percent(f["revenue_coverage"]), "revenue / payments"),
            ("Funding gap a year", fmt.money(f["funding_gap_usd_per_year"]), "payments - revenue"),
        ]))
    if "loop_investment_to_supplier_sales" in f:
        loop = f"{inv.supplier} -> {inv.customer} -> {contract.intermediary} -> {inv.supplier}"
        tables.append(_table(f"The loop: {loop}", [
            (f"{contract.intermediary} capex for the contract", fmt.money(f["intermediary_capex_usd"]),
             "contracted GW x capex per GW (same cost per GW assumed)"),
            (f"... of it to {inv.supplier}", fmt.money(f["intermediary_spend_with_supplier_usd"]),
             f"contracted GW x {inv.supplier} systems per GW"),
            (f"{inv.supplier} investment tied to those GW", fmt.money(f["supplier_investment_in_loop_usd"]),
             "contracted GW x investment per GW (the GW count toward the deal)"),
            (f"Investment / {inv.supplier} sales in the loop", fmt.percent(f["loop_investment_to_supplier_sales"]),
             "an upper bound: how the investment is spent is not known"),
            ("Investment share of the contract", fmt.percent(f["investment_share_of_contract"]),
             f"investment / what {inv.customer} owes {contract.intermediary}"),
            (f"Contract per $ of {contract.intermediary} capex", _ratio(f["contract_to_intermediary_capex"]),
             "contract total / capex, before power, staff and financing"),
        ]))
    return tables


def _ratio_origin(scenario: MacroScenario) -> str:
    """Where Bain's capex-to-revenue ratio comes from: Bain publishes none."""
    if scenario.provenance.get("bain.capex_to_revenue") == "--set":
        return "set on the command line"
    return "derived from Bain's capex and revenue figures; Bain publishes no ratio"


def caveats(scenario) -> list[str]:
    """What the figures of a macro or circular-deal scenario are, and what is not known, in plain sentences.

    The report prints them under "What these figures are"; ``--json`` carries them as ``caveats``.
    """
    notes = []
    if isinstance(scenario, MacroScenario):
        if scenario.bain is not None:
            b = scenario.bain
            notes.append(f"Bain: the capex-to-revenue ratio {b.capex_to_revenue:g} is not a Bain figure "
                         f"({_ratio_origin(scenario)}), so capex / ratio gives back Bain's revenue by "
                         f"construction; the shortfall is required less expected revenue, both as given.")
        if scenario.sequoia is not None:
            q = scenario.sequoia
            text = (f"Sequoia: the {fmt.money(q.nvidia_datacenter_run_rate_usd)} run-rate is Cahn's input (for "
                    f"June 2024, his forecast of Nvidia's data-center run-rate at the end of 2024), and the x "
                    f"{1 / q.gpu_share_of_tco:g} and x {1 / (1 - q.end_user_gross_margin):g} are his assumptions")
            if q.revenue_identified_usd is not None:
                text += "; the identified revenue is implied (his required revenue less his gap), so the gap "                         "comes back by construction"
            notes.append(text + ".")
        if scenario.fleet is not None:
            notes.append("WACC view: a steady state, pre-tax, built at once; the capex per GW, lives, opex share "
                         "and WACC are the scenario's assumptions, not a forecast.")
    else:
        if scenario.investment is not None:
            inv = scenario.investment
            notes.append(f"{inv.supplier} -> {inv.customer}: the investment / systems ratio counts the whole "
                         f"investment as spent on {inv.supplier} systems. Not known: how {inv.customer} spends it, "
                         f"who buys the systems ({inv.customer} or the clouds that build for it), and how much of "
                         f"the investment is actually paid (it is released as each GW is deployed).")
        if scenario.contract is not None:
            c = scenario.contract
            notes.append(f"Revenue coverage sets {c.customer_revenue_year:g} revenue against payments from "
                         f"{c.first_year:g}: no growth is assumed, and no costs are deducted from the revenue.")
    return notes


def _sources_table(scenario) -> Table | None:
    used = sources_used(scenario)
    if not used:
        return None
    rows = []
    for entry in used:
        title = entry.get("title", "(command line)" if entry["id"] == "--set" else "")
        rows.append((entry["id"], "\n".join(filter(None, (title, entry.get("url", "")))), entry.get("as_of", ""),
                     ", ".join(entry["fields"])))
    return _table("Sources behind the inputs", rows, columns=("id", "source", "as of", "fields"), numeric=())


def render(scenario, figures: dict, console: Console | None = None) -> None:
    """Print the readable report of an evaluated macro or circular-deal scenario."""
    console = console or make_console()
    console.print(f"[bold]{scenario.name}[/bold] ({scenario.kind}) — {scenario.description}")
    if isinstance(scenario, MacroScenario):
        if scenario.fleet is not None:
            console.print(_table("The build-out and the revenue that earns the WACC (pre-tax, steady state)",
                                 fleet_rows(scenario, figures)))
        columns = ("view", "revenue needed / yr", "arithmetic", "WACC view / this")
        n = len(columns) if scenario.fleet is not None else len(columns) - 1  # no WACC view, no ratio
        console.print(_table("Revenue needed a year, side by side",
                             [row[:n] for row in comparison_rows(scenario, figures)], columns=columns[:n]))
    else:
        for table in _circular_tables(scenario, figures):
            console.print(table)
    notes = caveats(scenario)
    if notes:
        console.print("[bold]What these figures are[/bold]")
        for note in notes:
            console.print(f"- {note}")
    sources = _sources_table(scenario)
    if sources is not None:
        console.print(sources)


def to_json(scenario, figures: dict) -> str:
    """One JSON object: name, kind, description, the figures, the inputs, the caveats and the sources."""
    inputs = scenario.model_dump(exclude={"name", "kind", "description", "notes", "sources"}, exclude_none=True)
    document = {"name": scenario.name, "kind": scenario.kind, "description": scenario.description, **figures,
                "inputs": inputs, "caveats": caveats(scenario), "sources": sources_used(scenario)}
    return dumps_json(document)
