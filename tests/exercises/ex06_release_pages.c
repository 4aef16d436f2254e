/*
 * ex06_release_pages.c - graded exercise: give empty row pages back.
 *
 * Exercise: 6
 * Title: Give empty pages back
 * Change: rowstore_free() in src/db/rowstore.c (and what must then skip a freed page)
 * Book: chapter 12, book/12-tables.md
 *
 * When the last row of a page is freed, the page's slots leave their free
 * list and the page is freed, keeping its page-table entry so that every
 * other RowId keeps its meaning.  So once every row is gone, rs.bytes is
 * only the page table.  rowstore_hdr of an id in a freed page is
 * ROW_FREE, rowstore_next skips freed pages (also while a walk frees the
 * rows it visits), rowstore_check passes throughout, and later rows reuse
 * the memory.
 */
#define EXERCISE_NUMBER 6
#define EXERCISE_SEE "book/12-tables.md, exercise 1"
#include "exercise.h"

#include <stdlib.h>
#include <string.h>

#include "db/rowstore.h"
#include "util/alloc.h"

static uint64_t rng = 88172645463325252u;
static uint64_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static void check(const RowStore *rs)
{
    char msg[200];
    CHECK(rowstore_check(rs, msg, sizeof msg) == ST_OK, "rowstore_check: %s", msg);
}

/* A row's bytes are a function of (seed, len), so they can be checked. */
static size_t fill(uint8_t *buf, uint32_t seed, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed * 31 + i);
    return len;
}

typedef struct Live {
    RowId id;
    uint32_t seed;
    uint32_t len;
} Live;

static void expect_row(const RowStore *rs, const Live *l)
{
    uint8_t want[1024];
    size_t len;
    CHECK(!(rowstore_hdr(rs, l->id) & ROW_FREE), "a live row reads as free");
    const uint8_t *p = rowstore_bytes(rs, l->id, &len);
    fill(want, l->seed, l->len);
    CHECK(len == l->len && memcmp(p, want, len) == 0, "a live row's bytes changed");
}

static size_t page_table_bytes(const RowStore *rs)
{
    return rs->cap * sizeof *rs->pages;
}

static void test_release_pages(void **state)
{
    (void)state;
    enum { N = 100000 };
    RowStore rs;
    rowstore_init(&rs);
    Live *live = malloc(N * sizeof *live);
    assert_non_null(live);
    uint8_t buf[1024];
    for (uint32_t i = 0; i < N; i++) {
        live[i].seed = i;
        live[i].len = (uint32_t)(8 + rnd() % 40);
        assert_int_equal(rowstore_add(&rs, buf, fill(buf, i, live[i].len), 0, &live[i].id), ST_OK);
    }
    check(&rs);
    for (size_t i = N; i > 1; i--) {   /* delete in a random order */
        size_t j = rnd() % i;
        Live x = live[i - 1];
        live[i - 1] = live[j], live[j] = x;
    }
    for (size_t i = 0; i < N; i++) {
        rowstore_free(&rs, live[i].id);
        if (i % 9973 == 0) {
            check(&rs);
            expect_row(&rs, &live[N - 1]);
        }
    }
    check(&rs);
    CHECK(rs.bytes < 2048, "after deleting all 100,000 rows the store still holds %zu bytes", rs.bytes);
    CHECK(rs.bytes == page_table_bytes(&rs), "with no rows left, only the page table may remain");
    for (size_t i = 0; i < N; i += 101)
        CHECK(rowstore_hdr(&rs, live[i].id) == ROW_FREE, "an id of a freed page must read ROW_FREE");
    uint64_t pos = 0;
    RowId id;
    CHECK(!rowstore_next(&rs, &pos, &id), "a walk over freed pages found a row");
    /* The store is still usable. */
    for (uint32_t i = 0; i < 2000; i++) {
        live[i].seed = i;
        live[i].len = (uint32_t)(rnd() % 300);
        assert_int_equal(rowstore_add(&rs, buf, fill(buf, i, live[i].len), 0, &live[i].id), ST_OK);
    }
    check(&rs);
    for (uint32_t i = 0; i < 2000; i++)
        expect_row(&rs, &live[i]);
    rowstore_fini(&rs);
    free(live);
}

/* Random adds and frees against a list of the live rows. */
static void test_release_random(void **state)
{
    (void)state;
    RowStore rs;
    rowstore_init(&rs);
    enum { MAX = 6000 };
    Live *live = malloc(MAX * sizeof *live);
    assert_non_null(live);
    size_t n = 0;
    uint8_t buf[1024];
    for (long op = 0; op < 300000; op++) {
        /* Phases of growth and of shrinking, so pages empty out. */
        bool grow = (op / 20000) % 2 == 0;
        if (n < MAX && (n == 0 || rnd() % 100 < (grow ? 70u : 25u))) {
            Live *l = &live[n++];
            l->seed = (uint32_t)op;
            l->len = (uint32_t)(rnd() % 4 ? rnd() % 60 : rnd() % 1000);
            assert_int_equal(rowstore_add(&rs, buf, fill(buf, l->seed, l->len), 0, &l->id), ST_OK);
        } else {
            size_t j = rnd() % n;
            rowstore_free(&rs, live[j].id);
            live[j] = live[--n];
        }
        if (op % 5000 == 0) {
            check(&rs);
            assert_int_equal(rs.nrows, n);
            for (size_t i = 0; i < n; i++)
                expect_row(&rs, &live[i]);
        }
    }
    /* Free everything from inside a walk, as table_clear-like code does. */
    uint64_t pos = 0;
    RowId id;
    size_t walked = 0;
    while (rowstore_next(&rs, &pos, &id)) {
        rowstore_free(&rs, id);
        walked++;
    }
    assert_int_equal(walked, n);
    check(&rs);
    CHECK(rs.bytes == page_table_bytes(&rs), "with no rows left, %zu bytes remain besides the "
          "page table", rs.bytes - page_table_bytes(&rs));
    rowstore_fini(&rs);
    free(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_pages),
        cmocka_unit_test(test_release_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
