/*
 * server_query.c - OneOffQuery: one SQL statement, answered once, not
 * kept; and SQL DML, which commits like a reducer so that subscribers
 * see its changes.
 *
 *   OneOffQuery{message_id, query_string}
 *     ─sql_query_new(ADHOC, owner?, sender)─► SqlQuery   (errors: the text)
 *     SELECT ─sql_run─► rows ─► OneOffQueryResponse{tables: [{name, rows}]}
 *     DML (owner only) ─tx_begin─► sql_run ─tx_commit─► TxDelta
 *         ─server_sub_broadcast─► every subscriber whose queries match
 *         ─► OneOffQueryResponse{tables: []}
 *
 * Grammar.  SpacetimeDB answers OneOffQuery with the subscription grammar
 * (client-protocol.md 6.1) and keeps `spacetime sql` on HTTP /sql with
 * the ad-hoc grammar (6.3).  tinystdb has no HTTP, so `tinystdb sql`
 * speaks OneOffQuery, and OneOffQuery takes the ad-hoc grammar: a
 * superset (column lists, COUNT(*), LIMIT, owner-only DML).  Every
 * subscription query is still a valid one-off query.
 *
 * Visibility.  Private tables are "no such table" to non-owners (the SQL
 * checker's business); a non-owner's SELECT also gets the module's
 * row-level security rules folded into its WHERE (server_rls.c).
 *
 * Rows.  A `*` / `t.*` result is whole rows of its table, written as the
 * server writes every row (SATS_JSON_ROW: {"col": v}).  A column list or
 * COUNT is written the same way with the output column names as keys
 * ("column N" for an unnamed column, N counted from 0).
 *
 * EXPLAIN (a tinystdb extension; SpacetimeDB has none on the wire).  A
 * query_string `EXPLAIN stmt` is checked and planned like stmt, with the
 * caller's rights, but not run; the answer is one table named "plan"
 * whose rows {"plan": "line"} are the lines of sql_explain(), plus an
 * "RLS Filter" line per table whose row-level security rules would be
 * added to the WHERE (the plan is chosen before they are, see
 * server_rls.c).  `tinystdb sql NAME --explain "..."` prints those lines.
 *
 * DML.  The SQL layer changes tables through the table API and opens no
 * transaction of its own; here it runs inside tx_begin / tx_commit on the
 * database's Db, then the delta goes to subscribers like a reducer's,
 * with SpacetimeDB's markers for SQL (section 5.2): reducer_name "",
 * reducer_id 4294967295, args "[]", the caller's identity and no
 * connection id.  A failed statement rolls back and changes nothing.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include "server_int.h"
#include "server_rls.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../host/sats_json.h"
#include "../sql/sql.h"
#include "../util/alloc.h"

Status server_row_json(Arena *a, const Table *t, const uint8_t *row, size_t len, ProtoStr *out)
{
    StrBuf sb;
    strbuf_init(&sb);
    DbError err;
    Status st = sats_json_from_bsatn(table_typespace(t), table_row_type(t), row, len, NULL,
                                     SATS_JSON_ROW, &sb, &err);
    if (st == ST_OK && !(out->s = arena_strndup(a, sb.data ? sb.data : "", sb.len)))
        st = ST_NOMEM;
    out->len = st == ST_OK ? sb.len : 0;
    strbuf_fini(&sb);
    return st;
}

/* A projected row (the columns' values back to back) as {"name": v, ...}. */
static Status cols_json(Arena *a, const SqlResult *res, const uint8_t *row, size_t len,
                        ProtoStr *out)
{
    StrBuf sb;
    strbuf_init(&sb);
    Status st = strbuf_putc(&sb, '{');
    size_t off = 0;
    for (uint32_t i = 0; st == ST_OK && i < res->ncols; i++) {
        const SqlColumn *col = &res->cols[i];
        size_t n = bsatn_value_len(col->ts, col->type, row + off);
        DbError err;
        if (n > len - off)
            st = ST_INVALID;
        else if (i > 0)
            st = strbuf_putc(&sb, ',');
        if (st == ST_OK)
            st = col->name ? strbuf_printf(&sb, "\"%s\":", col->name)
                           : strbuf_printf(&sb, "\"column %u\":", i);
        if (st == ST_OK)
            st = sats_json_from_bsatn(col->ts, col->type, row + off, n, NULL, SATS_JSON_ROW, &sb,
                                      &err);
        off += n;
    }
    if (st == ST_OK)
        st = strbuf_putc(&sb, '}');
    if (st == ST_OK && !(out->s = arena_strndup(a, sb.data, sb.len)))
        st = ST_NOMEM;
    out->len = st == ST_OK ? sb.len : 0;
    strbuf_fini(&sb);
    return st;
}

