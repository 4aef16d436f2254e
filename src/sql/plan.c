/*
 * plan.c - choosing how to read each table, and EXPLAIN.
 *
 * The WHERE clause is split into its top-level AND terms ("conjuncts").
 * A conjunct `col op literal` (op not <>) on the table being read can
 * narrow the rows an index has to look at.  For each index of the table
 * we count how many leading key columns are fixed by `=` conjuncts and
 * whether the next key column has a lower and/or upper bound:
 *
 *   index (a, b, c), WHERE a = 1 AND b > 5 AND b <= 9 AND x = 2
 *     a fixed (neq = 1), b bounded on both sides, c free
 *     -> keys from  key(1) ++ key(5)  to  succ(key(1) ++ key(9))
 *
 * All key columns fixed is a point lookup (any index kind; hash indexes
 * allow nothing else); otherwise a B-tree range.  The best index wins by
 * score: 4 per fixed column, 2 for a whole key, 1 per bound.  No usable
 * conjunct: a full scan.
 *
 * Bounds may be loose (a superset of the matching keys): eval.c always
 * re-checks the whole WHERE on every row an access path yields, so the
 * plan only has to never MISS a row.  That keeps multi-column bounds
 * simple: key(v) ++ anything sorts after key(v) and before succ(key(v))
 * (the shortest byte string greater than every key starting with key(v)),
 * because key encodings are order-preserving and prefix-free (key.h).
 * On the last key column, where no suffix follows, bounds are exact.
 *
 * Joins (2 tables): the left table is read with the best access path for
 * its own conjuncts; for each of its rows the right table is probed
 * through an index whose first column is the join column (a point lookup
 * when that is the whole key).  When only the left join column is
 * indexed the two sides swap; when both are, the side whose own
 * conjuncts score best is read first.  Without any such index the inner side is
 * a full scan.  Subscriptions need an index on BOTH join columns: their
 * per-commit delta (delta.c) probes each side with the other side's
 * changed rows.  (SpacetimeDB asks only that its plan has no non-index
 * join; tinystdb is stricter so that no commit ever scans a table.)
 *
 * Book: chapter 25, book/25-sql.md
 */
#include <string.h>

#include "../db/key.h"
#include "../util/alloc.h"
#include "sql.h"

/* ---- conjuncts ---- */

typedef VEC(const SqlExpr *) ExprVec;

static Status conjuncts(const SqlExpr *e, ExprVec *out)
{
    if (!e)
        return ST_OK;
    if (e->kind == SQL_EXPR_AND) {
        Status st = conjuncts(e->l, out);
        return st == ST_OK ? conjuncts(e->r, out) : st;
    }
    return vec_push(out, e);
}

/* `rel.col op literal` usable by an index? */
static bool sargable(const SqlExpr *c, int rel, uint16_t col, bool eq)
{
    return c->kind == SQL_EXPR_CMP && c->l->rel == rel && c->l->col == col && c->r->val &&
           (eq ? c->op == SQL_EQ : c->op != SQL_EQ && c->op != SQL_NE);
}

static const SqlExpr *find_conj(const ExprVec *cs, int rel, uint16_t col, bool eq, bool lower)
{
    for (size_t i = 0; i < cs->len; i++) {
        const SqlExpr *c = cs->items[i];
        if (sargable(c, rel, col, eq) &&
            (eq || lower == (c->op == SQL_GT || c->op == SQL_GE)))
            return c;
    }
    return NULL;
}

/* ---- keys ---- */

/* Copy b into the arena as a bound. */
static Status bound(SqlQuery *q, BTreeBound *bd, BoundKind kind, const StrBuf *b)
{
    bd->kind = kind;
    bd->len = b->len;
    bd->key = NULL;
    if (kind == BOUND_UNBOUNDED)
        return ST_OK;
    uint8_t *k = arena_alloc(&q->arena, b->len + 1);
    if (!k)
        return ST_NOMEM;
    memcpy(k, b->data, b->len);
    bd->key = k;
    return ST_OK;
}

/* The smallest key above every key starting with b: drop trailing 0xFF
 * bytes, add one to the last.  UNBOUNDED if there is none. */
