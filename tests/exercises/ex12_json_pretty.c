/*
 * ex12_json_pretty.c - graded exercise: a JSON pretty printer.
 *
 * Exercise: 12
 * Title: A pretty printer
 * Change: json_write_pretty() in src/util/json_write.c (new; declare it in json.h)
 * Book: chapter 24, book/24-json.md
 *
 *   Status json_write_pretty(StrBuf *sb, const JsonValue *v, unsigned indent);
 *
 * appends v with each array item and object member on its own line,
 * indented by `indent` spaces per level of nesting, a member written as
 * "key": value (one space after the colon), a closing bracket on its own
 * line at its opener's indentation, empty containers as {} and [], no
 * spaces at line ends and no final newline.  Scalars look exactly as
 * json_write_value writes them, so removing the layout gives the compact
 * form back.  Deeper than JSON_MAX_DEPTH: ST_LIMIT, like json_write_value.
 */
#define EXERCISE_NUMBER 12
#define EXERCISE_SEE "book/24-json.md, exercise 3"
#include "exercise.h"

#include <stdio.h>
#include <string.h>

#include "util/arena.h"
#include "util/json.h"
#include "util/vec.h"

EXERCISE_WEAK Status json_write_pretty(StrBuf *sb, const JsonValue *v, unsigned indent);

static JsonValue *parse(Arena *a, const char *text)
{
    JsonValue *v;
    JsonError err;
    Status st = json_parse(a, text, strlen(text), &v, &err);
    if (st != ST_OK)
        fail_msg("test document does not parse: %s: %s", text, err.msg);
    return v;
}

static void expect_pretty(const char *doc, unsigned indent, const char *want)
{
    Arena a;
    arena_init(&a);
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_puts(&sb, ">"), ST_OK);   /* it appends */
    Status st = json_write_pretty(&sb, parse(&a, doc), indent);
    CHECK(st == ST_OK, "json_write_pretty(%s) failed with %d", doc, st);
    CHECK(strcmp(sb.data + 1, want) == 0 && sb.data[0] == '>',
          "%s with indent %u:\n--- expected\n>%s\n--- got\n%s\n---", doc, indent, want, sb.data);
    strbuf_fini(&sb);
    arena_fini(&a);
}

static void test_json_pretty_fixed(void **state)
{
    (void)state;
    NEED(json_write_pretty);
    const char *doc = "{\"name\":\"a\\nb\",\"tags\":[1,2.50,true,null],\"empty\":{},\"none\":[],"
                      "\"deep\":[[{\"k\":[]}]]}";
    expect_pretty(doc, 2,
                  "{\n"
                  "  \"name\": \"a\\nb\",\n"
                  "  \"tags\": [\n"
                  "    1,\n"
                  "    2.50,\n"
                  "    true,\n"
                  "    null\n"
                  "  ],\n"
                  "  \"empty\": {},\n"
                  "  \"none\": [],\n"
                  "  \"deep\": [\n"
                  "    [\n"
                  "      {\n"
                  "        \"k\": []\n"
                  "      }\n"
                  "    ]\n"
                  "  ]\n"
                  "}");
    expect_pretty("[1,{\"a\":2}]", 4, "[\n    1,\n    {\n        \"a\": 2\n    }\n]");
    expect_pretty("[1,[2]]", 0, "[\n1,\n[\n2\n]\n]");
    expect_pretty("\"just a string\"", 2, "\"just a string\"");
    expect_pretty("[]", 2, "[]");
    expect_pretty("{}", 2, "{}");
    expect_pretty("-0.0e+1", 2, "-0.0e+1");
}

/* ---- random documents ------------------------------------------------------ */

static uint64_t rng = 2024;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void gen(StrBuf *sb, int depth)
{
    static const char *const scalars[] = {"0", "-12.5e-3", "true", "false", "null", "\"\"",
                                          "\"x y\"", "\"[{,:}]\"", "\"\\\"\\\\\"", "1e300"};
    unsigned k = depth > 5 ? 0 : rnd(10);
    if (k < 6) {
        assert_int_equal(strbuf_puts(sb, scalars[rnd(10)]), ST_OK);
        return;
    }
    bool obj = k >= 8;
    unsigned n = rnd(4);
    assert_int_equal(strbuf_putc(sb, obj ? '{' : '['), ST_OK);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            assert_int_equal(strbuf_putc(sb, ','), ST_OK);
        if (obj)
            assert_int_equal(strbuf_printf(sb, "\"k%u\":", i), ST_OK);
        gen(sb, depth + 1);
    }
    assert_int_equal(strbuf_putc(sb, obj ? '}' : ']'), ST_OK);
}

