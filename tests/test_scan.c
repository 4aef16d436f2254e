/*
 * test_scan.c - reading tables: the ABI's range and point scans with
 * their exact bound semantics (module-abi.md 1.6), range and point
 * deletes, and cursors.
 *
 * The table: score(guild u32, level u32, name String) with
 *   [0] btree (guild, level)   [1] hash name, unique   [2] btree name
 * holding guild 1..3 x level 1..10, name "g{guild}l{level}".
 *
 * Book: chapter 12, book/12-tables.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "table_util.h"

static const char *const SCOLS[] = { "guild", "level", "name" };
static const uint16_t C_GL[] = { 0, 1 }, C_NAME[] = { 2 };

static Table *score_table(Typespace *ts)
{
    const AlgType *types[] = { alg_prim(ALG_U32), alg_prim(ALG_U32), alg_prim(ALG_STRING) };
    IndexSchema idx[] = { { NULL, INDEX_BTREE, C_GL, 2 }, { NULL, INDEX_HASH, C_NAME, 1 },
                          { "by_name", INDEX_BTREE, C_NAME, 1 } };
    UniqueSchema uq = { NULL, C_NAME, 1 };
    TableSchema s = { .name = "score", .ts = ts, .row_type = make_row_type(ts, 3, SCOLS, types),
                      .primary_key = TABLE_NO_PK, .indexes = idx, .nindexes = 3,
                      .uniques = &uq, .nuniques = 1 };
    Table *t;
    assert_int_equal(table_new(&s, &t, NULL), ST_OK);
    StrBuf b;
    strbuf_init(&b);
    for (uint32_t g = 3; g >= 1; g--)   /* out of order on purpose */
        for (uint32_t l = 10; l >= 1; l--) {
            char name[16];
            snprintf(name, sizeof name, "g%ul%u", g, l);
            strbuf_clear(&b);
            put_uint(&b, g, 4);
            put_uint(&b, l, 4);
            put_str(&b, name);
            assert_int_equal(table_insert(t, (const uint8_t *)b.data, b.len, NULL, NULL, NULL),
                             ST_OK);
        }
    strbuf_fini(&b);
    return t;
}

/* A Bound<u32>: tag 0 Included, 1 Excluded, 2 Unbounded. */
typedef struct Bound {
    uint8_t b[5];
    size_t len;
} Bound;

static Bound bnd(uint8_t tag, uint32_t v)
{
    Bound r = { { tag, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) },
                tag == 2 ? 1 : 5 };
    return r;
}

/* Scan index 0; the rows must be exactly guild/level pairs g*100+l in
 * want[] (in this order); or the expected error code. */
static void expect_scan(Table *t, const uint8_t *prefix, size_t plen, uint32_t elems, Bound lo,
                        Bound hi, const uint32_t *want, size_t nwant)
{
    IndexRange r = { prefix, plen, elems, lo.b, lo.len, hi.b, hi.len };
    RowList out;
    rowlist_init(&out);
    DbError err;
    Status st = table_scan_range_bsatn(t, 0, &r, &out, &err);
    if (st != ST_OK)
        fail_msg("scan: %s", err.msg);
    assert_int_equal(out.count, nwant);
    for (size_t i = 0; i < out.count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(&out, i, &len);
        assert_int_equal(row[0] * 100 + row[4], want[i]);
    }
    rowlist_fini(&out);
}

static void test_range_bounds(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = score_table(&ts);
    uint32_t g2[10], all[30];
    for (uint32_t i = 0; i < 30; i++)
        all[i] = (i / 10 + 1) * 100 + i % 10 + 1;
    memcpy(g2, all + 10, sizeof g2);
    uint8_t two[4] = { 2, 0, 0, 0 };
    /* find(2) on the first column: Included(2) both ends, no prefix */
    expect_scan(t, NULL, 0, 0, bnd(0, 2), bnd(0, 2), g2, 10);
    /* filter((2, 5..9)): prefix 2, Included(5), Excluded(9) */
    expect_scan(t, two, 4, 1, bnd(0, 5), bnd(1, 9), g2 + 4, 4);
    /* prefix 2, Unbounded both ends: all of guild 2 */
    expect_scan(t, two, 4, 1, bnd(2, 0), bnd(2, 0), g2, 10);
    /* ..=2 on the first column, then everything */
    expect_scan(t, NULL, 0, 0, bnd(2, 0), bnd(0, 2), all, 20);
    expect_scan(t, NULL, 0, 0, bnd(2, 0), bnd(2, 0), all, 30);
    /* Excluded on the LAST key column excludes ... */
    expect_scan(t, two, 4, 1, bnd(1, 3), bnd(1, 6), g2 + 3, 2);
    /* ... but on a non-last column it acts as Included (SpacetimeDB pads
     * the bound with Min/Max, module-abi.md 1.6) */
    expect_scan(t, NULL, 0, 0, bnd(1, 1), bnd(1, 3), all, 30);
    /* an empty range */
    expect_scan(t, two, 4, 1, bnd(0, 9), bnd(0, 3), NULL, 0);
    table_free(t);
    typespace_fini(&ts);
}

