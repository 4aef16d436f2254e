/*
 * test_json.c - the JSON parser and writer (src/util/json.c, json_write.c).
 *
 * Valid and invalid documents in the spirit of JSONTestSuite (leading
 * zeros, lone surrogates, raw control characters, trailing commas, deep
 * nesting, huge numbers), exact integer reads, writer escaping, parse ->
 * write -> parse round trips, allocation-failure injection, and a small
 * deterministic mutation fuzz that must never crash.
 *
 * Book: chapter 24, book/24-json.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"

static Status parse(Arena *a, const char *text, JsonValue **out, JsonError *err)
{
    return json_parse(a, text, strlen(text), out, err);
}

/* Structural equality of two trees (numbers by source text). */
static bool json_equal(const JsonValue *x, const JsonValue *y)
{
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case JSON_NULL: return true;
    case JSON_BOOL: return x->boolean == y->boolean;
    case JSON_NUMBER:
    case JSON_STRING: return x->len == y->len && memcmp(x->str, y->str, x->len) == 0;
    case JSON_ARRAY:
        if (x->len != y->len)
            return false;
        for (size_t i = 0; i < x->len; i++)
            if (!json_equal(&x->items[i], &y->items[i]))
                return false;
        return true;
    case JSON_OBJECT:
        if (x->len != y->len)
            return false;
        for (size_t i = 0; i < x->len; i++) {
            const JsonMember *a = &x->members[i], *b = &y->members[i];
            if (a->key_len != b->key_len || memcmp(a->key, b->key, a->key_len) != 0 ||
                !json_equal(&a->value, &b->value))
                return false;
        }
        return true;
    }
    return false;
}

/* Parse, write compactly, parse again: the trees must be equal. */
static void assert_round_trip(const char *text, size_t len)
{
    Arena a;
    arena_init(&a);
    JsonValue *v1, *v2;
    JsonError err;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_parse(&a, text, len, &v1, &err), ST_OK);
    assert_int_equal(json_write_value(&sb, v1), ST_OK);
    assert_int_equal(json_parse(&a, sb.data, sb.len, &v2, &err), ST_OK);
    assert_true(json_equal(v1, v2));
    strbuf_fini(&sb);
    arena_fini(&a);
}

static void test_json_valid(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "null", "true", "false", "0", "-0", "[]", "{}", " [ ] ", "\t\r\n{}\n",
        "[1,2,3]", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "-0.5e-3", "1E+2", "1e999",
        "123456789012345678901234567890", "\"\"", "\"\\u0000\"", "\"\\ud83d\\ude00\"",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
        "\"\x7f\"", "{\"a\":1,\"a\":2}", "[[[[[]]]]]", "[\"\\u2028\"]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        Arena a;
        arena_init(&a);
        JsonValue *v = NULL;
        JsonError err = {0};
        Status st = parse(&a, docs[i], &v, &err);
        if (st != ST_OK)
            fail_msg("doc %zu (%s): %s at %zu", i, docs[i], err.msg, err.offset);
        assert_non_null(v);
        assert_int_equal(arena_check(&a), ST_OK);
        arena_fini(&a);
        assert_round_trip(docs[i], strlen(docs[i]));
    }
}

