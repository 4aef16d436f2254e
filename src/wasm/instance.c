/*
 * instance.c - instantiation: turning a WasmModule into a running
 * WasmInstance inside a store (spec 4.5.3 allocation, 4.5.4
 * instantiation, WebAssembly 2.0 semantics).
 *
 * A module is a template; an instance is the template made real.  Each of
 * the four index spaces (functions, tables, memories, globals) becomes an
 * array of pointers with the imported entries first, exactly as the
 * module numbers them:
 *
 *     module:   funcs = [ import 0, import 1 | defined 2, defined 3 ]
 *     instance: funcs = [ &host_f, &other_g  | &block[0], &block[1]  ]
 *
 * so `inst->funcs[i]` is function i whether it was imported or not.
 *
 * wasm_instantiate proceeds in the spec's order:
 *   1. resolve and type-check every import (nothing is allocated in the
 *      store until all imports match, so a link error leaves no trace);
 *   2. allocate defined functions, tables, memories, then globals (whose
 *      initialisers may read imported globals and take ref.func);
 *   3. evaluate every element segment's initialisers;
 *   4. for each element segment in order: active -> table.init + elem.drop,
 *      declarative -> elem.drop; then each active data segment ->
 *      memory.init + data.drop;
 *   5. call the start function.
 * A trap in 4 or 5 stops instantiation with ST_TRAP, but (2.0 semantics)
 * whatever earlier segments wrote into imported tables and memories stays
 * written.  From step 2 on the instance belongs to the store, complete or
 * not, because other instances may already hold pointers into it.
 *
 * The module must outlive every store that instantiated it: instances
 * point at its types, trees and data bytes instead of copying them.
 *
 * Book: chapter 6, book/06-wasm-instances.md
 */
#include "store.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "../util/alloc.h"

/* ---- allocation of the instance record ---------------------------------- */

void instance_free(WasmInstance *inst)
{
    if (!inst)
        return;
    /* All segments share one block, which elem_refs[0] points at; the
     * module is not consulted because it may already be gone. */
    if (inst->elem_refs)
        mem_free(inst->elem_refs[0]);
    mem_free(inst->elem_refs);
    mem_free(inst->elem_len);
    mem_free(inst->data_len);
    mem_free(inst->type_ids);
    mem_free(inst->funcs);
    mem_free(inst->tables);
    mem_free(inst->mems);
    mem_free(inst->globals);
    mem_free(inst);
}

/* The instance record with every index space sized but empty. */
static WasmInstance *instance_new(WasmStore *s, const WasmModule *m)
{
    WasmInstance *inst = mem_calloc(1, sizeof *inst);
    if (!inst)
        return NULL;
    inst->store = s;
    inst->module = m;
    inst->funcs = mem_calloc(m->nfuncs, sizeof *inst->funcs);
    inst->tables = mem_calloc(m->ntables, sizeof *inst->tables);
    inst->mems = mem_calloc(m->nmems, sizeof *inst->mems);
    inst->globals = mem_calloc(m->nglobals, sizeof *inst->globals);
    inst->elem_refs = mem_calloc((size_t)m->nelems + 1, sizeof *inst->elem_refs);
    inst->elem_len = mem_calloc(m->nelems, sizeof *inst->elem_len);
    inst->data_len = mem_calloc(m->ndatas, sizeof *inst->data_len);
    inst->type_ids = mem_calloc(m->ntypes, sizeof *inst->type_ids);
    if (!inst->funcs || !inst->tables || !inst->mems || !inst->globals || !inst->elem_refs ||
        !inst->elem_len || !inst->data_len || !inst->type_ids) {
        instance_free(inst);
        return NULL;
    }
    return inst;
}

/* Canonical ids for the module's types, so that comparing two function
 * types anywhere in the store is comparing two integers. */
static Status intern_types(WasmInstance *inst, WasmError *err)
{
    const WasmModule *m = inst->module;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        inst->type_ids[i] = store_type_id(inst->store, &m->types[i]);
        if (inst->type_ids[i] == UINT32_MAX)
            return wasm_error(err, ST_NOMEM, -1, "out of memory");
    }
    return ST_OK;
}

/* ---- linking: resolving and checking imports ------------------------------ */

/* Limits subtyping (spec 4.5.2.1): the actual object, whose current size
 * is `cur`, fits the declared limits `want`. */
static bool limits_match(uint32_t cur, WasmLimits have, WasmLimits want)
{
    if (cur < want.min)
        return false;
    if (!want.has_max)
        return true;
    return have.has_max && have.max <= want.max;
}

