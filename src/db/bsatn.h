/*
 * bsatn.h - BSATN, SpacetimeDB's binary value format, read in place.
 *
 * BSATN carries no tags, names or lengths for fixed-size things: the type
 * says how to read the bytes (module-abi.md §3).  Little-endian integers,
 * IEEE floats by their bits, bool as one byte 0/1, String and Array as a
 * u32 count then the contents, Product as the concatenation of its
 * elements, Sum as one tag byte then the chosen variant's payload.
 *
 * The storage engine keeps rows as BSATN bytes, so this module works on
 * bytes directly: validate untrusted input once (bsatn_validate), then
 * compare, measure and key-encode trusted bytes without re-checking.
 *
 * Errors from validation: ST_MALFORMED for bad bytes (truncated, bool byte
 * not 0/1, sum tag out of range, invalid UTF-8, trailing bytes), ST_LIMIT
 * for values nested deeper than BSATN_MAX_DEPTH, ST_INVALID for a type
 * with a dangling Ref.  All set DBE_BSATN_DECODE_ERROR and a message with
 * the byte offset of the problem.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#ifndef TINYSTDB_DB_BSATN_H
#define TINYSTDB_DB_BSATN_H

#include <stddef.h>
#include <stdint.h>

#include "dberror.h"
#include "types.h"

/* Products, sums and arrays nested deeper than this are refused.  It bounds
 * the recursion of every function here, since they only see valid values. */
#define BSATN_MAX_DEPTH 64

/* Check bytes are one well-formed value of type t (bool 0/1, valid UTF-8, sum tag in range,
 * lengths within len); *used = bytes consumed. ST_MALFORMED + DBE_BSATN_DECODE_ERROR with a
 * precise message ("truncated", "bad sum tag 7 for ...", "invalid UTF-8 at byte N") otherwise. */
Status bsatn_validate(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len, size_t *used, DbError *err);
/* Same, and the whole buffer must be consumed ("trailing bytes"). */
Status bsatn_validate_exact(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len, DbError *err);
/* Compare two VALID values of type t in SpacetimeDB's order: <0, 0, >0. */
int bsatn_compare(const Typespace *ts, const AlgType *t, const uint8_t *a, const uint8_t *b);
/* For a product type (a row): offset and length of each element in a valid value. */
typedef struct BsatnSpan { uint32_t off, len; } BsatnSpan;
/* spans has room for the product's nmembers entries.  The bytes are
 * validated as they are walked and must be exactly one value (len bytes);
 * ST_INVALID when product does not resolve to a product type. */
Status bsatn_product_spans(const Typespace *ts, const AlgType *product, const uint8_t *p, size_t len, BsatnSpan *spans, DbError *err);

/* Length in bytes of the VALID value of type t at p. */
size_t bsatn_value_len(const Typespace *ts, const AlgType *t, const uint8_t *p);
/* The byte width of every value of type t, or SIZE_MAX when values of t
 * differ in length (strings, arrays, sums of differing payloads...). */
size_t bsatn_fixed_size(const Typespace *ts, const AlgType *t);
/* Bytes consumed by the longest valid UTF-8 prefix of s[0..n) (strict:
 * no overlongs, no surrogates, nothing above U+10FFFF); n when all valid. */
size_t bsatn_utf8_prefix(const uint8_t *s, size_t n);

/* Bytes of every value of a bool, integer or float kind (1 to 32); 0 for
 * the other kinds, whose values vary in length. */
unsigned bsatn_prim_width(AlgKind k);

/* Little-endian loads from bytes already known to be long enough: n <= 8
 * bytes as an unsigned integer, and the u32 count in front of every String
 * and Array. */
static inline uint64_t bsatn_load_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

static inline uint32_t bsatn_load_u32(const uint8_t *p)
{
    return (uint32_t)bsatn_load_le(p, 4);
}

/* Floats in SpacetimeDB's total order (NaNs equal and greatest, -0 == +0):
 * the unsigned integer whose order is that order.  Used by compare and
 * by the key encoding, so both agree by construction. */
uint32_t bsatn_f32_order(uint32_t bits);
uint64_t bsatn_f64_order(uint64_t bits);

#endif
