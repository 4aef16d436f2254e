/*
 * test_hashidx.c - tests for the hash index (src/db/hashidx.c).
 *
 * Three kinds of test:
 *   - edge cases, one per rule: the empty key, keys around the 8-byte
 *     inline limit and very long ones, a key with thousands of row ids,
 *     deleting what is not there, every step of the first few resizes,
 *     iterators while the index changes, clear;
 *   - a model test: long random runs (fixed seeds) of insert / delete /
 *     lookup / iterate, each answer compared with a naive sorted array of
 *     (key, rowid) pairs, and hashidx_check run every few hundred steps;
 *   - allocation failure: mem_fail_after makes the k-th allocation of an
 *     operation fail; the operation must return ST_NOMEM and leave the index
 *     valid and unchanged.
 * Plus the hash function's quality (distribution, avalanche) and a memory
 * budget.  Every test compares mem_live() before and after to find leaks.
 *
 * Book: chapter 11, book/11-hash-index.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/hashidx.h"
#include "util/alloc.h"

static int reset_alloc(void **state)
{
    (void)state;
    mem_fail_after(-1);
    return 0;
}

/* ---- helpers --------------------------------------------------------- */

static void must_check(const HashIndex *h)
{
    char msg[256];
    Status st = hashidx_check(h, msg, sizeof msg);
    if (st != ST_OK)
        fail_msg("hashidx_check: %s (%s)", msg, status_str(st));
}

#define S(s) ((const uint8_t *)(s))

/* All row ids of key through an iterator; returns how many (<= max). */
static size_t collect(HashIndex *h, const uint8_t *key, size_t len, uint64_t *out, size_t max)
{
    HashIter it;
    uint64_t r;
    size_t n = 0;
    hashidx_find(h, key, len, &it);
    while (n < max && hashidx_iter_next(&it, &r))
        out[n++] = r;
    return n;
}

