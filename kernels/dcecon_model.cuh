// dcecon fused model: the per-scenario economics of docs/model.md sections 2, 3, 4, 6, 8, 11
// (written without the section sign: the kernel sources stay ASCII).
//
// One source for the GPU (CuPy RawModule / NVRTC, nvcc) and the CPU (the host
// C++ compiler, loaded with ctypes). Every function mirrors the NumPy
// reference in src/dcecon/model/ operation for operation, so the backends
// agree to rounding (tests/test_native_parity.py). Templated on float/double.
//
// Parameters of a cohort, in the order of dcecon.model.cohort.COHORT_PARAMETERS:
//   0 gpus, 1 in_service_year, 2 service_life_years, 3 capex_usd_per_gpu,
//   4 book_life_years, 5 salvage_fraction, 6 power_kw_per_gpu,
//   7 idle_power_fraction, 8 utilization, 9 price_usd_per_gpu_hour,
//   10 price_decline_per_year, 11 maintenance_fraction_of_capex_per_year,
//   12 other_opex_usd_per_gpu_year, 13 pue, 14 electricity_usd_per_kwh,
//   15 electricity_escalation_per_year, 16 colocation_usd_per_kw_month,
//   17 facility_capex_usd_per_mw, 18 facility_life_years, 19 price_step_year,
//   20 price_step_cut, 21 generation_interval_years, 22 generation_price_cut,
//   23 next_generation_year
// then 24 it_power_mw, 25 price_usd_per_million_tokens, 26 tokens_per_second_per_gpu
// (NaN unless the cohort is sized by IT power or priced per token).
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DCECON_HD __host__ __device__
#define DCECON_INLINE __forceinline__
#else
#define DCECON_HD
#define DCECON_INLINE inline
#include <cmath>
#endif

// Enums (Param, Method, Metric, Finance), limits and tolerances, generated from the Python definitions
// by dcecon.backends.contract into the build folder: never copied by hand.
#include "dcecon_contract.h"

// Capacity of the per-scenario buffers: the contract's limits, or less where a build knows the run's size
// (the CUDA module is built per run with -DDCECON_PERIOD_CAPACITY=..., so a thread's local arrays stay small).
#ifndef DCECON_PERIOD_CAPACITY
#define DCECON_PERIOD_CAPACITY MAX_PERIODS
#endif
#ifndef DCECON_COHORT_CAPACITY
#define DCECON_COHORT_CAPACITY MAX_COHORTS
#endif

