/*
 * server_admin.c - tinystdb's admin messages: Publish, DeleteDatabase,
 * GetLogs (with follow) and Describe, on the same port as the clients.
 *
 * Owners (client-protocol.md §8): the first identity to publish a name
 * owns it; only the owner may republish, delete or read the logs, and
 * anybody else gets SpacetimeDB's 403 text, e.g.
 *   "c200ab... is not authorized to perform action on database chat: delete database"
 * Anybody may describe a database (and call its reducers).
 *
 * Publishing, in an order that never loses the old database to a new
 * one that fails halfway:
 *
 *   load the new module ─► (new name or clear) run init, save module.wasm
 *   / (keep) plan the migration, refuse it listing every reason (chapter 29)
 *   ─► detach the old clients (client_disconnected runs in the old module)
 *   ─► (keep) copy the rows by table name, snapshot them, save module.wasm
 *   ─► swap the module in ─► Published
 *
 * Clients bound to a republished database are disconnected with a reason
 * and reconnect to the new module (SpacetimeDB's "BreakClients" policy):
 * their client_connected then runs in the module that will serve them.
 *
 * Durability (chapter 27): a new database's commit log starts with
 * init's commit; a clear republish deletes the log and the snapshots and
 * starts again the same way; a migrating republish keeps the log and
 * writes a snapshot of the migrated tables at its end (server_db_migrate).
 *
 * Logs: GetLogs answers with the last num_lines lines of module.log (all
 * of them without num_lines), cut to fit half the output cap; with follow
 * the client then gets each new record as a LogRecord line, sent from the
 * loop's on_tick after every wake-up (server_pump_follows).  A follower
 * that does not read is dropped by the loop's max_out rule (chapter 19).
 *
 * Book: chapter 22, book/22-server.md
 */
#include "server_int.h"

#include <stdio.h>
#include <string.h>

#include "../host/migrate.h"
#include "../util/alloc.h"
#include "../util/json.h"
#include "../util/log.h"

const char *server_forbidden(Server *s, const Client *c, const Database *db, const char *action,
                             char *buf, size_t buflen)
{
    (void)s;
    if (identity_equal(&c->identity, &db->owner))
        return NULL;
    char hex[IDENTITY_HEX_LEN + 1];
    identity_format_hex(&c->identity, hex);
    snprintf(buf, buflen, "%s is not authorized to perform action on database %s: %s", hex,
             db->name, action);
    return buf;
}

/* The database `name`, or an error line to c and NULL. */
static Database *find_or_say(Server *s, Client *c, const ProtoStr *name)
{
    Database *db = server_db_find(s, name->s);
    if (!db)
        server_send_error(s, c, "Could not resolve database `%s`", name->s);
    return db;
}

/* ---- Publish ---------------------------------------------------------------------- */

static void send_published(Server *s, Client *c, const Database *db, const char *op)
{
    ProtoReply rep = { .kind = PROTO_REPLY_PUBLISHED, .name = proto_str(db->name),
                       .identity = db->identity, .op = proto_str(op) };
    server_reply(s, c, &rep);
    if (!s->cfg.quiet)
        log_msg(LOG_INFO, "database %s %s", db->name, op);
}

/* Run init in a new module; an Err or trap fails the publish.  *res
 * keeps init's delta for the commit log (valid until hm's next call). */
static Status run_init(Server *s, HostModule *hm, HostResult *res, char *err, size_t errlen)
{
    Status st = module_init(hm, server_now(s), res);
    if (st == ST_OK && res->outcome == HOST_COMMITTED)
        return ST_OK;
    snprintf(err, errlen, "init failed: %s", res->message);
    return st != ST_OK ? st : ST_INVALID;
}

/* A fresh commit log for db whose first commit is init's (chapter 27). */
static Status log_init(Server *s, Database *db, const HostResult *init, char *err,
                       size_t errlen)
{
    Status st = server_durable_reset(s, db, err, errlen);
    if (st == ST_OK && server_durable_commit(s, db, init->delta, server_now(s)) != ST_OK) {
        snprintf(err, errlen, "%s", server_durable_refusal(db));
        st = ST_IO;
    }
    return st;
}

