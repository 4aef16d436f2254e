/*
 * btree_model.h - the B-tree tests' reference model and random inputs.
 *
 * The model is the simplest thing that can be right: a sorted array of
 * (key, rowid) entries, with binary search and memmove.  Every answer the
 * tree gives in tests/test_btree.c is compared with the model's.  Its
 * range filter applies the bound rule of btree.h literally (truncate the
 * key to the bound's length, compare), so it shares no code with the
 * tree's own seek logic.  Random keys come from a five-letter alphabet
 * that includes 0x00 and 0xff, so equal keys, keys that are prefixes of
 * each other and the extreme keys are all common.  model_run drives a
 * long random mix of operations through both.
 *
 * Included by tests/test_btree.c only (after cmocka.h).
 *
 * Book: chapter 10, book/10-btree.md
 */
#ifndef TINYSTDB_TESTS_BTREE_MODEL_H
#define TINYSTDB_TESTS_BTREE_MODEL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/btree.h"

static void check_tree(const BTree *t)
{
    char msg[200];
    Status st = btree_check(t, msg, sizeof msg);
    if (st != ST_OK)
        fail_msg("btree_check: %s", msg);
}

#define B(s) ((const uint8_t *)(s))

static BTreeBound bound(BoundKind kind, const char *key, size_t len)
{
    BTreeBound b = {kind, B(key), len};
    return b;
}

static const BTreeBound UNB = {BOUND_UNBOUNDED, NULL, 0};

/* ===== The model: a sorted array of entries ============================ */

#define MKEY 40                     /* longest key the model tests use */

typedef struct MEntry {
    uint8_t key[MKEY];
    size_t len;
    uint64_t rowid;
} MEntry;

typedef struct Model {
    MEntry *e;
    size_t n, cap;
} Model;

static int mkey_cmp(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
    size_t m = la < lb ? la : lb;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (la > lb) - (la < lb);
}

static int ment_cmp(const MEntry *a, const uint8_t *key, size_t len, uint64_t rowid)
{
    int c = mkey_cmp(a->key, a->len, key, len);
    return c ? c : (a->rowid > rowid) - (a->rowid < rowid);
}

/* Index of the first entry >= (key, rowid). */
static size_t model_find(const Model *m, const uint8_t *key, size_t len, uint64_t rowid)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ment_cmp(&m->e[mid], key, len, rowid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool model_insert(Model *m, const uint8_t *key, size_t len, uint64_t rowid)
{
    size_t i = model_find(m, key, len, rowid);
    if (i < m->n && ment_cmp(&m->e[i], key, len, rowid) == 0)
        return false;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 256;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
        assert_non_null(m->e);
    }
    memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof *m->e);
    memcpy(m->e[i].key, key, len);
    m->e[i].len = len;
    m->e[i].rowid = rowid;
    m->n++;
    return true;
}

static bool model_delete(Model *m, const uint8_t *key, size_t len, uint64_t rowid)
{
    size_t i = model_find(m, key, len, rowid);
    if (i == m->n || ment_cmp(&m->e[i], key, len, rowid) != 0)
        return false;
    memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof *m->e);
    m->n--;
    return true;
}

/* The bound rule of btree.h, written out: trunc(K, len B) against B. */
static int trunc_cmp(const MEntry *x, BTreeBound b)
{
    return mkey_cmp(x->key, x->len < b.len ? x->len : b.len, b.key, b.len);
}

static bool in_range(const MEntry *x, BTreeBound lo, BTreeBound hi)
{
    if (lo.kind == BOUND_INCLUDED && trunc_cmp(x, lo) < 0)
        return false;
    if (lo.kind == BOUND_EXCLUDED && trunc_cmp(x, lo) <= 0)
        return false;
    if (hi.kind == BOUND_INCLUDED && trunc_cmp(x, hi) > 0)
        return false;
    if (hi.kind == BOUND_EXCLUDED && trunc_cmp(x, hi) >= 0)
        return false;
    return true;
}

/* The tree's answer for [lo, hi] equals the model's, entry by entry. */
static void compare_range(BTree *t, const Model *m, BTreeBound lo, BTreeBound hi)
{
    BTreeIter it;
    const uint8_t *key;
    size_t len, i = 0;
    uint64_t rowid;
    btree_iter_range(t, lo, hi, &it);
    while (btree_iter_next(&it, &key, &len, &rowid)) {
        while (i < m->n && !in_range(&m->e[i], lo, hi))
            i++;
        assert_true(i < m->n);
        assert_int_equal(ment_cmp(&m->e[i], key, len, rowid), 0);
        i++;
    }
    while (i < m->n && !in_range(&m->e[i], lo, hi))
        i++;
    assert_int_equal(i, m->n);      /* the tree found every match */
    assert_int_equal(btree_iter_status(&it), ST_OK);
    btree_iter_fini(&it);
}

