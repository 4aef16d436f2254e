/*
 * test_bsatn.c - BSATN validation, comparison and measuring
 * (src/db/bsatn.c): every error with its message and offset, strict
 * UTF-8, hostile counts and types (which must fail fast), SpacetimeDB's
 * order on hand-picked ladders of values for every kind, product spans,
 * and a seeded mutation fuzz.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/bsatn.h"
#include "db/value.h"
#include "util/alloc.h"
#include "values_gen.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static Typespace ts;

static int setup(void **state)
{
    (void)state;
    typespace_init(&ts);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    typespace_fini(&ts);
    return 0;
}

static const AlgType *P(AlgKind k)
{
    return alg_prim(k);
}

static const AlgType *array_of(const AlgType *e)
{
    AlgType *t = typespace_new_type(&ts, ALG_ARRAY, 0);
    t->elem = e;
    return t;
}

static const AlgType *option_of(const AlgType *e)
{
    AlgType *t = typespace_new_type(&ts, ALG_SUM, 2);
    t->members[0] = (AlgMember){ "some", e };
    t->members[1] = (AlgMember){ "none", alg_unit() };
    return t;
}

static const AlgType *product2(const AlgType *a, const AlgType *b)
{
    AlgType *t = typespace_new_type(&ts, ALG_PRODUCT, 2);
    t->members[0] = (AlgMember){ "a", a };
    t->members[1] = (AlgMember){ "b", b };
    return t;
}

static const AlgType *ref_to(uint32_t n)
{
    AlgType *t = typespace_new_type(&ts, ALG_REF, 0);
    t->ref = n;
    return t;
}

static void assert_valid(const AlgType *t, const uint8_t *p, size_t len)
{
    DbError err = {0};
    Status st = bsatn_validate_exact(&ts, t, p, len, &err);
    if (st != ST_OK)
        fail_msg("expected valid, got %s: %s", status_str(st), err.msg);
    assert_int_equal(bsatn_value_len(&ts, t, p), len);
}

static void assert_invalid(const AlgType *t, const uint8_t *p, size_t len, Status want,
                           const char *words)
{
    DbError err = {0};
    Status st = bsatn_validate_exact(&ts, t, p, len, &err);
    if (st != want)
        fail_msg("expected %s, got %s (%s)", status_str(want), status_str(st), err.msg);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    if (!strstr(err.msg, words))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, words);
}

static void test_bsatn_prims(void **state)
{
    (void)state;
    static const struct { AlgKind k; size_t n; } widths[] = {
        { ALG_BOOL, 1 }, { ALG_I8, 1 }, { ALG_U8, 1 }, { ALG_I16, 2 }, { ALG_U16, 2 },
        { ALG_I32, 4 }, { ALG_U32, 4 }, { ALG_I64, 8 }, { ALG_U64, 8 }, { ALG_I128, 16 },
        { ALG_U128, 16 }, { ALG_I256, 32 }, { ALG_U256, 32 }, { ALG_F32, 4 }, { ALG_F64, 8 },
    };
    uint8_t zeros[40] = {0};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        const AlgType *t = P(widths[i].k);
        assert_valid(t, zeros, widths[i].n);
        assert_int_equal(bsatn_fixed_size(&ts, t), widths[i].n);
        assert_invalid(t, zeros, widths[i].n - 1, ST_MALFORMED, "truncated");
        assert_invalid(t, zeros, widths[i].n + 1, ST_MALFORMED, "trailing bytes");
    }
    assert_invalid(P(ALG_U64), zeros, 3, ST_MALFORMED,
                   "truncated: u64 at byte 0 needs 8 bytes, 3 left");
    assert_valid(P(ALG_BOOL), BYTES(1));
    assert_invalid(P(ALG_BOOL), BYTES(2), ST_MALFORMED, "bad bool byte 0x02 at byte 0");
    assert_invalid(array_of(P(ALG_BOOL)), BYTES(3, 0, 0, 0, 1, 0, 0xFF), ST_MALFORMED,
                   "bad bool byte 0xff at byte 6");
    size_t used = 99;
    assert_int_equal(bsatn_validate(&ts, P(ALG_U16), BYTES(1, 2, 3), &used, NULL), ST_OK);
    assert_int_equal(used, 2);
}

static void test_bsatn_strings(void **state)
{
    (void)state;
    const AlgType *s = P(ALG_STRING);
    assert_valid(s, BYTES(0, 0, 0, 0));
    assert_valid(s, BYTES(3, 0, 0, 0, 'a', 0, 'b'));                     /* NUL is fine */
    assert_valid(s, BYTES(2, 0, 0, 0, 0xC3, 0xA9));                      /* U+00E9 */
    assert_valid(s, BYTES(3, 0, 0, 0, 0xEF, 0xBF, 0xBF));                /* U+FFFF */
    assert_valid(s, BYTES(4, 0, 0, 0, 0xF4, 0x8F, 0xBF, 0xBF));          /* U+10FFFF */
    assert_valid(s, BYTES(3, 0, 0, 0, 0xEE, 0x80, 0x80));                /* U+E000 */
    static const struct { uint8_t b[12]; size_t n; const char *msg; } bad[] = {
        { { 2, 0, 0, 0, 0xC0, 0x80 }, 6, "invalid UTF-8 at byte 4" },          /* overlong NUL */
        { { 3, 0, 0, 0, 'a', 0xC1, 0xBF }, 7, "invalid UTF-8 at byte 5" },     /* overlong */
        { { 3, 0, 0, 0, 0xE0, 0x80, 0x80 }, 7, "invalid UTF-8 at byte 4" },    /* overlong 3 */
        { { 4, 0, 0, 0, 0xF0, 0x80, 0x80, 0x80 }, 8, "invalid UTF-8 at byte 4" },
        { { 3, 0, 0, 0, 0xED, 0xA0, 0x80 }, 7, "invalid UTF-8 at byte 4" },    /* U+D800 */
        { { 3, 0, 0, 0, 0xED, 0xBF, 0xBF }, 7, "invalid UTF-8 at byte 4" },    /* U+DFFF */
        { { 4, 0, 0, 0, 0xF4, 0x90, 0x80, 0x80 }, 8, "invalid UTF-8 at byte 4" }, /* > 10FFFF */
        { { 1, 0, 0, 0, 0x80 }, 5, "invalid UTF-8 at byte 4" },                /* stray */
        { { 3, 0, 0, 0, 'a', 'b', 0xC3 }, 7, "invalid UTF-8 at byte 6" },      /* cut short */
        { { 2, 0, 0, 0, 0xF8, 0x88 }, 6, "invalid UTF-8 at byte 4" },
        { { 1, 0, 0, 0, 0xFF }, 5, "invalid UTF-8 at byte 4" },
        { { 5, 0, 0, 0, 'a' }, 5, "truncated: string at byte 0 needs 9 bytes, 5 left" },
        { { 5, 0, 0 }, 3, "truncated: string length" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_invalid(s, bad[i].b, bad[i].n, ST_MALFORMED, bad[i].msg);
    /* the cut-short sequence is valid once the string is long enough */
    assert_valid(s, BYTES(4, 0, 0, 0, 'a', 'b', 0xC3, 0xA9));
}

static void test_bsatn_sums_products(void **state)
{
    (void)state;
    const AlgType *opt = option_of(P(ALG_STRING));
    assert_valid(opt, BYTES(1));
    assert_valid(opt, BYTES(0, 1, 0, 0, 0, 'x'));
    assert_invalid(opt, BYTES(2), ST_MALFORMED,
                   "bad sum tag 2 at byte 0 for Option<String> with 2 variants");
    assert_invalid(opt, BYTES(0), ST_MALFORMED, "truncated: string length at byte 1");
    assert_invalid(opt, NULL, 0, ST_MALFORMED, "truncated: sum tag at byte 0");
    const AlgType *pair = product2(P(ALG_U8), opt);
    assert_valid(pair, BYTES(7, 1));
    assert_invalid(pair, BYTES(7, 7), ST_MALFORMED, "bad sum tag 7 at byte 1");
    assert_valid(alg_unit(), NULL, 0);
    assert_invalid(alg_unit(), BYTES(0), ST_MALFORMED, "trailing bytes: value ends at byte 0 of 1");
    AlgType *never = typespace_new_type(&ts, ALG_SUM, 0);
    assert_invalid(never, BYTES(0), ST_MALFORMED, "bad sum tag 0");
    assert_invalid(ref_to(5), BYTES(0), ST_INVALID, "dangling ref 5");
    assert_invalid(product2(P(ALG_U8), ref_to(9)), BYTES(0, 0), ST_INVALID, "dangling ref 9");
}

/* Option<Option<...<u8>>>: 64 sums nest fine, 65 do not. */
static void test_bsatn_depth(void **state)
{
    (void)state;
    for (int k = 60; k <= 70; k++) {
        const AlgType *t = P(ALG_U8);
        for (int i = 0; i < k; i++)
            t = option_of(t);
        uint8_t buf[80] = {0};
        DbError err;
        Status st = bsatn_validate_exact(&ts, t, buf, (size_t)k + 1, &err);
        assert_int_equal(st, k <= BSATN_MAX_DEPTH ? ST_OK : ST_LIMIT);
        if (st != ST_OK)
            assert_non_null(strstr(err.msg, "nested deeper than 64"));
        buf[k - 1] = 1;   /* None's unit payload is one level deeper than the u8 */
        st = bsatn_validate_exact(&ts, t, buf, (size_t)k, &err);
        assert_int_equal(st, k < BSATN_MAX_DEPTH ? ST_OK : ST_LIMIT);
    }
    /* a recursive type: List = (nil: () | cons: (head: u8, tail: &List)) */
    uint32_t self = ts.ntypes;
    AlgType *list = typespace_new_type(&ts, ALG_SUM, 2);
    list->members[0] = (AlgMember){ "nil", alg_unit() };
    list->members[1] = (AlgMember){ "cons", product2(P(ALG_U8), ref_to(self)) };
    assert_int_equal(typespace_add(&ts, list, NULL), ST_OK);
    uint8_t buf[1000];
    for (int n = 0; n < 400; n += 7) {   /* n elements: n * (1, head), then 0 */
        for (int i = 0; i < n; i++)
            buf[2 * i] = 1, buf[2 * i + 1] = (uint8_t)i;
        buf[2 * n] = 0;
        Status st = bsatn_validate_exact(&ts, ref_to(self), buf, 2 * (size_t)n + 1, NULL);
        assert_int_equal(st, 2 * n < BSATN_MAX_DEPTH ? ST_OK : ST_LIMIT);
    }
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Counts and types crafted to make a naive walker allocate or loop for
 * hours; all must fail at once. */
static void test_bsatn_hostile(void **state)
{
    (void)state;
    double t0 = seconds();
    const uint8_t huge[] = { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    assert_invalid(array_of(P(ALG_U8)), huge, sizeof huge, ST_MALFORMED, "4294967295 elements");
    assert_invalid(array_of(P(ALG_STRING)), huge, sizeof huge, ST_MALFORMED, "truncated: array");
    assert_invalid(array_of(P(ALG_STRING)), huge, sizeof huge, ST_MALFORMED, ">= 4 bytes each");
    assert_invalid(array_of(alg_unit()), huge, 4, ST_LIMIT, "too long");
    assert_invalid(P(ALG_STRING), huge, sizeof huge, ST_MALFORMED, "truncated: string");
    /* Array<()> with few elements is fine and costs no bytes */
    assert_valid(array_of(alg_unit()), BYTES(200, 0, 0, 0));
    /* Array<Array<()>>: 10000 arrays of 1000 units = 10^7 steps for 40 KB */
    static uint8_t nested[4 + 10000 * 4];
    nested[0] = 0x10, nested[1] = 0x27;   /* 10000 */
    for (int i = 0; i < 10000; i++)
        nested[4 + 4 * i] = 0xE8, nested[5 + 4 * i] = 0x03;   /* 1000 */
    assert_invalid(array_of(array_of(alg_unit())), nested, sizeof nested, ST_LIMIT, "too");
    /* 2^41 nodes through refs: T_i = (&T_i+1, &T_i+1), T_40 = () */
    uint32_t base = ts.ntypes;
    for (uint32_t i = 0; i < 40; i++)
        assert_int_equal(typespace_add(&ts, product2(ref_to(base + i + 1), ref_to(base + i + 1)),
                                       NULL), ST_OK);
    assert_int_equal(typespace_add(&ts, alg_unit(), NULL), ST_OK);
    assert_invalid(ref_to(base), NULL, 0, ST_LIMIT, "too complex");
    assert_int_equal(bsatn_fixed_size(&ts, ref_to(base)), SIZE_MAX);   /* gave up */
    assert_int_equal(bsatn_fixed_size(&ts, ref_to(base + 35)), 0);      /* small enough */
    /* the same with u8 leaves: needs 2^40 bytes, truncated after 100 */
    uint32_t base2 = ts.ntypes;
    for (uint32_t i = 0; i < 40; i++)
        typespace_add(&ts, product2(ref_to(base2 + i + 1), ref_to(base2 + i + 1)), NULL);
    typespace_add(&ts, P(ALG_U8), NULL);
    uint8_t hundred[100] = {0};
    assert_invalid(ref_to(base2), hundred, sizeof hundred, ST_MALFORMED, "truncated: u8 at byte 100");
    /* value_decode allocates nothing for rejected input */
    Arena a;
    arena_init(&a);
    Value *v;
    assert_int_equal(value_decode(&a, &ts, array_of(alg_unit()), huge, 4, NULL, &v, NULL), ST_LIMIT);
    assert_int_equal(value_decode(&a, &ts, array_of(P(ALG_U64)), huge, sizeof huge, NULL, &v, NULL),
                     ST_MALFORMED);
    assert_int_equal(a.total, 0);
    arena_fini(&a);
    assert_true(seconds() - t0 < 2.0);
}

/* The values in each ladder are listed in increasing order; entries with
 * the same rank are equal. */
typedef struct Rung {
    int rank;
    uint8_t b[40];
    size_t n;
} Rung;

static void assert_ladder(const AlgType *t, const Rung *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_valid(t, r[i].b, r[i].n);
        for (size_t j = 0; j < n; j++) {
            int want = (r[i].rank > r[j].rank) - (r[i].rank < r[j].rank);
            int got = bsatn_compare(&ts, t, r[i].b, r[j].b);
            if (got != want)
                fail_msg("rung %zu vs %zu: compare %d, want %d", i, j, got, want);
        }
    }
}

#define LADDER(t, ...)                                                                   \
    do {                                                                                 \
        static const Rung rungs_[] = { __VA_ARGS__ };                                    \
        assert_ladder((t), rungs_, sizeof rungs_ / sizeof rungs_[0]);                    \
    } while (0)

static void test_bsatn_order(void **state)
{
    (void)state;
    LADDER(P(ALG_BOOL), { 0, { 0 }, 1 }, { 1, { 1 }, 1 });
    LADDER(P(ALG_I8), { 0, { 0x80 }, 1 }, { 1, { 0xFF }, 1 }, { 2, { 0 }, 1 }, { 3, { 1 }, 1 },
           { 4, { 0x7F }, 1 });
    LADDER(P(ALG_U16), { 0, { 0, 0 }, 2 }, { 1, { 0xFF, 0 }, 2 }, { 2, { 0, 1 }, 2 },
           { 3, { 0xFF, 0xFF }, 2 });
    LADDER(P(ALG_I64), { 0, { 0, 0, 0, 0, 0, 0, 0, 0x80 }, 8 },
           { 1, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 8 }, { 2, { 0 }, 8 },
           { 3, { 0, 1 }, 8 }, { 4, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, 8 });
    LADDER(P(ALG_I128), { 0, { [15] = 0x80 }, 16 },
           { 1, { 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 16 },
           { 2, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                  0xFF, 0xFF, 0xFF }, 16 },
           { 3, { 0 }, 16 }, { 4, { 1 }, 16 }, { 5, { [8] = 1 }, 16 },
           { 6, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                  0xFF, 0xFF, 0x7F }, 16 });
    LADDER(P(ALG_U256), { 0, { 0 }, 32 }, { 1, { 1 }, 32 }, { 2, { [16] = 1 }, 32 },
           { 3, { [31] = 0x80 }, 32 });
    LADDER(P(ALG_I256), { 0, { [31] = 0x80 }, 32 }, { 1, { [0] = 1, [31] = 0x80 }, 32 },
           { 2, { 0 }, 32 }, { 3, { [31] = 0x7F }, 32 });
    /* floats: -inf < -max < -1 < -denormal < -0 == +0 < ... < inf < NaN == NaN */
    LADDER(P(ALG_F64), { 0, { 0, 0, 0, 0, 0, 0, 0xF0, 0xFF }, 8 },
           { 1, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xEF, 0xFF }, 8 },
           { 2, { 0, 0, 0, 0, 0, 0, 0xF0, 0xBF }, 8 }, { 3, { 1, 0, 0, 0, 0, 0, 0, 0x80 }, 8 },
           { 4, { 0, 0, 0, 0, 0, 0, 0, 0x80 }, 8 }, { 4, { 0 }, 8 }, { 5, { 1 }, 8 },
           { 6, { 0, 0, 0, 0, 0, 0, 0xF0, 0x3F }, 8 },
           { 7, { 0, 0, 0, 0, 0, 0, 0xF0, 0x7F }, 8 },
           { 8, { 0, 0, 0, 0, 0, 0, 0xF8, 0x7F }, 8 }, { 8, { 0, 0, 0, 0, 0, 0, 0xF8, 0xFF }, 8 },
           { 8, { 1, 0, 0, 0, 0, 0, 0xF0, 0x7F }, 8 }, { 8, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                          0xFF, 0xFF }, 8 });
    LADDER(P(ALG_F32), { 0, { 0, 0, 0x80, 0xFF }, 4 }, { 1, { 0, 0, 0x80, 0xBF }, 4 },
           { 2, { 1, 0, 0, 0x80 }, 4 }, { 3, { 0, 0, 0, 0x80 }, 4 }, { 3, { 0 }, 4 },
           { 4, { 1 }, 4 }, { 5, { 0, 0, 0x80, 0x3F }, 4 }, { 6, { 0, 0, 0x80, 0x7F }, 4 },
           { 7, { 0, 0, 0xC0, 0x7F }, 4 }, { 7, { 0, 0, 0xC0, 0xFF }, 4 },
           { 7, { 1, 0, 0x80, 0x7F }, 4 });
    LADDER(P(ALG_STRING), { 0, { 0 }, 4 }, { 1, { 1, 0, 0, 0, 0 }, 5 },
           { 2, { 2, 0, 0, 0, 0, 0 }, 6 }, { 3, { 1, 0, 0, 0, 'a' }, 5 },
           { 4, { 2, 0, 0, 0, 'a', 0 }, 6 }, { 5, { 2, 0, 0, 0, 'a', 'b' }, 6 },
           { 6, { 1, 0, 0, 0, 'b' }, 5 }, { 7, { 2, 0, 0, 0, 0xC3, 0xA9 }, 6 });
    LADDER(array_of(P(ALG_I32)), { 0, { 0 }, 4 }, { 1, { 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF }, 8 },
           { 2, { 2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 5, 0, 0, 0 }, 12 },
           { 3, { 1, 0, 0, 0, 0, 0, 0, 0 }, 8 }, { 4, { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12 });
    LADDER(array_of(P(ALG_U8)), { 0, { 0 }, 4 }, { 1, { 1, 0, 0, 0, 0 }, 5 },
           { 2, { 2, 0, 0, 0, 0, 9 }, 6 }, { 3, { 1, 0, 0, 0, 1 }, 5 });
    LADDER(product2(P(ALG_I8), P(ALG_STRING)), { 0, { 0xFF, 1, 0, 0, 0, 'z' }, 6 },
           { 1, { 0, 0, 0, 0, 0 }, 5 }, { 2, { 0, 1, 0, 0, 0, 'a' }, 6 },
           { 3, { 1, 0, 0, 0, 0 }, 5 });
    /* sums: by tag first (some = 0 < none = 1), then payload */
    LADDER(option_of(P(ALG_U8)), { 0, { 0, 0 }, 2 }, { 1, { 0, 0xFF }, 2 }, { 2, { 1 }, 1 });
    LADDER(array_of(option_of(P(ALG_U8))), { 0, { 0 }, 4 }, { 1, { 1, 0, 0, 0, 0, 7 }, 6 },
           { 2, { 2, 0, 0, 0, 0, 7, 1 }, 7 }, { 3, { 1, 0, 0, 0, 1 }, 5 });
}

