/*
 * server_db.c - the database registry and its data directory.
 *
 * A database is a name, an owner, its own identity, a loaded module
 * (HostModule: instance + tables) and a module log.  The registry is a
 * plain array searched by name: a server hosts a handful of databases,
 * and a reducer call finds its database through the client's pointer,
 * not by name.
 *
 *   DATA/databases/NAME/module.wasm   the module as published
 *   DATA/databases/NAME/database      "tinystdb-database 1\nowner HEX\nidentity HEX\n"
 *   DATA/databases/NAME/module.log    what the module logged (logs.c)
 *   DATA/databases/NAME/log/          the commit log (server_durable.c, chapter 27)
 *   DATA/databases/NAME/snapshots/    its snapshots
 *
 * Both module.wasm and the database file are written to a temporary
 * name, fsynced and renamed, so a crash leaves the old version or the
 * new one, never half of one.  A restart loads every directory that has
 * both files, then its rows: newest snapshot + the log after it
 * (server_durable_open).  One that does not load (a module that fails,
 * a corrupt commit log) is skipped with a warning and left on disk for
 * its owner to inspect (a server that deleted data because a module
 * stopped loading would be worse); the others are served.
 *
 * Republishing without clearing migrates the data (chapter 29): the plan
 * (migrate.c) says whether the new tables can hold the old rows; then
 * server_db_migrate copies them into the new module's tables (matched
 * by name), writes a snapshot of the result at the log's end (restart
 * reads the new tables from there, never the old commits) and only then
 * replaces module.wasm.
 *
 * Book: chapter 22, book/22-server.md
 */
#include "server_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/snapshot.h"
#include "../host/migrate.h"
#include "../util/alloc.h"
#include "../util/json.h"
#include "../util/log.h"

#define DB_FILE "database"
#define DB_HEADER "tinystdb-database 1"
#define WASM_FILE "module.wasm"
#define LOG_FILE "module.log"
#define MAX_WASM ((size_t)256 << 20)   /* refuse to read a bigger module file */

bool server_db_on_disk(const Server *s, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/databases/%s/%s", s->data_dir, name, DB_FILE);
    return access(path, F_OK) == 0;
}

bool server_dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

Database *server_db_find(const Server *s, const char *name)
{
    for (size_t i = 0; i < s->dbs.len; i++)
        if (strcmp(s->dbs.items[i]->name, name) == 0)
            return s->dbs.items[i];
    return NULL;
}

/* ---- files ---------------------------------------------------------------------- */

static Status read_file(const char *path, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ST_IO;
    StrBuf sb;
    strbuf_init(&sb);
    char buf[65536];
    size_t n;
    Status st = ST_OK;
    while (st == ST_OK && (n = fread(buf, 1, sizeof buf, f)) > 0)
        st = sb.len + n > MAX_WASM ? ST_LIMIT : strbuf_append(&sb, buf, n);
    if (st == ST_OK && ferror(f))
        st = ST_IO;
    fclose(f);
    if (st != ST_OK) {
        strbuf_fini(&sb);
        return st;
    }
    *out = (uint8_t *)sb.data;
    *len = sb.len;
    return ST_OK;
}

/* Write dir/name atomically: dir/name.tmp, fsync, rename. */
static Status write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return ST_IO;
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return ST_IO;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return ST_IO;
    }
    return ST_OK;
}

Status server_db_save(const Database *db, const uint8_t *wasm, size_t len, char *err,
                      size_t errlen)
{
    char owner[IDENTITY_HEX_LEN + 1], ident[IDENTITY_HEX_LEN + 1], text[256];
    identity_format_hex(&db->owner, owner);
    identity_format_hex(&db->identity, ident);
    int n = snprintf(text, sizeof text, DB_HEADER "\nowner %s\nidentity %s\n", owner, ident);
    if (write_atomic(db->dir, WASM_FILE, wasm, len) != ST_OK ||
        write_atomic(db->dir, DB_FILE, text, (size_t)n) != ST_OK) {
        snprintf(err, errlen, "cannot save database %s in %s: %s", db->name, db->dir,
                 strerror(errno));
        return ST_IO;
    }
    return ST_OK;
}

