/*
 * eval.c - running a planned query over the tables.
 *
 * A SELECT is a loop over the rows its access path yields (plan.c):
 *
 *   for row in access(outer):              full scan, index point or range
 *       [for row2 in probe(inner, row):    joins: index lookup by join key]
 *           if ON and WHERE hold:          sql_pred_eval, bytes only
 *               emit the projection        whole row, columns, or count++
 *           stop after LIMIT rows
 *
 * Rows are never decoded: bsatn_product_spans finds where each column's
 * bytes are, predicates compare them with bsatn_compare against literals
 * already encoded as the column's type, and a projection copies spans
 * into a new BSATN product.  Cursors (table.h) read rows in place; a
 * SELECT writes nothing, so their pointers stay valid.
 *
 * DML first collects the rows it will change, then changes them, so it
 * never writes under a live cursor: DELETE deletes by RowId, UPDATE
 * deletes every old row and then inserts every new one (so that
 * `SET id = id + ...`-like permutations of unique values do not collide
 * half-way), INSERT inserts its literal rows.  The caller wraps all this
 * in a transaction: on an error some rows may already have changed.
 *
 * sql_run_naive ignores the plan (full scans, nested loops) and is the
 * reference the tests hold the planned evaluation to.
 *
 * Book: chapter 25, book/25-sql.md
 */
#include <string.h>

#include "../db/bsatn.h"
#include "../db/key.h"
#include "../util/alloc.h"
#include "sql.h"

typedef struct Run {
    SqlQuery *q;
    SqlResult *res;
    SqlError *err;
    BsatnSpan *spans[2];
    SqlRow row;
    RowId outer_id;
    uint64_t emitted;
    bool stop;
    StrBuf tmp;                   /* a projected row */
    StrBuf key, khi;              /* join probe keys (alive while the probe runs) */
    VEC(RowId) ids;               /* DML: rows to change */
    RowList newrows;              /* UPDATE: their replacements */
} Run;

bool sql_pred_eval(const SqlExpr *e, const SqlRow *row)
{
    if (!e)
        return true;
    switch (e->kind) {
    case SQL_EXPR_AND: return sql_pred_eval(e->l, row) && sql_pred_eval(e->r, row);
    case SQL_EXPR_OR: return sql_pred_eval(e->l, row) || sql_pred_eval(e->r, row);
    case SQL_EXPR_NOT: return !sql_pred_eval(e->l, row);
    case SQL_EXPR_LIT: return e->b;
    case SQL_EXPR_CMP: break;
    default: return false;
    }
    const SqlExpr *l = e->l, *r = e->r;
    const uint8_t *a = row->bytes[l->rel] + row->spans[l->rel][l->col].off;
    const uint8_t *b = r->kind == SQL_EXPR_COL ? row->bytes[r->rel] + row->spans[r->rel][r->col].off
                                               : r->val;
    int c = bsatn_compare(e->ts, e->type, a, b);
    switch (e->op) {
    case SQL_EQ: return c == 0;
    case SQL_NE: return c != 0;
    case SQL_LT: return c < 0;
    case SQL_LE: return c <= 0;
    case SQL_GT: return c > 0;
    default: return c >= 0;
    }
}

/* ---- results ---- */

void sql_result_init(SqlResult *r)
{
    memset(r, 0, sizeof *r);
    arena_init(&r->arena);
    rowlist_init(&r->rows);
}

void sql_result_fini(SqlResult *r)
{
    rowlist_fini(&r->rows);
    arena_fini(&r->arena);
    memset(r, 0, sizeof *r);
}

/* The result's columns: q's columns, or those of the starred table. */
static Status result_columns(SqlQuery *q, SqlResult *res)
{
    if (q->stmt->kind != SQL_SELECT)
        return ST_OK;
    const AlgType *row = q->star_rel >= 0 ? table_row_type(q->rels[q->star_rel].table) : NULL;
    uint32_t n = row ? row->nmembers : q->ncols;
    if (!(res->cols = arena_calloc(&res->arena, n + 1, sizeof *res->cols)))
        return ST_NOMEM;
    res->ncols = n;
    for (uint32_t i = 0; i < n; i++) {
        SqlColumn c = row ? (SqlColumn){ .name = row->members[i].name,
                                         .ts = table_typespace(q->rels[q->star_rel].table),
                                         .type = row->members[i].type, .rel = q->star_rel,
                                         .col = (uint16_t)i }
                          : q->cols[i];
        if (c.name && !(c.name = arena_strndup(&res->arena, c.name, strlen(c.name))))
            return ST_NOMEM;
        res->cols[i] = c;
    }
    return ST_OK;
}