static Status succ_bound(SqlQuery *q, BTreeBound *bd, StrBuf *b)
{
    while (b->len > 0 && (uint8_t)b->data[b->len - 1] == 0xFF)
        b->len--;
    if (b->len == 0)
        return bound(q, bd, BOUND_UNBOUNDED, b);
    b->data[b->len - 1]++;
    return bound(q, bd, BOUND_EXCLUDED, b);
}

static Status key_of(const SqlExpr *c, StrBuf *b)
{
    return key_encode_value(c->ts, c->type, c->r->val, b);
}

/* ---- access paths ---- */

/* Score index `ix` of rel for the conjuncts; fills a (without keys). */
static unsigned score(const SqlQuery *q, int rel, uint32_t ix, const ExprVec *cs, SqlAccess *a)
{
    IndexInfo info;
    table_index_info(q->rels[rel].table, ix, &info);
    memset(a, 0, sizeof *a);
    a->index = ix;
    a->range_col = -1;
    while (a->neq < info.ncols && find_conj(cs, rel, info.cols[a->neq], true, false))
        a->neq++;
    if (a->neq == info.ncols) {
        a->kind = SQL_ACCESS_POINT;
        return 4 * a->neq + 2;
    }
    if (info.algo == INDEX_HASH)
        return 0;
    a->kind = SQL_ACCESS_RANGE;
    a->lo_expr = find_conj(cs, rel, info.cols[a->neq], false, true);
    a->hi_expr = find_conj(cs, rel, info.cols[a->neq], false, false);
    if (a->lo_expr || a->hi_expr)
        a->range_col = info.cols[a->neq];
    return 4 * a->neq + (a->lo_expr != NULL) + (a->hi_expr != NULL);
}

/* The key bytes of a chosen access path. */
static Status build_keys(SqlQuery *q, int rel, const ExprVec *cs, SqlAccess *a)
{
    IndexInfo info;
    table_index_info(q->rels[rel].table, a->index, &info);
    StrBuf b;
    strbuf_init(&b);
    Status st = ST_OK;
    for (uint32_t i = 0; i < a->neq && st == ST_OK; i++)
        st = key_of(find_conj(cs, rel, info.cols[i], true, false), &b);
    if (st == ST_OK && a->kind == SQL_ACCESS_POINT) {
        a->keylen = b.len;
        st = (a->key = arena_alloc(&q->arena, b.len + 1)) ? ST_OK : ST_NOMEM;
        if (st == ST_OK)
            memcpy(a->key, b.data, b.len);
    } else if (st == ST_OK) {
        bool last = a->neq + 1 == info.ncols;
        size_t plen = b.len;
        if (a->lo_expr && (st = key_of(a->lo_expr, &b)) == ST_OK)
            st = bound(q, &a->lo, last && a->lo_expr->op == SQL_GT ? BOUND_EXCLUDED
                                                                   : BOUND_INCLUDED, &b);
        else if (st == ST_OK)
            st = bound(q, &a->lo, plen ? BOUND_INCLUDED : BOUND_UNBOUNDED, &b);
        b.len = plen;
        if (st == ST_OK && a->hi_expr && (st = key_of(a->hi_expr, &b)) == ST_OK)
            st = a->hi_expr->op == SQL_LT ? bound(q, &a->hi, BOUND_EXCLUDED, &b)
                 : last                  ? bound(q, &a->hi, BOUND_INCLUDED, &b)
                                         : succ_bound(q, &a->hi, &b);
        else if (st == ST_OK)
            st = succ_bound(q, &a->hi, &b);
    }
    strbuf_fini(&b);
    return st;
}

/* The best access path of rel for the conjuncts (keys not built yet);
 * returns its score, 0 for a full scan. */
static unsigned best_access(const SqlQuery *q, int rel, const ExprVec *cs, SqlAccess *best)
{
    unsigned best_score = 0;
    memset(best, 0, sizeof *best);
    best->kind = SQL_ACCESS_SCAN;
    best->range_col = -1;
    for (uint32_t i = 0; i < table_index_count(q->rels[rel].table); i++) {
        SqlAccess a;
        unsigned s = score(q, rel, i, cs, &a);
        if (s > best_score) {
            best_score = s;
            *best = a;
        }
    }
    return best_score;
}

