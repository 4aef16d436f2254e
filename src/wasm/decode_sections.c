/*
 * decode_sections.c - the contents of the standard sections (spec 5.5.4 to
 * 5.5.16): types, imports, functions, tables, memories, globals, exports,
 * start, elements, data count, code, data.
 *
 * Each section is mostly a vector: a u32 count, then that many entries.
 * Counts go through reader_len(), which refuses any count larger than the
 * bytes left in the binary; since every entry takes at least one byte, an
 * array allocated from such a count is at most a small multiple of the
 * input's size.  Arrays are allocated zeroed and their count set at once,
 * so a module that fails halfway can still be freed entry by entry.
 *
 * The index spaces (functions, tables, memories, globals) are single
 * arrays with the imports first: the import section appends imported
 * entries, the function/table/memory/global sections append definitions.
 * The section order rule guarantees imports come first.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "decode.h"

#include <string.h>

#include "../util/alloc.h"
#include "opcodes.h"

/* Resize an array of `oldn` elements to `oldn + addn`, zeroing the new
 * tail.  NULL when out of memory (the old array is then still valid). */
static void *extend(void *old, size_t oldn, size_t addn, size_t elem)
{
    char *p = mem_realloc_array(old, oldn + addn, elem);
    if (p)
        memset(p + oldn * elem, 0, addn * elem);
    return p;
}

/* A zeroed array of n elements, or NULL after recording "out of memory". */
static void *zalloc(Reader *r, uint32_t n, size_t elem)
{
    void *p = mem_calloc(n, elem);
    if (!p)
        reader_nomem(r);
    return p;
}

/* limits (spec 5.3.7): a flag (a 1-bit LEB128), min, and max if the flag
 * is 1.  Sizes beyond 65536 pages are for the validator to refuse; nothing
 * is allocated from them here. */
static Status read_limits(Reader *r, WasmLimits *out)
{
    uint32_t flag;
    TRY(reader_u1(r, &flag));
    TRY(reader_u32(r, &out->min));
    out->has_max = flag == 1;
    if (out->has_max)
        TRY(reader_u32(r, &out->max));
    return ST_OK;
}

static Status read_table_type(Reader *r, WasmTableType *out)
{
    TRY(reader_reftype(r, &out->elem_type));
    return read_limits(r, &out->limits);
}

static Status read_global_type(Reader *r, WasmGlobalType *out)
{
    TRY(reader_valtype(r, &out->type));
    size_t at = r->pos;
    uint8_t mut;
    TRY(reader_u8(r, &mut));
    if (mut > 1)
        return reader_fail(r, at, "malformed mutability: 0x%02x", mut);
    out->mutable_ = mut == 1;
    return ST_OK;
}

/* A vector of value types appended to *types (which holds *have bytes). */
static Status read_valtypes(Reader *r, uint8_t **types, uint32_t have, uint32_t *n)
{
    TRY(reader_len(r, n));
    uint8_t *grown = mem_realloc(*types, (size_t)have + *n);
    if (!grown)
        return reader_nomem(r);
    *types = grown;
    for (uint32_t i = 0; i < *n; i++)
        TRY(reader_valtype(r, &grown[have + i]));
    return ST_OK;
}

/* functype (spec 5.3.6): 0x60, parameter types, result types. */
static Status read_func_type(Reader *r, WasmFuncType *ft)
{
    size_t at = r->pos;
    uint8_t form;
    TRY(reader_u8(r, &form));
    if (form & 0x80)   /* read as an s7 LEB128 by the reference interpreter */
        return reader_fail(r, at + 1, "integer representation too long");
    if (form != 0x60)
        return reader_fail(r, at, "malformed function type: 0x%02x", form);
    TRY(read_valtypes(r, &ft->types, 0, &ft->nparams));
    return read_valtypes(r, &ft->types, ft->nparams, &ft->nresults);
}

static Status type_section(Decoder *d)
{
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    if (!(d->m->types = zalloc(&d->r, n, sizeof *d->m->types)))
        return ST_NOMEM;
    d->m->ntypes = n;
    for (uint32_t i = 0; i < n; i++)
        TRY(read_func_type(&d->r, &d->m->types[i]));
    return ST_OK;
}

/* One import: names, then the kind and its description, appended to the
 * kind's index space (which import_section sized for every import). */
