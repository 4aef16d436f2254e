/*
 * ex07_savepoints.c - graded exercise: savepoints inside a transaction.
 *
 * Exercise: 7
 * Title: Savepoints
 * Change: tx_savepoint(), tx_rollback_to(), tx_savepoint_free() in src/db/tx.c (new; declare them in tx.h)
 * Book: chapter 13, book/13-transactions.md
 *
 *   typedef struct TxSavepoint TxSavepoint;
 *   TxSavepoint *tx_savepoint(Db *db);
 *   void tx_rollback_to(Db *db, const TxSavepoint *sp);
 *   void tx_savepoint_free(TxSavepoint *sp);
 *
 * tx_savepoint marks the open transaction's state (NULL when no
 * transaction is open, or out of memory).  tx_rollback_to undoes every
 * change made since the mark - the tables are then bit for bit as they
 * were at the mark (rows at the same RowIds, every index entry) - and the
 * transaction stays open; the same savepoint can be rolled back to again,
 * and rolling back to an older one jumps over newer ones.  Commit and
 * rollback then behave as if the undone work had never happened (the
 * commit delta included); sequence values stay consumed.
 */
#define EXERCISE_NUMBER 7
#define EXERCISE_SEE "book/13-transactions.md, exercise 1"
#include "exercise.h"

#include <stdio.h>

#include "db/db.h"
#include "db/tx.h"
#include "table_util.h"

typedef struct TxSavepoint TxSavepoint;
EXERCISE_WEAK TxSavepoint *tx_savepoint(Db *db);
EXERCISE_WEAK void tx_rollback_to(Db *db, const TxSavepoint *sp);
EXERCISE_WEAK void tx_savepoint_free(TxSavepoint *sp);

/* item(id u64 pk btree, tag String unique hash, n u32 btree) */
static const char *const COLS[] = {"id", "tag", "n"};
static const uint16_t K0[] = {0}, K1[] = {1}, K2[] = {2};

static Db *make_db(Typespace *ts)
{
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    const AlgType *ct[] = {alg_prim(ALG_U64), alg_prim(ALG_STRING), alg_prim(ALG_U32)};
    IndexSchema idx[] = {{NULL, INDEX_BTREE, K0, 1}, {NULL, INDEX_HASH, K1, 1},
                         {NULL, INDEX_BTREE, K2, 1}};
    UniqueSchema uq[] = {{NULL, K0, 1}, {NULL, K1, 1}};
    SequenceSchema seq = {.col = 0, .increment = i128_from_i64(1)};
    TableSchema s = {.name = "item", .ts = ts, .row_type = make_row_type(ts, 3, COLS, ct),
                     .primary_key = 0, .indexes = idx, .nindexes = 3, .uniques = uq,
                     .nuniques = 2, .sequences = &seq, .nsequences = 1};
    uint32_t id;
    assert_int_equal(db_create_table(db, &s, &id, NULL), ST_OK);
    return db;
}

static Table *item(Db *db) { return db_table(db, DB_FIRST_ID); }

static void row(StrBuf *b, uint64_t id, uint32_t tag, uint32_t n)
{
    char name[16];
    snprintf(name, sizeof name, "t%u", tag);
    strbuf_clear(b);
    put_uint(b, id, 8);
    put_str(b, name);
    put_uint(b, n, 4);
}

/* Inserts (some with a sequence-chosen id unless no_seq), updates by key,
 * deletes by range and the odd clear; refused operations are part of the
 * mix. */
static bool no_seq;

static void work(Db *db, uint64_t *seed, int nops)
{
    StrBuf b;
    strbuf_init(&b);
    for (int i = 0; i < nops; i++) {
        uint32_t k = rnd_below(seed, 100), x = rnd_below(seed, 60), y = rnd_below(seed, 8);
        uint64_t n;
        Status st;
        row(&b, k < 10 && !no_seq ? 0 : x + 1, rnd_below(seed, 50), y);
        if (k < 50) {
            st = table_insert(item(db), (const uint8_t *)b.data, b.len, NULL, NULL, NULL);
        } else if (k < 75) {
            st = table_update(item(db), 0, (const uint8_t *)b.data, b.len, NULL, NULL, NULL);
        } else if (k < 99) {
            uint8_t lo[5] = {0, (uint8_t)y}, hi[5] = {1, (uint8_t)(y + 1)};
            IndexRange r = {NULL, 0, 0, lo, 5, hi, 5};
            st = table_delete_range_bsatn(item(db), 2, &r, &n, NULL);
        } else {
            st = table_clear(item(db), &n, NULL);
        }
        assert_true(st == ST_OK || st == ST_EXISTS || st == ST_NOT_FOUND);
    }
    strbuf_fini(&b);
}

static void snap(Db *db, StrBuf *out)
{
    snapshot_table(item(db), out, false);
}

static void expect_state(Db *db, const StrBuf *want, const char *when)
{
    StrBuf now;
    strbuf_init(&now);
    snap(db, &now);
    char msg[256];
    CHECK(db_check(db, msg, sizeof msg) == ST_OK, "%s: db_check: %s", when, msg);
    CHECK(now.len == want->len && memcmp(now.data, want->data, now.len) == 0,
          "%s: the table is not as it was at the savepoint", when);
    strbuf_fini(&now);
}

static void need_all(void)
{
    NEED(tx_savepoint);
    NEED(tx_rollback_to);
    NEED(tx_savepoint_free);
}

