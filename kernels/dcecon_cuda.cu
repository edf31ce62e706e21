// dcecon GPU backend: the fused grid kernels, built by CuPy (NVRTC) as a
// RawModule (src/dcecon/backends/cuda.py) and compile-checked with nvcc in
// tests/test_kernel_build.py (PTX, and ptxas's register and spill report).
//
// One module per specialisation, as the native library: DCECON_OUTPUTS (bit
// k: Metric k of the generated contract), DCECON_TABLES (main effects and 2-D
// tables), DCECON_SKETCH (quantile sketches), DCECON_AXES (cartesian axes of
// the run), DCECON_PERIOD_CAPACITY / DCECON_COHORT_CAPACITY (the run's size),
// DCECON_BLOCK (threads per block), DCECON_MIN_BLOCKS (blocks per SM the
// register budget must allow) and the sketch layout (DCECON_SKETCH_*) are
// compile-time constants.
//
// Kernels (T = double or float; cuda.py names the one it needs, nvcc builds both):
//   dcecon_evaluate<T>:  the selected metrics of scenarios [start, start + m) -> out[m x n_selected]
//   dcecon_reduce<T>:    the same scenarios reduced on the device: one Moments per block and selected
//       metric, the sketch counts and the table cells (the buffers of dcecon_native.cpp)
//   dcecon_merge_blocks: the block partials folded, in block order, into one Moments per selected metric
//
// Each thread walks one contiguous run of scenarios row-wise (one division of
// the flat index per run, then odometer steps; thread t's run precedes thread
// t + 1's). Moments, extremes and sign counts are accumulated per thread as
// sums of deviations from the run's first finite value (no division per
// scenario), in shared memory when the kernel has few metrics (the lean
// kernels: the registers stay with the model) and in the thread's local memory
// otherwise; then merged across the warp with shuffles and across the block's
// warps in warp order (Chan et al., fixed trees), and one partial per block
// goes to global memory: no atomics for the moments, and the result depends
// only on m and the launch shape, never on scheduling. Argmin/argmax are the
// lowest index attaining the extreme.
//
// Quantile sketches (23,299 buckets per metric: too many for shared memory)
// take integer atomics in global memory, but only when a thread's bucket
// changes: consecutive scenarios step the innermost axis, so a run of equal
// buckets is counted in the thread and added with one atomic (exact and
// order-free). Tables (in the layout of the native kernel): the cells of
// dimensions constant along a thread's segment (every cartesian axis but the
// innermost) are pre-aggregated in the thread and updated once per segment;
// the innermost axis and sampled dimensions take one update per scenario.
// Cell sums are double atomics (equal to rounding whatever the order; their
// counts are integers in double, exact), minima and maxima one integer atomic
// on the IEEE-754 bits.
#include "dcecon_specialisation.cuh"

using namespace dcecon;
using namespace dcecon::specialisation;

#ifndef DCECON_BLOCK
#define DCECON_BLOCK 128
#endif
#ifndef DCECON_MIN_BLOCKS
#define DCECON_MIN_BLOCKS 1
#endif
#ifndef DCECON_AXES
#define DCECON_AXES CUDA_MAX_CARTESIAN_AXES
#endif

