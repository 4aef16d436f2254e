/*
 * btree_int.h - the B+tree's private structures, shared by btree.c (the
 * algorithms), btree_leaf.c (the leaf layout), btree_iter.c (iterators)
 * and btree_check.c (the invariant checker).  Nothing else includes it.
 *
 * Shape.  A B+tree: every entry lives in a LEAF; INNER nodes above them
 * only route searches.  All leaves are at the same depth, and they form a
 * singly linked list in key order, so a range scan is a walk along it.
 *
 *                    inner [ . | . | . ]             height 1
 *                          /     |     \
 *      leaf [a1 a7 b2] -> [c5 c9] -> [d1 e4 f0] -> NULL
 *
 * Separators that cannot go stale.  An inner node does not store copies
 * of keys.  For each child i it stores the child pointer and low[i], the
 * LEFTMOST LEAF under that child; the separator between child i-1 and
 * child i is simply the current first entry of low[i].  Since every
 * non-root leaf is non-empty and the leaves are globally sorted, that
 * entry is always > everything in child i-1 and <= everything in child i,
 * whatever inserts, deletes and rebalancing have done since.  So moving
 * entries between two leaves needs no separator update, no inner node ever
 * grows when a key changes, and deleting never allocates.  The price: a
 * comparison in an inner node would read another node.  Each child also
 * has a 16-byte hint of its separator (I3 below), and the hints decide
 * nearly every comparison without leaving the inner node.
 *
 * Leaf layout (one allocation, `cap` bytes after the header):
 *
 *   header | cell 0 | cell 1 | ... | cell n-1 |  free  | slot n-1 | .. | slot 0
 *          ^bytes[0]                          ^end                  bytes[cap]^
 *
 *   cell = key length (1 byte if < 128, else 2: 0x80|hi, lo) | key | rowid (8)
 *   slot i = u16 offset of cell i (slots are stored backwards from the end)
 *
 * Cells are packed in entry order from offset 0, so cell 0 (the
 * separator an inner node compares with) sits right after the header, and
 * appending in order moves nothing.  "used" = end + 2n = cell and slot bytes.
 *
 * Invariants (btree_check verifies each; book 10.8):
 *   L1 cells tile bytes[0..end) in slot order; end + 2n <= cap; keys <= max_key
 *   L2 entries strictly increase within a leaf and from leaf to leaf
 *   L3 the leaf chain visits the leaves in tree order and ends in NULL
 *   L4 a non-root leaf is non-empty, and unless it is the LAST leaf it
 *      holds >= leaf_min bytes (the last leaf is exempt because appending
 *      in key order splits it unevenly, see btree.c)
 *   I1 every node at depth < height is inner, at depth == height a leaf
 *   I2 an inner root has 2..fanout children, other inner nodes
 *      inner_min..fanout; low[i] is the leftmost leaf under child[i]
 *   I3 hint[i] is key_hint() of low[i]'s first entry, so most routing
 *      decisions read only the inner node (the full entry breaks ties)
 *   T1 count = number of entries; memory = sum of node sizes
 *
 * Book: chapter 10, book/10-btree.md
 */
#ifndef TINYSTDB_DB_BTREE_INT_H
#define TINYSTDB_DB_BTREE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "btree.h"

/* ===== Sizes ========================================================== */

#define BTREE_FANOUT 64             /* most children of an inner node */
#define LEAF_ALLOC 4096             /* bytes of a default leaf, header included */
#define BTREE_MAX_HEIGHT 40         /* inner levels; 2^39 entries would be needed */
#define CELL_FIXED 12               /* slot (2) + length (<= 2) + rowid (8) */
#define NODE_LEAF 1
#define NODE_INNER 2

/* ===== Data structures ================================================ */

typedef struct Leaf {
    uint8_t kind;                   /* NODE_LEAF */
    uint8_t unused;
    uint16_t n;                     /* entries */
    uint16_t end;                   /* cells fill bytes[0..end) */
    uint16_t cap;                   /* size of bytes[] */
    struct Leaf *next;              /* next leaf in key order, NULL for the last */
    uint8_t bytes[];                /* cells from the front, slots from the back */
} Leaf;

/* The first 16 bytes of a key, zero-padded, as two big-endian numbers
 * (see key_hint). */
typedef struct Hint {
    uint64_t hi, lo;
} Hint;

typedef struct Inner {
    uint8_t kind;                   /* NODE_INNER */
    uint32_t n;                     /* children; n == fanout+1 only mid-split */
    void *child[BTREE_FANOUT + 1];  /* Inner * above height-1, Leaf * at it */
    Leaf *low[BTREE_FANOUT + 1];    /* leftmost leaf under child[i] */
    Hint hint[BTREE_FANOUT + 1];    /* key_hint of low[i]'s first entry */
} Inner;

struct BTree {
    void *root;                     /* a Leaf * when height == 0, else Inner * */
    uint32_t height;                /* inner levels above the leaves */
    uint32_t fanout, inner_min;     /* children of a non-root inner node */
    uint16_t leaf_cap;              /* Leaf.cap of every leaf */
    uint16_t leaf_min;              /* L4's bound, (cap - largest cell) / 2 */
    uint16_t max_key;
    size_t count;                   /* entries */
    size_t nleaves, ninner;         /* nodes, for btree_memory */
    uint64_t mod;                   /* bumped by every change; iterators watch it */
};