static Status choose_access(SqlQuery *q, int rel, const ExprVec *cs, SqlAccess *best)
{
    return best_access(q, rel, cs, best) ? build_keys(q, rel, cs, best) : ST_OK;
}

/* Both join columns indexed: read first the side the WHERE narrows
 * best (`... WHERE member.id = 7` starts at member, not at a scan). */
static void choose_outer(SqlQuery *q, const ExprVec *cs)
{
    SqlPlan *p = &q->plan;
    SqlAccess a;
    if (!p->join[0].ok || !p->join[1].ok ||
        best_access(q, 1, cs, &a) <= best_access(q, 0, cs, &a))
        return;
    p->outer = 1;
    p->inner = 0;
    p->outer_col = p->join[1].col;
    p->inner_col = p->join[0].col;
    p->inner_index = p->join[0].index;
    p->inner_point = p->join[0].point;
}

/* An index of rel whose first key column is col: point (whole key) best. */
static bool join_index(const SqlQuery *q, int rel, uint16_t col, uint32_t *ix, bool *point)
{
    bool found = false;
    for (uint32_t i = 0; i < table_index_count(q->rels[rel].table); i++) {
        IndexInfo info;
        table_index_info(q->rels[rel].table, i, &info);
        bool whole = info.ncols == 1;
        if (info.cols[0] != col || (!whole && info.algo == INDEX_HASH) || (found && *point))
            continue;
        *ix = i;
        *point = whole;
        found = true;
    }
    return found;
}

static Status plan_join(SqlQuery *q, SqlError *err)
{
    SqlPlan *p = &q->plan;
    const SqlExpr *on = q->stmt->on;
    if (!on) {
        p->inner = 1 - p->outer;
        return q->ctx.mode == SQL_MODE_SUBSCRIPTION
                   ? sql_error(err, ST_INVALID, 0, "Subscriptions require indexes on join columns")
                   : ST_OK;
    }
    const SqlExpr *c[2] = { on->l->rel == 0 ? on->l : on->r, on->l->rel == 0 ? on->r : on->l };
    for (int r = 0; r < 2; r++) {
        SqlJoinIndex *j = &p->join[r];
        j->col = c[r]->col;
        j->ok = join_index(q, r, j->col, &j->index, &j->point);
    }
    /* the inner side is probed by index: rel 1 if it can be, else rel 0 */
    p->inner = p->join[1].ok || !p->join[0].ok ? 1 : 0;
    p->outer = 1 - p->inner;
    p->outer_col = p->join[p->outer].col;
    p->inner_col = p->join[p->inner].col;
    p->inner_indexed = p->join[p->inner].ok;
    p->inner_index = p->join[p->inner].index;
    p->inner_point = p->join[p->inner].point;
    /* A subscription's delta probes each side with the other side's
     * changed rows (sql_delta_eval): both sides need their index. */
    if ((!p->join[0].ok || !p->join[1].ok) && q->ctx.mode == SQL_MODE_SUBSCRIPTION)
        return sql_error(err, ST_INVALID, on->pos, "Subscriptions require indexes on join columns");
    return ST_OK;
}

Status sql_plan(SqlQuery *q, SqlError *err)
{
    SqlPlan *p = &q->plan;
    memset(p, 0, sizeof *p);
    p->inner = -1;
    p->access.kind = SQL_ACCESS_SCAN;
    p->access.range_col = -1;
    if (q->stmt->kind == SQL_INSERT)
        return ST_OK;
    Status st = q->nrels == 2 ? plan_join(q, err) : ST_OK;
    if (st != ST_OK)
        return st;
    ExprVec cs = { 0 };
    st = conjuncts(q->stmt->where, &cs);
    if (st == ST_OK && q->nrels == 2 && q->stmt->on)
        choose_outer(q, &cs);
    if (st == ST_OK)
        st = choose_access(q, p->outer, &cs, &p->access);
    vec_fini(&cs);
    return st == ST_OK ? ST_OK : sql_error(err, st, 0, "out of memory");
}

/* ---- EXPLAIN ---- */

