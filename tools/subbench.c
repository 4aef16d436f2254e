/*
 * subbench.c - what does a subscription cost?  Two measurements against a
 * running server and a published examples/players module:
 *
 *   build/subbench --server HOST:PORT --db NAME [-n CALLS] [--join]
 *
 * 1. Fan-out latency.  100 clients subscribe to the same row (SubscribeSingle
 *    "SELECT * FROM player WHERE id = 1"); one more client calls
 *    level_up("p1") CALLS times, one call at a time.  For every call and
 *    every subscriber we keep the time from the call's send() to the moment
 *    that subscriber's TransactionUpdate is read:
 *
 *       caller   send ─────────────────────────────► answer
 *       sub 1          ────────► update                   latency = t(update) - t(send)
 *       sub 100        ─────────────────► update
 *
 *    Printed: p50 and p99 over all CALLS x 100 deliveries.
 *
 * 2. Cost per commit with many selective subscriptions.  10 clients each
 *    send one SubscribeMulti of 100 queries "SELECT * FROM player WHERE
 *    id = K", K = 1..1000 all different: 1,000 queries on one table.  The
 *    caller then calls level_up("pK") for K cycling through 1..1000, keeping
 *    WINDOW calls in flight so the server is never idle; time per commit is
 *    the wall time over the number of commits, i.e. the server's cost per
 *    call (run reducer, commit, evaluate 1,000 WHEREs, send one update).
 *    Each commit changes one row that exactly one query matches, so exactly
 *    CALLS updates must arrive; more or fewer is an error.  Measured at
 *    1,000 rows and again after growing the table to 100,000 rows: chapter
 *    28 argues the work is rows changed x queries, independent of table
 *    size, and the two numbers should say the same.  For scale, the same
 *    commits with no subscriber at all (1,000 rows) come first.
 *
 * 3. With --join (a published tests/modules/rooms module instead): the
 *    same as 2 with 1,000 join subscriptions, query K being
 *      SELECT note.* FROM note JOIN member ON note.room = member.room
 *          WHERE member.id = K
 *    over members K in rooms K (K = 1..1000); the caller runs
 *    add_note(K, "x"), whose one new note row each of the 1,000 queries
 *    probes into member's index on room (src/sql/delta.c): exactly one
 *    query matches.  Measured with 1,000 rows in each table and again
 *    with 100,000 (members and notes in rooms nobody watches): printed as
 *    `bench sub_join_commit_us`, the cost per commit at 100,000 rows, with
 *    the 1,000-row figure beside it.
 *
 * Rows are created with SQL INSERT through OneOffQuery, which only the
 * owner may run, so subbench says hello with the token that `tinystdb
 * publish` saved (run it with the same HOME / XDG_CONFIG_HOME).  The
 * measuring clients are new identities.  One thread drives everything with
 * poll() and non-blocking sockets, like tools/loadgen.c; the lines that
 * matter (TransactionUpdates) are recognised by their prefix rather than
 * decoded, so the client steals little CPU from the server it measures.
 *
 * Output: "bench NAME: VALUE UNIT" lines (tests/bench/run.sh passes them
 * through) and "# " comments.  Exit 0 when everything ran and every count
 * was right, 1 otherwise.
 *
 * Book: chapter 28, book/28-subscriptions.md
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
#include "util/vec.h"

#define BENCH_NAME "subbench"
#include "benchnet.h"

#define STALL_MS 10000        /* no progress for this long: give up */
#define FANOUT_SUBS 100       /* measurement 1: subscribers of the one row */
#define HOT_ID 1              /* the row they watch */
#define MULTI_CLIENTS 10      /* measurement 2: 10 clients x 100 queries */
#define MULTI_QUERIES 100
#define SMALL_ROWS 1000       /* ids 1..SMALL_ROWS are the watched rows */
#define LARGE_ROWS 100000
#define INSERT_CHUNK 1000     /* rows per INSERT statement */
#define JOIN_CHUNK 400        /* member rows per INSERT (an Identity literal is long) */
#define NOTE_ID_BASE 1000000000L   /* ids of bulk notes: clear of note's sequence */
#define WINDOW 16             /* measurement 2: calls in flight */
#define WARMUP 20             /* calls before the clock starts */
#define MAX_CALLS 1000000L

