/*
 * test_instance.c - linking and instantiation (the store's own objects
 * are tested in test_store.c).
 *
 * Most tests build WasmModule structs by hand (imports, exports, segments,
 * no function bodies) so that linking and segment initialisation are
 * tested apart from the decoder.  The last group loads real binaries
 * (written in the text format in comments, converted with wat2wasm) to
 * test calls into wasm: host functions reading guest memory, re-entrant
 * calls, traps in the start function, call-stack exhaustion and fuel.
 *
 * Book: chapter 6, book/06-wasm-instances.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/alloc.h"
#include "wasm/opcodes.h"
#include "wasm/store.h"

/* ---- helpers: a resolver over a list of named externs ----------------- */

typedef struct Binding {
    const char *module, *name;
    WasmExtern ext;
} Binding;

typedef struct Linker {
    Binding b[8];
    int n;
} Linker;

static void bind(Linker *l, const char *module, const char *name, WasmExternKind kind, void *p)
{
    Binding *b = &l->b[l->n++];
    b->module = module;
    b->name = name;
    b->ext.kind = kind;
    b->ext.u.func = NULL;
    switch (kind) {
    case WASM_EXTERN_FUNC: b->ext.u.func = p; break;
    case WASM_EXTERN_TABLE: b->ext.u.table = p; break;
    case WASM_EXTERN_MEMORY: b->ext.u.memory = p; break;
    case WASM_EXTERN_GLOBAL: b->ext.u.global = p; break;
    }
}

static Status resolve(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    Linker *l = user;
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->b[i].module, imp->module.s) && !strcmp(l->b[i].name, imp->name.s)) {
            *out = l->b[i].ext;
            return ST_OK;
        }
    return wasm_error(err, ST_LINK, -1, "unknown import: %s.%s", imp->module.s, imp->name.s);
}

/* ---- helpers: hand-built modules ---------------------------------------- */

static uint8_t type_void_void[] = {0};
static uint8_t type_i32_void[] = {WASM_I32};
static WasmFuncType test_types[] = {
    {0, 0, type_void_void},   /* 0: [] -> [] */
    {1, 0, type_i32_void},    /* 1: [i32] -> [] */
};

/* One constant expression `op c; end`, kept in static storage per slot. */
static WasmInsn expr_insns[16][2];
static WasmExpr const_expr(int slot, uint16_t op, uint64_t c)
{
    expr_insns[slot][0] = (WasmInsn){.op = op, .a = (uint32_t)c, .c = c};
    expr_insns[slot][1] = (WasmInsn){.op = OP_END};
    return (WasmExpr){expr_insns[slot], 2};
}

static WasmName name(const char *s)
{
    return (WasmName){(char *)s, (uint32_t)strlen(s)};
}

/* A module with exactly one import, of the given kind and type. */
typedef struct OneImport {
    WasmModule m;
    WasmImport imp;
    uint32_t func_type;
    WasmTableType table;
    WasmLimits mem;
    WasmGlobal global;
    WasmExport exp;
} OneImport;

static void one_import(OneImport *o, WasmExternKind kind, const char *field)
{
    memset(o, 0, sizeof *o);
    o->imp = (WasmImport){name("env"), name(field), kind, 0};
    o->m.types = test_types;
    o->m.ntypes = 2;
    o->m.imports = &o->imp;
    o->m.nimports = 1;
    o->m.funcs = &o->func_type;
    o->m.tables = &o->table;
    o->m.mems = &o->mem;
    o->m.globals = &o->global;
    switch (kind) {
    case WASM_EXTERN_FUNC: o->m.nfuncs = o->m.nimported_funcs = 1; break;
    case WASM_EXTERN_TABLE: o->m.ntables = o->m.nimported_tables = 1; break;
    case WASM_EXTERN_MEMORY: o->m.nmems = o->m.nimported_mems = 1; break;
    case WASM_EXTERN_GLOBAL: o->m.nglobals = o->m.nimported_globals = 1; break;
    }
    o->exp = (WasmExport){name("it"), kind, 0};
    o->m.exports = &o->exp;
    o->m.nexports = 1;
}

