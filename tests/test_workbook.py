"""``--xlsx FILE`` (docs/workbook.md): each command's workbook, read back with openpyxl and recalculated by
LibreOffice.

Expected values come from the same command's ``--json`` (the workbook holds the numbers ``--json`` prints:
model values to 1e-12 relative, as XlsxWriter writes 16 significant digits), from the model evaluated again at each
grid point (``dcecon.evaluate`` with ``--set``: the grid's main effects are means over those points), or from
the definitions the formulas implement (the parts of a rented dollar add up to 1). Formula results are checked
after LibreOffice Calc recalculates the workbook: to 1e-9 relative, since Calc sums in a different order and
stores 15 significant digits. Everything runs on the NumPy backend with small designs.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

import dcecon
from dcecon.cli.main import main
from dcecon.report.outputs import Output
from dcecon.report.workbook import workbook_bytes

SCENARIO = "h100-neocloud-2024"
FLEET = "oracle-fy26q1"
"""Two cohorts, monthly periods, a gross loss on one cohort and non-finite figures (payback inf, IRR nan)."""
UTILIZATION = "cohorts.0.utilization=0.6:1:3"
PRICE = "cohorts.0.price_usd_per_gpu_hour=1.5:2.5:3"
VARY = ["--vary", "site.pue=1.1:1.6", "--vary", "cohorts.0.utilization=0.7:1"]

COMMANDS = {
    "run": ["run", FLEET],
    "grid": ["grid", SCENARIO, "--axis", UTILIZATION, "--axis", PRICE, "--quiet"],
    "table": ["table", SCENARIO, "--rows", UTILIZATION, "--cols", PRICE, "--breakeven"],
    "tornado": ["tornado", SCENARIO, *VARY, "--spider", "3"],
    "montecarlo": ["montecarlo", SCENARIO, "--vary", "cohorts.0.utilization=uniform(0.6,1)", "--draws", "2000"],
    "sobol": ["sobol", SCENARIO, *VARY, "--n", "64"],
}
"""Each command with the small design it is tested with (as tests/test_plots.py)."""

MODEL_RTOL = 1e-12
"""Model values written as numbers and read back: XlsxWriter writes 16 significant digits, so a value comes back
within about 1e-16 relative of the model's float64."""

RECALC_RTOL = 1e-9
"""Formulas recalculated by LibreOffice: a different summation order and 15 stored digits."""

PNL_FLOWS = ("revenue_usd", "depreciation_usd", "power_cost_usd", "facility_cost_usd", "opex_usd", "cogs_usd",
             "gross_profit_usd", "ebitda_usd", "energy_kwh", "billed_gpu_hours")


def _run_cli(argv) -> tuple[int, str, str]:
    """``dcecon ARGV``: exit status, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Each command run once with ``--json --xlsx``: ``{command: (workbook path, --json object)}``."""
    folder = tmp_path_factory.mktemp("workbooks")
    found = {}
    for command, argv in COMMANDS.items():
        path = folder / f"{command}.xlsx"
        status, out, err = _run_cli([*argv, "--backend", "numpy", "--json", "--xlsx", str(path)])
        assert status == 0, err
        assert err.strip().endswith(f"dcecon: wrote the workbook {path}")
        found[command] = (path, json.loads(out))
    return found


def _book(written, command, data_only=True):
    return openpyxl.load_workbook(written[command][0], data_only=data_only)


def _same(got, expected, rtol) -> bool:
    """``got`` equals ``expected``: numbers to ``rtol``, the JSON's non-finite strings as the same text."""
    if isinstance(expected, str) or expected is None:
        return got == expected
    if isinstance(expected, float) and not math.isfinite(expected):
        return got == ("nan" if math.isnan(expected) else ("inf" if expected > 0 else "-inf"))
    return isinstance(got, (int, float)) and math.isclose(got, expected, rel_tol=rtol, abs_tol=0.0)


def _rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def _row_labelled(ws, label) -> int:
    """1-based row whose first cell is ``label``."""
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row and row[0] == label:
            return number
    raise AssertionError(f"no row {label!r} on {ws.title}")


