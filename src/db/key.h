/*
 * key.h - the order-preserving key encoding that lets indexes ignore types.
 *
 * An index stores (key bytes, RowId) and orders keys with memcmp (a
 * shorter key that is a prefix of a longer one is smaller).  key.c turns a
 * BSATN value into bytes whose memcmp order is SpacetimeDB's value order:
 *
 *   for values a, b of one type:  sign(keycmp(key(a), key(b)))
 *                                   == sign(bsatn_compare(a, b))
 *
 * and every encoding is prefix-free (no value's key is a proper prefix of
 * another's of the same type), so the key of columns (c0, c1, ...) is just
 * key(c0) ++ key(c1) ++ ..., and "rows whose first k columns equal x" is
 * "keys that start with key(x0) ++ ... ++ key(x(k-1))".
 *
 *   unsigned ints   big-endian            bool     0x00 / 0x01
 *   signed ints     big-endian, sign bit flipped
 *   f32 / f64       total-order bits (bsatn_f64_order), big-endian
 *   String, bytes   each 0x00 as 0x00 0xFF, then 0x00 0x00
 *   Array           0x01 before each element, then 0x00
 *   Product         the elements' keys concatenated
 *   Sum             the tag byte, then the payload's key
 *
 * Keys are not decodable back to values (floats lose -0 and NaN payloads)
 * and need not be: indexes map keys to RowIds, and rows keep the BSATN.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#ifndef TINYSTDB_DB_KEY_H
#define TINYSTDB_DB_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "../util/vec.h"
#include "types.h"

/* Append the order-preserving encoding of one valid BSATN value of type t to out. */
Status key_encode_value(const Typespace *ts, const AlgType *t, const uint8_t *bsatn, StrBuf *out);
/* Append the key of a row for the given columns (row = valid BSATN of product row_type).
 * Columns may come in any order and repeat; ST_ARG for a column number
 * out of range or a row_type that is not a product.  On failure out is
 * left as it was. */
Status key_encode_columns(const Typespace *ts, const AlgType *row_type, const uint8_t *row, size_t len,
                          const uint16_t *cols, uint32_t ncols, StrBuf *out);
/* memcmp order, a proper prefix first: the order indexes keep keys in. */
int key_compare(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
