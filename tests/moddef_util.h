/*
 * moddef_util.h - building RawModuleDef bytes by hand for the tests of
 * the module-definition decoder (test_moddef.c) and the describe loader
 * (test_describe.c), plus finding the real Rust module on disk.
 *
 * A V9Spec describes a small, valid RawModuleDefV9 (a table "person" with
 * a primary key, a sequence, a btree and a hash index, two reducers, two
 * named types, one RLS filter); each error test changes one knob and
 * checks the error names the cause.  The bytes are written with the
 * BSATN rules of module-abi.md §3-§5, independently of the decoder.
 *
 * Book: chapter 15, book/15-module-defs.md
 */
#ifndef TINYSTDB_TESTS_MODDEF_UTIL_H
#define TINYSTDB_TESTS_MODDEF_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/types.h"
#include "host/moddef.h"
#include "util/alloc.h"

typedef struct DefBuf {
    uint8_t b[8192];
    size_t n;
} DefBuf;

static inline void db_u8(DefBuf *d, uint8_t v)
{
    assert_true(d->n < sizeof d->b);
    d->b[d->n++] = v;
}

static inline void db_u16(DefBuf *d, uint16_t v)
{
    db_u8(d, (uint8_t)v);
    db_u8(d, (uint8_t)(v >> 8));
}

static inline void db_u32(DefBuf *d, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        db_u8(d, (uint8_t)(v >> 8 * i));
}

/* An i128 from a small signed value (sign-extended to 16 bytes). */
static inline void db_i128(DefBuf *d, int64_t v)
{
    for (int i = 0; i < 16; i++)
        db_u8(d, (uint8_t)(i < 8 ? (uint64_t)v >> 8 * i : v < 0 ? 0xFF : 0));
}

static inline void db_str(DefBuf *d, const char *s)
{
    db_u32(d, (uint32_t)strlen(s));
    for (const char *p = s; *p; p++)
        db_u8(d, (uint8_t)*p);
}

/* Option<String>: Some = 00 + string, None = 01. */
static inline void db_opt_str(DefBuf *d, const char *s)
{
    db_u8(d, s ? 0 : 1);
    if (s)
        db_str(d, s);
}

static inline void db_cols1(DefBuf *d, uint16_t col)
{
    db_u32(d, 1);
    db_u16(d, col);
}

/* AlgebraicType meta-encoding (§4). */
static inline void db_ref(DefBuf *d, uint32_t ref)
{
    db_u8(d, ALG_REF);
    db_u32(d, ref);
}

static inline void db_product(DefBuf *d, uint32_t n)   /* then n (name, type) */
{
    db_u8(d, ALG_PRODUCT);
    db_u32(d, n);
}

static inline void db_wrapper(DefBuf *d, const char *field, AlgKind k)
{
    db_product(d, 1);
    db_opt_str(d, field);
    db_u8(d, (uint8_t)k);
}

static inline void db_schedule_at(DefBuf *d)
{
    db_u8(d, ALG_SUM);
    db_u32(d, 2);
    db_opt_str(d, "Interval");
    db_wrapper(d, "__time_duration_micros__", ALG_I64);
    db_opt_str(d, "Time");
    db_wrapper(d, "__timestamp_micros_since_unix_epoch__", ALG_I64);
}

typedef struct V9Spec {
    uint8_t tag;                /* RawModuleDef tag: 1 = V9 */
    uint8_t row_kind;           /* kind of typespace[0]: ALG_PRODUCT unless breaking it */
    uint32_t row_ref;           /* the table's product_type_ref */
    uint32_t pos_ref;           /* column "pos" is Ref(pos_ref) */
    int pk;                     /* primary key column, -1 for none */
    const char *table;          /* the table's name */
    const char *table2;         /* a second, bare table with the same row, or NULL */
    const char *index_name;     /* explicit name of index 0, or NULL */
    uint8_t algo1;              /* algorithm of index 1, on "name": 1 Hash */
    uint16_t unique_col;        /* the unique constraint's column */
    uint16_t seq_col;           /* the sequence's column */
    const char *reducer2;       /* name of the second reducer */
    int lifecycle1, lifecycle2; /* Lifecycle tags of the two reducers, -1 none */
    bool scheduled;             /* add column "at: ScheduleAt", a schedule and reducer "tick" */
    const char *sched_reducer;  /* the reducer the schedule names */
    bool trailing;              /* one byte after the definition */
} V9Spec;

#define V9_BASE                                                                            \
    (V9Spec)                                                                               \
    {                                                                                      \
        .tag = 1, .row_kind = ALG_PRODUCT, .row_ref = 0, .pos_ref = 1, .pk = 0,            \
        .table = "person", .algo1 = 1, .reducer2 = "init", .lifecycle1 = -1,               \
        .lifecycle2 = 0, .sched_reducer = "tick",                                          \
    }

