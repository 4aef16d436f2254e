/*
 * cmd_test_harness.c - the real server, in-process, and one client per
 * scenario identity, all on one thread.
 *
 *   TestConn.fd ══ socketpair(AF_UNIX) ══ Conn (loop_adopt) ── Server
 *        │  request line                          │
 *        └─ test_harness_wait: server_run_once(s, 0), read every
 *           client's end, until the wanted reply is queued
 *
 * There is no listening socket (ServerConfig.listen = NULL) and no real
 * time: ServerConfig.clock is a MANUAL clock starting at TEST_START_US,
 * moved only by server_advance.  Every wait is bounded by TEST_MAX_TURNS
 * server turns, so a reply that never comes is a failure, never a hang.
 *
 * Lines a client receives are queued in TestConn.lines until a step
 * consumes them; the rows of every TransactionUpdate(Light) are also
 * filed into TestConn.updates ("+ table row" / "- table row") for the
 * `updates` step.  Invariants: fd >= 0 iff the identity is connected;
 * bound implies fd >= 0.
 *
 * Book: chapter 30, book/30-testing-modules.md
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/alloc.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/log.h"
#include "cli.h"
#include "cmd_test.h"

/* ---- reading what the server sends -------------------------------------- */

static void drop_rows(TestRows *r)
{
    for (size_t i = 0; i < r->len; i++)
        mem_free(r->items[i]);
    vec_fini(r);
}

static void file_update(TestConn *c, const ProtoTableUpdate *t, const char *sign)
{
    for (size_t q = 0; q < t->updates.len; q++) {
        const ProtoQueryUpdate *u = &t->updates.items[q];
        const ProtoStrList *l[2] = {&u->deletes, &u->inserts};
        for (int k = 0; k < 2; k++) {
            if (sign[k] == ' ')
                continue;
            for (size_t i = 0; i < l[k]->len; i++) {
                StrBuf sb;
                strbuf_init(&sb);
                char err[300];
                strbuf_printf(&sb, "%c %s ", sign[k], t->table_name.s);
                if (test_canon_json(l[k]->items[i].s, l[k]->items[i].len, &sb, err,
                                    sizeof err) != ST_OK ||
                    vec_push(&c->updates, sb.data) != ST_OK)
                    strbuf_fini(&sb);
            }
        }
    }
}

/* A complete line arrived for c: queue it, and file its update rows. */
static void take_line(TestConn *c, const char *line, size_t len)
{
    Arena a;
    arena_init(&a);
    ProtoReply rep;
    ProtoError perr;
    if (proto_decode_reply(&a, line, len, &rep, &perr) == ST_OK) {
        const ProtoDatabaseUpdate *d =
            rep.kind == PROTO_REPLY_TRANSACTION_UPDATE_LIGHT ? &rep.update
            : rep.kind == PROTO_REPLY_TRANSACTION_UPDATE &&
                    rep.status.kind == PROTO_STATUS_COMMITTED ? &rep.status.committed
                                                              : NULL;
        for (size_t i = 0; d && i < d->tables.len; i++)
            file_update(c, &d->tables.items[i], "-+");
    }
    arena_fini(&a);
    char *copy = mem_strndup(line, len);
    if (copy && vec_push(&c->lines, copy) != ST_OK)
        mem_free(copy);
}

/* Read what is waiting on c's end; EOF closes it.  Returns bytes read. */
static size_t read_conn(TestConn *c)
{
    size_t total = 0;
    char buf[65536];
    while (c->fd >= 0) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {             /* the server closed us */
            close(c->fd);
            c->fd = -1;
            c->bound = false;
            break;
        }
        total += (size_t)n;
        strbuf_append(&c->in, buf, (size_t)n);
        size_t start = 0;
        for (size_t i = 0; i < c->in.len; i++)
            if (c->in.data[i] == '\n') {
                take_line(c, c->in.data + start, i - start);
                start = i + 1;
            }
        memmove(c->in.data, c->in.data + start, c->in.len - start);
        c->in.len -= start;
    }
    return total;
}

/* One server turn, then every client reads.  Bytes received. */
static size_t turn(TestHarness *h)
{
    server_run_once(h->srv, 0);
    size_t got = h->admin ? read_conn(h->admin) : 0;
    for (size_t i = 0; i < h->conns.len; i++)
        got += read_conn(h->conns.items[i]);
    return got;
}

void test_harness_settle(TestHarness *h)
{
    for (int quiet = 0, n = 0; quiet < 2 && n < TEST_MAX_TURNS; n++)
        quiet = turn(h) ? 0 : quiet + 1;
    for (size_t i = 0; i < h->conns.len; i++)   /* no step waits for these */
        drop_rows(&h->conns.items[i]->lines);
}

/* ---- connections --------------------------------------------------------- */

