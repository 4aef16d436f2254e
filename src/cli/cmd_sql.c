/*
 * cmd_sql.c - `tinystdb sql NAME "QUERY"`: one SQL statement against a
 * database on a server, printed as `spacetime sql` prints it.
 *
 * The conversation (cmd_sql.h explains why the schema comes first):
 *
 *   Connect{database: NAME} ─► IdentityToken
 *   Describe{name: NAME}    ─► Description (column names and type texts)
 *   OneOffQuery{message_id, query_string} ─► OneOffQueryResponse
 *
 * The server runs the statement with the caller's rights (chapter 28):
 * SELECT on public tables for anyone, on private ones for the owner,
 * INSERT/UPDATE/DELETE for the owner only.  Output (client-protocol.md
 * section 10): the psql-style table with trailing spaces kept; the
 * header and the dash line even without rows; DML prints one empty line.
 * `--explain` (or a query starting with EXPLAIN) sends `EXPLAIN QUERY`
 * instead, a tinystdb extension: the server plans the statement with the
 * caller's rights without running it and answers with a table "plan" of
 * one row per line (server_query.c); they are printed as they are.
 * Errors: "Error: TEXT" on stderr and exit status 1, TEXT being the
 * server's SQL error (e.g. "no such table: `t`. If the table exists, it
 * may be marked private.").
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../sql/sql.h"
#include "../util/alloc.h"
#include "cli.h"
#include "cmd_client.h"
#include "cmd_sql.h"

#define SQL_MESSAGE_ID 1

typedef struct SqlCol {
    const char *name;             /* the header */
    const char *type;             /* the type text, NULL if unknown */
} SqlCol;

typedef VEC(SqlCol) SqlColVec;

static const char sql_usage[] =
    "usage: tinystdb sql NAME \"QUERY\" [--explain] [--server HOST:PORT]\n"
    "  Run one SQL statement (SELECT; INSERT, UPDATE, DELETE for the owner) and print\n"
    "  the result as `spacetime sql` does.  --explain: print how the server would\n"
    "  execute it instead (nothing is run).\n";

/* ---- the result's columns ---- */

/* The schema's table called name, or NULL. */
static const JsonValue *schema_table(const JsonValue *schema, const char *name)
{
    const JsonValue *tables = json_object_get(schema, "tables");
    for (size_t i = 0; tables && tables->type == JSON_ARRAY && i < tables->len; i++) {
        const JsonValue *n = json_object_get(&tables->items[i], "name");
        if (n && n->type == JSON_STRING && strcmp(n->str, name) == 0)
            return &tables->items[i];
    }
    return NULL;
}

/* The type text of column col of table t, or NULL. */
static const char *column_type(const JsonValue *t, const char *col)
{
    const JsonValue *cols = t ? json_object_get(t, "columns") : NULL;
    for (size_t i = 0; cols && cols->type == JSON_ARRAY && i < cols->len; i++) {
        const JsonValue *n = json_object_get(&cols->items[i], "name");
        const JsonValue *ty = json_object_get(&cols->items[i], "type");
        if (n && ty && n->type == JSON_STRING && strcmp(n->str, col) == 0)
            return ty->type == JSON_STRING ? ty->str : NULL;
    }
    return NULL;
}

/* The schema table a qualifier (alias or name) or a bare column refers to. */
static const JsonValue *rel_table(const JsonValue *schema, const SqlStmt *st, const char *qual,
                                  const char *col)
{
    for (uint32_t i = 0; i < st->nfrom; i++) {
        const SqlFrom *f = &st->from[i];
        const JsonValue *t = schema_table(schema, f->table);
        if (qual ? strcmp(qual, f->alias ? f->alias : f->table) == 0 : column_type(t, col) != NULL)
            return t;
    }
    return NULL;
}

/* Append every column of table t. */
static Status table_cols(const JsonValue *t, SqlColVec *out)
{
    const JsonValue *cols = t ? json_object_get(t, "columns") : NULL;
    for (size_t i = 0; cols && cols->type == JSON_ARRAY && i < cols->len; i++) {
        const JsonValue *n = json_object_get(&cols->items[i], "name");
        const JsonValue *ty = json_object_get(&cols->items[i], "type");
        SqlCol c = { n && n->type == JSON_STRING ? n->str : "?",
                     ty && ty->type == JSON_STRING ? ty->str : NULL };
        if (vec_push(out, c) != ST_OK)
            return ST_NOMEM;
    }
    return ST_OK;
}

