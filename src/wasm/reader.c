/*
 * reader.c - bounds-checked reading of the binary format's primitive
 * values: bytes, LEB128 integers, names, value types (spec 5.1-5.3).
 *
 * LEB128 stores an integer in 7-bit groups, least significant first; the
 * top bit of each byte says "more follows".  The spec allows padding (a
 * value may use more bytes than needed, and toolchains such as wasm-ld
 * pad to 5 bytes so they can patch values in place) but bounds it: an N-bit
 * integer takes at most ceil(N/7) bytes ("integer representation too
 * long"), and the bits of the last byte beyond N must be zero for unsigned
 * values, or copies of the sign bit for signed ones ("integer too large").
 *
 * Errors: a read past the end of the binary is "unexpected end of section
 * or function", the reference interpreter's wording.  Every error carries
 * the offset of the offending byte.
 *
 * Book: chapter 3, book/03-wasm-binary.md
 */
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/alloc.h"
#include "../util/json.h"

void reader_init(Reader *r, const uint8_t *bytes, size_t len, WasmError *err)
{
    r->bytes = bytes;
    r->pos = 0;
    r->len = len;
    r->err = err;
}

Status reader_fail(Reader *r, size_t pos, const char *fmt, ...)
{
    char msg[sizeof r->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wasm_error(r->err, ST_MALFORMED, (long)pos, "%s", msg);
}

Status reader_nomem(Reader *r)
{
    return wasm_error(r->err, ST_NOMEM, -1, "out of memory while decoding");
}

static Status unexpected_end(Reader *r)
{
    return reader_fail(r, r->pos, "unexpected end of section or function");
}

Status reader_u8(Reader *r, uint8_t *out)
{
    if (r->pos >= r->len)
        return unexpected_end(r);
    *out = r->bytes[r->pos++];
    return ST_OK;
}

Status reader_bytes(Reader *r, size_t n, const uint8_t **out)
{
    if (n > r->len - r->pos)
        return unexpected_end(r);
    *out = r->bytes + r->pos;
    r->pos += n;
    return ST_OK;
}

Status reader_fixed32(Reader *r, uint32_t *out)
{
    const uint8_t *p = NULL;
    if (reader_bytes(r, 4, &p) != ST_OK)
        return ST_MALFORMED;
    *out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return ST_OK;
}

Status reader_fixed64(Reader *r, uint64_t *out)
{
    uint32_t lo, hi;
    if (reader_fixed32(r, &lo) != ST_OK || reader_fixed32(r, &hi) != ST_OK)
        return ST_MALFORMED;
    *out = (uint64_t)hi << 32 | lo;
    return ST_OK;
}

/* Unsigned LEB128 of at most `bits` value bits (spec 5.2.2). */
static Status read_uleb(Reader *r, unsigned bits, uint64_t *out)
{
    uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
        size_t at = r->pos;
        if (shift >= bits)
            return reader_fail(r, at, "integer representation too long");
        uint8_t b = 0;
        if (reader_u8(r, &b) != ST_OK)
            return ST_MALFORMED;
        unsigned left = bits - shift;   /* value bits this byte may still carry */
        if (left < 7 && (b & 0x7F) >> left)
            return reader_fail(r, at, "integer too large");
        value |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = value;
            return ST_OK;
        }
    }
}

/* Signed LEB128 of at most `bits` bits: in the last possible byte, the
 * unused bits must all equal the sign bit. */
static Status read_sleb(Reader *r, unsigned bits, int64_t *out)
{
    uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
        size_t at = r->pos;
        if (shift >= bits)
            return reader_fail(r, at, "integer representation too long");
        uint8_t b = 0;
        if (reader_u8(r, &b) != ST_OK)
            return ST_MALFORMED;
        unsigned left = bits - shift;
        if (left < 7) {
            uint8_t mask = (uint8_t)((0x7F << (left - 1)) & 0x7F);  /* sign + unused */
            if ((b & mask) != 0 && (b & mask) != mask)
                return reader_fail(r, at, "integer too large");
        }
        value |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            if (shift + 7 < 64 && (b & 0x40))
                value |= ~(uint64_t)0 << (shift + 7);   /* sign-extend */
            *out = (int64_t)value;
            return ST_OK;
        }
    }
}

Status reader_u1(Reader *r, uint32_t *out)
{
    uint64_t v;
    Status st = read_uleb(r, 1, &v);
    *out = (uint32_t)v;
    return st;
}

Status reader_u32(Reader *r, uint32_t *out)
{
    uint64_t v = 0;
    Status st = read_uleb(r, 32, &v);
    *out = (uint32_t)v;
    return st;
}

Status reader_s32(Reader *r, int32_t *out)
{
    int64_t v = 0;
    Status st = read_sleb(r, 32, &v);
    *out = (int32_t)v;
    return st;
}

Status reader_s33(Reader *r, int64_t *out)
{
    return read_sleb(r, 33, out);
}

Status reader_s64(Reader *r, int64_t *out)
{
    return read_sleb(r, 64, out);
}

Status reader_len(Reader *r, uint32_t *out)
{
    /* Measured from before the LEB, like the reference interpreter. */
    size_t at = r->pos;
    if (reader_u32(r, out) != ST_OK)
        return ST_MALFORMED;
    if (*out > r->len - at)
        return reader_fail(r, at, "length out of bounds: %u bytes wanted, %zu left",
                           (unsigned)*out, r->len - at);
    return ST_OK;
}

/* Names obey the same strict UTF-8 rules as JSON text and BSATN strings,
 * so the one decoder of src/util/json.c serves all three. */
bool reader_utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = json_utf8_len((const char *)s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

Status reader_name(Reader *r, WasmName *out)
{
    size_t at = r->pos;
    uint32_t n;
    const uint8_t *p = NULL;
    if (reader_len(r, &n) != ST_OK || reader_bytes(r, n, &p) != ST_OK)
        return ST_MALFORMED;
    if (!reader_utf8_valid(p, n))
        return reader_fail(r, at, "malformed UTF-8 encoding");
    out->s = mem_strndup((const char *)p, n);
    if (!out->s)
        return reader_nomem(r);
    out->len = n;
    return ST_OK;
}

/* The reference interpreter reads type codes as signed 7-bit LEB128
 * values, so a byte with the continuation bit set can only be "too long". */
static Status read_typecode(Reader *r, uint8_t *out)
{
    size_t at = r->pos;
    if (reader_u8(r, out) != ST_OK)
        return ST_MALFORMED;
    if (*out & 0x80)
        return reader_fail(r, at + 1, "integer representation too long");
    return ST_OK;
}

Status reader_valtype(Reader *r, uint8_t *out)
{
    size_t at = r->pos;
    if (read_typecode(r, out) != ST_OK)
        return ST_MALFORMED;
    switch (*out) {
    case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64:
    case WASM_FUNCREF: case WASM_EXTERNREF:
        return ST_OK;
    case WASM_V128:
        return wasm_error(r->err, ST_UNSUPPORTED, (long)at,
                          "unsupported value type: v128 (SIMD is not implemented)");
    default:
        return reader_fail(r, at, "malformed value type: 0x%02x", *out);
    }
}

Status reader_reftype(Reader *r, uint8_t *out)
{
    size_t at = r->pos;
    if (read_typecode(r, out) != ST_OK)
        return ST_MALFORMED;
    if (*out != WASM_FUNCREF && *out != WASM_EXTERNREF)
        return reader_fail(r, at, "malformed reference type: 0x%02x", *out);
    return ST_OK;
}
