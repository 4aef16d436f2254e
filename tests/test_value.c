/*
 * test_value.c - Value trees (src/db/value.c, value_display.c): decoding
 * every kind, type-checked encoding with its error messages, exact
 * display text (128/256-bit decimals, floats, escapes, special types),
 * allocation failures, and >= 100k random BSATN -> Value -> BSATN round
 * trips that must be byte-identical.
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

#include "db/bsatn.h"
#include "db/value.h"
#include "util/alloc.h"
#include "values_gen.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static Typespace ts;
static Arena arena;

static int setup(void **state)
{
    (void)state;
    typespace_init(&ts);
    arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_fini(&arena);
    typespace_fini(&ts);
    return 0;
}

static AlgType *product(uint32_t n, const char *const *names, const AlgType *const *types)
{
    AlgType *t = typespace_new_type(&ts, ALG_PRODUCT, n);
    for (uint32_t i = 0; i < n; i++)
        t->members[i] = (AlgMember){ names ? names[i] : NULL, types[i] };
    return t;
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

static Value *decode(const AlgType *t, const uint8_t *p, size_t len)
{
    Value *v = NULL;
    DbError err = {0};
    Status st = value_decode(&arena, &ts, t, p, len, NULL, &v, &err);
    if (st != ST_OK)
        fail_msg("decode: %s: %s", status_str(st), err.msg);
    return v;
}

/* Decode, display, compare with want; re-encode to the same bytes. */
static void assert_display(const AlgType *t, const uint8_t *p, size_t len, const char *want)
{
    Value *v = decode(t, p, len);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(value_display(&ts, t, v, &sb), ST_OK);
    assert_string_equal(sb.data, want);
    strbuf_clear(&sb);
    assert_int_equal(value_encode(&ts, t, v, &sb, NULL), ST_OK);
    assert_int_equal(sb.len, len);
    if (len)
        assert_memory_equal(sb.data, p, len);
    strbuf_fini(&sb);
}

#define DISPLAY(t, want, ...) assert_display((t), BYTES(__VA_ARGS__), (want))

static void test_value_decode_kinds(void **state)
{
    (void)state;
    const char *names[] = { "b", "i", "u", "big", "f", "s", "arr", "opt" };
    const AlgType *types[] = { alg_prim(ALG_BOOL), alg_prim(ALG_I16), alg_prim(ALG_U32),
                               alg_prim(ALG_I128), alg_prim(ALG_F32), alg_prim(ALG_STRING),
                               array_of(alg_prim(ALG_I8)), option_of(alg_prim(ALG_U8)) };
    AlgType *row = product(8, names, types);
    const uint8_t bytes[] = {
        1, 0xFE, 0xFF, 0x78, 0x56, 0x34, 0x12,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0, 0, 0xC0, 0x3F, 2, 0, 0, 0, 'h', 0, 2, 0, 0, 0, 0x80, 0x7F, 0, 42,
    };
    Value *v = decode(row, bytes, sizeof bytes);
    assert_int_equal(v->kind, ALG_PRODUCT);
    assert_int_equal(v->seq.len, 8);
    const Value *f = v->seq.items;
    assert_true(f[0].b);
    assert_int_equal(f[1].i, -2);
    assert_int_equal(f[2].u, 0x12345678);
    assert_int_equal(f[3].wide[0], 0xFF);
    assert_int_equal(f[3].wide[15], 0xFF);
    assert_true(f[4].f32 == 1.5f);
    assert_int_equal(f[5].str.len, 2);
    assert_memory_equal(f[5].str.data, "h\0", 3);   /* NUL kept, NUL added */
    assert_int_equal(f[6].seq.len, 2);
    assert_int_equal(f[6].seq.items[0].i, -128);
    assert_int_equal(f[6].seq.items[1].i, 127);
    assert_int_equal(f[7].kind, ALG_SUM);
    assert_int_equal(f[7].sum.tag, 0);
    assert_int_equal(f[7].sum.payload->u, 42);
    /* used: stop after one value; NULL: exact */
    size_t used;
    Value *w;
    assert_int_equal(value_decode(&arena, &ts, alg_prim(ALG_U8), BYTES(1, 2), &used, &w, NULL), ST_OK);
    assert_int_equal(used, 1);
    DbError err;
    assert_int_equal(value_decode(&arena, &ts, alg_prim(ALG_U8), BYTES(1, 2), NULL, &w, &err),
                     ST_MALFORMED);
    assert_null(w);
    assert_non_null(strstr(err.msg, "trailing bytes"));
    assert_int_equal(value_decode(&arena, &ts, alg_prim(ALG_BOOL), BYTES(2), NULL, &w, &err),
                     ST_MALFORMED);
    assert_non_null(strstr(err.msg, "bad bool byte"));
}

