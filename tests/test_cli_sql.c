/*
 * test_cli_sql.c - `tinystdb sql` and `tinystdb subscribe` (chapter 28):
 * the psql layout and value formats of client-protocol.md section 10,
 * then both commands against a real server.
 *
 * The server runs in a forked child (`tinystdb start` on port 0) started
 * by tests/server_proc.h, as in tests/test_client_e2e.c; commands run in
 * this process with stdout and stderr captured.  Two HOMEs make two
 * people: the owner of `bank` and a stranger.  `subscribe` runs in a
 * second child while this process calls reducers until the child has
 * printed its update.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_client.h"
#include "cli/cmd_sql.h"
#include "sql/sql.h"
#include "util/alloc.h"

#include "server_proc.h"

/* ---- formats, no server ---------------------------------------------------------- */

static void check_value(const char *type, const char *json, const char *want)
{
    Arena a;
    arena_init(&a);
    JsonValue *v;
    assert_int_equal(json_parse(&a, json, strlen(json), &v, NULL), ST_OK);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(cmd_sql_format_value(&a, type, v, &sb), ST_OK);
    assert_string_equal(sb.data ? sb.data : "", want);
    strbuf_fini(&sb);
    arena_fini(&a);
}

static void test_values(void **state)
{
    (void)state;
    check_value("String", "\"Bob\"", "\"Bob\"");
    check_value("String", "\"say \\\"hi\\\"\"", "\"say \"hi\"\"");   /* not escaped */
    check_value("u64", "18446744073709551615", "18446744073709551615");
    check_value("bool", "true", "true");
    check_value("f32", "594806.56", "594806.56");
    check_value("f64", "1.0", "1");
    check_value("f64", "1e-7", "0.0000001");
    check_value("Array<u8>", "\"0102ff\"", "0x0102ff");
    check_value("Array<i32>", "[1,-2]", "[1, -2]");
    check_value("Identity", "{\"__identity__\":\"0xc2001a\"}",
                "0x0000000000000000000000000000000000000000000000000000000000c2001a");
    check_value("ConnectionId", "{\"__connection_id__\":255}", "0x000000000000000000000000000000ff");
    check_value("Timestamp", "{\"__timestamp_micros_since_unix_epoch__\":0}",
                "1970-01-01T00:00:00+00:00");
    check_value("Timestamp", "{\"__timestamp_micros_since_unix_epoch__\":1739202330123000}",
                "2025-02-10T15:45:30.123+00:00");
    check_value("Timestamp", "{\"__timestamp_micros_since_unix_epoch__\":1739202330123456}",
                "2025-02-10T15:45:30.123456+00:00");
    check_value("TimeDuration", "{\"__time_duration_micros__\":0}", "+0.000000");
    check_value("Option<bool>", "[0,true]", "(some = true)");
    check_value("Option<String>", "[1,[]]", "(none = ())");
    check_value("(a: u8, b: u8)", "{\"a\":1,\"b\":2}", "(a = 1, b = 2)");
    check_value("(ok: bool | err: String)", "[0,false]", "(ok = false)");
    check_value("(Active: () | Banned: String)", "[0,[]]", "(Active = ())");
    check_value(NULL, "\"x\"", "\"x\"");
}

static void test_table_layout(void **state)
{
    (void)state;
    const char *headers[] = { "id", "name" };
    const char *cells[] = { "1", "\"Alice\"", "2", "\"Bob\"" };
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(sql_format_grid(headers, 2, cells, 2, &sb), ST_OK);
    assert_string_equal(sb.data, " id | name    \n"
                                 "----+---------\n"
                                 " 1  | \"Alice\" \n"
                                 " 2  | \"Bob\"   \n");
    strbuf_clear(&sb);
    const char *h1[] = { "name" };
    assert_int_equal(sql_format_grid(h1, 1, NULL, 0, &sb), ST_OK);
    assert_string_equal(sb.data, " name \n------\n");
    strbuf_clear(&sb);
    assert_int_equal(sql_format_grid(NULL, 0, NULL, 0, &sb), ST_OK);   /* DML */
    assert_string_equal(sb.data, "\n");
    strbuf_fini(&sb);
}

/* ---- the server: tests/server_proc.h -------------------------------------------- */

static int start_server(void **state)
{
    (void)state;
    return server_proc_start("/tmp/tinystdb-sql-XXXXXX");
}

/* ---- sql ---------------------------------------------------------------------------- */

