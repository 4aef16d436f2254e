/*
 * test_btree.c - tests for the B+tree index (src/db/btree.h).
 *
 * Three kinds of test:
 *   - edge cases, one per test: the empty tree, one entry, duplicates,
 *     keys that are prefixes of each other, the empty key, the longest
 *     key, every kind of range bound, iterators during changes;
 *   - model tests: long random runs (fixed seeds) of inserts, deletes,
 *     lookups and range scans, each answered both by the tree and by a
 *     plain sorted array, with btree_check run as they go.  Most runs use
 *     tiny nodes (btree_new_sized) so that a few thousand entries already
 *     make a tree ten levels deep, where every split, merge, borrow and
 *     root change happens thousands of times;
 *   - allocation failures: every insert that needs memory is first made
 *     to fail at each of its allocations; it must return ST_NOMEM and
 *     leave the tree exactly as it was.
 *
 * The model's range filter implements the bound rule of btree.h directly
 * (truncate, compare), independently of the tree's own seek logic.
 *
 * Book: chapter 10, book/10-btree.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree_model.h"
#include "db/btree.h"
#include "db/btree_int.h"
#include "util/alloc.h"

static int reset_alloc(void **state)
{
    (void)state;
    mem_fail_after(-1);
    return 0;
}

/* ===== Edge cases ====================================================== */

static void test_btree_empty(void **state)
{
    (void)state;
    long live = mem_live();
    BTree *t = btree_new();
    assert_non_null(t);
    check_tree(t);
    assert_int_equal(btree_count(t), 0);
    assert_int_equal(btree_height(t), 0);
    assert_int_equal(btree_max_key(t), BTREE_MAX_KEY);
    assert_false(btree_contains_key(t, B("a"), 1, NULL));
    assert_false(btree_contains_key(t, NULL, 0, NULL));
    assert_int_equal(btree_delete(t, B("a"), 1, 1), ST_NOT_FOUND);
    BTreeIter it;
    const uint8_t *k;
    size_t len;
    uint64_t r;
    btree_iter_range(t, UNB, UNB, &it);
    assert_false(btree_iter_next(&it, &k, &len, &r));
    assert_false(btree_iter_next(&it, &k, &len, &r));   /* and ever after */
    btree_iter_fini(&it);
    btree_iter_fini(&it);                               /* twice is fine */
    assert_true(btree_memory(t) > 4000 && btree_memory(t) < 5000);
    btree_free(t);
    btree_free(NULL);
    assert_int_equal(mem_live(), live);
}

static void test_btree_single(void **state)
{
    (void)state;
    BTree *t = btree_new();
    uint64_t r = 0;
    assert_int_equal(btree_insert(t, B("key"), 3, 42), ST_OK);
    assert_int_equal(btree_insert(t, B("key"), 3, 42), ST_EXISTS);
    assert_int_equal(btree_count(t), 1);
    assert_true(btree_contains_key(t, B("key"), 3, &r));
    assert_int_equal(r, 42);
    assert_false(btree_contains_key(t, B("ke"), 2, NULL));
    assert_false(btree_contains_key(t, B("key!"), 4, NULL));
    assert_int_equal(btree_delete(t, B("key"), 3, 41), ST_NOT_FOUND);
    assert_int_equal(btree_delete(t, B("key"), 3, 42), ST_OK);
    assert_int_equal(btree_delete(t, B("key"), 3, 42), ST_NOT_FOUND);
    assert_int_equal(btree_count(t), 0);
    check_tree(t);
    btree_free(t);
}

