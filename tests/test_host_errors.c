/*
 * test_host_errors.c - how the module host survives a misbehaving module:
 * traps, infinite loops, runaway memory and recursion, Err results,
 * unknown return codes, unknown imports.
 *
 * The module is assembled here by hand (host_util.h), so each failure is
 * exactly what the test says.  It has one table
 * `t (id: u64 primary key auto_inc, v: u64)` and one __call_reducer__
 * whose reducers all insert a row first and then:
 *
 *   0 ok       return 0                 4 recurse  call itself forever
 *   1 trap     unreachable              5 err      write "boom" to the sink, return 1
 *   2 loop     loop forever             6 code7    return 7
 *   3 grow     memory.grow(100), unreachable if that fails
 *
 * So "the table is untouched" is visible, and "the next call works" is a
 * committed row with the next auto_inc id.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include "host_util.h"

static const char *const reducers[] = { "ok", "trap", "loop", "grow", "recurse", "err", "code7" };
#define NREDUCERS 7

static int setup(void **state)
{
    static long live;
    live = mem_live();
    *state = &live;
    test_now = T0;
    return 0;
}

static int teardown(void **state)
{
    long live = *(long *)*state;
    if (mem_live() != live) {
        print_error("leak: %ld allocations not freed\n", mem_live() - live);
        return -1;
    }
    return 0;
}

/* ---- the module definition (RawModuleDefV9, module-abi.md §5) ------------------------------- */

static void def_bytes(Bytes *d)
{
    put_u8(d, 1);                                 /* RawModuleDef::V9 */
    put_le(d, 1, 4);                              /* typespace: 1 type */
    put_u8(d, 2);                                 /*   Product, 2 elements */
    put_le(d, 2, 4);
    put_opt_str(d, "id");
    put_u8(d, 13);                                /*   u64 */
    put_opt_str(d, "v");
    put_u8(d, 13);
    put_le(d, 1, 4);                              /* tables: 1 */
    put_str(d, "t");
    put_le(d, 0, 4);                              /*   product_type_ref 0 */
    put_le(d, 1, 4);                              /*   primary_key [0] */
    put_le(d, 0, 2);
    put_le(d, 1, 4);                              /*   indexes: 1 */
    put_opt_str(d, NULL);                         /*     name None */
    put_opt_str(d, "id");                         /*     accessor */
    put_u8(d, 0);                                 /*     BTree [0] */
    put_le(d, 1, 4);
    put_le(d, 0, 2);
    put_le(d, 1, 4);                              /*   constraints: 1 */
    put_opt_str(d, NULL);
    put_u8(d, 0);                                 /*     Unique [0] */
    put_le(d, 1, 4);
    put_le(d, 0, 2);
    put_le(d, 1, 4);                              /*   sequences: 1 */
    put_opt_str(d, NULL);
    put_le(d, 0, 2);                              /*     column 0 */
    put_u8(d, 1);                                 /*     start None */
    put_u8(d, 1);                                 /*     min None */
    put_u8(d, 1);                                 /*     max None */
    put_le(d, 1, 8);                              /*     increment 1 (i128) */
    put_le(d, 0, 8);
    put_u8(d, 1);                                 /*   schedule None */
    put_u8(d, 1);                                 /*   User */
    put_u8(d, 0);                                 /*   Public */
    put_le(d, NREDUCERS, 4);                      /* reducers */
    for (int i = 0; i < NREDUCERS; i++) {
        put_str(d, reducers[i]);
        put_le(d, 0, 4);                          /*   params: () */
        put_u8(d, 1);                             /*   lifecycle None */
    }
    put_le(d, 0, 4);                              /* types */
    put_le(d, 0, 4);                              /* misc_exports */
    put_le(d, 0, 4);                              /* row_level_security */
}

/* ---- the module --------------------------------------------------------------------------- */

/* Memory layout: 8 table id, 12 row length, 16 sink length, 512 "t",
 * 600 the row (id, v = 7), 700 "boom", 1024 the definition. */
enum { TABLE_ID = 8, ROW_LEN = 12, SINK_LEN = 16, NAME = 512, ROW = 600, BOOM = 700, DEF = 1024 };

static void describe_body(Bytes *c, size_t def_len)
{
    i32c(c, SINK_LEN);
    i32c(c, (int32_t)def_len);
    put(c, (uint8_t[]){ OP_I32_STORE, 2, 0 }, 3);
    put(c, (uint8_t[]){ OP_LOCAL_GET, 0 }, 2);
    i32c(c, DEF);
    i32c(c, SINK_LEN);
    put(c, (uint8_t[]){ OP_CALL, 0, OP_DROP, OP_END }, 4);
}

