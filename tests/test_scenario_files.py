"""Scenario files: ``extends``, ``--set``, provenance, sources, the run output and the Python API.

What is checked, and against what:

- ``extends`` (scenario/loader.py docstring): tables merge key by key, cohorts
  merge by ``name``; a cycle is a ScenarioError on the field ``extends``;
- ``--set`` paths (docs/grid.md, "Paths"; scenario/paths.py): ``site.pue``,
  ``cohorts.0.utilization``, ``cohorts.<name>.utilization``, ``cohorts.*.utilization``;
- provenance: the source id of each ``{ value, source }`` number, ``--set``
  for an override;
- every number of every bundled scenario carries a source (README.md, "Scenario files": every figure carries its
  source and date);
- ``dcecon run --json`` and the human report (dcecon.kinds, report/fleet.py);
- the Python API of the package docstring (``dcecon.load_scenario``,
  ``dcecon.evaluate``, ``Result.to_pandas``).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import dcecon
from dcecon.scenario.bundled import scenario_kind
from dcecon.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.toml"))
# Fleet scenarios (no `kind`, or kind = "fleet"); macro, circular and useful-lives files have their own tests.
FLEET = [p for p in BUNDLED if scenario_kind(p) == "fleet"]
ORACLE = SCENARIOS / "oracle-fy26q1.toml"
H100 = SCENARIOS / "h100-neocloud-2024.toml"
FULL_DEPRECIATION = SCENARIOS / "oracle-fy26q1-full-depreciation.toml"

# Numbers that are the window's own definition, not a figure from the world: they need no source.
UNSOURCED_NUMBERS = {"periods_per_year", "start_year", "horizon_years"}

# The top-level figures of `dcecon run --json` (the brief of this project; evaluate.RESULT_FIELDS).
JSON_FIGURES = (
    "revenue_usd", "depreciation_usd", "power_cost_usd", "facility_cost_usd", "opex_usd", "cogs_usd",
    "gross_profit_usd", "gross_margin", "ebitda_usd", "energy_kwh", "npv_usd", "irr", "payback_years",
    "breakeven_price_usd_per_gpu_hour", "breakeven_utilization", "cost_usd_per_billed_gpu_hour",
)


def _dcecon(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcecon", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _read(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_bundled_scenarios_are_found():
    # The four scenarios this test file was written against; a new one is checked by the same tests.
    names = {p.name for p in BUNDLED}
    assert {"h100-neocloud-2024.toml", "oracle-fy26q1.toml", "oracle-fy26q1-full-depreciation.toml",
            "gb200-nvl72-2025.toml"} <= names


# --- extends -----------------------------------------------------------------------------------------------

CHILD = """
extends = "base.toml"
name = "child"
description = "oracle fixture with a fuller Blackwell ramp and a third cohort"

[site]
pue = { value = 1.1, source = "child-note" }

[[cohorts]]
name = "blackwell"
utilization = { value = 0.5, source = "child-note" }

[[cohorts]]
name = "rubin"
gpus = { value = 1000, source = "child-note" }
in_service_year = { value = 2025.5, source = "dcecon-assumption" }
capex_usd_per_gpu = { value = 60000, source = "child-note" }
book_life_years = { value = 5, source = "oracle-10k-server-life" }
power_kw_per_gpu = { value = 2.0, source = "child-note" }
idle_power_fraction = { value = 0.3, source = "dcecon-assumption" }
utilization = { value = 0.9, source = "child-note" }
price_usd_per_gpu_hour = { value = 6.0, source = "child-note" }
price_decline_per_year = { value = 0.15, source = "h100-price-index" }

