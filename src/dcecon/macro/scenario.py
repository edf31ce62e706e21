"""Loading and evaluating macro and circular-deal scenario files.

Loading is the one of every scenario kind (:mod:`dcecon.scenario`): a path
or bundled name, ``extends``, ``[sources]``, ``{ value, source }`` numbers
and provenance by :func:`dcecon.scenario.loader.load_raw`; the top-level
``kind`` picks the schema (:data:`dcecon.macro.schema.SCHEMAS`); ``--set
PATH=VALUE`` overrides are checked against that schema's dotted paths
(:func:`dcecon.scenario.paths.apply_overrides`); the first validation
problem becomes one :class:`ScenarioError` naming the file and the field
(:func:`dcecon.scenario.validation.validate_model`).
"""

from __future__ import annotations

from pydantic import BaseModel

from dcecon.macro import circular, model
from dcecon.macro.schema import SCHEMAS, CircularScenario, MacroScenario
from dcecon.scenario.bundled import bundled_dir
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import load_document

SCENARIOS_DIR = bundled_dir()
"""The bundled scenario files (package data ``dcecon.scenarios``: the repository's ``scenarios/``)."""

DEFAULT_MACRO_SCENARIO = SCENARIOS_DIR / "bain-200gw-2030.toml"
"""Where ``dcecon macro`` takes its defaults: every default carries a source there."""


def schema_for(raw: dict, file) -> type[BaseModel]:
    """The schema of a raw macro or circular document by its ``kind``; a :class:`ScenarioError` naming ``file`` and
    ``kind`` for any other kind (a fleet file has none)."""
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        hint = "is missing" if kind is None else f"is {kind!r}"
        raise ScenarioError(file, "kind", f"{hint}; a macro or circular-deal scenario says kind = \"macro\" or "
                                          f"kind = \"circular\" (run fleet scenarios with dcecon run)")
    return SCHEMAS[kind]


def load_macro_scenario(path, overrides=()) -> tuple[MacroScenario | CircularScenario, dict[str, str]]:
    """Load, override and validate a macro or circular-deal scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML file with ``kind = "macro"`` or ``kind = "circular"``, or the
        name of a bundled one (``"sequoia-2024"``).
    overrides : iterable of str
        ``PATH=VALUE`` strings as given to ``--set`` (e.g. ``fleet.wacc=0.08``).

    Returns
    -------
    (MacroScenario or CircularScenario, dict)
        The validated scenario and its provenance (source id by dotted path;
        ``--set`` for an override), also kept in ``scenario.provenance``.

    Raises
    ------
    ScenarioError
        ``path`` not a path or name, a missing or malformed file, missing or
        unknown ``kind``, unknown key or source id, value out of bounds,
        ``--set`` on a path the schema does not have.
    """
    scenario = load_document(path, overrides, schema_for, "load_macro_scenario")
    return scenario, scenario.provenance


def evaluate_macro(scenario: MacroScenario) -> dict[str, float]:
    """The figures of a macro scenario, by name with units.

    Returns
    -------
    dict
        With ``[fleet]``: the figures of :func:`dcecon.macro.model.fleet_figures`.
        With ``[bain]``: ``bain_required_revenue_usd_per_year`` and, given the
        expected revenue, ``bain_shortfall_usd_per_year``. With ``[sequoia]``:
        ``sequoia_required_revenue_usd_per_year`` and, given the identified
        revenue, ``sequoia_gap_usd_per_year``. With the fleet and either
        other view: ``required_revenue_to_bain`` / ``required_revenue_to_sequoia``
        (WACC-based required revenue over theirs).
    """
    figures: dict[str, float] = {}
    if scenario.fleet is not None:
        figures.update(model.fleet_figures(**scenario.fleet.model_dump()))
    if scenario.bain is not None:
        b = scenario.bain
        figures["bain_required_revenue_usd_per_year"] = model.bain_required_revenue_usd(b.annual_capex_usd,
                                                                                        b.capex_to_revenue)
        if b.revenue_expected_usd is not None:
            figures["bain_shortfall_usd_per_year"] = figures["bain_required_revenue_usd_per_year"] - \
                b.revenue_expected_usd
    if scenario.sequoia is not None:
        s = scenario.sequoia
        figures["sequoia_required_revenue_usd_per_year"] = model.sequoia_required_revenue_usd(
            s.nvidia_datacenter_run_rate_usd, s.gpu_share_of_tco, s.end_user_gross_margin)
        if s.revenue_identified_usd is not None:
            figures["sequoia_gap_usd_per_year"] = figures["sequoia_required_revenue_usd_per_year"] - \
                s.revenue_identified_usd
    if scenario.fleet is not None:
        for view in ("bain", "sequoia"):
            if f"{view}_required_revenue_usd_per_year" in figures:
                figures[f"required_revenue_to_{view}"] = (figures["required_revenue_usd_per_year"]
                                                          / figures[f"{view}_required_revenue_usd_per_year"])
    return {name: float(value) for name, value in figures.items()}


def evaluate_circular(scenario: CircularScenario) -> dict[str, float]:
    """The figures of a circular-deal scenario, by name with units.

    Returns
    -------
    dict
        :func:`dcecon.macro.circular.deal_summary` with ``[investment]`` and
        ``[build]``, :func:`~dcecon.macro.circular.contract_summary` with
        ``[contract]`` (plus ``last_contract_year``), and
        :func:`~dcecon.macro.circular.loop_summary` with all three.
    """
    inv, build, contract = scenario.investment, scenario.build, scenario.contract
    deal_args = () if inv is None else (inv.investment_usd, inv.deployed_gw, build.capex_usd_per_gw,
                                         build.supplier_systems_usd_per_gw)
    contract_args = () if contract is None else (contract.payments_usd_per_year, contract.contract_years,
                                                 contract.contracted_gw, contract.customer_revenue_usd_per_year)
    if deal_args and contract_args:
        figures = circular.loop_summary(*deal_args, *contract_args)
    elif deal_args:
        figures = circular.deal_summary(*deal_args)
    else:
        figures = circular.contract_summary(*contract_args)
    if contract is not None:
        figures["last_contract_year"] = contract.first_year + contract.contract_years - 1
    return {name: float(value) for name, value in figures.items()}


def evaluate(scenario) -> dict[str, float]:
    """:func:`evaluate_macro` or :func:`evaluate_circular`, by the scenario's kind."""
    return evaluate_macro(scenario) if isinstance(scenario, MacroScenario) else evaluate_circular(scenario)
