"""``--html FILE``: one self-contained page per command, checked by reading it back and by opening it in a
headless browser.

For each command (run on a fleet and on a macro scenario, grid, table, tornado, montecarlo, sobol) the page is
written through :func:`dcecon.cli.main.main` and read back with :mod:`html.parser`: its key figures are the
``--json`` output's, shown as the console report formats them (and exact in ``data-value``); every source of the
scenario is a link to its address; nothing is loaded from anywhere (no ``src``/``href`` of a script, style
sheet, image or frame); every chart is there as inline SVG. Then Chromium (Debian's ``chromium``, driven by
Playwright; skipped where either is missing) opens each page: no console error, no request but the page
itself, every chart drawn with a size, and a full-page screenshot saved (``$DCECON_TEST_ARTEFACTS`` or the
test's temporary folder) that is not blank. Everything runs on the NumPy backend with small designs.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import math
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dcecon.cli.main import main
from dcecon.report import format as fmt
from dcecon.report.fleet import INVESTMENT_ROWS, PNL_ROWS

SCENARIO = "h100-neocloud-2024"
NUMPY = ["--backend", "numpy"]

COMMANDS = {
    "run-fleet": ["run", "oracle-fy26q1", *NUMPY],
    "run-macro": ["run", "bain-200gw-2030"],
    "grid": ["grid", SCENARIO, "--axis", "cohorts.0.utilization=0.5:1:3", "--axis",
             "cohorts.0.price_usd_per_gpu_hour=1:3:3", "--quiet", *NUMPY],
    "table": ["table", SCENARIO, "--rows", "cohorts.0.utilization=0.5:1:3", "--cols",
              "cohorts.0.price_usd_per_gpu_hour=1:3:3", "--metric", "npv_usd", "--breakeven", *NUMPY],
    "tornado": ["tornado", SCENARIO, "--metric", "npv_usd", "--vary", "cohorts.0.price_usd_per_gpu_hour=-20%:+20%",
                "--vary", "cohorts.0.utilization=0.7:1.0", "--vary", "site.pue=1.1:1.6", *NUMPY],
    "montecarlo": ["montecarlo", SCENARIO, "--vary", "cohorts.0.utilization=pert(0.6,0.8,0.95)", "--vary",
                   "cohorts.0.price_usd_per_gpu_hour=triangular(1.5,2,2.5)", "--draws", "2000", *NUMPY],
    "sobol": ["sobol", SCENARIO, "--vary", "cohorts.0.utilization=0.6:1.0", "--vary", "site.pue=1.1:1.6",
              "--n", "64", *NUMPY],
    "morris": ["morris", SCENARIO, "--vary", "cohorts.0.utilization=0.6:1.0", "--vary", "site.pue=1.1:1.6",
               "--trajectories", "10", *NUMPY],
}
"""Each command's arguments (the page and ``--json`` are asked of the same arguments)."""

CHARTS = {
    "run-fleet": {"rented-dollar", "pnl-by-cohort", "cumulative-cash", "price-vs-cost-0", "price-vs-cost-1"},
    "run-macro": {"macro-chain"},
    "grid": {"heatmap-gross_margin", "heatmap-npv_usd"},
    "table": {"heatmap-npv_usd"},
    "tornado": {"tornado-npv_usd"},
    "montecarlo": {"histogram-npv_usd", "cdf-npv_usd"},
    "sobol": {"sobol-gross_margin"},
    "morris": {"morris-gross_margin"},
}
"""The charts each page holds (the stems ``--plot`` names them by, docs/plots.md)."""

LOADING_TAGS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "embed": "src",
                "object": "data", "audio": "src", "video": "src"}
"""Elements that would load something, and the attribute naming it."""


