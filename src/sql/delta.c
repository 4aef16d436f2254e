/*
 * delta.c - what a committed transaction changed in a query's result,
 * computed from the transaction's delta, never by re-running the query.
 *
 * One table.  `SELECT * FROM t WHERE p`: the rows the transaction
 * inserted into t that satisfy p were gained, the deleted ones that
 * satisfy p were lost.  Nothing else can have changed.
 *
 * Two tables.  Write R and S for the two sides of `R JOIN S ON r.a = s.b`
 * as they are now (after the commit), dR+ / dR- for the rows the commit
 * inserted into / deleted from R (likewise dS+, dS-), and juxtaposition
 * for the join (with the WHERE).  Before the commit R was R - dR+ + dR-
 * (and S likewise), so, counting every row pair with a sign,
 *
 *   after - before = R S - (R - dR+ + dR-)(S - dS+ + dS-)
 *                  = + R dS+   - R dS-   + dR+ S   - dR- S
 *                    - dR+ dS+ + dR+ dS- + dR- dS+ - dR- dS-
 *
 * (SpacetimeDB's subscription crate derives the same eight terms).  The
 * four terms with a whole table are index probes: for each changed row
 * of one side, look up the other side's rows with the same join value
 * through its index on the join column (plan.c insists both exist).  The
 * four delta-by-delta terms are nested loops over changed rows only.
 * So a commit costs (rows changed) x (matching rows), whatever the size
 * of the tables; no term ever needs the state before the commit.
 *
 *          dS+ / dS- rows ──probe R's index on a──► R rows  (R dS±)
 *          dR+ / dR- rows ──probe S's index on b──► S rows  (dR± S)
 *          dR± x dS±      (both sides changed: small loops)
 *
 * Multiplicities.  The result of `SELECT r.* FROM R JOIN S ...` is a bag:
 * an R row matched by two S rows appears twice, in the initial rows as in
 * the updates (SpacetimeDB's bag semantics: a client counts how many
 * pairs hold a row, and drops it when the count reaches zero).  The eight
 * terms give a signed bag of projected rows; consolidate() adds up the
 * signs of equal rows, so a row that gained one pair and lost another
 * is not sent at all, and what remains is exactly the bag difference.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"
#include "sql.h"

typedef struct Signed {           /* one projected row with its sign */
    const uint8_t *row;           /* in a table or a delta: stable during the call */
    size_t len;
    int sign;
} Signed;

typedef struct Delta {
    SqlQuery *q;
    const RowList *ins[2], *del[2];   /* per rel: the commit's rows */
    BsatnSpan *spans[2];
    size_t len[2];
    SqlRow row;
    VEC(Signed) out;
    StrBuf key, khi;              /* probe keys */
    SqlError *err;
} Delta;

static const RowList no_rows;

bool sql_delta_touches(const SqlQuery *q, const TxDelta *d)
{
    for (size_t i = 0; d && i < d->ntables; i++)
        for (uint32_t r = 0; r < q->nrels; r++)
            if (d->tables[i].table_id == q->rels[r].table_id)
                return true;
    return false;
}

/* Make bytes the current row of rel. */
static Status set_row(Delta *x, int rel, const uint8_t *bytes, size_t len)
{
    const Table *t = x->q->rels[rel].table;
    DbError dberr;
    if (bsatn_product_spans(table_typespace(t), table_row_type(t), bytes, len, x->spans[rel],
                            &dberr) != ST_OK)
        return sql_error(x->err, ST_INVALID, 0, "corrupt row: %s", dberr.msg);
    x->row.bytes[rel] = bytes;
    x->len[rel] = len;
    return ST_OK;
}

/* The current row (pair) with sign, if ON and WHERE hold. */
static Status keep(Delta *x, int sign)
{
    const SqlQuery *q = x->q;
    if (!sql_pred_eval(q->stmt->on, &x->row) || !sql_pred_eval(q->stmt->where, &x->row))
        return ST_OK;
    Signed s = { x->row.bytes[q->star_rel], x->len[q->star_rel], sign };
    return vec_push(&x->out, s) == ST_OK ? ST_OK : sql_error(x->err, ST_NOMEM, 0, "out of memory");
}

/* One table: the delta rows of rel 0 that pass WHERE. */
static Status filter(Delta *x, const RowList *rows, int sign)
{
    Status st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < rows->count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(rows, i, &len);
        if ((st = set_row(x, 0, row, len)) == ST_OK)
            st = keep(x, sign);
    }
    return st;
}

/* (other side now) x (rows of rel `drel`): a probe per changed row. */
static Status half(Delta *x, int drel, const RowList *rows, int sign)
{
    int other = 1 - drel;
    uint16_t dcol = x->q->plan.join[drel].col;
    Status st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < rows->count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(rows, i, &len);
        TableCursor c;
        if ((st = set_row(x, drel, row, len)) != ST_OK ||
            (st = sql_join_cursor(x->q, other, row + x->spans[drel][dcol].off, &x->key, &x->khi,
                                  &c, x->err)) != ST_OK)
            return st;
        RowId id;
        const uint8_t *orow;
        size_t olen;
        while (st == ST_OK && table_cursor_next(&c, &id, &orow, &olen))
            if ((st = set_row(x, other, orow, olen)) == ST_OK)
                st = keep(x, sign);
        if (st == ST_OK && (st = table_cursor_status(&c)) != ST_OK)
            sql_error(x->err, st, 0, "out of memory");
        table_cursor_fini(&c);
    }
    return st;
}

