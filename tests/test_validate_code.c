/*
 * test_validate_code.c - unit tests of function-body type checking
 * (src/wasm/validate_code.c): the operand and control stacks, unreachable
 * code, blocks with parameters, branches, select, memory alignment, and
 * the limits that protect against hostile bodies.
 *
 * Modules are built by hand with tests/validate_builder.h.
 *
 * Book: chapter 4, book/04-wasm-validation.md
 */
#include "validate_builder.h"

/* ---- straight-line code ------------------------------------------------------ */

static void test_validate_numeric(void **state)
{
    (void)state;
    BODY_OK("", "i", IA(I32_CONST, 1), IA(I32_CONST, 2), I(I32_ADD), I(END));
    BODY_OK("iI", "I", IA(LOCAL_GET, 1), IA(LOCAL_GET, 0), I(I64_EXTEND_I32_U), I(I64_ADD),
            I(END));
    BODY_BAD("type mismatch", "", "i", IA(I32_CONST, 1), IA(I64_CONST, 2), I(I32_ADD), I(END));
    BODY_BAD("type mismatch", "", "i", IA(I32_CONST, 1), I(I32_ADD), I(END));
    BODY_BAD("type mismatch", "", "", IA(I32_CONST, 1), I(END));      /* value left over */
    BODY_BAD("type mismatch", "", "i", I(END));                        /* missing result */
    BODY_BAD("type mismatch", "", "", IA(F32_CONST, 0), I(I32_EQZ), I(DROP), I(END));
    BODY_BAD("unknown local 2", "i", "", IA(LOCAL_GET, 2), I(DROP), I(END));
}

static void test_validate_error_position(void **state)
{
    (void)state;
    /* positions are 100 + 10 * index: the i32.add is instruction 2 */
    BODY_BAD("type mismatch", "", "i", IA(I32_CONST, 1), IA(F32_CONST, 2), I(I32_ADD), I(END));
    assert_true(err.has_pos);
    assert_int_equal(err.pos, 120);
    assert_int_equal(err.status, ST_INVALID);
    assert_non_null(strstr(err.msg, "i32.add"));
}

static void test_validate_locals(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    WasmInsn body[] = {IA(LOCAL_GET, 0), IA(LOCAL_TEE, 1), IA(LOCAL_SET, 2), I(END)};
    add_func(&t, add_type(&t, "f", ""), "ff", body, N(body));
    expect_valid(&t);
    body[2].a = 3;
    expect_error(&t, ST_INVALID, "unknown local 3");
    memset(&t, 0, sizeof t);
    WasmInsn body2[] = {IA(LOCAL_GET, 0), IA(LOCAL_SET, 1), I(END)};
    add_func(&t, add_type(&t, "f", ""), "I", body2, N(body2));
    expect_error(&t, ST_INVALID, "type mismatch");
}

/* ---- unreachable code -------------------------------------------------------- */

static void test_validate_polymorphic_stack(void **state)
{
    (void)state;
    /* after unreachable, pops from the empty stack yield "unknown" */
    BODY_OK("", "i", I(UNREACHABLE), I(I32_ADD), I(END));
    BODY_OK("", "", I(UNREACHABLE), I(DROP), I(DROP), I(END));
    BODY_OK("", "I", I(UNREACHABLE), IA(I64_CONST, 0), I(I64_ADD), I(END));
    /* but concrete values pushed afterwards are still checked */
    BODY_BAD("type mismatch", "", "i", I(UNREACHABLE), IA(I64_CONST, 0), I(I32_ADD), I(END));
    BODY_BAD("type mismatch", "", "", I(UNREACHABLE), IA(I32_CONST, 0), I(END));
    /* select on the bottom produces an unknown value that must be used */
    BODY_BAD("type mismatch", "", "", I(UNREACHABLE), I(SELECT), I(END));
    BODY_BAD("type mismatch", "", "i", I(UNREACHABLE), IA(I64_CONST, 0), IA(I32_CONST, 0),
             I(SELECT), I(END));
    /* dead code after br must still fit the block's type */
    BODY_BAD("type mismatch", "", "",
             BLK(BLOCK, WASM_BT_VAL, WASM_I32), IA(I32_CONST, 1), IA(BR, 0), IA(I64_CONST, 0),
             I(END), I(DROP), I(END));
    BODY_OK("", "",
            BLK(BLOCK, WASM_BT_VAL, WASM_I32), IA(I32_CONST, 1), IA(BR, 0), I(I32_ADD), I(END),
            I(DROP), I(END));
    /* the polymorphism ends with the block */
    BODY_BAD("type mismatch", "", "",
             BLK(BLOCK, WASM_BT_EMPTY, 0), I(UNREACHABLE), I(END), I(DROP), I(END));
    BODY_OK("", "i", IA(I32_CONST, 1), I(RETURN), I(I32_ADD), I(END));
    BODY_BAD("type mismatch", "", "i", I(RETURN), I(END));
    BODY_OK("", "", I(UNREACHABLE), I(REF_IS_NULL), I(DROP), I(END));
}

