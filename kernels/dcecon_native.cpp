// dcecon CPU backend: the fused grid kernel compiled by the host C++ compiler
// (-O3, OpenMP when available) and called through ctypes
// (src/dcecon/backends/native.py).
//
// One library per specialisation: DCECON_OUTPUTS (bit k: Metric k of the
// generated contract), DCECON_TABLES (main effects and 2-D tables) and
// DCECON_SKETCH (quantile sketches) are compile-time constants, so what a run
// does not ask for is not compiled in.
//
// Entry points, for T = double (_f64) and float (_f32):
//   dcecon_evaluate_*: the selected metrics of scenarios [start, start + m) -> out[m x n_selected]
//   dcecon_reduce_*:   the same scenarios reduced in place into the mergeable
//       reductions of dcecon.grid_engine.reduce.Partial (accumulated in double)
//
// Each thread walks one contiguous run of scenarios row-wise (one division of
// the flat index per run, then odometer steps) in blocks of up to BLOCK
// scenarios that share every cartesian coordinate but the innermost one.
// A block's metrics land in structure-of-arrays buffers and are reduced with
// `#pragma omp simd` loops (count, sum, min, max, sign counts; the sum of
// squared deviations about the block mean), then folded into the thread's
// totals (Chan et al.); tables on the outer axes take one pre-aggregated
// update per block, tables on the innermost axis or a sampled dimension one
// per scenario. The threads' totals are merged in order, so the result is the
// same for any schedule.
#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dcecon_specialisation.cuh"

using namespace dcecon;
using namespace dcecon::specialisation;

namespace {

constexpr int BLOCK = 128;

constexpr double INF = std::numeric_limits<double>::infinity();

inline bool is_finite(double x) { return x - x == 0.0; }


// The reductions of one thread (reused from call to call: see Pool).
struct Accumulator {
    double count[NSEL], mean[NSEL], m2[NSEL], minimum[NSEL], maximum[NSEL];
    long long argmin[NSEL], argmax[NSEL], negative[NSEL], nan[NSEL], posinf[NSEL], neginf[NSEL];
    std::vector<long long> sketch;
    std::vector<double> sums, mins, maxs;

    void init(long long n_buckets, long long n_groups) {
        for (int k = 0; k < NSEL; ++k) {
            count[k] = 0; mean[k] = 0; m2[k] = 0; negative[k] = 0; nan[k] = 0; posinf[k] = 0; neginf[k] = 0;
            minimum[k] = INF;
            maximum[k] = -INF;
            argmin[k] = -1; argmax[k] = -1;
        }
        if (SKETCH) sketch.assign((size_t)NSEL * (size_t)n_buckets, 0);
        if (TABLES) {
            sums.assign((size_t)n_groups * CELL_SUMS, 0.0);
            mins.assign((size_t)n_groups * NSEL, INF);
            maxs.assign((size_t)n_groups * NSEL, -INF);
        }
    }

