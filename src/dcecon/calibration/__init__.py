"""Calibration: solve free scenario parameters so that results hit targets."""

from dcecon.calibration.solver import CalibrationResult, FreeParameter, calibrate, parse_target

__all__ = ["CalibrationResult", "FreeParameter", "calibrate", "parse_target"]
