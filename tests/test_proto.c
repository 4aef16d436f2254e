/*
 * test_proto.c - the client -> server half of the protocol layer
 * (src/net/proto*.c): every ClientMessage example of client-protocol.md
 * §3 decoded and re-encoded byte for byte, SpacetimeDB's other spellings
 * (positional payloads, numeric tags), tinystdb's Connect and admin
 * messages, exact error messages for hostile and broken input, base64
 * against the RFC 4648 §10 vectors, allocation failures, and a mutation
 * fuzz that must never crash.  The server -> client half is in
 * test_proto_reply.c.
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

/* ---- helpers ---------------------------------------------------------------- */

static Status decode(Arena *a, const char *line, ProtoRequest *r, ProtoError *e)
{
    e->msg[0] = '\0';
    return proto_decode_request(a, line, strlen(line), r, e);
}

/* The line must be rejected with status st and exactly this message. */
static void expect_error(const char *line, Status st, const char *msg)
{
    Arena a;
    arena_init(&a);
    ProtoRequest r;
    ProtoError e;
    Status got = decode(&a, line, &r, &e);
    if (got != st || strcmp(e.msg, msg) != 0)
        print_error("line: %s\n  want %s \"%s\"\n  got  %s \"%s\"\n", line, status_str(st), msg,
                    status_str(got), e.msg);
    assert_int_equal(got, st);
    assert_string_equal(e.msg, msg);
    arena_fini(&a);
}

/* decode(line) must succeed, pass proto_request_check, and encode back to
 * exactly `canonical` (NULL: the line itself). */
static void expect_round_trip(const char *line, const char *canonical, ProtoRequest *out,
                              Arena *a)
{
    ProtoError e;
    char msg[200];
    Status st = decode(a, line, out, &e);
    if (st != ST_OK)
        print_error("line: %s\n  error: %s\n", line, e.msg);
    assert_int_equal(st, ST_OK);
    assert_int_equal(proto_request_check(out, msg, sizeof msg), ST_OK);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(proto_encode_request(&sb, out), ST_OK);
    char want[4096];
    snprintf(want, sizeof want, "%s\n", canonical ? canonical : line);
    assert_string_equal(sb.data, want);
    strbuf_fini(&sb);
}

static bool str_is(ProtoStr s, const char *want)
{
    return s.s && s.len == strlen(want) && memcmp(s.s, want, s.len) == 0;
}

/* ---- the examples of client-protocol.md §3 ----------------------------------- */

static const char *const doc_examples[] = {
    "{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[\\\"Alice\\\"]\",\"request_id\":1,\"flags\":0}}",
    "{\"Subscribe\":{\"query_strings\":[\"SELECT * FROM person\"],\"request_id\":2}}",
    "{\"OneOffQuery\":{\"message_id\":\"0a0b\",\"query_string\":\"SELECT * FROM person WHERE id = 1\"}}",
    "{\"SubscribeSingle\":{\"query\":\"SELECT * FROM person\",\"request_id\":3,\"query_id\":{\"id\":1}}}",
    "{\"SubscribeMulti\":{\"query_strings\":[\"SELECT * FROM person\",\"SELECT * FROM message\"],\"request_id\":4,\"query_id\":{\"id\":2}}}",
    "{\"Unsubscribe\":{\"request_id\":5,\"query_id\":{\"id\":1}}}",
    "{\"UnsubscribeMulti\":{\"request_id\":6,\"query_id\":{\"id\":2}}}",
    "{\"CallProcedure\":{\"procedure\":\"return_person\",\"args\":\"[]\",\"request_id\":7,\"flags\":0}}",
};

static void test_proto_tables(void **state)
{
    (void)state;
    char msg[200] = "";
    Status st = proto_tables_check(msg, sizeof msg);
    if (st != ST_OK)
        print_error("%s\n", msg);
    assert_int_equal(st, ST_OK);
    assert_string_equal(proto_req_name(PROTO_REQ_CALL_REDUCER), "CallReducer");
    assert_string_equal(proto_req_name(PROTO_REQ_DESCRIBE), "Describe");
    assert_string_equal(proto_req_name(PROTO_REQ__COUNT), "?");
}

