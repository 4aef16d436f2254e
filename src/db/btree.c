/*
 * btree.c - the B+tree's algorithms: search, insert with split, delete
 * with merge and rebalance.
 *
 * Search goes down from the root: in each inner node a binary search over
 * the separators (the first entries of the low[] leaves) picks a child;
 * in the leaf a binary search picks the slot.
 *
 * Insert puts the entry in its leaf.  When it does not fit, the leaf
 * SPLITS: a new leaf takes the upper part of the entries and becomes the
 * next child of the parent, which may overflow and split in turn, up to a
 * new root.  Every node a split needs is allocated BEFORE anything is
 * changed, so ST_NOMEM leaves the tree untouched.  One special case: an
 * entry larger than every other goes to the last leaf, and splitting that
 * evenly would leave a trail of half-full leaves behind an ascending
 * primary key.  So the full leaf stays full and the new leaf starts with
 * only the new entry (invariant L4 exempts the last leaf for this).
 *
 * Delete removes the entry.  A leaf left with fewer than leaf_min bytes
 * (an inner node with fewer than inner_min children) is fixed with its
 * left sibling (its right one if it is the first child): MERGE the two if
 * they fit in one node, else BORROW - move entries (one child) across so
 * both are at least the minimum.  A merge removes a child from the parent,
 * which may now be too small itself, and so on up; a root left with one
 * child is replaced by that child.  None of this allocates: separators are
 * read from the leaves (btree_int.h), so moving entries changes nothing
 * above.
 *
 * Book: chapter 10, book/10-btree.md
 */
#include "btree_int.h"

#include <assert.h>

#include "../util/alloc.h"

/* ===== Nodes =========================================================== */

static Leaf *leaf_new(BTree *t)
{
    Leaf *l = mem_alloc(sizeof(Leaf) + t->leaf_cap);
    if (!l)
        return NULL;
    l->kind = NODE_LEAF;
    l->unused = 0;
    l->n = l->end = 0;
    l->cap = t->leaf_cap;
    l->next = NULL;
    t->nleaves++;
    return l;
}

static Inner *inner_new(BTree *t)
{
    Inner *in = mem_alloc(sizeof(Inner));
    if (!in)
        return NULL;
    in->kind = NODE_INNER;
    in->n = 0;
    t->ninner++;
    return in;
}

static void leaf_free(BTree *t, Leaf *l)
{
    t->nleaves--;
    mem_free(l);
}

static void inner_free(BTree *t, Inner *in)
{
    t->ninner--;
    mem_free(in);
}

/* Free the subtree under node (depth levels of inner nodes above leaves),
 * except `keep`, which may be a leaf of it. */
static void free_subtree(BTree *t, void *node, uint32_t depth, Leaf *keep)
{
    if (depth == 0) {
        if (node != keep)
            leaf_free(t, node);
        return;
    }
    Inner *in = node;
    for (uint32_t i = 0; i < in->n; i++)
        free_subtree(t, in->child[i], depth - 1, keep);
    inner_free(t, in);
}

static Hint leaf_hint(const Leaf *l)
{
    Entry e = btree_leaf_entry(l, 0);
    return key_hint(e.key, e.len);
}

/* Move children [from, from + k) of src to index at of dst (dst != src,
 * the room at `at` already made). */
static void inner_copy(Inner *dst, uint32_t at, const Inner *src, uint32_t from, uint32_t k)
{
    memcpy(&dst->child[at], &src->child[from], k * sizeof src->child[0]);
    memcpy(&dst->low[at], &src->low[from], k * sizeof src->low[0]);
    memcpy(&dst->hint[at], &src->hint[from], k * sizeof src->hint[0]);
}

/* Open (k = 1) or close (k = -1) a hole at index i by shifting later children. */
static void inner_shift(Inner *in, uint32_t i, int k)
{
    uint32_t from = k > 0 ? i : i + 1, to = k > 0 ? i + 1 : i, m = in->n - from;
    memmove(&in->child[to], &in->child[from], m * sizeof in->child[0]);
    memmove(&in->low[to], &in->low[from], m * sizeof in->low[0]);
    memmove(&in->hint[to], &in->hint[from], m * sizeof in->hint[0]);
    in->n = (uint32_t)((int)in->n + k);
}

