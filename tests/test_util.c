/*
 * test_util.c - tests for src/util: Status names, the allocator's failure
 * injection and live count, the arena, VEC and StrBuf, and logging.
 *
 * Failure injection is global state, so every test that arms it disarms it
 * again in the group teardown (reset_alloc), even when an assertion fails
 * half-way.  Leak checks compare mem_live() before and after: cmocka's own
 * allocations do not go through mem_alloc, so the count is ours alone.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/status.h"
#include "util/vec.h"

static int reset_alloc(void **state)
{
    (void)state;
    mem_fail_after(-1);
    return 0;
}

/* ---- status ---------------------------------------------------------- */

static void test_status_str_every_value(void **state)
{
    (void)state;
    for (int i = 0; i < ST__COUNT; i++) {
        const char *s = status_str((Status)i);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, "unknown status");
        for (int j = 0; j < i; j++)   /* every name tells its code apart */
            assert_string_not_equal(s, status_str((Status)j));
    }
    assert_string_equal(status_str(ST_OK), "ok");
    assert_string_equal(status_str(ST_NOMEM), "out of memory");
    assert_string_equal(status_str(ST__COUNT), "unknown status");
    assert_string_equal(status_str((Status)-1), "unknown status");
    assert_string_equal(status_str((Status)1000), "unknown status");
}

/* ---- allocator ------------------------------------------------------- */

static void test_alloc_live_count(void **state)
{
    (void)state;
    long base = mem_live();
    void *a = mem_alloc(10), *b = mem_calloc(3, 4), *c = mem_alloc(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);          /* zero size: still a unique pointer */
    assert_ptr_not_equal(a, c);
    assert_int_equal(mem_live(), base + 3);
    for (int i = 0; i < 12; i++)
        assert_int_equal(((unsigned char *)b)[i], 0);
    b = mem_realloc(b, 1000);    /* realloc does not change the count */
    assert_non_null(b);
    assert_int_equal(mem_live(), base + 3);
    mem_free(a);
    mem_free(b);
    mem_free(c);
    mem_free(NULL);              /* a no-op, not a miscount */
    assert_int_equal(mem_live(), base);
}

static void test_alloc_fail_after(void **state)
{
    (void)state;
    long base = mem_live();
    mem_fail_after(0);                   /* the very next one fails */
    assert_null(mem_alloc(1));
    assert_null(mem_calloc(1, 1));       /* ... and every one after it */
    assert_null(mem_realloc(NULL, 8));
    assert_int_equal(mem_live(), base);
    mem_fail_after(2);                   /* two succeed, then failure */
    void *a = mem_alloc(1), *b = mem_alloc(1);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(mem_alloc(1));
    assert_null(mem_strdup("x"));
    mem_fail_after(-1);                  /* disarmed */
    void *c = mem_alloc(1);
    assert_non_null(c);
    mem_free(a);
    mem_free(b);
    mem_free(c);
    assert_int_equal(mem_live(), base);
}

/* A failed realloc leaves the old block valid and owned by the caller. */
static void test_alloc_realloc_failure_keeps_block(void **state)
{
    (void)state;
    char *p = mem_strdup("keep me");
    assert_non_null(p);
    mem_fail_after(0);
    assert_null(mem_realloc(p, 4096));
    mem_fail_after(-1);
    assert_string_equal(p, "keep me");
    mem_free(p);
}

static void test_alloc_overflow_checks(void **state)
{
    (void)state;
    long base = mem_live();
    assert_null(mem_calloc(SIZE_MAX / 2 + 1, 2));
    assert_null(mem_alloc_array(SIZE_MAX / 8 + 1, 8));
    char *p = mem_alloc_array(4, 8);
    assert_non_null(p);
    assert_null(mem_realloc_array(p, SIZE_MAX / 4 + 1, 4));
    mem_free(p);
    assert_int_equal(mem_live(), base);
}

static void test_alloc_strdup(void **state)
{
    (void)state;
    char *a = mem_strdup("hello"), *b = mem_strndup("hello world", 5);
    assert_string_equal(a, "hello");
    assert_string_equal(b, "hello");
    assert_ptr_not_equal(a, b);
    mem_free(a);
    mem_free(b);
}

/* ---- arena ----------------------------------------------------------- */

static void test_arena_alignment(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    size_t sizes[] = {1, 3, 16, 17, 0, 100, 7, ARENA_ALIGN - 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = arena_alloc(&a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % ARENA_ALIGN, 0);
        memset(p, 0xAB, sizes[i]);
        assert_int_equal(arena_check(&a), ST_OK);
    }
    arena_fini(&a);
}

