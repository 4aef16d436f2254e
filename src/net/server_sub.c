/*
 * server_sub.c - live subscriptions: a client names the rows it wants
 * with SQL, gets them at once, and then, after every committed
 * transaction, exactly the rows that came or went among them.
 *
 *   SubscribeSingle{query, query_id} ─compile─► Sub (one SqlQuery)
 *       ─sql_run─► SubscribeApplied  (every matching row, as inserts)
 *   ... a reducer commits: TxDelta {table: inserts, deletes} ...
 *   server_sub_broadcast ─► for each other client bound to the database:
 *       for each of its queries that reads a changed table:
 *           sql_delta_eval: one table, the delta rows whose WHERE holds;
 *           a join, the delta rows probed against the other side's index
 *       ─► TransactionUpdate / TransactionUpdateLight, or nothing at all
 *
 * The point of the design is the middle step: a commit costs work in
 * proportion to the rows it changed (times their join partners) times
 * the queries on their tables, never to the size of the tables.  A query
 * is only ever run over whole tables when it is added (initial rows) or
 * removed (final deletes).
 *
 * The three kinds of subscription of client-protocol.md section 5.1:
 *   SINGLE  one query under a client-chosen query_id   Unsubscribe
 *   MULTI   a set of queries under one query_id        UnsubscribeMulti
 *   LEGACY  Subscribe: a set that REPLACES the previous legacy set
 * A query_id names at most one live SINGLE or MULTI subscription.
 *
 * Supported queries are `SELECT * | t.* FROM t [WHERE p]` and two-table
 * joins `SELECT t.* FROM t JOIN u ON t.a = u.b [WHERE p]` with both join
 * columns indexed, checked in SQL_MODE_SUBSCRIPTION (so private tables
 * are "no such table" to everyone but the owner), with the module's
 * row-level security rules folded into each non-owner's query
 * (server_rls.c), so the initial rows and every delta show a client only
 * what it may see.  A join's rows are rows of its starred table, once
 * per matching pair (SpacetimeDB's bag semantics, src/sql/delta.c); its
 * updates go to that table's TableUpdate, whichever side changed.
 *
 * Invariants: every query of a Sub reads one or two tables of the
 * database its client is bound to; a client with no database has no
 * subscriptions (server_sub_forget runs when it leaves one).  Queries
 * never outlive their tables: a database is dropped or republished only
 * after its clients were unbound, and unbinding forgets their queries.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include "server_int.h"
#include "server_rls.h"

#include <stdio.h>
#include <string.h>

#include "../sql/sql.h"
#include "../util/alloc.h"
#include "../util/log.h"

typedef enum SubKind { SUB_SINGLE, SUB_MULTI, SUB_LEGACY } SubKind;

typedef struct Sub {
    SubKind kind;
    uint32_t query_id;            /* SINGLE, MULTI */
    SqlQuery **qs;                /* owned; each a one-table SELECT */
    size_t nq;
} Sub;

struct SubSet {
    VEC(Sub) subs;
};

/* ---- the subscription set --------------------------------------------------------- */

static void sub_free(Sub *sub)
{
    for (size_t i = 0; i < sub->nq; i++)
        sql_query_free(sub->qs[i]);
    mem_free(sub->qs);
    sub->qs = NULL;
    sub->nq = 0;
}

void server_sub_forget(Client *c)
{
    if (!c->subs)
        return;
    for (size_t i = 0; i < c->subs->subs.len; i++)
        sub_free(&c->subs->subs.items[i]);
    vec_fini(&c->subs->subs);
    mem_free(c->subs);
    c->subs = NULL;
}

bool server_sub_active(const Client *c)
{
    return c->subs && c->subs->subs.len > 0;
}

/* The live subscription of this kind and id (LEGACY: the legacy set), or -1. */
static long sub_find(const Client *c, SubKind kind, uint32_t query_id, bool any_kind)
{
    if (!c->subs)
        return -1;
    for (size_t i = 0; i < c->subs->subs.len; i++) {
        const Sub *sub = &c->subs->subs.items[i];
        if (kind == SUB_LEGACY ? sub->kind == SUB_LEGACY
                               : sub->kind != SUB_LEGACY && sub->query_id == query_id &&
                                     (any_kind || sub->kind == kind))
            return (long)i;
    }
    return -1;
}