static void test_proto_doc_examples(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    ProtoRequest r;
    for (size_t i = 0; i < sizeof doc_examples / sizeof doc_examples[0]; i++) {
        expect_round_trip(doc_examples[i], NULL, &r, &a);
        assert_int_equal(r.kind, (ProtoReqKind)i);   /* examples are in tag order */
    }
    expect_round_trip(doc_examples[0], NULL, &r, &a);
    assert_true(str_is(r.reducer, "add"));
    assert_true(str_is(r.args, "[\"Alice\"]"));   /* JSON text, kept as is */
    assert_int_equal(r.request_id, 1);
    assert_int_equal(r.flags, PROTO_FLAG_FULL_UPDATE);
    expect_round_trip(doc_examples[2], NULL, &r, &a);
    assert_int_equal(r.message_id.len, 2);
    assert_int_equal(r.message_id.data[0], 0x0a);
    assert_int_equal(r.message_id.data[1], 0x0b);
    assert_true(str_is(r.query, "SELECT * FROM person WHERE id = 1"));
    expect_round_trip(doc_examples[4], NULL, &r, &a);
    assert_int_equal(r.queries.len, 2);
    assert_true(str_is(r.queries.items[1], "SELECT * FROM message"));
    assert_int_equal(r.query_id, 2);
    assert_int_equal(r.request_id, 4);
    arena_fini(&a);
}

/* SATS-JSON also accepts [tag, payload], {"<tag>": payload}, positional
 * payloads, fields in any order, whitespace, and bytes as an array. */
static void test_proto_other_spellings(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    ProtoRequest r;
    const char *canon = doc_examples[0];
    expect_round_trip("[0,{\"reducer\":\"add\",\"args\":\"[\\\"Alice\\\"]\",\"request_id\":1,\"flags\":0}]",
                      canon, &r, &a);
    expect_round_trip("{\"0\":{\"reducer\":\"add\",\"args\":\"[\\\"Alice\\\"]\",\"request_id\":1,\"flags\":0}}",
                      canon, &r, &a);
    expect_round_trip("{\"CallReducer\":[\"add\",\"[\\\"Alice\\\"]\",1,0]}", canon, &r, &a);
    expect_round_trip(" { \"CallReducer\" : { \"flags\" : 0 , \"request_id\" : 1 ,"
                      " \"args\" : \"[\\\"Alice\\\"]\" , \"reducer\" : \"add\" } } \r",
                      canon, &r, &a);
    expect_round_trip("{\"SubscribeSingle\":[\"SELECT * FROM person\",3,[1]]}", doc_examples[3],
                      &r, &a);
    expect_round_trip("{\"OneOffQuery\":{\"message_id\":[10,11],\"query_string\":"
                      "\"SELECT * FROM person WHERE id = 1\"}}",
                      doc_examples[2], &r, &a);
    expect_round_trip("{\"OneOffQuery\":{\"message_id\":\"0A0B\",\"query_string\":"
                      "\"SELECT * FROM person WHERE id = 1\"}}",
                      doc_examples[2], &r, &a);
    expect_round_trip("[7,[\"return_person\",\"[]\",7,0]]", doc_examples[7], &r, &a);
    /* flag 1: NoSuccessNotify; an empty message_id */
    expect_round_trip("{\"CallReducer\":{\"reducer\":\"r\",\"args\":\"{}\",\"request_id\":4294967295,\"flags\":1}}",
                      NULL, &r, &a);
    assert_int_equal(r.request_id, UINT32_MAX);
    assert_int_equal(r.flags, PROTO_FLAG_NO_SUCCESS_NOTIFY);
    expect_round_trip("{\"OneOffQuery\":{\"message_id\":\"\",\"query_string\":\"\"}}", NULL, &r, &a);
    assert_int_equal(r.message_id.len, 0);
    arena_fini(&a);
}

