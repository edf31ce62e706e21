"""Regenerate the README's figures into docs/figures/ (run from anywhere: ``python docs/make_figures.py``).

Writes three PNG files, each computed on the NumPy backend from a bundled scenario:

- ``docs/figures/oracle-fy26q1-rented-dollar.png``: where each rented dollar goes in Oracle's quarter
  (``dcecon run oracle-fy26q1 --plot DIR``);
- ``docs/figures/h100-npv-heatmap.png``: NPV of the $2 H100 over utilization and price, with the exact
  gross margin = 0 and NPV = 0 lines (``dcecon table ... --plot DIR``);
- ``docs/figures/h100-tornado.png``: the tornado of its NPV (``dcecon tornado ... --plot DIR``).

Each file is written atomically; the figures carry no date, so rerunning on the same versions rewrites the same
pictures.
"""

from __future__ import annotations

from pathlib import Path

import dcecon
from dcecon.io import atomic_write_bytes
from dcecon.report.plot.output import figure_bytes

FIGURES = Path(__file__).resolve().parent / "figures"
"""Where the README's figures live."""

H100 = "h100-neocloud-2024"


def figures() -> dict:
    """The README's figures by file name."""
    oracle = dcecon.evaluate("oracle-fy26q1", backend="numpy")
    table = dcecon.data_table(H100, rows="cohorts.0.utilization=0.5:1:6", cols="cohorts.0.price_usd_per_gpu_hour=1:3:9",
                              metric="npv_usd", breakeven=True, backend="numpy")
    tornado = dcecon.tornado(H100, ["cohorts.0.price_usd_per_gpu_hour=-20%:+20%", "cohorts.0.utilization=0.7:1.0",
                                    "cohorts.0.price_decline_per_year=0.05:0.24", "cohorts.0.book_life_years=3:6",
                                    "site.electricity_usd_per_kwh=0.06:0.12", "site.pue=1.1:1.6"],
                             metric="npv_usd", backend="numpy")
    return {
        "oracle-fy26q1-rented-dollar.png": dcecon.plot.rented_dollar(oracle),
        "h100-npv-heatmap.png": dcecon.plot.table_figures(table, backend="numpy", scenario=H100)["heatmap-npv_usd"],
        "h100-tornado.png": dcecon.plot.tornado_chart(tornado),
    }


def main() -> list[Path]:
    """Write the figures; the paths written."""
    FIGURES.mkdir(exist_ok=True)
    written = []
    for name, figure in figures().items():
        atomic_write_bytes(FIGURES / name, figure_bytes(figure, "png"))
        written.append(FIGURES / name)
    return written


if __name__ == "__main__":
    for path in main():
        print(path)
