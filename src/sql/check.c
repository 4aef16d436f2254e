/*
 * check.c - name resolution and typing: from an AST to a checked query.
 *
 * Names.  Each table in FROM becomes a rel (SqlRel) named by its alias
 * or, without one, its own name; a column reference [rel.]col is
 * resolved to (rel, column number) against the table's row type.  With
 * two tables every column must be qualified.  A private table seen by a
 * non-owner is reported exactly like a missing one, so that its
 * existence does not leak (client-protocol.md 6.4).
 *
 * Types.  Every comparison is turned around so that its left side is a
 * column; its right side is then a column of the very same type, or a
 * literal that lit.c encodes as a value of the left column's type.  After
 * this pass a predicate is nothing but column positions and BSATN bytes,
 * so evaluation (eval.c) compares bytes with bsatn_compare and never
 * looks at SQL text again.
 *
 *   a.x < 5       ->  CMP(COL rel 0 col 1 : U32,  <,  LIT 05 00 00 00)
 *   5 > a.x       ->  the same (operands swapped, > becomes <)
 *
 * The mode (SqlCtx.mode) decides what the subscription grammar refuses:
 * column lists, COUNT, LIMIT and DML.  DML needs the owner.
 *
 * Book: chapter 25, book/25-sql.md
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"
#include "sql.h"

Status sql_error(SqlError *err, Status st, size_t pos, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = st;
        err->pos = pos;
    }
    return st;
}

/* ---- names ---- */

static Status no_table(SqlError *err, size_t pos, const char *name)
{
    return sql_error(err, ST_NOT_FOUND, pos,
                     "no such table: `%s`. If the table exists, it may be marked private.", name);
}

static Status add_rel(SqlQuery *q, const SqlFrom *f, SqlError *err)
{
    uint32_t id;
    DbError dberr;
    if (db_table_id_from_name(q->ctx.db, f->table, strlen(f->table), &id, &dberr) != ST_OK)
        return no_table(err, f->pos, f->table);
    Table *t = db_table(q->ctx.db, id);
    if (!t || (!table_is_public(t) && !q->ctx.owner))
        return no_table(err, f->pos, f->table);
    const char *name = f->alias ? f->alias : f->table;
    for (uint32_t i = 0; i < q->nrels; i++)
        if (strcmp(q->rels[i].name, name) == 0)
            return sql_error(err, ST_INVALID, f->pos, "Duplicate name `%s`", name);
    SqlRel *r = &q->rels[q->nrels++];
    r->table = t;
    r->table_id = id;
    r->name = name;
    r->ncols = table_row_type(t)->nmembers;
    return ST_OK;
}

