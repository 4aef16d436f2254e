/*
 * test_interp.c - the interpreter's arithmetic, memory and control flow,
 * through the whole pipeline (bytes -> wasm_module_load ->
 * wasm_instantiate -> wasm_call), with bodies written as text for the
 * assembler in interp_asm.h.  Calls, limits, tables, the dump and trace
 * views and a randomized differential test are in test_interp_calls.c.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include "interp_asm.h"

/* ---- integer arithmetic -------------------------------------------------- */

static void test_interp_int_division(void **state)
{
    (void)state;
    const char *div_s = "local.get 0 local.get 1 i32.div_s";
    expect("ii:i", div_s, ARGS(7, (uint32_t)-2), (uint32_t)-3);
    expect_trap("ii:i", div_s, ARGS(7, 0), "integer divide by zero");
    expect_trap("ii:i", div_s, ARGS(0x80000000, 0xFFFFFFFF), "integer overflow");
    expect("ii:i", "local.get 0 local.get 1 i32.rem_s", ARGS(0x80000000, 0xFFFFFFFF), 0);
    expect("ii:i", "local.get 0 local.get 1 i32.rem_s", ARGS((uint32_t)-7, 2), (uint32_t)-1);
    expect("ii:i", "local.get 0 local.get 1 i32.div_u", ARGS(0xFFFFFFFF, 2), 0x7FFFFFFF);
    expect_trap("ii:i", "local.get 0 local.get 1 i32.rem_u", ARGS(1, 0), "integer divide by zero");
    /* constant divisors take the _RI form */
    expect_trap("i:i", "local.get 0 i32.const 0 i32.div_u", ARGS(5), "integer divide by zero");
    expect_trap("i:i", "local.get 0 i32.const -1 i32.div_s", ARGS(0x80000000), "integer overflow");
    expect("i:i", "local.get 0 i32.const -1 i32.rem_s", ARGS(0x80000000), 0);
    expect_trap("II:I", "local.get 0 local.get 1 i64.div_s", ARGS(1ull << 63, ~0ull),
                "integer overflow");
    expect("II:I", "local.get 0 local.get 1 i64.rem_s", ARGS(1ull << 63, ~0ull), 0);
    expect_trap("II:I", "local.get 0 local.get 1 i64.div_u", ARGS(1, 0), "integer divide by zero");
    expect("II:I", "local.get 0 local.get 1 i64.div_s", ARGS((uint64_t)-9, 2), (uint64_t)-4);
}

static void test_interp_int_bits(void **state)
{
    (void)state;
    expect("ii:i", "local.get 0 local.get 1 i32.shl", ARGS(1, 33), 2);
    expect("ii:i", "local.get 0 local.get 1 i32.shr_s", ARGS(0x80000000, 63), 0xFFFFFFFF);
    expect("ii:i", "local.get 0 local.get 1 i32.shr_u", ARGS(0x80000000, 63), 1);
    expect("ii:i", "local.get 0 local.get 1 i32.rotl", ARGS(0x80000001, 1), 3);
    expect("ii:i", "local.get 0 local.get 1 i32.rotr", ARGS(1, 0), 1);
    expect("ii:i", "local.get 0 local.get 1 i32.rotr", ARGS(1, 33), 0x80000000);
    expect("i:i", "local.get 0 i32.clz", ARGS(0), 32);
    expect("i:i", "local.get 0 i32.ctz", ARGS(0), 32);
    expect("i:i", "local.get 0 i32.popcnt", ARGS(0xFFFFFFFF), 32);
    expect("I:I", "local.get 0 i64.clz", ARGS(0), 64);
    expect("I:I", "local.get 0 i64.ctz", ARGS(1ull << 63), 63);
    expect("II:I", "local.get 0 local.get 1 i64.rotl", ARGS((1ull << 63) | 1, 65), 3);
    expect("II:I", "local.get 0 local.get 1 i64.shr_s", ARGS(1ull << 63, 127), ~0ull);
    expect("i:I", "local.get 0 i64.extend_i32_s", ARGS(0x80000000), 0xFFFFFFFF80000000u);
    expect("i:I", "local.get 0 i64.extend_i32_u", ARGS(0x80000000), 0x80000000);
    expect("I:i", "local.get 0 i32.wrap_i64", ARGS(0x123456789), 0x23456789);
    expect("i:i", "local.get 0 i32.extend8_s", ARGS(0x80), 0xFFFFFF80);
    expect("I:I", "local.get 0 i64.extend32_s", ARGS(0x80000000), 0xFFFFFFFF80000000u);
    expect("i:i", "i32.const 10 local.get 0 i32.sub", ARGS(3), 7);   /* constant first */
    expect("i:i", "i32.const 10 local.get 0 i32.add", ARGS(3), 13);  /* swapped into _RI */
    expect("i:i", "local.get 0 i32.const -1 i32.lt_s", ARGS(0x80000000), 1);
    expect("i:i", "local.get 0 i32.const -1 i32.lt_u", ARGS(0x80000000), 1);
    expect("I:i", "local.get 0 i64.const -1 i64.lt_s", ARGS(1ull << 63), 1);
    expect("I:i", "local.get 0 i64.eqz", ARGS(0), 1);
    expect("i:i", "local.get 0 i32.const 0xFFFFFFFF i32.mul", ARGS(3), (uint32_t)-3);
}

