/*
 * loadgen.c - how many reducer calls per second does a server take?
 *
 *   build/loadgen --server HOST:PORT --db NAME --reducer R [--args JSON_ARRAY]
 *                 -c CONNECTIONS -n TOTAL_CALLS
 *
 * Opens CONNECTIONS connections, each as its own identity (Connect with no
 * token: the server mints one), and shares TOTAL_CALLS calls among them.
 * Every connection has at most one call in flight: it sends CallReducer,
 * waits for the TransactionUpdate that answers it, then sends the next
 * (a "closed loop", like redis-benchmark's clients).  So the offered load
 * is exactly what the server can answer, and latency is honest:
 *
 *   conn 1:  call ──────► answer call ──────► answer call ...
 *   conn 2:     call ─────────► answer call ───► answer ...
 *            |<-- latency -->|
 *
 * One thread drives all connections with poll(), non-blocking sockets and
 * a per-connection input and output buffer: the same shape as the
 * server's event loop (chapter 19), seen from the other side.  Timing
 * starts when every connection has its IdentityToken, so connection set-up
 * is not counted.  Output, one "name: value" per line:
 *
 *   calls/s: 71234.5     completed calls / seconds from first call to last answer
 *   p50_ms: 0.612        median latency, send to answer, in milliseconds
 *   p99_ms: 1.904        99th percentile (nearest rank)
 *   failed: 0            answers that were not Committed, and error lines
 *
 * Exit status 0 when the run finished (even with failed calls), 1 when it
 * could not (no server, a connection dropped, no progress for 10 s).
 * Chapter 23 says how to read the numbers.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "net/proto.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/json.h"
#include "util/vec.h"

#define BENCH_NAME "loadgen"
#include "benchnet.h"

#define STALL_MS 10000            /* no answer at all for this long: give up */
#define MAX_CONNS 20000
#define MAX_CALLS 50000000L       /* latencies are kept: 4 bytes each */

typedef enum Phase { DIALING, HELLO, READY, WAITING, FINISHED } Phase;

/* One connection.  in.data[in_start..in.len) is unread; out.data[out_off..
 * out.len) is not yet sent. */
typedef struct Session {
    int fd;
    Phase phase;
    ConnectionId conn_id;        /* from IdentityToken: our answers carry it */
    StrBuf in, out;
    size_t in_start, out_off;
    int64_t sent_ns;             /* when the call in flight was queued */
} Session;

typedef struct Options {
    const char *server, *db, *reducer, *args;
    long conns, calls;
} Options;

typedef struct Run {
    Options opt;
    Session *s;
    struct pollfd *pfd;
    long issued, done, failed, ready;
    float *lat_ms;               /* one per completed call */
    int64_t start_ns, end_ns, last_progress_ns;
    Arena arena;                 /* decoded replies; reset per line */
    StrBuf line;                 /* the request being encoded */
    StrBuf call;                 /* the CallReducer line, the same for every call */
} Run;

/* ---- options ----------------------------------------------------------------- */

static const char usage[] =
    "usage: loadgen --server HOST:PORT --db NAME --reducer R [--args JSON_ARRAY]\n"
    "               -c CONNECTIONS -n TOTAL_CALLS\n";

static long number(const char *s, long max)
{
    char *end = NULL;
    long v = s && *s >= '0' && *s <= '9' ? strtol(s, &end, 10) : 0;
    if (!end || *end || v < 1 || v > max)
        bench_die("bad count \"%s\"", s ? s : "");
    return v;
}

static void parse_options(int argc, char **argv, Options *o)
{
    *o = (Options){.server = client_server_address(NULL), .args = "[]", .conns = 1, .calls = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v || a[0] != '-') {
            fputs(usage, stderr);
            exit(1);
        }
        i++;
        if (!strcmp(a, "--server"))
            o->server = v;
        else if (!strcmp(a, "--db"))
            o->db = v;
        else if (!strcmp(a, "--reducer"))
            o->reducer = v;
        else if (!strcmp(a, "--args"))
            o->args = v;
        else if (!strcmp(a, "-c"))
            o->conns = number(v, MAX_CONNS);
        else if (!strcmp(a, "-n"))
            o->calls = number(v, MAX_CALLS);
        else
            bench_die("unknown option %s", a);
    }
    if (!o->db || !o->reducer) {
        fputs(usage, stderr);
        exit(1);
    }
}

/* --args must be a JSON array (the server would refuse anything else on
 * every call; better to say so once). */
static void check_args(const char *args)
{
    Arena a;
    arena_init(&a);
    JsonValue *v = NULL;
    if (json_parse(&a, args, strlen(args), &v, NULL) != ST_OK || v->type != JSON_ARRAY)
        bench_die("--args must be a JSON array, not %s", args);
    arena_fini(&a);
}

