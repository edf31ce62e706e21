"""Argument types the commands share: numbers parsed leniently, so that the Python API refuses what is wrong
in its own words (``--threads: x: ...``) and the command line and the API say the same thing."""

from __future__ import annotations


def whole(text: str):
    """A whole number (``1e6`` and ``4.0`` accepted), or the text itself for the API to refuse."""
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return text
        return int(value) if value.is_integer() else text


def number(text: str):
    """A number, or the text itself for the API to refuse."""
    try:
        return float(text)
    except ValueError:
        return text


def add_evaluation_options(parser) -> None:
    """``--set``, ``--backend``, ``--dtype``, ``--threads`` and ``--json``, as the analyses take them."""
    from dcecon.backends import BACKEND_CHOICES

    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a field of the scenario first (repeatable)")
    parser.add_argument("--backend", default="auto", choices=BACKEND_CHOICES,
                        help="where the model is evaluated (as dcecon grid; auto: a GPU, else the native kernel, "
                             "else NumPy)")
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"), help="floating dtype")
    parser.add_argument("--threads", type=whole, default=None,
                        help="threads of the native kernel, 1 to 4 per core (default: all cores)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