static Status read_import(Reader *r, WasmModule *m, WasmImport *imp)
{
    TRY(reader_name(r, &imp->module));
    TRY(reader_name(r, &imp->name));
    size_t at = r->pos;
    uint8_t kind;
    TRY(reader_u8(r, &kind));
    switch (kind) {
    case WASM_EXTERN_FUNC:
        imp->index = m->nimported_funcs;
        TRY(reader_u32(r, &m->funcs[m->nimported_funcs]));
        m->nfuncs = ++m->nimported_funcs;
        break;
    case WASM_EXTERN_TABLE:
        imp->index = m->nimported_tables;
        TRY(read_table_type(r, &m->tables[m->nimported_tables]));
        m->ntables = ++m->nimported_tables;
        break;
    case WASM_EXTERN_MEMORY:
        imp->index = m->nimported_mems;
        TRY(read_limits(r, &m->mems[m->nimported_mems]));
        m->nmems = ++m->nimported_mems;
        break;
    case WASM_EXTERN_GLOBAL:
        imp->index = m->nimported_globals;
        TRY(read_global_type(r, &m->globals[m->nimported_globals].type));
        m->nglobals = ++m->nimported_globals;
        break;
    default:
        return reader_fail(r, at, "malformed import kind: 0x%02x", kind);
    }
    imp->kind = (WasmExternKind)kind;
    return ST_OK;
}

static Status import_section(Decoder *d)
{
    Reader *r = &d->r;
    WasmModule *m = d->m;
    uint32_t n;
    TRY(reader_len(r, &n));
    /* Any index space may receive all n imports; size each for that. */
    if (!(m->imports = zalloc(r, n, sizeof *m->imports)) ||
        !(m->funcs = zalloc(r, n, sizeof *m->funcs)) ||
        !(m->tables = zalloc(r, n, sizeof *m->tables)) ||
        !(m->mems = zalloc(r, n, sizeof *m->mems)) ||
        !(m->globals = zalloc(r, n, sizeof *m->globals)))
        return ST_NOMEM;
    m->nimports = n;
    for (uint32_t i = 0; i < n; i++)
        TRY(read_import(r, m, &m->imports[i]));
    return ST_OK;
}

static Status function_section(Decoder *d)
{
    WasmModule *m = d->m;
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    uint32_t *f = extend(m->funcs, m->nfuncs, n, sizeof *f);
    if (!f)
        return reader_nomem(&d->r);
    m->funcs = f;
    uint32_t first = m->nfuncs;
    m->nfuncs += n;
    for (uint32_t i = 0; i < n; i++)
        TRY(reader_u32(&d->r, &f[first + i]));
    return ST_OK;
}

static Status table_section(Decoder *d)
{
    WasmModule *m = d->m;
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    WasmTableType *t = extend(m->tables, m->ntables, n, sizeof *t);
    if (!t)
        return reader_nomem(&d->r);
    m->tables = t;
    uint32_t first = m->ntables;
    m->ntables += n;
    for (uint32_t i = 0; i < n; i++)
        TRY(read_table_type(&d->r, &t[first + i]));
    return ST_OK;
}

static Status memory_section(Decoder *d)
{
    WasmModule *m = d->m;
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    WasmLimits *l = extend(m->mems, m->nmems, n, sizeof *l);
    if (!l)
        return reader_nomem(&d->r);
    m->mems = l;
    uint32_t first = m->nmems;
    m->nmems += n;
    for (uint32_t i = 0; i < n; i++)
        TRY(read_limits(&d->r, &l[first + i]));
    return ST_OK;
}

static Status global_section(Decoder *d)
{
    WasmModule *m = d->m;
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    WasmGlobal *g = extend(m->globals, m->nglobals, n, sizeof *g);
    if (!g)
        return reader_nomem(&d->r);
    m->globals = g;
    uint32_t first = m->nglobals;
    m->nglobals += n;
    for (uint32_t i = 0; i < n; i++) {
        TRY(read_global_type(&d->r, &g[first + i].type));
        TRY(decode_const_expr(&d->r, &g[first + i].init));
    }
    return ST_OK;
}

static Status export_section(Decoder *d)
{
    Reader *r = &d->r;
    uint32_t n;
    TRY(reader_len(r, &n));
    if (!(d->m->exports = zalloc(r, n, sizeof *d->m->exports)))
        return ST_NOMEM;
    d->m->nexports = n;
    for (uint32_t i = 0; i < n; i++) {
        WasmExport *e = &d->m->exports[i];
        TRY(reader_name(r, &e->name));
        size_t at = r->pos;
        uint8_t kind;
        TRY(reader_u8(r, &kind));
        if (kind > WASM_EXTERN_GLOBAL)
            return reader_fail(r, at, "malformed export kind: 0x%02x", kind);
        e->kind = (WasmExternKind)kind;
        TRY(reader_u32(r, &e->index));
    }
    return ST_OK;
}

/* An element given as a function index, stored as `ref.func x; end` so
 * that every element segment is a list of constant expressions. */
