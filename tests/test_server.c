/*
 * test_server.c - the server over real sockets: identities and tokens,
 * bad input, owners and permissions, reducer calls and their outcomes
 * (the bank example and the gatekeeper test module), republishing.
 * The harness is tests/server_util.h; connection limits, restarts and
 * the Rust module are in tests/test_server_life.c.
 *
 * Book: chapter 22, book/22-server.md
 */
#include "server_util.h"

#include "db/db.h"
#include "host/module.h"

#define BANK "examples/bank/bank.wasm"
#define PLAYERS "examples/players/players.wasm"
#define CHAT "examples/quickstart-chat/quickstart_chat.wasm"
#define GATE "tests/modules/gatekeeper.wasm"

static int setup(void **state)
{
    (void)state;
    ServerConfig cfg;
    ts_config(&cfg);
    cfg.host.fuel = 5000000;   /* spin() runs out quickly */
    ts_start(&cfg);
    return 0;
}

/* ---- identities ------------------------------------------------------------------ */

static void test_two_clients_two_identities(void **state)
{
    (void)state;
    TClient *a = tc_open(), *b = tc_open();
    ProtoReply ra, rb;
    tc_hello(a, NULL, NULL, &ra);
    Identity ia = ra.identity;
    ConnectionId ca = ra.connection_id;
    char token[IDENTITY_TOKEN_LEN + 1];
    snprintf(token, sizeof token, "%s", ra.token.s);
    assert_true(identity_token_well_formed(token, strlen(token)));
    assert_true(identity_checksum_ok(&ia));
    tc_hello(b, NULL, NULL, &rb);
    assert_false(identity_equal(&ia, &rb.identity));
    assert_false(identity_conn_equal(&ca, &rb.connection_id));

    TClient *a2 = tc_open();   /* the same person again, with the token */
    tc_hello(a2, NULL, token, &ra);
    assert_true(identity_equal(&ia, &ra.identity));
    assert_false(identity_conn_equal(&ca, &ra.connection_id));
    assert_string_equal(ra.token.s, token);
    tc_free(a), tc_free(b), tc_free(a2);
}

static void test_bad_tokens(void **state)
{
    (void)state;
    TClient *c = tc_open();
    tc_send(c, "{\"Connect\":{\"token\":\"not a token\"}}");
    tc_error(c, "Authorization is invalid: malformed token");
    tc_send(c, "{\"Connect\":{\"token\":\"tstdb_00000000000000000000000000000000"
               "00000000000000000000000000000000\"}}");
    tc_error(c, "token not signed by this instance");
    ProtoReply r;
    tc_hello(c, NULL, NULL, &r);   /* still usable */
    tc_send(c, "{\"Connect\":{}}");
    tc_error(c, "already connected");
    tc_free(c);
}

static void test_first_message_not_connect(void **state)
{
    (void)state;
    TClient *c = tc_open();
    tc_send(c, "{\"Describe\":{\"name\":\"nothing-here\"}}");
    ProtoReply r;
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_IDENTITY_TOKEN);   /* an implicit Connect{} */
    tc_error(c, "Could not resolve database `nothing-here`");
    tc_send(c, "{\"CallReducer\":{\"reducer\":\"x\",\"args\":\"[]\",\"request_id\":1,\"flags\":0}}");
    tc_error(c, "no database selected");
    tc_free(c);
}

/* ---- bad input: an error line, and the connection carries on ------------------- */

static void test_garbage_then_carry_on(void **state)
{
    (void)state;
    TClient *c = tc_open();
    tc_send(c, "hello");
    tc_error(c, "malformed JSON");
    tc_send(c, "{\"Connect\":");
    tc_error(c, "malformed JSON");
    tc_send(c, "{\"Shout\":{}}");
    tc_error(c, "Shout");
    tc_send(c, "[1,2,3]");
    ProtoReply r;
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_ERROR);
    assert_true(tc_send_raw(c, "\xff\xfe\n", 3));
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_ERROR);
    tc_publish(c, "bank", BANK, false);   /* the same connection still works */
    tc_free(c);
}

