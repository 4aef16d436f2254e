/*
 * sats_json_write.c - BSATN to SATS-JSON: writing a typed value as JSON.
 *
 * The bytes are validated once (bsatn_validate, with its depth limit and
 * its checks of lengths, tags, bools and UTF-8), and then a cursor walks
 * them beside the type, which says how many bytes each node takes and how
 * to print it.  After validation nothing can go wrong but memory, so the
 * walk has no error paths of its own.
 *
 * What is written is exactly what SpacetimeDB's server writes
 * (client-protocol.md section 1), in one of three styles that differ only
 * in products and sums:
 *
 *                        product            sum                 unit
 *   SATS_JSON_NAMED      {"x":1,"y":2}      {"Variant":payload}  []
 *   SATS_JSON_ROW        {"x":1,"y":2}      [tag,payload]        []
 *   SATS_JSON_POSITIONAL [1,2]              [tag,payload]        []
 *
 * A product field without a name is keyed by its position ("0"), and a
 * variant without a name falls back to [tag,payload] (SpacetimeDB refuses
 * the first and does the second).  Everything else is common: integers up
 * to 128 bits bare, 256-bit ones as "0x" strings, floats by
 * sats_json_num_write_float, Array<u8> as a lowercase hex string.
 *
 * Book: chapter 18, book/18-sats-json.md
 */
#include "sats_json.h"

#include <assert.h>
#include <string.h>

#include "../db/bsatn.h"
#include "../util/hex.h"
#include "sats_json_int.h"

typedef struct Writer {
    const Typespace *ts;
    const uint8_t *p;     /* the next byte to read; the value is known valid */
    StrBuf *out;
    SatsJsonStyle style;
} Writer;

static Status write_value(Writer *w, const AlgType *t);

static uint64_t take_le(Writer *w, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | w->p[i];
    w->p += n;
    return v;
}

/* Integers of 1..8 bytes, sign-extended for the signed kinds. */
static Status write_small_int(Writer *w, unsigned width, bool is_signed)
{
    uint64_t v = take_le(w, width);
    if (!is_signed)
        return json_write_u64(w->out, v);
    unsigned shift = 64 - 8 * width;
    return json_write_i64(w->out, (int64_t)(v << shift) >> shift);
}

/* 128-bit integers bare; 256-bit ones as a quoted "0x" hex string. */
static Status write_wide_int(Writer *w, unsigned width, bool is_signed)
{
    bool hex = width == 32;
    Status st = hex ? strbuf_putc(w->out, '"') : ST_OK;
    if (st == ST_OK)
        st = sats_json_num_write_int(w->out, w->p, width, is_signed, hex);
    if (st == ST_OK && hex)
        st = strbuf_putc(w->out, '"');
    w->p += width;
    return st;
}

static Status write_float(Writer *w, bool single)
{
    if (single) {
        uint32_t bits = (uint32_t)take_le(w, 4);
        float f;
        memcpy(&f, &bits, 4);
        return sats_json_num_write_float(w->out, f, true);
    }
    uint64_t bits = take_le(w, 8);
    double d;
    memcpy(&d, &bits, 8);
    return sats_json_num_write_float(w->out, d, false);
}

static Status write_string(Writer *w)
{
    uint32_t n = (uint32_t)take_le(w, 4);
    Status st = json_write_string(w->out, (const char *)w->p, n);
    w->p += n;
    return st;
}

/* Array<u8>: "0a0b", as the hex crate writes it. */
static Status write_hex(Writer *w, uint32_t n)
{
    Status st = strbuf_putc(w->out, '"');
    if (st == ST_OK)
        st = hex_append(w->out, w->p, n, false);
    w->p += n;
    return st == ST_OK ? strbuf_putc(w->out, '"') : st;
}

static Status write_array(Writer *w, const AlgType *t)
{
    uint32_t n = (uint32_t)take_le(w, 4);
    const AlgType *elem = alg_resolve(w->ts, t->elem);
    if (elem->kind == ALG_U8)
        return write_hex(w, n);
    Status st = strbuf_putc(w->out, '[');
    for (uint32_t i = 0; st == ST_OK && i < n; i++) {
        if (i > 0)
            st = strbuf_putc(w->out, ',');
        if (st == ST_OK)
            st = write_value(w, elem);
    }
    return st == ST_OK ? strbuf_putc(w->out, ']') : st;
}