    // Fold `b` (the next run of scenarios) into this one.
    void merge(const Accumulator& b) {
        for (int k = 0; k < NSEL; ++k) {
            double n = count[k] + b.count[k];
            double safe = n > 0 ? n : 1.0;
            double delta = b.mean[k] - mean[k];
            double new_mean = n > 0 ? (count[k] * mean[k] + b.count[k] * b.mean[k]) / safe : 0.0;
            m2[k] = m2[k] + b.m2[k] + delta * delta * count[k] * b.count[k] / safe;
            mean[k] = new_mean;
            count[k] = n;
            negative[k] += b.negative[k]; nan[k] += b.nan[k]; posinf[k] += b.posinf[k]; neginf[k] += b.neginf[k];
            if ((b.argmin[k] >= 0 && b.minimum[k] < minimum[k]) || (argmin[k] < 0 && b.argmin[k] >= 0)) {
                minimum[k] = b.minimum[k]; argmin[k] = b.argmin[k];
            }
            if ((b.argmax[k] >= 0 && b.maximum[k] > maximum[k]) || (argmax[k] < 0 && b.argmax[k] >= 0)) {
                maximum[k] = b.maximum[k]; argmax[k] = b.argmax[k];
            }
        }
        for (size_t i = 0; i < sketch.size(); ++i) sketch[i] += b.sketch[i];
        for (size_t i = 0; i < sums.size(); ++i) sums[i] += b.sums[i];
        for (size_t i = 0; i < mins.size(); ++i) mins[i] = b.mins[i] < mins[i] ? b.mins[i] : mins[i];
        for (size_t i = 0; i < maxs.size(); ++i) maxs[i] = b.maxs[i] > maxs[i] ? b.maxs[i] : maxs[i];
    }
};

// Per-thread accumulators kept between calls, so a run's chunks reuse the same memory (one caller at a time:
// the grid engine calls the library from one Python thread).
std::vector<Accumulator>& pool() {
    static std::vector<Accumulator> accumulators;
    return accumulators;
}

// A block's metrics, structure of arrays, and its per-metric aggregate (one table update for the outer axes).
struct Block {
    alignas(64) double x[NSEL][BLOCK];
    long long inner[BLOCK];  // coordinate on the innermost cartesian axis
    long long rows[BLOCK];   // chunk row (for the sampled deciles)
    int n;
    long long first_index;
    double sum[NSEL], defined[NSEL], lo[NSEL], hi[NSEL];
    double positive_margin, positive_npv;
};

// Moments, extremes, sign counts and sketch of one block; fills the block aggregate for the tables.
inline void reduce_block(Block& b, Accumulator& a, const SketchLayout& sk) {
    const int n = b.n;
    for (int k = 0; k < NSEL; ++k) {
        const double* x = b.x[k];
        double cnt = 0, sum = 0, lo = INF, hi = -INF, neg = 0, nan = 0, pinf = 0, ninf = 0;
#pragma omp simd reduction(+ : cnt, sum, neg) reduction(min : lo) reduction(max : hi)
        for (int i = 0; i < n; ++i) {
            double v = x[i];
            bool finite = v - v == 0.0;
            cnt += finite ? 1.0 : 0.0;
            sum += finite ? v : 0.0;
            lo = v < lo ? v : lo;  // false for NaN: extremes over the non-NaN values
            hi = v > hi ? v : hi;
            neg += v < 0.0 ? 1.0 : 0.0;
        }
        if (cnt < n) {  // NaN and infinities, counted only in blocks that have any
#pragma omp simd reduction(+ : nan, pinf, ninf)
            for (int i = 0; i < n; ++i) {
                double v = x[i];
                bool finite = v - v == 0.0;
                nan += v == v ? 0.0 : 1.0;
                pinf += (!finite && v > 0.0) ? 1.0 : 0.0;
                ninf += (!finite && v < 0.0) ? 1.0 : 0.0;
            }
        }
        double mean_b = cnt > 0 ? sum / cnt : 0.0;
        double m2_b = 0;
#pragma omp simd reduction(+ : m2_b)
        for (int i = 0; i < n; ++i) {
            double v = x[i];
            double d = v - mean_b;
            m2_b += (v - v == 0.0) ? d * d : 0.0;
        }
        b.sum[k] = sum; b.defined[k] = cnt; b.lo[k] = lo; b.hi[k] = hi;
        double total = a.count[k] + cnt;
        if (cnt > 0) {
            double delta = mean_b - a.mean[k];
            a.m2[k] += m2_b + delta * delta * a.count[k] * cnt / total;
            a.mean[k] = (a.count[k] * a.mean[k] + sum) / total;
            a.count[k] = total;
        }
        a.negative[k] += (long long)neg; a.nan[k] += (long long)nan;
        a.posinf[k] += (long long)pinf; a.neginf[k] += (long long)ninf;
        if (nan < n) {  // the first scenario attaining the extreme; blocks arrive in index order
            if (lo < a.minimum[k] || a.argmin[k] < 0) {
                int i = 0;
                while (!(x[i] == lo)) ++i;
                a.minimum[k] = lo; a.argmin[k] = b.first_index + i;
            }
            if (hi > a.maximum[k] || a.argmax[k] < 0) {
                int i = 0;
                while (!(x[i] == hi)) ++i;
                a.maximum[k] = hi; a.argmax[k] = b.first_index + i;
            }
        }
        if (SKETCH) {
            long long bucket[BLOCK];
#pragma omp simd
            for (int i = 0; i < n; ++i) bucket[i] = sketch_bucket(sk, x[i]);
            long long* counts = a.sketch.data() + (size_t)k * sk.n_buckets;
            long long first = bucket[0], last = bucket[0];
#pragma omp simd reduction(min : first) reduction(max : last)
            for (int i = 0; i < n; ++i) {
                first = bucket[i] < first ? bucket[i] : first;
                last = bucket[i] > last ? bucket[i] : last;
            }
            if (first == last) {  // one bucket for the whole block (a metric the innermost axis does not move)
                if (first >= 0) counts[first] += n;
            } else {
                for (int i = 0; i < n; ++i)
                    if (bucket[i] >= 0) counts[bucket[i]] += 1;
            }
        }
    }
    double pm = 0, pn = 0;
    if (MARGIN_COLUMN >= 0) {
        const double* x = b.x[MARGIN_COLUMN < 0 ? 0 : MARGIN_COLUMN];
#pragma omp simd reduction(+ : pm)
        for (int i = 0; i < n; ++i) pm += x[i] > 0.0 ? 1.0 : 0.0;
    }
    if (NPV_COLUMN >= 0) {
        const double* x = b.x[NPV_COLUMN < 0 ? 0 : NPV_COLUMN];
#pragma omp simd reduction(+ : pn)
        for (int i = 0; i < n; ++i) pn += x[i] > 0.0 ? 1.0 : 0.0;
    }
    b.positive_margin = pm;
    b.positive_npv = pn;
}

// Tables are stored table by table. A table that the innermost axis indexes (its main effect, and its pairs
// with the other axes) is statistic-major: cell g's statistic s at sums[O * CELL_SUMS + s * G + g] (G cells
// from cell offset O), minima and maxima at mins[O * NSEL + k * G + g], so the cells of consecutive scenarios
// along the innermost axis are contiguous and take vector updates. Every other table takes one update per
// block, of all its statistics in one cell: cell-major, sums[O * CELL_SUMS + g * CELL_SUMS + s], so an update
// touches a few cache lines, not one per statistic.
struct TableView {
    double* sums;
    double* lo;
    double* hi;
    long long G;
    long long stat, cell;    // strides of a statistic and of a cell in sums
    long long mstat, mcell;  // in lo and hi

