/*
 * sdk_def.h - a small, independent reader of RawModuleDef bytes for the
 * C SDK's tests (test_sdk.c).
 *
 * It decodes a RawModuleDef::V9 exactly as module-abi.md §5 lays it out,
 * using alg_type_decode (src/db/types.h) for every AlgebraicType and its
 * own cursor for the rest, into fixed-size structs that tests can look
 * at.  It is deliberately separate from the SDK (which writes the bytes)
 * and from the host's decoder (src/host/), so that a misreading of the
 * reference in one place shows up as a test failure instead of agreeing
 * with itself.  It is also run on the real Rust module, which checks the
 * reader against bytes we did not produce.
 *
 * Also here: the names the host generates for unnamed indexes (§5.2),
 * "{table}_{col}_{col}_idx_btree", computed from the decoded definition.
 *
 * Book: chapter 17, book/17-c-sdk.md
 */
#ifndef TINYSTDB_TESTS_SDK_DEF_H
#define TINYSTDB_TESTS_SDK_DEF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db/types.h"

#define DEF_MAX 16

typedef struct DefIndex {
    char *name, *accessor;      /* NULL = None */
    uint8_t algo;               /* 0 BTree, 1 Hash, 2 Direct */
    uint16_t cols[DEF_MAX];
    uint32_t ncols;
} DefIndex;

typedef struct DefConstraint { char *name; uint8_t kind; uint16_t cols[DEF_MAX]; uint32_t ncols; } DefConstraint;

typedef struct DefSequence {
    char *name;
    uint16_t col;
    bool has_start, has_min, has_max;
    uint64_t inc_lo, inc_hi;    /* the i128 increment, two LE halves */
} DefSequence;

typedef struct DefTable {
    char *name;
    uint32_t type_ref;
    const AlgType *row;         /* typespace[type_ref], resolved: a product */
    uint16_t pk[DEF_MAX];
    uint32_t npk;
    DefIndex idx[DEF_MAX];
    uint32_t nidx;
    DefConstraint cons[DEF_MAX];
    uint32_t ncons;
    DefSequence seq[DEF_MAX];
    uint32_t nseq;
    bool scheduled;
    char *sched_name, *sched_reducer;
    uint16_t sched_col;
    uint8_t table_type, access; /* 1 = User; 0 = Public, 1 = Private */
} DefTable;

typedef struct DefReducer {
    char *name;
    char *pname[DEF_MAX];
    const AlgType *ptype[DEF_MAX];
    uint32_t nparams;
    int lifecycle;              /* -1 none, 0 Init, 1 OnConnect, 2 OnDisconnect */
} DefReducer;

typedef struct DefType { uint32_t nscope; char *name; uint32_t ty; bool custom_ordering; } DefType;

typedef struct Def {
    Typespace ts;               /* owns every string and type below */
    DefTable tables[DEF_MAX];
    uint32_t ntables;
    DefReducer reducers[DEF_MAX];
    uint32_t nreducers;
    DefType types[DEF_MAX];
    uint32_t ntypes;
    uint32_t nmisc, nrls;
    char error[128];            /* why def_decode failed */
} Def;

/* ---- a cursor over the bytes --------------------------------------------- */

typedef struct DefRd { const uint8_t *p; size_t len, pos; bool ok; Def *d; } DefRd;