static void test_json_invalid(void **state)
{
    (void)state;
    /* msg is a prefix of the expected message */
    static const struct { const char *doc; size_t len; const char *msg; size_t offset; } cases[] = {
        {"", 0, "unexpected end", 0},
        {"01", 2, "invalid number: leading zero", 0},
        {"-01", 3, "invalid number: leading zero", 0},
        {"[1,]", 4, "trailing comma", 2},
        {"{\"a\":1,}", 8, "trailing comma", 6},
        {"\"\\x\"", 4, "invalid escape", 1},
        {"\"\\u12\"", 6, "invalid escape", 1},
        {"\"\\ud800\"", 8, "lone surrogate", 1},
        {"\"\\udc00\"", 8, "lone surrogate", 1},
        {"\"\\ud800\\u0041\"", 14, "lone surrogate", 1},
        {"\"a\tb\"", 5, "control character in string", 2},
        {"\"a\nb\"", 5, "control character in string", 2},
        {"\"a\0b\"", 5, "control character in string", 2},
        {"[1] x", 5, "trailing characters", 4},
        {"0x10", 4, "trailing characters", 1},
        {"\xef\xbb\xbf{}", 5, "byte order mark not allowed", 0},
        {"\"\xc0\x80\"", 4, "invalid UTF-8", 1},
        {"\"\xed\xa0\x80\"", 5, "invalid UTF-8", 1},
        {"\"\xf4\x90\x80\x80\"", 6, "invalid UTF-8", 1},
        {"\"\xe2\x82\"", 4, "invalid UTF-8", 1},
        {"\"\x80\"", 3, "invalid UTF-8", 1},
        {"[1 2]", 5, "expected ',' or ']'", 3},
        {"{1:2}", 5, "expected string key", 1},
        {"{\"a\" 1}", 7, "expected ':'", 5},
        {"tru", 3, "unexpected end", 3},
        {"nul1", 4, "invalid literal", 0},
        {"NaN", 3, "unexpected character 'N'", 0},
        {"-Infinity", 9, "invalid number: digit expected", 1},
        {"-", 1, "invalid number: digit expected", 1},
        {"1.", 2, "invalid number: digit expected after '.'", 2},
        {"1e+", 3, "invalid number: digit expected in exponent", 3},
        {".5", 2, "unexpected character '.'", 0},
        {"+1", 2, "unexpected character '+'", 0},
        {"[", 1, "unexpected end", 1},
        {"[1,", 3, "unexpected end", 3},
        {"{\"a\":", 5, "unexpected end", 5},
        {"\"abc", 4, "unexpected end", 4},
        {"\"abc\\", 5, "unexpected end", 5},
        {"'a'", 3, "unexpected character '''", 0},
        {"/**/1", 5, "unexpected character '/'", 0},
        {"[1,,2]", 6, "unexpected character ','", 3},
        {"\x01", 1, "unexpected byte 0x01", 0},
        {"{\"a\":1}}", 8, "trailing characters", 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Arena a;
        arena_init(&a);
        JsonValue *v = (JsonValue *)&a;   /* must be reset to NULL */
        JsonError err = {0};
        Status st = json_parse(&a, cases[i].doc, cases[i].len, &v, &err);
        if (st != ST_MALFORMED || strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0 ||
            err.offset != cases[i].offset)
            fail_msg("case %zu: status %d, \"%s\" at %zu; want \"%s\" at %zu", i, st,
                     err.msg, err.offset, cases[i].msg, cases[i].offset);
        assert_null(v);
        arena_fini(&a);
    }
}

static void test_json_error_position(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    JsonValue *v;
    JsonError err;
    assert_int_equal(parse(&a, "[\n  1,\n  x]", &v, &err), ST_MALFORMED);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 3);
    assert_int_equal(err.offset, 9);
    assert_int_equal(json_parse(&a, "[1]", 3, &v, NULL), ST_OK);   /* err optional */
    assert_int_equal(json_parse(&a, "[1", 2, &v, NULL), ST_MALFORMED);
    arena_fini(&a);
}

static Status parse_nested(int depth, char open, char close)
{
    char *buf = mem_alloc((size_t)depth * 2);
    assert_non_null(buf);
    memset(buf, open, (size_t)depth);
    memset(buf + depth, close, (size_t)depth);
    Arena a;
    arena_init(&a);
    JsonValue *v;
    JsonError err;
    Status st = json_parse(&a, buf, (size_t)depth * 2, &v, &err);
    if (st == ST_LIMIT)
        assert_string_equal(err.msg, "nesting deeper than 128");
    arena_fini(&a);
    mem_free(buf);
    return st;
}

