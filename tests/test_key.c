/*
 * test_key.c - the order-preserving key encoding (src/db/key.c).
 *
 * Exact bytes for each rule, then the properties the indexes rely on,
 * checked on random values of random types (nested products, sums,
 * arrays, strings with NULs, float and 128/256-bit edge cases):
 *   - order: sign(key_compare(key(a), key(b))) == sign(bsatn_compare(a, b))
 *     == sign(value_compare(a, b));
 *   - prefix-freeness: the key of columns (c0..cn) is the concatenation of
 *     the columns' keys, compares like the tuple, and the key of the first
 *     k columns is a byte prefix of it.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/bsatn.h"
#include "db/key.h"
#include "db/value.h"
#include "util/alloc.h"
#include "values_gen.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

/* key(value of type t) must be exactly the given bytes. */
static void assert_key(const Typespace *ts, const AlgType *t, const uint8_t *v, size_t vlen,
                       const uint8_t *want, size_t wlen)
{
    assert_int_equal(bsatn_validate_exact(ts, t, v, vlen, NULL), ST_OK);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_puts(&sb, "pre"), ST_OK);   /* appends, never overwrites */
    assert_int_equal(key_encode_value(ts, t, v, &sb), ST_OK);
    assert_int_equal(sb.len, 3 + wlen);
    assert_memory_equal(sb.data, "pre", 3);
    assert_memory_equal(sb.data + 3, want, wlen);
    strbuf_fini(&sb);
}

#define KEY(t, value, want) assert_key(&ts, (t), value, want)

static void test_key_bytes(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    KEY(alg_prim(ALG_U32), BYTES(0x78, 0x56, 0x34, 0x12), BYTES(0x12, 0x34, 0x56, 0x78));
    KEY(alg_prim(ALG_I8), BYTES(0xFF), BYTES(0x7F));                        /* -1 */
    KEY(alg_prim(ALG_I8), BYTES(0x00), BYTES(0x80));
    KEY(alg_prim(ALG_I16), BYTES(0x00, 0x80), BYTES(0x00, 0x00));           /* MIN */
    KEY(alg_prim(ALG_BOOL), BYTES(1), BYTES(1));
    KEY(alg_prim(ALG_F64), BYTES(0, 0, 0, 0, 0, 0, 0xF0, 0x3F),             /* 1.0 */
        BYTES(0xBF, 0xF0, 0, 0, 0, 0, 0, 0));
    KEY(alg_prim(ALG_F64), BYTES(0, 0, 0, 0, 0, 0, 0, 0x80),                /* -0 = +0 */
        BYTES(0x80, 0, 0, 0, 0, 0, 0, 0));
    KEY(alg_prim(ALG_F32), BYTES(0, 0, 0x80, 0xBF), BYTES(0x40, 0x7F, 0xFF, 0xFF));   /* -1 */
    KEY(alg_prim(ALG_F32), BYTES(1, 2, 0xC0, 0xFF), BYTES(0xFF, 0xC0, 0, 0));  /* any NaN */
    uint8_t u128[16] = { 0x01, [15] = 0xAB }, k128[16] = { 0xAB, [15] = 0x01 };
    assert_key(&ts, alg_prim(ALG_U128), u128, 16, k128, 16);
    KEY(alg_prim(ALG_STRING), BYTES(0, 0, 0, 0), BYTES(0, 0));
    KEY(alg_prim(ALG_STRING), BYTES(3, 0, 0, 0, 'a', 0, 'b'), BYTES('a', 0, 0xFF, 'b', 0, 0));
    AlgType *bytes = typespace_new_type(&ts, ALG_ARRAY, 0);
    bytes->elem = alg_prim(ALG_U8);
    KEY(bytes, BYTES(2, 0, 0, 0, 0, 0), BYTES(0, 0xFF, 0, 0xFF, 0, 0));
    AlgType *arr = typespace_new_type(&ts, ALG_ARRAY, 0);
    arr->elem = alg_prim(ALG_U16);
    KEY(arr, BYTES(2, 0, 0, 0, 1, 0, 2, 0), BYTES(1, 0, 1, 1, 0, 2, 0));
    KEY(arr, BYTES(0, 0, 0, 0), BYTES(0));
    AlgType *opt = typespace_new_type(&ts, ALG_SUM, 2);
    opt->members[0] = (AlgMember){ "some", alg_prim(ALG_I32) };
    opt->members[1] = (AlgMember){ "none", alg_unit() };
    KEY(opt, BYTES(1), BYTES(1));
    KEY(opt, BYTES(0, 5, 0, 0, 0), BYTES(0, 0x80, 0, 0, 5));
    AlgType *row = typespace_new_type(&ts, ALG_PRODUCT, 3);
    row->members[0] = (AlgMember){ "s", alg_prim(ALG_STRING) };
    row->members[1] = (AlgMember){ "u", alg_unit() };
    row->members[2] = (AlgMember){ "n", alg_prim(ALG_U8) };
    KEY(row, BYTES(1, 0, 0, 0, 'x', 9), BYTES('x', 0, 0, 9));
    typespace_fini(&ts);
}

