/*
 * test_snapshot.c - snapshots: round trip of a database with several
 * tables, indexes and sequences; a leftover temp file ignored; truncated
 * and bit-flipped snapshots skipped with a fallback to the older valid
 * one; a schema mismatch refused; pruning; and restart = snapshot at
 * offset N + commit log replay from N giving the original state back.
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
#include <sys/stat.h>
#include <unistd.h>

#include "db/commitlog.h"
#include "db/snapshot.h"
#include "db/tx.h"
#include "table_util.h"
#include "util/log.h"
#include "file_util.h"

/* ---- files ---- */

static void snap_file(const char *dir, uint64_t off, char *out, size_t n)
{
    snprintf(out, n, "%s/snapshot-%020llu.stdbsnap", dir, (unsigned long long)off);
}

/* ---- the schema: player, item, note; variants break one thing each ---- */

enum { V_OK, V_RENAMED, V_COLTYPE, V_FEWER, V_MORE, V_NOSEQ, V_ZERO_SEQ };

static const char *const PCOLS[] = {"id", "name", "level"};
static const char *const ICOLS[] = {"serial", "owner", "kind"};
static const char *const NCOLS[] = {"text"};
static const uint16_t C0[] = {0}, C1[] = {1}, C2[] = {2}, C12[] = {1, 2};

/* player(id u64 pk auto_inc, name String unique (hash), level u32 btree) */
static void add_player(Db *db, Typespace *ts, int v)
{
    const AlgType *pt[] = {alg_prim(ALG_U64), alg_prim(ALG_STRING),
                           alg_prim(v == V_COLTYPE ? ALG_U16 : ALG_U32)};
    IndexSchema idx[] = {{NULL, INDEX_BTREE, C0, 1}, {NULL, INDEX_HASH, C1, 1},
                         {NULL, INDEX_BTREE, C2, 1}};
    UniqueSchema uq[] = {{NULL, C0, 1}, {NULL, C1, 1}};
    SequenceSchema seq = {.col = 0, .increment = i128_from_i64(1)};
    if (v == V_ZERO_SEQ)          /* a sequence that hands out 0 first */
        seq = (SequenceSchema){.col = 0, .has_start = true, .start = i128_from_i64(0),
                               .has_min = true, .min = i128_from_i64(0),
                               .increment = i128_from_i64(1)};
    TableSchema s = {.name = "player", .ts = ts, .row_type = make_row_type(ts, 3, PCOLS, pt),
                     .primary_key = 0, .indexes = idx, .nindexes = 3, .uniques = uq,
                     .nuniques = 2, .sequences = &seq, .nsequences = v == V_NOSEQ ? 0 : 1};
    assert_int_equal(db_create_table(db, &s, NULL, NULL), ST_OK);
}

/* item(serial u32 auto_inc from 100 step 5 unique, owner u64, kind u8),
 * btree (owner, kind), direct (kind) */
static void add_item(Db *db, Typespace *ts, int v)
{
    const AlgType *it[] = {alg_prim(ALG_U32), alg_prim(ALG_U64), alg_prim(ALG_U8)};
    IndexSchema idx[] = {{NULL, INDEX_BTREE, C0, 1}, {NULL, INDEX_BTREE, C12, 2},
                         {NULL, INDEX_DIRECT, C2, 1}};
    UniqueSchema uq[] = {{NULL, C0, 1}};
    SequenceSchema seq = {.col = 0, .has_start = true, .start = i128_from_i64(100),
                          .increment = i128_from_i64(5)};
    TableSchema s = {.name = v == V_RENAMED ? "items" : "item", .ts = ts,
                     .row_type = make_row_type(ts, 3, ICOLS, it), .primary_key = TABLE_NO_PK,
                     .indexes = idx, .nindexes = 3, .uniques = uq, .nuniques = 1,
                     .sequences = &seq, .nsequences = 1};
    assert_int_equal(db_create_table(db, &s, NULL, NULL), ST_OK);
}