def _column(ws, header_row: int, header: str) -> int:
    """1-based column of ``header`` in row ``header_row``."""
    for cell in ws[header_row]:
        if cell.value == header:
            return cell.column
    raise AssertionError(f"no column {header!r} on {ws.title}: {[c.value for c in ws[header_row]]}")


# --- dcecon run -------------------------------------------------------------------------------------------------

PNL_HEADER_ROW = 4


def _pnl_columns(ws) -> dict:
    return {cell.value.split(" [")[0]: cell.column for cell in ws[PNL_HEADER_ROW] if cell.value}


def test_run_workbook_has_the_periods_investment_view_and_cohorts_of_run_json(written):
    book = _book(written, "run")
    figures = written["run"][1]
    assert book.sheetnames == ["About", "P&L", "Rented dollar", "Investment", "Cohorts", "Inputs", "Sources"]
    pnl = book["P&L"]
    columns = _pnl_columns(pnl)
    for k, period in enumerate(figures["periods"]):
        for name, value in period.items():
            assert _same(pnl.cell(PNL_HEADER_ROW + 1 + k, columns[name]).value, value, MODEL_RTOL), (k, name)
    model = _row_labelled(pnl, "Model's window figure")
    total = _row_labelled(pnl, "Total (formula)")
    assert total == PNL_HEADER_ROW + 1 + len(figures["periods"])
    for name in PNL_FLOWS + ("gross_margin",):
        assert _same(pnl.cell(model, columns[name]).value, figures[name], MODEL_RTOL), name
        # the cached result of the total's formula is the model's window figure
        assert _same(pnl.cell(total, columns[name]).value, figures[name], MODEL_RTOL), name
    investment = {row[1]: row[3] for row in _rows(book["Investment"]) if row[1] and row[1] != "field"}
    for name in ("npv_usd", "irr", "payback_years", "breakeven_price_usd_per_gpu_hour", "breakeven_utilization",
                 "cost_usd_per_billed_gpu_hour", "capex_usd", "lifetime_gross_margin", "interest_coverage",
                 "dscr_min", "economic_depreciation_usd"):
        assert _same(investment[name], figures[name], MODEL_RTOL), name
    assert investment["payback_years"] == "inf" and investment["dscr_min"] == "nan"  # the non-finite rule
    cohorts = book["Cohorts"]
    header = {cell.value.split(" [")[0]: cell.column for cell in cohorts[3] if cell.value}
    for k, cohort in enumerate(figures["cohorts"]):
        for name, value in cohort.items():
            assert _same(cohorts.cell(4 + k, header[name]).value, value, MODEL_RTOL), (cohort["name"], name)
    assert figures["cohorts"][1]["irr"] == "nan" and cohorts.cell(5, header["irr"]).value == "nan"


def test_run_totals_margin_and_rented_dollar_are_formulas_over_the_period_rows(written):
    pnl = _book(written, "run", data_only=False)["P&L"]
    columns = _pnl_columns(pnl)
    first, last = PNL_HEADER_ROW + 1, PNL_HEADER_ROW + len(written["run"][1]["periods"])
    total = last + 1
    letter = {name: openpyxl.utils.get_column_letter(c) for name, c in columns.items()}
    assert pnl.cell(total, columns["revenue_usd"]).value == f"=SUM({letter['revenue_usd']}{first}:" \
                                                             f"{letter['revenue_usd']}{last})"
    assert pnl.cell(first, columns["cogs_usd"]).value == f"=SUM({letter['depreciation_usd']}{first}:" \
                                                         f"{letter['opex_usd']}{first})"
    assert pnl.cell(first, columns["gross_profit_usd"]).value == f"={letter['revenue_usd']}{first}-" \
                                                                 f"{letter['cogs_usd']}{first}"
    gp, rev = f"{letter['gross_profit_usd']}{total}", f"{letter['revenue_usd']}{total}"
    assert pnl.cell(total, columns["gross_margin"]).value == f'=IF({rev}=0,"nan",{gp}/{rev})'
    per_dollar = pnl.cell(total + 1, columns["depreciation_usd"]).value
    assert per_dollar.startswith("=IF($") and f"{letter['depreciation_usd']}{total}/" in per_dollar


