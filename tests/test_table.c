/*
 * test_table.c - tables: schemas, insert with set semantics and unique
 * constraints, sequences and write-back, update, delete, clear.  The
 * randomized model test and allocation-failure injection are in
 * test_table_model.c, scans in test_scan.c.
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

/* ---- the fixture: player(id u64 pk auto_inc, name String unique, level u32, guild u32) */

static const char *const PCOLS[] = { "id", "name", "level", "guild" };
static const uint16_t C_ID[] = { 0 }, C_NAME[] = { 1 }, C_GL[] = { 3, 2 };

static Table *player_table(Typespace *ts, bool with_seq)
{
    const AlgType *types[] = { alg_prim(ALG_U64), alg_prim(ALG_STRING), alg_prim(ALG_U32),
                               alg_prim(ALG_U32) };
    IndexSchema idx[] = { { NULL, INDEX_BTREE, C_ID, 1 }, { NULL, INDEX_HASH, C_NAME, 1 },
                          { NULL, INDEX_BTREE, C_GL, 2 } };
    UniqueSchema uq[] = { { NULL, C_ID, 1 }, { NULL, C_NAME, 1 } };
    SequenceSchema seq = { .col = 0, .increment = i128_from_i64(1) };
    TableSchema s = { .name = "player", .ts = ts, .row_type = make_row_type(ts, 4, PCOLS, types),
                      .primary_key = 0, .indexes = idx, .nindexes = 3, .uniques = uq,
                      .nuniques = 2, .sequences = &seq, .nsequences = with_seq, .is_public = true };
    Table *t;
    DbError err;
    if (table_new(&s, &t, &err) != ST_OK)
        fail_msg("table_new: %s", err.msg);
    return t;
}

static void prow(StrBuf *b, uint64_t id, const char *name, uint32_t level, uint32_t guild)
{
    strbuf_clear(b);
    put_uint(b, id, 8);
    put_str(b, name);
    put_uint(b, level, 4);
    put_uint(b, guild, 4);
}

static Status pinsert(Table *t, uint64_t id, const char *name, uint32_t level, uint32_t guild,
                      TableWrite *res, DbError *err)
{
    StrBuf b;
    strbuf_init(&b);
    prow(&b, id, name, level, guild);
    Status st = table_insert(t, (const uint8_t *)b.data, b.len, NULL, res, err);
    strbuf_fini(&b);
    return st;
}

/* ---- schema ---- */

static void test_schema_names(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = player_table(&ts, true);
    IndexInfo info;
    const char *want[] = { "player_id_idx_btree", "player_name_idx_hash",
                           "player_guild_level_idx_btree" };
    for (uint32_t i = 0; i < 3; i++) {
        table_index_info(t, i, &info);
        assert_string_equal(info.name, want[i]);
        assert_int_equal(table_index_by_name(t, want[i], strlen(want[i])), (int)i);
    }
    table_index_info(t, 0, &info);
    assert_string_equal(info.unique, "player_id_key");
    table_index_info(t, 2, &info);
    assert_null(info.unique);
    assert_string_equal(table_sequence(t, 0)->name, "player_id_seq");
    assert_int_equal(table_index_by_name(t, "nope", 4), -1);
    assert_int_equal(table_primary_key(t), 0);
    assert_true(table_is_public(t));
    assert_null(table_schedule_reducer(t));
    assert_table_ok(t);
    table_free(t);
    typespace_fini(&ts);
}

