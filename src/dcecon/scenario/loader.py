"""Reading scenario files: TOML, sources, ``extends`` and ``--set`` overrides.

Order of work for ``load_scenario(path, overrides)``:

1. read the TOML (``tomllib``); a file with ``extends = "base.toml"`` is laid
   over its base (path relative to the file): tables merge key by key, and
   cohorts merge by ``name`` (a cohort of the same name updates the base
   cohort, a new name is appended);
2. every ``{ value = ..., source = "id" }`` number is checked against the
   ``[sources]`` of the file and its bases, then replaced by its value while
   the source id is kept in :attr:`Scenario.provenance`;
3. ``--set PATH=VALUE`` overrides are applied (provenance ``--set``);
4. the result is validated by :class:`dcecon.scenario.schema.Scenario`.

Any failure raises :class:`ScenarioError` naming the file and the field.
"""

from __future__ import annotations

import copy
import difflib
import typing
import tomllib
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dcecon.scenario import paths
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.schema import Scenario

SOURCED_KEYS = {"value", "source", "note"}
SET_PROVENANCE = "--set"


def _is_sourced(node) -> bool:
    return isinstance(node, dict) and "value" in node and set(node) <= SOURCED_KEYS


def _walk_sourced(node, prefix):
    """Yield ``(path, leaf)`` for every ``{value, source}`` leaf."""
    if _is_sourced(node):
        yield prefix, node
    elif isinstance(node, dict):
        for key, child in node.items():
            if key == "sources":
                continue
            yield from _walk_sourced(child, f"{prefix}.{key}" if prefix else key)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _walk_sourced(child, f"{prefix}.{index}")


def _read_toml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(path, None, "is a directory, not a scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, None, f"cannot be read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"malformed TOML: {exc}") from None


def _merge(base: dict, child: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in child.items():
        if key == "cohorts" and isinstance(value, list) and isinstance(merged.get("cohorts"), list):
            by_name = {c.get("name"): i for i, c in enumerate(merged["cohorts"]) if isinstance(c, dict)}
            for cohort in value:
                name = cohort.get("name") if isinstance(cohort, dict) else None
                if name in by_name:
                    merged["cohorts"][by_name[name]] = _merge(merged["cohorts"][by_name[name]], cohort)
                else:
                    merged["cohorts"].append(copy.deepcopy(cohort))
        elif isinstance(value, dict) and not _is_sourced(value) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _load_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    path = Path(path)
    resolved = path.resolve()
    if resolved in chain:
        raise ScenarioError(path, "extends", "extends itself (a cycle of extends)")
    raw = _read_toml(path)
    base: dict = {}
    if "extends" in raw:
        target = raw.pop("extends")
        if not isinstance(target, str):
            raise ScenarioError(path, "extends", "must be a file name")
        base = _load_raw(path.parent / target, chain + (resolved,))
    sources = raw.get("sources", {})
    if not isinstance(sources, dict):
        raise ScenarioError(path, "sources", "must be a table of sources by id")
    known = set(base.get("sources", {})) | set(sources)
    for field, leaf in _walk_sourced(raw, ""):
        source = leaf.get("source")
        if not isinstance(source, str) or source not in known:
            raise ScenarioError(path, field, f"unknown source id {source!r}; add it under [sources]")
    return _merge(base, raw)


def _strip_sources(node, prefix: str, provenance: dict):
    if _is_sourced(node):
        if "source" in node:
            provenance[prefix] = node["source"]
        return node["value"]
    if isinstance(node, dict):
        return {k: (v if k == "sources" else _strip_sources(v, f"{prefix}.{k}" if prefix else k, provenance))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_strip_sources(v, f"{prefix}.{i}", provenance) for i, v in enumerate(node)]
    return node


def parse_assignment(text: str, option: str = "--set") -> tuple[str, str]:
    """Split ``'PATH=VALUE'``; a missing ``=`` is a :class:`ScenarioError`."""
    if "=" not in text:
        raise ScenarioError(option, text, "expected PATH=VALUE, e.g. cohorts.0.utilization=0.6")
    path, value = text.split("=", 1)
    return path.strip(), value.strip()


def parse_value(text: str):
    """A TOML value (number, boolean, quoted string) or, failing that, the bare text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw: dict, overrides, provenance: dict, file=None) -> dict:
    """Apply ``PATH=VALUE`` strings to a raw scenario dict (in place) and return it."""
    for text in overrides:
        path, value_text = parse_assignment(text)
        try:
            concrete = paths.expand(raw, path)
        except ScenarioError as exc:
            raise ScenarioError("--set", exc.field, exc.message) from None
        value = parse_value(value_text)
        for concrete_path in concrete:
            paths.set_value(raw, concrete_path, value)
            provenance[concrete_path] = SET_PROVENANCE
    return raw


HIDDEN_FIELDS = ("kind", "sources", "provenance")
"""Fields a "did you mean" hint never proposes."""


def submodel(annotation) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``Fleet`` of ``Optional[Fleet]``, ``Cohort`` of
    ``list[Cohort]``), or None."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def fields_at(schema: type[BaseModel], loc) -> list[str]:
    """Names of the fields of the (sub)model at ``loc`` (``('cohorts', 0)`` -> the fields of ``Cohort``)."""
    node: type[BaseModel] | None = schema
    for part in loc:
        if isinstance(part, int):  # a list index: the element model was unwrapped already
            continue
        node = submodel(node.model_fields[part].annotation) if node and part in node.model_fields else None
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


def validate_model(schema: type[BaseModel], raw: dict, provenance: dict, file):
    """Validate a raw dict against ``schema``; the first problem (unknown keys first) is a :class:`ScenarioError`.

    The model must have a ``provenance`` dict, which is filled.
    """
    try:
        scenario = schema.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        field = ".".join(str(part) for part in error["loc"]) or None
        raise ScenarioError(file, field, validation_message(schema, error)) from None
    scenario.provenance.update(provenance)
    return scenario


def validate(raw: dict, provenance: dict, file) -> Scenario:
    """Validate a raw fleet scenario dict; the first problem becomes a :class:`ScenarioError`."""
    return validate_model(Scenario, raw, provenance, file)


def load_raw(path) -> tuple[dict, dict]:
    """The merged raw dict of a scenario file and its provenance (no validation)."""
    merged = _load_raw(Path(path))
    provenance: dict = {}
    return _strip_sources(merged, "", provenance), provenance


def load_scenario(path, overrides=()) -> Scenario:
    """Load, override and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file.
    overrides : iterable of str
        ``PATH=VALUE`` strings as given to ``--set``.

    Returns
    -------
    Scenario
        Validated, with :attr:`Scenario.provenance` filled.

    Raises
    ------
    ScenarioError
        Missing or malformed file, unknown key or source id, value out of
        bounds, ``--set`` on a path that does not exist.
    """
    raw, provenance = load_raw(path)
    apply_overrides(raw, overrides, provenance, path)
    return validate(raw, provenance, str(path))


def scenario_to_raw(scenario: Scenario) -> dict:
    """A plain dict of a scenario (``provenance`` excluded, ``None`` dropped), for writing TOML."""
    return scenario.model_dump(exclude_none=True, exclude={"provenance"})