/* One matching row (or row pair). */
static Status emit(Run *r)
{
    SqlQuery *q = r->q;
    const SqlStmt *s = q->stmt;
    if (s->kind != SQL_SELECT) {
        if (vec_push(&r->ids, r->outer_id) != ST_OK)
            return ST_NOMEM;
        return ST_OK;
    }
    if (s->count) {
        r->emitted++;
        return ST_OK;
    }
    if (s->has_limit && r->emitted >= s->limit) {
        r->stop = true;
        return ST_OK;
    }
    r->emitted++;
    if (q->star_rel >= 0) {
        const BsatnSpan *sp = r->spans[q->star_rel];
        uint32_t n = q->rels[q->star_rel].ncols;
        size_t len = n ? sp[n - 1].off + sp[n - 1].len : 0;
        return rowlist_push(&r->res->rows, r->row.bytes[q->star_rel], len);
    }
    strbuf_clear(&r->tmp);
    for (uint32_t i = 0; i < q->ncols; i++) {
        const SqlColumn *c = &q->cols[i];
        const BsatnSpan *sp = &r->spans[c->rel][c->col];
        if (strbuf_append(&r->tmp, r->row.bytes[c->rel] + sp->off, sp->len) != ST_OK)
            return ST_NOMEM;
    }
    return rowlist_push(&r->res->rows, (const uint8_t *)r->tmp.data, r->tmp.len);
}

/* Row bytes of rel -> spans; then check ON/WHERE when `last`. */
static Status visit(Run *r, int rel, const uint8_t *row, size_t len, bool last)
{
    SqlQuery *q = r->q;
    DbError dberr;
    Table *t = q->rels[rel].table;
    if (bsatn_product_spans(table_typespace(t), table_row_type(t), row, len, r->spans[rel],
                            &dberr) != ST_OK)
        return sql_error(r->err, ST_INVALID, 0, "corrupt row: %s", dberr.msg);
    r->row.bytes[rel] = row;
    if (!last)
        return ST_OK;
    if (sql_pred_eval(q->stmt->on, &r->row) && sql_pred_eval(q->stmt->where, &r->row))
        return emit(r);
    return ST_OK;
}

/* Open a cursor on rel for an access path. */
static Status open_access(Run *r, int rel, const SqlAccess *a, TableCursor *c)
{
    Table *t = r->q->rels[rel].table;
    DbError dberr;
    if (a->kind == SQL_ACCESS_SCAN)
        table_cursor_all(t, c);
    else if (a->kind == SQL_ACCESS_POINT)
        table_cursor_point(t, a->index, a->key, a->keylen, c);
    else if (table_cursor_range(t, a->index, a->lo, a->hi, c, &dberr) != ST_OK)
        return sql_error(r->err, dberr.status, 0, "%s", dberr.msg);
    return ST_OK;
}

/* Every row of cursor c through visit(); closes c. */
static Status drain(Run *r, int rel, TableCursor *c, bool last, Status (*inner)(Run *))
{
    RowId id;
    const uint8_t *row;
    size_t len;
    Status st = ST_OK;
    while (st == ST_OK && !r->stop && table_cursor_next(c, &id, &row, &len)) {
        r->outer_id = id;
        st = visit(r, rel, row, len, last);
        if (st == ST_OK && inner)
            st = inner(r);
    }
    if (st == ST_OK && (st = table_cursor_status(c)) != ST_OK)
        sql_error(r->err, st, 0, "out of memory");
    table_cursor_fini(c);
    return st;
}