/* Every line indented by indent * (open brackets before it, minus one if
 * it starts by closing one); no empty lines, no spaces at line ends. */
static bool layout_ok(const char *s, unsigned indent, char *why, size_t whylen)
{
    int depth = 0;
    bool in_str = false;
    for (const char *line = s; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        size_t sp = strspn(line, " ");
        sp = sp > len ? len : sp;
        int want = depth - (line[sp] == ']' || line[sp] == '}');
        if (len == 0 || line[len - 1] == ' ' || sp != (size_t)want * indent) {
            snprintf(why, whylen, "line \"%.*s\" (depth %d)", (int)len, line, want);
            return false;
        }
        for (size_t i = 0; i < len; i++) {
            char c = line[i];
            if (in_str) {
                if (c == '\\')
                    i++;
                else if (c == '"')
                    in_str = false;
            } else if (c == '"') {
                in_str = true;
            } else if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                depth--;
            }
        }
        line += len + (end != NULL);
        if (end && !*line) {
            snprintf(why, whylen, "a newline at the end");
            return false;
        }
    }
    return true;
}

/* The compact form: drop whitespace outside strings. */
static void squeeze(const char *s, StrBuf *out)
{
    bool in_str = false;
    for (; *s; s++) {
        if (in_str) {
            if (*s == '\\')
                assert_int_equal(strbuf_putc(out, *s++), ST_OK);
            else if (*s == '"')
                in_str = false;
        } else if (*s == '"') {
            in_str = true;
        } else if (*s == ' ' || *s == '\n') {
            continue;
        }
        assert_int_equal(strbuf_putc(out, *s), ST_OK);
    }
}

static void test_json_pretty_random(void **state)
{
    (void)state;
    NEED(json_write_pretty);
    Arena a;
    arena_init(&a);
    StrBuf doc, compact, pretty, squeezed;
    strbuf_init(&doc), strbuf_init(&compact), strbuf_init(&pretty), strbuf_init(&squeezed);
    for (int i = 0; i < 3000; i++) {
        strbuf_clear(&doc), strbuf_clear(&compact), strbuf_clear(&pretty), strbuf_clear(&squeezed);
        gen(&doc, 0);
        JsonValue *v = parse(&a, doc.data);
        unsigned indent = (unsigned)rnd(5);
        assert_int_equal(json_write_value(&compact, v), ST_OK);
        Status st = json_write_pretty(&pretty, v, indent);
        CHECK(st == ST_OK, "json_write_pretty(%s) failed with %d", doc.data, st);
        char why[160];
        CHECK(layout_ok(pretty.data, indent, why, sizeof why), "%s with indent %u: %s\n%s",
              doc.data, indent, why, pretty.data);
        squeeze(pretty.data, &squeezed);
        CHECK(strcmp(squeezed.data, compact.data) == 0, "%s with indent %u: without the layout "
              "it reads %s, not %s", doc.data, indent, squeezed.data, compact.data);
        JsonValue *back = parse(&a, pretty.data);   /* and it is JSON */
        strbuf_clear(&squeezed);
        assert_int_equal(json_write_value(&squeezed, back), ST_OK);
        assert_string_equal(squeezed.data, compact.data);
        arena_reset(&a);
    }
    strbuf_fini(&doc), strbuf_fini(&compact), strbuf_fini(&pretty), strbuf_fini(&squeezed);
    arena_fini(&a);
}

static void test_json_pretty_too_deep(void **state)
{
    (void)state;
    NEED(json_write_pretty);
    /* A tree deeper than the parser allows, built by hand. */
    static JsonValue chain[JSON_MAX_DEPTH + 3];
    for (size_t i = 0; i < JSON_MAX_DEPTH + 3; i++) {
        bool last = i + 1 == JSON_MAX_DEPTH + 3;
        chain[i] = (JsonValue){.type = last ? JSON_NULL : JSON_ARRAY, .len = last ? 0 : 1,
                               .items = last ? NULL : &chain[i + 1]};
    }
    StrBuf sb;
    strbuf_init(&sb);
    CHECK(json_write_pretty(&sb, chain, 1) == ST_LIMIT, "a tree deeper than JSON_MAX_DEPTH: ST_LIMIT");
    strbuf_fini(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_pretty_fixed),
        cmocka_unit_test(test_json_pretty_random),
        cmocka_unit_test(test_json_pretty_too_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