/* Put (child, low, hint) at index i of an inner node, shifting the rest
 * right.  The node may reach fanout + 1 children; the caller splits it. */
static void inner_insert(Inner *in, uint32_t i, void *child, Leaf *low, Hint hint)
{
    assert(in->n <= BTREE_FANOUT);
    inner_shift(in, i, 1);
    in->child[i] = child;
    in->low[i] = low;
    in->hint[i] = hint;
}

static void inner_remove(Inner *in, uint32_t i)
{
    inner_shift(in, i, -1);
}

/* ===== The tree ======================================================== */

BTree *btree_new_sized(unsigned fanout, size_t leaf_bytes)
{
    if (fanout < 4 || fanout > BTREE_FANOUT || leaf_bytes < 64
        || leaf_bytes > LEAF_ALLOC - sizeof(Leaf))
        return NULL;
    BTree *t = mem_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fanout = fanout;
    t->inner_min = fanout / 2;
    t->leaf_cap = (uint16_t)(leaf_bytes & ~(size_t)1);   /* slots stay 2-aligned */
    /* Three largest cells fit in a leaf: then splits and borrows can
     * always make both halves at least leaf_min (book 10.4). */
    size_t max_cell = t->leaf_cap / 3;
    t->max_key = (uint16_t)(max_cell - CELL_FIXED < BTREE_MAX_KEY ? max_cell - CELL_FIXED
                                                                  : BTREE_MAX_KEY);
    t->leaf_min = (uint16_t)((t->leaf_cap - (t->max_key + CELL_FIXED)) / 2);
    t->root = leaf_new(t);
    if (!t->root) {
        mem_free(t);
        return NULL;
    }
    return t;
}

BTree *btree_new(void)
{
    return btree_new_sized(BTREE_FANOUT, LEAF_ALLOC - sizeof(Leaf));
}

void btree_free(BTree *t)
{
    if (!t)
        return;
    free_subtree(t, t->root, t->height, NULL);
    mem_free(t);
}

void btree_clear(BTree *t)
{
    Leaf *first = btree_first_leaf(t);
    free_subtree(t, t->root, t->height, first);
    first->n = first->end = 0;
    first->next = NULL;
    t->root = first;
    t->height = 0;
    t->count = 0;
    t->mod++;
}

size_t btree_count(const BTree *t) { return t->count; }
size_t btree_max_key(const BTree *t) { return t->max_key; }
unsigned btree_height(const BTree *t) { return t->height; }

/* ===== Search ========================================================== */

/* Must the search go right of child i's separator?  Yes when nothing
 * before that separator can be the answer.  For TARGET_GE an equal
 * separator also sends us right, so insert and delete land in the one
 * leaf whose range holds the entry.  Most of the time the hints differ
 * and decide without reading the leaf. */
static bool go_right(const Target *tg, const Inner *in, uint32_t i)
{
    int c = hint_cmp(in->hint[i], tg->mask, tg->hint);
    if (c != 0)
        return c < 0;
    Entry sep = btree_leaf_entry(in->low[i], 0);
    if (tg->mode == TARGET_GE)
        return btree_entry_cmp(sep, tg->e) <= 0;
    return btree_before(tg, sep);
}

/* The child of `in` to descend into: the last i whose separator we must
 * go right of (child 0 has no separator). */
static uint32_t inner_route(const Inner *in, const Target *tg)
{
    uint32_t lo = 0, n = in->n - 1;     /* the answer is in [lo, lo + n] */
    while (n > 0) {
        uint32_t half = (n + 1) / 2;
        bool right = go_right(tg, in, lo + half);
        lo = right ? lo + half : lo;
        n = right ? n - half : half - 1;
    }
    return lo;
}

