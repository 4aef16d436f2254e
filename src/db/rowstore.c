/*
 * rowstore.c - slab pages of row slots, one free list per size class.
 *
 * See rowstore.h for the layout.  The only arithmetic worth a second look
 * is the size-class mapping: up to 256 bytes a class every 8 bytes (rows
 * are small and common there), above that eight classes per power of two
 * so a slot wastes less than one eighth of itself.
 *
 *   slot bytes:  16 24 32 ... 256 | 288 320 ... 512 | 576 640 ... 1024 | ...
 *   class:        0  1  2 ...  30 |  31  32 ...  38 |  39  40 ...   46 | ...
 *
 * Book: chapter 12, book/12-tables.md
 */
#include "rowstore.h"

#include <assert.h>
#include <stdio.h>

#include "../util/alloc.h"

#define SMALL_CLASSES 31          /* 16, 24, ..., 256 */
#define PAGE_FIRST 1024           /* bytes of a class's first page */
#define PAGE_MAX (64 * 1024)      /* pages stop doubling here */

static unsigned log2_floor(size_t n)
{
    unsigned p = 0;
    while (n >>= 1)
        p++;
    return p;
}

/* The class of a slot that must hold n bytes (header included). */
static unsigned class_of(size_t n)
{
    if (n <= 256)
        return n <= 16 ? 0 : (unsigned)((n + 7) / 8 - 2);
    unsigned p = log2_floor(n - 1);               /* 2^p < n <= 2^(p+1) */
    size_t step = (size_t)1 << (p - 3);
    size_t k = (n - ((size_t)1 << p) + step - 1) / step;   /* 1..8 */
    return SMALL_CLASSES + (p - 8) * 8 + (unsigned)(k - 1);
}

static size_t class_size(unsigned c)
{
    if (c < SMALL_CLASSES)
        return (size_t)(c + 2) * 8;
    unsigned q = c - SMALL_CLASSES, p = 8 + q / 8;
    return ((size_t)1 << p) + (size_t)(q % 8 + 1) * ((size_t)1 << (p - 3));
}

static uint8_t *slot_at(const RowStore *rs, RowId id)
{
    RowPage *pg = rs->pages[id >> ROWSTORE_SLOT_BITS];
    return pg->data + (size_t)(id & 0xFFFF) * pg->slot_size;
}

static uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

void rowstore_init(RowStore *rs)
{
    memset(rs, 0, sizeof *rs);
    for (unsigned c = 0; c < ROWSTORE_NCLASSES; c++)
        rs->classes[c].free = ROWID_NONE;
}

void rowstore_fini(RowStore *rs)
{
    for (size_t i = 0; i < rs->npages; i++)
        mem_free(rs->pages[i]);
    mem_free(rs->pages);
    rowstore_init(rs);
}

void rowstore_clear(RowStore *rs)
{
    rowstore_fini(rs);
}

/* A new, empty page for class c, appended to the page table. */
static Status new_page(RowStore *rs, unsigned c)
{
    RowClass *rc = &rs->classes[c];
    size_t size = class_size(c);
    size_t bytes = (size_t)PAGE_FIRST << (rc->npages < 6 ? rc->npages : 6);
    size_t nslots = bytes / size ? bytes / size : 1;
    if (rs->npages == rs->cap) {
        size_t ncap = rs->cap ? rs->cap * 2 : 8;
        RowPage **grown = mem_realloc_array(rs->pages, ncap, sizeof *grown);
        if (!grown)
            return ST_NOMEM;
        rs->bytes += (ncap - rs->cap) * sizeof *grown;
        rs->pages = grown;
        rs->cap = ncap;
    }
    if (rs->npages >> (64 - ROWSTORE_SLOT_BITS))
        return ST_LIMIT;
    RowPage *pg = mem_alloc(sizeof *pg + nslots * size);
    if (!pg)
        return ST_NOMEM;
    pg->slot_size = (uint32_t)size;
    pg->nslots = (uint32_t)nslots;
    pg->bump = 0;
    pg->sclass = c;
    rs->pages[rs->npages++] = pg;
    rs->bytes += sizeof *pg + nslots * size;
    rc->npages++;
    rc->cur = (uint32_t)rs->npages;
    return ST_OK;
}

/* A slot of class c: from the free list, else the current page's next
 * unused slot, else a new page. */
static Status take_slot(RowStore *rs, unsigned c, RowId *out)
{
    RowClass *rc = &rs->classes[c];
    if (rc->free != ROWID_NONE) {
        *out = rc->free;
        memcpy(&rc->free, slot_at(rs, *out) + 4, sizeof rc->free);
        return ST_OK;
    }
    if (rc->cur == 0 || rs->pages[rc->cur - 1]->bump == rs->pages[rc->cur - 1]->nslots) {
        Status st = new_page(rs, c);
        if (st != ST_OK)
            return st;
    }
    RowPage *pg = rs->pages[rc->cur - 1];
    *out = (RowId)(rc->cur - 1) << ROWSTORE_SLOT_BITS | pg->bump++;
    return ST_OK;
}

