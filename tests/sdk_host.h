/*
 * sdk_host.h - a fake SpacetimeDB host for the C SDK's tests (test_sdk.c).
 *
 * The real host (src/host/) is written separately; this is the smallest
 * thing that can run a module compiled with the SDK, so its tests can
 * check what the module does, not only what it declares.  It provides
 * every spacetime_10.0 import with the exact signature of module-abi.md
 * §1.3, over an in-memory datastore that follows the decoded definition
 * (sdk_def.h):
 *
 *   - tables are lists of BSATN rows; inserts validate the row, fill
 *     auto_inc columns that are 0 (sequences start at 1), check unique
 *     constraints (12), keep set semantics and write the generated
 *     columns back (§1.7); updates go through a unique index (14, 15);
 *   - index scans and deletes decode prefix + Bound<T> ranges (§1.6);
 *   - iterators are snapshots handed out in whole rows, -1 together with
 *     the last rows, BUFFER_TOO_SMALL with the size needed (§1.5);
 *   - a "transaction" is a snapshot of every table, restored when the
 *     reducer returns non-zero or traps.
 *
 * Import signatures are written here from the reference, not taken from
 * the SDK, so test_sdk.c can check that the modules import exactly those.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#ifndef TINYSTDB_TESTS_SDK_HOST_H
#define TINYSTDB_TESTS_SDK_HOST_H

#include <stdlib.h>

#include "db/bsatn.h"
#include "sdk_def.h"
#include "util/alloc.h"
#include "util/vec.h"
#include "wasm/wasm.h"

typedef struct FRow { uint8_t *b; uint32_t len; } FRow;
typedef VEC(FRow) FRows;
typedef struct FIter { bool live; FRows rows; size_t next; } FIter;
typedef struct LogRec { uint32_t level, line; char *target, *file, *msg; } LogRec;

#define FAKE_ITERS 64
typedef struct FakeHost {
    Def def;                       /* decoded by fake_describe */
    bool described;
    FRows rows[DEF_MAX], snap[DEF_MAX];
    uint64_t seq_next[DEF_MAX][DEF_MAX];
    FIter iters[FAKE_ITERS];
    WasmModule *module;
    WasmStore *store;
    WasmInstance *inst;
    WasmMemInst *mem;
    bool in_tx;
    StrBuf sink;                   /* sink 1: the definition, or an Err message */
    uint8_t *source;               /* source 1: reducer arguments */
    size_t source_len, source_pos;
    bool source_live;
    uint8_t db_identity[32];
    VEC(LogRec) logs;
    VEC(char *) index_lookups;     /* every name passed to index_id_from_name */
    unsigned too_small;            /* BUFFER_TOO_SMALL answers given */
    char trap[256];                /* the last call's trap message */
} FakeHost;

/* ---- guest memory and rows ------------------------------------------------ */

