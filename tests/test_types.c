/*
 * test_types.c - algebraic types (src/db/types.c): building and resolving,
 * the meta-encoding against module-abi.md §4's worked Option<String>
 * example and hand-built types, hostile encodings (truncation at every
 * byte, bad tags, huge counts, deep nesting), special-type detection,
 * formatting, the invariant checker, allocation failures, and a
 * randomized encode -> decode -> encode round trip.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "db/types.h"
#include "util/alloc.h"
#include "values_gen.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* The worked example of module-abi.md §4: Option<String>. */
static const uint8_t option_string[] = {
    0x01, 0x02, 0x00, 0x00, 0x00,                                /* Sum, 2 variants */
    0x00, 0x04, 0x00, 0x00, 0x00, 's', 'o', 'm', 'e', 0x04,      /* some: String */
    0x00, 0x04, 0x00, 0x00, 0x00, 'n', 'o', 'n', 'e',            /* none: */
    0x02, 0x00, 0x00, 0x00, 0x00,                                /* Product, 0 = unit */
};

static void assert_format(const AlgType *t, const char *want)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(alg_type_format(NULL, t, &sb), ST_OK);
    assert_string_equal(sb.data, want);
    strbuf_fini(&sb);
}

/* Decoding must fail with status st and a message containing `words`. */
static void assert_decode_fails(const uint8_t *p, size_t len, Status st, const char *words)
{
    Typespace ts;
    typespace_init(&ts);
    DbError err = {0};
    const AlgType *t = (const AlgType *)&err;
    assert_int_equal(alg_type_decode(&ts, p, len, NULL, &t, &err), st);
    assert_null(t);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    if (!strstr(err.msg, words))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, words);
    typespace_fini(&ts);
}

static void test_types_prims(void **state)
{
    (void)state;
    for (int k = ALG_STRING; k <= ALG_F64; k++) {
        const AlgType *t = alg_prim((AlgKind)k);
        assert_non_null(t);
        assert_int_equal(t->kind, k);
        assert_int_equal(t->nmembers, 0);
    }
    for (int k = ALG_REF; k <= ALG_ARRAY; k++)
        assert_null(alg_prim((AlgKind)k));
    assert_null(alg_prim(ALG_KIND_COUNT));
    assert_int_equal(alg_unit()->kind, ALG_PRODUCT);
    assert_int_equal(alg_unit()->nmembers, 0);
    assert_string_equal(alg_kind_name(ALG_U256), "u256");
    assert_string_equal(alg_kind_name(ALG_STRING), "String");
}

static void test_types_resolve(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    AlgType *r0 = typespace_new_type(&ts, ALG_REF, 0);
    AlgType *r1 = typespace_new_type(&ts, ALG_REF, 0);
    AlgType *r9 = typespace_new_type(&ts, ALG_REF, 0);
    r0->ref = 1, r1->ref = 2, r9->ref = 9;
    uint32_t ref;
    assert_int_equal(typespace_add(&ts, r1, &ref), ST_OK);           /* 0 -> 1 */
    assert_int_equal(ref, 0);
    assert_int_equal(typespace_add(&ts, alg_prim(ALG_U8), &ref), ST_OK);
    assert_int_equal(typespace_add(&ts, r0, &ref), ST_OK);           /* 2 -> 1 */
    assert_int_equal(ref, 2);
    assert_ptr_equal(alg_resolve(&ts, r0), alg_prim(ALG_U8));
    assert_ptr_equal(alg_resolve(&ts, alg_prim(ALG_BOOL)), alg_prim(ALG_BOOL));
    assert_null(alg_resolve(&ts, r9));                                /* dangling */
    AlgType *self = typespace_new_type(&ts, ALG_REF, 0);
    self->ref = 3;
    assert_int_equal(typespace_add(&ts, self, NULL), ST_OK);         /* 3 -> 3 */
    assert_null(alg_resolve(&ts, self));                              /* a bare cycle */
    char msg[128];
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_INVALID);
    assert_non_null(strstr(msg, "ref 3"));
    for (int i = 0; i < 100; i++)   /* growth of the types array */
        assert_int_equal(typespace_add(&ts, alg_prim(ALG_U8), NULL), ST_OK);
    assert_int_equal(ts.ntypes, 104);
    typespace_fini(&ts);
}

