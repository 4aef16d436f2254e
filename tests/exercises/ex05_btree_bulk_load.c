/*
 * ex05_btree_bulk_load.c - graded exercise: build a B-tree from sorted entries.
 *
 * Exercise: 5
 * Title: Bulk loading
 * Change: btree_bulk_load() in src/db/btree.c (new; declare it in btree.h)
 * Book: chapter 10, book/10-btree.md
 *
 *   Status btree_bulk_load(BTree *t, const uint8_t *const *keys,
 *                          const size_t *lens, const uint64_t *rowids, size_t n);
 *
 * fills an EMPTY tree with n entries given in strictly increasing
 * (key, rowid) order.  ST_ARG if the tree is not empty, ST_INVALID if the
 * entries are not strictly increasing, ST_LIMIT if a key is longer than
 * btree_max_key(); in each of these cases and on ST_NOMEM the tree is left
 * empty (and passes btree_check).  The loaded tree must pass btree_check,
 * hold exactly the entries, keep working under inserts and deletes, and
 * use no more memory than the same entries inserted in random order.
 */
#define EXERCISE_NUMBER 5
#define EXERCISE_SEE "book/10-btree.md, exercise 1"
#include "exercise.h"

#include "btree_model.h"
#include "util/alloc.h"

EXERCISE_WEAK Status btree_bulk_load(BTree *t, const uint8_t *const *keys, const size_t *lens,
                                     const uint64_t *rowids, size_t n);

/* btree_model.h has more than this test needs. */
__attribute__((unused)) static void uses_the_rest(void)
{
    (void)scan, (void)be64, (void)model_run, (void)bound;
}

static int qsort_cmp(const void *a, const void *b)
{
    const MEntry *x = a, *y = b;
    return ment_cmp(x, y->key, y->len, y->rowid);
}

/* n random entries, sorted, duplicates removed, into m (m->n may be < n). */
static void sorted_entries(Model *m, size_t n, size_t maxlen, bool prefix)
{
    m->e = malloc(n * sizeof *m->e);
    assert_non_null(m->e);
    m->cap = n;
    for (size_t i = 0; i < n; i++) {
        MEntry *e = &m->e[i];
        size_t at = 0;
        if (prefix) {   /* 3 random bytes spread the keys out */
            uint64_t r = rnd();
            e->key[0] = (uint8_t)r, e->key[1] = (uint8_t)(r >> 8), e->key[2] = (uint8_t)(r >> 16);
            at = 3;
        }
        e->len = at + random_key(e->key + at, maxlen);
        e->rowid = rnd() % 4;
    }
    qsort(m->e, n, sizeof *m->e, qsort_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || qsort_cmp(&m->e[k - 1], &m->e[i]) != 0)
            m->e[k++] = m->e[i];
    m->n = k;
}

typedef struct Arrays {
    const uint8_t **keys;
    size_t *lens;
    uint64_t *rowids;
} Arrays;

static Arrays arrays_of(const Model *m)
{
    Arrays a = {malloc((m->n + 1) * sizeof *a.keys), malloc((m->n + 1) * sizeof *a.lens),
                malloc((m->n + 1) * sizeof *a.rowids)};
    assert_true(a.keys && a.lens && a.rowids);
    for (size_t i = 0; i < m->n; i++) {
        a.keys[i] = m->e[i].key;
        a.lens[i] = m->e[i].len;
        a.rowids[i] = m->e[i].rowid;
    }
    return a;
}

static void arrays_free(Arrays *a)
{
    free(a->keys), free(a->lens), free(a->rowids);
}

static Status load(BTree *t, const Arrays *a, size_t n)
{
    return btree_bulk_load(t, (const uint8_t *const *)a->keys, a->lens, a->rowids, n);
}

static void check_loaded(BTree *t, const Model *m)
{
    char msg[200];
    Status st = btree_check(t, msg, sizeof msg);
    CHECK(st == ST_OK, "the loaded tree fails btree_check: %s", msg);
    CHECK(btree_count(t) == m->n, "the loaded tree counts %zu entries, not %zu", btree_count(t),
          m->n);
    compare_range(t, m, UNB, UNB);
}

static void expect_left_empty(BTree *t, size_t empty_memory, const char *why)
{
    char msg[200];
    CHECK(btree_count(t) == 0 && btree_check(t, msg, sizeof msg) == ST_OK
          && btree_memory(t) == empty_memory, "after %s the tree must be left empty", why);
}

static void test_bulk_load_100k(void **state)
{
    (void)state;
    NEED(btree_bulk_load);
    rng_state = 0x5EED5EEDu;
    Model m = {0};
    sorted_entries(&m, 100000, 10, true);
    assert_true(m.n > 90000);
    Arrays a = arrays_of(&m);
    BTree *t = btree_new();
    Status st = load(t, &a, m.n);
    CHECK(st == ST_OK, "loading %zu sorted entries failed with %d", m.n, st);
    check_loaded(t, &m);
    uint8_t b1[MKEY], b2[MKEY];
    for (int i = 0; i < 1000; i++)
        compare_range(t, &m, random_bound(b1, 6), random_bound(b2, 6));
    /* The same entries inserted in a random order, for the memory check. */
    size_t *perm = malloc(m.n * sizeof *perm);
    assert_non_null(perm);
    for (size_t i = 0; i < m.n; i++)
        perm[i] = i;
    for (size_t i = m.n; i > 1; i--) {
        size_t j = rnd() % i, x = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = x;
    }
    BTree *r = btree_new();
    for (size_t i = 0; i < m.n; i++)
        assert_int_equal(btree_insert(r, a.keys[perm[i]], a.lens[perm[i]], a.rowids[perm[i]]), ST_OK);
    CHECK(btree_memory(t) < btree_memory(r), "the loaded tree uses %zu bytes, random inserts "
          "only %zu: fill the leaves", btree_memory(t), btree_memory(r));
    btree_free(r);
    btree_free(t);
    free(perm);
    arrays_free(&a);
    free(m.e);
}