def test_run_workbook_has_native_charts(written):
    book = _book(written, "run")
    assert len(book["P&L"]._charts) == 1
    assert len(book["Rented dollar"]._charts) == 1


def test_inputs_sheet_lists_every_field_with_its_unit_and_source_hyperlink(written):
    book = _book(written, "run")
    sources = {s["id"]: s for s in written["run"][1]["sources"]}
    scenario = dcecon.load_scenario(FLEET)
    inputs = book["Inputs"]
    rows = {row[0].value: row for row in inputs.iter_rows(min_row=4)}
    pue = rows["site.pue"]
    assert pue[1].value == scenario.site.pue and pue[2].value == "ratio" and pue[3].value == "hyperscale-pue-2024"
    assert pue[4].value == sources["hyperscale-pue-2024"]["title"]
    assert pue[6].hyperlink is not None and pue[6].hyperlink.target == sources["hyperscale-pue-2024"]["url"]
    price = rows["cohorts.0.price_usd_per_gpu_hour"]
    assert price[1].value == scenario.cohorts[0].price_usd_per_gpu_hour and price[2].value == "USD/GPU-hour"
    # every sourced field is listed with its source id
    for entry in written["run"][1]["sources"]:
        for field in entry["fields"]:
            assert rows[field][3].value == entry["id"], field
    linked = {row[0].value: row[3].hyperlink.target for row in book["Sources"].iter_rows(min_row=4)
              if row[3].hyperlink is not None}
    assert linked == {i: s["url"] for i, s in sources.items() if s.get("url")}


def test_about_sheet_names_version_command_backend_and_the_extrapolation(written):
    about = {row[0]: row[1] for row in _rows(_book(written, "run")["About"]) if row[0]}
    assert about["dcecon version"] == dcecon.__version__
    assert about["scenario"] == FLEET and about["backend"] == "numpy (float64)"
    assert about["extrapolated"] == written["run"][1]["extrapolated"]
    assert about["command line"].startswith("dcecon ") or about["command line"].startswith("called from Python")


# --- LibreOffice recalculates the formulas ------------------------------------------------------------------------

RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""
"""A LibreOffice user profile that always recalculates an .xlsx on load (by default Calc keeps the stored
results, so a test would read back what XlsxWriter wrote)."""


