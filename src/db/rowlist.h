/*
 * rowlist.h - a list of whole rows as one byte buffer plus row ends.
 *
 * Rows leave the storage engine in three places: an index or table scan
 * for a module (module-abi.md 1.5: the result is materialised when the
 * scan starts, then handed out in chunks of whole rows), a transaction's
 * inserted and deleted rows for subscribers and the commit log, and the
 * rows a test wants to compare.  All three want the same thing: rows'
 * BSATN bytes back to back (exactly what a module reads), plus where each
 * row ends so that a consumer can cut chunks or visit rows without
 * decoding them.
 *
 *   bytes: | row 0 ....... | row 1 .. | row 2 ........... |
 *   ends:                  ^ends[0]   ^ends[1]            ^ends[2] == bytes.len
 *
 * Invariant: ends never decreases (rows of the empty product type are 0
 * bytes, so two ends may be equal), and the last end is bytes.len.
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_DB_ROWLIST_H
#define TINYSTDB_DB_ROWLIST_H

#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"
#include "../util/vec.h"

typedef struct RowList {
    StrBuf bytes;                 /* the rows' BSATN, concatenated */
    size_t *ends;                 /* ends[i]: offset just past row i */
    size_t count, cap;
} RowList;

void rowlist_init(RowList *l);
void rowlist_fini(RowList *l);
/* Forget the rows, keep the memory. */
void rowlist_clear(RowList *l);
/* Keep only the first `count` rows. */
void rowlist_truncate(RowList *l, size_t count);
/* Append one row (copied).  ST_NOMEM leaves the list as it was. */
Status rowlist_push(RowList *l, const uint8_t *row, size_t len);
/* Append every row of src. */
Status rowlist_append(RowList *l, const RowList *src);
/* Row i (i < count). */
const uint8_t *rowlist_get(const RowList *l, size_t i, size_t *len);

#endif
