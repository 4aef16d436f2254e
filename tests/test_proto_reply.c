/*
 * test_proto_reply.c - the server -> client half of the protocol layer
 * (src/net/proto*.c): every ServerMessage example of client-protocol.md
 * §4.2 built from C structs and compared byte for byte, then decoded and
 * re-encoded; failure statuses; tinystdb's admin answers and error line;
 * the encoder's promises (one line, lossy UTF-8, nothing written on
 * failure); and the reply decoder's errors on broken server output.
 *
 * Book: chapter 20, book/20-protocol.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "leak_check.h"
#include "net/proto.h"
#include "util/alloc.h"

/* ---- the examples of client-protocol.md §4.2, in ServerMessage tag order --- */

#define IDENTITY_HEX "0xc2001a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7"
#define CONN_DECIMAL "99146521849321058726154437911617354023"

static const char *const ex_initial =
    "{\"InitialSubscription\":{\"database_update\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}]}]},\"request_id\":2,\"total_host_execution_duration\":{\"__time_duration_micros__\":311}}}";
static const char *const ex_tx =
    "{\"TransactionUpdate\":{\"status\":{\"Committed\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":2,\"updates\":[{\"deletes\":[\"[1,\\\"Alice\\\"]\"],\"inserts\":[\"[1,\\\"Alicia\\\"]\"]}]}]}},\"timestamp\":{\"__timestamp_micros_since_unix_epoch__\":1718000000123456},\"caller_identity\":{\"__identity__\":\"" IDENTITY_HEX "\"},\"caller_connection_id\":{\"__connection_id__\":" CONN_DECIMAL "},\"reducer_call\":{\"reducer_name\":\"rename\",\"reducer_id\":3,\"args\":\"[1,\\\"Alicia\\\"]\",\"request_id\":7},\"energy_quanta_used\":{\"quanta\":1207},\"total_host_execution_duration\":{\"__time_duration_micros__\":95}}}";
static const char *const ex_light =
    "{\"TransactionUpdateLight\":{\"request_id\":7,\"update\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"[2,\\\"Bob\\\"]\"]}]}]}}}";
static const char *const ex_identity =
    "{\"IdentityToken\":{\"identity\":{\"__identity__\":\"" IDENTITY_HEX "\"},\"token\":\"eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJoZXhfaWRlbnRpdHkiOiJjMjAw…\",\"connection_id\":{\"__connection_id__\":" CONN_DECIMAL "}}}";
static const char *const ex_one_off =
    "{\"OneOffQueryResponse\":{\"message_id\":\"0a0b\",\"error\":{\"none\":[]},\"tables\":[{\"table_name\":\"person\",\"rows\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}],\"total_host_execution_duration\":{\"__time_duration_micros__\":120}}}";
static const char *const ex_sub_applied =
    "{\"SubscribeApplied\":{\"request_id\":3,\"total_host_execution_duration_micros\":250,\"query_id\":{\"id\":1},\"rows\":{\"table_id\":4096,\"table_name\":\"person\",\"table_rows\":{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}]}}}}";
static const char *const ex_unsub_applied =
    "{\"UnsubscribeApplied\":{\"request_id\":5,\"total_host_execution_duration_micros\":90,\"query_id\":{\"id\":1},\"rows\":{\"table_id\":4096,\"table_name\":\"person\",\"table_rows\":{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"],\"inserts\":[]}]}}}}";
static const char *const ex_sub_error =
    "{\"SubscriptionError\":{\"total_host_execution_duration_micros\":120,\"request_id\":{\"some\":3},\"query_id\":{\"some\":1},\"table_id\":{\"none\":[]},\"error\":\"no such table: `secret`. If the table exists, it may be marked private., executing: `SELECT * FROM secret`\"}}";
static const char *const ex_multi_applied =
    "{\"SubscribeMultiApplied\":{\"request_id\":4,\"total_host_execution_duration_micros\":410,\"query_id\":{\"id\":2},\"update\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}]}]}}}";
