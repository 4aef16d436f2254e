/*
 * lit.c - SQL literals as values of a column type.
 *
 * A literal has no type of its own: `5` may be a u8, an i256 or an f64,
 * decided by the column it is compared with or inserted into
 * (client-protocol.md 6.2).  This file turns the literal's text into the
 * BSATN of a value of that type, exactly or not at all:
 *
 *   number  -> integers: an exact decimal (sign, fraction, exponent) that
 *              must be a whole number within the type's range, computed
 *              in 288-bit arithmetic so u256/i256 and `1e40` work;
 *              floats: strtod/strtof, refusing overflow to infinity
 *   'text'  -> String (valid UTF-8), Timestamp (RFC 3339)
 *   0xHEX   -> bytes (Array<U8>), Identity (64 digits), ConnectionId (32)
 *   :sender -> Identity, bytes
 *   TRUE    -> Bool
 *
 * Anything else: "The literal expression `x` cannot be parsed as type
 * `T`", with T written the way SpacetimeDB writes types (sql_type_name).
 *
 * Book: chapter 25, book/25-sql.md
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../db/bsatn.h"
#include "../util/hex.h"
#include "sql.h"

#define BIG_WORDS 9               /* 288 bits: room to notice overflow past 256 */

/* ---- type names ---- */

static Status type_name(const Typespace *ts, const AlgType *t, StrBuf *out, unsigned depth)
{
    static const char *const prim[ALG_KIND_COUNT] = {
        [ALG_STRING] = "String", [ALG_BOOL] = "Bool", [ALG_I8] = "I8", [ALG_U8] = "U8",
        [ALG_I16] = "I16", [ALG_U16] = "U16", [ALG_I32] = "I32", [ALG_U32] = "U32",
        [ALG_I64] = "I64", [ALG_U64] = "U64", [ALG_I128] = "I128", [ALG_U128] = "U128",
        [ALG_I256] = "I256", [ALG_U256] = "U256", [ALG_F32] = "F32", [ALG_F64] = "F64",
    };
    const AlgType *r = alg_resolve(ts, t);
    if (!r || depth > 16)
        return strbuf_puts(out, "?");
    if (prim[r->kind])
        return strbuf_puts(out, prim[r->kind]);
    Status st;
    if (r->kind == ALG_ARRAY) {
        st = strbuf_puts(out, "Array<");
        if (st == ST_OK)
            st = type_name(ts, r->elem, out, depth + 1);
        return st == ST_OK ? strbuf_putc(out, '>') : st;
    }
    st = strbuf_putc(out, '(');
    for (uint32_t i = 0; i < r->nmembers && st == ST_OK; i++) {
        if (i > 0)
            st = strbuf_puts(out, r->kind == ALG_SUM ? " | " : ", ");
        if (st == ST_OK && r->members[i].name)
            st = strbuf_printf(out, "%s: ", r->members[i].name);
        if (st == ST_OK)
            st = type_name(ts, r->members[i].type, out, depth + 1);
    }
    return st == ST_OK ? strbuf_putc(out, ')') : st;
}

Status sql_type_name(const Typespace *ts, const AlgType *t, StrBuf *out)
{
    return type_name(ts, t, out, 0);
}

/* ---- exact integers ---- */

/* w = w * 10 + d; false on overflow past 288 bits. */
static bool big_mul10_add(uint32_t *w, unsigned d)
{
    uint64_t carry = d;
    for (int i = 0; i < BIG_WORDS; i++) {
        uint64_t x = (uint64_t)w[i] * 10 + carry;
        w[i] = (uint32_t)x;
        carry = x >> 32;
    }
    return carry == 0;
}

static unsigned big_bits(const uint32_t *w)
{
    for (int i = BIG_WORDS; i-- > 0;)
        if (w[i])
            return (unsigned)i * 32 + 32 - (unsigned)__builtin_clz(w[i]);
    return 0;
}

static bool big_is_pow2(const uint32_t *w)
{
    unsigned n = 0;
    for (int i = 0; i < BIG_WORDS; i++)
        n += (unsigned)__builtin_popcount(w[i]);
    return n == 1;
}