/* Allocations never overlap: fill each with its own byte, then re-read. */
static void test_arena_no_overlap(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    unsigned char *p[300];
    for (int i = 0; i < 300; i++) {   /* 300 * ~1 KiB spans several blocks */
        p[i] = arena_alloc(&a, 1000);
        assert_non_null(p[i]);
        memset(p[i], i & 0xFF, 1000);
    }
    for (int i = 0; i < 300; i++)
        for (int k = 0; k < 1000; k += 97)
            assert_int_equal(p[i][k], i & 0xFF);
    assert_true(a.total >= 300 * 1000);
    assert_int_equal(arena_check(&a), ST_OK);
    arena_fini(&a);
}

static void test_arena_big_allocation(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    char *small = arena_alloc(&a, 10);
    size_t big = 3 * ARENA_BLOCK_SIZE + 5;
    unsigned char *p = arena_alloc(&a, big);
    assert_non_null(small);
    assert_non_null(p);
    memset(p, 0x5A, big);             /* the whole block is ours */
    assert_int_equal(p[big - 1], 0x5A);
    assert_int_equal(arena_check(&a), ST_OK);
    /* Impossible sizes fail cleanly instead of wrapping around. */
    assert_null(arena_alloc(&a, SIZE_MAX));
    assert_null(arena_alloc(&a, SIZE_MAX - ARENA_ALIGN));
    assert_null(arena_calloc(&a, SIZE_MAX / 2, 4));
    assert_int_equal(arena_check(&a), ST_OK);
    arena_fini(&a);
}

static void test_arena_reset_and_leaks(void **state)
{
    (void)state;
    long base = mem_live();
    Arena a;
    arena_init(&a);
    for (int i = 0; i < 10; i++)
        assert_non_null(arena_alloc(&a, ARENA_BLOCK_SIZE / 2));
    assert_true(mem_live() - base > 1);
    arena_reset(&a);
    assert_int_equal(a.total, 0);
    assert_int_equal(mem_live() - base, 1);   /* one block kept for reuse */
    assert_int_equal(arena_check(&a), ST_OK);
    assert_non_null(arena_alloc(&a, 64));    /* reuses the kept block */
    assert_int_equal(mem_live() - base, 1);
    assert_int_equal(a.total, 64);
    arena_fini(&a);
    assert_int_equal(mem_live(), base);
    assert_null(a.head);
    arena_reset(&a);                          /* empty arena: harmless */
    arena_fini(&a);
}

static void test_arena_calloc_strndup(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    unsigned char *junk = arena_alloc(&a, 256);
    memset(junk, 0xFF, 256);
    arena_reset(&a);                          /* calloc must really zero */
    unsigned *z = arena_calloc(&a, 64, sizeof *z);
    assert_non_null(z);
    for (int i = 0; i < 64; i++)
        assert_int_equal(z[i], 0);
    char *s = arena_strndup(&a, "abcdef", 3);
    assert_string_equal(s, "abc");
    arena_fini(&a);
}

static void test_arena_allocation_failure(void **state)
{
    (void)state;
    long base = mem_live();
    Arena a;
    arena_init(&a);
    mem_fail_after(0);
    assert_null(arena_alloc(&a, 8));          /* no block can be had */
    assert_null(arena_strndup(&a, "x", 1));
    assert_int_equal(arena_check(&a), ST_OK);
    assert_int_equal(a.total, 0);
    mem_fail_after(-1);
    assert_non_null(arena_alloc(&a, 8));      /* and it recovers */
    mem_fail_after(0);
    assert_null(arena_alloc(&a, ARENA_BLOCK_SIZE));   /* needs a new block */
    assert_non_null(arena_alloc(&a, 8));      /* room left in the old one */
    mem_fail_after(-1);
    assert_int_equal(arena_check(&a), ST_OK);
    arena_fini(&a);
    assert_int_equal(mem_live(), base);
}

/* ---- VEC ------------------------------------------------------------- */

static void test_vec_growth(void **state)
{
    (void)state;
    long base = mem_live();
    VEC(int) v = {0};
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(vec_push(&v, i * 3), ST_OK);
        assert_true(v.cap >= v.len);
        assert_int_equal(v.cap & (v.cap - 1), 0);   /* doubling from 8 */
    }
    assert_int_equal(v.len, 1000);
    assert_int_equal(v.cap, 1024);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v.items[i], i * 3);
    assert_int_equal(vec_reserve(&v, 10), ST_OK);   /* never shrinks */
    assert_int_equal(v.cap, 1024);
    assert_int_equal(vec_reserve(&v, 5000), ST_OK);
    assert_true(v.cap >= 5000);
    assert_int_equal(v.len, 1000);
    vec_fini(&v);
    assert_null(v.items);
    assert_int_equal(v.len, 0);
    assert_int_equal(v.cap, 0);
    assert_int_equal(mem_live(), base);
}

