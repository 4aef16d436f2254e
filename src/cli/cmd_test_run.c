/*
 * cmd_test_run.c - what each scenario step does, and how what it saw is
 * held against what the scenario expects.
 *
 *   step ──test_run_step──► requests through the harness ──► TestObserved
 *        (ok or a message; rows, canonical)
 *   TestObserved ──test_check_step──► pass, or "expected ..., got ..."
 *   TestObserved ──test_expect_observed──► the step's new expectation (record)
 *
 * Each step acts as the current identity (`as`); a step that needs a
 * database connection opens one first (client_connected runs then, as it
 * would for a real client).  After every step the harness settles (turns
 * the server until nothing more arrives), so broadcasts to other
 * identities are queued before the next step looks at them.
 *
 * Rows compare as multisets of canonical JSON texts, after ${NAME}
 * placeholders are expanded to identities.
 *
 * Book: chapter 30, book/30-testing-modules.md
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"
#include "cmd_test.h"

void test_observed_fini(TestObserved *o)
{
    for (size_t i = 0; i < o->rows.len; i++)
        mem_free(o->rows.items[i]);
    vec_fini(&o->rows);
}

static void failed(TestObserved *o, const char *msg)
{
    o->ok = false;
    snprintf(o->msg, sizeof o->msg, "%s", msg ? msg : "(no message)");
}

/* Canonical copies of rows[0..n) into o->rows. */
static void take_rows(TestObserved *o, const ProtoStrList *rows)
{
    for (size_t i = 0; i < rows->len; i++) {
        StrBuf sb;
        strbuf_init(&sb);
        char err[300];
        if (test_canon_json(rows->items[i].s, rows->items[i].len, &sb, err, sizeof err) !=
                ST_OK || vec_push(&o->rows, sb.data) != ST_OK)
            strbuf_fini(&sb);
    }
}

/* ---- the steps that talk to the database ---------------------------------- */

typedef struct CallWant {
    uint32_t request_id;
    const ConnectionId *conn_id;
} CallWant;

/* Our call's TransactionUpdate.  A call that never ran (unknown reducer,
 * bad arguments) is answered with request_id 0 and reducer_id
 * PROTO_NO_REDUCER_ID, as in SpacetimeDB; we wait for one call at a time,
 * so such a reply on our connection is ours. */
static bool want_call(const ProtoReply *rep, const void *ctx)
{
    const CallWant *w = ctx;
    bool never_ran = rep->reducer_call.request_id == 0 &&
                     rep->reducer_call.reducer_id == PROTO_NO_REDUCER_ID;
    return rep->kind == PROTO_REPLY_TRANSACTION_UPDATE &&
           (rep->reducer_call.request_id == w->request_id || never_ran) &&
           identity_conn_equal(&rep->connection_id, w->conn_id);
}

static bool want_one_off(const ProtoReply *rep, const void *ctx)
{
    (void)ctx;
    return rep->kind == PROTO_REPLY_ONE_OFF_QUERY_RESPONSE;
}

static bool want_subscribed(const ProtoReply *rep, const void *ctx)
{
    (void)ctx;
    return rep->kind == PROTO_REPLY_SUBSCRIBE_APPLIED ||
           rep->kind == PROTO_REPLY_SUBSCRIPTION_ERROR;
}

/* Send req as the current identity and wait for the reply `want` takes. */
static bool exchange(TestHarness *h, ProtoRequest *req, TestWantFn *want, Arena *a,
                     ProtoReply *rep, TestObserved *o)
{
    TestConn *c = h->current;
    req->request_id = ++c->next_id;
    req->query_id = req->request_id;
    CallWant cw = {req->request_id, &c->conn_id};
    if (test_harness_send(h, c, req, o->msg, sizeof o->msg) != ST_OK)
        return false;
    if (test_harness_wait(h, c, want, want == want_call ? (const void *)&cw : NULL, a, rep,
                          o->msg, sizeof o->msg) != ST_OK)
        return false;
    if (rep->kind == PROTO_REPLY_ERROR) {
        failed(o, rep->error.s);
        return false;
    }
    return true;
}

