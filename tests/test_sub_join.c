/*
 * test_sub_join.c - incremental subscription results (sql_delta_eval)
 * against full re-evaluation, on random data and random transactions.
 *
 * Tables t(id u32, a u8, v u8) with a hash index on a, and u(id u32,
 * b u8, w u8) with a two-column B-tree on (b, w), so that join probes go
 * through a point lookup on one side and a prefix range on the other.
 * Join values are drawn from a small range, so a row often matches two
 * or more rows of the other side (bag multiplicities above one).
 *
 * Each round: run each query in full (sql_run_naive: scans, nested
 * loops), commit a random transaction (inserts, deletes and updates =
 * delete + insert, on both tables, sometimes on the same join value),
 * run the queries in full again, and hold sql_delta_eval's rows to the
 * multiset differences after - before (inserts) and before - after
 * (deletes).  The naive model never looks at the delta.
 *
 * Book: chapter 28, book/28-subscriptions.md
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sql/sql.h"
#include "table_util.h"

#define ROUNDS 300
#define VALUES 6                  /* join values 0..VALUES-1 */

static const char *const queries[] = {
    "SELECT t.* FROM t JOIN u ON t.a = u.b",
    "SELECT t.* FROM t JOIN u ON t.a = u.b WHERE u.w > 3",
    "SELECT u.* FROM t JOIN u ON t.a = u.b WHERE t.v = 2",
    "SELECT t.* FROM t JOIN u ON u.b = t.a WHERE t.v < 5 AND u.w <> 1",
    "SELECT u.* FROM u JOIN t ON u.b = t.a WHERE u.w >= 2 OR t.v = 0",
    "SELECT x.* FROM t x JOIN t y ON x.a = y.a WHERE y.v = 3",
    "SELECT * FROM t WHERE v > 4",
};
#define NQUERIES (sizeof queries / sizeof queries[0])

typedef struct Fx {
    Typespace ts;
    Db *db;
    Table *t, *u;
    uint32_t next_id;
    SqlQuery *q[NQUERIES];
} Fx;

static const uint16_t C1[] = { 1 }, C12[] = { 1, 2 };

static void make_table(Fx *fx, const char *name, const char *const *cols, IndexSchema *ix)
{
    const AlgType *types[] = { alg_prim(ALG_U32), alg_prim(ALG_U8), alg_prim(ALG_U8) };
    TableSchema s = { .name = name, .ts = &fx->ts,
                      .row_type = make_row_type(&fx->ts, 3, cols, types),
                      .primary_key = TABLE_NO_PK, .indexes = ix, .nindexes = 1,
                      .is_public = true };
    assert_int_equal(db_create_table(fx->db, &s, NULL, NULL), ST_OK);
}

static void setup(Fx *fx)
{
    memset(fx, 0, sizeof *fx);
    typespace_init(&fx->ts);
    assert_int_equal(db_new(&fx->db), ST_OK);
    static const char *const tc[] = { "id", "a", "v" }, *const uc[] = { "id", "b", "w" };
    IndexSchema ti = { NULL, INDEX_HASH, C1, 1 }, ui = { NULL, INDEX_BTREE, C12, 2 };
    make_table(fx, "t", tc, &ti);
    make_table(fx, "u", uc, &ui);
    fx->t = db_table(fx->db, DB_FIRST_ID);
    fx->u = db_table(fx->db, DB_FIRST_ID + 1);
    SqlCtx ctx = { .db = fx->db, .mode = SQL_MODE_SUBSCRIPTION };
    for (size_t i = 0; i < NQUERIES; i++) {
        SqlError err;
        if (sql_query_new(&ctx, queries[i], strlen(queries[i]), &fx->q[i], &err) != ST_OK)
            fail_msg("%s: %s", queries[i], err.msg);
    }
}

static void teardown(Fx *fx)
{
    for (size_t i = 0; i < NQUERIES; i++)
        sql_query_free(fx->q[i]);
    db_free(fx->db);
    typespace_fini(&fx->ts);
}

/* ---- random transactions ---- */

static void insert_row(Fx *fx, Table *t, uint64_t *seed)
{
    StrBuf b;
    strbuf_init(&b);
    put_uint(&b, fx->next_id++, 4);
    put_uint(&b, rnd_below(seed, VALUES), 1);
    put_uint(&b, rnd_below(seed, 8), 1);
    DbError e;
    assert_int_equal(table_insert(t, (const uint8_t *)b.data, b.len, NULL, NULL, &e), ST_OK);
    strbuf_fini(&b);
}

/* Delete a random row of t; update: insert it again with a new join value
 * or a new filtered column (same id). */
static void change_row(Table *t, uint64_t *seed, bool update)
{
    RowList all;
    rowlist_init(&all);
    DbError e;
    assert_int_equal(table_collect_all(t, &all, &e), ST_OK);
    if (all.count > 0) {
        size_t len;
        const uint8_t *row = rowlist_get(&all, rnd_below(seed, (uint32_t)all.count), &len);
        uint8_t copy[16];
        assert_true(len <= sizeof copy);
        memcpy(copy, row, len);
        bool deleted;
        assert_int_equal(table_delete_row(t, copy, len, &deleted, &e), ST_OK);
        assert_true(deleted);
        if (update) {
            copy[4 + rnd_below(seed, 2)] = (uint8_t)rnd_below(seed, VALUES);
            assert_int_equal(table_insert(t, copy, len, NULL, NULL, &e), ST_OK);
        }
    }
    rowlist_fini(&all);
}

