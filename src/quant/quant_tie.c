/* quant_tie.c — compat tie winners (quirk Q5): emulation of the CPython set whose iteration
 * order the reference uses as its grid list (§2.6 steps 1-4, CPython 3.7 ... 3.12
 * Objects/setobject.c: set_add_entry, set_table_resize, set_insert_clean, and
 * Python/pyhash.c: _Py_HashDouble). */
#include "quant/quant.h"

#include "base/check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define PYHASH_BITS 61
#define PYHASH_MODULUS ((UINT64_C(1) << PYHASH_BITS) - 1)
#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5
#define SET_MINSIZE 8

/* CPython's hash of the float v: |v| = odd·2^k -> odd·2^(k mod 61) mod (2^61 - 1), negated
 * for v < 0, -1 -> -2.  Multiplying by 2^r mod 2^61-1 is a rotation within 61 bits. */
static int64_t py_hash_float(float v)
{
    if (v == 0.0f) return 0;
    int k;
    double f = frexp(fabs((double)v), &k);                /* |v| = f·2^k, f in [0.5, 1) */
    uint64_t odd = (uint64_t)ldexp(f, 53);
    k -= 53;
    while (!(odd & 1)) { odd >>= 1; k++; }
    int r = ((k % PYHASH_BITS) + PYHASH_BITS) % PYHASH_BITS;
    uint64_t h = r ? ((odd << r) & PYHASH_MODULUS) | (odd >> (PYHASH_BITS - r)) : odd;
    int64_t sh = v < 0.0f ? -(int64_t)h : (int64_t)h;
    return sh == -1 ? -2 : sh;
}

typedef struct { float v; int64_t h; int used; } Slot;

/* Open addressing with linear probes, then perturbation (set_insert_clean). */
static void slot_place(Slot *tab, uint64_t mask, float v, int64_t h)
{
    uint64_t perturb = (uint64_t)h, i = (uint64_t)h & mask;
    for (;;) {
        if (!tab[i].used) break;
        if (i + LINEAR_PROBES <= mask) {
            uint64_t j;
            for (j = 1; j <= LINEAR_PROBES && tab[i + j].used; j++) {}
            if (j <= LINEAR_PROBES) { i += j; break; }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
    tab[i].v = v;
    tab[i].h = h;
    tab[i].used = 1;
}

/* The set: table[mask+1] (owned), fill == used (nothing is ever deleted). */
typedef struct { Slot *tab; uint64_t mask; size_t used; } PySet;

static void set_resize(PySet *set)
{
    size_t minused = set->used > 50000 ? set->used * 2 : set->used * 4, size = SET_MINSIZE;
    while (size <= minused) size <<= 1;
    Slot *old = set->tab;
    uint64_t oldmask = set->mask;
    set->tab = xcalloc(size, sizeof *set->tab);
    set->mask = size - 1;
    for (uint64_t i = 0; i <= oldmask; i++)
        if (old[i].used) slot_place(set->tab, set->mask, old[i].v, old[i].h);
    free(old);
}

static void set_add(PySet *set, float v)
{
    slot_place(set->tab, set->mask, v, py_hash_float(v));
    set->used++;
    if (set->used * 5 >= set->mask * 3) set_resize(set);
}

int quant_set_order(const QuantSpec *s, float *values)
{
    CHECK(s->type != QUANT_INT, "set order is defined for POT/FLOAT grids only");
    int ng = quant_grid_size(s), nc = (ng + 1) / 2;
    PySet set = {xcalloc(SET_MINSIZE, sizeof(Slot)), SET_MINSIZE - 1, 0};
    set_add(&set, 0.0f);                                  /* build order: 0, then +g, -g */
    for (int c = 1; c < nc; c++) {
        float g = quant_code_value(s, c);
        set_add(&set, g);
        set_add(&set, -g);
    }
    int n = 0;
    for (uint64_t i = 0; i <= set.mask; i++)
        if (set.tab[i].used) values[n++] = set.tab[i].v;
    free(set.tab);
    CHECK(n == ng, "set holds %d values, expected %d", n, ng);
    return n;
}

void quant_ties_init(QuantTies *t, const QuantSpec *s)
{
    int ng = quant_grid_size(s), nc = (ng + 1) / 2;
    float *order = xmalloc((size_t)ng * sizeof *order);
    int *pos = xmalloc(2 * (size_t)nc * sizeof *pos);     /* [2][nc]: position of ±code */
    for (int i = 0; i < 2 * nc; i++) pos[i] = -1;
    quant_set_order(s, order);
    for (int j = 0; j < ng; j++) {
        int c = quant_code_index(s, fabsf(order[j]));
        if (order[j] >= 0.0f) pos[c] = j;
        if (order[j] <= 0.0f) pos[nc + c] = j;
    }
    t->npairs = nc - 1;
    t->hi_wins = xmalloc(2 * (size_t)t->npairs);
    for (int side = 0; side < 2; side++)
        for (int c = 0; c < t->npairs; c++) {
            const int *p = pos + (size_t)side * (size_t)nc;
            CHECK(p[c] >= 0 && p[c + 1] >= 0, "code %d missing from the set order", c);
            t->hi_wins[(size_t)side * (size_t)t->npairs + (size_t)c] = p[c + 1] < p[c];
        }
    free(pos);
    free(order);
}

void quant_ties_free(QuantTies *t)
{
    if (!t) return;
    free(t->hi_wins);
    t->hi_wins = NULL;
    t->npairs = 0;
}
