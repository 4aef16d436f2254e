/*
 * btree_check.c - the invariant checker and memory accounting.
 *
 * btree_check walks the whole tree once, depth first, and verifies every
 * invariant listed in btree_int.h.  It trusts nothing it has not checked:
 * node kinds are read before a node is used as that kind, offsets are
 * range-checked before cells are decoded, and the walk carries the
 * previous entry along so that ordering is verified ACROSS leaves, not
 * just within each.  Ordering plus "low[i] is the leftmost leaf under
 * child i" is all routing needs: the separators are those leaves' first
 * entries, so they are then automatically in place.
 *
 * The checker is for tests (it is O(n)); the first broken invariant is
 * described in msg, e.g. "leaf at depth 2: entry 7 out of order".
 *
 * Book: chapter 10, book/10-btree.md
 */
#include "btree_int.h"
#include "dberror.h"

typedef struct Check {
    const BTree *t;
    char *msg;
    size_t msglen;
    Entry prev;                 /* the last entry seen, in walk order */
    bool have_prev;
    const Leaf *prev_leaf;      /* the last leaf seen: its next must be this one */
    size_t count, nleaves, ninner;
} Check;

/* Every failure: the broken invariant goes into the caller's buffer. */
#define bad(c, ...) db_check_fail((c)->msg, (c)->msglen, __VA_ARGS__)

/* L1: the cells tile bytes[0..end) and each decodes within its space. */
static Status check_cells(Check *c, const Leaf *l, uint32_t depth)
{
    if (l->cap != c->t->leaf_cap || leaf_used(l) > l->cap)
        return bad(c, "leaf at depth %u: cap %u, %u cells in %u bytes", depth, l->cap, l->n,
                   l->end);
    size_t off = 0;
    for (unsigned i = 0; i < l->n; i++) {
        if (leaf_slot(l, i) != off || off >= l->end)
            return bad(c, "leaf at depth %u: slot %u is %u, expected %zu", depth, i,
                       leaf_slot(l, i), off);
        const uint8_t *p = l->bytes + off;
        size_t hdr = (p[0] & 0x80) ? 2 : 1;
        if (off + hdr > l->end)
            return bad(c, "leaf at depth %u: cell %u header past the end", depth, i);
        size_t len = hdr == 1 ? p[0] : (size_t)(p[0] & 0x7f) << 8 | p[1];
        if (len > c->t->max_key || (len < 128) != (hdr == 1))
            return bad(c, "leaf at depth %u: cell %u has bad key length %zu", depth, i, len);
        off += cell_size(len);
        if (off > l->end)
            return bad(c, "leaf at depth %u: cell %u past the end", depth, i);
    }
    if (off != l->end)
        return bad(c, "leaf at depth %u: cells end at %zu, end is %u", depth, off, l->end);
    return ST_OK;
}

/* L1-L4 for one leaf, met in tree order. */
static Status check_leaf(Check *c, const Leaf *l, uint32_t depth, bool is_root)
{
    Status st = check_cells(c, l, depth);
    if (st != ST_OK)
        return st;
    if (c->prev_leaf && c->prev_leaf->next != l)
        return bad(c, "leaf at depth %u: the previous leaf's next is not this leaf", depth);
    if (!is_root && l->n == 0)
        return bad(c, "leaf at depth %u: empty", depth);
    if (!is_root && l->next && leaf_used(l) < c->t->leaf_min)
        return bad(c, "leaf at depth %u: %zu bytes used, minimum %u", depth, leaf_used(l),
                   c->t->leaf_min);
    for (unsigned i = 0; i < l->n; i++) {
        Entry e = btree_leaf_entry(l, i);
        if (c->have_prev && btree_entry_cmp(c->prev, e) >= 0)
            return bad(c, "leaf at depth %u: entry %u out of order", depth, i);
        c->prev = e;
        c->have_prev = true;
    }
    c->prev_leaf = l;
    c->count += l->n;
    c->nleaves++;
    return ST_OK;
}

/* Check the subtree under node; *leftmost receives its first leaf. */
static Status check_node(Check *c, const void *node, uint32_t depth, const Leaf **leftmost)
{
    const uint8_t kind = *(const uint8_t *)node;
    bool is_root = depth == 0;
    if (depth == c->t->height) {
        if (kind != NODE_LEAF)
            return bad(c, "node at depth %u: not a leaf (kind %u)", depth, kind);
        *leftmost = node;
        return check_leaf(c, node, depth, is_root);
    }
    const Inner *in = node;
    if (kind != NODE_INNER)
        return bad(c, "node at depth %u: not an inner node (kind %u)", depth, kind);
    uint32_t min = is_root ? 2 : c->t->inner_min;
    if (in->n < min || in->n > c->t->fanout)
        return bad(c, "inner node at depth %u: %u children, allowed %u..%u", depth, in->n,
                   min, c->t->fanout);
    for (uint32_t i = 0; i < in->n; i++) {
        const Leaf *low;
        Status st = check_node(c, in->child[i], depth + 1, &low);
        if (st != ST_OK)
            return st;
        if (in->low[i] != low)
            return bad(c, "inner node at depth %u: low[%u] is not child %u's first leaf",
                       depth, i, i);
        Entry first = btree_leaf_entry(low, 0);
        Hint h = key_hint(first.key, first.len);
        if (in->hint[i].hi != h.hi || in->hint[i].lo != h.lo)
            return bad(c, "inner node at depth %u: hint[%u] is stale", depth, i);
        if (i == 0)
            *leftmost = low;
    }
    c->ninner++;
    return ST_OK;
}

Status btree_check(const BTree *t, char *msg, size_t msglen)
{
    Check c = {t, msg, msglen, {NULL, 0, 0}, false, NULL, 0, 0, 0};
    if (t->height >= BTREE_MAX_HEIGHT || !t->root)
        return bad(&c, "tree: height %u, root %p", t->height, t->root);
    const Leaf *first;
    Status st = check_node(&c, t->root, 0, &first);
    if (st != ST_OK)
        return st;
    if (c.prev_leaf->next != NULL)
        return bad(&c, "leaf chain: the last leaf has a next");
    if (c.count != t->count)
        return bad(&c, "tree: count is %zu, the leaves hold %zu", t->count, c.count);
    if (c.nleaves != t->nleaves || c.ninner != t->ninner)
        return bad(&c, "tree: counts %zu leaves and %zu inner nodes, found %zu and %zu",
                   t->nleaves, t->ninner, c.nleaves, c.ninner);
    if (msg && msglen)
        msg[0] = '\0';
    return ST_OK;
}

size_t btree_memory(const BTree *t)
{
    return sizeof *t + t->nleaves * (sizeof(Leaf) + t->leaf_cap) + t->ninner * sizeof(Inner);
}