static void test_bsatn_float_order(void **state)
{
    (void)state;
    const double xs[] = { -INFINITY, -1e308, -2.0, -1.0, -1e-310, -4.9e-324, 0.0, 4.9e-324,
                          1e-310, 1.0, 2.0, 1e308, INFINITY };
    for (size_t i = 0; i + 1 < sizeof xs / sizeof xs[0]; i++) {
        uint64_t a, b;
        memcpy(&a, &xs[i], 8);
        memcpy(&b, &xs[i + 1], 8);
        assert_true(bsatn_f64_order(a) < bsatn_f64_order(b));
        float fa = (float)xs[i], fb = (float)xs[i + 1];
        uint32_t p, q;
        memcpy(&p, &fa, 4);
        memcpy(&q, &fb, 4);
        if (fa != fb)
            assert_true(bsatn_f32_order(p) < bsatn_f32_order(q));
    }
    assert_int_equal(bsatn_f64_order(UINT64_C(0x8000000000000000)), bsatn_f64_order(0));
    assert_int_equal(bsatn_f64_order(UINT64_C(0xFFF0000000000001)),
                     bsatn_f64_order(UINT64_C(0x7FF8000000000000)));
    assert_true(bsatn_f64_order(UINT64_C(0x7FF8000000000000)) >
                bsatn_f64_order(UINT64_C(0x7FF0000000000000)));
    assert_int_equal(bsatn_f32_order(0x80000000u), bsatn_f32_order(0));
    assert_int_equal(bsatn_f32_order(0xFFFFFFFFu), bsatn_f32_order(0x7FC00000u));
}