static void expect_range_error(Table *t, uint32_t index, const uint8_t *prefix, size_t plen,
                               uint32_t elems, const uint8_t *lo, size_t lolen,
                               const uint8_t *hi, size_t hilen, DbErrno code)
{
    IndexRange r = { prefix, plen, elems, lo, lolen, hi, hilen };
    RowList out;
    rowlist_init(&out);
    DbError err;
    assert_int_not_equal(table_scan_range_bsatn(t, index, &r, &out, &err), ST_OK);
    assert_int_equal(err.code, code);
    assert_int_equal(out.count, 0);
    uint64_t n = 99;
    assert_int_not_equal(table_delete_range_bsatn(t, index, &r, &n, &err), ST_OK);
    assert_int_equal(err.code, code);
    assert_int_equal(n, 0);
    rowlist_fini(&out);
}

static void test_range_errors(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = score_table(&ts);
    Bound inc = bnd(0, 2), unb = bnd(2, 0);
    uint8_t two[8] = { 2, 0, 0, 0, 3, 0, 0, 0 }, bad_tag[] = { 3 }, unb_trail[] = { 2, 0 };
    /* prefix_elems must stay below the key's column count */
    expect_range_error(t, 0, two, 8, 2, inc.b, inc.len, inc.b, inc.len, DBE_BSATN_DECODE_ERROR);
    /* prefix bytes that do not decode, or have bytes left over */
    expect_range_error(t, 0, two, 3, 1, inc.b, inc.len, inc.b, inc.len, DBE_BSATN_DECODE_ERROR);
    expect_range_error(t, 0, two, 8, 1, inc.b, inc.len, inc.b, inc.len, DBE_BSATN_DECODE_ERROR);
    /* bad bounds */
    expect_range_error(t, 0, NULL, 0, 0, bad_tag, 1, inc.b, inc.len, DBE_BSATN_DECODE_ERROR);
    expect_range_error(t, 0, NULL, 0, 0, inc.b, inc.len, unb_trail, 2, DBE_BSATN_DECODE_ERROR);
    expect_range_error(t, 0, NULL, 0, 0, inc.b, 3, inc.b, inc.len, DBE_BSATN_DECODE_ERROR);
    expect_range_error(t, 0, NULL, 0, 0, inc.b, 0, inc.b, inc.len, DBE_BSATN_DECODE_ERROR);
    /* a single-column index takes no prefix */
    expect_range_error(t, 2, two, 4, 1, unb.b, 1, unb.b, 1, DBE_BSATN_DECODE_ERROR);
    /* a hash index has no ranges; an unknown index */
    expect_range_error(t, 1, NULL, 0, 0, unb.b, 1, unb.b, 1, DBE_WRONG_INDEX_ALGO);
    expect_range_error(t, 3, NULL, 0, 0, unb.b, 1, unb.b, 1, DBE_NO_SUCH_INDEX);
    assert_int_equal(table_row_count(t), 30);
    table_free(t);
    typespace_fini(&ts);
}

