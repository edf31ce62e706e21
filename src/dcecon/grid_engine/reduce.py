"""Mergeable reductions of a grid run's per-scenario metrics.

A chunk becomes a :class:`Partial` (host NumPy arrays, small): per metric the
count, mean and sum of squared deviations (Chan et al.'s parallel update),
min/max with the flat index of the scenario that attains them, the counts of
NaN, infinite and negative values, and a quantile sketch; per dimension value
(main effects) and per pair of cartesian axes (2-D tables) the sum, count,
min and max of each metric plus the counts of scenarios with a positive gross
margin and a positive NPV.

:func:`merge` combines partials *sorted by their start index*, so the result
does not depend on the order in which chunks finish (on one machine or
many); counts, min/max, argmin/argmax and sketches are exact, sums and
moments agree to rounding whatever the chunk size.

Cartesian tables are computed densely: a chunk covers whole blocks of the
inner axes, so its metrics reshape to ``(rows, n_j, ..., n_{K-1}, N, M)`` and
every table is a reduction over tensor axes; only the per-row outer
coordinates (few) and sampled deciles are scattered.

References
----------
.. [1] Chan, Golub, LeVeque, "Updating formulae and a pairwise algorithm for
   computing sample variances", Stanford CS report STAN-CS-79-773, 1979.
"""

from __future__ import annotations

import dataclasses
import math

import array_api_compat
import numpy as np

from dcecon.backends import to_numpy
from dcecon.grid_engine import sketch

MAX_MARGINAL_VALUES = 10_000
"""Axes with more values than this get no main-effects table."""

MAX_TABLE_CELLS = 65_536
"""Pairs of axes with more cells than this (256 x 256) get no 2-D table; a table's accumulators take
66 doubles a cell, so this bounds each to about 35 MB."""

DECILES = 10
"""Main effects of a sampled dimension are reported per decile of its draw."""


@dataclasses.dataclass
class Layout:
    """How the chunk's metrics map onto tables.

    Attributes
    ----------
    shape : tuple of int
        Cartesian axis sizes.
    n_samples : int
    inner_from : int
        Axes ``inner_from ..`` are whole within every chunk (dense); earlier
        ones are outer (constant along a row).
    block_cells : int
        Cells per row: the product of the inner axis sizes.
    marginal_dims : list of int
        Dimensions (cartesian then sampled) that get main effects.
    pairs : list of (int, int)
        Cartesian axis pairs that get 2-D tables.
    n_sampled : int
    metrics : tuple of str
        The metrics the run reduces (the last axis of every array of a :class:`Partial`).
    quantiles : bool
        Whether quantile sketches are kept (else a Partial's sketch has no buckets).
    """

    shape: tuple
    n_samples: int
    inner_from: int
    block_cells: int
    marginal_dims: list
    pairs: list
    n_sampled: int
    metrics: tuple
    quantiles: bool = True

    def dim_size(self, d: int) -> int:
        """Groups of dimension ``d`` (values, or deciles)."""
        return self.shape[d] if d < len(self.shape) else DECILES


def make_layout(shape, n_samples, n_sampled, metrics, target_chunk, tables="auto", quantiles=True) -> Layout:
    """Pick the inner axes so that one row (block of cells times samples) fits the target chunk.

    ``tables``: ``'auto'`` (main effects of every dimension with at most
    :data:`MAX_MARGINAL_VALUES` values, 2-D tables of every pair of at most
    :data:`MAX_TABLE_CELLS` cells), ``'none'``, or cartesian index pairs
    (main effects as ``auto``, and those tables).
    """
    k = len(shape)
    inner_from = k
    block = 1
    for j in range(k - 1, -1, -1):
        if block * shape[j] * n_samples <= target_chunk:
            block *= shape[j]
            inner_from = j
        else:
            break
    marginal = [d for d in range(k) if shape[d] <= MAX_MARGINAL_VALUES] + [k + s for s in range(n_sampled)]
    if tables == "none":
        marginal, pairs = [], []
    elif tables == "auto":
        pairs = [(a, b) for a in range(k) for b in range(a + 1, k)
                 if a in marginal and b in marginal and shape[a] * shape[b] <= MAX_TABLE_CELLS]
    else:
        pairs = [tuple(sorted(pair)) for pair in tables]
    return Layout(tuple(shape), n_samples, inner_from, block, marginal, pairs, n_sampled, tuple(metrics),
                  bool(quantiles))