static const char *const ex_procedure =
    "{\"ProcedureResult\":{\"status\":{\"Returned\":\"[\\\"World\\\"]\"},\"timestamp\":{\"__timestamp_micros_since_unix_epoch__\":1718000000200000},\"total_host_execution_duration\":{\"__time_duration_micros__\":40},\"request_id\":7}}";

/* ---- helpers ------------------------------------------------------------------ */

static void expect_line(const ProtoReply *r, const char *want)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(proto_encode_reply(&sb, r), ST_OK);
    char *w = mem_alloc(strlen(want) + 2);
    assert_non_null(w);
    strcpy(w, want);
    strcat(w, "\n");
    assert_string_equal(sb.data, w);
    mem_free(w);
    strbuf_fini(&sb);
}

/* decode -> check -> encode must give the same line back. */
static void expect_round_trip(const char *line, ProtoReplyKind kind)
{
    Arena a;
    arena_init(&a);
    ProtoReply r;
    ProtoError e;
    char msg[200];
    Status st = proto_decode_reply(&a, line, strlen(line), &r, &e);
    if (st != ST_OK)
        print_error("%s\n  %s\n", line, e.msg);
    assert_int_equal(st, ST_OK);
    assert_int_equal(r.kind, kind);
    assert_int_equal(proto_reply_check(&r, msg, sizeof msg), ST_OK);
    expect_line(&r, line);
    arena_fini(&a);
}

static void expect_reply_error(const char *line, const char *msg)
{
    Arena a;
    arena_init(&a);
    ProtoReply r;
    ProtoError e;
    assert_int_equal(proto_decode_reply(&a, line, strlen(line), &r, &e), ST_INVALID);
    assert_string_equal(e.msg, msg);
    arena_fini(&a);
}

static Identity doc_identity(void)
{
    Identity id;
    assert_int_equal(identity_parse_u256(IDENTITY_HEX, strlen(IDENTITY_HEX), &id, NULL), ST_OK);
    return id;
}

static ConnectionId doc_conn(void)
{
    ConnectionId c;
    assert_int_equal(identity_conn_parse_decimal(CONN_DECIMAL, strlen(CONN_DECIMAL), &c, NULL),
                     ST_OK);
    return c;
}

/* The rows and tables the examples share. */
#define S(lit) {lit, sizeof(lit) - 1}
static const ProtoStr alice_obj[] = {S("{\"id\":1,\"name\":\"Alice\"}")};
static const ProtoStr alice_arr[] = {S("[1,\"Alice\"]")};
static const ProtoStr alicia_arr[] = {S("[1,\"Alicia\"]")};
static const ProtoStr bob_arr[] = {S("[2,\"Bob\"]")};

static ProtoTableUpdate person(const ProtoQueryUpdate *qu)
{
    ProtoTableUpdate t = {.table_id = 4096, .table_name = proto_str("person"),
                          .updates = {qu, 1}};
    return t;
}

/* ---- building every §4.2 example from structs --------------------------------- */

static void test_reply_identity_and_transaction(void **state)
{
    (void)state;
    Identity id = doc_identity();
    ConnectionId conn = doc_conn();
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(proto_encode_identity_token(
                         &sb, &id, "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJoZXhfaWRlbnRpdHkiOiJjMjAw…",
                         &conn),
                     ST_OK);
    assert_memory_equal(sb.data, ex_identity, strlen(ex_identity));
    assert_string_equal(sb.data + strlen(ex_identity), "\n");
    strbuf_fini(&sb);

    ProtoQueryUpdate qu = {.deletes = {alice_arr, 1}, .inserts = {alicia_arr, 1}};
    ProtoTableUpdate t = person(&qu);
    ProtoReply tx = {
        .kind = PROTO_REPLY_TRANSACTION_UPDATE,
        .status = {.kind = PROTO_STATUS_COMMITTED, .committed = {.tables = {&t, 1}}},
        .timestamp_us = 1718000000123456,
        .identity = id,
        .connection_id = conn,
        .reducer_call = {proto_str("rename"), 3, proto_str("[1,\"Alicia\"]"), 7},
        .energy_quanta = 1207,
        .duration_us = 95,
    };
    expect_line(&tx, ex_tx);   /* num_rows 2 is computed */

    ProtoQueryUpdate ins = {.inserts = {bob_arr, 1}};
    ProtoTableUpdate tb = person(&ins);
    ProtoReply light = {.kind = PROTO_REPLY_TRANSACTION_UPDATE_LIGHT, .request_id = 7,
                        .update = {.tables = {&tb, 1}}};
    expect_line(&light, ex_light);
}