Leaf *btree_descend(const BTree *t, const Target *tg, Path *p)
{
    void *node = t->root;
    for (uint32_t d = 0; d < t->height; d++) {
        Inner *in = node;
        uint32_t i = inner_route(in, tg);
        if (p) {
            p->node[d] = in;
            p->idx[d] = i;
        }
        node = in->child[i];
    }
    return node;
}

Leaf *btree_first_leaf(const BTree *t)
{
    return t->height == 0 ? (Leaf *)t->root : ((Inner *)t->root)->low[0];
}

bool btree_contains_key(const BTree *t, const uint8_t *key, size_t len, uint64_t *rowid_out)
{
    Target tg = btree_target(key, len, 0, TARGET_GE);
    Leaf *l = btree_descend(t, &tg, NULL);
    unsigned pos = btree_leaf_find(l, &tg);
    if (pos == l->n) {              /* all of this leaf is smaller */
        l = l->next;
        pos = 0;
    }
    if (!l || l->n == 0)
        return false;
    Entry e = btree_leaf_entry(l, pos);
    if (btree_key_cmp(e.key, e.len, key, len) != 0)
        return false;
    if (rowid_out)
        *rowid_out = e.rowid;
    return true;
}

/* ===== Insert ========================================================== */

/* The nodes one split needs, allocated up front. */
typedef struct Spare {
    Leaf *leaf;
    Inner *inner[BTREE_MAX_HEIGHT + 1];
    uint32_t ninner;
} Spare;

/* Allocate a leaf and one inner node for each full ancestor (they will
 * split), plus a new root if all of them are full. */
static Status reserve(BTree *t, const Path *p, Spare *sp)
{
    uint32_t need = 0;
    while (need < t->height && p->node[t->height - 1 - need]->n == t->fanout)
        need++;
    if (need == t->height)
        need++;                     /* the root splits: a new root above it */
    assert(t->height + 1 < BTREE_MAX_HEIGHT);
    sp->ninner = 0;
    sp->leaf = leaf_new(t);
    if (!sp->leaf)
        return ST_NOMEM;
    while (sp->ninner < need) {
        sp->inner[sp->ninner] = inner_new(t);
        if (!sp->inner[sp->ninner]) {
            while (sp->ninner > 0)
                inner_free(t, sp->inner[--sp->ninner]);
            leaf_free(t, sp->leaf);
            return ST_NOMEM;
        }
        sp->ninner++;
    }
    return ST_OK;
}

/* Size (cell + slot) of element j of the sequence a split or a borrow
 * divides: the cells of a then b, or of a with one new entry of esz bytes
 * at index pos (esz == 0: none). */
typedef struct Seq {
    const Leaf *a, *b;
    unsigned pos;
    size_t esz;
} Seq;

static size_t seq_size(const Seq *s, unsigned j)
{
    if (s->esz) {
        if (j == s->pos)
            return s->esz;
        if (j > s->pos)
            j--;
    }
    const Leaf *l = s->a;
    if (j >= l->n) {
        j -= l->n;
        l = s->b;
    }
    return leaf_off(l, j + 1) - leaf_off(l, j) + 2;
}

/* How many elements of the sequence (n of them, total bytes) go left so
 * that the larger half is as small as it can be.  Never 0 or n: no cell
 * is more than a third of a leaf while the total exceeds a leaf. */
static unsigned split_point(const Seq *s, unsigned n, size_t total)
{
    size_t acc = 0;
    for (unsigned j = 0;; j++) {
        size_t sz = seq_size(s, j);
        if (2 * (acc + sz) > total) {   /* element j straddles the middle */
            unsigned k = (2 * acc + sz < total) ? j + 1 : j;
            assert(k > 0 && k < n);
            (void)n;
            return k;
        }
        acc += sz;
    }
}

/* Split full leaf l, inserting e at pos: r (new, empty) takes the upper
 * part and goes after l in the chain. */
