/*
 * test_sql_parse.c - the SQL front end and output: parsing, name and type
 * errors with SpacetimeDB's wording, EXPLAIN, and the exact `spacetime
 * sql` table format of client-protocol.md section 10.
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

/* ---- parsing alone ---- */

static void test_parse_valid(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "SELECT * FROM t", "select * from t;", "SELECT t.* FROM t WHERE a = 1",
        "SELECT a, b AS bee FROM t WHERE NOT (a < -1.5e3 OR s <> 'it''s') AND c >= +7",
        "SELECT t.* FROM t JOIN u ON t.a = u.b WHERE u.c = 0xFF",
        "SELECT x.* FROM t AS x INNER JOIN u y ON x.a = y.b",
        "SELECT COUNT(*) AS n FROM t LIMIT 5", "SELECT * FROM \"Order\" WHERE \"Key\" = X'0a'",
        "SELECT * FROM t WHERE id = :sender", "SELECT * FROM t WHERE true",
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", "UPDATE t SET a = 1, b = 'z' WHERE a = 2",
        "DELETE FROM t WHERE a = .5", "DELETE FROM t",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        Arena a;
        arena_init(&a);
        SqlStmt *s;
        SqlError err;
        if (sql_parse(&a, ok[i], strlen(ok[i]), &s, &err) != ST_OK)
            fail_msg("%s: %s", ok[i], err.msg);
        arena_fini(&a);
    }
}

static void test_parse_ast(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    SqlStmt *s;
    SqlError err;
    const char *q = "SELECT x.* FROM t x JOIN u ON x.a = u.b WHERE a > -5 OR NOT s = 'q' LIMIT 3";
    assert_int_equal(sql_parse(&a, q, strlen(q), &s, &err), ST_OK);
    assert_int_equal(s->kind, SQL_SELECT);
    assert_int_equal(s->nfrom, 2);
    assert_string_equal(s->from[0].alias, "x");
    assert_string_equal(s->proj[0].qual, "x");
    assert_true(s->proj[0].star);
    assert_int_equal(s->where->kind, SQL_EXPR_OR);
    assert_int_equal(s->where->l->kind, SQL_EXPR_CMP);
    assert_int_equal(s->where->l->op, SQL_GT);
    assert_string_equal(s->where->l->r->text, "-5");
    assert_int_equal(s->where->r->kind, SQL_EXPR_NOT);
    assert_true(s->has_limit);
    assert_int_equal(s->limit, 3);
    arena_fini(&a);
}

typedef struct Bad { const char *sql; const char *msg; size_t pos; } Bad;