static void test_validate_br_if_types(void **state)
{
    (void)state;
    /* 2.0: br_if leaves the *label's* types, so after an unknown
     * operand the stack holds a concrete i32 */
    BODY_BAD("type mismatch", "", "",
             BLK(BLOCK, WASM_BT_VAL, WASM_I32), I(UNREACHABLE), IA(BR_IF, 0), I(I64_EQZ), I(END),
             I(DROP), I(END));
    BODY_OK("", "",
            BLK(BLOCK, WASM_BT_VAL, WASM_I32), I(UNREACHABLE), IA(BR_IF, 0), I(END), I(DROP),
            I(END));
    BODY_BAD("unknown label 1", "", "", IA(I32_CONST, 0), IA(BR_IF, 1), I(END));
    BODY_BAD("type mismatch", "", "", IA(BR_IF, 0), I(END));
}

/* ---- blocks and branches ----------------------------------------------------- */

static void test_validate_block_params(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    uint32_t ft = add_type(&t, "", "i");
    uint32_t bt = add_type(&t, "ii", "i");
    WasmInsn body[] = {IA(I32_CONST, 1), IA(I32_CONST, 2), BLK(BLOCK, WASM_BT_TYPE, bt),
                       I(I32_ADD), I(END), I(END)};
    add_func(&t, ft, "", body, N(body));
    expect_valid(&t);
    body[1].op = OP_I64_CONST;               /* wrong parameter type */
    expect_error(&t, ST_INVALID, "type mismatch");
    body[1].op = OP_NOP;                     /* missing parameter */
    expect_error(&t, ST_INVALID, "type mismatch");
    body[1].op = OP_I32_CONST;
    body[2].a = 9;
    expect_error(&t, ST_INVALID, "unknown type 9");

    /* a branch to a loop carries the loop's *params* */
    memset(&t, 0, sizeof t);
    ft = add_type(&t, "", "");
    bt = add_type(&t, "i", "");
    WasmInsn loop[] = {IA(I32_CONST, 1), BLK(LOOP, WASM_BT_TYPE, bt), IA(BR, 0), I(END),
                       I(END)};
    add_func(&t, ft, "", loop, N(loop));
    expect_valid(&t);
    loop[2].op = OP_DROP;                    /* consumes the param: ok */
    expect_valid(&t);
}

static void test_validate_if_else(void **state)
{
    (void)state;
    BODY_OK("", "i", IA(I32_CONST, 1), BLK(IF, WASM_BT_VAL, WASM_I32), IA(I32_CONST, 2),
            I(ELSE), IA(I32_CONST, 3), I(END), I(END));
    BODY_BAD("type mismatch", "", "i", IA(I32_CONST, 1), BLK(IF, WASM_BT_VAL, WASM_I32),
             IA(I32_CONST, 2), I(ELSE), IA(I64_CONST, 3), I(END), I(END));
    /* an if with a result needs an else */
    BODY_BAD("type mismatch", "", "i", IA(I32_CONST, 1), BLK(IF, WASM_BT_VAL, WASM_I32),
             IA(I32_CONST, 2), I(END), I(END));
    /* the condition must be an i32 */
    BODY_BAD("type mismatch", "", "", IA(I64_CONST, 1), BLK(IF, WASM_BT_EMPTY, 0), I(END),
             I(END));
    /* else closes the then-branch with an empty stack */
    BODY_BAD("type mismatch", "", "", IA(I32_CONST, 1), BLK(IF, WASM_BT_EMPTY, 0),
             IA(I32_CONST, 2), I(ELSE), I(END), I(END));

    /* if [i32] -> [i32] without else is fine: the param passes through */
    static TestModule t;
    memset(&t, 0, sizeof t);
    uint32_t ft = add_type(&t, "", "i");
    uint32_t bt = add_type(&t, "i", "i");
    WasmInsn body[] = {IA(I32_CONST, 5), IA(I32_CONST, 1), BLK(IF, WASM_BT_TYPE, bt),
                       IA(I32_CONST, 1), I(I32_ADD), I(END), I(END)};
    add_func(&t, ft, "", body, N(body));
    expect_valid(&t);
}

