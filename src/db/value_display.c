/*
 * value_display.c - Values as human-readable text (value_display).
 *
 * The notation follows SpacetimeDB's own display of values: numbers in
 * decimal (also 128- and 256-bit ones), strings quoted with escapes,
 * arrays in brackets, products as (name = value, ...), sums as
 * (variant = payload).  Special types (module-abi.md §6) are recognised
 * structurally from the type and shown the way people know them:
 *
 *   Identity      0x + 64 hex digits, most significant first
 *   ConnectionId  0x + 32 hex digits
 *   Uuid          8-4-4-4-12 hex digits
 *   Timestamp     2024-05-01T12:00:00.000000+00:00 (RFC 3339, UTC)
 *   TimeDuration  +1.500000 (signed seconds, microsecond digits)
 *
 * This is debugging output: a value that does not fit its type prints as
 * <?> instead of failing, so it can be used on broken data.
 *
 * Book: chapter 9, book/09-values-bsatn.md
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

/* Decoded values nest at most BSATN_MAX_DEPTH; this only stops a
 * hand-built tree with a pointer cycle. */
#define DISPLAY_MAX_DEPTH 1024

/* ---- numbers ----------------------------------------------------------------- */

/* n-byte little-endian integer in decimal: repeated division by 10.
 * Exported (value.h) because src/sql/format.c prints wide integers too. */
