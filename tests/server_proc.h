/*
 * server_proc.h - a real `tinystdb start` in a forked child, for the tests
 * that run the client commands against it (tests/test_client_e2e.c,
 * tests/test_cli_sql.c).
 *
 * The group setup makes a temporary directory, forks a child that runs
 * cmd_start with `--listen 127.0.0.1:0 --data-dir TMP/data` and stdout
 * into a pipe, and reads the kernel-chosen port from the child's first
 * line ("tinystdb: listening on 127.0.0.1:41234, data in DIR").  The
 * teardown stops the child with SIGTERM and removes the directory.
 * Commands run in the test's own process, as main.c would call them, with
 * stdout and stderr captured into files (run_as) and HOME pointing at one
 * of two temporary directories, so two people exist: the owner and a
 * stranger, each with their own token files.
 *
 *   server_proc_start(template)   e.g. "/tmp/tinystdb-e2e-XXXXXX"; 0 or -1
 *   stop_server(state)            a cmocka group teardown
 *   run_as(home, &run, fn, argc, ...)
 *
 * Book: chapter 23, book/23-cli-client.md
 */
#ifndef TINYSTDB_TESTS_SERVER_PROC_H
#define TINYSTDB_TESTS_SERVER_PROC_H

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
#include "util/fs.h"

#define BANK_WASM "examples/bank/bank.wasm"

static char tmpdir[64], owner_home[96], stranger_home[96], server_addr[64];
static pid_t server_pid = -1;

/* ---- the server ------------------------------------------------------------- */

/* Child: run the server with stdout into the pipe, never return. */
static inline void serve(int out_fd, const char *data_dir)
{
    dup2(out_fd, STDOUT_FILENO);
    close(out_fd);
    char *argv[] = {"start", "--listen", "127.0.0.1:0", "--data-dir", (char *)data_dir, NULL};
    _exit(cmd_start(5, argv));
}

/* "tinystdb: listening on 127.0.0.1:41234, data in DIR" -> 41234 */
static inline int read_port(int fd)
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

/* Temporary directory from `template` (mkdtemp's XXXXXX), two HOMEs in it,
 * the server forked and its port in TINYSTDB_SERVER.  0, or -1 on failure
 * (also when BANK_WASM has not been built). */
static inline int server_proc_start(const char *template)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", template);
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

static inline int stop_server(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    fs_remove_tree(tmpdir);
    return 0;
}

/* ---- running a command -------------------------------------------------------- */

typedef struct Run {
    int rc;
    char out[8192], err[8192];
} Run;

/* The contents of fd from its start, into buf (cut to fit). */
static inline void slurp(int fd, char *buf, size_t cap)
{
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
}

/* Run fn(argv) as `home`'s person, capturing stdout and stderr. */
static inline void run_as(const char *home, Run *r, int (*fn)(int, char **), int argc, ...)
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

#endif
