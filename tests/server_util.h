/*
 * server_util.h - the harness of the server tests (tests/test_server.c,
 * tests/test_server_life.c, tests/test_server_proto.c): a real server on
 * 127.0.0.1 with a kernel-chosen port and a fresh temporary data
 * directory, and clients that talk to it over real sockets.
 *
 * Server and clients share one thread, as in tests/loop_util.h: client
 * sockets are non-blocking, and whenever a client would wait, the harness
 * runs one turn of the server (server_run_once) instead.  So nothing
 * sleeps, nothing races, and every wait has a deadline (WAIT_MS) after
 * which the test fails instead of hanging.  After every server turn
 * server_check verifies the server's invariants (and the loop's).
 *
 *   ts_start(&cfg)            server up (ts_config gives the defaults)
 *   TClient *c = tc_open()    a connected client
 *   tc_send(c, line)          one line (the harness adds '\n')
 *   tc_line(c)                the next line (NULL: closed or timed out)
 *   tc_reply(c, &rep)         the next line decoded as a ProtoReply
 *   tc_closed(c)              wait until the server closed c
 *   ts_restart()              the same data directory, a new process state
 *   ts_stop()                 server down, data directory removed
 *   ts_setup, ts_teardown     the same as cmocka fixtures
 *   ts_rows_of(db, table)     a table's row count
 *   ts_log_count(db, text)    occurrences of text in a database's module.log
 *
 * Book: chapter 22, book/22-server.md
 */
#ifndef TINYSTDB_TESTS_SERVER_UTIL_H
#define TINYSTDB_TESTS_SERVER_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "net/proto.h"
#include "net/server.h"
#include "util/alloc.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "file_util.h"

#define WAIT_MS 10000

static Server *srv;
static ServerConfig srv_cfg;
static char srv_dir[256];

static inline int64_t ts_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One turn of the server, then its invariants. */
static inline void ts_turn(int timeout_ms)
{
    char msg[256];
    assert_int_equal(server_run_once(srv, timeout_ms), ST_OK);
    if (server_check(srv, msg, sizeof msg) != ST_OK)
        fail_msg("server_check: %s", msg);
}

static inline void ts_config(ServerConfig *cfg)
{
    server_config_default(cfg);
    cfg->listen = "127.0.0.1:0";
    cfg->quiet = true;
}

static inline void ts_boot(void)
{
    char err[SERVER_ERR_LEN];
    srv_cfg.data_dir = srv_dir;
    if (server_new(&srv_cfg, &srv, err) != ST_OK)
        fail_msg("server_new: %s", err);
}

static inline void ts_start(const ServerConfig *cfg)
{
    log_set_level(LOG_ERROR);
    srv_cfg = *cfg;
    snprintf(srv_dir, sizeof srv_dir, "/tmp/tinystdb-test-XXXXXX");
    assert_non_null(mkdtemp(srv_dir));
    ts_boot();
}

static inline void ts_restart(void)
{
    server_free(srv);
    ts_boot();
}

static inline void ts_stop(void)
{
    server_free(srv);
    srv = NULL;
    fs_remove_tree(srv_dir);
}

/* cmocka fixtures: a server with the default configuration (ts_config)
 * around each test.  Tests that need another configuration write their
 * own setup and still use ts_teardown. */
static inline int ts_setup(void **state)
{
    (void)state;
    ServerConfig cfg;
    ts_config(&cfg);
    ts_start(&cfg);
    return 0;
}

static inline int ts_teardown(void **state)
{
    (void)state;
    ts_stop();
    return 0;
}

/* How many rows `table` of database `db` holds, read from the server. */
static inline uint64_t ts_rows_of(const char *db, const char *table)
{
    HostModule *hm = server_database(srv, db);
    assert_non_null(hm);
    uint32_t id = module_table_id(hm, table);
    assert_true(id != 0);
    return table_row_count(db_table(module_db(hm), id));
}

/* ---- clients ------------------------------------------------------------------- */

