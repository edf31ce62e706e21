"""Sub-commands beyond run and calibrate, registered on the main parser."""

from __future__ import annotations


def register(sub) -> None:
    """Add the extra sub-commands to ``sub`` (an argparse sub-parsers object)."""
    from dcecon.cli import grid_command

    grid_command.register(sub)