/* Ranges over strings: ["g1", "g2") holds every name of guild 1. */
static void test_string_range(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = score_table(&ts);
    StrBuf lo, hi;
    strbuf_init(&lo);
    strbuf_init(&hi);
    put(&lo, "\x00", 1), put_str(&lo, "g1");
    put(&hi, "\x01", 1), put_str(&hi, "g2");
    IndexRange r = { NULL, 0, 0, (const uint8_t *)lo.data, lo.len, (const uint8_t *)hi.data,
                     hi.len };
    RowList out;
    rowlist_init(&out);
    assert_int_equal(table_scan_range_bsatn(t, 2, &r, &out, NULL), ST_OK);
    assert_int_equal(out.count, 10);
    const char *prev = "";
    for (size_t i = 0; i < out.count; i++) {   /* sorted by name, bytewise */
        size_t len;
        const char *name = (const char *)rowlist_get(&out, i, &len) + 12;
        assert_true(strncmp(name, "g1", 2) == 0);
        assert_true(strncmp(prev, name, len - 12) < 0);
        prev = name;
    }
    rowlist_fini(&out);
    strbuf_fini(&lo);
    strbuf_fini(&hi);
    table_free(t);
    typespace_fini(&ts);
}

static void test_point_scans(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = score_table(&ts);
    StrBuf key;
    strbuf_init(&key);
    put_str(&key, "g2l3");
    RowList out;
    rowlist_init(&out);
    for (uint32_t index = 1; index <= 2; index++) {   /* hash and btree */
        rowlist_clear(&out);
        assert_int_equal(table_scan_point_bsatn(t, index, (const uint8_t *)key.data, key.len,
                                                &out, NULL), ST_OK);
        assert_int_equal(out.count, 1);
    }
    uint8_t gl[8] = { 2, 0, 0, 0, 3, 0, 0, 0 };   /* (guild 2, level 3) */
    rowlist_clear(&out);
    assert_int_equal(table_scan_point_bsatn(t, 0, gl, 8, &out, NULL), ST_OK);
    assert_int_equal(out.count, 1);
    size_t len;
    assert_memory_equal(rowlist_get(&out, 0, &len) + 12, "g2l3", 4);
    DbError err;
    assert_int_equal(table_scan_point_bsatn(t, 0, gl, 4, &out, &err), ST_MALFORMED);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    uint64_t n;
    assert_int_equal(table_delete_point_bsatn(t, 1, (const uint8_t *)key.data, key.len, &n, NULL),
                     ST_OK);
    assert_int_equal(n, 1);
    assert_int_equal(table_delete_point_bsatn(t, 1, (const uint8_t *)key.data, key.len, &n, NULL),
                     ST_OK);
    assert_int_equal(n, 0);
    Bound lo = bnd(0, 3), hi = bnd(0, 3);
    IndexRange r = { NULL, 0, 0, lo.b, lo.len, hi.b, hi.len };
    assert_int_equal(table_delete_range_bsatn(t, 0, &r, &n, NULL), ST_OK);
    assert_int_equal(n, 10);
    assert_int_equal(table_row_count(t), 19);
    assert_table_ok(t);
    rowlist_fini(&out);
    strbuf_fini(&key);
    table_free(t);
    typespace_fini(&ts);
}

/* Cursors see the table as it changes, never repeat a row, never crash. */
static void test_cursor_while_deleting(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = score_table(&ts);
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            table_tx_begin(t);
        TableCursor c;
        BTreeBound u = { BOUND_UNBOUNDED, NULL, 0 };
        assert_int_equal(table_cursor_range(t, 0, u, u, &c, NULL), ST_OK);
        RowId id, prev = ROWID_NONE;
        const uint8_t *row;
        size_t len, seen = 0;
        while (table_cursor_next(&c, &id, &row, &len)) {
            assert_int_not_equal(id, prev);
            prev = id;
            seen++;
            assert_int_equal(table_delete_rowid(t, id, NULL), ST_OK);
        }
        assert_int_equal(table_cursor_status(&c), ST_OK);
        table_cursor_fini(&c);
        assert_int_equal(seen, 30);
        assert_int_equal(table_row_count(t), 0);
        assert_table_ok(t);
        if (in_tx) {
            table_tx_rollback(t);
            assert_int_equal(table_row_count(t), 30);
            assert_table_ok(t);
        } else {
            table_free(t);
            t = score_table(&ts);
        }
    }
    table_free(t);
    typespace_fini(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_bounds),
        cmocka_unit_test(test_range_errors),
        cmocka_unit_test(test_string_range),
        cmocka_unit_test(test_point_scans),
        cmocka_unit_test(test_cursor_while_deleting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