/* Parse the database file into db->owner and db->identity. */
static Status read_db_file(Database *db)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", db->dir, DB_FILE);
    uint8_t *text;
    size_t len;
    if (read_file(path, &text, &len) != ST_OK)
        return ST_IO;
    char owner[IDENTITY_HEX_LEN + 1], ident[IDENTITY_HEX_LEN + 1];
    char *s = mem_strndup((const char *)text, len);
    mem_free(text);
    Status st = ST_MALFORMED;
    if (s && sscanf(s, DB_HEADER "\nowner %64s\nidentity %64s", owner, ident) == 2 &&
        identity_parse_hex(owner, strlen(owner), &db->owner, NULL) == ST_OK &&
        identity_parse_hex(ident, strlen(ident), &db->identity, NULL) == ST_OK)
        st = ST_OK;
    mem_free(s);
    return st;
}

/* ---- one database --------------------------------------------------------------- */

static void database_free(Database *db)
{
    if (!db)
        return;
    module_free(db->hm);
    logs_close(db->logs);
    mem_free(db->dir);
    mem_free(db);
}

Status server_db_create(Server *s, const char *name, Database **out, char *err, size_t errlen)
{
    *out = NULL;
    Database *db = mem_calloc(1, sizeof *db);
    size_t dlen = strlen(s->data_dir) + strlen(name) + 32;
    if (!db || !(db->dir = mem_alloc(dlen))) {
        mem_free(db);
        snprintf(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    snprintf(db->name, sizeof db->name, "%s", name);
    snprintf(db->dir, dlen, "%s/databases", s->data_dir);
    mkdir(db->dir, 0700);
    snprintf(db->dir, dlen, "%s/databases/%s", s->data_dir, name);
    if (mkdir(db->dir, 0700) != 0 && !server_dir_exists(db->dir)) {
        snprintf(err, errlen, "cannot create %s: %s", db->dir, strerror(errno));
        database_free(db);
        return ST_IO;
    }
    char path[4096], msg[256];
    snprintf(path, sizeof path, "%s/%s", db->dir, LOG_FILE);
    Status st = logs_open(path, 0, &db->logs, msg, sizeof msg);
    if (st != ST_OK) {
        snprintf(err, errlen, "%s", msg);
        database_free(db);
        return st;
    }
    *out = db;
    return ST_OK;
}

Status server_db_load_module(Server *s, const Database *db, const uint8_t *wasm, size_t len,
                             HostModule **out, char *err, size_t errlen)
{
    HostConfig hc = s->cfg.host;
    memcpy(hc.identity, db->identity.le, sizeof hc.identity);
    memcpy(hc.owner, db->owner.le, sizeof hc.owner);
    hc.logs = db->logs;
    hc.on_schedule = NULL;       /* the server's Scheduler hooks the host after loading */
    hc.on_immediate = NULL;
    ModError merr;
    Status st = module_load(wasm, len, &hc, out, &merr);
    if (st != ST_OK)
        snprintf(err, errlen, "%s", merr.msg);
    return st;
}

Status server_db_register(Server *s, Database *db)
{
    return vec_push(&s->dbs, db);
}

static void remove_files(const Database *db)
{
    const char *files[] = { WASM_FILE, DB_FILE, LOG_FILE };
    char path[4096];
    server_durable_remove(db);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", db->dir, files[i]);
        unlink(path);
    }
    rmdir(db->dir);
}

void server_db_drop(Server *s, Database *db, bool remove)
{
    for (size_t i = 0; i < s->dbs.len; i++) {
        if (s->dbs.items[i] == db) {
            memmove(&s->dbs.items[i], &s->dbs.items[i + 1],
                    (s->dbs.len - i - 1) * sizeof *s->dbs.items);
            s->dbs.len--;
            break;
        }
    }
    server_durable_close(s, db);
    if (remove)
        remove_files(db);
    database_free(db);
}

void server_db_unbind(Server *s, Database *db, bool disconnect, bool followers,
                      const char *why)
{
    for (Client *c = s->clients; c; c = c->next) {
        if (c->db != db && !(followers && c->follow == db))
            continue;
        if (c->db == db && disconnect)
            server_client_leave(s, c);
        c->db = NULL;
        if (c->follow == db)
            c->follow = NULL;
        server_send_error(s, c, "%s", why);
        conn_close(c->conn);
    }
}

/* ---- loading at start-up -------------------------------------------------------- */

static Status load_one(Server *s, const char *name, char *err, size_t errlen)
{
    Database *db;
    Status st = server_db_create(s, name, &db, err, errlen);
    if (st != ST_OK)
        return st;
    char path[4096];
    uint8_t *wasm = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", db->dir, WASM_FILE);
    if ((st = read_db_file(db)) != ST_OK)
        snprintf(err, errlen, "%s/%s: missing or damaged", db->dir, DB_FILE);
    else if ((st = read_file(path, &wasm, &len)) != ST_OK)
        snprintf(err, errlen, "%.400s: cannot read", path);
    else
        st = server_db_load_module(s, db, wasm, len, &db->hm, err, errlen);
    mem_free(wasm);
    if (st == ST_OK)
        st = server_durable_open(s, db, err, errlen);   /* snapshot + replay */
    if (st == ST_OK)
        st = server_db_register(s, db);
    if (st != ST_OK) {
        server_durable_close(s, db);
        database_free(db);
    }
    return st;
}

Status server_db_load_all(Server *s, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/databases", s->data_dir);
    DIR *d = opendir(path);
    if (!d)
        return ST_OK;   /* a fresh data directory */
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!proto_name_valid(e->d_name, strlen(e->d_name)))
            continue;   /* ".", "..", stray files */
        char why[512];
        if (load_one(s, e->d_name, why, sizeof why) != ST_OK)
            log_msg(LOG_WARN, "database %s not loaded: %s", e->d_name, why);
        else if (!s->cfg.quiet)
            log_msg(LOG_INFO, "database %s loaded", e->d_name);
    }
    closedir(d);
    (void)err;
    (void)errlen;
    return ST_OK;
}

