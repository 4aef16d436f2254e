/*
 * server_rls.c - row-level security: a module's client_visibility_filter
 * rules decide which rows of a table each non-owner may see
 * (client-protocol.md section 6.6).
 *
 * A rule is SQL in the subscription grammar, usually with :sender, over
 * one table or joining a second one:
 *
 *     SELECT * FROM note WHERE owner = :sender
 *     SELECT m.* FROM message m JOIN member p ON m.room = p.room
 *         WHERE p.identity = :sender
 *
 * The rule guards the table whose rows it returns (note, message).  A
 * row of table t is visible to client C iff t has no rule, or at least
 * one of t's rules returns it with :sender = C's identity (several rules
 * on one table form a union).  The owner bypasses every rule.
 *
 * How: rather than filter results afterwards (impossible for COUNT(*),
 * LIMIT or a column list, whose rows no longer carry the table's
 * columns), the rules are folded into the client's query once, when it
 * is compiled (SpacetimeDB expands them the same way):
 *
 *   SELECT * FROM note WHERE text = 'x'           (the client's query)
 *     + one-table rules on note, compiled with :sender = C
 *   ─► WHERE (text = 'x') AND (owner = 0xC... OR shared = true)
 *
 *   SELECT * FROM message WHERE text = 'x'        + the join rule above
 *   ─► SELECT message.* FROM message JOIN member p ON message.room = p.room
 *        WHERE (text = 'x') AND (p.identity = 0xC...)
 *
 * Each rule is compiled on its own (owner rights, so it resolves like
 * module code), and its checked predicates are copied into the query's
 * arena with their column references moved to the query's rels.  For a
 * one-table rule the planner's access path stays correct, because the
 * evaluator tests the whole WHERE on every candidate row (book chapter
 * 25); a join rule adds a table, so the query is planned again.  Initial
 * rows, deltas (src/sql/delta.c) and one-off answers all see the
 * expanded query, so they agree.  A message in a room where C is a member
 * twice would come twice: joins are bags (delta.c).
 *
 * Limits (each refused with an error naming the table, failing closed:
 * never show rows a rule might hide): a join rule on a table that has
 * other rules too; a join rule applied inside a query that is already a
 * join; a join rule whose other table's own rule joins again.  The other
 * table's one-table rules are applied (SpacetimeDB applies rules
 * recursively; tinystdb goes one level deep).
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include "server_rls.h"

#include <string.h>

#include "../util/alloc.h"

/* A deep copy of checked expression e in arena a, its column
 * references moved from rel i to map[i].  NULL when out of memory. */