static void test_types_check(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    char msg[128];
    AlgType *arr = typespace_new_type(&ts, ALG_ARRAY, 0);
    assert_int_equal(typespace_add(&ts, arr, NULL), ST_OK);
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_INVALID);   /* no elem */
    arr->elem = alg_prim(ALG_U8);
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_OK);
    AlgType *big = typespace_new_type(&ts, ALG_SUM, 257);
    for (int i = 0; i < 257; i++)
        big->members[i].type = alg_unit();
    assert_int_equal(typespace_add(&ts, big, NULL), ST_OK);
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_INVALID);
    assert_non_null(strstr(msg, "257"));
    big->nmembers = 256;
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_OK);
    big->members[3].type = NULL;
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_INVALID);
    big->members[3].type = alg_unit();
    AlgType *dangling = typespace_new_type(&ts, ALG_REF, 0);
    dangling->ref = 77;
    AlgType *prod = typespace_new_type(&ts, ALG_PRODUCT, 1);
    prod->members[0].type = dangling;
    assert_int_equal(typespace_add(&ts, prod, NULL), ST_OK);
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_INVALID);
    assert_non_null(strstr(msg, "77"));
    typespace_fini(&ts);
}

static void test_types_option_string_example(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    const AlgType *t;
    size_t used;
    DbError err;
    assert_int_equal(alg_type_decode(&ts, option_string, sizeof option_string, &used, &t, &err),
                     ST_OK);
    assert_int_equal(used, sizeof option_string);
    assert_int_equal(t->kind, ALG_SUM);
    assert_int_equal(t->nmembers, 2);
    assert_string_equal(t->members[0].name, "some");
    assert_ptr_equal(t->members[0].type, alg_prim(ALG_STRING));
    assert_string_equal(t->members[1].name, "none");
    assert_int_equal(t->members[1].type->kind, ALG_PRODUCT);
    assert_int_equal(t->members[1].type->nmembers, 0);
    assert_int_equal(alg_special(t), ALG_SPECIAL_OPTION);
    assert_format(t, "Option<String>");
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(alg_type_encode(t, &sb), ST_OK);
    assert_int_equal(sb.len, sizeof option_string);
    assert_memory_equal(sb.data, option_string, sizeof option_string);
    strbuf_fini(&sb);
    /* trailing bytes are the caller's business: used says where it ended */
    uint8_t longer[sizeof option_string + 3];
    memcpy(longer, option_string, sizeof option_string);
    memset(longer + sizeof option_string, 0xAB, 3);
    assert_int_equal(alg_type_decode(&ts, longer, sizeof longer, &used, &t, &err), ST_OK);
    assert_int_equal(used, sizeof option_string);
    typespace_fini(&ts);
}

/* (id: u64, name: String, scores: Array<f32>, &0, unnamed i128) by hand. */
static void test_types_hand_built(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    AlgType *arr = typespace_new_type(&ts, ALG_ARRAY, 0);
    arr->elem = alg_prim(ALG_F32);
    AlgType *ref = typespace_new_type(&ts, ALG_REF, 0);
    ref->ref = 0;
    AlgType *p = typespace_new_type(&ts, ALG_PRODUCT, 5);
    const char *names[] = { "id", "name", "scores", "owner", NULL };
    const AlgType *types[] = { alg_prim(ALG_U64), alg_prim(ALG_STRING), arr, ref,
                               alg_prim(ALG_I128) };
    for (int i = 0; i < 5; i++)
        p->members[i].name = names[i], p->members[i].type = types[i];
    assert_format(p, "(id: u64, name: String, scores: Array<f32>, owner: &0, i128)");
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(alg_type_encode(p, &sb), ST_OK);
    static const uint8_t want[] = {
        0x02, 5, 0, 0, 0,
        0x00, 2, 0, 0, 0, 'i', 'd', 13,
        0x00, 4, 0, 0, 0, 'n', 'a', 'm', 'e', 4,
        0x00, 6, 0, 0, 0, 's', 'c', 'o', 'r', 'e', 's', 3, 18,
        0x00, 5, 0, 0, 0, 'o', 'w', 'n', 'e', 'r', 0, 0, 0, 0, 0,
        0x01, 14,
    };
    assert_int_equal(sb.len, sizeof want);
    assert_memory_equal(sb.data, want, sizeof want);
    const AlgType *t;
    DbError err;
    size_t used;
    assert_int_equal(alg_type_decode(&ts, want, sizeof want, &used, &t, &err), ST_OK);
    assert_int_equal(used, sizeof want);
    assert_null(t->members[4].name);
    assert_int_equal(t->members[3].type->kind, ALG_REF);
    assert_int_equal(t->members[2].type->elem->kind, ALG_F32);
    assert_format(t, "(id: u64, name: String, scores: Array<f32>, owner: &0, i128)");
    strbuf_fini(&sb);
    /* a Typespace: [u8, Array<&0>] */
    uint32_t before = ts.ntypes;
    assert_int_equal(typespace_decode(&ts, BYTES(2, 0, 0, 0, 7, 3, 0, 0, 0, 0, 0), &used, &err),
                     ST_OK);
    assert_int_equal(used, 11);
    assert_int_equal(ts.ntypes, before + 2);
    assert_ptr_equal(ts.types[before], alg_prim(ALG_U8));
    char msg[128];
    assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_OK);
    typespace_fini(&ts);
}