static void test_vec_failure_keeps_contents(void **state)
{
    (void)state;
    VEC(long) v = {0};
    for (long i = 0; i < 8; i++)
        assert_int_equal(vec_push(&v, i), ST_OK);
    assert_int_equal(v.cap, 8);
    mem_fail_after(0);
    assert_int_equal(vec_push(&v, 99), ST_NOMEM);   /* needs to grow */
    mem_fail_after(-1);
    assert_int_equal(v.len, 8);
    assert_int_equal(v.cap, 8);
    for (long i = 0; i < 8; i++)
        assert_int_equal(v.items[i], i);
    assert_int_equal(vec_push(&v, 99), ST_OK);
    assert_int_equal(v.items[8], 99);
    /* A request whose byte size overflows is refused, not wrapped. */
    assert_int_equal(vec_reserve(&v, SIZE_MAX / 2), ST_NOMEM);
    assert_int_equal(vec_reserve_(&v.items, &v.cap, SIZE_MAX, sizeof *v.items), ST_NOMEM);
    assert_int_equal(v.len, 9);
    vec_fini(&v);
}

typedef struct Point {
    int x, y;
} Point;

static void test_vec_of_structs(void **state)
{
    (void)state;
    VEC(Point) v = {0};
    for (int i = 0; i < 20; i++)
        assert_int_equal(vec_push(&v, ((Point){i, -i})), ST_OK);
    assert_int_equal(v.items[19].x, 19);
    assert_int_equal(v.items[19].y, -19);
    vec_fini(&v);
}

/* ---- StrBuf ---------------------------------------------------------- */

static void test_strbuf_append(void **state)
{
    (void)state;
    long base = mem_live();
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_puts(&sb, "abc"), ST_OK);
    assert_int_equal(strbuf_putc(&sb, '-'), ST_OK);
    assert_int_equal(strbuf_append(&sb, "xyz\0hidden", 3), ST_OK);
    assert_string_equal(sb.data, "abc-xyz");
    assert_int_equal(sb.len, 7);
    assert_int_equal(sb.data[sb.len], '\0');
    assert_int_equal(strbuf_append(&sb, "ignored", 0), ST_OK);
    assert_int_equal(sb.len, 7);
    strbuf_clear(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb.data, "");
    for (int i = 0; i < 5000; i++)          /* growth keeps the NUL */
        assert_int_equal(strbuf_putc(&sb, (char)('a' + i % 26)), ST_OK);
    assert_int_equal(sb.len, 5000);
    assert_int_equal(strlen(sb.data), 5000);
    assert_int_equal(sb.data[4999], 'a' + 4999 % 26);
    strbuf_fini(&sb);
    assert_null(sb.data);
    assert_int_equal(mem_live(), base);
}

static void test_strbuf_printf(void **state)
{
    (void)state;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_printf(&sb, "%d+%d=%s", 2, 2, "4"), ST_OK);
    assert_int_equal(strbuf_printf(&sb, " [%5.1f]", 2.5), ST_OK);
    assert_string_equal(sb.data, "2+2=4 [  2.5]");
    assert_int_equal(sb.len, strlen(sb.data));
    char big[3000];                         /* longer than any first guess */
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(strbuf_printf(&sb, "<%s>", big), ST_OK);
    assert_int_equal(sb.len, 13 + 3001);
    assert_int_equal(sb.data[sb.len - 1], '>');
    assert_int_equal(sb.data[sb.len], '\0');
    assert_int_equal(strbuf_printf(&sb, "%s", ""), ST_OK);   /* appends nothing */
    assert_int_equal(sb.len, 13 + 3001);
    strbuf_fini(&sb);
}

static void test_strbuf_failure_keeps_contents(void **state)
{
    (void)state;
    StrBuf sb;
    strbuf_init(&sb);
    assert_int_equal(strbuf_puts(&sb, "kept"), ST_OK);   /* cap is 8 */
    mem_fail_after(0);
    assert_int_equal(strbuf_puts(&sb, "a longer tail"), ST_NOMEM);
    assert_int_equal(strbuf_printf(&sb, "%s", "another long tail"), ST_NOMEM);
    assert_int_equal(strbuf_putc(&sb, '!'), ST_OK);      /* fits: no allocation */
    mem_fail_after(-1);
    assert_string_equal(sb.data, "kept!");
    assert_int_equal(sb.len, 5);
    strbuf_fini(&sb);
    /* An empty StrBuf whose first allocation fails stays empty. */
    mem_fail_after(0);
    assert_int_equal(strbuf_putc(&sb, 'x'), ST_NOMEM);
    mem_fail_after(-1);
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
}

