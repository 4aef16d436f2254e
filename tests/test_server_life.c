/*
 * test_server_life.c - the server under stress and across restarts: a
 * 100 MB line, a client that never reads, identities and databases
 * after a restart, and the real Rust module driven over the protocol
 * (register_player, then a disconnect moves the player to
 * logged_out_player).  The harness is tests/server_util.h.
 *
 * Book: chapter 22, book/22-server.md
 */
#include "server_util.h"

#include "db/db.h"
#include "host/module.h"

#define CHAT "examples/quickstart-chat/quickstart_chat.wasm"
#define PLAYERS "examples/players/players.wasm"

static int setup_small_out(void **state)
{
    (void)state;
    ServerConfig cfg;
    ts_config(&cfg);
    cfg.loop.max_out = 256 << 10;
    cfg.loop.pause_out = 64 << 10;
    ts_start(&cfg);
    return 0;
}

static void expect_committed(TClient *c, uint32_t rid)
{
    ProtoReply r;
    tc_reply(c, &r);
    if (r.kind != PROTO_REPLY_TRANSACTION_UPDATE || r.status.kind != PROTO_STATUS_COMMITTED ||
        r.reducer_call.request_id != rid)
        fail_msg("expected a committed call %u, got %s", rid, c->line.data);
}

/* ---- a 100 MB line: an error, a close, and nobody else notices ----------------- */

static void test_huge_line(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_publish(o, "chat", CHAT, false);
    TClient *h = tc_open();
    size_t chunk = 1 << 20;
    char *junk = mem_alloc(chunk);
    assert_non_null(junk);
    memset(junk, 'x', chunk);
    junk[0] = '"';
    size_t sent = 0;
    for (int i = 0; i < 100 && tc_send_raw(h, junk, chunk); i++)
        sent += chunk;
    mem_free(junk);
    /* the server stops at max_line (64 MiB): the rest is refused */
    assert_true(sent >= ((size_t)64 << 20));
    tc_error(h, "");   /* an error line says why ... */
    tc_closed(h);      /* ... and the connection is over */
    assert_true(loop_memory(server_loop(srv)) < ((size_t)4 << 20));   /* the buffer is gone */
    ProtoReply r;
    TClient *u = tc_open();
    tc_hello(u, "chat", NULL, &r);
    tc_send(u, "{\"CallReducer\":{\"reducer\":\"send_message\",\"args\":\"[\\\"hi\\\"]\","
               "\"request_id\":1,\"flags\":0}}");
    expect_committed(u, 1);
    tc_free(h), tc_free(u), tc_free(o);
}

/* ---- a client that never reads is dropped; the others go on -------------------- */

static void test_slow_follower_dropped(void **state)
{
    (void)state;
    TClient *o = tc_open();
    ProtoReply r;
    tc_hello(o, NULL, NULL, &r);
    char token[IDENTITY_TOKEN_LEN + 1];
    snprintf(token, sizeof token, "%s", r.token.s);
    tc_publish(o, "players", PLAYERS, false);

    TClient *slow = tc_open_buf(4096);   /* follows the log, never reads */
    tc_hello(slow, NULL, token, &r);
    tc_send(slow, "{\"GetLogs\":{\"name\":\"players\",\"num_lines\":1,\"follow\":true}}");

    TClient *w = tc_open();
    tc_hello(w, "players", NULL, &r);
    uint32_t rid = 1;
    for (int i = 0; i < 60; i++, rid++) {
        tc_sendf(w, "{\"CallReducer\":{\"reducer\":\"add_player\",\"args\":\"[\\\"p%d\\\",1,%d]\","
                    "\"request_id\":%u,\"flags\":0}}", i, i, rid);
        expect_committed(w, rid);
    }
    /* each log_all writes 60 log lines; keep going until the follower is gone */
    size_t before = loop_conn_count(server_loop(srv));
    for (int i = 0; i < 2000 && loop_conn_count(server_loop(srv)) == before; i++, rid++) {
        tc_sendf(w, "{\"CallReducer\":{\"reducer\":\"log_all\",\"args\":\"[]\","
                    "\"request_id\":%u,\"flags\":0}}", rid);
        expect_committed(w, rid);   /* the writer is never slowed down */
    }
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "dropped after %u calls\n", rid);
    assert_int_equal(loop_conn_count(server_loop(srv)), before - 1);
    assert_true(loop_memory(server_loop(srv)) < ((size_t)2 << 20));
    tc_closed(slow);
    tc_sendf(w, "{\"CallReducer\":{\"reducer\":\"log_all\",\"args\":\"[]\","
                "\"request_id\":%u,\"flags\":0}}", rid);
    expect_committed(w, rid);
    tc_free(slow), tc_free(w), tc_free(o);
}

/* ---- a follower gets new records -------------------------------------------------- */

