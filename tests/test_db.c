/*
 * test_db.c - a database's tables: ids in creation order, the one
 * namespace of table, index, constraint and sequence names, lookups with
 * the ABI's errors, and the checker.
 *
 * Book: chapter 12, book/12-tables.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "db/db.h"
#include "db/tx.h"
#include "table_util.h"

static const char *const COLS[] = { "id", "name" };
static const uint16_t C0[] = { 0 }, C1[] = { 1 };

static TableSchema schema(Typespace *ts, const char *name, IndexSchema *idx, uint32_t nidx,
                          UniqueSchema *uq, uint32_t nuq)
{
    const AlgType *types[] = { alg_prim(ALG_U32), alg_prim(ALG_STRING) };
    TableSchema s = { .name = name, .ts = ts, .row_type = make_row_type(ts, 2, COLS, types),
                      .primary_key = TABLE_NO_PK, .indexes = idx, .nindexes = nidx,
                      .uniques = uq, .nuniques = nuq };
    return s;
}

static void test_ids_and_names(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    IndexSchema ia[] = { { NULL, INDEX_BTREE, C0, 1 }, { NULL, INDEX_HASH, C1, 1 } };
    IndexSchema ib[] = { { NULL, INDEX_DIRECT, C0, 1 } };
    UniqueSchema ua = { NULL, C0, 1 };
    TableSchema a = schema(&ts, "alpha", ia, 2, &ua, 1), b = schema(&ts, "beta", ib, 1, NULL, 0);
    uint32_t ida, idb, id;
    assert_int_equal(db_create_table(db, &a, &ida, NULL), ST_OK);
    assert_int_equal(db_create_table(db, &b, &idb, NULL), ST_OK);
    assert_int_equal(ida, DB_FIRST_ID);
    assert_int_equal(idb, DB_FIRST_ID + 1);
    assert_int_equal(db_table_count(db), 2);
    assert_string_equal(table_name(db_table(db, idb)), "beta");
    assert_null(db_table(db, 7));
    assert_null(db_table(db, DB_FIRST_ID + 2));
    assert_int_equal(db_table_id_from_name(db, "beta", 4, &id, NULL), ST_OK);
    assert_int_equal(id, idb);
    DbError err;
    assert_int_equal(db_table_id_from_name(db, "gamma", 5, &id, &err), ST_NOT_FOUND);
    assert_int_equal(err.code, DBE_NO_SUCH_TABLE);
    /* an index name is not a table name, and vice versa */
    assert_int_equal(db_table_id_from_name(db, "alpha_id_idx_btree", 18, &id, &err), ST_NOT_FOUND);
    assert_int_equal(db_index_id_from_name(db, "alpha", 5, &id, &err), ST_NOT_FOUND);
    assert_int_equal(err.code, DBE_NO_SUCH_INDEX);
    const char *names[] = { "alpha_id_idx_btree", "alpha_name_idx_hash", "beta_id_idx_direct" };
    for (uint32_t i = 0; i < 3; i++) {
        Table *t;
        uint32_t pos;
        assert_int_equal(db_index_id_from_name(db, names[i], strlen(names[i]), &id, NULL), ST_OK);
        assert_int_equal(id, DB_FIRST_ID + i);
        assert_int_equal(db_index(db, id, &t, &pos, NULL), ST_OK);
        assert_ptr_equal(t, db_table(db, i < 2 ? ida : idb));
        assert_int_equal(pos, i < 2 ? i : 0);
        assert_int_equal(db_index_id(db, i < 2 ? ida : idb, pos), id);
    }
    Table *t;
    uint32_t pos;
    assert_int_equal(db_index(db, DB_FIRST_ID + 3, &t, &pos, &err), ST_NOT_FOUND);
    assert_int_equal(err.code, DBE_NO_SUCH_INDEX);
    assert_int_equal(db_check(db, NULL, 0), ST_OK);
    assert_true(db_memory(db) > 0);
    db_free(db);
    typespace_fini(&ts);
}

/* Table, index, constraint and sequence names share one namespace. */
static void test_name_clashes(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    IndexSchema ia = { NULL, INDEX_BTREE, C0, 1 };
    UniqueSchema ua = { NULL, C0, 1 };
    TableSchema a = schema(&ts, "alpha", &ia, 1, &ua, 1);
    assert_int_equal(db_create_table(db, &a, NULL, NULL), ST_OK);
    DbError err;
    assert_int_equal(db_create_table(db, &a, NULL, &err), ST_EXISTS);   /* same table name */
    IndexSchema clash_idx = { "alpha_id_idx_btree", INDEX_BTREE, C0, 1 };
    TableSchema b = schema(&ts, "beta", &clash_idx, 1, NULL, 0);
    assert_int_equal(db_create_table(db, &b, NULL, &err), ST_EXISTS);
    IndexSchema named = { "alpha_id_key", INDEX_BTREE, C0, 1 };    /* a constraint's name */
    TableSchema c = schema(&ts, "gamma", &named, 1, NULL, 0);
    assert_int_equal(db_create_table(db, &c, NULL, &err), ST_EXISTS);
    TableSchema d = schema(&ts, "alpha_id_idx_btree", NULL, 0, NULL, 0);   /* a table */
    assert_int_equal(db_create_table(db, &d, NULL, &err), ST_EXISTS);
    /* failures left nothing behind: the names are free, ids continue */
    assert_int_equal(db_table_count(db), 1);
    assert_int_equal(db_check(db, NULL, 0), ST_OK);
    TableSchema e = schema(&ts, "beta", NULL, 0, NULL, 0);
    uint32_t id;
    assert_int_equal(db_create_table(db, &e, &id, NULL), ST_OK);
    assert_int_equal(id, DB_FIRST_ID + 1);
    /* no tables are created inside a transaction */
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    TableSchema f = schema(&ts, "zeta", NULL, 0, NULL, 0);
    assert_int_equal(db_create_table(db, &f, NULL, &err), ST_ARG);
    assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
    assert_int_equal(db_check(db, NULL, 0), ST_OK);
    db_free(db);
    typespace_fini(&ts);
}

/* Out of memory while creating tables leaves the Db as it was. */
static void test_create_nomem(void **state)
{
    (void)state;
    long live = mem_live();
    Typespace ts;
    typespace_init(&ts);
    IndexSchema ia[] = { { NULL, INDEX_BTREE, C0, 1 }, { NULL, INDEX_HASH, C1, 1 } };
    UniqueSchema ua = { NULL, C0, 1 };
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    for (long k = 0;; k++) {
        TableSchema a = schema(&ts, "alpha", ia, 2, &ua, 1);
        mem_fail_after(k);
        Status st = db_create_table(db, &a, NULL, NULL);
        mem_fail_after(-1);
        if (st == ST_OK)
            break;
        assert_int_equal(st, ST_NOMEM);
        assert_int_equal(db_table_count(db), 0);
        assert_int_equal(db_check(db, NULL, 0), ST_OK);
    }
    assert_int_equal(db_table_count(db), 1);
    assert_int_equal(db_check(db, NULL, 0), ST_OK);
    db_free(db);
    typespace_fini(&ts);
    assert_int_equal(mem_live(), live);   /* no failure leaked anything */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_and_names),
        cmocka_unit_test(test_name_clashes),
        cmocka_unit_test(test_create_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
