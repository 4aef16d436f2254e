/*
 * value.h - a decoded value as a tree of C structs (a "DOM" for BSATN).
 *
 * The storage engine itself keeps rows as BSATN bytes and never needs
 * this; it is for the code that has to look inside values or make new
 * ones: SQL literals and results, JSON <-> BSATN for the HTTP API,
 * debugging output, and tests.
 *
 *   BSATN bytes --value_decode--> Value tree (in an Arena)
 *   Value tree  --value_encode--> BSATN bytes (type-checked)
 *
 * A Value records its kind (never ALG_REF: refs are resolved while
 * decoding) but not its full type; functions that need names or the
 * element type of an empty array take the AlgType alongside.
 *
 * Invariants (value_check): the tree has the shape of its type: kinds
 * match, integers fit their width, strings are valid UTF-8, a product has
 * one item per field, a sum's tag names a variant and it has a payload.
 * decode(encode(v)) == v and encode(decode(b)) == b byte for byte.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#ifndef TINYSTDB_DB_VALUE_H
#define TINYSTDB_DB_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/vec.h"
#include "dberror.h"
#include "types.h"

typedef struct Value Value;
struct Value {
    AlgKind kind;   /* the resolved kind; never ALG_REF */
    union {
        bool b;                                        /* ALG_BOOL */
        uint64_t u;                                    /* ALG_U8 .. ALG_U64 */
        int64_t i;                                     /* ALG_I8 .. ALG_I64 */
        uint8_t wide[32];                              /* 128/256-bit: little-endian two's
                                                          complement, 16 or 32 bytes used */
        float f32;                                     /* ALG_F32 (bits kept exactly) */
        double f64;                                    /* ALG_F64 */
        struct { const char *data; uint32_t len; } str;  /* ALG_STRING: NUL after len */
        struct { Value *items; uint32_t len; } seq;      /* ALG_ARRAY, ALG_PRODUCT */
        struct { uint8_t tag; Value *payload; } sum;     /* ALG_SUM */
    };
};

/* Decode one value of type t from p[0..len) into a tree allocated from a.
 * *used gets the bytes consumed; when used is NULL the value must fill the
 * buffer exactly.  Errors are those of bsatn_validate (the bytes are
 * validated first, so a tree is only built from good input). */
Status value_decode(Arena *a, const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                    size_t *used, Value **out, DbError *err);
/* Append the BSATN of v, which must fit t: ST_INVALID and a message naming
 * the place ("at .players[3].name: expected String, found u32") otherwise,
 * ST_LIMIT when nested deeper than BSATN_MAX_DEPTH.  On failure out is
 * left as it was. */
Status value_encode(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out,
                    DbError *err);
/* The invariant check: value_encode without the output. */
Status value_check(const Typespace *ts, const AlgType *t, const Value *v, DbError *err);
/* SpacetimeDB's order, as bsatn_compare on the encodings.  Both values
 * must have the same type (values of different kinds order by kind). */
int value_compare(const Value *a, const Value *b);
/* Human-readable text, for debugging and the CLI: 42, -1.5, "quoted",
 * [1, 2], (x = 1, name = "a"), (some = 5), identities as 0x + 64 hex
 * digits (big-endian), timestamps as 2024-05-01T12:00:00.000000+00:00.
 * (Named value_display, not value_format: src/cli/value.c has that name.) */
Status value_display(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out);
/* Pieces of value_display that other printers (src/sql/format.c) share:
 * the n-byte (n <= 32) little-endian integer le in decimal, as two's
 * complement when sign; and the proleptic Gregorian date (*m and *d
 * from 1) of a count of days since 1970-01-01. */
Status value_display_wide(StrBuf *out, const uint8_t *le, unsigned n, bool sign);
void value_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
