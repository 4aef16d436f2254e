/*
 * test_tx.c - transactions: one writer, read-your-writes, the commit
 * delta's netting rules, rollback that restores the state bit for bit
 * (rows at their RowIds, every index entry, counts) after random work,
 * sequences that stay consumed, and commit/rollback that cannot fail.
 *
 * Book: chapter 13, book/13-transactions.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/tx.h"
#include "table_util.h"

/* player(id u64 pk auto_inc, name String unique (hash), level u32 btree)
 * and bag(s String, n u32 btree) - no unique column: found by rowmap. */
static const char *const PCOLS[] = { "id", "name", "level" }, *const BCOLS[] = { "s", "n" };
static const uint16_t C0[] = { 0 }, C1[] = { 1 }, C2[] = { 2 };

static Db *make_db(Typespace *ts)
{
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    const AlgType *pt[] = { alg_prim(ALG_U64), alg_prim(ALG_STRING), alg_prim(ALG_U32) };
    IndexSchema pidx[] = { { NULL, INDEX_BTREE, C0, 1 }, { NULL, INDEX_HASH, C1, 1 },
                           { NULL, INDEX_BTREE, C2, 1 } };
    UniqueSchema puq[] = { { NULL, C0, 1 }, { NULL, C1, 1 } };
    SequenceSchema seq = { .col = 0, .increment = i128_from_i64(1) };
    TableSchema p = { .name = "player", .ts = ts, .row_type = make_row_type(ts, 3, PCOLS, pt),
                      .primary_key = 0, .indexes = pidx, .nindexes = 3, .uniques = puq,
                      .nuniques = 2, .sequences = &seq, .nsequences = 1 };
    const AlgType *bt[] = { alg_prim(ALG_STRING), alg_prim(ALG_U32) };
    IndexSchema bidx = { NULL, INDEX_BTREE, C1, 1 };
    TableSchema b = { .name = "bag", .ts = ts, .row_type = make_row_type(ts, 2, BCOLS, bt),
                      .primary_key = TABLE_NO_PK, .indexes = &bidx, .nindexes = 1 };
    uint32_t id;
    assert_int_equal(db_create_table(db, &p, &id, NULL), ST_OK);
    assert_int_equal(id, DB_FIRST_ID);
    assert_int_equal(db_create_table(db, &b, &id, NULL), ST_OK);
    assert_int_equal(id, DB_FIRST_ID + 1);
    return db;
}

static Table *player(Db *db) { return db_table(db, DB_FIRST_ID); }
static Table *bag(Db *db) { return db_table(db, DB_FIRST_ID + 1); }

static void prow(StrBuf *b, uint64_t id, const char *name, uint32_t level)
{
    strbuf_clear(b);
    put_uint(b, id, 8);
    put_str(b, name);
    put_uint(b, level, 4);
}

static void brow(StrBuf *b, const char *s, uint32_t n)
{
    strbuf_clear(b);
    put_str(b, s);
    put_uint(b, n, 4);
}

static Status ins(Table *t, const StrBuf *b)
{
    return table_insert(t, (const uint8_t *)b->data, b->len, NULL, NULL, NULL);
}

static void del(Table *t, const StrBuf *b)
{
    bool deleted;
    assert_int_equal(table_delete_row(t, (const uint8_t *)b->data, b->len, &deleted, NULL), ST_OK);
    assert_true(deleted);
}

/* Row i of l equals b. */
static void assert_row(const RowList *l, size_t i, const StrBuf *b)
{
    size_t len;
    const uint8_t *row = rowlist_get(l, i, &len);
    assert_int_equal(len, b->len);
    assert_memory_equal(row, b->data, len);
}

static void test_one_writer(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    DbError err;
    assert_false(tx_is_open(db));
    assert_int_equal(tx_commit(db, NULL, &err), ST_ARG);
    assert_int_equal(err.code, DBE_NOT_IN_TRANSACTION);
    tx_rollback(db);                             /* nothing open: nothing happens */
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    assert_true(tx_is_open(db));
    assert_int_equal(tx_begin(db, &err), ST_ARG);
    assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
    assert_false(tx_is_open(db));
    db_free(db);
    typespace_fini(&ts);
}