Status sql_join_cursor(const SqlQuery *q, int rel, const uint8_t *val, StrBuf *key,
                       StrBuf *khi, TableCursor *c, SqlError *err)
{
    const SqlJoinIndex *j = &q->plan.join[rel];
    Table *t = q->rels[rel].table;
    strbuf_clear(key);
    strbuf_clear(khi);
    if (key_encode_value(table_typespace(t), table_row_type(t)->members[j->col].type, val,
                         key) != ST_OK ||
        strbuf_append(khi, key->data, key->len) != ST_OK)
        return sql_error(err, ST_NOMEM, 0, "out of memory");
    if (j->point) {
        table_cursor_point(t, j->index, (const uint8_t *)key->data, key->len, c);
        return ST_OK;
    }
    /* prefix range: [key, succ(key)) holds every key starting with key */
    BTreeBound lo = { BOUND_INCLUDED, (const uint8_t *)key->data, key->len };
    BTreeBound hi = { BOUND_UNBOUNDED, NULL, 0 };
    while (khi->len > 0 && (uint8_t)khi->data[khi->len - 1] == 0xFF)
        khi->len--;
    if (khi->len > 0) {
        khi->data[khi->len - 1]++;
        hi = (BTreeBound){ BOUND_EXCLUDED, (const uint8_t *)khi->data, khi->len };
    }
    DbError dberr;
    if (table_cursor_range(t, j->index, lo, hi, c, &dberr) != ST_OK)
        return sql_error(err, dberr.status, 0, "%s", dberr.msg);
    return ST_OK;
}

/* Joins: the inner rows for the current outer row. */
static Status probe(Run *r)
{
    const SqlPlan *p = &r->q->plan;
    TableCursor c;
    Status st;
    if (p->inner_indexed) {
        const uint8_t *val = r->row.bytes[p->outer] + r->spans[p->outer][p->outer_col].off;
        st = sql_join_cursor(r->q, p->inner, val, &r->key, &r->khi, &c, r->err);
    } else {
        SqlAccess a = { .kind = SQL_ACCESS_SCAN };
        st = open_access(r, p->inner, &a, &c);
    }
    if (st != ST_OK)
        return st;
    return drain(r, p->inner, &c, true, NULL);
}

/* ---- DML ---- */

static Status dml_error(Run *r, const DbError *e)
{
    return sql_error(r->err, e->status, 0, "%s", e->msg);
}

static Status run_insert(Run *r)
{
    SqlQuery *q = r->q;
    const SqlStmt *s = q->stmt;
    Table *t = q->rels[0].table;
    for (uint32_t i = 0; i < s->nrows; i++) {
        strbuf_clear(&r->tmp);
        for (uint32_t j = 0; j < s->ncols; j++) {
            const SqlExpr *v = s->values[i * s->ncols + j];
            if (strbuf_append(&r->tmp, v->val, v->vlen) != ST_OK)
                return sql_error(r->err, ST_NOMEM, 0, "out of memory");
        }
        TableWrite w;
        DbError e;
        if (table_insert(t, (const uint8_t *)r->tmp.data, r->tmp.len, NULL, &w, &e) != ST_OK)
            return dml_error(r, &e);
        r->res->inserted += w.changed;
    }
    return ST_OK;
}

/* UPDATE: the new version of every collected row. */
static Status updated_rows(Run *r)
{
    SqlQuery *q = r->q;
    Table *t = q->rels[0].table;
    for (size_t i = 0; i < r->ids.len; i++) {
        size_t len;
        const uint8_t *row = table_row(t, r->ids.items[i], &len);
        DbError e;
        if (!row || bsatn_product_spans(table_typespace(t), table_row_type(t), row, len,
                                        r->spans[0], &e) != ST_OK)
            return sql_error(r->err, ST_INVALID, 0, "row vanished during UPDATE");
        strbuf_clear(&r->tmp);
        Status st = ST_OK;
        for (uint32_t c = 0; c < q->rels[0].ncols && st == ST_OK; c++) {
            const uint8_t *p = row + r->spans[0][c].off;
            size_t n = r->spans[0][c].len;
            for (uint32_t k = 0; k < q->stmt->nsets; k++)
                if (q->set_cols[k] == c)
                    p = q->stmt->sets[k].value->val, n = q->stmt->sets[k].value->vlen;
            st = strbuf_append(&r->tmp, p, n);
        }
        if (st == ST_OK)
            st = rowlist_push(&r->newrows, (const uint8_t *)r->tmp.data, r->tmp.len);
        if (st != ST_OK)
            return sql_error(r->err, ST_NOMEM, 0, "out of memory");
    }
    return ST_OK;
}