TestConn *test_harness_conn(TestHarness *h, const char *name)
{
    for (size_t i = 0; i < h->conns.len; i++)
        if (strcmp(h->conns.items[i]->name, name) == 0)
            return h->conns.items[i];
    TestConn *c = mem_calloc(1, sizeof *c);
    if (!c || vec_push(&h->conns, c) != ST_OK) {
        mem_free(c);
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    c->fd = -1;
    strbuf_init(&c->in);
    return c;
}

static void conn_free(TestConn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    strbuf_fini(&c->in);
    drop_rows(&c->lines);
    drop_rows(&c->updates);
    mem_free(c);
}

/* Write a whole line, turning the server while the socket is full. */
static Status write_all(TestHarness *h, TestConn *c, const char *p, size_t n, char *err,
                        size_t errlen)
{
    for (int turns = 0; n > 0;) {
        if (c->fd < 0)
            return snprintf(err, errlen, "%s: the server closed the connection", c->name),
                   ST_IO;
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return snprintf(err, errlen, "%s: send: %s", c->name, strerror(errno)), ST_IO;
        } else if (++turns > TEST_MAX_TURNS) {
            return snprintf(err, errlen, "%s: the server does not read", c->name), ST_IO;
        } else {
            turn(h);
        }
    }
    return ST_OK;
}

static Status send_req(TestHarness *h, TestConn *c, const ProtoRequest *req, char *err,
                       size_t errlen)
{
    StrBuf sb;
    strbuf_init(&sb);
    Status st = proto_encode_request(&sb, req);
    if (st != ST_OK)
        snprintf(err, errlen, "cannot encode %s: %s", proto_req_name(req->kind), status_str(st));
    else
        st = write_all(h, c, sb.data, sb.len, err, errlen);
    strbuf_fini(&sb);
    return st;
}

static bool want_kind(const ProtoReply *rep, const void *ctx)
{
    return rep->kind == *(const ProtoReplyKind *)ctx;
}

Status test_harness_wait(TestHarness *h, TestConn *c, TestWantFn *want, const void *ctx,
                         Arena *a, ProtoReply *rep, char *err, size_t errlen)
{
    for (int n = 0; n <= TEST_MAX_TURNS; n++) {
        for (size_t i = 0; i < c->lines.len; i++) {
            char *line = c->lines.items[i];
            ProtoError perr;
            if (proto_decode_reply(a, line, strlen(line), rep, &perr) != ST_OK)
                continue;
            if (rep->kind != PROTO_REPLY_ERROR && !want(rep, ctx))
                continue;
            memmove(&c->lines.items[i], &c->lines.items[i + 1],
                    (c->lines.len - i - 1) * sizeof *c->lines.items);
            c->lines.len--;
            /* rep's strings point into the arena, not into line */
            mem_free(line);
            return ST_OK;
        }
        if (c->fd < 0)
            return snprintf(err, errlen, "the server closed the connection of %s", c->name),
                   ST_IO;
        turn(h);
    }
    return snprintf(err, errlen, "no reply for %s after %d server turns", c->name,
                    TEST_MAX_TURNS), ST_IO;
}

void test_harness_open(TestHarness *h, TestConn *c, bool bind, TestObserved *o)
{
    o->ok = false;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        snprintf(o->msg, sizeof o->msg, "socketpair: %s", strerror(errno));
        return;
    }
    char peer[64];
    snprintf(peer, sizeof peer, "test:%s", c->name);
    if (loop_adopt(server_loop(h->srv), sv[1], peer) != ST_OK) {
        close(sv[0]);
        snprintf(o->msg, sizeof o->msg, "the server does not take a connection");
        return;
    }
    c->fd = sv[0];
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    ProtoRequest req = {.kind = PROTO_REQ_CONNECT};
    if (c->token[0])
        req.token = proto_str(c->token);
    if (bind)
        req.database = proto_str(TEST_DATABASE);
    Arena a;
    arena_init(&a);
    ProtoReply rep;
    ProtoReplyKind k = PROTO_REPLY_IDENTITY_TOKEN;
    if (send_req(h, c, &req, o->msg, sizeof o->msg) == ST_OK &&
        test_harness_wait(h, c, want_kind, &k, &a, &rep, o->msg, sizeof o->msg) == ST_OK) {
        if (rep.kind == PROTO_REPLY_ERROR) {
            snprintf(o->msg, sizeof o->msg, "%s", rep.error.s);
        } else {
            snprintf(c->token, sizeof c->token, "%s", rep.token.s);
            c->identity = rep.identity;
            c->conn_id = rep.connection_id;
            c->bound = bind;
            o->ok = true;
        }
    }
    arena_fini(&a);
    if (!o->ok)
        test_harness_close(h, c);
}

