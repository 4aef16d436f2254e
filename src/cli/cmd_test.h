/*
 * cmd_test.h - `tinystdb test`: scenarios run against the real server,
 * in-process, with no network and a clock that moves only when told.
 *
 *   scenario file ─cmd_test_parse.c─► TestScenario (a list of TestSteps)
 *   TestStep ─cmd_test_run.c─► requests on a client's socketpair end
 *       ─cmd_test_harness.c─► server_run_once(...) until the replies come
 *   TestObserved ─compare─► "ok" / "FAIL FILE:LINE: expected ..., got ..."
 *
 * A step has two halves: what to do (kind, arg, args, ms) and what to
 * expect (expect, text, count, rows).  Checking compares the expectation
 * with a TestObserved; recording (cmd_test_record.c) runs the step and
 * writes it back with the observed outcome as its expectation, so a
 * recorded file replays green by construction.
 *
 * Rows are SATS-JSON texts (what `tinystdb sql --json`, subscriptions and
 * reducer updates carry), kept canonical: parsed and re-written compact,
 * so `{"id": 1}` and `{"id":1}` are the same row.  Update rows are
 * "+ TABLE ROW" (insert) or "- TABLE ROW" (delete).  Rows compare as
 * multisets: order never matters (tinystdb's SQL has no ORDER BY).
 *
 * Determinism: identities, tokens and connection ids come from a PRNG
 * seeded per scenario (identity_set_random_seed); the clock starts at
 * TEST_START_US and moves only by `advance`; nothing printed depends on
 * real time.  Same scenario, same output, byte for byte.
 *
 * Book: chapter 30, book/30-testing-modules.md
 */
#ifndef TINYSTDB_CLI_CMD_TEST_H
#define TINYSTDB_CLI_CMD_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../net/identity.h"
#include "../net/proto.h"
#include "../net/server.h"
#include "../sched/clock.h"
#include "../util/arena.h"
#include "../util/status.h"
#include "../util/vec.h"

#define TEST_START_US INT64_C(1735689600000000)   /* 2025-01-01T00:00:00Z */
#define TEST_SEED UINT64_C(0x7e57)                /* per scenario: same ids every run */
#define TEST_DATABASE "test"                      /* the database a scenario runs in */
#define TEST_OWNER "owner"                        /* the identity that publishes it */
#define TEST_MAX_NAME 32                          /* identity names */
#define TEST_MAX_LINE 65536                       /* scenario line length */
#define TEST_MAX_TURNS 10000                      /* server turns one wait may take */

typedef enum TestStepKind {
    TSTEP_MODULE,        /* module PATH (before any other step) */
    TSTEP_AS,            /* as NAME */
    TSTEP_CONNECT,       /* connect [NAME] */
    TSTEP_DISCONNECT,    /* disconnect [NAME] */
    TSTEP_CALL,          /* call REDUCER [ARGS] */
    TSTEP_SQL,           /* sql QUERY */
    TSTEP_SUBSCRIBE,     /* subscribe QUERY */
    TSTEP_UPDATES,       /* updates [NAME] */
    TSTEP_ADVANCE,       /* advance DURATION */
    TSTEP_LOG,           /* log "TEXT" */
    TSTEP_RESTART,       /* restart */
    TSTEP_PUBLISH,       /* publish PATH */
} TestStepKind;

typedef enum TestExpect {
    TEXPECT_OK,          /* nothing written, or "=> ok" */
    TEXPECT_FAIL,        /* => fails "SUBSTRING" */
    TEXPECT_FAIL_EXACT,  /* => fails exactly "TEXT" */
    TEXPECT_COUNT,       /* => N rows (sql, subscribe) */
} TestExpect;

typedef VEC(char *) TestRows;

typedef struct TestStep {
    TestStepKind kind;
    int line;                /* 1-based line in the scenario file */
    const char *arg;         /* name, reducer, query, path, log text (NULL: none) */
    const char *args;        /* call: the JSON argument text ("[]" when none) */
    const char *path;        /* publish: arg resolved (NULL: use arg as it is) */
    uint64_t ms;             /* advance */
    TestExpect expect;
    const char *text;        /* FAIL, FAIL_EXACT: the message */
    uint64_t count;          /* COUNT */
    TestRows rows;           /* the "| ..." lines after the step, canonical */
} TestStep;

typedef struct TestScenario {
    const char *path;        /* as given */
    const char *module;      /* from `module` or the command line, resolved */
    VEC(TestStep) steps;
    Arena arena;             /* every string above */
} TestScenario;

/* What a step saw: success or a failure message, rows, a count. */
typedef struct TestObserved {
    bool ok;
    char msg[1024];          /* the failure message, or a note */
    TestRows rows;           /* canonical, mem_strdup'd (test_observed_fini) */
} TestObserved;

void test_observed_fini(TestObserved *o);

/* ---- cmd_test_parse.c ---------------------------------------------------- */

/* Parse one scenario file.  `module` (may be NULL) is the command line's
 * module, overridden by a `module` line.  A syntax error is ST_INVALID
 * with "FILE:LINE: what is wrong" in err. */