static void run_call(TestHarness *h, const TestStep *st, Arena *a, TestObserved *o)
{
    StrBuf args;
    strbuf_init(&args);
    ProtoReply rep;
    ProtoRequest req = {.kind = PROTO_REQ_CALL_REDUCER, .reducer = proto_str(st->arg)};
    if (test_harness_expand(h, st->args, false, &args, o->msg, sizeof o->msg) == ST_OK) {
        req.args = (ProtoStr){args.data, args.len};
        if (exchange(h, &req, want_call, a, &rep, o)) {
            o->ok = rep.status.kind == PROTO_STATUS_COMMITTED;
            if (rep.status.kind == PROTO_STATUS_OUT_OF_ENERGY)
                failed(o, "out of energy");
            else if (!o->ok)
                failed(o, rep.status.text.s);
        }
    }
    strbuf_fini(&args);
}

/* The step's query with ${NAME} made a hex literal, in the arena. */
static const char *query_of(TestHarness *h, const TestStep *st, Arena *a, TestObserved *o)
{
    StrBuf q;
    strbuf_init(&q);
    const char *r = NULL;
    if (test_harness_expand(h, st->arg, true, &q, o->msg, sizeof o->msg) == ST_OK)
        r = arena_strndup(a, q.data, q.len);
    strbuf_fini(&q);
    return r;
}

static void run_sql(TestHarness *h, const TestStep *st, Arena *a, TestObserved *o)
{
    static const uint8_t mid[1] = {1};
    ProtoReply rep;
    const char *q = query_of(h, st, a, o);
    ProtoRequest req = {.kind = PROTO_REQ_ONE_OFF_QUERY, .query = proto_str(q),
                        .message_id = {mid, sizeof mid}};
    if (!q || !exchange(h, &req, want_one_off, a, &rep, o))
        return;
    if (rep.error.s) {
        failed(o, rep.error.s);
        return;
    }
    o->ok = true;
    for (size_t i = 0; i < rep.tables.len; i++)
        take_rows(o, &rep.tables.items[i].rows);
}

static void run_subscribe(TestHarness *h, const TestStep *st, Arena *a, TestObserved *o)
{
    ProtoReply rep;
    const char *q = query_of(h, st, a, o);
    ProtoRequest req = {.kind = PROTO_REQ_SUBSCRIBE_SINGLE, .query = proto_str(q)};
    if (!q || !exchange(h, &req, want_subscribed, a, &rep, o))
        return;
    if (rep.kind == PROTO_REPLY_SUBSCRIPTION_ERROR) {
        failed(o, rep.error.s);
        return;
    }
    o->ok = true;
    for (size_t i = 0; i < rep.rows.updates.len; i++)
        take_rows(o, &rep.rows.updates.items[i].inserts);
}

/* ---- the steps about identities, time and the server ----------------------- */

static TestConn *who(TestHarness *h, const TestStep *st)
{
    return st->arg && *st->arg ? test_harness_conn(h, st->arg) : h->current;
}

static void run_log(TestHarness *h, const TestStep *st, TestObserved *o)
{
    TestRows logs = {0};
    if (test_harness_logs(h, &logs, o->msg, sizeof o->msg) != ST_OK) {
        o->ok = false;                /* o->msg says why */
    } else if (st->expect == TEXPECT_COUNT) {   /* every matching line, then past them all */
        for (size_t i = h->log_seen; i < logs.len; i++)
            if (strstr(logs.items[i], st->arg) && vec_push(&o->rows, logs.items[i]) == ST_OK)
                logs.items[i] = NULL;
        h->log_seen = logs.len;
        o->ok = true;
    } else {                          /* the first matching line, in order */
        for (size_t i = h->log_seen; i < logs.len && !o->ok; i++)
            if (strstr(logs.items[i], st->arg)) {
                h->log_seen = i + 1;
                o->ok = true;
                snprintf(o->msg, sizeof o->msg, "%s", logs.items[i]);
            }
        if (!o->ok)
            snprintf(o->msg, sizeof o->msg, "no log line containing \"%s\" after line %zu; "
                     "the last: \"%s\"", st->arg, h->log_seen,
                     logs.len ? logs.items[logs.len - 1] : "");
    }
    for (size_t i = 0; i < logs.len; i++)
        mem_free(logs.items[i]);
    vec_fini(&logs);
}