    double& sum(int st, long long g) const { return sums[st * stat + g * cell]; }
    double& low(int k, long long g) const { return lo[k * mstat + g * mcell]; }
    double& high(int k, long long g) const { return hi[k * mstat + g * mcell]; }
};

inline TableView table_view(Accumulator& a, long long offset, long long G, bool stat_major) {
    return TableView{a.sums.data() + offset * CELL_SUMS, a.mins.data() + offset * NSEL, a.maxs.data() + offset * NSEL,
                     G, stat_major ? G : 1, stat_major ? 1 : CELL_SUMS, stat_major ? G : 1, stat_major ? 1 : NSEL};
}

// The whole block into one cell (every scenario of the block falls in it).
inline void add_block_to_cell(const TableView& t, long long g, const Block& b) {
    t.sum(0, g) += b.n;
    t.sum(1, g) += b.positive_margin;
    t.sum(2, g) += b.positive_npv;
    for (int k = 0; k < NSEL; ++k) {
        t.sum(3 + k, g) += b.sum[k];
        if (count_slot(k) >= 0) t.sum(3 + NSEL + count_slot(k), g) += b.defined[k];
        double& lo = t.low(k, g);
        double& hi = t.high(k, g);
        lo = b.lo[k] < lo ? b.lo[k] : lo;
        hi = b.hi[k] > hi ? b.hi[k] : hi;
    }
}

// Scenario i of the block into cell g.
inline void add_one_to_cell(const TableView& t, long long g, const Block& b, int i) {
    t.sum(0, g) += 1.0;
    if (MARGIN_COLUMN >= 0) t.sum(1, g) += b.x[MARGIN_COLUMN < 0 ? 0 : MARGIN_COLUMN][i] > 0.0 ? 1.0 : 0.0;
    if (NPV_COLUMN >= 0) t.sum(2, g) += b.x[NPV_COLUMN < 0 ? 0 : NPV_COLUMN][i] > 0.0 ? 1.0 : 0.0;
    for (int k = 0; k < NSEL; ++k) {
        double v = b.x[k][i];
        bool finite = is_finite(v);
        t.sum(3 + k, g) += (count_slot(k) < 0 || finite) ? v : 0.0;
        if (count_slot(k) >= 0) t.sum(3 + NSEL + count_slot(k), g) += finite ? 1.0 : 0.0;
        if (v == v) {
            double& lo = t.low(k, g);
            double& hi = t.high(k, g);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
}

// Scenarios 0 .. n - 1 of the block into the consecutive cells g0 .. g0 + n - 1: vector loops.
inline void add_run_to_cells(const TableView& t, long long g0, const Block& b) {
    const long long G = t.G;
    const int n = b.n;
    double* count = t.sums + g0;
#pragma omp simd
    for (int i = 0; i < n; ++i) count[i] += 1.0;
    if (MARGIN_COLUMN >= 0) {
        double* s = t.sums + G + g0;
        const double* x = b.x[MARGIN_COLUMN < 0 ? 0 : MARGIN_COLUMN];
#pragma omp simd
        for (int i = 0; i < n; ++i) s[i] += x[i] > 0.0 ? 1.0 : 0.0;
    }
    if (NPV_COLUMN >= 0) {
        double* s = t.sums + 2 * G + g0;
        const double* x = b.x[NPV_COLUMN < 0 ? 0 : NPV_COLUMN];
#pragma omp simd
        for (int i = 0; i < n; ++i) s[i] += x[i] > 0.0 ? 1.0 : 0.0;
    }
    for (int k = 0; k < NSEL; ++k) {
        const double* x = b.x[k];
        double* s = t.sums + (3 + k) * G + g0;
        double* lo = t.lo + k * G + g0;
        double* hi = t.hi + k * G + g0;
        if (count_slot(k) < 0) {  // always finite
#pragma omp simd
            for (int i = 0; i < n; ++i) {
                double v = x[i];
                s[i] += v;
                lo[i] = v < lo[i] ? v : lo[i];
                hi[i] = v > hi[i] ? v : hi[i];
            }
        } else {
            double* c = t.sums + (3 + NSEL + count_slot(k)) * G + g0;
#pragma omp simd
            for (int i = 0; i < n; ++i) {
                double v = x[i];
                bool finite = v - v == 0.0;
                s[i] += finite ? v : 0.0;
                c[i] += finite ? 1.0 : 0.0;
                lo[i] = (v == v && v < lo[i]) ? v : lo[i];
                hi[i] = (v == v && v > hi[i]) ? v : hi[i];
            }
        }
    }
}

// Main effects and 2-D tables of a block: dimensions constant within it (every cartesian axis but the
// innermost) take the block's aggregate once; the innermost axis takes vector updates of consecutive cells
// (one sample per cell), else, like sampled dimensions, scenario by scenario.
// Whether table t pairs the innermost axis with an axis outside the two innermost ones, or is the innermost
// axis's main effect: such tables take their updates through the RowAccumulator.
inline bool deferred(const TableLayout& lay, int t, int n_cart) {
    int inner = n_cart - 1;
    if (t < lay.n_marginal) return lay.marginal_dims[t] == inner;
    int k = t - lay.n_marginal;
    return lay.pair_b[k] == inner && lay.pair_a[k] < inner - 1;
}

// Whether table t is statistic-major: the innermost cartesian axis indexes it.
inline bool stat_major(const TableLayout& lay, int t, int n_cart) {
    int inner = n_cart - 1;
    return t < lay.n_marginal ? lay.marginal_dims[t] == inner : lay.pair_b[t - lay.n_marginal] == inner;
}

inline long long table_offset(const TableLayout& lay, int t) {
    return t < lay.n_marginal ? lay.marginal_offsets[t] : lay.pair_offsets[t - lay.n_marginal];
}

inline long long table_cells(const TableLayout& lay, int t) {
    int n = lay.n_marginal + lay.n_pairs;
    return (t + 1 < n ? table_offset(lay, t + 1) : lay.n_groups) - table_offset(lay, t);
}

// The cells of the innermost axis, summed over consecutive rows that share every cartesian coordinate
// outside the two innermost axes (a row group), then added once to each deferred table: the tables that pair
// the innermost axis with an outer axis, and its main effect, take one update per row group instead of one
// per scenario (pre-aggregation within the row group before scattering).
struct RowAccumulator {
    std::vector<double> sums, lo, hi;
    long long G = 0;
    bool used = false;

    void init(long long cells) {
        G = cells;
        sums.assign((size_t)(CELL_SUMS * cells), 0.0);
        lo.assign((size_t)(NSEL * cells), INF);
        hi.assign((size_t)(NSEL * cells), -INF);
        used = false;
    }
    TableView view() { return TableView{sums.data(), lo.data(), hi.data(), G, G, 1, G, 1}; }
};

inline void flush_rows(Accumulator& a, RowAccumulator& r, const TableLayout& lay, const long long* coords,
                       int n_cart) {
    if (!r.used) return;
    const long long G = r.G;
    for (int t = 0; t < lay.n_marginal + lay.n_pairs; ++t) {
        if (!deferred(lay, t, n_cart)) continue;
        TableView v = table_view(a, table_offset(lay, t), table_cells(lay, t), true);
        long long base = t < lay.n_marginal ? 0 : coords[lay.pair_a[t - lay.n_marginal]] * G;
        for (int st = 0; st < CELL_SUMS; ++st) {
            double* target = v.sums + st * v.G + base;
            const double* source = r.sums.data() + st * G;
#pragma omp simd
            for (long long g = 0; g < G; ++g) target[g] += source[g];
        }
        for (int k = 0; k < NSEL; ++k) {
            double* lo = v.lo + k * v.G + base;
            double* hi = v.hi + k * v.G + base;
            const double* rlo = r.lo.data() + k * G;
            const double* rhi = r.hi.data() + k * G;
#pragma omp simd
            for (long long g = 0; g < G; ++g) {
                lo[g] = rlo[g] < lo[g] ? rlo[g] : lo[g];
                hi[g] = rhi[g] > hi[g] ? rhi[g] : hi[g];
            }
        }
    }
    std::fill(r.sums.begin(), r.sums.end(), 0.0);
    std::fill(r.lo.begin(), r.lo.end(), INF);
    std::fill(r.hi.begin(), r.hi.end(), -INF);
    r.used = false;
}

inline void tables_of_block(Accumulator& a, const Block& b, const TableLayout& lay, const long long* coords,
                            const long long* sizes, int n_cart, int n_sampled, bool consecutive,
                            RowAccumulator& rows, bool any_deferred) {
    int inner = n_cart - 1;
    if (any_deferred) {
        TableView view = rows.view();
        if (consecutive) {
            add_run_to_cells(view, b.inner[0], b);
        } else {
            for (int i = 0; i < b.n; ++i) add_one_to_cell(view, b.inner[i], b, i);
        }
        rows.used = true;
    }
    for (int t = 0; t < lay.n_marginal + lay.n_pairs; ++t) {
        if (deferred(lay, t, n_cart)) continue;
        bool marginal = t < lay.n_marginal;
        long long offset = marginal ? lay.marginal_offsets[t] : lay.pair_offsets[t - lay.n_marginal];
        long long next = t + 1 < lay.n_marginal ? lay.marginal_offsets[t + 1]
                         : (t + 1 - lay.n_marginal < lay.n_pairs ? lay.pair_offsets[t + 1 - lay.n_marginal]
                                                                 : lay.n_groups);
        TableView view = table_view(a, offset, next - offset, stat_major(lay, t, n_cart));
        int d = marginal ? lay.marginal_dims[t] : lay.pair_b[t - lay.n_marginal];  // the faster-varying dim
        long long base = marginal ? 0 : coords[lay.pair_a[t - lay.n_marginal]] * sizes[d];
        if (d < inner) {
            add_block_to_cell(view, marginal ? coords[d] : base + coords[d], b);
        } else if (d == inner) {
            if (consecutive) {
                add_run_to_cells(view, base + b.inner[0], b);
            } else {
                for (int i = 0; i < b.n; ++i) add_one_to_cell(view, base + b.inner[i], b, i);
            }
        } else {
            int k = d - n_cart;
            for (int i = 0; i < b.n; ++i) add_one_to_cell(view, lay.deciles[b.rows[i] * n_sampled + k], b, i);
        }
    }
}

int thread_count(int requested) {
#ifdef _OPENMP
    return requested > 0 ? requested : omp_get_max_threads();
#else
    (void)requested;
    return 1;
#endif
}

// Threads to ask for: the requested number (0: all cores), no more than there are scenarios.
inline int threads_for(int requested, long long m) {
    int n = thread_count(requested);
    return (long long)n > m ? (int)(m > 0 ? m : 1) : n;
}

// This thread's place in the OpenMP team (0 of 1 without OpenMP).
inline void team_position(int& tid, int& team) {
#ifdef _OPENMP
    tid = omp_get_thread_num();
    team = omp_get_num_threads();
#else
    tid = 0;
    team = 1;
#endif
}

template <typename T>
bool fits(const Grid<T>& g, const GridSpec<T>& s) {
    return g.n_cohorts <= COHORT_CAPACITY && g.n_periods <= PERIOD_CAPACITY && s.n_cart <= NATIVE_MAX_CARTESIAN_AXES;
}

template <typename T>
int evaluate_impl(const Grid<T>& g, const GridSpec<T>& s, long long start, long long m, int threads, T* out) {
    if (!fits(g, s)) return 1;
    int n_threads = threads_for(threads, m);
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads)
#endif
    {
        int tid, team;
        team_position(tid, team);
        evaluate_run<T, NATIVE_MAX_CARTESIAN_AXES>(g, s, start, m * tid / team, m * (tid + 1) / team, out);
    }
    return 0;
}

// Up to LANES consecutive scenarios of a block, as the walker left them. Only the parameters that can differ
// between scenarios (`varying`: those a dimension binds, and those derived from them) are copied per scenario;
// the others keep the run's values from the first copy.
template <typename T>
struct Group {
    T params[LANES][COHORT_CAPACITY * N_PARAMS];
    T discount[LANES], tax[LANES];
    lanes_f64 lanes[COHORT_CAPACITY * N_PARAMS];
    int varying[COHORT_CAPACITY * N_PARAMS];
    int n_varying;
    int varying_keys[COHORT_CAPACITY * N_PATH_KEYS];  // the varying parameters that are path keys
    int n_varying_keys;

    void init(const GridSpec<T>& s, const Grid<T>& g, const T* params) {
        bool seen[COHORT_CAPACITY * N_PARAMS] = {};
        n_varying = 0;
        auto mark = [&](int i) { if (!seen[i]) { seen[i] = true; varying[n_varying++] = i; } };
        for (int d = 0; d < s.n_dims; ++d)
            for (int b = s.bind_offsets[d]; b < s.bind_offsets[d + 1]; ++b)
                if (s.bind_cohort[b] >= 0) mark(s.bind_cohort[b] * N_PARAMS + s.bind_param[b]);
        for (int c = 0; c < g.n_cohorts; ++c) {  // derived in walker_derive
            const T* base = s.base_params + c * N_PARAMS;
            if (base[IT_POWER_MW] == base[IT_POWER_MW]) mark(c * N_PARAMS + GPUS);
            if (base[PRICE_USD_PER_MILLION_TOKENS] == base[PRICE_USD_PER_MILLION_TOKENS])
                mark(c * N_PARAMS + PRICE_USD_PER_GPU_HOUR);
            if (!(base[NEXT_GENERATION_YEAR] == base[NEXT_GENERATION_YEAR])) mark(c * N_PARAMS + NEXT_GENERATION_YEAR);
        }
        n_varying_keys = 0;
        for (int v = 0; v < n_varying; ++v)
            for (int k = 0; k < N_PATH_KEYS; ++k)
                if (varying[v] % N_PARAMS == path_key(k)) varying_keys[n_varying_keys++] = varying[v];
        for (int l = 0; l < LANES; ++l)
            for (int i = 0; i < g.n_cohorts * N_PARAMS; ++i) this->params[l][i] = params[i];
        for (int i = 0; i < g.n_cohorts * N_PARAMS; ++i) lanes[i] = splat<lanes_f64>(double(params[i]));
    }

    void take(int l, const Walker<T, NATIVE_MAX_CARTESIAN_AXES>& w) {
        for (int v = 0; v < n_varying; ++v) params[l][varying[v]] = w.params[varying[v]];
        discount[l] = w.discount;
        tax[l] = w.tax;
    }
};

// Whether scenarios 0 .. n - 1 of the group share what evaluate_lanes takes as common: the discount rate and
// every cohort's path keys (dates, lives, capex, price path, escalation).
template <typename T>
bool shares_paths(const Group<T>& group, int n) {
    for (int l = 1; l < n; ++l) {
        if (!(group.discount[l] == group.discount[0])) return false;
        for (int v = 0; v < group.n_varying_keys; ++v) {
            T a = group.params[0][group.varying_keys[v]], b = group.params[l][group.varying_keys[v]];
            if (!(a == b || (a != a && b != b))) return false;
        }
    }
    return true;
}

// The selected metrics of the group's scenarios into the block's columns b.n .. b.n + n - 1.
template <typename T>
void evaluate_group(const Grid<T>& g, const int* methods, Group<T>& group, int n, RunCache& cache, Block& b) {
    if constexpr (std::is_same<T, double>::value) {
        if (n > 1 && shares_paths(group, n)) {
            lanes_f64 tax, out[N_METRICS];
            for (int v = 0; v < group.n_varying; ++v) {
                int i = group.varying[v];
                for (int l = 0; l < LANES; ++l) group.lanes[i][l] = group.params[l < n ? l : 0][i];
            }
            for (int l = 0; l < LANES; ++l) tax[l] = group.tax[l < n ? l : 0];
            evaluate_lanes<double, MASK, lanes_f64>(g, group.lanes, group.params[0], methods, group.discount[0], tax,
                                                    out, cache, n);
            for (int k = 0; k < NSEL; ++k) {  // whole vectors into the block's columns
                if (n == LANES) std::memcpy(&b.x[k][b.n], &out[selected_metric(k)], sizeof(lanes_f64));
                else for (int l = 0; l < n; ++l) b.x[k][b.n + l] = out[selected_metric(k)][l];
            }
            return;
        }
    }
    T values[N_METRICS];
    for (int l = 0; l < n; ++l) {
        evaluate_scenario<T, MASK>(g, group.params[l], methods, group.discount[l], group.tax[l], values, cache);
        for (int k = 0; k < NSEL; ++k) b.x[k][b.n + l] = (double)values[selected_metric(k)];
    }
}

template <typename T>
int reduce_impl(const Grid<T>& g, const GridSpec<T>& s, long long start, long long m, int threads,
                const TableLayout& lay, const SketchLayout& sk, double* count, double* mean, double* m2,
                double* minimum, long long* argmin, double* maximum, long long* argmax, long long* counts,
                long long* sketch, double* sums, double* mins, double* maxs) {
    if (!fits(g, s)) return 1;
    int n_threads = threads_for(threads, m);
    std::vector<Accumulator>& acc = pool();
    if ((int)acc.size() < n_threads) acc.resize((size_t)n_threads);
    int team_size = 1;  // OpenMP may grant fewer threads than asked (OMP_THREAD_LIMIT, OMP_DYNAMIC)
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads)
#endif
    {
        int tid, team;
        team_position(tid, team);
        if (tid == 0) team_size = team;
        Accumulator& a = acc[(size_t)tid];
        a.init(sk.n_buckets, lay.n_groups);
        long long first = m * tid / team, last = m * (tid + 1) / team;
        Walker<T, NATIVE_MAX_CARTESIAN_AXES> w;
        RunCache cache;
        init_cache(g, cache);
        Block b;
        Group<T> group;
        long long block_coords[NATIVE_MAX_CARTESIAN_AXES];
        int inner = s.n_cart - 1;
        bool any_deferred = false;
        for (int t = 0; TABLES && t < lay.n_marginal + lay.n_pairs; ++t) any_deferred |= deferred(lay, t, s.n_cart);
        thread_local RowAccumulator rows;
        if (any_deferred) rows.init(s.sizes[inner]);
        long long row = first;
        if (row < last) {
            walker_start(s, g, start + row, row, w);
            group.init(s, g, w.params);
        }
        while (row < last) {
            b.n = 0;
            b.first_index = start + row;
            for (int d = 0; d < s.n_cart; ++d) block_coords[d] = w.coords[d];
            bool outer_changed = false;
            int next_changed = s.n_cart;  // outermost axis that moves on the way to the next scenario
            while (row < last && b.n < BLOCK && !outer_changed) {
                // up to LANES scenarios of the block at a time: in SIMD lanes when they share their paths and
                // discount rate (as along a row whose innermost axis leaves them alone), else one by one
                int n = 0;
                while (row < last && n < LANES && b.n + n < BLOCK && !outer_changed) {
                    group.take(n, w);
                    b.inner[b.n + n] = inner >= 0 ? w.coords[inner] : 0;
                    b.rows[b.n + n] = row;
                    ++n;
                    ++row;
                    if (row < last) {
                        next_changed = walker_next(s, g, row, w);
                        outer_changed = next_changed < inner;
                    }
                }
                evaluate_group(g, s.methods, group, n, cache, b);
                b.n += n;
            }
            reduce_block(b, a, sk);
            if (TABLES) {
                bool consecutive = s.n_samples == 1 && b.inner[b.n - 1] - b.inner[0] == b.n - 1;
                tables_of_block(a, b, lay, block_coords, s.sizes, s.n_cart, s.n_sampled, consecutive, rows,
                                any_deferred);
                if (any_deferred && (row >= last || next_changed < inner - 1))
                    flush_rows(a, rows, lay, block_coords, s.n_cart);
            }
        }
    }
    for (int k = 1; k < team_size; ++k) acc[0].merge(acc[(size_t)k]);
    const Accumulator& r = acc[0];
    for (int k = 0; k < NSEL; ++k) {
        count[k] = r.count[k]; mean[k] = r.mean[k]; m2[k] = r.m2[k];
        minimum[k] = r.minimum[k]; argmin[k] = r.argmin[k];
        maximum[k] = r.maximum[k]; argmax[k] = r.argmax[k];
        counts[0 * NSEL + k] = r.negative[k];
        counts[1 * NSEL + k] = r.nan[k];
        counts[2 * NSEL + k] = r.posinf[k];
        counts[3 * NSEL + k] = r.neginf[k];
    }
    if (SKETCH) std::memcpy(sketch, r.sketch.data(), r.sketch.size() * sizeof(long long));
    if (TABLES) {
        std::memcpy(sums, r.sums.data(), r.sums.size() * sizeof(double));
        std::memcpy(mins, r.mins.data(), r.mins.size() * sizeof(double));
        std::memcpy(maxs, r.maxs.data(), r.maxs.size() * sizeof(double));
    }
    return 0;
}

}  // namespace