/* The output columns of a SELECT, worked out as check.c does on the server. */
static Status result_cols(const JsonValue *schema, const SqlStmt *st, SqlColVec *out)
{
    if (st->kind != SQL_SELECT)
        return ST_OK;   /* DML: no columns */
    if (st->count) {
        SqlCol c = { st->count_alias, "u64" };
        return vec_push(out, c);
    }
    for (uint32_t i = 0; i < st->nproj; i++) {
        const SqlProj *p = &st->proj[i];
        const JsonValue *t = p->star && !p->qual ? schema_table(schema, st->from[0].table)
                                                 : rel_table(schema, st, p->qual, p->name);
        Status s = ST_OK;
        if (p->star) {
            s = table_cols(t, out);
        } else {
            SqlCol c = { p->alias ? p->alias : p->name, column_type(t, p->name) };
            s = vec_push(out, c);
        }
        if (s != ST_OK)
            return s;
    }
    return ST_OK;
}

/* ---- printing ---- */

/* One row's cells: each column's value looked up by name in the row object. */
static Status row_cells(Arena *a, const ProtoStr *row, const SqlCol *cols, size_t ncols,
                        const char **cells)
{
    JsonValue *v;
    if (json_parse(a, row->s, row->len, &v, NULL) != ST_OK || v->type != JSON_OBJECT)
        return ST_INVALID;
    StrBuf sb;
    strbuf_init(&sb);
    Status st = ST_OK;
    for (size_t c = 0; c < ncols && st == ST_OK; c++) {
        const JsonValue *cell = json_object_get(v, cols[c].name);
        strbuf_clear(&sb);
        st = cell ? cmd_sql_format_value(a, cols[c].type, cell, &sb) : ST_OK;
        if (st == ST_OK && !(cells[c] = arena_strndup(a, sb.data ? sb.data : "", sb.len)))
            st = ST_NOMEM;
    }
    strbuf_fini(&sb);
    return st;
}

static Status print_result(Arena *a, const ProtoReply *rep, const SqlCol *cols, size_t ncols,
                           StrBuf *out)
{
    const ProtoStrList *rows = rep->tables.len ? &rep->tables.items[0].rows : NULL;
    size_t nrows = rows ? rows->len : 0;
    const char **cells = arena_calloc(a, nrows * ncols + 1, sizeof *cells);
    const char **headers = arena_calloc(a, ncols + 1, sizeof *headers);
    if (!cells || !headers)
        return ST_NOMEM;
    for (size_t c = 0; c < ncols; c++)
        headers[c] = cols[c].name;
    for (size_t r = 0; r < nrows; r++) {
        Status st = row_cells(a, &rows->items[r], cols, ncols, cells + r * ncols);
        if (st != ST_OK)
            return st;
    }
    return sql_format_grid(headers, ncols, cells, nrows, out);
}