/* Insert a row (id 0: auto_inc), then branch on the reducer id. */
static void call_reducer_body(Bytes *c, uint8_t recurse)
{
    i32c(c, NAME);
    i32c(c, 1);
    i32c(c, TABLE_ID);
    put(c, (uint8_t[]){ OP_CALL, 1, OP_DROP }, 3);            /* table_id_from_name */
    i32c(c, ROW);
    put(c, (uint8_t[]){ OP_I64_CONST, 0, OP_I64_STORE, 3, 0 }, 5);   /* id = 0 */
    i32c(c, ROW_LEN);
    i32c(c, 16);
    put(c, (uint8_t[]){ OP_I32_STORE, 2, 0 }, 3);
    i32c(c, TABLE_ID);
    put(c, (uint8_t[]){ OP_I32_LOAD, 2, 0 }, 3);
    i32c(c, ROW);
    i32c(c, ROW_LEN);
    put(c, (uint8_t[]){ OP_CALL, 2, OP_DROP }, 3);            /* datastore_insert_bsatn */
    for (int i = 0; i < NREDUCERS; i++)
        put(c, (uint8_t[]){ OP_BLOCK, BT_EMPTY }, 2);
    put(c, (uint8_t[]){ OP_LOCAL_GET, 0, OP_BR_TABLE, 6, 0, 1, 2, 3, 4, 5, 6 }, 11);
    put(c, (uint8_t[]){ OP_END }, 1);                          /* 0 ok */
    i32c(c, 0);
    put(c, (uint8_t[]){ OP_RETURN, OP_END }, 2);
    put(c, (uint8_t[]){ OP_UNREACHABLE, OP_END }, 2);          /* 1 trap */
    put(c, (uint8_t[]){ OP_LOOP, BT_EMPTY, OP_BR, 0, OP_END, OP_UNREACHABLE, OP_END }, 7);
    i32c(c, 100);                                              /* 3 grow */
    put(c, (uint8_t[]){ OP_MEMORY_GROW, 0 }, 2);
    i32c(c, -1);
    put(c, (uint8_t[]){ OP_I32_EQ, OP_IF, BT_EMPTY, OP_UNREACHABLE, OP_END }, 5);
    i32c(c, 0);
    put(c, (uint8_t[]){ OP_RETURN, OP_END }, 2);
    put(c, (uint8_t[]){ OP_CALL, recurse }, 2);                /* 4 recurse */
    i32c(c, 0);
    put(c, (uint8_t[]){ OP_RETURN, OP_END }, 2);
    i32c(c, SINK_LEN);                                         /* 5 err */
    i32c(c, 4);
    put(c, (uint8_t[]){ OP_I32_STORE, 2, 0, OP_LOCAL_GET, 9 }, 5);
    i32c(c, BOOM);
    i32c(c, SINK_LEN);
    put(c, (uint8_t[]){ OP_CALL, 0, OP_DROP }, 3);
    i32c(c, 1);
    put(c, (uint8_t[]){ OP_RETURN, OP_END }, 2);
    i32c(c, 7);                                                /* 6 code7 */
    put(c, (uint8_t[]){ OP_END }, 1);
}

static void add_body(Bytes *code, const Bytes *body)
{
    put_uleb(code, body->n + 1);
    put_u8(code, 0);                                           /* no local declarations */
    put(code, body->b, body->n);
}

static void add_data(Bytes *data, uint32_t at, const void *p, size_t n)
{
    put(data, (uint8_t[]){ 0, OP_I32_CONST }, 2);
    put_sleb(data, at);
    put_u8(data, OP_END);
    put_uleb(data, n);
    put(data, p, n);
}

static void add_import(Bytes *imports, const char *module, const char *name, uint8_t type)
{
    put_name(imports, module);
    put_name(imports, name);
    put(imports, (uint8_t[]){ 0, type }, 2);
}

