/*
 * ex11_json_bom.c - graded exercise: a byte order mark behind a flag.
 *
 * Exercise: 11
 * Title: A byte order mark behind a flag
 * Change: json_parse_opts() in src/util/json.c (new; declare it and JSON_ALLOW_BOM in json.h)
 * Book: chapter 24, book/24-json.md
 *
 *   Status json_parse_opts(Arena *a, const char *text, size_t len,
 *                          unsigned flags, JsonValue **out, JsonError *err);
 *
 * is json_parse with options; json_parse(a, t, n, out, err) becomes
 * json_parse_opts(a, t, n, 0, out, err).  With the flag JSON_ALLOW_BOM a
 * leading UTF-8 byte order mark (EF BB BF) is skipped - one, not two -
 * and every value's offset and every error's offset, line and column
 * still count from the start of the text, BOM included.  Without the
 * flag a BOM stays an error.
 */
#define EXERCISE_NUMBER 11
#define EXERCISE_SEE "book/24-json.md, exercise 2"
#include "exercise.h"

#include <string.h>

#include "util/arena.h"
#include "util/json.h"

#ifndef JSON_ALLOW_BOM
#define JSON_ALLOW_BOM 1u   /* until json.h defines it */
#endif

EXERCISE_WEAK Status json_parse_opts(Arena *a, const char *text, size_t len, unsigned flags,
                                     JsonValue **out, JsonError *err);

#define BOM "\xEF\xBB\xBF"

static const char *const valid[] = {
    "[1]", "0", "\"\"", "{}", "[]", " {\"a\": [1, 2.5e3, true, null, \"x\\u0041\"]}\n",
    "[[[[[]]]], {\"k\": {\"k\": -0}}]", "\"\\ud83d\\ude00 \\n\"", "\t\r\n true ",
    "{\"name\":\"alice\",\"scores\":[1,2,3],\"nested\":{\"deep\":[{}, []]}}",
};
static const char *const invalid[] = {
    "", "[1,]", "{\"a\" 1}", "[1] x", "tru", "\"\\q\"", "\n\n  [", "{\"a\":1,}",
    "[1,\n 2,\n 3 x]",
};

/* a and b are the same tree, b's offsets `shift` bytes later. */
static bool same(const JsonValue *a, const JsonValue *b, size_t shift)
{
    if (a->type != b->type || a->len != b->len || a->offset + shift != b->offset)
        return false;
    switch (a->type) {
    case JSON_BOOL: return a->boolean == b->boolean;
    case JSON_NUMBER: case JSON_STRING: return memcmp(a->str, b->str, a->len) == 0;
    case JSON_ARRAY:
        for (size_t i = 0; i < a->len; i++)
            if (!same(&a->items[i], &b->items[i], shift))
                return false;
        return true;
    case JSON_OBJECT:
        for (size_t i = 0; i < a->len; i++)
            if (a->members[i].key_len != b->members[i].key_len
                || memcmp(a->members[i].key, b->members[i].key, a->members[i].key_len) != 0
                || !same(&a->members[i].value, &b->members[i].value, shift))
                return false;
        return true;
    default: return true;
    }
}

static void test_json_bom_flag(void **state)
{
    (void)state;
    NEED(json_parse_opts);
    Arena a;
    arena_init(&a);
    JsonValue *v;
    JsonError err;
    Status st = json_parse_opts(&a, BOM "[1]", 6, JSON_ALLOW_BOM, &v, &err);
    CHECK(st == ST_OK, "BOM [1] with JSON_ALLOW_BOM: status %d (%s)", st, err.msg);
    CHECK(v->type == JSON_ARRAY && v->len == 1 && v->offset == 3 && v->items[0].offset == 4,
          "BOM [1]: the array must start at offset 3 and its item at 4");
    CHECK(json_parse_opts(&a, BOM "[1]", 6, 0, &v, &err) == ST_MALFORMED && v == NULL,
          "without the flag a BOM must stay an error");
    CHECK(json_parse(&a, BOM "[1]", 6, &v, &err) == ST_MALFORMED, "json_parse must refuse a BOM");
    CHECK(json_parse_opts(&a, BOM BOM "[1]", 9, JSON_ALLOW_BOM, &v, &err) == ST_MALFORMED,
          "only one BOM is skipped");
    CHECK(json_parse_opts(&a, BOM, 3, JSON_ALLOW_BOM, &v, &err) == ST_MALFORMED,
          "a BOM and nothing else is not a document");
    CHECK(json_parse_opts(&a, "\xEF\xBB", 2, JSON_ALLOW_BOM, &v, &err) == ST_MALFORMED,
          "half a BOM is not a BOM");
    arena_fini(&a);
}

static void test_json_bom_shifts_offsets(void **state)
{
    (void)state;
    NEED(json_parse_opts);
    Arena a;
    arena_init(&a);
    char buf[256];
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        size_t n = strlen(valid[i]);
        memcpy(buf, BOM, 3), memcpy(buf + 3, valid[i], n);
        JsonValue *plain, *opt0, *bom;
        JsonError err;
        assert_int_equal(json_parse(&a, valid[i], n, &plain, &err), ST_OK);
        CHECK(json_parse_opts(&a, valid[i], n, 0, &opt0, &err) == ST_OK && same(plain, opt0, 0),
              "json_parse_opts(flags 0) differs from json_parse on %s", valid[i]);
        Status st = json_parse_opts(&a, buf, n + 3, JSON_ALLOW_BOM, &bom, &err);
        CHECK(st == ST_OK, "BOM + %s: status %d (%s)", valid[i], st, err.msg);
        CHECK(same(plain, bom, 3), "BOM + %s: the tree differs, or its offsets are not 3 later",
              valid[i]);
        arena_reset(&a);
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        size_t n = strlen(invalid[i]);
        memcpy(buf, BOM, 3), memcpy(buf + 3, invalid[i], n);
        JsonValue *v;
        JsonError e1, e2;
        Status s1 = json_parse(&a, invalid[i], n, &v, &e1);
        assert_int_not_equal(s1, ST_OK);
        Status s2 = json_parse_opts(&a, buf, n + 3, JSON_ALLOW_BOM, &v, &e2);
        CHECK(s1 == s2 && strcmp(e1.msg, e2.msg) == 0, "BOM + %s: got %d \"%s\", want %d \"%s\"",
              invalid[i], s2, e2.msg, s1, e1.msg);
        CHECK(e2.offset == e1.offset + 3 && e2.line == e1.line
              && e2.col == (e1.line == 1 ? e1.col + 3 : e1.col),
              "BOM + %s: the error must be 3 bytes later (offset %zu line %u col %u, "
              "got %zu %u %u)", invalid[i], e1.offset + 3, e1.line,
              e1.line == 1 ? e1.col + 3 : e1.col, e2.offset, e2.line, e2.col);
        arena_reset(&a);
    }
    arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_bom_flag),
        cmocka_unit_test(test_json_bom_shifts_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