def recalculated(files, folder: Path) -> dict:
    """Each workbook as LibreOffice Calc recalculates and saves it (one ``soffice`` run for all of them):
    ``{name: openpyxl workbook of the cached results}``."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; CI installs libreoffice-calc-nogui")
    profile = folder / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_PROFILE)
    out = folder / "recalculated"
    done = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                           "--convert-to", "xlsx", "--outdir", str(out), *map(str, files)],
                          capture_output=True, text=True, timeout=180)
    missing = [f for f in files if not (out / Path(f).name).exists()]
    assert not missing, f"soffice did not convert {missing}: {done.stdout}{done.stderr}"
    return {Path(f).stem: openpyxl.load_workbook(out / Path(f).name, data_only=True) for f in files}


def test_libreoffice_recalculates_totals_margins_and_rented_dollar_to_run_json(written, tmp_path):
    """The run workbook written with its formulas' stored results left at 0, then recalculated by Calc: the
    totals, margins and per-rented-dollar lines are the ``--json`` figures (so the formulas compute them);
    the other commands' formulas (swing, histogram total, interval bounds) recalculate too."""
    figures = written["run"][1]
    result = dcecon.evaluate(FLEET, backend="numpy")
    blank = tmp_path / "run-uncached.xlsx"
    blank.write_bytes(workbook_bytes(Output("run", result, scenario=result.scenario, kind="fleet"),
                                     formula_results=False))
    pnl_blank = openpyxl.load_workbook(blank, data_only=True)["P&L"]
    total = _row_labelled(pnl_blank, "Total (formula)")
    columns = _pnl_columns(pnl_blank)
    assert pnl_blank.cell(total, columns["revenue_usd"]).value == 0  # nothing but a recalculation fills it
    books = recalculated([blank, *(written[c][0] for c in ("tornado", "montecarlo", "sobol"))], tmp_path)

    pnl = books["run-uncached"]["P&L"]
    revenue = figures["revenue_usd"]
    for name in PNL_FLOWS + ("gross_margin",):
        assert _same(pnl.cell(total, columns[name]).value, figures[name], RECALC_RTOL), name
    for name in ("depreciation_usd", "power_cost_usd", "facility_cost_usd", "opex_usd", "cogs_usd",
                 "gross_profit_usd", "ebitda_usd"):
        assert _same(pnl.cell(total + 1, columns[name]).value, figures[name] / revenue, RECALC_RTOL), name
    for k, period in enumerate(figures["periods"]):
        for name in ("cogs_usd", "gross_profit_usd", "gross_margin"):
            assert _same(pnl.cell(PNL_HEADER_ROW + 1 + k, columns[name]).value, period[name], RECALC_RTOL)
    dollar = {row[0]: row[1:] for row in _rows(books["run-uncached"]["Rented dollar"])[3:] if row[0]}
    cohorts = {c["name"]: c for c in figures["cohorts"]}
    for name, parts in dollar.items():
        expected = figures if name == "fleet" else cohorts[name]
        assert _same(parts[4], expected["gross_profit_usd"] / expected["revenue_usd"], RECALC_RTOL), name
        assert _same(parts[5], 1.0, RECALC_RTOL), name  # depreciation + power + facility + opex + gross profit

    tornado = books["tornado"]["Tornado"]
    swings = {row[0]: row[9] for row in _rows(tornado)[5:] if row[0]}
    assert swings and all(_same(swings[s["input"]], s["swing"], RECALC_RTOL)
                          for s in written["tornado"][1]["inputs"])
    histogram = books["montecarlo"]["Histogram"]
    assert histogram.cell(_row_labelled(histogram, "total (formula)"), 4).value == written["montecarlo"][1]["draws"]
    indices = {row[0]: row for row in _rows(books["sobol"]["Indices"])[3:] if row[0]}
    for entry in written["sobol"][1]["inputs"]:
        row = indices[entry["input"]]
        assert _same(row[6], entry["S1"] - entry["S1_conf"], RECALC_RTOL)
        assert _same(row[11], entry["ST"] + entry["ST_conf"], RECALC_RTOL)


# --- the other commands -------------------------------------------------------------------------------------------

def test_grid_workbook_summary_extremes_and_heatmaps_are_grid_json(written):
    book = _book(written, "grid")
    summary = written["grid"][1]
    assert book.sheetnames == ["About", "Summary", "Best and worst", "Main effects", "Tables"]
    ws = book["Summary"]
    header_row = _row_labelled(ws, "metric")
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        stats = summary["metrics"][row[0]]
        for name, value in zip(("count", "finite", "nan", "posinf", "neginf", "mean", "std", "min", "p1", "p5",
                                "p25", "p50", "p75", "p95", "p99", "max", "share_negative"), row[2:]):
            assert _same(value, stats[name], MODEL_RTOL), (row[0], name)
    assert {row[0] for row in ws.iter_rows(min_row=header_row + 1, values_only=True)} == set(summary["metrics"])
    best = [row for row in _rows(book["Best and worst"]) if row[0] == "best" and row[1] == "npv_usd"][0]
    assert _same(best[2], summary["best"]["npv_usd"]["value"], MODEL_RTOL)
    assert best[4] == summary["best"]["npv_usd"]["index"]
    assert list(best[5:7]) == list(summary["best"]["npv_usd"]["parameters"].values())
    tables = book["Tables"]
    assert len(tables.conditional_formatting) == 2  # mean gross margin and mean NPV, each a 3-colour scale
    assert all(rule.type == "colorScale" for cf in tables.conditional_formatting for rule in cf.rules)
    assert len(book["Main effects"]._charts) == 2  # one per axis