static void publish_new(Server *s, Client *c, const ProtoRequest *req)
{
    char err[512];
    Database *db;
    IdError iderr;
    HostResult init;
    if (server_db_on_disk(s, req->name.s)) {   /* it did not load at start: keep it */
        server_send_error(s, c, "publish %s: the database exists on disk but was not loaded "
                          "(see the server's log); repair or remove it first", req->name.s);
        return;
    }
    Status st = server_db_create(s, req->name.s, &db, err, sizeof err);
    if (st != ST_OK) {
        server_send_error(s, c, "publish %s: %s", req->name.s, err);
        return;
    }
    db->owner = c->identity;
    char subject[2 * 16 + 4] = "db-";
    uint8_t rnd[16];
    if ((st = identity_random_bytes(rnd, sizeof rnd, &iderr)) != ST_OK)
        snprintf(err, sizeof err, "%s", iderr.msg);
    for (size_t i = 0; st == ST_OK && i < sizeof rnd; i++)
        snprintf(subject + 3 + 2 * i, 3, "%02x", rnd[i]);
    identity_from_claims(IDENTITY_ISSUER, subject, &db->identity);
    if (st == ST_OK)
        st = server_db_load_module(s, db, req->wasm.data, req->wasm.len, &db->hm, err, sizeof err);
    if (st == ST_OK)
        st = run_init(s, db->hm, &init, err, sizeof err);
    if (st == ST_OK)
        st = log_init(s, db, &init, err, sizeof err);
    if (st == ST_OK)
        st = server_db_save(db, req->wasm.data, req->wasm.len, err, sizeof err);
    if (st == ST_OK && (st = server_db_register(s, db)) != ST_OK)
        snprintf(err, sizeof err, "out of memory");
    if (st != ST_OK) {
        server_send_error(s, c, "publish %s: %s", req->name.s, err);
        server_db_drop(s, db, true);   /* not registered: only frees and removes files */
        return;
    }
    send_published(s, c, db, "created");
}

/* The refusal of a migration: every error (as many as fit the error
 * line), then the way out. */
static void refuse_migration(const Database *db, const MigratePlan *plan, char *err,
                             size_t errlen)
{
    char tail[160];
    snprintf(tail, sizeof tail, "To replace the database with an empty one instead: "
             "tinystdb publish --delete-data %s", db->name);
    size_t n = (size_t)snprintf(err, errlen, "Database update rejected: the new module's "
                                "tables cannot hold the old data:\n");
    for (size_t i = 0; i < plan->errors.len && n < errlen; i++) {
        const char *text = plan->errors.items[i].text;
        if (n + strlen(text) + 3 + 40 + strlen(tail) >= errlen) {
            n += (size_t)snprintf(err + n, errlen - n, "- ... and %zu more\n",
                                  plan->errors.len - i);
            break;
        }
        n += (size_t)snprintf(err + n, errlen - n, "- %s\n", text);
    }
    if (n < errlen)
        snprintf(err + n, errlen - n, "%s", tail);
}

/* The new module for an existing db: initialised (clear) and saved, or
 * with its migration planned (saved only once the data moved). */
static Status prepare_update(Server *s, Database *db, const ProtoRequest *req, HostModule **out,
                             HostResult *init, MigratePlan *plan, char *err, size_t errlen)
{
    HostModule *hm;
    Status st = server_db_load_module(s, db, req->wasm.data, req->wasm.len, &hm, err, errlen);
    if (st != ST_OK)
        return st;
    if (req->clear) {
        st = run_init(s, hm, init, err, errlen);
        if (st == ST_OK)
            st = server_db_save(db, req->wasm.data, req->wasm.len, err, errlen);
    } else {
        st = migrate_plan(module_def(db->hm), module_def(hm), plan);
        if (st == ST_INVALID)
            refuse_migration(db, plan, err, errlen);
        else if (st != ST_OK)
            snprintf(err, errlen, "out of memory");
    }
    if (st != ST_OK)
        module_free(hm);
    else
        *out = hm;
    return st;
}