/* (changed rows of rel 0) x (changed rows of rel 1). */
static Status both(Delta *x, const RowList *r0, const RowList *r1, int sign)
{
    Status st = ST_OK;
    for (size_t i = 0; st == ST_OK && i < r0->count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(r0, i, &len);
        st = set_row(x, 0, row, len);
        for (size_t j = 0; st == ST_OK && j < r1->count; j++) {
            const uint8_t *row1 = rowlist_get(r1, j, &len);
            if ((st = set_row(x, 1, row1, len)) == ST_OK)
                st = keep(x, sign);
        }
    }
    return st;
}

/* The eight terms of the file comment, R = rel 0, S = rel 1. */
static Status join_terms(Delta *x)
{
    const RowList *i0 = x->ins[0], *d0 = x->del[0], *i1 = x->ins[1], *d1 = x->del[1];
    Status st = half(x, 1, i1, +1);                   /* + R dS+ */
    if (st == ST_OK)
        st = half(x, 1, d1, -1);                      /* - R dS- */
    if (st == ST_OK)
        st = half(x, 0, i0, +1);                      /* + dR+ S */
    if (st == ST_OK)
        st = half(x, 0, d0, -1);                      /* - dR- S */
    if (st == ST_OK)
        st = both(x, i0, i1, -1);                     /* - dR+ dS+ */
    if (st == ST_OK)
        st = both(x, i0, d1, +1);                     /* + dR+ dS- */
    if (st == ST_OK)
        st = both(x, d0, i1, +1);                     /* + dR- dS+ */
    if (st == ST_OK)
        st = both(x, d0, d1, -1);                     /* - dR- dS- */
    return st;
}

static int cmp_signed(const void *pa, const void *pb)
{
    const Signed *a = pa, *b = pb;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->row, b->row, a->len);
}

/* Equal rows' signs summed: a positive sum is that many inserts, a
 * negative one that many deletes (rows sorted by bytes). */
static Status consolidate(Delta *x, RowList *inserts, RowList *deletes)
{
    Signed *v = x->out.items;
    size_t n = x->out.len;
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_signed);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        long sum = 0;
        while (j < n && cmp_signed(&v[i], &v[j]) == 0)
            sum += v[j++].sign;
        for (; sum != 0; sum += sum > 0 ? -1 : 1)
            if (rowlist_push(sum > 0 ? inserts : deletes, v[i].row, v[i].len) != ST_OK)
                return sql_error(x->err, ST_NOMEM, 0, "out of memory");
        i = j;
    }
    return ST_OK;
}

/* The commit's rows of table_id (no_rows when it did not change). */
static void rows_of(const TxDelta *d, uint32_t table_id, const RowList **ins,
                    const RowList **del)
{
    *ins = *del = &no_rows;
    for (size_t i = 0; i < d->ntables; i++)
        if (d->tables[i].table_id == table_id) {
            *ins = &d->tables[i].inserts;
            *del = &d->tables[i].deletes;
        }
}

Status sql_delta_eval(SqlQuery *q, const TxDelta *d, RowList *inserts, RowList *deletes,
                      SqlError *err)
{
    assert(q->stmt->kind == SQL_SELECT && q->star_rel >= 0 && !q->stmt->count &&
           !q->stmt->has_limit);
    if (!sql_delta_touches(q, d))
        return ST_OK;
    Delta x = { .q = q, .err = err };
    strbuf_init(&x.key);
    strbuf_init(&x.khi);
    Status st = ST_OK;
    for (uint32_t r = 0; r < q->nrels && st == ST_OK; r++) {
        rows_of(d, q->rels[r].table_id, &x.ins[r], &x.del[r]);
        x.row.spans[r] = x.spans[r] = mem_calloc(q->rels[r].ncols + 1u, sizeof *x.spans[r]);
        if (!x.spans[r])
            st = sql_error(err, ST_NOMEM, 0, "out of memory");
    }
    if (st == ST_OK && q->nrels == 1) {   /* rows are distinct: no consolidation */
        if ((st = filter(&x, x.del[0], -1)) == ST_OK)
            st = filter(&x, x.ins[0], +1);
        for (size_t i = 0; st == ST_OK && i < x.out.len; i++)
            if (rowlist_push(x.out.items[i].sign > 0 ? inserts : deletes, x.out.items[i].row,
                             x.out.items[i].len) != ST_OK)
                st = sql_error(err, ST_NOMEM, 0, "out of memory");
    } else if (st == ST_OK) {
        assert(q->plan.join[0].ok && q->plan.join[1].ok);
        if ((st = join_terms(&x)) == ST_OK)
            st = consolidate(&x, inserts, deletes);
    }
    for (int r = 0; r < 2; r++)
        mem_free(x.spans[r]);
    vec_fini(&x.out);
    strbuf_fini(&x.key);
    strbuf_fini(&x.khi);
    return st;
}
