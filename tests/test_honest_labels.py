"""Honest labels for the price, token and macro scenarios (issue 10, item 3), and their fidelity claims.

Where the expected values come from:

- David Cahn, "AI's $600B Question", Sequoia Capital, June 2024
  (https://www.sequoiacap.com/article/ais-600b-question/): the about $150B is
  "Nvidia's run-rate revenue forecast" (end of 2024), not a guided quarter;
- Bain & Company, Technology Report 2025 (2025-09-23): $500B of capex a year and
  $2T of revenue; Bain publishes no capex-to-revenue ratio, so 0.25 is derived;
- NVIDIA and OpenAI, letter of intent of 2025-09-22: up to $100B, at least 10 GW,
  invested as each GW is deployed; Jensen Huang (Nvidia Q2 FY2026 call,
  2025-08-27): $50-60B per GW, about $35B Nvidia systems. How OpenAI spends the
  investment is not public, so 10 / 35 = 28.6% is an upper bound;
- DeepSeek, "Day 6: One More Thing" (2025-03-01, open-infra-index): cost-profit
  margin 545%, i.e. a gross margin of 1 - 1 / 6.45;
- Latent Space, "$2 H100s" (2024-10-11): $1.65; dcecon's $1.686 is +2.2%
  (tests/test_latent_space.py).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from dcecon.fidelity import evaluate_claims
from dcecon.fidelity.claims import CLAIMS_DIR, read_claim_file
from dcecon.kinds import run_file
from dcecon.macro.scenario import evaluate, load_macro_scenario
from dcecon.report.macro import render

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CLAIM_FILE = CLAIMS_DIR / "prices_and_macro.toml"
MY_SCENARIOS = ("h100-neocloud-2024", "deepseek-price-shock", "sequoia-2023", "sequoia-2024", "bain-200gw-2030",
                "nvidia-openai-10gw", "openai-oracle-2027", "gb200-nvl72-2025")


def _json(name: str, capsys) -> dict:
    assert run_file(SCENARIOS / f"{name}.toml", (), as_json=True) == 0
    return json.loads(capsys.readouterr().out)


def _report(name: str, *overrides: str) -> str:
    """The readable report on a console wide enough that rich wraps no cell."""
    scenario, _ = load_macro_scenario(SCENARIOS / f"{name}.toml", list(overrides))
    out = io.StringIO()
    render(scenario, evaluate(scenario), Console(file=out, width=400))
    return out.getvalue()


@pytest.mark.parametrize("name", MY_SCENARIOS)
def test_scenario_files_cite_real_sources_not_a_path_outside_the_repository(name):
    text = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    assert "public-figures" not in text  # the fixture list outside the repository, by any path


def test_sequoia_2024_run_rate_is_labelled_cahns_end_2024_forecast(capsys):
    # Cahn (2024-06) calls it "Nvidia's run-rate revenue forecast"; it is no Q4 FY2024 guidance.
    for name in ("sequoia-2024", "bain-200gw-2030"):
        assert "Q4 FY2024 guidance" not in (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    caveats = " ".join(_json("sequoia-2024", capsys)["caveats"])
    assert "forecast of Nvidia's data-center run-rate at the end of 2024" in caveats
    assert "comes back by construction" in caveats     # the identified $100B is backed out of the $500B gap


def test_bain_ratio_is_labelled_derived_not_published(capsys):
    # Bain publishes $500B and $2T, not 0.25: the report row and the JSON say so.
    report = _report("bain-200gw-2030")
    assert "capex-to-revenue 0.25 (derived from Bain's capex and revenue figures; Bain publishes no ratio)" in report
    caveats = " ".join(_json("bain-200gw-2030", capsys)["caveats"])
    assert "is not a Bain figure" in caveats and "by construction" in caveats


def test_bain_ratio_set_on_the_command_line_is_labelled_so():
    report = _report("bain-200gw-2030", "bain.capex_to_revenue=0.5")
    assert "capex-to-revenue 0.5 (set on the command line)" in report


def test_nvidia_openai_ratio_is_an_upper_bound_not_a_self_funded_share(capsys):
    # 10 / 35 = 28.6% at most: the JSON names what is computed, and the caveat names what is unknown.
    d = _json("nvidia-openai-10gw", capsys)
    assert "self_funded_share_of_sales" not in d
    assert d["investment_to_supplier_sales"] == pytest.approx(10 / 35, rel=1e-15)
    caveat = d["caveats"][0]
    for unknown in ("how OpenAI spends it", "who buys the systems", "how much of the investment is actually paid"):
        assert unknown in caveat
    report = _report("openai-oracle-2027")
    assert "self-funded" not in report.lower()
    assert "Investment / Nvidia systems bought" in report and "Investment / Nvidia sales in the loop" in report


def test_deepseek_report_has_no_o1_phase_and_its_breakeven_is_the_flat_one(capsys):
    # R1's list prices from the start: the token table's break-even is the flat one, $2 / (1,850 x 3,600 / 1e6).
    d = _json("deepseek-price-shock", capsys)
    decode = next(row for row in d["cohorts"] if row["name"] == "decode")
    assert decode["price_usd_per_million_tokens"] == 2.19
    assert decode["price_usd_per_gpu_hour"] == pytest.approx(14.5854)      # not o1's $399.60
    assert decode["breakeven_price_usd_per_million_tokens"] == pytest.approx(2.0 / (1850 * 3600 / 1e6), rel=1e-12)


def test_readme_no_longer_says_the_latent_space_gap_is_power():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "the power we charge and the article leaves out" not in readme
    assert "self-funded" not in readme.lower()
    assert "(power included)" not in readme


# --- the claim file ----------------------------------------------------------------------------------------------

def test_prices_and_macro_claims_are_mostly_inputs_and_derived_with_one_out_of_sample_row():
    claims = read_claim_file(CLAIM_FILE)
    statuses = {c.id: c.status for c in claims}
    assert [i for i, s in statuses.items() if s == "out-of-sample"] == ["latent-space-breakeven-165"]
    assert statuses["bain-revenue-2t"] == statuses["sequoia-2024-gap-500b"] == "derived"
    assert statuses["deepseek-cost-profit-margin-545"] == "derived"      # DeepSeek's own inputs
    assert statuses["latent-space-stock-market-285"] == "not-covered"    # only a reading chosen to fit gives it
    assert statuses["nvidia-openai-investment-100b"] == "input"


def test_prices_and_macro_claim_errors_as_measured():
    rows = {row.claim.id: row for row in evaluate_claims([(CLAIM_FILE, c) for c in read_claim_file(CLAIM_FILE)])}
    assert all(row.problem is None for row in rows.values()), {i: r.problem for i, r in rows.items() if r.problem}
    # The one out-of-sample figure: 1.6863 / 1.65 - 1 = +2.20% (tests/test_latent_space.py).
    assert rows["latent-space-breakeven-165"].error == pytest.approx(0.0220, abs=5e-4)
    # DeepSeek: gross margin 1 - 87,115.6 / 562,100 = 0.84502 against 1 - 1/6.45 rounded to 0.845 (a difference).
    assert rows["deepseek-cost-profit-margin-545"].error == pytest.approx(0.0000, abs=5e-4)
    # Inputs and derived rows come back exactly (they are typed in, or arithmetic of what is typed in).
    for claim_id in ("sequoia-2023-hole-125b", "sequoia-2024-required-600b", "bain-revenue-2t", "bain-shortfall-800b",
                     "openai-oracle-contract-300b", "nvidia-openai-10gw", "openai-revenue-2025-13b"):
        assert rows[claim_id].error == pytest.approx(0.0, abs=1e-12), claim_id
    # Huang's range against the $55B mid-point the file takes: +10% and -8.3% by design.
    assert rows["huang-cost-per-gw-low"].error == pytest.approx(0.10, rel=1e-12)
    assert rows["huang-cost-per-gw-high"].error == pytest.approx(55 / 60 - 1, rel=1e-12)
