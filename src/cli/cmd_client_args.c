/*
 * cmd_client_args.c - reading the command line of the client commands,
 * and the two things decided before any byte goes to a server: the JSON
 * array a `call` sends, and the module file a `publish` uploads.
 *
 * The options mirror `spacetime` where it has them (client-protocol.md
 * §10): `publish -c` is --delete-data, `-b` is --wasm, `logs -n N -f`,
 * `describe --json`, `delete -y` (accepted; tinystdb never asks).  Every
 * command takes `--server HOST:PORT`.  Options may come before, between
 * or after the words; "--" ends the options, so `call db add -- --x`
 * passes "--x" as an argument.  In `call`, a word such as "-5" is an
 * argument (a JSON number), not an option.
 *
 * Invariant: a successful parse leaves every required word set; nothing
 * here touches the network or prints.
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#include "cmd_client.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/alloc.h"

static const char *const usages[] = {
    [CLIENT_CMD_PUBLISH] =
        "usage: tinystdb publish NAME [--wasm FILE] [--delete-data] [--server HOST:PORT]\n"
        "  Upload a module as database NAME (creating it, or updating it if you own it).\n"
        "  --wasm FILE, -b FILE   the module (default: the one .wasm file in this directory)\n"
        "  --delete-data, -c      drop the database's data first (asks no confirmation)\n",
    [CLIENT_CMD_CALL] =
        "usage: tinystdb call NAME REDUCER [ARG...] [--server HOST:PORT]\n"
        "  Call a reducer.  Each ARG is one JSON value: 42, true, '\"text\"', '[1,2]';\n"
        "  a word that is not JSON is sent as a string (hello -> \"hello\").\n"
        "  Prints nothing on success; a failed reducer's message goes to stderr.\n",
    [CLIENT_CMD_LOGS] =
        "usage: tinystdb logs NAME [-n N] [-f] [--format text|json] [--server HOST:PORT]\n"
        "  Print a database's module log (owner only), every level, oldest first.\n"
        "  -n N, --num-lines N    only the last N records\n"
        "  -f, --follow           keep printing new records (-n 10 unless -n is given)\n",
    [CLIENT_CMD_DESCRIBE] =
        "usage: tinystdb describe NAME [--json] [--server HOST:PORT]\n"
        "       tinystdb describe --wasm FILE.wasm [--json]\n"
        "  Print a database's (or a module file's) tables and reducers.\n",
    [CLIENT_CMD_DELETE] = "usage: tinystdb delete NAME [--server HOST:PORT]\n"
                          "  Delete a database and all its data (owner only).\n",
};

const char *cmd_client_usage(ClientCmd cmd)
{
    return usages[cmd];
}

/* -n's value: a whole number >= 0. */
static Status parse_count(const char *s, long *out, ClientError *err)
{
    char *end = NULL;
    long v = *s >= '0' && *s <= '9' ? strtol(s, &end, 10) : -1;
    if (v < 0 || !end || *end || v > 100000000)
        return client_error(err, ST_ARG, "-n wants a number of lines, not \"%s\"", s);
    *out = v;
    return ST_OK;
}

/* An option of this command that takes no value (or a value at argv[*i+1]).
 * 1 taken, 0 not an option of cmd, -1 error (err set). */
static int take_option(ClientCmd cmd, int argc, char **argv, int *i, ClientArgs *a,
                       ClientError *err)
{
    const char *o = argv[*i];
    const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
    bool valued = false;
    if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
        a->help = true;
    } else if (strcmp(o, "--server") == 0 || strcmp(o, "-s") == 0) {
        a->server = next;
        valued = true;
    } else if (cmd == CLIENT_CMD_PUBLISH && (!strcmp(o, "--wasm") || !strcmp(o, "-b"))) {
        a->wasm = next;
        valued = true;
    } else if (cmd == CLIENT_CMD_PUBLISH && (!strcmp(o, "--delete-data") || !strcmp(o, "-c"))) {
        a->delete_data = true;
    } else if (cmd == CLIENT_CMD_LOGS && (!strcmp(o, "-n") || !strcmp(o, "--num-lines"))) {
        if (next && parse_count(next, &a->num_lines, err) != ST_OK)
            return -1;
        valued = true;
    } else if (cmd == CLIENT_CMD_LOGS && (!strcmp(o, "-f") || !strcmp(o, "--follow"))) {
        a->follow = true;
    } else if (cmd == CLIENT_CMD_LOGS && !strcmp(o, "--format")) {
        if (next && strcmp(next, "json") != 0 && strcmp(next, "text") != 0) {
            client_error(err, ST_ARG, "--format is text or json, not \"%s\"", next);
            return -1;
        }
        a->json = next && strcmp(next, "json") == 0;
        valued = true;
    } else if ((cmd == CLIENT_CMD_DESCRIBE && !strcmp(o, "--json")) ||
               (cmd == CLIENT_CMD_DELETE && (!strcmp(o, "-y") || !strcmp(o, "--yes")))) {
        a->json = a->json || cmd == CLIENT_CMD_DESCRIBE;
    } else {
        return 0;
    }
    if (valued && !next) {
        client_error(err, ST_ARG, "%s needs a value", o);
        return -1;
    }
    *i += valued;
    return 1;
}

/* Is w an option-looking word?  In `call`, "-5" and "-1.5e3" are numbers. */
static bool looks_like_option(ClientCmd cmd, const char *w)
{
    if (w[0] != '-' || w[1] == '\0')
        return false;
    return !(cmd == CLIENT_CMD_CALL && w[1] >= '0' && w[1] <= '9');
}

