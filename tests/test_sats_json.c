/*
 * test_sats_json.c - SATS-JSON <-> BSATN (src/host/sats_json*.c), value
 * by value: exact output for every kind and special type, big integers
 * at their limits, float text in serde_json's shape, products and sums in
 * all their accepted forms, error messages with their paths, hostile
 * nesting, bad BSATN, and random BSATN -> JSON -> BSATN round trips in
 * all three output styles.  (Whole protocol messages and reducer
 * arguments are in test_sats_json_msgs.c.)
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/bsatn.h"
#include "db/value.h"
#include "host/sats_json.h"
#include "host/sats_json_int.h"
#include "sats_json_util.h"
#include "values_gen.h"
/* ---- scalars ------------------------------------------------------------- */

static void test_sats_json_ints(void **state)
{
    (void)state;
    check_both(P(BOOL), "true", "01");
    check_both(P(BOOL), "false", "00");
    check_both(P(U8), "255", "ff");
    check_both(P(I8), "-128", "80");
    check_both(P(I16), "-2", "feff");
    check_both(P(U32), "4294967295", "ffffffff");
    check_both(P(I32), "-2147483648", "00000080");
    check_both(P(U64), "18446744073709551615", "ffffffffffffffff");
    check_both(P(I64), "-9223372036854775808", "0000000000000080");
    check_both(P(I64), "9007199254740993", "0100000000002000");   /* 2^53 + 1, exact */
    check_both(P(U128), "340282366920938463463374607431768211455",
               "ffffffffffffffffffffffffffffffff");
    check_both(P(I128), "-170141183460469231731687303715884105728",
               "00000000000000000000000000000080");
    check_both(P(I128), "170141183460469231731687303715884105727",
               "ffffffffffffffffffffffffffffff7f");
    check_both(P(U128), "0", "00000000000000000000000000000000");
    check_both(P(U128), "1000000000", "00ca9a3b000000000000000000000000");
    /* 256-bit: "0x" and minimal lowercase hex, a minus sign for negatives */
    check_both(P(U256), "\"0x0\"", "0000000000000000000000000000000000000000000000000000000000000000");
    check_both(P(U256), "\"0x1\"", "0100000000000000000000000000000000000000000000000000000000000000");
    check_both(P(U256), "\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"",
               "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    check_both(P(I256), "\"-0x1\"", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    check_both(P(I256), "\"-0x8000000000000000000000000000000000000000000000000000000000000000\"",
               "0000000000000000000000000000000000000000000000000000000000000080");
    check_both(P(I256), "\"0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"",
               "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    check_both(P(U256), "\"0x100\"", "0001000000000000000000000000000000000000000000000000000000000000");
}

/* Integers may also arrive as strings (decimal or hex) and 256-bit ones as numbers. */
static void test_sats_json_ints_lenient(void **state)
{
    (void)state;
    check_in(P(U64), "\"18446744073709551615\"", "ffffffffffffffff");
    check_in(P(U64), "\"0xFFFFFFFFFFFFFFFF\"", "ffffffffffffffff");
    check_in(P(I8), "\"-0x80\"", "80");
    check_in(P(U128), "\"340282366920938463463374607431768211455\"",
             "ffffffffffffffffffffffffffffffff");
    check_in(P(U256), "1", "0100000000000000000000000000000000000000000000000000000000000000");
    check_in(P(U256),
             "\"115792089237316195423570985008687907853269984665640564039457584007913129639935\"",
             "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    check_in(P(I256), "-1", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    check_in(P(U8), "-0", "00");
    check_in(P(U16), "\"00065535\"", "ffff");
}

static void test_sats_json_int_errors(void **state)
{
    (void)state;
    check_err(P(U8), "256", ST_INVALID, "value 256 out of range for u8");
    check_err(P(U64), "-1", ST_INVALID, "value -1 out of range for u64");
    check_err(P(I8), "128", ST_INVALID, "value 128 out of range for i8");
    check_err(P(I64), "9223372036854775808", ST_INVALID,
              "value 9223372036854775808 out of range for i64");
    check_err(P(U128), "340282366920938463463374607431768211456", ST_INVALID,
              "value 340282366920938463463374607431768211456 out of range for u128");
    check_err(P(U256), "\"0x10000000000000000000000000000000000000000000000000000000000000000\"",
              ST_INVALID, "value 0x10000000000000000000000000000000000000000000000000000000000000000 "
              "out of range for u256");
    check_err(P(U256), "\"-0x1\"", ST_INVALID, "value -0x1 out of range for u256");
    check_err(P(U32), "1.5", ST_INVALID, "expected u32 (an integer), got number 1.5");
    check_err(P(U32), "1e3", ST_INVALID, "expected u32 (an integer), got number 1e3");
    check_err(P(U32), "true", ST_INVALID, "expected u32 (an integer), got true");
    check_err(P(U32), "\"12a\"", ST_INVALID,
              "expected u32 as an integer or \"0x\" hex string, got 12a");
    check_err(P(U32), "\"\"", ST_INVALID, "expected u32 as an integer or \"0x\" hex string, got ");
    check_err(P(U32), "\"0x\"", ST_INVALID, "expected u32 as an integer or \"0x\" hex string, got 0x");
    check_err(P(BOOL), "1", ST_INVALID, "expected bool, got number 1");
    check_err(P(STRING), "7", ST_INVALID, "expected String, got number 7");
}

/* BSATN bits -> JSON text, in Rust's (Ryu's) layout; NaN and infinities as null. */
static void check_f64(uint64_t bits, const char *want)
{
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned)(bits >> 8 * i & 0xFF));
    check_out(P(F64), hex, SATS_JSON_NAMED, want);
}

