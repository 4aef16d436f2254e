/*
 * table_util.h - shared helpers for the table, transaction and database
 * tests: row types, BSATN row builders, snapshots of a table's complete
 * state (for "bit-identical after rollback"), and a tiny PRNG.
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_TESTS_TABLE_UTIL_H
#define TINYSTDB_TESTS_TABLE_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/table.h"
#include "db/table_int.h"
#include "util/alloc.h"

/* ---- PRNG (xorshift64*): fixed seeds make runs repeatable ---- */
static inline uint64_t rnd_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static inline uint32_t rnd_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(rnd_next(s) % n);
}

/* ---- types ---- */

/* A product type with named columns of the given types, added to ts. */
static inline const AlgType *make_row_type(Typespace *ts, uint32_t n, const char *const *names,
                                           const AlgType *const *types)
{
    AlgType *p = typespace_new_type(ts, ALG_PRODUCT, n);
    if (!p)
        abort();
    for (uint32_t i = 0; i < n; i++) {
        p->members[i].name = names[i];
        p->members[i].type = types[i];
    }
    return p;
}

/* ---- BSATN builders (abort on out of memory: test code) ---- */

static inline void put(StrBuf *b, const void *p, size_t n)
{
    if (strbuf_append(b, p, n) != ST_OK)
        abort();
}

static inline void put_uint(StrBuf *b, uint64_t v, unsigned width)
{
    uint8_t le[8];
    for (unsigned i = 0; i < width; i++)
        le[i] = (uint8_t)(v >> 8 * i);
    put(b, le, width);
}

static inline void put_str(StrBuf *b, const char *s)
{
    put_uint(b, strlen(s), 4);
    put(b, s, strlen(s));
}

/* ---- snapshots ---- */

/* Everything observable about a table, as bytes: every row (RowId and
 * bytes, in scan order), every index's entries in order (B-tree: walked;
 * hash: the key and row ids of each row), row count, sequence values. */
static inline void snapshot_table(Table *t, StrBuf *out, bool with_seqs)
{
    strbuf_clear(out);
    TableCursor c;
    RowId id;
    const uint8_t *row;
    size_t len;
    table_cursor_all(t, &c);
    while (table_cursor_next(&c, &id, &row, &len)) {
        put_uint(out, id, 8);
        put_uint(out, len, 4);
        put(out, row, len);
    }
    table_cursor_fini(&c);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        put_uint(out, 0xABCDEF, 4);
        if (t->indexes[i].bt) {
            BTreeIter it;
            const uint8_t *key;
            size_t klen;
            BTreeBound u = { BOUND_UNBOUNDED, NULL, 0 };
            btree_iter_range(t->indexes[i].bt, u, u, &it);
            while (btree_iter_next(&it, &key, &klen, &id)) {
                put(out, key, klen);
                put_uint(out, id, 8);
            }
            btree_iter_fini(&it);
        } else {   /* a hash index has no order: list each row's key's ids */
            table_cursor_all(t, &c);
            RowId rid;
            while (table_cursor_next(&c, &rid, &row, &len)) {
                StrBuf key;
                strbuf_init(&key);
                if (table_index_key(t, i, row, len, &key) != ST_OK)
                    abort();
                HashIter hit;
                hashidx_find(t->indexes[i].hash, (const uint8_t *)key.data, key.len, &hit);
                while (hashidx_iter_next(&hit, &id))
                    put_uint(out, id, 8);
                strbuf_fini(&key);
            }
            table_cursor_fini(&c);
            put_uint(out, hashidx_count(t->indexes[i].hash), 8);
        }
    }
    put_uint(out, table_row_count(t), 8);
    for (uint32_t i = 0; with_seqs && i < table_sequence_count(t); i++) {
        uint8_t le[16];
        i128_to_le(table_sequence(t, i)->value, le);
        put(out, le, 16);
    }
}

#define assert_table_ok(t)                                                     \
    do {                                                                       \
        char msg_[256];                                                        \
        Status st_ = table_check((t), msg_, sizeof msg_);                      \
        if (st_ != ST_OK)                                                      \
            fail_msg("table_check: %s", msg_);                                 \
    } while (0)

#endif
