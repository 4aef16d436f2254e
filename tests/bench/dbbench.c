/*
 * dbbench.c - storage engine benchmarks: `make bench` runs build/dbbench.
 *
 * The table of issue 3: bench(id u64 primary key, name String, score u32)
 * with a B-tree on name; names are 16 bytes, so a row's BSATN is
 * 8 + (4 + 16) + 4 = 32 bytes.  One million rows, ids in a scrambled order
 * (so neither index is filled in key order).  Measured:
 *
 *   db_insert        rows/s through table_insert, in transactions of 1000
 *                    rows (what reducers do), commit included
 *   db_point_lookup  lookups/s by primary key through
 *                    table_scan_point_bsatn (key decoding, B-tree search,
 *                    copying the row out: the whole datastore side of
 *                    datastore_index_scan_point_bsatn)
 *   db_range_scan    rows/s through table_scan_range_bsatn over ranges of
 *                    1000 consecutive ids
 *   db_bytes_per_row table_memory / rows, for the table with only its
 *                    primary-key index, then with the name index too;
 *                    counted: row store pages and page table, every index
 *                    (btree_memory), the Table and its scratch buffers;
 *                    not counted: malloc's own per-block overhead
 *
 * Prints `bench NAME: VALUE UNIT` lines and, at the end, whether the
 * targets of issue 3 are met (>= 500k inserts/s, >= 1M lookups/s,
 * <= 3x the BSATN size per row with the primary key alone).
 *
 * Usage: dbbench [ROWS]   (default 1000000)
 *
 * Book: chapter 12, book/12-tables.md
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "db/tx.h"

#define ROW_BYTES 32
#define BATCH 1000
#define SCAN_LEN 1000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A bijection on u64 (odd multiplier): ids come in scrambled order. */
static uint64_t id_of(uint64_t i)
{
    return (i + 1) * 0x9E3779B97F4A7C15ull;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void make_row(uint8_t row[ROW_BYTES], uint64_t i)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t id = id_of(i), h = id * 0xD6E8FEB86659FD93ull;
    put_le(row, id, 8);
    put_le(row + 8, 16, 4);
    for (int k = 0; k < 16; k++)
        row[12 + k] = (uint8_t)hex[(h >> (4 * k)) & 15];
    put_le(row + 28, (uint32_t)i, 4);
}

static Table *make_table(Db *db, Typespace *ts, bool name_index)
{
    static const uint16_t c0[] = { 0 }, c1[] = { 1 };
    AlgType *row = typespace_new_type(ts, ALG_PRODUCT, 3);
    const char *names[] = { "id", "name", "score" };
    AlgKind kinds[] = { ALG_U64, ALG_STRING, ALG_U32 };
    for (int i = 0; i < 3; i++)
        row->members[i] = (AlgMember){ names[i], alg_prim(kinds[i]) };
    IndexSchema idx[] = { { NULL, INDEX_BTREE, c0, 1 }, { NULL, INDEX_BTREE, c1, 1 } };
    UniqueSchema pk = { NULL, c0, 1 };
    TableSchema s = { .name = name_index ? "bench" : "bench_pk_only", .ts = ts, .row_type = row,
                      .primary_key = 0, .indexes = idx, .nindexes = name_index ? 2 : 1,
                      .uniques = &pk, .nuniques = 1 };
    uint32_t id;
    DbError err;
    if (db_create_table(db, &s, &id, &err) != ST_OK) {
        fprintf(stderr, "dbbench: %s\n", err.msg);
        exit(1);
    }
    return db_table(db, id);
}

static void die(const char *what, const DbError *err)
{
    fprintf(stderr, "dbbench: %s failed: %s\n", what, err->msg);
    exit(1);
}

/* Insert rows [0, n) in transactions of BATCH rows; returns seconds. */
static double fill(Db *db, Table *t, uint64_t n)
{
    uint8_t row[ROW_BYTES];
    DbError err;
    double t0 = now();
    for (uint64_t i = 0; i < n; i += BATCH) {
        if (tx_begin(db, &err) != ST_OK)
            die("tx_begin", &err);
        for (uint64_t j = i; j < i + BATCH && j < n; j++) {
            make_row(row, j);
            if (table_insert(t, row, ROW_BYTES, NULL, NULL, &err) != ST_OK)
                die("insert", &err);
        }
        if (tx_commit(db, NULL, &err) != ST_OK)
            die("commit", &err);
    }
    return now() - t0;
}