static void test_types_decode_errors(void **state)
{
    (void)state;
    /* every proper prefix of a good encoding is "truncated" */
    for (size_t n = 0; n < sizeof option_string; n++)
        assert_decode_fails(option_string, n, ST_MALFORMED, "truncated");
    assert_decode_fails(BYTES(20), ST_MALFORMED, "bad AlgebraicType tag 20 at byte 0");
    assert_decode_fails(BYTES(3, 3, 0xFF), ST_MALFORMED, "tag 255 at byte 2");
    assert_decode_fails(BYTES(2, 1, 0, 0, 0, 2, 4), ST_MALFORMED, "bad Option tag 2");
    assert_decode_fails(BYTES(2, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0xC0, 0x80, 4), ST_MALFORMED,
                        "invalid UTF-8 in a member name at byte 10");
    assert_decode_fails(BYTES(2, 1, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 4), ST_MALFORMED,
                        "NUL in a member name at byte 11");
    /* a hostile count: 4 billion members, 3 bytes left -> no allocation */
    assert_decode_fails(BYTES(2, 0xFF, 0xFF, 0xFF, 0xFF, 1, 4, 1), ST_MALFORMED, "4294967295 members");
    assert_decode_fails(BYTES(0, 1, 0), ST_MALFORMED, "Ref index");
    /* 257 unnamed unit variants: well-formed, but a sum tag is one byte */
    uint8_t sum[5 + 257 * 2];
    sum[0] = 1, sum[1] = 1, sum[2] = 1, sum[3] = 0, sum[4] = 0;
    for (int i = 0; i < 257; i++)
        sum[5 + 2 * i] = 1, sum[6 + 2 * i] = 5;
    assert_decode_fails(sum, sizeof sum, ST_MALFORMED, "257 variants");
    Typespace ts;
    typespace_init(&ts);
    const AlgType *t;
    sum[1] = 0;   /* 256 variants is fine */
    assert_int_equal(alg_type_decode(&ts, sum, sizeof sum - 2, NULL, &t, NULL), ST_OK);
    assert_int_equal(t->nmembers, 256);
    assert_int_equal(typespace_decode(&ts, BYTES(9, 0, 0, 0, 4), NULL, NULL), ST_MALFORMED);
    typespace_fini(&ts);
}

/* Array^k(u8): k = 63 decodes (height 64), k = 64 hits the depth limit. */
static void test_types_depth_limit(void **state)
{
    (void)state;
    uint8_t buf[200];
    for (int k = 60; k <= 70; k++) {
        memset(buf, 3, (size_t)k);
        buf[k] = 7;
        Typespace ts;
        typespace_init(&ts);
        const AlgType *t;
        DbError err;
        Status st = alg_type_decode(&ts, buf, (size_t)k + 1, NULL, &t, &err);
        assert_int_equal(st, k < ALG_MAX_DEPTH ? ST_OK : ST_LIMIT);
        if (st != ST_OK)
            assert_non_null(strstr(err.msg, "nested deeper than 64"));
        typespace_fini(&ts);
    }
    /* products and sums count too: (a: (a: (a: ...))) */
    uint8_t deep[100 * 7 + 1];
    size_t n = 0;
    for (int i = 0; i < 100; i++) {
        const uint8_t elem[] = { 2, 1, 0, 0, 0, 1 };   /* Product, 1 member, no name */
        memcpy(deep + n, elem, sizeof elem);
        n += sizeof elem;
    }
    deep[n++] = 5;
    assert_decode_fails(deep, n, ST_LIMIT, "deeper");
}

