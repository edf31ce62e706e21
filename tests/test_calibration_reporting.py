"""What ``dcecon calibrate`` reports about its solution: a target it could not reach is said so.

The solver is described in docs/model.md §10 (Calibration); the exit statuses
and the report are those of ``dcecon.cli.calibrate_command`` (its module
docstring: 0 when every target is reached, 1 when one is missed, with the
results still printed and one line on standard error). The cases call
``dcecon.cli.main.main`` in-process.
"""

from __future__ import annotations

from dcecon.cli.main import main
from helpers.paths import NEOCLOUD


def test_calibrate_warns_when_a_target_stays_undefined(capsys):
    # A zero price has no IRR (NaN): the solver cannot reach an IRR target from there, and says so.
    status = main(["calibrate", str(NEOCLOUD), "--set", "cohorts.0.utilization=0", "--target", "irr=0.05",
                   "--free", "cohorts.0.price_usd_per_gpu_hour"])
    out, err = capsys.readouterr()
    assert status == 1, err  # a missed target (not bad input, which is 2)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "1 of 1 targets not reached" in lines[0] and "irr" in lines[0], err
    assert "Calibration: targets" in out  # the results and residuals are still printed