/* Each broken schema is refused with ST_INVALID, and nothing leaks. */
static void test_schema_errors(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    const AlgType *types[] = { alg_prim(ALG_U64), alg_prim(ALG_STRING) };
    const char *names[] = { "id", "s" };
    const AlgType *row = make_row_type(&ts, 2, names, types);
    static const uint16_t c0[] = { 0 }, c1[] = { 1 }, c9[] = { 9 }, c00[] = { 0, 0 };
    IndexSchema bad_col = { NULL, INDEX_BTREE, c9, 1 }, dup_col = { NULL, INDEX_BTREE, c00, 2 };
    IndexSchema direct_str = { NULL, INDEX_DIRECT, c1, 1 }, ok0 = { NULL, INDEX_BTREE, c0, 1 };
    UniqueSchema u1 = { NULL, c1, 1 }, u0 = { NULL, c0, 1 };
    SequenceSchema on_str = { .col = 1, .increment = i128_from_i64(1) };
    SequenceSchema zero_inc = { .col = 0 };
    SequenceSchema bad_start = { .col = 0, .has_start = true, .start = i128_from_i64(0),
                                 .increment = i128_from_i64(1) };
    SequenceSchema twice[] = { { .col = 0, .increment = i128_from_i64(1) },
                               { .col = 0, .increment = i128_from_i64(2) } };
    IndexSchema same_name[] = { { "x", INDEX_BTREE, c0, 1 }, { "x", INDEX_HASH, c1, 1 } };
    TableSchema base = { .name = "t", .ts = &ts, .row_type = row, .primary_key = TABLE_NO_PK };
    TableSchema cases[11];
    for (int i = 0; i < 11; i++)
        cases[i] = base;
    cases[0].row_type = alg_prim(ALG_U32);
    cases[1].indexes = &bad_col, cases[1].nindexes = 1;
    cases[2].indexes = &dup_col, cases[2].nindexes = 1;
    cases[3].indexes = &direct_str, cases[3].nindexes = 1;
    cases[4].uniques = &u1, cases[4].nuniques = 1, cases[4].indexes = &ok0, cases[4].nindexes = 1;
    cases[5].primary_key = 0;
    cases[6].sequences = &on_str, cases[6].nsequences = 1;
    cases[7].sequences = &zero_inc, cases[7].nsequences = 1;
    cases[8].sequences = &bad_start, cases[8].nsequences = 1;
    cases[9].sequences = twice, cases[9].nsequences = 2;
    cases[10].indexes = same_name, cases[10].nindexes = 2;
    long live = mem_live();
    for (int i = 0; i < 11; i++) {
        Table *t = (Table *)1;
        DbError err;
        assert_int_equal(table_new(&cases[i], &t, &err), ST_INVALID);
        assert_null(t);
        assert_true(strlen(err.msg) > 0);
    }
    assert_int_equal(mem_live(), live);
    /* and a good one with a primary key over a unique, indexed column */
    TableSchema good = base;
    good.primary_key = 0, good.indexes = &ok0, good.nindexes = 1, good.uniques = &u0;
    good.nuniques = 1;
    Table *t;
    assert_int_equal(table_new(&good, &t, NULL), ST_OK);
    table_free(t);
    typespace_fini(&ts);
}

/* ---- insert ---- */

static void test_insert_set_semantics(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = player_table(&ts, false);
    TableWrite w;
    assert_int_equal(pinsert(t, 1, "ann", 5, 1, &w, NULL), ST_OK);
    assert_true(w.changed);
    RowId first = w.rowid;
    /* identical row: success, nothing changes, even with unique columns */
    assert_int_equal(pinsert(t, 1, "ann", 5, 1, &w, NULL), ST_OK);
    assert_false(w.changed);
    assert_int_equal(w.rowid, first);
    assert_int_equal(table_row_count(t), 1);
    /* the same unique id with other bytes: UNIQUE_ALREADY_EXISTS, naming the key */
    DbError err;
    assert_int_equal(pinsert(t, 1, "bob", 5, 1, &w, &err), ST_EXISTS);
    assert_int_equal(err.code, DBE_UNIQUE_ALREADY_EXISTS);
    assert_non_null(strstr(err.msg, "player_id_key"));
    assert_non_null(strstr(err.msg, "id = 1"));
    assert_int_equal(pinsert(t, 2, "ann", 6, 1, &w, &err), ST_EXISTS);
    assert_non_null(strstr(err.msg, "player_name_key"));
    assert_non_null(strstr(err.msg, "name = \"ann\""));
    assert_int_equal(table_row_count(t), 1);
    assert_int_equal(pinsert(t, 2, "bob", 6, 1, &w, NULL), ST_OK);
    assert_int_equal(table_row_count(t), 2);
    size_t len;
    const uint8_t *row = table_row(t, w.rowid, &len);
    StrBuf b;
    strbuf_init(&b);
    prow(&b, 2, "bob", 6, 1);
    assert_int_equal(len, b.len);
    assert_memory_equal(row, b.data, len);
    strbuf_fini(&b);
    assert_table_ok(t);
    table_free(t);
    typespace_fini(&ts);
}

