"""``dcecon fidelity``: every published figure the bundled scenarios address, the model's value and the error.

Exit status: 0 when every claim was evaluated; 1 when a claim is an error row (its scenario failed or its value
path is missing: the report is still printed, with one line on standard error); 2 for bad input (an invalid
claim file, a ``--claims`` folder that is not one): one line, nothing printed.
"""

from __future__ import annotations

import sys

from dcecon.fidelity.claims import STATUSES

EXIT_ERROR_ROWS = 1
"""Exit status of a report with error rows."""


def register(sub) -> None:
    """Add ``dcecon fidelity`` to the sub-parsers."""
    p = sub.add_parser("fidelity", help="published figures against the bundled scenarios: model value, error and "
                                        "status (input, target, derived, out-of-sample, not-covered)",
                       description="Runs each bundled scenario a claim names once (NumPy backend, float64) and "
                                   "reads each claim's value from its `dcecon run NAME --json` object. "
                                   "docs/fidelity.md explains the statuses.")
    p.add_argument("--status", choices=STATUSES, help="show only the claims of this status (the count line still "
                                                      "counts every claim)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    p.add_argument("--claims", metavar="DIR", help="read the claim files (*.toml) of this folder instead of the "
                                                   "bundled ones")
    p.set_defaults(func=_cmd_fidelity)


def _cmd_fidelity(args) -> int:
    from dcecon.fidelity.claims import load_claims
    from dcecon.fidelity.evaluate import evaluate_claims, status_counts, uncovered_scenarios
    from dcecon.report.fidelity import render, to_json
    from dcecon.scenario.bundled import bundled_names

    claims = load_claims(args.claims)
    rows = evaluate_claims(claims)
    counts = status_counts(rows)
    uncovered = uncovered_scenarios(claims, bundled_names()) if args.claims is None else []
    shown = [row for row in rows if args.status is None or row.claim.status == args.status]
    if args.json:
        print(to_json(shown, counts, uncovered, args.status))
    else:
        render(shown, counts, uncovered, args.status)
    errors = counts["error"]
    if errors:
        print(f"dcecon: fidelity: {errors} claim{'s' if errors != 1 else ''} could not be evaluated (see the "
              f"error rows)", file=sys.stderr)
        return EXIT_ERROR_ROWS
    return 0