/* ---- republishing (chapter 29) ------------------------------------------------------ */

/* The log record a migration leaves in module.log, one per step, as
 * SpacetimeDB's system logger writes "Creating table `x`". */
static void log_steps(const Database *db, const MigratePlan *plan, int64_t now)
{
    StrBuf sb;
    strbuf_init(&sb);
    if (migrate_plan_format(plan, &sb) == ST_OK) {
        for (char *line = sb.data, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
            *nl = '\0';
            LogRecord r = { .ts = now, .level = MODLOG_INFO, .line = LOGS_NO_LINE,
                            .message = line + 2 };   /* after "+ " */
            logs_append(db->logs, &r);
        }
    }
    strbuf_fini(&sb);
}

Status server_db_migrate(Server *s, Database *db, const MigratePlan *plan, HostModule *hm,
                         const uint8_t *wasm, size_t len, char *err, size_t errlen)
{
    MigrateReport rep;
    char snap[SNAPSHOT_NAME_LEN + 1], path[4096];
    Status st = migrate_apply(plan, module_db(db->hm), module_db(hm), &rep, err, errlen);
    /* the migrated state as of the log's end, then the module that reads it */
    if (st == ST_OK)
        st = server_durable_migrated(db, module_db(hm), snap, sizeof snap, err, errlen);
    if (st == ST_OK && (st = server_db_save(db, wasm, len, err, errlen)) != ST_OK) {
        snprintf(path, sizeof path, "%s/snapshots/%s", db->dir, snap);
        unlink(path);   /* the old module.wasm stays: so must the old tables */
    }
    if (st != ST_OK)
        return st;
    log_steps(db, plan, server_now(s));
    if (!s->cfg.quiet)
        log_msg(LOG_INFO, "database %s migrated: %zu steps, %u tables kept, %llu rows", db->name,
                plan->steps.len, rep.tables_kept, (unsigned long long)rep.rows);
    return ST_OK;
}