static void check_f32(uint32_t bits, const char *want)
{
    char hex[9];
    for (int i = 0; i < 4; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned)(bits >> 8 * i & 0xFF));
    check_out(P(F32), hex, SATS_JSON_NAMED, want);
}

static uint64_t f64_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void test_sats_json_float_text(void **state)
{
    (void)state;
    check_f64(f64_bits(1.0), "1.0");
    check_f64(f64_bits(-0.0), "-0.0");
    check_f64(f64_bits(0.0), "0.0");
    check_f64(f64_bits(0.1), "0.1");
    check_f64(f64_bits(-2.5), "-2.5");
    check_f64(f64_bits(123456.7), "123456.7");
    check_f64(f64_bits(1e15), "1000000000000000.0");
    check_f64(f64_bits(1e16), "1e16");
    check_f64(f64_bits(1.2345e20), "1.2345e20");
    check_f64(f64_bits(1e-5), "0.00001");
    check_f64(f64_bits(1.5e-5), "0.000015");
    check_f64(f64_bits(1e-6), "1e-6");
    check_f64(f64_bits(1.7976931348623157e308), "1.7976931348623157e308");
    check_f64(1, "5e-324");
    check_f64(f64_bits(0.30000000000000004), "0.30000000000000004");
    check_f64(f64_bits(9007199254740993.0), "9007199254740992.0");
    check_f64(UINT64_C(0x7FF8000000000000), "null");
    check_f64(UINT64_C(0x7FF0000000000000), "null");
    check_f64(UINT64_C(0xFFF0000000000000), "null");
    check_f32(f32_bits(0.1f), "0.1");
    check_f32(f32_bits(1.0f), "1.0");
    check_f32(f32_bits(16777216.0f), "16777216.0");
    check_f32(f32_bits(1e12f), "1000000000000.0");
    check_f32(f32_bits(1e13f), "1e13");
    check_f32(f32_bits(1e-6f), "0.000001");
    check_f32(f32_bits(1e-7f), "1e-7");
    check_f32(0x7F7FFFFFu, "3.4028235e38");
    check_f32(1, "1e-45");
    check_f32(f32_bits(-1.5f), "-1.5");
    check_f32(f32_bits(1e15f), "1e15");
    check_f32(f32_bits(123456.7f), "123456.7");
    check_f32(f32_bits(1e-5f), "0.00001");
    check_f32(f32_bits(1.2345e20f), "1.2345e20");
    check_f32(0x7FC00000u, "null");
}