/* The whole module; extra_import adds env::extra_import. */
static void build_module(Bytes *m, const char *extra_import)
{
    static Bytes types, imports, funcs, mem, exports, code, data, body, def;
    types.n = imports.n = funcs.n = mem.n = exports.n = code.n = data.n = def.n = m->n = 0;
    put(m, "\0asm\1\0\0\0", 8);
    static const uint8_t type_section[] = {
        4,                                                            /* four types: */
        0x60, 3, VT_I32, VT_I32, VT_I32, 1, VT_I32,                   /* 0 (i32 i32 i32)->i32 */
        0x60, 1, VT_I32, 0,                                           /* 1 (i32)->() */
        0x60, 10, VT_I32, VT_I64, VT_I64, VT_I64, VT_I64, VT_I64, VT_I64, VT_I64, VT_I32,
        VT_I32, 1, VT_I32,                                            /* 2 __call_reducer__ */
        0x60, 0, 0,                                                   /* 3 ()->() */
    };
    put(&types, type_section, sizeof type_section);
    put_uleb(&imports, extra_import ? 4 : 3);
    add_import(&imports, "spacetime_10.0", "bytes_sink_write", 0);
    add_import(&imports, "spacetime_10.0", "table_id_from_name", 0);
    add_import(&imports, "spacetime_10.0", "datastore_insert_bsatn", 0);
    if (extra_import)
        add_import(&imports, "env", extra_import, 3);
    uint32_t first = extra_import ? 4 : 3;    /* our functions follow the imports */
    put(&funcs, (uint8_t[]){ 3, 1, 2, 3 }, 4);
    put(&mem, (uint8_t[]){ 1, 0, 1 }, 3);                      /* memory min 1, no max */
    put_uleb(&exports, 3);
    put_name(&exports, "memory");
    put(&exports, (uint8_t[]){ 2, 0 }, 2);
    put_name(&exports, "__describe_module__");
    put(&exports, (uint8_t[]){ 0, (uint8_t)first }, 2);
    put_name(&exports, "__call_reducer__");
    put(&exports, (uint8_t[]){ 0, (uint8_t)(first + 1) }, 2);
    def_bytes(&def);
    put_uleb(&code, 3);
    body.n = 0;
    describe_body(&body, def.n);
    add_body(&code, &body);
    body.n = 0;
    call_reducer_body(&body, (uint8_t)(first + 2));
    add_body(&code, &body);
    body.n = 0;
    put(&body, (uint8_t[]){ OP_CALL, (uint8_t)(first + 2), OP_END }, 3);
    add_body(&code, &body);
    put_uleb(&data, 4);
    add_data(&data, NAME, "t", 1);
    add_data(&data, ROW, (uint8_t[]){ 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0 }, 16);
    add_data(&data, BOOM, "boom", 4);
    add_data(&data, DEF, def.b, def.n);
    put_section(m, 1, &types);
    put_section(m, 2, &imports);
    put_section(m, 3, &funcs);
    put_section(m, 5, &mem);
    put_section(m, 7, &exports);
    put_section(m, 10, &code);
    put_section(m, 11, &data);
}

static HostModule *load(const HostConfig *extra)
{
    static Bytes m;
    build_module(&m, NULL);
    HostConfig cfg = extra ? *extra : (HostConfig){ 0 };
    cfg.clock = test_clock;
    HostModule *hm = NULL;
    ModError err;
    if (module_load(m.b, m.n, &cfg, &hm, &err) != ST_OK)
        fail_msg("the hand-made module: %s", err.msg);
    return hm;
}

