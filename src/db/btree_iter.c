/*
 * btree_iter.c - range scans that survive changes to the tree.
 *
 * An iterator is a position (leaf, slot) plus enough to FIND that
 * position again.  A position is only trusted while the tree's change
 * counter `mod` is what it was when the position was computed: an insert
 * may have split the leaf, a delete may have freed it.  So every
 * btree_iter_next first compares counters and, if the tree changed, seeks
 * again from the root to the first entry after the last one returned.
 * That costs one descent per change, and gives the guarantees of
 * btree.h: no entry twice, no dangling pointer, entries inserted ahead of
 * the iterator are seen, entries deleted ahead of it are not.
 *
 * To seek again the iterator keeps a copy of the last key it returned
 * (and hands the caller that copy, so *key survives a change too).
 * Before the first entry the same buffer holds the lower bound, so the
 * first seek is just a re-seek with a different target mode:
 *
 *   state START    resume = lo bound   mode PFX_GE / PFX_GT
 *   state RUNNING  resume = last key   mode GT (with the last rowid)
 *   state DONE     next returns false
 *
 * Bounds longer than BTREE_MAX_KEY + 1 bytes are cut to that length:
 * no key is that long, so every comparison with a key gives the same
 * answer, and the copy stays bounded.
 *
 * Book: chapter 10, book/10-btree.md
 */
#include "btree_int.h"

#include <assert.h>

#include "../util/alloc.h"

enum { ITER_START, ITER_RUNNING, ITER_DONE };

/* ===== Key copies ====================================================== */

static const uint8_t *keybuf_data(const BTreeKeyBuf *kb)
{
    return kb->len > BTREE_ITER_SMALL ? kb->heap : kb->small;
}

static Status keybuf_set(BTreeKeyBuf *kb, const uint8_t *p, size_t len)
{
    uint8_t *dst = kb->small;
    assert(len <= BTREE_MAX_KEY + 1);
    if (len > BTREE_ITER_SMALL) {
        if (!kb->heap && !(kb->heap = mem_alloc(BTREE_MAX_KEY + 1)))
            return ST_NOMEM;
        dst = kb->heap;
    }
    if (len)
        memcpy(dst, p, len);
    kb->len = len;
    return ST_OK;
}

static size_t clamp_bound(size_t len)
{
    return len > BTREE_MAX_KEY + 1 ? BTREE_MAX_KEY + 1 : len;
}

/* ===== Iterating ======================================================= */

void btree_iter_range(BTree *t, BTreeBound lo, BTreeBound hi, BTreeIter *it)
{
    memset(it, 0, sizeof *it);
    it->tree = t;
    it->state = ITER_START;
    it->status = ST_OK;
    it->resume_mode = lo.kind == BOUND_EXCLUDED ? TARGET_PFX_GT : TARGET_PFX_GE;
    size_t lo_len = lo.kind == BOUND_UNBOUNDED ? 0 : clamp_bound(lo.len);  /* "" <= all */
    it->hi_kind = hi.kind;
    size_t hi_len = hi.kind == BOUND_UNBOUNDED ? 0 : clamp_bound(hi.len);
    Status st = keybuf_set(&it->resume, lo.key, lo_len);
    if (st == ST_OK)
        st = keybuf_set(&it->hi, hi.key, hi_len);
    if (st != ST_OK) {
        it->status = st;
        it->state = ITER_DONE;
    }
}

/* Find the position of the first entry the iterator has not passed. */
static void seek(BTreeIter *it)
{
    Target tg = btree_target(keybuf_data(&it->resume), it->resume.len, it->resume_rowid,
                             (TargetMode)it->resume_mode);
    Leaf *l = btree_descend(it->tree, &tg, NULL);
    it->leaf = l;
    it->pos = btree_leaf_find(l, &tg);
    it->mod = it->tree->mod;
}

static bool beyond_hi(const BTreeIter *it, Entry e)
{
    if (it->hi_kind == BOUND_UNBOUNDED)
        return false;
    int c = btree_bound_cmp(e, keybuf_data(&it->hi), it->hi.len);
    return it->hi_kind == BOUND_INCLUDED ? c > 0 : c >= 0;
}

bool btree_iter_next(BTreeIter *it, const uint8_t **key, size_t *len, uint64_t *rowid)
{
    if (it->state == ITER_DONE)
        return false;
    if (it->state == ITER_START || it->mod != it->tree->mod)
        seek(it);
    Leaf *l = it->leaf;
    if (it->pos == l->n) {          /* the next leaf is never empty */
        l = l->next;
        it->pos = 0;
    }
    Entry e;
    if (!l || beyond_hi(it, e = btree_leaf_entry(l, it->pos))) {
        it->state = ITER_DONE;
        return false;
    }
    if (keybuf_set(&it->resume, e.key, e.len) != ST_OK) {
        it->status = ST_NOMEM;
        it->state = ITER_DONE;
        return false;
    }
    it->resume_mode = TARGET_GT;
    it->resume_rowid = e.rowid;
    it->state = ITER_RUNNING;
    it->leaf = l;
    it->pos++;
    *key = keybuf_data(&it->resume);
    *len = e.len;
    *rowid = e.rowid;
    return true;
}

Status btree_iter_status(const BTreeIter *it)
{
    return it->status;
}

void btree_iter_fini(BTreeIter *it)
{
    mem_free(it->resume.heap);
    mem_free(it->hi.heap);
    it->resume.heap = it->hi.heap = NULL;
    it->resume.len = it->hi.len = 0;
    it->state = ITER_DONE;
}

Status btree_delete_range(BTree *t, BTreeBound lo, BTreeBound hi, size_t *deleted)
{
    BTreeIter it;
    const uint8_t *key;
    size_t len, n = 0;
    uint64_t rowid;
    btree_iter_range(t, lo, hi, &it);
    while (btree_iter_next(&it, &key, &len, &rowid)) {
        Status st = btree_delete(t, key, len, rowid);    /* key: the iterator's copy */
        assert(st == ST_OK);
        (void)st;
        n++;
    }
    Status st = btree_iter_status(&it);
    btree_iter_fini(&it);
    if (deleted)
        *deleted = n;
    return st;
}
