// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: xoshiro256** (Blackman and Vigna, public domain algorithm). */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xD1342543DE82EF95ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	if (!n)
		return 0;
	/* Multiply-shift: bias below 2^-32, irrelevant for simulation. */
	return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

double rng_unit(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

bool rng_chance(struct rng *r, double p)
{
	if (p <= 0.0)
		return false;
	if (p >= 1.0)
		return true;
	return rng_unit(r) < p;
}

double rng_normal(struct rng *r)
{
	double u1 = rng_unit(r), u2 = rng_unit(r);

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint32_t rng_poisson(struct rng *r, double lambda, uint32_t cap)
{
	double l, p;
	uint32_t k = 0;

	if (lambda <= 0.0)
		return 0;
	if (lambda > 30.0) {
		/* Normal approximation: Knuth's product underflows for big means. */
		double v = lambda + sqrt(lambda) * rng_normal(r) + 0.5;

		if (v < 0)
			return 0;
		return v > cap ? cap : (uint32_t)v;
	}
	l = exp(-lambda);
	p = rng_unit(r);
	while (p > l && k < cap) {
		k++;
		p *= rng_unit(r);
	}
	return k;
}
