/*
 * table_write.c - insert, update and delete with SpacetimeDB's semantics.
 *
 * Every write follows the same plan, so that a failure in the middle
 * leaves nothing behind:
 *
 *   op_begin      note the undo log's length (opening a one-operation
 *                 transaction first when none is open)
 *   check         validate the bytes, run sequences, compute every key,
 *                 look for an identical row and for unique conflicts -
 *                 all before changing anything
 *   change        each change first reserves its undo record, then is made
 *   op_end        on failure undo back to the noted length; close the
 *                 one-operation transaction if we opened it
 *
 * Sequence values taken in `check` are never given back, as in SpacetimeDB
 * (module-abi.md 1.7: "The sequence values already taken are not returned").
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "table_int.h"

#include <assert.h>
#include <string.h>

#include "../util/alloc.h"
#include "key.h"
#include "value.h"

/* ---- keys ---- */

void table_row_spans(const Table *t, const uint8_t *row, BsatnSpan *spans)
{
    uint32_t off = 0;
    for (uint32_t c = 0; c < t->ncols; c++) {
        spans[c].off = off;
        spans[c].len = (uint32_t)bsatn_value_len(t->ts, t->coltypes[c], row + off);
        off += spans[c].len;
    }
}

Status table_row_keys(Table *t, const uint8_t *row, const BsatnSpan *spans)
{
    strbuf_clear(&t->keys);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const Index *ix = &t->indexes[i];
        for (uint16_t k = 0; k < ix->ncols; k++) {
            uint16_t c = ix->cols[k];
            Status st = key_encode_value(t->ts, t->coltypes[c], row + spans[c].off, &t->keys);
            if (st != ST_OK)
                return st;
        }
        t->keyend[i] = t->keys.len;
        size_t klen;
        key_of(t, i, &klen);
        if (ix->bt && klen > btree_max_key(ix->bt))
            return ST_LIMIT;
    }
    return ST_OK;
}

Status table_stored_keys(Table *t, RowId id)
{
    size_t len;
    const uint8_t *row = rowstore_bytes(&t->rows, id, &len);
    table_row_spans(t, row, t->spans);
    return table_row_keys(t, row, t->spans);
}

void table_row_hash(const uint8_t *row, size_t len, uint8_t key[8])
{
    uint64_t h = hashidx_hash(row, len);
    memcpy(key, &h, 8);
}

/* Remove the row's entries from indexes [0, n), keys in t->keys. */
static void drop_entries(Table *t, RowId id, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        size_t klen;
        const uint8_t *key = key_of(t, i, &klen);
        Status st = t->indexes[i].bt ? btree_delete(t->indexes[i].bt, key, klen, id)
                                     : hashidx_delete(t->indexes[i].hash, key, klen, id);
        assert(st == ST_OK && "T1: a stored row is in every index");
        (void)st;
    }
}

void table_unindex(Table *t, RowId id, const uint8_t *row, size_t len)
{
    drop_entries(t, id, t->nindexes);
    if (t->rowmap) {
        uint8_t h[8];
        table_row_hash(row, len, h);
        Status st = hashidx_delete(t->rowmap, h, 8, id);
        assert(st == ST_OK && "T4: a stored row is in the rowmap");
        (void)st;
    }
}

/* ---- the operation frame ---- */

Status table_undo_reserve(Table *t, size_t n, DbError *err)
{
    if (vec_reserve(&t->undo, t->undo.len + n) != ST_OK)
        return table_fail(err, ST_NOMEM, t);
    return ST_OK;
}

size_t table_op_begin(Table *t, bool *implicit)
{
    *implicit = !t->in_tx;
    if (*implicit)
        table_tx_begin(t);
    return t->undo.len;
}

Status table_op_end(Table *t, Status st, size_t mark, bool implicit)
{
    if (st != ST_OK)
        table_undo_to(t, mark);
    if (implicit)
        table_tx_commit(t);
    return st;
}

static void push_undo(Table *t, RowId row, UndoOp op)
{
    assert(t->undo.len < t->undo.cap && "reserved before the change");
    t->undo.items[t->undo.len++] = (UndoRec){ row, op };
}

Status table_kill(Table *t, RowId id, DbError *err)
{
    assert(t->in_tx && row_live(rowstore_hdr(&t->rows, id)));
    Status st = table_undo_reserve(t, 1, err);
    if (st != ST_OK)
        return st;
    /* Computing the keys now, though nothing uses them yet, grows t->keys
     * to fit them: commit will recompute them without allocating (K1). */
    if ((st = table_stored_keys(t, id)) != ST_OK)
        return table_fail(err, st, t);
    rowstore_set_flags(&t->rows, id, ROW_DEAD, 0);
    t->nlive--, t->ndead++;
    push_undo(t, id, UNDO_DELETE);
    return ST_OK;
}