static void test_sats_json_float_in(void **state)
{
    (void)state;
    check_in(P(F32), "0.1", "cdcccc3d");
    check_in(P(F32), "1", "0000803f");
    check_in(P(F32), "16777217", "0000804b");          /* rounds once, to even */
    check_in(P(F32), "3.4028235e38", "ffff7f7f");
    check_in(P(F32), "1e-45", "01000000");
    check_in(P(F32), "1e-50", "00000000");             /* underflow is not an error */
    check_in(P(F64), "-0", "0000000000000080");
    check_in(P(F64), "18446744073709551616", "000000000000f043");
    check_err(P(F32), "1e40", ST_INVALID, "value 1e40 out of range for f32");
    check_err(P(F64), "1e400", ST_INVALID, "value 1e400 out of range for f64");
    check_err(P(F64), "null", ST_INVALID, "expected f64 (a number), got null");
    check_err(P(F64), "\"1.5\"", ST_INVALID, "expected f64 (a number), got a string");
    check_err(prod(1, "position", prod(3, "x", P(F32), "y", P(F32), "z", P(F32))),
              "{\"position\":{\"x\":1e40,\"y\":0,\"z\":0}}", ST_INVALID,
              "field position.x: value 1e40 out of range for f32");
}

/* Every finite float survives BSATN -> JSON -> BSATN. */
static void test_sats_json_float_round_trip(void **state)
{
    (void)state;
    Rng r = {12345};
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rng_next(&r);
        bool single = i % 2;
        uint8_t b[8];
        for (int k = 0; k < 8; k++)
            b[k] = (uint8_t)(bits >> 8 * k);
        float f;
        double d;
        uint32_t low = (uint32_t)bits;
        memcpy(&f, &low, 4);
        memcpy(&d, &bits, 8);
        if (single ? !isfinite(f) : !isfinite(d))
            continue;
        const AlgType *t = single ? P(F32) : P(F64);
        strbuf_clear(&out);
        assert_int_equal(sats_json_from_bsatn(&ts, t, b, single ? 4 : 8, NULL, SATS_JSON_NAMED,
                                              &out, &err), ST_OK);
        char text[64];
        snprintf(text, sizeof text, "%s", out.data);
        strbuf_clear(&out);
        assert_int_equal(sats_json_text_to_bsatn(&ts, t, text, strlen(text), &out, &err), ST_OK);
        if (memcmp(out.data, b, single ? 4 : 8) != 0)
            fail_msg("float %016llx -> %s does not read back", (unsigned long long)bits, text);
    }
}

static void test_sats_json_strings_bytes(void **state)
{
    (void)state;
    check_both(P(STRING), "\"\"", "00000000");
    check_both(P(STRING), "\"Alice\"", "05000000416c696365");
    /* serde_json's escapes: \" \\ \n \t \b \f \r, \u00XX for other controls */
    check_both(P(STRING), "\"q\\\"b\\\\n\\n\\u0001\\u001f\xC3\xA9\x7F\"",
               "0b0000007122625c6e0a011fc3a97f");
    check_in(P(STRING), "\"\\u00e9\\ud83d\\ude00\"", "06000000c3a9f09f9880");
    const AlgType *bytes = arr(P(U8));
    check_both(bytes, "\"0a0b\"", "020000000a0b");
    check_both(bytes, "\"\"", "00000000");
    check_in(bytes, "[10,11]", "020000000a0b");
    check_in(bytes, "\"0A0B\"", "020000000a0b");
    check_in(bytes, "\"0x0a0b\"", "020000000a0b");
    check_err(bytes, "\"0a0\"", ST_INVALID, "hex string for Array<u8> has odd length 3");
    check_err(bytes, "\"0g\"", ST_INVALID, "bad hex digits in Array<u8> at character 0");
    check_err(bytes, "[1,256]", ST_INVALID, "element [1]: value 256 out of range for u8");
    check_err(bytes, "5", ST_INVALID,
              "expected Array<u8> (a hex string or an array), got number 5");
    check_both(arr(P(U16)), "[1,2]", "0200000001000200");
    check_both(arr(arr(P(STRING))), "[[],[\"a\"]]", "02000000000000000100000001000000" "61");
}