/* One entry, pointing into a leaf (or at a caller's key). */
typedef struct Entry {
    const uint8_t *key;
    size_t len;
    uint64_t rowid;
} Entry;

/* Where a search goes: the first entry that is not "before" the target.
 *   TARGET_GE     entries >= e             (insert, delete, lookups)
 *   TARGET_GT     entries >  e             (resume after a returned entry)
 *   TARGET_PFX_GE entries with trunc(key, e.len) >= e.key   (lo INCLUDED)
 *   TARGET_PFX_GT entries with trunc(key, e.len) >  e.key   (lo EXCLUDED) */
typedef enum TargetMode { TARGET_GE, TARGET_GT, TARGET_PFX_GE, TARGET_PFX_GT } TargetMode;
typedef struct Target {
    Entry e;
    TargetMode mode;
    Hint hint, mask;                /* for comparing with hints, see go_right */
} Target;

/* The inner nodes met on the way down and the child taken in each. */
typedef struct Path {
    Inner *node[BTREE_MAX_HEIGHT];
    uint32_t idx[BTREE_MAX_HEIGHT];
} Path;

/* ===== Comparisons (btree_leaf.c) ===================================== */

static inline uint64_t load_be64(const uint8_t *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40
           | (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16
           | (uint64_t)p[6] << 8 | p[7];    /* compilers make this one load */
}

/* The first 16 bytes of a key, zero-padded.  If two keys' hints differ,
 * the keys are ordered the same way (book 10.3); if they are equal, only
 * a full comparison can tell. */
static inline Hint key_hint(const uint8_t *key, size_t len)
{
    uint8_t pad[16] = {0};
    if (len >= 16) {
        Hint h = {load_be64(key), load_be64(key + 8)};
        return h;
    }
    if (len >= 8) {                 /* common: 8-byte integer keys */
        memcpy(pad + 8, key + 8, len - 8);
        Hint h = {load_be64(key), load_be64(pad + 8)};
        return h;
    }
    if (len)
        memcpy(pad, key, len);
    Hint h = {load_be64(pad), 0};
    return h;
}

/* h with only the bytes the mask keeps, compared with the target's:
 * <0, 0 (undecided), >0. */
static inline int hint_cmp(Hint h, Hint mask, Hint target)
{
    uint64_t hi = h.hi & mask.hi, lo = h.lo & mask.lo;
    if (hi != target.hi)
        return hi < target.hi ? -1 : 1;
    if (lo != target.lo)
        return lo < target.lo ? -1 : 1;
    return 0;
}

Target btree_target(const uint8_t *key, size_t len, uint64_t rowid, TargetMode mode);

int btree_key_cmp(const uint8_t *a, size_t la, const uint8_t *b, size_t lb);
int btree_entry_cmp(Entry a, Entry b);
/* trunc(key of x, len of bound) compared with the bound's bytes. */
int btree_bound_cmp(Entry x, const uint8_t *bound, size_t blen);
/* True when x comes before the target's first entry. */
bool btree_before(const Target *t, Entry x);

/* ===== Leaf layout (btree_leaf.c) ===================================== */

static inline size_t cell_size(size_t keylen)
{
    return (keylen < 128 ? 1 : 2) + keylen + 8;
}

static inline uint16_t leaf_slot(const Leaf *l, unsigned i)
{
    uint16_t off;
    memcpy(&off, l->bytes + l->cap - 2 * (i + 1), 2);
    return off;
}

static inline void leaf_set_slot(Leaf *l, unsigned i, size_t off)
{
    uint16_t v = (uint16_t)off;
    memcpy(l->bytes + l->cap - 2 * (i + 1), &v, 2);
}

/* Offset where cell i starts; i == n gives end. */
static inline size_t leaf_off(const Leaf *l, unsigned i)
{
    return i < l->n ? leaf_slot(l, i) : l->end;
}

static inline size_t leaf_used(const Leaf *l)
{
    return (size_t)l->end + 2u * l->n;
}

Entry btree_leaf_entry(const Leaf *l, unsigned i);
/* Index of the first entry not before the target (n if none). */
unsigned btree_leaf_find(const Leaf *l, const Target *t);
/* Insert one entry at index pos; the caller checked it fits. */
void btree_leaf_insert(Leaf *l, unsigned pos, Entry e);
/* Copy src's cells [from, to) into dst at index pos; the caller checked
 * they fit.  src keeps them (erase them after). */
void btree_leaf_copy(Leaf *dst, unsigned pos, const Leaf *src, unsigned from, unsigned to);
/* Remove cells [from, to). */
void btree_leaf_erase(Leaf *l, unsigned from, unsigned to);

/* ===== Tree walking (btree.c) ========================================= */

/* Go down to the leaf where the target's first entry is (or, for the
 * prefix and GT modes, the leaf just before it); record the path if p. */
Leaf *btree_descend(const BTree *t, const Target *tg, Path *p);
/* The first leaf of the tree. */
Leaf *btree_first_leaf(const BTree *t);

#endif