[sources.child-note]
title = "a test figure"
as_of = "2026-11"
"""


@pytest.fixture
def child_scenario(tmp_path):
    (tmp_path / "base.toml").write_text(ORACLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "child.toml").write_text(CHILD, encoding="utf-8")
    return tmp_path / "child.toml"


def test_extends_overrides_one_cohort_field_by_name_and_keeps_the_rest(child_scenario):
    base = dcecon.load_scenario(ORACLE)
    child = dcecon.load_scenario(child_scenario)
    assert child.name == "child"
    base_bw, child_bw = base.cohorts[1], child.cohorts[1]
    assert child_bw.name == "blackwell"
    assert child_bw.utilization == 0.5
    # Every other field of the Blackwell cohort is the base's.
    assert child_bw.model_dump(exclude={"utilization"}) == base_bw.model_dump(exclude={"utilization"})
    # The Hopper cohort, untouched by the child, is the base's as a whole.
    assert child.cohorts[0] == base.cohorts[0]
    # Tables merge key by key: the child's pue replaces the base's, the rest of [site] stays.
    assert child.site.pue == 1.1
    assert child.site.model_dump(exclude={"pue"}) == base.site.model_dump(exclude={"pue"})
    assert child.finance == base.finance
    # Sources of both files are known; provenance follows whoever wrote the value.
    assert {"child-note", "the-information-2025-10-07"} <= set(child.sources)
    assert child.provenance["cohorts.1.utilization"] == "child-note"
    assert child.provenance["cohorts.1.capex_usd_per_gpu"] == "gb200-nvl72-price"
    assert child.provenance["site.pue"] == "child-note"


def test_extends_appends_a_cohort_with_a_new_name(child_scenario):
    child = dcecon.load_scenario(child_scenario)
    assert [c.name for c in child.cohorts] == ["hopper", "blackwell", "rubin"]
    rubin = child.cohorts[2]
    assert (rubin.gpus, rubin.price_usd_per_gpu_hour) == (1000, 6.0)
    # Defaults of the schema fill what the new cohort leaves out (straight line, no salvage).
    assert rubin.depreciation_method == "straight_line" and rubin.salvage_fraction == 0.0
    result = dcecon.evaluate(child, backend="numpy")
    assert len(result.cohorts) == 3


def test_extends_of_the_bundled_full_depreciation_scenario():
    # oracle-fy26q1-full-depreciation.toml changes only capex_usd_per_gpu of both cohorts (its header).
    base = dcecon.load_scenario(ORACLE)
    child = dcecon.load_scenario(FULL_DEPRECIATION)
    assert [c.capex_usd_per_gpu for c in child.cohorts] == [44180, 47097]
    for b, c in zip(base.cohorts, child.cohorts):
        assert c.model_dump(exclude={"capex_usd_per_gpu"}) == b.model_dump(exclude={"capex_usd_per_gpu"})
    assert child.provenance["cohorts.1.capex_usd_per_gpu"] == "latent-space-cluster-math-2024"
    assert base.provenance["cohorts.1.capex_usd_per_gpu"] == "gb200-nvl72-price"


def test_a_cycle_of_extends_is_an_error(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        dcecon.load_scenario(tmp_path / "a.toml")
    assert excinfo.value.field == "extends"
    assert "cycle" in excinfo.value.message


def test_a_file_extending_itself_is_an_error(tmp_path):
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        dcecon.load_scenario(tmp_path / "self.toml")
    assert excinfo.value.field == "extends"
    assert "self.toml" in str(excinfo.value)


# --- --set and provenance ------------------------------------------------------------------------------------

def test_set_site_pue():
    s = dcecon.load_scenario(ORACLE, ["site.pue=1.4"])
    assert s.site.pue == 1.4
    assert s.provenance["site.pue"] == "--set"
    # A higher PUE costs more power for the same energy at the IT load: power cost scales with it.
    base = dcecon.evaluate(dcecon.load_scenario(ORACLE), backend="numpy")
    moved = dcecon.evaluate(s, backend="numpy")
    assert moved.power_cost_usd == pytest.approx(base.power_cost_usd * 1.4 / 1.2, rel=1e-12)


def test_set_cohort_field_by_index():
    s = dcecon.load_scenario(ORACLE, ["cohorts.0.utilization=0.6"])
    assert [c.utilization for c in s.cohorts] == [0.6, 0.25]
    assert s.provenance["cohorts.0.utilization"] == "--set"
    assert s.provenance["cohorts.1.utilization"] == "the-information-2025-10-07"


def test_set_cohort_field_by_name():
    s = dcecon.load_scenario(ORACLE, ["cohorts.blackwell.utilization=0.6"])
    assert [c.utilization for c in s.cohorts] == [0.85, 0.6]
    # Provenance is recorded at the concrete (index) path.
    assert s.provenance["cohorts.1.utilization"] == "--set"
    assert s.provenance["cohorts.0.utilization"] == "dcecon-assumption"


def test_set_cohort_field_of_every_cohort():
    s = dcecon.load_scenario(ORACLE, ["cohorts.*.utilization=0.7"])
    assert [c.utilization for c in s.cohorts] == [0.7, 0.7]
    assert s.provenance["cohorts.0.utilization"] == s.provenance["cohorts.1.utilization"] == "--set"


def test_later_set_wins():
    s = dcecon.load_scenario(ORACLE, ["cohorts.*.utilization=0.7", "cohorts.hopper.utilization=0.9"])
    assert [c.utilization for c in s.cohorts] == [0.9, 0.7]


def test_provenance_records_source_ids():
    # Values and sources as written in scenarios/h100-neocloud-2024.toml.
    s = dcecon.load_scenario(H100)
    assert s.provenance["site.pue"] == "uptime-2024"
    assert s.provenance["site.electricity_usd_per_kwh"] == "eia-2023"
    assert s.provenance["cohorts.0.capex_usd_per_gpu"] == "latent-space-2024"
    assert s.provenance["cohorts.0.gpus"] == "latent-space-cluster-math-2024"
    assert s.provenance["cohorts.0.power_kw_per_gpu"] == "nvidia-dgx-h100"
    # Values are plain numbers after loading.
    assert s.cohorts[0].capex_usd_per_gpu == 50000
    # Strings and window numbers are not sourced figures.
    assert "cohorts.0.depreciation_method" not in s.provenance
    assert "periods_per_year" not in s.provenance


# --- every figure of every bundled scenario carries a source --------------------------------------------------

def _unsourced(node, prefix=""):
    """Dotted paths of numbers not written as { value = ..., source = ... }, and the source ids cited."""
    if isinstance(node, dict):
        if "value" in node:
            yield ("cites", prefix, node.get("source"))
            return
        for key, child in node.items():
            if prefix == "" and key == "sources":
                continue
            yield from _unsourced(child, f"{prefix}.{key}" if prefix else key)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _unsourced(child, f"{prefix}.{index}")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        if prefix not in UNSOURCED_NUMBERS:
            yield ("bare", prefix, node)


def _sources_of_chain(path: Path) -> dict:
    raw = _read(path)
    sources = {}
    if "extends" in raw:
        sources.update(_sources_of_chain(path.parent / raw["extends"]))
    sources.update(raw.get("sources", {}))
    return sources


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_number_of_a_bundled_scenario_carries_a_source(path):
    raw = _read(path)
    found = list(_unsourced(raw))
    bare = [(p, v) for kind, p, v in found if kind == "bare"]
    assert bare == [], f"numbers without a source in {path.name}: {bare}"
    sources = _sources_of_chain(path)
    cited = {(p, s) for kind, p, s in found if kind == "cites"}
    assert cited, path.name
    for field, source in cited:
        assert isinstance(source, str) and source, f"{path.name}: {field} has no source"
        assert source in sources, f"{path.name}: {field} cites {source!r}, not under [sources]"
        entry = sources[source]
        assert isinstance(entry.get("title"), str) and entry["title"].strip(), (path.name, source)
        assert isinstance(entry.get("as_of"), str) and entry["as_of"].strip(), (path.name, source)


@pytest.mark.parametrize("path", FLEET, ids=[p.stem for p in FLEET])
def test_every_bundled_scenario_loads_and_evaluates(path):  # fleet kind
    scenario = dcecon.load_scenario(path)
    result = dcecon.evaluate(scenario, backend="numpy")
    assert result.revenue_usd > 0
    for name in ("revenue_usd", "cogs_usd", "gross_profit_usd", "gross_margin", "ebitda_usd", "energy_kwh",
                 "breakeven_price_usd_per_gpu_hour", "cost_usd_per_billed_gpu_hour"):
        assert math.isfinite(result.figures[name]), name
    # P&L identity (docs/model.md §4), on the fleet.
    assert result.gross_profit_usd == pytest.approx(result.revenue_usd - result.cogs_usd, rel=1e-12)


# --- dcecon run --json and the report -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def oracle_json():
    proc = _dcecon("run", "scenarios/oracle-fy26q1.toml", "--json", "--backend", "numpy")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # the whole of stdout is one JSON document


def test_run_json_is_one_object_with_the_figures(oracle_json):
    d = oracle_json
    assert isinstance(d, dict)
    assert set(JSON_FIGURES) <= set(d)
    # One row per cohort with the same figures; one row per period (3 months: horizon 0.25 x 12).
    assert isinstance(d["cohorts"], list) and [c["name"] for c in d["cohorts"]] == ["hopper", "blackwell"]
    for row in d["cohorts"]:
        assert set(JSON_FIGURES) <= set(row)
    assert isinstance(d["periods"], list) and len(d["periods"]) == 3


def test_run_json_matches_the_python_api(oracle_json):
    result = dcecon.evaluate(dcecon.load_scenario(ORACLE), backend="numpy")
    for name in JSON_FIGURES:
        value = result.figures[name]
        if math.isfinite(value):
            assert oracle_json[name] == pytest.approx(value, rel=1e-12), name
        else:  # non-finite numbers are written as strings "nan", "inf", "-inf"
            assert oracle_json[name] in ("nan", "inf", "-inf"), name
    # Fleet flows are the sums of the cohorts' (docs/model.md §4).
    assert sum(c["revenue_usd"] for c in oracle_json["cohorts"]) == pytest.approx(oracle_json["revenue_usd"])
    assert sum(p["revenue_usd"] for p in oracle_json["periods"]) == pytest.approx(oracle_json["revenue_usd"])


def test_run_report_shows_pnl_investment_cohorts_and_sources():
    proc = _dcecon("run", "scenarios/oracle-fy26q1.toml", "--backend", "numpy")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # P&L lines (cli/report.py PNL_ROWS).
    for label in ("Revenue", "Depreciation", "Power", "Facility", "Opex", "COGS", "Gross profit", "Gross margin",
                  "EBITDA", "Energy"):
        assert re.search(rf"^\W*{label}\s", out, re.M), label
    # Investment view.
    for label in ("NPV", "IRR", "Payback", "Break-even price", "Break-even utilization", "Cost per billed GPU-hour"):
        assert re.search(rf"^\W*{label}\b", out, re.M), label
    # One line per cohort, with its GPU count (138,249 and 71,993 in oracle-fy26q1.toml).
    hopper = [line for line in out.splitlines() if re.match(r"^\W*hopper\s", line)]
    blackwell = [line for line in out.splitlines() if re.match(r"^\W*blackwell\s", line)]
    assert len(hopper) == 1 and "138,249" in hopper[0]
    assert len(blackwell) == 1 and "71,993" in blackwell[0]
    # Sources: the ids and their dates.
    for source_id, as_of in (("the-information-2025-10-07", "2025-10-07"), ("cbre-h2-2024", "2025-02"),
                             ("dcecon-calibration", "2026-11")):
        assert re.search(rf"{re.escape(source_id)}.*{re.escape(as_of)}", out), source_id
    assert "Traceback" not in proc.stderr


def test_model_time_of_the_h100_run_is_well_under_a_second():
    # `dcecon run scenarios/h100-neocloud-2024.toml` reports its model time (evaluate, not start-up).
    # NumPy is forced so that the figure does not include a first CuPy kernel compilation on a GPU machine.
    proc = _dcecon("run", "scenarios/h100-neocloud-2024.toml", "--backend", "numpy")
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"model time ([\d.]+) ms", proc.stdout)
    assert match, proc.stdout[:500]
    assert float(match.group(1)) < 250.0
    # The same figure from the Python API.
    result = dcecon.evaluate(dcecon.load_scenario(H100), backend="numpy")
    assert result.model_seconds < 0.25


# --- Python API -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", FLEET, ids=[p.stem for p in FLEET])
def test_python_api_to_pandas_has_a_row_per_period_and_per_cohort(path):
    scenario = dcecon.load_scenario(path)
    result = dcecon.evaluate(scenario, backend="numpy")
    periods, cohorts = result.to_pandas()
    # Expected counts from the raw files: horizon_years * periods_per_year, and the cohorts after extends.
    raw = _read(path)
    chain = raw if "horizon_years" in raw else _read(path.parent / raw["extends"])
    assert len(periods) == round(chain["horizon_years"] * chain["periods_per_year"])
    assert len(cohorts) == len(scenario.cohorts)
    assert list(cohorts.index) == [c.name for c in scenario.cohorts]
    assert periods["revenue_usd"].sum() == pytest.approx(result.revenue_usd, rel=1e-12)
    assert cohorts["gross_profit_usd"].sum() == pytest.approx(result.gross_profit_usd, rel=1e-9, abs=1e-6)
