/*
 * cmd_client_logs.c - `tinystdb logs` and `tinystdb describe NAME`: the
 * commands that read from a database, and the text they print.
 *
 * logs asks for the module log (GetLogs) and prints each record the way
 * `spacetime logs` does (client-protocol.md §10), every level included:
 *
 *     2025-06-10T12:00:00.123456Z  INFO: say_hello src/lib.rs:22: Hello, World!
 *     2025-06-10T12:00:01.000200Z ERROR: transfer: insufficient funds
 *
 * The server answers with one Logs message holding the last N records;
 * with -f it then keeps the connection open and sends a LogRecord for
 * every new record, which we print (and flush) as it comes, until the
 * server goes away or the person presses Ctrl-C.  --format json prints
 * the records' JSON lines unchanged instead.
 *
 * describe asks for the schema (Describe) and prints it pretty-printed as
 * JSON with --json (what `spacetime describe --json` prints), or else
 * the text the server wrote with the same moddef_format that
 * `tinystdb describe --wasm` uses, so both print the same thing.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#include <stdio.h>
#include <string.h>

#include "../host/logs.h"
#include "cli.h"
#include "cmd_client.h"

/* ---- formatting ------------------------------------------------------------- */

Status cmd_client_format_log(const char *line, size_t len, StrBuf *out)
{
    Arena a;
    arena_init(&a);
    LogRecord r;
    Status st = logs_parse_line(line, len, &a, &r);
    if (st == ST_OK)
        st = logs_format_text(&r, out);
    else if (st != ST_NOMEM)   /* not a record: show it rather than lose it */
        st = strbuf_append(out, line, len);
    arena_fini(&a);
    return st == ST_OK ? strbuf_putc(out, '\n') : st;
}

static Status indent(StrBuf *out, int depth)
{
    Status st = ST_OK;
    for (int i = 0; i < depth && st == ST_OK; i++)
        st = strbuf_puts(out, "  ");
    return st;
}

/* One value at nesting depth `depth` (its first line is already indented). */
static Status pretty(const JsonValue *v, int depth, StrBuf *out)
{
    bool obj = v->type == JSON_OBJECT;
    if ((v->type != JSON_ARRAY && !obj) || v->len == 0)
        return json_write_value(out, v);
    Status st = strbuf_puts(out, obj ? "{\n" : "[\n");
    for (size_t i = 0; i < v->len && st == ST_OK; i++) {
        st = indent(out, depth + 1);
        if (st == ST_OK && obj) {
            st = json_write_string(out, v->members[i].key, v->members[i].key_len);
            st = st == ST_OK ? strbuf_puts(out, ": ") : st;
        }
        if (st == ST_OK)
            st = pretty(obj ? &v->members[i].value : &v->items[i], depth + 1, out);
        if (st == ST_OK)
            st = strbuf_puts(out, i + 1 < v->len ? ",\n" : "\n");
    }
    if (st == ST_OK)
        st = indent(out, depth);
    return st == ST_OK ? strbuf_putc(out, obj ? '}' : ']') : st;
}

Status cmd_client_pretty_json(const JsonValue *v, StrBuf *out)
{
    Status st = pretty(v, 0, out);
    return st == ST_OK ? strbuf_putc(out, '\n') : st;
}

/* ---- logs ----------------------------------------------------------------- */

/* Print the NDJSON records of text[0..len), one per line. */
static Status print_records(const ClientArgs *a, const char *text, size_t len)
{
    StrBuf out;
    strbuf_init(&out);
    Status st = ST_OK;
    for (size_t i = 0; i < len && st == ST_OK;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        if (n > 0 && a->json)
            st = strbuf_append(&out, text + i, n) == ST_OK ? strbuf_putc(&out, '\n') : ST_NOMEM;
        else if (n > 0)
            st = cmd_client_format_log(text + i, n, &out);
        i += n + 1;
    }
    if (st == ST_OK && out.len > 0) {
        fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
    }
    strbuf_fini(&out);
    return st;
}