static WasmLimits lim(uint32_t min, int64_t max)
{
    return (WasmLimits){min, max < 0 ? 0 : (uint32_t)max, max >= 0};
}

/* Instantiate `m` with one binding; the Status, message in *err. */
static Status link_one(WasmStore *s, const WasmModule *m, const char *field, WasmExternKind kind,
                       void *p, WasmError *err)
{
    Linker l = {0};
    bind(&l, "env", field, kind, p);
    WasmInstance *inst;
    return wasm_instantiate(s, m, resolve, &l, &inst, err);
}

static Status host_nop(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    (void)s, (void)user, (void)args, (void)results;
    return ST_OK;
}

/* ---- linking ---------------------------------------------------------------- */

static void test_link_unknown_and_kind(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    OneImport o;
    one_import(&o, WASM_EXTERN_FUNC, "f");
    WasmError err = {0};
    WasmInstance *inst = (WasmInstance *)1;
    Linker empty = {0};
    assert_int_equal(wasm_instantiate(s, &o.m, resolve, &empty, &inst, &err), ST_LINK);
    assert_null(inst);
    assert_memory_equal(err.msg, "unknown import", 14);
    WasmMemInst *mem = wasm_memory_new(s, lim(1, -1));
    assert_int_equal(link_one(s, &o.m, "f", WASM_EXTERN_MEMORY, mem, &err), ST_LINK);
    assert_memory_equal(err.msg, "incompatible import type", 24);
    assert_int_equal(link_one(s, &o.m, "f", WASM_EXTERN_FUNC, NULL, &err), ST_LINK);
    assert_memory_equal(err.msg, "unknown import", 14);
    wasm_store_free(s);
}

static void test_link_func_types(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    uint8_t i32 = WASM_I32;
    WasmFuncInst *f_i32 = wasm_host_func_new(s, &i32, 1, NULL, 0, host_nop, NULL);
    WasmFuncInst *f_void = wasm_host_func_new(s, NULL, 0, NULL, 0, host_nop, NULL);
    WasmFuncInst *f_ri32 = wasm_host_func_new(s, NULL, 0, &i32, 1, host_nop, NULL);
    OneImport o;
    one_import(&o, WASM_EXTERN_FUNC, "f");
    o.func_type = 1;   /* declared: [i32] -> [] */
    WasmError err;
    assert_int_equal(link_one(s, &o.m, "f", WASM_EXTERN_FUNC, f_i32, &err), ST_OK);
    assert_int_equal(link_one(s, &o.m, "f", WASM_EXTERN_FUNC, f_void, &err), ST_LINK);
    assert_memory_equal(err.msg, "incompatible import type", 24);
    assert_int_equal(link_one(s, &o.m, "f", WASM_EXTERN_FUNC, f_ri32, &err), ST_LINK);
    wasm_store_free(s);
}

/* The memory cases of imports.wast: actual (min, max) against declared. */
static void test_link_memory_limits(void **state)
{
    (void)state;
    static const struct {
        int64_t have_min, have_max, want_min, want_max;
        Status st;
    } cases[] = {
        {2, -1, 3, -1, ST_LINK}, {2, -1, 2, 3, ST_LINK}, {2, -1, 2, -1, ST_OK},
        {2, -1, 0, -1, ST_OK},   {1, 2, 2, -1, ST_LINK}, {1, 2, 1, 1, ST_LINK},
        {1, 2, 1, 2, ST_OK},     {1, 2, 0, 3, ST_OK},    {1, 2, 1, -1, ST_OK},
    };
    WasmStore *s = wasm_store_new(NULL);
    OneImport o;
    one_import(&o, WASM_EXTERN_MEMORY, "m");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WasmMemInst *mem = wasm_memory_new(s, lim((uint32_t)cases[i].have_min, cases[i].have_max));
        o.mem = lim((uint32_t)cases[i].want_min, cases[i].want_max);
        WasmError err;
        assert_int_equal(link_one(s, &o.m, "m", WASM_EXTERN_MEMORY, mem, &err), cases[i].st);
    }
    /* The current size counts, not the declared minimum (spec 4.5.2). */
    WasmMemInst *mem = wasm_memory_new(s, lim(1, 2));
    o.mem = lim(2, -1);
    WasmError err;
    assert_int_equal(link_one(s, &o.m, "m", WASM_EXTERN_MEMORY, mem, &err), ST_LINK);
    assert_int_equal(wasm_memory_grow(mem, 1), 1);
    assert_int_equal(link_one(s, &o.m, "m", WASM_EXTERN_MEMORY, mem, &err), ST_OK);
    wasm_store_free(s);
}