/* ---- products, sums, special types -------------------------------------- */

static void test_sats_json_products(void **state)
{
    (void)state;
    const AlgType *row = prod(2, "id", P(U32), "name", P(STRING));
    check_both(row, "{\"id\":1,\"name\":\"Alice\"}", "0100000005000000416c696365");
    check_in(row, "[1,\"Alice\"]", "0100000005000000416c696365");
    check_in(row, "{\"name\":\"Alice\",\"id\":1}", "0100000005000000416c696365");
    check_out(row, "0100000005000000416c696365", SATS_JSON_ROW, "{\"id\":1,\"name\":\"Alice\"}");
    check_out(row, "0100000005000000416c696365", SATS_JSON_POSITIONAL, "[1,\"Alice\"]");
    check_both(alg_unit(), "[]", "");
    check_in(alg_unit(), "{}", "");
    check_out(alg_unit(), "", SATS_JSON_POSITIONAL, "[]");
    /* unnamed fields are keyed by position */
    const AlgType *tuple = prod(2, NULL, P(U8), "b", P(U8));
    check_both(tuple, "{\"0\":1,\"b\":2}", "0102");
    check_err(row, "{\"id\":1}", ST_INVALID, "missing field `name`");
    check_err(row, "{\"id\":1,\"name\":\"a\",\"x\":2}", ST_INVALID, "unknown field `x`");
    check_err(row, "{\"id\":1,\"id\":2}", ST_INVALID, "duplicate field `id`");
    check_err(row, "[1]", ST_INVALID, "expected 2 elements, got 1");
    check_err(row, "[1,\"a\",3]", ST_INVALID, "expected 2 elements, got 3");
    check_err(row, "\"x\"", ST_INVALID,
              "expected (id: u32, name: String) (an object or an array), got a string");
    check_err(row, "{\"id\":1,\"name\":2}", ST_INVALID, "field name: expected String, got number 2");
    /* a ref'd type nested in an array of products */
    const AlgType *vec3 = ref_to(prod(3, "x", P(F32), "y", P(F32), "z", P(F32)));
    const AlgType *path = prod(1, "points", arr(vec3));
    check_err(path, "{\"points\":[{\"x\":1,\"y\":2,\"z\":3},{\"x\":1,\"y\":true,\"z\":3}]}",
              ST_INVALID, "field points[1].y: expected f32 (a number), got true");
    check_both(path, "{\"points\":[{\"x\":1.0,\"y\":2.0,\"z\":3.0}]}",
               "01000000" "0000803f" "00000040" "00004040");
    /* a wide product (more fields than the reader's on-stack table) */
    static char names[40][4];
    AlgType *wide = typespace_new_type(&ts, ALG_PRODUCT, 40);
    StrBuf json, hex;
    strbuf_init(&json);
    strbuf_init(&hex);
    strbuf_putc(&json, '{');
    for (int i = 39; i >= 0; i--) {   /* members in reverse order */
        snprintf(names[i], sizeof names[i], "f%d", i);
        wide->members[i] = (AlgMember){names[i], P(U8)};
        strbuf_printf(&json, "%s\"f%d\":%d", i == 39 ? "" : ",", i, i);
    }
    strbuf_putc(&json, '}');
    for (int i = 0; i < 40; i++)
        strbuf_printf(&hex, "%02x", i);
    check_in(wide, json.data, hex.data);
    check_err(wide, "{\"f1\":1}", ST_INVALID, "missing field `f0`");
    strbuf_fini(&json);
    strbuf_fini(&hex);
}