static void test_reply_subscriptions(void **state)
{
    (void)state;
    ProtoQueryUpdate ins = {.inserts = {alice_obj, 1}};
    ProtoQueryUpdate del = {.deletes = {alice_obj, 1}};
    ProtoTableUpdate ti = person(&ins), td = person(&del);
    ProtoReply initial = {.kind = PROTO_REPLY_INITIAL_SUBSCRIPTION, .request_id = 2,
                          .update = {.tables = {&ti, 1}}, .duration_us = 311};
    expect_line(&initial, ex_initial);
    ProtoReply applied = {.kind = PROTO_REPLY_SUBSCRIBE_APPLIED, .request_id = 3,
                          .duration_us = 250, .query_id = 1, .rows = ti};
    expect_line(&applied, ex_sub_applied);
    ProtoReply unapplied = {.kind = PROTO_REPLY_UNSUBSCRIBE_APPLIED, .request_id = 5,
                            .duration_us = 90, .query_id = 1, .rows = td};
    expect_line(&unapplied, ex_unsub_applied);
    ProtoReply multi = {.kind = PROTO_REPLY_SUBSCRIBE_MULTI_APPLIED, .request_id = 4,
                        .duration_us = 410, .query_id = 2, .update = {.tables = {&ti, 1}}};
    expect_line(&multi, ex_multi_applied);
    ProtoReply err = {
        .kind = PROTO_REPLY_SUBSCRIPTION_ERROR, .duration_us = 120,
        .opt_request_id = {true, 3}, .opt_query_id = {true, 1},
        .error = proto_str("no such table: `secret`. If the table exists, it may be marked "
                           "private., executing: `SELECT * FROM secret`")};
    expect_line(&err, ex_sub_error);
    /* an empty table still has its one QueryUpdate (checklist item 4) */
    ProtoQueryUpdate none = {{NULL, 0}, {NULL, 0}};
    ProtoReply empty = {.kind = PROTO_REPLY_UNSUBSCRIBE_MULTI_APPLIED, .request_id = 6,
                        .query_id = 2, .rows = person(&none)};
    expect_line(&empty, "{\"UnsubscribeMultiApplied\":{\"request_id\":6,"
                        "\"total_host_execution_duration_micros\":0,\"query_id\":{\"id\":2},"
                        "\"update\":{\"tables\":[]}}}");
    applied.rows = person(&none);
    applied.duration_us = 0;
    expect_line(&applied, "{\"SubscribeApplied\":{\"request_id\":3,"
                          "\"total_host_execution_duration_micros\":0,\"query_id\":{\"id\":1},"
                          "\"rows\":{\"table_id\":4096,\"table_name\":\"person\",\"table_rows\":"
                          "{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":0,"
                          "\"updates\":[{\"deletes\":[],\"inserts\":[]}]}}}}");
}