static void test_parse_errors(void **state)
{
    (void)state;
    static const Bad bad[] = {
        { "", "Empty SQL query", 0 },
        { "   ", "Empty SQL query", 0 },
        { "SELECT * FROM t; SELECT * FROM u", "Multiple SQL statements are not supported", 17 },
        { "SELECT * FROM t WHERE", "sql parser error: Expected an expression, found: EOF", 21 },
        { "SELECT * FRM t", "sql parser error: Expected FROM, found: FRM", 9 },
        { "SELECT 1", "sql parser error: Expected an expression, found: 1", 7 },
        { "SELECT *", "A FROM clause is required", 8 },
        { "SELECT * FROM s.t", "Multi-part names are not supported: s.t", 14 },
        { "SELECT * FROM t, u", "Implicit joins are not supported", 15 },
        { "SELECT * FROM t LEFT JOIN u ON t.a = u.a", "Non-inner joins are not supported", 16 },
        { "SELECT COUNT(*) FROM t", "Aggregate expressions must have column aliases", 7 },
        { "SELECT SUM(a) AS s FROM t", "Unsupported aggregate function: SUM", 7 },
        { "SELECT *, a FROM t", "sql parser error: Expected FROM, found: ,", 8 },
        { "SELECT t.*, a FROM t", "Mixed wildcard projections are not supported", 7 },
        { "SELECT * FROM t WHERE a + 1 = 2", "Unsupported binary operator: +", 24 },
        { "SELECT * FROM t WHERE a IS NULL", "Unsupported expression: IS/IN/LIKE/BETWEEN", 24 },
        { "SELECT * FROM t WHERE a = NULL", "Unsupported literal expression: NULL", 26 },
        { "SELECT * FROM t ORDER BY a", "Unsupported: SELECT * FROM t ORDER BY a", 16 },
        { "SELECT DISTINCT a FROM t", "Unsupported SELECT: DISTINCT", 7 },
        { "SELECT * FROM t WHERE s = 'abc", "sql parser error: Unterminated string literal at position 26", 26 },
        { "SELECT * FROM (SELECT * FROM t)", "Unsupported FROM expression: subquery", 14 },
        { "DROP TABLE t", "Unsupported: DROP TABLE t", 0 },
        { "SELECT * FROM t LIMIT 1.5", "Unsupported: LIMIT must be an integer literal", 16 },
        { "INSERT INTO t (a, b) VALUES (1)", "Inserting a row with 1 values into `t` which has 2 fields", 28 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Arena a;
        arena_init(&a);
        SqlStmt *s;
        SqlError err;
        if (sql_parse(&a, bad[i].sql, strlen(bad[i].sql), &s, &err) == ST_OK)
            fail_msg("accepted: %s", bad[i].sql);
        if (strcmp(err.msg, bad[i].msg) != 0 || err.pos != bad[i].pos)
            fail_msg("%s:\n got  [%s] at %zu\n want [%s] at %zu", bad[i].sql, err.msg, err.pos,
                     bad[i].msg, bad[i].pos);
        arena_fini(&a);
    }
}

static void test_parse_deep(void **state)
{
    (void)state;
    char q[2000] = "SELECT * FROM t WHERE ";
    for (int i = 0; i < 500; i++)
        strcat(q, "(");
    Arena a;
    arena_init(&a);
    SqlStmt *s;
    SqlError err;
    assert_int_equal(sql_parse(&a, q, strlen(q), &s, &err), ST_LIMIT);
    arena_fini(&a);
    char *big = calloc(1, SQL_MAX_LEN + 2);
    memset(big, ' ', SQL_MAX_LEN + 1);
    assert_int_equal(sql_parse(&a, big, SQL_MAX_LEN + 1, &s, &err), ST_LIMIT);
    assert_non_null(strstr(err.msg, "SQL query exceeds maximum allowed length"));
    free(big);
}

/* ---- against tables ---- */

typedef struct Fx { Typespace ts; Db *db; } Fx;

static const uint16_t C0[] = { 0 };

/* person(id u64 [btree], name String); secret(answer u32) private;
 * typed(flag bool, big u256, ident Identity, bytes Array<u8>, list Array<u32>, f f32) */
static void setup(Fx *fx)
{
    typespace_init(&fx->ts);
    assert_int_equal(db_new(&fx->db), ST_OK);
    static const char *const pn[] = { "id", "name" };
    const AlgType *pt[] = { alg_prim(ALG_U64), alg_prim(ALG_STRING) };
    IndexSchema pi = { NULL, INDEX_BTREE, C0, 1 };
    TableSchema p = { .name = "person", .ts = &fx->ts, .row_type = make_row_type(&fx->ts, 2, pn, pt),
                      .primary_key = TABLE_NO_PK, .indexes = &pi, .nindexes = 1, .is_public = true };
    assert_int_equal(db_create_table(fx->db, &p, NULL, NULL), ST_OK);
    static const char *const sn[] = { "answer" };
    const AlgType *st[] = { alg_prim(ALG_U32) };
    TableSchema s = { .name = "secret", .ts = &fx->ts, .row_type = make_row_type(&fx->ts, 1, sn, st),
                      .primary_key = TABLE_NO_PK };
    assert_int_equal(db_create_table(fx->db, &s, NULL, NULL), ST_OK);
    AlgType *ident = typespace_new_type(&fx->ts, ALG_PRODUCT, 1);
    ident->members[0] = (AlgMember){ "__identity__", alg_prim(ALG_U256) };
    AlgType *bytes = typespace_new_type(&fx->ts, ALG_ARRAY, 0), *list = typespace_new_type(&fx->ts, ALG_ARRAY, 0);
    bytes->elem = alg_prim(ALG_U8);
    list->elem = alg_prim(ALG_U32);
    static const char *const tn[] = { "flag", "big", "ident", "bytes", "list", "f" };
    const AlgType *tt[] = { alg_prim(ALG_BOOL), alg_prim(ALG_I256), ident, bytes, list, alg_prim(ALG_F32) };
    TableSchema t = { .name = "typed", .ts = &fx->ts, .row_type = make_row_type(&fx->ts, 6, tn, tt),
                      .primary_key = TABLE_NO_PK, .is_public = true };
    assert_int_equal(db_create_table(fx->db, &t, NULL, NULL), ST_OK);
}

static void teardown(Fx *fx)
{
    db_free(fx->db);
    typespace_fini(&fx->ts);
}

static Status exec(Fx *fx, bool owner, SqlMode mode, const char *q, SqlResult *r, SqlError *err)
{
    SqlCtx ctx = { .db = fx->db, .owner = owner, .mode = mode };
    for (int i = 0; i < 32; i++)
        ctx.sender[i] = (uint8_t)(i == 31 ? 0xc2 : i == 0 ? 0x01 : 0);
    sql_result_init(r);
    return sql_exec(&ctx, q, strlen(q), r, err);
}

static void expect_error(Fx *fx, bool owner, SqlMode mode, const char *q, const char *msg)
{
    SqlResult r;
    SqlError err;
    if (exec(fx, owner, mode, q, &r, &err) == ST_OK)
        fail_msg("accepted: %s", q);
    if (strcmp(err.msg, msg) != 0)
        fail_msg("%s:\n got  [%s]\n want [%s]", q, err.msg, msg);
    sql_result_fini(&r);
}

static void test_check_errors(void **state)
{
    (void)state;
    Fx fx;
    setup(&fx);
    SqlMode A = SQL_MODE_ADHOC, S = SQL_MODE_SUBSCRIPTION;
    expect_error(&fx, true, A, "SELECT * FROM nope",
                 "no such table: `nope`. If the table exists, it may be marked private.");
    expect_error(&fx, false, A, "SELECT * FROM secret",
                 "no such table: `secret`. If the table exists, it may be marked private.");
    expect_error(&fx, true, A, "SELECT * FROM person WHERE age = 1", "`age` is not in scope");
    expect_error(&fx, true, A, "SELECT p.* FROM person WHERE id = 1", "`p` is not in scope");
    expect_error(&fx, true, A, "SELECT * FROM person WHERE id = 'x'",
                 "The literal expression `'x'` cannot be parsed as type `U64`");
    expect_error(&fx, true, A, "SELECT * FROM person WHERE id = -1",
                 "The literal expression `-1` cannot be parsed as type `U64`");
    expect_error(&fx, true, A, "SELECT * FROM person WHERE id = 1.5",
                 "The literal expression `1.5` cannot be parsed as type `U64`");
    expect_error(&fx, true, A, "SELECT * FROM person WHERE id = name",
                 "Unexpected type: (expected) U64 != String (inferred)");
    expect_error(&fx, true, A, "SELECT * FROM typed WHERE list = 1",
                 "Invalid binary operator `=` for type `Array<U32>`");
    expect_error(&fx, true, A, "SELECT * FROM typed WHERE ident = 0x01",
                 "The literal expression `0x01` cannot be parsed as type `(__identity__: U256)`");
    expect_error(&fx, true, A, "SELECT p.* FROM person p JOIN person q ON p.id = q.id WHERE id = 1",
                 "Names must be qualified when using joins");
    expect_error(&fx, true, A, "SELECT * FROM person p JOIN person q ON p.id = q.id",
                 "SELECT * is not supported for joins");
    expect_error(&fx, true, A, "SELECT p.* FROM person p JOIN typed p ON p.id = p.f",
                 "Duplicate name `p`");
    expect_error(&fx, true, S, "SELECT id FROM person",
                 "Column projections are not supported in subscriptions; Subscriptions must return a table type");
    expect_error(&fx, true, S, "SELECT * FROM person LIMIT 1", "Unsupported: SELECT * FROM person LIMIT 1");
    expect_error(&fx, true, S, "DELETE FROM person", "Unsupported: Non-SELECT queries");
    expect_error(&fx, true, S, "SELECT p.* FROM person p JOIN secret s ON p.id = s.answer",
                 "Unexpected type: (expected) U64 != U32 (inferred)");
    expect_error(&fx, false, A, "DELETE FROM person",
                 "Caller c200000000000000000000000000000000000000000000000000000000000001 is not authorized to run SQL DML statements");
    expect_error(&fx, true, A, "INSERT INTO person (id) VALUES (1)",
                 "The number of fields (1) in the INSERT does not match the number of columns (2) of the table `person`");
    expect_error(&fx, true, A, "UPDATE person SET age = 1", "`person` does not have a field `age`");
    teardown(&fx);
}

/* Literals of every comparable type reach the right bytes. */
static void test_literals(void **state)
{
    (void)state;
    Fx fx;
    setup(&fx);
    SqlResult r;
    SqlError err;
    const char *ins = "INSERT INTO typed (flag, big, ident, bytes, list, f) VALUES (true, "
                      "-57896044618658097711785492504343953926634992332820282019728792003956564819968, "
                      "0xc200000000000000000000000000000000000000000000000000000000000001, X'0102', ";
    /* an Array<u32> column takes no literal: the insert is refused */
    char q[600];
    snprintf(q, sizeof q, "%s0x00, 1.5)", ins);
    assert_int_not_equal(exec(&fx, true, SQL_MODE_ADHOC, q, &r, &err), ST_OK);
    sql_result_fini(&r);
    static const char *const where[] = {
        "flag = true", "big < 0", "big = -57896044618658097711785492504343953926634992332820282019728792003956564819968",
        "ident = :sender", "bytes = 0x0102", "f = 1.5", "f > 1e-3", "big <= 1e40",
    };
    static const char *const wrong[] = {
        "big = -57896044618658097711785492504343953926634992332820282019728792003956564819969",
        "big = 1e80", "f = 1e39",
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        snprintf(q, sizeof q, "SELECT * FROM typed WHERE %s", wrong[i]);
        assert_int_equal(exec(&fx, true, SQL_MODE_ADHOC, q, &r, &err), ST_INVALID);
        sql_result_fini(&r);
    }
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        snprintf(q, sizeof q, "SELECT * FROM typed WHERE %s", where[i]);
        if (exec(&fx, true, SQL_MODE_ADHOC, q, &r, &err) != ST_OK)
            fail_msg("%s: %s", q, err.msg);
        sql_result_fini(&r);
    }
    teardown(&fx);
}

