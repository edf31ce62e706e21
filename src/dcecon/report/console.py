"""Building blocks every rich report shares: a console and the sources table."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table


def make_console() -> Console:
    """A console that is wide enough for the report when output is not a terminal."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def sources_table(used) -> Table:
    """The "Sources behind the inputs" table: id, title and URL, as-of date, the fields each source backs."""
    sources = Table(title="Sources behind the inputs", header_style="bold")
    for column in ("id", "source", "as of", "fields"):
        sources.add_column(column)
    for entry in used:
        title = entry.get("title", "(command line)" if entry["id"] == "--set" else "")
        url = entry.get("url", "")
        sources.add_row(entry["id"], f"{title}\n{url}" if url else title, entry.get("as_of", ""),
                        ", ".join(entry["fields"]))
    return sources
