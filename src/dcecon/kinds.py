"""The registry of scenario kinds: the one module to open to add one.

A scenario file's ``kind`` (``fleet`` when absent) says how to read it, what
to compute and how to show it. Each :class:`ScenarioKind` names its loader
(schema and ``--set`` overrides, in :mod:`dcecon.scenario`, :mod:`dcecon.macro`
or :mod:`dcecon.valuation`), its evaluation, and its report (rich tables and
one JSON object, in :mod:`dcecon.report`). ``dcecon run`` and
``dcecon scenarios`` go through this table only; ``dcecon grid`` and
``dcecon calibrate`` accept the kinds marked ``sweepable``.

To add a kind: write its pydantic schema and loader, its evaluation and its
report module, then add one entry to :data:`KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from dcecon.scenario.errors import ScenarioError


@dataclass(frozen=True)
class ScenarioKind:
    """How to load, evaluate and report one kind of scenario file."""

    name: str
    """The ``kind`` value in the file."""
    summary: str
    """What the kind models, in a few words (``dcecon scenarios`` shows the kind's name)."""
    load: Callable[[Path, Sequence[str]], Any]
    """``load(path, overrides)``: the validated scenario; raises :class:`ScenarioError`."""
    evaluate: Callable[[Any, str, str], Any]
    """``evaluate(scenario, backend, dtype)``: its figures."""
    render: Callable[[Any, Any], None]
    """``render(scenario, figures)``: print the rich report."""
    to_json: Callable[[Any, Any], str]
    """``to_json(scenario, figures)``: the ``--json`` object as text."""
    sweepable: bool = False
    """Whether ``dcecon grid`` and ``dcecon calibrate`` take it."""


def _lazy(target: str) -> Callable:
    """The function ``"package.module:name"``, imported at its first call (``dcecon run`` imports one kind only)."""
    module_name, name = target.split(":")

    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module_name), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{target}``, imported when called."
    return call


def _host(target: str) -> Callable:
    """``evaluate(scenario, backend, dtype)`` of a kind computed on host floats: ``target(scenario)``."""
    evaluate = _lazy(target)
    return lambda scenario, backend, dtype: evaluate(scenario)


def _load_fleet(path, overrides):
    from dcecon.scenario.loader import load_scenario

    return load_scenario(path, overrides)


def _evaluate_fleet(scenario, backend, dtype):
    from dcecon.evaluate import evaluate

    return evaluate(scenario, backend=backend, dtype=dtype)


def _render_fleet(scenario, result):
    from dcecon.report.fleet import render

    render(result)


def _load_macro(path, overrides):  # (scenario, provenance): the provenance is also in scenario.provenance
    from dcecon.macro.scenario import load_macro_scenario

    return load_macro_scenario(path, overrides)[0]


KINDS: dict[str, ScenarioKind] = {kind.name: kind for kind in (
    ScenarioKind("fleet", "cohorts of GPUs: window P&L and investment view (docs/model.md)", _load_fleet,
                 _evaluate_fleet, _render_fleet, lambda scenario, result: result.to_json(), sweepable=True),
    ScenarioKind("macro", "gigawatts of demand to GPUs, power, capex and the revenue that earns the WACC",
                 _load_macro, _host("dcecon.macro.scenario:evaluate"), _lazy("dcecon.report.macro:render"),
                 _lazy("dcecon.report.macro:to_json")),
    ScenarioKind("circular", "circular deals: equity, compute contracts and the money that flows back",
                 _load_macro, _host("dcecon.macro.scenario:evaluate"), _lazy("dcecon.report.macro:render"),
                 _lazy("dcecon.report.macro:to_json")),
    ScenarioKind("useful-lives", "book vs economic depreciation of hyperscaler fleets",
                 _lazy("dcecon.valuation.scenario:load_useful_lives"), _host("dcecon.valuation.evaluate:evaluate"),
                 _lazy("dcecon.report.useful_lives:render"), _lazy("dcecon.report.useful_lives:to_json")),
    ScenarioKind("debt", "debt on the AI build-out: interest, share of capex, cover under shocks (docs/capital.md)",
                 _lazy("dcecon.capital.scenario:load_debt"), _host("dcecon.capital.scenario:evaluate_debt"),
                 _lazy("dcecon.report.capital:render"), _lazy("dcecon.report.capital:to_json")),
    ScenarioKind("capex-wave", "a published capex path through 3-, 5-, 6-year lives against operating income",
                 _lazy("dcecon.capital.scenario:load_capex_wave"), _host("dcecon.capital.scenario:evaluate_capex_wave"),
                 _lazy("dcecon.report.capital:render"), _lazy("dcecon.report.capital:to_json")),
    ScenarioKind("adoption-roi", "capex to the revenue end customers' AI must earn, at published success rates",
                 _lazy("dcecon.demand.scenario:load_adoption_roi"),
                 _host("dcecon.demand.scenario:evaluate_adoption_roi"), _lazy("dcecon.report.demand:render"),
                 _lazy("dcecon.report.demand:to_json")),
    ScenarioKind("commitments", "compute commitments year by year against revenue paths: coverage per year",
                 _lazy("dcecon.demand.scenario:load_commitments"), _host("dcecon.demand.scenario:evaluate_commitments"),
                 _lazy("dcecon.report.demand:render"), _lazy("dcecon.report.demand:to_json")),
)}
"""Every scenario kind, by the ``kind`` value of its files."""


def kind_named(name: str, file=None) -> ScenarioKind:
    """The registered kind called ``name``; :class:`ScenarioError` naming ``file`` and ``kind`` otherwise."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise ScenarioError(file, "kind", f"unknown scenario kind {name!r}; one of {', '.join(KINDS)}") from None


def run_file(path, overrides: Sequence[str] = (), as_json: bool = False, backend: str = "auto",
             dtype: str = "float64", kind: str | None = None) -> int:
    """Load, evaluate and print any scenario file (``dcecon run``); the exit status (0).

    Parameters
    ----------
    path : str or Path
        A scenario file of any registered kind.
    overrides : sequence of str
        ``PATH=VALUE`` strings (``--set``), applied before validation.
    as_json : bool
        Print one JSON object instead of the rich report.
    backend, dtype : str
        Array backend and floating dtype (kinds evaluated on host floats ignore them).
    kind : str, optional
        Read the file as this kind (``dcecon macro``: ``"macro"``, whose loader also takes circular deals and
        refuses other files naming ``kind``); by default the file's own ``kind``.

    Raises
    ------
    ScenarioError
        Bad input; the command line prints it as one line and exits with status 2.
    """
    from dcecon.scenario.bundled import scenario_kind

    kind = kind_named(kind or scenario_kind(path), path)
    scenario = kind.load(path, overrides)
    figures = kind.evaluate(scenario, backend, dtype)
    if as_json:
        print(kind.to_json(scenario, figures))
    else:
        kind.render(scenario, figures)
    return 0
