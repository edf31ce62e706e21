"""``--xlsx FILE``: one command's result as an Excel workbook (docs/workbook.md).

:func:`workbook_bytes` renders the workbook of ``dcecon run`` (a fleet scenario), ``grid``, ``table``,
``tornado``, ``montecarlo``, ``sobol`` and ``morris`` in memory with XlsxWriter: an About sheet (version,
command line, backend, scenario), then the command's tables with units in every header, numbers as numbers
with number formats, formulas where a figure is a sum or a ratio of cells the sheet shows, 3-colour scales on
two-way tables and native Excel charts. The same result gives the same bytes: the document's dates are fixed
(:data:`CREATED`) and no timing is written.
"""

from __future__ import annotations

import datetime
import io

from dcecon.report.workbook.cells import Book

CREATED = datetime.datetime(2000, 1, 1)
"""Creation date written into every workbook's properties, so that the same result gives the same bytes."""


def writers() -> dict:
    """The function that writes each command's sheets, by command."""
    from dcecon.report.workbook import analyses, fleet, grid

    return {"run": fleet.write_run, "grid": grid.write_grid, "table": analyses.write_table,
            "tornado": analyses.write_tornado, "montecarlo": analyses.write_monte_carlo,
            "sobol": analyses.write_sobol, "morris": analyses.write_morris}


def workbook_bytes(output, formula_results: bool = True) -> bytes:
    """The ``.xlsx`` file of one command's result.

    Parameters
    ----------
    output : dcecon.report.outputs.Output
        The command and its result; ``run`` needs a fleet scenario (:data:`dcecon.report.outputs.WORKBOOK_KINDS`).
    formula_results : bool
        Store each formula's value as the model computed it, so readers that do not recalculate (previews,
        ``openpyxl``) show it; False stores 0 and leaves the figures to the spreadsheet's recalculation.

    Returns
    -------
    bytes
        The workbook (Office Open XML).

    Raises
    ------
    ValueError
        A command with no workbook, or ``run`` of a scenario kind other than ``fleet``.
    """
    write = writers().get(output.command)
    if write is None:
        raise ValueError(f"no workbook for command {output.command!r}")
    if output.command == "run" and output.kind not in (None, "fleet"):
        raise ValueError(f"no workbook for a scenario of kind {output.kind!r}")
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": f"dcecon {output.command}", "author": "dcecon", "created": CREATED})
    write(Book(workbook, formula_results), output)
    workbook.close()
    return buffer.getvalue()


__all__ = ["workbook_bytes", "CREATED"]
