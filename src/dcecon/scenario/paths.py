"""Dotted paths into a scenario, for every kind of scenario file: the one module that reads them.

A path names one field of a schema (a pydantic model): ``site.pue``,
``fleet.wacc``, ``window_first_year``. Inside a list of models an item is
named by index (``cohorts.0.utilization``, ``cohorts.-1...``), by its
``name`` (``cohorts.blackwell.utilization``) or ``*`` for every item; inside
a table of models by its key (``companies.meta.server_share``) or ``*``; a
table of numbers takes any key of its key type
(``companies.meta.capex_usd_by_year.2030``, a new year adds a vintage).

The same paths serve ``--set`` (:func:`apply_overrides`, every loader),
grid axes (``--axis``) and calibration (``--free``):

- :func:`split` a path into parts;
- :func:`field_spec` checks a path against a schema alone and returns the
  field with its numeric bounds (:class:`FieldSpec`);
- :func:`expand` checks it against a raw document too and returns the
  concrete paths (names and ``*`` become indices or keys);
- :func:`get_value` / :func:`set_value` read and write a concrete path of a
  raw document;
- :func:`parse_assignment`, :func:`parse_value` and :func:`apply_overrides`
  turn ``PATH=VALUE`` strings into changes with provenance ``--set``.

Fields that are the file's bookkeeping (:data:`NOT_ADDRESSABLE`) have no path.
"""

from __future__ import annotations

import difflib
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass

import annotated_types
from pydantic import BaseModel, TypeAdapter, ValidationError

from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.schema import Scenario
from dcecon.scenario.validation import check_nesting, nesting_message

WILDCARD = "*"
"""Selector of every item of a list or table: ``cohorts.*.utilization``."""

SET_OPTION = "--set"
"""The option of ``PATH=VALUE`` overrides, named in their errors."""

SET_PROVENANCE = "--set"
"""Provenance of an overridden field."""

NOT_ADDRESSABLE = ("kind", "sources", "provenance", "grid")
"""Fields no dotted path reaches: the kind picks the schema, sources and provenance are bookkeeping, and
``grid`` holds the axes themselves."""


@dataclass(frozen=True)
class FieldSpec:
    """What a path points at: the model field and its numeric bounds."""

    path: str
    model: type
    name: str
    numeric: bool
    lower: float | None
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool
    description: str

    def check(self, value: float) -> str | None:
        """The reason ``value`` is out of bounds, or None."""
        if self.lower is not None:
            if value < self.lower or (value == self.lower and not self.lower_inclusive):
                op = ">=" if self.lower_inclusive else ">"
                return f"must be {op} {self.lower:g} (got {value:g})"
        if self.upper is not None:
            if value > self.upper or (value == self.upper and not self.upper_inclusive):
                op = "<=" if self.upper_inclusive else "<"
                return f"must be {op} {self.upper:g} (got {value:g})"
        return None


def split(path: str) -> list[str]:
    """``'cohorts.0.utilization'`` -> ``['cohorts', '0', 'utilization']``."""
    if not isinstance(path, str):
        raise ScenarioError(None, str(path), "is not a dotted path such as cohorts.0.utilization")
    parts = path.strip().split(".")
    if not path.strip() or any(not p for p in parts):
        raise ScenarioError(None, path, "is not a dotted path such as cohorts.0.utilization")
    return parts


# --- the shape of a schema field ---------------------------------------------------------------------------------

def _unwrap(annotation) -> tuple[object, list]:
    """``annotation`` without ``Optional`` and ``Annotated``, and the metadata ``Annotated`` carried."""
    metadata: list = []
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
            for meta in args[1:]:
                metadata.extend(getattr(meta, "metadata", [meta]))
            continue
        if origin is typing.Union:
            others = [a for a in args if a is not type(None)]
            if len(others) == 1:
                annotation = others[0]
                continue
        return annotation, metadata


def _model(annotation) -> type[BaseModel] | None:
    base, _ = _unwrap(annotation)
    return base if isinstance(base, type) and issubclass(base, BaseModel) else None


def _is_numeric(base) -> bool:
    if base in (float, int):
        return True
    if typing.get_origin(base) is typing.Literal:
        return all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in typing.get_args(base))
    return False


def _leaf_spec(path: str, model: type, name: str, annotation, metadata, description: str) -> FieldSpec:
    base, inner = _unwrap(annotation)
    lower = upper = None
    lower_inc = upper_inc = True
    for meta in [*metadata, *inner]:
        if isinstance(meta, annotated_types.Ge):
            lower, lower_inc = float(meta.ge), True
        elif isinstance(meta, annotated_types.Gt):
            lower, lower_inc = float(meta.gt), False
        elif isinstance(meta, annotated_types.Le):
            upper, upper_inc = float(meta.le), True
        elif isinstance(meta, annotated_types.Lt):
            upper, upper_inc = float(meta.lt), False
    return FieldSpec(path, model, name, _is_numeric(base), lower, lower_inc, upper, upper_inc, description)


def _label(model: type[BaseModel], root: type[BaseModel]) -> str:
    return "scenario" if model is root else model.__name__.lower()


