// dcecon CPU backend: the fused grid kernel compiled by the host C++ compiler
// (-O3, OpenMP when available) and called through ctypes
// (src/dcecon/backends/native.py).
//
// Entry points, for T = double (_f64) and float (_f32):
//   dcecon_evaluate_*: every metric of scenarios [start, start + m) -> out[m x 16]
//   dcecon_reduce_*:   the same scenarios reduced in place into the mergeable
//       reductions of dcecon.grid_engine.reduce.Partial (accumulated in double)
// Each thread reduces one contiguous block of scenarios and the blocks are
// merged in order (Chan et al. for the moments), so the result is the same
// for any schedule.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dcecon_grid.cuh"

using namespace dcecon;

namespace {

constexpr int M = N_METRICS;
constexpr int WIDTH = 2 * M + 2;  // sum group: sums, counts, positive margin, positive NPV

struct TableLayout {
    int n_marginal;
    const int* marginal_dims;           // cartesian index, or n_cart + k for sampled dimension k
    const long long* marginal_offsets;  // first group of each marginal table
    int n_pairs;
    const int* pair_a;
    const int* pair_b;
    const long long* pair_offsets;      // first group of each pair table
    long long n_groups;
    const int* deciles;                 // [m * n_sampled]
};

struct Accumulator {
    double count[M], mean[M], m2[M], minimum[M], maximum[M];
    long long argmin[M], argmax[M], negative[M];
    std::vector<long long> sketch;
    std::vector<double> sums, mins, maxs;

    void init(long long n_buckets, long long n_groups) {
        for (int i = 0; i < M; ++i) {
            count[i] = 0; mean[i] = 0; m2[i] = 0; negative[i] = 0;
            minimum[i] = std::numeric_limits<double>::infinity();
            maximum[i] = -std::numeric_limits<double>::infinity();
            argmin[i] = -1; argmax[i] = -1;
        }
        sketch.assign((size_t)M * (size_t)n_buckets, 0);
        sums.assign((size_t)n_groups * WIDTH, 0.0);
        mins.assign((size_t)n_groups * M, std::numeric_limits<double>::infinity());
        maxs.assign((size_t)n_groups * M, -std::numeric_limits<double>::infinity());
    }

    // The four per-metric views of one scenario that every table needs, computed once.
    struct Views {
        double sum[M], count[M], lo[M], hi[M], positive_margin, positive_npv;
    };

    static void views_of(const double* x, Views& v) {
        for (int i = 0; i < M; ++i) {
            double value = x[i];
            bool finite = std::isfinite(value);
            bool number = value == value;
            v.sum[i] = finite ? value : 0.0;
            v.count[i] = finite ? 1.0 : 0.0;
            v.lo[i] = number ? value : std::numeric_limits<double>::infinity();
            v.hi[i] = number ? value : -std::numeric_limits<double>::infinity();
        }
        v.positive_margin = x[GROSS_MARGIN] > 0.0 ? 1.0 : 0.0;
        v.positive_npv = x[NPV] > 0.0 ? 1.0 : 0.0;
    }

    void add_to_group(long long group, const Views& v) {
        double* s = sums.data() + group * WIDTH;
        double* lo = mins.data() + group * M;
        double* hi = maxs.data() + group * M;
        for (int i = 0; i < M; ++i) {
            s[i] += v.sum[i];
            s[M + i] += v.count[i];
            lo[i] = v.lo[i] < lo[i] ? v.lo[i] : lo[i];
            hi[i] = v.hi[i] > hi[i] ? v.hi[i] : hi[i];
        }
        s[2 * M] += v.positive_margin;
        s[2 * M + 1] += v.positive_npv;
    }

    void add(const SketchLayout& sk, const TableLayout& lay, const long long* sizes, const long long* coords,
             int n_cart, int n_sampled, long long row, long long index, const double* x) {
        for (int i = 0; i < M; ++i) {
            double v = x[i];
            if (v == v) {
                if (v < minimum[i] || argmin[i] < 0) { minimum[i] = v; argmin[i] = index; }
                if (v > maximum[i] || argmax[i] < 0) { maximum[i] = v; argmax[i] = index; }
                if (v < 0.0) negative[i] += 1;
                if (std::isfinite(v)) {
                    count[i] += 1.0;
                    double delta = v - mean[i];
                    mean[i] += delta / count[i];
                    m2[i] += delta * (v - mean[i]);
                }
            }
            long long b = sketch_bucket(sk, v);
            if (b >= 0) sketch[(size_t)i * sk.n_buckets + b] += 1;
        }
        if (lay.n_marginal == 0 && lay.n_pairs == 0) return;
        Views views;
        views_of(x, views);
        for (int t = 0; t < lay.n_marginal; ++t) {
            int d = lay.marginal_dims[t];
            long long group = d < n_cart ? coords[d] : (long long)lay.deciles[row * n_sampled + (d - n_cart)];
            add_to_group(lay.marginal_offsets[t] + group, views);
        }
        for (int t = 0; t < lay.n_pairs; ++t) {
            long long group = coords[lay.pair_a[t]] * sizes[lay.pair_b[t]] + coords[lay.pair_b[t]];
            add_to_group(lay.pair_offsets[t] + group, views);
        }
    }