#define DCECON_EXPORT extern "C" __attribute__((visibility("default")))

#define DCECON_SPEC_ARGS(T)                                                                                      \
    const double *g_real, const int *g_int, const int *spec_int, const long long *sizes,                        \
        const long long *strides, const T *axis_values, const long long *value_offsets, const int *bind_offsets, \
        const int *bind_cohort, const int *bind_param, const T *sampled_values, long long n_samples,            \
        const T *base_params, const int *methods, double discount, double tax, long long start, long long m,    \
        int threads

#define DCECON_MAKE(T)                                                                                           \
    Grid<T> g = make_grid<T>(g_real, g_int);                                                                     \
    GridSpec<T> s = make_spec<T>(spec_int, sizes, strides, axis_values, value_offsets, bind_offsets, bind_cohort, \
                                 bind_param, sampled_values, n_samples, base_params, methods, discount, tax)

#define DCECON_ENTRY_POINTS(SUFFIX, T)                                                                          \
    DCECON_EXPORT int dcecon_evaluate_##SUFFIX(DCECON_SPEC_ARGS(T), T* out) {                                   \
        DCECON_MAKE(T);                                                                                          \
        return evaluate_impl<T>(g, s, start, m, threads, out);                                                  \
    }                                                                                                           \
    DCECON_EXPORT int dcecon_reduce_##SUFFIX(                                                                   \
        DCECON_SPEC_ARGS(T), const int* table_int, const int* marginal_dims, const long long* marginal_offsets, \
        const int* pair_a, const int* pair_b, const long long* pair_offsets, long long n_groups,               \
        const int* deciles, const long long* sketch_int, double* count, double* mean, double* m2,             \
        double* minimum, long long* argmin, double* maximum, long long* argmax, long long* counts,             \
        long long* sketch, double* sums, double* mins, double* maxs) {                                          \
        DCECON_MAKE(T);                                                                                          \
        TableLayout lay{table_int[0], marginal_dims, marginal_offsets, table_int[1], pair_a, pair_b,          \
                        pair_offsets, n_groups, deciles};                                                      \
        SketchLayout sk;                                                                                         \
        sk.sub_bits = (int)sketch_int[0]; sk.key_base = sketch_int[1]; sk.side = sketch_int[2];                 \
        sk.zero = sketch_int[3]; sk.n_buckets = sketch_int[4];                                                  \
        return reduce_impl<T>(g, s, start, m, threads, lay, sk, count, mean, m2, minimum, argmin, maximum,      \
                              argmax, counts, sketch, sums, mins, maxs);                                       \
    }

DCECON_ENTRY_POINTS(f64, double)
DCECON_ENTRY_POINTS(f32, float)

DCECON_EXPORT int dcecon_max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

// What this library was built for: limits of the contract and the specialisation.
DCECON_EXPORT int dcecon_limits(long long* out) {
    out[0] = COHORT_CAPACITY;
    out[1] = PERIOD_CAPACITY;
    out[2] = N_PARAMS;
    out[3] = N_METRICS;
    out[4] = MASK;
    out[5] = TABLES;
    out[6] = SKETCH;
    out[7] = CELL_SUMS;
    return 0;
}