static void leaf_split(Leaf *l, Leaf *r, unsigned pos, Entry e)
{
    size_t esz = cell_size(e.len) + 2;
    Seq s = {l, NULL, pos, esz};
    unsigned k = l->n;              /* last leaf, appending: keep l full */
    if (l->next != NULL || pos < l->n)
        k = split_point(&s, l->n + 1, leaf_used(l) + esz);
    unsigned from = pos < k ? k - 1 : k;    /* l keeps cells [0, from) */
    btree_leaf_copy(r, 0, l, from, l->n);
    btree_leaf_erase(l, from, l->n);
    if (pos < k)
        btree_leaf_insert(l, pos, e);
    else
        btree_leaf_insert(r, pos - k, e);
    r->next = l->next;
    l->next = r;
}

/* Move the upper children of an overfull inner node into `right`. */
static void inner_split(Inner *in, Inner *right)
{
    uint32_t keep = (in->n + 1) / 2;
    right->n = in->n - keep;
    inner_copy(right, 0, in, keep, right->n);
    in->n = keep;
}

/* The leaf at the bottom of path p is full: split it, then carry the new
 * right node up, splitting every parent that overflows. */
static Status split_insert(BTree *t, Path *p, Leaf *l, unsigned pos, Entry e)
{
    Spare sp;
    Status st = reserve(t, p, &sp);
    if (st != ST_OK)
        return st;
    uint32_t used = 0;
    leaf_split(l, sp.leaf, pos, e);
    void *right = sp.leaf;
    Leaf *right_low = sp.leaf;
    Hint right_hint = leaf_hint(sp.leaf);
    for (uint32_t d = t->height; d-- > 0;) {
        Inner *in = p->node[d];
        inner_insert(in, p->idx[d] + 1, right, right_low, right_hint);
        if (in->n <= t->fanout)
            return ST_OK;
        Inner *r = sp.inner[used++];
        inner_split(in, r);
        right = r;
        right_low = r->low[0];
        right_hint = r->hint[0];
    }
    Inner *root = sp.inner[used++];     /* the old root split */
    assert(used == sp.ninner);
    root->n = 0;
    inner_insert(root, 0, t->root, btree_first_leaf(t), leaf_hint(btree_first_leaf(t)));
    inner_insert(root, 1, right, right_low, right_hint);
    t->root = root;
    t->height++;
    return ST_OK;
}

/* A new smallest entry: hint[0] down the leftmost path names it. */
static void update_first_hints(BTree *t)
{
    Hint h = leaf_hint(btree_first_leaf(t));
    void *node = t->root;
    for (uint32_t d = 0; d < t->height; d++) {
        ((Inner *)node)->hint[0] = h;
        node = ((Inner *)node)->child[0];
    }
}

Status btree_insert(BTree *t, const uint8_t *key, size_t len, uint64_t rowid)
{
    if (len > t->max_key)
        return ST_LIMIT;
    Target tg = btree_target(key, len, rowid, TARGET_GE);
    Path p;
    Leaf *l = btree_descend(t, &tg, &p);
    unsigned pos = btree_leaf_find(l, &tg);
    if (pos < l->n && btree_entry_cmp(btree_leaf_entry(l, pos), tg.e) == 0)
        return ST_EXISTS;
    if (leaf_used(l) + cell_size(len) + 2 <= l->cap) {
        btree_leaf_insert(l, pos, tg.e);
    } else {
        Status st = split_insert(t, &p, l, pos, tg.e);
        if (st != ST_OK)
            return st;
    }
    if (pos == 0)                   /* only ever in the first leaf */
        update_first_hints(t);
    t->count++;
    t->mod++;
    return ST_OK;
}

/* ===== Delete ========================================================== */