/* Clients of db go (told to reconnect), the publisher stays unbound. */
static void detach_clients(Server *s, Client *c, Database *db)
{
    char why[128];
    snprintf(why, sizeof why, "database %s was republished; reconnect", db->name);
    if (c->db == db)
        server_client_leave(s, c);
    server_db_unbind(s, db, true, false, why);
}

static void publish_update(Server *s, Client *c, Database *db, const ProtoRequest *req)
{
    char buf[512], err[1000];
    const char *no = server_forbidden(s, c, db, req->clear ? "reset database" : "update database",
                                      buf, sizeof buf);
    if (no) {
        server_send_error(s, c, "%s", no);
        return;
    }
    HostModule *hm;
    HostResult init;
    MigratePlan plan;
    migrate_plan_init(&plan);
    Status st = prepare_update(s, db, req, &hm, &init, &plan, err, sizeof err);
    if (st == ST_OK) {
        /* client_disconnected runs in the old module, before its data moves */
        detach_clients(s, c, db);
        if (!req->clear && (st = server_db_migrate(s, db, &plan, hm, req->wasm.data,
                                                   req->wasm.len, err, sizeof err)) != ST_OK)
            module_free(hm);   /* the old module keeps serving, its files unchanged */
    }
    migrate_plan_fini(&plan);
    if (st != ST_OK) {
        server_send_error(s, c, "publish %s: %s", db->name, err);
        return;
    }
    module_free(db->hm);
    db->hm = hm;
    /* clear: the old log describes the old data; start one with init's
     * commit (after the old module's disconnects were logged in the old) */
    if (req->clear && log_init(s, db, &init, err, sizeof err) != ST_OK)
        server_send_error(s, c, "publish %s: %s", db->name, err);
    else
        send_published(s, c, db, "updated");
}

void server_publish(Server *s, Client *c, const ProtoRequest *req)
{
    Database *db = server_db_find(s, req->name.s);
    if (db)
        publish_update(s, c, db, req);
    else
        publish_new(s, c, req);
}

/* ---- DeleteDatabase -------------------------------------------------------------- */

void server_delete(Server *s, Client *c, const ProtoRequest *req)
{
    Database *db = find_or_say(s, c, &req->name);
    char buf[512];
    const char *no = db ? server_forbidden(s, c, db, "delete database", buf, sizeof buf) : NULL;
    if (!db || no) {
        if (no)
            server_send_error(s, c, "%s", no);
        return;
    }
    bool self = c->db == db || c->follow == db;
    char why[128];
    snprintf(why, sizeof why, "database %s was deleted", db->name);
    if (self) {   /* the deleter stays connected: answer it, unbind it quietly */
        c->db = NULL;
        c->follow = NULL;
    }
    server_db_unbind(s, db, false, true, why);
    ProtoReply rep = { .kind = PROTO_REPLY_DATABASE_DELETED, .name = req->name };
    server_reply(s, c, &rep);
    if (!s->cfg.quiet)
        log_msg(LOG_INFO, "database %s deleted", db->name);
    server_db_drop(s, db, true);
}

/* ---- GetLogs --------------------------------------------------------------------- */

/* Keep only the lines of sb that are JSON (a crash may cut the last one),
 * and only as many of the last ones as fit in `limit` bytes. */