/* ---- checking a new row ---- */

/* "name = value, ..." for the index's columns of the row at hand (in
 * t->spans), for error messages.  Best effort: stops quietly on failure. */
static void describe_key(const Table *t, const Index *ix, const uint8_t *row, StrBuf *out)
{
    Arena a;
    arena_init(&a);
    for (uint16_t k = 0; k < ix->ncols; k++) {
        uint16_t c = ix->cols[k];
        const char *name = t->row_type->members[c].name;
        Value *v;
        if (value_decode(&a, t->ts, t->coltypes[c], row + t->spans[c].off, t->spans[c].len,
                         NULL, &v, NULL) != ST_OK ||
            strbuf_puts(out, k ? ", " : "") != ST_OK ||
            (name ? strbuf_puts(out, name) : strbuf_printf(out, "col_%u", c)) != ST_OK ||
            strbuf_puts(out, " = ") != ST_OK ||
            value_display(t->ts, t->coltypes[c], v, out) != ST_OK)
            break;
    }
    arena_fini(&a);
}

static Status unique_violation(const Table *t, const Index *ix, const uint8_t *row, DbError *err)
{
    StrBuf key;
    strbuf_init(&key);
    describe_key(t, ix, row, &key);
    Status st = db_error(err, ST_EXISTS, DBE_UNIQUE_ALREADY_EXISTS,
                         "duplicate key in unique constraint %s (index %s) of table %s: %s",
                         ix->unique, ix->name, t->name, key.data ? key.data : "");
    strbuf_fini(&key);
    return st;
}

/* Validate row[0..len) into t->spans, then (if run_seqs) fill sequence
 * columns that hold 0: *row then points at the patched copy in
 * t->rowbuf. */
static Status prepare(Table *t, const uint8_t **row, size_t len, bool run_seqs, TableWrite *res,
                      DbError *err)
{
    Status st = bsatn_product_spans(t->ts, t->row_type, *row, len, t->spans, err);
    if (st != ST_OK)
        return st;
    for (uint32_t i = 0; run_seqs && i < t->nseqs; i++) {
        Sequence *q = &t->seqs[i];
        const uint8_t *col = *row + t->spans[q->col].off;
        size_t w = t->spans[q->col].len, z = 0;
        while (z < w && col[z] == 0)
            z++;
        if (z < w)
            continue;   /* not zero: stored as given, the sequence does not move */
        if (*row != (const uint8_t *)t->rowbuf.data) {
            strbuf_clear(&t->rowbuf);
            if (strbuf_append(&t->rowbuf, *row, len) != ST_OK)
                return table_fail(err, ST_NOMEM, t);
            *row = (const uint8_t *)t->rowbuf.data;
        }
        sequence_store(q->kind, sequence_next(q), (uint8_t *)t->rowbuf.data + t->spans[q->col].off);
        t->generated[res->ngenerated++] = q->col;
    }
    if (len > ROWSTORE_MAX_ROW)
        return table_fail(err, ST_LIMIT, t);
    if ((st = table_row_keys(t, *row, t->spans)) != ST_OK)
        return table_fail(err, st, t);
    return ST_OK;
}

/* The rows sharing the new row's key in the identity index (or its hash in
 * the rowmap): *same = an identical live row, *dead = an identical DEAD
 * row, *other = a live row with the same unique key but other bytes
 * (ignoring `except`).  Each is ROWID_NONE when absent. */
static Status find_same(Table *t, const uint8_t *row, size_t len, RowId except, RowId *same,
                        RowId *dead, RowId *other)
{
    *same = *dead = *other = ROWID_NONE;
    uint8_t h[8];
    size_t klen = 8;
    const uint8_t *key = h;
    if (t->same_index >= 0)
        key = key_of(t, (uint32_t)t->same_index, &klen);
    else
        table_row_hash(row, len, h);
    RowId id = table_probe(t, t->same_index, key, klen);
    if (id == ROWID_NONE)
        return ST_OK;               /* nothing shares the key: the common case */
    if (t->same_index >= 0 && id != except && row_live(rowstore_hdr(&t->rows, id))) {
        size_t plen;                /* the only live row with this unique key */
        const uint8_t *p = rowstore_bytes(&t->rows, id, &plen);
        *(plen == len && memcmp(p, row, len) == 0 ? same : other) = id;
        return ST_OK;
    }
    TableCursor c;
    table_cursor_key(t, t->same_index, key, klen, true, &c);
    const uint8_t *p;
    size_t plen;
    while (table_cursor_next(&c, &id, &p, &plen)) {
        bool live = row_live(rowstore_hdr(&t->rows, id));
        if (plen == len && memcmp(p, row, len) == 0)
            *(live ? same : dead) = id;
        else if (live && id != except && t->same_index >= 0)
            *other = id;
    }
    Status st = table_cursor_status(&c);
    table_cursor_fini(&c);
    return st;
}

