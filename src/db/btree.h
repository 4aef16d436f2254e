/*
 * btree.h - the ordered index: a B+tree of (key bytes, rowid) entries.
 *
 * A table keeps its rows under 64-bit row ids; an index maps the key of a
 * row (the order-preserving encoding of some of its columns, src/db/key.h)
 * to its row id.  The B-tree keeps its entries SORTED, so besides "which
 * rows have this key?" it answers range questions ("every player with
 * 10 <= level < 20", "every (guild, name) whose guild is 7") by walking
 * the entries in order.  It never sees column types: keys are byte
 * strings, compared with memcmp, a shorter key first when one is a prefix
 * of the other.
 *
 *   entries, in order:  ("ann",3) < ("ann",9) < ("bob",1) < ("bobby",2)
 *
 * Contract, in short:
 *   - The tree is a SET of (key, rowid) pairs ordered by (key, rowid), so
 *     one key may carry many row ids (a non-unique index).  A unique index
 *     asks btree_contains_key() before btree_insert().
 *   - Keys are copied into the tree; keys longer than BTREE_MAX_KEY bytes
 *     are refused with ST_LIMIT.
 *   - btree_insert can fail only with ST_EXISTS, ST_LIMIT or ST_NOMEM, and
 *     then the tree is exactly as before.  btree_delete never allocates and
 *     never fails except with ST_NOT_FOUND: rolling a transaction back
 *     deletes what it inserted, and that must not run out of memory.
 *   - Iterators survive changes to the tree (see btree_iter_next).
 *
 * The layout and its invariants are described in btree_int.h.
 *
 * Book: chapter 10, book/10-btree.md
 */
#ifndef TINYSTDB_DB_BTREE_H
#define TINYSTDB_DB_BTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"

/* Longest key accepted (bytes).  Three of the longest entries fit in a
 * 4 KiB leaf, which is what the split rules need (book 10.4). */
#define BTREE_MAX_KEY 1024

typedef struct BTree BTree;

typedef enum BoundKind { BOUND_INCLUDED, BOUND_EXCLUDED, BOUND_UNBOUNDED } BoundKind;
typedef struct BTreeBound { BoundKind kind; const uint8_t *key; size_t len; } BTreeBound;

/* An empty tree; NULL when out of memory.  btree_free(NULL) is a no-op. */
BTree *btree_new(void);
/* The same with small nodes, for tests that want deep trees from few
 * entries: inner nodes of at most `fanout` children (4..64) and leaves of
 * `leaf_bytes` bytes (64..4080).  The longest key is then smaller too:
 * see btree_max_key().  NULL on a bad argument or out of memory. */
BTree *btree_new_sized(unsigned fanout, size_t leaf_bytes);
void btree_free(BTree *t);

/* Entries are (key, rowid) pairs ordered by (memcmp key with shorter-first,
 * rowid).  key[0..len) is copied (key may be NULL when len is 0).
 * ST_EXISTS if this exact pair is present, ST_LIMIT if len > the tree's
 * maximum key length, ST_NOMEM; on any error nothing changed. */
Status btree_insert(BTree *t, const uint8_t *key, size_t len, uint64_t rowid);
/* Remove the pair; ST_NOT_FOUND if absent.  Never allocates. */
Status btree_delete(BTree *t, const uint8_t *key, size_t len, uint64_t rowid);
/* True when some entry has exactly this key; *rowid_out (may be NULL)
 * receives the smallest row id with it. */
bool btree_contains_key(const BTree *t, const uint8_t *key, size_t len, uint64_t *rowid_out);
size_t btree_count(const BTree *t);
/* Remove every entry and free all nodes but one.  Never fails. */
void btree_clear(BTree *t);
/* The longest key this tree accepts: BTREE_MAX_KEY, less for small nodes. */
size_t btree_max_key(const BTree *t);
/* Levels of inner nodes above the leaves (0: the root is a leaf). */
unsigned btree_height(const BTree *t);

/* Range bounds compare a key K with bound B on K's first len(B) bytes (K
 * truncated to len(B); a shorter K compares by memcmp then length).
 *   lo: INCLUDED trunc(K) >= B, EXCLUDED trunc(K) > B
 *   hi: INCLUDED trunc(K) <= B, EXCLUDED trunc(K) < B; UNBOUNDED: no limit.
 * With prefix-free column encodings this is exactly "prefix columns equal,
 * next column within bounds, later columns unconstrained" (module-abi.md
 * 1.6).  E.g. lo = hi = INCLUDED "ab" matches "ab", "abc", "ab\0", but not
 * "a" or "ac".  The bound bytes are copied: the caller may free them. */

/* Private: a key copy kept inside the iterator when it has at most
 * BTREE_ITER_SMALL bytes, else in a heap buffer of BTREE_MAX_KEY + 1. */
#define BTREE_ITER_SMALL 32
typedef struct BTreeKeyBuf {
    uint8_t *heap;                  /* allocated on first need, kept */
    size_t len;
    uint8_t small[BTREE_ITER_SMALL];
} BTreeKeyBuf;

/* An iterator over a range.  Public so it can be embedded; the fields are
 * private to btree_iter.c.  Never copy a started iterator (the key it hands
 * out may point into itself); end it with btree_iter_fini. */
typedef struct BTreeIter {
    BTree *tree;
    void *leaf;                     /* where the next entry is, valid while */
    uint32_t pos;                   /*   mod == the tree's change counter */
    uint64_t mod;
    uint8_t state;                  /* ITER_START, ITER_RUNNING, ITER_DONE */
    uint8_t resume_mode;            /* how `resume` says where to continue */
    BoundKind hi_kind;
    Status status;                  /* ST_OK, or why the iteration stopped early */
    uint64_t resume_rowid;
    BTreeKeyBuf resume;             /* the lo bound, then the last key returned */
    BTreeKeyBuf hi;
} BTreeIter;

void btree_iter_range(BTree *t, BTreeBound lo, BTreeBound hi, BTreeIter *it);
/* Next entry in order; false at the end (and ever after).  *key stays
 * valid until the next call (it points at the iterator's copy).  Iterators
 * stay valid when the tree changes: after any modification the next call
 * re-seeks to the first entry after the last one returned, so it never
 * repeats an entry, sees entries added ahead of it, and never crashes. */
bool btree_iter_next(BTreeIter *it, const uint8_t **key, size_t *len, uint64_t *rowid);
/* ST_OK, or ST_NOMEM when btree_iter_next returned false because it could
 * not copy a key longer than BTREE_ITER_SMALL bytes (the range is then not
 * finished).  Callers that must see every entry check this. */
Status btree_iter_status(const BTreeIter *it);
/* Free the iterator's key copies.  Safe to call twice. */
void btree_iter_fini(BTreeIter *it);

/* Delete every entry in the range; *deleted (may be NULL) counts them.
 * ST_NOMEM only as btree_iter_status (long keys); the entries deleted so
 * far stay deleted. */
Status btree_delete_range(BTree *t, BTreeBound lo, BTreeBound hi, size_t *deleted);

/* Check every invariant (book 10.8): ST_OK, or ST_INVALID with a
 * description in msg (msg may be NULL). */
Status btree_check(const BTree *t, char *msg, size_t msglen);
/* Bytes of heap memory the tree holds: its nodes and the BTree itself, as
 * requested from mem_alloc (the allocator's own overhead not included). */
size_t btree_memory(const BTree *t);

#endif
