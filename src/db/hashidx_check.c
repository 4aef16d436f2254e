/*
 * hashidx_check.c - looking inside the hash index: the invariant checker,
 * statistics and memory accounting.
 *
 * hashidx_check re-derives everything the index believes about itself
 * from the raw arrays and compares: it walks every chain of both bucket
 * arrays and the free list, marking each entry number in a bitmap, so an
 * entry reachable twice (a cycle, two chains sharing a tail, a chained
 * entry also on the free list) or never (a leaked slot) is caught.  For
 * each entry it checks the bucket its hash selects, that a lookup of its
 * key finds this very entry (so no key is stored twice, even across the
 * two arrays during a rehash), its key storage and its row ids.  Finally
 * the counters (keys, pairs, heap bytes, pool slots) must match what it
 * counted.  It is O(buckets + entries) and meant for tests.
 *
 * Book: chapter 11, book/11-hash-index.md
 */
#include <string.h>

#include "../util/alloc.h"
#include "dberror.h"
#include "hashidx_int.h"

/* ===== The checker ==================================================== */

typedef struct Checker {
    const HashIndex *h;
    char *msg;
    size_t msglen;
    uint8_t *seen;                      /* bitmap over entry numbers */
    size_t keys, rows, heap;            /* what the walk counted */
} Checker;

/* Every failure: the broken invariant goes into the caller's buffer. */
#define bad(c, ...) db_check_fail((c)->msg, (c)->msglen, __VA_ARGS__)

/* Mark entry number n as reached; false when it was reached before. */
static bool mark(Checker *c, uint32_t n)
{
    uint8_t bit = (uint8_t)(1u << (n & 7));
    if (c->seen[n >> 3] & bit)
        return false;
    c->seen[n >> 3] |= bit;
    return true;
}

/* Sizes and the rehash state. */
static Status check_shape(Checker *c)
{
    const HashIndex *h = c->h;
    for (int t = 0; t < 2; t++) {
        size_t size = h->t[t].size;
        if ((size == 0) != (h->t[t].buckets == NULL) || (size & (size - 1)) != 0
            || (size != 0 && size < MIN_BUCKETS))
            return bad(c, "table %d: bad size %zu", t, size);
    }
    if (h->t[1].buckets) {
        if (h->t[1].size != 2 * h->t[0].size || h->rehash_next >= h->t[0].size)
            return bad(c, "rehash: sizes %zu -> %zu, next bucket %zu", h->t[0].size,
                       h->t[1].size, h->rehash_next);
    } else if (h->rehash_next != 0) {
        return bad(c, "rehash_next %zu while not rehashing", h->rehash_next);
    }
    /* The first chunk doubles from FIRST_SLOTS to CHUNK_SLOTS; later ones are full size. */
    bool cap_ok = h->nchunks == 1
        ? h->cap >= FIRST_SLOTS && h->cap <= CHUNK_SLOTS && (h->cap & (h->cap - 1)) == 0
        : h->cap == h->nchunks * CHUNK_SLOTS;
    if (h->nchunks > h->chunks_cap || !cap_ok || h->used < 1 || h->used > (h->cap ? h->cap : 1))
        return bad(c, "pool: %zu chunks (cap %zu), %zu slots, %zu used", h->nchunks,
                   h->chunks_cap, h->cap, h->used);
    return ST_OK;
}

/* An entry's key storage and row ids. */
static Status check_entry(Checker *c, uint32_t n, const HashEntry *e)
{
    size_t len = entry_len(e);
    if (len <= INLINE_KEY) {
        for (size_t i = len; i < INLINE_KEY; i++)
            if (e->key.inl[i] != 0)
                return bad(c, "entry %u: inline key padding not zero", n);
    } else {
        if (!e->key.ptr)
            return bad(c, "entry %u: no key copy", n);
        c->heap += len;
    }
    c->keys++;
    if (!(e->lenbits & ENTRY_MANY)) {
        c->rows++;
        return ST_OK;
    }
    const RowSet *s = e->rows.set;
    if (!s || s->n < 2 || s->n > s->cap)
        return bad(c, "entry %u: bad row set", n);
    for (uint32_t i = 1; i < s->n; i++)
        if (s->ids[i - 1] >= s->ids[i])
            return bad(c, "entry %u: row ids not increasing at %u", n, i);
    c->rows += s->n;
    c->heap += rowset_bytes(s->cap);
    return ST_OK;
}