typedef struct TClient {
    int fd;
    StrBuf in;        /* bytes received, not yet returned as lines */
    StrBuf line;      /* the last line returned */
    Arena arena;      /* decoded replies */
    bool eof;
} TClient;

/* A client; rcvbuf > 0 shrinks its receive buffer (a slow reader). */
static inline TClient *tc_open_buf(int rcvbuf)
{
    TClient *c = mem_calloc(1, sizeof *c);
    assert_non_null(c);
    strbuf_init(&c->in);
    strbuf_init(&c->line);
    arena_init(&c->arena);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    if (rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)server_port(srv)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(c->fd, (struct sockaddr *)&a, sizeof a);
    assert_true(r == 0 || errno == EINPROGRESS);
    ts_turn(0);   /* accept */
    return c;
}

static inline TClient *tc_open(void) { return tc_open_buf(0); }

static inline void tc_free(TClient *c)
{
    if (!c)
        return;
    close(c->fd);
    strbuf_fini(&c->in);
    strbuf_fini(&c->line);
    arena_fini(&c->arena);
    mem_free(c);
    if (srv)
        for (int i = 0; i < 3; i++)
            ts_turn(0);   /* let the server see the close */
}

/* Send bytes, taking server turns while the socket is full.  Returns
 * false if the server closed the connection first. */
static inline bool tc_send_raw(TClient *c, const char *p, size_t n)
{
    int64_t deadline = ts_ms() + WAIT_MS;
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return false;
        assert_true(ts_ms() < deadline);
        ts_turn(1);
    }
    ts_turn(0);
    return true;
}

/* One send for the line and its '\n' (two small sends would meet Nagle's
 * algorithm and the peer's delayed ACK: 40 ms per line). */
static inline void tc_send(TClient *c, const char *line)
{
    size_t n = strlen(line);
    char *buf = mem_alloc(n + 1);
    assert_non_null(buf);
    memcpy(buf, line, n);
    buf[n] = '\n';
    assert_true(tc_send_raw(c, buf, n + 1));
    mem_free(buf);
}

__attribute__((format(printf, 2, 3)))
static inline void tc_sendf(TClient *c, const char *fmt, ...)
{
    StrBuf sb;
    strbuf_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    assert_int_equal(strbuf_vprintf(&sb, fmt, ap), ST_OK);
    va_end(ap);
    tc_send(c, sb.data);
    strbuf_fini(&sb);
}

/* Read what is there; false on EOF or error. */
static inline bool tc_pull(TClient *c)
{
    char buf[65536];
    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r > 0) {
            assert_int_equal(strbuf_append(&c->in, buf, (size_t)r), ST_OK);
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            c->eof = true;
        return !c->eof;
    }
}

/* The next line within wait_ms (without '\n'), or NULL. */
static inline const char *tc_line_within(TClient *c, int wait_ms)
{
    int64_t deadline = ts_ms() + wait_ms;
    for (;;) {
        char *nl = c->in.len ? memchr(c->in.data, '\n', c->in.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->in.data);
            strbuf_clear(&c->line);
            assert_int_equal(strbuf_append(&c->line, c->in.data, n), ST_OK);
            memmove(c->in.data, nl + 1, c->in.len - n - 1);
            c->in.len -= n + 1;
            return c->line.data ? c->line.data : "";
        }
        if (c->eof || ts_ms() >= deadline)
            return NULL;
        ts_turn(1);
        tc_pull(c);
    }
}

static inline const char *tc_line(TClient *c)
{
    const char *l = tc_line_within(c, WAIT_MS);
    if (!l)
        fail_msg("no line from the server (%s)", c->eof ? "closed" : "timed out");
    return l;
}

/* The next line, decoded. */
static inline void tc_reply(TClient *c, ProtoReply *rep)
{
    const char *l = tc_line(c);
    ProtoError err;
    arena_reset(&c->arena);
    if (proto_decode_reply(&c->arena, l, strlen(l), rep, &err) != ST_OK)
        fail_msg("cannot decode %s: %s", l, err.msg);
}