static SqlExpr *copy_expr(Arena *a, const SqlExpr *e, const int map[2])
{
    SqlExpr *c = arena_alloc(a, sizeof *c);
    if (!c)
        return NULL;
    *c = *e;
    if (e->kind == SQL_EXPR_COL)
        c->rel = map[e->rel];
    if ((e->text && !(c->text = arena_strndup(a, e->text, e->len))) ||
        (e->qual && !(c->qual = arena_strndup(a, e->qual, strlen(e->qual)))) ||
        (e->name && !(c->name = arena_strndup(a, e->name, strlen(e->name)))))
        return NULL;
    if (e->val && !(c->val = arena_alloc(a, e->vlen ? e->vlen : 1)))
        return NULL;
    if (e->val)
        memcpy(c->val, e->val, e->vlen);
    if ((e->l && !(c->l = copy_expr(a, e->l, map))) || (e->r && !(c->r = copy_expr(a, e->r, map))))
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

/* ---- the module's rules, compiled for one sender ---- */

typedef struct Rules {
    SqlQuery **v;
    uint32_t n;
} Rules;

static void rules_free(Rules *rs)
{
    for (uint32_t i = 0; i < rs->n; i++)
        sql_query_free(rs->v[i]);
    mem_free(rs->v);
    rs->v = NULL;
    rs->n = 0;
}

/* Every rule of db compiled with :sender = who (owner rights, so a rule
 * resolves like module code): `t.*` of one table or of a two-table join. */
static Status rules_compile(const Database *db, const Identity *who, Rules *rs, SqlError *err)
{
    const ModuleDef *def = module_def(db->hm);
    rs->n = 0;
    if (!(rs->v = mem_alloc_array(def->nrls + 1u, sizeof *rs->v)))
        return sql_error(err, ST_NOMEM, 0, "out of memory");
    SqlCtx ctx = { .db = module_db(db->hm), .mode = SQL_MODE_SUBSCRIPTION, .owner = true };
    memcpy(ctx.sender, who->le, sizeof ctx.sender);
    for (uint32_t i = 0; i < def->nrls; i++) {
        const char *sql = def->rls[i];
        SqlError rerr = { .status = ST_OK };
        Status st = sql_query_new(&ctx, sql, strlen(sql), &rs->v[rs->n], &rerr);
        if (st != ST_OK) {
            rules_free(rs);
            return sql_error(err, st, 0, "row-level security rule `%s`: %s", sql, rerr.msg);
        }
        rs->n++;
    }
    return ST_OK;
}

/* The table a rule guards: the one whose rows it returns. */
static uint32_t guarded_id(const SqlQuery *rule)
{
    return rule->rels[rule->star_rel].table_id;
}

/* The rules on table_id as a predicate on rel of q: the union of its
 * one-table rules in *guard (NULL: no such rule), or its one join rule in
 * *join.  A join rule beside other rules on one table is refused. */
static Status guard_of(SqlQuery *q, const Rules *rs, uint32_t table_id, int rel,
                       SqlExpr **guard, const SqlQuery **join, SqlError *err)
{
    static const SqlExpr yes = { .kind = SQL_EXPR_LIT, .lit = SQL_LIT_BOOL, .b = true };
    const int map[2] = { rel, rel };
    uint32_t n = 0;
    *guard = NULL;
    *join = NULL;
    for (uint32_t i = 0; i < rs->n; i++) {
        const SqlQuery *rule = rs->v[i];
        if (guarded_id(rule) != table_id)
            continue;
        n++;
        if (rule->nrels == 2) {
            *join = rule;
            continue;
        }
        /* A rule without WHERE admits every row: `true`. */
        SqlExpr *e = copy_expr(&q->arena, rule->stmt->where ? rule->stmt->where : &yes, map);
        if (!e || !(*guard = join_expr(&q->arena, SQL_EXPR_OR, *guard, e)))
            return sql_error(err, ST_NOMEM, 0, "out of memory");
    }
    if (*join && n > 1)
        return sql_error(err, ST_UNSUPPORTED, 0, "tinystdb cannot combine a row-level security "
                         "rule that joins with other rules on the same table `%s`",
                         table_name(db_table(q->ctx.db, table_id)));
    return ST_OK;
}

/* q (one table, the one `rule` guards) becomes the rule's join: the
 * rule's other table is added as rel 1, its ON becomes q's, and its
 * WHERE is ANDed to q's.  As SpacetimeDB does, q is then planned again. */
static Status expand(SqlQuery *q, const SqlQuery *rule, SqlError *err)
{
    int g = rule->star_rel, o = 1 - g;
    int map[2];
    map[g] = 0;
    map[o] = 1;
    const SqlRel *src = &rule->rels[o];
    SqlRel *dst = &q->rels[1];
    *dst = *src;
    dst->name = arena_strndup(&q->arena, src->name, strlen(src->name));
    q->stmt->on = copy_expr(&q->arena, rule->stmt->on, map);
    SqlExpr *w = rule->stmt->where ? copy_expr(&q->arena, rule->stmt->where, map) : NULL;
    if (!dst->name || !q->stmt->on || (rule->stmt->where && !w) ||
        (w && !(q->stmt->where = join_expr(&q->arena, SQL_EXPR_AND, q->stmt->where, w))))
        return sql_error(err, ST_NOMEM, 0, "out of memory");
    q->stmt->from[1] = (SqlFrom){ table_name(dst->table), dst->name, 0 };
    q->stmt->nfrom = 2;
    q->nrels = 2;
    return ST_OK;
}

/* Fold compiled rules rs into q (see server_rls_apply). */
static Status apply_rules(SqlQuery *q, const Rules *rs, SqlError *err)
{
    SqlExpr *guard[2] = { NULL, NULL };   /* per rel: the union of its rules */
    const SqlQuery *join[2] = { NULL, NULL };
    Status st = ST_OK;
    for (uint32_t r = 0; r < q->nrels && st == ST_OK; r++)
        st = guard_of(q, rs, q->rels[r].table_id, (int)r, &guard[r], &join[r], err);
    bool expanded = st == ST_OK && (join[0] || join[1]);
    if (expanded && q->nrels == 2)
        return sql_error(err, ST_UNSUPPORTED, 0, "tinystdb cannot apply the row-level security "
                         "rule of `%s`, which joins another table, inside a join query",
                         table_name(q->rels[join[0] ? 0 : 1].table));
    if (expanded && (st = expand(q, join[0], err)) == ST_OK &&
        (st = guard_of(q, rs, q->rels[1].table_id, 1, &guard[1], &join[1], err)) == ST_OK &&
        join[1])
        st = sql_error(err, ST_UNSUPPORTED, 0, "tinystdb cannot apply row-level security rules "
                       "that join through `%s`, whose own rule joins too",
                       table_name(q->rels[1].table));
    for (uint32_t r = 0; r < q->nrels && st == ST_OK; r++)
        if (guard[r] && !(q->stmt->where = join_expr(&q->arena, SQL_EXPR_AND, q->stmt->where,
                                                      guard[r])))
            st = sql_error(err, ST_NOMEM, 0, "out of memory");
    return st == ST_OK && expanded ? sql_plan(q, err) : st;
}

Status server_rls_apply(const Database *db, const Identity *who, SqlQuery *q, SqlError *err)
{
    const ModuleDef *def = module_def(db->hm);
    if (identity_equal(who, &db->owner) || def->nrls == 0 || q->stmt->kind != SQL_SELECT)
        return ST_OK;
    Rules rs;
    Status st = rules_compile(db, who, &rs, err);
    if (st == ST_OK)
        st = apply_rules(q, &rs, err);
    rules_free(&rs);
    return st;
}

bool server_rls_guarded(const Database *db, const Identity *who, uint32_t table_id)
{
    const ModuleDef *def = module_def(db->hm);
    if (identity_equal(who, &db->owner) || def->nrls == 0)
        return false;
    Rules rs;
    SqlError err;
    if (rules_compile(db, who, &rs, &err) != ST_OK)
        return true;                  /* a rule we cannot read: hide rather than leak */
    bool hit = false;
    for (uint32_t i = 0; i < rs.n && !hit; i++)
        hit = guarded_id(rs.v[i]) == table_id;
    rules_free(&rs);
    return hit;
}
