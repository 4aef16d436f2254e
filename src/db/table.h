/*
 * table.h - a table: typed rows, indexes, unique constraints, sequences.
 *
 * A table is a SET of rows of one product type (module-abi.md 7.3).  Each
 * row is kept as its exact BSATN bytes in a RowStore slot under a RowId;
 * every index maps the order-preserving key of some columns (key.h) to
 * RowIds, in a B-tree (ordered: point, prefix and range scans) or a hash
 * index (point lookups only).
 *
 *        insert(row bytes)
 *              |  validate against the row type      -> BSATN_DECODE_ERROR
 *              |  sequences: columns equal to 0 get the next value
 *              |  identical row present?             -> no-op, success
 *              |  unique keys free?                  -> UNIQUE_ALREADY_EXISTS
 *              v
 *   RowStore [slot: row bytes] <--RowId-- BTree (key, RowId) / HashIndex
 *
 * Every operation here has SpacetimeDB's semantics for the ABI call that
 * needs it (module-abi.md 1.4-1.7, 7.2-7.3); the comment of each function
 * names the call.  A failed operation changes nothing, except that
 * sequence values it took stay taken (as in SpacetimeDB).
 *
 * Transactions.  Between table_tx_begin and table_tx_commit/rollback
 * (driven for a whole database by tx.h) every change is recorded in the
 * table's undo log, and a deleted row stays in its slot and in the
 * indexes, flagged DEAD, until commit; see table_int.h and chapter 13.
 * Outside a transaction changes are immediate and permanent (used when
 * loading a database and by benchmarks).
 *
 * Reading.  Two ways, with different stability:
 *   - table_collect_* / table_scan_*_bsatn copy the matching rows into a
 *     RowList: a snapshot at call time, unaffected by later writes.  This
 *     is what module row iterators need (module-abi.md 1.5).  Inside a
 *     transaction the rows it inserted come first, then the others.
 *   - TableCursor visits matching rows in place, for internal use (SQL,
 *     subscriptions).  It never crashes or repeats a row when the table
 *     changes under it, but it sees the changes (a row inserted ahead of
 *     it may appear); the row pointer it returns is valid until the next
 *     change to the table.
 *
 * Errors: each fallible function returns a Status and fills the DbError
 * with the errno a module would get (dberror.h).  Errors SpacetimeDB does
 * not map to an errno (out of memory, a key longer than an index accepts,
 * a bad argument from our own caller) carry DBE_HOST_CALL_FAILURE: the
 * host turns those into a trap.
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_DB_TABLE_H
#define TINYSTDB_DB_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/vec.h"
#include "btree.h"
#include "dberror.h"
#include "hashidx.h"
#include "rowlist.h"
#include "rowstore.h"
#include "sequence.h"
#include "types.h"

/* RawIndexAlgorithm's tags.  DIRECT (an array indexed by a small unsigned
 * value in SpacetimeDB) is served by a B-tree: the big-endian key of an
 * unsigned integer sorts numerically, so the B-tree answers the range
 * scans SpacetimeDB allows on direct indexes, and no second structure is
 * needed for what is only a speed trick. */
typedef enum IndexAlgo { INDEX_BTREE = 0, INDEX_HASH = 1, INDEX_DIRECT = 2 } IndexAlgo;

typedef struct IndexSchema {
    const char *name;             /* NULL: "{table}_{cols}_idx_{btree|hash|direct}" */
    IndexAlgo algo;
    const uint16_t *cols;         /* key columns, in key order */
    uint16_t ncols;
} IndexSchema;

typedef struct UniqueSchema {
    const char *name;             /* NULL: "{table}_{cols}_key" */
    const uint16_t *cols;         /* an index over exactly this column set must exist */
    uint16_t ncols;
} UniqueSchema;

#define TABLE_NO_PK (-1)

typedef struct TableSchema {
    const char *name;
    const Typespace *ts;          /* borrowed: must outlive the table */
    const AlgType *row_type;      /* must resolve to a product */
    int primary_key;              /* a column with a unique constraint, or TABLE_NO_PK */
    const IndexSchema *indexes;
    uint32_t nindexes;
    const UniqueSchema *uniques;
    uint32_t nuniques;
    const SequenceSchema *sequences;
    uint32_t nsequences;
    bool is_public;               /* TableAccess: Public / Private */
    const char *schedule_reducer; /* scheduled table: the reducer; NULL otherwise */
    uint16_t schedule_at_col;
} TableSchema;

typedef struct Table Table;