static void test_unknown_database_and_reducer(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_publish(o, "bank", BANK, false);
    TClient *c = tc_open();
    tc_send(c, "{\"Connect\":{\"database\":\"no-such-db\"}}");
    tc_error(c, "Could not resolve database `no-such-db`");
    ProtoReply r;
    tc_hello(c, "bank", NULL, &r);   /* a second try succeeds */
    tc_send(c, "{\"CallReducer\":{\"reducer\":\"rob\",\"args\":\"[]\",\"request_id\":5,\"flags\":0}}");
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_TRANSACTION_UPDATE);
    assert_int_equal(r.status.kind, PROTO_STATUS_FAILED);
    assert_string_equal(r.status.text.s, "no such reducer");
    assert_int_equal(r.reducer_call.reducer_id, PROTO_NO_REDUCER_ID);
    assert_int_equal(r.reducer_call.request_id, 0);   /* SpacetimeDB's message-error path */
    assert_string_equal(r.reducer_call.reducer_name.s, "rob");
    /* wrong argument types */
    tc_send(c, "{\"CallReducer\":{\"reducer\":\"open_account\",\"args\":\"[1,2]\","
               "\"request_id\":6,\"flags\":0}}");
    tc_reply(c, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_FAILED);
    assert_non_null(strstr(r.status.text.s, "invalid arguments for reducer open_account"));
    /* a lifecycle reducer */
    tc_send(c, "{\"CallReducer\":{\"reducer\":\"init\",\"args\":\"[]\",\"request_id\":7,\"flags\":0}}");
    tc_reply(c, &r);
    assert_non_null(strstr(r.status.text.s, "lifecycle"));
    /* a subscription and a bad query (chapter 28), then business as usual */
    tc_send(c, "{\"SubscribeSingle\":{\"query\":\"SELECT * FROM account\",\"request_id\":8,"
               "\"query_id\":{\"id\":1}}}");
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_SUBSCRIBE_APPLIED);
    tc_send(c, "{\"OneOffQuery\":{\"message_id\":\"01\",\"query_string\":\"SELECT 1\"}}");
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_ONE_OFF_QUERY_RESPONSE);
    assert_non_null(r.error.s);
    assert_int_equal(r.tables.len, 0);
    tc_send(c, "{\"CallReducer\":{\"reducer\":\"audit\",\"args\":\"[]\",\"request_id\":9,\"flags\":0}}");
    tc_reply(c, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_COMMITTED);
    assert_int_equal(r.reducer_call.request_id, 9);
    tc_free(c), tc_free(o);
}

/* ---- reducer calls ---------------------------------------------------------------- */

static void call(TClient *c, const char *reducer, const char *args_json, uint32_t rid,
                 ProtoReply *r)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_write_string(&sb, args_json, strlen(args_json)), ST_OK);
    tc_sendf(c, "{\"CallReducer\":{\"reducer\":\"%s\",\"args\":%s,\"request_id\":%u,\"flags\":0}}",
             reducer, sb.data, rid);
    strbuf_fini(&sb);
    tc_reply(c, r);
    if (r->kind != PROTO_REPLY_TRANSACTION_UPDATE)
        fail_msg("%s: expected TransactionUpdate, got %s", reducer, c->line.data);
}

/* c subscribes to `queries` (a JSON array of SQL strings): a caller
 * hears only the rows its subscriptions match (chapter 28). */
static void watch(TClient *c, const char *queries)
{
    static unsigned query_id = 100;   /* a fresh id for every query set */
    ProtoReply r;
    query_id++;
    tc_sendf(c, "{\"SubscribeMulti\":{\"query_strings\":%s,\"request_id\":%u,"
                "\"query_id\":{\"id\":%u}}}", queries, query_id, query_id);
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_SUBSCRIBE_MULTI_APPLIED);
}

