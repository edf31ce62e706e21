"""Typed macro and circular-deal scenario files (docs/model.md §14).

A scenario file selects its kind with a top-level key: ``kind = "macro"``
(:class:`MacroScenario`) or ``kind = "circular"`` (:class:`CircularScenario`);
fleet scenarios (:class:`dcecon.scenario.schema.Scenario`) have no ``kind``.
As for fleet scenarios, every field has a description with its unit and
bounds, ``extra="forbid"`` turns a misspelt key into an error, and numbers
may be written ``{ value = ..., source = "id" }``.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from dcecon.scenario.schema import DescribedScenario, _Strict

MACRO_KIND = "macro"
CIRCULAR_KIND = "circular"


class Fleet(_Strict):
    """A build-out in GW and what it costs: the WACC view of the macro layer."""

    demand_gw: float = Field(gt=0.0, le=10000.0, description="Facility (grid) power demand, PUE included [GW].")
    pue: float = Field(ge=1.0, le=5.0, description="Power usage effectiveness, facility power / IT power [-], >= 1.")
    power_kw_per_gpu: float = Field(gt=0.0, le=100.0,
                                    description="IT power per GPU at full load, server share included [kW/GPU].")
    load: float = Field(ge=0.0, le=1.0, description="Average draw as a fraction of the demand over a year [-]; "
                                                    "1: every GW drawn all 8,760 hours.")
    electricity_usd_per_kwh: float = Field(ge=0.0, le=10.0, description="Electricity price [USD/kWh].")
    capex_usd_per_gw: float = Field(ge=0.0, description="All-in capex per GW of facility power: building, power "
                                                        "and cooling plant, IT [USD/GW].")
    it_share_of_capex: float = Field(ge=0.0, le=1.0, description="Share of capex that is IT equipment, recovered "
                                                                 "over it_life_years; the rest over "
                                                                 "facility_life_years [-].")
    it_life_years: float = Field(gt=0.0, le=50.0, description="Economic life of the IT equipment [years].")
    facility_life_years: float = Field(gt=0.0, le=100.0,
                                       description="Economic life of the building and its plant [years].")
    opex_fraction_of_capex_per_year: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Operations and maintenance per year as a fraction of all-in capex [-/year]; default 0: none.")
    wacc: float = Field(ge=0.0, le=1.0, description="Weighted average cost of capital [-/year].")
    other_cost_share: float = Field(default=0.0, ge=0.0, lt=1.0,
                                    description="Share of revenue taken by costs outside capex, power and opex "
                                                "(SG&A, software) [-], < 1; default 0.")


class Bain(_Strict):
    """Bain's arithmetic: annual capex / capex-to-revenue."""

    annual_capex_usd: float = Field(gt=0.0, description="Data-center capex a year [USD/year].")
    capex_to_revenue: float = Field(gt=0.0, le=10.0, description="Sustainable capex as a fraction of revenue [-], "
                                                                 "> 0. Bain publishes no such ratio; "
                                                                 "bain-200gw-2030 derives 0.25 from its $500B "
                                                                 "and $2T.")
    revenue_expected_usd: Optional[float] = Field(
        default=None, ge=0.0, description="Revenue expected to be there, savings included [USD/year]; gives the "
                                          "shortfall.")


class Sequoia(_Strict):
    """Sequoia's question: Nvidia's data-center run-rate x 1/GPU share of TCO x 1/(1 - end-user margin)."""

    nvidia_datacenter_run_rate_usd: float = Field(gt=0.0, description="Nvidia's annualized data-center revenue "
                                                                      "run-rate as Cahn uses it (2024: his "
                                                                      "forecast for the end of the year) "
                                                                      "[USD/year].")
    gpu_share_of_tco: float = Field(default=0.5, gt=0.0, le=1.0,
                                    description="GPUs' share of data-center total cost of ownership [-]; default "
                                                "0.5 (Cahn).")
    end_user_gross_margin: float = Field(default=0.5, ge=0.0, lt=1.0,
                                         description="Gross margin of the companies selling AI to end users [-], "
                                                     "< 1; default 0.5 (Cahn).")
    revenue_identified_usd: Optional[float] = Field(
        default=None, ge=0.0, description="AI revenue Sequoia could identify [USD/year]; gives the gap (hole).")