void test_harness_close(TestHarness *h, TestConn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->bound = false;
    c->in.len = 0;
    test_harness_settle(h);       /* the server sees EOF: client_disconnected runs */
}

Status test_harness_send(TestHarness *h, TestConn *c, const ProtoRequest *req, char *err,
                         size_t errlen)
{
    if (!c->bound) {
        TestObserved o = {0};
        test_harness_open(h, c, true, &o);
        if (!o.ok)
            return snprintf(err, errlen, "cannot connect %s: %s", c->name, o.msg), ST_IO;
    }
    return send_req(h, c, req, err, errlen);
}

/* ---- the server's life ---------------------------------------------------- */

static Status boot(TestHarness *h, char *err, size_t errlen)
{
    char serr[SERVER_ERR_LEN];
    Status st = server_new(&h->cfg, &h->srv, serr);
    if (st != ST_OK)
        snprintf(err, errlen, "cannot start the server: %s", serr);
    return st;
}

Status test_harness_start(TestHarness *h, const char *module, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    identity_set_random_seed(TEST_SEED);
    clock_init_manual(&h->clock, 1000, TEST_START_US);
    server_config_default(&h->cfg);
    h->cfg.listen = NULL;         /* clients come only through loop_adopt */
    h->cfg.quiet = true;
    h->cfg.fsync = COMMITLOG_SYNC_NEVER;   /* a test is not a power cut */
    h->cfg.clock = &h->clock;
    const char *tmp = getenv("TMPDIR");
    snprintf(h->dir, sizeof h->dir, "%s/tinystdb-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(h->dir))
        return snprintf(err, errlen, "cannot create %s: %s", h->dir, strerror(errno)), ST_IO;
    h->cfg.data_dir = h->dir;
    Status st = boot(h, err, errlen);
    if (st != ST_OK)
        return st;
    h->current = test_harness_conn(h, TEST_OWNER);
    if (!h->current)
        return ST_NOMEM;
    TestObserved o = {0};
    test_harness_publish(h, h->current, module, &o);
    if (!o.ok)
        return snprintf(err, errlen, "cannot publish %s: %s", module, o.msg), ST_INVALID;
    return ST_OK;
}

/* Every client end closed, its queues emptied (subscriptions die too). */
static void forget_clients(TestHarness *h)
{
    for (size_t i = 0; i < h->conns.len; i++) {
        TestConn *c = h->conns.items[i];
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        c->bound = false;
        c->in.len = 0;
        drop_rows(&c->lines);
        drop_rows(&c->updates);
    }
}

void test_harness_stop(TestHarness *h)
{
    forget_clients(h);
    server_free(h->srv);
    h->srv = NULL;
    for (size_t i = 0; i < h->conns.len; i++)
        conn_free(h->conns.items[i]);
    vec_fini(&h->conns);
    const char *keep = getenv("TINYSTDB_TEST_KEEP");   /* for a post-mortem */
    if (h->dir[0] && keep && *keep)
        fprintf(stderr, "tinystdb test: kept %s\n", h->dir);
    else if (h->dir[0])
        fs_remove_tree(h->dir);
    identity_set_random_source(NULL);
}

Status test_harness_restart(TestHarness *h, char *err, size_t errlen)
{
    forget_clients(h);
    server_free(h->srv);          /* client_disconnected runs for each bound client */
    h->srv = NULL;
    return boot(h, err, errlen);
}

/* ---- admin conversations: a second, unbound connection ------------------- */

/* Open an admin connection as c, send req, wait for `kind` (or an error). */
static void admin_call(TestHarness *h, TestConn *c, const ProtoRequest *req,
                       ProtoReplyKind kind, Arena *a, ProtoReply *rep, TestObserved *o)
{
    TestConn tmp = {.fd = -1};
    snprintf(tmp.name, sizeof tmp.name, "%s", c->name);
    snprintf(tmp.token, sizeof tmp.token, "%s", c->token);
    strbuf_init(&tmp.in);
    h->admin = &tmp;
    test_harness_open(h, &tmp, false, o);
    if (o->ok && !c->token[0]) {  /* the first connection of c minted its identity */
        snprintf(c->token, sizeof c->token, "%s", tmp.token);
        c->identity = tmp.identity;
    }
    if (o->ok && send_req(h, &tmp, req, o->msg, sizeof o->msg) == ST_OK &&
        test_harness_wait(h, &tmp, want_kind, &kind, a, rep, o->msg, sizeof o->msg) == ST_OK)
        o->ok = rep->kind == kind;
    else
        o->ok = false;
    if (!o->ok && rep->kind == PROTO_REPLY_ERROR && rep->error.s)
        snprintf(o->msg, sizeof o->msg, "%s", rep->error.s);
    test_harness_close(h, &tmp);
    h->admin = NULL;
    strbuf_fini(&tmp.in);
    drop_rows(&tmp.lines);
    drop_rows(&tmp.updates);
}

void test_harness_publish(TestHarness *h, TestConn *c, const char *path, TestObserved *o)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    WasmError werr;
    if (cmd_wasm_read_file(path, &bytes, &len, &werr) != ST_OK) {
        o->ok = false;
        snprintf(o->msg, sizeof o->msg, "%s: %s", path, werr.msg);
        return;
    }
    ProtoRequest req = {.kind = PROTO_REQ_PUBLISH, .name = proto_str(TEST_DATABASE),
                        .wasm = {bytes, len}};
    Arena a;
    arena_init(&a);
    ProtoReply rep = {0};
    admin_call(h, c, &req, PROTO_REPLY_PUBLISHED, &a, &rep, o);
    if (o->ok)
        snprintf(o->msg, sizeof o->msg, "%s", rep.op.s ? rep.op.s : "published");
    arena_fini(&a);
    mem_free(bytes);
}

