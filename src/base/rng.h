/* rng.h — explicit-state random numbers (xoshiro256**, seeded through splitmix64).
 * All randomness in mta flows from an Rng passed by pointer; same seed, same stream. */
#ifndef MTA_RNG_H
#define MTA_RNG_H

#include <stdint.h>

typedef struct Rng { uint64_t s[4]; } Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_u64(Rng *r);
/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniform(Rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t rng_below(Rng *r, uint32_t n);
/* Standard normal (Box-Muller, double precision). */
double rng_normal(Rng *r);
/* In-place Fisher-Yates shuffle of a[0..n). */
void rng_shuffle(Rng *r, int *a, int n);

#endif
