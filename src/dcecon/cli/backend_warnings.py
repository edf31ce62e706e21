"""Backend fallback warnings on the command line: one ``dcecon: warning:`` line each, on standard error."""

from __future__ import annotations

import contextlib
import sys
import warnings

from dcecon.backends import BackendFallbackWarning


@contextlib.contextmanager
def fallback_warnings_as_lines():
    """Show each :class:`BackendFallbackWarning` once as a ``dcecon: warning:`` line on standard error."""
    shown = set()
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, BackendFallbackWarning):
            original(message, category, filename, lineno, file, line)
        elif str(message) not in shown:
            shown.add(str(message))
            print(f"dcecon: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", BackendFallbackWarning)
        warnings.showwarning = show
        yield
