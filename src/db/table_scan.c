/*
 * table_scan.c - reading rows: cursors, and the ABI's materialised scans.
 *
 * A cursor walks candidates from one source - the row store (all rows),
 * a B-tree range, or a hash key - and skips rows the open transaction
 * deleted (they stay indexed until commit, see table_int.h).
 *
 * The ABI scans decode their arguments into key bounds, then copy the
 * matching rows into a RowList.  A B-tree range scan with a prefix and a
 * bound on the next column becomes a pair of byte-string bounds, because
 * keys are concatenations of prefix-free column encodings (key.h):
 *
 *   index on (guild u32, name String); prefix_elems = 1, prefix = 7,
 *   rstart = Included("b"), rend = Excluded("d"):
 *     lo = INCLUDED key(7) ++ key("b")    hi = EXCLUDED key(7) ++ key("d")
 *   and with rstart = Unbounded:  lo = INCLUDED key(7)   (every name of guild 7)
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "table_int.h"

#include <string.h>

#include "key.h"

/* ---- cursors ---- */

static Status wrong_algo(const Index *ix, DbError *err)
{
    return db_error(err, ST_INVALID, DBE_WRONG_INDEX_ALGO,
                    "index %s is a hash index: it has no order to scan a range in", ix->name);
}

void table_cursor_all(Table *t, TableCursor *c)
{
    memset(c, 0, sizeof *c);
    c->t = t;
    c->kind = CURSOR_ALL;
}

Status table_cursor_range(Table *t, uint32_t index, BTreeBound lo, BTreeBound hi,
                          TableCursor *c, DbError *err)
{
    table_cursor_all(t, c);
    if (index >= t->nindexes)
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_INDEX, "table %s has no index %u",
                        t->name, index);
    Index *ix = &t->indexes[index];
    if (!ix->bt)
        return wrong_algo(ix, err);
    c->kind = CURSOR_BTREE;
    btree_iter_range(ix->bt, lo, hi, &c->bt);
    return ST_OK;
}

void table_cursor_key(Table *t, int index, const uint8_t *key, size_t len, bool with_dead,
                      TableCursor *c)
{
    table_cursor_all(t, c);
    c->with_dead = with_dead;
    HashIndex *h = index < 0 ? t->rowmap : t->indexes[index].hash;
    if (h) {
        c->kind = CURSOR_HASH;
        hashidx_find(h, key, len, &c->hash);
        return;
    }
    /* A whole key is a prefix of no other key of the index, so the
     * prefix range [key, key] holds exactly the entries equal to key. */
    BTreeBound b = { BOUND_INCLUDED, key, len };
    c->kind = CURSOR_BTREE;
    btree_iter_range(t->indexes[index].bt, b, b, &c->bt);
}

RowId table_probe(const Table *t, int index, const uint8_t *key, size_t len)
{
    RowId id;
    const HashIndex *h = index < 0 ? t->rowmap : t->indexes[index].hash;
    bool found = h ? hashidx_contains_key(h, key, len, &id)
                   : btree_contains_key(t->indexes[index].bt, key, len, &id);
    return found ? id : ROWID_NONE;
}

void table_cursor_point(Table *t, uint32_t index, const uint8_t *key, size_t len,
                        TableCursor *c)
{
    table_cursor_key(t, (int)index, key, len, false, c);
}

bool table_cursor_next(TableCursor *c, RowId *id, const uint8_t **row, size_t *len)
{
    for (;;) {
        bool more;
        const uint8_t *key;
        size_t klen;
        switch (c->kind) {
        case CURSOR_ALL: more = rowstore_next(&c->t->rows, &c->pos, id); break;
        case CURSOR_BTREE: more = btree_iter_next(&c->bt, &key, &klen, id); break;
        default: more = hashidx_iter_next(&c->hash, id); break;
        }
        if (!more)
            return false;
        if (!c->with_dead && (rowstore_hdr(&c->t->rows, *id) & ROW_DEAD))
            continue;               /* deleted by the open transaction */
        *row = rowstore_bytes(&c->t->rows, *id, len);
        return true;
    }
}

Status table_cursor_status(const TableCursor *c)
{
    return c->kind == CURSOR_BTREE ? btree_iter_status(&c->bt) : ST_OK;
}

void table_cursor_fini(TableCursor *c)
{
    if (c->kind == CURSOR_BTREE)
        btree_iter_fini(&c->bt);
    c->kind = CURSOR_ALL;
}

const uint8_t *table_row(const Table *t, RowId id, size_t *len)
{
    if (!row_live(rowstore_hdr(&t->rows, id)))
        return NULL;
    return rowstore_bytes(&t->rows, id, len);
}

/* ---- materialised results ---- */

/* Copy the cursor's rows to out: the open transaction's inserts first,
 * then the rest, as SpacetimeDB orders them (module-abi.md 1.6). */