static void test_btree_duplicates(void **state)
{
    (void)state;
    BTree *t = btree_new();
    for (uint64_t r = 2000; r >= 1; r--)    /* one key, 2000 rows: many leaves */
        assert_int_equal(btree_insert(t, B("same"), 4, r * 3), ST_OK);
    assert_int_equal(btree_insert(t, B("samd"), 4, 1), ST_OK);
    assert_int_equal(btree_insert(t, B("samf"), 4, 1), ST_OK);
    assert_int_equal(btree_insert(t, B("same"), 4, 300), ST_EXISTS);
    check_tree(t);
    assert_true(btree_height(t) >= 1);
    uint64_t r, *rows = calloc(3000, sizeof *rows);
    assert_true(btree_contains_key(t, B("same"), 4, &r));
    assert_int_equal(r, 3);                 /* the smallest row id */
    BTreeBound b = bound(BOUND_INCLUDED, "same", 4);
    assert_int_equal(scan(t, b, b, rows, 3000), 2000);
    for (size_t i = 0; i < 2000; i++)
        assert_int_equal(rows[i], 3 * (i + 1));     /* in row id order */
    for (uint64_t i = 1; i <= 2000; i += 2)
        assert_int_equal(btree_delete(t, B("same"), 4, i * 3), ST_OK);
    check_tree(t);
    assert_int_equal(scan(t, b, b, rows, 3000), 1000);
    assert_true(btree_contains_key(t, B("same"), 4, &r));
    assert_int_equal(r, 6);
    free(rows);
    btree_free(t);
}

static void test_btree_prefix_keys(void **state)
{
    (void)state;
    /* Inserted shuffled; expected order is memcmp with shorter first. */
    static const struct { const char *k; size_t len; } keys[] = {
        {"b", 1}, {"a\0\0", 3}, {"", 0}, {"ab", 2}, {"a", 1}, {"a\0", 2},
        {"\xff", 1}, {"a\xff", 2}, {"\0", 1},
    };
    static const uint64_t order[] = {3, 9, 5, 6, 2, 4, 8, 1, 7};  /* 1-based */
    BTree *t = btree_new();
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(btree_insert(t, B(keys[i].k), keys[i].len, i + 1), ST_OK);
    uint64_t rows[9];
    assert_int_equal(scan(t, UNB, UNB, rows, 9), 9);
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(rows[i], order[i]);
    uint64_t r;
    assert_true(btree_contains_key(t, B("a\0"), 2, &r));
    assert_int_equal(r, 6);
    assert_false(btree_contains_key(t, B("a\0\0\0"), 4, NULL));
    assert_false(btree_contains_key(t, B("aa"), 2, NULL));
    /* Prefix scan "a": a, a\0, a\0\0, a\xff, ab - but not "" or "b". */
    BTreeBound a = bound(BOUND_INCLUDED, "a", 1);
    assert_int_equal(scan(t, a, a, rows, 9), 5);
    assert_int_equal(rows[0], 5);
    assert_int_equal(rows[4], 8);
    check_tree(t);
    btree_free(t);
}

static void test_btree_empty_key(void **state)
{
    (void)state;
    BTree *t = btree_new();
    uint64_t rows[8], r;
    assert_int_equal(btree_insert(t, NULL, 0, 7), ST_OK);
    assert_int_equal(btree_insert(t, B(""), 0, 5), ST_OK);
    assert_int_equal(btree_insert(t, B("x"), 1, 1), ST_OK);
    assert_true(btree_contains_key(t, NULL, 0, &r));
    assert_int_equal(r, 5);
    BTreeBound inc = bound(BOUND_INCLUDED, "", 0), exc = bound(BOUND_EXCLUDED, "", 0);
    assert_int_equal(scan(t, inc, UNB, rows, 8), 3);    /* trunc(K,0) >= "" : all */
    assert_int_equal(scan(t, UNB, inc, rows, 8), 3);    /* trunc(K,0) <= "" : all */
    assert_int_equal(scan(t, exc, UNB, rows, 8), 0);    /* trunc(K,0) > ""  : none */
    assert_int_equal(scan(t, UNB, exc, rows, 8), 0);
    BTreeBound e1 = bound(BOUND_EXCLUDED, "x", 1);
    assert_int_equal(scan(t, UNB, e1, rows, 8), 2);     /* the two empty keys */
    assert_int_equal(rows[0], 5);
    assert_int_equal(btree_delete(t, NULL, 0, 5), ST_OK);
    assert_int_equal(btree_delete(t, NULL, 0, 7), ST_OK);
    assert_false(btree_contains_key(t, NULL, 0, NULL));
    check_tree(t);
    btree_free(t);
}

