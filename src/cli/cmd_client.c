/*
 * cmd_client.c - `tinystdb publish`, `call` and `delete`: the commands
 * that change a database on a server.
 *
 * Each is one short conversation (client.h), the same three steps every
 * time, so they share cmd_client_request:
 *
 *     connect ──► Connect{database?, token?} ──► IdentityToken (token saved)
 *             ──► the request ──► its answer ──► print, exit status
 *
 * Output follows `spacetime` (client-protocol.md §10) where it defines
 * one: publish prints "Created new database with name: NAME, identity:
 * HEX" (or "Updated database ..."), call and delete print nothing on
 * success.  Every failure is one line on stderr, "Error: REASON", and
 * exit status 1: the server cannot be reached, it refused the token, the
 * caller is not the owner, the database or reducer does not exist, or
 * the reducer failed (then REASON carries the reducer's own message).
 * One exception: a republish the server cannot migrate (chapter 29)
 * prints the server's whole refusal, a line per reason, whatever its
 * length, ending with the --delete-data way out.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"
#include "cli.h"
#include "cmd_client.h"

int cmd_client_fail(const char *msg)
{
    fprintf(stderr, "Error: %s\n", msg);
    return CLI_EXIT_ERROR;
}

Status cmd_client_request(const ClientArgs *a, const char *database, const ProtoRequest *req,
                          Client *c, ProtoReply *rep, ClientError *err)
{
    const char *addr = client_server_address(a->server);
    Status st = client_connect(c, addr, CLIENT_CONNECT_TIMEOUT_MS, err);
    if (st == ST_OK)
        st = client_hello(c, database, err);
    if (st == ST_OK)
        st = client_send(c, req, err);
    if (st == ST_OK)
        st = client_read_reply(c, rep, CLIENT_REPLY_TIMEOUT_MS, err);
    if (st == ST_OK && rep->kind == PROTO_REPLY_ERROR)
        st = client_error(err, ST_INVALID, "%.*s", (int)rep->error.len, rep->error.s);
    return st;
}

bool cmd_client_parse_or_usage(ClientCmd cmd, int argc, char **argv, ClientArgs *a, int *rc)
{
    ClientError err = {{0}};
    Status st = cmd_client_parse(cmd, argc, argv, a, &err);
    if (st == ST_OK && a->help) {
        fputs(cmd_client_usage(cmd), stdout);
        *rc = CLI_EXIT_OK;
        return true;
    }
    if (st != ST_OK) {
        *rc = cmd_client_fail(err.msg);
        fputs(cmd_client_usage(cmd), stderr);
        return true;
    }
    return false;
}

int cmd_client_unexpected(const ProtoReply *rep, const char *wanted)
{
    fprintf(stderr, "Error: expected %s from the server, got %s\n", wanted,
            proto_reply_name(rep->kind));
    return CLI_EXIT_ERROR;
}

/* ---- publish ---------------------------------------------------------------- */

/* The module's bytes: --wasm FILE, or the one .wasm file in ".". */
static Status read_module(const ClientArgs *a, uint8_t **bytes, size_t *len, StrBuf *path,
                          ClientError *err)
{
    Status st = a->wasm ? strbuf_puts(path, a->wasm) : cmd_client_find_wasm(".", path, err);
    if (st != ST_OK)
        return st == ST_NOMEM ? client_error(err, st, "out of memory") : st;
    WasmError werr = {0};
    st = cmd_wasm_read_file(path->data, bytes, len, &werr);
    if (st != ST_OK)
        return client_error(err, st, "%s: %s", path->data, werr.msg);
    return ST_OK;
}

static int publish(const ClientArgs *a)
{
    ClientError err = {{0}};
    Client c = {.fd = -1};
    uint8_t *bytes = NULL;
    size_t len = 0;
    StrBuf path;
    strbuf_init(&path);
    ProtoReply rep = {.kind = PROTO_REPLY_PUBLISHED};
    Status st = read_module(a, &bytes, &len, &path, &err);
    if (st == ST_OK) {
        printf("Uploading to %s => %s\n", client_server_address(a->server), a->name);
        if (a->delete_data)
            printf("This will DESTROY the current %s module, and ALL corresponding data.\n",
                   a->name);
        printf("Publishing module...\n");
        fflush(stdout);
        ProtoRequest req = {.kind = PROTO_REQ_PUBLISH, .name = proto_str(a->name),
                            .wasm = {bytes, len}, .clear = a->delete_data};
        st = cmd_client_request(a, NULL, &req, &c, &rep, &err);
    }
    int rc = CLI_EXIT_OK;
    if (st != ST_OK && rep.kind == PROTO_REPLY_ERROR) {   /* a refused migration lists */
        fprintf(stderr, "Error: %.*s\n", (int)rep.error.len, rep.error.s);   /* every reason */
        rc = CLI_EXIT_ERROR;
    } else if (st != ST_OK) {
        rc = cmd_client_fail(err.msg);
    } else if (rep.kind != PROTO_REPLY_PUBLISHED) {
        rc = cmd_client_unexpected(&rep, "Published");
    } else {
        char hex[IDENTITY_HEX_LEN + 1];
        identity_format_hex(&rep.identity, hex);
        bool updated = rep.op.s && strcmp(rep.op.s, "updated") == 0;
        printf("%s database with name: %s, identity: %s\n", updated ? "Updated" : "Created new",
               a->name, hex);
    }
    client_close(&c);
    strbuf_fini(&path);
    mem_free(bytes);
    return rc;
}

