/*
 * interp_asm.h - test helpers for the interpreter tests (test_interp.c,
 * test_interp_calls.c): a small assembler and module builder, so each
 * test can write the wasm it checks as text.
 *
 * Function bodies are written one instruction after another
 * ("local.get 0 i32.const 2 i32.div_s", without the final end);
 * immediates follow their opcode: numbers, "void"/"i32"/.../"t1" (type
 * index) for block types, "offset" for loads and stores (alignment 1),
 * "br_table N l1 .. lN default", float literals "1.5", "-0", "inf",
 * "nan:0x200000".  Signatures are "params:results" with i I f F for
 * i32 i64 f32 f64 and r for funcref.
 *
 * Every module has: the test's functions (exported as f0, f1, ...), an
 * optional host import env.h (function 0 when present; (i32, i32) -> i32,
 * a - b, trapping with "host says no" when a == 99), a funcref table of 8
 * (max 16) holding the functions from slot 0, a memory of 1 page (max 2),
 * a mutable i32 global = 7, a passive data segment "abcdefgh" and a
 * passive element segment holding the first function.
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#ifndef TINYSTDB_TESTS_INTERP_ASM_H
#define TINYSTDB_TESTS_INTERP_ASM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/alloc.h"
#include "wasm/runtime.h"
#include "wasm/tree.h"

/* ---- the assembler ---------------------------------------------------- */

typedef struct Buf {
    uint8_t b[32768];
    size_t n;
} Buf;

static inline void put(Buf *b, uint8_t byte)
{
    assert_true(b->n < sizeof b->b);
    b->b[b->n++] = byte;
}

static inline void put_uleb(Buf *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        put(b, byte | (v ? 0x80 : 0));
    } while (v);
}

