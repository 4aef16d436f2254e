/*
 * test_store.c - the store and the host objects of the embedding API:
 * type interning, host functions called through wasm_call (traps,
 * re-entrancy), memories (growth limits, the store's page cap, bounds of
 * reads and writes), tables and globals.  Linking and instantiation are
 * tested in test_instance.c.
 *
 * Book: chapter 6, book/06-wasm-instances.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wasm/store.h"

static WasmLimits lim(uint32_t min, int64_t max)
{
    return (WasmLimits){min, max < 0 ? 0 : (uint32_t)max, max >= 0};
}
/* ---- the store and host objects ------------------------------------------ */

static void test_store_defaults(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    assert_non_null(s);
    assert_int_equal(wasm_store_fuel(s), UINT64_MAX);
    assert_int_equal(s->max_memory_pages, WASM_MAX_PAGES);
    assert_int_equal(s->max_depth, 10000);
    wasm_store_set_fuel(s, 123);
    assert_int_equal(wasm_store_fuel(s), 123);
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);

    WasmStoreConfig cfg = {.stack_cells = 64, .max_call_depth = 7, .max_memory_pages = 70000};
    s = wasm_store_new(&cfg);
    assert_int_equal(s->stack_cells, 64);
    assert_int_equal(s->max_depth, 7);
    assert_int_equal(s->max_memory_pages, WASM_MAX_PAGES);   /* clamped */
    wasm_store_free(s);
}

static Status host_add(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    (void)user;
    assert_null(wasm_store_caller(s));   /* called by wasm_call, not by wasm */
    if (args[1] == 0)
        return wasm_trap(s, "add: zero %d", 7);
    results[0] = (uint32_t)(args[0] + args[1]);
    return ST_OK;
}

static void test_type_interning(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    uint8_t a[] = {WASM_I32, WASM_I64, WASM_F32}, b[] = {WASM_I32, WASM_I64, WASM_F32};
    WasmFuncType ta = {2, 1, a}, tb = {2, 1, b}, tc = {1, 2, a};
    uint32_t ia = store_type_id(s, &ta);
    assert_int_equal(store_type_id(s, &tb), ia);        /* equal structure, same id */
    assert_int_not_equal(store_type_id(s, &tc), ia);    /* same bytes, other split */
    assert_int_equal(s->ncanon_types, 2);
    assert_null(wasm_host_func_new(s, a, 2, a + 2, 1, NULL, NULL));   /* no code */
    WasmFuncInst *f = wasm_host_func_new(s, a, 2, a + 2, 1, host_add, NULL);
    assert_int_equal(f->type_id, ia);
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);
}

static void test_host_call_and_trap(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    uint8_t t[] = {WASM_I32, WASM_I32, WASM_I32};
    WasmFuncInst *f = wasm_host_func_new(s, t, 2, t + 2, 1, host_add, NULL);
    assert_int_equal(wasm_func_type(f)->nparams, 2);
    WasmCell args[2] = {40, 2}, res[1] = {0};
    WasmError err = {0};
    assert_int_equal(wasm_call(s, f, args, res, &err), ST_OK);
    assert_int_equal(res[0], 42);
    args[1] = 0;
    assert_int_equal(wasm_call(s, f, args, res, &err), ST_TRAP);
    assert_string_equal(err.msg, "add: zero 7");
    assert_int_equal(wasm_call(s, f, NULL, res, &err), ST_ARG);
    args[1] = 1;   /* the store is usable after a trap */
    assert_int_equal(wasm_call(s, f, args, res, &err), ST_OK);
    assert_int_equal(res[0], 41);
    assert_ptr_equal(s->sp, s->stack);
    assert_int_equal(s->c_stack_limit, 0);
    wasm_store_free(s);
}

/* A host function that calls back into the store (re-entrancy). */
static Status host_outer(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    WasmFuncInst *inner = user;
    assert_int_not_equal(s->c_stack_limit, 0);
    uintptr_t limit = s->c_stack_limit;
    WasmCell in[2] = {args[0], args[0] != 0}, out[1];   /* 0: the inner call traps */
    WasmError err;
    Status st = wasm_call(s, inner, in, out, &err);
    assert_int_equal(s->c_stack_limit, limit);   /* the outer floor is kept */
    if (st != ST_OK)
        return wasm_trap(s, "inner failed: %s", err.msg);
    results[0] = out[0] * 10;
    return ST_OK;
}