def test_grid_main_effects_are_means_of_the_model_over_the_other_axis(written):
    """The main effect of utilization u on NPV is the mean of ``dcecon.evaluate`` over the three prices."""
    ws = _book(written, "grid")["Main effects"]
    first = _row_labelled(ws, f"{UTILIZATION.split('=')[0]} (0.6:1:3)") + 2
    npv_col = _column(ws, first - 1, "mean npv_usd [USD]")
    for k, utilization in enumerate((0.6, 0.8, 1.0)):
        npvs = [dcecon.evaluate(dcecon.load_scenario(SCENARIO, [f"cohorts.0.utilization={utilization}",
                                                                f"cohorts.0.price_usd_per_gpu_hour={price}"]),
                                backend="numpy").npv_usd for price in (1.5, 2.0, 2.5)]
        assert ws.cell(first + k, 1).value == utilization
        assert _same(ws.cell(first + k, npv_col).value, sum(npvs) / 3, 1e-9)


def test_table_workbook_has_the_cells_breakeven_colour_scale_and_chart(written):
    ws = _book(written, "table")["Table"]
    table = written["table"][1]
    rows = _rows(ws)
    assert [float(v) for v in rows[2][1:4]] == table["cols"]["values"]
    for k, values in enumerate(table["values"]):
        assert rows[3 + k][0] == table["rows"]["values"][k]
        assert all(_same(got, want, MODEL_RTOL) for got, want in zip(rows[3 + k][1:4], values))
        breakeven = table["breakeven"]["rows"][k]
        assert _same(rows[3 + k][5], breakeven[table["breakeven"]["path"]], MODEL_RTOL)
        assert rows[3 + k][7] == breakeven["method"]
    assert len(ws.conditional_formatting) == 1
    assert len(ws._charts) == 1


def test_tornado_workbook_has_the_sorted_swings_bar_chart_and_spider(written):
    book = _book(written, "tornado")
    result = written["tornado"][1]
    ws = book["Tornado"]
    assert _same(ws["B3"].value, result["base_metric"], MODEL_RTOL)
    rows = [row for row in _rows(ws)[5:] if row[0]]
    assert [row[0] for row in rows] == [s["input"] for s in result["inputs"]]  # largest swing first
    for row, swing in zip(rows, result["inputs"]):
        assert _same(row[7], swing["metric_at_low"], MODEL_RTOL) and _same(row[8], swing["metric_at_high"],
                                                                         MODEL_RTOL)
        assert _same(row[9], swing["swing"], MODEL_RTOL)
    assert ws._charts and ws._charts[0].tagname == "barChart"
    spider = [row for row in _rows(book["Spider"])[3:] if row[0]]
    expected = [m for line in result["spider"] for m in line["metric"]]
    assert len(spider) == len(expected) and all(_same(row[3], m, MODEL_RTOL) for row, m in zip(spider, expected))
    assert len(book["Spider"]._charts) == 1


def test_montecarlo_workbook_has_statistics_percentiles_and_a_histogram_chart(written):
    book = _book(written, "montecarlo")
    result = written["montecarlo"][1]
    stats = book["Statistics"]
    for row in _rows(stats)[3:]:
        expected = result["metrics"][row[0]]
        for name, value in zip(("draws", "finite", "nan", "mean", "se", "std", "min", "max", "expected_shortfall_5",
                                "share_negative", "share_negative_se"), row[2:]):
            assert _same(value, expected[name], MODEL_RTOL), (row[0], name)
    summary = {row[0]: row[1] for row in _rows(book["Summary"])[3:] if row[0]}
    assert _same(summary["p_npv_negative"], result["summary"]["p_npv_negative"], MODEL_RTOL)
    percentiles = [row for row in _rows(book["Percentiles"])[3:] if row[0] == "npv_usd"]
    assert [row[2] for row in percentiles] == [1, 5, 10, 25, 50, 75, 90, 95, 99]
    assert _same(percentiles[4][3], result["metrics"]["npv_usd"]["p50"], MODEL_RTOL)
    histogram = book["Histogram"]
    bins = [row for row in _rows(histogram)[3:] if isinstance(row[0], float)]
    npv = result["metrics"]["npv_usd"]
    assert sum(row[3] for row in bins) == result["draws"]  # every draw is kept at 2,000 draws
    assert _same(bins[0][0], npv["min"], MODEL_RTOL) and _same(bins[-1][1], npv["max"], MODEL_RTOL)
    assert len(histogram._charts) == 1
    assert _rows(book["Summary"])[-1][:2] == ("cohorts.0.utilization", "uniform(0.6, 1)")