static Status collect(TableCursor *c, RowList *out, DbError *err)
{
    Table *t = c->t;
    size_t base = out->count;
    rowlist_clear(&t->txrows);
    RowId id;
    const uint8_t *row;
    size_t len;
    Status st = ST_OK;
    while (st == ST_OK && table_cursor_next(c, &id, &row, &len)) {
        bool mine = rowstore_hdr(&t->rows, id) & ROW_TXNEW;
        st = rowlist_push(mine ? &t->txrows : out, row, len);
    }
    if (st == ST_OK)
        st = table_cursor_status(c);
    table_cursor_fini(c);
    if (st == ST_OK && t->txrows.count > 0) {   /* put the inserts in front */
        for (size_t i = base; i < out->count && st == ST_OK; i++) {
            row = rowlist_get(out, i, &len);
            st = rowlist_push(&t->txrows, row, len);
        }
        rowlist_truncate(out, base);
        if (st == ST_OK)
            st = rowlist_append(out, &t->txrows);
    }
    if (st != ST_OK)
        rowlist_truncate(out, base);
    return st == ST_OK ? ST_OK : table_fail(err, st, t);
}

Status table_collect_all(Table *t, RowList *out, DbError *err)
{
    TableCursor c;
    table_cursor_all(t, &c);
    return collect(&c, out, err);
}

/* ---- decoding the ABI's key arguments ---- */

static Status decode_error(DbError *err, const char *what, const Index *ix)
{
    return db_error(err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR, "index %s: %s", ix->name, what);
}

/* Validate `n` key columns of ix starting at column `first` from
 * p[0..len) (exactly), appending their key encoding to key. */
static Status key_columns(const Table *t, const Index *ix, uint32_t first, uint32_t n,
                          const uint8_t *p, size_t len, StrBuf *key, DbError *err)
{
    size_t off = 0;
    for (uint32_t k = first; k < first + n; k++) {
        const AlgType *ty = t->coltypes[ix->cols[k]];
        size_t used;
        Status st = bsatn_validate(t->ts, ty, p + off, len - off, &used, err);
        if (st != ST_OK)
            return st;
        if (key_encode_value(t->ts, ty, p + off, key) != ST_OK)
            return table_fail(err, ST_NOMEM, t);
        off += used;
    }
    return off == len ? ST_OK : decode_error(err, "trailing bytes after the key", ix);
}

/* One end of the range: Bound<T> (tag 0 Included, 1 Excluded, 2
 * Unbounded) for key column `col`, after the prefix already in key. */
static Status decode_bound(const Table *t, const Index *ix, uint32_t col, const uint8_t *p,
                           size_t len, StrBuf *key, BTreeBound *b, DbError *err)
{
    if (len < 1 || p[0] > 2)
        return decode_error(err, len < 1 ? "empty bound" : "bad Bound tag", ix);
    if (p[0] == 2) {
        if (len != 1)
            return decode_error(err, "trailing bytes after Unbounded", ix);
        /* Unbounded after a prefix still means "within the prefix". */
        *b = (BTreeBound){ key->len ? BOUND_INCLUDED : BOUND_UNBOUNDED, NULL, 0 };
    } else {
        Status st = key_columns(t, ix, col, 1, p + 1, len - 1, key, err);
        if (st != ST_OK)
            return st;
        /* SpacetimeDB pads a bound on a non-last key column with a Min
         * (lower) or Max (upper) sentinel, so Excluded(x) there still
         * matches rows whose column is x: the bound acts as Included. */
        bool last = col + 1 == ix->ncols;
        *b = (BTreeBound){ p[0] == 1 && last ? BOUND_EXCLUDED : BOUND_INCLUDED, NULL, 0 };
    }
    b->key = (const uint8_t *)key->data;
    b->len = key->len;
    return ST_OK;
}

/* The byte-string bounds of an IndexRange on a B-tree index.  lo and hi
 * own the bytes; the caller frees them. */
static Status range_bounds(const Table *t, const Index *ix, const IndexRange *r, StrBuf *lo,
                           StrBuf *hi, BTreeBound *blo, BTreeBound *bhi, DbError *err)
{
    if (r->prefix_elems >= ix->ncols)
        return decode_error(err, "prefix_elems must be below the number of key columns", ix);
    Status st = ST_OK;
    if (r->prefix_elems > 0)
        st = key_columns(t, ix, 0, r->prefix_elems, r->prefix, r->prefix_len, lo, err);
    if (st == ST_OK && strbuf_append(hi, lo->data, lo->len) != ST_OK)
        st = table_fail(err, ST_NOMEM, t);
    if (st == ST_OK)
        st = decode_bound(t, ix, r->prefix_elems, r->rstart, r->rstart_len, lo, blo, err);
    if (st == ST_OK)
        st = decode_bound(t, ix, r->prefix_elems, r->rend, r->rend_len, hi, bhi, err);
    return st;
}