static void test_reentrant_host_calls(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    uint8_t t[] = {WASM_I32, WASM_I32, WASM_I32};
    WasmFuncInst *inner = wasm_host_func_new(s, t, 2, t + 2, 1, host_add, NULL);
    WasmFuncInst *outer = wasm_host_func_new(s, t, 1, t + 2, 1, host_outer, inner);
    WasmCell arg = 4, res = 0;
    WasmError err;
    assert_int_equal(wasm_call(s, outer, &arg, &res, &err), ST_OK);
    assert_int_equal(res, 50);
    arg = 0;
    assert_int_equal(wasm_call(s, outer, &arg, &res, &err), ST_TRAP);
    assert_string_equal(err.msg, "inner failed: add: zero 7");
    assert_ptr_equal(s->sp, s->stack);
    assert_int_equal(s->c_stack_limit, 0);
    wasm_store_free(s);
}

static void test_memory_grow_and_bounds(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    WasmMemInst *mem = wasm_memory_new(s, lim(1, 3));
    assert_int_equal(wasm_memory_size(mem), WASM_PAGE_SIZE);
    assert_int_equal(wasm_memory_write(mem, WASM_PAGE_SIZE - 1, "x", 1), ST_OK);
    assert_int_equal(wasm_memory_write(mem, WASM_PAGE_SIZE - 1, "xy", 2), ST_ARG);
    assert_int_equal(wasm_memory_grow(mem, 1), 1);
    assert_int_equal(wasm_memory_grow(mem, 2), -1);   /* past max 3 */
    assert_int_equal(wasm_memory_grow(mem, 0), 2);
    uint8_t buf[2];
    assert_int_equal(wasm_memory_read(mem, WASM_PAGE_SIZE - 1, buf, 2), ST_OK);
    assert_int_equal(buf[0], 'x');   /* old bytes kept ... */
    assert_int_equal(buf[1], 0);     /* ... new page zeroed */
    assert_int_equal(wasm_memory_grow(mem, 1), 2);
    assert_int_equal(wasm_memory_size(mem), 3 * (uint64_t)WASM_PAGE_SIZE);
    uint64_t size = wasm_memory_size(mem);
    assert_non_null(wasm_memory_ptr(mem, size, 0));
    assert_null(wasm_memory_ptr(mem, size + 1, 0));
    assert_null(wasm_memory_ptr(mem, 8, UINT64_MAX));   /* addr + len overflows */
    assert_null(wasm_memory_ptr(mem, UINT64_MAX, 2));
    assert_null(wasm_memory_new(s, lim(2, 1)));         /* min > max */
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);
}

static void test_memory_store_cap(void **state)
{
    (void)state;
    WasmStoreConfig cfg = {.max_memory_pages = 4};
    WasmStore *s = wasm_store_new(&cfg);
    assert_null(wasm_memory_new(s, lim(5, -1)));
    WasmMemInst *mem = wasm_memory_new(s, lim(2, -1));
    assert_int_equal(wasm_memory_grow(mem, 3), -1);
    assert_int_equal(wasm_memory_grow(mem, 2), 2);
    assert_int_equal(wasm_memory_grow(mem, 1), -1);
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);

    s = wasm_store_new(NULL);   /* default cap: the spec's 65536 pages */
    mem = wasm_memory_new(s, lim(1, -1));
    assert_int_equal(wasm_memory_grow(mem, WASM_MAX_PAGES), -1);
    assert_int_equal(wasm_memory_grow(mem, UINT32_MAX), -1);
    wasm_store_free(s);
}

static void test_tables_and_globals(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    WasmTableInst *t = wasm_table_new(s, (WasmTableType){WASM_FUNCREF, lim(3, 5)});
    assert_int_equal(wasm_table_size(t), 3);
    WasmCell c = 99;
    assert_int_equal(wasm_table_get(t, 2, &c), ST_OK);
    assert_int_equal(c, 0);   /* null */
    assert_int_equal(wasm_table_get(t, 3, &c), ST_ARG);
    assert_null(wasm_table_new(s, (WasmTableType){WASM_FUNCREF, lim(UINT32_MAX, -1)}));
    assert_null(wasm_table_new(s, (WasmTableType){WASM_FUNCREF, lim(4, 3)}));
    WasmGlobalInst *g = wasm_global_new(s, (WasmGlobalType){WASM_I64, true}, 5);
    assert_int_equal(wasm_global_get(g), 5);
    wasm_global_set(g, 6);
    assert_int_equal(wasm_global_get(g), 6);
    assert_int_equal(wasm_global_type(g).type, WASM_I64);
    assert_true(wasm_global_type(g).mutable_);
    assert_string_equal(wasm_valtype_name(WASM_EXTERNREF), "externref");
    assert_string_equal(wasm_valtype_name(WASM_F64), "f64");
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_defaults),
        cmocka_unit_test(test_type_interning),
        cmocka_unit_test(test_host_call_and_trap),
        cmocka_unit_test(test_reentrant_host_calls),
        cmocka_unit_test(test_memory_grow_and_bounds),
        cmocka_unit_test(test_memory_store_cap),
        cmocka_unit_test(test_tables_and_globals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