/* Hand the words to the command's slots: NAME, then REDUCER and ARGs. */
static Status place_words(ClientCmd cmd, char **words, int n, ClientArgs *a, ClientError *err)
{
    int need = cmd == CLIENT_CMD_CALL ? 2 : 1;
    if (n < need)
        return client_error(err, ST_ARG, "missing %s", n == 0 ? "the database NAME" : "REDUCER");
    if (n > need && cmd != CLIENT_CMD_CALL)
        return client_error(err, ST_ARG, "unexpected argument \"%s\"", words[need]);
    a->name = words[0];
    if (!proto_name_valid(a->name, strlen(a->name)))
        return client_error(err, ST_ARG,
                            "bad database name \"%s\": use lowercase letters, digits and "
                            "single dashes (at most %d bytes)",
                            a->name, PROTO_MAX_NAME);
    if (cmd == CLIENT_CMD_CALL) {
        a->reducer = words[1];
        a->args = words + 2;
        a->nargs = n - 2;
    }
    return ST_OK;
}

Status cmd_client_parse(ClientCmd cmd, int argc, char **argv, ClientArgs *a, ClientError *err)
{
    memset(a, 0, sizeof *a);
    a->num_lines = -1;
    a->words = mem_alloc_array((size_t)(argc > 0 ? argc : 1), sizeof *a->words);
    if (!a->words)
        return client_error(err, ST_NOMEM, "out of memory");
    int n = 0;
    bool options = true;
    Status st = ST_OK;
    for (int i = 1; i < argc && st == ST_OK; i++) {
        int taken = 0;
        if (options && strcmp(argv[i], "--") == 0) {
            options = false;
            continue;
        }
        if (options)
            taken = take_option(cmd, argc, argv, &i, a, err);
        if (taken < 0)
            st = ST_ARG;
        else if (taken == 0 && options && looks_like_option(cmd, argv[i]))
            st = client_error(err, ST_ARG, "unknown option \"%s\"", argv[i]);
        else if (taken == 0)
            a->words[n++] = argv[i];
    }
    if (st == ST_OK && !a->help)
        st = place_words(cmd, a->words, n, a, err);
    return st;
}

void cmd_client_args_fini(ClientArgs *a)
{
    mem_free(a->words);
    a->words = NULL;
    a->args = NULL;
}

/* ---- call's arguments ------------------------------------------------------ */

/* One ARG: the JSON value it spells, or else the word as a string. */
static Status append_arg(StrBuf *out, const char *arg, Arena *a)
{
    JsonValue *v = NULL;
    Status st = json_parse(a, arg, strlen(arg), &v, NULL);
    if (st == ST_OK)
        return json_write_value(out, v);
    if (st == ST_NOMEM)
        return st;
    return json_write_string(out, arg, strlen(arg));
}

Status cmd_client_args_json(char *const *args, int nargs, StrBuf *out, ClientError *err)
{
    Arena a;
    arena_init(&a);
    Status st = strbuf_putc(out, '[');
    for (int i = 0; i < nargs && st == ST_OK; i++) {
        if (i > 0)
            st = strbuf_putc(out, ',');
        if (st == ST_OK)
            st = append_arg(out, args[i], &a);
        if (st == ST_INVALID)   /* only json_write_string: the word is not UTF-8 */
            client_error(err, st, "argument %d is not valid UTF-8", i + 1);
        arena_reset(&a);
    }
    if (st == ST_OK)
        st = strbuf_putc(out, ']');
    if (st == ST_NOMEM)
        client_error(err, st, "out of memory");
    arena_fini(&a);
    return st;
}

/* ---- the module to publish --------------------------------------------------- */

static bool is_wasm_file(const char *dir, const char *name, StrBuf *path)
{
    size_t n = strlen(name);
    if (n < 6 || strcmp(name + n - 5, ".wasm") != 0)
        return false;
    struct stat sb;
    strbuf_clear(path);
    return strbuf_printf(path, "%s/%s", dir, name) == ST_OK && stat(path->data, &sb) == 0 &&
           S_ISREG(sb.st_mode);
}

Status cmd_client_find_wasm(const char *dir, StrBuf *out, ClientError *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return client_error(err, ST_IO, "cannot list %s to find a .wasm file", dir);
    StrBuf path, names;
    strbuf_init(&path);
    strbuf_init(&names);
    int found = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!is_wasm_file(dir, e->d_name, &path))
            continue;
        if (found++ == 0)
            strbuf_puts(out, path.data);
        strbuf_printf(&names, "%s%s", found > 1 ? ", " : "", e->d_name);
    }
    closedir(d);
    Status st = ST_OK;
    if (found == 0)
        st = client_error(err, ST_NOT_FOUND,
                          "no .wasm file in %s; say which module to publish with --wasm FILE",
                          strcmp(dir, ".") == 0 ? "the current directory" : dir);
    else if (found > 1)
        st = client_error(err, ST_ARG, "%d .wasm files in %s (%s); say which with --wasm FILE",
                          found, dir, names.data ? names.data : "");
    else if (out->len == 0)
        st = client_error(err, ST_NOMEM, "out of memory");
    if (st != ST_OK)
        strbuf_clear(out);
    strbuf_fini(&path);
    strbuf_fini(&names);
    return st;
}