/* Small nodes make deep trees: every level's last node is a corner case. */
static void test_bulk_load_shapes(void **state)
{
    (void)state;
    NEED(btree_bulk_load);
    static const unsigned fanouts[] = {4, 5, 7};
    for (size_t f = 0; f < 3; f++) {
        for (size_t n = 0; n <= 700; n += n < 80 ? 1 : 37) {
            rng_state = 1000 * f + n + 1;
            Model m = {0};
            sorted_entries(&m, n, 8, false);
            Arrays a = arrays_of(&m);
            BTree *t = btree_new_sized(fanouts[f], 64 + 32 * f);
            assert_non_null(t);
            Status st = load(t, &a, m.n);
            CHECK(st == ST_OK, "loading %zu entries (fanout %u) failed with %d", m.n, fanouts[f], st);
            check_loaded(t, &m);
            m.cap = m.n;
            for (int i = 0; i < 300; i++)   /* it must stay a working tree */
                model_step(t, &m, 8, 50);
            check_tree(t);
            btree_free(t);
            arrays_free(&a);
            free(m.e);
        }
    }
}

static void test_bulk_load_refuses(void **state)
{
    (void)state;
    NEED(btree_bulk_load);
    BTree *t = btree_new_sized(4, 64);
    size_t empty = btree_memory(t);
    const uint8_t *keys[] = {B("a"), B("b"), B("b"), B("c"), B("ab")};
    size_t lens[] = {1, 1, 1, 1, 2};
    uint64_t rowids[] = {1, 1, 2, 0, 0};
    assert_int_equal(btree_bulk_load(t, keys, lens, rowids, 4), ST_OK);   /* b/1 < b/2 */
    assert_int_equal(btree_count(t), 4);
    CHECK(btree_bulk_load(t, keys, lens, rowids, 4) == ST_ARG, "a tree that is not empty: ST_ARG");
    assert_int_equal(btree_count(t), 4);
    btree_clear(t);
    CHECK(btree_bulk_load(t, keys, lens, rowids, 5) == ST_INVALID, "\"ab\" after \"c\": ST_INVALID");
    expect_left_empty(t, empty, "ST_INVALID");
    rowids[2] = 1;   /* b/1 twice */
    CHECK(btree_bulk_load(t, keys, lens, rowids, 3) == ST_INVALID, "a repeated entry: ST_INVALID");
    expect_left_empty(t, empty, "ST_INVALID");
    /* Long sorted input with one entry out of place near the end. */
    static uint8_t many[300][2];
    const uint8_t *mk[300];
    size_t ml[300];
    uint64_t mr[300] = {0};
    for (int i = 0; i < 300; i++) {
        many[i][0] = (uint8_t)(i / 256), many[i][1] = (uint8_t)i;
        mk[i] = many[i], ml[i] = 2;
    }
    mr[290] = 0, mk[290] = many[10];
    CHECK(btree_bulk_load(t, mk, ml, mr, 300) == ST_INVALID, "an entry out of order at 290: ST_INVALID");
    expect_left_empty(t, empty, "ST_INVALID");
    mk[290] = many[290];
    static uint8_t huge[4096];
    mk[299] = huge, ml[299] = btree_max_key(t) + 1;
    memset(huge, 0xFF, sizeof huge);
    CHECK(btree_bulk_load(t, mk, ml, mr, 300) == ST_LIMIT, "a key over btree_max_key(): ST_LIMIT");
    expect_left_empty(t, empty, "ST_LIMIT");
    assert_int_equal(btree_bulk_load(t, mk, ml, mr, 299), ST_OK);
    check_tree(t);
    btree_free(t);
}

static void test_bulk_load_nomem(void **state)
{
    (void)state;
    NEED(btree_bulk_load);
    rng_state = 77;
    Model m = {0};
    sorted_entries(&m, 1500, 8, true);
    Arrays a = arrays_of(&m);
    long live = mem_live();
    for (long k = 0;; k++) {
        BTree *t = btree_new_sized(4, 160);
        assert_non_null(t);
        assert_true(btree_max_key(t) >= 11);
        size_t empty = btree_memory(t);
        mem_fail_after(k);
        Status st = load(t, &a, m.n);
        mem_fail_after(-1);
        if (st == ST_OK) {
            check_loaded(t, &m);
            btree_free(t);
            break;
        }
        CHECK(st == ST_NOMEM, "with allocation %ld failing, the load returned %d, not ST_NOMEM", k, st);
        expect_left_empty(t, empty, "ST_NOMEM");
        btree_free(t);
        CHECK(mem_live() == live, "with allocation %ld failing, the load leaks", k);
        assert_true(k < 100000);
    }
    assert_int_equal(mem_live(), live);
    arrays_free(&a);
    free(m.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_load_100k),
        cmocka_unit_test(test_bulk_load_shapes),
        cmocka_unit_test(test_bulk_load_refuses),
        cmocka_unit_test(test_bulk_load_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