static void test_sats_json_sums(void **state)
{
    (void)state;
    const AlgType *shape = sum(3, "Circle", P(F64), "Named", P(STRING), "Empty", alg_unit());
    check_both(shape, "{\"Named\":\"x\"}", "010100000078");
    check_both(shape, "{\"Empty\":[]}", "02");
    check_in(shape, "{\"1\":\"x\"}", "010100000078");
    check_in(shape, "[1,\"x\"]", "010100000078");
    check_in(shape, "[\"Named\",\"x\"]", "010100000078");
    check_in(shape, "{\"Empty\":{}}", "02");
    check_out(shape, "010100000078", SATS_JSON_ROW, "[1,\"x\"]");
    check_out(shape, "02", SATS_JSON_POSITIONAL, "[2,[]]");
    check_err(shape, "{\"Square\":1}", ST_INVALID, "unknown variant `Square`");
    check_err(shape, "{\"7\":1}", ST_INVALID, "unknown variant tag 7 (the sum has 3 variants)");
    check_err(shape, "[3,1]", ST_INVALID, "unknown variant tag 3 (the sum has 3 variants)");
    check_err(shape, "[1.0,1]", ST_INVALID, "expected a variant name or tag, got number 1.0");
    check_err(shape, "{\"Named\":\"x\",\"Empty\":[]}", ST_INVALID,
              "expected (Circle: f64 | Named: String | Empty: ()) ({\"variant\": value} or "
              "[tag, value]), got an object");
    check_err(shape, "null", ST_INVALID,
              "expected (Circle: f64 | Named: String | Empty: ()) ({\"variant\": value} or "
              "[tag, value]), got null");
    check_err(shape, "{\"Empty\":1}", ST_INVALID,
              "variant Empty: expected () (an object or an array), got number 1");
    check_err(shape, "{\"Circle\":\"x\"}", ST_INVALID,
              "variant Circle: expected f64 (a number), got a string");
    /* unnamed variants are written positionally even in the named style */
    const AlgType *anon = sum(2, NULL, P(U8), NULL, P(BOOL));
    check_both(anon, "[1,true]", "0101");
    /* Option: {"some": v}, {"none": []}, and null for none */
    const AlgType *o = opt(P(U32));
    check_both(o, "{\"some\":3}", "0003000000");
    check_both(o, "{\"none\":[]}", "01");
    check_in(o, "null", "01");
    check_out(o, "0003000000", SATS_JSON_ROW, "[0,3]");
    check_out(o, "01", SATS_JSON_ROW, "[1,[]]");
    check_out(opt(P(BOOL)), "0001", SATS_JSON_ROW, "[0,true]");
}