static void keep_good_lines(StrBuf *sb, size_t limit)
{
    StrBuf out;
    strbuf_init(&out);
    Arena a;
    arena_init(&a);
    size_t start = 0;
    if (sb->len > limit) {
        const char *nl = memchr(sb->data + (sb->len - limit), '\n', limit);
        start = nl ? (size_t)(nl + 1 - sb->data) : sb->len;
    }
    for (size_t i = start; i < sb->len;) {
        const char *p = sb->data + i, *nl = memchr(p, '\n', sb->len - i);
        size_t n = nl ? (size_t)(nl - p) : sb->len - i;
        JsonValue *v;
        JsonError jerr;
        arena_reset(&a);
        if (n && json_parse(&a, p, n, &v, &jerr) == ST_OK &&
            (strbuf_append(&out, p, n) != ST_OK || strbuf_putc(&out, '\n') != ST_OK))
            break;
        i += n + 1;
    }
    arena_fini(&a);
    strbuf_fini(sb);
    *sb = out;
}

void server_get_logs(Server *s, Client *c, const ProtoRequest *req)
{
    Database *db = find_or_say(s, c, &req->name);
    char buf[512], path[4096];
    const char *no = db ? server_forbidden(s, c, db, "view module logs", buf, sizeof buf) : NULL;
    if (!db || no) {
        if (no)
            server_send_error(s, c, "%s", no);
        return;
    }
    bool follow = req->follow;
    size_t n = req->num_lines.present ? req->num_lines.value : 0;
    StrBuf sb;
    strbuf_init(&sb);
    snprintf(path, sizeof path, "%s/module.log", db->dir);
    if (!req->num_lines.present || n > 0) {
        if (logs_tail_file(path, n, &sb) != ST_OK)
            strbuf_clear(&sb);   /* no file yet: no lines */
        keep_good_lines(&sb, s->cfg.loop.max_out / 2);
    }
    char name[PROTO_MAX_NAME + 1];
    snprintf(name, sizeof name, "%s", db->name);   /* req lived in the scratch arena */
    ProtoReply rep = { .kind = PROTO_REPLY_LOGS, .name = proto_str(name),
                       .json = { sb.data ? sb.data : "", sb.len } };
    server_reply(s, c, &rep);
    strbuf_fini(&sb);
    if (follow) {
        c->follow = db;
        c->follow_seen = logs_total(db->logs);
    }
}

/* ---- Describe -------------------------------------------------------------------- */

void server_describe(Server *s, Client *c, const ProtoRequest *req)
{
    Database *db = find_or_say(s, c, &req->name);
    if (!db)
        return;
    StrBuf json, text;
    strbuf_init(&json);
    strbuf_init(&text);
    if (moddef_format(module_def(db->hm), &json, true) != ST_OK ||
        moddef_format(module_def(db->hm), &text, false) != ST_OK) {
        server_send_error(s, c, "describe %s: out of memory", db->name);
    } else {
        ProtoReply rep = { .kind = PROTO_REPLY_DESCRIPTION, .name = proto_str(db->name),
                           .json = { json.data, json.len }, .text = { text.data, text.len } };
        server_reply(s, c, &rep);
    }
    strbuf_fini(&json);
    strbuf_fini(&text);
}

/* ---- following a log ------------------------------------------------------------- */

static void pump_one(Server *s, Client *c)
{
    ModuleLogs *l = c->follow->logs;
    uint64_t total = logs_total(l);
    size_t kept = logs_count(l);
    uint64_t fresh = total - c->follow_seen;
    size_t first = fresh > kept ? 0 : kept - (size_t)fresh;   /* older ones left the ring */
    c->follow_seen = total;
    StrBuf rec;
    strbuf_init(&rec);
    for (size_t i = first; i < kept && c->follow; i++) {
        strbuf_clear(&rec);
        if (logs_format_json(logs_get(l, i), &rec) != ST_OK)
            break;
        ProtoReply rep = { .kind = PROTO_REPLY_LOG_RECORD, .name = proto_str(c->follow->name),
                           .json = { rec.data, rec.len } };
        server_reply(s, c, &rep);   /* a slow follower is dropped here (max_out) */
    }
    strbuf_fini(&rec);
}

void server_pump_follows(Server *s)
{
    for (Client *c = s->clients; c; c = c->next)
        if (c->follow && logs_total(c->follow->logs) != c->follow_seen)
            pump_one(s, c);
}