static void test_btree_long_keys(void **state)
{
    (void)state;
    BTree *t = btree_new();
    uint8_t *key = calloc(BTREE_MAX_KEY + 1, 1);
    assert_int_equal(btree_insert(t, key, BTREE_MAX_KEY + 1, 1), ST_LIMIT);
    /* 300 maximal keys differing only in their last two bytes: 3 per leaf. */
    for (unsigned i = 0; i < 300; i++) {
        unsigned v = (i * 7919) % 300;
        key[BTREE_MAX_KEY - 2] = (uint8_t)(v >> 8);
        key[BTREE_MAX_KEY - 1] = (uint8_t)v;
        assert_int_equal(btree_insert(t, key, BTREE_MAX_KEY, v), ST_OK);
    }
    check_tree(t);
    assert_true(btree_height(t) >= 2);
    uint64_t rows[300];
    assert_int_equal(scan(t, UNB, UNB, rows, 300), 300);
    for (unsigned i = 0; i < 300; i++)
        assert_int_equal(rows[i], i);
    /* A bound longer than any key: cut, same answers. */
    BTreeBound hi = {BOUND_INCLUDED, key, BTREE_MAX_KEY + 1};   /* 0.., 0, 100, 0 */
    key[BTREE_MAX_KEY - 2] = 0;
    key[BTREE_MAX_KEY - 1] = 100;
    assert_int_equal(scan(t, UNB, hi, rows, 300), 101);
    for (unsigned i = 0; i < 300; i++) {
        key[BTREE_MAX_KEY - 2] = (uint8_t)(i >> 8);
        key[BTREE_MAX_KEY - 1] = (uint8_t)i;
        assert_int_equal(btree_delete(t, key, BTREE_MAX_KEY, i), ST_OK);
        if (i % 50 == 0)
            check_tree(t);
    }
    assert_int_equal(btree_height(t), 0);
    check_tree(t);
    free(key);
    btree_free(t);
}

/* Every pair of bounds over keys of 0..2 bytes from {0, 3, 9, 10}, of
 * every kind: 63 bounds, 3969 scans compared with the model. */
static void every_bound_pair(BTree *t, const Model *m)
{
    static const uint8_t vals[] = {0, 3, 9, 10};
    uint8_t buf[2][2];
    for (int n = 0; n < 63 * 63; n++) {
        BTreeBound bb[2];
        for (int j = 0, x = n; j < 2; j++, x /= 63) {
            bb[j].kind = (BoundKind)(x % 3);
            int shape = x / 3 % 21;     /* 1 empty, 4 one-byte, 16 two-byte */
            int v = shape < 5 ? shape - 1 : shape - 5;
            bb[j].len = shape == 0 ? 0 : shape < 5 ? 1 : 2;
            buf[j][0] = vals[shape < 5 ? (v < 0 ? 0 : v) : v / 4];
            buf[j][1] = vals[(v < 0 ? 0 : v) % 4];
            bb[j].key = buf[j];
        }
        compare_range(t, m, bb[0], bb[1]);
    }
}

/* Two-column keys (a, b), one byte each, rowid 10a+b: the bound examples
 * of book 10.6, and then every bound of up to 2 bytes against the model. */