static Status funcidx_expr(Reader *r, WasmExpr *out)
{
    size_t at = r->pos;
    uint32_t func;
    TRY(reader_u32(r, &func));
    WasmInsn *in = zalloc(r, 2, sizeof *in);
    if (!in)
        return ST_NOMEM;
    in[0].op = OP_REF_FUNC;
    in[0].a = func;
    in[0].pos = (uint32_t)at;
    in[1].op = OP_END;
    in[1].pos = (uint32_t)r->pos;
    out->insns = in;
    out->count = 2;
    return ST_OK;
}

/* The element kind byte of forms 1-3: only 0x00, funcref, exists. */
static Status read_elemkind(Reader *r)
{
    size_t at = r->pos;
    uint8_t kind;
    TRY(reader_u8(r, &kind));
    if (kind != 0)
        return reader_fail(r, at, "malformed element kind: 0x%02x", kind);
    return ST_OK;
}

/* elem (spec 5.5.12): eight encodings chosen by a flags value.
 *   bit 0  passive or declarative (clear: active)
 *   bit 1  active: an explicit table index; else: declarative
 *   bit 2  elements are expressions (clear: function indices)
 * Forms other than 0 and 4 carry an element kind / reference type. */
static Status read_elem(Reader *r, WasmElem *e)
{
    e->pos = (uint32_t)r->pos;
    uint32_t flags;
    TRY(reader_u32(r, &flags));
    if (flags > 7)
        return reader_fail(r, e->pos, "malformed elements segment kind: %u", (unsigned)flags);
    e->mode = !(flags & 1) ? WASM_SEG_ACTIVE
              : (flags & 2) ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
    e->elem_type = WASM_FUNCREF;
    if (e->mode == WASM_SEG_ACTIVE) {
        if (flags & 2)
            TRY(reader_u32(r, &e->table));
        TRY(decode_const_expr(r, &e->offset));
    }
    if (flags & 3)
        TRY((flags & 4) ? reader_reftype(r, &e->elem_type) : read_elemkind(r));
    uint32_t n;
    TRY(reader_len(r, &n));
    if (!(e->inits = zalloc(r, n, sizeof *e->inits)))
        return ST_NOMEM;
    e->count = n;
    for (uint32_t i = 0; i < n; i++)
        TRY((flags & 4) ? decode_const_expr(r, &e->inits[i]) : funcidx_expr(r, &e->inits[i]));
    return ST_OK;
}

static Status elem_section(Decoder *d)
{
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    if (!(d->m->elems = zalloc(&d->r, n, sizeof *d->m->elems)))
        return ST_NOMEM;
    d->m->nelems = n;
    for (uint32_t i = 0; i < n; i++)
        TRY(read_elem(&d->r, &d->m->elems[i]));
    return ST_OK;
}

/* data (spec 5.5.14): 0 active in memory 0, 1 passive, 2 active with an
 * explicit memory index.  The bytes stay in the module's binary. */
static Status read_data(Reader *r, WasmData *seg)
{
    seg->pos = (uint32_t)r->pos;
    uint32_t flags;
    TRY(reader_u32(r, &flags));
    if (flags > 2)
        return reader_fail(r, seg->pos, "malformed data segment kind: %u", (unsigned)flags);
    seg->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
    if (flags == 2)
        TRY(reader_u32(r, &seg->memory));
    if (flags != 1)
        TRY(decode_const_expr(r, &seg->offset));
    TRY(reader_len(r, &seg->len));
    return reader_bytes(r, seg->len, &seg->bytes);
}

static Status data_section(Decoder *d)
{
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    if (!(d->m->datas = zalloc(&d->r, n, sizeof *d->m->datas)))
        return ST_NOMEM;
    d->m->ndatas = n;
    for (uint32_t i = 0; i < n; i++)
        TRY(read_data(&d->r, &d->m->datas[i]));
    return ST_OK;
}

static Status code_section(Decoder *d)
{
    uint32_t n;
    TRY(reader_len(&d->r, &n));
    if (!(d->m->codes = zalloc(&d->r, n, sizeof *d->m->codes)))
        return ST_NOMEM;
    d->m->ncodes = n;
    for (uint32_t i = 0; i < n; i++)
        TRY(decode_code(&d->r, &d->m->codes[i], &d->uses_data_index));
    return ST_OK;
}

Status decode_section(Decoder *d, uint8_t id)
{
    switch (id) {
    case 1: return type_section(d);
    case 2: return import_section(d);
    case 3: return function_section(d);
    case 4: return table_section(d);
    case 5: return memory_section(d);
    case 6: return global_section(d);
    case 7: return export_section(d);
    case 8:
        d->m->has_start = true;
        return reader_u32(&d->r, &d->m->start);
    case 9: return elem_section(d);
    case 10: return code_section(d);
    case 11: return data_section(d);
    case 12:
        d->m->has_datacount = true;
        return reader_u32(&d->r, &d->m->datacount);
    default:
        return reader_fail(&d->r, d->r.pos, "malformed section id: %u", id);
    }
}
