/*
 * server_durable.c - durability in the server: every database's commit
 * log, group commit, snapshots and the restart that reads them back.
 *
 *   DATA/databases/NAME/log/         commit log segments (commitlog.c)
 *   DATA/databases/NAME/snapshots/   snapshot-<offset>.stdbsnap (snapshot.c)
 *
 * The rule: a transaction is appended to its database's log BEFORE
 * anybody hears of it.  Every place that commits (a reducer call, the
 * lifecycle reducers, a scheduled reducer and its row's deletion, init,
 * SQL DML) calls server_durable_commit right after tx_commit and only
 * then builds replies.
 *
 * Group commit (--fsync=batch, the default): appending only buffers.
 * While a turn of the loop has unsynced commits (Server.pending), every
 * line that tells of a commit (TransactionUpdate, ...Light) is HELD, and
 * so is every later line to a client that already has a held line (its
 * lines keep their order).  At the end of the turn (on_tick) each
 * pending log is synced ONCE, then the held lines go out:
 *
 *   turn:  call A ─append─┐ call B ─append─┐ call C ─append─┐
 *          reply A held   │ reply B held   │ reply C held   │
 *   end:   fsync log (one for A, B, C) ─► send A, B, C ─► snapshot if due
 *
 * Batches are as large as the load allows: before syncing, the turn
 * reads once or twice more (loop_gather) what arrived while it ran, so
 * those calls share the sync too.  Appends are encoded into one buffer
 * per log, written with one write() at the end of the turn, and synced
 * with one fdatasync() into a preallocated file (commitlog.c), so a
 * turn costs one write, one disk flush and one send per client.
 *
 * A held line remembers how many databases were pending when it was made
 * (`need`): it may go out only if the syncs of pending[0 .. need) all
 * worked.  Conservative (a line may wait for an unrelated database) and
 * simple.  --fsync=never sends at once and only write()s at turn end;
 * --fsync=always syncs inside every append, so nothing needs holding.
 *
 * Failure: a failed append or sync (ENOSPC, EIO, a short write; the log
 * itself then refuses everything, commitlog.h) makes the database
 * read-only: `failed` is set, every later write is refused with a text
 * naming the cause, held lines that depended on it are dropped and their
 * clients get one error line instead.  Nothing not durable is reported
 * committed.  (The transaction stays in memory; a restart forgets it.)
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include "server_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/snapshot.h"
#include "../util/alloc.h"
#include "../util/log.h"

#define SNAPSHOTS_KEPT 2
#define GATHER_ROUNDS 2       /* extra looks for input before one sync */

static void sub_path(const Database *db, const char *sub, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", db->dir, sub);
}

static CommitLogOptions log_options(const Server *s)
{
    CommitLogOptions o = { .sync = s->cfg.fsync };
    return o;
}

/* Delete every file in dir, then dir (one level: logs and snapshots). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The database becomes read-only; `why` is logged once. */
static void fail(Database *db, const char *why)
{
    if (db->failed)
        return;
    db->failed = true;
    snprintf(db->failure, sizeof db->failure,
             "database %s is read-only: its commit log failed: %.400s", db->name, why);
    log_msg(LOG_ERROR, "%s", db->failure);
}

const char *server_durable_refusal(const Database *db)
{
    if (db->failed)
        return db->failure;
    return db->log ? NULL : "the database has no commit log";
}

/* ---- opening ------------------------------------------------------------------- */

/* State as of the newest valid snapshot: *from = its offset (0: none). */
static Status load_snapshot(Database *db, uint64_t *from, char *err, size_t errlen)
{
    char dir[4096], *path = NULL;
    sub_path(db, "snapshots", dir, sizeof dir);
    DbError dberr;
    SnapshotScan scan;
    *from = 0;
    Status st = snapshot_find_latest(dir, from, &path, &scan, &dberr);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st == ST_OK)
        st = snapshot_load(module_db(db->hm), path, from, &dberr);
    if (st != ST_OK)
        snprintf(err, errlen, "snapshot %.300s: %.150s", path ? path : dir, dberr.msg);
    mem_free(path);
    return st;
}

