/*
 * test_logs.c - the module log (src/host/logs.c): the ring keeps the
 * newest records, the file gets SpacetimeDB's JSON lines, the text form
 * matches `spacetime logs`, and a file can be read back by its tail.
 *
 * Book: chapter 16, book/16-reducer-calls.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/logs.h"
#include "util/alloc.h"

#define T0 INT64_C(1735689600000000)   /* 2025-01-01T00:00:00Z */

static int setup(void **state)
{
    static long live;
    live = mem_live();
    *state = &live;
    return 0;
}

static int teardown(void **state)
{
    long live = *(long *)*state;
    if (mem_live() != live) {
        print_error("leak: %ld allocations not freed\n", mem_live() - live);
        return -1;
    }
    return 0;
}

static LogRecord rec(int64_t ts, ModLogLevel level, const char *msg)
{
    return (LogRecord){ .ts = ts, .level = level, .line = LOGS_NO_LINE, .message = msg };
}

static void test_ring_keeps_the_newest(void **state)
{
    (void)state;
    ModuleLogs *l;
    char msg[32];
    assert_int_equal(logs_open(NULL, 4, &l, NULL, 0), ST_OK);
    for (int i = 0; i < 10; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        LogRecord r = rec(T0 + i, MODLOG_INFO, msg);
        assert_int_equal(logs_append(l, &r), ST_OK);
        assert_int_equal(logs_check(l, msg, sizeof msg), ST_OK);
    }
    assert_int_equal(logs_count(l), 4);
    assert_int_equal(logs_total(l), 10);
    assert_string_equal(logs_get(l, 0)->message, "m6");
    assert_string_equal(logs_get(l, 3)->message, "m9");
    assert_int_equal(logs_get(l, 3)->ts, T0 + 9);
    assert_null(logs_get(l, 4));
    logs_close(l);
}

static Status parse(const char *line, Arena *a, LogRecord *out)
{
    return logs_parse_line(line, strlen(line), a, out);
}

static void test_json_and_text(void **state)
{
    (void)state;
    StrBuf out;
    strbuf_init(&out);
    LogRecord r = { .ts = T0 + 123456, .level = MODLOG_INFO, .target = "game",
                    .filename = "src/lib.rs", .line = 22, .function = "say_hello",
                    .message = "Hello, \"World\"!" };
    assert_int_equal(logs_format_json(&r, &out), ST_OK);
    assert_string_equal(out.data, "{\"level\":\"Info\",\"ts\":1735689600123456,\"target\":\"game\","
                        "\"filename\":\"src/lib.rs\",\"line_number\":22,\"function\":\"say_hello\","
                        "\"message\":\"Hello, \\\"World\\\"!\"}");
    strbuf_clear(&out);
    assert_int_equal(logs_format_text(&r, &out), ST_OK);
    assert_string_equal(out.data,
                        "2025-01-01T00:00:00.123456Z  INFO: say_hello src/lib.rs:22: Hello, \"World\"!");
    /* An Err line: function only.  A system line: nothing before the message. */
    LogRecord e = { .ts = T0 + 1000200, .level = MODLOG_ERROR, .function = "fail",
                    .line = LOGS_NO_LINE, .message = "oopsie :(" };
    strbuf_clear(&out);
    assert_int_equal(logs_format_text(&e, &out), ST_OK);
    assert_string_equal(out.data, "2025-01-01T00:00:01.000200Z ERROR: fail: oopsie :(");
    LogRecord s = { .ts = T0, .level = (ModLogLevel)55, .function = "__spacetimedb__",
                    .line = LOGS_NO_LINE, .message = "x" };
    strbuf_clear(&out);
    assert_int_equal(logs_format_text(&s, &out), ST_OK);
    assert_string_equal(out.data, "2025-01-01T00:00:00.000000Z DEBUG: x");
    strbuf_clear(&out);
    assert_int_equal(logs_format_json(&s, &out), ST_OK);
    assert_string_equal(out.data, "{\"level\":\"Debug\",\"ts\":1735689600000000,"
                        "\"function\":\"__spacetimedb__\",\"message\":\"x\"}");
    assert_string_equal(logs_level_name(MODLOG_PANIC), "Panic");

    /* A JSON line reads back as the same record. */
    strbuf_clear(&out);
    assert_int_equal(logs_format_json(&r, &out), ST_OK);
    Arena a;
    arena_init(&a);
    LogRecord back;
    assert_int_equal(logs_parse_line(out.data, out.len, &a, &back), ST_OK);
    assert_int_equal(back.ts, r.ts);
    assert_int_equal(back.level, r.level);
    assert_int_equal(back.line, 22);
    assert_string_equal(back.target, "game");
    assert_string_equal(back.filename, "src/lib.rs");
    assert_string_equal(back.function, "say_hello");
    assert_string_equal(back.message, r.message);
    assert_int_equal(parse("{\"level\":\"Panic\",\"ts\":5,\"message\":\"m\"}", &a, &back), ST_OK);
    assert_int_equal(back.level, MODLOG_PANIC);
    assert_null(back.target);
    assert_int_equal(back.line, LOGS_NO_LINE);
    assert_int_equal(parse("{\"level\":\"Loud\",\"ts\":5,\"message\":\"m\"}", &a, &back),
                     ST_MALFORMED);
    assert_int_equal(parse("{\"level\":\"Info\",\"ts\":5}", &a, &back), ST_MALFORMED);
    assert_int_equal(parse("not json", &a, &back), ST_MALFORMED);
    arena_fini(&a);
    strbuf_fini(&out);
}