/* ---- floats ------------------------------------------------------------------ */

static void expect_nan(const char *sig, const char *body, const WasmCell *args, bool f32)
{
    Fixture fx;
    WasmCell r[2] = {0};
    assert_int_equal(run1(&fx, sig, "", body, args, r), ST_OK);
    if (f32)   /* a quiet NaN: exponent all ones, top mantissa bit set */
        assert_true((r[0] & 0x7FC00000) == 0x7FC00000 && r[0] <= 0xFFFFFFFF);
    else
        assert_true((r[0] & 0x7FF8000000000000u) == 0x7FF8000000000000u);
    unload(&fx);
}

static void test_interp_float_ops(void **state)
{
    (void)state;
    const char *min = "local.get 0 local.get 1 f32.min", *max = "local.get 0 local.get 1 f32.max";
    expect("ff:f", min, ARGS(f32_bits(0.0f), f32_bits(-0.0f)), 0x80000000);
    expect("ff:f", max, ARGS(f32_bits(-0.0f), f32_bits(0.0f)), 0);
    expect_nan("ff:f", min, ARGS(f32_bits(1.0f), 0x7FA00000), true);
    expect_nan("ff:f", max, ARGS(0xFFC00000, f32_bits(1.0f)), true);
    expect("FF:F", "local.get 0 local.get 1 f64.min", ARGS(0, 1ull << 63), 1ull << 63);
    expect_nan("FF:F", "local.get 0 local.get 1 f64.max", ARGS(0x7FF0000000000001u, 0), false);
    expect("f:f", "local.get 0 f32.nearest", ARGS(f32_bits(2.5f)), f32_bits(2.0f));
    expect("f:f", "local.get 0 f32.nearest", ARGS(f32_bits(3.5f)), f32_bits(4.0f));
    expect("f:f", "local.get 0 f32.nearest", ARGS(f32_bits(-0.5f)), 0x80000000);
    expect("F:F", "local.get 0 f64.nearest", ARGS(f64_bits(4.5)), f64_bits(4.0));
    expect_nan("f:f", "local.get 0 f32.ceil", ARGS(0x7FA00000), true);
    expect_nan("F:F", "local.get 0 f64.sqrt", ARGS(f64_bits(-1.0)), false);
    /* sign operations only touch the sign bit, even of a NaN */
    expect(":f", "f32.const nan:0x200000 f32.neg", NOARGS, 0xFFA00000);
    expect(":f", "f32.const nan:0x1 f32.const -1 f32.copysign", NOARGS, 0xFF800001);
    expect(":F", "f64.const -nan:0x1 f64.abs", NOARGS, 0x7FF0000000000001u);
    expect("FF:F", "local.get 0 local.get 1 f64.div", ARGS(f64_bits(1.0), f64_bits(-0.0)),
           f64_bits(-1.0 / 0.0));
    expect_nan("f:F", "local.get 0 f64.promote_f32", ARGS(0xFFA00000), false);
    expect("f:F", "local.get 0 f64.promote_f32", ARGS(f32_bits(-1.5f)), f64_bits(-1.5));
    expect_nan("F:f", "local.get 0 f32.demote_f64", ARGS(0x7FF4000000000000u), true);
    expect("I:f", "local.get 0 f32.convert_i64_u", ARGS(~0ull), 0x5F800000);
    expect("I:f", "local.get 0 f32.convert_i64_s", ARGS(9007199791611905ull), 0x5A000001);
    expect("i:F", "local.get 0 f64.convert_i32_u", ARGS(0xFFFFFFFF), f64_bits(4294967295.0));
    expect("ff:i", "local.get 0 local.get 1 f32.ne", ARGS(0x7FC00000, 0x7FC00000), 1);
    expect("FF:i", "local.get 0 local.get 1 f64.lt", ARGS(f64_bits(-0.0), 0), 0);
}