def test_sobol_workbook_has_the_indices_with_intervals_and_a_chart(written):
    ws = _book(written, "sobol")["Indices"]
    rows = [row for row in _rows(ws)[3:] if row[0]]
    inputs = written["sobol"][1]["inputs"]
    assert [row[0] for row in rows] == [entry["input"] for entry in inputs]  # by total index
    for row, entry in zip(rows, inputs):
        for got, name in zip((row[4], row[5], row[8], row[9]), ("S1", "S1_conf", "ST", "ST_conf")):
            assert _same(got, entry[name], MODEL_RTOL), name
    assert len(ws._charts) == 1


def test_morris_workbook_from_python():
    from dcecon.analysis.morris import morris

    result = morris(SCENARIO, ["site.pue=1.1:1.6", "cohorts.0.utilization=0.7:1"], trajectories=4,
                    backend="numpy")
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(Output("morris", result))), data_only=True)
    rows = [row for row in _rows(book["Morris"])[3:] if row[0]]
    frame = result.to_frame()
    assert [row[0] for row in rows] == list(frame["input"])
    assert all(_same(row[5], value, MODEL_RTOL) for row, value in zip(rows, frame["mu_star"]))
    assert len(book["Morris"]._charts) == 1


# --- determinism and refusals -------------------------------------------------------------------------------------

def test_the_same_result_gives_the_same_bytes_with_a_fixed_date():
    result = dcecon.evaluate(SCENARIO, backend="numpy")
    output = Output("run", result, scenario=result.scenario, kind="fleet", command_line="dcecon run x --xlsx y")
    first, second = workbook_bytes(output), workbook_bytes(output)
    assert first == second
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_a_command_or_kind_without_a_workbook_is_refused():
    with pytest.raises(ValueError, match="no workbook for command"):
        workbook_bytes(Output("calibrate", None))
    with pytest.raises(ValueError, match="kind 'macro'"):
        workbook_bytes(Output("run", {}, kind="macro"))


def _refused(argv, tmp_path, line_end):
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = _run_cli(argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("dcecon: error: --xlsx: ") and err.endswith(line_end + "\n"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_xlsx_in_a_missing_folder_is_one_line_exit_2(tmp_path):
    target = tmp_path / "missing" / "run.xlsx"
    _refused(["run", SCENARIO, "--backend", "numpy", "--xlsx", str(target)], tmp_path,
             f"its folder {target.parent} does not exist (create it first)")


def test_an_existing_xlsx_is_kept_without_force_and_replaced_with_it(tmp_path):
    target = tmp_path / "run.xlsx"
    target.write_bytes(b"an analyst's own workbook")
    _refused(["run", SCENARIO, "--backend", "numpy", "--xlsx", str(target)], tmp_path,
             f"{target}: exists; pass --force to replace it")
    assert target.read_bytes() == b"an analyst's own workbook"
    status, _, _ = _run_cli(["run", SCENARIO, "--backend", "numpy", "--xlsx", str(target), "--force"])
    assert status == 0 and openpyxl.load_workbook(target).sheetnames[0] == "About"


def test_an_xlsx_name_without_the_suffix_is_one_line_exit_2(tmp_path):
    _refused(["run", SCENARIO, "--backend", "numpy", "--xlsx", str(tmp_path / "run.xls")], tmp_path,
             "give a file name ending in .xlsx")


def test_run_xlsx_of_a_macro_scenario_is_one_line_exit_2(tmp_path):
    _refused(["run", "bain-200gw-2030", "--xlsx", str(tmp_path / "macro.xlsx")], tmp_path,
             "no workbook for a scenario of kind 'macro' yet; --xlsx writes kinds fleet")