/* "name": for a field; an unnamed field is keyed by its position. */
static Status write_key(Writer *w, const AlgMember *m, uint32_t i)
{
    Status st = m->name ? json_write_string(w->out, m->name, strlen(m->name))
                        : strbuf_printf(w->out, "\"%u\"", i);
    return st == ST_OK ? strbuf_putc(w->out, ':') : st;
}

static Status write_product(Writer *w, const AlgType *t)
{
    bool named = w->style != SATS_JSON_POSITIONAL && t->nmembers > 0;
    Status st = strbuf_putc(w->out, named ? '{' : '[');
    for (uint32_t i = 0; st == ST_OK && i < t->nmembers; i++) {
        if (i > 0)
            st = strbuf_putc(w->out, ',');
        if (st == ST_OK && named)
            st = write_key(w, &t->members[i], i);
        if (st == ST_OK)
            st = write_value(w, t->members[i].type);
    }
    return st == ST_OK ? strbuf_putc(w->out, named ? '}' : ']') : st;
}

static Status write_sum(Writer *w, const AlgType *t)
{
    uint8_t tag = *w->p++;
    const AlgMember *m = &t->members[tag];
    Status st;
    if (w->style == SATS_JSON_NAMED && m->name) {      /* {"Variant":payload} */
        st = strbuf_putc(w->out, '{');
        if (st == ST_OK)
            st = json_write_string(w->out, m->name, strlen(m->name));
        if (st == ST_OK)
            st = strbuf_putc(w->out, ':');
        if (st == ST_OK)
            st = write_value(w, m->type);
        return st == ST_OK ? strbuf_putc(w->out, '}') : st;
    }
    st = strbuf_printf(w->out, "[%u,", tag);            /* [tag,payload] */
    if (st == ST_OK)
        st = write_value(w, m->type);
    return st == ST_OK ? strbuf_putc(w->out, ']') : st;
}

static Status write_value(Writer *w, const AlgType *t)
{
    t = alg_resolve(w->ts, t);   /* validation proved every ref resolves */
    switch (t->kind) {
    case ALG_BOOL: return strbuf_puts(w->out, *w->p++ ? "true" : "false");
    case ALG_I8: return write_small_int(w, 1, true);
    case ALG_U8: return write_small_int(w, 1, false);
    case ALG_I16: return write_small_int(w, 2, true);
    case ALG_U16: return write_small_int(w, 2, false);
    case ALG_I32: return write_small_int(w, 4, true);
    case ALG_U32: return write_small_int(w, 4, false);
    case ALG_I64: return write_small_int(w, 8, true);
    case ALG_U64: return write_small_int(w, 8, false);
    case ALG_I128: return write_wide_int(w, 16, true);
    case ALG_U128: return write_wide_int(w, 16, false);
    case ALG_I256: return write_wide_int(w, 32, true);
    case ALG_U256: return write_wide_int(w, 32, false);
    case ALG_F32: return write_float(w, true);
    case ALG_F64: return write_float(w, false);
    case ALG_STRING: return write_string(w);
    case ALG_ARRAY: return write_array(w, t);
    case ALG_PRODUCT: return write_product(w, t);
    case ALG_SUM: return write_sum(w, t);
    case ALG_REF: break;
    }
    return ST_INVALID;
}

Status sats_json_from_bsatn(const Typespace *ts, const AlgType *t, const uint8_t *p, size_t len,
                            size_t *used, SatsJsonStyle style, StrBuf *out, DbError *err)
{
    size_t n = len;
    Status st = used ? bsatn_validate(ts, t, p, len, &n, err)
                     : bsatn_validate_exact(ts, t, p, len, err);
    if (st != ST_OK)
        return st;
    size_t mark = out->len;
    Writer w = {ts, p, out, style};
    st = write_value(&w, t);
    if (st != ST_OK) {
        if (out->data) {
            out->len = mark;
            out->data[mark] = '\0';
        }
        return db_error(err, st, st == ST_NOMEM ? DBE_HOST_CALL_FAILURE : DBE_BSATN_DECODE_ERROR,
                        "writing JSON: %s", status_str(st));
    }
    assert((size_t)(w.p - p) == n);   /* the walk read exactly what validation measured */
    if (used)
        *used = n;
    return ST_OK;
}