static void test_interp_float_to_int(void **state)
{
    (void)state;
    const char *s32 = "local.get 0 i32.trunc_f32_s", *s64 = "local.get 0 i32.trunc_f64_s";
    const char *u64 = "local.get 0 i32.trunc_f64_u";
    expect_trap("f:i", s32, ARGS(f32_bits(2147483648.0f)), "integer overflow");
    expect("f:i", s32, ARGS(f32_bits(-2147483648.0f)), 0x80000000);
    expect_trap("f:i", s32, ARGS(0x7FC00000), "invalid conversion to integer");
    expect("F:i", s64, ARGS(f64_bits(-2147483648.9)), 0x80000000);
    expect_trap("F:i", s64, ARGS(f64_bits(-2147483649.0)), "integer overflow");
    expect("F:i", u64, ARGS(f64_bits(-0.9)), 0);
    expect_trap("F:i", u64, ARGS(f64_bits(-1.0)), "integer overflow");
    expect("F:i", u64, ARGS(f64_bits(4294967295.9)), 0xFFFFFFFF);
    expect("F:I", "local.get 0 i64.trunc_f64_s", ARGS(f64_bits(-9223372036854775808.0)), 1ull << 63);
    expect_trap("F:I", "local.get 0 i64.trunc_f64_s", ARGS(f64_bits(9223372036854775808.0)),
                "integer overflow");
    expect("f:I", "local.get 0 i64.trunc_f32_u", ARGS(0x5F7FFFFF), 0xFFFFFF0000000000u);
    expect("f:i", "local.get 0 i32.trunc_sat_f32_s", ARGS(0x7FC00000), 0);
    expect("f:i", "local.get 0 i32.trunc_sat_f32_s", ARGS(0x7F800000), 0x7FFFFFFF);
    expect("f:i", "local.get 0 i32.trunc_sat_f32_s", ARGS(0xFF800000), 0x80000000);
    expect("F:I", "local.get 0 i64.trunc_sat_f64_u", ARGS(f64_bits(-1.0)), 0);
    expect("F:I", "local.get 0 i64.trunc_sat_f64_u", ARGS(f64_bits(1e20)), ~0ull);
    expect("F:I", "local.get 0 i64.trunc_sat_f64_s", ARGS(f64_bits(-1e19)), 1ull << 63);
}

/* ---- memory ---------------------------------------------------------------- */

static void test_interp_memory_edges(void **state)
{
    (void)state;
    expect("i:i", "local.get 0 i32.const 0x01020304 i32.store 0 local.get 0 i32.load 0",
           ARGS(65532), 0x01020304);
    expect_trap("i:i", "local.get 0 i32.load 0", ARGS(65533), OOB);
    expect_trap("i:i", "local.get 0 i32.load 4", ARGS(65532), OOB);
    expect_trap("i:i", "local.get 0 i32.load8_u 1", ARGS(0xFFFFFFFF), OOB);   /* no wrap */
    expect("i:i", "local.get 0 i32.load8_u 0", ARGS(65535), 0);
    expect_trap("i:", "local.get 0 i32.const 1 i32.store16 0", ARGS(65535), OOB);
    expect("i:i", "local.get 0 i32.const 0x11223344 i32.store 0 local.get 0 i32.load8_u 0",
           ARGS(3), 0x44);   /* little-endian, unaligned */
    expect("i:I", "local.get 0 i64.const -1 i64.store 0 local.get 0 i64.load8_s 3", ARGS(16), ~0ull);
    expect("i:I", "local.get 0 i32.const -2 i32.store 0 local.get 0 i64.load32_u 0", ARGS(8),
           0xFFFFFFFE);
    expect(":i", "i32.const 1 memory.grow drop memory.size", NOARGS, 2);
    expect(":i", "i32.const 2 memory.grow", NOARGS, 0xFFFFFFFF);   /* max is 2 pages */
    expect(":i", "i32.const 1 memory.grow drop i32.const 70000 i32.const 5 i32.store 0 "
                 "i32.const 70000 i32.load 0", NOARGS, 5);
}

