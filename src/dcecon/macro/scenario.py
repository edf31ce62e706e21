"""Loading and evaluating macro and circular-deal scenario files.

Loading reuses :func:`dcecon.scenario.loader.load_raw` (``extends``,
``[sources]``, ``{ value, source }`` numbers, provenance); the top-level
``kind`` picks the schema (:data:`dcecon.macro.schema.SCHEMAS`); ``--set
PATH=VALUE`` overrides are checked against that schema's dotted paths; the
first validation problem becomes one :class:`ScenarioError` naming the file
and the field, as for fleet scenarios (:func:`dcecon.scenario.loader.validate`).
"""

from __future__ import annotations

import difflib
import importlib.resources
from pathlib import Path

from pydantic import BaseModel

from dcecon.macro import circular, model
from dcecon.macro.schema import SCHEMAS, CircularScenario, MacroScenario
from dcecon.scenario import paths
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import (
    HIDDEN_FIELDS,
    SET_PROVENANCE,
    load_raw,
    parse_assignment,
    parse_value,
    submodel,
    validate_model,
)



def _bundled_dir() -> Path:
    try:
        return Path(str(importlib.resources.files("dcecon.scenarios")))
    except ModuleNotFoundError:  # an install without the scenarios package: the source checkout's folder
        return Path(__file__).resolve().parents[3] / "scenarios"


SCENARIOS_DIR = _bundled_dir()
"""The bundled scenario files (package data ``dcecon.scenarios``: the repository's ``scenarios/``)."""

DEFAULT_MACRO_SCENARIO = SCENARIOS_DIR / "bain-200gw-2030.toml"
"""Where ``dcecon macro`` takes its defaults: every default carries a source there."""

NOT_SETTABLE = HIDDEN_FIELDS


def _schema_for(raw: dict, file) -> type[BaseModel]:
    kind = raw.get("kind")
    if kind not in SCHEMAS:
        hint = "is missing" if kind is None else f"is {kind!r}"
        raise ScenarioError(file, "kind", f"{hint}; a macro or circular-deal scenario says kind = \"macro\" or "
                                          f"kind = \"circular\" (run fleet scenarios with dcecon run)")
    return SCHEMAS[kind]


def check_path(schema: type[BaseModel], path: str) -> None:
    """Raise ``ScenarioError('--set', path, ...)`` unless ``path`` names a field of ``schema``."""
    node: type[BaseModel] | None = schema
    parts = paths.split(path)
    for depth, name in enumerate(parts):
        if node is None:
            raise ScenarioError(SET_PROVENANCE, path, f"{parts[depth - 1]!r} has no sub-fields")
        fields = node.model_fields
        if name not in fields or (depth == 0 and name in NOT_SETTABLE):
            known = [f for f in fields if depth or f not in NOT_SETTABLE]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (fields: {', '.join(known)})"
            raise ScenarioError(SET_PROVENANCE, path, f"no such field {name!r} in {node.__name__}{hint}")
        node = submodel(fields[name].annotation)
    if node is not None:
        raise ScenarioError(SET_PROVENANCE, path, "names a section, not a field")


def apply_overrides(schema: type[BaseModel], raw: dict, overrides, provenance: dict) -> dict:
    """Apply ``PATH=VALUE`` strings to a raw macro or circular scenario (in place) and return it."""
    for text in overrides:
        path, value_text = parse_assignment(text)
        check_path(schema, path)
        paths.set_value(raw, path, parse_value(value_text))
        provenance[path] = SET_PROVENANCE
    return raw


def validate(schema: type[BaseModel], raw: dict, provenance: dict, file):
    """Validate a raw dict against ``schema`` (see :func:`dcecon.scenario.loader.validate_model`)."""
    return validate_model(schema, raw, provenance, file)


def load_macro_scenario(path, overrides=()) -> tuple[MacroScenario | CircularScenario, dict[str, str]]:
    """Load, override and validate a macro or circular-deal scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML file with ``kind = "macro"`` or ``kind = "circular"``.
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
        Missing or malformed file, missing or unknown ``kind``, unknown key
        or source id, value out of bounds, ``--set`` on a path the schema
        does not have.
    """
    raw, provenance = load_raw(path)
    schema = _schema_for(raw, path)
    apply_overrides(schema, raw, overrides, provenance)
    scenario = validate(schema, raw, provenance, str(path))
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
