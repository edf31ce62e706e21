"""The macro layer and circular-deal arithmetic (docs/model.md §14; dcecon.macro).

Where the expected numbers come from:

- docs/model.md §14 hand check: 200 GW at $0.08/kWh and load 1 cost $140.16B
  a year, 1,752 TWh (hand: 200e6 kW x 8,760 h x $0.08/kWh);
- Sequoia (David Cahn, 2023-09 and 2024-06): $50B -> $200B, $150B -> $600B;
  the $125B hole and the about $500B gap ("AI's $200B Question",
  https://www.sequoiacap.com/article/follow-the-gpus-perspective/; "AI's $600B
  Question", https://www.sequoiacap.com/article/ais-600b-question/);
- Bain (Technology Report 2025): $500B / 0.25 -> $2T, about $800B short;
- the capital recovery factor: numpy-financial ``pmt`` as an independent
  implementation, and Brealey-Myers-Allen ch. 6 written out by hand;
- circular deals: Nvidia-OpenAI ($100B for 10 GW; Huang's $50-60B per GW,
  about $35B Nvidia systems), OpenAI-Oracle ($300B over 5 years from 2027,
  4.5 GW, against about $13B of 2025 revenue), by hand in the comments.

Array tests run on NumPy and array-api-strict (the ``xp_backend`` fixture).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

from dcecon.macro import circular, model
from dcecon.kinds import run_file
from dcecon.scenario.bundled import scenario_kind
from dcecon.macro.scenario import evaluate, load_macro_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BAIN = SCENARIOS / "bain-200gw-2030.toml"
SEQUOIA_2023 = SCENARIOS / "sequoia-2023.toml"
SEQUOIA_2024 = SCENARIOS / "sequoia-2024.toml"
NVIDIA_OPENAI = SCENARIOS / "nvidia-openai-10gw.toml"
OPENAI_ORACLE = SCENARIOS / "openai-oracle-2027.toml"


def _crf_by_hand(r, n):
    """r (1 + r)^n / ((1 + r)^n - 1), written out (Brealey-Myers-Allen ch. 6)."""
    return r * (1 + r) ** n / ((1 + r) ** n - 1)


# --- docs/model.md §14 hand checks -----------------------------------------------------------------------------

def test_power_cost_of_200_gw_at_8_cents_and_load_1_is_140_16b_model_spec_5():
    # docs/model.md §14 hand check: 200e6 kW x 8,760 h x $0.08/kWh = $140,160,000,000.
    assert 200e6 * 8760 * 0.08 == pytest.approx(140.16e9, rel=1e-15)
    assert model.power_cost_usd_per_year(200.0, 1.0, 0.08) == pytest.approx(140.16e9, rel=1e-15)


def test_energy_of_200_gw_at_load_1_is_1752_twh_model_spec_5():
    # docs/model.md §14 hand check: 200 GW x 8,760 h = 1,752,000 GWh = 1,752 TWh.
    assert model.energy_twh_per_year(200.0, 1.0) == pytest.approx(1752.0, rel=1e-15)
    # Half the load, half the energy (the formula is linear in load).
    assert model.energy_twh_per_year(200.0, 0.5) == pytest.approx(876.0, rel=1e-15)


def test_sequoia_2023_50b_run_rate_needs_200b_sequoia_2023():
    # Cahn, "AI's $200B Question" (2023-09): $50B x 2 x 2 = $200B.
    assert model.sequoia_required_revenue_usd(50e9) == pytest.approx(200e9, rel=1e-15)
    assert model.sequoia_required_revenue_usd(50e9, 0.5, 0.5) == pytest.approx(200e9, rel=1e-15)


def test_sequoia_2024_150b_run_rate_needs_600b_sequoia_2024():
    # Cahn, "AI's $600B Question" (2024-06): $150B x 2 x 2 = $600B.
    assert model.sequoia_required_revenue_usd(150e9) == pytest.approx(600e9, rel=1e-15)
    # Defaults are Cahn's: GPUs half of TCO, 50% end-user gross margin.
    assert (model.SEQUOIA_GPU_SHARE_OF_TCO, model.SEQUOIA_END_USER_GROSS_MARGIN) == (0.5, 0.5)


def test_bain_500b_capex_at_0_25_needs_2t_bain_2025():
    # Bain Technology Report 2025: about $500B of capex a year needs about $2T of revenue: $500B / 0.25.
    assert model.bain_required_revenue_usd(500e9, 0.25) == pytest.approx(2e12, rel=1e-15)


def test_gpus_it_power_and_capex_by_hand():
    # 200 GW at PUE 1.2: IT power 200 / 1.2 = 166.67 GW; at 1.6667 kW per GPU (GB200 NVL72: 120 kW / 72):
    # 200e6 kW / (1.2 x 1.6667 kW) = 99,998,000.04 GPUs (hand calculation).
    assert model.it_power_gw(200.0, 1.2) == pytest.approx(166.666666666667, rel=1e-14)
    assert model.gpus_for_demand(200.0, 1.2, 1.6667) == pytest.approx(200e6 / (1.2 * 1.6667), rel=1e-15)
    assert model.gpus_for_demand(200.0, 1.2, 1.6667) == pytest.approx(99_998_000.04, rel=1e-10)
    # With exactly 120/72 kW per GPU: 200e6 / (1.2 x 5/3) = 100,000,000 GPUs.
    assert model.gpus_for_demand(200.0, 1.2, 120 / 72) == pytest.approx(1e8, rel=1e-14)
    # Huang's $50-60B per GW at its $55B mid-point: 200 x $55B = $11T.
    assert model.capex_usd(200.0, 55e9) == pytest.approx(11e12, rel=1e-15)


# --- capital recovery and the revenue that earns the WACC -----------------------------------------------------

def test_crf_of_python_numbers_matches_numpy_financial_pmt_and_is_a_float():
    # -numpy_financial.pmt(r, n, 1): the level payment that repays 1 over n years at r.
    for r, n in ((0.10, 5), (0.10, 20), (0.07, 6), (0.0, 4)):
        got = model.capital_recovery_factor_of(r, n)
        assert isinstance(got, float)
        assert got == pytest.approx(-npf.pmt(r, n, 1.0), rel=1e-12)
    # Hand: r = 10%, n = 5: 0.1 x 1.61051 / 0.61051 = 0.26379748 (BMA ch. 6 annuity factor 3.7908).
    assert model.capital_recovery_factor_of(0.1, 5) == pytest.approx(0.1 * 1.61051 / 0.61051, rel=1e-12)


def test_crf_of_arrays_matches_numpy_financial_pmt(xp_backend, to_np):
    # Random rates and lives against numpy-financial, including a scalar rate with an array of lives
    # (``where`` needs an array condition on array-api-strict).
    rng = np.random.default_rng(7)
    rates = rng.uniform(0.0, 0.3, size=50)
    rates[0] = 0.0
    lives = rng.integers(1, 31, size=50).astype(np.float64)
    a = xp_backend.asarray
    got = to_np(model.capital_recovery_factor_of(a(rates), a(lives)))
    np.testing.assert_allclose(got, -npf.pmt(rates, lives, 1.0), rtol=1e-12)
    got_scalar_rate = to_np(model.capital_recovery_factor_of(0.1, a(lives)))
    np.testing.assert_allclose(got_scalar_rate, -npf.pmt(0.1, lives, 1.0), rtol=1e-12)


def test_required_revenue_hand_calculation_model_spec_5():
    # docs/model.md §14: (capex x crf + power + facility + opex) / (1 - other_cost_share).
    # capex 1,000 at crf(10%, 2) = 0.1 x 1.21 / 0.21 = 0.5761905 -> 576.19; + power 100 + facility 50 + opex 20
    # = 746.19; / (1 - 0.2) = 932.738 (hand calculation).
    crf = 0.1 * 1.21 / 0.21
    got = model.required_revenue_usd_per_year(1000.0, crf, 100.0, 50.0, 20.0, 0.2)
    assert got == pytest.approx((1000 * 0.1 * 1.21 / 0.21 + 170.0) / 0.8, rel=1e-15)
    assert got == pytest.approx(932.7380952380952, rel=1e-12)
    # Without other costs the revenue is the cost: an NPV of zero at the WACC over the life.
    revenue = model.required_revenue_usd_per_year(1000.0, crf, 0.0, 0.0, 0.0, 0.0)
    assert npf.npv(0.1, [-1000.0, revenue, revenue]) == pytest.approx(0.0, abs=1e-9)


def test_fleet_figures_of_the_bain_inputs_by_hand_model_spec_5():
    # The bain-200gw-2030.toml inputs written out: $11T capex, 35/55 of it IT ($7T) at crf(10%, 5), the rest
    # ($4T) at crf(10%, 20), power $140.16B, opex 2% of $11T = $220B, no other costs.
    f = model.fleet_figures(demand_gw=200.0, pue=1.2, power_kw_per_gpu=1.6667, load=1.0,
                            electricity_usd_per_kwh=0.08, capex_usd_per_gw=55e9, it_share_of_capex=35 / 55,
                            it_life_years=5.0, facility_life_years=20.0, opex_fraction_of_capex_per_year=0.02,
                            wacc=0.10, other_cost_share=0.0)
    it_charge = 7e12 * _crf_by_hand(0.1, 5)          # 1.8466e12
    facility_charge = 4e12 * _crf_by_hand(0.1, 20)   # 0.4698e12
    expected = it_charge + facility_charge + 140.16e9 + 220e9
    assert f["it_capex_usd"] == pytest.approx(7e12, rel=1e-14)
    assert f["facility_capex_usd"] == pytest.approx(4e12, rel=1e-14)
    assert f["power_cost_usd_per_year"] == pytest.approx(140.16e9, rel=1e-15)
    assert f["energy_twh_per_year"] == pytest.approx(1752.0, rel=1e-15)
    assert f["opex_usd_per_year"] == pytest.approx(220e9, rel=1e-15)
    assert f["required_revenue_usd_per_year"] == pytest.approx(expected, rel=1e-12)
    assert f["required_revenue_usd_per_year"] == pytest.approx(2.6765808646534e12, rel=1e-10)
    # Other costs scale it by 1 / (1 - share): 20% -> x 1.25.
    g = model.fleet_figures(200.0, 1.2, 1.6667, 1.0, 0.08, 55e9, 35 / 55, 5.0, 20.0, 0.02, 0.10, 0.2)
    assert g["required_revenue_usd_per_year"] == pytest.approx(expected / 0.8, rel=1e-12)


def test_fleet_figures_broadcast_over_arrays(xp_backend, to_np):
    # demand (3, 1) x electricity price (4,) -> (3, 4); every element equals the scalar call.
    a = xp_backend.asarray
    demand = np.array([[50.0], [100.0], [200.0]])
    price = np.array([0.04, 0.06, 0.08, 0.10])
    wacc = np.array([0.0, 0.05, 0.10, 0.15])
    got = model.fleet_figures(a(demand), 1.2, 1.6667, 1.0, a(price), 55e9, 35 / 55, 5.0, 20.0, 0.02, a(wacc), 0.1)
    assert to_np(got["required_revenue_usd_per_year"]).shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = model.fleet_figures(float(demand[i, 0]), 1.2, 1.6667, 1.0, float(price[j]), 55e9, 35 / 55, 5.0,
                                      20.0, 0.02, float(wacc[j]), 0.1)
            for name in ("required_revenue_usd_per_year", "power_cost_usd_per_year", "energy_twh_per_year",
                         "gpus"):
                assert float(np.broadcast_to(to_np(got[name]), (3, 4))[i, j]) == pytest.approx(one[name],
                                                                                               rel=1e-12), name
    # The 200 GW, $0.08 element is the fixture.
    assert to_np(got["power_cost_usd_per_year"])[2, 2] == pytest.approx(140.16e9, rel=1e-15)


def test_simple_functions_broadcast_over_arrays(xp_backend, to_np):
    # Sequoia's two run-rates at once, and Bain at two ratios (sources as in the fixtures above).
    a = xp_backend.asarray
    np.testing.assert_allclose(to_np(model.sequoia_required_revenue_usd(a([50e9, 150e9]))), [200e9, 600e9],
                               rtol=1e-15)
    np.testing.assert_allclose(to_np(model.bain_required_revenue_usd(500e9, a([0.25, 0.5]))), [2e12, 1e12],
                               rtol=1e-15)
    np.testing.assert_allclose(to_np(model.power_cost_usd_per_year(a([200.0, 100.0]), 1.0, 0.08)),
                               [140.16e9, 70.08e9], rtol=1e-15)
    np.testing.assert_allclose(to_np(circular.revenue_coverage(a([13e9, 30e9]), 60e9)), [13 / 60, 0.5],
                               rtol=1e-15)


# --- circular deals ---------------------------------------------------------------------------------------------

def test_investment_to_supplier_sales_nvidia_openai_by_hand():
    # Nvidia invests $100B as 10 GW are deployed: $10B per GW, against about $35B of Nvidia systems per GW
    # (Huang): 10 / 35 = 28.57%, the most of that spend the investment could fund. Over all 10 GW: $100B /
    # $350B, the same.
    assert circular.investment_to_supplier_sales(100e9, 10 * 35e9) == pytest.approx(2 / 7, rel=1e-15)
    assert circular.investment_to_supplier_sales(10e9, 35e9) == pytest.approx(0.285714285714, rel=1e-11)


def test_revenue_coverage_openai_oracle_by_hand():
    # OpenAI: about $13B of 2025 revenue against about $60B a year owed to Oracle ($300B / 5): 13 / 60 = 21.67%.
    assert circular.revenue_coverage(13e9, 300e9 / 5) == pytest.approx(13 / 60, rel=1e-15)


def test_loop_summary_nvidia_openai_oracle_by_hand():
    f = circular.loop_summary(investment_usd=100e9, deployed_gw=10.0, capex_usd_per_gw=55e9,
                              supplier_systems_usd_per_gw=35e9, payments_usd_per_year=60e9, contract_years=5.0,
                              contracted_gw=4.5, customer_revenue_usd_per_year=13e9)
    # Hand: Oracle builds 4.5 GW x $55B = $247.5B, of which 4.5 x $35B = $157.5B to Nvidia; Nvidia's
    # investment tied to those GW: 4.5 x $10B = $45B; 45 / 157.5 = 28.57% (= 10 / 35 per GW);
    # OpenAI owes 5 x $60B = $300B, of which $45B is 15%; $300B / $247.5B = 1.2121.
    assert f["intermediary_capex_usd"] == pytest.approx(247.5e9, rel=1e-15)
    assert f["intermediary_spend_with_supplier_usd"] == pytest.approx(157.5e9, rel=1e-15)
    assert f["supplier_investment_in_loop_usd"] == pytest.approx(45e9, rel=1e-15)
    assert f["loop_investment_to_supplier_sales"] == pytest.approx(45 / 157.5, rel=1e-15)
    assert f["loop_investment_to_supplier_sales"] == pytest.approx(f["investment_to_supplier_sales"], rel=1e-15)
    assert f["contract_total_usd"] == pytest.approx(300e9, rel=1e-15)
    assert f["investment_share_of_contract"] == pytest.approx(0.15, rel=1e-15)
    assert f["contract_to_intermediary_capex"] == pytest.approx(300 / 247.5, rel=1e-15)
    assert f["revenue_coverage"] == pytest.approx(13 / 60, rel=1e-15)
    assert f["funding_gap_usd_per_year"] == pytest.approx(47e9, rel=1e-15)        # 60 - 13
    assert f["payments_usd_per_gw_year"] == pytest.approx(60e9 / 4.5, rel=1e-15)  # $13.33B
    assert f["investment_share_of_build_capex"] == pytest.approx(100 / 550, rel=1e-15)


# --- the bundled scenario files ---------------------------------------------------------------------------------

def test_bain_200gw_2030_file_reproduces_its_headline_figures_bain_2025_model_spec_5():
    scenario, provenance = load_macro_scenario(BAIN)
    f = evaluate(scenario)
    assert scenario.kind == "macro" and scenario.name == "bain-200gw-2030"
    assert f["power_cost_usd_per_year"] == pytest.approx(140.16e9, rel=1e-15)              # docs/model.md §14
    assert f["energy_twh_per_year"] == pytest.approx(1752.0, rel=1e-15)                     # docs/model.md §14
    assert f["bain_required_revenue_usd_per_year"] == pytest.approx(2e12, rel=1e-15)        # Bain: $500B / 0.25
    assert f["bain_shortfall_usd_per_year"] == pytest.approx(800e9, rel=1e-12)              # Bain: about $800B short
    assert f["sequoia_required_revenue_usd_per_year"] == pytest.approx(600e9, rel=1e-15)    # Sequoia 2024
    assert f["capex_usd"] == pytest.approx(11e12, rel=1e-15)                                # 200 x Huang's $55B
    assert f["required_revenue_usd_per_year"] == pytest.approx(2.6765808646534e12, rel=1e-10)  # by hand above
    assert f["required_revenue_to_bain"] == pytest.approx(f["required_revenue_usd_per_year"] / 2e12, rel=1e-15)
    # Every input carries its source; provenance follows the file.
    assert provenance["fleet.demand_gw"] == "bain-2025"
    assert provenance["fleet.capex_usd_per_gw"] == "huang-cost-per-gw"
    assert provenance["sequoia.nvidia_datacenter_run_rate_usd"] == "sequoia-2024"
    assert set(provenance.values()) <= set(scenario.sources)


@pytest.mark.parametrize("path, required, gap", [
    (SEQUOIA_2023, 200e9, 125e9),   # Cahn 2023-09: $200B needed, a $125B hole
    (SEQUOIA_2024, 600e9, 500e9),   # Cahn 2024-06: $600B needed, about a $500B gap
], ids=["sequoia-2023", "sequoia-2024"])
def test_sequoia_files_reproduce_the_question_and_the_gap(path, required, gap):
    scenario, _ = load_macro_scenario(path)
    f = evaluate(scenario)
    assert scenario.fleet is None and scenario.bain is None
    assert f["sequoia_required_revenue_usd_per_year"] == pytest.approx(required, rel=1e-15)
    assert f["sequoia_gap_usd_per_year"] == pytest.approx(gap, rel=1e-15)


def test_nvidia_openai_10gw_file_reproduces_the_deal_nvidia_2025_huang():
    scenario, provenance = load_macro_scenario(NVIDIA_OPENAI)
    f = evaluate(scenario)
    assert scenario.kind == "circular" and scenario.contract is None
    assert f["investment_usd_per_gw"] == pytest.approx(10e9, rel=1e-15)           # $100B / 10 GW
    assert f["supplier_sales_usd"] == pytest.approx(350e9, rel=1e-15)              # 10 GW x $35B
    assert f["investment_to_supplier_sales"] == pytest.approx(2 / 7, rel=1e-15)      # 100 / 350
    assert f["build_capex_usd"] == pytest.approx(550e9, rel=1e-15)                 # 10 GW x $55B
    assert provenance["investment.investment_usd"] == "nvidia-openai-2025"


def test_openai_oracle_2027_file_reproduces_the_contract_and_closes_the_loop_wsj_2025():
    scenario, provenance = load_macro_scenario(OPENAI_ORACLE)
    f = evaluate(scenario)
    assert scenario.kind == "circular" and scenario.name == "openai-oracle-2027"
    assert f["contract_total_usd"] == pytest.approx(300e9, rel=1e-15)              # $60B x 5 years
    assert f["revenue_coverage"] == pytest.approx(13 / 60, rel=1e-15)              # $13B / $60B
    assert f["last_contract_year"] == 2031.0                                       # 2027 + 5 - 1
    assert f["loop_investment_to_supplier_sales"] == pytest.approx(2 / 7, rel=1e-15)
    assert f["investment_share_of_contract"] == pytest.approx(0.15, rel=1e-15)     # $45B / $300B
    # extends: the deal comes from nvidia-openai-10gw.toml with its sources.
    assert provenance["investment.investment_usd"] == "nvidia-openai-2025"
    assert provenance["contract.payments_usd_per_year"] == "oracle-openai-2025"


def test_scenario_kind_of_every_file():
    # What `dcecon run` dispatches on; openai-oracle-2027 inherits its kind through extends.
    assert [scenario_kind(p) for p in (BAIN, SEQUOIA_2023, SEQUOIA_2024, NVIDIA_OPENAI, OPENAI_ORACLE)] == \
        ["macro", "macro", "macro", "circular", "circular"]
    assert scenario_kind(SCENARIOS / "h100-neocloud-2024.toml") == "fleet"


def test_set_overrides_a_dotted_path_and_marks_its_provenance():
    # Halving the load halves energy and power cost (docs/model.md §14 is linear in load).
    scenario, provenance = load_macro_scenario(BAIN, ["fleet.load=0.5", "bain.capex_to_revenue=0.5"])
    f = evaluate(scenario)
    assert f["energy_twh_per_year"] == pytest.approx(876.0, rel=1e-15)
    assert f["power_cost_usd_per_year"] == pytest.approx(70.08e9, rel=1e-15)
    assert f["bain_required_revenue_usd_per_year"] == pytest.approx(1e12, rel=1e-15)   # $500B / 0.5
    assert provenance["fleet.load"] == provenance["bain.capex_to_revenue"] == "--set"


# --- report ------------------------------------------------------------------------------------------------------

def test_run_file_json_is_one_object_with_the_figures(capsys):
    assert run_file(BAIN, (), as_json=True) == 0
    d = json.loads(capsys.readouterr().out)   # the whole of stdout is one JSON document
    assert d["kind"] == "macro" and d["name"] == "bain-200gw-2030"
    assert d["power_cost_usd_per_year"] == pytest.approx(140.16e9, rel=1e-15)
    assert d["bain_required_revenue_usd_per_year"] == pytest.approx(2e12, rel=1e-15)
    assert d["inputs"]["fleet"]["demand_gw"] == 200
    assert {s["id"] for s in d["sources"]} >= {"bain-2025", "sequoia-2024", "huang-cost-per-gw"}


def test_run_file_report_shows_the_side_by_side_figures(capsys):
    assert run_file(BAIN, ()) == 0
    out = capsys.readouterr().out
    for text in ("$140.16B", "1,752.00 TWh", "$11.00T", "$2.68T", "$2.00T", "$600.00B", "side by side",
                 "Sources behind the inputs", "bain-2025"):
        assert text in out, text
    assert run_file(OPENAI_ORACLE, ()) == 0
    out = capsys.readouterr().out
    for text in ("Nvidia -> OpenAI -> Oracle -> Nvidia", "28.6%", "21.7%", "$300.00B", "$47.00B"):
        assert text in out, text
