/*
 * test_client_e2e.c - the client commands against a real server.
 *
 * The group setup forks a child that runs `tinystdb start --listen
 * 127.0.0.1:0 --data-dir TMP` (cmd_start, in the child process) and reads
 * the port from its first line; the teardown stops it with SIGTERM.  The
 * commands run in this process, as main.c would call them, with stdout
 * and stderr captured into files, and HOME pointing at a temporary
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


#define BANK_WASM "examples/bank/bank.wasm"

static char tmpdir[64], owner_home[96], stranger_home[96], server_addr[64];
static pid_t server_pid = -1;

/* ---- the server ------------------------------------------------------------- */

/* Child: run the server with stdout into the pipe, never return. */
static void serve(int out_fd, const char *data_dir)
{
    dup2(out_fd, STDOUT_FILENO);
    close(out_fd);
    char *argv[] = {"start", "--listen", "127.0.0.1:0", "--data-dir", (char *)data_dir, NULL};
    _exit(cmd_start(5, argv));
}

/* "tinystdb: listening on 127.0.0.1:41234, data in DIR" -> 41234 */
static int read_port(int fd)
{
    char buf[512];
    size_t n = 0;
    while (n < sizeof buf - 1 && !memchr(buf, '\n', n)) {
        ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
        if (k <= 0)
            return -1;
        n += (size_t)k;
    }
    buf[n] = '\0';
    const char *p = strstr(buf, "listening on 127.0.0.1:");
    return p ? atoi(p + strlen("listening on 127.0.0.1:")) : -1;
}

static int start_server(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/tinystdb-e2e-XXXXXX");
    if (!mkdtemp(tmpdir) || access(BANK_WASM, R_OK) != 0)
        return -1;
    snprintf(owner_home, sizeof owner_home, "%s/owner", tmpdir);
    snprintf(stranger_home, sizeof stranger_home, "%s/stranger", tmpdir);
    char data[96];
    snprintf(data, sizeof data, "%s/data", tmpdir);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    server_pid = fork();
    if (server_pid == 0)
        serve(fds[1], data);
    close(fds[1]);
    int port = server_pid > 0 ? read_port(fds[0]) : -1;
    close(fds[0]);   /* the server's later stdout lines go nowhere */
    if (port <= 0)
        return -1;
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", port);
    setenv("TINYSTDB_SERVER", server_addr, 1);
    unsetenv("XDG_CONFIG_HOME");
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- running a command -------------------------------------------------------- */

typedef struct Run {
    int rc;
    char out[8192], err[8192];
} Run;

/* The contents of fd from its start, into buf (cut to fit). */
static void slurp(int fd, char *buf, size_t cap)
{
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
}

/* Run fn(argv) as `home`'s person, capturing stdout and stderr. */
static void run_as(const char *home, Run *r, int (*fn)(int, char **), int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    setenv("HOME", home, 1);
    char out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/out-XXXXXX", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/err-XXXXXX", tmpdir);
    int out = mkstemp(out_path), err = mkstemp(err_path);
    assert_true(out >= 0 && err >= 0);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    r->rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
    close(out);
    close(err);
    unlink(out_path);
    unlink(err_path);
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
    run_as(stranger_home, &r, cmd_describe, 3, "describe", "--wasm", BANK_WASM);
    assert_int_equal(r.rc, 0);   /* the offline form still works */
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
