/*
 * test_sats_json_msgs.c - SATS-JSON on whole messages: every documented
 * example of client-protocol.md sections 3 and 4 must survive text ->
 * BSATN -> text byte for byte (with the message types built by hand),
 * the real module's reducer arguments (register_player,
 * update_player_input) convert from arrays and objects with exact error
 * messages, and allocation failures are clean.
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "host/sats_json.h"
#include "sats_json_util.h"
#include "util/alloc.h"

/* ---- the documented protocol messages ------------------------------------ */

static const AlgType *server_message_t(void)
{
    const AlgType *query_id = prod(1, "id", P(U32));
    const AlgType *query_update = prod(2, "deletes", arr(P(STRING)), "inserts", arr(P(STRING)));
    const AlgType *table_update = ref_to(prod(4, "table_id", P(U32), "table_name", P(STRING),
                                              "num_rows", P(U64), "updates", arr(query_update)));
    const AlgType *db_update = ref_to(prod(1, "tables", arr(table_update)));
    const AlgType *status = sum(3, "Committed", db_update, "Failed", P(STRING),
                                "OutOfEnergy", alg_unit());
    const AlgType *call_info = prod(4, "reducer_name", P(STRING), "reducer_id", P(U32),
                                    "args", P(STRING), "request_id", P(U32));
    const AlgType *sub_rows = prod(3, "table_id", P(U32), "table_name", P(STRING),
                                   "table_rows", table_update);
    const AlgType *applied = prod(4, "request_id", P(U32), "total_host_execution_duration_micros",
                                  P(U64), "query_id", query_id, "rows", sub_rows);
    const AlgType *multi = prod(4, "request_id", P(U32), "total_host_execution_duration_micros",
                                P(U64), "query_id", query_id, "update", db_update);
    const AlgType *proc_status = sum(3, "Returned", P(STRING), "OutOfEnergy", alg_unit(),
                                     "InternalError", P(STRING));
    return sum(11,
        "InitialSubscription", prod(3, "database_update", db_update, "request_id", P(U32),
                                    "total_host_execution_duration", duration_t()),
        "TransactionUpdate", prod(7, "status", status, "timestamp", timestamp_t(),
                                  "caller_identity", identity_t(), "caller_connection_id",
                                  connid_t(), "reducer_call", call_info, "energy_quanta_used",
                                  prod(1, "quanta", P(U128)), "total_host_execution_duration",
                                  duration_t()),
        "TransactionUpdateLight", prod(2, "request_id", P(U32), "update", db_update),
        "IdentityToken", prod(3, "identity", identity_t(), "token", P(STRING), "connection_id",
                              connid_t()),
        "OneOffQueryResponse", prod(4, "message_id", arr(P(U8)), "error", opt(P(STRING)),
                                    "tables", arr(prod(2, "table_name", P(STRING), "rows",
                                                       arr(P(STRING)))),
                                    "total_host_execution_duration", duration_t()),
        "SubscribeApplied", applied,
        "UnsubscribeApplied", applied,
        "SubscriptionError", prod(5, "total_host_execution_duration_micros", P(U64),
                                  "request_id", opt(P(U32)), "query_id", opt(P(U32)),
                                  "table_id", opt(P(U32)), "error", P(STRING)),
        "SubscribeMultiApplied", multi,
        "UnsubscribeMultiApplied", multi,
        "ProcedureResult", prod(4, "status", proc_status, "timestamp", timestamp_t(),
                                "total_host_execution_duration", duration_t(),
                                "request_id", P(U32)));
}

static const AlgType *client_message_t(void)
{
    const AlgType *query_id = prod(1, "id", P(U32));
    return sum(8,
        "CallReducer", prod(4, "reducer", P(STRING), "args", P(STRING), "request_id", P(U32),
                            "flags", P(U8)),
        "Subscribe", prod(2, "query_strings", arr(P(STRING)), "request_id", P(U32)),
        "OneOffQuery", prod(2, "message_id", arr(P(U8)), "query_string", P(STRING)),
        "SubscribeSingle", prod(3, "query", P(STRING), "request_id", P(U32), "query_id", query_id),
        "SubscribeMulti", prod(3, "query_strings", arr(P(STRING)), "request_id", P(U32),
                               "query_id", query_id),
        "Unsubscribe", prod(2, "request_id", P(U32), "query_id", query_id),
        "UnsubscribeMulti", prod(2, "request_id", P(U32), "query_id", query_id),
        "CallProcedure", prod(4, "procedure", P(STRING), "args", P(STRING), "request_id", P(U32),
                              "flags", P(U8)));
}

