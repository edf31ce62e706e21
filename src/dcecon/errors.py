"""The errors a user can cause: bad input and a backend this machine cannot run.

Both are :class:`ScenarioError` (a ``ValueError``): the command line prints one line
``dcecon: error: WHERE: FIELD: what is wrong`` and exits with status 2, and the Python API raises them with the
same message. This module imports nothing from dcecon, so every layer may raise them.
"""

from __future__ import annotations


def _printable(text: str) -> str:
    """``text`` with every non-printable character escaped as Python writes it (a key ``"a\\nb"`` stays on one
    line as ``a\\nb``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ScenarioError(ValueError):
    """Bad scenario input, reported as one line naming the file and the field.

    Parameters
    ----------
    file : str or None
        The scenario file (or ``--set``/``--axis`` for command-line input).
    field : str or None
        Dotted path of the offending field, e.g. ``cohorts.0.utilization``.
    message : str
        What is wrong, in a few words.
    """

    def __init__(self, file, field, message):
        self.file = None if file is None else _printable(str(file))
        self.field = None if field is None else _printable(str(field))
        self.message = " ".join(str(message).split())
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field) if p]
        return ": ".join(parts + [self.message])


class BackendUnavailableError(ScenarioError, RuntimeError):
    """The requested backend or dtype cannot run on this machine (an unknown name, no GPU, no compiler)."""

    def __init__(self, message):
        super().__init__(None, None, message)