/* One chain: every entry new, in the right bucket, found by a lookup. */
static Status check_chain(Checker *c, int t, size_t b)
{
    const HashIndex *h = c->h;
    for (uint32_t n = h->t[t].buckets[b]; n; n = entry_at(h, n)->next) {
        if (n >= h->used || !mark(c, n))
            return bad(c, "table %d bucket %zu: entry %u out of range or reached twice", t, b, n);
        const HashEntry *e = entry_at(h, n);
        uint64_t hash = hashidx_hash(entry_key(e), entry_len(e));
        if ((hash & (h->t[t].size - 1)) != b)
            return bad(c, "entry %u is in bucket %zu of table %d, its hash says %zu", n, b, t,
                       (size_t)(hash & (h->t[t].size - 1)));
        const uint32_t *link = hashidx_find_link(h, entry_key(e), entry_len(e), hash);
        if (!link || *link != n)
            return bad(c, "entry %u: a lookup of its key finds entry %u", n, link ? *link : 0);
        Status st = check_entry(c, n, e);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Every chain of both tables, then the free list. */
static Status check_entries(Checker *c)
{
    const HashIndex *h = c->h;
    for (int t = 0; t < 2; t++) {
        for (size_t b = 0; b < h->t[t].size; b++) {
            if (t == 0 && h->t[1].buckets && b < h->rehash_next && h->t[0].buckets[b])
                return bad(c, "bucket %zu was moved by the rehash but is not empty", b);
            Status st = check_chain(c, t, b);
            if (st != ST_OK)
                return st;
        }
    }
    size_t nfree = 0;
    for (uint32_t n = h->free_list; n; n = entry_at(h, n)->next, nfree++)
        if (n >= h->used || !mark(c, n))
            return bad(c, "free list: entry %u out of range or reached twice", n);
    if (c->keys + nfree != h->used - 1)
        return bad(c, "%zu chained + %zu free entries, but %zu numbers handed out", c->keys,
                   nfree, h->used - 1);
    return ST_OK;
}

Status hashidx_check(const HashIndex *h, char *msg, size_t msglen)
{
    Checker c = {.h = h, .msg = msg, .msglen = msglen};
    if (msg && msglen)
        msg[0] = '\0';
    Status st = check_shape(&c);
    if (st != ST_OK)
        return st;
    c.seen = mem_calloc(h->used / 8 + 1, 1);
    if (!c.seen)
        return ST_NOMEM;
    st = check_entries(&c);
    mem_free(c.seen);
    if (st != ST_OK)
        return st;
    if (c.keys != h->nkeys || c.rows != h->nrows || c.heap != h->heap_bytes)
        return bad(&c, "counted %zu keys, %zu pairs, %zu heap bytes; index says %zu, %zu, %zu",
                   c.keys, c.rows, c.heap, h->nkeys, h->nrows, h->heap_bytes);
    return ST_OK;
}

/* ===== Statistics and memory ========================================== */

size_t hashidx_memory(const HashIndex *h)
{
    return sizeof *h + (h->t[0].size + h->t[1].size) * sizeof(uint32_t)
         + h->chunks_cap * sizeof(HashEntry *) + h->cap * sizeof(HashEntry) + h->heap_bytes;
}

void hashidx_stats(const HashIndex *h, HashStats *out)
{
    *out = (HashStats){.keys = h->nkeys, .rows = h->nrows, .buckets = h->t[0].size,
                       .new_buckets = h->t[1].size, .rehash_next = h->rehash_next,
                       .pool_slots = h->cap};
    for (int t = 0; t < 2; t++) {
        for (size_t b = 0; b < h->t[t].size; b++) {
            size_t chain = 0;
            for (uint32_t n = h->t[t].buckets[b]; n; n = entry_at(h, n)->next)
                chain++;
            if (chain > out->max_chain)
                out->max_chain = chain;
        }
    }
}