/* ---- tinystdb's own messages --------------------------------------------------- */

static void test_proto_connect(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    ProtoRequest r;
    /* everything left out: admin session, new identity */
    expect_round_trip("{\"Connect\":{}}", "{\"Connect\":{\"light\":false}}", &r, &a);
    assert_int_equal(r.kind, PROTO_REQ_CONNECT);
    assert_null(r.database.s);
    assert_null(r.token.s);
    assert_false(r.light);
    /* null means left out too */
    expect_round_trip("{\"Connect\":{\"database\":null,\"token\":null,\"light\":null}}",
                      "{\"Connect\":{\"light\":false}}", &r, &a);
    const char *full = "{\"Connect\":{\"database\":\"quickstart-chat\",\"token\":"
                       "\"tstdb_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
                       "\"light\":true}}";
    expect_round_trip(full, NULL, &r, &a);
    assert_true(str_is(r.database, "quickstart-chat"));
    assert_int_equal(r.token.len, 70);
    assert_true(r.light);
    expect_error("{\"Connect\":{\"database\":\"Chat\"}}", ST_INVALID,
                 "Connect.database: invalid database name \"Chat\": use 1 to 64 lowercase "
                 "letters, digits and single dashes");
    expect_error("{\"Connect\":{\"database\":\"a--b\"}}", ST_INVALID,
                 "Connect.database: invalid database name \"a--b\": use 1 to 64 lowercase "
                 "letters, digits and single dashes");
    expect_error("{\"Connect\":{\"database\":\"chat\",\"confirmed\":true}}", ST_INVALID,
                 "Connect: unknown field `confirmed`");
    expect_error("{\"Connect\":{\"token\":17}}", ST_INVALID,
                 "Connect.token: expected string, got 17");
    expect_error("[8,{}]", ST_INVALID, "unknown message tag 8");   /* ours have no tag */
    arena_fini(&a);
}

static void test_proto_admin(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    ProtoRequest r;
    /* "\0asm\1\0\0\0" is the 8-byte header of every wasm module */
    expect_round_trip("{\"Publish\":{\"name\":\"chat\",\"wasm_base64\":\"AGFzbQEAAAA=\"}}",
                      "{\"Publish\":{\"name\":\"chat\",\"wasm_base64\":\"AGFzbQEAAAA=\",\"clear\":false}}",
                      &r, &a);
    assert_int_equal(r.kind, PROTO_REQ_PUBLISH);
    assert_int_equal(r.wasm.len, 8);
    assert_memory_equal(r.wasm.data, "\0asm\1\0\0\0", 8);
    expect_round_trip("{\"Publish\":{\"name\":\"chat\",\"wasm_base64\":\"AGFzbQEAAAA=\",\"clear\":true}}",
                      NULL, &r, &a);
    assert_true(r.clear);
    expect_round_trip("{\"DeleteDatabase\":{\"name\":\"chat\"}}", NULL, &r, &a);
    assert_int_equal(r.kind, PROTO_REQ_DELETE_DATABASE);
    expect_round_trip("{\"GetLogs\":{\"name\":\"chat\"}}",
                      "{\"GetLogs\":{\"name\":\"chat\",\"follow\":false}}", &r, &a);
    assert_false(r.num_lines.present);
    expect_round_trip("{\"GetLogs\":{\"name\":\"chat\",\"num_lines\":10,\"follow\":true}}", NULL,
                      &r, &a);
    assert_true(r.num_lines.present);
    assert_int_equal(r.num_lines.value, 10);
    assert_true(r.follow);
    expect_round_trip("{\"Describe\":{\"name\":\"chat\"}}", NULL, &r, &a);
    assert_int_equal(r.kind, PROTO_REQ_DESCRIBE);
    expect_error("{\"Publish\":{\"name\":\"chat\"}}", ST_INVALID,
                 "Publish: missing field `wasm_base64`");
    expect_error("{\"Publish\":{\"name\":\"chat\",\"wasm_base64\":\"AGFz bQEAAAA=\"}}", ST_INVALID,
                 "Publish.wasm_base64: base64 length 13 is not a multiple of 4");
    expect_error("{\"Publish\":{\"name\":\"chat\",\"wasm_base64\":\"AG!zbQEAAAA=\"}}", ST_INVALID,
                 "Publish.wasm_base64: invalid base64 character '!' at offset 2");
    expect_error("{\"GetLogs\":{\"name\":\"chat\",\"num_lines\":-1}}", ST_INVALID,
                 "GetLogs.num_lines: expected u32, got -1");
    expect_error("{\"Describe\":{}}", ST_INVALID, "Describe: missing field `name`");
    expect_error("{\"DeleteDatabase\":{\"name\":\"../etc\"}}", ST_INVALID,
                 "DeleteDatabase.name: invalid database name \"../etc\": use 1 to 64 "
                 "lowercase letters, digits and single dashes");
    arena_fini(&a);
}