static void test_sats_json_special_types(void **state)
{
    (void)state;
    /* alice = 0xc20006c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90 (big-endian) */
    check_both(identity_t(),
               "{\"__identity__\":\"0xc20006c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90\"}",
               "906e6d18db71af934fac8fdbc8239726a963a78f32c31f1aaf000e7fc90600c2");
    check_in(identity_t(),
             "[\"0xc20006c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90\"]",
             "906e6d18db71af934fac8fdbc8239726a963a78f32c31f1aaf000e7fc90600c2");
    /* leading zeros dropped on output, accepted on input */
    check_both(identity_t(), "{\"__identity__\":\"0x1\"}",
               "0100000000000000000000000000000000000000000000000000000000000000");
    check_in(identity_t(),
             "{\"__identity__\":\"0x0000000000000000000000000000000000000000000000000000000000000001\"}",
             "0100000000000000000000000000000000000000000000000000000000000000");
    check_both(connid_t(), "{\"__connection_id__\":99146521849321058726154437911617354023}",
               "2739a60c5c0d61861c89ef9befec964a");
    check_both(connid_t(), "{\"__connection_id__\":0}", "00000000000000000000000000000000");
    check_both(timestamp_t(), "{\"__timestamp_micros_since_unix_epoch__\":1718000000123456}",
               "4042bb0b831a0600");
    check_both(timestamp_t(), "{\"__timestamp_micros_since_unix_epoch__\":-1}", "ffffffffffffffff");
    check_both(duration_t(), "{\"__time_duration_micros__\":1000000}", "40420f0000000000");
    check_both(prod(1, "__uuid__", P(U128)), "{\"__uuid__\":1}", "01000000000000000000000000000000");
    /* ScheduleAt::Interval(1 s) is 00 40 42 0f 00 ... (module-abi.md, observed) */
    const AlgType *sched = sum(2, "Interval", duration_t(), "Time", timestamp_t());
    check_both(sched, "{\"Interval\":{\"__time_duration_micros__\":1000000}}", "0040420f0000000000");
    check_both(sched, "{\"Time\":{\"__timestamp_micros_since_unix_epoch__\":1718000000123456}}",
               "014042bb0b831a0600");
    check_out(sched, "0040420f0000000000", SATS_JSON_POSITIONAL, "[0,[1000000]]");
    check_out(prod(2, "owner", identity_t(), "at", timestamp_t()),
              "0100000000000000000000000000000000000000000000000000000000000000" "0100000000000000",
              SATS_JSON_ROW,
              "{\"owner\":{\"__identity__\":\"0x1\"},\"at\":{\"__timestamp_micros_since_unix_epoch__\":1}}");
    check_err(identity_t(), "{\"__identity__\":\"zz\"}", ST_INVALID,
              "field __identity__: expected u256 as an integer or \"0x\" hex string, got zz");
}

/* ---- hostile input and bad bytes ----------------------------------------- */

static void test_sats_json_depth(void **state)
{
    (void)state;
    /* List = Option<(head: u8, tail: List)>, a recursive type */
    AlgType *cell = typespace_new_type(&ts, ALG_PRODUCT, 2);
    AlgType *list = typespace_new_type(&ts, ALG_SUM, 2);
    uint32_t idx;
    assert_int_equal(typespace_add(&ts, list, &idx), ST_OK);
    AlgType *ref = typespace_new_type(&ts, ALG_REF, 0);
    ref->ref = idx;
    cell->members[0] = (AlgMember){"head", P(U8)};
    cell->members[1] = (AlgMember){"tail", ref};
    list->members[0] = (AlgMember){"some", cell};
    list->members[1] = (AlgMember){"none", alg_unit()};
    check_both(ref, "{\"some\":{\"head\":1,\"tail\":{\"none\":[]}}}", "000101");
    /* 40 cells = 80 levels of JSON nesting: fine for the parser, too deep for BSATN */
    StrBuf deep;
    strbuf_init(&deep);
    for (int i = 0; i < 40; i++)
        strbuf_puts(&deep, "[0,[1,");
    strbuf_puts(&deep, "null");
    for (int i = 0; i < 40; i++)
        strbuf_puts(&deep, "]]");
    strbuf_clear(&out);
    assert_int_equal(sats_json_text_to_bsatn(&ts, ref, deep.data, deep.len, &out, &err), ST_LIMIT);
    assert_non_null(strstr(err.msg, "value nested deeper than 64"));
    assert_int_equal(out.len, 0);
    /* JSON deeper than the parser's limit is refused before any conversion */
    strbuf_clear(&deep);
    for (int i = 0; i < 200; i++)
        strbuf_putc(&deep, '[');
    for (int i = 0; i < 200; i++)
        strbuf_putc(&deep, ']');
    assert_int_equal(sats_json_text_to_bsatn(&ts, ref, deep.data, deep.len, &out, &err), ST_LIMIT);
    strbuf_fini(&deep);
    /* a dangling ref is an error, not a crash */
    AlgType *dangling = typespace_new_type(&ts, ALG_REF, 0);
    dangling->ref = 999;
    check_err(dangling, "1", ST_INVALID, "type has a dangling or cyclic ref 999");
}

