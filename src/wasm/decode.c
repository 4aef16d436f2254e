/*
 * decode.c - the WebAssembly binary decoder's entry point: bytes in, a
 * WasmModule (module.h) out, or a WasmError with the spec's wording and a
 * byte offset (spec chapter 5, "Binary Format").
 *
 * A binary is an 8-byte header and a sequence of sections, each
 * `id:u8 size:u32 contents`.  Standard sections (ids 1-12) may each appear
 * at most once and in a fixed order; custom sections (id 0) may appear
 * anywhere, any number of times.  Decoding is one pass from front to back:
 *
 *   read_header -> read_sections (custom_section / decode_section per id)
 *               -> check_counts (facts that span sections)
 *               -> read_name_section (function names, best effort)
 *
 * Error wording follows the reference interpreter, whose messages the spec
 * tests check, and so does one structural choice: section contents are
 * read from the whole binary and only afterwards compared with the
 * declared size.  A section that is out of order or repeated is reported
 * as "unexpected content after last section", because that is what the
 * reference interpreter sees: the section sequence ended, and bytes remain.
 *
 * Invariants: on success the module satisfies decode_module_check(); on
 * failure nothing is returned and everything allocated is freed.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "decode.h"

#include <string.h>

#include "../util/alloc.h"
#include "opcodes.h"

/* Position of each standard section id in the required order (spec 5.5.2:
 * the data count section, id 12, comes between element and code). */
static const uint8_t section_rank[13] = {
    [1] = 1, [2] = 2, [3] = 3, [4] = 4, [5] = 5, [6] = 6, [7] = 7,
    [8] = 8, [9] = 9, [12] = 10, [10] = 11, [11] = 12,
};

/* The header: the magic bytes "\0asm", then version 1 as a u32. */
static Status read_header(Reader *r)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    if (r->len < 4)
        return reader_fail(r, r->len, "unexpected end: %zu bytes, no module header", r->len);
    if (memcmp(r->bytes, magic, 4) != 0)
        return reader_fail(r, 0, "magic header not detected: not a WebAssembly binary");
    if (r->len < 8)
        return reader_fail(r, r->len, "unexpected end: no binary version");
    r->pos = 4;
    uint32_t version;
    TRY(reader_fixed32(r, &version));
    if (version != 1)
        return reader_fail(r, 4, "unknown binary version: %u", (unsigned)version);
    return ST_OK;
}

/* A custom section: a name, then bytes for whoever knows that name.  Its
 * contents are kept (pointing into the binary); only the name is checked. */
static Status custom_section(Decoder *d, uint32_t size)
{
    Reader *r = &d->r;
    WasmModule *m = d->m;
    size_t start = r->pos;
    WasmCustom c = {0};
    TRY(reader_name(r, &c.name));
    Status st = ST_OK;
    if (r->pos - start > size)
        st = reader_fail(r, start, "unexpected end of section or function: "
                         "custom section name longer than the section");
    if (st == ST_OK) {
        c.len = size - (uint32_t)(r->pos - start);
        st = reader_bytes(r, c.len, &c.bytes);
    }
    if (st == ST_OK && m->ncustoms == d->customs_cap) {
        uint32_t cap = d->customs_cap ? 2 * d->customs_cap : 4;
        WasmCustom *grown = mem_realloc_array(m->customs, cap, sizeof *grown);
        if (!grown)
            st = reader_nomem(r);
        else {
            m->customs = grown;
            d->customs_cap = cap;
        }
    }
    if (st != ST_OK) {
        mem_free(c.name.s);
        return st;
    }
    m->customs[m->ncustoms++] = c;
    return ST_OK;
}

/* Sections until the end of the binary, each in order, each consuming
 * exactly its declared size. */
static Status read_sections(Decoder *d)
{
    Reader *r = &d->r;
    uint8_t last = 0;   /* rank of the last standard section seen */
    while (r->pos < r->len) {
        size_t at = r->pos;
        uint8_t id = r->bytes[r->pos++];
        if (id > 12)
            return reader_fail(r, at, "malformed section id: %u", id);
        if (id != 0) {
            if (section_rank[id] <= last)
                return reader_fail(r, at, "unexpected content after last section: "
                                   "section %u repeated or out of order", id);
            last = section_rank[id];
        }
        uint32_t size;
        TRY(reader_len(r, &size));
        size_t start = r->pos;
        TRY(id == 0 ? custom_section(d, size) : decode_section(d, id));
        if (r->pos != start + size)
            return reader_fail(r, start, "section size mismatch: section %u declared %u "
                               "bytes, contents took %zu", id, (unsigned)size, r->pos - start);
    }
    return ST_OK;
}

