/*
 * sequence.h - auto-increment sequences, and the 128-bit integers they count in.
 *
 * An `#[auto_inc]` column gets a sequence: when a row is inserted (or
 * updated) with that column equal to 0, the column is replaced by the
 * sequence's next value (module-abi.md 7.2).  SpacetimeDB does this
 * arithmetic in i128 whatever the column type, and so do we:
 *
 *   value:  start, start+inc, start+2*inc, ...   (the value handed out next)
 *   past max (inc > 0) it wraps to min; below min (inc < 0) to max, keeping
 *   the overshoot modulo the range: min=1 max=10 inc=3: 1 4 7 10 3 6 9 2 ...
 *   the column gets the value truncated to its width (u8 keeps the low byte).
 *
 * Defaults when the module def leaves them out: start = 1, min = 1,
 * max = i128::MAX.  Sequences are not transactional: a value handed out
 * by a transaction that rolls back stays used (module-abi.md 7.1).
 *
 * C11 has no 128-bit integer, so I128 is two 64-bit halves in two's
 * complement, with just the operations the wrap rule needs.
 *
 * Invariant: min <= value <= max, increment != 0.
 *
 * Book: chapter 12, book/12-tables.md
 */
#ifndef TINYSTDB_DB_SEQUENCE_H
#define TINYSTDB_DB_SEQUENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/vec.h"
#include "dberror.h"
#include "types.h"

typedef struct I128 {
    uint64_t lo;
    uint64_t hi;                  /* the sign is bit 63 of hi */
} I128;

I128 i128_from_i64(int64_t v);
/* From / to 16 little-endian bytes (BSATN's i128). */
I128 i128_from_le(const uint8_t b[16]);
void i128_to_le(I128 v, uint8_t b[16]);
int i128_cmp(I128 a, I128 b);     /* signed: <0, 0, >0 */
/* Decimal text, e.g. "-170141183460469231731687303715884105728". */
Status i128_format(I128 v, StrBuf *out);
extern const I128 I128_MAX;

/* What a module def says about a sequence (RawSequenceDefV9). */
typedef struct SequenceSchema {
    const char *name;             /* NULL: "{table}_{col}_seq" */
    uint16_t col;
    bool has_start, has_min, has_max;
    I128 start, min, max;
    I128 increment;
} SequenceSchema;

typedef struct Sequence {
    char *name;
    uint16_t col;
    AlgKind kind;                 /* the column's integer type */
    I128 min, max, increment;
    I128 value;                   /* the next value to hand out */
} Sequence;

/* Fill seq from s for a column of type kind (must be an integer type; the
 * caller checked).  ST_INVALID for increment 0 or not min <= start <= max;
 * ST_NOMEM for the name copy.  table names the default name. */
Status sequence_init(Sequence *seq, const SequenceSchema *s, const char *table,
                     const char *colname, AlgKind kind, DbError *err);
void sequence_fini(Sequence *seq);
/* Hand out the next value (the current one) and advance with wrapping. */
I128 sequence_next(Sequence *seq);
/* The value that follows v under the wrap rule (exposed for tests). */
I128 sequence_step(const Sequence *seq, I128 v);
/* True for the integer kinds a sequence may fill. */
bool sequence_kind_ok(AlgKind k);
/* Bytes of a column of an integer kind. */
unsigned sequence_width(AlgKind k);
/* Write v into a column of kind k, truncated to its width (256-bit
 * columns are sign-extended). */
void sequence_store(AlgKind k, I128 v, uint8_t *col);

#endif
