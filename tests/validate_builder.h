/*
 * validate_builder.h - building WasmModule structures by hand for the
 * validator's tests (test_validate.c, test_validate_code.c).
 *
 * The modules are made without the decoder, so that each test states
 * exactly the instructions it checks.  A TestModule holds fixed-size
 * arrays for every section; add_type(), add_func() and friends fill them,
 * and validate() points the WasmModule at them.  Function types are
 * written as letter strings: i I f F for i32 i64 f32 f64, r for funcref,
 * e for externref.  Every invalid case checks the Status and that the
 * message starts with the spec's wording, as the spectest runner does.
 *
 * Book: chapter 4, book/04-wasm-validation.md
 */
#ifndef TINYSTDB_TESTS_VALIDATE_BUILDER_H
#define TINYSTDB_TESTS_VALIDATE_BUILDER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/alloc.h"
#include "wasm/opcodes.h"
#include "wasm/validate.h"
#include "wasm/wasm.h"

#define MAXN 8

typedef struct TestModule {
    WasmModule m;
    WasmFuncType types[MAXN];
    uint8_t type_bytes[MAXN][32];
    uint32_t funcs[MAXN];
    WasmCode codes[MAXN];
    uint8_t local_bytes[MAXN][16];
    WasmGlobal globals[MAXN];
    WasmTableType tables[MAXN];
    WasmLimits mems[MAXN];
    WasmElem elems[MAXN];
    WasmData datas[MAXN];
    WasmExport exports[MAXN];
    uint32_t labels[64];
} TestModule;

/* Instruction constructors.  add_func() sets pos to 100 + 10 * index. */
#define I(op_) {.op = OP_##op_}
#define IA(op_, a_) {.op = OP_##op_, .a = (a_)}
#define IAB(op_, a_, b_) {.op = OP_##op_, .a = (a_), .b = (b_)}
#define BLK(op_, bt_, a_) {.op = OP_##op_, .bt = (bt_), .a = (a_)}
#define N(arr) ((uint32_t)(sizeof(arr) / sizeof(arr)[0]))

static inline uint8_t letter_type(char c)
{
    switch (c) {
    case 'i': return WASM_I32;
    case 'I': return WASM_I64;
    case 'f': return WASM_F32;
    case 'F': return WASM_F64;
    case 'r': return WASM_FUNCREF;
    default: assert_true(c == 'e'); return WASM_EXTERNREF;
    }
}

static inline uint32_t add_type(TestModule *t, const char *params, const char *results)
{
    uint32_t idx = t->m.ntypes++;
    WasmFuncType *ft = &t->types[idx];
    ft->nparams = (uint32_t)strlen(params);
    ft->nresults = (uint32_t)strlen(results);
    ft->types = t->type_bytes[idx];
    for (uint32_t i = 0; i < ft->nparams; i++)
        ft->types[i] = letter_type(params[i]);
    for (uint32_t i = 0; i < ft->nresults; i++)
        ft->types[ft->nparams + i] = letter_type(results[i]);
    return idx;
}

static inline void add_import_func(TestModule *t, uint32_t type)
{
    assert_int_equal(t->m.nfuncs, t->m.nimported_funcs);
    t->funcs[t->m.nfuncs++] = type;
    t->m.nimported_funcs++;
}

/* A function of type `type` with the given locals and body; returns its
 * index.  Instruction positions are set to 100 + 10 * index. */
static inline uint32_t add_func(TestModule *t, uint32_t type, const char *locals, WasmInsn *body,
                         uint32_t n)
{
    uint32_t code = t->m.ncodes++;
    WasmCode *c = &t->codes[code];
    c->nlocals = (uint32_t)strlen(locals);
    c->local_types = t->local_bytes[code];
    for (uint32_t i = 0; i < c->nlocals; i++)
        c->local_types[i] = letter_type(locals[i]);
    for (uint32_t i = 0; i < n; i++)
        body[i].pos = 100 + 10 * i;
    c->body.insns = body;
    c->body.count = n;
    c->labels = t->labels;
    c->nlabels = N(t->labels);
    t->funcs[t->m.nfuncs] = type;
    return t->m.nfuncs++;
}

static inline void add_global(TestModule *t, uint8_t type, bool mut, WasmInsn *init, uint32_t n)
{
    WasmGlobal *g = &t->globals[t->m.nglobals++];
    g->type.type = type;
    g->type.mutable_ = mut;
    g->init.insns = init;
    g->init.count = n;
    if (n == 0)
        t->m.nimported_globals++;
}

static inline void add_table(TestModule *t, uint8_t elem_type, uint32_t min)
{
    t->tables[t->m.ntables++] = (WasmTableType){elem_type, {min, 0, false}};
}

static inline void add_memory(TestModule *t, uint32_t min, uint32_t max, bool has_max)
{
    t->mems[t->m.nmems++] = (WasmLimits){min, max, has_max};
}

static inline void add_export(TestModule *t, const char *name, WasmExternKind kind, uint32_t idx)
{
    WasmExport *e = &t->exports[t->m.nexports++];
    e->name.s = (char *)name;
    e->name.len = (uint32_t)strlen(name);
    e->kind = kind;
    e->index = idx;
}

static WasmError err;

static inline Status validate(TestModule *t)
{
    WasmModule *m = &t->m;
    m->types = t->types;
    m->funcs = t->funcs;
    m->codes = t->codes;
    m->globals = t->globals;
    m->tables = t->tables;
    m->mems = t->mems;
    m->elems = t->elems;
    m->datas = t->datas;
    m->exports = t->exports;
    memset(&err, 0, sizeof err);
    return wasm_module_validate(m, &err);
}

static inline void expect_valid(TestModule *t)
{
    Status st = validate(t);
    if (st != ST_OK)
        fail_msg("expected valid, got %s: %s", status_str(st), err.msg);
}

static inline void expect_error(TestModule *t, Status want, const char *prefix)
{
    Status st = validate(t);
    if (st != want || strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("expected %s \"%s...\", got %s \"%s\"", status_str(want), prefix,
                 status_str(st), err.msg);
}

/* One function of type params -> results with the given body. */
static inline Status check_body(const char *params, const char *results, WasmInsn *body, uint32_t n)
{
    static TestModule t;
    memset(&t, 0, sizeof t);
    add_func(&t, add_type(&t, params, results), "", body, n);
    return validate(&t);
}

#define BODY_OK(params, results, ...)                                                         \
    do {                                                                                      \
        WasmInsn body_[] = {__VA_ARGS__};                                                     \
        Status st_ = check_body(params, results, body_, N(body_));                            \
        if (st_ != ST_OK)                                                                     \
            fail_msg("line %d: expected valid, got %s", __LINE__, err.msg);                   \
    } while (0)

#define BODY_BAD(prefix, params, results, ...)                                                \
    do {                                                                                      \
        WasmInsn body_[] = {__VA_ARGS__};                                                     \
        Status st_ = check_body(params, results, body_, N(body_));                            \
        if (st_ == ST_OK || strncmp(err.msg, prefix, strlen(prefix)) != 0)                    \
            fail_msg("line %d: expected \"%s\", got %s \"%s\"", __LINE__, prefix,             \
                     status_str(st_), err.msg);                                               \
    } while (0)

#endif