static void assert_encode_fails(const AlgType *t, const Value *v, Status want, const char *words)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "keep");
    DbError err = {0};
    assert_int_equal(value_encode(&ts, t, v, &sb, &err), want);
    assert_int_equal(value_check(&ts, t, v, NULL), want);
    assert_int_equal(sb.len, 4);   /* unchanged */
    assert_string_equal(sb.data, "keep");
    if (!strstr(err.msg, words))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, words);
    strbuf_fini(&sb);
}

static void test_value_encode_errors(void **state)
{
    (void)state;
    /* players: Array<(id: u8, name: String)> */
    const char *names[] = { "id", "name" };
    const AlgType *types[] = { alg_prim(ALG_U8), alg_prim(ALG_STRING) };
    const AlgType *player = product(2, names, types);
    const char *tn[] = { "players" };
    const AlgType *tt[] = { array_of(player) };
    const AlgType *top = product(1, tn, tt);
    Value items[2][2] = {
        { { .kind = ALG_U8, .u = 1 }, { .kind = ALG_STRING, .str = { "ann", 3 } } },
        { { .kind = ALG_U8, .u = 2 }, { .kind = ALG_U32, .u = 7 } },
    };
    Value players[2] = { { .kind = ALG_PRODUCT, .seq = { items[0], 2 } },
                         { .kind = ALG_PRODUCT, .seq = { items[1], 2 } } };
    Value arr = { .kind = ALG_ARRAY, .seq = { players, 2 } };
    Value v = { .kind = ALG_PRODUCT, .seq = { &arr, 1 } };
    assert_encode_fails(top, &v, ST_INVALID, "at .players[1].name: expected String, found u32");
    items[1][1] = (Value){ .kind = ALG_STRING, .str = { "b\xC0\x80", 3 } };
    assert_encode_fails(top, &v, ST_INVALID, "at .players[1].name: String is not valid UTF-8");
    items[1][1] = (Value){ .kind = ALG_STRING, .str = { "bob", 3 } };
    items[0][0].u = 300;
    assert_encode_fails(top, &v, ST_INVALID, "at .players[0].id: 300 does not fit u8");
    items[0][0].u = 255;
    players[1].seq.len = 1;
    assert_encode_fails(top, &v, ST_INVALID, "at .players[1]: expected 2 fields, found 1");
    players[1].seq.len = 2;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(value_encode(&ts, top, &v, &sb, NULL), ST_OK);
    const uint8_t want[] = { 2, 0, 0, 0, 255, 3, 0, 0, 0, 'a', 'n', 'n', 2, 3, 0, 0, 0, 'b', 'o', 'b' };
    assert_int_equal(sb.len, sizeof want);
    assert_memory_equal(sb.data, want, sizeof want);
    strbuf_fini(&sb);
    assert_int_equal(value_check(&ts, top, &v, NULL), ST_OK);
    /* integer ranges */
    Value x = { .kind = ALG_I8, .i = -129 };
    assert_encode_fails(alg_prim(ALG_I8), &x, ST_INVALID, "-129 does not fit i8");
    x.i = -128;
    assert_int_equal(value_check(&ts, alg_prim(ALG_I8), &x, NULL), ST_OK);
    x = (Value){ .kind = ALG_I32, .i = INT64_C(2147483648) };
    assert_encode_fails(alg_prim(ALG_I32), &x, ST_INVALID, "2147483648 does not fit i32");
    x = (Value){ .kind = ALG_U16, .u = 65536 };
    assert_encode_fails(alg_prim(ALG_U16), &x, ST_INVALID, "at the top: 65536 does not fit u16");
    /* sums */
    const AlgType *opt = option_of(alg_prim(ALG_U8));
    Value payload = { .kind = ALG_U8, .u = 1 };
    Value s = { .kind = ALG_SUM, .sum = { 2, &payload } };
    assert_encode_fails(opt, &s, ST_INVALID, "sum tag 2 is out of range (2 variants)");
    s.sum.tag = 1;
    assert_encode_fails(opt, &s, ST_INVALID, "at .none: expected Product, found u8");
    s.sum.payload = NULL;
    assert_encode_fails(opt, &s, ST_INVALID, "sum tag 1 has no payload");
    assert_encode_fails(opt, NULL, ST_INVALID, "expected Sum, found nothing");
    /* dangling refs */
    AlgType *ref = typespace_new_type(&ts, ALG_REF, 0);
    ref->ref = 4242;
    assert_encode_fails(ref, &payload, ST_INVALID, "dangling ref 4242");
}