    // Fold `later` (the next block of scenarios) into this one.
    void merge(const Accumulator& b) {
        for (int i = 0; i < M; ++i) {
            double n = count[i] + b.count[i];
            double safe = n > 0 ? n : 1.0;
            double delta = b.mean[i] - mean[i];
            double new_mean = n > 0 ? (count[i] * mean[i] + b.count[i] * b.mean[i]) / safe : 0.0;
            m2[i] = m2[i] + b.m2[i] + delta * delta * count[i] * b.count[i] / safe;
            mean[i] = new_mean;
            count[i] = n;
            negative[i] += b.negative[i];
            if ((b.argmin[i] >= 0 && b.minimum[i] < minimum[i]) || (argmin[i] < 0 && b.argmin[i] >= 0)) {
                minimum[i] = b.minimum[i]; argmin[i] = b.argmin[i];
            }
            if ((b.argmax[i] >= 0 && b.maximum[i] > maximum[i]) || (argmax[i] < 0 && b.argmax[i] >= 0)) {
                maximum[i] = b.maximum[i]; argmax[i] = b.argmax[i];
            }
        }
        for (size_t k = 0; k < sketch.size(); ++k) sketch[k] += b.sketch[k];
        for (size_t k = 0; k < sums.size(); ++k) sums[k] += b.sums[k];
        for (size_t k = 0; k < mins.size(); ++k) mins[k] = b.mins[k] < mins[k] ? b.mins[k] : mins[k];
        for (size_t k = 0; k < maxs.size(); ++k) maxs[k] = b.maxs[k] > maxs[k] ? b.maxs[k] : maxs[k];
    }
};

int thread_count(int requested) {
#ifdef _OPENMP
    return requested > 0 ? requested : omp_get_max_threads();
#else
    (void)requested;
    return 1;
#endif
}

template <typename T>
int evaluate_impl(const double* g_real, const int* g_int, const int* spec_int, const long long* sizes,
                  const long long* strides, const T* axis_values, const long long* value_offsets,
                  const int* bind_offsets, const int* bind_cohort, const int* bind_param, const T* sampled_values,
                  long long n_samples, const T* base_params, const int* methods, T discount, T tax,
                  long long start, long long m, int threads, T* out) {
    Grid<T> g = make_grid<T>(g_real, g_int);
    if (g.n_cohorts > DCECON_MAX_COHORTS || g.n_periods > DCECON_MAX_PERIODS) return 1;
    GridSpec<T> s = make_spec<T>(spec_int, sizes, strides, axis_values, value_offsets, bind_offsets, bind_cohort,
                                 bind_param, sampled_values, n_samples, base_params, methods, discount, tax);
    int n_threads = thread_count(threads);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(n_threads)
#endif
    for (long long row = 0; row < m; ++row) {
        long long coords[64];
        scenario_metrics(s, g, start + row, row, coords, out + row * M);
    }
    (void)n_threads;
    return 0;
}

template <typename T>
int reduce_impl(const double* g_real, const int* g_int, const int* spec_int, const long long* sizes,
                const long long* strides, const T* axis_values, const long long* value_offsets,
                const int* bind_offsets, const int* bind_cohort, const int* bind_param, const T* sampled_values,
                long long n_samples, const T* base_params, const int* methods, T discount, T tax,
                long long start, long long m, int threads, const int* table_int, const int* marginal_dims,
                const long long* marginal_offsets, const int* pair_a, const int* pair_b,
                const long long* pair_offsets, long long n_groups, const int* deciles, const long long* sketch_int,
                double* count, double* mean, double* m2, double* minimum, long long* argmin, double* maximum,
                long long* argmax, long long* negative, long long* sketch, double* sums, double* mins,
                double* maxs) {
    Grid<T> g = make_grid<T>(g_real, g_int);
    if (g.n_cohorts > DCECON_MAX_COHORTS || g.n_periods > DCECON_MAX_PERIODS) return 1;
    GridSpec<T> s = make_spec<T>(spec_int, sizes, strides, axis_values, value_offsets, bind_offsets, bind_cohort,
                                 bind_param, sampled_values, n_samples, base_params, methods, discount, tax);
    if (s.n_cart > 64) return 2;
    TableLayout lay;
    lay.n_marginal = table_int[0];
    lay.n_pairs = table_int[1];
    lay.marginal_dims = marginal_dims; lay.marginal_offsets = marginal_offsets;
    lay.pair_a = pair_a; lay.pair_b = pair_b; lay.pair_offsets = pair_offsets;
    lay.n_groups = n_groups; lay.deciles = deciles;
    SketchLayout sk;
    sk.sub_bits = (int)sketch_int[0]; sk.key_base = sketch_int[1]; sk.side = sketch_int[2];
    sk.zero = sketch_int[3]; sk.n_buckets = sketch_int[4];

    int n_threads = thread_count(threads);
    if ((long long)n_threads > m) n_threads = (int)(m > 0 ? m : 1);
    std::vector<Accumulator> acc((size_t)n_threads);
    int team_size = 1;  // OpenMP may grant fewer threads than asked (OMP_THREAD_LIMIT, OMP_DYNAMIC)
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads)
#endif
    {
#ifdef _OPENMP
        int tid = omp_get_thread_num();
        int team = omp_get_num_threads();
#else
        int tid = 0;
        int team = 1;
#endif
        if (tid == 0) team_size = team;
        Accumulator& a = acc[(size_t)tid];
        a.init(sk.n_buckets, n_groups);
        long long first = m * tid / team, last = m * (tid + 1) / team;
        long long coords[64];
        T values[M];
        double x[M];
        for (long long row = first; row < last; ++row) {
            scenario_metrics(s, g, start + row, row, coords, values);
            for (int i = 0; i < M; ++i) x[i] = (double)values[i];
            a.add(sk, lay, s.sizes, coords, s.n_cart, s.n_sampled, row, start + row, x);
        }
    }
    for (int k = 1; k < team_size; ++k) acc[0].merge(acc[(size_t)k]);
    const Accumulator& r = acc[0];
    for (int i = 0; i < M; ++i) {
        count[i] = r.count[i]; mean[i] = r.mean[i]; m2[i] = r.m2[i];
        minimum[i] = r.minimum[i]; argmin[i] = r.argmin[i];
        maximum[i] = r.maximum[i]; argmax[i] = r.argmax[i];
        negative[i] = r.negative[i];
    }
    std::memcpy(sketch, r.sketch.data(), r.sketch.size() * sizeof(long long));
    std::memcpy(sums, r.sums.data(), r.sums.size() * sizeof(double));
    std::memcpy(mins, r.mins.data(), r.mins.size() * sizeof(double));
    std::memcpy(maxs, r.maxs.data(), r.maxs.size() * sizeof(double));
    return 0;
}

}  // namespace

