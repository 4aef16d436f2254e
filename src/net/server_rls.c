/*
 * server_rls.c - row-level security: a module's client_visibility_filter
 * rules decide which rows of a table each non-owner may see
 * (client-protocol.md section 6.6).
 *
 * A rule is SQL in the subscription grammar over one table, usually with
 * :sender:
 *
 *     SELECT * FROM note WHERE owner = :sender
 *
 * A row of table t is visible to client C iff t has no rule, or at least
 * one of t's rules admits it with :sender = C's identity (several rules on
 * one table form a union).  The owner bypasses every rule.
 *
 * How: rather than filter results afterwards (impossible for COUNT(*),
 * LIMIT or a column list, whose rows no longer carry the table's
 * columns), the rules are folded into the client's query once, when it
 * is compiled:
 *
 *   SELECT * FROM note WHERE text = 'x'           (the client's query)
 *     + rules on note, compiled with :sender = C
 *   ─► WHERE (text = 'x') AND (owner = 0xC... OR shared = true)
 *
 * Each rule is compiled on its own (owner rights, so it resolves like
 * module code), and its checked predicate is copied into the query's
 * arena with its column references pointed at the query's rel for that
 * table.  The planner has already chosen an access path from the
 * original WHERE; that stays correct, because the evaluator tests the
 * whole WHERE on every candidate row (book chapter 25), and a subscription's
 * per-commit delta test (sql_pred_eval of the WHERE) now includes the
 * rules too: initial rows, deltas and one-off answers agree.
 *
 * Limits: SpacetimeDB lets a rule join other tables (and expands rules
 * recursively, refusing cycles); tinystdb accepts single-table rules only
 * and fails a query touching a table with any other rule, naming it
 * (failing closed: never show rows a rule might hide).
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include "server_rls.h"

#include <string.h>

/* A deep copy of checked expression e in arena a, its column
 * references moved to rel.  NULL when out of memory. */
static SqlExpr *copy_expr(Arena *a, const SqlExpr *e, int rel)
{
    SqlExpr *c = arena_alloc(a, sizeof *c);
    if (!c)
        return NULL;
    *c = *e;
    c->rel = rel;
    if ((e->text && !(c->text = arena_strndup(a, e->text, e->len))) ||
        (e->qual && !(c->qual = arena_strndup(a, e->qual, strlen(e->qual)))) ||
        (e->name && !(c->name = arena_strndup(a, e->name, strlen(e->name)))))
        return NULL;
    if (e->val && !(c->val = arena_alloc(a, e->vlen ? e->vlen : 1)))
        return NULL;
    if (e->val)
        memcpy(c->val, e->val, e->vlen);
    if ((e->l && !(c->l = copy_expr(a, e->l, rel))) || (e->r && !(c->r = copy_expr(a, e->r, rel))))
        return NULL;
    return c;
}

/* l AND r, l OR r (l may be NULL: then r itself). */
static SqlExpr *join_expr(Arena *a, SqlExprKind kind, SqlExpr *l, SqlExpr *r)
{
    if (!l)
        return r;
    SqlExpr *e = arena_calloc(a, 1, sizeof *e);
    if (e) {
        e->kind = kind;
        e->l = l;
        e->r = r;
    }
    return e;
}

/* Rule text compiled for sender `who`: a one-table SELECT. */
static Status compile_rule(const Database *db, const Identity *who, const char *sql,
                           SqlQuery **out, SqlError *err)
{
    SqlCtx ctx = { .db = module_db(db->hm), .mode = SQL_MODE_SUBSCRIPTION, .owner = true };
    memcpy(ctx.sender, who->le, sizeof ctx.sender);
    SqlError rerr = { .status = ST_OK };
    Status st = sql_query_new(&ctx, sql, strlen(sql), out, &rerr);
    if (st == ST_OK && (*out)->nrels != 1) {
        sql_query_free(*out);
        st = sql_error(&rerr, ST_UNSUPPORTED, 0, "tinystdb supports only single-table rules");
    }
    if (st != ST_OK) {
        *out = NULL;
        return sql_error(err, st, 0, "row-level security rule `%s`: %s", sql, rerr.msg);
    }
    return ST_OK;
}

Status server_rls_apply(const Database *db, const Identity *who, SqlQuery *q, SqlError *err)
{
    const ModuleDef *def = module_def(db->hm);
    if (identity_equal(who, &db->owner) || def->nrls == 0 || q->stmt->kind != SQL_SELECT)
        return ST_OK;
    SqlExpr *guard[2] = { NULL, NULL };   /* per rel: the union of its rules */
    for (uint32_t i = 0; i < def->nrls; i++) {
        SqlQuery *rule;
        Status st = compile_rule(db, who, def->rls[i], &rule, err);
        if (st != ST_OK)
            return st;
        for (uint32_t r = 0; r < q->nrels && st == ST_OK; r++) {
            if (q->rels[r].table_id != rule->rels[0].table_id)
                continue;
            /* A rule without WHERE admits every row: `true`. */
            static const SqlExpr yes = { .kind = SQL_EXPR_LIT, .lit = SQL_LIT_BOOL, .b = true };
            const SqlExpr *pred = rule->stmt->where ? rule->stmt->where : &yes;
            SqlExpr *e = copy_expr(&q->arena, pred, (int)r);
            if (!e || !(guard[r] = join_expr(&q->arena, SQL_EXPR_OR, guard[r], e)))
                st = sql_error(err, ST_NOMEM, 0, "out of memory");
        }
        sql_query_free(rule);
        if (st != ST_OK)
            return st;
    }
    for (uint32_t r = 0; r < q->nrels; r++) {
        if (guard[r] && !(q->stmt->where = join_expr(&q->arena, SQL_EXPR_AND, q->stmt->where,
                                                      guard[r])))
            return sql_error(err, ST_NOMEM, 0, "out of memory");
    }
    return ST_OK;
}

bool server_rls_guarded(const Database *db, const Identity *who, uint32_t table_id)
{
    const ModuleDef *def = module_def(db->hm);
    if (identity_equal(who, &db->owner))
        return false;
    for (uint32_t i = 0; i < def->nrls; i++) {
        SqlQuery *rule;
        SqlError err;
        if (compile_rule(db, who, def->rls[i], &rule, &err) != ST_OK)
            return true;              /* a rule we cannot read: hide rather than leak */
        bool hit = rule->rels[0].table_id == table_id;
        sql_query_free(rule);
        if (hit)
            return true;
    }
    return false;
}