static void test_sats_json_bad_bsatn(void **state)
{
    (void)state;
    const AlgType *row = prod(2, "id", P(U32), "name", P(STRING));
    uint8_t b[] = {1, 0, 0, 0, 5, 0, 0, 0, 'A', 'l', 'i', 'c', 'e', 0xEE};
    strbuf_clear(&out);
    assert_int_equal(sats_json_from_bsatn(&ts, row, b, 10, NULL, SATS_JSON_NAMED, &out, &err),
                     ST_MALFORMED);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    assert_int_equal(out.len, 0);
    assert_int_not_equal(sats_json_from_bsatn(&ts, row, b, sizeof b, NULL, SATS_JSON_NAMED,
                                              &out, &err), ST_OK);   /* trailing byte */
    size_t used = 0;
    assert_int_equal(sats_json_from_bsatn(&ts, row, b, sizeof b, &used, SATS_JSON_NAMED,
                                          &out, &err), ST_OK);
    assert_int_equal(used, 13);
    assert_string_equal(out.data, "{\"id\":1,\"name\":\"Alice\"}");
    uint8_t bad_bool[] = {2};
    assert_int_equal(sats_json_from_bsatn(&ts, P(BOOL), bad_bool, 1, NULL, SATS_JSON_NAMED,
                                          &out, &err), ST_MALFORMED);
    uint8_t bad_tag[] = {2};
    assert_int_equal(sats_json_from_bsatn(&ts, opt(P(U8)), bad_tag, 1, NULL, SATS_JSON_NAMED,
                                          &out, &err), ST_MALFORMED);
}

/* ---- random round trips -------------------------------------------------- */

/* True when no product (or sum) reachable from t repeats a member name,
 * so named JSON can be read back unambiguously. */
static bool names_unique(const AlgType *t, bool sums_too, int depth)
{
    t = alg_resolve(&ts, t);
    if (depth > 20)
        return true;
    if (t->kind == ALG_ARRAY)
        return names_unique(t->elem, sums_too, depth + 1);
    if (t->kind != ALG_PRODUCT && t->kind != ALG_SUM)
        return true;
    for (uint32_t i = 0; i < t->nmembers; i++) {
        for (uint32_t j = 0; j < i && (t->kind == ALG_PRODUCT || sums_too); j++)
            if (t->members[i].name && t->members[j].name &&
                strcmp(t->members[i].name, t->members[j].name) == 0)
                return false;
        if (!names_unique(t->members[i].type, sums_too, depth + 1))
            return false;
    }
    return true;
}

static bool nonfinite(const Value *v)
{
    switch (v->kind) {
    case ALG_F32: return !isfinite(v->f32);
    case ALG_F64: return !isfinite(v->f64);
    case ALG_SUM: return nonfinite(v->sum.payload);
    case ALG_ARRAY:
    case ALG_PRODUCT:
        for (uint32_t i = 0; i < v->seq.len; i++)
            if (nonfinite(&v->seq.items[i]))
                return true;
        return false;
    default: return false;
    }
}

