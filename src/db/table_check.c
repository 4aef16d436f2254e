/*
 * table_check.c - the table's invariant checker and memory accounting.
 *
 * table_check recomputes from the stored rows everything the indexes,
 * counters and flags claim (invariants T1-T6 of table_int.h) and reports
 * the first disagreement.  It is slow (every row, every index) and meant
 * for tests, which call it after every few operations of a random run.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "table_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct Check {
    Table *t;
    char *msg;
    size_t msglen;
} Check;

static Status fail(Check *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static Status fail(Check *k, const char *fmt, ...)
{
    int n = snprintf(k->msg, k->msglen, "table %s: ", k->t->name);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < k->msglen)
        vsnprintf(k->msg + n, k->msglen - (size_t)n, fmt, ap);
    va_end(ap);
    return ST_INVALID;
}

/* The entries with this key in index `index` (or the rowmap when < 0):
 * is `id` among them, and how many are live rows / rows with these bytes? */
static Status scan_key(Table *t, int index, const uint8_t *key, size_t klen, RowId id,
                       const uint8_t *row, size_t len, bool *found, size_t *live, size_t *same)
{
    *found = false;
    *live = *same = 0;
    TableCursor c;
    table_cursor_key(t, index, key, klen, true, &c);
    RowId other;
    const uint8_t *p;
    size_t plen;
    while (table_cursor_next(&c, &other, &p, &plen)) {
        *found |= other == id;
        *live += row_live(rowstore_hdr(&t->rows, other));
        *same += plen == len && memcmp(p, row, len) == 0;
    }
    Status st = table_cursor_status(&c);
    table_cursor_fini(&c);
    return st;
}

/* T1, T2, T3, T4 for one stored row. */
static Status check_row(Check *k, RowId id, uint32_t hdr)
{
    Table *t = k->t;
    size_t len;
    const uint8_t *row = rowstore_bytes(&t->rows, id, &len);
    if (bsatn_validate_exact(t->ts, t->row_type, row, len, NULL) != ST_OK)
        return fail(k, "row %llu is not a valid row", (unsigned long long)id);
    Status st = table_stored_keys(t, id);
    if (st != ST_OK)
        return st;
    bool found;
    size_t live, same;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        size_t klen;
        const uint8_t *key = key_of(t, i, &klen);
        if ((st = scan_key(t, (int)i, key, klen, id, row, len, &found, &live, &same)) != ST_OK)
            return st;
        if (!found)
            return fail(k, "row %llu missing from index %s", (unsigned long long)id,
                        t->indexes[i].name);
        if (t->indexes[i].unique && row_live(hdr) && live != 1)
            return fail(k, "unique index %s holds %zu live rows with one key",
                        t->indexes[i].name, live);
        if ((int)i == t->same_index && same != 1)
            return fail(k, "%zu copies of row %llu", same, (unsigned long long)id);
    }
    if (t->rowmap) {
        uint8_t h[8];
        table_row_hash(row, len, h);
        if ((st = scan_key(t, -1, h, 8, id, row, len, &found, &live, &same)) != ST_OK)
            return st;
        if (!found || same != 1)
            return fail(k, "row %llu: rowmap has it %s, %zu copies",
                        (unsigned long long)id, found ? "" : "not", same);
    }
    return ST_OK;
}

/* T5: flags only inside a transaction, and only on rows in the undo log
 * (the caller has set MARK on every logged row). */
static Status check_flags(Check *k, RowId id, uint32_t hdr)
{
    if ((hdr & (ROW_DEAD | ROW_TXNEW)) && !k->t->in_tx)
        return fail(k, "row %llu flagged outside a transaction", (unsigned long long)id);
    if ((hdr & (ROW_DEAD | ROW_TXNEW)) && !(hdr & ROW_MARK))
        return fail(k, "row %llu flagged but not in the undo log", (unsigned long long)id);
    return ST_OK;
}

