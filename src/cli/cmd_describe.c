/*
 * cmd_describe.c - `tinystdb describe --wasm FILE.wasm [--json]`.
 *
 * Loads a module offline (no database), asks it for its definition and
 * prints it: tables with their columns, keys, constraints, indexes (by
 * the names the module looks them up with), sequences, schedules and
 * access; reducers with their parameters and lifecycle kinds.  All the
 * work is describe_wasm (src/host/describe_run.c) and moddef_format
 * (src/host/moddef_format.c); this file parses arguments and reports.
 *
 * A module that cannot be described is exit status 1 and one line on
 * stderr saying why ("tinystdb describe: game.wasm: unknown import
 * \"env::abort\": ..."), never a crash: describe_wasm bounds fuel,
 * memory and the definition's size.
 *
 * Without --wasm, `tinystdb describe NAME [--json]` asks a server for a
 * database's schema instead: that is cmd_describe_remote, a client
 * command (src/cli/cmd_client_logs.c, chapter 23).
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#include <stdio.h>
#include <string.h>

#include "../host/describe.h"
#include "../util/alloc.h"
#include "cli.h"
#include "cmd_client.h"

static const char describe_usage[] = "usage: tinystdb describe --wasm FILE.wasm [--json]\n"
                                     "       tinystdb describe NAME [--json] [--server HOST:PORT]\n";

/* Is there a --wasm among the options?  Then the module is a file. */
static bool has_wasm_option(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--wasm") == 0)
            return true;
    return false;
}

static int describe_file(const char *path, bool json)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    WasmError werr = {0};
    ModError err = {0};
    ModuleDef *def = NULL;
    StrBuf out;
    strbuf_init(&out);
    Status st = cmd_wasm_read_file(path, &bytes, &len, &werr);
    if (st != ST_OK)
        moddef_error(&err, st, "%s", werr.msg);
    else
        st = describe_wasm(bytes, len, NULL, &def, &err);
    if (st == ST_OK && (st = moddef_format(def, &out, json)) != ST_OK)
        moddef_error(&err, st, "printing the definition: %s", status_str(st));
    if (st == ST_OK)
        fwrite(out.data, 1, out.len, stdout);
    else
        fprintf(stderr, "tinystdb describe: %s: %s\n", path, err.msg);
    strbuf_fini(&out);
    moddef_free(def);
    mem_free(bytes);
    return st == ST_OK ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

int cmd_describe(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    bool help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    if (!help && !has_wasm_option(argc, argv))
        return cmd_describe_remote(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(describe_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--wasm") == 0 && i + 1 < argc && !path) {
            path = argv[++i];
        } else {
            fprintf(stderr, "tinystdb describe: unexpected argument \"%s\"\n%s", argv[i],
                    describe_usage);
            return CLI_EXIT_ERROR;
        }
    }
    if (!path) {
        fputs(describe_usage, stderr);
        return CLI_EXIT_ERROR;
    }
    return describe_file(path, json);
}