static void test_btree_bounds(void **state)
{
    (void)state;
    BTree *t = btree_new_sized(4, 96);
    Model m = {0};
    for (uint8_t a = 0; a < 10; a++)
        for (uint8_t b = 0; b < 10; b++) {
            uint8_t k[2] = {a, b};
            assert_int_equal(btree_insert(t, k, 2, 10u * a + b), ST_OK);
            model_insert(&m, k, 2, 10u * a + b);
        }
    uint64_t rows[100];
    BTreeBound a3 = bound(BOUND_INCLUDED, "\3", 1);     /* a == 3 */
    assert_int_equal(scan(t, a3, a3, rows, 100), 10);
    assert_int_equal(rows[0], 30);
    BTreeBound x3 = bound(BOUND_EXCLUDED, "\3", 1), i5 = bound(BOUND_INCLUDED, "\5", 1);
    assert_int_equal(scan(t, x3, i5, rows, 100), 20);  /* 3 < a <= 5 */
    assert_int_equal(rows[0], 40);
    BTreeBound lo35 = bound(BOUND_INCLUDED, "\3\5", 2), x4 = bound(BOUND_EXCLUDED, "\4", 1);
    assert_int_equal(scan(t, lo35, x4, rows, 100), 5); /* (3,5) <= k, a < 4 */
    assert_int_equal(rows[0], 35);
    BTreeBound x2 = bound(BOUND_EXCLUDED, "\2", 1);
    assert_int_equal(scan(t, UNB, x2, rows, 100), 20); /* a < 2 */
    every_bound_pair(t, &m);
    check_tree(t);
    free(m.e);
    btree_free(t);
}

/* Bounds of every length from 0 to 20 bytes, against keys that share
 * prefixes of every length with them and then go up, down or stop: this
 * is where truncating to the bound's length matters, in both the 16-byte
 * hints and the full comparison. */
static void test_btree_bound_lengths(void **state)
{
    (void)state;
    static const uint8_t base[21] = "0123456789abcdefghij";
    BTree *t = btree_new_sized(4, 128);
    Model m = {0};
    uint8_t key[MKEY];
    uint64_t r = 0;
    for (size_t i = 0; i <= 20; i++) {
        for (int v = 0; v < 4; v++) {
            memcpy(key, base, i);
            size_t len = i + (v > 0);
            key[i] = v == 1 ? 0x00 : v == 2 ? 0xff : (uint8_t)(base[i] + 1);
            model_insert(&m, key, len, r);
            assert_int_equal(btree_insert(t, key, len, r++), ST_OK);
        }
    }
    check_tree(t);
    uint8_t b1[MKEY], b2[MKEY];
    for (size_t i = 0; i <= 20; i++)
        for (int kind = 0; kind < 9; kind++) {
            memcpy(b1, base, i);
            memcpy(b2, base, i);
            b2[i > 0 ? i - 1 : 0] ^= 1;     /* a near miss for the other end */
            BTreeBound lo = {(BoundKind)(kind % 3), b1, i};
            BTreeBound hi = {(BoundKind)(kind / 3), kind & 1 ? b1 : b2, i};
            compare_range(t, &m, lo, hi);
            compare_range(t, &m, hi, lo);
            compare_range(t, &m, lo, lo);
        }
    free(m.e);
    btree_free(t);
}

/* ===== Iterators during changes ======================================== */

/* Delete every entry as it is returned, insert one ahead and one behind:
 * the deletes are not repeated, the ones ahead are seen, those behind
 * are not, and each returned key survives the changes made after it. */
static void test_btree_iter_changes(void **state)
{
    (void)state;
    BTree *t = btree_new_sized(4, 96);
    uint8_t k[8];
    for (uint64_t i = 0; i < 1000; i++) {
        be64(k, 1000 + i);
        assert_int_equal(btree_insert(t, k, 8, i), ST_OK);
    }
    BTreeIter it;
    const uint8_t *key;
    size_t len, seen = 0;
    uint64_t rowid, prev = 0;
    btree_iter_range(t, UNB, UNB, &it);
    while (btree_iter_next(&it, &key, &len, &rowid)) {
        uint8_t copy[8];
        assert_int_equal(len, 8);
        memcpy(copy, key, 8);
        assert_int_equal(btree_delete(t, key, len, rowid), ST_OK);
        if (rowid < 500) {
            be64(k, 5000 + rowid);          /* ahead: will be seen */
            assert_int_equal(btree_insert(t, k, 8, 5000 + rowid), ST_OK);
        }
        assert_int_equal(btree_insert(t, B(""), 0, seen), ST_OK);  /* behind */
        assert_memory_equal(key, copy, 8);  /* still the returned key */
        if (seen > 0)
            assert_true(rowid > prev);      /* rowids grow with the keys here */
        prev = rowid;
        seen++;
    }
    assert_int_equal(seen, 1500);
    assert_int_equal(btree_count(t), 1500);     /* the entries inserted behind */
    check_tree(t);
    /* A clear ends a running iteration cleanly. */
    btree_iter_range(t, UNB, UNB, &it);
    assert_true(btree_iter_next(&it, &key, &len, &rowid));
    btree_clear(t);
    assert_false(btree_iter_next(&it, &key, &len, &rowid));
    btree_iter_fini(&it);
    check_tree(t);
    assert_int_equal(btree_insert(t, k, 8, 1), ST_OK);   /* still usable */
    btree_free(t);
}