/* The CLI builds requests as structs and encodes them. */
static void test_proto_encode_request(void **state)
{
    (void)state;
    StrBuf sb;
    strbuf_init(&sb);
    ProtoRequest call = {.kind = PROTO_REQ_CALL_REDUCER, .reducer = proto_str("add"),
                         .args = proto_str("[\"Alice\"]"), .request_id = 1};
    assert_int_equal(proto_encode_request(&sb, &call), ST_OK);
    ProtoRequest sub = {.kind = PROTO_REQ_SUBSCRIBE_SINGLE, .query = proto_str("SELECT * FROM person"),
                        .request_id = 3, .query_id = 1};
    assert_int_equal(proto_encode_request(&sb, &sub), ST_OK);
    char want[512];
    snprintf(want, sizeof want, "%s\n%s\n", doc_examples[0], doc_examples[3]);
    assert_string_equal(sb.data, want);
    /* a zeroed required string is "" */
    strbuf_clear(&sb);
    ProtoRequest del = {.kind = PROTO_REQ_DESCRIBE};
    assert_int_equal(proto_encode_request(&sb, &del), ST_OK);
    assert_string_equal(sb.data, "{\"Describe\":{\"name\":\"\"}}\n");
    ProtoRequest bogus = {.kind = PROTO_REQ__COUNT};
    assert_int_equal(proto_encode_request(&sb, &bogus), ST_ARG);
    assert_string_equal(sb.data, "{\"Describe\":{\"name\":\"\"}}\n");
    strbuf_fini(&sb);
}

/* ---- errors ------------------------------------------------------------------- */

static void test_proto_errors_envelope(void **state)
{
    (void)state;
    const char *what = "expected a message such as {\"CallReducer\": {...}}";
    char msg[200];
    expect_error("{\"Foo\":{}}", ST_INVALID, "unknown message type Foo");
    expect_error("{\"callreducer\":{}}", ST_INVALID, "unknown message type callreducer");
    expect_error("[42,{}]", ST_INVALID, "unknown message tag 42");
    expect_error("{\"9\":{}}", ST_INVALID, "unknown message tag 9");
    snprintf(msg, sizeof msg, "%s, got 42", what);
    expect_error("42", ST_INVALID, msg);
    snprintf(msg, sizeof msg, "%s, got object", what);
    expect_error("{}", ST_INVALID, msg);
    expect_error("{\"CallReducer\":{},\"Subscribe\":{}}", ST_INVALID, msg);
    snprintf(msg, sizeof msg, "%s, got array", what);
    expect_error("[0]", ST_INVALID, msg);
    expect_error("[0,{},1]", ST_INVALID, msg);
    expect_error("[300,{}]", ST_INVALID, "expected a variant tag (u8), got 300");
    expect_error("", ST_INVALID, "empty message");
    expect_error(" \t\r", ST_INVALID, "empty message");
    expect_error("{\"CallReducer\":\"add\"}", ST_INVALID,
                 "CallReducer: expected an object, got string");
    /* a long hostile name is cut and made printable */
    expect_error("{\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\":{}}", ST_INVALID,
                 "unknown message type AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...");
    expect_error("{\"a\\nb\\u00e9\":{}}", ST_INVALID, "unknown message type a?b??");
}

