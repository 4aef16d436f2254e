/*
 * test_loop.c - the event loop over real sockets: echo, framing, and the
 * limits (src/net/loop.c, src/net/conn.c).
 *
 * Lines: echo, several clients interleaved byte by byte, lines split across
 * reads.  Limits: a line of exactly max_line bytes is accepted and one more
 * byte is refused with an error line; a 100 MB line never costs more than
 * max_line + 1 bytes; a client that does not read pushed data is dropped at
 * max_out while others are served; a client that pipelines requests without
 * reading is paused, not dropped; max_conns.  The harness (one thread,
 * non-blocking clients, deadlines instead of sleeps) is tests/loop_util.h.
 *
 * Book: chapter 19, book/19-event-loop.md
 */
#include "loop_util.h"

/* ---- tests ----------------------------------------------------------- */

static void test_echo(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    Client a = client_connect();
    turn_until(&app.opens, 1);
    client_puts(&a, "hello\n");
    client_expect(&a, "hello");
    client_puts(&a, "two\nlines\n\n");   /* one write, three lines (one empty) */
    client_expect(&a, "two");
    client_expect(&a, "lines");
    client_expect(&a, "");
    assert_int_equal(app.lines, 4);
    assert_int_equal(loop_conn_count(app.loop), 1);
    assert_non_null(strstr(conn_peer(app.conns[0]), "127.0.0.1:"));
    assert_int_equal(conn_id(app.conns[0]), 1);
    client_close(&a);
    turn_until(&app.closes, 1);
    assert_string_equal(app.reasons[0], "peer closed");
    finish();
}

/* Client i's script: "ci-line0\n" ... "ci-line19\n". */
static size_t script(int i, int lines, char *out)
{
    size_t len = 0;
    for (int j = 0; j < lines; j++)
        len += (size_t)sprintf(out + len, "c%d-line%d\n", i, j);
    return len;
}

/* Five clients write their scripts in 3-byte pieces, round robin; each
 * must get back exactly its own lines, in order. */
static void test_interleaved_clients(void **state)
{
    (void)state;
    enum { N = 5, LINES = 20 };
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    Client cl[N];
    char text[N][LINES * 16];
    size_t len[N], off[N] = {0};
    for (int i = 0; i < N; i++) {
        cl[i] = client_connect();
        len[i] = script(i, LINES, text[i]);
    }
    turn_until(&app.opens, N);
    for (bool more = true; more; turn(0)) {
        more = false;
        for (int i = 0; i < N; i++) {
            size_t k = len[i] - off[i] < 3 ? len[i] - off[i] : 3;
            if (k && client_send(&cl[i], text[i] + off[i], k))
                off[i] += k;
            more |= off[i] < len[i];
        }
    }
    for (int j = 0; j < LINES; j++) {
        for (int i = 0; i < N; i++) {
            char want[32];
            sprintf(want, "c%d-line%d", i, j);
            client_expect(&cl[i], want);
        }
    }
    assert_int_equal(app.lines, N * LINES);
    for (int i = 0; i < N; i++)
        client_close(&cl[i]);
    turn_until(&app.closes, N);
    finish();
}

/* A line split across many reads is delivered once, whole. */
static void test_partial_lines(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    start(&cfg);
    Client a = client_connect();
    turn_until(&app.opens, 1);
    const char *msg = "{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[1]\"}}\n";
    for (size_t i = 0; msg[i]; i++) {   /* one byte at a time */
        assert_true(client_send(&a, msg + i, 1));
        turn(0);
        turn(0);
        assert_int_equal(app.lines, msg[i + 1] ? 0 : 1);
    }
    assert_int_equal(app.last_len, strlen(msg) - 1);
    client_puts(&a, "hel");
    turn(0);
    client_puts(&a, "lo wor");
    turn(0);
    client_puts(&a, "ld\nnext");
    client_expect(&a, "{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[1]\"}}");
    client_expect(&a, "hello world");
    assert_int_equal(app.lines, 2);
    client_close(&a);   /* "next" never got its '\n' */
    turn_until(&app.closes, 1);
    assert_string_equal(app.reasons[0], "peer closed mid-message (4 bytes dropped)");
    finish();
}

