/*
 * value.c - parsing and printing TYPE:VALUE text (see value.h).
 *
 * Two rules shape this file.  First, nothing is lost: a float is printed
 * with its exact bits, so a NaN's payload or the sign of a zero survive
 * a round trip through text.  Second, nothing is guessed: every input
 * character must be accounted for ("12abc" is an error, not 12), a value
 * out of its type's range is an error, not silently wrapped, and the C
 * library's lenient readers (strtod accepts leading blanks, "infinity",
 * "nan(123)") are only called after we have checked the shape ourselves.
 *
 * The integer forms accept both the signed and the unsigned range of the
 * type (i32:-1 and i32:4294967295 are the same bits), in decimal or in
 * hex (0x...), because the spec itself treats integers as bit patterns
 * whose sign is a matter of the instruction reading them.
 *
 * Book: chapter 8, book/08-cli.md
 */
#include "value.h"
#include "../util/hex.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    uint8_t type;
    const char *name;
} type_names[] = {
    {WASM_I32, "i32"},         {WASM_I64, "i64"},         {WASM_F32, "f32"},
    {WASM_F64, "f64"},         {WASM_FUNCREF, "funcref"}, {WASM_EXTERNREF, "externref"},
};

#define NTYPES (sizeof type_names / sizeof type_names[0])

uint8_t value_type_parse(const char *name, size_t len)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (strlen(type_names[i].name) == len && memcmp(type_names[i].name, name, len) == 0)
            return type_names[i].type;
    return 0;
}

const char *value_type_name(uint8_t type)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return "?";
}

/* ---- parsing ------------------------------------------------------------ */


/* All of s as an unsigned number in `base`; NULL or the reason it is not. */
static const char *parse_digits(const char *s, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return "no digits";
    for (; *s; s++) {
        int d = hex_digit(*s);
        if (d < 0 || (unsigned)d >= base)
            return "not a number";
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return "out of range";
        v = v * base + (unsigned)d;
    }
    *out = v;
    return NULL;
}

/* A bits-wide integer, signed or unsigned range, decimal or 0x hex. */
static const char *parse_int(const char *s, unsigned bits, uint64_t *out)
{
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uint64_t mag;
    const char *why = parse_digits(s, base, &mag);
    if (why)
        return why;
    uint64_t umax = bits == 32 ? UINT32_MAX : UINT64_MAX;
    uint64_t nmax = (uint64_t)1 << (bits - 1);   /* |most negative| */
    if (neg ? mag > nmax : mag > umax)
        return "out of range";
    *out = (neg ? 0 - mag : mag) & umax;
    return NULL;
}

/* "0x" followed by hex digits only: raw bits, not a hex float. */
static bool is_raw_hex(const char *s)
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s[2] == '\0')
        return false;
    for (s += 2; *s; s++)
        if (hex_digit(*s) < 0)
            return false;
    return true;
}

/* The shape strtod may see: starts with a digit or '.', and uses only
 * characters of decimal and hex-float numbers. */
static bool looks_numeric(const char *p)
{
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
        return false;
    return strspn(p, "0123456789abcdefABCDEFxXpP.+-") == strlen(p);
}

/* nan, inf (optionally signed) as bits of a bits-wide float; or false. */
static bool parse_special(const char *s, unsigned bits, uint64_t *out)
{
    bool neg = *s == '-';
    const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
    uint64_t sign = (uint64_t)1 << (bits - 1);
    uint64_t inf = bits == 32 ? 0x7f800000u : 0x7ff0000000000000u;
    uint64_t quiet = bits == 32 ? 0x00400000u : 0x0008000000000000u;
    if (strcmp(p, "inf") == 0)
        *out = inf;
    else if (strcmp(p, "nan") == 0)
        *out = inf | quiet;   /* the canonical NaN (spec 4.3.2) */
    else
        return false;
    if (neg)
        *out |= sign;
    return true;
}

static const char *parse_float(const char *s, unsigned bits, uint64_t *out)
{
    if (parse_special(s, bits, out))
        return NULL;
    if (is_raw_hex(s)) {
        bool fits = parse_digits(s + 2, 16, out) == NULL && (bits == 64 || *out <= UINT32_MAX);
        return fits ? NULL : "more bits than the type has";
    }
    const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
    if (p != s && is_raw_hex(p))
        return "raw bits (0x...) take no sign; for a hex float write its exponent, e.g. -0x1p0";
    if (!looks_numeric(p))
        return "not a number";
    char *end;
    errno = 0;
    if (bits == 32) {
        float f = strtof(s, &end);
        uint32_t b;
        memcpy(&b, &f, sizeof b);
        *out = b;
        if (*end == '\0' && isinf(f) && errno == ERANGE)
            return "out of range";
    } else {
        double d = strtod(s, &end);
        memcpy(out, &d, sizeof d);
        if (*end == '\0' && isinf(d) && errno == ERANGE)
            return "out of range";
    }
    return *end == '\0' ? NULL : "not a number";
}

static const char *parse_ref(uint8_t type, const char *s, uint64_t *out)
{
    if (strcmp(s, "null") == 0) {
        *out = 0;
        return NULL;
    }
    if (type == WASM_FUNCREF)
        return "only funcref:null can be written";
    if (s[0] == '-' || s[0] == '+' || parse_digits(s, 10, out) != NULL)
        return "expected null or a host value 1, 2, ...";
    return *out == 0 ? "host value 0 would be null; use 1 or more" : NULL;
}