static void test_link_tables_and_globals(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    WasmTableInst *t10 = wasm_table_new(s, (WasmTableType){WASM_FUNCREF, lim(10, 20)});
    OneImport o;
    one_import(&o, WASM_EXTERN_TABLE, "t");
    WasmError err;
    o.table = (WasmTableType){WASM_FUNCREF, lim(5, 20)};
    assert_int_equal(link_one(s, &o.m, "t", WASM_EXTERN_TABLE, t10, &err), ST_OK);
    o.table = (WasmTableType){WASM_FUNCREF, lim(12, 20)};
    assert_int_equal(link_one(s, &o.m, "t", WASM_EXTERN_TABLE, t10, &err), ST_LINK);
    o.table = (WasmTableType){WASM_FUNCREF, lim(10, 18)};
    assert_int_equal(link_one(s, &o.m, "t", WASM_EXTERN_TABLE, t10, &err), ST_LINK);
    o.table = (WasmTableType){WASM_EXTERNREF, lim(10, -1)};
    assert_int_equal(link_one(s, &o.m, "t", WASM_EXTERN_TABLE, t10, &err), ST_LINK);

    WasmGlobalInst *g = wasm_global_new(s, (WasmGlobalType){WASM_I32, false}, 666);
    one_import(&o, WASM_EXTERN_GLOBAL, "g");
    o.global.type = (WasmGlobalType){WASM_I32, false};
    assert_int_equal(link_one(s, &o.m, "g", WASM_EXTERN_GLOBAL, g, &err), ST_OK);
    o.global.type = (WasmGlobalType){WASM_I32, true};
    assert_int_equal(link_one(s, &o.m, "g", WASM_EXTERN_GLOBAL, g, &err), ST_LINK);
    o.global.type = (WasmGlobalType){WASM_I64, false};
    assert_int_equal(link_one(s, &o.m, "g", WASM_EXTERN_GLOBAL, g, &err), ST_LINK);
    wasm_store_free(s);
}

static void test_exports(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    WasmMemInst *mem = wasm_memory_new(s, lim(1, -1));
    OneImport o;
    one_import(&o, WASM_EXTERN_MEMORY, "m");
    o.mem = lim(1, -1);
    Linker l = {0};
    bind(&l, "env", "m", WASM_EXTERN_MEMORY, mem);
    WasmInstance *inst;
    WasmError err;
    assert_int_equal(wasm_instantiate(s, &o.m, resolve, &l, &inst, &err), ST_OK);
    WasmExtern ext;
    assert_int_equal(wasm_instance_export(inst, "it", &ext), ST_OK);
    assert_int_equal(ext.kind, WASM_EXTERN_MEMORY);
    assert_ptr_equal(ext.u.memory, mem);   /* re-exported, not copied */
    assert_int_equal(wasm_instance_export(inst, "i", &ext), ST_NOT_FOUND);
    assert_int_equal(wasm_instance_export(inst, "itx", &ext), ST_NOT_FOUND);
    /* Names are byte strings: a NUL inside is part of the name. */
    assert_int_equal(wasm_instance_export_n(inst, "it\0x", 4, &ext), ST_NOT_FOUND);
    assert_int_equal(wasm_instance_export_n(inst, "it\0x", 2, &ext), ST_OK);
    assert_int_equal(wasm_instance_export_n(inst, "it", 1, &ext), ST_NOT_FOUND);
    assert_ptr_equal(wasm_instance_memory(inst, 0), mem);
    assert_null(wasm_instance_memory(inst, 1));
    assert_ptr_equal(wasm_instance_module(inst), &o.m);
    assert_int_equal(instance_check(inst), ST_OK);
    wasm_store_free(s);
}