/* splitmix64: a small deterministic generator for the random tests. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Fisher-Yates shuffle of a[0..n). */
static void shuffle(uint64_t *a, size_t n, uint64_t seed)
{
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_next(&seed) % (i + 1);
        uint64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static void be64(uint64_t v, uint8_t out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* ---- edge cases ------------------------------------------------------ */

static void test_empty_index(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    assert_non_null(h);
    uint64_t r = 99, ids[4];
    assert_int_equal(hashidx_count(h), 0);
    assert_false(hashidx_contains_key(h, S("a"), 1, &r));
    assert_int_equal(r, 99);
    assert_int_equal(collect(h, S("a"), 1, ids, 4), 0);
    assert_int_equal(hashidx_delete(h, S("a"), 1, 1), ST_NOT_FOUND);
    must_check(h);
    hashidx_free(h);
    hashidx_free(NULL);
    assert_int_equal(mem_live(), base);
}

/* The empty key is a key like any other, distinct from "\0". */
static void test_empty_key(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    uint64_t r, ids[4];
    assert_int_equal(hashidx_insert(h, NULL, 0, 5), ST_OK);
    assert_int_equal(hashidx_insert(h, S(""), 0, 5), ST_EXISTS);
    assert_int_equal(hashidx_insert(h, S(""), 0, 3), ST_OK);
    assert_false(hashidx_contains_key(h, S("\0"), 1, NULL));
    assert_true(hashidx_contains_key(h, NULL, 0, &r));
    assert_int_equal(r, 3);                      /* the smallest row id */
    assert_int_equal(collect(h, NULL, 0, ids, 4), 2);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 5);
    assert_int_equal(hashidx_insert(h, S("\0"), 1, 7), ST_OK);
    assert_int_equal(hashidx_delete(h, NULL, 0, 3), ST_OK);
    assert_int_equal(hashidx_delete(h, NULL, 0, 5), ST_OK);
    assert_false(hashidx_contains_key(h, NULL, 0, NULL));
    assert_true(hashidx_contains_key(h, S("\0"), 1, &r));
    assert_int_equal(r, 7);
    must_check(h);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* Keys around the inline limit, long keys, keys that are prefixes of each
 * other or differ only in their last byte. */
static void test_long_keys(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    static uint8_t big[70000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    size_t lens[] = {1, 7, 8, 9, 16, 17, 100, 1000, 69999, 70000};
    size_t nl = sizeof lens / sizeof lens[0];
    for (size_t i = 0; i < nl; i++)
        assert_int_equal(hashidx_insert(h, big, lens[i], i), ST_OK);
    size_t mem = hashidx_memory(h);
    assert_true(mem >= 70000 + 69999 + 1000);    /* copies are counted */
    big[69999] ^= 1;                             /* differs in the last byte */
    assert_false(hashidx_contains_key(h, big, 70000, NULL));
    assert_int_equal(hashidx_insert(h, big, 70000, 100), ST_OK);
    big[69999] ^= 1;
    for (size_t i = 0; i < nl; i++) {
        uint64_t r;
        assert_true(hashidx_contains_key(h, big, lens[i], &r));
        assert_int_equal(r, i);
        assert_int_equal(hashidx_insert(h, big, lens[i], i), ST_EXISTS);
    }
    assert_false(hashidx_contains_key(h, big, 2, NULL));
    assert_int_equal(hashidx_key_count(h), nl + 1);
    must_check(h);
    for (size_t i = 0; i < nl; i++)
        assert_int_equal(hashidx_delete(h, big, lens[i], i), ST_OK);
    assert_true(hashidx_memory(h) < mem);
    assert_int_equal(hashidx_count(h), 1);
    must_check(h);
    assert_int_equal(hashidx_insert(h, big, HASHIDX_MAX_KEY + (size_t)1, 1), ST_LIMIT);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* One key with thousands of row ids, inserted in random order. */
static void test_many_rowids(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    enum { N = 5000 };
    static uint64_t order[N], ids[N + 1];
    for (uint64_t i = 0; i < N; i++)
        order[i] = i * 3 + 1;
    shuffle(order, N, 11);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(hashidx_insert(h, S("k"), 1, order[i]), ST_OK);
        assert_int_equal(hashidx_insert(h, S("other"), 5, order[i]), ST_OK);
    }
    assert_int_equal(hashidx_insert(h, S("k"), 1, order[17]), ST_EXISTS);
    assert_int_equal(hashidx_delete(h, S("k"), 1, 2), ST_NOT_FOUND);   /* between two ids */
    assert_int_equal(hashidx_count(h), 2 * N);
    assert_int_equal(hashidx_key_count(h), 2);
    assert_int_equal(collect(h, S("k"), 1, ids, N + 1), N);
    for (uint64_t i = 0; i < N; i++)
        assert_int_equal(ids[i], i * 3 + 1);   /* row-id order */
    must_check(h);
    size_t mem = hashidx_memory(h);
    for (uint64_t i = 0; i < N - 1; i++)        /* delete all but the last */
        assert_int_equal(hashidx_delete(h, S("k"), 1, order[i]), ST_OK);
    must_check(h);
    assert_true(hashidx_memory(h) < mem);       /* back to an inline row id */
    assert_int_equal(collect(h, S("k"), 1, ids, N), 1);
    assert_int_equal(ids[0], order[N - 1]);
    assert_int_equal(hashidx_delete(h, S("k"), 1, order[N - 1]), ST_OK);
    assert_false(hashidx_contains_key(h, S("k"), 1, NULL));
    assert_int_equal(hashidx_count(h), N);
    must_check(h);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

static void test_delete_missing(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    assert_int_equal(hashidx_insert(h, S("one"), 3, 1), ST_OK);
    assert_int_equal(hashidx_insert(h, S("two"), 3, 1), ST_OK);
    assert_int_equal(hashidx_insert(h, S("two"), 3, 2), ST_OK);
    assert_int_equal(hashidx_delete(h, S("none"), 4, 1), ST_NOT_FOUND);
    assert_int_equal(hashidx_delete(h, S("one"), 3, 2), ST_NOT_FOUND);
    assert_int_equal(hashidx_delete(h, S("two"), 3, 0), ST_NOT_FOUND);
    assert_int_equal(hashidx_delete(h, S("two"), 3, 3), ST_NOT_FOUND);
    assert_int_equal(hashidx_delete(h, S("on"), 2, 1), ST_NOT_FOUND);
    assert_int_equal(hashidx_count(h), 3);
    assert_int_equal(hashidx_delete(h, S("one"), 3, 1), ST_OK);
    assert_int_equal(hashidx_delete(h, S("one"), 3, 1), ST_NOT_FOUND);
    must_check(h);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* Every step of the first resizes: the load stays <= 1, a rehash is
 * finished before the next one is due, and deletes move buckets too. */
static void test_resize_boundaries(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    HashStats s;
    uint8_t k[8];
    size_t rehashes = 0;
    for (uint64_t i = 0; i < 3000; i++) {
        be64(i, k);
        assert_int_equal(hashidx_insert(h, k, 8, i), ST_OK);
        hashidx_stats(h, &s);
        if (i < 8)
            assert_true(s.buckets == 8 && s.new_buckets == 0);
        if (i == 8)                              /* the 9th key starts a rehash */
            assert_true(s.buckets == 8 && s.new_buckets == 16 && s.rehash_next == 0);
        if (s.new_buckets) {
            assert_true(s.new_buckets == 2 * s.buckets && s.keys <= s.new_buckets);
            rehashes += s.rehash_next == 0;
        } else {
            assert_true(s.keys <= s.buckets);
        }
        must_check(h);
    }
    assert_true(rehashes >= 9);                 /* 8 -> 16 -> ... -> 4096 */
    hashidx_stats(h, &s);
    assert_true(s.max_chain <= 12);
    /* Deletes move buckets too: an unfinished rehash completes. */
    for (uint64_t i = 0; i < 3000; i++) {
        be64(i, k);
        assert_int_equal(hashidx_delete(h, k, 8, i), ST_OK);
        if (i % 7 == 0)
            must_check(h);
    }
    hashidx_stats(h, &s);
    assert_true(s.keys == 0 && s.new_buckets == 0 && s.buckets == 4096);  /* no shrinking */
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* Iterators stay valid while the index changes: they re-find the key and
 * continue after the last row id returned. */
static void test_iter_during_changes(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    HashIter it;
    uint64_t r;
    uint8_t k[8];
    for (uint64_t id = 10; id <= 30; id += 10)
        assert_int_equal(hashidx_insert(h, S("key"), 3, id), ST_OK);
    hashidx_find(h, S("key"), 3, &it);
    assert_true(hashidx_iter_next(&it, &r) && r == 10);
    assert_int_equal(hashidx_insert(h, S("key"), 3, 5), ST_OK);    /* behind: not seen */
    assert_int_equal(hashidx_insert(h, S("key"), 3, 25), ST_OK);   /* ahead: seen */
    assert_int_equal(hashidx_delete(h, S("key"), 3, 20), ST_OK);   /* ahead: skipped */
    for (uint64_t i = 0; i < 500; i++) {                           /* rehash meanwhile */
        be64(i, k);
        assert_int_equal(hashidx_insert(h, k, 8, i), ST_OK);
    }
    assert_true(hashidx_iter_next(&it, &r) && r == 25);
    assert_int_equal(hashidx_delete(h, S("key"), 3, 25), ST_OK);   /* the current one */
    assert_true(hashidx_iter_next(&it, &r) && r == 30);
    assert_false(hashidx_iter_next(&it, &r));
    assert_int_equal(hashidx_insert(h, S("key"), 3, 99), ST_OK);
    assert_false(hashidx_iter_next(&it, &r));                      /* ended is ended */
    must_check(h);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* The key deleted and re-added, or added late, or the index cleared. */
static void test_iter_key_comes_and_goes(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    HashIter it;
    uint64_t r;
    assert_int_equal(hashidx_insert(h, S("key"), 3, 5), ST_OK);
    assert_int_equal(hashidx_insert(h, S("key"), 3, 10), ST_OK);
    hashidx_find(h, S("key"), 3, &it);
    assert_true(hashidx_iter_next(&it, &r) && r == 5);
    assert_int_equal(hashidx_delete(h, S("key"), 3, 5), ST_OK);
    assert_int_equal(hashidx_delete(h, S("key"), 3, 10), ST_OK);
    assert_int_equal(hashidx_insert(h, S("key"), 3, 4), ST_OK);
    assert_int_equal(hashidx_insert(h, S("key"), 3, 6), ST_OK);
    assert_true(hashidx_iter_next(&it, &r) && r == 6);
    assert_false(hashidx_iter_next(&it, &r));

    /* A key absent at find time but inserted before the first call. */
    hashidx_find(h, S("late"), 4, &it);
    assert_int_equal(hashidx_insert(h, S("late"), 4, 1), ST_OK);
    assert_true(hashidx_iter_next(&it, &r) && r == 1);
    hashidx_clear(h);                                              /* clear ends it */
    assert_false(hashidx_iter_next(&it, &r));
    must_check(h);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

static void test_clear_and_reuse(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    size_t empty = hashidx_memory(h);
    char key[32];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 2000; i++) {
            int n = snprintf(key, sizeof key, "player-%d-with-a-long-name", i % 700);
            assert_int_equal(hashidx_insert(h, S(key), (size_t)n, (uint64_t)i), ST_OK);
        }
        must_check(h);
        assert_int_equal(hashidx_count(h), 2000);
        assert_int_equal(hashidx_key_count(h), 700);
        hashidx_clear(h);
        must_check(h);
        assert_int_equal(hashidx_count(h), 0);
        assert_int_equal(hashidx_memory(h), empty);
        assert_int_equal(mem_live(), base + 1);  /* only the HashIndex itself */
    }
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* ---- the hash function ----------------------------------------------- */

/* Sequential integers (the worst friendly case: most bits never change)
 * and similar strings spread like random ones: with n keys in n buckets,
 * a fraction 1/e = 0.368 of the buckets stays empty. */
static void test_hash_distribution(void **state)
{
    (void)state;
    enum { N = 1 << 16 };
    static uint32_t count[N];
    for (int kind = 0; kind < 2; kind++) {
        memset(count, 0, sizeof count);
        for (uint32_t i = 0; i < N; i++) {
            uint8_t k[16];
            size_t len = 8;
            if (kind == 0)
                be64(i, k);
            else
                len = (size_t)snprintf((char *)k, sizeof k, "user%u", i);
            count[hashidx_hash(k, len) & (N - 1)]++;
        }
        size_t empty = 0, max = 0;
        for (size_t b = 0; b < N; b++) {
            empty += count[b] == 0;
            max = count[b] > max ? count[b] : max;
        }
        double frac = (double)empty / N;
        assert_true(frac > 0.355 && frac < 0.381);
        assert_true(max <= 10);
    }
}

/* Flipping one input bit flips each output bit with probability 1/2. */
static void test_hash_avalanche(void **state)
{
    (void)state;
    uint64_t seed = 5;
    static uint32_t flips[64];
    enum { KEYS = 1000 };
    for (int i = 0; i < KEYS; i++) {
        uint8_t k[8];
        be64(rng_next(&seed), k);
        uint64_t h0 = hashidx_hash(k, 8);
        for (int bit = 0; bit < 64; bit++) {
            k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            uint64_t d = h0 ^ hashidx_hash(k, 8);
            k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            for (int o = 0; o < 64; o++)
                flips[o] += (d >> o) & 1;
        }
    }
    for (int o = 0; o < 64; o++) {
        double p = flips[o] / (double)(KEYS * 64);
        assert_true(p > 0.48 && p < 0.52);
    }
    /* The length is part of the hash; equal bytes, different lengths differ. */
    assert_true(hashidx_hash(S("ab"), 2) != hashidx_hash(S("ab\0"), 3));
    assert_true(hashidx_hash(NULL, 0) != hashidx_hash(S("\0"), 1));
}

/* ---- the model test -------------------------------------------------- */

#define MAXK 20

typedef struct Pair {
    uint8_t key[MAXK];
    uint8_t len;
    uint64_t rowid;
} Pair;

typedef struct Model { Pair *p; size_t n, cap; } Model;   /* sorted pairs */

/* Key number id -> bytes: ids 1..255 are 1-byte keys, id 0 is the empty
 * key, larger ids are 4 id bytes plus 0..16 filler bytes (so short inline
 * keys, the 8/9-byte boundary and heap keys all occur, and keys may share
 * long prefixes). */
static uint8_t key_of(uint32_t id, uint8_t *k)
{
    if (id < 256) {
        k[0] = (uint8_t)id;
        return id ? 1 : 0;
    }
    uint8_t len = (uint8_t)(4 + id % 17);
    for (int i = 0; i < 4; i++)
        k[i] = (uint8_t)(id >> (24 - 8 * i));
    for (uint8_t i = 4; i < len; i++)
        k[i] = (uint8_t)(i == 5 ? 0 : 'a' + i);
    return len;
}

static int pair_cmp(const uint8_t *k, size_t len, uint64_t rowid, const Pair *p)
{
    size_t m = len < p->len ? len : p->len;
    int c = m ? memcmp(k, p->key, m) : 0;
    if (c == 0 && len != p->len)
        c = len < p->len ? -1 : 1;
    if (c == 0 && rowid != p->rowid)
        c = rowid < p->rowid ? -1 : 1;
    return c;
}

/* First pair >= (k, rowid). */
static size_t model_lower(const Model *m, const uint8_t *k, size_t len, uint64_t rowid)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pair_cmp(k, len, rowid, &m->p[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define model_has(m, i, k, len, r) ((i) < (m)->n && pair_cmp(k, len, r, &(m)->p[i]) == 0)

/* Insert into the model; the status the index must give. */
static Status model_insert(Model *m, const uint8_t *k, size_t len, uint64_t r)
{
    size_t i = model_lower(m, k, len, r);
    if (model_has(m, i, k, len, r))
        return ST_EXISTS;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->p = realloc(m->p, m->cap * sizeof *m->p);   /* test code: plain libc */
        assert_non_null(m->p);
    }
    memmove(&m->p[i + 1], &m->p[i], (m->n - i) * sizeof *m->p);
    memset(&m->p[i], 0, sizeof m->p[i]);
    memcpy(m->p[i].key, k, len);
    m->p[i].len = (uint8_t)len;
    m->p[i].rowid = r;
    m->n++;
    return ST_OK;
}

static Status model_delete(Model *m, const uint8_t *k, size_t len, uint64_t r)
{
    size_t i = model_lower(m, k, len, r);
    if (!model_has(m, i, k, len, r))
        return ST_NOT_FOUND;
    memmove(&m->p[i], &m->p[i + 1], (m->n - i - 1) * sizeof *m->p);
    m->n--;
    return ST_OK;
}

/* The index's row ids of k equal the model's, in order; also contains_key. */
static void compare_key(HashIndex *h, const Model *m, const uint8_t *k, size_t len)
{
    static uint64_t ids[4096];
    size_t n = collect(h, k, len, ids, 4096);
    size_t i = model_lower(m, k, len, 0), j = 0;
    for (; i < m->n && pair_cmp(k, len, m->p[i].rowid, &m->p[i]) == 0; i++, j++)
        assert_true(j < n && ids[j] == m->p[i].rowid);
    assert_int_equal(j, n);
    uint64_t first;
    assert_int_equal(hashidx_contains_key(h, k, len, &first), n > 0);
    if (n)
        assert_int_equal(first, ids[0]);
}

/* One random run: nkeys key numbers, row ids below nrows; insert-heavy
 * for the first half, delete-heavy for the second, so the index grows
 * through several rehashes and then mostly empties again. */
static void model_run(uint64_t seed, int ops, uint32_t nkeys, uint64_t nrows)
{
    long base = mem_live();
    HashIndex *h = hashidx_new();
    Model m = {0};
    uint8_t k[MAXK];
    for (int op = 0; op < ops; op++) {
        uint64_t x = rng_next(&seed);
        size_t len = key_of((uint32_t)(x % nkeys), k);
        uint64_t r = (x >> 32) % nrows;
        unsigned what = (unsigned)(rng_next(&seed) % 100);
        bool growing = op < ops / 2;
        unsigned del = growing ? 20 : 50, ins = growing ? 60 : 10;
        if (what < del && m.n) {                /* delete an existing pair */
            Pair p = m.p[rng_next(&seed) % m.n];
            assert_int_equal(hashidx_delete(h, p.key, p.len, p.rowid),
                             model_delete(&m, p.key, p.len, p.rowid));
        } else if (what < del + ins) {
            assert_int_equal(hashidx_insert(h, k, len, r), model_insert(&m, k, len, r));
        } else if (what < 90) {
            assert_int_equal(hashidx_delete(h, k, len, r), model_delete(&m, k, len, r));
        } else {
            compare_key(h, &m, k, len);
        }
        assert_int_equal(hashidx_count(h), m.n);
        if (op % 499 == 0)
            must_check(h);
    }
    must_check(h);
    for (size_t i = 0; i < m.n; i++)
        compare_key(h, &m, m.p[i].key, m.p[i].len);
    free(m.p);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

static void test_model_small_universe(void **state)
{
    (void)state;
    model_run(1, 60000, 300, 40);       /* few keys, many row ids each */
    model_run(2, 60000, 2000, 3);
}

static void test_model_large_universe(void **state)
{
    (void)state;
    model_run(3, 120000, 1u << 30, 1u << 30);   /* nearly every insert is new */
}

/* ---- allocation failure ---------------------------------------------- */

/* Insert with the allocator failing after `after` successes, retrying with
 * one more each time: every failure is ST_NOMEM and changes nothing. */
static void insert_under_failure(HashIndex *h, const uint8_t *k, size_t len, uint64_t r)
{
    size_t count = hashidx_count(h);
    for (long after = 0;; after++) {
        mem_fail_after(after);
        Status st = hashidx_insert(h, k, len, r);
        mem_fail_after(-1);
        if (st == ST_OK)
            break;
        assert_int_equal(st, ST_NOMEM);
        assert_int_equal(hashidx_count(h), count);
        uint64_t ids[8];
        size_t n = collect(h, k, len, ids, 8);
        for (size_t i = 0; i < n; i++)
            assert_true(ids[i] != r);
        must_check(h);
        assert_true(after < 10);
    }
    assert_int_equal(hashidx_count(h), count + 1);
}

static void test_nomem(void **state)
{
    (void)state;
    long base = mem_live();
    mem_fail_after(0);
    assert_null(hashidx_new());
    mem_fail_after(-1);
    HashIndex *h = hashidx_new();
    uint64_t seed = 9;
    char key[40];
    /* Every kind of allocation: first table, pool directory and chunks,
     * heap keys, row sets and their growth, bucket arrays. */
    for (uint64_t i = 0; i < 3000; i++) {
        uint64_t x = rng_next(&seed);
        int n = snprintf(key, sizeof key, "%s%u", (x & 1) ? "k" : "a-long-key-", (unsigned)(x % 1500));
        insert_under_failure(h, S(key), (size_t)n, i);
    }
    must_check(h);
    /* Deletes never allocate. */
    mem_fail_after(0);
    assert_int_equal(hashidx_delete(h, S("k1"), 2, 12345678), ST_NOT_FOUND);
    mem_fail_after(-1);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* A failed bucket-array allocation does not fail the insert: the rehash
 * simply starts at a later insert. */
static void test_nomem_growth_is_deferred(void **state)
{
    (void)state;
    long base = mem_live();
    HashIndex *h = hashidx_new();
    HashStats s;
    uint8_t k[8];
    for (uint64_t i = 0; i < 8; i++) {
        be64(i, k);
        assert_int_equal(hashidx_insert(h, k, 8, i), ST_OK);
    }
    be64(8, k);
    mem_fail_after(0);                 /* the only allocation: the new buckets */
    assert_int_equal(hashidx_insert(h, k, 8, 8), ST_OK);
    mem_fail_after(-1);
    hashidx_stats(h, &s);
    assert_true(s.keys == 9 && s.buckets == 8 && s.new_buckets == 0);
    must_check(h);
    be64(9, k);
    assert_int_equal(hashidx_insert(h, k, 8, 9), ST_OK);
    hashidx_stats(h, &s);
    assert_int_equal(s.new_buckets, 16);
    must_check(h);
    hashidx_free(h);
    assert_int_equal(mem_live(), base);
}

/* ---- memory ---------------------------------------------------------- */

/* 8-byte keys, one row each: the entry (24 bytes) plus 4-byte buckets at
 * load 0.5..1 must stay under 32 bytes per key. */
static void test_memory_per_entry(void **state)
{
    (void)state;
    HashIndex *h = hashidx_new();
    uint8_t k[8];
    enum { N = 100000 };
    for (uint64_t i = 0; i < N; i++) {
        be64(i * 2654435761u, k);
        assert_int_equal(hashidx_insert(h, k, 8, i), ST_OK);
    }
    double per = (double)hashidx_memory(h) / N;
    assert_true(per >= 24.0 && per < 32.0);
    hashidx_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_empty_key),
        cmocka_unit_test(test_long_keys),
        cmocka_unit_test(test_many_rowids),
        cmocka_unit_test(test_delete_missing),
        cmocka_unit_test(test_resize_boundaries),
        cmocka_unit_test(test_iter_during_changes),
        cmocka_unit_test(test_iter_key_comes_and_goes),
        cmocka_unit_test(test_clear_and_reuse),
        cmocka_unit_test(test_hash_distribution),
        cmocka_unit_test(test_hash_avalanche),
        cmocka_unit_test(test_model_small_universe),
        cmocka_unit_test(test_model_large_universe),
        cmocka_unit_test_teardown(test_nomem, reset_alloc),
        cmocka_unit_test_teardown(test_nomem_growth_is_deferred, reset_alloc),
        cmocka_unit_test(test_memory_per_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