static void test_file_and_tail(void **state)
{
    (void)state;
    char path[] = "/tmp/tinystdb-logs-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    ModuleLogs *l;
    char msg[64];
    assert_int_equal(logs_open(path, 2, &l, msg, sizeof msg), ST_OK);
    for (int i = 0; i < 5; i++) {
        snprintf(msg, sizeof msg, "line %d", i);
        LogRecord r = rec(T0, MODLOG_WARN, msg);
        assert_int_equal(logs_append(l, &r), ST_OK);
    }
    assert_false(logs_file_error(l));
    logs_close(l);
    StrBuf out;
    strbuf_init(&out);
    assert_int_equal(logs_tail_file(path, 2, &out), ST_OK);
    assert_int_equal(strbuf_putc(&out, '\0'), ST_OK);
    assert_string_equal(out.data, "{\"level\":\"Warn\",\"ts\":1735689600000000,\"message\":\"line 3\"}\n"
                                  "{\"level\":\"Warn\",\"ts\":1735689600000000,\"message\":\"line 4\"}\n");
    strbuf_clear(&out);
    assert_int_equal(logs_tail_file(path, 0, &out), ST_OK);       /* all five */
    size_t lines = 0;
    for (size_t i = 0; i < out.len; i++)
        lines += out.data[i] == '\n';
    assert_int_equal(lines, 5);
    strbuf_clear(&out);
    assert_int_equal(logs_tail_file(path, 99, &out), ST_OK);
    size_t all = out.len;
    assert_true(all > 0);
    remove(path);
    assert_int_equal(logs_tail_file(path, 1, &out), ST_IO);
    assert_int_equal(logs_open("/nonexistent-dir/x.log", 0, &l, msg, sizeof msg), ST_IO);
    assert_non_null(strstr(msg, "/nonexistent-dir/x.log"));
    strbuf_fini(&out);
}

static void test_long_and_bad_text(void **state)
{
    (void)state;
    ModuleLogs *l;
    assert_int_equal(logs_open(NULL, 0, &l, NULL, 0), ST_OK);
    char *big = mem_alloc(LOGS_MAX_FIELD + 100);
    memset(big, 'x', LOGS_MAX_FIELD + 99);
    big[LOGS_MAX_FIELD + 99] = '\0';
    LogRecord r = rec(T0, MODLOG_TRACE, big);
    assert_int_equal(logs_append(l, &r), ST_OK);
    assert_int_equal(strlen(logs_get(l, 0)->message), LOGS_MAX_FIELD);
    mem_free(big);
    StrBuf out;
    strbuf_init(&out);
    assert_int_equal(logs_lossy_utf8(&out, (const uint8_t *)"a\xc3\x28z\xe2\x82", 6), ST_OK);
    assert_int_equal(strbuf_putc(&out, '\0'), ST_OK);
    assert_string_equal(out.data, "a\xEF\xBF\xBD(z\xEF\xBF\xBD");
    strbuf_fini(&out);
    mem_fail_after(0);
    LogRecord s = rec(T0, MODLOG_INFO, "no memory");
    assert_int_equal(logs_append(l, &s), ST_NOMEM);
    mem_fail_after(-1);
    assert_int_equal(logs_count(l), 1);
    logs_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ring_keeps_the_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_and_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_and_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_and_bad_text, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
