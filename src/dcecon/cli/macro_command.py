"""``dcecon macro``: GW -> GPUs, energy, power cost, capex and required revenue, beside Bain and Sequoia.

Every option overrides one field of a macro scenario, by default the bundled
``scenarios/bain-200gw-2030.toml``, so every default carries a source there.
A bad value is reported as one line naming the option and the field, e.g.
``dcecon: error: --demand-gw: fleet.demand_gw: Input should be greater than 0
(got -5.0)``, exit status 2.
"""

from __future__ import annotations

from dcecon.macro.scenario import DEFAULT_MACRO_SCENARIO
from dcecon.scenario.errors import ScenarioError

OPTIONS = (
    # (option, dotted path in the macro scenario, help)
    ("--demand-gw", "fleet.demand_gw", "facility power demand, PUE included [GW]"),
    ("--pue", "fleet.pue", "power usage effectiveness [-], >= 1"),
    ("--power-kw-per-gpu", "fleet.power_kw_per_gpu", "IT power per GPU at full load [kW]"),
    ("--electricity-usd-per-kwh", "fleet.electricity_usd_per_kwh", "electricity price [USD/kWh]"),
    ("--load", "fleet.load", "average draw as a fraction of the demand [-]"),
    ("--capex-usd-per-gw", "fleet.capex_usd_per_gw", "all-in capex per GW [USD/GW]"),
    ("--it-share-of-capex", "fleet.it_share_of_capex", "IT share of capex, recovered over --life-years [-]"),
    ("--life-years", "fleet.it_life_years", "economic life of the IT equipment [years]"),
    ("--facility-life-years", "fleet.facility_life_years", "economic life of the building [years]"),
    ("--opex-fraction-of-capex", "fleet.opex_fraction_of_capex_per_year", "opex a year / capex [-/year]"),
    ("--wacc", "fleet.wacc", "weighted average cost of capital [-/year]"),
    ("--other-cost-share", "fleet.other_cost_share", "share of revenue taken by other costs [-], < 1"),
    ("--annual-capex-usd", "bain.annual_capex_usd", "Bain: data-center capex a year [USD/year]"),
    ("--capex-to-revenue", "bain.capex_to_revenue", "Bain: capex as a fraction of revenue [-], > 0"),
    ("--nvidia-run-rate-usd", "sequoia.nvidia_datacenter_run_rate_usd",
     "Sequoia: Nvidia data-center run-rate [USD/year]"),
)


def _dest(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def _bundled_defaults() -> dict[str, object]:
    """Values of the bundled scenario by dotted path, for the help text (empty if it cannot be read)."""
    from dcecon.scenario import paths
    from dcecon.scenario.loader import load_raw

    try:
        raw, _ = load_raw(DEFAULT_MACRO_SCENARIO)
    except ScenarioError:
        return {}
    return {path: paths.get_value(raw, path) for _, path, _ in OPTIONS}


def register(sub) -> None:
    """Add ``dcecon macro`` to the sub-parsers."""
    defaults = _bundled_defaults()
    p = sub.add_parser("macro", help="GW of demand -> GPUs, energy, power cost, capex and the revenue needed to "
                                     "earn the WACC, beside Bain's $2T and Sequoia's $600B",
                       description="Defaults come from the scenario file (bundled: bain-200gw-2030.toml), where "
                                   "every figure carries a source.")
    p.add_argument("--scenario", default=str(DEFAULT_MACRO_SCENARIO), metavar="FILE",
                   help="a kind = \"macro\" scenario file or bundled name, e.g. sequoia-2024 (default: "
                        "bain-200gw-2030)")
    for option, path, text in OPTIONS:
        shown = defaults.get(path)
        p.add_argument(option, type=float, default=None, metavar="X",
                       help=f"{text}; sets {path}" + (f" (bundled: {shown:g})" if shown is not None else ""))
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override any field, e.g. --set fleet.wacc=0.08 (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    p.set_defaults(func=_cmd_macro)


def overrides_from(args) -> tuple[list[str], dict[str, str]]:
    """``PATH=VALUE`` overrides for the options given, and the option of each path."""
    overrides, option_of = list(args.set), {}
    for option, path, _ in OPTIONS:
        value = getattr(args, _dest(option))
        if value is not None:
            overrides.append(f"{path}={value!r}")  # repr is TOML: 200.0, 5e+20, nan, inf
            option_of[path] = option
    return overrides, option_of


def _cmd_macro(args) -> int:
    from dcecon.kinds import run_file
    from dcecon.scenario.bundled import resolve_scenario_path

    overrides, option_of = overrides_from(args)
    try:
        return run_file(resolve_scenario_path(args.scenario), overrides, args.json, kind="macro")
    except ScenarioError as exc:
        if exc.field in option_of:  # name the option the user typed, not the file it overrode
            raise ScenarioError(option_of[exc.field], exc.field, exc.message) from None
        raise