static void test_bsatn_spans(void **state)
{
    (void)state;
    AlgType *row = typespace_new_type(&ts, ALG_PRODUCT, 4);
    row->members[0] = (AlgMember){ "id", P(ALG_U64) };
    row->members[1] = (AlgMember){ "name", P(ALG_STRING) };
    row->members[2] = (AlgMember){ "score", option_of(P(ALG_I32)) };
    row->members[3] = (AlgMember){ "unit", alg_unit() };
    uint32_t ref;
    assert_int_equal(typespace_add(&ts, row, &ref), ST_OK);
    const uint8_t bytes[] = { 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'b', 'o', 'b', 0, 5, 0, 0, 0 };
    BsatnSpan sp[4];
    DbError err;
    assert_int_equal(bsatn_product_spans(&ts, ref_to(ref), bytes, sizeof bytes, sp, &err), ST_OK);
    const BsatnSpan want[] = { { 0, 8 }, { 8, 7 }, { 15, 5 }, { 20, 0 } };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sp[i].off, want[i].off);
        assert_int_equal(sp[i].len, want[i].len);
    }
    assert_int_equal(bsatn_product_spans(&ts, row, bytes, sizeof bytes - 1, sp, &err), ST_MALFORMED);
    assert_non_null(strstr(err.msg, "truncated"));
    uint8_t longer[sizeof bytes + 1] = {0};
    memcpy(longer, bytes, sizeof bytes);
    assert_int_equal(bsatn_product_spans(&ts, row, longer, sizeof longer, sp, &err), ST_MALFORMED);
    assert_non_null(strstr(err.msg, "trailing bytes"));
    assert_int_equal(bsatn_product_spans(&ts, P(ALG_U64), bytes, 8, sp, &err), ST_INVALID);
    assert_int_equal(bsatn_fixed_size(&ts, row), SIZE_MAX);
}

