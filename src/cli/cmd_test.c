/*
 * cmd_test.c - `tinystdb test [MODULE.wasm] SCENARIO...`: run scenario
 * files against a module and say, step by step, what passed.
 *
 *   for each SCENARIO:
 *       parse it (a syntax error fails the scenario, naming FILE:LINE)
 *       start a server in a temporary directory, publish the module
 *       run every step; print "ok" or "FAIL" and, for a failure,
 *           FILE:LINE: expected ..., got ...
 *       stop the server, remove the directory
 *   N passed, M failed            (steps; a scenario that cannot start
 *                                  or parse counts as one failure)
 *
 * Exit status: 0 when nothing failed, 1 otherwise (and for usage errors).
 * A failing step does not stop its scenario: later steps still run, so
 * one run shows every difference.  Output depends only on the scenario
 * and the module (cmd_test.h, "Determinism"), so it can be diffed.
 *
 * `tinystdb test --record FILE MODULE.wasm` is the REPL of
 * cmd_test_record.c.
 *
 * Book: chapter 30, book/30-testing-modules.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/alloc.h"
#include "../util/log.h"
#include "cli.h"
#include "cmd_test.h"

static const char test_usage[] =
    "usage: tinystdb test [MODULE.wasm] SCENARIO...\n"
    "       tinystdb test --record FILE MODULE.wasm\n"
    "  Run each scenario against a fresh in-process server with the module\n"
    "  published as database \"test\" (a scenario may name its own module with\n"
    "  a `module PATH` line).  Prints every step and \"N passed, M failed\";\n"
    "  exit status 1 if anything failed.  --record: read commands (as, connect,\n"
    "  disconnect, call, sql, subscribe, updates, advance, log, restart, publish,\n"
    "  quit) from stdin, run each, and append it with what it gave to FILE.\n"
    "  The format: book chapter 30.\n";

typedef struct TestCounts {
    int passed, failed;
} TestCounts;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The first line of the step as scenario text. */
static void print_step(FILE *out, const char *verdict, const TestStep *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        test_write_step(mem, st);
        fclose(mem);
    }
    int n = text ? (int)strcspn(text, "\n") : 0;
    fprintf(out, "  %-4s %4d  %.*s\n", verdict, st->line, n, text ? text : "");
    free(text);                   /* open_memstream's buffer comes from libc */
}

static void run_steps(TestScenario *sc, TestHarness *h, TestCounts *n, FILE *out)
{
    for (size_t i = 0; i < sc->steps.len; i++) {
        const TestStep *st = &sc->steps.items[i];
        TestObserved o;
        test_run_step(h, st, &o);
        char why[4096];
        bool pass = test_check_step(h, st, &o, why, sizeof why);
        print_step(out, pass ? "ok" : "FAIL", st);
        if (!pass)
            fprintf(out, "         %s:%d: %s\n", sc->path, st->line, why);
        pass ? n->passed++ : n->failed++;
        test_observed_fini(&o);
    }
}

static void run_scenario(const char *path, const char *module, TestCounts *n, FILE *out)
{
    TestScenario sc;
    char err[1024];
    fprintf(out, "== %s\n", path);
    if (test_parse_file(path, module, &sc, err, sizeof err) != ST_OK) {
        fprintf(out, "  FAIL %s\n", err);
        n->failed++;
        test_scenario_fini(&sc);
        return;
    }
    TestHarness h;
    if (test_harness_start(&h, sc.module, err, sizeof err) != ST_OK) {
        fprintf(out, "  FAIL %s: %s\n", path, err);
        n->failed++;
    } else {
        run_steps(&sc, &h, n, out);
    }
    test_harness_stop(&h);
    test_scenario_fini(&sc);
}

int cmd_test(int argc, char **argv)
{
    int i = 1;
    const char *record = NULL, *module = NULL;
    if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
        fputs(test_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (i + 1 < argc && strcmp(argv[i], "--record") == 0) {
        record = argv[i + 1];
        i += 2;
    }
    if (i < argc && ends_with(argv[i], ".wasm"))
        module = argv[i++];
    if (record) {
        if (i != argc || !module) {
            fputs(test_usage, stderr);
            return CLI_EXIT_ERROR;
        }
        return test_record(module, record, stdin, stdout);
    }
    if (i == argc) {
        fputs(test_usage, stderr);
        return CLI_EXIT_ERROR;
    }
    LogLevel level = log_get_level();
    log_set_level(LOG_ERROR);     /* the server's warnings are not steps */
    TestCounts n = {0, 0};
    for (; i < argc; i++)
        run_scenario(argv[i], module, &n, stdout);
    log_set_level(level);
    printf("%d passed, %d failed\n", n.passed, n.failed);
    return n.failed ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
