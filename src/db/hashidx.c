/*
 * hashidx.c - the hash index: chained buckets over an entry pool, one entry
 * per distinct key, and incremental (Redis-style) rehashing.
 *
 * Layout.  A bucket array holds 32-bit entry NUMBERS (0 = empty chain).
 * Entries live in a pool of chunks and link to the next entry of their
 * chain by number.  Numbers instead of pointers halve the links, and let
 * the pool move its first chunk (which grows by realloc while the index is
 * small) without breaking a chain or an iterator.
 *
 *   t[0].buckets (size 4)      pool: entry number -> HashEntry (24 bytes)
 *   +---+                      #1 [next 0 | len 8  | "\0..\0\x07" | row 7 ]
 *   | 0 |                      #2 [next 0 | len 11 | ->"player-0042" | ->set]
 *   | 3 |-->#3-->#1            #3 [next 1 | len 8  | "\0..\0\x2a" | row 42]
 *   | 2 |-->#2                 #4 [next 0 | (free list) ]
 *   | 0 |                                              set: n=3 cap=4
 *   +---+                                              [3, 9, 12, -]
 *
 * An entry stores its key once: inline (zero-padded) when it has at most 8
 * bytes, which covers every integer column, else in a mem_alloc'd copy.
 * Its row ids are one inline u64, or (flag ENTRY_MANY) a RowSet, a sorted
 * array: a key with k rows costs one entry plus 8k bytes, duplicate
 * checks are binary searches, and iteration is in row-id order.
 *
 * Growing.  When the keys would outnumber the buckets, a second array
 * t[1] of twice the size is allocated, and from then on every insert and
 * delete first moves REHASH_STEP buckets of t[0] into t[1] (rehash_step).
 * New keys go straight into t[1]; lookups look in both arrays (buckets
 * already moved are empty).  When the last bucket has moved, t[1] becomes
 * t[0].  Doubling at load 1 and moving 4 buckets per operation finishes a
 * rehash of S buckets within S/4 operations, long before the S more
 * inserts that would call for the next one, so at most two arrays ever
 * exist.  The bucket array never shrinks; emptied pool slots go onto a free
 * list for reuse.
 *
 * Invariants (all checked by hashidx_check):
 *   - t[0].size is 0 or a power of two >= MIN_BUCKETS; while rehashing
 *     (t[1].buckets != NULL) t[1].size == 2 * t[0].size and the t[0]
 *     buckets below rehash_next are empty.
 *   - every entry sits in the chain its hash selects, in t[0] or t[1], and
 *     is the entry a lookup of its key finds (so no key appears twice);
 *   - a RowSet holds 2..cap strictly increasing row ids;
 *   - chained entries + free-listed entries == pool numbers handed out - 1
 *     (number 0 is never used), and nkeys, nrows, heap_bytes match.
 *
 * Book: chapter 11, book/11-hash-index.md
 */
#include "hashidx_int.h"

#include <string.h>

#include "../util/alloc.h"

/* ===== The hash function ============================================== */

/* A 64-bit mixer: each step is invertible (xor-shift, multiply by an odd
 * constant), so distinct inputs give distinct outputs, and flipping any
 * input bit flips each output bit with probability close to 1/2 (the
 * "avalanche" property; test_hash_avalanche measures it).  The constants
 * are those of Stafford's "Mix13", the finalizer of splitmix64. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    x ^= x >> 31;
    return x;
}

/* n <= 8 bytes as a little-endian word, zero-padded.  Written byte by byte
 * so the result does not depend on the machine (compilers turn the 8-byte
 * case into one load). */
static uint64_t load_word(const uint8_t *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return w;
}

/* The length seeds the state (so "ab" and "ab\0" differ), then each 8-byte
 * word is folded in with one mix; the last 0..8 bytes form the last word.
 * An 8-byte key costs exactly one mix64, and two keys of the same length
 * <= 8 never share a 64-bit hash (mix64 is a bijection). */
uint64_t hashidx_hash(const uint8_t *key, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15u * ((uint64_t)len + 1);
    while (len > 8) {
        h = mix64(h ^ load_word(key, 8));
        key += 8;
        len -= 8;
    }
    return mix64(h ^ load_word(key, len));
}

/* ===== The entry pool ================================================= */

/* Room for more entries.  The first chunk doubles (16, 32, ... 1024 slots)
 * so a small index stays small; after that whole chunks are added, so a
 * big pool is never copied. */
