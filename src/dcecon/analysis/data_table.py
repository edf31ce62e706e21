"""Data tables with exact break-even lines (``dcecon table``), like a spreadsheet's one- and two-way data tables.

``dcecon.data_table("h100-neocloud-2024", rows="cohorts.0.utilization=0.5:1:6",
cols="cohorts.0.price_usd_per_gpu_hour=1:3:9", metric="npv_usd", breakeven=True)``
evaluates the metric at every (row, column) cell in one pass of the grid engine
(a grid over rows x columns keeping every scenario's value) and, with
``breakeven``, finds for each row the exact column value at which the metric
crosses zero: the closed form where the metric is linear in the column's field,
else a bracketed root within the field's bounds, by the vectorised root finder
of :mod:`dcecon.analysis.goal_seek` (docs/tables.md).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dcecon.analysis.goal_seek import (CLOSED_FORM, BRACKETED, UNREACHABLE, MetricEvaluator, check_metric,
                                       find_roots, is_linear, listed_axis, load_fleet, point_plan, renamed,
                                       scan_values, search_interval)
from dcecon.grid_engine.api import prepare
from dcecon.grid_engine.points import choose_backend, with_points
from dcecon.grid_engine.spec import parse_values
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.schema import Scenario

MAX_CELLS = 10**6
"""Most cells a data table holds (rows x columns) [cells]; a larger sweep is a job for ``dcecon grid``."""

NONE_IN_RANGE = "none in range"
"""The ``method`` of a row whose metric does not cross zero within the column field's bounds."""

METHOD_LABELS = {CLOSED_FORM: CLOSED_FORM, BRACKETED: BRACKETED, UNREACHABLE: NONE_IN_RANGE}
"""The root finder's outcome -> the break-even ``method``."""


@dataclasses.dataclass
class DataTable:
    """A one- or two-way data table of one metric, with its break-even line.

    Attributes
    ----------
    scenario : str
        Name of the scenario.
    metric : str
        The tabulated metric.
    row_path : str
        The rows' path.
    row_values : numpy.ndarray
        Row values [unit of the row field].
    col_path : str or None
        The columns' path (None for a one-way table).
    col_values : numpy.ndarray or None
        Column values [unit of the column field].
    values : numpy.ndarray
        The metric, shape ``(rows, columns)`` (one column in a one-way table) [unit of the metric].
    breakeven : pandas.DataFrame or None
        With ``breakeven``: per row (two-way) the column value where the metric is zero, the metric there and
        ``method`` (``closed form``, ``bracketed``, ``none in range``); one-way: one row, the row field's value.
    search : (float, float) or None
        Where the break-even was searched [unit of the solved field].
    backend : str
    """

    scenario: str
    metric: str
    row_path: str
    row_values: np.ndarray
    col_path: str | None
    col_values: np.ndarray | None
    values: np.ndarray
    breakeven: pd.DataFrame | None
    search: tuple | None
    backend: str

    def to_frame(self) -> pd.DataFrame:
        """The table: index the row values, columns the column values (a one-way table: one column, the
        metric)."""
        index = pd.Index(self.row_values, name=self.row_path)
        if self.col_path is None:
            return pd.DataFrame({self.metric: self.values[:, 0]}, index=index)
        return pd.DataFrame(self.values, index=index, columns=pd.Index(self.col_values, name=self.col_path))

    def _repr_html_(self) -> str:
        """The notebook display: tables and charts (:mod:`dcecon.report.notebook`)."""
        from dcecon.report.notebook import repr_html

        return repr_html(self)

    def to_dict(self) -> dict:
        """JSON form (:func:`dcecon.io.dumps_json`)."""
        out = {"scenario": self.scenario, "metric": self.metric, "backend": self.backend,
               "rows": {"path": self.row_path, "values": self.row_values.tolist()},
               "cols": None if self.col_path is None else {"path": self.col_path,
                                                           "values": self.col_values.tolist()},
               "values": self.values.tolist(), "breakeven": None}
        if self.breakeven is not None:
            solved = self.col_path or self.row_path
            out["breakeven"] = {"path": solved, "search": list(self.search),
                                "rows": self.breakeven.reset_index().to_dict(orient="records")}
        return out