static void sub_remove(Client *c, size_t i)
{
    Sub *v = c->subs->subs.items;
    sub_free(&v[i]);
    memmove(&v[i], &v[i + 1], (c->subs->subs.len - i - 1) * sizeof *v);
    c->subs->subs.len--;
}

static Status sub_add(Client *c, const Sub *sub)
{
    if (!c->subs && !(c->subs = mem_calloc(1, sizeof *c->subs)))
        return ST_NOMEM;
    return vec_push(&c->subs->subs, *sub);
}

/* ---- compiling queries ------------------------------------------------------------ */

/* text as a subscription query of c, or the error text SpacetimeDB sends:
 * "<why>, executing: `<sql>`". */
static Status compile(const Client *c, const ProtoStr *text, SqlQuery **out, char *why,
                      size_t whylen)
{
    SqlCtx ctx = { .db = module_db(c->db->hm), .mode = SQL_MODE_SUBSCRIPTION,
                   .owner = identity_equal(&c->identity, &c->db->owner) };
    memcpy(ctx.sender, c->identity.le, sizeof ctx.sender);
    SqlError err = { .status = ST_OK };
    Status st = sql_query_new(&ctx, text->s ? text->s : "", text->len, out, &err);
    if (st == ST_OK && (st = server_rls_apply(c->db, &c->identity, *out, &err)) != ST_OK)
        sql_query_free(*out);   /* row-level security folded into the query */
    if (st != ST_OK) {
        *out = NULL;
        snprintf(why, whylen, "%s, executing: `%.*s`", err.msg, (int)text->len,
                 text->s ? text->s : "");
    }
    return st;
}

/* Compile n texts into sub->qs (identical texts once, as in SpacetimeDB). */
static Status compile_all(const Client *c, const ProtoStr *texts, size_t n, Sub *sub, char *why,
                          size_t whylen)
{
    sub->nq = 0;
    if (!(sub->qs = mem_alloc_array(n ? n : 1, sizeof *sub->qs)))
        return snprintf(why, whylen, "out of memory"), ST_NOMEM;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = texts[j].len == texts[i].len && memcmp(texts[j].s, texts[i].s, texts[i].len) == 0;
        if (dup)
            continue;
        Status st = compile(c, &texts[i], &sub->qs[sub->nq], why, whylen);
        if (st != ST_OK) {
            sub_free(sub);
            return st;
        }
        sub->nq++;
    }
    return ST_OK;
}

/* ---- whole-table results (added and removed queries) --------------------------- */

/* The table whose rows q returns (`t.*` of a join). */
static const SqlRel *result_rel(const SqlQuery *q)
{
    return &q->rels[q->star_rel];
}

/* Rows of t, as JSON, in a. */
static Status rows_json(Arena *a, const Table *t, const RowList *rows, ProtoStrList *out)
{
    ProtoStr *items = NULL;
    Status st = ST_OK;
    if (rows->count && !(items = arena_calloc(a, rows->count, sizeof *items)))
        st = ST_NOMEM;
    for (size_t i = 0; st == ST_OK && i < rows->count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(rows, i, &len);
        st = server_row_json(a, t, row, len, &items[i]);
    }
    out->items = items;
    out->len = st == ST_OK ? rows->count : 0;
    return st;
}

/* Every row q matches now, as JSON, in a. */
static Status query_rows(Arena *a, SqlQuery *q, ProtoStrList *out)
{
    SqlResult res;
    sql_result_init(&res);
    SqlError err;
    Status st = sql_run(q, &res, &err);
    if (st == ST_OK)
        st = rows_json(a, result_rel(q)->table, &res.rows, out);
    sql_result_fini(&res);
    return st;
}

/* One QueryUpdate of q's current rows, as inserts or as deletes. */
static Status query_update(Arena *a, SqlQuery *q, bool deletes, ProtoQueryUpdate *qu)
{
    memset(qu, 0, sizeof *qu);
    return query_rows(a, q, deletes ? &qu->deletes : &qu->inserts);
}

typedef struct Hit {              /* one query's non-empty rows */
    const SqlRel *rel;            /* its result table */
    ProtoQueryUpdate qu;
} Hit;

