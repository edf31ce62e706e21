"""The macro figure: from gigawatts of demand to power cost, capex and the revenue that earns the WACC, beside
Bain's and Sequoia's required revenue (``dcecon run bain-200gw-2030 --plot``).

Every number is a figure of :func:`dcecon.macro.scenario.evaluate` (the same as ``dcecon run NAME --json``);
the only arithmetic here is "other costs" = required revenue - cost before other costs.
"""

from __future__ import annotations

import textwrap

from dcecon.report.plot import style

REVENUE_PARTS = (("power_cost_usd_per_year", "power"),
                 ("it_capital_charge_usd_per_year", "IT capital charge (capex x CRF)"),
                 ("facility_capital_charge_usd_per_year", "facility capital charge"),
                 ("opex_usd_per_year", "opex"))
"""The parts of the required revenue, in stacking order: (figure, legend label)."""

VIEWS = (("bain_required_revenue_usd_per_year", "Bain: revenue needed"),
         ("sequoia_required_revenue_usd_per_year", "Sequoia: revenue needed"))
"""The published views set beside the model's required revenue: (figure, bar label)."""


CHAIN_CHARS_PER_LINE = 100
"""Characters per line of the chain's text box (it wraps inside the axes, so nothing is cut at the edge)."""


def chain_text(scenario, figures: dict) -> str:
    """The chain from demand to capex, in one line (``200 GW demand -> 166.7 GW IT at PUE 1.2 -> ...``)."""
    fleet = scenario.fleet
    return (f"{fleet.demand_gw:,.0f} GW demand -> {figures['it_power_gw']:,.1f} GW IT at PUE {fleet.pue:g} -> "
            f"{figures['gpus'] / 1e6:,.1f} M GPUs -> {figures['energy_twh_per_year']:,.0f} TWh/year -> "
            f"${figures['power_cost_usd_per_year'] / 1e9:,.0f}B/year of power; capex "
            f"${figures['capex_usd'] / 1e12:,.2f}T (IT ${figures['it_capex_usd'] / 1e12:,.2f}T, facility "
            f"${figures['facility_capex_usd'] / 1e12:,.2f}T) at WACC {fleet.wacc:.0%}")


def macro_chain(scenario, figures: dict):
    """Required revenue per year, stacked by what it pays for, beside Bain's and Sequoia's figures.

    Parameters
    ----------
    scenario : MacroScenario
        With a ``[fleet]`` table; ``[bain]`` and ``[sequoia]`` add their bars.
    figures : dict
        :func:`dcecon.macro.scenario.evaluate` of it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from dcecon.scenario.errors import ScenarioError

    if "required_revenue_usd_per_year" not in figures:
        raise ScenarioError(scenario.name, "fleet", "the macro figure needs a [fleet] table (demand to required "
                                                    "revenue); this scenario has none")
    views = [(key, text) for key, text in VIEWS if key in figures]
    every = [figures["required_revenue_usd_per_year"]] + [figures[key] for key, _ in views]
    factor, unit = style.money_scale(every)
    figure, ax = style.new_figure(size=(8.0, 5.2))
    bottom = 0.0
    parts = [(figures[key], text) for key, text in REVENUE_PARTS]
    other = figures["required_revenue_usd_per_year"] - figures["cost_usd_per_year"]
    if other:
        parts.append((other, f"other costs ({scenario.fleet.other_cost_share:.0%} of revenue)"))
    for i, (value, text) in enumerate(parts):
        ax.bar([0], [value / factor], bottom=bottom, width=0.6, label=text, **style.fill(i))
        bottom += value / factor
    ax.text(0, bottom, f"${figures['required_revenue_usd_per_year'] / factor:,.2f} {unit.split()[0]}",
            ha="center", va="bottom", fontsize=8, parse_math=False)
    for j, (key, text) in enumerate(views, start=1):
        ax.bar([j], [figures[key] / factor], width=0.6, facecolor="white", edgecolor="black",
               hatch=style.HATCHES[(j + 3) % len(style.HATCHES)], linewidth=0.8)
        ax.text(j, figures[key] / factor, f"${figures[key] / factor:,.2f} {unit.split()[0]}", ha="center",
                va="bottom", fontsize=8, parse_math=False)
    ax.set_xticks(range(len(views) + 1), ["required revenue\nto earn the WACC"] + [t for _, t in views], fontsize=8)
    ax.set_ylabel(style.label("revenue per year", f"{unit}/year"))
    ax.set_xlabel(style.label("view", "model or published figure"))
    ax.set_title(f"{scenario.name}: what {scenario.fleet.demand_gw:,.0f} GW must earn", fontsize=10)
    ax.text(0.01, 0.99, textwrap.fill(chain_text(scenario, figures), CHAIN_CHARS_PER_LINE), transform=ax.transAxes,
            va="top", ha="left", fontsize=6.5, parse_math=False, bbox={"facecolor": "white", "edgecolor": "0.6", "linewidth": 0.5})
    ax.set_ylim(0.0, max(every) / factor * 1.3)
    ax.legend(fontsize=7, loc="center right")
    style.add_source(figure, f"{style.scenario_source(scenario)}; steady state, pre-tax, built at once "
                             "(dcecon run NAME --json has every figure and caveat)")
    return figure


def macro_figures(scenario, figures: dict) -> dict:
    """The macro figure, by file stem."""
    return {"macro-chain": macro_chain(scenario, figures)}
