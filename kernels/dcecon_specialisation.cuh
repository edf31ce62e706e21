// dcecon kernel specialisation: what one build of the native or CUDA kernel computes.
//
// DCECON_OUTPUTS (bit k: Metric k of the generated contract), DCECON_TABLES
// (main effects and 2-D tables) and DCECON_SKETCH (quantile sketches) are
// compile-time constants (src/dcecon/backends/native.py and cuda.py pass
// them as -D flags), so what a run does not ask for is not compiled in. This
// header turns them into the selected columns and the layout of a table cell,
// shared by dcecon_native.cpp and dcecon_cuda.cu (and by
// dcecon.grid_engine.kernels.cell_layout on the host).
#pragma once
#include "dcecon_grid.cuh"

#ifndef DCECON_OUTPUTS
#define DCECON_OUTPUTS ((1u << dcecon::N_METRICS) - 1u)
#endif
#ifndef DCECON_TABLES
#define DCECON_TABLES 1
#endif
#ifndef DCECON_SKETCH
#define DCECON_SKETCH 1
#endif

namespace dcecon {
namespace specialisation {

constexpr unsigned MASK = DCECON_OUTPUTS;
constexpr bool TABLES = DCECON_TABLES != 0;
constexpr bool SKETCH = DCECON_SKETCH != 0;

DCECON_HD constexpr int count_bits(unsigned m) { return m ? int(m & 1u) + count_bits(m >> 1) : 0; }

constexpr int NSEL = count_bits(MASK);
static_assert(NSEL > 0 && (MASK >> N_METRICS) == 0u, "DCECON_OUTPUTS: at least one kernel metric, no others");

// Selected column k -> Metric (the k-th set bit of MASK).
DCECON_HD constexpr int selected_metric(int k) {
    int i = 0;
    while (!((MASK >> i) & 1u) || k-- > 0) ++i;
    return i;
}

// Metric -> selected column, -1 when not selected.
DCECON_HD constexpr int column_of(int metric) {
    return ((MASK >> metric) & 1u) ? count_bits(MASK & ((1u << metric) - 1u)) : -1;
}

// Selected column -> slot of its defined-value count in a table cell, -1 for an always-finite metric.
DCECON_HD constexpr int count_slot(int k) {
    return ((ALWAYS_FINITE_MASK >> selected_metric(k)) & 1u)
               ? -1 : count_bits(MASK & ~ALWAYS_FINITE_MASK & ((1u << selected_metric(k)) - 1u));
}

constexpr int N_COUNT_SLOTS = count_bits(MASK & ~ALWAYS_FINITE_MASK);
// a table cell: [scenarios, positive margin, positive NPV, sums of the selected metrics, counts of defined
// values of the selected metrics that can be undefined]; minima and maxima in their own buffers
// (dcecon.grid_engine.kernels.cell_layout)
constexpr int CELL_SUMS = 3 + NSEL + N_COUNT_SLOTS;
constexpr int MARGIN_COLUMN = column_of(M_GROSS_MARGIN);
constexpr int NPV_COLUMN = column_of(M_NPV_USD);

// The selected metrics of scenarios [first, last) of a chunk (row r of `out`: NSEL columns), walking the
// rows from `first` (dcecon_evaluate_* of both backends).
template <typename T, int AXES>
DCECON_HD void evaluate_run(const Grid<T>& g, const GridSpec<T>& s, long long start, long long first, long long last,
                            T* out) {
    Walker<T, AXES> w;
    RunCache cache;
    init_cache(g, cache);
    T values[N_METRICS];
    for (long long row = first; row < last; ++row) {
        if (row == first) walker_start(s, g, start + row, row, w); else walker_next(s, g, row, w);
        evaluate_scenario<T, MASK>(g, w.params, s.methods, w.discount, w.tax, values, cache);
        for (int k = 0; k < NSEL; ++k) out[row * NSEL + k] = values[selected_metric(k)];
    }
}

}  // namespace specialisation

// Where the main effects and 2-D tables of a run are (dcecon.grid_engine.kernels.pack): tables are numbered
// marginals first, then pairs, and laid out one after the other from their first cell.
struct TableLayout {
    int n_marginal;
    const int* marginal_dims;           // cartesian index, or n_cart + k for sampled dimension k
    const long long* marginal_offsets;  // first cell of each marginal table
    int n_pairs;
    const int* pair_a;
    const int* pair_b;
    const long long* pair_offsets;      // first cell of each pair table
    long long n_groups;                 // cells of all tables
    const int* deciles;                 // [m * n_sampled]
};

}  // namespace dcecon