namespace dcecon {

constexpr int PERIOD_CAPACITY = DCECON_PERIOD_CAPACITY;
constexpr int COHORT_CAPACITY = DCECON_COHORT_CAPACITY;

// The metrics a specialisation computes: bit k for Metric k (dcecon.model.metrics.kernel_mask). Each
// specialisation is compiled on its own, so an unrequested IRR, payback or break-even costs nothing.
template <unsigned MASK> struct Wants {
    static constexpr DCECON_HD bool has(int m) { return (MASK >> m) & 1u; }
    static constexpr bool irr = has(M_IRR);
    static constexpr bool payback = has(M_PAYBACK_YEARS);
    static constexpr bool npv = has(M_NPV_USD);
    static constexpr bool breakeven = has(M_BREAKEVEN_PRICE_USD_PER_GPU_HOUR) ||
                                      has(M_BREAKEVEN_UTILIZATION) || has(M_COST_USD_PER_BILLED_GPU_HOUR);
    static constexpr bool lifetime = breakeven;  // sums over every period, not only the window
    static constexpr bool cash_flows = irr || payback || npv;
};

// Lanes: the per-scenario model below is written once for a value type V that is either T (one scenario:
// every backend) or, in the CPU kernel, a GCC vector of LANES doubles (LANES scenarios at once in SIMD
// registers; kernels/dcecon_native.cpp). Arithmetic, comparisons and `c ? a : b` read the same for both;
// these helpers cover the rest. IEEE arithmetic is the same in a vector lane as in a scalar register (and
// -ffp-contract=off keeps multiply-adds unfused in both), so both give the same bits.
template <typename V> struct Lanes {
    using Scalar = V;
    using Double = double;  // the lanes' values in double (cash flows, NPV, IRR)
    static constexpr int count = 1;
};

template <typename V> DCECON_HD DCECON_INLINE typename Lanes<V>::Scalar lane(const V& v, int) { return v; }
template <typename V> DCECON_HD DCECON_INLINE void set_lane(V& v, int, typename Lanes<V>::Scalar x) { v = x; }
template <typename V> DCECON_HD DCECON_INLINE typename Lanes<V>::Double in_double(const V& v) {
    return typename Lanes<V>::Double(v);
}
template <typename V, typename S> DCECON_HD DCECON_INLINE V splat(S x) { return V{} + typename Lanes<V>::Scalar(x); }

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
constexpr int LANES = 8;
typedef double lanes_f64 __attribute__((vector_size(LANES * sizeof(double))));
template <> struct Lanes<lanes_f64> {
    using Scalar = double;
    using Double = lanes_f64;
    static constexpr int count = LANES;
};
template <> inline double lane<lanes_f64>(const lanes_f64& v, int l) { return v[l]; }
template <> inline void set_lane<lanes_f64>(lanes_f64& v, int l, double x) { v[l] = x; }
template <> inline lanes_f64 in_double<lanes_f64>(const lanes_f64& v) { return v; }
#endif

// The period grid and finance of one evaluation (host-computed, shared by all scenarios).
template <typename T>
struct Grid {
    T grid_start_year;      // start of union-grid period 0 (start_year + j0 / ppy, computed in Python)
    T start_year;           // valuation date of the fleet
    T hours_per_period;     // 8760 / ppy
    T period_years;         // 1 / ppy
    int periods_per_year;
    int j0;                 // first union-grid period relative to start_year (<= 0)
    int n_periods;          // periods on the union grid
    int window_first;       // index of the window's first period on the union grid (= -j0)
    int window_periods;     // periods in the window
    int n_schedule_years;   // years of accelerated schedule
    int n_cohorts;
};

template <typename T> DCECON_HD DCECON_INLINE T t_abs(T x) { return x < T(0) ? -x : x; }
template <typename T> DCECON_HD DCECON_INLINE T t_min(T a, T b) { return b < a ? b : a; }
template <typename T> DCECON_HD DCECON_INLINE T t_max(T a, T b) { return a < b ? b : a; }
template <typename T> DCECON_HD DCECON_INLINE T t_clip(T x, T lo, T hi) { return t_min(t_max(x, lo), hi); }
DCECON_HD DCECON_INLINE double t_pow(double a, double b) { return pow(a, b); }
DCECON_HD DCECON_INLINE float t_pow(float a, float b) { return powf(a, b); }
DCECON_HD DCECON_INLINE double t_exp(double a) { return exp(a); }
DCECON_HD DCECON_INLINE float t_exp(float a) { return expf(a); }
DCECON_HD DCECON_INLINE double t_log(double a) { return log(a); }
DCECON_HD DCECON_INLINE float t_log(float a) { return logf(a); }
DCECON_HD DCECON_INLINE double t_rint(double a) { return rint(a); }
DCECON_HD DCECON_INLINE float t_rint(float a) { return rintf(a); }
DCECON_HD DCECON_INLINE double t_floor(double a) { return floor(a); }
DCECON_HD DCECON_INLINE float t_floor(float a) { return floorf(a); }
DCECON_HD DCECON_INLINE double t_expm1(double a) { return expm1(a); }
DCECON_HD DCECON_INLINE float t_expm1(float a) { return expm1f(a); }
template <typename T> DCECON_HD DCECON_INLINE bool t_isfinite(T x) { return x - x == T(0); }
template <typename T> DCECON_HD DCECON_INLINE T t_nan() { return T(0) / T(0); }
template <typename T> DCECON_HD DCECON_INLINE T t_inf() { return T(1) / T(0); }

// Age in periods at the start of grid period j, snapped to whole periods (dcecon.model.time).
template <typename T>
DCECON_HD DCECON_INLINE T age_in_periods(const Grid<T>& g, T in_service_year, int j) {
    T raw = (g.grid_start_year - in_service_year) * T(g.periods_per_year) + T(j);
    T nearest = t_rint(raw);
    return t_abs(raw - nearest) < T(AGE_SNAP_TOLERANCE_PERIODS) ? nearest : raw;
}

// Double-declining-balance charge of year k (VDB with switch), as the NumPy loop.
template <typename T>
DCECON_HD T ddb_year(T capex, T salvage_fraction, T life, int k) {
    T salvage = capex * salvage_fraction;
    T rate = T(2) / life;
    T book_value = capex + T(0) * life;
    T charge = T(0);
    for (int y = 0; y <= k; ++y) {
        T years_left = life - T(y);
        T remaining = book_value - salvage;
        T declining = t_min(rate * book_value, remaining);
        T straight = remaining / (years_left > T(0) ? years_left : T(1));
        charge = years_left > T(0) ? t_max(t_max(declining, straight), T(0)) : T(0);
        book_value = book_value - charge;
    }
    return charge;
}

// Depreciation per GPU charged in a period at age `age` (years) (dcecon.model.depreciation).
template <typename T>
DCECON_HD DCECON_INLINE T period_depreciation(const Grid<T>& g, int method, const T* p, T age) {
    T capex = p[CAPEX_USD_PER_GPU], salv = p[SALVAGE_FRACTION], life = p[BOOK_LIFE_YEARS];
    if (method == STRAIGHT_LINE) {
        T base = capex * (T(1) - salv);
        T inside = t_clip(life - age, T(0), g.period_years);
        return base / life * inside;
    }
    T year_index = t_floor(age + T(BOOK_CLOCK_EPSILON));
    if (method == SUM_OF_YEARS_DIGITS) {
        T base = capex * (T(1) - salv);
        T digits = life * (life + T(1)) / T(2);
        T amount = base * (life - year_index) / digits;
        T annual = (year_index >= T(0) && year_index < life) ? amount : T(0);
        return annual * g.period_years;
    }
    int k = (int)year_index;
    T charge = (k >= 0 && k < g.n_schedule_years && year_index == T(k)) ? ddb_year(capex, salv, life, k) : T(0);
    return charge * g.period_years;
}

// Flows of one cohort in one grid period (cohort totals; zero when not in service).
template <typename V>
struct PeriodFlows {
    bool active;  // the path is shared by every lane
    V revenue, depreciation, power_cost, facility_cost, opex, energy_kwh, billed_hours, facility_lease;
    V revenue_at_full, price_weighted_billed, power_at_full_load;
};

// Per-cohort constants of one scenario: the terms that do not change from period to period (computed once,
// with the NumPy reference's operation order).
template <typename V>
struct AgeFactors {
    V billed, hours_price, load, full_load_kwh, gpu_energy, lease, building_rate, gpu_opex;
};

template <typename T, typename V>
DCECON_HD DCECON_INLINE void cohort_constants(const Grid<T>& g, const V* p, AgeFactors<V>& af) {
    T hours = g.hours_per_period;
    V u = p[UTILIZATION];
    T ppy = T(g.periods_per_year);
    V idle = p[IDLE_POWER_FRACTION];
    af.billed = hours * u;
    af.hours_price = hours * p[PRICE_USD_PER_GPU_HOUR];
    af.load = idle + (T(1) - idle) * u;
    af.full_load_kwh = hours * p[POWER_KW_PER_GPU] * T(1) * p[PUE];
    af.gpu_energy = af.full_load_kwh * af.load;
    af.lease = p[COLOCATION_USD_PER_KW_MONTH] * T(12) / ppy * p[POWER_KW_PER_GPU];
    V share = p[FACILITY_CAPEX_USD_PER_MW] / T(1000) * p[POWER_KW_PER_GPU];
    af.building_rate = share / p[FACILITY_LIFE_YEARS] / ppy;
    af.gpu_opex = (p[MAINTENANCE_FRACTION_OF_CAPEX_PER_YEAR] * p[CAPEX_USD_PER_GPU] + p[OTHER_OPEX_USD_PER_GPU_YEAR]) / ppy;
}

// The path of one cohort over the grid: which periods it is in service, and per period the price factor
// (decline x step cut x generations), the tariff escalation, the depreciation per GPU and the part of the
// period inside the building's life. It depends only on the cohort's dates, lives, capex, salvage, price path
// and escalation - not on its size, utilization, price level, power or tariffs - so a thread keeps it from
// scenario to scenario and recomputes it only when one of those inputs changes: along a grid row whose
// innermost axis is, say, the PUE, the path is computed once per row (the hoisting of terms that depend only
// on outer axes). Values are computed in T, as the NumPy reference's operation order, and stored in double
// (exact for float and double).
constexpr int N_PATH_KEYS = 13;
DCECON_HD DCECON_INLINE int path_key(int k) {  // a function: namespace-scope arrays are host-only in CUDA
    const int keys[N_PATH_KEYS] = {IN_SERVICE_YEAR, SERVICE_LIFE_YEARS, CAPEX_USD_PER_GPU, BOOK_LIFE_YEARS,
                                   SALVAGE_FRACTION, PRICE_DECLINE_PER_YEAR, ELECTRICITY_ESCALATION_PER_YEAR,
                                   FACILITY_LIFE_YEARS, PRICE_STEP_YEAR, PRICE_STEP_CUT, GENERATION_INTERVAL_YEARS,
                                   GENERATION_PRICE_CUT, NEXT_GENERATION_YEAR};
    return keys[k];
}

struct CohortPath {
    bool valid;
    int method;
    double key[N_PATH_KEYS];
    int first, last;  // in service in grid periods [first, last)
    double decline[PERIOD_CAPACITY], escalation[PERIOD_CAPACITY], depreciation[PERIOD_CAPACITY];
    double building_clip[PERIOD_CAPACITY];
};

template <typename T> DCECON_HD DCECON_INLINE bool same_value(double a, T b) {
    return a == double(b) || (a != a && b != b);  // NaN matches NaN
}

template <typename T>
DCECON_HD DCECON_INLINE bool path_is_current(const CohortPath& path, int method, const T* p) {
    if (!path.valid || path.method != method) return false;
    for (int k = 0; k < N_PATH_KEYS; ++k)
        if (!same_value(path.key[k], p[path_key(k)])) return false;
    return true;
}

template <typename T>
DCECON_HD void compute_path(const Grid<T>& g, int method, const T* p, CohortPath& path) {
    path.valid = true;
    path.method = method;
    for (int k = 0; k < N_PATH_KEYS; ++k) path.key[k] = double(p[path_key(k)]);
    T ppy = T(g.periods_per_year);
    T life_periods = p[SERVICE_LIFE_YEARS] * ppy;
    T decline_run = T(1), escalation_run = T(1), decline_step = T(1), escalation_step = T(1);
    bool started = false;
    path.first = g.n_periods;
    path.last = g.n_periods;
    for (int j = 0; j < g.n_periods; ++j) {
        T a_p = age_in_periods(g, p[IN_SERVICE_YEAR], j);
        bool active = (a_p >= T(0)) && (a_p < life_periods - T(AGE_SNAP_TOLERANCE_PERIODS));
        if (!active) {
            if (started && path.last == g.n_periods) path.last = j;
            continue;
        }
        T age = a_p / ppy;
        if (!started) {
            // x^0 = 1, x^1 = x and 1^a = 1 exactly: skip pow in the common cases (start of life, annual
            // periods, no escalation)
            T decline_base = T(1) - p[PRICE_DECLINE_PER_YEAR];
            T escalation_base = T(1) + p[ELECTRICITY_ESCALATION_PER_YEAR];
            decline_run = age == T(0) ? T(1) : t_pow(decline_base, age);
            escalation_run = (age == T(0) || escalation_base == T(1)) ? T(1) : t_pow(escalation_base, age);
            decline_step = g.periods_per_year == 1 ? decline_base : t_pow(decline_base, g.period_years);
            escalation_step = (g.periods_per_year == 1 || escalation_base == T(1))
                                  ? escalation_base : t_pow(escalation_base, g.period_years);
            started = true;
            path.first = j;
        } else {
            decline_run *= decline_step;
            escalation_run *= escalation_step;
        }
        // price paths (dcecon.model.price_paths): a step cut at a date and generation arrivals
        T period_start = g.grid_start_year + T(j) / ppy;
        T step = period_start >= p[PRICE_STEP_YEAR] - T(DATE_TOLERANCE_YEARS) ? T(1) - p[PRICE_STEP_CUT] : T(1);
        T since = period_start - p[NEXT_GENERATION_YEAR];
        T arrivals = since >= T(-DATE_TOLERANCE_YEARS)
                         ? t_floor(since / p[GENERATION_INTERVAL_YEARS] + T(DATE_TOLERANCE_YEARS)) + T(1) : T(0);
        T generations = arrivals > T(0) ? t_pow(T(1) - p[GENERATION_PRICE_CUT], arrivals) : T(1);
        path.decline[j] = double(decline_run * step * generations);
        path.escalation[j] = double(escalation_run);
        // the building's straight line over the part of the period inside its life (dcecon.model.facility)
        path.building_clip[j] = double(t_clip(p[FACILITY_LIFE_YEARS] - age, T(0), g.period_years));
        // the book clock starts at the cohort's first grid period (dcecon.model.cohort)
        T book_age = t_floor(a_p + T(BOOK_CLOCK_EPSILON)) / ppy;
        path.depreciation[j] = double(period_depreciation(g, method, p, book_age));
    }
}

// Flows of a cohort in grid period j from its path and this scenario's per-cohort constants.
template <typename T, typename V>
DCECON_HD DCECON_INLINE void cohort_period(const Grid<T>& g, const V* p, int j, const CohortPath& path,
                                           const AgeFactors<V>& af, PeriodFlows<V>& f) {
    f.active = j >= path.first && j < path.last;
    if (!f.active) {
        V zero = splat<V>(0);
        f.revenue = f.depreciation = f.power_cost = f.facility_cost = f.opex = f.energy_kwh = zero;
        f.billed_hours = f.facility_lease = f.revenue_at_full = f.price_weighted_billed = zero;
        f.power_at_full_load = zero;
        return;
    }
    T ppy = T(g.periods_per_year);
    T decline = T(path.decline[j]);
    V revenue_at_full = af.hours_price * decline;
    V gpu_revenue = revenue_at_full * p[UTILIZATION];
    V electricity = p[ELECTRICITY_USD_PER_KWH] * T(path.escalation[j]);
    V gpu_power_cost = af.gpu_energy * electricity;
    V building = af.building_rate * ppy * T(path.building_clip[j]);
    T gpu_dep = T(path.depreciation[j]);
    V n = p[GPUS];
    f.revenue = gpu_revenue * n;
    f.depreciation = gpu_dep * n;
    f.power_cost = gpu_power_cost * n;
    f.facility_cost = (af.lease + building) * n;
    f.opex = af.gpu_opex * n;
    f.energy_kwh = af.gpu_energy * n;
    f.billed_hours = af.billed * n;
    f.facility_lease = af.lease * n;
    f.revenue_at_full = revenue_at_full * n;
    f.price_weighted_billed = af.billed * decline * n;
    f.power_at_full_load = af.full_load_kwh * electricity * n;
}

// NPV and slope in y = ln(1 + r) (dcecon.model.finance._npv_and_slope_in_log_rate).
// The first n_regular times are t_0 + i * dt (the period ends), so their factors exp(-t y) come from
// `step` = exp(-dt y) and a running product (Horner's scheme in x = exp(-dt y)).
DCECON_HD DCECON_INLINE void npv_slope_with_step(const double* cf, const double* t, int n, int n_regular,
                                                 double dt, double y, double step, double& value, double& slope) {
    double v = 0.0, s = 0.0;
    double factor = n_regular > 0 ? (t[0] == dt ? step : t_exp(-t[0] * y)) : 0.0;  // one exp when t0 = dt
    for (int i = 0; i < n_regular; ++i) {
        double w = cf[i] * factor;
        v += w;
        s += t[i] * w;
        factor *= step;
    }
    for (int i = n_regular; i < n; ++i) {
        double w = t[i] == 0.0 ? cf[i] : cf[i] * t_exp(-t[i] * y);  // capex at the valuation date: exp(0) = 1
        v += w;
        s += t[i] * w;
    }
    value = v;
    slope = -s;
}

DCECON_HD DCECON_INLINE void npv_slope(const double* cf, const double* t, int n, int n_regular, double dt, double y,
                                       double& value, double& slope) {
    npv_slope_with_step(cf, t, n, n_regular, dt, y, t_exp(-dt * y), value, slope);
}

// Per-run constants of the IRR, computed once per thread: the discount factors exp(-t_i y_k) of the regular
// times t_i = t_0 + i dt at every scan rate y_k of IRR_SCAN_Y (whose first and last are the bracket's ends),
// built by the same running product as npv_slope_with_step, so the NPV at all the scan rates is one
// matrix-vector product with no exp, vectorised over the rates (constant folding for the run's periods).
struct IrrSteps {
    double dt, t0;
    int n_regular;
    double factor[PERIOD_CAPACITY][IRR_N_SCAN];
    double distance[IRR_N_SCAN];  // of scan interval (r - 1, r) from 0% (0 if it holds 0%), for the ranking
};

DCECON_HD DCECON_INLINE void irr_steps(double dt, double t0, int n_regular, IrrSteps& k) {
    k.dt = dt;
    k.t0 = t0;
    k.n_regular = n_regular;
    k.distance[0] = 0.0;
    for (int r = 1; r < IRR_N_SCAN; ++r) {
        double prev_y = irr_scan_y(r - 1), next_y = irr_scan_y(r);
        k.distance[r] = prev_y * next_y > 0.0 ? t_min(t_abs(prev_y), t_abs(next_y)) : 0.0;
    }
    for (int r = 0; r < IRR_N_SCAN; ++r) {
        double y = irr_scan_y(r);
        double step = t_exp(-dt * y);
        double factor = t0 == dt ? step : t_exp(-t0 * y);
        for (int i = 0; i < n_regular; ++i) {
            k.factor[i][r] = factor;
            factor *= step;
        }
    }
}

// NPV at scan rate r (the same sum, in the same order, as npv_slope_with_step at that rate).
DCECON_HD DCECON_INLINE double npv_at_scan_rate(const double* cf, const double* t, int n, int n_regular,
                                                const IrrSteps& k, int r) {
    double v = 0.0;
    for (int i = 0; i < n_regular; ++i) v += cf[i] * k.factor[i][r];
    for (int i = n_regular; i < n; ++i) v += t[i] == 0.0 ? cf[i] : cf[i] * t_exp(-t[i] * irr_scan_y(r));
    return v;
}

// NPV at every scan rate (the same sums, in the same order, as npv_slope_with_step at each rate).
DCECON_HD DCECON_INLINE void npv_at_scan_rates(const double* cf, const double* t, int n, int n_regular,
                                               const IrrSteps& k, double* v) {
    for (int r = 0; r < IRR_N_SCAN; ++r) v[r] = 0.0;
    for (int i = 0; i < n_regular; ++i) {
        double c = cf[i];
        const double* f = k.factor[i];
#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#pragma omp simd
#endif
        for (int r = 0; r < IRR_N_SCAN; ++r) v[r] += c * f[r];
    }
    for (int i = n_regular; i < n; ++i) {
        for (int r = 0; r < IRR_N_SCAN; ++r)
            v[r] += t[i] == 0.0 ? cf[i] : cf[i] * t_exp(-t[i] * irr_scan_y(r));
    }
}

// Sign changes of the cash flows in time order when every capex flow (index >= n_regular) comes no later
// than the first period end; -1 when the order is not that simple (then no shortcut is taken).
DCECON_HD DCECON_INLINE int sign_changes(const double* cf, const double* t, int n, int n_regular) {
    for (int i = n_regular; i < n; ++i)
        if (n_regular > 0 && t[i] > t[0]) return -1;
    int changes = 0, last = 0;
    for (int k = 0; k < n; ++k) {
        int i = k < n - n_regular ? n_regular + k : k - (n - n_regular);  // capex first, then the periods
        int sign = cf[i] > 0.0 ? 1 : (cf[i] < 0.0 ? -1 : 0);
        if (sign != 0) {
            if (last != 0 && sign != last) ++changes;
            last = sign;
        }
    }
    return last == 0 ? -1 : changes;  // all zero: the reference rules decide
}

// IRR, the same safeguarded Newton / Illinois iteration as dcecon.model.finance.irr, with two exact
// shortcuts: cash flows with no sign change have no root (NaN at once), and with exactly one sign change
// (Descartes' rule of signs, which holds for real exponents) the root is unique, so a bracket that the
// ends do not give cannot be found by the scan (NaN at once) and any start inside the bracket - such as
// `warm`, the root of the neighbouring scenario - converges to the same root as the reference's start.
// A Newton step whose successor (rate x step^2) is predicted below this fraction of the tolerance is the last
// (kernel only: where the reference would iterate once more to confirm, to the same root to rounding).
constexpr double IRR_PREDICTED_STEP_FRACTION = 0.001;

// The state of one IRR iteration: the bracket [lo, hi] with the NPV at its ends, the iterate y, and flags.
struct IrrState {
    double y, lo, hi, f_lo, f_hi, last_step;
    bool lo_moved_last, active, bracketed, exact_lo, exact_hi, unique;
};

// Everything before the iteration: sign changes, the NPV at the scan rates, the bracket, the start. Returns
// false when there is no IRR (then NaN, at once).
// `known`: the caller gives the sign changes and the NPV at the bracket's ends (computed for several
// scenarios at once in vector lanes), else they are computed here.
DCECON_HD bool irr_setup(const double* cf, const double* t, int n, int n_regular, const IrrSteps& k, double warm,
                         IrrState& st, bool known = false, int known_changes = 0, double known_lo = 0.0,
                         double known_hi = 0.0) {
    const double y_min = IRR_Y_MIN, y_max = IRR_Y_MAX;
    if (t[0] != k.t0 || n_regular != k.n_regular) return false;  // built for another grid
    int changes = known ? known_changes : sign_changes(cf, t, n, n_regular);
    if (changes == 0) return false;
    // the scan's first and last rates are the bracket's ends: the whole scan only when they do not bracket
    double f_lo = known ? known_lo : npv_at_scan_rate(cf, t, n, n_regular, k, 0);
    double f_hi = known ? known_hi : npv_at_scan_rate(cf, t, n, n_regular, k, IRR_N_SCAN - 1);
    bool exact_lo = f_lo == 0.0, exact_hi = f_hi == 0.0;
    bool bracketed = (((f_lo > 0.0) != (f_hi > 0.0)) || exact_lo || exact_hi) && t_isfinite(f_lo) &&
                     t_isfinite(f_hi);
    double lo = y_min, hi = y_max;
    bool scanned = false;
    if (!bracketed && changes == 1) return false;
    if (!bracketed) {
        // the NPV has the same sign at both ends: look for a sign change between scan rates, preferring one
        // where the NPV falls through zero as the rate rises, then the one nearest 0% (ranked in one pass
        // over the intervals; the first of equal ranks wins, as in the reference's scan)
        double v[IRR_N_SCAN], rank[IRR_N_SCAN];
        npv_at_scan_rates(cf, t, n, n_regular, k, v);
        rank[0] = t_inf<double>();
#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#pragma omp simd
#endif
        for (int r = 1; r < IRR_N_SCAN; ++r) {
            double prev_f = v[r - 1], next_f = v[r];
            bool change = ((prev_f > 0.0) != (next_f > 0.0)) && (prev_f - prev_f == 0.0) && (next_f - next_f == 0.0);
            rank[r] = change ? (prev_f > 0.0 ? k.distance[r] : k.distance[r] + IRR_SCAN_RANK_PENALTY)
                             : t_inf<double>();
        }
        double best = t_inf<double>();
#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#pragma omp simd reduction(min : best)
#endif
        for (int r = 1; r < IRR_N_SCAN; ++r) best = rank[r] < best ? rank[r] : best;
        int chosen = 1;
        while (chosen < IRR_N_SCAN - 1 && !(rank[chosen] == best)) ++chosen;  // the first of the best
        scanned = best < t_inf<double>();
        bracketed = scanned;
        if (scanned) {
            lo = irr_scan_y(chosen - 1); hi = irr_scan_y(chosen); f_lo = v[chosen - 1]; f_hi = v[chosen];
        }
    }
    double y;
    // with one or two sign changes a bracket holds exactly one root (an odd number, at most two in all), so
    // the neighbouring scenario's root is as good a start as the reference's
    bool unique = changes == 1 || changes == 2;
    if (unique && warm > lo && warm < hi) {
        y = warm;
    } else {
        double total_in = 0.0, total_out = 0.0, w_in = 0.0, w_out = 0.0;
        for (int i = 0; i < n; ++i) {
            double in = t_max(cf[i], 0.0), out = t_max(-cf[i], 0.0);
            total_in += in;
            total_out += out;
            w_in += in * t[i];
            w_out += out * t[i];
        }
        bool usable = total_in > 0.0 && total_out > 0.0;
        double spread = w_in / (usable ? total_in : 1.0) - w_out / (usable ? total_out : 1.0);
        double guess = (t_log(usable ? total_in : 1.1) - t_log(usable ? total_out : 1.0)) /
                       ((usable && spread > 0.0) ? spread : 1.0);
        y = (usable && spread > 0.0) ? guess : IRR_DEFAULT_GUESS_Y;
        y = t_clip(y, y_min + IRR_START_MARGIN, y_max - IRR_START_MARGIN);
        if (scanned && (y <= lo || y >= hi)) y = 0.5 * (lo + hi);
    }
    st.y = y; st.lo = lo; st.hi = hi; st.f_lo = f_lo; st.f_hi = f_hi; st.last_step = 0.0;
    st.lo_moved_last = false;
    st.bracketed = bracketed; st.exact_lo = exact_lo; st.exact_hi = exact_hi; st.unique = unique;
    st.active = bracketed && !exact_lo && !exact_hi;
    return true;
}

// One safeguarded Newton / Illinois step from the NPV and its slope at st.y (dcecon.model.finance).
// Written for a scalar state and, below, for the same state in vector lanes: the statements are the same.
DCECON_HD DCECON_INLINE void irr_update(IrrState& st, double value, double slope) {
    const double tol = IRR_STEP_TOLERANCE_F64;
    double y = st.y, lo = st.lo, hi = st.hi, f_lo = st.f_lo, f_hi = st.f_hi;
    bool move_lo = (value > 0.0) == (f_lo > 0.0);
    if (move_lo && st.lo_moved_last) f_hi = 0.5 * f_hi;
    if (!move_lo && !st.lo_moved_last) f_lo = 0.5 * f_lo;
    if (move_lo) { lo = y; f_lo = value; } else { hi = y; f_hi = value; }
    double newton = y - value / (slope == 0.0 ? 1.0 : slope);
    bool use_newton = slope != 0.0 && newton > lo && newton < hi;
    double denominator = f_hi - f_lo;
    double secant = (lo * f_hi - hi * f_lo) / (denominator == 0.0 ? 1.0 : denominator);
    if (!(denominator != 0.0 && secant > lo && secant < hi)) secant = 0.5 * (lo + hi);
    double candidate = use_newton ? newton : secant;
    // a false-position step that barely moves from a lopsided bracket is not convergence: bisect instead
    if (!use_newton && t_abs(candidate - y) <= tol && hi - lo > tol) candidate = 0.5 * (lo + hi);
    double step = t_abs(newton - y);
    bool done = value == 0.0 || (use_newton && step <= tol) || hi - lo <= tol;
    // quadratic convergence: the next step would be about rate * step^2; when that is far below the
    // tolerance, this step lands on the root (the one root of the bracket) to rounding, so the reference's
    // last, confirming iteration is skipped
    if (st.unique && use_newton && st.last_step != 0.0)
        done = done || step * step * (step / (st.last_step * st.last_step)) <= IRR_PREDICTED_STEP_FRACTION * tol;
    st.last_step = use_newton ? step : 0.0;
    st.lo_moved_last = move_lo;
    st.lo = lo; st.hi = hi; st.f_lo = f_lo; st.f_hi = f_hi;
    if (value != 0.0) st.y = candidate;
    if (done) st.active = false;
}

// The IRR from a finished iteration; `root_y` receives ln(1 + IRR) (NaN when there is none).
DCECON_HD DCECON_INLINE double irr_finish(IrrState& st, double& root_y) {
    double y = st.exact_lo ? IRR_Y_MIN : (st.exact_hi ? IRR_Y_MAX : st.y);
    root_y = t_nan<double>();
    if (!(st.bracketed && !st.active)) return t_nan<double>();
    root_y = y;
    return t_expm1(y);
}

// Returns the IRR [-/year]; `root_y` receives ln(1 + IRR) (NaN when there is none).
DCECON_HD double irr(const double* cf, const double* t, int n, int n_regular, const IrrSteps& k, double warm,
                     double& root_y) {
    IrrState st;
    root_y = t_nan<double>();
    if (!irr_setup(cf, t, n, n_regular, k, warm, st)) return t_nan<double>();
    for (int it = 0; it < IRR_MAX_ITERATIONS && st.active; ++it) {
        double value, slope;
        npv_slope(cf, t, n, n_regular, k.dt, st.y, value, slope);
        irr_update(st, value, slope);
    }
    return irr_finish(st, root_y);
}

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
typedef long long lanes_mask __attribute__((vector_size(LANES * sizeof(long long))));

// The IRRs of LANES scenarios at once: each lane's setup as irr_setup (branchy, one lane at a time), then the
// Newton / Illinois iterations of every lane together in vector registers - the statements of irr_update with
// masks - until no lane is active, then irr_finish per lane. Each lane computes what irr computes (the exp
// of each lane is the scalar exp), so the results are the same.
inline lanes_f64 irr_lanes(const lanes_f64* cf, const double* t, int n, int n_regular, const IrrSteps& k,
                           const double* warm, int n_lanes, double* root_y) {
    const double tol = IRR_STEP_TOLERANCE_F64;
    IrrState st[LANES];
    bool set[LANES];
    lanes_f64 y, lo, hi, f_lo, f_hi, last_step;
    lanes_mask lo_moved_last, active, unique;
    // every lane's sign changes in time order (capex first, when it comes no later than the first period end)
    // and NPV at the bracket's ends (the scan's first and last rates), in vector lanes
    bool ordered = true;
    for (int i = n_regular; i < n; ++i) ordered = ordered && !(n_regular > 0 && t[i] > t[0]);
    lanes_f64 changes = splat<lanes_f64>(0.0), last = splat<lanes_f64>(0.0);
    for (int q = 0; q < n; ++q) {
        int i = q < n - n_regular ? n_regular + q : q - (n - n_regular);
        lanes_f64 sign = cf[i] > 0.0 ? splat<lanes_f64>(1.0) : (cf[i] < 0.0 ? splat<lanes_f64>(-1.0) : splat<lanes_f64>(0.0));
        changes += (sign != 0.0) & (last != 0.0) & (sign != last) ? splat<lanes_f64>(1.0) : splat<lanes_f64>(0.0);
        last = sign != 0.0 ? sign : last;
    }
    lanes_f64 end_lo = splat<lanes_f64>(0.0), end_hi = splat<lanes_f64>(0.0);
    for (int i = 0; i < n_regular; ++i) {
        end_lo += cf[i] * k.factor[i][0];
        end_hi += cf[i] * k.factor[i][IRR_N_SCAN - 1];
    }
    for (int i = n_regular; i < n; ++i) {
        double at_lo = t[i] == 0.0 ? 1.0 : t_exp(-t[i] * irr_scan_y(0));
        double at_hi = t[i] == 0.0 ? 1.0 : t_exp(-t[i] * irr_scan_y(IRR_N_SCAN - 1));
        end_lo += t[i] == 0.0 ? cf[i] : cf[i] * at_lo;
        end_hi += t[i] == 0.0 ? cf[i] : cf[i] * at_hi;
    }
    for (int l = 0; l < LANES; ++l) {
        double flows[PERIOD_CAPACITY + COHORT_CAPACITY];
        for (int i = 0; i < n; ++i) flows[i] = cf[i][l];
        int lane_changes = ordered && last[l] != 0.0 ? int(changes[l]) : -1;  // as sign_changes
        set[l] = l < n_lanes && irr_setup(flows, t, n, n_regular, k, warm[l], st[l], true, lane_changes, end_lo[l],
                                          end_hi[l]);
        y[l] = set[l] ? st[l].y : 0.0; lo[l] = set[l] ? st[l].lo : -1.0; hi[l] = set[l] ? st[l].hi : 1.0;
        f_lo[l] = set[l] ? st[l].f_lo : 1.0; f_hi[l] = set[l] ? st[l].f_hi : -1.0; last_step[l] = 0.0;
        lo_moved_last[l] = 0;
        active[l] = set[l] && st[l].active ? -1 : 0;
        unique[l] = set[l] && st[l].unique ? -1 : 0;
    }
    const lanes_f64 zero = splat<lanes_f64>(0.0), one = splat<lanes_f64>(1.0), half = splat<lanes_f64>(0.5);
    for (int it = 0; it < IRR_MAX_ITERATIONS; ++it) {
        bool any = false;
        for (int l = 0; l < LANES; ++l) any |= active[l] != 0;
        if (!any) break;
        // NPV and slope in y = ln(1 + r) of every lane (npv_slope)
        lanes_f64 step, factor;
        for (int l = 0; l < LANES; ++l) {
            step[l] = t_exp(-k.dt * y[l]);
            factor[l] = n_regular > 0 ? (t[0] == k.dt ? step[l] : t_exp(-t[0] * y[l])) : 0.0;
        }
        lanes_f64 value = zero, sum = zero;
        for (int i = 0; i < n_regular; ++i) {
            lanes_f64 w = cf[i] * factor;
            value += w;
            sum += t[i] * w;
            factor *= step;
        }
        for (int i = n_regular; i < n; ++i) {
            lanes_f64 w;
            for (int l = 0; l < LANES; ++l) w[l] = t[i] == 0.0 ? cf[i][l] : cf[i][l] * t_exp(-t[i] * y[l]);
            value += w;
            sum += t[i] * w;
        }
        lanes_f64 slope = -sum;
        // irr_update, lane by lane in masks (act: the lanes still iterating)
        lanes_mask act = active;
        lanes_mask move_lo = (value > 0.0) == (f_lo > 0.0);
        f_hi = (act & move_lo & lo_moved_last) ? half * f_hi : f_hi;
        f_lo = (act & ~move_lo & ~lo_moved_last) ? half * f_lo : f_lo;
        lo = (act & move_lo) ? y : lo;
        f_lo = (act & move_lo) ? value : f_lo;
        hi = (act & ~move_lo) ? y : hi;
        f_hi = (act & ~move_lo) ? value : f_hi;
        lanes_f64 newton = y - value / (slope == 0.0 ? one : slope);
        lanes_mask use_newton = (slope != 0.0) & (newton > lo) & (newton < hi);
        lanes_f64 denominator = f_hi - f_lo;
        lanes_f64 secant = (lo * f_hi - hi * f_lo) / (denominator == 0.0 ? one : denominator);
        secant = ((denominator != 0.0) & (secant > lo) & (secant < hi)) ? secant : half * (lo + hi);
        lanes_f64 candidate = use_newton ? newton : secant;
        lanes_f64 moved = candidate - y;
        moved = moved < 0.0 ? -moved : moved;
        candidate = (~use_newton & (moved <= tol) & (hi - lo > tol)) ? half * (lo + hi) : candidate;
        lanes_f64 newton_step = newton - y;
        newton_step = newton_step < 0.0 ? -newton_step : newton_step;
        lanes_mask done = (value == 0.0) | (use_newton & (newton_step <= tol)) | (hi - lo <= tol);
        lanes_f64 rate_denominator = last_step * last_step;
        lanes_f64 predicted = newton_step * newton_step *
                              (newton_step / (rate_denominator == 0.0 ? one : rate_denominator));
        done |= unique & use_newton & (last_step != 0.0) & (predicted <= IRR_PREDICTED_STEP_FRACTION * tol);
        last_step = act ? (use_newton ? newton_step : zero) : last_step;
        lo_moved_last = act ? move_lo : lo_moved_last;
        y = (act & (value != 0.0)) ? candidate : y;
        active = act & ~done;
    }
    lanes_f64 result;
    for (int l = 0; l < LANES; ++l) {
        if (!set[l]) {
            result[l] = t_nan<double>();
            root_y[l] = t_nan<double>();
            continue;
        }
        st[l].y = y[l];
        st[l].active = active[l] != 0;
        result[l] = irr_finish(st[l], root_y[l]);
    }
    return result;
}
#endif

// What one thread keeps from scenario to scenario: the discount factors of the last discount rate and
// in-service dates (two pow per cohort, recomputed only when those change, as along most grid rows), the
// IRR's per-run constants, the last IRR root (the warm start of the next scenario's Newton) and each cohort's
// path (CohortPath).
struct RunCache {
    double discount, df_first, df_step;
    double capex_time[COHORT_CAPACITY], capex_df[COHORT_CAPACITY];
    int n_cohorts;
    bool valid;
    double last_root_y, previous_root_y;
    IrrSteps steps;
    CohortPath paths[COHORT_CAPACITY];
};

template <typename T>
DCECON_HD DCECON_INLINE void init_cache(const Grid<T>& g, RunCache& cache) {
    cache.valid = false;
    cache.n_cohorts = 0;
    cache.last_root_y = t_nan<double>();
    cache.previous_root_y = t_nan<double>();
    double dt = double(g.period_years);
    irr_steps(dt, double(T(g.j0) * g.period_years + g.period_years), g.n_periods, cache.steps);
    for (int c = 0; c < COHORT_CAPACITY; ++c) cache.paths[c].valid = false;
}

// All metrics of MASK for one scenario, or for Lanes<V>::count scenarios that share their cohorts' paths and
// discount rate (dcecon.model.fleet.window_and_lifetime and the evaluate figures).
// params: n_cohorts x N_PARAMS per lane (gpus already resolved); shared: the first lane's parameters (the
// path keys and in-service dates, equal in every lane); methods: n_cohorts; finance: discount (shared), tax.
// out[Metric] gets each lane's value for the metrics of MASK.
template <typename T, unsigned MASK, typename V>
DCECON_HD void evaluate_lanes(const Grid<T>& g, const V* params, const T* shared, const int* methods, T discount,
                              V tax, V* out, RunCache& cache, int n_lanes) {
    using W = Wants<MASK>;
    using D = typename Lanes<V>::Double;
    const V zero = splat<V>(0);
    V window[10] = {zero, zero, zero, zero, zero, zero, zero, zero, zero, zero};  // revenue dep power facility
                                                                                  // opex cogs gp ebitda energy billed
    V life_cogs = zero, life_billed = zero, weighted_hours = zero, slope = zero, fixed = zero;
    // cash flows, NPV and IRR in double whatever T: (1 + r)^-t at r = -99% overflows float beyond ~15 years
    constexpr int CF_CAPACITY = (W::irr || W::payback) ? PERIOD_CAPACITY + COHORT_CAPACITY : 1;
    D cf[CF_CAPACITY];
    double tt[CF_CAPACITY];
    D fcf_only[(W::payback) ? PERIOD_CAPACITY : 1];
    bool was_active[COHORT_CAPACITY];
    V terminal_value[COHORT_CAPACITY];
    AgeFactors<V> factors[COHORT_CAPACITY];
    // discount factors of the period ends: (1 + r)^-t_0, then one multiplication a period (cached)
    double growth = 1.0 + double(discount);
    bool fresh = !cache.valid || cache.discount != double(discount) || cache.n_cohorts != g.n_cohorts;
    for (int c = 0; c < g.n_cohorts && !fresh; ++c)
        fresh = cache.capex_time[c] != double(shared[c * N_PARAMS + IN_SERVICE_YEAR] - g.start_year);
    if (W::npv && fresh) {
        cache.discount = double(discount);
        cache.n_cohorts = g.n_cohorts;
        cache.df_first = t_pow(growth, -(double(T(g.j0) * g.period_years + g.period_years)));
        cache.df_step = t_pow(growth, -double(g.period_years));
        for (int c = 0; c < g.n_cohorts; ++c) {
            double when = double(shared[c * N_PARAMS + IN_SERVICE_YEAR] - g.start_year);
            cache.capex_time[c] = when;
            cache.capex_df[c] = t_pow(growth, -when);
        }
        cache.valid = true;
    }
    for (int c = 0; c < g.n_cohorts; ++c) {
        const V* p = params + c * N_PARAMS;
        was_active[c] = false;
        cohort_constants(g, p, factors[c]);
        const T* first = shared + c * N_PARAMS;
        if (!path_is_current(cache.paths[c], methods[c], first)) compute_path(g, methods[c], first, cache.paths[c]);
        V salvage = p[SALVAGE_FRACTION] * p[CAPEX_USD_PER_GPU];
        V share = p[FACILITY_CAPEX_USD_PER_MW] / T(1000) * p[POWER_KW_PER_GPU];
        V ratio = T(1) - p[SERVICE_LIFE_YEARS] / p[FACILITY_LIFE_YEARS];
        V clipped = ratio > T(1) ? splat<V>(1) : (ratio < T(0) ? zero : ratio);  // t_clip(ratio, 0, 1)
        terminal_value[c] = (salvage + share * clipped) * p[GPUS];
    }
    D inflows = splat<D>(0), ended_flows = splat<D>(0);
    double df = cache.df_first, df_previous = 0.0;
    PeriodFlows<V> f;
    for (int j = 0; j < g.n_periods; ++j) {
        V revenue = zero, dep = zero, power = zero, facility = zero, opex = zero, energy = zero, billed = zero;
        V cogs = zero, gp = zero, ebitda = zero;
        V terminal = zero;
        D ended = splat<D>(0);  // terminal values of cohorts whose last period was j - 1
        for (int c = 0; c < g.n_cohorts; ++c) {
            const V* p = params + c * N_PARAMS;
            cohort_period(g, p, j, cache.paths[c], factors[c], f);
            revenue += f.revenue; dep += f.depreciation; power += f.power_cost; facility += f.facility_cost;
            opex += f.opex; energy += f.energy_kwh; billed += f.billed_hours;
            V cohort_cogs = f.depreciation + f.power_cost + f.facility_cost + f.opex;
            cogs += cohort_cogs;
            gp += f.revenue - cohort_cogs;
            ebitda += f.revenue - f.power_cost - f.opex - f.facility_lease;
            if (W::breakeven) {
                weighted_hours += f.price_weighted_billed;
                V idle = p[IDLE_POWER_FRACTION];
                slope += f.revenue_at_full - f.power_at_full_load * (T(1) - idle);
                fixed += f.depreciation + f.facility_cost + f.opex + f.power_at_full_load * idle;
            }
            if (j > 0 && was_active[c] && !f.active) ended += in_double(terminal_value[c]);
            if (j == g.n_periods - 1 && f.active) terminal += terminal_value[c];
            was_active[c] = f.active;
        }
        int w = j - g.window_first;
        if (w >= 0 && w < g.window_periods) {
            window[0] += revenue; window[1] += dep; window[2] += power; window[3] += facility; window[4] += opex;
            window[5] += cogs; window[6] += gp; window[7] += ebitda; window[8] += energy; window[9] += billed;
        }
        if (W::lifetime) {
            life_cogs += cogs;
            life_billed += billed;
        }
        if (W::cash_flows) {
            V fcf = ebitda - tax * (gp < T(0) ? zero : gp);  // t_max(gp, 0), NaN kept as t_max keeps it
            D flow = in_double(fcf + terminal);
            if (W::npv) {
                inflows += flow * df + ended * df_previous;  // the ended cohorts' terminal values belong to j - 1
                df_previous = df;
                df *= cache.df_step;
            }
            if (W::irr || W::payback) {
                if (j > 0) cf[j - 1] += ended;
                cf[j] = flow;
                tt[j] = double(T(g.j0 + j) * g.period_years + g.period_years);
            }
            if (W::payback) fcf_only[j] = in_double(fcf);
        }
    }
    V capex_total = zero;
    T origin = t_inf<T>();
    D outflows = splat<D>(0);
    int n_cf = g.n_periods;
    for (int c = 0; c < g.n_cohorts; ++c) {
        const V* p = params + c * N_PARAMS;
        V share = p[FACILITY_CAPEX_USD_PER_MW] / T(1000) * p[POWER_KW_PER_GPU];
        V capex = (p[CAPEX_USD_PER_GPU] + share) * p[GPUS];
        T when = shared[c * N_PARAMS + IN_SERVICE_YEAR] - g.start_year;
        capex_total += capex;
        origin = t_min(origin, when);
        if (W::npv) outflows += in_double(capex) * cache.capex_df[c];
        if (W::irr || W::payback) {
            cf[n_cf] = -in_double(capex);
            tt[n_cf] = double(when);
            ++n_cf;
        }
    }
    const V nan = splat<V>(t_nan<T>()), inf = splat<V>(t_inf<T>());
    if (W::has(M_REVENUE_USD)) out[M_REVENUE_USD] = window[0];
    if (W::has(M_DEPRECIATION_USD)) out[M_DEPRECIATION_USD] = window[1];
    if (W::has(M_POWER_COST_USD)) out[M_POWER_COST_USD] = window[2];
    if (W::has(M_FACILITY_COST_USD)) out[M_FACILITY_COST_USD] = window[3];
    if (W::has(M_OPEX_USD)) out[M_OPEX_USD] = window[4];
    if (W::has(M_COGS_USD)) out[M_COGS_USD] = window[5];
    if (W::has(M_GROSS_PROFIT_USD)) out[M_GROSS_PROFIT_USD] = window[6];
    if (W::has(M_GROSS_MARGIN)) out[M_GROSS_MARGIN] = window[0] == T(0) ? nan : window[6] / window[0];
    if (W::has(M_EBITDA_USD)) out[M_EBITDA_USD] = window[7];
    if (W::has(M_ENERGY_KWH)) out[M_ENERGY_KWH] = window[8];
    if (W::npv) {
        D npv = inflows - outflows;
        for (int l = 0; l < n_lanes; ++l) set_lane(out[M_NPV_USD], l, T(lane(npv, l)));
    }
#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
    if constexpr (W::irr && Lanes<V>::count > 1) {  // every lane's IRR at once (irr_lanes)
        double warm[LANES], root_y[LANES];
        double last = cache.last_root_y, before = cache.previous_root_y;
        double trend = (before == before && t_abs(last - before) < 0.1) ? last - before : 0.0;
        for (int l = 0; l < LANES; ++l) warm[l] = last + (l + 1) * trend;  // along the row, evenly spaced
        lanes_f64 rates = irr_lanes(cf, tt, n_cf, g.n_periods, cache.steps, warm, n_lanes, root_y);
        out[M_IRR] = rates;
        for (int l = 0; l < n_lanes; ++l) {
            cache.previous_root_y = root_y[l] == root_y[l] ? cache.last_root_y : t_nan<double>();
            if (root_y[l] == root_y[l]) cache.last_root_y = root_y[l];
        }
    }
    constexpr bool irr_per_lane = W::irr && Lanes<V>::count == 1;
#else
    constexpr bool irr_per_lane = W::irr;
#endif
    if (irr_per_lane || W::payback) {
        for (int l = 0; l < n_lanes; ++l) {  // one lane at a time: iterations and early exits differ per scenario
            double flows[CF_CAPACITY];
            for (int i = 0; i < n_cf; ++i) flows[i] = lane(cf[i], l);
            if (irr_per_lane) {
                double root_y;
                // the warm start: the roots of the last two scenarios extrapolated (scenarios along a row are
                // evenly spaced), or the last root
                double last = cache.last_root_y, before = cache.previous_root_y;
                double warm = (before == before && t_abs(last - before) < 0.1) ? 2.0 * last - before : last;
                set_lane(out[M_IRR], l, T(irr(flows, tt, n_cf, g.n_periods, cache.steps, warm, root_y)));
                cache.previous_root_y = root_y == root_y ? last : t_nan<double>();
                if (root_y == root_y) cache.last_root_y = root_y;
            }
            if (W::payback) {
                // payback: cumulative free cash flow (terminal values excluded) reaching capex
                T payback = t_inf<T>();
                T cumulative = 0;
                T target = lane(capex_total, l);
                for (int j = 0; j < g.n_periods; ++j) {
                    T flow = T(lane(fcf_only[j], l));
                    cumulative += flow;
                    T previous = cumulative - flow;
                    if (cumulative >= target) {
                        T safe = flow > T(0) ? flow : T(1);
                        T within = previous >= target ? T(0) : t_clip((target - previous) / safe, T(0), T(1));
                        payback = T(g.j0 + j) * g.period_years + within * g.period_years - origin;
                        break;
                    }
                }
                set_lane(out[M_PAYBACK_YEARS], l, payback);
            }
        }
    }
    if (W::has(M_BREAKEVEN_PRICE_USD_PER_GPU_HOUR))
        out[M_BREAKEVEN_PRICE_USD_PER_GPU_HOUR] = weighted_hours == T(0) ? inf : life_cogs / weighted_hours;
    if (W::has(M_BREAKEVEN_UTILIZATION)) out[M_BREAKEVEN_UTILIZATION] = slope > T(0) ? fixed / slope : inf;
    if (W::has(M_COST_USD_PER_BILLED_GPU_HOUR))
        out[M_COST_USD_PER_BILLED_GPU_HOUR] = life_billed == T(0) ? inf : life_cogs / life_billed;
}

// All metrics of MASK for one scenario.
template <typename T, unsigned MASK>
DCECON_HD DCECON_INLINE void evaluate_scenario(const Grid<T>& g, const T* params, const int* methods, T discount,
                                               T tax, T* out, RunCache& cache) {
    evaluate_lanes<T, MASK, T>(g, params, params, methods, discount, tax, out, cache, 1);
}

}  // namespace dcecon