static void test_sats_json_round_trip_random(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    StrBuf val, back;
    strbuf_init(&val);
    strbuf_init(&back);
    long checked = 0, nulls = 0;
    for (uint64_t seed = 1; seed <= 30000; seed++) {
        Rng r = {seed};
        const AlgType *t = gen_type(&ts, &r, 4);
        strbuf_clear(&val);
        gen_value(&ts, t, &r, &val);
        Value *v;
        assert_int_equal(value_decode(&a, &ts, t, (const uint8_t *)val.data, val.len, NULL, &v,
                                      &err), ST_OK);
        bool lossy = nonfinite(v);
        for (int style = SATS_JSON_NAMED; style <= SATS_JSON_POSITIONAL; style++) {
            if (style != SATS_JSON_POSITIONAL && !names_unique(t, style == SATS_JSON_NAMED, 0))
                continue;
            strbuf_clear(&out);
            assert_int_equal(sats_json_from_bsatn(&ts, t, (const uint8_t *)val.data, val.len,
                                                  NULL, (SatsJsonStyle)style, &out, &err), ST_OK);
            strbuf_clear(&back);
            Status st = sats_json_text_to_bsatn(&ts, t, out.data, out.len, &back, &err);
            if (lossy) {   /* NaN and infinities are written as null and cannot come back */
                assert_int_equal(st, ST_INVALID);
                assert_non_null(strstr(err.msg, "got null"));
                nulls++;
                continue;
            }
            if (st != ST_OK)
                fail_msg("seed %llu style %d: %s\n%s", (unsigned long long)seed, style, err.msg,
                         out.data);
            if (back.len != val.len || memcmp(back.data, val.data, val.len) != 0)
                fail_msg("seed %llu style %d: round trip differs\n%s", (unsigned long long)seed,
                         style, out.data);
            checked++;
        }
        arena_reset(&a);
    }
    assert_true(checked > 40000);
    assert_true(nulls > 100);
    strbuf_fini(&val);
    strbuf_fini(&back);
    arena_fini(&a);
}

/* ---- the number helpers directly ----------------------------------------- */

static void test_sats_json_num(void **state)
{
    (void)state;
    uint8_t b[32];
    assert_int_equal(sats_json_num_parse_int("-129", 4, false, 1, true, b), ST_LIMIT);
    assert_int_equal(sats_json_num_parse_int("-128", 4, false, 1, true, b), ST_OK);
    assert_int_equal(b[0], 0x80);
    assert_int_equal(sats_json_num_parse_int("0x", 2, true, 4, false, b), ST_INVALID);
    assert_int_equal(sats_json_num_parse_int("-", 1, true, 4, true, b), ST_INVALID);
    assert_int_equal(sats_json_num_parse_int("12x", 3, true, 4, false, b), ST_INVALID);
    assert_int_equal(sats_json_num_parse_int("0x1f", 4, false, 4, false, b), ST_INVALID);
    /* a huge number with a bad digit at the end is a syntax error, not a range error */
    char big[120];
    memset(big, '9', sizeof big);
    big[119] = 'z';
    assert_int_equal(sats_json_num_parse_int(big, sizeof big, false, 32, false, b), ST_INVALID);
    assert_int_equal(sats_json_num_parse_int(big, 119, false, 32, false, b), ST_LIMIT);
    StrBuf sb;
    strbuf_init(&sb);
    uint8_t m[16];
    memset(m, 0, sizeof m);
    m[0] = 0x00;
    m[4] = 0x01;   /* 2^32 */
    assert_int_equal(sats_json_num_write_int(&sb, m, 16, false, false), ST_OK);
    assert_string_equal(sb.data, "4294967296");
    strbuf_clear(&sb);
    memset(m, 0, sizeof m);
    m[0] = 0x00;
    m[1] = 0xCA;
    m[2] = 0x9A;
    m[3] = 0x3B;   /* 10^9: a chunk boundary */
    assert_int_equal(sats_json_num_write_int(&sb, m, 16, false, false), ST_OK);
    assert_string_equal(sb.data, "1000000000");
    strbuf_clear(&sb);
    assert_int_equal(sats_json_num_write_int(&sb, m, 16, false, true), ST_OK);
    assert_string_equal(sb.data, "0x3b9aca00");
    strbuf_fini(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sats_json_ints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_ints_lenient, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_int_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_float_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_float_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_float_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_strings_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_products, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_sums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_special_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_bad_bsatn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_round_trip_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_num, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