static inline void put_sleb(Buf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7F;
        v >>= 7;   /* arithmetic shift on gcc/clang */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        put(b, byte | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

static inline void put_bytes(Buf *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, ((const uint8_t *)p)[i]);
}

static inline const WasmOpInfo *find_op(const char *name)
{
    for (unsigned code = 0; code < 0xFC20; code = code == 0xFF ? 0xFC00 : code + 1) {
        const WasmOpInfo *info = wasm_op_info(code);
        if (info && strcmp(info->name, name) == 0)
            return info;
    }
    fail_msg("unknown instruction %s", name);
    return NULL;
}

static inline uint8_t valtype(char c)
{
    switch (c) {
    case 'i': return WASM_I32;
    case 'I': return WASM_I64;
    case 'f': return WASM_F32;
    case 'F': return WASM_F64;
    case 'r': return WASM_FUNCREF;
    default: return WASM_EXTERNREF;
    }
}

/* Float bits from "1.5", "-0", "inf", "nan", "nan:0x200000", "-nan:0x1". */
static inline uint64_t float_bits(const char *tok, bool f32)
{
    bool neg = tok[0] == '-';
    const char *t = neg ? tok + 1 : tok;
    if (strncmp(t, "nan", 3) == 0) {
        uint64_t payload = t[3] == ':' ? strtoull(t + 4, NULL, 0) : (f32 ? 0x400000 : 1ull << 51);
        uint64_t bits = f32 ? 0x7F800000u | payload : 0x7FF0000000000000u | payload;
        return bits | (neg ? (f32 ? 0x80000000u : 1ull << 63) : 0);
    }
    uint64_t bits = 0;
    if (f32) {
        float v = strtof(tok, NULL);
        memcpy(&bits, &v, 4);
    } else {
        double v = strtod(tok, NULL);
        memcpy(&bits, &v, 8);
    }
    return bits;
}

/* Append the binary of a body written as text; returns nothing, fails the
 * test on a typo.  Immediates follow their opcode; see the file comment
 * for block types ("void", "i32", "t1" = type index 1). */
static inline void assemble(Buf *out, const char *text)
{
    char copy[16384];
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        const WasmOpInfo *op = find_op(tok);
        if (op->code >= 0xFC00) {
            put(out, 0xFC);
            put_uleb(out, op->code & 0xFF);
        } else {
            put(out, (uint8_t)op->code);
        }
#define NEXT_TOK strtok_r(NULL, " \n", &save)
#define NEXT_NUM strtoull(NEXT_TOK, NULL, 0)
        switch (op->imm) {
        case IMM_BLOCK: {
            const char *bt = NEXT_TOK;
            if (bt[0] == 't')
                put_sleb(out, atoi(bt + 1));
            else if (strcmp(bt, "void") == 0)
                put(out, 0x40);
            else
                put(out, valtype(bt[1] == '3' ? (bt[0] == 'i' ? 'i' : 'f') : (bt[0] == 'i' ? 'I' : 'F')));
            break;
        }
        case IMM_BR_TABLE: {
            uint64_t n = NEXT_NUM;
            put_uleb(out, n);
            for (uint64_t i = 0; i <= n; i++)
                put_uleb(out, NEXT_NUM);
            break;
        }
        case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL: case IMM_TABLE:
        case IMM_DATA: case IMM_ELEM:
            put_uleb(out, NEXT_NUM);
            break;
        case IMM_CALL_INDIRECT: case IMM_ELEM_TABLE: case IMM_TABLE_TABLE:
            put_uleb(out, NEXT_NUM);
            put_uleb(out, NEXT_NUM);
            break;
        case IMM_MEMARG:
            put_uleb(out, 0);   /* alignment 1: always valid */
            put_uleb(out, NEXT_NUM);
            break;
        case IMM_MEMIDX: put(out, 0); break;
        case IMM_MEM_MEM: put(out, 0); put(out, 0); break;
        case IMM_DATA_MEM: put_uleb(out, NEXT_NUM); put(out, 0); break;
        case IMM_I32: put_sleb(out, (int32_t)strtoll(NEXT_TOK, NULL, 0)); break;
        case IMM_I64: {
            const char *t = NEXT_TOK;
            put_sleb(out, t[0] == '-' ? strtoll(t, NULL, 0) : (int64_t)strtoull(t, NULL, 0));
            break;
        }
        case IMM_F32: { uint32_t v = (uint32_t)float_bits(NEXT_TOK, true); put_bytes(out, &v, 4); break; }
        case IMM_F64: { uint64_t v = float_bits(NEXT_TOK, false); put_bytes(out, &v, 8); break; }
        case IMM_REFTYPE: put(out, strcmp(NEXT_TOK, "func") == 0 ? 0x70 : 0x6F); break;
        case IMM_NONE: break;
        default: fail_msg("immediate kind %d not supported", op->imm);
        }
#undef NEXT_TOK
#undef NEXT_NUM
    }
}

/* ---- modules --------------------------------------------------------- */

typedef struct TestFunc {
    const char *sig;      /* "ii:i": params, then results */
    const char *locals;   /* declared locals, one letter each */
    const char *body;     /* without the final end */
} TestFunc;

typedef struct TestModule {
    const char *types[4];    /* extra types (indices 0..), for blocks and call_indirect */
    const char *import_sig;  /* env.h, when non-NULL */
    TestFunc funcs[8];
} TestModule;

static inline void put_functype(Buf *b, const char *sig)
{
    const char *colon = strchr(sig, ':');
    put(b, 0x60);
    put_uleb(b, (uint64_t)(colon - sig));
    for (const char *p = sig; p < colon; p++)
        put(b, valtype(*p));
    put_uleb(b, strlen(colon + 1));
    for (const char *p = colon + 1; *p; p++)
        put(b, valtype(*p));
}

static inline void put_section(Buf *out, uint8_t id, const Buf *content)
{
    put(out, id);
    put_uleb(out, content->n);
    put_bytes(out, content->b, content->n);
}

static inline size_t count_types(const TestModule *tm)
{
    size_t n = 0;
    while (n < 4 && tm->types[n])
        n++;
    return n;
}

static inline size_t count_funcs(const TestModule *tm)
{
    size_t n = 0;
    while (n < 8 && tm->funcs[n].sig)
        n++;
    return n;
}

/* Sections 1-3: types (the extra ones, the import's, one per function),
 * the import env.h, and the functions' type indices. */