static double point_lookups(Table *t, uint64_t nrows, uint64_t n)
{
    RowList out;
    rowlist_init(&out);
    uint8_t key[8];
    DbError err;
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        put_le(key, id_of((i * 7919) % nrows), 8);
        rowlist_clear(&out);
        if (table_scan_point_bsatn(t, 0, key, 8, &out, &err) != ST_OK || out.count != 1)
            die("point lookup", &err);
    }
    double secs = now() - t0;
    rowlist_fini(&out);
    return secs;
}

/* Range scans of SCAN_LEN ids each: Included(lo) .. Excluded(hi) over the
 * sorted ids; returns seconds, *rows = rows returned. */
static double range_scans(Table *t, uint64_t nrows, uint64_t *rows)
{
    /* ids are spread evenly over u64, so [a, a + 2^54) holds about
     * nrows / 1024 of them: ranges of ~1000 rows for a million rows */
    RowList out;
    rowlist_init(&out);
    uint8_t lo[9], hi[9];
    DbError err;
    *rows = 0;
    double t0 = now();
    for (uint64_t i = 0; i < nrows / SCAN_LEN; i++) {
        uint64_t a = (i * 0x9E3779B97F4A7C15ull) & ~((1ull << 54) - 1);
        lo[0] = 0, hi[0] = 1;
        put_le(lo + 1, a, 8);
        put_le(hi + 1, a + (1ull << 54), 8);
        IndexRange r = { NULL, 0, 0, lo, 9, hi, 9 };
        rowlist_clear(&out);
        if (table_scan_range_bsatn(t, 0, &r, &out, &err) != ST_OK)
            die("range scan", &err);
        *rows += out.count;
    }
    double secs = now() - t0;
    rowlist_fini(&out);
    return secs;
}

static double bytes_per_row(const Table *t, const char *label, uint64_t n)
{
    TableMemory m;
    size_t total = table_memory(t, &m);
    double per = (double)total / (double)n;
    printf("# %s: rows %.1f + indexes %.1f + rowmap %.1f + other %.3f bytes/row\n", label,
           (double)m.rows / n, (double)m.indexes / n, (double)m.rowmap / n, (double)m.other / n);
    return per;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    if (n < SCAN_LEN)
        n = SCAN_LEN;
    Typespace ts;
    typespace_init(&ts);
    Db *db;
    if (db_new(&db) != ST_OK)
        return 1;
    Table *full = make_table(db, &ts, true), *pk = make_table(db, &ts, false);

    double secs = fill(db, full, n);
    double ins = (double)n / secs;
    printf("bench db_insert: %.0f rows/s\n", ins);
    double look = (double)n / point_lookups(full, n, n);
    printf("bench db_point_lookup: %.0f lookups/s\n", look);
    uint64_t rows;
    secs = range_scans(full, n, &rows);
    printf("bench db_range_scan: %.0f rows/s\n", (double)rows / secs);
    fill(db, pk, n);
    double per_pk = bytes_per_row(pk, "pk only", n);
    double per_full = bytes_per_row(full, "pk + name", n);
    printf("bench db_bytes_per_row_pk: %.1f bytes\n", per_pk);
    printf("bench db_bytes_per_row_pk_ratio: %.2f x\n", per_pk / ROW_BYTES);
    printf("bench db_bytes_per_row_pk_name: %.1f bytes\n", per_full);
    printf("bench db_bytes_per_row_pk_name_ratio: %.2f x\n", per_full / ROW_BYTES);

    printf("# targets: inserts >= 500000/s %s, lookups >= 1000000/s %s, memory <= 3x %s\n",
           ins >= 5e5 ? "met" : "NOT met", look >= 1e6 ? "met" : "NOT met",
           per_pk <= 3 * ROW_BYTES ? "met" : "NOT met");
    db_free(db);
    typespace_fini(&ts);
    return 0;
}
