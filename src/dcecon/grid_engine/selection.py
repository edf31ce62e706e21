"""What a grid run computes: its metrics, tables and quantile sketches (``--metrics``, ``--tables``,
``--no-quantiles``; ``metrics``, ``tables``, ``quantiles`` in a scenario's ``[grid]`` table).

A run reduces only the metrics it asks for (default: the window P&L and the
investment view, :data:`dcecon.model.metrics.DEFAULT_METRICS`; ``all`` adds
the levered and book-vs-economic figures). ``tables``: ``auto`` (main
effects of every axis and a 2-D table for every pair of cartesian axes of at
most 65,536 cells), ``none`` (neither main effects nor 2-D tables), or
explicit pairs ``PATH_A:PATH_B,...`` (main effects of every axis and those
2-D tables). See ``docs/grid.md``, "Choosing what a run computes".
"""

from __future__ import annotations

import dataclasses

from dcecon.model.metrics import BY_NAME, METRICS, SELECTION_WORDS
from dcecon.scenario.errors import ScenarioError

TABLE_WORDS = ("auto", "none")

GRID_TABLE_OPTIONS = ("metrics", "tables", "quantiles", "correlations")
"""Keys of a scenario's ``[grid]`` table that are options, not axes (``correlations``: read by
``dcecon montecarlo``; ``dcecon grid`` refuses it rather than sample without it)."""


@dataclasses.dataclass(frozen=True)
class Selection:
    """What a run computes.

    Attributes
    ----------
    metrics : tuple of str
        Metrics to reduce, in the metric table's order.
    tables : str or tuple of (str, str)
        ``'auto'``, ``'none'``, or pairs of axis paths.
    quantiles : bool
        Whether quantile sketches are kept.
    """

    metrics: tuple
    tables: object = "auto"
    quantiles: bool = True

    def to_dict(self) -> dict:
        """JSON form (manifests, fingerprints)."""
        tables = self.tables if isinstance(self.tables, str) else [list(p) for p in self.tables]
        return {"metrics": list(self.metrics), "tables": tables, "quantiles": self.quantiles}


def parse_metrics(spec, option: str = "--metrics") -> tuple:
    """``'gross_margin,npv_usd'``, a list of names, ``'default'`` or ``'all'`` -> metric names in table order."""
    if spec is None:
        return SELECTION_WORDS["default"]
    if isinstance(spec, str):
        names = [part.strip() for part in spec.split(",")]
    elif isinstance(spec, (list, tuple)) and all(isinstance(part, str) for part in spec):
        names = [part.strip() for part in spec]
    else:
        raise ScenarioError(option, None, f"{spec!r} is not a list of metric names")
    chosen = set()
    for name in names:
        if name in SELECTION_WORDS:
            chosen |= set(SELECTION_WORDS[name])
        elif name in BY_NAME:
            chosen.add(name)
        else:
            shown = name if name else "(empty)"
            raise ScenarioError(option, shown, f"unknown metric; choose from {', '.join(METRICS)}, or "
                                               f"{' / '.join(SELECTION_WORDS)}")
    return tuple(name for name in METRICS if name in chosen)


def parse_tables(spec, axis_paths, sampled_paths=(), option: str = "--tables"):
    """``'auto'``, ``'none'`` or ``'PATH_A:PATH_B,PATH_C:PATH_D'`` (or a list of such pairs) -> the tables."""
    if spec is None:
        return "auto"
    if isinstance(spec, str) and spec.strip() in TABLE_WORDS:
        return spec.strip()
    if isinstance(spec, str):
        items = [part.strip() for part in spec.split(",")]
    elif isinstance(spec, (list, tuple)) and all(isinstance(part, str) for part in spec):
        items = [part.strip() for part in spec]
    else:
        raise ScenarioError(option, None, f"{spec!r} is not auto, none or PATH_A:PATH_B pairs")
    known = list(axis_paths)
    pairs = []
    for item in items:
        a, sep, b = item.partition(":")
        if not sep or not a or not b:
            raise ScenarioError(option, item or "(empty)", "write a 2-D table as PATH_A:PATH_B (two axis paths), or "
                                                          "use auto or none")
        for path in (a, b):
            if path in sampled_paths:
                raise ScenarioError(option, path, "is a sampled dimension; 2-D tables pair cartesian axes (its main "
                                                  "effect is reported by decile)")
            if path not in known:
                raise ScenarioError(option, path, f"is not an axis of this run; axes: {', '.join(known) or 'none'}")
        if a == b:
            raise ScenarioError(option, item, "pairs an axis with itself")
        pair = tuple(sorted((a, b), key=known.index))
        if pair not in pairs:
            pairs.append(pair)
    return tuple(pairs)


def parse_quantiles(value, option: str = "--no-quantiles") -> bool:
    if value is None:
        return True
    if not isinstance(value, bool):
        raise ScenarioError(option, None, f"{value!r} is not true or false")
    return value