static Status pool_grow(HashIndex *h)
{
    if (h->nchunks == 1 && h->cap < CHUNK_SLOTS) {
        HashEntry *c = mem_realloc_array(h->chunks[0], 2 * h->cap, sizeof *c);
        if (!c)
            return ST_NOMEM;
        h->chunks[0] = c;
        h->cap *= 2;
        return ST_OK;
    }
    if (h->cap > POOL_MAX - CHUNK_SLOTS)
        return ST_LIMIT;
    if (h->nchunks == h->chunks_cap) {
        size_t ncap = h->chunks_cap ? 2 * h->chunks_cap : 4;
        HashEntry **d = mem_realloc_array(h->chunks, ncap, sizeof *d);
        if (!d)
            return ST_NOMEM;
        h->chunks = d;
        h->chunks_cap = ncap;
    }
    size_t slots = h->nchunks ? CHUNK_SLOTS : FIRST_SLOTS;
    HashEntry *c = mem_alloc_array(slots, sizeof *c);
    if (!c)
        return ST_NOMEM;
    h->chunks[h->nchunks++] = c;
    h->cap += slots;
    return ST_OK;
}

/* A free entry number in *out (contents undefined). */
static Status pool_take(HashIndex *h, uint32_t *out)
{
    if (h->free_list) {
        *out = h->free_list;
        h->free_list = entry_at(h, *out)->next;
        return ST_OK;
    }
    if (h->used >= h->cap) {
        Status st = pool_grow(h);
        if (st != ST_OK)
            return st;
    }
    *out = (uint32_t)h->used++;
    return ST_OK;
}

static void pool_put(HashIndex *h, uint32_t n)
{
    entry_at(h, n)->next = h->free_list;
    h->free_list = n;
}

/* ===== Keys =========================================================== */

static bool key_equal(const HashEntry *e, const uint8_t *key, size_t len)
{
    return entry_len(e) == len && (len == 0 || memcmp(entry_key(e), key, len) == 0);
}

/* Copy the key into a fresh entry (lenbits without ENTRY_MANY). */
static Status key_store(HashIndex *h, HashEntry *e, const uint8_t *key, size_t len)
{
    e->lenbits = (uint32_t)len;
    if (len <= INLINE_KEY) {
        memset(e->key.inl, 0, INLINE_KEY);  /* the checker relies on the padding */
        if (len)
            memcpy(e->key.inl, key, len);
        return ST_OK;
    }
    e->key.ptr = mem_alloc(len);
    if (!e->key.ptr)
        return ST_NOMEM;
    memcpy(e->key.ptr, key, len);
    h->heap_bytes += len;
    return ST_OK;
}

/* ===== Row ids of one entry =========================================== */

