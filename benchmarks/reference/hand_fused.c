/* The limit reference of benchmarks/bench_limits.py: a hand-written fused C loop of the bench model.
 *
 * One H100 cohort in service at the valuation date, annual periods, straight-line depreciation, a leased
 * hall, no salvage, no opex, pre-tax or taxed on positive gross profit (docs/model.md, "Window P&L" and
 * "Investment view"), over the bench grid utilization x price x book life x price decline x PUE
 * (outermost first). For each scenario it computes the window gross margin and the NPV the way one would
 * write them by hand - a period loop per scenario, the price decline and the discount factor carried by
 * multiplication - and reduces them to sum, min and max. No decoding, no tables, no sketches, no IRR: the
 * speed a grid engine that computes only these two figures could reach.
 *
 * Built by the benchmark with the host compiler (-O3 -march=native -fopenmp) and called through ctypes.
 */
#include <math.h>

typedef struct {
    double gpus, capex_usd_per_gpu, power_kw_per_gpu, idle_power_fraction, electricity_usd_per_kwh;
    double colocation_usd_per_kw_month, discount_rate, tax_rate, hours_per_year;
    int window_years, life_years;
} BenchModel;

/* out: [sum_gm, min_gm, max_gm, sum_npv, min_npv, max_npv] */
int hand_fused(const BenchModel* model, const double* utilization, int n_u, const double* price, int n_p,
               const double* book_life, int n_l, const double* decline, int n_d, const double* pue, int n_pue,
               int threads, double* out) {
    const BenchModel m = *model;
    double sum_gm = 0.0, min_gm = INFINITY, max_gm = -INFINITY;
    double sum_npv = 0.0, min_npv = INFINITY, max_npv = -INFINITY;
    const double lease = m.colocation_usd_per_kw_month * 12.0 * m.power_kw_per_gpu * m.gpus;
    const double capex = m.capex_usd_per_gpu * m.gpus;
#pragma omp parallel for collapse(2) num_threads(threads) schedule(static) \
    reduction(+ : sum_gm, sum_npv) reduction(min : min_gm, min_npv) reduction(max : max_gm, max_npv)
    for (int iu = 0; iu < n_u; ++iu) {
        for (int ip = 0; ip < n_p; ++ip) {
            for (int il = 0; il < n_l; ++il) {
                for (int id = 0; id < n_d; ++id) {
                    for (int ie = 0; ie < n_pue; ++ie) {
                        double u = utilization[iu], life = book_life[il];
                        double load = m.idle_power_fraction + (1.0 - m.idle_power_fraction) * u;
                        double power = m.gpus * m.power_kw_per_gpu * pue[ie] * m.hours_per_year * load *
                                       m.electricity_usd_per_kwh;
                        double revenue_0 = price[ip] * m.hours_per_year * u * m.gpus;
                        double factor = 1.0, df = 1.0 / (1.0 + m.discount_rate);
                        double revenue_sum = 0.0, gp_sum = 0.0, npv = -capex;
                        for (int j = 0; j < m.life_years; ++j) {
                            double inside = life - j;
                            inside = inside < 0.0 ? 0.0 : (inside > 1.0 ? 1.0 : inside);
                            double dep = capex / life * inside;
                            double revenue = revenue_0 * factor;
                            double gp = revenue - dep - power - lease;
                            if (j < m.window_years) {
                                revenue_sum += revenue;
                                gp_sum += gp;
                            }
                            double fcf = revenue - power - lease - m.tax_rate * (gp > 0.0 ? gp : 0.0);
                            npv += fcf * df;
                            df /= (1.0 + m.discount_rate);
                            factor *= 1.0 - decline[id];
                        }
                        double gm = gp_sum / revenue_sum;
                        sum_gm += gm;
                        min_gm = gm < min_gm ? gm : min_gm;
                        max_gm = gm > max_gm ? gm : max_gm;
                        sum_npv += npv;
                        min_npv = npv < min_npv ? npv : min_npv;
                        max_npv = npv > max_npv ? npv : max_npv;
                    }
                }
            }
        }
    }
    out[0] = sum_gm; out[1] = min_gm; out[2] = max_gm;
    out[3] = sum_npv; out[4] = min_npv; out[5] = max_npv;
    return 0;
}