static void test_bank_transfer_rolled_back(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_publish(o, "bank", BANK, false);
    TClient *c = tc_open();
    ProtoReply r;
    tc_hello(c, "bank", NULL, &r);
    Identity me = r.identity;
    call(c, "open_account", "[\"bob\", 1]", 9, &r);   /* no subscription: no rows */
    assert_int_equal(r.status.kind, PROTO_STATUS_COMMITTED);
    assert_int_equal(r.status.committed.tables.len, 0);
    watch(c, "[\"SELECT * FROM account WHERE owner = 'alice'\"]");
    call(c, "open_account", "[\"alice\", 100]", 1, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_COMMITTED);
    assert_true(identity_equal(&r.identity, &me));
    assert_int_equal(r.reducer_call.request_id, 1);
    assert_string_equal(r.reducer_call.args.s, "[\"alice\", 100]");   /* echoed as sent */
    assert_true(r.energy_quanta > 0);
    assert_true(r.timestamp_us > INT64_C(1700000000000000));
    const ProtoTableUpdateList *t = &r.status.committed.tables;
    assert_int_equal(t->len, 1);   /* account; nothing private */
    assert_string_equal(t->items[0].table_name.s, "account");
    assert_int_equal(t->items[0].updates.items[0].inserts.len, 1);
    assert_string_equal(t->items[0].updates.items[0].inserts.items[0].s,
                        "{\"id\":3,\"owner\":\"alice\",\"balance\":100}");
    watch(c, "[\"SELECT * FROM account WHERE owner = 'bob'\"]");
    uint64_t transfers = ts_rows_of("bank", "transfer");

    call(c, "transfer", "[\"alice\", \"bob\", 500]", 3, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_FAILED);
    assert_non_null(strstr(r.status.text.s, "insufficient"));
    assert_int_equal(r.reducer_call.request_id, 3);
    assert_int_equal(ts_rows_of("bank", "transfer"), transfers);   /* nothing changed */
    assert_int_equal(ts_rows_of("bank", "account"), 3);

    call(c, "transfer", "[\"alice\", \"bob\", 1]", 4, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_COMMITTED);
    /* a delete plus an insert per updated account, one query update per
     * matching query set; the private transfer not shown */
    assert_int_equal(r.status.committed.tables.len, 1);
    const ProtoTableUpdate *tu = &r.status.committed.tables.items[0];
    size_t deletes = 0, inserts = 0;
    for (size_t i = 0; i < tu->updates.len; i++)
        deletes += tu->updates.items[i].deletes.len, inserts += tu->updates.items[i].inserts.len;
    assert_int_equal(deletes, 2);
    assert_int_equal(inserts, 2);
    assert_int_equal(ts_rows_of("bank", "transfer"), transfers + 1);
    tc_free(c), tc_free(o);
}

static void test_owner_sees_private_rows_and_no_notify(void **state)
{
    (void)state;
    TClient *o = tc_open();
    ProtoReply r;
    tc_hello(o, NULL, NULL, &r);
    char token[IDENTITY_TOKEN_LEN + 1];
    snprintf(token, sizeof token, "%s", r.token.s);
    tc_publish(o, "bank", BANK, false);
    TClient *c = tc_open();
    tc_hello(c, "bank", token, &r);   /* the owner, bound to the database */
    watch(c, "[\"SELECT * FROM account\", \"SELECT * FROM transfer\"]");
    call(c, "open_account", "[\"carol\", 10]", 1, &r);
    call(c, "transfer", "[\"carol\", \"bank\", 5]", 2, &r);
    assert_int_equal(r.status.committed.tables.len, 2);   /* account and transfer */
    /* NoSuccessNotify: not tracked, so no answer to the call itself; the
     * commit reaches c as an ordinary subscription update, like any
     * other subscriber's; then the next call's answer */
    tc_send(c, "{\"CallReducer\":{\"reducer\":\"transfer\",\"args\":\"[\\\"carol\\\",\\\"bank\\\",1]\","
               "\"request_id\":3,\"flags\":1}}");
    tc_reply(c, &r);
    assert_int_equal(r.kind, PROTO_REPLY_TRANSACTION_UPDATE);
    assert_int_equal(r.status.committed.tables.len, 2);
    call(c, "audit", "[]", 4, &r);
    assert_int_equal(r.reducer_call.request_id, 4);
    assert_int_equal(ts_rows_of("bank", "transfer"), 2);
    tc_free(c), tc_free(o);
}

static void test_gatekeeper_outcomes(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_publish(o, "gate", GATE, false);
    TClient *a = tc_open(), *b = tc_open();
    ProtoReply r;
    tc_hello(a, "gate", NULL, &r);
    call(a, "boom", "[]", 1, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_FAILED);
    assert_string_equal(r.status.text.s, HOST_FATAL_MESSAGE);
    call(a, "spin", "[]", 2, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_OUT_OF_ENERGY);
    call(a, "close_door", "[]", 3, &r);
    assert_int_equal(r.status.kind, PROTO_STATUS_COMMITTED);
    assert_int_equal(r.status.committed.tables.len, 0);   /* door is private */
    /* client_connected says no: the reason, then the connection closes */
    tc_send(b, "{\"Connect\":{\"database\":\"gate\"}}");
    tc_error(b, "the door is closed");
    tc_closed(b);
    call(a, "open_door", "[]", 4, &r);
    TClient *d = tc_open();
    tc_hello(d, "gate", NULL, &r);
    tc_free(a), tc_free(b), tc_free(d), tc_free(o);
}