static inline void v9_typespace(DefBuf *d, const V9Spec *s)
{
    db_u32(d, 2);
    if (s->row_kind == ALG_PRODUCT) {
        db_product(d, s->scheduled ? 4 : 3);
        db_opt_str(d, "id");
        db_u8(d, ALG_U64);
        db_opt_str(d, "name");
        db_u8(d, ALG_STRING);
        db_opt_str(d, "pos");
        db_ref(d, s->pos_ref);
        if (s->scheduled) {
            db_opt_str(d, "at");
            db_schedule_at(d);
        }
    } else {
        db_u8(d, s->row_kind);
    }
    db_product(d, 2);
    db_opt_str(d, "x");
    db_u8(d, ALG_F32);
    db_opt_str(d, "y");
    db_u8(d, ALG_F32);
}

static inline void v9_table(DefBuf *d, const V9Spec *s)
{
    db_str(d, s->table);
    db_u32(d, s->row_ref);
    db_u32(d, s->pk >= 0 ? 1 : 0);
    if (s->pk >= 0)
        db_u16(d, (uint16_t)s->pk);
    db_u32(d, 2);                                   /* indexes */
    db_opt_str(d, s->index_name);
    db_opt_str(d, "id");
    db_u8(d, 0);                                    /* BTree */
    db_cols1(d, 0);
    db_opt_str(d, NULL);
    db_opt_str(d, "name");
    db_u8(d, s->algo1);
    if (s->algo1 == 2)
        db_u16(d, 1);                               /* Direct: one ColId */
    else
        db_cols1(d, 1);
    db_u32(d, 1);                                   /* constraints */
    db_opt_str(d, NULL);
    db_u8(d, 0);                                    /* Unique */
    db_cols1(d, s->unique_col);
    db_u32(d, 1);                                   /* sequences */
    db_opt_str(d, NULL);
    db_u16(d, s->seq_col);
    db_u8(d, 1);                                    /* start None */
    db_u8(d, 1);                                    /* min None */
    db_u8(d, 1);                                    /* max None */
    db_i128(d, 1);
    db_u8(d, s->scheduled ? 0 : 1);                 /* schedule */
    if (s->scheduled) {
        db_opt_str(d, NULL);
        db_str(d, s->sched_reducer);
        db_u16(d, 3);
    }
    db_u8(d, 1);                                    /* User */
    db_u8(d, 0);                                    /* Public */
}

static inline void v9_bare_table(DefBuf *d, const char *name)
{
    db_str(d, name);
    db_u32(d, 0);
    for (int i = 0; i < 4; i++)
        db_u32(d, 0);                               /* pk, indexes, constraints, sequences */
    db_u8(d, 1);                                    /* no schedule */
    db_u8(d, 1);
    db_u8(d, 1);                                    /* User, Private */
}

static inline void v9_lifecycle(DefBuf *d, int lc)
{
    db_u8(d, lc >= 0 ? 0 : 1);
    if (lc >= 0)
        db_u8(d, (uint8_t)lc);
}

static inline void v9_reducers(DefBuf *d, const V9Spec *s)
{
    db_u32(d, s->scheduled ? 3 : 2);
    db_str(d, "add");
    db_u32(d, 1);                                   /* params: ProductType, no tag */
    db_opt_str(d, "name");
    db_u8(d, ALG_STRING);
    v9_lifecycle(d, s->lifecycle1);
    db_str(d, s->reducer2);
    db_u32(d, 0);
    v9_lifecycle(d, s->lifecycle2);
    if (s->scheduled) {
        db_str(d, "tick");
        db_u32(d, 1);
        db_opt_str(d, "row");
        db_ref(d, 0);
        v9_lifecycle(d, -1);
    }
}

/* The whole bsatn(RawModuleDef) for s. */
static inline void build_v9(DefBuf *d, const V9Spec *s)
{
    d->n = 0;
    db_u8(d, s->tag);
    v9_typespace(d, s);
    db_u32(d, s->table2 ? 2 : 1);
    v9_table(d, s);
    if (s->table2)
        v9_bare_table(d, s->table2);
    v9_reducers(d, s);
    db_u32(d, 2);                                   /* types */
    db_u32(d, 0);
    db_str(d, "Person");
    db_u32(d, 0);
    db_u8(d, 1);
    db_u32(d, 1);
    db_str(d, "geo");
    db_str(d, "Point");
    db_u32(d, 1);
    db_u8(d, 1);
    db_u32(d, 0);                                   /* misc exports */
    db_u32(d, 1);                                   /* row-level security */
    db_str(d, "SELECT * FROM person");
    if (s->trailing)
        db_u8(d, 0);
}

/* ---- the real Rust module ---------------------------------------------------- */

#define RUST_MODULE "rust-1.1.2-metasiberia-game.wasm"

/* Read $TINYSTDB_SHARED/modules/RUST_MODULE or ../shared/modules/RUST_MODULE
 * (mem_free the result); NULL when absent. */
static inline uint8_t *read_rust_module(size_t *len, char *path, size_t pathlen)
{
    const char *env = getenv("TINYSTDB_SHARED");
    const char *dirs[] = { env, "../shared", "../../shared" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i])
            continue;
        snprintf(path, pathlen, "%s/modules/%s", dirs[i], RUST_MODULE);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *buf = mem_alloc(1 << 20);
        *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
        fclose(f);
        return buf;
    }
    return NULL;
}

#endif