static Status put_src(StrBuf *out, const SqlQuery *q, const SqlExpr *e)
{
    return strbuf_printf(out, "%.*s", (int)(e->end - e->pos), q->text + e->pos);
}

static Status explain_access(const SqlQuery *q, int rel, const SqlAccess *a, StrBuf *out)
{
    const SqlRel *r = &q->rels[rel];
    if (a->kind == SQL_ACCESS_SCAN)
        return strbuf_printf(out, "Seq Scan on %s\n", r->name);
    IndexInfo info;
    table_index_info(r->table, a->index, &info);
    Status st = strbuf_printf(out, "Index %s on %s using %s:", a->kind == SQL_ACCESS_POINT
                              ? "Point Scan" : "Range Scan", r->name, info.name);
    ExprVec cs = { 0 };
    if (st == ST_OK)
        st = conjuncts(q->stmt->where, &cs);
    for (uint32_t i = 0; i < a->neq && st == ST_OK; i++)
        if ((st = strbuf_puts(out, i ? ", " : " ")) == ST_OK)
            st = put_src(out, q, find_conj(&cs, rel, info.cols[i], true, false));
    vec_fini(&cs);
    const SqlExpr *b[2] = { a->lo_expr, a->hi_expr };
    for (int i = 0; i < 2 && st == ST_OK; i++)
        if (b[i]) {
            st = strbuf_puts(out, a->neq || (i && b[0]) ? ", " : " ");
            if (st == ST_OK)
                st = put_src(out, q, b[i]);
        }
    return st == ST_OK ? strbuf_putc(out, '\n') : st;
}

static Status explain_inner(const SqlQuery *q, StrBuf *out)
{
    const SqlPlan *p = &q->plan;
    const SqlRel *in = &q->rels[p->inner], *o = &q->rels[p->outer];
    if (!p->inner_indexed)
        return strbuf_printf(out, "  -> Seq Scan on %s\n", in->name);
    IndexInfo info;
    table_index_info(in->table, p->inner_index, &info);
    return strbuf_printf(out, "  -> Index %s on %s using %s: %s.%s = %s.%s\n",
                         p->inner_point ? "Point Scan" : "Range Scan", in->name, info.name,
                         in->name, table_row_type(in->table)->members[p->inner_col].name,
                         o->name, table_row_type(o->table)->members[p->outer_col].name);
}

Status sql_explain(const SqlQuery *q, StrBuf *out)
{
    const SqlStmt *s = q->stmt;
    static const char *const verb[] = { "Select", "Insert into", "Update", "Delete from" };
    Status st = strbuf_printf(out, "%s", verb[s->kind]);
    if (st == ST_OK && s->kind == SQL_SELECT)
        st = s->count ? strbuf_printf(out, " COUNT(*) AS %s", s->count_alias)
             : q->star_rel >= 0 ? strbuf_printf(out, " %s.*", q->rels[q->star_rel].name)
                                : strbuf_printf(out, " %u columns", q->ncols);
    if (st == ST_OK && s->kind != SQL_SELECT)
        st = strbuf_printf(out, " %s", q->rels[0].name);
    if (st == ST_OK && s->has_limit)
        st = strbuf_printf(out, " LIMIT %llu", (unsigned long long)s->limit);
    if (st == ST_OK)
        st = strbuf_putc(out, '\n');
    if (st != ST_OK || s->kind == SQL_INSERT)
        return st;
    if (q->nrels == 2 && (st = strbuf_puts(out, "Nested Loop\n  -> ")) != ST_OK)
        return st;
    st = explain_access(q, q->plan.outer, &q->plan.access, out);
    if (st == ST_OK && q->nrels == 2)
        st = explain_inner(q, out);
    if (st == ST_OK && s->on && (st = strbuf_puts(out, "Join Filter: ")) == ST_OK &&
        (st = put_src(out, q, s->on)) == ST_OK)
        st = strbuf_putc(out, '\n');
    if (st == ST_OK && s->where && (st = strbuf_puts(out, "Filter: ")) == ST_OK &&
        (st = put_src(out, q, s->where)) == ST_OK)
        st = strbuf_putc(out, '\n');
    return st;
}
