/*
 * hashidx_int.h - the hash index's private data structures, shared by
 * hashidx.c (the algorithms) and hashidx_check.c (the invariant checker,
 * statistics and memory accounting).  Nothing outside those two files may
 * include it; everyone else uses hashidx.h.
 *
 * The layout and its invariants are described at the top of hashidx.c.
 *
 * Book: chapter 11, book/11-hash-index.md
 */
#ifndef TINYSTDB_DB_HASHIDX_INT_H
#define TINYSTDB_DB_HASHIDX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashidx.h"

/* ===== Data structures ================================================ */

#define INLINE_KEY 8                    /* keys this short live in the entry */
#define ENTRY_MANY 0x80000000u          /* lenbits flag: rows.set is in use */
#define MIN_BUCKETS 8                   /* first bucket array */
#define MAX_BUCKETS ((size_t)1 << 31)   /* 8 GiB of buckets: plenty */
#define REHASH_STEP 4                   /* t[0] buckets moved per operation */
#define CHUNK_SHIFT 10
#define CHUNK_SLOTS ((size_t)1 << CHUNK_SHIFT)  /* entries per pool chunk */
#define FIRST_SLOTS 16                  /* first chunk starts this small */
#define POOL_MAX ((size_t)UINT32_MAX)   /* entry numbers are 32-bit */
#define ROWSET_MIN 4                    /* first RowSet capacity */

/* Two or more row ids of one key, strictly increasing. */
typedef struct RowSet {
    uint32_t n, cap;                    /* 2 <= n <= cap */
    uint64_t ids[];                     /* ids[0..n) */
} RowSet;

typedef struct HashEntry {
    uint32_t next;                      /* next entry of the chain (or free list), 0 = end */
    uint32_t lenbits;                   /* key length, | ENTRY_MANY */
    union {
        uint8_t inl[INLINE_KEY];        /* len <= INLINE_KEY: the key, zero-padded */
        uint8_t *ptr;                   /* longer: a mem_alloc'd copy */
    } key;
    union {
        uint64_t one;                   /* the only row id */
        RowSet *set;                    /* ENTRY_MANY: two or more */
    } rows;
} HashEntry;

typedef struct HashTable {
    uint32_t *buckets;                  /* size entry numbers; NULL iff size == 0 */
    size_t size;                        /* 0 or a power of two */
} HashTable;

struct HashIndex {
    HashTable t[2];                     /* t[1] is in use only while rehashing */
    size_t rehash_next;                 /* next t[0] bucket to move */
    HashEntry **chunks;                 /* the pool: number n is chunks[n>>10][n&1023] */
    size_t nchunks, chunks_cap;
    size_t used;                        /* entry numbers handed out, counting 0 */
    size_t cap;                         /* entry slots allocated */
    uint32_t free_list;                 /* first free entry number, 0 = none */
    size_t nkeys, nrows;
    size_t heap_bytes;                  /* key copies + row sets */
    uint64_t mods;                      /* bumped by every change to the pairs */
};
/* ===== Accessors ===================================================== */

static inline HashEntry *entry_at(const HashIndex *h, uint32_t n)
{
    return &h->chunks[n >> CHUNK_SHIFT][n & (CHUNK_SLOTS - 1)];
}

static inline size_t entry_len(const HashEntry *e)
{
    return e->lenbits & ~ENTRY_MANY;
}

static inline const uint8_t *entry_key(const HashEntry *e)
{
    return entry_len(e) <= INLINE_KEY ? e->key.inl : e->key.ptr;
}

static inline size_t rowset_bytes(uint32_t cap)
{
    return sizeof(RowSet) + (size_t)cap * sizeof(uint64_t);
}

static inline uint32_t rows_count(const HashEntry *e)
{
    return (e->lenbits & ENTRY_MANY) ? e->rows.set->n : 1;
}

static inline uint64_t rows_at(const HashEntry *e, uint32_t i)
{
    return (e->lenbits & ENTRY_MANY) ? e->rows.set->ids[i] : e->rows.one;
}

/* ===== Shared by hashidx.c and hashidx_check.c ======================== */

/* The link (a bucket, or the `next` field of the previous entry) holding
 * the number of key's entry, or NULL when the key is absent.  hash must
 * be hashidx_hash(key, len). */
uint32_t *hashidx_find_link(const HashIndex *h, const uint8_t *key, size_t len, uint64_t hash);

#endif
