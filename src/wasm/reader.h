/*
 * reader.h - a cursor over a WebAssembly binary and its primitive values
 * (spec 5.1-5.3): bytes, LEB128 integers, floats, names, value types.
 *
 * A Reader is the decoder's only way to look at input bytes.  Every read
 * is bounds-checked against the end of the binary, and every failure is
 * recorded in r->err with the spec's wording and the byte offset, so the
 * decoder itself never indexes the input directly (except to peek).
 *
 * Like the spec's reference interpreter, a Reader is bounded by the end of
 * the whole binary, not by the end of the current section: sections are
 * decoded and *then* checked against their declared size ("section size
 * mismatch").  That choice decides which error a broken module gets, and
 * the spec tests check those words (see book chapter 3).
 *
 * Invariant: pos <= len.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#ifndef TINYSTDB_WASM_READER_H
#define TINYSTDB_WASM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm.h"

typedef struct Reader {
    const uint8_t *bytes;  /* the whole binary */
    size_t pos;            /* offset of the next unread byte */
    size_t len;            /* size of the binary */
    WasmError *err;        /* where failures are recorded (may be NULL) */
} Reader;

void reader_init(Reader *r, const uint8_t *bytes, size_t len, WasmError *err);

/* Record a malformed-binary error at byte offset `pos`; returns ST_MALFORMED. */
Status reader_fail(Reader *r, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record "out of memory"; returns ST_NOMEM. */
Status reader_nomem(Reader *r);

Status reader_u8(Reader *r, uint8_t *out);
/* n raw bytes; *out points into the binary. */
Status reader_bytes(Reader *r, size_t n, const uint8_t **out);
/* Little-endian fixed-width values (the bits of f32 / f64 constants). */
Status reader_fixed32(Reader *r, uint32_t *out);
Status reader_fixed64(Reader *r, uint64_t *out);

/* LEB128 integers (spec 5.2.2): uN / sN, at most ceil(N/7) bytes. */
Status reader_u1(Reader *r, uint32_t *out);
Status reader_u32(Reader *r, uint32_t *out);
Status reader_s32(Reader *r, int32_t *out);
Status reader_s33(Reader *r, int64_t *out);
Status reader_s64(Reader *r, int64_t *out);

/* A u32 length or count that cannot exceed the bytes left in the binary
 * ("length out of bounds"): every vector decodes at least one byte per
 * element, so this bounds every allocation driven by a count. */
Status reader_len(Reader *r, uint32_t *out);

/* A name (spec 5.2.4): length-prefixed, valid UTF-8, copied with a NUL. */
Status reader_name(Reader *r, WasmName *out);
bool reader_utf8_valid(const uint8_t *s, size_t n);

/* Types (spec 5.3): a value type byte, a reference type byte. */
Status reader_valtype(Reader *r, uint8_t *out);
Status reader_reftype(Reader *r, uint8_t *out);

#endif
