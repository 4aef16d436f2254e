/*
 * test_client_e2e.c - the client commands against a real server.
 *
 * tests/server_proc.h holds the harness.  The group setup forks a child
 * that runs `tinystdb start --listen 127.0.0.1:0 --data-dir TMP`
 * (cmd_start, in the child process) and reads the port from its first
 * line; the teardown stops it with SIGTERM.  The commands run in this
 * process, as main.c would call them, with stdout and stderr captured
 * into files, and HOME pointing at a temporary
 * directory so the token files are the test's own.  Two HOMEs make two
 * people: the owner of `bank`, and a stranger.
 *
 * The walk: publish examples/bank/bank.wasm, call reducers (one that
 * succeeds, one whose Err must reach us, an unknown one), read the logs,
 * describe, let the stranger try to delete, delete as the owner.
 *
 * Book: chapter 23, book/23-cli-client.md
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
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_client.h"
#include "util/alloc.h"

#include "server_proc.h"

/* ---- the server: tests/server_proc.h -------------------------------------------- */

static int start_server(void **state)
{
    (void)state;
    return server_proc_start("/tmp/tinystdb-e2e-XXXXXX");
}

/* ---- the walk ------------------------------------------------------------------- */

static void test_publish_and_call(void **state)
{
    (void)state;
    Run r;
    run_as(owner_home, &r, cmd_publish, 4, "publish", "bank", "--wasm", BANK_WASM);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "Publishing module...\n"));
    assert_non_null(strstr(r.out, "Created new database with name: bank, identity: c200"));

    char token_file[256];
    struct stat sb;
    snprintf(token_file, sizeof token_file, "%s/.config/tinystdb/token-127.0.0.1_%s",
             owner_home, strchr(server_addr, ':') + 1);
    assert_int_equal(stat(token_file, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* the same person (same token) may publish again: an update */
    run_as(owner_home, &r, cmd_publish, 4, "publish", "bank", "-b", BANK_WASM);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "Updated database with name: bank"));

    run_as(owner_home, &r, cmd_call, 5, "call", "bank", "open_account", "alice", "100");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "");   /* success is silent */
    run_as(stranger_home, &r, cmd_call, 5, "call", "bank", "open_account", "\"bob\"", "5");
    assert_int_equal(r.rc, 0);   /* anyone may call */

    run_as(owner_home, &r, cmd_call, 6, "call", "bank", "transfer", "alice", "bob", "1000");
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "Error: reducer transfer failed: insufficient funds"));
    assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));   /* one line */

    run_as(owner_home, &r, cmd_call, 3, "call", "bank", "no_such_reducer");
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "no such reducer"));

    run_as(owner_home, &r, cmd_call, 3, "call", "nobank", "x");
    assert_int_equal(r.rc, 1);
    assert_string_equal(r.err, "Error: Could not resolve database `nobank`\n");
}

static void test_logs_and_describe(void **state)
{
    (void)state;
    Run r;
    run_as(owner_home, &r, cmd_logs, 2, "logs", "bank");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "Z  INFO: init "));    /* time, then the level */
    assert_non_null(strstr(r.out, "Z ERROR: transfer: insufficient funds"));
    run_as(owner_home, &r, cmd_logs, 4, "logs", "bank", "-n", "1");
    assert_int_equal(r.rc, 0);
    assert_non_null(strchr(r.out, '\n'));
    assert_null(strchr(strchr(r.out, '\n') + 1, '\n'));   /* exactly one line */
    run_as(stranger_home, &r, cmd_logs, 2, "logs", "bank");
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "not authorized"));

    run_as(stranger_home, &r, cmd_describe, 3, "describe", "bank", "--json");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\n      \"name\": \"account\",\n"));
    run_as(stranger_home, &r, cmd_describe, 2, "describe", "bank");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "  2 transfer(sender: String, recipient: String, amount: u64)\n"));
    char *remote = mem_strdup(r.out);
    run_as(stranger_home, &r, cmd_describe, 3, "describe", "--wasm", BANK_WASM);
    assert_int_equal(r.rc, 0);   /* the offline form prints exactly the same */
    assert_string_equal(r.out, remote);
    mem_free(remote);
}

static void test_delete(void **state)
{
    (void)state;
    Run r;
    run_as(stranger_home, &r, cmd_delete, 2, "delete", "bank");
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "not authorized to perform action on database bank"));
    run_as(owner_home, &r, cmd_delete, 2, "delete", "bank");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "");
    run_as(owner_home, &r, cmd_describe, 2, "describe", "bank");
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "Could not resolve database `bank`"));
}

static void test_unreachable(void **state)
{
    (void)state;
    Run r;
    run_as(owner_home, &r, cmd_delete, 4, "delete", "bank", "--server", "127.0.0.1:1");
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "Error: cannot connect to 127.0.0.1:1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_and_call),
        cmocka_unit_test(test_logs_and_describe),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