class Page(HTMLParser):
    """What a test reads back from a page: its tables (by ``data-table``, rows by ``data-key``), links, charts
    and anything that would load a resource."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
        self.links: list[str] = []
        self.loads: list[str] = []
        self.charts: dict[str, int] = {}
        self._table = self._row = self._cell = self._chart = None
        self._rows = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in LOADING_TAGS and attrs.get(LOADING_TAGS[tag]):
            self.loads.append(f"<{tag} {LOADING_TAGS[tag]}={attrs[LOADING_TAGS[tag]]}>")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "table" and "data-table" in attrs:
            self._table = self.tables.setdefault(attrs["data-table"], {})
            self._rows = None  # rows are counted in the body only
        elif tag == "tbody":
            self._rows = 0
        elif tag == "tr" and self._table is not None and self._rows is not None:
            self._row = self._table.setdefault(attrs.get("data-key") or f"#{self._rows}", [])
            self._rows += 1
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ["", attrs.get("data-value")]
        elif tag == "figure" and "data-chart" in attrs:
            self._chart = attrs["data-chart"]
            self.charts[self._chart] = 0
        elif tag == "svg" and self._chart is not None:
            self.charts[self._chart] += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "figure":
            self._chart = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def _run(argv: list[str]) -> str:
    """Run ``dcecon ARGV``, return its standard output; it must exit 0."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(argv) == 0, argv
    return out.getvalue()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict:
    """For each command: ``path`` of its page, ``text``, ``page`` (parsed) and ``json`` (its ``--json``)."""
    folder = tmp_path_factory.mktemp("html")
    found = {}
    for name, argv in COMMANDS.items():
        path = folder / f"{name}.html"
        printed = _run([*argv, "--json", "--html", str(path)])
        text = path.read_text(encoding="utf-8")
        found[name] = {"path": path, "text": text, "page": Page(text), "json": json.loads(printed)}
    return found


@pytest.fixture(scope="module")
def sources() -> dict:
    """The sources of each scenario, as ``dcecon run --json`` lists them."""
    return {name: json.loads(_run(["run", name, "--json", *NUMPY]))["sources"]
            for name in ("oracle-fy26q1", "bain-200gw-2030", SCENARIO)}


def _number(value) -> float:
    """A ``--json`` number (``"inf"``, ``"nan"`` are strings there)."""
    return float(value)


def _same(cell_value: str | None, expected) -> bool:
    if cell_value is None:
        return False
    got, want = float(cell_value), _number(expected)
    return (math.isnan(got) and math.isnan(want)) or got == want


def page_text(text: str) -> str:
    """The page's text with entities decoded (for sentences the page quotes)."""
    return html.unescape(text)


def _cell(page: Page, table: str, row: str, column: int) -> tuple[str, str | None]:
    assert table in page.tables, f"no table {table!r}: {sorted(page.tables)}"
    assert row in page.tables[table], f"table {table!r} has no row {row!r}: {sorted(page.tables[table])}"
    return page.tables[table][row][column]


# --- the page, read back ----------------------------------------------------------------------------------------

def test_fleet_page_shows_the_json_figures(reports):
    report = reports["run-fleet"]
    page, figures = report["page"], report["json"]
    for _, key, f in PNL_ROWS:
        text, value = _cell(page, "window-pnl", key, 1)
        assert text == f(_number(figures[key])) and _same(value, figures[key]), key
    revenue = figures["revenue_usd"]
    assert _cell(page, "window-pnl", "depreciation_usd", 2)[0] == fmt.percent(figures["depreciation_usd"] / revenue)
    for _, key, f in INVESTMENT_ROWS:
        text, value = _cell(page, "investment", key, 1)
        assert text == f(_number(figures[key])) and _same(value, figures[key]), key
    for cohort in figures["cohorts"]:
        assert _cell(page, "cohorts", cohort["name"], 3)[0] == fmt.money(cohort["revenue_usd"])
        share = cohort["gross_profit_usd"] / cohort["revenue_usd"]
        assert _cell(page, "rented-dollar", cohort["name"], 5)[0] == fmt.percent(share)
    assert _cell(page, "rented-dollar", "fleet", 5)[0] == fmt.percent(figures["gross_margin"])
    assert figures["extrapolated"] and figures["extrapolated"] in page_text(report["text"])


