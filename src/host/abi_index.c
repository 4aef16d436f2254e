/*
 * abi_index.c - scans and deletes through an index, and delete by value
 * (module-abi.md §1.6).
 *
 * A range query names an index and describes the keys it wants in three
 * pieces of BSATN, so that a module can ask "team = 3 and level >= 10"
 * of an index over (team, level) without the host knowing its types in
 * advance:
 *
 *   prefix  (prefix_elems columns, exact)  = BSATN of the first key columns
 *   rstart  Bound<T> for the next column  = 00 value (Included) | 01 value
 *   rend    Bound<T> for the next column    (Excluded) | 02 (Unbounded)
 *
 * The storage engine (table_scan_range_bsatn) decodes and matches them;
 * this file only fetches the bytes, applies the ABI's rules about them
 * (prefix_elems 0: the prefix pointer is not read at all, not even for
 * NULL; prefix_elems above 65535 traps) and turns the result into a row
 * iterator or a count.  The 10.4 point variants take the whole key at
 * once.  The *_btree_* names are the old aliases of the range calls.
 *
 * Book: chapter 14, book/14-module-abi.md
 */
#include "abi.h"

#include <string.h>

#include "../db/tx.h"

/* Fetch the eight range arguments args[1..8) into r (traps on bad memory). */
static Status read_range(WasmStore *s, AbiEnv *e, const char *fn, const WasmCell *args,
                         IndexRange *r)
{
    uint32_t prefix_elems = (uint32_t)args[3];
    uint8_t *prefix = NULL, *lo = NULL, *hi = NULL;
    Status st;
    if (prefix_elems > 65535)
        return wasm_trap(s, "%s: prefix_elems %u is not a column count", fn, prefix_elems);
    if (prefix_elems != 0 &&
        (st = abi_mem(s, e, fn, (uint32_t)args[1], (uint32_t)args[2], &prefix)) != ST_OK)
        return st;
    if ((st = abi_mem(s, e, fn, (uint32_t)args[4], (uint32_t)args[5], &lo)) != ST_OK ||
        (st = abi_mem(s, e, fn, (uint32_t)args[6], (uint32_t)args[7], &hi)) != ST_OK)
        return st;
    *r = (IndexRange){ .prefix = prefix, .prefix_len = prefix ? (uint32_t)args[2] : 0,
                       .prefix_elems = prefix_elems, .rstart = lo,
                       .rstart_len = (uint32_t)args[5], .rend = hi,
                       .rend_len = (uint32_t)args[7] };
    return ST_OK;
}

/* The end of both scans: st and err are the result of filling the new
 * iterator's rows.  On failure the iterator is released and the module
 * sees the errno; on success the handle goes to the out-pointer. */
static Status hand_out_iter(WasmStore *s, AbiEnv *e, const char *fn, WasmCell *res,
                            uint32_t handle, Status st, const DbError *err, uint32_t out_ptr)
{
    if (st != ST_OK) {
        abi_iter_free(e, handle);
        return abi_db_result(s, fn, res, st, err);
    }
    if ((st = abi_write_u32(s, e, fn, out_ptr, handle)) != ST_OK)
        return st;
    return abi_errno(res, 0);
}

static Status scan_range(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_index_scan_range_bsatn";
    AbiEnv *e = user;
    IndexRange r;
    Table *t;
    uint32_t pos, handle;
    RowList *rows;
    DbError err;
    Status st = read_range(s, e, fn, args, &r);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    if ((st = db_index(e->db, (uint32_t)args[0], &t, &pos, &err)) != ST_OK)
        return abi_db_result(s, fn, res, st, &err);
    if ((st = abi_iter_new(s, e, fn, &handle, &rows)) != ST_OK)
        return st;
    st = table_scan_range_bsatn(t, pos, &r, rows, &err);
    return hand_out_iter(s, e, fn, res, handle, st, &err, (uint32_t)args[8]);
}

/* The common end of the three deletes: on success write the count of
 * deleted rows to `out`, then turn the storage result into an errno. */