/* One random change while iterating: delete an entry (noted in gone) or
 * insert one with a fresh rowid (so a deleted entry never comes back). */
static void random_change(BTree *t, Model *m, Model *gone, uint64_t *fresh)
{
    uint8_t key[MKEY];
    if (rnd() % 2 && m->n) {
        MEntry e = m->e[rnd() % m->n];
        assert_int_equal(btree_delete(t, e.key, e.len, e.rowid), ST_OK);
        model_delete(m, e.key, e.len, e.rowid);
        model_insert(gone, e.key, e.len, e.rowid);
    } else {
        size_t len = random_key(key, 5);
        assert_int_equal(btree_insert(t, key, len, *fresh), ST_OK);
        model_insert(m, key, len, (*fresh)++);
    }
}

static bool model_has(const Model *m, const MEntry *e)
{
    size_t at = model_find(m, e->key, e->len, e->rowid);
    return at < m->n && ment_cmp(&m->e[at], e->key, e->len, e->rowid) == 0;
}

/* Scan [lo, hi] making random changes after every entry: the results
 * strictly increase, each was present when returned, and every entry in
 * range at the start that was never deleted is returned. */
static void scan_while_changing(BTree *t, Model *m, BTreeBound lo, BTreeBound hi,
                                uint64_t *fresh)
{
    Model start = {0}, gone = {0}, got = {0};
    for (size_t i = 0; i < m->n; i++)
        if (in_range(&m->e[i], lo, hi))
            model_insert(&start, m->e[i].key, m->e[i].len, m->e[i].rowid);
    BTreeIter it;
    MEntry cur;
    const uint8_t *k;
    btree_iter_range(t, lo, hi, &it);
    while (btree_iter_next(&it, &k, &cur.len, &cur.rowid)) {
        memcpy(cur.key, k, cur.len);
        assert_true(model_has(m, &cur));
        if (got.n)
            assert_true(ment_cmp(&got.e[got.n - 1], cur.key, cur.len, cur.rowid) < 0);
        model_insert(&got, cur.key, cur.len, cur.rowid);
        for (int c = (int)(rnd() % 4); c > 0; c--)
            random_change(t, m, &gone, fresh);
    }
    btree_iter_fini(&it);
    for (size_t i = 0; i < start.n; i++)
        assert_true(model_has(&gone, &start.e[i]) || model_has(&got, &start.e[i]));
    free(start.e);
    free(gone.e);
    free(got.e);
}

static void test_btree_iter_random_changes(void **state)
{
    (void)state;
    rng_state = 0x1234567;
    uint64_t fresh = 1u << 20;
    for (int round = 0; round < 300; round++) {
        BTree *t = btree_new_sized(4, 96);
        Model m = {0};
        uint8_t key[MKEY], b1[MKEY], b2[MKEY];
        for (int i = 0; i < 400; i++) {
            size_t len = random_key(key, 5);
            uint64_t r = rnd() % 8;
            if (model_insert(&m, key, len, r))
                assert_int_equal(btree_insert(t, key, len, r), ST_OK);
        }
        scan_while_changing(t, &m, random_bound(b1, 3), random_bound(b2, 3), &fresh);
        check_tree(t);
        compare_range(t, &m, UNB, UNB);
        free(m.e);
        btree_free(t);
    }
}