/* -f: print LogRecords until the connection ends. */
static int follow(const ClientArgs *a, Client *c)
{
    ClientError err = {{0}};
    for (;;) {
        ProtoReply rep;
        Status st = client_read_reply(c, &rep, CLIENT_FOREVER, &err);
        if (st != ST_OK)
            return cmd_client_fail(err.msg);
        if (rep.kind == PROTO_REPLY_ERROR) {
            snprintf(err.msg, sizeof err.msg, "%.*s", (int)rep.error.len, rep.error.s);
            return cmd_client_fail(err.msg);
        }
        if (rep.kind != PROTO_REPLY_LOG_RECORD)
            continue;   /* nothing else is expected; ignore rather than stop */
        if (print_records(a, rep.json.s, rep.json.len) != ST_OK)
            return cmd_client_fail("out of memory");
    }
}

static int logs(const ClientArgs *a)
{
    ClientError err = {{0}};
    Client c = {.fd = -1};
    ProtoReply rep;
    long n = a->num_lines >= 0 ? a->num_lines : a->follow ? 10 : -1;   /* as spacetime */
    ProtoRequest req = {.kind = PROTO_REQ_GET_LOGS, .name = proto_str(a->name),
                        .num_lines = {n >= 0, n >= 0 ? (uint32_t)n : 0}, .follow = a->follow};
    Status st = cmd_client_request(a, NULL, &req, &c, &rep, &err);
    int rc = st != ST_OK                      ? cmd_client_fail(err.msg)
             : rep.kind != PROTO_REPLY_LOGS ? cmd_client_unexpected(&rep, "Logs")
                                              : CLI_EXIT_OK;
    if (rc == CLI_EXIT_OK && print_records(a, rep.json.s, rep.json.len) != ST_OK)
        rc = cmd_client_fail("out of memory");
    if (rc == CLI_EXIT_OK && a->follow)
        rc = follow(a, &c);
    client_close(&c);
    return rc;
}

int cmd_logs(int argc, char **argv)
{
    ClientArgs a;
    int rc;
    if (!cmd_client_parse_or_usage(CLIENT_CMD_LOGS, argc, argv, &a, &rc))
        rc = logs(&a);
    cmd_client_args_fini(&a);
    return rc;
}

/* ---- describe NAME ------------------------------------------------------------ */

/* A Description: its text (what `describe --wasm` prints for the same
 * module, written by the server with moddef_format), or with --json its
 * schema, pretty-printed. */
static int print_schema(const ClientArgs *a, const ProtoReply *rep)
{
    if (!a->json) {
        fwrite(rep->text.s, 1, rep->text.len, stdout);
        return CLI_EXIT_OK;
    }
    Arena arena;
    arena_init(&arena);
    StrBuf out;
    strbuf_init(&out);
    JsonValue *v = NULL;
    Status st = json_parse(&arena, rep->json.s, rep->json.len, &v, NULL);
    bool parsed = st == ST_OK;
    if (st == ST_OK)
        st = cmd_client_pretty_json(v, &out);
    if (st == ST_OK)
        fwrite(out.data, 1, out.len, stdout);
    strbuf_fini(&out);
    arena_fini(&arena);
    return st == ST_OK ? CLI_EXIT_OK
           : parsed    ? cmd_client_fail("out of memory")
                       : cmd_client_fail("the server sent a schema that is not JSON");
}

static int describe(const ClientArgs *a)
{
    ClientError err = {{0}};
    Client c = {.fd = -1};
    ProtoReply rep;
    ProtoRequest req = {.kind = PROTO_REQ_DESCRIBE, .name = proto_str(a->name)};
    Status st = cmd_client_request(a, NULL, &req, &c, &rep, &err);
    int rc = st != ST_OK                             ? cmd_client_fail(err.msg)
             : rep.kind != PROTO_REPLY_DESCRIPTION ? cmd_client_unexpected(&rep, "Description")
                                                     : print_schema(a, &rep);
    client_close(&c);
    return rc;
}

int cmd_describe_remote(int argc, char **argv)
{
    ClientArgs a;
    int rc;
    if (!cmd_client_parse_or_usage(CLIENT_CMD_DESCRIBE, argc, argv, &a, &rc))
        rc = describe(&a);
    cmd_client_args_fini(&a);
    return rc;
}
