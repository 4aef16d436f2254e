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

#include <stdio.h>
#include <string.h>

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

/* Run req's query for c: fill rep's tables, or return the error text. */
static Status one_off(Server *s, Client *c, const ProtoRequest *req, ProtoReply *rep,
                      SqlError *err)
{
    SqlCtx ctx = { .db = module_db(c->db->hm), .mode = SQL_MODE_ADHOC,
                   .owner = identity_equal(&c->identity, &c->db->owner) };
    memcpy(ctx.sender, c->identity.le, sizeof ctx.sender);
    SqlQuery *q = NULL;
    Status st = sql_query_new(&ctx, req->query.s ? req->query.s : "", req->query.len, &q, err);
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