/* ===== Model tests ===================================================== */

static void test_btree_model_tiny_nodes(void **state)
{
    (void)state;
    long live = mem_live();
    BTree *t = btree_new_sized(4, 96);
    assert_int_equal(btree_max_key(t), 96 / 3 - 12);
    model_run(t, 1, 150000, 6, 500);
    model_run(t, 2, 60000, 3, 500);     /* few distinct keys: many duplicates */
    btree_free(t);
    assert_int_equal(mem_live(), live);
}

static void test_btree_model_small_nodes(void **state)
{
    (void)state;
    BTree *t = btree_new_sized(7, 400);
    model_run(t, 3, 100000, MKEY, 1000);
    btree_free(t);
}

static void test_btree_model_default_nodes(void **state)
{
    (void)state;
    BTree *t = btree_new();
    model_run(t, 4, 100000, 24, 5000);
    btree_free(t);
}

/* Keys inserted in order: the last leaf is split unevenly, so leaves stay
 * full (book 10.4); in reverse order they end up half full. */
static void test_btree_ascending_fill(void **state)
{
    (void)state;
    BTree *t = btree_new();
    uint8_t k[8];
    for (uint64_t i = 0; i < 100000; i++) {
        be64(k, i);
        assert_int_equal(btree_insert(t, k, 8, i), ST_OK);
    }
    check_tree(t);
    double per_entry = (double)btree_memory(t) / 100000;
    assert_true(per_entry < 20.0);          /* 19 bytes of cell + slot */
    btree_clear(t);
    for (uint64_t i = 100000; i-- > 0;) {
        be64(k, i);
        assert_int_equal(btree_insert(t, k, 8, i), ST_OK);
    }
    check_tree(t);
    per_entry = (double)btree_memory(t) / 100000;
    assert_true(per_entry > 30.0 && per_entry < 45.0);
    size_t n;
    BTreeBound lo = {BOUND_INCLUDED, k, 8}, hi = {BOUND_EXCLUDED, k, 8};
    be64(k, 0);
    assert_int_equal(btree_delete_range(t, lo, UNB, &n), ST_OK);   /* all */
    assert_int_equal(n, 100000);
    assert_int_equal(btree_count(t), 0);
    assert_int_equal(btree_delete_range(t, UNB, hi, NULL), ST_OK);  /* none left */
    check_tree(t);
    btree_free(t);
}

static void test_btree_delete_range(void **state)
{
    (void)state;
    rng_state = 99;
    for (int round = 0; round < 200; round++) {
        BTree *t = btree_new_sized(5, 128);
        Model m = {0};
        uint8_t key[MKEY], b1[MKEY], b2[MKEY];
        for (int i = 0; i < 500; i++) {
            size_t len = random_key(key, 4);
            uint64_t r = rnd() % 4;
            if (model_insert(&m, key, len, r))
                assert_int_equal(btree_insert(t, key, len, r), ST_OK);
        }
        BTreeBound lo = random_bound(b1, 3), hi = random_bound(b2, 3);
        size_t want = 0, n;
        for (size_t i = m.n; i-- > 0;)
            if (in_range(&m.e[i], lo, hi)) {
                model_delete(&m, m.e[i].key, m.e[i].len, m.e[i].rowid);
                want++;
            }
        assert_int_equal(btree_delete_range(t, lo, hi, &n), ST_OK);
        assert_int_equal(n, want);
        check_tree(t);
        compare_range(t, &m, UNB, UNB);
        free(m.e);
        btree_free(t);
    }
}

/* ===== Allocation failures ============================================= */

/* Every allocation an insert makes is made to fail in turn: ST_NOMEM,
 * and the tree still checks out, holds the same entries, and works. */
