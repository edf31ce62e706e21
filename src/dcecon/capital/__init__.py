"""The capital layer: debt on the AI build-out and the depreciation its capex creates (docs/capital.md).

- :mod:`dcecon.capital.model`: pure functions (interest, cover, shocks, capex paths, depreciation by year);
- :mod:`dcecon.capital.schema`: the ``kind = "debt"`` and ``kind = "capex-wave"`` scenario files;
- :mod:`dcecon.capital.scenario`: loading (``--set`` included) and evaluation.
"""
