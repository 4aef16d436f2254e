/*
 * loopbench.c - echo round trips through the event loop over loopback.
 *
 * The parent runs a Loop whose on_line echoes each line back.  A forked
 * child opens CONNS connections and keeps exactly one message in flight
 * on each: send a line, wait for its echo, send the next.  That is how the
 * protocol clients of issue 5 behave (a reducer call waits for its
 * answer), so this measures the network layer's share of a calls/s
 * budget: poll, recv, framing, queueing, send, for both sides on a
 * 2-core machine (server and client each get a core).
 *
 * Prints `bench net_echo: X msgs/s` (round trips per second, measured by
 * the client from first send to last reply) and fails if the server did
 * not see exactly as many lines as the client got answers.
 *
 * Usage: loopbench [-c CONNS] [-n TOTAL]   (default 50 connections,
 * 500000 round trips)
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/loop.h"

#define MAX_CONNS 1000
static const char MSG[] = "{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[1,2]\",\"request_id\":7}}\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- server (parent) ------------------------------------------------- */

static long server_lines, server_opened, server_closed;
static int want_conns;

static void srv_open(Conn *c)
{
    (void)c;
    server_opened++;
}

static void srv_line(Conn *c, char *line, size_t len)
{
    server_lines++;
    line[len] = '\n';   /* the NUL replaced the '\n'; put it back and echo */
    conn_send(c, line, len + 1);
}

static void srv_close(Conn *c, const char *reason)
{
    (void)reason;
    if (++server_closed == want_conns)
        loop_stop(conn_loop(c));
}

/* ---- client (child) -------------------------------------------------- */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("loopbench: connect");
        _exit(2);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Drive conns connections until total answers arrived; report through out. */
static void run_client(int port, int conns, long total, int out)
{
    static struct pollfd pfd[MAX_CONNS];
    long sent = 0, answered = 0;
    for (int i = 0; i < conns; i++)
        pfd[i] = (struct pollfd){.fd = connect_to(port), .events = POLLIN};
    double t0 = now();
    for (int i = 0; i < conns && sent < total; i++, sent++)
        if (send(pfd[i].fd, MSG, sizeof MSG - 1, 0) < 0)
            _exit(3);
    while (answered < total) {
        if (poll(pfd, (nfds_t)conns, 5000) <= 0)
            _exit(4);   /* an answer went missing */
        for (int i = 0; i < conns; i++) {
            if (!pfd[i].revents)
                continue;
            char buf[4096];   /* one message in flight: one line per read */
            ssize_t n = recv(pfd[i].fd, buf, sizeof buf, 0);
            if (n <= 0 || buf[n - 1] != '\n')
                _exit(5);
            answered++;
            if (sent < total && send(pfd[i].fd, MSG, sizeof MSG - 1, 0) > 0)
                sent++;
        }
    }
    double secs = now() - t0;
    char line[64];
    int n = snprintf(line, sizeof line, "%ld %.6f\n", answered, secs);
    if (write(out, line, (size_t)n) != n)
        _exit(6);
    for (int i = 0; i < conns; i++)
        close(pfd[i].fd);
    _exit(0);
}

static Loop *start_server(void)
{
    LoopConfig cfg;
    loop_config_default(&cfg);
    cfg.on_open = srv_open;
    cfg.on_line = srv_line;
    cfg.on_close = srv_close;
    char err[LOOP_ERR_LEN];
    Loop *loop = loop_new(&cfg);
    if (!loop || loop_listen(loop, "127.0.0.1:0", err) != ST_OK) {
        fprintf(stderr, "loopbench: %s\n", loop ? err : "out of memory");
        exit(1);
    }
    return loop;
}

/* Collect the child's measurement and check it against the server's count. */
static int report(pid_t child, int fd, Status st, int conns)
{
    int status = 1;
    waitpid(child, &status, 0);
    char line[64] = {0};
    long answered = 0;
    double secs = 0;
    ssize_t n = read(fd, line, sizeof line - 1);
    if (st != ST_OK || n <= 0 || sscanf(line, "%ld %lf", &answered, &secs) != 2 ||
        !WIFEXITED(status) || WEXITSTATUS(status) != 0 || answered != server_lines) {
        fprintf(stderr, "loopbench: failed (client status %d, %ld answers, server saw %ld lines)\n",
                status, answered, server_lines);
        return 1;
    }
    printf("bench net_echo: %.0f msgs/s\n", (double)answered / secs);
    printf("# %d connections, %ld round trips of %zu bytes in %.2f s\n", conns, answered,
           sizeof MSG - 1, secs);
    return 0;
}

int main(int argc, char **argv)
{
    int conns = 50;
    long total = 500000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-c") == 0)
            conns = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-n") == 0)
            total = atol(argv[i + 1]);
    }
    if (conns < 1 || conns > MAX_CONNS || total < conns) {
        fprintf(stderr, "usage: loopbench [-c CONNS (1..%d)] [-n TOTAL >= CONNS]\n", MAX_CONNS);
        return 2;
    }
    want_conns = conns;
    Loop *loop = start_server();
    int pipefd[2];
    if (pipe(pipefd) < 0)
        return 1;
    pid_t child = fork();
    if (child < 0)
        return 1;
    if (child == 0) {
        close(pipefd[0]);
        run_client(loop_port(loop), conns, total, pipefd[1]);
    }
    close(pipefd[1]);
    Status st = loop_run(loop);   /* until every client connection closed */
    loop_free(loop);
    return report(child, pipefd[0], st, conns);
}
