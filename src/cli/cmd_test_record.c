/*
 * cmd_test_record.c - `tinystdb test --record FILE MODULE.wasm`: an
 * interactive session that writes itself down as a scenario.
 *
 *   stdin:  call transfer ["alice","bob",5]
 *           ──test_parse_step──► step ──test_run_step──► observed
 *   stdout: ok                                  (what happened)
 *   FILE:   call transfer ["alice","bob",5]     (the step, with what happened
 *           updates alice                        as its expectation, and the
 *           | + account {"id":2,...}             updates subscribers got)
 *
 * Commands are scenario lines without expectations (as, connect,
 * disconnect, call, sql, subscribe, updates, advance, log, restart,
 * publish) and `quit`.  Every command is appended with the observed
 * outcome as its expectation: success, or `fails exactly "MESSAGE"`,
 * and the rows for sql and subscribe.  After each command, every identity
 * that received updates gets an `updates NAME` step listing them, so a
 * replay checks the subscriptions too.  Replaying FILE therefore passes
 * by construction, as long as the module behaves the same: that is the
 * point of keeping it.
 *
 * Paths (module, publish) are written absolute, so FILE replays from any
 * directory.  Identities in rows are written as ${NAME}.
 *
 * Book: chapter 30, book/30-testing-modules.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/alloc.h"
#include "../util/log.h"
#include "cli.h"
#include "cmd_test.h"

#define ABS_MAX 4096

/* path made absolute against the current directory (not resolved). */
static bool absolute(const char *path, char out[ABS_MAX])
{
    char cwd[ABS_MAX];
    if (path[0] == '/')
        return snprintf(out, ABS_MAX, "%s", path) < ABS_MAX;
    return getcwd(cwd, sizeof cwd) && snprintf(out, ABS_MAX, "%s/%s", cwd, path) < ABS_MAX;
}

/* Write st with o as its expectation; free o. */
static void record_step(TestHarness *h, TestScenario *sc, TestStep *st, TestObserved *o,
                        FILE *file)
{
    test_expect_observed(h, sc, st, o);
    test_write_step(file, st);
    vec_fini(&st->rows);
    test_observed_fini(o);
}

/* An `updates NAME` step for every identity with unread updates. */
static void record_updates(TestHarness *h, TestScenario *sc, FILE *file)
{
    for (size_t i = 0; i < h->conns.len; i++) {
        TestConn *c = h->conns.items[i];
        if (!c->updates.len)
            continue;
        TestStep st = {.kind = TSTEP_UPDATES, .arg = c->name};
        TestObserved o = {.ok = true, .rows = c->updates};
        memset(&c->updates, 0, sizeof c->updates);
        record_step(h, sc, &st, &o, file);
    }
}

/* Tell the person at the keyboard what happened. */
static void show(FILE *out, const TestObserved *o)
{
    fprintf(out, "%s%s%s\n", o->ok ? "ok" : "fails: ", o->ok && o->msg[0] ? "  " : "", o->msg);
    for (size_t i = 0; i < o->rows.len; i++)
        fprintf(out, "| %s\n", o->rows.items[i]);
}

/* One command line: parse, run, show, record.  false: quit. */
static bool record_line(TestHarness *h, TestScenario *sc, char *line, int lineno, FILE *file,
                        FILE *out)
{
    line[strcspn(line, "\r\n")] = '\0';
    const char *s = line + strspn(line, " \t");
    if (strcmp(s, "quit") == 0 || strcmp(s, "exit") == 0)
        return false;
    if (*s == '\0' || *s == '#')
        return true;
    TestStep st;
    char err[512];
    if (test_parse_step(sc, s, lineno, &st, err, sizeof err) != ST_OK || st.kind == TSTEP_MODULE ||
        st.expect != TEXPECT_OK) {
        fprintf(out, "error: %s\n", st.kind == TSTEP_MODULE ? "the module is given on the "
                "command line" : st.expect != TEXPECT_OK ? "no \"=>\" when recording" : err);
        return true;
    }
    char abs[ABS_MAX];
    if (st.kind == TSTEP_PUBLISH && absolute(st.arg, abs))
        st.arg = arena_strndup(&sc->arena, abs, strlen(abs));
    TestObserved o;
    test_run_step(h, &st, &o);
    show(out, &o);
    record_step(h, sc, &st, &o, file);
    record_updates(h, sc, file);
    fflush(file);
    return true;
}

int test_record(const char *module, const char *path, FILE *in, FILE *out)
{
    char abs[ABS_MAX], err[1024];
    if (!absolute(module, abs)) {
        fprintf(stderr, "tinystdb test: %s: path too long\n", module);
        return CLI_EXIT_ERROR;
    }
    FILE *file = fopen(path, "w");
    if (!file) {
        fprintf(stderr, "tinystdb test: cannot write %s\n", path);
        return CLI_EXIT_ERROR;
    }
    fprintf(file, "# recorded by tinystdb test --record\nmodule %s\n", abs);
    TestScenario sc = {.path = ""};
    arena_init(&sc.arena);
    TestHarness h;
    LogLevel level = log_get_level();
    log_set_level(LOG_ERROR);
    int rc = CLI_EXIT_OK;
    if (test_harness_start(&h, abs, err, sizeof err) != ST_OK) {
        fprintf(stderr, "tinystdb test: %s\n", err);
        rc = CLI_EXIT_ERROR;
    } else {
        char *line = NULL;
        size_t cap = 0;
        int lineno = 0;
        fprintf(out, "recording to %s; commands: as, connect, disconnect, call, sql, subscribe, "
                "updates, advance, log, restart, publish, quit\n", path);
        while (getline(&line, &cap, in) >= 0 &&
               record_line(&h, &sc, line, ++lineno, file, out)) {
        }
        free(line);               /* getline's buffer comes from libc */
    }
    test_harness_stop(&h);
    test_scenario_fini(&sc);
    log_set_level(level);
    fclose(file);
    return rc;
}