static void add_note(Db *db, Typespace *ts, const char *name)
{
    const AlgType *nt[] = {alg_prim(ALG_STRING)};
    TableSchema s = {.name = name, .ts = ts, .row_type = make_row_type(ts, 1, NCOLS, nt),
                     .primary_key = TABLE_NO_PK};
    assert_int_equal(db_create_table(db, &s, NULL, NULL), ST_OK);
}

static Db *make_db(Typespace *ts, int v)
{
    Db *db;
    assert_int_equal(db_new(&db), ST_OK);
    add_player(db, ts, v);
    add_item(db, ts, v);
    if (v != V_FEWER)
        add_note(db, ts, "note");
    if (v == V_MORE)
        add_note(db, ts, "extra");
    return db;
}

#define PLAYER DB_FIRST_ID
#define ITEM (DB_FIRST_ID + 1)
#define NOTE (DB_FIRST_ID + 2)

/* ---- rows ---- */

static void ins(Db *db, uint32_t table, const StrBuf *b)
{
    DbError e;
    Status st = table_insert(db_table(db, table), (const uint8_t *)b->data, b->len, NULL, NULL,
                             &e);
    if (st != ST_OK)
        fail_msg("insert: %s", e.msg);
}

/* Step i of a deterministic workload: players (auto id), items (auto
 * serial), notes; some deletes so that the row stores have holes. */
static void step(Db *db, uint32_t i)
{
    StrBuf b;
    strbuf_init(&b);
    char name[32];
    snprintf(name, sizeof name, "p%u", i);
    put_uint(&b, 0, 8);
    put_str(&b, name);
    put_uint(&b, i % 7, 4);
    ins(db, PLAYER, &b);
    strbuf_clear(&b);
    put_uint(&b, 0, 4);
    put_uint(&b, i % 11, 8);
    put_uint(&b, i % 5, 1);
    ins(db, ITEM, &b);
    strbuf_clear(&b);
    snprintf(name, sizeof name, "note %u", i % 13);   /* repeats: set semantics */
    put_str(&b, name);
    ins(db, NOTE, &b);
    if (i % 4 == 3) {             /* delete the first player row, wherever it is */
        Table *t = db_table(db, PLAYER);
        TableCursor c;
        RowId id;
        const uint8_t *row;
        size_t len;
        table_cursor_all(t, &c);
        assert_true(table_cursor_next(&c, &id, &row, &len));
        table_cursor_fini(&c);
        assert_int_equal(table_delete_rowid(t, id, NULL), ST_OK);
    }
    strbuf_fini(&b);
}

static Db *make_filled(Typespace *ts, uint32_t n)
{
    Db *db = make_db(ts, V_OK);
    for (uint32_t i = 0; i < n; i++)
        step(db, i);
    return db;
}

/* ---- comparing databases ---- */

static int cmp_rows(const void *a, const void *b)
{
    const StrBuf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Table t's rows as a StrBuf per row, in scan order or sorted. */
static StrBuf *rows_of(Db *db, uint32_t table, bool sorted, size_t *n)
{
    RowList rl;
    rowlist_init(&rl);
    assert_int_equal(table_collect_all(db_table(db, table), &rl, NULL), ST_OK);
    StrBuf *v = calloc(rl.count + 1, sizeof *v);
    for (size_t i = 0; i < rl.count; i++) {
        size_t len;
        const uint8_t *row = rowlist_get(&rl, i, &len);
        strbuf_init(&v[i]);
        put(&v[i], row, len);
    }
    *n = rl.count;
    rowlist_fini(&rl);
    if (sorted)
        qsort(v, *n, sizeof *v, cmp_rows);
    return v;
}

/* Same rows (in the same scan order unless sorted), same sequence values,
 * and every invariant of b holds. */
static void assert_same_db(Db *a, Db *b, bool sorted)
{
    assert_int_equal(db_table_count(a), db_table_count(b));
    for (uint32_t t = PLAYER; t < PLAYER + db_table_count(a); t++) {
        size_t na, nb;
        StrBuf *ra = rows_of(a, t, sorted, &na), *rb = rows_of(b, t, sorted, &nb);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
            assert_int_equal(cmp_rows(&ra[i], &rb[i]), 0);
            strbuf_fini(&ra[i]);
            strbuf_fini(&rb[i]);
        }
        free(ra);
        free(rb);
        Table *ta = db_table(a, t), *tb = db_table(b, t);
        assert_int_equal(table_sequence_count(ta), table_sequence_count(tb));
        for (uint32_t s = 0; s < table_sequence_count(ta); s++)
            assert_int_equal(i128_cmp(table_sequence(ta, s)->value, table_sequence(tb, s)->value),
                             0);
    }
    char msg[256];
    Status st = db_check(b, msg, sizeof msg);
    if (st != ST_OK)
        fail_msg("db_check: %s", msg);
}

