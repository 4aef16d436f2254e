/*
 * values_gen.h - random algebraic types and random BSATN values of them,
 * for the property tests of types, BSATN, keys and Values (test_types.c,
 * test_bsatn.c, test_key.c, test_value.c).
 *
 * Everything is driven by a seeded generator (splitmix64), so a failure
 * reproduces from its seed.  Values are drawn mostly from small domains
 * (edge integers, a few short strings, short arrays, the float edge cases
 * NaN, +-0, +-inf, denormals) so that two random values are often equal or
 * share a long prefix, which is where ordering bugs hide.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#ifndef TINYSTDB_TESTS_VALUES_GEN_H
#define TINYSTDB_TESTS_VALUES_GEN_H

#include <stdint.h>
#include <string.h>

#include "db/types.h"
#include "util/vec.h"

typedef struct Rng {
    uint64_t s;
} Rng;

static inline uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint32_t rng_below(Rng *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

/* ---- random types --------------------------------------------------------- */

static const char *const gen_names[] = { "a", "b", "x", "name", "id", NULL };

static inline AlgType *gen_wrapper(Typespace *ts, const char *name, AlgKind k)
{
    AlgType *t = typespace_new_type(ts, ALG_PRODUCT, 1);
    t->members[0].name = name;
    t->members[0].type = alg_prim(k);
    return t;
}

/* One of the special types of module-abi.md §6, built inline. */
static inline const AlgType *gen_special(Typespace *ts, Rng *r)
{
    switch (rng_below(r, 6)) {
    case 0: return gen_wrapper(ts, "__identity__", ALG_U256);
    case 1: return gen_wrapper(ts, "__connection_id__", ALG_U128);
    case 2: return gen_wrapper(ts, "__timestamp_micros_since_unix_epoch__", ALG_I64);
    case 3: return gen_wrapper(ts, "__time_duration_micros__", ALG_I64);
    case 4: return gen_wrapper(ts, "__uuid__", ALG_U128);
    default: {
        AlgType *t = typespace_new_type(ts, ALG_SUM, 2);
        t->members[0].name = "Interval";
        t->members[0].type = gen_wrapper(ts, "__time_duration_micros__", ALG_I64);
        t->members[1].name = "Time";
        t->members[1].type = gen_wrapper(ts, "__timestamp_micros_since_unix_epoch__", ALG_I64);
        return t;
    }
    }
}

/* A random type at most `depth` constructors deep.  Refs point at types
 * added to ts just before, so no generated type is recursive. */
static inline const AlgType *gen_type(Typespace *ts, Rng *r, int depth)
{
    uint32_t pick = rng_below(r, depth > 0 ? 24 : 16);
    if (pick < 16)
        return alg_prim((AlgKind)(ALG_STRING + pick));   /* String, bool .. f64 */
    switch (pick) {
    case 16:
    case 17: {
        AlgType *t = typespace_new_type(ts, ALG_ARRAY, 0);
        t->elem = gen_type(ts, r, depth - 1);
        return t;
    }
    case 18:
    case 19: {
        uint32_t n = rng_below(r, 4);
        AlgType *t = typespace_new_type(ts, ALG_PRODUCT, n);
        for (uint32_t i = 0; i < n; i++) {
            t->members[i].name = gen_names[rng_below(r, 6)];
            t->members[i].type = gen_type(ts, r, depth - 1);
        }
        return n == 0 ? alg_unit() : t;
    }
    case 20: {
        uint32_t n = 1 + rng_below(r, 4);
        AlgType *t = typespace_new_type(ts, ALG_SUM, n);
        for (uint32_t i = 0; i < n; i++) {
            t->members[i].name = gen_names[rng_below(r, 6)];
            t->members[i].type = rng_below(r, 3) ? gen_type(ts, r, depth - 1) : alg_unit();
        }
        return t;
    }
    case 21: {   /* Option<T> */
        AlgType *t = typespace_new_type(ts, ALG_SUM, 2);
        t->members[0].name = "some";
        t->members[0].type = gen_type(ts, r, depth - 1);
        t->members[1].name = "none";
        t->members[1].type = alg_unit();
        return t;
    }
    case 22: {
        uint32_t ref;
        const AlgType *target = gen_type(ts, r, depth - 1);
        typespace_add(ts, target, &ref);
        AlgType *t = typespace_new_type(ts, ALG_REF, 0);
        t->ref = ref;
        return t;
    }
    default: return gen_special(ts, r);
    }
}

/* ---- random values ---------------------------------------------------------- */

static inline void gen_put(StrBuf *out, const void *p, size_t n)
{
    strbuf_append(out, p, n);
}