static void test_interp_bulk_memory(void **state)
{
    (void)state;
    /* A partly out-of-bounds fill writes nothing. */
    TestModule tm = {.funcs = {
        {":", "", "i32.const 65530 i32.const 7 i32.const 10 memory.fill"},
        {"i:i", "", "local.get 0 i32.load8_u 0"},
        {"iii:", "", "local.get 0 local.get 1 local.get 2 memory.init 0"},
        {"iii:", "", "local.get 0 local.get 1 local.get 2 memory.copy"},
        {":", "", "data.drop 0"},
    }};
    Fixture fx;
    WasmCell r[2];
    load(&fx, &tm);
    assert_int_equal(call(&fx, "f0", NULL, NULL), ST_TRAP);
    assert_string_equal(fx.err.msg, OOB);
    assert_int_equal(call(&fx, "f1", ARGS(65530), r), ST_OK);
    assert_int_equal(r[0], 0);
    assert_int_equal(call(&fx, "f2", ARGS(100, 0, 8), NULL), ST_OK);   /* "abcdefgh" */
    assert_int_equal(call(&fx, "f1", ARGS(107), r), ST_OK);
    assert_int_equal(r[0], 'h');
    assert_int_equal(call(&fx, "f2", ARGS(0, 5, 4), NULL), ST_TRAP);   /* past the segment */
    assert_int_equal(call(&fx, "f3", ARGS(101, 100, 7), NULL), ST_OK); /* overlapping */
    assert_int_equal(call(&fx, "f1", ARGS(107), r), ST_OK);
    assert_int_equal(r[0], 'g');
    assert_int_equal(call(&fx, "f3", ARGS(65535, 0, 2), NULL), ST_TRAP);
    assert_int_equal(call(&fx, "f3", ARGS(65536, 0, 0), NULL), ST_OK);  /* empty, at the end */
    assert_int_equal(call(&fx, "f3", ARGS(65537, 0, 0), NULL), ST_TRAP); /* empty, beyond */
    assert_int_equal(call(&fx, "f4", NULL, NULL), ST_OK);
    assert_int_equal(call(&fx, "f2", ARGS(0, 0, 0), NULL), ST_OK);
    assert_int_equal(call(&fx, "f2", ARGS(0, 0, 1), NULL), ST_TRAP);  /* dropped */
    unload(&fx);
}

/* ---- control --------------------------------------------------------------- */

static void test_interp_br_table(void **state)
{
    (void)state;
    const char *body = "block void block void block void local.get 0 br_table 2 0 1 2 end "
                       "i32.const 10 return end i32.const 11 return end i32.const 12";
    expect("i:i", body, ARGS(0), 10);
    expect("i:i", body, ARGS(1), 11);
    expect("i:i", body, ARGS(2), 12);
    expect("i:i", body, ARGS(100), 12);   /* out of range: the default */
    /* with a value carried to each label */
    const char *vals = "block i32 block i32 local.get 0 local.get 1 br_table 1 0 1 end "
                       "i32.const 100 i32.add end";
    expect("ii:i", vals, ARGS(5, 0), 105);
    expect("ii:i", vals, ARGS(5, 7), 5);
}

