/*
 * test_commitlog_replay.c - transactions logged, then replayed into a
 * fresh database: the same rows and the same sequence value come back,
 * and a log that does not fit the database is refused.
 *
 * Book: chapter 27, book/27-commit-log.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/commitlog.h"
#include "db/tx.h"
#include "table_util.h"
#include "util/log.h"
#include "file_util.h"

/* ---- replay into a database ---- */

static const char *const PCOLS[] = {"id", "name", "level"};
static const uint16_t C0[] = {0}, C1[] = {1};

/* player(id u64 pk auto_inc, name String unique) */
static Db *make_db(Typespace *ts)
{
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    const AlgType *pt[] = {alg_prim(ALG_U64), alg_prim(ALG_STRING), alg_prim(ALG_U32)};
    IndexSchema idx[] = {{NULL, INDEX_BTREE, C0, 1}, {NULL, INDEX_HASH, C1, 1}};
    UniqueSchema uq[] = {{NULL, C0, 1}, {NULL, C1, 1}};
    SequenceSchema seq = {.col = 0, .increment = i128_from_i64(1)};
    TableSchema s = {.name = "player", .ts = ts, .row_type = make_row_type(ts, 3, PCOLS, pt),
                     .primary_key = 0, .indexes = idx, .nindexes = 2, .uniques = uq,
                     .nuniques = 2, .sequences = &seq, .nsequences = 1};
    assert_int_equal(db_create_table(db, &s, NULL, NULL), ST_OK);
    return db;
}

static void prow(StrBuf *b, uint64_t id, const char *name, uint32_t level)
{
    strbuf_clear(b);
    put_uint(b, id, 8);
    put_str(b, name);
    put_uint(b, level, 4);
}

/* One transaction: insert players named by i (id from the sequence),
 * update every third, delete every fifth; logged. */
static void run_tx(Db *db, CommitLog *l, TxDelta *d, uint32_t i)
{
    Table *t = db_table(db, DB_FIRST_ID);
    StrBuf b;
    strbuf_init(&b);
    char name[32];
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    snprintf(name, sizeof name, "p%u", i);
    prow(&b, 0, name, i);
    TableWrite w;
    assert_int_equal(table_insert(t, (uint8_t *)b.data, b.len, NULL, &w, NULL), ST_OK);
    if (i % 3 == 2) {                            /* update the new player's level */
        prow(&b, i, name, 1000 + i);
        assert_int_equal(table_update(t, 0, (uint8_t *)b.data, b.len, NULL, NULL, NULL), ST_OK);
    }
    if (i % 5 == 4) {
        snprintf(name, sizeof name, "p%u", i - 1);   /* delete the previous player */
        prow(&b, i - 1, name, (i - 1) % 3 == 2 ? 1000 + i - 1 : i - 1);
        bool deleted;
        assert_int_equal(table_delete_row(t, (uint8_t *)b.data, b.len, &deleted, NULL), ST_OK);
        assert_true(deleted);
    }
    assert_int_equal(tx_commit(db, d, NULL), ST_OK);
    assert_int_equal(commitlog_append(l, d, i, NULL, NULL), ST_OK);
    strbuf_fini(&b);
}