def test_macro_page_shows_the_json_figures(reports):
    report = reports["run-macro"]
    page, figures = report["page"], report["json"]
    chain = {row[0][0]: row[1][0] for row in page.tables["macro-chain"].values()}
    assert chain["Revenue needed to earn the WACC"] == fmt.money(figures["required_revenue_usd_per_year"])
    assert chain["Power cost a year"] == fmt.money(figures["power_cost_usd_per_year"])
    views = [row[1][0] for row in page.tables["macro-comparison"].values()]
    assert fmt.money(figures["bain_required_revenue_usd_per_year"]) in views  # Bain's $2T
    assert fmt.money(figures["sequoia_required_revenue_usd_per_year"]) in views  # Sequoia's $600B
    for caveat in figures["caveats"]:
        assert caveat in page_text(report["text"])


def test_grid_page_shows_the_json_figures(reports):
    page, summary = reports["grid"]["page"], reports["grid"]["json"]
    for metric, stats in summary["metrics"].items():
        f = fmt.metric_format(metric)
        for column, key in ((1, "mean"), (2, "min"), (6, "max")):
            text, value = _cell(page, "grid-summary", metric, column)
            assert text == f(_number(stats[key])) and _same(value, stats[key]), (metric, key)
        not_finite = stats["count"] - stats["finite"]  # the mean is over the finite values: say how many are not
        assert _cell(page, "grid-summary", metric, 8)[0] == (f"{not_finite:,}" if not_finite else ""), metric
    assert summary["metrics"]["payback_years"]["count"] > summary["metrics"]["payback_years"]["finite"]
    for label in ("best", "worst"):
        entry = summary[label]["npv_usd"]
        assert _cell(page, "grid-extremes", f"{label}-npv_usd", 2)[0] == fmt.money(entry["value"])
    assert "effect-cohorts.0.utilization" in page.tables and "effect-cohorts.0.price_usd_per_gpu_hour" in page.tables


def test_table_page_shows_the_json_figures(reports):
    page, table = reports["table"]["page"], reports["table"]["json"]
    rows = list(page.tables["data-table"].values())
    assert len(rows) == len(table["rows"]["values"])
    for row, values, breakeven in zip(rows, table["values"], table["breakeven"]["rows"]):
        assert [text for text, _ in row[1:1 + len(values)]] == [fmt.money(v) for v in values]
        assert all(_same(value, v) for (_, value), v in zip(row[1:], values))
        solved = breakeven[table["cols"]["path"]]
        assert row[-1][0] == (f"{solved:.9g}" if solved is not None else breakeven["method"])


def test_tornado_page_shows_the_json_figures(reports):
    page, result = reports["tornado"]["page"], reports["tornado"]["json"]
    assert list(page.tables["tornado"]) == [entry["input"] for entry in result["inputs"]]  # largest swing first
    for entry in result["inputs"]:
        assert _cell(page, "tornado", entry["input"], 6)[0] == fmt.money(entry["swing"])
        assert _same(_cell(page, "tornado", entry["input"], 4)[1], entry["metric_at_low"])
    assert fmt.money(result["base_metric"]) in page_text(reports["tornado"]["text"])


def test_monte_carlo_page_shows_the_json_figures(reports):
    page, result = reports["montecarlo"]["page"], reports["montecarlo"]["json"]
    summary = result["summary"]
    text, value = _cell(page, "mc-headline", "p_npv_negative", 1)
    assert _same(value, summary["p_npv_negative"])
    assert text == f"{100 * summary['p_npv_negative']:.2f}% ± {100 * summary['p_npv_negative_se']:.2f}%"
    for metric, stats in result["metrics"].items():
        f = fmt.metric_format(metric)
        assert _cell(page, "mc-statistics", metric, 1)[0] == f(stats["mean"])
        assert _cell(page, "mc-statistics", metric, 6)[0] == f(stats["p50"])