static void test_btree_insert_nomem(void **state)
{
    (void)state;
    long live = mem_live();
    BTree *t = btree_new_sized(4, 96);
    Model m = {0};
    uint8_t key[MKEY];
    long failures = 0, deepest = 0;
    rng_state = 5;
    for (int i = 0; i < 3000; i++) {
        size_t len = random_key(key, 6);
        if (!model_insert(&m, key, len, (uint64_t)i))
            continue;
        for (long k = 0;; k++) {
            mem_fail_after(k);
            Status st = btree_insert(t, key, len, (uint64_t)i);
            mem_fail_after(-1);
            if (st == ST_OK)
                break;
            assert_int_equal(st, ST_NOMEM);
            failures++;
            deepest = k > deepest ? k : deepest;
            assert_int_equal(btree_count(t), m.n - 1);
            assert_int_equal(btree_delete(t, key, len, (uint64_t)i), ST_NOT_FOUND);
            if (failures % 16 == 0)
                check_tree(t);
        }
        if (i % 100 == 0) {
            check_tree(t);
            compare_range(t, &m, UNB, UNB);
        }
    }
    assert_true(failures > 500);
    assert_true(deepest >= 3);      /* splits that reached up several levels */
    check_tree(t);
    compare_range(t, &m, UNB, UNB);
    free(m.e);
    btree_free(t);
    assert_int_equal(mem_live(), live);
}

/* A key longer than the iterator's inline buffer needs the heap. */
static void test_btree_iter_nomem(void **state)
{
    (void)state;
    BTree *t = btree_new();
    uint8_t key[100] = {0};
    assert_int_equal(btree_insert(t, key, 10, 1), ST_OK);
    assert_int_equal(btree_insert(t, key, 100, 2), ST_OK);
    BTreeIter it;
    const uint8_t *k;
    size_t len;
    uint64_t r;
    btree_iter_range(t, UNB, UNB, &it);
    mem_fail_after(0);
    assert_true(btree_iter_next(&it, &k, &len, &r));      /* short: inline */
    assert_false(btree_iter_next(&it, &k, &len, &r));     /* long: no memory */
    mem_fail_after(-1);
    assert_int_equal(btree_iter_status(&it), ST_NOMEM);
    assert_false(btree_iter_next(&it, &k, &len, &r));
    btree_iter_fini(&it);
    /* A long bound that cannot be copied ends the iterator at once. */
    BTreeBound lo = {BOUND_INCLUDED, key, 50};
    mem_fail_after(0);
    btree_iter_range(t, lo, UNB, &it);
    mem_fail_after(-1);
    assert_false(btree_iter_next(&it, &k, &len, &r));
    assert_int_equal(btree_iter_status(&it), ST_NOMEM);
    btree_iter_fini(&it);
    btree_free(t);
}

/* ===== The checker catches broken invariants =========================== */

static void expect_bad(const BTree *t, const char *needle)
{
    char msg[200];
    if (btree_check(t, msg, sizeof msg) != ST_INVALID)
        fail_msg("btree_check missed a broken tree (\"%s\")", needle);
    if (!strstr(msg, needle))
        fail_msg("btree_check said \"%s\", expected \"%s\"", msg, needle);
}

/* Damage a copy of leaf l's state, check, restore. */
typedef struct Saved { Leaf *l; uint8_t buf[sizeof(Leaf) + 4096]; } Saved;
static void save(Saved *s, Leaf *l) { s->l = l; memcpy(s->buf, l, sizeof(Leaf) + l->cap); }
static void restore(Saved *s) { memcpy(s->l, s->buf, sizeof(Leaf) + s->l->cap); }

