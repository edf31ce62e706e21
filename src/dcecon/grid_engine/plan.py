"""A grid run's plan: dimensions, mixed-radix index decoding, parameter binding.

Flat scenario index ``i`` of a run with cartesian axes of sizes
``n_0 .. n_{K-1}`` and ``N`` samples decodes as (mixed radix, samples
fastest)::

    sample = i % N
    cell   = i // N
    coord_k = (cell // stride_k) % n_k,  stride_k = n_{k+1} * ... * n_{K-1}

so a 10^10-point grid costs no memory for its inputs: a chunk decodes its
own coordinates from its index range.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math

import numpy as np

from dcecon.grid_engine.sampling import correlated_uniforms, uniforms
from dcecon.grid_engine.selection import Selection
from dcecon.grid_engine.spec import Axis
from dcecon.model.cohort import COHORT_PARAMETERS
from dcecon.model.fleet import lifetime_period_range
from dcecon.model.metrics import DEFAULT_METRICS
from dcecon.scenario import paths
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.resolve import SITE_OVERRIDES, fleet_parameters, schedule_years
from dcecon.scenario.schema import Scenario

FINANCE = "finance"


@dataclasses.dataclass
class GridPlan:
    """Everything a chunk needs to evaluate its scenarios.

    Attributes
    ----------
    scenario : Scenario
        The base scenario.
    axes : list of Axis
        Cartesian axes, outermost first.
    sampled : list of Axis
        Sampled dimensions.
    n_samples : int
        Samples per grid cell (1 without ``--sample``).
    sampler : str
    seed : int
    host_fleet : list of (dict, str)
        Resolved base parameters and method of each cohort.
    bindings : dict of str to list of (int or 'finance', str)
        For each axis path, the resolved parameters it sets.
    selection : Selection
        The metrics, tables and quantile sketches the run computes.
    correlation : numpy.ndarray or None
        Target rank correlation between the sampled dimensions (in ``sampled`` order), imposed on their uniforms
        with Iman-Conover (:func:`dcecon.grid_engine.sampling.correlated_uniforms`); None: independent.
    """

    scenario: Scenario
    axes: list
    sampled: list
    n_samples: int
    sampler: str
    seed: int
    host_fleet: list
    bindings: dict
    selection: Selection = dataclasses.field(default_factory=lambda: Selection(DEFAULT_METRICS))
    correlation: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Sizes of the cartesian axes."""
        return tuple(a.size for a in self.axes)

    @property
    def n_cells(self) -> int:
        """Points of the cartesian grid."""
        return math.prod(self.shape)

    @property
    def n_scenarios(self) -> int:
        """Scenarios in the run: grid points times samples."""
        return self.n_cells * self.n_samples

    @property
    def strides(self) -> tuple[int, ...]:
        """Cell-index stride of each cartesian axis."""
        out, stride = [], 1
        for size in reversed(self.shape):
            out.append(stride)
            stride *= size
        return tuple(reversed(out))

    @property
    def dimensions(self) -> list:
        """All axes, cartesian then sampled."""
        return list(self.axes) + list(self.sampled)

    def static_extents(self) -> dict:
        """Period counts that must be known before evaluating (host ints).

        ``lifetime_range`` covers every cohort's life and, where any scenario
        of the plan has debt, the longest debt term any scenario can have (as
        ``dcecon.evaluate``'s range covers the loan when it outlives the cohort).
        """
        s = self.scenario

        def finance_range(name):
            base = getattr(s.finance, name)
            lo = hi = 0.0 if base is None else float(base)
            for axis in self.dimensions:
                if (FINANCE, name) in self.bindings[axis.path]:
                    lo, hi = axis.extremes
            return lo, hi

        debt_years = finance_range("debt_term_years")[1] if finance_range("debt_fraction")[1] > 0 else 0.0
        in_service, lives, books = [], [], []
        for k, (params, _) in enumerate(self.host_fleet):
            in_service.append(self._range(k, "in_service_year"))
            lives.append(self._range(k, "service_life_years"))
            books.append(self._range(k, "book_life_years"))
        offsets = [t - s.start_year for pair in in_service for t in pair]
        longest = [max(hi, debt_years) for lo, hi in lives for _ in (0, 1)]
        j_lo, j_hi = lifetime_period_range(offsets, longest, s.periods_per_year)
        return {
            "n_schedule_years": schedule_years([hi for lo, hi in books]),
            "window_periods": s.n_periods,
            "lifetime_range": (j_lo, j_hi),
        }

    def _range(self, cohort: int, name: str) -> tuple[float, float]:
        base = self.host_fleet[cohort][0][name]
        lo, hi = base, base
        for axis in self.dimensions:
            for target in self.bindings[axis.path]:
                if target == (cohort, name):
                    lo, hi = axis.extremes
        return lo, hi

    def fingerprint(self, backend: str = "", dtype: str = "") -> str:
        """Hash of everything that defines the run's results (for resume and manifests).

        The backend and dtype are part of it: backends agree to rounding, not
        bitwise, so a run is only resumed on the backend and dtype it started with.
        """
        payload = {
            "backend": backend,
            "dtype": dtype,
            "scenario": self.scenario.model_dump(mode="json", exclude={"provenance"}),
            "axes": [(a.path, a.values.tolist() if a.values is not None else a.distribution.describe())
                     for a in self.dimensions],
            "n_samples": self.n_samples,
            "sampler": self.sampler,
            "seed": self.seed,
            "selection": self.selection.to_dict(),
        }
        if self.correlation is not None:
            payload["correlation"] = np.asarray(self.correlation, dtype=np.float64).tolist()
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    # --- decoding -------------------------------------------------------------------------------------------

    def decode(self, start: int, stop: int) -> tuple[list[np.ndarray], np.ndarray]:
        """Cartesian coordinates and sample indices of flat indices ``start .. stop - 1`` (host int64)."""
        index = np.arange(start, stop, dtype=np.int64)
        sample = index % self.n_samples
        cell = index // self.n_samples
        coords = [(cell // stride) % size for stride, size in zip(self.strides, self.shape)]
        return coords, sample

    def dimension_values(self, start: int, stop: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Values of every dimension for the chunk, and each dimension's group index.

        The group of a cartesian axis is its coordinate; of a sampled
        dimension, the decile of its uniform variate (main effects of a
        sampled input are reported by decile).
        """
        coords, sample = self.decode(start, stop)
        values, groups = [], []
        for axis, coord in zip(self.axes, coords):
            values.append(axis.values[coord])
            groups.append(coord)
        sampled_values, deciles = self.sampled_values(start, stop)
        return values + sampled_values, groups + deciles

    def sampled_values(self, start: int, stop: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Values and deciles of the sampled dimensions for flat indices ``start .. stop - 1`` (host)."""
        if not self.sampled:
            return [], []
        sample = np.arange(start, stop, dtype=np.int64) % self.n_samples
        if self.correlation is not None:
            u = correlated_uniforms(self.sampler, self.n_samples, len(self.sampled), sample, self.seed,
                                    self.correlation)
        elif stop - start >= self.n_samples:
            u = uniforms(self.sampler, self.n_samples, len(self.sampled), 0, self.n_samples, self.seed)[sample]
        else:
            lo, hi = int(sample.min()), int(sample.max()) + 1
            if hi - lo > stop - start:  # the chunk wraps around the end of the samples
                u = uniforms(self.sampler, self.n_samples, len(self.sampled), 0, self.n_samples, self.seed)[sample]
            else:
                u = uniforms(self.sampler, self.n_samples, len(self.sampled), lo, hi, self.seed)[sample - lo]
        values, deciles = [], []
        for k, axis in enumerate(self.sampled):
            values.append(axis.distribution.ppf(u[:, k]))
            deciles.append(np.minimum((u[:, k] * 10).astype(np.int64), 9))
        return values, deciles

    def parameters_at(self, index: int) -> dict[str, float]:
        """Every dimension's value for one flat index (host)."""
        values, _ = self.dimension_values(index, index + 1)
        return {axis.path: float(v[0]) for axis, v in zip(self.dimensions, values)}


def _site_targets(scenario: Scenario, name: str, path: str, option: str):
    targets = []
    site = scenario.site
    for k, cohort in enumerate(scenario.cohorts):
        if name in SITE_OVERRIDES:
            if getattr(cohort, name) is None:
                targets.append((k, name))
            continue
        own_lease, own_building = cohort.colocation_usd_per_kw_month, cohort.facility_capex_usd_per_mw
        if name in ("colocation_usd_per_kw_month", "facility_capex_usd_per_mw"):
            if getattr(site, name) is None:
                site_kind = "owned" if name == "colocation_usd_per_kw_month" else "leased"
                raise ScenarioError(option, path, f"the site is {site_kind}; an axis on {name} would change the "
                                                  "facility type")
            if own_lease is None and own_building is None:  # the cohort uses the site's facility
                targets.append((k, name))
        elif name == "facility_life_years":
            owned_by_site = own_lease is None and own_building is None and site.facility_capex_usd_per_mw is not None
            if (owned_by_site or own_building is not None) and cohort.facility_life_years is None:
                targets.append((k, name))
    return targets


def bindings_for(scenario: Scenario, concrete_path: str, option: str = "--axis"):
    """The resolved model parameters that a scenario field sets.

    Site values reach every cohort that does not override them; a cohort's
    ``book_life_years`` also moves its service life when that defaults to the
    book life; ``it_power_mw`` sizes the cohort's GPU count. Every
    ``[finance]`` field binds to ``(FINANCE, name)``, the debt fields
    included; a cohort's ``economic_life_years`` binds to itself (only the
    economic depreciation metrics read it).
    """
    parts = paths.split(concrete_path)
    if parts[0] == "finance":
        if parts[1] not in ("discount_rate", "tax_rate", "debt_fraction", "interest_rate", "debt_term_years"):
            raise ScenarioError(option, concrete_path, "cannot be a grid axis")
        return [(FINANCE, parts[1])]
    if parts[0] == "site":
        return _site_targets(scenario, parts[1], concrete_path, option)
    if parts[0] == "cohorts":
        k, name = int(parts[1]), parts[2]
        cohort = scenario.cohorts[k]
        if name == "gpus":
            if cohort.gpus is None:
                raise ScenarioError(option, concrete_path, "this cohort is sized by it_power_mw; put the axis on "
                                                           "it_power_mw")
            return [(k, "gpus")]
        if name == "it_power_mw":
            if cohort.it_power_mw is None:
                raise ScenarioError(option, concrete_path, "this cohort is sized by gpus; put the axis on gpus")
            return [(k, "it_power_mw")]
        if name in ("price_usd_per_million_tokens", "tokens_per_second_per_gpu"):
            if cohort.price_usd_per_million_tokens is None:
                raise ScenarioError(option, concrete_path, "this cohort is priced per GPU-hour; put the axis on "
                                                           "price_usd_per_gpu_hour")
            return [(k, name)]
        if name == "price_usd_per_gpu_hour" and cohort.price_usd_per_gpu_hour is None:
            raise ScenarioError(option, concrete_path, "this cohort is priced per token; put the axis on "
                                                       "price_usd_per_million_tokens")
        if name in ("price_step_year", "price_step_cut") and cohort.price_step_year is None:
            raise ScenarioError(option, concrete_path, "this cohort has no price step; give price_step_year first")
        if name in ("generation_interval_years", "generation_price_cut", "next_generation_year") and \
                cohort.generation_interval_years is None:
            raise ScenarioError(option, concrete_path, "this cohort has no generation steps; give "
                                                       "generation_interval_years first")
        if name == "book_life_years" and cohort.service_life_years is None:
            return [(k, "book_life_years"), (k, "service_life_years")]
        if name in ("colocation_usd_per_kw_month", "facility_capex_usd_per_mw", "facility_life_years"):
            resolved = fleet_parameters(scenario)[k][0]
            leased = resolved["colocation_usd_per_kw_month"] > 0 or resolved["facility_capex_usd_per_mw"] == 0
            if name == "colocation_usd_per_kw_month" and not leased:
                raise ScenarioError(option, concrete_path, "this cohort's facility is owned; a colocation axis would "
                                                           "change the facility type")
            if name != "colocation_usd_per_kw_month" and leased:
                raise ScenarioError(option, concrete_path, "this cohort's facility is leased; a building axis would "
                                                           "change the facility type")
        if name in COHORT_PARAMETERS or name in ("pue", "electricity_usd_per_kwh", "electricity_escalation_per_year",
                                                 "economic_life_years"):
            return [(k, name)]
    raise ScenarioError(option, concrete_path, "cannot be a grid axis")


def make_plan(scenario: Scenario, axes: list[Axis], n_samples: int = 0, sampler: str = "sobol", seed: int = 0,
              selection: Selection | None = None):
    """Build the :class:`GridPlan` of a run.

    Raises
    ------
    ScenarioError
        Sampled dimensions without ``--sample``, or ``--sample`` without any.
    """
    grid_axes = [a for a in axes if not a.is_sampled]
    sampled = [a for a in axes if a.is_sampled]
    if sampled and n_samples <= 0:
        raise ScenarioError("--sample", sampled[0].path, f"{sampled[0].distribution.describe()} is a distribution; "
                                                          "give --sample N to draw N samples")
    if n_samples > 0 and not sampled:
        raise ScenarioError("--sample", None, "--sample needs at least one axis given as a distribution, "
                                              "e.g. --axis cohorts.0.utilization='uniform(0.5,0.9)'")
    if not axes:
        raise ScenarioError("--axis", None, "a grid needs at least one --axis (or a [grid] table in the scenario)")
    bindings = {}
    for axis in axes:
        targets = []
        for concrete in axis.concrete_paths:
            targets += bindings_for(scenario, concrete)
        if not targets:
            raise ScenarioError("--axis", axis.path, "sets nothing: every cohort overrides this site value")
        bindings[axis.path] = targets
    return GridPlan(scenario, grid_axes, sampled, max(n_samples, 1), sampler, seed, fleet_parameters(scenario),
                    bindings, selection or Selection(DEFAULT_METRICS))