static int find_rel(const SqlQuery *q, const char *name)
{
    for (uint32_t i = 0; i < q->nrels; i++)
        if (strcmp(q->rels[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int find_col(const SqlRel *r, const char *name)
{
    const AlgType *row = table_row_type(r->table);
    for (uint32_t i = 0; i < row->nmembers; i++)
        if (row->members[i].name && strcmp(row->members[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* [qual.]name -> (rel, col, type). */
static Status resolve_col(SqlQuery *q, const char *qual, const char *name, size_t pos,
                          int *rel, uint16_t *col, SqlError *err)
{
    if (!qual && q->nrels > 1)
        return sql_error(err, ST_INVALID, pos, "Names must be qualified when using joins");
    int r = qual ? find_rel(q, qual) : 0;
    if (r < 0)
        return sql_error(err, ST_INVALID, pos, "`%s` is not in scope", qual);
    int c = find_col(&q->rels[r], name);
    if (c < 0)
        return sql_error(err, ST_INVALID, pos, "`%s` is not in scope", name);
    *rel = r;
    *col = (uint16_t)c;
    return ST_OK;
}

static Status resolve_expr_col(SqlQuery *q, SqlExpr *e, SqlError *err)
{
    Status st = resolve_col(q, e->qual, e->name, e->pos, &e->rel, &e->col, err);
    if (st == ST_OK) {
        Table *t = q->rels[e->rel].table;
        e->ts = table_typespace(t);
        e->type = table_row_type(t)->members[e->col].type;
    }
    return st;
}

/* ---- predicates ---- */

/* client-protocol.md 6.2: the types a comparison accepts. */
static bool comparable(const Typespace *ts, const AlgType *t)
{
    const AlgType *r = alg_resolve(ts, t);
    if (!r)
        return false;
    if (r->kind >= ALG_BOOL && r->kind <= ALG_F64)
        return true;
    if (r->kind == ALG_STRING || (r->kind == ALG_ARRAY && r->elem->kind == ALG_U8))
        return true;
    AlgSpecial sp = alg_special(r);
    return sp == ALG_SPECIAL_IDENTITY || sp == ALG_SPECIAL_CONNECTION_ID ||
           sp == ALG_SPECIAL_TIMESTAMP || sp == ALG_SPECIAL_UUID;
}

static char *type_text(SqlQuery *q, const Typespace *ts, const AlgType *t)
{
    StrBuf b;
    strbuf_init(&b);
    char *s = NULL;
    if (sql_type_name(ts, t, &b) == ST_OK)
        s = arena_strndup(&q->arena, b.data, b.len);
    strbuf_fini(&b);
    return s ? s : "?";
}

static SqlCmpOp flip(SqlCmpOp op)
{
    switch (op) {
    case SQL_LT: return SQL_GT;
    case SQL_LE: return SQL_GE;
    case SQL_GT: return SQL_LT;
    case SQL_GE: return SQL_LE;
    default: return op;
    }
}

static Status check_cmp(SqlQuery *q, SqlExpr *e, SqlError *err)
{
    static const char *const opname[] = { "=", "<>", "<", "<=", ">", ">=" };
    Status st;
    if (e->l->kind != SQL_EXPR_COL && e->r->kind == SQL_EXPR_COL) {
        SqlExpr *t = e->l;
        e->l = e->r;
        e->r = t;
        e->op = flip(e->op);
    }
    if (e->l->kind != SQL_EXPR_COL)
        return sql_error(err, ST_UNSUPPORTED, e->pos,
                         "Unsupported expression: a comparison needs a column");
    if ((st = resolve_expr_col(q, e->l, err)) != ST_OK)
        return st;
    e->ts = e->l->ts;
    e->type = e->l->type;
    if (!comparable(e->ts, e->type))
        return sql_error(err, ST_INVALID, e->pos, "Invalid binary operator `%s` for type `%s`",
                         opname[e->op], type_text(q, e->ts, e->type));
    if (e->r->kind != SQL_EXPR_COL)
        return sql_lit_encode(q, e->r, e->ts, e->type, err);
    if ((st = resolve_expr_col(q, e->r, err)) != ST_OK)
        return st;
    const char *a = type_text(q, e->ts, e->type), *b = type_text(q, e->r->ts, e->r->type);
    if (strcmp(a, b) != 0)
        return sql_error(err, ST_INVALID, e->r->pos,
                         "Unexpected type: (expected) %s != %s (inferred)", a, b);
    return ST_OK;
}

static Status check_pred(SqlQuery *q, SqlExpr *e, SqlError *err)
{
    Status st;
    switch (e->kind) {
    case SQL_EXPR_CMP: return check_cmp(q, e, err);
    case SQL_EXPR_AND:
    case SQL_EXPR_OR:
        st = check_pred(q, e->l, err);
        return st == ST_OK ? check_pred(q, e->r, err) : st;
    case SQL_EXPR_NOT: return check_pred(q, e->l, err);
    case SQL_EXPR_LIT:
        if (e->lit == SQL_LIT_BOOL)
            return ST_OK;
        /* fall through */
    default:
        return sql_error(err, ST_INVALID, e->pos, "Unexpected type: (expected) Bool != %s",
                         e->kind == SQL_EXPR_COL ? "a column (inferred)" : "a literal (inferred)");
    }
}

/* ---- SELECT ---- */

static Status check_projection(SqlQuery *q, SqlError *err)
{
    SqlStmt *s = q->stmt;
    bool sub = q->ctx.mode == SQL_MODE_SUBSCRIPTION;
    if (s->count || (s->nproj > 0 && !s->proj[0].star)) {
        if (sub)
            return sql_error(err, ST_INVALID, s->nproj ? s->proj[0].pos : 0,
                             "Column projections are not supported in subscriptions; "
                             "Subscriptions must return a table type");
    }
    q->star_rel = -1;
    if (s->count) {
        if (!(q->cols = arena_calloc(&q->arena, 1, sizeof *q->cols)))
            return sql_error(err, ST_NOMEM, 0, "out of memory");
        q->ncols = 1;
        q->cols[0] = (SqlColumn){ .name = s->count_alias, .type = alg_prim(ALG_U64), .rel = -1 };
        return ST_OK;
    }
    if (s->proj[0].star) {
        if (!s->proj[0].qual && q->nrels > 1)
            return sql_error(err, ST_INVALID, s->proj[0].pos, "SELECT * is not supported for joins");
        q->star_rel = s->proj[0].qual ? find_rel(q, s->proj[0].qual) : 0;
        if (q->star_rel < 0)
            return sql_error(err, ST_INVALID, s->proj[0].pos, "`%s` is not in scope",
                             s->proj[0].qual);
        return ST_OK;
    }
    if (!(q->cols = arena_calloc(&q->arena, s->nproj, sizeof *q->cols)))
        return sql_error(err, ST_NOMEM, 0, "out of memory");
    for (uint32_t i = 0; i < s->nproj; i++) {
        SqlProj *p = &s->proj[i];
        SqlColumn *c = &q->cols[q->ncols++];
        Status st = resolve_col(q, p->qual, p->name, p->pos, &c->rel, &c->col, err);
        if (st != ST_OK)
            return st;
        c->ts = table_typespace(q->rels[c->rel].table);
        c->type = table_row_type(q->rels[c->rel].table)->members[c->col].type;
        c->name = p->alias ? p->alias : p->name;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(q->cols[j].name, c->name) == 0)
                return sql_error(err, ST_INVALID, p->pos, "Duplicate name `%s`", c->name);
    }
    return ST_OK;
}

static Status check_select(SqlQuery *q, SqlError *err)
{
    SqlStmt *s = q->stmt;
    Status st = ST_OK;
    for (uint32_t i = 0; i < s->nfrom && st == ST_OK; i++)
        st = add_rel(q, &s->from[i], err);
    if (st == ST_OK && q->ctx.mode == SQL_MODE_SUBSCRIPTION && s->has_limit)
        st = sql_error(err, ST_UNSUPPORTED, 0, "Unsupported: %s", q->text);
    if (st == ST_OK)
        st = check_projection(q, err);
    if (st == ST_OK && s->on) {
        st = check_cmp(q, s->on, err);
        if (st == ST_OK && s->on->l->rel == s->on->r->rel)
            st = sql_error(err, ST_UNSUPPORTED, s->on->pos,
                           "Unsupported: ON must compare columns of the two tables");
    }
    if (st == ST_OK && s->where)
        st = check_pred(q, s->where, err);
    return st;
}

/* ---- DML ---- */

static Status check_insert(SqlQuery *q, SqlError *err)
{
    SqlStmt *s = q->stmt;
    SqlRel *r = &q->rels[0];
    const AlgType *row = table_row_type(r->table);
    if (s->ncols != r->ncols)
        return sql_error(err, ST_INVALID, 0,
                         "The number of fields (%u) in the INSERT does not match the number of "
                         "columns (%u) of the table `%s`", s->ncols, r->ncols, r->name);
    for (uint32_t i = 0; i < s->nrows * s->ncols; i++) {
        Status st = sql_lit_encode(q, s->values[i], table_typespace(r->table),
                                   row->members[i % s->ncols].type, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status check_update(SqlQuery *q, SqlError *err)
{
    SqlStmt *s = q->stmt;
    SqlRel *r = &q->rels[0];
    if (!(q->set_cols = arena_alloc(&q->arena, (s->nsets + 1) * sizeof *q->set_cols)))
        return sql_error(err, ST_NOMEM, 0, "out of memory");
    for (uint32_t i = 0; i < s->nsets; i++) {
        int c = find_col(r, s->sets[i].name);
        if (c < 0)
            return sql_error(err, ST_INVALID, s->sets[i].pos, "`%s` does not have a field `%s`",
                             r->name, s->sets[i].name);
        q->set_cols[i] = (uint16_t)c;
        Status st = sql_lit_encode(q, s->sets[i].value, table_typespace(r->table),
                                   table_row_type(r->table)->members[c].type, err);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

static Status check_dml(SqlQuery *q, SqlError *err)
{
    if (q->ctx.mode == SQL_MODE_SUBSCRIPTION)
        return sql_error(err, ST_UNSUPPORTED, 0, "Unsupported: Non-SELECT queries");
    if (!q->ctx.owner) {
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", q->ctx.sender[31 - i]);
        return sql_error(err, ST_INVALID, 0,
                         "Caller %s is not authorized to run SQL DML statements", hex);
    }
    Status st = add_rel(q, &q->stmt->from[0], err);
    if (st == ST_OK && q->stmt->kind == SQL_INSERT)
        return check_insert(q, err);
    if (st == ST_OK && q->stmt->kind == SQL_UPDATE)
        st = check_update(q, err);
    if (st == ST_OK && q->stmt->where)
        st = check_pred(q, q->stmt->where, err);
    return st;
}

Status sql_check(SqlQuery *q, SqlError *err)
{
    return q->stmt->kind == SQL_SELECT ? check_select(q, err) : check_dml(q, err);
}

/* ---- the query object ---- */

Status sql_query_new(const SqlCtx *ctx, const char *text, size_t len, SqlQuery **out,
                     SqlError *err)
{
    SqlQuery *q = mem_calloc(1, sizeof *q);
    if (!q)
        return sql_error(err, ST_NOMEM, 0, "out of memory");
    arena_init(&q->arena);
    q->ctx = *ctx;
    q->star_rel = -1;
    Status st = ST_OK;
    if (len > SQL_MAX_LEN)
        st = sql_parse(&q->arena, text, len, &q->stmt, err);   /* reports the limit */
    else if (!(q->text = arena_alloc(&q->arena, len + 1)))
        st = sql_error(err, ST_NOMEM, 0, "out of memory");
    else
        memcpy((char *)q->text, text, len), ((char *)q->text)[len] = 0;
    if (st == ST_OK)
        st = sql_parse(&q->arena, q->text, len, &q->stmt, err);
    if (st == ST_OK)
        st = sql_check(q, err);
    if (st == ST_OK)
        st = sql_plan(q, err);
    if (st != ST_OK) {
        sql_query_free(q);
        return st;
    }
    *out = q;
    return ST_OK;
}

void sql_query_free(SqlQuery *q)
{
    if (!q)
        return;
    arena_fini(&q->arena);
    mem_free(q);
}
