/*
 * test_sql_eval.c - planned SQL evaluation against two references.
 *
 * A random table t(a u8, b i32, c u64, s String, f f64) with indexes of
 * every kind (B-tree on a, B-tree on (b, c), hash on c, direct on a)
 * and a table u(x u8, y i32) with a B-tree on x.  Random WHERE clauses
 * (AND / OR / NOT of comparisons, literals drawn near the data) are run
 *   1. by the planner (sql_run: index points, ranges, joins by index),
 *   2. by sql_run_naive (full scans and nested loops), and
 *   3. by an oracle here that evaluates the same predicate on the C
 *      values the rows were built from,
 * and all three must give the same multiset of rows.
 *
 * Book: chapter 25, book/25-sql.md
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

#define NROWS 300
#define NU 40

typedef struct Row { int a, b, c, s; double f; } Row;
static const char *const strs[] = { "", "x", "y", "zz" };
static const double flts[] = { -1.5, 0, 2.25, 7 };

typedef struct Fixture {
    Typespace ts;
    Db *db;
    Row rows[NROWS];
    int nrows;
    int ux[NU], uy[NU], nu;
} Fixture;

static const uint16_t CA[] = { 0 }, CBC[] = { 1, 2 }, CC[] = { 2 };

static void make_tables(Fixture *fx)
{
    typespace_init(&fx->ts);
    assert_int_equal(db_new(&fx->db), ST_OK);
    static const char *const tn[] = { "a", "b", "c", "s", "f" };
    const AlgType *tt[] = { alg_prim(ALG_U8), alg_prim(ALG_I32), alg_prim(ALG_U64),
                            alg_prim(ALG_STRING), alg_prim(ALG_F64) };
    IndexSchema ti[] = { { NULL, INDEX_BTREE, CA, 1 }, { NULL, INDEX_BTREE, CBC, 2 },
                         { NULL, INDEX_HASH, CC, 1 }, { "t_a_direct", INDEX_DIRECT, CA, 1 } };
    TableSchema t = { .name = "t", .ts = &fx->ts, .row_type = make_row_type(&fx->ts, 5, tn, tt),
                      .primary_key = TABLE_NO_PK, .indexes = ti, .nindexes = 4,
                      .is_public = true };
    assert_int_equal(db_create_table(fx->db, &t, NULL, NULL), ST_OK);
    static const char *const un[] = { "x", "y" };
    const AlgType *ut[] = { alg_prim(ALG_U8), alg_prim(ALG_I32) };
    IndexSchema ui[] = { { NULL, INDEX_BTREE, CA, 1 } };
    TableSchema u = { .name = "u", .ts = &fx->ts, .row_type = make_row_type(&fx->ts, 2, un, ut),
                      .primary_key = TABLE_NO_PK, .indexes = ui, .nindexes = 1,
                      .is_public = true };
    assert_int_equal(db_create_table(fx->db, &u, NULL, NULL), ST_OK);
}

static void fill(Fixture *fx, uint64_t *seed)
{
    Table *t = db_table(fx->db, DB_FIRST_ID), *u = db_table(fx->db, DB_FIRST_ID + 1);
    StrBuf b;
    strbuf_init(&b);
    fx->nrows = 0;
    for (int i = 0; i < NROWS; i++) {
        Row r = { (int)rnd_below(seed, 10), (int)rnd_below(seed, 11) - 5,
                  (int)rnd_below(seed, 20), (int)rnd_below(seed, 4), flts[rnd_below(seed, 4)] };
        strbuf_clear(&b);
        put_uint(&b, (uint64_t)r.a, 1);
        put_uint(&b, (uint64_t)(uint32_t)r.b, 4);
        put_uint(&b, (uint64_t)r.c, 8);
        put_str(&b, strs[r.s]);
        put(&b, &r.f, 8);
        TableWrite w;
        assert_int_equal(table_insert(t, (uint8_t *)b.data, b.len, NULL, &w, NULL), ST_OK);
        if (w.changed)
            fx->rows[fx->nrows++] = r;
    }
    fx->nu = 0;
    for (int i = 0; i < NU; i++) {
        int x = (int)rnd_below(seed, 12), y = (int)rnd_below(seed, 7) - 3;
        strbuf_clear(&b);
        put_uint(&b, (uint64_t)x, 1);
        put_uint(&b, (uint64_t)(uint32_t)y, 4);
        TableWrite w;
        assert_int_equal(table_insert(u, (uint8_t *)b.data, b.len, NULL, &w, NULL), ST_OK);
        if (w.changed)
            fx->ux[fx->nu] = x, fx->uy[fx->nu++] = y;
    }
    strbuf_fini(&b);
}

/* ---- random predicates, as SQL text and as an oracle ---- */

