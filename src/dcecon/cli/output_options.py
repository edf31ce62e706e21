"""``--plot DIR``, ``--xlsx FILE``, ``--html FILE`` and ``--force`` on run, grid, table, tornado, montecarlo
and sobol: the paths checked before any work, everything rendered in memory, then each file written atomically.

Rules (docs/outputs.md):

- ``--plot DIR``: the folder and its missing parents are created (as ``--out``); a path that is a file, or a
  folder that cannot be written or created, is refused before any work.
- ``--xlsx FILE`` and ``--html FILE``: the name ends in ``.xlsx`` (``.html`` or ``.htm``); its folder must
  exist and be writable (or be the ``--plot`` folder of the same command, which that option creates).
- A file that exists is replaced only with ``--force``: an existing ``--xlsx`` or ``--html`` file is refused
  before any work, an existing figure once the figures are drawn and before the first file is written.

Any refusal is one line naming the option and the path, exit status 2, and nothing is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dcecon.scenario.errors import ScenarioError

PLOT_HELP = ("write the figures into this folder as PNG and SVG (created with its parents; docs/plots.md)")
XLSX_HELP = ("write an Excel workbook: inputs with sources, tables, formulas an analyst can trace and native "
             "charts (docs/outputs.md)")
HTML_HELP = "write one self-contained HTML report that opens offline: tables, charts, inputs, sources (docs/outputs.md)"
FORCE_HELP = "replace --plot, --xlsx and --html files that already exist"

SUFFIXES = {"--xlsx": (".xlsx",), "--html": (".html", ".htm")}
"""The file names each file option accepts, by suffix."""


def add_output_options(parser, force: bool = True) -> None:
    """Add ``--plot``, ``--xlsx``, ``--html`` (and ``--force`` unless the command has its own) to a parser."""
    parser.add_argument("--plot", metavar="DIR", default=None, help=PLOT_HELP)
    parser.add_argument("--xlsx", metavar="FILE", default=None, help=XLSX_HELP)
    parser.add_argument("--html", metavar="FILE", default=None, help=HTML_HELP)
    if force:
        parser.add_argument("--force", action="store_true", help=FORCE_HELP)


def command_line(args) -> str | None:
    """The command as typed (``dcecon grid ...``, shell-quoted), for manifests, workbooks and reports: the
    arguments :func:`dcecon.cli.main.main` parsed (``args.argv``); None when there are none."""
    import shlex

    argv = getattr(args, "argv", None)
    return "dcecon " + " ".join(shlex.quote(a) for a in argv) if argv else None


def wants_output(args) -> bool:
    """Whether the command was asked for any of ``--plot``, ``--xlsx``, ``--html``."""
    return any(getattr(args, name, None) is not None for name in ("plot", "xlsx", "html"))


def check_file(option: str, path, force: bool, created_folder=None) -> Path:
    """Check an ``--xlsx`` or ``--html`` path before any work.

    Parameters
    ----------
    option : {'--xlsx', '--html'}
    path : str or Path
    force : bool
        Whether an existing file may be replaced.
    created_folder : str or Path, optional
        A folder this command creates (``--plot DIR``): the file may lie in it before it exists.

    Raises
    ------
    ScenarioError
        A name without the option's suffix, a path that is a folder, a missing or unwritable folder, an
        existing file without ``force``.
    """
    text = str(path)
    if text.strip() == "":
        raise ScenarioError(option, None, "give a file to write")
    target = Path(text)
    if target.suffix.lower() not in SUFFIXES[option]:
        raise ScenarioError(option, text, f"give a file name ending in {' or '.join(SUFFIXES[option])}")
    if target.is_dir():
        raise ScenarioError(option, text, "is a folder; give a file name")
    folder = target.parent
    planned = created_folder is not None and folder.resolve() == Path(created_folder).resolve()
    if not folder.is_dir() and not planned:
        what = "is not a folder" if folder.exists() else "does not exist (create it first)"
        raise ScenarioError(option, text, f"its folder {folder} {what}")
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise ScenarioError(option, text, f"its folder {folder} cannot be written")
    if os.path.lexists(target) and not force:  # a link counts, even one to nowhere: it would be replaced
        raise ScenarioError(option, text, "exists; pass --force to replace it")
    return target


def check_outputs(args) -> None:
    """Check every output path of a command before any work (:func:`check_file`,
    :func:`dcecon.report.plot.output.check_plot_dir`)."""
    force = bool(getattr(args, "force", False))
    if args.plot is not None:
        from dcecon.report.plot.output import check_plot_dir

        check_plot_dir(args.plot)
    for option, value in (("--xlsx", args.xlsx), ("--html", args.html)):
        if value is not None:
            check_file(option, value, force, created_folder=args.plot)


def write_outputs(args, output) -> list[Path]:
    """Render every output of ``args`` for ``output`` (:func:`dcecon.report.outputs.render_files`), refuse any
    existing file without ``--force`` before the first write, then write each file atomically and print one line
    per option on standard error.

    Returns
    -------
    list of Path
        The files written.
    """
    if not wants_output(args):
        return []
    from dcecon.io import atomic_write_bytes
    from dcecon.report.outputs import render_files

    files = render_files(output, plot=args.plot, xlsx=args.xlsx, html=args.html)
    if not getattr(args, "force", False):
        for target, _ in files:
            if os.path.lexists(target):
                raise ScenarioError(_option_of(args, target), str(target), "exists; pass --force to replace it")
    if args.plot is not None:
        try:
            Path(args.plot).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScenarioError("--plot", str(args.plot), f"cannot be created ({exc.strerror or exc})") from None
    written = []
    for target, data in files:
        try:
            atomic_write_bytes(target, data)
        except OSError as exc:
            raise ScenarioError(_option_of(args, target), str(target),
                                f"cannot be written ({exc.strerror or exc})") from None
        written.append(target)
    _report_written(args, written)
    return written


def _option_of(args, target: Path) -> str:
    """The option that asked for a file: ``--xlsx``, ``--html`` or ``--plot``."""
    for option, value in (("--xlsx", args.xlsx), ("--html", args.html)):
        if value is not None and target == Path(value):
            return option
    return "--plot"


def _report_written(args, written: list[Path]) -> None:
    from dcecon.report.plot.output import written_line

    figures = [p for p in written if _option_of(args, p) == "--plot"]
    if figures:
        print(written_line(figures, args.plot), file=sys.stderr)
    for option, value in (("workbook", args.xlsx), ("report", args.html)):
        if value is not None:
            print(f"dcecon: wrote the {option} {value}", file=sys.stderr)