#define DCECON_EXPORT extern "C" __attribute__((visibility("default")))

#define DCECON_ENTRY_POINTS(SUFFIX, T)                                                                          \
    DCECON_EXPORT int dcecon_evaluate_##SUFFIX(                                                                 \
        const double* g_real, const int* g_int, const int* spec_int, const long long* sizes,                   \
        const long long* strides, const T* axis_values, const long long* value_offsets, const int* bind_offsets, \
        const int* bind_cohort, const int* bind_param, const T* sampled_values, long long n_samples,            \
        const T* base_params, const int* methods, double discount, double tax, long long start, long long m,   \
        int threads, T* out) {                                                                                  \
        return evaluate_impl<T>(g_real, g_int, spec_int, sizes, strides, axis_values, value_offsets,           \
                                bind_offsets, bind_cohort, bind_param, sampled_values, n_samples, base_params,  \
                                methods, T(discount), T(tax), start, m, threads, out);                          \
    }                                                                                                           \
    DCECON_EXPORT int dcecon_reduce_##SUFFIX(                                                                   \
        const double* g_real, const int* g_int, const int* spec_int, const long long* sizes,                   \
        const long long* strides, const T* axis_values, const long long* value_offsets, const int* bind_offsets, \
        const int* bind_cohort, const int* bind_param, const T* sampled_values, long long n_samples,            \
        const T* base_params, const int* methods, double discount, double tax, long long start, long long m,   \
        int threads, const int* table_int, const int* marginal_dims, const long long* marginal_offsets,        \
        const int* pair_a, const int* pair_b, const long long* pair_offsets, long long n_groups,               \
        const int* deciles, const long long* sketch_int, double* count, double* mean, double* m2,             \
        double* minimum, long long* argmin, double* maximum, long long* argmax, long long* negative,           \
        long long* sketch, double* sums, double* mins, double* maxs) {                                          \
        return reduce_impl<T>(g_real, g_int, spec_int, sizes, strides, axis_values, value_offsets,             \
                              bind_offsets, bind_cohort, bind_param, sampled_values, n_samples, base_params,    \
                              methods, T(discount), T(tax), start, m, threads, table_int, marginal_dims,        \
                              marginal_offsets, pair_a, pair_b, pair_offsets, n_groups, deciles, sketch_int,    \
                              count, mean, m2, minimum, argmin, maximum, argmax, negative, sketch, sums, mins,  \
                              maxs);                                                                            \
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

DCECON_EXPORT int dcecon_limits(int* out) {
    out[0] = DCECON_MAX_COHORTS;
    out[1] = DCECON_MAX_PERIODS;
    out[2] = N_PARAMS;
    out[3] = N_METRICS;
    return 0;
}
