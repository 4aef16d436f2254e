/*
 * server_int.h - the server's private structures, shared by server.c
 * (connections and dispatch), server_call.c (reducer calls),
 * server_admin.c (admin messages) and server_db.c (the database registry
 * and the data directory).
 *
 *   Server ──dbs──► Database ──hm──► HostModule (its Db, its instance)
 *      │                 ├──logs──► ModuleLogs (ring + module.log)
 *      │                 └──log───► CommitLog (log/, chapter 27)
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

#include "../db/commitlog.h"
#include "../host/logs.h"
#include "../host/migrate.h"
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
    CommitLog *log;               /* DIR/log: every commit (server_durable.c) */
    bool failed;                  /* the log failed: read-only, `failure` says why */
    char failure[600];
    uint64_t since_snapshot;      /* commits appended since the last snapshot */
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
    uint32_t held;                /* lines held for the group commit (server_durable.c) */
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
    /* group commit (server_durable.c): databases with commits appended
     * in this turn and not yet synced (NULL: dropped since), and the
     * reply lines held until they are */
    VEC(Database *) pending;
    VEC(struct HeldLine) held;
    StrBuf held_bytes;
};

/* A reply line waiting for the fsync of pending[0 .. need). */
typedef struct HeldLine {
    Client *client;
    size_t need;
    size_t off, len;              /* in Server.held_bytes */
} HeldLine;

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

/* ---- server_durable.c: commit log, group commit, snapshots (chapter 27) ---- */
/* Restart: load db's newest valid snapshot, replay its log after it and
 * open the log for appending.  Corruption: ST_MALFORMED, err says where. */
Status server_durable_open(Server *s, Database *db, char *err, size_t errlen);
/* A new (or cleared) database: delete its log and snapshots, open an
 * empty log. */
Status server_durable_reset(Server *s, Database *db, char *err, size_t errlen);
/* Close db's log (syncing it) and forget it in the pending batch. */
void server_durable_close(Server *s, Database *db);
/* Delete DIR/log and DIR/snapshots (the database is being deleted). */
void server_durable_remove(const Database *db);
/* NULL when db accepts writes, else the text every write is refused with. */
const char *server_durable_refusal(const Database *db);
/* Append a committed transaction to db's log BEFORE anyone hears of it
 * (call it right after tx_commit, before any reply or broadcast).  An
 * empty delta is not logged.  ST_IO: the log failed, db is now failed
 * and its refusal says why; the transaction must not be acknowledged. */
Status server_durable_commit(Server *s, Database *db, const TxDelta *d, int64_t time_us);
/* server_reply's question: must this line to c wait for the fsync of
 * this turn?  commit_news: it tells of a commit (TransactionUpdate).  If
 * held, the line is copied and true returned. */
bool server_durable_hold(Server *s, Client *c, bool commit_news, const char *line,
                         size_t len);
/* The end of a turn: sync every pending log, send the held lines whose
 * commits are durable, drop the rest, take the snapshots that are due. */
void server_durable_end_turn(Server *s);
/* c is going away: drop its held lines. */
void server_durable_forget(Server *s, Client *c);
void server_durable_fini(Server *s);
/* A migrating republish: sync db's log, then write `state` (the new
 * module's tables, filled) as the snapshot at the log's next offset N,
 * so that restart reads the new tables and replays only commits >= N.
 * *name gets the snapshot's file name (under DIR/snapshots). */
Status server_durable_migrated(Database *db, const Db *state, char *name, size_t namelen,
                               char *err, size_t errlen);

/* ---- server_db.c ---- */
bool server_dir_exists(const char *path);
/* Has DATA/databases/NAME a database file (loaded or not)? */
bool server_db_on_disk(const Server *s, const char *name);
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
/* A republish without clear (chapter 29): carry db's rows into hm
 * following plan (which has no errors), make that state durable (a
 * snapshot at the log's end) and save wasm as module.wasm.  On failure
 * db, its files and its old module are as they were; hm is the
 * caller's to free.  Bound clients must have been detached first. */
Status server_db_migrate(Server *s, Database *db, const MigratePlan *plan,
                         HostModule *hm, const uint8_t *wasm, size_t len, char *err,
                         size_t errlen);

#endif
