"""Sub-commands beyond run and calibrate, registered on the main parser."""

from __future__ import annotations


def register(sub) -> None:
    """Add the extra sub-commands to ``sub`` (an argparse sub-parsers object)."""
    from dcecon.cli import grid_command, scenarios_command

    grid_command.register(sub)
    scenarios_command.register(sub)
    try:
        from dcecon.cli import macro_command
    except ImportError:  # the macro layer is optional while it is being built
        macro_command = None
    if macro_command is not None:
        macro_command.register(sub)