/* Open a cursor for an IndexRange (B-tree) or a point (any index). */
static Status open_range(Table *t, uint32_t index, const IndexRange *r, TableCursor *c,
                         DbError *err)
{
    if (index >= t->nindexes)
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_INDEX, "table %s has no index %u",
                        t->name, index);
    const Index *ix = &t->indexes[index];
    if (!ix->bt)
        return wrong_algo(ix, err);
    BTreeBound blo, bhi;
    strbuf_clear(&t->lo);
    strbuf_clear(&t->hi);
    Status st = range_bounds(t, ix, r, &t->lo, &t->hi, &blo, &bhi, err);
    if (st != ST_OK)
        return st;
    return table_cursor_range(t, index, blo, bhi, c, err);
}

/* Decode a whole key into t->lo and open a point cursor on it.  With
 * only_live, for a unique index whose smallest entry is live, *only is
 * that row and no cursor is opened: one B-tree or hash probe instead of
 * an iteration. */
static Status open_point(Table *t, uint32_t index, const uint8_t *point, size_t len,
                         bool only_live, RowId *only, TableCursor *c, DbError *err)
{
    if (index >= t->nindexes)
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_INDEX, "table %s has no index %u",
                        t->name, index);
    const Index *ix = &t->indexes[index];
    strbuf_clear(&t->lo);
    Status st = key_columns(t, ix, 0, ix->ncols, point, len, &t->lo, err);
    if (st != ST_OK)
        return st;
    const uint8_t *key = (const uint8_t *)t->lo.data;
    *only = only_live && ix->unique ? table_probe(t, (int)index, key, t->lo.len) : ROWID_NONE;
    if (*only != ROWID_NONE && row_live(rowstore_hdr(&t->rows, *only)))
        return ST_OK;
    *only = ROWID_NONE;
    table_cursor_point(t, index, key, t->lo.len, c);
    return ST_OK;
}

/* Delete every row the cursor yields: ids first, then the deletes (the
 * deleted rows are exactly the rows the scan would have returned). */
static Status delete_all(TableCursor *c, uint64_t *count, DbError *err)
{
    Table *t = c->t;
    RowId id;
    const uint8_t *row;
    size_t len;
    Status st = ST_OK;
    t->ids.len = 0;
    while (st == ST_OK && table_cursor_next(c, &id, &row, &len))
        st = vec_push(&t->ids, id);
    if (st == ST_OK)
        st = table_cursor_status(c);
    table_cursor_fini(c);
    if (st != ST_OK)
        return table_fail(err, st, t);
    bool implicit;
    size_t mark = table_op_begin(t, &implicit);
    for (size_t i = 0; i < t->ids.len && st == ST_OK; i++)
        st = table_kill(t, t->ids.items[i], err);
    *count = st == ST_OK ? t->ids.len : 0;
    return table_op_end(t, st, mark, implicit);
}

Status table_scan_range_bsatn(Table *t, uint32_t index, const IndexRange *r, RowList *out,
                              DbError *err)
{
    TableCursor c;
    Status st = open_range(t, index, r, &c, err);
    return st == ST_OK ? collect(&c, out, err) : st;
}

Status table_delete_range_bsatn(Table *t, uint32_t index, const IndexRange *r,
                                uint64_t *count, DbError *err)
{
    *count = 0;
    TableCursor c;
    Status st = open_range(t, index, r, &c, err);
    return st == ST_OK ? delete_all(&c, count, err) : st;
}

Status table_scan_point_bsatn(Table *t, uint32_t index, const uint8_t *point, size_t len,
                              RowList *out, DbError *err)
{
    TableCursor c;
    RowId only;
    Status st = open_point(t, index, point, len, true, &only, &c, err);
    if (st != ST_OK || only == ROWID_NONE)
        return st == ST_OK ? collect(&c, out, err) : st;
    size_t rlen;
    const uint8_t *row = rowstore_bytes(&t->rows, only, &rlen);
    return rowlist_push(out, row, rlen) == ST_OK ? ST_OK : table_fail(err, ST_NOMEM, t);
}

Status table_delete_point_bsatn(Table *t, uint32_t index, const uint8_t *point, size_t len,
                                uint64_t *count, DbError *err)
{
    *count = 0;
    TableCursor c;
    RowId only;
    Status st = open_point(t, index, point, len, false, &only, &c, err);
    return st == ST_OK ? delete_all(&c, count, err) : st;
}

Status table_index_key(const Table *t, uint32_t index, const uint8_t *row, size_t len,
                       StrBuf *out)
{
    if (index >= t->nindexes)
        return ST_ARG;
    const Index *ix = &t->indexes[index];
    return key_encode_columns(t->ts, t->row_type, row, len, ix->cols, ix->ncols, out);
}
