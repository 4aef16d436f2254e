/*
 * server_int.h - the server's private structures, shared by server.c
 * (connections and dispatch), server_call.c (reducer calls),
 * server_admin.c (admin messages) and server_db.c (the database registry
 * and the data directory).
 *
 *   Server ──dbs──► Database ──hm──► HostModule (its Db, its instance)
 *      │                 └──logs──► ModuleLogs (ring + module.log)
 *      └──clients──► Client ──conn──► Conn (loop.c)
 *                       ├──db──────► the Database it is bound to (or NULL)
 *                       └──follow──► the Database whose log it follows (or NULL)
 *
 * A Client belongs to its Conn (conn_user) from on_open to on_close.
 * Pointers from clients to databases are cleared by server_db_unbind
 * before a Database is freed, so none ever dangles.
 *
 * Book: chapter 22, book/22-server.md
 */
#ifndef TINYSTDB_NET_SERVER_INT_H
#define TINYSTDB_NET_SERVER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../host/logs.h"
#include "../host/module.h"
#include "../host/sched.h"
#include "../sched/clock.h"
#include "../util/arena.h"
#include "../util/vec.h"
#include "identity.h"
#include "proto.h"
#include "server.h"

typedef struct Database {
    char name[PROTO_MAX_NAME + 1];
    Identity owner;               /* the first publisher */
    Identity identity;            /* the database's own identity */
    HostModule *hm;
    ModuleLogs *logs;             /* outlives republishing: one log per name */
    char *dir;                    /* DATA/databases/NAME */
} Database;

typedef struct Client {
    Conn *conn;
    bool identified;              /* IdentityToken sent */
    Identity identity;
    ConnectionId conn_id;
    Database *db;                 /* bound: client_connected ran in db->hm */
    Database *follow;             /* GetLogs with follow */
    uint64_t follow_seen;         /* logs_total(follow->logs) already sent */
    bool light;                   /* Connect.light: TransactionUpdateLight for others' calls */
    struct SubSet *subs;          /* its subscriptions (server_sub.c, chapter 28), or NULL */
    struct Client *prev, *next;   /* Server.clients */
} Client;

struct Server {
    ServerConfig cfg;             /* listen and data_dir point into our copies */
    char *listen, *data_dir;
    Loop *loop;
    IdentityStore ids;
    VEC(Database *) dbs;
    Client *clients;              /* every open connection */
    size_t nclients;
    Arena scratch;                /* decoded requests: reset per line */
    StrBuf out;                   /* the reply being built: cleared per reply */
    Clock clock;                  /* the real clock: the scheduler's time */
    Scheduler *sched;             /* scheduled reducers of every database (chapter 26) */
};

/* ---- server.c ---- */
/* Encode rep into s->out and queue it for c.  Failures to encode are
 * logged and answered with an error line instead. */
void server_reply(Server *s, Client *c, const ProtoReply *rep);
/* {"error":"..."} to c. */
void server_send_error(Server *s, Client *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Micros since the Unix epoch (cfg.host.clock if set). */
int64_t server_now(const Server *s);
/* The HostCaller of a client at time `now`. */
HostCaller server_caller(const Client *c, int64_t now);
/* Run client_disconnected for c (if bound) and unbind it. */
void server_client_leave(Server *s, Client *c);

/* ---- server_call.c ---- */
void server_call_reducer(Server *s, Client *c, const ProtoRequest *req);

/* ---- server_sub.c: subscriptions (chapter 28) ---- */
/* Subscribe, SubscribeSingle, SubscribeMulti. */
void server_subscribe(Server *s, Client *c, const ProtoRequest *req);
/* Unsubscribe, UnsubscribeMulti. */
void server_unsubscribe(Server *s, Client *c, const ProtoRequest *req);
/* Drop every subscription of c (it leaves its database or closes). */
void server_sub_forget(Client *c);
/* Has c any live subscription? */
bool server_sub_active(const Client *c);
/* The rows of delta d that c's queries match, one QueryUpdate per
 * matching query, in arena a (tables without a match left out). */
Status server_sub_update(Arena *a, const Client *c, const TxDelta *d, ProtoDatabaseUpdate *out);
/* After a commit in db: every bound client but `caller` (may be NULL)
 * whose queries match rows of d gets tmpl (a committed TransactionUpdate
 * without tables) with its own tables, or TransactionUpdateLight. */
void server_sub_broadcast(Server *s, Database *db, const Client *caller, const ProtoReply *tmpl,
                          const TxDelta *d);
/* The same for a lifecycle reducer's commit (connect/disconnect). */
void server_sub_lifecycle(Server *s, Database *db, const Client *c, const HostResult *res,
                          int64_t now);
/* The same for a scheduled reducer of hm (and the deletion of its row). */
void server_sub_scheduled(Server *s, HostModule *hm, const HostResult *res,
                          const HostScheduled *next);

/* ---- server_query.c: OneOffQuery and SQL DML (chapter 28) ---- */
void server_one_off_query(Server *s, Client *c, const ProtoRequest *req);
/* Row bytes of table t as the JSON text clients get (SATS_JSON_ROW). */
Status server_row_json(Arena *a, const Table *t, const uint8_t *row, size_t len, ProtoStr *out);

/* ---- server_admin.c ---- */
void server_publish(Server *s, Client *c, const ProtoRequest *req);
void server_delete(Server *s, Client *c, const ProtoRequest *req);
void server_get_logs(Server *s, Client *c, const ProtoRequest *req);
void server_describe(Server *s, Client *c, const ProtoRequest *req);
/* Send every follower the records logged since its last turn. */
void server_pump_follows(Server *s);
/* The 403 text of client-protocol.md §8, or NULL when c owns db. */
const char *server_forbidden(Server *s, const Client *c, const Database *db, const char *action,
                             char *buf, size_t buflen);

/* ---- server_db.c ---- */
bool server_dir_exists(const char *path);
Database *server_db_find(const Server *s, const char *name);
/* Load every database under DATA/databases (warnings for those that fail). */
Status server_db_load_all(Server *s, char *err, size_t errlen);
/* A new Database (not registered): dir made, logs opened. */
Status server_db_create(Server *s, const char *name, Database **out, char *err, size_t errlen);
/* Load wasm as a host for db (its identity, owner and logs). */
Status server_db_load_module(Server *s, const Database *db, const uint8_t *wasm, size_t len,
                             HostModule **out, char *err, size_t errlen);
/* Write module.wasm and the database file atomically. */
Status server_db_save(const Database *db, const uint8_t *wasm, size_t len, char *err,
                      size_t errlen);
Status server_db_register(Server *s, Database *db);
/* Forget db: unregister, delete its files if `remove`, free it.  Bound
 * clients and followers must have been detached (server_db_unbind). */
void server_db_drop(Server *s, Database *db, bool remove);
/* Detach every client bound to db (and, if `followers`, every client
 * following its log): send each `why` as an error line and close it.
 * Bound clients first run client_disconnected when `disconnect` is set. */
void server_db_unbind(Server *s, Database *db, bool disconnect, bool followers,
                      const char *why);
/* Do two modules define the same tables (names, columns and their types,
 * keys, indexes, constraints, sequences, schedules, access)?  If not,
 * `why` names the first difference. */
bool server_db_same_schema(const ModuleDef *a, const ModuleDef *b, char *why, size_t whylen);
/* Copy every row and sequence position of `from` into `to` (same schema). */
Status server_db_copy_rows(HostModule *from, HostModule *to, char *err, size_t errlen);

#endif
