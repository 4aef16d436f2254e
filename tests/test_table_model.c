/*
 * test_table_model.c - a table against a naive model, and out of memory.
 *
 * The table: item(id u32, tag String, grp u8, val u8) with
 *   [0] btree on id   unique      [1] hash on tag  unique
 *   [2] btree on grp  non-unique
 * The model: a plain array of (id, tag, grp, val), searched linearly.
 * Random inserts, deletes, updates (through both unique indexes, and
 * through the non-unique one, which must fail), point and range scans and
 * range deletes run on both from small value universes, so identical
 * rows, unique conflicts and misses are all common; every result and
 * error code must agree, table_check runs every 1000 operations, and the
 * whole contents are compared at the end.  Two seeds, 100k operations
 * each, half of them inside transactions that commit.
 *
 * Then every write is repeated with allocation failure injected at each
 * allocation in turn: it must fail with ST_NOMEM leaving the table
 * exactly as before (and valid), or succeed.
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

#define NOPS 100000
#define IDS 48
#define TAGS 40
#define GRPS 6

typedef struct MRow {
    uint32_t id, tag;
    uint8_t grp, val;
} MRow;

typedef struct Model {
    MRow rows[IDS * TAGS];
    size_t n;
} Model;

static const char *const ICOLS[] = { "id", "tag", "grp", "val" };
static const uint16_t C_ID[] = { 0 }, C_TAG[] = { 1 }, C_GRP[] = { 2 };

static Table *item_table(Typespace *ts)
{
    const AlgType *types[] = { alg_prim(ALG_U32), alg_prim(ALG_STRING), alg_prim(ALG_U8),
                               alg_prim(ALG_U8) };
    IndexSchema idx[] = { { NULL, INDEX_BTREE, C_ID, 1 }, { NULL, INDEX_HASH, C_TAG, 1 },
                          { NULL, INDEX_BTREE, C_GRP, 1 } };
    UniqueSchema uq[] = { { NULL, C_ID, 1 }, { NULL, C_TAG, 1 } };
    TableSchema s = { .name = "item", .ts = ts, .row_type = make_row_type(ts, 4, ICOLS, types),
                      .primary_key = 0, .indexes = idx, .nindexes = 3, .uniques = uq,
                      .nuniques = 2 };
    Table *t;
    assert_int_equal(table_new(&s, &t, NULL), ST_OK);
    return t;
}

static void encode(StrBuf *b, MRow r)
{
    char tag[16];
    snprintf(tag, sizeof tag, "tag%u", r.tag);
    strbuf_clear(b);
    put_uint(b, r.id, 4);
    put_str(b, tag);
    put_uint(b, r.grp, 1);
    put_uint(b, r.val, 1);
}

static bool same(MRow a, MRow b)
{
    return a.id == b.id && a.tag == b.tag && a.grp == b.grp && a.val == b.val;
}

/* Index of the row with this id / tag (skipping `skip`), or -1. */
static long find_id(const Model *m, uint32_t id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->rows[i].id == id)
            return (long)i;
    return -1;
}

static long find_tag(const Model *m, uint32_t tag, long skip)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->rows[i].tag == tag && (long)i != skip)
            return (long)i;
    return -1;
}

static void model_remove(Model *m, size_t i)
{
    m->rows[i] = m->rows[--m->n];
}

static MRow random_row(uint64_t *seed)
{
    MRow r = { rnd_below(seed, IDS), rnd_below(seed, TAGS), (uint8_t)rnd_below(seed, GRPS),
               (uint8_t)rnd_below(seed, 2) };
    return r;
}