Status value_display_wide(StrBuf *out, const uint8_t *le, unsigned n, bool sign)
{
    uint8_t mag[32];
    memcpy(mag, le, n);
    bool neg = sign && (mag[n - 1] & 0x80);
    if (neg) {   /* two's complement negation: invert, add one */
        unsigned carry = 1;
        for (unsigned i = 0; i < n; i++) {
            unsigned x = (uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    char digits[80];
    size_t nd = 0;
    bool zero;
    do {
        unsigned rem = 0;
        zero = true;
        for (unsigned i = n; i-- > 0;) {
            unsigned cur = rem << 8 | mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            zero &= mag[i] == 0;
        }
        digits[nd++] = (char)('0' + rem);
    } while (!zero);
    Status st = neg ? strbuf_putc(out, '-') : ST_OK;
    while (nd > 0 && st == ST_OK)
        st = strbuf_putc(out, digits[--nd]);
    return st;
}

/* The shortest %g text that reads back as the same float. */
static Status put_float(StrBuf *out, double v, bool single)
{
    if (isnan(v))
        return strbuf_puts(out, "NaN");
    if (isinf(v))
        return strbuf_puts(out, v < 0 ? "-inf" : "inf");
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    return strbuf_puts(out, buf);
}

static Status put_hex(StrBuf *out, const uint8_t *le, unsigned from, unsigned to)
{
    Status st = ST_OK;
    for (unsigned i = from; i > to && st == ST_OK; i--)   /* bytes from-1 down to `to` */
        st = strbuf_printf(out, "%02x", le[i - 1]);
    return st;
}

/* ---- special types ------------------------------------------------------------ */

/* Days since 1970-01-01 -> proleptic Gregorian y/m/d (civil calendar in
 * 400-year eras of 146097 days, years starting on March 1st).  Exported
 * (value.h) for src/sql/format.c, whose timestamps differ only in the
 * fraction. */
void value_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;   /* shift the epoch to 0000-03-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);                      /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                   /* March = 0 */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static Status put_timestamp(StrBuf *out, int64_t micros)
{
    int64_t secs = micros / 1000000, us = micros % 1000000;
    if (us < 0)
        secs -= 1, us += 1000000;
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0)
        days -= 1, sod += 86400;
    int64_t y;
    unsigned m, d;
    value_civil_from_days(days, &y, &m, &d);
    return strbuf_printf(out, "%04lld-%02u-%02uT%02u:%02u:%02u.%06u+00:00", (long long)y, m, d,
                         (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
                         (unsigned)us);
}

static Status put_duration(StrBuf *out, int64_t micros)
{
    uint64_t mag = micros < 0 ? 0 - (uint64_t)micros : (uint64_t)micros;
    return strbuf_printf(out, "%c%llu.%06llu", micros < 0 ? '-' : '+',
                         (unsigned long long)(mag / 1000000), (unsigned long long)(mag % 1000000));
}

/* The one field of a special wrapper product, if v has that shape. */
static const Value *inner(const Value *v, AlgKind kind)
{
    if (v->kind != ALG_PRODUCT || v->seq.len != 1 || !v->seq.items || v->seq.items[0].kind != kind)
        return NULL;
    return &v->seq.items[0];
}

/* ST_OK and *done when v was shown as a special type. */
static Status put_special(StrBuf *out, AlgSpecial sp, const Value *v, bool *done)
{
    const Value *x = NULL;
    *done = true;
    switch (sp) {
    case ALG_SPECIAL_IDENTITY:
        if ((x = inner(v, ALG_U256)))
            return strbuf_puts(out, "0x") == ST_OK ? put_hex(out, x->wide, 32, 0) : ST_NOMEM;
        break;
    case ALG_SPECIAL_CONNECTION_ID:
        if ((x = inner(v, ALG_U128)))
            return strbuf_puts(out, "0x") == ST_OK ? put_hex(out, x->wide, 16, 0) : ST_NOMEM;
        break;
    case ALG_SPECIAL_UUID:
        if ((x = inner(v, ALG_U128))) {
            Status st = put_hex(out, x->wide, 16, 12);
            static const unsigned cut[] = { 12, 10, 8, 6, 0 };
            for (int i = 0; i < 4 && st == ST_OK; i++)
                if ((st = strbuf_putc(out, '-')) == ST_OK)
                    st = put_hex(out, x->wide, cut[i], cut[i + 1]);
            return st;
        }
        break;
    case ALG_SPECIAL_TIMESTAMP:
        if ((x = inner(v, ALG_I64)))
            return put_timestamp(out, x->i);
        break;
    case ALG_SPECIAL_TIME_DURATION:
        if ((x = inner(v, ALG_I64)))
            return put_duration(out, x->i);
        break;
    default: break;
    }
    *done = false;
    return ST_OK;
}

/* ---- the tree ------------------------------------------------------------------ */

static Status put_string(StrBuf *out, const char *s, size_t n)
{
    Status st = strbuf_putc(out, '"');
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            st = strbuf_printf(out, "\\%c", c);
        else if (c == '\n')
            st = strbuf_puts(out, "\\n");
        else if (c == '\t')
            st = strbuf_puts(out, "\\t");
        else if (c == '\r')
            st = strbuf_puts(out, "\\r");
        else if (c < 0x20 || c == 0x7f)
            st = strbuf_printf(out, "\\u{%x}", c);
        else
            st = strbuf_putc(out, (char)c);
    }
    return st == ST_OK ? strbuf_putc(out, '"') : st;
}

static Status display(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out,
                      unsigned depth);

/* "label = value", or just the value when there is no name. */
static Status put_member(const Typespace *ts, const AlgMember *m, const Value *v, StrBuf *out,
                         unsigned depth)
{
    Status st = m->name ? strbuf_printf(out, "%s = ", m->name) : ST_OK;
    return st == ST_OK ? display(ts, m->type, v, out, depth + 1) : st;
}

static Status display_seq(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out,
                          unsigned depth)
{
    bool product = t->kind == ALG_PRODUCT;
    if ((product && v->seq.len != t->nmembers) || (v->seq.len && !v->seq.items))
        return strbuf_puts(out, "<?>");
    Status st = strbuf_putc(out, product ? '(' : '[');
    for (uint32_t i = 0; i < v->seq.len && st == ST_OK; i++) {
        if (i > 0)
            st = strbuf_puts(out, ", ");
        if (st == ST_OK)
            st = product ? put_member(ts, &t->members[i], &v->seq.items[i], out, depth)
                         : display(ts, t->elem, &v->seq.items[i], out, depth + 1);
    }
    return st == ST_OK ? strbuf_putc(out, product ? ')' : ']') : st;
}

static Status display(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out,
                      unsigned depth)
{
    const AlgType *r = alg_resolve(ts, t);
    if (!r || !v || v->kind != r->kind || depth > DISPLAY_MAX_DEPTH)
        return strbuf_puts(out, "<?>");
    bool done;
    Status st = put_special(out, alg_special(t), v, &done);
    if (st != ST_OK || done)
        return st;
    switch (r->kind) {
    case ALG_BOOL: return strbuf_puts(out, v->b ? "true" : "false");
    case ALG_I8: case ALG_I16: case ALG_I32: case ALG_I64:
        return strbuf_printf(out, "%lld", (long long)v->i);
    case ALG_U8: case ALG_U16: case ALG_U32: case ALG_U64:
        return strbuf_printf(out, "%llu", (unsigned long long)v->u);
    case ALG_I128: case ALG_U128: return value_display_wide(out, v->wide, 16, r->kind == ALG_I128);
    case ALG_I256: case ALG_U256: return value_display_wide(out, v->wide, 32, r->kind == ALG_I256);
    case ALG_F32: return put_float(out, v->f32, true);
    case ALG_F64: return put_float(out, v->f64, false);
    case ALG_STRING: return put_string(out, v->str.data, v->str.len);
    case ALG_SUM: {
        if (v->sum.tag >= r->nmembers || !v->sum.payload)
            return strbuf_puts(out, "<?>");
        const AlgMember *m = &r->members[v->sum.tag];
        st = strbuf_putc(out, '(');
        if (st == ST_OK && !m->name)
            st = strbuf_printf(out, "%u = ", v->sum.tag);
        if (st == ST_OK)
            st = put_member(ts, m, v->sum.payload, out, depth);
        return st == ST_OK ? strbuf_putc(out, ')') : st;
    }
    default: return display_seq(ts, r, v, out, depth);
    }
}

Status value_display(const Typespace *ts, const AlgType *t, const Value *v, StrBuf *out)
{
    return display(ts, t, v, out, 0);
}