static void test_key_columns(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    AlgType *row = typespace_new_type(&ts, ALG_PRODUCT, 3);
    row->members[0] = (AlgMember){ "id", alg_prim(ALG_U16) };
    row->members[1] = (AlgMember){ "name", alg_prim(ALG_STRING) };
    row->members[2] = (AlgMember){ "flag", alg_prim(ALG_BOOL) };
    uint32_t ref;
    assert_int_equal(typespace_add(&ts, row, &ref), ST_OK);
    AlgType *r = typespace_new_type(&ts, ALG_REF, 0);
    r->ref = ref;
    const uint8_t bytes[] = { 0x34, 0x12, 2, 0, 0, 0, 'h', 'i', 1 };
    StrBuf sb;
    strbuf_init(&sb);
    uint16_t cols[] = { 2, 0, 1, 0 };
    assert_int_equal(key_encode_columns(&ts, r, bytes, sizeof bytes, cols, 4, &sb), ST_OK);
    const uint8_t want[] = { 1, 0x12, 0x34, 'h', 'i', 0, 0, 0x12, 0x34 };
    assert_int_equal(sb.len, sizeof want);
    assert_memory_equal(sb.data, want, sizeof want);
    /* errors leave the buffer alone */
    uint16_t bad[] = { 1, 3 };
    assert_int_equal(key_encode_columns(&ts, r, bytes, sizeof bytes, bad, 2, &sb), ST_ARG);
    assert_int_equal(key_encode_columns(&ts, alg_prim(ALG_U8), bytes, 1, cols, 1, &sb), ST_ARG);
    assert_int_equal(sb.len, sizeof want);
    assert_int_equal(key_encode_columns(&ts, r, bytes, sizeof bytes, cols, 0, &sb), ST_OK);
    assert_int_equal(sb.len, sizeof want);
    /* allocation failure: nothing appended, nothing leaked */
    strbuf_fini(&sb);
    strbuf_init(&sb);
    long live = mem_live();
    mem_fail_after(0);
    assert_int_equal(key_encode_columns(&ts, r, bytes, sizeof bytes, cols, 4, &sb), ST_NOMEM);
    mem_fail_after(-1);
    assert_int_equal(sb.len, 0);
    strbuf_fini(&sb);
    assert_int_equal(mem_live(), live);
    assert_int_equal(key_compare(BYTES(1, 2), BYTES(1, 2, 0)), -1);
    assert_int_equal(key_compare(BYTES(1, 3), BYTES(1, 2, 0)), 1);
    assert_int_equal(key_compare(NULL, 0, NULL, 0), 0);
    typespace_fini(&ts);
}

/* A row type with many columns takes the heap path for its offsets. */
static void test_key_wide_row(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    AlgType *row = typespace_new_type(&ts, ALG_PRODUCT, 40);
    uint8_t bytes[40];
    for (int i = 0; i < 40; i++) {
        row->members[i].type = alg_prim(ALG_U8);
        bytes[i] = (uint8_t)i;
    }
    uint16_t cols[] = { 39, 33, 0 };
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(key_encode_columns(&ts, row, bytes, 40, cols, 3, &sb), ST_OK);
    assert_int_equal(sb.len, 3);
    assert_memory_equal(sb.data, "\x27\x21\x00", 3);
    strbuf_fini(&sb);
    typespace_fini(&ts);
}

#define NVALS 6

