"""Fit free parameters of a scenario to target results (``dcecon calibrate``).

A free path names a numeric field (``cohorts.0.price_usd_per_gpu_hour``); a
path with ``*`` (``cohorts.*.utilization``) moves that field of every cohort
by one common factor, keeping their ratios. Targets are result figures
(``gross_margin=0.14``, ``revenue_usd=900e6``).

Targets are checked first (:func:`dcecon.calibration.targets.check_target`:
a known figure, a value it can take). Residuals are scale-free
(:mod:`dcecon.calibration.targets`): relative to the target for USD and other
quantities with units (to the revenue for a $0 target), absolute for a ratio
(margin, utilization, IRR). The solver is ``scipy.optimize.least_squares``
(trust region reflective) within the fields' schema bounds, so with as many
free parameters as targets it solves the equations, and otherwise finds the
least-squares compromise. The calibration succeeds when every scale-free
residual is within :data:`~dcecon.calibration.targets.TOLERANCE`.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
from scipy.optimize import least_squares

from dcecon.calibration.targets import TOLERANCE, check_target, figure_of, reached, residual, residual_scale
from dcecon.evaluate import evaluate
from dcecon.result import Result
from dcecon.scenario import paths
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import SET_PROVENANCE, validate

CALIBRATION_SOURCE_ID = "dcecon-calibration"
MISSED_RESIDUAL = 1e6
"""Residual [-] the solver sees for a trial scenario that is invalid or whose figure is not finite."""


@dataclasses.dataclass
class FreeParameter:
    """One unknown of the calibration.

    Attributes
    ----------
    path : str
        As given (may hold ``*``).
    concrete_paths : list of str
        The fields it moves.
    base_values : list of float
        Their values before calibration.
    is_factor : bool
        True for a ``*`` path: the unknown is a common multiplier.
    lower, upper : float
        Bounds of the unknown from the schema.
    """

    path: str
    concrete_paths: list[str]
    base_values: list[float]
    is_factor: bool
    lower: float
    upper: float

    def values(self, x: float) -> list[float]:
        """Field values for the unknown ``x``."""
        return [b * x for b in self.base_values] if self.is_factor else [x]

    @property
    def initial(self) -> float:
        """Starting point of the unknown."""
        return 1.0 if self.is_factor else self.base_values[0]


@dataclasses.dataclass
class CalibrationResult:
    """Solved unknowns, the calibrated scenario and its result.

    Attributes
    ----------
    targets, achieved : dict of str to float
        Wanted and achieved value of each target [the figure's units].
    residuals : dict of str to float
        Scale-free residual of each target, ``(achieved - target) / scale`` [-]
        (NaN where the achieved figure is not finite).
    scales : dict of str to float
        The ``scale`` of each target [the figure's units]: 1 for a ratio,
        ``|target|``, or the base revenue for a $0 target.
    scale_labels : dict of str to str
        What each residual is relative to, in words (``target``, ``absolute``, ``base revenue $69,295,242``).
    tolerance : float
        Largest ``|residual|`` of a reached target [-].
    success : bool
        True when every target is reached within ``tolerance``.
    message : str
        One line: which targets were missed and by how much, or the solver's stop reason.
    """

    free: list[FreeParameter]
    solution: list[float]
    targets: dict[str, float]
    achieved: dict[str, float]
    residuals: dict[str, float]
    scales: dict[str, float]
    scale_labels: dict[str, str]
    tolerance: float
    raw: dict
    provenance: dict
    result: Result
    success: bool
    message: str

    def missed(self) -> list[str]:
        """Targets not reached within the tolerance, in the order given."""
        return [name for name, r in self.residuals.items() if not reached(r, self.tolerance)]

    def solved_values(self) -> dict[str, float]:
        """Every moved field and its calibrated value, by concrete path."""
        out = {}
        for parameter, x in zip(self.free, self.solution):
            for path, value in zip(parameter.concrete_paths, parameter.values(x)):
                out[path] = value
        return out


def parse_target(text: str) -> tuple[str, float]:
    """``'gross_margin=0.14'`` -> ``('gross_margin', 0.14)``, checked by :func:`check_target`."""
    if "=" not in text:
        raise ScenarioError("--target", text, "expected METRIC=VALUE, e.g. gross_margin=0.14")
    name, value = (part.strip() for part in text.split("=", 1))
    try:
        number = float(value)
    except ValueError:
        raise ScenarioError("--target", name, f"{value!r} is not a number") from None
    return name, check_target(name, number)


def _bound(spec: paths.FieldSpec, value: float | None, inclusive: bool, lower: bool) -> float:
    if value is None:
        return -math.inf if lower else math.inf
    if inclusive:
        return value
    nudge = 1e-9 * max(1.0, abs(value))
    return value + nudge if lower else value - nudge


def free_parameter(raw: dict, path: str, file=None) -> FreeParameter:
    """Build a :class:`FreeParameter` from a path, checking it against the schema."""
    try:
        spec = paths.field_spec(path)
        concrete = paths.expand(raw, path)
    except ScenarioError as exc:
        raise ScenarioError("--free", exc.field, exc.message) from None
    if not spec.numeric or spec.name in ("start_year", "horizon_years", "periods_per_year"):
        raise ScenarioError("--free", path, "is not a numeric field that can be solved for")
    lower = _bound(spec, spec.lower, spec.lower_inclusive, True)
    upper = _bound(spec, spec.upper, spec.upper_inclusive, False)
    base = []
    for concrete_path in concrete:
        value = paths.get_value(raw, concrete_path)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ScenarioError(file, concrete_path, "a free parameter needs a number in the scenario to start from")
        base.append(float(value))
    is_factor = paths.WILDCARD in paths.split(path)
    if is_factor:
        if any(b <= 0 for b in base):
            raise ScenarioError(file, path, "a '*' path scales every cohort by one factor; every value must be > 0")
        lo = max(lower / b for b in base) if lower != -math.inf else 0.0
        hi = min(upper / b for b in base) if upper != math.inf else math.inf
        lower, upper = max(lo, 1e-12), hi
    return FreeParameter(path, concrete, base, is_factor, lower, upper)


def _row(result: Result, raw: dict, name: str) -> dict:
    """The figures of the row a target is in: the fleet's, or its cohort's."""
    if name.startswith("cohorts."):
        return result.cohorts[paths.cohort_index(raw, name.split(".")[1], name, "--target")]
    return result.figures


def target_value(result: Result, raw: dict, name: str) -> float:
    """The result figure a target names: ``gross_margin`` (fleet) or
    ``cohorts.<index|name>.gross_profit_usd`` (one cohort's row)."""
    return _row(result, raw, name)[figure_of(name)]


def _residual_words(value: float, label: str) -> str:
    if not math.isfinite(value):
        return "not a finite value there"
    return f"residual {value:.3g}, absolute" if label == "absolute" else f"residual {value:.3g} relative to {label}"


def _missed_message(names, targets, achieved, residuals, labels, tolerance) -> str:
    missed = [n for n in names if not reached(residuals[n], tolerance)]
    if not missed:
        return f"every target reached within {tolerance:g}"
    parts = [f"{n} achieved {achieved[n]:.6g}, wanted {targets[n]:.6g} ({_residual_words(residuals[n], labels[n])})"
             for n in missed]
    return f"{len(missed)} of {len(names)} targets not reached within {tolerance:g}: " + "; ".join(parts)


def calibrate(raw: dict, provenance: dict, file, targets: dict[str, float], free_paths, backend="numpy",
              dtype="float64"):
    """Solve the free parameters so that the scenario's results hit ``targets``.

    Parameters
    ----------
    raw, provenance : dict
        A scenario as returned by :func:`dcecon.scenario.loader.load_raw`
        (``--set`` overrides already applied).
    file : str
        The scenario file, for error messages.
    targets : dict of str to float
        Result figure -> target value [the figure's units].
    free_paths : list of str
        Dotted paths of the unknowns.

    Returns
    -------
    CalibrationResult
        ``success`` is False (nothing is raised) when a scale-free residual
        exceeds :data:`~dcecon.calibration.targets.TOLERANCE`.

    Raises
    ------
    ScenarioError
        A bad target (unknown figure, not a finite number, a value the figure
        cannot take, e.g. ``gross_margin`` 2), a bad free path or a bad
        scenario; the message is the one ``dcecon calibrate`` prints.
    """
    if not isinstance(targets, dict):
        raise ScenarioError("--target", None, f"targets are a dict of figure -> value, got {type(targets).__name__}")
    if isinstance(free_paths, str):
        raise ScenarioError("--free", free_paths, "free paths are a list of paths, e.g. [\"cohorts.0.gpus\"]")
    if not targets:
        raise ScenarioError("--target", None, "give at least one --target METRIC=VALUE")
    if not free_paths:
        raise ScenarioError("--free", None, "give at least one --free PATH")
    targets = {name: check_target(name, value) for name, value in targets.items()}
    base = validate(copy.deepcopy(raw), dict(provenance), file)
    if len(set(free_paths)) != len(free_paths):
        raise ScenarioError("--free", None, "a free parameter is given twice")
    free = [free_parameter(raw, p, file) for p in free_paths]
    names = list(targets)
    for name in names:
        if name.startswith("cohorts."):
            paths.cohort_index(raw, name.split(".")[1], name, "--target")
    base_result = evaluate(base, backend=backend, dtype=dtype)
    scaling = {name: residual_scale(name, targets[name], _row(base_result, raw, name)) for name in names}
    scales = {name: scale for name, (scale, _) in scaling.items()}
    labels = {name: label for name, (_, label) in scaling.items()}

    def build(x):
        trial = copy.deepcopy(raw)
        for parameter, xi in zip(free, x):
            for path, value in zip(parameter.concrete_paths, parameter.values(float(xi))):
                paths.set_value(trial, path, value)
        return trial

    def residuals(x):
        try:
            result = evaluate(validate(build(x), dict(provenance), file), backend=backend, dtype=dtype)
        except ScenarioError:
            return np.full(len(names), MISSED_RESIDUAL)
        out = [residual(target_value(result, raw, name), targets[name], scales[name]) for name in names]
        return np.asarray([r if math.isfinite(r) else MISSED_RESIDUAL for r in out])

    x0 = np.array([p.initial for p in free])
    lower = np.array([p.lower for p in free])
    upper = np.array([p.upper for p in free])
    x0 = np.clip(x0, lower, upper)
    solution = least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac", xtol=1e-12, ftol=1e-12,
                             gtol=1e-12, max_nfev=500)
    final_raw = build(solution.x)
    final_provenance = dict(provenance)
    for parameter in free:
        for path in parameter.concrete_paths:
            final_provenance[path] = CALIBRATION_SOURCE_ID
    scenario = validate(copy.deepcopy(final_raw), dict(final_provenance), file)
    result = evaluate(scenario, backend=backend, dtype=dtype)
    achieved = {name: target_value(result, raw, name) for name in names}
    resid = {name: residual(achieved[name], targets[name], scales[name]) for name in names}
    success = all(reached(resid[name]) for name in names)
    message = _missed_message(names, targets, achieved, resid, labels, TOLERANCE)
    if success:
        message += f" ({solution.message})"
    return CalibrationResult(free, [float(v) for v in solution.x], dict(targets), achieved, resid, scales, labels,
                             TOLERANCE, final_raw, final_provenance, result, success, message)


def calibrated_document(calibration: CalibrationResult, file, as_of: str) -> dict:
    """The calibrated scenario as a TOML-ready dict, every figure with its source.

    Calibrated fields cite the ``dcecon-calibration`` source, whose note lists
    the targets and free parameters; ``--set`` values cite ``command-line``.
    """
    document = copy.deepcopy(calibration.raw)
    document.pop("extends", None)
    sources = dict(document.get("sources", {}))
    targets = ", ".join(f"{k}={v:g}" for k, v in calibration.targets.items())
    free = ", ".join(p.path for p in calibration.free)
    sources[CALIBRATION_SOURCE_ID] = {
        "title": f"dcecon calibrate of {file}",
        "as_of": as_of,
        "note": f"solved {free} so that {targets}",
    }
    if SET_PROVENANCE in calibration.provenance.values():
        sources["command-line"] = {"title": "dcecon --set override", "as_of": as_of, "note": "given on the command line"}
    for path, source in calibration.provenance.items():
        value = paths.get_value(document, path)
        if value is None or isinstance(value, dict):
            continue
        source_id = "command-line" if source == SET_PROVENANCE else source
        paths.set_value(document, path, {"value": value, "source": source_id})
    document["sources"] = sources
    return document
