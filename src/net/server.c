/*
 * server.c - the server's connections: the loop callbacks, Connect and
 * identities, and the dispatch of every request to its handler.
 *
 * One line in, zero or more lines out, all on the loop's thread:
 *
 *   on_line ─proto_decode_request─► ProtoRequest
 *       not JSON / not a message ──► {"error": "..."}  (the connection stays)
 *       first message, not Connect ─► implicit Connect{} (a new identity)
 *       dispatch ─► connect | server_call_reducer | server_publish | ...
 *
 * Identities follow chapter 21: a token names an identity the server
 * minted earlier; without one a new identity is minted and the store is
 * SAVED BEFORE the token is sent, so a client never holds a token that a
 * crash could make the server forget.  A Connect naming a database runs
 * that module's client_connected; an Err (or a trap) rejects the client:
 * it gets the reason as an error line and is closed, without an
 * IdentityToken (SpacetimeDB drops the socket silently; a reason is
 * kinder).  When the connection ends for any reason (the client closed,
 * an error, the idle timeout, a slow reader, the server stopping),
 * on_close runs client_disconnected.
 *
 * Errors never close a connection here, with two exceptions the protocol
 * demands: a rejected client_connected, and the loop's own limits.
 *
 * Scheduled reducers (chapter 26): one Scheduler on the real clock serves
 * every database; poll() sleeps until its next timer (next_timeout, -1
 * when none is armed) and on_tick runs what is due.
 *
 * Durability (chapter 27, server_durable.c): every commit made here
 * (client_connected, client_disconnected, scheduled reducers) is logged
 * before anyone hears of it; server_reply holds lines that tell of
 * commits until on_tick's end of turn has synced the logs.
 *
 * Book: chapter 22, book/22-server.md
 */
#include "server_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../util/alloc.h"
#include "../util/check.h"
#include "../util/log.h"

void server_config_default(ServerConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = SERVER_DEFAULT_LISTEN;
    loop_config_default(&cfg->loop);
    cfg->fsync = COMMITLOG_SYNC_BATCH;
    cfg->snapshot_every = SERVER_DEFAULT_SNAPSHOT_EVERY;
}