class MacroScenario(DescribedScenario):
    """A macro scenario: the WACC view of a build-out beside Bain's and Sequoia's arithmetic."""

    kind: Literal["macro"] = Field(description="'macro'.")
    fleet: Optional[Fleet] = Field(default=None, description="The build-out (WACC view).")
    bain: Optional[Bain] = Field(default=None, description="Bain's capex-to-revenue arithmetic.")
    sequoia: Optional[Sequoia] = Field(default=None, description="Sequoia's run-rate arithmetic.")

    @model_validator(mode="after")
    def _something_to_compute(self):
        if self.fleet is None and self.bain is None and self.sequoia is None:
            raise ValueError("a macro scenario needs at least one of [fleet], [bain], [sequoia]")
        return self


class Investment(_Strict):
    """The supplier's investment in its customer (Nvidia -> OpenAI)."""

    supplier: str = Field(default="supplier", description="Name of the investing supplier, e.g. 'Nvidia'.")
    customer: str = Field(default="customer", description="Name of the customer it invests in, e.g. 'OpenAI'.")
    investment_usd: float = Field(gt=0.0, description="Total investment [USD].")
    deployed_gw: float = Field(gt=0.0, le=10000.0, description="GW whose deployment releases the investment [GW].")


class Build(_Strict):
    """What a GW costs and how much of it is the supplier's systems."""

    capex_usd_per_gw: float = Field(gt=0.0, description="All-in capex per GW [USD/GW].")
    supplier_systems_usd_per_gw: float = Field(gt=0.0, description="The supplier's systems in that capex [USD/GW].")

    @model_validator(mode="after")
    def _systems_within_capex(self):
        if self.supplier_systems_usd_per_gw > self.capex_usd_per_gw:
            raise ValueError(f"supplier_systems_usd_per_gw ({self.supplier_systems_usd_per_gw:g}) cannot exceed "
                             f"capex_usd_per_gw ({self.capex_usd_per_gw:g})")
        return self


class Contract(_Strict):
    """The customer's contract with an intermediary (OpenAI -> Oracle)."""

    intermediary: str = Field(default="intermediary", description="Name of the party paid, e.g. 'Oracle'.")
    payments_usd_per_year: float = Field(gt=0.0, description="Contracted payments a year [USD/year].")
    contract_years: float = Field(gt=0.0, le=50.0, description="Length of the contract [years].")
    first_year: float = Field(ge=1990.0, le=2200.0, description="Calendar year of the first payment [year].")
    contracted_gw: float = Field(gt=0.0, le=10000.0, description="Capacity contracted [GW].")
    customer_revenue_usd_per_year: float = Field(ge=0.0, description="The customer's revenue [USD/year].")
    customer_revenue_year: float = Field(ge=1990.0, le=2200.0,
                                         description="Calendar year of that revenue [year].")


class CircularScenario(DescribedScenario):
    """A circular deal: supplier invests in a customer that pays an intermediary that buys from the supplier."""

    kind: Literal["circular"] = Field(description="'circular'.")
    investment: Optional[Investment] = Field(default=None, description="Supplier -> customer investment.")
    build: Optional[Build] = Field(default=None, description="Cost of a GW and the supplier's share of it.")
    contract: Optional[Contract] = Field(default=None, description="Customer -> intermediary contract.")

    @model_validator(mode="after")
    def _complete_legs(self):
        if (self.investment is None) != (self.build is None):
            raise ValueError("[investment] and [build] go together (the investment per GW needs the cost of a GW)")
        if self.investment is None and self.contract is None:
            raise ValueError("a circular scenario needs [investment] with [build], or [contract], or all three")
        return self


SCHEMAS: dict[str, type[DescribedScenario]] = {MACRO_KIND: MacroScenario, CIRCULAR_KIND: CircularScenario}
"""The schema of each scenario kind."""