/* ---- instantiation: sizes, segments, failures ------------------------------ */

static void test_hostile_sizes(void **state)
{
    (void)state;
    WasmStoreConfig cfg = {.max_memory_pages = 16};
    WasmStore *s = wasm_store_new(&cfg);
    WasmLimits big = lim(WASM_MAX_PAGES, -1);
    WasmModule m = {.mems = &big, .nmems = 1};
    WasmError err;
    assert_int_equal(wasm_instantiate(s, &m, resolve, NULL, NULL, &err), ST_LIMIT);
    assert_memory_equal(err.msg, "memory too large", 16);
    WasmTableType huge = {WASM_FUNCREF, lim(UINT32_MAX, -1)};
    WasmModule m2 = {.tables = &huge, .ntables = 1};
    assert_int_equal(wasm_instantiate(s, &m2, resolve, NULL, NULL, &err), ST_LIMIT);
    assert_memory_equal(err.msg, "table too large", 15);
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);
}

/* Imported memory; data 0 active "abc" at 0, data 1 passive, data 2
 * active at `bad_offset` (10 bytes). */
static Status data_module(WasmStore *s, WasmMemInst *mem, uint32_t ndatas, uint32_t bad_offset,
                          WasmInstance **inst, WasmError *err)
{
    OneImport o;
    one_import(&o, WASM_EXTERN_MEMORY, "m");
    o.mem = lim(1, -1);
    static WasmData datas[3];
    datas[0] = (WasmData){.mode = WASM_SEG_ACTIVE, .offset = const_expr(0, OP_I32_CONST, 0),
                          .bytes = (const uint8_t *)"abc", .len = 3};
    datas[1] = (WasmData){.mode = WASM_SEG_PASSIVE, .bytes = (const uint8_t *)"zz", .len = 2};
    datas[2] = (WasmData){.mode = WASM_SEG_ACTIVE,
                          .offset = const_expr(1, OP_I32_CONST, bad_offset),
                          .bytes = (const uint8_t *)"0123456789", .len = 10};
    o.m.datas = datas;
    o.m.ndatas = ndatas;
    Linker l = {0};
    bind(&l, "env", "m", WASM_EXTERN_MEMORY, mem);
    return wasm_instantiate(s, &o.m, resolve, &l, inst, err);
}

static void test_data_segments(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    WasmMemInst *mem = wasm_memory_new(s, lim(1, -1));
    WasmInstance *inst;
    WasmError err;
    assert_int_equal(data_module(s, mem, 3, WASM_PAGE_SIZE - 6, &inst, &err), ST_TRAP);
    assert_memory_equal(err.msg, "out of bounds memory access", 27);
    assert_null(inst);
    uint8_t *p = wasm_memory_ptr(mem, 0, 3);
    assert_memory_equal(p, "abc", 3);   /* the earlier segment's write remains */
    assert_int_equal(*wasm_memory_ptr(mem, WASM_PAGE_SIZE - 6, 1), 0);   /* nothing partial */

    assert_int_equal(data_module(s, mem, 3, WASM_PAGE_SIZE - 10, &inst, &err), ST_OK);
    assert_memory_equal(wasm_memory_ptr(mem, WASM_PAGE_SIZE - 10, 10), "0123456789", 10);
    assert_int_equal(inst->data_len[0], 0);   /* active: dropped */
    assert_int_equal(inst->data_len[1], 2);   /* passive: kept for memory.init */
    assert_int_equal(instance_check(inst), ST_OK);
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);
}

/* Imports func f, table t (10 funcref), global g (i32 5); defines global 1
 * = global.get 0 and global 2 = ref.func 0; element segments: 0 active at
 * 7 [f], 1 passive [f, null], 2 declarative [f], 3 active at 8 [f x5]. */
typedef struct ElemFixture {
    WasmModule m;
    WasmImport imps[3];
    uint32_t func_types[1];
    WasmTableType table;
    WasmGlobal globals[3];
    WasmExpr inits[5];
    WasmElem elems[4];
} ElemFixture;