namespace {

constexpr int BLOCK = DCECON_BLOCK;
constexpr int WARPS = BLOCK / 32;
constexpr int AXES = DCECON_AXES > 0 ? DCECON_AXES : 1;

static_assert(BLOCK % 32 == 0 && BLOCK >= 32 && BLOCK <= 1024, "DCECON_BLOCK: a multiple of 32, at most 1024");
static_assert(DCECON_AXES <= CUDA_MAX_CARTESIAN_AXES, "DCECON_AXES above the contract's CUDA_MAX_CARTESIAN_AXES");


#ifndef DCECON_SHARED_STATE
#define DCECON_SHARED_STATE (NSEL <= 4)
#endif
// where a thread keeps its reductions during its run: shared memory (a few metrics), else local memory
constexpr bool SHARED_STATE = DCECON_SHARED_STATE;

template <bool C, typename A, typename B> struct pick { using type = A; };  // std::conditional (NVRTC: no std)
template <typename A, typename B> struct pick<false, A, B> { using type = B; };

__device__ DCECON_INLINE double positive_infinity() { return __longlong_as_double(0x7FF0000000000000LL); }

__device__ DCECON_INLINE bool is_finite(double x) { return x - x == 0.0; }

// The scenarios [first, last) of this thread: consecutive, in thread order, balanced to within one.
__device__ DCECON_INLINE void thread_run(long long m, long long& first, long long& last) {
    long long threads = (long long)gridDim.x * blockDim.x;
    long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    first = m * tid / threads;
    last = m * (tid + 1) / threads;
}

}  // namespace

#define DCECON_KERNEL_ARGS(T)                                                                                    \
    const double *g_real, const int *g_int, const int *spec_int, const long long *sizes,                        \
        const long long *strides, const T *axis_values, const long long *value_offsets, const int *bind_offsets, \
        const int *bind_cohort, const int *bind_param, const T *sampled_values, long long n_samples,            \
        const T *base_params, const int *methods, double discount, double tax, long long start, long long m

#define DCECON_MAKE(T)                                                                                           \
    Grid<T> g = make_grid<T>(g_real, g_int);                                                                     \
    GridSpec<T> s = make_spec<T>(spec_int, sizes, strides, axis_values, value_offsets, bind_offsets, bind_cohort, \
                                 bind_param, sampled_values, n_samples, base_params, methods, discount, tax)

template <typename T>
__global__ void __launch_bounds__(DCECON_BLOCK)
dcecon_evaluate(DCECON_KERNEL_ARGS(T), T* out) {
    long long first, last;
    thread_run(m, first, last);
    if (first >= last) return;
    DCECON_MAKE(T);
    evaluate_run<T, AXES>(g, s, start, first, last, out);
}

// One metric's partial of a block (and of a chunk after dcecon_merge_blocks); cuda.MOMENTS_DTYPE mirrors it.
struct Moments {
    double count, mean, m2, minimum, maximum;
    long long argmin, argmax, negative, nan, posinf, neginf;
};

// Fold b into a (Chan et al.); the extremes keep the lowest index among equal values, so the fold order
// changes nothing but the rounding of mean and m2 (and that is fixed by the trees).
__device__ DCECON_INLINE void merge_moments(Moments& a, const Moments& b) {
    double n = a.count + b.count;
    double safe = n > 0 ? n : 1.0;
    double delta = b.mean - a.mean;
    double mean = n > 0 ? (a.count * a.mean + b.count * b.mean) / safe : 0.0;
    a.m2 = a.m2 + b.m2 + delta * delta * a.count * b.count / safe;
    a.mean = mean;
    a.count = n;
    a.negative += b.negative;
    a.nan += b.nan;
    a.posinf += b.posinf;
    a.neginf += b.neginf;
    bool take_min = b.argmin >= 0 && (a.argmin < 0 || b.minimum < a.minimum ||
                                      (b.minimum == a.minimum && b.argmin < a.argmin));
    bool take_max = b.argmax >= 0 && (a.argmax < 0 || b.maximum > a.maximum ||
                                      (b.maximum == a.maximum && b.argmax < a.argmax));
    if (take_min) { a.minimum = b.minimum; a.argmin = b.argmin; }
    if (take_max) { a.maximum = b.maximum; a.argmax = b.argmax; }
}

__device__ DCECON_INLINE void empty_moments(Moments& a) {
    a.count = 0; a.mean = 0; a.m2 = 0;
    a.minimum = positive_infinity(); a.maximum = -positive_infinity();
    a.argmin = -1; a.argmax = -1;
    a.negative = 0; a.nan = 0; a.posinf = 0; a.neginf = 0;
}