/* The examples of client-protocol.md sections 3 and 4, verbatim. */
static const char *const client_examples[] = {
    "{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[\\\"Alice\\\"]\",\"request_id\":1,\"flags\":0}}",
    "{\"Subscribe\":{\"query_strings\":[\"SELECT * FROM person\"],\"request_id\":2}}",
    "{\"OneOffQuery\":{\"message_id\":\"0a0b\",\"query_string\":\"SELECT * FROM person WHERE id = 1\"}}",
    "{\"SubscribeSingle\":{\"query\":\"SELECT * FROM person\",\"request_id\":3,\"query_id\":{\"id\":1}}}",
    "{\"SubscribeMulti\":{\"query_strings\":[\"SELECT * FROM person\",\"SELECT * FROM message\"],\"request_id\":4,\"query_id\":{\"id\":2}}}",
    "{\"Unsubscribe\":{\"request_id\":5,\"query_id\":{\"id\":1}}}",
    "{\"UnsubscribeMulti\":{\"request_id\":6,\"query_id\":{\"id\":2}}}",
    "{\"CallProcedure\":{\"procedure\":\"return_person\",\"args\":\"[]\",\"request_id\":7,\"flags\":0}}",
};

static const char *const server_examples[] = {
    "{\"IdentityToken\":{\"identity\":{\"__identity__\":\"0xc2001a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7\"},\"token\":\"eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJoZXhfaWRlbnRpdHkiOiJjMjAw\xE2\x80\xA6\",\"connection_id\":{\"__connection_id__\":99146521849321058726154437911617354023}}}",
    "{\"InitialSubscription\":{\"database_update\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}]}]},\"request_id\":2,\"total_host_execution_duration\":{\"__time_duration_micros__\":311}}}",
    "{\"TransactionUpdate\":{\"status\":{\"Committed\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":2,\"updates\":[{\"deletes\":[\"[1,\\\"Alice\\\"]\"],\"inserts\":[\"[1,\\\"Alicia\\\"]\"]}]}]}},\"timestamp\":{\"__timestamp_micros_since_unix_epoch__\":1718000000123456},\"caller_identity\":{\"__identity__\":\"0xc2001a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7\"},\"caller_connection_id\":{\"__connection_id__\":99146521849321058726154437911617354023},\"reducer_call\":{\"reducer_name\":\"rename\",\"reducer_id\":3,\"args\":\"[1,\\\"Alicia\\\"]\",\"request_id\":7},\"energy_quanta_used\":{\"quanta\":1207},\"total_host_execution_duration\":{\"__time_duration_micros__\":95}}}",
    "{\"TransactionUpdate\":{\"status\":{\"Failed\":\"name must not be empty\"},\"timestamp\":{\"__timestamp_micros_since_unix_epoch__\":1},\"caller_identity\":{\"__identity__\":\"0x0\"},\"caller_connection_id\":{\"__connection_id__\":0},\"reducer_call\":{\"reducer_name\":\"rename\",\"reducer_id\":3,\"args\":\"[]\",\"request_id\":7},\"energy_quanta_used\":{\"quanta\":0},\"total_host_execution_duration\":{\"__time_duration_micros__\":0}}}",
    "{\"TransactionUpdateLight\":{\"request_id\":7,\"update\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"[2,\\\"Bob\\\"]\"]}]}]}}}",
    "{\"SubscribeApplied\":{\"request_id\":3,\"total_host_execution_duration_micros\":250,\"query_id\":{\"id\":1},\"rows\":{\"table_id\":4096,\"table_name\":\"person\",\"table_rows\":{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}]}}}}",
    "{\"UnsubscribeApplied\":{\"request_id\":5,\"total_host_execution_duration_micros\":90,\"query_id\":{\"id\":1},\"rows\":{\"table_id\":4096,\"table_name\":\"person\",\"table_rows\":{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"],\"inserts\":[]}]}}}}",
    "{\"SubscriptionError\":{\"total_host_execution_duration_micros\":120,\"request_id\":{\"some\":3},\"query_id\":{\"some\":1},\"table_id\":{\"none\":[]},\"error\":\"no such table: `secret`. If the table exists, it may be marked private., executing: `SELECT * FROM secret`\"}}",
    "{\"SubscribeMultiApplied\":{\"request_id\":4,\"total_host_execution_duration_micros\":410,\"query_id\":{\"id\":2},\"update\":{\"tables\":[{\"table_id\":4096,\"table_name\":\"person\",\"num_rows\":1,\"updates\":[{\"deletes\":[],\"inserts\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}]}]}}}",
    "{\"OneOffQueryResponse\":{\"message_id\":\"0a0b\",\"error\":{\"none\":[]},\"tables\":[{\"table_name\":\"person\",\"rows\":[\"{\\\"id\\\":1,\\\"name\\\":\\\"Alice\\\"}\"]}],\"total_host_execution_duration\":{\"__time_duration_micros__\":120}}}",
    "{\"ProcedureResult\":{\"status\":{\"Returned\":\"[\\\"World\\\"]\"},\"timestamp\":{\"__timestamp_micros_since_unix_epoch__\":1718000000200000},\"total_host_execution_duration\":{\"__time_duration_micros__\":40},\"request_id\":7}}",
};