/* The exact integer text denotes: sign, digits, '.', exponent.  false when
 * it is not a whole number or does not fit 288 bits. */
static bool exact_int(const char *s, bool *neg, uint32_t *w)
{
    char digits[128];
    size_t nd = 0, frac = 0;
    bool dot = false;
    long exp = 0;
    *neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') {
            dot = true;
            continue;
        }
        if (nd == 0 && *s == '0') {   /* leading zeros carry no value */
            frac += dot;
            continue;
        }
        if (nd >= sizeof digits)
            return false;
        digits[nd++] = *s;
        frac += dot;
    }
    if (*s)
        exp = strtol(s + 1, NULL, 10);
    if (exp > 400 || exp < -400)
        return nd == 0 && (memset(w, 0, BIG_WORDS * 4), true);
    long shift = exp - (long)frac;    /* value = digits * 10^shift */
    while (shift < 0 && nd > 0) {     /* drop fractional digits: must be zero */
        if (digits[--nd] != '0')
            return false;
        shift++;
    }
    memset(w, 0, BIG_WORDS * 4);
    for (size_t i = 0; i < nd; i++)
        if (!big_mul10_add(w, (unsigned)(digits[i] - '0')))
            return false;
    for (; shift > 0 && nd > 0; shift--)
        if (!big_mul10_add(w, 0))
            return false;
    return true;
}

/* The integer as `bytes` little-endian two's complement, if in range. */
static bool int_bytes(const char *text, unsigned bytes, bool sign, uint8_t *out)
{
    uint32_t w[BIG_WORDS];
    bool neg;
    if (!exact_int(text, &neg, w))
        return false;
    unsigned bits = big_bits(w), width = bytes * 8;
    if (bits == 0)
        neg = false;
    if (!sign && (neg || bits > width))
        return false;
    if (sign && bits > width - 1 && !(neg && bits == width && big_is_pow2(w)))
        return false;
    unsigned carry = neg;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned b = (w[i / 4] >> (i % 4 * 8)) & 0xff;
        if (neg) {
            b = (~b & 0xff) + carry;
            carry = b >> 8;
        }
        out[i] = (uint8_t)b;
    }
    return true;
}

/* ---- hex, timestamps ---- */

/* ndigits hex digits (big-endian text) as little-endian bytes. */
static bool hex_le(const char *s, size_t len, size_t ndigits, uint8_t *out)
{
    return len == ndigits && hex_decode(s, ndigits / 2, true, out, NULL);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s; -1 if not all digits. */
static long digits(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* YYYY-MM-DD(T| )HH:MM:SS[.frac](Z|+HH:MM|-HH:MM) -> microseconds. */
static bool rfc3339(const char *s, size_t len, int64_t *micros)
{
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return false;
    long y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    long h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        sec < 0 || sec > 60)
        return false;
    size_t i = 19;
    long us = 0, scale = 100000;
    if (s[i] == '.')
        for (i++; i < len && isdigit((unsigned char)s[i]); i++, scale /= 10)
            us += (s[i] - '0') * scale;
    long off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        long oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
        if (oh < 0 || om < 0)
            return false;
        off = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        i += 6;
    } else {
        return false;
    }
    if (i != len)
        return false;
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
                   sec - off;
    *micros = secs * 1000000 + us;
    return true;
}

/* ---- encoding ---- */

/* Put the BSATN of e as type r into buf (at most 36 fixed bytes or a
 * length-prefixed string/bytes in big); false: not representable. */
