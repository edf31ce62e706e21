"""From raw scenario input to a validated pydantic model, or one line naming the field.

Shared by every kind of scenario file (fleet, macro, circular, useful-lives):

- :func:`check_nesting` refuses documents nested deeper than
  :data:`MAX_NESTING_DEPTH` before any recursive code (our walkers, pydantic)
  sees them, so a 5,000-deep array is one line, not a ``RecursionError``;
- :func:`validate_model` validates a raw dict against a schema and turns the
  first problem (unknown keys first) into a :class:`ScenarioError` with a
  "did you mean" hint for misspelt keys.
"""

from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel, ValidationError

from dcecon.scenario.errors import ScenarioError

HIDDEN_FIELDS = ("kind", "sources", "provenance")
"""Fields a "did you mean" hint never proposes."""

MAX_NESTING_DEPTH = 32
"""Deepest nesting of tables and arrays a scenario document may have [levels]; the deepest bundled file needs 5
(``companies.meta.capex_usd_by_year.2024.value``)."""


def nesting_problem(node, limit: int = MAX_NESTING_DEPTH) -> tuple[str | None, str] | None:
    """Where a document nests deeper than ``limit``, or None.

    Walks with an explicit stack (no recursion), so any depth is safe.

    Parameters
    ----------
    node : object
        A parsed TOML document or value (dicts, lists, scalars).
    limit : int
        Deepest allowed nesting [levels]; a scalar is level 0, ``{"a": 1}`` level 1.

    Returns
    -------
    (str or None, str) or None
        The top-level key under which the nesting is too deep (None for a bare
        value) and the message, or None when the document is shallow enough.
    """
    stack = [(node, 0, None)]
    while stack:
        item, depth, top = stack.pop()
        if isinstance(item, dict):
            children = [(value, key if top is None and depth == 0 else top) for key, value in item.items()]
        elif isinstance(item, list):
            children = [(value, top) for value in item]
        else:
            continue
        if depth + 1 > limit:
            return top, nesting_message(limit)
        stack.extend((child, depth + 1, key) for child, key in children)
    return None


def nesting_message(limit: int = MAX_NESTING_DEPTH) -> str:
    """The one message of a too-deep document."""
    return f"nesting deeper than {limit} levels (tables or arrays inside each other)"


def check_nesting(node, file, field: str | None = None) -> None:
    """Raise :class:`ScenarioError` naming ``file`` when ``node`` nests deeper than :data:`MAX_NESTING_DEPTH`.

    Parameters
    ----------
    node : object
        A parsed document (``field`` None: the problem names its top-level key) or one value (at ``field``).
    file : str or Path or None
        Where the input came from (a file, or ``--set``).
    field : str, optional
        Dotted path of ``node`` itself.
    """
    problem = nesting_problem(node)
    if problem is not None:
        top, message = problem
        raise ScenarioError(file, field or top, message)


def submodel(annotation) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``Fleet`` of ``Optional[Fleet]``), or None."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def field_model(annotation) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds, and whether it holds many of them.

    ``(Fleet, False)`` for ``Optional[Fleet]``, ``(Cohort, True)`` for
    ``list[Cohort]``, ``(Company, True)`` for ``dict[str, Company]``,
    ``(None, True)`` for a table of numbers, ``(None, False)`` for a number.
    """
    for candidate in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(candidate) in (list, dict):
            args = typing.get_args(candidate)
            return (submodel(args[-1]) if args else None), True
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate, False
    return None, False


def fields_at(schema: type[BaseModel], loc) -> list[str]:
    """Names of the fields of the (sub)model at ``loc`` (``('cohorts', 0)`` -> the fields of ``Cohort``).

    After a list or table of models the next part (an index, a key such as
    ``meta``) picks an item and is skipped: the element model was unwrapped
    already, so a company called ``name`` is not read as the field ``name``.
    """
    node: type[BaseModel] | None = schema
    skip_item = False
    for part in loc:
        if node is None:
            break
        if skip_item:
            skip_item = False
            continue
        if isinstance(part, str) and part in node.model_fields:
            node, skip_item = field_model(node.model_fields[part].annotation)
    return [] if node is None else [f for f in node.model_fields if f not in HIDDEN_FIELDS]


def validation_message(schema: type[BaseModel], error: dict) -> str:
    """One line for a pydantic error: unknown keys get a "did you mean" hint from the schema."""
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), fields_at(schema, error["loc"][:-1]), n=1)
        return f"unknown field; did you mean {close[0]!r}?" if close else \
            "unknown field (not in the scenario schema; check the spelling)"
    if error["type"] == "missing":
        return "is required but missing"
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], (dict, list)):
        message += f" (got {error['input']!r})"
    return message


def error_field(loc) -> str | None:
    """Dotted field of a pydantic ``loc``; a dict key's own error (``'[key]'``) names the key."""
    parts = [str(part) for part in loc if part != "[key]"]
    return ".".join(parts) or None


def validate_model(schema: type[BaseModel], raw: dict, provenance: dict, file):
    """Validate a raw dict against ``schema``; the first problem (unknown keys first) is a :class:`ScenarioError`.

    Parameters
    ----------
    schema : type of BaseModel
        The scenario model; it must have a ``provenance`` dict, which is filled.
    raw : dict
        The document after sources are stripped and ``--set`` applied.
    provenance : dict
        Source id (or ``--set``) by dotted path.
    file : str or Path or None
        Named in the error.

    Returns
    -------
    BaseModel
        The validated scenario.
    """
    check_nesting(raw, file)
    try:
        scenario = schema.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        raise ScenarioError(file, error_field(error["loc"]), validation_message(schema, error)) from None
    scenario.provenance.update(provenance)
    return scenario
