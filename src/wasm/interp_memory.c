/*
 * interp_memory.c - the interpreter's slow paths: bulk memory (fill,
 * copy, init) and the table instructions that move or grow many cells.
 *
 * Each bounds check comes before any write (spec 4.4.7, 4.4.6: since the
 * bulk-memory proposal a partly out-of-bounds fill or copy writes
 * nothing and traps).  Every range check is done in 64-bit arithmetic,
 * where `d + n` cannot wrap.  A zero-length operation still traps when
 * its start lies beyond the end.
 *
 * The caller (interp.c) turns a false return into the trap "out of
 * bounds memory access" or "out of bounds table access".
 *
 * Book: chapter 5, book/05-wasm-interpreter.md
 */
#include "interp.h"

#include "../util/alloc.h"

/* Tables never grow beyond this many cells (80 MB), whatever their type
 * allows; the same cap instantiation uses for a table's initial size. */

static bool in_bounds(uint64_t start, uint64_t n, uint64_t size)
{
    return start + n <= size;
}

bool interp_memory_fill(WasmMemInst *mem, uint32_t dst, uint32_t val, uint32_t n)
{
    if (!in_bounds(dst, n, mem->size))
        return false;
    if (n)
        memset(mem->data + dst, (int)(val & 0xFF), n);
    return true;
}

bool interp_memory_copy(WasmMemInst *mem, uint32_t dst, uint32_t src, uint32_t n)
{
    if (!in_bounds(dst, n, mem->size) || !in_bounds(src, n, mem->size))
        return false;
    if (n)
        memmove(mem->data + dst, mem->data + src, n);
    return true;
}

/* memory.init: copy from data segment `seg` (its bytes are in the
 * module; a dropped segment has length 0). */
bool interp_memory_init(WasmInstance *inst, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n)
{
    WasmMemInst *mem = inst->mems[0];
    uint32_t len = inst->data_len[seg];
    if (!in_bounds(src, n, len) || !in_bounds(dst, n, mem->size))
        return false;
    if (n)
        memcpy(mem->data + dst, inst->module->datas[seg].bytes + src, n);
    return true;
}

uint32_t interp_table_grow(WasmTableInst *t, WasmCell init, uint32_t n)
{
    uint32_t old = t->size;
    uint64_t want = (uint64_t)old + n;
    uint64_t max = t->type.limits.has_max ? t->type.limits.max : UINT32_MAX;
    if (want > max || want > WASM_TABLE_MAX_ELEMS)
        return UINT32_MAX;
    if (n == 0)
        return old;
    WasmCell *elems = mem_realloc_array(t->elems, (size_t)want, sizeof *elems);
    if (!elems)
        return UINT32_MAX;   /* the spec lets grow fail for lack of resources */
    for (uint64_t i = old; i < want; i++)
        elems[i] = init;
    t->elems = elems;
    t->size = (uint32_t)want;
    return old;
}

bool interp_table_fill(WasmTableInst *t, uint32_t i, WasmCell val, uint32_t n)
{
    if (!in_bounds(i, n, t->size))
        return false;
    for (uint32_t k = 0; k < n; k++)
        t->elems[i + k] = val;
    return true;
}

bool interp_table_copy(WasmTableInst *dst, WasmTableInst *src, uint32_t d, uint32_t s, uint32_t n)
{
    if (!in_bounds(d, n, dst->size) || !in_bounds(s, n, src->size))
        return false;
    if (n)
        memmove(dst->elems + d, src->elems + s, (size_t)n * sizeof *dst->elems);
    return true;
}

/* table.init: copy references from element segment `seg`, evaluated at
 * instantiation (a dropped segment has length 0). */
bool interp_table_init(WasmInstance *inst, uint32_t table, uint32_t seg, uint32_t d, uint32_t s,
                       uint32_t n)
{
    WasmTableInst *t = inst->tables[table];
    if (!in_bounds(s, n, inst->elem_len[seg]) || !in_bounds(d, n, t->size))
        return false;
    if (n)
        memcpy(t->elems + d, inst->elem_refs[seg] + s, (size_t)n * sizeof *t->elems);
    return true;
}