typedef struct Pred {
    int kind;                     /* 0 cmp, 1 and, 2 or, 3 not, 4 true */
    int col, op;                  /* col 0..4 of t, 5 = u.y; op SqlCmpOp */
    double lit;                   /* the literal (index into strs for s) */
    struct Pred *l, *r;
} Pred;

static Pred pool[64];
static int npool;

static Pred *gen(uint64_t *seed, int depth)
{
    Pred *p = &pool[npool++];
    memset(p, 0, sizeof *p);
    unsigned k = depth >= 3 ? 9 : rnd_below(seed, 10);
    if (k >= 4) {
        p->col = (int)rnd_below(seed, 5);
        p->op = (int)rnd_below(seed, 6);
        switch (p->col) {
        case 0: p->lit = (double)rnd_below(seed, 12); break;
        case 1: p->lit = (double)rnd_below(seed, 13) - 6; break;
        case 2: p->lit = (double)rnd_below(seed, 22); break;
        case 3: p->lit = (double)rnd_below(seed, 4); break;
        default: p->lit = flts[rnd_below(seed, 4)] + (rnd_below(seed, 2) ? 0 : 0.5); break;
        }
        return p;
    }
    p->kind = k == 0 ? 1 : k == 1 ? 2 : k == 2 ? 3 : (rnd_below(seed, 3) ? 1 : 4);
    if (p->kind != 4)
        p->l = gen(seed, depth + 1);
    if (p->kind == 1 || p->kind == 2)
        p->r = gen(seed, depth + 1);
    return p;
}

static void text(const Pred *p, const char *q, StrBuf *out)
{
    static const char *const ops[] = { "=", "<>", "<", "<=", ">", ">=" };
    static const char *const cols[] = { "a", "b", "c", "s", "f" };
    switch (p->kind) {
    case 0:
        if (p->col == 3)
            strbuf_printf(out, "%s%s %s '%s'", q, cols[3], ops[p->op], strs[(int)p->lit]);
        else if (p->col == 4)
            strbuf_printf(out, "%s%s %s %g", q, cols[4], ops[p->op], p->lit);
        else
            strbuf_printf(out, "%s%s %s %d", q, cols[p->col], ops[p->op], (int)p->lit);
        break;
    case 1: case 2:
        strbuf_putc(out, '(');
        text(p->l, q, out);
        strbuf_puts(out, p->kind == 1 ? " AND " : " OR ");
        text(p->r, q, out);
        strbuf_putc(out, ')');
        break;
    case 3: strbuf_puts(out, "NOT "); text(p->l, q, out); break;
    default: strbuf_puts(out, "true"); break;
    }
}

static bool holds(const Pred *p, const Row *r)
{
    double v;
    switch (p->kind) {
    case 1: return holds(p->l, r) && holds(p->r, r);
    case 2: return holds(p->l, r) || holds(p->r, r);
    case 3: return !holds(p->l, r);
    case 4: return true;
    default: break;
    }
    int c;
    if (p->col == 3) {
        c = strcmp(strs[r->s], strs[(int)p->lit]);
    } else {
        v = p->col == 0 ? r->a : p->col == 1 ? r->b : p->col == 2 ? r->c : r->f;
        c = v < p->lit ? -1 : v > p->lit;
    }
    switch (p->op) {
    case SQL_EQ: return c == 0;
    case SQL_NE: return c != 0;
    case SQL_LT: return c < 0;
    case SQL_LE: return c <= 0;
    case SQL_GT: return c > 0;
    default: return c >= 0;
    }
}

/* ---- comparing results ---- */

