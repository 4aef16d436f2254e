/*
 * loop_util.h - the test harness shared by tests/test_loop.c and
 * tests/test_loop_life.c: an application for the loop (App) and
 * non-blocking clients driven from the same thread.
 *
 * Each test starts a Loop on 127.0.0.1 with port 0 (the kernel picks a
 * free port), then plays the clients itself: client sockets are
 * non-blocking, and every wait for a client-side event runs
 * loop_run_once() in between, so server and clients take turns and no
 * test sleeps.  Every wait has a deadline (WAIT_MS) and fails rather than
 * hangs.  After each iteration loop_check() verifies the invariants and the
 * harness records the peak of loop_memory() (bytes in connection buffers),
 * which is how the memory bounds are checked.
 *
 * The application (App) echoes each line back; a few lines are commands:
 * "close" (reply "bye", then conn_close), "stop" (loop_stop), "flood" (on
 * every tick, push 16 KiB chunks to this client until conn_send refuses),
 * "big" (reply 16 KiB).
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#ifndef TINYSTDB_TESTS_LOOP_UTIL_H
#define TINYSTDB_TESTS_LOOP_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/loop.h"
#include "util/alloc.h"
#include "util/log.h"

#define WAIT_MS 5000
#define CHUNK 16384

/* ---- the application under test -------------------------------------- */

typedef struct App {
    Loop *loop;
    int opens, lines, closes, ticks;
    Conn *conns[16];            /* by open order, NULL once closed */
    char reasons[16][128];      /* close reason, by open order */
    size_t last_len;            /* length of the last line delivered */
    Conn *flood;                /* push target of "flood" */
    Status flood_status;
    size_t flood_sent;
    size_t max_mem, max_queued;
    int timer_ms, stop_after_ticks;
    long mem_base;              /* mem_live() when the test started */
} App;

static App app;
static char chunk[CHUNK];

static inline int slot_of(Conn *c)
{
    return (int)(uintptr_t)conn_user(c);
}

static void on_open(Conn *c)
{
    assert_true(app.opens < 16);
    conn_set_user(c, (void *)(uintptr_t)app.opens);
    app.conns[app.opens++] = c;
}

static void on_line(Conn *c, char *line, size_t len)
{
    assert_int_equal(line[len], '\0');
    app.lines++;
    app.last_len = len;
    if (strcmp(line, "close") == 0) {
        assert_int_equal(conn_send(c, "bye\n", 4), ST_OK);
        conn_close(c);
        assert_int_equal(conn_send(c, "late\n", 5), ST_IO);   /* closing: refused */
    } else if (strcmp(line, "stop") == 0) {
        loop_stop(conn_loop(c));
    } else if (strcmp(line, "flood") == 0) {
        app.flood = c;
    } else if (strcmp(line, "big") == 0) {
        assert_int_equal(conn_send(c, chunk, CHUNK), ST_OK);
    } else {
        assert_int_equal(conn_send(c, line, len), ST_OK);
        assert_int_equal(conn_send(c, "\n", 1), ST_OK);
    }
}

static void on_close(Conn *c, const char *reason)
{
    int slot = slot_of(c);
    assert_ptr_equal(app.conns[slot], c);
    app.conns[slot] = NULL;
    snprintf(app.reasons[slot], sizeof app.reasons[slot], "%s", reason);
    app.closes++;
    if (app.flood == c)
        app.flood = NULL;
}

static void on_tick(Loop *loop)
{
    app.ticks++;
    for (int i = 0; app.flood && i < 8; i++) {
        app.flood_status = conn_send(app.flood, chunk, CHUNK);
        if (app.flood_status != ST_OK)
            break;   /* the connection is being dropped; on_close follows */
        app.flood_sent += CHUNK;
    }
    for (int i = 0; i < app.opens; i++)
        if (app.conns[i] && conn_queued(app.conns[i]) > app.max_queued)
            app.max_queued = conn_queued(app.conns[i]);
    if (app.stop_after_ticks && app.ticks == app.stop_after_ticks)
        loop_stop(loop);
}

static int next_timeout(Loop *loop)
{
    (void)loop;
    return app.timer_ms;
}

static inline void base_config(LoopConfig *cfg)
{
    loop_config_default(cfg);
    cfg->on_open = on_open;
    cfg->on_line = on_line;
    cfg->on_close = on_close;
    cfg->on_tick = on_tick;
    cfg->next_timeout_ms = next_timeout;
    cfg->linger_ms = 1000;
}

/* A fresh App and a loop listening on addr; the listen status. */
static inline Status start_at(const LoopConfig *cfg, const char *addr)
{
    char err[LOOP_ERR_LEN];
    memset(&app, 0, sizeof app);
    app.timer_ms = -1;
    app.mem_base = mem_live();
    app.loop = loop_new(cfg);
    assert_non_null(app.loop);
    return loop_listen(app.loop, addr, err);
}

