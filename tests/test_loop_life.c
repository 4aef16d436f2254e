/*
 * test_loop_life.c - the life of a connection and of the loop: how
 * connections end and the reason on_close reports (peer close, reset,
 * conn_close, idle timeout, server stop), the poll timeout taken from
 * next_timeout_ms, loop_stop from a callback and from a signal handler,
 * listening addresses (IPv4, IPv6, localhost, bad syntax, a taken port),
 * allocation failures and bad configurations.  Harness: tests/loop_util.h.
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#include "loop_util.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void test_peer_reset_mid_line(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    Client a = client_connect(), b = client_connect();
    turn_until(&app.opens, 2);
    client_puts(&a, "half a li");
    turn(0);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(a.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    client_close(&a);
    turn_until(&app.closes, 1);
    if (strcmp(app.reasons[0], "connection reset by peer") != 0 &&
        strcmp(app.reasons[0], "peer closed mid-message (9 bytes dropped)") != 0)
        fail_msg("unexpected reason: %s", app.reasons[0]);
    assert_int_equal(app.lines, 0);
    client_puts(&b, "fine\n");
    client_expect(&b, "fine");
    client_close(&b);
    turn_until(&app.closes, 2);
    finish();
}

/* The reasons given to on_close, one connection per way of ending. */
static void test_close_reasons(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    cfg.idle_ms = 300;
    start(&cfg);
    Client quits = client_connect(), closed = client_connect(), idle = client_connect();
    Client stays = client_connect();
    turn_until(&app.opens, 4);
    client_puts(&closed, "close\n");   /* server side: reply, then conn_close */
    client_expect(&closed, "bye");
    client_expect_eof(&closed);
    client_close(&quits);
    int64_t t0 = now_ms();
    for (int i = 0; i < 3; i++) {   /* keep `stays` busy past the idle limit */
        client_puts(&stays, "ping\n");
        client_expect(&stays, "ping");
        while (now_ms() < t0 + 150 * (i + 1))
            turn(10);
    }
    client_expect(&idle, "{\"error\":\"idle timeout\"}");
    client_expect_eof(&idle);
    assert_string_equal(app.reasons[1], "closed by server");
    assert_string_equal(app.reasons[0], "peer closed");
    assert_string_equal(app.reasons[2], "idle timeout (300 ms)");
    assert_non_null(app.conns[3]);   /* `stays` was never idle for 300 ms */
    loop_free(app.loop);
    app.loop = NULL;
    assert_string_equal(app.reasons[3], "server stopped");
    client_close(&closed);
    client_close(&idle);
    client_close(&stays);
    finish();
}

/* loop_run sleeps exactly as long as next_timeout_ms says: five 30 ms
 * timers take about 150 ms and exactly five wake-ups (no busy waiting). */
static void test_timeout_honoured(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    app.timer_ms = 30;
    app.stop_after_ticks = 5;
    int64_t t0 = now_ms();
    assert_int_equal(loop_run(app.loop), ST_OK);
    int64_t took = now_ms() - t0;
    assert_int_equal(app.ticks, 5);
    assert_true(took >= 5 * 29);
    assert_true(took < 1000);
    t0 = now_ms();   /* loop_run_once with its own timeout */
    assert_int_equal(loop_run_once(app.loop, 40), ST_OK);
    assert_true(now_ms() - t0 >= 39);
    assert_int_equal(app.ticks, 6);
    finish();
}

static Loop *signal_loop;

static void on_sigusr1(int sig)
{
    (void)sig;
    loop_stop(signal_loop);
}

/* loop_stop from a callback ends loop_run; from a signal handler too, even
 * when poll() has no timeout at all. */
static void test_stop(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    Client a = client_connect();
    client_puts(&a, "stop\n");
    assert_int_equal(loop_run(app.loop), ST_OK);   /* returns: "stop" was read */
    assert_int_equal(app.lines, 1);
    assert_false(loop_stopping(app.loop));

    signal_loop = app.loop;
    struct sigaction sa = {.sa_handler = on_sigusr1};
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    alarm(10);   /* a hang would be a failure, not a stuck test run */
    int64_t t0 = now_ms();
    assert_int_equal(loop_run(app.loop), ST_OK);   /* timer_ms = -1: poll forever */
    alarm(0);
    assert_true(now_ms() - t0 < 5000);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    signal(SIGUSR1, SIG_DFL);
    client_puts(&a, "after\n");   /* the loop still works */
    client_expect(&a, "after");
    client_close(&a);
    turn_until(&app.closes, 1);
    finish();
}