Status server_durable_open(Server *s, Database *db, char *err, size_t errlen)
{
    uint64_t from;
    Status st = load_snapshot(db, &from, err, errlen);
    if (st != ST_OK)
        return st;
    char dir[4096];
    sub_path(db, "log", dir, sizeof dir);
    CommitLogOptions o = log_options(s);
    CommitLogReport rep;
    CommitLogError lerr;
    st = commitlog_open(dir, &o, from, commitlog_apply_visit, module_db(db->hm), &db->log, &rep,
                        &lerr);
    if (st != ST_OK) {
        snprintf(err, errlen, "commit log %s: %.300s (refusing to start it; the files are "
                 "left as they are for repair)", dir, lerr.msg);
        return st;
    }
    if (rep.next_offset < from) {   /* the log lost commits the snapshot has */
        snprintf(err, errlen, "commit log %s ends at commit %llu, before snapshot %llu", dir,
                 (unsigned long long)rep.next_offset, (unsigned long long)from);
        server_durable_close(s, db);
        return ST_MALFORMED;
    }
    if (!s->cfg.quiet)
        log_msg(LOG_INFO, "database %s: snapshot at %llu, %llu commits replayed%s", db->name,
                (unsigned long long)from, (unsigned long long)(rep.next_offset - from),
                rep.dropped_bytes ? " (a torn tail was cut)" : "");
    return ST_OK;
}

void server_durable_remove(const Database *db)
{
    char dir[4096];
    sub_path(db, "log", dir, sizeof dir);
    remove_dir(dir);
    sub_path(db, "snapshots", dir, sizeof dir);
    remove_dir(dir);
}

Status server_durable_reset(Server *s, Database *db, char *err, size_t errlen)
{
    server_durable_close(s, db);
    server_durable_remove(db);
    db->failed = false;
    db->since_snapshot = 0;
    char dir[4096];
    sub_path(db, "log", dir, sizeof dir);
    CommitLogOptions o = log_options(s);
    CommitLogError lerr;
    Status st = commitlog_open(dir, &o, 0, NULL, NULL, &db->log, NULL, &lerr);
    if (st != ST_OK)
        snprintf(err, errlen, "cannot create the commit log %s: %.300s", dir, lerr.msg);
    return st;
}

void server_durable_close(Server *s, Database *db)
{
    for (size_t i = 0; i < s->pending.len; i++)
        if (s->pending.items[i] == db)
            s->pending.items[i] = NULL;   /* keeps the indexes of held lines */
    if (!db->log)
        return;
    CommitLogError lerr;
    if (commitlog_close(db->log, &lerr) != ST_OK && !db->failed)
        log_msg(LOG_ERROR, "database %s: closing the commit log: %s", db->name, lerr.msg);
    db->log = NULL;
}

/* ---- appending ----------------------------------------------------------------- */

Status server_durable_commit(Server *s, Database *db, const TxDelta *d, int64_t time_us)
{
    if (server_durable_refusal(db))
        return ST_IO;
    if (!d || d->ntables == 0)
        return ST_OK;             /* nothing changed: nothing to make durable */
    CommitLogError lerr;
    Status st = commitlog_append(db->log, d, time_us, NULL, &lerr);
    if (st != ST_OK) {            /* memory now holds a commit the log lacks */
        fail(db, st == ST_IO ? lerr.msg : status_str(st));
        return ST_IO;
    }
    db->since_snapshot++;
    for (size_t i = 0; i < s->pending.len; i++)
        if (s->pending.items[i] == db)
            return ST_OK;
    if (vec_push(&s->pending, db) != ST_OK) {   /* cannot wait for it: sync now */
        if (commitlog_sync(db->log, &lerr) != ST_OK) {
            fail(db, lerr.msg);
            return ST_IO;
        }
    }
    return ST_OK;
}

/* ---- holding replies ------------------------------------------------------------ */

bool server_durable_hold(Server *s, Client *c, bool commit_news, const char *line, size_t len)
{
    if (s->cfg.fsync != COMMITLOG_SYNC_BATCH || s->pending.len == 0)
        return false;
    if (!commit_news && c->held == 0)
        return false;
    HeldLine h = { .client = c, .need = s->pending.len, .off = s->held_bytes.len, .len = len };
    if (strbuf_append(&s->held_bytes, line, len) != ST_OK || vec_push(&s->held, h) != ST_OK) {
        /* out of memory: the line is lost rather than sent early */
        log_msg(LOG_ERROR, "server: out of memory holding a reply; closing the client");
        conn_close(c->conn);
        return true;
    }
    c->held++;
    return true;
}

void server_durable_forget(Server *s, Client *c)
{
    for (size_t i = 0; i < s->held.len; i++)
        if (s->held.items[i].client == c)
            s->held.items[i].client = NULL;
    c->held = 0;
}

/* Send the held lines whose commits are durable (need <= ok); the
 * others' clients get one error line naming the failure. */
