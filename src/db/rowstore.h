/*
 * rowstore.h - where a table keeps its rows: slabs of fixed-size slots.
 *
 * A table stores each row as its exact BSATN bytes (so giving a row back
 * to a module, a subscriber or the commit log is a memcpy) under a RowId
 * that never changes while the row lives; indexes map keys to RowIds.
 * Allocating every row with its own malloc would cost 16+ bytes of
 * allocator overhead per row and scatter rows over the heap, so rows live
 * in PAGES, each cut into equal SLOTS of one SIZE CLASS:
 *
 *   pages[]:  [0] class 40 B  [1] class 24 B  [2] class 40 B ...
 *
 *   page 2:  | header | slot 0 | slot 1 | slot 2 | ... | slot n-1 |
 *                       \
 *                        u32 hdr: flags (4 bits) | length (28 bits), then
 *                        the row's BSATN bytes, padding to the slot size
 *
 *   RowId = page index << 16 | slot index
 *
 * A row of n bytes takes the smallest class with 4 + n <= slot size:
 * multiples of 8 up to 256 bytes, then eight classes per power of two
 * (waste < 12.5%).  Each class has a free list threaded through its free
 * slots (a free slot holds the FREE flag and the RowId of the next free
 * slot) and one "current" page that hands out never-used slots in order.
 * A class's pages double in size from 1 KiB to 64 KiB, so a table with a
 * few rows costs about 1 KiB, and a big one a 16-byte header per 64 KiB.
 * Pages are freed only by rowstore_clear; freed slots are reused by later
 * rows of their class.
 *
 * The flag bits belong to the table (table_int.h gives them meaning:
 * deleted in the open transaction, inserted by it, marked while building
 * a commit delta); the row store only sets and reads them.
 *
 * Invariants (rowstore_check): every slot below a page's `bump` is either
 * a row (FREE clear, length fits the slot) or on its class's free list,
 * exactly once; slots at or above `bump` are untouched; `nrows` counts
 * the non-free slots; `bytes` is the memory held.
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_DB_ROWSTORE_H
#define TINYSTDB_DB_ROWSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../util/status.h"

typedef uint64_t RowId;

#define ROWID_NONE UINT64_MAX
#define ROWSTORE_SLOT_BITS 16
/* Rows longer than this are refused (ST_LIMIT): the length has 28 bits. */
#define ROWSTORE_MAX_ROW ((size_t)(1u << 28) - 8)
#define ROWSTORE_NCLASSES 191

/* The slot header's flags (the upper 4 bits). */
#define ROW_FREE 0x80000000u      /* slot is on the free list */
#define ROW_LEN_MASK 0x0FFFFFFFu

typedef struct RowPage {
    uint32_t slot_size;           /* bytes per slot, header included */
    uint32_t nslots;
    uint32_t bump;                /* slots [0, bump) have been handed out */
    uint32_t sclass;              /* size class */
    uint8_t data[];               /* nslots * slot_size bytes */
} RowPage;

typedef struct RowClass {
    RowId free;                   /* first free slot, ROWID_NONE if none */
    uint32_t cur;                 /* page index + 1 of the bumping page, 0 = none */
    uint32_t npages;              /* pages of this class (sets the next page's size) */
} RowClass;

typedef struct RowStore {
    RowPage **pages;
    size_t npages, cap;
    size_t nrows;                 /* slots holding a row (any flags but FREE) */
    size_t bytes;                 /* pages + page table */
    RowClass classes[ROWSTORE_NCLASSES];
} RowStore;

void rowstore_init(RowStore *rs);
void rowstore_fini(RowStore *rs);
/* Free every page: all RowIds become invalid. */
void rowstore_clear(RowStore *rs);

/* A slot for a row of len bytes, filled with the bytes and `flags`.
 * ST_LIMIT if len > ROWSTORE_MAX_ROW, ST_NOMEM (nothing changed). */
Status rowstore_add(RowStore *rs, const uint8_t *row, size_t len, uint32_t flags, RowId *out);
/* Put the row's slot on its class's free list.  Never allocates. */
void rowstore_free(RowStore *rs, RowId id);

/* The slot's header word, or ROW_FREE for an id that names no slot. */
uint32_t rowstore_hdr(const RowStore *rs, RowId id);
void rowstore_set_flags(RowStore *rs, RowId id, uint32_t set, uint32_t clear);

/* The bytes of a valid, non-free slot. */
static inline const uint8_t *rowstore_bytes(const RowStore *rs, RowId id, size_t *len)
{
    const RowPage *pg = rs->pages[id >> ROWSTORE_SLOT_BITS];
    const uint8_t *slot = pg->data + (size_t)(id & 0xFFFF) * pg->slot_size;
    uint32_t hdr;
    memcpy(&hdr, slot, 4);
    *len = hdr & ROW_LEN_MASK;
    return slot + 4;
}

/* Walk the non-free slots in page and slot order: *pos starts at 0;
 * returns false at the end.  Safe while rows are added or freed, even
 * after rowstore_clear (a walk never crashes and never returns a slot
 * twice; it may or may not see rows added behind it). */
bool rowstore_next(const RowStore *rs, uint64_t *pos, RowId *id);

/* ST_OK, or ST_INVALID with a description. */
Status rowstore_check(const RowStore *rs, char *msg, size_t msglen);

#endif