static void op_insert(Table *t, Model *m, StrBuf *b, MRow r)
{
    encode(b, r);
    DbError err;
    Status st = table_insert(t, (const uint8_t *)b->data, b->len, NULL, NULL, &err);
    long at = find_id(m, r.id);
    if (at >= 0 && same(m->rows[at], r)) {
        assert_int_equal(st, ST_OK);   /* identical: no-op */
    } else if (at >= 0 || find_tag(m, r.tag, -1) >= 0) {
        assert_int_equal(st, ST_EXISTS);
        assert_int_equal(err.code, DBE_UNIQUE_ALREADY_EXISTS);
    } else {
        assert_int_equal(st, ST_OK);
        m->rows[m->n++] = r;
    }
}

static void op_delete(Table *t, Model *m, StrBuf *b, MRow r)
{
    encode(b, r);
    bool deleted;
    assert_int_equal(table_delete_row(t, (const uint8_t *)b->data, b->len, &deleted, NULL), ST_OK);
    long at = find_id(m, r.id);
    bool present = at >= 0 && same(m->rows[at], r);
    assert_int_equal(deleted, present);
    if (present)
        model_remove(m, (size_t)at);
}

/* Update through index 0 (by id) or 1 (by tag). */
static void op_update(Table *t, Model *m, StrBuf *b, MRow r, uint32_t index)
{
    encode(b, r);
    DbError err;
    TableWrite w;
    Status st = table_update(t, index, (const uint8_t *)b->data, b->len, NULL, &w, &err);
    long old = index == 0 ? find_id(m, r.id) : find_tag(m, r.tag, -1);
    if (index == 2) {
        assert_int_equal(err.code, DBE_INDEX_NOT_UNIQUE);
    } else if (old < 0) {
        assert_int_equal(st, ST_NOT_FOUND);
        assert_int_equal(err.code, DBE_NO_SUCH_ROW);
    } else if (same(m->rows[old], r)) {
        assert_int_equal(st, ST_OK);
        assert_false(w.changed);
    } else if ((index == 0 ? find_tag(m, r.tag, old) : find_id(m, r.id)) >= 0 &&
               (index == 0 || find_id(m, r.id) != old)) {
        assert_int_equal(st, ST_EXISTS);
    } else {
        assert_int_equal(st, ST_OK);
        m->rows[old] = r;
    }
}

/* Rows of grp in [lo, hi) through the btree: count matches the model;
 * with del, delete them (in both). */
static void op_grp_range(Table *t, Model *m, uint8_t lo, uint8_t hi, bool del)
{
    uint8_t rs[2] = { 0, lo }, re[2] = { 1, hi };
    IndexRange r = { NULL, 0, 0, rs, 2, re, 2 };
    size_t want = 0;
    for (size_t i = 0; i < m->n; i++)
        want += m->rows[i].grp >= lo && m->rows[i].grp < hi;
    if (del) {
        uint64_t n;
        assert_int_equal(table_delete_range_bsatn(t, 2, &r, &n, NULL), ST_OK);
        assert_int_equal(n, want);
        for (size_t i = m->n; i-- > 0;)
            if (m->rows[i].grp >= lo && m->rows[i].grp < hi)
                model_remove(m, i);
        return;
    }
    RowList out;
    rowlist_init(&out);
    assert_int_equal(table_scan_range_bsatn(t, 2, &r, &out, NULL), ST_OK);
    assert_int_equal(out.count, want);
    uint8_t prev = 0;
    for (size_t i = 0; i < out.count; i++) {   /* in key order (no tx inserts pending) */
        size_t len;
        const uint8_t *row = rowlist_get(&out, i, &len);
        uint8_t g = row[len - 2];
        assert_true(g >= lo && g < hi && g >= prev);
        prev = t->in_tx ? 0 : g;
    }
    rowlist_fini(&out);
}