/* For one random type: NVALS random values, all pairs compared three ways. */
static void check_order_once(Rng *rng, Arena *a, long *pairs)
{
    Typespace ts;
    typespace_init(&ts);
    const AlgType *t = gen_type(&ts, rng, 1 + (int)rng_below(rng, 4));
    StrBuf val[NVALS], key[NVALS];
    Value *v[NVALS];
    for (int i = 0; i < NVALS; i++) {
        strbuf_init(&val[i]), strbuf_init(&key[i]);
        gen_value(&ts, t, rng, &val[i]);
        const uint8_t *p = (const uint8_t *)val[i].data;
        assert_int_equal(bsatn_validate_exact(&ts, t, p, val[i].len, NULL), ST_OK);
        assert_int_equal(key_encode_value(&ts, t, p, &key[i]), ST_OK);
        assert_int_equal(value_decode(a, &ts, t, p, val[i].len, NULL, &v[i], NULL), ST_OK);
    }
    for (int i = 0; i < NVALS; i++) {
        for (int j = 0; j < NVALS; j++) {
            const uint8_t *pi = (const uint8_t *)val[i].data, *pj = (const uint8_t *)val[j].data;
            int b = sign(bsatn_compare(&ts, t, pi, pj));
            int k = key_compare((const uint8_t *)key[i].data, key[i].len,
                                (const uint8_t *)key[j].data, key[j].len);
            int w = sign(value_compare(v[i], v[j]));
            if (b != k || b != w) {
                StrBuf f;
                strbuf_init(&f);
                alg_type_format(&ts, t, &f);
                fail_msg("type %s: bsatn %d, key %d, value %d", f.data, b, k, w);
            }
            assert_int_equal(b, -sign(bsatn_compare(&ts, t, pj, pi)));
            (*pairs)++;
        }
    }
    for (int i = 0; i < NVALS; i++)
        strbuf_fini(&val[i]), strbuf_fini(&key[i]);
    arena_reset(a);
    typespace_fini(&ts);
}

static void test_key_order_random(void **state)
{
    (void)state;
    static const uint64_t seeds[] = { 1, 0xC0FFEE, 20240501 };
    long pairs = 0;
    Arena a;
    arena_init(&a);
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        Rng rng = { seeds[s] };
        for (int i = 0; i < 7000; i++)
            check_order_once(&rng, &a, &pairs);
    }
    arena_fini(&a);
    assert_true(pairs >= 100000 * 7);   /* 21000 types x 36 pairs */
}

/* A random row type of 1..5 columns; two rows compared column-tuple-wise
 * against their multi-column keys, for every prefix and a random column
 * order. */