def _no_such_field(path: str, name: str, model: type[BaseModel], root: type[BaseModel], file) -> ScenarioError:
    known = [f for f in model.model_fields if f not in NOT_ADDRESSABLE]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ScenarioError(file, path, f"no such field {name!r} in {_label(model, root)}{hint}")


def _is_index(text: str) -> bool:
    return text.isdigit() or (text.startswith("-") and text[1:].isdigit())


# --- selectors: which items of a list or table a path part names ------------------------------------------------

def _list_selection(items, selector: str, label: str, path: str, file) -> list[int]:
    """Indices of the ``items`` that ``selector`` names (an index, a name or ``*``)."""
    items = items if isinstance(items, list) else []
    if selector == WILDCARD:
        return list(range(len(items)))
    if _is_index(selector):
        index = int(selector)
        if not -len(items) <= index < len(items):
            raise ScenarioError(file, path, f"there is no {label} {index} (the scenario has {len(items)})")
        return [index % len(items)]
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if selector in names:
        return [names.index(selector)]
    known = [n for n in names if isinstance(n, str)]
    close = difflib.get_close_matches(selector, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (the scenario has {', '.join(known) or 'none'})"
    raise ScenarioError(file, path, f"there is no {label} named {selector!r}{hint}")


def _table_selection(table, selector: str, label: str, path: str, file) -> list[str]:
    """Keys of ``table`` that ``selector`` names (a key or ``*``)."""
    keys = [str(k) for k in table] if isinstance(table, dict) else []
    if selector == WILDCARD:
        return keys
    if selector in keys:
        return [selector]
    close = difflib.get_close_matches(selector, keys, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (the scenario has {', '.join(keys) or 'none'})"
    raise ScenarioError(file, path, f"there is no {label} {selector!r}{hint}")


def _child(node, part):
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and _is_index(part) and -len(node) <= int(part) < len(node):
        return node[int(part)]
    return None


def _walk(schema: type[BaseModel], path: str, file, raw) -> tuple[FieldSpec, list[str] | None]:
    """The field ``path`` names in ``schema`` and, with a ``raw`` document, its concrete paths."""
    parts = split(path)
    model = schema
    branches: list[tuple[list[str], object]] | None = None if raw is None else [([], raw)]

    def descend(part, expanded=None):
        nonlocal branches
        if branches is None:
            return
        if expanded is None:
            branches = [(prefix + [part], _child(node, part)) for prefix, node in branches]
        else:
            branches = [(prefix + [key], _child(node, key)) for prefix, node in branches for key in expanded(node)]

    i = 0
    while True:
        if i == len(parts):
            raise ScenarioError(file, path, "names a section, not a field")
        name = parts[i]
        if name not in model.model_fields or name in NOT_ADDRESSABLE:
            raise _no_such_field(path, name, model, schema, file)
        info = model.model_fields[name]
        descend(name)
        i += 1
        base, _ = _unwrap(info.annotation)
        origin, args = typing.get_origin(base), typing.get_args(base)
        element = _model(args[-1]) if origin in (list, dict) and args else None
        if _model(base) is not None:
            model = _model(base)
            continue
        if element is not None:  # a list or a table of models: the next part picks items
            label = element.__name__.lower()
            choice = "<index|name|*>" if origin is list else "<id|*>"
            if i + 1 >= len(parts):
                raise ScenarioError(file, path, f"name a {label} and a field: {'.'.join(parts[:i])}.{choice}.<field>")
            selector = parts[i]
            if origin is list:
                descend(selector, lambda node: [str(k) for k in _list_selection(node, selector, label, path, file)])
            else:
                descend(selector, lambda node: _table_selection(node, selector, label, path, file))
            model = element
            i += 1
            continue
        if origin is dict and args:  # a table of numbers: the next part is a key of its key type
            if i == len(parts):
                raise ScenarioError(file, path, f"name an entry: {path}.<key>")
            if i + 1 < len(parts):
                raise ScenarioError(file, path, f"{'.'.join(parts[:i + 1])!r} has no sub-fields")
            try:
                TypeAdapter(args[0]).validate_python(parts[i])
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"]
                raise ScenarioError(file, path, f"{parts[i]!r} is not a key of {name}: {reason}") from None
            descend(parts[i])
            spec = _leaf_spec(path, model, name, args[1], [], info.description or "")
            return spec, None if branches is None else [".".join(prefix) for prefix, _ in branches]
        if i != len(parts):
            raise ScenarioError(file, path, f"{name!r} has no sub-fields")
        spec = _leaf_spec(path, model, name, info.annotation, info.metadata, info.description or "")
        return spec, None if branches is None else [".".join(prefix) for prefix, _ in branches]


def field_spec(path: str, file=None, schema: type[BaseModel] = Scenario) -> FieldSpec:
    """Check ``path`` against ``schema`` (a fleet scenario by default) and return the field it names.

    Raises
    ------
    ScenarioError
        When no field of the schema has that path.
    """
    return _walk(schema, path, file, None)[0]


def expand(raw: dict, path: str, file=None, schema: type[BaseModel] = Scenario) -> list[str]:
    """Concrete paths for ``path`` in a raw document: item names become indices, ``*`` every item.

    Raises
    ------
    ScenarioError
        When the schema has no such field or the document no such item.
    """
    return _walk(schema, path, file, raw)[1]


def cohort_index(raw: dict, key: str, path: str, file=None) -> int:
    """Index of the cohort named ``key`` (an index or a cohort name) in a raw fleet scenario."""
    if key == WILDCARD:
        raise ScenarioError(file, path, "name one cohort (an index or a name), not '*'")
    return _list_selection(raw.get("cohorts") if isinstance(raw, dict) else None, key, "cohort", path, file)[0]


# --- raw documents -----------------------------------------------------------------------------------------------

def _container(raw: dict, parts: list[str], create: bool, path: str):
    node = raw
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ScenarioError(None, path, f"{'.'.join(parts[:depth])!r} is not a table in the scenario")
        if part not in node:
            if not create:
                return None
            node[part] = {}
        node = node[part]
    if not isinstance(node, (dict, list)):
        if not create:
            return None
        raise ScenarioError(None, path, f"{'.'.join(parts[:-1])!r} is not a table in the scenario")
    return node


def get_value(raw: dict, concrete_path: str):
    """Value at a concrete path of a raw (unvalidated) scenario dict, or None."""
    parts = split(concrete_path)
    node = _container(raw, parts, create=False, path=concrete_path)
    if node is None:
        return None
    return _child(node, parts[-1])


def set_value(raw: dict, concrete_path: str, value) -> None:
    """Set the value at a concrete path of a raw scenario dict (missing tables are created)."""
    parts = split(concrete_path)
    node = _container(raw, parts, create=True, path=concrete_path)
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


# --- PATH=VALUE overrides ----------------------------------------------------------------------------------------

def parse_assignment(text: str, option: str = SET_OPTION) -> tuple[str, str]:
    """Split ``'PATH=VALUE'``; a missing ``=`` is a :class:`ScenarioError`."""
    if not isinstance(text, str):
        raise ScenarioError(option, None, f"expected a 'PATH=VALUE' string (got {text!r})")
    if "=" not in text:
        raise ScenarioError(option, text, "expected PATH=VALUE, e.g. cohorts.0.utilization=0.6")
    path, value = text.split("=", 1)
    return path.strip(), value.strip()


def parse_value(text: str, option: str = SET_OPTION, path: str | None = None):
    """A TOML value (number, boolean, quoted string, array) or, failing that, the bare text.

    Raises
    ------
    ScenarioError
        A value nested deeper than :data:`dcecon.scenario.validation.MAX_NESTING_DEPTH`.
    """
    try:
        document = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ScenarioError(option, path, nesting_message()) from None
    if set(document) != {"v"}:  # "1\nother = 2" is text, not a second assignment
        return text
    check_nesting(document["v"], option, path)
    return document["v"]


def override_list(overrides, where: str) -> list[str]:
    """``overrides`` as a list of strings, or a :class:`ScenarioError` naming ``where`` and ``overrides``.

    One string (``"cohorts.0.utilization=0.7"``) would read as one override
    per character, and a dict of paths as overrides without values: both are
    refused with a hint.
    """
    if overrides is None:
        return []
    if isinstance(overrides, (str, bytes)):
        raise ScenarioError(where, "overrides", f"must be a list of 'PATH=VALUE' strings, not one string "
                                                f"(write [{overrides!r}])")
    if isinstance(overrides, Mapping) or not isinstance(overrides, typing.Iterable):
        raise ScenarioError(where, "overrides", f"must be a list of 'PATH=VALUE' strings, not "
                                                f"{type(overrides).__name__}")
    items = list(overrides)
    for item in items:
        if not isinstance(item, str):
            raise ScenarioError(where, "overrides", f"each override is a 'PATH=VALUE' string (got {item!r})")
    return items


def apply_overrides(raw: dict, overrides, provenance: dict, schema: type[BaseModel] = Scenario,
                    option: str = SET_OPTION) -> dict:
    """Apply ``PATH=VALUE`` strings to a raw document (in place) and return it.

    Parameters
    ----------
    raw : dict
        The document (sources stripped), changed in place.
    overrides : iterable of str
        ``PATH=VALUE`` strings; ``*`` and item names are expanded (:func:`expand`).
    provenance : dict
        Filled with ``--set`` for every concrete path set.
    schema : type of BaseModel
        The schema the paths are checked against (fleet :class:`Scenario` by default).
    option : str
        Named in errors (``--set``).

    Raises
    ------
    ScenarioError
        ``option: PATH: ...`` for a malformed override or a path the schema or document lacks.
    """
    for text in overrides:
        path, value_text = parse_assignment(text, option)
        try:
            concrete = expand(raw, path, schema=schema)
        except ScenarioError as exc:
            raise ScenarioError(option, exc.field, exc.message) from None
        value = parse_value(value_text, option, path)
        for concrete_path in concrete:
            try:
                set_value(raw, concrete_path, value)
            except ScenarioError as exc:
                raise ScenarioError(option, path, exc.message) from None
            provenance[concrete_path] = SET_PROVENANCE
    return raw
