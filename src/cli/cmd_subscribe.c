/*
 * cmd_subscribe.c - `tinystdb subscribe NAME QUERY... [-n N] [-t SECONDS]
 * [--print-initial-update]`: watch a database, one JSON line per update.
 *
 * Like `spacetime subscribe` (client-protocol.md section 10): the legacy
 * Subscribe with request_id 0 carries every QUERY; the InitialSubscription
 * is printed only with --print-initial-update; then every committed
 * TransactionUpdate (or TransactionUpdateLight) prints one line,
 *
 *   {"message":{"deletes":[],"inserts":[{"sender":{...},"text":"hi"}]}}
 *
 * keyed by table name, rows as JSON values (not strings), each table's
 * QueryUpdates merged.  It stops after N updates (-n), or after SECONDS
 * (-t), then printing "timed out after Ns" on stderr (exit status 0, as
 * spacetime does).  A Failed answer to the subscription is
 * "Error: encountered failed transaction: REASON" and exit status 1.
 *
 * Rows are printed as the server wrote them (sums as [tag, v]);
 * spacetime re-encodes them with the table's type ({"some": v}).
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/alloc.h"
#include "cli.h"
#include "cmd_client.h"
#include "cmd_sql.h"

typedef struct SubArgs {
    const char *server, *name;
    char **queries;               /* owned array, borrowed strings */
    int nqueries;
    long count;                   /* -n; -1: forever */
    long seconds;                 /* -t; -1: forever */
    bool initial;                 /* --print-initial-update */
} SubArgs;

static const char sub_usage[] =
    "usage: tinystdb subscribe NAME QUERY... [-n N] [-t SECONDS] [--print-initial-update]\n"
    "                          [--server HOST:PORT]\n"
    "  Subscribe to the rows QUERY... match and print one JSON line per update.\n";

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The rows of one list as a JSON array of values (rows are JSON text). */
static Status put_rows(StrBuf *out, const ProtoStrList *l, bool *first)
{
    Status st = ST_OK;
    for (size_t i = 0; i < l->len && st == ST_OK; i++) {
        st = *first ? ST_OK : strbuf_putc(out, ',');
        *first = false;
        if (st == ST_OK)
            st = strbuf_append(out, l->items[i].s, l->items[i].len);
    }
    return st;
}

/* {"table":{"deletes":[...],"inserts":[...]},...} for one DatabaseUpdate. */
static Status update_line(const ProtoDatabaseUpdate *u, StrBuf *out)
{
    Status st = strbuf_putc(out, '{');
    for (size_t t = 0; t < u->tables.len && st == ST_OK; t++) {
        const ProtoTableUpdate *tu = &u->tables.items[t];
        st = t ? strbuf_putc(out, ',') : ST_OK;
        if (st == ST_OK)
            st = json_write_string(out, tu->table_name.s, tu->table_name.len);
        for (int ins = 0; ins < 2 && st == ST_OK; ins++) {
            st = strbuf_puts(out, ins ? "],\"inserts\":[" : ":{\"deletes\":[");
            bool first = true;
            for (size_t q = 0; q < tu->updates.len && st == ST_OK; q++)
                st = put_rows(out, ins ? &tu->updates.items[q].inserts
                                       : &tu->updates.items[q].deletes, &first);
        }
        if (st == ST_OK)
            st = strbuf_puts(out, "]}");
    }
    return st == ST_OK ? strbuf_puts(out, "}\n") : st;
}

/* Print rep if it is an update: 1 printed, 0 not an update, -1 failed. */
static int print_update(const ProtoReply *rep, ClientError *err)
{
    const ProtoDatabaseUpdate *u = NULL;
    if (rep->kind == PROTO_REPLY_TRANSACTION_UPDATE_LIGHT)
        u = &rep->update;
    else if (rep->kind == PROTO_REPLY_TRANSACTION_UPDATE &&
             rep->status.kind == PROTO_STATUS_COMMITTED)
        u = &rep->status.committed;
    if (!u)
        return 0;
    StrBuf sb;
    strbuf_init(&sb);
    Status st = update_line(u, &sb);
    if (st == ST_OK) {
        fwrite(sb.data, 1, sb.len, stdout);
        fflush(stdout);
    }
    strbuf_fini(&sb);
    return st == ST_OK ? 1 : (client_error(err, st, "out of memory"), -1);
}

