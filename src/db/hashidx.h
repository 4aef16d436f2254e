/*
 * hashidx.h - the hash index: a multimap from byte keys to row ids.
 *
 * A table keeps its rows under 64-bit row ids; an index maps the key of a
 * row (the order-preserving encoding of some of its columns, src/db/key.h)
 * to the row ids that have that key.  The B-tree (src/db/btree.h) answers
 * range questions; this index answers only "which rows have exactly this
 * key?", but in O(1) expected time, which is what a primary key lookup or a
 * unique-constraint check on insert needs.
 *
 *   key bytes --hashidx_hash--> 64-bit hash --low bits--> bucket
 *   bucket --> chain of entries, one entry per DISTINCT key
 *   entry  --> one row id (inline) or a sorted array of row ids
 *
 * Contract, in short:
 *   - The index stores a set of (key, rowid) pairs.  A key may have many
 *     row ids (non-unique index); a unique index calls
 *     hashidx_contains_key() before hashidx_insert().
 *   - Keys are copied; the caller's key buffer is never kept, EXCEPT by an
 *     iterator (see hashidx_find).
 *   - The table grows incrementally (two bucket arrays, a few buckets moved
 *     per insert or delete) so no single operation pays for rehashing a
 *     million entries.  It never shrinks its bucket array (book 11.6).
 *   - Every failure leaves the index holding exactly the pairs it held
 *     before (ST_NOMEM included).
 *
 * Book: chapter 11, book/11-hash-index.md
 */
#ifndef TINYSTDB_DB_HASHIDX_H
#define TINYSTDB_DB_HASHIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"

typedef struct HashIndex HashIndex;

/* Longest key accepted (bytes); longer keys give ST_LIMIT. */
#define HASHIDX_MAX_KEY 0x7fffffffu

/* An empty index (no memory besides the struct until the first insert);
 * NULL when out of memory.  Free with hashidx_free (NULL is a no-op). */
HashIndex *hashidx_new(void);
void hashidx_free(HashIndex *h);

/* Add the pair (key, rowid).  key[0..len) is copied (key may be NULL when
 * len is 0).  ST_EXISTS if this exact pair is present, ST_NOMEM, ST_LIMIT
 * for a key longer than HASHIDX_MAX_KEY; on any error nothing changed. */
Status hashidx_insert(HashIndex *h, const uint8_t *key, size_t len, uint64_t rowid);
/* Remove the pair (key, rowid); ST_NOT_FOUND if it is not present.
 * Never allocates, so never fails otherwise. */
Status hashidx_delete(HashIndex *h, const uint8_t *key, size_t len, uint64_t rowid);
/* True when at least one row id has this key; *rowid_out (may be NULL)
 * receives the smallest of them. */
bool hashidx_contains_key(const HashIndex *h, const uint8_t *key, size_t len, uint64_t *rowid_out);
/* Remove every pair and release the memory they used (the index stays
 * usable; iterators end). */
void hashidx_clear(HashIndex *h);

/* A point-lookup iterator.  Public so callers can embed it (no allocation,
 * no cleanup needed); the fields are private to hashidx.c. */
typedef struct HashIter {
    const HashIndex *h;
    const uint8_t *key;     /* borrowed from the hashidx_find caller */
    size_t len;
    uint64_t mods;          /* h's change counter when entry/pos were found */
    uint64_t last;          /* the last row id returned */
    uint32_t entry;         /* pool index of the key's entry, 0 = none */
    uint32_t pos;           /* index of the next row id within the entry */
    bool started;           /* at least one row id was returned */
    bool done;              /* the end was reached; next returns false */
} HashIter;

/* Start iterating over the row ids of key, in increasing order.
 * Caller must keep key[0..len) alive and unchanged until the iteration
 * ends: the iterator re-finds the key with it after a change.
 *
 * Changes during iteration are allowed and safe, with the B-tree's rule:
 * after any insert, delete or clear, the next hashidx_iter_next re-finds
 * the key and continues with the first row id greater than the last one
 * returned.  So no row id is returned twice, row ids added above the
 * current position are seen, and deleted ones are not. */
void hashidx_find(HashIndex *h, const uint8_t *key, size_t len, HashIter *it);
/* The next row id of the key; false at the end (and ever after). */
bool hashidx_iter_next(HashIter *it, uint64_t *rowid);

/* Number of (key, rowid) pairs, and of distinct keys. */
size_t hashidx_count(const HashIndex *h);
size_t hashidx_key_count(const HashIndex *h);

/* Check every structural invariant (book 11.8).  ST_OK, or ST_INVALID with
 * a description in msg (msg may be NULL), or ST_NOMEM if the checker's own
 * scratch bitmap could not be allocated. */
Status hashidx_check(const HashIndex *h, char *msg, size_t msglen);
/* Bytes of heap memory the index holds: bucket arrays, the entry pool,
 * key copies and row-id arrays (as requested from mem_alloc; the
 * allocator's own per-block overhead is not included). */
size_t hashidx_memory(const HashIndex *h);

/* Shape of the table, for tests, benchmarks and the book. */
typedef struct HashStats {
    size_t keys, rows;      /* distinct keys, (key, rowid) pairs */
    size_t buckets;         /* buckets of the main table */
    size_t new_buckets;     /* buckets of the table being filled, 0 = not rehashing */
    size_t rehash_next;     /* next main-table bucket to move while rehashing */
    size_t max_chain;       /* longest bucket chain, in entries (both tables) */
    size_t pool_slots;      /* entry slots allocated (used + free) */
} HashStats;
void hashidx_stats(const HashIndex *h, HashStats *out);

/* The hash function (book 11.3): 64 bits from key[0..len).  Deterministic
 * (no seed), fast for the 8-byte keys of u64 columns, good in every bit;
 * not resistant to deliberately colliding keys. */
uint64_t hashidx_hash(const uint8_t *key, size_t len);

#endif