/* The result's rows as one OneOffQueryResponse table. */
static Status result_table(Arena *a, const SqlQuery *q, const SqlResult *res,
                           ProtoOneOffTable *out)
{
    const SqlRel *rel = &q->rels[q->star_rel >= 0 ? q->star_rel : 0];
    out->table_name = proto_str(table_name(rel->table));
    out->rows.items = NULL;
    out->rows.len = 0;
    if (res->rows.count == 0)
        return ST_OK;
    ProtoStr *rows = arena_calloc(a, res->rows.count, sizeof *rows);
    if (!rows)
        return ST_NOMEM;
    for (size_t i = 0; i < res->rows.count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(&res->rows, i, &len);
        Status st = q->star_rel >= 0 ? server_row_json(a, rel->table, row, len, &rows[i])
                                     : cols_json(a, res, row, len, &rows[i]);
        if (st != ST_OK)
            return st;
    }
    out->rows.items = rows;
    out->rows.len = res->rows.count;
    return ST_OK;
}

/* DML as one transaction, broadcast to subscribers when it commits. */
static Status run_dml(Server *s, Client *c, SqlQuery *q, SqlResult *res, SqlError *err)
{
    Db *db = module_db(c->db->hm);
    DbError dberr;
    const char *refused = server_durable_refusal(c->db);   /* a failed commit log */
    if (refused)
        return sql_error(err, ST_IO, 0, "%s", refused);
    if (tx_begin(db, &dberr) != ST_OK)
        return sql_error(err, ST_INVALID, 0, "cannot begin a transaction: %s", dberr.msg);
    Status st = sql_run(q, res, err);
    if (st != ST_OK) {
        tx_rollback(db);
        return st;
    }
    TxDelta delta;
    tx_delta_init(&delta);
    if ((st = tx_commit(db, &delta, &dberr)) != ST_OK) {
        tx_rollback(db);
        tx_delta_fini(&delta);
        return sql_error(err, st, 0, "cannot commit: %s", dberr.msg);
    }
    if (server_durable_commit(s, c->db, &delta, server_now(s)) != ST_OK) {   /* chapter 27 */
        tx_delta_fini(&delta);
        return sql_error(err, ST_IO, 0, "%s", server_durable_refusal(c->db));
    }
    ProtoReply tmpl = {   /* section 5.2: how SQL changes are announced */
        .kind = PROTO_REPLY_TRANSACTION_UPDATE,
        .timestamp_us = server_now(s),
        .identity = c->identity,
        .reducer_call = { .reducer_name = proto_str(""), .reducer_id = PROTO_NO_REDUCER_ID,
                          .args = proto_str("[]") },
    };
    server_sub_broadcast(s, c->db, NULL, &tmpl, &delta);
    tx_delta_fini(&delta);
    return ST_OK;
}

/* `EXPLAIN stmt`: the offset of stmt in s[0..len), or 0 for any other text. */
static size_t explain_skip(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (len - i < 8 || strncasecmp(s + i, "explain", 7) != 0 || !isspace((unsigned char)s[i + 7]))
        return 0;
    return i + 8;
}

/* The text's lines as rows {"plan": "line"} of one table named "plan". */
static Status plan_table(Arena *a, const StrBuf *text, ProtoOneOffTable *out)
{
    size_t n = 0;
    for (size_t i = 0; i < text->len; i++)
        n += text->data[i] == '\n';   /* sql_explain ends every line with \n */
    ProtoStr *rows = arena_calloc(a, n + 1, sizeof *rows);
    StrBuf sb;
    strbuf_init(&sb);
    Status st = rows ? ST_OK : ST_NOMEM;
    for (size_t i = 0, at = 0; st == ST_OK && i < n; i++) {
        const char *nl = memchr(text->data + at, '\n', text->len - at);
        strbuf_clear(&sb);
        if ((st = strbuf_puts(&sb, "{\"plan\":")) == ST_OK &&
            (st = json_write_string(&sb, text->data + at, (size_t)(nl - text->data) - at)) == ST_OK &&
            (st = strbuf_putc(&sb, '}')) == ST_OK && !(rows[i].s = arena_strndup(a, sb.data, sb.len)))
            st = ST_NOMEM;
        rows[i].len = sb.len;
        at = (size_t)(nl - text->data) + 1;
    }
    strbuf_fini(&sb);
    out->table_name = proto_str("plan");
    out->rows.items = rows;
    out->rows.len = st == ST_OK ? n : 0;
    return st;
}