def _axis_plan(raw, provenance, file, texts, metric):
    """The grid plan of the table's axes; an error names the option of the axis it is about."""
    for path, spec, option in texts:
        try:
            prepare(raw, provenance, file, [f"{path}={spec}"], use_grid_table=False, metrics=[metric],
                    tables="none", quantiles=False)
        except ScenarioError as exc:
            raise renamed(exc, option) from None
    try:
        return prepare(raw, provenance, file, [f"{p}={s}" for p, s, _ in texts], use_grid_table=False,
                       metrics=[metric], tables="none", quantiles=False)
    except ScenarioError as exc:  # both axes set the same field
        raise renamed(exc, texts[-1][2]) from None


def data_table(scenario, rows, cols=None, metric: str = "npv_usd", breakeven: bool = False, overrides=(),
               backend="auto") -> DataTable:
    """A one- or two-way data table of a metric, with the exact break-even column value of each row.

    Parameters
    ----------
    scenario : Scenario, str or path
        A loaded scenario, a scenario file or a bundled name.
    rows, cols : str
        ``'PATH=SPEC'`` with SPEC ``start:stop:num`` or ``v1,v2,...`` (as ``--axis``); ``cols`` optional.
    metric : str
        A metric of :data:`dcecon.model.metrics.METRICS`.
    breakeven : bool
        Also find, for each row, the column value at which the metric is zero (within the column field's
        bounds; one-way: the row field's value).
    overrides : list of 'PATH=VALUE'
        ``--set`` overrides applied first.
    backend : {'auto', 'numpy', 'native', 'cupy', 'cupy-array', 'array-api-strict'}

    Returns
    -------
    DataTable

    Raises
    ------
    ScenarioError
        An unknown path or metric, a value outside the field's bounds, a distribution, more than
        :data:`MAX_CELLS` cells.
    """
    metric = check_metric(metric)
    raw, provenance, file = load_fleet(scenario, overrides, "dcecon table")
    texts = [(*listed_axis(rows, "--rows"), "--rows")]
    if cols is not None:
        texts.append((*listed_axis(cols, "--cols"), "--cols"))
    cells = 1
    for path, spec, option in texts:
        cells *= len(parse_values(spec, path, option))
    if cells > MAX_CELLS:
        raise ScenarioError(texts[-1][2], None, f"the table has {cells:,} cells, more than the {MAX_CELLS:,} a data "
                                                "table holds; use fewer values, or dcecon grid for a larger sweep")
    plan = _axis_plan(raw, provenance, file, texts, metric)
    chosen = choose_backend(plan, backend)
    values = MetricEvaluator(plan, chosen, metric)(plan).reshape(plan.shape[0], -1)
    row_values = np.asarray(plan.axes[0].values, dtype=np.float64)
    col_values = np.asarray(plan.axes[1].values, dtype=np.float64) if cols is not None else None
    found, search = None, None
    if breakeven:
        found, search = _breakeven(raw, provenance, file, texts, row_values, col_values, metric, chosen)
    name = scenario.name if isinstance(scenario, Scenario) else plan.scenario.name
    return DataTable(name, metric, texts[0][0], row_values, texts[1][0] if cols is not None else None, col_values,
                     values, found, search, chosen.name)


def _breakeven(raw, provenance, file, texts, row_values, col_values, metric, backend):
    """Per row, the column value where ``metric`` is zero (one-way: the row value), within the field's bounds."""
    solved_path, _, option = texts[-1]
    solved_values = col_values if col_values is not None else row_values
    lo, hi, reference = search_interval(raw, solved_path, option=option)
    scan = scan_values(lo, hi, reference)
    intervals = [(texts[0][0], float(row_values.min()), float(row_values.max()), "--rows")] if len(texts) == 2 else []
    intervals.append((solved_path, float(scan[0]), float(scan[-1]), option))
    plan = point_plan(raw, provenance, file, intervals, metric)
    evaluator = MetricEvaluator(plan, backend, metric)
    probes = None
    if is_linear(metric, solved_path) and solved_values.min() < solved_values.max():
        probes = (float(solved_values.min()), float(solved_values.max()))
    fixed = [row_values] if len(texts) == 2 else []
    roots = find_roots(lambda columns: evaluator(with_points(plan, columns)), fixed, 0.0, scan, probes)
    frame = pd.DataFrame({solved_path: roots.x, metric: roots.achieved,
                          "method": [METHOD_LABELS[m] for m in roots.method]},
                         index=pd.Index(row_values, name=texts[0][0]) if len(texts) == 2
                         else pd.Index(["break-even"]))
    return frame, (float(scan[0]), float(scan[-1]))
