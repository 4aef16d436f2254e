/*
 * table_int.h - the Table's private structure, shared by table.c (schema),
 * table_write.c (insert, update, delete), table_scan.c (cursors, scans),
 * table_tx.c (undo log, commit, rollback) and table_check.c.  Nothing else
 * includes it.
 *
 * Row states.  A slot of the row store is free, or holds a row whose
 * header flags say:
 *
 *   live            visible; in every index once, under its key
 *   live + TXNEW    visible, inserted by the open transaction
 *   DEAD            deleted by the open transaction: invisible to every
 *                   read, but still in its slot and still in every index,
 *                   so rollback only clears a flag and commit only deletes
 *   (MARK is scratch for table_tx_delta and table_check)
 *
 * Keeping DEAD rows indexed until commit means neither commit nor rollback
 * has to insert into an index, and so neither can run out of memory: they
 * only clear flags, delete index entries and free slots.
 *
 * Invariants (table_check verifies each):
 *   T1 every non-free row is in every index exactly once, under its key,
 *      and indexes hold nothing else (count = live + dead rows)
 *   T2 in an index backing a unique constraint no two LIVE rows share a key
 *   T3 no two non-free rows have identical bytes (a table is a set; a row
 *      deleted and inserted again in one transaction is brought back, not
 *      copied)
 *   T4 rowmap exists exactly when no index is unique, and maps
 *      hash(row bytes) -> RowId for every non-free row
 *   T5 DEAD and TXNEW occur only inside a transaction; every row they
 *      mark appears in the undo log
 *   T6 nlive / ndead count the live / DEAD rows; sequences hold
 *      min <= value <= max
 *   K1 inside a transaction, keys.cap exceeds the key bytes of every row
 *      the transaction touched, so commit and rollback recompute keys
 *      without allocating
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_DB_TABLE_INT_H
#define TINYSTDB_DB_TABLE_INT_H

#include "bsatn.h"
#include "table.h"

/* Row header flags owned by the table (ROW_FREE belongs to the row store). */
#define ROW_DEAD 0x40000000u
#define ROW_TXNEW 0x20000000u
#define ROW_MARK 0x10000000u

typedef struct Index {
    char *name;
    IndexAlgo algo;
    uint16_t *cols;
    uint16_t ncols;
    char *unique;                 /* the unique constraint's name, NULL if not unique */
    BTree *bt;                    /* BTREE and DIRECT */
    HashIndex *hash;              /* HASH */
} Index;

/* One undo record: what to do to `row` to take a change back. */
typedef enum UndoOp {
    UNDO_INSERT,                  /* row was inserted: unindex and free it */
    UNDO_DELETE,                  /* row was live and became DEAD: clear DEAD */
    UNDO_REVIVE,                  /* row was DEAD and came back: set DEAD again */
} UndoOp;

typedef struct UndoRec {
    RowId row;
    UndoOp op;
} UndoRec;

struct Table {
    char *name;
    const Typespace *ts;
    const AlgType *row_type;      /* resolved product */
    const AlgType **coltypes;     /* resolved type of each column */
    uint32_t ncols;
    int primary_key;
    bool is_public;
    char *schedule_reducer;
    uint16_t schedule_at_col;
    Index *indexes;
    uint32_t nindexes;
    int same_index;               /* a unique index, used to find identical rows; -1: rowmap */
    HashIndex *rowmap;            /* hash(row) -> RowId, when no index is unique */
    Sequence *seqs;
    uint32_t nseqs;
    RowStore rows;
    uint64_t nlive, ndead;
    bool in_tx;
    VEC(UndoRec) undo;
    /* scratch, reused by every operation */
    BsatnSpan *spans;             /* ncols column spans of the row at hand */
    StrBuf rowbuf;                /* the row being inserted, after sequences */
    StrBuf keys;                  /* the row's key in each index, back to back */
    size_t *keyend;               /* keyend[i]: end of index i's key in keys */
    uint16_t *generated;          /* columns filled by sequences */
    RowList txrows;               /* collect: rows inserted by the open tx */
    StrBuf lo, hi;                /* scans: the decoded key bounds (or point key in lo) */
    VEC(RowId) ids;               /* delete-by-range: the rows to delete */
};

enum { CURSOR_ALL, CURSOR_BTREE, CURSOR_HASH };

/* ---- shared helpers (table_write.c) ---- */

/* Spans of a row already known to be valid. */
void table_row_spans(const Table *t, const uint8_t *row, BsatnSpan *spans);
/* The row's key in every index into t->keys / t->keyend (ST_NOMEM, or
 * ST_LIMIT for a key longer than an index accepts). */
Status table_row_keys(Table *t, const uint8_t *row, const BsatnSpan *spans);
/* The same for a stored row. */
Status table_stored_keys(Table *t, RowId id);
/* Remove a stored row from every index and the rowmap, with its keys
 * already in t->keys.  Never allocates. */
void table_unindex(Table *t, RowId id, const uint8_t *row, size_t len);
/* hash(row bytes) as the rowmap's 8-byte key. */
void table_row_hash(const uint8_t *row, size_t len, uint8_t key[8]);
/* Delete the live row `id` (tombstone inside a tx); ST_NOMEM only. */
Status table_kill(Table *t, RowId id, DbError *err);
/* The frame of every write (table_write.c): op_begin opens a one-
 * operation transaction if none is open and returns the undo log's
 * length; op_end undoes back to it when st failed, commits the implicit
 * transaction, and returns st. */
size_t table_op_begin(Table *t, bool *implicit);
Status table_op_end(Table *t, Status st, size_t mark, bool implicit);
/* Make room for n more undo records. */
Status table_undo_reserve(Table *t, size_t n, DbError *err);

/* ---- table_tx.c ---- */
/* Undo the records [mark, len) of the undo log, newest first. */
void table_undo_to(Table *t, size_t mark);

/* ---- table_scan.c ---- */
/* A point cursor on index `index`, or on the rowmap when index < 0;
 * with_dead: also rows deleted by the open transaction. */
void table_cursor_key(Table *t, int index, const uint8_t *key, size_t len, bool with_dead,
                      TableCursor *c);
/* One probe: the smallest RowId with this key in index `index` (the
 * rowmap when < 0), or ROWID_NONE.  In a unique index, if that row is
 * live it is the only live one: no cursor is needed. */
RowId table_probe(const Table *t, int index, const uint8_t *key, size_t len);
/* The out-of-memory / limit error for a Status from a lower layer. */
Status table_fail(DbError *err, Status st, const Table *t);

static inline const uint8_t *key_of(const Table *t, uint32_t i, size_t *len)
{
    size_t start = i ? t->keyend[i - 1] : 0;
    *len = t->keyend[i] - start;
    return (const uint8_t *)t->keys.data + start;
}

static inline bool row_live(uint32_t hdr)
{
    return !(hdr & (ROW_FREE | ROW_DEAD));
}

#endif
