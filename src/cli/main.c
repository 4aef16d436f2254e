/*
 * main.c - the tinystdb command: find the subcommand, hand it the rest.
 *
 *     tinystdb wasm run fact.wasm fact 10
 *              ^^^^ looked up in `commands`; it gets argv from here on
 *
 * Dispatch is a table so that adding a command (start, publish, sql, ...)
 * is one row and one function; the help listing is generated from the
 * same rows and cannot fall out of step.  Everything a command does lives
 * in the library (src/cli/cmd_*.c) so tests can call it without a
 * process; this file only parses the first word.
 *
 * Exit status (cli.h): 0 success, 1 error, 2 the WebAssembly code trapped.
 *
 * Book: chapter 8, book/08-cli.md
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_test.h"

static int help_cmd(int argc, char **argv);

static const CliCommand commands[] = {
    {"wasm", "run|validate|dump ...", "run, validate or inspect a WebAssembly module",
     cmd_wasm_main},
    {"start", "[--listen HOST:PORT] [--data-dir DIR]", "run the database server", cmd_start},
    {"publish", "NAME [--wasm FILE] [-c]", "upload a module as database NAME (create or update)",
     cmd_publish},
    {"call", "NAME REDUCER [ARG...]", "call a reducer; each ARG is one JSON value", cmd_call},
    {"logs", "NAME [-n N] [-f]", "print a database's module log (owner only)", cmd_logs},
    {"describe", "NAME|--wasm FILE [--json]", "print a database's or module's tables and reducers",
     cmd_describe},
    {"delete", "NAME", "delete a database and its data (owner only)", cmd_delete},
    {"log", "dump|verify DIR", "print a commit log record by record, or check every CRC", cmd_log},
    {"sql", "NAME \"QUERY\"", "run one SQL statement (SELECT; DML for the owner) and print the table",
     cmd_sql},
    {"subscribe", "NAME QUERY... [-n N] [-t SECONDS]",
     "print every update to the rows QUERY... match, one JSON line each", cmd_subscribe},
    {"test", "[MODULE] SCENARIO...", "run scenario files against a module, in-process",
     cmd_test},
    {"help", "[COMMAND]", "show this help, or one command's help", help_cmd},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: tinystdb COMMAND [ARGS...]\n\n"
                 "tinystdb is a small, readable reimplementation of SpacetimeDB: a database\n"
                 "that runs application logic as WebAssembly modules inside it.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char synopsis[64];
        snprintf(synopsis, sizeof synopsis, "%s %s", commands[i].name, commands[i].args);
        fprintf(out, "  %-28s %s\n", synopsis, commands[i].summary);
    }
    fprintf(out, "\nRun 'tinystdb COMMAND --help' for a command's options.\n"
                 "Exit status: 0 success, 1 error, 2 the WebAssembly code trapped.\n");
}

static const CliCommand *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* "tinystdb help wasm" is "tinystdb wasm --help". */
static int help_cmd(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const CliCommand *c = find_command(argv[1]);
    if (!c || c->run == help_cmd) {
        fprintf(stderr, "tinystdb: no command \"%s\"\n", argv[1]);
        return CLI_EXIT_ERROR;
    }
    char help[] = "--help";
    char *sub[] = {argv[1], help, NULL};
    return c->run(2, sub);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return help_cmd(1, argv + 1);
    const CliCommand *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "tinystdb: unknown command \"%s\"; try 'tinystdb help'\n", argv[1]);
        return CLI_EXIT_ERROR;
    }
    return c->run(argc - 1, argv + 1);
}