static void test_reply_query_and_procedure(void **state)
{
    (void)state;
    static const uint8_t id[] = {0x0a, 0x0b};
    ProtoOneOffTable t = {proto_str("person"), {alice_obj, 1}};
    ProtoReply q = {.kind = PROTO_REPLY_ONE_OFF_QUERY_RESPONSE, .message_id = {id, 2},
                    .tables = {&t, 1}, .duration_us = 120};
    expect_line(&q, ex_one_off);
    ProtoReply qe = {.kind = PROTO_REPLY_ONE_OFF_QUERY_RESPONSE, .message_id = {id, 1},
                     .error = proto_str("no such table: `x`")};
    expect_line(&qe, "{\"OneOffQueryResponse\":{\"message_id\":\"0a\",\"error\":{\"some\":"
                     "\"no such table: `x`\"},\"tables\":[],\"total_host_execution_duration\":"
                     "{\"__time_duration_micros__\":0}}}");
    ProtoReply p = {.kind = PROTO_REPLY_PROCEDURE_RESULT,
                    .status = {.kind = PROTO_STATUS_RETURNED, .text = proto_str("[\"World\"]")},
                    .timestamp_us = 1718000000200000, .duration_us = 40, .request_id = 7};
    expect_line(&p, ex_procedure);
    p.status.kind = PROTO_STATUS_OUT_OF_ENERGY;
    expect_line(&p, "{\"ProcedureResult\":{\"status\":{\"OutOfEnergy\":[]},\"timestamp\":"
                    "{\"__timestamp_micros_since_unix_epoch__\":1718000000200000},"
                    "\"total_host_execution_duration\":{\"__time_duration_micros__\":40},"
                    "\"request_id\":7}}");
    p.status = (ProtoStatus){.kind = PROTO_STATUS_INTERNAL_ERROR, .text = proto_str("boom")};
    expect_line(&p, "{\"ProcedureResult\":{\"status\":{\"InternalError\":\"boom\"},\"timestamp\":"
                    "{\"__timestamp_micros_since_unix_epoch__\":1718000000200000},"
                    "\"total_host_execution_duration\":{\"__time_duration_micros__\":40},"
                    "\"request_id\":7}}");
}

/* Failed and OutOfEnergy, and the answer to an unknown reducer (§7). */
static void test_reply_failures(void **state)
{
    (void)state;
    ProtoReply r = {
        .kind = PROTO_REPLY_TRANSACTION_UPDATE,
        .status = {.kind = PROTO_STATUS_FAILED, .text = proto_str("no such reducer")},
        .timestamp_us = 1, .identity = doc_identity(),
        .reducer_call = {proto_str("nope"), PROTO_NO_REDUCER_ID, proto_str("[]"), 0},
    };
    const char *tail = ",\"timestamp\":{\"__timestamp_micros_since_unix_epoch__\":1},"
                       "\"caller_identity\":{\"__identity__\":\"" IDENTITY_HEX "\"},"
                       "\"caller_connection_id\":{\"__connection_id__\":0},"
                       "\"reducer_call\":{\"reducer_name\":\"nope\",\"reducer_id\":4294967295,"
                       "\"args\":\"[]\",\"request_id\":0},\"energy_quanta_used\":{\"quanta\":0},"
                       "\"total_host_execution_duration\":{\"__time_duration_micros__\":0}}}";
    char want[1024];
    snprintf(want, sizeof want, "{\"TransactionUpdate\":{\"status\":{\"Failed\":\"no such reducer\"}%s",
             tail);
    expect_line(&r, want);
    r.status.kind = PROTO_STATUS_OUT_OF_ENERGY;
    snprintf(want, sizeof want, "{\"TransactionUpdate\":{\"status\":{\"OutOfEnergy\":[]}%s", tail);
    expect_line(&r, want);
    r.status.kind = PROTO_STATUS_COMMITTED;   /* a caller that matched nothing */
    snprintf(want, sizeof want, "{\"TransactionUpdate\":{\"status\":{\"Committed\":{\"tables\":[]}}%s",
             tail);
    expect_line(&r, want);
}

/* ---- tinystdb's answers --------------------------------------------------------- */