__device__ DCECON_INLINE Moments shuffle_down(const Moments& a, int offset) {
    const unsigned all = 0xFFFFFFFFu;
    Moments b;
    b.count = __shfl_down_sync(all, a.count, offset);
    b.mean = __shfl_down_sync(all, a.mean, offset);
    b.m2 = __shfl_down_sync(all, a.m2, offset);
    b.minimum = __shfl_down_sync(all, a.minimum, offset);
    b.maximum = __shfl_down_sync(all, a.maximum, offset);
    b.argmin = __shfl_down_sync(all, a.argmin, offset);
    b.argmax = __shfl_down_sync(all, a.argmax, offset);
    b.negative = __shfl_down_sync(all, a.negative, offset);
    b.nan = __shfl_down_sync(all, a.nan, offset);
    b.posinf = __shfl_down_sync(all, a.posinf, offset);
    b.neginf = __shfl_down_sync(all, a.neginf, offset);
    return b;
}

// Lane 0 receives the fold of the warp's 32 partials (a fixed tree; all 32 lanes must call it).
__device__ DCECON_INLINE void warp_fold(Moments& a) {
    int lane = threadIdx.x & 31;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        Moments b = shuffle_down(a, offset);
        if (lane + offset < 32) merge_moments(a, b);
    }
}

// What a thread accumulates for one metric over its run: sums of deviations from the run's first finite
// value (shift), extremes with the first index attaining them, sign and special-value counts (NaN: the rest).
struct Running {
    double shift, s1, s2, lo, hi;
    long long arglo, arghi;
    unsigned finite, negative, posinf, neginf;
};

// R: Running, or `volatile Running` (shared or local memory that the compiler must not keep in registers).
template <typename R>
__device__ DCECON_INLINE void running_init(R& r) {
    r.shift = 0.0; r.s1 = 0.0; r.s2 = 0.0;
    r.lo = positive_infinity(); r.hi = -positive_infinity();
    r.arglo = -1; r.arghi = -1;
    r.finite = 0; r.negative = 0; r.posinf = 0; r.neginf = 0;
}

template <typename R>
__device__ DCECON_INLINE void running_add(R& r, double x, long long index) {
    bool number = x == x;
    bool finite = is_finite(x);
    if (finite) {
        unsigned n = r.finite;
        double shift = n == 0 ? x : r.shift;
        double d = x - shift;
        r.shift = shift;
        r.s1 = r.s1 + d;
        r.s2 = r.s2 + d * d;
        r.finite = n + 1;
    }
    if (x < 0.0) r.negative = r.negative + 1;
    if (number && !finite) {
        if (x > 0.0) r.posinf = r.posinf + 1; else r.neginf = r.neginf + 1;
    }
    // scenarios arrive in index order: a strict comparison keeps the first index attaining the extreme
    if (number && (x < r.lo || r.arglo < 0)) { r.lo = x; r.arglo = index; }
    if (number && (x > r.hi || r.arghi < 0)) { r.hi = x; r.arghi = index; }
}

template <typename R>
__device__ DCECON_INLINE Moments running_moments(R& r, long long rows) {
    Moments a;
    unsigned finite = r.finite;
    double n = double(finite);
    double safe = n > 0 ? n : 1.0;
    double s1 = r.s1;
    a.count = n;
    a.mean = n > 0 ? r.shift + s1 / safe : 0.0;
    double m2 = r.s2 - s1 * (s1 / safe);
    a.m2 = m2 > 0.0 ? m2 : 0.0;
    a.minimum = r.lo; a.argmin = r.arglo;
    a.maximum = r.hi; a.argmax = r.arghi;
    a.negative = r.negative;
    a.posinf = r.posinf;
    a.neginf = r.neginf;
    a.nan = rows - (long long)finite - a.posinf - a.neginf;
    return a;
}

