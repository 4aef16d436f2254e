/*
 * cli.h - the pieces of the tinystdb command shared by its source files.
 *
 * The command is a table of subcommands (main.c), each a function that
 * takes the words after "tinystdb" and returns the process exit status:
 *
 *     tinystdb wasm run fact.wasm fact i64:20
 *              ^^^^ argv[0] of cmd_wasm_main
 *
 * Exit statuses are part of the interface (scripts and tests rely on
 * them): 0 success, 1 any error (usage, unreadable or invalid file, bad
 * argument, link error), 2 the WebAssembly code trapped.  Results go to
 * stdout; errors and diagnostics to stderr.
 *
 * The subcommand functions live in the library (only main.c is not), so
 * tests and the benchmark program can call them without a process.
 *
 * Book: chapter 8, book/08-cli.md
 */
#ifndef TINYSTDB_CLI_H
#define TINYSTDB_CLI_H

#include <stdint.h>

#include "../wasm/wasm.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,
    CLI_EXIT_TRAP = 2,
};

/* One entry of a dispatch table: "tinystdb NAME ARGS" does `summary`. */
typedef struct CliCommand {
    const char *name;
    const char *args;       /* synopsis of what follows the name */
    const char *summary;    /* one line for the help listing */
    int (*run)(int argc, char **argv);   /* argv[0] is the name */
} CliCommand;

/* `tinystdb wasm SUBCOMMAND ...` (cmd_wasm.c). */
int cmd_wasm_main(int argc, char **argv);

/* Read `path` and load it (decode, validate, build trees).  On failure
 * print "PATH: what went wrong" to stderr and return the Status. */
Status cmd_wasm_load(const char *path, WasmModule **out);

/* Read a whole file into a fresh buffer (mem_free it).  ST_IO or ST_LIMIT
 * with the reason in err. */
Status cmd_wasm_read_file(const char *path, uint8_t **bytes, size_t *len, WasmError *err);

/* `tinystdb start [--listen HOST:PORT] [--data-dir DIR]` (cmd_start.c). */
int cmd_start(int argc, char **argv);

/* The client commands (cmd_client.c, cmd_client_logs.c; chapter 23).  Each
 * takes --server HOST:PORT (else $TINYSTDB_SERVER, else 127.0.0.1:3000). */
int cmd_publish(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_describe_remote(int argc, char **argv);   /* describe NAME [--json] */
int cmd_delete(int argc, char **argv);

/* `tinystdb log dump|verify DIR`: print or check a commit log (cmd_log.c; chapter 27). */
int cmd_log(int argc, char **argv);

/* `tinystdb sql` and `tinystdb subscribe` (cmd_sql.c, cmd_subscribe.c; chapter 28). */
int cmd_sql(int argc, char **argv);
int cmd_subscribe(int argc, char **argv);

/* `tinystdb describe --wasm FILE.wasm [--json]`, or `describe NAME [--json]`
 * from a server (cmd_describe.c). */
int cmd_describe(int argc, char **argv);

/* `tinystdb wasm dump FILE [--func N|NAME]` (cmd_wasm_dump.c). */
int cmd_wasm_dump_run(int argc, char **argv);

#endif