static AlgType *wrapper(Typespace *ts, const char *name, AlgKind k)
{
    return gen_wrapper(ts, name, k);
}

static void test_types_special(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    AlgType *id = wrapper(&ts, "__identity__", ALG_U256);
    AlgType *conn = wrapper(&ts, "__connection_id__", ALG_U128);
    AlgType *ts_ = wrapper(&ts, "__timestamp_micros_since_unix_epoch__", ALG_I64);
    AlgType *dur = wrapper(&ts, "__time_duration_micros__", ALG_I64);
    AlgType *uuid = wrapper(&ts, "__uuid__", ALG_U128);
    assert_int_equal(alg_special(id), ALG_SPECIAL_IDENTITY);
    assert_int_equal(alg_special(conn), ALG_SPECIAL_CONNECTION_ID);
    assert_int_equal(alg_special(ts_), ALG_SPECIAL_TIMESTAMP);
    assert_int_equal(alg_special(dur), ALG_SPECIAL_TIME_DURATION);
    assert_int_equal(alg_special(uuid), ALG_SPECIAL_UUID);
    AlgType *sched = typespace_new_type(&ts, ALG_SUM, 2);
    sched->members[0] = (AlgMember){ "Interval", dur };
    sched->members[1] = (AlgMember){ "Time", ts_ };
    assert_int_equal(alg_special(sched), ALG_SPECIAL_SCHEDULE_AT);
    assert_format(sched, "ScheduleAt");
    assert_format(id, "Identity");
    /* near misses are ordinary types */
    assert_int_equal(alg_special(wrapper(&ts, "__identity__", ALG_U128)), ALG_SPECIAL_NONE);
    assert_int_equal(alg_special(wrapper(&ts, "__identity_", ALG_U256)), ALG_SPECIAL_NONE);
    AlgType *unnamed = wrapper(&ts, "x", ALG_U256);
    unnamed->members[0].name = NULL;
    assert_int_equal(alg_special(unnamed), ALG_SPECIAL_NONE);
    /* never through a Ref: neither the type itself nor its field */
    uint32_t n;
    assert_int_equal(typespace_add(&ts, id, &n), ST_OK);
    AlgType *ref = typespace_new_type(&ts, ALG_REF, 0);
    ref->ref = n;
    assert_int_equal(alg_special(ref), ALG_SPECIAL_NONE);
    assert_int_equal(typespace_add(&ts, alg_prim(ALG_U256), &n), ST_OK);
    AlgType *via = wrapper(&ts, "__identity__", ALG_U256);
    AlgType *r2 = typespace_new_type(&ts, ALG_REF, 0);
    r2->ref = n;
    via->members[0].type = r2;
    assert_int_equal(alg_special(via), ALG_SPECIAL_NONE);
    sched->members[1].type = ref;   /* Time: &Identity-like ref */
    assert_int_equal(alg_special(sched), ALG_SPECIAL_NONE);
    /* Option needs an inline unit for none */
    AlgType *opt = typespace_new_type(&ts, ALG_SUM, 2);
    opt->members[0] = (AlgMember){ "some", id };
    opt->members[1] = (AlgMember){ "none", alg_unit() };
    assert_int_equal(alg_special(opt), ALG_SPECIAL_OPTION);
    assert_format(opt, "Option<Identity>");
    opt->members[1].type = alg_prim(ALG_BOOL);
    assert_int_equal(alg_special(opt), ALG_SPECIAL_NONE);
    assert_format(opt, "(some: Identity | none: bool)");
    assert_int_equal(alg_special(NULL), ALG_SPECIAL_NONE);
    assert_string_equal(alg_special_name(ALG_SPECIAL_TIME_DURATION), "TimeDuration");
    typespace_fini(&ts);
}