static void test_logs_and_follow(void **state)
{
    (void)state;
    TClient *o = tc_open();
    ProtoReply r;
    tc_hello(o, NULL, NULL, &r);
    char token[IDENTITY_TOKEN_LEN + 1];
    snprintf(token, sizeof token, "%s", r.token.s);
    tc_publish(o, "players", PLAYERS, false);
    TClient *w = tc_open();
    tc_hello(w, "players", NULL, &r);
    tc_send(w, "{\"CallReducer\":{\"reducer\":\"add_player\",\"args\":\"[\\\"ann\\\",1,1]\","
               "\"request_id\":1,\"flags\":0}}");
    expect_committed(w, 1);
    tc_send(o, "{\"GetLogs\":{\"name\":\"players\",\"num_lines\":1,\"follow\":true}}");
    tc_reply(o, &r);
    assert_int_equal(r.kind, PROTO_REPLY_LOGS);
    assert_non_null(strstr(r.json.s, "added player 1: ann"));
    size_t lines = 0;   /* num_lines 1: one record */
    for (size_t i = 0; i < r.json.len; i++)
        lines += r.json.s[i] == '\n';
    assert_true(lines <= 1);
    tc_send(w, "{\"CallReducer\":{\"reducer\":\"add_player\",\"args\":\"[\\\"bo\\\",1,1]\","
               "\"request_id\":2,\"flags\":0}}");
    expect_committed(w, 2);
    tc_reply(o, &r);
    assert_int_equal(r.kind, PROTO_REPLY_LOG_RECORD);
    assert_non_null(strstr(r.json.s, "added player 2: bo"));
    tc_free(w), tc_free(o);
}

/* ---- restarts --------------------------------------------------------------------- */

static void test_restart_keeps_identities_and_databases(void **state)
{
    (void)state;
    TClient *o = tc_open();
    ProtoReply r;
    tc_hello(o, NULL, NULL, &r);
    Identity me = r.identity;
    char token[IDENTITY_TOKEN_LEN + 1];
    snprintf(token, sizeof token, "%s", r.token.s);
    tc_publish(o, "chat", CHAT, false);
    tc_free(o);

    ts_restart();
    assert_int_equal(server_database_count(srv), 1);
    TClient *a = tc_open();
    tc_hello(a, "chat", token, &r);   /* the same identity, and still the owner */
    assert_true(identity_equal(&me, &r.identity));
    tc_send(a, "{\"GetLogs\":{\"name\":\"chat\"}}");
    tc_reply(a, &r);
    assert_int_equal(r.kind, PROTO_REPLY_LOGS);
    tc_send(a, "{\"CallReducer\":{\"reducer\":\"set_name\",\"args\":\"[\\\"me\\\"]\","
               "\"request_id\":1,\"flags\":0}}");
    expect_committed(a, 1);   /* client_connected made the user row again */
    tc_free(a);
}

/* ---- the real Rust module ---------------------------------------------------------- */

static void test_rust_module_over_the_protocol(void **state)
{
    (void)state;
    const char *path = rust_module_path();
    if (!path) {
        fprintf(stderr, "SKIPPED: the Rust module is not in $TINYSTDB_SHARED or ../shared\n");
        skip();
    }
    TClient *o = tc_open();
    tc_publish(o, "game", path, false);
    assert_int_equal(ts_rows_of("game", "game_tick_schedule"), 1);   /* init ran */
    TClient *p = tc_open();
    ProtoReply r;
    tc_hello(p, "game", NULL, &r);
    char hex[IDENTITY_U256_LEN + 1];
    identity_format_u256(&r.identity, hex);
    /* a caller hears the rows its subscriptions match */
    tc_send(p, "{\"SubscribeSingle\":{\"query\":\"SELECT * FROM player\",\"request_id\":6,"
               "\"query_id\":{\"id\":1}}}");
    tc_reply(p, &r);
    assert_int_equal(r.kind, PROTO_REPLY_SUBSCRIBE_APPLIED);
    tc_send(p, "{\"CallReducer\":{\"reducer\":\"register_player\","
               "\"args\":\"[\\\"alice\\\",\\\"warrior\\\"]\",\"request_id\":7,\"flags\":0}}");
    tc_reply(p, &r);
    assert_int_equal(r.kind, PROTO_REPLY_TRANSACTION_UPDATE);
    if (r.status.kind != PROTO_STATUS_COMMITTED)
        fail_msg("register_player: %s", p->line.data);
    assert_int_equal(r.reducer_call.reducer_id, 4);
    const ProtoTableUpdateList *t = &r.status.committed.tables;
    assert_int_equal(t->len, 1);
    assert_string_equal(t->items[0].table_name.s, "player");
    const char *row = t->items[0].updates.items[0].inserts.items[0].s;
    assert_non_null(strstr(row, "\"username\":\"alice\""));
    assert_non_null(strstr(row, hex));
    assert_int_equal(ts_rows_of("game", "player"), 1);
    assert_int_equal(ts_rows_of("game", "logged_out_player"), 0);

    tc_free(p);   /* the disconnect moves the player */
    assert_int_equal(ts_rows_of("game", "player"), 0);
    assert_int_equal(ts_rows_of("game", "logged_out_player"), 1);
    tc_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_huge_line, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_slow_follower_dropped, setup_small_out, ts_teardown),
        cmocka_unit_test_setup_teardown(test_logs_and_follow, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_identities_and_databases, ts_setup,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_rust_module_over_the_protocol, ts_setup, ts_teardown),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