/* EXPLAIN's answer: the "plan" of each row, one line each. */
static Status print_plan(Arena *a, const ProtoReply *rep, StrBuf *out)
{
    const ProtoStrList *rows = rep->tables.len ? &rep->tables.items[0].rows : NULL;
    for (size_t r = 0; rows && r < rows->len; r++) {
        JsonValue *v;
        if (json_parse(a, rows->items[r].s, rows->items[r].len, &v, NULL) != ST_OK)
            return ST_INVALID;
        const JsonValue *line = json_object_get(v, "plan");
        if (!line || line->type != JSON_STRING)
            return ST_INVALID;
        Status st = strbuf_printf(out, "%s\n", line->str);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Does the query ask for its plan (`EXPLAIN ...`, any case)? */
static bool is_explain(const char *q)
{
    while (isspace((unsigned char)*q))
        q++;
    return strncasecmp(q, "explain", 7) == 0 && isspace((unsigned char)q[7]);
}

/* ---- the conversation ---- */

/* Describe NAME into *schema (parsed into a). */
static Status fetch_schema(Client *c, const char *name, Arena *a, JsonValue **schema,
                           ClientError *err)
{
    ProtoRequest req = { .kind = PROTO_REQ_DESCRIBE, .name = proto_str(name) };
    ProtoReply rep;
    Status st = client_send(c, &req, err);
    if (st == ST_OK)
        st = client_read_reply(c, &rep, CLIENT_REPLY_TIMEOUT_MS, err);
    if (st == ST_OK && rep.kind == PROTO_REPLY_ERROR)
        return client_error(err, ST_INVALID, "%.*s", (int)rep.error.len, rep.error.s);
    if (st == ST_OK && rep.kind != PROTO_REPLY_DESCRIPTION)
        return client_error(err, ST_INVALID, "expected Description, got %s",
                            proto_reply_name(rep.kind));
    if (st == ST_OK && json_parse(a, rep.json.s, rep.json.len, schema, NULL) != ST_OK)
        return client_error(err, ST_INVALID, "the server sent a schema that is not JSON");
    return st;
}

/* Send the query, wait for its OneOffQueryResponse (other lines skipped). */
static Status one_off(Client *c, const char *query, ProtoReply *rep, ClientError *err)
{
    static const uint8_t id[1] = { SQL_MESSAGE_ID };
    ProtoRequest req = { .kind = PROTO_REQ_ONE_OFF_QUERY, .query = proto_str(query),
                         .message_id = { id, sizeof id } };
    Status st = client_send(c, &req, err);
    do {
        if (st == ST_OK)
            st = client_read_reply(c, rep, CLIENT_REPLY_TIMEOUT_MS, err);
        if (st == ST_OK && rep->kind == PROTO_REPLY_ERROR)
            st = client_error(err, ST_INVALID, "%.*s", (int)rep->error.len, rep->error.s);
    } while (st == ST_OK && rep->kind != PROTO_REPLY_ONE_OFF_QUERY_RESPONSE);
    if (st == ST_OK && rep->error.s)
        st = client_error(err, ST_INVALID, "%.*s", (int)rep->error.len, rep->error.s);
    return st;
}

static int run_sql(const char *server, const char *name, const char *query)
{
    bool explain = is_explain(query);
    ClientError err = {{0}};
    Client c = {.fd = -1};
    Arena a;
    arena_init(&a);
    StrBuf out;
    strbuf_init(&out);
    SqlColVec cols = {0};
    JsonValue *schema = NULL;
    SqlStmt *stmt = NULL;
    SqlError serr;
    ProtoReply rep;
    Status st = client_connect(&c, client_server_address(server), CLIENT_CONNECT_TIMEOUT_MS, &err);
    if (st == ST_OK)
        st = client_hello(&c, name, &err);
    if (st == ST_OK && !explain)   /* a plan needs no column types */
        st = fetch_schema(&c, name, &a, &schema, &err);
    /* A statement that does not parse here is sent anyway: the server's
     * error is the one to print. */
    if (st == ST_OK && !explain && sql_parse(&a, query, strlen(query), &stmt, &serr) == ST_OK &&
        result_cols(schema, stmt, &cols) != ST_OK)
        st = client_error(&err, ST_NOMEM, "out of memory");
    if (st == ST_OK)
        st = one_off(&c, query, &rep, &err);
    if (st == ST_OK && (explain ? print_plan(&a, &rep, &out)
                                : print_result(&a, &rep, cols.items, cols.len, &out)) != ST_OK)
        st = client_error(&err, ST_INVALID, "cannot print the server's rows");
    if (st == ST_OK)
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
    client_close(&c);
    vec_fini(&cols);
    strbuf_fini(&out);
    arena_fini(&a);
    return st == ST_OK ? CLI_EXIT_OK : cmd_client_fail(err.msg);
}

int cmd_sql(int argc, char **argv)
{
    const char *server = NULL, *words[2] = { NULL, NULL };
    bool explain = false;
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(sql_usage, stdout);
            return CLI_EXIT_OK;
        }
        if ((!strcmp(argv[i], "--server") || !strcmp(argv[i], "-s")) && i + 1 < argc)
            server = argv[++i];
        else if (!strcmp(argv[i], "--explain"))
            explain = true;
        else if (n < 2)
            words[n++] = argv[i];
        else
            n = 3;
    }
    if (n != 2 || !proto_name_valid(words[0], strlen(words[0]))) {
        fputs(sql_usage, stderr);
        return cmd_client_fail(n == 2 ? "bad database name" : "expected NAME and one QUERY");
    }
    if (!explain || is_explain(words[1]))
        return run_sql(server, words[0], words[1]);
    StrBuf q;   /* --explain: the same request as typing EXPLAIN */
    strbuf_init(&q);
    int rc = strbuf_printf(&q, "EXPLAIN %s", words[1]) == ST_OK
             ? run_sql(server, words[0], q.data) : cmd_client_fail("out of memory");
    strbuf_fini(&q);
    return rc;
}