// Table minima and maxima: one integer atomic on the bits (a non-negative double orders as a signed integer,
// a negative one in reverse as an unsigned integer), after a plain read that skips most of them (a stale read
// only ever shows an older, weaker extreme, so nothing is skipped wrongly).
__device__ DCECON_INLINE void atomic_min_double(double* address, double v) {
    if (!(v < *address)) return;
    long long bits = __double_as_longlong(v);
    if (bits >= 0) atomicMin((long long*)address, bits);
    else atomicMax((unsigned long long*)address, (unsigned long long)bits);
}

__device__ DCECON_INLINE void atomic_max_double(double* address, double v) {
    if (!(v > *address)) return;
    long long bits = __double_as_longlong(v);
    if (bits >= 0) atomicMax((long long*)address, bits);
    else atomicMin((unsigned long long*)address, (unsigned long long)bits);
}

namespace {

// Tables are stored table by table (dcecon_native.cpp, kernels.partial_from_buffers), a table of G cells from
// cell offset O at sums + O * CELL_SUMS, mins + O * NSEL and maxs + O * NSEL: statistic-major when the innermost
// axis indexes it (its main effect and its pairs: statistic st of cell g at [st * G + g], metric k's extremes at
// [k * G + g]), cell-major otherwise ([g * CELL_SUMS + st], [g * NSEL + k]).
struct TableView {
    double* sums;
    double* lo;
    double* hi;
    long long stat, cell;    // strides of a statistic and of a cell in sums
    long long mstat, mcell;  // in lo and hi

    __device__ DCECON_INLINE double* sum(int st, long long g) const { return sums + st * stat + g * cell; }
    __device__ DCECON_INLINE double* low(int k, long long g) const { return lo + k * mstat + g * mcell; }
    __device__ DCECON_INLINE double* high(int k, long long g) const { return hi + k * mstat + g * mcell; }
};

struct Tables : TableLayout {  // the layout (dcecon_specialisation.cuh) and the device buffers
    double* sums;
    double* mins;
    double* maxs;
    int inner;                          // the innermost cartesian axis (n_cart - 1)