int64_t server_now(const Server *s)
{
    if (s->cfg.host.clock)
        return s->cfg.host.clock(s->cfg.host.clock_user);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

HostCaller server_caller(const Client *c, int64_t now)
{
    HostCaller hc = { .timestamp = now };
    memcpy(hc.identity, c->identity.le, sizeof hc.identity);
    memcpy(hc.connection_id, c->conn_id.le, sizeof hc.connection_id);
    return hc;
}

/* ---- replies -------------------------------------------------------------------- */

void server_reply(Server *s, Client *c, const ProtoReply *rep)
{
    strbuf_clear(&s->out);
    Status st = proto_encode_reply(&s->out, rep);
    if (st != ST_OK) {
        log_msg(LOG_ERROR, "server: cannot encode %s: %s", proto_reply_name(rep->kind),
                status_str(st));
        server_send_error(s, c, "internal error: cannot encode %s", proto_reply_name(rep->kind));
        return;
    }
    /* A OneOffQueryResponse may acknowledge SQL DML: it waits like news. */
    bool news = rep->kind == PROTO_REPLY_TRANSACTION_UPDATE ||
                rep->kind == PROTO_REPLY_TRANSACTION_UPDATE_LIGHT ||
                rep->kind == PROTO_REPLY_ONE_OFF_QUERY_RESPONSE;
    if (server_durable_hold(s, c, news, s->out.data, s->out.len))
        return;                   /* sent after this turn's fsync (chapter 27) */
    conn_send(c->conn, s->out.data, s->out.len);   /* a failure closes c: on_close follows */
}

void server_send_error(Server *s, Client *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    strbuf_clear(&s->out);
    if (proto_encode_error(&s->out, msg) == ST_OK &&
        !server_durable_hold(s, c, false, s->out.data, s->out.len))
        conn_send(c->conn, s->out.data, s->out.len);
}

/* ---- Connect -------------------------------------------------------------------- */

/* The identity behind req's token, or a new one (saved before use). */
static Status resolve_identity(Server *s, Client *c, const ProtoRequest *req,
                               char token[IDENTITY_TOKEN_LEN + 1])
{
    IdError err;
    if (req->token.s) {
        Status st = identity_store_lookup(&s->ids, req->token.s, req->token.len, &c->identity,
                                          &err);
        if (st == ST_MALFORMED)
            server_send_error(s, c, "Authorization is invalid: malformed token");
        else if (st != ST_OK)
            server_send_error(s, c, "Authorization failed: token not signed by this instance");
        if (st == ST_OK)
            snprintf(token, IDENTITY_TOKEN_LEN + 1, "%.*s", (int)req->token.len, req->token.s);
        return st;
    }
    Status st = identity_store_mint(&s->ids, token, &c->identity, &err);
    if (st == ST_OK)
        st = identity_store_save(&s->ids, s->data_dir, &err);   /* before the token leaves */
    if (st != ST_OK)
        server_send_error(s, c, "cannot create an identity: %s", err.msg);
    return st;
}

/* Run client_connected in db for c.  On refusal c is told why and closed. */
static Status bind_database(Server *s, Client *c, Database *db)
{
    const char *no = server_durable_refusal(db);
    if (no) {                     /* client_connected would write */
        server_send_error(s, c, "connection rejected by %s: %s", db->name, no);
        conn_close(c->conn);
        return ST_IO;
    }
    HostCaller hc = server_caller(c, server_now(s));
    HostResult res;
    Status st = module_connect(db->hm, &hc, &res);
    if (st == ST_OK && res.outcome == HOST_COMMITTED &&
        server_durable_commit(s, db, res.delta, hc.timestamp) != ST_OK) {
        res.outcome = HOST_FAILED;   /* not durable: not connected */
        res.message = server_durable_refusal(db);
    }
    if (st == ST_OK && res.outcome == HOST_COMMITTED) {
        server_sub_lifecycle(s, db, c, &res, hc.timestamp);   /* others may watch */
        c->db = db;
        return ST_OK;
    }
    const char *why = st != ST_OK ? res.message
                      : res.outcome == HOST_OUT_OF_ENERGY ? "out of energy"
                      : res.outcome == HOST_TRAPPED ? HOST_FATAL_MESSAGE : res.message;
    server_send_error(s, c, "connection rejected by %s: %s", db->name, why);
    conn_close(c->conn);
    return st != ST_OK ? st : ST_INVALID;
}

static void do_connect(Server *s, Client *c, const ProtoRequest *req)
{
    if (c->identified) {
        server_send_error(s, c, "already connected: Connect must be the first message");
        return;
    }
    Database *db = NULL;
    if (req->database.s && !(db = server_db_find(s, req->database.s))) {
        server_send_error(s, c, "Could not resolve database `%s`", req->database.s);
        return;
    }
    char token[IDENTITY_TOKEN_LEN + 1];
    if (resolve_identity(s, c, req, token) != ST_OK)
        return;
    IdError err;
    if (identity_conn_random(&c->conn_id, &err) != ST_OK) {
        server_send_error(s, c, "cannot create a connection id: %s", err.msg);
        return;
    }
    if (db && bind_database(s, c, db) != ST_OK)
        return;
    c->identified = true;
    c->light = req->light;
    strbuf_clear(&s->out);
    if (proto_encode_identity_token(&s->out, &c->identity, token, &c->conn_id) == ST_OK)
        conn_send(c->conn, s->out.data, s->out.len);
}

/* ---- dispatch ------------------------------------------------------------------- */

static void dispatch(Server *s, Client *c, const ProtoRequest *req)
{
    switch (req->kind) {
    case PROTO_REQ_CONNECT:
        do_connect(s, c, req);
        break;
    case PROTO_REQ_CALL_REDUCER:
        server_call_reducer(s, c, req);
        break;
    case PROTO_REQ_SUBSCRIBE:
    case PROTO_REQ_SUBSCRIBE_SINGLE:
    case PROTO_REQ_SUBSCRIBE_MULTI:
        server_subscribe(s, c, req);          /* server_sub.c, chapter 28 */
        break;
    case PROTO_REQ_UNSUBSCRIBE:
    case PROTO_REQ_UNSUBSCRIBE_MULTI:
        server_unsubscribe(s, c, req);
        break;
    case PROTO_REQ_ONE_OFF_QUERY:
        server_one_off_query(s, c, req);      /* server_query.c, chapter 28 */
        break;
    case PROTO_REQ_CALL_PROCEDURE:
        server_send_error(s, c, "CallProcedure: procedures are not supported");
        break;
    case PROTO_REQ_PUBLISH:
        server_publish(s, c, req);
        break;
    case PROTO_REQ_DELETE_DATABASE:
        server_delete(s, c, req);
        break;
    case PROTO_REQ_GET_LOGS:
        server_get_logs(s, c, req);
        break;
    case PROTO_REQ_DESCRIBE:
        server_describe(s, c, req);
        break;
    case PROTO_REQ__COUNT:
        break;
    }
}

/* ---- loop callbacks ------------------------------------------------------------- */

static void on_open(Conn *conn)
{
    Server *s = loop_user(conn_loop(conn));
    Client *c = mem_calloc(1, sizeof *c);
    if (!c) {
        conn_close(conn);
        return;
    }
    c->conn = conn;
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    conn_set_user(conn, c);
}

static void on_line(Conn *conn, char *line, size_t len)
{
    Server *s = loop_user(conn_loop(conn));
    Client *c = conn_user(conn);
    if (!c)
        return;
    arena_reset(&s->scratch);
    ProtoRequest req;
    ProtoError perr;
    if (proto_decode_request(&s->scratch, line, len, &req, &perr) != ST_OK) {
        server_send_error(s, c, "%s", perr.msg);
        return;
    }
    if (!c->identified && req.kind != PROTO_REQ_CONNECT) {
        ProtoRequest anon = { .kind = PROTO_REQ_CONNECT };
        do_connect(s, c, &anon);
        if (!c->identified)
            return;
    }
    dispatch(s, c, &req);
}

void server_client_leave(Server *s, Client *c)
{
    if (!c->db)
        return;
    HostCaller hc = server_caller(c, server_now(s));
    HostResult res;
    Status st = module_disconnect(c->db->hm, &hc, &res);
    if (st == ST_OK && res.outcome != HOST_COMMITTED && !s->cfg.quiet)
        log_msg(LOG_WARN, "%s: client_disconnected failed: %s", c->db->name, res.message);
    server_sub_forget(c);
    if (st == ST_OK && (res.outcome != HOST_COMMITTED ||
                        server_durable_commit(s, c->db, res.delta, hc.timestamp) == ST_OK))
        server_sub_lifecycle(s, c->db, c, &res, hc.timestamp);   /* others may watch */
    c->db = NULL;
}

static void on_close(Conn *conn, const char *reason)
{
    Server *s = loop_user(conn_loop(conn));
    Client *c = conn_user(conn);
    if (!c)
        return;
    if (!s->cfg.quiet)
        log_msg(LOG_DEBUG, "server: %s closed: %s", conn_peer(conn), reason);
    server_client_leave(s, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nclients--;
    conn_set_user(conn, NULL);
    server_sub_forget(c);
    server_durable_forget(s, c);
    mem_free(c);
}

/* ---- scheduled reducers (chapter 26) ------------------------------------------- */

/* Attach the hosts of new databases to the scheduler, forget gone ones
 * (databases are published and deleted between two turns) and read-only
 * ones (their commit log failed: nothing may fire in them). */
static void sched_follow_dbs(Server *s)
{
    HostModule **hms = mem_alloc_array(s->dbs.len + 1, sizeof *hms);
    if (!hms)
        return;                   /* retried next turn */
    size_t n = 0;
    for (size_t i = 0; i < s->dbs.len; i++)
        if (!server_durable_refusal(s->dbs.items[i]))
            hms[n++] = s->dbs.items[i]->hm;
    if (sched_sync(s->sched, hms, n) != ST_OK && !s->cfg.quiet)
        log_msg(LOG_WARN, "scheduler: cannot arm every scheduled row");
    mem_free(hms);
}

/* A scheduled reducer ran: its commit and its row's deletion are logged
 * first (chapter 27); like a client's call, a failure is logged. */
static void sched_fired(void *user, HostModule *hm, const HostResult *res,
                        const HostScheduled *next)
{
    Server *s = user;
    Database *db = NULL;
    for (size_t i = 0; i < s->dbs.len; i++)
        if (s->dbs.items[i]->hm == hm)
            db = s->dbs.items[i];
    int64_t now = server_now(s);
    bool durable = db && (res->outcome != HOST_COMMITTED ||
                          server_durable_commit(s, db, res->delta, now) == ST_OK) &&
                   (!next->cleanup || server_durable_commit(s, db, next->cleanup, now) == ST_OK);
    if (durable)
        server_sub_scheduled(s, hm, res, next);   /* subscribers see it (chapter 28) */
    if (res->outcome == HOST_COMMITTED || s->cfg.quiet)
        return;
    const char *name = db ? db->name : "?";
    log_msg(LOG_WARN, "%s: scheduled reducer %s: %s", name, module_outcome_name(res->outcome),
            res->message);
}

/* poll() sleeps until the next timer: -1 (forever) when none is armed. */
static int next_timeout(Loop *loop)
{
    Server *s = loop_user(loop);
    if (s->pending.len)
        return 0;                 /* commits after on_tick (a close): sync them now */
    return s->sched ? sched_poll_timeout(s->sched) : -1;
}

static void on_tick(Loop *loop)
{
    Server *s = loop_user(loop);
    if (s->sched) {
        sched_follow_dbs(s);
        sched_run_due(s->sched);
    }
    server_pump_follows(s);
    server_durable_end_turn(s);   /* group commit: one fsync, then the replies */
}

/* ---- life ------------------------------------------------------------------------ */

static Status start(Server *s, const ServerConfig *cfg, char *err)
{
    IdError iderr;
    if (mkdir(s->data_dir, 0700) != 0 && !server_dir_exists(s->data_dir)) {
        snprintf(err, SERVER_ERR_LEN, "cannot create data directory %s", s->data_dir);
        return ST_IO;
    }
    if (identity_store_load(&s->ids, s->data_dir, &iderr) != ST_OK) {
        snprintf(err, SERVER_ERR_LEN, "%s: %s", s->data_dir, iderr.msg);
        return ST_IO;
    }
    Status st = server_db_load_all(s, err, SERVER_ERR_LEN);
    if (st != ST_OK)
        return st;
    clock_init_real(&s->clock);
    if ((st = sched_new(cfg->clock ? cfg->clock : &s->clock, &s->sched)) != ST_OK)
        return st;
    sched_on_fired(s->sched, sched_fired, s);
    sched_follow_dbs(s);          /* a restart: every schedule row re-arms */
    LoopConfig lc = cfg->loop;
    lc.next_timeout_ms = next_timeout;
    lc.on_open = on_open;
    lc.on_line = on_line;
    lc.on_close = on_close;
    lc.on_tick = on_tick;
    lc.user = s;
    if (!(s->loop = loop_new(&lc))) {
        snprintf(err, SERVER_ERR_LEN, "cannot create the event loop (bad limits?)");
        return ST_ARG;
    }
    char lerr[LOOP_ERR_LEN];
    if (s->listen && (st = loop_listen(s->loop, s->listen, lerr)) != ST_OK)
        snprintf(err, SERVER_ERR_LEN, "%s", lerr);
    return st;
}

static int64_t manual_now(void *clock) { return clock_unix_us(clock); }

Status server_new(const ServerConfig *cfg, Server **out, char err[SERVER_ERR_LEN])
{
    *out = NULL;
    err[0] = '\0';
    if (!cfg->data_dir) {
        snprintf(err, SERVER_ERR_LEN, "no data directory");
        return ST_ARG;
    }
    Server *s = mem_calloc(1, sizeof *s);
    if (!s)
        return ST_NOMEM;
    s->cfg = *cfg;
    identity_store_init(&s->ids, NULL, 0);
    arena_init(&s->scratch);
    strbuf_init(&s->out);
    if (cfg->clock) {             /* timestamps read the manual clock too */
        s->cfg.host.clock = manual_now;
        s->cfg.host.clock_user = cfg->clock;
    }
    s->listen = cfg->listen ? mem_strdup(cfg->listen) : NULL;
    s->data_dir = mem_strdup(cfg->data_dir);
    Status st = (s->listen || !cfg->listen) && s->data_dir ? start(s, cfg, err) : ST_NOMEM;
    if (st != ST_OK) {
        if (!err[0])
            snprintf(err, SERVER_ERR_LEN, "%s", status_str(st));
        server_free(s);
        return st;
    }
    s->cfg.listen = s->listen;
    s->cfg.data_dir = s->data_dir;
    *out = s;
    return ST_OK;
}

void server_free(Server *s)
{
    if (!s)
        return;
    if (s->sched) {       /* unhook every host before they go (and before disconnects) */
        sched_follow_dbs(s);
        sched_free(s->sched);
        s->sched = NULL;
    }
    loop_free(s->loop);   /* on_close for each client: client_disconnected runs */
    while (s->dbs.len)
        server_db_drop(s, s->dbs.items[s->dbs.len - 1], false);
    vec_fini(&s->dbs);
    if (s->ids.dirty) {
        IdError e;
        identity_store_save(&s->ids, s->data_dir, &e);
    }
    identity_store_fini(&s->ids);
    server_durable_fini(s);
    arena_fini(&s->scratch);
    strbuf_fini(&s->out);
    mem_free(s->listen);
    mem_free(s->data_dir);
    mem_free(s);
}

Status server_run(Server *s) { return loop_run(s->loop); }
Status server_run_once(Server *s, int timeout_ms) { return loop_run_once(s->loop, timeout_ms); }
void server_stop(Server *s) { loop_stop(s->loop); }

size_t server_advance(Server *s, uint64_t ms)
{
    assert(s->cfg.clock && s->cfg.clock->kind == CLOCK_KIND_MANUAL);
    sched_follow_dbs(s);          /* databases published since the last turn */
    return sched_advance(s->sched, ms);
}
int server_port(const Server *s) { return loop_port(s->loop); }
Loop *server_loop(Server *s) { return s->loop; }
size_t server_database_count(const Server *s) { return s->dbs.len; }

HostModule *server_database(Server *s, const char *name)
{
    Database *db = server_db_find(s, name);
    return db ? db->hm : NULL;
}

static bool registered(const Server *s, const Database *db)
{
    for (size_t i = 0; i < s->dbs.len; i++)
        if (s->dbs.items[i] == db)
            return true;
    return false;
}

Status server_check(const Server *s, char *msg, size_t msglen)
{
    for (size_t i = 0; i < s->dbs.len; i++) {
        const Database *db = s->dbs.items[i];
        CHECK(proto_name_valid(db->name, strlen(db->name)), "bad database name %s", db->name);
        CHECK(db->hm && db->logs, "database %s has no host or log", db->name);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(s->dbs.items[j]->name, db->name) != 0, "database %s twice", db->name);
    }
    size_t n = 0;
    for (const Client *c = s->clients; c; c = c->next, n++) {
        CHECK(conn_user(c->conn) == c, "client not owned by its connection");
        CHECK(!c->db || c->identified, "a bound client without an identity");
        CHECK(!c->db || registered(s, c->db), "a client bound to a dropped database");
        CHECK(!c->follow || registered(s, c->follow), "a client following a dropped database");
        HostCaller hc = server_caller(c, 0);
        CHECK(!c->db || module_is_connected(c->db->hm, &hc), "a bound client not connected");
    }
    CHECK(n == s->nclients, "%zu clients listed, %zu counted", n, s->nclients);
    CHECK(n <= loop_conn_count(s->loop), "%zu clients, %zu connections", n,
          loop_conn_count(s->loop));
    return loop_check(s->loop, msg, msglen);
}