static inline Loop *start(const LoopConfig *cfg)
{
    assert_int_equal(start_at(cfg, "127.0.0.1:0"), ST_OK);
    assert_true(loop_port(app.loop) > 0);
    return app.loop;
}

static inline void finish(void)
{
    loop_free(app.loop);
    app.loop = NULL;
    assert_int_equal(app.opens, app.closes);   /* on_close once per on_open */
    assert_int_equal(mem_live(), app.mem_base);
}

static inline int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One loop iteration, then the invariants and the memory peak. */
static inline void turn(int timeout_ms)
{
    char msg[256];
    assert_int_equal(loop_run_once(app.loop, timeout_ms), ST_OK);
    if (loop_check(app.loop, msg, sizeof msg) != ST_OK)
        fail_msg("loop_check: %s", msg);
    if (loop_memory(app.loop) > app.max_mem)
        app.max_mem = loop_memory(app.loop);
}

static inline void turn_until(const int *counter, int target)
{
    int64_t end = now_ms() + WAIT_MS;
    while (*counter < target) {
        if (now_ms() > end)
            fail_msg("timed out waiting: counter %d, want %d", *counter, target);
        turn(5);
    }
}

/* ---- clients --------------------------------------------------------- */

typedef struct Client {
    int fd;
    char buf[4096];
    size_t len;
    bool eof;                   /* EOF or reset seen */
} Client;

static inline Client client_connect_to(int family, const char *addr, int port)
{
    Client cl = {.fd = socket(family, SOCK_STREAM, 0)};
    assert_true(cl.fd >= 0);
    int rc;
    if (family == AF_INET) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, addr, &sa.sin_addr);
        rc = connect(cl.fd, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        inet_pton(AF_INET6, addr, &sa.sin6_addr);
        rc = connect(cl.fd, (struct sockaddr *)&sa, sizeof sa);
    }
    assert_int_equal(rc, 0);   /* loopback: the kernel completes it before accept */
    int fl = fcntl(cl.fd, F_GETFL);
    assert_true(fcntl(cl.fd, F_SETFL, fl | O_NONBLOCK) == 0);
    return cl;
}

static inline Client client_connect(void)
{
    return client_connect_to(AF_INET, "127.0.0.1", loop_port(app.loop));
}

static inline void client_close(Client *cl)
{
    if (cl->fd >= 0)
        close(cl->fd);
    cl->fd = -1;
}

/* Send everything, letting the loop run whenever the socket is full.
 * Returns false if the server closed the connection first. */
static inline bool client_send(Client *cl, const void *data, size_t len)
{
    const char *p = data;
    int64_t end = now_ms() + WAIT_MS;
    while (len > 0) {
        ssize_t n = send(cl->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EPIPE || errno == ECONNRESET)
            return false;
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        if (now_ms() > end)
            fail_msg("timed out sending");
        turn(1);
    }
    return true;
}

static inline void client_puts(Client *cl, const char *s)
{
    assert_true(client_send(cl, s, strlen(s)));
}

/* Read what is available into cl->buf. */
static inline void client_pump(Client *cl)
{
    if (cl->eof || cl->len == sizeof cl->buf)
        return;
    ssize_t n = recv(cl->fd, cl->buf + cl->len, sizeof cl->buf - cl->len, 0);
    if (n > 0)
        cl->len += (size_t)n;
    else if (n == 0 || errno == ECONNRESET)
        cl->eof = true;
    else
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Wait for one line (without '\n') and compare it with `want`. */
static inline void client_expect(Client *cl, const char *want)
{
    int64_t end = now_ms() + WAIT_MS;
    char *nl;
    while (!(nl = memchr(cl->buf, '\n', cl->len))) {
        if (cl->eof || now_ms() > end)
            fail_msg("no line (wanted \"%.60s\"): eof=%d, %zu bytes", want, cl->eof, cl->len);
        turn(1);
        client_pump(cl);
    }
    size_t n = (size_t)(nl - cl->buf);
    if (n != strlen(want) || memcmp(cl->buf, want, n) != 0)
        fail_msg("got \"%.*s\", wanted \"%.60s\"", (int)(n > 80 ? 80 : n), cl->buf, want);
    memmove(cl->buf, nl + 1, cl->len - n - 1);
    cl->len -= n + 1;
}

/* Wait until the server has closed this connection (after everything read). */
static inline void client_expect_eof(Client *cl)
{
    int64_t end = now_ms() + WAIT_MS;
    while (!cl->eof) {
        if (now_ms() > end)
            fail_msg("no EOF");
        turn(1);
        client_pump(cl);
    }
    assert_int_equal(cl->len, 0);
}


/* After each test, also a failed one: the next test starts clean. */
static inline int cleanup(void **state)
{
    (void)state;
    mem_fail_after(-1);
    loop_free(app.loop);
    app.loop = NULL;
    return 0;
}

#endif
