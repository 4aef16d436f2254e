/*
 * abi_iter.c - names, counts, full-table scans and the row iterator
 * protocol (module-abi.md §1.4, §1.5).
 *
 * A scan never hands the module a live cursor.  It runs to the end when
 * it is called, copying every matching row into a RowList (a snapshot:
 * later writes in the same reducer do not change it), and the module
 * drains that list through row_iter_bsatn_advance into a buffer of its
 * own, as many WHOLE rows per call as fit:
 *
 *   rows:   | r0 | r1 ...... | r2 | r3 |          buffer cap 20 bytes
 *   call 1: | r0 | r1 ...... |        -> 0, *len = 17     (r2 would not fit)
 *   call 2: | r2 | r3 |                -> -1, *len = 9     (last rows: -1 NOW)
 *   (a row longer than the buffer: -> 11 BUFFER_TOO_SMALL, *len = its size;
 *    the module grows its buffer and asks again)
 *
 * Two rules a compatible host must keep.  Never split a row: the guest
 * decodes rows straight out of the buffer.  Return -1 in the same call
 * that delivers the last rows: Rust 1.1.2's UniqueColumn::find reads one
 * row and then asserts the iterator is exhausted, so a host that said 0
 * and only later -1 would make it panic.  After -1 the handle is dead;
 * closing it again is NO_SUCH_ITER.
 *
 * Iterator handles are slot index + 1, reused after free; the slots keep
 * their RowList memory for the next scan, so a steady stream of small
 * scans allocates nothing.
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#include "abi.h"

#include <string.h>

#include "../db/tx.h"

/* Past this a freed iterator gives its memory back instead of keeping it. */
#define KEEP_BYTES (1u << 20)

/* ---- the iterator slab ----------------------------------------------------------- */

Status abi_iter_new(WasmStore *s, AbiEnv *e, const char *fn, uint32_t *handle, RowList **rows)
{
    if (e->live_iters >= ABI_MAX_ITERS)
        return wasm_trap(s, "%s: more than %u row iterators open", fn, ABI_MAX_ITERS);
    size_t i = 0;
    while (i < e->iters.len && e->iters.items[i].live)
        i++;
    if (i == e->iters.len) {
        AbiIter fresh = { .live = false };
        rowlist_init(&fresh.rows);
        if (vec_push(&e->iters, fresh) != ST_OK)
            return wasm_trap(s, "%s: out of memory", fn);
    }
    AbiIter *it = &e->iters.items[i];
    rowlist_clear(&it->rows);
    it->next = 0;
    it->live = true;
    e->live_iters++;
    *handle = (uint32_t)i + 1;
    *rows = &it->rows;
    return ST_OK;
}

/* The live iterator with this handle, or NULL. */
static AbiIter *lookup(AbiEnv *e, uint32_t handle)
{
    if (handle == 0 || handle > e->iters.len || !e->iters.items[handle - 1].live)
        return NULL;
    return &e->iters.items[handle - 1];
}

void abi_iter_free(AbiEnv *e, uint32_t handle)
{
    AbiIter *it = lookup(e, handle);
    if (!it)
        return;
    it->live = false;
    e->live_iters--;
    if (it->rows.bytes.cap > KEEP_BYTES) {
        rowlist_fini(&it->rows);
        rowlist_init(&it->rows);
    } else {
        rowlist_clear(&it->rows);
    }
}

void abi_iter_close_all(AbiEnv *e)
{
    for (size_t i = 0; i < e->iters.len; i++)
        abi_iter_free(e, (uint32_t)i + 1);
}

/* ---- names and counts ------------------------------------------------------------- */

/* table_id_from_name and index_id_from_name: the same steps around a
 * different lookup.  The order is the ABI's: name (traps on bad memory),
 * transaction check, lookup, out-pointer. */
typedef Status (*IdLookup)(const Db *db, const char *name, size_t len, uint32_t *id,
                           DbError *err);

static Status id_from_name(WasmStore *s, AbiEnv *e, const char *fn, IdLookup lookup,
                           const WasmCell *args, WasmCell *res)
{
    uint32_t len = (uint32_t)args[1], id;
    const char *name = NULL;
    DbError err;
    Status st = abi_name(s, e, fn, (uint32_t)args[0], len, &name);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    st = lookup(e->db, name, len, &id, &err);
    if (st == ST_OK && (st = abi_write_u32(s, e, fn, (uint32_t)args[2], id)) != ST_OK)
        return st;
    return abi_db_result(s, fn, res, st, &err);
}