static void test_types_format(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    assert_format(alg_unit(), "()");
    AlgType *never = typespace_new_type(&ts, ALG_SUM, 0);
    assert_format(never, "(|)");
    AlgType *arr = typespace_new_type(&ts, ALG_ARRAY, 0);
    AlgType *sum = typespace_new_type(&ts, ALG_SUM, 3);
    sum->members[0] = (AlgMember){ "a", alg_unit() };
    sum->members[1] = (AlgMember){ NULL, alg_prim(ALG_F64) };
    sum->members[2] = (AlgMember){ "c", alg_prim(ALG_I8) };
    arr->elem = sum;
    assert_format(arr, "Array<(a: () | f64 | c: i8)>");
    typespace_fini(&ts);
}

/* Every allocation failure during decode is reported as ST_NOMEM and
 * leaks nothing. */
static void test_types_nomem(void **state)
{
    (void)state;
    long live = mem_live();
    bool succeeded = false;
    for (long n = 0; n < 64 && !succeeded; n++) {
        Typespace ts;
        typespace_init(&ts);
        const AlgType *t;
        mem_fail_after(n);
        /* [u8, (x: &0 | ())] */
        Status st = typespace_decode(&ts, BYTES(2, 0, 0, 0, 7, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 'x',
                                                0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0), NULL, NULL);
        if (st == ST_OK)
            st = alg_type_decode(&ts, option_string, sizeof option_string, NULL, &t, NULL);
        mem_fail_after(-1);
        assert_true(st == ST_OK || st == ST_NOMEM);
        succeeded = st == ST_OK;
        typespace_fini(&ts);
        assert_int_equal(mem_live(), live);
    }
    assert_true(succeeded);
}

/* Random types: encode, decode, encode again gives the same bytes and the
 * same text; every proper prefix fails to decode. */
static void test_types_random_round_trip(void **state)
{
    (void)state;
    Rng rng = { 0x7e570009 };
    StrBuf a, b, fa, fb;
    strbuf_init(&a), strbuf_init(&b), strbuf_init(&fa), strbuf_init(&fb);
    for (int i = 0; i < 20000; i++) {
        Typespace ts;
        typespace_init(&ts);
        const AlgType *t = gen_type(&ts, &rng, 1 + (int)rng_below(&rng, 5));
        strbuf_clear(&a), strbuf_clear(&b), strbuf_clear(&fa), strbuf_clear(&fb);
        assert_int_equal(alg_type_encode(t, &a), ST_OK);
        const AlgType *u;
        size_t used;
        DbError err;
        assert_int_equal(alg_type_decode(&ts, (const uint8_t *)a.data, a.len, &used, &u, &err),
                         ST_OK);
        assert_int_equal(used, a.len);
        assert_int_equal(alg_type_encode(u, &b), ST_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        assert_int_equal(alg_type_format(&ts, t, &fa), ST_OK);
        assert_int_equal(alg_type_format(&ts, u, &fb), ST_OK);
        assert_string_equal(fa.data, fb.data);
        assert_int_equal(alg_special(t), alg_special(u));
        size_t cut = rng_below(&rng, (uint32_t)a.len);
        assert_int_not_equal(alg_type_decode(&ts, (const uint8_t *)a.data, cut, NULL, &u, NULL),
                             ST_OK);
        char msg[128];
        assert_int_equal(typespace_check(&ts, msg, sizeof msg), ST_OK);
        typespace_fini(&ts);
    }
    strbuf_fini(&a), strbuf_fini(&b), strbuf_fini(&fa), strbuf_fini(&fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_prims),
        cmocka_unit_test(test_types_resolve),
        cmocka_unit_test(test_types_check),
        cmocka_unit_test(test_types_option_string_example),
        cmocka_unit_test(test_types_hand_built),
        cmocka_unit_test(test_types_decode_errors),
        cmocka_unit_test(test_types_depth_limit),
        cmocka_unit_test(test_types_special),
        cmocka_unit_test(test_types_format),
        cmocka_unit_test(test_types_nomem),
        cmocka_unit_test(test_types_random_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