/* Point lookup by tag through the hash index. */
static void op_tag_point(Table *t, Model *m, StrBuf *b, uint32_t tag)
{
    char s[16];
    snprintf(s, sizeof s, "tag%u", tag);
    strbuf_clear(b);
    put_str(b, s);
    RowList out;
    rowlist_init(&out);
    assert_int_equal(table_scan_point_bsatn(t, 1, (const uint8_t *)b->data, b->len, &out, NULL),
                     ST_OK);
    long at = find_tag(m, tag, -1);
    assert_int_equal(out.count, at >= 0);
    if (at >= 0) {
        encode(b, m->rows[at]);
        size_t len;
        const uint8_t *row = rowlist_get(&out, 0, &len);
        assert_int_equal(len, b->len);
        assert_memory_equal(row, b->data, len);
    }
    rowlist_fini(&out);
}

/* Every model row is in the table, and the counts agree. */
static void compare_all(Table *t, Model *m, StrBuf *b)
{
    assert_int_equal(table_row_count(t), m->n);
    RowList out;
    rowlist_init(&out);
    assert_int_equal(table_collect_all(t, &out, NULL), ST_OK);
    assert_int_equal(out.count, m->n);
    for (size_t i = 0; i < m->n; i++) {
        encode(b, m->rows[i]);
        bool found = false;
        for (size_t j = 0; j < out.count && !found; j++) {
            size_t len;
            const uint8_t *row = rowlist_get(&out, j, &len);
            found = len == b->len && memcmp(row, b->data, len) == 0;
        }
        assert_true(found);
    }
    rowlist_fini(&out);
}

static void random_op(Table *t, Model *m, StrBuf *b, uint64_t *seed)
{
    uint32_t k = rnd_below(seed, 100);
    MRow r = random_row(seed);
    if (k < 40)
        op_insert(t, m, b, r);
    else if (k < 55)
        op_delete(t, m, b, m->n && k < 50 ? m->rows[rnd_below(seed, (uint32_t)m->n)] : r);
    else if (k < 75)
        op_update(t, m, b, r, k < 65 ? 0 : k < 74 ? 1 : 2);
    else if (k < 85)
        op_tag_point(t, m, b, r.tag);
    else if (k < 97)
        op_grp_range(t, m, r.grp, (uint8_t)(r.grp + rnd_below(seed, 3)), false);
    else
        op_grp_range(t, m, r.grp, (uint8_t)(r.grp + 1), k == 99);
}

static void run_model(uint64_t seed)
{
    Typespace ts;
    typespace_init(&ts);
    Table *t = item_table(&ts);
    Model *m = calloc(1, sizeof *m);
    StrBuf b;
    strbuf_init(&b);
    for (int i = 0; i < NOPS; i++) {
        if (i % 200 == 0) {        /* alternate: 200 ops in a transaction, 200 outside */
            if (t->in_tx)
                table_tx_commit(t);
            else
                table_tx_begin(t);
        }
        random_op(t, m, &b, &seed);
        if (i % 1000 == 999) {
            assert_table_ok(t);
            compare_all(t, m, &b);
        }
    }
    if (t->in_tx)
        table_tx_commit(t);
    assert_table_ok(t);
    compare_all(t, m, &b);
    strbuf_fini(&b);
    free(m);
    table_free(t);
    typespace_fini(&ts);
}

static void test_model_seed1(void **state)
{
    (void)state;
    run_model(0x9E3779B97F4A7C15ull);
}

static void test_model_seed2(void **state)
{
    (void)state;
    run_model(12345);
}

/* ---- allocation failure ---- */

typedef Status (*WriteOp)(Table *t, const StrBuf *arg);

/* Run op with the k-th allocation failing for k = 0, 1, ... until it
 * stops failing; each ST_NOMEM must leave the table exactly as before. */
static void nomem_each(Table *t, WriteOp op, const StrBuf *arg)
{
    StrBuf before, after;
    strbuf_init(&before);
    strbuf_init(&after);
    for (long k = 0;; k++) {
        snapshot_table(t, &before, false);
        mem_fail_after(k);
        Status st = op(t, arg);
        mem_fail_after(-1);
        assert_table_ok(t);
        if (st != ST_NOMEM)
            break;
        snapshot_table(t, &after, false);
        assert_int_equal(after.len, before.len);
        assert_memory_equal(after.data, before.data, before.len);
        assert_true(k < 100000);
    }
    strbuf_fini(&before);
    strbuf_fini(&after);
}