/* ---- all together: the failure sweep --------------------------------- */

/* A little of everything, written the house way: resources start empty,
 * every failure jumps to the one cleanup label, *out is touched only by
 * calls that leave it valid. */
static Status greet(const char *const *names, size_t n, StrBuf *out)
{
    Status st = ST_OK;
    Arena a;
    VEC(char *) copies = {0};
    arena_init(&a);
    for (size_t i = 0; i < n; i++) {
        char *c = arena_strndup(&a, names[i], strlen(names[i]));
        if (!c || vec_push(&copies, c) != ST_OK) {
            st = ST_NOMEM;
            goto fail;
        }
    }
    for (size_t i = 0; i < copies.len && st == ST_OK; i++)
        st = strbuf_printf(out, "%s%s", i ? ", " : "hello ", copies.items[i]);
fail:
    vec_fini(&copies);
    arena_fini(&a);
    return st;
}

/* Make allocation 0, 1, 2, ... fail in turn until greet() succeeds: every
 * error path must report ST_NOMEM and free everything it took. */
static void test_fail_every_allocation(void **state)
{
    (void)state;
    static const char *const names[] = {"ada", "grace", "edsger"};
    long base = mem_live(), n;
    Status st;
    for (n = 0;; n++) {
        StrBuf sb;
        strbuf_init(&sb);
        mem_fail_after(n);
        st = greet(names, 3, &sb);
        mem_fail_after(-1);
        if (st == ST_OK)
            assert_string_equal(sb.data, "hello ada, grace, edsger");
        strbuf_fini(&sb);
        assert_int_equal(mem_live(), base);
        if (st == ST_OK)
            break;
        assert_int_equal(st, ST_NOMEM);
    }
    assert_true(n >= 3);   /* the arena, the vector and the buffer */
}

/* ---- log ------------------------------------------------------------- */

/* Everything written to f so far, as a string in buf. */
static const char *slurp(FILE *f, char *buf, size_t size)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    return buf;
}

static void test_log_levels(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    LogLevel old = log_get_level();
    log_set_output(f);
    log_set_level(LOG_WARN);
    assert_int_equal(log_get_level(), LOG_WARN);
    log_msg(LOG_ERROR, "disk %s", "gone");
    log_msg(LOG_WARN, "slow: %d ms", 250);
    log_msg(LOG_INFO, "dropped");
    log_msg(LOG_TRACE, "dropped too");
    log_set_level(LOG_TRACE);
    log_msg(LOG_TRACE, "now kept");
    log_set_output(NULL);                /* back to stderr */
    log_set_level(old);
    char buf[512];
    assert_string_equal(slurp(f, buf, sizeof buf),
                        "ERROR disk gone\nWARN  slow: 250 ms\nTRACE now kept\n");
    fclose(f);
}

static void test_log_level_names(void **state)
{
    (void)state;
    assert_string_equal(log_level_name(LOG_ERROR), "ERROR");
    assert_string_equal(log_level_name(LOG_WARN), "WARN");
    assert_string_equal(log_level_name(LOG_INFO), "INFO");
    assert_string_equal(log_level_name(LOG_DEBUG), "DEBUG");
    assert_string_equal(log_level_name(LOG_TRACE), "TRACE");
    assert_string_equal(log_level_name((LogLevel)99), "?");
    assert_string_equal(log_level_name((LogLevel)-1), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_str_every_value),
        cmocka_unit_test_teardown(test_alloc_live_count, reset_alloc),
        cmocka_unit_test_teardown(test_alloc_fail_after, reset_alloc),
        cmocka_unit_test_teardown(test_alloc_realloc_failure_keeps_block, reset_alloc),
        cmocka_unit_test(test_alloc_overflow_checks),
        cmocka_unit_test(test_alloc_strdup),
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_no_overlap),
        cmocka_unit_test(test_arena_big_allocation),
        cmocka_unit_test(test_arena_reset_and_leaks),
        cmocka_unit_test(test_arena_calloc_strndup),
        cmocka_unit_test_teardown(test_arena_allocation_failure, reset_alloc),
        cmocka_unit_test(test_vec_growth),
        cmocka_unit_test_teardown(test_vec_failure_keeps_contents, reset_alloc),
        cmocka_unit_test(test_vec_of_structs),
        cmocka_unit_test(test_strbuf_append),
        cmocka_unit_test(test_strbuf_printf),
        cmocka_unit_test_teardown(test_strbuf_failure_keeps_contents, reset_alloc),
        cmocka_unit_test_teardown(test_fail_every_allocation, reset_alloc),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_log_level_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
