"""What ``dcecon grid`` and ``dcecon.grid`` hand back: files, JSON, the printed summary, the Python result.

Layout of ``--out DIR`` (``dcecon.grid_engine.output``): ``manifest.json``,
``summary.json``, ``marginals.parquet`` (path, value, label, metric, mean,
min, max, count), ``tables.parquet`` (x_path, y_path, x_value, y_value,
metric, mean, min, max, count, share_npv_positive,
share_gross_margin_positive) and, with ``--save-scenarios``, a partitioned
Parquet dataset ``DIR/scenarios`` of every scenario's inputs and outputs.

Expected numbers come from a brute-force loop over ``dcecon.evaluate`` (one
call per scenario, the scenario built with ``load_scenario(path,
overrides=[...])``) reduced with NumPy, or from hand counts of the grid's
points. CLI runs are real processes (``sys.executable -m dcecon grid``) with
``--backend numpy``.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dcecon
from dcecon.errors import ScenarioError
from dcecon.report import format as fmt
from dcecon.result import RESULT_FIELDS
from dcecon.grid_engine.api import execute, prepare
from dcecon.scenario.loader import load_raw

ROOT = Path(__file__).resolve().parents[1]
NEOCLOUD = ROOT / "scenarios" / "h100-neocloud-2024.toml"
ORACLE = ROOT / "scenarios" / "oracle-fy26q1.toml"

MARGINAL_COLUMNS = ["path", "value", "label", "metric", "mean", "min", "max", "count"]
TABLE_COLUMNS = ["x_path", "y_path", "x_value", "y_value", "metric", "mean", "min", "max", "count",
                 "share_npv_positive", "share_gross_margin_positive"]
SUMMARY_COLUMNS = ["count", "finite", "nan", "posinf", "neginf", "mean", "std", "min", "p1", "p5", "p25", "p50",
                   "p75", "p95", "p99", "max", "share_negative", "argmin", "argmax"]

# 4 x 3 x 2 = 24 scenarios (hand count); utilization 0.95 and price $4 are the best corner for NPV.
AXES = {
    "cohorts.0.utilization": [0.35, 0.55, 0.75, 0.95],
    "cohorts.0.price_usd_per_gpu_hour": [1.5, 2.5, 4.0],
    "cohorts.0.book_life_years": [4.0, 6.0],
}
AXIS_ARGS = [arg for path, values in AXES.items() for arg in ("--axis", f"{path}={','.join(map(str, values))}")]


def _grid(*args, cwd, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "dcecon", "grid", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def brute_force(path, axes: dict) -> pd.DataFrame:
    """One ``dcecon.evaluate`` per point of the cartesian product (row-major: last axis fastest)."""
    rows = []
    for point in itertools.product(*axes.values()):
        overrides = [f"{p}={v!r}" for p, v in zip(axes, point)]
        result = dcecon.evaluate(dcecon.load_scenario(path, overrides), backend="numpy")
        rows.append({**dict(zip(axes, point)), **{m: result.figures[m] for m in RESULT_FIELDS}})
    frame = pd.DataFrame(rows)
    frame.index.name = "scenario_index"
    return frame


@pytest.fixture(scope="module")
def expected():
    return brute_force(NEOCLOUD, AXES)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """``dcecon grid --out DIR --json`` on the 24-point grid: (folder, stdout)."""
    cwd = tmp_path_factory.mktemp("cli")
    done = _grid(NEOCLOUD, *AXIS_ARGS, "--backend", "numpy", "--out", "out", "--json", cwd=cwd)
    return cwd / "out", done.stdout


def _json_number(value):
    """summary.json writes NaN and infinities as the strings 'nan', 'inf', '-inf'."""
    return float(value) if isinstance(value, str) else value


# --- the output folder ------------------------------------------------------------------------------------------


def test_out_folder_holds_the_documented_files(cli_run):
    out, _ = cli_run
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "summary.json", "marginals.parquet", "tables.parquet"} <= names
    assert not any(name.endswith(".tmp") for name in names)


def test_summary_json_has_counts_metrics_shares_and_best_worst_from_brute_force(cli_run, expected):
    out, _ = cli_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_scenarios"] == 24
    assert summary["grid_shape"] == [4, 3, 2]
    assert [d["path"] for d in summary["dimensions"]] == list(AXES)
    assert set(summary["metrics"]) == set(RESULT_FIELDS)
    for metric in RESULT_FIELDS:
        x = expected[metric].to_numpy()
        s = summary["metrics"][metric]
        finite = x[np.isfinite(x)]
        assert s["count"] == 24
        assert s["nan"] == np.isnan(x).sum()
        assert s["posinf"] == np.isposinf(x).sum()
        assert _json_number(s["mean"]) == pytest.approx(finite.mean(), rel=1e-9, abs=1e-9 * np.abs(finite).max())
        assert _json_number(s["min"]) == pytest.approx(np.nanmin(x), rel=1e-9)
        assert _json_number(s["max"]) == pytest.approx(np.nanmax(x), rel=1e-9)
    gm, npv = expected["gross_margin"], expected["npv_usd"]
    assert summary["share_gross_margin_negative"] == (gm < 0).mean()
    assert summary["share_npv_negative"] == (npv < 0).mean()
    for metric in ("npv_usd", "gross_margin", "irr"):
        best, worst = summary["best"][metric], summary["worst"][metric]
        assert best["index"] == int(expected[metric].idxmax())
        assert worst["index"] == int(expected[metric].idxmin())
        assert best["parameters"] == {p: expected.loc[best["index"], p] for p in AXES}
        assert _json_number(best["value"]) == pytest.approx(expected[metric].max(), rel=1e-9)
    # Hand: NPV rises with utilization and with price, so the best NPV has utilization 0.95 and price $4.
    assert summary["best"]["npv_usd"]["parameters"]["cohorts.0.utilization"] == 0.95
    assert summary["best"]["npv_usd"]["parameters"]["cohorts.0.price_usd_per_gpu_hour"] == 4.0


def test_marginals_parquet_has_the_documented_columns_and_brute_force_means(cli_run, expected):
    out, _ = cli_run
    frame = pd.read_parquet(out / "marginals.parquet")
    assert list(frame.columns) == MARGINAL_COLUMNS
    # One row per axis value and metric: (4 + 3 + 2) x 16.
    assert len(frame) == (4 + 3 + 2) * len(RESULT_FIELDS)
    for path, values in AXES.items():
        for metric in ("gross_margin", "npv_usd"):
            rows = frame[(frame["path"] == path) & (frame["metric"] == metric)]
            np.testing.assert_array_equal(rows["value"].to_numpy(), values)
            want = expected.groupby(path)[metric].agg(["mean", "min", "max", "count"])
            np.testing.assert_allclose(rows["mean"].to_numpy(), want["mean"].to_numpy(), rtol=1e-9)
            np.testing.assert_allclose(rows["min"].to_numpy(), want["min"].to_numpy(), rtol=1e-9)
            np.testing.assert_allclose(rows["max"].to_numpy(), want["max"].to_numpy(), rtol=1e-9)
            np.testing.assert_array_equal(rows["count"].to_numpy(), want["count"].to_numpy())


def test_tables_parquet_has_the_documented_columns_and_brute_force_cells(cli_run, expected):
    out, _ = cli_run
    frame = pd.read_parquet(out / "tables.parquet")
    assert list(frame.columns) == TABLE_COLUMNS
    # Three pairs of axes: 4x3 + 4x2 + 3x2 = 26 cells, x 16 metrics.
    assert len(frame) == 26 * len(RESULT_FIELDS)
    pairs = set(zip(frame["x_path"], frame["y_path"]))
    assert len(pairs) == 3
    for x_path, y_path in pairs:
        rows = frame[(frame["x_path"] == x_path) & (frame["y_path"] == y_path) & (frame["metric"] == "npv_usd")]
        grouped = expected.groupby([x_path, y_path])
        want = grouped["npv_usd"].agg(["mean", "min", "max", "count"])
        share = grouped["npv_usd"].apply(lambda v: (v > 0).mean())
        share_gm = grouped["gross_margin"].apply(lambda v: (v > 0).mean())
        for _, row in rows.iterrows():
            key = (row["x_value"], row["y_value"])
            assert row["mean"] == pytest.approx(want.loc[key, "mean"], rel=1e-9)
            assert row["min"] == pytest.approx(want.loc[key, "min"], rel=1e-9)
            assert row["max"] == pytest.approx(want.loc[key, "max"], rel=1e-9)
            assert row["count"] == want.loc[key, "count"]
            assert row["share_npv_positive"] == share.loc[key]
            assert row["share_gross_margin_positive"] == share_gm.loc[key]


def test_manifest_json_says_complete_with_fingerprint_and_dimensions(cli_run, tmp_path):
    out, _ = cli_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert len(manifest["fingerprint"]) == 16 and int(manifest["fingerprint"], 16) >= 0
    assert [d["path"] for d in manifest["dimensions"]] == list(AXES)
    assert manifest["n_scenarios"] == 24
    assert manifest["grid_shape"] == [4, 3, 2]
    assert manifest["backend"] == "numpy"
    # The fingerprint identifies the run: the same scenario and axes run again (here in this process) write the
    # same one, and one more axis value writes another.
    raw, provenance = load_raw(NEOCLOUD)
    specs = [f"{p}={','.join(map(str, v))}" for p, v in AXES.items()]
    execute(prepare(copy.deepcopy(raw), dict(provenance), str(NEOCLOUD), specs), backend="numpy",
            out=tmp_path / "again")
    assert json.loads((tmp_path / "again" / "manifest.json").read_text())["fingerprint"] == manifest["fingerprint"]
    other = specs[:-1] + ["cohorts.0.book_life_years=4,5,6"]
    execute(prepare(copy.deepcopy(raw), dict(provenance), str(NEOCLOUD), other), backend="numpy",
            out=tmp_path / "other")
    assert json.loads((tmp_path / "other" / "manifest.json").read_text())["fingerprint"] != manifest["fingerprint"]


def test_json_flag_prints_one_json_object_equal_to_summary_json(cli_run):
    out, stdout = cli_run
    printed = json.loads(stdout)  # the whole of stdout is one JSON document
    assert isinstance(printed, dict)
    assert printed == json.loads((out / "summary.json").read_text())


# --- --save-scenarios -------------------------------------------------------------------------------------------

SAVE_AXES = {
    "cohorts.0.utilization": [0.3, 0.43, 0.56, 0.69, 0.82, 0.95],
    "cohorts.0.price_usd_per_gpu_hour": [0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0],
    "cohorts.0.book_life_years": [3.0, 4.0, 5.0, 6.0, 7.0],
}
"""6 x 10 x 5 = 300 scenarios; with --max-memory 1MB the chunks hold 256 or fewer, so the dataset has 2+ files."""


def test_save_scenarios_writes_a_partitioned_dataset_equal_to_brute_force(tmp_path):
    args = [arg for path, values in SAVE_AXES.items() for arg in ("--axis", f"{path}={','.join(map(repr, values))}")]
    _grid(NEOCLOUD, *args, "--backend", "numpy", "--max-memory", "1MB", "--save-scenarios", "--quiet",
          "--out", "out", cwd=tmp_path)
    files = sorted((tmp_path / "out" / "scenarios").glob("*.parquet"))
    assert len(files) >= 2  # partitioned: one file per chunk
    frame = pd.read_parquet(tmp_path / "out" / "scenarios")
    assert len(frame) == 300
    # Every index exactly once.
    assert sorted(frame["scenario_index"].tolist()) == list(range(300))
    frame = frame.set_index("scenario_index").sort_index()
    assert set(frame.columns) == set(SAVE_AXES) | set(RESULT_FIELDS)
    want = brute_force(NEOCLOUD, SAVE_AXES)
    for path in SAVE_AXES:
        np.testing.assert_array_equal(frame[path].to_numpy(), want[path].to_numpy())
    for metric in RESULT_FIELDS:
        got, exp = frame[metric].to_numpy(), want[metric].to_numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(exp), err_msg=metric)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(exp), err_msg=metric)
        finite = np.isfinite(exp)
        np.testing.assert_allclose(got[finite], exp[finite], rtol=1e-9, atol=1e-9 * np.abs(exp[finite]).max(),
                                   err_msg=metric)


# --- the printed summary ----------------------------------------------------------------------------------------


def test_human_summary_mentions_the_shares_and_best_and_worst(tmp_path, expected):
    done = _grid(NEOCLOUD, *AXIS_ARGS, "--backend", "numpy", cwd=tmp_path)
    text = done.stdout
    share_gm = fmt.percent((expected["gross_margin"] < 0).mean())
    share_npv = fmt.percent((expected["npv_usd"] < 0).mean())
    assert f"gross margin < 0 in {share_gm} of scenarios" in text
    assert f"NPV < 0 in {share_npv}" in text
    assert "Best and worst scenarios" in text
    best = expected.loc[expected["npv_usd"].idxmax()]
    worst = expected.loc[expected["npv_usd"].idxmin()]
    assert fmt.money(best["npv_usd"]) in text and fmt.money(worst["npv_usd"]) in text
    assert f"cohorts.0.utilization={best['cohorts.0.utilization']:.6g}" in text
    assert "24 scenarios" in text
    assert not (tmp_path / "out").exists()  # no --out: nothing written


# --- the Python API ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_result():
    return dcecon.grid(dcecon.load_scenario(NEOCLOUD), axes=AXES, backend="numpy")


def test_api_returns_a_grid_result_with_a_summary_frame(api_result, expected):
    assert isinstance(api_result, dcecon.GridResult)
    summary = api_result.summary
    assert isinstance(summary, pd.DataFrame)
    assert list(summary.index) == list(RESULT_FIELDS)  # one row per metric
    assert list(summary.columns) == SUMMARY_COLUMNS
    for metric in RESULT_FIELDS:
        x = expected[metric].to_numpy()
        finite = x[np.isfinite(x)]
        assert summary.loc[metric, "count"] == 24
        assert summary.loc[metric, "mean"] == pytest.approx(finite.mean(), rel=1e-9, abs=1e-9 * np.abs(finite).max())
        assert summary.loc[metric, "max"] == pytest.approx(np.nanmax(x), rel=1e-9)
        assert summary.loc[metric, "share_negative"] == (x[~np.isnan(x)] < 0).mean()


def test_api_marginals_table_best_and_worst(api_result, expected):
    marginals = api_result.marginals
    assert list(marginals.columns) == MARGINAL_COLUMNS
    effect = api_result.marginal("cohorts.0.price_usd_per_gpu_hour", "npv_usd")
    np.testing.assert_allclose(effect["mean"].to_numpy(),
                               expected.groupby("cohorts.0.price_usd_per_gpu_hour")["npv_usd"].mean().to_numpy(),
                               rtol=1e-9)
    table = api_result.table("cohorts.0.price_usd_per_gpu_hour", "cohorts.0.utilization", stat="share_npv_positive")
    assert table.shape == (4, 3)  # rows: y (utilization), columns: x (price)
    assert list(table.index) == AXES["cohorts.0.utilization"]
    assert list(table.columns) == AXES["cohorts.0.price_usd_per_gpu_hour"]
    want = expected.groupby(["cohorts.0.utilization", "cohorts.0.price_usd_per_gpu_hour"])["npv_usd"].apply(
        lambda v: (v > 0).mean()).unstack()
    np.testing.assert_array_equal(table.to_numpy(), want.to_numpy())
    best, worst = api_result.best("npv_usd"), api_result.worst("gross_margin")
    assert best["index"] == int(expected["npv_usd"].idxmax())
    assert best["value"] == pytest.approx(expected["npv_usd"].max(), rel=1e-9)
    assert best["parameters"] == {p: expected.loc[best["index"], p] for p in AXES}
    assert worst["index"] == int(expected["gross_margin"].idxmin())
    assert worst["parameters"] == {p: expected.loc[worst["index"], p] for p in AXES}
    # A cost metric: best is the minimum (cheapest billed GPU-hour).
    cheapest = api_result.best("cost_usd_per_billed_gpu_hour")
    assert cheapest["value"] == pytest.approx(expected["cost_usd_per_billed_gpu_hour"].min(), rel=1e-9)
    # A path or statistic the run has no table for is a one-line ScenarioError (README: the API refuses what the CLI
    # refuses, with the same kind of line).
    with pytest.raises(ScenarioError, match=r"^path: site\.pue: has no main-effects table in this run"):
        api_result.marginal("site.pue")
    with pytest.raises(ScenarioError, match=r"^path: site\.pue: is not an axis of this run; axes: cohorts\.0\."):
        api_result.table("site.pue", "cohorts.0.utilization")
    with pytest.raises(ScenarioError, match=r"^stat: median: must be one of mean, "):
        api_result.table("cohorts.0.price_usd_per_gpu_hour", "cohorts.0.utilization", stat="median")


# --- [grid] table in a scenario file ----------------------------------------------------------------------------


def _scenario_with_grid(tmp_path: Path, grid_lines: str) -> Path:
    path = tmp_path / "swept.toml"
    path.write_text(f'extends = "{NEOCLOUD.as_posix()}"\nname = "swept"\n\n[grid]\n{grid_lines}\n', encoding="utf-8")
    return path


def test_grid_table_in_a_scenario_file_is_used_as_axes(tmp_path):
    """``[grid] "cohorts.0.utilization" = "0.5:0.9:5"``: five scenarios at 0.5, 0.6, ..., 0.9 (hand)."""
    path = _scenario_with_grid(tmp_path, '"cohorts.0.utilization" = "0.5:0.9:5"\n"site.pue" = [1.2, 1.5]')
    done = _grid(path, "--backend", "numpy", "--out", "out", "--json", cwd=tmp_path)
    summary = json.loads(done.stdout)
    assert summary["n_scenarios"] == 10
    assert [d["path"] for d in summary["dimensions"]] == ["cohorts.0.utilization", "site.pue"]
    want = brute_force(NEOCLOUD, {"cohorts.0.utilization": [0.5, 0.6, 0.7, 0.8, 0.9], "site.pue": [1.2, 1.5]})
    assert _json_number(summary["metrics"]["npv_usd"]["mean"]) == pytest.approx(want["npv_usd"].mean(), rel=1e-9)
    assert summary["best"]["npv_usd"]["parameters"] == {"cohorts.0.utilization": 0.9, "site.pue": 1.2}
    # The Python API reads the same table from the loaded scenario.
    result = dcecon.grid(dcecon.load_scenario(path), backend="numpy")
    assert result.plan.n_scenarios == 10
    assert result.metric_summary("npv_usd")["mean"] == pytest.approx(want["npv_usd"].mean(), rel=1e-9)


def test_command_line_axis_replaces_the_grid_table_axis_on_the_same_path(tmp_path):
    path = _scenario_with_grid(tmp_path, '"cohorts.0.utilization" = "0.5:0.9:5"\n"site.pue" = [1.2, 1.5]')
    done = _grid(path, "--axis", "cohorts.0.utilization=0.3,0.4,0.6", "--backend", "numpy", "--json", cwd=tmp_path)
    summary = json.loads(done.stdout)
    assert summary["n_scenarios"] == 3 * 2
    dims = {d["path"]: d for d in summary["dimensions"]}
    assert dims["cohorts.0.utilization"]["size"] == 3
    assert math.isclose(_json_number(summary["best"]["npv_usd"]["parameters"]["cohorts.0.utilization"]), 0.6)