Status rowstore_add(RowStore *rs, const uint8_t *row, size_t len, uint32_t flags, RowId *out)
{
    if (len > ROWSTORE_MAX_ROW)
        return ST_LIMIT;
    RowId id;
    Status st = take_slot(rs, class_of(4 + len), &id);
    if (st != ST_OK)
        return st;
    uint8_t *slot = slot_at(rs, id);
    uint32_t hdr = (flags & ~ROW_LEN_MASK & ~ROW_FREE) | (uint32_t)len;
    memcpy(slot, &hdr, 4);
    if (len)
        memcpy(slot + 4, row, len);
    rs->nrows++;
    *out = id;
    return ST_OK;
}

void rowstore_free(RowStore *rs, RowId id)
{
    uint8_t *slot = slot_at(rs, id);
    assert(!(load32(slot) & ROW_FREE));
    RowClass *rc = &rs->classes[rs->pages[id >> ROWSTORE_SLOT_BITS]->sclass];
    uint32_t hdr = ROW_FREE;
    memcpy(slot, &hdr, 4);
    memcpy(slot + 4, &rc->free, sizeof rc->free);
    rc->free = id;
    rs->nrows--;
}

uint32_t rowstore_hdr(const RowStore *rs, RowId id)
{
    size_t page = id >> ROWSTORE_SLOT_BITS;
    if (id == ROWID_NONE || page >= rs->npages || (id & 0xFFFF) >= rs->pages[page]->bump)
        return ROW_FREE;
    return load32(slot_at(rs, id));
}

void rowstore_set_flags(RowStore *rs, RowId id, uint32_t set, uint32_t clear)
{
    uint8_t *slot = slot_at(rs, id);
    uint32_t hdr = (load32(slot) | set) & ~clear;
    memcpy(slot, &hdr, 4);
}

bool rowstore_next(const RowStore *rs, uint64_t *pos, RowId *id)
{
    size_t page = *pos >> ROWSTORE_SLOT_BITS;
    uint32_t slot = (uint32_t)(*pos & 0xFFFF);
    while (page < rs->npages) {
        const RowPage *pg = rs->pages[page];
        for (; slot < pg->bump; slot++) {
            RowId cand = (RowId)page << ROWSTORE_SLOT_BITS | slot;
            if (!(load32(slot_at(rs, cand)) & ROW_FREE)) {
                *id = cand;
                *pos = cand + 1;
                return true;
            }
        }
        page++, slot = 0;
    }
    *pos = (uint64_t)page << ROWSTORE_SLOT_BITS;
    return false;
}

/* Follow each free list, checking each entry is a free slot of its class,
 * and count them; the sum with the rows must be every handed-out slot. */
static Status check_free_lists(const RowStore *rs, size_t *nfree, char *msg, size_t msglen)
{
    size_t limit = 0;
    for (size_t i = 0; i < rs->npages; i++)
        limit += rs->pages[i]->bump;
    for (unsigned c = 0; c < ROWSTORE_NCLASSES; c++) {
        for (RowId id = rs->classes[c].free; id != ROWID_NONE;) {
            if (++*nfree > limit || rowstore_hdr(rs, id) != ROW_FREE ||
                rs->pages[id >> ROWSTORE_SLOT_BITS]->sclass != c) {
                snprintf(msg, msglen, "free list of class %u broken at row %llu", c,
                         (unsigned long long)id);
                return ST_INVALID;
            }
            memcpy(&id, slot_at(rs, id) + 4, sizeof id);
        }
    }
    return ST_OK;
}

Status rowstore_check(const RowStore *rs, char *msg, size_t msglen)
{
    char dummy[1];
    if (!msg)
        msg = dummy, msglen = sizeof dummy;
    size_t rows = 0, free_slots = 0, bytes = rs->cap * sizeof *rs->pages;
    for (size_t i = 0; i < rs->npages; i++) {
        const RowPage *pg = rs->pages[i];
        bytes += sizeof *pg + (size_t)pg->nslots * pg->slot_size;
        if (pg->bump > pg->nslots || class_size(pg->sclass) != pg->slot_size) {
            snprintf(msg, msglen, "page %zu: bad shape", i);
            return ST_INVALID;
        }
        for (uint32_t s = 0; s < pg->bump; s++) {
            uint32_t hdr = load32(pg->data + (size_t)s * pg->slot_size);
            if (hdr & ROW_FREE) {
                free_slots++;
            } else if ((hdr & ROW_LEN_MASK) + 4 > pg->slot_size ||
                       class_of(4 + (hdr & ROW_LEN_MASK)) != pg->sclass) {
                snprintf(msg, msglen, "page %zu slot %u: length %u in the wrong class", i, s,
                         hdr & ROW_LEN_MASK);
                return ST_INVALID;
            } else {
                rows++;
            }
        }
    }
    size_t listed = 0;
    Status st = check_free_lists(rs, &listed, msg, msglen);
    if (st != ST_OK)
        return st;
    if (rows != rs->nrows || listed != free_slots || bytes != rs->bytes) {
        snprintf(msg, msglen, "counts: %zu rows (says %zu), %zu free (%zu listed), %zu bytes (says %zu)",
                 rows, rs->nrows, free_slots, listed, bytes, rs->bytes);
        return ST_INVALID;
    }
    return ST_OK;
}