/* ---- output ---- */

static void check_table(Fx *fx, bool owner, const char *q, const char *want)
{
    SqlResult r;
    SqlError err;
    if (exec(fx, owner, SQL_MODE_ADHOC, q, &r, &err) != ST_OK)
        fail_msg("%s: %s", q, err.msg);
    StrBuf out;
    strbuf_init(&out);
    assert_int_equal(sql_format_table(&r, &out), ST_OK);
    assert_int_equal(strbuf_putc(&out, 0), ST_OK);
    if (strcmp(out.data, want) != 0)
        fail_msg("%s:\n got  [%s]\n want [%s]", q, out.data, want);
    strbuf_fini(&out);
    sql_result_fini(&r);
}

static void test_format(void **state)
{
    (void)state;
    Fx fx;
    setup(&fx);
    /* client-protocol.md section 10, byte for byte */
    check_table(&fx, true, "INSERT INTO person (id, name) VALUES (1, 'Alice'), (2, 'Bob')", "\n");
    check_table(&fx, true, "SELECT * FROM person",
                " id | name    \n----+---------\n 1  | \"Alice\" \n 2  | \"Bob\"   \n");
    check_table(&fx, true, "SELECT name FROM person WHERE id = 3", " name \n------\n");
    check_table(&fx, true, "INSERT INTO secret (answer) VALUES (42)", "\n");
    check_table(&fx, true, "SELECT * FROM secret", " answer \n--------\n 42     \n");
    check_table(&fx, true, "SELECT COUNT(*) AS n FROM person", " n \n---\n 2 \n");
    teardown(&fx);
}