static Status check_rows(Check *k)
{
    Table *t = k->t;
    for (size_t i = 0; i < t->undo.len; i++) {
        RowId id = t->undo.items[i].row;
        if (rowstore_hdr(&t->rows, id) & ROW_FREE)
            return fail(k, "undo record %zu names a free slot", i);
        rowstore_set_flags(&t->rows, id, ROW_MARK, 0);
    }
    uint64_t pos = 0, live = 0, dead = 0;
    RowId id;
    Status st = ST_OK;
    while (st == ST_OK && rowstore_next(&t->rows, &pos, &id)) {
        uint32_t hdr = rowstore_hdr(&t->rows, id);
        live += row_live(hdr);
        dead += (hdr & ROW_DEAD) != 0;
        if ((st = check_flags(k, id, hdr)) == ST_OK)
            st = check_row(k, id, hdr);
    }
    for (size_t i = 0; i < t->undo.len; i++)
        rowstore_set_flags(&t->rows, t->undo.items[i].row, 0, ROW_MARK);
    if (st == ST_OK && (live != t->nlive || dead != t->ndead))
        return fail(k, "counts %llu live %llu dead, found %llu and %llu",
                    (unsigned long long)t->nlive, (unsigned long long)t->ndead,
                    (unsigned long long)live, (unsigned long long)dead);
    return st;
}

/* Each index's own invariants, and no entries beyond the rows' (T1). */
static Status check_indexes(Check *k)
{
    Table *t = k->t;
    size_t want = (size_t)(t->nlive + t->ndead);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const Index *ix = &t->indexes[i];
        Status st = ix->bt ? btree_check(ix->bt, k->msg, k->msglen)
                           : hashidx_check(ix->hash, k->msg, k->msglen);
        if (st != ST_OK)
            return st;
        size_t n = ix->bt ? btree_count(ix->bt) : hashidx_count(ix->hash);
        if (n != want)
            return fail(k, "index %s has %zu entries for %zu rows", ix->name, n, want);
    }
    if ((t->rowmap != NULL) != (t->same_index < 0))
        return fail(k, "rowmap present iff no unique index (T4)");
    if (t->rowmap && hashidx_count(t->rowmap) != want)
        return fail(k, "rowmap has %zu entries for %zu rows", hashidx_count(t->rowmap), want);
    return t->rowmap ? hashidx_check(t->rowmap, k->msg, k->msglen) : ST_OK;
}

Status table_check(Table *t, char *msg, size_t msglen)
{
    char dummy[1];
    Check k = { t, msg ? msg : dummy, msg ? msglen : sizeof dummy };
    Status st = rowstore_check(&t->rows, k.msg, k.msglen);
    if (st != ST_OK)
        return st;
    if (!t->in_tx && (t->undo.len != 0 || t->ndead != 0))
        return fail(&k, "undo records or dead rows outside a transaction");
    for (uint32_t i = 0; i < t->nseqs; i++)
        if (i128_cmp(t->seqs[i].min, t->seqs[i].value) > 0 ||
            i128_cmp(t->seqs[i].value, t->seqs[i].max) > 0)
            return fail(&k, "sequence %s outside its bounds", t->seqs[i].name);
    if ((st = check_indexes(&k)) != ST_OK)
        return st;
    return check_rows(&k);
}

size_t table_memory(const Table *t, TableMemory *parts)
{
    TableMemory m = { t->rows.bytes, 0, 0, 0 };
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const Index *ix = &t->indexes[i];
        m.indexes += ix->bt ? btree_memory(ix->bt) : hashidx_memory(ix->hash);
        m.other += strlen(ix->name) + 1 + ix->ncols * sizeof *ix->cols +
                   (ix->unique ? strlen(ix->unique) + 1 : 0);
    }
    m.rowmap = t->rowmap ? hashidx_memory(t->rowmap) : 0;
    m.other += sizeof *t + strlen(t->name) + 1 + t->ncols * sizeof *t->coltypes +
               t->nindexes * sizeof *t->indexes + t->nseqs * sizeof *t->seqs +
               t->undo.cap * sizeof *t->undo.items + t->ids.cap * sizeof *t->ids.items +
               t->ncols * sizeof *t->spans + (t->nindexes + 1) * sizeof *t->keyend +
               t->rowbuf.cap + t->keys.cap + t->lo.cap + t->hi.cap + t->txrows.bytes.cap +
               t->txrows.cap * sizeof *t->txrows.ends;
    if (parts)
        *parts = m;
    return m.rows + m.indexes + m.rowmap + m.other;
}
