"""The model's value for each claim, and its error against the published figure.

Each bundled scenario that a claim names is run once, through the kinds registry (:mod:`dcecon.kinds`) on the
NumPy backend in float64, and turned into the very object ``dcecon run NAME --json --backend numpy`` prints;
each claim's ``value`` path is read out of it. The error of a claim is

- ``model - published`` for ``ratio`` claims (fractions of one: margins, shares, growth rates), so a margin of
  16 % against a published 14 % is +0.02 (2 percentage points), and a margin near zero does not blow up; and
  for ``calendar_year`` claims (a date: 2030 against 2029 is +1 year);
- ``model / published - 1`` for every other unit (dollars, GW, years, multiples...), so $5.29B against $3.9B
  is +0.356 (36 % too high); a published 0 has no relative error (None).

A claim whose scenario fails to run, or whose path is missing or not a finite number, is an error row: its
``problem`` says why, and it has no model value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dcecon.fidelity.claims import STATUSES, Claim

BACKEND = "numpy"
"""The backend every claim is evaluated on (the reference model)."""

DTYPE = "float64"
"""The floating dtype every claim is evaluated in."""

DIFFERENCE_UNITS = ("ratio", "calendar_year")
"""Units whose error is ``model - published`` (a fraction of one; a date in years); every other unit's error is
``model / published - 1``."""

ERROR_STATUS = "error"
"""The group of claims that could not be evaluated (counted after the statuses)."""


class MissingValue(LookupError):
    """A value path that the ``--json`` object does not have, or that holds no finite number."""


@dataclass(frozen=True)
class ClaimRow:
    """One claim beside the model's value for it.

    Attributes
    ----------
    claim : Claim
        The claim as its file states it.
    file : str
        Name of the claim file it comes from (``useful_lives.toml``).
    model : float or None
        The model's value at ``claim.value`` [claim.unit]; None for a not-covered claim or an error row.
    error : float or None
        :func:`claim_error` of ``model`` against ``claim.published`` [-]; None without a model value.
    problem : str or None
        Why a claim with a scenario has no model value (the scenario failed, the path is missing); None otherwise.
    """

    claim: Claim
    file: str
    model: float | None
    error: float | None
    problem: str | None = None

    @property
    def group(self) -> str:
        """The claim's status, or :data:`ERROR_STATUS` for an error row."""
        return ERROR_STATUS if self.problem is not None else self.claim.status


def error_kind(unit: str) -> str:
    """``"difference"`` for the units of :data:`DIFFERENCE_UNITS` (``ratio``, ``calendar_year``), ``"relative"``
    for the others."""
    return "difference" if unit in DIFFERENCE_UNITS else "relative"


def claim_error(model: float, published: float, unit: str) -> float | None:
    """The model's error against a published figure.

    Parameters
    ----------
    model : float
        The model's value [unit].
    published : float
        The published figure [unit].
    unit : str
        The claim's unit; it picks the kind of error (:func:`error_kind`).

    Returns
    -------
    float or None
        ``model - published`` for a ratio [-, a fraction of one: 0.02 is 2 percentage points] and a calendar
        year [years]; otherwise
        ``model / published - 1`` [-, 0.356 is 35.6 % too high]; None when a relative error has a published 0.
    """
    if error_kind(unit) == "difference":
        return model - published
    if published == 0:
        return None
    return model / published - 1.0


def _child(node: Any, part: str, done: str) -> Any:
    """The item ``part`` of a JSON table or list; :class:`MissingValue` naming the path read so far."""
    where = f"'{done}'" if done else "the top level"
    if isinstance(node, Mapping):
        if part in node:
            return node[part]
        keys = ", ".join(sorted(map(str, node)))
        shown = keys if len(keys) <= 200 else keys[:197] + "..."
        raise MissingValue(f"{where} has no key {part!r} (keys: {shown})")
    if isinstance(node, list):
        try:
            return node[int(part)]
        except ValueError:
            named = [item for item in node if isinstance(item, Mapping) and part in (item.get("name"), item.get("id"))]
            if named:
                return named[0]
            raise MissingValue(f"{where} is a list with no item named {part!r}") from None
        except IndexError:
            raise MissingValue(f"{where} is a list of {len(node)} items; no item {part}") from None
    raise MissingValue(f"{where} is a {type(node).__name__}, not a table or a list; no {part!r} under it")