/* text -> BSATN -> text gives the same bytes, so both directions agree
 * with the server on every documented message. */
static void round_trip_text(const AlgType *t, const char *text)
{
    StrBuf b;
    strbuf_init(&b);
    if (sats_json_text_to_bsatn(&ts, t, text, strlen(text), &b, &err) != ST_OK)
        fail_msg("%s: %s", text, err.msg);
    strbuf_clear(&out);
    assert_int_equal(sats_json_from_bsatn(&ts, t, (const uint8_t *)b.data, b.len, NULL,
                                          SATS_JSON_NAMED, &out, &err), ST_OK);
    assert_string_equal(out.data, text);
    strbuf_fini(&b);
}

static void test_sats_json_doc_messages(void **state)
{
    (void)state;
    const AlgType *cm = client_message_t(), *sm = server_message_t();
    for (size_t i = 0; i < sizeof client_examples / sizeof *client_examples; i++)
        round_trip_text(cm, client_examples[i]);
    for (size_t i = 0; i < sizeof server_examples / sizeof *server_examples; i++)
        round_trip_text(sm, server_examples[i]);
    /* the positional sum form decodes to the same bytes as the named one */
    StrBuf a, b;
    strbuf_init(&a);
    strbuf_init(&b);
    const char *pos = "[0,{\"reducer\":\"add\",\"args\":\"[\\\"Alice\\\"]\",\"request_id\":1,\"flags\":0}]";
    assert_int_equal(sats_json_text_to_bsatn(&ts, cm, client_examples[0],
                                             strlen(client_examples[0]), &a, &err), ST_OK);
    assert_int_equal(sats_json_text_to_bsatn(&ts, cm, pos, strlen(pos), &b, &err), ST_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    strbuf_fini(&a);
    strbuf_fini(&b);
}

/* ---- reducer arguments (the real module's shapes, MANIFEST.md) ----------- */

static void check_args(const AlgType *params, const char *json, const char *hex)
{
    uint8_t b[512];
    size_t n = unhex(hex, b);
    strbuf_clear(&out);
    if (sats_json_args_to_bsatn(&ts, params, json, strlen(json), &out, &err) != ST_OK)
        fail_msg("args %s: %s", json, err.msg);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, b, n);
}

static void check_args_err(const AlgType *params, const char *json, Status want, const char *msg)
{
    strbuf_clear(&out);
    assert_int_equal(sats_json_args_to_bsatn(&ts, params, json, strlen(json), &out, &err), want);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    assert_string_equal(err.msg, msg);
    assert_int_equal(out.len, 0);
}

static void test_sats_json_args_register_player(void **state)
{
    (void)state;
    const AlgType *params = prod(2, "username", P(STRING), "character_class", P(STRING));
    const char *bytes = "05000000616c696365" "0700000077617272696f72";
    check_args(params, "[\"alice\",\"warrior\"]", bytes);
    check_args(params, "{\"character_class\":\"warrior\",\"username\":\"alice\"}", bytes);
    check_args(ref_to(params), " [ \"alice\" , \"warrior\" ] ", bytes);
    check_args_err(params, "[\"alice\",7]", ST_INVALID,
                   "argument 2 (character_class): expected String, got number 7");
    check_args_err(params, "[\"alice\"]", ST_INVALID, "expected 2 arguments, got 1");
    check_args_err(params, "{\"username\":\"alice\"}", ST_INVALID,
                   "missing argument `character_class`");
    check_args_err(params, "{\"username\":\"a\",\"class\":\"b\"}", ST_INVALID,
                   "unknown argument `class`");
    check_args_err(params, "\"alice\"", ST_INVALID,
                   "arguments must be a JSON array or object, got a string");
    check_args_err(params, "[\"alice\",", ST_MALFORMED,
                   "arguments: invalid JSON at line 1 column 10: unexpected end");
    check_args_err(P(STRING), "[]", ST_INVALID, "reducer parameters are not a product type");
}