static void test_reply_admin(void **state)
{
    (void)state;
    ProtoReply pub = {.kind = PROTO_REPLY_PUBLISHED, .name = proto_str("chat"),
                      .identity = doc_identity(), .op = proto_str("created")};
    expect_line(&pub, "{\"Published\":{\"name\":\"chat\",\"database_identity\":{\"__identity__\":\""
                      IDENTITY_HEX "\"},\"op\":\"created\"}}");
    ProtoReply del = {.kind = PROTO_REPLY_DATABASE_DELETED, .name = proto_str("chat")};
    expect_line(&del, "{\"DatabaseDeleted\":{\"name\":\"chat\"}}");
    /* records come in as NDJSON (a log file's tail): blank lines skipped */
    ProtoReply logs = {.kind = PROTO_REPLY_LOGS, .name = proto_str("chat"),
                       .json = proto_str("{\"level\":\"Info\",\"ts\":1,\"message\":\"hi\"}\n\n"
                                         "{ \"level\" : \"Error\", \"ts\" : 2, \"message\" : \"x\" }\n")};
    expect_line(&logs, "{\"Logs\":{\"name\":\"chat\",\"records\":[{\"level\":\"Info\",\"ts\":1,"
                       "\"message\":\"hi\"},{\"level\":\"Error\",\"ts\":2,\"message\":\"x\"}]}}");
    logs.json = proto_str("");
    expect_line(&logs, "{\"Logs\":{\"name\":\"chat\",\"records\":[]}}");
    ProtoReply rec = {.kind = PROTO_REPLY_LOG_RECORD, .name = proto_str("chat"),
                      .json = proto_str("{\"level\":\"Debug\",\"ts\":3,\"message\":\"m\"}")};
    expect_line(&rec, "{\"LogRecord\":{\"name\":\"chat\",\"record\":{\"level\":\"Debug\",\"ts\":3,"
                      "\"message\":\"m\"}}}");
    /* a pretty-printed schema is written on one line */
    ProtoReply d = {.kind = PROTO_REPLY_DESCRIPTION, .name = proto_str("chat"),
                    .json = proto_str("{\n  \"tables\": [\n    {\"name\": \"person\"}\n  ],\n"
                                      "  \"reducers\": []\n}\n"),
                    .text = proto_str("database chat\n")};
    expect_line(&d, "{\"Description\":{\"name\":\"chat\",\"schema\":{\"tables\":[{\"name\":"
                    "\"person\"}],\"reducers\":[]},\"text\":\"database chat\\n\"}}");
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(proto_encode_error(&sb, "unknown message type Foo"), ST_OK);
    assert_string_equal(sb.data, "{\"error\":\"unknown message type Foo\"}\n");
    strbuf_fini(&sb);
    /* every one of them decodes back to the same line */
    expect_round_trip("{\"Published\":{\"name\":\"chat\",\"database_identity\":{\"__identity__\":\"0x1\"},"
                      "\"op\":\"updated\"}}",
                      PROTO_REPLY_PUBLISHED);
    expect_round_trip("{\"DatabaseDeleted\":{\"name\":\"chat\"}}", PROTO_REPLY_DATABASE_DELETED);
    expect_round_trip("{\"Logs\":{\"name\":\"chat\",\"records\":[{\"a\":1},[2],\"three\"]}}",
                      PROTO_REPLY_LOGS);
    expect_round_trip("{\"LogRecord\":{\"name\":\"chat\",\"record\":{\"a\":[1,{}]}}}",
                      PROTO_REPLY_LOG_RECORD);
    expect_round_trip("{\"Description\":{\"name\":\"chat\",\"schema\":{\"tables\":[]},\"text\":\"t\"}}",
                      PROTO_REPLY_DESCRIPTION);
    expect_round_trip("{\"error\":\"line too long\"}", PROTO_REPLY_ERROR);
}

/* ---- the encoder's promises ---------------------------------------------------- */

