// dcecon GPU backend: the fused grid kernels, built by CuPy (NVRTC) as a
// RawModule (src/dcecon/backends/cuda.py) and compile-checked with
// `nvcc -ptx` in the tests.
//
// dcecon_evaluate<T>: one thread per scenario, every metric written out.
// dcecon_reduce<T>:   one thread per scenario; the metrics stay on the
//   device: moments, extremes and negatives are reduced per block in shared
//   memory (a fixed tree, so they do not depend on scheduling) into
//   per-block partials that dcecon_merge_blocks folds in block order;
//   sketch buckets and table counts are integer atomics (exact); table sums
//   are double atomics (equal to rounding whatever the order), table
//   minima/maxima use compare-and-swap.
#include "dcecon_grid.cuh"

using namespace dcecon;

#ifndef DCECON_BLOCK
#define DCECON_BLOCK 128
#endif

#define DCECON_KERNEL_ARGS(T)                                                                                    \
    const double *g_real, const int *g_int, const int *spec_int, const long long *sizes,                        \
        const long long *strides, const T *axis_values, const long long *value_offsets, const int *bind_offsets, \
        const int *bind_cohort, const int *bind_param, const T *sampled_values, long long n_samples,            \
        const T *base_params, const int *methods, double discount, double tax, long long start, long long m

template <typename T>
__global__ void dcecon_evaluate(DCECON_KERNEL_ARGS(T), T* out) {
    long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= m) return;
    Grid<T> g = make_grid<T>(g_real, g_int);
    GridSpec<T> s = make_spec<T>(spec_int, sizes, strides, axis_values, value_offsets, bind_offsets, bind_cohort,
                                   bind_param, sampled_values, n_samples, base_params, methods, discount, tax);
    long long coords[16];
    scenario_metrics(s, g, start + row, row, coords, out + row * N_METRICS);
}

__device__ void atomic_min_double(double* address, double value) {
    unsigned long long* as_int = (unsigned long long*)address;
    unsigned long long old = *as_int, assumed;
    while (value < __longlong_as_double(old)) {
        assumed = old;
        old = atomicCAS(as_int, assumed, __double_as_longlong(value));
        if (old == assumed) break;
    }
}

__device__ void atomic_max_double(double* address, double value) {
    unsigned long long* as_int = (unsigned long long*)address;
    unsigned long long old = *as_int, assumed;
    while (value > __longlong_as_double(old)) {
        assumed = old;
        old = atomicCAS(as_int, assumed, __double_as_longlong(value));
        if (old == assumed) break;
    }
}

__device__ void add_to_group(double* sums, double* mins, double* maxs, long long group, const double* x) {
    const int M = N_METRICS;
    double* s = sums + group * (2 * M + 2);
    for (int i = 0; i < M; ++i) {
        double v = x[i];
        if (isfinite(v)) { atomicAdd(s + i, v); atomicAdd(s + M + i, 1.0); }
        if (v == v) {
            atomic_min_double(mins + group * M + i, v);
            atomic_max_double(maxs + group * M + i, v);
        }
    }
    if (x[GROSS_MARGIN] > 0.0) atomicAdd(s + 2 * M, 1.0);
    if (x[NPV] > 0.0) atomicAdd(s + 2 * M + 1, 1.0);
}

// Per-block partial of one metric: count, mean, m2, min, argmin, max, argmax, negative.
struct Moments {
    double count, mean, m2, minimum, maximum;
    long long argmin, argmax, negative;
};

__device__ Moments merge_moments(const Moments& a, const Moments& b) {
    Moments r;
    double n = a.count + b.count;
    double safe = n > 0 ? n : 1.0;
    double delta = b.mean - a.mean;
    r.count = n;
    r.mean = n > 0 ? (a.count * a.mean + b.count * b.mean) / safe : 0.0;
    r.m2 = a.m2 + b.m2 + delta * delta * a.count * b.count / safe;
    bool take_b_min = (b.argmin >= 0 && b.minimum < a.minimum) || (a.argmin < 0 && b.argmin >= 0);
    bool take_b_max = (b.argmax >= 0 && b.maximum > a.maximum) || (a.argmax < 0 && b.argmax >= 0);
    r.minimum = take_b_min ? b.minimum : a.minimum;
    r.argmin = take_b_min ? b.argmin : a.argmin;
    r.maximum = take_b_max ? b.maximum : a.maximum;
    r.argmax = take_b_max ? b.argmax : a.argmax;
    r.negative = a.negative + b.negative;
    return r;
}

