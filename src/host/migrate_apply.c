/*
 * migrate_apply.c - executing a migration plan: the rows of the old
 * database poured into the new module's tables.
 *
 * tinystdb does not alter tables in place.  The new module was loaded
 * beside the old one, and module_load created all its tables, empty,
 * from the NEW definition: the added tables, the added indexes, the
 * dropped constraints are already what the plan says.  What is left is
 * the data:
 *
 *   old Db (read only)                 new Db (empty tables)
 *   ┌──────────────┐  by name         ┌──────────────┐
 *   │ account   #1 │ ───────────────► │ audit     #1 │  (added: stays empty)
 *   │ transfer  #2 │ ──────────┐      │ account   #2 │  rows inserted: every
 *   └──────────────┘           └────► │ transfer  #3 │  index is built by the
 *                                     └──────────────┘  inserts
 *
 * Tables are matched by NAME: the new module may list them in another
 * order, so the table ids differ.  Sequence positions follow by name
 * too, except for a sequence the plan adds (new, or changed): it starts
 * from its start value, after the PRECHECK that no stored value lies in
 * its range (SpacetimeDB's CheckAddSequenceRangeValid), which would
 * otherwise be handed out again.
 *
 * Rows are inserted outside any transaction, with table_insert_exact
 * (as when loading a snapshot): byte for byte, no sequence run, so a 0
 * in an auto_inc column stays 0.  Nobody else sees the new Db until the
 * caller swaps it in, and a failure throws it away whole.
 *
 * Book: chapter 29, book/29-republish.md
 */
#include "migrate.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "../db/bsatn.h"
#include "../db/table.h"
#include "../util/alloc.h"

/* Was sequence `name` of `table` added (or re-added) by the plan? */
static bool sequence_added(const MigratePlan *p, const char *table, const char *name)
{
    for (size_t i = 0; i < p->steps.len; i++) {
        const MigrateStep *s = &p->steps.items[i];
        if (s->kind == MIGRATE_ADD_SEQUENCE && strcmp(s->table, table) == 0 &&
            strcmp(s->name, name) == 0)
            return true;
    }
    return false;
}

/* The integer in column col of row (a sequence column of kind k). */
static Status column_int(const Table *t, const uint8_t *row, size_t len, uint16_t col, AlgKind k,
                         BsatnSpan *spans, I128 *out, DbError *err)
{
    Status st = bsatn_product_spans(table_typespace(t), table_row_type(t), row, len, spans, err);
    if (st != ST_OK)
        return st;
    unsigned w = sequence_width(k);
    if (spans[col].len != w)
        return ST_INVALID;   /* not the integer the sequence expects */
    uint8_t le[16];
    const uint8_t *p = row + spans[col].off;
    bool negative = alg_kind_signed(k) && (p[w - 1] & 0x80);
    memset(le, negative ? 0xFF : 0, sizeof le);
    memcpy(le, p, w);
    *out = i128_from_le(le);
    return ST_OK;
}

/* SpacetimeDB's precheck: no row of `from` holds a value of the added
 * sequence's range, [min, max]. */
static Status precheck(Table *from, const Sequence *seq, char *err, size_t errlen)
{
    const AlgType *row = table_row_type(from);
    BsatnSpan *spans = mem_alloc_array(row->nmembers ? row->nmembers : 1, sizeof *spans);
    if (!spans)
        return ST_NOMEM;
    TableCursor c;
    table_cursor_all(from, &c);
    const uint8_t *bytes;
    size_t len;
    RowId id;
    Status st = ST_OK;
    DbError dberr = { 0 };
    I128 v;
    while (st == ST_OK && table_cursor_next(&c, &id, &bytes, &len)) {
        st = column_int(from, bytes, len, seq->col, seq->kind, spans, &v, &dberr);
        if (st == ST_OK && i128_cmp(seq->min, v) <= 0 && i128_cmp(v, seq->max) <= 0) {
            snprintf(err, errlen, "Precheck failed: added sequence %s already has values in "
                     "range", seq->name);
            st = ST_INVALID;
        } else if (st != ST_OK) {
            snprintf(err, errlen, "table %s: cannot read column %u: %s", table_name(from),
                     seq->col, dberr.msg);
        }
    }
    table_cursor_fini(&c);
    mem_free(spans);
    return st;
}

static Status copy_rows(Table *from, Table *to, uint64_t *count, char *err, size_t errlen)
{
    TableCursor c;
    table_cursor_all(from, &c);
    const uint8_t *row;
    size_t len;
    RowId id;
    Status st = ST_OK;
    DbError dberr;
    TableWrite w;
    while (st == ST_OK && table_cursor_next(&c, &id, &row, &len)) {
        /* exact: the row is copied as it is, a 0 in a sequence column
         * included; the positions are carried over by keep_sequences */
        st = table_insert_exact(to, row, len, &w, &dberr);
        if (st != ST_OK)
            snprintf(err, errlen, "table %s: a row does not fit the new table: %s",
                     table_name(to), dberr.msg);
        (*count)++;
    }
    if (st == ST_OK)
        st = table_cursor_status(&c);
    table_cursor_fini(&c);
    return st;
}

/* Sequences of `to`: added ones prechecked and left at their start, the
 * others at the position the old table's sequence of that name had. */
static Status keep_sequences(const MigratePlan *p, Table *from, Table *to, char *err,
                             size_t errlen)
{
    Status st = ST_OK;
    for (uint32_t i = 0; st == ST_OK && i < table_sequence_count(to); i++) {
        const Sequence *seq = table_sequence(to, i);
        if (sequence_added(p, table_name(to), seq->name)) {
            st = precheck(from, seq, err, errlen);
            continue;
        }
        for (uint32_t j = 0; j < table_sequence_count(from); j++)
            if (strcmp(table_sequence(from, j)->name, seq->name) == 0)
                table_sequence_set(to, i, table_sequence(from, j)->value);
    }
    return st;
}

Status migrate_apply(const MigratePlan *p, Db *from, Db *to, MigrateReport *rep, char *err,
                     size_t errlen)
{
    assert(p->errors.len == 0);
    memset(rep, 0, sizeof *rep);
    Status st = ST_OK;
    for (uint32_t i = 0; st == ST_OK && i < db_table_count(to); i++) {
        Table *t = db_table(to, DB_FIRST_ID + i);
        const char *name = table_name(t);
        uint32_t old_id;
        DbError dberr;
        if (db_table_id_from_name(from, name, strlen(name), &old_id, &dberr) != ST_OK)
            continue;   /* ADD_TABLE: starts empty */
        Table *f = db_table(from, old_id);
        /* prechecks read `from` only; they run before this table's rows move */
        st = keep_sequences(p, f, t, err, errlen);
        if (st == ST_OK)
            st = copy_rows(f, t, &rep->rows, err, errlen);
        rep->tables_kept++;
    }
    return st;
}