typedef enum Phase { DIALING, HELLO, SUBSCRIBING, READY } Phase;

/* One connection; s[0] of a Bench is the caller, the rest subscribe.
 * in.data[in_start..in.len) is unread, out.data[out_off..out.len) unsent. */
typedef struct Session {
    int fd;
    Phase phase;
    StrBuf in, out;
    size_t in_start, out_off;
} Session;

/* One measurement's connections and counters. */
typedef struct Bench {
    const char *server, *db;
    Session *s;
    long n;                  /* sessions, caller included */
    long per_client;         /* queries per subscriber (1: SubscribeSingle) */
    bool join;               /* measurement 3: rooms, join queries, add_note */
    struct pollfd *pfd;
    long ready;              /* sessions subscribed (or, the caller, identified) */
    long issued, answers, failed, deliveries;
    int64_t sent_ns;         /* measurement 1: when the call in flight was sent */
    float *lat_ms;           /* measurement 1: one per delivery, when not NULL */
    long nlat;
    int64_t last_progress_ns;
    Arena arena;             /* decoded replies; reset per line */
    StrBuf line;             /* a request being encoded */
} Bench;

/* ---- sending ----------------------------------------------------------------- */

static void queue(Bench *b, Session *s, const ProtoRequest *req)
{
    bench_queue(&b->line, &s->out, req);
}

/* Queue level_up("pK") (--join: add_note(K, "x")) on the caller and try
 * to send it at once. */
static void call_level_up(Bench *b, long key)
{
    char args[48];
    snprintf(args, sizeof args, b->join ? "[%ld,\"x\"]" : "[\"p%ld\"]", key);
    ProtoRequest req = {.kind = PROTO_REQ_CALL_REDUCER,
                        .reducer = proto_str(b->join ? "add_note" : "level_up"),
                        .args = proto_str(args), .request_id = (uint32_t)(b->issued + 1),
                        .flags = PROTO_FLAG_FULL_UPDATE};
    Session *caller = &b->s[0];
    queue(b, caller, &req);
    b->issued++;
    b->sent_ns = bench_now_ns();
    if (!bench_flush(caller->fd, &caller->out, &caller->out_off))
        bench_die("sending: %s", strerror(errno));
}

/* Subscriber i (1-based) watches one hot row (per_client == 1) or its own
 * per_client rows, ids (i-1)*per_client+1 .. i*per_client. */
static void subscribe(Bench *b, long i)
{
    char (*q)[128] = mem_alloc_array((size_t)b->per_client, sizeof *q);
    ProtoStr *items = mem_alloc_array((size_t)b->per_client, sizeof *items);
    if (!q || !items)
        bench_die("%s", "out of memory");
    for (long j = 0; j < b->per_client; j++) {
        long id = b->per_client == 1 ? HOT_ID : (i - 1) * b->per_client + j + 1;
        snprintf(q[j], sizeof q[j], b->join ? "SELECT note.* FROM note JOIN member ON note.room "
                 "= member.room WHERE member.id = %ld" : "SELECT * FROM player WHERE id = %ld", id);
        items[j] = proto_str(q[j]);
    }
    ProtoRequest req = {.kind = b->per_client == 1 ? PROTO_REQ_SUBSCRIBE_SINGLE
                                                   : PROTO_REQ_SUBSCRIBE_MULTI,
                        .request_id = 1, .query_id = 1, .query = items[0],
                        .queries = {items, (size_t)b->per_client}};
    queue(b, &b->s[i], &req);
    b->s[i].phase = SUBSCRIBING;
    mem_free(q);
    mem_free(items);
}

/* ---- receiving --------------------------------------------------------------- */

