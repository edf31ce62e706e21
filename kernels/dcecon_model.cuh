// dcecon fused model: the per-scenario economics of model-spec sections 3-4.
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

#ifndef DCECON_MAX_COHORTS
#define DCECON_MAX_COHORTS 16
#endif
#ifndef DCECON_MAX_PERIODS
#define DCECON_MAX_PERIODS 768
#endif

namespace dcecon {

enum Param {
    GPUS = 0, IN_SERVICE_YEAR, SERVICE_LIFE_YEARS, CAPEX_USD_PER_GPU, BOOK_LIFE_YEARS, SALVAGE_FRACTION,
    POWER_KW_PER_GPU, IDLE_POWER_FRACTION, UTILIZATION, PRICE_USD_PER_GPU_HOUR, PRICE_DECLINE_PER_YEAR,
    MAINTENANCE_FRACTION, OTHER_OPEX_USD_PER_GPU_YEAR, PUE, ELECTRICITY_USD_PER_KWH, ELECTRICITY_ESCALATION,
    COLOCATION_USD_PER_KW_MONTH, FACILITY_CAPEX_USD_PER_MW, FACILITY_LIFE_YEARS, PRICE_STEP_YEAR, PRICE_STEP_CUT,
    GENERATION_INTERVAL_YEARS, GENERATION_PRICE_CUT, NEXT_GENERATION_YEAR,
    // inputs used only through another parameter (NaN when the cohort does not use them)
    IT_POWER_MW, PRICE_USD_PER_MILLION_TOKENS, TOKENS_PER_SECOND_PER_GPU, N_PARAMS
};

enum Method { STRAIGHT_LINE = 0, DOUBLE_DECLINING_BALANCE = 1, SUM_OF_YEARS_DIGITS = 2 };

enum Metric {
    REVENUE = 0, DEPRECIATION, POWER_COST, FACILITY_COST, OPEX, COGS, GROSS_PROFIT, GROSS_MARGIN, EBITDA,
    ENERGY_KWH, NPV, IRR, PAYBACK_YEARS, BREAKEVEN_PRICE, BREAKEVEN_UTILIZATION, COST_PER_BILLED_HOUR, N_METRICS
};

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
    return t_abs(raw - nearest) < T(1e-3) ? nearest : raw;  // AGE_SNAP_TOLERANCE_PERIODS
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
    T year_index = t_floor(age + T(1e-9));
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
template <typename T>
struct PeriodFlows {
    bool active;
    T revenue, depreciation, power_cost, facility_cost, opex, energy_kwh, billed_hours, facility_lease;
    T revenue_at_full, price_weighted_billed, power_at_full_load;
};

// Per-cohort state of one scenario: the terms that do not change from period to
// period (computed once, with the NumPy reference's operation order), and the
// growth factors x^age carried from period to period (pow once at the first
// period in service, then one multiplication per period, equal to pow to rounding).
template <typename T>
struct AgeFactors {
    bool started;
    T decline, escalation, decline_step, escalation_step;
    T billed, hours_price, load, full_load_kwh, gpu_energy, lease, building_rate, gpu_opex, life_periods;
};

template <typename T>
DCECON_HD DCECON_INLINE void cohort_constants(const Grid<T>& g, const T* p, AgeFactors<T>& af) {
    T hours = g.hours_per_period;
    T u = p[UTILIZATION];
    T ppy = T(g.periods_per_year);
    T idle = p[IDLE_POWER_FRACTION];
    af.started = false;
    af.billed = hours * u;
    af.hours_price = hours * p[PRICE_USD_PER_GPU_HOUR];
    af.load = idle + (T(1) - idle) * u;
    af.full_load_kwh = hours * p[POWER_KW_PER_GPU] * T(1) * p[PUE];
    af.gpu_energy = af.full_load_kwh * af.load;
    af.lease = p[COLOCATION_USD_PER_KW_MONTH] * T(12) / ppy * p[POWER_KW_PER_GPU];
    T share = p[FACILITY_CAPEX_USD_PER_MW] / T(1000) * p[POWER_KW_PER_GPU];
    af.building_rate = share / p[FACILITY_LIFE_YEARS] / ppy;
    af.gpu_opex = (p[MAINTENANCE_FRACTION] * p[CAPEX_USD_PER_GPU] + p[OTHER_OPEX_USD_PER_GPU_YEAR]) / ppy;
    af.life_periods = p[SERVICE_LIFE_YEARS] * ppy;
}

template <typename T>
DCECON_HD DCECON_INLINE void cohort_period(const Grid<T>& g, int method, const T* p, int j, PeriodFlows<T>& f,
                                           AgeFactors<T>& af) {
    T a_p = age_in_periods(g, p[IN_SERVICE_YEAR], j);
    f.active = (a_p >= T(0)) && (a_p < af.life_periods - T(1e-3));
    if (!f.active) {
        f.revenue = f.depreciation = f.power_cost = f.facility_cost = f.opex = f.energy_kwh = T(0);
        f.billed_hours = f.facility_lease = f.revenue_at_full = f.price_weighted_billed = T(0);
        f.power_at_full_load = T(0);
        return;
    }
    T ppy = T(g.periods_per_year);
    T age = a_p / ppy;
    if (!af.started) {
        // x^0 = 1, x^1 = x and 1^a = 1 exactly: skip pow in the common cases (start of life, annual periods, no
        // escalation)
        T decline_base = T(1) - p[PRICE_DECLINE_PER_YEAR];
        T escalation_base = T(1) + p[ELECTRICITY_ESCALATION];
        af.decline = age == T(0) ? T(1) : t_pow(decline_base, age);
        af.escalation = (age == T(0) || escalation_base == T(1)) ? T(1) : t_pow(escalation_base, age);
        af.decline_step = g.periods_per_year == 1 ? decline_base : t_pow(decline_base, g.period_years);
        af.escalation_step = (g.periods_per_year == 1 || escalation_base == T(1))
                                 ? escalation_base : t_pow(escalation_base, g.period_years);
        af.started = true;
    } else {
        af.decline *= af.decline_step;
        af.escalation *= af.escalation_step;
    }
    // price paths (dcecon.model.price_paths): a step cut at a date and generation arrivals
    T period_start = g.grid_start_year + T(j) / ppy;
    T step = period_start >= p[PRICE_STEP_YEAR] - T(1e-9) ? T(1) - p[PRICE_STEP_CUT] : T(1);
    T since = period_start - p[NEXT_GENERATION_YEAR];
    T arrivals = since >= T(-1e-9) ? t_floor(since / p[GENERATION_INTERVAL_YEARS] + T(1e-9)) + T(1) : T(0);
    T generations = arrivals > T(0) ? t_pow(T(1) - p[GENERATION_PRICE_CUT], arrivals) : T(1);
    T decline = af.decline * step * generations;
    T revenue_at_full = af.hours_price * decline;
    T gpu_revenue = revenue_at_full * p[UTILIZATION];
    T electricity = p[ELECTRICITY_USD_PER_KWH] * af.escalation;
    T gpu_power_cost = af.gpu_energy * electricity;
    // the building's straight line over the part of the period inside its life (dcecon.model.facility)
    T building = af.building_rate * ppy * t_clip(p[FACILITY_LIFE_YEARS] - age, T(0), g.period_years);
    // the book clock starts at the cohort's first grid period (dcecon.model.cohort)
    T book_age = t_floor(a_p + T(1e-9)) / ppy;
    T gpu_dep = period_depreciation(g, method, p, book_age);
    T n = p[GPUS];
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
// The first n_regular times are t_0 + i * dt (the period ends), so their
// factors exp(-t y) come from one exp and a running product.
template <typename T>
DCECON_HD DCECON_INLINE void npv_slope(const T* cf, const T* t, int n, int n_regular, T dt, T y, T& value,
                                       T& slope) {
    T v = T(0), s = T(0);
    T step = t_exp(-dt * y);
    T factor = n_regular > 0 ? (t[0] == dt ? step : t_exp(-t[0] * y)) : T(0);  // one exp when t0 = dt
    for (int i = 0; i < n_regular; ++i) {
        T w = cf[i] * factor;
        v += w;
        s += t[i] * w;
        factor *= step;
    }
    for (int i = n_regular; i < n; ++i) {
        T w = t[i] == T(0) ? cf[i] : cf[i] * t_exp(-t[i] * y);  // capex at the valuation date: exp(0) = 1
        v += w;
        s += t[i] * w;
    }
    value = v;
    slope = -s;
}

// IRR, the same safeguarded Newton / Illinois iteration as dcecon.model.finance.irr.
template <typename T>
DCECON_HD T irr(const T* cf, const T* t, int n, int n_regular, T dt) {
    const T y_min = T(-4.605170185988091);   // log1p(-0.99)
    const T y_max = T(6.908754779315221);    // log1p(1000)
    const T tol = sizeof(T) == 4 ? T(1e-6) : T(1e-13);
    T f_lo, f_hi, d;
    npv_slope(cf, t, n, n_regular, dt, y_min, f_lo, d);
    npv_slope(cf, t, n, n_regular, dt, y_max, f_hi, d);
    bool exact_lo = f_lo == T(0), exact_hi = f_hi == T(0);
    bool bracketed = (((f_lo > T(0)) != (f_hi > T(0))) || exact_lo || exact_hi) && t_isfinite(f_lo) &&
                     t_isfinite(f_hi);
    T lo = y_min, hi = y_max;
    bool scanned = false;
    if (!bracketed) {
        // the NPV has the same sign at both ends: scan IRR_SCAN_RATES (dcecon.model.finance) for a sign change,
        // preferring one where the NPV falls through zero as the rate rises, then the one nearest 0%
        const double rates[25] = {-0.99, -0.9, -0.75, -0.5, -0.3, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.15, 0.2,
                                  0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0, 1000.0};
        T best = t_inf<T>();
        T prev_y = T(log1p(rates[0])), prev_f, unused;
        npv_slope(cf, t, n, n_regular, dt, prev_y, prev_f, unused);
        for (int k = 1; k < 25; ++k) {
            T next_y = T(log1p(rates[k])), next_f;
            npv_slope(cf, t, n, n_regular, dt, next_y, next_f, unused);
            if (((prev_f > T(0)) != (next_f > T(0))) && t_isfinite(prev_f) && t_isfinite(next_f)) {
                T distance = prev_y * next_y > T(0) ? t_min(t_abs(prev_y), t_abs(next_y)) : T(0);
                T rank = prev_f > T(0) ? distance : distance + T(1e6);
                if (rank < best) {
                    best = rank; lo = prev_y; hi = next_y; f_lo = prev_f; f_hi = next_f;
                }
            }
            prev_y = next_y;
            prev_f = next_f;
        }
        scanned = best < t_inf<T>();
        bracketed = scanned;
    }
    T total_in = T(0), total_out = T(0), w_in = T(0), w_out = T(0);
    for (int i = 0; i < n; ++i) {
        T in = t_max(cf[i], T(0)), out = t_max(-cf[i], T(0));
        total_in += in;
        total_out += out;
        w_in += in * t[i];
        w_out += out * t[i];
    }
    bool usable = total_in > T(0) && total_out > T(0);
    T spread = w_in / (usable ? total_in : T(1)) - w_out / (usable ? total_out : T(1));
    T guess = (t_log(usable ? total_in : T(1.1)) - t_log(usable ? total_out : T(1))) /
              ((usable && spread > T(0)) ? spread : T(1));
    T y = (usable && spread > T(0)) ? guess : T(0.09531017980432487);  // log1p(0.1)
    y = t_clip(y, y_min + T(1e-3), y_max - T(1e-3));
    if (scanned && (y <= lo || y >= hi)) y = T(0.5) * (lo + hi);
    bool active = bracketed && !exact_lo && !exact_hi;
    bool lo_moved_last = false;
    for (int it = 0; it < 200 && active; ++it) {
        T value, slope;
        npv_slope(cf, t, n, n_regular, dt, y, value, slope);
        bool move_lo = (value > T(0)) == (f_lo > T(0));
        if (move_lo && lo_moved_last) f_hi = T(0.5) * f_hi;
        if (!move_lo && !lo_moved_last) f_lo = T(0.5) * f_lo;
        if (move_lo) { lo = y; f_lo = value; } else { hi = y; f_hi = value; }
        lo_moved_last = move_lo;
        T newton = y - value / (slope == T(0) ? T(1) : slope);
        bool use_newton = slope != T(0) && newton > lo && newton < hi;
        T denominator = f_hi - f_lo;
        T secant = (lo * f_hi - hi * f_lo) / (denominator == T(0) ? T(1) : denominator);
        if (!(denominator != T(0) && secant > lo && secant < hi)) secant = T(0.5) * (lo + hi);
        T candidate = use_newton ? newton : secant;
        // a false-position step that barely moves from a lopsided bracket is not convergence: bisect instead
        if (!use_newton && t_abs(candidate - y) <= tol && hi - lo > tol) candidate = T(0.5) * (lo + hi);
        bool done = value == T(0) || (use_newton && t_abs(newton - y) <= tol) || hi - lo <= tol;
        if (value != T(0)) y = candidate;
        if (done) active = false;
    }
    if (exact_lo) y = y_min;
    if (exact_hi) y = y_max;
    return (bracketed && !active) ? t_expm1(y) : t_nan<T>();
}

// All metrics of one scenario (dcecon.model.fleet.window_and_lifetime and the evaluate figures).
// params: n_cohorts x N_PARAMS (gpus already resolved), methods: n_cohorts, finance: discount, tax.
template <typename T>
DCECON_HD void evaluate_scenario(const Grid<T>& g, const T* params, const int* methods, T discount, T tax,
                                 T* out) {
    T window[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // revenue dep power facility opex cogs gp ebitda energy billed
    T life_cogs = 0, life_billed = 0, weighted_hours = 0, slope = 0, fixed = 0;
    // cash flows, NPV and IRR in double whatever T: (1 + r)^-t at r = -99% overflows float beyond ~15 years
    double cf[DCECON_MAX_PERIODS + DCECON_MAX_COHORTS];
    double tt[DCECON_MAX_PERIODS + DCECON_MAX_COHORTS];
    double fcf_only[DCECON_MAX_PERIODS];
    bool was_active[DCECON_MAX_COHORTS];
    T terminal_value[DCECON_MAX_COHORTS];
    AgeFactors<T> factors[DCECON_MAX_COHORTS];
    for (int c = 0; c < g.n_cohorts; ++c) {
        const T* p = params + c * N_PARAMS;
        was_active[c] = false;
        cohort_constants(g, p, factors[c]);
        T salvage = p[SALVAGE_FRACTION] * p[CAPEX_USD_PER_GPU];
        T share = p[FACILITY_CAPEX_USD_PER_MW] / T(1000) * p[POWER_KW_PER_GPU];
        T residual = share * t_clip(T(1) - p[SERVICE_LIFE_YEARS] / p[FACILITY_LIFE_YEARS], T(0), T(1));
        terminal_value[c] = (salvage + residual) * p[GPUS];
    }
    PeriodFlows<T> f;
    for (int j = 0; j < g.n_periods; ++j) {
        T revenue = 0, dep = 0, power = 0, facility = 0, opex = 0, energy = 0, billed = 0;
        T cogs = 0, gp = 0, ebitda = 0;
        T terminal = 0;
        for (int c = 0; c < g.n_cohorts; ++c) {
            const T* p = params + c * N_PARAMS;
            cohort_period(g, methods[c], p, j, f, factors[c]);
            revenue += f.revenue; dep += f.depreciation; power += f.power_cost; facility += f.facility_cost;
            opex += f.opex; energy += f.energy_kwh; billed += f.billed_hours;
            T cohort_cogs = f.depreciation + f.power_cost + f.facility_cost + f.opex;
            cogs += cohort_cogs;
            gp += f.revenue - cohort_cogs;
            ebitda += f.revenue - f.power_cost - f.opex - f.facility_lease;
            weighted_hours += f.price_weighted_billed;
            T idle = p[IDLE_POWER_FRACTION];
            slope += f.revenue_at_full - f.power_at_full_load * (T(1) - idle);
            fixed += f.depreciation + f.facility_cost + f.opex + f.power_at_full_load * idle;
            if (j > 0 && was_active[c] && !f.active) {
                // the cohort's last period was j - 1: its terminal value belongs there
                cf[j - 1] += terminal_value[c];
            }
            if (j == g.n_periods - 1 && f.active) terminal += terminal_value[c];
            was_active[c] = f.active;
        }
        int w = j - g.window_first;
        if (w >= 0 && w < g.window_periods) {
            window[0] += revenue; window[1] += dep; window[2] += power; window[3] += facility; window[4] += opex;
            window[5] += cogs; window[6] += gp; window[7] += ebitda; window[8] += energy; window[9] += billed;
        }
        life_cogs += cogs;
        life_billed += billed;
        T fcf = ebitda - tax * t_max(gp, T(0));
        fcf_only[j] = fcf;
        cf[j] = fcf + terminal;
        tt[j] = T(g.j0 + j) * g.period_years + g.period_years;
    }
    T capex_total = 0, npv = 0, origin = t_inf<T>();
    int n_cf = g.n_periods;
    for (int c = 0; c < g.n_cohorts; ++c) {
        const T* p = params + c * N_PARAMS;
        T share = p[FACILITY_CAPEX_USD_PER_MW] / T(1000) * p[POWER_KW_PER_GPU];
        T capex = (p[CAPEX_USD_PER_GPU] + share) * p[GPUS];
        T when = p[IN_SERVICE_YEAR] - g.start_year;
        capex_total += capex;
        origin = t_min(origin, when);
        cf[n_cf] = -capex;
        tt[n_cf] = when;
        ++n_cf;
    }
    double inflows = 0, outflows = 0;
    double growth = 1.0 + double(discount);
    double df = t_pow(growth, -tt[0]);
    double df_step = t_pow(growth, -double(g.period_years));
    for (int i = 0; i < g.n_periods; ++i) {
        inflows += cf[i] * df;
        df *= df_step;
    }
    for (int i = g.n_periods; i < n_cf; ++i) outflows += -cf[i] * t_pow(growth, -tt[i]);
    npv = T(inflows - outflows);
    // payback: cumulative free cash flow (terminal values excluded) reaching capex
    T payback = t_inf<T>();
    T cumulative = 0;
    for (int j = 0; j < g.n_periods; ++j) {
        cumulative += fcf_only[j];
        T previous = cumulative - fcf_only[j];
        if (cumulative >= capex_total) {
            T safe = fcf_only[j] > T(0) ? fcf_only[j] : T(1);
            T within = previous >= capex_total ? T(0) : t_clip((capex_total - previous) / safe, T(0), T(1));
            payback = T(g.j0 + j) * g.period_years + within * g.period_years - origin;
            break;
        }
    }
    out[REVENUE] = window[0];
    out[DEPRECIATION] = window[1];
    out[POWER_COST] = window[2];
    out[FACILITY_COST] = window[3];
    out[OPEX] = window[4];
    out[COGS] = window[5];
    out[GROSS_PROFIT] = window[6];
    out[GROSS_MARGIN] = window[0] == T(0) ? t_nan<T>() : window[6] / window[0];
    out[EBITDA] = window[7];
    out[ENERGY_KWH] = window[8];
    out[NPV] = npv;
    out[IRR] = T(irr<double>(cf, tt, n_cf, g.n_periods, double(g.period_years)));
    out[PAYBACK_YEARS] = payback;
    out[BREAKEVEN_PRICE] = weighted_hours == T(0) ? t_inf<T>() : life_cogs / weighted_hours;
    out[BREAKEVEN_UTILIZATION] = slope > T(0) ? fixed / slope : t_inf<T>();
    out[COST_PER_BILLED_HOUR] = life_billed == T(0) ? t_inf<T>() : life_cogs / life_billed;
}

}  // namespace dcecon