static void run_conn_step(TestHarness *h, const TestStep *st, TestObserved *o)
{
    TestConn *c = who(h, st);
    if (!c) {
        failed(o, "out of memory");
    } else if (st->kind == TSTEP_AS) {
        h->current = c;
        o->ok = true;
    } else if (st->kind == TSTEP_CONNECT) {
        if (c->bound)
            failed(o, "already connected");
        else
            test_harness_open(h, c, true, o);
    } else if (st->kind == TSTEP_DISCONNECT) {
        o->ok = c->bound;
        if (c->bound)
            test_harness_close(h, c);
        else
            failed(o, "not connected");
    } else {                      /* TSTEP_UPDATES: everything received so far */
        o->ok = true;
        o->rows = c->updates;
        memset(&c->updates, 0, sizeof c->updates);
    }
}

void test_run_step(TestHarness *h, const TestStep *st, TestObserved *o)
{
    memset(o, 0, sizeof *o);
    Arena a;
    arena_init(&a);
    switch (st->kind) {
    case TSTEP_MODULE:
        o->ok = true;
        break;
    case TSTEP_AS: case TSTEP_CONNECT: case TSTEP_DISCONNECT: case TSTEP_UPDATES:
        run_conn_step(h, st, o);
        break;
    case TSTEP_CALL:
        run_call(h, st, &a, o);
        break;
    case TSTEP_SQL:
        run_sql(h, st, &a, o);
        break;
    case TSTEP_SUBSCRIBE:
        run_subscribe(h, st, &a, o);
        break;
    case TSTEP_ADVANCE:
        snprintf(o->msg, sizeof o->msg, "%zu scheduled reducer(s) ran",
                 server_advance(h->srv, st->ms));
        o->ok = true;
        break;
    case TSTEP_LOG:
        run_log(h, st, o);
        break;
    case TSTEP_RESTART:
        o->ok = test_harness_restart(h, o->msg, sizeof o->msg) == ST_OK;
        break;
    case TSTEP_PUBLISH:
        test_harness_publish(h, h->current, st->path ? st->path : st->arg, o);
        break;
    }
    arena_fini(&a);
    test_harness_settle(h);
}

/* ---- checking ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expected row text, expanded and canonical ("+ t ROW" keeps its prefix). */
static Status canon_expected(TestHarness *h, const TestStep *st, const char *row, StrBuf *out,
                             char *err, size_t errlen)
{
    StrBuf x;
    strbuf_init(&x);
    Status s = test_harness_expand(h, row, false, &x, err, errlen);
    size_t skip = 0;
    if (s == ST_OK && st->kind == TSTEP_UPDATES)
        skip = (size_t)(strchr(x.data + 2, ' ') + 1 - x.data);   /* "+ TABLE " */
    strbuf_clear(out);
    if (s == ST_OK && (s = strbuf_append(out, x.data, skip)) == ST_OK)
        s = test_canon_json(x.data + skip, x.len - skip, out, err, errlen);
    strbuf_fini(&x);
    return s;
}

#define MISSING "\n           missing:    "
#define UNEXPECTED "\n           unexpected: "