static void test_listen_bad_addresses(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    char err[LOOP_ERR_LEN];
    const char *bad[] = {"nonsense", "::1:80", "[::1]80", "1.2.3.4:99999", "host:", "h:12a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Loop *l = loop_new(&cfg);
        assert_int_equal(loop_listen(l, bad[i], err), ST_ARG);
        assert_non_null(strstr(err, "expected HOST:PORT"));
        loop_free(l);
    }
    Loop *l = loop_new(&cfg);
    assert_int_equal(loop_listen(l, "localhost:0", err), ST_OK);
    assert_int_equal(loop_listen(l, "localhost:0", err), ST_ARG);   /* only one listener */
    loop_free(l);
}

static void test_listen_port_taken(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    char taken[32], err[LOOP_ERR_LEN];
    sprintf(taken, "127.0.0.1:%d", loop_port(app.loop));
    Loop *l = loop_new(&cfg);
    assert_int_equal(loop_listen(l, taken, err), ST_IO);
    assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
    loop_free(l);
    finish();
}

static void test_listen_ipv6(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    if (start_at(&cfg, "[::1]:0") != ST_OK)
        skip();   /* no IPv6 on this machine */
    Client a = client_connect_to(AF_INET6, "::1", loop_port(app.loop));
    client_puts(&a, "v6\n");
    client_expect(&a, "v6");
    assert_true(strncmp(conn_peer(app.conns[0]), "[::1]:", 6) == 0);
    client_close(&a);
    turn_until(&app.closes, 1);
    finish();
}

/* Out of file descriptors: accept() fails with EMFILE, so the loop gives
 * back its spare descriptor to accept and refuse the client (otherwise the
 * listener would stay readable and poll() would spin). */
static struct rlimit saved_nofile;

static void test_out_of_descriptors(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    struct rlimit low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
    int next = open("/dev/null", O_RDONLY);   /* the lowest free descriptor */
    assert_true(next >= 0);
    close(next);
    low = saved_nofile;
    low.rlim_cur = (rlim_t)next + 1;   /* room for the client socket only */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    log_set_level(LOG_ERROR);   /* the loop warns; expected here */
    Client a = client_connect();
    client_expect(&a, "{\"error\":\"too many connections\"}");
    client_expect_eof(&a);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
    log_set_level(LOG_WARN);
    assert_int_equal(app.opens, 0);
    client_close(&a);
    Client b = client_connect();   /* descriptors again: served */
    client_puts(&b, "ok\n");
    client_expect(&b, "ok");
    client_close(&b);
    turn_until(&app.closes, 1);
    finish();
}

static int restore_nofile(void **state)
{
    if (saved_nofile.rlim_cur)
        setrlimit(RLIMIT_NOFILE, &saved_nofile);
    log_set_level(LOG_WARN);
    return cleanup(state);
}

/* Allocation failures: a client that cannot get a Conn is refused with an
 * error line; one whose buffer cannot grow is dropped; the loop goes on. */
static void test_out_of_memory(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    mem_fail_after(0);
    Client a = client_connect();
    client_expect(&a, "{\"error\":\"server out of memory\"}");
    mem_fail_after(-1);
    client_expect_eof(&a);
    client_close(&a);
    assert_int_equal(app.opens, 0);

    Client b = client_connect();
    turn_until(&app.opens, 1);
    mem_fail_after(0);   /* the input buffer's first allocation */
    client_puts(&b, "x\n");
    turn_until(&app.closes, 1);
    mem_fail_after(-1);
    assert_string_equal(app.reasons[0], "out of memory for the input buffer");
    client_close(&b);

    Client c = client_connect();
    turn_until(&app.opens, 2);
    client_puts(&c, "fine\n");
    client_expect(&c, "fine");
    client_close(&c);
    turn_until(&app.closes, 2);
    finish();
}

static void test_bad_config(void **state)
{
    (void)state;
    long base = mem_live();
    LoopConfig cfg;
    loop_config_default(&cfg);
    cfg.pause_out = cfg.max_out + 1;
    assert_null(loop_new(&cfg));
    loop_config_default(&cfg);
    cfg.max_line = 0;
    assert_null(loop_new(&cfg));
    loop_config_default(&cfg);
    cfg.max_conns = 0;
    assert_null(loop_new(&cfg));
    assert_int_equal(mem_live(), base);
}

int main(void)
{
    log_set_level(LOG_WARN);
    memset(chunk, 'c', sizeof chunk);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_peer_reset_mid_line, cleanup),
        cmocka_unit_test_teardown(test_close_reasons, cleanup),
        cmocka_unit_test_teardown(test_timeout_honoured, cleanup),
        cmocka_unit_test_teardown(test_stop, cleanup),
        cmocka_unit_test_teardown(test_listen_bad_addresses, cleanup),
        cmocka_unit_test_teardown(test_listen_port_taken, cleanup),
        cmocka_unit_test_teardown(test_listen_ipv6, cleanup),
        cmocka_unit_test_teardown(test_out_of_descriptors, restore_nofile),
        cmocka_unit_test_teardown(test_out_of_memory, cleanup),
        cmocka_unit_test_teardown(test_bad_config, cleanup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
