/*
 * ex01_return_call.c - graded exercise: teach the decoder `return_call`.
 *
 * Exercise: 1
 * Title: Add an instruction (return_call)
 * Change: WASM_OPCODES in src/wasm/opcodes.h, type_insn() in src/wasm/validate_code.c, interp_run() in src/wasm/interp.c
 * Book: chapter 3, book/03-wasm-binary.md
 *
 * The tail-call proposal's `return_call` is opcode 0x12 followed by a
 * function index.  Once the row is in the table the decoder must read it
 * with its immediate and the dumper must know its name.  Validation must
 * refuse it with ST_INVALID and a message naming it (the interpreter does
 * not run it yet), never assert.
 */
#define EXERCISE_NUMBER 1
#define EXERCISE_SEE "book/03-wasm-binary.md, exercise 1"
#include "exercise.h"

#include <string.h>

#include "decode_util.h"

static void test_opcode_table_row(void **state)
{
    (void)state;
    const WasmOpInfo *info = wasm_op_info(0x12);
    CHECK(info != NULL, "opcode 0x12 is not in WASM_OPCODES");
    CHECK(strcmp(info->name, "return_call") == 0, "opcode 0x12 is called \"%s\", not return_call",
          info->name);
    CHECK(info->imm == IMM_FUNC, "return_call's immediate must be IMM_FUNC (a function index)");
    CHECK(strcmp(info->sig, "") == 0, "return_call's type depends on the callee: signature \"\"");
    /* Its neighbours are untouched. */
    assert_string_equal(wasm_op_name(0x11), "call_indirect");
    assert_null(wasm_op_info(0x13));
}

static void test_decode_return_call(void **state)
{
    (void)state;
    /* Two functions of type 0; the first ends in `return_call 1`. */
    Buf b;
    start_module(&b);
    put(&b, BYTES(TYPE_VOID, 0x03, 0x03, 0x02, 0x00, 0x00));
    SECTION(&b, 10, 0x02, 0x05, 0x00, 0x01, 0x12, 0x01, 0x0B, 0x02, 0x00, 0x0B);
    WasmModule *m = NULL;
    WasmError err = {0};
    Status st = wasm_module_decode(b.b, b.n, &m, &err);
    CHECK(st == ST_OK, "a body holding 0x12 0x01 does not decode: %s", err.msg);
    const WasmInsn *in = m->codes[0].body.insns;
    assert_int_equal(m->codes[0].body.count, 3);
    CHECK(in[1].op == 0x12, "the instruction decoded as op 0x%x", (unsigned)in[1].op);
    CHECK(in[1].a == 1, "return_call's function index decoded as %u, not 1", (unsigned)in[1].a);
    assert_int_equal(in[2].op, OP_END);
    /* The interpreter cannot run it yet: the validator must say so. */
    err = (WasmError){0};
    st = wasm_module_validate(m, &err);
    CHECK(st == ST_INVALID && strstr(err.msg, "return_call"),
          "validation must refuse return_call with ST_INVALID and a message naming it, got %d \"%s\"",
          st, err.msg);
    wasm_module_free(m);
    /* A function index that is not there, or missing, stays an error. */
    expect_body_error(BYTES(0x00, 0x12), "unexpected end");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_opcode_table_row),
        T(test_decode_return_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