/* Sorted copies, then one merge: what is missing, what is extra. */
static bool compare_rows(TestHarness *h, const TestStep *st, const TestObserved *o, char *why,
                         size_t whylen)
{
    size_t ne = st->rows.len, ng = o->rows.len;
    char **exp = mem_calloc(ne + 1, sizeof *exp), **got = mem_calloc(ng + 1, sizeof *got);
    bool same = exp && got;
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; same && i < ne; i++) {
        if (canon_expected(h, st, st->rows.items[i], &sb, why, whylen) != ST_OK)
            same = false;         /* why says which row is bad */
        else
            exp[i] = mem_strdup(sb.data);
    }
    for (size_t i = 0; same && i < ng; i++)
        got[i] = o->rows.items[i];
    if (same) {
        qsort(exp, ne, sizeof *exp, cmp_str);
        qsort(got, ng, sizeof *got, cmp_str);
        int n = snprintf(why, whylen, "expected %zu row(s), got %zu:", ne, ng);
        for (size_t i = 0, j = 0; (i < ne || j < ng) && n >= 0 && (size_t)n < whylen;) {
            int c = i == ne ? 1 : j == ng ? -1 : strcmp(exp[i], got[j]);
            if (c != 0)
                same = false;
            if (c < 0)
                n += snprintf(why + n, whylen - (size_t)n, "%s%s", MISSING, exp[i++]);
            else if (c > 0)
                n += snprintf(why + n, whylen - (size_t)n, "%s%s", UNEXPECTED, got[j++]);
            else
                i++, j++;
        }
    }
    for (size_t i = 0; exp && i < ne; i++)
        mem_free(exp[i]);
    mem_free(exp);
    mem_free(got);
    strbuf_fini(&sb);
    return same;
}

bool test_check_step(TestHarness *h, const TestStep *st, const TestObserved *o, char *why,
                     size_t whylen)
{
    switch (st->expect) {
    case TEXPECT_OK:
        if (!o->ok)
            return snprintf(why, whylen, "expected success, got failure \"%s\"", o->msg), false;
        if (st->kind == TSTEP_SQL || st->kind == TSTEP_SUBSCRIBE || st->kind == TSTEP_UPDATES)
            return compare_rows(h, st, o, why, whylen);
        return true;
    case TEXPECT_FAIL:
    case TEXPECT_FAIL_EXACT: {
        const char *how = st->expect == TEXPECT_FAIL ? "containing" : "exactly";
        if (o->ok)
            return snprintf(why, whylen, "expected failure %s \"%s\", got success", how,
                            st->text), false;
        bool hit = st->expect == TEXPECT_FAIL ? strstr(o->msg, st->text) != NULL
                                              : strcmp(o->msg, st->text) == 0;
        if (!hit)
            snprintf(why, whylen, "expected failure %s \"%s\", got failure \"%s\"", how,
                     st->text, o->msg);
        return hit;
    }
    case TEXPECT_COUNT:
        if (!o->ok)
            return snprintf(why, whylen, "expected %" PRIu64 " rows, got failure \"%s\"",
                            st->count, o->msg), false;
        if (o->rows.len != st->count)
            return snprintf(why, whylen, "expected %" PRIu64 " rows, got %zu", st->count,
                            o->rows.len), false;
        return true;
    }
    return false;
}

/* ---- recording ----------------------------------------------------------------- */

void test_expect_observed(TestHarness *h, TestScenario *sc, TestStep *st, const TestObserved *o)
{
    st->expect = o->ok ? TEXPECT_OK : TEXPECT_FAIL_EXACT;
    st->text = o->ok ? NULL : arena_strndup(&sc->arena, o->msg, strlen(o->msg));
    if (!o->ok || (st->kind != TSTEP_SQL && st->kind != TSTEP_SUBSCRIBE &&
                   st->kind != TSTEP_UPDATES))
        return;
    char **sorted = mem_calloc(o->rows.len + 1, sizeof *sorted);
    if (!sorted)
        return;
    memcpy(sorted, o->rows.items, o->rows.len * sizeof *sorted);
    qsort(sorted, o->rows.len, sizeof *sorted, cmp_str);   /* a stable, readable order */
    for (size_t i = 0; i < o->rows.len; i++) {
        StrBuf sb;
        strbuf_init(&sb);
        strbuf_puts(&sb, sorted[i]);
        test_harness_unexpand(h, &sb);
        char *row = sb.data ? arena_strndup(&sc->arena, sb.data, sb.len) : NULL;
        if (row)
            vec_push(&st->rows, row);
        strbuf_fini(&sb);
    }
    mem_free(sorted);
}