static void test_sql(void **state)
{
    (void)state;
    Run r;
    run_as(owner_home, &r, cmd_publish, 4, "publish", "bank", "--wasm", BANK_WASM);
    assert_int_equal(r.rc, 0);
    run_as(stranger_home, &r, cmd_call, 5, "call", "bank", "open_account", "Alice", "100");
    assert_int_equal(r.rc, 0);

    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank", "SELECT * FROM account");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, " id | owner   | balance \n"
                               "----+---------+---------\n"
                               " 1  | \"bank\"  | 1000000 \n"
                               " 2  | \"Alice\" | 100     \n");
    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank",
           "SELECT owner AS name FROM account WHERE balance < 1000");
    assert_string_equal(r.out, " name    \n---------\n \"Alice\" \n");
    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank", "SELECT COUNT(*) AS n FROM account");
    assert_string_equal(r.out, " n \n---\n 2 \n");
    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank", "SELECT owner FROM account WHERE id = 9");
    assert_string_equal(r.out, " owner \n-------\n");   /* no rows: the header */

    /* the private table: the owner sees it, the stranger gets "no such table" */
    run_as(owner_home, &r, cmd_sql, 3, "sql", "bank", "SELECT * FROM transfer");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, " id | sender | recipient | amount | at \n"
                               "----+--------+-----------+--------+----\n");
    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank", "SELECT * FROM transfer");
    assert_int_equal(r.rc, 1);
    assert_string_equal(r.err, "Error: no such table: `transfer`. If the table exists, it may "
                               "be marked private.\n");

    /* DML: the owner's prints one empty line, a stranger's is refused */
    run_as(owner_home, &r, cmd_sql, 3, "sql", "bank",
           "UPDATE account SET balance = 5 WHERE owner = 'Alice'");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "\n");
    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank", "DELETE FROM account");
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "is not authorized to run SQL DML statements"));
    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank", "SELECT balance FROM account WHERE id = 2");
    assert_string_equal(r.out, " balance \n---------\n 5       \n");
}

/* ---- sql --explain ----------------------------------------------------------------- */

static void test_sql_explain(void **state)
{
    (void)state;
    Run r;   /* bank is published by test_sql */
    run_as(stranger_home, &r, cmd_sql, 4, "sql", "bank", "--explain",
           "SELECT owner FROM account WHERE id >= 2 AND owner <> 'x'");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "Select 1 columns\n"
                               "Index Range Scan on account using account_id_idx_btree: id >= 2\n"
                               "Filter: id >= 2 AND owner <> 'x'\n");
    /* typing EXPLAIN is the same request; the table is as it was */
    run_as(owner_home, &r, cmd_sql, 3, "sql", "bank", "explain DELETE FROM account");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "Delete from account\nSeq Scan on account\n");
    run_as(owner_home, &r, cmd_sql, 4, "sql", "bank", "EXPLAIN SELECT * FROM transfer", "--explain");
    assert_string_equal(r.out, "Select transfer.*\nSeq Scan on transfer\n");
    run_as(stranger_home, &r, cmd_sql, 3, "sql", "bank", "SELECT COUNT(*) AS n FROM account");
    assert_string_equal(r.out, " n \n---\n 2 \n");
    /* the caller's rights, as for a query */
    run_as(stranger_home, &r, cmd_sql, 4, "sql", "bank", "--explain", "SELECT * FROM transfer");
    assert_int_equal(r.rc, 1);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "Error: no such table: `transfer`. If the table exists, it may "
                               "be marked private.\n");
}

/* ---- subscribe ---------------------------------------------------------------------- */

static void test_subscribe(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/sub-out", tmpdir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {   /* the watcher */
        FILE *f = freopen(path, "w", stdout);
        setenv("HOME", stranger_home, 1);
        char *argv[] = { "subscribe", "bank", "SELECT * FROM account WHERE balance = 7",
                         "-n", "1", "-t", "20", NULL };
        _exit(f ? cmd_subscribe(7, argv) : 3);
    }
    assert_true(pid > 0);
    /* open accounts until the watcher has seen one (it may subscribe late) */
    int status = -1;
    Run r;
    for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "w%d", i);
        run_as(owner_home, &r, cmd_call, 5, "call", "bank", "open_account", name, "7");
        assert_int_equal(r.rc, 0);
        run_as(owner_home, &r, cmd_call, 5, "call", "bank", "open_account", "nope", "8");
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (status == -1)
        waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char buf[1024] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    /* exactly one matching row; the balance 8 account never shows */
    assert_non_null(strstr(buf, "{\"account\":{\"deletes\":[],\"inserts\":[{\"id\":"));
    assert_non_null(strstr(buf, ",\"balance\":7}]}}\n"));

    /* -t: nothing comes, it stops and says so */
    run_as(stranger_home, &r, cmd_subscribe, 5, "subscribe", "bank", "SELECT * FROM account",
           "-t", "1");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "timed out after 1s\n");
    run_as(stranger_home, &r, cmd_subscribe, 5, "subscribe", "bank", "SELECT * FROM transfer",
           "-t", "1");
    assert_int_equal(r.rc, 1);
    assert_string_equal(r.err, "Error: encountered failed transaction: no such table: "
                               "`transfer`. If the table exists, it may be marked private., "
                               "executing: `SELECT * FROM transfer`\n");
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_table_layout),
    };
    const struct CMUnitTest e2e[] = {
        cmocka_unit_test(test_sql),
        cmocka_unit_test(test_sql_explain),
        cmocka_unit_test(test_subscribe),
    };
    int fails = cmocka_run_group_tests(unit, NULL, NULL);
    return fails + cmocka_run_group_tests(e2e, start_server, stop_server);
}