/* max_line bytes are accepted (also when the '\n' comes later);
 * max_line + 1 get an error line, then the connection closes. */
static void test_line_exactly_max(void **state)
{
    (void)state;
    enum { MAX = 1000 };
    LoopConfig cfg;
    base_config(&cfg);
    cfg.max_line = MAX;
    start(&cfg);
    static char line[MAX + 2];
    memset(line, 'a', sizeof line);
    Client a = client_connect();
    turn_until(&app.opens, 1);
    line[MAX] = '\n';
    assert_true(client_send(&a, line, MAX + 1));
    line[MAX] = '\0';
    client_expect(&a, line);
    assert_int_equal(app.last_len, MAX);
    assert_true(client_send(&a, line, MAX));   /* exactly max, then '\n' later */
    turn(0);
    turn(0);
    assert_int_equal(app.lines, 1);
    client_puts(&a, "\n");
    client_expect(&a, line);
    memset(line, 'b', sizeof line);
    line[MAX + 1] = '\n';
    assert_true(client_send(&a, line, MAX + 2));
    client_expect(&a, "{\"error\":\"message too large: the limit is 1000 bytes\"}");
    client_expect_eof(&a);
    assert_int_equal(app.lines, 2);
    assert_string_equal(app.reasons[0], "message too large (limit 1000 bytes)");
    assert_true(app.max_mem <= MAX + 1 + 4096);
    client_close(&a);
    finish();
}

/* 100 MB without a newline: the server answers with an error and never
 * holds more than max_line + 1 input bytes for it; another client is
 * served meanwhile. */
static void test_huge_line_memory_bounded(void **state)
{
    (void)state;
    enum { MAX = 65536 };
    const size_t total = (size_t)100 << 20;
    LoopConfig cfg;
    base_config(&cfg);
    cfg.max_line = MAX;
    cfg.linger_ms = 5000;
    start(&cfg);
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    Client a = client_connect(), b = client_connect();
    turn_until(&app.opens, 2);
    size_t sent = 0;
    while (sent < total && client_send(&a, block, sizeof block)) {
        sent += sizeof block;
        if (sent == 50u << 20) {   /* half-way: the other client still works */
            client_puts(&b, "still here\n");
            client_expect(&b, "still here");
        }
    }
    assert_int_equal(sent, total);   /* lingering: the server read and dropped it all */
    shutdown(a.fd, SHUT_WR);
    client_expect(&a, "{\"error\":\"message too large: the limit is 65536 bytes\"}");
    client_expect_eof(&a);
    assert_int_equal(app.lines, 1);   /* only b's */
    assert_string_equal(app.reasons[0], "message too large (limit 65536 bytes)");
    assert_true(app.max_mem <= MAX + 1 + 3 * 16384);
    client_close(&a);
    client_close(&b);
    turn_until(&app.closes, 2);
    finish();
}

/* A client that asks for pushed data and never reads is dropped when its
 * queue would pass max_out; another client is served all along. */
static void test_slow_reader_dropped(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    cfg.max_out = 256 * 1024;
    cfg.pause_out = 64 * 1024;
    start(&cfg);
    Client slow = client_connect(), fast = client_connect();
    turn_until(&app.opens, 2);
    client_puts(&slow, "flood\n");
    int64_t end = now_ms() + WAIT_MS;
    for (int i = 0; app.closes == 0; i++) {
        if (now_ms() > end)
            fail_msg("never dropped: %zu bytes pushed", app.flood_sent);
        char ping[32];
        sprintf(ping, "ping %d\n", i);
        client_puts(&fast, ping);
        ping[strlen(ping) - 1] = '\0';
        client_expect(&fast, ping);
    }
    assert_int_equal(app.flood_status, ST_LIMIT);
    assert_string_equal(app.reasons[0], "slow reader: output queue over 262144 bytes");
    assert_null(app.conns[0]);
    assert_true(app.max_mem <= cfg.max_out + 128 + 4 * 16384);
    assert_true(app.max_queued <= cfg.max_out);
    client_puts(&fast, "after\n");
    client_expect(&fast, "after");
    client_close(&slow);
    client_close(&fast);
    turn_until(&app.closes, 2);
    finish();
}