def test_sobol_page_shows_the_json_figures(reports):
    page, result = reports["sobol"]["page"], reports["sobol"]["json"]
    for entry in result["inputs"]:
        text, value = _cell(page, "sobol", entry["input"], 4)
        assert _same(value, entry["ST"]) and text == f"{entry['ST']:.3f} ± {entry['ST_conf']:.3f}"


def test_morris_page_shows_the_json_figures(reports):
    page, result = reports["morris"]["page"], reports["morris"]["json"]
    for entry in result["inputs"]:
        text, value = _cell(page, "morris", entry["input"], 4)
        assert _same(value, entry["mu_star"]) and text == (f"{fmt.percent(entry['mu_star'])} ± "
                                                          f"{fmt.percent(entry['mu_star_conf'])}")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_source_is_a_link(name, reports, sources):
    scenario = COMMANDS[name][1]
    urls = [entry["url"] for entry in sources[scenario] if entry.get("url")]
    assert urls
    assert set(urls) <= set(reports[name]["page"].links)
    assert list(reports[name]["page"].tables["sources"]) == [entry["id"] for entry in sources[scenario]]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_page_loads_nothing(name, reports):
    page = reports[name]["page"]
    assert page.loads == []
    assert "@import" not in reports[name]["text"] and "url(http" not in reports[name]["text"]
    assert all(link.startswith(("#", "http://", "https://")) for link in page.links)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_chart_is_inline(name, reports):
    assert reports[name]["page"].charts == {stem: 1 for stem in CHARTS[name]}
    assert "inputs" in reports[name]["page"].tables


def test_the_same_run_gives_the_same_page(reports, tmp_path):
    again = tmp_path / "again.html"
    _run([*COMMANDS["run-fleet"], "--json", "--html", str(again)])  # the same command line, another file
    first = reports["run-fleet"]["text"]
    assert again.read_text(encoding="utf-8").replace(str(again), "X") == first.replace(
        str(reports["run-fleet"]["path"]), "X")


# --- bad input -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["exists", "no folder", "suffix"])
def test_a_bad_html_path_is_one_line_and_writes_nothing(case, tmp_path, capsys):
    target = {"exists": tmp_path / "old.html", "no folder": tmp_path / "missing" / "r.html",
              "suffix": tmp_path / "report.txt"}[case]
    if case == "exists":
        target.write_text("old")
    before = sorted(tmp_path.rglob("*"))
    assert main(["run", SCENARIO, *NUMPY, "--html", str(target)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dcecon: error: --html: {target}: "), captured.err
    assert captured.out == ""
    assert sorted(tmp_path.rglob("*")) == before
    if case == "exists":
        assert target.read_text() == "old"
        assert main(["run", SCENARIO, *NUMPY, "--html", str(target), "--force"]) == 0
        assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- in a browser ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's ``chromium``) through Playwright, launched once for the module."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("needs the chromium browser (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("needs the playwright package (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


def _artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ["DCECON_TEST_ARTEFACTS"]) if os.environ.get("DCECON_TEST_ARTEFACTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_page_opens_offline_in_a_browser(name, reports, browser, tmp_path):
    report = reports[name]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    url = report["path"].resolve().as_uri()
    page.goto(url, wait_until="load")
    charts = page.locator("figure[data-chart] svg")
    assert charts.count() == len(CHARTS[name])
    for n in range(charts.count()):
        box = charts.nth(n).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50, (n, box)
    shot = _artefacts(tmp_path) / f"html-report-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    assert errors == []
    assert requests == [url]
    _check_not_blank(shot)


def _check_not_blank(path: Path) -> None:
    """A screenshot worth keeping: some kilobytes, and more than one colour."""
    from PIL import Image

    assert path.stat().st_size > 20_000
    with Image.open(path) as image:
        low, high = image.convert("L").getextrema()
        assert image.width >= 1000 and image.height > 1000
    assert high - low > 100
