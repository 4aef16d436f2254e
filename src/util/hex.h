/*
 * hex.h - hexadecimal digits, both directions.
 *
 * Identities, connection ids, token hashes, SATS-JSON byte arrays and
 * SQL literals are all written as hex somewhere; these four functions
 * are the one place that knows how.  "reversed" is for numbers stored
 * little-endian (identities, u128/u256) and written big-endian, most
 * significant digit first: the bytes are read from the last to the first.
 * Output is always lowercase; input may be either case.
 *
 * Book: chapter 2, book/02-foundations.md
 */
#ifndef TINYSTDB_UTIL_HEX_H
#define TINYSTDB_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "vec.h"

/* The value of hex digit c (0-9, a-f, A-F), or -1. */
int hex_digit(char c);

/* 2n hex digits and a NUL into out[2n + 1]: p[0..n) in order, or
 * p[n-1] down to p[0] when reversed. */
void hex_encode(const uint8_t *p, size_t n, bool reversed, char *out);

/* The same 2n digits appended to sb (no NUL).  ST_NOMEM leaves sb as it
 * was. */
Status hex_append(StrBuf *sb, const uint8_t *p, size_t n, bool reversed);

/* Exactly 2n hex digits s[0..2n) into out[0..n), reversed as above.
 * false on a character that is not a hex digit, whose offset in s goes
 * to *bad (may be NULL); out is then partly written. */
bool hex_decode(const char *s, size_t n, bool reversed, uint8_t *out, size_t *bad);

#endif
