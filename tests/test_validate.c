/*
 * test_validate.c - unit tests of module-level validation
 * (src/wasm/validate.c): declared function references, the data count
 * rule, globals and constant expressions, memory and table limits,
 * segments, start function, exports, and out-of-memory behaviour.
 *
 * Modules are built by hand with tests/validate_builder.h; function
 * bodies have their own tests in test_validate_code.c.
 *
 * Book: chapter 4, book/04-wasm-validation.md
 */
#include "validate_builder.h"

/* ---- function references, data count ----------------------------------------- */

static void test_validate_ref_func_declared(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    uint32_t ft = add_type(&t, "", "");
    WasmInsn body[] = {IA(REF_FUNC, 0), I(DROP), I(END)};
    add_func(&t, ft, "", body, N(body));
    expect_error(&t, ST_INVALID, "undeclared function reference");
    add_export(&t, "f", WASM_EXTERN_FUNC, 0);          /* an export declares it */
    expect_valid(&t);

    t.m.nexports = 0;                                   /* so does a global's init */
    WasmInsn init[] = {IA(REF_FUNC, 0), I(END)};
    add_global(&t, WASM_FUNCREF, false, init, N(init));
    expect_valid(&t);

    t.m.nglobals = 0;                                   /* and a declarative segment */
    WasmExpr item = {init, N(init)};
    t.elems[0] = (WasmElem){.mode = WASM_SEG_DECLARATIVE, .elem_type = WASM_FUNCREF,
                            .count = 1, .inits = &item};
    t.m.nelems = 1;
    expect_valid(&t);
    body[0].a = 3;
    expect_error(&t, ST_INVALID, "unknown function 3");
    body[0] = (WasmInsn){.op = OP_REF_NULL, .a = WASM_EXTERNREF};
    body[1].op = OP_REF_IS_NULL;
    expect_error(&t, ST_INVALID, "type mismatch");      /* i32 left over */
}

static void test_validate_data_count(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    WasmInsn body[] = {IA(I32_CONST, 0), IA(I32_CONST, 0), IA(I32_CONST, 0),
                       IA(MEMORY_INIT, 0), IA(DATA_DROP, 0), I(END)};
    add_func(&t, add_type(&t, "", ""), "", body, N(body));
    expect_error(&t, ST_INVALID, "unknown memory 0");
    add_memory(&t, 1, 0, false);
    expect_error(&t, ST_INVALID, "unknown data segment 0");
    t.datas[0] = (WasmData){.mode = WASM_SEG_PASSIVE};
    t.m.ndatas = 1;
    expect_error(&t, ST_MALFORMED, "data count section required");
    t.m.has_datacount = true;
    t.m.datacount = 1;
    expect_valid(&t);
    body[4].a = 1;
    expect_error(&t, ST_INVALID, "unknown data segment 1");
}

/* ---- globals and constant expressions ---------------------------------------- */

static void test_validate_globals(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_global(&t, WASM_I32, false, NULL, 0);          /* imported, immutable */
    WasmInsn init[] = {IA(GLOBAL_GET, 0), I(END)};
    add_global(&t, WASM_I32, true, init, N(init));     /* defined, mutable */
    WasmInsn body[] = {IA(I32_CONST, 1), IA(GLOBAL_SET, 1), IA(GLOBAL_GET, 0), I(DROP), I(END)};
    add_func(&t, add_type(&t, "", ""), "", body, N(body));
    expect_valid(&t);
    body[1].a = 0;
    expect_error(&t, ST_INVALID, "global is immutable");
    body[1].a = 2;
    expect_error(&t, ST_INVALID, "unknown global 2");
    body[1].a = 1;
    body[0].op = OP_F32_CONST;
    expect_error(&t, ST_INVALID, "type mismatch");
}