/* ---- sending ----------------------------------------------------------------- */

/* Queue one request line on s. */
static void queue(Run *r, Session *s, const ProtoRequest *req)
{
    bench_queue(&r->line, &s->out, req);
}

/* Every call is the same line: one call in flight per connection means
 * the request_id never has to tell two apart (we match answers by
 * connection), so the line is encoded once. */
static void encode_call(Run *r)
{
    ProtoRequest req = {.kind = PROTO_REQ_CALL_REDUCER, .reducer = proto_str(r->opt.reducer),
                        .args = proto_str(r->opt.args), .request_id = 1,
                        .flags = PROTO_FLAG_FULL_UPDATE};
    if (proto_encode_request(&r->call, &req) != ST_OK)
        bench_die("%s", "cannot encode the call");
}

static void start_call(Run *r, Session *s)
{
    if (r->issued >= r->opt.calls) {
        s->phase = FINISHED;
        shutdown(s->fd, SHUT_WR);   /* the server sees EOF and runs client_disconnected */
        return;
    }
    r->issued++;
    if (strbuf_append(&s->out, r->call.data, r->call.len) != ST_OK)
        bench_die("%s", "out of memory");
    s->phase = WAITING;
    s->sent_ns = bench_now_ns();
}

/* ---- receiving --------------------------------------------------------------- */

/* Everybody is identified: start the clock and the first call of each. */
static void start_all(Run *r)
{
    r->start_ns = r->last_progress_ns = bench_now_ns();
    for (long i = 0; i < r->opt.conns; i++)
        start_call(r, &r->s[i]);
}

static void on_identity(Run *r, Session *s, const ProtoReply *rep)
{
    if (rep->kind == PROTO_REPLY_ERROR)
        bench_die("the server refused a connection: %s", rep->error.s);
    if (rep->kind != PROTO_REPLY_IDENTITY_TOKEN)
        bench_die("expected IdentityToken, got %s", proto_reply_name(rep->kind));
    s->conn_id = rep->connection_id;
    s->phase = READY;
    if (++r->ready == r->opt.conns)
        start_all(r);
}

/* One call answered: keep its latency, count a failure (and show the
 * first reason: it is usually the reason for all), send the next. */
static void answered(Run *r, Session *s, bool ok, const char *why, size_t why_len)
{
    int64_t t = bench_now_ns();
    r->lat_ms[r->done++] = (float)((double)(t - s->sent_ns) / 1e6);
    if (!ok && r->failed++ == 0)
        fprintf(stderr, "loadgen: first failure: %.*s\n", (int)why_len, why ? why : "");
    r->end_ns = r->last_progress_ns = t;
    start_call(r, s);
}

/* A decoded answer to the call in flight, or an error line in its place. */
static void on_answer(Run *r, Session *s, const ProtoReply *rep)
{
    if (rep->kind == PROTO_REPLY_ERROR)
        answered(r, s, false, rep->error.s, rep->error.len);
    else if (rep->kind == PROTO_REPLY_TRANSACTION_UPDATE &&
             identity_conn_equal(&rep->connection_id, &s->conn_id))
        answered(r, s, rep->status.kind == PROTO_STATUS_COMMITTED, rep->status.text.s,
                 rep->status.text.len);
    /* anything else is not ours (nothing else is sent today) */
}

/* The start of every successful answer.  The encoder is compact and
 * writes fields in declaration order, status first (chapter 20), and a
 * connection that subscribes to nothing hears only about its own calls,
 * so a line with this prefix is the Committed answer to our call.  Only
 * such lines skip the decoder: that keeps loadgen's own CPU time (which
 * the server's 2 cores share) small; everything else is decoded. */
#define COMMITTED_PREFIX "{\"TransactionUpdate\":{\"status\":{\"Committed\":"

static void on_line(Run *r, Session *s, const char *line, size_t len)
{
    if (s->phase == WAITING && len > sizeof COMMITTED_PREFIX &&
        memcmp(line, COMMITTED_PREFIX, sizeof COMMITTED_PREFIX - 1) == 0) {
        answered(r, s, true, NULL, 0);
        return;
    }
    ProtoReply rep;
    ProtoError perr = {{0}};
    arena_reset(&r->arena);
    if (proto_decode_reply(&r->arena, line, len, &rep, &perr) != ST_OK)
        bench_die("cannot decode a reply: %s", perr.msg);
    if (s->phase == HELLO)
        on_identity(r, s, &rep);
    else if (s->phase == WAITING)
        on_answer(r, s, &rep);
}

/* bench_drain() calls back with one pointer: the run and the session. */
typedef struct LineCtx {
    Run *r;
    Session *s;
} LineCtx;

static void line_cb(void *ctx, const char *line, size_t len)
{
    LineCtx *lc = ctx;
    on_line(lc->r, lc->s, line, len);
}

