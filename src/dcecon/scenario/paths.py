"""Dotted paths into a scenario: ``site.pue``, ``cohorts.0.utilization``.

A cohort may be addressed by index or by name (``cohorts.h100.utilization``),
and ``cohorts.*.utilization`` means every cohort. The same paths serve
``--set``, grid axes and calibration.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

import annotated_types
from pydantic import BaseModel

from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.schema import Cohort, Scenario

WILDCARD = "*"


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
    parts = path.strip().split(".")
    if not path.strip() or any(not p for p in parts):
        raise ScenarioError(None, path, "is not a dotted path such as cohorts.0.utilization")
    return parts


def _is_numeric(annotation) -> bool:
    args = typing.get_args(annotation)
    if annotation in (float, int):
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return all(isinstance(a, (int, float)) for a in args)
    return bool(args) and all(a in (float, int, type(None)) for a in args) and (float in args or int in args)


def field_spec(path: str, file=None) -> FieldSpec:
    """Check ``path`` against the schema and return the field it names.

    Raises
    ------
    ScenarioError
        When no field of the schema has that path.
    """
    parts = split(path)
    model: type[BaseModel] = Scenario
    i = 0
    while i < len(parts):
        name = parts[i]
        fields = model.model_fields
        if name not in fields or name in ("provenance", "sources", "grid"):
            raise ScenarioError(file, path, f"no such field {name!r} in {model.__name__.lower()}")
        annotation = fields[name].annotation
        if name == "cohorts":
            if i + 2 >= len(parts):
                raise ScenarioError(file, path, "name a cohort and a field: cohorts.<index|name|*>.<field>")
            model = Cohort
            i += 2
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            i += 1
            continue
        if i != len(parts) - 1:
            raise ScenarioError(file, path, f"{name!r} has no sub-fields")
        info = fields[name]
        lower = upper = None
        lower_inc = upper_inc = True
        for meta in info.metadata:
            if isinstance(meta, annotated_types.Ge):
                lower, lower_inc = float(meta.ge), True
            elif isinstance(meta, annotated_types.Gt):
                lower, lower_inc = float(meta.gt), False
            elif isinstance(meta, annotated_types.Le):
                upper, upper_inc = float(meta.le), True
            elif isinstance(meta, annotated_types.Lt):
                upper, upper_inc = float(meta.lt), False
        return FieldSpec(path, model, name, _is_numeric(annotation), lower, lower_inc, upper, upper_inc,
                         info.description or "")
    raise ScenarioError(file, path, "names a section, not a field")


def cohort_index(raw: dict, key: str, path: str, file=None) -> int:
    """Index of the cohort named ``key`` (an index or a cohort name)."""
    cohorts = raw.get("cohorts") or []
    if key.isdigit() or (key.startswith("-") and key[1:].isdigit()):
        index = int(key)
        if not -len(cohorts) <= index < len(cohorts):
            raise ScenarioError(file, path, f"there is no cohort {index} (the scenario has {len(cohorts)})")
        return index % len(cohorts)
    for index, cohort in enumerate(cohorts):
        if cohort.get("name") == key:
            return index
    raise ScenarioError(file, path, f"there is no cohort named {key!r}")


def expand(raw: dict, path: str, file=None) -> list[str]:
    """Concrete paths for ``path``: cohort names become indices, ``*`` every cohort."""
    field_spec(path, file)
    parts = split(path)
    if parts[0] != "cohorts":
        return [path]
    if parts[1] == WILDCARD:
        n = len(raw.get("cohorts") or [])
        return [".".join(["cohorts", str(k)] + parts[2:]) for k in range(n)]
    index = cohort_index(raw, parts[1], path, file)
    return [".".join(["cohorts", str(index)] + parts[2:])]


def _container(raw: dict, parts: list[str], create: bool):
    node = raw
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            if part not in node:
                if not create:
                    return None
                node[part] = {}
            node = node[part]
    return node


def get_value(raw: dict, concrete_path: str):
    """Value at a concrete path of a raw (unvalidated) scenario dict, or None."""
    parts = split(concrete_path)
    node = _container(raw, parts, create=False)
    if node is None:
        return None
    return node.get(parts[-1])


def set_value(raw: dict, concrete_path: str, value) -> None:
    """Set the value at a concrete path of a raw scenario dict."""
    parts = split(concrete_path)
    node = _container(raw, parts, create=True)
    node[parts[-1]] = value