/* The transaction sees its own writes, and scans list its inserts first. */
static void test_read_your_writes(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    StrBuf b;
    strbuf_init(&b);
    for (uint32_t i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "old%u", i);
        prow(&b, i, name, 1);
        assert_int_equal(ins(player(db), &b), ST_OK);
    }
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    prow(&b, 9, "new", 1);
    assert_int_equal(ins(player(db), &b), ST_OK);
    assert_int_equal(table_row_count(player(db)), 4);
    RowList out;
    rowlist_init(&out);
    assert_int_equal(table_collect_all(player(db), &out, NULL), ST_OK);
    assert_int_equal(out.count, 4);
    assert_row(&out, 0, &b);                     /* this transaction's insert first */
    rowlist_clear(&out);
    uint8_t lvl[5] = { 0, 1, 0, 0, 0 };          /* Included(1): every row, key order */
    IndexRange r = { NULL, 0, 0, lvl, 5, lvl, 5 };
    assert_int_equal(table_scan_range_bsatn(player(db), 2, &r, &out, NULL), ST_OK);
    assert_int_equal(out.count, 4);
    assert_row(&out, 0, &b);
    prow(&b, 2, "old2", 1);
    del(player(db), &b);
    assert_int_equal(table_row_count(player(db)), 3);
    rowlist_clear(&out);
    assert_int_equal(table_collect_all(player(db), &out, NULL), ST_OK);
    assert_int_equal(out.count, 3);
    assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
    rowlist_clear(&out);
    assert_int_equal(table_collect_all(player(db), &out, NULL), ST_OK);
    assert_int_equal(out.count, 3);
    prow(&b, 1, "old1", 1);                      /* committed: back to slot order */
    assert_row(&out, 0, &b);
    rowlist_fini(&out);
    strbuf_fini(&b);
    assert_int_equal(db_check(db, NULL, 0), ST_OK);
    db_free(db);
    typespace_fini(&ts);
}

/* Net effect: update = delete + insert; insert+delete and
 * delete+re-insert vanish; a table whose changes cancel is absent. */
static void test_delta_netting(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    StrBuf b, c1, c2, c2new, n1;
    strbuf_init(&b), strbuf_init(&c1), strbuf_init(&c2), strbuf_init(&c2new), strbuf_init(&n1);
    prow(&c1, 1, "c1", 1), prow(&c2, 2, "c2", 1), prow(&c2new, 2, "c2", 5);
    prow(&n1, 7, "n1", 1);
    assert_int_equal(ins(player(db), &c1), ST_OK);
    assert_int_equal(ins(player(db), &c2), ST_OK);
    prow(&b, 3, "c3", 1);
    assert_int_equal(ins(player(db), &b), ST_OK);
    brow(&b, "x", 1);
    assert_int_equal(ins(bag(db), &b), ST_OK);

    assert_int_equal(tx_begin(db, NULL), ST_OK);
    assert_int_equal(ins(player(db), &n1), ST_OK);
    del(player(db), &c1);
    assert_int_equal(table_update(player(db), 0, (const uint8_t *)c2new.data, c2new.len, NULL,
                                  NULL, NULL), ST_OK);
    prow(&b, 8, "gone", 1);                      /* insert then delete: nothing */
    assert_int_equal(ins(player(db), &b), ST_OK);
    del(player(db), &b);
    prow(&b, 3, "c3", 1);                        /* delete then re-insert: nothing */
    del(player(db), &b);
    assert_int_equal(ins(player(db), &b), ST_OK);
    brow(&b, "x", 1);                            /* bag: changes that cancel */
    del(bag(db), &b);
    assert_int_equal(ins(bag(db), &b), ST_OK);
    brow(&b, "y", 2);
    assert_int_equal(ins(bag(db), &b), ST_OK);
    del(bag(db), &b);

    TxDelta d;
    tx_delta_init(&d);
    assert_int_equal(tx_commit(db, &d, NULL), ST_OK);
    assert_int_equal(d.ntables, 1);
    assert_int_equal(d.tables[0].table_id, DB_FIRST_ID);
    assert_ptr_equal(d.tables[0].table, player(db));
    assert_int_equal(d.tables[0].inserts.count, 2);   /* in order of first touch */
    assert_row(&d.tables[0].inserts, 0, &n1);
    assert_row(&d.tables[0].inserts, 1, &c2new);
    assert_int_equal(d.tables[0].deletes.count, 2);
    assert_row(&d.tables[0].deletes, 0, &c1);
    assert_row(&d.tables[0].deletes, 1, &c2);
    assert_int_equal(table_row_count(player(db)), 3);
    assert_int_equal(db_check(db, NULL, 0), ST_OK);
    /* an empty transaction: an empty delta (memory reused) */
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    assert_int_equal(tx_commit(db, &d, NULL), ST_OK);
    assert_int_equal(d.ntables, 0);
    tx_delta_fini(&d);
    strbuf_fini(&b), strbuf_fini(&c1), strbuf_fini(&c2), strbuf_fini(&c2new), strbuf_fini(&n1);
    db_free(db);
    typespace_fini(&ts);
}