static void test_validate_const_exprs(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_global(&t, WASM_I32, true, NULL, 0);           /* imported, mutable */
    add_global(&t, WASM_I32, false, NULL, 0);          /* imported, immutable */
    WasmInsn init[3] = {IA(GLOBAL_GET, 1), I(END)};
    add_global(&t, WASM_I32, false, init, 2);
    expect_valid(&t);
    init[0].a = 0;
    expect_error(&t, ST_INVALID, "constant expression required");
    init[0].a = 2;   /* a defined global, even itself, is unknown here */
    expect_error(&t, ST_INVALID, "unknown global 2");
    init[0] = (WasmInsn)IA(I32_CONST, 1);
    init[1] = (WasmInsn)I(I32_EQZ);
    init[2] = (WasmInsn)I(END);
    t.globals[2].init.count = 3;
    expect_error(&t, ST_INVALID, "constant expression required");
    init[1] = (WasmInsn)IA(I32_CONST, 2);              /* two values */
    expect_error(&t, ST_INVALID, "type mismatch");
    init[0] = (WasmInsn)I(END);                        /* no value */
    t.globals[2].init.count = 1;
    expect_error(&t, ST_INVALID, "type mismatch");
    init[0] = (WasmInsn)IA(I64_CONST, 0);
    init[1] = (WasmInsn)I(END);
    t.globals[2].init.count = 2;
    expect_error(&t, ST_INVALID, "type mismatch");
    init[0] = (WasmInsn)IA(REF_FUNC, 7);
    t.globals[2].type.type = WASM_FUNCREF;
    expect_error(&t, ST_INVALID, "unknown function 7");
}

/* ---- memories, tables, segments ---------------------------------------------- */

static void test_validate_memories(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_memory(&t, 1, 0, true);
    expect_error(&t, ST_INVALID, "size minimum must not be greater than maximum");
    t.mems[0] = (WasmLimits){65537, 0, false};
    expect_error(&t, ST_INVALID, "memory size must be at most 65536 pages (4GiB)");
    t.mems[0] = (WasmLimits){0, 65537, true};
    expect_error(&t, ST_INVALID, "memory size must be at most 65536 pages (4GiB)");
    t.mems[0] = (WasmLimits){0, 65536, true};
    expect_valid(&t);
    add_memory(&t, 0, 0, false);
    expect_error(&t, ST_INVALID, "multiple memories");
}

static void test_validate_call_indirect(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_table(&t, WASM_EXTERNREF, 1);
    add_table(&t, WASM_FUNCREF, 1);
    uint32_t ft = add_type(&t, "", "");
    WasmInsn body[] = {IA(I32_CONST, 0), IAB(CALL_INDIRECT, ft, 1), I(END)};
    add_func(&t, ft, "", body, N(body));
    expect_valid(&t);
    body[1].b = 0;                                      /* externref table */
    expect_error(&t, ST_INVALID, "type mismatch");
    body[1].b = 2;
    expect_error(&t, ST_INVALID, "unknown table 2");
    body[1] = (WasmInsn)IAB(CALL_INDIRECT, 5, 1);
    expect_error(&t, ST_INVALID, "unknown type 5");
}

static void test_validate_table_ops(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_table(&t, WASM_EXTERNREF, 1);
    add_table(&t, WASM_FUNCREF, 1);
    WasmInsn grow[] = {IA(REF_NULL, WASM_EXTERNREF), IA(I32_CONST, 1), IA(TABLE_GROW, 0),
                       I(DROP), IA(I32_CONST, 0), IA(TABLE_GET, 1), IA(REF_IS_NULL, 0),
                       I(DROP), IA(I32_CONST, 0), IA(I32_CONST, 0), IA(I32_CONST, 0),
                       IAB(TABLE_COPY, 1, 1), IA(TABLE_SIZE, 0), I(DROP), I(END)};
    add_func(&t, add_type(&t, "", ""), "", grow, N(grow));
    expect_valid(&t);
    grow[2].a = 1;                                      /* externref into a funcref table */
    expect_error(&t, ST_INVALID, "type mismatch");
    grow[2].a = 0;
    grow[11].a = 0;                                     /* copy funcref into externref */
    expect_error(&t, ST_INVALID, "type mismatch");
    grow[11].a = 1;

    WasmExpr item = {(WasmInsn[]){IA(REF_FUNC, 0), I(END)}, 2};
    t.elems[0] = (WasmElem){.mode = WASM_SEG_PASSIVE, .elem_type = WASM_FUNCREF, .count = 1,
                            .inits = &item};
    t.m.nelems = 1;
    WasmInsn init[] = {IA(I32_CONST, 0), IA(I32_CONST, 0), IA(I32_CONST, 0),
                       IAB(TABLE_INIT, 0, 1), IA(ELEM_DROP, 0), I(END)};
    t.codes[0].body = (WasmExpr){init, N(init)};
    expect_valid(&t);
    init[3].b = 0;                                      /* funcref segment, externref table */
    expect_error(&t, ST_INVALID, "type mismatch");
    init[3] = (WasmInsn)IAB(TABLE_INIT, 4, 1);
    expect_error(&t, ST_INVALID, "unknown elem segment 4");
    t.tables[0].limits = (WasmLimits){2, 1, true};
    expect_error(&t, ST_INVALID, "size minimum must not be greater than maximum");
}