/* A live row other than `except` with the new row's key in a unique index
 * other than `skip`: UNIQUE_ALREADY_EXISTS. */
static Status check_unique(Table *t, const uint8_t *row, RowId except, int skip, DbError *err)
{
    for (uint32_t i = 0; i < t->nindexes; i++) {
        if (!t->indexes[i].unique || (int)i == skip)
            continue;
        size_t klen;
        const uint8_t *key = key_of(t, i, &klen);
        RowId id = table_probe(t, (int)i, key, klen);
        if (id == ROWID_NONE)
            continue;
        if (id != except && row_live(rowstore_hdr(&t->rows, id)))
            return unique_violation(t, &t->indexes[i], row, err);
        TableCursor c;
        table_cursor_point(t, i, key, klen, &c);
        const uint8_t *p;
        size_t plen;
        bool taken = false;
        while (!taken && table_cursor_next(&c, &id, &p, &plen))
            taken = id != except;
        Status st = table_cursor_status(&c);
        table_cursor_fini(&c);
        if (st != ST_OK)
            return table_fail(err, st, t);
        if (taken)
            return unique_violation(t, &t->indexes[i], row, err);
    }
    return ST_OK;
}

/* Add the checked row: bring the identical DEAD row back if there is one,
 * else store it and add it to every index. */
static Status place(Table *t, const uint8_t *row, size_t len, RowId dead, RowId *out,
                    DbError *err)
{
    Status st = table_undo_reserve(t, 1, err);
    if (st != ST_OK)
        return st;
    if (dead != ROWID_NONE) {
        rowstore_set_flags(&t->rows, dead, 0, ROW_DEAD);
        t->ndead--, t->nlive++;
        push_undo(t, dead, UNDO_REVIVE);
        *out = dead;
        return ST_OK;
    }
    RowId id;
    if ((st = rowstore_add(&t->rows, row, len, ROW_TXNEW, &id)) != ST_OK)
        return table_fail(err, st, t);
    uint32_t done = 0;
    for (; done < t->nindexes; done++) {
        size_t klen;
        const uint8_t *key = key_of(t, done, &klen);
        st = t->indexes[done].bt ? btree_insert(t->indexes[done].bt, key, klen, id)
                                 : hashidx_insert(t->indexes[done].hash, key, klen, id);
        if (st != ST_OK)
            break;
    }
    uint8_t h[8];
    if (st == ST_OK && t->rowmap) {
        table_row_hash(row, len, h);
        st = hashidx_insert(t->rowmap, h, 8, id);
    }
    if (st != ST_OK) {   /* take back what went in: deletes never fail */
        drop_entries(t, id, done);
        rowstore_free(&t->rows, id);
        return table_fail(err, st, t);
    }
    t->nlive++;
    push_undo(t, id, UNDO_INSERT);
    *out = id;
    return ST_OK;
}

/* The write-back for the module: the generated columns, in column order
 * (t->spans describe the new row). */
static Status put_writeback(Table *t, const uint8_t *row, const TableWrite *res, StrBuf *wb,
                            DbError *err)
{
    for (uint32_t i = 0; wb && i < res->ngenerated; i++) {
        BsatnSpan sp = t->spans[res->generated[i]];
        if (strbuf_append(wb, row + sp.off, sp.len) != ST_OK)
            return table_fail(err, ST_NOMEM, t);
    }
    return ST_OK;
}

static Status insert_checked(Table *t, const uint8_t *row, size_t len, bool run_seqs,
                             StrBuf *wb, TableWrite *res, DbError *err)
{
    Status st = prepare(t, &row, len, run_seqs, res, err);
    if (st == ST_OK)
        st = put_writeback(t, row, res, wb, err);
    if (st != ST_OK)
        return st;
    RowId same, dead, other;
    if ((st = find_same(t, row, len, ROWID_NONE, &same, &dead, &other)) != ST_OK)
        return table_fail(err, st, t);
    if (same != ROWID_NONE) {   /* a table is a set: already there, nothing to do */
        res->rowid = same;
        return ST_OK;
    }
    if (other != ROWID_NONE)
        return unique_violation(t, &t->indexes[t->same_index], row, err);
    if ((st = check_unique(t, row, ROWID_NONE, t->same_index, err)) != ST_OK)
        return st;
    st = place(t, row, len, dead, &res->rowid, err);
    res->changed = st == ST_OK;
    return st;
}