static void elem_module(ElemFixture *x, uint32_t nelems)
{
    memset(x, 0, sizeof *x);
    x->imps[0] = (WasmImport){name("env"), name("f"), WASM_EXTERN_FUNC, 0};
    x->imps[1] = (WasmImport){name("env"), name("t"), WASM_EXTERN_TABLE, 0};
    x->imps[2] = (WasmImport){name("env"), name("g"), WASM_EXTERN_GLOBAL, 0};
    x->table = (WasmTableType){WASM_FUNCREF, lim(10, -1)};
    x->globals[0].type = (WasmGlobalType){WASM_I32, false};
    x->globals[1] = (WasmGlobal){{WASM_I32, false}, const_expr(2, OP_GLOBAL_GET, 0)};
    x->globals[2] = (WasmGlobal){{WASM_FUNCREF, false}, const_expr(3, OP_REF_FUNC, 0)};
    WasmExpr ref_f = const_expr(4, OP_REF_FUNC, 0), null = const_expr(5, OP_REF_NULL, WASM_FUNCREF);
    x->inits[0] = x->inits[2] = x->inits[3] = x->inits[4] = ref_f;
    x->inits[1] = null;
    x->elems[0] = (WasmElem){WASM_SEG_ACTIVE, WASM_FUNCREF, 0, const_expr(6, OP_I32_CONST, 7),
                             1, x->inits, 0};
    x->elems[1] = (WasmElem){WASM_SEG_PASSIVE, WASM_FUNCREF, .count = 2, .inits = x->inits};
    x->elems[2] = (WasmElem){WASM_SEG_DECLARATIVE, WASM_FUNCREF, .count = 1, .inits = x->inits};
    x->elems[3] = (WasmElem){WASM_SEG_ACTIVE, WASM_FUNCREF, 0, const_expr(7, OP_I32_CONST, 8),
                             5, x->inits, 0};
    x->m = (WasmModule){.types = test_types, .ntypes = 2, .imports = x->imps, .nimports = 3,
                        .funcs = x->func_types, .nfuncs = 1, .nimported_funcs = 1,
                        .tables = &x->table, .ntables = 1, .nimported_tables = 1,
                        .globals = x->globals, .nglobals = 3, .nimported_globals = 1,
                        .elems = x->elems, .nelems = nelems};
}

static Status elem_instantiate(WasmStore *s, ElemFixture *x, WasmTableInst **table,
                               WasmFuncInst **func, WasmInstance **inst, WasmError *err)
{
    Linker l = {0};
    *func = wasm_host_func_new(s, NULL, 0, NULL, 0, host_nop, NULL);
    *table = wasm_table_new(s, x->table);
    WasmGlobalInst *g = wasm_global_new(s, x->globals[0].type, 5);
    if (!*func || !*table || !g)
        return ST_NOMEM;
    bind(&l, "env", "f", WASM_EXTERN_FUNC, *func);
    bind(&l, "env", "t", WASM_EXTERN_TABLE, *table);
    bind(&l, "env", "g", WASM_EXTERN_GLOBAL, g);
    return wasm_instantiate(s, &x->m, resolve, &l, inst, err);
}

static void test_elem_segments_and_globals(void **state)
{
    (void)state;
    WasmStore *s = wasm_store_new(NULL);
    ElemFixture x;
    elem_module(&x, 4);
    WasmTableInst *t;
    WasmFuncInst *f;
    WasmInstance *inst;
    WasmError err;
    assert_int_equal(elem_instantiate(s, &x, &t, &f, &inst, &err), ST_TRAP);
    assert_memory_equal(err.msg, "out of bounds table access", 26);
    assert_int_equal(t->elems[7], (WasmCell)(uintptr_t)f);   /* segment 0 stays */
    assert_int_equal(t->elems[8], 0);                          /* segment 3: nothing */

    elem_module(&x, 3);
    assert_int_equal(elem_instantiate(s, &x, &t, &f, &inst, &err), ST_OK);
    assert_int_equal(t->elems[7], (WasmCell)(uintptr_t)f);
    assert_int_equal(inst->elem_len[0], 0);   /* active: dropped */
    assert_int_equal(inst->elem_len[1], 2);   /* passive: kept */
    assert_int_equal(inst->elem_len[2], 0);   /* declarative: dropped */
    assert_int_equal(inst->elem_refs[1][0], (WasmCell)(uintptr_t)f);
    assert_int_equal(inst->elem_refs[1][1], 0);
    assert_int_equal(wasm_global_get(inst->globals[1]), 5);
    assert_int_equal(wasm_global_get(inst->globals[2]), (WasmCell)(uintptr_t)f);
    assert_int_equal(instance_check(inst), ST_OK);
    assert_int_equal(store_check(s), ST_OK);
    wasm_store_free(s);
}

