"""The report of ``dcecon calibrate``: the calibrated scenario, the solved parameters and the targets."""

from __future__ import annotations

from rich.table import Table

from dcecon.calibration.targets import TARGET_RULES, figure_of
from dcecon.report import format as fmt
from dcecon.report.fleet import render


def _figure_format(name: str):
    """The report formatter of a target's figure."""

    figure = figure_of(name)
    if TARGET_RULES[figure].kind == "usd":
        return fmt.money
    if figure.endswith("_kwh"):
        return fmt.energy
    if figure.endswith("_years"):
        return fmt.years
    if figure.endswith("_per_gpu_hour"):
        return fmt.price
    if figure in ("interest_coverage", "dscr_window", "dscr_min", "dscr_avg"):
        return fmt.ratio
    if figure == "billed_gpu_hours":
        return fmt.number
    return fmt.percent


def render_calibration(calibration, console) -> None:
    """Print the calibrated scenario's report, the solved parameters and the targets reached or missed."""
    render(calibration.result, console)
    solved = Table(title="Calibration: solved parameters", header_style="bold")
    for column in ("free parameter", "field", "before", "after"):
        solved.add_column(column, justify="left" if column in ("free parameter", "field") else "right")
    for parameter, x in zip(calibration.free, calibration.solution):
        for path, before, after in zip(parameter.concrete_paths, parameter.base_values, parameter.values(x)):
            label = f"{parameter.path} (x{x:.4f})" if parameter.is_factor else parameter.path
            solved.add_row(label, path, f"{before:,.6g}", f"{after:,.6g}")
    console.print(solved)
    fit = Table(title=f"Calibration: targets (reached when |residual| <= {calibration.tolerance:g})",
                header_style="bold")
    for column in ("target", "wanted", "achieved", "residual", "relative to"):
        fit.add_column(column, justify="left" if column in ("target", "relative to") else "right")
    for name, wanted in calibration.targets.items():
        f = _figure_format(name)
        fit.add_row(name, f(wanted), f(calibration.achieved[name]), f"{calibration.residuals[name]:.3g}",
                    calibration.scale_labels[name])
    console.print(fit)