static void test_savepoint_nested(void **state)
{
    (void)state;
    need_all();
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    CHECK(tx_savepoint(db) == NULL, "tx_savepoint with no transaction open must return NULL");
    uint64_t seed = 31337;
    StrBuf s0, s1, s2;
    strbuf_init(&s0), strbuf_init(&s1), strbuf_init(&s2);
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    work(db, &seed, 300);
    assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
    for (int round = 0; round < 40; round++) {
        snap(db, &s0);
        assert_int_equal(tx_begin(db, NULL), ST_OK);
        work(db, &seed, 50);
        TxSavepoint *sp1 = tx_savepoint(db);
        CHECK(sp1 != NULL, "tx_savepoint returned NULL inside a transaction");
        snap(db, &s1);
        work(db, &seed, 80);
        TxSavepoint *sp2 = tx_savepoint(db);
        CHECK(sp2 != NULL, "tx_savepoint returned NULL inside a transaction");
        snap(db, &s2);
        work(db, &seed, 80);
        tx_rollback_to(db, sp2);
        expect_state(db, &s2, "back to the second savepoint");
        CHECK(tx_is_open(db), "tx_rollback_to must leave the transaction open");
        work(db, &seed, 40);
        tx_rollback_to(db, sp2);
        expect_state(db, &s2, "back to the second savepoint again");
        work(db, &seed, 40);
        tx_rollback_to(db, sp1);
        expect_state(db, &s1, "back to the first savepoint, over the second");
        tx_savepoint_free(sp2);
        tx_savepoint_free(sp1);
        if (round % 3 == 0) {
            tx_rollback(db);
            expect_state(db, &s0, "a rollback after tx_rollback_to");
        } else {
            assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);   /* test_savepoint_delta checks what it kept */
            assert_int_equal(db_check(db, NULL, 0), ST_OK);
        }
    }
    tx_savepoint_free(NULL);
    strbuf_fini(&s0), strbuf_fini(&s1), strbuf_fini(&s2);
    db_free(db);
    typespace_fini(&ts);
}

typedef struct RowRef {
    const uint8_t *p;
    size_t len;
} RowRef;

static int cmp_ref(const void *x, const void *y)
{
    const RowRef *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->p, b->p, n) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The rows of l, sorted, as one string: equal for equal multisets of rows
 * (RowIds and order may differ: undone inserts leave other free slots). */
static void sorted_rows(const RowList *l, StrBuf *out)
{
    strbuf_clear(out);
    RowRef *r = calloc(l->count + 1, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < l->count; i++)
        r[i].p = rowlist_get(l, i, &r[i].len);
    qsort(r, l->count, sizeof *r, cmp_ref);
    for (size_t i = 0; i < l->count; i++) {
        put_uint(out, r[i].len, 4);
        put(out, r[i].p, r[i].len);
    }
    free(r);
}

static void expect_same_rows(const RowList *x, const RowList *y, const char *what, int round)
{
    StrBuf a, b;
    strbuf_init(&a), strbuf_init(&b);
    sorted_rows(x, &a), sorted_rows(y, &b);
    CHECK(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0),
          "round %d: %s differ from the twin's (%zu rows, the twin %zu)", round, what,
          (size_t)x->count, (size_t)y->count);
    strbuf_fini(&a), strbuf_fini(&b);
}

/* Work, savepoint, more work undone, commit: the delta must be the one of
 * the first work alone, computed by a twin database that never did the rest. */
static void test_savepoint_delta(void **state)
{
    (void)state;
    need_all();
    Typespace ts;
    typespace_init(&ts);
    Db *a = make_db(&ts), *b = make_db(&ts);
    no_seq = true;   /* the undone work consumes sequence values in a only */
    TxDelta da, db_;
    tx_delta_init(&da), tx_delta_init(&db_);
    RowList ra, rb;
    rowlist_init(&ra), rowlist_init(&rb);
    for (int round = 0; round < 30; round++) {
        uint64_t seed_a = 1000 + (uint64_t)round, seed_b = seed_a, spare = seed_a * 7;
        assert_int_equal(tx_begin(a, NULL), ST_OK);
        assert_int_equal(tx_begin(b, NULL), ST_OK);
        work(a, &seed_a, 60);
        work(b, &seed_b, 60);
        TxSavepoint *sp = tx_savepoint(a);
        CHECK(sp != NULL, "tx_savepoint returned NULL inside a transaction");
        work(a, &spare, 100);
        tx_rollback_to(a, sp);
        tx_savepoint_free(sp);
        assert_int_equal(tx_commit(a, &da, NULL), ST_OK);
        assert_int_equal(tx_commit(b, &db_, NULL), ST_OK);
        CHECK(da.ntables == db_.ntables, "round %d: the delta lists %zu tables, the twin's %zu",
              round, (size_t)da.ntables, (size_t)db_.ntables);
        for (size_t i = 0; i < da.ntables; i++) {
            expect_same_rows(&da.tables[i].inserts, &db_.tables[i].inserts, "the delta's inserts",
                             round);
            expect_same_rows(&da.tables[i].deletes, &db_.tables[i].deletes, "the delta's deletes",
                             round);
        }
        rowlist_clear(&ra), rowlist_clear(&rb);
        assert_int_equal(table_collect_all(item(a), &ra, NULL), ST_OK);
        assert_int_equal(table_collect_all(item(b), &rb, NULL), ST_OK);
        expect_same_rows(&ra, &rb, "the rows after the commit", round);
        assert_int_equal(db_check(a, NULL, 0), ST_OK);
    }
    tx_delta_fini(&da), tx_delta_fini(&db_);
    rowlist_fini(&ra), rowlist_fini(&rb);
    db_free(a), db_free(b);
    typespace_fini(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_savepoint_nested),
        cmocka_unit_test(test_savepoint_delta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