static void test_interp_multi_value(void **state)
{
    (void)state;
    Fixture fx;
    WasmCell r[2];
    TestModule tm = {
        .types = {"ii:ii", "i:i"},
        .funcs = {
            /* block (param i32 i32) (result i32 i32): (a + b) * b */
            {"ii:i", "", "local.get 0 local.get 1 block t0 i32.add local.get 1 end i32.mul"},
            /* a loop carrying (acc, n): sum of 1..n */
            {"i:i", "i", "i32.const 0 local.get 0 loop t0 local.set 1 local.get 1 i32.add "
                         "local.get 1 i32.const 1 i32.sub local.tee 1 local.get 1 br_if 0 end drop"},
            /* if with a param and a result */
            {"ii:i", "", "local.get 0 local.get 1 if t1 i32.const 1 i32.add else i32.const 2 "
                         "i32.mul end"},
            /* a function returning two values, and a caller using both */
            {"ii:ii", "", "local.get 1 local.get 0"},
            {"ii:i", "", "local.get 0 local.get 1 call 3 i32.sub"},
        }};
    load(&fx, &tm);
    assert_int_equal(call(&fx, "f0", ARGS(2, 3), r), ST_OK);
    assert_int_equal(r[0], 15);
    assert_int_equal(call(&fx, "f1", ARGS(10), r), ST_OK);
    assert_int_equal(r[0], 55);
    assert_int_equal(call(&fx, "f2", ARGS(5, 1), r), ST_OK);
    assert_int_equal(r[0], 6);
    assert_int_equal(call(&fx, "f2", ARGS(5, 0), r), ST_OK);
    assert_int_equal(r[0], 10);
    assert_int_equal(call(&fx, "f3", ARGS(1, 2), r), ST_OK);
    assert_int_equal(r[0], 2);
    assert_int_equal(r[1], 1);
    assert_int_equal(call(&fx, "f4", ARGS(1, 5), r), ST_OK);
    assert_int_equal(r[0], 4);
    unload(&fx);
}

static void test_interp_branches(void **state)
{
    (void)state;
    const char *br_if_value = "block i32 local.get 0 local.get 0 br_if 0 drop i32.const 7 end";
    expect("i:i", br_if_value, ARGS(4), 4);
    expect("i:i", br_if_value, ARGS(0), 7);
    expect("i:i", "block i32 block void local.get 0 br 1 end i32.const 9 end", ARGS(3), 3);
    expect("i:i", "block void loop void local.get 0 return end end i32.const 0", ARGS(6), 6);
    expect("i:i", "local.get 0 if i32 i32.const 1 else i32.const 2 end", ARGS(0), 2);
    expect("i:i", "local.get 0 i32.eqz if i32 i32.const 1 else i32.const 2 end", ARGS(0), 1);
    expect("iii:i", "local.get 0 local.get 1 local.get 2 select", ARGS(1, 2, 0), 2);
    expect("iii:i", "local.get 0 local.get 1 local.get 2 select", ARGS(1, 2, 5), 1);
    expect_trap(":", "unreachable", NOARGS, "unreachable");
    /* br_if returning from the function, with a value to move */
    expect("i:i", "local.get 0 local.get 0 i32.const 3 i32.gt_u br_if 0 drop i32.const 1",
           ARGS(5), 5);
    expect("i:i", "local.get 0 local.get 0 i32.const 3 i32.gt_u br_if 0 drop i32.const 1",
           ARGS(2), 1);
    /* a value below a loop is kept while the loop runs */
    expect("i:i", "i32.const 40 loop void local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0 "
                  "end i32.const 2 i32.add", ARGS(3), 42);
}

/* A local read before the local is overwritten keeps its old value. */
static void test_interp_local_aliasing(void **state)
{
    (void)state;
    expect("i:i", "local.get 0 i32.const 5 local.set 0 local.get 0 i32.sub", ARGS(8), 3);
    expect("i:i", "local.get 0 local.get 0 i32.const 1 i32.add local.tee 0 i32.mul", ARGS(3), 12);
    expect("ii:i", "local.get 0 local.get 1 local.set 0 local.get 0 i32.sub", ARGS(10, 4), 6);
    expect("i:i", "local.get 0 block void i32.const 1 local.set 0 end local.get 0 i32.add",
           ARGS(10), 11);
    expect("i:i", "local.get 0 local.get 0 if void i32.const 0 local.set 0 end local.get 0 "
                  "i32.add", ARGS(10), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interp_int_division),
        cmocka_unit_test(test_interp_int_bits),
        cmocka_unit_test(test_interp_float_ops),
        cmocka_unit_test(test_interp_float_to_int),
        cmocka_unit_test(test_interp_memory_edges),
        cmocka_unit_test(test_interp_bulk_memory),
        cmocka_unit_test(test_interp_br_table),
        cmocka_unit_test(test_interp_multi_value),
        cmocka_unit_test(test_interp_branches),
        cmocka_unit_test(test_interp_local_aliasing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
