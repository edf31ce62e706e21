"""The one error type of bad scenario input."""

from __future__ import annotations


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
        self.file = None if file is None else str(file)
        self.field = field
        self.message = " ".join(str(message).split())
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field) if p]
        return ": ".join(parts + [self.message])