static Status w_insert(Table *t, const StrBuf *a)
{
    return table_insert(t, (const uint8_t *)a->data, a->len, NULL, NULL, NULL);
}

static Status w_update(Table *t, const StrBuf *a)
{
    return table_update(t, 0, (const uint8_t *)a->data, a->len, NULL, NULL, NULL);
}

static Status w_delete_eq(Table *t, const StrBuf *a)
{
    uint64_t n;
    return table_delete_eq_bsatn(t, (const uint8_t *)a->data, a->len, &n, NULL);
}

static Status w_delete_grp(Table *t, const StrBuf *a)
{
    IndexRange r = { NULL, 0, 0, (const uint8_t *)a->data, 2, (const uint8_t *)a->data + 2, 2 };
    uint64_t n;
    return table_delete_range_bsatn(t, 2, &r, &n, NULL);
}

static Status w_clear(Table *t, const StrBuf *a)
{
    (void)a;
    return table_clear(t, NULL, NULL);
}

/* Long tags make keys longer than a B-tree iterator's inline copy, so
 * the iterators' own allocations fail too. */
static void long_row(StrBuf *b, uint32_t id, uint32_t tag, uint8_t grp)
{
    char s[80];
    snprintf(s, sizeof s, "a-rather-long-tag-that-needs-a-heap-copy-in-iterators-%u", tag);
    strbuf_clear(b);
    put_uint(b, id, 4);
    put_str(b, s);
    put_uint(b, grp, 1);
    put_uint(b, 0, 1);
}

static void nomem_round(Table *t, StrBuf *arg)
{
    for (uint32_t i = 0; i < 300; i++) {   /* pages, leaf splits, hash growth */
        long_row(arg, i, i, (uint8_t)(i % GRPS));
        nomem_each(t, w_insert, arg);
    }
    assert_int_equal(table_row_count(t), 300);
    long_row(arg, 7, 1007, 1);
    nomem_each(t, w_update, arg);
    long_row(arg, 8, 3, 1);                /* tag of row 3: conflict, not NOMEM */
    nomem_each(t, w_update, arg);
    strbuf_clear(arg);
    put_uint(arg, 3, 4);
    StrBuf row;
    strbuf_init(&row);
    for (uint32_t i = 20; i < 23; i++) {
        long_row(&row, i, i, (uint8_t)(i % GRPS));
        put(arg, row.data, row.len);
    }
    strbuf_fini(&row);
    nomem_each(t, w_delete_eq, arg);
    strbuf_clear(arg);
    put(arg, "\x00\x02\x01\x04", 4);       /* grp in [2, 4) */
    nomem_each(t, w_delete_grp, arg);
    nomem_each(t, w_clear, arg);
    assert_int_equal(table_row_count(t), 0);
}

static void test_nomem_writes(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = item_table(&ts);
    StrBuf arg, before, after;
    strbuf_init(&arg);
    strbuf_init(&before);
    strbuf_init(&after);
    nomem_round(t, &arg);                  /* outside transactions */
    table_tx_begin(t);
    nomem_round(t, &arg);                  /* inside one, then commit */
    table_tx_commit(t);
    assert_table_ok(t);
    long_row(&arg, 1, 1, 1);
    assert_int_equal(w_insert(t, &arg), ST_OK);
    snapshot_table(t, &before, false);
    table_tx_begin(t);                     /* inside one, then roll back */
    nomem_round(t, &arg);
    table_tx_rollback(t);
    assert_table_ok(t);
    snapshot_table(t, &after, false);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    strbuf_fini(&arg);
    strbuf_fini(&before);
    strbuf_fini(&after);
    table_free(t);
    typespace_fini(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_seed1),
        cmocka_unit_test(test_model_seed2),
        cmocka_unit_test(test_nomem_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