static uint64_t rd_le(DefRd *r, size_t n)
{
    uint64_t v = 0;
    if (!r->ok || r->len - r->pos < n) {
        r->ok = false;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += n;
    return v;
}

static uint8_t rd_u8(DefRd *r) { return (uint8_t)rd_le(r, 1); }
static uint16_t rd_u16(DefRd *r) { return (uint16_t)rd_le(r, 2); }
static uint32_t rd_u32(DefRd *r) { return (uint32_t)rd_le(r, 4); }

static char *rd_str(DefRd *r)
{
    uint32_t n = rd_u32(r);
    if (!r->ok || n > r->len - r->pos) {
        r->ok = false;
        return NULL;
    }
    char *s = arena_strndup(&r->d->ts.arena, (const char *)r->p + r->pos, n);
    r->pos += n;
    r->ok = s != NULL;
    return s;
}

/* Option<String>: 00 + string = Some, 01 = None (NULL). */
static char *rd_opt_str(DefRd *r)
{
    uint8_t tag = rd_u8(r);
    if (tag == 0)
        return rd_str(r);
    r->ok = r->ok && tag == 1;
    return NULL;
}

/* Option<i128>: true when Some (the value is skipped). */
static bool rd_opt_i128(DefRd *r)
{
    uint8_t tag = rd_u8(r);
    if (tag == 0)
        rd_le(r, 8), rd_le(r, 8);
    r->ok = r->ok && tag <= 1;
    return tag == 0;
}

static const AlgType *rd_type(DefRd *r)
{
    size_t used = 0;
    const AlgType *t = NULL;
    if (!r->ok || alg_type_decode(&r->d->ts, r->p + r->pos, r->len - r->pos, &used, &t, NULL) != ST_OK) {
        r->ok = false;
        return NULL;
    }
    r->pos += used;
    return t;
}

/* A count that indexes one of our fixed arrays. */
static uint32_t rd_count(DefRd *r, uint32_t max)
{
    uint32_t n = rd_u32(r);
    if (n > max)
        r->ok = false;
    return r->ok ? n : 0;
}

static uint32_t rd_collist(DefRd *r, uint16_t *cols)
{
    uint32_t n = rd_count(r, DEF_MAX);
    for (uint32_t i = 0; i < n; i++)
        cols[i] = rd_u16(r);
    return n;
}

/* ---- the definition (module-abi.md §5) ---------------------------------------- */

static void rd_table(DefRd *r, DefTable *t)
{
    t->name = rd_str(r);
    t->type_ref = rd_u32(r);
    t->npk = rd_collist(r, t->pk);
    t->nidx = rd_count(r, DEF_MAX);
    for (uint32_t i = 0; i < t->nidx; i++) {
        DefIndex *ix = &t->idx[i];
        ix->name = rd_opt_str(r);
        ix->accessor = rd_opt_str(r);
        ix->algo = rd_u8(r);
        if (ix->algo == 2) {            /* Direct{column: ColId} */
            ix->cols[0] = rd_u16(r);
            ix->ncols = 1;
        } else {                        /* BTree / Hash {columns: ColList} */
            ix->ncols = rd_collist(r, ix->cols);
            r->ok = r->ok && ix->algo <= 1;
        }
    }
    t->ncons = rd_count(r, DEF_MAX);
    for (uint32_t i = 0; i < t->ncons; i++) {
        t->cons[i].name = rd_opt_str(r);
        t->cons[i].kind = rd_u8(r);     /* 0 = Unique */
        t->cons[i].ncols = rd_collist(r, t->cons[i].cols);
    }
    t->nseq = rd_count(r, DEF_MAX);
    for (uint32_t i = 0; i < t->nseq; i++) {
        DefSequence *s = &t->seq[i];
        s->name = rd_opt_str(r);
        s->col = rd_u16(r);
        s->has_start = rd_opt_i128(r);
        s->has_min = rd_opt_i128(r);
        s->has_max = rd_opt_i128(r);
        s->inc_lo = rd_le(r, 8);
        s->inc_hi = rd_le(r, 8);
    }
    uint8_t sched = rd_u8(r);
    if ((t->scheduled = sched == 0)) {
        t->sched_name = rd_opt_str(r);
        t->sched_reducer = rd_str(r);
        t->sched_col = rd_u16(r);
    }
    t->table_type = rd_u8(r);
    t->access = rd_u8(r);
    r->ok = r->ok && sched <= 1 && t->table_type <= 1 && t->access <= 1;
}

static void rd_reducer(DefRd *r, DefReducer *red)
{
    red->name = rd_str(r);
    red->nparams = rd_count(r, DEF_MAX);         /* params: an inline ProductType */
    for (uint32_t i = 0; i < red->nparams; i++) {
        red->pname[i] = rd_opt_str(r);
        red->ptype[i] = rd_type(r);
    }
    uint8_t tag = rd_u8(r);
    red->lifecycle = tag == 0 ? rd_u8(r) : -1;
    r->ok = r->ok && tag <= 1 && red->lifecycle <= 2;
}

static void rd_types(DefRd *r, Def *d)
{
    d->ntypes = rd_count(r, DEF_MAX);
    for (uint32_t i = 0; i < d->ntypes; i++) {
        DefType *ty = &d->types[i];
        ty->nscope = rd_u32(r);
        for (uint32_t k = 0; r->ok && k < ty->nscope; k++)
            rd_str(r);
        ty->name = rd_str(r);
        ty->ty = rd_u32(r);
        uint8_t b = rd_u8(r);
        ty->custom_ordering = b == 1;
        r->ok = r->ok && b <= 1;
    }
}

/* Decode bytes (all of them) into *d, which the caller zeroed; false with
 * d->error set otherwise.  typespace_fini(&d->ts) frees everything. */
static bool def_decode(Def *d, const uint8_t *p, size_t len)
{
    DefRd r = { p, len, 0, true, d };
    typespace_init(&d->ts);
    if (rd_u8(&r) != 1) {
        snprintf(d->error, sizeof d->error, "not RawModuleDef::V9 (tag %u)", p[0]);
        return false;
    }
    size_t used = 0;
    if (typespace_decode(&d->ts, p + 1, len - 1, &used, NULL) != ST_OK)
        r.ok = false;
    r.pos += used;
    d->ntables = rd_count(&r, DEF_MAX);
    for (uint32_t i = 0; r.ok && i < d->ntables; i++)
        rd_table(&r, &d->tables[i]);
    d->nreducers = rd_count(&r, DEF_MAX);
    for (uint32_t i = 0; r.ok && i < d->nreducers; i++)
        rd_reducer(&r, &d->reducers[i]);
    rd_types(&r, d);
    d->nmisc = rd_u32(&r);
    d->nrls = rd_u32(&r);
    for (uint32_t i = 0; r.ok && i < d->nrls; i++)
        rd_str(&r);
    for (uint32_t i = 0; r.ok && i < d->ntables; i++) {
        DefTable *t = &d->tables[i];
        t->row = t->type_ref < d->ts.ntypes ? alg_resolve(&d->ts, d->ts.types[t->type_ref]) : NULL;
        r.ok = t->row != NULL && t->row->kind == ALG_PRODUCT;
    }
    if (!r.ok || r.pos != len) {
        snprintf(d->error, sizeof d->error, "bad definition: stopped at byte %zu of %zu%s",
                 r.pos, len, r.ok ? " (trailing bytes)" : "");
        return false;
    }
    return true;
}

/* ---- lookups and generated names ------------------------------------------------ */

static DefTable *def_table(Def *d, const char *name)
{
    for (uint32_t i = 0; i < d->ntables; i++)
        if (strcmp(d->tables[i].name, name) == 0)
            return &d->tables[i];
    return NULL;
}

/* The reducer's id (its position), or -1. */
static int def_reducer(const Def *d, const char *name)
{
    for (uint32_t i = 0; i < d->nreducers; i++)
        if (strcmp(d->reducers[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* §5.2: "{table}_{cols}_idx_{btree|hash|direct}"; col_{pos} for unnamed columns. */
static void def_index_name(const DefTable *t, const DefIndex *ix, char *out, size_t n)
{
    static const char *const algo[] = { "btree", "hash", "direct" };
    size_t len = (size_t)snprintf(out, n, "%s", t->name);
    for (uint32_t i = 0; i < ix->ncols && len < n; i++) {
        const char *col = ix->cols[i] < t->row->nmembers ? t->row->members[ix->cols[i]].name : NULL;
        if (col != NULL)
            len += (size_t)snprintf(out + len, n - len, "_%s", col);
        else
            len += (size_t)snprintf(out + len, n - len, "_col_%u", ix->cols[i]);
    }
    if (len < n)
        snprintf(out + len, n - len, "_idx_%s", algo[ix->algo < 3 ? ix->algo : 0]);
}

#endif
