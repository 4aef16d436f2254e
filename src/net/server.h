/*
 * server.h - `tinystdb start`: many databases behind one port, one
 * thread, one poll() loop.
 *
 * The server glues the finished parts together:
 *
 *   socket ─loop.c─► line ─proto_decode_request─► ProtoRequest
 *     ─► server_call.c   CallReducer: module_call_json in the database's host
 *     ─► server_admin.c  Publish / DeleteDatabase / GetLogs / Describe
 *     ─► server.c        Connect: token ─IdentityStore─► identity, client_connected
 *   ◄─proto_encode_reply─ ProtoReply ◄─ HostResult, TxDelta rows as SATS-JSON
 *
 * A client's life (chapter 22): it connects, sends {"Connect":{...}} with
 * an optional token and an optional database, and gets IdentityToken as
 * its first line.  Any other first message is served as if Connect{}
 * (no token, no database) had come first.  A client bound to a database
 * may call reducers; every client may publish, delete, read logs and
 * describe, subject to the owner rules (client-protocol.md §8).
 *
 * Databases live in the data directory (server_db.c):
 *
 *   DATA/identities                 the token store (identity_store.c)
 *   DATA/databases/NAME/module.wasm the published module, byte for byte
 *   DATA/databases/NAME/database    owner and database identity (text)
 *   DATA/databases/NAME/module.log  the module's log (NDJSON)
 *
 *   DATA/databases/NAME/log/        its commit log (chapter 27)
 *   DATA/databases/NAME/snapshots/  its snapshots (chapter 27)
 *
 * so a restarted server has every database back with its module, owner
 * and rows: newest snapshot + the log after it (server_durable.c); init
 * is not run again, as in SpacetimeDB, where init runs once per database.
 *
 * Invariants (server_check): every client bound to a database is
 * connected in that database's host (module_is_connected) and has sent
 * its IdentityToken; every follower follows a live database; database
 * names are unique and valid; the loop passes loop_check.
 *
 * Book: chapter 22, book/22-server.md
 */
#ifndef TINYSTDB_NET_SERVER_H
#define TINYSTDB_NET_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "../db/commitlog.h"
#include "../host/module.h"
#include "../sched/clock.h"
#include "../util/status.h"
#include "loop.h"

#define SERVER_DEFAULT_LISTEN "127.0.0.1:3000"
#define SERVER_ERR_LEN 512
#define SERVER_DEFAULT_SNAPSHOT_EVERY 10000   /* commits between snapshots */

typedef struct ServerConfig {
    /* "HOST:PORT" for loop_listen ("127.0.0.1:0": any port); NULL: no
     * listener, clients only through loop_adopt(server_loop(s), ...) */
    const char *listen;
    const char *data_dir;    /* created if missing (one level of parents too) */
    /* Limits: max_line, max_out, pause_out, max_conns, idle_ms, linger_ms.
     * The callbacks and user pointer are the server's own and are
     * overwritten by server_new. */
    LoopConfig loop;
    /* Per-call limits for every database's host (fuel, pages, depth,
     * stack).  identity, owner, logs and the scheduling hooks are set per
     * database; clock may be set (tests). */
    HostConfig host;
    bool quiet;              /* no log_msg lines for connections and publishes */
    /* Durability (chapter 27, server_durable.c): when commit logs are
     * fsynced (--fsync; BATCH = group commit, the default) and how many
     * commits of a database separate two snapshots (0: never). */
    CommitLogSync fsync;
    uint32_t snapshot_every;
    /* NULL: the real clock.  Else a MANUAL clock (borrowed) that the
     * scheduler and every reducer's timestamp read; it moves only through
     * server_advance (`tinystdb test`, chapter 30). */
    Clock *clock;
} ServerConfig;

typedef struct Server Server;

/* The defaults: SERVER_DEFAULT_LISTEN, the loop's default limits, the
 * host's default limits, data_dir NULL (the caller must set it). */
void server_config_default(ServerConfig *cfg);

/* Create the data directory if needed, load the token store and every
 * database found there (a database that no longer loads is skipped with
 * a warning, never deleted), and listen.  On failure return the Status
 * and a one-line reason in err. */
Status server_new(const ServerConfig *cfg, Server **out, char err[SERVER_ERR_LEN]);

/* Close every connection (running client_disconnected for each bound
 * client), unload every database, save the token store.  NULL allowed. */
void server_free(Server *s);

/* Serve until server_stop().  ST_IO only if poll() fails. */
Status server_run(Server *s);
/* One turn of the loop (tests drive the server and their clients from
 * one thread this way). */
Status server_run_once(Server *s, int timeout_ms);
/* With a MANUAL cfg.clock: move it forward ms milliseconds, firing every
 * scheduled reducer that falls due, in order, each at its own due time.
 * Returns how many ran; their replies go out in the next turn. */
size_t server_advance(Server *s, uint64_t ms);
/* Ask server_run to return.  Async-signal-safe (loop_stop). */
void server_stop(Server *s);

int server_port(const Server *s);
Loop *server_loop(Server *s);
size_t server_database_count(const Server *s);
/* The host of database `name` (tests look at its tables), or NULL. */
HostModule *server_database(Server *s, const char *name);

/* The invariants above: ST_OK, or ST_INVALID with a reason in msg. */
Status server_check(const Server *s, char *msg, size_t msglen);

#endif