static void test_insert_decode_errors(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = player_table(&ts, true);
    StrBuf b;
    strbuf_init(&b);
    prow(&b, 0, "ann", 5, 1);
    DbError err;
    for (size_t cut = 0; cut < b.len; cut++) {   /* every truncation */
        assert_int_equal(table_insert(t, (const uint8_t *)b.data, cut, NULL, NULL, &err),
                         ST_MALFORMED);
        assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    }
    put_uint(&b, 7, 1);   /* a trailing byte */
    assert_int_equal(table_insert(t, (const uint8_t *)b.data, b.len, NULL, NULL, &err),
                     ST_MALFORMED);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    prow(&b, 0, "ann", 5, 1);
    b.data[8 + 4] = (char)0xFF;   /* invalid UTF-8 in the name */
    assert_int_equal(table_insert(t, (const uint8_t *)b.data, b.len, NULL, NULL, &err),
                     ST_MALFORMED);
    assert_int_equal(table_row_count(t), 0);
    /* nothing was decoded, so no sequence value was taken */
    assert_int_equal(i128_cmp(table_sequence(t, 0)->value, i128_from_i64(1)), 0);
    strbuf_fini(&b);
    table_free(t);
    typespace_fini(&ts);
}

/* ---- sequences ---- */

static uint64_t insert_auto(Table *t, uint64_t id, const char *name, Status want)
{
    StrBuf b, wb;
    strbuf_init(&b);
    strbuf_init(&wb);
    prow(&b, id, name, 1, 1);
    TableWrite w;
    assert_int_equal(table_insert(t, (const uint8_t *)b.data, b.len, &wb, &w, NULL), want);
    uint64_t got = 0;
    if (want == ST_OK && id == 0) {   /* write-back: exactly the generated u64 */
        assert_int_equal(w.ngenerated, 1);
        assert_int_equal(w.generated[0], 0);
        assert_int_equal(wb.len, 8);
        for (int i = 7; i >= 0; i--)
            got = got << 8 | (uint8_t)wb.data[i];
    } else {
        assert_int_equal(wb.len, 0);
        assert_int_equal(w.ngenerated, want == ST_OK ? 0 : w.ngenerated);
    }
    strbuf_fini(&b);
    strbuf_fini(&wb);
    return got;
}

static void test_sequence_insert(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = player_table(&ts, true);
    assert_int_equal(insert_auto(t, 0, "a", ST_OK), 1);
    assert_int_equal(insert_auto(t, 0, "b", ST_OK), 2);
    insert_auto(t, 10, "c", ST_OK);            /* explicit: the sequence does not move */
    assert_int_equal(insert_auto(t, 0, "d", ST_OK), 3);
    insert_auto(t, 4, "e", ST_OK);
    insert_auto(t, 0, "f", ST_EXISTS);         /* 4 is taken: 12, and 4 is used up */
    assert_int_equal(insert_auto(t, 0, "f", ST_OK), 5);
    insert_auto(t, 0, "a", ST_EXISTS);         /* name taken: 6 used up */
    assert_int_equal(insert_auto(t, 0, "g", ST_OK), 7);
    assert_int_equal(table_row_count(t), 7);
    assert_table_ok(t);
    table_free(t);
    typespace_fini(&ts);
}

/* A u8 column with min 250 max 300 inc 20: values 250, 270, 290, then
 * 310 wraps to 250 + (310 - 300 - 1) = 259; stored truncated to u8. */