    __device__ DCECON_INLINE int count() const { return n_marginal + n_pairs; }
    __device__ DCECON_INLINE long long offset(int t) const {
        return t < n_marginal ? marginal_offsets[t] : pair_offsets[t - n_marginal];
    }
    __device__ DCECON_INLINE TableView view(int t) const {
        long long o = offset(t);
        long long G = (t + 1 < count() ? offset(t + 1) : n_groups) - o;
        bool stat_major = fast_dim(t) == inner;
        return TableView{sums + o * CELL_SUMS, mins + o * NSEL, maxs + o * NSEL, stat_major ? G : 1,
                         stat_major ? 1 : CELL_SUMS, stat_major ? G : 1, stat_major ? 1 : NSEL};
    }
    // the faster-varying dimension of table t (its cell moves along it first)
    __device__ DCECON_INLINE int fast_dim(int t) const {
        return t < n_marginal ? marginal_dims[t] : pair_b[t - n_marginal];
    }
    // cell of table t for the cartesian coordinates `coords` (and chunk row `row` for a sampled dimension)
    __device__ DCECON_INLINE long long cell(int t, const long long* coords, const long long* sizes, int n_cart,
                                            int n_sampled, long long row) const {
        if (t < n_marginal) {
            int d = marginal_dims[t];
            return d < n_cart ? coords[d] : (long long)deciles[row * n_sampled + (d - n_cart)];
        }
        int a = pair_a[t - n_marginal], b = pair_b[t - n_marginal];
        return coords[a] * sizes[b] + coords[b];
    }
};

// A thread's pre-aggregate of consecutive scenarios that fall in the same cell of the outer tables.
struct Segment {
    double n, positive_margin, positive_npv;
    double sum[NSEL], defined[NSEL], lo[NSEL], hi[NSEL];
};

template <typename S>
__device__ DCECON_INLINE void segment_clear(S& b) {
    b.n = 0; b.positive_margin = 0; b.positive_npv = 0;
#pragma unroll
    for (int k = 0; k < NSEL; ++k) {
        b.sum[k] = 0; b.defined[k] = 0;
        b.lo[k] = positive_infinity(); b.hi[k] = -positive_infinity();
    }
}

template <typename S>
__device__ DCECON_INLINE void segment_add(S& b, const double* x) {
    b.n = b.n + 1.0;
    if (MARGIN_COLUMN >= 0 && x[MARGIN_COLUMN < 0 ? 0 : MARGIN_COLUMN] > 0.0)
        b.positive_margin = b.positive_margin + 1.0;
    if (NPV_COLUMN >= 0 && x[NPV_COLUMN < 0 ? 0 : NPV_COLUMN] > 0.0) b.positive_npv = b.positive_npv + 1.0;
#pragma unroll
    for (int k = 0; k < NSEL; ++k) {
        double v = x[k];
        if (is_finite(v)) {
            b.sum[k] = b.sum[k] + v;
            b.defined[k] = b.defined[k] + 1.0;
        }
        if (v < b.lo[k]) b.lo[k] = v;  // NaN compares false: numbers only
        if (v > b.hi[k]) b.hi[k] = v;
    }
}

// The segment into cell g (dcecon_native.cpp's add_block_to_cell).
template <typename S>
__device__ DCECON_INLINE void add_segment_to_cell(const TableView& t, long long g, S& b) {
    atomicAdd(t.sum(0, g), (double)b.n);
    double pm = b.positive_margin, pn = b.positive_npv;
    if (pm != 0.0) atomicAdd(t.sum(1, g), pm);
    if (pn != 0.0) atomicAdd(t.sum(2, g), pn);
#pragma unroll
    for (int k = 0; k < NSEL; ++k) {
        double sum = b.sum[k], defined = b.defined[k];
        if (sum != 0.0) atomicAdd(t.sum(3 + k, g), sum);
        if (count_slot(k) >= 0 && defined != 0.0) atomicAdd(t.sum(3 + NSEL + count_slot(k), g), defined);
        atomic_min_double(t.low(k, g), (double)b.lo[k]);
        atomic_max_double(t.high(k, g), (double)b.hi[k]);
    }
}

// One scenario into cell g (dcecon_native.cpp's add_one_to_cell).
__device__ DCECON_INLINE void add_one_to_cell(const TableView& t, long long g, const double* x) {
    atomicAdd(t.sum(0, g), 1.0);
    if (MARGIN_COLUMN >= 0 && x[MARGIN_COLUMN < 0 ? 0 : MARGIN_COLUMN] > 0.0) atomicAdd(t.sum(1, g), 1.0);
    if (NPV_COLUMN >= 0 && x[NPV_COLUMN < 0 ? 0 : NPV_COLUMN] > 0.0) atomicAdd(t.sum(2, g), 1.0);
#pragma unroll
    for (int k = 0; k < NSEL; ++k) {
        double v = x[k];
        bool finite = is_finite(v);
        double add = (count_slot(k) < 0 || finite) ? v : 0.0;  // an always-finite metric is summed as it is
        if (add != 0.0) atomicAdd(t.sum(3 + k, g), add);
        if (count_slot(k) >= 0 && finite) atomicAdd(t.sum(3 + NSEL + count_slot(k), g), 1.0);
        atomic_min_double(t.low(k, g), v);  // NaN compares false: numbers only
        atomic_max_double(t.high(k, g), v);
    }
}

}  // namespace