static int cmp_rows(const void *x, const void *y)
{
    const StrBuf *a = x, *b = y;
    int c = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The rows of a result, sorted, as one byte string. */
static void canon(const SqlResult *r, StrBuf *out)
{
    StrBuf *rows = calloc(r->rows.count + 1, sizeof *rows);
    for (size_t i = 0; i < r->rows.count; i++) {
        size_t len;
        const uint8_t *p = rowlist_get(&r->rows, i, &len);
        strbuf_init(&rows[i]);
        put(&rows[i], p, len);
    }
    qsort(rows, r->rows.count, sizeof *rows, cmp_rows);
    for (size_t i = 0; i < r->rows.count; i++) {
        put_uint(out, rows[i].len, 4);
        put(out, rows[i].data, rows[i].len);
        strbuf_fini(&rows[i]);
    }
    free(rows);
}

static size_t run_both(Fixture *fx, const char *sql, bool *used_index)
{
    SqlCtx ctx = { .db = fx->db, .owner = true };
    SqlQuery *q;
    SqlError err;
    if (sql_query_new(&ctx, sql, strlen(sql), &q, &err) != ST_OK)
        fail_msg("%s: %s", sql, err.msg);
    if (used_index)
        *used_index = q->plan.access.kind != SQL_ACCESS_SCAN || q->plan.inner_indexed;
    SqlResult a, b;
    sql_result_init(&a);
    sql_result_init(&b);
    assert_int_equal(sql_run(q, &a, &err), ST_OK);
    assert_int_equal(sql_run_naive(q, &b, &err), ST_OK);
    StrBuf ca, cb;
    strbuf_init(&ca);
    strbuf_init(&cb);
    canon(&a, &ca);
    canon(&b, &cb);
    if (ca.len != cb.len || (ca.len && memcmp(ca.data, cb.data, ca.len) != 0))
        fail_msg("planned and naive differ (%zu vs %zu rows): %s", a.rows.count, b.rows.count, sql);
    size_t n = a.rows.count;
    strbuf_fini(&ca);
    strbuf_fini(&cb);
    sql_result_fini(&a);
    sql_result_fini(&b);
    sql_query_free(q);
    return n;
}

/* 10,000 single-table queries over 10 random tables. */
static void test_random_where(void **state)
{
    (void)state;
    uint64_t seed = 0x5eed5eed1234ull;
    unsigned indexed = 0, total = 0;
    for (int round = 0; round < 10; round++) {
        Fixture fx;
        make_tables(&fx);
        fill(&fx, &seed);
        for (int i = 0; i < 1000; i++) {
            npool = 0;
            Pred *p = gen(&seed, 0);
            StrBuf sql;
            strbuf_init(&sql);
            strbuf_puts(&sql, "SELECT * FROM t WHERE ");
            text(p, "", &sql);
            size_t want = 0;
            for (int r = 0; r < fx.nrows; r++)
                want += holds(p, &fx.rows[r]);
            bool ix;
            size_t got = run_both(&fx, sql.data, &ix);
            if (got != want)
                fail_msg("oracle %zu rows, sql %zu: %s", want, got, sql.data);
            indexed += ix;
            total++;
            strbuf_fini(&sql);
        }
        db_free(fx.db);
        typespace_fini(&fx.ts);
    }
    assert_int_equal(total, 10000);
    assert_true(indexed > 2000);   /* the planner really used indexes */
}

/* Joins (index probe on u.x, or swapped) with random filters on both sides. */
static void test_random_join(void **state)
{
    (void)state;
    uint64_t seed = 0xabcdef987ull;
    for (int round = 0; round < 4; round++) {
        Fixture fx;
        make_tables(&fx);
        fill(&fx, &seed);
        for (int i = 0; i < 500; i++) {
            npool = 0;
            Pred *p = gen(&seed, 1);
            StrBuf sql;
            strbuf_init(&sql);
            int yl = (int)rnd_below(&seed, 7) - 3;
            bool swap = rnd_below(&seed, 2);
            strbuf_printf(&sql, "SELECT %s FROM %s JOIN %s ON t.a = u.x WHERE ",
                          swap ? "u.*" : "t.*", swap ? "u" : "t", swap ? "t" : "u");
            text(p, "t.", &sql);
            strbuf_printf(&sql, " AND u.y >= %d", yl);
            size_t want = 0;
            for (int r = 0; r < fx.nrows; r++)
                for (int k = 0; k < fx.nu; k++)
                    want += fx.rows[r].a == fx.ux[k] && fx.uy[k] >= yl && holds(p, &fx.rows[r]);
            size_t got = run_both(&fx, sql.data, NULL);
            if (got != want)
                fail_msg("oracle %zu rows, sql %zu: %s", want, got, sql.data);
            strbuf_fini(&sql);
        }
        db_free(fx.db);
        typespace_fini(&fx.ts);
    }
}

static uint64_t count_of(Fixture *fx, const char *sql)
{
    SqlCtx ctx = { .db = fx->db, .owner = true };
    SqlResult r;
    SqlError err;
    sql_result_init(&r);
    if (sql_exec(&ctx, sql, strlen(sql), &r, &err) != ST_OK)
        fail_msg("%s: %s", sql, err.msg);
    assert_int_equal(r.rows.count, 1);
    size_t len;
    const uint8_t *p = rowlist_get(&r.rows, 0, &len);
    assert_int_equal(len, 8);
    uint64_t n = bsatn_load_le(p, 8);
    sql_result_fini(&r);
    return n;
}

static void test_count_limit_columns(void **state)
{
    (void)state;
    uint64_t seed = 42;
    Fixture fx;
    make_tables(&fx);
    fill(&fx, &seed);
    size_t want = 0;
    for (int r = 0; r < fx.nrows; r++)
        want += fx.rows[r].a == 3 && fx.rows[r].b > 0;
    assert_int_equal(count_of(&fx, "SELECT COUNT(*) AS n FROM t WHERE a = 3 AND b > 0"), want);
    assert_int_equal(count_of(&fx, "SELECT COUNT(*) AS n FROM t"), fx.nrows);
    SqlCtx ctx = { .db = fx.db, .owner = true };
    SqlResult r;
    SqlError err;
    sql_result_init(&r);
    const char *q = "SELECT c, a AS alpha FROM t WHERE a >= 2 LIMIT 7";
    assert_int_equal(sql_exec(&ctx, q, strlen(q), &r, &err), ST_OK);
    assert_int_equal(r.rows.count, 7);
    assert_int_equal(r.ncols, 2);
    assert_string_equal(r.cols[1].name, "alpha");
    for (size_t i = 0; i < r.rows.count; i++) {
        size_t len;
        const uint8_t *p = rowlist_get(&r.rows, i, &len);
        assert_int_equal(len, 9);   /* u64 then u8 */
        assert_true(p[8] >= 2);
    }
    sql_result_fini(&r);
    db_free(fx.db);
    typespace_fini(&fx.ts);
}

/* DML through the table API, checked by counting afterwards. */
static void test_dml(void **state)
{
    (void)state;
    uint64_t seed = 7;
    Fixture fx;
    make_tables(&fx);
    fill(&fx, &seed);
    SqlCtx ctx = { .db = fx.db, .owner = true };
    SqlResult r;
    SqlError err;
    uint64_t before = count_of(&fx, "SELECT COUNT(*) AS n FROM t WHERE a = 4");
    const char *del = "DELETE FROM t WHERE a = 4";
    sql_result_init(&r);
    assert_int_equal(sql_exec(&ctx, del, strlen(del), &r, &err), ST_OK);
    assert_int_equal(r.deleted, before);
    sql_result_fini(&r);
    assert_int_equal(count_of(&fx, "SELECT COUNT(*) AS n FROM t WHERE a = 4"), 0);
    const char *ins = "INSERT INTO t (a, b, c, s, f) VALUES (4, -1, 99, 'new', 1.5), "
                      "(4, -2, 98, 'it''s', 0)";
    sql_result_init(&r);
    assert_int_equal(sql_exec(&ctx, ins, strlen(ins), &r, &err), ST_OK);
    assert_int_equal(r.inserted, 2);
    sql_result_fini(&r);
    assert_int_equal(count_of(&fx, "SELECT COUNT(*) AS n FROM t WHERE s = 'it''s' AND c = 98"), 1);
    const char *upd = "UPDATE t SET c = 77, s = 'upd' WHERE a = 4";
    sql_result_init(&r);
    assert_int_equal(sql_exec(&ctx, upd, strlen(upd), &r, &err), ST_OK);
    assert_int_equal(r.updated, 2);
    sql_result_fini(&r);
    assert_int_equal(count_of(&fx, "SELECT COUNT(*) AS n FROM t WHERE c = 77 AND s = 'upd'"), 2);
    char msg[200];
    assert_int_equal(db_check(fx.db, msg, sizeof msg), ST_OK);
    db_free(fx.db);
    typespace_fini(&fx.ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_where),
        cmocka_unit_test(test_random_join),
        cmocka_unit_test(test_count_limit_columns),
        cmocka_unit_test(test_dml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