__device__ Moments one_value(double v, long long index) {
    Moments r;
    bool number = v == v;
    bool finite = isfinite(v);
    r.count = finite ? 1.0 : 0.0;
    r.mean = finite ? v : 0.0;
    r.m2 = 0.0;
    r.minimum = number ? v : __longlong_as_double(0x7FF0000000000000LL);
    r.maximum = number ? v : -__longlong_as_double(0x7FF0000000000000LL);
    r.argmin = number ? index : -1;
    r.argmax = number ? index : -1;
    r.negative = (number && v < 0.0) ? 1 : 0;
    return r;
}

template <typename T>
__global__ void dcecon_reduce(DCECON_KERNEL_ARGS(T), const int* table_int, const int* marginal_dims,
                              const long long* marginal_offsets, const int* pair_a, const int* pair_b,
                              const long long* pair_offsets, const int* deciles, const long long* sketch_int,
                              Moments* block_partials, unsigned long long* sketch, double* sums, double* mins,
                              double* maxs) {
    __shared__ Moments shared[DCECON_BLOCK];
    // each thread takes one contiguous run of scenarios, so the fold order is fixed by m and the launch shape
    long long threads = (long long)gridDim.x * blockDim.x;
    long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    long long per = (m + threads - 1) / threads;
    long long first = tid * per;
    long long last = first + per < m ? first + per : m;
    Grid<T> g = make_grid<T>(g_real, g_int);
    GridSpec<T> s = make_spec<T>(spec_int, sizes, strides, axis_values, value_offsets, bind_offsets, bind_cohort,
                                   bind_param, sampled_values, n_samples, base_params, methods, discount, tax);
    SketchLayout sk;
    sk.sub_bits = (int)sketch_int[0]; sk.key_base = sketch_int[1]; sk.side = sketch_int[2];
    sk.zero = sketch_int[3]; sk.n_buckets = sketch_int[4];
    Moments acc[N_METRICS];
    for (int i = 0; i < N_METRICS; ++i) acc[i] = one_value(__longlong_as_double(0x7FF8000000000000LL), -1);
    long long coords[16];
    T values[N_METRICS];
    double x[N_METRICS];
    for (long long row = first; row < last; ++row) {
        scenario_metrics(s, g, start + row, row, coords, values);
        for (int i = 0; i < N_METRICS; ++i) {
            x[i] = (double)values[i];
            acc[i] = merge_moments(acc[i], one_value(x[i], start + row));
            long long b = sketch_bucket(sk, x[i]);
            if (b >= 0) atomicAdd(sketch + (long long)i * sk.n_buckets + b, 1ULL);
        }
        for (int k = 0; k < table_int[0]; ++k) {
            int dim = marginal_dims[k];
            long long group = dim < s.n_cart ? coords[dim] : (long long)deciles[row * s.n_sampled + (dim - s.n_cart)];
            add_to_group(sums, mins, maxs, marginal_offsets[k] + group, x);
        }
        for (int k = 0; k < table_int[1]; ++k) {
            long long group = coords[pair_a[k]] * sizes[pair_b[k]] + coords[pair_b[k]];
            add_to_group(sums, mins, maxs, pair_offsets[k] + group, x);
        }
    }
    for (int i = 0; i < N_METRICS; ++i) {
        shared[threadIdx.x] = acc[i];
        __syncthreads();
        for (int width = blockDim.x / 2; width > 0; width /= 2) {
            if ((int)threadIdx.x < width) {
                shared[threadIdx.x] = merge_moments(shared[threadIdx.x], shared[threadIdx.x + width]);
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) block_partials[(long long)blockIdx.x * N_METRICS + i] = shared[0];
        __syncthreads();
    }
}

// Fold per-block partials in block order: one thread per metric (deterministic).
__global__ void dcecon_merge_blocks(const Moments* block_partials, long long n_blocks, Moments* out) {
    int i = threadIdx.x;
    if (i >= N_METRICS) return;
    Moments acc = block_partials[i];
    for (long long b = 1; b < n_blocks; ++b) acc = merge_moments(acc, block_partials[b * N_METRICS + i]);
    out[i] = acc;
}

template __global__ void dcecon_evaluate<double>(DCECON_KERNEL_ARGS(double), double* out);
template __global__ void dcecon_evaluate<float>(DCECON_KERNEL_ARGS(float), float* out);
template __global__ void dcecon_reduce<double>(DCECON_KERNEL_ARGS(double), const int*, const int*, const long long*,
                                               const int*, const int*, const long long*, const int*,
                                               const long long*, Moments*, unsigned long long*, double*, double*,
                                               double*);
template __global__ void dcecon_reduce<float>(DCECON_KERNEL_ARGS(float), const int*, const int*, const long long*,
                                              const int*, const int*, const long long*, const int*,
                                              const long long*, Moments*, unsigned long long*, double*, double*,
                                              double*);