template <typename T>
__global__ void __launch_bounds__(DCECON_BLOCK, DCECON_MIN_BLOCKS)
dcecon_reduce(DCECON_KERNEL_ARGS(T), const int* table_int, const int* marginal_dims,
              const long long* marginal_offsets, const int* pair_a, const int* pair_b,
              const long long* pair_offsets, long long n_groups, const int* deciles, const long long* sketch_int,
              Moments* block_partials, unsigned long long* sketch, double* sums, double* mins, double* maxs) {
    __shared__ Moments warp_partials[WARPS][NSEL];
    long long first, last;
    thread_run(m, first, last);
    DCECON_MAKE(T);
#ifdef DCECON_SKETCH_BUCKETS
    // the layout as compile-time constants (cuda.py passes dcecon.grid_engine.sketch's; sketch_int is the same)
    const SketchLayout sk{DCECON_SKETCH_SUB_BITS, DCECON_SKETCH_KEY_BASE, DCECON_SKETCH_SIDE, DCECON_SKETCH_ZERO,
                          DCECON_SKETCH_BUCKETS};
#else
    SketchLayout sk;
    sk.sub_bits = (int)sketch_int[0]; sk.key_base = sketch_int[1]; sk.side = sketch_int[2];
    sk.zero = sketch_int[3]; sk.n_buckets = sketch_int[4];
#endif
    int inner = s.n_cart - 1;
    Tables tab{{table_int[0], marginal_dims, marginal_offsets, table_int[1], pair_a, pair_b, pair_offsets,
                n_groups, deciles}, sums, mins, maxs, inner};

    // The thread's reductions, volatile so that the compiler keeps them in memory and the registers for the
    // model: in shared memory when they are few (the lean kernels), else in the thread's local memory.
    constexpr int SH = SHARED_STATE ? NSEL : 1, SH_BLOCK = SHARED_STATE ? BLOCK : 1;
    constexpr int LO = SHARED_STATE ? 1 : NSEL;
    __shared__ Running shared_acc[SH][SH_BLOCK];
    __shared__ int shared_bucket[SH][SH_BLOCK];
    __shared__ unsigned shared_count[SH][SH_BLOCK];
    volatile Running local_acc[LO];
    volatile int local_bucket[LO];
    volatile unsigned local_count[LO];
    auto acc = [&](int k) -> volatile Running& {
        if constexpr (SHARED_STATE) return shared_acc[k][threadIdx.x]; else return local_acc[k];
    };
    auto run_bucket = [&](int k) -> volatile int& {
        if constexpr (SHARED_STATE) return shared_bucket[k][threadIdx.x]; else return local_bucket[k];
    };
    auto run_count = [&](int k) -> volatile unsigned& {
        if constexpr (SHARED_STATE) return shared_count[k][threadIdx.x]; else return local_count[k];
    };
#pragma unroll
    for (int k = 0; k < NSEL; ++k) {
        running_init(acc(k));
        run_bucket(k) = -1;
        run_count(k) = 0;
    }
    using SegmentState = typename pick<TABLES, volatile Segment, Segment>::type;
    SegmentState segment;
    if (TABLES) segment_clear(segment);

    if (first < last) {
        Walker<T, AXES> w;
        RunCache cache;
        init_cache(g, cache);
        T values[N_METRICS];
        double x[NSEL];
        walker_start(s, g, start + first, first, w);
        for (long long row = first; row < last; ++row) {
            evaluate_scenario<T, MASK>(g, w.params, s.methods, w.discount, w.tax, values, cache);
            long long index = start + row;
#pragma unroll
            for (int k = 0; k < NSEL; ++k) {
                x[k] = (double)values[selected_metric(k)];
                running_add(acc(k), x[k], index);
                if (SKETCH) {
                    int b = (int)sketch_bucket(sk, x[k]);
                    int bucket = run_bucket(k);
                    if (b != bucket) {
                        if (bucket >= 0)
                            atomicAdd(sketch + (long long)k * sk.n_buckets + bucket, (unsigned long long)run_count(k));
                        run_bucket(k) = b;
                        run_count(k) = 1;
                    } else {
                        run_count(k) = run_count(k) + 1;
                    }
                }
            }
            if (TABLES) {
                segment_add(segment, x);
                // tables along the innermost axis or a sampled dimension: one update per scenario
                for (int t = 0; t < tab.count(); ++t) {
                    if (tab.fast_dim(t) < inner) continue;
                    add_one_to_cell(tab.view(t), tab.cell(t, w.coords, s.sizes, s.n_cart, s.n_sampled, row), x);
                }
                // the next scenario leaves the segment when the samples and the innermost axis both wrap
                bool segment_ends = row + 1 == last || (w.sample + 1 == s.n_samples &&
                                                        (inner < 0 || w.coords[inner] + 1 == s.sizes[inner]));
                if (segment_ends) {
                    for (int t = 0; t < tab.count(); ++t) {
                        if (tab.fast_dim(t) >= inner) continue;
                        add_segment_to_cell(tab.view(t), tab.cell(t, w.coords, s.sizes, s.n_cart, s.n_sampled, row),
                                            segment);
                    }
                    segment_clear(segment);
                }
            }
            if (row + 1 < last) walker_next(s, g, row + 1, w);
        }
    }
    if (SKETCH) {
#pragma unroll
        for (int k = 0; k < NSEL; ++k) {
            int bucket = run_bucket(k);
            if (bucket >= 0) atomicAdd(sketch + (long long)k * sk.n_buckets + bucket, (unsigned long long)run_count(k));
        }
    }

    // the block's partial: each warp with shuffles, then the warps' partials in warp order
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    long long rows = last > first ? last - first : 0;
#pragma unroll
    for (int k = 0; k < NSEL; ++k) {
        Moments a = running_moments(acc(k), rows);
        warp_fold(a);
        if (lane == 0) warp_partials[warp][k] = a;
    }
    __syncthreads();
    for (int k = threadIdx.x; k < NSEL; k += BLOCK) {
        Moments a = warp_partials[0][k];
        for (int v = 1; v < WARPS; ++v) merge_moments(a, warp_partials[v][k]);
        block_partials[(long long)blockIdx.x * NSEL + k] = a;
    }
}