int cmd_publish(int argc, char **argv)
{
    ClientArgs a;
    int rc;
    if (!cmd_client_parse_or_usage(CLIENT_CMD_PUBLISH, argc, argv, &a, &rc))
        rc = publish(&a);
    cmd_client_args_fini(&a);
    return rc;
}

/* ---- call ------------------------------------------------------------------- */

#define CALL_REQUEST_ID 1

/* What became of the call: 0, or the exit status after printing why. */
static int call_outcome(const ClientArgs *a, const ProtoReply *rep)
{
    const ProtoStatus *s = &rep->status;
    switch (s->kind) {
    case PROTO_STATUS_COMMITTED:
        return CLI_EXIT_OK;   /* like `spacetime call`: success is silent */
    case PROTO_STATUS_FAILED:
        fprintf(stderr, "Error: reducer %s failed: %.*s\n", a->reducer, (int)s->text.len,
                s->text.s ? s->text.s : "");
        return CLI_EXIT_ERROR;
    case PROTO_STATUS_OUT_OF_ENERGY:
        fprintf(stderr, "Error: reducer %s ran out of energy\n", a->reducer);
        return CLI_EXIT_ERROR;
    default:
        fprintf(stderr, "Error: reducer %s: unexpected status\n", a->reducer);
        return CLI_EXIT_ERROR;
    }
}

static int call(const ClientArgs *a)
{
    ClientError err = {{0}};
    Client c = {.fd = -1};
    StrBuf json;
    strbuf_init(&json);
    ProtoReply rep;
    Status st = cmd_client_args_json(a->args, a->nargs, &json, &err);
    if (st == ST_OK) {
        ProtoRequest req = {.kind = PROTO_REQ_CALL_REDUCER, .reducer = proto_str(a->reducer),
                            .args = {json.data, json.len}, .request_id = CALL_REQUEST_ID,
                            .flags = PROTO_FLAG_FULL_UPDATE};
        st = cmd_client_request(a, a->name, &req, &c, &rep, &err);
    }
    /* Our answer is the TransactionUpdate of a call from this connection.
     * Not by request_id alone: a call of an unknown reducer is answered
     * with request_id 0, as in SpacetimeDB (client-protocol.md §7).
     * Anything else (nothing today: we subscribe to nothing) is skipped. */
    while (st == ST_OK && !(rep.kind == PROTO_REPLY_TRANSACTION_UPDATE &&
                            identity_conn_equal(&rep.connection_id, &c.conn_id))) {
        st = client_read_reply(&c, &rep, CLIENT_REPLY_TIMEOUT_MS, &err);
        if (st == ST_OK && rep.kind == PROTO_REPLY_ERROR)
            st = client_error(&err, ST_INVALID, "%.*s", (int)rep.error.len, rep.error.s);
    }
    int rc = st == ST_OK ? call_outcome(a, &rep) : cmd_client_fail(err.msg);
    client_close(&c);
    strbuf_fini(&json);
    return rc;
}

int cmd_call(int argc, char **argv)
{
    ClientArgs a;
    int rc;
    if (!cmd_client_parse_or_usage(CLIENT_CMD_CALL, argc, argv, &a, &rc))
        rc = call(&a);
    cmd_client_args_fini(&a);
    return rc;
}

/* ---- delete ----------------------------------------------------------------- */

static int delete_database(const ClientArgs *a)
{
    ClientError err = {{0}};
    Client c = {.fd = -1};
    ProtoReply rep;
    ProtoRequest req = {.kind = PROTO_REQ_DELETE_DATABASE, .name = proto_str(a->name)};
    Status st = cmd_client_request(a, NULL, &req, &c, &rep, &err);
    int rc = st != ST_OK                                ? cmd_client_fail(err.msg)
             : rep.kind != PROTO_REPLY_DATABASE_DELETED ? cmd_client_unexpected(&rep, "DatabaseDeleted")
                                                        : CLI_EXIT_OK;
    client_close(&c);
    return rc;
}

int cmd_delete(int argc, char **argv)
{
    ClientArgs a;
    int rc;
    if (!cmd_client_parse_or_usage(CLIENT_CMD_DELETE, argc, argv, &a, &rc))
        rc = delete_database(&a);
    cmd_client_args_fini(&a);
    return rc;
}