def read_value(document: Mapping, path: str) -> float:
    """The number at a dotted path of a ``--json`` object.

    Parameters
    ----------
    document : Mapping
        The object ``dcecon run NAME --json`` prints, parsed.
    path : str
        Dotted path: table keys, list items by index (``cohorts.1``, ``cohorts.-1``) or by their ``name``/``id``
        (``cohorts.h100-2023``).

    Returns
    -------
    float
        The number there.

    Raises
    ------
    MissingValue
        A part of the path is missing, or the value is not a finite number (``"inf"``, ``"nan"``, text, a table).
    """
    node: Any = document
    done: list[str] = []
    for part in path.split("."):
        node = _child(node, part, ".".join(done))
        done.append(part)
    if isinstance(node, bool) or not isinstance(node, (int, float)) or not math.isfinite(node):
        shown = repr(node) if len(repr(node)) <= 60 else repr(node)[:57] + "..."
        raise MissingValue(f"'{path}' is not a finite number (got {shown})")
    return float(node)


def scenario_output(name: str) -> dict:
    """The object ``dcecon run NAME --json --backend numpy`` prints, for a bundled scenario.

    Parameters
    ----------
    name : str
        A bundled scenario name.

    Returns
    -------
    dict
        The parsed JSON of the scenario's kind (:attr:`dcecon.kinds.ScenarioKind.to_json`), evaluated on
        :data:`BACKEND` in :data:`DTYPE`.
    """
    from dcecon.kinds import kind_named
    from dcecon.scenario.bundled import resolve_scenario_path, scenario_kind

    path = resolve_scenario_path(name)
    kind = kind_named(scenario_kind(path), path)
    scenario = kind.load(path, ())
    return json.loads(kind.to_json(scenario, kind.evaluate(scenario, BACKEND, DTYPE)))


def _outputs(names: Iterable[str]) -> dict[str, dict | str]:
    """Each scenario's ``--json`` object, or the one-line reason it could not be run."""
    outputs: dict[str, dict | str] = {}
    for name in names:
        try:
            outputs[name] = scenario_output(name)
        except Exception as exc:  # any failure of one scenario is that scenario's error rows, not the report's end
            outputs[name] = f"scenario {name!r} failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
    return outputs


def claim_row(claim: Claim, file: str, output: dict | str | None) -> ClaimRow:
    """One claim beside its scenario's output (None for a not-covered claim, text for a failed scenario)."""
    if claim.scenario is None:
        return ClaimRow(claim, file, None, None)
    if isinstance(output, str):
        return ClaimRow(claim, file, None, None, output)
    try:
        model = read_value(output, claim.value)
    except MissingValue as exc:
        return ClaimRow(claim, file, None, None, f"dcecon run {claim.scenario} --json: {exc}")
    return ClaimRow(claim, file, model, claim_error(model, claim.published, claim.unit))


def evaluate_claims(claims: Iterable[tuple[Any, Claim]]) -> list[ClaimRow]:
    """Every claim beside the model's value; each scenario named by a claim is run once.

    Parameters
    ----------
    claims : iterable of (path, Claim)
        As :func:`dcecon.fidelity.claims.load_claims` returns them.

    Returns
    -------
    list of ClaimRow
        Grouped by :data:`STATUSES` order (error rows first), file order within a group.
    """
    claims = list(claims)
    outputs = _outputs(dict.fromkeys(c.scenario for _, c in claims if c.scenario is not None))
    rows = [claim_row(claim, getattr(path, "name", str(path)), outputs.get(claim.scenario))
            for path, claim in claims]
    order = {group: i for i, group in enumerate((ERROR_STATUS,) + STATUSES)}
    return sorted(rows, key=lambda row: order[row.group])


def status_counts(rows: Iterable[ClaimRow]) -> dict[str, int]:
    """How many rows each status has, error rows apart, in report order (:data:`STATUSES`, then ``error``)."""
    rows = list(rows)
    return {group: sum(row.group == group for row in rows) for group in STATUSES + (ERROR_STATUS,)}


def uncovered_scenarios(claims: Iterable[tuple[Any, Claim]], names: Iterable[str]) -> list[str]:
    """The scenarios of ``names`` that no claim names (their published figures are not listed yet)."""
    named = {claim.scenario for _, claim in claims}
    return [name for name in names if name not in named]