static void test_sats_json_args_update_player_input(void **state)
{
    (void)state;
    const AlgType *vector3 = ref_to(prod(3, "x", P(F32), "y", P(F32), "z", P(F32)));
    const AlgType *input = ref_to(prod(9, "forward", P(BOOL), "backward", P(BOOL), "left", P(BOOL),
                                       "right", P(BOOL), "sprint", P(BOOL), "jump", P(BOOL),
                                       "attack", P(BOOL), "cast_spell", P(BOOL),
                                       "sequence", P(U32)));
    const AlgType *params = prod(4, "input", input, "_client_pos", vector3, "client_rot", vector3,
                                 "client_animation", P(STRING));
    const char *bytes = "0100000100000000" "2a000000"      /* input */
                        "0000c03f" "00000000" "000010c0"   /* 1.5, 0, -2.25 */
                        "00000000" "0000b442" "00000000"   /* 0, 90, 0 */
                        "03000000" "72756e";               /* "run" */
    check_args(params,
               "[{\"forward\":true,\"backward\":false,\"left\":false,\"right\":true,"
               "\"sprint\":false,\"jump\":false,\"attack\":false,\"cast_spell\":false,"
               "\"sequence\":42},{\"x\":1.5,\"y\":0,\"z\":-2.25},[0,90,0],\"run\"]", bytes);
    check_args(params,
               "{\"client_animation\":\"run\",\"client_rot\":{\"z\":0,\"y\":90,\"x\":0},"
               "\"_client_pos\":[1.5,0,-2.25],\"input\":[true,false,false,true,false,false,"
               "false,false,42]}", bytes);
    check_args_err(params,
                   "[[true,false,false,true,false,false,false,false,42],[1.5,0,-2.25],"
                   "{\"x\":1e40,\"y\":0,\"z\":0},\"run\"]", ST_INVALID,
                   "argument 3 (client_rot).x: value 1e40 out of range for f32");
    check_args_err(params,
                   "[[true,false,false,true,false,false,false,false,-1],[1.5,0,-2.25],"
                   "[0,0,0],\"run\"]", ST_INVALID,
                   "argument 1 (input).sequence: value -1 out of range for u32");
    check_args_err(params, "[{\"forward\":true},[1.5,0,-2.25],[0,0,0],\"run\"]", ST_INVALID,
                   "argument 1 (input): missing field `backward`");
    /* the row comes back out as the server would write it */
    uint8_t b[256];
    size_t n = unhex(bytes, b);
    strbuf_clear(&out);
    assert_int_equal(sats_json_from_bsatn(&ts, params, b, n, NULL, SATS_JSON_NAMED, &out, &err),
                     ST_OK);
    assert_string_equal(out.data,
        "{\"input\":{\"forward\":true,\"backward\":false,\"left\":false,\"right\":true,"
        "\"sprint\":false,\"jump\":false,\"attack\":false,\"cast_spell\":false,\"sequence\":42},"
        "\"_client_pos\":{\"x\":1.5,\"y\":0.0,\"z\":-2.25},"
        "\"client_rot\":{\"x\":0.0,\"y\":90.0,\"z\":0.0},\"client_animation\":\"run\"}");
}

static void test_sats_json_nomem(void **state)
{
    (void)state;
    const AlgType *sm = server_message_t();
    const char *text = server_examples[2];
    for (long k = 0; k < 64; k++) {
        StrBuf b;
        strbuf_init(&b);
        mem_fail_after(k);
        Status st = sats_json_text_to_bsatn(&ts, sm, text, strlen(text), &b, &err);
        if (st == ST_OK) {
            StrBuf j;
            strbuf_init(&j);
            st = sats_json_from_bsatn(&ts, sm, (const uint8_t *)b.data, b.len, NULL,
                                      SATS_JSON_NAMED, &j, &err);
            if (st == ST_OK)
                assert_string_equal(j.data, text);
            strbuf_fini(&j);
        }
        mem_fail_after(-1);
        assert_true(st == ST_OK || st == ST_NOMEM);
        if (st == ST_NOMEM)
            assert_int_equal(err.code, DBE_HOST_CALL_FAILURE);
        strbuf_fini(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sats_json_doc_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_args_register_player, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_args_update_player_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sats_json_nomem, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