/* Even out leaves a and b (neighbours, a first), which do not fit in one. */
static void leaf_borrow(Leaf *a, Leaf *b)
{
    Seq s = {a, b, 0, 0};
    unsigned k = split_point(&s, a->n + b->n, leaf_used(a) + leaf_used(b));
    if (k < a->n) {                 /* a's tail moves to the front of b */
        btree_leaf_copy(b, 0, a, k, a->n);
        btree_leaf_erase(a, k, a->n);
    } else if (k > a->n) {          /* b's head moves to the end of a */
        unsigned m = k - a->n;
        btree_leaf_copy(a, a->n, b, 0, m);
        btree_leaf_erase(b, 0, m);
    }
}

/* Leaf l, at the bottom of path p, has a new first entry: update its
 * hint in every inner node that has l as a low[] leaf. */
static void update_hints(const BTree *t, const Path *p, const Leaf *l)
{
    Hint h = leaf_hint(l);
    for (uint32_t d = t->height; d-- > 0;) {
        p->node[d]->hint[p->idx[d]] = h;
        if (p->idx[d] != 0)
            break;                  /* above here l is not leftmost */
    }
}

/* The leaf at the bottom of path p just lost an entry: fix it if it is
 * too small. */
static void fix_leaf(BTree *t, const Path *p)
{
    Inner *in = p->node[t->height - 1];
    uint32_t i = p->idx[t->height - 1];
    if (leaf_used(in->child[i]) >= t->leaf_min)
        return;
    uint32_t ia = i > 0 ? i - 1 : i;
    Leaf *a = in->child[ia], *b = in->child[ia + 1];
    if (leaf_used(a) + leaf_used(b) <= a->cap) {    /* merge b into a */
        btree_leaf_copy(a, a->n, b, 0, b->n);
        a->next = b->next;
        inner_remove(in, ia + 1);
        leaf_free(t, b);
        if (ia == i)                /* a was the path's leaf, maybe empty */
            update_hints(t, p, a);
    } else {
        leaf_borrow(a, b);
        in->hint[ia + 1] = leaf_hint(b);
    }
}

/* Child i of p is an inner node that may have lost a child: fix it. */
static void fix_inner(BTree *t, Inner *p, uint32_t i)
{
    if (((Inner *)p->child[i])->n >= t->inner_min)
        return;
    uint32_t ia = i > 0 ? i - 1 : i;
    Inner *a = p->child[ia], *b = p->child[ia + 1];
    if (a->n + b->n <= t->fanout) {                 /* merge b into a */
        inner_copy(a, a->n, b, 0, b->n);
        a->n += b->n;
        inner_remove(p, ia + 1);
        inner_free(t, b);
        return;
    }
    if (i == ia) {                  /* a is small: it borrows b's first child */
        inner_insert(a, a->n, b->child[0], b->low[0], b->hint[0]);
        inner_remove(b, 0);
    } else {                        /* b is small: it borrows a's last child */
        a->n--;
        inner_insert(b, 0, a->child[a->n], a->low[a->n], a->hint[a->n]);
    }
    p->low[ia + 1] = b->low[0];     /* b's leftmost leaf changed */
    p->hint[ia + 1] = b->hint[0];
}

Status btree_delete(BTree *t, const uint8_t *key, size_t len, uint64_t rowid)
{
    Target tg = btree_target(key, len, rowid, TARGET_GE);
    Path p;
    Leaf *l = btree_descend(t, &tg, &p);
    unsigned pos = btree_leaf_find(l, &tg);
    if (pos == l->n || btree_entry_cmp(btree_leaf_entry(l, pos), tg.e) != 0)
        return ST_NOT_FOUND;
    btree_leaf_erase(l, pos, pos + 1);
    t->count--;
    t->mod++;
    if (t->height == 0)
        return ST_OK;               /* a root leaf may hold anything */
    if (pos == 0 && l->n > 0)
        update_hints(t, &p, l);     /* its first entry, a separator, changed */
    fix_leaf(t, &p);
    for (uint32_t d = t->height - 1; d-- > 0;)
        fix_inner(t, p.node[d], p.idx[d]);
    Inner *root = t->root;
    if (root->n == 1) {             /* a root with one child is not needed */
        t->root = root->child[0];
        t->height--;
        inner_free(t, root);
    }
    return ST_OK;
}