/* The next line must be {"error": ...} containing `part`. */
static inline void tc_error(TClient *c, const char *part)
{
    ProtoReply rep;
    tc_reply(c, &rep);
    if (rep.kind == PROTO_REPLY_IDENTITY_TOKEN)   /* an implicit Connect came first */
        tc_reply(c, &rep);
    if (rep.kind != PROTO_REPLY_ERROR || !strstr(rep.error.s, part))
        fail_msg("expected an error with \"%s\", got %s", part, c->line.data);
}

/* Wait until the server has closed c (lines before that are dropped). */
static inline void tc_closed(TClient *c)
{
    int64_t deadline = ts_ms() + WAIT_MS;
    while (!c->eof) {
        assert_true(ts_ms() < deadline);
        ts_turn(1);
        tc_pull(c);
        c->in.len = 0;
    }
}

/* ---- files and modules --------------------------------------------------------- */

/* How many times text occurs in the module.log of database db. */
static inline size_t ts_log_count(const char *db, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/databases/%s/module.log", srv_dir, db);
    size_t len, n = 0;
    char *log = file_read_all(path, &len);
    assert_non_null(log);
    for (const char *p = log; (p = strstr(p, text)) != NULL; p++)
        n++;
    mem_free(log);
    return n;
}

/* The Rust module's path, or NULL (then the test is skipped). */
static inline const char *rust_module_path(void)
{
    static char path[512];
    const char *dirs[] = { getenv("TINYSTDB_SHARED"), "../shared", "../../shared" };
    for (size_t i = 0; i < 3; i++) {
        if (!dirs[i])
            continue;
        snprintf(path, sizeof path, "%s/modules/rust-1.1.2-metasiberia-game.wasm", dirs[i]);
        if (access(path, R_OK) == 0)
            return path;
    }
    return NULL;
}

/* {"Publish":{"name":NAME,"wasm_base64":...,"clear":CLEAR}} for a file. */
static inline void tc_send_publish(TClient *c, const char *name, const char *path, bool clear)
{
    size_t len;
    char *wasm = file_read_all(path, &len);
    if (!wasm)
        fail_msg("cannot read %s", path);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_printf(&sb, "{\"Publish\":{\"name\":\"%s\",\"wasm_base64\":\"", name),
                     ST_OK);
    assert_int_equal(proto_base64_encode(&sb, (const uint8_t *)wasm, len), ST_OK);
    assert_int_equal(strbuf_printf(&sb, "\",\"clear\":%s}}", clear ? "true" : "false"), ST_OK);
    tc_send(c, sb.data);
    strbuf_fini(&sb);
    mem_free(wasm);
}

/* Connect (token may be NULL, db may be NULL) and read IdentityToken. */
static inline void tc_hello(TClient *c, const char *db, const char *token, ProtoReply *rep)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_puts(&sb, "{\"Connect\":{"), ST_OK);
    if (db)
        assert_int_equal(strbuf_printf(&sb, "\"database\":\"%s\"%s", db, token ? "," : ""), ST_OK);
    if (token)
        assert_int_equal(strbuf_printf(&sb, "\"token\":\"%s\"", token), ST_OK);
    assert_int_equal(strbuf_puts(&sb, "}}"), ST_OK);
    tc_send(c, sb.data);
    strbuf_fini(&sb);
    tc_reply(c, rep);
    if (rep->kind != PROTO_REPLY_IDENTITY_TOKEN)
        fail_msg("expected IdentityToken, got %s", c->line.data);
}

/* Publish and expect Published. */
static inline void tc_publish(TClient *c, const char *name, const char *path, bool clear)
{
    tc_send_publish(c, name, path, clear);
    ProtoReply rep;
    tc_reply(c, &rep);
    if (rep.kind == PROTO_REPLY_IDENTITY_TOKEN)   /* an implicit Connect came first */
        tc_reply(c, &rep);
    if (rep.kind != PROTO_REPLY_PUBLISHED)
        fail_msg("publish %s: %s", name, c->line.data);
}

#endif
