/*
 * table_tx.c - a table's undo log: commit, rollback, and the commit delta.
 *
 * While a transaction is open, every change to the table appends one
 * record saying how to take it back:
 *
 *   undo log:  [INSERT r7] [DELETE r2] [REVIVE r2] [INSERT r9] [DELETE r7]
 *                                                               ^ newest
 *   rollback:  walk newest to oldest, undoing each:
 *     INSERT r  -> remove r from the indexes, free its slot
 *     DELETE r  -> clear r's DEAD flag (it never left the indexes)
 *     REVIVE r  -> set r's DEAD flag again
 *   commit:    walk oldest to newest: free every row still DEAD (removing
 *              it from the indexes), clear TXNEW on the rows still live.
 *
 * Neither walk allocates: index deletes never allocate, and the keys of
 * every touched row fit in t->keys (invariant K1).  So a transaction can
 * always be finished, even when memory has run out.
 *
 * The same log gives statement atomicity for free: an operation that
 * fails halfway undoes the records it added (table_undo_to its mark).
 *
 * Book: chapter 13, book/13-transactions.md
 */
#include "table_int.h"

#include <assert.h>

#include "../util/alloc.h"

/* Keep at most this many undo records' memory between transactions. */
#define UNDO_KEEP 4096

void table_tx_begin(Table *t)
{
    assert(!t->in_tx && t->undo.len == 0 && t->ndead == 0);
    t->in_tx = true;
}

bool table_tx_dirty(const Table *t)
{
    return t->undo.len > 0;
}

/* Recompute a stored row's keys; K1 says this cannot need memory. */
static void keys_again(Table *t, RowId id)
{
    Status st = table_stored_keys(t, id);
    assert(st == ST_OK && "K1: the keys of a touched row fit in t->keys");
    (void)st;
}

/* Take a row out of the table for good: indexes, rowmap, slot. */
static void drop_row(Table *t, RowId id)
{
    keys_again(t, id);
    size_t len;
    const uint8_t *row = rowstore_bytes(&t->rows, id, &len);
    table_unindex(t, id, row, len);
    rowstore_free(&t->rows, id);
}

void table_undo_to(Table *t, size_t mark)
{
    for (size_t i = t->undo.len; i-- > mark;) {
        UndoRec r = t->undo.items[i];
        switch (r.op) {
        case UNDO_INSERT:
            drop_row(t, r.row);
            t->nlive--;
            break;
        case UNDO_DELETE:
            rowstore_set_flags(&t->rows, r.row, 0, ROW_DEAD);
            t->ndead--, t->nlive++;
            break;
        case UNDO_REVIVE:
            rowstore_set_flags(&t->rows, r.row, ROW_DEAD, 0);
            t->nlive--, t->ndead++;
            break;
        }
    }
    t->undo.len = mark;
}

static void end_tx(Table *t)
{
    t->undo.len = 0;
    t->in_tx = false;
    if (t->undo.cap > UNDO_KEEP)   /* a big transaction should not pin its log */
        vec_fini(&t->undo);
}

void table_tx_commit(Table *t)
{
    for (size_t i = 0; i < t->undo.len; i++) {
        RowId id = t->undo.items[i].row;
        uint32_t hdr = rowstore_hdr(&t->rows, id);
        if (hdr & ROW_FREE)
            continue;               /* a row logged twice, already dropped */
        if (hdr & ROW_DEAD) {
            drop_row(t, id);
            t->ndead--;
        } else {
            rowstore_set_flags(&t->rows, id, 0, ROW_TXNEW);
        }
    }
    end_tx(t);
}

void table_tx_rollback(Table *t)
{
    table_undo_to(t, 0);
    end_tx(t);
}

/* Rows may be logged several times; MARK makes each count once. */
static void clear_marks(Table *t)
{
    for (size_t i = 0; i < t->undo.len; i++)
        rowstore_set_flags(&t->rows, t->undo.items[i].row, 0, ROW_MARK);
}

Status table_tx_delta(Table *t, RowList *inserted, RowList *deleted)
{
    Status st = ST_OK;
    for (size_t i = 0; i < t->undo.len && st == ST_OK; i++) {
        RowId id = t->undo.items[i].row;
        uint32_t hdr = rowstore_hdr(&t->rows, id);
        if (hdr & ROW_MARK)
            continue;
        rowstore_set_flags(&t->rows, id, ROW_MARK, 0);
        size_t len;
        const uint8_t *row = rowstore_bytes(&t->rows, id, &len);
        bool dead = hdr & ROW_DEAD, fresh = hdr & ROW_TXNEW;
        if (!dead && fresh)         /* inserted, still there */
            st = rowlist_push(inserted, row, len);
        else if (dead && !fresh)    /* was there before, now deleted */
            st = rowlist_push(deleted, row, len);
        /* else: inserted and deleted again, or deleted and brought back */
    }
    clear_marks(t);
    return st;
}