static void start_write(Table *t, TableWrite *res, StrBuf *wb)
{
    *res = (TableWrite){ ROWID_NONE, false, 0, t->generated };
    if (wb)
        strbuf_clear(wb);
}

/* insert_checked inside the operation frame. */
static Status insert_op(Table *t, const uint8_t *row, size_t len, bool run_seqs, StrBuf *wb,
                        TableWrite *res, DbError *err)
{
    TableWrite local;
    res = res ? res : &local;
    start_write(t, res, wb);
    bool implicit;
    size_t mark = table_op_begin(t, &implicit);
    Status st = insert_checked(t, row, len, run_seqs, wb, res, err);
    if (st != ST_OK && wb)
        strbuf_clear(wb);
    return table_op_end(t, st, mark, implicit);
}

Status table_insert(Table *t, const uint8_t *row, size_t len, StrBuf *wb, TableWrite *res,
                    DbError *err)
{
    return insert_op(t, row, len, true, wb, res, err);
}

/* Replay and snapshot load (chapter 27): the row as it was stored. */
Status table_insert_exact(Table *t, const uint8_t *row, size_t len, TableWrite *res,
                          DbError *err)
{
    return insert_op(t, row, len, false, NULL, res, err);
}

/* The live row whose key in index i is the new row's (t->keys). */
static Status find_by_key(Table *t, uint32_t i, RowId *found)
{
    size_t klen;
    const uint8_t *key = key_of(t, i, &klen);
    TableCursor c;
    table_cursor_point(t, i, key, klen, &c);
    const uint8_t *p;
    size_t plen;
    if (!table_cursor_next(&c, found, &p, &plen))
        *found = ROWID_NONE;
    Status st = table_cursor_status(&c);
    table_cursor_fini(&c);
    return st;
}

static Status update_checked(Table *t, uint32_t index, const uint8_t *row, size_t len,
                             StrBuf *wb, TableWrite *res, DbError *err)
{
    Status st = prepare(t, &row, len, true, res, err);   /* sequences first, as in SpacetimeDB */
    if (st == ST_OK)
        st = put_writeback(t, row, res, wb, err);
    if (st != ST_OK)
        return st;
    const Index *ix = &t->indexes[index];
    if (!ix->unique)
        return db_error(err, ST_INVALID, DBE_INDEX_NOT_UNIQUE,
                        "update through index %s of table %s, which is not unique", ix->name,
                        t->name);
    RowId old, same, dead, other;
    if ((st = find_by_key(t, index, &old)) != ST_OK)
        return table_fail(err, st, t);
    if (old == ROWID_NONE)
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_ROW,
                        "update: no row of table %s has the key in index %s", t->name, ix->name);
    res->rowid = old;
    size_t oldlen;
    const uint8_t *oldrow = rowstore_bytes(&t->rows, old, &oldlen);
    if (oldlen == len && memcmp(oldrow, row, len) == 0)
        return ST_OK;   /* the same row: nothing to do */
    if ((st = find_same(t, row, len, old, &same, &dead, &other)) != ST_OK)
        return table_fail(err, st, t);
    assert(same == ROWID_NONE && "an identical live row would share the unique key");
    if (other != ROWID_NONE)
        return unique_violation(t, &t->indexes[t->same_index], row, err);
    if ((st = check_unique(t, row, old, t->same_index, err)) != ST_OK)
        return st;
    /* Insert the new row before deleting the old, so that a failure of the
     * insert (out of memory) needs no undo of the delete. */
    if ((st = place(t, row, len, dead, &res->rowid, err)) != ST_OK)
        return st;
    res->changed = true;
    return table_kill(t, old, err);
}

Status table_update(Table *t, uint32_t index, const uint8_t *row, size_t len, StrBuf *wb,
                    TableWrite *res, DbError *err)
{
    TableWrite local;
    res = res ? res : &local;
    start_write(t, res, wb);
    if (index >= t->nindexes)
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_INDEX, "table %s has no index %u",
                        t->name, index);
    bool implicit;
    size_t mark = table_op_begin(t, &implicit);
    Status st = update_checked(t, index, row, len, wb, res, err);
    if (st != ST_OK && wb)
        strbuf_clear(wb);
    return table_op_end(t, st, mark, implicit);
}