/* A client that pipelines requests without reading is paused, not dropped:
 * it gets every reply once it reads, though they total far more than
 * max_out, and the queue never passes pause_out plus one reply. */
static void test_pipelining_paused_not_dropped(void **state)
{
    (void)state;
    enum { REQS = 1000 };
    LoopConfig cfg;
    base_config(&cfg);
    cfg.max_out = 128 * 1024;
    cfg.pause_out = 32 * 1024;
    start(&cfg);
    Client a = client_connect();
    turn_until(&app.opens, 1);
    static char reqs[REQS * 4];
    for (int i = 0; i < REQS; i++)
        memcpy(reqs + 4 * i, "big\n", 4);
    assert_true(client_send(&a, reqs, sizeof reqs));
    for (int i = 0; i < 50; i++)   /* the server fills its queue and pauses */
        turn(1);
    assert_true(app.lines < REQS);
    assert_int_equal(app.closes, 0);
    size_t got = 0, want = (size_t)REQS * CHUNK;
    int64_t end = now_ms() + WAIT_MS;
    while (got < want) {
        if (now_ms() > end)
            fail_msg("got %zu of %zu bytes", got, want);
        static char sink[65536];
        ssize_t n = recv(a.fd, sink, sizeof sink, 0);
        if (n > 0)
            got += (size_t)n;
        else
            turn(1);
    }
    assert_int_equal(got, want);
    assert_int_equal(app.lines, REQS);
    assert_int_equal(app.closes, 0);
    assert_true(app.max_queued < cfg.pause_out + CHUNK);
    client_close(&a);
    turn_until(&app.closes, 1);
    finish();
}

static void test_max_connections(void **state)
{
    (void)state;
    LoopConfig cfg;
    base_config(&cfg);
    cfg.max_conns = 3;
    start(&cfg);
    Client cl[3];
    for (int i = 0; i < 3; i++)
        cl[i] = client_connect();
    turn_until(&app.opens, 3);
    Client extra = client_connect();
    client_expect(&extra, "{\"error\":\"too many connections\"}");
    client_expect_eof(&extra);
    client_close(&extra);
    assert_int_equal(app.opens, 3);
    client_puts(&cl[2], "served\n");
    client_expect(&cl[2], "served");
    client_close(&cl[0]);
    turn_until(&app.closes, 1);
    Client again = client_connect();   /* a free place again */
    turn_until(&app.opens, 4);
    client_puts(&again, "in\n");
    client_expect(&again, "in");
    assert_int_equal(loop_conn_count(app.loop), 3);
    client_close(&again);
    client_close(&cl[1]);
    client_close(&cl[2]);
    turn_until(&app.closes, 4);
    finish();
}

/* The client resets the connection (SO_LINGER 0) in the middle of a line. */

int main(void)
{
    log_set_level(LOG_WARN);
    memset(chunk, 'c', sizeof chunk);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_echo, cleanup),
        cmocka_unit_test_teardown(test_interleaved_clients, cleanup),
        cmocka_unit_test_teardown(test_partial_lines, cleanup),
        cmocka_unit_test_teardown(test_line_exactly_max, cleanup),
        cmocka_unit_test_teardown(test_huge_line_memory_bounded, cleanup),
        cmocka_unit_test_teardown(test_slow_reader_dropped, cleanup),
        cmocka_unit_test_teardown(test_pipelining_paused_not_dropped, cleanup),
        cmocka_unit_test_teardown(test_max_connections, cleanup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