/* Load the newest valid snapshot of dir into a fresh database. */
static Db *restore(Typespace *ts, const char *dir, uint64_t *off, SnapshotScan *scan)
{
    char *path;
    DbError e;
    Status st = snapshot_find_latest(dir, off, &path, scan, &e);
    if (st != ST_OK)
        fail_msg("find_latest: %s", e.msg);
    Db *db = make_db(ts, V_OK);
    uint64_t loaded;
    st = snapshot_load(db, path, &loaded, &e);
    if (st != ST_OK)
        fail_msg("load: %s", e.msg);
    assert_int_equal(loaded, *off);
    mem_free(path);
    return db;
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_filled(&ts, 300);
    SnapshotReport rep;
    DbError e;
    assert_int_equal(snapshot_write(db, dir, 42, &rep, &e), ST_OK);
    assert_int_equal(rep.ntables, 3);
    uint64_t total = 0;
    for (uint32_t t = PLAYER; t <= NOTE; t++)
        total += table_row_count(db_table(db, t));
    assert_int_equal(rep.nrows, total);
    char p[512];
    snap_file(dir, 42, p, sizeof p);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, rep.bytes);
    uint64_t off;
    Db *again = restore(&ts, dir, &off, NULL);
    assert_int_equal(off, 42);
    assert_same_db(db, again, false);
    /* the sequences continue where they were: the next auto values agree */
    step(db, 1000);
    step(again, 1000);
    assert_same_db(db, again, false);
    /* an empty database round-trips too */
    Db *empty = make_db(&ts, V_OK);
    assert_int_equal(snapshot_write(empty, dir, 43, NULL, NULL), ST_OK);
    Db *empty2 = restore(&ts, dir, &off, NULL);
    assert_int_equal(off, 43);
    assert_same_db(empty, empty2, false);
    db_free(empty2);
    db_free(empty);
    db_free(again);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

