"""The scenario behind a page: its inputs with their units and sources, and the sources as links.

The inputs are read from the validated scenario (any kind: a pydantic model), field by field in schema order;
each field's unit is the first ``[...]`` of its description, as in the figures' axis labels.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from pydantic import BaseModel

from dcecon.report.html.markup import Cell, attributes, link, section, table
from dcecon.report.units import description_unit, unit_text
from dcecon.scenario.sources import sources_used

SHOWN_ELSEWHERE = ("kind", "name", "description", "notes", "sources", "provenance")
"""Fields the inputs table leaves out: the page's title shows them, or the sources table does."""

COMMAND_LINE_SOURCE = "--set"
"""The source id of a value changed on the command line."""


def value_text(value) -> str:
    """An input as it shows: numbers to 10 significant digits (``2025.416667``), text as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.10g}"


def input_rows(model: BaseModel, prefix: str = "") -> list[tuple[str, object, str, str]]:
    """Every set input of a scenario: ``(path, value, unit, description)`` in schema order.

    Parameters
    ----------
    model : pydantic.BaseModel
        A validated scenario or one of its tables.
    prefix : str
        The dotted path of ``model`` in the scenario (``cohorts.0.``).

    Returns
    -------
    list of tuple
        Nested tables are walked (``site.pue``), lists of tables by index (``cohorts.0.gpus``), tables of
        values by key (``grid.cohorts.0.utilization``); unset optional fields (None) are left out.
    """
    rows = []
    for name, field in type(model).model_fields.items():
        if not prefix and name in SHOWN_ELSEWHERE:
            continue
        value, path = getattr(model, name), f"{prefix}{name}"
        if value is None:
            continue
        if isinstance(value, BaseModel):
            rows += input_rows(value, f"{path}.")
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, BaseModel) for v in value):
            for index, item in enumerate(value):
                rows += input_rows(item, f"{path}.{index}.")
        elif isinstance(value, dict):
            rows += [(f"{path}.{key}", item, "", field.description or "") for key, item in value.items()]
        else:
            unit = description_unit(field.description, "")
            rows.append((path, value, unit_text(unit, path) if unit else "", field.description or ""))
    return rows


def source_anchor(source_id: str) -> str:
    """The in-page anchor of a source's row (``source-eia-2023``)."""
    return "source-" + re.sub(r"[^A-Za-z0-9_-]", "-", source_id)


def inputs_table(scenario) -> str:
    """The scenario's inputs: path (its description on hover), value, unit, and the source that backs it
    (linked to its row of the sources table)."""
    provenance = getattr(scenario, "provenance", {}) or {}
    rows = []
    for path, value, unit, description in input_rows(scenario):
        source = provenance.get(path, "")
        cited = Cell(source, markup=f'<a href="#{source_anchor(source)}">{escape(source)}</a>') if source else ""
        shown = Cell(path, markup=f"<span{attributes(title=description or None)}>{escape(path)}</span>")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        rows.append([shown, Cell(value_text(value), float(value) if number else None), unit, cited])
    return table(f"Inputs of {scenario.name} (after any --set)", ("input", "value", "unit", "source"), rows,
                 "inputs", numeric={1})


def publisher(url: str) -> str:
    """Who publishes a source, read from its address (``www.bain.com``); ``""`` without one."""
    return urlsplit(url).netloc if url else ""


def sources_table(scenario) -> str:
    """Each cited source: id, title linked to its address, site, as-of date, note, and the inputs it backs."""
    rows, keys = [], []
    for entry in sources_used(scenario):
        url = entry.get("url", "")
        title = entry.get("title", "(command line)" if entry["id"] == COMMAND_LINE_SOURCE else "")
        anchor = f'<span{attributes(id=source_anchor(entry["id"]))}>{escape(entry["id"])}</span>'
        rows.append([Cell(entry["id"], markup=anchor), Cell(title, markup=link(url, title) if url else None),
                     publisher(url), entry.get("as_of", ""), entry.get("note", ""), ", ".join(entry["fields"])])
        keys.append(entry["id"])
    return table("Sources behind the inputs", ("id", "source", "site", "as of", "note", "inputs"), rows,
                 "sources", numeric=set(), row_keys=keys)


def scenario_sections(scenario) -> list[str]:
    """The inputs section and, when the scenario cites any, the sources section."""
    parts = [section("Inputs", inputs_table(scenario), key="inputs")]
    if sources_used(scenario):
        parts.append(section("Sources", sources_table(scenario), key="sources"))
    return parts