static void test_validate_br_table(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    uint32_t ft = add_type(&t, "", "");
    /* block (result f64) block (result f32) unreachable br_table 0 1 1 end
     * drop f64.const 0 end drop */
    t.labels[0] = 0, t.labels[1] = 1, t.labels[2] = 1;
    WasmInsn meet[] = {BLK(BLOCK, WASM_BT_VAL, WASM_F64), BLK(BLOCK, WASM_BT_VAL, WASM_F32),
                       I(UNREACHABLE), IAB(BR_TABLE, 0, 2), I(END), I(DROP), IA(F64_CONST, 0),
                       I(END), I(DROP), I(END)};
    add_func(&t, ft, "", meet, N(meet));
    expect_valid(&t);   /* an unknown operand suits f32 and f64 alike */

    /* with a concrete operand the two targets disagree */
    meet[2] = (WasmInsn){.op = OP_F32_CONST};
    WasmInsn cond = {.op = OP_I32_CONST};
    WasmInsn body[11];
    memcpy(body, meet, 3 * sizeof *body);
    body[3] = cond;
    memcpy(body + 4, meet + 3, 7 * sizeof *body);
    t.codes[0].body.insns = body;
    t.codes[0].body.count = 11;
    expect_error(&t, ST_INVALID, "type mismatch");
    t.labels[2] = 0;                /* the default now fits; target 1 still does not */
    expect_error(&t, ST_INVALID, "type mismatch");
    t.labels[0] = 0, t.labels[1] = 0;
    expect_valid(&t);

    /* different arities are an error even in dead code */
    memset(&t, 0, sizeof t);
    ft = add_type(&t, "", "");
    t.labels[0] = 0, t.labels[1] = 1;
    WasmInsn arity[] = {BLK(BLOCK, WASM_BT_EMPTY, 0), BLK(BLOCK, WASM_BT_VAL, WASM_I32),
                        I(UNREACHABLE), IAB(BR_TABLE, 0, 1), I(END), I(DROP), I(END), I(END)};
    add_func(&t, ft, "", arity, N(arity));
    expect_error(&t, ST_INVALID, "type mismatch");
    t.labels[1] = 5;
    expect_error(&t, ST_INVALID, "unknown label 5");
    t.labels[1] = 0;
    expect_valid(&t);
}

static void test_validate_deep_nesting(void **state)
{
    (void)state;
    /* 200,000 nested blocks: no recursion, so no C stack overflow */
    enum { DEPTH = 200000 };
    WasmInsn *body = mem_calloc(2 * DEPTH + 1, sizeof *body);
    assert_non_null(body);
    for (uint32_t i = 0; i < DEPTH; i++) {
        body[i] = (WasmInsn){.op = OP_BLOCK, .bt = WASM_BT_EMPTY};
        body[DEPTH + i] = (WasmInsn){.op = OP_END};
    }
    body[2 * DEPTH] = (WasmInsn){.op = OP_END};
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_func(&t, add_type(&t, "", ""), "", body, 2 * DEPTH + 1);
    expect_valid(&t);
    body[2 * DEPTH].op = OP_NOP;   /* one end short */
    expect_error(&t, ST_MALFORMED, "END opcode expected");
    mem_free(body);
}

static void test_validate_operand_limit(void **state)
{
    (void)state;
    /* 1100 calls of a function returning 1000 values: over the limit */
    static TestModule t;
    memset(&t, 0, sizeof t);
    static uint8_t many[1000];
    memset(many, WASM_I32, sizeof many);
    t.types[0] = (WasmFuncType){0, sizeof many, many};
    t.m.ntypes = 1;
    add_import_func(&t, 0);
    enum { CALLS = 1100 };
    WasmInsn *body = mem_calloc(CALLS + 2, sizeof *body);
    assert_non_null(body);
    for (uint32_t i = 0; i < CALLS; i++)
        body[i] = (WasmInsn){.op = OP_CALL, .a = 0};
    body[CALLS] = (WasmInsn){.op = OP_UNREACHABLE};
    body[CALLS + 1] = (WasmInsn){.op = OP_END};
    add_func(&t, add_type(&t, "", ""), "", body, CALLS + 2);
    expect_error(&t, ST_LIMIT, "operand stack too deep");
    t.codes[0].body.insns = body + CALLS - 10;   /* 10 calls: fine */
    t.codes[0].body.count = 12;
    expect_valid(&t);
    mem_free(body);
}

/* ---- parametric instructions, memory access ---------------------------------- */