static void test_bsatn_fixed_size(void **state)
{
    (void)state;
    assert_int_equal(bsatn_fixed_size(&ts, alg_unit()), 0);
    assert_int_equal(bsatn_fixed_size(&ts, product2(P(ALG_U8), P(ALG_I128))), 17);
    assert_int_equal(bsatn_fixed_size(&ts, P(ALG_STRING)), SIZE_MAX);
    assert_int_equal(bsatn_fixed_size(&ts, array_of(P(ALG_U8))), SIZE_MAX);
    assert_int_equal(bsatn_fixed_size(&ts, option_of(P(ALG_U8))), SIZE_MAX);
    AlgType *sched = typespace_new_type(&ts, ALG_SUM, 2);
    AlgType *dur = gen_wrapper(&ts, "__time_duration_micros__", ALG_I64);
    AlgType *stamp = gen_wrapper(&ts, "__timestamp_micros_since_unix_epoch__", ALG_I64);
    sched->members[0] = (AlgMember){ "Interval", dur };
    sched->members[1] = (AlgMember){ "Time", stamp };
    assert_int_equal(alg_special(sched), ALG_SPECIAL_SCHEDULE_AT);
    assert_int_equal(bsatn_fixed_size(&ts, sched), 9);
    assert_int_equal(bsatn_fixed_size(&ts, typespace_new_type(&ts, ALG_SUM, 0)), SIZE_MAX);
    assert_int_equal(bsatn_fixed_size(&ts, ref_to(12345)), SIZE_MAX);
}

