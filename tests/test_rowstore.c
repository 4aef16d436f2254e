/*
 * test_rowstore.c - the row store's slabs and free lists, and RowList.
 *
 * Random adds and frees of rows from 0 bytes to 20 KiB (every size class
 * boundary included) against a model of what each live RowId must hold;
 * rowstore_check after every step; memory accounting; walking; failure
 * injection.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "db/rowlist.h"
#include "db/rowstore.h"
#include "util/alloc.h"

#define N 3000

typedef struct Live {
    RowId id;
    size_t len;
    uint8_t fill;
} Live;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static size_t pick_len(uint64_t *s)
{
    static const size_t edges[] = { 0, 1, 11, 12, 13, 252, 253, 284, 285, 508, 509, 4092, 4093 };
    uint64_t k = rnd(s) % 10;
    if (k < 3)
        return edges[rnd(s) % (sizeof edges / sizeof edges[0])];
    return k < 9 ? rnd(s) % 300 : rnd(s) % 20000;
}

static void assert_holds(const RowStore *rs, const Live *l)
{
    size_t len;
    const uint8_t *p = rowstore_bytes(rs, l->id, &len);
    assert_int_equal(len, l->len);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(p[i], (uint8_t)(l->fill + i));
    assert_int_equal(rowstore_hdr(rs, l->id) & ROW_FREE, 0);
}

static void assert_check(const RowStore *rs)
{
    char msg[128];
    if (rowstore_check(rs, msg, sizeof msg) != ST_OK)
        fail_msg("rowstore_check: %s", msg);
}

static void test_random(void **state)
{
    (void)state;
    RowStore rs;
    rowstore_init(&rs);
    Live *live = calloc(N, sizeof *live);
    uint8_t *buf = malloc(20000);
    size_t n = 0;
    uint64_t seed = 99;
    for (int step = 0; step < 20000; step++) {
        if (n < N && (n == 0 || rnd(&seed) % 3 != 0)) {
            Live l = { 0, pick_len(&seed), (uint8_t)rnd(&seed) };
            for (size_t i = 0; i < l.len; i++)
                buf[i] = (uint8_t)(l.fill + i);
            assert_int_equal(rowstore_add(&rs, buf, l.len, 0, &l.id), ST_OK);
            live[n++] = l;
        } else {
            size_t i = rnd(&seed) % n;
            assert_holds(&rs, &live[i]);
            rowstore_free(&rs, live[i].id);
            assert_int_equal(rowstore_hdr(&rs, live[i].id), ROW_FREE);
            live[i] = live[--n];
        }
        if (step % 500 == 0)
            assert_check(&rs);
    }
    assert_check(&rs);
    assert_int_equal(rs.nrows, n);
    for (size_t i = 0; i < n; i++)
        assert_holds(&rs, &live[i]);
    /* the walk visits exactly the live rows, in increasing RowId order */
    uint64_t pos = 0;
    RowId id, prev = 0;
    size_t seen = 0;
    while (rowstore_next(&rs, &pos, &id)) {
        assert_true(seen == 0 || id > prev);
        prev = id;
        seen++;
    }
    assert_int_equal(seen, n);
    /* flags live beside the length */
    rowstore_set_flags(&rs, live[0].id, 0x20000000u, 0);
    assert_int_equal(rowstore_hdr(&rs, live[0].id), 0x20000000u | live[0].len);
    rowstore_set_flags(&rs, live[0].id, 0, 0x20000000u);
    assert_holds(&rs, &live[0]);
    assert_int_equal(rowstore_hdr(&rs, ROWID_NONE), ROW_FREE);
    rowstore_clear(&rs);
    assert_int_equal(rs.nrows, 0);
    assert_int_equal(rs.bytes, 0);
    pos = 0;
    assert_false(rowstore_next(&rs, &pos, &id));
    rowstore_fini(&rs);
    free(live);
    free(buf);
}

/* A small table costs about a kilobyte; a big one ~ slot size per row. */
static void test_memory(void **state)
{
    (void)state;
    RowStore rs;
    rowstore_init(&rs);
    uint8_t row[32] = { 0 };
    RowId id;
    assert_int_equal(rowstore_add(&rs, row, 32, 0, &id), ST_OK);
    assert_true(rs.bytes < 1200);
    for (int i = 1; i < 100000; i++)
        assert_int_equal(rowstore_add(&rs, row, 32, 0, &id), ST_OK);
    double per = (double)rs.bytes / 100000;   /* 36 bytes in a 40-byte slot */
    assert_true(per >= 40.0 && per < 41.0);
    assert_int_equal(rowstore_add(&rs, row, ROWSTORE_MAX_ROW + 1, 0, &id), ST_LIMIT);
    assert_check(&rs);
    rowstore_fini(&rs);
}

static void test_nomem(void **state)
{
    (void)state;
    RowStore rs;
    rowstore_init(&rs);
    uint8_t row[100] = { 1 };
    for (int i = 0; i < 2000; i++) {
        RowId id;
        for (long k = 0;; k++) {
            size_t before = rs.nrows;
            mem_fail_after(k);
            Status st = rowstore_add(&rs, row, (size_t)i % 100, 0, &id);
            mem_fail_after(-1);
            assert_check(&rs);
            if (st == ST_OK)
                break;
            assert_int_equal(st, ST_NOMEM);
            assert_int_equal(rs.nrows, before);
        }
    }
    rowstore_fini(&rs);
}

static void test_rowlist(void **state)
{
    (void)state;
    RowList a, b;
    rowlist_init(&a), rowlist_init(&b);
    assert_int_equal(rowlist_push(&a, (const uint8_t *)"abc", 3), ST_OK);
    assert_int_equal(rowlist_push(&a, NULL, 0), ST_OK);       /* an empty row */
    assert_int_equal(rowlist_push(&a, (const uint8_t *)"de", 2), ST_OK);
    assert_int_equal(rowlist_push(&b, (const uint8_t *)"x", 1), ST_OK);
    assert_int_equal(rowlist_append(&b, &a), ST_OK);
    assert_int_equal(b.count, 4);
    size_t len;
    assert_memory_equal(rowlist_get(&b, 1, &len), "abc", 3);
    assert_int_equal(len, 3);
    rowlist_get(&b, 2, &len);
    assert_int_equal(len, 0);
    assert_memory_equal(rowlist_get(&b, 3, &len), "de", 2);
    assert_int_equal(b.bytes.len, 6);
    rowlist_truncate(&b, 2);
    assert_int_equal(b.count, 2);
    assert_int_equal(b.bytes.len, 4);
    rowlist_clear(&b);
    assert_int_equal(b.count, 0);
    rowlist_fini(&a), rowlist_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_nomem),
        cmocka_unit_test(test_rowlist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