static void decode(Bench *b, const char *line, size_t len, ProtoReply *rep)
{
    ProtoError perr = {{0}};
    arena_reset(&b->arena);
    if (proto_decode_reply(&b->arena, line, len, rep, &perr) != ST_OK)
        bench_die("cannot decode a reply: %s", perr.msg);
    if (rep->kind == PROTO_REPLY_ERROR || rep->kind == PROTO_REPLY_SUBSCRIPTION_ERROR)
        bench_die("the server said: %s", rep->error.s);
}

/* Before READY: IdentityToken, then (subscribers) the subscription's answer. */
static void on_setup_line(Bench *b, Session *s, const char *line, size_t len)
{
    ProtoReply rep;
    decode(b, line, len, &rep);
    if (s->phase == HELLO && rep.kind == PROTO_REPLY_IDENTITY_TOKEN) {
        if (s == &b->s[0]) {
            s->phase = READY;
            b->ready++;
        } else {
            subscribe(b, s - b->s);
        }
    } else if (s->phase == SUBSCRIBING && (rep.kind == PROTO_REPLY_SUBSCRIBE_APPLIED ||
                                           rep.kind == PROTO_REPLY_SUBSCRIBE_MULTI_APPLIED)) {
        s->phase = READY;
        b->ready++;
    }
    /* anything else (an update of another client's commit) is not ours */
}

/* The encoder writes fields in declaration order, status first (chapter
 * 20): so these prefixes say what a line is without decoding it. */
#define UPDATE_PREFIX "{\"TransactionUpdate\":"
#define COMMITTED_PREFIX "{\"TransactionUpdate\":{\"status\":{\"Committed\":"

static bool starts(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(line, prefix, n) == 0;
}

static void on_line(Bench *b, Session *s, const char *line, size_t len)
{
    if (s->phase != READY) {
        on_setup_line(b, s, line, len);
        return;
    }
    if (!starts(line, len, UPDATE_PREFIX)) {
        ProtoReply rep;
        decode(b, line, len, &rep);   /* dies on an error; ignores the rest */
        return;
    }
    int64_t t = bench_now_ns();
    b->last_progress_ns = t;
    bool ok = starts(line, len, COMMITTED_PREFIX);
    if (s == &b->s[0]) {
        b->answers++;
        if (!ok && b->failed++ == 0)
            fprintf(stderr, "subbench: first failed call: %.*s\n", (int)len, line);
        return;
    }
    b->deliveries++;
    if (b->lat_ms)
        b->lat_ms[b->nlat++] = (float)((double)(t - b->sent_ns) / 1e6);
}

/* bench_drain() calls back with one pointer: the run and the session. */
typedef struct LineCtx {
    Bench *b;
    Session *s;
} LineCtx;

static void line_cb(void *ctx, const char *line, size_t len)
{
    LineCtx *lc = ctx;
    on_line(lc->b, lc->s, line, len);
}

/* Read what is there and hand over each complete line.  False on EOF. */
static bool drain(Bench *b, Session *s)
{
    LineCtx lc = {b, s};
    return bench_drain(s->fd, &s->in, &s->in_start, line_cb, &lc);
}

/* ---- the loop ---------------------------------------------------------------- */

static void on_connected(Bench *b, Session *s)
{
    bench_check_connected(s->fd);
    ProtoRequest req = {.kind = PROTO_REQ_CONNECT, .database = proto_str(b->db)};
    queue(b, s, &req);
    s->phase = HELLO;
}

/* One poll() round over every connection, waiting at most timeout_ms. */
static void turn(Bench *b, int timeout_ms)
{
    for (long i = 0; i < b->n; i++) {
        Session *s = &b->s[i];
        short ev = s->phase == DIALING || s->out.len > s->out_off ? POLLOUT : 0;
        b->pfd[i] = (struct pollfd){.fd = s->fd, .events = (short)(ev | POLLIN)};
    }
    int rc = poll(b->pfd, (nfds_t)b->n, timeout_ms);
    if (rc < 0 && errno != EINTR)
        bench_die("poll: %s", strerror(errno));
    for (long i = 0; rc > 0 && i < b->n; i++) {
        Session *s = &b->s[i];
        short re = b->pfd[i].revents;
        if (s->phase == DIALING && re)
            on_connected(b, s);
        if (s->phase != DIALING && (re & (POLLIN | POLLHUP | POLLERR)) && !drain(b, s))
            bench_die("%s", "the server closed a connection");
        if (s->phase != DIALING && !bench_flush(s->fd, &s->out, &s->out_off))
            bench_die("sending: %s", strerror(errno));
    }
}