/* Every allocation of store creation and instantiation fails in turn:
 * each failure must be a clean error and leak nothing. */
static void test_allocation_failures(void **state)
{
    (void)state;
    long base = mem_live();
    for (long n = 0;; n++) {
        mem_fail_after(n);
        WasmStore *s = wasm_store_new(NULL);
        Status st = ST_NOMEM;
        ElemFixture x;
        if (s) {
            elem_module(&x, 3);
            WasmTableInst *t;
            WasmFuncInst *f;
            WasmInstance *inst;
            WasmError err;
            st = elem_instantiate(s, &x, &t, &f, &inst, &err);
            assert_true(st == ST_OK || st == ST_NOMEM);
        }
        mem_fail_after(-1);
        wasm_store_free(s);
        assert_int_equal(mem_live(), base);
        if (st == ST_OK)
            break;
        assert_true(n < 1000);
    }
}

/* ---- real modules: calls into wasm ------------------------------------------ */

/* (module
 *   (import "env" "log" (func $log (param i32 i32)))
 *   (import "env" "mem" (memory 1))
 *   (data (i32.const 16) "hello")
 *   (func (export "greet") (call $log (i32.const 16) (i32.const 5)))
 *   (func $rec (export "recurse") (param i32) (result i32)
 *     (call $rec (i32.add (local.get 0) (i32.const 1))))
 *   (func (export "spin") (loop (br 0)))
 *   (func (export "div") (param i32 i32) (result i32)
 *     (i32.div_s (local.get 0) (local.get 1)))) */
static const uint8_t guest_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x14, 0x04, 0x60, 0x02, 0x7f, 0x7f,
    0x00, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x02, 0x16, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f, 0x67, 0x00, 0x00, 0x03, 0x65,
    0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x03, 0x05, 0x04, 0x01, 0x02, 0x01,
    0x03, 0x07, 0x20, 0x04, 0x05, 0x67, 0x72, 0x65, 0x65, 0x74, 0x00, 0x01, 0x07, 0x72, 0x65,
    0x63, 0x75, 0x72, 0x73, 0x65, 0x00, 0x02, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x03, 0x03,
    0x64, 0x69, 0x76, 0x00, 0x04, 0x0a, 0x24, 0x04, 0x08, 0x00, 0x41, 0x10, 0x41, 0x05, 0x10,
    0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x02, 0x0b, 0x07, 0x00, 0x03,
    0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b, 0x0b, 0x0b,
    0x01, 0x00, 0x41, 0x10, 0x0b, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* (module (import "env" "mem" (memory 1)) (data (i32.const 0) "abc")
 *   (func $s unreachable) (start $s)) */
static const uint8_t start_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01,
    0x03, 0x02, 0x01, 0x00, 0x08, 0x01, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
    0x0b, 0x09, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x03, 0x61, 0x62, 0x63,
};

typedef struct Guest {
    WasmStore *s;
    WasmModule *m;
    WasmInstance *inst;
    char text[32];     /* what env.log printed */
    WasmCell reentrant;
} Guest;

/* env.log(ptr, len): copy a string out of the calling instance's memory,
 * then call back into the guest ("div") to prove re-entrancy. */