static void test_proto_errors_json(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    ProtoRequest r;
    ProtoError e;
    const char *truncated = "{\"CallReducer\":{\"reducer\":\"a";
    assert_int_equal(decode(&a, truncated, &r, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "malformed JSON at line 1 column "));
    assert_null(r.reducer.s);   /* zeroed on failure */
    assert_int_equal(decode(&a, "{\"CallReducer\":{\"reducer\" \"add\"}}", &r, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "malformed JSON at line 1 column 27: "));
    assert_int_equal(decode(&a, "{\"CallReducer\":{}}\n{}", &r, &e), ST_MALFORMED);
    assert_non_null(strstr(e.msg, "at line 2 column 1"));
    /* deep nesting: the parser's bound, not our stack */
    char deep[600];
    memset(deep, '[', 500);
    deep[500] = '\0';
    assert_int_equal(decode(&a, deep, &r, &e), ST_LIMIT);
    assert_non_null(strstr(e.msg, "nesting deeper than"));
    /* ...and nesting the parser allows is still refused where it does not belong */
    assert_int_equal(decode(&a, "{\"CallReducer\":{\"reducer\":[[[[[[[[[[]]]]]]]]]]}}", &r, &e),
                     ST_INVALID);
    assert_string_equal(e.msg, "CallReducer.reducer: expected string, got array");
    arena_fini(&a);
}

static void test_proto_errors_fields(void **state)
{
    (void)state;
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":\"1\",\"flags\":0}}",
                 ST_INVALID, "CallReducer.request_id: expected u32, got string");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":4294967296,\"flags\":0}}",
                 ST_INVALID, "CallReducer.request_id: expected u32, got 4294967296");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":1.0,\"flags\":0}}",
                 ST_INVALID, "CallReducer.request_id: expected u32, got 1.0");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":1e3,\"flags\":0}}",
                 ST_INVALID, "CallReducer.request_id: expected u32, got 1e3");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":"
                 "123456789012345678901234567890123456789012345678901234567890,\"flags\":0}}",
                 ST_INVALID,
                 "CallReducer.request_id: expected u32, got 1234567890123456789012345678901234567890...");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":null,\"flags\":0}}",
                 ST_INVALID, "CallReducer.request_id: expected u32, got null");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":1,\"flags\":2}}",
                 ST_INVALID, "CallReducer.flags: invalid call reducer flag 2");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":1,\"flags\":256}}",
                 ST_INVALID, "CallReducer.flags: expected u8, got 256");
    expect_error("{\"CallProcedure\":{\"procedure\":\"p\",\"args\":\"[]\",\"request_id\":1,\"flags\":1}}",
                 ST_INVALID, "CallProcedure.flags: invalid call procedure flag 1");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":1}}", ST_INVALID,
                 "CallReducer: missing field `flags`");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":\"[]\",\"request_id\":1,\"flags\":0,\"x\":1}}",
                 ST_INVALID, "CallReducer: unknown field `x`");
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"reducer\":\"sub\",\"args\":\"[]\",\"request_id\":1,\"flags\":0}}",
                 ST_INVALID, "CallReducer: duplicate field `reducer`");
    /* args must be JSON *text*: SpacetimeDB closes the connection otherwise */
    expect_error("{\"CallReducer\":{\"reducer\":\"add\",\"args\":[\"Alice\"],\"request_id\":1,\"flags\":0}}",
                 ST_INVALID, "CallReducer.args: expected string, got array");
    expect_error("{\"CallReducer\":{\"reducer\":\"a\\u0000dd\",\"args\":\"[]\",\"request_id\":1,\"flags\":0}}",
                 ST_INVALID, "CallReducer.reducer: a string may not contain NUL (\\u0000)");
    expect_error("{\"CallReducer\":[\"add\",\"[]\",1]}", ST_INVALID,
                 "CallReducer: expected 4 fields, got 3");
    expect_error("{\"SubscribeSingle\":{\"query\":\"q\",\"request_id\":1,\"query_id\":5}}", ST_INVALID,
                 "SubscribeSingle.query_id: expected {\"id\": u32}, got 5");
    expect_error("{\"SubscribeSingle\":{\"query\":\"q\",\"request_id\":1,\"query_id\":{\"id\":\"5\"}}}",
                 ST_INVALID, "SubscribeSingle.query_id.id: expected u32, got string");
    expect_error("{\"Unsubscribe\":{\"request_id\":1,\"query_id\":{}}}", ST_INVALID,
                 "Unsubscribe.query_id: missing field `id`");
    expect_error("{\"Subscribe\":{\"query_strings\":[\"a\",2],\"request_id\":1}}", ST_INVALID,
                 "Subscribe.query_strings[1]: expected string, got 2");
    expect_error("{\"Subscribe\":{\"query_strings\":\"a\",\"request_id\":1}}", ST_INVALID,
                 "Subscribe.query_strings: expected array of strings, got string");
    expect_error("{\"OneOffQuery\":{\"message_id\":\"0a0\",\"query_string\":\"q\"}}", ST_INVALID,
                 "OneOffQuery.message_id: odd number of hex digits (3)");
    expect_error("{\"OneOffQuery\":{\"message_id\":\"0x0a\",\"query_string\":\"q\"}}", ST_INVALID,
                 "OneOffQuery.message_id: bad hex digit at offset 1");
    expect_error("{\"OneOffQuery\":{\"message_id\":[1,256],\"query_string\":\"q\"}}", ST_INVALID,
                 "OneOffQuery.message_id[1]: expected u8, got 256");
    expect_error("{\"OneOffQuery\":{\"message_id\":7,\"query_string\":\"q\"}}", ST_INVALID,
                 "OneOffQuery.message_id: expected hex string or array of u8, got 7");
}