/* Turn until the caller has `answers` answers and the subscribers have
 * had `deliveries` updates; die if nothing moves for STALL_MS. */
static void wait_for(Bench *b, long answers, long deliveries)
{
    b->last_progress_ns = bench_now_ns();
    while (b->answers < answers || b->deliveries < deliveries) {
        turn(b, 1000);
        if (bench_now_ns() - b->last_progress_ns > (int64_t)STALL_MS * 1000000) {
            fprintf(stderr, "subbench: no progress for %d s (%ld of %ld answers, %ld of %ld "
                            "updates)\n", STALL_MS / 1000, b->answers, answers, b->deliveries,
                    deliveries);
            exit(1);
        }
    }
}

/* Connect `subs` subscribers and a caller, subscribe, wait until all are ready. */
static void open_bench(Bench *b, long subs, long per_client)
{
    b->n = subs + 1;
    b->per_client = per_client;
    b->s = mem_calloc((size_t)b->n, sizeof *b->s);
    b->pfd = mem_calloc((size_t)b->n, sizeof *b->pfd);
    if (!b->s || !b->pfd)
        bench_die("%s", "out of memory");
    for (long i = 0; i < b->n; i++) {
        ClientError err = {{0}};
        if (client_dial(b->server, &b->s[i].fd, &err) != ST_OK)
            bench_die("%s", err.msg);
        strbuf_init(&b->s[i].in);
        strbuf_init(&b->s[i].out);
    }
    b->last_progress_ns = bench_now_ns();
    while (b->ready < b->n) {
        long before = b->ready;
        turn(b, 1000);
        if (b->ready != before)
            b->last_progress_ns = bench_now_ns();
        else if (bench_now_ns() - b->last_progress_ns > (int64_t)STALL_MS * 1000000)
            bench_die("%s", "clients did not get subscribed within 10 s");
    }
}

static void close_bench(Bench *b)
{
    for (long i = 0; i < b->n; i++) {
        close(b->s[i].fd);
        strbuf_fini(&b->s[i].in);
        strbuf_fini(&b->s[i].out);
    }
    mem_free(b->s);
    mem_free(b->pfd);
    b->s = NULL;
    b->pfd = NULL;
    b->n = b->ready = b->issued = b->answers = b->failed = b->deliveries = 0;
}

/* ---- creating rows, as the owner --------------------------------------------- */

/* One SQL statement through OneOffQuery; dies with the server's reason. */
static void owner_sql(Client *c, const char *sql)
{
    static const uint8_t id[1] = {1};
    ClientError err = {{0}};
    ProtoRequest req = {.kind = PROTO_REQ_ONE_OFF_QUERY, .query = proto_str(sql),
                        .message_id = {id, sizeof id}};
    ProtoReply rep;
    if (client_send(c, &req, &err) != ST_OK)
        bench_die("%s", err.msg);
    do {
        if (client_read_reply(c, &rep, CLIENT_REPLY_TIMEOUT_MS, &err) != ST_OK)
            bench_die("%s", err.msg);
        if (rep.kind == PROTO_REPLY_ERROR)
            bench_die("the server said: %s", rep.error.s);
    } while (rep.kind != PROTO_REPLY_ONE_OFF_QUERY_RESPONSE);
    if (rep.error.s)
        bench_die("SQL failed (are HOME and XDG_CONFIG_HOME those of the publisher?): %s",
            rep.error.s);
}

/* A connection to db with the owner's saved token (see the file comment). */
static void owner_connect(Client *c, const char *server, const char *db)
{
    ClientError err = {{0}};
    *c = (Client){.fd = -1};
    if (client_connect(c, server, CLIENT_CONNECT_TIMEOUT_MS, &err) != ST_OK ||
        client_hello(c, db, &err) != ST_OK)
        bench_die("%s", err.msg);
}