static bool encode(const SqlQuery *q, const SqlExpr *e, const AlgType *r, StrBuf *out, bool *nomem)
{
    uint8_t b[32];
    AlgSpecial sp = alg_special(r);
    bool num = e->kind == SQL_EXPR_LIT && e->lit == SQL_LIT_NUM;
    bool hex = e->kind == SQL_EXPR_LIT && e->lit == SQL_LIT_HEX;
    bool str = e->kind == SQL_EXPR_LIT && e->lit == SQL_LIT_STR;
    bool sender = e->kind == SQL_EXPR_SENDER;
    unsigned w = bsatn_prim_width(r->kind);
    Status st = ST_OK;
    if (sp == ALG_SPECIAL_IDENTITY && (hex || sender)) {
        if (sender)
            memcpy(b, q->ctx.sender, 32);
        else if (!hex_le(e->text, e->len, 64, b))
            return false;
        st = strbuf_append(out, b, 32);
    } else if (sp == ALG_SPECIAL_CONNECTION_ID && hex) {
        if (!hex_le(e->text, e->len, 32, b))
            return false;
        st = strbuf_append(out, b, 16);
    } else if (sp == ALG_SPECIAL_TIMESTAMP && str) {
        int64_t us;
        if (!rfc3339(e->text, e->len, &us))
            return false;
        for (int i = 0; i < 8; i++)
            b[i] = (uint8_t)((uint64_t)us >> (8 * i));
        st = strbuf_append(out, b, 8);
    } else if (r->kind == ALG_BOOL && e->kind == SQL_EXPR_LIT && e->lit == SQL_LIT_BOOL) {
        st = strbuf_putc(out, e->b);
    } else if (r->kind >= ALG_I8 && r->kind <= ALG_U256 && num) {
        if (!int_bytes(e->text, w, alg_kind_signed(r->kind), b))
            return false;
        st = strbuf_append(out, b, w);
    } else if ((r->kind == ALG_F32 || r->kind == ALG_F64) && num) {
        errno = 0;
        double d = strtod(e->text, NULL);
        float f = (float)d;
        if (isinf(r->kind == ALG_F32 ? (double)f : d))
            return false;
        uint64_t bits = 0;
        if (r->kind == ALG_F32)
            memcpy(&bits, &f, 4);
        else
            memcpy(&bits, &d, 8);
        for (unsigned i = 0; i < w; i++)
            b[i] = (uint8_t)(bits >> (8 * i));
        st = strbuf_append(out, b, w);
    } else if (r->kind == ALG_STRING && str) {
        if (bsatn_utf8_prefix((const uint8_t *)e->text, e->len) != e->len || e->len > UINT32_MAX)
            return false;
        uint32_t n = (uint32_t)e->len;
        uint8_t len4[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
        st = strbuf_append(out, len4, 4);
        if (st == ST_OK)
            st = strbuf_append(out, e->text, e->len);
    } else if (r->kind == ALG_ARRAY && r->elem->kind == ALG_U8 && (hex || sender)) {
        size_t n = sender ? 32 : e->len / 2;
        if (hex && e->len % 2)
            return false;
        uint8_t len4[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
        st = strbuf_append(out, len4, 4);
        for (size_t i = 0; i < n && st == ST_OK; i++)
            st = strbuf_putc(out, (char)(sender ? q->ctx.sender[31 - i]
                                                : hex_digit(e->text[2 * i]) << 4 |
                                                      hex_digit(e->text[2 * i + 1])));
    } else {
        return false;
    }
    *nomem = st != ST_OK;
    return st == ST_OK;
}

Status sql_lit_encode(SqlQuery *q, SqlExpr *e, const Typespace *ts, const AlgType *t,
                      SqlError *err)
{
    const AlgType *r = alg_resolve(ts, t);
    StrBuf buf;
    strbuf_init(&buf);
    bool nomem = false;
    Status st = ST_OK;
    if (!r || !encode(q, e, r, &buf, &nomem)) {
        if (nomem) {
            st = sql_error(err, ST_NOMEM, e->pos, "out of memory");
        } else {
            StrBuf tn;
            strbuf_init(&tn);
            sql_type_name(ts, t, &tn);
            st = sql_error(err, ST_INVALID, e->pos,
                           "The literal expression `%.*s` cannot be parsed as type `%s`",
                           (int)(e->end - e->pos), q->text + e->pos, tn.data ? tn.data : "?");
            strbuf_fini(&tn);
        }
    } else if (!(e->val = arena_alloc(&q->arena, buf.len + 1))) {
        st = sql_error(err, ST_NOMEM, e->pos, "out of memory");
    } else {
        memcpy(e->val, buf.data, buf.len);
        e->vlen = buf.len;
        e->ts = ts;
        e->type = t;
    }
    strbuf_fini(&buf);
    return st;
}
