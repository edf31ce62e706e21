"""Fidelity: every published figure the bundled scenarios address, the model's value for it, and its status.

A claim (:class:`~dcecon.fidelity.claims.Claim`) is one published figure with its source, the bundled scenario
and ``--json`` path holding the model's value, and what the figure is to the model: an ``input``, a calibration
``target``, ``derived`` arithmetic of inputs, an ``out-of-sample`` prediction (the only evidence), or
``not-covered``. Claims are data files, ``claims/<topic>.toml`` (:mod:`dcecon.fidelity.claims`);
:mod:`dcecon.fidelity.evaluate` runs each named scenario once and computes the errors; ``dcecon fidelity``
prints them (:mod:`dcecon.report.fidelity`). docs/fidelity.md explains the statuses and how to add a claim.
"""

from dcecon.fidelity.claims import CLAIMS_DIR, STATUSES, UNITS, Claim, load_claims
from dcecon.fidelity.evaluate import ClaimRow, claim_error, evaluate_claims, read_value, status_counts

__all__ = ["CLAIMS_DIR", "STATUSES", "UNITS", "Claim", "ClaimRow", "claim_error", "evaluate_claims", "load_claims",
           "read_value", "status_counts"]