/* The first position whose row id is >= rowid (binary search). */
static uint32_t rows_lower_bound(const HashEntry *e, uint64_t rowid)
{
    uint32_t lo = 0, hi = rows_count(e);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rows_at(e, mid) < rowid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Give e's RowSet capacity ncap (>= its n). */
static Status rowset_resize(HashIndex *h, HashEntry *e, uint32_t ncap)
{
    RowSet *s = mem_realloc(e->rows.set, rowset_bytes(ncap));
    if (!s)
        return ST_NOMEM;
    h->heap_bytes = h->heap_bytes - rowset_bytes(s->cap) + rowset_bytes(ncap);
    s->cap = ncap;
    e->rows.set = s;
    return ST_OK;
}

/* Second row id of a key: move the inline one into a new RowSet. */
static Status rows_make_set(HashIndex *h, HashEntry *e, uint64_t rowid)
{
    RowSet *s = mem_alloc(rowset_bytes(ROWSET_MIN));
    if (!s)
        return ST_NOMEM;
    uint64_t old = e->rows.one;
    s->n = 2;
    s->cap = ROWSET_MIN;
    s->ids[0] = old < rowid ? old : rowid;
    s->ids[1] = old < rowid ? rowid : old;
    e->rows.set = s;
    e->lenbits |= ENTRY_MANY;
    h->heap_bytes += rowset_bytes(ROWSET_MIN);
    return ST_OK;
}

/* Add rowid to an existing key, keeping the row ids sorted. */
static Status rows_add(HashIndex *h, HashEntry *e, uint64_t rowid)
{
    uint32_t pos = rows_lower_bound(e, rowid);
    if (pos < rows_count(e) && rows_at(e, pos) == rowid)
        return ST_EXISTS;
    if (!(e->lenbits & ENTRY_MANY))
        return rows_make_set(h, e, rowid);
    RowSet *s = e->rows.set;
    if (s->n == s->cap) {
        if (s->cap > UINT32_MAX / 2)
            return ST_LIMIT;
        Status st = rowset_resize(h, e, 2 * s->cap);
        if (st != ST_OK)
            return st;
        s = e->rows.set;
    }
    memmove(&s->ids[pos + 1], &s->ids[pos], (s->n - pos) * sizeof s->ids[0]);
    s->ids[pos] = rowid;
    s->n++;
    return ST_OK;
}

/* Remove the row id at pos from a RowSet.  Back to inline at one row id;
 * the array shrinks when three quarters empty (if that realloc fails the
 * bigger array is simply kept, so removal never fails). */
static void rows_remove(HashIndex *h, HashEntry *e, uint32_t pos)
{
    RowSet *s = e->rows.set;
    memmove(&s->ids[pos], &s->ids[pos + 1], (s->n - pos - 1) * sizeof s->ids[0]);
    s->n--;
    if (s->n == 1) {
        e->rows.one = s->ids[0];
        e->lenbits &= ~ENTRY_MANY;
        h->heap_bytes -= rowset_bytes(s->cap);
        mem_free(s);
    } else if (s->cap > 4 * ROWSET_MIN && s->n <= s->cap / 4) {
        (void)rowset_resize(h, e, s->cap / 2);
    }
}

/* Release what an entry owns besides its pool slot. */
static void entry_release(HashIndex *h, HashEntry *e)
{
    if (entry_len(e) > INLINE_KEY) {
        h->heap_bytes -= entry_len(e);
        mem_free(e->key.ptr);
    }
    if (e->lenbits & ENTRY_MANY) {
        h->heap_bytes -= rowset_bytes(e->rows.set->cap);
        mem_free(e->rows.set);
    }
}

/* ===== Lookup and incremental rehash ================================== */

/* Buckets of t[0] already moved are empty, so looking in both tables is
 * enough (declared in hashidx_int.h). */
uint32_t *hashidx_find_link(const HashIndex *h, const uint8_t *key, size_t len, uint64_t hash)
{
    for (int t = 0; t < 2; t++) {
        const HashTable *tab = &h->t[t];
        if (tab->size == 0)
            continue;
        uint32_t *link = &tab->buckets[hash & (tab->size - 1)];
        while (*link) {
            HashEntry *e = entry_at(h, *link);
            if (key_equal(e, key, len))
                return link;
            link = &e->next;
        }
    }
    return NULL;
}

static uint32_t find_entry(const HashIndex *h, const uint8_t *key, size_t len)
{
    uint32_t *link = hashidx_find_link(h, key, len, hashidx_hash(key, len));
    return link ? *link : 0;
}

static Status table_alloc(HashTable *tab, size_t size)
{
    tab->buckets = mem_calloc(size, sizeof *tab->buckets);  /* all chains empty */
    if (!tab->buckets)
        return ST_NOMEM;
    tab->size = size;
    return ST_OK;
}

/* Move every entry of t[0] bucket b to its bucket in t[1] (b or b + S). */
static void move_bucket(HashIndex *h, size_t b)
{
    uint32_t n = h->t[0].buckets[b];
    h->t[0].buckets[b] = 0;
    while (n) {
        HashEntry *e = entry_at(h, n);
        uint32_t next = e->next;
        size_t nb = hashidx_hash(entry_key(e), entry_len(e)) & (h->t[1].size - 1);
        e->next = h->t[1].buckets[nb];
        h->t[1].buckets[nb] = n;
        n = next;
    }
}

/* One slice of an incremental rehash, done at the start of every insert
 * and delete: move REHASH_STEP buckets; after the last, t[1] becomes t[0]. */
static void rehash_step(HashIndex *h)
{
    if (!h->t[1].buckets)
        return;
    for (int i = 0; i < REHASH_STEP && h->rehash_next < h->t[0].size; i++)
        move_bucket(h, h->rehash_next++);
    if (h->rehash_next == h->t[0].size) {
        mem_free(h->t[0].buckets);
        h->t[0] = h->t[1];
        h->t[1] = (HashTable){NULL, 0};
        h->rehash_next = 0;
    }
}

/* Called before a new key is added.  An empty index gets its first array
 * at once (there is nothing to move).  When the keys would outnumber the
 * buckets, a rehash into twice the buckets starts; if that allocation
 * fails, the insert goes on anyway: chains grow a little longer until a
 * later insert manages to grow. */
static Status maybe_grow(HashIndex *h)
{
    if (h->t[0].size == 0)
        return table_alloc(&h->t[0], MIN_BUCKETS);
    if (h->t[1].buckets || h->nkeys < h->t[0].size || h->t[0].size >= MAX_BUCKETS)
        return ST_OK;
    if (table_alloc(&h->t[1], 2 * h->t[0].size) == ST_OK)
        h->rehash_next = 0;
    return ST_OK;
}

/* A new key with its first row id; it goes into the table being filled. */
static Status add_entry(HashIndex *h, const uint8_t *key, size_t len, uint64_t hash,
                        uint64_t rowid)
{
    Status st = maybe_grow(h);
    uint32_t n;
    if (st != ST_OK || (st = pool_take(h, &n)) != ST_OK)
        return st;
    HashEntry *e = entry_at(h, n);
    if ((st = key_store(h, e, key, len)) != ST_OK) {
        pool_put(h, n);
        return st;
    }
    e->rows.one = rowid;
    HashTable *tab = h->t[1].buckets ? &h->t[1] : &h->t[0];
    uint32_t *bucket = &tab->buckets[hash & (tab->size - 1)];
    e->next = *bucket;
    *bucket = n;
    h->nkeys++;
    return ST_OK;
}

/* Unlink the entry *link names from its chain and free it. */
static void remove_entry(HashIndex *h, uint32_t *link)
{
    uint32_t n = *link;
    HashEntry *e = entry_at(h, n);
    *link = e->next;
    entry_release(h, e);
    pool_put(h, n);
    h->nkeys--;
}

/* ===== Public API ===================================================== */

HashIndex *hashidx_new(void)
{
    HashIndex *h = mem_calloc(1, sizeof *h);
    if (h)
        h->used = 1;            /* entry number 0 means "none" */
    return h;
}

void hashidx_clear(HashIndex *h)
{
    for (int t = 0; t < 2; t++) {
        for (size_t b = 0; b < h->t[t].size; b++)
            for (uint32_t n = h->t[t].buckets[b]; n; n = entry_at(h, n)->next)
                entry_release(h, entry_at(h, n));
        mem_free(h->t[t].buckets);
    }
    for (size_t i = 0; i < h->nchunks; i++)
        mem_free(h->chunks[i]);
    mem_free(h->chunks);
    uint64_t mods = h->mods;
    *h = (HashIndex){.used = 1, .mods = mods + 1};
}

void hashidx_free(HashIndex *h)
{
    if (!h)
        return;
    hashidx_clear(h);
    mem_free(h);
}

Status hashidx_insert(HashIndex *h, const uint8_t *key, size_t len, uint64_t rowid)
{
    if (len > HASHIDX_MAX_KEY)
        return ST_LIMIT;
    rehash_step(h);
    uint64_t hash = hashidx_hash(key, len);
    uint32_t *link = hashidx_find_link(h, key, len, hash);
    Status st = link ? rows_add(h, entry_at(h, *link), rowid)
                     : add_entry(h, key, len, hash, rowid);
    if (st == ST_OK) {
        h->nrows++;
        h->mods++;
    }
    return st;
}

Status hashidx_delete(HashIndex *h, const uint8_t *key, size_t len, uint64_t rowid)
{
    rehash_step(h);
    uint32_t *link = hashidx_find_link(h, key, len, hashidx_hash(key, len));
    if (!link)
        return ST_NOT_FOUND;
    HashEntry *e = entry_at(h, *link);
    uint32_t pos = rows_lower_bound(e, rowid);
    if (pos == rows_count(e) || rows_at(e, pos) != rowid)
        return ST_NOT_FOUND;
    if (e->lenbits & ENTRY_MANY)
        rows_remove(h, e, pos);
    else
        remove_entry(h, link);
    h->nrows--;
    h->mods++;
    return ST_OK;
}

bool hashidx_contains_key(const HashIndex *h, const uint8_t *key, size_t len, uint64_t *rowid_out)
{
    uint32_t n = find_entry(h, key, len);
    if (n && rowid_out)
        *rowid_out = rows_at(entry_at(h, n), 0);
    return n != 0;
}

/* ===== Iterators ====================================================== */

void hashidx_find(HashIndex *h, const uint8_t *key, size_t len, HashIter *it)
{
    *it = (HashIter){.h = h, .key = key, .len = len, .mods = h->mods};
    it->entry = find_entry(h, key, len);
}

/* The index changed since the iterator last looked: find the key again and
 * the first row id after the last one returned. */
static void reseek(HashIter *it)
{
    it->mods = it->h->mods;
    it->entry = find_entry(it->h, it->key, it->len);
    it->pos = 0;
    if (it->entry && it->started) {
        const HashEntry *e = entry_at(it->h, it->entry);
        it->pos = rows_lower_bound(e, it->last);
        if (it->pos < rows_count(e) && rows_at(e, it->pos) == it->last)
            it->pos++;
    }
}

bool hashidx_iter_next(HashIter *it, uint64_t *rowid)
{
    if (it->done)
        return false;
    if (it->mods != it->h->mods)
        reseek(it);
    const HashEntry *e = it->entry ? entry_at(it->h, it->entry) : NULL;
    if (!e || it->pos >= rows_count(e)) {
        it->done = true;
        return false;
    }
    it->last = *rowid = rows_at(e, it->pos++);
    it->started = true;
    return true;
}

size_t hashidx_count(const HashIndex *h)
{
    return h->nrows;
}

size_t hashidx_key_count(const HashIndex *h)
{
    return h->nkeys;
}