/* DELETE / UPDATE after the matching rows are collected in r->ids. */
static Status apply_changes(Run *r)
{
    SqlQuery *q = r->q;
    Table *t = q->rels[0].table;
    bool update = q->stmt->kind == SQL_UPDATE;
    DbError e;
    Status st = update ? updated_rows(r) : ST_OK;
    for (size_t i = 0; st == ST_OK && i < r->ids.len; i++)
        if (table_delete_rowid(t, r->ids.items[i], &e) != ST_OK)
            return dml_error(r, &e);
    if (!update) {
        r->res->deleted += r->ids.len;
        return st;
    }
    for (size_t i = 0; st == ST_OK && i < r->newrows.count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(&r->newrows, i, &len);
        if (table_insert(t, row, len, NULL, NULL, &e) != ST_OK)
            return dml_error(r, &e);
        r->res->updated++;
    }
    return st;
}

/* ---- driving ---- */

static Status run(SqlQuery *q, SqlResult *res, SqlError *err, bool naive)
{
    Run r = { .q = q, .res = res, .err = err };
    strbuf_init(&r.tmp);
    strbuf_init(&r.key);
    strbuf_init(&r.khi);
    rowlist_init(&r.newrows);
    Status st = result_columns(q, res);
    for (uint32_t i = 0; i < q->nrels && st == ST_OK; i++) {
        r.spans[i] = mem_calloc(q->rels[i].ncols + 1, sizeof *r.spans[i]);
        r.row.spans[i] = r.spans[i];
        if (!r.spans[i])
            st = ST_NOMEM;
    }
    if (st != ST_OK) {
        sql_error(err, st, 0, "out of memory");
    } else if (q->stmt->kind == SQL_INSERT) {
        st = run_insert(&r);
    } else {
        SqlPlan p = q->plan;
        if (naive) {
            p.access = (SqlAccess){ .kind = SQL_ACCESS_SCAN, .range_col = -1 };
            p.outer = 0;
            p.inner = q->nrels == 2 ? 1 : -1;
            p.inner_indexed = false;
        }
        SqlPlan saved = q->plan;
        q->plan = p;
        TableCursor c;
        st = open_access(&r, p.outer, &p.access, &c);
        if (st == ST_OK)
            st = drain(&r, p.outer, &c, p.inner < 0, p.inner < 0 ? NULL : probe);
        q->plan = saved;
    }
    if (st == ST_OK && q->stmt->kind == SQL_SELECT && q->stmt->count &&
        !(q->stmt->has_limit && q->stmt->limit == 0)) {
        uint8_t n[8];
        for (int i = 0; i < 8; i++)
            n[i] = (uint8_t)(r.emitted >> (8 * i));
        if ((st = rowlist_push(&res->rows, n, 8)) != ST_OK)
            sql_error(err, st, 0, "out of memory");
    }
    if (st == ST_OK && (q->stmt->kind == SQL_UPDATE || q->stmt->kind == SQL_DELETE))
        st = apply_changes(&r);
    for (int i = 0; i < 2; i++)
        mem_free(r.spans[i]);
    vec_fini(&r.ids);
    rowlist_fini(&r.newrows);
    strbuf_fini(&r.tmp);
    strbuf_fini(&r.key);
    strbuf_fini(&r.khi);
    return st;
}

Status sql_run(SqlQuery *q, SqlResult *res, SqlError *err)
{
    return run(q, res, err, false);
}

Status sql_run_naive(SqlQuery *q, SqlResult *res, SqlError *err)
{
    return run(q, res, err, true);
}

Status sql_exec(const SqlCtx *ctx, const char *text, size_t len, SqlResult *res, SqlError *err)
{
    SqlQuery *q;
    Status st = sql_query_new(ctx, text, len, &q, err);
    if (st != ST_OK)
        return st;
    st = sql_run(q, res, err);
    sql_query_free(q);
    return st;
}