static void test_validate_select(void **state)
{
    (void)state;
    BODY_OK("FF", "F", IA(LOCAL_GET, 0), IA(LOCAL_GET, 1), IA(I32_CONST, 0), I(SELECT), I(END));
    BODY_BAD("type mismatch", "", "", IA(I32_CONST, 1), IA(I64_CONST, 1), IA(I32_CONST, 1),
             I(SELECT), I(DROP), I(END));
    /* references need a typed select */
    BODY_BAD("type mismatch", "e", "", IA(LOCAL_GET, 0), IA(LOCAL_GET, 0), IA(I32_CONST, 1),
             I(SELECT), I(DROP), I(END));
    BODY_OK("e", "e", IA(LOCAL_GET, 0), IA(LOCAL_GET, 0), IA(I32_CONST, 1),
            IAB(SELECT_T, 1, WASM_EXTERNREF), I(END));
    BODY_BAD("type mismatch", "e", "", IA(LOCAL_GET, 0), IA(I32_CONST, 0), IA(I32_CONST, 1),
             IAB(SELECT_T, 1, WASM_EXTERNREF), I(DROP), I(END));
    BODY_BAD("invalid result arity", "", "", IA(I32_CONST, 1), IAB(SELECT_T, 0, 0), I(END));
    BODY_BAD("invalid result arity", "", "i", IA(I32_CONST, 1), IA(I32_CONST, 1),
             IA(I32_CONST, 1), IAB(SELECT_T, 2, WASM_I32), I(END));
    /* one unknown operand takes the other's type; a reference is refused */
    BODY_OK("", "i", I(UNREACHABLE), IA(I32_CONST, 1), IA(I32_CONST, 1), I(SELECT), I(END));
    BODY_BAD("type mismatch", "", "", I(UNREACHABLE), IA(REF_NULL, WASM_FUNCREF),
             IA(I32_CONST, 1), I(SELECT), I(DROP), I(END));
}

static void test_validate_alignment(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_memory(&t, 1, 0, false);
    WasmInsn body[] = {IA(I32_CONST, 0), IA(I64_LOAD, 3), I(DROP), I(END)};
    add_func(&t, add_type(&t, "", ""), "", body, N(body));
    expect_valid(&t);
    body[1].a = 4;
    expect_error(&t, ST_INVALID, "alignment must not be larger than natural");
    body[1] = (WasmInsn)IA(I64_LOAD16_U, 1);
    expect_valid(&t);
    body[1].a = 2;
    expect_error(&t, ST_INVALID, "alignment must not be larger than natural");
    t.m.nmems = 0;
    expect_error(&t, ST_INVALID, "unknown memory");
}

/* ---- the stacks themselves --------------------------------------------------- */

static void test_validate_stack_invariants(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    /* stop before the function's end to look at the stacks mid-body */
    WasmInsn body[] = {IA(I32_CONST, 1), BLK(BLOCK, WASM_BT_EMPTY, 0), IA(F32_CONST, 0),
                       I(UNREACHABLE), IA(I64_CONST, 0), I(DROP), I(END), I(DROP), I(END)};
    add_func(&t, add_type(&t, "", ""), "", body, N(body));
    expect_valid(&t);
    Validator v = {.m = &t.m, .err = &err};
    uint8_t declared[1] = {0};
    v.declared = declared;
    t.codes[0].body.count = 5;                          /* cut inside the block */
    assert_int_equal(validate_code_body(&v, 0), ST_MALFORMED);
    assert_int_equal(validate_code_check(&v), ST_OK);
    assert_int_equal(v.ctrls.len, 2);
    assert_int_equal(v.vals.len, 2);                    /* i32 below, i64 above */
    assert_true(v.ctrls.items[1].unreachable);
    v.ctrls.items[1].height = 5;                        /* break an invariant */
    assert_int_equal(validate_code_check(&v), ST_INVALID);
    validate_code_fini(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_numeric),
        cmocka_unit_test(test_validate_error_position),
        cmocka_unit_test(test_validate_locals),
        cmocka_unit_test(test_validate_polymorphic_stack),
        cmocka_unit_test(test_validate_br_if_types),
        cmocka_unit_test(test_validate_block_params),
        cmocka_unit_test(test_validate_if_else),
        cmocka_unit_test(test_validate_br_table),
        cmocka_unit_test(test_validate_deep_nesting),
        cmocka_unit_test(test_validate_operand_limit),
        cmocka_unit_test(test_validate_select),
        cmocka_unit_test(test_validate_alignment),
        cmocka_unit_test(test_validate_stack_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