/* The hits as TableUpdates: one per result table, in table id order,
 * its queries' QueryUpdates in subscription order. */
static Status group_hits(Arena *a, const Hit *hits, size_t n, ProtoDatabaseUpdate *out)
{
    ProtoTableUpdate *tables = arena_calloc(a, n + 1, sizeof *tables);
    ProtoQueryUpdate *qus = arena_calloc(a, n + 1, sizeof *qus);
    if (!tables || !qus)
        return ST_NOMEM;
    size_t nt = 0, nqu = 0;
    for (uint32_t done = 0;;) {   /* tables below `done` are grouped */
        const SqlRel *rel = NULL;
        for (size_t i = 0; i < n; i++)
            if (hits[i].rel->table_id >= done && (!rel || hits[i].rel->table_id < rel->table_id))
                rel = hits[i].rel;
        if (!rel)
            break;
        size_t first = nqu;
        for (size_t i = 0; i < n; i++)
            if (hits[i].rel->table_id == rel->table_id)
                qus[nqu++] = hits[i].qu;
        tables[nt++] = (ProtoTableUpdate){ rel->table_id, proto_str(table_name(rel->table)),
                                           { &qus[first], nqu - first } };
        done = rel->table_id + 1;
    }
    out->tables.items = tables;
    out->tables.len = nt;
    return ST_OK;
}

/* The rows of every query of sub, one TableUpdate per result table;
 * tables without rows are left out. */
static Status sub_update(Arena *a, const Sub *sub, bool deletes, ProtoDatabaseUpdate *out)
{
    memset(out, 0, sizeof *out);
    Hit *hits = arena_calloc(a, sub->nq + 1, sizeof *hits);
    if (!hits)
        return ST_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < sub->nq; i++) {
        hits[n].rel = result_rel(sub->qs[i]);
        Status st = query_update(a, sub->qs[i], deletes, &hits[n].qu);
        if (st != ST_OK)
            return st;
        n += hits[n].qu.deletes.len + hits[n].qu.inserts.len > 0;
    }
    return group_hits(a, hits, n, out);
}

/* ---- replies ------------------------------------------------------------------------ */

static uint64_t since(const Server *s, int64_t t0)
{
    int64_t d = server_now(s) - t0;
    return d > 0 ? (uint64_t)d : 0;
}

static void send_sub_error(Server *s, Client *c, const ProtoRequest *req, const char *why,
                           int64_t t0)
{
    ProtoReply rep = {
        .kind = PROTO_REPLY_SUBSCRIPTION_ERROR,
        .duration_us = since(s, t0),
        .opt_request_id = { true, req->request_id },
        .opt_query_id = { true, req->query_id },
        .error = proto_str(why),
    };
    server_reply(s, c, &rep);
}

/* SpacetimeDB's message-error path: a Failed TransactionUpdate, request_id 0. */
static void send_failed(Server *s, Client *c, const char *reducer, const char *why)
{
    ProtoReply rep = {
        .kind = PROTO_REPLY_TRANSACTION_UPDATE,
        .status = { .kind = PROTO_STATUS_FAILED, .text = proto_str(why) },
        .timestamp_us = server_now(s),
        .identity = c->identity,
        .connection_id = c->conn_id,
        .reducer_call = { .reducer_name = proto_str(reducer), .reducer_id = PROTO_NO_REDUCER_ID,
                          .args = proto_str("[]") },
    };
    server_reply(s, c, &rep);
}

/* ---- Subscribe, SubscribeSingle, SubscribeMulti --------------------------------- */

/* SELECT * FROM * (legacy only, any case and spacing): every table this
 * client may read. */
