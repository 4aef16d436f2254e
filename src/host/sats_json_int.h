/*
 * sats_json_int.h - the number text of SATS-JSON, shared by the reader
 * (sats_json.c) and the writer (sats_json_write.c).
 *
 * C has no 128- or 256-bit integers and printf has no "shortest float
 * that reads back" conversion, so these few routines do both by hand:
 * integers of 1 to 32 bytes (little-endian two's complement, the BSATN
 * layout) to and from decimal or "0x" hex text, and floats in the exact
 * shape Rust's serde_json writes them (the Ryu layout).
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#ifndef TINYSTDB_HOST_SATS_JSON_INT_H
#define TINYSTDB_HOST_SATS_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"
#include "../util/vec.h"

/* Parse integer text: an optional '-', then decimal digits or "0x" and hex
 * digits (when allow_hex), nothing else.  out gets `width` bytes (1..32),
 * little-endian two's complement.  ST_INVALID for bad syntax, ST_LIMIT
 * when the value does not fit `width` bytes (signed or not). */
Status sats_json_num_parse_int(const char *s, size_t n, bool allow_hex, unsigned width,
                               bool is_signed, uint8_t out[32]);
/* Append the width-byte integer at le as decimal text (hex == false) or as
 * ethnum writes 256-bit integers: "0x" + minimal lowercase hex, "-0x..."
 * for a negative signed value, "0x0" for zero. */
Status sats_json_num_write_int(StrBuf *sb, const uint8_t *le, unsigned width, bool is_signed,
                               bool hex);
/* Append v as serde_json does: "null" for NaN and infinities, otherwise
 * the shortest digits that read back as the same f32 (single) or f64, laid
 * out as Ryu does ("1.0", "0.001", "1e-7", "1.5e300"). */
Status sats_json_num_write_float(StrBuf *sb, double v, bool single);

#endif