/* Build an empty table (everything in s is copied except ts and the
 * types).  ST_INVALID with a message for a schema that breaks a rule of
 * module-abi.md 5.3 (column out of range, DIRECT on a non-small-unsigned
 * column, unique constraint without an index over its columns, primary
 * key without a unique constraint, sequence on a non-integer column or
 * twice on one column, min <= start <= max broken, duplicate names). */
Status table_new(const TableSchema *s, Table **out, DbError *err);
void table_free(Table *t);

/* ---- schema ---- */
typedef struct IndexInfo {
    const char *name;
    IndexAlgo algo;
    const uint16_t *cols;
    uint16_t ncols;
    const char *unique;           /* the unique constraint it backs, or NULL */
} IndexInfo;

const char *table_name(const Table *t);
const Typespace *table_typespace(const Table *t);
const AlgType *table_row_type(const Table *t);   /* resolved: a product */
int table_primary_key(const Table *t);
bool table_is_public(const Table *t);
const char *table_schedule_reducer(const Table *t);   /* NULL: not scheduled */
uint16_t table_schedule_at_col(const Table *t);       /* its ScheduleAt column */
uint32_t table_index_count(const Table *t);
void table_index_info(const Table *t, uint32_t index, IndexInfo *out);
/* Position of the index with this name, or -1. */
int table_index_by_name(const Table *t, const char *name, size_t len);
uint32_t table_sequence_count(const Table *t);
const Sequence *table_sequence(const Table *t, uint32_t i);
/* For the commit log (issue 8): restore a sequence's next value, which
 * must lie within its [min, max]. */
void table_sequence_set(Table *t, uint32_t i, I128 value);
/* "btree", "hash", "direct". */
const char *table_index_algo_name(IndexAlgo a);

/* ---- writes ---- */
typedef struct TableWrite {
    RowId rowid;                  /* the row (the existing one after a no-op) */
    bool changed;                 /* false: an identical row was already there */
    uint32_t ngenerated;          /* columns filled by sequences ... */
    const uint16_t *generated;    /* ... in column order; valid until the next write */
} TableWrite;

/* datastore_insert_bsatn.  row[0..len) must be one value of the row type
 * (BSATN_DECODE_ERROR).  Sequence columns holding 0 get generated values;
 * writeback (may be NULL) is cleared and receives the BSATN of the
 * product of the generated values (empty when none), what the host
 * writes back to the module.  An identical row present: success, nothing
 * changes.  A unique key taken: ST_EXISTS + UNIQUE_ALREADY_EXISTS,
 * nothing inserted.  res may be NULL. */
Status table_insert(Table *t, const uint8_t *row, size_t len, StrBuf *writeback,
                    TableWrite *res, DbError *err);
/* Insert row[0..len) exactly as given: as table_insert, but no sequence
 * runs (a 0 in an auto_inc column stays 0; res->ngenerated is 0).  For
 * rows that were inserted before - commit log replay and snapshot load
 * (chapter 27) - whose sequences are restored separately. */
Status table_insert_exact(Table *t, const uint8_t *row, size_t len, TableWrite *res,
                          DbError *err);
/* datastore_update_bsatn through index `index`: ST_INVALID +
 * INDEX_NOT_UNIQUE unless it backs a unique constraint; the row whose key
 * (in that index) equals the new row's is replaced (ST_NOT_FOUND +
 * NO_SUCH_ROW if none); other unique constraints are checked ignoring the
 * old row; a new row equal to the old one is a successful no-op.
 * Sequences and write-back as for insert. */
Status table_update(Table *t, uint32_t index, const uint8_t *row, size_t len,
                    StrBuf *writeback, TableWrite *res, DbError *err);
/* Delete the row equal to row[0..len) (validated); *deleted says whether
 * there was one. */
Status table_delete_row(Table *t, const uint8_t *row, size_t len, bool *deleted, DbError *err);
/* datastore_delete_all_by_eq_bsatn: rel is an Array of rows (u32 count,
 * rows); all are validated before any is deleted; *count = rows deleted. */
Status table_delete_eq_bsatn(Table *t, const uint8_t *rel, size_t len, uint64_t *count,
                             DbError *err);
/* Delete one live row by id (ST_NOT_FOUND if it is not one). */
Status table_delete_rowid(Table *t, RowId id, DbError *err);
/* datastore_clear: delete every row; *count (may be NULL) = rows deleted. */
Status table_clear(Table *t, uint64_t *count, DbError *err);

/* ---- reads ---- */

/* datastore_table_row_count: the rows visible now. */
uint64_t table_row_count(const Table *t);
/* The bytes of a live row, or NULL. */
const uint8_t *table_row(const Table *t, RowId id, size_t *len);
/* datastore_table_scan_bsatn: append every row to out. */
Status table_collect_all(Table *t, RowList *out, DbError *err);