static Status finish_delete(WasmStore *s, AbiEnv *e, const char *fn, Status st, uint32_t out,
                            uint64_t count, DbError *err, WasmCell *res)
{
    if (st == ST_OK && (st = abi_write_u32(s, e, fn, out, (uint32_t)count)) != ST_OK)
        return st;
    return abi_db_result(s, fn, res, st, err);
}

static Status delete_range(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_delete_by_index_scan_range_bsatn";
    AbiEnv *e = user;
    IndexRange r;
    Table *t;
    uint32_t pos;
    uint64_t count = 0;
    DbError err;
    Status st = read_range(s, e, fn, args, &r);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    if ((st = db_index(e->db, (uint32_t)args[0], &t, &pos, &err)) == ST_OK)
        st = table_delete_range_bsatn(t, pos, &r, &count, &err);
    return finish_delete(s, e, fn, st, (uint32_t)args[8], count, &err, res);
}

static Status delete_all_by_eq(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_delete_all_by_eq_bsatn";
    AbiEnv *e = user;
    uint32_t len = (uint32_t)args[2];
    uint8_t *rel = NULL;
    uint64_t count = 0;
    DbError err;
    Status st = abi_mem(s, e, fn, (uint32_t)args[1], len, &rel);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    Table *t = db_table(e->db, (uint32_t)args[0]);
    if (!t)
        return abi_errno(res, DBE_NO_SUCH_TABLE);
    st = table_delete_eq_bsatn(t, rel, len, &count, &err);
    return finish_delete(s, e, fn, st, (uint32_t)args[3], count, &err, res);
}

/* ---- 10.4: exact keys ------------------------------------------------------------- */

static Status scan_point(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_index_scan_point_bsatn";
    AbiEnv *e = user;
    uint32_t len = (uint32_t)args[2], pos, handle;
    uint8_t *point = NULL;
    Table *t;
    RowList *rows;
    DbError err;
    Status st = abi_mem(s, e, fn, (uint32_t)args[1], len, &point);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    if ((st = db_index(e->db, (uint32_t)args[0], &t, &pos, &err)) != ST_OK)
        return abi_db_result(s, fn, res, st, &err);
    if ((st = abi_iter_new(s, e, fn, &handle, &rows)) != ST_OK)
        return st;
    st = table_scan_point_bsatn(t, pos, point, len, rows, &err);
    return hand_out_iter(s, e, fn, res, handle, st, &err, (uint32_t)args[3]);
}

static Status delete_point(WasmStore *s, void *user, const WasmCell *args, WasmCell *res)
{
    static const char fn[] = "datastore_delete_by_index_scan_point_bsatn";
    AbiEnv *e = user;
    uint32_t len = (uint32_t)args[2], pos;
    uint8_t *point = NULL;
    uint64_t count = 0;
    Table *t;
    DbError err;
    Status st = abi_mem(s, e, fn, (uint32_t)args[1], len, &point);
    if (st != ST_OK)
        return st;
    if (!abi_in_tx(e))
        return abi_errno(res, DBE_NOT_IN_TRANSACTION);
    if ((st = db_index(e->db, (uint32_t)args[0], &t, &pos, &err)) == ST_OK)
        st = table_delete_point_bsatn(t, pos, point, len, &count, &err);
    return finish_delete(s, e, fn, st, (uint32_t)args[3], count, &err, res);
}

WasmHostFn abi_index_find(const char *name)
{
    static const struct { const char *name; WasmHostFn fn; } table[] = {
        { "datastore_index_scan_range_bsatn", scan_range },
        { "datastore_btree_scan_bsatn", scan_range },
        { "datastore_delete_by_index_scan_range_bsatn", delete_range },
        { "datastore_delete_by_btree_scan_bsatn", delete_range },
        { "datastore_delete_all_by_eq_bsatn", delete_all_by_eq },
        { "datastore_index_scan_point_bsatn", scan_point },
        { "datastore_delete_by_index_scan_point_bsatn", delete_point },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn;
    return NULL;
}
