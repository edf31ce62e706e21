"""Which cited source backs which input: the "Sources behind the inputs" of every report."""

from __future__ import annotations

from typing import Any


def sources_used(scenario) -> list[dict[str, Any]]:
    """Each cited source with the fields that cite it, in file order.

    Parameters
    ----------
    scenario : Scenario, MacroScenario or UsefulLivesScenario
        Any scenario with ``provenance`` (field -> source id) and ``sources`` (id -> Source).

    Returns
    -------
    list of dict
        ``id``, ``fields`` and the source's ``title``, ``url``, ``as_of`` where the id is declared.
    """
    by_source: dict[str, list[str]] = {}
    for field, source in scenario.provenance.items():
        by_source.setdefault(source, []).append(field)
    out = []
    for source_id, fields in by_source.items():
        entry = {"id": source_id, "fields": fields}
        if source_id in scenario.sources:
            entry.update(scenario.sources[source_id].model_dump())
        out.append(entry)
    return out