// The block partials of selected metric blockIdx.x, by one warp: lane l folds a contiguous range of blocks in
// order, then the lanes are folded by the warp tree (deterministic).
__global__ void __launch_bounds__(32) dcecon_merge_blocks(const Moments* block_partials, long long n_blocks,
                                                          Moments* out) {
    int k = blockIdx.x, lane = threadIdx.x;
    long long lo = n_blocks * lane / 32, hi = n_blocks * (lane + 1) / 32;
    Moments a;
    empty_moments(a);
    for (long long b = lo; b < hi; ++b) merge_moments(a, block_partials[b * NSEL + k]);
    warp_fold(a);
    if (lane == 0) out[k] = a;
}

// What this module was built for (cuda.py checks it against the packing): NSEL, CELL_SUMS, sizeof(Moments),
// MASK, TABLES, SKETCH, AXES, PERIOD_CAPACITY, COHORT_CAPACITY, BLOCK, SHARED_STATE.
__global__ void dcecon_limits(long long* out) {
    out[0] = NSEL; out[1] = CELL_SUMS; out[2] = sizeof(Moments); out[3] = MASK; out[4] = TABLES; out[5] = SKETCH;
    out[6] = AXES; out[7] = PERIOD_CAPACITY; out[8] = COHORT_CAPACITY; out[9] = BLOCK; out[10] = SHARED_STATE;
}

#ifndef __CUDACC_RTC__
// nvcc (the compile checks) instantiates both precisions; NVRTC instantiates what cuda.py names.
#define DCECON_REDUCE_ARGS(T)                                                                                    \
    DCECON_KERNEL_ARGS(T), const int*, const int*, const long long*, const int*, const int*, const long long*, \
        long long, const int*, const long long*, Moments*, unsigned long long*, double*, double*, double*
template __global__ void dcecon_evaluate<double>(DCECON_KERNEL_ARGS(double), double* out);
template __global__ void dcecon_evaluate<float>(DCECON_KERNEL_ARGS(float), float* out);
template __global__ void dcecon_reduce<double>(DCECON_REDUCE_ARGS(double));
template __global__ void dcecon_reduce<float>(DCECON_REDUCE_ARGS(float));
#endif
