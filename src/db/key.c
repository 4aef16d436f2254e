/*
 * key.c - BSATN values to order-preserving, prefix-free key bytes.
 *
 * Each rule below is chosen so that comparing keys byte by byte gives the
 * same answer as comparing the values (bsatn.c's cmp), and so that the
 * end of every key is recognisable without knowing its length:
 *
 *   - Integers are stored most significant byte first, so the first byte
 *     that differs is the most significant difference.  Two's complement
 *     puts negatives above positives when read as unsigned; flipping the
 *     sign bit moves MIN..MAX onto 0..UMAX in order.
 *   - Floats go through bsatn_f64_order (the same function compare uses).
 *   - Strings end with 0x00 0x00; a 0x00 inside becomes 0x00 0xFF.  So at
 *     the first difference either both have content bytes (bytewise
 *     order), or one has ended (0x00 0x00) where the other goes on (a byte
 *     >= 0x01, or 0x00 0xFF): the shorter one is smaller, as it must be.
 *   - Arrays mark each element with 0x01 and end with 0x00, the same
 *     trick one level up.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include "key.h"

#include <assert.h>
#include <string.h>

#include "../util/alloc.h"
#include "bsatn.h"

/* Shrink out back to len bytes (keeping StrBuf's trailing NUL). */
static void truncate_to(StrBuf *out, size_t len)
{
    out->len = len;
    if (out->data)
        out->data[len] = '\0';
}

/* n little-endian bytes -> big-endian, sign bit flipped for signed types. */
static Status enc_int(const uint8_t *p, unsigned n, bool sign, StrBuf *out)
{
    uint8_t be[32];
    for (unsigned i = 0; i < n; i++)
        be[i] = p[n - 1 - i];
    if (sign)
        be[0] ^= 0x80;
    return strbuf_append(out, be, n);
}

static Status enc_float(const uint8_t *p, unsigned n, StrBuf *out)
{
    uint64_t bits = bsatn_load_le(p, n);
    bits = n == 4 ? bsatn_f32_order((uint32_t)bits) : bsatn_f64_order(bits);
    uint8_t be[8];
    for (unsigned i = 0; i < n; i++)
        be[i] = (uint8_t)(bits >> 8 * (n - 1 - i));
    return strbuf_append(out, be, n);
}

/* Bytes with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x00. */
static Status enc_bytes(const uint8_t *p, size_t n, StrBuf *out)
{
    Status st = ST_OK;
    while (n > 0 && st == ST_OK) {
        const uint8_t *zero = memchr(p, 0, n);
        size_t run = zero ? (size_t)(zero - p) : n;
        st = strbuf_append(out, p, run);
        if (st == ST_OK && zero)
            st = strbuf_append(out, "\x00\xFF", 2);
        run += zero != NULL;
        p += run, n -= run;
    }
    return st == ST_OK ? strbuf_append(out, "\x00\x00", 2) : st;
}

static Status enc(const Typespace *ts, const AlgType *t, const uint8_t **pp, StrBuf *out);

static Status enc_array(const Typespace *ts, const AlgType *t, const uint8_t **pp, StrBuf *out)
{
    uint32_t n = bsatn_load_u32(*pp);
    *pp += 4;
    const AlgType *e = alg_resolve(ts, t->elem);
    if (e->kind == ALG_U8) {   /* a byte array sorts like a string */
        const uint8_t *bytes = *pp;
        *pp += n;
        return enc_bytes(bytes, n, out);
    }
    Status st = ST_OK;
    for (uint32_t i = 0; i < n && st == ST_OK; i++)
        if ((st = strbuf_putc(out, 0x01)) == ST_OK)
            st = enc(ts, e, pp, out);
    return st == ST_OK ? strbuf_putc(out, 0x00) : st;
}

/* Encode the value at *pp and advance *pp past it. */
static Status enc(const Typespace *ts, const AlgType *t, const uint8_t **pp, StrBuf *out)
{
    t = alg_resolve(ts, t);
    assert(t && "a valid value's type resolves");
    const uint8_t *p = *pp;
    Status st = ST_OK;
    switch (t->kind) {
    case ALG_STRING: {
        uint32_t n = bsatn_load_u32(p);
        *pp += 4 + (size_t)n;
        return enc_bytes(p + 4, n, out);
    }
    case ALG_ARRAY: return enc_array(ts, t, pp, out);
    case ALG_PRODUCT:
        for (uint32_t i = 0; i < t->nmembers && st == ST_OK; i++)
            st = enc(ts, t->members[i].type, pp, out);
        return st;
    case ALG_SUM:
        *pp += 1;
        if ((st = strbuf_putc(out, (char)p[0])) != ST_OK)
            return st;
        return enc(ts, t->members[p[0]].type, pp, out);
    case ALG_F32: *pp += 4; return enc_float(p, 4, out);
    case ALG_F64: *pp += 8; return enc_float(p, 8, out);
    default: {   /* bool and the integers */
        unsigned n = bsatn_prim_width(t->kind);
        assert(n && "bool or an integer");
        *pp += n;
        return enc_int(p, n, alg_kind_signed(t->kind), out);
    }
    }
}

Status key_encode_value(const Typespace *ts, const AlgType *t, const uint8_t *bsatn, StrBuf *out)
{
    size_t len0 = out->len;
    Status st = enc(ts, t, &bsatn, out);
    if (st != ST_OK)
        truncate_to(out, len0);
    return st;
}

/* The offset of every column up to `upto`, by skipping through the row. */
static void column_offsets(const Typespace *ts, const AlgType *row, const uint8_t *p,
                           uint32_t upto, size_t *offs)
{
    size_t off = 0;
    for (uint32_t i = 0; i <= upto; i++) {
        offs[i] = off;
        if (i < upto)
            off += bsatn_value_len(ts, row->members[i].type, p + off);
    }
}

Status key_encode_columns(const Typespace *ts, const AlgType *row_type, const uint8_t *row,
                          size_t len, const uint16_t *cols, uint32_t ncols, StrBuf *out)
{
    const AlgType *r = alg_resolve(ts, row_type);
    if (!r || r->kind != ALG_PRODUCT)
        return ST_ARG;
    uint32_t maxcol = 0;
    for (uint32_t i = 0; i < ncols; i++) {
        if (cols[i] >= r->nmembers)
            return ST_ARG;
        maxcol = cols[i] > maxcol ? cols[i] : maxcol;
    }
    if (ncols == 0)
        return ST_OK;
    size_t local[32], *offs = local;
    if (maxcol >= 32 && !(offs = mem_alloc_array((size_t)maxcol + 1, sizeof *offs)))
        return ST_NOMEM;
    column_offsets(ts, r, row, maxcol, offs);
    size_t len0 = out->len;
    Status st = ST_OK;
    for (uint32_t i = 0; i < ncols && st == ST_OK; i++) {
        assert(offs[cols[i]] <= len);
        const uint8_t *p = row + offs[cols[i]];
        st = enc(ts, r->members[cols[i]].type, &p, out);
    }
    if (st != ST_OK)
        truncate_to(out, len0);
    if (offs != local)
        mem_free(offs);
    return st;
}

int key_compare(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (alen > blen) - (alen < blen);
}