static void test_bsatn_utf8_prefix(void **state)
{
    (void)state;
    assert_int_equal(bsatn_utf8_prefix((const uint8_t *)"abc", 3), 3);
    assert_int_equal(bsatn_utf8_prefix((const uint8_t *)"ab\xC3\xA9z", 5), 5);
    assert_int_equal(bsatn_utf8_prefix((const uint8_t *)"ab\xC3", 3), 2);
    assert_int_equal(bsatn_utf8_prefix((const uint8_t *)"\xED\xA0\x80", 3), 0);
    assert_int_equal(bsatn_utf8_prefix(NULL, 0), 0);
}

/* Random values of random types, then random damage: validation never
 * crashes, and whatever it accepts decodes, re-encodes to the same bytes
 * and compares equal to itself. */
static void test_bsatn_mutation_fuzz(void **state)
{
    (void)state;
    Rng rng = { 0xB5A7 };
    StrBuf sb, re;
    strbuf_init(&sb), strbuf_init(&re);
    Arena a;
    arena_init(&a);
    long accepted = 0, rejected = 0;
    for (int i = 0; i < 30000; i++) {
        Typespace local;
        typespace_init(&local);
        const AlgType *t = gen_type(&local, &rng, 1 + (int)rng_below(&rng, 4));
        strbuf_clear(&sb);
        gen_value(&local, t, &rng, &sb);
        const uint8_t *p = (const uint8_t *)sb.data;
        assert_int_equal(bsatn_validate_exact(&local, t, p, sb.len, NULL), ST_OK);
        assert_int_equal(bsatn_value_len(&local, t, p), sb.len);
        uint32_t damage = rng_below(&rng, 3);
        if (damage == 0 && sb.len)   /* flip some bits of one byte */
            sb.data[rng_below(&rng, (uint32_t)sb.len)] ^= (char)(1 + rng_below(&rng, 255));
        else if (damage == 1 && sb.len)   /* cut short */
            sb.len = rng_below(&rng, (uint32_t)sb.len);
        else   /* one byte too many */
            strbuf_putc(&sb, (char)rng_next(&rng));
        p = (const uint8_t *)sb.data;
        size_t used;
        DbError err;
        Status st = bsatn_validate(&local, t, p, sb.len, &used, &err);
        Value *v;
        Status st2 = value_decode(&a, &local, t, p, sb.len, &used, &v, NULL);
        assert_int_equal(st, st2);
        if (st == ST_OK) {
            accepted++;
            assert_int_equal(bsatn_value_len(&local, t, p), used);
            assert_int_equal(bsatn_compare(&local, t, p, p), 0);
            strbuf_clear(&re);
            assert_int_equal(value_encode(&local, t, v, &re, NULL), ST_OK);
            assert_int_equal(re.len, used);
            assert_memory_equal(re.data, p, used);
        } else {
            rejected++;
            assert_true(st == ST_MALFORMED || st == ST_LIMIT);
            assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
        }
        arena_reset(&a);
        typespace_fini(&local);
    }
    assert_true(accepted > 1000 && rejected > 1000);
    arena_fini(&a);
    strbuf_fini(&sb), strbuf_fini(&re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bsatn_prims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_sums_products, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_float_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_spans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_fixed_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_utf8_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bsatn_mutation_fuzz, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
