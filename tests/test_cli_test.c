/*
 * test_cli_test.c - `tinystdb test`, the scenario harness (chapter 30):
 * every example's scenarios pass (and those of the test modules: RLS,
 * connection refusals, republishing), the Rust module's scenario passes
 * (SKIPPED without ../shared), deliberate failures are reported with
 * FILE:LINE and exit status 1, a syntax error names its line, two runs
 * print the same bytes, and a recorded session replays green.
 *
 * cmd_test runs in this process with stdout captured (run_as from
 * tests/server_proc.h; no server process is needed: the harness runs the
 * server in-process).
 *
 * Book: chapter 30, book/30-testing-modules.md
 */
#include "server_proc.h"

#include <glob.h>
#include <stdbool.h>

#include "cli/cmd_test.h"


static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tinystdb-clitest-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static void run_scenarios(Run *r, const char *a, const char *b)
{
    if (b)
        run_as(tmpdir, r, cmd_test, 3, "test", a, b);
    else
        run_as(tmpdir, r, cmd_test, 2, "test", a);
}

/* The scenario passed: exit 0, no FAIL, a summary with 0 failed. */
static void expect_pass(const char *path)
{
    Run r;
    run_scenarios(&r, path, NULL);
    if (r.rc != 0 || strstr(r.out, "FAIL") || !strstr(r.out, " passed, 0 failed\n"))
        fail_msg("%s did not pass (rc %d):\n%s", path, r.rc, r.out);
}

/* Every scenario under examples/NAME/tests (a new one is picked up by itself),
 * and every example directory has at least one. */
static void test_examples_pass(void **state)
{
    (void)state;
    glob_t g, dirs;
    assert_int_equal(glob("examples/*/tests/*.scenario", 0, NULL, &g), 0);
    assert_int_equal(glob("examples/*/*.c", 0, NULL, &dirs), 0);
    for (size_t i = 0; i < dirs.gl_pathc; i++) {
        char dir[256];
        snprintf(dir, sizeof dir, "%s", dirs.gl_pathv[i]);
        *strrchr(dir, '/') = '\0';
        bool found = strcmp(dir, "examples/wasm") == 0;   /* plain wasm, not modules */
        for (size_t j = 0; j < g.gl_pathc && !found; j++)
            found = strncmp(g.gl_pathv[j], dir, strlen(dir)) == 0;
        if (!found)
            fail_msg("%s has no tests/*.scenario", dir);
    }
    for (size_t i = 0; i < g.gl_pathc; i++)
        expect_pass(g.gl_pathv[i]);
    globfree(&g);
    globfree(&dirs);
    /* the test modules' scenarios; fail_* fail on purpose, rust_game below */
    assert_int_equal(glob("tests/scenarios/*.scenario", 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++)
        if (!strstr(g.gl_pathv[i], "/fail_") && !strstr(g.gl_pathv[i], "/rust_game."))
            expect_pass(g.gl_pathv[i]);
    globfree(&g);
}

static void test_rust_module(void **state)
{
    (void)state;
    const char *env = getenv("TINYSTDB_SHARED");
    char path[512];
    snprintf(path, sizeof path, "%s/modules/rust-1.1.2-metasiberia-game.wasm",
             env && *env ? env : "../shared");
    if (access(path, R_OK) != 0) {
        print_message("SKIPPED: no %s (set TINYSTDB_SHARED)\n", path);
        skip();
    }
    expect_pass("tests/scenarios/rust_game.scenario");
}

static void test_failures_reported(void **state)
{
    (void)state;
    Run r;
    run_scenarios(&r, "tests/scenarios/fail_expect.scenario", NULL);
    assert_int_equal(r.rc, CLI_EXIT_ERROR);
    static const char *const reports[] = {
        "fail_expect.scenario:5: expected success, got failure \"alice already has an account\"",
        "fail_expect.scenario:6: expected failure containing \"insufficient\", got success",
        "fail_expect.scenario:7: expected failure exactly \"insufficient\", got failure "
        "\"insufficient funds: alice has 9, needs 99\"",
        "fail_expect.scenario:8: expected 2 row(s), got 2:",
        "missing:    {\"owner\":\"zoe\"}",
        "unexpected: {\"owner\":\"alice\"}",
        "fail_expect.scenario:11: expected 5 rows, got 2",
        "fail_expect.scenario:12: expected success, got failure \"no log line containing",
        "fail_expect.scenario:13: expected success, got failure \"no such table: `nowhere`",
        "fail_expect.scenario:14: expected success, got failure \"not connected\"",
        "\n2 passed, 8 failed\n",
    };
    for (size_t i = 0; i < sizeof reports / sizeof *reports; i++)
        if (!strstr(r.out, reports[i]))
            fail_msg("missing \"%s\" in:\n%s", reports[i], r.out);
}

static void test_parse_error_names_line(void **state)
{
    (void)state;
    Run r;
    run_scenarios(&r, "tests/scenarios/fail_parse.scenario", "examples/bank/tests/bank.scenario");
    assert_int_equal(r.rc, CLI_EXIT_ERROR);
    assert_non_null(strstr(r.out, "fail_parse.scenario:4: unknown command \"cal\""));
    assert_non_null(strstr(r.out, "1 failed\n"));   /* the other scenario still ran */
    assert_null(strstr(r.out, "bank.scenario:"));
}

static void test_deterministic(void **state)
{
    (void)state;
    static Run a, b;
    run_scenarios(&a, "examples/quickstart-chat/tests/chat.scenario", NULL);
    run_scenarios(&b, "examples/quickstart-chat/tests/chat.scenario", NULL);
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.out, b.out);
    /* the identities in the rows are the same on every run, too */
    run_scenarios(&a, "tests/scenarios/fail_expect.scenario", NULL);
    run_scenarios(&b, "tests/scenarios/fail_expect.scenario", NULL);
    assert_string_equal(a.out, b.out);
}