/* A hand-built value nested deeper than decoding allows is refused. */
static void test_value_encode_depth(void **state)
{
    (void)state;
    enum { DEEP = 100 };
    static Value chain[DEEP + 1];
    const AlgType *types[DEEP + 1];
    types[DEEP] = alg_prim(ALG_U8);
    chain[DEEP] = (Value){ .kind = ALG_U8, .u = 7 };
    for (int i = DEEP; i-- > 0;) {
        types[i] = option_of(types[i + 1]);
        chain[i] = (Value){ .kind = ALG_SUM, .sum = { 0, &chain[i + 1] } };
    }
    assert_encode_fails(types[0], &chain[0], ST_LIMIT, "nested deeper than 64");
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(value_encode(&ts, types[DEEP - 64], &chain[DEEP - 64], &sb, NULL), ST_OK);
    assert_int_equal(sb.len, 65);
    strbuf_fini(&sb);
}

static void test_value_display_numbers(void **state)
{
    (void)state;
    DISPLAY(alg_prim(ALG_BOOL), "true", 1);
    DISPLAY(alg_prim(ALG_I8), "-128", 0x80);
    DISPLAY(alg_prim(ALG_I64), "-2", 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    DISPLAY(alg_prim(ALG_U64), "18446744073709551615", 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF);
    DISPLAY(alg_prim(ALG_U128), "0", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    DISPLAY(alg_prim(ALG_I128), "-170141183460469231731687303715884105728", 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0x80);
    DISPLAY(alg_prim(ALG_I128), "-1", 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    DISPLAY(alg_prim(ALG_U128), "18446744073709551616", 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0,
            0, 0);
    uint8_t max[32], min[32] = { [31] = 0x80 };
    memset(max, 0xFF, 32);
    assert_display(alg_prim(ALG_U256), max, 32,
                   "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    assert_display(alg_prim(ALG_I256), min, 32,
                   "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    DISPLAY(alg_prim(ALG_F64), "1.5", 0, 0, 0, 0, 0, 0, 0xF8, 0x3F);
    DISPLAY(alg_prim(ALG_F64), "0.1", 0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0x3F);
    DISPLAY(alg_prim(ALG_F64), "-0", 0, 0, 0, 0, 0, 0, 0, 0x80);
    DISPLAY(alg_prim(ALG_F64), "-inf", 0, 0, 0, 0, 0, 0, 0xF0, 0xFF);
    DISPLAY(alg_prim(ALG_F64), "NaN", 1, 0, 0, 0, 0, 0, 0xF0, 0x7F);   /* signalling, kept */
    DISPLAY(alg_prim(ALG_F64), "5e-324", 1, 0, 0, 0, 0, 0, 0, 0);
    DISPLAY(alg_prim(ALG_F32), "0.1", 0xCD, 0xCC, 0xCC, 0x3D);
    DISPLAY(alg_prim(ALG_F32), "NaN", 1, 0, 0x80, 0xFF);
    DISPLAY(alg_prim(ALG_F32), "3.4028235e+38", 0xFF, 0xFF, 0x7F, 0x7F);
}

static void test_value_display_composites(void **state)
{
    (void)state;
    DISPLAY(alg_prim(ALG_STRING), "\"a\\\"b\\\\\\n\\u{1}\xC3\xA9\"", 8, 0, 0, 0, 'a', '"', 'b',
            '\\', '\n', 1, 0xC3, 0xA9);
    DISPLAY(alg_prim(ALG_STRING), "\"\\u{0}\"", 1, 0, 0, 0, 0);
    DISPLAY(array_of(alg_prim(ALG_U16)), "[1, 2]", 2, 0, 0, 0, 1, 0, 2, 0);
    DISPLAY(array_of(alg_prim(ALG_U16)), "[]", 0, 0, 0, 0);
    const char *names[] = { "x", NULL };
    const AlgType *types[] = { alg_prim(ALG_U8), alg_prim(ALG_BOOL) };
    DISPLAY(product(2, names, types), "(x = 1, false)", 1, 0);
    assert_display(alg_unit(), NULL, 0, "()");
    const AlgType *opt = option_of(alg_prim(ALG_U8));
    DISPLAY(opt, "(some = 5)", 0, 5);
    DISPLAY(opt, "(none = ())", 1);
    AlgType *unnamed = typespace_new_type(&ts, ALG_SUM, 2);
    unnamed->members[0] = (AlgMember){ NULL, alg_unit() };
    unnamed->members[1] = (AlgMember){ NULL, alg_prim(ALG_I8) };
    DISPLAY(unnamed, "(1 = -1)", 1, 0xFF);
    /* a value that does not fit its type prints <?> */
    Value wrong = { .kind = ALG_U8, .u = 1 };
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(value_display(&ts, alg_prim(ALG_STRING), &wrong, &sb), ST_OK);
    assert_string_equal(sb.data, "<?>");
    strbuf_fini(&sb);
}

static void test_value_display_special(void **state)
{
    (void)state;
    uint8_t id[32];
    for (int i = 0; i < 32; i++)
        id[i] = (uint8_t)i;   /* little-endian: 0x1f1e...00 */
    assert_display(gen_wrapper(&ts, "__identity__", ALG_U256), id, 32,
                   "0x1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100");
    assert_display(gen_wrapper(&ts, "__connection_id__", ALG_U128), id, 16,
                   "0x0f0e0d0c0b0a09080706050403020100");
    const uint8_t uuid[16] = { 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99, 0x88,
                               0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00 };
    assert_display(gen_wrapper(&ts, "__uuid__", ALG_U128), uuid, 16,
                   "00112233-4455-6677-8899-aabbccddeeff");
    AlgType *stamp = gen_wrapper(&ts, "__timestamp_micros_since_unix_epoch__", ALG_I64);
    DISPLAY(stamp, "1970-01-01T00:00:00.000000+00:00", 0, 0, 0, 0, 0, 0, 0, 0);
    DISPLAY(stamp, "1969-12-31T23:59:59.999999+00:00", 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF);
    struct { int64_t micros; const char *text; } stamps[] = {
        { INT64_C(1714564800123456), "2024-05-01T12:00:00.123456+00:00" },
        { INT64_C(951782400000000), "2000-02-29T00:00:00.000000+00:00" },
        { INT64_C(-2203891200000000), "1900-03-01T00:00:00.000000+00:00" },
    };
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        uint8_t b[8];
        for (int k = 0; k < 8; k++)
            b[k] = (uint8_t)((uint64_t)stamps[i].micros >> 8 * k);
        assert_display(stamp, b, 8, stamps[i].text);
    }
    AlgType *dur = gen_wrapper(&ts, "__time_duration_micros__", ALG_I64);
    DISPLAY(dur, "+1.500000", 0x60, 0xE3, 0x16, 0, 0, 0, 0, 0);
    DISPLAY(dur, "-0.000001", 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    DISPLAY(dur, "-9223372036854.775808", 0, 0, 0, 0, 0, 0, 0, 0x80);
    AlgType *sched = typespace_new_type(&ts, ALG_SUM, 2);
    sched->members[0] = (AlgMember){ "Interval", dur };
    sched->members[1] = (AlgMember){ "Time", stamp };
    DISPLAY(sched, "(Interval = +1.000000)", 0, 0x40, 0x42, 0x0F, 0, 0, 0, 0, 0);
    /* the same shape behind a Ref is an ordinary product */
    uint32_t n;
    assert_int_equal(typespace_add(&ts, dur, &n), ST_OK);
    AlgType *ref = typespace_new_type(&ts, ALG_REF, 0);
    ref->ref = n;
    DISPLAY(ref, "(__time_duration_micros__ = 5)", 5, 0, 0, 0, 0, 0, 0, 0);
}

static void test_value_compare_kinds(void **state)
{
    (void)state;
    Value a = { .kind = ALG_U8, .u = 9 }, b = { .kind = ALG_STRING, .str = { "", 0 } };
    assert_true(value_compare(&a, &b) > 0);   /* kinds: u8 = 7 > String = 4 */
    assert_true(value_compare(&b, &a) < 0);
    Value n1 = { .kind = ALG_F64, .f64 = NAN }, n2 = { .kind = ALG_F64, .f64 = -NAN };
    Value inf = { .kind = ALG_F64, .f64 = INFINITY };
    assert_int_equal(value_compare(&n1, &n2), 0);
    assert_true(value_compare(&n1, &inf) > 0);
    Value z1 = { .kind = ALG_F32, .f32 = 0.0f }, z2 = { .kind = ALG_F32, .f32 = -0.0f };
    assert_int_equal(value_compare(&z1, &z2), 0);
    Value i1 = { .kind = ALG_I64, .i = -1 }, i2 = { .kind = ALG_I64, .i = 1 };
    assert_true(value_compare(&i1, &i2) < 0);
}

/* Allocation failure while building the tree: ST_NOMEM, no leak. */
static void test_value_nomem(void **state)
{
    (void)state;
    const AlgType *t = array_of(alg_prim(ALG_STRING));
    static uint8_t big[4 + 3000 * 30];
    big[0] = 0xB8, big[1] = 0x0B;   /* 3000 strings of 26 letters */
    for (int i = 0; i < 3000; i++) {
        uint8_t *p = big + 4 + 30 * i;
        p[0] = 26;
        memcpy(p + 4, "abcdefghijklmnopqrstuvwxyz", 26);
    }
    long live = mem_live();
    bool ok = false;
    for (long n = 0; n < 20 && !ok; n++) {
        Arena a;
        arena_init(&a);
        Value *v;
        DbError err;
        mem_fail_after(n);
        Status st = value_decode(&a, &ts, t, big, sizeof big, NULL, &v, &err);
        mem_fail_after(-1);
        assert_true(st == ST_OK || st == ST_NOMEM);
        if (st == ST_NOMEM)
            assert_null(v);
        ok = st == ST_OK;
        if (ok)
            assert_int_equal(v->seq.len, 3000);
        arena_fini(&a);
        assert_int_equal(mem_live(), live);
    }
    assert_true(ok);
}

/* >= 100k random values: BSATN -> Value -> BSATN is the identity, the
 * tree passes value_check, and display never fails. */
static void test_value_round_trip_random(void **state)
{
    (void)state;
    Rng rng = { 0xA11CE };
    StrBuf in, out, text;
    strbuf_init(&in), strbuf_init(&out), strbuf_init(&text);
    long values = 0;
    for (int i = 0; i < 25000; i++) {
        Typespace local;
        typespace_init(&local);
        const AlgType *t = gen_type(&local, &rng, 1 + (int)rng_below(&rng, 4));
        for (int k = 0; k < 4; k++, values++) {
            strbuf_clear(&in), strbuf_clear(&out), strbuf_clear(&text);
            gen_value(&local, t, &rng, &in);
            Value *v;
            DbError err;
            assert_int_equal(value_decode(&arena, &local, t, (const uint8_t *)in.data, in.len,
                                          NULL, &v, &err), ST_OK);
            assert_int_equal(value_check(&local, t, v, &err), ST_OK);
            assert_int_equal(value_encode(&local, t, v, &out, &err), ST_OK);
            assert_int_equal(out.len, in.len);
            assert_memory_equal(out.data, in.data, in.len);
            assert_int_equal(value_compare(v, v), 0);
            assert_int_equal(value_display(&local, t, v, &text), ST_OK);
            assert_null(strstr(text.data ? text.data : "", "<?>"));
        }
        arena_reset(&arena);
        typespace_fini(&local);
    }
    assert_true(values >= 100000);
    strbuf_fini(&in), strbuf_fini(&out), strbuf_fini(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_value_decode_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_encode_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_encode_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_display_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_display_composites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_display_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_compare_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_nomem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_round_trip_random, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
