// dcecon grid decoding: scenario i of a run -> its parameters (dcecon.grid_engine.plan).
//
// Flat index i: sample = i % n_samples, cell = i / n_samples,
// coord_d = (cell / stride_d) % size_d for the cartesian axes (outermost first).
// Each dimension sets one or more (cohort, parameter) targets; cohort -1 is
// finance (parameter 0: discount rate, 1: tax rate). Sampled dimensions take
// their values from a host-drawn chunk array (m x n_sampled).
#pragma once
#include "dcecon_model.cuh"

namespace dcecon {

template <typename T>
struct GridSpec {
    int n_cart;                       // cartesian axes
    const long long* sizes;           // [n_cart]
    const long long* strides;         // [n_cart] cell strides
    const T* axis_values;             // concatenated values of the cartesian axes
    const long long* value_offsets;   // [n_cart]
    int n_dims;                       // cartesian + sampled
    const int* bind_offsets;          // [n_dims + 1]
    const int* bind_cohort;           // target cohort, -1 for finance
    const int* bind_param;            // target parameter
    int n_sampled;
    const T* sampled_values;          // [m * n_sampled], chunk-relative rows
    long long n_samples;
    const T* base_params;             // [n_cohorts * N_PARAMS]
    const int* methods;               // [n_cohorts]
    T discount, tax;
};

// The period grid from the host's packed arrays (dcecon.grid_engine.kernels.pack).
template <typename T>
DCECON_HD DCECON_INLINE Grid<T> make_grid(const double* g_real, const int* g_int) {
    Grid<T> g;
    g.grid_start_year = T(g_real[0]);
    g.start_year = T(g_real[1]);
    g.hours_per_period = T(g_real[2]);
    g.period_years = T(g_real[3]);
    g.periods_per_year = g_int[0];
    g.j0 = g_int[1];
    g.n_periods = g_int[2];
    g.window_first = g_int[3];
    g.window_periods = g_int[4];
    g.n_schedule_years = g_int[5];
    g.n_cohorts = g_int[6];
    return g;
}

// The grid's dimensions and bindings from the host's packed arrays.
template <typename T>
DCECON_HD DCECON_INLINE GridSpec<T> make_spec(const int* spec_int, const long long* sizes, const long long* strides,
                                              const T* axis_values, const long long* value_offsets,
                                              const int* bind_offsets, const int* bind_cohort, const int* bind_param,
                                              const T* sampled_values, long long n_samples, const T* base_params,
                                              const int* methods, double discount, double tax) {
    GridSpec<T> s;
    s.n_cart = spec_int[0];
    s.n_dims = spec_int[1];
    s.n_sampled = spec_int[2];
    s.sizes = sizes; s.strides = strides; s.axis_values = axis_values; s.value_offsets = value_offsets;
    s.bind_offsets = bind_offsets; s.bind_cohort = bind_cohort; s.bind_param = bind_param;
    s.sampled_values = sampled_values; s.n_samples = n_samples;
    s.base_params = base_params; s.methods = methods; s.discount = T(discount); s.tax = T(tax);
    return s;
}

template <typename T>
DCECON_HD DCECON_INLINE void apply_value(const GridSpec<T>& s, int d, T value, T* params, T& discount, T& tax) {
    for (int b = s.bind_offsets[d]; b < s.bind_offsets[d + 1]; ++b) {
        int c = s.bind_cohort[b], k = s.bind_param[b];
        if (c < 0) {
            if (k == FIN_DISCOUNT_RATE) discount = value;
            else if (k == FIN_TAX_RATE) tax = value;  // other finance fields do not reach the kernels' metrics
        } else {
            params[c * N_PARAMS + k] = value;
        }
    }
}

// Walks a run of consecutive scenarios row-wise: the flat index is divided into coordinates once, at the
// first scenario; each next scenario steps the samples, then the innermost axis, carrying outwards like an
// odometer, and re-binds only the dimensions whose coordinate changed (dcecon.grid_engine.plan for the
// index order). AXES: capacity of the coordinate buffer.
template <typename T, int AXES>
struct Walker {
    T params[COHORT_CAPACITY * N_PARAMS];
    T discount, tax;
    long long coords[AXES];
    long long sample;
    bool next_generation_default[COHORT_CAPACITY];
};

template <typename T, int AXES>
DCECON_HD DCECON_INLINE void walker_derive(const Grid<T>& g, Walker<T, AXES>& w) {
    for (int c = 0; c < g.n_cohorts; ++c) {
        T* p = w.params + c * N_PARAMS;
        if (p[IT_POWER_MW] == p[IT_POWER_MW]) p[GPUS] = p[IT_POWER_MW] * T(1000) / p[POWER_KW_PER_GPU];
        if (p[PRICE_USD_PER_MILLION_TOKENS] == p[PRICE_USD_PER_MILLION_TOKENS]) {
            p[PRICE_USD_PER_GPU_HOUR] = p[TOKENS_PER_SECOND_PER_GPU] * T(3600) * p[PRICE_USD_PER_MILLION_TOKENS] / T(1e6);
        }
        if (w.next_generation_default[c]) {  // one interval after entering service
            p[NEXT_GENERATION_YEAR] = p[IN_SERVICE_YEAR] + p[GENERATION_INTERVAL_YEARS];
        }
    }
}

template <typename T, int AXES>
DCECON_HD DCECON_INLINE void walker_sampled(const GridSpec<T>& s, long long row, Walker<T, AXES>& w) {
    for (int k = 0; k < s.n_sampled; ++k) {
        apply_value(s, s.n_cart + k, s.sampled_values[row * s.n_sampled + k], w.params, w.discount, w.tax);
    }
}

// Position the walker on scenario `index` (row `row` of the chunk): divisions, done once per run of rows.
template <typename T, int AXES>
DCECON_HD DCECON_INLINE void walker_start(const GridSpec<T>& s, const Grid<T>& g, long long index, long long row,
                                          Walker<T, AXES>& w) {
    for (int i = 0; i < g.n_cohorts * N_PARAMS; ++i) w.params[i] = s.base_params[i];
    w.discount = s.discount;
    w.tax = s.tax;
    long long cell = index / s.n_samples;
    w.sample = index - cell * s.n_samples;
    for (int d = 0; d < s.n_cart; ++d) {
        long long coord = (cell / s.strides[d]) % s.sizes[d];
        w.coords[d] = coord;
        apply_value(s, d, s.axis_values[s.value_offsets[d] + coord], w.params, w.discount, w.tax);
    }
    walker_sampled(s, row, w);
    for (int c = 0; c < g.n_cohorts; ++c) {  // NaN unless an axis sets it: derived from the in-service date
        T next = w.params[c * N_PARAMS + NEXT_GENERATION_YEAR];
        w.next_generation_default[c] = !(next == next);
    }
    walker_derive(g, w);
}

// Step to the next scenario (row `row` of the chunk). Returns the outermost cartesian axis whose
// coordinate changed (n_cart when only the sample changed).
template <typename T, int AXES>
DCECON_HD DCECON_INLINE int walker_next(const GridSpec<T>& s, const Grid<T>& g, long long row, Walker<T, AXES>& w) {
    int changed = s.n_cart;
    if (++w.sample == s.n_samples) {
        w.sample = 0;
        for (int d = s.n_cart - 1; d >= 0; --d) {
            changed = d;
            long long coord = w.coords[d] + 1;
            bool wrap = coord == s.sizes[d];
            w.coords[d] = wrap ? 0 : coord;
            apply_value(s, d, s.axis_values[s.value_offsets[d] + w.coords[d]], w.params, w.discount, w.tax);
            if (!wrap) break;
        }
    }
    walker_sampled(s, row, w);
    walker_derive(g, w);
    return changed;
}

// Sketch bucket of a value (dcecon.grid_engine.sketch, log-linear buckets from the IEEE-754 bits).
struct SketchLayout {
    int sub_bits;
    long long key_base, side, zero, n_buckets;
};

DCECON_HD DCECON_INLINE long long sketch_bucket(const SketchLayout& k, double value) {
    long long bits;
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
    bits = __double_as_longlong(value);
#else
    __builtin_memcpy(&bits, &value, sizeof(bits));
#endif
    // written without branches (selects only), so the CPU kernel computes a block's buckets in vector lanes
    const long long all_ones = 0x7FF0000000000000LL;
    long long magnitude = bits & 0x7FFFFFFFFFFFFFFFLL;
    long long key = (magnitude >> (52 - k.sub_bits)) - k.key_base;
    key = key < -1 ? -1 : key;
    key = key > k.side - 1 ? k.side - 1 : key;
    long long id = key + k.zero + 1;
    long long finite = bits < 0 ? 2 * k.zero - id : id;
    long long infinite = bits < 0 ? 0 : k.n_buckets - 1;  // -inf, +inf
    long long number = magnitude == all_ones ? infinite : finite;
    return magnitude > all_ones ? -1 : number;  // NaN: no bucket
}

}  // namespace dcecon