static Status host_log(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    (void)results;
    Guest *g = user;
    WasmInstance *caller = wasm_store_caller(s);
    assert_ptr_equal(caller, g->inst);
    uint32_t ptr = (uint32_t)args[0], len = (uint32_t)args[1];
    const uint8_t *p = wasm_memory_ptr(wasm_instance_memory(caller, 0), ptr, len);
    if (!p || len >= sizeof g->text)
        return wasm_trap(s, "out of bounds memory access");
    memcpy(g->text, p, len);
    g->text[len] = '\0';
    WasmExtern div;
    WasmCell ab[2] = {84, 2};
    WasmError err;
    if (wasm_instance_export(caller, "div", &div) != ST_OK ||
        wasm_call(s, div.u.func, ab, &g->reentrant, &err) != ST_OK)
        return wasm_trap(s, "re-entrant call failed");
    return ST_OK;
}

static void guest_load(Guest *g, const WasmStoreConfig *cfg)
{
    memset(g, 0, sizeof *g);
    WasmError err;
    assert_int_equal(wasm_module_load(guest_wasm, sizeof guest_wasm, &g->m, &err), ST_OK);
    g->s = wasm_store_new(cfg);
    uint8_t t[] = {WASM_I32, WASM_I32};
    Linker l = {0};
    bind(&l, "env", "log", WASM_EXTERN_FUNC, wasm_host_func_new(g->s, t, 2, NULL, 0, host_log, g));
    bind(&l, "env", "mem", WASM_EXTERN_MEMORY, wasm_memory_new(g->s, lim(1, -1)));
    assert_int_equal(wasm_instantiate(g->s, g->m, resolve, &l, &g->inst, &err), ST_OK);
    assert_int_equal(instance_check(g->inst), ST_OK);
}

static void guest_free(Guest *g)
{
    assert_int_equal(store_check(g->s), ST_OK);
    wasm_store_free(g->s);
    wasm_module_free(g->m);
}

static Status guest_call(Guest *g, const char *fn, WasmCell *args, WasmCell *res, WasmError *err)
{
    WasmExtern ext;
    assert_int_equal(wasm_instance_export(g->inst, fn, &ext), ST_OK);
    assert_int_equal(ext.kind, WASM_EXTERN_FUNC);
    return wasm_call(g->s, ext.u.func, args, res, err);
}

static void test_guest_calls_host(void **state)
{
    (void)state;
    Guest g;
    guest_load(&g, NULL);
    WasmError err;
    assert_int_equal(guest_call(&g, "greet", NULL, NULL, &err), ST_OK);
    assert_string_equal(g.text, "hello");
    assert_int_equal(g.reentrant, 42);
    WasmCell ab[2] = {7, 0}, r;
    assert_int_equal(guest_call(&g, "div", ab, &r, &err), ST_TRAP);
    assert_string_equal(err.msg, "integer divide by zero");
    ab[1] = 2;
    assert_int_equal(guest_call(&g, "div", ab, &r, &err), ST_OK);
    assert_int_equal(r, 3);
    guest_free(&g);
}

static void test_call_stack_exhausted(void **state)
{
    (void)state;
    /* First the depth limit, then a depth limit so high that only the C
     * stack floor (c_stack_limit) can stop the recursion. */
    static const WasmStoreConfig cfgs[] = {{0, 0, 0}, {0, 100000000, 0}};
    for (int i = 0; i < 2; i++) {
        Guest g;
        guest_load(&g, &cfgs[i]);
        WasmCell arg = 0, r;
        WasmError err;
        assert_int_equal(guest_call(&g, "recurse", &arg, &r, &err), ST_TRAP);
        assert_string_equal(err.msg, "call stack exhausted");
        assert_ptr_equal(g.s->sp, g.s->stack);
        assert_int_equal(g.s->depth, 0);
        WasmCell ab[2] = {9, 3};   /* usable again */
        assert_int_equal(guest_call(&g, "div", ab, &r, &err), ST_OK);
        assert_int_equal(r, 3);
        guest_free(&g);
    }
}

static void test_fuel(void **state)
{
    (void)state;
    Guest g;
    guest_load(&g, NULL);
    WasmError err;
    wasm_store_set_fuel(g.s, 10000);
    assert_int_equal(guest_call(&g, "spin", NULL, NULL, &err), ST_TRAP);
    assert_string_equal(err.msg, "out of fuel");
    assert_int_equal(wasm_store_fuel(g.s), 0);
    wasm_store_set_fuel(g.s, UINT64_MAX);
    WasmCell ab[2] = {9, 3}, r;
    assert_int_equal(guest_call(&g, "div", ab, &r, &err), ST_OK);
    assert_int_equal(wasm_store_fuel(g.s), UINT64_MAX);   /* unlimited is not counted */
    guest_free(&g);
}