static void test_validate_segments(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_table(&t, WASM_FUNCREF, 1);
    WasmInsn off[] = {IA(I32_CONST, 0), I(END)};
    WasmExpr item = {(WasmInsn[]){IA(REF_NULL, WASM_FUNCREF), I(END)}, 2};
    t.elems[0] = (WasmElem){.mode = WASM_SEG_ACTIVE, .elem_type = WASM_FUNCREF, .table = 0,
                            .offset = {off, N(off)}, .count = 1, .inits = &item};
    t.m.nelems = 1;
    expect_valid(&t);
    t.elems[0].elem_type = WASM_EXTERNREF;
    expect_error(&t, ST_INVALID, "type mismatch");
    t.elems[0].elem_type = WASM_FUNCREF;
    t.elems[0].table = 1;
    expect_error(&t, ST_INVALID, "unknown table 1");
    t.elems[0].table = 0;
    off[0].op = OP_I64_CONST;
    expect_error(&t, ST_INVALID, "type mismatch");
    off[0].op = OP_I32_CONST;

    t.datas[0] = (WasmData){.mode = WASM_SEG_ACTIVE, .memory = 0, .offset = {off, N(off)}};
    t.m.ndatas = 1;
    expect_error(&t, ST_INVALID, "unknown memory 0");
    add_memory(&t, 1, 0, false);
    expect_valid(&t);
}

/* ---- start and exports ------------------------------------------------------- */

static void test_validate_start_exports(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    WasmInsn body[] = {I(END)};
    WasmInsn body2[] = {IA(I32_CONST, 1), I(END)};
    add_func(&t, add_type(&t, "", ""), "", body, N(body));
    add_func(&t, add_type(&t, "", "i"), "", body2, N(body2));
    t.m.has_start = true;
    t.m.start = 0;
    add_export(&t, "a", WASM_EXTERN_FUNC, 0);
    add_export(&t, "b", WASM_EXTERN_FUNC, 1);
    add_export(&t, "ab", WASM_EXTERN_FUNC, 1);
    expect_valid(&t);
    t.m.start = 1;
    expect_error(&t, ST_INVALID, "start function");
    t.m.start = 2;
    expect_error(&t, ST_INVALID, "unknown function 2");
    t.m.start = 0;
    add_export(&t, "b", WASM_EXTERN_MEMORY, 0);
    expect_error(&t, ST_INVALID, "unknown memory 0");
    add_memory(&t, 0, 0, false);
    expect_error(&t, ST_INVALID, "duplicate export name");
    t.exports[3].name.s = "c";
    expect_valid(&t);
    t.exports[3] = (WasmExport){{"c", 1}, WASM_EXTERN_GLOBAL, 0};
    expect_error(&t, ST_INVALID, "unknown global 0");
}

/* ---- robustness -------------------------------------------------------------- */

static void test_validate_out_of_memory(void **state)
{
    (void)state;
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_export(&t, "f", WASM_EXTERN_FUNC, 0);
    WasmInsn body[] = {IA(I32_CONST, 1), BLK(BLOCK, WASM_BT_VAL, WASM_I32), IA(I32_CONST, 2),
                       I(END), I(I32_ADD), I(END)};
    add_func(&t, add_type(&t, "", "i"), "", body, N(body));
    long live = mem_live();
    /* fail each allocation in turn: always a clean ST_NOMEM, never a leak */
    for (long n = 0;; n++) {
        mem_fail_after(n);
        Status st = validate(&t);
        mem_fail_after(-1);
        assert_int_equal(mem_live(), live);
        if (st == ST_OK)
            break;
        assert_int_equal(st, ST_NOMEM);
        assert_true(n < 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_ref_func_declared),
        cmocka_unit_test(test_validate_data_count),
        cmocka_unit_test(test_validate_globals),
        cmocka_unit_test(test_validate_const_exprs),
        cmocka_unit_test(test_validate_memories),
        cmocka_unit_test(test_validate_call_indirect),
        cmocka_unit_test(test_validate_table_ops),
        cmocka_unit_test(test_validate_segments),
        cmocka_unit_test(test_validate_start_exports),
        cmocka_unit_test(test_validate_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
