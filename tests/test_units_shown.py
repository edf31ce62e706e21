"""Units print the same in figures, workbooks and HTML reports (dcecon.report.units): a share is a fraction,
PUE, interest coverage and DSCR are ratios (docs/model.md: PUE = facility power / IT power, 1.56 not 156%)."""

from __future__ import annotations

import pytest

import dcecon
from dcecon.report.html.analyses import with_unit
from dcecon.report.plot.style import field_label, label
from dcecon.report.units import field_unit, unit_text
from dcecon.report.workbook.cells import header, number_format


@pytest.mark.parametrize("path, shown", [
    ("site.pue", "ratio"),
    ("cohorts.0.utilization", "fraction"),
    ("cohorts.0.price_usd_per_gpu_hour", "USD/GPU-hour"),
    ("cohorts.0.price_decline_per_year", "fraction/year"),
])
def test_a_field_prints_one_unit_in_every_format(path, shown):
    unit = field_unit(path)
    assert unit_text(unit, path) == shown
    assert field_label(path) == f"{path} [{shown}]"          # a figure's axis
    assert header(path, unit) == f"{path} [{shown}]"         # a workbook's column
    assert with_unit(path) == f"{path} [{shown}]"            # an HTML table's row


def test_ratios_are_not_percentages():
    assert number_format(field_unit("site.pue"), "site.pue") == "0.000"
    assert number_format("-", "interest_coverage") == "0.000"
    assert number_format("-", "gross_margin") == "0.00%"
    assert label("interest_coverage", "-") == "interest_coverage [ratio]"


def test_a_pue_axis_on_a_heatmap_says_ratio():
    table = dcecon.data_table("h100-neocloud-2024", rows="site.pue=1.1:1.6:3",
                              cols="cohorts.0.price_usd_per_gpu_hour=1:3:3", metric="gross_margin", backend="numpy")
    ax = dcecon.plot.table_heatmap(table).axes[0]
    assert ax.get_ylabel() == "site.pue [ratio]"
