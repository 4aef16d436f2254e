/*
 * validate.c - module validation (spec 3.4): everything except the type
 * checking of function bodies, which lives in validate_code.c.
 *
 * Decoding (chapter 3) proves that the bytes have the right *shape*;
 * validation proves that they make *sense*: every index names something
 * that exists, every limit is in range, every constant expression is
 * constant and has the right type, every export name is unique, and every
 * function body is well-typed.  A module that passes can be executed
 * without any of these checks at run time: the interpreter never asks
 * "does global 7 exist?" or "is this an i32?".
 *
 * The order of the checks follows the sections of the module; each
 * assert_invalid test of the spec suite breaks exactly one rule, and the
 * message starts with the spec's wording for it.
 *
 * Invariant: wasm_module_validate() never modifies the module, and on
 * success leaves `err` untouched.
 *
 * Book: chapter 4, book/04-wasm-validation.md
 */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"
#include "opcodes.h"

static const char *kind_name(WasmExternKind k)
{
    switch (k) {
    case WASM_EXTERN_FUNC: return "function";
    case WASM_EXTERN_TABLE: return "table";
    case WASM_EXTERN_MEMORY: return "memory";
    default: return "global";
    }
}

/* ---- types, limits ----------------------------------------------------- */

static Status check_func_types(const WasmModule *m, WasmError *err)
{
    if (m->ncodes != m->nfuncs - m->nimported_funcs)
        return wasm_error(err, ST_MALFORMED, -1,
                          "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i] >= m->ntypes)
            return wasm_error(err, ST_INVALID, -1, "unknown type %u: function %u", m->funcs[i], i);
    return ST_OK;
}

static Status check_tables(const WasmModule *m, WasmError *err)
{
    for (uint32_t i = 0; i < m->ntables; i++) {
        const WasmLimits *l = &m->tables[i].limits;
        if (l->has_max && l->min > l->max)
            return wasm_error(err, ST_INVALID, -1,
                              "size minimum must not be greater than maximum: table %u", i);
    }
    return ST_OK;
}

/* Spec 3.2.7: one memory at most (in 2.0), and at most 2^16 pages of
 * 64 KiB, so that every address fits in 32 bits. */
static Status check_memories(const WasmModule *m, WasmError *err)
{
    if (m->nmems > 1)
        return wasm_error(err, ST_INVALID, -1, "multiple memories: %u", m->nmems);
    for (uint32_t i = 0; i < m->nmems; i++) {
        const WasmLimits *l = &m->mems[i];
        if (l->min > WASM_MAX_PAGES || (l->has_max && l->max > WASM_MAX_PAGES))
            return wasm_error(err, ST_INVALID, -1,
                              "memory size must be at most 65536 pages (4GiB): memory %u", i);
        if (l->has_max && l->min > l->max)
            return wasm_error(err, ST_INVALID, -1,
                              "size minimum must not be greater than maximum: memory %u", i);
    }
    return ST_OK;
}

/* ---- constant expressions ------------------------------------------------ */

/* The type of one constant instruction (spec 3.3.10) into *type.  In 2.0,
 * global.get may only read an *imported*, immutable global: those are the
 * only globals whose value is known before this module's globals are
 * initialised. */
static Status const_insn_type(const WasmModule *m, const WasmInsn *in, const char *where,
                              uint8_t *type, WasmError *err)
{
    switch (in->op) {
    case OP_I32_CONST: *type = WASM_I32; return ST_OK;
    case OP_I64_CONST: *type = WASM_I64; return ST_OK;
    case OP_F32_CONST: *type = WASM_F32; return ST_OK;
    case OP_F64_CONST: *type = WASM_F64; return ST_OK;
    case OP_REF_NULL: *type = (uint8_t)in->a; return ST_OK;
    case OP_REF_FUNC:
        if (in->a >= m->nfuncs)
            return wasm_error(err, ST_INVALID, in->pos, "unknown function %u: in %s", in->a, where);
        *type = WASM_FUNCREF;
        return ST_OK;
    case OP_GLOBAL_GET:
        if (in->a >= m->nimported_globals)
            return wasm_error(err, ST_INVALID, in->pos, "unknown global %u: in %s", in->a, where);
        if (m->globals[in->a].type.mutable_)
            return wasm_error(err, ST_INVALID, in->pos,
                              "constant expression required: %s reads mutable global %u", where,
                              in->a);
        *type = m->globals[in->a].type.type;
        return ST_OK;
    default:
        return wasm_error(err, ST_INVALID, in->pos, "constant expression required: %s uses %s",
                          where, wasm_op_name(in->op));
    }
}

/* A constant expression must leave exactly one value, of type `want`. */
static Status check_const_expr(const WasmModule *m, const WasmExpr *e, uint8_t want,
                               const char *where, WasmError *err)
{
    uint32_t n = 0;      /* values it leaves on the stack */
    uint8_t last = 0;    /* the type of the topmost one */
    long pos = -1;
    for (uint32_t i = 0; i < e->count; i++) {
        const WasmInsn *in = &e->insns[i];
        pos = in->pos;
        if (in->op == OP_END && i + 1 == e->count)
            break;
        Status st = const_insn_type(m, in, where, &last, err);
        if (st != ST_OK)
            return st;
        n++;
    }
    if (n != 1 || last != want)
        return wasm_error(err, ST_INVALID, pos,
                          "type mismatch: %s must give one %s, not %u value(s)%s%s", where,
                          wasm_valtype_name(want), n, n == 1 ? " of type " : "",
                          n == 1 ? wasm_valtype_name(last) : "");
    return ST_OK;
}

static Status check_globals(const WasmModule *m, WasmError *err)
{
    char where[48];
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
        snprintf(where, sizeof where, "initializer of global %u", i);
        Status st = check_const_expr(m, &m->globals[i].init, m->globals[i].type.type, where, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* ---- segments ---------------------------------------------------------- */

static Status check_elem(const WasmModule *m, uint32_t idx, WasmError *err)
{
    const WasmElem *e = &m->elems[idx];
    char where[48];
    Status st;
    if (e->mode == WASM_SEG_ACTIVE) {
        if (e->table >= m->ntables)
            return wasm_error(err, ST_INVALID, e->pos, "unknown table %u: elem segment %u",
                              e->table, idx);
        if (m->tables[e->table].elem_type != e->elem_type)
            return wasm_error(err, ST_INVALID, e->pos,
                              "type mismatch: elem segment %u of %s for a table of %s", idx,
                              wasm_valtype_name(e->elem_type),
                              wasm_valtype_name(m->tables[e->table].elem_type));
        snprintf(where, sizeof where, "offset of elem segment %u", idx);
        if ((st = check_const_expr(m, &e->offset, WASM_I32, where, err)) != ST_OK)
            return st;
    }
    for (uint32_t j = 0; j < e->count; j++) {
        snprintf(where, sizeof where, "item %u of elem segment %u", j, idx);
        if ((st = check_const_expr(m, &e->inits[j], e->elem_type, where, err)) != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status check_segments(const WasmModule *m, WasmError *err)
{
    char where[48];
    for (uint32_t i = 0; i < m->nelems; i++) {
        Status st = check_elem(m, i, err);
        if (st != ST_OK)
            return st;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const WasmData *d = &m->datas[i];
        if (d->mode != WASM_SEG_ACTIVE)
            continue;
        if (d->memory >= m->nmems)
            return wasm_error(err, ST_INVALID, d->pos, "unknown memory %u: data segment %u",
                              d->memory, i);
        snprintf(where, sizeof where, "offset of data segment %u", i);
        Status st = check_const_expr(m, &d->offset, WASM_I32, where, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* ---- start, exports ------------------------------------------------------ */

static Status check_start(const WasmModule *m, WasmError *err)
{
    if (!m->has_start)
        return ST_OK;
    if (m->start >= m->nfuncs)
        return wasm_error(err, ST_INVALID, -1, "unknown function %u: start", m->start);
    const WasmFuncType *ft = wasm_module_func_type(m, m->start);
    if (ft->nparams != 0 || ft->nresults != 0)
        return wasm_error(err, ST_INVALID, -1,
                          "start function: function %u must take and return nothing", m->start);
    return ST_OK;
}

static int cmp_names(const void *a, const void *b)
{
    const WasmName *x = *(const WasmName *const *)a, *y = *(const WasmName *const *)b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->s, y->s, x->len);
}

/* Names are compared after sorting, so a hostile module with 100,000
 * exports costs n log n comparisons, not n^2. */
static Status check_export_names(const WasmModule *m, WasmError *err)
{
    const WasmName **names = mem_alloc_array(m->nexports, sizeof *names);
    if (!names)
        return wasm_error(err, ST_NOMEM, -1, "out of memory while validating exports");
    for (uint32_t i = 0; i < m->nexports; i++)
        names[i] = &m->exports[i].name;
    qsort(names, m->nexports, sizeof *names, cmp_names);
    Status st = ST_OK;
    for (uint32_t i = 1; i < m->nexports && st == ST_OK; i++)
        if (cmp_names(&names[i - 1], &names[i]) == 0)
            st = wasm_error(err, ST_INVALID, -1, "duplicate export name: \"%.64s\"", names[i]->s);
    mem_free(names);
    return st;
}

static Status check_exports(const WasmModule *m, WasmError *err)
{
    for (uint32_t i = 0; i < m->nexports; i++) {
        const WasmExport *e = &m->exports[i];
        uint32_t count = e->kind == WASM_EXTERN_FUNC     ? m->nfuncs
                         : e->kind == WASM_EXTERN_TABLE  ? m->ntables
                         : e->kind == WASM_EXTERN_MEMORY ? m->nmems
                                                         : m->nglobals;
        if (e->index >= count)
            return wasm_error(err, ST_INVALID, -1, "unknown %s %u: export \"%.64s\"",
                              kind_name(e->kind), e->index, e->name.s);
    }
    return check_export_names(m, err);
}

/* ---- declared function references ------------------------------------ */

static void mark_refs(const WasmModule *m, const WasmExpr *e, uint8_t *declared)
{
    for (uint32_t i = 0; i < e->count; i++)
        if (e->insns[i].op == OP_REF_FUNC && e->insns[i].a < m->nfuncs)
            declared[e->insns[i].a] = 1;
}

/* C.refs (spec 3.4.10): the functions the module mentions outside of
 * function bodies - in global initialisers, element segments, exports.
 * Only these may be used by `ref.func` in code. */
static uint8_t *collect_declared(const WasmModule *m)
{
    uint8_t *declared = mem_calloc(m->nfuncs ? m->nfuncs : 1, 1);
    if (!declared)
        return NULL;
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
        mark_refs(m, &m->globals[i].init, declared);
    for (uint32_t i = 0; i < m->nelems; i++) {
        mark_refs(m, &m->elems[i].offset, declared);
        for (uint32_t j = 0; j < m->elems[i].count; j++)
            mark_refs(m, &m->elems[i].inits[j], declared);
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        mark_refs(m, &m->datas[i].offset, declared);
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == WASM_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
            declared[m->exports[i].index] = 1;
    return declared;
}

/* ---- the module ---------------------------------------------------------- */

static Status check_bodies(const WasmModule *m, WasmError *err)
{
    Validator v = {.m = m, .err = err};
    Status st = ST_OK;
    uint8_t *declared = collect_declared(m);
    if (!declared)
        return wasm_error(err, ST_NOMEM, -1, "out of memory while validating");
    v.declared = declared;
    for (uint32_t f = m->nimported_funcs; f < m->nfuncs && st == ST_OK; f++)
        st = validate_code_body(&v, f);
    validate_code_fini(&v);
    mem_free(declared);
    return st;
}

Status wasm_module_validate(const WasmModule *m, WasmError *err)
{
    Status st;
    if ((st = check_func_types(m, err)) != ST_OK)
        return st;
    if ((st = check_tables(m, err)) != ST_OK)
        return st;
    if ((st = check_memories(m, err)) != ST_OK)
        return st;
    if ((st = check_globals(m, err)) != ST_OK)
        return st;
    if ((st = check_segments(m, err)) != ST_OK)
        return st;
    if ((st = check_start(m, err)) != ST_OK)
        return st;
    if ((st = check_exports(m, err)) != ST_OK)
        return st;
    return check_bodies(m, err);
}