/* NULL (the caller traps) for a NULL pointer or an out-of-bounds range. */
static uint8_t *gmem(FakeHost *h, uint32_t addr, uint32_t len)
{
    return addr == 0 ? NULL : wasm_memory_ptr(h->mem, addr, len);
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static FRow row_dup(const uint8_t *b, uint32_t len)
{
    FRow r = { mem_alloc(len ? len : 1), len };
    assert_non_null(r.b);
    memcpy(r.b, b, len);
    return r;
}

static void rows_free(FRows *rows)
{
    for (size_t i = 0; i < rows->len; i++)
        mem_free(rows->items[i].b);
    vec_fini(rows);
}

static void rows_push(FRows *rows, FRow r)
{
    assert_int_equal(vec_push(rows, r), ST_OK);
}

/* Column spans of a stored (valid) row of table t. */
static void row_spans(FakeHost *h, const DefTable *t, const FRow *r, BsatnSpan *spans)
{
    assert_int_equal(bsatn_product_spans(&h->def.ts, t->row, r->b, r->len, spans, NULL), ST_OK);
}

/* Do two rows of t agree on the columns cols[0..n)? */
static bool cols_equal(FakeHost *h, const DefTable *t, const FRow *a, const FRow *b,
                       const uint16_t *cols, uint32_t n)
{
    BsatnSpan sa[64], sb[64];
    row_spans(h, t, a, sa);
    row_spans(h, t, b, sb);
    for (uint32_t i = 0; i < n; i++)
        if (bsatn_compare(&h->def.ts, t->row->members[cols[i]].type, a->b + sa[cols[i]].off,
                          b->b + sb[cols[i]].off) != 0)
            return false;
    return true;
}

/* ---- transactions: a snapshot of every table ------------------------------------- */

static void tx_begin(FakeHost *h)
{
    for (uint32_t t = 0; t < h->def.ntables; t++)
        for (size_t i = 0; i < h->rows[t].len; i++)
            rows_push(&h->snap[t], row_dup(h->rows[t].items[i].b, h->rows[t].items[i].len));
    h->in_tx = true;
}

static void tx_end(FakeHost *h, bool commit)
{
    for (uint32_t t = 0; t < h->def.ntables; t++) {
        FRows *drop = commit ? &h->snap[t] : &h->rows[t];
        rows_free(drop);
        if (!commit) {
            h->rows[t] = h->snap[t];
            h->snap[t] = (FRows){ 0 };
        }
    }
    h->in_tx = false;
}

/* ---- the datastore ----------------------------------------------------------- */

static DefTable *table_of(FakeHost *h, uint32_t id)
{
    return id >= 1 && id <= h->def.ntables ? &h->def.tables[id - 1] : NULL;
}

/* Index ids are table * 100 + position + 1 (opaque to the module). */
static DefIndex *index_of(FakeHost *h, uint32_t id, uint32_t *table)
{
    *table = id / 100;
    DefTable *t = table_of(h, *table);
    return t && id % 100 >= 1 && id % 100 <= t->nidx ? &t->idx[id % 100 - 1] : NULL;
}

static bool index_unique(const DefTable *t, const DefIndex *ix)
{
    for (uint32_t c = 0; c < t->ncons; c++)
        if (t->cons[c].ncols == ix->ncols && !memcmp(t->cons[c].cols, ix->cols, 2 * ix->ncols))
            return true;
    return false;
}

/* Sequences: fill columns that are 0; the generated values, in sequence
 * order, go to gen (the write-back product). */
static void fill_sequences(FakeHost *h, uint32_t ti, FRow *r, StrBuf *gen)
{
    DefTable *t = &h->def.tables[ti];
    BsatnSpan sp[64];
    row_spans(h, t, r, sp);
    for (uint32_t s = 0; s < t->nseq; s++) {
        BsatnSpan c = sp[t->seq[s].col];
        bool zero = true;
        for (uint32_t i = 0; i < c.len; i++)
            zero = zero && r->b[c.off + i] == 0;
        if (!zero)
            continue;
        put_le(r->b + c.off, ++h->seq_next[ti][s], c.len);
        strbuf_append(gen, r->b + c.off, c.len);
    }
}

/* Insert (old < 0) or replace rows[old]: errno. */
static uint16_t store_row(FakeHost *h, uint32_t ti, FRow r, long old)
{
    DefTable *t = &h->def.tables[ti];
    FRows *rows = &h->rows[ti];
    for (size_t i = 0; i < rows->len; i++) {
        if ((long)i == old)
            continue;
        if (rows->items[i].len == r.len && !memcmp(rows->items[i].b, r.b, r.len) && old < 0) {
            mem_free(r.b);          /* set semantics: an identical row is already there */
            return 0;
        }
        for (uint32_t c = 0; c < t->ncons; c++)
            if (cols_equal(h, t, &rows->items[i], &r, t->cons[c].cols, t->cons[c].ncols)) {
                mem_free(r.b);
                return 12;
            }
    }
    if (old >= 0) {
        mem_free(rows->items[old].b);
        rows->items[old] = r;
    } else {
        rows_push(rows, r);
    }
    return 0;
}

/* datastore_insert_bsatn and datastore_update_bsatn (index != NULL). */
static uint16_t ds_write(FakeHost *h, uint32_t ti, const DefIndex *ix, uint8_t *buf, uint32_t *len)
{
    DefTable *t = &h->def.tables[ti];
    if (bsatn_validate_exact(&h->def.ts, t->row, buf, *len, NULL) != ST_OK)
        return 3;
    FRow r = row_dup(buf, *len);
    StrBuf gen;
    strbuf_init(&gen);
    fill_sequences(h, ti, &r, &gen);
    long old = -1;
    if (ix != NULL) {
        if (!index_unique(t, ix)) {
            mem_free(r.b), strbuf_fini(&gen);
            return 14;
        }
        for (size_t i = 0; i < h->rows[ti].len && old < 0; i++)
            if (cols_equal(h, t, &h->rows[ti].items[i], &r, ix->cols, ix->ncols))
                old = (long)i;
        if (old < 0) {
            mem_free(r.b), strbuf_fini(&gen);
            return 15;
        }
    }
    uint16_t e = store_row(h, ti, r, old);
    if (e == 0) {                   /* write back the generated columns */
        if (gen.len > 0)
            memcpy(buf, gen.data, gen.len);
        *len = (uint32_t)gen.len;
    }
    strbuf_fini(&gen);
    return e;
}

/* A decoded index range: prefix values, then Bound<T> start and end. */
typedef struct FRange { const uint8_t *prefix[DEF_MAX]; uint8_t lo_kind, hi_kind; const uint8_t *lo, *hi; } FRange;

static bool decode_bound(FakeHost *h, const AlgType *ty, const uint8_t *p, uint32_t len,
                         uint8_t *kind, const uint8_t **val)
{
    if (len < 1 || p[0] > 2)
        return false;
    *kind = p[0];
    *val = p + 1;
    return p[0] == 2 ? len == 1 : bsatn_validate_exact(&h->def.ts, ty, p + 1, len - 1, NULL) == ST_OK;
}

/* The nine-argument form of §1.6; 0 on success, else the errno. */
static uint16_t decode_range(FakeHost *h, const WasmCell *a, DefTable *t, const DefIndex *ix, FRange *rg)
{
    uint32_t nprefix = (uint32_t)a[3];
    if (nprefix >= ix->ncols)
        return 3;
    const uint8_t *p = nprefix ? gmem(h, (uint32_t)a[1], (uint32_t)a[2]) : NULL;
    size_t off = 0, used;
    for (uint32_t i = 0; i < nprefix; i++) {
        if (!p || bsatn_validate(&h->def.ts, t->row->members[ix->cols[i]].type, p + off,
                                 (uint32_t)a[2] - off, &used, NULL) != ST_OK)
            return 3;
        rg->prefix[i] = p + off;
        off += used;
    }
    const AlgType *ty = t->row->members[ix->cols[nprefix]].type;
    const uint8_t *lo = gmem(h, (uint32_t)a[4], (uint32_t)a[5]);
    const uint8_t *hi = gmem(h, (uint32_t)a[6], (uint32_t)a[7]);
    if (!lo || !hi || !decode_bound(h, ty, lo, (uint32_t)a[5], &rg->lo_kind, &rg->lo) ||
        !decode_bound(h, ty, hi, (uint32_t)a[7], &rg->hi_kind, &rg->hi))
        return 3;
    return 0;
}

static bool in_range(FakeHost *h, const DefTable *t, const DefIndex *ix, uint32_t nprefix,
                     const FRange *rg, const FRow *r)
{
    BsatnSpan sp[64];
    row_spans(h, t, r, sp);
    for (uint32_t i = 0; i < nprefix; i++)
        if (bsatn_compare(&h->def.ts, t->row->members[ix->cols[i]].type, rg->prefix[i],
                          r->b + sp[ix->cols[i]].off) != 0)
            return false;
    uint16_t col = ix->cols[nprefix];
    const AlgType *ty = t->row->members[col].type;
    const uint8_t *v = r->b + sp[col].off;
    if (rg->lo_kind != 2) {
        int c = bsatn_compare(&h->def.ts, ty, v, rg->lo);
        if (c < 0 || (c == 0 && rg->lo_kind == 1))
            return false;
    }
    if (rg->hi_kind != 2) {
        int c = bsatn_compare(&h->def.ts, ty, v, rg->hi);
        if (c > 0 || (c == 0 && rg->hi_kind == 1))
            return false;
    }
    return true;
}

/* A new iterator over copies of the rows `pick` selects; its handle. */
static uint32_t iter_new(FakeHost *h)
{
    for (uint32_t i = 0; i < FAKE_ITERS; i++)
        if (!h->iters[i].live) {
            h->iters[i] = (FIter){ .live = true };
            return i + 1;
        }
    fail_msg("fake host: too many live iterators");
    return 0;
}

static void iter_free(FakeHost *h, uint32_t handle)
{
    rows_free(&h->iters[handle - 1].rows);
    h->iters[handle - 1].live = false;
}

/* ---- the imports (module-abi.md §1) --------------------------------------------- */

#define HOST_FN(name) static Status name(WasmStore *s, void *user, const WasmCell *a, WasmCell *res)
#define A(i) ((uint32_t)a[i])
#define NEED(p) do { if (!(p)) return wasm_trap(s, "fake host: bad pointer"); } while (0)
#define NEED_TX() do { if (!h->in_tx) { res[0] = 2; return ST_OK; } } while (0)

HOST_FN(h_table_id_from_name)
{
    FakeHost *h = user;
    const uint8_t *name = gmem(h, A(0), A(1));
    uint8_t *out = gmem(h, A(2), 4);
    NEED(name && out);
    NEED_TX();
    res[0] = 4;
    for (uint32_t i = 0; i < h->def.ntables; i++)
        if (strlen(h->def.tables[i].name) == A(1) && !memcmp(h->def.tables[i].name, name, A(1))) {
            put_le(out, i + 1, 4);
            res[0] = 0;
        }
    return ST_OK;
}

HOST_FN(h_index_id_from_name)
{
    FakeHost *h = user;
    const uint8_t *name = gmem(h, A(0), A(1));
    uint8_t *out = gmem(h, A(2), 4);
    NEED(name && out);
    NEED_TX();
    char *copy = mem_strndup((const char *)name, A(1)), buf[256];
    assert_int_equal(vec_push(&h->index_lookups, copy), ST_OK);
    res[0] = 5;
    for (uint32_t t = 0; t < h->def.ntables; t++)
        for (uint32_t i = 0; i < h->def.tables[t].nidx; i++) {
            def_index_name(&h->def.tables[t], &h->def.tables[t].idx[i], buf, sizeof buf);
            if (strcmp(buf, copy) == 0) {
                put_le(out, (t + 1) * 100 + i + 1, 4);
                res[0] = 0;
            }
        }
    return ST_OK;
}

HOST_FN(h_row_count)
{
    FakeHost *h = user;
    uint8_t *out = gmem(h, A(1), 8);
    NEED(out);
    NEED_TX();
    res[0] = table_of(h, A(0)) ? 0 : 4;
    if (res[0] == 0)
        put_le(out, h->rows[A(0) - 1].len, 8);
    return ST_OK;
}

HOST_FN(h_table_scan)
{
    FakeHost *h = user;
    uint8_t *out = gmem(h, A(1), 4);
    NEED(out);
    NEED_TX();
    if (!table_of(h, A(0))) {
        res[0] = 4;
        return ST_OK;
    }
    uint32_t it = iter_new(h);
    for (size_t i = 0; i < h->rows[A(0) - 1].len; i++)
        rows_push(&h->iters[it - 1].rows, row_dup(h->rows[A(0) - 1].items[i].b, h->rows[A(0) - 1].items[i].len));
    put_le(out, it, 4);
    res[0] = 0;
    return ST_OK;
}

/* Index scan (del = false) or delete (del = true) over the range in a[0..8). */
static Status index_range(WasmStore *s, FakeHost *h, const WasmCell *a, WasmCell *res, bool del)
{
    uint8_t *out = gmem(h, A(8), 4);
    NEED(out);
    NEED_TX();
    uint32_t ti;
    DefIndex *ix = index_of(h, A(0), &ti);
    FRange rg = { 0 };
    if (ix == NULL) {
        res[0] = 5;
        return ST_OK;
    }
    DefTable *t = &h->def.tables[ti - 1];
    if ((res[0] = decode_range(h, a, t, ix, &rg)) != 0)
        return ST_OK;
    FRows *rows = &h->rows[ti - 1];
    uint32_t it = del ? 0 : iter_new(h), n = 0;
    for (size_t i = 0; i < rows->len; i++) {
        if (!in_range(h, t, ix, A(3), &rg, &rows->items[i]))
            continue;
        n++;
        if (!del) {
            rows_push(&h->iters[it - 1].rows, row_dup(rows->items[i].b, rows->items[i].len));
            continue;
        }
        mem_free(rows->items[i].b);
        memmove(&rows->items[i], &rows->items[i + 1], (rows->len - i - 1) * sizeof rows->items[0]);
        rows->len--, i--;
    }
    put_le(out, del ? n : it, 4);
    return ST_OK;
}

HOST_FN(h_index_scan) { return index_range(s, user, a, res, false); }
HOST_FN(h_index_delete) { return index_range(s, user, a, res, true); }

HOST_FN(h_delete_by_eq)
{
    FakeHost *h = user;
    const uint8_t *rel = gmem(h, A(1), A(2));
    uint8_t *out = gmem(h, A(3), 4);
    NEED(rel && out && A(2) >= 4);
    NEED_TX();
    DefTable *t = table_of(h, A(0));
    if (t == NULL) {
        res[0] = 4;
        return ST_OK;
    }
    FRows *rows = &h->rows[A(0) - 1];
    uint32_t count = rel[0] | rel[1] << 8 | rel[2] << 16 | (uint32_t)rel[3] << 24, n = 0;
    size_t off = 4, used;
    res[0] = 0;
    for (uint32_t k = 0; k < count && res[0] == 0; k++, off += used) {
        if (bsatn_validate(&h->def.ts, t->row, rel + off, A(2) - off, &used, NULL) != ST_OK) {
            res[0] = 3;
            break;
        }
        for (size_t i = 0; i < rows->len; i++)
            if (rows->items[i].len == used && !memcmp(rows->items[i].b, rel + off, used)) {
                mem_free(rows->items[i].b);
                rows->items[i] = rows->items[--rows->len];
                n++;
                break;
            }
    }
    if (res[0] == 0)
        put_le(out, n, 4);
    return ST_OK;
}

HOST_FN(h_iter_advance)
{
    FakeHost *h = user;
    uint8_t *lenp = gmem(h, A(2), 4);
    NEED(lenp);
    if (A(0) == 0 || A(0) > FAKE_ITERS || !h->iters[A(0) - 1].live) {
        res[0] = 6;
        return ST_OK;
    }
    FIter *it = &h->iters[A(0) - 1];
    uint32_t cap = lenp[0] | lenp[1] << 8 | lenp[2] << 16 | (uint32_t)lenp[3] << 24, n = 0;
    uint8_t *buf = gmem(h, A(1), cap);
    NEED(buf);
    while (it->next < it->rows.len && n + it->rows.items[it->next].len <= cap) {
        memcpy(buf + n, it->rows.items[it->next].b, it->rows.items[it->next].len);
        n += it->rows.items[it->next++].len;
    }
    if (n == 0 && it->next < it->rows.len) {   /* the next row does not fit */
        put_le(lenp, it->rows.items[it->next].len, 4);
        h->too_small++;
        res[0] = 11;
        return ST_OK;
    }
    put_le(lenp, n, 4);
    res[0] = 0;
    if (it->next == it->rows.len) {             /* -1 together with the last rows */
        iter_free(h, A(0));
        res[0] = (uint32_t)-1;
    }
    return ST_OK;
}

HOST_FN(h_iter_close)
{
    FakeHost *h = user;
    (void)s;
    res[0] = A(0) == 0 || A(0) > FAKE_ITERS || !h->iters[A(0) - 1].live ? 6 : 0;
    if (res[0] == 0)
        iter_free(h, A(0));
    return ST_OK;
}

HOST_FN(h_insert)
{
    FakeHost *h = user;
    uint8_t *lenp = gmem(h, A(2), 4);
    NEED(lenp);
    uint32_t len = lenp[0] | lenp[1] << 8 | lenp[2] << 16 | (uint32_t)lenp[3] << 24;
    uint8_t *row = gmem(h, A(1), len);
    NEED(row);
    NEED_TX();
    if (!table_of(h, A(0))) {
        res[0] = 4;
        return ST_OK;
    }
    res[0] = ds_write(h, A(0) - 1, NULL, row, &len);
    put_le(lenp, len, 4);
    return ST_OK;
}

HOST_FN(h_update)
{
    FakeHost *h = user;
    uint8_t *lenp = gmem(h, A(3), 4);
    NEED(lenp);
    uint32_t len = lenp[0] | lenp[1] << 8 | lenp[2] << 16 | (uint32_t)lenp[3] << 24, ti;
    uint8_t *row = gmem(h, A(2), len);
    NEED(row);
    NEED_TX();
    DefIndex *ix = index_of(h, A(1), &ti);
    if (!table_of(h, A(0)) || ix == NULL || ti != A(0)) {
        res[0] = table_of(h, A(0)) ? 5 : 4;
        return ST_OK;
    }
    res[0] = ds_write(h, A(0) - 1, ix, row, &len);
    put_le(lenp, len, 4);
    return ST_OK;
}

HOST_FN(h_source_read)
{
    FakeHost *h = user;
    uint8_t *lenp = gmem(h, A(2), 4);
    NEED(lenp);
    if (A(0) != 1 || !h->source_live) {
        res[0] = 8;
        return ST_OK;
    }
    uint32_t cap = lenp[0] | lenp[1] << 8 | lenp[2] << 16 | (uint32_t)lenp[3] << 24;
    size_t n = h->source_len - h->source_pos < cap ? h->source_len - h->source_pos : cap;
    uint8_t *buf = gmem(h, A(1), (uint32_t)n);
    NEED(buf);
    memcpy(buf, h->source + h->source_pos, n);
    h->source_pos += n;
    put_le(lenp, n, 4);
    h->source_live = h->source_pos < h->source_len;
    res[0] = h->source_live ? 0 : (uint32_t)-1;
    return ST_OK;
}

HOST_FN(h_sink_write)
{
    FakeHost *h = user;
    uint8_t *lenp = gmem(h, A(2), 4);
    NEED(lenp);
    uint32_t len = lenp[0] | lenp[1] << 8 | lenp[2] << 16 | (uint32_t)lenp[3] << 24;
    uint8_t *buf = gmem(h, A(1), len);
    NEED(buf);
    res[0] = A(0) == 1 ? 0 : 8;
    if (res[0] == 0)
        strbuf_append(&h->sink, buf, len);
    return ST_OK;
}

/* NULL target/file mean "absent"; a bad range drops the message (never traps). */
HOST_FN(h_console_log)
{
    FakeHost *h = user;
    (void)s, (void)res;
    const uint8_t *target = gmem(h, A(1), A(2)), *file = gmem(h, A(3), A(4));
    const uint8_t *msg = gmem(h, A(6), A(7));
    if (msg == NULL && A(7) != 0)
        return ST_OK;
    LogRec r = { .level = A(0), .line = A(5),
                 .target = target ? mem_strndup((const char *)target, A(2)) : NULL,
                 .file = file ? mem_strndup((const char *)file, A(4)) : NULL,
                 .msg = mem_strndup(msg ? (const char *)msg : "", A(7)) };
    assert_int_equal(vec_push(&h->logs, r), ST_OK);
    return ST_OK;
}

HOST_FN(h_identity)
{
    FakeHost *h = user;
    (void)res;
    uint8_t *out = gmem(h, A(0), 32);
    NEED(out);
    memcpy(out, h->db_identity, 32);
    return ST_OK;
}

HOST_FN(h_unused)
{
    (void)user, (void)a, (void)res;
    return wasm_trap(s, "fake host: this import is not implemented");
}

/* Every spacetime_10.0 function (§1.3): params, '>', results; i = i32, I = i64. */
typedef struct FakeImport { const char *name, *sig; WasmHostFn fn; } FakeImport;
static const FakeImport fake_imports[] = {
    { "table_id_from_name", "iii>i", h_table_id_from_name },
    { "index_id_from_name", "iii>i", h_index_id_from_name },
    { "datastore_table_row_count", "ii>i", h_row_count },
    { "datastore_table_scan_bsatn", "ii>i", h_table_scan },
    { "datastore_index_scan_range_bsatn", "iiiiiiiii>i", h_index_scan },
    { "datastore_btree_scan_bsatn", "iiiiiiiii>i", h_index_scan },
    { "datastore_delete_by_index_scan_range_bsatn", "iiiiiiiii>i", h_index_delete },
    { "datastore_delete_by_btree_scan_bsatn", "iiiiiiiii>i", h_index_delete },
    { "datastore_delete_all_by_eq_bsatn", "iiii>i", h_delete_by_eq },
    { "row_iter_bsatn_advance", "iii>i", h_iter_advance },
    { "row_iter_bsatn_close", "i>i", h_iter_close },
    { "datastore_insert_bsatn", "iii>i", h_insert },
    { "datastore_update_bsatn", "iiii>i", h_update },
    { "bytes_source_read", "iii>i", h_source_read },
    { "bytes_sink_write", "iii>i", h_sink_write },
    { "console_log", "iiiiiiii>", h_console_log },
    { "console_timer_start", "ii>i", h_unused },
    { "console_timer_end", "i>i", h_unused },
    { "identity", "i>", h_identity },
    { "volatile_nonatomic_schedule_immediate", "iiii>", h_unused },
};

static const FakeImport *fake_import(const WasmImport *imp)
{
    if (strcmp(imp->module.s, "spacetime_10.0") != 0 || imp->kind != WASM_EXTERN_FUNC)
        return NULL;
    for (size_t i = 0; i < sizeof fake_imports / sizeof fake_imports[0]; i++)
        if (strcmp(fake_imports[i].name, imp->name.s) == 0)
            return &fake_imports[i];
    return NULL;
}

/* "iiI>i" -> parameter and result value types. */
static void sig_types(const char *sig, uint8_t *params, uint32_t *np, uint8_t *results, uint32_t *nr)
{
    *np = *nr = 0;
    bool after = false;
    for (; *sig; sig++) {
        if (*sig == '>') {
            after = true;
            continue;
        }
        uint8_t t = *sig == 'I' ? WASM_I64 : WASM_I32;
        if (after)
            results[(*nr)++] = t;
        else
            params[(*np)++] = t;
    }
}

static Status fake_resolve(void *user, const WasmImport *imp, WasmExtern *out, WasmError *err)
{
    FakeHost *h = user;
    const FakeImport *fi = fake_import(imp);
    if (fi == NULL)
        return wasm_error(err, ST_LINK, -1, "unknown import: %s.%s", imp->module.s, imp->name.s);
    uint8_t p[16], r[2];
    uint32_t np, nr;
    sig_types(fi->sig, p, &np, r, &nr);
    out->kind = WASM_EXTERN_FUNC;
    out->u.func = wasm_host_func_new(h->store, p, np, r, nr, fi->fn, h);
    return out->u.func ? ST_OK : ST_NOMEM;
}

#endif