Status value_parse_as(uint8_t type, const char *body, WasmCell *out, WasmError *err)
{
    const char *why;
    uint64_t v = 0;
    switch (type) {
    case WASM_I32: why = parse_int(body, 32, &v); break;
    case WASM_I64: why = parse_int(body, 64, &v); break;
    case WASM_F32: why = parse_float(body, 32, &v); break;
    case WASM_F64: why = parse_float(body, 64, &v); break;
    case WASM_FUNCREF:
    case WASM_EXTERNREF: why = parse_ref(type, body, &v); break;
    default: why = "values of this type cannot be written"; break;
    }
    if (why)
        return wasm_error(err, ST_ARG, -1, "bad %s value \"%s\": %s", value_type_name(type), body,
                          why);
    *out = v;
    return ST_OK;
}

Status value_parse(const char *text, uint8_t want, uint8_t *type, WasmCell *out, WasmError *err)
{
    const char *colon = strchr(text, ':');
    const char *body = text;
    uint8_t t = want;
    if (colon) {
        uint8_t named = value_type_parse(text, (size_t)(colon - text));
        if (!named)
            return wasm_error(err, ST_ARG, -1,
                              "\"%s\": unknown type \"%.*s\" "
                              "(i32, i64, f32, f64, funcref, externref)",
                              text, (int)(colon - text), text);
        if (want && named != want)
            return wasm_error(err, ST_ARG, -1, "\"%s\": expected %s, not %s", text,
                              value_type_name(want), value_type_name(named));
        t = named;
        body = colon + 1;
    } else if (!want) {
        return wasm_error(err, ST_ARG, -1, "\"%s\": write the type too, e.g. i32:%s", text, text);
    }
    Status st = value_parse_as(t, body, out, err);
    if (st == ST_OK && type)
        *type = t;
    return st;
}

/* ---- printing ------------------------------------------------------------ */

/* Does the text d read back to exactly this float? */
static bool reads_back(const char *d, double x, unsigned width)
{
    if (width == 32) {
        float back = strtof(d, NULL), f = (float)x;
        return memcmp(&back, &f, sizeof f) == 0;
    }
    double back = strtod(d, NULL);
    return memcmp(&back, &x, sizeof x) == 0;
}

/* The shortest "%.Ng" text of the float with these bits that reads back
 * to the same bits; nan/-nan/inf/-inf spelled out. */
static void format_float(char *d, size_t n, uint64_t bits, unsigned width)
{
    double x;
    if (width == 32) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, sizeof f);
        x = f;   /* exact: every float is a double */
    } else {
        memcpy(&x, &bits, sizeof x);
    }
    bool neg = (bits >> (width - 1)) & 1;
    if (isnan(x) || isinf(x)) {
        snprintf(d, n, "%s%s", neg ? "-" : "", isnan(x) ? "nan" : "inf");
        return;
    }
    int prec = 1;
    do
        snprintf(d, n, "%.*g", prec, x);
    while (!reads_back(d, x, width) && ++prec <= 17);
    /* %g writes 100 as "1e+02" when one digit suffices; below 1e17 spell
     * such numbers out (more digits of the same value still read back). */
    const char *e = strchr(d, 'e');
    if (e && e[1] == '+' && atoi(e + 2) < 17)
        snprintf(d, n, "%.*g", atoi(e + 2) + 1, x);
}

int value_format(char *buf, size_t n, uint8_t type, WasmCell v)
{
    char dec[40];
    switch (type) {
    case WASM_I32: {
        uint32_t u = (uint32_t)v;
        int64_t s = u >= 0x80000000u ? (int64_t)u - 0x100000000 : (int64_t)u;
        return snprintf(buf, n, "i32:%" PRId64, s);
    }
    case WASM_I64:
        /* The portable way to reinterpret the top half as negative. */
        if (v >> 63)
            return snprintf(buf, n, "i64:-%" PRIu64, ~v + 1);
        return snprintf(buf, n, "i64:%" PRIu64, v);
    case WASM_F32:
        format_float(dec, sizeof dec, v, 32);
        return snprintf(buf, n, "f32:0x%08" PRIx32 " (%s)", (uint32_t)v, dec);
    case WASM_F64:
        format_float(dec, sizeof dec, v, 64);
        return snprintf(buf, n, "f64:0x%016" PRIx64 " (%s)", v, dec);
    case WASM_FUNCREF:
        return snprintf(buf, n, "funcref:%s", v ? "(non-null)" : "null");
    case WASM_EXTERNREF:
        if (v)
            return snprintf(buf, n, "externref:%" PRIu64, v);
        return snprintf(buf, n, "externref:null");
    default:
        return snprintf(buf, n, "type 0x%02x:0x%016" PRIx64, type, v);
    }
}

/* Append to buf like snprintf at offset *len, keeping *len the length of
 * the whole text even when buf is full (so callers can size a buffer). */
static void append(char *buf, size_t n, int *len, const char *fmt, const char *arg)
{
    size_t at = (size_t)*len;
    char *dst = at < n ? buf + at : NULL;
    *len += snprintf(dst, dst ? n - at : 0, fmt, arg);
}

static void append_types(char *buf, size_t n, int *len, const uint8_t *types, uint32_t count)
{
    append(buf, n, len, "%s", "(");
    for (uint32_t i = 0; i < count; i++)
        append(buf, n, len, i ? ", %s" : "%s", value_type_name(types[i]));
    append(buf, n, len, "%s", ")");
}

int value_format_functype(char *buf, size_t n, const WasmFuncType *ft)
{
    int len = 0;
    if (n > 0)
        buf[0] = '\0';
    append_types(buf, n, &len, WASM_PARAMS(ft), ft->nparams);
    append(buf, n, &len, "%s", " -> ");
    append_types(buf, n, &len, WASM_RESULTS(ft), ft->nresults);
    return len;
}