/* EXPLAIN: q's plan as rep's one table, with the rules RLS would add. */
static Status explain(Server *s, Client *c, SqlQuery *q, ProtoReply *rep, SqlError *err)
{
    StrBuf text;
    strbuf_init(&text);
    Status st = sql_explain(q, &text);   /* before RLS: it quotes only the caller's text */
    if (st != ST_OK)
        sql_error(err, st, 0, "out of memory");
    else
        st = server_rls_apply(c->db, &c->identity, q, err);   /* its errors, as for a query */
    for (uint32_t r = 0; st == ST_OK && r < q->nrels; r++)
        if (server_rls_guarded(c->db, &c->identity, q->rels[r].table_id))
            st = strbuf_printf(&text, "RLS Filter: row-level security rules on %s\n",
                               q->rels[r].name);
    ProtoOneOffTable *t = st == ST_OK ? arena_calloc(&s->scratch, 1, sizeof *t) : NULL;
    if (st == ST_OK && (st = t ? plan_table(&s->scratch, &text, t) : ST_NOMEM) != ST_OK)
        sql_error(err, st, 0, "cannot write the plan: %s", status_str(st));
    rep->tables.items = t;
    rep->tables.len = st == ST_OK;
    strbuf_fini(&text);
    return st;
}

/* Run req's query for c: fill rep's tables, or return the error text. */
static Status one_off(Server *s, Client *c, const ProtoRequest *req, ProtoReply *rep,
                      SqlError *err)
{
    SqlCtx ctx = { .db = module_db(c->db->hm), .mode = SQL_MODE_ADHOC,
                   .owner = identity_equal(&c->identity, &c->db->owner) };
    memcpy(ctx.sender, c->identity.le, sizeof ctx.sender);
    SqlQuery *q = NULL;
    const char *text = req->query.s ? req->query.s : "";
    size_t skip = explain_skip(text, req->query.len);
    Status st = sql_query_new(&ctx, text + skip, req->query.len - skip, &q, err);
    if (st == ST_OK && skip) {   /* planned, never run */
        st = explain(s, c, q, rep, err);
        sql_query_free(q);
        return st;
    }
    if (st == ST_OK && (st = server_rls_apply(c->db, &c->identity, q, err)) != ST_OK)
        sql_query_free(q);   /* a non-owner sees only what the module's rules admit */
    if (st != ST_OK)
        return st;
    SqlResult res;
    sql_result_init(&res);
    if (q->stmt->kind != SQL_SELECT) {
        st = run_dml(s, c, q, &res, err);   /* DML: an empty answer */
    } else if ((st = sql_run(q, &res, err)) == ST_OK) {
        ProtoOneOffTable *t = arena_calloc(&s->scratch, 1, sizeof *t);
        st = t ? result_table(&s->scratch, q, &res, t) : ST_NOMEM;
        rep->tables.items = t;
        rep->tables.len = st == ST_OK;
        if (st != ST_OK)
            sql_error(err, st, 0, "cannot write the result: %s", status_str(st));
    }
    sql_result_fini(&res);
    sql_query_free(q);
    return st;
}

void server_one_off_query(Server *s, Client *c, const ProtoRequest *req)
{
    int64_t t0 = server_now(s);
    ProtoReply rep = { .kind = PROTO_REPLY_ONE_OFF_QUERY_RESPONSE,
                       .message_id = req->message_id };
    SqlError err = { .status = ST_OK };
    Status st = c->db ? one_off(s, c, req, &rep, &err)
                      : sql_error(&err, ST_ARG, 0, "no database selected; connect with "
                                  "{\"Connect\":{\"database\":\"NAME\"}} first");
    if (st != ST_OK) {
        rep.error = proto_str(err.msg);   /* {"some": text}, no tables */
        rep.tables.items = NULL;
        rep.tables.len = 0;
    }
    int64_t d = server_now(s) - t0;
    rep.duration_us = d > 0 ? (uint64_t)d : 0;
    server_reply(s, c, &rep);
}