/* Rows with ids from+1..to: player (id, name "pID", team 0, level 0, score 0). */
static void insert_rows(const char *server, const char *db, long from, long to)
{
    Client c;
    owner_connect(&c, server, db);
    StrBuf sql;
    strbuf_init(&sql);
    for (long id = from + 1; id <= to;) {
        strbuf_clear(&sql);
        strbuf_puts(&sql, "INSERT INTO player (id, name, team, level, score) VALUES ");
        for (long k = 0; k < INSERT_CHUNK && id <= to; k++, id++)
            strbuf_printf(&sql, "%s(%ld, 'p%ld', 0, 0, 0)", k ? ", " : "", id, id);
        if (!sql.data)
            bench_die("%s", "out of memory");
        owner_sql(&c, sql.data);
    }
    strbuf_fini(&sql);
    client_close(&c);
}

/* --join: members from+1..to, each in the room of its id, and as many
 * notes in rooms from+1..to when from > 0 (rooms nobody watches). */
static void insert_join_rows(const char *server, const char *db, long from, long to)
{
    Client c;
    owner_connect(&c, server, db);
    StrBuf sql;
    strbuf_init(&sql);
    for (int notes = 0; notes < 2; notes++) {
        for (long id = from + 1; id <= to && (!notes || from > 0);) {
            strbuf_clear(&sql);
            strbuf_puts(&sql, notes ? "INSERT INTO note (id, room, text) VALUES "
                                    : "INSERT INTO member (id, room, who) VALUES ");
            for (long k = 0; k < JOIN_CHUNK && id <= to; k++, id++)
                strbuf_printf(&sql, notes ? "%s(%ld, %ld, 'n')" : "%s(%ld, %ld, 0x%064d)",
                              k ? ", " : "", notes ? NOTE_ID_BASE + id : id, id, 0);
            if (!sql.data)
                bench_die("%s", "out of memory");
            owner_sql(&c, sql.data);
        }
    }
    strbuf_fini(&sql);
    client_close(&c);
}

/* ---- the measurements -------------------------------------------------------- */

/* Measurement 1: one call at a time, every subscriber's latency kept. */
static int fanout(Bench *b, long calls)
{
    open_bench(b, FANOUT_SUBS, 1);
    for (long i = 0; i < WARMUP; i++) {
        call_level_up(b, HOT_ID);
        wait_for(b, b->issued, b->issued * FANOUT_SUBS);
    }
    b->lat_ms = mem_alloc_array((size_t)(calls * FANOUT_SUBS), sizeof *b->lat_ms);
    if (!b->lat_ms)
        bench_die("%s", "out of memory");
    for (long i = 0; i < calls; i++) {
        call_level_up(b, HOT_ID);
        wait_for(b, b->issued, b->issued * FANOUT_SUBS);
    }
    qsort(b->lat_ms, (size_t)b->nlat, sizeof *b->lat_ms, bench_by_value);
    double p99 = bench_percentile(b->lat_ms, b->nlat, 99);
    printf("bench sub_delivery_p50: %.3f ms\n", bench_percentile(b->lat_ms, b->nlat, 50));
    printf("bench sub_delivery_p99: %.3f ms\n", p99);
    printf("#   %ld deliveries (%ld calls x %d subscribers); max %.3f ms; target p99 <= 2 ms: %s\n",
           b->nlat, calls, FANOUT_SUBS, b->lat_ms[b->nlat - 1], p99 <= 2.0 ? "met" : "missed");
    int bad = b->failed != 0 || b->deliveries != (calls + WARMUP) * FANOUT_SUBS;
    mem_free(b->lat_ms);
    b->lat_ms = NULL;
    b->nlat = 0;
    close_bench(b);
    return bad;
}

/* Keep WINDOW calls in flight until `calls` are answered and as many
 * updates have arrived; the watched keys 1..SMALL_ROWS in turn. */