static inline void put_signatures(Buf *out, const TestModule *tm, size_t nt, size_t imp, size_t nf)
{
    static Buf sec;
    sec.n = 0;
    put_uleb(&sec, nt + imp + nf);
    for (size_t i = 0; i < nt; i++)
        put_functype(&sec, tm->types[i]);
    if (imp)
        put_functype(&sec, tm->import_sig);
    for (size_t i = 0; i < nf; i++)
        put_functype(&sec, tm->funcs[i].sig);
    put_section(out, 1, &sec);
    if (imp) {
        sec.n = 0;
        put_bytes(&sec, "\1\3env\1h\0", 8);
        put_uleb(&sec, nt);
        put_section(out, 2, &sec);
    }
    sec.n = 0;
    put_uleb(&sec, nf);
    for (size_t i = 0; i < nf; i++)
        put_uleb(&sec, nt + imp + i);
    put_section(out, 3, &sec);
}

/* Sections 4-7 and 9: table, memory, global, exports, element segments. */
static inline void put_objects(Buf *out, size_t imp, size_t nf)
{
    static Buf sec;
    sec.n = 0;
    put_bytes(&sec, "\1\x70\1\x08\x10", 5);     /* table funcref 8..16 */
    put_section(out, 4, &sec);
    sec.n = 0;
    put_bytes(&sec, "\1\1\1\2", 4);             /* memory 1..2 pages */
    put_section(out, 5, &sec);
    sec.n = 0;
    put_bytes(&sec, "\1\x7f\1\x41\x07\x0b", 6); /* global (mut i32) = 7 */
    put_section(out, 6, &sec);
    sec.n = 0;
    put_uleb(&sec, nf);
    for (size_t i = 0; i < nf; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%zu", i);
        put_uleb(&sec, strlen(name));
        put_bytes(&sec, name, strlen(name));
        put(&sec, 0);
        put_uleb(&sec, imp + i);
    }
    put_section(out, 7, &sec);
    sec.n = 0;   /* elem 0: active at 0, every function; elem 1: passive [first] */
    put_uleb(&sec, 2);
    put_bytes(&sec, "\0\x41\0\x0b", 4);
    put_uleb(&sec, nf);
    for (size_t i = 0; i < nf; i++)
        put_uleb(&sec, imp + i);
    put_bytes(&sec, "\1\0\1", 3);
    put_uleb(&sec, imp);
    put_section(out, 9, &sec);
}

/* Sections 12, 10, 11: data count, code, the passive data "abcdefgh". */
static inline void put_code(Buf *out, const TestModule *tm, size_t nf)
{
    static Buf sec, body;
    sec.n = 0;
    put(&sec, 1);
    put_section(out, 12, &sec);
    sec.n = 0;
    put_uleb(&sec, nf);
    for (size_t i = 0; i < nf; i++) {
        body.n = 0;
        size_t nl = strlen(tm->funcs[i].locals ? tm->funcs[i].locals : "");
        put_uleb(&body, nl);
        for (size_t k = 0; k < nl; k++) {
            put(&body, 1);
            put(&body, valtype(tm->funcs[i].locals[k]));
        }
        assemble(&body, tm->funcs[i].body);
        put(&body, OP_END);
        put_uleb(&sec, body.n);
        put_bytes(&sec, body.b, body.n);
    }
    put_section(out, 10, &sec);
    sec.n = 0;
    put_bytes(&sec, "\1\1\x08" "abcdefgh", 11);
    put_section(out, 11, &sec);
}

static inline void build_module(Buf *out, const TestModule *tm)
{
    size_t nt = count_types(tm), nf = count_funcs(tm), imp = tm->import_sig ? 1 : 0;
    put_bytes(out, "\0asm\1\0\0\0", 8);
    put_signatures(out, tm, nt, imp, nf);
    put_objects(out, imp, nf);
    put_code(out, tm, nf);
}

/* ---- running --------------------------------------------------------- */

typedef struct Fixture {
    WasmModule *m;
    WasmStore *s;
    WasmInstance *inst;
    WasmError err;
    int host_calls;
} Fixture;