static void test_reply_one_line_and_lossy(void **state)
{
    (void)state;
    /* a module's message with a newline, a quote and a byte that is not UTF-8 */
    ProtoReply r = {.kind = PROTO_REPLY_ERROR, .error = proto_str("bad \xff\"byte\"\nnext \xe2\x82")};
    expect_line(&r, "{\"error\":\"bad \xef\xbf\xbd\\\"byte\\\"\\nnext \xef\xbf\xbd\xef\xbf\xbd\"}");
    /* a zeroed required string is "" */
    ProtoReply z = {.kind = PROTO_REPLY_ERROR};
    expect_line(&z, "{\"error\":\"\"}");
}

static void test_reply_encode_failure_leaves_nothing(void **state)
{
    (void)state;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_puts(&sb, "kept\n"), ST_OK);
    ProtoReply d = {.kind = PROTO_REPLY_DESCRIPTION, .name = proto_str("chat"),
                    .json = proto_str("{\"tables\": [")};
    assert_int_equal(proto_encode_reply(&sb, &d), ST_INVALID);
    assert_string_equal(sb.data, "kept\n");
    ProtoReply l = {.kind = PROTO_REPLY_LOGS, .name = proto_str("chat"), .json = proto_str("{}\nnot json\n")};
    assert_int_equal(proto_encode_reply(&sb, &l), ST_INVALID);
    assert_string_equal(sb.data, "kept\n");
    ProtoReply bad = {.kind = PROTO_REPLY__COUNT};
    assert_int_equal(proto_encode_reply(&sb, &bad), ST_ARG);
    /* out of memory at every point of a big line */
    ProtoQueryUpdate qu = {.deletes = {alice_arr, 1}, .inserts = {alicia_arr, 1}};
    ProtoTableUpdate t = person(&qu);
    ProtoReply tx = {.kind = PROTO_REPLY_TRANSACTION_UPDATE,
                     .status = {.kind = PROTO_STATUS_COMMITTED, .committed = {.tables = {&t, 1}}},
                     .reducer_call = {proto_str("rename"), 3, proto_str("[]"), 7}};
    bool saw_nomem = false, saw_ok = false;
    for (long n = 0; n < 60 && !saw_ok; n++) {
        StrBuf big;
        strbuf_init(&big);
        assert_int_equal(strbuf_puts(&big, "kept\n"), ST_OK);
        mem_fail_after(n);
        Status st = proto_encode_reply(&big, &tx);
        mem_fail_after(-1);
        assert_true(st == ST_OK || st == ST_NOMEM);
        if (st == ST_NOMEM)
            assert_string_equal(big.data, "kept\n");
        saw_nomem |= st == ST_NOMEM;
        saw_ok |= st == ST_OK;
        strbuf_fini(&big);
    }
    assert_true(saw_nomem && saw_ok);
    strbuf_fini(&sb);
}

/* ---- decoding what a server sent (the client side) ----------------------------- */