static void test_json_depth(void **state)
{
    (void)state;
    assert_int_equal(parse_nested(JSON_MAX_DEPTH, '[', ']'), ST_OK);
    assert_int_equal(parse_nested(JSON_MAX_DEPTH + 1, '[', ']'), ST_LIMIT);
    assert_int_equal(parse_nested(1000000, '[', ']'), ST_LIMIT);
    /* objects count too: {"a":{"a":...}} */
    StrBuf sb;
    strbuf_init(&sb);
    for (int i = 0; i <= JSON_MAX_DEPTH; i++)
        assert_int_equal(strbuf_puts(&sb, "{\"a\":"), ST_OK);
    Arena a;
    arena_init(&a);
    JsonValue *v;
    assert_int_equal(json_parse(&a, sb.data, sb.len, &v, NULL), ST_LIMIT);
    arena_fini(&a);
    strbuf_fini(&sb);
}

/* An array of n zeros: n + 1 values. */
static Status parse_zeros(size_t n)
{
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_putc(&sb, '['), ST_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(strbuf_puts(&sb, i ? ",0" : "0"), ST_OK);
    assert_int_equal(strbuf_putc(&sb, ']'), ST_OK);
    Arena a;
    arena_init(&a);
    JsonValue *v;
    Status st = json_parse(&a, sb.data, sb.len, &v, NULL);
    arena_fini(&a);
    strbuf_fini(&sb);
    return st;
}

static void test_json_value_budget(void **state)
{
    (void)state;
    assert_int_equal(parse_zeros(JSON_MAX_VALUES - 1), ST_OK);
    assert_int_equal(parse_zeros(JSON_MAX_VALUES), ST_LIMIT);
}