static void check_columns_once(Rng *rng)
{
    Typespace ts;
    typespace_init(&ts);
    uint32_t n = 1 + rng_below(rng, 5);
    AlgType *row = typespace_new_type(&ts, ALG_PRODUCT, n);
    for (uint32_t i = 0; i < n; i++)
        row->members[i].type = gen_type(&ts, rng, (int)rng_below(rng, 3));
    StrBuf ra, rb, ka, kb, whole;
    strbuf_init(&ra), strbuf_init(&rb), strbuf_init(&ka), strbuf_init(&kb), strbuf_init(&whole);
    BsatnSpan sa[5], sb[5];
    gen_value(&ts, row, rng, &ra);
    assert_int_equal(bsatn_product_spans(&ts, row, (const uint8_t *)ra.data, ra.len, sa, NULL),
                     ST_OK);
    /* b: each column either copied from a or drawn afresh, so that rows
     * often share leading columns */
    for (uint32_t i = 0; i < n; i++) {
        if (rng_below(rng, 3) == 0)
            gen_value(&ts, row->members[i].type, rng, &rb);
        else
            strbuf_append(&rb, ra.data + sa[i].off, sa[i].len);
    }
    const uint8_t *pa = (const uint8_t *)ra.data, *pb = (const uint8_t *)rb.data;
    assert_int_equal(bsatn_product_spans(&ts, row, pb, rb.len, sb, NULL), ST_OK);
    uint16_t cols[5];
    for (uint32_t i = 0; i < n; i++)   /* a random permutation */
        cols[i] = (uint16_t)i;
    for (uint32_t i = n; i-- > 1;) {
        uint32_t j = rng_below(rng, i + 1);
        uint16_t tmp = cols[i];
        cols[i] = cols[j], cols[j] = tmp;
    }
    assert_int_equal(key_encode_value(&ts, row, pa, &whole), ST_OK);
    int tuple = 0;
    for (uint32_t k = 1; k <= n; k++) {
        uint16_t c = cols[k - 1];
        if (tuple == 0)
            tuple = sign(bsatn_compare(&ts, row->members[c].type, pa + sa[c].off, pb + sb[c].off));
        strbuf_clear(&ka), strbuf_clear(&kb);
        assert_int_equal(key_encode_columns(&ts, row, pa, ra.len, cols, k, &ka), ST_OK);
        assert_int_equal(key_encode_columns(&ts, row, pb, rb.len, cols, k, &kb), ST_OK);
        assert_int_equal(key_compare((const uint8_t *)ka.data, ka.len, (const uint8_t *)kb.data,
                                     kb.len), tuple);
        if (k < n) {   /* the first k columns' key is a prefix of k + 1's */
            StrBuf longer;
            strbuf_init(&longer);
            assert_int_equal(key_encode_columns(&ts, row, pa, ra.len, cols, k + 1, &longer), ST_OK);
            assert_true(longer.len >= ka.len);
            assert_memory_equal(longer.data, ka.data, ka.len);
            strbuf_fini(&longer);
        }
    }
    /* all columns in declaration order = the key of the whole row */
    for (uint32_t i = 0; i < n; i++)
        cols[i] = (uint16_t)i;
    strbuf_clear(&ka);
    assert_int_equal(key_encode_columns(&ts, row, pa, ra.len, cols, n, &ka), ST_OK);
    assert_int_equal(ka.len, whole.len);
    assert_memory_equal(ka.data, whole.data, ka.len);
    strbuf_fini(&ra), strbuf_fini(&rb), strbuf_fini(&ka), strbuf_fini(&kb), strbuf_fini(&whole);
    typespace_fini(&ts);
}

static void test_key_columns_random(void **state)
{
    (void)state;
    Rng rng = { 0x5EED };
    for (int i = 0; i < 40000; i++)
        check_columns_once(&rng);
}

/* One type, many values: sorted by bsatn_compare, their keys come out
 * sorted too, with equal keys exactly where values compare equal. */
static const Typespace *sort_ts;
static const AlgType *sort_type;

static int cmp_for_qsort(const void *x, const void *y)
{
    const StrBuf *a = x, *b = y;
    return bsatn_compare(sort_ts, sort_type, (const uint8_t *)a->data, (const uint8_t *)b->data);
}

static void test_key_sorted(void **state)
{
    (void)state;
    Rng rng = { 99 };
    for (int round = 0; round < 50; round++) {
        Typespace ts;
        typespace_init(&ts);
        const AlgType *t = gen_type(&ts, &rng, 3);
        enum { N = 300 };
        static StrBuf vals[N];
        for (int i = 0; i < N; i++) {
            strbuf_init(&vals[i]);
            gen_value(&ts, t, &rng, &vals[i]);
        }
        sort_ts = &ts, sort_type = t;
        qsort(vals, N, sizeof vals[0], cmp_for_qsort);
        StrBuf prev, cur;
        strbuf_init(&prev), strbuf_init(&cur);
        for (int i = 0; i < N; i++) {
            strbuf_clear(&cur);
            assert_int_equal(key_encode_value(&ts, t, (const uint8_t *)vals[i].data, &cur), ST_OK);
            if (i > 0) {
                int k = key_compare((const uint8_t *)prev.data, prev.len,
                                    (const uint8_t *)cur.data, cur.len);
                int c = cmp_for_qsort(&vals[i - 1], &vals[i]);
                assert_true(k <= 0);
                assert_int_equal(k == 0, c == 0);
            }
            strbuf_clear(&prev);
            strbuf_append(&prev, cur.data, cur.len);
        }
        for (int i = 0; i < N; i++)
            strbuf_fini(&vals[i]);
        strbuf_fini(&prev), strbuf_fini(&cur);
        typespace_fini(&ts);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_bytes),
        cmocka_unit_test(test_key_columns),
        cmocka_unit_test(test_key_wide_row),
        cmocka_unit_test(test_key_order_random),
        cmocka_unit_test(test_key_columns_random),
        cmocka_unit_test(test_key_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