static bool select_all(const ProtoStr *q)
{
    static const char want[] = "select*from*";
    size_t k = 0;
    for (size_t i = 0; i < q->len; i++) {
        char ch = q->s[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
            continue;
        if (k >= sizeof want - 1 || (ch | 0x20) != want[k])
            return false;
        k++;
    }
    return k == sizeof want - 1;
}

/* The legacy query texts, with SELECT * FROM * expanded (in s->scratch). */
static Status legacy_texts(Server *s, const Client *c, const ProtoStrList *in, ProtoStrList *out)
{
    const ModuleDef *def = module_def(c->db->hm);
    size_t n = in->len + def->ntables;
    ProtoStr *v = arena_calloc(&s->scratch, n + 1, sizeof *v);
    if (!v)
        return ST_NOMEM;
    size_t k = 0;
    bool owner = identity_equal(&c->identity, &c->db->owner);
    for (size_t i = 0; i < in->len; i++) {
        if (!select_all(&in->items[i])) {
            v[k++] = in->items[i];
            continue;
        }
        Db *db = module_db(c->db->hm);
        for (uint32_t t = 0; t < def->ntables; t++) {
            uint32_t id;
            const char *name = def->tables[t].name;
            if (db_table_id_from_name(db, name, strlen(name), &id, NULL) != ST_OK ||
                (!owner && !table_is_public(db_table(db, id))))
                continue;
            StrBuf sb;
            strbuf_init(&sb);
            if (strbuf_printf(&sb, "SELECT * FROM \"%s\"", name) == ST_OK) {
                v[k].s = arena_strndup(&s->scratch, sb.data, sb.len);
                v[k].len = sb.len;
            }
            strbuf_fini(&sb);
            if (!v[k++].s)
                return ST_NOMEM;
        }
    }
    out->items = v;
    out->len = k;
    return ST_OK;
}

static void subscribe_legacy(Server *s, Client *c, const ProtoRequest *req, int64_t t0)
{
    char why[1024];
    ProtoStrList texts;
    Sub sub = { .kind = SUB_LEGACY };
    if (legacy_texts(s, c, &req->queries, &texts) != ST_OK) {
        send_failed(s, c, "<none>", "out of memory");
        return;
    }
    if (compile_all(c, texts.items, texts.len, &sub, why, sizeof why) != ST_OK) {
        send_failed(s, c, "<none>", why);   /* client-protocol.md section 7 */
        return;
    }
    ProtoReply rep = { .kind = PROTO_REPLY_INITIAL_SUBSCRIPTION, .request_id = req->request_id };
    if (sub_update(&s->scratch, &sub, false, &rep.update) != ST_OK) {
        sub_free(&sub);
        send_failed(s, c, "<none>", "out of memory");
        return;
    }
    long old = sub_find(c, SUB_LEGACY, 0, false);
    if (old >= 0)
        sub_remove(c, (size_t)old);   /* the new set replaces the old one */
    if (sub_add(c, &sub) != ST_OK) {
        sub_free(&sub);
        send_failed(s, c, "<none>", "out of memory");
        return;
    }
    rep.duration_us = since(s, t0);
    server_reply(s, c, &rep);
}

static void subscribe_new(Server *s, Client *c, const ProtoRequest *req, int64_t t0)
{
    bool multi = req->kind == PROTO_REQ_SUBSCRIBE_MULTI;
    char why[1024];
    if (sub_find(c, SUB_SINGLE, req->query_id, true) >= 0) {
        char hex[IDENTITY_HEX_LEN + 1];
        identity_format_hex(&c->identity, hex);
        snprintf(why, sizeof why, "Subscription with id QueryId { id: %u } already exists for "
                 "client: %s", req->query_id, hex);
        send_failed(s, c, "<none>", why);   /* section 5.1: the message-error path */
        return;
    }
    Sub sub = { .kind = multi ? SUB_MULTI : SUB_SINGLE, .query_id = req->query_id };
    Status st = multi ? compile_all(c, req->queries.items, req->queries.len, &sub, why, sizeof why)
                      : compile_all(c, &req->query, 1, &sub, why, sizeof why);
    if (st != ST_OK) {
        send_sub_error(s, c, req, why, t0);
        return;
    }
    ProtoReply rep = { .kind = multi ? PROTO_REPLY_SUBSCRIBE_MULTI_APPLIED
                                     : PROTO_REPLY_SUBSCRIBE_APPLIED,
                       .request_id = req->request_id, .query_id = req->query_id };
    ProtoQueryUpdate *qu = arena_calloc(&s->scratch, 1, sizeof *qu);
    st = !qu ? ST_NOMEM : multi ? sub_update(&s->scratch, &sub, false, &rep.update)
                                : query_update(&s->scratch, sub.qs[0], false, qu);
    if (st == ST_OK && !multi)   /* exactly one table, even with no rows */
        rep.rows = (ProtoTableUpdate){ result_rel(sub.qs[0])->table_id,
                                       proto_str(table_name(result_rel(sub.qs[0])->table)),
                                       { qu, 1 } };
    if (st == ST_OK)
        st = sub_add(c, &sub);
    if (st != ST_OK) {
        sub_free(&sub);
        send_sub_error(s, c, req, "out of memory", t0);
        return;
    }
    rep.duration_us = since(s, t0);
    server_reply(s, c, &rep);
}

void server_subscribe(Server *s, Client *c, const ProtoRequest *req)
{
    if (!c->db) {
        server_sub_forget(c);
        server_send_error(s, c, "%s: no database selected; connect with "
                          "{\"Connect\":{\"database\":\"NAME\"}} first", proto_req_name(req->kind));
        return;
    }
    int64_t t0 = server_now(s);
    if (req->kind == PROTO_REQ_SUBSCRIBE)
        subscribe_legacy(s, c, req, t0);
    else
        subscribe_new(s, c, req, t0);
}

/* ---- Unsubscribe, UnsubscribeMulti ---------------------------------------------- */

void server_unsubscribe(Server *s, Client *c, const ProtoRequest *req)
{
    int64_t t0 = server_now(s);
    bool multi = req->kind == PROTO_REQ_UNSUBSCRIBE_MULTI;
    long i = c->db ? sub_find(c, multi ? SUB_MULTI : SUB_SINGLE, req->query_id, false) : -1;
    if (i < 0) {
        char why[128];
        snprintf(why, sizeof why, "Subscription not found: QueryId { id: %u }", req->query_id);
        send_sub_error(s, c, req, why, t0);
        return;
    }
    Sub *sub = &c->subs->subs.items[i];
    ProtoReply rep = { .kind = multi ? PROTO_REPLY_UNSUBSCRIBE_MULTI_APPLIED
                                     : PROTO_REPLY_UNSUBSCRIBE_APPLIED,
                       .request_id = req->request_id, .query_id = req->query_id };
    ProtoQueryUpdate *qu = arena_calloc(&s->scratch, 1, sizeof *qu);
    /* The rows the query still matched go out as deletes (section 4.2). */
    Status st = !qu ? ST_NOMEM : multi ? sub_update(&s->scratch, sub, true, &rep.update)
                                       : query_update(&s->scratch, sub->qs[0], true, qu);
    if (st == ST_OK && !multi)
        rep.rows = (ProtoTableUpdate){ result_rel(sub->qs[0])->table_id,
                                       proto_str(table_name(result_rel(sub->qs[0])->table)),
                                       { qu, 1 } };
    sub_remove(c, (size_t)i);
    if (st != ST_OK) {
        send_sub_error(s, c, req, "out of memory", t0);
        return;
    }
    rep.duration_us = since(s, t0);
    server_reply(s, c, &rep);
}

/* ---- after a commit: evaluating the delta --------------------------------------- */

/* q's change by the commit d as one QueryUpdate: the only per-commit
 * work of a subscription (sql_delta_eval: delta rows and index probes). */
static Status query_delta(Arena *a, SqlQuery *q, const TxDelta *d, ProtoQueryUpdate *qu)
{
    RowList ins, del;
    rowlist_init(&ins);
    rowlist_init(&del);
    SqlError err;
    const Table *t = result_rel(q)->table;
    Status st = sql_delta_eval(q, d, &ins, &del, &err);
    if (st == ST_OK)
        st = rows_json(a, t, &del, &qu->deletes);
    if (st == ST_OK)
        st = rows_json(a, t, &ins, &qu->inserts);
    rowlist_fini(&ins);
    rowlist_fini(&del);
    return st;
}

static size_t query_count(const Client *c)
{
    size_t n = 0;
    for (size_t i = 0; c->subs && i < c->subs->subs.len; i++)
        n += c->subs->subs.items[i].nq;
    return n;
}

Status server_sub_update(Arena *a, const Client *c, const TxDelta *d, ProtoDatabaseUpdate *out)
{
    memset(out, 0, sizeof *out);
    size_t nq = query_count(c), n = 0;
    if (!d || d->ntables == 0 || nq == 0)
        return ST_OK;
    Hit *hits = arena_calloc(a, nq, sizeof *hits);
    if (!hits)
        return ST_NOMEM;
    for (size_t i = 0; i < c->subs->subs.len; i++) {
        const Sub *sub = &c->subs->subs.items[i];
        for (size_t j = 0; j < sub->nq; j++) {
            SqlQuery *q = sub->qs[j];
            if (!sql_delta_touches(q, d))
                continue;   /* only queries that read a changed table */
            Hit *h = &hits[n];
            h->rel = result_rel(q);
            Status st = query_delta(a, q, d, &h->qu);
            if (st != ST_OK)
                return st;
            n += h->qu.deletes.len + h->qu.inserts.len > 0;
        }
    }
    return n ? group_hits(a, hits, n, out) : ST_OK;
}

/* Section 5.5: a query that cannot be evaluated drops the client's
 * subscriptions, with a SubscriptionError without ids. */
static void drop_subscriber(Server *s, Client *c, Status st)
{
    ProtoReply rep = { .kind = PROTO_REPLY_SUBSCRIPTION_ERROR,
                       .error = proto_str(st == ST_NOMEM ? "out of memory evaluating an update"
                                                         : "a row of the update does not decode") };
    server_reply(s, c, &rep);
    server_sub_forget(c);
}

void server_sub_broadcast(Server *s, Database *db, const Client *caller, const ProtoReply *tmpl,
                          const TxDelta *d)
{
    if (!d || d->ntables == 0)
        return;
    Arena a;
    arena_init(&a);
    for (Client *c = s->clients; c; c = c->next) {
        if (c == caller || c->db != db || !server_sub_active(c))
            continue;
        arena_reset(&a);
        ProtoDatabaseUpdate up;
        Status st = server_sub_update(&a, c, d, &up);
        if (st != ST_OK) {
            drop_subscriber(s, c, st);
            continue;
        }
        if (up.tables.len == 0)
            continue;   /* nothing it watches changed: it hears nothing */
        ProtoReply rep = *tmpl;
        if (c->light) {
            rep = (ProtoReply){ .kind = PROTO_REPLY_TRANSACTION_UPDATE_LIGHT,
                                .request_id = tmpl->reducer_call.request_id, .update = up };
        } else {
            rep.status.kind = PROTO_STATUS_COMMITTED;
            rep.status.committed = up;
        }
        server_reply(s, c, &rep);
    }
    arena_fini(&a);
}

void server_sub_lifecycle(Server *s, Database *db, const Client *c, const HostResult *res,
                          int64_t now)
{
    if (res->outcome != HOST_COMMITTED || !res->delta || res->delta->ntables == 0)
        return;
    const ModuleDef *def = module_def(db->hm);
    const char *name = res->reducer_id < def->nreducers ? def->reducers[res->reducer_id].name
                                                        : "";
    ProtoReply tmpl = {
        .kind = PROTO_REPLY_TRANSACTION_UPDATE,
        .timestamp_us = now,
        .identity = c->identity,
        .connection_id = c->conn_id,
        .reducer_call = { .reducer_name = proto_str(name), .reducer_id = res->reducer_id,
                          .args = proto_str("[]") },
        .energy_quanta = res->fuel_used,
        .duration_us = res->duration_us > 0 ? (uint64_t)res->duration_us : 0,
    };
    server_sub_broadcast(s, db, c, &tmpl, res->delta);
}

/* A scheduled reducer ran in hm: sender the database, no connection,
 * request_id 0 (section 5.4); a one-shot row's deletion follows. */
void server_sub_scheduled(Server *s, HostModule *hm, const HostResult *res,
                          const HostScheduled *next)
{
    Database *db = NULL;
    for (size_t i = 0; i < s->dbs.len && !db; i++)
        if (s->dbs.items[i]->hm == hm)
            db = s->dbs.items[i];
    if (!db)
        return;
    Client who = { .identity = db->identity };   /* only identity and conn_id are read */
    server_sub_lifecycle(s, db, &who, res, server_now(s));
    if (next && next->cleanup && next->cleanup->ntables > 0) {
        HostResult cleanup = { .outcome = HOST_COMMITTED, .reducer_id = res->reducer_id,
                               .message = "", .delta = next->cleanup };
        server_sub_lifecycle(s, db, &who, &cleanup, server_now(s));
    }
}