static void test_sequence_wrap_truncate(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    const AlgType *types[] = { alg_prim(ALG_U8) };
    const char *names[] = { "n" };
    SequenceSchema q = { .col = 0, .has_start = true, .start = i128_from_i64(250),
                         .has_min = true, .min = i128_from_i64(250), .has_max = true,
                         .max = i128_from_i64(300), .increment = i128_from_i64(20) };
    TableSchema s = { .name = "w", .ts = &ts, .row_type = make_row_type(&ts, 1, names, types),
                      .primary_key = TABLE_NO_PK, .sequences = &q, .nsequences = 1 };
    Table *t;
    assert_int_equal(table_new(&s, &t, NULL), ST_OK);
    const uint8_t want[] = { 250, 270 & 0xFF, 290 & 0xFF, 259 & 0xFF, 279 & 0xFF };
    for (size_t i = 0; i < sizeof want; i++) {
        uint8_t zero = 0;
        StrBuf wb;
        strbuf_init(&wb);
        assert_int_equal(table_insert(t, &zero, 1, &wb, NULL, NULL), ST_OK);
        assert_int_equal(wb.len, 1);
        assert_int_equal((uint8_t)wb.data[0], want[i]);
        strbuf_fini(&wb);
    }
    assert_int_equal(table_row_count(t), 5);
    assert_table_ok(t);
    table_free(t);
    typespace_fini(&ts);
}

/* ---- update ---- */

static Status pupdate(Table *t, uint32_t index, uint64_t id, const char *name, uint32_t level,
                      TableWrite *w, DbError *err)
{
    StrBuf b;
    strbuf_init(&b);
    prow(&b, id, name, level, 1);
    Status st = table_update(t, index, (const uint8_t *)b.data, b.len, NULL, w, err);
    strbuf_fini(&b);
    return st;
}

static void test_update(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = player_table(&ts, false);
    TableWrite w;
    DbError err;
    assert_int_equal(pinsert(t, 1, "ann", 1, 1, NULL, NULL), ST_OK);
    assert_int_equal(pinsert(t, 2, "bob", 1, 1, NULL, NULL), ST_OK);
    assert_int_equal(pupdate(t, 0, 1, "ann", 7, &w, &err), ST_OK);   /* level 1 -> 7 */
    assert_true(w.changed);
    assert_int_equal(table_row_count(t), 2);
    assert_int_equal(pupdate(t, 0, 1, "ann", 7, &w, &err), ST_OK);   /* same row: no-op */
    assert_false(w.changed);
    assert_int_equal(pupdate(t, 2, 1, "ann", 8, &w, &err), ST_INVALID);
    assert_int_equal(err.code, DBE_INDEX_NOT_UNIQUE);
    assert_int_equal(pupdate(t, 0, 3, "cid", 8, &w, &err), ST_NOT_FOUND);
    assert_int_equal(err.code, DBE_NO_SUCH_ROW);
    assert_int_equal(pupdate(t, 0, 1, "bob", 8, &w, &err), ST_EXISTS);  /* bob's name */
    assert_int_equal(err.code, DBE_UNIQUE_ALREADY_EXISTS);
    assert_int_equal(pupdate(t, 9, 1, "x", 8, &w, &err), ST_NOT_FOUND);
    assert_int_equal(err.code, DBE_NO_SUCH_INDEX);
    /* through the hash index on name: the id may change, not to a taken one */
    assert_int_equal(pupdate(t, 1, 2, "ann", 9, &w, &err), ST_EXISTS);
    assert_int_equal(pupdate(t, 1, 5, "ann", 9, &w, &err), ST_OK);
    StrBuf b;
    strbuf_init(&b);
    prow(&b, 5, "ann", 9, 1);
    size_t len;
    const uint8_t *row = table_row(t, w.rowid, &len);
    assert_int_equal(len, b.len);
    assert_memory_equal(row, b.data, len);
    strbuf_fini(&b);
    assert_int_equal(table_row_count(t), 2);
    assert_table_ok(t);
    table_free(t);
    typespace_fini(&ts);
}

/* ---- delete and clear ---- */