static void test_sequences_stay_consumed(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    StrBuf b, wb;
    strbuf_init(&b), strbuf_init(&wb);
    prow(&b, 0, "a", 1);
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    assert_int_equal(table_insert(player(db), (const uint8_t *)b.data, b.len, &wb, NULL, NULL),
                     ST_OK);
    assert_int_equal(wb.data[0], 1);
    tx_rollback(db);
    assert_int_equal(table_row_count(player(db)), 0);
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    assert_int_equal(table_insert(player(db), (const uint8_t *)b.data, b.len, &wb, NULL, NULL),
                     ST_OK);
    assert_int_equal(wb.data[0], 2);             /* 1 was used by the rolled-back tx */
    assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
    strbuf_fini(&b), strbuf_fini(&wb);
    db_free(db);
    typespace_fini(&ts);
}

/* ---- random work ---- */

static void random_work(Db *db, uint64_t *seed, StrBuf *b, int nops)
{
    for (int i = 0; i < nops; i++) {
        uint32_t k = rnd_below(seed, 100), x = rnd_below(seed, 40), y = rnd_below(seed, 6);
        char name[16];
        snprintf(name, sizeof name, "n%u", rnd_below(seed, 30));
        Status st = ST_OK;
        uint64_t n;
        if (k < 35) {
            prow(b, k < 10 ? 0 : x, name, y);  /* 0: the sequence picks the id */
            st = ins(player(db), b);
        } else if (k < 50) {
            prow(b, x, name, y);
            st = table_update(player(db), k < 45 ? 0 : 1, (const uint8_t *)b->data, b->len, NULL,
                              NULL, NULL);
        } else if (k < 60) {
            strbuf_clear(b);
            put_str(b, name);
            st = table_delete_point_bsatn(player(db), 1, (const uint8_t *)b->data, b->len, &n,
                                          NULL);
        } else if (k < 65) {
            uint8_t lo[5] = { 0, (uint8_t)y }, hi[5] = { 1, (uint8_t)(y + 2) };
            IndexRange r = { NULL, 0, 0, lo, 5, hi, 5 };
            st = table_delete_range_bsatn(player(db), 2, &r, &n, NULL);
        } else if (k < 85) {
            brow(b, name, y);
            st = ins(bag(db), b);
        } else if (k < 98) {
            strbuf_clear(b);
            put_uint(b, 1, 4);
            brow(b, name, y);
            StrBuf rel;
            strbuf_init(&rel);
            put_uint(&rel, 1, 4);
            put(&rel, b->data, b->len);
            st = table_delete_eq_bsatn(bag(db), (const uint8_t *)rel.data, rel.len, &n, NULL);
            strbuf_fini(&rel);
        } else {
            st = table_clear(k == 98 ? bag(db) : player(db), &n, NULL);
        }
        assert_true(st == ST_OK || st == ST_EXISTS || st == ST_NOT_FOUND);
    }
}