/* n little-endian bytes of an "interesting" integer. */
static inline void gen_int(Rng *r, unsigned n, StrBuf *out)
{
    uint8_t b[32];
    uint64_t x = rng_next(r);
    switch (rng_below(r, 8)) {
    case 0: memset(b, 0, n); break;                              /* 0 */
    case 1: memset(b, 0xFF, n); break;                           /* -1 / UMAX */
    case 2: memset(b, 0, n); b[n - 1] = 0x80; break;             /* MIN / 2^(k-1) */
    case 3: memset(b, 0xFF, n); b[n - 1] = 0x7F; break;          /* MAX */
    case 4: memset(b, 0, n); b[0] = (uint8_t)(x % 3); break;     /* 0, 1, 2 */
    case 5: memset(b, 0xFF, n); b[0] = (uint8_t)(0xFD + x % 3); break; /* -3..-1 */
    case 6: memset(b, x & 1 ? 0xFF : 0, n); b[n / 2] = (uint8_t)(x >> 8); break;
    default:
        for (unsigned i = 0; i < n; i++)
            b[i] = (uint8_t)rng_next(r);
    }
    gen_put(out, b, n);
}

static inline void gen_float(Rng *r, bool dbl, StrBuf *out)
{
    static const uint64_t f64s[] = {
        0, UINT64_C(0x8000000000000000), UINT64_C(0x3FF0000000000000),
        UINT64_C(0xBFF0000000000000), UINT64_C(0x7FF0000000000000),
        UINT64_C(0xFFF0000000000000), UINT64_C(0x7FF8000000000000),
        UINT64_C(0xFFF8000000000000), UINT64_C(0x7FF0000000000001),
        UINT64_C(0x7FFFFFFFFFFFFFFF), 1, UINT64_C(0x8000000000000001),
        UINT64_C(0x000FFFFFFFFFFFFF), UINT64_C(0x7FEFFFFFFFFFFFFF),
        UINT64_C(0xFFEFFFFFFFFFFFFF), UINT64_C(0x4000000000000000),
    };
    static const uint32_t f32s[] = {
        0, 0x80000000u, 0x3F800000u, 0xBF800000u, 0x7F800000u, 0xFF800000u,
        0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x7FFFFFFFu, 1, 0x80000001u,
        0x007FFFFFu, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x40000000u,
    };
    uint64_t bits = rng_next(r);
    if (rng_below(r, 4) != 0)
        bits = dbl ? f64s[rng_below(r, 16)] : f32s[rng_below(r, 16)];
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(bits >> 8 * i);
    gen_put(out, b, dbl ? 8 : 4);
}

static inline void gen_u32(StrBuf *out, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    gen_put(out, b, 4);
}

/* A short string over a tiny alphabet that includes NUL and 2-byte UTF-8. */
static inline void gen_string(Rng *r, StrBuf *out)
{
    static const char *const pieces[] = { "a", "b", "", "\0", "\xC3\xA9", "\x7F", "\xF0\x9F\x98\x80" };
    static const size_t piece_len[] = { 1, 1, 0, 1, 2, 1, 4 };
    uint32_t n = rng_below(r, 5);
    char buf[32];
    size_t len = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = rng_below(r, 7);
        memcpy(buf + len, pieces[k], piece_len[k]);
        len += piece_len[k];
    }
    gen_u32(out, (uint32_t)len);
    gen_put(out, buf, len);
}

static inline void gen_value(const Typespace *ts, const AlgType *t, Rng *r, StrBuf *out)
{
    t = alg_resolve(ts, t);
    switch (t->kind) {
    case ALG_BOOL: {
        uint8_t b = (uint8_t)rng_below(r, 2);
        gen_put(out, &b, 1);
        return;
    }
    case ALG_I8: case ALG_U8: gen_int(r, 1, out); return;
    case ALG_I16: case ALG_U16: gen_int(r, 2, out); return;
    case ALG_I32: case ALG_U32: gen_int(r, 4, out); return;
    case ALG_I64: case ALG_U64: gen_int(r, 8, out); return;
    case ALG_I128: case ALG_U128: gen_int(r, 16, out); return;
    case ALG_I256: case ALG_U256: gen_int(r, 32, out); return;
    case ALG_F32: gen_float(r, false, out); return;
    case ALG_F64: gen_float(r, true, out); return;
    case ALG_STRING: gen_string(r, out); return;
    case ALG_ARRAY: {
        uint32_t n = rng_below(r, 4);
        gen_u32(out, n);
        for (uint32_t i = 0; i < n; i++)
            gen_value(ts, t->elem, r, out);
        return;
    }
    case ALG_PRODUCT:
        for (uint32_t i = 0; i < t->nmembers; i++)
            gen_value(ts, t->members[i].type, r, out);
        return;
    case ALG_SUM: {
        uint8_t tag = (uint8_t)rng_below(r, t->nmembers);
        gen_put(out, &tag, 1);
        gen_value(ts, t->members[tag].type, r, out);
        return;
    }
    default: return;
    }
}

#endif