/* ---- base64 ------------------------------------------------------------------- */

static void b64_ok(const char *text, const char *bytes)
{
    Arena a;
    arena_init(&a);
    ProtoBytes out;
    ProtoError e;
    Status st = proto_base64_decode(&a, text, strlen(text), &out, &e);
    if (st != ST_OK)
        print_error("%s: %s\n", text, e.msg);
    assert_int_equal(st, ST_OK);
    assert_int_equal(out.len, strlen(bytes));
    assert_memory_equal(out.len ? (const char *)out.data : "", bytes, out.len);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(proto_base64_encode(&sb, (const uint8_t *)bytes, strlen(bytes)), ST_OK);
    assert_string_equal(sb.data ? sb.data : "", text);
    strbuf_fini(&sb);
    arena_fini(&a);
}

static void b64_bad(const char *text, size_t len, const char *msg)
{
    Arena a;
    arena_init(&a);
    ProtoBytes out;
    ProtoError e;
    assert_int_equal(proto_base64_decode(&a, text, len, &out, &e), ST_INVALID);
    assert_string_equal(e.msg, msg);
    arena_fini(&a);
}

static void test_proto_base64_rfc4648(void **state)
{
    (void)state;
    /* RFC 4648 §10 */
    b64_ok("", "");
    b64_ok("Zg==", "f");
    b64_ok("Zm8=", "fo");
    b64_ok("Zm9v", "foo");
    b64_ok("Zm9vYg==", "foob");
    b64_ok("Zm9vYmE=", "fooba");
    b64_ok("Zm9vYmFy", "foobar");
    /* both characters past 'Z' and 'z' and '9' */
    b64_ok("+/+/", "\xfb\xff\xbf");
}