static void preload(Db *db, uint64_t *seed, StrBuf *b)
{
    for (uint32_t i = 0; i < 200; i++) {
        char name[16];
        snprintf(name, sizeof name, "pre%u", i);
        prow(b, 100 + i, name, rnd_below(seed, 6));
        assert_int_equal(ins(player(db), b), ST_OK);
        brow(b, name, rnd_below(seed, 6));
        assert_int_equal(ins(bag(db), b), ST_OK);
    }
}

/* Random work, rolled back, leaves both tables exactly as they were:
 * the same rows at the same RowIds in the same order, the same index
 * entries, the same counts.  Sequence values stay consumed. */
static void test_rollback_bit_identical(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    uint64_t seed = 77;
    StrBuf b, p0, b0, p1, b1;
    strbuf_init(&b), strbuf_init(&p0), strbuf_init(&b0), strbuf_init(&p1), strbuf_init(&b1);
    preload(db, &seed, &b);
    for (int round = 0; round < 60; round++) {
        snapshot_table(player(db), &p0, false);
        snapshot_table(bag(db), &b0, false);
        I128 seq0 = table_sequence(player(db), 0)->value;
        assert_int_equal(tx_begin(db, NULL), ST_OK);
        random_work(db, &seed, &b, 300);
        char msg[256];
        if (db_check(db, msg, sizeof msg) != ST_OK)   /* valid mid-transaction too */
            fail_msg("%s", msg);
        if (round % 4 == 3) {                     /* let the state move on now and then */
            assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
            continue;
        }
        tx_rollback(db);
        snapshot_table(player(db), &p1, false);
        snapshot_table(bag(db), &b1, false);
        assert_int_equal(p1.len, p0.len);
        assert_memory_equal(p1.data, p0.data, p0.len);
        assert_int_equal(b1.len, b0.len);
        assert_memory_equal(b1.data, b0.data, b0.len);
        assert_true(i128_cmp(table_sequence(player(db), 0)->value, seq0) >= 0);
        assert_int_equal(db_check(db, NULL, 0), ST_OK);
    }
    strbuf_fini(&b), strbuf_fini(&p0), strbuf_fini(&b0), strbuf_fini(&p1), strbuf_fini(&b1);
    db_free(db);
    typespace_fini(&ts);
}

/* ---- delta = after - before ---- */

typedef struct RowRef {
    const uint8_t *p;
    size_t len;
} RowRef;

static int cmp_ref(const void *a, const void *b)
{
    const RowRef *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Rows of `a` not in `b`, sorted. */
static size_t minus(const RowList *a, const RowList *b, RowRef *out)
{
    size_t n = 0;
    for (size_t i = 0; i < a->count; i++) {
        RowRef r;
        r.p = rowlist_get(a, i, &r.len);
        bool found = false;
        for (size_t j = 0; j < b->count && !found; j++) {
            RowRef o;
            o.p = rowlist_get(b, j, &o.len);
            found = cmp_ref(&r, &o) == 0;
        }
        if (!found)
            out[n++] = r;
    }
    qsort(out, n, sizeof *out, cmp_ref);
    return n;
}

static void assert_same_rows(const RowList *l, const RowRef *want, size_t n)
{
    assert_int_equal(l->count, n);
    RowRef *got = calloc(n + 1, sizeof *got);
    for (size_t i = 0; i < n; i++)
        got[i].p = rowlist_get(l, i, &got[i].len);
    qsort(got, n, sizeof *got, cmp_ref);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cmp_ref(&got[i], &want[i]), 0);
    free(got);
}