/* env.h: (i32, i32) -> i32 = a - b, and traps when a == 99. */
static inline Status host_h(WasmStore *s, void *user, const WasmCell *args, WasmCell *results)
{
    ((Fixture *)user)->host_calls++;
    if ((uint32_t)args[0] == 99)
        return wasm_trap(s, "host says no");
    results[0] = (uint32_t)((uint32_t)args[0] - (uint32_t)args[1]);
    return ST_OK;
}

static inline Status resolve(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    Fixture *fx = user;
    static const uint8_t ii[] = {WASM_I32, WASM_I32}, i[] = {WASM_I32};
    if (strcmp(imp->name.s, "h") != 0)
        return wasm_error(err, ST_LINK, -1, "unknown import");
    out->kind = WASM_EXTERN_FUNC;
    out->u.func = wasm_host_func_new(fx->s, ii, 2, i, 1, host_h, fx);
    return out->u.func ? ST_OK : ST_NOMEM;
}

static inline void load_cfg(Fixture *fx, const TestModule *tm, const WasmStoreConfig *cfg)
{
    static Buf bin;
    bin.n = 0;
    build_module(&bin, tm);
    memset(fx, 0, sizeof *fx);
    Status st = wasm_module_load(bin.b, bin.n, &fx->m, &fx->err);
    if (st != ST_OK)
        fail_msg("load: %s", fx->err.msg);
    for (uint32_t i = 0; i < fx->m->ncodes; i++)
        assert_int_equal(tree_func_check(fx->m->trees[i]), ST_OK);
    fx->s = wasm_store_new(cfg);
    assert_non_null(fx->s);
    st = wasm_instantiate(fx->s, fx->m, resolve, fx, &fx->inst, &fx->err);
    if (st != ST_OK)
        fail_msg("instantiate: %s", fx->err.msg);
}

static inline void load(Fixture *fx, const TestModule *tm)
{
    load_cfg(fx, tm, NULL);
}

static inline void unload(Fixture *fx)
{
    wasm_store_free(fx->s);
    wasm_module_free(fx->m);
}

static inline Status call(Fixture *fx, const char *name, const WasmCell *args, WasmCell *results)
{
    WasmExtern ext;
    assert_int_equal(wasm_instance_export(fx->inst, name, &ext), ST_OK);
    return wasm_call(fx->s, ext.u.func, args, results, &fx->err);
}

/* Run f0 of a one-function module. */
static inline Status run1(Fixture *fx, const char *sig, const char *locals, const char *body,
                   const WasmCell *args, WasmCell *results)
{
    TestModule tm = {.funcs = {{sig, locals, body}}};
    load(fx, &tm);
    return call(fx, "f0", args, results);
}

/* f0 must return `want`. */
static inline void expect(const char *sig, const char *body, const WasmCell *args, WasmCell want)
{
    Fixture fx;
    WasmCell r[4] = {0};
    Status st = run1(&fx, sig, "", body, args, r);
    if (st != ST_OK)
        fail_msg("%s: trapped: %s", body, fx.err.msg);
    if (r[0] != want)
        fail_msg("%s: got 0x%llx, want 0x%llx", body, (unsigned long long)r[0],
                 (unsigned long long)want);
    unload(&fx);
}

/* f0 must trap with `msg`. */
static inline void expect_trap(const char *sig, const char *body, const WasmCell *args, const char *msg)
{
    Fixture fx;
    WasmCell r[4] = {0};
    Status st = run1(&fx, sig, "", body, args, r);
    assert_int_equal(st, ST_TRAP);
    if (strncmp(fx.err.msg, msg, strlen(msg)) != 0)
        fail_msg("%s: trap \"%s\", want \"%s\"", body, fx.err.msg, msg);
    unload(&fx);
}

#define NOARGS ((const WasmCell[]){0})
#define ARGS(...) ((const WasmCell[]){__VA_ARGS__})

static inline WasmCell f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline WasmCell f64_bits(double d)
{
    WasmCell u;
    memcpy(&u, &d, 8);
    return u;
}

#define OOB "out of bounds memory access"
#define TOOB "out of bounds table access"

#endif