static void test_refused_in_tx_and_nonempty(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_filled(&ts, 20);
    DbError e;
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    assert_int_equal(snapshot_write(db, dir, 1, NULL, &e), ST_ARG);
    assert_int_equal(tx_commit(db, NULL, NULL), ST_OK);
    assert_int_equal(snapshot_write(db, dir, 1, NULL, &e), ST_OK);
    char p[512];
    snap_file(dir, 1, p, sizeof p);
    assert_int_equal(snapshot_load(db, p, NULL, &e), ST_ARG);   /* db is not empty */
    assert_non_null(strstr(e.msg, "not empty"));
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

static void test_temp_file_ignored(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_filled(&ts, 50);
    assert_int_equal(snapshot_write(db, dir, 10, NULL, NULL), ST_OK);
    /* a crash during the write of offset 20: a partial .tmp, never renamed */
    char good[512], tmp[600], other[600];
    snap_file(dir, 10, good, sizeof good);
    size_t n;
    uint8_t *b = file_read_all(good, &n);
    snprintf(tmp, sizeof tmp, "%s/snapshot-%020llu.stdbsnap.tmp", dir, 20ull);
    file_write_all(tmp, b, n / 2);
    snprintf(other, sizeof other, "%s/notes.txt", dir);
    file_write_all(other, b, 3);
    uint64_t off;
    SnapshotScan scan;
    Db *again = restore(&ts, dir, &off, &scan);
    assert_int_equal(off, 10);
    assert_int_equal(scan.nskipped, 0);   /* the .tmp is not a snapshot at all */
    assert_same_db(db, again, false);
    uint32_t removed;
    assert_int_equal(snapshot_prune(dir, 1, &removed, NULL), ST_OK);
    assert_int_equal(removed, 1);
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_int_equal(access(good, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);   /* not ours: left alone */
    mem_free(b);
    db_free(again);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

/* Snapshot 10 (state A) and 20 (state B, damaged by `damage`): restore
 * must skip 20, say so, and give back A. */
static void expect_fallback(Typespace *ts, const char *dir, Db *a, const uint8_t *good, size_t n,
                            size_t keep_len, long flip_at)
{
    char p[512];
    snap_file(dir, 20, p, sizeof p);
    uint8_t *bad = malloc(n);
    memcpy(bad, good, n);
    if (flip_at >= 0)
        bad[flip_at] ^= (uint8_t)(1u << (flip_at % 8));
    file_write_all(p, bad, keep_len);
    free(bad);
    uint64_t off;
    SnapshotScan scan;
    Db *again = restore(ts, dir, &off, &scan);
    assert_int_equal(off, 10);
    assert_int_equal(scan.nskipped, 1);
    assert_string_equal(scan.skipped, "snapshot-00000000000000000020.stdbsnap");
    assert_true(scan.why[0] != '\0');
    assert_same_db(a, again, false);
    db_free(again);
}

static void test_damaged_newest_falls_back(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_filled(&ts, 12);
    assert_int_equal(snapshot_write(db, dir, 10, NULL, NULL), ST_OK);
    Db *b = make_filled(&ts, 30);
    assert_int_equal(snapshot_write(b, dir, 20, NULL, NULL), ST_OK);
    char p[512];
    snap_file(dir, 20, p, sizeof p);
    size_t n;
    uint8_t *good = file_read_all(p, &n);
    /* truncated at several offsets: in the header, at its end, inside a
     * table, just before and inside the CRC */
    const size_t cuts[] = {0, 1, 7, 8, 23, 24, 25, 40, n / 2, n - 5, n - 4, n - 3, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++)
        expect_fallback(&ts, dir, db, good, n, cuts[i], -1);
    /* one bit flipped, at every byte (header, names, types, rows, CRC) */
    for (size_t at = 0; at < n; at++)
        expect_fallback(&ts, dir, db, good, n, n, (long)at);
    /* everything damaged: no snapshot, and the count of what was skipped */
    char p10[512];
    snap_file(dir, 10, p10, sizeof p10);
    file_write_all(p10, good, 5);
    uint64_t off;
    char *path;
    SnapshotScan scan;
    DbError e;
    assert_int_equal(snapshot_find_latest(dir, &off, &path, &scan, &e), ST_NOT_FOUND);
    assert_int_equal(scan.nskipped, 2);
    assert_non_null(strstr(e.msg, "2 skipped"));
    /* a valid file under the wrong name is refused too */
    assert_int_equal(unlink(p), 0);
    file_write_all(p10, good, n);
    assert_int_equal(snapshot_find_latest(dir, &off, &path, &scan, &e), ST_NOT_FOUND);
    assert_non_null(strstr(scan.why, "header says log offset 20"));
    free(good);
    db_free(b);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

static void expect_mismatch(Typespace *ts, const char *path, int variant, const char *needle)
{
    Db *db = make_db(ts, variant);
    DbError e;
    assert_int_equal(snapshot_load(db, path, NULL, &e), ST_INVALID);
    if (!strstr(e.msg, needle))
        fail_msg("expected \"%s\" in: %s", needle, e.msg);
    for (uint32_t t = PLAYER; t < PLAYER + db_table_count(db); t++)
        assert_int_equal(table_row_count(db_table(db, t)), 0);   /* untouched */
    db_free(db);
}

static void test_schema_mismatch(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_filled(&ts, 40);
    assert_int_equal(snapshot_write(db, dir, 5, NULL, NULL), ST_OK);
    char p[512];
    snap_file(dir, 5, p, sizeof p);
    expect_mismatch(&ts, p, V_RENAMED, "\"item\" (id 4098) in the snapshot but \"items\"");
    expect_mismatch(&ts, p, V_COLTYPE, "table \"player\": row type differs");
    expect_mismatch(&ts, p, V_NOSEQ, "table \"player\": 1 sequences, the schema has 0");
    expect_mismatch(&ts, p, V_FEWER, "table \"note\" is not in the schema");
    expect_mismatch(&ts, p, V_MORE, "table \"extra\" of the schema is missing");
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

/* A stored 0 in an auto_inc column loads as 0: table_insert_exact runs
 * no sequence (table_insert would take the 0 for "generate one").  The
 * sequence comes back where it was (2), not where loading left it. */
static void test_zero_in_auto_inc_loads_as_zero(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts, V_ZERO_SEQ);
    step(db, 0);                  /* the player gets id 0 from its sequence */
    step(db, 1);                  /* and player 1; the sequence is at 2 */
    assert_int_equal(snapshot_write(db, dir, 2, NULL, NULL), ST_OK);
    Db *again = make_db(&ts, V_ZERO_SEQ);
    char p[512];
    snap_file(dir, 2, p, sizeof p);
    DbError e;
    Status st = snapshot_load(again, p, NULL, &e);
    if (st != ST_OK)
        fail_msg("load: %s", e.msg);
    assert_same_db(db, again, true);
    StrBuf zero;
    strbuf_init(&zero);
    put_uint(&zero, 0, 8);        /* player 0 is there, by its primary key */
    RowList found;
    rowlist_init(&found);
    assert_int_equal(table_scan_point_bsatn(db_table(again, PLAYER), 0,
                                            (const uint8_t *)zero.data, zero.len, &found, NULL),
                     ST_OK);
    assert_int_equal(found.count, 1);
    rowlist_fini(&found);
    strbuf_fini(&zero);
    db_free(again);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

static void test_prune(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_filled(&ts, 10);
    for (uint64_t off = 10; off <= 40; off += 10)
        assert_int_equal(snapshot_write(db, dir, off, NULL, NULL), ST_OK);
    char p[512];
    snap_file(dir, 40, p, sizeof p);
    file_write_all(p, (const uint8_t *)"garbage", 7);
    uint32_t removed;
    /* keep 2 valid ones (30, 20); the damaged 40 stays as evidence */
    assert_int_equal(snapshot_prune(dir, 2, &removed, NULL), ST_OK);
    assert_int_equal(removed, 1);
    snap_file(dir, 10, p, sizeof p);
    assert_int_not_equal(access(p, F_OK), 0);
    snap_file(dir, 20, p, sizeof p);
    assert_int_equal(access(p, F_OK), 0);
    snap_file(dir, 40, p, sizeof p);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(snapshot_prune(dir, 1, &removed, NULL), ST_OK);
    assert_int_equal(removed, 1);
    uint64_t off;
    Db *again = restore(&ts, dir, &off, NULL);
    assert_int_equal(off, 30);
    db_free(again);
    assert_int_equal(snapshot_prune(dir, 0, &removed, NULL), ST_OK);
    assert_int_equal(removed, 2);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

/* Out of memory at every allocation of a write: an error, no file left. */
static void test_write_out_of_memory(void **state)
{
    (void)state;
    char *dir = test_make_dir("snap");
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_filled(&ts, 30);
    long live = mem_live();
    Status st = ST_NOMEM;
    for (long n = 0; st == ST_NOMEM; n++) {
        mem_fail_after(n);
        st = snapshot_write(db, dir, 7, NULL, NULL);
        mem_fail_after(-1);
        assert_int_equal(mem_live(), live);
        char p[512];
        snap_file(dir, 7, p, sizeof p);
        if (st == ST_NOMEM)
            assert_int_not_equal(access(p, F_OK), 0);
        strcat(p, ".tmp");
        assert_int_not_equal(access(p, F_OK), 0);
    }
    assert_int_equal(st, ST_OK);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(dir);
}

/* One logged transaction: step i inside tx_begin/tx_commit. */
static void logged_step(Db *db, CommitLog *l, TxDelta *d, uint32_t i)
{
    assert_int_equal(tx_begin(db, NULL), ST_OK);
    step(db, i);
    assert_int_equal(tx_commit(db, d, NULL), ST_OK);
    assert_int_equal(commitlog_append(l, d, i, NULL, NULL), ST_OK);
}

static void test_restart(void **state)
{
    (void)state;
    char *root = test_make_dir("snap");
    char logdir[256], snapdir[256];
    snprintf(logdir, sizeof logdir, "%s/clog", root);
    snprintf(snapdir, sizeof snapdir, "%s/snapshots", root);
    assert_int_equal(mkdir(snapdir, 0755), 0);
    Typespace ts;
    typespace_init(&ts);
    Db *db = make_db(&ts, V_OK);
    CommitLog *l;
    assert_int_equal(commitlog_open(logdir, NULL, 0, NULL, NULL, &l, NULL, NULL), ST_OK);
    TxDelta d;
    tx_delta_init(&d);
    for (uint32_t i = 0; i < 150; i++) {
        logged_step(db, l, &d, i);
        if (i == 59 || i == 119) {   /* snapshots at offsets 60 and 120 */
            uint64_t n = commitlog_next_offset(l);
            assert_int_equal(commitlog_sync(l, NULL), ST_OK);
            assert_int_equal(snapshot_write(db, snapdir, n, NULL, NULL), ST_OK);
        }
    }
    tx_delta_fini(&d);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);

    /* restart: newest snapshot (120), then the log from 120 on */
    uint64_t n;
    Db *again = restore(&ts, snapdir, &n, NULL);
    assert_int_equal(n, 120);
    CommitLogError ce;
    CommitLogReport rep;
    Status st = commitlog_open(logdir, NULL, n, commitlog_apply_visit, again, &l, &rep, &ce);
    if (st != ST_OK)
        fail_msg("replay: %s", ce.msg);
    assert_int_equal(commitlog_next_offset(l), 150);
    assert_int_equal(commitlog_close(l, NULL), ST_OK);
    assert_same_db(db, again, true);
    db_free(again);

    /* the newest snapshot damaged: 60 + replay from 60 gives the same */
    char p[512];
    snap_file(snapdir, 120, p, sizeof p);
    assert_int_equal(truncate(p, 100), 0);
    again = restore(&ts, snapdir, &n, NULL);
    assert_int_equal(n, 60);
    assert_int_equal(commitlog_scan(logdir, n, commitlog_apply_visit, again, NULL, &ce), ST_OK);
    assert_same_db(db, again, true);
    db_free(again);

    /* replaying from the wrong offset is caught, not silently doubled */
    again = restore(&ts, snapdir, &n, NULL);
    assert_int_equal(commitlog_scan(logdir, 0, commitlog_apply_visit, again, NULL, &ce),
                     ST_MALFORMED);
    db_free(again);
    db_free(db);
    typespace_fini(&ts);
    test_remove_dir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused_in_tx_and_nonempty),
        cmocka_unit_test(test_temp_file_ignored),
        cmocka_unit_test(test_damaged_newest_falls_back),
        cmocka_unit_test(test_schema_mismatch),
        cmocka_unit_test(test_zero_in_auto_inc_loads_as_zero),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_write_out_of_memory),
        cmocka_unit_test(test_restart),
    };
    log_set_level(LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
