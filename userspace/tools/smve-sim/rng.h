/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: deterministic pseudo-random streams (xoshiro256**, seeded with
 * splitmix64).  Each concern (value generation, faults) owns its own
 * stream so that enabling a fault never changes the generated data of a
 * given --seed.
 */
#ifndef SMVE_SIM_RNG_H
#define SMVE_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Seed @r from @seed and a @stream number (distinct streams never overlap in practice). */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_u64(struct rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);
/* True with probability p (p <= 0 never, p >= 1 always). */
bool rng_chance(struct rng *r, double p);
/* Standard normal deviate (Box-Muller). */
double rng_normal(struct rng *r);
/* Poisson deviate with mean @lambda, capped at @cap. */
uint32_t rng_poisson(struct rng *r, double lambda, uint32_t cap);

#endif
