/*
 * test_sequence.c - 128-bit arithmetic and the sequence wrap rule
 * (module-abi.md 7.2), including SpacetimeDB's documented examples and
 * the extreme bounds where naive i128 arithmetic would overflow.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "db/sequence.h"
#include "util/alloc.h"

static I128 I(int64_t v)
{
    return i128_from_i64(v);
}

static const I128 I128_MIN_ = { 0, (uint64_t)1 << 63 };

static void assert_i128(I128 got, I128 want)
{
    if (i128_cmp(got, want) != 0) {
        StrBuf a, b;
        strbuf_init(&a), strbuf_init(&b);
        i128_format(got, &a), i128_format(want, &b);
        fail_msg("got %s, want %s", a.data, b.data);
    }
}

static void test_i128_basics(void **state)
{
    (void)state;
    const struct { I128 v; const char *text; } cases[] = {
        { { 0, 0 }, "0" }, { { UINT64_MAX, UINT64_MAX }, "-1" }, { { 42, 0 }, "42" },
        { { UINT64_MAX, UINT64_MAX >> 1 }, "170141183460469231731687303715884105727" },
        { { 0, (uint64_t)1 << 63 }, "-170141183460469231731687303715884105728" },
        { { 0, 1 }, "18446744073709551616" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        StrBuf sb;
        strbuf_init(&sb);
        assert_int_equal(i128_format(cases[i].v, &sb), ST_OK);
        assert_string_equal(sb.data, cases[i].text);
        strbuf_fini(&sb);
        uint8_t le[16];
        i128_to_le(cases[i].v, le);
        assert_i128(i128_from_le(le), cases[i].v);
    }
    assert_true(i128_cmp(I(-1), I(0)) < 0);
    assert_true(i128_cmp(I128_MIN_, I(-1)) < 0);
    assert_true(i128_cmp(I128_MAX, I(1)) > 0);
    assert_int_equal(i128_cmp(I(7), I(7)), 0);
    assert_i128(I(-2), (I128){ UINT64_MAX - 1, UINT64_MAX });
}

static Sequence seq(I128 min, I128 max, I128 inc)
{
    Sequence s = { .min = min, .max = max, .increment = inc, .value = min, .kind = ALG_I128 };
    return s;
}

static void test_wrap_rule(void **state)
{
    (void)state;
    /* SpacetimeDB's examples (sequence.rs): (min, max, inc, value) -> next */
    const int64_t ex[][5] = {
        { 1, 10, 20, 5, 5 }, { 1, 10, 3, 5, 8 }, { 1, 10, 3, 9, 2 }, { 1, 10, -3, 4, 1 },
        { 1, 10, -3, 1, 8 }, { 1, 10, 1, 9, 10 }, { 1, 10, 1, 10, 1 }, { -5, 5, 4, 3, -4 },
        { 0, 0, 1, 0, 0 }, { 1, 10, 25, 10, 5 }, { 1, 10, -25, 1, 6 },
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        Sequence s = seq(I(ex[i][0]), I(ex[i][1]), I(ex[i][2]));
        assert_i128(sequence_step(&s, I(ex[i][3])), I(ex[i][4]));
    }
    /* the whole i128 range: MAX + 1 wraps to MIN, MIN - 1 to MAX */
    Sequence all = seq(I128_MIN_, I128_MAX, I(1));
    assert_i128(sequence_step(&all, I128_MAX), I128_MIN_);
    all.increment = I(-1);
    assert_i128(sequence_step(&all, I128_MIN_), I128_MAX);
    /* defaults with an increment as big as the range */
    Sequence big = seq(I(1), I128_MAX, I128_MAX);
    assert_i128(sequence_step(&big, I(1)), I(1));
    assert_i128(sequence_step(&big, I(2)), I(2));
    /* next hands out the current value */
    Sequence s = seq(I(1), I(3), I(1));
    assert_i128(sequence_next(&s), I(1));
    assert_i128(sequence_next(&s), I(2));
    assert_i128(sequence_next(&s), I(3));
    assert_i128(sequence_next(&s), I(1));
}

static void test_store_truncates(void **state)
{
    (void)state;
    uint8_t col[32];
    sequence_store(ALG_U8, I(256 + 7), col);
    assert_int_equal(col[0], 7);
    memset(col, 0xAA, sizeof col);
    sequence_store(ALG_I16, I(-1), col);
    assert_int_equal(col[0], 0xFF), assert_int_equal(col[1], 0xFF), assert_int_equal(col[2], 0xAA);
    sequence_store(ALG_U64, I(0x0102030405060708), col);
    assert_int_equal(col[0], 8), assert_int_equal(col[7], 1);
    sequence_store(ALG_I256, I(-2), col);
    assert_int_equal(col[0], 0xFE), assert_int_equal(col[31], 0xFF);
    sequence_store(ALG_U256, I(5), col);
    assert_int_equal(col[0], 5), assert_int_equal(col[16], 0), assert_int_equal(col[31], 0);
    assert_int_equal(sequence_width(ALG_I128), 16);
    assert_true(sequence_kind_ok(ALG_U32));
    assert_false(sequence_kind_ok(ALG_F64));
    assert_false(sequence_kind_ok(ALG_BOOL));
}

static void test_init(void **state)
{
    (void)state;
    Sequence q;
    SequenceSchema s = { .col = 2, .increment = I(1) };
    assert_int_equal(sequence_init(&q, &s, "t", "c", ALG_U32, NULL), ST_OK);
    assert_string_equal(q.name, "t_c_seq");
    assert_i128(q.value, I(1));
    assert_i128(q.min, I(1));
    assert_i128(q.max, I128_MAX);
    sequence_fini(&q);
    s.name = "mine", s.has_start = true, s.start = I(5), s.has_max = true, s.max = I(4);
    DbError err;
    assert_int_equal(sequence_init(&q, &s, "t", "c", ALG_U32, &err), ST_INVALID);
    sequence_fini(&q);
    s.max = I(5);
    assert_int_equal(sequence_init(&q, &s, "t", "c", ALG_U32, NULL), ST_OK);
    assert_string_equal(q.name, "mine");
    sequence_fini(&q);
    s.increment = I(0);
    assert_int_equal(sequence_init(&q, &s, "t", "c", ALG_U32, &err), ST_INVALID);
    sequence_fini(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i128_basics),
        cmocka_unit_test(test_wrap_rule),
        cmocka_unit_test(test_store_truncates),
        cmocka_unit_test(test_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