/* Rules that relate sections to each other (spec 5.5.16). */
static Status check_counts(Decoder *d)
{
    const WasmModule *m = d->m;
    Reader *r = &d->r;
    if (m->ncodes != m->nfuncs - m->nimported_funcs)
        return reader_fail(r, r->len, "function and code section have inconsistent lengths: "
                           "%u functions, %u bodies",
                           (unsigned)(m->nfuncs - m->nimported_funcs), (unsigned)m->ncodes);
    if (m->has_datacount && m->datacount != m->ndatas)
        return reader_fail(r, r->len, "data count and data section have inconsistent "
                           "lengths: count %u, %u segments",
                           (unsigned)m->datacount, (unsigned)m->ndatas);
    /* Spec: memory.init and data.drop need the data count section.  We ask
     * for it only when there are data segments: without any, every data
     * index is out of range, which the validator reports more usefully
     * ("unknown data segment", as the spec tests expect of modules that
     * wast2json writes without the section). */
    if (!m->has_datacount && d->uses_data_index && m->ndatas > 0)
        return reader_fail(r, r->len, "data count section required: memory.init or "
                           "data.drop is used");
    return ST_OK;
}

/* The function-names subsection (id 1) of a "name" section: a vector of
 * (function index, name).  Names for unknown or repeated indices are
 * skipped; any malformation ends the reading. */
static Status read_function_names(Reader *r, WasmModule *m)
{
    uint32_t n;
    TRY(reader_len(r, &n));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t func;
        WasmName name;
        TRY(reader_u32(r, &func));
        TRY(reader_name(r, &name));
        if (func < m->nfuncs && !m->func_names[func])
            m->func_names[func] = name.s;
        else
            mem_free(name.s);
    }
    return ST_OK;
}

/* Function names from the first custom section called "name".  Best
 * effort: the name section is debugging information, so a malformed one
 * is ignored (the module loads without names), never an error. */
static void read_name_section(WasmModule *m)
{
    const WasmCustom *c = NULL;
    for (uint32_t i = 0; i < m->ncustoms && !c; i++)
        if (m->customs[i].name.len == 4 && memcmp(m->customs[i].name.s, "name", 4) == 0)
            c = &m->customs[i];
    if (!c || m->nfuncs == 0 || !(m->func_names = mem_calloc(m->nfuncs, sizeof(char *))))
        return;
    Reader r;
    reader_init(&r, c->bytes, c->len, NULL);   /* bounded by the payload */
    Status st = ST_OK;
    while (st == ST_OK && r.pos < r.len) {
        uint8_t id;
        uint32_t size;
        const uint8_t *body;
        if ((st = reader_u8(&r, &id)) != ST_OK || (st = reader_len(&r, &size)) != ST_OK)
            break;
        size_t end = r.pos + size;
        if (id == 1 && ((st = read_function_names(&r, m)) != ST_OK || r.pos != end))
            st = ST_MALFORMED;
        if (st == ST_OK && id != 1)
            st = reader_bytes(&r, size, &body);
    }
    if (st != ST_OK) {   /* drop whatever was read */
        for (uint32_t i = 0; i < m->nfuncs; i++)
            mem_free(m->func_names[i]);
        mem_free(m->func_names);
        m->func_names = NULL;
    }
}

Status wasm_module_decode(const uint8_t *bytes, size_t len, WasmModule **out, WasmError *err)
{
    *out = NULL;
    if (len > UINT32_MAX)   /* WasmInsn.pos and friends are 32-bit offsets */
        return wasm_error(err, ST_LIMIT, -1, "module too large: %zu bytes", len);
    WasmModule *m = mem_calloc(1, sizeof *m);
    if (!m || !(m->binary = mem_alloc(len))) {
        mem_free(m);
        return wasm_error(err, ST_NOMEM, -1, "out of memory while decoding");
    }
    arena_init(&m->tree_arena);
    if (len)
        memcpy(m->binary, bytes, len);
    m->binary_len = len;
    Decoder d = {.m = m};
    reader_init(&d.r, m->binary, len, err);
    Status st = read_header(&d.r);
    if (st == ST_OK)
        st = read_sections(&d);
    if (st == ST_OK)
        st = check_counts(&d);
    if (st != ST_OK) {
        wasm_module_free(m);
        return st;
    }
    read_name_section(m);
    *out = m;
    return ST_OK;
}

static void name_free(WasmName *n)
{
    mem_free(n->s);
    n->s = NULL;
}