static void release(Server *s, size_t ok, const char *why)
{
    StrBuf err;
    strbuf_init(&err);
    for (size_t i = 0; i < s->held.len; i++) {
        HeldLine *h = &s->held.items[i];
        Client *c = h->client;
        if (!c)
            continue;             /* it left */
        if (h->need <= ok) {
            conn_send(c->conn, s->held_bytes.data + h->off, h->len);
        } else if (c->held != UINT32_MAX) {
            c->held = UINT32_MAX;   /* told once */
            char msg[800];
            snprintf(msg, sizeof msg, "not acknowledged, not durable: %s", why);
            strbuf_clear(&err);
            if (proto_encode_error(&err, msg) == ST_OK)
                conn_send(c->conn, err.data, err.len);
        }
    }
    strbuf_fini(&err);
    for (size_t i = 0; i < s->held.len; i++)
        if (s->held.items[i].client)
            s->held.items[i].client->held = 0;
    s->held.len = 0;
    strbuf_clear(&s->held_bytes);
}

/* ---- the end of a turn ---------------------------------------------------------- */

/* Snapshot db if --snapshot-every commits were appended since the last. */
static void maybe_snapshot(Server *s, Database *db)
{
    uint32_t every = s->cfg.snapshot_every;
    if (!every || db->failed || !db->log || db->since_snapshot < every)
        return;
    db->since_snapshot = 0;       /* a failure is retried `every` commits later */
    char dir[4096];
    sub_path(db, "snapshots", dir, sizeof dir);
    CommitLogError lerr;
    DbError dberr;
    SnapshotReport rep;
    if (commitlog_sync(db->log, &lerr) != ST_OK) {   /* the log covers the snapshot */
        fail(db, lerr.msg);
        return;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        log_msg(LOG_WARN, "database %s: cannot create %s: %s", db->name, dir, strerror(errno));
        return;
    }
    if (snapshot_write(module_db(db->hm), dir, commitlog_next_offset(db->log), &rep,
                       &dberr) != ST_OK) {
        log_msg(LOG_WARN, "database %s: snapshot failed: %s", db->name, dberr.msg);
        return;
    }
    uint32_t removed = 0;
    snapshot_prune(dir, SNAPSHOTS_KEPT, &removed, &dberr);
    if (!s->cfg.quiet)
        log_msg(LOG_INFO, "database %s: snapshot %s (%llu rows, %llu bytes)", db->name,
                rep.name, (unsigned long long)rep.nrows, (unsigned long long)rep.bytes);
}

/* Before syncing, read the calls that arrived while this turn ran
 * (loop_gather): they share its one fsync instead of paying for their
 * own next turn.  Bounded, so held replies do not wait long. */
static void gather(Server *s)
{
    for (int i = 0; i < GATHER_ROUNDS; i++)
        if (!s->pending.len || !s->loop || loop_gather(s->loop) == 0)
            return;
}

void server_durable_end_turn(Server *s)
{
    if (s->cfg.fsync == COMMITLOG_SYNC_BATCH)
        gather(s);
    size_t ok = s->pending.len;   /* index of the first log that failed */
    const char *why = "";
    for (size_t i = 0; i < s->pending.len; i++) {
        Database *db = s->pending.items[i];
        CommitLogError lerr;
        if (!db || commitlog_end_batch(db->log, &lerr) == ST_OK)
            continue;
        fail(db, lerr.msg);
        if (ok == s->pending.len) {
            ok = i;
            why = db->failure;
        }
    }
    s->pending.len = 0;
    release(s, ok, why);
    for (size_t i = 0; i < s->dbs.len; i++)
        maybe_snapshot(s, s->dbs.items[i]);
}

void server_durable_fini(Server *s)
{
    vec_fini(&s->pending);
    vec_fini(&s->held);
    strbuf_fini(&s->held_bytes);
}

/* ---- a migrating republish (chapter 29) ------------------------------------------ */

Status server_durable_migrated(Database *db, const Db *state, char *name, size_t namelen,
                               char *err, size_t errlen)
{
    const char *no = server_durable_refusal(db);
    CommitLogError lerr;
    if (!no && commitlog_sync(db->log, &lerr) != ST_OK) {   /* the log covers offsets < N */
        fail(db, lerr.msg);
        no = db->failure;
    }
    if (no) {
        snprintf(err, errlen, "%s", no);
        return ST_IO;
    }
    char dir[4096];
    sub_path(db, "snapshots", dir, sizeof dir);
    DbError dberr;
    SnapshotReport rep;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %.300s: %s", dir, strerror(errno));
        return ST_IO;
    }
    if (snapshot_write(state, dir, commitlog_next_offset(db->log), &rep, &dberr) != ST_OK) {
        snprintf(err, errlen, "snapshot of the migrated database: %s", dberr.msg);
        return ST_IO;
    }
    snprintf(name, namelen, "%s", rep.name);
    db->since_snapshot = 0;
    return ST_OK;
}