static void pipelined(Bench *b, long calls, long clients)
{
    long target = b->issued + calls, updates = clients ? target : 0;
    b->last_progress_ns = bench_now_ns();
    while (b->answers < target || b->deliveries < updates) {
        while (b->issued < target && b->issued - b->answers < WINDOW)
            call_level_up(b, b->issued % SMALL_ROWS + 1);
        turn(b, 1000);
        if (bench_now_ns() - b->last_progress_ns > (int64_t)STALL_MS * 1000000)
            bench_die("%s", "no progress for 10 s (lost updates?)");
    }
}

/* Measurement 2 at the table's current size, with `clients` subscribers
 * of MULTI_QUERIES queries each (0: the same commits with nobody
 * watching, the baseline). */
static int commit_cost(Bench *b, long calls, long clients, const char *name, double *per_call)
{
    open_bench(b, clients, MULTI_QUERIES);
    pipelined(b, WARMUP, clients);
    int64_t t0 = bench_now_ns();
    pipelined(b, calls, clients);
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    turn(b, 50);   /* a stray extra update would show up here */
    *per_call = ms / (double)calls;
    printf("%s %s: %.4f ms\n", b->join ? "#  " : "bench", name, *per_call);
    printf("#   %ld commits in %.1f ms (%.0f calls/s), %ld updates delivered, %ld queries\n",
           calls, ms, (double)calls / (ms / 1e3), b->deliveries - (clients ? WARMUP : 0),
           clients * MULTI_QUERIES);
    long want = clients ? calls + WARMUP : 0;
    int bad = b->failed != 0 || b->deliveries != want;
    if (bad)
        fprintf(stderr, "subbench: %ld failed calls, %ld updates where %ld were due\n",
                b->failed, b->deliveries, want);
    close_bench(b);
    return bad;
}

/* Measurement 3 (--join): 1,000 join queries at 1,000 and 100,000 rows. */
static int join_cost(Bench *b, long calls)
{
    double small, large;
    insert_join_rows(b->server, b->db, 0, SMALL_ROWS);
    int bad = commit_cost(b, calls, MULTI_CLIENTS, "sub_join_commit_1k_rows", &small);
    insert_join_rows(b->server, b->db, SMALL_ROWS, LARGE_ROWS);
    bad |= commit_cost(b, calls, MULTI_CLIENTS, "sub_join_commit_100k_rows", &large);
    printf("bench sub_join_commit_us: %.1f us\n", large * 1e3);
    printf("#   1,000 join subscriptions; per commit %.1f us at 1k rows, %.1f us at 100k rows "
           "(x%.2f)\n", small * 1e3, large * 1e3, large / small);
    return bad;
}

static const char usage[] = "usage: subbench --server HOST:PORT --db NAME [-n CALLS] [--join]\n";

int main(int argc, char **argv)
{
    Bench b = {.server = client_server_address(NULL)};
    long calls = 1000;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--join")) {
            b.join = true;
            i--;
            continue;
        }
        if (!v) {
            fputs(usage, stderr);
            return 1;
        }
        if (!strcmp(a, "--server"))
            b.server = v;
        else if (!strcmp(a, "--db"))
            b.db = v;
        else if (!strcmp(a, "-n") && (calls = atol(v)) >= 1 && calls <= MAX_CALLS)
            continue;
        else
            bench_die("bad option or count: %s", a);
    }
    if (!b.db)
        bench_die("%s", "--db is required");
    arena_init(&b.arena);
    strbuf_init(&b.line);
    double ms;
    int bad = 0;
    if (b.join) {
        bad = join_cost(&b, calls * 5);
    } else {
        insert_rows(b.server, b.db, 0, SMALL_ROWS);
        bad = fanout(&b, calls);
        bad |= commit_cost(&b, calls * 5, 0, "sub_commit_cost_no_subs", &ms);
        bad |= commit_cost(&b, calls * 5, MULTI_CLIENTS, "sub_commit_cost_1k_rows", &ms);
        insert_rows(b.server, b.db, SMALL_ROWS, LARGE_ROWS);
        bad |= commit_cost(&b, calls * 5, MULTI_CLIENTS, "sub_commit_cost_100k_rows", &ms);
    }
    arena_fini(&b.arena);
    strbuf_fini(&b.line);
    return bad;
}