Status test_harness_logs(TestHarness *h, TestRows *out, char *err, size_t errlen)
{
    ProtoRequest req = {.kind = PROTO_REQ_GET_LOGS, .name = proto_str(TEST_DATABASE)};
    Arena a;
    arena_init(&a);
    ProtoReply rep = {0};
    TestObserved o = {0};
    admin_call(h, test_harness_conn(h, TEST_OWNER), &req, PROTO_REPLY_LOGS, &a, &rep, &o);
    const char *p = o.ok && rep.json.s ? rep.json.s : "";
    for (const char *nl; *p; p = *nl ? nl + 1 : nl) {
        nl = p + strcspn(p, "\n");
        JsonValue *v;
        JsonError jerr;
        const JsonValue *m = json_parse(&a, p, (size_t)(nl - p), &v, &jerr) == ST_OK
                                 ? json_object_get(v, "message") : NULL;
        char *copy = m && m->type == JSON_STRING ? mem_strndup(m->str, m->len) : NULL;
        if (copy && vec_push(out, copy) != ST_OK)
            mem_free(copy);
    }
    arena_fini(&a);
    if (!o.ok)
        snprintf(err, errlen, "cannot read the module log: %s", o.msg);
    return o.ok ? ST_OK : ST_IO;
}

/* ---- ${NAME}: identities in arguments and rows --------------------------- */

/* The SATS-JSON of c's identity, as rows and arguments spell it. */
static void identity_json(const TestConn *c, char *out, size_t n)
{
    char hex[IDENTITY_U256_LEN + 1];
    identity_format_u256(&c->identity, hex);
    snprintf(out, n, "{\"__identity__\":\"%s\"}", hex);
}

static TestConn *named(TestHarness *h, const char *name, size_t len)
{
    for (size_t i = 0; i < h->conns.len; i++) {
        TestConn *c = h->conns.items[i];
        if (c->token[0] && strlen(c->name) == len && strncmp(c->name, name, len) == 0)
            return c;
    }
    return NULL;
}

Status test_harness_expand(TestHarness *h, const char *text, bool sql, StrBuf *out, char *err,
                           size_t errlen)
{
    strbuf_clear(out);
    for (const char *p = text; *p;) {
        const char *open = strstr(p, "${");
        const char *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            strbuf_puts(out, p);
            break;
        }
        strbuf_append(out, p, (size_t)(open - p));
        TestConn *c = named(h, open + 2, (size_t)(close - open - 2));
        if (!c)
            return snprintf(err, errlen, "unknown identity %.*s (not connected yet?)",
                            (int)(close - open + 1), open), ST_INVALID;
        char id[128];
        if (sql)                  /* SQL spells an identity as a hex literal */
            identity_format_u256(&c->identity, id);
        else
            identity_json(c, id, sizeof id);
        strbuf_puts(out, id);
        p = close + 1;
    }
    return out->data ? ST_OK : strbuf_puts(out, "");
}

void test_harness_unexpand(TestHarness *h, StrBuf *text)
{
    for (size_t i = 0; i < h->conns.len; i++) {
        const TestConn *c = h->conns.items[i];
        if (!c->token[0])
            continue;
        char id[128], name[TEST_MAX_NAME + 4];
        identity_json(c, id, sizeof id);
        snprintf(name, sizeof name, "${%s}", c->name);
        char *hit;
        while (text->data && (hit = strstr(text->data, id)) != NULL) {
            size_t at = (size_t)(hit - text->data), idlen = strlen(id);
            StrBuf sb;
            strbuf_init(&sb);
            strbuf_append(&sb, text->data, at);
            strbuf_puts(&sb, name);
            strbuf_puts(&sb, text->data + at + idlen);
            strbuf_fini(text);
            *text = sb;
        }
    }
}