static void free_segments(WasmModule *m)
{
    for (uint32_t i = 0; i < m->nelems; i++) {
        WasmElem *e = &m->elems[i];
        decode_expr_free(&e->offset);
        for (uint32_t k = 0; k < e->count; k++)
            decode_expr_free(&e->inits[k]);
        mem_free(e->inits);
    }
    mem_free(m->elems);
    for (uint32_t i = 0; i < m->ndatas; i++)
        decode_expr_free(&m->datas[i].offset);
    mem_free(m->datas);
    for (uint32_t i = 0; i < m->ncodes; i++) {
        mem_free(m->codes[i].local_types);
        decode_expr_free(&m->codes[i].body);
        mem_free(m->codes[i].labels);
    }
    mem_free(m->codes);
}

/* Frees a complete or partly decoded module.  The execution trees live in
 * m->tree_arena (m->trees included), so one arena_fini releases them. */
void wasm_module_free(WasmModule *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        mem_free(m->types[i].types);
    mem_free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        name_free(&m->imports[i].module);
        name_free(&m->imports[i].name);
    }
    mem_free(m->imports);
    mem_free(m->funcs);
    mem_free(m->tables);
    mem_free(m->mems);
    for (uint32_t i = 0; i < m->nglobals; i++)
        decode_expr_free(&m->globals[i].init);
    mem_free(m->globals);
    for (uint32_t i = 0; i < m->nexports; i++)
        name_free(&m->exports[i].name);
    mem_free(m->exports);
    free_segments(m);
    for (uint32_t i = 0; i < m->ncustoms; i++)
        name_free(&m->customs[i].name);
    mem_free(m->customs);
    for (uint32_t i = 0; m->func_names && i < m->nfuncs; i++)
        mem_free(m->func_names[i]);
    mem_free(m->func_names);
    arena_fini(&m->tree_arena);
    mem_free(m->binary);
    mem_free(m);
}

/* An expression is well formed when it is non-empty, ends with `end`, and
 * its br_table label ranges lie inside the body's `nlabels` (a constant
 * expression, body == false, has no labels: a = b = 0). */
static bool expr_ok(const WasmExpr *e, bool body, uint32_t nlabels)
{
    if (e->count == 0 || !e->insns || e->insns[e->count - 1].op != OP_END)
        return false;
    for (uint32_t i = 0; i < e->count; i++) {
        const WasmInsn *in = &e->insns[i];
        if (!wasm_op_info(in->op))
            return false;
        if (in->op == OP_BR_TABLE && (body ? (uint64_t)in->a + in->b >= nlabels
                                           : in->a != 0 || in->b != 0))
            return false;
    }
    return true;
}

static bool imports_ok(const WasmModule *m)
{
    uint32_t next[4] = {0};   /* next index expected per kind */
    for (uint32_t i = 0; i < m->nimports; i++) {
        const WasmImport *imp = &m->imports[i];
        if ((unsigned)imp->kind > 3 || imp->index != next[imp->kind]++ || !imp->module.s ||
            !imp->name.s)
            return false;
    }
    return next[0] == m->nimported_funcs && next[1] == m->nimported_tables &&
           next[2] == m->nimported_mems && next[3] == m->nimported_globals;
}

Status decode_module_check(const WasmModule *m)
{
    bool ok = m->binary_len == 0 || m->binary;
    ok = ok && imports_ok(m) && m->nimported_funcs <= m->nfuncs &&
         m->nimported_tables <= m->ntables && m->nimported_mems <= m->nmems &&
         m->nimported_globals <= m->nglobals && m->ncodes == m->nfuncs - m->nimported_funcs;
    for (uint32_t i = m->nimported_globals; ok && i < m->nglobals; i++)
        ok = expr_ok(&m->globals[i].init, false, 0);
    for (uint32_t i = 0; ok && i < m->nelems; i++) {
        const WasmElem *e = &m->elems[i];
        ok = e->mode != WASM_SEG_ACTIVE || expr_ok(&e->offset, false, 0);
        for (uint32_t k = 0; ok && k < e->count; k++)
            ok = expr_ok(&e->inits[k], false, 0);
    }
    for (uint32_t i = 0; ok && i < m->ndatas; i++) {
        const WasmData *s = &m->datas[i];
        ok = (s->mode != WASM_SEG_ACTIVE || expr_ok(&s->offset, false, 0)) &&
             (s->len == 0 || (s->bytes >= m->binary &&
                              s->bytes + s->len <= m->binary + m->binary_len));
    }
    for (uint32_t i = 0; ok && i < m->ncodes; i++) {
        const WasmCode *c = &m->codes[i];
        ok = expr_ok(&c->body, true, c->nlabels) && (c->nlocals == 0 || c->local_types) &&
             (uint64_t)c->pos + c->size <= m->binary_len;
    }
    return ok ? ST_OK : ST_INVALID;
}
