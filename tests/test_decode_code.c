/*
 * test_decode_code.c - decoding of function bodies (src/wasm/decode_code.c):
 * local declarations and their limits, every kind of immediate, block
 * nesting and br_table labels, and the instruction-level errors.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "decode_util.h"

static void test_code_locals(void **state)
{
    (void)state;
    WasmModule *m = decode_body(BYTES(0x03, 0x02, 0x7F, 0x00, 0x7E, 0x01, 0x6F, 0x0B));
    assert_int_equal(m->codes[0].nlocals, 3);
    assert_int_equal(m->codes[0].local_types[0], WASM_I32);
    assert_int_equal(m->codes[0].local_types[2], WASM_EXTERNREF);
    assert_int_equal(m->codes[0].body.count, 1);
    assert_int_equal(m->codes[0].size, 8);
    wasm_module_free(m);
    /* 2^32 locals in total: malformed.  Fewer, but over our cap: a limit. */
    expect_body_error(BYTES(0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x02, 0x7E, 0x0B),
                      "too many locals");
    Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, ONE_FUNC));
    SECTION(&b, 10, 0x01, 0x06, 0x01, 0xC0, 0x84, 0x3D, 0x7F, 0x0B);   /* 1000000 */
    expect_error(b.b, b.n, ST_LIMIT, "too many locals", 22);
    expect_body_error(BYTES(0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x7F, 0x0B), "integer too large");
}

static void test_function_code_mismatch(void **state)
{
    (void)state;
    expect_error(BYTES(HEADER, TYPE_VOID, 0x03, 0x03, 0x02, 0x00, 0x00,
                       0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B),
                 ST_MALFORMED, "function and code section have inconsistent lengths", -1);
    expect_error(BYTES(HEADER, TYPE_VOID, ONE_FUNC), ST_MALFORMED,
                 "function and code section have inconsistent lengths", -1);
    expect_error(BYTES(HEADER, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B), ST_MALFORMED,
                 "function and code section have inconsistent lengths", -1);
}

/* ---- instructions ---------------------------------------------------------- */

static void test_instruction_immediates(void **state)
{
    (void)state;
    WasmModule *m = decode_body(BYTES(0x00,
        0x41, 0x7F,                                     /* i32.const -1 */
        0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F,   /* i64 min */
        0x43, 0x00, 0x00, 0x80, 0x3F,                   /* f32.const 1.0 */
        0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F,   /* f64.const 1.0 */
        0x28, 0x02, 0x10,                               /* i32.load align=4 offset=16 */
        0x11, 0x01, 0x80, 0x00,                         /* call_indirect type 1 table 0 */
        0x1C, 0x01, 0x7E,                               /* select (result i64) */
        0xD0, 0x70,                                     /* ref.null func */
        0xFC, 0x80, 0x00,                               /* i32.trunc_sat_f32_s, padded */
        0xFC, 0x0E, 0x02, 0x03,                         /* table.copy 2 3 */
        0xFC, 0x0C, 0x04, 0x05,                         /* table.init elem 4 table 5 */
        0x3F, 0x00,                                     /* memory.size */
        0x0B));
    const WasmInsn *in = m->codes[0].body.insns;
    assert_int_equal(m->codes[0].body.count, 13);
    assert_int_equal(in[0].op, OP_I32_CONST);
    assert_true(in[0].c == 0xFFFFFFFFu);   /* zero-extended */
    assert_true(in[1].c == (uint64_t)INT64_MIN);
    assert_true(in[2].c == 0x3F800000u);
    assert_true(in[3].c == 0x3FF0000000000000u);
    assert_int_equal(in[4].a, 2);
    assert_int_equal(in[4].b, 16);
    assert_int_equal(in[5].op, OP_CALL_INDIRECT);
    assert_int_equal(in[5].a, 1);
    assert_int_equal(in[5].b, 0);
    assert_int_equal(in[6].op, OP_SELECT_T);
    assert_int_equal(in[6].a, 1);
    assert_int_equal(in[6].b, WASM_I64);
    assert_int_equal(in[7].a, WASM_FUNCREF);
    assert_int_equal(in[8].op, OP_I32_TRUNC_SAT_F32_S);
    assert_int_equal(in[9].op, OP_TABLE_COPY);
    assert_int_equal(in[9].a, 2);
    assert_int_equal(in[9].b, 3);
    assert_int_equal(in[10].a, 4);
    assert_int_equal(in[10].b, 5);
    assert_int_equal(in[11].op, OP_MEMORY_SIZE);
    assert_int_equal(in[12].op, OP_END);
    /* Offsets: the body starts after the section header (9 bytes of it). */
    assert_int_equal(in[0].pos, m->codes[0].pos + 1);
    wasm_module_free(m);
}