static Status run(HostModule *hm, const char *reducer, HostResult *res)
{
    HostCaller c = caller_of(9, 1);
    return module_call(hm, reducer, &c, NULL, 0, res);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_ok_commits(void **state)
{
    (void)state;
    HostModule *hm = load(NULL);
    HostResult res;
    assert_committed(run(hm, "ok", &res), res);
    assert_committed(run(hm, "ok", &res), res);
    assert_int_equal(rows_in(hm, "t"), 2);
    assert_int_equal(res.reducer_id, 0);
    assert_true(res.fuel_used > 0);
    module_free(hm);
}

/* A failed call leaves the tables as they were; the next call commits id n. */
static void expect_clean_failure(HostModule *hm, const char *reducer, HostOutcome outcome,
                                 const char *message, uint32_t instances_after)
{
    HostResult res;
    StrBuf before, after, json;
    strbuf_init(&before);
    strbuf_init(&after);
    strbuf_init(&json);
    snapshot(module_db(hm), &before);
    assert_int_equal(run(hm, reducer, &res), ST_OK);
    assert_int_equal(res.outcome, outcome);
    assert_contains(res.message, message);
    snapshot(module_db(hm), &after);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    assert_committed(run(hm, "ok", &res), res);       /* the next call works ... */
    assert_int_equal(module_instances(hm), instances_after);   /* ... on a fresh instance */
    strbuf_fini(&before);
    strbuf_fini(&after);
    strbuf_fini(&json);
}

static void test_trap_rolls_back_and_replaces_the_instance(void **state)
{
    (void)state;
    HostModule *hm = load(NULL);
    HostResult res;
    assert_committed(run(hm, "ok", &res), res);
    expect_clean_failure(hm, "trap", HOST_TRAPPED, "unreachable", 2);
    expect_clean_failure(hm, "trap", HOST_TRAPPED, "unreachable", 3);
    /* Ids the rolled-back inserts took stay taken (§7.1): 1, then 4 and 5. */
    StrBuf json;
    strbuf_init(&json);
    table_json(hm, "t", &json);
    assert_string_equal(json.data, "{\"id\":1,\"v\":7}\n{\"id\":3,\"v\":7}\n{\"id\":5,\"v\":7}\n");
    strbuf_fini(&json);
    module_free(hm);
}

static void test_infinite_loop_runs_out_of_fuel(void **state)
{
    (void)state;
    HostConfig cfg = { .fuel = 1000000 };
    HostModule *hm = load(&cfg);
    HostResult res;
    assert_int_equal(run(hm, "loop", &res), ST_OK);
    assert_int_equal(res.outcome, HOST_OUT_OF_ENERGY);
    assert_int_equal(res.fuel_used, 1000000);
    expect_clean_failure(hm, "loop", HOST_OUT_OF_ENERGY, "out of energy", 3);
    module_free(hm);
}

static void test_memory_cap(void **state)
{
    (void)state;
    HostConfig cfg = { .max_pages = 4 };
    HostModule *hm = load(&cfg);
    expect_clean_failure(hm, "grow", HOST_TRAPPED, "unreachable", 2);
    module_free(hm);
    hm = load(NULL);   /* with room to grow, the same reducer commits */
    HostResult res;
    assert_committed(run(hm, "grow", &res), res);
    module_free(hm);
}

static void test_call_depth(void **state)
{
    (void)state;
    HostConfig cfg = { .max_call_depth = 200 };
    HostModule *hm = load(&cfg);
    expect_clean_failure(hm, "recurse", HOST_TRAPPED, "call stack exhausted", 2);
    module_free(hm);
}

static void test_err_and_unknown_code(void **state)
{
    (void)state;
    HostModule *hm = load(NULL);
    HostResult res;
    expect_clean_failure(hm, "err", HOST_FAILED, "boom", 1);    /* the instance is kept */
    assert_int_equal(run(hm, "err", &res), ST_OK);
    assert_string_equal(res.message, "boom");
    assert_int_equal(res.code, 1);
    expect_clean_failure(hm, "code7", HOST_FAILED, HOST_FATAL_MESSAGE, 1);
    module_free(hm);
}

static void test_unknown_import_names_it(void **state)
{
    (void)state;
    static Bytes m;
    build_module(&m, "mystery_function");
    HostConfig cfg = { 0 };
    HostModule *hm = NULL;
    ModError err;
    assert_int_equal(module_load(m.b, m.n, &cfg, &hm, &err), ST_LINK);
    assert_null(hm);
    assert_contains(err.msg, "env::mystery_function");
    /* Not wasm at all. */
    assert_int_not_equal(module_load((const uint8_t *)"nope", 4, &cfg, &hm, &err), ST_OK);
    assert_contains(err.msg, "not a valid WebAssembly module");
}

static void test_load_failure_frees_everything_under_oom(void **state)
{
    (void)state;
    static Bytes m;
    build_module(&m, NULL);
    HostConfig cfg = { 0 };
    for (long n = 0; n < 4000; n += 7) {
        HostModule *hm = NULL;
        ModError err;
        mem_fail_after(n);
        Status st = module_load(m.b, m.n, &cfg, &hm, &err);
        mem_fail_after(-1);
        if (st == ST_OK) {
            module_free(hm);
            return;
        }
        assert_null(hm);
    }
    fail_msg("module_load never succeeded");
}

/* Allocation failures anywhere in a call fail that call cleanly: no crash,
 * no leak, the tables consistent, and the module usable afterwards. */
static void test_calls_under_oom(void **state)
{
    (void)state;
    HostModule *hm = load(NULL);
    HostResult res;
    char msg[256];
    for (long n = 0; n < 200; n++) {
        mem_fail_after(n);
        Status st = run(hm, n % 2 ? "ok" : "trap", &res);
        mem_fail_after(-1);
        (void)st;
        assert_false(tx_is_open(module_db(hm)));
        if (db_check(module_db(hm), msg, sizeof msg) != ST_OK)
            fail_msg("after failing allocation %ld: %s", n, msg);
    }
    uint64_t before = rows_in(hm, "t");
    assert_committed(run(hm, "ok", &res), res);
    assert_int_equal(rows_in(hm, "t"), before + 1);
    module_free(hm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ok_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trap_rolls_back_and_replaces_the_instance, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_infinite_loop_runs_out_of_fuel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_err_and_unknown_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_import_names_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_failure_frees_everything_under_oom, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_calls_under_oom, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