static void test_json_integers(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    JsonValue *v;
    uint64_t u;
    int64_t i;
    assert_int_equal(parse(&a, "[18446744073709551615, 18446744073709551616, "
                               "-9223372036854775808, -9223372036854775809, 1.5, -1, "
                               "1e3, \"7\", 123456789012345678901234567890, -0, 0.1]",
                           &v, NULL),
                     ST_OK);
    assert_int_equal(json_array_len(v), 11);
    assert_int_equal(json_get_u64(json_array_get(v, 0), &u), ST_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(json_get_u64(json_array_get(v, 1), &u), ST_LIMIT);
    assert_int_equal(json_get_i64(json_array_get(v, 2), &i), ST_OK);
    assert_true(i == INT64_MIN);
    assert_int_equal(json_get_i64(json_array_get(v, 3), &i), ST_LIMIT);
    assert_int_equal(json_get_i64(json_array_get(v, 0), &i), ST_LIMIT);
    assert_int_equal(json_get_u64(json_array_get(v, 4), &u), ST_INVALID);
    assert_int_equal(json_get_u64(json_array_get(v, 5), &u), ST_LIMIT);
    assert_int_equal(json_get_i64(json_array_get(v, 5), &i), ST_OK);
    assert_true(i == -1);
    assert_int_equal(json_get_u64(json_array_get(v, 6), &u), ST_INVALID);
    assert_int_equal(json_get_u64(json_array_get(v, 7), &u), ST_INVALID);   /* a string */
    const JsonValue *huge = json_array_get(v, 8);
    assert_string_equal(huge->str, "123456789012345678901234567890");   /* kept exact */
    assert_true(huge->number > 1.2e29 && huge->number < 1.3e29);
    assert_int_equal(json_get_u64(json_array_get(v, 9), &u), ST_OK);
    assert_true(u == 0);
    double d;
    assert_int_equal(json_get_double(json_array_get(v, 10), &d), ST_OK);
    assert_true(d == 0.1);
    assert_int_equal(json_get_double(json_array_get(v, 7), &d), ST_INVALID);
    /* decimal text held elsewhere */
    assert_int_equal(json_text_u64("4294967295", 10, &u), ST_OK);
    assert_true(u == 4294967295u);
    assert_int_equal(json_text_u64("", 0, &u), ST_INVALID);
    assert_int_equal(json_text_u64("-", 1, &u), ST_INVALID);
    assert_int_equal(json_text_u64("00", 2, &u), ST_INVALID);
    assert_int_equal(json_text_u64("12a", 3, &u), ST_INVALID);
    assert_int_equal(json_text_i64("-42", 3, &i), ST_OK);
    assert_true(i == -42);
    arena_fini(&a);
}

static void test_json_accessors(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    JsonValue *v;
    assert_int_equal(parse(&a, "{\"z\":1,\"a\\u0000b\":true,\"z\":2,\"s\":\"x\\u0000y\"}", &v,
                           NULL),
                     ST_OK);
    assert_int_equal(v->type, JSON_OBJECT);
    assert_int_equal(v->len, 4);
    assert_string_equal(v->members[0].key, "z");   /* source order kept */
    assert_string_equal(v->members[2].key, "z");
    assert_string_equal(json_object_get(v, "z")->str, "1");   /* first duplicate */
    const JsonValue *b = json_object_getn(v, "a\0b", 3);
    bool flag = false;
    assert_int_equal(json_get_bool(b, &flag), ST_OK);
    assert_true(flag);
    assert_null(json_object_get(v, "a"));
    size_t len;
    const char *s = json_get_string(json_object_get(v, "s"), &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\0y", 4);   /* and NUL-terminated */
    assert_false(json_string_is(json_object_get(v, "s"), "x"));
    assert_null(json_get_string(json_object_get(v, "z"), &len));
    assert_null(json_object_get(NULL, "z"));
    assert_null(json_array_get(v, 0));   /* not an array */
    assert_int_equal(json_array_len(v), 0);
    assert_int_equal(json_get_bool(NULL, &flag), ST_INVALID);
    assert_string_equal(json_type_name(JSON_OBJECT), "object");
    assert_int_equal(v->members[3].value.offset, 33);
    arena_fini(&a);
}

static void test_json_write_string(void **state)
{
    (void)state;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_write_string(&sb, "a\"b\\c\n\x01\x1f\x7f/\xc3\xa9", 12), ST_OK);
    assert_string_equal(sb.data, "\"a\\\"b\\\\c\\n\\u0001\\u001f\x7f/\xc3\xa9\"");
    strbuf_clear(&sb);
    assert_int_equal(json_write_string(&sb, "x\0y", 3), ST_OK);
    assert_string_equal(sb.data, "\"x\\u0000y\"");
    strbuf_clear(&sb);
    assert_int_equal(strbuf_puts(&sb, "keep"), ST_OK);
    assert_int_equal(json_write_string(&sb, "ok\xff", 3), ST_INVALID);
    assert_string_equal(sb.data, "keep");   /* unchanged */
    assert_int_equal(json_write_string(&sb, "\xed\xa0\x80", 3), ST_INVALID);
    assert_int_equal(json_write_string(&sb, "\xf0\x9f\x98", 3), ST_INVALID);
    assert_int_equal(sb.len, 4);
    strbuf_fini(&sb);
}

static void test_json_write_numbers(void **state)
{
    (void)state;
    static const double values[] = {0.1, 1e300, -0.0, 5e-324, 123456789.125, -2.5e-7, 1.0 / 3};
    StrBuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        strbuf_clear(&sb);
        assert_int_equal(json_write_double(&sb, values[i]), ST_OK);
        Arena a;
        arena_init(&a);
        JsonValue *v;
        assert_int_equal(json_parse(&a, sb.data, sb.len, &v, NULL), ST_OK);   /* valid JSON */
        assert_true(v->number == values[i] && signbit(v->number) == signbit(values[i]));
        arena_fini(&a);
    }
    strbuf_clear(&sb);
    assert_int_equal(json_write_double(&sb, 0.1), ST_OK);
    assert_string_equal(sb.data, "0.1");   /* shortest */
    assert_int_equal(json_write_double(&sb, NAN), ST_INVALID);
    assert_int_equal(json_write_double(&sb, INFINITY), ST_INVALID);
    strbuf_clear(&sb);
    assert_int_equal(json_write_u64(&sb, UINT64_MAX), ST_OK);
    assert_int_equal(json_write_i64(&sb, INT64_MIN), ST_OK);
    assert_string_equal(sb.data, "18446744073709551615-9223372036854775808");
    strbuf_fini(&sb);
}