/* Does the resolved extern match the import's declared type (spec 4.5.2)? */
static bool import_matches(const WasmInstance *inst, const WasmImport *imp,
                           const WasmExtern *ext)
{
    const WasmModule *m = inst->module;
    if (ext->kind != imp->kind)
        return false;
    switch (imp->kind) {
    case WASM_EXTERN_FUNC:
        return ext->u.func->type_id == inst->type_ids[m->funcs[imp->index]];
    case WASM_EXTERN_TABLE: {
        const WasmTableInst *t = ext->u.table;
        const WasmTableType *want = &m->tables[imp->index];
        return t->type.elem_type == want->elem_type &&
               limits_match(t->size, t->type.limits, want->limits);
    }
    case WASM_EXTERN_MEMORY: {
        const WasmMemInst *mem = ext->u.memory;
        return limits_match(mem->pages, mem->limits, m->mems[imp->index]);
    }
    case WASM_EXTERN_GLOBAL: {
        WasmGlobalType have = ext->u.global->type, want = m->globals[imp->index].type;
        return have.type == want.type && have.mutable_ == want.mutable_;
    }
    }
    return false;
}

static bool extern_is_null(const WasmExtern *ext)
{
    switch (ext->kind) {
    case WASM_EXTERN_FUNC: return !ext->u.func;
    case WASM_EXTERN_TABLE: return !ext->u.table;
    case WASM_EXTERN_MEMORY: return !ext->u.memory;
    case WASM_EXTERN_GLOBAL: return !ext->u.global;
    }
    return true;
}

/* Put a resolved import into its index space. */
static void bind_import(WasmInstance *inst, const WasmImport *imp, const WasmExtern *ext)
{
    switch (imp->kind) {
    case WASM_EXTERN_FUNC: inst->funcs[imp->index] = ext->u.func; break;
    case WASM_EXTERN_TABLE: inst->tables[imp->index] = ext->u.table; break;
    case WASM_EXTERN_MEMORY: inst->mems[imp->index] = ext->u.memory; break;
    case WASM_EXTERN_GLOBAL: inst->globals[imp->index] = ext->u.global; break;
    }
}

static Status link_imports(WasmInstance *inst, WasmResolveFn resolve, void *user,
                           WasmError *err)
{
    const WasmModule *m = inst->module;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const WasmImport *imp = &m->imports[i];
        WasmExtern ext = {0};
        if (err)
            err->msg[0] = '\0';
        Status st = resolve ? resolve(user, imp, &ext, err) : ST_LINK;
        if (st == ST_OK && extern_is_null(&ext))
            st = ST_LINK;
        if (st != ST_OK) {
            if (err && err->msg[0])
                return st;   /* the resolver explained itself */
            return wasm_error(err, st, -1, "unknown import: \"%s\" \"%s\"", imp->module.s,
                              imp->name.s);
        }
        if (!import_matches(inst, imp, &ext))
            return wasm_error(err, ST_LINK, -1, "incompatible import type: \"%s\" \"%s\"",
                              imp->module.s, imp->name.s);
        bind_import(inst, imp, &ext);
    }
    return ST_OK;
}

/* ---- allocation of defined objects ---------------------------------------- */

static Status alloc_funcs(WasmInstance *inst, WasmError *err)
{
    const WasmModule *m = inst->module;
    uint32_t n = m->nfuncs - m->nimported_funcs;
    if (n == 0)
        return ST_OK;
    WasmFuncInst *block = mem_calloc(n, sizeof *block);
    if (!block || store_own(inst->store, STORE_OBJ_BLOCK, block) != ST_OK)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx = m->nimported_funcs + i;
        WasmFuncInst *f = &block[i];
        f->type = wasm_module_func_type(m, idx);
        f->type_id = inst->type_ids[m->funcs[idx]];
        f->inst = inst;
        f->index = idx;
        f->tree = m->trees[i];
        inst->funcs[idx] = f;
    }
    return ST_OK;
}