static void test_reply_doc_round_trips(void **state)
{
    (void)state;
    expect_round_trip(ex_initial, PROTO_REPLY_INITIAL_SUBSCRIPTION);
    expect_round_trip(ex_tx, PROTO_REPLY_TRANSACTION_UPDATE);
    expect_round_trip(ex_light, PROTO_REPLY_TRANSACTION_UPDATE_LIGHT);
    expect_round_trip(ex_identity, PROTO_REPLY_IDENTITY_TOKEN);
    expect_round_trip(ex_one_off, PROTO_REPLY_ONE_OFF_QUERY_RESPONSE);
    expect_round_trip(ex_sub_applied, PROTO_REPLY_SUBSCRIBE_APPLIED);
    expect_round_trip(ex_unsub_applied, PROTO_REPLY_UNSUBSCRIBE_APPLIED);
    expect_round_trip(ex_sub_error, PROTO_REPLY_SUBSCRIPTION_ERROR);
    expect_round_trip(ex_multi_applied, PROTO_REPLY_SUBSCRIBE_MULTI_APPLIED);
    expect_round_trip(ex_procedure, PROTO_REPLY_PROCEDURE_RESULT);
    /* the fields land where the header says */
    Arena a;
    arena_init(&a);
    ProtoReply r;
    assert_int_equal(proto_decode_reply(&a, ex_tx, strlen(ex_tx), &r, NULL), ST_OK);
    assert_int_equal(r.status.kind, PROTO_STATUS_COMMITTED);
    assert_int_equal(r.status.committed.tables.len, 1);
    const ProtoTableUpdate *t = &r.status.committed.tables.items[0];
    assert_int_equal(t->table_id, 4096);
    assert_string_equal(t->updates.items[0].inserts.items[0].s, "[1,\"Alicia\"]");
    assert_int_equal(r.timestamp_us, 1718000000123456);
    Identity id = doc_identity();
    ConnectionId conn = doc_conn();
    assert_true(identity_equal(&r.identity, &id));
    assert_true(identity_conn_equal(&r.connection_id, &conn));
    assert_string_equal(r.reducer_call.reducer_name.s, "rename");
    assert_int_equal(r.reducer_call.request_id, 7);
    assert_int_equal(r.energy_quanta, 1207);
    assert_int_equal(r.duration_us, 95);
    assert_int_equal(proto_decode_reply(&a, ex_sub_error, strlen(ex_sub_error), &r, NULL), ST_OK);
    assert_true(r.opt_request_id.present && r.opt_request_id.value == 3);
    assert_false(r.opt_table_id.present);
    /* SATS-JSON's other spellings: bare null for none, [tag, payload] */
    const char *alt = "[7,{\"total_host_execution_duration_micros\":1,\"request_id\":null,"
                      "\"query_id\":[0,9],\"table_id\":{\"1\":[]},\"error\":\"e\"}]";
    assert_int_equal(proto_decode_reply(&a, alt, strlen(alt), &r, NULL), ST_OK);
    assert_int_equal(r.kind, PROTO_REPLY_SUBSCRIPTION_ERROR);
    assert_false(r.opt_request_id.present);
    assert_true(r.opt_query_id.present && r.opt_query_id.value == 9);
    arena_fini(&a);
}

static void test_reply_decode_errors(void **state)
{
    (void)state;
    expect_reply_error("{\"TransactionUpdate\":{\"status\":{\"Done\":[]}}}",
                       "TransactionUpdate.status: unknown variant `Done`");
    expect_reply_error("{\"TransactionUpdate\":{\"status\":{\"Returned\":\"[]\"}}}",
                       "TransactionUpdate.status: unknown variant `Returned`");
    expect_reply_error("{\"TransactionUpdate\":{\"status\":{\"OutOfEnergy\":1}}}",
                       "TransactionUpdate.status.OutOfEnergy: expected [], got 1");
    expect_reply_error("{\"TransactionUpdate\":{\"status\":{\"Committed\":{\"tables\":[{\"table_id\":1,"
                       "\"table_name\":\"t\",\"num_rows\":\"1\",\"updates\":[]}]}}}}",
                       "TransactionUpdate.status.Committed.tables[0].num_rows: expected u64, got string");
    expect_reply_error("{\"TransactionUpdate\":{\"status\":{\"Committed\":{\"tables\":[{\"table_id\":1,"
                       "\"table_name\":\"t\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[1]}]}]}}}}",
                       "TransactionUpdate.status.Committed.tables[0].updates[0].inserts[0]: "
                       "expected string, got 1");
    expect_reply_error("{\"IdentityToken\":{\"identity\":\"0x1\",\"token\":\"t\",\"connection_id\":{\"__connection_id__\":1}}}",
                       "IdentityToken.identity: expected {\"__identity__\": \"0x...\"}, got string");
    expect_reply_error("{\"IdentityToken\":{\"identity\":{\"__identity__\":1},\"token\":\"t\",\"connection_id\":{\"__connection_id__\":1}}}",
                       "IdentityToken.identity.__identity__: expected u256 string \"0x...\", got 1");
    expect_reply_error("{\"IdentityToken\":{\"identity\":{\"__identity__\":\"0x1\"},\"token\":\"t\",\"connection_id\":{\"__connection_id__\":-1}}}",
                       "IdentityToken.connection_id.__connection_id__: expected u128, got -1");
    expect_reply_error("{\"SubscriptionError\":{\"total_host_execution_duration_micros\":1,\"request_id\":3,"
                       "\"query_id\":null,\"table_id\":null,\"error\":\"e\"}}",
                       "SubscriptionError.request_id: expected {\"some\": u32} or {\"none\": []}, got 3");
    expect_reply_error("{\"SubscriptionError\":{\"total_host_execution_duration_micros\":1,\"request_id\":{\"maybe\":3},"
                       "\"query_id\":null,\"table_id\":null,\"error\":\"e\"}}",
                       "SubscriptionError.request_id: unknown variant `maybe`");
    expect_reply_error("{\"error\":7}", "error: expected string, got 7");
    expect_reply_error("{\"Welcome\":{}}", "unknown message type Welcome");
}