/* Every byte 1..127 and some multi-byte characters survive write -> parse. */
static void test_json_string_round_trip(void **state)
{
    (void)state;
    char raw[160];
    size_t n = 0;
    for (int c = 0; c < 128; c++)
        raw[n++] = (char)c;
    memcpy(raw + n, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf", 12);
    n += 12;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(json_write_string(&sb, raw, n), ST_OK);
    Arena a;
    arena_init(&a);
    JsonValue *v;
    assert_int_equal(json_parse(&a, sb.data, sb.len, &v, NULL), ST_OK);
    assert_int_equal(v->len, n);
    assert_memory_equal(v->str, raw, n);
    arena_fini(&a);
    strbuf_fini(&sb);
}

static const char sample[] =
    "{\"commands\": [{\"type\": \"module\", \"line\": 3, \"filename\": \"a.0.wasm\"},"
    " {\"type\": \"assert_return\", \"args\": [{\"type\": \"f32\", \"value\": \"2143289344\"}],"
    " \"field\": \"\\u0000\\ud83d\\ude00\", \"n\": [1.5e3, -0, true, false, null, [], {}]}]}";

/* Every allocation failure point: no crash, ST_NOMEM, no leak. */
static void test_json_alloc_failure(void **state)
{
    (void)state;
    long live = mem_live();
    bool succeeded = false;
    for (long n = 0; n < 1000 && !succeeded; n++) {
        Arena a;
        arena_init(&a);
        JsonValue *v;
        JsonError err = {0};
        StrBuf sb;
        strbuf_init(&sb);
        mem_fail_after(n);
        Status st = json_parse(&a, sample, sizeof sample - 1, &v, &err);
        if (st == ST_OK)
            st = json_write_value(&sb, v);
        mem_fail_after(-1);
        if (st == ST_OK)
            succeeded = true;
        else
            assert_int_equal(st, ST_NOMEM);
        strbuf_fini(&sb);
        arena_fini(&a);
        assert_int_equal(mem_live(), live);
    }
    assert_true(succeeded);
}

/* Mutate a valid document byte by byte (deterministic LCG): the parser
 * must return cleanly, and whatever it accepts must round-trip. */
static void test_json_mutation_fuzz(void **state)
{
    (void)state;
    static const char alphabet[] = "[]{}\",:\\u0aeE.-+ \t\n\x01\x80\xc3\xed\xff";
    uint32_t seed = 12345;
    char buf[sizeof sample];
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, sample, sizeof sample);
        int edits = 1 + round % 3;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % (sizeof sample - 1);
            buf[pos] = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
        }
        size_t len = (round % 7 == 0) ? (seed >> 4) % sizeof sample : sizeof sample - 1;
        Arena a;
        arena_init(&a);
        JsonValue *v;
        JsonError err = {0};
        Status st = json_parse(&a, buf, len, &v, &err);
        assert_true(st == ST_OK || st == ST_MALFORMED);
        if (st == ST_MALFORMED)
            assert_true(err.offset <= len && err.msg[0] != '\0');
        arena_fini(&a);
        if (st == ST_OK)
            assert_round_trip(buf, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_valid),
        cmocka_unit_test(test_json_invalid),
        cmocka_unit_test(test_json_error_position),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_json_value_budget),
        cmocka_unit_test(test_json_integers),
        cmocka_unit_test(test_json_accessors),
        cmocka_unit_test(test_json_write_string),
        cmocka_unit_test(test_json_write_numbers),
        cmocka_unit_test(test_json_string_round_trip),
        cmocka_unit_test(test_json_alloc_failure),
        cmocka_unit_test(test_json_mutation_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