static void random_tx(Fx *fx, uint64_t *seed, TxDelta *d)
{
    DbError e;
    assert_int_equal(tx_begin(fx->db, &e), ST_OK);
    unsigned n = 1 + rnd_below(seed, 5);
    for (unsigned i = 0; i < n; i++) {
        Table *t = rnd_below(seed, 2) ? fx->t : fx->u;
        switch (rnd_below(seed, 4)) {
        case 0: case 1: insert_row(fx, t, seed); break;
        case 2: change_row(t, seed, false); break;
        default: change_row(t, seed, true); break;
        }
    }
    assert_int_equal(tx_commit(fx->db, d, &e), ST_OK);
}

/* ---- multisets of rows ---- */

typedef struct Bag { const uint8_t *row; size_t len; } Bag;

static int cmp_bag(const void *pa, const void *pb)
{
    const Bag *a = pa, *b = pb;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->row, b->row, a->len);
}

/* The rows of l sorted, in a new array (count in *n). */
static Bag *sorted(const RowList *l, size_t *n)
{
    Bag *v = calloc(l->count + 1, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < l->count; i++)
        v[i].row = rowlist_get(l, i, &v[i].len);
    qsort(v, l->count, sizeof *v, cmp_bag);
    *n = l->count;
    return v;
}

/* Is got exactly the multiset a - b? */
static bool is_difference(const RowList *a, const RowList *b, const RowList *got)
{
    size_t na, nb, ng, i = 0, j = 0, k = 0;
    Bag *va = sorted(a, &na), *vb = sorted(b, &nb), *vg = sorted(got, &ng);
    bool ok = true;
    while (ok && i < na) {
        int c = j < nb ? cmp_bag(&va[i], &vb[j]) : -1;
        if (c == 0) {
            i++, j++;
        } else if (c > 0) {
            j++;
        } else {
            ok = k < ng && cmp_bag(&va[i], &vg[k]) == 0;
            i++, k++;
        }
    }
    ok = ok && k == ng;
    free(va), free(vb), free(vg);
    return ok;
}

static void full(SqlQuery *q, RowList *out)
{
    SqlResult r;
    SqlError err;
    sql_result_init(&r);
    assert_int_equal(sql_run_naive(q, &r, &err), ST_OK);
    rowlist_init(out);
    assert_int_equal(rowlist_append(out, &r.rows), ST_OK);
    sql_result_fini(&r);
}

/* The largest multiplicity of one row in l (bag semantics really used). */
static size_t max_repeat(const RowList *l)
{
    size_t n, best = l->count ? 1 : 0, run = 1;
    Bag *v = sorted(l, &n);
    for (size_t i = 1; i < n; i++) {
        run = cmp_bag(&v[i - 1], &v[i]) == 0 ? run + 1 : 1;
        best = run > best ? run : best;
    }
    free(v);
    return best;
}

static void test_delta_matches_reevaluation(void **state)
{
    (void)state;
    Fx fx;
    setup(&fx);
    uint64_t seed = 0x5eed5u;
    size_t changed = 0, repeats = 0, quiet = 0;
    for (int round = 0; round < ROUNDS; round++) {
        RowList before[NQUERIES], after, ins, del;
        for (size_t i = 0; i < NQUERIES; i++)
            full(fx.q[i], &before[i]);
        TxDelta d;
        tx_delta_init(&d);
        random_tx(&fx, &seed, &d);
        for (size_t i = 0; i < NQUERIES; i++) {
            full(fx.q[i], &after);
            rowlist_init(&ins);
            rowlist_init(&del);
            SqlError err;
            if (sql_delta_eval(fx.q[i], &d, &ins, &del, &err) != ST_OK)
                fail_msg("%s: %s", queries[i], err.msg);
            if (!is_difference(&after, &before[i], &ins) || !is_difference(&before[i], &after, &del))
                fail_msg("round %d, %s: %zu inserts and %zu deletes are not after - before "
                         "(%zu -> %zu rows)", round, queries[i], ins.count, del.count,
                         before[i].count, after.count);
            changed += ins.count + del.count;
            quiet += ins.count + del.count == 0;
            repeats += max_repeat(&after) > 1;
            rowlist_fini(&after), rowlist_fini(&ins), rowlist_fini(&del);
            rowlist_fini(&before[i]);
        }
        tx_delta_fini(&d);
    }
    /* the run exercised something: changes, silences and multiplicities */
    assert_true(changed > ROUNDS);
    assert_true(quiet > 0);
    assert_true(repeats > ROUNDS);
    teardown(&fx);
}

/* A join subscription needs an index on both join columns. */
static void test_join_needs_both_indexes(void **state)
{
    (void)state;
    Fx fx;
    setup(&fx);
    SqlCtx ctx = { .db = fx.db, .mode = SQL_MODE_SUBSCRIPTION };
    static const char *const bad[] = {
        "SELECT t.* FROM t JOIN u ON t.v = u.b",   /* t.v has no index */
        "SELECT t.* FROM t JOIN u ON t.a = u.w",   /* u.w is not first in (b, w) */
    };
    for (size_t i = 0; i < 2; i++) {
        SqlQuery *q;
        SqlError err;
        assert_int_not_equal(sql_query_new(&ctx, bad[i], strlen(bad[i]), &q, &err), ST_OK);
        assert_string_equal(err.msg, "Subscriptions require indexes on join columns");
        ctx.mode = SQL_MODE_ADHOC;   /* ad hoc: a scan is fine */
        assert_int_equal(sql_query_new(&ctx, bad[i], strlen(bad[i]), &q, &err), ST_OK);
        sql_query_free(q);
        ctx.mode = SQL_MODE_SUBSCRIPTION;
    }
    teardown(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta_matches_reevaluation),
        cmocka_unit_test(test_join_needs_both_indexes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