static void test_proto_base64_invalid(void **state)
{
    (void)state;
    b64_bad("Zg=", 3, "base64 length 3 is not a multiple of 4");
    b64_bad("Zg", 2, "base64 length 2 is not a multiple of 4");
    b64_bad("Zg=a", 4, "base64 padding '=' before the end, at offset 2");
    b64_bad("Z===", 4, "base64 padding '=' before the end, at offset 1");
    b64_bad("====", 4, "base64 padding '=' before the end, at offset 0");
    b64_bad("Zg==Zg==", 8, "base64 padding '=' before the end, at offset 2");
    b64_bad("Zh==", 4, "non-zero padding bits in base64 at offset 1");
    b64_bad("Zm9=", 4, "non-zero padding bits in base64 at offset 2");
    b64_bad("Zm9v\nYmFy", 9, "base64 length 9 is not a multiple of 4");
    b64_bad("Zm9 Ymr=", 8, "invalid base64 byte 0x20 at offset 3");
    b64_bad("Zm9-", 4, "invalid base64 character '-' at offset 3");   /* base64url */
    b64_bad("Zm9_", 4, "invalid base64 character '_' at offset 3");
    b64_bad("Zm\xc3\xa9", 4, "invalid base64 byte 0xc3 at offset 2");
    b64_bad("Zm\0v", 4, "invalid base64 byte 0x00 at offset 2");
}

/* Every length 0..300 of every byte value, through encode and decode. */
static void test_proto_base64_round_trip(void **state)
{
    (void)state;
    uint8_t bytes[300];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 167 + 13);
    Arena a;
    arena_init(&a);
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t n = 0; n <= sizeof bytes; n++) {
        strbuf_clear(&sb);
        assert_int_equal(proto_base64_encode(&sb, bytes, n), ST_OK);
        assert_int_equal(sb.len, (n + 2) / 3 * 4);
        ProtoBytes out;
        assert_int_equal(proto_base64_decode(&a, sb.data ? sb.data : "", sb.len, &out, NULL), ST_OK);
        assert_int_equal(out.len, n);
        if (n)
            assert_memory_equal(out.data, bytes, n);
        arena_reset(&a);
    }
    strbuf_fini(&sb);
    arena_fini(&a);
}

/* ---- hostile input -------------------------------------------------------------- */

static uint32_t rng = 12345;
static uint32_t next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* One decode of arbitrary bytes: an error with a message, or a struct
 * that satisfies its invariants and encodes. */
static void decode_any(Arena *a, const char *text, size_t len)
{
    ProtoRequest r;
    ProtoError e = {{0}};
    char msg[200];
    Status st = proto_decode_request(a, text, len, &r, &e);
    if (st != ST_OK) {
        assert_true(e.msg[0] != '\0');
        return;
    }
    assert_int_equal(proto_request_check(&r, msg, sizeof msg), ST_OK);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(proto_encode_request(&sb, &r), ST_OK);
    assert_non_null(memchr(sb.data, '\n', sb.len));
    assert_ptr_equal(memchr(sb.data, '\n', sb.len), sb.data + sb.len - 1);
    strbuf_fini(&sb);
    arena_reset(a);
}

static void test_proto_truncations_and_mutations(void **state)
{
    (void)state;
    static const char *const more[] = {
        "{\"Connect\":{\"database\":\"chat\",\"token\":\"t\",\"light\":true}}",
        "{\"Publish\":{\"name\":\"chat\",\"wasm_base64\":\"AGFzbQEAAAA=\",\"clear\":true}}",
        "{\"GetLogs\":{\"name\":\"chat\",\"num_lines\":10,\"follow\":true}}",
    };
    static const char noise[] = "{}[]\",:0-9ae\\ \x80\xff\0";   /* both NULs count */
    Arena a;
    arena_init(&a);
    char buf[512];
    size_t nex = sizeof doc_examples / sizeof doc_examples[0];
    for (size_t i = 0; i < nex + 3; i++) {
        const char *line = i < nex ? doc_examples[i] : more[i - nex];
        size_t len = strlen(line);
        for (size_t cut = 0; cut < len; cut++)   /* every proper prefix fails cleanly */
            decode_any(&a, line, cut);
        for (int round = 0; round < 400; round++) {
            memcpy(buf, line, len);
            for (int k = 1 + (int)(next_rand() % 3); k > 0; k--)
                buf[next_rand() % len] = noise[next_rand() % sizeof noise];
            decode_any(&a, buf, len);
        }
    }
    arena_fini(&a);
}