static void test_start_function_trap(void **state)
{
    (void)state;
    WasmModule *m;
    WasmError err;
    assert_int_equal(wasm_module_load(start_wasm, sizeof start_wasm, &m, &err), ST_OK);
    WasmStore *s = wasm_store_new(NULL);
    WasmMemInst *mem = wasm_memory_new(s, lim(1, -1));
    WasmInstance *inst;
    assert_int_equal(link_one(s, m, "mem", WASM_EXTERN_MEMORY, mem, &err), ST_TRAP);
    assert_string_equal(err.msg, "unreachable");
    Linker l = {0};
    bind(&l, "env", "mem", WASM_EXTERN_MEMORY, mem);
    assert_int_equal(wasm_instantiate(s, m, resolve, &l, &inst, &err), ST_TRAP);
    assert_null(inst);
    assert_memory_equal(wasm_memory_ptr(mem, 0, 3), "abc", 3);   /* data before start stays */
    wasm_store_free(s);
    wasm_module_free(m);
}

/* (module (import "env" "again" (func $again))
 *   (func (export "bounce") (call $again))) */
static const uint8_t bounce_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x61, 0x67, 0x61, 0x69, 0x6e, 0x00,
    0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x62, 0x6f, 0x75, 0x6e, 0x63,
    0x65, 0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,
};

/* env.again: call the guest's "bounce" again, so wasm and host recurse
 * through each other on the C stack; only c_stack_limit can stop it. */
static Status host_again(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    (void)args, (void)results;
    (*(long *)user)++;
    WasmExtern bounce;
    WasmError err;
    if (wasm_instance_export(wasm_store_caller(s), "bounce", &bounce) != ST_OK)
        return wasm_trap(s, "no bounce");
    if (wasm_call(s, bounce.u.func, NULL, NULL, &err) != ST_OK)
        return wasm_trap(s, "%s", err.msg);
    return ST_OK;
}

static void test_host_recursion_c_stack(void **state)
{
    (void)state;
    WasmModule *m;
    WasmError err;
    assert_int_equal(wasm_module_load(bounce_wasm, sizeof bounce_wasm, &m, &err), ST_OK);
    WasmStoreConfig cfg = {.max_call_depth = 100000000};
    WasmStore *s = wasm_store_new(&cfg);
    long rounds = 0;
    WasmFuncInst *again = wasm_host_func_new(s, NULL, 0, NULL, 0, host_again, &rounds);
    WasmInstance *inst;
    Linker l = {0};
    bind(&l, "env", "again", WASM_EXTERN_FUNC, again);
    assert_int_equal(wasm_instantiate(s, m, resolve, &l, &inst, &err), ST_OK);
    WasmExtern bounce;
    assert_int_equal(wasm_instance_export(inst, "bounce", &bounce), ST_OK);
    assert_int_equal(wasm_call(s, bounce.u.func, NULL, NULL, &err), ST_TRAP);
    assert_string_equal(err.msg, "call stack exhausted");
    assert_true(rounds > 100);   /* it did recurse before the floor stopped it */
    assert_ptr_equal(s->sp, s->stack);
    assert_int_equal(s->depth, 0);
    assert_int_equal(s->c_stack_limit, 0);
    wasm_store_free(s);
    wasm_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_unknown_and_kind),
        cmocka_unit_test(test_link_func_types),
        cmocka_unit_test(test_link_memory_limits),
        cmocka_unit_test(test_link_tables_and_globals),
        cmocka_unit_test(test_exports),
        cmocka_unit_test(test_hostile_sizes),
        cmocka_unit_test(test_data_segments),
        cmocka_unit_test(test_elem_segments_and_globals),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_guest_calls_host),
        cmocka_unit_test(test_call_stack_exhausted),
        cmocka_unit_test(test_fuel),
        cmocka_unit_test(test_start_function_trap),
        cmocka_unit_test(test_host_recursion_c_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