static void test_format_values(void **state)
{
    (void)state;
    static const struct { double v; bool single; const char *want; } f[] = {
        { 1.0, false, "1" }, { 0.1, false, "0.1" }, { 594806.56, true, "594806.56" },
        { 1e20, false, "100000000000000000000" }, { 1e-7, false, "0.0000001" },
        { -2.5, false, "-2.5" }, { 0, false, "0" },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        uint8_t b[8];
        float x = (float)f[i].v;
        if (f[i].single)
            memcpy(b, &x, 4);
        else
            memcpy(b, &f[i].v, 8);
        StrBuf out;
        strbuf_init(&out);
        assert_int_equal(sql_format_value(NULL, alg_prim(f[i].single ? ALG_F32 : ALG_F64), b,
                                          f[i].single ? 4 : 8, &out), ST_OK);
        strbuf_putc(&out, 0);
        assert_string_equal(out.data, f[i].want);
        strbuf_fini(&out);
    }
}

static void test_explain(void **state)
{
    (void)state;
    Fx fx;
    setup(&fx);
    static const struct { const char *q, *want; } ex[] = {
        { "SELECT * FROM person WHERE id = 5 AND name = 'x'",
          "Select person.*\nIndex Point Scan on person using person_id_idx_btree: id = 5\n"
          "Filter: id = 5 AND name = 'x'\n" },
        { "SELECT name FROM person WHERE id > 5 AND id <= 9 LIMIT 2",
          "Select 1 columns LIMIT 2\nIndex Range Scan on person using person_id_idx_btree: "
          "id > 5, id <= 9\nFilter: id > 5 AND id <= 9\n" },
        { "SELECT * FROM person WHERE id = 5 OR name = 'x'",
          "Select person.*\nSeq Scan on person\nFilter: id = 5 OR name = 'x'\n" },
        { "SELECT p.* FROM person p JOIN person q ON p.id = q.id WHERE q.name = 'x'",
          "Select p.*\nNested Loop\n  -> Seq Scan on p\n  -> Index Point Scan on q using "
          "person_id_idx_btree: q.id = p.id\nJoin Filter: p.id = q.id\nFilter: q.name = 'x'\n" },
        { "SELECT s.* FROM secret s JOIN person p ON s.answer = p.id",
          "Select s.*\nNested Loop\n  -> Seq Scan on s\n  -> Index Point Scan on p using "
          "person_id_idx_btree: p.id = s.answer\nJoin Filter: s.answer = p.id\n" },
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        SqlCtx ctx = { .db = fx.db, .owner = true };
        SqlQuery *q;
        SqlError err;
        if (sql_query_new(&ctx, ex[i].q, strlen(ex[i].q), &q, &err) != ST_OK) {
            /* the join compares U32 with U64: expected to fail typing */
            assert_non_null(strstr(err.msg, "Unexpected type"));
            continue;
        }
        StrBuf out;
        strbuf_init(&out);
        assert_int_equal(sql_explain(q, &out), ST_OK);
        strbuf_putc(&out, 0);
        if (strcmp(out.data, ex[i].want) != 0)
            fail_msg("%s:\n got  [%s]\n want [%s]", ex[i].q, out.data, ex[i].want);
        strbuf_fini(&out);
        sql_query_free(q);
    }
    teardown(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),   cmocka_unit_test(test_parse_ast),
        cmocka_unit_test(test_parse_errors),  cmocka_unit_test(test_parse_deep),
        cmocka_unit_test(test_check_errors),  cmocka_unit_test(test_literals),
        cmocka_unit_test(test_format),        cmocka_unit_test(test_format_values),
        cmocka_unit_test(test_explain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
