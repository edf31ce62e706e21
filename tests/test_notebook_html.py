"""Notebook display: ``_repr_html_`` of a fleet result, a grid and every analysis's result is an HTML table of
its key figures (checked against the object's own values), parses, and loads nothing.

The HTML is read back with :mod:`html.parser`; a numeric cell keeps its exact value in ``data-value``, so the
figures are compared exactly, and its text as the console report formats it.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import dcecon
from dcecon.analysis.goal_seek import solve_goal
from dcecon.report import format as fmt

SCENARIO = "h100-neocloud-2024"
VARY = ["cohorts.0.utilization=0.6:1.0", "site.pue=1.1:1.6"]


class Fragment(HTMLParser):
    """Tables (``data-table`` -> rows -> ``(text, data-value)``), inline SVGs, and anything that would load."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[str, str | None]]]] = {}
        self.svgs = 0
        self.loads: list[str] = []
        self.open_tags: list[str] = []
        self._table = self._row = self._cell = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ("br", "meta", "path", "use", "rect", "stop", "circle", "line", "polyline", "polygon",
                       "image", "ellipse"):
            self.open_tags.append(tag)
        if tag in ("script", "link", "img", "iframe") or (tag not in ("a", "use") and "src" in attrs):
            self.loads.append(tag)
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("data-table", f"#{len(self.tables)}"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ["", attrs.get("data-value")]

    def handle_startendtag(self, tag, attrs):
        if tag in ("script", "link", "img", "iframe"):
            self.loads.append(tag)

    def handle_endtag(self, tag):
        if self.open_tags and self.open_tags[-1] == tag:
            self.open_tags.pop()
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def _shown(obj, svgs: int = 0) -> Fragment:
    text = obj._repr_html_()
    assert isinstance(text, str) and "<table" in text
    fragment = Fragment(text)
    assert fragment.loads == [] and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    assert fragment.svgs == svgs
    assert fragment.open_tags == [], fragment.open_tags[-5:]  # every element closed: it parses whole
    return fragment


def _row(fragment: Fragment, table: str, head: str) -> list[tuple[str, str | None]]:
    rows = [row for row in fragment.tables[table] if row and row[0][0] == head]
    assert rows, f"no row {head!r} in {table}: {[row[0][0] for row in fragment.tables[table]]}"
    return rows[0]


def test_a_fleet_result_shows_its_figures():
    result = dcecon.evaluate(SCENARIO, backend="numpy")
    shown = _shown(result, svgs=1)  # the rented-dollar chart
    for label, key, f in (("Revenue", "revenue_usd", fmt.money), ("Gross margin", "gross_margin", fmt.percent)):
        text, value = _row(shown, "window-pnl", label)[1]
        assert text == f(result.figures[key]) and float(value) == result.figures[key]
    text, value = _row(shown, "investment", "NPV")[1]
    assert text == fmt.money(result.npv_usd) and float(value) == result.npv_usd
    assert _row(shown, "investment", "IRR")[1][0] == "7.6%"  # README "What the report shows"
    assert _row(shown, "cohorts", result.cohorts[0]["name"])[3][0] == fmt.money(result.cohorts[0]["revenue_usd"])


def test_a_grid_shows_its_summary():
    result = dcecon.grid(SCENARIO, axes={"cohorts.0.utilization": "0.5:1:3",
                                         "cohorts.0.price_usd_per_gpu_hour": "1:3:3"}, backend="numpy")
    shown = _shown(result)
    summary = result.metric_summary("npv_usd")
    text, value = _row(shown, "grid-summary", "npv_usd")[1]
    assert text == fmt.money(summary["mean"]) and float(value) == summary["mean"]
    assert float(_row(shown, "grid-extremes", "best")[2][1]) == result.best("npv_usd")["value"]


def test_a_data_table_shows_its_cells():
    result = dcecon.data_table(SCENARIO, rows="cohorts.0.utilization=0.5:1:3",
                               cols="cohorts.0.price_usd_per_gpu_hour=1:3:3", metric="npv_usd", breakeven=True,
                               backend="numpy")
    shown = _shown(result)
    body = shown.tables["data-table"][1:]
    assert [[float(v) for _, v in row[1:4]] for row in body] == result.values.tolist()
    assert body[0][1][0] == fmt.money(result.values[0, 0])


def test_a_tornado_shows_its_swings_and_bars():
    result = dcecon.tornado(SCENARIO, ["cohorts.0.price_usd_per_gpu_hour=-20%:+20%", *VARY], metric="npv_usd",
                            backend="numpy")
    shown = _shown(result, svgs=1)
    for swing in result.inputs:
        row = _row(shown, "tornado", swing.path)
        assert row[6][0] == fmt.money(swing.swing) and float(row[6][1]) == swing.swing


def test_a_monte_carlo_shows_its_risk_and_histogram():
    result = dcecon.monte_carlo(SCENARIO, ["cohorts.0.utilization=pert(0.6,0.8,0.95)"], 1024, backend="numpy")
    shown = _shown(result, svgs=1)
    assert float(_row(shown, "mc-headline", "P(NPV < 0)")[1][1]) == result.p_npv_negative
    mean = result.statistics["npv_usd"]["mean"]
    assert _row(shown, "mc-statistics", "npv_usd")[1] == (fmt.money(mean), repr(mean))


def test_sobol_and_morris_show_their_indices():
    result = dcecon.sobol(SCENARIO, VARY, n=64, backend="numpy")
    shown = _shown(result, svgs=1)
    for k, r in enumerate(result.ranges):
        row = [row for row in shown.tables["sobol"] if row[0][0].startswith(r.path)][0]
        assert float(row[3][1]) == float(result.s1[k]) and float(row[4][1]) == float(result.st[k])
    morris = dcecon.morris(SCENARIO, VARY, trajectories=8, backend="numpy")
    shown = _shown(morris)
    for k, r in enumerate(morris.ranges):
        row = [row for row in shown.tables["morris"] if row[0][0].startswith(r.path)][0]
        assert float(row[4][1]) == float(morris.mu_star[k])


def test_a_goal_seek_shows_its_solutions():
    result = solve_goal(SCENARIO, "npv_usd=0", "cohorts.0.price_usd_per_gpu_hour",
                        axes=["cohorts.0.utilization=0.6,0.8,1.0"], backend="numpy")
    shown = _shown(result)
    body = shown.tables["goal-seek"][1:]
    assert [float(row[1][1]) for row in body] == result.x.tolist()
    assert [row[3][0] for row in body] == [str(m) for m in result.method]


def test_another_object_has_no_display():
    from dcecon.report.notebook import repr_html

    with pytest.raises(TypeError, match="no notebook display"):
        repr_html(object())