/* Delete the live row identical to the valid row[0..len), if any. */
static Status delete_same(Table *t, const uint8_t *row, size_t len, bool *deleted, DbError *err)
{
    *deleted = false;
    table_row_spans(t, row, t->spans);
    Status st = table_row_keys(t, row, t->spans);
    RowId same, dead, other;
    if (st == ST_OK)
        st = find_same(t, row, len, ROWID_NONE, &same, &dead, &other);
    if (st == ST_LIMIT)
        return ST_OK;   /* a key too long to be in the index: no such row */
    if (st != ST_OK)
        return table_fail(err, st, t);
    if (same == ROWID_NONE)
        return ST_OK;
    *deleted = true;
    return table_kill(t, same, err);
}

Status table_delete_row(Table *t, const uint8_t *row, size_t len, bool *deleted, DbError *err)
{
    *deleted = false;
    Status st = bsatn_validate_exact(t->ts, t->row_type, row, len, err);
    if (st != ST_OK)
        return st;
    bool implicit;
    size_t mark = table_op_begin(t, &implicit);
    st = delete_same(t, row, len, deleted, err);
    if (st != ST_OK)
        *deleted = false;
    return table_op_end(t, st, mark, implicit);
}

/* Validate an Array of rows: u32 count, then the rows, nothing after. */
static Status validate_rows(const Table *t, const uint8_t *rel, size_t len, DbError *err)
{
    if (len < 4)
        return db_error(err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR, "rows: truncated count");
    uint32_t n = bsatn_load_u32(rel);
    size_t off = 4;
    for (uint32_t i = 0; i < n; i++) {
        size_t used;
        Status st = bsatn_validate(t->ts, t->row_type, rel + off, len - off, &used, err);
        if (st != ST_OK)
            return st;
        off += used;
        if (used == 0)
            break;   /* the empty row type: every row is the same zero bytes */
    }
    if (off != len)
        return db_error(err, ST_MALFORMED, DBE_BSATN_DECODE_ERROR,
                        "rows: trailing bytes at %zu of %zu", off, len);
    return ST_OK;
}

Status table_delete_eq_bsatn(Table *t, const uint8_t *rel, size_t len, uint64_t *count,
                             DbError *err)
{
    *count = 0;
    Status st = validate_rows(t, rel, len, err);
    if (st != ST_OK)
        return st;
    bool implicit;
    size_t mark = table_op_begin(t, &implicit);
    uint32_t n = bsatn_load_u32(rel);
    size_t off = 4;
    for (uint32_t i = 0; i < n && st == ST_OK; i++) {
        size_t rlen = bsatn_value_len(t->ts, t->row_type, rel + off);
        bool deleted;
        st = delete_same(t, rel + off, rlen, &deleted, err);
        *count += deleted;
        off += rlen;
        if (rlen == 0)
            break;
    }
    if (st != ST_OK)
        *count = 0;
    return table_op_end(t, st, mark, implicit);
}

Status table_delete_rowid(Table *t, RowId id, DbError *err)
{
    if (!row_live(rowstore_hdr(&t->rows, id)))
        return db_error(err, ST_NOT_FOUND, DBE_NO_SUCH_ROW, "table %s: no row %llu", t->name,
                        (unsigned long long)id);
    bool implicit;
    size_t mark = table_op_begin(t, &implicit);
    return table_op_end(t, table_kill(t, id, err), mark, implicit);
}

/* Outside a transaction nothing needs undoing: drop everything at once. */
static void clear_now(Table *t)
{
    rowstore_clear(&t->rows);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        if (t->indexes[i].bt)
            btree_clear(t->indexes[i].bt);
        else
            hashidx_clear(t->indexes[i].hash);
    }
    if (t->rowmap)
        hashidx_clear(t->rowmap);
    t->nlive = 0;
}

Status table_clear(Table *t, uint64_t *count, DbError *err)
{
    uint64_t local;
    count = count ? count : &local;
    *count = t->nlive;
    if (!t->in_tx) {
        clear_now(t);
        return ST_OK;
    }
    size_t mark = t->undo.len;
    Status st = table_undo_reserve(t, t->nlive, err);
    uint64_t pos = 0;
    RowId id;
    while (st == ST_OK && rowstore_next(&t->rows, &pos, &id))
        if (row_live(rowstore_hdr(&t->rows, id)))
            st = table_kill(t, id, err);
    if (st != ST_OK) {
        table_undo_to(t, mark);
        *count = 0;
    }
    return st;
}
