/*
 * sats_json.h - SATS-JSON: typed values as JSON text, both ways.
 *
 * A module only understands BSATN, the untagged binary form of chapter 9.
 * Clients and tests speak JSON: reducer arguments arrive as a JSON array
 * or object, and rows go out as JSON text.  SATS-JSON is the mapping
 * between the two that SpacetimeDB's text protocol uses
 * (client-protocol.md section 1).  Neither side is self-describing
 * enough on its own; the algebraic type of the value steers every step:
 *
 *   JSON text --json_parse--> JsonValue --sats_json_to_bsatn(type)--> BSATN
 *   BSATN --sats_json_from_bsatn(type, style)--> JSON text
 *
 * Writing follows the server byte for byte: integers up to 128 bits as
 * bare JSON integers (even above 2^53), 256-bit integers as "0x" hex
 * strings, floats in Rust's shortest round-trip form ("1.0", "0.1",
 * "1e-7"; NaN and infinities as null, as serde_json writes them), byte
 * arrays as lowercase hex, typed products as objects in declaration
 * order, typed sums as {"Variant": payload}, unit as [].  The special
 * types (Identity, Timestamp, ...) need no code of their own: they are
 * one-field products, so {"__identity__": "0x..."} falls out of the rules.
 *
 * Reading accepts everything the server's deserializer accepts (products
 * as objects by name or arrays by position; sums as {"Name": v},
 * {"<tag>": v} or [tag, v]; null for an Option's none; bytes as hex or
 * an array of numbers) and, as tinystdb's only extension, integers of any
 * width written as strings ("18446744073709551615", "0xff", "-5"), which
 * is how JavaScript clients keep big numbers exact.  Nothing is lost:
 * integers are converted from the number's source text, never through a
 * double, and a float that does not fit its width is an error.
 *
 * Errors: ST_INVALID (the JSON does not fit the type), ST_MALFORMED (the
 * text is not JSON), ST_LIMIT (nesting deeper than BSATN_MAX_DEPTH),
 * ST_NOMEM; DbError code DBE_BSATN_DECODE_ERROR (DBE_HOST_CALL_FAILURE for
 * ST_NOMEM) and a message naming the place and the cause:
 *   "argument 2 (character_class): expected String, got number 7"
 *   "field position.x: value 1e40 out of range for f32"
 * On failure the output buffer is left as it was.
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#ifndef TINYSTDB_HOST_SATS_JSON_H
#define TINYSTDB_HOST_SATS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../db/dberror.h"
#include "../db/types.h"
#include "../util/json.h"
#include "../util/vec.h"

/* The three shapes the server writes (client-protocol.md section 1). */
typedef enum SatsJsonStyle {
    SATS_JSON_NAMED,       /* typed values and messages: {"field": v}, {"Variant": v} */
    SATS_JSON_ROW,         /* rows read from committed storage: {"field": v}, sums [tag, v] */
    SATS_JSON_POSITIONAL,  /* untyped ProductValues (delta rows): [v0, v1], sums [tag, v] */
} SatsJsonStyle;

/* Append the BSATN of the JSON value v read as type t. */
Status sats_json_to_bsatn(const Typespace *ts, const AlgType *t, const JsonValue *v,
                          StrBuf *out, DbError *err);
/* The same from JSON text (parsed into a private arena). */
Status sats_json_text_to_bsatn(const Typespace *ts, const AlgType *t, const char *text,
                               size_t len, StrBuf *out, DbError *err);
/* Reducer arguments: text is a JSON array (positional) or object (by
 * parameter name) of the arguments; params is the reducer's parameter
 * product.  Messages name the argument: "argument 2 (character_class): ...". */
Status sats_json_args_to_bsatn(const Typespace *ts, const AlgType *params, const char *text,
                               size_t len, StrBuf *out, DbError *err);

/* Append the JSON text of the BSATN value of type t at p[0..len).  The
 * bytes are validated first (bsatn_validate); *used gets the bytes
 * consumed, and when used is NULL the value must fill p[0..len) exactly. */
Status sats_json_from_bsatn(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                            size_t *used, SatsJsonStyle style, StrBuf *out, DbError *err);

#endif
