/*
 * tx.h - transactions over a whole database: begin, commit, rollback.
 *
 * A reducer call runs in one transaction (module-abi.md 7.1): it sees its
 * own writes at once, and at the end either everything it did becomes
 * permanent (commit) or nothing of it remains (rollback, on error or
 * trap).  The server is single-threaded, so there is one writer at a time
 * and no reader to isolate from: a transaction simply writes in place and
 * keeps an undo log per table (table_tx.c, chapter 13).
 *
 *   tx_begin ──> inserts, updates, deletes (each logged) ──> tx_commit ──> TxDelta
 *                                                      └──> tx_rollback (all undone)
 *
 * Rollback restores every row at its RowId and every index entry, so a
 * full scan and every index read exactly as before.  Sequences are not
 * rolled back: values a failed transaction took stay taken, as in
 * SpacetimeDB ("Rollback does not rewind sequences", module-abi.md 7.1).
 *
 * The delta.  tx_commit reports the transaction's NET effect, per table
 * that changed, as BSATN rows:
 *
 *   TxDelta
 *     tables[0]  table_id 4097  inserts: RowList  deletes: RowList
 *     tables[1]  table_id 4099  ...                      (table id order)
 *
 *   - an update shows as the old row deleted and the new row inserted;
 *   - a row inserted then deleted in the transaction appears nowhere;
 *   - a row deleted then inserted again (identical bytes) appears nowhere;
 *   - a table whose changes cancel out does not appear at all.
 *
 * Consumers: subscriptions (issue 6) evaluate queries over inserts and
 * deletes; the commit log (issue 8) writes them as one record.  Rows
 * within a list are in the order the transaction first touched them.
 *
 * Book: chapter 13, book/13-transactions.md
 */
#ifndef TINYSTDB_DB_TX_H
#define TINYSTDB_DB_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "rowlist.h"

typedef struct TxTableDelta {
    uint32_t table_id;
    Table *table;
    RowList inserts;              /* rows the transaction added, still present */
    RowList deletes;              /* rows present before it, now gone */
} TxTableDelta;

typedef struct TxDelta {
    TxTableDelta *tables;         /* only tables with a net change, by table id */
    size_t ntables, cap;
} TxDelta;

void tx_delta_init(TxDelta *d);
void tx_delta_fini(TxDelta *d);
/* Empty the delta, keeping its memory for the next commit. */
void tx_delta_clear(TxDelta *d);

/* Open the transaction.  ST_ARG if one is open already (one writer). */
Status tx_begin(Db *db, DbError *err);
bool tx_is_open(const Db *db);
/* Compute the delta into *delta (may be NULL: not wanted), then make the
 * changes permanent.  ST_NOMEM while computing the delta leaves the
 * transaction open and unchanged (roll it back, or retry); once the delta
 * exists, commit cannot fail. */
Status tx_commit(Db *db, TxDelta *delta, DbError *err);
/* Undo everything since tx_begin.  Never fails. */
void tx_rollback(Db *db);

#endif