static void test_record_replays(void **state)
{
    (void)state;
    static const char session[] =
        "as alice\n"
        "call open_account [\"alice\", 10]\n"
        "call open_account [\"alice\", 10]\n"
        "subscribe SELECT * FROM account\n"
        "as bob\n"
        "call open_account [\"bob\", 3]\n"
        "sql SELECT owner, balance FROM account\n"
        "advance 2s\n"
        "restart\n"
        "cal typo\n"
        "quit\n";
    char path[128];
    snprintf(path, sizeof path, "%s/recorded.scenario", tmpdir);
    FILE *in = fmemopen((void *)session, strlen(session), "r");
    FILE *out = fopen("/dev/null", "w");
    assert_non_null(in);
    assert_non_null(out);
    assert_int_equal(test_record("examples/bank/bank.wasm", path, in, out), 0);
    fclose(in);
    fclose(out);
    char text[4096];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "=> fails exactly \"alice already has an account\""));
    assert_non_null(strstr(text, "updates alice\n| + account {\"id\":4,\"owner\":\"bob\""));
    assert_non_null(strstr(text, "| {\"owner\":\"bob\",\"balance\":3}\n"));
    assert_null(strstr(text, "cal typo"));
    expect_pass(path);
}

static void test_usage(void **state)
{
    (void)state;
    Run r;
    run_as(tmpdir, &r, cmd_test, 1, "test");
    assert_int_equal(r.rc, CLI_EXIT_ERROR);
    run_scenarios(&r, "tests/scenarios/no-such.scenario", NULL);
    assert_int_equal(r.rc, CLI_EXIT_ERROR);
    assert_non_null(strstr(r.out, "no-such.scenario: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_pass),
        cmocka_unit_test(test_rust_module),
        cmocka_unit_test(test_failures_reported),
        cmocka_unit_test(test_parse_error_names_line),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_record_replays),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, stop_server);
}