/* The arguments of datastore_index_scan_range_bsatn (module-abi.md 1.6):
 * the BSATN of the first prefix_elems key columns, then Bound<T> for the
 * next key column at each end (tag 0 Included, 1 Excluded, 2 Unbounded). */
typedef struct IndexRange {
    const uint8_t *prefix;
    size_t prefix_len;
    uint32_t prefix_elems;
    const uint8_t *rstart;
    size_t rstart_len;
    const uint8_t *rend;
    size_t rend_len;
} IndexRange;

/* datastore_index_scan_range_bsatn: append the matching rows to out.
 * BSATN_DECODE_ERROR for bytes that do not decode or prefix_elems out of
 * range; WRONG_INDEX_ALGO (ST_INVALID) on a hash index. */
Status table_scan_range_bsatn(Table *t, uint32_t index, const IndexRange *r, RowList *out,
                              DbError *err);
/* datastore_delete_by_index_scan_range_bsatn: delete exactly those rows. */
Status table_delete_range_bsatn(Table *t, uint32_t index, const IndexRange *r,
                                uint64_t *count, DbError *err);
/* datastore_index_scan_point_bsatn: point = BSATN of the whole key (the
 * column's value, or the product of the key columns).  Any algorithm. */
Status table_scan_point_bsatn(Table *t, uint32_t index, const uint8_t *point, size_t len,
                              RowList *out, DbError *err);
/* datastore_delete_by_index_scan_point_bsatn. */
Status table_delete_point_bsatn(Table *t, uint32_t index, const uint8_t *point, size_t len,
                                uint64_t *count, DbError *err);

/* ---- cursors over keys (internal use) ---- */

/* The key of a row (valid BSATN of the row type) in an index, appended. */
Status table_index_key(const Table *t, uint32_t index, const uint8_t *row, size_t len,
                       StrBuf *out);

typedef struct TableCursor {
    Table *t;
    uint8_t kind;                 /* private: all rows, B-tree range, hash key */
    bool with_dead;               /* private: also rows deleted in the open tx */
    uint64_t pos;
    BTreeIter bt;
    HashIter hash;
} TableCursor;

/* Every live row, in RowId order. */
void table_cursor_all(Table *t, TableCursor *c);
/* Rows whose key in B-tree/DIRECT index `index` lies within [lo, hi] with
 * btree.h's bound rules, in key order.  WRONG_INDEX_ALGO on a hash index. */
Status table_cursor_range(Table *t, uint32_t index, BTreeBound lo, BTreeBound hi,
                          TableCursor *c, DbError *err);
/* Rows whose key equals key[0..len) exactly (any algorithm).  key must
 * be a whole key of the index (on a B-tree a shorter one would match as
 * a prefix).  The caller keeps key alive until the cursor is finished. */
void table_cursor_point(Table *t, uint32_t index, const uint8_t *key, size_t len,
                        TableCursor *c);
/* The next row; false at the end.  *row stays valid until the table changes. */
bool table_cursor_next(TableCursor *c, RowId *id, const uint8_t **row, size_t *len);
/* ST_OK, or why the cursor stopped early (ST_NOMEM copying a long key). */
Status table_cursor_status(const TableCursor *c);
void table_cursor_fini(TableCursor *c);

/* ---- transactions (driven by tx.c for every table of a Db) ---- */
void table_tx_begin(Table *t);
/* Did the open transaction change anything here? */
bool table_tx_dirty(const Table *t);
/* The net effect of the open transaction: rows it inserted that are still
 * there, rows that were there before it and are now deleted (appended to
 * the lists, in the order the transaction first touched them). */
Status table_tx_delta(Table *t, RowList *inserted, RowList *deleted);
/* Make the transaction's changes permanent / undo them all.  Never fail,
 * never allocate. */
void table_tx_commit(Table *t);
void table_tx_rollback(Table *t);

/* ---- checking and accounting ---- */

/* Every invariant of table_int.h: ST_OK or ST_INVALID and a message. */
Status table_check(Table *t, char *msg, size_t msglen);

typedef struct TableMemory {
    size_t rows;                  /* row store: pages and page table */
    size_t indexes;               /* every index (btree_memory / hashidx_memory) */
    size_t rowmap;                /* the identical-row hash, tables without a unique index */
    size_t other;                 /* the Table, schema copies, undo log, scratch buffers */
} TableMemory;
/* Heap bytes held, by part; returns the total. */
size_t table_memory(const Table *t, TableMemory *parts);

#endif
