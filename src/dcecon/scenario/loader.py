"""Reading scenario files: TOML, sources, ``extends`` and ``--set`` overrides.

Order of work for ``load_scenario(path, overrides)``:

0. ``path`` is a file, or the name of a bundled scenario
   (:mod:`dcecon.scenario.bundled`); anything else (``42``, ``None``, an
   empty string) is a :class:`ScenarioError` naming the function;
1. read the TOML (``tomllib``), refusing a document nested deeper than
   :data:`dcecon.scenario.validation.MAX_NESTING_DEPTH` levels; a file with ``extends = "base.toml"`` is laid
   over its base (path relative to the file): tables merge key by key, and
   cohorts merge by ``name`` (a cohort of the same name updates the base
   cohort, a new name is appended);
2. every ``{ value = ..., source = "id" }`` number is checked against the
   ``[sources]`` of the file and its bases, then replaced by its value while
   the source id is kept in :attr:`Scenario.provenance`;
3. ``--set PATH=VALUE`` overrides are applied (provenance ``--set``;
   paths of :mod:`dcecon.scenario.paths`, shared by every kind of file);
4. the result is validated by :class:`dcecon.scenario.schema.Scenario`
   (:func:`dcecon.scenario.validation.validate_model`, shared too).

Macro, circular and useful-lives files are read by the same
:func:`load_raw` and validated by the same :func:`validate_model` against
their own schemas.

Any failure raises :class:`ScenarioError` naming the file and the field.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

from dcecon.scenario import paths
from dcecon.scenario.bundled import missing_file_message, resolve_scenario_path, scenario_argument
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.paths import SET_PROVENANCE, override_list, parse_assignment, parse_value
from dcecon.scenario.schema import Scenario
from dcecon.scenario.validation import (
    HIDDEN_FIELDS,
    check_nesting,
    fields_at,
    nesting_message,
    submodel,
    validate_model,
    validation_message,
)

__all__ = [
    "HIDDEN_FIELDS", "SET_PROVENANCE", "apply_overrides", "fields_at", "load_raw", "load_scenario",
    "parse_assignment", "parse_value", "scenario_to_raw", "submodel", "validate", "validate_model",
    "validation_message",
]

SOURCED_KEYS = {"value", "source", "note"}


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


def _read_toml(path: Path, named_by_user: bool = True) -> dict:
    """The parsed TOML of ``path``; every problem (missing, a folder, unreadable, malformed, nested too deep) is
    a :class:`ScenarioError` naming the file. A missing file the user named may be a misspelt bundled name: the
    message proposes the closest one (not for an ``extends`` base, which is always a file)."""
    if path.is_dir():
        raise ScenarioError(path, None, "is a directory, not a scenario file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, None, missing_file_message(path) if named_by_user else "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(path, None, "is a directory, not a scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, None, f"cannot be read: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"malformed TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ScenarioError(path, None, nesting_message()) from None
    check_nesting(document, path)  # before any recursive walker below, or pydantic, sees it
    return document


def _merge(base: dict, child: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in child.items():
        if key == "cohorts" and isinstance(value, list) and isinstance(merged.get("cohorts"), list):
            by_name = {c["name"]: i for i, c in enumerate(merged["cohorts"])
                       if isinstance(c, dict) and isinstance(c.get("name"), str)}
            for cohort in value:
                name = cohort.get("name") if isinstance(cohort, dict) else None
                if isinstance(name, str) and name in by_name:
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
    raw = _read_toml(path, named_by_user=not chain)
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


def apply_overrides(raw: dict, overrides, provenance: dict, file=None) -> dict:
    """Apply ``PATH=VALUE`` strings to a raw fleet scenario dict (in place) and return it.

    See :func:`dcecon.scenario.paths.apply_overrides`; ``file`` is not used
    (errors name ``--set``) and stays for the callers that pass it.
    """
    return paths.apply_overrides(raw, overrides, provenance, Scenario)


def validate(raw: dict, provenance: dict, file) -> Scenario:
    """Validate a raw fleet scenario dict; the first problem becomes a :class:`ScenarioError`."""
    return validate_model(Scenario, raw, provenance, file)


def scenario_file(path, where: str = "load_raw") -> Path:
    """The file a path or bundled scenario name stands for (see :mod:`dcecon.scenario.bundled`).

    Raises
    ------
    ScenarioError
        ``WHERE: path: ...`` when ``path`` is not text or a path, or is empty.
    """
    return resolve_scenario_path(scenario_argument(path, where))


def load_raw(path, where: str = "load_raw") -> tuple[dict, dict]:
    """The merged raw dict of a scenario file (or bundled name) and its provenance (no validation).

    Parameters
    ----------
    path : str or Path
        A TOML scenario file or the name of a bundled scenario.
    where : str
        The function named when ``path`` is not a path at all.
    """
    merged = _load_raw(scenario_file(path, where))
    provenance: dict = {}
    return _strip_sources(merged, "", provenance), provenance


def check_kind(raw: dict, file, expected: str, where: str) -> None:
    """Refuse a file whose ``kind`` (``fleet`` when absent) is not ``expected``, naming the file and ``kind``."""
    kind = raw.get("kind", "fleet")
    if kind != expected:
        raise ScenarioError(file, "kind", f"is {kind!r}; {where} reads kind = {expected!r} scenarios (dcecon run "
                                          "FILE reads every kind)")


def load_document(path, overrides, schema, where: str, kind: str | None = None):
    """Load, override and validate a scenario file of one kind against a pydantic ``schema``.

    Parameters
    ----------
    path : str or Path
        The TOML file or the name of a bundled one.
    overrides : iterable of str
        ``PATH=VALUE`` strings as given to ``--set``.
    schema : type or callable
        The pydantic model, or ``schema(raw, file)`` returning it (a file whose ``kind`` picks among several).
    where : str
        The function the user called, named in errors about its arguments (``load_debt``).
    kind : str, optional
        The ``kind`` the file must declare (:func:`check_kind`).

    Raises
    ------
    ScenarioError
        ``path`` not a path or name, a missing or malformed file, a file of another kind, an unknown key or
        source id, a value out of bounds, ``--set`` on a path the schema lacks.
    """
    file = scenario_file(path, where)
    overrides = override_list(overrides, where)
    raw, provenance = load_raw(file)
    if kind is not None:
        check_kind(raw, file, kind, where)
    if not isinstance(schema, type):
        schema = schema(raw, file)
    paths.apply_overrides(raw, overrides, provenance, schema)
    return validate_model(schema, raw, provenance, str(file))


def load_scenario(path, overrides=()) -> Scenario:
    """Load, override and validate a fleet scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file, or the name of a bundled scenario
        (``"h100-neocloud-2024"``; a file that exists wins).
    overrides : iterable of str
        ``PATH=VALUE`` strings as given to ``--set``.

    Returns
    -------
    Scenario
        Validated, with :attr:`Scenario.provenance` filled.

    Raises
    ------
    ScenarioError
        ``path`` not a path or name, a missing or malformed file, a folder,
        a file of another kind, unknown key or source id, value out of
        bounds, nesting too deep, ``--set`` on a path that does not exist.
    """
    file = scenario_file(path, "load_scenario")
    overrides = override_list(overrides, "load_scenario")
    raw, provenance = load_raw(file)
    check_kind(raw, file, "fleet", "load_scenario")
    paths.apply_overrides(raw, overrides, provenance, Scenario)
    return validate(raw, provenance, str(file))


def scenario_to_raw(scenario: Scenario) -> dict:
    """A plain dict of a scenario (``provenance`` excluded, ``None`` dropped), for writing TOML."""
    return scenario.model_dump(exclude_none=True, exclude={"provenance"})
