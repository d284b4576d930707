/*
 * bench_zipf.c -- Zipf sampling by rejection-inversion (bench_zipf.h).
 *
 * With h(x) = x^-s, the hat H is a primitive of h:
 * H(x) = (x^(1-s) - 1) / (1-s), written through expm1 and log1p so that
 * it stays exact as s approaches 1 (where H becomes log x). A uniform u
 * between H(n + 0.5) and H(1.5) - 1 is mapped through H^-1 to x, rounded
 * to the rank k; k is accepted when u lies in the part of the strip
 * [H(k + 0.5) - h(k), H(k + 0.5)] under the hat, which has width h(k),
 * the weight of k.
 */
#include <errno.h>
#include <math.h>

#include "bench_zipf.h"

/* expm1_over -- (e^x - 1) / x, 1 at 0. */
static double
expm1_over(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x / 2 * (1 + x / 3);
}

/* log1p_over -- log(1 + x) / x, 1 at 0. */
static double
log1p_over(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x / 3);
}

/* hat -- h(x) = x^-s. */
static double
hat(double s, double x)
{
	return exp(-s * log(x));
}

/* hat_integral -- H(x) = (x^(1-s) - 1) / (1 - s). */
static double
hat_integral(double s, double x)
{
	double lx = log(x);

	return expm1_over((1 - s) * lx) * lx;
}

/* hat_integral_inv -- H^-1(y). */
static double
hat_integral_inv(double s, double y)
{
	double t = y * (1 - s);

	if (t < -1)             /* rounding below the domain */
		t = -1;
	return exp(log1p_over(t) * y);
}

int
bench_zipf_init(struct bench_zipf *z, uint64_t n, double s)
{
	if (n == 0 || !(s > 0) || !isfinite(s))
		return -EINVAL;
	z->n = n;
	z->s = s;
	z->h_x1 = hat_integral(s, 1.5) - 1;
	z->h_n = hat_integral(s, (double)n + 0.5);
	z->cut = 2 - hat_integral_inv(s, hat_integral(s, 2.5) - hat(s, 2));
	return 0;
}

uint64_t
bench_zipf_next(const struct bench_zipf *z, struct bench_rng *r)
{
	for (;;) {
		double u = z->h_n + bench_rng_double(r) * (z->h_x1 - z->h_n);
		double x = hat_integral_inv(z->s, u);
		double kd = floor(x + 0.5);
		if (kd < 1)
			kd = 1;
		else if (kd > (double)z->n)
			kd = (double)z->n;
		if (kd - x <= z->cut ||
		    u >= hat_integral(z->s, kd + 0.5) - hat(z->s, kd))
			return (uint64_t)kd;
	}
}