static void test_blocks_and_br_table(void **state)
{
    (void)state;
    WasmModule *m = decode_body(BYTES(0x00,
        0x02, 0x40,                   /* block */
        0x03, 0x7F,                   /* loop (result i32) */
        0x04, 0x01,                   /* if (type 1) */
        0x0E, 0x02, 0x00, 0x01, 0x02, /* br_table 0 1 default 2 */
        0x05,                         /* else */
        0x0E, 0x00, 0x03,             /* br_table default 3 */
        0x0B, 0x0B, 0x0B,
        0x0B));
    const WasmCode *c = &m->codes[0];
    const WasmInsn *in = c->body.insns;
    assert_int_equal(in[0].bt, WASM_BT_EMPTY);
    assert_int_equal(in[1].bt, WASM_BT_VAL);
    assert_int_equal(in[1].a, WASM_I32);
    assert_int_equal(in[2].bt, WASM_BT_TYPE);
    assert_int_equal(in[2].a, 1);
    assert_int_equal(in[3].op, OP_BR_TABLE);
    assert_int_equal(in[3].b, 2);
    assert_int_equal(c->labels[in[3].a + 1], 1);
    assert_int_equal(c->labels[in[3].a + in[3].b], 2);   /* default */
    assert_int_equal(in[5].b, 0);
    assert_int_equal(c->labels[in[5].a], 3);
    assert_int_equal(c->nlabels, 4);
    assert_int_equal(c->body.count, 10);
    wasm_module_free(m);
}

static void test_instruction_errors(void **state)
{
    (void)state;
    expect_body_error(BYTES(0x00, 0x06, 0x0B), "illegal opcode");
    expect_body_error(BYTES(0x00, 0xFC, 0x12, 0x0B), "illegal opcode");
    expect_body_error(BYTES(0x00, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0B), "integer too large");
    expect_body_error(BYTES(0x00, 0x05, 0x0B), "END opcode expected");
    expect_body_error(BYTES(0x00, 0x04, 0x40, 0x05, 0x05, 0x0B, 0x0B), "END opcode expected");
    expect_body_error(BYTES(0x00, 0x02, 0x40, 0x05, 0x0B, 0x0B), "END opcode expected");
    expect_body_error(BYTES(0x00, 0x3F, 0x01, 0x1A, 0x0B), "zero byte expected");
    expect_body_error(BYTES(0x00, 0x40, 0x80, 0x00, 0x0B), "zero byte expected");
    expect_body_error(BYTES(0x00, 0xFC, 0x0A, 0x00, 0x01, 0x0B), "zero byte expected");
    expect_body_error(BYTES(0x00, 0xFC, 0x0B, 0x01, 0x0B), "zero byte expected");
    expect_body_error(BYTES(0x00, 0xFC, 0x08, 0x00, 0x01, 0x0B), "zero byte expected");
    expect_body_error(BYTES(0x00, 0x28, 0x20, 0x00, 0x0B), "malformed memop flags");
    expect_body_error(BYTES(0x00, 0xD0, 0x7F, 0x0B), "malformed reference type");
    expect_body_error(BYTES(0x00, 0x1C, 0x01, 0x01, 0x0B), "malformed value type");
    expect_body_error(BYTES(0x00, 0x02, 0x7F, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0B, 0x0B),
                      "integer representation too long");
    expect_body_error(BYTES(0x00, 0x02, 0xFF, 0x7F, 0x0B, 0x0B), "malformed block type");
    /* A body that stops before its final `end`: at the end of the binary... */
    expect_error(BYTES(HEADER, TYPE_VOID, ONE_FUNC, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x01),
                 ST_MALFORMED, "unexpected end of section or function", 24);
    /* ...or reading on into the next section. */
    expect_error(BYTES(HEADER, TYPE_VOID, ONE_FUNC, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x01,
                       0x0B, 0x01, 0x00),
                 ST_MALFORMED, "section size mismatch", -1);
    /* A constant expression whose `end` is missing. */
    expect_error(BYTES(HEADER, 0x06, 0x05, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x0A, 0x01, 0x00),
                 ST_MALFORMED, "illegal opcode", 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_code_locals),
        T(test_function_code_mismatch),
        T(test_instruction_immediates),
        T(test_blocks_and_br_table),
        T(test_instruction_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