/* Read what is there and hand over each complete line.  False on EOF or
 * error (a connection must not end before its calls are done). */
static bool drain(Run *r, Session *s)
{
    LineCtx lc = {r, s};
    return bench_drain(s->fd, &s->in, &s->in_start, line_cb, &lc);
}

/* ---- the loop ---------------------------------------------------------------- */

/* The dial finished: was it a success?  Then say who we are (nobody). */
static void on_connected(Run *r, Session *s)
{
    bench_check_connected(s->fd);
    ProtoRequest req = {.kind = PROTO_REQ_CONNECT, .database = proto_str(r->opt.db)};
    queue(r, s, &req);
    s->phase = HELLO;
}

static void dial_all(Run *r)
{
    for (long i = 0; i < r->opt.conns; i++) {
        ClientError err = {{0}};
        Session *s = &r->s[i];
        if (client_dial(r->opt.server, &s->fd, &err) != ST_OK)
            bench_die("%s", err.msg);
        s->phase = DIALING;
        strbuf_init(&s->in);
        strbuf_init(&s->out);
    }
}

/* One poll() round over every unfinished connection. */
static void turn(Run *r)
{
    nfds_t n = 0;
    for (long i = 0; i < r->opt.conns; i++) {
        Session *s = &r->s[i];
        short ev = s->phase == DIALING || s->out.len > s->out_off ? POLLOUT : 0;
        r->pfd[n++] = (struct pollfd){.fd = s->phase == FINISHED ? -1 : s->fd,
                                      .events = (short)(ev | POLLIN)};
    }
    int rc = poll(r->pfd, n, 1000);
    if (rc < 0 && errno != EINTR)
        bench_die("poll: %s", strerror(errno));
    for (long i = 0; rc > 0 && i < r->opt.conns; i++) {
        Session *s = &r->s[i];
        short re = r->pfd[i].revents;
        if (s->phase == DIALING && re)
            on_connected(r, s);
        if (s->phase != DIALING && (re & (POLLIN | POLLHUP | POLLERR)) && !drain(r, s))
            bench_die("%s", "the server closed a connection before its calls were done");
        if (s->phase != DIALING && !bench_flush(s->fd, &s->out, &s->out_off))
            bench_die("sending: %s", strerror(errno));
    }
}

static void run(Run *r)
{
    dial_all(r);
    r->last_progress_ns = bench_now_ns();
    while (r->done < r->opt.calls) {
        turn(r);
        if (bench_now_ns() - r->last_progress_ns > (int64_t)STALL_MS * 1000000) {
            fprintf(stderr, "loadgen: no progress for %d s (%ld of %ld calls answered, %ld of "
                            "%ld connections ready)\n",
                    STALL_MS / 1000, r->done, r->opt.calls, r->ready, r->opt.conns);
            exit(1);
        }
    }
}

/* ---- the report -------------------------------------------------------------- */

static void report(Run *r)
{
    double secs = (double)(r->end_ns - r->start_ns) / 1e9;
    qsort(r->lat_ms, (size_t)r->done, sizeof *r->lat_ms, bench_by_value);
    printf("calls/s: %.1f\n", secs > 0 ? (double)r->done / secs : 0.0);
    printf("p50_ms: %.3f\n", bench_percentile(r->lat_ms, r->done, 50));
    printf("p99_ms: %.3f\n", bench_percentile(r->lat_ms, r->done, 99));
    printf("failed: %ld\n", r->failed);
    fprintf(stderr, "loadgen: %ld calls over %ld connections in %.3f s\n", r->done, r->opt.conns,
            secs);
}

int main(int argc, char **argv)
{
    Run r = {0};
    parse_options(argc, argv, &r.opt);
    check_args(r.opt.args);
    r.s = mem_calloc((size_t)r.opt.conns, sizeof *r.s);
    r.pfd = mem_calloc((size_t)r.opt.conns, sizeof *r.pfd);
    r.lat_ms = mem_alloc_array((size_t)r.opt.calls, sizeof *r.lat_ms);
    if (!r.s || !r.pfd || !r.lat_ms)
        bench_die("%s", "out of memory");
    arena_init(&r.arena);
    strbuf_init(&r.line);
    strbuf_init(&r.call);
    encode_call(&r);
    run(&r);
    report(&r);
    for (long i = 0; i < r.opt.conns; i++) {
        close(r.s[i].fd);
        strbuf_fini(&r.s[i].in);
        strbuf_fini(&r.s[i].out);
    }
    arena_fini(&r.arena);
    strbuf_fini(&r.line);
    strbuf_fini(&r.call);
    mem_free(r.s);
    mem_free(r.pfd);
    mem_free(r.lat_ms);
    return 0;
}