static void test_delete(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    Table *t = player_table(&ts, false);
    for (uint64_t i = 1; i <= 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        assert_int_equal(pinsert(t, i, name, 1, 1, NULL, NULL), ST_OK);
    }
    StrBuf b, rel;
    strbuf_init(&b);
    strbuf_init(&rel);
    prow(&b, 2, "p2", 1, 1);
    bool deleted;
    assert_int_equal(table_delete_row(t, (const uint8_t *)b.data, b.len, &deleted, NULL), ST_OK);
    assert_true(deleted);
    assert_int_equal(table_delete_row(t, (const uint8_t *)b.data, b.len, &deleted, NULL), ST_OK);
    assert_false(deleted);
    /* delete_all_by_eq: [p3, p3, absent, p4]: 2 deleted */
    put_uint(&rel, 4, 4);
    prow(&b, 3, "p3", 1, 1), put(&rel, b.data, b.len), put(&rel, b.data, b.len);
    prow(&b, 3, "p3", 2, 1), put(&rel, b.data, b.len);
    prow(&b, 4, "p4", 1, 1), put(&rel, b.data, b.len);
    uint64_t n;
    assert_int_equal(table_delete_eq_bsatn(t, (const uint8_t *)rel.data, rel.len, &n, NULL),
                     ST_OK);
    assert_int_equal(n, 2);
    assert_int_equal(table_row_count(t), 2);
    /* a bad row anywhere: decode error and nothing deleted */
    strbuf_clear(&rel);
    put_uint(&rel, 2, 4);
    prow(&b, 1, "p1", 1, 1), put(&rel, b.data, b.len);
    put(&rel, b.data, b.len - 1);
    DbError err;
    assert_int_equal(table_delete_eq_bsatn(t, (const uint8_t *)rel.data, rel.len, &n, &err),
                     ST_MALFORMED);
    assert_int_equal(err.code, DBE_BSATN_DECODE_ERROR);
    assert_int_equal(table_row_count(t), 2);
    uint64_t cleared;
    assert_int_equal(table_clear(t, &cleared, NULL), ST_OK);
    assert_int_equal(cleared, 2);
    assert_int_equal(table_row_count(t), 0);
    assert_table_ok(t);
    assert_int_equal(pinsert(t, 1, "p1", 1, 1, NULL, NULL), ST_OK);
    assert_table_ok(t);
    strbuf_fini(&b);
    strbuf_fini(&rel);
    table_free(t);
    typespace_fini(&ts);
}

/* A table without unique columns is still a set (the rowmap finds
 * identical rows), and deleting by value finds rows through it. */
static void test_set_without_unique(void **state)
{
    (void)state;
    Typespace ts;
    typespace_init(&ts);
    const AlgType *types[] = { alg_prim(ALG_STRING) };
    const char *names[] = { "s" };
    TableSchema s = { .name = "bag", .ts = &ts, .row_type = make_row_type(&ts, 1, names, types),
                      .primary_key = TABLE_NO_PK };
    Table *t;
    assert_int_equal(table_new(&s, &t, NULL), ST_OK);
    StrBuf b;
    strbuf_init(&b);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 50; i++) {
            char v[16];
            snprintf(v, sizeof v, "v%d", i);
            strbuf_clear(&b);
            put_str(&b, v);
            TableWrite w;
            assert_int_equal(table_insert(t, (const uint8_t *)b.data, b.len, NULL, &w, NULL),
                             ST_OK);
            assert_int_equal(w.changed, round == 0);
        }
    assert_int_equal(table_row_count(t), 50);
    strbuf_clear(&b);
    put_str(&b, "v7");
    bool deleted;
    assert_int_equal(table_delete_row(t, (const uint8_t *)b.data, b.len, &deleted, NULL), ST_OK);
    assert_true(deleted);
    assert_int_equal(table_row_count(t), 49);
    assert_table_ok(t);
    strbuf_fini(&b);
    table_free(t);
    typespace_fini(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_names),
        cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_insert_set_semantics),
        cmocka_unit_test(test_insert_decode_errors),
        cmocka_unit_test(test_sequence_insert),
        cmocka_unit_test(test_sequence_wrap_truncate),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_set_without_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