/* A request with 10,000 queries: big, but every allocation is bounded by
 * the line; and allocation failures anywhere come back as ST_NOMEM. */
static void test_proto_big_and_nomem(void **state)
{
    (void)state;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_puts(&sb, "{\"Subscribe\":{\"request_id\":9,\"query_strings\":["), ST_OK);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(strbuf_printf(&sb, "%s\"SELECT * FROM t%d\"", i ? "," : "", i), ST_OK);
    assert_int_equal(strbuf_puts(&sb, "]}}"), ST_OK);
    Arena a;
    arena_init(&a);
    ProtoRequest r;
    ProtoError e;
    assert_int_equal(proto_decode_request(&a, sb.data, sb.len, &r, &e), ST_OK);
    assert_int_equal(r.queries.len, 10000);
    assert_true(str_is(r.queries.items[9999], "SELECT * FROM t9999"));
    arena_fini(&a);
    const char *line = doc_examples[4];
    bool saw_nomem = false, saw_ok = false;
    for (long n = 0; n < 40 && !saw_ok; n++) {
        arena_init(&a);
        mem_fail_after(n);
        Status st = decode(&a, line, &r, &e);
        mem_fail_after(-1);
        assert_true(st == ST_OK || st == ST_NOMEM);
        saw_nomem |= st == ST_NOMEM;
        saw_ok |= st == ST_OK;
        arena_fini(&a);
    }
    assert_true(saw_nomem && saw_ok);
    strbuf_fini(&sb);
}

static void test_proto_check_catches(void **state)
{
    (void)state;
    char msg[200];
    ProtoRequest r = {.kind = PROTO_REQ_CALL_REDUCER, .reducer = proto_str("add"),
                      .args = proto_str("[]"), .flags = 5};
    assert_int_equal(proto_request_check(&r, msg, sizeof msg), ST_INVALID);
    assert_string_equal(msg, "flags: invalid call reducer flag");
    r.flags = 0;
    assert_int_equal(proto_request_check(&r, msg, sizeof msg), ST_OK);
    r.reducer.len = 2;   /* not NUL-terminated at len */
    assert_int_equal(proto_request_check(&r, msg, sizeof msg), ST_INVALID);
    ProtoRequest p = {.kind = PROTO_REQ_PUBLISH, .name = proto_str("Chat")};
    assert_int_equal(proto_request_check(&p, msg, sizeof msg), ST_INVALID);
    assert_string_equal(msg, "name: not a valid database name");
    ProtoRequest k = {.kind = (ProtoReqKind)99};
    assert_int_equal(proto_request_check(&k, msg, sizeof msg), ST_INVALID);
    assert_true(proto_name_valid("a", 1));
    assert_true(proto_name_valid("quickstart-chat-2", 17));
    assert_false(proto_name_valid("-a", 2));
    assert_false(proto_name_valid("a-", 2));
    assert_false(proto_name_valid("", 0));
    assert_false(proto_name_valid("a_b", 3));
    char long_name[PROTO_MAX_NAME + 2];
    memset(long_name, 'x', sizeof long_name);
    assert_true(proto_name_valid(long_name, PROTO_MAX_NAME));
    assert_false(proto_name_valid(long_name, PROTO_MAX_NAME + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_proto_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_doc_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_other_spellings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_encode_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_errors_envelope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_errors_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_errors_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_base64_rfc4648, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_base64_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_base64_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_truncations_and_mutations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_big_and_nomem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_check_catches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