Status test_parse_file(const char *path, const char *module, TestScenario *out, char *err,
                       size_t errlen);
/* Parse one line into a step (no "|" rows); record mode uses it. */
Status test_parse_step(TestScenario *sc, const char *line, int lineno, TestStep *out, char *err,
                       size_t errlen);
/* Canonical JSON of text (ST_MALFORMED with the reason in err). */
Status test_canon_json(const char *text, size_t len, StrBuf *out, char *err, size_t errlen);
void test_scenario_fini(TestScenario *sc);
/* ${SHARED} expanded, else relative to the scenario's directory. */
const char *test_resolve_path(TestScenario *sc, const char *path);
/* Write step back as scenario text (its expectation and rows included). */
void test_write_step(FILE *out, const TestStep *step);

/* ---- cmd_test_harness.c -------------------------------------------------- */

/* One scenario identity and its connection (harness end of a socketpair). */
typedef struct TestConn {
    char name[TEST_MAX_NAME + 1];
    char token[IDENTITY_TOKEN_LEN + 1];   /* "" until the server mints one */
    Identity identity;
    ConnectionId conn_id;
    int fd;                  /* -1: not connected */
    bool bound;              /* connected to the database (lifecycle ran) */
    StrBuf in;               /* bytes not yet split into lines */
    TestRows lines;          /* reply lines not yet consumed */
    TestRows updates;        /* "+ table row" lines since the last `updates` */
    uint32_t next_id;        /* request ids, query ids */
} TestConn;

typedef struct TestHarness {
    Server *srv;
    ServerConfig cfg;
    Clock clock;
    char dir[256];           /* the temporary data directory */
    VEC(TestConn *) conns;
    TestConn *admin;         /* a short-lived extra connection, or NULL */
    TestConn *current;       /* `as` */
    size_t log_seen;         /* module log lines consumed by `log` */
} TestHarness;

/* A server on a fresh temporary directory, the module published as
 * TEST_DATABASE by TEST_OWNER.  err gets the reason on failure. */
Status test_harness_start(TestHarness *h, const char *module, char *err, size_t errlen);
void test_harness_stop(TestHarness *h);
/* The identity called name, created (unconnected) on first use. */
TestConn *test_harness_conn(TestHarness *h, const char *name);
/* Connect c (to the database when bind); o->ok false with the reason. */
void test_harness_open(TestHarness *h, TestConn *c, bool bind, TestObserved *o);
void test_harness_close(TestHarness *h, TestConn *c);
/* Send req on c (a bound connection is opened first if needed). */
Status test_harness_send(TestHarness *h, TestConn *c, const ProtoRequest *req, char *err,
                         size_t errlen);
/* Wait for the first line of c accepted by `want` (or an error line);
 * it is removed from c's queue and decoded into rep (arena a). */
typedef bool TestWantFn(const ProtoReply *rep, const void *ctx);
Status test_harness_wait(TestHarness *h, TestConn *c, TestWantFn *want, const void *ctx,
                         Arena *a, ProtoReply *rep, char *err, size_t errlen);
/* Turn the server until no client receives anything more, then drop
 * the reply lines no step took (their update rows stay filed). */
void test_harness_settle(TestHarness *h);
/* server_free + server_new on the same directory; every client is gone. */
Status test_harness_restart(TestHarness *h, char *err, size_t errlen);
/* Send Publish of the file at path as c (an admin connection). */
void test_harness_publish(TestHarness *h, TestConn *c, const char *path, TestObserved *o);
/* The module log's messages, one per item (owner's GetLogs). */
Status test_harness_logs(TestHarness *h, TestRows *out, char *err, size_t errlen);
/* Replace each ${NAME} of a known identity by its SATS-JSON, or in SQL
 * (sql true) by its hex literal 0x... */
Status test_harness_expand(TestHarness *h, const char *text, bool sql, StrBuf *out, char *err,
                           size_t errlen);
/* The reverse, for recorded rows: known identities become ${NAME}. */
void test_harness_unexpand(TestHarness *h, StrBuf *text);

/* ---- cmd_test_run.c ------------------------------------------------------ */

/* Run step and fill o with what happened. */
void test_run_step(TestHarness *h, const TestStep *step, TestObserved *o);
/* Does o meet step's expectation?  If not, why in why. */
bool test_check_step(TestHarness *h, const TestStep *step, const TestObserved *o, char *why,
                     size_t whylen);
/* Record: copy o into step's expectation (strings into sc's arena). */
void test_expect_observed(TestHarness *h, TestScenario *sc, TestStep *step,
                          const TestObserved *o);

/* ---- cmd_test.c / cmd_test_record.c -------------------------------------- */

/* `tinystdb test [MODULE.wasm] SCENARIO...` and `--record FILE`. */
int cmd_test(int argc, char **argv);
/* The REPL: read commands from in, append them to path with expectations. */
int test_record(const char *module, const char *path, FILE *in, FILE *out);

#endif