static void test_btree_check_detects(void **state)
{
    (void)state;
    BTree *t = btree_new_sized(4, 96);
    uint8_t k[8];
    for (uint64_t i = 0; i < 300; i++) {
        be64(k, i);
        assert_int_equal(btree_insert(t, k, 8, i), ST_OK);
    }
    check_tree(t);
    Inner *root = t->root;
    Leaf *first = btree_first_leaf(t), *second = first->next;
    Saved sv;
    t->count++, expect_bad(t, "count"), t->count--;
    t->nleaves++, expect_bad(t, "leaves"), t->nleaves--;
    root->hint[1].lo ^= 1, expect_bad(t, "hint[1] is stale"), root->hint[1].lo ^= 1;
    Leaf *low1 = root->low[1], *last = first;
    root->low[1] = first, expect_bad(t, "low[1]"), root->low[1] = low1;
    while (last->next)
        last = last->next;
    last->next = first, expect_bad(t, "last leaf has a next"), last->next = NULL;
    uint32_t n = root->n;
    root->n = 1, expect_bad(t, "children"), root->n = n;
    first->next = second->next, expect_bad(t, "next is not this leaf"), first->next = second;
    first->kind = NODE_INNER, expect_bad(t, "not a leaf"), first->kind = NODE_LEAF;
    save(&sv, second);
    second->bytes[leaf_slot(second, 1) + 8] = 0;    /* key 1 < key 0 now */
    expect_bad(t, "out of order"), restore(&sv);
    leaf_set_slot(second, 0, 1), expect_bad(t, "slot 0"), restore(&sv);
    second->bytes[0] = 0x7f, expect_bad(t, "bad key length 127"), restore(&sv);
    second->bytes[leaf_slot(second, second->n - 1)] = 20;  /* <= max_key, too long */
    expect_bad(t, "past the end"), restore(&sv);
    btree_leaf_erase(second, 1, second->n), expect_bad(t, "minimum"), restore(&sv);
    btree_leaf_erase(second, 0, second->n), expect_bad(t, "empty"), restore(&sv);
    check_tree(t);
    btree_free(t);
}

static void test_btree_new_sized_args(void **state)
{
    (void)state;
    assert_null(btree_new_sized(3, 96));
    assert_null(btree_new_sized(65, 96));
    assert_null(btree_new_sized(4, 63));
    assert_null(btree_new_sized(4, 5000));
    mem_fail_after(0);
    assert_null(btree_new());
    mem_fail_after(1);
    assert_null(btree_new());   /* the first leaf fails */
    mem_fail_after(-1);
    BTree *t = btree_new_sized(4, 64);
    assert_non_null(t);
    assert_int_equal(btree_max_key(t), 64 / 3 - 12);
    uint8_t key[16] = {0};
    assert_int_equal(btree_insert(t, key, 10, 1), ST_LIMIT);
    assert_int_equal(btree_insert(t, key, 9, 1), ST_OK);
    btree_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_btree_empty, reset_alloc),
        cmocka_unit_test_teardown(test_btree_single, reset_alloc),
        cmocka_unit_test_teardown(test_btree_duplicates, reset_alloc),
        cmocka_unit_test_teardown(test_btree_prefix_keys, reset_alloc),
        cmocka_unit_test_teardown(test_btree_empty_key, reset_alloc),
        cmocka_unit_test_teardown(test_btree_long_keys, reset_alloc),
        cmocka_unit_test_teardown(test_btree_bounds, reset_alloc),
        cmocka_unit_test_teardown(test_btree_bound_lengths, reset_alloc),
        cmocka_unit_test_teardown(test_btree_iter_changes, reset_alloc),
        cmocka_unit_test_teardown(test_btree_iter_random_changes, reset_alloc),
        cmocka_unit_test_teardown(test_btree_model_tiny_nodes, reset_alloc),
        cmocka_unit_test_teardown(test_btree_model_small_nodes, reset_alloc),
        cmocka_unit_test_teardown(test_btree_model_default_nodes, reset_alloc),
        cmocka_unit_test_teardown(test_btree_ascending_fill, reset_alloc),
        cmocka_unit_test_teardown(test_btree_delete_range, reset_alloc),
        cmocka_unit_test_teardown(test_btree_insert_nomem, reset_alloc),
        cmocka_unit_test_teardown(test_btree_iter_nomem, reset_alloc),
        cmocka_unit_test_teardown(test_btree_check_detects, reset_alloc),
        cmocka_unit_test_teardown(test_btree_new_sized_args, reset_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