/* ---- owners ---------------------------------------------------------------------- */

static void test_owner_rules(void **state)
{
    (void)state;
    TClient *o = tc_open(), *x = tc_open();
    ProtoReply r;
    tc_hello(o, NULL, NULL, &r);
    tc_publish(o, "chat", CHAT, false);
    tc_hello(x, NULL, NULL, &r);
    char hex[IDENTITY_HEX_LEN + 1], want[256];
    identity_format_hex(&r.identity, hex);
    snprintf(want, sizeof want, "%s is not authorized to perform action on database chat: ", hex);
    tc_send_publish(x, "chat", CHAT, false);
    tc_error(x, want);
    tc_send_publish(x, "chat", CHAT, true);
    tc_error(x, "reset database");
    tc_send(x, "{\"DeleteDatabase\":{\"name\":\"chat\"}}");
    tc_error(x, "delete database");
    tc_send(x, "{\"GetLogs\":{\"name\":\"chat\"}}");
    tc_error(x, "view module logs");
    tc_send(x, "{\"Describe\":{\"name\":\"chat\"}}");   /* anybody may describe */
    tc_reply(x, &r);
    assert_int_equal(r.kind, PROTO_REPLY_DESCRIPTION);
    assert_non_null(strstr(r.json.s, "send_message"));

    TClient *u = tc_open();   /* a user of the database, then the owner deletes it */
    tc_hello(u, "chat", NULL, &r);
    tc_send(o, "{\"DeleteDatabase\":{\"name\":\"chat\"}}");
    tc_reply(o, &r);
    assert_int_equal(r.kind, PROTO_REPLY_DATABASE_DELETED);
    tc_error(u, "database chat was deleted");
    tc_closed(u);
    assert_int_equal(server_database_count(srv), 0);
    tc_publish(x, "chat", CHAT, false);   /* the name is free again: x owns it now */
    tc_free(o), tc_free(x), tc_free(u);
}

/* ---- republishing ---------------------------------------------------------------- */

static void test_republish_keeps_or_clears(void **state)
{
    (void)state;
    TClient *o = tc_open(), *u = tc_open();
    ProtoReply r;
    tc_publish(o, "bank", BANK, false);
    tc_hello(u, "bank", NULL, &r);
    call(u, "open_account", "[\"dave\", 7]", 1, &r);
    assert_int_equal(ts_rows_of("bank", "account"), 2);

    tc_publish(o, "bank", BANK, false);   /* same tables: the rows stay */
    tc_error(u, "republished");
    tc_closed(u);
    assert_int_equal(ts_rows_of("bank", "account"), 2);
    TClient *v = tc_open();
    tc_hello(v, "bank", NULL, &r);
    watch(v, "[\"SELECT * FROM account\"]");
    call(v, "open_account", "[\"erin\", 1]", 1, &r);
    assert_string_equal(r.status.committed.tables.items[0].updates.items[0].inserts.items[0].s,
                        "{\"id\":3,\"owner\":\"erin\",\"balance\":1}");   /* the sequence too */

    tc_send_publish(o, "bank", PLAYERS, false);   /* other tables: refused */
    tc_error(o, "--delete-data");
    assert_int_equal(ts_rows_of("bank", "account"), 3);
    tc_publish(o, "bank", PLAYERS, true);         /* with clear: a new database */
    assert_int_equal(ts_rows_of("bank", "player"), 0);
    tc_free(o), tc_free(u), tc_free(v);
}

static void test_publish_bad_module(void **state)
{
    (void)state;
    TClient *o = tc_open();
    tc_send(o, "{\"Publish\":{\"name\":\"junk\",\"wasm_base64\":\"AGFzbQEAAAA=\"}}");
    tc_error(o, "publish junk");
    tc_send(o, "{\"Publish\":{\"name\":\"Bad_Name\",\"wasm_base64\":\"AGFzbQEAAAA=\"}}");
    ProtoReply r;
    tc_reply(o, &r);
    assert_int_equal(r.kind, PROTO_REPLY_ERROR);
    assert_int_equal(server_database_count(srv), 0);
    tc_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_clients_two_identities, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_bad_tokens, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_first_message_not_connect, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_then_carry_on, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_database_and_reducer, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_bank_transfer_rolled_back, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_owner_sees_private_rows_and_no_notify, setup,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_gatekeeper_outcomes, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_owner_rules, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_republish_keeps_or_clears, setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_publish_bad_module, setup, ts_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