/* ===== Random keys ===================================================== */

static uint64_t rng_state;

static uint64_t rnd(void)           /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Keys from a 5-letter alphabet with 0x00 and 0xff in it, so that keys
 * are often equal, often prefixes of each other, and the empty key and
 * the "all 0xff" extremes turn up. */
static size_t random_key(uint8_t *key, size_t maxlen)
{
    static const uint8_t alphabet[] = {0x00, 0x01, 0x61, 0x62, 0xff};
    size_t len = rnd() % (maxlen + 1);
    for (size_t i = 0; i < len; i++)
        key[i] = alphabet[rnd() % sizeof alphabet];
    return len;
}

static BTreeBound random_bound(uint8_t *buf, size_t maxlen)
{
    BTreeBound b;
    b.kind = (BoundKind)(rnd() % 3);
    b.len = random_key(buf, maxlen);
    b.key = buf;
    return b;
}

/* ===== The random driver ============================================== */

/* One random operation, on the tree and on the model; inserts are ins%
 * of the operations, deletes (half of them of entries that exist) most of
 * the rest, then lookups and range scans. */
static void model_step(BTree *t, Model *m, size_t maxlen, unsigned ins)
{
    uint8_t key[MKEY], b1[MKEY], b2[MKEY];
    unsigned dice = (unsigned)(rnd() % 100);
    size_t len = random_key(key, maxlen);
    uint64_t r = rnd() % 8, got;
    if (dice < ins) {
        bool fresh = model_insert(m, key, len, r);
        assert_int_equal(btree_insert(t, key, len, r), fresh ? ST_OK : ST_EXISTS);
    } else if (dice < 90) {
        if (dice % 2 && m->n) {
            const MEntry *e = &m->e[rnd() % m->n];
            memcpy(key, e->key, e->len);
            len = e->len;
            r = e->rowid;
        }
        bool had = model_delete(m, key, len, r);
        assert_int_equal(btree_delete(t, key, len, r), had ? ST_OK : ST_NOT_FOUND);
    } else if (dice < 98) {
        size_t at = model_find(m, key, len, 0);
        bool has = at < m->n && mkey_cmp(m->e[at].key, m->e[at].len, key, len) == 0;
        assert_int_equal(btree_contains_key(t, key, len, &got), has);
        if (has)
            assert_int_equal(got, m->e[at].rowid);
    } else {
        compare_range(t, m, random_bound(b1, maxlen), random_bound(b2, maxlen));
    }
    assert_int_equal(btree_count(t), m->n);
}

/* ops random operations on a tree of the given shape, keys of up to
 * maxlen bytes: inserts win in the first half, deletes in the second,
 * then everything left is deleted.  btree_check runs every check_every. */
static void model_run(BTree *t, uint64_t seed, long ops, size_t maxlen, long check_every)
{
    Model m = {0};
    rng_state = seed;
    for (long op = 0; op < ops; op++) {
        model_step(t, &m, maxlen, op < ops / 2 ? 60 : 35);
        if (op % check_every == 0)
            check_tree(t);
    }
    check_tree(t);
    compare_range(t, &m, UNB, UNB);
    while (m.n) {
        MEntry e = m.e[rnd() % m.n];
        assert_int_equal(btree_delete(t, e.key, e.len, e.rowid), ST_OK);
        model_delete(&m, e.key, e.len, e.rowid);
        if (m.n % 97 == 0)
            check_tree(t);
    }
    assert_int_equal(btree_height(t), 0);
    check_tree(t);
    free(m.e);
}

/* ===== Small helpers =================================================== */

static void be64(uint8_t *b, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
}

/* The row ids of a range, in order (at most max of them). */
static size_t scan(BTree *t, BTreeBound lo, BTreeBound hi, uint64_t *rowids, size_t max)
{
    BTreeIter it;
    const uint8_t *k;
    size_t len, n = 0;
    uint64_t r;
    btree_iter_range(t, lo, hi, &it);
    while (btree_iter_next(&it, &k, &len, &r)) {
        assert_true(n < max);
        rowids[n++] = r;
    }
    btree_iter_fini(&it);
    return n;
}

#endif