static void test_reply_check_catches(void **state)
{
    (void)state;
    char msg[200];
    ProtoReply r = {.kind = PROTO_REPLY_TRANSACTION_UPDATE,
                    .status = {.kind = PROTO_STATUS_RETURNED, .text = proto_str("[]")}};
    assert_int_equal(proto_reply_check(&r, msg, sizeof msg), ST_INVALID);
    assert_string_equal(msg, "status: not a transaction status");
    r.status.kind = PROTO_STATUS_COMMITTED;
    r.status.committed.tables.len = 1;   /* items missing */
    assert_int_equal(proto_reply_check(&r, msg, sizeof msg), ST_INVALID);
    assert_string_equal(msg, "tables: items missing");
    r.status.committed.tables.len = 0;
    r.reducer_call = (ProtoReducerCall){proto_str("r"), 0, proto_str("[]"), 0};
    assert_int_equal(proto_reply_check(&r, msg, sizeof msg), ST_OK);
    ProtoReply p = {.kind = PROTO_REPLY_PROCEDURE_RESULT,
                    .status = {.kind = PROTO_STATUS_FAILED, .text = proto_str("x")}};
    assert_int_equal(proto_reply_check(&p, msg, sizeof msg), ST_INVALID);
    assert_string_equal(proto_reply_name(PROTO_REPLY_ERROR), "error");
    assert_string_equal(proto_reply_name(PROTO_REPLY_TRANSACTION_UPDATE), "TransactionUpdate");
}

static void test_reply_mutations(void **state)
{
    (void)state;
    const char *const lines[] = {ex_tx, ex_identity, ex_sub_error, ex_one_off, ex_procedure};
    uint32_t rng = 777;
    char buf[1024];
    Arena a;
    arena_init(&a);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t len = strlen(lines[i]);
        assert_true(len < sizeof buf);
        for (int round = 0; round < 500; round++) {
            memcpy(buf, lines[i], len);
            size_t cut = round % 5 == 0 ? (rng = rng * 1103515245u + 12345u) >> 8 : len;
            cut %= len + 1;
            rng = rng * 1103515245u + 12345u;
            buf[(rng >> 8) % len] = "{}[]\",:0-9\\ \xff\0x"[(rng >> 20) % 16];
            ProtoReply r;
            ProtoError e = {{0}};
            char msg[200];
            if (proto_decode_reply(&a, buf, cut, &r, &e) == ST_OK) {
                assert_int_equal(proto_reply_check(&r, msg, sizeof msg), ST_OK);
                StrBuf sb;
                strbuf_init(&sb);
                assert_int_equal(proto_encode_reply(&sb, &r), ST_OK);
                strbuf_fini(&sb);
            } else {
                assert_true(e.msg[0] != '\0');
            }
            arena_reset(&a);
        }
    }
    arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reply_identity_and_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_subscriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_query_and_procedure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_one_line_and_lossy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_encode_failure_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_doc_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_decode_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_check_catches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_mutations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