static void test_replay_into_db(void **state)
{
    (void)state;
    char *dir = test_make_dir("clog");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    CommitLog *l;
    assert_int_equal(commitlog_open(dir, NULL, 0, NULL, NULL, &l, NULL, NULL), ST_OK);
    TxDelta d;
    tx_delta_init(&d);
    for (uint32_t i = 1; i <= 200; i++)
        run_tx(db, l, &d, i);
    tx_delta_fini(&d);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);

    Db *again = make_db(&ts);
    CommitLogError err;
    Status st = commitlog_open(dir, NULL, 0, commitlog_apply_visit, again, &l, NULL, &err);
    if (st != ST_OK)
        fail_msg("replay: %s", err.msg);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    Table *t0 = db_table(db, DB_FIRST_ID), *t1 = db_table(again, DB_FIRST_ID);
    assert_int_equal(table_row_count(t0), table_row_count(t1));
    assert_int_equal(i128_cmp(table_sequence(t0, 0)->value, table_sequence(t1, 0)->value), 0);
    RowList rows;
    rowlist_init(&rows);
    assert_int_equal(table_collect_all(t0, &rows, NULL), ST_OK);
    for (size_t i = 0; i < rows.count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(&rows, i, &len);
        bool deleted;
        assert_int_equal(table_delete_row(t1, row, len, &deleted, NULL), ST_OK);
        assert_true(deleted);
    }
    assert_int_equal(table_row_count(t1), 0);
    char msg[256];
    assert_int_equal(db_check(again, msg, sizeof msg), ST_OK);
    rowlist_fini(&rows);
    /* a log that does not fit the database is refused, not half-applied silently */
    Db *wrong = make_db(&ts);
    StrBuf b;
    strbuf_init(&b);
    prow(&b, 1, "p1", 1);
    assert_int_equal(table_insert(db_table(wrong, DB_FIRST_ID), (uint8_t *)b.data, b.len, NULL,
                                  NULL, NULL), ST_OK);
    strbuf_fini(&b);
    assert_int_equal(commitlog_scan(dir, 0, commitlog_apply_visit, wrong, NULL, &err),
                     ST_MALFORMED);
    assert_non_null(strstr(err.msg, "replay of commit 0"));
    db_free(wrong);
    db_free(again);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

/* One logged record by hand: player table, one inserted row, its
 * sequence's value after the commit (layout in commitlog.c). */
static void put_record(StrBuf *p, const StrBuf *row, int64_t seq_after)
{
    strbuf_clear(p);
    put_uint(p, DB_FIRST_ID, 4);
    put_uint(p, 0, 4);                           /* no deletes */
    put_uint(p, 1, 4);                           /* one insert */
    put_uint(p, 1, 4);                           /* one sequence */
    put_uint(p, (uint32_t)row->len, 4);
    put(p, row->data, row->len);
    put_uint(p, 0, 4);                           /* sequence 0 ... */
    uint8_t le[16];
    i128_to_le(i128_from_i64(seq_after), le);
    put(p, le, sizeof le);                       /* ... is at seq_after */
}

/* A logged row whose auto_inc column holds 0 replays as 0: replay
 * inserts rows exactly as logged (table_insert_exact) and restores the
 * sequence from the log.  Commit 0 leaves the sequence at 10; commit 1
 * inserts player 0.  Running the sequence on it would make it player 10. */
static void test_replay_keeps_zero_in_auto_inc(void **state)
{
    (void)state;
    char *dir = test_make_dir("clog");
    CommitLog *l;
    assert_int_equal(commitlog_open(dir, NULL, 0, NULL, NULL, &l, NULL, NULL), ST_OK);
    StrBuf row, pay;
    strbuf_init(&row);
    strbuf_init(&pay);
    prow(&row, 9, "nine", 9);
    put_record(&pay, &row, 10);
    assert_int_equal(commitlog_append_raw(l, (uint8_t *)pay.data, pay.len, 1, 1, NULL, NULL),
                     ST_OK);
    prow(&row, 0, "zero", 0);
    put_record(&pay, &row, 10);
    assert_int_equal(commitlog_append_raw(l, (uint8_t *)pay.data, pay.len, 1, 2, NULL, NULL),
                     ST_OK);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);

    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts);
    CommitLogError err;
    Status st = commitlog_scan(dir, 0, commitlog_apply_visit, db, NULL, &err);
    if (st != ST_OK)
        fail_msg("replay: %s", err.msg);
    Table *t = db_table(db, DB_FIRST_ID);
    assert_int_equal(table_row_count(t), 2);
    bool deleted;                                /* the row as logged, byte for byte */
    assert_int_equal(table_delete_row(t, (uint8_t *)row.data, row.len, &deleted, NULL), ST_OK);
    assert_true(deleted);
    assert_int_equal(i128_cmp(table_sequence(t, 0)->value, i128_from_i64(10)), 0);
    char msg[256];
    assert_int_equal(db_check(db, msg, sizeof msg), ST_OK);
    strbuf_fini(&row);
    strbuf_fini(&pay);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_into_db),
        cmocka_unit_test(test_replay_keeps_zero_in_auto_inc),
    };
    log_set_level(LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
