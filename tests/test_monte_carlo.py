"""Correlated Monte Carlo (``dcecon montecarlo``, ``dcecon.analysis.monte_carlo``): new distributions, Iman-Conover
rank correlation, standard errors, ``--until-se``, risk figures against ``dcecon.evaluate``, the regression tornado
and bad input."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from scipy import stats

from dcecon.analysis.correlation import rank_regression
from dcecon.analysis.monte_carlo import monte_carlo, order_statistic_ranks
from dcecon.cli.main import main
from dcecon.evaluate import evaluate
from dcecon.grid_engine.sampling import correlated_uniforms
from dcecon.grid_engine.spec import parse_axis
from dcecon.scenario.loader import load_raw, load_scenario

SCENARIO = "h100-neocloud-2024"
UTIL = "cohorts.0.utilization"
PRICE = "cohorts.0.price_usd_per_gpu_hour"
PUE = "site.pue"
U = np.linspace(0.0005, 0.9995, 41)
"""Probabilities at which quantiles are compared (both tails and the middle)."""


def _raw():
    from dcecon.scenario.bundled import resolve_scenario_path

    return load_raw(str(resolve_scenario_path(SCENARIO)))[0]


def _ppf(spec, path=UTIL, base_dir=None):
    return parse_axis(_raw(), path, spec, "--vary", base_dir).distribution.ppf(U)


# --- distributions --------------------------------------------------------------------------------------------


def test_pert_quantiles_are_scipy_beta_with_lambda_4_shapes():
    # pert(0.5, 0.7, 1.0): alpha = 1 + 4 (0.7 - 0.5) / 0.5 = 2.6, beta = 1 + 4 (1.0 - 0.7) / 0.5 = 3.4 (by hand)
    expected = stats.beta.ppf(U, 2.6, 3.4, loc=0.5, scale=0.5)
    np.testing.assert_allclose(_ppf("pert(0.5,0.7,1.0)"), expected, rtol=1e-12)


def test_truncnormal_quantiles_are_scipy_truncnorm_between_its_bounds():
    # truncnormal(2, 0.5, 1.2, 3.5) is scipy's truncnorm with a = (1.2 - 2) / 0.5, b = (3.5 - 2) / 0.5
    expected = stats.truncnorm.ppf(U, -1.6, 3.0, loc=2.0, scale=0.5)
    values = _ppf("truncnormal(2,0.5,1.2,3.5)", PRICE)
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert values.min() >= 1.2 and values.max() <= 3.5


def test_choice_quantiles_follow_the_cumulative_weights():
    # choice(1.5:2, 1.2:1, 1.3:1) sorts to 1.2 (0.25), 1.3 (0.25), 1.5 (0.5): cumulative 0.25, 0.5, 1 (by hand)
    dist = parse_axis(_raw(), PUE, "choice(1.5:2,1.2:1,1.3:1)", "--vary").distribution
    u = np.array([0.0, 0.1, 0.25, 0.26, 0.49, 0.5, 0.51, 0.99])
    np.testing.assert_array_equal(dist.ppf(u), [1.2, 1.2, 1.2, 1.3, 1.3, 1.3, 1.5, 1.5])
    assert dist.support == (1.2, 1.5)


def test_empirical_quantiles_are_the_inverse_empirical_cdf_of_the_csv_column(tmp_path):
    data = np.array([0.91, 0.55, 0.72, 0.80, 0.66, 0.97, 0.61])
    (tmp_path / "util.csv").write_text("site,util\n" + "".join(f"s{i},{v}\n" for i, v in enumerate(data)))
    values = _ppf("empirical(util.csv:util)", base_dir=tmp_path)
    np.testing.assert_array_equal(values, np.quantile(data, U, method="inverted_cdf"))


def test_empirical_file_in_a_grid_table_is_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prices.csv").write_text("usd\n1.9\n2.1\n2.3\n")
    text = open(_bundled_path()).read()
    (tmp_path / "s.toml").write_text(text + '\n[grid]\n"cohorts.0.price_usd_per_gpu_hour" = '
                                            '"empirical(data/prices.csv:usd)"\n')
    result = monte_carlo(tmp_path / "s.toml", draws=300, backend="numpy", keep_draws=300)
    # every draw is one of the three listed prices
    assert set(np.unique(result.kept_inputs[:, 0])) == {1.9, 2.1, 2.3}


def _bundled_path():
    from dcecon.scenario.bundled import resolve_scenario_path

    return str(resolve_scenario_path(SCENARIO))


# --- correlation ----------------------------------------------------------------------------------------------

TARGET = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
"""A positive definite target (eigenvalues about 0.25, 0.97, 1.78)."""


def test_achieved_rank_correlations_are_within_0_02_of_the_requested_matrix_for_1e5_draws():
    result = monte_carlo(SCENARIO, {UTIL: "pert(0.6,0.85,1)", PRICE: "truncnormal(2,0.4,1.2,3.5)",
                                    PUE: "uniform(1.1,1.6)"}, 100_000,
                         correlate=[f"{UTIL},{PRICE}=0.6", f"{UTIL},{PUE}=-0.3", f"{PRICE},{PUE}=0.2"],
                         backend="numpy", metrics="gross_margin")
    assert np.abs(result.achieved_correlation - TARGET).max() < 0.02
    # the achieved matrix is Spearman's rho of the draws themselves
    np.testing.assert_allclose(result.achieved_correlation, stats.spearmanr(result.kept_inputs).statistic,
                               atol=1e-12)


def test_correlated_draws_do_not_depend_on_the_chunking():
    samples = np.arange(150_000)
    whole = correlated_uniforms("random", 150_000, 3, samples, 7, TARGET)
    pieces = np.concatenate([correlated_uniforms("random", 150_000, 3, samples[a:a + 40_001], 7, TARGET)
                             for a in range(0, 150_000, 40_001)])
    np.testing.assert_array_equal(whole, pieces)
    # Iman-Conover only re-pairs the draws: each column keeps the independent draws' values of its block
    plain = correlated_uniforms("random", 150_000, 3, samples, 7, np.eye(3))
    block = slice(0, 65_536)
    np.testing.assert_array_equal(np.sort(whole[block], axis=0), np.sort(plain[block], axis=0))


# --- standard errors and --until-se ---------------------------------------------------------------------------

VARY = {UTIL: "pert(0.6,0.85,1)", PRICE: "truncnormal(2,0.4,1.2,3.5)"}


def _se(draws, **kw):
    return monte_carlo(SCENARIO, VARY, draws, backend="numpy", **kw).statistics["npv_usd"]["se"]


def test_standard_error_of_the_mean_shrinks_as_one_over_sqrt_n():
    # SE = s / sqrt(n): four times the draws halve it (s is the same to sampling noise)
    ratio = _se(2_000) / _se(8_000)
    assert 1.8 < ratio < 2.2


def test_until_se_stops_at_the_first_batch_whose_standard_error_is_below_the_target():
    # the draws of a run are the first draws of a longer one, so the batches' SEs are those of runs of 1k, 2k, 4k
    se1, se2, se4 = _se(1_000), _se(2_000), _se(4_000)
    target = (se2 + se4) / 2
    assert se1 > target and se2 > target and se4 < target
    result = monte_carlo(SCENARIO, VARY, 1_000, until_se=target, backend="numpy")
    assert result.draws == 4_000 and result.converged
    assert [b["draws"] for b in result.batches] == [1_000, 2_000, 4_000]
    np.testing.assert_allclose([b["se"] for b in result.batches], [se1, se2, se4], rtol=1e-9)


def test_until_se_stops_at_max_draws_and_says_it_did_not_converge(capsys):
    code = main(["montecarlo", SCENARIO, "--vary", f"{UTIL}=pert(0.6,0.85,1)", "--draws", "500", "--until-se",
                 "1", "--max-draws", "1000", "--backend", "numpy", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["draws"] == 1000 and out["converged"] is False


# --- risk figures against dcecon.evaluate ---------------------------------------------------------------------


def test_p_npv_negative_and_shortfall_equal_the_draws_evaluated_one_by_one():
    # the scenario's NPV at $2.00/GPU-h is -$2.76M (dcecon.evaluate): prices from 1.8 to 2.4 straddle the NPV
    # break-even, so P(NPV < 0) is mid-range and the count means something
    result = monte_carlo(SCENARIO, {PRICE: "uniform(1.8,2.4)", PUE: "pert(1.2,1.4,1.7)"}, 60,
                         correlate=[f"{PRICE},{PUE}=0.5"], backend="numpy")
    npv = []
    for price, pue in result.kept_inputs.tolist():
        npv.append(evaluate(load_scenario(_bundled_path(), [f"{PRICE}={price!r}", f"{PUE}={pue!r}"]),
                            backend="numpy").npv_usd)
    npv = np.asarray(npv)
    np.testing.assert_allclose(result.kept_metrics[:, result.metrics.index("npv_usd")], npv, rtol=1e-9)
    assert result.p_npv_negative == np.mean(npv < 0)
    assert 0.2 < result.p_npv_negative < 0.8
    # expected shortfall at 5%: mean of the ceil(0.05 * 60) = 3 lowest NPVs
    assert result.expected_shortfall_npv == pytest.approx(np.sort(npv)[:3].mean(), rel=1e-9)
    # the median is the order statistic of rank floor(0.5 * 59) = 29, as the grid engine's quantiles
    assert result.statistics["npv_usd"]["p50"] == pytest.approx(np.sort(npv)[29], rel=1e-9)
    assert result.statistics["npv_usd"]["mean"] == pytest.approx(npv.mean(), rel=1e-9)
    assert result.statistics["npv_usd"]["se"] == pytest.approx(npv.std(ddof=1) / math.sqrt(60), rel=1e-9)


def test_percentile_confidence_interval_ranks_are_binomial_quantiles():
    # n = 100, q = 0.5: Binomial(100, 0.5) 2.5% and 97.5% quantiles are 40 and 60 (scipy), so the interval runs
    # from the 40th to the 61st order statistic (0-based ranks 39 and 60); the estimate is rank floor(0.5 * 99)
    assert order_statistic_ranks(100, 0.5) == (49, 39, 60)


# --- regression tornado ---------------------------------------------------------------------------------------


def test_srrc_of_a_linear_model_are_its_standardized_coefficients():
    # y = 3 x1 + x2 with independent uniforms: standardized coefficients 3/sqrt(10) and 1/sqrt(10); ranks of y
    # bend them only slightly; shares of variance 0.9 and 0.1
    rng = np.random.default_rng(1)
    x = rng.random((20_000, 3))
    reg = rank_regression(["a", "b", "c"], x, 3 * x[:, 0] + x[:, 1], "y")
    np.testing.assert_allclose(reg.srrc, [3 / math.sqrt(10), 1 / math.sqrt(10), 0.0], atol=0.03)
    np.testing.assert_allclose(reg.contribution, [0.9, 0.1, 0.0], atol=0.03)
    assert reg.to_frame()["input"].tolist() == ["a", "b", "c"]


def test_regression_tornado_ranks_price_above_pue_for_npv():
    # NPV moves $8.4M per $1/GPU-h of price over this range and far less over a PUE of 1.2 to 1.7
    result = monte_carlo(SCENARIO, {PRICE: "uniform(1.4,2.0)", PUE: "uniform(1.2,1.7)"}, 2_000, backend="numpy")
    frame = result.regression_frame()
    assert frame["input"].tolist() == [PRICE, PUE]
    assert frame["srrc"].iloc[0] > 0.9 and frame["srrc"].iloc[1] < 0


# --- command line ---------------------------------------------------------------------------------------------


def test_montecarlo_json_has_the_risk_figures(capsys):
    code = main(["montecarlo", SCENARIO, "--vary", f"{PRICE}=uniform(1.4,2.0)", "--vary",
                 f"{UTIL}=choice(0.7:1,0.9:2)", "--correlate", f"{PRICE},{UTIL}=-0.4", "--draws", "2000",
                 "--backend", "numpy", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["draws"] == 2000
    assert {"p_npv_negative", "p_npv_negative_se", "expected_shortfall_npv_usd_5"} <= set(out["summary"])
    assert out["correlations"][0]["requested"] == -0.4
    assert out["metrics"]["npv_usd"]["p1_low"] <= out["metrics"]["npv_usd"]["p1"] <= out["metrics"]["npv_usd"]["p1_high"]


def test_montecarlo_report_prints_the_tables(capsys):
    assert main(["montecarlo", SCENARIO, "--vary", f"{PRICE}=uniform(1.4,2.0)", "--draws", "500",
                 "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "P(NPV < 0)" in out and "Regression tornado" in out


BAD = [
    (["--vary", f"{UTIL}=uniform(0.5,1)", "--vary", f"{PRICE}=uniform(1,3)", "--vary", f"{PUE}=uniform(1.1,1.5)",
      "--correlate", f"{UTIL},{PRICE}=0.9", "--correlate", f"{PRICE},{PUE}=0.9", "--correlate", f"{UTIL},{PUE}=-0.9"],
     "--correlate: the correlation matrix is not positive semi-definite"),
    (["--vary", f"{UTIL}=uniform(0.5,1)", "--correlate", f"{UTIL},cohorts.0.nope=0.5"],
     "--correlate: cohorts.0.nope: is not a sampled input"),
    (["--vary", f"{UTIL}=uniform(0.5,1)", "--vary", f"{PRICE}=uniform(1,3)", "--correlate", f"{UTIL},{PRICE}=1.5"],
     "outside [-1, 1]"),
    (["--vary", f"{UTIL}=uniform(0.5,1)", "--vary", f"{PRICE}=uniform(1,3)", "--correlate", f"{UTIL},{PRICE}=0.1",
      "--correlate", f"{PRICE},{UTIL}=0.2"], "given twice"),
    (["--vary", "cohorts.0.nope=uniform(0,1)"], "--vary: cohorts.0.nope"),
    (["--vary", f"{UTIL}=pert(0.5,0.4,0.9)"], "needs min <= mode <= max"),
    (["--vary", f"{UTIL}=pert(0.5,0.8,1.2)"], "outside the field's bounds"),
    (["--vary", f"{PRICE}=truncnormal(2,0.5,3,1)"], "needs lo < hi"),
    (["--vary", f"{PRICE}=choice(2:x)"], "is not a number"),
    (["--vary", f"{PRICE}=choice(2)"], "choice takes value:weight pairs"),
    (["--vary", f"{PRICE}=empirical(no-such-file.csv:usd)"], "cannot be read"),
    (["--vary", f"{PRICE}=0.5,0.6"], "is not a distribution"),
    ([], "needs at least one input"),
    (["--vary", f"{PRICE}=uniform(1,3)", "--metric", "nope"], "--metric: nope: unknown metric"),
    (["--vary", f"{PRICE}=uniform(1,3)", "--until-se", "-1"], "--until-se: -1.0: must be a positive number"),
    (["--vary", f"{PRICE}=uniform(1,3)", "--draws", "0"], "--draws: 0: must be a whole number"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[m for _, m in BAD])
def test_bad_montecarlo_input_is_one_line_exit_2(argv, message, capsys):
    code = main(["montecarlo", SCENARIO, "--backend", "numpy", *argv])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dcecon: error: ") and message in lines[0], captured.err


def test_empirical_column_that_is_missing_or_not_numeric_is_refused(tmp_path, capsys):
    (tmp_path / "p.csv").write_text("usd,note\n1.9,a\nabc,b\n")
    for spec, message in ((f"empirical({tmp_path}/p.csv:eur)", "no column 'eur'; it has usd, note"),
                          (f"empirical({tmp_path}/p.csv:usd)", "row 3 ('abc') is not a finite number")):
        assert main(["montecarlo", SCENARIO, "--vary", f"{PRICE}={spec}", "--backend", "numpy"]) == 2
        assert message in capsys.readouterr().err


def test_correlation_table_in_the_scenario_is_used_and_checked(tmp_path):
    text = open(_bundled_path()).read()
    (tmp_path / "s.toml").write_text(text + f'\n[grid]\n"{PRICE}" = "uniform(1.4,2.0)"\n"{UTIL}" = "uniform(0.6,1)"\n'
                                            f'[grid.correlations]\n"{PRICE},{UTIL}" = -0.7\n')
    result = monte_carlo(tmp_path / "s.toml", draws=20_000, backend="numpy")
    assert result.achieved_correlation[0, 1] == pytest.approx(-0.7, abs=0.02)
    (tmp_path / "bad.toml").write_text(text + f'\n[grid]\n"{PRICE}" = "uniform(1.4,2.0)"\n'
                                              f'[grid.correlations]\n"{PRICE},site.pue" = 0.5\n')
    from dcecon.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"bad.toml \[grid.correlations\]: site.pue: is not a sampled input"):
        monte_carlo(tmp_path / "bad.toml", draws=100, backend="numpy")


def test_percentiles_above_the_kept_draws_come_from_the_sketch_within_0_39_percent():
    # the grid engine's sketch reports each value within 2^-8 relative (docs/grid.md, "Reductions")
    vary = {PRICE: "uniform(1.8,2.4)"}
    exact = monte_carlo(SCENARIO, vary, 20_000, backend="numpy").statistics["npv_usd"]
    sketched = monte_carlo(SCENARIO, vary, 20_000, backend="numpy", keep_draws=100)
    assert sketched.quantile_relative_error == 2.0**-8 and exact["quantiles_exact"]
    for key in ("p5", "p5_low", "p5_high", "p50", "p95", "expected_shortfall_5"):
        assert sketched.statistics["npv_usd"][key] == pytest.approx(exact[key], rel=2.0**-8)


# --- --out and --resume ---------------------------------------------------------------------------------------

RESUME_VARY = {UTIL: "pert(0.6,0.85,1)", PRICE: "truncnormal(2.4,0.4,1.2,3.5)"}
RESUME_RUN = dict(correlate=[f"{UTIL},{PRICE}=-0.5"], backend="numpy", chunk_size=1000)
"""A 6,000-draw run in chunks of 1,000 (six chunks), correlated so the Iman-Conover blocks are crossed too."""


def _stop_at(draws):
    """An injected Ctrl-C: ``on_chunk`` raising KeyboardInterrupt once ``draws`` draws are saved."""
    def on_chunk(done):
        if done >= draws:
            raise KeyboardInterrupt
    return on_chunk


def _figures(result) -> dict:
    """Every figure of a result (its JSON less the wall time and the draws reloaded), plus the kept draws."""
    d = result.to_dict()
    del d["seconds"], d["resumed_draws"]
    return {"json": json.dumps(d, sort_keys=True), "x": result.kept_inputs.tobytes(),
            "y": result.kept_metrics.tobytes()}


def test_resumed_run_equals_the_uninterrupted_run_to_the_last_bit(tmp_path):
    # the reference is the same run (same chunks) straight through, without --out
    straight = monte_carlo(SCENARIO, RESUME_VARY, 6000, **RESUME_RUN)
    out = tmp_path / "mc"
    with pytest.raises(KeyboardInterrupt):
        monte_carlo(SCENARIO, RESUME_VARY, 6000, out=out, on_chunk=_stop_at(3000), **RESUME_RUN)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["status"], manifest["chunks_done"], manifest["draws_done"]) == ("running", 3, 3000)
    assert not (out / "summary.json").exists()
    resumed = monte_carlo(SCENARIO, RESUME_VARY, 6000, out=out, resume=True, **RESUME_RUN)
    assert resumed.resumed_draws == 3000 and resumed.draws == 6000
    assert _figures(resumed) == _figures(straight)
    assert json.loads((out / "summary.json").read_text())["summary"] == json.loads(
        json.dumps(resumed.to_dict()["summary"]))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_until_se_resumes_at_and_between_its_batches(tmp_path):
    # SE of the mean NPV: about 305k at 1,000 draws, 215k at 2,000, 150k at 4,000 (docs/monte-carlo.md's run):
    # batches of 1,000, 2,000 and 4,000 draws, in chunks of 500
    run = dict(until_se=200_000, backend="numpy", chunk_size=500)
    straight = monte_carlo(SCENARIO, RESUME_VARY, 1000, **run)
    assert [b["draws"] for b in straight.batches] == [1000, 2000, 4000]
    out = tmp_path / "mc"
    with pytest.raises(KeyboardInterrupt):  # stopped right at the end of the first batch
        monte_carlo(SCENARIO, RESUME_VARY, 1000, out=out, on_chunk=_stop_at(1000), **run)
    with pytest.raises(KeyboardInterrupt):  # then inside the third
        monte_carlo(SCENARIO, RESUME_VARY, 1000, out=out, resume=True, on_chunk=_stop_at(3000), **run)
    resumed = monte_carlo(SCENARIO, RESUME_VARY, 1000, out=out, resume=True, **run)
    assert resumed.resumed_draws == 3000
    assert _figures(resumed) == _figures(straight)


def _cli(argv, capsys):
    code = main(["montecarlo", SCENARIO, "--vary", f"{PRICE}=uniform(1.8,2.4)", "--draws", "600", "--backend",
                 "numpy", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ctrl_c_with_out_says_how_to_resume_and_resume_finishes_the_run(tmp_path, capsys, monkeypatch):
    import dcecon.analysis.monte_carlo as mc

    real = mc.monte_carlo
    monkeypatch.setattr(mc, "monte_carlo", lambda *a, **kw: real(*a, chunk_size=200, on_chunk=_stop_at(400), **kw))
    out = str(tmp_path / "mc")
    code, _, err = _cli(["--out", out], capsys)
    assert code == 130 and f"the finished chunks are saved in {out}: run the same command with --resume" in err
    monkeypatch.setattr(mc, "monte_carlo", lambda *a, **kw: real(*a, chunk_size=200, **kw))
    code, resumed, err = _cli(["--out", out, "--resume", "--json"], capsys)
    code_straight, straight, _ = _cli(["--json"], capsys)
    assert code == code_straight == 0
    resumed, straight = json.loads(resumed), json.loads(straight)
    assert resumed.pop("resumed_draws") == 400 and straight.pop("resumed_draws") == 0
    del resumed["seconds"], straight["seconds"]
    assert resumed == straight


def _edit_manifest(out, change):
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


BAD_FOLDERS = [
    (["--seed", "1"], None, "holds another Monte Carlo run: --seed differs (0 there, 1 now)"),
    (["--dtype", "float32"], None, "holds this run's results from backend numpy float64 (this run would use numpy "
                                   "float32"),
    (["--set", "horizon_years=4"], None, "the scenario's content (another file, or --set) differs"),
    ([], None, "already holds this run's results; add --resume"),
    (["--resume"], lambda m: m.update(extra=1), "manifest.json: extra: unknown field"),
    (["--resume"], lambda m: m.update(draws_done=300), "manifest.json: draws_done: 300: there is no "
                                                       "state-0000000000000300.npz"),
    (["--resume"], lambda m: m["run"].update(seed=5), "manifest.json: fingerprint: "),
    (["--resume"], lambda m: m.update(chunks_done="3"), "manifest.json: chunks_done: Input should be a valid "
                                                        "integer"),
]


@pytest.mark.parametrize("argv, edit, message", BAD_FOLDERS, ids=[m for _, _, m in BAD_FOLDERS])
def test_out_folder_of_another_run_or_edited_by_hand_is_one_line_exit_2(tmp_path, capsys, argv, edit, message):
    out = tmp_path / "mc"
    assert _cli(["--out", str(out)], capsys)[0] == 0
    if edit is not None:
        _edit_manifest(out, edit)
    before = sorted(p.name for p in out.iterdir())
    code, stdout, err = _cli(["--out", str(out), *argv], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and stdout == "" and len(lines) == 1 and lines[0].startswith("dcecon: error: "), err
    assert message in lines[0], err
    assert sorted(p.name for p in out.iterdir()) == before


def test_resume_without_out_or_without_a_run_is_one_line_exit_2(tmp_path, capsys):
    code, _, err = _cli(["--resume"], capsys)
    assert code == 2 and err.strip() == "dcecon: error: --resume: needs --out DIR (the folder of the run to continue)"
    empty = tmp_path / "empty"
    code, _, err = _cli(["--out", str(empty), "--resume"], capsys)
    assert code == 2 and "has no run to resume" in err and not empty.exists()
    code, _, err = _cli(["--out", str(empty), "--draws", "0"], capsys)
    assert code == 2 and not empty.exists()  # bad input writes nothing


def test_a_folder_another_run_is_writing_is_refused(tmp_path, capsys):
    from dcecon.grid_engine.output import FolderLock

    out = tmp_path / "mc"
    out.mkdir()
    with FolderLock(out):  # another open file description holds the flock, as another process would
        code, _, err = _cli(["--out", str(out)], capsys)
    assert code == 2 and f"another dcecon (pid {os.getpid()}) is writing there" in err
    assert sorted(p.name for p in out.iterdir()) == [".dcecon.lock"]