class ChunkBounds:
    """The ``(start, stop)`` of every chunk, computed on demand (a 10^15-scenario run has 10^9 chunks).

    Whole rows (a block of cells times the samples) per chunk; when one
    cell's samples exceed the target, sample ranges inside one cell that
    never cross a cell boundary.
    """

    def __init__(self, layout: Layout, n_scenarios: int, target_chunk: int):
        self.n_scenarios = n_scenarios
        row = layout.block_cells * layout.n_samples
        self.n_samples = layout.n_samples
        if row <= target_chunk:
            self.split = False
            self.step = max(1, target_chunk // row) * row
            self.count = -(-n_scenarios // self.step)
        else:
            self.split = True
            self.per_cell_chunks = math.ceil(layout.n_samples / target_chunk)
            self.per_chunk = math.ceil(layout.n_samples / self.per_cell_chunks)
            self.per_cell_chunks = -(-layout.n_samples // self.per_chunk)
            self.count = (n_scenarios // layout.n_samples) * self.per_cell_chunks

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, k: int) -> tuple[int, int]:
        if not 0 <= k < self.count:
            raise IndexError(k)
        if not self.split:
            start = k * self.step
            return start, min(start + self.step, self.n_scenarios)
        cell, part = divmod(k, self.per_cell_chunks)
        start = cell * self.n_samples + part * self.per_chunk
        return start, min(start + self.per_chunk, (cell + 1) * self.n_samples)

    def __iter__(self):
        return (self[k] for k in range(self.count))


def chunk_bounds(layout: Layout, n_scenarios: int, target_chunk: int) -> ChunkBounds:
    """Chunk boundaries: whole rows (block of cells x samples), or sample ranges inside one cell."""
    return ChunkBounds(layout, n_scenarios, target_chunk)


@dataclasses.dataclass
class Partial:
    """Reductions of the scenarios ``start .. stop - 1`` (host arrays)."""

    start: int
    stop: int
    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    nan: np.ndarray
    posinf: np.ndarray
    neginf: np.ndarray
    negative: np.ndarray
    minimum: np.ndarray
    argmin: np.ndarray
    maximum: np.ndarray
    argmax: np.ndarray
    sketch: np.ndarray
    marginals: dict
    tables: dict

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat dict of arrays (for ``np.savez``)."""
        out = {"range": np.asarray([self.start, self.stop], dtype=np.int64)}
        for name in ("count", "mean", "m2", "nan", "posinf", "neginf", "negative", "minimum", "argmin", "maximum",
                     "argmax"):
            out[name] = getattr(self, name)
        nz = np.nonzero(self.sketch)
        out["sketch_index"] = np.stack(nz).astype(np.int64)
        out["sketch_count"] = self.sketch[nz]
        out["sketch_shape"] = np.asarray(self.sketch.shape, dtype=np.int64)
        for d, table in self.marginals.items():
            for stat, arr in table.items():
                out[f"marginal_{d}_{stat}"] = arr
        for (a, b), table in self.tables.items():
            for stat, arr in table.items():
                out[f"table_{a}_{b}_{stat}"] = arr
        return out

    @classmethod
    def from_arrays(cls, arrays) -> "Partial":
        """Inverse of :meth:`to_arrays`."""
        start, stop = (int(v) for v in arrays["range"])
        sk = np.zeros(tuple(arrays["sketch_shape"]), dtype=np.int64)
        sk[tuple(arrays["sketch_index"])] = arrays["sketch_count"]
        marginals, tables = {}, {}
        for key in arrays:
            parts = key.split("_")
            if parts[0] == "marginal":
                marginals.setdefault(int(parts[1]), {})["_".join(parts[2:])] = np.asarray(arrays[key])
            elif parts[0] == "table":
                tables.setdefault((int(parts[1]), int(parts[2])), {})["_".join(parts[3:])] = np.asarray(arrays[key])
        fields = {n: np.asarray(arrays[n]) for n in ("count", "mean", "m2", "nan", "posinf", "neginf", "negative",
                                                      "minimum", "argmin", "maximum", "argmax")}
        return cls(start, stop, sketch=sk, marginals=marginals, tables=tables, **fields)


# --- group reductions -------------------------------------------------------------------------------------------

def _scatter(xp, groups, n_groups, values, kind):
    """Reduce ``values`` (rows, M) by ``groups`` (rows,) into (n_groups, M): sum, min or max."""
    m = values.shape[1]
    if array_api_compat.is_numpy_namespace(xp) or array_api_compat.is_cupy_namespace(xp):
        if array_api_compat.is_numpy_namespace(xp):
            import numpy as lib
        else:
            import cupy as lib
        flat = (groups[:, None] * m + lib.arange(m)[None, :]).reshape(-1)
        vals = values.reshape(-1)
        if kind == "sum":
            return lib.bincount(flat, weights=vals, minlength=n_groups * m).reshape(n_groups, m)
        fill = math.inf if kind == "min" else -math.inf
        out = lib.full(n_groups * m, fill)
        if lib is np:
            (np.minimum if kind == "min" else np.maximum).at(out, flat, vals)
        else:
            import cupyx

            (cupyx.scatter_min if kind == "min" else cupyx.scatter_max)(out, flat, vals)
        return out.reshape(n_groups, m)
    rows = []
    for g in range(n_groups):
        mask = (groups == g)[:, None]
        if kind == "sum":
            rows.append(xp.sum(xp.where(mask, values, 0.0), axis=0))
        elif kind == "min":
            rows.append(xp.min(xp.where(mask, values, math.inf), axis=0))
        else:
            rows.append(xp.max(xp.where(mask, values, -math.inf), axis=0))
    return xp.stack(rows, axis=0)


def _count(xp, ids, n):
    """How many of ``ids`` equal each of ``0 .. n - 1`` (ids equal to ``n`` are ignored)."""
    if array_api_compat.is_numpy_namespace(xp):
        return np.bincount(ids, minlength=n + 1)[:n]
    if array_api_compat.is_cupy_namespace(xp):
        import cupy

        return cupy.bincount(ids, minlength=n + 1)[:n]
    ordered = xp.sort(ids)
    edges = xp.searchsorted(ordered, xp.arange(n + 1, dtype=ordered.dtype), side="left")
    return edges[1:] - edges[:-1]


def _reduce_axes(xp, kind, array, axes):
    if not axes:
        return array
    if kind == "sum":
        return xp.sum(array, axis=axes)
    return xp.min(array, axis=axes) if kind == "min" else xp.max(array, axis=axes)


KIND = {"sum": "sum", "count": "sum", "positive_margin": "sum", "positive_npv": "sum", "scenarios": "sum", "min": "min",
        "max": "max"}


def reduce_chunk(xp, layout: Layout, start: int, stop: int, metrics: dict, sampled_groups, row_coords) -> Partial:
    """Reduce a chunk's per-scenario metrics into a :class:`Partial`.

    Parameters
    ----------
    metrics : dict of str to array
        ``(m,)`` arrays on the backend, ``m = stop - start``.
    sampled_groups : list of numpy.ndarray
        Decile of each scenario for each sampled dimension (host).
    row_coords : list of numpy.ndarray
        Coordinate of each row on each outer cartesian axis (host), shape ``(rows,)``.
    """
    names = layout.metrics
    M = len(names)
    m = stop - start

    # per-metric statistics on a metric-major copy: reductions along contiguous rows are ~10x faster
    XT = xp.stack([metrics[n] for n in names], axis=0)
    nan_t = xp.isnan(XT)
    finite_t = xp.isfinite(XT)
    count = xp.sum(xp.astype(finite_t, XT.dtype), axis=1)
    total = xp.sum(xp.where(finite_t, XT, 0.0), axis=1)
    mean = total / xp.where(count > 0, count, 1.0)
    m2 = xp.sum(xp.where(finite_t, (XT - mean[:, None]) ** 2, 0.0), axis=1)
    minimum = xp.min(xp.where(nan_t, math.inf, XT), axis=1)
    maximum = xp.max(xp.where(nan_t, -math.inf, XT), axis=1)
    # the first scenario attaining the extreme; NaN never counts, even when the extreme is infinite
    argmin = xp.argmax(xp.astype((XT == minimum[:, None]) & ~nan_t, xp.int8), axis=1)
    argmax = xp.argmax(xp.astype((XT == maximum[:, None]) & ~nan_t, xp.int8), axis=1)
    all_nan = xp.all(nan_t, axis=1)
    negative = xp.sum(xp.astype(XT < 0.0, xp.int64), axis=1)

    infinite_t = ~finite_t & ~nan_t
    n_nan = xp.sum(xp.astype(nan_t, xp.int64), axis=1)
    n_posinf = xp.sum(xp.astype(infinite_t & (XT > 0.0), xp.int64), axis=1)
    n_neginf = xp.sum(xp.astype(infinite_t & (XT < 0.0), xp.int64), axis=1)
    if layout.quantiles:
        ids = sketch.bucket_ids(xp, XT)
        valid = ids >= 0
        offsets = xp.reshape(xp.arange(M, dtype=xp.int64) * sketch.N_BUCKETS, (M, 1))
        flat_ids = xp.reshape(xp.where(valid, ids + offsets, M * sketch.N_BUCKETS), (-1,))
        sk = xp.reshape(_count(xp, flat_ids, M * sketch.N_BUCKETS), (M, sketch.N_BUCKETS))
    else:
        sk = xp.zeros((M, 0), dtype=xp.int64)

    groups = {}
    if layout.marginal_dims or layout.pairs:  # scenario-major copies for the tables
        X = xp.stack([metrics[n] for n in names], axis=1)
        nan = xp.isnan(X)
        finite = xp.isfinite(X)
        F = xp.astype(finite, X.dtype)
        Xs = xp.where(finite, X, 0.0)
        Xlo = xp.where(nan, math.inf, X)
        Xhi = xp.where(nan, -math.inf, X)
        summed = xp.concat([Xs, F, _positive_column(xp, X, names, "gross_margin"),
                            _positive_column(xp, X, names, "npv_usd"), xp.ones((m, 1), dtype=X.dtype)], axis=1)
        groups = {"sum": summed, "min": Xlo, "max": Xhi}

    k = len(layout.shape)
    inner_shape = tuple(layout.shape[layout.inner_from:])
    row_size = layout.block_cells * layout.n_samples
    if m % row_size == 0:
        rows = m // row_size
        inner_first = layout.inner_from
        cell = {kind: _reduce_axes(xp, kind, xp.reshape(a, (rows,) + inner_shape + (layout.n_samples, a.shape[1])),
                                   (len(inner_shape) + 1,)) for kind, a in groups.items()}
    else:  # a sample range inside one cell
        rows, inner_shape, inner_first = 1, (), k
        cell = {kind: _reduce_axes(xp, kind, a, (0,))[None, :] for kind, a in groups.items()}
    n_inner = len(inner_shape)
    inner_dims = list(range(inner_first, k))

    def axis_of(d):  # tensor axis of cartesian dim d in the cell tensor (rows, *inner, w)
        return 1 + d - inner_first

    marginals = {d: {} for d in layout.marginal_dims}
    tables = {pair: {} for pair in layout.pairs}
    needed_inner = {d for d in inner_dims if d in layout.marginal_dims or any(d in p for p in layout.pairs)}
    for kind, tensor in cell.items():
        width = tensor.shape[-1]
        per_dim = {}  # inner dim -> (rows, n_d, width)
        for d in needed_inner:
            others = tuple(axis_of(e) for e in inner_dims if e != d)
            per_dim[d] = _reduce_axes(xp, kind, tensor, others)
        if per_dim:
            any_dim = next(iter(per_dim))
            per_row = _reduce_axes(xp, kind, per_dim[any_dim], (1,))
        else:
            per_row = _reduce_axes(xp, kind, tensor, tuple(range(1, n_inner + 1)))
        for d in layout.marginal_dims:
            if d >= k:
                continue
            if d in per_dim:
                value = _reduce_axes(xp, kind, per_dim[d], (0,))
            else:  # an outer axis: only the values this chunk's rows take (a sparse first axis)
                touched, local = _touched(row_coords[d])
                value = _scatter(xp, _on_device(xp, local, X), len(touched), per_row, kind)
                marginals[d].update(rows=touched, n_rows=np.int64(layout.shape[d]))
            marginals[d][kind] = to_numpy(value)
        for a_dim, b_dim in layout.pairs:
            n_a, n_b = layout.shape[a_dim], layout.shape[b_dim]
            if a_dim in per_dim and b_dim in per_dim:
                others = tuple(axis_of(e) for e in inner_dims if e not in (a_dim, b_dim))
                value = _reduce_axes(xp, kind, tensor, (0,) + others)
            else:
                touched, local = _touched(row_coords[a_dim])
                tables[(a_dim, b_dim)].update(rows=touched, n_rows=np.int64(n_a))
                if b_dim in per_dim:  # a outer, b inner
                    flat = xp.reshape(per_dim[b_dim], (rows, n_b * width))
                    value = xp.reshape(_scatter(xp, _on_device(xp, local, X), len(touched), flat, kind),
                                       (len(touched), n_b, width))
                else:  # both outer
                    coords = local * n_b + row_coords[b_dim]
                    value = xp.reshape(_scatter(xp, _on_device(xp, coords, X), len(touched) * n_b, per_row, kind),
                                       (len(touched), n_b, width))
            tables[(a_dim, b_dim)][kind] = to_numpy(value)
    for d in layout.marginal_dims:
        if d >= k:  # sampled dimension: scatter every scenario by decile
            deciles = _on_device(xp, sampled_groups[d - k], X)
            for kind, a in groups.items():
                marginals[d][kind] = to_numpy(_scatter(xp, deciles, DECILES, a, kind))
    marginals = {d: _split_stats(t, M) for d, t in marginals.items()}
    tables = {pair: _split_stats(t, M) for pair, t in tables.items()}

    host = {n: to_numpy(v) for n, v in dict(count=count, mean=mean, m2=m2, minimum=minimum, maximum=maximum,
                                              argmin=argmin, argmax=argmax, all_nan=all_nan, sk=sk,
                                              negative=negative, nan=n_nan, posinf=n_posinf,
                                              neginf=n_neginf).items()}
    sk_host = np.rint(host["sk"]).astype(np.int64)
    argmin_h = np.where(host["all_nan"], -1, host["argmin"].astype(np.int64) + start)
    argmax_h = np.where(host["all_nan"], -1, host["argmax"].astype(np.int64) + start)
    return Partial(start, stop, host["count"].astype(np.int64), host["mean"].astype(np.float64),
                   host["m2"].astype(np.float64), host["nan"].astype(np.int64), host["posinf"].astype(np.int64),
                   host["neginf"].astype(np.int64), host["negative"].astype(np.int64),
                   host["minimum"].astype(np.float64), argmin_h, host["maximum"].astype(np.float64), argmax_h,
                   sk_host, marginals, tables)


def _positive_column(xp, X, names, metric):
    """``(m, 1)``: 1 where ``metric`` is positive (0 everywhere when the run does not compute it)."""
    if metric not in names:
        return xp.zeros((X.shape[0], 1), dtype=X.dtype)
    col = names.index(metric)
    return xp.astype(X[:, col:col + 1] > 0.0, X.dtype)


def _touched(coords) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a chunk's row coordinates and each row's index among them (host)."""
    touched, local = np.unique(np.asarray(coords, dtype=np.int64), return_inverse=True)
    return touched, local.astype(np.int64)


def _split_stats(grouped: dict, n_metrics: int) -> dict:
    """``{'sum': S, 'min': L, 'max': H}`` -> the named stats of a table (last axis: metrics).

    A table whose first axis is sparse also carries ``rows`` (the first-axis
    indices it holds) and ``n_rows`` (the dense size).
    """
    summed = grouped["sum"]
    extra = {key: grouped[key] for key in ("rows", "n_rows") if key in grouped}
    return extra | {
        "sum": summed[..., :n_metrics],
        "count": summed[..., n_metrics:2 * n_metrics],
        "positive_margin": summed[..., 2 * n_metrics:2 * n_metrics + 1],
        "positive_npv": summed[..., 2 * n_metrics + 1:2 * n_metrics + 2],
        "scenarios": summed[..., 2 * n_metrics + 2:2 * n_metrics + 3],
        "min": grouped["min"],
        "max": grouped["max"],
    }


def _on_device(xp, host_array, like):
    if array_api_compat.is_numpy_namespace(xp):
        return np.asarray(host_array, dtype=np.int64)
    return xp.asarray(np.asarray(host_array, dtype=np.int64), device=array_api_compat.device(like))


IDENTITY = {"sum": 0.0, "min": np.inf, "max": -np.inf}


def densify_table(table: dict) -> dict:
    """A table with a dense first axis (a copy; sparse rows placed, the rest at the identity)."""
    if "rows" not in table:
        return {name: np.array(value) for name, value in table.items()}
    rows, n_rows = table["rows"], int(table["n_rows"])
    out = {}
    for name, value in table.items():
        if name in ("rows", "n_rows"):
            continue
        dense = np.full((n_rows,) + value.shape[1:], IDENTITY[KIND[name]])
        dense[rows] = value
        out[name] = dense
    return out


def sparsify_table(table: dict) -> dict:
    """Keep only the first-axis rows that any scenario touched (lossless: the others are identities)."""
    touched = None
    for name, value in table.items():
        identity = IDENTITY[KIND[name]]
        row_touched = np.any((value != identity).reshape(value.shape[0], -1), axis=1)
        touched = row_touched if touched is None else touched | row_touched
    rows = np.flatnonzero(touched).astype(np.int64)
    n_rows = next(iter(table.values())).shape[0]
    out = {name: value[rows] for name, value in table.items()}
    out.update(rows=rows, n_rows=np.int64(n_rows))
    return out


def _fold_table(acc: dict, new: dict) -> None:
    """Fold ``new`` into the dense table ``acc`` in place."""
    rows = new.get("rows")
    for name, value in new.items():
        if name in ("rows", "n_rows"):
            continue
        target = acc[name] if rows is None else acc[name][rows]
        kind = KIND[name]
        if kind == "sum":
            folded = target + value
        elif kind == "min":
            folded = np.minimum(target, value)
        else:
            folded = np.maximum(target, value)
        if rows is None:
            acc[name][...] = folded
        else:
            acc[name][rows] = folded


def densify(partial: Partial) -> Partial:
    """A copy of ``partial`` whose tables are dense (the accumulator of a merge)."""
    return dataclasses.replace(
        partial, count=partial.count.copy(), mean=partial.mean.copy(), m2=partial.m2.copy(), nan=partial.nan.copy(),
        posinf=partial.posinf.copy(), neginf=partial.neginf.copy(), negative=partial.negative.copy(),
        minimum=partial.minimum.copy(), argmin=partial.argmin.copy(), maximum=partial.maximum.copy(),
        argmax=partial.argmax.copy(), sketch=partial.sketch.copy(),
        marginals={d: densify_table(t) for d, t in partial.marginals.items()},
        tables={key: densify_table(t) for key, t in partial.tables.items()},
    )


def merge_into(acc: Partial, b: Partial) -> Partial:
    """Fold ``b`` (later scenarios) into the dense accumulator ``acc`` in place; returns ``acc``."""
    n = acc.count + b.count
    safe = np.where(n > 0, n, 1)
    delta = b.mean - acc.mean
    mean = np.where(n > 0, (acc.count * acc.mean + b.count * b.mean) / safe, 0.0)
    m2 = acc.m2 + b.m2 + delta**2 * acc.count * b.count / safe
    take_b_min = (b.minimum < acc.minimum) | ((acc.argmin < 0) & (b.argmin >= 0))
    take_b_max = (b.maximum > acc.maximum) | ((acc.argmax < 0) & (b.argmax >= 0))
    acc.minimum = np.where(take_b_min, b.minimum, acc.minimum)
    acc.argmin = np.where(take_b_min, b.argmin, acc.argmin)
    acc.maximum = np.where(take_b_max, b.maximum, acc.maximum)
    acc.argmax = np.where(take_b_max, b.argmax, acc.argmax)
    acc.count, acc.mean, acc.m2 = n, mean, m2
    acc.nan = acc.nan + b.nan
    acc.posinf = acc.posinf + b.posinf
    acc.neginf = acc.neginf + b.neginf
    acc.negative = acc.negative + b.negative
    acc.sketch += b.sketch
    for d in acc.marginals:
        _fold_table(acc.marginals[d], b.marginals[d])
    for key in acc.tables:
        _fold_table(acc.tables[key], b.tables[key])
    acc.start, acc.stop = min(acc.start, b.start), max(acc.stop, b.stop)
    return acc


def merge(partials) -> Partial:
    """Merge partials in order of their start index (the result is independent of arrival order).

    The inputs are not modified; the result's tables are dense.
    """
    ordered = sorted(partials, key=lambda p: p.start)
    if not ordered:
        raise ValueError("nothing to merge")
    result = densify(ordered[0])
    for nxt in ordered[1:]:
        merge_into(result, nxt)
    return result
