/*
 * cmd_client.h - the client commands' pieces that tests reach directly:
 * argument parsing, the JSON array built from `call` arguments, finding
 * the module to publish, and the text forms of logs and schemas.
 *
 * The commands themselves (cmd_publish, cmd_call, cmd_logs,
 * cmd_describe_remote, cmd_delete) are declared in cli.h; they parse
 * with cmd_client_parse, talk through client.h, and print with the
 * formatters below.  Each formatter only appends to a StrBuf, so a test
 * can compare its output byte for byte without a server.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#ifndef TINYSTDB_CLI_CMD_CLIENT_H
#define TINYSTDB_CLI_CMD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/json.h"
#include "../util/status.h"
#include "../util/vec.h"
#include "client.h"

typedef enum ClientCmd {
    CLIENT_CMD_PUBLISH,    /* publish NAME [--wasm FILE] [--delete-data] */
    CLIENT_CMD_CALL,       /* call NAME REDUCER [ARG...] */
    CLIENT_CMD_LOGS,       /* logs NAME [-n N] [-f] [--format text|json] */
    CLIENT_CMD_DESCRIBE,   /* describe NAME [--json] */
    CLIENT_CMD_DELETE,     /* delete NAME [-y] */
} ClientCmd;

/* Everything the five commands take; each uses a few members. */
typedef struct ClientArgs {
    bool help;              /* --help / -h: print the usage, do nothing */
    const char *server;     /* --server HOST:PORT; NULL: $TINYSTDB_SERVER or default */
    const char *name;       /* the database */
    const char *wasm;       /* publish --wasm FILE (-b FILE); NULL: look in "." */
    bool delete_data;       /* publish --delete-data (-c) */
    const char *reducer;    /* call */
    char **args;            /* call: the ARGs, each one JSON value */
    int nargs;
    long num_lines;         /* logs -n N; -1: not given */
    bool follow;            /* logs -f */
    bool json;              /* describe --json, logs --format json */
    char **words;           /* owned: the words that are not options; args points here */
} ClientArgs;

/* The start of every command: connect to a->server, say hello (as a
 * client of `database`, or with NULL as an admin session), send req and
 * read the first answer into *rep (which lives in c->arena).  An
 * {"error": ...} answer is ST_INVALID with the server's text in err.
 * The caller closes c in every case. */
Status cmd_client_request(const ClientArgs *a, const char *database, const ProtoRequest *req,
                          Client *c, ProtoReply *rep, ClientError *err);

/* Parse argv for cmd.  True when the command is over already (--help
 * printed, or a usage error reported), with *rc its exit status. */
bool cmd_client_parse_or_usage(ClientCmd cmd, int argc, char **argv, ClientArgs *a, int *rc);

/* A reply of the wrong kind (a server that does not follow the
 * protocol): says so on stderr, returns exit status 1. */
int cmd_client_unexpected(const ProtoReply *rep, const char *wanted);

/* Print "Error: MSG" on stderr (SpacetimeDB's form) and return exit status 1. */
int cmd_client_fail(const char *msg);

/* The commands (also declared in cli.h, for main.c's table). */
int cmd_publish(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_describe_remote(int argc, char **argv);
int cmd_delete(int argc, char **argv);

/* The usage text of a command ("usage: tinystdb publish NAME ..."). */
const char *cmd_client_usage(ClientCmd cmd);

/* Parse argv (argv[0] is the command's name).  ST_ARG with a one-line
 * reason for an unknown option, a missing or extra word, a bad number or
 * a database name that the server would refuse.  Call
 * cmd_client_args_fini afterwards, whatever the result. */
Status cmd_client_parse(ClientCmd cmd, int argc, char **argv, ClientArgs *out,
                        ClientError *err);
void cmd_client_args_fini(ClientArgs *a);

/* `call`'s arguments as one JSON array, as `spacetime call` builds it:
 * each ARG that parses as a JSON value is taken as that value (written
 * compactly); any other word is taken as a string, so `call chat send
 * hello` sends ["hello"].  Write '"true"' for the string "true". */
Status cmd_client_args_json(char *const *args, int nargs, StrBuf *out, ClientError *err);

/* publish without --wasm: the one *.wasm file in dir.  ST_NOT_FOUND when
 * there is none, ST_ARG when there are several (both with a reason). */
Status cmd_client_find_wasm(const char *dir, StrBuf *out, ClientError *err);

/* One log record (a JSON line of the module log) as `spacetime logs`
 * prints it, "2025-06-10T12:00:00.123456Z  INFO: say_hello: Hello",
 * with a newline.  A line that is not a log record is copied as it is. */
Status cmd_client_format_log(const char *line, size_t len, StrBuf *out);

/* v pretty-printed as serde_json does it (two-space indent, "key": value,
 * empty [] and {} on one line), with a final newline. */
Status cmd_client_pretty_json(const JsonValue *v, StrBuf *out);


#endif