/* Subscribe and wait for the InitialSubscription (printed if asked). */
static Status start(Client *c, const SubArgs *a, ClientError *err)
{
    ProtoStr *qs = mem_calloc((size_t)a->nqueries, sizeof *qs);
    if (!qs)
        return client_error(err, ST_NOMEM, "out of memory");
    for (int i = 0; i < a->nqueries; i++)
        qs[i] = proto_str(a->queries[i]);
    ProtoRequest req = { .kind = PROTO_REQ_SUBSCRIBE, .request_id = 0,
                         .queries = { qs, (size_t)a->nqueries } };
    Status st = client_send(c, &req, err);
    mem_free(qs);
    ProtoReply rep;
    while (st == ST_OK) {
        if ((st = client_read_reply(c, &rep, CLIENT_REPLY_TIMEOUT_MS, err)) != ST_OK)
            break;
        if (rep.kind == PROTO_REPLY_ERROR)
            return client_error(err, ST_INVALID, "%.*s", (int)rep.error.len, rep.error.s);
        if (rep.kind == PROTO_REPLY_TRANSACTION_UPDATE && rep.status.kind != PROTO_STATUS_COMMITTED)
            return client_error(err, ST_INVALID, "encountered failed transaction: %.*s",
                                (int)rep.status.text.len, rep.status.text.s ? rep.status.text.s : "");
        if (rep.kind == PROTO_REPLY_INITIAL_SUBSCRIPTION)
            return a->initial && print_update(&(ProtoReply){ .kind =
                                   PROTO_REPLY_TRANSACTION_UPDATE_LIGHT, .update = rep.update },
                                   err) < 0 ? ST_NOMEM : ST_OK;
    }
    return st;
}

static int watch(const SubArgs *a)
{
    ClientError err = {{0}};
    Client c = {.fd = -1};
    long deadline = a->seconds >= 0 ? now_ms() + a->seconds * 1000 : -1;
    Status st = client_connect(&c, client_server_address(a->server), CLIENT_CONNECT_TIMEOUT_MS, &err);
    if (st == ST_OK)
        st = client_hello(&c, a->name, &err);
    if (st == ST_OK)
        st = start(&c, a, &err);
    bool timed_out = false;
    for (long seen = 0; st == ST_OK && (a->count < 0 || seen < a->count);) {
        long left = deadline < 0 ? CLIENT_FOREVER : deadline - now_ms();
        ProtoReply rep;
        if (deadline >= 0 && left <= 0) {
            timed_out = true;
            break;
        }
        st = client_read_reply(&c, &rep, (int)left, &err);
        if (st != ST_OK && deadline >= 0 && now_ms() >= deadline && c.fd >= 0) {
            timed_out = true;
            st = ST_OK;
            break;
        }
        int r = st == ST_OK ? print_update(&rep, &err) : 0;
        st = r < 0 ? ST_NOMEM : st;
        seen += r > 0;
    }
    if (timed_out)
        fprintf(stderr, "timed out after %lds\n", a->seconds);
    client_close(&c);
    return st == ST_OK ? CLI_EXIT_OK : cmd_client_fail(err.msg);
}

/* -n / -t values: whole numbers. */
static bool number(const char *s, long *out)
{
    char *end;
    long v = s ? strtol(s, &end, 10) : -1;
    if (!s || *s < '0' || *s > '9' || *end || v > 100000000)
        return false;
    *out = v;
    return true;
}

static int parse(int argc, char **argv, SubArgs *a)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--help") || !strcmp(o, "-h"))
            return 1;
        if (!strcmp(o, "--server") || !strcmp(o, "-s") || !strcmp(o, "-n") || !strcmp(o, "-t")) {
            if (!next || (o[1] == 'n' && !number(next, &a->count)) ||
                (o[1] == 't' && !number(next, &a->seconds)))
                return -1;
            if (o[1] != 'n' && o[1] != 't')
                a->server = next;
            i++;
        } else if (!strcmp(o, "--print-initial-update")) {
            a->initial = true;
        } else if (!a->name) {
            a->name = o;
        } else {
            a->queries[a->nqueries++] = argv[i];
        }
    }
    return a->name && a->nqueries > 0 && proto_name_valid(a->name, strlen(a->name)) ? 0 : -1;
}

int cmd_subscribe(int argc, char **argv)
{
    SubArgs a = { .count = -1, .seconds = -1 };
    if (!(a.queries = mem_calloc((size_t)argc + 1, sizeof *a.queries)))
        return cmd_client_fail("out of memory");
    int p = parse(argc, argv, &a);
    int rc = p == 0 ? watch(&a) : CLI_EXIT_OK;
    if (p != 0)
        fputs(sub_usage, p > 0 ? stdout : stderr);
    if (p < 0)
        rc = cmd_client_fail("expected NAME and at least one QUERY (see usage)");
    mem_free(a.queries);
    return rc;
}
