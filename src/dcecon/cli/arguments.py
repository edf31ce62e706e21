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