static Status alloc_tables_and_mems(WasmInstance *inst, WasmError *err)
{
    const WasmModule *m = inst->module;
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
        Status st = store_alloc_table(inst->store, m->tables[i], &inst->tables[i], err);
        if (st != ST_OK)
            return st;
    }
    for (uint32_t i = m->nimported_mems; i < m->nmems; i++) {
        Status st = store_alloc_memory(inst->store, m->mems[i], &inst->mems[i], err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Evaluate one constant expression; it cannot trap in valid 2.0 code, so
 * a failure here is out of memory or a broken invariant upstream. */
static Status eval_const(WasmInstance *inst, const WasmExpr *e, WasmCell *out,
                         WasmError *err)
{
    Status st = interp_const_expr(inst, e, out);
    if (st != ST_OK)
        return wasm_error(err, st, -1, "constant expression failed: %s", status_str(st));
    return ST_OK;
}

/* Globals come after functions so that an initialiser may use ref.func. */
static Status alloc_globals(WasmInstance *inst, WasmError *err)
{
    const WasmModule *m = inst->module;
    uint32_t n = m->nglobals - m->nimported_globals;
    if (n == 0)
        return ST_OK;
    WasmGlobalInst *block = mem_calloc(n, sizeof *block);
    if (!block || store_own(inst->store, STORE_OBJ_BLOCK, block) != ST_OK)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const WasmGlobal *g = &m->globals[m->nimported_globals + i];
        block[i].type = g->type;
        Status st = eval_const(inst, &g->init, &block[i].value, err);
        if (st != ST_OK)
            return st;
        inst->globals[m->nimported_globals + i] = &block[i];
    }
    return ST_OK;
}

/* ---- segments ---------------------------------------------------------- */

/* Step 3: every segment's references, whatever its mode; passive ones are
 * what table.init copies from later.  One block holds all segments (the
 * decoder bounded every count by the bytes of the binary). */
static Status eval_elem_segments(WasmInstance *inst, WasmError *err)
{
    const WasmModule *m = inst->module;
    if (m->nelems == 0)
        return ST_OK;
    size_t total = 0;
    for (uint32_t i = 0; i < m->nelems; i++)
        total += m->elems[i].count;
    WasmCell *block = mem_calloc(total, sizeof *block);
    if (!block)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    for (uint32_t i = 0; i < m->nelems; i++) {
        const WasmElem *e = &m->elems[i];
        inst->elem_refs[i] = block;
        block += e->count;
        for (uint32_t j = 0; j < e->count; j++) {
            Status st = eval_const(inst, &e->inits[j], &inst->elem_refs[i][j], err);
            if (st != ST_OK)
                return st;
        }
        inst->elem_len[i] = e->count;
    }
    return ST_OK;
}

/* table.init of a whole active segment, then elem.drop.  Bounds are
 * checked before anything is copied (2.0: no partial segment writes). */
static Status init_table_segment(WasmInstance *inst, uint32_t i, WasmError *err)
{
    const WasmElem *e = &inst->module->elems[i];
    WasmCell off;
    Status st = eval_const(inst, &e->offset, &off, err);
    if (st != ST_OK)
        return st;
    WasmTableInst *t = inst->tables[e->table];
    uint32_t dst = (uint32_t)off, n = inst->elem_len[i];
    if ((uint64_t)dst + n > t->size)
        return wasm_error(err, ST_TRAP, -1,
                          "out of bounds table access: element segment %" PRIu32
                          " writes [%" PRIu32 ", +%" PRIu32 ") of a table of %" PRIu32,
                          i, dst, n, t->size);
    if (n)
        memcpy(t->elems + dst, inst->elem_refs[i], n * sizeof(WasmCell));
    inst->elem_len[i] = 0;
    return ST_OK;
}

/* memory.init of a whole active data segment, then data.drop. */
static Status init_memory_segment(WasmInstance *inst, uint32_t i, WasmError *err)
{
    const WasmData *d = &inst->module->datas[i];
    WasmCell off;
    Status st = eval_const(inst, &d->offset, &off, err);
    if (st != ST_OK)
        return st;
    WasmMemInst *mem = inst->mems[d->memory];
    uint32_t dst = (uint32_t)off;
    if ((uint64_t)dst + d->len > mem->size)
        return wasm_error(err, ST_TRAP, -1,
                          "out of bounds memory access: data segment %" PRIu32
                          " writes [%" PRIu32 ", +%" PRIu32 ") of %" PRIu64 " bytes",
                          i, dst, d->len, mem->size);
    if (d->len)
        memcpy(mem->data + dst, d->bytes, d->len);
    inst->data_len[i] = 0;
    return ST_OK;
}

/* Step 4, in the order of the 2.0 spec: all element segments, then all
 * data segments, each in index order; the first failure stops it. */
static Status init_segments(WasmInstance *inst, WasmError *err)
{
    const WasmModule *m = inst->module;
    for (uint32_t i = 0; i < m->ndatas; i++)
        inst->data_len[i] = m->datas[i].len;
    for (uint32_t i = 0; i < m->nelems; i++) {
        uint8_t mode = m->elems[i].mode;
        if (mode == WASM_SEG_ACTIVE) {
            Status st = init_table_segment(inst, i, err);
            if (st != ST_OK)
                return st;
        } else if (mode == WASM_SEG_DECLARATIVE) {
            inst->elem_len[i] = 0;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        if (m->datas[i].mode != WASM_SEG_ACTIVE)
            continue;
        Status st = init_memory_segment(inst, i, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* ---- the whole procedure -------------------------------------------------- */

/* Steps 2-5, on an instance the store already owns. */
static Status build_instance(WasmInstance *inst, WasmError *err)
{
    const WasmModule *m = inst->module;
    Status st = alloc_funcs(inst, err);
    if (st == ST_OK)
        st = alloc_tables_and_mems(inst, err);
    if (st == ST_OK)
        st = alloc_globals(inst, err);
    if (st == ST_OK)
        st = eval_elem_segments(inst, err);
    if (st == ST_OK)
        st = init_segments(inst, err);
    if (st == ST_OK && m->has_start)
        st = wasm_call(inst->store, inst->funcs[m->start], NULL, NULL, err);
    return st;
}

Status wasm_instantiate(WasmStore *s, const WasmModule *m, WasmResolveFn resolve, void *user,
                        WasmInstance **out, WasmError *err)
{
    if (out)
        *out = NULL;
    if (m->nfuncs > m->nimported_funcs && !m->trees)
        return wasm_error(err, ST_ARG, -1,
                          "module has no execution trees: load it with wasm_module_load");
    WasmInstance *inst = instance_new(s, m);
    if (!inst)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    Status st = intern_types(inst, err);
    if (st == ST_OK)
        st = link_imports(inst, resolve, user, err);
    if (st != ST_OK) {
        instance_free(inst);   /* not yet visible to anyone */
        return st;
    }
    if (store_own(s, STORE_OBJ_INSTANCE, inst) != ST_OK)
        return wasm_error(err, ST_NOMEM, -1, "out of memory");
    st = build_instance(inst, err);
    if (st != ST_OK)
        return st;   /* the partial instance stays owned by the store */
    if (out)
        *out = inst;
    return ST_OK;
}

/* ---- queries ----------------------------------------------------------- */

Status wasm_instance_export(const WasmInstance *inst, const char *name, WasmExtern *out)
{
    return wasm_instance_export_n(inst, name, strlen(name), out);
}

Status wasm_instance_export_n(const WasmInstance *inst, const char *name, size_t len,
                              WasmExtern *out)
{
    const WasmModule *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const WasmExport *e = &m->exports[i];
        if (e->name.len != len || memcmp(e->name.s, name, len) != 0)
            continue;
        out->kind = e->kind;
        switch (e->kind) {
        case WASM_EXTERN_FUNC: out->u.func = inst->funcs[e->index]; break;
        case WASM_EXTERN_TABLE: out->u.table = inst->tables[e->index]; break;
        case WASM_EXTERN_MEMORY: out->u.memory = inst->mems[e->index]; break;
        case WASM_EXTERN_GLOBAL: out->u.global = inst->globals[e->index]; break;
        }
        return ST_OK;
    }
    return ST_NOT_FOUND;
}

const WasmModule *wasm_instance_module(const WasmInstance *inst)
{
    return inst->module;
}

WasmMemInst *wasm_instance_memory(const WasmInstance *inst, uint32_t idx)
{
    return idx < inst->module->nmems ? inst->mems[idx] : NULL;
}

Status instance_check(const WasmInstance *inst)
{
    const WasmModule *m = inst->module;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const WasmFuncInst *f = inst->funcs[i];
        if (!f || f->type_id != inst->type_ids[m->funcs[i]])
            return ST_INVALID;
        if (i >= m->nimported_funcs && (f->inst != inst || f->index != i || !f->tree))
            return ST_INVALID;
    }
    for (uint32_t i = 0; i < m->ntables; i++)
        if (!inst->tables[i] || inst->tables[i]->type.elem_type != m->tables[i].elem_type)
            return ST_INVALID;
    for (uint32_t i = 0; i < m->nmems; i++)
        if (!inst->mems[i])
            return ST_INVALID;
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (!inst->globals[i] || inst->globals[i]->type.type != m->globals[i].type.type)
            return ST_INVALID;
    for (uint32_t i = 0; i < m->nelems; i++)
        if (inst->elem_len[i] > m->elems[i].count)
            return ST_INVALID;
    for (uint32_t i = 0; i < m->ndatas; i++)
        if (inst->data_len[i] != 0 && inst->data_len[i] != m->datas[i].len)
            return ST_INVALID;
    return ST_OK;
}