static void test_commit_delta_matches_states(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    uint64_t seed = 4242;
    StrBuf b;
    strbuf_init(&b);
    preload(db, &seed, &b);
    RowList before[2], after[2];
    for (int i = 0; i < 2; i++)
        rowlist_init(&before[i]), rowlist_init(&after[i]);
    RowRef *want = calloc(2000, sizeof *want);
    TxDelta d;
    tx_delta_init(&d);
    for (int round = 0; round < 40; round++) {
        for (uint32_t i = 0; i < 2; i++) {
            rowlist_clear(&before[i]);
            assert_int_equal(table_collect_all(db_table(db, DB_FIRST_ID + i), &before[i], NULL),
                             ST_OK);
        }
        assert_int_equal(tx_begin(db, NULL), ST_OK);
        random_work(db, &seed, &b, 1 + round * 10);
        assert_int_equal(tx_commit(db, &d, NULL), ST_OK);
        size_t seen = 0;
        for (uint32_t i = 0; i < 2; i++) {
            rowlist_clear(&after[i]);
            assert_int_equal(table_collect_all(db_table(db, DB_FIRST_ID + i), &after[i], NULL),
                             ST_OK);
            size_t nins = minus(&after[i], &before[i], want);
            const TxTableDelta *e = seen < d.ntables && d.tables[seen].table_id == DB_FIRST_ID + i
                                        ? &d.tables[seen++] : NULL;
            size_t ndel = minus(&before[i], &after[i], want + nins);
            if (!e) {
                assert_int_equal(nins + ndel, 0);  /* absent: nothing changed */
                continue;
            }
            assert_same_rows(&e->inserts, want, nins);
            assert_same_rows(&e->deletes, want + nins, ndel);
        }
        assert_int_equal(seen, d.ntables);
    }
    assert_int_equal(db_check(db, NULL, 0), ST_OK);
    tx_delta_fini(&d);
    free(want);
    for (int i = 0; i < 2; i++)
        rowlist_fini(&before[i]), rowlist_fini(&after[i]);
    strbuf_fini(&b);
    db_free(db);
    typespace_fini(&ts);
}

/* Commit (without a delta) and rollback allocate nothing; a commit that
 * cannot build its delta leaves the transaction open and unchanged. */
static void test_finish_without_memory(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    uint64_t seed = 5;
    StrBuf b, s0, s1;
    strbuf_init(&b), strbuf_init(&s0), strbuf_init(&s1);
    preload(db, &seed, &b);
    for (int mode = 0; mode < 3; mode++) {
        snapshot_table(player(db), &s0, false);
        assert_int_equal(tx_begin(db, NULL), ST_OK);
        random_work(db, &seed, &b, 200);
        TxDelta d;
        tx_delta_init(&d);
        mem_fail_after(0);
        if (mode == 0) {
            assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
        } else if (mode == 1) {
            tx_rollback(db);
        } else {
            DbError err;
            assert_int_equal(tx_commit(db, &d, &err), ST_NOMEM);
            mem_fail_after(-1);
            assert_true(tx_is_open(db));
            assert_int_equal(d.ntables, 0);
            assert_int_equal(db_check(db, NULL, 0), ST_OK);
            tx_rollback(db);
        }
        mem_fail_after(-1);
        tx_delta_fini(&d);
        assert_false(tx_is_open(db));
        assert_int_equal(db_check(db, NULL, 0), ST_OK);
        snapshot_table(player(db), &s1, false);
        if (mode != 0) {
            assert_int_equal(s1.len, s0.len);
            assert_memory_equal(s1.data, s0.data, s0.len);
        }
    }
    strbuf_fini(&b), strbuf_fini(&s0), strbuf_fini(&s1);
    db_free(db);
    typespace_fini(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_writer),
        cmocka_unit_test(test_read_your_writes),
        cmocka_unit_test(test_delta_netting),
        cmocka_unit_test(test_sequences_stay_consumed),
        cmocka_unit_test(test_rollback_bit_identical),
        cmocka_unit_test(test_commit_delta_matches_states),
        cmocka_unit_test(test_finish_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
