"""Demand: who must pay for the build-out (docs/model.md §16).

Two scenario kinds:

- ``adoption-roi`` (:class:`dcecon.demand.schema.AdoptionRoiScenario`): the chain from a year of
  infrastructure capex to the revenue its end customers' AI applications must earn, at the published
  adoption and ROI rates;
- ``commitments`` (:class:`dcecon.demand.schema.CommitmentsScenario`): a buyer's compute commitments
  year by year against revenue growth paths, with the coverage ratio per year.

:mod:`dcecon.demand.model` holds the pure arithmetic, :mod:`dcecon.demand.scenario` the loaders and the
evaluation; the reports are in :mod:`dcecon.report.demand`.
"""