static Status table_id_from_name(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    return id_from_name(s, user, "table_id_from_name", db_table_id_from_name, args, res);
}

static Status index_id_from_name(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    return id_from_name(s, user, "index_id_from_name", db_index_id_from_name, args, res);
}

static Status row_count(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_table_row_count";
    AbiEnv *e = user;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    Table *t = db_table(e->db, (uint32_t)args[0]);
    if (!t)
        return abi_errno(res, DBE_NO_SUCH_TABLE);
    Status st = abi_write_u64(s, e, fn, (uint32_t)args[1], table_row_count(t));
    return st != ST_OK ? st : abi_errno(res, 0);
}

/* ---- scans and the iterator protocol ------------------------------------------------ */

static Status table_scan(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_table_scan_bsatn";
    AbiEnv *e = user;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    Table *t = db_table(e->db, (uint32_t)args[0]);
    if (!t)
        return abi_errno(res, DBE_NO_SUCH_TABLE);
    uint32_t handle;
    RowList *rows;
    DbError err;
    Status st = abi_iter_new(s, e, fn, &handle, &rows);
    if (st != ST_OK)
        return st;
    if ((st = table_collect_all(t, rows, &err)) != ST_OK) {
        abi_iter_free(e, handle);
        return abi_db_result(s, fn, res, st, &err);
    }
    if ((st = abi_write_u32(s, e, fn, (uint32_t)args[1], handle)) != ST_OK)
        return st;
    return abi_errno(res, 0);
}

/* How many whole rows, from row `from` on, fit in cap bytes; *bytes = their size. */
static size_t rows_that_fit(const RowList *l, size_t from, uint32_t cap, size_t *bytes)
{
    size_t start = from ? l->ends[from - 1] : 0, n = 0;
    while (from + n < l->count && l->ends[from + n] - start <= cap)
        n++;
    *bytes = n ? l->ends[from + n - 1] - start : 0;
    return n;
}

static Status iter_advance(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "row_iter_bsatn_advance";
    AbiEnv *e = user;
    uint32_t handle = (uint32_t)args[0], buf_ptr = (uint32_t)args[1], len_ptr = (uint32_t)args[2];
    AbiIter *it = lookup(e, handle);
    if (!it)
        return abi_errno(res, DBE_NO_SUCH_ITER);          /* nothing written */
    uint32_t cap;
    uint8_t *buf = NULL;
    Status st = abi_read_u32(s, e, fn, len_ptr, &cap);
    if (st != ST_OK || (st = abi_mem(s, e, fn, buf_ptr, cap, &buf)) != ST_OK)
        return st;
    size_t bytes, n = rows_that_fit(&it->rows, it->next, cap, &bytes);
    if (n == 0 && it->next < it->rows.count) {            /* the next row does not fit */
        size_t need, start = it->next ? it->rows.ends[it->next - 1] : 0;
        need = it->rows.ends[it->next] - start;
        if (need > UINT32_MAX)
            return wasm_trap(s, "%s: a row of %zu bytes", fn, need);
        (void)abi_write_u32(s, e, fn, len_ptr, (uint32_t)need);   /* checked above */
        return abi_errno(res, DBE_BUFFER_TOO_SMALL);
    }
    if (bytes)
        memcpy(buf, it->rows.bytes.data + (it->next ? it->rows.ends[it->next - 1] : 0), bytes);
    it->next += n;
    (void)abi_write_u32(s, e, fn, len_ptr, (uint32_t)bytes);
    if (it->next == it->rows.count) {                     /* the last rows went out: -1 now */
        abi_iter_free(e, handle);
        return abi_errno(res, -1);
    }
    return abi_errno(res, 0);
}

static Status iter_close(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    AbiEnv *e = user;
    (void)s;
    uint32_t handle = (uint32_t)args[0];
    if (!lookup(e, handle))
        return abi_errno(res, DBE_NO_SUCH_ITER);
    abi_iter_free(e, handle);
    return abi_errno(res, 0);
}

WasmHostFn abi_iter_find(const char *name)
{
    static const struct { const char *name; WasmHostFn fn; } table[] = {
        { "table_id_from_name", table_id_from_name },
        { "index_id_from_name", index_id_from_name },
        { "datastore_table_row_count", row_count },
        { "datastore_table_scan_bsatn", table_scan },
        { "row_iter_bsatn_advance", iter_advance },
        { "row_iter_bsatn_close", iter_close },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn;
    return NULL;
}
